/* Unit tests of the kernel log reader: record parsing, the age window,
 * matching of the limit messages, a tree's file, and (as root) the live
 * /dev/kmsg with a unique marker written through it. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kmsg.h"
#include "check-run.h"

START_TEST(test_parse_record)
{
	const char *r = "4,1234,5678901,-;nf_conntrack: table full, dropping packet\n SUBSYSTEM=net\n";
	const char *msg;
	size_t ml;
	uint64_t ts;

	ck_assert_int_eq(hr_kmsg_parse_record(r, strlen(r), &ts, &msg, &ml), 0);
	ck_assert_uint_eq(ts, 5678901);
	ck_assert_int_eq((int)ml, (int)strlen("nf_conntrack: table full, dropping packet"));
	ck_assert_int_eq(hr_kmsg_parse_record("no semicolon", 12, &ts, &msg, &ml), -EBADMSG);
	ck_assert_int_eq(hr_kmsg_parse_record("4,1;x", 5, &ts, &msg, &ml), -EBADMSG);
	ck_assert_int_eq(hr_kmsg_parse_record("4,1,x1,-;x", 10, &ts, &msg, &ml), -EBADMSG);
	/* Later kernels add fields after the flags ("6,339,5140900,-,caller=T1;..."). */
	ck_assert_int_eq(hr_kmsg_parse_record("6,339,5140900,-,caller=T1;hello", 31, &ts, &msg, &ml), 0);
	ck_assert_uint_eq(ts, 5140900);
}
END_TEST

/* Records older than the window are ignored; matches count with first/last. */
START_TEST(test_window_and_matches)
{
	struct hr_kmsg_scan s;
	const char *full = "nf_conntrack: table full, dropping packet";
	const char *syn = "TCP: request_sock_TCP: Possible SYN flooding on port [10.0.0.1]:80. Sending cookies.";
	hr_facts *f = hr_facts_new();
	struct hr_value v;

	hr_kmsg_scan_init(&s, 600, 10000000000ull); /* now = 10000 s */
	hr_kmsg_scan_add(&s, 9000000000ull, full, strlen(full)); /* 1000 s ago: outside */
	hr_kmsg_scan_add(&s, 9500000000ull, full, strlen(full)); /* 500 s ago */
	hr_kmsg_scan_add(&s, 9900000000ull, full, strlen(full)); /* 100 s ago */
	hr_kmsg_scan_add(&s, 9990000000ull, syn, strlen(syn));
	hr_kmsg_scan_add(&s, 9990000000ull, "eth0: link up", 13);
	ck_assert_uint_eq(s.records, 4);
	ck_assert_uint_eq(s.m[HR_KMSG_CONNTRACK_FULL].count, 2);
	ck_assert_uint_eq(s.m[HR_KMSG_SYN_FLOOD].count, 1);
	ck_assert_uint_eq(s.m[HR_KMSG_ORPHANS].count, 0);
	hr_kmsg_to_facts(&s, f, "test");
	ck_assert_int_eq(hr_facts_get(f, "kernel.log.conntrack_table_full.count", -1, &v), 0);
	ck_assert(v.type == HR_V_NUM && v.num == 2);
	ck_assert_int_eq(hr_facts_get(f, "kernel.log.conntrack_table_full.first_age", -1, &v), 0);
	ck_assert_double_eq_tol(v.num, 500, 1e-6);
	ck_assert_int_eq(hr_facts_get(f, "kernel.log.conntrack_table_full.last_age", -1, &v), 0);
	ck_assert_double_eq_tol(v.num, 100, 1e-6);
	ck_assert_int_eq(hr_facts_get(f, "kernel.log.syn_flood.last", -1, &v), 0);
	ck_assert_str_eq(v.str, syn);
	ck_assert_int_eq(hr_facts_get(f, "kernel.log.orphans.last_age", -1, &v), 0);
	ck_assert(v.type == HR_V_MISSING);
	hr_facts_free(f);
}
END_TEST

static bool listens_80(void *ctx, unsigned port)
{
	(void)ctx;
	return port == 80;
}

/* SYN flood messages name the port: only this namespace's listeners count. */
START_TEST(test_syn_flood_port)
{
	const char *a = "TCP: request_sock_TCP: Possible SYN flooding on port 127.0.0.1:7777. Sending cookies.";
	const char *b = "TCP: request_sock_TCPv6: Possible SYN flooding on port [::1]:80. Dropping request.  Check SNMP counters.";
	const char *c = "possible SYN flooding on port 80. Sending cookies.";
	struct hr_kmsg_scan s;

	ck_assert_int_eq(hr_kmsg_syn_flood_port(a, strlen(a)), 7777);
	ck_assert_int_eq(hr_kmsg_syn_flood_port(b, strlen(b)), 80);
	ck_assert_int_eq(hr_kmsg_syn_flood_port(c, strlen(c)), 80);
	ck_assert_int_eq(hr_kmsg_syn_flood_port("SYN flooding on port x.", 23), -1);
	hr_kmsg_scan_init(&s, 60, 1000000);
	s.listens = listens_80;
	hr_kmsg_scan_add(&s, 900000, a, strlen(a));
	hr_kmsg_scan_add(&s, 900000, b, strlen(b));
	ck_assert_uint_eq(s.m[HR_KMSG_SYN_FLOOD].count, 1);
	ck_assert_uint_eq(s.syn_flood_elsewhere, 1);
}
END_TEST

