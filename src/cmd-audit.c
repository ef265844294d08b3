/* cmd-audit.c: the 'audit' command: options, and the text report. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "audit.h"
#include "clock.h"
#include "cmd.h"
#include "fmt.h"
#include "lazy.h"
#include "persist.h"
#include "cmd-netns.h"
#include "render.h"
#include "severity.h"

#define MAX_ASSUME 64

static const char *str_or(const json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : dflt;
}

static double num_or_nan(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* "0.66x", or "no limit" when a finite headroom does not exist. */
static const char *fmt_headroom(char *buf, size_t n, double h, bool unbounded_ok)
{
	if (isfinite(h))
		snprintf(buf, n, "%.2fx", h);
	else
		snprintf(buf, n, "%s", unbounded_ok ? "no limit" : "-");
	return buf;
}

/* Rows of a text table: the findings come worst first, so these are the
 * ones to look at; JSON and YAML carry every one. */
#define TEXT_MAX_DESTS 20
/* Columns a rule's table may have in the text report. */
#define HR_TABLE_MAX_COLS 16
/* Findings printed in full, and OK rows listed, in the text report (a box
 * with thousands of destinations has a finding per destination). */
#define TEXT_MAX_FINDINGS 50

/* The tables the rules declare (present: table), worst rows first. */
static void print_tables(FILE *out, const json_t *tables)
{
	const json_t *tb, *row;
	size_t i, j, k;

	json_array_foreach(tables, i, tb) {
		const json_t *cols = json_object_get(tb, "columns"), *cells = json_object_get(tb, "cells");
		size_t ncols = json_array_size(cols), rows = json_array_size(cells);
		/* Held for text (hold_findings): the rows made are the worst; total counts them all. */
		json_int_t total = json_integer_value(json_object_get(tb, "total"));
		struct hr_table *t = hr_table_new((int)ncols);
		const char *cell[HR_TABLE_MAX_COLS];
		unsigned right = 0;

		if (!t || !ncols || ncols > HR_TABLE_MAX_COLS) {
			hr_table_free(t);
			continue;
		}
		for (k = 0; k < ncols; k++) {
			cell[k] = str_or(json_array_get(cols, k), "header", "");
			if (!strcmp(str_or(json_array_get(cols, k), "align", ""), "right"))
				right |= 1u << k;
		}
		hr_table_row(t, cell);
		if (total > 0 && (size_t)total > rows)
			rows = (size_t)total;
		if (hr_lazy_size(cells) > rows) /* lazy with --assume-file, --boot: every row */
			rows = hr_lazy_size(cells);
		json_array_foreach(cells, j, row) {
			if (j == TEXT_MAX_DESTS)
				break;
			for (k = 0; k < ncols; k++)
				cell[k] = json_string_value(json_array_get(json_object_get(row, "cells"), k)) ?: "";
			hr_table_row(t, cell);
		}
		fprintf(out, "%s\n", str_or(tb, "title", ""));
		hr_table_print(out, t, "  ", right);
		if (rows > TEXT_MAX_DESTS)
			fprintf(out, "  ... and %zu more %s (the table is worst first; every one: --format json)\n",
				rows - TEXT_MAX_DESTS, str_or(tb, "rows", "rows"));
		fputc('\n', out);
		hr_table_free(t);
	}
}

/* "net.ipv4.tcp_tw_reuse=1 net.ipv4.ip_local_port_range='1024 65535'" */
static void settings_text(char *buf, size_t n, const json_t *settings)
{
	const char *k;
	json_t *v;
	size_t o = 0;

	buf[0] = '\0';
	json_object_foreach((json_t *)settings, k, v) {
		const char *s = json_string_value(v);
		char num[32];

		if (!s && json_is_number(v))
			s = hr_fmt_num(num, sizeof(num), json_number_value(v), false);
		if (o < n)
			o += (size_t)snprintf(buf + o, n - o, "%s%s=%s%s%s", o ? " " : "", k,
					      s && strchr(s, ' ') ? "'" : "", s ? s : "?",
					      s && strchr(s, ' ') ? "'" : "");
	}
}

