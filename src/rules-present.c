/* rules-present.c: a rule's present: mapping, how its findings take part
 * in the outputs that need more than a message and metrics: the audit's
 * verdict (headline), a text table (the port table), Nagios perfdata and
 * the subjects watch follows. Rules declare it; no output names a rule.
 * Owns: hr_rules_present_load/_clear, hr_ruleset_perfdata/_table/_watch/
 * _index. May call: the loader helpers of rules-load.c (rules-int.h). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rules-int.h"

static const char *const present_keys = "headline, table, perfdata, watch";
static const char *const role_names[HR_WATCH_ROLES] = {"used", "limit", "rate", "time_left"};

void hr_rules_choices_clear(struct choices *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		hr_expr_free(c->v[i].when);
		hr_rules_tmpl_clear(&c->v[i].text);
	}
	free(c->v);
	memset(c, 0, sizeof(*c));
}

void hr_rules_present_clear(struct present *p)
{
	size_t i;

	hr_rules_choices_clear(&p->headline);
	free(p->table);
	free(p->title);
	free(p->rows);
	for (i = 0; i < p->ncols; i++) {
		free(p->headers[i]);
		hr_rules_choices_clear(&p->cells[i]);
	}
	free(p->headers);
	free(p->right);
	free(p->cells);
	for (i = 0; i < p->nperf; i++) {
		free((char *)p->perf[i].label);
		free((char *)p->perf[i].metric);
		free((char *)p->perf[i].unit);
	}
	free(p->perf);
	for (i = 0; i < HR_WATCH_ROLES; i++)
		free(p->watch[i]);
	memset(p, 0, sizeof(*p));
}

/* True when name is one of the rule's metrics (what outputs can read). */
static bool is_metric(const struct rule *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nmetrics; i++)
		if (!strcmp(r->lets[r->metrics[i]].name, name))
			return true;
	return false;
}

/* Appends one choice: {when, text} or a bare template. */
static void load_one_choice(struct loader *l, yaml_node_t *n, const char *what, struct choices *c)
{
	struct choice ch = {0};
	struct choice *nv;
	yaml_node_t *k, *v;
	bool have_text = false;

	if (n->type == YAML_SCALAR_NODE) {
		have_text = hr_rules_ytmpl(l, n, what, &ch.text);
	} else if (hr_rules_want(l, n, YAML_MAPPING_NODE, what)) {
		YMAP_EACH(l, n, k, v, pair) {
			const char *key = hr_rules_yscalar(l, k, "a key");

			if (!key)
				continue;
			if (!strcmp(key, "when") && !ch.when)
				ch.when = hr_rules_yexpr(l, v, "when");
			else if (!strcmp(key, "text") && !have_text)
				have_text = hr_rules_ytmpl(l, v, what, &ch.text);
			else
				hr_rules_lerr(l, k, "unknown key '%s' in %s (allowed: when, text)", key, what);
		}
		if (!have_text && !l->rule_bad)
			hr_rules_lerr(l, n, "%s needs text", what);
	}
	nv = have_text ? realloc(c->v, (c->n + 1) * sizeof(*nv)) : NULL;
	if (!nv) {
		hr_expr_free(ch.when);
		hr_rules_tmpl_clear(&ch.text);
		return;
	}
	c->v = nv;
	c->v[c->n++] = ch;
}

/* A template, or a list of {when, text} tried in order. */
static void load_choices(struct loader *l, yaml_node_t *n, const char *what, struct choices *c)
{
	yaml_node_t *it;

	if (n->type != YAML_SEQUENCE_NODE) {
		load_one_choice(l, n, what, c);
		return;
	}
	YSEQ_EACH(l, n, it, item)
		load_one_choice(l, it, what, c);
	if (!c->n && !l->rule_bad)
		hr_rules_lerr(l, n, "%s: an empty list", what);
}

/* Reads a scalar into *dst (a copy); a second value is an error. */
static void load_str(struct loader *l, yaml_node_t *v, const char *what, char **dst)
{
	const char *s = hr_rules_yscalar(l, v, what);

	if (s && !(*dst = strdup(s)))
		hr_rules_lerr(l, v, "out of memory");
}

