/* Unit tests of profiles: loading with positions, values, inheritance, cycles. */
#include "config.h"

#include <errno.h>

#include "apply-unit.h"
#include "profile.h"

START_TEST(test_values)
{
	struct hr_desired s = {.key = "net.core.somaxconn"};
	struct hr_err e = {0};

	ck_assert_int_eq(hr_desired_parse_value(&s, ">=4096", &e), 0);
	ck_assert_int_eq(s.op, HR_OP_GE);
	ck_assert_str_eq(s.value, "4096");
	ck_assert_str_eq(hr_desired_value_text(&s), ">=4096");
	free(s.value);
	ck_assert_int_eq(hr_desired_parse_value(&s, "1024\t 65000", &e), 0);
	ck_assert_int_eq(s.op, HR_OP_SET);
	ck_assert_str_eq(s.value, "1024 65000");
	free(s.value);
	s.value = NULL;
	ck_assert_int_eq(hr_desired_parse_value(&s, "<=many", &e), -EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "not an integer"));
}
END_TEST

START_TEST(test_resolve)
{
	char *d = ut_tmpdir();
	struct hr_profile *p;
	struct hr_err e = {0};
	size_t i;

	ut_write(d, "base.yaml", "name: base\ndescription: b\nassumptions: [one]\nsettings:\n"
				 "  net.core.somaxconn: {value: \">=4096\", why: backlog}\n"
				 "  net.ipv4.tcp_tw_reuse: {value: \"1\", why: reuse}\n");
	ut_write(d, "child.yaml", "name: child\ndescription: c\nextends: base\nassumptions: [two]\nsettings:\n"
				  "  net/core/somaxconn: {value: \">=8192\", why: more}\n");
	ck_assert_int_eq(hr_profile_resolve(d, "child", &p, &e), 0);
	ck_assert_int_eq(p->nsettings, 2);
	ck_assert_int_eq(p->nchain, 2);
	ck_assert_str_eq(p->chain[0], "base");
	ck_assert_int_eq(p->nassumptions, 2);
	for (i = 0; i < p->nsettings; i++) {
		if (!strcmp(p->settings[i].key, "net.core.somaxconn")) {
			ck_assert_str_eq(p->settings[i].value, "8192");
			ck_assert_str_eq(p->settings[i].from, "child");
			ck_assert_str_eq(p->settings[i].overrides, "base");
		} else {
			ck_assert_str_eq(p->settings[i].from, "base");
		}
	}
	hr_profile_free(p);
	ut_rmtree(d);
}
END_TEST

START_TEST(test_errors)
{
	char *d = ut_tmpdir();
	struct hr_profile *p;
	struct hr_err e = {0};

	ut_write(d, "x.yaml", "name: x\ndescription: d\nextends: y\n");
	ut_write(d, "y.yaml", "name: y\ndescription: d\nextends: x\n");
	ck_assert_int_eq(hr_profile_resolve(d, "x", &p, &e), -ELOOP);
	ck_assert_str_eq(e.msg, "profile 'x' extends itself: x -> y -> x");
	hr_err_clear(&e);
	ut_write(d, "r.yaml", "name: r\ndescription: d\nsettings:\n  net.ipv4.tcp_tw_recycle: {value: \"0\", why: no}\n");
	ck_assert_int_eq(hr_profile_resolve(d, "r", &p, &e), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(e.msg, "r.yaml:4:3: net.ipv4.tcp_tw_recycle is never set"));
	hr_err_clear(&e);
	ut_write(d, "m.yaml", "name: m\ndescription: d\nsettings:\n  a.b: {value: \"1\\nx\", why: y}\n");
	ck_assert_int_eq(hr_profile_resolve(d, "m", &p, &e), -EBADMSG);
	hr_err_clear(&e);
	ut_write(d, "n.yaml", "name: other\ndescription: d\n");
	ck_assert_int_eq(hr_profile_resolve(d, "n", &p, &e), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(e.msg, "does not match the file name"));
	hr_err_clear(&e);
	ut_write(d, "t.yaml", "name: t\ndescription: [unclosed\n");
	ck_assert_int_eq(hr_profile_resolve(d, "t", &p, &e), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(e.msg, "YAML error"));
	hr_err_clear(&e);
	/* A field given twice is refused at the second (fuzz_profile found the
	 * first value leaked). */
	ut_write(d, "u.yaml", "name: u\ndescription: d\ndescription: e\n");
	ck_assert_int_eq(hr_profile_resolve(d, "u", &p, &e), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(e.msg, "u.yaml:3:1: duplicate field 'description'"));
	ut_rmtree(d);
}
END_TEST

