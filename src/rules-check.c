/* rules-check.c: the cross-checks after loading: binds every expression's
 * names (facts, item fields, lets, derived facts, kernel) to slots with
 * static type checks, finds unknown names, duplicate ids and cycles among
 * derived facts, and marks broken rules.
 * Owns: hr_ruleset_check, hr_rules_item_coll, hr_rules_each_expr. May call:
 * rules-int.h (grow and find_derived of rules.c, let_slot of rules-load.c),
 * hr_expr_bind and friends (expr.h), the facts catalogue (facts.h). */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "rules-int.h"

/* ------------------------------------------------------------- checking */

/* Finds or adds a name in a slot table. */
static int slot_of(char ***tab, size_t *n, size_t *cap, const char *name)
{
	size_t i;
	char **nv;

	for (i = 0; i < *n; i++)
		if (!strcmp((*tab)[i], name))
			return (int)i;
	nv = hr_rules_grow(*tab, cap, *n + 1, sizeof(*nv));
	if (!nv)
		return -1;
	*tab = nv;
	if (!(nv[*n] = strdup(name)))
		return -1;
	return (int)(*n)++;
}

/* The context names are bound in: a rule (with the lets visible so far) or a derived fact. */
struct bindctx {
	hr_ruleset *rs;
	struct rule *r;
	size_t visible; /* lets defined before this expression */
	struct derived *d;
};

int hr_rules_item_coll(const char *name)
{
	int c;

	for (c = 0; c < HR_COLL_N; c++) {
		const char *p = hr_coll_prefix((enum hr_coll)c);
		size_t n = strlen(p);

		if (!strncmp(name, p, n) && name[n] == '.')
			return c;
	}
	return -1;
}

static int resolve(void *ud, const char *name, bool indexed, int *kind, int *slot, enum hr_stype *st,
		   char *msg, size_t n)
{
	struct bindctx *b = ud;
	struct derived *d;
	int c, s;

	if (b->r && (s = hr_rules_let_slot(b->r, name)) >= 0) {
		if ((size_t)s >= b->visible) {
			snprintf(msg, n, "let '%s' is used before it is defined (lets are evaluated in order)", name);
			return -EINVAL;
		}
		*kind = K_LET;
		*slot = s;
		*st = (enum hr_stype)b->r->lets[s].stype;
		goto noindex;
	}
	if ((d = hr_rules_find_derived(b->rs, name))) {
		*kind = K_DERIVED;
		*slot = (int)(d - b->rs->der);
		*st = (enum hr_stype)d->stype;
		goto noindex;
	}
	if (!strcmp(name, "kernel")) {
		*kind = K_KERNEL;
		*slot = 0;
		*st = HR_S_VERSION;
		goto noindex;
	}
	if ((c = hr_rules_item_coll(name)) >= 0) {
		if (!hr_facts_item_field_known((enum hr_coll)c, name)) {
			snprintf(msg, n, "unknown field '%s' of %s", name, hr_coll_name((enum hr_coll)c));
			return -ENOENT;
		}
		if (b->r && b->r->coll != c) {
			snprintf(msg, n, "'%s' is only available in a rule with for_each: %s", name,
				 hr_coll_name((enum hr_coll)c));
			return -EINVAL;
		}
		if (b->d)
			b->d->colls |= 1u << c;
		*kind = K_ITEM;
		*slot = slot_of(&b->rs->items, &b->rs->nitems, &b->rs->capitems, name);
		*st = HR_S_ANY;
		goto noindex;
	}
	if (hr_facts_name_known(name)) {
		*kind = K_FACT;
		*slot = slot_of(&b->rs->facts, &b->rs->nfacts, &b->rs->capfacts, name);
		*st = HR_S_ANY;
		return *slot < 0 ? (snprintf(msg, n, "out of memory"), -ENOMEM) : 0;
	}
	snprintf(msg, n, "unknown name '%s' (not a fact, a let name of this rule or a derived fact)", name);
	return -ENOENT;
noindex:
	if (indexed) {
		snprintf(msg, n, "'%s' cannot be indexed (only vector sysctls can)", name);
		return -EINVAL;
	}
	return 0;
}

/* Marks a rule broken with its first error (from the diagnostics added since before). */
static void mark_broken(struct rule *r, const struct hr_diags *d, size_t before, const char *fallback)
{
	char buf[1200];

	if (r->broken)
		return;
	if (d && d->n > before)
		snprintf(buf, sizeof(buf), "%s:%d:%d: %s", d->v[before].file, d->v[before].line,
			 d->v[before].col, d->v[before].msg);
	else
		snprintf(buf, sizeof(buf), "%s", fallback);
	r->broken = strdup(buf);
}

