/* fuzz_kmsg: the kernel log reader (src/kmsg.c). The input is a tree's
 * headroom/kmsg: /dev/kmsg records "PRIO,SEQ,TS_USEC,FLAGS;MESSAGE", one a
 * line, continuation lines " KEY=VALUE". Every line goes to
 * hr_kmsg_parse_record() on an exact-size copy (a read one byte past the
 * line is an ASan report), each record to hr_kmsg_syn_flood_port and a
 * scan (whose listeners are the even ports, so both the matched and the
 * "elsewhere" SYN flood paths run); then the whole file is streamed from
 * a memfd through hr_kmsg_read_file (the bounded line reader) into a
 * second scan, which must count the same records, and both scans' facts
 * are written. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "fuzz.h"
#include "kmsg.h"

/* The scan's listeners: the even ports. */
static bool even_port(void *ctx, unsigned port)
{
	(void)ctx;
	return port % 2 == 0;
}

/* A scan's matches are consistent with the records it counted. */
static void check_scan(const struct hr_kmsg_scan *s)
{
	int k;

	for (k = 0; k < HR_KMSG_NKEYS; k++) {
		const struct hr_kmsg_match *m = &s->m[k];

		if (m->count > s->records || strnlen(m->last, sizeof(m->last)) >= sizeof(m->last))
			abort();
		if (m->count && m->first_us > m->last_us)
			abort();
	}
	if (s->syn_flood_elsewhere + s->m[HR_KMSG_SYN_FLOOD].count > s->records)
		abort();
}

/* Writes a scan's facts; kernel.log.records is the scan's count. */
static void to_facts(const struct hr_kmsg_scan *s)
{
	hr_facts *f = hr_facts_new();
	struct hr_value v;

	if (!f)
		abort();
	hr_kmsg_to_facts(s, f, "fuzz");
	if (hr_facts_get(f, "kernel.log.records", -1, &v) != 0 || v.type != HR_V_NUM || v.num != (double)s->records)
		abort();
	hr_facts_free(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p, *e = data + size, *nl;
	struct hr_kmsg_scan s1, s2;
	unsigned long records = 0;
	size_t longest = 0;
	uint64_t newest = 0;
	long n;
	int fd;

	/* now = 0: every record is inside the window. */
	hr_kmsg_scan_init(&s1, 0, 0);
	s1.listens = even_port;
	for (p = data; p < e; p = nl + 1) {
		size_t len, ml;
		const char *msg;
		uint64_t ts;
		char *copy;
		int port;

		nl = memchr(p, '\n', (size_t)(e - p));
		if (!nl)
			nl = e;
		len = (size_t)(nl - p);
		if (len > longest)
			longest = len;
		if (len == 0 || p[0] == ' ')
			continue; /* continuation lines, as hr_kmsg_read_file skips them */
		copy = malloc(len);
		if (!copy)
			abort();
		memcpy(copy, p, len);
		if (hr_kmsg_parse_record(copy, len, &ts, &msg, &ml) == 0) {
			/* The message lies inside the record, after its ';', one line. */
			if (msg <= copy || msg[-1] != ';' || msg + ml > copy + len || memchr(msg, '\n', ml))
				abort();
			port = hr_kmsg_syn_flood_port(msg, ml);
			if (port < -1 || port > 65535)
				abort();
			hr_kmsg_scan_add(&s1, ts, msg, ml);
			records++;
			if (ts > newest)
				newest = ts;
		}
		free(copy);
	}
	if (s1.records != records)
		abort();
	check_scan(&s1);
	to_facts(&s1);

	/* The file reader: the same records, unless a bound stopped it, and
	 * a bound stops it only when the input exceeds one. */
	hr_kmsg_scan_init(&s2, 0, 0);
	fd = fuzz_memfd("kmsg", data, size);
	n = hr_kmsg_read_file(&s2, fd);
	if (n < 0 || (unsigned long)n != s2.records || (unsigned long)n > records)
		abort();
	if (!memchr(data, '\0', size) && longest <= HR_KMSG_MAX_LINE) {
		if (s2.stop != 0 && s2.stop != -EBADMSG)
			abort();
		if (s2.stop == 0 && (unsigned long)n != records)
			abort();
	}
	check_scan(&s2);
	to_facts(&s2);

	/* A window ending at the newest record: a subset of it. */
	hr_kmsg_scan_init(&s2, 1, newest);
	for (p = data; p < e && records; p = nl + 1) {
		const char *msg;
		size_t ml;
		uint64_t ts;

		nl = memchr(p, '\n', (size_t)(e - p));
		if (!nl)
			nl = e;
		if (nl > p && p[0] != ' ' && hr_kmsg_parse_record((const char *)p, (size_t)(nl - p), &ts, &msg, &ml) == 0)
			hr_kmsg_scan_add(&s2, ts, msg, ml);
	}
	if (s2.records > records)
		abort();
	check_scan(&s2);
	return 0;
}
