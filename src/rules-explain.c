/* rules-explain.c: the explanation of one rule: its definition, every
 * formula with current values filled in per subject, and the sources of the
 * facts it read.
 * Owns: hr_ruleset_explain, hr_ruleset_explain_subject. May call:
 * rules-int.h (evaluation passes and finding JSON of rules-eval.c, state of
 * rules-overlay.c, hr_rules_each_expr of rules-check.c, find and
 * ensure_checked of rules.c), hr_expr_fill and friends (expr.h). */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules-int.h"

/* ------------------------------------------------------------ explaining */

/* A value as JSON: number, bool, string or null (missing is null). */
static json_t *val_json(const struct hr_xval *v)
{
	switch (v->t) {
	case HR_X_NUM: return hr_rules_num_json(v);
	case HR_X_BOOL: return json_boolean(v->num != 0);
	case HR_X_STR: return json_string(v->str ? v->str : "");
	default: return json_null();
	}
}

/* One formula: {expr, filled, value} (+ missing / error), evaluated now. */
static json_t *formula_json(struct evst *st, const hr_expr *e, const struct hr_xval *known)
{
	json_t *o = json_object();
	struct hr_xval v;
	char *filled = hr_expr_fill(e, &st->x);

	json_object_set_new(o, "expr", json_string(hr_expr_source(e)));
	json_object_set_new(o, "filled", filled ? json_string(filled) : json_null());
	free(filled);
	st->x.failed = false;
	if (known)
		v = *known;
	else if (hr_expr_eval(e, &st->x, &v) < 0) {
		json_object_set_new(o, "value", json_null());
		json_object_set_new(o, "error", json_string(st->x.err));
		st->x.failed = false;
		return o;
	}
	json_object_set_new(o, "value", val_json(&v));
	if (v.t == HR_X_MISSING) {
		char why[600];

		snprintf(why, sizeof(why), "%s: %s", v.str ? v.str : "?", v.why ? v.why : "missing");
		json_object_set_new(o, "missing", json_string(why));
	}
	return o;
}

static json_t *tmpl_src(const struct tmpl *t)
{
	return t->src ? json_string(t->src) : json_null();
}

/* The rule as written. */
static json_t *definition_json(const struct rule *r)
{
	json_t *o = json_object(), *a, *m;
	size_t i, j;

	a = json_array();
	for (i = 0; i < r->nneeds; i++)
		json_array_append_new(a, json_string(hr_expr_source(r->needs[i])));
	json_object_set_new(o, "needs", a);
	json_object_set_new(o, "when", r->when ? json_string(hr_expr_source(r->when)) : json_null());
	a = json_array();
	for (i = 0; i < r->nlets; i++)
		json_array_append_new(a, json_pack("{s:s,s:s}", "name", r->lets[i].name, "expr",
						   r->lets[i].e ? hr_expr_source(r->lets[i].e) : ""));
	json_object_set_new(o, "let", a);
	m = json_object();
	for (i = HR_SEV_CRITICAL; i >= HR_SEV_INFO; i--)
		if (r->sev[i])
			json_object_set_new(m, hr_sev_names[i], json_string(hr_expr_source(r->sev[i])));
	json_object_set_new(o, "severity", m);
	json_object_set_new(o, "message", tmpl_src(&r->message));
	json_object_set_new(o, "headroom_metric",
			    r->headroom >= 0 ? json_string(r->lets[r->headroom].name) : json_null());
	a = json_array();
	for (i = 0; i < r->nfixes; i++) {
		const struct fix *fx = &r->fixes[i];
		json_t *f = json_object(), *set = json_object(), *lets = json_object();

		json_object_set_new(f, "kind", json_string(fx->kind ? fx->kind : ""));
		json_object_set_new(f, "when", fx->when ? json_string(hr_expr_source(fx->when)) : json_null());
		for (j = 0; j < fx->nset; j++)
			json_object_set_new(set, fx->set[j].key, tmpl_src(&fx->set[j].val));
		json_object_set_new(f, "set", set);
		for (j = 0; j < fx->nlets; j++)
			json_object_set_new(lets, r->lets[fx->lets[j].slot].name,
					    json_string(hr_expr_source(fx->lets[j].e)));
		json_object_set_new(f, "let", lets);
		json_object_set_new(f, "text", tmpl_src(&fx->text));
		json_array_append_new(a, f);
	}
	json_object_set_new(o, "fixes", a);
	return o;
}

/* Collects the facts a rule reads (through derived facts too), once each. */
struct collect {
	const hr_ruleset *rs;
	json_t *names; /* object used as a set: name -> kind */
	bool *seen;    /* derived visited */
};

static void collect_name(void *ud, const char *name, int kind, int slot)
{
	struct collect *c = ud;

	if (kind == K_DERIVED) {
		json_object_set_new(c->names, name, json_integer(kind));
		if (!c->seen[slot]) {
			c->seen[slot] = true;
			hr_expr_foreach_name(c->rs->der[slot].e, collect_name, c);
		}
		return;
	}
	if (kind == K_FACT || kind == K_ITEM || kind == K_KERNEL)
		json_object_set_new(c->names, kind == K_KERNEL ? "kernel.osrelease" : name, json_integer(kind));
}