/* One table column: {header, text, align}. */
static void load_column(struct loader *l, yaml_node_t *n, struct present *p)
{
	yaml_node_t *k, *v;
	size_t c = p->ncols;
	char **nh = realloc(p->headers, (c + 1) * sizeof(*nh));
	bool *nr = nh ? realloc(p->right, (c + 1) * sizeof(*nr)) : NULL;
	struct choices *nc = nr ? realloc(p->cells, (c + 1) * sizeof(*nc)) : NULL;

	if (nh)
		p->headers = nh;
	if (nr)
		p->right = nr;
	if (!nc)
		return;
	p->cells = nc;
	p->headers[c] = NULL;
	p->right[c] = false;
	memset(&p->cells[c], 0, sizeof(p->cells[c]));
	p->ncols++;
	if (!hr_rules_want(l, n, YAML_MAPPING_NODE, "a table column ({header, text, align})"))
		return;
	YMAP_EACH(l, n, k, v, pair) {
		const char *key = hr_rules_yscalar(l, k, "a key");

		if (!key)
			continue;
		if (!strcmp(key, "header")) {
			load_str(l, v, "header", &p->headers[c]);
		} else if (!strcmp(key, "text")) {
			load_choices(l, v, "a table cell", &p->cells[c]);
		} else if (!strcmp(key, "align")) {
			const char *s = hr_rules_yscalar(l, v, "align");

			if (s && strcmp(s, "left") && strcmp(s, "right"))
				hr_rules_lerr(l, v, "align must be left or right, not '%s'", s);
			p->right[c] = s && !strcmp(s, "right");
		} else {
			hr_rules_lerr(l, k, "unknown key '%s' in a table column (allowed: header, text, align)", key);
		}
	}
	if (!p->headers[c] && !l->rule_bad)
		hr_rules_lerr(l, n, "a table column needs a header (\"\" for none)");
	if (!p->cells[c].n && !l->rule_bad)
		hr_rules_lerr(l, n, "a table column needs text");
}

/* table: {id, title, rows, columns: [...]}. */
static void load_table(struct loader *l, struct rule *r, yaml_node_t *n)
{
	struct present *p = &r->present;
	yaml_node_t *k, *v, *it;

	if (!hr_rules_want(l, n, YAML_MAPPING_NODE, "table ({id, title, rows, columns})"))
		return;
	YMAP_EACH(l, n, k, v, pair) {
		const char *key = hr_rules_yscalar(l, k, "a key");

		if (!key)
			continue;
		if (!strcmp(key, "id"))
			load_str(l, v, "table id", &p->table);
		else if (!strcmp(key, "title"))
			load_str(l, v, "table title", &p->title);
		else if (!strcmp(key, "rows"))
			load_str(l, v, "table rows", &p->rows);
		else if (!strcmp(key, "columns") && hr_rules_want(l, v, YAML_SEQUENCE_NODE, "columns (a list)"))
			YSEQ_EACH(l, v, it, item)
				load_column(l, it, p);
		else if (strcmp(key, "columns"))
			hr_rules_lerr(l, k, "unknown key '%s' in table (allowed: id, title, rows, columns)", key);
	}
	if ((!p->table || !p->title || !p->ncols) && !l->rule_bad)
		hr_rules_lerr(l, n, "table of rule '%s' needs id, title and columns", r->id ? r->id : "?");
}

