/* fuzz_sysctld: a sysctl.d file. The input is the text of one file, read
 * as systemd-sysctl reads it (hr_sysctld_parse: comments, the dot and
 * slash forms, the '-' prefix, "-key" exclusions, globs, a later line
 * replacing an earlier one), then expanded (hr_sysctld_expand) against a
 * small private sysctl tree (never /proc/sys) so globs match real files;
 * every key it sets is checked against the range table
 * (hr_sysctl_range, hr_sysctl_int_fields) and the problems are rendered
 * as JSON. The same text is parsed a second time as a later file, so a
 * key set by both goes through replacement. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sysctl.h"
#include "sysctld.h"

/* The tree the globs expand over: a few keys of the shapes the range
 * table knows (one field, a port range, per-interface conf keys). */
static void make_tree(void)
{
	static const char *const files[][2] = {
		{"proc/sys/net/ipv4/ip_local_port_range", "32768\t60999\n"},
		{"proc/sys/net/ipv4/ip_unprivileged_port_start", "1024\n"},
		{"proc/sys/net/ipv4/tcp_syn_retries", "6\n"},
		{"proc/sys/net/ipv4/tcp_rmem", "4096\t131072\t6291456\n"},
		{"proc/sys/net/ipv4/conf/all/rp_filter", "0\n"},
		{"proc/sys/net/ipv4/conf/lo/rp_filter", "0\n"},
		{"proc/sys/net/ipv4/conf/eth0.100/rp_filter", "0\n"},
		{"proc/sys/net/core/somaxconn", "4096\n"},
	};
	static int made;
	size_t i;

	if (made++)
		return;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (!fuzz_file(files[i][0], (const uint8_t *)files[i][1], strlen(files[i][1])))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hr_sysctld d = {0};
	struct hr_sysctld_set *set = NULL;
	size_t n = 0, i;
	json_t *problems;
	char *text = fuzz_cstr(data, size);
	int r;

	if (!text)
		return 0;
	make_tree();
	r = hr_sysctld_parse(&d, "fuzz.conf", text, size);
	if (r == 0 || r == -EILSEQ)
		r = hr_sysctld_parse(&d, "later.conf", text, size);
	if ((r == 0 || r == -EILSEQ) && hr_sysctld_expand(&d, fuzz_dir(), &set, &n) == 0) {
		for (i = 0; i < n; i++) {
			struct hr_err err = {0};
			int64_t f[8];

			/* An expanded key is a normalised key, never a glob. */
			if (!set[i].key[0] || !set[i].value || !set[i].where || strpbrk(set[i].key, "*?["))
				abort();
			(void)hr_sysctl_range(fuzz_dir(), set[i].key, set[i].value, &err);
			(void)hr_sysctl_int_fields(set[i].value, f, 8);
		}
		hr_sysctld_set_free(set, n);
	}
	problems = hr_sysctld_problems_json(&d);
	if (!problems || json_array_size(problems) != d.nproblems)
		abort();
	json_decref(problems);
	hr_sysctld_clear(&d);
	free(text);
	return 0;
}
