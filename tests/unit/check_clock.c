/* Unit tests of a report's clock: UTC and age wording, the countdown
 * phrases of a sentence and of a table cell (live, a capture still ahead
 * or passed, a capture of unknown time), the ages the rules subtract (probe.SOURCE_age: on the
 * monotonic clock live, inside the tree's own clock for a capture), and
 * summary.clock read back. */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check-run.h"
#include "clock.h"
#include "facts.h"

START_TEST(test_utc_and_age)
{
	char b[64];

	ck_assert_str_eq(hr_fmt_utc(b, sizeof(b), 1796666924.3104), "2026-12-07T18:08:44.3Z");
	/* Tenths round up into the next second, not to ".10". */
	ck_assert_str_eq(hr_fmt_utc(b, sizeof(b), 1796666942.96), "2026-12-07T18:09:03.0Z");
	ck_assert_str_eq(hr_fmt_utc(b, sizeof(b), NAN), "unknown");
	ck_assert_str_eq(hr_fmt_age(b, sizeof(b), 10.04), "10.0 s");
	ck_assert_str_eq(hr_fmt_age(b, sizeof(b), 720), "12 min");
	ck_assert_str_eq(hr_fmt_age(b, sizeof(b), 7320), "2.0 h");
	ck_assert_str_eq(hr_fmt_age(b, sizeof(b), 3 * 86400), "3.0 days");
}
END_TEST

START_TEST(test_countdown)
{
	struct hr_clock live = {false, 1796666930.0, 1796666930.0, 50};
	struct hr_clock cap = {true, 1796666924.3104, 1796666924.3104 + 7200.5, 50};
	char b[256];

	ck_assert_str_eq(hr_fmt_countdown(b, sizeof(b), 8.24, &live), "in 8.2 s");
	ck_assert_str_eq(hr_fmt_countdown(b, sizeof(b), 0, &live), "now");
	ck_assert_str_eq(hr_fmt_countdown(b, sizeof(b), 0.04, &live), "now");
	ck_assert_str_eq(hr_fmt_countdown(b, sizeof(b), 0.05, &live), "in 0.1 s");
	ck_assert_str_eq(hr_fmt_countdown(b, sizeof(b), 924.6, &live), "in 924.6 s (15 min 24.6 s)");
	ck_assert_str_eq(hr_fmt_countdown(b, sizeof(b), 28.2, &cap),
			 "28.2 s after the capture at 2026-12-07T18:08:44.3Z, 2.0 h ago: exhausted since, if the load held");
	cap.report_real = cap.anchor_real + 10;
	ck_assert_str_eq(hr_fmt_countdown(b, sizeof(b), 28.2, &cap),
			 "28.2 s after the capture at 2026-12-07T18:08:44.3Z, 10.0 s ago: in 18.2 s, if the load held");
	cap.anchor_real = NAN;
	ck_assert_str_eq(hr_fmt_countdown(b, sizeof(b), 28.2, &cap),
			 "28.2 s after the capture (the tree does not say when it was taken)");
	ck_assert_str_eq(hr_fmt_countdown(b, sizeof(b), INFINITY, &live), "unknown");
}
END_TEST

/* In a table cell the header says "EXHAUSTED IN": the figure alone, and for
 * a capture what it counts from (the report says when, once). */
START_TEST(test_countdown_short)
{
	struct hr_clock live = {false, 1796666930.0, 1796666930.0, 50};
	struct hr_clock cap = {true, 1796666924.3104, 1796666924.3104 + 7200.5, 50};
	char b[128];

	ck_assert_str_eq(hr_fmt_countdown_short(b, sizeof(b), 8.24, &live), "8.2 s");
	ck_assert_str_eq(hr_fmt_countdown_short(b, sizeof(b), 0.04, &live), "now");
	ck_assert_str_eq(hr_fmt_countdown_short(b, sizeof(b), 28.2, &cap), "28.2 s after the capture");
	cap.anchor_real = NAN;
	ck_assert_str_eq(hr_fmt_countdown_short(b, sizeof(b), 28.2, &cap), "28.2 s after the capture");
	ck_assert_str_eq(hr_fmt_countdown_short(b, sizeof(b), NAN, &live), "unknown");
}
END_TEST

