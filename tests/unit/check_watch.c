/* Unit tests of the watch model: the bounded top destinations, growth
 * measured between refreshes, counter deltas, the times findings appear or
 * change severity, the line form, conntrack drops and --netns names. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netns.h"
#include "audit.h"
#include "watch.h"
#include "check-run.h"

/* A port finding for destination 10.0.0.N:80 with in_use ports of 200. */
static json_t *port_finding(int n, const char *sev, double in_use, double tte)
{
	char subj[32];

	snprintf(subj, sizeof(subj), "10.0.0.%d:80", n);
	/* ports_usable_all: every source's ports (one source here), watch's limit. */
	return json_pack("{s:s,s:s,s:s,s:s,s:{s:f,s:f,s:f,s:f,s:o}}", "rule", "ports.timewait-exhaustion",
			 "severity", sev, "subject", subj, "message", "ports", "metrics", "ports_in_use",
			 in_use, "ports_usable", 200.0, "ports_usable_all", 200.0, "rate_per_s", 10.0,
			 "seconds_to_exhaustion",
			 isfinite(tte) ? json_real(tte) : json_null());
}

/* A report: ndest port findings (dest 1 critical with in_use0, the others ok
 * with in_use = their number), ListenOverflows lo, the verdict text. */
static json_t *report(int ndest, double in_use0, double lo, const char *sev1, const char *verdict)
{
	json_t *fs = json_array(), *r;
	int i;

	json_array_append_new(fs, port_finding(1, sev1, in_use0, (200 - in_use0) / 10));
	json_array_append_new(fs, json_pack("{s:s,s:s,s:s}", "rule", "hardening.rp-filter", "severity", "info",
					    "message", "rp_filter off"));
	for (i = 2; i <= ndest; i++)
		json_array_append_new(fs, port_finding(i, "ok", i, INFINITY));
	r = json_pack("{s:o,s:{s:s,s:s,s:i},s:{s:{s:{s:f}},s:{s:{s:[i]},s:{s:[i]}},s:{s:s,s:{s:f},s:{s:f,s:f,s:f,s:f,s:f},s:[{s:s,s:f,s:f},{s:s,s:f,s:f}]}}}",
		      "findings", fs, "summary", "status", strcmp(sev1, "ok") ? "CRITICAL" : "OK", "verdict", verdict,
		      "exit_code", strcmp(sev1, "ok") ? 2 : 0, "facts", "counters",
		      "netstat.TcpExt.ListenOverflows", "value", lo, "sysctls", "net.ipv4.tcp_max_tw_buckets",
		      "fields", 4096, "net.netfilter.nf_conntrack_max", "fields", 1000, "sockets", "source",
		      "netlink sock_diag", "states", "TIME_WAIT", in_use0, "timewait_born", "1s", 10.0, "5s", 50.0,
		      "10s", 100.0, "30s", 100.0, "60s", 100.0, "listeners", "subject", "0.0.0.0:80", "queue", 1.0,
		      "backlog", 100.0, "subject", "0.0.0.0:443", "queue", 90.0, "backlog", 100.0);
	ck_assert_ptr_nonnull(r);
	return r;
}

/* The shipped rules: the port rule declares what watch follows. */
static hr_audit *rules_ctx;

static const hr_ruleset *shipped(void)
{
	static const char *const dirs[] = {HR_SRCDIR "/rules"};
	struct hr_audit_opts o = {.no_default_rules = true, .rule_dirs = dirs, .nrule_dirs = 1};

	if (!rules_ctx)
		ck_assert_int_eq(hr_audit_new(&o, &rules_ctx, NULL), 0);
	return hr_audit_ruleset(rules_ctx);
}

/* Sets the conntrack drop counters of a report's facts. */
static void set_ct_drops(json_t *r, double drop, double early)
{
	json_t *facts = json_object_get(r, "facts");

	json_object_set_new(facts, "conntrack",
			    json_pack("{s:{s:f},s:{s:f}}", "conntrack.stat.drop", "value", drop,
				      "conntrack.stat.early_drop", "value", early));
}