static void print_finding(FILE *out, const json_t *fi)
{
	const char *subject = json_string_value(json_object_get(fi, "subject"));
	json_t *fixes = json_object_get(fi, "fixes"), *refs = json_object_get(fi, "references");
	bool has_headroom = json_object_get(json_object_get(fi, "metrics"), "headroom") != NULL;
	double h_now = num_or_nan(json_object_get(fi, "metrics"), "headroom");
	const char *sev = str_or(fi, "severity", "");
	json_t *x;
	size_t i;

	fprintf(out, "%-8s  %s%s%s\n", hr_sev_upper(str_or(fi, "severity", NULL)), str_or(fi, "rule", "?"),
		subject ? "  " : "", subject ? subject : "");
	fprintf(out, "  %s\n", str_or(fi, "message", ""));
	json_array_foreach(json_object_get(fi, "changed_by"), i, x)
		fprintf(out, "  %s %s: %s = %s (now %s)\n", i ? "          " : "Changed by", str_or(x, "source", "?"),
			str_or(x, "key", "?"), str_or(x, "value", "?"), str_or(x, "was", "unknown"));
	if (json_is_true(json_object_get(fi, "new_critical")))
		fprintf(out, "  New: not critical without the declared files\n");
	if (json_array_size(fixes)) {
		fprintf(out, "  Fixes, in the order to consider them:\n");
		json_array_foreach(fixes, i, x) {
			char set[512], head[32];
			json_t *settings = json_object_get(x, "settings");
			const char *after = json_string_value(json_object_get(x, "severity_after"));
			double h = num_or_nan(x, "headroom_after");

			settings_text(set, sizeof(set), settings);
			fprintf(out, "    %zu. %s%s%s\n", i + 1, set[0] ? set : "", set[0] ? ": " : "",
				str_or(x, "text", ""));
			/* The effect the engine computed by re-evaluating the rule;
			 * nothing when the fix changes nothing the rule models. */
			if (after && !strcmp(after, sev) && ((!isfinite(h) && !isfinite(h_now)) || h == h_now))
				continue;
			if (has_headroom && (after || isfinite(h)))
				fprintf(out, "       -> headroom %s, %s\n",
					fmt_headroom(head, sizeof(head), h, after && !strcmp(after, "ok")),
					after ? after : "severity unknown");
			else if (after)
				fprintf(out, "       -> afterwards: %s\n", after);
		}
	}
	if (json_array_size(refs)) {
		fprintf(out, "  Sources:");
		json_array_foreach(refs, i, x)
			fprintf(out, "%s %s", i ? ";" : "", json_string_value(x) ? json_string_value(x) : "");
		fputc('\n', out);
	}
	fputc('\n', out);
}

/* The lines of sysctl.d files the kernel would refuse, and the critical
 * findings the files create (what: "creates" or "at boot"). */
/* The text report: verdict, port gauges, findings by severity, the rest. */
/* With --trace, one line: what the trace saw, or why there is none. */
static void print_trace_line(FILE *out, const json_t *tr)
{
	const json_t *tot = json_object_get(tr, "totals");

	if (!tr)
		return;
	if (!json_is_true(json_object_get(tr, "traced"))) {
		fprintf(out, "Not traced: %s\n\n", str_or(tr, "why", "unknown reason"));
		return;
	}
	fprintf(out, "Traced %.1f s with eBPF: %lld connect() calls, %lld failed; %.1f new connections/s out, %.1f/s accepted; "
		     "%lld RSTs sent, %lld received; %lld drops\n\n",
		json_number_value(json_object_get(tr, "seconds")),
		(long long)json_integer_value(json_object_get(tot, "connect_calls")),
		(long long)json_integer_value(json_object_get(tot, "connect_failed")),
		json_number_value(json_object_get(tot, "active_opens_rate")),
		json_number_value(json_object_get(tot, "passive_opens_rate")),
		(long long)json_integer_value(json_object_get(tot, "rst_sent")),
		(long long)json_integer_value(json_object_get(tot, "rst_received")),
		(long long)json_integer_value(json_object_get(tot, "drops")));
}

