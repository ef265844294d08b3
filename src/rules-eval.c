/* rules-eval.c: evaluating rules into findings: one pass per subject
 * (needs, when, lets, severity), message and setting templates, fix effects
 * (the rule re-run over the fix's overlay), the summary, and the public
 * evaluate calls.
 * Owns: hr_ruleset_evaluate/_with/_opts, hr_rules_run_pass and the finding
 * JSON helpers. May call: rules-int.h (overlay and state of
 * rules-overlay.c, item_coll of rules-check.c, ensure_checked and
 * find_derived of rules.c), hr_expr_eval (expr.h), fmt.h (number and
 * duration formats). */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "rules-int.h"

/* Sets a not-evaluated outcome from an error or a missing value. */
static void not_evaluated(struct evst *st, struct outcome *o, const struct hr_xval *v)
{
	o->status = R_NOT_EVALUATED;
	o->error = st->x.failed;
	if (st->x.failed)
		snprintf(o->reason, sizeof(o->reason), "%s", st->x.err);
	else
		snprintf(o->reason, sizeof(o->reason), "%s: %s", v && v->str ? v->str : "?",
			 v && v->why ? v->why : "missing");
}

/* Evaluates a condition: 1 true, 0 false, -1 the outcome is set (not evaluated). */
static int cond(struct evst *st, const hr_expr *e, struct outcome *o)
{
	struct hr_xval v;
	bool t;
	int rc;

	if (hr_expr_eval(e, &st->x, &v) < 0) {
		not_evaluated(st, o, NULL);
		return -1;
	}
	rc = hr_xval_truth(&v, &st->x, e, &t);
	if (rc != 0) {
		not_evaluated(st, o, &v);
		return -1;
	}
	return t;
}

/* One pass: needs, when, lets (with fix overrides), severity. */
void hr_rules_run_pass(struct evst *st, const struct rule *r, const struct fix *fx, struct outcome *o)
{
	size_t i, j;
	int s, c;

	st->pass = ++st->gen;
	st->x.failed = false;
	st->x.err[0] = '\0';
	st->nlets_done = 0;
	st->depth = 0;
	o->status = R_EVALUATED;
	o->sev = HR_SEV_OK;
	o->reason[0] = '\0';
	o->error = false;
	for (i = 0; i < r->nneeds; i++) {
		struct hr_xval v;

		if (hr_expr_eval(r->needs[i], &st->x, &v) < 0 || v.t == HR_X_MISSING) {
			not_evaluated(st, o, &v);
			return;
		}
	}
	if (r->when && (c = cond(st, r->when, o)) <= 0) {
		if (c == 0)
			o->status = R_NOT_APPLICABLE;
		return;
	}
	for (i = 0; i < r->nlets; i++) {
		const hr_expr *e = NULL;

		for (j = 0; fx && j < fx->nlets; j++)
			if (fx->lets[j].slot == (int)i)
				e = fx->lets[j].e;
		if (hr_expr_eval(r->lets[i].e, &st->x, &st->lets[i]) < 0) {
			not_evaluated(st, o, NULL);
			return;
		}
		st->nlets_done = i + 1;
		/* A fix's override of this let, which may use the original value. */
		if (e) {
			struct hr_xval v;

			if (hr_expr_eval(e, &st->x, &v) < 0) {
				not_evaluated(st, o, NULL);
				return;
			}
			st->lets[i] = v;
		}
	}
	for (s = HR_SEV_CRITICAL; s >= HR_SEV_INFO; s--) {
		if (!r->sev[s])
			continue;
		c = cond(st, r->sev[s], o);
		if (c < 0)
			return;
		if (c) {
			o->sev = s;
			return;
		}
	}
}

/* Appends text to a fixed buffer (truncating). */
static void bput(char *buf, size_t n, size_t *len, const char *s)
{
	size_t k = strlen(s);

	if (*len + k >= n)
		k = n - *len - 1;
	memcpy(buf + *len, s, k);
	*len += k;
	buf[*len] = '\0';
}

/* Where a template is filled: a sentence (message, fix, headline), a
 * sysctl value (numbers never grouped) or a table cell (a countdown short). */
enum where { IN_TEXT, IN_SETTING, IN_CELL };

