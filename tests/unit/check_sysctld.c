/* Unit tests of sysctl.d reading (sysctld.c), table-driven where the
 * question is one file: the lines as systemd-sysctl 252 reads them, the
 * order and replacement of options, globs over a temporary sysctl tree,
 * and the boot set under a config root. */
#include "config.h"

#include <errno.h>

#include "apply-unit.h"
#include "sysctld.h"

/* One file's text and what the options must be, as "KEY=VALUE@LINE" joined
 * by '|' ("!KEY@LINE" an exclusion, "-" before KEY: '-' prefix), and how
 * many problems (lines systemd-sysctl skips). */
static const struct {
	const char *text, *want;
	size_t problems;
} cases[] = {
	{"# comment\n; comment\n\n  net.ipv4.tcp_fin_timeout = 30  \n", "net.ipv4.tcp_fin_timeout=30@4", 0},
	/* The first separator decides (sysctl.d(5)): a slash keeps dots inside names. */
	{"net/ipv4/conf/eth0.100/rp_filter=1\nnet.ipv4.conf.eth0/100.forwarding = 0\n",
	 "net.ipv4.conf.eth0/100.rp_filter=1@1|net.ipv4.conf.eth0/100.forwarding=0@2", 0},
	/* A value keeps its inner whitespace; the first '=' splits. */
	{"net.ipv4.ip_local_port_range =  1024\t 65000 \nkernel.x = a=b\n",
	 "net.ipv4.ip_local_port_range=1024\t 65000@1|kernel.x=a=b@2", 0},
	/* '-' prefix, with and without space; "-key" alone is an exclusion. */
	{"-net.ipv4.tcp_nope = 1\n- net.ipv4.tcp_x = 2\n-net.ipv4.conf.lo.rp_filter\n",
	 "-net.ipv4.tcp_nope=1@1|-net.ipv4.tcp_x=2@2|!net.ipv4.conf.lo.rp_filter@3", 0},
	/* Same key, same value: the first line stays (and takes the '-'). */
	{"net.core.somaxconn = 1024\n-net.core.somaxconn = 1024\n", "-net.core.somaxconn=1024@1", 0},
	/* Same key, another value: the earlier line goes, the later one is last. */
	{"net.core.somaxconn = 1\nnet.ipv4.tcp_tw_reuse = 1\nnet/core/somaxconn = 2\n",
	 "net.ipv4.tcp_tw_reuse=1@2|net.core.somaxconn=2@3", 0},
	/* A leading '/' is dropped, as sysctl_normalize() does. */
	{"/net/ipv4/tcp_syncookies = 1\n", "net.ipv4.tcp_syncookies=1@1", 0},
	/* Not an assignment, a key that is no key: problems, the rest read. */
	{"net.ipv4.tcp_fin_timeout 30\nnet..ipv4.x = 1\nnet.ipv4.a/../b = 1\nnet.core.somaxconn=5\n",
	 "net.core.somaxconn=5@4", 3},
	/* An empty value is a value (the kernel refuses it, not the parser). */
	{"net.core.somaxconn =\n", "net.core.somaxconn=@1", 0},
	/* CRLF line ends. */
	{"net.core.somaxconn = 7\r\n", "net.core.somaxconn=7@1", 0},
	/* A setting that is not UTF-8 (a Latin-1 byte, an overlong '/', a
	 * surrogate, a cut sequence) is a problem; a comment may be anything;
	 * well-formed UTF-8 in a value is kept. */
	{"# caf\xe9\nnet.core.somaxconn = 1\xb2\nnet/ipv4\xc0\xaftcp_x = 1\nkernel.x = \xed\xa0\x80\n"
	 "kernel.y = \xe2\x82\nkernel.z = caf\xc3\xa9 \xf0\x9f\x98\x80\n",
	 "kernel.z=caf\xc3\xa9 \xf0\x9f\x98\x80@6", 4},
};

/* The options as the "want" notation. */
static void options_text(const struct hr_sysctld *d, char *buf, size_t n)
{
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < d->n && o < n; i++) {
		const struct hr_sysctld_line *l = &d->v[i];
		const char *line = strrchr(l->where, ':') + 1;

		if (l->value)
			o += (size_t)snprintf(buf + o, n - o, "%s%s%s=%s@%s", i ? "|" : "", l->ignore_failure ? "-" : "",
					      l->key, l->value, line);
		else
			o += (size_t)snprintf(buf + o, n - o, "%s!%s@%s", i ? "|" : "", l->key, line);
	}
}

START_TEST(test_lines)
{
	struct hr_sysctld d = {0};
	char got[2048];

	ck_assert_int_eq(hr_sysctld_parse(&d, "t.conf", cases[_i].text, strlen(cases[_i].text)), 0);
	options_text(&d, got, sizeof(got));
	ck_assert_msg(!strcmp(got, cases[_i].want), "case %d: got '%s', want '%s'", _i, got, cases[_i].want);
	ck_assert_uint_eq(d.nproblems, cases[_i].problems);
	if (d.nproblems)
		ck_assert_ptr_nonnull(strstr(d.problems[0].where, "t.conf:"));
	/* Every problem goes into a report: JSON takes it whole. */
	{
		json_t *pj = hr_sysctld_problems_json(&d);

		ck_assert_uint_eq(json_array_size(pj), d.nproblems);
		json_decref(pj);
	}
	hr_sysctld_clear(&d);
}
END_TEST

