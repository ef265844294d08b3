/* Unit tests of the managers catalogue and detection (rules-managers.c,
 * managers.c, managers-kube.c): a catalogue loaded from YAML; managers
 * found in a temporary tree by process name, their keys computed from
 * params (the cpus given, or unknown), if: conditions; kube-proxy's
 * parameters from its --config file (Go durations, a malformed field kept
 * at its default with a note naming file:line) or from its flags; the
 * sysctl.d files as systemd-sysctl per key with FILE:LINE; and the
 * catalogue's load errors with file:line. */
#include "config.h"

#include <errno.h>

#include "apply-unit.h"
#include "managers.h"
#include "rules.h"

static char tmpdir[] = "/tmp/hr-check-managers.XXXXXX";

#define put(rel, text, len) ut_write_n(tmpdir, rel, text, len)
#define PUT(rel, text) ut_write(tmpdir, rel, text)

static const char catalogue[] =
	"managers:\n"
	"  - name: kube-proxy\n"
	"    processes: [kube-proxy]\n"
	"    reads: kube-proxy\n"
	"    source: \"pkg/proxy/conntrack/sysctls.go\"\n"
	"    params: {maxPerCore: 32768, min: 131072, tcpEstablishedTimeout: 86400, tcpCloseWaitTimeout: 3600,\n"
	"             udpTimeout: 0, udpStreamTimeout: 0, tcpBeLiberal: false}\n"
	"    keys:\n"
	"      - {key: net.netfilter.nf_conntrack_max, if: \"param.maxPerCore > 0\",\n"
	"         compute: \"max(param.maxPerCore * cpus, param.min)\", when: \"at start-up\"}\n"
	"      - {key: net.netfilter.nf_conntrack_tcp_timeout_established, if: \"param.tcpEstablishedTimeout > 0\",\n"
	"         compute: \"param.tcpEstablishedTimeout\", when: \"at start-up\"}\n"
	"      - {key: net.netfilter.nf_conntrack_udp_timeout, if: \"param.udpTimeout > 0\",\n"
	"         compute: \"param.udpTimeout\", when: \"at start-up\"}\n"
	"      - {key: net.netfilter.nf_conntrack_tcp_be_liberal, if: \"param.tcpBeLiberal\", value: \"1\", when: \"at start-up\"}\n"
	"  - name: site\n"
	"    processes: [site-a, site-b]\n"
	"    source: \"runbook\"\n"
	"    keys:\n"
	"      - {key: net.core.somaxconn, value: \"4096\", when: \"hourly\"}\n"
	"  - name: systemd-sysctl\n"
	"    reads: sysctl.d\n"
	"    source: \"sysctl.d(5)\"\n";

static hr_ruleset *rs;

/* The value kube-proxy's (or name's) key gets, or NULL. */
static const char *val(const struct hr_managers *ms, const char *name, const char *key)
{
	size_t i, j;

	for (i = 0; i < ms->n; i++)
		for (j = 0; !strcmp(ms->m[i].name, name) && j < ms->m[i].nkeys; j++)
			if (!strcmp(ms->m[i].keys[j].key, key))
				return ms->m[i].keys[j].value;
	return NULL;
}

static void detect(struct hr_managers *ms, long ncpus)
{
	size_t n;
	const struct hr_mgr_cat *cat = hr_ruleset_managers(rs, &n);

	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(hr_managers_detect(ms, cat, n, tmpdir, ncpus), 0);
}

static void setup(void)
{
	struct hr_diags d = {0};
	char path[600];

	PUT("cat.yaml", catalogue);
	snprintf(path, sizeof(path), "%s/cat.yaml", tmpdir);
	rs = hr_ruleset_new();
	ck_assert_int_eq(hr_ruleset_load_file(rs, path, &d), 0);
	ck_assert_uint_eq(d.n, 0);
	hr_diags_clear(&d);
}

