/* facts-int.h: the facts model's insides, shared by its files only (not
 * installed, not for callers: they use facts.h).
 *
 *   facts.c          the model: lifetime, scalar facts, problems
 *   facts-get.c      hr_facts_get: the lookup by name over the files below
 *   facts-sockets.c  streaming socket aggregation, TIME_WAIT histograms
 *   facts-ports.c    the ephemeral port model (ports.*)
 *   facts-items.c    sockets.* totals and the for_each collections
 *   facts-json.c     the report tree's "facts" object
 *   facts-clock.c    when each source was read, probe.*_age, the report's clock
 *
 * Every file includes this header and nothing of the others; the socket
 * hot path (hr_facts_add_socket) stays in one file with its helpers, and
 * what it shares with others is static inline here. */
#ifndef HR_FACTS_INT_H
#define HR_FACTS_INT_H

#include <string.h>

#include "facts.h"

#define TW_BINS (HR_TW_LEN_S + 1)
#define MAX_FIELDS 8

/* A scalar fact: a sysctl, a counter, a rate, a string. */
struct entry {
	char *name;
	char *raw;      /* sysctl raw text or string value */
	char *source;
	char *missing;  /* non-NULL: fact absent, with reason */
	bool is_sysctl;
	bool is_num;    /* numeric (a counter, or a sysctl whose fields are all integers) */
	int nfields;
	double fields[MAX_FIELDS];
};

/* A path declared for a destination (workload: rtt, bandwidth). */
struct hr_path {
	bool declared;
	double rtt_s, rate; /* seconds, bytes/s */
	char *source;
};

/* Path and buffers of the sockets of an aggregate (facts-buffers.c). */
struct hr_bufagg;

/* Port model (issue 25): the local addresses toward one destination, each
 * with its own port range (the limit is per source, destination, port).
 * HR_DEST_SOURCES kept per destination, the rest in one 'other sources'
 * bucket: memory stays bounded by HR_FACTS_MAX_DESTS x a constant. The
 * first source is inline; the others are made when a second one appears
 * (most destinations have one: 24 bytes each, not 120). */
#define HR_DEST_SOURCES 4
struct dsrc {
	uint8_t addr[16];  /* the destination's family; IPv4 in the first 4 bytes */
	uint32_t in_use;   /* outbound sockets from it toward the destination */
	uint32_t timewait; /* of which in TIME_WAIT */
};
struct dsrc_more {
	struct dsrc src[HR_DEST_SOURCES - 1]; /* sources 2 .. HR_DEST_SOURCES */
	struct dsrc other;                    /* sockets from every further source */
};

/* Aggregate for one outbound destination (remote IP, remote port). */
struct dest {
	uint64_t ka, kb; /* addr as two words: the lookup key, compared without memcmp */
	int family;
	uint8_t addr[16];
	uint16_t port;
	uint32_t states[HR_TCP_NSTATES];
	uint32_t total; /* outbound sockets toward it: local ports in use */
	struct hr_twhist tw;
	double declared_rate;
	bool declared;
	bool declared_local_closes;
	char *declared_source;
	bool traced;                /* seen by the eBPF trace (trace_* below) */
	double trace_rate;          /* new connections/s the trace counted */
	double trace_port_failures; /* connect() failures for want of a port in the trace */
	struct hr_bufagg *buf;      /* tcp_info/skmeminfo of its sockets, NULL until one came */
	struct hr_path path;
	/* Port model (issue 25). */
	uint8_t nsrc;                       /* sources kept (hr_dest_src) */
	struct dsrc src0;                   /* the first source */
	struct dsrc_more *more;             /* NULL until a second source */
	uint32_t parity[2];                 /* sockets by local port parity (even, odd) */
	uint32_t ts_yes, ts_no;             /* ESTABLISHED with tcp_info: timestamps negotiated or not */
	double declared_sources;            /* workload 'sources:' (0: not declared) */
};

/* Source i (< nsrc) of a destination. */
static inline struct dsrc *hr_dest_src(const struct dest *d, int i)
{
	return i == 0 ? (struct dsrc *)&d->src0 : &d->more->src[i - 1];
}

/* The 'other sources' bucket, or NULL while there is none. */
static inline const struct dsrc *hr_dest_src_other(const struct dest *d)
{
	return d->more && d->more->other.in_use ? &d->more->other : NULL;
}

/* A hash slot: the key inline, so a lookup touches one small array that
 * stays in cache while a dump streams through. */
struct dslot {
	uint64_t ka, kb;
	uint32_t pf;   /* port << 8 | family */
	uint32_t idx;  /* index in dest_list + 1; 0 = empty */
};

/* A local listener (IP, port). */
struct listener {
	int family;
	uint8_t addr[16];
	uint16_t port;
	uint32_t queue, backlog;
	bool observed; /* false: only declared in a workload */
	bool backlog_unknown; /* the socket source does not show the backlog */
	uint32_t nsockets;    /* LISTEN sockets on it (SO_REUSEPORT: more than one) */
};

