/* facts-trace.c: the connect_failures collection: one item per (process,
 * destination, errno) of failed connect() calls the eBPF trace saw
 * (trace.c fills it). Bounded by the collector's map (TR_MAX_FAILS in
 * src/bpf/trace.h). May call: facts-int.h, libc. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facts-int.h"

/* Field names: the strings (struct fail_item.str order), then the numbers
 * (struct fail_item.v order). */
const char *const hr_facts_fail_fields[] = {
	"subject", "dest", "host", "error", "comm", "cgroup", "container",
	"port", "errno", "pid", "cgroup_id", "netns", "count", "rate", "seconds", "processes", NULL,
};
#define NSTR 7
#define NNUM 9
enum { V_PID = 2, V_CGROUP_ID, V_NETNS, V_COUNT, V_RATE, V_SECONDS, V_PROCESSES };

/* Two optional strings are the same (both NULL counts as the same). */
static bool same(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* The item of c's program, destination and errno, or NULL. */
static struct fail_item *find(const hr_facts *f, const struct hr_connect_failure *c)
{
	size_t i;

	for (i = 0; i < f->nfails; i++) {
		struct fail_item *it = &f->fails[i];

		if (same(it->str[1], c->dest) && same(it->str[3], c->error) && same(it->str[4], c->comm) &&
		    it->v[V_CGROUP_ID] == c->cgroup_id && it->v[V_NETNS] == c->netns)
			return it;
	}
	return NULL;
}

int hr_facts_add_connect_failure(hr_facts *f, const struct hr_connect_failure *c, const char *source)
{
	const double v[NNUM] = {c->port, c->err, c->pid, c->cgroup_id, c->netns, c->count, c->rate, c->seconds, 1};
	char subject[256];
	const char *s[NSTR] = {subject, c->dest, c->host, c->error, c->comm, c->cgroup, c->container};
	struct fail_item *it = find(f, c);
	int i;

	(void)source;
	if (it) {
		it->v[V_COUNT] += c->count;
		it->v[V_RATE] += c->rate;
		it->v[V_PROCESSES] += 1;
		if (c->count > it->pid_count) {
			it->pid_count = c->count;
			it->v[V_PID] = c->pid;
		}
		return 0;
	}
	snprintf(subject, sizeof(subject), "%s->%s/%s", c->comm ? c->comm : "?", c->dest ? c->dest : "?",
		 c->error ? c->error : "?");
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
	it->pid_count = c->count;
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
				hr_val_missing(out, j == 5 ? "the process has exited" : j == 6 ? "not in a container (or exited)" : "not traced");
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