static int audit_text(FILE *out, const json_t *tree)
{
	const json_t *findings = json_object_get(tree, "findings");
	const json_t *summary = json_object_get(tree, "summary");
	const json_t *counts = json_object_get(summary, "counts");
	const json_t *nots = json_object_get(summary, "not_evaluated");
	const json_t *errs = json_object_get(summary, "rule_errors");
	const json_t *inputs = json_object_get(summary, "input_errors");
	const json_t *assumed = json_object_get(summary, "assumed");
	struct hr_table *okt = hr_table_new(3);
	size_t i, nok = 0, nshown = 0;
	struct hr_lazy_iter it;
	struct hr_clock clock;
	const json_t *lf;
	json_t *fi;

	fprintf(out, "%s\n\n", str_or(summary, "verdict", "UNKNOWN"));
	hr_clock_from_json(json_object_get(summary, "clock"), &clock);
	if (clock.capture) {
		char at[48], ago[32];

		if (isnan(clock.anchor_real))
			fprintf(out, "Captured at an unknown time (the tree has no headroom/clock): times to exhaustion from what it saw count from the capture\n\n");
		else
			fprintf(out, "Captured at %s, %s ago: times to exhaustion from what it saw count from the capture, as if the load held since\n\n",
				hr_fmt_utc(at, sizeof(at), clock.anchor_real),
				hr_fmt_age(ago, sizeof(ago), clock.report_real - clock.anchor_real));
	}
	if (json_object_size(assumed)) {
		const char *k;
		json_t *v;

		fprintf(out, "Assuming (what-if, nothing changed):");
		json_object_foreach((json_t *)assumed, k, v)
			fprintf(out, " %s=%s", k, json_string_value(v) ? json_string_value(v) : "?");
		fprintf(out, "\n\n");
	}
	if (json_object_get(summary, "what_if"))
		hr_cmd_audit_print_whatif(out, json_object_get(summary, "what_if"));
	if (json_object_get(summary, "boot"))
		hr_cmd_audit_print_boot(out, json_object_get(summary, "boot"));
	print_trace_line(out, json_object_get(tree, "trace"));
	print_tables(out, json_object_get(tree, "tables"));
	{
		/* Beyond HR_FACTS_MAX_DESTS the facts fold destinations: say so. */
		const json_t *o = json_object_get(json_object_get(json_object_get(tree, "facts"), "sockets"),
						  "other_destinations");
		char a[32], b[32];

		if (o)
			fprintf(out, "Other destinations: %s sockets toward destinations beyond the %s held one by one "
				     "were folded together (in the totals, not checked per destination)\n\n",
				hr_fmt_num(a, sizeof(a), (double)json_integer_value(json_object_get(o, "in_use")), true),
				hr_fmt_num(b, sizeof(b),
					   (double)json_integer_value(json_object_get(o, "destinations_held")), true));
	}
	/* Lazy with --assume-file, --boot (audit.c): made until those shown are. */
	hr_lazy_iter_init(&it, findings);
	while ((nshown < TEXT_MAX_FINDINGS || nok < TEXT_MAX_FINDINGS) && (lf = hr_lazy_next(&it))) {
		const char *sev = str_or(lf, "severity", "");

		if (strcmp(sev, "ok")) {
			/* Worst first: the first TEXT_MAX_FINDINGS in full, the rest counted. */
			if (nshown++ < TEXT_MAX_FINDINGS)
				print_finding(out, lf);
		} else {
			const char *row[] = {str_or(lf, "rule", "?"), str_or(lf, "subject", "-"),
					     str_or(lf, "message", "")};

			if (nok++ < TEXT_MAX_FINDINGS)
				hr_table_row(okt, row);
		}
	}
	hr_lazy_iter_end(&it);
	/* Held for text: the findings made are the worst; the counts are of all. */
	if ((size_t)json_integer_value(json_object_get(counts, "ok")) > nok)
		nok = (size_t)json_integer_value(json_object_get(counts, "ok"));
	if ((size_t)(json_integer_value(json_object_get(counts, "critical")) +
		     json_integer_value(json_object_get(counts, "warning")) +
		     json_integer_value(json_object_get(counts, "info"))) > nshown)
		nshown = (size_t)(json_integer_value(json_object_get(counts, "critical")) +
				  json_integer_value(json_object_get(counts, "warning")) +
				  json_integer_value(json_object_get(counts, "info")));
	if (nshown > TEXT_MAX_FINDINGS)
		fprintf(out, "... and %zu more findings, the same severity or lower (every one: --format json)\n\n",
			nshown - TEXT_MAX_FINDINGS);
	if (nok) {
		fprintf(out, "OK (%zu)\n", nok);
		hr_table_print(out, okt, "  ", 0);
		if (nok > TEXT_MAX_FINDINGS)
			fprintf(out, "  ... and %zu more (every one: --format json)\n", nok - TEXT_MAX_FINDINGS);
		fputc('\n', out);
	}
	hr_table_free(okt);
	if (json_array_size(inputs)) {
		fprintf(out, "Inputs refused or malformed (%zu): the rules did not see all they need\n",
			json_array_size(inputs));
		json_array_foreach(inputs, i, fi)
			fprintf(out, "  %s: %s\n", str_or(fi, "source", "?"), str_or(fi, "message", ""));
		fputc('\n', out);
	}
	if (json_array_size(nots)) {
		fprintf(out, "Not evaluated (%zu)\n", json_array_size(nots));
		json_array_foreach(nots, i, fi) {
			const char *subject = json_string_value(json_object_get(fi, "subject"));

			fprintf(out, "  %s%s%s: %s\n", str_or(fi, "rule", "?"), subject ? " " : "",
				subject ? subject : "", str_or(fi, "reason", "no reason given"));
		}
		fputc('\n', out);
	}
	if (json_array_size(errs)) {
		fprintf(out, "Rule file problems (%zu)\n", json_array_size(errs));
		json_array_foreach(errs, i, fi)
			fprintf(out, "  %s:%lld:%lld: %s: %s\n", str_or(fi, "file", "?"),
				(long long)json_integer_value(json_object_get(fi, "line")),
				(long long)json_integer_value(json_object_get(fi, "column")),
				str_or(fi, "level", "error"), str_or(fi, "message", ""));
		fputc('\n', out);
	}
	fprintf(out, "%lld critical, %lld warning, %lld info, %lld ok, %lld not evaluated; exit %lld (%s)\n",
		(long long)json_integer_value(json_object_get(counts, "critical")),
		(long long)json_integer_value(json_object_get(counts, "warning")),
		(long long)json_integer_value(json_object_get(counts, "info")),
		(long long)json_integer_value(json_object_get(counts, "ok")),
		(long long)json_integer_value(json_object_get(counts, "not_evaluated")),
		(long long)json_integer_value(json_object_get(summary, "exit_code")),
		str_or(summary, "status", "UNKNOWN"));
	return ferror(out) ? -EIO : 0;
}

