/* clock.h: when a report's inputs were read, and the moment its
 * predictions count from.
 *
 * Every source the probe reads is stamped on both clocks (CLOCK_REALTIME
 * for people and other machines, CLOCK_MONOTONIC for exact intervals in
 * this boot). Every "in N s" of a report counts from one moment, its
 * anchor:
 *   - a live audit: the moment the report is made. The probe reads the
 *     sockets before the counter interval runs out, so the rules subtract
 *     the time since each source was read (probe.sockets_age,
 *     probe.conntrack_age): under the model's own assumption, the load
 *     holding, the free ports fell at the rate it measured, so the absolute
 *     moment of exhaustion is the same whenever it is shown;
 *   - a captured tree: the capture (when its sockets were dumped,
 *     DIR/headroom/clock), which the report states with its age;
 *   - a prediction from declared load alone (no live state): now (the
 *     rule says so in its own words: ports.yaml's headline).
 * Lower layer: no facts, no printing. */
#ifndef HR_CLOCK_H
#define HR_CLOCK_H

#include <jansson.h>

#include "headroom.h"

/* The sources a probe stamps, in the order a live probe reads them. */
enum hr_src {
	HR_SRC_COUNTERS,  /* first counter sample (sockstat, snmp, netstat) */
	HR_SRC_SYSCTLS,   /* /proc/sys */
	HR_SRC_SOCKETS,   /* the socket dump (or the tree's tcp files) */
	HR_SRC_CONNTRACK, /* conntrack entries and statistics */
	HR_SRC_KMSG,      /* the kernel log */
	HR_SRC_COUNTERS2, /* the second counter sample (rates) */
	HR_SRC_N
};
/* "counters", "sysctls", "sockets", "conntrack", "kmsg", "counters2". */
extern const char *const hr_src_names[HR_SRC_N];

/* One moment on both clocks, seconds; NAN where unknown. */
struct hr_stamp {
	double real; /* CLOCK_REALTIME (Unix time) */
	double mono; /* CLOCK_MONOTONIC (hr_now()), meaningful within one boot */
};

/* Both clocks now. */
struct hr_stamp hr_stamp_now(void);
/* A stamp with neither clock known. */
struct hr_stamp hr_stamp_unknown(void);
/* Seconds from a to b: on the monotonic clock when both have it, else on
 * the real-time clock; NAN when neither is known on both. */
double hr_stamp_diff(struct hr_stamp a, struct hr_stamp b);

/* What a renderer needs to say where a countdown starts. */
struct hr_clock {
	bool capture;       /* a captured tree: predictions count from the capture */
	double anchor_real; /* the moment they count from (Unix s); NAN: a tree that does not say */
	double report_real; /* when the report was made (Unix s) */
	double report_mono; /* the same moment on CLOCK_MONOTONIC */
};

/* UTC with tenths: "2026-12-07T17:07:04.3Z" (rounded); "unknown" for NAN. Returns buf. */
char *hr_fmt_utc(char *buf, size_t n, double unix_s);
/* An age for people: "9.8 s", "12 min", "2.0 h", "3.1 days". Returns buf. */
char *hr_fmt_age(char *buf, size_t n, double s);
/* The phrase for a prediction x seconds after the anchor (x >= 0), the
 * rules' template format `countdown` in a sentence:
 *   live:      "in 8.2 s", or "now" when x rounds to 0.0;
 *   a capture: "28.2 s after the capture at 2026-12-07T17:07:04.3Z, 2.0 h ago:
 *              exhausted since, if the load held" (or ": in 18.2 s, if the
 *              load held" while that moment is still ahead);
 *   a capture of unknown time: "28.2 s after the capture (the tree does
 *              not say when it was taken)".
 * "unknown" when x is not finite. Returns buf. */
char *hr_fmt_countdown(char *buf, size_t n, double x, const struct hr_clock *c);
/* The same in a table cell (`countdown` in present: table), under a
 * header such as "EXHAUSTED IN": live "8.2 s" ("now" when x rounds to
 * 0.0), a capture "28.2 s after the capture" (the report says when, once);
 * "unknown" when x is not finite. Returns buf. */
char *hr_fmt_countdown_short(char *buf, size_t n, double x, const struct hr_clock *c);

/* Reads a report's summary.clock (hr_facts_clock_json) into c. 0, or
 * -ENOENT when the report has none (c then says live, times unknown). */
int hr_clock_from_json(const json_t *clock, struct hr_clock *c);

#endif
