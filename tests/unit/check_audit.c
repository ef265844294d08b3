/* Unit tests of the audit context (the one pipeline): hr_audit_facts()
 * over hand-built facts with the shipped rules, findings sorted by
 * severity, the summary and exit code, hr_audit_assume(), and what rules
 * declare for the outputs (headline, tables, perfdata). */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "lazy.h"
#include "render.h"
#include "severity.h"
#include "check-run.h"

static const char *const shipped[] = {HR_SRCDIR "/rules", NULL};

/* An audit context over the rule directories dirs (NULL-terminated) only. */
static hr_audit *ctx(const char *const *dirs)
{
	struct hr_audit_opts o = {.no_default_rules = true, .rule_dirs = dirs, .interval_s = 0};
	hr_audit *a = NULL;
	struct hr_err err = {0};

	while (dirs[o.nrule_dirs])
		o.nrule_dirs++;
	ck_assert_int_eq(hr_audit_new(&o, &a, &err), 0);
	return a;
}

/* Facts of a default 6.18 box: the sysctls the shipped rules read. */
static hr_facts *default_box(void)
{
	static const char *const kv[][2] = {
		{"net.ipv4.ip_local_port_range", "32768\t60999"},
		{"net.ipv4.ip_local_reserved_ports", ""},
		{"net.ipv4.ip_unprivileged_port_start", "1024"},
		{"net.ipv4.tcp_tw_reuse", "2"},
		{"net.ipv4.tcp_tw_reuse_delay", "1000"},
		{"net.ipv4.tcp_timestamps", "1"},
		{"net.ipv4.tcp_max_tw_buckets", "131072"},
		{"net.ipv4.tcp_ehash_entries", "262144"},
		{"net.ipv4.tcp_retries2", "15"},
		{"net.ipv4.tcp_rto_max_ms", "120000"},
		{"net.ipv4.tcp_syn_retries", "6"},
		{"net.ipv4.tcp_syn_linear_timeouts", "4"},
		{"net.ipv4.tcp_synack_retries", "5"},
		{"net.ipv4.tcp_keepalive_time", "7200"},
		{"net.ipv4.tcp_keepalive_intvl", "75"},
		{"net.ipv4.tcp_keepalive_probes", "9"},
		{"net.ipv4.tcp_syncookies", "1"},
		{"net.ipv4.tcp_abort_on_overflow", "0"},
		{"net.ipv4.tcp_fin_timeout", "60"},
		{"net.core.somaxconn", "4096"},
		{"net.ipv4.ip_forward", "0"},
	};
	hr_facts *f = hr_facts_new();
	size_t i;

	for (i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
		ck_assert_int_eq(hr_facts_set_sysctl(f, kv[i][0], kv[i][1], "test"), 0);
	hr_facts_set_sysctl_absent(f, "net.ipv4.tcp_tw_recycle", "absent on this kernel");
	hr_facts_sockets_done(f);
	return f;
}

static const json_t *find(const json_t *rep, const char *rule, const char *subject)
{
	size_t i;
	json_t *x;

	json_array_foreach(json_object_get(rep, "findings"), i, x) {
		const char *s = json_string_value(json_object_get(x, "subject"));

		if (!strcmp(json_string_value(json_object_get(x, "rule")), rule) &&
		    ((!s && !subject) || (s && subject && !strcmp(s, subject))))
			return x;
	}
	return NULL;
}

static double metric(const json_t *f, const char *name)
{
	json_t *v = json_object_get(json_object_get(f, "metrics"), name);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* The report as written (JSON) of a context with hold (and lazy: JSON's). */
static char *report_text(hr_facts *f, size_t hold, bool lazy)
{
	struct hr_audit_opts o = {.no_default_rules = true, .rule_dirs = shipped, .nrule_dirs = 1, .interval_s = 0,
				  .hold_findings = hold, .lazy_findings = lazy};
	hr_audit *a = NULL;
	struct hr_err err = {0};
	json_t *rep = NULL, *clock;
	char *buf = NULL;
	size_t len = 0;
	FILE *m;

	ck_assert_int_eq(hr_audit_new(&o, &a, &err), 0);
	ck_assert_int_eq(hr_audit_facts(a, f, &rep, &err), 0);
	/* The report's moment differs from run to run. */
	clock = json_object_get(json_object_get(rep, "summary"), "clock");
	json_object_clear(clock);
	m = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(hr_render_json(m, rep), 0);
	fclose(m);
	json_decref(rep);
	hr_lazy_sweep(false);
	hr_audit_free(a);
	return buf;
}

/* Findings made again as the report is written (hold with lazy, what
 * audit --format json does) give the report byte for byte: 300 declared
 * destinations at three loads (critical, warning, ok findings, more than
 * the 50 held of each), the tables' rows, perfdata and counts. */
START_TEST(test_lazy_findings)
{
	hr_facts *f = default_box();
	char *plain, *lazy, *held;
	int i;

	for (i = 0; i < 300; i++) {
		char host[32];

		snprintf(host, sizeof(host), "10.1.%d.%d", i / 250, i % 250 + 1);
		/* The critical load grows: the worst headroom (perfdata) is the
		 * last critical destination's, beyond the 50 made. */
		ck_assert_int_eq(hr_facts_declare_dest(f, host, 443, i % 3 == 0 ? 700 + i : i % 3 == 1 ? 300 : 1, true,
						       "test"),
				 0);
	}
	plain = report_text(f, 0, false);
	lazy = report_text(f, 50, true);
	ck_assert_ptr_nonnull(strstr(plain, "\"critical\""));
	ck_assert_ptr_nonnull(strstr(plain, "10.1.1.50:443"));
	/* i = 297 (997/s): the least headroom, 28,232 / (997 x 60 s), and
	 * the shortest time, 28,232 / 997 s, in the perfdata. */
	ck_assert_ptr_nonnull(strstr(plain, "\"value\": 0.4719491809"));
	ck_assert_ptr_nonnull(strstr(plain, "\"value\": 28.31695085"));
	ck_assert_str_eq(lazy, plain);
	/* Text's hold without lazy: 50 of each severity per rule, counts of all. */
	held = report_text(f, 50, false);
	ck_assert_uint_lt(strlen(held), strlen(plain));
	ck_assert_ptr_nonnull(strstr(held, "\"total\": 300"));
	free(plain);
	free(lazy);
	free(held);
	hr_facts_free(f);
}
END_TEST

START_TEST(test_seed_declared)
{
	hr_facts *f = default_box();
	struct hr_err err = {0};
	json_t *rep;
	const json_t *pf, *s;
	size_t i;
	int last = -1;
	json_t *x;

	hr_audit *a = ctx(shipped);

	ck_assert_int_eq(hr_facts_declare_dest(f, "10.0.0.2", 5774, 710, true, "test"), 0);
	ck_assert_int_eq(hr_audit_facts(a, f, &rep, &err), 0);
	pf = find(rep, "ports.timewait-exhaustion", "10.0.0.2:5774");
	ck_assert_ptr_nonnull(pf);
	ck_assert_str_eq(json_string_value(json_object_get(pf, "severity")), "critical");
	ck_assert(fabs(metric(pf, "headroom") - 28232.0 / 42600) < 1e-9);
	ck_assert(fabs(metric(pf, "seconds_to_exhaustion") - 28232.0 / 710) < 1e-9);
	/* Sorted by severity. */
	json_array_foreach(json_object_get(rep, "findings"), i, x) {
		int r = hr_sev_rank(json_string_value(json_object_get(x, "severity")));

		ck_assert_int_ge(r, last);
		last = r;
	}
	s = json_object_get(rep, "summary");
	ck_assert_int_eq(hr_audit_exit_code(rep), HR_AUDIT_CRITICAL);
	ck_assert_str_eq(json_string_value(json_object_get(s, "status")), "CRITICAL");
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(s, "verdict")),
				     "CRITICAL: connections to 10.0.0.2:5774 run out of local ports in 39.8 s"));
	/* The port rule's presentation: its row in the ports table, its perfdata. */
	/* A declared load alone (no socket to it) counts from now, not from a reading. */
	ck_assert_str_eq(json_string_value(json_object_get(pf, "headline")),
			 "connections to 10.0.0.2:5774 run out of local ports in 39.8 s from now, at the declared load "
			 "(710 new connections/s, 42,600 ports needed, 28,232 usable)");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(s, "clock"), "counts_from")), "report");
	ck_assert_ptr_null(json_object_get(pf, "row")); /* moved into the table */
	{
		const json_t *t = json_array_get(json_object_get(rep, "tables"), 0);
		const json_t *row = json_array_get(json_object_get(t, "cells"), 0);
		const json_t *p;
		bool seen = false;

		ck_assert_str_eq(json_string_value(json_object_get(t, "id")), "ports");
		ck_assert_str_eq(json_string_value(json_object_get(row, "subject")), "10.0.0.2:5774");
		ck_assert_str_eq(json_string_value(json_array_get(json_object_get(row, "cells"), 5)), "0.66x");
		ck_assert_str_eq(json_string_value(json_array_get(json_object_get(row, "cells"), 6)), "39.8 s from now");
		json_array_foreach(json_object_get(s, "perfdata"), i, p)
			if (!strcmp(json_string_value(json_object_get(p, "label")), "port_seconds_to_exhaustion")) {
				ck_assert(fabs(json_number_value(json_object_get(p, "value")) - 28232.0 / 710) < 1e-9);
				ck_assert_str_eq(json_string_value(json_object_get(p, "unit")), "s");
				seen = true;
			}
		ck_assert(seen);
	}
	json_decref(rep);

	/* What-if: tw_reuse = 1 takes the hold to 1 s. */
	ck_assert_int_eq(hr_audit_assume(f, "net.ipv4.tcp_tw_reuse=1", &err), 0);
	ck_assert_int_eq(hr_audit_facts(a, f, &rep, &err), 0);
	pf = find(rep, "ports.timewait-exhaustion", "10.0.0.2:5774");
	ck_assert_str_eq(json_string_value(json_object_get(pf, "severity")), "ok");
	ck_assert(metric(pf, "hold_s") == 1);
	ck_assert(isnan(metric(pf, "seconds_to_exhaustion")));
	ck_assert_int_ne(hr_audit_exit_code(rep), HR_AUDIT_CRITICAL);
	json_decref(rep);
	hr_facts_free(f);
	hr_audit_free(a);
}
END_TEST

