/* rules-managers.c: the managers catalogue (a rule file's top-level
 * `managers:` list, shipped in rules/managers-catalogue.yaml): for each
 * program that writes sysctls, its process names, the configuration reader
 * that refines it, its parameters with the program's own defaults, and the
 * keys it sets, each with a fixed value or one computed by an expression
 * over cpus and param.NAME, the condition it is set under, and when. So a
 * site adds its own manager with a rule file, without C; src/managers.c
 * finds them on the host. A malformed entry is an error naming the file,
 * line and key, as for rules.
 * May call: the loader helpers (rules-load.c), the expression binder. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "managers.h"
#include "rules-int.h"

static const char *const entry_keys = "name, processes, reads, source, params, keys";
static const char *const key_keys = "key, value, compute, if, when";
static const char *const readers[] = {"tuned", "kube-proxy", "sysctl.d"};

/* Binds cpus and param.NAME of the entry being read. */
static int mgr_resolve(void *ud, const char *name, bool indexed, int *kind, int *slot, enum hr_stype *stype,
		       char *msg, size_t n)
{
	const struct hr_mgr_cat *c = ud;
	size_t i;

	if (indexed) {
		snprintf(msg, n, "'%s' takes no index", name);
		return -EINVAL;
	}
	if (!strcmp(name, "cpus")) {
		*kind = HR_MGR_K_CPUS, *slot = 0, *stype = HR_S_NUM;
		return 0;
	}
	if (!strncmp(name, "param.", 6))
		for (i = 0; i < c->nparams; i++)
			if (!strcmp(c->params[i].name, name + 6)) {
				*kind = HR_MGR_K_PARAM, *slot = (int)i;
				*stype = c->params[i].isbool ? HR_S_BOOL : HR_S_NUM;
				return 0;
			}
	snprintf(msg, n, "unknown name '%s' (a manager's expressions read cpus and param.NAME of its params)", name);
	return -ENOENT;
}

/* Parses and binds one expression of entry c; NULL on error (reported). */
static hr_expr *mgr_expr(struct loader *l, yaml_node_t *v, const char *what, struct hr_mgr_cat *c, bool want_bool)
{
	hr_expr *e = hr_rules_yexpr(l, v, what);
	int t;

	if (!e)
		return NULL;
	t = hr_expr_bind(e, mgr_resolve, c, l->d);
	if (t < 0) {
		l->errors++;
		hr_expr_free(e);
		return NULL;
	}
	if ((want_bool && t != HR_S_BOOL && t != HR_S_ANY) || (!want_bool && t != HR_S_NUM && t != HR_S_ANY)) {
		hr_rules_lerr(l, v, "%s must be %s", what, want_bool ? "a condition (true or false)" : "a number");
		hr_expr_free(e);
		return NULL;
	}
	return e;
}

static void catkey_clear(struct hr_mgr_catkey *k)
{
	free(k->key), free(k->value), free(k->when);
	hr_expr_free(k->expr), hr_expr_free(k->cond);
	memset(k, 0, sizeof(*k));
}

static void cat_clear(struct hr_mgr_cat *c)
{
	size_t i;

	for (i = 0; i < c->nprocs; i++)
		free(c->procs[i]);
	for (i = 0; i < c->nparams; i++)
		free(c->params[i].name);
	for (i = 0; i < c->nkeys; i++)
		catkey_clear(&c->keys[i]);
	free(c->procs), free(c->params), free(c->keys);
	free(c->name), free(c->source), free(c->reads), free(c->file);
	memset(c, 0, sizeof(*c));
}