START_TEST(test_top_bounded_and_growth)
{
	struct hr_watch *w = calloc(1, sizeof(*w));
	json_t *r;

	hr_watch_init(w, 8);
	r = report(40, 100, 5, "critical", "CRITICAL: x");
	hr_watch_update(w, r, shipped(), 100.0, 0);
	json_decref(r);
	ck_assert_uint_eq(w->ndests, 8);
	ck_assert_uint_eq(w->dests_total, 40);
	/* Worst severity first, then most ports in use: 10.0.0.1, then 40, 39, ... */
	ck_assert_str_eq(w->dests[0].subject, "10.0.0.1:80");
	ck_assert_str_eq(w->dests[1].subject, "10.0.0.40:80");
	ck_assert_str_eq(w->dests[7].subject, "10.0.0.34:80");
	ck_assert(isnan(w->dests[0].growth_per_s));
	ck_assert(isnan(w->counters[HR_WATCH_C_LISTEN_OVERFLOWS].delta));
	ck_assert(!w->counters[HR_WATCH_C_CT_DROPS].have);
	ck_assert_str_eq(w->listeners[0].subject, "0.0.0.0:443");
	ck_assert(isnan(w->ct_count));
	ck_assert_ptr_nonnull(w->ct_why);

	/* 2 s later: 20 more ports in use, 3 more overflows. */
	r = report(40, 120, 8, "critical", "CRITICAL: x");
	set_ct_drops(r, 6, 1);
	hr_watch_update(w, r, shipped(), 102.0, 2);
	json_decref(r);
	ck_assert_double_eq_tol(w->elapsed_s, 2, 1e-9);
	ck_assert_double_eq_tol(w->dests[0].growth_per_s, 10, 1e-9);
	ck_assert_double_eq_tol(w->dests[0].tte_trend_s, 8, 1e-9);
	ck_assert_double_eq_tol(w->dests[1].growth_per_s, 0, 1e-9);
	ck_assert(isinf(w->dests[1].tte_trend_s));
	ck_assert_double_eq_tol(w->counters[HR_WATCH_C_LISTEN_OVERFLOWS].delta, 3, 1e-9);
	ck_assert(w->counters[HR_WATCH_C_CT_DROPS].have);
	ck_assert(isnan(w->counters[HR_WATCH_C_CT_DROPS].delta));
	ck_assert_double_eq_tol(w->tw_total, 120, 1e-9);
	ck_assert_double_eq_tol(w->tw_max, 4096, 1e-9);
	free(w);
}
END_TEST

/* The countdown between refreshes: a destination's time and the verdict's
 * phrase count down from the report's monotonic time (summary.clock), stop
 * at 0; without a clock, from the update's own time. The phrase's time is
 * the top finding's time_left, as its rule declares (present: watch). */