/* A tree: DIR/headroom/kmsg and DIR/headroom/monotonic. */
START_TEST(test_tree)
{
	char dir[] = "/tmp/hr-kmsg-XXXXXX", p[256];
	FILE *fp;
	hr_facts *f = hr_facts_new();
	struct hr_value v;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/headroom", dir);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/headroom/kmsg", dir);
	fp = fopen(p, "w");
	fprintf(fp, "6,1,1000000,-;TCP: too many orphaned sockets\n SUBSYSTEM=x\n"
		    "6,2,7000000000,-;TCP: too many orphaned sockets\n"
		    "6,3,7100000000,-;TCP: out of memory -- consider tuning tcp_mem\n"
		    "bad line\n");
	fclose(fp);
	snprintf(p, sizeof(p), "%s/headroom/monotonic", dir);
	fp = fopen(p, "w");
	fprintf(fp, "7200.5\n");
	fclose(fp);
	hr_kmsg_probe(f, &(struct hr_probe_tree){dir, NULL, NULL}, 0, NULL);
	ck_assert_int_eq(hr_facts_get(f, "kernel.log.orphans.count", -1, &v), 0);
	ck_assert(v.num == 1); /* the one at 1 s is 2 h old */
	ck_assert_int_eq(hr_facts_get(f, "kernel.log.tcp_oom.last_age", -1, &v), 0);
	ck_assert_double_eq_tol(v.num, 100.5, 1e-6);
	ck_assert_int_eq(hr_facts_get(f, "kernel.log.window", -1, &v), 0);
	ck_assert(v.num == 3600);
	hr_facts_free(f);
	/* Without the kmsg file: missing with a reason. */
	snprintf(p, sizeof(p), "%s/headroom/kmsg", dir);
	unlink(p);
	f = hr_facts_new();
	hr_kmsg_probe(f, &(struct hr_probe_tree){dir, NULL, NULL}, 0, NULL);
	ck_assert_int_eq(hr_facts_get(f, "kernel.log.orphans.count", -1, &v), 0);
	ck_assert(v.type == HR_V_MISSING);
	ck_assert_ptr_nonnull(strstr(v.missing, "not in the tree"));
	hr_facts_free(f);
	snprintf(p, sizeof(p), "%s/headroom/monotonic", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/headroom", dir);
	rmdir(p);
	rmdir(dir);
}
END_TEST

struct seen {
	const char *marker;
	int hits;
};

static void on_record(void *ctx, uint64_t ts, const char *msg, size_t len)
{
	struct seen *s = ctx;

	(void)ts;
	if (memmem(msg, len, s->marker, strlen(s->marker)))
		s->hits++;
}

/* Live: a line written to /dev/kmsg (the userspace logging interface) with a
 * unique marker is read back inside a 60 s window, and a zero-age window
 * taken before it leaves it out. Never blocks. */
START_TEST(test_live_marker)
{
	char marker[96], line[160];
	struct hr_kmsg_scan s;
	struct seen seen = {marker, 0};
	int fd;
	uint64_t before;

	if (geteuid() != 0)
		return; /* needs root to write /dev/kmsg: covered by tests/kmsg-live.sh */
	fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	snprintf(marker, sizeof(marker), "headroom-unit-marker-%ld-%ld", (long)getpid(), (long)time(NULL));
	snprintf(line, sizeof(line), "<6>headroom: %s\n", marker);
	before = hr_kmsg_monotonic_us();
	ck_assert_int_eq((int)write(fd, line, strlen(line)), (int)strlen(line));
	close(fd);
	hr_kmsg_scan_init(&s, 60, hr_kmsg_monotonic_us());
	s.each = on_record;
	s.ctx = &seen;
	ck_assert_int_eq(hr_kmsg_read_dev(&s, "/dev/kmsg"), 0);
	ck_assert_int_eq(seen.hits, 1);
	/* Seen from 120 s later with a 60 s window, the marker is too old. */
	seen.hits = 0;
	hr_kmsg_scan_init(&s, 60, before + 120000000ull);
	s.each = on_record;
	s.ctx = &seen;
	ck_assert_int_eq(hr_kmsg_read_dev(&s, "/dev/kmsg"), 0);
	ck_assert_int_eq(seen.hits, 0);
}
END_TEST

