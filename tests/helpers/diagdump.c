/* diagdump.c: test helper: one hr_sockdiag_dump() into a fresh facts model,
 * printed as the facts JSON (or, with --count, only the socket count).
 * --buffers (before --count or alone) asks tcp_info and skmeminfo of every
 * TCP socket in the same dump, as the live probe does (bench/buffers.sh). */
#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "facts.h"
#include "sockdiag.h"

int main(int argc, char **argv)
{
	bool buffers = argc > 1 && !strcmp(argv[1], "--buffers");
	bool count_only = argc > 1 + buffers && !strcmp(argv[1 + buffers], "--count");
	struct hr_sockdiag_opts o = {.buffers = buffers};
	struct hr_err err = {0};
	hr_facts *f = hr_facts_new();
	json_t *j;
	long n;

	if (!f) {
		fprintf(stderr, "diagdump: out of memory\n");
		return 1;
	}
	n = hr_sockdiag_dump_opts(f, buffers ? &o : NULL, &err);
	if (n < 0) {
		fprintf(stderr, "diagdump: %s\n", err.msg);
		hr_facts_free(f);
		return 1;
	}
	if (count_only) {
		printf("%ld\n", n);
		hr_facts_free(f);
		return 0;
	}
	hr_facts_set_meta(f, "", "netlink sock_diag", 0);
	hr_facts_sockets_done(f);
	j = hr_facts_to_json(f); /* the same object `headroom probe --format json` prints */
	json_dumpf(j, stdout, JSON_INDENT(1) | JSON_SORT_KEYS);
	putchar('\n');
	json_decref(j);
	hr_facts_free(f);
	return 0;
}