/* Writes DIR/headroom.prom for node_exporter's textfile collector, streamed
 * atomically (hr_persist_write_fill); report may be NULL (audit not
 * possible). Prints the error naming DIR; false on failure. */
static bool write_textfile(const char *dir, const json_t *report, double duration_s, bool multi)
{
	struct hr_err err = {0};
	struct hr_prom_args t = {report, duration_s, multi};
	char path[4096];
	struct stat st;
	int r;

	if (stat(dir, &st) < 0) {
		fprintf(stderr, "headroom audit: --textfile %s: %s\n", dir,
			hr_strerror_about(errno, HR_ABOUT_DIR));
		return false;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "headroom audit: --textfile %s: not a directory\n", dir);
		return false;
	}
	if (snprintf(path, sizeof(path), "%s/headroom.prom", dir) >= (int)sizeof(path)) {
		fprintf(stderr, "headroom audit: --textfile %s: path too long\n", dir);
		return false;
	}
	r = hr_persist_write_fill(path, hr_render_prometheus_fill, &t, &err);
	if (r < 0) {
		fprintf(stderr, "headroom audit: --textfile %s: %s\n", dir, err.msg[0] ? err.msg : hr_strerror(r));
		return false;
	}
	if (r > 0) /* in place; only the directory fsync failed */
		fprintf(stderr, "headroom audit: --textfile %s: warning: %s\n", dir, err.msg);
	return true;
}

static int audit_text_netns(FILE *out, const json_t *tree);

/* Renders the report in the audit's own formats (prometheus, nagios) or
 * through hr_render (text, json, yaml); multi: a report of several
 * namespaces (hr_audit_run_netns). 0 or -errno. */
static int audit_render(const char *format, const json_t *report, double duration_s, bool multi)
{
	if (!strcmp(format, "prometheus"))
		return multi ? hr_render_prometheus_netns(stdout, report, duration_s)
			     : hr_render_prometheus(stdout, report, duration_s);
	if (!strcmp(format, "nagios"))
		return multi ? hr_render_nagios_netns(stdout, report) : hr_render_nagios(stdout, report);
	return hr_render_report(stdout, format, report, multi ? audit_text_netns : audit_text);
}