/* A fact's number (fails when it is not one). */
static double num(const hr_facts *f, const char *name, const char **source)
{
	struct hr_value v;

	ck_assert_int_eq(hr_facts_get(f, name, -1, &v), 0);
	ck_assert_msg(v.type == HR_V_NUM, "%s is not a number (%s)", name, v.missing ? v.missing : "");
	if (source)
		*source = v.source;
	return v.num;
}

START_TEST(test_ages_live)
{
	hr_facts *f = hr_facts_new();
	struct hr_value v;
	struct hr_clock c;
	json_t *j;

	hr_facts_set_meta(f, "", "netlink sock_diag", 3);
	/* The real-time clock was stepped meanwhile: the monotonic one counts. */
	hr_facts_set_read(f, HR_SRC_SOCKETS, (struct hr_stamp){1000.0, 50.0});
	hr_facts_set_report(f, (struct hr_stamp){1010.0, 53.25});
	ck_assert_double_eq_tol(num(f, "probe.sockets_age", NULL), 3.25, 1e-9);
	ck_assert_int_eq(hr_facts_get(f, "probe.conntrack_age", -1, &v), 0);
	ck_assert_int_eq(v.type, HR_V_MISSING);
	hr_facts_clock(f, &c);
	ck_assert(!c.capture);
	ck_assert_double_eq(c.anchor_real, 1010.0);
	j = hr_facts_clock_json(f);
	ck_assert_str_eq(json_string_value(json_object_get(j, "counts_from")), "report");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "at_unix_ms")), 1010000);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "report_monotonic_ms")), 53250);
	ck_assert_double_eq_tol(json_real_value(json_object_get(json_object_get(j, "read_age_s"), "sockets")), 3.25, 1e-9);
	hr_clock_from_json(j, &c);
	ck_assert(!c.capture);
	ck_assert_double_eq_tol(c.report_mono, 53.25, 1e-9);
	json_decref(j);
	hr_facts_free(f);
}
END_TEST

START_TEST(test_ages_capture)
{
	hr_facts *f = hr_facts_new();
	const char *src;
	struct hr_clock c;
	json_t *j;

	hr_facts_set_meta(f, "/tmp/tree", "/proc/net/tcp", 0);
	/* Without DIR/headroom/clock: counted from each reading, and said so. */
	hr_facts_set_report(f, (struct hr_stamp){5000.0, 7.0});
	ck_assert_double_eq(num(f, "probe.sockets_age", &src), 0);
	ck_assert_ptr_nonnull(strstr(src, "no headroom/clock"));
	j = hr_facts_clock_json(f);
	ck_assert(json_is_null(json_object_get(j, "at_unix_ms")));
	ck_assert_str_eq(json_string_value(json_object_get(j, "counts_from")), "capture");
	json_decref(j);
	/* With it: the sockets' moment is the capture's; the conntrack entries,
	 * read 0.25 s later by the tree's own monotonic clock, count from it. */
	hr_facts_set_read(f, HR_SRC_SOCKETS, (struct hr_stamp){1000.0, 50.0});
	hr_facts_set_read(f, HR_SRC_CONNTRACK, (struct hr_stamp){1000.3, 50.25});
	ck_assert_double_eq(num(f, "probe.sockets_age", NULL), 0);
	ck_assert_double_eq_tol(num(f, "probe.conntrack_age", NULL), -0.25, 1e-9);
	hr_facts_clock(f, &c);
	ck_assert(c.capture);
	ck_assert_double_eq(c.anchor_real, 1000.0);
	j = hr_facts_clock_json(f);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "at_unix_ms")), 1000000);
	ck_assert_double_eq_tol(json_number_value(json_object_get(j, "age_s")), 4000, 1e-9);
	hr_clock_from_json(j, &c);
	ck_assert(c.capture);
	ck_assert_double_eq_tol(c.report_real - c.anchor_real, 4000, 1e-9);
	json_decref(j);
	hr_facts_free(f);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("clock");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_utc_and_age);
	tcase_add_test(tc, test_countdown);
	tcase_add_test(tc, test_countdown_short);
	tcase_add_test(tc, test_ages_live);
	tcase_add_test(tc, test_ages_capture);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return hr_check_run(suite());
}
