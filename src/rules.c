/* rules.c: the rules engine: loads rule files (YAML via libyaml, every
 * problem located file:line:col), binds every expression once, and
 * evaluates rules per subject into findings, with fix what-ifs computed by
 * re-evaluating the rule over a sysctl overlay (the caller's facts are
 * never changed). Contract: docs/RULES-FORMAT.md, src/rules.h. */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "expr.h"
#include "render.h"
#include "rules.h"

/* ------------------------------------------------------------ diagnostics */

void hr_diags_add(struct hr_diags *d, const char *file, int line, int col, bool warning,
		  const char *fmt, ...)
{
	struct hr_diag *nv;
	char msg[1024];
	va_list ap;

	if (!d)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	nv = realloc(d->v, (d->n + 1) * sizeof(*nv));
	if (!nv)
		return;
	d->v = nv;
	nv[d->n].file = strdup(file ? file : "");
	nv[d->n].line = line;
	nv[d->n].col = col;
	nv[d->n].warning = warning;
	nv[d->n].msg = strdup(msg);
	d->n++;
}

size_t hr_diags_errors(const struct hr_diags *d)
{
	size_t i, n = 0;

	for (i = 0; d && i < d->n; i++)
		n += !d->v[i].warning;
	return n;
}

void hr_diags_print(FILE *out, const struct hr_diags *d)
{
	size_t i;

	for (i = 0; d && i < d->n; i++) {
		const struct hr_diag *g = &d->v[i];

		if (g->line > 0)
			fprintf(out, "%s:%d:%d: %s: %s\n", g->file, g->line, g->col,
				g->warning ? "warning" : "error", g->msg ? g->msg : "");
		else
			fprintf(out, "%s: %s: %s\n", g->file, g->warning ? "warning" : "error",
				g->msg ? g->msg : "");
	}
}

void hr_diags_free(struct hr_diags *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].msg);
	}
	free(d->v);
	d->v = NULL;
	d->n = 0;
}

/* ------------------------------------------------------------- structures */

/* Name kinds the resolver gives the expression binder. */
enum { K_FACT = 1, K_ITEM, K_LET, K_DERIVED, K_KERNEL };

enum fmt { FMT_DEFAULT, FMT_INT, FMT_1F, FMT_2F, FMT_3F, FMT_PCT, FMT_DURATION, FMT_RAW };
static const char *const fmt_names[] = {"", "int", "1f", "2f", "3f", "pct", "duration", "raw"};

enum { SEV_OK, SEV_INFO, SEV_WARNING, SEV_CRITICAL };
static const char *const sev_names[] = {"ok", "info", "warning", "critical"};

/* A template: literal text and {EXPR:FMT} parts. */
struct tpart {
	char *lit;  /* literal text, or NULL for an expression part */
	hr_expr *e;
	int fmt;
};
struct tmpl {
	char *src;
	struct tpart *p;
	size_t n;
};

struct let {
	char *name;
	hr_expr *e;
	int stype;
};

struct setting {
	char *key;
	struct tmpl val;
};

struct letover {
	int slot;
	hr_expr *e;
};

struct fix {
	char *kind;
	hr_expr *when;
	struct setting *set;
	size_t nset;
	struct tmpl text;
	struct letover *lets;
	size_t nlets;
};

struct rule {
	char *id, *title, *area, *description, *file;
	int line, col;
	int coll; /* enum hr_coll, or -1 */
	hr_expr **needs;
	size_t nneeds;
	hr_expr *when;
	struct let *lets;
	size_t nlets;
	int *metrics; /* let slots */
	size_t nmetrics;
	int headroom; /* let slot, or -1 */
	hr_expr *sev[4]; /* indexed by SEV_*; [SEV_OK] unused */
	struct tmpl message;
	struct fix *fixes;
	size_t nfixes;
	char **refs;
	size_t nrefs;
	char *broken; /* non-NULL: first error; the rule is reported, not evaluated */
	bool bound;   /* names bound by hr_ruleset_check */
};

struct derived {
	char *name, *file;
	int line, col;
	hr_expr *e;
	int stype;
	int state;      /* cycle search: 0 new, 1 on the path, 2 done */
	unsigned colls; /* collections whose item fields it needs (transitively) */
	bool bad;
	bool bound;
};

/* A scalar fact referenced somewhere: one cache slot each. */
struct fref {
	char *name;
};

#define NIDX 9 /* cached indexes per fact: whole value and [0] .. [7] */

struct hr_ruleset {
	struct rule *rules;
	size_t nrules, caprules;
	struct derived *der;
	size_t nder, capder;
	char **facts; /* scalar fact slots */
	size_t nfacts, capfacts;
	char **items; /* item field slots */
	size_t nitems, capitems;
	char **loaded; /* real paths of the files loaded (each file once) */
	size_t nloaded, caploaded;
	char **excluded; /* real paths hr_ruleset_load_dir leaves out */
	size_t nexcluded, capexcluded;
	bool checked;
};

static void *grow(void *v, size_t *cap, size_t need, size_t size)
{
	size_t ncap = *cap ? *cap : 8;
	void *nv;

	if (need <= *cap)
		return v;
	while (ncap < need)
		ncap *= 2;
	nv = realloc(v, ncap * size);
	if (nv)
		*cap = ncap;
	return nv;
}

hr_ruleset *hr_ruleset_new(void)
{
	return calloc(1, sizeof(hr_ruleset));
}

static void tmpl_free(struct tmpl *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->p[i].lit);
		hr_expr_free(t->p[i].e);
	}
	free(t->p);
	free(t->src);
	memset(t, 0, sizeof(*t));
}

static void rule_free(struct rule *r)
{
	size_t i, j;

	free(r->id);
	free(r->title);
	free(r->area);
	free(r->description);
	free(r->file);
	for (i = 0; i < r->nneeds; i++)
		hr_expr_free(r->needs[i]);
	free(r->needs);
	hr_expr_free(r->when);
	for (i = 0; i < r->nlets; i++) {
		free(r->lets[i].name);
		hr_expr_free(r->lets[i].e);
	}
	free(r->lets);
	free(r->metrics);
	for (i = 0; i < 4; i++)
		hr_expr_free(r->sev[i]);
	tmpl_free(&r->message);
	for (i = 0; i < r->nfixes; i++) {
		struct fix *fx = &r->fixes[i];

		free(fx->kind);
		hr_expr_free(fx->when);
		for (j = 0; j < fx->nset; j++) {
			free(fx->set[j].key);
			tmpl_free(&fx->set[j].val);
		}
		free(fx->set);
		tmpl_free(&fx->text);
		for (j = 0; j < fx->nlets; j++)
			hr_expr_free(fx->lets[j].e);
		free(fx->lets);
	}
	free(r->fixes);
	for (i = 0; i < r->nrefs; i++)
		free(r->refs[i]);
	free(r->refs);
	free(r->broken);
	memset(r, 0, sizeof(*r));
}

void hr_ruleset_free(hr_ruleset *rs)
{
	size_t i;

	if (!rs)
		return;
	for (i = 0; i < rs->nrules; i++)
		rule_free(&rs->rules[i]);
	free(rs->rules);
	for (i = 0; i < rs->nder; i++) {
		free(rs->der[i].name);
		free(rs->der[i].file);
		hr_expr_free(rs->der[i].e);
	}
	free(rs->der);
	for (i = 0; i < rs->nfacts; i++)
		free(rs->facts[i]);
	free(rs->facts);
	for (i = 0; i < rs->nitems; i++)
		free(rs->items[i]);
	free(rs->items);
	for (i = 0; i < rs->nloaded; i++)
		free(rs->loaded[i]);
	free(rs->loaded);
	for (i = 0; i < rs->nexcluded; i++)
		free(rs->excluded[i]);
	free(rs->excluded);
	free(rs);
}

size_t hr_ruleset_count(const hr_ruleset *rs)
{
	return rs->nrules;
}

