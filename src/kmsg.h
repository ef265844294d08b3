/* kmsg.h: the kernel's own words about the limits headroom checks.
 *
 * Reads the kernel log records of the last W seconds (default one hour)
 * without blocking: live from /dev/kmsg (O_NONBLOCK; each read() is one
 * record "PRIO,SEQ,TS_USEC,FLAGS;MESSAGE"; TS_USEC is the kernel's
 * monotonic clock, compared with clock_gettime(CLOCK_MONOTONIC)), or from
 * a captured tree's DIR/headroom/kmsg (the same records, one a line;
 * continuation lines " KEY=VALUE" ignored), with DIR/headroom/monotonic
 * holding the capture's CLOCK_MONOTONIC seconds.
 *
 * Matches the messages that name a limit and records, per message, the
 * count, the age of the first and last, and the last text as facts
 * "kernel.log.KEY.{count,first_age,last_age,last}". The log is global to
 * the host (not per network namespace): a message that names a namespace
 * ("netns N") counts for the namespace with inode N only; one that names
 * none counts only where the log can be taken as this namespace's
 * (kernel.log.this_netns 1: read in the initial namespace, or a tree that
 * says so or does not say). kernel.log.KEY.count is what counts here.
 * Nothing is stored per record.
 */
#ifndef HR_KMSG_H
#define HR_KMSG_H

#include "facts.h"
#include "probe.h"

/* Default look-back window, seconds. */
#define HR_KMSG_WINDOW_S 3600.0
/* Capture time of a tree's kmsg file (CLOCK_MONOTONIC seconds). */
#define HR_KMSG_TREE_FILE "/headroom/kmsg"
#define HR_KMSG_TREE_NOW "/headroom/monotonic"
/* Whether a tree's log was read in the initial network namespace: "initial",
 * "child" or "unknown" (absent: the log is taken as the tree's own). */
#define HR_KMSG_TREE_NETNS "/headroom/kmsg-netns"
/* The inode of the tree's own network namespace (decimal), so messages that
 * name a namespace ("table full in netns 4026532304") are attributed. */
#define HR_KMSG_TREE_NETNS_INO "/headroom/netns-inode"

/* The messages matched, in a fixed order. */
enum hr_kmsg_key {
	HR_KMSG_CONNTRACK_FULL,
	HR_KMSG_TW_OVERFLOW,
	HR_KMSG_SYN_FLOOD,
	HR_KMSG_TCP_OOM,
	HR_KMSG_ORPHANS,
	HR_KMSG_NEIGH_OVERFLOW,
	HR_KMSG_NKEYS
};

/* Fact key ("conntrack_table_full") and the text matched of each message. */
const char *hr_kmsg_key_name(enum hr_kmsg_key k);
const char *hr_kmsg_key_needle(enum hr_kmsg_key k);

struct hr_kmsg_match {
	uint64_t count;             /* matches of this namespace: naming it, or naming none where the log is its own */
	uint64_t named;             /* of them, those naming this namespace's inode */
	uint64_t first_us, last_us; /* record timestamps */
	char last[256];             /* text of the last match */
};

/* What a scan of the log found. */
struct hr_kmsg_scan {
	double window_s;        /* look back this far */
	uint64_t now_us;        /* reference time (monotonic, µs) */
	uint64_t records;       /* records inside the window */
	uint64_t lost;          /* records overwritten while reading (EPIPE) */
	struct hr_kmsg_match m[HR_KMSG_NKEYS];
	/* Optional: for "Possible SYN flooding on port P": true when this
	 * namespace listens on P. Messages about other ports are counted in
	 * syn_flood_elsewhere, not as a match. */
	bool (*listens)(void *ctx, unsigned port);
	void *listens_ctx;
	uint64_t syn_flood_elsewhere;
	/* This namespace's inode (0: unknown). A message naming a namespace
	 * ("... in netns N ...", nf_conntrack since 6.x for non-initial ones)
	 * counts only when N is this one; the others are counted in
	 * other_netns (and all of them when the inode is unknown). */
	uint64_t self_ino;
	uint64_t other_netns;
	/* A message naming no namespace is this namespace's only where the log
	 * is (the initial namespace): set in a child to count them in
	 * unnamed_skipped instead. */
	bool skip_unnamed;
	uint64_t unnamed_skipped;
	/* Set by hr_kmsg_read_file when a bound stopped the file: -E2BIG (a
	 * line too long), -EILSEQ (a NUL byte), -EBADMSG (too many lines that
	 * are not records), at line stop_line. */
	int stop;
	long stop_line;
	/* Optional: called for every record inside the window (tests). */
	void (*each)(void *ctx, uint64_t ts_us, const char *msg, size_t len);
	void *ctx;
};

/* Starts a scan looking back window_s seconds from now_us. */
void hr_kmsg_scan_init(struct hr_kmsg_scan *s, double window_s, uint64_t now_us);
/* Parses one record ("6,1234,5678901,-;text", without the newline): its
 * timestamp and message. 0, or -EBADMSG. */
int hr_kmsg_parse_record(const char *rec, size_t len, uint64_t *ts_us, const char **msg,
			 size_t *msglen);
/* The port a "Possible SYN flooding on port ..." message names ("80",
 * "127.0.0.1:7777", "[::1]:80"), or -1. */
int hr_kmsg_syn_flood_port(const char *msg, size_t len);
/* The namespace inode a message names ("netns 4026532304"), or 0. */
uint64_t hr_kmsg_netns_named(const char *msg, size_t len);
/* The inode of this thread's network namespace, or -errno. */
long long hr_kmsg_netns_self(void);
/* Counts one record (ignored when outside the window). */
void hr_kmsg_scan_add(struct hr_kmsg_scan *s, uint64_t ts_us, const char *msg, size_t len);
/* Reads every record of /dev/kmsg (path) without blocking. 0 or -errno
 * (-EACCES/-EPERM: unreadable, e.g. kernel.dmesg_restrict for non-root). */
int hr_kmsg_read_dev(struct hr_kmsg_scan *s, const char *path);
/* Reads a file of records, one a line (an open fd, taken over and closed).
 * Returns records read or -errno. */
long hr_kmsg_read_file(struct hr_kmsg_scan *s, int fd);
/* CLOCK_MONOTONIC now, in µs. */
uint64_t hr_kmsg_monotonic_us(void);
/* 1 when this process is in the initial network namespace (where the
 * host's log can be taken as this namespace's), 0 in a child one, -errno
 * when that cannot be told (/proc/1/ns/net unreadable). */
int hr_kmsg_netns_initial(void);
/* Copies every record of /dev/kmsg (path) to fd, as read (one record a
 * line, continuation lines kept), without blocking. Returns records
 * copied or -errno. */
long hr_kmsg_copy(const char *path, int fd);
/* Writes the scan's facts (kernel.log.*) with source. */
void hr_kmsg_to_facts(const struct hr_kmsg_scan *s, hr_facts *f, const char *source);

/* The whole kernel-log probe: live (t->root "") or a tree; facts, or facts
 * missing with the reason. window_s <= 0 means the default. */
void hr_kmsg_probe(hr_facts *f, const struct hr_probe_tree *t, double window_s, hr_kmsg_log *log);

#endif