/* Rule file problems also go to stderr, where a cron mail or a monitoring
 * log sees them whatever the format. */
static void print_rule_errors(const json_t *summary)
{
	const json_t *errs = json_object_get(summary, "rule_errors");
	size_t i;
	json_t *e;

	json_array_foreach(errs, i, e) {
		char *line = NULL;
		int n = asprintf(&line, "headroom audit: %s:%lld:%lld: %s: %s", str_or(e, "file", "?"),
				 (long long)json_integer_value(json_object_get(e, "line")),
				 (long long)json_integer_value(json_object_get(e, "column")),
				 str_or(e, "level", "error"), str_or(e, "message", ""));

		if (n > 0) {
			hr_put_escaped(stderr, line, (size_t)n, false); /* a rule's text: escaped */
			fputc('\n', stderr);
		}
		free(line);
	}
}

/* The report of several namespaces: host verdict, then one section per
 * namespace (worst first) as the single-namespace report, then the host line. */
static int audit_text_netns(FILE *out, const json_t *tree)
{
	const json_t *host = json_object_get(tree, "host"), *sec;
	size_t i;

	fprintf(out, "Host: %s\n\n", str_or(host, "verdict", "UNKNOWN"));
	json_array_foreach(json_object_get(tree, "namespaces"), i, sec) {
		char title[1024];

		hr_cmd_netns_title(title, sizeof(title), json_object_get(sec, "netns"));
		hr_fmt_section(out, title, str_or(json_object_get(sec, "summary"), "status", "UNKNOWN"));
		if (json_object_get(json_object_get(sec, "summary"), "error"))
			fprintf(out, "%s\n\n", str_or(json_object_get(sec, "summary"), "verdict", "UNKNOWN"));
		else if (audit_text(out, sec) < 0)
			return -EIO;
		fputc('\n', out);
	}
	fprintf(out, "Host: %lld network namespace%s; exit %lld (%s)\n",
		(long long)json_integer_value(json_object_get(host, "namespaces")),
		json_integer_value(json_object_get(host, "namespaces")) == 1 ? "" : "s",
		(long long)json_integer_value(json_object_get(host, "exit_code")), str_or(host, "status", "UNKNOWN"));
	return ferror(out) ? -EIO : 0;
}

/* No audit: says UNKNOWN where a monitoring system reads (stdout in the
 * nagios and prometheus formats, the textfile), then returns UNKNOWN. */
static int audit_unknown(const char *format, const char *textfile, double dt, bool netns)
{
	/* A monitoring system reads stdout: say UNKNOWN there too. */
	if (format && !strcmp(format, "nagios"))
		hr_render_nagios_line(stdout, "UNKNOWN: audit not possible", NULL);
	else if (format && !strcmp(format, "prometheus"))
		(netns ? hr_render_prometheus_netns : hr_render_prometheus)(stdout, NULL, dt);
	if (textfile)
		write_textfile(textfile, NULL, dt, netns);
	return HR_AUDIT_UNKNOWN;
}

/* Renders the report (stdout with --format, the textfile with --textfile),
 * frees it and returns code, or UNKNOWN when an output could not be written. */
static int audit_output(const char *format, const char *textfile, json_t *report, double dt, bool netns,
			int code)
{
	if (format && (audit_render(format, report, dt, netns) < 0 || fflush(stdout) != 0)) {
		fprintf(stderr, "headroom audit: cannot write the report\n");
		code = HR_AUDIT_UNKNOWN;
	}
	if (textfile && !write_textfile(textfile, report, dt, netns))
		code = HR_AUDIT_UNKNOWN;
	if (hr_cmd_free_at_exit())
		json_decref(report);
	return code;
}