const char *hr_ruleset_rule_id(const hr_ruleset *rs, size_t i)
{
	return i < rs->nrules ? rs->rules[i].id : NULL;
}

const char *hr_ruleset_rule_error(const hr_ruleset *rs, size_t i)
{
	return i < rs->nrules ? rs->rules[i].broken : NULL;
}

/* ----------------------------------------------------------------- loading */

/* One file being loaded. */
struct loader {
	hr_ruleset *rs;
	yaml_document_t doc;
	const char *file;
	char *area; /* default area: the file's base name */
	struct hr_diags *d;
	size_t errors; /* errors in this file */
	bool rule_bad; /* the rule being read had an error */
	char first[1024]; /* its first error, for the stub */
};

static void lerr(struct loader *l, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void lerr(struct loader *l, const yaml_node_t *n, const char *fmt, ...)
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

static yaml_node_t *ynode(struct loader *l, int i)
{
	return yaml_document_get_node(&l->doc, i);
}

/* The text of a scalar node, or NULL (error reported naming what). */
static const char *yscalar(struct loader *l, yaml_node_t *n, const char *what)
{
	if (n && n->type == YAML_SCALAR_NODE)
		return (const char *)n->data.scalar.value;
	lerr(l, n, "%s must be a single value (a string), not a %s", what,
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

/* Parses the expression in a scalar node. */
static hr_expr *yexpr(struct loader *l, yaml_node_t *n, const char *what)
{
	const char *s = yscalar(l, n, what);
	int line, col;
	size_t before = l->d ? l->d->n : 0;
	hr_expr *e;

	if (!s)
		return NULL;
	ypos(n, &line, &col);
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
static bool ytmpl(struct loader *l, yaml_node_t *n, const char *what, struct tmpl *t)
{
	const char *s = yscalar(l, n, what), *p;
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
				tmpl_free(t);
				return false;
			}
			body = strndup(p + 1, (size_t)(q - p - 1));
			colon = body ? strrchr(body, ':') : NULL;
			if (colon) {
				size_t k;

				for (k = 1; k < HR_ARRAY_SIZE(fmt_names); k++)
					if (!strcmp(hr_strtrim(colon + 1), fmt_names[k])) {
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
				tmpl_free(t);
				return false;
			}
			p = q + 1;
		} else {
			char *buf = malloc(strlen(p) + 1);
			size_t o = 0;

			if (!buf) {
				tmpl_free(t);
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
			tmpl_free(t);
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

static int let_slot(const struct rule *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nlets; i++)
		if (!strcmp(r->lets[i].name, name))
			return (int)i;
	return -1;
}

/* True (error reported) when the key of pair was already given in the mapping:
 * libyaml accepts duplicate keys, and the second would silently win. */
static bool ydup(struct loader *l, yaml_node_t *map, yaml_node_pair_t *pair)
{
	yaml_node_t *k = ynode(l, pair->key), *k0;
	yaml_node_pair_t *p;

	if (!k || k->type != YAML_SCALAR_NODE)
		return false;
	for (p = map->data.mapping.pairs.start; p < pair; p++) {
		k0 = ynode(l, p->key);
		if (k0 && k0->type == YAML_SCALAR_NODE && !strcmp((char *)k0->data.scalar.value, (char *)k->data.scalar.value)) {
			lerr(l, k, "'%s' given twice (first at line %d)", (char *)k->data.scalar.value,
			     (int)k0->start_mark.line + 1);
			return true;
		}
	}
	return false;
}

/* Iterates the pairs of a mapping node (a duplicate key is reported and skipped). */
#define YMAP_SCAN(l, n, k, v, pair)                                                                \
	for (yaml_node_pair_t *pair = (n)->data.mapping.pairs.start;                               \
	     pair < (n)->data.mapping.pairs.top && ((k) = ynode(l, pair->key)) &&                 \
	     ((v) = ynode(l, pair->value));                                                        \
	     pair++)
#define YMAP_EACH(l, n, k, v, pair) YMAP_SCAN(l, n, k, v, pair) if (!ydup(l, n, pair))
#define YSEQ_EACH(l, n, v, item)                                                                   \
	for (yaml_node_item_t *item = (n)->data.sequence.items.start;                              \
	     item < (n)->data.sequence.items.top && ((v) = ynode(l, *item)); item++)

static bool want(struct loader *l, yaml_node_t *n, yaml_node_type_t t, const char *what)
{
	static const char *const words[] = {"nothing", "a single value", "a list", "a mapping"};

	if (n && n->type == t)
		return true;
	lerr(l, n, "%s must be %s", what, words[t]);
	return false;
}

static void load_fix(struct loader *l, struct rule *r, yaml_node_t *n, struct fix *fx)
{
	yaml_node_t *k, *v, *k2, *v2;
	bool have_text = false;

	memset(fx, 0, sizeof(*fx));
	if (!want(l, n, YAML_MAPPING_NODE, "a fix"))
		return;
	YMAP_EACH(l, n, k, v, pair) {
		const char *key = yscalar(l, k, "a key");

		if (!key)
			continue;
		if (!strcmp(key, "kind")) {
			const char *s = yscalar(l, v, "kind");

			if (s && strcmp(s, "application") && strcmp(s, "sysctl"))
				lerr(l, v, "fix kind must be application or sysctl, not '%s'", s);
			else if (s)
				fx->kind = strdup(s);
		} else if (!strcmp(key, "when")) {
			fx->when = yexpr(l, v, "when");
		} else if (!strcmp(key, "text")) {
			have_text = ytmpl(l, v, "text", &fx->text);
		} else if (!strcmp(key, "set")) {
			if (!want(l, v, YAML_MAPPING_NODE, "set (sysctl: value)"))
				continue;
			YMAP_EACH(l, v, k2, v2, p2) {
				const char *sk = yscalar(l, k2, "a sysctl key");
				struct setting *ns;

				if (!sk)
					continue;
				if (!hr_facts_name_known(sk) || strncmp(sk, "net.", 4)) {
					if (strncmp(sk, "kernel.", 7) && strncmp(sk, "vm.", 3) &&
					    strncmp(sk, "fs.", 3)) {
						lerr(l, k2, "'%s' is not a sysctl key (dotted, like net.ipv4.tcp_tw_reuse)", sk);
						continue;
					}
				}
				ns = realloc(fx->set, (fx->nset + 1) * sizeof(*ns));
				if (!ns)
					continue;
				fx->set = ns;
				ns[fx->nset].key = strdup(sk);
				if (ytmpl(l, v2, "a set value", &ns[fx->nset].val))
					fx->nset++;
				else
					free(ns[fx->nset].key);
			}
		} else if (!strcmp(key, "let")) {
			if (!want(l, v, YAML_MAPPING_NODE, "a fix's let (name: expression)"))
				continue;
			YMAP_EACH(l, v, k2, v2, p3) {
				const char *name = yscalar(l, k2, "a let name");
				int slot = name ? let_slot(r, name) : -1;
				struct letover *no;
				hr_expr *e;

				if (!name)
					continue;
				if (slot < 0) {
					lerr(l, k2, "fix overrides '%s', which is not a let name of rule '%s'", name,
					     r->id ? r->id : "?");
					continue;
				}
				e = yexpr(l, v2, "a let override");
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
			lerr(l, k, "unknown key '%s' in a fix (allowed: kind, when, set, text, let)", key);
		}
	}
	if (!fx->kind && !l->rule_bad)
		lerr(l, n, "a fix needs kind: application or sysctl");
	else if (fx->kind && !strcmp(fx->kind, "sysctl") && !fx->nset && !l->rule_bad)
		lerr(l, n, "a sysctl fix needs set: {key: value}");
	else if (fx->kind && !strcmp(fx->kind, "application") && fx->nset)
		lerr(l, n, "an application fix cannot set sysctls (use kind: sysctl)");
	if (!have_text && !l->rule_bad)
		lerr(l, n, "a fix needs text");
}

static const char *const rule_keys =
	"id, title, area, description, for_each, needs, when, let, metrics, headroom_metric, "
	"severity, message, fixes, references";

/* Reads one rule mapping into r. Errors mark l->rule_bad. */
static void load_rule(struct loader *l, yaml_node_t *n, struct rule *r)
{
	yaml_node_t *k, *v, *k2, *v2, *it;
	yaml_node_t *metrics = NULL, *headroom = NULL, *fixes = NULL;
	bool have_sev = false;

	r->coll = -1;
	r->headroom = -1;
	r->line = (int)n->start_mark.line + 1;
	r->col = (int)n->start_mark.column + 1;
	if (!want(l, n, YAML_MAPPING_NODE, "a rule"))
		return;
	/* id first, so every later message can name the rule. */
	YMAP_SCAN(l, n, k, v, pair0) {
		if (k->type == YAML_SCALAR_NODE && !strcmp((char *)k->data.scalar.value, "id")) {
			const char *s = yscalar(l, v, "id");

			if (s && !valid_id(s))
				lerr(l, v, "rule id '%s' must be lower-case letters, digits, '.' and '-'", s);
			else if (s)
				r->id = strdup(s);
		}
	}
	if (!r->id && !l->rule_bad)
		lerr(l, n, "a rule needs an id");
	YMAP_EACH(l, n, k, v, pair) {
		const char *key = yscalar(l, k, "a key");

		if (!key || !strcmp(key, "id"))
			continue;
		if (!strcmp(key, "title") || !strcmp(key, "area") || !strcmp(key, "description")) {
			const char *s = yscalar(l, v, key);
			char **dst = key[0] == 't' ? &r->title : key[0] == 'a' ? &r->area : &r->description;

			if (s)
				*dst = strdup(s);
		} else if (!strcmp(key, "for_each")) {
			const char *s = yscalar(l, v, "for_each");

			if (s && (r->coll = hr_coll_from_name(s)) < 0)
				lerr(l, v, "for_each must be destinations, listeners or listening_ports, not '%s'", s);
		} else if (!strcmp(key, "needs")) {
			if (v->type == YAML_SCALAR_NODE) {
				lerr(l, v, "needs must be a list: [fact, ...]");
				continue;
			}
			if (!want(l, v, YAML_SEQUENCE_NODE, "needs"))
				continue;
			YSEQ_EACH(l, v, it, item) {
				hr_expr *e = yexpr(l, it, "a needs entry");
				hr_expr **nv;

				if (e && !hr_expr_is_name(e, NULL)) {
					lerr(l, it, "needs lists fact names, not expressions");
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
			r->when = yexpr(l, v, "when");
		} else if (!strcmp(key, "let")) {
			if (!want(l, v, YAML_MAPPING_NODE, "let (name: expression, in order)"))
				continue;
			YMAP_EACH(l, v, k2, v2, p2) {
				const char *name = yscalar(l, k2, "a let name");
				struct let *nl;

				if (!name)
					continue;
				if (!valid_name(name, false)) {
					lerr(l, k2, "let name '%s' must be lower-case letters, digits and '_'", name);
					continue;
				}
				if (let_slot(r, name) >= 0) {
					lerr(l, k2, "let name '%s' defined twice in rule '%s'", name, r->id ? r->id : "?");
					continue;
				}
				nl = realloc(r->lets, (r->nlets + 1) * sizeof(*nl));
				if (!nl)
					continue;
				r->lets = nl;
				nl[r->nlets].name = strdup(name);
				nl[r->nlets].e = yexpr(l, v2, "a let value");
				nl[r->nlets].stype = HR_S_ANY;
				r->nlets++;
			}
		} else if (!strcmp(key, "metrics")) {
			metrics = v;
		} else if (!strcmp(key, "headroom_metric")) {
			headroom = v;
		} else if (!strcmp(key, "severity")) {
			have_sev = true;
			if (!want(l, v, YAML_MAPPING_NODE, "severity (critical/warning/info: condition)"))
				continue;
			YMAP_EACH(l, v, k2, v2, p3) {
				const char *lv = yscalar(l, k2, "a severity");
				int s;

				if (!lv)
					continue;
				for (s = SEV_INFO; s <= SEV_CRITICAL; s++)
					if (!strcmp(lv, sev_names[s]))
						break;
				if (s > SEV_CRITICAL) {
					lerr(l, k2, "unknown severity '%s' (critical, warning or info)", lv);
					continue;
				}
				if (r->sev[s]) {
					lerr(l, k2, "severity '%s' given twice", lv);
					continue;
				}
				r->sev[s] = yexpr(l, v2, "a severity condition");
			}
		} else if (!strcmp(key, "message")) {
			ytmpl(l, v, "message", &r->message);
		} else if (!strcmp(key, "fixes")) {
			fixes = v;
		} else if (!strcmp(key, "references")) {
			if (!want(l, v, YAML_SEQUENCE_NODE, "references"))
				continue;
			YSEQ_EACH(l, v, it, item2) {
				const char *s = yscalar(l, it, "a reference");
				char **nv = s ? realloc(r->refs, (r->nrefs + 1) * sizeof(*nv)) : NULL;

				if (!nv)
					continue;
				r->refs = nv;
				r->refs[r->nrefs++] = strdup(s);
			}
		} else {
			lerr(l, k, "unknown key '%s' in rule '%s' (allowed: %s)", key, r->id ? r->id : "?",
			     rule_keys);
		}
	}
	if (!r->title && r->id)
		lerr(l, n, "rule '%s' needs a title", r->id);
	if (!have_sev && r->id)
		lerr(l, n, "rule '%s' needs at least one severity condition", r->id);
	if (!r->area)
		r->area = strdup(l->area);
	if (metrics && want(l, metrics, YAML_SEQUENCE_NODE, "metrics (a list of let names)")) {
		YSEQ_EACH(l, metrics, it, item3) {
			const char *s = yscalar(l, it, "a metric");
			int slot = s ? let_slot(r, s) : -1;
			int *nm;

			if (s && slot < 0) {
				lerr(l, it, "metric '%s' is not a let name of rule '%s'", s, r->id ? r->id : "?");
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
		const char *s = yscalar(l, headroom, "headroom_metric");

		if (s && (r->headroom = let_slot(r, s)) < 0)
			lerr(l, headroom, "headroom_metric '%s' is not a let name of rule '%s'", s,
			     r->id ? r->id : "?");
	}
	if (fixes && want(l, fixes, YAML_SEQUENCE_NODE, "fixes (a list)")) {
		YSEQ_EACH(l, fixes, it, item4) {
			struct fix *nf = realloc(r->fixes, (r->nfixes + 1) * sizeof(*nf));

			if (!nf)
				continue;
			r->fixes = nf;
			load_fix(l, r, it, &nf[r->nfixes++]);
		}
	}
}

static struct rule *find_rule(const hr_ruleset *rs, const char *id)
{
	size_t i;

	for (i = 0; id && i < rs->nrules; i++)
		if (rs->rules[i].id && !strcmp(rs->rules[i].id, id))
			return &rs->rules[i];
	return NULL;
}

static struct derived *find_derived(const hr_ruleset *rs, const char *name)
{
	size_t i;

	for (i = 0; i < rs->nder; i++)
		if (!strcmp(rs->der[i].name, name))
			return &rs->der[i];
	return NULL;
}

static void load_derived(struct loader *l, yaml_node_t *n)
{
	yaml_node_t *k, *v;

	if (!want(l, n, YAML_MAPPING_NODE, "derived (name: expression)"))
		return;
	YMAP_EACH(l, n, k, v, pair) {
		const char *name = yscalar(l, k, "a derived name");
		struct derived *old, *nd;
		hr_expr *e;

		l->rule_bad = false;
		if (!name)
			continue;
		if (!valid_name(name, true)) {
			lerr(l, k, "derived name '%s' must be lower-case letters, digits, '_' and '.'", name);
			continue;
		}
		if (hr_facts_name_known(name) || !strcmp(name, "kernel")) {
			lerr(l, k, "derived name '%s' would hide a fact of the same name", name);
			continue;
		}
		if ((old = find_derived(l->rs, name))) {
			lerr(l, k, "derived fact '%s' defined twice (first at %s:%d:%d)", name, old->file,
			     old->line, old->col);
			continue;
		}
		e = yexpr(l, v, "a derived expression");
		if (!e)
			continue;
		nd = grow(l->rs->der, &l->rs->capder, l->rs->nder + 1, sizeof(*nd));
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

	if (!want(l, n, YAML_SEQUENCE_NODE, "rules (a list of rules)"))
		return;
	YSEQ_EACH(l, n, it, item) {
		struct rule r, *old, *nr;

		memset(&r, 0, sizeof(r));
		l->rule_bad = false;
		l->first[0] = '\0';
		load_rule(l, it, &r);
		if (r.id && (old = find_rule(l->rs, r.id))) {
			lerr(l, it, "duplicate rule id '%s' (first defined at %s:%d:%d)", r.id, old->file,
			     old->line, old->col);
			rule_free(&r);
			continue;
		}
		if (!r.id) { /* nothing to report it under */
			rule_free(&r);
			continue;
		}
		r.file = strdup(l->file);
		if (l->rule_bad)
			r.broken = strdup(l->first);
		nr = grow(l->rs->rules, &l->rs->caprules, l->rs->nrules + 1, sizeof(*nr));
		if (!nr) {
			rule_free(&r);
			continue;
		}
		l->rs->rules = nr;
		nr[l->rs->nrules++] = r;
	}
	l->rule_bad = false;
}

/* True when path names the same file as one in the list (by real path). */
static bool path_in(char **list, size_t n, const char *path)
{
	char *rp = realpath(path, NULL);
	bool found = false;
	size_t i;

	for (i = 0; rp && i < n && !found; i++)
		found = !strcmp(list[i], rp);
	free(rp);
	return found;
}

static void path_add(char ***list, size_t *n, size_t *cap, const char *path)
{
	char *rp = realpath(path, NULL), **nv;

	if (!rp)
		return;
	nv = grow(*list, cap, *n + 1, sizeof(*nv));
	if (!nv) {
		free(rp);
		return;
	}
	*list = nv;
	nv[(*n)++] = rp;
}

void hr_ruleset_exclude(hr_ruleset *rs, const char *path)
{
	path_add(&rs->excluded, &rs->nexcluded, &rs->capexcluded, path);
}

int hr_ruleset_load_file(hr_ruleset *rs, const char *path, struct hr_diags *d)
{
	struct loader l;
	yaml_parser_t parser;
	yaml_node_t *root, *k, *v;
	char *text = NULL;
	size_t len = 0;
	const char *base;
	int rc;

	memset(&l, 0, sizeof(l));
	l.rs = rs;
	l.file = path;
	l.d = d;
	if (path_in(rs->loaded, rs->nloaded, path))
		return 0; /* the same file twice (a directory given twice): once is enough */
	rs->checked = false;
	rc = hr_read_file(path, &text, &len);
	if (rc < 0) {
		hr_diags_add(d, path, 0, 0, false, "cannot read: %s", strerror(-rc));
		return rc;
	}
	base = strrchr(path, '/');
	l.area = strdup(base ? base + 1 : path);
	if (l.area && strchr(l.area, '.'))
		*strchr(l.area, '.') = '\0';
	if (!yaml_parser_initialize(&parser)) {
		free(text);
		free(l.area);
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &l.doc)) {
		char ctx[200] = "";

		if (parser.context)
			snprintf(ctx, sizeof(ctx), " (%s at %d:%d)", parser.context,
				 (int)parser.context_mark.line + 1, (int)parser.context_mark.column + 1);
		hr_diags_add(d, path, (int)parser.problem_mark.line + 1, (int)parser.problem_mark.column + 1,
			     false, "bad YAML: %s%s", parser.problem ? parser.problem : "syntax error", ctx);
		yaml_parser_delete(&parser);
		free(text);
		free(l.area);
		return -EBADMSG;
	}
	path_add(&rs->loaded, &rs->nloaded, &rs->caploaded, path);
	root = yaml_document_get_root_node(&l.doc);
	if (root && root->type == YAML_MAPPING_NODE) {
		YMAP_EACH(&l, root, k, v, pair) {
			const char *key = yscalar(&l, k, "a top-level key");

			if (!key)
				continue;
			if (!strcmp(key, "derived"))
				load_derived(&l, v);
			else if (!strcmp(key, "rules"))
				load_rules(&l, v);
			else
				lerr(&l, k, "unknown top-level key '%s' (allowed: derived, rules)", key);
			l.rule_bad = false;
		}
	} else if (root && !(root->type == YAML_SCALAR_NODE && !root->data.scalar.length)) {
		lerr(&l, root, "a rule file is a mapping with 'derived' and 'rules'");
	}
	/* A second document would be ignored silently: refuse it. */
	{
		yaml_document_t extra;

		if (yaml_parser_load(&parser, &extra)) {
			if (yaml_document_get_root_node(&extra))
				hr_diags_add(d, path, 0, 0, false, "more than one YAML document (only the first is read)"),
					l.errors++;
			yaml_document_delete(&extra);
		}
	}
	yaml_document_delete(&l.doc);
	yaml_parser_delete(&parser);
	free(text);
	free(l.area);
	return l.errors ? -EBADMSG : 0;
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int hr_ruleset_load_dir(hr_ruleset *rs, const char *dir, struct hr_diags *d)
{
	DIR *dh = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	int rc = 0;

	if (!dh) {
		rc = -errno;
		hr_diags_add(d, dir, 0, 0, false, "cannot open rules directory: %s", strerror(-rc));
		return rc;
	}
	while ((de = readdir(dh))) {
		size_t len = strlen(de->d_name);
		char **nv;

		if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".yaml"))
			continue;
		nv = grow(names, &cap, n + 1, sizeof(*nv));
		if (!nv)
			break;
		names = nv;
		if (!(names[n] = malloc(strlen(dir) + len + 2)))
			break;
		sprintf(names[n++], "%s/%s", dir, de->d_name);
	}
	closedir(dh);
	if (n)
		qsort(names, n, sizeof(*names), cmp_strp);
	for (i = 0; i < n; i++) {
		int r = path_in(rs->excluded, rs->nexcluded, names[i]) ? 0 : hr_ruleset_load_file(rs, names[i], d);

		if (r < 0 && (!rc || r == -EBADMSG))
			rc = r;
		free(names[i]);
	}
	free(names);
	return rc;
}

int hr_ruleset_load_std(hr_ruleset *rs, bool with_default, const char *const *dirs, size_t ndirs,
			struct hr_diags *d)
{
	int rc = 0, r;
	size_t i;

	if (with_default && (r = hr_ruleset_load_dir(rs, hr_default_rules_dir(), d)) < 0)
		rc = r;
	for (i = 0; i < ndirs; i++)
		if ((r = hr_ruleset_load_dir(rs, dirs[i], d)) < 0 && !rc)
			rc = r;
	return rc;
}

/* ------------------------------------------------------------- checking */

/* Finds or adds a name in a slot table. */
static int slot_of(char ***tab, size_t *n, size_t *cap, const char *name)
{
	size_t i;
	char **nv;

	for (i = 0; i < *n; i++)
		if (!strcmp((*tab)[i], name))
			return (int)i;
	nv = grow(*tab, cap, *n + 1, sizeof(*nv));
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

static int item_coll(const char *name)
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

	if (b->r && (s = let_slot(b->r, name)) >= 0) {
		if ((size_t)s >= b->visible) {
			snprintf(msg, n, "let '%s' is used before it is defined (lets are evaluated in order)", name);
			return -1;
		}
		*kind = K_LET;
		*slot = s;
		*st = (enum hr_stype)b->r->lets[s].stype;
		goto noindex;
	}
	if ((d = find_derived(b->rs, name))) {
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
	if ((c = item_coll(name)) >= 0) {
		if (!hr_facts_item_field_known((enum hr_coll)c, name)) {
			snprintf(msg, n, "unknown field '%s' of %s", name, hr_coll_name((enum hr_coll)c));
			return -1;
		}
		if (b->r && b->r->coll != c) {
			snprintf(msg, n, "'%s' is only available in a rule with for_each: %s", name,
				 hr_coll_name((enum hr_coll)c));
			return -1;
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
		return *slot < 0 ? (snprintf(msg, n, "out of memory"), -1) : 0;
	}
	snprintf(msg, n, "unknown name '%s' (not a fact, a let name of this rule or a derived fact)", name);
	return -1;
noindex:
	if (indexed) {
		snprintf(msg, n, "'%s' cannot be indexed (only vector sysctls can)", name);
		return -1;
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
	nv = grow(r->v, &r->cap, r->n + 1, sizeof(*nv));
	if (!nv)
		return;
	r->v = nv;
	nv[r->n++] = slot;
}

/* Depth-first search for cycles; computes the collections each derived needs. */
static void derived_visit(hr_ruleset *rs, int i, int *path, int depth, struct hr_diags *d)
{
	struct derived *dv = &rs->der[i];
	struct dref refs = {rs, NULL, 0, 0};
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
	if (depth >= 1024)
		return;
	dv->state = 1;
	path[depth] = i;
	hr_expr_foreach_name(dv->e, add_dref, &refs);
	for (k = 0; k < refs.n; k++) {
		derived_visit(rs, refs.v[k], path, depth + 1, d);
		rs->der[i].colls |= rs->der[refs.v[k]].colls;
		if (rs->der[refs.v[k]].bad)
			rs->der[i].bad = true;
	}
	free(refs.v);
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
static bool rule_each_expr(hr_ruleset *rs, struct rule *r, struct hr_diags *d,
			   bool (*fn)(hr_ruleset *, struct rule *, const hr_expr *, struct hr_diags *))
{
	bool ok = true;
	size_t i, j, k;

	for (i = 0; i < r->nneeds; i++)
		ok &= fn(rs, r, r->needs[i], d);
	ok &= fn(rs, r, r->when, d);
	for (i = 0; i < r->nlets; i++)
		ok &= fn(rs, r, r->lets[i].e, d);
	for (i = 0; i < 4; i++)
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
		if (find_derived(rs, r->lets[i].name)) {
			hr_diags_add(d, r->file, r->line, r->col, false,
				     "let name '%s' of rule '%s' hides the derived fact of the same name",
				     r->lets[i].name, r->id);
			ok = false;
		}
		b.visible = i;
		ok &= bind_expr(&b, r->lets[i].e, false, "let", d, &r->lets[i].stype);
	}
	b.visible = r->nlets;
	for (i = 1; i < 4; i++)
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
	if (ok)
		ok = rule_each_expr(rs, r, d, check_rule_derived);
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

/* ------------------------------------------------------------ evaluation */

/* A sysctl set by a fix (or a what-if), checked before the facts. */
struct override {
	const char *key;
	const char *raw;
	double fields[8];
	int nfields;
	bool num;
};

#define MAX_SET 16

/* One fix as shown: text and settings filled in the base context. */
struct fixview {
	const struct fix *fx;
	char text[1024];
	char vals[MAX_SET][128];
	struct override ov[MAX_SET];
	size_t nov;
};

/* Evaluation state: one per hr_ruleset_evaluate/explain call, reused for every rule and subject. */
struct evst {
	struct hr_xctx x;
	const hr_ruleset *rs;
	const hr_facts *f;
	const struct rule *r;
	int coll;
	size_t item;
	struct hr_xval *lets; /* current let values (max lets of any rule) */
	size_t nlets_done;
	struct hr_xval *fcache; /* scalar facts: nfacts * NIDX, base facts only */
	bool *fhave;
	/* Item fields, cached across rules: numbers and conditions of every
	 * item of a collection (strings are not cached: the facts model
	 * returns them in scratch buffers). */
	struct hr_xval *iall[HR_COLL_N];
	bool *ihave[HR_COLL_N];
	struct hr_xval *dcache; /* derived facts of the current pass (or overlay) */
	uint32_t *dgen, pass, ovgen, gen; /* generations: pass and overlay ids from gen */
	const struct override *ov; /* overlay of the current fix pass */
	size_t nov;
	const struct override *base; /* what-if overlay of the whole evaluation */
	size_t nbase;
	bool ov_ports;
	int depth;
	char ovsrc[64];
	/* JSON shared by every finding of the current rule (read-only). */
	json_t *jrule, *jtitle, *jarea, *jrefs, *jsev[4];
	bool problems_only;
	struct fixview *fv; /* room for the fixes of any rule */
};

static int ev_fail(struct evst *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int ev_fail(struct evst *st, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	hr_xctx_fail(&st->x, "%s", msg);
	return -1;
}

/* Converts a facts-model value; name is the persistent name for a missing one. */
static void from_hv(const struct hr_value *hv, const char *name, struct hr_xval *out)
{
	memset(out, 0, sizeof(*out));
	out->source = hv->source;
	switch (hv->type) {
	case HR_V_NUM:
		out->t = HR_X_NUM;
		out->num = hv->num;
		break;
	case HR_V_BOOL:
		out->t = HR_X_BOOL;
		out->num = hv->num;
		break;
	case HR_V_STR:
		out->t = HR_X_STR;
		out->str = hv->str ? hv->str : "";
		break;
	default:
		out->t = HR_X_MISSING;
		out->str = name;
		out->why = hv->missing ? hv->missing : "not available";
	}
}

static const struct override *ov_find(const struct evst *st, const char *key)
{
	size_t i;

	for (i = 0; i < st->nov; i++)
		if (!strcmp(st->ov[i].key, key))
			return &st->ov[i];
	for (i = 0; i < st->nbase; i++)
		if (!strcmp(st->base[i].key, key))
			return &st->base[i];
	return NULL;
}

/* A vector/field lookup over an override's fields, with the facts' conventions. */
static int ov_value(struct evst *st, const struct override *o, const char *name, int index,
		    struct hr_xval *out)
{
	memset(out, 0, sizeof(*out));
	out->source = st->ovsrc;
	if (!o->num) {
		if (index > 0)
			return ev_fail(st, "index %d out of range for %s (1 field)", index, name);
		out->t = HR_X_STR;
		out->str = o->raw;
		return 0;
	}
	if (index < 0 && o->nfields > 1)
		return ev_fail(st, "%s is a vector of %d fields: use %s[i]", name, o->nfields, name);
	if (index >= o->nfields)
		return ev_fail(st, "index %d out of range for %s (%d fields)", index, name, o->nfields);
	out->t = HR_X_NUM;
	out->num = o->fields[index < 0 ? 0 : index];
	return 0;
}

/* ports.* and port.in_range/reserved when a fix changes the port range or
 * reserved ports: the facts model's port model (src/facts.c) recomputed
 * over the overlay. usable = range - reserved in range - listeners in range
 * that are not reserved. */
static int ov_ports(struct evst *st, const char *name, struct hr_xval *out)
{
	const struct override *r = ov_find(st, "net.ipv4.ip_local_port_range");
	const struct override *res = ov_find(st, "net.ipv4.ip_local_reserved_ports");
	struct hr_value hv;
	const char *reslist = NULL;
	long lo, hi;

	memset(out, 0, sizeof(*out));
	if (r) {
		if (!r->num || r->nfields != 2)
			return ev_fail(st, "net.ipv4.ip_local_port_range override '%s' is not two numbers", r->raw);
		lo = (long)r->fields[0];
		hi = (long)r->fields[1];
	} else {
		struct hr_value a, b;

		if (hr_facts_get(st->f, "net.ipv4.ip_local_port_range", 0, &a) < 0 ||
		    hr_facts_get(st->f, "net.ipv4.ip_local_port_range", 1, &b) < 0 || a.type != HR_V_NUM ||
		    b.type != HR_V_NUM) {
			out->t = HR_X_MISSING;
			out->str = "net.ipv4.ip_local_port_range";
			out->why = "not read";
			return 0;
		}
		lo = (long)a.num;
		hi = (long)b.num;
	}
	if (res)
		reslist = res->raw;
	else if (hr_facts_get(st->f, "net.ipv4.ip_local_reserved_ports", -1, &hv) == 0 && hv.str)
		reslist = hv.str;
	if (!strncmp(name, "port.", 5)) {
		long p;

		if (hr_facts_item_get(st->f, HR_COLL_LISTENING_PORTS, st->item, "port.number", &hv) < 0)
			return ev_fail(st, "port.number: no such field");
		p = (long)hv.num;
		out->t = HR_X_BOOL;
		out->num = !strcmp(name, "port.in_range") ? (p >= lo && p <= hi)
							   : hr_ports_reserved_in(reslist, p, p, NULL) > 0;
		out->source = st->ovsrc;
		return 0;
	}
	{
		struct hr_ports m;

		if (hr_facts_ports_model(st->f, lo, hi, reslist, &m) < 0)
			return ev_fail(st, "net.ipv4.ip_local_port_range %ld %ld is not a valid range (0..65535, low <= high)",
				       lo, hi);
		out->t = HR_X_NUM;
		out->source = st->ovsrc;
		if (!strcmp(name, "ports.range_low"))
			out->num = (double)m.lo;
		else if (!strcmp(name, "ports.range_high"))
			out->num = (double)m.hi;
		else if (!strcmp(name, "ports.range_size"))
			out->num = (double)m.size;
		else if (!strcmp(name, "ports.reserved_in_range"))
			out->num = (double)m.reserved;
		else if (!strcmp(name, "ports.listeners_in_range"))
			out->num = (double)m.listeners;
		else if (!strcmp(name, "ports.usable"))
			out->num = (double)m.usable;
		else
			return ev_fail(st, "no such fact '%s'", name);
	}
	return 0;
}

static int lookup_fact(struct evst *st, int slot, const char *name, int index, struct hr_xval *out)
{
	struct hr_value hv;
	const struct override *o;
	ptrdiff_t ci = (ptrdiff_t)slot * NIDX + index + 1;
	int rc;

	if (st->nov || st->nbase) {
		if ((o = ov_find(st, name)))
			return ov_value(st, o, name, index, out);
		if (st->ov_ports && !strncmp(name, "ports.", 6))
			return ov_ports(st, name, out);
	}
	if (index < NIDX - 1 && st->fhave[ci]) {
		*out = st->fcache[ci];
		return 0;
	}
	rc = hr_facts_get(st->f, name, index, &hv);
	if (rc == -ENOENT)
		return ev_fail(st, "no such fact '%s'", name);
	if (rc == -EDOM) {
		struct hr_value whole;

		if (hr_facts_get(st->f, name, 0, &whole) < 0)
			whole.nfields = 1;
		if (index < 0)
			return ev_fail(st, "%s is a vector of %d fields: use %s[i]", name, whole.nfields, name);
		return ev_fail(st, "index %d out of range for %s (%d field%s)", index, name, whole.nfields,
			       whole.nfields == 1 ? "" : "s");
	}
	if (rc < 0)
		return ev_fail(st, "%s: %s", name, strerror(-rc));
	from_hv(&hv, name, out);
	if (index < NIDX - 1) {
		st->fcache[ci] = *out;
		st->fhave[ci] = true;
	}
	return 0;
}

static int lookup(struct hr_xctx *x, int kind, int slot, const char *name, int index, struct hr_xval *out)
{
	struct evst *st = (struct evst *)x;
	struct hr_value hv;
	ptrdiff_t ci;
	int rc;

	switch (kind) {
	case K_FACT:
		return lookup_fact(st, slot, name, index, out);
	case K_KERNEL:
		rc = lookup_fact(st, -1, "kernel.osrelease", -1, out);
		if (rc == 0 && out->t == HR_X_STR)
			out->version = true;
		return rc;
	case K_LET:
		if ((size_t)slot >= st->nlets_done)
			return ev_fail(st, "let '%s' used before it has a value", name);
		*out = st->lets[slot];
		return 0;
	case K_ITEM:
		/* Binding checked the collection; the prefixes differ in their first letter. */
		if (st->coll < 0 || name[0] != "dlp"[st->coll]) /* dest, listener, port */
			return ev_fail(st, "'%s' is not available here", name);
		if (st->ov_ports && st->coll == HR_COLL_LISTENING_PORTS &&
		    (!strcmp(name, "port.in_range") || !strcmp(name, "port.reserved")))
			return ov_ports(st, name, out);
		ci = (ptrdiff_t)(st->item * st->rs->nitems + (size_t)slot);
		if (!st->iall[st->coll]) {
			size_t cells = hr_facts_count(st->f, (enum hr_coll)st->coll) * st->rs->nitems;

			st->iall[st->coll] = calloc(cells + 1, sizeof(struct hr_xval));
			st->ihave[st->coll] = calloc(cells + 1, sizeof(bool));
		}
		if (st->ihave[st->coll] && st->ihave[st->coll][ci]) {
			*out = st->iall[st->coll][ci];
			return 0;
		}
		rc = hr_facts_item_get(st->f, (enum hr_coll)st->coll, st->item, name, &hv);
		if (rc < 0)
			return ev_fail(st, "%s: %s", name, rc == -ENOENT ? "no such field" : strerror(-rc));
		from_hv(&hv, name, out);
		if (out->t != HR_X_STR && st->ihave[st->coll] && st->iall[st->coll]) {
			st->iall[st->coll][ci] = *out;
			st->ihave[st->coll][ci] = true;
		}
		return 0;
	case K_DERIVED: {
		const struct derived *d = &st->rs->der[slot];

		/* Without item fields a derived fact is the same for every
		 * subject: computed once per overlay, not once per pass. */
		uint32_t key = d->colls ? st->pass : st->ovgen;

		if (st->dgen[slot] == key) {
			*out = st->dcache[slot];
			return 0;
		}
		if (st->depth >= HR_EXPR_MAX_DEPTH)
			return ev_fail(st, "derived facts nested deeper than %d levels", HR_EXPR_MAX_DEPTH);
		st->depth++;
		rc = hr_expr_eval(d->e, x, out);
		st->depth--;
		if (rc < 0)
			return -1;
		st->dcache[slot] = *out;
		st->dgen[slot] = key;
		return 0;
	}
	}
	return ev_fail(st, "unbound name '%s'", name);
}

static void evst_free(struct evst *st)
{
	free(st->fv);
	free(st->lets);
	free(st->fcache);
	free(st->fhave);
	for (int c = 0; c < HR_COLL_N; c++) {
		free(st->iall[c]);
		free(st->ihave[c]);
	}
	free(st->dcache);
	free(st->dgen);
}

static void evst_done(struct evst *st);

static int evst_init(struct evst *st, const hr_ruleset *rs, const hr_facts *f)
{
	size_t maxlets = 1, i;

	memset(st, 0, sizeof(*st));
	st->x.lookup = lookup;
	st->x.direct_kind = K_LET;
	st->x.ndirect = &st->nlets_done;
	st->rs = rs;
	st->f = f;
	st->coll = -1;
	for (i = 0; i < rs->nrules; i++)
		if (rs->rules[i].nlets > maxlets)
			maxlets = rs->rules[i].nlets;
	st->lets = calloc(maxlets, sizeof(*st->lets));
	st->x.direct = st->lets;
	/* Slot -1 (the kernel) lives just before slot 0: offset by one row. */
	st->fcache = calloc((rs->nfacts + 1) * NIDX, sizeof(*st->fcache));
	st->fhave = calloc((rs->nfacts + 1) * NIDX, sizeof(*st->fhave));
	st->dcache = calloc(rs->nder + 1, sizeof(*st->dcache));
	st->dgen = calloc(rs->nder + 1, sizeof(*st->dgen));
	if (!st->lets || !st->fcache || !st->fhave || !st->dcache || !st->dgen) {
		evst_free(st);
		return -ENOMEM;
	}
	st->fcache += NIDX;
	st->fhave += NIDX;
	for (i = 0; i < 4; i++)
		st->jsev[i] = json_string(sev_names[i]);
	for (i = 0, maxlets = 1; i < rs->nrules; i++)
		if (rs->rules[i].nfixes > maxlets)
			maxlets = rs->rules[i].nfixes;
	st->fv = malloc(maxlets * sizeof(*st->fv));
	if (!st->fv) {
		evst_done(st);
		return -ENOMEM;
	}
	snprintf(st->ovsrc, sizeof(st->ovsrc), "fix (what-if)");
	st->ovgen = ++st->gen;
	return 0;
}

static void evst_done(struct evst *st)
{
	for (int i = 0; i < 4; i++)
		json_decref(st->jsev[i]);
	if (st->fcache) {
		st->fcache -= NIDX;
		st->fhave -= NIDX;
	}
	evst_free(st);
}

/* Result of one pass over one subject. */
enum { R_EVALUATED, R_NOT_APPLICABLE, R_NOT_EVALUATED };

struct outcome {
	int status;
	int sev;
	bool error; /* not evaluated because the rule failed (not a missing fact) */
	char reason[700];
};

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
static void run_pass(struct evst *st, const struct rule *r, const struct fix *fx, struct outcome *o)
{
	size_t i, j;
	int s, c;

	st->pass = ++st->gen;
	st->x.failed = false;
	st->x.err[0] = '\0';
	st->nlets_done = 0;
	st->depth = 0;
	o->status = R_EVALUATED;
	o->sev = SEV_OK;
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
	for (s = SEV_CRITICAL; s >= SEV_INFO; s--) {
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

/* Formats one value for a template. */
static void fmt_value(const struct hr_xval *v, int fmt, bool setting, char *out, size_t n)
{
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
	default: hr_num_shortest(out, n, v->num);
	}
}

/* Fills a template into buf; an expression that fails shows as "?". */
static void fill_tmpl(struct evst *st, const struct tmpl *t, bool setting, char *buf, size_t n)
{
	size_t len = 0, i;

	buf[0] = '\0';
	for (i = 0; i < t->n; i++) {
		struct hr_xval v;
		char tmp[256];

		if (t->p[i].lit) {
			bput(buf, n, &len, t->p[i].lit);
			continue;
		}
		if (hr_expr_eval(t->p[i].e, &st->x, &v) < 0) {
			st->x.failed = false;
			bput(buf, n, &len, "?");
			continue;
		}
		fmt_value(&v, t->p[i].fmt, setting, tmp, sizeof(tmp));
		bput(buf, n, &len, tmp);
	}
}

static json_t *num_json(const struct hr_xval *v)
{
	if (v->t == HR_X_BOOL)
		return json_integer(v->num != 0);
	if (v->t != HR_X_NUM || !isfinite(v->num))
		return json_null();
	if (v->num == floor(v->num) && fabs(v->num) < 9e15)
		return json_integer((json_int_t)v->num);
	return json_real(v->num);
}

/* Parses an override's value like the facts model parses a sysctl. */
static void ov_parse(struct override *o)
{
	const char *p = o->raw;

	o->nfields = 0;
	o->num = true;
	while (*p) {
		char *end;

		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		if (o->nfields == 8) {
			o->num = false;
			break;
		}
		o->fields[o->nfields] = (double)strtoll(p, &end, 10);
		if (end == p || (*end && !isspace((unsigned char)*end))) {
			o->num = false;
			break;
		}
		o->nfields++;
		p = end;
	}
	if (!o->nfields)
		o->num = false;
}

/* Sets the overlay of a fix pass (NULL: none); the what-if base stays under it. */
static void set_overlay(struct evst *st, const struct override *ov, size_t n)
{
	st->ov = ov;
	st->nov = n;
	st->ovgen = ++st->gen;
	st->ov_ports = ov_find(st, "net.ipv4.ip_local_port_range") ||
		       ov_find(st, "net.ipv4.ip_local_reserved_ports");
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
	fill_tmpl(st, &fx->text, false, fv->text, sizeof(fv->text));
	for (j = 0; j < fx->nset && j < MAX_SET; j++) {
		fill_tmpl(st, &fx->set[j].val, true, fv->vals[j], sizeof(fv->vals[j]));
		fv->ov[j].key = fx->set[j].key;
		fv->ov[j].raw = fv->vals[j];
		ov_parse(&fv->ov[j]);
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
	set_overlay(st, fv->ov, fv->nov);
	run_pass(st, r, fv->fx, &after);
	set_overlay(st, NULL, 0);
	if (after.status == R_NOT_EVALUATED) {
		json_object_set_new(o, "headroom_after", json_null());
		json_object_set_new(o, "severity_after", json_null());
		json_object_set_new(o, "effect_unknown", json_string(after.reason));
	} else {
		bool have = after.status == R_EVALUATED && r->headroom >= 0 &&
			    (size_t)r->headroom < st->nlets_done;

		json_object_set_new(o, "headroom_after", have ? num_json(&st->lets[r->headroom]) : json_null());
		json_object_set_new(o, "severity_after",
				    json_string(after.status == R_NOT_APPLICABLE ? "ok" : sev_names[after.sev]));
	}
	return o;
}

static json_t *subject_json(struct evst *st, const struct rule *r)
{
	const char *s;

	if (r->coll < 0)
		return json_null();
	s = hr_facts_item_subject(st->f, (enum hr_coll)r->coll, st->item);
	return s ? json_string(s) : json_null();
}

static json_t *refs_json(const struct rule *r)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < r->nrefs; i++)
		json_array_append_new(a, json_string(r->refs[i]));
	return a;
}

/* Builds the finding of an evaluated subject (lets of the base pass in st). */
static json_t *finding_json(struct evst *st, const struct rule *r, const struct outcome *o)
{
	json_t *fd = json_object(), *metrics = json_object(), *fixes = json_array();
	struct fixview *fv = st->fv;
	char msg[2048];
	size_t i, nfv = 0;

	json_object_set(fd, "rule", st->jrule);
	json_object_set(fd, "title", st->jtitle);
	json_object_set(fd, "area", st->jarea);
	json_object_set(fd, "severity", st->jsev[o->sev]);
	json_object_set_new(fd, "subject", subject_json(st, r));
	if (r->message.n)
		fill_tmpl(st, &r->message, false, msg, sizeof(msg));
	else
		snprintf(msg, sizeof(msg), "%s", r->title);
	json_object_set_new(fd, "message", json_string(msg));
	for (i = 0; i < r->nmetrics; i++)
		json_object_set_new(metrics, r->lets[r->metrics[i]].name,
				    (size_t)r->metrics[i] < st->nlets_done ? num_json(&st->lets[r->metrics[i]])
									  : json_null());
	json_object_set_new(fd, "metrics", metrics);
	/* Fixes matter for findings above ok. Fill every fix in the base
	 * context first: the what-if passes overwrite the let values. */
	for (i = 0; o->sev != SEV_OK && fv && i < r->nfixes; i++)
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

		if (!hr_expr_is_name(r->needs[i], &name) || item_coll(name) >= 0 || find_derived(st->rs, name))
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
static void rule_begin(struct evst *st, const struct rule *r)
{
	st->r = r;
	st->coll = r->coll;
	st->item = 0;
	st->jrule = json_string(r->id);
	st->jtitle = json_string(r->title ? r->title : "");
	st->jarea = json_string(r->area ? r->area : "");
	st->jrefs = refs_json(r);
}

static void rule_end(struct evst *st)
{
	json_decref(st->jrule);
	json_decref(st->jtitle);
	json_decref(st->jarea);
	json_decref(st->jrefs);
	st->jrule = st->jtitle = st->jarea = st->jrefs = NULL;
}

/* Evaluates one rule over all its subjects into findings / not_evaluated,
 * counting the outcomes into the rule's summary entry. */
static void eval_rule(struct evst *st, const struct rule *r, json_t *findings, json_t *ne, json_t *summary)
{
	struct outcome o;
	size_t n, i, count[4] = {0, 0, 0, 0}, na = 0, nne = 0;
	char why[700];

	rule_begin(st, r);
	if (r->broken) {
		add_not_evaluated(ne, r, json_null(), r->broken, true);
		n = 0;
		nne = 1;
	} else if (r->coll >= 0) {
		n = hr_facts_count(st->f, (enum hr_coll)r->coll);
		if (!n && !hr_facts_have_sockets(st->f)) {
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
		run_pass(st, r, NULL, &o);
		if (o.status == R_NOT_APPLICABLE) {
			na++;
		} else if (o.status == R_NOT_EVALUATED) {
			nne++;
			add_not_evaluated(ne, r, subject_json(st, r), o.reason, o.error);
		} else {
			count[o.sev]++;
			if (!(st->problems_only && o.sev == SEV_OK && r->coll >= 0))
				json_array_append_new(findings, finding_json(st, r, &o));
		}
	}
	json_array_append_new(summary,
			      json_pack("{s:O,s:o,s:i,s:i,s:i,s:i,s:i,s:i}", "rule", st->jrule, "for_each",
					r->coll >= 0 ? json_string(hr_coll_name((enum hr_coll)r->coll)) : json_null(),
					"critical", (int)count[SEV_CRITICAL], "warning", (int)count[SEV_WARNING],
					"info", (int)count[SEV_INFO], "ok", (int)count[SEV_OK], "not_applicable",
					(int)na, "not_evaluated", (int)nne));
	rule_end(st);
}

/* Runs the check when the caller did not (derived facts may live in any file). */
static void ensure_checked(const hr_ruleset *rs)
{
	if (!rs->checked) {
		struct hr_diags d = {NULL, 0};

		hr_ruleset_check((hr_ruleset *)rs, &d);
		hr_diags_free(&d);
	}
}

json_t *hr_ruleset_evaluate_opts(const hr_ruleset *rs, const hr_facts *f, const struct hr_eval_opts *o)
{
	const struct hr_setting *what_if = o ? o->what_if : NULL;
	size_t nwhat_if = o && o->what_if ? o->nwhat_if : 0;
	json_t *res, *findings, *ne, *summary;
	struct override *ov = NULL;
	struct evst st;
	size_t i;

	ensure_checked(rs);
	if (evst_init(&st, rs, f) < 0)
		return NULL;
	if (nwhat_if) {
		ov = calloc(nwhat_if, sizeof(*ov));
		if (!ov) {
			evst_done(&st);
			return NULL;
		}
		for (i = 0; i < nwhat_if; i++) {
			ov[i].key = what_if[i].key;
			ov[i].raw = what_if[i].value;
			ov_parse(&ov[i]);
		}
		st.base = ov;
		st.nbase = nwhat_if;
		set_overlay(&st, NULL, 0);
	}
	st.problems_only = o && o->problems_only;
	findings = json_array();
	ne = json_array();
	summary = json_array();
	for (i = 0; i < rs->nrules; i++)
		eval_rule(&st, &rs->rules[i], findings, ne, summary);
	evst_done(&st);
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
	struct hr_eval_opts o = {what_if, nwhat_if, false};

	return hr_ruleset_evaluate_opts(rs, f, &o);
}

json_t *hr_ruleset_evaluate(const hr_ruleset *rs, const hr_facts *f)
{
	return hr_ruleset_evaluate_with(rs, f, NULL, 0);
}

/* -------------------------------------------------------------- listing */

json_t *hr_ruleset_list(const hr_ruleset *rs)
{
	json_t *a = json_array();
	size_t i;

	ensure_checked(rs);
	for (i = 0; i < rs->nrules; i++) {
		const struct rule *r = &rs->rules[i];

		json_array_append_new(
			a, json_pack("{s:s,s:s?,s:s?,s:o,s:s,s:i,s:i,s:o}", "id", r->id, "title", r->title,
				     "area", r->area, "for_each",
				     r->coll >= 0 ? json_string(hr_coll_name((enum hr_coll)r->coll)) : json_null(),
				     "file", r->file, "line", r->line, "col", r->col, "error",
				     r->broken ? json_string(r->broken) : json_null()));
	}
	return a;
}

/* ------------------------------------------------------------ explaining */

/* A value as JSON: number, bool, string or null (missing is null). */
static json_t *val_json(const struct hr_xval *v)
{
	switch (v->t) {
	case HR_X_NUM: return num_json(v);
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
	for (i = SEV_CRITICAL; i >= SEV_INFO; i--)
		if (r->sev[i])
			json_object_set_new(m, sev_names[i], json_string(hr_expr_source(r->sev[i])));
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

/* The value and source of one fact (or item field of the current subject). */
static json_t *source_json(struct evst *st, const char *name, bool item)
{
	struct hr_value hv;
	json_t *o = json_object();
	int rc;

	json_object_set_new(o, "fact", json_string(name));
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

		json_object_set_new(o, "value", num_json(&v));
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

	run_pass(st, r, NULL, &out);
	json_object_set_new(o, "subject", subject_json(st, r));
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
	for (i = SEV_CRITICAL; out.status == R_EVALUATED && i >= SEV_INFO; i--) {
		json_t *f;

		if (!r->sev[i])
			continue;
		f = formula_json(st, r->sev[i], NULL);
		json_object_set_new(f, "level", json_string(sev_names[i]));
		json_array_append_new(a, f);
	}
	json_object_set_new(o, "severity_conditions", a);
	a = json_array();
	json_object_foreach(names, key, kind)
		if (json_integer_value(kind) == K_DERIVED) {
			const struct derived *dv = find_derived(st->rs, key);
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
		json_t *fd = finding_json(st, r, &out);

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
	struct collect c;
	struct evst st;
	json_t *o, *subjects, *sources, *kind;
	const char *key;
	size_t n, i;
	char where[1200];

	ensure_checked(rs);
	r = find_rule(rs, rule_id);
	if (!r) {
		hr_err_set(err, -ENOENT, "no rule '%s' (see 'headroom rules list')", rule_id);
		return NULL;
	}
	if (evst_init(&st, rs, f) < 0) {
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
	json_object_set_new(o, "references", refs_json(r));

	c.rs = rs;
	c.names = json_object();
	c.seen = calloc(rs->nder + 1, sizeof(bool));
	if (!r->broken && c.seen)
		rule_each_expr((hr_ruleset *)rs, (struct rule *)r, (struct hr_diags *)(void *)&c, collect_expr);
	free(c.seen);

	subjects = json_array();
	rule_begin(&st, r);
	if (!r->broken) {
		n = r->coll >= 0 ? hr_facts_count(f, (enum hr_coll)r->coll) : 1;
		for (i = 0; i < n; i++) {
			st.item = i;
			if (subject && r->coll >= 0 &&
			    strcmp(hr_facts_item_subject(f, (enum hr_coll)r->coll, i), subject))
				continue;
			json_array_append_new(subjects, explain_subject(&st, r, c.names));
		}
	}
	rule_end(&st);
	json_object_set_new(o, "subjects", subjects);
	sources = json_array();
	json_object_foreach(c.names, key, kind)
		if (json_integer_value(kind) == K_FACT || json_integer_value(kind) == K_KERNEL)
			json_array_append_new(sources, source_json(&st, key, false));
	json_object_set_new(o, "sources", sources);
	json_decref(c.names);
	evst_done(&st);
	return o;
}

json_t *hr_ruleset_explain(const hr_ruleset *rs, const char *rule_id, const hr_facts *f,
			   struct hr_err *err)
{
	return hr_ruleset_explain_subject(rs, rule_id, f, NULL, err);
}
