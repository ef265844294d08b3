/* profile.c: profiles/NAME.yaml: loading (libyaml, with line:column), and
 * resolving `extends` with cycle detection. */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "bounds.h"
#include "profile.h"
#include "workload.h"
#include "sysctl.h"

#define HR_PROFILE_MAX_DEPTH 16

void hr_desired_clear(struct hr_desired *s)
{
	if (!s)
		return;
	free(s->key);
	free(s->value);
	free(s->why);
	free(s->from);
	free(s->where);
	free(s->overrides);
	memset(s, 0, sizeof(*s));
}

int hr_desired_parse_value(struct hr_desired *s, const char *text, struct hr_err *err)
{
	int64_t v;
	int r;

	s->op = HR_OP_SET;
	if (!strncmp(text, ">=", 2) || !strncmp(text, "<=", 2)) {
		s->op = text[0] == '>' ? HR_OP_GE : HR_OP_LE;
		text += 2;
		if (hr_parse_i64(text, &v) < 0) {
			hr_err_set(err, -EINVAL, "%s: '%s' after %s is not an integer", s->key, text,
				   s->op == HR_OP_GE ? ">=" : "<=");
			return -EINVAL;
		}
	}
	r = hr_sysctl_value_check(s->key, text, err);
	if (r < 0)
		return r;
	s->value = hr_ws_normalise(text);
	return s->value ? 0 : -ENOMEM;
}

const char *hr_desired_value_text(const struct hr_desired *s)
{
	static char buf[512];

	snprintf(buf, sizeof(buf), "%s%s", s->op == HR_OP_GE ? ">=" : s->op == HR_OP_LE ? "<=" : "",
		 s->value);
	return buf;
}

void hr_profile_free(struct hr_profile *p)
{
	size_t i;

	if (!p)
		return;
	free(p->name);
	free(p->description);
	free(p->file);
	for (i = 0; i < p->nextends; i++)
		free(p->extends[i]);
	free(p->extends);
	for (i = 0; i < p->nassumptions; i++)
		free(p->assumptions[i]);
	free(p->assumptions);
	for (i = 0; i < p->nsettings; i++)
		hr_desired_clear(&p->settings[i]);
	free(p->settings);
	for (i = 0; i < p->nchain; i++)
		free(p->chain[i]);
	free(p->chain);
	free(p->path_where);
	free(p);
}

/* Profile names are file names: [a-z0-9_-], so a name cannot be a path. */
static bool name_ok(const char *name)
{
	const char *c;

	if (!*name || strlen(name) > 64)
		return false;
	for (c = name; *c; c++)
		if (!islower((unsigned char)*c) && !isdigit((unsigned char)*c) && *c != '-' && *c != '_')
			return false;
	return true;
}

/* Context for reporting errors at a node. */
struct ld {
	const char *file;
	yaml_document_t *doc;
	struct hr_err *err;
};

/* Records an error at a node's position; returns -EBADMSG. */
static int at(struct ld *l, yaml_node_t *n, const char *fmt, const char *a, const char *b)
{
	char msg[HR_ERR_MAX + 256];

	snprintf(msg, sizeof(msg), fmt, a ? a : "", b ? b : "");
	hr_err_set(l->err, -EBADMSG, "%s:%zu:%zu: %s", l->file, n ? n->start_mark.line + 1 : 0,
		   n ? n->start_mark.column + 1 : 0, msg);
	return -EBADMSG;
}

/* A scalar node's text, or NULL. */
static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* Appends a string copy to a growing array. */
static int push_str(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	if (!(nv[*n] = strdup(s)))
		return -ENOMEM;
	(*n)++;
	return 0;
}