/* Formats one value for a template. */
static void fmt_value(const struct evst *st, const struct hr_xval *v, int fmt, enum where in, char *out, size_t n)
{
	bool setting = in == IN_SETTING;
	struct hr_clock c;

	if (v->t == HR_X_MISSING || v->t == HR_X_NULL) {
		snprintf(out, n, "unknown");
		return;
	}
	if (v->t == HR_X_STR) {
		snprintf(out, n, "%s", v->str);
		return;
	}
	if (v->t == HR_X_BOOL) {
		snprintf(out, n, "%s", v->num ? "yes" : "no");
		return;
	}
	/* NaN and infinities (inf - inf, an overflow) in words, never
	 * "-nan%"; durations and countdowns say "never" themselves. */
	if (!isfinite(v->num) && fmt != FMT_DURATION && fmt != FMT_COUNTDOWN && fmt != FMT_GAUGE) {
		snprintf(out, n, "%s", isnan(v->num) ? "unknown" : v->num > 0 ? "infinite" : "-infinite");
		return;
	}
	switch (fmt) {
	case FMT_INT:
		/* A sysctl value is never grouped: "65535", not "65,535". */
		hr_fmt_num(out, n, round(v->num), !setting);
		break;
	case FMT_1F: snprintf(out, n, "%.1f", v->num); break;
	case FMT_2F: snprintf(out, n, "%.2f", v->num); break;
	case FMT_3F: snprintf(out, n, "%.3f", v->num); break;
	case FMT_PCT: snprintf(out, n, "%.1f%%", v->num * 100); break;
	case FMT_DURATION: hr_fmt_duration(out, n, v->num); break;
	/* Shortest readable form, thousands grouped (not in a sysctl value). */
	case FMT_NUM: hr_fmt_num(out, n, v->num, !setting); break;
	/* A 20-cell bar and the percentage of a ratio (0..1; above 1 shows full). */
	case FMT_GAUGE: hr_gauge(out, n, v->num, 20); break;
	/* A time to exhaustion: from the report, or the capture (clock.h). */
	case FMT_COUNTDOWN:
		hr_facts_clock(st->f, &c);
		if (in == IN_CELL)
			hr_fmt_countdown_short(out, n, v->num, &c);
		else
			hr_fmt_countdown(out, n, v->num, &c);
		break;
	default: hr_num_shortest(out, n, v->num);
	}
}

/* Fills a template into buf; an expression that fails shows as "?". */
static void fill_tmpl(struct evst *st, const struct tmpl *t, enum where in, char *buf, size_t n)
{
	size_t len = 0, i;

	buf[0] = '\0';
	for (i = 0; i < t->n; i++) {
		struct hr_xval v;
		char tmp[2048]; /* a placeholder may be as long as the message */

		if (t->p[i].lit) {
			bput(buf, n, &len, t->p[i].lit);
			continue;
		}
		if (hr_expr_eval(t->p[i].e, &st->x, &v) < 0) {
			st->x.failed = false;
			bput(buf, n, &len, "?");
			continue;
		}
		fmt_value(st, &v, t->p[i].fmt, in, tmp, sizeof(tmp));
		bput(buf, n, &len, tmp);
	}
}

/* The first choice of c whose when holds, filled into buf (in: where it goes). */
static bool fill_choice(struct evst *st, const struct choices *c, enum where in, char *buf, size_t n)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		struct outcome tmp;

		if (c->v[i].when && cond(st, c->v[i].when, &tmp) != 1) {
			st->x.failed = false;
			continue;
		}
		fill_tmpl(st, &c->v[i].text, in, buf, n);
		return true;
	}
	return false;
}

/* The finding's presentation: its headline when it is a problem (the
 * verdict names only problems), its table row whatever its severity. */
static void present_json(struct evst *st, const struct rule *r, int sev, json_t *fd)
{
	const struct present *p = &r->present;
	char buf[1024];
	json_t *row;
	size_t i;

	if (sev > HR_SEV_INFO && fill_choice(st, &p->headline, IN_TEXT, buf, sizeof(buf)))
		json_object_set_new(fd, "headline", json_string(buf));
	if (!p->ncols)
		return;
	row = json_array();
	for (i = 0; i < p->ncols; i++) {
		if (!fill_choice(st, &p->cells[i], IN_CELL, buf, sizeof(buf)))
			buf[0] = '\0';
		json_array_append_new(row, json_string(buf));
	}
	json_object_set_new(fd, "row", row);
}

json_t *hr_rules_num_json(const struct hr_xval *v)
{
	if (v->t == HR_X_BOOL)
		return json_integer(v->num != 0);
	if (v->t != HR_X_NUM || !isfinite(v->num))
		return json_null();
	if (v->num == floor(v->num) && fabs(v->num) < 9e15)
		return json_integer((json_int_t)v->num);
	return json_real(v->num);
}