/* Binds e; reports a non-condition where a condition is needed. Returns false on errors. */
static bool bind_expr(struct bindctx *b, hr_expr *e, bool cond, const char *what, struct hr_diags *d,
		      int *stype)
{
	int t;

	if (!e)
		return true;
	t = hr_expr_bind(e, resolve, b, d);
	if (t < 0)
		return false;
	if (stype)
		*stype = t;
	if (cond && t != HR_S_BOOL && t != HR_S_ANY && t != HR_S_NULL) {
		const char *file;
		int line, col;

		hr_expr_where(e, &file, &line, &col);
		hr_diags_add(d, file, line, col, false, "%s '%s' is %s, not a condition", what,
			     hr_expr_source(e), t == HR_S_NUM ? "a number" : "a string");
		return false;
	}
	return true;
}

static bool bind_tmpl(struct bindctx *b, struct tmpl *t, struct hr_diags *d)
{
	bool ok = true;
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->p[i].e && !bind_expr(b, t->p[i].e, false, "template", d, NULL))
			ok = false;
	return ok;
}

/* Binds a choice list: each when a condition, each text a template. */
static bool bind_choices(struct bindctx *b, struct choices *c, struct hr_diags *d)
{
	bool ok = true;
	size_t i;

	for (i = 0; i < c->n; i++) {
		ok &= bind_expr(b, c->v[i].when, true, "present when", d, NULL);
		ok &= bind_tmpl(b, &c->v[i].text, d);
	}
	return ok;
}

/* Calls fn on every expression of a choice list. */
static bool each_choice_expr(hr_ruleset *rs, struct rule *r, const struct choices *c, struct hr_diags *d,
			     bool (*fn)(hr_ruleset *, struct rule *, const hr_expr *, struct hr_diags *))
{
	bool ok = true;
	size_t i, j;

	for (i = 0; i < c->n; i++) {
		ok &= fn(rs, r, c->v[i].when, d);
		for (j = 0; j < c->v[i].text.n; j++)
			ok &= fn(rs, r, c->v[i].text.p[j].e, d);
	}
	return ok;
}

/* Collects the derived facts an expression uses (for cycles and collections). */
struct dref {
	hr_ruleset *rs;
	int *v;
	size_t n, cap;
};

static void add_dref(void *ud, const char *name, int kind, int slot)
{
	struct dref *r = ud;
	int *nv;

	(void)name;
	if (kind != K_DERIVED)
		return;
	nv = hr_rules_grow(r->v, &r->cap, r->n + 1, sizeof(*nv));
	if (!nv)
		return;
	r->v = nv;
	nv[r->n++] = slot;
}

/* Reports a derived fact whose longest chain of derived facts is longer
 * than evaluation nests them (HR_EXPR_MAX_DEPTH; "nested deeper than 64
 * levels" there): the chain, its first names. */
static void too_deep(hr_ruleset *rs, struct derived *dv, struct hr_diags *d)
{
	char chain[900] = "";
	int j = (int)(dv - rs->der), k;

	for (k = 0; j >= 0 && k < 8; k++, j = rs->der[j].deeper) {
		strncat(chain, rs->der[j].name, sizeof(chain) - strlen(chain) - 9);
		strncat(chain, " -> ", sizeof(chain) - strlen(chain) - 1);
	}
	strncat(chain, "...", sizeof(chain) - strlen(chain) - 1);
	hr_diags_add(d, dv->file, dv->line, dv->col, false,
		     "derived fact '%s' nests more than %d derived facts (a chain or cycle that long fails "
		     "evaluation): %s", dv->name, HR_EXPR_MAX_DEPTH, chain);
	dv->bad = true;
}

/* Depth-first search for cycles; computes the collections each derived
 * needs and its height (the nesting evaluation will need). A path deeper
 * than 1024 is not followed: its height is then over the bound anyway. */
