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
#include "lazy.h"
#include "severity.h"

/* Findings (and rows of a table) a lazy report holds made: the worst,
 * for the verdict and what else reads the first. */
#define LAZY_HELD 50

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


/* The tables the rules declare, without rows: [{id, title, rows,
 * columns, cells: []}] in the order of the first rule declaring each. */
static json_t *table_heads(const hr_ruleset *rs)
{
	json_t *out = json_array(), *t;
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
	return out;
}

/* Moves each finding's "row" into the table its rule declares: the tables
 * in the order of the first rule declaring each id, rows worst first (the
 * findings' order). [{id, title, rows, columns[{header, align}], cells[
 * {rule, subject, cells[]}]}] (owned). */
static json_t *take_tables(const hr_ruleset *rs, json_t *findings)
{
	json_t *out = table_heads(rs), *fi, *t;
	size_t i, k;
	struct hr_rule_table def;

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

/* Keeps in *wv (a reference) and *worst the worse of the value so far and
 * v (a metric of a finding; not a number: ignored), for perfdata entry pv. */
static void perf_worse(const struct hr_rule_perf *pv, json_t *v, json_t **wv, double *worst)
{
	double d;

	if (!json_is_number(v))
		return;
	d = json_number_value(v);
	if (!*wv || (pv->worst_is_min ? d < *worst : d > *worst)) {
		*worst = d;
		json_decref(*wv);
		*wv = json_incref(v);
	}
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
				const char *rule = json_string_value(json_object_get(fi, "rule"));

				if (rule && !strcmp(rule, id))
					perf_worse(&pv[j], json_object_get(json_object_get(fi, "metrics"), pv[j].metric),
						   &wv, &worst);
			}
			if (wv)
				json_array_append_new(out, json_pack("{s:s,s:o,s:s}", "label", pv[j].label, "value", wv,
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

/* ---- findings made as the report is written (hr_audit_report's lazy) ----
 * At 65,536 destinations a finding per destination is ~3.5 KiB of JSON
 * objects; the report holds instead each finding's rule, subject and
 * severity (12 bytes), the facts and rules to make it again, and the
 * findings the evaluation made (at most hold per rule and severity). */
struct lazy_report {
	int nref;               /* the lazy arrays (and the maker) holding it */
	hr_rules_finder *fd;
	hr_facts *f;            /* a reference (hr_facts_ref) */
	struct hr_eval_ref *v;  /* every finding, worst first */
	size_t n;
	json_t **made;          /* per finding: the one the evaluation made (its row taken out), or NULL */
	json_t **rows;          /* per finding made: its row, or NULL */
};

static void lazy_report_unref(void *p)
{
	struct lazy_report *lr = p;
	size_t i;

	if (!lr || --lr->nref > 0)
		return;
	for (i = 0; i < lr->n; i++) {
		json_decref(lr->made[i]);
		json_decref(lr->rows[i]);
	}
	free(lr->made);
	free(lr->rows);
	free(lr->v);
	hr_rules_finder_free(lr->fd);
	hr_facts_free(lr->f);
	free(lr);
}

/* Finding p (owned; a finding made again still has its row). */
static json_t *lazy_get(const struct lazy_report *lr, size_t p)
{
	if (lr->made[p])
		return json_incref(lr->made[p]);
	return hr_rules_finder_get(lr->fd, lr->v[p].rule, lr->v[p].item);
}

/* Item p of "findings". */
static json_t *lazy_finding(const void *ctx, size_t p)
{
	const struct lazy_report *lr = ctx;
	json_t *fi = lazy_get(lr, p);

	if (fi && !lr->made[p])
		json_object_del(fi, "row");
	return fi;
}

/* One table's rows: the positions of the findings of the rules declaring it. */
struct lazy_table {
	struct lazy_report *lr;
	size_t *pos, n;
};

static void lazy_table_free(void *p)
{
	struct lazy_table *t = p;

	if (!t)
		return;
	lazy_report_unref(t->lr);
	free(t->pos);
	free(t);
}

/* Item q of a table's "cells": {rule, subject, cells}, as take_tables makes it. */
static json_t *lazy_cell(const void *ctx, size_t q)
{
	const struct lazy_table *t = ctx;
	size_t p = t->pos[q];
	json_t *fi = lazy_get(t->lr, p), *row, *c;

	if (!fi)
		return NULL;
	row = t->lr->made[p] ? t->lr->rows[p] : json_object_get(fi, "row");
	c = json_pack("{s:O,s:O,s:O}", "rule", json_object_get(fi, "rule"), "subject", json_object_get(fi, "subject"),
		      "cells", row);
	json_decref(fi);
	return c;
}

/* Fills the tables' cells with lazy arrays over lr (what take_tables does
 * with made findings). 0 or -ENOMEM. */
static int lazy_tables(const hr_ruleset *rs, struct lazy_report *lr, json_t *tables)
{
	struct hr_rule_table def;
	json_t *t;
	size_t k, p;

	json_array_foreach(tables, k, t) {
		struct lazy_table *lt = calloc(1, sizeof(*lt));
		const char *id = json_string_value(json_object_get(t, "id"));

		if (!lt || !(lt->pos = malloc((lr->n + 1) * sizeof(*lt->pos)))) {
			free(lt);
			return -ENOMEM;
		}
		for (p = 0; p < lr->n; p++)
			if (hr_ruleset_table(rs, lr->v[p].rule, &def) && !strcmp(def.id, id))
				lt->pos[lt->n++] = p;
		lt->lr = lr;
		lr->nref++;
		json_object_set_new(t, "cells", hr_lazy_array(lt->n, LAZY_HELD, lazy_cell, lt, lazy_table_free));
	}
	for (k = json_array_size(tables); k-- > 0;)
		if (!hr_lazy_size(json_object_get(json_array_get(tables, k), "cells")))
			json_array_remove(tables, k);
	return 0;
}

/* perfdata() over every finding of lr (each made again once). */
static json_t *lazy_perfdata(const hr_ruleset *rs, const struct lazy_report *lr)
{
	json_t *out = json_array();
	size_t i, j, p, nr = hr_ruleset_count(rs);

	for (i = 0; i < nr; i++) {
		const struct hr_rule_perf *pv;
		size_t np = hr_ruleset_perfdata(rs, i, &pv);
		json_t **wv = np ? calloc(np, sizeof(*wv)) : NULL;
		double *worst = np ? calloc(np, sizeof(*worst)) : NULL;

		if (np && (!wv || !worst)) {
			free(wv);
			free(worst);
			json_decref(out);
			return NULL;
		}
		for (p = 0; np && p < lr->n; p++) {
			json_t *fi;

			if (lr->v[p].rule != i || !(fi = lazy_get(lr, p)))
				continue;
			for (j = 0; j < np; j++)
				perf_worse(&pv[j], json_object_get(json_object_get(fi, "metrics"), pv[j].metric), &wv[j],
					   &worst[j]);
			json_decref(fi);
		}
		for (j = 0; j < np; j++)
			if (wv[j]) {
				json_array_append_new(out, json_pack("{s:s,s:o,s:s}", "label", pv[j].label, "value", wv[j],
								     "unit", pv[j].unit));
			}
		free(wv);
		free(worst);
	}
	return out;
}

/* The findings of an evaluation with hold and refs as lazy arrays: the
 * sorted findings (*sorted) and the tables' cells (in tables); f is
 * referenced, rs borrowed (it must outlive the report); refs->v is taken.
 * 0 or -ENOMEM (nothing made then). */
static int lazy_parts(const hr_ruleset *rs, hr_facts *f, const json_t *made, struct hr_eval_refs *refs,
		      json_t *tables, json_t **sorted, json_t **perf)
{
	struct lazy_report *lr = calloc(1, sizeof(*lr));
	/* finding: the one made, or NULL; index: in refs (evaluation order). */
	struct ranked *rp = calloc(refs->n + 1, sizeof(*rp));
	size_t i, k = 0;

	*sorted = NULL;
	if (!lr || !rp || !(lr->made = calloc(refs->n + 1, sizeof(json_t *))) ||
	    !(lr->rows = calloc(refs->n + 1, sizeof(json_t *))) || !(lr->v = malloc((refs->n + 1) * sizeof(*lr->v))) ||
	    !(lr->fd = hr_rules_finder_new(rs, f))) {
		if (lr) {
			free(lr->made);
			free(lr->rows);
			free(lr->v);
		}
		free(lr);
		free(rp);
		return -ENOMEM;
	}
	lr->nref = 1;
	lr->f = hr_facts_ref(f);
	lr->n = refs->n;
	for (i = 0; i < refs->n; i++) {
		if (refs->v[i].made)
			rp[i].finding = json_array_get(made, k++);
		rp[i].rank = hr_sev_rank(hr_sev_names[refs->v[i].sev]);
		rp[i].index = i;
	}
	qsort(rp, refs->n, sizeof(*rp), cmp_ranked);
	for (i = 0; i < refs->n; i++) {
		json_t *fi = rp[i].finding;

		lr->v[i] = refs->v[rp[i].index];
		if (fi) {
			lr->made[i] = json_incref(fi);
			lr->rows[i] = json_incref(json_object_get(fi, "row"));
			json_object_del(fi, "row");
		}
	}
	free(rp);
	lr->nref++;
	*sorted = hr_lazy_array(lr->n, LAZY_HELD, lazy_finding, lr, lazy_report_unref);
	*perf = lazy_perfdata(rs, lr);
	i = *sorted && *perf && lazy_tables(rs, lr, tables) == 0;
	lazy_report_unref(lr);
	return i ? 0 : -ENOMEM;
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

/* True when the findings are made as the report is written: asked for,
 * with hold, and every finding recorded. */
static bool eo_lazy(bool lazy, size_t hold, const struct hr_eval_refs *refs)
{
	return lazy && hold && !refs->nomem;
}

int hr_audit_report(const hr_ruleset *rs, const struct hr_diags *d, hr_facts *f, size_t hold, bool lazy,
		    json_t **report, struct hr_err *err)
{
	json_t *eval = NULL, *findings, *sorted = NULL, *summary, *errors, *nots, *ne, *tables, *inputs, *perf = NULL;
	struct hr_eval_refs refs = {0};
	size_t cnt[HR_SEV_N] = {0}, i, nerrors, nrules, nfailed = 0;
	int status, ret = 0;
	char *verdict;

	*report = NULL;
	nrules = hr_ruleset_count(rs);
	if (nrules) {
		struct hr_eval_opts eo = {.hold = hold, .refs = lazy && hold ? &refs : NULL};

		eval = hr_ruleset_evaluate_opts(rs, f, &eo);
	}
	findings = eval ? json_object_get(eval, "findings") : NULL;
	if (findings && eo_lazy(lazy, hold, &refs)) {
		/* Every finding, made as the report is written. */
		tables = table_heads(rs);
		if (lazy_parts(rs, f, findings, &refs, tables, &sorted, &perf) < 0) {
			json_decref(sorted);
			json_decref(perf);
			json_decref(tables);
			json_decref(eval);
			free(refs.v);
			return -ENOMEM;
		}
		held_counts(rs, json_object_get(eval, "summary"), NULL, cnt);
	} else {
		sorted = findings ? sort_findings(findings) : json_array();
		tables = take_tables(rs, sorted);
		if (hold)
			held_counts(rs, json_object_get(eval, "summary"), tables, cnt);
	}
	free(refs.v);
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
	json_object_set_new(summary, "perfdata", perf ? perf : perfdata(rs, sorted));
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