START_TEST(test_assume_validation)
{
	hr_facts *f = default_box();
	struct hr_err err = {0};
	struct hr_value v;

	ck_assert_int_eq(hr_audit_assume(f, "net.ipv4.tcp_nope=1", &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "no such sysctl"));
	hr_err_clear(&err);
	ck_assert_int_eq(hr_audit_assume(f, "net.ipv4.tcp_tw_recycle=1", &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "absent on this kernel"));
	hr_err_clear(&err);
	ck_assert_int_eq(hr_audit_assume(f, "net.ipv4.ip_local_port_range=1024", &err), -EINVAL);
	hr_err_clear(&err);
	ck_assert_int_eq(hr_audit_assume(f, "net.ipv4.tcp_retries2=many", &err), -EINVAL);
	hr_err_clear(&err);
	ck_assert_int_eq(hr_audit_assume(f, "=1", &err), -EINVAL);
	hr_err_clear(&err);
	ck_assert_int_eq(hr_audit_assume(f, "vm.x", &err), -EINVAL);
	hr_err_clear(&err);
	ck_assert_int_eq(hr_audit_assume(f, "net/ipv4/ip_local_port_range=1024  65535", &err), 0);
	ck_assert_int_eq(hr_facts_get(f, "net.ipv4.ip_local_port_range", 0, &v), 0);
	ck_assert(v.num == 1024);
	ck_assert_str_eq(v.source, "--assume");
	ck_assert_int_eq(hr_facts_get(f, "ports.usable", -1, &v), 0);
	ck_assert(v.num == 64512);
	hr_facts_free(f);
}
END_TEST