/* Fills a fix's when/text/settings in the base context; false when not applicable. */
static bool fix_prepare(struct evst *st, const struct fix *fx, struct fixview *fv)
{
	size_t j;

	fv->fx = fx;
	fv->nov = 0;
	if (fx->when) {
		struct outcome tmp;

		if (cond(st, fx->when, &tmp) != 1) {
			st->x.failed = false;
			return false;
		}
	}
	fill_tmpl(st, &fx->text, IN_TEXT, fv->text, sizeof(fv->text));
	for (j = 0; j < fx->nset && j < MAX_SET; j++) {
		fill_tmpl(st, &fx->set[j].val, IN_SETTING, fv->vals[j], sizeof(fv->vals[j]));
		fv->ov[j].key = fx->set[j].key;
		fv->ov[j].raw = fv->vals[j];
		hr_rules_ov_parse(&fv->ov[j]);
		fv->nov++;
	}
	return true;
}

/* The effect of a fix: the rule re-evaluated over the fix's overlay and let overrides. */
static json_t *fix_json(struct evst *st, const struct rule *r, struct fixview *fv)
{
	json_t *o = json_object(), *set = json_object();
	struct outcome after;
	size_t j;

	json_object_set_new(o, "kind", json_string(fv->fx->kind));
	json_object_set_new(o, "text", json_string(fv->text));
	for (j = 0; j < fv->nov; j++)
		json_object_set_new(set, fv->ov[j].key, json_string(fv->ov[j].raw));
	json_object_set_new(o, "settings", set);
	hr_rules_set_overlay(st, fv->ov, fv->nov);
	hr_rules_run_pass(st, r, fv->fx, &after);
	hr_rules_set_overlay(st, NULL, 0);
	if (after.status == R_NOT_EVALUATED) {
		json_object_set_new(o, "headroom_after", json_null());
		json_object_set_new(o, "severity_after", json_null());
		json_object_set_new(o, "effect_unknown", json_string(after.reason));
	} else {
		bool have = after.status == R_EVALUATED && r->headroom >= 0 &&
			    (size_t)r->headroom < st->nlets_done;

		json_object_set_new(o, "headroom_after", have ? hr_rules_num_json(&st->lets[r->headroom]) : json_null());
		json_object_set_new(o, "severity_after",
				    json_string(after.status == R_NOT_APPLICABLE ? "ok" : hr_sev_names[after.sev]));
	}
	return o;
}

json_t *hr_rules_subject_json(struct evst *st, const struct rule *r)
{
	const char *s;

	if (r->coll < 0)
		return json_null();
	s = hr_rules_item_subject(st->rs, st->f, r->coll, st->item);
	return s ? json_string(s) : json_null();
}

json_t *hr_rules_refs_json(const struct rule *r)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < r->nrefs; i++)
		json_array_append_new(a, json_string(r->refs[i]));
	return a;
}

/* Builds the finding of an evaluated subject (lets of the base pass in st). */
json_t *hr_rules_finding_json(struct evst *st, const struct rule *r, const struct outcome *o)
{
	json_t *fd = json_object(), *metrics = json_object(), *fixes = json_array();
	struct fixview *fv = st->fv;
	char msg[2048];
	size_t i, nfv = 0;

	json_object_set(fd, "rule", st->jrule);
	json_object_set(fd, "title", st->jtitle);
	json_object_set(fd, "area", st->jarea);
	json_object_set(fd, "severity", st->jsev[o->sev]);
	json_object_set_new(fd, "subject", hr_rules_subject_json(st, r));
	if (r->message.n)
		fill_tmpl(st, &r->message, IN_TEXT, msg, sizeof(msg));
	else
		snprintf(msg, sizeof(msg), "%s", r->title);
	json_object_set_new(fd, "message", json_string(msg));
	for (i = 0; i < r->nmetrics; i++)
		json_object_set_new(metrics, r->lets[r->metrics[i]].name,
				    (size_t)r->metrics[i] < st->nlets_done ? hr_rules_num_json(&st->lets[r->metrics[i]])
									  : json_null());
	json_object_set_new(fd, "metrics", metrics);
	present_json(st, r, o->sev, fd);
	/* Fixes matter for findings above ok. Fill every fix in the base
	 * context first: the what-if passes overwrite the let values. */
	for (i = 0; o->sev != HR_SEV_OK && fv && i < r->nfixes; i++)
		if (fix_prepare(st, &r->fixes[i], &fv[nfv]))
			nfv++;
	for (i = 0; i < nfv; i++)
		json_array_append_new(fixes, fix_json(st, r, &fv[i]));
	json_object_set_new(fd, "fixes", fixes);
	json_object_set(fd, "references", st->jrefs);
	return fd;
}

/* error: the rule itself failed (division by zero, a type error, a load
 * error), as opposed to a fact missing here; audit reports UNKNOWN then. */