/* rule_each_expr callback; the collect state rides in the diagnostics argument. */
static bool collect_expr(hr_ruleset *rs, struct rule *r, const hr_expr *e, struct hr_diags *d)
{
	(void)rs;
	(void)r;
	if (e)
		hr_expr_foreach_name(e, collect_name, (void *)d);
	return true;
}

/* The names a rule reads (an owned object name -> kind), through derived values. */
static json_t *rule_names(const hr_ruleset *rs, const struct rule *r)
{
	struct collect c = {.rs = rs, .names = json_object()};

	c.seen = calloc(rs->nder + 1, sizeof(bool));
	if (!r->broken && c.names && c.seen)
		hr_rules_each_expr((hr_ruleset *)rs, (struct rule *)r, (struct hr_diags *)(void *)&c, collect_expr);
	free(c.seen);
	return c.names;
}

/* The value and source of one fact (or item field of the current subject). */
static json_t *source_json(struct evst *st, const char *name, bool item)
{
	struct hr_value hv;
	json_t *o = json_object();
	int rc;

	json_object_set_new(o, "fact", json_string(name));
	if (item && st->coll == HR_COLL_COUNTERS) { /* the catalogue's, not the facts' */
		struct hr_xval v = {0};

		if (hr_rules_counter_field(st, name, &v) < 0 || v.t == HR_X_MISSING)
			json_object_set_new(o, "value", json_null());
		else
			json_object_set_new(o, "value", v.t == HR_X_STR ? json_string(v.str) : hr_rules_num_json(&v));
		json_object_set_new(o, "source", json_string(v.source ? v.source : "rules counters:"));
		return o;
	}
	if (item)
		rc = hr_facts_item_get(st->f, (enum hr_coll)st->coll, st->item, name, &hv);
	else if ((rc = hr_facts_get(st->f, name, -1, &hv)) == -EDOM)
		rc = hr_facts_get(st->f, name, 0, &hv); /* a vector: its raw text is in str */
	if (rc < 0) {
		json_object_set_new(o, "value", json_null());
		json_object_set_new(o, "missing", json_string("no such fact"));
	} else if (hv.type == HR_V_MISSING) {
		json_object_set_new(o, "value", json_null());
		json_object_set_new(o, "missing", json_string(hv.missing ? hv.missing : "missing"));
	} else if (hv.type == HR_V_STR || (hv.str && hv.nfields > 1)) {
		json_object_set_new(o, "value", json_string(hv.str ? hv.str : ""));
	} else if (hv.type == HR_V_BOOL) {
		json_object_set_new(o, "value", json_boolean(hv.num != 0));
	} else {
		struct hr_xval v = {.t = HR_X_NUM, .num = hv.num};

		json_object_set_new(o, "value", hr_rules_num_json(&v));
	}
	json_object_set_new(o, "source", hv.type != HR_V_MISSING && rc == 0 && hv.source
						  ? json_string(hv.source)
						  : json_null());
	return o;
}

/* Explains one subject: every formula filled with the values of this subject. */
static json_t *explain_subject(struct evst *st, const struct rule *r, json_t *names)
{
	json_t *o = json_object(), *a;
	struct outcome out;
	const char *key;
	json_t *kind;
	size_t i;

	hr_rules_run_pass(st, r, NULL, &out);
	json_object_set_new(o, "subject", hr_rules_subject_json(st, r));
	json_object_set_new(o, "status", json_string(out.status == R_EVALUATED        ? "evaluated"
						     : out.status == R_NOT_APPLICABLE ? "not applicable"
										      : "not evaluated"));
	if (out.status == R_NOT_EVALUATED)
		json_object_set_new(o, "reason", json_string(out.reason));
	a = json_array();
	for (i = 0; i < r->nneeds; i++)
		json_array_append_new(a, formula_json(st, r->needs[i], NULL));
	json_object_set_new(o, "needs", a);
	json_object_set_new(o, "when", r->when ? formula_json(st, r->when, NULL) : json_null());
	a = json_array();
	for (i = 0; i < r->nlets; i++) {
		json_t *f;

		if (i >= st->nlets_done) {
			f = json_pack("{s:s,s:s,s:n}", "expr", hr_expr_source(r->lets[i].e), "filled",
				      "(not evaluated)", "value");
		} else {
			f = formula_json(st, r->lets[i].e, &st->lets[i]);
		}
		json_object_set_new(f, "name", json_string(r->lets[i].name));
		json_array_append_new(a, f);
	}
	json_object_set_new(o, "let", a);
	a = json_array();
	for (i = HR_SEV_CRITICAL; out.status == R_EVALUATED && i >= HR_SEV_INFO; i--) {
		json_t *f;

		if (!r->sev[i])
			continue;
		f = formula_json(st, r->sev[i], NULL);
		json_object_set_new(f, "level", json_string(hr_sev_names[i]));
		json_array_append_new(a, f);
	}
	json_object_set_new(o, "severity_conditions", a);
	a = json_array();
	json_object_foreach(names, key, kind)
		if (json_integer_value(kind) == K_DERIVED) {
			const struct derived *dv = hr_rules_find_derived(st->rs, key);
			json_t *f = formula_json(st, dv->e, NULL);

			json_object_set_new(f, "name", json_string(key));
			json_array_append_new(a, f);
		}
	json_object_set_new(o, "derived", a);
	if (r->coll >= 0) {
		json_t *facts = json_array();

		json_object_foreach(names, key, kind)
			if (json_integer_value(kind) == K_ITEM)
				json_array_append_new(facts, source_json(st, key, true));
		json_object_set_new(o, "facts", facts);
	}
	if (out.status == R_EVALUATED) {
		json_t *fd = hr_rules_finding_json(st, r, &out);

		json_object_set_new(o, "severity", json_incref(json_object_get(fd, "severity")));
		json_object_set_new(o, "message", json_incref(json_object_get(fd, "message")));
		json_object_set_new(o, "metrics", json_incref(json_object_get(fd, "metrics")));
		json_object_set_new(o, "fixes", json_incref(json_object_get(fd, "fixes")));
		json_decref(fd);
	}
	return o;
}

