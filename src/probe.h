/* probe.h: one pass that fills the facts model: sysctls (net.ipv4 top level,
 * conf/all, conf/default; net.core; net.netfilter), kernel osrelease and
 * boot_id, counters (/proc/net/sockstat{,6}, snmp Tcp, netstat TcpExt),
 * TIME_WAIT slab object size, counter rates over an interval, sockets
 * (netlink sock_diag live, /proc/net/tcp{,6} under --root), conntrack
 * (conntrack.h) and the kernel log (kmsg.h). */
#ifndef HR_PROBE_H
#define HR_PROBE_H

#include "facts.h"

typedef struct hr_probe_pending hr_probe_pending;

/* Told while the probe waits between two counter samples: left_s seconds
 * still to wait (> 0, about every 0.1 s), then 0 once when the wait is over.
 * The probe prints nothing itself: a command passes fmt.h's
 * hr_fmt_progress_sample for the progress line, or NULL. */
typedef void (*hr_probe_progress_fn)(void *ud, double left_s);

/* The kernel log kept open across live probes (kmsg.c): the first probe
 * through it reads the whole ring, each later one only the records logged
 * since, and all of them count the records held (those a window can still
 * reach) as a full read would. For probes of one moment in many network
 * namespaces (the log is the host's: read once, not once per namespace)
 * and for watch (each refresh reads what is new). Owned by the caller. */
typedef struct hr_kmsg_log hr_kmsg_log;
/* A new log, nothing read yet; NULL out of memory. */
hr_kmsg_log *hr_kmsg_log_new(void);
/* Closes and frees; NULL is a no-op. */
void hr_kmsg_log_free(hr_kmsg_log *l);

struct hr_probe_opts {
	const char *root;   /* "" or NULL: the live system (or current netns); else a captured tree */
	double interval_s;  /* < 0: default (1 live, 0 for --root); 0: single counter sample */
	bool no_sockets;    /* skip the socket dump (callers that only need sysctls) */
	bool socket_idle;   /* live: ask sock_diag for tcp_info (idle times; about 3x the bytes a socket) */
	hr_probe_progress_fn progress; /* the wait between counter samples; NULL: nothing */
	void *progress_ud;
	double log_window_s; /* kernel log look-back, seconds; <= 0: the last hour */
	/* Live with an interval: do not wait; *later gets the pending second
	 * sample for hr_probe_finish (NULL when there is none to take), so
	 * that several network namespaces share one interval. */
	hr_probe_pending **later;
	/* Live: read the kernel log through this (borrowed) instead of
	 * reading the whole ring again; NULL: a full read. */
	hr_kmsg_log *kmsg_log;
	/* Live: which sysctls of the directories to read besides the keys the
	 * probe always checks (probe-sysctl.c's list); a key it refuses is
	 * not opened and is no fact (nor a problem). NULL: every one. The
	 * audit's text report passes the keys its rules read (audit.c). */
	bool (*sysctl_wanted)(void *ud, const char *key);
	void *sysctl_wanted_ud;
};

/* How a reader outside probe-*.c opens the files of the tree being probed
 * (the probe's own rules: no symlink, nothing outside the tree). */
typedef int (*hr_probe_open_fn)(void *ctx, const char *abs, int flags);
struct hr_probe_tree {
	const char *root;     /* "" live */
	hr_probe_open_fn open; /* NULL: root + abs, O_NOFOLLOW (tests) */
	void *ctx;
};
/* Opens abs ("/proc/net/nf_conntrack") of the tree for reading, without
 * blocking, as a regular file (probe-io.c). fd, or -errno (-EINVAL: not a regular file,
 * e.g. a FIFO planted in a tree). */
int hr_probe_open_regular(const struct hr_probe_tree *t, const char *abs);
/* Reads such a file whole into buf (n bytes, NUL-terminated). Length, or
 * -errno (-EFBIG: longer than n - 1). */
long hr_probe_read_regular(const struct hr_probe_tree *t, const char *abs, char *buf, size_t n);

/* Runs the probe into f. Problems with single files are recorded in the
 * facts (hr_facts_add_problem) and the probe goes on. Returns 0 when
 * anything usable was read, -ENODATA when nothing was (err says why). */
int hr_probe_run(hr_facts *f, const struct hr_probe_opts *o, struct hr_err *err);

/* Takes a pending second counter sample (opts.later) once the interval
 * since the first has passed, waiting for the rest of it (telling progress,
 * when not NULL), in the network namespace of the first; records the rates
 * in the facts and frees p. NULL is a no-op. */
void hr_probe_finish(hr_probe_pending *p, hr_probe_progress_fn progress, void *ud);
/* Drops a pending sample without taking it (the rates stay unset). */
void hr_probe_pending_free(hr_probe_pending *p);

/* Sleeps until t0 + interval (hr_now() clock), telling progress (when not
 * NULL) what is left: the wait between two counter samples. */
void hr_probe_wait_until(double t0, double interval, hr_probe_progress_fn progress, void *ud);

/* What the probe reads, for `headroom snapshot` (paths below the root):
 * directories whose top-level regular files are sysctls, NULL-terminated. */
extern const char *const hr_probe_sysctl_dirs[];
/* Single files: kernel identity, counters, sockets, slab; NULL-terminated. */
extern const char *const hr_probe_files[];
/* Counter files sampled twice for rates. */
extern const char *const hr_probe_rate_files[];
/* Socket tables of a captured tree (/proc/net/tcp, tcp6). */
extern const char *const hr_probe_socket_files[];

/* True for sysctl file names holding secrets (tcp_fastopen_key): the probe
 * records them as not read, the snapshot does not copy them. */
bool hr_probe_secret(const char *name);

/* A captured tree's second counter sample: ROOT/headroom/sample2/proc/net/{snmp,netstat},
 * and ROOT/headroom/interval holding the seconds between the two samples. */
#define HR_PROBE_SAMPLE2_DIR "/headroom/sample2"
/* Listener backlogs of a snapshot (not in /proc/net/tcp's format): lines
 * "LOCAL_ADDRESS BACKLOG", the address as the tcp file prints it. */
#define HR_PROBE_BACKLOGS "/headroom/backlogs"
#define HR_PROBE_INTERVAL_FILE "/headroom/interval"
/* The neighbour tables of a snapshot (rtnetlink has no file): lines
 * "ipv4 ENTRIES GC_THRESH1 GC_THRESH2 GC_THRESH3 TABLE_FULLS FORCED_GC_RUNS". */
#define HR_PROBE_NEIGH "/headroom/neigh"
/* The live neighbour tables in that format into buf (n bytes). Length or -errno. */
long hr_probe_neigh_text(char *buf, size_t n);
/* When a snapshot read each source: lines "SOURCE REALTIME MONOTONIC"
 * (clock.h's hr_src_names, seconds; '#' starts a comment). The capture's
 * moment is its sockets' line: what the predictions of the tree count from. */
#define HR_PROBE_CLOCK_FILE "/headroom/clock"

#endif
