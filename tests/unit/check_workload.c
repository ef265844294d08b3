/* Unit tests of the workload file parser: values, declarations, and errors
 * with their file:line:column. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workload.h"
#include "check-run.h"

/* Parses text into fresh facts; returns the result code, err filled. */
static int load(hr_facts *f, const char *text, struct hr_err *err)
{
	hr_err_clear(err);
	return hr_workload_load_buffer(f, text, strlen(text), "wl.yaml", err);
}

static double fact_num(hr_facts *f, const char *name)
{
	struct hr_value v;

	ck_assert_int_eq(hr_facts_get(f, name, -1, &v), 0);
	ck_assert_int_eq(v.type, HR_V_NUM);
	return v.num;
}

static double dest_num(hr_facts *f, size_t i, const char *field)
{
	struct hr_value v;

	ck_assert_int_eq(hr_facts_item_get(f, HR_COLL_DESTINATIONS, i, field, &v), 0);
	ck_assert(v.type == HR_V_NUM || v.type == HR_V_BOOL);
	return v.num;
}

START_TEST(test_units)
{
	double v;

	ck_assert_int_eq(hr_workload_parse_rate("710", &v), 0);
	ck_assert(v == 710);
	ck_assert_int_eq(hr_workload_parse_rate("710/s", &v), 0);
	ck_assert(v == 710);
	ck_assert_int_eq(hr_workload_parse_rate("42000/min", &v), 0);
	ck_assert(fabs(v - 700) < 1e-9);
	ck_assert_int_eq(hr_workload_parse_rate("3600/h", &v), 0);
	ck_assert(fabs(v - 1) < 1e-9);
	ck_assert_int_eq(hr_workload_parse_rate("-1/s", &v), -EINVAL);
	ck_assert_int_eq(hr_workload_parse_rate("inf", &v), -EINVAL);
	ck_assert_int_eq(hr_workload_parse_rate("nan/s", &v), -EINVAL);
	ck_assert_int_eq(hr_workload_parse_rate("10/day", &v), -EINVAL);
	ck_assert_int_eq(hr_workload_parse_rate("1e999", &v), -EINVAL);
	ck_assert_int_eq(hr_workload_parse_duration("15min", &v), 0);
	ck_assert(v == 900);
	ck_assert_int_eq(hr_workload_parse_duration("250ms", &v), 0);
	ck_assert(fabs(v - 0.25) < 1e-12);
	ck_assert_int_eq(hr_workload_parse_duration("1h", &v), 0);
	ck_assert(v == 3600);
	ck_assert_int_eq(hr_workload_parse_duration("30", &v), 0);
	ck_assert(v == 30);
	ck_assert_int_eq(hr_workload_parse_duration("30 sec", &v), -EINVAL);
	ck_assert_int_eq(hr_workload_parse_duration("", &v), -EINVAL);
}
END_TEST

START_TEST(test_declares)
{
	hr_facts *f = hr_facts_new();
	struct hr_err err = {0};
	const char *text = "outbound:\n"
			   "  - destination: 10.0.0.2:5774\n"
			   "    rate: 710/s\n"
			   "    closes: client\n"
			   "    sources: 3\n"
			   "  - destination: \"[2001:db8::1]:443\"\n"
			   "    rate: 60/min\n"
			   "    closes: server\n"
			   "inbound:\n"
			   "  - port: 8080\n"
			   "    rate: 200\n"
			   "  - {port: 9090, rate: 50/s, closes: client}\n"
			   "middlebox_idle_timeout: 15min\n"
			   "failover_deadline: 30s\n"
			   "clients_behind_nat: true\n"
			   "role: nat-gateway\n"
			   "requests_per_connection: 50\n";

	ck_assert_int_eq(load(f, text, &err), 0);
	ck_assert_str_eq(err.msg, "");
	ck_assert_uint_eq(hr_facts_count(f, HR_COLL_DESTINATIONS), 2);
	ck_assert_str_eq(hr_facts_item_subject(f, HR_COLL_DESTINATIONS, 0), "10.0.0.2:5774");
	ck_assert(dest_num(f, 0, "dest.rate") == 710);
	ck_assert(dest_num(f, 0, "dest.local_closes") == 1);
	ck_assert(dest_num(f, 0, "dest.sources") == 3);
	ck_assert(dest_num(f, 1, "dest.sources") == 1);
	ck_assert_str_eq(hr_facts_item_subject(f, HR_COLL_DESTINATIONS, 1), "[2001:db8::1]:443");
	ck_assert(fabs(dest_num(f, 1, "dest.rate") - 1) < 1e-9);
	ck_assert(dest_num(f, 1, "dest.local_closes") == 0);
	ck_assert_uint_eq(hr_facts_count(f, HR_COLL_LISTENING_PORTS), 2);
	ck_assert(fact_num(f, "workload.inbound_rate") == 250);
	ck_assert(fact_num(f, "workload.middlebox_idle_timeout") == 900);
	ck_assert(fact_num(f, "workload.failover_deadline") == 30);
	ck_assert(fact_num(f, "workload.clients_behind_nat") == 1);
	ck_assert(fact_num(f, "workload.forwarding") == 1);
	ck_assert(fact_num(f, "workload.requests_per_connection") == 50);
	hr_facts_free(f);
}
END_TEST