START_TEST(test_no_rules)
{
	hr_facts *f = default_box();
	struct hr_err err = {0};
	const char *const none[] = {"/nonexistent/rules", NULL};
	hr_audit *a = ctx(none);
	json_t *rep;

	ck_assert_int_lt(hr_audit_facts(a, f, &rep, &err), 0);
	ck_assert_ptr_nonnull(rep); /* still a report, saying why */
	ck_assert_int_eq(hr_audit_exit_code(rep), HR_AUDIT_UNKNOWN);
	ck_assert_int_eq(json_array_size(json_object_get(json_object_get(rep, "summary"), "rule_errors")), 1);
	json_decref(rep);
	hr_facts_free(f);
	hr_audit_free(a);
}
END_TEST

/* A malformed --assume is refused when the context is made, before any probe. */
START_TEST(test_assume_form)
{
	const char *const bad[] = {"net.ipv4.tcp_tw_reuse"}, *const dirs[] = {NULL};
	struct hr_audit_opts o = {.assume = bad, .nassume = 1, .no_default_rules = true, .rule_dirs = dirs};
	struct hr_err err = {0};
	hr_audit *a = NULL;

	ck_assert_int_eq(hr_audit_new(&o, &a, &err), -EINVAL);
	ck_assert_ptr_null(a);
	ck_assert_ptr_nonnull(strstr(err.msg, "want KEY=VALUE"));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("audit");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_seed_declared);
	tcase_add_test(tc, test_lazy_findings);
	tcase_add_test(tc, test_assume_validation);
	tcase_add_test(tc, test_no_rules);
	tcase_add_test(tc, test_assume_form);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return hr_check_run(suite());
}
