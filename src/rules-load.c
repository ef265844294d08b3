/* rules-load.c: reading one rule file: YAML (libyaml) into rule and
 * derived-fact structures, every problem located file:line:col; a rule with
 * errors is kept as a stub carrying its first error.
 * Owns: hr_ruleset_load_file, hr_rules_let_slot. May call: rules-int.h
 * (grow, find, free and path helpers of rules.c), hr_expr_parse (expr.h). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "bounds.h"
#include "rules-int.h"

/* ----------------------------------------------------------------- loading */

void hr_rules_lerr(struct loader *l, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[900];
	va_list ap;
	int line = n ? (int)n->start_mark.line + 1 : 0, col = n ? (int)n->start_mark.column + 1 : 0;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	hr_diags_add(l->d, l->file, line, col, false, "%s", msg);
	l->errors++;
	if (!l->rule_bad)
		snprintf(l->first, sizeof(l->first), "%s:%d:%d: %s", l->file, line, col, msg);
	l->rule_bad = true;
}

yaml_node_t *hr_rules_ynode(struct loader *l, int i)
{
	return yaml_document_get_node(&l->doc, i);
}

/* The text of a scalar node, or NULL (error reported naming what). */
const char *hr_rules_yscalar(struct loader *l, yaml_node_t *n, const char *what)
{
	if (n && n->type == YAML_SCALAR_NODE)
		return (const char *)n->data.scalar.value;
	hr_rules_lerr(l, n, "%s must be a single value (a string), not a %s", what,
	     n && n->type == YAML_MAPPING_NODE ? "mapping" : "list");
	return NULL;
}

/* Where the text of a scalar starts: quoted scalars start after the quote;
 * block scalars (| >) on the next line. */
static void ypos(const yaml_node_t *n, int *line, int *col)
{
	*line = (int)n->start_mark.line + 1;
	*col = (int)n->start_mark.column + 1;
	if (n->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
	    n->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE)
		(*col)++;
	else if (n->data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
		 n->data.scalar.style == YAML_FOLDED_SCALAR_STYLE)
		(*line)++;
}

/* Counts one more expression of the rule set; false (the rule is bad, the
 * bound said once per file) beyond HR_RULES_MAX_EXPRS. */
static bool expr_room(struct loader *l, int line, int col)
{
	if (l->rs->nexprs < HR_RULES_MAX_EXPRS) {
		l->rs->nexprs++;
		return true;
	}
	if (!l->full)
		hr_diags_add(l->d, l->file, line, col, false,
			     "more than %d expressions and placeholders in the rule set (the bound, src/bounds.h); "
			     "the rules from here on are not loaded", HR_RULES_MAX_EXPRS);
	l->full = true;
	l->errors++;
	if (!l->rule_bad)
		snprintf(l->first, sizeof(l->first), "%s:%d:%d: over the bound of expressions in a rule set",
			 l->file, line, col);
	l->rule_bad = true;
	return false;
}

/* Parses the expression in a scalar node. */
hr_expr *hr_rules_yexpr(struct loader *l, yaml_node_t *n, const char *what)
{
	const char *s = hr_rules_yscalar(l, n, what);
	int line, col;
	size_t before = l->d ? l->d->n : 0;
	hr_expr *e;

	if (!s)
		return NULL;
	ypos(n, &line, &col);
	if (!expr_room(l, line, col))
		return NULL;
	e = hr_expr_parse(s, l->file, line, col, l->d);
	if (!e) {
		l->errors++;
		if (!l->rule_bad && l->d && l->d->n > before)
			snprintf(l->first, sizeof(l->first), "%s:%d:%d: %s", l->file, l->d->v[before].line,
				 l->d->v[before].col, l->d->v[before].msg);
		else if (!l->rule_bad)
			snprintf(l->first, sizeof(l->first), "%s:%d:%d: bad expression", l->file, line, col);
		l->rule_bad = true;
	}
	return e;
}

