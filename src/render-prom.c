/* render-prom.c: the audit report as Prometheus text exposition (format
 * 0.0.4, what node_exporter's textfile collector and promtool read): one
 * gauge family per metric the findings carry, the severity of every
 * finding, and the audit's own status and duration. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "clock.h"
#include "lazy.h"
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

/* One namespace's part of an exposition: its report and its labels
 * (escaped, each followed by a comma; "" for the single-namespace output). */
struct prom_part {
	const json_t *report;
	const char *lbl;
};

/* One gauge family of the rule metrics: its name, the first source name
 * met (the one its samples are of), the rules with it, and its sample
 * lines so far. */
struct prom_fam {
	char name[256];
	char *metric;
	json_t *rules;
	FILE *lines;
};

/* What one pass over the findings of every part writes: the severity of
 * each finding and the samples of each family, each family's lines in a
 * file of its own (bounded memory), put together in family order after. */
struct prom_pass {
	FILE *sev;
	json_t *index;          /* {family: its position in fam} */
	struct prom_fam fam[FAM_MAX];
	size_t nfam;
};

/* An anonymous temporary file in $TMPDIR (else /tmp), gone once closed;
 * NULL with errno set. */
static FILE *prom_tmp(void)
{
	const char *dir = getenv("TMPDIR");
	FILE *f;
	int fd = open(dir && *dir ? dir : "/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd < 0)
		return tmpfile();
	f = fdopen(fd, "w+");
	if (!f)
		close(fd);
	return f;
}

/* Appends what was written to from to out, and closes from. 0 or -EIO. */
static int prom_append(FILE *out, FILE *from)
{
	char buf[65536];
	size_t k;
	int r = fflush(from) != 0 || fseek(from, 0, SEEK_SET) != 0 ? -EIO : 0;

	while (r == 0 && (k = fread(buf, 1, sizeof(buf), from)) > 0)
		if (fwrite(buf, 1, k, out) != k)
			r = -EIO;
	if (ferror(from))
		r = -EIO;
	fclose(from);
	return r;
}

static void prom_pass_free(struct prom_pass *ps)
{
	size_t i;

	for (i = 0; i < ps->nfam; i++) {
		free(ps->fam[i].metric);
		json_decref(ps->fam[i].rules);
		if (ps->fam[i].lines)
			fclose(ps->fam[i].lines);
	}
	if (ps->sev)
		fclose(ps->sev);
	json_decref(ps->index);
	free(ps);
}

/* The family of metric k of a finding of rule: found or added (with its
 * file), the rule added to its rules. NULL past FAM_MAX families (left
 * out), or on failure (*r set). */
static struct prom_fam *prom_fam_of(struct prom_pass *ps, const char *k, const char *rule, int *r)
{
	char name[256];
	json_t *pos, *x;
	struct prom_fam *e;
	size_t j;

	prom_family_name(name, sizeof(name), k);
	pos = json_object_get(ps->index, name);
	if (pos) {
		e = &ps->fam[json_integer_value(pos)];
	} else {
		if (ps->nfam >= FAM_MAX)
			return NULL;
		e = &ps->fam[ps->nfam];
		snprintf(e->name, sizeof(e->name), "%s", name);
		e->metric = strdup(k);
		e->rules = json_array();
		e->lines = prom_tmp();
		if (!e->lines)
			*r = -errno;
		ps->nfam++;
		if (!e->metric || !e->rules || !e->lines ||
		    json_object_set_new(ps->index, name, json_integer((json_int_t)ps->nfam - 1)) < 0) {
			*r = *r ? *r : -ENOMEM;
			return NULL;
		}
	}
	json_array_foreach(e->rules, j, x)
		if (rule && !strcmp(json_string_value(x), rule))
			return e;
	if (rule && json_array_append_new(e->rules, json_string(rule)) < 0) {
		*r = -ENOMEM;
		return NULL;
	}
	return e;
}

/* One finding of a part: its severity sample, and a sample in each family
 * whose first source name it has. 0 or -errno. */
static int prom_pass_finding(struct prom_pass *ps, const char *lbl, const json_t *fi)
{
	int sev = prom_severity(json_string_value(json_object_get(fi, "severity"))), r = 0;
	const char *rule = json_string_value(json_object_get(fi, "rule")), *k;
	json_t *v;

	if (sev >= 0) {
		v = json_integer(sev);
		if (!v)
			return -ENOMEM;
		prom_sample(ps->sev, "headroom_finding_severity", lbl, fi, v);
		json_decref(v);
	}
	json_object_foreach(json_object_get(fi, "metrics"), k, v) {
		struct prom_fam *e;

		if (!json_is_number(v))
			continue;
		e = prom_fam_of(ps, k, rule, &r);
		if (r)
			return r;
		if (e && !strcmp(k, e->metric))
			prom_sample(e->lines, e->name, lbl, fi, v);
	}
	return 0;
}

/* The pass over the findings of every part (each made once). NULL with *r
 * set on failure. */
static struct prom_pass *prom_pass(const struct prom_part *parts, size_t nparts, int *r)
{
	struct prom_pass *ps = calloc(1, sizeof(*ps));
	size_t pi;

	*r = 0;
	if (!ps || !(ps->index = json_object()) || !(ps->sev = prom_tmp())) {
		*r = ps && ps->index ? -errno : -ENOMEM;
		if (ps)
			prom_pass_free(ps);
		return NULL;
	}
	for (pi = 0; pi < nparts && !*r; pi++) {
		struct hr_lazy_iter it;
		const json_t *fi;

		hr_lazy_iter_init(&it, json_object_get(parts[pi].report, "findings"));
		while (!*r && (fi = hr_lazy_next(&it)))
			*r = prom_pass_finding(ps, parts[pi].lbl, fi);
		if (!*r && it.nomem)
			*r = -ENOMEM;
		hr_lazy_iter_end(&it);
	}
	if (*r) {
		prom_pass_free(ps);
		return NULL;
	}
	return ps;
}

static int cmp_fam(const void *a, const void *b)
{
	return strcmp(((const struct prom_fam *)a)->name, ((const struct prom_fam *)b)->name);
}

/* The gauge families of the rule metrics in name order, each with the
 * samples of every part. 0 or -errno. */
static int prom_rule_metrics(FILE *out, struct prom_pass *ps)
{
	size_t i, j;
	int r = 0;
	json_t *x;

	qsort(ps->fam, ps->nfam, sizeof(ps->fam[0]), cmp_fam);
	for (i = 0; i < ps->nfam; i++) {
		struct prom_fam *e = &ps->fam[i];
		char help[1024];
		size_t o;

		o = (size_t)snprintf(help, sizeof(help), "Metric %s of rule%s", e->metric,
				     json_array_size(e->rules) > 1 ? "s" : "");
		json_array_foreach(e->rules, j, x)
			if (o < sizeof(help))
				o += (size_t)snprintf(help + o, sizeof(help) - o, "%s %s", j ? "," : "",
						      json_string_value(x));
		if (o < sizeof(help))
			snprintf(help + o, sizeof(help) - o,
				 " (headroom explain RULE shows the formula); unknown values are left out");
		prom_header(out, e->name, prom_is_counter(e->name) ? "counter" : "gauge", help);
		if (prom_append(out, e->lines) < 0)
			r = -EIO;
		e->lines = NULL;
	}
	return r;
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
static int prom_port_sources(FILE *out, const struct prom_part *parts, size_t nparts)
{
	static const char fam[] = "headroom_port_source_sockets";
	bool head = false;
	size_t pi, j;
	const json_t *d;
	json_t *x;

	for (pi = 0; pi < nparts; pi++) {
		struct hr_lazy_iter it;

		hr_lazy_iter_init(&it, json_object_get(json_object_get(json_object_get(parts[pi].report, "facts"), "sockets"),
						    "destinations"));
		while ((d = hr_lazy_next(&it))) {
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
		if (it.nomem)
			return -ENOMEM;
	}
	return 0;
}

static int prom_parts(FILE *out, const struct prom_part *parts, size_t nparts, bool status)
{
	static const char *const count_keys[] = {"critical", "warning", "info", "ok", "not_evaluated"};
	size_t i, pi;
	int r;
	struct prom_pass *ps = prom_pass(parts, nparts, &r);

	if (!ps)
		return r;

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
	r = prom_append(out, ps->sev);
	ps->sev = NULL;
	if (prom_rule_metrics(out, ps) < 0)
		r = -EIO;
	prom_pass_free(ps);
	return r ? r : prom_port_sources(out, parts, nparts);
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
	int r;
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
	r = prom_parts(out, &part, 1, false);
	prom_trace(out, json_object_get(report, "trace"));
	return r ? r : ferror(out) ? -EIO : 0;
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
	r = prom_parts(out, parts, n, true);
out:
	for (i = 0; i < n; i++)
		free(lbls[i]);
	free(lbls);
	free(parts);
	return r ? r : ferror(out) ? -EIO : 0;
}

int hr_render_prometheus_fill(FILE *out, void *args)
{
	const struct hr_prom_args *t = args;

	return t->multi ? hr_render_prometheus_netns(out, t->report, t->duration_s)
			: hr_render_prometheus(out, t->report, t->duration_s);
}