/* One perfdata entry: {label, metric, worst: min|max, unit}. */
static void load_perf(struct loader *l, struct rule *r, yaml_node_t *n)
{
	struct present *p = &r->present;
	struct hr_rule_perf *nv = realloc(p->perf, (p->nperf + 1) * sizeof(*nv)), *x;
	char *label = NULL, *metric = NULL, *unit = NULL;
	yaml_node_t *k, *v;
	bool is_min = true, have_worst = false;

	if (!nv)
		return;
	p->perf = nv;
	if (!hr_rules_want(l, n, YAML_MAPPING_NODE, "a perfdata entry ({label, metric, worst, unit})"))
		return;
	YMAP_EACH(l, n, k, v, pair) {
		const char *key = hr_rules_yscalar(l, k, "a key"), *s;

		if (!key)
			continue;
		if (!strcmp(key, "label")) {
			load_str(l, v, "label", &label);
		} else if (!strcmp(key, "metric")) {
			load_str(l, v, "metric", &metric);
		} else if (!strcmp(key, "unit")) {
			load_str(l, v, "unit", &unit);
		} else if (!strcmp(key, "worst")) {
			s = hr_rules_yscalar(l, v, "worst");
			if (s && strcmp(s, "min") && strcmp(s, "max"))
				hr_rules_lerr(l, v, "worst must be min (headroom, time left) or max (fill), not '%s'", s);
			is_min = !s || !strcmp(s, "min");
			have_worst = s != NULL;
		} else {
			hr_rules_lerr(l, k, "unknown key '%s' in perfdata (allowed: label, metric, worst, unit)", key);
		}
	}
	/* The plugin grammar: a label may not hold ' or =; a UOM is letters or %. */
	if (label && (!*label || strpbrk(label, "'=")))
		hr_rules_lerr(l, n, "perfdata label '%s' must be non-empty, without ' or =", label);
	else if (unit && unit[strspn(unit, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ%")])
		hr_rules_lerr(l, n, "perfdata unit '%s' must be letters or %% (s, ms, B, %%)", unit);
	else if (!label || !metric || !have_worst)
		hr_rules_lerr(l, n, "perfdata needs label, metric and worst");
	else if (!is_metric(r, metric))
		hr_rules_lerr(l, n, "perfdata metric '%s' is not a metric of rule '%s'", metric, r->id ? r->id : "?");
	if (l->rule_bad || !label || !metric) {
		free(label);
		free(metric);
		free(unit);
		return;
	}
	x = &p->perf[p->nperf++];
	x->label = label;
	x->metric = metric;
	x->unit = unit ? unit : strdup("");
	x->worst_is_min = is_min;
}

/* watch: {used, limit, rate, time_left}: metric names. */
static void load_watch(struct loader *l, struct rule *r, yaml_node_t *n)
{
	struct present *p = &r->present;
	yaml_node_t *k, *v;
	size_t i;

	if (!hr_rules_want(l, n, YAML_MAPPING_NODE, "watch ({used, limit, rate, time_left})"))
		return;
	YMAP_EACH(l, n, k, v, pair) {
		const char *key = hr_rules_yscalar(l, k, "a key"), *s;

		if (!key)
			continue;
		for (i = 0; i < HR_WATCH_ROLES && strcmp(key, role_names[i]); i++)
			;
		if (i == HR_WATCH_ROLES) {
			hr_rules_lerr(l, k, "unknown key '%s' in watch (allowed: used, limit, rate, time_left)", key);
			continue;
		}
		s = hr_rules_yscalar(l, v, key);
		if (s && !is_metric(r, s))
			hr_rules_lerr(l, v, "watch %s '%s' is not a metric of rule '%s'", key, s, r->id ? r->id : "?");
		else if (s)
			p->watch[i] = strdup(s);
	}
	for (i = 0; i < HR_WATCH_ROLES; i++)
		if (!p->watch[i]) {
			hr_rules_lerr(l, n, "watch needs %s (all of used, limit, rate, time_left)", role_names[i]);
			break;
		}
}

void hr_rules_present_load(struct loader *l, struct rule *r, yaml_node_t *n)
{
	yaml_node_t *k, *v, *it;

	if (!hr_rules_want(l, n, YAML_MAPPING_NODE, "present (headline, table, perfdata, watch)"))
		return;
	YMAP_EACH(l, n, k, v, pair) {
		const char *key = hr_rules_yscalar(l, k, "a key");

		if (!key)
			continue;
		if (!strcmp(key, "headline"))
			load_choices(l, v, "headline", &r->present.headline);
		else if (!strcmp(key, "table"))
			load_table(l, r, v);
		else if (!strcmp(key, "perfdata") && hr_rules_want(l, v, YAML_SEQUENCE_NODE, "perfdata (a list)"))
			YSEQ_EACH(l, v, it, item)
				load_perf(l, r, it);
		else if (!strcmp(key, "watch"))
			load_watch(l, r, v);
		else if (strcmp(key, "perfdata"))
			hr_rules_lerr(l, k, "unknown key '%s' in present (allowed: %s)", key, present_keys);
	}
	if (r->present.ncols && r->coll < 0 && !l->rule_bad)
		hr_rules_lerr(l, n, "a table needs a for_each rule (one row per subject)");
	if (r->present.watch[0] && r->coll < 0 && !l->rule_bad)
		hr_rules_lerr(l, n, "watch follows the subjects of a for_each rule");
}

/* ------------------------------------------------------------ public getters */

size_t hr_ruleset_perfdata(const hr_ruleset *rs, size_t i, const struct hr_rule_perf **v)
{
	if (i >= rs->nrules || rs->rules[i].broken) {
		*v = NULL;
		return 0;
	}
	*v = rs->rules[i].present.perf;
	return rs->rules[i].present.nperf;
}

bool hr_ruleset_table(const hr_ruleset *rs, size_t i, struct hr_rule_table *t)
{
	const struct present *p;

	if (i >= rs->nrules || rs->rules[i].broken || !rs->rules[i].present.ncols)
		return false;
	p = &rs->rules[i].present;
	t->id = p->table;
	t->title = p->title;
	t->rows = p->rows ? p->rows : "rows";
	t->ncols = p->ncols;
	t->headers = (const char *const *)p->headers;
	t->right = p->right;
	return true;
}

bool hr_ruleset_watch(const hr_ruleset *rs, size_t i, const char *const **names)
{
	if (i >= rs->nrules || rs->rules[i].broken || !rs->rules[i].present.watch[0])
		return false;
	*names = (const char *const *)rs->rules[i].present.watch;
	return true;
}

long hr_ruleset_index(const hr_ruleset *rs, const char *id)
{
	size_t i;

	for (i = 0; id && i < rs->nrules; i++)
		if (rs->rules[i].id && !strcmp(rs->rules[i].id, id))
			return (long)i;
	return -ENOENT;
}