static void add_not_evaluated(json_t *ne, const struct rule *r, json_t *subject, const char *reason,
			      bool error)
{
	json_array_append_new(ne, json_pack("{s:s,s:o,s:s,s:b}", "rule", r->id, "subject", subject, "reason",
					    reason, "error", error));
}

/* True when needs lists a scalar fact that is missing: then one entry says so for every subject. */
static bool scalar_needs_missing(struct evst *st, const struct rule *r, char *why, size_t n)
{
	size_t i;

	for (i = 0; i < r->nneeds; i++) {
		const char *name;
		struct hr_xval v;

		if (!hr_expr_is_name(r->needs[i], &name) || hr_rules_item_coll(name) >= 0 || hr_rules_find_derived(st->rs, name))
			continue;
		st->x.failed = false;
		if (hr_expr_eval(r->needs[i], &st->x, &v) < 0) {
			snprintf(why, n, "%s", st->x.err);
			return true;
		}
		if (v.t == HR_X_MISSING) {
			snprintf(why, n, "%s: %s", v.str, v.why);
			return true;
		}
	}
	return false;
}

/* Makes the JSON values every finding of rule r shares. */
void hr_rules_rule_begin(struct evst *st, const struct rule *r)
{
	st->r = r;
	st->coll = r->coll;
	st->item = 0;
	st->jrule = json_string(r->id);
	st->jtitle = json_string(r->title ? r->title : "");
	st->jarea = json_string(r->area ? r->area : "");
	st->jrefs = hr_rules_refs_json(r);
}

void hr_rules_rule_end(struct evst *st)
{
	json_decref(st->jrule);
	json_decref(st->jtitle);
	json_decref(st->jarea);
	json_decref(st->jrefs);
	st->jrule = st->jtitle = st->jarea = st->jrefs = NULL;
}

/* Records one finding of an evaluation with hold (hr_eval_refs). */
static void add_ref(struct hr_eval_refs *refs, size_t rule, size_t item, int sev, bool made)
{
	if (refs->n == refs->cap) {
		size_t cap = refs->cap ? refs->cap * 2 : 256;
		struct hr_eval_ref *v = realloc(refs->v, cap * sizeof(*v));

		if (!v) {
			refs->nomem = true;
			return;
		}
		refs->v = v;
		refs->cap = cap;
	}
	refs->v[refs->n++] = (struct hr_eval_ref){(uint32_t)rule, (uint32_t)item, (uint8_t)sev, made};
}

/* Evaluates one rule over all its subjects into findings / not_evaluated,
 * counting the outcomes into the rule's summary entry. */
static void eval_rule(struct evst *st, const struct rule *r, json_t *findings, json_t *ne, json_t *summary)
{
	struct outcome o;
	size_t n, i, count[HR_SEV_N] = {0}, na = 0, nne = 0, held[HR_SEV_N] = {0};
	char why[700];

	hr_rules_rule_begin(st, r);
	if (r->broken) {
		add_not_evaluated(ne, r, json_null(), r->broken, true);
		n = 0;
		nne = 1;
	} else if (r->coll >= 0) {
		n = hr_rules_coll_count(st->rs, st->f, r->coll);
		if (!n && r->coll != HR_COLL_COUNTERS && r->coll != HR_COLL_CONNECT_FAILURES &&
		    !hr_facts_have_sockets(st->f)) {
			add_not_evaluated(ne, r, json_null(), "sockets not read (no subjects to check)", false);
			nne = 1;
		} else if (n && scalar_needs_missing(st, r, why, sizeof(why))) {
			add_not_evaluated(ne, r, json_null(), why, false);
			nne = n;
			n = 0;
		}
	} else {
		n = 1;
	}
	for (i = 0; i < n; i++) {
		st->item = i;
		hr_rules_run_pass(st, r, NULL, &o);
		if (o.status == R_NOT_APPLICABLE) {
			na++;
		} else if (o.status == R_NOT_EVALUATED) {
			nne++;
			add_not_evaluated(ne, r, hr_rules_subject_json(st, r), o.reason, o.error);
		} else {
			count[o.sev]++;
			/* With hold, the subjects beyond it are counted, not made
			 * (with refs, recorded to be made again; the counters'
			 * rules depend on the findings before them: all made). */
			if (!(st->problems_only && o.sev == HR_SEV_OK && r->coll >= 0)) {
				bool make = !(st->hold && r->coll >= 0 && !(st->refs && r->coll == HR_COLL_COUNTERS) &&
					      held[o.sev]++ >= st->hold);

				if (make)
					json_array_append_new(findings, hr_rules_finding_json(st, r, &o));
				if (st->refs)
					add_ref(st->refs, (size_t)(r - st->rs->rules), i, o.sev, make);
			}
		}
	}
	json_array_append_new(summary,
			      json_pack("{s:O,s:o,s:i,s:i,s:i,s:i,s:i,s:i}", "rule", st->jrule, "for_each",
					r->coll >= 0 ? json_string(hr_coll_name((enum hr_coll)r->coll)) : json_null(),
					"critical", (int)count[HR_SEV_CRITICAL], "warning", (int)count[HR_SEV_WARNING],
					"info", (int)count[HR_SEV_INFO], "ok", (int)count[HR_SEV_OK], "not_applicable",
					(int)na, "not_evaluated", (int)nne));
	hr_rules_rule_end(st);
}

