/* Unit tests of the /proc/net/tcp{,6} parser: addresses, states, timers,
 * listen queues, bad lines, and the two-pass streaming over a temp file. */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bounds.h"
#include "procnet.h"
#include "check-run.h"

#define HDR4 "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
#define HDR6 "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"

/* Prints an address the way the kernel does: each 32-bit word "%08X" in host order. */
static char *hexaddr(char *buf, int family, const char *ip)
{
	uint8_t a[16];
	uint32_t w[4];
	int i, n = family == AF_INET6 ? 4 : 1;

	ck_assert_int_eq(inet_pton(family, ip, a), 1);
	memcpy(w, a, (size_t)n * 4);
	buf[0] = '\0';
	for (i = 0; i < n; i++)
		sprintf(buf + 8 * i, "%08X", w[i]);
	return buf;
}

/* A /proc/net/tcp line with the kernel's layout (get_tcp4_sock()). */
static char *line(char *buf, int family, const char *src, int sport, const char *dst, int dport, int st,
		  unsigned rxq, int tr, unsigned long when)
{
	char s[40], d[40];

	sprintf(buf, "%4d: %s:%04X %s:%04X %02X %08X:%08X %02X:%08lX %08X %5u %8d %lu 1 0000000000000000 100 0 0 10 0",
		0, hexaddr(s, family, src), sport, hexaddr(d, family, dst), dport, st, 0u, rxq, tr, when, 0u,
		1000u, 0, 4242ul);
	return buf;
}

static char *ntop(char *buf, int family, const uint8_t *a)
{
	return (char *)inet_ntop(family, a, buf, INET6_ADDRSTRLEN);
}

START_TEST(test_ipv4_listen)
{
	char l[256], ip[INET6_ADDRSTRLEN];
	struct hr_sock s;
	const char *why = NULL;

	line(l, AF_INET, "127.0.0.1", 8080, "0.0.0.0", 0, 0x0A, 7, 0, 0);
	ck_assert_int_eq(hr_procnet_parse_line(l, strlen(l), AF_INET, &s, &why), 0);
	ck_assert_int_eq(s.family, AF_INET);
	ck_assert_int_eq(s.state, HR_LISTEN);
	ck_assert_str_eq(ntop(ip, AF_INET, s.src), "127.0.0.1");
	ck_assert_uint_eq(s.sport, 8080);
	ck_assert_uint_eq(s.rqueue, 7); /* accept queue */
	ck_assert(s.backlog_unknown);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* The literal from the issue: 0100007F:1F90 is 127.0.0.1:8080 on x86. */
	{
		const char *k = "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1";

		ck_assert_int_eq(hr_procnet_parse_line(k, strlen(k), AF_INET, &s, &why), 0);
		ck_assert_str_eq(ntop(ip, AF_INET, s.src), "127.0.0.1");
		ck_assert_uint_eq(s.sport, 8080);
	}
#endif
}
END_TEST

START_TEST(test_ipv6_and_mapped)
{
	char l[320], ip[INET6_ADDRSTRLEN];
	struct hr_sock s;
	const char *why = NULL;

	line(l, AF_INET6, "2001:db8::5", 40000, "fe80::1:2:3:4", 443, 0x01, 0, 0, 0);
	ck_assert_int_eq(hr_procnet_parse_line(l, strlen(l), AF_INET6, &s, &why), 0);
	ck_assert_int_eq(s.state, HR_ESTABLISHED);
	ck_assert_str_eq(ntop(ip, AF_INET6, s.src), "2001:db8::5");
	ck_assert_str_eq(ntop(ip, AF_INET6, s.dst), "fe80::1:2:3:4");
	ck_assert_uint_eq(s.sport, 40000);
	ck_assert_uint_eq(s.dport, 443);

	line(l, AF_INET6, "::ffff:10.0.0.1", 33000, "::ffff:10.0.0.2", 5432, 0x01, 0, 0, 0);
	ck_assert_int_eq(hr_procnet_parse_line(l, strlen(l), AF_INET6, &s, &why), 0);
	ck_assert_str_eq(ntop(ip, AF_INET6, s.dst), "::ffff:10.0.0.2");
	{
		/* The facts fold v4-mapped destinations into IPv4 ones. */
		hr_facts *f = hr_facts_new();

		hr_facts_add_socket(f, &s);
		hr_facts_sockets_done(f);
		ck_assert_str_eq(hr_facts_item_subject(f, HR_COLL_DESTINATIONS, 0), "10.0.0.2:5432");
		hr_facts_free(f);
	}
}
END_TEST