START_TEST(test_path)
{
	char *d = ut_tmpdir();
	struct hr_profile *p;
	struct hr_err e = {0};
	char msg[512];

	/* 50 ms at 1 Gbit/s: BDP 6,250,000 bytes, 2 x BDP 16 MiB rounded up. */
	ck_assert_int_eq(hr_profile_path_check(0.05, 125e6, "4096 16384 4194304", "4096 131072 16777216", msg,
					       sizeof(msg)), 0);
	ck_assert_msg(strstr(msg, "buffers need 16384 KiB") && strstr(msg, "tcp_wmem max 4096 KiB is short (send cap 587.2") &&
			      strstr(msg, "tcp_rmem max 16384 KiB covers it (receive cap 1000.0"), "%s", msg);
	ck_assert_int_eq(hr_profile_path_check(0.05, 125e6, "4096 16384 16777216", NULL, msg, sizeof(msg)), 1);
	ck_assert_int_eq(hr_profile_path_check(0.05, 125e6, NULL, NULL, msg, sizeof(msg)), -1);
	/* A child's path replaces its parent's; a path without bandwidth is refused. */
	ut_write(d, "base.yaml", "name: base\ndescription: b\npath: {rtt: 10ms, bandwidth: 100Mbit/s}\n");
	ut_write(d, "wan.yaml", "name: wan\ndescription: w\nextends: base\npath: {rtt: 50ms, bandwidth: 1Gbit/s}\n");
	ut_write(d, "kid.yaml", "name: kid\ndescription: k\nextends: base\n");
	ck_assert_int_eq(hr_profile_resolve(d, "wan", &p, &e), 0);
	ck_assert(fabs(p->path_rtt_s - 0.05) < 1e-12 && fabs(p->path_rate - 125e6) < 1e-3);
	ck_assert_ptr_nonnull(strstr(p->path_where, "wan.yaml:4:1"));
	hr_profile_free(p);
	ck_assert_int_eq(hr_profile_resolve(d, "kid", &p, &e), 0);
	ck_assert(fabs(p->path_rtt_s - 0.01) < 1e-12);
	hr_profile_free(p);
	ut_write(d, "bad.yaml", "name: bad\ndescription: d\npath: {rtt: 50ms}\n");
	ck_assert_int_eq(hr_profile_resolve(d, "bad", &p, &e), -EBADMSG);
	ck_assert_msg(strstr(e.msg, "bad.yaml:3:7: 'path' needs both 'rtt' and 'bandwidth'"), "%s", e.msg);
	hr_err_clear(&e);
	ut_write(d, "bw.yaml", "name: bw\ndescription: d\npath: {rtt: 50ms, bandwidth: fast}\n");
	ck_assert_int_eq(hr_profile_resolve(d, "bw", &p, &e), -EBADMSG);
	ck_assert_msg(strstr(e.msg, "bw.yaml:3:30: 'path': bad bandwidth 'fast'"), "%s", e.msg);
	ut_rmtree(d);
}
END_TEST

START_TEST(test_shipped)
{
	char **names;
	size_t n, i;
	int found = 0;

	ck_assert_int_eq(hr_profile_names(HR_SRCDIR "/profiles", &names, &n), 0);
	ck_assert_uint_ge(n, 6);
	for (i = 0; i < n; i++) {
		struct hr_profile *p;
		struct hr_err e = {0};
		size_t k;

		ck_assert_msg(hr_profile_resolve(HR_SRCDIR "/profiles", names[i], &p, &e) == 0, "%s", e.msg);
		ck_assert_msg(p->nassumptions > 0, "%s has no assumptions", names[i]);
		for (k = 0; k < p->nsettings; k++) {
			const struct hr_desired *s = &p->settings[k];

			ck_assert(strcmp(s->key, "net.ipv4.tcp_tw_recycle") != 0);
			ck_assert(!(strcmp(s->key, "net.ipv4.tcp_timestamps") == 0 && s->op == HR_OP_SET &&
				    strcmp(s->value, "0") == 0));
			ck_assert(strlen(s->why) > 10);
		}
		found += !strcmp(names[i], "high-rate-client") || !strcmp(names[i], "web-server") ||
			 !strcmp(names[i], "reverse-proxy") || !strcmp(names[i], "nat-gateway") ||
			 !strcmp(names[i], "kubernetes-node") || !strcmp(names[i], "database");
		hr_profile_free(p);
	}
	ck_assert_int_eq(found, 6);
	hr_profile_names_free(names, n);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("profile");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_values);
	tcase_add_test(tc, test_resolve);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_shipped);
	tcase_add_test(tc, test_path);
	suite_add_tcase(s, tc);
	return ut_run(s);
}