json_t *hr_ruleset_evaluate_opts(const hr_ruleset *rs, const hr_facts *f, const struct hr_eval_opts *o)
{
	const struct hr_setting *what_if = o ? o->what_if : NULL;
	size_t nwhat_if = o && o->what_if ? o->nwhat_if : 0;
	json_t *res, *findings, *ne, *summary;
	struct override *ov = NULL;
	struct evst st;
	size_t i;

	hr_rules_ensure_checked(rs);
	if (hr_rules_evst_init(&st, rs, f) < 0)
		return NULL;
	if (nwhat_if) {
		ov = calloc(nwhat_if, sizeof(*ov));
		if (!ov) {
			hr_rules_evst_done(&st);
			return NULL;
		}
		for (i = 0; i < nwhat_if; i++) {
			ov[i].key = what_if[i].key;
			ov[i].raw = what_if[i].value;
			hr_rules_ov_parse(&ov[i]);
		}
		st.base = ov;
		st.nbase = nwhat_if;
		hr_rules_set_overlay(&st, NULL, 0);
	}
	st.problems_only = o && o->problems_only;
	st.hold = o ? o->hold : 0;
	st.refs = o && o->hold ? o->refs : NULL;
	findings = json_array();
	ne = json_array();
	summary = json_array();
	/* The counter rules last: they need to know which owners spoke. */
	for (i = 0; i < rs->nrules; i++)
		if (rs->rules[i].coll != HR_COLL_COUNTERS)
			eval_rule(&st, &rs->rules[i], findings, ne, summary);
	hr_rules_counters_owners(&st, findings);
	for (i = 0; i < rs->nrules; i++)
		if (rs->rules[i].coll == HR_COLL_COUNTERS)
			eval_rule(&st, &rs->rules[i], findings, ne, summary);
	hr_rules_evst_done(&st);
	free(ov);
	res = json_object();
	json_object_set_new(res, "findings", findings);
	json_object_set_new(res, "not_evaluated", ne);
	json_object_set_new(res, "summary", summary);
	return res;
}

json_t *hr_ruleset_evaluate_with(const hr_ruleset *rs, const hr_facts *f,
				 const struct hr_setting *what_if, size_t nwhat_if)
{
	struct hr_eval_opts o = {what_if, nwhat_if, false, 0, NULL};

	return hr_ruleset_evaluate_opts(rs, f, &o);
}

json_t *hr_ruleset_evaluate(const hr_ruleset *rs, const hr_facts *f)
{
	return hr_ruleset_evaluate_with(rs, f, NULL, 0);
}

struct hr_rules_finder {
	struct evst st;
};

hr_rules_finder *hr_rules_finder_new(const hr_ruleset *rs, const hr_facts *f)
{
	hr_rules_finder *fd = calloc(1, sizeof(*fd));

	if (!fd)
		return NULL;
	hr_rules_ensure_checked(rs);
	if (hr_rules_evst_init(&fd->st, rs, f) < 0) {
		free(fd);
		return NULL;
	}
	return fd;
}

json_t *hr_rules_finder_get(hr_rules_finder *fd, size_t rule, size_t item)
{
	struct evst *st = &fd->st;
	const struct rule *r;
	struct outcome o;
	json_t *j = NULL;

	if (rule >= st->rs->nrules)
		return NULL;
	r = &st->rs->rules[rule];
	if (r->broken)
		return NULL;
	hr_rules_rule_begin(st, r);
	st->item = item;
	hr_rules_run_pass(st, r, NULL, &o);
	if (o.status == R_EVALUATED)
		j = hr_rules_finding_json(st, r, &o);
	hr_rules_rule_end(st);
	return j;
}

void hr_rules_finder_free(hr_rules_finder *fd)
{
	if (!fd)
		return;
	hr_rules_evst_done(&fd->st);
	free(fd);
}
