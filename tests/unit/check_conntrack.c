/* Unit tests of the conntrack readers: the per-CPU stat file by column name,
 * the procfs entry format, NAT tuple aggregation (rates from timestamps and
 * TIME_WAIT ages, folding past the bound) and the facts it writes. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conntrack.h"
#include "check-run.h"

#define STAT_HDR "entries  clashres found new invalid ignore delete chainlength insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart\n"

/* A fact's number (fails the test when missing). */
static double num(hr_facts *f, const char *name)
{
	struct hr_value v;

	ck_assert_int_eq(hr_facts_get(f, name, -1, &v), 0);
	ck_assert_msg(v.type == HR_V_NUM, "%s: %s", name, v.missing ? v.missing : "not a number");
	return v.num;
}

START_TEST(test_stat_sum_by_name)
{
	const char *text = STAT_HDR
		"00000064  00000001 000007d8 00000000 00000000 00000000 00000000 00000000 00000000 00000003 0000000a 00000001 00000000  00000000 00000000 00000000 00000002\n"
		"00000064  00000002 00000a62 00000000 00000000 00000000 00000000 00000000 00000000 00000010 00000000 00000000 00000000  00000000 00000000 00000000 00000000\n";
	struct hr_ct_stat st;
	const char *why = NULL;
	uint64_t v;

	ck_assert_int_eq(hr_ct_stat_parse(text, &st, &why), 0);
	ck_assert_int_eq(st.rows, 2);
	ck_assert_int_eq(hr_ct_stat_get(&st, "entries", &v), 0);
	ck_assert_uint_eq(v, 100); /* the count, printed on each row: not summed */
	ck_assert_int_eq(hr_ct_stat_get(&st, "insert_failed", &v), 0);
	ck_assert_uint_eq(v, 0x13);
	ck_assert_int_eq(hr_ct_stat_get(&st, "drop", &v), 0);
	ck_assert_uint_eq(v, 10);
	ck_assert_int_eq(hr_ct_stat_get(&st, "found", &v), 0);
	ck_assert_uint_eq(v, 0x7d8 + 0xa62);
	ck_assert_int_eq(hr_ct_stat_get(&st, "no_such", &v), -ENOENT);
}
END_TEST

/* Columns are found by name: another order gives the same sums. */
START_TEST(test_stat_other_order)
{
	const char *text = "entries drop insert_failed\n00000005 00000001 00000002\n00000005 00000003 00000004\n";
	struct hr_ct_stat st;
	const char *why = NULL;
	uint64_t v;

	ck_assert_int_eq(hr_ct_stat_parse(text, &st, &why), 0);
	ck_assert_int_eq(hr_ct_stat_get(&st, "insert_failed", &v), 0);
	ck_assert_uint_eq(v, 6);
	ck_assert_int_eq(hr_ct_stat_get(&st, "drop", &v), 0);
	ck_assert_uint_eq(v, 4);
}
END_TEST

START_TEST(test_stat_bad)
{
	struct hr_ct_stat st;
	const char *why = NULL;

	ck_assert_int_eq(hr_ct_stat_parse("", &st, &why), -EBADMSG);
	ck_assert_int_eq(hr_ct_stat_parse("found drop\n1 2\n", &st, &why), -EBADMSG);
	ck_assert_int_eq(hr_ct_stat_parse("entries drop\n00000001 zz\n", &st, &why), -EBADMSG);
	ck_assert_int_eq(hr_ct_stat_parse("entries drop\n00000001 1 2\n", &st, &why), -EBADMSG);
	ck_assert_int_eq(hr_ct_stat_parse("entries drop\n00000001\n", &st, &why), -EBADMSG);
	ck_assert_int_eq(hr_ct_stat_parse("entries drop\n", &st, &why), -EBADMSG);
	ck_assert_ptr_nonnull(why);
}
END_TEST

