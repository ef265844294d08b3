/* Unit tests of the facts model: aggregation, histograms, rates, lookups. */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "facts.h"
#include "trace.h"
#include "check-run.h"

static struct hr_sock mk(int fam, int state, const char *src, uint16_t sport, const char *dst,
			 uint16_t dport, uint32_t expires_ms)
{
	struct hr_sock s;

	memset(&s, 0, sizeof(s));
	s.family = fam;
	s.state = state;
	inet_pton(fam, src, s.src);
	inet_pton(fam, dst, s.dst);
	s.sport = sport;
	s.dport = dport;
	if (state == HR_TIME_WAIT) {
		s.timer = 3;
		s.expires_ms = expires_ms;
	}
	return s;
}

static double item_num(hr_facts *f, enum hr_coll c, size_t i, const char *field)
{
	struct hr_value v;

	ck_assert_int_eq(hr_facts_item_get(f, c, i, field, &v), 0);
	ck_assert(v.type == HR_V_NUM || v.type == HR_V_BOOL);
	return v.num;
}

START_TEST(test_inbound_outbound)
{
	hr_facts *f = hr_facts_new();
	struct hr_sock l = mk(AF_INET, HR_LISTEN, "0.0.0.0", 80, "0.0.0.0", 0, 0);
	struct hr_sock s;
	int i;

	l.rqueue = 3;
	l.wqueue = 128;
	hr_facts_add_socket(f, &l);
	/* A second SO_REUSEPORT socket on the same address, its queue fuller:
	 * both count, the listener shows the fullest queue. */
	l.rqueue = 100;
	l.wqueue = 128;
	hr_facts_add_socket(f, &l);
	l.rqueue = 3;
	for (i = 0; i < 10; i++) {
		s = mk(AF_INET, HR_ESTABLISHED, "10.0.0.1", 80, "10.0.0.9", (uint16_t)(40000 + i), 0);
		hr_facts_add_socket(f, &s); /* inbound: local port 80 listens */
	}
	for (i = 0; i < 20; i++) {
		s = mk(AF_INET, HR_TIME_WAIT, "10.0.0.1", (uint16_t)(33000 + i), "10.0.0.2", 5774,
		       (uint32_t)(60000 - i * 100)); /* born within the last 2 s */
		hr_facts_add_socket(f, &s);
	}
	/* IPv4-mapped IPv6 toward the same destination folds into it. */
	s = mk(AF_INET6, HR_ESTABLISHED, "::ffff:10.0.0.1", 34000, "::ffff:10.0.0.2", 5774, 0);
	hr_facts_add_socket(f, &s);
	hr_facts_sockets_done(f);

	ck_assert_uint_eq(hr_facts_state_count(f, HR_LISTEN), 2);
	ck_assert_uint_eq(hr_facts_count(f, HR_COLL_DESTINATIONS), 1);
	ck_assert_str_eq(hr_facts_item_subject(f, HR_COLL_DESTINATIONS, 0), "10.0.0.2:5774");
	ck_assert_double_eq(item_num(f, HR_COLL_DESTINATIONS, 0, "dest.in_use"), 21);
	ck_assert_double_eq(item_num(f, HR_COLL_DESTINATIONS, 0, "dest.timewait"), 20);
	ck_assert_double_eq(item_num(f, HR_COLL_DESTINATIONS, 0, "dest.born_1s"), 10);
	ck_assert_double_eq(item_num(f, HR_COLL_LISTENERS, 0, "listener.queue"), 100);
	ck_assert_double_eq(item_num(f, HR_COLL_LISTENERS, 0, "listener.backlog"), 128);
	ck_assert_double_eq(item_num(f, HR_COLL_LISTENERS, 0, "listener.established"), 10);
	hr_facts_free(f);
}
END_TEST