/* Parses a template: literal text with {EXPR} or {EXPR:FMT}; {{ and }} are braces. */
bool hr_rules_ytmpl(struct loader *l, yaml_node_t *n, const char *what, struct tmpl *t)
{
	const char *s = hr_rules_yscalar(l, n, what), *p;
	int line, col;

	memset(t, 0, sizeof(*t));
	if (!s)
		return false;
	ypos(n, &line, &col);
	t->src = strdup(s);
	p = s;
	while (*p) {
		struct tpart part = {NULL, NULL, FMT_DEFAULT};
		struct tpart *np;
		const char *q;

		if (*p == '{' && p[1] != '{') {
			char *body, *colon;
			size_t before = l->d ? l->d->n : 0;
			bool instr = false;

			for (q = p + 1; *q && (instr || *q != '}'); q++)
				if (*q == '"' && q[-1] != '\\')
					instr = !instr;
			if (!*q) {
				hr_diags_add(l->d, l->file, line, col + (int)(p - s), false,
					     "'{' without '}' in %s (write '{{' for a literal brace)", what);
				l->errors++;
				l->rule_bad = true;
				snprintf(l->first, sizeof(l->first), "%s:%d:%d: unclosed '{' in %s", l->file, line,
					 col + (int)(p - s), what);
				hr_rules_tmpl_clear(t);
				return false;
			}
			if (!expr_room(l, line, col + (int)(p - s))) {
				hr_rules_tmpl_clear(t);
				return false;
			}
			body = strndup(p + 1, (size_t)(q - p - 1));
			colon = body ? strrchr(body, ':') : NULL;
			if (colon) {
				size_t k;

				for (k = 1; k < HR_ARRAY_SIZE(hr_rules_fmt_names); k++)
					if (!strcmp(hr_strtrim(colon + 1), hr_rules_fmt_names[k])) {
						part.fmt = (int)k;
						*colon = '\0';
					}
			}
			part.e = body ? hr_expr_parse(body, l->file, line, col + (int)(p - s) + 1, l->d) : NULL;
			free(body);
			if (!part.e) {
				l->errors++;
				if (!l->rule_bad && l->d && l->d->n > before)
					snprintf(l->first, sizeof(l->first), "%s:%d:%d: %s", l->file,
						 l->d->v[before].line, l->d->v[before].col, l->d->v[before].msg);
				l->rule_bad = true;
				hr_rules_tmpl_clear(t);
				return false;
			}
			p = q + 1;
		} else {
			char *buf = malloc(strlen(p) + 1);
			size_t o = 0;

			if (!buf) {
				hr_rules_tmpl_clear(t);
				return false;
			}
			while (*p) {
				if ((*p == '{' && p[1] == '{') || (*p == '}' && p[1] == '}')) {
					buf[o++] = *p;
					p += 2;
				} else if (*p == '{') {
					break;
				} else {
					buf[o++] = *p++;
				}
			}
			buf[o] = '\0';
			part.lit = buf;
		}
		np = realloc(t->p, (t->n + 1) * sizeof(*np));
		if (!np) {
			free(part.lit);
			hr_expr_free(part.e);
			hr_rules_tmpl_clear(t);
			return false;
		}
		t->p = np;
		t->p[t->n++] = part;
	}
	return true;
}

static bool valid_id(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '.' && *s != '-')
			return false;
	return true;
}

/* Let and derived names: [a-z_][a-z0-9_]* (derived may have dots). */
static bool valid_name(const char *s, bool dots)
{
	if (!*s || (!islower((unsigned char)*s) && *s != '_'))
		return false;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '_' &&
		    !(dots && *s == '.'))
			return false;
	return true;
}

int hr_rules_let_slot(const struct rule *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nlets; i++)
		if (!strcmp(r->lets[i].name, name))
			return (int)i;
	return -1;
}

/* True (error reported) when the key of pair was already given in the mapping:
 * libyaml accepts duplicate keys, and the second would silently win. */
bool hr_rules_ydup(struct loader *l, yaml_node_t *map, yaml_node_pair_t *pair)
{
	yaml_node_t *k = hr_rules_ynode(l, pair->key), *k0;
	yaml_node_pair_t *p;

	if (!k || k->type != YAML_SCALAR_NODE)
		return false;
	for (p = map->data.mapping.pairs.start; p < pair; p++) {
		k0 = hr_rules_ynode(l, p->key);
		if (k0 && k0->type == YAML_SCALAR_NODE && !strcmp((char *)k0->data.scalar.value, (char *)k->data.scalar.value)) {
			hr_rules_lerr(l, k, "'%s' given twice (first at line %d)", (char *)k->data.scalar.value,
			     (int)k0->start_mark.line + 1);
			return true;
		}
	}
	return false;
}