/* Reads a string or a list of strings. */
static int str_list(struct ld *l, yaml_node_t *n, const char *what, char ***v, size_t *cnt)
{
	yaml_node_item_t *it;

	if (scalar(n))
		return push_str(v, cnt, scalar(n));
	if (n->type != YAML_SEQUENCE_NODE)
		return at(l, n, "'%s' must be a string or a list of strings", what, NULL);
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		yaml_node_t *x = yaml_document_get_node(l->doc, *it);

		if (!scalar(x))
			return at(l, x, "'%s' items must be strings", what, NULL);
		if (push_str(v, cnt, scalar(x)) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* Reads one settings entry: KEY: {value: V, why: TEXT}. */
static int load_setting(struct ld *l, struct hr_profile *p, yaml_node_t *kn, yaml_node_t *vn)
{
	struct hr_desired s = {0};
	yaml_node_pair_t *pr;
	const char *value = NULL;
	yaml_node_t *value_node = vn;
	char key[HR_KEY_MAX], where[600];
	struct hr_err e = {0};
	struct hr_desired *nv;
	size_t i;

	if (!scalar(kn))
		return at(l, kn, "setting keys must be strings", NULL, NULL);
	if (hr_sysctl_normalise(scalar(kn), key, sizeof(key), &e) < 0)
		return at(l, kn, "%s", e.msg, NULL);
	if (vn->type != YAML_MAPPING_NODE)
		return at(l, vn, "setting '%s' must be a mapping with 'value' and 'why'", key, NULL);
	for (pr = vn->data.mapping.pairs.start; pr < vn->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(l->doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(l->doc, pr->value);
		const char *ks = scalar(k);

		if (ks && !strcmp(ks, "value") && scalar(v)) {
			value = scalar(v);
			value_node = v;
		} else if (ks && !strcmp(ks, "why") && scalar(v)) {
			free(s.why);
			s.why = hr_ws_normalise(scalar(v));
		} else {
			free(s.why);
			return at(l, k, "setting '%s': unknown or non-string field '%s' (value, why)", key,
				  ks ? ks : "?");
		}
	}
	if (!value || !s.why || !*s.why) {
		free(s.why);
		return at(l, vn, "setting '%s' needs both 'value' and 'why' (a rationale)", key, NULL);
	}
	for (i = 0; i < p->nsettings; i++)
		if (!strcmp(p->settings[i].key, key)) {
			free(s.why);
			return at(l, kn, "setting '%s' defined twice", key, NULL);
		}
	s.key = strdup(key);
	if (hr_desired_parse_value(&s, value, &e) < 0) {
		hr_desired_clear(&s);
		return at(l, value_node, "%s", e.msg, NULL);
	}
	if (!strcmp(key, "net.ipv4.tcp_tw_recycle")) {
		hr_desired_clear(&s);
		return at(l, kn, "net.ipv4.tcp_tw_recycle is never set (removed in 4.12; broke clients behind NAT)",
			  NULL, NULL);
	}
	snprintf(where, sizeof(where), "%s:%zu:%zu", l->file, kn->start_mark.line + 1,
		 kn->start_mark.column + 1);
	s.where = strdup(where);
	s.from = strdup(p->name ? p->name : "?");
	if (p->nsettings >= HR_PROFILE_MAX_KEYS) {
		hr_desired_clear(&s);
		return at(l, kn, "more than %s keys in a profile (the bound)", HR_STR(HR_PROFILE_MAX_KEYS), NULL);
	}
	nv = realloc(p->settings, (p->nsettings + 1) * sizeof(*nv));
	if (!nv || !s.key || !s.where || !s.from) {
		hr_desired_clear(&s);
		return -ENOMEM;
	}
	p->settings = nv;
	p->settings[p->nsettings++] = s;
	return 0;
}

/* "path: {rtt: 50ms, bandwidth: 1Gbit/s}": the path the profile is for. */
static int load_path(struct ld *l, struct hr_profile *p, yaml_node_t *kn, yaml_node_t *vn)
{
	yaml_node_pair_t *pr;
	char where[600];

	if (vn->type != YAML_MAPPING_NODE)
		return at(l, vn, "'path' must be a mapping with 'rtt' and 'bandwidth' (rtt: 50ms, bandwidth: 1Gbit/s)",
			  NULL, NULL);
	for (pr = vn->data.mapping.pairs.start; pr < vn->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(l->doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(l->doc, pr->value);
		const char *ks = scalar(k), *vs = scalar(v);

		if (ks && !strcmp(ks, "rtt")) {
			if (!vs || hr_workload_parse_duration(vs, &p->path_rtt_s) < 0 || !(p->path_rtt_s > 0))
				return at(l, v, "'path': bad rtt '%s' (want a round-trip time above 0: 50ms)",
					  vs ? vs : "?", NULL);
		} else if (ks && !strcmp(ks, "bandwidth")) {
			if (!vs || hr_workload_parse_bandwidth(vs, &p->path_rate) < 0 || !(p->path_rate > 0))
				return at(l, v, "'path': bad bandwidth '%s' (want 100Mbit/s, 1Gbit/s or 12.5MB/s)",
					  vs ? vs : "?", NULL);
		} else {
			return at(l, k, "'path': unknown field '%s' (rtt, bandwidth)", ks ? ks : "?", NULL);
		}
	}
	if (!(p->path_rtt_s > 0) || !(p->path_rate > 0))
		return at(l, vn, "'path' needs both 'rtt' and 'bandwidth'", NULL, NULL);
	snprintf(where, sizeof(where), "%s:%zu:%zu", l->file, kn->start_mark.line + 1,
		 kn->start_mark.column + 1);
	free(p->path_where);
	p->path_where = strdup(where);
	return p->path_where ? 0 : -ENOMEM;
}

/* The third field of a "MIN DEFAULT MAX" value, or -1. */
static double third(const char *v)
{
	double a, b, c;

	return v && sscanf(v, "%lf %lf %lf", &a, &b, &c) == 3 && c > 0 ? c : -1;
}

int hr_profile_path_check(double rtt_s, double rate, const char *wmem, const char *rmem, char *msg, size_t len)
{
	double bdp = rtt_s * rate, need = 65536, w = third(wmem), r = third(rmem);
	double cw = fmin(rate, 0.875 * w / rtt_s), cr = fmin(rate, 0.5 * r / rtt_s);
	size_t n;

	while (need < 2 * bdp)
		need *= 2;
	n = (size_t)snprintf(msg, len, "path %.1f ms at %.1f Mbit/s: BDP %.0f KiB, buffers need %.0f KiB (2 x BDP)",
			     rtt_s * 1e3, rate * 8 / 1e6, bdp / 1024, need / 1024);
	if (n < len)
		n += (size_t)snprintf(msg + n, len - n, w < 0 ? "; tcp_wmem not set" :
				      "; tcp_wmem max %.0f KiB %s (send cap %.1f Mbit/s)", w / 1024,
				      w >= need ? "covers it" : "is short", cw * 8 / 1e6);
	if (n < len)
		snprintf(msg + n, len - n, r < 0 ? "; tcp_rmem not set" :
			 "; tcp_rmem max %.0f KiB %s (receive cap %.1f Mbit/s)", r / 1024,
			 r >= need ? "covers it" : "is short", cr * 8 / 1e6);
	if (w < 0 && r < 0)
		return -1;
	return (w < 0 || w >= need) && (r < 0 || r >= need);
}

/* Walks the top-level mapping of a profile document. */
static int load_doc(struct ld *l, struct hr_profile *p)
{
	yaml_node_t *root = yaml_document_get_root_node(l->doc), *settings = NULL;
	yaml_node_pair_t *pr, *dup;
	int r;

	if (!root || root->type != YAML_MAPPING_NODE)
		return at(l, root, "a profile is a mapping (name, description, extends, assumptions, settings)",
			  NULL, NULL);
	for (pr = root->data.mapping.pairs.start; pr < root->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(l->doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(l->doc, pr->value);
		const char *ks = scalar(k);

		if (!ks)
			return at(l, k, "keys must be strings", NULL, NULL);
		for (dup = root->data.mapping.pairs.start; dup < pr; dup++) {
			const char *ds = scalar(yaml_document_get_node(l->doc, dup->key));

			if (ds && !strcmp(ds, ks))
				return at(l, k, "duplicate field '%s'", ks, NULL);
		}
		if (!strcmp(ks, "name") && scalar(v)) {
			if (!name_ok(scalar(v)))
				return at(l, v, "profile name '%s' must be [a-z0-9_-], at most 64 characters",
					  scalar(v), NULL);
			p->name = strdup(scalar(v));
		} else if (!strcmp(ks, "description") && scalar(v)) {
			p->description = hr_ws_normalise(scalar(v));
		} else if (!strcmp(ks, "extends")) {
			if ((r = str_list(l, v, "extends", &p->extends, &p->nextends)) < 0)
				return r;
		} else if (!strcmp(ks, "assumptions")) {
			if ((r = str_list(l, v, "assumptions", &p->assumptions, &p->nassumptions)) < 0)
				return r;
		} else if (!strcmp(ks, "settings") && v->type == YAML_MAPPING_NODE) {
			settings = v;
		} else if (!strcmp(ks, "path")) {
			if ((r = load_path(l, p, k, v)) < 0)
				return r;
		} else {
			return at(l, k, "unknown or malformed field '%s'", ks, NULL);
		}
	}
	if (!p->name)
		return at(l, root, "a profile needs a 'name'", NULL, NULL);
	if (!p->description)
		return at(l, root, "profile '%s' needs a 'description'", p->name, NULL);
	if (settings) {
		for (pr = settings->data.mapping.pairs.start; pr < settings->data.mapping.pairs.top; pr++) {
			r = load_setting(l, p, yaml_document_get_node(l->doc, pr->key),
					 yaml_document_get_node(l->doc, pr->value));
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int hr_profile_load_file(const char *path, struct hr_profile **out, struct hr_err *err)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct hr_profile *p;
	struct ld l = {path, &doc, err};
	char *text;
	size_t len;
	int r;

	*out = NULL;
	r = hr_bounds_read_yaml(path, HR_PROFILE_MAX_FILE, "profile", &text, &len, err);
	if (r < 0) {
		if (r != -EFBIG && r != -EBADMSG)
			hr_err_set(err, r, "%s: %s", path, hr_strerror(r)); /* the wording before the bounds */
		return r;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		free(text);
		return -ENOMEM;
	}
	p->file = strdup(path);
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		hr_err_set(err, -EBADMSG, "%s:%zu:%zu: YAML error: %s", path,
			   parser.problem_mark.line + 1, parser.problem_mark.column + 1,
			   parser.problem ? parser.problem : "unknown");
		yaml_parser_delete(&parser);
		free(text);
		hr_profile_free(p);
		return -EBADMSG;
	}
	r = load_doc(&l, p);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	free(text);
	if (r < 0) {
		hr_err_set(err, r, "%s: %s", path, hr_strerror(r));
		hr_profile_free(p);
		return r;
	}
	*out = p;
	return 0;
}

/* Merges a loaded profile's settings into the resolved one (override by key). */
static int merge_settings(struct hr_profile *dst, const struct hr_profile *src)
{
	size_t i, j;

	for (i = 0; i < src->nsettings; i++) {
		const struct hr_desired *s = &src->settings[i];
		struct hr_desired c = {0}, *nv;

		c.key = strdup(s->key);
		c.op = s->op;
		c.value = strdup(s->value);
		c.why = strdup(s->why);
		c.from = strdup(s->from);
		c.where = s->where ? strdup(s->where) : NULL;
		if (!c.key || !c.value || !c.why || !c.from) {
			hr_desired_clear(&c);
			return -ENOMEM;
		}
		for (j = 0; j < dst->nsettings; j++)
			if (!strcmp(dst->settings[j].key, c.key))
				break;
		if (j < dst->nsettings) {
			c.overrides = strdup(dst->settings[j].from);
			hr_desired_clear(&dst->settings[j]);
			dst->settings[j] = c;
			continue;
		}
		nv = realloc(dst->settings, (dst->nsettings + 1) * sizeof(*nv));
		if (!nv) {
			hr_desired_clear(&c);
			return -ENOMEM;
		}
		dst->settings = nv;
		dst->settings[dst->nsettings++] = c;
	}
	return 0;
}

/* Depth-first resolution: parents merged first, then the profile itself.
 * stack holds the names being resolved (a name met again is a cycle). */
static int resolve(const char *dir, const char *name, struct hr_profile *dst, const char **stack,
		   int depth, struct hr_err *err)
{
	char path[4096], chain[2048] = "";
	struct hr_profile *p;
	size_t i;
	int k, r;

	if (!name_ok(name)) {
		hr_err_set(err, -EINVAL, "profile name '%s' must be [a-z0-9_-] (a name, not a path)", name);
		return -EINVAL;
	}
	for (k = 0; k < depth; k++)
		if (!strcmp(stack[k], name)) {
			for (i = (size_t)k; i < (size_t)depth; i++) {
				strncat(chain, stack[i], sizeof(chain) - strlen(chain) - 1);
				strncat(chain, " -> ", sizeof(chain) - strlen(chain) - 1);
			}
			strncat(chain, name, sizeof(chain) - strlen(chain) - 1);
			hr_err_set(err, -ELOOP, "profile '%s' extends itself: %s", name, chain);
			return -ELOOP;
		}
	if (depth >= HR_PROFILE_MAX_DEPTH) {
		hr_err_set(err, -ELOOP, "profile '%s': extends chain deeper than %d", name,
			   HR_PROFILE_MAX_DEPTH);
		return -ELOOP;
	}
	for (i = 0; i < dst->nchain; i++)
		if (!strcmp(dst->chain[i], name))
			return 0; /* a diamond: already merged through another parent */
	snprintf(path, sizeof(path), "%s/%s.yaml", dir, name);
	r = hr_profile_load_file(path, &p, err);
	if (r == -ENOENT && depth > 0) {
		hr_err_clear(err);
		hr_err_set(err, -ENOENT, "profile '%s' extends unknown profile '%s' (no %s)",
			   stack[depth - 1], name, path);
	} else if (r == -ENOENT) {
		hr_err_clear(err);
		hr_err_set(err, -ENOENT, "unknown profile '%s' (no %s; see 'headroom profile list')",
			   name, path);
	}
	if (r < 0)
		return r;
	if (strcmp(p->name, name) != 0) {
		hr_err_set(err, -EBADMSG, "%s: name '%s' does not match the file name '%s'", path,
			   p->name, name);
		hr_profile_free(p);
		return -EBADMSG;
	}
	stack[depth] = name;
	for (i = 0; i < p->nextends; i++) {
		r = resolve(dir, p->extends[i], dst, stack, depth + 1, err);
		if (r < 0) {
			hr_profile_free(p);
			return r;
		}
	}
	r = merge_settings(dst, p);
	if (r == 0 && p->path_where) { /* the profile's own path replaces its parents' */
		dst->path_rtt_s = p->path_rtt_s;
		dst->path_rate = p->path_rate;
		free(dst->path_where);
		dst->path_where = strdup(p->path_where);
		r = dst->path_where ? 0 : -ENOMEM;
	}
	if (r == 0)
		r = push_str(&dst->chain, &dst->nchain, name);
	for (i = 0; r == 0 && i < p->nassumptions; i++)
		r = push_str(&dst->assumptions, &dst->nassumptions, p->assumptions[i]);
	if (r == 0 && depth == 0) {
		dst->name = strdup(p->name);
		dst->description = strdup(p->description);
		dst->file = strdup(p->file);
		for (i = 0; r == 0 && i < p->nextends; i++)
			r = push_str(&dst->extends, &dst->nextends, p->extends[i]);
	}
	hr_profile_free(p);
	return r;
}

int hr_profile_resolve(const char *dir, const char *name, struct hr_profile **out, struct hr_err *err)
{
	const char *stack[HR_PROFILE_MAX_DEPTH + 1];
	struct hr_profile *p = calloc(1, sizeof(*p));
	int r;

	*out = NULL;
	if (!p)
		return -ENOMEM;
	r = resolve(dir, name, p, stack, 0, err);
	if (r < 0) {
		hr_profile_free(p);
		return r;
	}
	*out = p;
	return 0;
}

/* qsort comparator of C strings. */
static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int hr_profile_names(const char *dir, char ***names, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int r = 0;

	*names = NULL;
	*n = 0;
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		char name[256];

		if (len <= 5 || strcmp(de->d_name + len - 5, ".yaml") != 0 || de->d_name[0] == '.')
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(len - 5), de->d_name);
		if ((r = push_str(names, n, name)) < 0)
			break;
	}
	closedir(d);
	if (*n)
		qsort(*names, *n, sizeof(char *), cmp_str);
	return r;
}

void hr_profile_names_free(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* A string array as a JSON array. */
static json_t *str_array(char **v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

json_t *hr_profile_to_json(const struct hr_profile *p)
{
	json_t *o = json_object(), *s = json_array();
	size_t i;

	json_object_set_new(o, "name", json_string(p->name));
	json_object_set_new(o, "description", json_string(p->description));
	json_object_set_new(o, "file", json_string(p->file));
	json_object_set_new(o, "extends", str_array(p->extends, p->nextends));
	json_object_set_new(o, "chain", str_array(p->chain, p->nchain));
	json_object_set_new(o, "assumptions", str_array(p->assumptions, p->nassumptions));
	for (i = 0; i < p->nsettings; i++) {
		const struct hr_desired *x = &p->settings[i];

		json_array_append_new(s, json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?}", "key", x->key,
						    "value", hr_desired_value_text(x), "why", x->why,
						    "from", x->from, "where", x->where, "overrides",
						    x->overrides));
	}
	json_object_set_new(o, "settings", s);
	if (p->path_rate > 0) {
		const char *w = NULL, *r = NULL;
		char msg[512];
		int c;

		for (i = 0; i < p->nsettings; i++) {
			if (p->settings[i].op != HR_OP_SET)
				continue;
			if (!strcmp(p->settings[i].key, "net.ipv4.tcp_wmem"))
				w = p->settings[i].value;
			else if (!strcmp(p->settings[i].key, "net.ipv4.tcp_rmem"))
				r = p->settings[i].value;
		}
		c = hr_profile_path_check(p->path_rtt_s, p->path_rate, w, r, msg, sizeof(msg));
		json_object_set_new(o, "path", json_pack("{s:f, s:f, s:s?, s:s, s:o}", "rtt", p->path_rtt_s,
							 "bandwidth", p->path_rate, "where", p->path_where,
							 "check", msg, "covers", c == 1 ? json_true() : json_false()));
	}
	return o;
}