START_TEST(test_timewait_timer)
{
	char l[256];
	struct hr_sock s;
	const char *why = NULL;

	/* 0x1770 = 6000 ticks = 60 s left: born just now. */
	line(l, AF_INET, "10.0.0.1", 33000, "10.0.0.2", 5432, 0x06, 0, 3, 0x1770);
	ck_assert_int_eq(hr_procnet_parse_line(l, strlen(l), AF_INET, &s, &why), 0);
	ck_assert_int_eq(s.state, HR_TIME_WAIT);
	ck_assert_int_eq(s.timer, 3);
	ck_assert_uint_eq(s.expires_ms, 60000);
	line(l, AF_INET, "10.0.0.1", 33001, "10.0.0.2", 5432, 0x06, 0, 3, 250); /* 2.5 s left */
	ck_assert_int_eq(hr_procnet_parse_line(l, strlen(l), AF_INET, &s, &why), 0);
	ck_assert_uint_eq(s.expires_ms, 2500);
	ck_assert(!s.backlog_unknown);
	/* Not the fixed layout (a 9-digit timer, tabs, no sl padding): the
	 * careful parser still reads it the same way. */
	{
		const char *k = "0: 0100000A:80E8\t0200000A:1538 06 00000000:00000000 03:000001770 00000000 0 0 0";

		ck_assert_int_eq(hr_procnet_parse_line(k, strlen(k), AF_INET, &s, &why), 0);
		ck_assert_int_eq(s.state, HR_TIME_WAIT);
		ck_assert_uint_eq(s.sport, 0x80E8);
		ck_assert_uint_eq(s.dport, 5432);
		ck_assert_uint_eq(s.expires_ms, 60000);
	}
}
END_TEST

START_TEST(test_bad_lines)
{
	static const struct {
		const char *line, *why;
	} cases[] = {
		{"   0: 0100007F:1F90 0100007F:D2", "line ends inside column 'rem_address' (truncated)"},
		{"   0: 0100007F:1F90 0100007F:D204", "line ends before column 'st' (truncated)"},
		{"   0: 0100007F:1F90 0100007F:D204 01 00000000:00000000 00:00000000 00000000     0        0",
		 "line ends before column 'inode' (truncated)"},
		{"   0: 0100007G:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1",
		 "malformed column 'local_address'"},
		{"   0: 100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1",
		 "malformed column 'local_address'"},
		{"   0: 0100007F:1F90 00000000:0000 00 00000000:00000000 00:00000000 00000000 0 0 1",
		 "unknown TCP state in column 'st'"},
		{"   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 x1 1",
		 "malformed column 'inode'"},
		{"garbage", "line ends inside column 'sl' (truncated)"},
		{"", "line ends before column 'sl' (truncated)"},
	};
	struct hr_sock s;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *why = NULL;

		ck_assert_int_eq(hr_procnet_parse_line(cases[i].line, strlen(cases[i].line), AF_INET, &s, &why),
				 -EBADMSG);
		ck_assert_str_eq(why, cases[i].why);
	}
}
END_TEST