bool hr_rules_want(struct loader *l, yaml_node_t *n, yaml_node_type_t t, const char *what)
{
	static const char *const words[] = {"nothing", "a single value", "a list", "a mapping"};

	if (n && n->type == t)
		return true;
	hr_rules_lerr(l, n, "%s must be %s", what, words[t]);
	return false;
}

static void load_fix(struct loader *l, struct rule *r, yaml_node_t *n, struct fix *fx)
{
	yaml_node_t *k, *v, *k2, *v2;
	bool have_text = false;

	memset(fx, 0, sizeof(*fx));
	if (!hr_rules_want(l, n, YAML_MAPPING_NODE, "a fix"))
		return;
	YMAP_EACH(l, n, k, v, pair) {
		const char *key = hr_rules_yscalar(l, k, "a key");

		if (!key)
			continue;
		if (!strcmp(key, "kind")) {
			const char *s = hr_rules_yscalar(l, v, "kind");

			if (s && strcmp(s, "application") && strcmp(s, "sysctl"))
				hr_rules_lerr(l, v, "fix kind must be application or sysctl, not '%s'", s);
			else if (s)
				fx->kind = strdup(s);
		} else if (!strcmp(key, "when")) {
			fx->when = hr_rules_yexpr(l, v, "when");
		} else if (!strcmp(key, "text")) {
			have_text = hr_rules_ytmpl(l, v, "text", &fx->text);
		} else if (!strcmp(key, "set")) {
			if (!hr_rules_want(l, v, YAML_MAPPING_NODE, "set (sysctl: value)"))
				continue;
			YMAP_EACH(l, v, k2, v2, p2) {
				const char *sk = hr_rules_yscalar(l, k2, "a sysctl key");
				struct setting *ns;

				if (!sk)
					continue;
				if (!hr_facts_name_known(sk) || strncmp(sk, "net.", 4)) {
					if (strncmp(sk, "kernel.", 7) && strncmp(sk, "vm.", 3) &&
					    strncmp(sk, "fs.", 3)) {
						hr_rules_lerr(l, k2, "'%s' is not a sysctl key (dotted, like net.ipv4.tcp_tw_reuse)", sk);
						continue;
					}
				}
				ns = realloc(fx->set, (fx->nset + 1) * sizeof(*ns));
				if (!ns)
					continue;
				fx->set = ns;
				ns[fx->nset].key = strdup(sk);
				if (hr_rules_ytmpl(l, v2, "a set value", &ns[fx->nset].val))
					fx->nset++;
				else
					free(ns[fx->nset].key);
			}
		} else if (!strcmp(key, "let")) {
			if (!hr_rules_want(l, v, YAML_MAPPING_NODE, "a fix's let (name: expression)"))
				continue;
			YMAP_EACH(l, v, k2, v2, p3) {
				const char *name = hr_rules_yscalar(l, k2, "a let name");
				int slot = name ? hr_rules_let_slot(r, name) : -1;
				struct letover *no;
				hr_expr *e;

				if (!name)
					continue;
				if (slot < 0) {
					hr_rules_lerr(l, k2, "fix overrides '%s', which is not a let name of rule '%s'", name,
					     r->id ? r->id : "?");
					continue;
				}
				e = hr_rules_yexpr(l, v2, "a let override");
				no = e ? realloc(fx->lets, (fx->nlets + 1) * sizeof(*no)) : NULL;
				if (!no) {
					hr_expr_free(e);
					continue;
				}
				fx->lets = no;
				no[fx->nlets].slot = slot;
				no[fx->nlets++].e = e;
			}
		} else {
			hr_rules_lerr(l, k, "unknown key '%s' in a fix (allowed: kind, when, set, text, let)", key);
		}
	}
	if (!fx->kind && !l->rule_bad)
		hr_rules_lerr(l, n, "a fix needs kind: application or sysctl");
	else if (fx->kind && !strcmp(fx->kind, "sysctl") && !fx->nset && !l->rule_bad)
		hr_rules_lerr(l, n, "a sysctl fix needs set: {key: value}");
	else if (fx->kind && !strcmp(fx->kind, "application") && fx->nset)
		hr_rules_lerr(l, n, "an application fix cannot set sysctls (use kind: sysctl)");
	if (!have_text && !l->rule_bad)
		hr_rules_lerr(l, n, "a fix needs text");
}

