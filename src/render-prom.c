/* render-prom.c: the audit report as Prometheus text exposition (format
 * 0.0.4, what node_exporter's textfile collector and promtool read): one
 * gauge family per metric the findings carry, the severity of every
 * finding, and the audit's own status and duration. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "render.h"

#define FAM_MAX 128

/* Writes s with the escapes of the exposition format: backslash and newline
 * always, the double quote too inside a label value. */
static void prom_escape(FILE *out, const char *s, bool label)
{
	for (; s && *s; s++) {
		if (*s == '\\')
			fputs("\\\\", out);
		else if (*s == '\n')
			fputs("\\n", out);
		else if (*s == '"' && label)
			fputs("\\\"", out);
		else
			fputc(*s, out);
	}
}

/* The family name of a rule metric: "headroom_" + the name with the units
 * promtool's linter wants spelled out (a "_s" part becomes "_seconds",
 * "_per_s" "_per_second");
 * the metric "headroom" is the ratio, headroom_ratio. Characters outside
 * [a-zA-Z0-9_] become '_'. A name ending in _count, _sum or _bucket (kept
 * for histograms and summaries) gets "_value" appended; one starting with
 * "audit_" or "finding_" (the families of the audit itself) gets "rule_"
 * in front. */
static void prom_family_name(char *buf, size_t n, const char *metric)
{
	size_t o, len;
	const char *p;

	o = (size_t)snprintf(buf, n, "headroom_");
	if (!strcmp(metric, "headroom"))
		metric = "ratio";
	else if (!strncmp(metric, "audit_", 6) || !strncmp(metric, "finding_", 8))
		o += (size_t)snprintf(buf + o, n - o, "rule_");
	for (p = metric; *p && o + 9 < n; p++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';

		/* "_s" as a whole part of the name: seconds ("per_s": per_second). */
		if (c == 's' && (p == metric || p[-1] == '_') && (p[1] == '_' || p[1] == '\0')) {
			bool per = p - metric >= 4 && !strncmp(p - 4, "per_", 4);

			o += (size_t)snprintf(buf + o, n - o, per ? "second" : "seconds");
			continue;
		}
		buf[o++] = ok ? c : '_';
	}
	buf[o] = '\0';
	len = strlen(buf);
	if ((len > 6 && !strcmp(buf + len - 6, "_count")) || (len > 4 && !strcmp(buf + len - 4, "_sum")) ||
	    (len > 7 && !strcmp(buf + len - 7, "_bucket")))
		snprintf(buf + len, n - len, "_value");
}

/* A cumulative count since boot ("overflows_total"): a counter, else a gauge. */
static bool prom_is_counter(const char *family)
{
	size_t len = strlen(family);

	return len > 6 && !strcmp(family + len - 6, "_total");
}

/* Writes a JSON number as the report's JSON has it: integers exactly, reals
 * with the same 10 significant digits. */
static void prom_value(FILE *out, const json_t *v)
{
	if (json_is_integer(v))
		fprintf(out, "%" JSON_INTEGER_FORMAT "\n", json_integer_value(v));
	else
		fprintf(out, "%.10g\n", json_real_value(v));
}

/* One sample line: NAME{rule="..",subject=".."} VALUE. */
static void prom_sample(FILE *out, const char *family, const json_t *finding, const json_t *v)
{
	const char *subject = json_string_value(json_object_get(finding, "subject"));

	fprintf(out, "%s{rule=\"", family);
	prom_escape(out, json_string_value(json_object_get(finding, "rule")), true);
	fputs("\",subject=\"", out);
	prom_escape(out, subject ? subject : "", true);
	fputs("\"} ", out);
	prom_value(out, v);
}

static void prom_header(FILE *out, const char *family, const char *type, const char *help)
{
	fprintf(out, "# HELP %s ", family);
	prom_escape(out, help, false);
	fprintf(out, "\n# TYPE %s %s\n", family, type);
}

/* Severity as a number that orders: 0 ok, 1 info, 2 warning, 3 critical;
 * -1 for anything else (left out). */