/* Writes text to a temp file; returns its (static) path. */
static const char *tmpfile_with(const char *name, const char *text)
{
	static char path[2][256];
	static int k;
	char *p = path[k++ % 2];
	FILE *fp;

	snprintf(p, 256, "/tmp/check_procnet.%d.%s", (int)getpid(), name);
	fp = fopen(p, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	fclose(fp);
	return p;
}

START_TEST(test_two_passes)
{
	/* tcp: a listener on 8080, then an inbound ESTABLISHED on 9000 (its
	 * listener is only in tcp6), an outbound one, a bad line, a TIME_WAIT. */
	char t4[4096], t6[4096], l[320];
	const char *p4, *p6;
	hr_facts *f = hr_facts_new();
	hr_procnet *a, *b;
	struct hr_value v;
	int err;

	strcpy(t4, HDR4);
	strcat(t4, line(l, AF_INET, "0.0.0.0", 8080, "0.0.0.0", 0, 0x0A, 3, 0, 0));
	strcat(t4, "\n");
	strcat(t4, line(l, AF_INET, "10.0.0.1", 9000, "10.0.0.9", 50000, 0x01, 0, 0, 0));
	strcat(t4, "\n   7: 0100007F:1F90 0100007F:D2\n");
	strcat(t4, line(l, AF_INET, "10.0.0.1", 40000, "10.0.0.2", 5432, 0x01, 0, 0, 0));
	strcat(t4, "\n");
	strcat(t4, line(l, AF_INET, "10.0.0.1", 40001, "10.0.0.2", 5432, 0x06, 0, 3, 5950));
	strcat(t4, "\n");
	strcpy(t6, HDR6);
	strcat(t6, line(l, AF_INET6, "::", 9000, "::", 0, 0x0A, 0, 0, 0));
	strcat(t6, "\n");
	p4 = tmpfile_with("tcp", t4);
	p6 = tmpfile_with("tcp6", t6);

	a = hr_procnet_open(p4, "T/proc/net/tcp", AF_INET, &err);
	ck_assert_ptr_nonnull(a);
	b = hr_procnet_open(p6, "T/proc/net/tcp6", AF_INET6, &err);
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(hr_procnet_listeners(a, f), 1);
	ck_assert_int_eq(hr_procnet_listeners(b, f), 1);
	ck_assert_int_eq(hr_procnet_rest(a, f), 3);
	ck_assert_int_eq(hr_procnet_rest(b, f), 0);
	ck_assert_uint_eq(hr_procnet_bad_lines(a), 1);
	hr_procnet_close(a);
	hr_procnet_close(b);
	hr_facts_sockets_done(f);

	ck_assert_uint_eq(hr_facts_state_count(f, HR_LISTEN), 2);
	ck_assert_int_eq(hr_facts_get(f, "sockets.inbound", -1, &v), 0);
	ck_assert_double_eq(v.num, 1); /* 9000 is a listening port: pass 1 saw tcp6 first */
	ck_assert_uint_eq(hr_facts_count(f, HR_COLL_DESTINATIONS), 1);
	ck_assert_str_eq(hr_facts_item_subject(f, HR_COLL_DESTINATIONS, 0), "10.0.0.2:5432");
	ck_assert_int_eq(hr_facts_item_get(f, HR_COLL_DESTINATIONS, 0, "dest.in_use", &v), 0);
	ck_assert_double_eq(v.num, 2);
	ck_assert_int_eq(hr_facts_item_get(f, HR_COLL_DESTINATIONS, 0, "dest.born_1s", &v), 0);
	ck_assert_double_eq(v.num, 1); /* 59.5 s left: born within the last second */
	/* Listener queue from rx_queue; backlog unknown, not a made-up 0. */
	ck_assert_int_eq(hr_facts_item_get(f, HR_COLL_LISTENERS, 0, "listener.queue", &v), 0);
	ck_assert_double_eq(v.num, 3);
	ck_assert_int_eq(hr_facts_item_get(f, HR_COLL_LISTENERS, 0, "listener.backlog", &v), 0);
	ck_assert_int_eq(v.type, HR_V_MISSING);
	{
		json_t *j = hr_facts_to_json(f);
		json_t *p = json_array_get(json_object_get(j, "problems"), 0);

		ck_assert_str_eq(json_string_value(json_object_get(p, "source")), "T/proc/net/tcp:4");
		ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(p, "message")), "truncated"));
		json_decref(j);
	}
	unlink(p4);
	unlink(p6);
	hr_facts_free(f);
}
END_TEST

