/* Unit tests of sysctl keys: normalisation, paths, checked writes in a tree. */
#include "config.h"

#include <errno.h>

#include "apply-unit.h"
#include "bounds.h"
#include "sysctl.h"

static const char *norm(const char *in, int *r)
{
	static char out[HR_KEY_MAX];
	struct hr_err e = {0};

	*r = hr_sysctl_normalise(in, out, sizeof(out), &e);
	return out;
}

START_TEST(test_normalise)
{
	int r;

	ck_assert_str_eq(norm("net.ipv4.tcp_tw_reuse", &r), "net.ipv4.tcp_tw_reuse");
	ck_assert_int_eq(r, 0);
	ck_assert_str_eq(norm("net/ipv4/tcp_tw_reuse", &r), "net.ipv4.tcp_tw_reuse");
	/* A dot inside a path component becomes '/' in dotted form (sysctl(8)). */
	ck_assert_str_eq(norm("net/ipv4/conf/eth0.1/rp_filter", &r), "net.ipv4.conf.eth0/1.rp_filter");
	ck_assert_int_eq(r, 0);
	{
		static const char *const bad[] = {"", "net/../../etc/x", "net.ipv4..x", "/proc/sys/net/x",
						  "net.ipv4.", ".net", "net/./x", "net.core.somax conn",
						  "net.a=b", "net\\x", "net.\x1b", "net/ipv4/"};
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			norm(bad[i], &r);
			ck_assert_msg(r < 0, "accepted '%s'", bad[i]);
		}
	}
}
END_TEST

START_TEST(test_path_and_values)
{
	char p[HR_KEY_MAX];
	struct hr_err e = {0};

	ck_assert_int_eq(hr_sysctl_to_path("net.ipv4.conf.eth0/1.rp_filter", p, sizeof(p)), 0);
	ck_assert_str_eq(p, "net/ipv4/conf/eth0.1/rp_filter");
	ck_assert(hr_sysctl_equal("32768\t60999\n", " 32768 60999"));
	ck_assert(!hr_sysctl_equal("32768 60999", "32768 61000"));
	ck_assert_int_eq(hr_sysctl_value_check("k", "1 2\t3", &e), 0);
	ck_assert_int_eq(hr_sysctl_value_check("k", "1\n", &e), -EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "newline"));
	ck_assert_int_eq(hr_sysctl_value_check("k", "", NULL), -EINVAL);
	ck_assert(hr_sysctl_is_global("vm.swappiness"));
	ck_assert(hr_sysctl_is_global("net.ipv4.tcp_mem"));
	ck_assert(!hr_sysctl_is_global("net.ipv4.tcp_tw_reuse"));
}
END_TEST

START_TEST(test_tree_rw)
{
	char *d = ut_tmpdir(), *v;
	struct hr_err e = {0};
	enum hr_key_kind kind;
	char link[4200];

	ut_write(d, "proc/sys/net/ipv4/ip_local_port_range", "32768\t60999\n");
	ut_write(d, "proc/sys/net/ipv4/ro", "1\n");
	ut_write(d, "outside/x", "secret\n");
	chmod(strcat(strcpy(link, d), "/proc/sys/net/ipv4/ro"), 0444);
	snprintf(link, sizeof(link), "%s/proc/sys/net/esc", d);
	ck_assert_int_eq(symlink("../../../outside", link), 0);

	ck_assert_int_eq(hr_sysctl_read(d, "net.ipv4.ip_local_port_range", &v), 0);
	ck_assert_str_eq(v, "32768\t60999");
	free(v);
	ck_assert_int_eq(hr_sysctl_stat(d, "net.ipv4.ip_local_port_range", &kind), 0);
	ck_assert_int_eq(kind, HR_KEY_WRITABLE);
	ck_assert_int_eq(hr_sysctl_stat(d, "net.ipv4.ro", &kind), 0);
	ck_assert_int_eq(kind, HR_KEY_READONLY);
	ck_assert_int_eq(hr_sysctl_stat(d, "net.ipv4", &kind), -EISDIR);
	ck_assert_int_eq(hr_sysctl_stat(d, "net.ipv4.nope", &kind), -ENOENT);
	/* A symlinked directory leading outside the tree is not a key. */
	ck_assert_int_eq(hr_sysctl_stat(d, "net.esc.x", &kind), -EINVAL);
	ck_assert_int_eq(hr_sysctl_write(d, "net.esc.x", "pwned", &e), -EINVAL);

	ck_assert_int_eq(hr_sysctl_write(d, "net.ipv4.ip_local_port_range", "10000 65535", &e), 0);
	ck_assert_int_eq(hr_sysctl_read(d, "net.ipv4.ip_local_port_range", &v), 0);
	ck_assert_str_eq(v, "10000 65535");
	free(v);
	ck_assert_int_eq(hr_sysctl_write(d, "net.ipv4.ip_local_port_range", "1\n2", &e), -EINVAL);
	ck_assert_int_eq(hr_read_file(strcat(strcpy(link, d), "/outside/x"), &v, NULL), 0);
	ck_assert_str_eq(v, "secret\n");
	free(v);
	ut_rmtree(d);
}
END_TEST