START_TEST(test_countdown)
{
	struct hr_watch *w = calloc(1, sizeof(*w));
	json_t *r;
	char v[HR_WATCH_TEXT + 64], b[32];

	hr_watch_init(w, 8);
	/* 150 of 200 in use at 10/s: 5 s left at the report. */
	r = report(2, 150, 5, "critical", "CRITICAL: connections to 10.0.0.1:80 run out of local ports in 5 s (10 new connections/s)");
	json_object_set_new(json_object_get(r, "summary"), "clock",
			    json_pack("{s:s,s:I}", "counts_from", "report", "report_monotonic_ms", (json_int_t)1000000));
	hr_watch_update(w, r, shipped(), 1000.2, 0);
	ck_assert_double_eq(w->t_report, 1000);
	ck_assert_double_eq_tol(hr_watch_tte_at(w, &w->dests[0], 1002), 3, 1e-9);
	ck_assert_double_eq(hr_watch_tte_at(w, &w->dests[0], 1007), 0);
	ck_assert(isinf(hr_watch_tte_at(w, &w->dests[1], 1002)));
	ck_assert(hr_watch_counting(w, 1004.9));
	ck_assert(!hr_watch_counting(w, 1005.1));
	ck_assert_str_eq(hr_watch_verdict_at(w, 1002.5, v, sizeof(v)),
			 "CRITICAL: connections to 10.0.0.1:80 run out of local ports in 2.5 s (10 new connections/s)");
	ck_assert_str_eq(hr_watch_verdict_at(w, 1009, v, sizeof(v)),
			 "CRITICAL: connections to 10.0.0.1:80 run out of local ports now (10 new connections/s)");
	ck_assert_str_eq(hr_watch_fmt_tte(b, sizeof(b), 2.5), "2.5 s");
	ck_assert_str_eq(hr_watch_fmt_tte(b, sizeof(b), INFINITY), "not heading there");
	json_decref(r);
	/* No clock in the report, and a verdict without the phrase: left as it is. */
	r = report(2, 150, 5, "critical", "CRITICAL: x");
	hr_watch_update(w, r, shipped(), 2000, 0);
	ck_assert_double_eq(w->t_report, 2000);
	ck_assert_str_eq(hr_watch_verdict_at(w, 2003, v, sizeof(v)), "CRITICAL: x");
	ck_assert_double_eq_tol(hr_watch_tte_at(w, &w->dests[0], 2003), 2, 1e-9);
	json_decref(r);
	free(w);
}
END_TEST

START_TEST(test_marks)
{
	struct hr_watch *w = calloc(1, sizeof(*w));
	json_t *r;
	size_t i;

	setenv("TZ", "UTC", 1);
	hr_watch_init(w, 4);
	r = report(3, 100, 0, "critical", "v");
	hr_watch_update(w, r, shipped(), 1, 3600); /* 01:00:00 */
	json_decref(r);
	ck_assert_uint_eq(w->nmarks, 2);
	for (i = 0; i < w->nmarks; i++) {
		ck_assert(w->marks[i].fresh);
		ck_assert_str_eq(w->marks[i].since, "01:00:00");
	}
	/* Same severities a minute later: the times stay. */
	r = report(3, 110, 0, "critical", "v");
	hr_watch_update(w, r, shipped(), 61, 3660);
	json_decref(r);
	ck_assert_uint_eq(w->nmarks, 2);
	ck_assert(!w->marks[0].fresh);
	ck_assert_str_eq(w->marks[0].since, "01:00:00");
	/* The port finding drops to warning: marked with the new time. */
	r = report(3, 120, 0, "warning", "v");
	hr_watch_update(w, r, shipped(), 121, 3725);
	json_decref(r);
	ck_assert_uint_eq(w->nmarks, 2);
	ck_assert_str_eq(w->marks[0].rule, "ports.timewait-exhaustion");
	ck_assert(w->marks[0].fresh);
	ck_assert_str_eq(w->marks[0].since, "01:02:05");
	ck_assert(!w->marks[1].fresh);
	ck_assert_str_eq(w->marks[1].since, "01:00:00");
	/* Gone (ok), then back: a new time. */
	r = report(3, 10, 0, "ok", "v");
	hr_watch_update(w, r, shipped(), 181, 3785);
	json_decref(r);
	ck_assert_uint_eq(w->nmarks, 1);
	ck_assert_str_eq(w->top_rule, "hardening.rp-filter");
	free(w);
}
END_TEST