json_t *hr_ruleset_explain_subject(const hr_ruleset *rs, const char *rule_id, const hr_facts *f,
				   const char *subject, struct hr_err *err)
{
	const struct rule *r;
	struct evst st;
	json_t *o, *subjects, *sources, *kind, *names;
	const char *key;
	size_t n, i;
	char where[1200];

	hr_rules_ensure_checked(rs);
	r = hr_rules_find_rule(rs, rule_id);
	if (!r) {
		hr_err_set(err, -ENOENT, "no rule '%s' (see 'headroom rules list')", rule_id);
		return NULL;
	}
	if (hr_rules_evst_init(&st, rs, f) < 0) {
		hr_err_set(err, -ENOMEM, "out of memory");
		return NULL;
	}
	o = json_object();
	json_object_set_new(o, "rule", json_string(r->id));
	json_object_set_new(o, "title", json_string(r->title ? r->title : ""));
	json_object_set_new(o, "area", json_string(r->area ? r->area : ""));
	if (r->description)
		json_object_set_new(o, "description", json_string(r->description));
	snprintf(where, sizeof(where), "%s:%d:%d", r->file, r->line, r->col);
	json_object_set_new(o, "defined_at", json_string(where));
	json_object_set_new(o, "for_each",
			    r->coll >= 0 ? json_string(hr_coll_name((enum hr_coll)r->coll)) : json_null());
	json_object_set_new(o, "error", r->broken ? json_string(r->broken) : json_null());
	json_object_set_new(o, "definition", definition_json(r));
	json_object_set_new(o, "references", hr_rules_refs_json(r));

	names = rule_names(rs, r);

	subjects = json_array();
	hr_rules_rule_begin(&st, r);
	if (!r->broken) {
		n = r->coll >= 0 ? hr_rules_coll_count(rs, f, r->coll) : 1;
		if (r->coll == HR_COLL_COUNTERS) { /* which owners spoke: the whole evaluation */
			json_t *all = hr_ruleset_evaluate(rs, f);

			hr_rules_counters_owners(&st, json_object_get(all, "findings"));
			json_decref(all);
		}
		for (i = 0; i < n; i++) {
			st.item = i;
			if (subject && r->coll >= 0 &&
			    strcmp(hr_rules_item_subject(rs, f, r->coll, i), subject))
				continue;
			json_array_append_new(subjects, explain_subject(&st, r, names));
		}
	}
	hr_rules_rule_end(&st);
	json_object_set_new(o, "subjects", subjects);
	sources = json_array();
	json_object_foreach(names, key, kind)
		if (json_integer_value(kind) == K_FACT || json_integer_value(kind) == K_KERNEL)
			json_array_append_new(sources, source_json(&st, key, false));
	json_object_set_new(o, "sources", sources);
	json_decref(names);
	hr_rules_evst_done(&st);
	return o;
}

json_t *hr_ruleset_rule_facts(const hr_ruleset *rs, const char *rule_id)
{
	const struct rule *r;
	json_t *out = json_array(), *names, *kind;
	const char *key;

	hr_rules_ensure_checked(rs);
	r = hr_rules_find_rule(rs, rule_id);
	if (!r || !out)
		return out;
	names = rule_names(rs, r);
	json_object_foreach(names, key, kind)
		if (json_integer_value(kind) == K_FACT)
			json_array_append_new(out, json_string(key));
	json_decref(names);
	return out;
}

json_t *hr_ruleset_explain(const hr_ruleset *rs, const char *rule_id, const hr_facts *f,
			   struct hr_err *err)
{
	return hr_ruleset_explain_subject(rs, rule_id, f, NULL, err);
}
