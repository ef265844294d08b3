/* probe-kernel.c: kernel information: kernel.osrelease and kernel.boot_id
 * (strings), and the TIME_WAIT socket's slab object size (SLUB sysfs), for
 * the memory a TIME_WAIT socket costs. May call: probe-io.c (through
 * probe-int.h) and the facts setters. */
#include "config.h"

#include <errno.h>
#include <unistd.h>

#include "probe-int.h"

/* Reads a string fact (osrelease, boot_id). */
static void kernel_str(struct run *r, const char *name, const char *file)
{
	char path[4096];
	long n;

	if (hr_path_at(path, sizeof(path), r->root, file) < 0)
		return;
	n = hr_probe_read_tree(r, file);
	if (n >= 0 && hr_probe_bad_value(r->buf, (size_t)n) < 0 && *hr_strtrim(r->buf)) {
		hr_facts_set_str(r->f, name, hr_strtrim(r->buf), path);
		r->usable++;
		return;
	}
	{
		char why[4200];

		hr_probe_msgf(why, sizeof(why), "%s: %s", path,
			 n < 0 ? hr_probe_why(n) : "value is empty or not text on one line");
		hr_facts_set_missing(r->f, name, why);
		hr_facts_add_problem(r->f, path, "%s", n < 0 ? hr_probe_why(n) : "value is empty or not text on one line");
	}
}

/* The TIME_WAIT slab object size (SLUB sysfs). */
static void slab(struct run *r)
{
	char path[4096];
	int64_t v;
	long n;

	if (hr_path_at(path, sizeof(path), r->root, F_SLAB) < 0)
		return;
	n = hr_probe_read_tree(r, F_SLAB);
	if (n >= 0 && hr_parse_i64(r->buf, &v) == 0 && v > 0) {
		hr_facts_set_num(r->f, "slab.tw_sock_TCP.object_size", (double)v, path);
		r->usable++;
		return;
	}
	{
		char why[4200];

		hr_probe_msgf(why, sizeof(why), "%s: %s", path, n < 0 ? hr_probe_why(n) : "not a positive number");
		hr_facts_set_missing(r->f, "slab.tw_sock_TCP.object_size", why);
		/* A missing slab file is common (SLAB merging, no sysfs in a
		 * container), and it is root-only (0400): only other failures
		 * are problems. */
		if (n != -ENOENT && !(n == -EACCES && geteuid() != 0))
			hr_facts_add_problem(r->f, path, "%s", n < 0 ? hr_probe_why(n) : "not a positive number");
	}
}

/* See probe-int.h: kernel identity and the TIME_WAIT slab object size. */
void hr_probe_kernel(struct run *r)
{
	kernel_str(r, "kernel.osrelease", F_OSRELEASE);
	kernel_str(r, "kernel.boot_id", F_BOOT_ID);
	slab(r);
}