START_TEST(test_parse_line)
{
	const char *l = "ipv4     2 tcp      6 118 TIME_WAIT src=10.211.1.1 dst=10.211.2.2 sport=33380 dport=8080 "
			"src=10.211.2.2 dst=10.211.2.1 sport=8080 dport=40076 [ASSURED] mark=0 zone=0 use=2";
	const char *u = "ipv4     2 udp      17 29 src=10.0.0.1 dst=10.0.0.2 sport=5000 dport=53 [UNREPLIED] "
			"src=10.0.0.2 dst=10.0.0.1 sport=53 dport=5000 mark=0 delta-time=7 use=1";
	const char *six = "ipv6     10 tcp      6 431999 ESTABLISHED src=fd00::1 dst=fd00::2 sport=1000 dport=443 "
			  "src=fd00::2 dst=fd00::1 sport=443 dport=1000 [ASSURED] mark=0 use=1";
	struct hr_ct_entry e;
	const char *why = NULL;

	ck_assert_int_eq(hr_ct_parse_line(l, strlen(l), &e, &why), 0);
	ck_assert_int_eq(e.family, AF_INET);
	ck_assert_int_eq(e.proto, IPPROTO_TCP);
	ck_assert_int_eq(e.tcp_state, HR_CT_TCP_TIME_WAIT);
	ck_assert_uint_eq(e.timeout_s, 118);
	ck_assert_uint_eq(e.osport, 33380);
	ck_assert_uint_eq(e.odport, 8080);
	ck_assert_uint_eq(e.rdport, 40076);
	ck_assert(e.snat);
	ck_assert(e.age_s < 0);

	ck_assert_int_eq(hr_ct_parse_line(u, strlen(u), &e, &why), 0);
	ck_assert_int_eq(e.proto, IPPROTO_UDP);
	ck_assert_int_eq(e.tcp_state, -1);
	ck_assert(!e.snat);
	ck_assert(e.age_s == 7.5);

	ck_assert_int_eq(hr_ct_parse_line(six, strlen(six), &e, &why), 0);
	ck_assert_int_eq(e.family, AF_INET6);
	ck_assert_int_eq(e.tcp_state, HR_CT_TCP_ESTABLISHED);
	ck_assert(!e.snat);

	ck_assert_int_eq(hr_ct_parse_line("ipx 1 tcp 6 1", 13, &e, &why), -EBADMSG);
	ck_assert_int_eq(hr_ct_parse_line("ipv4 2 tcp 6 1 src=1.2.3.4", 26, &e, &why), -EBADMSG);
	ck_assert_int_eq(hr_ct_parse_line("ipv4 2 tcp 6 1 src=1.2.3.999 dst=1.1.1.1 src=1.1.1.1 dst=1.1.1.1", 64, &e, &why),
			 -EBADMSG);
}
END_TEST

/* A SNAT entry toward 10.0.0.2:80 translated to 192.0.2.1:port. */
static void snat_entry(struct hr_ct_entry *e, uint16_t port, int state, uint32_t timeout, double age)
{
	memset(e, 0, sizeof(*e));
	e->family = AF_INET;
	e->proto = IPPROTO_TCP;
	e->tcp_state = state;
	e->osrc[0] = 10, e->osrc[3] = 1;
	e->odst[0] = 10, e->odst[3] = 2;
	e->rsrc[0] = 10, e->rsrc[3] = 2;
	e->rdst[0] = 192, e->rdst[2] = 2, e->rdst[3] = 1;
	e->osport = 33000;
	e->odport = 80;
	e->rsport = 80;
	e->rdport = port;
	e->timeout_s = timeout;
	e->age_s = age;
	e->snat = true;
}

/* 10 entries/s for 30 s with creation timestamps: rate 10/s from the
 * shortest window with 100 entries (10 s). */
START_TEST(test_agg_rate_from_timestamps)
{
	hr_ct_agg *a = hr_ct_agg_new(16, 120);
	hr_facts *f = hr_facts_new();
	struct hr_ct_entry e;
	struct hr_value v;
	int i;

	for (i = 0; i < 300; i++) {
		snat_entry(&e, (uint16_t)(40000 + i), HR_CT_TCP_ESTABLISHED, 431999, 30.0 - (i + 0.5) / 10.0);
		hr_ct_agg_add(a, &e);
	}
	hr_ct_agg_to_facts(a, f, "test");
	ck_assert(num(f, "conntrack.snat.top.in_use") == 300);
	ck_assert(num(f, "conntrack.snat.top.busy") == 300);
	ck_assert_double_eq_tol(num(f, "conntrack.snat.top.rate_window"), 10, 1e-9);
	ck_assert_double_eq_tol(num(f, "conntrack.snat.top.rate"), 10, 1e-9);
	ck_assert(num(f, "conntrack.snat.top.port_low") == 40000);
	ck_assert(num(f, "conntrack.snat.top.port_high") == 40299);
	ck_assert_int_eq(hr_facts_get(f, "conntrack.snat.top.subject", -1, &v), 0);
	ck_assert_str_eq(v.str, "192.0.2.1->10.0.0.2:80/tcp");
	/* The same tuple as a snat_tuples item. */
	ck_assert_uint_eq(hr_facts_count(f, HR_COLL_SNAT_TUPLES), 1);
	ck_assert_str_eq(hr_facts_item_subject(f, HR_COLL_SNAT_TUPLES, 0), "192.0.2.1->10.0.0.2:80/tcp");
	ck_assert_int_eq(hr_facts_item_get(f, HR_COLL_SNAT_TUPLES, 0, "snat.busy", &v), 0);
	ck_assert(v.type == HR_V_NUM && v.num == 300);
	hr_facts_free(f);
	hr_ct_agg_free(a);
}
END_TEST

