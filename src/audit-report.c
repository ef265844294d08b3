/* audit-report.c: one evaluation's report: the findings sorted worst
 * first, the verdict sentence, the counts and exit status, and what the
 * rules declare for the outputs (present:): the tables of the text report
 * and the Nagios perfdata. No rule id is known here: a rule that declares
 * a headline, a table or perfdata takes part by itself.
 * Owns: hr_audit_report. May call: rules (evaluate, presentation), severity. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "severity.h"

static const char *const status_names[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};

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
		v[i].rank = hr_sev_rank(json_string_value(json_object_get(fi, "severity")));
		v[i].index = i;
	}
	qsort(v, n, sizeof(*v), cmp_ranked);
	for (i = 0; i < n; i++)
		json_array_append(out, v[i].finding);
	free(v);
	return out;
}


/* Moves each finding's "row" into the table its rule declares: the tables
 * in the order of the first rule declaring each id, rows worst first (the
 * findings' order). [{id, title, rows, columns[{header, align}], cells[
 * {rule, subject, cells[]}]}] (owned). */
static json_t *take_tables(const hr_ruleset *rs, json_t *findings)
{
	json_t *out = json_array(), *fi, *t;
	size_t i, k, nr = hr_ruleset_count(rs);
	struct hr_rule_table def;

	for (i = 0; i < nr; i++) {
		bool seen = false;

		if (!hr_ruleset_table(rs, i, &def))
			continue;
		json_array_foreach(out, k, t)
			seen |= !strcmp(json_string_value(json_object_get(t, "id")), def.id);
		if (!seen) {
			json_t *cols = json_array();

			for (k = 0; k < def.ncols; k++)
				json_array_append_new(cols, json_pack("{s:s,s:s}", "header", def.headers[k], "align",
								      def.right[k] ? "right" : "left"));
			json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:o,s:[]}", "id", def.id, "title",
							     def.title, "rows", def.rows, "columns", cols, "cells"));
		}
	}
	json_array_foreach(findings, i, fi) {
		json_t *row = json_object_get(fi, "row");
		long ri = hr_ruleset_index(rs, json_string_value(json_object_get(fi, "rule")));

		if (!row || ri < 0 || !hr_ruleset_table(rs, (size_t)ri, &def))
			continue;
		json_array_foreach(out, k, t)
			if (!strcmp(json_string_value(json_object_get(t, "id")), def.id) &&
			    json_array_size(json_object_get(t, "columns")) == json_array_size(row)) {
				json_array_append_new(json_object_get(t, "cells"),
						      json_pack("{s:O,s:O,s:O}", "rule", json_object_get(fi, "rule"),
								"subject", json_object_get(fi, "subject"), "cells", row));
				break;
			}
		json_object_del(fi, "row");
	}
	/* A table without rows is not shown. */
	for (k = json_array_size(out); k-- > 0;)
		if (!json_array_size(json_object_get(json_array_get(out, k), "cells")))
			json_array_remove(out, k);
	return out;
}

/* The perfdata the rules declare: per entry the worst value of its metric
 * over the rule's findings, in rule order; an entry no finding has a
 * number for is left out. [{label, value, unit}] (owned). */
static json_t *perfdata(const hr_ruleset *rs, const json_t *findings)
{
	json_t *out = json_array(), *fi;
	size_t i, j, k, nr = hr_ruleset_count(rs);

	for (i = 0; i < nr; i++) {
		const struct hr_rule_perf *pv;
		size_t np = hr_ruleset_perfdata(rs, i, &pv);
		const char *id = hr_ruleset_rule_id(rs, i);

		for (j = 0; j < np; j++) {
			json_t *wv = NULL;
			double worst = 0;

			json_array_foreach(findings, k, fi) {
				json_t *v = json_object_get(json_object_get(fi, "metrics"), pv[j].metric);
				const char *rule = json_string_value(json_object_get(fi, "rule"));
				double d;

				if (!rule || strcmp(rule, id) || !json_is_number(v))
					continue;
				d = json_number_value(v);
				if (!wv || (pv[j].worst_is_min ? d < worst : d > worst)) {
					worst = d;
					wv = v;
				}
			}
			if (wv)
				json_array_append_new(out, json_pack("{s:s,s:O,s:s}", "label", pv[j].label, "value", wv,
								     "unit", pv[j].unit));
		}
	}
	return out;
}

/* "SOURCE: MESSAGE" of the first input error, "; N more" for the others. */
static void input_head(char *buf, size_t n, const json_t *inputs)
{
	const json_t *e = json_array_get(inputs, 0);
	size_t more = json_array_size(inputs) - 1;
	int k;

	k = snprintf(buf, n, "input refused or malformed: %s: %s",
		     json_string_value(json_object_get(e, "source")) ?: "?",
		     json_string_value(json_object_get(e, "message")) ?: "?");
	if (more && k >= 0 && (size_t)k < n)
		snprintf(buf + k, n - (size_t)k, "; %zu more input%s", more, more == 1 ? "" : "s");
}

/* The one-line verdict for the troubled operator, from the worst finding;
 * with no critical finding, an input refused or malformed comes first (the
 * rules did not see the whole system). */