/* One key: {key, value | compute, if, when}. */
static bool key_load(struct loader *l, yaml_node_t *n, struct hr_mgr_cat *c, struct hr_mgr_catkey *k)
{
	yaml_node_t *kn, *v;
	bool ok = true;

	if (!hr_rules_want(l, n, YAML_MAPPING_NODE, "a manager's key (key, value or compute, if, when)"))
		return false;
	YMAP_EACH(l, n, kn, v, pair) {
		const char *key = hr_rules_yscalar(l, kn, "a manager key's field"), *s;

		if (!key) {
			ok = false;
		} else if (!strcmp(key, "compute")) {
			ok = (k->expr = mgr_expr(l, v, "compute", c, false)) && ok;
		} else if (!strcmp(key, "if")) {
			ok = (k->cond = mgr_expr(l, v, "if", c, true)) && ok;
		} else if (strcmp(key, "key") && strcmp(key, "value") && strcmp(key, "when")) {
			hr_rules_lerr(l, kn, "manager %s: unknown key field '%s' (allowed: %s)", c->name ? c->name : "?",
				      key, key_keys);
			ok = false;
		} else if (!(s = hr_rules_yscalar(l, v, key))) {
			ok = false;
		} else {
			char **dst = key[0] == 'k' ? &k->key : key[0] == 'v' ? &k->value : &k->when;

			if (!(*dst = strdup(s)))
				ok = false;
		}
	}
	if (ok && (!k->key || !k->when || !k->value == !k->expr)) {
		hr_rules_lerr(l, n, "manager %s: a key needs key, when, and one of value or compute%s",
			      c->name ? c->name : "?", k->key ? "" : " (no key: given)");
		ok = false;
	}
	if (ok && (!*k->key || strspn(k->key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/") !=
				       strlen(k->key))) {
		hr_rules_lerr(l, n, "manager %s: '%s' is not a sysctl name", c->name ? c->name : "?", k->key);
		ok = false;
	}
	return ok;
}

/* params: {NAME: number | true | false}. */
static bool params_load(struct loader *l, yaml_node_t *n, struct hr_mgr_cat *c)
{
	yaml_node_t *k, *v;
	bool ok = true;

	if (!hr_rules_want(l, n, YAML_MAPPING_NODE, "params (a mapping NAME: default)"))
		return false;
	YMAP_EACH(l, n, k, v, pair) {
		const char *name = hr_rules_yscalar(l, k, "a parameter name"), *s = hr_rules_yscalar(l, v, "a default");
		struct hr_mgr_param *p;
		char *end;

		if (!name || !s) {
			ok = false;
			continue;
		}
		p = realloc(c->params, (c->nparams + 1) * sizeof(*p));
		if (!p)
			return false;
		c->params = p;
		p = &c->params[c->nparams];
		memset(p, 0, sizeof(*p));
		if (!strcmp(s, "true") || !strcmp(s, "false")) {
			p->isbool = true, p->num = s[0] == 't';
		} else {
			p->num = strtod(s, &end);
			if (end == s || *end) {
				hr_rules_lerr(l, v, "manager %s: param %s: '%s' is not a number, true or false",
					      c->name ? c->name : "?", name, s);
				ok = false;
				continue;
			}
		}
		if (!(p->name = strdup(name)))
			return false;
		c->nparams++;
	}
	return ok;
}

/* One entry; false on error (reported). */
static bool entry_load(struct loader *l, yaml_node_t *n, struct hr_mgr_cat *c)
{
	yaml_node_t *k, *v, *keys = NULL, *params = NULL;
	bool ok = true;
	size_t i;

	if (!hr_rules_want(l, n, YAML_MAPPING_NODE, "a manager (name, processes, reads, source, params, keys)"))
		return false;
	c->line = (int)n->start_mark.line + 1;
	YMAP_EACH(l, n, k, v, pair) {
		const char *key = hr_rules_yscalar(l, k, "a manager field"), *s;

		if (!key) {
			ok = false;
		} else if (!strcmp(key, "keys")) {
			keys = v;
		} else if (!strcmp(key, "params")) {
			params = v;
		} else if (!strcmp(key, "processes")) {
			yaml_node_t *p;

			if (!hr_rules_want(l, v, YAML_SEQUENCE_NODE, "processes (a list of process names)")) {
				ok = false;
				continue;
			}
			YSEQ_EACH(l, v, p, item) {
				const char *pn = hr_rules_yscalar(l, p, "a process name");
				char **g;

				if (!pn || !*pn || strlen(pn) > 15 || strchr(pn, '/')) {
					if (pn)
						hr_rules_lerr(l, p, "process name '%s': a comm is 1 to 15 bytes without '/'", pn);
					ok = false;
					continue;
				}
				g = realloc(c->procs, (c->nprocs + 1) * sizeof(*g));
				if (!g || !(g[c->nprocs] = strdup(pn)))
					return c->procs = g ? g : c->procs, false;
				c->procs = g, c->nprocs++;
			}
		} else if (strcmp(key, "name") && strcmp(key, "source") && strcmp(key, "reads")) {
			hr_rules_lerr(l, k, "unknown manager field '%s' (allowed: %s)", key, entry_keys);
			ok = false;
		} else if (!(s = hr_rules_yscalar(l, v, key))) {
			ok = false;
		} else {
			char **dst = key[0] == 'n' ? &c->name : key[0] == 's' ? &c->source : &c->reads;

			if (!(*dst = strdup(s)))
				return false;
		}
	}
	if (!c->name || !c->source) {
		hr_rules_lerr(l, n, "a manager needs name and source%s", c->name ? "" : " (no name: given)");
		return false;
	}
	if (c->reads) {
		for (i = 0; i < sizeof(readers) / sizeof(readers[0]) && strcmp(readers[i], c->reads); i++)
			;
		if (i == sizeof(readers) / sizeof(readers[0])) {
			hr_rules_lerr(l, n, "manager %s: unknown reader '%s' (known: tuned, kube-proxy, sysctl.d)",
				      c->name, c->reads);
			ok = false;
		}
	}
	if (!c->nprocs && !(c->reads && !strcmp(c->reads, "sysctl.d"))) {
		hr_rules_lerr(l, n, "manager %s: processes must name at least one process (only reads: sysctl.d goes without)",
			      c->name);
		ok = false;
	}
	if (params && !params_load(l, params, c))
		ok = false;
	if (keys && hr_rules_want(l, keys, YAML_SEQUENCE_NODE, "keys (a list)")) {
		YSEQ_EACH(l, keys, v, item) {
			struct hr_mgr_catkey *g = realloc(c->keys, (c->nkeys + 1) * sizeof(*g));

			if (!g)
				return false;
			c->keys = g;
			memset(&g[c->nkeys], 0, sizeof(*g));
			if (key_load(l, v, c, &g[c->nkeys]))
				c->nkeys++;
			else
				catkey_clear(&g[c->nkeys]), ok = false;
		}
	} else if (keys) {
		ok = false;
	}
	return ok;
}

void hr_rules_managers_load(struct loader *l, yaml_node_t *n)
{
	yaml_node_t *v;

	if (!hr_rules_want(l, n, YAML_SEQUENCE_NODE, "managers (a list)"))
		return;
	YSEQ_EACH(l, n, v, item) {
		hr_ruleset *rs = l->rs;
		struct hr_mgr_cat c;
		void *g;
		size_t i;

		memset(&c, 0, sizeof(c));
		if (!entry_load(l, v, &c) || !(c.file = strdup(l->file))) {
			cat_clear(&c);
			continue;
		}
		for (i = 0; i < rs->nmgrcat; i++)
			if (!strcmp(rs->mgrcat[i].name, c.name)) {
				hr_rules_lerr(l, v, "manager %s listed twice (first at %s:%d)", c.name, rs->mgrcat[i].file,
					      rs->mgrcat[i].line);
				break;
			}
		g = i == rs->nmgrcat ? hr_rules_grow(rs->mgrcat, &rs->capmgrcat, rs->nmgrcat + 1, sizeof(*rs->mgrcat))
				     : NULL;
		if (!g) {
			cat_clear(&c);
			continue;
		}
		rs->mgrcat = g;
		rs->mgrcat[rs->nmgrcat++] = c;
	}
}

void hr_rules_managers_free(hr_ruleset *rs)
{
	size_t i;

	for (i = 0; i < rs->nmgrcat; i++)
		cat_clear(&rs->mgrcat[i]);
	free(rs->mgrcat);
	rs->mgrcat = NULL;
	rs->nmgrcat = rs->capmgrcat = 0;
}

const struct hr_mgr_cat *hr_ruleset_managers(const hr_ruleset *rs, size_t *n)
{
	*n = rs ? rs->nmgrcat : 0;
	return rs ? rs->mgrcat : NULL;
}