/* A value over HR_PROBE_MAX_VALUE (a 10 MB single line) is refused with
 * -EFBIG, not read whole; one just within the bound is read. */
START_TEST(test_value_bound)
{
	char *d = ut_tmpdir(), *v, *big = malloc(10000001);

	ck_assert_ptr_nonnull(big);
	memset(big, '1', 10000000);
	big[10000000] = '\0';
	ut_write(d, "proc/sys/net/core/somaxconn", big);
	v = (char *)1;
	ck_assert_int_eq(hr_sysctl_read(d, "net.core.somaxconn", &v), -EFBIG);
	ck_assert_ptr_null(v);
	big[HR_PROBE_MAX_VALUE - 1] = '\0';
	ut_write(d, "proc/sys/net/core/somaxconn", big);
	ck_assert_int_eq(hr_sysctl_read(d, "net.core.somaxconn", &v), 0);
	ck_assert_uint_eq(strlen(v), HR_PROBE_MAX_VALUE - 1);
	free(v);
	free(big);
	ut_rmtree(d);
}
END_TEST

/* One place maps errno to words: about a key STYLE's words, about a tree
 * file the probe's, otherwise the general ones (never key words). */
START_TEST(test_errno_words)
{
	char *d = ut_tmpdir();
	struct hr_err e = {0};

	ck_assert_str_eq(hr_strerror_about(-ENOENT, HR_ABOUT_KEY), "unknown key (not on this kernel)");
	ck_assert_str_eq(hr_strerror_about(ENOENT, HR_ABOUT_KEY), "unknown key (not on this kernel)");
	ck_assert_str_eq(hr_strerror_about(-EROFS, HR_ABOUT_KEY), "permission denied on key");
	ck_assert_str_eq(hr_strerror_about(-EINVAL, HR_ABOUT_KEY), "kernel rejected value");
	ck_assert_str_eq(hr_strerror_about(-EXDEV, HR_ABOUT_TREE), "refused: resolves outside the tree");
	ck_assert_str_eq(hr_strerror_about(-ENOENT, HR_ABOUT_DIR), "no such directory");
	ck_assert_str_eq(hr_strerror_about(-ENOENT, HR_ABOUT_FILE), "no such file");
	/* What a kind does not name falls back to the general words... */
	ck_assert_str_eq(hr_strerror_about(-ENOMEM, HR_ABOUT_TREE), "out of memory");
	ck_assert_str_eq(hr_strerror_about(-EACCES, HR_ABOUT_FILE), strerror(EACCES));
	/* ...which are never about keys. */
	ck_assert_str_eq(hr_strerror(-ENOENT), strerror(ENOENT));
	ck_assert_str_eq(hr_strerror(-EACCES), strerror(EACCES));
	ck_assert_str_eq(hr_strerror(-EINVAL), strerror(EINVAL));
	ck_assert_str_eq(hr_strerror(-EFBIG), "larger than its bound (see LIMITS in the man page)");
	/* A real write to a key this tree does not have. */
	ut_write(d, "proc/sys/net/ipv4/tcp_tw_reuse", "2\n");
	ck_assert_int_eq(hr_sysctl_write(d, "net.ipv4.tcp_no_such_key", "1", &e), -ENOENT);
	ck_assert_str_eq(e.msg, "net.ipv4.tcp_no_such_key: open for writing: unknown key (not on this kernel)");
	ut_rmtree(d);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sysctl");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_normalise);
	tcase_add_test(tc, test_path_and_values);
	tcase_add_test(tc, test_tree_rw);
	tcase_add_test(tc, test_value_bound);
	tcase_add_test(tc, test_errno_words);
	suite_add_tcase(s, tc);
	return ut_run(s);
}