/* Inbound aggregate per local listening port. */
struct inport {
	uint16_t port;
	uint32_t states[HR_TCP_NSTATES];
	uint32_t total;
	struct hr_twhist tw;
	double declared_rate;
	bool declared_server_closes;
	bool declared;
	struct hr_bufagg *buf; /* tcp_info/skmeminfo of its sockets, NULL until one came */
	struct hr_path path;   /* declared path of uploads to it (workload inbound rtt, bandwidth) */
};

/* Idle times of ESTABLISHED sockets without a keepalive timer: 1 s bins,
 * the last holding every older one (facts-live.c). */
#define HR_IDLE_BINS 7201

/* What the live sockets tell beyond states (facts-live.c): keepalive
 * timers and idle times of ESTABLISHED TCP sockets, and UDP sockets. */
struct live {
	uint64_t est_ka;     /* ESTABLISHED with the keepalive timer (idiag_timer 2) */
	uint64_t est_noka;   /* ESTABLISHED with no timer: idle, no SO_KEEPALIVE */
	uint64_t est_busy;   /* ESTABLISHED with another timer (retransmit, zero-window probe) */
	bool idle_known;     /* idle times were asked for and came */
	uint32_t *idle_noka; /* HR_IDLE_BINS, made at the first idle time */
	bool have_worst;
	struct hr_sock worst; /* the no-keepalive socket idle longest */
	bool udp_known;
	uint64_t udp, udp_connected, udp_drops;
	bool have_udp_worst;
	struct hr_sock udp_worst; /* the UDP socket with most drops (the first with memory) */
	char subject[2][136];     /* formatted worst (keepalive) and udp_worst, for the getters */
};

struct problem {
	char *source;
	char *message;
	bool input; /* a required input refused or malformed (hr_facts_add_input_error) */
};

/* A slot of the facts' name hash: index into ents + 1 (0 = empty) and the
 * name's hash (most probes end without reading the name). */
struct eslot {
	uint32_t idx, hash;
};

struct hr_facts {
	/* The entries, dense in insertion order (moved when grown: hold no
	 * pointer across a set), found through open addressing on slots.
	 * Only the pages of entries in use are touched: the inline table
	 * this replaced (2,048 entries of 104 bytes) was 52 page faults a
	 * probe, a millisecond where a fault costs 20 us. */
	struct entry *ents;
	size_t nents, capdense;
	struct eslot *slots;
	size_t capents; /* slots, a power of two, at least twice nents */

	struct dslot *dests;   /* open addressing on (family, addr, port), keys inline */
	size_t ndests, capdests;
	struct dest **dest_list; /* insertion order, for iteration */
	struct dest *last_dest;  /* one-entry lookup cache */
	/* Sockets toward destinations met after HR_FACTS_MAX_DESTS were held:
	 * one aggregate, not in dests/dest_list (no rule iterates it). */
	struct dest other;
	bool folded;

	struct listener *listeners;
	size_t nlisteners, caplisteners;
	struct inport *inports;
	size_t ninports, capinports;
	/* port -> inports index, or -1: 256 pages of 256 ports, each made when
	 * a port in it first listens (one flat 256 KiB table was 64 page
	 * faults for the first listener, a millisecond on a quiet probe). */
	int32_t *port_index[256];
	uint8_t listening[65536 / 8];

	uint64_t states[HR_TCP_NSTATES];
	uint64_t total, inbound, outbound;
	/* Port model: local ports held by outbound sockets, whatever the
	 * destination or address (what bind(addr, 0) cannot take). */
	uint8_t lports[65536 / 8];
	uint32_t nlports;
	struct hr_twhist tw;
	bool have_sockets;
	struct live live;

	struct problem *problems;
	size_t nproblems;

	char *root, *socket_source;
	double interval_s;
	struct hr_stamp read[HR_SRC_N]; /* when each source was read (facts-clock.c) */
	struct hr_stamp report;         /* when the report is made */
	char subject[160];

	struct snat_item *snat; /* source-NAT tuples (conntrack.c), bounded there */
	size_t nsnat, capsnat;
	char *snat_source;

	bool traced;             /* an eBPF trace was added (dest.trace_* are 0, not missing) */
	struct trace_dest *tdests; /* the trace's destinations, for destinations declared later */
	size_t ntdests, captdests;
	struct fail_item *fails; /* connect() failures of the eBPF trace (facts-trace.c) */
	size_t nfails, capfails;
	unsigned extra_refs; /* hr_facts_ref: hr_facts_free calls before the model goes */
};

/* A destination the eBPF trace counted (facts-sockets.c). */
struct trace_dest {
	int family;
	uint8_t addr[16];
	uint16_t port;
	double rate, port_failures;
};

/* A stored connect_failures item (facts-trace.c). */
struct fail_item {
	char *str[7]; /* subject, dest, host, error, comm, cgroup, container */
	double v[9];  /* port, errno, pid, cgroup_id, netns, count, rate, seconds, processes */
	double pid_count; /* the failures of pid (the process with the most) */
};
/* facts-trace.c: the connect_failures items, for facts-items.c. */
int hr_facts_fail_get(const hr_facts *f, size_t i, const char *k, struct hr_value *out);
extern const char *const hr_facts_fail_fields[];
void hr_facts_fails_free(hr_facts *f);