static const char *const rule_keys =
	"id, title, area, description, for_each, needs, when, let, metrics, headroom_metric, "
	"severity, message, fixes, references, present";

/* Reads one rule mapping into r. Errors mark l->rule_bad. */
static void load_rule(struct loader *l, yaml_node_t *n, struct rule *r)
{
	yaml_node_t *k, *v, *k2, *v2, *it;
	yaml_node_t *metrics = NULL, *headroom = NULL, *fixes = NULL, *present = NULL;
	bool have_sev = false;

	r->coll = -1;
	r->headroom = -1;
	r->line = (int)n->start_mark.line + 1;
	r->col = (int)n->start_mark.column + 1;
	if (!hr_rules_want(l, n, YAML_MAPPING_NODE, "a rule"))
		return;
	/* id first, so every later message can name the rule. */
	YMAP_SCAN(l, n, k, v, pair0) {
		if (k->type == YAML_SCALAR_NODE && !strcmp((char *)k->data.scalar.value, "id")) {
			const char *s = hr_rules_yscalar(l, v, "id");

			if (r->id)
				hr_rules_lerr(l, k, "duplicate key 'id'");
			else if (s && !valid_id(s))
				hr_rules_lerr(l, v, "rule id '%s' must be lower-case letters, digits, '.' and '-'", s);
			else if (s)
				r->id = strdup(s);
		}
	}
	if (!r->id && !l->rule_bad)
		hr_rules_lerr(l, n, "a rule needs an id");
	YMAP_EACH(l, n, k, v, pair) {
		const char *key = hr_rules_yscalar(l, k, "a key");

		if (!key || !strcmp(key, "id"))
			continue;
		if (!strcmp(key, "title") || !strcmp(key, "area") || !strcmp(key, "description")) {
			const char *s = hr_rules_yscalar(l, v, key);
			char **dst = key[0] == 't' ? &r->title : key[0] == 'a' ? &r->area : &r->description;

			if (s)
				*dst = strdup(s);
		} else if (!strcmp(key, "for_each")) {
			const char *s = hr_rules_yscalar(l, v, "for_each");

			if (s && (r->coll = hr_coll_from_name(s)) < 0)
				hr_rules_lerr(l, v, "for_each must be destinations, listeners, listening_ports, snat_tuples, counters or connect_failures, not '%s'", s);
		} else if (!strcmp(key, "needs")) {
			if (v->type == YAML_SCALAR_NODE) {
				hr_rules_lerr(l, v, "needs must be a list: [fact, ...]");
				continue;
			}
			if (!hr_rules_want(l, v, YAML_SEQUENCE_NODE, "needs"))
				continue;
			YSEQ_EACH(l, v, it, item) {
				hr_expr *e = hr_rules_yexpr(l, it, "a needs entry");
				hr_expr **nv;

				if (e && !hr_expr_is_name(e, NULL)) {
					hr_rules_lerr(l, it, "needs lists fact names, not expressions");
					hr_expr_free(e);
					continue;
				}
				nv = e ? realloc(r->needs, (r->nneeds + 1) * sizeof(*nv)) : NULL;
				if (!nv) {
					hr_expr_free(e);
					continue;
				}
				r->needs = nv;
				r->needs[r->nneeds++] = e;
			}
		} else if (!strcmp(key, "when")) {
			r->when = hr_rules_yexpr(l, v, "when");
		} else if (!strcmp(key, "let")) {
			if (!hr_rules_want(l, v, YAML_MAPPING_NODE, "let (name: expression, in order)"))
				continue;
			YMAP_EACH(l, v, k2, v2, p2) {
				const char *name = hr_rules_yscalar(l, k2, "a let name");
				struct let *nl;

				if (!name)
					continue;
				if (!valid_name(name, false)) {
					hr_rules_lerr(l, k2, "let name '%s' must be lower-case letters, digits and '_'", name);
					continue;
				}
				if (hr_rules_let_slot(r, name) >= 0) {
					hr_rules_lerr(l, k2, "let name '%s' defined twice in rule '%s'", name, r->id ? r->id : "?");
					continue;
				}
				nl = realloc(r->lets, (r->nlets + 1) * sizeof(*nl));
				if (!nl)
					continue;
				r->lets = nl;
				nl[r->nlets].name = strdup(name);
				nl[r->nlets].e = hr_rules_yexpr(l, v2, "a let value");
				nl[r->nlets].stype = HR_S_ANY;
				r->nlets++;
			}
		} else if (!strcmp(key, "metrics")) {
			metrics = v;
		} else if (!strcmp(key, "headroom_metric")) {
			headroom = v;
		} else if (!strcmp(key, "severity")) {
			have_sev = true;
			if (!hr_rules_want(l, v, YAML_MAPPING_NODE, "severity (critical/warning/info: condition)"))
				continue;
			YMAP_EACH(l, v, k2, v2, p3) {
				const char *lv = hr_rules_yscalar(l, k2, "a severity");
				int s;

				if (!lv)
					continue;
				for (s = HR_SEV_INFO; s <= HR_SEV_CRITICAL; s++)
					if (!strcmp(lv, hr_sev_names[s]))
						break;
				if (s > HR_SEV_CRITICAL) {
					hr_rules_lerr(l, k2, "unknown severity '%s' (critical, warning or info)", lv);
					continue;
				}
				if (r->sev[s]) {
					hr_rules_lerr(l, k2, "severity '%s' given twice", lv);
					continue;
				}
				r->sev[s] = hr_rules_yexpr(l, v2, "a severity condition");
			}
		} else if (!strcmp(key, "message")) {
			hr_rules_ytmpl(l, v, "message", &r->message);
		} else if (!strcmp(key, "fixes")) {
			fixes = v;
		} else if (!strcmp(key, "present")) {
			present = v;
		} else if (!strcmp(key, "references")) {
			if (!hr_rules_want(l, v, YAML_SEQUENCE_NODE, "references"))
				continue;
			YSEQ_EACH(l, v, it, item2) {
				const char *s = hr_rules_yscalar(l, it, "a reference");
				char **nv = s ? realloc(r->refs, (r->nrefs + 1) * sizeof(*nv)) : NULL;

				if (!nv)
					continue;
				r->refs = nv;
				r->refs[r->nrefs++] = strdup(s);
			}
		} else {
			hr_rules_lerr(l, k, "unknown key '%s' in rule '%s' (allowed: %s)", key, r->id ? r->id : "?",
			     rule_keys);
		}
	}
	if (!r->title && r->id)
		hr_rules_lerr(l, n, "rule '%s' needs a title", r->id);
	if (!have_sev && r->id)
		hr_rules_lerr(l, n, "rule '%s' needs at least one severity condition", r->id);
	if (!r->area)
		r->area = strdup(l->area);
	if (metrics && hr_rules_want(l, metrics, YAML_SEQUENCE_NODE, "metrics (a list of let names)")) {
		YSEQ_EACH(l, metrics, it, item3) {
			const char *s = hr_rules_yscalar(l, it, "a metric");
			int slot = s ? hr_rules_let_slot(r, s) : -1;
			int *nm;

			if (s && slot < 0) {
				hr_rules_lerr(l, it, "metric '%s' is not a let name of rule '%s'", s, r->id ? r->id : "?");
				continue;
			}
			nm = s ? realloc(r->metrics, (r->nmetrics + 1) * sizeof(*nm)) : NULL;
			if (!nm)
				continue;
			r->metrics = nm;
			nm[r->nmetrics++] = slot;
		}
	} else if (!metrics && r->nlets) {
		size_t i;

		r->metrics = malloc(r->nlets * sizeof(*r->metrics));
		for (i = 0; r->metrics && i < r->nlets; i++)
			r->metrics[r->nmetrics++] = (int)i;
	}
	if (headroom) {
		const char *s = hr_rules_yscalar(l, headroom, "headroom_metric");

		if (s && (r->headroom = hr_rules_let_slot(r, s)) < 0)
			hr_rules_lerr(l, headroom, "headroom_metric '%s' is not a let name of rule '%s'", s,
			     r->id ? r->id : "?");
	}
	if (fixes && hr_rules_want(l, fixes, YAML_SEQUENCE_NODE, "fixes (a list)")) {
		YSEQ_EACH(l, fixes, it, item4) {
			struct fix *nf = realloc(r->fixes, (r->nfixes + 1) * sizeof(*nf));

			if (!nf)
				continue;
			r->fixes = nf;
			load_fix(l, r, it, &nf[r->nfixes++]);
		}
	}
	/* After the metrics: what it shows must be among them. */
	if (present)
		hr_rules_present_load(l, r, present);
}

