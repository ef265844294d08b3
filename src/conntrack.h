/* conntrack.h: netfilter connection tracking in depth.
 *
 * Two sources, both streamed, nothing per entry stored:
 *  - /proc/net/stat/nf_conntrack: one row per CPU of hex counters under a
 *    header naming the columns (parsed by name, summed over the rows; the
 *    "entries" column is the global count repeated on every row, not summed);
 *  - the entries themselves: live through ctnetlink (libnetfilter_conntrack,
 *    this network namespace's table), in a captured tree from
 *    DIR/proc/net/nf_conntrack (the procfs format).
 *
 * Entries are aggregated while streaming into a bounded table of tuples:
 * per (original destination, protocol) a count and, for source-NAT entries
 * (the reply tuple's destination differs from the original source), per
 * (protocol, translated source IP, destination IP, destination port) the
 * ports in use, the ones still held by a live connection (TCP states before
 * TIME_WAIT, every non-TCP entry), and age windows (1, 5, 10, 30, 60 s) for
 * the rates: creations from the entry's start timestamp
 * (net.netfilter.nf_conntrack_timestamp = 1), closes from the remaining
 * TIME_WAIT timeout (age = nf_conntrack_tcp_timeout_time_wait - timeout),
 * like the TIME_WAIT histogram of sockets. Tuples past the bound are folded
 * into one count, and the facts say so.
 */
#ifndef HR_CONNTRACK_H
#define HR_CONNTRACK_H

#include <sys/socket.h>

#include "facts.h"
#include "probe.h"

/* Conntrack TCP states (include/uapi/linux/netfilter/nf_conntrack_tcp.h). */
enum hr_ct_tcp_state {
	HR_CT_TCP_NONE = 0,
	HR_CT_TCP_SYN_SENT,
	HR_CT_TCP_SYN_RECV,
	HR_CT_TCP_ESTABLISHED,
	HR_CT_TCP_FIN_WAIT,
	HR_CT_TCP_CLOSE_WAIT,
	HR_CT_TCP_LAST_ACK,
	HR_CT_TCP_TIME_WAIT,
	HR_CT_TCP_CLOSE,
	HR_CT_TCP_SYN_SENT2,
};

/* One entry as a dump yields it; borrowed for the duration of a call. */
struct hr_ct_entry {
	int family;            /* AF_INET or AF_INET6 */
	uint8_t proto;         /* IPPROTO_TCP, IPPROTO_UDP, ... */
	int tcp_state;         /* enum hr_ct_tcp_state, -1 when not TCP */
	uint8_t osrc[16], odst[16], rsrc[16], rdst[16]; /* network order */
	uint16_t osport, odport, rsport, rdport;         /* host order */
	uint32_t timeout_s;    /* time left */
	double age_s;          /* since creation (timestamp extension), < 0 unknown */
	bool snat;             /* source NAT applied (IPS_SRC_NAT, or the tuples differ) */
};

/* Bytes of an address of family (AF_INET6: 16, else 4). */
static inline size_t hr_ct_addr_len(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

/* Sums of /proc/net/stat/nf_conntrack, by column name. */
#define HR_CT_STAT_MAXCOLS 32
struct hr_ct_stat {
	int ncols;
	char names[HR_CT_STAT_MAXCOLS][24];
	uint64_t sum[HR_CT_STAT_MAXCOLS];
	int rows; /* CPUs */
};

/* Parses the text of /proc/net/stat/nf_conntrack (header, then one hex row
 * per CPU). Returns 0, or -EBADMSG (a bad header or row: *why says which). */
int hr_ct_stat_parse(const char *text, struct hr_ct_stat *st, const char **why);
/* Looks up a column's sum by name; -ENOENT when the kernel has no such column. */
int hr_ct_stat_get(const struct hr_ct_stat *st, const char *name, uint64_t *out);
/* Reads and parses the tree's /proc/net/stat/nf_conntrack into facts
 * "conntrack.stat.NAME". 0 or -errno. */
int hr_ct_stat_read(hr_facts *f, const struct hr_probe_tree *t);

typedef struct hr_ct_agg hr_ct_agg;

/* Default bound on tuples held (NAT tuples and destinations each). */
#define HR_CT_MAX_TUPLES 4096

/* A new aggregation holding at most max_tuples of each kind; tw_timeout_s is
 * nf_conntrack_tcp_timeout_time_wait (what TIME_WAIT ages are measured from).
 * NULL on ENOMEM. */
hr_ct_agg *hr_ct_agg_new(size_t max_tuples, double tw_timeout_s);
void hr_ct_agg_free(hr_ct_agg *a);
/* Adds one entry. */
void hr_ct_agg_add(hr_ct_agg *a, const struct hr_ct_entry *e);
/* Writes the aggregates into facts "conntrack.*" with source. */
void hr_ct_agg_to_facts(const hr_ct_agg *a, hr_facts *f, const char *source);

/* Parses one line of /proc/net/nf_conntrack into e. 0, or -EBADMSG (*why). */
int hr_ct_parse_line(const char *line, size_t len, struct hr_ct_entry *e, const char **why);
/* Streams a file in that format (an open fd, taken over and closed) into
 * a; bad lines are skipped and recorded as problems in f (label, line).
 * Returns entries read or -errno. */
long hr_ct_read_procfile(hr_ct_agg *a, int fd, const char *label, hr_facts *f);
/* Streams this namespace's table through ctnetlink into a. Returns entries
 * read, or -errno (err says what failed; -EPERM without CAP_NET_ADMIN,
 * -EPROTONOSUPPORT when nf_conntrack_netlink is not there). */
long hr_ct_dump(hr_ct_agg *a, struct hr_err *err);

/* The whole conntrack probe for a tree (root "" live): stat file, entries
 * (ctnetlink live, procfs format for a tree), facts or missing facts with
 * the reason. tw_timeout_s as for hr_ct_agg_new. */
void hr_ct_probe(hr_facts *f, const struct hr_probe_tree *t, double tw_timeout_s);
/* hr_ct_probe() with the TIME_WAIT timeout taken from the facts already read
 * (net.netfilter.nf_conntrack_tcp_timeout_time_wait, else 120 s): the
 * probe's one call, after the sysctls. */
void hr_ct_probe_facts(hr_facts *f, const struct hr_probe_tree *t);

#endif
