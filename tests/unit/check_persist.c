/* Unit tests of persistence: rendering, atomic write, systemd-sysctl order. */
#include "config.h"

#include <errno.h>

#include "apply-unit.h"
#include "persist.h"

START_TEST(test_render)
{
	struct hr_kv kv[] = {{"net.core.somaxconn", "8192"}, {"net.ipv4.ip_local_port_range", "10000\t65535"}};
	char *out;

	ck_assert_int_eq(hr_persist_render("# old\nnet.core.somaxconn = 1\n-net/ipv4/tcp_tw_reuse=1\n", kv, 2,
					   "T1", &out), 0);
	ck_assert_ptr_nonnull(strstr(out, "transaction T1"));
	ck_assert_ptr_nonnull(strstr(out, "\nnet.core.somaxconn = 8192\n"));
	/* The '-' (systemd-sysctl: missing at boot is fine) stays, the key normalised. */
	ck_assert_ptr_nonnull(strstr(out, "\n-net.ipv4.tcp_tw_reuse = 1\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nnet.ipv4.ip_local_port_range = 10000 65535\n"));
	ck_assert_ptr_null(strstr(out, "= 1\nnet.core.somaxconn = 1"));
	free(out);
}
END_TEST

START_TEST(test_write)
{
	char *d = ut_tmpdir(), p[4200], *v;
	struct hr_err e = {0};

	snprintf(p, sizeof(p), "%s/f.conf", d);
	ck_assert_int_eq(hr_persist_write(p, "a = 1\n", &e), 0);
	ck_assert_int_eq(hr_read_file(p, &v, NULL), 0);
	ck_assert_str_eq(v, "a = 1\n");
	free(v);
	ck_assert_int_eq(hr_persist_write(p, NULL, &e), 0);
	ck_assert_int_eq(access(p, F_OK), -1);
	snprintf(p, sizeof(p), "%s/missing/f.conf", d);
	ck_assert_int_eq(hr_persist_write(p, "a = 1\n", &e), -ENOENT);
	ut_rmtree(d);
}
END_TEST

/* A temporary file left by a writer that died is swept; a live one stays. */
START_TEST(test_sweep)
{
	char *d = ut_tmpdir(), p[4200], dead[4300], live[4300], other[4300];
	struct hr_err e = {0};
	FILE *f;

	snprintf(p, sizeof(p), "%s/f.conf", d);
	/* No process has a pid above pid_max (at most 4194304). */
	snprintf(dead, sizeof(dead), "%s.headroom-tmp.%d", p, 2147483600);
	snprintf(live, sizeof(live), "%s.headroom-tmp.%d", p, (int)getppid()); /* alive */
	snprintf(other, sizeof(other), "%s/g.conf.headroom-tmp.%d", d, 2147483600);
	ck_assert_ptr_nonnull(f = fopen(dead, "w"));
	fclose(f);
	ck_assert_ptr_nonnull(f = fopen(live, "w"));
	fclose(f);
	ck_assert_ptr_nonnull(f = fopen(other, "w"));
	fclose(f);
	ck_assert_int_eq(hr_persist_write(p, "a = 1\n", &e), 0);
	ck_assert_int_eq(access(dead, F_OK), -1);
	ck_assert_int_eq(access(live, F_OK), 0);
	ck_assert_int_eq(access(other, F_OK), 0); /* another file's */
	ut_rmtree(d);
}
END_TEST

START_TEST(test_order)
{
	char *d = ut_tmpdir(), ours[4200];
	struct hr_kv kv[] = {{"net.core.somaxconn", "8192"}};
	json_t *files, *c;

	ut_write(d, "etc/sysctl.d/50-a.conf", "net.core.somaxconn = 1\n");
	ut_write(d, "usr/lib/sysctl.d/50-a.conf", "net.core.somaxconn = 2\n");
	ut_write(d, "usr/lib/sysctl.d/95-b.conf", "\n# c\nnet.core.somaxconn = 3\n");
	ut_write(d, "run/sysctl.d/99-c.conf", "net.core.somaxconn = 8192\n");
	ut_write(d, "lib/sysctl.d/10-d.conf", "x = 1\n");
	ut_write(d, "etc/sysctl.conf", "net/core/somaxconn=4\n");
	snprintf(ours, sizeof(ours), "%s/etc/sysctl.d/90-headroom.conf", d);
	ut_write(d, "etc/sysctl.d/90-headroom.conf", "");
	files = hr_persist_files(d);
	/* Sorted by basename, /etc's 50-a.conf shadows /usr/lib's, sysctl.conf last. */
	ck_assert_int_eq(json_array_size(files), 6);
	ck_assert_ptr_nonnull(strstr(json_string_value(json_array_get(files, 0)), "/lib/sysctl.d/10-d.conf"));
	ck_assert_ptr_nonnull(strstr(json_string_value(json_array_get(files, 1)), "/etc/sysctl.d/50-a.conf"));
	ck_assert_ptr_nonnull(strstr(json_string_value(json_array_get(files, 5)), "/etc/sysctl.conf"));
	json_decref(files);
	c = hr_persist_conflicts(d, ours, kv, 1);
	/* 95-b (later, other value) and sysctl.conf; not 50-a (earlier), not 99-c (same value). */
	ck_assert_int_eq(json_array_size(c), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(c, 0), "line")), 3);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(c, 0), "value")), "3");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(c, 1), "value")), "4");
	json_decref(c);
	ut_rmtree(d);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("persist");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_render);
	tcase_add_test(tc, test_write);
	tcase_add_test(tc, test_sweep);
	tcase_add_test(tc, test_order);
	suite_add_tcase(s, tc);
	return ut_run(s);
}