static int audit_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{"root", required_argument, NULL, 'r'},
		{"workload", required_argument, NULL, 'w'},
		{"profile", required_argument, NULL, 'P'},
		{"profiles", required_argument, NULL, 'D'},
		{"assume", required_argument, NULL, 'a'},
		{"rules", required_argument, NULL, 'R'},
		{"no-default-rules", no_argument, NULL, 'N'},
		{"interval", required_argument, NULL, 'i'},
		{"format", required_argument, NULL, 'f'},
		{"quiet", no_argument, NULL, 'q'},
		{"textfile", required_argument, NULL, 'T'},
		{"log-window", required_argument, NULL, 'L'},
		{"netns", required_argument, NULL, 'n'},
		{"pid", required_argument, NULL, 'p'},
		{"all-netns", no_argument, NULL, 'A'},
		{"assume-file", required_argument, NULL, 'F'},
		{"boot", no_argument, NULL, 'B'},
		{"config-root", required_argument, NULL, 'C'},
		{"trust-inputs", no_argument, NULL, HR_OPT_TRUST_INPUTS},
		{"state-dir", required_argument, NULL, 'S'},
		{"trace", required_argument, NULL, 'E'},
		{NULL, 0, NULL, 0},
	};
	const char *format = NULL, *textfile = NULL;
	double t0;
	struct hr_cmd_netns_args na = {0};
	const char *assume[MAX_ASSUME];
	struct hr_audit_opts o = {.root = "", .interval_s = -1, .progress = hr_fmt_progress_sample,
				  .trace_progress = hr_fmt_progress_trace};
	struct hr_err err = {0};
	json_t *report = NULL;
	hr_audit *a = NULL;
	int c, r, code;

	optind = 1;
	while ((c = getopt_long(argc, argv, "r:w:a:R:Ni:f:q", opts, NULL)) != -1) {
		switch (c) {
		case HR_OPT_TRUST_INPUTS:
			hr_trust_inputs(true);
			break;
		case 'r': o.root = arg_root = optarg; break;
		case 'w': o.workload = optarg; break;
		case 'P': o.profile = optarg; break;
		case 'D': o.profiles_dir = optarg; break;
		case 'a':
			if (o.nassume >= MAX_ASSUME) {
				fprintf(stderr, "headroom audit: at most %d --assume\n", MAX_ASSUME);
				return HR_AUDIT_UNKNOWN;
			}
			assume[o.nassume++] = optarg;
			break;
		case 'R':
			if (!hr_cmd_add_rules_dir(optarg))
				return HR_AUDIT_UNKNOWN;
			break;
		case 'N':
			o.no_default_rules = true;
			break;
		case 'i': {
			char *end;

			o.interval_s = strtod(optarg, &end);
			if (end == optarg || *end || !(o.interval_s >= 0) || o.interval_s > 3600) {
				fprintf(stderr, "headroom audit: --interval wants seconds from 0 to 3600 (got '%s')\n",
					optarg);
				return HR_AUDIT_UNKNOWN;
			}
			break;
		}
		case 'f':
			if (!strcmp(optarg, "prometheus") || !strcmp(optarg, "nagios"))
				format = optarg;
			else if (hr_format_valid(optarg) && hr_cmd_set_format("audit", optarg))
				format = arg_format;
			else {
				fprintf(stderr, "headroom audit: --format must be text, json, yaml, prometheus or "
						"nagios (got '%s')\n", optarg);
				return HR_AUDIT_UNKNOWN;
			}
			break;
		case 'T':
			textfile = optarg;
			break;
		case 'F':
		case 'B':
		case 'C':
			if (!hr_cmd_sysctld_option("audit", c, optarg, &o))
				return HR_AUDIT_UNKNOWN;
			break;
		case 'q':
			o.progress = NULL;
			o.trace_progress = NULL;
			break;
		case 'E':
			if (!hr_cmd_parse_trace_seconds("audit", optarg, &o.trace_s))
				return HR_AUDIT_UNKNOWN;
			break;
		case 'S':
			arg_state_dir = optarg;
			break;
		case 'L':
			if (!hr_cmd_parse_log_window("audit", optarg, &o.log_window_s))
				return HR_AUDIT_UNKNOWN;
			break;
		case 'n':
		case 'p':
		case 'A':
			if (!hr_cmd_netns_option(&na, "audit", c, optarg))
				return HR_AUDIT_UNKNOWN;
			break;
		default:
			hr_cmd_usage(stderr, &hr_cmd_audit);
			return HR_AUDIT_UNKNOWN;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "headroom audit: unexpected argument '%s'\n", argv[optind]);
		return HR_AUDIT_UNKNOWN;
	}
	if (o.config_root && !o.boot) {
		fprintf(stderr, "headroom audit: --config-root is where --boot reads sysctl.d; give --boot too\n");
		return HR_AUDIT_UNKNOWN;
	}
	o.assume = assume;
	o.rule_dirs = arg_rules_dirs;
	o.nrule_dirs = (size_t)arg_nrules_dirs;

	/* With --textfile the file is the output; stdout only with --format. */
	if (!format)
		format = textfile ? NULL : arg_format;
	if (o.trace_s > 0 && (*o.root || hr_cmd_netns_wanted(&na))) {
		fprintf(stderr, "headroom audit: --trace traces this system's own namespace; it cannot be combined "
				"with --root, --netns, --pid or --all-netns (run it inside: ip netns exec NAME headroom "
				"audit --trace S)\n");
		return HR_AUDIT_UNKNOWN;
	}
	/* Text shows the worst TEXT_MAX_FINDINGS findings and TEXT_MAX_DESTS
	 * rows of each table and counts the rest: only those are made (at 65,536
	 * destinations a finding each is ~3.5 KiB of JSON objects). JSON, YAML,
	 * Prometheus (the --textfile's too) have every finding, those beyond the
	 * same few made again one at a time as written (also per namespace);
	 * Nagios needs the perfdata over all; text with --textfile reads the
	 * held ones, the textfile every one made as written. */
	if (format && !textfile && !strcmp(format, "text"))
		o.hold_findings = TEXT_MAX_FINDINGS > TEXT_MAX_DESTS ? TEXT_MAX_FINDINGS : TEXT_MAX_DESTS;
	if (textfile || (format && strcmp(format, "text") != 0)) {
		o.hold_findings = TEXT_MAX_FINDINGS > TEXT_MAX_DESTS ? TEXT_MAX_FINDINGS : TEXT_MAX_DESTS;
		o.lazy_findings = true;
	}
	if (hr_cmd_netns_wanted(&na)) {
		struct hr_netns_list l = {0};

		if (*o.root) {
			fprintf(stderr, "headroom audit: --root audits a captured tree; it cannot be combined with --netns, --pid or --all-netns\n");
			return HR_AUDIT_UNKNOWN;
		}
		/* sysctl.d sets the initial namespace at boot; a namespace does not outlive a reboot. */
		if (o.boot) {
			fprintf(stderr, "headroom audit: --boot audits this namespace's next boot; it cannot be combined with --netns, --pid or --all-netns\n");
			return HR_AUDIT_UNKNOWN;
		}
		bool listed;

		t0 = hr_now();
		o.declare_fn = hr_cmd_drift_declare;
		o.declare_ud = &na; /* one namespace of many: its inode from the facts */
		listed = hr_cmd_netns_list(&na, "audit", &l); /* prints why not */
		r = listed ? hr_audit_new(&o, &a, &err) : -ENOENT;
		if (r == 0)
			r = hr_audit_run_netns(a, &l, &report, &err);
		hr_netns_list_clear(&l);
		if (r < 0) {
			double dt = hr_now() - t0;

			if (listed) {
				fprintf(stderr, "headroom audit: %s\n", err.msg[0] ? err.msg : hr_strerror(r));
				fprintf(stderr, "UNKNOWN: audit not possible\n");
			}
			json_decref(report);
			hr_lazy_sweep(false);
			hr_audit_free(a);
			return audit_unknown(format, textfile, dt, true);
		}
		t0 = hr_now() - t0;
		/* The same rules in every namespace: their problems once. */
		print_rule_errors(json_object_get(json_array_get(json_object_get(report, "namespaces"), 0), "summary"));
		code = (int)json_integer_value(json_object_get(json_object_get(report, "host"), "exit_code"));
		code = audit_output(format, textfile, report, t0, true, code);
		hr_lazy_sweep(false); /* the reports' findings made as written borrow the rules */
		hr_audit_free(a);
		return code;
	}
	o.declare_fn = hr_cmd_drift_declare;
	/* Text shows only the sysctls findings name: the rules' keys are read
	 * (audit.h), the facts tree built only for the note text shows. */
	o.text_facts = format && !textfile && !strcmp(format, "text");
	if (o.text_facts && !*o.root && !o.nassume && !o.nassume_files && !o.boot && !o.profile) {
		o.sysctls_referenced = true;
		o.declare_fn = hr_cmd_drift_declare_partial;
	}
	t0 = hr_now();
	r = hr_audit_new(&o, &a, &err);
	if (r == 0)
		r = hr_audit_run(a, &report, &err);
	if (r < 0) {
		double dt = hr_now() - t0;

		fprintf(stderr, "headroom audit: %s\n", err.msg[0] ? err.msg : hr_strerror(r));
		fprintf(stderr, "UNKNOWN: audit not possible\n");
		json_decref(report);
		hr_lazy_sweep(false);
		hr_audit_free(a);
		return audit_unknown(format, textfile, dt, false);
	}
	print_rule_errors(json_object_get(report, "summary"));
	t0 = hr_now() - t0;
	/* The report's findings made as written borrow the context's rules. */
	code = audit_output(format, textfile, report, t0, false, hr_audit_exit_code(report));
	/* The exit frees the rest (cmd.h), unless a leak check wants it done. */
	if (hr_cmd_free_at_exit()) {
		hr_lazy_sweep(false);
		hr_audit_free(a);
	}
	return code;
}