START_TEST(test_many_lines_cross_buffer)
{
	/* 20000 lines (~2.8 MB) cross the 256 KiB read buffer many times; the
	 * last line has no newline. Every socket must be seen exactly once. */
	char path[256], l[320];
	FILE *fp;
	hr_facts *f = hr_facts_new();
	hr_procnet *p;
	int i, err;

	snprintf(path, sizeof(path), "/tmp/check_procnet.%d.big", (int)getpid());
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(HDR4, fp);
	for (i = 0; i < 20000; i++) {
		char dst[32];

		snprintf(dst, sizeof(dst), "10.1.0.%d", i % 100);
		fprintf(fp, i == 19999 ? "%s" : "%s\n",
			line(l, AF_INET, "10.0.0.1", 32768 + (i % 20000), dst, 80, i % 2 ? 0x06 : 0x01, 0, i % 2 ? 3 : 0,
			     i % 2 ? 3000 : 0));
	}
	fclose(fp);
	p = hr_procnet_open(path, path, AF_INET, &err);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(hr_procnet_listeners(p, f), 0);
	ck_assert_int_eq(hr_procnet_rest(p, f), 20000);
	ck_assert_uint_eq(hr_procnet_bad_lines(p), 0);
	hr_procnet_close(p);
	ck_assert_uint_eq(hr_facts_state_count(f, HR_TIME_WAIT), 10000);
	ck_assert_uint_eq(hr_facts_state_count(f, HR_ESTABLISHED), 10000);
	ck_assert_uint_eq(hr_facts_count(f, HR_COLL_DESTINATIONS), 100);
	unlink(path);
	hr_facts_free(f);
}
END_TEST

START_TEST(test_hex_words)
{
	/* Every 8-digit word, upper or lower case, decodes like strtoul; any
	 * non-hex byte in any position is refused. */
	static const char bad[] = {'g', 'G', '/', ':', '@', '`', ' ', 'z', (char)0x80, (char)0xC1, 0x11};
	char l[256];
	struct hr_sock s;
	const char *why;
	uint32_t w, seed = 12345;
	int i, pos;
	size_t b;

	for (i = 0; i < 4000; i++) {
		seed = seed * 1103515245u + 12345u;
		w = seed ^ (seed << 7);
		snprintf(l, sizeof(l), i % 2 ? "   0: %08X:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1"
					  : "   0: %08x:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1",
			 w);
		ck_assert_int_eq(hr_procnet_parse_line(l, strlen(l), AF_INET, &s, &why), 0);
		ck_assert_mem_eq(s.src, &w, 4);
	}
	for (pos = 0; pos < 8; pos++)
		for (b = 0; b < sizeof(bad); b++) {
			snprintf(l, sizeof(l), "   0: 0100007F:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1");
			l[6 + pos] = bad[b];
			ck_assert_int_eq(hr_procnet_parse_line(l, strlen(l), AF_INET, &s, &why), -EBADMSG);
		}
}
END_TEST

/* Counts sockets per state for test_each. */
static void count_cb(void *ctx, const struct hr_sock *s)
{
	((unsigned *)ctx)[s->state]++;
}

START_TEST(test_each)
{
	char t[2048], l[320];
	unsigned counts[HR_TCP_NSTATES] = {0};
	const char *path;
	hr_procnet *p;
	int err;

	strcpy(t, HDR4);
	strcat(t, line(l, AF_INET, "0.0.0.0", 80, "0.0.0.0", 0, 0x0A, 0, 0, 0));
	strcat(t, "\ngarbage line\n");
	strcat(t, line(l, AF_INET, "10.0.0.1", 40000, "10.0.0.2", 80, 0x06, 0, 3, 100));
	strcat(t, "\n");
	path = tmpfile_with("each", t);
	p = hr_procnet_open(path, NULL, AF_INET, &err);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(hr_procnet_each(p, count_cb, counts, NULL), 2);
	ck_assert_uint_eq(counts[HR_LISTEN], 1);
	ck_assert_uint_eq(counts[HR_TIME_WAIT], 1);
	ck_assert_uint_eq(hr_procnet_bad_lines(p), 1);
	hr_procnet_close(p);
	unlink(path);
}
END_TEST

