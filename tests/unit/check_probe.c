/* Unit tests of the probe's sysctl and counter readers on temporary trees. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "probe.h"
#include "check-run.h"

static char root[256];

/* Writes ROOT/rel with text, making the directories. */
static void put(const char *rel, const char *text)
{
	char path[512], *p;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	fclose(fp);
}

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void setup(void)
{
	snprintf(root, sizeof(root), "/tmp/check_probe.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	put("proc/sys/net/ipv4/ip_local_port_range", "32768\t60999\n");
	put("proc/sys/net/ipv4/tcp_tw_reuse", "2\n");
	put("proc/sys/net/ipv4/tcp_rmem", "4096\t131072\t6291456\n");
	put("proc/sys/net/ipv4/ip_local_reserved_ports", "\n");
	put("proc/sys/net/ipv4/tcp_congestion_control", "cubic\n");
	put("proc/sys/net/ipv4/conf/all/rp_filter", "2\n");
	put("proc/sys/net/ipv4/conf/default/rp_filter", "1\n");
	put("proc/sys/net/core/somaxconn", "4096\n");
	put("proc/sys/kernel/osrelease", "6.18.44-test\n");
	put("proc/sys/kernel/random/boot_id", "11111111-2222-3333-4444-555555555555\n");
	put("proc/net/sockstat", "sockets: used 10\nTCP: inuse 5 orphan 0 tw 2 alloc 7 mem 1\nUDP: inuse 0 mem 0\n");
	put("proc/net/sockstat6", "TCP6: inuse 3\nUDP6: inuse 0\n");
	put("proc/net/snmp",
	    "Ip: Forwarding DefaultTTL\nIp: 1 64\n"
	    "Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens CurrEstab\n"
	    "Tcp: 1 200 120000 -1 100 40 3\n"
	    "Udp: InDatagrams\nUdp: 9\n");
	put("proc/net/netstat",
	    "TcpExt: SyncookiesSent ListenOverflows ListenDrops TCPTimeWaitOverflow\n"
	    "TcpExt: 0 7 8 2\n"
	    "IpExt: InNoRoutes\nIpExt: 0\n");
	put("sys/kernel/slab/tw_sock_TCP/object_size", "248\n");
}

static void teardown(void)
{
	nftw(root, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
}

/* Runs the probe on the tree (no sockets). */
static hr_facts *probe(int expect)
{
	struct hr_probe_opts o = {.root = root, .interval_s = -1, .no_sockets = true};
	struct hr_err e = {0};
	hr_facts *f = hr_facts_new();

	ck_assert_int_eq(hr_probe_run(f, &o, &e), expect);
	return f;
}

static double num(hr_facts *f, const char *name, int idx)
{
	struct hr_value v;

	ck_assert_int_eq(hr_facts_get(f, name, idx, &v), 0);
	ck_assert_msg(v.type == HR_V_NUM, "%s is not a number (%s)", name, v.missing ? v.missing : "");
	return v.num;
}

static const char *missing(hr_facts *f, const char *name)
{
	struct hr_value v;

	ck_assert_int_eq(hr_facts_get(f, name, -1, &v), 0);
	ck_assert_msg(v.type == HR_V_MISSING, "%s is not missing", name);
	return v.missing;
}

/* True when some problem's "source: message" contains both strings. */
static bool problem(hr_facts *f, const char *a, const char *b)
{
	json_t *j = hr_facts_to_json(f), *p;
	size_t i;
	bool found = false;

	json_array_foreach(json_object_get(j, "problems"), i, p) {
		char buf[2048];

		snprintf(buf, sizeof(buf), "%s: %s", json_string_value(json_object_get(p, "source")),
			 json_string_value(json_object_get(p, "message")));
		if (strstr(buf, a) && strstr(buf, b))
			found = true;
	}
	json_decref(j);
	return found;
}

START_TEST(test_sysctls)
{
	hr_facts *f = probe(0);
	struct hr_value v;
	char src[512];

	ck_assert_double_eq(num(f, "net.ipv4.ip_local_port_range", 1), 60999);
	ck_assert_double_eq(num(f, "net.ipv4.tcp_rmem", 2), 6291456);
	ck_assert_double_eq(num(f, "net.ipv4.conf.all.rp_filter", -1), 2);
	ck_assert_double_eq(num(f, "net.ipv4.conf.default.rp_filter", -1), 1);
	ck_assert_double_eq(num(f, "net.core.somaxconn", -1), 4096);
	ck_assert_int_eq(hr_facts_get(f, "net.ipv4.tcp_congestion_control", -1, &v), 0);
	ck_assert_str_eq(v.str, "cubic");
	snprintf(src, sizeof(src), "%s/proc/sys/net/ipv4/tcp_tw_reuse", root);
	ck_assert_int_eq(hr_facts_get(f, "net.ipv4.tcp_tw_reuse", -1, &v), 0);
	ck_assert_str_eq(v.source, src);
	/* Missing keys are facts too, with the reason. */
	ck_assert_str_eq(missing(f, "net.ipv4.tcp_tw_recycle"), "absent on this kernel (removed in 4.12)");
	ck_assert_str_eq(missing(f, "net.ipv4.tcp_rto_max_ms"), "absent on this kernel (added in 6.15)");
	ck_assert_ptr_nonnull(strstr(missing(f, "net.netfilter.nf_conntrack_max"), "conntrack module not loaded"));
	ck_assert_ptr_nonnull(strstr(missing(f, "net.ipv4.tcp_mem"), "global key"));
	ck_assert_int_eq(hr_facts_get(f, "kernel.osrelease", -1, &v), 0);
	ck_assert_str_eq(v.str, "6.18.44-test");
	ck_assert_double_eq(num(f, "slab.tw_sock_TCP.object_size", -1), 248);
	ck_assert_uint_eq(hr_facts_problem_count(f), 0);
	hr_facts_free(f);
}
END_TEST

START_TEST(test_counters)
{
	hr_facts *f = probe(0);
	char src[512];
	struct hr_value v;

	ck_assert_double_eq(num(f, "snmp.Tcp.ActiveOpens", -1), 100);
	ck_assert_double_eq(num(f, "snmp.Tcp.MaxConn", -1), -1);
	ck_assert_double_eq(num(f, "netstat.TcpExt.ListenOverflows", -1), 7);
	ck_assert_double_eq(num(f, "sockstat.TCP.tw", -1), 2);
	ck_assert_double_eq(num(f, "sockstat.sockets.used", -1), 10);
	ck_assert_double_eq(num(f, "sockstat6.TCP6.inuse", -1), 3);
	snprintf(src, sizeof(src), "%s/proc/net/snmp", root);
	ck_assert_int_eq(hr_facts_get(f, "snmp.Tcp.ActiveOpens", -1, &v), 0);
	ck_assert_str_eq(v.source, src);
	/* Every group of snmp/netstat (the counter catalogue reads Ip, Udp, IpExt...). */
	ck_assert_double_eq(num(f, "snmp.Ip.Forwarding", -1), 1);
	ck_assert_double_eq(num(f, "netstat.IpExt.InNoRoutes", -1), 0);
	/* Counters of interest the files lack: missing with the file named. */
	ck_assert_ptr_nonnull(strstr(missing(f, "netstat.TcpExt.TCPReqQFullDrop"), "not in "));
	/* Single sample under --root without a second sample: rates missing, said why. */
	ck_assert_ptr_nonnull(strstr(missing(f, "rate.Tcp.ActiveOpens"), "TIME_WAIT age histogram"));
	hr_facts_free(f);
}
END_TEST

START_TEST(test_garbage)
{
	hr_facts *f;

	put("proc/sys/net/ipv4/tcp_tw_reuse", "banana\n");
	put("proc/sys/net/ipv4/ip_local_port_range", "32768\n");
	put("proc/sys/net/ipv4/tcp_fin_timeout", "6\0010\n");
	put("proc/net/snmp", "Tcp: ActiveOpens PassiveOpens CurrEstab\nTcp: 5 x\n");
	put("proc/net/sockstat", "TCP: inuse 5 orphan\n");
	f = probe(0);
	ck_assert_ptr_nonnull(strstr(missing(f, "net.ipv4.tcp_tw_reuse"), "'banana' is not an integer"));
	ck_assert_ptr_nonnull(strstr(missing(f, "net.ipv4.ip_local_port_range"), "not two integers"));
	ck_assert_ptr_nonnull(strstr(missing(f, "net.ipv4.tcp_fin_timeout"), "byte 0x01 at offset 1"));
	ck_assert(problem(f, "proc/sys/net/ipv4/tcp_tw_reuse", "banana"));
	ck_assert(problem(f, "proc/net/snmp", "value 'x' is not a number"));
	ck_assert(problem(f, "proc/net/snmp", "more names than values"));
	ck_assert(problem(f, "proc/net/sockstat", "'orphan' has no value"));
	/* What was fine is still there. */
	ck_assert_double_eq(num(f, "snmp.Tcp.ActiveOpens", -1), 5);
	ck_assert_double_eq(num(f, "sockstat.TCP.inuse", -1), 5);
	ck_assert_double_eq(num(f, "net.core.somaxconn", -1), 4096);
	hr_facts_free(f);
}
END_TEST

START_TEST(test_second_sample)
{
	hr_facts *f;
	struct hr_value v;

	put("headroom/interval", "2.5\n");
	put("headroom/sample2/proc/net/snmp", "Tcp: ActiveOpens PassiveOpens\nTcp: 150 40\n");
	put("headroom/sample2/proc/net/netstat",
	    "TcpExt: ListenOverflows ListenDrops TCPTimeWaitOverflow\nTcpExt: 17 8 1\n");
	f = probe(0);
	ck_assert_double_eq(num(f, "rate.Tcp.ActiveOpens", -1), 20);      /* (150 - 100) / 2.5 */
	ck_assert_double_eq(num(f, "rate.Tcp.PassiveOpens", -1), 0);
	ck_assert_double_eq(num(f, "rate.TcpExt.ListenOverflows", -1), 4); /* (17 - 7) / 2.5 */
	/* 2 -> 1: a counter going backwards is no rate, and a problem. */
	ck_assert_ptr_nonnull(strstr(missing(f, "rate.TcpExt.TCPTimeWaitOverflow"), "backwards"));
	ck_assert_int_eq(hr_facts_get(f, "rate.Tcp.ActiveOpens", -1, &v), 0);
	ck_assert_ptr_nonnull(strstr(v.source, "headroom/sample2/proc/net/snmp over 2.5 s"));
	hr_facts_free(f);

	put("headroom/interval", "soon\n");
	f = probe(0);
	ck_assert(problem(f, "headroom/interval", "not a number of seconds"));
	missing(f, "rate.Tcp.ActiveOpens");
	hr_facts_free(f);
}
END_TEST

START_TEST(test_nothing_usable)
{
	char empty[300];
	struct hr_probe_opts o = {.root = empty, .interval_s = 0};
	struct hr_err e = {0};
	hr_facts *f = hr_facts_new();

	snprintf(empty, sizeof(empty), "%s/empty", root);
	mkdir(empty, 0755);
	ck_assert_int_eq(hr_probe_run(f, &o, &e), -ENODATA);
	ck_assert_ptr_nonnull(strstr(e.msg, "nothing usable"));
	ck_assert(problem(f, "empty/proc/net/tcp", "not found"));
	ck_assert(problem(f, "empty/proc/sys/net/ipv4", "not found"));
	/* Keys of a directory that could not be read say so, not "absent on this kernel". */
	ck_assert_ptr_nonnull(strstr(missing(f, "net.ipv4.tcp_tw_reuse"), "not read: "));
	hr_facts_free(f);
}
END_TEST

/* What the progress callback was told. */
struct told {
	int calls, after_end;
	double first, last;
	bool ended;
};

static void record(void *ud, double left_s)
{
	struct told *t = ud;

	if (t->ended)
		t->after_end++;
	if (t->calls++ == 0)
		t->first = left_s;
	t->last = left_s;
	t->ended = left_s <= 0;
}

/* The wait between samples prints nothing itself: it tells the caller's
 * callback the seconds left, shrinking, then 0 once at the end. */
START_TEST(test_wait_progress)
{
	struct told t = {0};
	double t0 = hr_now();

	hr_probe_wait_until(t0, 0.35, record, &t);
	ck_assert_double_ge(hr_now() - t0, 0.35);
	ck_assert_int_ge(t.calls, 4); /* about every 0.1 s, and the end */
	ck_assert_double_le(t.first, 0.35);
	ck_assert_double_gt(t.first, 0.2);
	ck_assert_double_eq(t.last, 0);
	ck_assert(t.ended);
	ck_assert_int_eq(t.after_end, 0);
	/* Nothing left to wait: only the end. */
	memset(&t, 0, sizeof(t));
	hr_probe_wait_until(hr_now() - 1, 0.5, record, &t);
	ck_assert_int_eq(t.calls, 1);
	ck_assert_double_eq(t.last, 0);
	/* No callback: a silent wait. */
	hr_probe_wait_until(hr_now(), 0.05, NULL, NULL);
}
END_TEST

/* A snapshot's headroom/clock: each source's stamps, the capture's moment
 * from its sockets' line; bad lines are problems naming the line, and the
 * good ones still count. */
START_TEST(test_tree_clock)
{
	hr_facts *f;
	struct hr_stamp t;
	struct hr_clock c;
	char src[512];

	put("headroom/clock", "# when each source was read\n"
			      "sockets 1796666924.310400 50.000000\n"
			      "\n"
			      "conntrack 1796666924.560400 50.250000\n"
			      "kmsg 1796666924.6 -\n"
			      "counters 0 51\n"
			      "bpf 1796666924.7 51\n"
			      "sysctls 1796666924.7\n");
	f = probe(0);
	t = hr_facts_read(f, HR_SRC_SOCKETS);
	ck_assert_double_eq_tol(t.real, 1796666924.3104, 1e-6);
	ck_assert_double_eq(t.mono, 50);
	ck_assert(isnan(hr_facts_read(f, HR_SRC_KMSG).mono));
	ck_assert(isnan(hr_facts_read(f, HR_SRC_COUNTERS).real));
	ck_assert_double_eq_tol(num(f, "probe.conntrack_age", -1), -0.25, 1e-9);
	ck_assert_double_eq(num(f, "probe.sockets_age", -1), 0);
	hr_facts_clock(f, &c);
	ck_assert(c.capture);
	ck_assert_double_eq_tol(c.anchor_real, 1796666924.3104, 1e-6);
	snprintf(src, sizeof(src), "%s/headroom/clock", root);
	ck_assert(problem(f, src, "line 6: REALTIME is not a time"));
	ck_assert(problem(f, src, "line 7: unknown source"));
	ck_assert(problem(f, src, "line 8: want SOURCE REALTIME MONOTONIC"));
	ck_assert_uint_eq(hr_facts_problem_count(f), 3);
	hr_facts_free(f);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("probe");
	TCase *tc = tcase_create("tree");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_sysctls);
	tcase_add_test(tc, test_counters);
	tcase_add_test(tc, test_garbage);
	tcase_add_test(tc, test_second_sample);
	tcase_add_test(tc, test_nothing_usable);
	tcase_add_test(tc, test_wait_progress);
	tcase_add_test(tc, test_tree_clock);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return hr_check_run(suite());
}