/* A stored snat_tuples item. */
struct snat_item {
	char *subject;
	double v[HR_SNAT_NFIELDS];
	const char *missing[HR_SNAT_NFIELDS];
};

/* True when a listener was seen (or declared) on port: inline, the socket
 * hot path asks it for every socket. */
static inline bool hr_facts_port_listening(const hr_facts *f, uint16_t port)
{
	return f->listening[port >> 3] & (1u << (port & 7));
}

/* The inports index of a listening port, or -1. */
static inline int32_t hr_facts_inport_index(const hr_facts *f, uint16_t port)
{
	const int32_t *pg = f->port_index[port >> 8];

	return pg ? pg[port & 0xff] : -1;
}

/* Fills a looked-up value: a number. */
static inline void hr_val_num(struct hr_value *v, double n, const char *source)
{
	memset(v, 0, sizeof(*v));
	v->type = HR_V_NUM;
	v->num = n;
	v->source = source;
	v->nfields = 1;
}

/* Fills a looked-up value: a boolean (0/1). */
static inline void hr_val_bool(struct hr_value *v, bool b, const char *source)
{
	hr_val_num(v, b ? 1 : 0, source);
	v->type = HR_V_BOOL;
}

/* Fills a looked-up value: a borrowed string. */
static inline void hr_val_str(struct hr_value *v, const char *s, const char *source)
{
	memset(v, 0, sizeof(*v));
	v->type = HR_V_STR;
	v->str = s;
	v->source = source;
	v->nfields = 1;
}

/* Fills a looked-up value: missing, with why. */
static inline void hr_val_missing(struct hr_value *v, const char *why)
{
	memset(v, 0, sizeof(*v));
	v->type = HR_V_MISSING;
	v->missing = why;
}

/* facts.c: the scalar entry for name, or NULL. */
struct entry *hr_facts_ent_find(const hr_facts *f, const char *name);

/* facts-sockets.c: TIME_WAIT sockets of a histogram born in the last w s. */
uint32_t hr_tw_bins_count(const uint32_t *bins, int w);

/* facts-ports.c: the ephemeral port model of this box's own sysctls. */
struct hr_portfacts {
	bool ok;
	const char *why;     /* !ok: why there is no model */
	const char *source;  /* ok: where the range came from */
	struct hr_ports m;   /* ok: the model */
};
void hr_facts_ports_current(const hr_facts *f, struct hr_portfacts *pm);
/* facts-ports.c: a "ports.*" fact (k without the prefix); hr_facts_get's convention. */
int hr_facts_ports_get(const hr_facts *f, const char *k, int index, struct hr_value *out);

/* facts-clock.c: every stamp unknown (hr_facts_new). */
void hr_facts_clock_reset(hr_facts *f);
/* facts-clock.c: a "probe.*" fact (k without the prefix); hr_facts_get's convention. */
int hr_facts_probe_get(const hr_facts *f, const char *k, int index, struct hr_value *out);
/* facts-clock.c: facts.probe.read {source: {at, unix, monotonic}} (owned). */
json_t *hr_facts_read_json(const hr_facts *f);

/* facts-live.c: one ESTABLISHED TCP socket's keepalive timer and idle time. */
void hr_facts_live_tcp(hr_facts *f, const struct hr_sock *s);
/* facts-live.c: "sockets.keepalive_*" and "sockets.udp_*" (k without
 * "sockets."), hr_facts_get's convention; -ENOENT for other names. */
int hr_facts_live_get(const hr_facts *f, const char *k, struct hr_value *out);
/* facts-live.c: facts.sockets.keepalive (udp false) or facts.sockets.udp (owned). */
json_t *hr_facts_live_json(const hr_facts *f, bool udp);

/* facts-buffers.c: folds one socket's path and buffers into *a (made on first use). */
void hr_facts_buf_add(struct hr_bufagg **a, const struct hr_tcpbuf *b);
void hr_facts_buf_free(struct hr_bufagg *a);
/* facts-buffers.c: the buf_* and path_* item fields (NULL-ended); known? */
extern const char *const hr_facts_buf_fields[];
bool hr_facts_buf_field_known(const char *k);
/* facts-buffers.c: one buf_* / path_* field of an aggregate (a, p may be
 * NULL); hr_facts_get's convention. */
int hr_facts_buf_get(const hr_facts *f, const struct hr_bufagg *a, const struct hr_path *p, const char *k,
		     struct hr_value *out);
/* facts-buffers.c: the buf_* and path_* fields known of an aggregate as a
 * JSON object (owned), NULL when there is neither. */
json_t *hr_facts_buf_json(const hr_facts *f, const struct hr_bufagg *a, const struct hr_path *p);
/* facts-buffers.c: "sockets.buf_need", "sockets.buf_sockets" (k without the prefix). */
int hr_facts_buf_totals(const hr_facts *f, const char *k, struct hr_value *out);

/* facts-items.c: a "sockets.*" fact (k without the prefix); hr_facts_get's convention. */
int hr_facts_sockets_get(const hr_facts *f, const char *k, int index, struct hr_value *out);

#endif
