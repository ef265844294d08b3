/* watch-trace.c: watch --trace: the eBPF collector (trace.h) attached once
 * for the whole watch and read at every refresh; what moved since the
 * previous read (new connections per second out and accepted, connect()
 * failures per destination and errno with the program behind the most of
 * them) goes into the model (watch.h) for the screen and the line. The
 * links close with hr_watch_trace_close, or with the process, whatever
 * ends it (nothing is pinned). May call: trace, libc. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"
#include "watch.h"

struct hr_watch_trace {
	struct hr_trace *t;
	json_t *prev; /* the previous read (cumulative counts), NULL before the first */
};

int hr_watch_trace_open(struct hr_watch_trace **out, struct hr_err *err)
{
	struct hr_trace_opts o = {.seconds = 1, .netns = hr_trace_netns_self()};
	struct hr_watch_trace *wt = calloc(1, sizeof(*wt));
	int r;

	*out = NULL;
	if (!wt) {
		hr_err_set(err, -ENOMEM, "out of memory");
		return -ENOMEM;
	}
	r = hr_trace_open(&o, &wt->t, err);
	if (r < 0) {
		free(wt);
		return r;
	}
	*out = wt;
	return 0;
}

void hr_watch_trace_close(struct hr_watch_trace *wt)
{
	if (!wt)
		return;
	hr_trace_close(wt->t);
	json_decref(wt->prev);
	free(wt);
}

static double num(const json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

/* The count of the previous read's connect_failures item of that subject
 * (process, destination, errno), 0 when it was not there. */
static double prev_count(const json_t *prev, const char *subject)
{
	const json_t *it;
	size_t i;

	json_array_foreach(json_object_get(prev, "connect_failures"), i, it)
		if (!strcmp(json_string_value(json_object_get(it, "subject")), subject))
			return num(it, "count");
	return 0;
}

/* Failures of one destination and errno since the previous read. */
struct agg {
	char dest[HR_WATCH_SUBJECT], error[24], comm[17];
	double n, comm_n; /* failures; those of comm, the program behind the most */
};
#define MAX_AGG 64

static int by_n(const void *a, const void *b)
{
	double x = ((const struct agg *)a)->n, y = ((const struct agg *)b)->n;

	return x < y ? 1 : x > y ? -1 : 0;
}

void hr_watch_trace_update(struct hr_watch_trace *wt, struct hr_watch *m)
{
	json_t *ev = hr_trace_read(wt->t, false);
	const json_t *tot, *ptot, *it;
	struct agg *a = calloc(MAX_AGG, sizeof(*a));
	size_t i, j, na = 0, o = 0;
	double dt;

	if (!ev || !a) {
		json_decref(ev);
		free(a);
		return;
	}
	tot = json_object_get(ev, "totals");
	ptot = json_object_get(wt->prev, "totals");
	dt = num(ev, "seconds") - num(wt->prev, "seconds");
	m->traced = true;
	m->trace_s = num(ev, "seconds");
	m->trace_new_per_s = dt > 0 ? (num(tot, "active_opens") - num(ptot, "active_opens")) / dt : 0;
	m->trace_accepted_per_s = dt > 0 ? (num(tot, "passive_opens") - num(ptot, "passive_opens")) / dt : 0;
	m->trace_failed = num(tot, "connect_failed") - num(ptot, "connect_failed");
	json_array_foreach(json_object_get(ev, "connect_failures"), i, it) {
		const char *subj = json_string_value(json_object_get(it, "subject"));
		const char *dest = json_string_value(json_object_get(it, "destination"));
		const char *error = json_string_value(json_object_get(it, "error"));
		const char *comm = json_string_value(json_object_get(it, "comm"));
		double d = num(it, "count") - (subj ? prev_count(wt->prev, subj) : 0);

		if (d <= 0 || !dest || !error)
			continue;
		for (j = 0; j < na; j++)
			if (!strcmp(a[j].dest, dest) && !strcmp(a[j].error, error))
				break;
		if (j == na) {
			if (na == MAX_AGG)
				continue;
			snprintf(a[j].dest, sizeof(a[j].dest), "%s", dest);
			snprintf(a[j].error, sizeof(a[j].error), "%s", error);
			na++;
		}
		a[j].n += d;
		/* One process per request (curl in a loop): the program's
		 * processes are summed by name for "the program behind it". */
		if (comm && !strcmp(a[j].comm, comm)) {
			a[j].comm_n += d;
		} else if (comm && d > a[j].comm_n) {
			snprintf(a[j].comm, sizeof(a[j].comm), "%s", comm);
			a[j].comm_n = d;
		}
	}
	qsort(a, na, sizeof(*a), by_n);
	m->trace_fails[0] = '\0';
	for (j = 0; j < na && o < sizeof(m->trace_fails); j++)
		o += (size_t)snprintf(m->trace_fails + o, sizeof(m->trace_fails) - o, "%s%s %s %.0f (%s)", j ? ", " : "",
				      a[j].dest, a[j].error, a[j].n, a[j].comm[0] ? a[j].comm : "?");
	json_decref(wt->prev);
	wt->prev = ev;
	free(a);
}