/* No timestamps: the close rate from TIME_WAIT ages (120 s timeout). */
START_TEST(test_agg_rate_from_timewait)
{
	hr_ct_agg *a = hr_ct_agg_new(16, 120);
	hr_facts *f = hr_facts_new();
	struct hr_ct_entry e;
	int i;

	/* 5 closes/s over the last 20 s: timeouts 119 down to 100 (the
	 * kernel rounds the time left down: ages 0-1 s show 119). */
	for (i = 0; i < 100; i++) {
		snat_entry(&e, (uint16_t)(40000 + i), HR_CT_TCP_TIME_WAIT, (uint32_t)(119 - i / 5), -1);
		hr_ct_agg_add(a, &e);
	}
	for (i = 0; i < 7; i++) {
		snat_entry(&e, (uint16_t)(41000 + i), HR_CT_TCP_ESTABLISHED, 431999, -1);
		hr_ct_agg_add(a, &e);
	}
	hr_ct_agg_to_facts(a, f, "test");
	ck_assert(num(f, "conntrack.snat.top.in_use") == 107);
	ck_assert(num(f, "conntrack.snat.top.busy") == 7);
	ck_assert(num(f, "conntrack.snat.top.closing") == 100);
	/* Oldest closes 19-20 s ago: the last 19 s are fully seen, 95 closes. */
	ck_assert_double_eq_tol(num(f, "conntrack.snat.top.rate_window"), 19, 1e-9);
	ck_assert_double_eq_tol(num(f, "conntrack.snat.top.rate"), 5, 1e-9);
	ck_assert_double_eq_tol(num(f, "conntrack.snat.top.close_rate"), 5, 1e-9);
	hr_facts_free(f);
	hr_ct_agg_free(a);
}
END_TEST

/* Older than 60 s: the 60 s window; expiring entries give the release rate. */
START_TEST(test_agg_rate_steady)
{
	hr_ct_agg *a = hr_ct_agg_new(16, 120);
	hr_facts *f = hr_facts_new();
	struct hr_ct_entry e;
	int i;

	/* 2 closes/s for 120 s: timeouts 119 .. 0 (0.5 s apart). */
	for (i = 0; i < 240; i++) {
		snat_entry(&e, (uint16_t)(40000 + i), HR_CT_TCP_TIME_WAIT, (uint32_t)(119 - i / 2), -1);
		hr_ct_agg_add(a, &e);
	}
	hr_ct_agg_to_facts(a, f, "test");
	ck_assert(num(f, "conntrack.snat.top.rate_window") == 60);
	ck_assert_double_eq_tol(num(f, "conntrack.snat.top.close_rate"), 2, 1e-9);
	/* Timeouts below 10 s: 0..9, two each = 20 in 10 s. */
	ck_assert_double_eq_tol(num(f, "conntrack.snat.top.expire_rate"), 2, 1e-9);
	hr_facts_free(f);
	hr_ct_agg_free(a);
}
END_TEST

/* 6.5+ takeover: 20 flows/s held 10 s, closed into TIME_WAIT, where new
 * flows evict old entries (the older, the fewer left: every other one
 * past 10 s of TIME_WAIT). The rate comes from the young windows that
 * still hold every arrival, not from the whole depleted history. */
START_TEST(test_agg_rate_evicted)
{
	hr_ct_agg *a = hr_ct_agg_new(16, 120);
	hr_facts *f = hr_facts_new();
	struct hr_ct_entry e;
	uint16_t port = 40000;
	int i;

	/* Live: born 0-10 s ago, 20/s. */
	for (i = 0; i < 200; i++) {
		snat_entry(&e, port++, HR_CT_TCP_ESTABLISHED, 431999, (i + 0.5) / 20.0);
		hr_ct_agg_add(a, &e);
	}
	/* Closed 0-50 s ago (born 10 s before): all of the last 10 s of
	 * closes, half of the older ones. */
	for (i = 0; i < 1000; i++) {
		double closed = (i + 0.5) / 20.0;

		if (closed >= 10 && i % 2)
			continue;
		snat_entry(&e, port++, HR_CT_TCP_TIME_WAIT, (uint32_t)(120 - (int)closed - 1), closed + 10);
		hr_ct_agg_add(a, &e);
	}
	hr_ct_agg_to_facts(a, f, "test");
	ck_assert(num(f, "conntrack.snat.top.busy") == 200);
	/* 20 arrivals in the last second: 100 need the 5 s window. */
	ck_assert_double_eq_tol(num(f, "conntrack.snat.top.rate_window"), 5, 1e-9);
	ck_assert_double_eq_tol(num(f, "conntrack.snat.top.rate"), 20, 1e-9);
	/* Closes: ages 0-5 s, 100 of them (q <= 5 is age <= 5). */
	ck_assert_double_eq_tol(num(f, "conntrack.snat.top.close_rate"), 20, 1e-9);
	hr_facts_free(f);
	hr_ct_agg_free(a);
}
END_TEST

