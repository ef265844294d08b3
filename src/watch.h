/* watch.h: the model behind `headroom watch`: successive audit reports in,
 * one bounded frame out (what moved since the previous refresh).
 *
 * Each refresh is one audit report (hr_audit_run: probe, rules, facts).
 * hr_watch_update() reduces it to the figures the live view shows and keeps
 * only what the next refresh needs to measure change: the ports in use of
 * the top HR_WATCH_MAX_DESTS destinations, a few counters, and the time each
 * current finding appeared or changed severity (at most HR_WATCH_MAX_MARKS).
 * Memory is fixed: struct hr_watch holds no pointers to the reports and
 * nothing grows with refreshes, destinations or sockets.
 *
 * Lower layer: never prints, never touches the terminal (cmd-watch.c does).
 */
#ifndef HR_WATCH_H
#define HR_WATCH_H

#include <jansson.h>

#include "rules.h"
#include <time.h>

#include "headroom.h"

/* Destinations followed between refreshes (the --top limit). */
#define HR_WATCH_MAX_DESTS 32
#define HR_WATCH_DEFAULT_DESTS 8
/* Listeners shown (fullest accept queues first). */
#define HR_WATCH_MAX_LISTENERS 5
/* Findings whose appearance time is remembered. */
#define HR_WATCH_MAX_MARKS 64
#define HR_WATCH_SUBJECT 64
#define HR_WATCH_TEXT 512

/* One outbound destination, among the fullest by ports in use. */
struct hr_watch_dest {
	char subject[HR_WATCH_SUBJECT]; /* "10.0.0.2:5774" */
	double in_use;                  /* local ports held (all states), socket dump */
	double usable;                  /* ports connect() can use to it (ports.usable) */
	double growth_per_s;            /* change of in_use since the previous refresh / elapsed; NAN first time */
	double rate_per_s;              /* new connections/s from TIME_WAIT ages (the rule's rate); NAN if none */
	double tte_rule_s;              /* the rule's seconds_to_exhaustion; INFINITY: not heading there; NAN: no rule */
	double tte_trend_s;             /* (usable - in_use) / growth_per_s when growing; INFINITY otherwise */
	int rank;                       /* severity of its port finding (hr_audit_severity_rank) */
};

/* A counter watched for movement between refreshes. */
struct hr_watch_counter {
	const char *label; /* "ListenOverflows" */
	const char *key;   /* the line mode key: "listen_overflows" */
	bool have;         /* value known this refresh */
	double value;      /* current value */
	double delta;      /* increase since the previous refresh (NAN: no previous) */
	const char *why;   /* when !have: why not */
};

enum { HR_WATCH_C_LISTEN_OVERFLOWS, HR_WATCH_C_TW_OVERFLOW, HR_WATCH_C_CT_DROPS, HR_WATCH_NCOUNTERS };

/* A current (not ok) finding with the time it appeared or changed severity. */
struct hr_watch_mark {
	char rule[HR_WATCH_SUBJECT];
	char subject[HR_WATCH_SUBJECT];
	int rank;
	char since[9];              /* "HH:MM:SS" local time */
	bool fresh;                 /* appeared or changed at this refresh */
	char message[HR_WATCH_TEXT];
};

struct hr_watch_listener {
	char subject[HR_WATCH_SUBJECT];
	double queue, backlog;
};

struct hr_watch {
	/* ---- what the next refresh compares against ---- */
	unsigned long refreshes; /* reports seen */
	double t_mono;           /* hr_now() of the current report */
	double t_report;         /* CLOCK_MONOTONIC its times to exhaustion count from (summary.clock) */
	double elapsed_s;        /* since the previous report (0 first time) */
	size_t top;              /* destinations to follow (1..HR_WATCH_MAX_DESTS) */

