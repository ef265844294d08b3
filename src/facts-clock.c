/* facts-clock.c: when each source was read, the ages the rules subtract
 * (probe.SOURCE_age), and the clock of a report (clock.h). */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "facts-int.h"

void hr_facts_clock_reset(hr_facts *f)
{
	int i;

	for (i = 0; i < HR_SRC_N; i++)
		f->read[i] = hr_stamp_unknown();
	f->report = hr_stamp_unknown();
}

void hr_facts_set_read(hr_facts *f, enum hr_src s, struct hr_stamp t)
{
	if (s < HR_SRC_N)
		f->read[s] = t;
}

struct hr_stamp hr_facts_read(const hr_facts *f, enum hr_src s)
{
	return s < HR_SRC_N ? f->read[s] : hr_stamp_unknown();
}

void hr_facts_set_report(hr_facts *f, struct hr_stamp t)
{
	f->report = t;
}

/* A captured tree (--root) rather than the live system. */
static bool is_capture(const hr_facts *f)
{
	return f->root && *f->root;
}

/* The moment predictions count from: the report (live), or the capture:
 * when the tree's sockets were dumped (its counters when it has no
 * sockets); unknown for a tree without DIR/headroom/clock. */
static struct hr_stamp anchor(const hr_facts *f)
{
	if (!is_capture(f))
		return f->report;
	if (!isnan(f->read[HR_SRC_SOCKETS].real))
		return f->read[HR_SRC_SOCKETS];
	return f->read[HR_SRC_COUNTERS];
}

/* probe.SOURCE_age: seconds from the reading of SOURCE to the anchor (what
 * a prediction made from it subtracts). A tree that does not say when it
 * was read counts from each reading: 0. */
int hr_facts_probe_get(const hr_facts *f, const char *k, int index, struct hr_value *out)
{
	size_t n;
	int i;

	if (index > 0)
		return -EDOM;
	for (i = 0; i < HR_SRC_N; i++) {
		double age;

		n = strlen(hr_src_names[i]);
		if (strncmp(k, hr_src_names[i], n) || strcmp(k + n, "_age"))
			continue;
		age = hr_stamp_diff(f->read[i], anchor(f));
		if (!isnan(age))
			hr_val_num(out, age, is_capture(f) ? "the tree's headroom/clock: from the reading to the capture" : "CLOCK_MONOTONIC: from the reading to the report");
		else if (is_capture(f))
			hr_val_num(out, 0, "no headroom/clock in the tree: counted from the capture");
		else
			hr_val_missing(out, "not read");
		return 0;
	}
	hr_val_missing(out, "not read");
	return 0;
}

/* Milliseconds as a JSON integer, null when unknown: the report's reals
 * carry 10 significant digits, too few for a Unix time. */
static json_t *ms_or_null(double s)
{
	return isfinite(s) ? json_integer((json_int_t)llround(s * 1000)) : json_null();
}

/* {"at": UTC, "unix_ms", "monotonic_ms" (null for a tree's unknown)} of one stamp (owned). */
static json_t *stamp_json(struct hr_stamp t)
{
	char at[48];

	return json_pack("{s:s, s:o, s:o}", "at", hr_fmt_utc(at, sizeof(at), t.real), "unix_ms", ms_or_null(t.real),
			 "monotonic_ms", ms_or_null(t.mono));
}

json_t *hr_facts_read_json(const hr_facts *f)
{
	json_t *o = json_object();
	int i;

	for (i = 0; i < HR_SRC_N; i++)
		if (!isnan(f->read[i].real))
			json_object_set_new(o, hr_src_names[i], stamp_json(f->read[i]));
	return o;
}

void hr_facts_clock(const hr_facts *f, struct hr_clock *c)
{
	c->capture = is_capture(f);
	c->anchor_real = anchor(f).real;
	c->report_real = f->report.real;
	c->report_mono = f->report.mono;
}

/* A number, or null when not finite. */
static json_t *num_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

json_t *hr_facts_clock_json(const hr_facts *f)
{
	struct hr_stamp a = anchor(f);
	json_t *c = json_object(), *ages = json_object();
	char at[48];
	int i;

	json_object_set_new(c, "counts_from", json_string(is_capture(f) ? "capture" : "report"));
	json_object_set_new(c, "at", isnan(a.real) ? json_null() : json_string(hr_fmt_utc(at, sizeof(at), a.real)));
	json_object_set_new(c, "at_unix_ms", ms_or_null(a.real));
	json_object_set_new(c, "age_s", num_or_null(f->report.real - a.real));
	json_object_set_new(c, "report_at", json_string(hr_fmt_utc(at, sizeof(at), f->report.real)));
	json_object_set_new(c, "report_unix_ms", ms_or_null(f->report.real));
	json_object_set_new(c, "report_monotonic_ms", ms_or_null(f->report.mono));
	for (i = 0; i < HR_SRC_N; i++) {
		double age = hr_stamp_diff(f->read[i], a);

		if (!isnan(age))
			json_object_set_new(ages, hr_src_names[i], json_real(age));
	}
	json_object_set_new(c, "read_age_s", ages);
	return c;
}