/* Each malformed file must fail with this exact location and a message part. */
static const struct {
	const char *text;
	const char *where; /* "wl.yaml:L:C:" */
	const char *what;
} bad[] = {
	{"outbound:\n  - destination: 10.0.0.2:5774\n    rate: 710/s\n    colses: client\n", "wl.yaml:4:5:",
	 "unknown key 'colses'"},
	{"outbound:\n  - destination: 10.0.0.2:5774\n    rate: fast\n", "wl.yaml:3:11:", "bad rate 'fast'"},
	{"outbound:\n  - destination: backend.example:5774\n    rate: 1\n", "wl.yaml:2:18:",
	 "not an IP address"},
	{"outbound:\n  - destination: 10.0.0.2:70000\n    rate: 1\n", "wl.yaml:2:18:", "bad port"},
	{"outbound:\n  - destination: 2001:db8::1:443\n    rate: 1\n", "wl.yaml:2:18:", "brackets"},
	{"outbound:\n  - rate: 1\n", "wl.yaml:2:5:", "without 'destination'"},
	{"snat_port_range: 40099-40000\n", "wl.yaml:1:18:", "want LOW-HIGH"},
	{"snat_port_range: 40000\n", "wl.yaml:1:18:", "want LOW-HIGH"},
	{"snat_port_range: 1-70000\n", "wl.yaml:1:18:", "want LOW-HIGH"},
	{"outbound:\n  - destination: 10.0.0.2:80\n", "wl.yaml:2:5:", "without 'rate'"},
	{"outbound:\n  - destination: 10.0.0.2:80\n    rate: 1\n    closes: both\n", "wl.yaml:4:13:",
	 "want client or server"},
	{"outbound: 10.0.0.2:80\n", "wl.yaml:1:11:", "must be a list"},
	{"inbound:\n  - port: 0\n    rate: 1\n", "wl.yaml:2:11:", "bad port '0'"},
	{"middlebox_idle_timeout: 15 minutes\n", "wl.yaml:1:25:", "bad duration"},
	{"failover_deadline: 0s\n", "wl.yaml:1:20:", "more than 0"},
	{"clients_behind_nat: yes\n", "wl.yaml:1:21:", "want true or false"},
	{"role: firewall\n", "wl.yaml:1:7:", "want host, router or nat-gateway"},
	{"failover_deadline: 30s\nfailover_deadline: 40s\n", "wl.yaml:2:1:", "duplicate key"},
	{"outbund:\n  - destination: 10.0.0.2:80\n", "wl.yaml:1:1:", "unknown key 'outbund'"},
	{"outbound:\n  - destination: 10.0.0.2:80\n   rate: 1\n", "wl.yaml:3:", "YAML syntax"},
	{"- 1\n- 2\n", "wl.yaml:1:1:", "a workload file is a mapping"},
	{"", "wl.yaml:1:1:", "empty workload file"},
	{"failover_deadline: 30s\n---\nfailover_deadline: 40s\n", "wl.yaml:2:1:", "only one YAML document"},
	{"requests_per_connection: 0\n", "wl.yaml:1:26:", "whole number"},
	{"outbound:\n  - destination: 10.0.0.2:80\n    rate: 1\n    sources: 0\n", "wl.yaml:4:14:",
	 "whole number of local addresses"},
	{"outbound:\n  - destination: 10.0.0.2:80\n    rate: 1\n    sources: two\n", "wl.yaml:4:14:",
	 "got 'two'"},
};

START_TEST(test_errors)
{
	hr_facts *f = hr_facts_new();
	struct hr_err err = {0};
	int r = load(f, bad[_i].text, &err);

	ck_assert_msg(r == -EBADMSG, "case %d: rc %d", _i, r);
	ck_assert_msg(!strncmp(err.msg, bad[_i].where, strlen(bad[_i].where)), "case %d: '%s' does not start with '%s'",
		      _i, err.msg, bad[_i].where);
	ck_assert_msg(strstr(err.msg, bad[_i].what), "case %d: '%s' lacks '%s'", _i, err.msg, bad[_i].what);
	/* Nothing is declared from a file with an error. */
	ck_assert_uint_eq(hr_facts_count(f, HR_COLL_DESTINATIONS), 0);
	hr_facts_free(f);
}
END_TEST

