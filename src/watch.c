/* watch.c: the live view's model: one audit report per refresh in, the
 * figures that moved out, with fixed memory (see watch.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "clock.h"
#include "lazy.h"
#include "severity.h"
#include "watch.h"

#define NOCT "conntrack module not loaded"

static const char *const tw_windows[5] = {"1s", "5s", "10s", "30s", "60s"};

void hr_watch_init(struct hr_watch *w, size_t top)
{
	memset(w, 0, sizeof(*w));
	w->top = top < 1 ? 1 : top > HR_WATCH_MAX_DESTS ? HR_WATCH_MAX_DESTS : top;
	w->exit_code = HR_AUDIT_UNKNOWN;
	snprintf(w->status, sizeof(w->status), "UNKNOWN");
	w->counters[HR_WATCH_C_LISTEN_OVERFLOWS] = (struct hr_watch_counter){
		.label = "ListenOverflows", .key = "listen_overflows", .delta = NAN};
	w->counters[HR_WATCH_C_TW_OVERFLOW] = (struct hr_watch_counter){
		.label = "TCPTimeWaitOverflow", .key = "tw_overflow", .delta = NAN};
	w->counters[HR_WATCH_C_CT_DROPS] = (struct hr_watch_counter){
		.label = "conntrack drops", .key = "ct_drops", .delta = NAN};
}

/* A number from a JSON object, NAN when absent or not a number. */
static double num(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* A number that may be null for "no limit" (seconds_to_exhaustion: null = not heading there). */
static double num_or_inf(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	if (json_is_number(v))
		return json_number_value(v);
	return json_is_null(v) ? INFINITY : NAN;
}

/* The first numeric field of a sysctl in the facts, NAN when absent. */
static double sysctl_num(const json_t *facts, const char *key)
{
	const json_t *s = json_object_get(json_object_get(facts, "sysctls"), key);

	return json_is_number(json_array_get(json_object_get(s, "fields"), 0))
		       ? json_number_value(json_array_get(json_object_get(s, "fields"), 0))
		       : NAN;
}

/* Copies a JSON string into a fixed buffer ("" when absent). */
static void copy_str(char *dst, size_t n, const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	snprintf(dst, n, "%s", s ? s : "");
}

/* True when destination a should be shown before b: worse severity, then more ports in use. */
static bool dest_before(const struct hr_watch_dest *a, const struct hr_watch_dest *b)
{
	if (a->rank != b->rank)
		return a->rank < b->rank;
	return a->in_use > b->in_use;
}

/* The top subjects from the findings of the rules that declare what watch
 * follows (present: watch; one finding per subject, ok ones included),
 * kept sorted in a fixed array: O(findings x top). */
static void pick_dests(struct hr_watch *w, const json_t *findings, const hr_ruleset *rs,
		       const struct hr_watch_dest *prev, size_t nprev)
{
	size_t i, j;
	const json_t *fi;
	const char *const *role = NULL;
	char last_rule[256] = "";
	bool followed = false;
	struct hr_lazy_iter it;

	w->ndests = 0;
	w->dests_total = 0;
	/* Every finding, those of a lazy report (lazy.h) made one at a time. */
	hr_lazy_iter_init(&it, findings);
	while ((fi = hr_lazy_next(&it))) {
		const json_t *m = json_object_get(fi, "metrics");
		const char *rule = json_string_value(json_object_get(fi, "rule")) ?: "";
		struct hr_watch_dest d = {0};
		long ri;

		/* Findings come grouped by severity, often several of a rule in a row. */
		if (!last_rule[0] || strcmp(rule, last_rule)) {
			snprintf(last_rule, sizeof(last_rule), "%s", rule);
			ri = rs ? hr_ruleset_index(rs, rule) : -ENOENT;
			followed = ri >= 0 && hr_ruleset_watch(rs, (size_t)ri, &role);
		}
		if (!followed)
			continue;
		w->dests_total++;
		copy_str(d.subject, sizeof(d.subject), fi, "subject");
		d.in_use = num(m, role[HR_WATCH_USED]);
		d.usable = num(m, role[HR_WATCH_LIMIT]);
		d.rate_per_s = num(m, role[HR_WATCH_RATE]);
		d.tte_rule_s = num_or_inf(m, role[HR_WATCH_TIME_LEFT]);
		d.rank = hr_sev_rank(json_string_value(json_object_get(fi, "severity")));
		if (isnan(d.in_use))
			d.in_use = 0;
		if (w->ndests == w->top && !dest_before(&d, &w->dests[w->ndests - 1]))
			continue;
		j = w->ndests < w->top ? w->ndests++ : w->ndests - 1;
		while (j > 0 && dest_before(&d, &w->dests[j - 1])) {
			w->dests[j] = w->dests[j - 1];
			j--;
		}
		w->dests[j] = d;
	}
	hr_lazy_iter_end(&it);
	/* The measured rate: the change in each destination's sockets since
	 * the previous refresh (only for destinations followed both times). */
	for (i = 0; i < w->ndests; i++) {
		struct hr_watch_dest *d = &w->dests[i];

		d->growth_per_s = NAN;
		d->tte_trend_s = INFINITY;
		for (j = 0; j < nprev && w->elapsed_s > 0; j++)
			if (!strcmp(prev[j].subject, d->subject)) {
				d->growth_per_s = (d->in_use - prev[j].in_use) / w->elapsed_s;
				break;
			}
		if (d->growth_per_s > 0 && d->usable > d->in_use)
			d->tte_trend_s = (d->usable - d->in_use) / d->growth_per_s;
		else if (d->growth_per_s > 0)
			d->tte_trend_s = 0;
	}
}

/* The fullest accept queues (by fill of the backlog, then length). */
static void pick_listeners(struct hr_watch *w, const json_t *listeners)
{
	size_t i, j;
	json_t *l;

	w->nlisteners = 0;
	json_array_foreach(listeners, i, l) {
		struct hr_watch_listener x = {0};
		double fx, fy;

		copy_str(x.subject, sizeof(x.subject), l, "subject");
		x.queue = num(l, "queue");
		x.backlog = num(l, "backlog");
		if (isnan(x.queue))
			x.queue = 0;
		fx = x.backlog > 0 ? x.queue / x.backlog : 0;
		if (w->nlisteners == HR_WATCH_MAX_LISTENERS) {
			const struct hr_watch_listener *y = &w->listeners[w->nlisteners - 1];

			fy = y->backlog > 0 ? y->queue / y->backlog : 0;
			if (fx < fy || (fx == fy && x.queue <= y->queue))
				continue;
		}
		j = w->nlisteners < HR_WATCH_MAX_LISTENERS ? w->nlisteners++ : w->nlisteners - 1;
		while (j > 0) {
			const struct hr_watch_listener *y = &w->listeners[j - 1];

			fy = y->backlog > 0 ? y->queue / y->backlog : 0;
			if (fx < fy || (fx == fy && x.queue <= y->queue))
				break;
			w->listeners[j] = w->listeners[j - 1];
			j--;
		}
		w->listeners[j] = x;
	}
}

/* Updates one counter: the new value and its increase since the previous refresh. */
static void counter_set(struct hr_watch_counter *c, double v, const char *why)
{
	bool had = c->have;
	double old = c->value;

	c->have = !isnan(v);
	c->value = c->have ? v : 0;
	c->why = c->have ? NULL : why;
	/* A counter that went down was reset (module reloaded): no delta. */
	c->delta = had && c->have && v >= old ? v - old : NAN;
}

/* Findings that are not ok, each with the time it appeared or changed severity. */
static void update_marks(struct hr_watch *w, const json_t *findings, time_t wall)
{
	struct hr_watch_mark *next = calloc(HR_WATCH_MAX_MARKS, sizeof(*next));
	struct tm tm;
	char now[9];
	size_t j, n = 0;
	const json_t *fi;
	struct hr_lazy_iter it;

	if (!next)
		return; /* keep the old marks: better stale times than none */
	localtime_r(&wall, &tm);
	strftime(now, sizeof(now), "%H:%M:%S", &tm);
	w->marks_dropped = 0;
	hr_lazy_iter_init(&it, findings);
	while ((fi = hr_lazy_next(&it))) {
		int rank = hr_sev_rank(json_string_value(json_object_get(fi, "severity")));
		struct hr_watch_mark *m;

		/* ok (3) and unknown (4) are not problems to mark; a lazy report's
		 * findings are sorted worst first (audit-report.c): none follow. */
		if (rank >= 3 && it.lazy)
			break;
		if (rank >= 3)
			continue;
		if (n == HR_WATCH_MAX_MARKS) {
			w->marks_dropped++;
			continue;
		}
		m = &next[n++];
		copy_str(m->rule, sizeof(m->rule), fi, "rule");
		copy_str(m->subject, sizeof(m->subject), fi, "subject");
		copy_str(m->message, sizeof(m->message), fi, "message");
		m->rank = rank;
		m->fresh = true;
		snprintf(m->since, sizeof(m->since), "%s", now);
		for (j = 0; j < w->nmarks; j++) {
			const struct hr_watch_mark *o = &w->marks[j];

			if (!strcmp(o->rule, m->rule) && !strcmp(o->subject, m->subject)) {
				if (o->rank == rank) {
					m->fresh = false;
					memcpy(m->since, o->since, sizeof(m->since));
				}
				break;
			}
		}
	}
	hr_lazy_iter_end(&it);
	memcpy(w->marks, next, n * sizeof(*next));
	w->nmarks = n;
	free(next);
}

/* Where the verdict says when the top finding's time to exhaustion runs
 * out (the phrase clock.h makes, the countdown format of the rule's
 * headline), so the view can count it down. The time is the metric the
 * top finding's rule declares as its time_left (present: watch). */
static void find_countdown(struct hr_watch *w, const json_t *summary, const json_t *top, const hr_ruleset *rs,
			   double now)
{
	struct hr_clock c;
	char phrase[256];
	const char *at;
	const char *const *role = NULL;
	long ri = rs ? hr_ruleset_index(rs, json_string_value(json_object_get(top, "rule")) ?: "") : -ENOENT;
	double s = ri >= 0 && hr_ruleset_watch(rs, (size_t)ri, &role)
			   ? num(json_object_get(top, "metrics"), role[HR_WATCH_TIME_LEFT])
			   : NAN;

	w->cd_len = 0;
	hr_clock_from_json(json_object_get(summary, "clock"), &c);
	w->t_report = isnan(c.report_mono) ? now : c.report_mono;
	if (c.capture || !isfinite(s) || s <= 0)
		return;
	hr_fmt_countdown(phrase, sizeof(phrase), s, &c);
	at = strstr(w->verdict, phrase);
	if (at) {
		w->cd_off = (size_t)(at - w->verdict);
		w->cd_len = strlen(phrase);
		w->cd_s = s;
	}
}

double hr_watch_tte_at(const struct hr_watch *w, const struct hr_watch_dest *d, double now)
{
	double left = d->tte_rule_s - (now - w->t_report);

	return isfinite(d->tte_rule_s) && left < 0 ? 0 : isfinite(d->tte_rule_s) ? left : d->tte_rule_s;
}

const char *hr_watch_fmt_tte(char *buf, size_t n, double s)
{
	if (isnan(s) || isinf(s))
		snprintf(buf, n, "%s", isnan(s) ? "-" : "not heading there");
	return isnan(s) || isinf(s) ? buf : hr_fmt_age(buf, n, s);
}

bool hr_watch_counting(const struct hr_watch *w, double now)
{
	size_t i;

	for (i = 0; i < w->ndests; i++)
		if (isfinite(w->dests[i].tte_rule_s) && hr_watch_tte_at(w, &w->dests[i], now) > 0)
			return true;
	return w->cd_len && w->cd_s - (now - w->t_report) > 0;
}

char *hr_watch_verdict_at(const struct hr_watch *w, double now, char *buf, size_t n)
{
	struct hr_clock live = {false, NAN, NAN, NAN};
	char phrase[256];
	double left = w->cd_s - (now - w->t_report);

	if (!w->cd_len) {
		snprintf(buf, n, "%s", w->verdict);
		return buf;
	}
	hr_fmt_countdown(phrase, sizeof(phrase), left > 0 ? left : 0, &live);
	snprintf(buf, n, "%.*s%s%s", (int)w->cd_off, w->verdict, phrase, w->verdict + w->cd_off + w->cd_len);
	return buf;
}

/* Conntrack drops from the probed facts: drop + early_drop of
 * /proc/net/stat/nf_conntrack summed over CPUs; NAN when absent, the
 * facts' reason then copied into why (the model keeps no report pointer). */
static double ct_drops(const json_t *facts, char *why, size_t n)
{
	const json_t *ct = json_object_get(json_object_get(facts, "conntrack"), "conntrack.stat.drop");
	const json_t *early = json_object_get(json_object_get(facts, "conntrack"), "conntrack.stat.early_drop");
	double a = num(ct, "value"), b = num(early, "value");

	if (isnan(a) || isnan(b)) {
		const char *m = json_string_value(json_object_get(ct, "absent"));

		snprintf(why, n, "%s", m ? m : NOCT);
		return NAN;
	}
	return a + b;
}

void hr_watch_update(struct hr_watch *w, const json_t *report, const hr_ruleset *rs, double now, time_t wall)
{
	double drops;
	const json_t *summary = json_object_get(report, "summary");
	const json_t *findings = json_object_get(report, "findings");
	const json_t *facts = json_object_get(report, "facts");
	const json_t *sockets = json_object_get(facts, "sockets");
	const json_t *counters = json_object_get(facts, "counters");
	const json_t *top = json_array_get(findings, 0);
	struct hr_watch_dest prev[HR_WATCH_MAX_DESTS];
	size_t nprev = w->ndests, i;
	const json_t *born;
	json_t *fi;

	memcpy(prev, w->dests, nprev * sizeof(prev[0]));
	w->elapsed_s = w->refreshes ? now - w->t_mono : 0;
	w->t_mono = now;
	w->refreshes++;

	copy_str(w->status, sizeof(w->status), summary, "status");
	if (!w->status[0])
		snprintf(w->status, sizeof(w->status), "UNKNOWN");
	w->exit_code = hr_audit_exit_code(report);
	copy_str(w->verdict, sizeof(w->verdict), summary, "verdict");
	find_countdown(w, summary, top, rs, now);
	w->top_rule[0] = w->top_subject[0] = '\0';
	/* The worst finding (the audit sorts them; the first of the worst in any case). */
	json_array_foreach(findings, i, fi)
		if (hr_sev_rank(json_string_value(json_object_get(fi, "severity"))) <
		    hr_sev_rank(json_string_value(json_object_get(top, "severity"))))
			top = fi;
	if (top && hr_sev_rank(json_string_value(json_object_get(top, "severity"))) < 3) {
		copy_str(w->top_rule, sizeof(w->top_rule), top, "rule");
		copy_str(w->top_subject, sizeof(w->top_subject), top, "subject");
	}
	copy_str(w->socket_source, sizeof(w->socket_source), sockets, "source");

	pick_dests(w, findings, rs, prev, nprev);
	pick_listeners(w, json_object_get(sockets, "listeners"));

	w->tw_total = sockets ? num(json_object_get(sockets, "states"), "TIME_WAIT") : NAN;
	if (sockets && isnan(w->tw_total))
		w->tw_total = 0; /* sockets were dumped and none is in TIME_WAIT */
	w->tw_max = sysctl_num(facts, "net.ipv4.tcp_max_tw_buckets");
	w->tw_rate = num(sockets, "timewait_rate_per_s");
	born = json_object_get(sockets, "timewait_born");
	for (i = 0; i < HR_ARRAY_SIZE(tw_windows); i++)
		w->tw_born[i] = num(born, tw_windows[i]);
	w->ct_count = sysctl_num(facts, "net.netfilter.nf_conntrack_count");
	w->ct_max = sysctl_num(facts, "net.netfilter.nf_conntrack_max");
	w->ct_why = isnan(w->ct_count) || isnan(w->ct_max) ? NOCT : NULL;

	counter_set(&w->counters[HR_WATCH_C_LISTEN_OVERFLOWS],
		    num(json_object_get(counters, "netstat.TcpExt.ListenOverflows"), "value"),
		    "not in /proc/net/netstat");
	counter_set(&w->counters[HR_WATCH_C_TW_OVERFLOW],
		    num(json_object_get(counters, "netstat.TcpExt.TCPTimeWaitOverflow"), "value"),
		    "not in /proc/net/netstat");
	drops = ct_drops(facts, w->ct_drops_why, sizeof(w->ct_drops_why));
	counter_set(&w->counters[HR_WATCH_C_CT_DROPS], drops, w->ct_drops_why);

	update_marks(w, findings, wall);
}

/* Appends " key=value" with value a number, "-" when unknown, "inf" when unbounded. */
static size_t put_num(char *buf, size_t n, size_t o, const char *key, double v, int decimals)
{
	if (o >= n)
		return o;
	if (isnan(v))
		return o + (size_t)snprintf(buf + o, n - o, " %s=-", key);
	if (isinf(v))
		return o + (size_t)snprintf(buf + o, n - o, " %s=inf", key);
	return o + (size_t)snprintf(buf + o, n - o, " %s=%.*f", key, decimals, v);
}

char *hr_watch_line(const struct hr_watch *w, time_t wall, char *buf, size_t n)
{
	const struct hr_watch_dest *d = w->ndests ? &w->dests[0] : NULL;
	struct tm tm;
	char ts[40];
	size_t o, i, fresh = 0;
	const char *v;

	localtime_r(&wall, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S%z", &tm);
	for (i = 0; i < w->nmarks; i++)
		fresh += w->marks[i].fresh;
	o = (size_t)snprintf(buf, n, "%s %s exit=%d top=%s%s%s", ts, w->status, w->exit_code,
			     w->top_rule[0] ? w->top_rule : "none", w->top_subject[0] ? "@" : "",
			     w->top_subject);
	if (o < n)
		o += (size_t)snprintf(buf + o, n - o, " dest=%s", d ? d->subject : "-");
	o = put_num(buf, n, o, "in_use", d ? d->in_use : NAN, 0);
	o = put_num(buf, n, o, "usable", d ? d->usable : NAN, 0);
	o = put_num(buf, n, o, "growth_per_s", d ? d->growth_per_s : NAN, 1);
	o = put_num(buf, n, o, "rate_per_s", d ? d->rate_per_s : NAN, 1);
	o = put_num(buf, n, o, "tte_s", d ? d->tte_rule_s : NAN, 1);
	o = put_num(buf, n, o, "trend_tte_s", d ? d->tte_trend_s : NAN, 1);
	o = put_num(buf, n, o, "dests", (double)w->dests_total, 0);
	o = put_num(buf, n, o, "tw", w->tw_total, 0);
	o = put_num(buf, n, o, "tw_max", w->tw_max, 0);
	o = put_num(buf, n, o, "ct", w->ct_count, 0);
	o = put_num(buf, n, o, "ct_max", w->ct_max, 0);
	for (i = 0; i < HR_WATCH_NCOUNTERS; i++) {
		const struct hr_watch_counter *c = &w->counters[i];
		char k[48];

		o = put_num(buf, n, o, c->key, c->have ? c->value : NAN, 0);
		snprintf(k, sizeof(k), "%s_delta", c->key);
		o = put_num(buf, n, o, k, c->delta, 0);
	}
	if (w->traced) {
		o = put_num(buf, n, o, "trace_s", w->trace_s, 3);
		o = put_num(buf, n, o, "trace_new_per_s", w->trace_new_per_s, 1);
		o = put_num(buf, n, o, "trace_accepted_per_s", w->trace_accepted_per_s, 1);
		o = put_num(buf, n, o, "trace_failed", w->trace_failed, 0);
		if (o + 16 < n)
			o += (size_t)snprintf(buf + o, n - o, " trace_fails=\"%s\"", w->trace_fails);
	}
	o = put_num(buf, n, o, "findings", (double)(w->nmarks + w->marks_dropped), 0);
	o = put_num(buf, n, o, "new", (double)fresh, 0);
	if (o + 10 < n) {
		o += (size_t)snprintf(buf + o, n - o, " verdict=\"");
		for (v = w->verdict; *v && o + 3 < n; v++) {
			if (*v == '"' || *v == '\\')
				buf[o++] = '\\';
			buf[o++] = (*v == '\n' || *v == '\t') ? ' ' : *v;
		}
		if (o + 1 < n)
			buf[o++] = '"';
		buf[o < n ? o : n - 1] = '\0';
	}
	buf[n - 1] = '\0';
	return buf;
}
