/* facts.h: the one in-memory facts model every later stage reads.
 *
 * Flow: probe (sysctls, counters) and sockdiag/procnet (sockets) fill it;
 * the rules engine reads it through hr_facts_get()/hr_facts_item_get();
 * hr_facts_to_json() gives the report tree's "facts" object.
 *
 * Sockets are aggregated while streaming and never stored: per state,
 * per outbound destination (remote IP, remote port) and per local
 * listener. Memory is O(destinations + listeners), not O(sockets).
 *
 * Feeding order: every LISTEN socket first (a cheap listener-only dump or
 * the head of /proc/net/tcp{,6}), then the others. A socket whose local
 * port is a listening port is inbound; every other one is outbound.
 */
#ifndef HR_FACTS_H
#define HR_FACTS_H

#include <jansson.h>
#include <stdarg.h>

#include "clock.h"
#include "headroom.h"

/* TCP states as numbered by the kernel (include/net/tcp_states.h). */
enum hr_tcp_state {
	HR_ESTABLISHED = 1,
	HR_SYN_SENT,
	HR_SYN_RECV,
	HR_FIN_WAIT1,
	HR_FIN_WAIT2,
	HR_TIME_WAIT,
	HR_CLOSE,
	HR_CLOSE_WAIT,
	HR_LAST_ACK,
	HR_LISTEN,
	HR_CLOSING,
	HR_NEW_SYN_RECV,
	HR_TCP_NSTATES
};

/* TIME_WAIT lasts TCP_TIMEWAIT_LEN = 60 s (include/net/tcp.h). */
#define HR_TW_LEN_S 60
/* Windows of the TIME_WAIT birth histogram, in seconds. */
#define HR_TW_NWINDOWS 5
extern const int hr_tw_windows[HR_TW_NWINDOWS]; /* 1, 5, 10, 30, 60 */

/* Name of a TCP state ("TIME_WAIT"), or "UNKNOWN". */
const char *hr_tcp_state_name(int state);

/* One socket as a dump yields it; borrowed for the duration of a call. */
/* What tcp_info and skmeminfo tell of one TCP socket's path and buffers
 * (sock_diag INET_DIAG_INFO + INET_DIAG_SKMEMINFO, asked for together;
 * facts-buffers.c aggregates it). Times in microseconds, rates bytes/s. */
struct hr_tcpbuf {
	bool have_info, have_mem;
	uint32_t min_rtt_us, rtt_us, snd_cwnd, snd_mss, rcv_space, snd_wnd, rcv_rtt_us;
	uint64_t delivery_rate, busy_us, rwnd_us, sndbuf_us, bytes_acked, bytes_received;
	uint32_t rcvbuf, sndbuf, rmem_alloc, wmem_queued, drops;
};

struct hr_sock {
	int family;          /* AF_INET or AF_INET6 */
	int state;           /* enum hr_tcp_state */
	uint8_t src[16];     /* network order; IPv4 in the first 4 bytes */
	uint8_t dst[16];
	uint16_t sport;      /* host order */
	uint16_t dport;
	int timer;           /* idiag_timer / "tr": 3 = TIME_WAIT timer */
	uint32_t expires_ms; /* remaining time of that timer, ms */
	uint32_t rqueue;     /* LISTEN: current accept queue */
	uint32_t wqueue;     /* LISTEN: backlog */
	bool backlog_unknown; /* LISTEN: wqueue not known (/proc/net/tcp does not show it) */
	uint32_t uid;        /* owner, when the source shows it (0 otherwise) */
	uint32_t inode;      /* socket inode, when the source shows it (0 otherwise) */
	int protocol;        /* IPPROTO_UDP for a UDP socket; 0 or IPPROTO_TCP: TCP */
	bool have_idle;      /* idle_ms known (sock_diag INET_DIAG_INFO, asked for) */
	uint32_t idle_ms;    /* ms since the last data sent, data or ACK received (tcp_info) */
	bool have_mem;       /* the next three known (sock_diag INET_DIAG_SKMEMINFO) */
	uint32_t rcvbuf;     /* SK_MEMINFO_RCVBUF: the receive buffer limit, bytes */
	uint32_t rmem;       /* SK_MEMINFO_RMEM_ALLOC: bytes queued now */
	uint32_t drops;      /* SK_MEMINFO_DROPS: datagrams dropped since the socket was made */
	const struct hr_tcpbuf *buf; /* TCP path and buffers when asked for (borrowed), else NULL */
	/* Port model (issue 25): tcp_info's tcpi_options, when have_idle. */
	uint8_t tcpi_options; /* TCPI_OPT_TIMESTAMPS (1): both sides negotiated timestamps */
};