static void derived_visit(hr_ruleset *rs, int i, int *path, int depth, struct hr_diags *d)
{
	struct derived *dv = &rs->der[i];
	struct dref refs = {rs, NULL, 0, 0};
	bool below_bad = false;
	size_t k;

	if (dv->state == 2)
		return;
	if (dv->state == 1) {
		char chain[900] = "";
		int j, from = 0;

		for (j = 0; j < depth; j++)
			if (path[j] == i)
				from = j;
		for (j = from; j < depth; j++) {
			strncat(chain, rs->der[path[j]].name, sizeof(chain) - strlen(chain) - 5);
			strncat(chain, " -> ", sizeof(chain) - strlen(chain) - 1);
			rs->der[path[j]].bad = true;
		}
		strncat(chain, dv->name, sizeof(chain) - strlen(chain) - 1);
		hr_diags_add(d, dv->file, dv->line, dv->col, false, "cycle in derived facts: %s", chain);
		return;
	}
	if (depth >= 1024) {
		rs->der[path[depth - 1]].height = HR_EXPR_MAX_DEPTH + 1024;
		return;
	}
	dv->state = 1;
	dv->height = 1;
	dv->deeper = -1;
	path[depth] = i;
	hr_expr_foreach_name(dv->e, add_dref, &refs);
	for (k = 0; k < refs.n; k++) {
		struct derived *c = &rs->der[refs.v[k]];

		derived_visit(rs, refs.v[k], path, depth + 1, d);
		rs->der[i].colls |= c->colls;
		if (c->bad)
			below_bad = true;
		if (c->height + 1 > rs->der[i].height) {
			rs->der[i].height = c->height + 1;
			rs->der[i].deeper = refs.v[k];
		}
	}
	free(refs.v);
	/* Reported once, where the chain first gets too long; those above
	 * it are bad through it. */
	if (below_bad)
		rs->der[i].bad = true;
	else if (!rs->der[i].bad && rs->der[i].height > HR_EXPR_MAX_DEPTH)
		too_deep(rs, &rs->der[i], d);
	rs->der[i].state = 2;
}

/* Checks the derived facts a rule expression uses against the rule's for_each. */
static bool check_rule_derived(hr_ruleset *rs, struct rule *r, const hr_expr *e, struct hr_diags *d)
{
	struct dref refs = {rs, NULL, 0, 0};
	bool ok = true;
	size_t k;

	if (!e)
		return true;
	hr_expr_foreach_name(e, add_dref, &refs);
	for (k = 0; k < refs.n; k++) {
		const struct derived *dv = &rs->der[refs.v[k]];
		unsigned other = dv->colls & ~(r->coll >= 0 ? 1u << r->coll : 0u);

		if (dv->bad) {
			hr_diags_add(d, r->file, r->line, r->col, false,
				     "rule '%s' uses derived fact '%s', which has errors", r->id, dv->name);
			ok = false;
		} else if (other) {
			int c = __builtin_ctz(other);

			hr_diags_add(d, r->file, r->line, r->col, false,
				     "rule '%s' uses derived fact '%s', which needs %s.* fields: only a rule with for_each: %s can",
				     r->id, dv->name, hr_coll_prefix((enum hr_coll)c), hr_coll_name((enum hr_coll)c));
			ok = false;
		}
	}
	free(refs.v);
	return ok;
}

/* Calls fn on every expression of a rule (templates included). */
bool hr_rules_each_expr(hr_ruleset *rs, struct rule *r, struct hr_diags *d,
			bool (*fn)(hr_ruleset *, struct rule *, const hr_expr *, struct hr_diags *))
{
	bool ok = true;
	size_t i, j, k;

	for (i = 0; i < r->nneeds; i++)
		ok &= fn(rs, r, r->needs[i], d);
	ok &= fn(rs, r, r->when, d);
	for (i = 0; i < r->nlets; i++)
		ok &= fn(rs, r, r->lets[i].e, d);
	for (i = 0; i < HR_SEV_N; i++)
		ok &= fn(rs, r, r->sev[i], d);
	for (i = 0; i < r->message.n; i++)
		ok &= fn(rs, r, r->message.p[i].e, d);
	for (i = 0; i < r->nfixes; i++) {
		struct fix *fx = &r->fixes[i];

		ok &= fn(rs, r, fx->when, d);
		for (j = 0; j < fx->text.n; j++)
			ok &= fn(rs, r, fx->text.p[j].e, d);
		for (j = 0; j < fx->nset; j++)
			for (k = 0; k < fx->set[j].val.n; k++)
				ok &= fn(rs, r, fx->set[j].val.p[k].e, d);
		for (j = 0; j < fx->nlets; j++)
			ok &= fn(rs, r, fx->lets[j].e, d);
	}
	ok &= each_choice_expr(rs, r, &r->present.headline, d, fn);
	for (i = 0; i < r->present.ncols; i++)
		ok &= each_choice_expr(rs, r, &r->present.cells[i], d, fn);
	return ok;
}

