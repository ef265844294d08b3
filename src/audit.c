/* audit.c: orchestration of an audit: facts in, one report tree out. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "fmt.h"
#include "probe.h"
#include "rules.h"
#include "workload.h"

static const char *const severities[] = {"critical", "warning", "info", "ok"};
static const char *const status_names[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};

int hr_audit_severity_rank(const char *severity)
{
	size_t i;

	for (i = 0; severity && i < HR_ARRAY_SIZE(severities); i++)
		if (!strcmp(severity, severities[i]))
			return (int)i;
	return (int)HR_ARRAY_SIZE(severities);
}

/* Counts whitespace-separated fields of a value and whether all are integers. */
static int count_fields(const char *s, bool *all_int)
{
	int n = 0;

	*all_int = true;
	while (*s) {
		char *end;

		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		strtoll(s, &end, 10);
		if (end == s || (*end && *end != ' ' && *end != '\t')) {
			*all_int = false;
			while (*s && *s != ' ' && *s != '\t')
				s++;
		} else {
			s = end;
		}
		n++;
	}
	return n;
}

int hr_audit_assume(hr_facts *f, const char *kv, struct hr_err *err)
{
	const char *eq = strchr(kv, '=');
	char key[256];
	struct hr_value v;
	char *val;
	bool all_int;
	int r, n;

	if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof(key)) {
		hr_err_set(err, -EINVAL, "--assume '%s': want KEY=VALUE, e.g. net.ipv4.tcp_tw_reuse=1", kv);
		return -EINVAL;
	}
	memcpy(key, kv, (size_t)(eq - kv));
	key[eq - kv] = '\0';
	/* Accept the /proc/sys spelling too: net/ipv4/tcp_tw_reuse. */
	for (char *p = key; *p; p++)
		if (*p == '/')
			*p = '.';
	if (strncmp(key, "net.", 4) && strncmp(key, "kernel.", 7) && strncmp(key, "vm.", 3)) {
		hr_err_set(err, -EINVAL, "--assume %s: only sysctls (net.*, kernel.*, vm.*) can be assumed", key);
		return -EINVAL;
	}
	r = hr_facts_get(f, key, -1, &v);
	if (r == -EDOM) /* a vector: look at its first field for presence */
		r = hr_facts_get(f, key, 0, &v);
	if (r < 0 || v.type == HR_V_MISSING) {
		hr_err_set(err, -ENOENT, "--assume %s: no such sysctl in the probed facts%s%s", key,
			   r == 0 && v.missing ? " (" : "", r == 0 && v.missing ? v.missing : "");
		if (r == 0 && v.missing)
			strncat(err->msg, ")", sizeof(err->msg) - strlen(err->msg) - 1);
		return -ENOENT;
	}
	val = hr_ws_normalise(eq + 1);
	if (!val)
		return -ENOMEM;
	n = count_fields(val, &all_int);
	if (v.type == HR_V_NUM && v.nfields >= 1 && (n != v.nfields || !all_int)) {
		hr_err_set(err, -EINVAL, "--assume %s=%s: want %d whole number%s like the current '%s'", key,
			   val, v.nfields, v.nfields == 1 ? "" : "s", v.str ? v.str : "value");
		free(val);
		return -EINVAL;
	}
	r = hr_facts_set_sysctl(f, key, val, "--assume");
	free(val);
	return r;
}

/* One finding with its position, for a stable sort by severity. */
struct ranked {
	json_t *finding;
	int rank;
	size_t index;
};