const struct hr_cmd hr_cmd_audit = {
	.name = "audit",
	.usage = "[--root DIR] [--workload FILE] [--profile NAME [--profiles DIR]] [--assume KEY=VALUE]... [--assume-file FILE]... [--boot [--config-root DIR]] [--rules DIR]... "
		 "[--interval S] [--log-window S] [--trace S] [--netns NAME | --pid PID]... [--all-netns] "
		 "[--format text|json|yaml|prometheus|nagios] [--textfile DIR]",
	.summary = "Check the box (or a captured tree) for port, TIME_WAIT, queue and timeout trouble.",
	.help = "  --root DIR          audit a tree captured by 'headroom snapshot' instead of this system\n"
		"  --workload FILE     declare load to expect (outbound/inbound rates, idle timeouts)\n"
		"  --profile NAME      as if profile NAME were applied: its exact values, its declared path\n"
		"  --profiles DIR      read --profile from DIR (default: the shipped profiles)\n"
		"  --assume KEY=VALUE  what-if: evaluate as if the sysctl had this value (repeatable)\n"
		"  --assume-file FILE  what-if: as if the sysctl.d FILE were applied (repeatable, in order);\n"
		"                      findings name the FILE:LINE they depend on; a line the kernel would\n"
		"                      reject makes the audit CRITICAL\n"
		"  --boot              audit the state the next boot produces: the sysctl.d files in\n"
		"                      systemd-sysctl order over today's values, with 'runtime vs boot'\n"
		"  --config-root DIR   --boot reads DIR/etc/sysctl.d, DIR/run/sysctl.d, ... (default: --root or /)\n"
		"  --rules DIR         also load the rules in DIR (repeatable)\n"
		"  --trust-inputs      as root, use rule/profile/workload/persist files or directories\n"
		"                      another user could have written (refused otherwise)\n"
		"  --no-default-rules  do not load the shipped rules\n"
		"  --interval S        sample counters over S seconds for rates (0: one sample)\n"
		"  --log-window S      kernel log messages of the last S seconds count (default 3600)\n"
		"  --trace S           also trace with eBPF for S seconds: connect() failures per process and\n"
		"                      destination, new connections/s, resets, drops (trace.* facts, rules/trace.yaml)\n"
		"  --format FMT        text (default), json, yaml, prometheus (text exposition)\n"
		"                      or nagios (verdict | perfdata, one line)\n"
		"  --textfile DIR      write DIR/headroom.prom atomically (node_exporter textfile\n"
		"                      collector); prints nothing else unless --format is given\n"
		"  -q, --quiet         no progress line\n"
		"  --state-dir DIR     headroom's journals, for the values it applied that changed since (/var/lib/headroom)\n"
		"  --netns NAME        audit the 'ip netns' namespace NAME (/run/netns/NAME; repeatable)\n"
		"  --pid PID           audit the network namespace of process PID (repeatable)\n"
		"  --all-netns         audit every network namespace on the host, one section each, worst first\n"
		"                      (prometheus, --textfile: one exposition, series labelled netns;\n"
		"                      nagios: the host line, perfdata as 'NS::label')\n"
		"Exit: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (probe unusable, rules failed to load);\n"
		"      with several namespaces, the worst one's (CRITICAL, UNKNOWN, WARNING, OK).\n",
	.exec = audit_exec,
};