	/* ---- the frame ---- */
	char status[16];               /* "CRITICAL" */
	int exit_code;                 /* 0..3 like audit */
	char verdict[HR_WATCH_TEXT];   /* the audit's verdict line */
	size_t cd_off, cd_len;         /* its countdown phrase ("in 8.2 s"); cd_len 0: none */
	double cd_s;                   /* the time that phrase says, from t_report */
	char top_rule[HR_WATCH_SUBJECT], top_subject[HR_WATCH_SUBJECT]; /* worst finding, "" if all ok */
	size_t ndests;
	size_t dests_total;            /* destinations in the report (ndests of them followed) */
	struct hr_watch_dest dests[HR_WATCH_MAX_DESTS];
	double tw_total, tw_max;       /* TIME_WAIT sockets; net.ipv4.tcp_max_tw_buckets (NAN unknown) */
	double tw_born[5];             /* born in the last 1, 5, 10, 30, 60 s (NAN unknown) */
	double tw_rate;                /* sockets.timewait_rate_per_s */
	double ct_count, ct_max;       /* nf_conntrack_count / _max; NAN: conntrack not loaded */
	const char *ct_why;            /* why ct_* are unknown */
	size_t nlisteners;
	struct hr_watch_listener listeners[HR_WATCH_MAX_LISTENERS];
	struct hr_watch_counter counters[HR_WATCH_NCOUNTERS];
	size_t nmarks;
	size_t marks_dropped;          /* not-ok findings beyond HR_WATCH_MAX_MARKS */
	struct hr_watch_mark marks[HR_WATCH_MAX_MARKS];
	char socket_source[64];        /* "netlink sock_diag" */
	char ct_drops_why[128];        /* why the conntrack drops are unknown (the facts' reason; read
					* this, not its counter's why, in a copy of the model) */
	/* watch --trace (watch-trace.c): the eBPF evidence since the previous refresh */
	bool traced;
	double trace_s;                /* attached for this long */
	double trace_new_per_s, trace_accepted_per_s; /* new connections per second out, accepted */
	double trace_failed;           /* connect() failures */
	char trace_fails[HR_WATCH_TEXT]; /* "10.0.0.2:80 EADDRNOTAVAIL 12 (curl), ...", most first */
};

/* watch --trace: the collector attached once for the whole watch
 * (watch-trace.c). open: 0 or -errno with err (hr_trace_open's reasons);
 * update: reads the maps and puts what moved since the previous update
 * into m (traced, trace_*); close: detaches and frees (NULL is fine). */
struct hr_watch_trace;
int hr_watch_trace_open(struct hr_watch_trace **out, struct hr_err *err);
void hr_watch_trace_update(struct hr_watch_trace *wt, struct hr_watch *m);
void hr_watch_trace_close(struct hr_watch_trace *wt);

/* Initialises an empty model following top destinations (clamped to 1..HR_WATCH_MAX_DESTS). */
void hr_watch_init(struct hr_watch *w, size_t top);

/* Folds one audit report into the model: rs the rules it was made with
 * (which of them watch follows: present: watch), now is hr_now() when the
 * report was made, wall its wall-clock time (for the HH:MM:SS marks). The
 * conntrack drops are the facts' conntrack.stat.drop + early_drop. */
void hr_watch_update(struct hr_watch *w, const json_t *report, const hr_ruleset *rs, double now, time_t wall);

/* A destination's time to exhaustion at now (hr_now()): the rule's,
 * counted down since the report; 0 once passed; INFINITY and NAN kept. */
double hr_watch_tte_at(const struct hr_watch *w, const struct hr_watch_dest *d, double now);
/* Seconds for the view: "12.3 s", "4 min", "2.0 h", "not heading there"
 * (infinite), "-" (unknown). Returns buf. */
const char *hr_watch_fmt_tte(char *buf, size_t n, double s);
/* True while a time to exhaustion of the frame is still counting down at now. */
bool hr_watch_counting(const struct hr_watch *w, double now);
/* The verdict with its countdown phrase counted down to now, into buf. */
char *hr_watch_verdict_at(const struct hr_watch *w, double now, char *buf, size_t n);

/* The greppable one-line form of the frame (no newline) into buf:
 * "2026-12-02T14:50:01+0000 CRITICAL top=RULE@SUBJECT key=value ... verdict=\"...\"".
 * Returns buf. */
char *hr_watch_line(const struct hr_watch *w, time_t wall, char *buf, size_t n);

#endif