/* The column of the first byte that is not UTF-8 is named. */
START_TEST(test_not_utf8)
{
	static const char text[] = "net.core.somaxconn = 1\xb2\n";
	struct hr_sysctld d = {0};

	ck_assert_int_eq(hr_sysctld_parse(&d, "l1.conf", text, sizeof(text) - 1), 0);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_uint_eq(d.nproblems, 1);
	ck_assert_str_eq(d.problems[0].where, "l1.conf:1");
	ck_assert_str_eq(d.problems[0].msg, "not UTF-8 text: byte 0xb2 at column 23");
	hr_sysctld_clear(&d);
}
END_TEST

/* A NUL byte stops the file with a problem naming the line; the lines
 * before it stand, a replaced one leaving no hole. */
START_TEST(test_nul)
{
	static const char text[] = "net.core.somaxconn = 1\nnet.core.somaxconn = 5\nnet.x\0 = 2\nnet.y = 3\n";
	struct hr_sysctld d = {0};

	ck_assert_int_eq(hr_sysctld_parse(&d, "bin.conf", text, sizeof(text) - 1), -EILSEQ);
	ck_assert_uint_eq(d.n, 1);
	ck_assert_str_eq(d.v[0].key, "net.core.somaxconn");
	ck_assert_str_eq(d.v[0].value, "5");
	ck_assert_str_eq(d.v[0].where, "bin.conf:2");
	ck_assert_uint_eq(d.nproblems, 1);
	ck_assert_str_eq(d.problems[0].where, "bin.conf:3");
	hr_sysctld_clear(&d);
}
END_TEST

/* The value a key ends with after expansion, or NULL. */
static const struct hr_sysctld_set *find(const struct hr_sysctld_set *v, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i].key, key))
			return &v[i];
	return NULL;
}

/* Globs over a tree: every matching key but the explicit ones and the
 * excluded one; directories and absent patterns set nothing. */
START_TEST(test_glob)
{
	char *d = ut_tmpdir();
	static const char text[] = "net.ipv4.conf.*.rp_filter = 2\n"
				   "-net.ipv4.conf.all.rp_filter\n"
				   "net.ipv4.conf.eth0/100.rp_filter = 1\n"
				   "net.ipv4.conf.* = 9\n"
				   "net.nothing.* = 1\n"
				   "net.ipv4.tcp_fin_timeout = 30\n";
	struct hr_sysctld s = {0};
	struct hr_sysctld_set *v;
	const struct hr_sysctld_set *x;
	size_t n;

	ut_write(d, "proc/sys/net/ipv4/conf/all/rp_filter", "0\n");
	ut_write(d, "proc/sys/net/ipv4/conf/default/rp_filter", "0\n");
	ut_write(d, "proc/sys/net/ipv4/conf/lo/rp_filter", "0\n");
	ut_write(d, "proc/sys/net/ipv4/conf/eth0.100/rp_filter", "0\n");
	ut_write(d, "proc/sys/net/ipv4/tcp_fin_timeout", "60\n");
	ck_assert_int_eq(hr_sysctld_parse(&s, "g.conf", text, sizeof(text) - 1), 0);
	ck_assert_int_eq(hr_sysctld_expand(&s, d, &v, &n), 0);
	/* default, lo (glob, line 1), eth0.100 (explicit, line 3), tcp_fin_timeout. */
	ck_assert_uint_eq(n, 4);
	ck_assert_ptr_null(find(v, n, "net.ipv4.conf.all.rp_filter"));
	ck_assert_ptr_nonnull(x = find(v, n, "net.ipv4.conf.lo.rp_filter"));
	ck_assert_str_eq(x->value, "2");
	ck_assert_str_eq(x->where, "g.conf:1");
	ck_assert_str_eq(x->glob, "net.ipv4.conf.*.rp_filter");
	ck_assert_ptr_nonnull(x = find(v, n, "net.ipv4.conf.eth0/100.rp_filter"));
	ck_assert_str_eq(x->value, "1");
	ck_assert_ptr_null(x->glob);
	ck_assert_str_eq(v[0].key, "net.ipv4.conf.default.rp_filter"); /* glob(3) order */
	ck_assert_str_eq(v[n - 1].key, "net.ipv4.tcp_fin_timeout");
	hr_sysctld_set_free(v, n);
	hr_sysctld_clear(&s);
	ut_rmtree(d);
}
END_TEST

