/* probe-int.h: what the probe's files share (not for callers: they use
 * probe.h).
 *
 *   probe.c           orchestration: hr_probe_run, the file lists, the wait
 *   probe-io.c        opening and reading files of the live system or a tree
 *                     (also for conntrack-read.c and kmsg.c, through probe.h)
 *   probe-sysctl.c    the sysctl directories and the keys the rules need
 *   probe-counters.c  sockstat{,6}, snmp, netstat counters and their rates
 *   probe-kernel.c    kernel identity (osrelease, boot_id) and the TIME_WAIT slab
 *   probe-sockets.c   sockets: sock_diag live, /proc/net/tcp{,6} of a tree
 *   probe-clock.c     when each source was read (live stamps, a tree's headroom/clock)
 *   probe-resolv.c    the resolver configuration (/etc/resolv.conf)
 *   probe-neigh.c     the neighbour tables through rtnetlink, or a tree's headroom/neigh
 *
 * Every file includes this header and no other probe file's. Only probe.c
 * calls the readers; the readers call probe-io.c and the facts setters
 * (probe-neigh.c also probe-counters.c's hr_probe_sample_add)
 * (probe-sockets.c also procnet.c and sockdiag.c), never each other. */
#ifndef HR_PROBE_INT_H
#define HR_PROBE_INT_H

#include <stddef.h>

#include "bounds.h"
#include "probe.h"

#define F_OSRELEASE "/proc/sys/kernel/osrelease"
#define F_BOOT_ID "/proc/sys/kernel/random/boot_id"
#define F_SOCKSTAT "/proc/net/sockstat"
#define F_SOCKSTAT6 "/proc/net/sockstat6"
#define F_SNMP "/proc/net/snmp"
#define F_NETSTAT "/proc/net/netstat"
#define F_SOFTNET "/proc/net/softnet_stat"
#define F_SNMP6 "/proc/net/snmp6"
#define F_TCP "/proc/net/tcp"
#define F_TCP6 "/proc/net/tcp6"
#define F_SLAB "/sys/kernel/slab/tw_sock_TCP/object_size"
#define F_RESOLV "/etc/resolv.conf"

/* Sysctl values and counter files are small: the bound and its reason are
 * HR_PROBE_MAX_VALUE's (bounds.h). */
#define VALBUF HR_PROBE_MAX_VALUE

/* Counters turned into rates (probe-counters.c's rate_counters). */
#define HR_PROBE_NRATES 5

/* One probe run's working state. */
struct run {
	hr_facts *f;
	const char *root;       /* "" live */
	int rootfd;             /* --root: the tree, opened once; -1 live */
	char *buf;              /* VALBUF bytes */
	long usable;            /* facts read: 0 at the end means nothing usable */
	long counters_read;
	const struct hr_probe_opts *o; /* the caller's options; NULL: the defaults */
};

/* Every snmp/netstat counter of a sample ("TcpExt.ListenDrops"), for the
 * rate of each (/proc/net/snmp and netstat hold about 330 on 6.18). */
#define HR_PROBE_MAXALL 1024
struct hr_probe_cval {
	char name[56];
	double v;
};

/* One sample of the rate counters. */
struct sample {
	double v[HR_PROBE_NRATES];
	bool have[HR_PROBE_NRATES];
	size_t nall;
	struct hr_probe_cval all[HR_PROBE_MAXALL];
};

/* ---- probe-io.c */

/* snprintf for messages and labels: truncation is acceptable there (and
 * not worth a compiler warning); returns -ENAMETOOLONG when it happened. */
int hr_probe_msgf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Reads a sysctl file named relative to an open directory into buf
 * (VALBUF bytes); a symlink is refused; tree: a captured tree's file, a
 * regular file with one link checked before it is opened. Length or -errno. */
long hr_probe_read_small(int dirfd, const char *name, char *buf, bool check_type, bool tree);
/* Opens abs ("/proc/net/snmp") in the tree being probed, never through a
 * symlink or outside the tree; under --root a file only when it is a
 * regular file with one link, checked before it is opened. fd or -errno. */
int hr_probe_tree_open(const struct run *r, const char *abs, int flags);
/* Reads a small regular file of the tree into r->buf. Length or -errno. */
long hr_probe_read_tree(struct run *r, const char *abs);
/* Words for a read failure, for operators (util.c's words about a tree
 * file, with the bound of the probe's reads). */
const char *hr_probe_why(long err);
/* Offset of the first byte the kernel would not print in a value, or -1. */
long hr_probe_bad_byte(const char *v, size_t len);
/* A single value (sysctl, osrelease): one line of printable ASCII (tabs
 * allowed), a newline only at its end. Offset of the first bad byte, or -1. */
long hr_probe_bad_value(const char *v, size_t len);

/* ---- the readers, in the order hr_probe_run calls them */

/* probe-counters.c: first counter sample: every counter file, facts and rate sample. */
void hr_probe_counters(struct run *r, struct sample *s);
/* probe-sysctl.c: every sysctl directory, then the wanted keys nobody read. */
void hr_probe_sysctls(struct run *r);
/* probe-kernel.c: kernel.osrelease, kernel.boot_id, the TIME_WAIT slab size. */
void hr_probe_kernel(struct run *r);
/* probe-resolv.c: /etc/resolv.conf's nameservers and options. */
void hr_probe_resolv(struct run *r);
/* probe-sockets.c: sockets of a captured tree; label gets the source name. */
void hr_probe_sockets_tree(struct run *r, char *label, size_t lsz);
/* probe-sockets.c: sockets of the live system via sock_diag (TCP, idle
 * times when idle, and UDP with their buffers). */
void hr_probe_sockets_live(struct run *r, bool idle);
/* probe-counters.c: a counter read elsewhere into the rate sample (rate.NAME). */
void hr_probe_sample_add(struct run *r, struct sample *s, const char *name, double v);
/* probe-neigh.c: the neighbour tables (live, or a tree's base + HR_PROBE_NEIGH)
 * as facts and into the sample s (NULL: facts only). */
void hr_probe_neigh(struct run *r, struct sample *s, const char *base);
/* probe-counters.c: a later sample of one rate file below base. Values read or -errno. */
long hr_probe_rate_sample(struct run *r, const char *base, const char *file, struct sample *s);
/* probe-counters.c: rates between two samples taken elapsed seconds apart. */
void hr_probe_rates(struct run *r, const struct sample *a, const struct sample *b, double elapsed,
		    const char *base);
/* probe-counters.c: every rate missing, with one reason. */
void hr_probe_rates_missing(struct run *r, const char *why);
/* probe-counters.c: a tree's second sample; its interval (0: none usable). */
double hr_probe_tree_sample2(struct run *r, struct sample *s2, bool *present);

/* probe-clock.c: a live probe stamps source s as read now (a tree: nothing). */
void hr_probe_stamp(struct run *r, enum hr_src s);
/* probe-clock.c: a tree's DIR/headroom/clock into the facts; its absence is
 * no problem (an older snapshot: the report says the time is unknown). */
void hr_probe_tree_clock(struct run *r);

#endif