static void teardown(void)
{
	char cmd[700];

	hr_ruleset_free(rs);
	snprintf(cmd, sizeof(cmd), "rm -rf %s/proc %s/etc %s/usr", tmpdir, tmpdir, tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(defaults_and_cpus)
{
	struct hr_managers ms;

	PUT("proc/10/comm", "kube-proxy\n");
	PUT("proc/11/comm", "site-b\n");
	PUT("proc/12/comm", "bash\n");
	detect(&ms, 6);
	ck_assert(ms.read);
	ck_assert_uint_eq(ms.n, 2);
	ck_assert_str_eq(val(&ms, "kube-proxy", "net.netfilter.nf_conntrack_max"), "196608"); /* 32768 x 6 */
	ck_assert_str_eq(val(&ms, "kube-proxy", "net.netfilter.nf_conntrack_tcp_timeout_established"), "86400");
	ck_assert_ptr_null(val(&ms, "kube-proxy", "net.netfilter.nf_conntrack_udp_timeout")); /* 0: not set */
	ck_assert_ptr_null(val(&ms, "kube-proxy", "net.netfilter.nf_conntrack_tcp_be_liberal"));
	ck_assert_str_eq(val(&ms, "site", "net.core.somaxconn"), "4096");
	hr_managers_clear(&ms);
	detect(&ms, 2);
	ck_assert_str_eq(val(&ms, "kube-proxy", "net.netfilter.nf_conntrack_max"), "131072"); /* the min */
	hr_managers_clear(&ms);
	detect(&ms, 0);
	ck_assert_str_eq(val(&ms, "kube-proxy", "net.netfilter.nf_conntrack_max"),
			 "depends on cpus (the CPU count of a tree is not known)");
	hr_managers_clear(&ms);
}
END_TEST

START_TEST(kube_config)
{
	static const char cmdline[] = "kube-proxy\0--conntrack-udp-timeout=9s\0--config\0/etc/kp.yaml\0--v=2";
	struct hr_managers ms;
	char *d;

	PUT("proc/20/comm", "kube-proxy\n");
	put("proc/20/cmdline", cmdline, sizeof(cmdline));
	PUT("etc/kp.yaml", "apiVersion: kubeproxy.config.k8s.io/v1alpha1\n"
			   "kind: KubeProxyConfiguration\n"
			   "conntrack:\n"
			   "  maxPerCore: 0\n"
			   "  tcpEstablishedTimeout: 1h30m0.9s\n"
			   "  udpTimeout: 250ms\n"
			   "  udpStreamTimeout: soon\n"
			   "  tcpBeLiberal: true\n");
	detect(&ms, 4);
	ck_assert_str_eq(ms.m[0].evidence, "process kube-proxy, pid 20, --config /etc/kp.yaml");
	ck_assert_ptr_null(val(&ms, "kube-proxy", "net.netfilter.nf_conntrack_max")); /* maxPerCore 0 */
	ck_assert_str_eq(val(&ms, "kube-proxy", "net.netfilter.nf_conntrack_tcp_timeout_established"), "5400");
	/* 250ms is 0 whole seconds: not set, as kube-proxy's int(d / time.Second) > 0 test */
	ck_assert_ptr_null(val(&ms, "kube-proxy", "net.netfilter.nf_conntrack_udp_timeout"));
	ck_assert_str_eq(val(&ms, "kube-proxy", "net.netfilter.nf_conntrack_tcp_be_liberal"), "1");
	ck_assert_ptr_nonnull(ms.notes);
	ck_assert_ptr_nonnull(strstr(ms.notes, "/etc/kp.yaml:7: conntrack.udpStreamTimeout: 'soon' is not a duration"));
	d = hr_managers_describe(&ms.m[0], &ms.m[0].keys[0]);
	ck_assert_str_eq(d, "kube-proxy (process kube-proxy, pid 20, --config /etc/kp.yaml) sets "
			    "net.netfilter.nf_conntrack_tcp_timeout_established to 5400 at start-up");
	free(d);
	hr_managers_clear(&ms);
	/* A file another user could have written is not read (as root). */
	if (geteuid() == 0) {
		char path[700];

		snprintf(path, sizeof(path), "%s/etc/kp.yaml", tmpdir);
		ck_assert_int_eq(chmod(path, 0666), 0);
		detect(&ms, 4);
		ck_assert_str_eq(val(&ms, "kube-proxy", "net.netfilter.nf_conntrack_max"), "131072"); /* defaults */
		ck_assert_ptr_nonnull(strstr(ms.notes, "kube-proxy --config /etc/kp.yaml: refusing kube-proxy's --config"));
		hr_managers_clear(&ms);
	}
}
END_TEST

START_TEST(kube_flags)
{
	static const char cmdline[] = "kube-proxy\0--conntrack-max-per-core\0" "100000\0--conntrack-tcp-be-liberal=false\0"
				      "--conntrack-udp-timeout=2m\0--conntrack-min=x";
	struct hr_managers ms;

	PUT("proc/30/comm", "kube-proxy\n");
	put("proc/30/cmdline", cmdline, sizeof(cmdline));
	detect(&ms, 2);
	ck_assert_str_eq(ms.m[0].evidence, "process kube-proxy, pid 30, 4 --conntrack flag(s)");
	ck_assert_str_eq(val(&ms, "kube-proxy", "net.netfilter.nf_conntrack_max"), "200000");
	ck_assert_str_eq(val(&ms, "kube-proxy", "net.netfilter.nf_conntrack_udp_timeout"), "120");
	ck_assert_ptr_null(val(&ms, "kube-proxy", "net.netfilter.nf_conntrack_tcp_be_liberal"));
	ck_assert_ptr_nonnull(strstr(ms.notes, "kube-proxy flag --conntrack-min: 'x' not understood"));
	hr_managers_clear(&ms);
}
END_TEST

START_TEST(sysctl_d)
{
	struct hr_managers ms;
	char where[700], *d;

	PUT("proc/40/comm", "bash\n");
	PUT("usr/lib/sysctl.d/50-a.conf", "net.core.somaxconn = 1024\nnet.ipv4.tcp_fin_timeout = 20\n");
	PUT("etc/sysctl.d/60-b.conf", "# site\nnet.ipv4.tcp_fin_timeout=45\n");
	detect(&ms, 2);
	ck_assert_uint_eq(ms.n, 1);
	ck_assert(ms.m[0].boot);
	ck_assert_str_eq(val(&ms, "systemd-sysctl", "net.ipv4.tcp_fin_timeout"), "45");
	ck_assert_str_eq(val(&ms, "systemd-sysctl", "net.core.somaxconn"), "1024");
	snprintf(where, sizeof(where), "systemd-sysctl (%s/etc/sysctl.d/60-b.conf:2) sets net.ipv4.tcp_fin_timeout = 45 at boot",
		 tmpdir);
	ck_assert_str_eq(ms.m[0].keys[1].key, "net.ipv4.tcp_fin_timeout");
	d = hr_managers_describe(&ms.m[0], &ms.m[0].keys[1]);
	ck_assert_str_eq(d, where);
	free(d);
	hr_managers_clear(&ms);
	/* No process list: the files still name systemd-sysctl. */
	teardown();
	setup();
	PUT("etc/sysctl.d/60-b.conf", "net.ipv4.tcp_fin_timeout=45\n");
	detect(&ms, 2);
	ck_assert(!ms.read);
	ck_assert_msg(ms.n == 1, "%zu managers, the second %s (%s)", ms.n, ms.m[ms.n - 1].name, ms.m[ms.n - 1].evidence);
	hr_managers_clear(&ms);
}
END_TEST

/* True when d has a diagnostic at line holding text. */
static bool has(const struct hr_diags *d, int line, const char *text)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->v[i].line == line && strstr(d->v[i].msg, text))
			return true;
	return false;
}

