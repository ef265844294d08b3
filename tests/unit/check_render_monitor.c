/* Unit tests of the monitoring renderers on hand-built reports: the
 * Prometheus escapes (backslash, double quote, newline), unknown metrics
 * left out, family names and types; the Nagios line's text and numbers;
 * both over several network namespaces (labels, families once, a namespace
 * that could not be audited, quoting of namespace names). */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check-run.h"
#include "render.h"

/* A report with one finding whose subject needs every escape. */
static json_t *report(void)
{
	json_t *r = json_pack("{s:[{s:s,s:s,s:s,s:{s:f,s:n,s:I,s:I,s:f,s:I}}],s:{s:s,s:i,s:{s:i,s:i,s:i,s:i,s:i},s:i}}",
			 "findings", "rule", "ports.timewait-exhaustion", "severity", "critical", "subject",
			 "a\"b\\c\nd", "metrics", "headroom", 0.5, "seconds_to_exhaustion", "ports_in_use",
			 (json_int_t)12345678901LL, "overflows_total", (json_int_t)7, "rate_per_s", 1e-7, "count",
			 (json_int_t)3, "summary", "verdict", "CRITICAL: x | y\nz", "exit_code", 2, "counts",
			 "critical", 1, "warning", 0, "info", 0, "ok", 0, "not_evaluated", 0, "rules_loaded", 1);

	/* What the audit computes from the rules' present: perfdata. */
	json_object_set_new(json_object_get(r, "summary"), "perfdata",
			    json_pack("[{s:s,s:f,s:s}]", "label", "port_headroom", "value", 0.5, "unit", ""));
	return r;
}

/* Renders with fn into an owned string. */
static char *render(int (*fn)(FILE *, const json_t *, double), int (*nag)(FILE *, const json_t *),
		    const json_t *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(fn ? fn(m, r, 0.25) : nag(m, r), 0);
	fclose(m);
	return buf;
}

START_TEST(test_prom_escapes_and_nulls)
{
	json_t *r = report();
	char *s = render(hr_render_prometheus, NULL, r);
	const char *lbl = "{rule=\"ports.timewait-exhaustion\",subject=\"a\\\"b\\\\c\\nd\"}";
	char want[256];

	snprintf(want, sizeof(want), "\nheadroom_ratio%s 0.5\n", lbl);
	ck_assert_msg(strstr(s, want), "no %s in\n%s", want, s);
	snprintf(want, sizeof(want), "\nheadroom_ports_in_use%s 12345678901\n", lbl);
	ck_assert_msg(strstr(s, want), "integer not exact in\n%s", s);
	snprintf(want, sizeof(want), "\nheadroom_finding_severity%s 3\n", lbl);
	ck_assert_msg(strstr(s, want), "severity in\n%s", s);
	ck_assert_msg(strstr(s, "\n# TYPE headroom_overflows_total counter\n"), "_total not a counter");
	ck_assert_msg(strstr(s, "\n# TYPE headroom_rate_per_second gauge\n"), "per_s not per_second");
	ck_assert_msg(strstr(s, "\n# TYPE headroom_count_value gauge\n"), "_count not renamed");
	ck_assert_msg(!strstr(s, "seconds_to_exhaustion"), "a null metric was printed:\n%s", s);
	ck_assert_msg(strstr(s, "headroom_audit_duration_seconds 0.250000\n"), "duration");
	ck_assert_msg(strstr(s, "headroom_audit_status 2\n"), "status");
	free(s);
	json_decref(r);
}
END_TEST

/* The report's clock as gauges: a live report (both times the same
 * moment), a tree that does not say when it was captured (no capture
 * gauge), milliseconds exact. */
START_TEST(test_prom_clock)
{
	json_t *r = report();
	json_t *sum = json_object_get(r, "summary");
	char *s;

	json_object_set_new(sum, "clock", json_pack("{s:s,s:I,s:I}", "counts_from", "capture", "at_unix_ms",
						    (json_int_t)1796666930005LL, "report_unix_ms",
						    (json_int_t)1796666942812LL));
	s = render(hr_render_prometheus, NULL, r);
	ck_assert_msg(strstr(s, "\nheadroom_audit_timestamp_seconds 1796666942.812\n"), "report time:\n%s", s);
	ck_assert_msg(strstr(s, "\n# TYPE headroom_audit_capture_timestamp_seconds gauge\n"
				"headroom_audit_capture_timestamp_seconds 1796666930.005\n"), "capture time:\n%s", s);
	free(s);
	json_object_set_new(json_object_get(sum, "clock"), "at_unix_ms", json_null());
	s = render(hr_render_prometheus, NULL, r);
	ck_assert_msg(strstr(s, "\nheadroom_audit_timestamp_seconds 1796666942.812\n"), "report time:\n%s", s);
	ck_assert_msg(!strstr(s, "headroom_audit_capture_timestamp_seconds"), "an unknown capture printed:\n%s", s);
	free(s);
	json_decref(r);
}
END_TEST

START_TEST(test_prom_no_report)
{
	char *s = render(hr_render_prometheus, NULL, NULL);

	ck_assert_msg(strstr(s, "\nheadroom_audit_status 3\n"), "no report: status 3:\n%s", s);
	ck_assert_msg(!strstr(s, "headroom_finding_severity"), "no report: no findings");
	free(s);
}
END_TEST

START_TEST(test_nagios_line)
{
	json_t *r = report();
	char *s = render(NULL, hr_render_nagios, r);

	ck_assert_str_eq(s, "CRITICAL: x / y z | 'port_headroom'=0.5;;;0 'critical'=1;;;0 'warning'=0;;;0\n");
	free(s);
	json_decref(r);
}
END_TEST

