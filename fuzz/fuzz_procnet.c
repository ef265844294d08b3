/* fuzz_procnet: the /proc/net/tcp{,6} parser (src/procnet.c). The input is
 * a whole tcp file; its first byte's low bit picks the family (tcp or
 * tcp6). The first line after the header goes to hr_procnet_parse_line()
 * on an exact-size copy (so a read past the line's end is caught); then
 * the whole file is streamed from a memfd through both passes
 * (hr_procnet_listeners, hr_procnet_rest) into a facts model, or through
 * hr_procnet_each when the second bit is set. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "procnet.h"

/* Counts the sockets of hr_procnet_each and reads every field. */
static void each(void *ctx, const struct hr_sock *s)
{
	*(unsigned long *)ctx += (unsigned long)s->state + s->sport + s->expires_ms;
}

/* Parses the line at the head of data (up to its newline) on its own copy. */
static void one_line(const uint8_t *data, size_t size, int family)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t len = nl ? (size_t)(nl - data) : size;
	struct hr_sock s;
	const char *why = NULL;
	char *copy = malloc(len ? len : 1);

	if (!copy)
		return;
	memcpy(copy, data, len);
	if (hr_procnet_parse_line(copy, len, family, &s, &why) < 0 && !why)
		abort(); /* an error must name its column */
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl;
	unsigned long sum = 0;
	hr_procnet *p;
	hr_facts *f;
	int family, fd, err;

	if (size < 1)
		return 0;
	family = data[0] & 1 ? AF_INET6 : AF_INET;
	bool use_each = data[0] & 2;
	data++;
	size--;
	nl = memchr(data, '\n', size);
	if (nl)
		one_line(nl + 1, size - (size_t)(nl + 1 - data), family);
	else
		one_line(data, size, family);

	fd = fuzz_memfd("tcp", data, size);
	f = hr_facts_new();
	if (!f)
		abort();
	p = hr_procnet_open_fd(fd, "fuzz/proc/net/tcp", family, &err);
	if (p) {
		if (use_each) {
			hr_procnet_each(p, each, &sum, f);
		} else if (hr_procnet_listeners(p, f) >= 0) {
			hr_procnet_rest(p, f);
		}
		(void)hr_procnet_bad_lines(p);
		hr_procnet_close(p);
	}
	hr_facts_sockets_done(f);
	hr_facts_free(f);
	return 0;
}
