/* clock.c: stamps on both clocks, and how a countdown reads (see clock.h). */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "fmt.h"

const char *const hr_src_names[HR_SRC_N] = {"counters", "sysctls", "sockets", "conntrack", "kmsg", "counters2"};

struct hr_stamp hr_stamp_now(void)
{
	struct timespec ts;
	struct hr_stamp s;

	clock_gettime(CLOCK_REALTIME, &ts);
	s.real = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	s.mono = hr_now();
	return s;
}

struct hr_stamp hr_stamp_unknown(void)
{
	return (struct hr_stamp){NAN, NAN};
}

double hr_stamp_diff(struct hr_stamp a, struct hr_stamp b)
{
	if (!isnan(a.mono) && !isnan(b.mono))
		return b.mono - a.mono;
	if (!isnan(a.real) && !isnan(b.real))
		return b.real - a.real;
	return NAN;
}

char *hr_fmt_utc(char *buf, size_t n, double unix_s)
{
	struct tm tm;
	time_t sec;
	long tenths;
	char day[32];

	if (!isfinite(unix_s)) {
		snprintf(buf, n, "unknown");
		return buf;
	}
	/* Rounded to tenths first, so 04.96 becomes 05.0, not 04.10. */
	tenths = lround(fmod(unix_s, 1.0) * 10);
	sec = (time_t)floor(unix_s);
	if (tenths >= 10) {
		sec++;
		tenths = 0;
	}
	gmtime_r(&sec, &tm);
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, n, "%s.%ldZ", day, tenths);
	return buf;
}

char *hr_fmt_age(char *buf, size_t n, double s)
{
	if (!isfinite(s))
		snprintf(buf, n, "unknown");
	else if (s < 120)
		snprintf(buf, n, "%.1f s", s);
	else if (s < 7200)
		snprintf(buf, n, "%.0f min", s / 60);
	else if (s < 172800)
		snprintf(buf, n, "%.1f h", s / 3600);
	else
		snprintf(buf, n, "%.1f days", s / 86400);
	return buf;
}

char *hr_fmt_countdown(char *buf, size_t n, double x, const struct hr_clock *c)
{
	char d[64], at[40], ago[32], rest[64], left[80];
	double age;

	if (!isfinite(x)) {
		snprintf(buf, n, "unknown");
		return buf;
	}
	hr_fmt_duration(d, sizeof(d), x);
	if (!c || !c->capture)
		snprintf(buf, n, x >= 0.05 ? "in %s" : "now", d); /* what rounds to 0.0 s is now */
	else if (isnan(c->anchor_real))
		snprintf(buf, n, "%s after the capture (the tree does not say when it was taken)", d);
	else {
		age = c->report_real - c->anchor_real;
		if (x > age)
			snprintf(left, sizeof(left), "in %s", hr_fmt_duration(rest, sizeof(rest), x - age));
		snprintf(buf, n, "%s after the capture at %s, %s ago: %s, if the load held", d,
			 hr_fmt_utc(at, sizeof(at), c->anchor_real), hr_fmt_age(ago, sizeof(ago), age),
			 x > age ? left : "exhausted since");
	}
	return buf;
}

char *hr_fmt_countdown_short(char *buf, size_t n, double x, const struct hr_clock *c)
{
	char d[64];

	if (!isfinite(x))
		snprintf(buf, n, "unknown");
	else if (c && c->capture)
		snprintf(buf, n, "%s after the capture", hr_fmt_duration(d, sizeof(d), x));
	else if (x < 0.05)
		snprintf(buf, n, "now");
	else
		hr_fmt_duration(buf, n, x);
	return buf;
}

/* Seconds from a member in milliseconds, NAN when absent or null. */
static double ms(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) / 1000 : NAN;
}

int hr_clock_from_json(const json_t *clock, struct hr_clock *c)
{
	const char *from = json_string_value(json_object_get(clock, "counts_from"));

	c->capture = from && !strcmp(from, "capture");
	c->anchor_real = ms(clock, "at_unix_ms");
	c->report_real = ms(clock, "report_unix_ms");
	c->report_mono = ms(clock, "report_monotonic_ms");
	return json_is_object(clock) ? 0 : -ENOENT;
}