START_TEST(test_rate_window)
{
	struct hr_twhist h;
	double w;
	int i, k;

	/* 100/s for the last 7 s: the 5 s window is the largest covered. */
	memset(&h, 0, sizeof(h));
	for (i = 0; i < 700; i++)
		hr_twhist_add(&h, (uint32_t)(60000 - i * 10));
	ck_assert_double_eq_tol(hr_tw_rate(&h, &w), 100, 1e-9);
	ck_assert_double_eq(w, 5);
	/* A flow 4.5 s old at 100/s: the oldest bin is half full; the rate is
	 * 100, not 450 / 5 = 90. */
	memset(&h, 0, sizeof(h));
	for (i = 0; i < 450; i++)
		hr_twhist_add(&h, (uint32_t)(60000 - 5 - i * 10));
	ck_assert_double_eq_tol(hr_tw_rate(&h, &w), 100, 0.5);
	ck_assert_double_eq_tol(w, 4.5, 0.01);
	/* Steady 710/s for more than 60 s: ages spread over the whole minute,
	 * Little's law N/60. */
	memset(&h, 0, sizeof(h));
	for (i = 0; i < 60; i++)
		for (k = 0; k < 710; k++)
			hr_twhist_add(&h, (uint32_t)(60000 - (int64_t)(i * 710 + k) * 60000 / 42600 - 1));
	ck_assert_double_eq_tol(hr_tw_rate(&h, &w), 710, 0.05);
	ck_assert_double_eq_tol(w, 60, 0.01);
	memset(&h, 0, sizeof(h));
	ck_assert_double_eq(hr_tw_rate(&h, &w), 0);
}
END_TEST

START_TEST(test_ports_model)
{
	hr_facts *f = hr_facts_new();
	struct hr_sock l = mk(AF_INET, HR_LISTEN, "0.0.0.0", 40000, "0.0.0.0", 0, 0);
	struct hr_sock l2 = mk(AF_INET, HR_LISTEN, "0.0.0.0", 32800, "0.0.0.0", 0, 0);
	struct hr_value v;

	hr_facts_set_sysctl(f, "net.ipv4.ip_local_port_range", "32768\t60999\n", "/proc/sys/x");
	hr_facts_set_sysctl(f, "net.ipv4.ip_local_reserved_ports", "32800-32809,70000\n", "/proc/sys/y");
	hr_facts_add_socket(f, &l);
	hr_facts_add_socket(f, &l2); /* reserved already: not counted twice */
	ck_assert_int_eq(hr_facts_get(f, "ports.range_size", -1, &v), 0);
	ck_assert_double_eq(v.num, 28232);
	ck_assert_int_eq(hr_facts_get(f, "ports.reserved_in_range", -1, &v), 0);
	ck_assert_double_eq(v.num, 10);
	ck_assert_int_eq(hr_facts_get(f, "ports.listeners_in_range", -1, &v), 0);
	ck_assert_double_eq(v.num, 1);
	ck_assert_int_eq(hr_facts_get(f, "ports.usable", -1, &v), 0);
	ck_assert_double_eq(v.num, 28221);
	ck_assert_int_eq(hr_facts_get(f, "net.ipv4.ip_local_port_range", 1, &v), 0);
	ck_assert_double_eq(v.num, 60999);
	ck_assert_int_eq(hr_facts_get(f, "net.ipv4.ip_local_port_range", -1, &v), -EDOM);
	ck_assert_int_eq(hr_facts_get(f, "net.ipv4.ip_local_port_range", 2, &v), -EDOM);
	ck_assert_int_eq(hr_facts_get(f, "net.ipv4.tcp_tw_recycle", -1, &v), 0);
	ck_assert_int_eq(v.type, HR_V_MISSING);
	ck_assert_str_eq(v.missing, "absent on this kernel");
	ck_assert_int_eq(hr_facts_get(f, "bogus", -1, &v), -ENOENT);
	ck_assert_int_eq(hr_facts_get(f, "sockets.total", -1, &v), 0);
	ck_assert_int_eq(v.type, HR_V_MISSING);
	hr_facts_free(f);
}
END_TEST

/* The port model (issue 25): sources per destination (4 kept, the rest in
 * one bucket), local port parity against the range's low, timestamps from
 * tcpi_options, local ports held across destinations. */
