/* audit-files.c: sysctl.d files as declared inputs of an audit:
 * --assume-file (the host as it would be with the file: each setting with
 * its FILE:LINE, the lines the kernel would refuse named) and --boot (the
 * state the next boot produces: today's values overlaid by the boot set,
 * and a key no file sets back at the kernel's default where that is known;
 * the keys whose runtime value differs from what boot sets). Then, in the
 * report, which declared line each finding depends on and the critical
 * findings the files create.
 * May call: sysctld.c, sysctl.c, netns-fresh.c, probe.h (the directories
 * the kernel's defaults are read from), facts, rules (the facts a rule reads). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "audit-int.h"
#include "lazy.h"
#include "probe.h"
#include "severity.h"
#include "sysctl.h"
#include "sysctld.h"

#define DEFAULT_SOURCE "kernel default (a new network namespace)"

struct hr_audit_files {
	struct hr_sysctld whatif; /* --assume-file, in order */
	bool boot;
	char *config_root;
	struct hr_sysctld bootd;  /* the boot set */
	hr_facts *defaults;       /* the kernel's defaults, or NULL (defaults_note says why) */
	char defaults_note[HR_ERR_MAX];
};

/* The keys the boot set names (explicit and glob matches on this system),
 * for the kernel's defaults to be read too. Owned array (strings borrowed
 * from sets), or NULL. */
static const char **boot_keys(const struct hr_sysctld_set *sets, size_t n)
{
	const char **k = calloc(n ? n : 1, sizeof(*k));
	size_t i;

	for (i = 0; k && i < n; i++)
		k[i] = sets[i].key;
	return k;
}

/* The kernel's defaults for the boot view: a new network namespace's keys
 * (live system only). */
static void read_defaults(struct hr_audit_files *fs, const char *root)
{
	struct hr_sysctld_set *sets = NULL;
	struct hr_err e = {0};
	const char **keys;
	size_t n = 0;
	int r;

	if (root && *root) {
		snprintf(fs->defaults_note, sizeof(fs->defaults_note),
			 "not known for a captured tree (--root): a key no file sets keeps its value");
		return;
	}
	hr_sysctld_expand(&fs->bootd, root, &sets, &n);
	keys = boot_keys(sets, n);
	fs->defaults = hr_facts_new();
	r = keys && fs->defaults ? hr_netns_fresh_sysctls(hr_probe_sysctl_dirs, keys, n, fs->defaults, DEFAULT_SOURCE, &e)
				 : -ENOMEM;
	if (r < 0) {
		hr_facts_free(fs->defaults);
		fs->defaults = NULL;
		snprintf(fs->defaults_note, sizeof(fs->defaults_note), "not known (%.900s): a key no file sets keeps its value",
			 e.msg[0] ? e.msg : hr_strerror(r));
	}
	free(keys);
	hr_sysctld_set_free(sets, n);
}