/* Counts the problems of f whose message contains want. */
static int problems_with(hr_facts *f, const char *want)
{
	json_t *j = hr_facts_to_json(f), *p;
	size_t i;
	int n = 0;

	json_array_foreach(json_object_get(j, "problems"), i, p)
		n += strstr(json_string_value(json_object_get(p, "message")), want) != NULL;
	json_decref(j);
	return n;
}

START_TEST(test_bounds)
{
	/* A good line, then (per case) a line over HR_PROCNET_MAX_LINE, NUL
	 * bytes without a newline (a sparse file), or HR_PROCNET_MAX_BAD + 5
	 * garbage lines, then a good line the reader must not reach. */
	char l[320], path[256];
	int c, i, err;

	snprintf(path, sizeof(path), "/tmp/check_procnet.%d.bounds", (int)getpid());
	for (c = 0; c < 3; c++) {
		FILE *fp = fopen(path, "w");
		hr_facts *f = hr_facts_new();
		hr_procnet *p;

		ck_assert_ptr_nonnull(fp);
		fputs(HDR4, fp);
		fprintf(fp, "%s\n", line(l, AF_INET, "10.0.0.1", 40000, "10.0.0.2", 80, 0x01, 0, 0, 0));
		if (c == 0) {
			for (i = 0; i < HR_PROCNET_MAX_LINE + 1; i++)
				fputc('7', fp);
			fputc('\n', fp);
		} else if (c == 1) {
			for (i = 0; i < 300000; i++)
				fputc('\0', fp);
			fputc('\n', fp);
		} else {
			for (i = 0; i < HR_PROCNET_MAX_BAD + 5; i++)
				fputs("garbage\n", fp);
		}
		fprintf(fp, "%s\n", line(l, AF_INET, "10.0.0.1", 40001, "10.0.0.2", 80, 0x01, 0, 0, 0));
		fclose(fp);
		p = hr_procnet_open(path, "T/tcp", AF_INET, &err);
		ck_assert_ptr_nonnull(p);
		ck_assert_int_eq(hr_procnet_listeners(p, f), 0);
		ck_assert_int_eq(hr_procnet_rest(p, f), 1);
		ck_assert_int_eq(hr_procnet_rest(p, f), 0); /* stays stopped */
		ck_assert_int_eq(problems_with(f, "rest of the file not read"), 1);
		if (c == 0)
			ck_assert_int_eq(problems_with(f, "longer than 4096 bytes"), 1);
		if (c == 1)
			ck_assert_int_eq(problems_with(f, "NUL byte"), 1);
		if (c == 2)
			ck_assert_uint_eq(hr_procnet_bad_lines(p), HR_PROCNET_MAX_BAD);
		hr_procnet_close(p);
		hr_facts_free(f);
	}
	unlink(path);
}
END_TEST

START_TEST(test_open_errors)
{
	int err = 0;

	ck_assert_ptr_null(hr_procnet_open("/nonexistent/tcp", "x", AF_INET, &err));
	ck_assert_int_eq(err, -ENOENT);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("procnet");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_ipv4_listen);
	tcase_add_test(tc, test_ipv6_and_mapped);
	tcase_add_test(tc, test_timewait_timer);
	tcase_add_test(tc, test_bad_lines);
	tcase_add_test(tc, test_two_passes);
	tcase_add_test(tc, test_many_lines_cross_buffer);
	tcase_add_test(tc, test_hex_words);
	tcase_add_test(tc, test_each);
	tcase_add_test(tc, test_bounds);
	tcase_add_test(tc, test_open_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return hr_check_run(suite());
}
