/* Unit tests of vetting: range table, plans in a tree, fixes from findings. */
#include "config.h"

#include <errno.h>

#include "apply-unit.h"
#include "sysctl.h"
#include "vet.h"

START_TEST(test_range)
{
	char *d = ut_tmpdir();
	struct hr_err e = {0};

	ut_write(d, "proc/sys/net/ipv4/ip_unprivileged_port_start", "1024\n");
	ck_assert_int_eq(hr_sysctl_range(d, "net.ipv4.tcp_tw_reuse", "2", &e), 0);
	ck_assert_int_eq(hr_sysctl_range(d, "net.ipv4.tcp_tw_reuse", "3", &e), -ERANGE);
	hr_err_clear(&e);
	ck_assert_int_eq(hr_sysctl_range(d, "net.ipv4.tcp_rmem", "4096 131072", &e), -EINVAL);
	hr_err_clear(&e);
	ck_assert_int_eq(hr_sysctl_range(d, "net.ipv4.tcp_rmem", "4096 131072 6291456", &e), 0);
	ck_assert_int_eq(hr_sysctl_range(d, "net.ipv4.ip_local_port_range", "2000 1999", &e), -EINVAL);
	hr_err_clear(&e);
	ck_assert_int_eq(hr_sysctl_range(d, "net.ipv4.ip_local_port_range", "1000 2000", &e), -EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "ip_unprivileged_port_start 1024"));
	ck_assert_int_eq(hr_sysctl_range(d, "net.ipv4.ip_local_port_range", "1024 1024", NULL), 0);
	ck_assert_int_eq(hr_sysctl_range(d, "net.ipv4.tcp_syn_retries", "0", NULL), -ERANGE);
	ck_assert_int_eq(hr_sysctl_range(d, "net.unknown.key", "anything", NULL), 0);
	ut_rmtree(d);
}
END_TEST

START_TEST(test_plan_tree)
{
	char *d = ut_tmpdir();
	struct hr_desired s[] = {
		{.key = "net.core.somaxconn", .op = HR_OP_GE, .value = "4096", .why = "w", .from = "p"},
		{.key = "net.ipv4.tcp_fin_timeout", .op = HR_OP_LE, .value = "30", .why = "w", .from = "p"},
		{.key = "net.ipv4.tcp_tw_reuse", .op = HR_OP_SET, .value = "1", .why = "w", .from = "p"},
		{.key = "net.ipv4.tcp_syncookies", .op = HR_OP_SET, .value = "0", .why = "w", .from = "p"},
		{.key = "net.ipv4.tcp_tw_recycle", .op = HR_OP_SET, .value = "0", .why = "w", .from = "p"},
	};
	struct hr_vet_opts o = {.root = d};
	const char *allow[] = {"net.ipv4.tcp_syncookies"};
	struct hr_plan p;

	ut_write(d, "proc/sys/net/core/somaxconn", "8192\n");
	ut_write(d, "proc/sys/net/ipv4/tcp_fin_timeout", "60\n");
	ut_write(d, "proc/sys/net/ipv4/tcp_tw_reuse", "1\n");
	ut_write(d, "proc/sys/net/ipv4/tcp_syncookies", "1\n");
	ut_write(d, "proc/sys/net/ipv4/tcp_tw_recycle", "0\n");
	ck_assert_int_eq(hr_vet_plan(&p, s, 5, &o), 0);
	ck_assert_int_eq(p.n, 4);
	ck_assert_int_eq(hr_plan_changes(&p), 2); /* fin_timeout and syncookies */
	ck_assert(!p.items[0].change);            /* 8192 >= 4096 already */
	ck_assert(p.items[1].change);
	ck_assert_str_eq(p.items[1].new, "30");
	ck_assert(!p.items[2].change);
	ck_assert_int_eq(p.nrefusals, 2); /* syncookies=0, tw_recycle */
	ck_assert_str_eq(p.refusals[0].key, "net.ipv4.tcp_syncookies");
	ck_assert(p.refusals[0].allowable);
	ck_assert_str_eq(p.refusals[1].key, "net.ipv4.tcp_tw_recycle");
	ck_assert(!p.refusals[1].allowable);
	hr_plan_clear(&p);
	o.allow = allow;
	o.nallow = 1;
	ck_assert_int_eq(hr_vet_plan(&p, s, 4, &o), 0);
	ck_assert_int_eq(p.nrefusals, 0);
	hr_plan_clear(&p);
	ut_rmtree(d);
}
END_TEST

START_TEST(test_fixes)
{
	json_t *rep = json_loads(
		"{\"findings\": ["
		" {\"rule\": \"w\", \"severity\": \"warning\", \"subject\": \"s\", \"fixes\": ["
		"   {\"kind\": \"sysctl\", \"settings\": {\"net.core.somaxconn\": \"1024\"}, \"severity_after\": \"ok\"}]},"
		" {\"rule\": \"c\", \"severity\": \"critical\", \"subject\": null, \"fixes\": ["
		"   {\"kind\": \"sysctl\", \"settings\": {\"net.core.somaxconn\": \"8192\"}, \"severity_after\": \"critical\"},"
		"   {\"kind\": \"sysctl\", \"text\": \"t\", \"settings\": {\"net/core/somaxconn\": 4096, \"net.ipv4.tcp_tw_reuse\": \"1\"}, \"severity_after\": \"info\"}]},"
		" {\"rule\": \"p\", \"severity\": \"critical\", \"subject\": null, \"fixes\": ["
		"   {\"kind\": \"sysctl\", \"settings\": {\"net.ipv4.tcp_max_tw_buckets\": \"420\"}, \"severity_after\": \"warning\"}]},"
		" {\"rule\": \"q\", \"severity\": \"warning\", \"subject\": null, \"fixes\": ["
		"   {\"kind\": \"sysctl\", \"settings\": {\"net.ipv4.tcp_fin_timeout\": \"30\"}, \"severity_after\": \"warning\"}]},"
		" {\"rule\": \"o\", \"severity\": \"ok\", \"fixes\": ["
		"   {\"kind\": \"sysctl\", \"settings\": {\"net.ipv4.tcp_fin_timeout\": \"5\"}, \"severity_after\": \"ok\"}]}]}",
		0, NULL);
	struct hr_desired *s;
	size_t n;

	ck_assert_ptr_nonnull(rep);
	ck_assert_int_eq(hr_vet_fixes(rep, &s, &n), 0);
	ck_assert_int_eq(n, 3);
	/* Critical first: its acceptable fix sets somaxconn 4096, the warning's 1024 loses. */
	ck_assert_str_eq(s[0].key, "net.core.somaxconn");
	ck_assert_str_eq(s[0].value, "4096");
	ck_assert_str_eq(s[0].from, "fix c");
	ck_assert_str_eq(s[1].key, "net.ipv4.tcp_tw_reuse");
	/* No fix reaches ok/info: the one that lowers critical to warning, said so;
	 * a warning fix that stays warning is not taken (no tcp_fin_timeout). */
	ck_assert_str_eq(s[2].key, "net.ipv4.tcp_max_tw_buckets");
	ck_assert_ptr_nonnull(strstr(s[2].why, "[leaves the finding at warning]"));
	hr_desired_free_all(s, n);
	json_decref(rep);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vet");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_range);
	tcase_add_test(tc, test_plan_tree);
	tcase_add_test(tc, test_fixes);
	suite_add_tcase(s, tc);
	return ut_run(s);
}
