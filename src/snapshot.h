/* snapshot.h: captures what the probe reads from the live system (this
 * network namespace) into a directory tree with the same paths, so that
 * `headroom probe --root DIR` (and audit --root) work on another machine.
 *
 * Layout: DIR/proc/sys/net/{ipv4,ipv4/conf/all,ipv4/conf/default,core,netfilter}/KEY,
 * DIR/proc/sys/kernel/{osrelease,random/boot_id}, DIR/proc/net/{tcp,tcp6,
 * sockstat,sockstat6,snmp,netstat}, DIR/sys/kernel/slab/tw_sock_TCP/object_size,
 * DIR/proc/net/stat/nf_conntrack and DIR/proc/net/nf_conntrack (when conntrack
 * is loaded), DIR/headroom/kmsg (the kernel log records, /dev/kmsg format) with
 * DIR/headroom/monotonic (CLOCK_MONOTONIC at capture) and DIR/headroom/kmsg-netns,
 * DIR/headroom/created, DIR/headroom/clock (when each source was read; the
 * sockets' line is the capture's moment); with an interval also DIR/headroom/interval and
 * DIR/headroom/sample2/proc/net/{snmp,netstat}. Written into DIR.tmp and
 * renamed into place at the end, so a half snapshot is never called DIR. */
#ifndef HR_SNAPSHOT_H
#define HR_SNAPSHOT_H

#include "headroom.h"
#include "probe.h"

struct hr_snapshot_opts {
	const char *out;    /* DIR */
	double interval_s;  /* > 0: a second counter sample after this many seconds */
	bool force;         /* replace an existing snapshot (only a headroom snapshot) */
	hr_probe_progress_fn progress; /* the wait for the second sample (probe.h); NULL: nothing */
	void *progress_ud;
	/* Called for each file not copied (write-only, missing, unreadable); may be NULL. */
	void (*note)(void *ctx, const char *path, const char *msg);
	void *ctx;
};

/* What a snapshot wrote. */
struct hr_snapshot_stats {
	unsigned long files;    /* files written */
	unsigned long long bytes;
	unsigned long skipped;  /* files not copied (see note) */
	double interval_s;      /* measured time between the two counter samples, 0 = none */
};

/* The marker file every snapshot has: --force replaces only such trees. */
#define HR_SNAPSHOT_MARKER "/headroom/created"

/* Writes the snapshot. Returns 0, or -errno with err saying what failed
 * (-EEXIST: DIR is not empty and --force was not given or DIR is not a snapshot). */
int hr_snapshot_write(const struct hr_snapshot_opts *o, struct hr_snapshot_stats *stats,
		      struct hr_err *err);

#endif