static void load_derived(struct loader *l, yaml_node_t *n)
{
	yaml_node_t *k, *v;

	if (!hr_rules_want(l, n, YAML_MAPPING_NODE, "derived (name: expression)"))
		return;
	YMAP_EACH(l, n, k, v, pair) {
		const char *name = hr_rules_yscalar(l, k, "a derived name");
		struct derived *old, *nd;
		hr_expr *e;

		l->rule_bad = false;
		if (!name)
			continue;
		if (!valid_name(name, true)) {
			hr_rules_lerr(l, k, "derived name '%s' must be lower-case letters, digits, '_' and '.'", name);
			continue;
		}
		if (hr_facts_name_known(name) || !strcmp(name, "kernel")) {
			hr_rules_lerr(l, k, "derived name '%s' would hide a fact of the same name", name);
			continue;
		}
		if ((old = hr_rules_find_derived(l->rs, name))) {
			hr_rules_lerr(l, k, "derived fact '%s' defined twice (first at %s:%d:%d)", name, old->file,
			     old->line, old->col);
			continue;
		}
		e = hr_rules_yexpr(l, v, "a derived expression");
		if (!e)
			continue;
		nd = hr_rules_grow(l->rs->der, &l->rs->capder, l->rs->nder + 1, sizeof(*nd));
		if (!nd) {
			hr_expr_free(e);
			continue;
		}
		l->rs->der = nd;
		nd = &nd[l->rs->nder++];
		memset(nd, 0, sizeof(*nd));
		nd->name = strdup(name);
		nd->file = strdup(l->file);
		nd->line = (int)k->start_mark.line + 1;
		nd->col = (int)k->start_mark.column + 1;
		nd->e = e;
	}
	l->rule_bad = false;
}

