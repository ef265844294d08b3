/* rules.c: the rules engine's core: the hr_ruleset and its
 * rules (lifetime, accessors, listing), the set of files loaded or left out,
 * and loading whole directories.
 * Owns: hr_ruleset_new/free/count/rule_id/rule_error/list/
 * exclude/load_dir/load_std and the shared helpers grow, free, find and
 * path_*. May call: rules-int.h, hr_ruleset_load_file (rules-load.c),
 * hr_ruleset_check (rules-check.c), hr_expr_free (expr.h), diag.c. Contract:
 * docs/RULES-FORMAT.md, src/rules.h. */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rules-int.h"

const char *const hr_rules_fmt_names[FMT_N] = {"", "int", "1f", "2f", "3f", "pct", "duration", "raw", "num", "gauge",
					       "countdown"};

void *hr_rules_grow(void *v, size_t *cap, size_t need, size_t size)
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

/* Frees n strings and the array holding them. */
static void strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void hr_rules_tmpl_clear(struct tmpl *t)
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

void hr_rules_rule_clear(struct rule *r)
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
	hr_rules_tmpl_clear(&r->message);
	hr_rules_present_clear(&r->present);
	for (i = 0; i < r->nfixes; i++) {
		struct fix *fx = &r->fixes[i];

		free(fx->kind);
		hr_expr_free(fx->when);
		for (j = 0; j < fx->nset; j++) {
			free(fx->set[j].key);
			hr_rules_tmpl_clear(&fx->set[j].val);
		}
		free(fx->set);
		hr_rules_tmpl_clear(&fx->text);
		for (j = 0; j < fx->nlets; j++)
			hr_expr_free(fx->lets[j].e);
		free(fx->lets);
	}
	free(r->fixes);
	strv_free(r->refs, r->nrefs);
	free(r->broken);
	memset(r, 0, sizeof(*r));
}

void hr_ruleset_free(hr_ruleset *rs)
{
	size_t i;

	if (!rs)
		return;
	for (i = 0; i < rs->nrules; i++)
		hr_rules_rule_clear(&rs->rules[i]);
	free(rs->rules);
	for (i = 0; i < rs->nder; i++) {
		free(rs->der[i].name);
		free(rs->der[i].file);
		hr_expr_free(rs->der[i].e);
	}
	free(rs->der);
	strv_free(rs->facts, rs->nfacts);
	strv_free(rs->items, rs->nitems);
	strv_free(rs->loaded, rs->nloaded);
	strv_free(rs->excluded, rs->nexcluded);
	hr_rules_counters_free(rs);
	hr_rules_managers_free(rs);
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
struct rule *hr_rules_find_rule(const hr_ruleset *rs, const char *id)
{
	size_t i;

	for (i = 0; id && i < rs->nrules; i++)
		if (rs->rules[i].id && !strcmp(rs->rules[i].id, id))
			return &rs->rules[i];
	return NULL;
}

struct derived *hr_rules_find_derived(const hr_ruleset *rs, const char *name)
{
	size_t i;

	for (i = 0; i < rs->nder; i++)
		if (!strcmp(rs->der[i].name, name))
			return &rs->der[i];
	return NULL;
}

/* A file's identity as "DEV:INODE" (what the lists hold): one stat(2),
 * where realpath(3) made a readlink(2) per path component (133 failed
 * readlinks for the 11 rule files of one audit). NULL when path does not
 * resolve. */
static char *path_id(const char *path)
{
	struct stat st;
	char *id;

	if (stat(path, &st) < 0 || asprintf(&id, "%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino) < 0)
		return NULL;
	return id;
}

/* True when path names the same file as one in the list (by device and inode). */
bool hr_rules_path_in(char **list, size_t n, const char *path)
{
	char *rp = n ? path_id(path) : NULL;
	bool found = false;
	size_t i;

	for (i = 0; rp && i < n && !found; i++)
		found = !strcmp(list[i], rp);
	free(rp);
	return found;
}

void hr_rules_path_add(char ***list, size_t *n, size_t *cap, const char *path)
{
	char *rp = path_id(path), **nv;

	if (!rp)
		return;
	nv = hr_rules_grow(*list, cap, *n + 1, sizeof(*nv));
	if (!nv) {
		free(rp);
		return;
	}
	*list = nv;
	nv[(*n)++] = rp;
}

void hr_ruleset_exclude(hr_ruleset *rs, const char *path)
{
	hr_rules_path_add(&rs->excluded, &rs->nexcluded, &rs->capexcluded, path);
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int hr_ruleset_load_dir(hr_ruleset *rs, const char *dir, struct hr_diags *d)
{
	struct hr_err e = {0};
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	int rc = hr_input_trusted(dir, "rules directory", &e);
	DIR *dh;

	if (rc < 0) {
		hr_diags_add(d, dir, 0, 0, false, "%s", e.msg);
		return rc;
	}
	dh = opendir(dir);
	if (!dh) {
		rc = -errno;
		hr_diags_add(d, dir, 0, 0, false, "cannot open rules directory: %s", hr_strerror(rc));
		return rc;
	}
	while ((de = readdir(dh))) {
		size_t len = strlen(de->d_name);
		char **nv;

		if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".yaml"))
			continue;
		nv = hr_rules_grow(names, &cap, n + 1, sizeof(*nv));
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
		int r = hr_rules_path_in(rs->excluded, rs->nexcluded, names[i]) ? 0 : hr_ruleset_load_file(rs, names[i], d);

		if (r < 0 && (!rc || r == -EBADMSG))
			rc = r;
		free(names[i]);
	}
	free(names);
	return rc;
}

/* Runs the check when the caller did not (derived facts may live in any file). */
void hr_rules_ensure_checked(const hr_ruleset *rs)
{
	if (!rs->checked) {
		struct hr_diags d = {NULL, 0};

		hr_ruleset_check((hr_ruleset *)rs, &d);
		hr_diags_clear(&d);
	}
}

/* -------------------------------------------------------------- listing */

json_t *hr_ruleset_list(const hr_ruleset *rs)
{
	json_t *a = json_array();
	size_t i;

	hr_rules_ensure_checked(rs);
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