/* Binds every expression of a rule; false when any had an error. */
static bool bind_rule(hr_ruleset *rs, struct rule *r, struct hr_diags *d)
{
	struct bindctx b = {rs, r, 0, NULL};
	bool ok = true;
	size_t i, j;
	static const char *const sevword[] = {"", "severity 'info'", "severity 'warning'", "severity 'critical'"};

	for (i = 0; i < r->nneeds; i++)
		ok &= bind_expr(&b, r->needs[i], false, "needs", d, NULL);
	ok &= bind_expr(&b, r->when, true, "when", d, NULL);
	for (i = 0; i < r->nlets; i++) {
		if (hr_rules_find_derived(rs, r->lets[i].name)) {
			hr_diags_add(d, r->file, r->line, r->col, false,
				     "let name '%s' of rule '%s' hides the derived fact of the same name",
				     r->lets[i].name, r->id);
			ok = false;
		}
		b.visible = i;
		ok &= bind_expr(&b, r->lets[i].e, false, "let", d, &r->lets[i].stype);
	}
	b.visible = r->nlets;
	for (i = 1; i < HR_SEV_N; i++)
		ok &= bind_expr(&b, r->sev[i], true, sevword[i], d, NULL);
	ok &= bind_tmpl(&b, &r->message, d);
	for (i = 0; i < r->nfixes; i++) {
		struct fix *fx = &r->fixes[i];

		ok &= bind_expr(&b, fx->when, true, "fix when", d, NULL);
		ok &= bind_tmpl(&b, &fx->text, d);
		for (j = 0; j < fx->nset; j++)
			ok &= bind_tmpl(&b, &fx->set[j].val, d);
		for (j = 0; j < fx->nlets; j++) {
			/* The override sees its own let: the original value. */
			b.visible = (size_t)fx->lets[j].slot + 1;
			ok &= bind_expr(&b, fx->lets[j].e, false, "let override", d, NULL);
			b.visible = r->nlets;
		}
	}
	ok &= bind_choices(&b, &r->present.headline, d);
	for (i = 0; i < r->present.ncols; i++)
		ok &= bind_choices(&b, &r->present.cells[i], d);
	if (ok)
		ok = hr_rules_each_expr(rs, r, d, check_rule_derived);
	return ok;
}

int hr_ruleset_check(hr_ruleset *rs, struct hr_diags *d)
{
	size_t i, errs = 0, before;
	int *path;

	if (rs->checked)
		return 0;
	rs->checked = true;
	/* Derived facts first: their types feed the rules' checks. */
	for (i = 0; i < rs->nder; i++) {
		struct bindctx b = {rs, NULL, 0, &rs->der[i]};
		int t;

		if (rs->der[i].bound)
			continue;
		rs->der[i].bound = true;
		before = d ? d->n : 0;
		t = hr_expr_bind(rs->der[i].e, resolve, &b, d);
		if (t < 0) {
			rs->der[i].bad = true;
			errs++;
		} else {
			rs->der[i].stype = t;
		}
		(void)before;
	}
	path = calloc(1024, sizeof(*path));
	for (i = 0; path && i < rs->nder; i++) {
		before = d ? d->n : 0;
		derived_visit(rs, (int)i, path, 0, d);
		if (d && d->n > before)
			errs++;
	}
	free(path);
	errs += hr_rules_counters_check(rs, d);
	for (i = 0; i < rs->nrules; i++) {
		struct rule *r = &rs->rules[i];

		if (r->broken || r->bound)
			continue;
		r->bound = true;
		before = d ? d->n : 0;
		if (!bind_rule(rs, r, d)) {
			mark_broken(r, d, before, "rule has errors");
			errs++;
		}
	}
	return errs ? -EBADMSG : 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Adds name to v when it is a sysctl's; v has room for every candidate. */
static void add_sysctl(const char **v, size_t *n, const char *name)
{
	if (name && !strncmp(name, "net.", 4))
		v[(*n)++] = name;
}

/* See rules.h. */
const char **hr_ruleset_sysctl_names(const hr_ruleset *rs, size_t *n, int *err)
{
	size_t i, j, k, cap = rs->nfacts + rs->ncounters;
	const char **v;

	*n = 0;
	*err = 0;
	for (i = 0; i < rs->nrules; i++)
		for (j = 0; j < rs->rules[i].nfixes; j++)
			cap += rs->rules[i].fixes[j].nset;
	if (!cap)
		return NULL;
	v = malloc(cap * sizeof(*v));
	if (!v) {
		*err = -ENOMEM;
		return NULL;
	}
	for (i = 0; i < rs->nfacts; i++)
		add_sysctl(v, n, rs->facts[i]);
	for (i = 0; i < rs->ncounters; i++)
		add_sysctl(v, n, rs->counters[i].fact);
	for (i = 0; i < rs->nrules; i++)
		for (j = 0; j < rs->rules[i].nfixes; j++)
			for (k = 0; k < rs->rules[i].fixes[j].nset; k++)
				add_sysctl(v, n, rs->rules[i].fixes[j].set[k].key);
	qsort(v, *n, sizeof(*v), cmp_str);
	return v;
}