static void load_rules(struct loader *l, yaml_node_t *n)
{
	yaml_node_t *it;

	if (!hr_rules_want(l, n, YAML_SEQUENCE_NODE, "rules (a list of rules)"))
		return;
	YSEQ_EACH(l, n, it, item) {
		struct rule r, *old, *nr;

		if (l->rs->nrules >= HR_RULES_MAX) {
			hr_rules_lerr(l, it, "more than %d rules in the rule set (the bound); this rule and the rest "
				    "of the file not read", HR_RULES_MAX);
			break;
		}
		memset(&r, 0, sizeof(r));
		l->rule_bad = false;
		l->first[0] = '\0';
		load_rule(l, it, &r);
		if (r.id && (old = hr_rules_find_rule(l->rs, r.id))) {
			hr_rules_lerr(l, it, "duplicate rule id '%s' (first defined at %s:%d:%d)", r.id, old->file,
			     old->line, old->col);
			hr_rules_rule_clear(&r);
			continue;
		}
		if (!r.id) { /* nothing to report it under */
			hr_rules_rule_clear(&r);
			continue;
		}
		r.file = strdup(l->file);
		if (l->rule_bad)
			r.broken = strdup(l->first);
		nr = hr_rules_grow(l->rs->rules, &l->rs->caprules, l->rs->nrules + 1, sizeof(*nr));
		if (!nr) {
			hr_rules_rule_clear(&r);
			continue;
		}
		l->rs->rules = nr;
		nr[l->rs->nrules++] = r;
	}
	l->rule_bad = false;
}