int hr_audit_files_new(const struct hr_audit_opts *o, struct hr_audit_files **out, struct hr_err *err)
{
	struct hr_audit_files *fs;
	size_t i;
	int r = 0;

	*out = NULL;
	if (!o->nassume_files && !o->boot)
		return 0;
	fs = calloc(1, sizeof(*fs));
	if (!fs) {
		hr_err_set(err, -ENOMEM, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < o->nassume_files && r == 0; i++)
		r = hr_sysctld_read(&fs->whatif, o->assume_files[i], err);
	/* A line that is no assignment is a mistake in the proposal: say where. */
	if (r == 0 && fs->whatif.nproblems) {
		hr_err_set(err, -EINVAL, "--assume-file %s: %s%s", fs->whatif.problems[0].where, fs->whatif.problems[0].msg,
			   fs->whatif.nproblems > 1 ? " (and more lines like it)" : "");
		r = -EINVAL;
	}
	if (r == 0 && o->boot) {
		const char *croot = o->config_root ? o->config_root : o->root ? o->root : "";

		fs->boot = true;
		fs->config_root = strdup(croot);
		r = fs->config_root ? hr_sysctld_read_boot(&fs->bootd, croot, err) : -ENOMEM;
		if (r == 0)
			read_defaults(fs, o->root);
	}
	if (r < 0) {
		hr_err_set(err, r, "out of memory");
		hr_audit_files_free(fs);
		return r;
	}
	*out = fs;
	return 0;
}

void hr_audit_files_free(struct hr_audit_files *fs)
{
	if (!fs)
		return;
	hr_sysctld_clear(&fs->whatif);
	hr_sysctld_clear(&fs->bootd);
	hr_facts_free(fs->defaults);
	free(fs->config_root);
	free(fs);
}

/* Why the kernel would refuse key = value here (into why), or false when
 * it takes it: a value that is no value, a key absent here (removed, like
 * tcp_tw_recycle since 4.12, or a global key seen from a child network
 * namespace), a read-only key, a value not shaped like the current one or
 * outside the key's range (hr_sysctl_range). */
static bool kernel_refuses(const hr_facts *f, const char *root, bool child, const char *key, const char *value,
			   char *why, size_t n)
{
	const char *raw, *missing, *source;
	bool global = !strncmp(key, "net.", 4) && hr_sysctl_is_global(key);
	struct hr_err e = {0};
	enum hr_key_kind kind;
	struct hr_value v;
	int r;

	if (hr_sysctl_value_check(key, value, &e) < 0)
		goto refused;
	r = hr_facts_sysctl(f, key, &raw, &missing, &source);
	if (r == 0 && missing) {
		snprintf(why, n, "%s", missing);
		return true;
	}
	if (child && global && (r < 0 || (source && strstr(source, HR_NETNS_GLOBAL_NOTE)))) {
		snprintf(why, n, "global key: not writable in a child network namespace (set it from the initial one)");
		return true;
	}
	r = hr_sysctl_stat(root, key, &kind);
	if (r == -ENOENT && hr_facts_sysctl(f, key, &raw, &missing, &source) < 0) {
		snprintf(why, n, "no such key on this kernel");
		return true;
	}
	if (r == 0 && kind == HR_KEY_READONLY) {
		snprintf(why, n, "read-only key");
		return true;
	}
	if (r < 0 && r != -ENOENT) {
		snprintf(why, n, "%s", hr_strerror_about(r, HR_ABOUT_KEY));
		return true;
	}
	if ((hr_facts_get(f, key, -1, &v) == 0 || hr_facts_get(f, key, 0, &v) == 0) &&
	    hr_audit_shape_check(&v, "", key, value, &e) < 0)
		goto refused;
	if (hr_sysctl_range(root, key, value, &e) < 0)
		goto refused;
	return false;
refused:
	/* The checks name the key first; the caller names it already. */
	snprintf(why, n, "%s", !strncmp(e.msg, key, strlen(key)) && !strncmp(e.msg + strlen(key), ": ", 2)
				       ? e.msg + strlen(key) + 2
				       : e.msg);
	return true;
}

/* A key's current value: the facts', else root's /proc/sys (owned), or NULL. */
static char *current(const hr_facts *f, const char *root, const char *key)
{
	const char *raw, *missing;
	char *v = NULL;

	if (hr_facts_sysctl(f, key, &raw, &missing, NULL) == 0)
		return raw ? strdup(raw) : NULL;
	if (hr_sysctl_read(root, key, &v) < 0)
		return NULL;
	raw = v;
	v = hr_ws_normalise(raw);
	free((char *)raw);
	return v;
}

/* Sets key = value (source) in f and records it as declared when it
 * changes the value (was). */
static void declare(hr_facts *f, json_t *declared, const char *key, const char *value, const char *was,
		    const char *source)
{
	/* was may be f's own text of key, which setting it frees: a copy. */
	char *w = was ? strdup(was) : NULL;

	hr_facts_set_sysctl(f, key, value, source);
	if (!w || !hr_sysctl_equal(w, value))
		json_object_set_new(declared, key, json_pack("{s:s, s:s, s:s?, s:s}", "key", key, "value", value,
							     "was", w, "source", source));
	free(w);
}

/* One set key of the files into f, or when the kernel would refuse it
 * into rejected; *was (owned) gets the value before. True when applied. */
static bool apply_set(hr_facts *f, const char *root, bool child, const struct hr_sysctld_set *s, json_t *declared,
		      json_t *rejected, char **was)
{
	char why[HR_ERR_MAX];

	*was = current(f, root, s->key);
	if (kernel_refuses(f, root, child, s->key, s->value, why, sizeof(why))) {
		json_array_append_new(rejected, json_pack("{s:s, s:s, s:s, s:s, s:b}", "where", s->where, "key", s->key,
							  "value", s->value, "reason", why, "ignored",
							  s->ignore_failure));
		return false;
	}
	declare(f, declared, s->key, s->value, *was, s->where);
	return true;
}

/* qsort comparator of json objects by their "key". */
static int cmp_key(const void *a, const void *b)
{
	return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "key")),
		      json_string_value(json_object_get(*(json_t *const *)b, "key")));
}

