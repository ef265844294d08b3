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
#include "clock.h"
#include "render.h"
#include "severity.h"

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

/* One sample line: NAME{LABELS,rule="..",subject=".."} VALUE; lbl is the
 * namespace's labels, already escaped, with a trailing comma ("" for none). */
static void prom_sample(FILE *out, const char *family, const char *lbl, const json_t *finding, const json_t *v)
{
	const char *subject = json_string_value(json_object_get(finding, "subject"));

	fprintf(out, "%s{%srule=\"", family, lbl);
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

/* Severity as a number that orders: 0 ok, 1 info, 2 warning, 3 critical
 * (enum hr_sev); -1 for anything else (left out). */
static int prom_severity(const char *s)
{
	int sev = hr_sev_parse(s);

	return sev < 0 ? -1 : sev;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* One namespace's part of an exposition: its report and its labels
 * (escaped, each followed by a comma; "" for the single-namespace output). */
struct prom_part {
	const json_t *report;
	const char *lbl;
};

/* The families of the rule metrics over the findings of every part:
 * {family: {"metric": first source name, "rules": [ids]}}. Owned. */
static json_t *prom_families(const struct prom_part *parts, size_t nparts)
{
	json_t *fams = json_object(), *fi, *v;
	const char *k;
	size_t i, pi;

	for (pi = 0; pi < nparts; pi++)
	json_array_foreach(json_object_get(parts[pi].report, "findings"), i, fi) {
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

/* The gauge families of the rule metrics, each with the samples of every part. */
static void prom_rule_metrics(FILE *out, const struct prom_part *parts, size_t nparts)
{
	json_t *fams = prom_families(parts, nparts), *e, *fi, *x;
	const char *names[FAM_MAX], *k;
	size_t n = 0, i, j, pi;

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
		for (pi = 0; pi < nparts; pi++)
			json_array_foreach(json_object_get(parts[pi].report, "findings"), j, fi) {
				json_t *v = json_object_get(json_object_get(fi, "metrics"), metric);

				if (json_is_number(v))
					prom_sample(out, names[i], parts[pi].lbl, fi, v);
			}
	}
	json_decref(fams);
}

/* "NAME{LABELS} " or "NAME " (labels without the trailing comma). */
static void prom_name(FILE *out, const char *family, const char *lbl)
{
	size_t n = strlen(lbl);

	if (n)
		fprintf(out, "%s{%.*s} ", family, (int)(n - 1), lbl);
	else
		fprintf(out, "%s ", family);
}

/* A time of a report's summary.clock (integer milliseconds), or NULL. */
static const json_t *prom_clock_ms(const json_t *report, const char *key)
{
	const json_t *v = json_object_get(json_object_get(json_object_get(report, "summary"), "clock"), key);

	return json_is_integer(v) ? v : NULL;
}

/* One gauge family of Unix times from each part's summary.clock key,
 * left out when no part has one. */
static void prom_time_family(FILE *out, const struct prom_part *parts, size_t nparts, const char *family,
			     const char *key, const char *help)
{
	size_t pi;
	bool any = false;

	for (pi = 0; pi < nparts; pi++)
		any |= prom_clock_ms(parts[pi].report, key) != NULL;
	if (!any)
		return;
	prom_header(out, family, "gauge", help);
	for (pi = 0; pi < nparts; pi++) {
		const json_t *v = prom_clock_ms(parts[pi].report, key);

		if (!v)
			continue;
		prom_name(out, family, parts[pi].lbl);
		fprintf(out, "%" JSON_INTEGER_FORMAT ".%03d\n", json_integer_value(v) / 1000,
			(int)(json_integer_value(v) % 1000));
	}
}

/* When each part's report was made, and the moment its predictions count
 * from (clock.h): a query ages a time to exhaustion with them. Gauges, not
 * sample timestamps: node_exporter's textfile collector refuses those. */
static void prom_clock(FILE *out, const struct prom_part *parts, size_t nparts)
{
	prom_time_family(out, parts, nparts, "headroom_audit_timestamp_seconds", "report_unix_ms",
			 "When the audit's report was made (Unix time)");
	prom_time_family(out, parts, nparts, "headroom_audit_capture_timestamp_seconds", "at_unix_ms",
			 "The moment every time to exhaustion counts from (Unix time): the report itself for a "
			 "live audit, the capture for --root (left out when the tree does not say); the time left "
			 "now is that time minus (time() - headroom_audit_capture_timestamp_seconds)");
}

/* The families every part has (status, findings by severity, rules loaded,
 * severity of each finding, rule metrics), HELP and TYPE once each. With
 * status false, headroom_audit_status is left to the caller. */
/* The port model per source address (issue 25): the outbound sockets of each
 * local address toward a destination with more than one, from the report's
 * facts (facts.sockets.destinations[].sources). Bounded: at most 4 addresses
 * and one "other" per destination (facts-int.h HR_DEST_SOURCES), so series
 * come and go with destinations and their sources only. */
static void prom_port_sources(FILE *out, const struct prom_part *parts, size_t nparts)
{
	static const char fam[] = "headroom_port_source_sockets";
	bool head = false;
	size_t pi, i, j;
	json_t *d, *x;

	for (pi = 0; pi < nparts; pi++)
		json_array_foreach(json_object_get(json_object_get(json_object_get(parts[pi].report, "facts"), "sockets"),
						   "destinations"),
				   i, d) {
			const char *subject = json_string_value(json_object_get(d, "subject"));

			json_array_foreach(json_object_get(d, "sources"), j, x) {
				const char *a = json_string_value(json_object_get(x, "address"));
				json_t *v = json_object_get(x, "in_use");

				if (!subject || !json_is_integer(v))
					continue;
				if (!head)
					prom_header(out, fam, "gauge",
						    "Outbound sockets from one local address toward a destination with "
						    "several (each address has the whole port range; source=\"other\": "
						    "the addresses past the first 4)");
				head = true;
				fprintf(out, "%s{%sdestination=\"", fam, parts[pi].lbl);
				prom_escape(out, subject, true);
				fputs("\",source=\"", out);
				prom_escape(out, a ? a : "other", true);
				fputs("\"} ", out);
				prom_value(out, v);
			}
		}
}

static void prom_parts(FILE *out, const struct prom_part *parts, size_t nparts, bool status)
{
	static const char *const count_keys[] = {"critical", "warning", "info", "ok", "not_evaluated"};
	size_t i, pi;
	json_t *fi;

	if (status) {
		prom_header(out, "headroom_audit_status", "gauge",
			    "Verdict of the audit, as its exit code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN "
			    "(audit not possible, or rules failed to load or evaluate)");
		for (pi = 0; pi < nparts; pi++) {
			json_t *code = json_object_get(json_object_get(parts[pi].report, "summary"), "exit_code");

			prom_name(out, "headroom_audit_status", parts[pi].lbl);
			fprintf(out, "%lld\n", json_is_integer(code) ? (long long)json_integer_value(code)
								     : (long long)HR_AUDIT_UNKNOWN);
		}
	}
	prom_clock(out, parts, nparts);
	prom_header(out, "headroom_audit_findings", "gauge",
		    "Findings of the audit by severity (not_evaluated: rules that could not be evaluated)");
	for (pi = 0; pi < nparts; pi++)
		for (i = 0; i < HR_ARRAY_SIZE(count_keys); i++) {
			json_t *v = json_object_get(json_object_get(json_object_get(parts[pi].report, "summary"),
								    "counts"),
						    count_keys[i]);

			if (json_is_integer(v))
				fprintf(out, "headroom_audit_findings{%sseverity=\"%s\"} %" JSON_INTEGER_FORMAT "\n",
					parts[pi].lbl, count_keys[i], json_integer_value(v));
		}
	prom_header(out, "headroom_audit_rules_loaded", "gauge", "Rules loaded by the audit");
	for (pi = 0; pi < nparts; pi++) {
		json_t *v = json_object_get(json_object_get(parts[pi].report, "summary"), "rules_loaded");

		if (!json_is_integer(v) && *parts[pi].lbl)
			continue;
		prom_name(out, "headroom_audit_rules_loaded", parts[pi].lbl);
		fprintf(out, "%" JSON_INTEGER_FORMAT "\n", json_integer_value(v));
	}
	prom_header(out, "headroom_finding_severity", "gauge",
		    "Severity of each finding: 0 ok, 1 info, 2 warning, 3 critical");
	for (pi = 0; pi < nparts; pi++)
		json_array_foreach(json_object_get(parts[pi].report, "findings"), i, fi) {
			int sev = prom_severity(json_string_value(json_object_get(fi, "severity")));
			json_t *v;

			if (sev < 0)
				continue;
			v = json_integer(sev);
			prom_sample(out, "headroom_finding_severity", parts[pi].lbl, fi, v);
			json_decref(v);
		}
	prom_rule_metrics(out, parts, nparts);
	prom_port_sources(out, parts, nparts);
}

/* No report (audit not possible): when this was said, so a stale textfile
 * and an UNKNOWN one are told apart (headroom:audit_age_seconds). */
static void prom_now(FILE *out)
{
	prom_header(out, "headroom_audit_timestamp_seconds", "gauge", "When the audit's report was made (Unix time)");
	fprintf(out, "headroom_audit_timestamp_seconds %.3f\n", hr_stamp_now().real);
}

/* The eBPF trace of audit --trace (report "trace"): the traced seconds, and
 * per destination its new connections per second and its connect()
 * failures by errno. Labels are destinations and errno names, never pids or
 * commands, so series come and go with destinations only. */
static void prom_trace(FILE *out, const json_t *tr)
{
	const json_t *d;
	size_t i;

	if (!json_is_true(json_object_get(tr, "traced")))
		return;
	prom_header(out, "headroom_trace_seconds", "gauge", "Length of the eBPF trace the audit added (audit --trace)");
	fprintf(out, "headroom_trace_seconds ");
	prom_value(out, json_object_get(tr, "seconds"));
	fputc('\n', out);
	prom_header(out, "headroom_trace_new_connections_per_second", "gauge",
		    "Connections started per second toward each destination during the trace (counted, not estimated)");
	json_array_foreach(json_object_get(tr, "destinations"), i, d) {
		if (!json_integer_value(json_object_get(d, "opens")))
			continue;
		fputs("headroom_trace_new_connections_per_second{destination=\"", out);
		prom_escape(out, json_string_value(json_object_get(d, "subject")), true);
		fputs("\"} ", out);
		prom_value(out, json_object_get(d, "rate"));
		fputc('\n', out);
	}
	prom_header(out, "headroom_trace_connect_failures", "gauge",
		    "connect() calls that failed toward each destination during the trace, by errno");
	json_array_foreach(json_object_get(tr, "destinations"), i, d) {
		const char *err;
		json_t *n;

		json_object_foreach(json_object_get(d, "connect_failures"), err, n) {
			fputs("headroom_trace_connect_failures{destination=\"", out);
			prom_escape(out, json_string_value(json_object_get(d, "subject")), true);
			fprintf(out, "\",errno=\"");
			prom_escape(out, err, true);
			fputs("\"} ", out);
			prom_value(out, n);
			fputc('\n', out);
		}
	}
}

int hr_render_prometheus(FILE *out, const json_t *report, double duration_s)
{
	struct prom_part part = {report, ""};
	json_t *code = json_object_get(json_object_get(report, "summary"), "exit_code");

	prom_header(out, "headroom_audit_status", "gauge",
		    "Verdict of the audit, as its exit code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN "
		    "(audit not possible, or rules failed to load or evaluate)");
	fprintf(out, "headroom_audit_status %lld\n",
		json_is_integer(code) ? (long long)json_integer_value(code) : (long long)HR_AUDIT_UNKNOWN);
	prom_header(out, "headroom_audit_duration_seconds", "gauge",
		    "Wall-clock time of the audit: probe, counter interval and rules");
	fprintf(out, "headroom_audit_duration_seconds %.6f\n", duration_s);
	if (!report) {
		prom_now(out);
		return ferror(out) ? -EIO : 0;
	}
	prom_parts(out, &part, 1, false);
	prom_trace(out, json_object_get(report, "trace"));
	return ferror(out) ? -EIO : 0;
}

/* Appends KEY="VALUE", (VALUE escaped for a label) to the string b. */
static void prom_label_add(FILE *b, const char *key, const char *value)
{
	fprintf(b, "%s=\"", key);
	prom_escape(b, value, true);
	fputs("\",", b);
}

/* The labels of one namespace (its identity from hr_netns_identity):
 * netns (first `ip netns` name, else the inode), netns_inode, and container
 * (the first container id among its processes) when known. Owned; NULL
 * when out of memory. */
static char *prom_netns_labels(const json_t *id)
{
	const json_t *p;
	char ino[32], *buf = NULL;
	const char *name = json_string_value(json_array_get(json_object_get(id, "names"), 0));
	size_t len = 0, i;
	FILE *b = open_memstream(&buf, &len);

	if (!b)
		return NULL;
	snprintf(ino, sizeof(ino), "%" JSON_INTEGER_FORMAT, json_integer_value(json_object_get(id, "inode")));
	prom_label_add(b, "netns", name ? name : ino);
	prom_label_add(b, "netns_inode", ino);
	json_array_foreach(json_object_get(id, "pids"), i, p) {
		const char *c = json_string_value(json_object_get(p, "container"));

		if (c) {
			prom_label_add(b, "container", c);
			break;
		}
	}
	if (fclose(b) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

int hr_render_prometheus_netns(FILE *out, const json_t *report, double duration_s)
{
	const json_t *host = json_object_get(report, "host");
	const json_t *nss = json_object_get(report, "namespaces"), *sec;
	json_t *code = json_object_get(host, "exit_code");
	size_t n = json_array_size(nss), i;
	struct prom_part *parts = calloc(n ? n : 1, sizeof(*parts));
	char **lbls = calloc(n ? n : 1, sizeof(*lbls));
	int r = 0;

	if (!parts || !lbls) {
		free(parts);
		free(lbls);
		return -ENOMEM;
	}
	prom_header(out, "headroom_host_status", "gauge",
		    "Verdict of the audit of every network namespace, as its exit code (the worst "
		    "namespace's): 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN");
	fprintf(out, "headroom_host_status %lld\n",
		json_is_integer(code) ? (long long)json_integer_value(code) : (long long)HR_AUDIT_UNKNOWN);
	prom_header(out, "headroom_audit_duration_seconds", "gauge",
		    "Wall-clock time of the audit: probe, counter interval and rules");
	fprintf(out, "headroom_audit_duration_seconds %.6f\n", duration_s);
	if (!report) {
		prom_now(out);
		goto out;
	}
	prom_header(out, "headroom_host_namespaces", "gauge", "Network namespaces audited");
	fprintf(out, "headroom_host_namespaces %zu\n", n);
	json_array_foreach(nss, i, sec) {
		parts[i].report = sec;
		parts[i].lbl = lbls[i] = prom_netns_labels(json_object_get(sec, "netns"));
		if (!lbls[i]) {
			r = -ENOMEM;
			goto out;
		}
	}
	prom_header(out, "headroom_netns_info", "gauge",
		    "One series per audited network namespace (value 1); initial is 1 for the host's own "
		    "namespace");
	for (i = 0; i < n; i++)
		fprintf(out, "headroom_netns_info{%sinitial=\"%d\"} 1\n", parts[i].lbl,
			json_is_true(json_object_get(json_object_get(parts[i].report, "netns"), "initial")));
	prom_header(out, "headroom_netns_processes", "gauge", "Processes in each audited network namespace");
	for (i = 0; i < n; i++) {
		prom_name(out, "headroom_netns_processes", parts[i].lbl);
		fprintf(out, "%" JSON_INTEGER_FORMAT "\n",
			json_integer_value(json_object_get(json_object_get(parts[i].report, "netns"), "processes")));
	}
	prom_parts(out, parts, n, true);
out:
	for (i = 0; i < n; i++)
		free(lbls[i]);
	free(lbls);
	free(parts);
	return r ? r : ferror(out) ? -EIO : 0;
}