static int cmp_ranked(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank - y->rank;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Returns a new array of the findings sorted by severity, rule order kept. */
static json_t *sort_findings(json_t *findings)
{
	size_t n = json_array_size(findings), i;
	struct ranked *v = calloc(n ? n : 1, sizeof(*v));
	json_t *out = json_array();

	if (!v)
		return json_incref(findings);
	for (i = 0; i < n; i++) {
		json_t *fi = json_array_get(findings, i);

		v[i].finding = fi;
		v[i].rank = hr_audit_severity_rank(json_string_value(json_object_get(fi, "severity")));
		v[i].index = i;
	}
	qsort(v, n, sizeof(*v), cmp_ranked);
	for (i = 0; i < n; i++)
		json_array_append(out, v[i].finding);
	free(v);
	return out;
}

static double metric(const json_t *finding, const char *name)
{
	json_t *m = json_object_get(json_object_get(finding, "metrics"), name);

	return json_is_number(m) ? json_number_value(m) : NAN;
}

/* The one-line verdict for the troubled operator, from the worst finding. */
static char *make_verdict(const json_t *findings, int status, const size_t *counts, size_t nerrors,
			  size_t nrules, size_t nnot)
{
	const json_t *top = json_array_get(findings, 0);
	const char *rule = json_string_value(json_object_get(top, "rule"));
	const char *subject = json_string_value(json_object_get(top, "subject"));
	const char *title = json_string_value(json_object_get(top, "title"));
	const char *msg = json_string_value(json_object_get(top, "message"));
	char head[768], more[128] = "", a[64], b[64], c[64], d[64];
	size_t others;

	if (status == HR_AUDIT_UNKNOWN && !counts[0]) {
		snprintf(head, sizeof(head), "%s",
			 !nrules    ? "no rules could be loaded: nothing was checked"
			 : nerrors ? "some rule files failed to load: the audit is incomplete"
				   : "some rules failed while evaluating (see not evaluated): the audit is incomplete");
		if (counts[1])
			snprintf(more, sizeof(more), "; %zu warning%s among the rest", counts[1],
				 counts[1] == 1 ? "" : "s");
	} else if (status == HR_AUDIT_OK) {
		snprintf(head, sizeof(head), "no problems found in %zu check%s", counts[0] + counts[1] + counts[2] + counts[3],
			 counts[0] + counts[1] + counts[2] + counts[3] == 1 ? "" : "s");
		if (counts[2])
			snprintf(more, sizeof(more), " (%zu note%s)", counts[2], counts[2] == 1 ? "" : "s");
	} else {
		double tte = metric(top, "seconds_to_exhaustion");

		if (rule && !strcmp(rule, "ports.timewait-exhaustion") && subject) {
			double rate = metric(top, "rate_per_s"), need = metric(top, "ports_needed");
			double usable = metric(top, "ports_usable");

			hr_fmt_num(b, sizeof(b), round(rate * 10) / 10, true);
			hr_fmt_num(c, sizeof(c), round(need), true);
			hr_fmt_num(d, sizeof(d), usable, true);
			if (isfinite(tte))
				snprintf(head, sizeof(head),
					 "connections to %s run out of local ports in %s (%s new connections/s, %s ports needed, %s usable)",
					 subject, hr_fmt_duration(a, sizeof(a), tte), b, c, d);
			else
				snprintf(head, sizeof(head),
					 "connections to %s need %s local ports of %s usable (%s new connections/s)",
					 subject, c, d, b);
		} else if (subject) {
			snprintf(head, sizeof(head), "%s: %s", subject, title ? title : msg ? msg : rule);
		} else {
			snprintf(head, sizeof(head), "%s", msg ? msg : title ? title : rule ? rule : "?");
		}
		/* The other problems besides the headline one. */
		others = counts[0] + counts[1] - 1;
		if (others) {
			size_t oc = counts[0] - (status == HR_AUDIT_CRITICAL ? 1 : 0);
			size_t ow = counts[1] - (status == HR_AUDIT_WARNING ? 1 : 0);

			if (oc && ow)
				snprintf(more, sizeof(more), "; %zu more critical, %zu warning%s", oc, ow,
					 ow == 1 ? "" : "s");
			else if (oc)
				snprintf(more, sizeof(more), "; %zu more critical", oc);
			else
				snprintf(more, sizeof(more), "; %zu %swarning%s", ow,
					 status == HR_AUDIT_WARNING ? "more " : "", ow == 1 ? "" : "s");
		}
	}
	{
		char *out;
		char tail[160] = "";

		if (nerrors)
			snprintf(tail, sizeof(tail), "; %zu rule file error%s", nerrors, nerrors == 1 ? "" : "s");
		if (nnot && status != HR_AUDIT_OK)
			snprintf(tail + strlen(tail), sizeof(tail) - strlen(tail), "; %zu not evaluated", nnot);
		else if (nnot)
			snprintf(tail + strlen(tail), sizeof(tail) - strlen(tail), ", %zu not evaluated", nnot);
		if (asprintf(&out, "%s: %s%s%s", status_names[status], head, more, tail) < 0)
			return NULL;
		return out;
	}
}

/* The rule-file problems for summary.rule_errors (diag.h's one shape). */
static json_t *diags_json(const struct hr_diags *d, size_t *nerrors)
{
	*nerrors = hr_diags_errors(d);
	return hr_diags_json(d);
}

/* Loads every rule directory (NULL: the shipped one) into rs; problems go to d. */
static void load_rules(hr_ruleset *rs, const char *const *rule_dirs, struct hr_diags *d)
{
	static const char *defaults[2];
	size_t i;

	if (!rule_dirs) {
		defaults[0] = hr_default_rules_dir();
		rule_dirs = defaults;
	}
	for (i = 0; rule_dirs[i]; i++) {
		size_t before = d->n;
		int r = hr_ruleset_load_dir(rs, rule_dirs[i], d);

		/* The engine names most problems itself; never leave one silent. */
		if (r < 0 && r != -EBADMSG && d->n == before)
			hr_diags_add(d, rule_dirs[i], 0, 0, false, "cannot read rules directory: %s",
				     hr_strerror_about(r, HR_ABOUT_DIR));
	}
	hr_ruleset_check(rs, d);
}

/* Evaluates loaded rules over f into a report (see hr_audit_facts). */
static int eval_report(const hr_ruleset *rs, const struct hr_diags *d, hr_facts *f, json_t **report,
		       struct hr_err *err)
{
	json_t *eval = NULL, *findings, *sorted, *summary, *errors, *nots, *ne;
	size_t cnt[4] = {0}, i, nerrors, nrules, nfailed = 0;
	int status, ret = 0;
	char *verdict;

	*report = NULL;
	nrules = hr_ruleset_count(rs);
	if (nrules)
		eval = hr_ruleset_evaluate(rs, f);
	findings = eval ? json_object_get(eval, "findings") : NULL;
	sorted = findings ? sort_findings(findings) : json_array();
	for (i = 0; i < json_array_size(sorted); i++) {
		int rank = hr_audit_severity_rank(
			json_string_value(json_object_get(json_array_get(sorted, i), "severity")));

		if (rank < 4)
			cnt[rank]++;
	}
	nots = eval && json_is_array(json_object_get(eval, "not_evaluated"))
		       ? json_incref(json_object_get(eval, "not_evaluated"))
		       : json_array();
	errors = diags_json(d, &nerrors);
	/* A rule that failed while evaluating (division by zero, a type error)
	 * could not check what it checks: UNKNOWN, as a load error is. A fact
	 * missing on this kernel is not a failure. */
	json_array_foreach(nots, i, ne)
		if (json_is_true(json_object_get(ne, "error")))
			nfailed++;
	if (cnt[0])
		status = HR_AUDIT_CRITICAL;
	else if (nerrors || nfailed || !nrules)
		status = HR_AUDIT_UNKNOWN;
	else if (cnt[1])
		status = HR_AUDIT_WARNING;
	else
		status = HR_AUDIT_OK;
	verdict = make_verdict(sorted, status, cnt, nerrors, nrules, json_array_size(nots));

	/* verdict and status first: they are what a reader looks for. */
	summary = json_object();
	json_object_set_new(summary, "verdict", json_string(verdict ? verdict : status_names[status]));
	json_object_set_new(summary, "status", json_string(status_names[status]));
	json_object_set_new(summary, "exit_code", json_integer(status));
	json_object_set_new(summary, "counts",
			    json_pack("{s:I,s:I,s:I,s:I,s:I}", "critical", (json_int_t)cnt[0], "warning",
				      (json_int_t)cnt[1], "info", (json_int_t)cnt[2], "ok", (json_int_t)cnt[3],
				      "not_evaluated", (json_int_t)json_array_size(nots)));
	json_object_set_new(summary, "rules_loaded", json_integer((json_int_t)nrules));
	json_object_set_new(summary, "not_evaluated", nots);
	json_object_set_new(summary, "rule_errors", errors);
	free(verdict);

	*report = json_object();
	json_object_set_new(*report, "findings", sorted);
	json_object_set_new(*report, "summary", summary);
	if (!nrules) {
		hr_err_set(err, -ENOENT, "no rules loaded%s%s", d->n ? ": " : "",
			   d->n ? d->v[0].msg : "");
		ret = -ENOENT;
	}
	json_decref(eval);
	return ret;
}

int hr_audit_facts(hr_facts *f, const char *const *rule_dirs, json_t **report, struct hr_err *err)
{
	hr_ruleset *rs = hr_ruleset_new();
	struct hr_diags d = {0};
	int ret;

	*report = NULL;
	if (!rs)
		return -ENOMEM;
	load_rules(rs, rule_dirs, &d);
	ret = eval_report(rs, &d, f, report, err);
	hr_diags_clear(&d);
	hr_ruleset_free(rs);
	return ret;
}

/* The rule directories of the options, NULL-terminated (owned array, borrowed strings). */
static const char **opts_rule_dirs(const struct hr_audit_opts *o)
{
	const char **dirs = calloc(o->nrule_dirs + 2, sizeof(*dirs));
	size_t i, nd = 0;

	if (!dirs)
		return NULL;
	if (!o->no_default_rules)
		dirs[nd++] = hr_default_rules_dir();
	for (i = 0; i < o->nrule_dirs; i++)
		dirs[nd++] = o->rule_dirs[i];
	dirs[nd] = NULL;
	return dirs;
}

/* What comes after the probe: a child's global keys, the workload and
 * --assume into f; the assumptions also into assumed. 0 or -errno. */
static int add_declared(const struct hr_audit_opts *o, hr_facts *f, json_t *assumed, struct hr_err *err)
{
	size_t i;
	int r;

	if (o->globals)
		hr_netns_copy_globals(f, o->globals);
	if (o->workload) {
		r = hr_workload_load(f, o->workload, err);
		if (r < 0)
			return r;
	}
	for (i = 0; i < o->nassume; i++) {
		const char *eq = strchr(o->assume[i], '=');
		char key[256];

		r = hr_audit_assume(f, o->assume[i], err);
		if (r < 0)
			return r;
		snprintf(key, sizeof(key), "%.*s", (int)(eq - o->assume[i]), o->assume[i]);
		json_object_set_new(assumed, key, json_string(eq + 1));
	}
	return 0;
}

/* Adds assumed, workload and facts to a report made by eval_report. */
static void finish_report(const struct hr_audit_opts *o, json_t *report, json_t *assumed, const hr_facts *f)
{
	json_t *s = json_object_get(report, "summary");

	json_object_set(s, "assumed", assumed);
	json_object_set_new(s, "workload", o->workload ? json_string(o->workload) : json_null());
	json_object_set_new(report, "facts", hr_facts_to_json(f));
}

int hr_audit_run(const struct hr_audit_opts *o, json_t **report, struct hr_err *err)
{
	const char **dirs = opts_rule_dirs(o);
	hr_facts *f = hr_facts_new();
	json_t *assumed = json_object();
	int r;

	*report = NULL;
	if (!f || !dirs) {
		r = -ENOMEM;
		goto out;
	}
	{
		struct hr_probe_opts po = {.root = o->root, .interval_s = o->interval_s,
					   .progress = o->progress, .progress_ud = o->progress_ud,
					   .log_window_s = o->log_window_s};

		r = hr_probe_run(f, &po, err);
	}
	if (r == 0)
		r = add_declared(o, f, assumed, err);
	if (r < 0)
		goto out;
	/* No rules at all is reported in the summary (UNKNOWN), not as a failure. */
	hr_audit_facts(f, dirs, report, NULL);
	r = 0;
	if (*report)
		finish_report(o, *report, assumed, f);
	else
		r = -ENOMEM;
out:
	json_decref(assumed);
	free(dirs);
	hr_facts_free(f);
	return r;
}

int hr_audit_status_rank(int code)
{
	switch (code) {
	case HR_AUDIT_CRITICAL: return 0;
	case HR_AUDIT_UNKNOWN: return 1;
	case HR_AUDIT_WARNING: return 2;
	case HR_AUDIT_OK: return 3;
	default: return 1;
	}
}

/* A namespace section for a namespace that could not be audited. */
static json_t *failed_section(json_t *identity, const char *what, const char *msg)
{
	char *verdict = NULL;
	json_t *s;

	if (asprintf(&verdict, "UNKNOWN: %s: %s", what, msg) < 0)
		verdict = NULL;
	s = json_pack("{s:o, s:[], s:{s:s, s:s, s:i, s:s}}", "netns", identity, "findings", "summary", "verdict",
		      verdict ? verdict : "UNKNOWN", "status", "UNKNOWN", "exit_code", HR_AUDIT_UNKNOWN, "error",
		      msg);
	free(verdict);
	return s;
}

/* One section with its rank, for a stable sort worst first. */
struct section {
	json_t *s;
	int rank;
	size_t index;
};

/* One namespace's section (owned) from its probed facts: declared load,
 * assumptions and the already loaded rules. */
static json_t *ns_section(const struct hr_audit_opts *o, const hr_ruleset *rs, const struct hr_diags *d,
			  const struct hr_netns *ns, struct hr_netns_probe *st)
{
	json_t *identity = hr_netns_identity(ns), *assumed, *rep = NULL, *sec;
	struct hr_err e = {0};
	int r;

	if (st->error[0])
		return failed_section(identity, st->entered ? "probe failed" : "cannot enter the namespace", st->error);
	assumed = json_object();
	r = add_declared(o, st->f, assumed, &e);
	if (r == 0)
		eval_report(rs, d, st->f, &rep, NULL);
	if (!rep) {
		json_decref(assumed);
		return failed_section(identity, r < 0 ? "audit failed" : "out of memory",
				      e.msg[0] ? e.msg : hr_strerror(r < 0 ? r : -ENOMEM));
	}
	/* Identity first: it is what a reader of the section looks for. */
	sec = json_pack("{s:o}", "netns", identity);
	finish_report(o, rep, assumed, st->f);
	json_object_update(sec, rep);
	json_decref(rep);
	json_decref(assumed);
	return sec;
}

static int cmp_section(const void *a, const void *b)
{
	const struct section *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank - y->rank;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* The host summary over the sorted sections. */
static json_t *host_summary(const struct section *v, size_t n)
{
	size_t cnt[4] = {0}, i;
	int worst = HR_AUDIT_OK;
	char head[2048] = "", *verdict = NULL;
	json_t *out;

	for (i = 0; i < n; i++) {
		int code = hr_audit_exit_code(v[i].s);

		cnt[code >= 0 && code <= 3 ? code : HR_AUDIT_UNKNOWN]++;
	}
	if (n)
		worst = hr_audit_exit_code(v[0].s);
	if (!n) {
		snprintf(head, sizeof(head), "no network namespaces audited");
		worst = HR_AUDIT_UNKNOWN;
	} else if (worst == HR_AUDIT_OK) {
		snprintf(head, sizeof(head), "no problems found in %zu network namespace%s", n, n == 1 ? "" : "s");
	} else {
		const json_t *id = json_object_get(v[0].s, "netns");
		const json_t *names = json_object_get(id, "names");
		const json_t *p0 = json_array_get(json_object_get(id, "pids"), 0);
		char who[256];

		if (json_array_size(names))
			snprintf(who, sizeof(who), "%s", json_string_value(json_array_get(names, 0)));
		else if (json_is_true(json_object_get(id, "initial")))
			snprintf(who, sizeof(who), "the initial namespace");
		else if (p0)
			snprintf(who, sizeof(who), "the namespace of pid %lld (%s)",
				 (long long)json_integer_value(json_object_get(p0, "pid")),
				 json_string_value(json_object_get(p0, "comm")));
		else
			snprintf(who, sizeof(who), "namespace inode %lld",
				 (long long)json_integer_value(json_object_get(id, "inode")));
		snprintf(head, sizeof(head), "%zu critical, %zu unknown, %zu warning, %zu ok of %zu network namespace%s; worst: %s: %s",
			 cnt[HR_AUDIT_CRITICAL], cnt[HR_AUDIT_UNKNOWN], cnt[HR_AUDIT_WARNING], cnt[HR_AUDIT_OK], n,
			 n == 1 ? "" : "s", who,
			 json_string_value(json_object_get(json_object_get(v[0].s, "summary"), "verdict")));
	}
	if (asprintf(&verdict, "%s: %s", status_names[worst], head) < 0)
		verdict = NULL;
	out = json_pack("{s:s, s:s, s:i, s:I, s:{s:I, s:I, s:I, s:I}}", "verdict", verdict ? verdict : head,
			"status", status_names[worst], "exit_code", worst, "namespaces", (json_int_t)n, "counts",
			"critical", (json_int_t)cnt[HR_AUDIT_CRITICAL], "warning", (json_int_t)cnt[HR_AUDIT_WARNING],
			"unknown", (json_int_t)cnt[HR_AUDIT_UNKNOWN], "ok", (json_int_t)cnt[HR_AUDIT_OK]);
	free(verdict);
	return out;
}

int hr_audit_run_netns(const struct hr_audit_opts *o, const struct hr_netns_list *l, json_t **report,
		       struct hr_err *err)
{
	struct hr_audit_opts so = *o;
	struct hr_probe_opts po = {.interval_s = o->interval_s, .progress = o->progress,
				   .progress_ud = o->progress_ud, .log_window_s = o->log_window_s};
	const char **dirs = opts_rule_dirs(o);
	hr_ruleset *rs = hr_ruleset_new();
	struct hr_diags d = {0};
	struct hr_netns_probe *st = calloc(l->n ? l->n : 1, sizeof(*st));
	struct section *v = calloc(l->n ? l->n : 1, sizeof(*v));
	json_t *globals = NULL, *arr;
	size_t i;
	int r;

	*report = NULL;
	if (!dirs || !rs || !v || !st) {
		r = -ENOMEM;
		hr_err_set(err, r, "out of memory");
		goto out;
	}
	so.root = "";
	load_rules(rs, dirs, &d);
	r = hr_netns_globals(l, &globals, err);
	if (r == 0)
		r = hr_netns_probe_all(l, &po, st, err);
	if (r < 0)
		goto out;
	for (i = 0; i < l->n; i++) {
		so.globals = l->v[i].initial ? NULL : globals;
		v[i].s = ns_section(&so, rs, &d, &l->v[i], &st[i]);
		v[i].rank = hr_audit_status_rank(hr_audit_exit_code(v[i].s));
		v[i].index = i;
	}
	qsort(v, l->n, sizeof(*v), cmp_section);
	arr = json_array();
	for (i = 0; i < l->n; i++)
		json_array_append_new(arr, v[i].s);
	*report = json_object();
	json_object_set_new(*report, "host", host_summary(v, l->n));
	json_object_set_new(*report, "namespaces", arr);
out:
	hr_netns_probe_clear(st, l->n);
	free(st);
	json_decref(globals);
	hr_diags_clear(&d);
	hr_ruleset_free(rs);
	free(dirs);
	free(v);
	return r;
}

int hr_audit_exit_code(const json_t *report)
{
	json_t *c = json_object_get(json_object_get(report, "summary"), "exit_code");

	return json_is_integer(c) ? (int)json_integer_value(c) : HR_AUDIT_UNKNOWN;
}