/* A json array of objects sorted by "key" (owned; arr is stolen). */
static json_t *sorted(json_t *arr)
{
	size_t i, n = json_array_size(arr);
	json_t **v = calloc(n ? n : 1, sizeof(*v)), *out;

	if (!v)
		return arr;
	for (i = 0; i < n; i++)
		v[i] = json_array_get(arr, i);
	qsort(v, n, sizeof(*v), cmp_key);
	out = json_array();
	for (i = 0; i < n; i++)
		json_array_append(out, v[i]);
	free(v);
	json_decref(arr);
	return out;
}

static json_t *strings(char *const *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* The state for the keys a new namespace has at their default, not set
 * by a file: back at the default where runtime differs. */
struct back {
	hr_facts *f;
	const json_t *set; /* keys the files set (or tried to) */
	json_t *declared, *diffs;
	size_t unchanged;
};

static int back_to_default(void *ud, const char *key, const char *dflt, const char *source)
{
	struct back *b = ud;
	const char *raw, *missing;

	if (json_object_get(b->set, key) || hr_facts_sysctl(b->f, key, &raw, &missing, NULL) < 0 || !raw)
		return 0;
	if (hr_sysctl_equal(raw, dflt)) {
		b->unchanged++;
		return 0;
	}
	json_array_append_new(b->diffs, json_pack("{s:s, s:s, s:s, s:n, s:s}", "key", key, "runtime", raw, "boot", dflt,
						  "where", "status", "not persisted: lost at reboot"));
	declare(b->f, b->declared, key, dflt, raw, "kernel default (not persisted)");
	(void)source;
	return 0;
}

/* Counts the sysctls with a value that neither a file nor a known default covers. */
struct count_unknown {
	const json_t *set;
	const hr_facts *defaults;
	const char *root;
	size_t n;
};

static int unknown_one(void *ud, const char *key, const char *raw, const char *source)
{
	struct count_unknown *c = ud;
	enum hr_key_kind kind;
	const char *r, *m;

	(void)raw;
	(void)source;
	/* A read-only key is no setting: nothing persists it, nothing loses it. */
	if (!json_object_get(c->set, key) && (!c->defaults || hr_facts_sysctl(c->defaults, key, &r, &m, NULL) < 0) &&
	    !(hr_sysctl_stat(c->root, key, &kind) == 0 && kind == HR_KEY_READONLY))
		c->n++;
	return 0;
}

/* The boot view into f and parts["boot"]. */
static int apply_boot(const struct hr_audit_files *fs, const char *root, bool child, hr_facts *f, json_t *declared,
		      json_t *parts)
{
	json_t *rejected = json_array(), *diffs = json_array(), *set = json_object(), *boot;
	struct hr_sysctld_set *sets = NULL;
	struct count_unknown cu = {.set = set, .defaults = fs->defaults, .root = root};
	struct back b = {.f = f, .set = set, .declared = declared, .diffs = diffs};
	size_t i, n = 0;
	int r = hr_sysctld_expand(&fs->bootd, root, &sets, &n);

	for (i = 0; r == 0 && i < n; i++) {
		char *was;

		json_object_set_new(set, sets[i].key, json_true());
		if (apply_set(f, root, child, &sets[i], declared, rejected, &was) && was &&
		    !hr_sysctl_equal(was, sets[i].value))
			json_array_append_new(diffs, json_pack("{s:s, s:s, s:s, s:s, s:s}", "key", sets[i].key, "runtime",
							       was, "boot", sets[i].value, "where", sets[i].where,
							       "status", "set by a file"));
		free(was);
	}
	hr_facts_each_sysctl(f, unknown_one, &cu);
	if (fs->defaults)
		hr_facts_each_sysctl(fs->defaults, back_to_default, &b);
	boot = json_pack("{s:s, s:o, s:o, s:s?, s:s?, s:I, s:I, s:o, s:o}", "config_root",
			 *fs->config_root ? fs->config_root : "/", "files", strings(fs->bootd.files, fs->bootd.nfiles),
			 "problems", hr_sysctld_problems_json(&fs->bootd), "defaults", fs->defaults ? DEFAULT_SOURCE : NULL,
			 "defaults_unknown", fs->defaults ? NULL : fs->defaults_note, "keys_set", (json_int_t)n,
			 "unknown_defaults", (json_int_t)cu.n, "differences", sorted(diffs), "rejected", rejected);
	json_object_set_new(parts, "boot", boot);
	json_decref(set);
	hr_sysctld_set_free(sets, n);
	return r;
}

/* The --assume-file settings into f and parts["what_if"]. */
static int apply_whatif(const struct hr_audit_files *fs, const char *root, bool child, hr_facts *f,
			json_t *declared, json_t *parts)
{
	json_t *rejected = json_array(), *settings = json_array();
	struct hr_sysctld_set *sets = NULL;
	size_t i, n = 0;
	int r = hr_sysctld_expand(&fs->whatif, root, &sets, &n);

	for (i = 0; r == 0 && i < n; i++) {
		char *was;

		if (apply_set(f, root, child, &sets[i], declared, rejected, &was))
			json_array_append_new(settings, json_pack("{s:s, s:s, s:s?, s:s}", "key", sets[i].key, "value",
								  sets[i].value, "was", was, "where", sets[i].where));
		free(was);
	}
	json_object_set_new(parts, "what_if",
			    json_pack("{s:o, s:o, s:o}", "files", strings(fs->whatif.files, fs->whatif.nfiles),
				      "settings", settings, "rejected", rejected));
	hr_sysctld_set_free(sets, n);
	return r;
}

int hr_audit_files_apply(const struct hr_audit_files *fs, const char *root, bool child, hr_facts *f,
			 json_t **parts)
{
	json_t *declared = json_object();
	int r = 0;

	*parts = json_object();
	if (!*parts || !declared) {
		json_decref(declared);
		return -ENOMEM;
	}
	if (fs && fs->boot)
		r = apply_boot(fs, root, child, f, declared, *parts);
	if (fs && r == 0 && fs->whatif.nfiles)
		r = apply_whatif(fs, root, child, f, declared, *parts);
	json_object_set_new(*parts, "_declared", declared);
	return r;
}

/* The declared entry a fact depends on: the key itself, or the key whose
 * FILE:LINE is the fact's source (ports.* carry the port range's). */
static json_t *depends(const hr_facts *f, const json_t *declared, const json_t *bysource, const char *name)
{
	json_t *e = json_object_get(declared, name);
	struct hr_value v;
	int r;

	if (e)
		return e;
	r = hr_facts_get(f, name, -1, &v);
	if (r == -EDOM)
		r = hr_facts_get(f, name, 0, &v);
	return r == 0 && v.source ? json_object_get(bysource, v.source) : NULL;
}

/* finding["changed_by"]: the declared entries the finding's rule reads
 * (names: rule id -> the facts it reads, filled as needed). */
static void changed_by(const hr_ruleset *rs, const hr_facts *f, const json_t *declared, const json_t *bysource,
		       json_t *names, json_t *fd)
{
	const char *rule = json_string_value(json_object_get(fd, "rule"));
	json_t *reads, *nm, *out = json_array(), *e, *x;
	size_t i, j;

	if (!rule || !out)
		return json_decref(out);
	reads = json_object_get(names, rule);
	if (!reads) {
		reads = hr_ruleset_rule_facts(rs, rule);
		json_object_set_new(names, rule, reads);
	}
	json_array_foreach(reads, i, nm) {
		bool have = false;

		e = depends(f, declared, bysource, json_string_value(nm));
		json_array_foreach(out, j, x)
			have = have || x == e;
		if (e && !have)
			json_array_append(out, e);
	}
	if (json_array_size(out))
		json_object_set_new(fd, "changed_by", out);
	else
		json_decref(out);
}

/* Adds "rule\tsubject" of fd to set when fd is critical. */
static void critical_add(json_t *set, const json_t *fd)
{
	const char *subj = json_string_value(json_object_get(fd, "subject"));
	char k[1024];

	if (strcmp(json_string_value(json_object_get(fd, "severity")) ?: "", "critical"))
		return;
	snprintf(k, sizeof(k), "%s\t%s", json_string_value(json_object_get(fd, "rule")) ?: "", subj ? subj : "");
	json_object_set_new(set, k, json_true());
}

/* A baseline evaluation makes at most this many findings per rule and
 * severity; its other critical findings are made again one at a time. */
#define BASELINE_HELD 50

json_t *hr_audit_files_criticals(const hr_ruleset *rs, const hr_facts *f)
{
	struct hr_eval_refs refs = {0};
	struct hr_eval_opts eo = {.hold = BASELINE_HELD, .refs = &refs};
	json_t *set = json_object(), *eval = hr_ruleset_evaluate_opts(rs, f, &eo), *fd;
	hr_rules_finder *fnd = NULL;
	size_t i;

	if (refs.nomem) { /* not every finding recorded: all of them made */
		json_decref(eval);
		eval = hr_ruleset_evaluate(rs, f);
		refs.n = 0;
	}
	json_array_foreach(json_object_get(eval, "findings"), i, fd)
		critical_add(set, fd);
	json_decref(eval);
	for (i = 0; i < refs.n; i++) {
		if (refs.v[i].made || refs.v[i].sev != HR_SEV_CRITICAL)
			continue;
		if (!fnd && !(fnd = hr_rules_finder_new(rs, f)))
			break;
		fd = hr_rules_finder_get(fnd, refs.v[i].rule, refs.v[i].item);
		critical_add(set, fd);
		json_decref(fd);
	}
	hr_rules_finder_free(fnd);
	free(refs.v);
	return set;
}

/* The sources of a finding's changed_by, joined ("a.conf:3, b.conf:1"). */
static void sources_text(const json_t *fd, char *buf, size_t n)
{
	json_t *e;
	size_t i, o = 0;

	buf[0] = '\0';
	json_array_foreach(json_object_get(fd, "changed_by"), i, e)
		if (o < n)
			o += (size_t)snprintf(buf + o, n - o, "%s%s", o ? ", " : "",
					      json_string_value(json_object_get(e, "source")));
}

/* Replaces the verdict (and status, exit code) of a summary. */
static void set_verdict(json_t *summary, const char *status, int code, const char *text)
{
	json_object_set_new(summary, "verdict", json_string(text));
	json_object_set_new(summary, "status", json_string(status));
	json_object_set_new(summary, "exit_code", json_integer(code));
}

/* What each finding carries with declared files: changed_by, and
 * new_critical when critical and not in the baseline (before). */
struct marks {
	const hr_ruleset *rs;
	const hr_facts *f;
	json_t *declared, *bysource, *names, *before; /* references */
};

static void marks_free(void *p)
{
	struct marks *m = p;

	json_decref(m->declared);
	json_decref(m->bysource);
	json_decref(m->names);
	json_decref(m->before);
	free(m);
}

static void mark(void *p, json_t *fd)
{
	struct marks *m = p;
	const char *subj = json_string_value(json_object_get(fd, "subject"));
	char buf[2048];

	changed_by(m->rs, m->f, m->declared, m->bysource, m->names, fd);
	snprintf(buf, sizeof(buf), "%s\t%s", json_string_value(json_object_get(fd, "rule")) ?: "", subj ? subj : "");
	if (!strcmp(json_string_value(json_object_get(fd, "severity")) ?: "", "critical") &&
	    !json_object_get(m->before, buf))
		json_object_set_new(fd, "new_critical", json_true());
}

/* The new critical findings listed in the summary: {rule, subject,
 * changed_by} of each, made from the finding as written (at 65,536
 * destinations each may be one). */
struct created {
	json_t *findings; /* a reference */
	size_t *pos, n;   /* their positions in findings */
};

#define CREATED_HELD 50

static void created_free(void *p)
{
	struct created *c = p;

	json_decref(c->findings);
	free(c->pos);
	free(c);
}

static json_t *created_item(const void *ctx, size_t i)
{
	const struct created *c = ctx;
	hr_lazy_item_fn fn;
	const void *fctx;
	json_t *fd, *out;
	size_t n;

	if (hr_lazy_find(c->findings, &n, &fn, &fctx))
		fd = fn(fctx, c->pos[i]);
	else
		fd = json_incref(json_array_get(c->findings, c->pos[i]));
	if (!fd)
		return NULL;
	out = json_pack("{s:O, s:O?, s:O?}", "rule", json_object_get(fd, "rule"), "subject",
			json_object_get(fd, "subject"), "changed_by", json_object_get(fd, "changed_by"));
	json_decref(fd);
	return out;
}

/* The new critical findings of findings (marked), a lazy array. */
static json_t *new_criticals(json_t *findings)
{
	struct created *c = calloc(1, sizeof(*c));
	size_t cap = 0, i = 0;
	struct hr_lazy_iter it;
	const json_t *fd;

	if (!c)
		return NULL;
	c->findings = json_incref(findings);
	hr_lazy_iter_init(&it, findings);
	for (; (fd = hr_lazy_next(&it)); i++) {
		if (!json_is_true(json_object_get(fd, "new_critical")))
			continue;
		if (c->n == cap) {
			size_t *v = realloc(c->pos, (cap = cap ? cap * 2 : 64) * sizeof(*v));

			if (!v)
				break;
			c->pos = v;
		}
		c->pos[c->n++] = i;
	}
	hr_lazy_iter_end(&it);
	return hr_lazy_array(c->n, CREATED_HELD, created_item, c, created_free);
}

void hr_audit_files_report(const hr_ruleset *rs, const hr_facts *f, const json_t *before, json_t *report,
			   json_t *parts)
{
	json_t *declared = json_object_get(parts, "_declared"), *bysource = json_object();
	json_t *findings = json_object_get(report, "findings"), *summary = json_object_get(report, "summary");
	json_t *created, *e, *whatif, *boot, *rej;
	const json_t *fd;
	struct marks *m = calloc(1, sizeof(*m));
	const char *key;
	size_t i, nrej = 0;
	char buf[2048], src[1024];

	json_object_foreach(declared, key, e) {
		const char *s = json_string_value(json_object_get(e, "source"));

		if (strncmp(s, "kernel default", 14) && !json_object_get(bysource, s))
			json_object_set(bysource, s, e);
	}
	/* Each finding marked as it is made: those of a lazy array as written. */
	if (m) {
		*m = (struct marks){rs, f, json_incref(declared), json_incref(bysource), json_object(),
				    json_incref((json_t *)before)};
		hr_lazy_then(findings, mark, m, marks_free);
	}
	created = new_criticals(findings);
	whatif = json_object_get(parts, "what_if");
	boot = json_object_get(parts, "boot");
	json_object_set(whatif ? whatif : boot, "new_critical", created);
	if (boot)
		json_object_set(summary, "boot", boot);
	if (whatif)
		json_object_set(summary, "what_if", whatif);
	/* The worst finding, created by a declared line: say which. */
	fd = json_array_get(findings, 0);
	sources_text(fd, src, sizeof(src));
	if (json_is_true(json_object_get(fd, "new_critical")) && src[0]) {
		const char *v = json_string_value(json_object_get(summary, "verdict")), *rest = strstr(v, ": ");

		snprintf(buf, sizeof(buf), "%.*s: %s %s, %s", rest ? (int)(rest - v) : 0, v,
			 whatif ? "with" : "after reboot, with", src, rest ? rest + 2 : v);
		json_object_set_new(summary, "verdict", json_string(buf));
	}
	/* A line the kernel would refuse fails the proposal: CRITICAL, named. */
	json_array_foreach(json_object_get(whatif, "rejected"), i, rej)
		if (!json_is_true(json_object_get(rej, "ignored")) && nrej++ == 0)
			e = rej;
	if (nrej) {
		snprintf(buf, sizeof(buf), "CRITICAL: %s: the kernel would reject %s = %s: %s%s",
			 json_string_value(json_object_get(e, "where")), json_string_value(json_object_get(e, "key")),
			 json_string_value(json_object_get(e, "value")), json_string_value(json_object_get(e, "reason")),
			 nrej > 1 ? " (and more lines, see the what-if)" : "");
		set_verdict(summary, "CRITICAL", HR_AUDIT_CRITICAL, buf);
	}
	json_decref(created);
	json_decref(bysource);
}