static char *make_verdict(const json_t *findings, int status, const size_t *counts, size_t nerrors,
			  size_t nrules, size_t nnot, const json_t *inputs)
{
	const json_t *top = json_array_get(findings, 0);
	const char *rule = json_string_value(json_object_get(top, "rule"));
	const char *subject = json_string_value(json_object_get(top, "subject"));
	const char *title = json_string_value(json_object_get(top, "title"));
	const char *msg = json_string_value(json_object_get(top, "message"));
	char head[1024], more[128] = "";
	size_t others;

	if (status == HR_AUDIT_UNKNOWN && !counts[0]) {
		if (nrules && json_array_size(inputs))
			input_head(head, sizeof(head), inputs);
		else
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
		const char *headline = json_string_value(json_object_get(top, "headline"));

		/* The rule's own sentence when it declares one (present.headline). */
		if (headline) {
			snprintf(head, sizeof(head), "%s", headline);
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

		if (json_array_size(inputs) && status == HR_AUDIT_CRITICAL)
			snprintf(tail, sizeof(tail), "; %zu input%s refused or malformed", json_array_size(inputs),
				 json_array_size(inputs) == 1 ? "" : "s");
		if (nerrors)
			snprintf(tail + strlen(tail), sizeof(tail) - strlen(tail), "; %zu rule file error%s", nerrors,
				 nerrors == 1 ? "" : "s");
		if (nnot && status != HR_AUDIT_OK)
			snprintf(tail + strlen(tail), sizeof(tail) - strlen(tail), "; %zu not evaluated", nnot);
		else if (nnot)
			snprintf(tail + strlen(tail), sizeof(tail) - strlen(tail), ", %zu not evaluated", nnot);
		if (asprintf(&out, "%s: %s%s%s", status_names[status], head, more, tail) < 0)
			return NULL;
		return out;
	}
}

static json_t *diags_json(const struct hr_diags *d, size_t *nerrors)
{
	*nerrors = hr_diags_errors(d);
	return hr_diags_json(d);
}

/* With hold, what the findings held do not tell: the counts of every
 * subject of every rule (cnt, as the findings would give them), and each
 * table's "total" rows (a rule's subjects of every severity have a row). */
static void held_counts(const hr_ruleset *rs, const json_t *rules, json_t *tables, size_t *cnt)
{
	static const char *const sev[] = {"critical", "warning", "info", "ok"};
	json_t *t, *r;
	size_t i, k, s;

	json_array_foreach(rules, i, r)
		for (s = 0; s < 4; s++)
			cnt[s] += (size_t)json_integer_value(json_object_get(r, sev[s]));
	json_array_foreach(tables, k, t) {
		json_int_t total = 0;

		json_array_foreach(rules, i, r) {
			long ri = hr_ruleset_index(rs, json_string_value(json_object_get(r, "rule")));
			struct hr_rule_table def;

			if (ri >= 0 && hr_ruleset_table(rs, (size_t)ri, &def) &&
			    !strcmp(def.id, json_string_value(json_object_get(t, "id"))))
				for (s = 0; s < 4; s++)
					total += json_integer_value(json_object_get(r, sev[s]));
		}
		json_object_set_new(t, "total", json_integer(total));
	}
}

int hr_audit_report(const hr_ruleset *rs, const struct hr_diags *d, const hr_facts *f, size_t hold,
		    json_t **report, struct hr_err *err)
{
	json_t *eval = NULL, *findings, *sorted, *summary, *errors, *nots, *ne, *tables, *inputs;
	size_t cnt[HR_SEV_N] = {0}, i, nerrors, nrules, nfailed = 0;
	int status, ret = 0;
	char *verdict;

	*report = NULL;
	nrules = hr_ruleset_count(rs);
	if (nrules) {
		struct hr_eval_opts eo = {.hold = hold};

		eval = hr_ruleset_evaluate_opts(rs, f, &eo);
	}
	findings = eval ? json_object_get(eval, "findings") : NULL;
	sorted = findings ? sort_findings(findings) : json_array();
	tables = take_tables(rs, sorted);
	if (hold)
		held_counts(rs, json_object_get(eval, "summary"), tables, cnt);
	for (i = 0; !hold && i < json_array_size(sorted); i++) {
		int rank = hr_sev_rank(
			json_string_value(json_object_get(json_array_get(sorted, i), "severity")));

		if (rank < HR_SEV_N)
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
	/* An input the rules need, refused or malformed (a symlinked
	 * proc/net/tcp, a sysctl that is not a number): what they did not
	 * see may be the problem, so no OK or WARNING either. */
	inputs = hr_facts_input_errors_json(f);
	if (!inputs)
		inputs = json_array();
	if (cnt[0])
		status = HR_AUDIT_CRITICAL;
	else if (nerrors || nfailed || !nrules || json_array_size(inputs))
		status = HR_AUDIT_UNKNOWN;
	else if (cnt[1])
		status = HR_AUDIT_WARNING;
	else
		status = HR_AUDIT_OK;
	verdict = make_verdict(sorted, status, cnt, nerrors, nrules, json_array_size(nots), inputs);

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
	json_object_set_new(summary, "input_errors", inputs);
	json_object_set_new(summary, "perfdata", perfdata(rs, sorted));
	/* When the report was made and what its predictions count from (clock.h). */
	json_object_set_new(summary, "clock", hr_facts_clock_json(f));
	free(verdict);

	*report = json_object();
	json_object_set_new(*report, "findings", sorted);
	if (json_array_size(tables))
		json_object_set_new(*report, "tables", tables);
	else
		json_decref(tables);
	json_object_set_new(*report, "summary", summary);
	if (!nrules) {
		hr_err_set(err, -ENOENT, "no rules loaded%s%s", d->n ? ": " : "",
			   d->n ? d->v[0].msg : "");
		ret = -ENOENT;
	}
	json_decref(eval);
	return ret;
}

