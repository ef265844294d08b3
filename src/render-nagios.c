/* render-nagios.c: the audit report as one Nagios/Icinga plugin line: the
 * verdict, then " | " and performance data in the monitoring-plugins
 * format ('label'=value[UOM];[warn];[crit];[min];[max]) for the headline
 * metrics. warn and crit stay empty: the state comes from each rule's
 * conditions, which combine several values, and the exit code carries it. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "render.h"

/* A headline: the worst value of one metric over the findings of one rule. */
struct nagios_headline {
	const char *label;
	const char *rule;
	const char *metric;
	bool worst_is_min; /* headroom, time left: the smallest; fill: the largest */
	const char *uom;
};

static const struct nagios_headline headlines[] = {
	{"port_headroom", "ports.timewait-exhaustion", "headroom", true, ""},
	{"port_seconds_to_exhaustion", "ports.timewait-exhaustion", "seconds_to_exhaustion", true, "s"},
	{"timewait_headroom", "timewait.buckets", "headroom", true, ""},
	{"conntrack_fill", "conntrack.table", "fill", false, ""},
	{"conntrack_headroom", "conntrack.table", "headroom", true, ""},
	{"listen_queue_fill", "listen.queue", "fill", false, ""},
	{"listen_overflows_per_second", "listen.overflows", "overflows_per_s", false, ""},
};

/* A number in the plugin grammar's [-0-9.]+ (no exponent). */
static void nagios_num(char *buf, size_t n, double v)
{
	snprintf(buf, n, "%.10g", v);
	if (strchr(buf, 'e'))
		snprintf(buf, n, fabs(v) >= 1 ? "%.0f" : "%.9f", v);
}

/* The worst value of h over the findings; false when no finding has it. */
static bool nagios_worst(const json_t *findings, const struct nagios_headline *h, double *out)
{
	bool found = false;
	size_t i;
	json_t *fi;

	json_array_foreach(findings, i, fi) {
		json_t *v = json_object_get(json_object_get(fi, "metrics"), h->metric);
		const char *rule = json_string_value(json_object_get(fi, "rule"));
		double d;

		if (!rule || strcmp(rule, h->rule) || !json_is_number(v))
			continue;
		d = json_number_value(v);
		if (!found || (h->worst_is_min ? d < *out : d > *out))
			*out = d;
		found = true;
	}
	return found;
}

int hr_render_nagios_line(FILE *out, const char *verdict, const json_t *report)
{
	const json_t *findings = json_object_get(report, "findings");
	const json_t *counts = json_object_get(json_object_get(report, "summary"), "counts");
	static const char *const count_keys[] = {"critical", "warning"};
	const char *p;
	size_t i;
	bool any = false;

	/* '|' starts the performance data, a newline the long output. */
	for (p = verdict ? verdict : "UNKNOWN"; *p; p++)
		fputc(*p == '|' ? '/' : *p == '\n' ? ' ' : *p, out);
	for (i = 0; i < HR_ARRAY_SIZE(headlines); i++) {
		char num[64];
		double v = 0;

		if (!nagios_worst(findings, &headlines[i], &v))
			continue;
		nagios_num(num, sizeof(num), v);
		fprintf(out, "%s'%s'=%s%s;;;0", any ? " " : " | ", headlines[i].label, num, headlines[i].uom);
		any = true;
	}
	for (i = 0; i < HR_ARRAY_SIZE(count_keys); i++) {
		json_t *c = json_object_get(counts, count_keys[i]);

		if (!json_is_integer(c))
			continue;
		fprintf(out, "%s'%s'=%" JSON_INTEGER_FORMAT ";;;0", any ? " " : " | ", count_keys[i],
			json_integer_value(c));
		any = true;
	}
	fputc('\n', out);
	return ferror(out) ? -EIO : 0;
}

int hr_render_nagios(FILE *out, const json_t *report)
{
	return hr_render_nagios_line(
		out, json_string_value(json_object_get(json_object_get(report, "summary"), "verdict")), report);
}
