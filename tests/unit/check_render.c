/* Unit tests of the text helpers shared by every renderer, and YAML output. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check-run.h"
#include "fmt.h"
#include "render.h"

/* Text for a terminal: C0 and C1 controls (U+0080..U+009F and raw
 * 0x80..0x9f), DEL and invalid UTF-8 escaped; other UTF-8 kept whole; the
 * cut falls before a unit that does not fit. */
START_TEST(test_escape_text)
{
	char out[64];
	static const char in[] = "a\033[2J\xc2\x9b\x9b\x7f\xc3\xa9\xe2\x82\xac\xc0\xaf\xed\xa0\x80\t\nz\xe2\x82";

	ck_assert_uint_eq(hr_escape_text(out, sizeof(out), in, sizeof(in) - 1, false), strlen(out));
	ck_assert_str_eq(out, "a\\x1b[2J\\xc2\\x9b\\x9b\\x7f\xc3\xa9\xe2\x82\xac\\xc0\\xaf\\xed\\xa0\\x80\t\\x0az\\xe2\\x82");
	hr_escape_text(out, sizeof(out), in, sizeof(in) - 1, true);
	ck_assert_ptr_nonnull(strstr(out, "\t\nz"));
	/* 6 bytes: "a" and one \xNN (5 with the NUL) fit, the next does not. */
	ck_assert_uint_eq(hr_escape_text(out, 6, in, sizeof(in) - 1, false), 5);
	ck_assert_str_eq(out, "a\\x1b");
	ck_assert_uint_eq(hr_escape_text(out, 5, "\xc3\xa9\xc3\xa9\xc3\xa9", 6, false), 4);
	ck_assert_str_eq(out, "\xc3\xa9\xc3\xa9");
}
END_TEST

START_TEST(test_fmt_num)
{
	char b[64];

	ck_assert_str_eq(hr_fmt_num(b, sizeof(b), 28232, true), "28,232");
	ck_assert_str_eq(hr_fmt_num(b, sizeof(b), -12345, true), "-12,345");
	ck_assert_str_eq(hr_fmt_num(b, sizeof(b), 1e15, true), "1,000,000,000,000,000");
	ck_assert_str_eq(hr_fmt_num(b, sizeof(b), 924.6, true), "924.6");
	ck_assert_str_eq(hr_fmt_num(b, sizeof(b), 0.25, false), "0.25");
	ck_assert_str_eq(hr_fmt_num(b, sizeof(b), 1.0 / 0.0, false), "infinite");
}
END_TEST

START_TEST(test_fmt_duration)
{
	char b[64];

	/* The default tcp_retries2 give-up (kernel-facts.md). */
	ck_assert_str_eq(hr_fmt_duration(b, sizeof(b), 924.6), "924.6 s (15 min 24.6 s)");
	ck_assert_str_eq(hr_fmt_duration(b, sizeof(b), 63), "63 s");
	ck_assert_str_eq(hr_fmt_duration(b, sizeof(b), 7875), "7875 s (2.2 h)");
}
END_TEST

START_TEST(test_gauge_and_yaml)
{
	char b[64], *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	json_t *t = json_pack("{s:s, s:i, s:[b, n]}", "value", "2", "n", 3, "list", 1);

	ck_assert_str_eq(hr_gauge(b, sizeof(b), 0.5, 10), "[#####-----]  50.0%");
	ck_assert_str_eq(hr_gauge(b, sizeof(b), 1.5, 4), "[####] 150.0%");
	/* Strings stay strings in YAML: "2" must not become a number. */
	ck_assert_int_eq(hr_render_yaml(f, t), 0);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(out, "value: \"2\""));
	ck_assert_ptr_nonnull(strstr(out, "n: 3"));
	ck_assert_ptr_nonnull(strstr(out, "- true"));
	ck_assert_ptr_nonnull(strstr(out, "- null"));
	free(out);
	json_decref(t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("render");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_fmt_num);
	tcase_add_test(tc, test_escape_text);
	tcase_add_test(tc, test_fmt_duration);
	tcase_add_test(tc, test_gauge_and_yaml);
	suite_add_tcase(s, tc);
	return hr_check_run(s);
}