START_TEST(test_port_sources)
{
	hr_facts *f = hr_facts_new();
	struct hr_sock s;
	struct hr_value v;
	char src[32];
	int i;

	hr_facts_set_sysctl(f, "net.ipv4.ip_local_port_range", "40000\t40199\n", "/proc/sys/x");
	/* 6 sources toward 10.0.0.2:5774: .1 has 10 sockets, .2 to .6 two each;
	 * every local port odd (bind()'s parity with low 40000 even). */
	for (i = 0; i < 20; i++) {
		snprintf(src, sizeof(src), "10.0.1.%d", i < 10 ? 1 : 2 + (i - 10) / 2);
		s = mk(AF_INET, i % 2 ? HR_TIME_WAIT : HR_ESTABLISHED, src, (uint16_t)(40001 + 2 * (i % 10)), "10.0.0.2",
		       5774, 30000);
		s.have_idle = s.state == HR_ESTABLISHED;
		s.tcpi_options = 0; /* no timestamps negotiated */
		hr_facts_add_socket(f, &s);
	}
	/* Another destination, one ESTABLISHED socket with timestamps, port even. */
	s = mk(AF_INET, HR_ESTABLISHED, "10.0.1.1", 40100, "10.0.0.3", 80, 0);
	s.have_idle = true;
	s.tcpi_options = 1;
	hr_facts_add_socket(f, &s);
	/* A third with TIME_WAIT only: timestamps unknown. */
	s = mk(AF_INET, HR_TIME_WAIT, "10.0.1.1", 40102, "10.0.0.4", 80, 30000);
	hr_facts_add_socket(f, &s);
	hr_facts_sockets_done(f);

	ck_assert_uint_eq(hr_facts_count(f, HR_COLL_DESTINATIONS), 3);
	/* 4 kept + the 'other sources' bucket counted as one. */
	ck_assert_double_eq(item_num(f, HR_COLL_DESTINATIONS, 0, "dest.sources"), 5);
	ck_assert_double_eq(item_num(f, HR_COLL_DESTINATIONS, 0, "dest.source_max_in_use"), 10);
	ck_assert_double_eq(item_num(f, HR_COLL_DESTINATIONS, 0, "dest.source_max_timewait"), 5);
	ck_assert_double_eq(item_num(f, HR_COLL_DESTINATIONS, 0, "dest.bind_parity_share"), 1);
	ck_assert_int_eq(hr_facts_item_get(f, HR_COLL_DESTINATIONS, 0, "dest.source_busiest", &v), 0);
	ck_assert_str_eq(v.str, "10.0.1.1");
	ck_assert_int_eq(hr_facts_item_get(f, HR_COLL_DESTINATIONS, 0, "dest.timestamps", &v), 0);
	ck_assert_int_eq(v.type, HR_V_BOOL);
	ck_assert_double_eq(v.num, 0);
	ck_assert_int_eq(hr_facts_item_get(f, HR_COLL_DESTINATIONS, 1, "dest.timestamps", &v), 0);
	ck_assert_double_eq(v.num, 1);
	ck_assert_double_eq(item_num(f, HR_COLL_DESTINATIONS, 1, "dest.bind_parity_share"), 0);
	ck_assert_double_eq(item_num(f, HR_COLL_DESTINATIONS, 1, "dest.sources"), 1);
	ck_assert_int_eq(hr_facts_item_get(f, HR_COLL_DESTINATIONS, 2, "dest.timestamps", &v), 0);
	ck_assert_int_eq(v.type, HR_V_MISSING);
	/* Local ports: 10 odd ones toward the first, 40100 and 40102. */
	ck_assert_int_eq(hr_facts_get(f, "ports.bind_in_use", -1, &v), 0);
	ck_assert_double_eq(v.num, 12);
	/* A declared source count larger than seen wins. */
	ck_assert_int_eq(hr_facts_declare_dest(f, "10.0.0.3", 80, 10, true, "w.yaml"), 0);
	ck_assert_int_eq(hr_facts_declare_dest_sources(f, "10.0.0.3", 80, 3), 0);
	ck_assert_double_eq(item_num(f, HR_COLL_DESTINATIONS, 1, "dest.sources"), 3);
	ck_assert_int_eq(hr_facts_declare_dest_sources(f, "10.0.0.9", 80, 3), -ENOENT);
	hr_facts_free(f);
}
END_TEST

