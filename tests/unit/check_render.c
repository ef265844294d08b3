/* Unit tests of the text helpers shared by every renderer, and YAML output. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check-run.h"
#include "fmt.h"
#include "lazy.h"
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

/* Item i of a lazy array in the test: {"i": i, "s": "x\"y", "r": 0.5, "o": {}, "a": [i, [], {"k": null}]}. */
static json_t *lazy_item(const void *ctx, size_t i)
{
	(void)ctx;
	return json_pack("{s:I, s:s, s:f, s:{}, s:[I, [], {s:n}]}", "i", (json_int_t)i, "s", "x\"y", "r", 0.5,
			 "o", "a", (json_int_t)i, "k");
}

static char *dump_with(int (*fn)(FILE *, const json_t *), const json_t *t)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(fn(m, t), 0);
	fclose(m);
	return buf;
}

static int plain_json(FILE *out, const json_t *t)
{
	int r = json_dumpf(t, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));

	fputc('\n', out);
	return r;
}

/* A lazy array, nested in objects and arrays, is written (JSON and YAML)
 * byte for byte as the same tree with every item held; text readers see
 * the held items; the registry lets go of arrays nothing else holds. */
START_TEST(test_lazy_array)
{
	json_t *lazy = hr_lazy_array(7, 2, lazy_item, NULL, NULL), *full = json_array(), *t, *ft;
	char *a, *b;
	size_t i;

	ck_assert_uint_eq(json_array_size(lazy), 2);
	ck_assert_uint_eq(hr_lazy_size(lazy), 7);
	for (i = 0; i < 7; i++)
		json_array_append_new(full, lazy_item(NULL, i));
	t = json_pack("{s:i, s:{s:[], s:{}, s:[s, {s:o}], s:f}, s:[]}", "v", 1, "facts", "e", "o", "deep", "z",
		      "sockets", lazy, "x", 1.25, "last");
	ft = json_pack("{s:i, s:{s:[], s:{}, s:[s, {s:o}], s:f}, s:[]}", "v", 1, "facts", "e", "o", "deep", "z",
		       "sockets", full, "x", 1.25, "last");
	a = dump_with(hr_render_json, t);
	b = dump_with(plain_json, ft);
	ck_assert_str_eq(a, b);
	free(a);
	free(b);
	a = dump_with(hr_render_yaml, t);
	b = dump_with(hr_render_yaml, ft);
	ck_assert_str_eq(a, b);
	free(a);
	free(b);
	/* A plain array (n <= held) is no lazy one. */
	full = hr_lazy_array(2, 5, lazy_item, NULL, NULL);
	ck_assert_uint_eq(json_array_size(full), 2);
	ck_assert_uint_eq(hr_lazy_size(full), 2);
	json_decref(full);
	json_decref(ft);
	/* Held elsewhere: kept; then only the registry holds it: freed. */
	json_incref(lazy);
	json_decref(t);
	hr_lazy_sweep(false);
	ck_assert_uint_eq(hr_lazy_size(lazy), 7);
	json_decref(lazy);
	hr_lazy_sweep(false);
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
	tcase_add_test(tc, test_lazy_array);
	tcase_add_test(tc, test_fmt_duration);
	tcase_add_test(tc, test_gauge_and_yaml);
	suite_add_tcase(s, tc);
	return hr_check_run(s);
}