int hr_ruleset_load_file(hr_ruleset *rs, const char *path, struct hr_diags *d)
{
	struct loader l;
	yaml_parser_t parser;
	yaml_node_t *root, *k, *v;
	char *text = NULL;
	void *cached = NULL;
	size_t len = 0;
	const char *base;
	int rc, dl, dc;

	memset(&l, 0, sizeof(l));
	l.rs = rs;
	l.file = path;
	l.d = d;
	if (hr_rules_path_in(rs->loaded, rs->nloaded, path))
		return 0; /* the same file twice (a directory given twice): once is enough */
	rs->checked = false;
	{
		struct hr_err e = {0};

		rc = hr_input_trusted(path, "rule file", &e);
		if (rc < 0) {
			hr_diags_add(d, path, 0, 0, false, "%s", e.msg);
			return rc;
		}
	}
	if (rs->nfiles >= HR_RULES_MAX_FILES) {
		hr_diags_add(d, path, 0, 0, false, "more than %d rule files in the rule set (the bound); not read",
			     HR_RULES_MAX_FILES);
		return -E2BIG;
	}
	rc = hr_read_file_max(path, HR_RULES_MAX_FILE, &text, &len);
	if (rc == -EFBIG) {
		hr_diags_add(d, path, 0, 0, false, "larger than %d MiB (the bound of a rule file); not read",
			     HR_RULES_MAX_FILE >> 20);
		return rc;
	}
	if (rc < 0) {
		hr_diags_add(d, path, 0, 0, false, "cannot read: %s", hr_strerror(rc));
		return rc;
	}
	if (rs->nbytes + len > HR_RULES_MAX_TOTAL) {
		hr_diags_add(d, path, 0, 0, false,
			     "the rule files together would be larger than %d MiB (the bound of a rule set); not read",
			     HR_RULES_MAX_TOTAL >> 20);
		free(text);
		return -EFBIG;
	}
	rs->nfiles++;
	rs->nbytes += len;
	base = strrchr(path, '/');
	l.area = strdup(base ? base + 1 : path);
	if (l.area && strchr(l.area, '.'))
		*strchr(l.area, '.') = '\0';
	/* A file that loaded cleanly before is not scanned again (no parser:
	 * yaml_parser_delete of a zeroed one frees nothing). */
	memset(&parser, 0, sizeof(parser));
	if (!hr_rules_cache_get(path, text, len, &l.doc, &cached) && !yaml_parser_initialize(&parser)) {
		free(text);
		free(l.area);
		return -ENOMEM;
	}
	if (!cached)
		yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	/* One pass: the nesting bound is checked as the document is built. */
	rc = cached ? 1 : hr_yaml_load(&parser, &l.doc, HR_YAML_MAX_DEPTH, &dl, &dc);
	if (rc == -E2BIG)
		hr_diags_add(d, path, dl, dc, false, "nested deeper than %d levels (the bound of a rule file); not read",
			     HR_YAML_MAX_DEPTH);
	if (rc == 0) {
		char ctx[200] = "";

		if (parser.context)
			snprintf(ctx, sizeof(ctx), " (%s at %d:%d)", parser.context,
				 (int)parser.context_mark.line + 1, (int)parser.context_mark.column + 1);
		hr_diags_add(d, path, (int)parser.problem_mark.line + 1, (int)parser.problem_mark.column + 1,
			     false, "bad YAML: %s%s", parser.problem ? parser.problem : "syntax error", ctx);
	}
	if (rc != 1) {
		yaml_parser_delete(&parser);
		free(text);
		free(l.area);
		return rc == 0 || rc == -E2BIG ? -EBADMSG : rc;
	}
	hr_rules_path_add(&rs->loaded, &rs->nloaded, &rs->caploaded, path);
	root = yaml_document_get_root_node(&l.doc);
	if (root && root->type == YAML_MAPPING_NODE) {
		YMAP_EACH(&l, root, k, v, pair) {
			const char *key = hr_rules_yscalar(&l, k, "a top-level key");

			if (!key)
				continue;
			if (!strcmp(key, "derived"))
				load_derived(&l, v);
			else if (!strcmp(key, "rules"))
				load_rules(&l, v);
			else if (!strcmp(key, "counters"))
				hr_rules_counters_load(&l, v);
			else if (!strcmp(key, "managers"))
				hr_rules_managers_load(&l, v);
			else
				hr_rules_lerr(&l, k, "unknown top-level key '%s' (allowed: derived, rules, counters, managers)",
					      key);
			l.rule_bad = false;
		}
	} else if (root && !(root->type == YAML_SCALAR_NODE && !root->data.scalar.length)) {
		hr_rules_lerr(&l, root, "a rule file is a mapping with 'derived' and 'rules'");
	}
	/* A second document would be ignored silently: refuse it. */
	if (!cached) {
		yaml_document_t extra;

		if (yaml_parser_load(&parser, &extra)) {
			if (yaml_document_get_root_node(&extra))
				hr_diags_add(d, path, 0, 0, false, "more than one YAML document (only the first is read)"),
					l.errors++;
			yaml_document_delete(&extra);
		}
	}
	if (cached) {
		hr_rules_cache_free(&l.doc, cached);
	} else {
		if (!l.errors)
			hr_rules_cache_put(path, text, len, &l.doc);
		yaml_document_delete(&l.doc);
	}
	yaml_parser_delete(&parser);
	free(text);
	free(l.area);
	return l.errors ? -EBADMSG : 0;
}