START_TEST(test_kernel_cmp)
{
	bool ok;

	ck_assert_int_gt(hr_kernel_version_cmp("6.18.44-fc-v509", "4.12", &ok), 0);
	ck_assert(ok);
	ck_assert_int_lt(hr_kernel_version_cmp("4.9.0-8-amd64", "4.12", &ok), 0);
	ck_assert_int_eq(hr_kernel_version_cmp("4.12.0", "4.12", &ok), 0);
	ck_assert_int_eq(hr_kernel_version_cmp("garbage", "4.12", &ok), -2);
	ck_assert(!ok);
}
END_TEST

START_TEST(test_json_and_declared)
{
	hr_facts *f = hr_facts_new();
	json_t *j;

	ck_assert_int_eq(hr_facts_declare_dest(f, "10.0.0.2", 5774, 710, true, "w.yaml"), 0);
	ck_assert_int_eq(hr_facts_declare_dest(f, "not-an-ip", 1, 1, true, "w.yaml"), -EINVAL);
	ck_assert_int_eq(hr_facts_declare_dest(f, "[::1]", 80, 5, true, "w.yaml"), 0);
	hr_facts_sockets_done(f);
	ck_assert_double_eq(item_num(f, HR_COLL_DESTINATIONS, 0, "dest.rate"), 710);
	ck_assert_str_eq(hr_facts_item_subject(f, HR_COLL_DESTINATIONS, 1), "[::1]:80");
	j = hr_facts_to_json(f);
	ck_assert_ptr_nonnull(json_object_get(j, "sockets"));
	ck_assert_int_eq(json_array_size(json_object_get(json_object_get(j, "sockets"), "destinations")), 2);
	json_decref(j);
	hr_facts_free(f);
}
END_TEST

/* Container ids from cgroup v2 paths (trace.c): each runtime's form, the
 * runtime's monitor (conmon) and a plain service are not containers. */
START_TEST(test_container_id)
{
	static const char h[] = "4f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c";
	static const struct {
		const char *path, *runtime;
	} cases[] = {
		{"/system.slice/docker-%s.scope", "docker"},
		{"/docker/%s", "docker"},
		{"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1a2b.slice/cri-containerd-%s.scope",
		 "containerd"},
		{"/kubepods.slice/kubepods-pod1a2b.slice/crio-%s.scope", "cri-o"},
		{"/machine.slice/libpod-%s.scope/container", "podman"},
		{"/kubepods/burstable/pod0e1d2c3b-aaaa-bbbb-cccc-123456789abc/%s", "kubernetes"},
		{"/machine.slice/libpod-conmon-%s.scope", NULL},
		{"/system.slice/nginx.service", NULL},
		{"/user.slice/docker-%.20s.scope", NULL},
	};
	char path[512], id[65];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *rt;

		snprintf(path, sizeof(path), cases[i].path, h);
		memset(id, 0, sizeof(id));
		rt = hr_trace_container(path, id, sizeof(id));
		if (!cases[i].runtime) {
			ck_assert_msg(rt == NULL, "%s: %s", path, rt);
			continue;
		}
		ck_assert_msg(rt && !strcmp(rt, cases[i].runtime), "%s: %s", path, rt ? rt : "(null)");
		ck_assert_str_eq(id, h);
	}
	ck_assert_ptr_null(hr_trace_container(NULL, id, sizeof(id)));
	ck_assert_ptr_null(hr_trace_container("/docker/x", id, 10));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("facts");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_inbound_outbound);
	tcase_add_test(tc, test_rate_window);
	tcase_add_test(tc, test_ports_model);
	tcase_add_test(tc, test_port_sources);
	tcase_add_test(tc, test_kernel_cmp);
	tcase_add_test(tc, test_json_and_declared);
	tcase_add_test(tc, test_container_id);
	suite_add_tcase(s, tc);
	return hr_check_run(s);
}