/* Value kinds seen by the rules engine. */
enum hr_vtype { HR_V_MISSING = 0, HR_V_NUM, HR_V_STR, HR_V_BOOL };

/* A looked-up fact. Strings are borrowed from the facts model. */
struct hr_value {
	enum hr_vtype type;
	double num;          /* HR_V_NUM, HR_V_BOOL (0/1) */
	const char *str;     /* HR_V_STR; for sysctls also the raw value */
	const char *source;  /* where it came from: "/proc/sys/net/ipv4/tcp_tw_reuse", "--assume" */
	const char *missing; /* HR_V_MISSING: why ("absent on this kernel") */
	int nfields;         /* sysctl vectors: number of fields (1 for scalars) */
};

/* Collections a rule can iterate with for_each. */
/* HR_COLL_COUNTERS is the rules' counter catalogue (counters: in the rule files):
 * its items come from the ruleset, not the facts (hr_facts_count gives 0). */
enum hr_coll {
	HR_COLL_DESTINATIONS,
	HR_COLL_LISTENERS,
	HR_COLL_LISTENING_PORTS,
	HR_COLL_SNAT_TUPLES,
	HR_COLL_COUNTERS,
	HR_COLL_CONNECT_FAILURES,
	HR_COLL_N
};
/* "destinations", "listeners", "listening_ports", "snat_tuples", "counters",
 * "connect_failures" -> enum, or -1. */
int hr_coll_from_name(const char *name);
const char *hr_coll_name(enum hr_coll c);
/* The field prefix items of a collection use in expressions: "dest", "listener", "port",
 * "snat", "counter", "fail" (each starts with its own letter: rules-overlay.c relies on it). */
const char *hr_coll_prefix(enum hr_coll c);

typedef struct hr_facts hr_facts;

/* Creates an empty model; NULL on ENOMEM. */
hr_facts *hr_facts_new(void);
/* Frees the model, or drops one reference taken by hr_facts_ref. */
void hr_facts_free(hr_facts *f);
/* One more owner (a report that makes findings as it is written): the
 * model goes at the last hr_facts_free. Returns f. */
hr_facts *hr_facts_ref(hr_facts *f);

/* ---- scalar facts ---- */

/* Records a sysctl by dotted key ("net.ipv4.ip_local_port_range") with its
 * raw text; vectors are split on whitespace into numeric fields when every
 * field is an integer. Replaces an earlier value (so --assume overrides).
 * A value that is not text-clean (control characters) is kept but flagged. */
int hr_facts_set_sysctl(hr_facts *f, const char *key, const char *raw, const char *source);
/* Copies into dst each sysctl present in src for which want(key) holds and
 * that dst lacks (absent or never read), its source "SRC (note)". Returns
 * how many were copied. */
size_t hr_facts_fill_sysctls(hr_facts *dst, const hr_facts *src, bool (*want)(const char *key),
			     const char *note);
/* A recorded sysctl: its raw text (NULL when absent) or why it is absent
 * (*missing), and its source (optional). 0, or -ENOENT when the probe never
 * recorded the key (it was outside the directories read). Borrowed. */
int hr_facts_sysctl(const hr_facts *f, const char *key, const char **raw, const char **missing,
		    const char **source);
/* Calls fn for every sysctl with a value (not the absent ones), in no
 * particular order, until fn returns non-zero (then returned). The model
 * must not be changed meanwhile. */
int hr_facts_each_sysctl(const hr_facts *f,
			 int (*fn)(void *ud, const char *key, const char *raw, const char *source), void *ud);
/* Records that a sysctl is absent, with the reason ("absent on this kernel"). */
int hr_facts_set_sysctl_absent(hr_facts *f, const char *key, const char *reason);
/* Records a numeric fact: counters "snmp.Tcp.ActiveOpens", "netstat.TcpExt.ListenOverflows",
 * "sockstat.TCP.tw", rates "rate.Tcp.ActiveOpens" (per second),
 * "slab.tw_sock_TCP.object_size", workload declarations "workload.*". */
