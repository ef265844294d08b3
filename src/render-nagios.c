/* render-nagios.c: the audit report as one Nagios/Icinga plugin line: the
 * verdict, then " | " and performance data in the monitoring-plugins
 * format ('label'=value[UOM];[warn];[crit];[min];[max]) for the metrics
 * the rules declare (present: perfdata, computed into summary.perfdata). warn and crit stay empty: the state comes from each rule's
 * conditions, which combine several values, and the exit code carries it. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"

/* A number in the plugin grammar's [-0-9.]+ (no exponent). */
static void nagios_num(char *buf, size_t n, double v)
{
	snprintf(buf, n, "%.10g", v);
	if (strchr(buf, 'e'))
		snprintf(buf, n, fabs(v) >= 1 ? "%.0f" : "%.9f", v);
}

/* Writes a label's namespace prefix "NS::" with a quote doubled and '='
 * (not allowed in a label) as '_'; nothing for prefix NULL. */
static void nagios_prefix(FILE *out, const char *prefix)
{
	if (!prefix)
		return;
	for (; *prefix; prefix++)
		if (*prefix == '\'')
			fputs("''", out);
		else
			fputc(*prefix == '=' ? '_' : *prefix, out);
	fputs("::", out);
}

/* The performance data of one report: what the rules declare
 * (summary.perfdata: the worst value of each), then the critical and
 * warning counts, each label after prefix (NULL: none). *any: an item is out. */
static void nagios_perf(FILE *out, const char *prefix, const json_t *report, bool *any)
{
	const json_t *summary = json_object_get(report, "summary");
	const json_t *counts = json_object_get(summary, "counts"), *p;
	static const char *const count_keys[] = {"critical", "warning"};
	size_t i;

	json_array_foreach(json_object_get(summary, "perfdata"), i, p) {
		const char *label = json_string_value(json_object_get(p, "label"));
		const char *unit = json_string_value(json_object_get(p, "unit"));
		json_t *v = json_object_get(p, "value");
		char num[64];

		if (!label || !json_is_number(v))
			continue;
		nagios_num(num, sizeof(num), json_number_value(v));
		fputs(*any ? " '" : " | '", out);
		nagios_prefix(out, prefix);
		fprintf(out, "%s'=%s%s;;;0", label, num, unit ? unit : "");
		*any = true;
	}
	for (i = 0; i < HR_ARRAY_SIZE(count_keys); i++) {
		json_t *c = json_object_get(counts, count_keys[i]);

		if (!json_is_integer(c))
			continue;
		fputs(*any ? " '" : " | '", out);
		nagios_prefix(out, prefix);
		fprintf(out, "%s'=%" JSON_INTEGER_FORMAT ";;;0", count_keys[i], json_integer_value(c));
		*any = true;
	}
}

/* Writes the first text with '|' (starts the performance data) and
 * newlines (start the long output) replaced. */
static void nagios_text(FILE *out, const char *verdict)
{
	char *t = strdup(verdict ? verdict : "UNKNOWN"), *p;

	if (!t)
		return;
	for (p = t; *p; p++)
		if (*p == '|' || *p == '\n')
			*p = *p == '|' ? '/' : ' ';
	/* A tree's path or a rule's words: no control bytes (hr_put_escaped). */
	hr_put_escaped(out, t, strlen(t), false);
	free(t);
}

int hr_render_nagios_line(FILE *out, const char *verdict, const json_t *report)
{
	bool any = false;

	nagios_text(out, verdict);
	nagios_perf(out, NULL, report, &any);
	fputc('\n', out);
	return ferror(out) ? -EIO : 0;
}

int hr_render_nagios(FILE *out, const json_t *report)
{
	return hr_render_nagios_line(
		out, json_string_value(json_object_get(json_object_get(report, "summary"), "verdict")), report);
}

int hr_render_nagios_netns(FILE *out, const json_t *report)
{
	const json_t *host = json_object_get(report, "host"), *sec;
	json_t *n = json_object_get(host, "namespaces");
	bool any = false;
	size_t i;

	nagios_text(out, json_string_value(json_object_get(host, "verdict")));
	if (json_is_integer(n)) {
		fprintf(out, " | 'namespaces'=%" JSON_INTEGER_FORMAT ";;;0", json_integer_value(n));
		any = true;
	}
	json_array_foreach(json_object_get(report, "namespaces"), i, sec) {
		const json_t *id = json_object_get(sec, "netns");
		const char *name = json_string_value(json_array_get(json_object_get(id, "names"), 0));
		char ino[32];

		snprintf(ino, sizeof(ino), "%" JSON_INTEGER_FORMAT, json_integer_value(json_object_get(id, "inode")));
		nagios_perf(out, name ? name : ino, sec, &any);
	}
	fputc('\n', out);
	return ferror(out) ? -EIO : 0;
}