static int prom_severity(const char *s)
{
	static const char *const names[] = {"ok", "info", "warning", "critical"};
	size_t i;

	for (i = 0; s && i < HR_ARRAY_SIZE(names); i++)
		if (!strcmp(s, names[i]))
			return (int)i;
	return -1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The families of the rule metrics, sorted by name: {family: {"metric":
 * first source name, "rules": [ids]}}. Owned. */
static json_t *prom_families(const json_t *findings)
{
	json_t *fams = json_object(), *fi, *v;
	const char *k;
	size_t i;

	json_array_foreach(findings, i, fi) {
		json_object_foreach(json_object_get(fi, "metrics"), k, v) {
			char fam[256];
			json_t *e, *rules;
			const char *rule = json_string_value(json_object_get(fi, "rule"));
			size_t j;
			bool seen = false;

			if (!json_is_number(v))
				continue;
			prom_family_name(fam, sizeof(fam), k);
			e = json_object_get(fams, fam);
			if (!e) {
				if (json_object_size(fams) >= FAM_MAX)
					continue;
				e = json_pack("{s:s,s:[]}", "metric", k, "rules");
				json_object_set_new(fams, fam, e);
			}
			rules = json_object_get(e, "rules");
			for (j = 0; j < json_array_size(rules); j++)
				seen |= rule && !strcmp(json_string_value(json_array_get(rules, j)), rule);
			if (!seen && rule)
				json_array_append_new(rules, json_string(rule));
		}
	}
	return fams;
}

/* The gauge families of the rule metrics. */
static void prom_rule_metrics(FILE *out, const json_t *findings)
{
	json_t *fams = prom_families(findings), *e, *fi, *x;
	const char *names[FAM_MAX], *k;
	size_t n = 0, i, j;

	json_object_foreach(fams, k, e)
		names[n++] = k;
	qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++) {
		const char *metric;
		char help[1024];
		size_t o;

		e = json_object_get(fams, names[i]);
		metric = json_string_value(json_object_get(e, "metric"));
		o = (size_t)snprintf(help, sizeof(help), "Metric %s of rule%s", metric,
				     json_array_size(json_object_get(e, "rules")) > 1 ? "s" : "");
		json_array_foreach(json_object_get(e, "rules"), j, x)
			if (o < sizeof(help))
				o += (size_t)snprintf(help + o, sizeof(help) - o, "%s %s", j ? "," : "",
						      json_string_value(x));
		if (o < sizeof(help))
			snprintf(help + o, sizeof(help) - o,
				 " (headroom explain RULE shows the formula); unknown values are left out");
		prom_header(out, names[i], prom_is_counter(names[i]) ? "counter" : "gauge", help);
		json_array_foreach(findings, j, fi) {
			json_t *v = json_object_get(json_object_get(fi, "metrics"), metric);

			if (json_is_number(v))
				prom_sample(out, names[i], fi, v);
		}
	}
	json_decref(fams);
}

int hr_render_prometheus(FILE *out, const json_t *report, double duration_s)
{
	static const char *const count_keys[] = {"critical", "warning", "info", "ok", "not_evaluated"};
	const json_t *summary = json_object_get(report, "summary");
	const json_t *findings = json_object_get(report, "findings");
	const json_t *counts = json_object_get(summary, "counts");
	json_t *code = json_object_get(summary, "exit_code"), *fi;
	size_t i;

	prom_header(out, "headroom_audit_status", "gauge",
		    "Verdict of the audit, as its exit code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN "
		    "(audit not possible, or rules failed to load or evaluate)");
	fprintf(out, "headroom_audit_status %lld\n",
		json_is_integer(code) ? (long long)json_integer_value(code) : (long long)HR_AUDIT_UNKNOWN);
	prom_header(out, "headroom_audit_duration_seconds", "gauge",
		    "Wall-clock time of the audit: probe, counter interval and rules");
	fprintf(out, "headroom_audit_duration_seconds %.6f\n", duration_s);
	if (!report)
		return ferror(out) ? -EIO : 0;
	prom_header(out, "headroom_audit_findings", "gauge",
		    "Findings of the audit by severity (not_evaluated: rules that could not be evaluated)");
	for (i = 0; i < HR_ARRAY_SIZE(count_keys); i++) {
		json_t *v = json_object_get(counts, count_keys[i]);

		if (json_is_integer(v))
			fprintf(out, "headroom_audit_findings{severity=\"%s\"} %" JSON_INTEGER_FORMAT "\n",
				count_keys[i], json_integer_value(v));
	}
	prom_header(out, "headroom_audit_rules_loaded", "gauge", "Rules loaded by the audit");
	fprintf(out, "headroom_audit_rules_loaded %" JSON_INTEGER_FORMAT "\n",
		json_integer_value(json_object_get(summary, "rules_loaded")));
	prom_header(out, "headroom_finding_severity", "gauge",
		    "Severity of each finding: 0 ok, 1 info, 2 warning, 3 critical");
	json_array_foreach(findings, i, fi) {
		int sev = prom_severity(json_string_value(json_object_get(fi, "severity")));
		json_t *v;

		if (sev < 0)
			continue;
		v = json_integer(sev);
		prom_sample(out, "headroom_finding_severity", fi, v);
		json_decref(v);
	}
	prom_rule_metrics(out, findings);
	return ferror(out) ? -EIO : 0;
}