/* A report of two namespaces: one named a"b=c' with a container process
 * (the report() findings), one unnamed that could not be entered. */
static json_t *netns_report(void)
{
	json_t *sec = report();
	json_t *id = json_pack("{s:I,s:I,s:b,s:[s],s:i,s:[{s:i,s:s,s:n,s:n},{s:i,s:s,s:s,s:s}]}", "inode",
			       (json_int_t)4026532200LL, "dev", (json_int_t)4, "initial", 0, "names", "a\"b=c'",
			       "processes", 2, "pids", "pid", 10, "comm", "sh", "runtime", "container", "pid", 11,
			       "comm", "nginx", "runtime", "docker", "container",
			       "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	json_t *bad = json_pack("{s:{s:I,s:I,s:b,s:[],s:i,s:[]},s:[],s:{s:s,s:s,s:i,s:s}}", "netns", "inode",
				(json_int_t)4026531840LL, "dev", (json_int_t)4, "initial", 1, "names", "processes", 0,
				"pids", "findings", "summary", "verdict", "UNKNOWN: cannot enter the namespace: x",
				"status", "UNKNOWN", "exit_code", 3, "error", "x");

	json_object_set_new(sec, "netns", id);
	json_object_set_new(json_object_get(sec, "summary"), "clock",
			    json_pack("{s:s,s:I,s:I}", "counts_from", "report", "at_unix_ms", (json_int_t)1796666942812LL,
				      "report_unix_ms", (json_int_t)1796666942812LL));
	return json_pack("{s:{s:s,s:s,s:i,s:i},s:[o,o]}", "host", "verdict", "CRITICAL: worst: a\"b=c'", "status",
			 "CRITICAL", "exit_code", 2, "namespaces", 2, "namespaces", sec, bad);
}

/* Occurrences of needle in s. */
static int count(const char *s, const char *needle)
{
	int n = 0;

	for (; (s = strstr(s, needle)); s++)
		n++;
	return n;
}

START_TEST(test_prom_netns)
{
	json_t *r = netns_report();
	char *s = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&s, &len);
	const char *ns1 = "netns=\"a\\\"b=c'\",netns_inode=\"4026532200\","
			  "container=\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"";
	const char *ns2 = "netns=\"4026531840\",netns_inode=\"4026531840\"";
	char want[512];

	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(hr_render_prometheus_netns(m, r, 0.5), 0);
	fclose(m);
	ck_assert_msg(strstr(s, "\nheadroom_host_status 2\n"), "host status:\n%s", s);
	ck_assert_msg(strstr(s, "\nheadroom_host_namespaces 2\n"), "namespaces:\n%s", s);
	ck_assert_int_eq(count(s, "# TYPE headroom_audit_status "), 1);
	ck_assert_int_eq(count(s, "# TYPE headroom_audit_duration_seconds "), 1);
	ck_assert_int_eq(count(s, "\nheadroom_audit_duration_seconds "), 1);
	snprintf(want, sizeof(want), "\nheadroom_audit_status{%s} 2\n", ns1);
	ck_assert_msg(strstr(s, want), "no %s in\n%s", want, s);
	snprintf(want, sizeof(want), "\nheadroom_audit_status{%s} 3\n", ns2);
	ck_assert_msg(strstr(s, want), "no %s in\n%s", want, s);
	snprintf(want, sizeof(want), "\nheadroom_netns_info{%s,initial=\"1\"} 1\n", ns2);
	ck_assert_msg(strstr(s, want), "no %s in\n%s", want, s);
	snprintf(want, sizeof(want), "\nheadroom_ratio{%s,rule=\"ports.timewait-exhaustion\",", ns1);
	ck_assert_msg(strstr(s, want), "no %s in\n%s", want, s);
	/* The namespace that could not be entered: no counts, no rules_loaded. */
	snprintf(want, sizeof(want), "headroom_audit_rules_loaded{%s}", ns2);
	ck_assert_msg(!strstr(s, want), "rules_loaded of a failed namespace:\n%s", s);
	ck_assert_int_eq(count(s, "\nheadroom_audit_findings{"), 5);
	/* Each namespace's own clock: the one that could not be entered has none. */
	snprintf(want, sizeof(want), "\nheadroom_audit_capture_timestamp_seconds{%s} 1796666942.812\n", ns1);
	ck_assert_msg(strstr(s, want), "no %s in\n%s", want, s);
	ck_assert_int_eq(count(s, "\nheadroom_audit_timestamp_seconds{"), 1);
	ck_assert_msg(!strstr(s, "\nheadroom_audit_status 2"), "an unlabelled audit status:\n%s", s);
	free(s);
	json_decref(r);
}
END_TEST

START_TEST(test_nagios_netns)
{
	json_t *r = netns_report();
	char *s = render(NULL, hr_render_nagios_netns, r);

	ck_assert_str_eq(s, "CRITICAL: worst: a\"b=c' | 'namespaces'=2;;;0 'a\"b_c''::port_headroom'=0.5;;;0 "
			    "'a\"b_c''::critical'=1;;;0 'a\"b_c''::warning'=0;;;0\n");
	free(s);
	json_decref(r);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("render_monitor");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_prom_escapes_and_nulls);
	tcase_add_test(tc, test_prom_clock);
	tcase_add_test(tc, test_prom_no_report);
	tcase_add_test(tc, test_nagios_line);
	tcase_add_test(tc, test_prom_netns);
	tcase_add_test(tc, test_nagios_netns);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return hr_check_run(suite());
}