START_TEST(load_errors)
{
	static const char bad[] = "managers:\n"
				  "  - name: x\n"
				  "    processes: [x]\n"
				  "    source: s\n"
				  "    params: {a: 1}\n"
				  "    keys:\n"
				  "      - {key: k.a, compute: \"param.b + cpus\", when: w}\n"
				  "      - {key: k.b, if: \"param.a\", value: \"1\", when: w}\n"
				  "      - {key: k.c, value: \"1\"}\n"
				  "    colour: red\n";
	struct hr_diags d = {0};
	hr_ruleset *b = hr_ruleset_new();
	char path[600];
	size_t n;

	PUT("bad.yaml", bad);
	snprintf(path, sizeof(path), "%s/bad.yaml", tmpdir);
	ck_assert_int_eq(hr_ruleset_load_file(b, path, &d), -EBADMSG);
	ck_assert_uint_eq(d.n, 4);
	ck_assert(has(&d, 7, "unknown name 'param.b'"));
	ck_assert(has(&d, 8, "if must be a condition"));
	ck_assert(has(&d, 9, "needs key, when"));
	ck_assert(has(&d, 10, "unknown manager field 'colour'"));
	hr_ruleset_managers(b, &n);
	ck_assert_uint_eq(n, 0);
	hr_diags_clear(&d);
	hr_ruleset_free(b);
	unlink(path);
}
END_TEST

static Suite *managers_suite(void)
{
	Suite *s = suite_create("managers");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, defaults_and_cpus);
	tcase_add_test(tc, kube_config);
	tcase_add_test(tc, kube_flags);
	tcase_add_test(tc, sysctl_d);
	tcase_add_test(tc, load_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	char cmd[100];
	int rc;

	if (!mkdtemp(tmpdir))
		return EXIT_FAILURE;
	rc = ut_run(managers_suite());
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir); /* outside a test: no ck_assert */
	return system(cmd) == 0 ? rc : EXIT_FAILURE;
}