/* Past the bound, new tuples fold into one count; known tuples still count. */
START_TEST(test_agg_fold)
{
	hr_ct_agg *a = hr_ct_agg_new(2, 120);
	hr_facts *f = hr_facts_new();
	struct hr_ct_entry e;
	int i;

	for (i = 0; i < 5; i++) {
		snat_entry(&e, 40000, HR_CT_TCP_ESTABLISHED, 100, -1);
		e.odport = (uint16_t)(80 + i);
		hr_ct_agg_add(a, &e);
	}
	snat_entry(&e, 40001, HR_CT_TCP_ESTABLISHED, 100, -1);
	hr_ct_agg_add(a, &e); /* dport 80 again: held */
	hr_ct_agg_to_facts(a, f, "test");
	ck_assert(num(f, "conntrack.snat.tuples") == 2);
	ck_assert_uint_eq(hr_facts_count(f, HR_COLL_SNAT_TUPLES), 2);
	ck_assert(num(f, "conntrack.snat.folded_entries") == 3);
	ck_assert(num(f, "conntrack.snat.entries") == 6);
	ck_assert(num(f, "conntrack.snat.top.in_use") == 2);
	ck_assert(num(f, "conntrack.destinations") == 2);
	ck_assert(num(f, "conntrack.destinations_folded_entries") == 3);
	hr_facts_free(f);
	hr_ct_agg_free(a);
}
END_TEST

/* A tree's procfs file streams into the same facts; bad lines are problems. */
START_TEST(test_procfile)
{
	char path[] = "/tmp/hr-ct-XXXXXX";
	int fd = mkstemp(path);
	FILE *fp = fdopen(fd, "w");
	hr_ct_agg *a = hr_ct_agg_new(16, 120);
	hr_facts *f = hr_facts_new();
	struct hr_value v;

	fprintf(fp, "ipv4     2 tcp      6 118 TIME_WAIT src=10.1.1.1 dst=10.2.2.2 sport=1 dport=80 "
		    "src=10.2.2.2 dst=10.2.2.1 sport=80 dport=40000 [ASSURED] mark=0 use=1\n"
		    "garbage\n"
		    "ipv4     2 tcp      6 300 ESTABLISHED src=10.1.1.1 dst=10.2.2.2 sport=2 dport=80 "
		    "src=10.2.2.2 dst=10.2.2.1 sport=80 dport=40001 [ASSURED] mark=0 use=1\n");
	fclose(fp);
	ck_assert_int_eq(hr_ct_read_procfile(a, open(path, O_RDONLY), "nf_conntrack", f), 2);
	ck_assert_uint_eq(hr_facts_problem_count(f), 1);
	hr_ct_agg_to_facts(a, f, "nf_conntrack");
	ck_assert(num(f, "conntrack.snat.top.in_use") == 2);
	ck_assert(num(f, "conntrack.snat.top.busy") == 1);
	ck_assert_int_eq(hr_facts_get(f, "conntrack.top_destination", -1, &v), 0);
	ck_assert_str_eq(v.str, "10.2.2.2:80/tcp");
	unlink(path);
	hr_facts_free(f);
	hr_ct_agg_free(a);
}
END_TEST

/* The live dump works as root (this namespace's table) or says why not. */
START_TEST(test_dump_live)
{
	hr_ct_agg *a = hr_ct_agg_new(16, 120);
	struct hr_err err = {0};
	long n = hr_ct_dump(a, &err);

	if (n < 0)
		ck_assert_msg(err.msg[0] != '\0', "a failed dump says why");
	else
		ck_assert(n >= 0);
	hr_ct_agg_free(a);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("conntrack");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_stat_sum_by_name);
	tcase_add_test(tc, test_stat_other_order);
	tcase_add_test(tc, test_stat_bad);
	tcase_add_test(tc, test_parse_line);
	tcase_add_test(tc, test_agg_rate_from_timestamps);
	tcase_add_test(tc, test_agg_rate_from_timewait);
	tcase_add_test(tc, test_agg_rate_steady);
	tcase_add_test(tc, test_agg_rate_evicted);
	tcase_add_test(tc, test_agg_fold);
	tcase_add_test(tc, test_procfile);
	tcase_add_test(tc, test_dump_live);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return hr_check_run(suite());
}