/* Several files: a later file's other value wins, and moves the key last. */
START_TEST(test_files_order)
{
	char *d = ut_tmpdir(), a[4200], b[4200];
	struct hr_sysctld s = {0};
	struct hr_sysctld_set *v;
	struct hr_err e = {0};
	size_t n;

	ut_write(d, "a.conf", "net.core.somaxconn = 1\nnet.ipv4.tcp_tw_reuse = 1\n");
	ut_write(d, "b.conf", "net.core.somaxconn = 2\n");
	snprintf(a, sizeof(a), "%s/a.conf", d);
	snprintf(b, sizeof(b), "%s/b.conf", d);
	ck_assert_int_eq(hr_sysctld_read(&s, a, &e), 0);
	ck_assert_int_eq(hr_sysctld_read(&s, b, &e), 0);
	ck_assert_int_eq(hr_sysctld_expand(&s, d, &v, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(v[1].key, "net.core.somaxconn");
	ck_assert_str_eq(v[1].value, "2");
	ck_assert_ptr_nonnull(strstr(v[1].where, "/b.conf:1"));
	hr_sysctld_set_free(v, n);
	snprintf(a, sizeof(a), "%s/missing.conf", d);
	ck_assert_int_eq(hr_sysctld_read(&s, a, &e), -ENOENT);
	ck_assert_ptr_nonnull(strstr(e.msg, "missing.conf: no such file"));
	hr_sysctld_clear(&s);
	ut_rmtree(d);
}
END_TEST

/* The boot set: basename order across directories, /etc shadows /run and
 * /usr/lib, a /dev/null link masks, /etc/sysctl.conf only through a link. */
START_TEST(test_boot)
{
	char *d = ut_tmpdir(), p[4200];
	struct hr_sysctld s = {0};
	struct hr_sysctld_set *v;
	struct hr_err e = {0};
	const struct hr_sysctld_set *x;
	size_t n;

	ut_write(d, "usr/lib/sysctl.d/10-a.conf", "net.core.somaxconn = 1\nnet.ipv4.tcp_tw_reuse = 1\n");
	ut_write(d, "etc/sysctl.d/10-a.conf", "net.core.somaxconn = 2\n");
	ut_write(d, "run/sysctl.d/20-b.conf", "net.ipv4.tcp_fin_timeout = 20\nnot an assignment\n");
	ut_write(d, "usr/lib/sysctl.d/30-masked.conf", "net.ipv4.tcp_syn_retries = 3\n");
	snprintf(p, sizeof(p), "%s/etc/sysctl.d/30-masked.conf", d);
	ck_assert_int_eq(symlink("/dev/null", p), 0);
	ut_write(d, "usr/local/lib/sysctl.d/40-c.conf", "net.ipv4.tcp_fin_timeout = 40\n");
	ut_write(d, "etc/sysctl.conf", "net.ipv4.tcp_keepalive_time = 99\n");
	ck_assert_int_eq(hr_sysctld_read_boot(&s, d, &e), 0);
	ck_assert_uint_eq(s.nfiles, 3);
	ck_assert_ptr_nonnull(strstr(s.files[0], "/etc/sysctl.d/10-a.conf"));
	ck_assert_ptr_nonnull(strstr(s.files[2], "/usr/local/lib/sysctl.d/40-c.conf"));
	ck_assert_uint_eq(s.nproblems, 1);
	ck_assert_ptr_nonnull(strstr(s.problems[0].where, "/run/sysctl.d/20-b.conf:2"));
	ck_assert_int_eq(hr_sysctld_expand(&s, d, &v, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_ptr_nonnull(x = find(v, n, "net.core.somaxconn"));
	ck_assert_str_eq(x->value, "2");
	ck_assert_ptr_nonnull(x = find(v, n, "net.ipv4.tcp_fin_timeout"));
	ck_assert_str_eq(x->value, "40");
	ck_assert_ptr_null(find(v, n, "net.ipv4.tcp_syn_retries"));
	ck_assert_ptr_null(find(v, n, "net.ipv4.tcp_keepalive_time"));
	hr_sysctld_set_free(v, n);
	hr_sysctld_clear(&s);
	/* Linked from sysctl.d (Debian's 99-sysctl.conf): read in its place. */
	snprintf(p, sizeof(p), "%s/etc/sysctl.d/99-sysctl.conf", d);
	ck_assert_int_eq(symlink("../sysctl.conf", p), 0);
	ck_assert_int_eq(hr_sysctld_read_boot(&s, d, &e), 0);
	ck_assert_uint_eq(s.nfiles, 4);
	ck_assert_int_eq(hr_sysctld_expand(&s, d, &v, &n), 0);
	ck_assert_ptr_nonnull(x = find(v, n, "net.ipv4.tcp_keepalive_time"));
	ck_assert_ptr_nonnull(strstr(x->where, "/etc/sysctl.d/99-sysctl.conf:1"));
	hr_sysctld_set_free(v, n);
	hr_sysctld_clear(&s);
	ut_rmtree(d);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sysctld");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_lines, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_nul);
	tcase_add_test(tc, test_not_utf8);
	tcase_add_test(tc, test_glob);
	tcase_add_test(tc, test_files_order);
	tcase_add_test(tc, test_boot);
	suite_add_tcase(s, tc);
	return ut_run(s);
}