/* kernel.log.records of a live kernel-log probe (through log, or a full read). */
static double live_records(hr_kmsg_log *log)
{
	hr_facts *f = hr_facts_new();
	struct hr_value v;
	double n;

	hr_kmsg_probe(f, &(struct hr_probe_tree){"", NULL, NULL}, 60, log);
	ck_assert_int_eq(hr_facts_get(f, "kernel.log.records", -1, &v), 0);
	n = v.type == HR_V_NUM ? v.num : -1;
	hr_facts_free(f);
	return n;
}

/* Live, through a log kept open (hr_kmsg_log: --all-netns, watch): the
 * second probe reads only what was logged since the first, and both count
 * the records of the window as a full read does (a plain marker line
 * written between them is counted once). */
START_TEST(test_live_log)
{
	hr_kmsg_log *log = hr_kmsg_log_new();
	double full0, first, second, full1;
	char line[160];
	int fd;

	ck_assert_ptr_nonnull(log);
	if (geteuid() != 0 || (fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC)) < 0) {
		hr_kmsg_log_free(log);
		return; /* needs root: covered by tests/kmsg-live.sh */
	}
	full0 = live_records(NULL);
	first = live_records(log);
	snprintf(line, sizeof(line), "<6>headroom: log-marker-%ld\n", (long)getpid());
	ck_assert_int_eq((int)write(fd, line, strlen(line)), (int)strlen(line));
	close(fd);
	second = live_records(log);
	full1 = live_records(NULL);
	/* Other writers may log meanwhile: bounds, not equalities. */
	ck_assert(full0 >= 0 && first >= full0 && second >= first + 1 && full1 >= second);
	hr_kmsg_log_free(log);
	hr_kmsg_log_free(NULL);
}
END_TEST

/* Messages naming a namespace (6.18: "table full in netns N") count only
 * for the namespace with that inode; the old text names none. */
START_TEST(test_netns_named)
{
	static const char *const full6 = "nf_conntrack: nf_conntrack: table full in netns 4026532304, dropping packet";
	static const char *const other = "nf_conntrack: nf_conntrack: table full in netns 4026532999, dropping packet";
	static const char *const old = "nf_conntrack: table full, dropping packet";
	struct hr_kmsg_scan s;

	ck_assert_uint_eq(hr_kmsg_netns_named(full6, strlen(full6)), 4026532304ull);
	ck_assert_uint_eq(hr_kmsg_netns_named(old, strlen(old)), 0);
	ck_assert_uint_eq(hr_kmsg_netns_named("netns x", 7), 0);
	ck_assert_uint_eq(hr_kmsg_netns_named("subnetns 12", 11), 0);
	hr_kmsg_scan_init(&s, 60, 1000000);
	s.self_ino = 4026532304ull;
	hr_kmsg_scan_add(&s, 900000, full6, strlen(full6));
	hr_kmsg_scan_add(&s, 900000, other, strlen(other));
	hr_kmsg_scan_add(&s, 900000, old, strlen(old));
	ck_assert_uint_eq(s.m[HR_KMSG_CONNTRACK_FULL].count, 2);
	ck_assert_uint_eq(s.m[HR_KMSG_CONNTRACK_FULL].named, 1);
	ck_assert_uint_eq(s.other_netns, 1);
	/* Read in a child namespace: the message naming none is not ours. */
	hr_kmsg_scan_init(&s, 60, 1000000);
	s.self_ino = 4026532304ull;
	s.skip_unnamed = true;
	hr_kmsg_scan_add(&s, 900000, old, strlen(old));
	hr_kmsg_scan_add(&s, 950000, full6, strlen(full6));
	hr_kmsg_scan_add(&s, 990000, old, strlen(old));
	ck_assert_uint_eq(s.m[HR_KMSG_CONNTRACK_FULL].count, 1);
	ck_assert_uint_eq(s.m[HR_KMSG_CONNTRACK_FULL].last_us, 950000);
	ck_assert_str_eq(s.m[HR_KMSG_CONNTRACK_FULL].last, full6);
	ck_assert_uint_eq(s.unnamed_skipped, 2);
	/* This namespace unknown: a named message is nobody's we can tell. */
	hr_kmsg_scan_init(&s, 60, 1000000);
	hr_kmsg_scan_add(&s, 900000, full6, strlen(full6));
	ck_assert_uint_eq(s.m[HR_KMSG_CONNTRACK_FULL].count, 0);
	ck_assert_uint_eq(s.other_netns, 1);
	ck_assert_int_gt(hr_kmsg_netns_self(), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("kmsg");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_parse_record);
	tcase_add_test(tc, test_window_and_matches);
	tcase_add_test(tc, test_syn_flood_port);
	tcase_add_test(tc, test_tree);
	tcase_add_test(tc, test_netns_named);
	tcase_add_test(tc, test_live_marker);
	tcase_add_test(tc, test_live_log);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return hr_check_run(suite());
}