int hr_facts_set_num(hr_facts *f, const char *name, double v, const char *source);
/* Records a string fact ("kernel.osrelease", "kernel.boot_id"). */
int hr_facts_set_str(hr_facts *f, const char *name, const char *v, const char *source);
/* Records that a fact could not be read, with the reason. */
int hr_facts_set_missing(hr_facts *f, const char *name, const char *reason);
/* Notes a non-fatal problem met while probing ("file: message"). */
void hr_facts_add_problem(hr_facts *f, const char *source, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
size_t hr_facts_problem_count(const hr_facts *f);
/* Notes that a required input was refused or malformed: one the rules
 * cannot judge the system without (a socket table, a counter file, a
 * sysctl a rule needs). A problem like the others, and also an input
 * error: the audit over these facts is UNKNOWN (audit.h). */
void hr_facts_add_input_error(hr_facts *f, const char *source, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The input errors, [{source, message}] in the order met (owned; NULL on ENOMEM). */
json_t *hr_facts_input_errors_json(const hr_facts *f);

/* Probe metadata: root ("" live), socket source ("netlink sock_diag",
 * "/proc/net/tcp"), counter interval in seconds (0 = single sample). */
void hr_facts_set_meta(hr_facts *f, const char *root, const char *socket_source, double interval_s);

/* ---- when each source was read (clock.h; facts-clock.c) ---- */

/* Records when source s was read: a live probe stamps both clocks, a
 * captured tree gives what its DIR/headroom/clock says. */
void hr_facts_set_read(hr_facts *f, enum hr_src s, struct hr_stamp t);
/* When source s was read (NAN on both clocks when not recorded). */
struct hr_stamp hr_facts_read(const hr_facts *f, enum hr_src s);
/* Records the moment the report over f is made: what a live audit's
 * predictions count from (the probe sets its own end; the audit sets it
 * again just before the rules run). */
void hr_facts_set_report(hr_facts *f, struct hr_stamp t);
/* The clock of a report over f (clock.h): live or a capture, the anchor. */
void hr_facts_clock(const hr_facts *f, struct hr_clock *c);
/* The report's summary.clock (owned): counts_from ("report" or "capture"),
 * at / at_unix_ms (the anchor; null when a tree does not say), age_s
 * (report minus anchor), report_at / report_unix_ms / report_monotonic_ms,
 * and read_age_s {source: anchor minus its reading} for every source
 * stamped. Times in integer milliseconds (JSON reals here carry 10 digits). */
json_t *hr_facts_clock_json(const hr_facts *f);

/* ---- sockets (streaming aggregation) ---- */

/* Adds one socket. LISTEN sockets register a listener (deduplicated);
 * others are classified inbound/outbound and counted. */
void hr_facts_add_socket(hr_facts *f, const struct hr_sock *s);
/* Adds one UDP socket (protocol IPPROTO_UDP, with its memory when have_mem):
 * counted, its drops summed, the socket with most drops kept (facts-live.c). */
void hr_facts_add_udp(hr_facts *f, const struct hr_sock *s);
/* Marks the UDP sockets as read (otherwise sockets.udp_* are missing). */
void hr_facts_udp_done(hr_facts *f);
/* Sets the backlog of an observed listener whose source did not show it
 * (a captured tree's DIR/headroom/backlogs). 0, or -ENOENT (no such listener). */
int hr_facts_set_listener_backlog(hr_facts *f, int family, const uint8_t *addr, uint16_t port,
				  uint32_t backlog);
/* Marks the socket facts as collected (otherwise socket facts are missing). */
void hr_facts_sockets_done(hr_facts *f);
bool hr_facts_have_sockets(const hr_facts *f);
/* Count of all sockets seen in a state. */
uint64_t hr_facts_state_count(const hr_facts *f, int state);

/* Declares load for a pre-deployment audit (workload file): a destination
 * with a rate in connections per second. Declared and observed combine: the
 * larger rate counts. host is an IP literal. 0 or -EINVAL (bad address). */
/* Declares the path toward a declared destination (rtt seconds, rate
 * bytes/s) for the buffer rule: 0, -EINVAL, -ENOENT (not declared). */
/* The path of uploads to listening port (declared inbound first): as
 * hr_facts_declare_path. 0, -EINVAL or -ENOENT. */
int hr_facts_declare_inbound_path(hr_facts *f, uint16_t port, double rtt_s, double rate, const char *source);
/* A path for every destination and listening port known so far that has
 * none of its own (a profile's, audit --profile). 0 or -EINVAL. */
int hr_facts_declare_default_path(hr_facts *f, double rtt_s, double rate, const char *source);
int hr_facts_declare_path(hr_facts *f, const char *host, uint16_t port, double rtt_s, double rate,
			  const char *source);
int hr_facts_declare_dest(hr_facts *f, const char *host, uint16_t port, double rate, bool local_closes,
			  const char *source);
/* Declares how many local addresses connect to a destination already
 * declared (workload 'sources'): dest.sources is the larger of it and the
 * addresses seen. 0, -EINVAL or -ENOENT (not declared). */
int hr_facts_declare_dest_sources(hr_facts *f, const char *host, uint16_t port, double sources);
/* The eBPF trace's count for a destination the sockets showed (host an IP
 * literal): new connections per second and connect() failures for want
 * of a port (EADDRNOTAVAIL, EADDRINUSE, EAGAIN), as dest.trace_rate and
 * dest.trace_port_failures; every other destination reads 0 for them once
 * any is given (host NULL: only that a trace was made). 0, -EINVAL (bad
 * address) or -ENOENT (no such destination: not added). */
int hr_facts_trace_dest(hr_facts *f, const char *host, uint16_t port, double rate, double port_failures);
/* Declares inbound load on a local port (rate/s, and whether the server closes first). */
int hr_facts_declare_inbound(hr_facts *f, uint16_t port, double rate, bool server_closes,
			     const char *source);

/* ---- source-NAT tuples of the conntrack table (conntrack.c) ---- */

/* Fields of a snat_tuples item ("snat.in_use", ...), in this order. */
enum hr_snat_field {
	HR_SNAT_PROTO, HR_SNAT_IN_USE, HR_SNAT_BUSY, HR_SNAT_CLOSING, HR_SNAT_RATE, HR_SNAT_RATE_WINDOW,
	HR_SNAT_CLOSE_RATE, HR_SNAT_EXPIRE_RATE, HR_SNAT_OLDEST, HR_SNAT_PORT_LOW, HR_SNAT_PORT_HIGH,
	HR_SNAT_NFIELDS
};
/* One tuple: subject "10.0.0.1->10.0.0.2:80/tcp" (translated source,
 * destination, protocol), values, and for each field without a value the
 * reason (a static string, borrowed). */
struct hr_snat_tuple {
	const char *subject;
	double v[HR_SNAT_NFIELDS];
	const char *missing[HR_SNAT_NFIELDS]; /* non-NULL: no value, this reason */
};
/* A field's name without the "snat." prefix ("in_use"), or NULL. */
const char *hr_snat_field_name(enum hr_snat_field k);
/* Adds a tuple (copied) to the snat_tuples collection. 0 or -ENOMEM. */
int hr_facts_add_snat_tuple(hr_facts *f, const struct hr_snat_tuple *t, const char *source);

/* ---- connect() failures seen by the eBPF trace (trace.c; facts-trace.c) ---- */

/* One process's failed connect() calls toward one destination with one
 * errno, as the trace counted them. Strings are copied; NULL strings read
 * as missing. */
struct hr_connect_failure {
	const char *dest;    /* "10.0.0.2:5774" */
	const char *host;
	const char *error;   /* "EADDRNOTAVAIL" */
	const char *comm;
	const char *cgroup;  /* cgroup v2 path while the process lives, else NULL */
	const char *container; /* container id (64 hex) from that path, else NULL */
	double port, err, pid, cgroup_id, netns, count, rate, seconds;
};
/* Adds to connect_failures: one item per program (comm, cgroup, namespace),
 * destination and errno, subject "curl->10.0.0.2:5774/EADDRNOTAVAIL" (no
 * pid: one process per request would make an item per request, and the
 * subject is a Prometheus label). Processes of one item are summed
 * (fail.count, fail.rate), counted (fail.processes), and fail.pid is the
 * one with the most failures. 0 or -ENOMEM. */
int hr_facts_add_connect_failure(hr_facts *f, const struct hr_connect_failure *c, const char *source);

/* ---- lookups for the rules engine ---- */

/* Looks up a scalar fact by name. index >= 0 selects a field of a vector
 * sysctl ("net.ipv4.ip_local_port_range[1]"), -1 means the whole value.
 * Returns 0 with out->type HR_V_MISSING (and out->missing) when the fact is
 * known but not available here, -ENOENT when no such fact can exist,
 * -EDOM when index is out of range or a vector is used without index. */
int hr_facts_get(const hr_facts *f, const char *name, int index, struct hr_value *out);
/* True when name is a fact that can exist (for linting rules). */
bool hr_facts_name_known(const char *name);

size_t hr_facts_count(const hr_facts *f, enum hr_coll c);
/* Field of item i of a collection: "dest.rate", "listener.queue", "port.number".
 * Same return convention as hr_facts_get. */
int hr_facts_item_get(const hr_facts *f, enum hr_coll c, size_t i, const char *field,
		      struct hr_value *out);
/* True when field is a field items of the collection have (for linting). */
bool hr_facts_item_field_known(enum hr_coll c, const char *field);
/* The subject of item i: "10.0.0.2:5774", "[::1]:80", "32768". Borrowed (static buffer per call). */
const char *hr_facts_item_subject(const hr_facts *f, enum hr_coll c, size_t i);

/* Counts the ports of an ip_local_reserved_ports list ("1000-1010,2000")
 * inside [lo, hi]; with mark (a 65536-bit map), counts each port once and
 * marks it. The rules engine uses it to recompute ports.* for what-ifs. */
int64_t hr_ports_reserved_in(const char *list, int64_t lo, int64_t hi, uint8_t *mark);

/* The ephemeral port model: range size, reserved ports in it, this box's
 * listening ports in it (not counted twice), and what connect() can use per
 * destination. */
struct hr_ports {
	int64_t lo, hi, size, reserved, listeners, usable;
};
/* Computes the model for a range and a reserved-ports list (NULL: none)
 * over the listening ports seen. 0, or -EINVAL for a range the kernel would
 * refuse (outside 0..65535, or low > high). The facts' own "ports.*" and the
 * rules engine's what-if overlay both use it. */
int hr_facts_ports_model(const hr_facts *f, int64_t lo, int64_t hi, const char *reserved,
			 struct hr_ports *out);

/* Kernel release as a comparable version: "6.18.44-fc" vs "4.12" -> <0, 0, >0.
 * Returns -2 (and sets *ok=false) when the release is unknown. */
int hr_kernel_version_cmp(const char *release, const char *version, bool *ok);

/* TIME_WAIT age histogram: bins of 1 s (age = 60 s - time left), and the
 * least time left seen (the exact age of the oldest). */
struct hr_twhist {
	uint32_t bins[HR_TW_LEN_S + 1];
	uint32_t min_expires_ms; /* least time left + 1 (ms); 0 when empty */
};

/* Adds one TIME_WAIT socket with expires_ms left on its timer. */
void hr_twhist_add(struct hr_twhist *h, uint32_t expires_ms);

/* Rate estimate from a TIME_WAIT age histogram: arrivals / window, where
 * window is the largest of 1, 5, 10, 30, 60 s covered by the observed
 * history (Little's law over TIME_WAIT); when that window reaches past the
 * oldest socket (a flow younger than the window), the exact history length
 * is used instead, so a partly filled oldest bin does not dilute the rate. */
double hr_tw_rate(const struct hr_twhist *h, double *window_s);

/* The whole model as the report tree's "facts" object (owned). */
json_t *hr_facts_to_json(const hr_facts *f);
/* What the audit's text report shows of the facts: {} or, with the
 * destinations folded, {"sockets": {"other_destinations": {...}}} as in
 * hr_facts_to_json (whose tree of every fact costs the text nothing to skip). */
json_t *hr_facts_text_json(const hr_facts *f);

/* Formats "host:port" (IPv6 in brackets) into buf; returns buf. */
char *hr_format_endpoint(char *buf, size_t n, int family, const uint8_t *addr, uint16_t port);

#endif
