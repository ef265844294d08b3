/* probe-clock.c: when the probe read each source: a live probe's stamps on
 * both clocks, and a captured tree's DIR/headroom/clock (what `headroom
 * snapshot` wrote while it copied the files). May call: probe-io.c, the
 * facts setters. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "probe-int.h"

void hr_probe_stamp(struct run *r, enum hr_src s)
{
	if (r->rootfd < 0)
		hr_facts_set_read(r->f, s, hr_stamp_now());
}

/* A number of a clock line: finite, and for CLOCK_REALTIME after 1970.
 * "-" is an unknown monotonic time. 0 or -EINVAL. */
static int clock_num(const char *tok, bool real, double *out)
{
	char *end;

	if (!real && !strcmp(tok, "-")) {
		*out = NAN;
		return 0;
	}
	*out = strtod(tok, &end);
	return *end || end == tok || !isfinite(*out) || *out < 0 || (real && *out == 0) ? -EINVAL : 0;
}

/* One line "SOURCE REALTIME MONOTONIC" into the facts; a message when bad. */
static const char *clock_line(struct run *r, char *line)
{
	char *save = NULL, *name = strtok_r(line, " \t", &save);
	char *real = strtok_r(NULL, " \t", &save), *mono = strtok_r(NULL, " \t", &save);
	struct hr_stamp t;
	int i;

	if (!name || *name == '#')
		return NULL;
	if (!real || !mono || strtok_r(NULL, " \t", &save))
		return "want SOURCE REALTIME MONOTONIC";
	for (i = 0; i < HR_SRC_N; i++)
		if (!strcmp(name, hr_src_names[i]))
			break;
	if (i == HR_SRC_N)
		return "unknown source (counters, sysctls, sockets, conntrack, kmsg or counters2)";
	if (clock_num(real, true, &t.real) < 0)
		return "REALTIME is not a time in seconds since 1970";
	if (clock_num(mono, false, &t.mono) < 0)
		return "MONOTONIC is not a number of seconds, or '-'";
	hr_facts_set_read(r->f, (enum hr_src)i, t);
	return NULL;
}

void hr_probe_tree_clock(struct run *r)
{
	char path[4200], *line, *next;
	long n = hr_probe_read_tree(r, HR_PROBE_CLOCK_FILE);
	int no = 0;

	hr_probe_msgf(path, sizeof(path), "%s%s", r->root, HR_PROBE_CLOCK_FILE);
	if (n == -ENOENT)
		return;
	if (n < 0) {
		hr_facts_add_problem(r->f, path, "%s: the capture's time is unknown", hr_probe_why(n));
		return;
	}
	for (line = r->buf; *line; line = next) {
		const char *why;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		else
			next = line + strlen(line);
		no++;
		why = clock_line(r, line);
		if (why)
			hr_facts_add_problem(r->f, path, "line %d: %s", no, why);
	}
}