/* The SNAT rule's port range, for nat.snat-ports. */
/* A declared path (rtt, bandwidth) for buffers.bdp: dest.path_* facts,
 * rate optional then, both keys or neither. */
START_TEST(test_path)
{
	hr_facts *f = hr_facts_new();
	struct hr_err err;
	struct hr_value v;
	double bw;

	ck_assert_int_eq(hr_workload_parse_bandwidth("400Mbit/s", &bw), 0);
	ck_assert(fabs(bw - 50e6) < 1e-6);
	ck_assert_int_eq(hr_workload_parse_bandwidth("12.5MB/s", &bw), 0);
	ck_assert(fabs(bw - 12.5e6) < 1e-6);
	ck_assert_int_eq(hr_workload_parse_bandwidth("400Mbps", &bw), -EINVAL);
	ck_assert_int_eq(load(f, "outbound:\n  - destination: 10.0.0.2:5201\n    rtt: 50ms\n    bandwidth: 1Gbit/s\n", &err), 0);
	ck_assert(fabs(dest_num(f, 0, "dest.path_rtt") - 0.05) < 1e-12);
	ck_assert(fabs(dest_num(f, 0, "dest.path_rate") - 125e6) < 1e-6);
	ck_assert(dest_num(f, 0, "dest.rate_declared") == 0);
	hr_facts_free(f);
	f = hr_facts_new();
	ck_assert_int_eq(load(f, "outbound:\n  - destination: 10.0.0.2:5201\n    rate: 5/s\n", &err), 0);
	ck_assert_int_eq(hr_facts_item_get(f, HR_COLL_DESTINATIONS, 0, "dest.path_rtt", &v), 0);
	ck_assert_int_eq(v.type, HR_V_MISSING);
	hr_facts_free(f);
	f = hr_facts_new();
	ck_assert_int_eq(load(f, "outbound:\n  - destination: 10.0.0.2:5201\n    rtt: 50ms\n", &err), -EBADMSG);
	ck_assert_msg(strstr(err.msg, "wl.yaml:2:") && strstr(err.msg, "both 'rtt' and 'bandwidth'"), "%s", err.msg);
	ck_assert_int_eq(load(f, "outbound:\n  - destination: 10.0.0.2:5201\n    rtt: 50ms\n    bandwidth: fast\n", &err),
			 -EBADMSG);
	ck_assert_msg(strstr(err.msg, "wl.yaml:4:") && strstr(err.msg, "bandwidth"), "%s", err.msg);
	hr_facts_free(f);
	/* An inbound entry's path: uploads to that listening port. */
	f = hr_facts_new();
	ck_assert_int_eq(load(f, "inbound:\n  - port: 5201\n    rtt: 20ms\n    bandwidth: 100Mbit/s\n", &err), 0);
	ck_assert_int_eq(hr_facts_item_get(f, HR_COLL_LISTENERS, 0, "listener.path_rtt", &v), 0);
	ck_assert(v.type != HR_V_MISSING && fabs(v.num - 0.02) < 1e-12);
	ck_assert_int_eq(hr_facts_item_get(f, HR_COLL_LISTENERS, 0, "listener.path_rate", &v), 0);
	ck_assert(fabs(v.num - 12.5e6) < 1e-6);
	ck_assert_int_eq(load(f, "inbound:\n  - port: 5201\n    bandwidth: 1Gbit/s\n", &err), -EBADMSG);
	ck_assert_msg(strstr(err.msg, "both 'rtt' and 'bandwidth'"), "%s", err.msg);
	hr_facts_free(f);
}
END_TEST

START_TEST(test_snat_range)
{
	hr_facts *f = hr_facts_new();
	struct hr_err err = {0};

	ck_assert_int_eq(load(f, "snat_port_range: 40000-40099\n", &err), 0);
	ck_assert(fact_num(f, "workload.snat_port_range_low") == 40000);
	ck_assert(fact_num(f, "workload.snat_port_range_high") == 40099);
	hr_facts_free(f);
}
END_TEST

START_TEST(test_missing_file)
{
	hr_facts *f = hr_facts_new();
	struct hr_err err = {0};

	ck_assert_int_eq(hr_workload_load(f, "/nonexistent/wl.yaml", &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/wl.yaml"));
	hr_facts_free(f);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("workload");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_units);
	tcase_add_test(tc, test_declares);
	tcase_add_loop_test(tc, test_errors, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, test_snat_range);
	tcase_add_test(tc, test_path);
	tcase_add_test(tc, test_missing_file);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return hr_check_run(suite());
}