START_TEST(test_line)
{
	struct hr_watch *w = calloc(1, sizeof(*w));
	char buf[2048];
	json_t *r;

	setenv("TZ", "UTC", 1);
	hr_watch_init(w, 8);
	r = report(2, 100, 5, "critical", "CRITICAL: a \"quoted\" verdict");
	hr_watch_update(w, r, shipped(), 10, 0);
	json_decref(r);
	r = report(2, 150, 5, "critical", "CRITICAL: a \"quoted\" verdict");
	hr_watch_update(w, r, shipped(), 15, 5);
	json_decref(r);
	hr_watch_line(w, 5, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "1970-01-01T00:00:05+0000 CRITICAL exit=2 "
					  "top=ports.timewait-exhaustion@10.0.0.1:80 dest=10.0.0.1:80 in_use=150 "
					  "usable=200 growth_per_s=10.0 rate_per_s=10.0 tte_s=5.0 trend_tte_s=5.0 dests=2"));
	ck_assert_ptr_nonnull(strstr(buf, " ct=- ct_max=1000 "));
	ck_assert_ptr_nonnull(strstr(buf, " listen_overflows=5 listen_overflows_delta=0 "));
	ck_assert_ptr_nonnull(strstr(buf, " ct_drops=- ct_drops_delta=- findings=2 new=0 "));
	ck_assert_ptr_nonnull(strstr(buf, " verdict=\"CRITICAL: a \\\"quoted\\\" verdict\""));
	ck_assert_ptr_null(strchr(buf, '\n'));
	/* A short buffer is cut, still terminated. */
	hr_watch_line(w, 5, buf, 40);
	ck_assert_uint_eq(strlen(buf), 39);
	free(w);
}
END_TEST

/* Conntrack drops come from the facts (drop + early_drop of
 * /proc/net/stat/nf_conntrack, summed over CPUs by the probe). */
START_TEST(test_ct_drops)
{
	struct hr_watch *w = calloc(1, sizeof(*w));
	json_t *r;

	hr_watch_init(w, 4);
	r = report(2, 10, 0, "ok", "v");
	set_ct_drops(r, 26, 1);
	hr_watch_update(w, r, shipped(), 1, 1);
	json_decref(r);
	ck_assert(w->counters[HR_WATCH_C_CT_DROPS].have);
	ck_assert_double_eq_tol(w->counters[HR_WATCH_C_CT_DROPS].value, 27, 1e-9);
	r = report(2, 10, 0, "ok", "v");
	set_ct_drops(r, 30, 2);
	hr_watch_update(w, r, shipped(), 2, 2);
	json_decref(r);
	ck_assert_double_eq_tol(w->counters[HR_WATCH_C_CT_DROPS].delta, 5, 1e-9);
	/* Absent in the facts: no value, and the facts' reason. */
	r = report(2, 10, 0, "ok", "v");
	json_object_set_new(json_object_get(r, "facts"), "conntrack",
			    json_pack("{s:{s:s}}", "conntrack.stat.drop", "absent", "conntrack module not loaded"));
	hr_watch_update(w, r, shipped(), 3, 3);
	json_decref(r);
	ck_assert(!w->counters[HR_WATCH_C_CT_DROPS].have);
	ck_assert_str_eq(w->counters[HR_WATCH_C_CT_DROPS].why, "conntrack module not loaded");
	free(w);
}
END_TEST

START_TEST(test_netns_names)
{
	struct hr_err err = {0};

	ck_assert_int_eq(hr_netns_enter_name("a/b", &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "not an 'ip netns' name"));
	hr_err_clear(&err);
	ck_assert_int_eq(hr_netns_enter_name("..", &err), -EINVAL);
	hr_err_clear(&err);
	ck_assert_int_eq(hr_netns_enter_name("", &err), -EINVAL);
	hr_err_clear(&err);
	ck_assert_int_eq(hr_netns_enter_name("hr-no-such-namespace-xyz", &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "see 'ip netns list'"));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("watch");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_top_bounded_and_growth);
	tcase_add_test(tc, test_countdown);
	tcase_add_test(tc, test_marks);
	tcase_add_test(tc, test_line);
	tcase_add_test(tc, test_ct_drops);
	tcase_add_test(tc, test_netns_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return hr_check_run(suite());
}
