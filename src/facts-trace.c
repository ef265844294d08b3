/* facts-trace.c: the connect_failures collection: one item per (process,
 * destination, errno) of failed connect() calls the eBPF trace saw
 * (trace.c fills it). Bounded by the collector's map (TR_MAX_FAILS in
 * src/bpf/trace.h). May call: facts-int.h, libc. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "facts-int.h"

/* Field names: the strings (struct fail_item.str order), then the numbers
 * (struct fail_item.v order). */
const char *const hr_facts_fail_fields[] = {
	"subject", "dest", "host", "error", "comm", "cgroup",
	"port", "errno", "pid", "cgroup_id", "netns", "count", "rate", "seconds", NULL,
};
#define NSTR 6
#define NNUM 8

int hr_facts_add_connect_failure(hr_facts *f, const struct hr_connect_failure *c, const char *source)
{
	const char *s[NSTR] = {c->subject, c->dest, c->host, c->error, c->comm, c->cgroup};
	const double v[NNUM] = {c->port, c->err, c->pid, c->cgroup_id, c->netns, c->count, c->rate, c->seconds};
	struct fail_item *it;
	int i;

	(void)source;
	if (f->nfails == f->capfails) {
		size_t cap = f->capfails ? f->capfails * 2 : 16;
		struct fail_item *n = realloc(f->fails, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		f->fails = n;
		f->capfails = cap;
	}
	it = &f->fails[f->nfails];
	memset(it, 0, sizeof(*it));
	for (i = 0; i < NSTR; i++)
		if (s[i] && !(it->str[i] = strdup(s[i]))) {
			while (i--)
				free(it->str[i]);
			return -ENOMEM;
		}
	memcpy(it->v, v, sizeof(v));
	f->nfails++;
	return 0;
}

/* See facts-int.h: field k (without "fail.") of item i. */
int hr_facts_fail_get(const hr_facts *f, size_t i, const char *k, struct hr_value *out)
{
	const struct fail_item *it = &f->fails[i];
	int j;

	for (j = 0; hr_facts_fail_fields[j]; j++) {
		if (strcmp(k, hr_facts_fail_fields[j]))
			continue;
		if (j < NSTR) {
			if (it->str[j])
				hr_val_str(out, it->str[j], "eBPF trace");
			else
				hr_val_missing(out, j == 5 ? "the process has exited" : "not traced");
		} else {
			hr_val_num(out, it->v[j - NSTR], "eBPF trace");
		}
		return 0;
	}
	return -ENOENT;
}

void hr_facts_fails_free(hr_facts *f)
{
	size_t i;
	int j;

	for (i = 0; i < f->nfails; i++)
		for (j = 0; j < NSTR; j++)
			free(f->fails[i].str[j]);
	free(f->fails);
}
