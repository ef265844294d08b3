/* fuzz_conntrack: the conntrack readers (src/conntrack-read.c,
 * src/conntrack.c). The input is a /proc/net/nf_conntrack file, optionally
 * followed by '\f' and a /proc/net/stat/nf_conntrack file. Every entry
 * line goes to hr_ct_parse_line() on an exact-size copy (a read one byte
 * past the line is an ASan report); the entries parsed feed a small
 * aggregation (4 tuples of each kind, so folding is reached) whose facts
 * must add up. The same file is then streamed from a memfd through
 * hr_ct_read_procfile and must give the same count; the stat part goes
 * to hr_ct_stat_parse. */
#include "config.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bounds.h"
#include "conntrack.h"
#include "fuzz.h"

#define MAX_TUPLES 4

/* What the line loop saw, to check the aggregation's facts against. */
struct seen {
	unsigned long entries, tcp, udp, snat;
};

/* A fact's number; aborts when it is missing or not a number. */
static double num(hr_facts *f, const char *name)
{
	struct hr_value v;

	if (hr_facts_get(f, name, -1, &v) != 0 || v.type != HR_V_NUM)
		abort();
	return v.num;
}

/* Parses one line on its own exact-size copy; checks and aggregates it. */
static void one_line(const uint8_t *p, size_t len, hr_ct_agg *a, struct seen *s)
{
	struct hr_ct_entry e;
	const char *why = NULL;
	char *copy;

	while (len > 0 && p[len - 1] == '\r')
		len--; /* as hr_ct_read_procfile does */
	if (len == 0)
		return;
	copy = malloc(len);
	if (!copy)
		abort();
	memcpy(copy, p, len);
	if (hr_ct_parse_line(copy, len, &e, &why) < 0) {
		if (!why)
			abort(); /* an error says what is wrong */
		free(copy);
		return;
	}
	free(copy);
	/* A parsed entry has a known family and a TCP state only for TCP. */
	if (e.family != AF_INET && e.family != AF_INET6)
		abort();
	if (e.proto != IPPROTO_TCP ? e.tcp_state != -1 : e.tcp_state < -1 || e.tcp_state > HR_CT_TCP_SYN_SENT2)
		abort();
	if (e.age_s != -1 && !(e.age_s >= 0.5))
		abort();
	if (e.family == AF_INET && (memcmp(e.osrc + 4, (uint8_t[12]){0}, 12) || memcmp(e.rdst + 4, (uint8_t[12]){0}, 12)))
		abort(); /* an IPv4 address fills 4 bytes */
	hr_ct_agg_add(a, &e);
	s->entries++;
	s->tcp += e.proto == IPPROTO_TCP;
	s->udp += e.proto == IPPROTO_UDP;
	s->snat += e.snat;
}

/* The aggregation's facts add up to what was fed. */
static void check_facts(hr_ct_agg *a, const struct seen *s)
{
	hr_facts *f = hr_facts_new();
	double in_use = 0, lo, hi;
	struct hr_value w;
	size_t i, n;

	if (!f)
		abort();
	hr_ct_agg_to_facts(a, f, "fuzz");
	if (num(f, "conntrack.entries") != s->entries || num(f, "conntrack.entries_tcp") != s->tcp ||
	    num(f, "conntrack.entries_udp") != s->udp || num(f, "conntrack.snat.entries") != s->snat)
		abort();
	if (num(f, "conntrack.destinations") > MAX_TUPLES || num(f, "conntrack.snat.tuples") > MAX_TUPLES)
		abort();
	if (num(f, "conntrack.destinations_folded_entries") > s->entries ||
	    (s->entries && num(f, "conntrack.destinations") == 0))
		abort();
	n = hr_facts_count(f, HR_COLL_SNAT_TUPLES);
	if (n != num(f, "conntrack.snat.tuples"))
		abort();
	for (i = 0; i < n; i++) {
		struct hr_value v, b, c;

		if (hr_facts_item_get(f, HR_COLL_SNAT_TUPLES, i, "snat.in_use", &v) || v.type != HR_V_NUM ||
		    hr_facts_item_get(f, HR_COLL_SNAT_TUPLES, i, "snat.busy", &b) || b.type != HR_V_NUM ||
		    hr_facts_item_get(f, HR_COLL_SNAT_TUPLES, i, "snat.closing", &c) || c.type != HR_V_NUM)
			abort();
		if (v.num < 1 || b.num + c.num != v.num)
			abort(); /* every entry of a tuple is busy or closing */
		in_use += v.num;
	}
	if (in_use + num(f, "conntrack.snat.folded_entries") != s->snat)
		abort(); /* tuples and the folded count hold every SNAT entry */
	if (n) {
		lo = num(f, "conntrack.snat.top.port_low");
		hi = num(f, "conntrack.snat.top.port_high");
		if (lo > hi || hi > 65535)
			abort();
		/* A rate is known, over a window, or missing with the reason. */
		if (hr_facts_get(f, "conntrack.snat.top.rate_window", -1, &w) != 0 ||
		    (w.type == HR_V_NUM ? w.num < 0 || w.num > 60 : !w.missing))
			abort();
	}
	hr_facts_free(f);
}

/* hr_ct_stat_parse on the stat part: a result is a header with 'entries'
 * first and at least one row; an error says why. */
static void stat_part(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	struct hr_ct_stat st;
	const char *why = NULL;
	uint64_t v;

	if (!text)
		abort();
	if (hr_ct_stat_parse(text, &st, &why) < 0) {
		if (!why)
			abort();
	} else if (st.ncols < 1 || st.ncols > HR_CT_STAT_MAXCOLS || st.rows < 1 || strcmp(st.names[0], "entries") ||
		   hr_ct_stat_get(&st, "entries", &v) != 0 || v != st.sum[0]) {
		abort();
	}
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p, *e, *nl, *ff = memchr(data, '\f', size);
	size_t fsize = ff ? (size_t)(ff - data) : size, longest = 0;
	struct seen s = {0};
	hr_ct_agg *a;
	hr_facts *f;
	long n;
	int fd;

	if (ff)
		stat_part(ff + 1, size - fsize - 1);
	a = hr_ct_agg_new(MAX_TUPLES, 120);
	if (!a)
		abort();
	e = data + fsize;
	for (p = data; p < e; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(e - p));
		if (!nl)
			nl = e;
		if ((size_t)(nl - p) > longest)
			longest = (size_t)(nl - p);
		one_line(p, (size_t)(nl - p), a, &s);
	}
	check_facts(a, &s);
	hr_ct_agg_free(a);

	/* The streaming reader of a tree's file counts the same entries
	 * (when no bound stops it: no NUL, no line past the bound, and
	 * fewer malformed lines than the bound allows). */
	a = hr_ct_agg_new(MAX_TUPLES, 120);
	fd = fuzz_memfd("nf_conntrack", data, fsize);
	if (!a)
		abort();
	f = hr_facts_new();
	if (!f)
		abort();
	n = hr_ct_read_procfile(a, fd, "fuzz/proc/net/nf_conntrack", f);
	/* A NUL anywhere stops the reader (hr_bounds_getline): it never
	 * counts more than the lines parsed one by one. */
	if (n < 0 || (unsigned long)n > s.entries)
		abort();
	if (!memchr(data, '\0', fsize) && longest <= HR_CONNTRACK_MAX_LINE &&
	    (fsize + 1) / 2 < HR_CONNTRACK_MAX_BAD && (unsigned long)n != s.entries)
		abort();
	hr_facts_free(f);
	hr_ct_agg_free(a);
	return 0;
}
