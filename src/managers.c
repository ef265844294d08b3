/* managers.c: the other managers of a host's sysctls (managers.h). The
 * catalogue (rules/managers-catalogue.yaml, loaded by rules-managers.c)
 * says what each one writes, from its own code; a manager counts as
 * present when a process of its name runs (ROOT/proc/PID/comm), its keys'
 * values computed from its parameters, which its configuration reader may
 * refine: TuneD's keys come from its active profile ([sysctl] of
 * tuned.conf, with include= parents) and tuned-main.conf's reapply_sysctl,
 * kube-proxy's parameters from its --config file or flags
 * (managers-kube.c), systemd-sysctl's keys from the sysctl.d files.
 * May call: util (headroom.h), libc, jansson, the expression evaluator,
 * sysctld. */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "managers.h"
#include "sysctld.h"

#define MGR_MAX_FILE (256 * 1024)
#define MGR_MAX_INCLUDE 8

/* ------------------------------------------------------------ helpers */

int hr_managers_note(struct hr_managers *ms, const char *fmt, const char *a, const char *b)
{
	char line[1024];
	size_t have = ms->notes ? strlen(ms->notes) : 0;
	char *n;

	snprintf(line, sizeof(line), fmt, a, b);
	n = realloc(ms->notes, have + strlen(line) + 3);
	if (!n)
		return -ENOMEM;
	if (have)
		memcpy(n + have, "; ", 3), have += 2;
	strcpy(n + have, line);
	ms->notes = n;
	return 0;
}

/* Reads ROOT/rel (a regular file, at most MGR_MAX_FILE) into a new string;
 * NULL with *err = -errno. */
char *hr_managers_read(const char *root, const char *rel, int *err)
{
	char path[4096];
	struct stat st;
	char *buf;
	ssize_t n;
	size_t len = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		*err = -errno;
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		*err = -EINVAL;
		return NULL;
	}
	buf = malloc(MGR_MAX_FILE + 1);
	if (!buf) {
		close(fd);
		*err = -ENOMEM;
		return NULL;
	}
	while (len < MGR_MAX_FILE && (n = read(fd, buf + len, MGR_MAX_FILE - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	return buf;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int add_key(struct hr_manager *m, const char *key, const char *value, const char *when, const char *where)
{
	struct hr_manager_key *k;
	size_t i;

	for (i = 0; i < m->nkeys; i++) /* a later line (a child profile) replaces */
		if (!strcmp(m->keys[i].key, key)) {
			char *v = strdup(value);

			if (!v)
				return -ENOMEM;
			free(m->keys[i].value);
			m->keys[i].value = v;
			return 0;
		}
	k = realloc(m->keys, (m->nkeys + 1) * sizeof(*k));
	if (!k)
		return -ENOMEM;
	m->keys = k;
	k = &m->keys[m->nkeys];
	k->key = strdup(key);
	k->value = strdup(value);
	k->when = strdup(when);
	k->where = where ? strdup(where) : NULL;
	if (!k->key || !k->value || !k->when || (where && !k->where)) {
		free(k->key), free(k->value), free(k->when), free(k->where);
		return -ENOMEM;
	}
	m->nkeys++;
	return 0;
}

/* ------------------------------------------------------------ TuneD */

/* One profile's tuned.conf: its include= parents first, then its [sysctl]
 * lines. depth bounds include chains (and cycles). */
static int tuned_profile(struct hr_managers *ms, struct hr_manager *m, const char *root, const char *name,
			 const char *when, int depth)
{
	static const char *const dirs[] = {"etc/tuned/%s/tuned.conf", "etc/tuned/profiles/%s/tuned.conf",
					   "usr/lib/tuned/%s/tuned.conf", "usr/lib/tuned/profiles/%s/tuned.conf"};
	char rel[512], *text = NULL, *line, *save = NULL, section[64] = "";
	size_t i;
	int err = 0, r = 0;

	if (depth > MGR_MAX_INCLUDE || !*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return hr_managers_note(ms, "TuneD profile '%s' not read%s", name, depth > MGR_MAX_INCLUDE ? ": include chain too deep" : "");
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && !text; i++) {
		snprintf(rel, sizeof(rel), dirs[i], name);
		text = hr_managers_read(root, rel, &err);
	}
	if (!text)
		return err == -ENOMEM ? -ENOMEM : hr_managers_note(ms, "TuneD profile '%s': %s", name, "no tuned.conf found under /etc/tuned or /usr/lib/tuned");
	for (line = strtok_r(text, "\n", &save); line && r == 0; line = strtok_r(NULL, "\n", &save)) {
		char *l = trim(line), *eq;

		if (!*l || *l == '#' || *l == ';')
			continue;
		if (*l == '[') {
			char *e = strchr(l, ']');

			snprintf(section, sizeof(section), "%.*s", e ? (int)(e - l - 1) : 0, l + 1);
			continue;
		}
		eq = strchr(l, '=');
		if (!eq)
			continue;
		*eq = '\0';
		if (!strcmp(section, "main") && !strcmp(trim(l), "include")) {
			char *p, *s2 = NULL;

			for (p = strtok_r(eq + 1, ", \t", &s2); p && r == 0; p = strtok_r(NULL, ", \t", &s2))
				r = tuned_profile(ms, m, root, p, when, depth + 1);
		} else if (!strcmp(section, "sysctl")) {
			char *k = trim(l), *c;

			for (c = k; *c; c++) /* the slash form */
				if (*c == '/')
					*c = '.';
			r = add_key(m, k, trim(eq + 1), when, NULL);
		}
	}
	free(text);
	return r;
}

static int tuned_config(struct hr_managers *ms, struct hr_manager *m, const char *root)
{
	char *active, *main_conf, *p, *save = NULL, when[512], ev[512];
	int err = 0, r = 0, reapply = 1;

	main_conf = hr_managers_read(root, "etc/tuned/tuned-main.conf", &err);
	if (main_conf) {
		char *line, *s2 = NULL;

		for (line = strtok_r(main_conf, "\n", &s2); line; line = strtok_r(NULL, "\n", &s2)) {
			char *l = trim(line), *eq = strchr(l, '=');

			if (*l == '#' || !eq)
				continue;
			*eq = '\0';
			if (!strcmp(trim(l), "reapply_sysctl")) {
				const char *v = trim(eq + 1);

				reapply = !(!strcmp(v, "0") || !strcasecmp(v, "false") || !strcasecmp(v, "no"));
			}
		}
		free(main_conf);
	}
	snprintf(when, sizeof(when), "%s",
		 reapply ? "when its profile is applied (start-up, profile switch); reapply_sysctl = 1: "
			   "/etc/sysctl.d is applied again after it, so a key set there wins"
			 : "when its profile is applied (start-up, profile switch); reapply_sysctl = 0: it overrides /etc/sysctl.d");
	active = hr_managers_read(root, "etc/tuned/active_profile", &err);
	if (!active)
		return err == -ENOMEM ? -ENOMEM : hr_managers_note(ms, "TuneD runs but %s: %s", "/etc/tuned/active_profile",
							     "not readable, its keys are unknown");
	snprintf(ev, sizeof(ev), "%s, profile %s, reapply_sysctl %d", m->evidence, trim(active), reapply);
	free(m->evidence);
	m->evidence = strdup(ev);
	if (!m->evidence) {
		free(active);
		return -ENOMEM;
	}
	for (p = strtok_r(active, " \t\n", &save); p && r == 0; p = strtok_r(NULL, " \t\n", &save))
		r = tuned_profile(ms, m, root, p, when, 0);
	free(active);
	return r;
}

/* ------------------------------------------------------------ processes */

/* The catalogue entry whose process name is comm, or -1. */
static int cat_of(const struct hr_mgr_cat *cat, size_t ncat, const char *comm)
{
	size_t i, j;

	for (i = 0; i < ncat; i++)
		for (j = 0; j < cat[i].nprocs; j++)
			if (!strcmp(cat[i].procs[j], comm))
				return (int)i;
	return -1;
}

struct mgr_eval {
	const struct hr_mgr_cat *c;
	const double *params; /* the entry's params, as its reader found them */
	long ncpus;
};

static int mgr_lookup(struct hr_xctx *x, int kind, int slot, const char *name, int index, struct hr_xval *out)
{
	const struct mgr_eval *me = x->ud;

	(void)index;
	memset(out, 0, sizeof(*out));
	if (kind == HR_MGR_K_CPUS) {
		if (me->ncpus <= 0) {
			out->t = HR_X_MISSING, out->str = name, out->why = "the CPU count of a tree is not known";
			return 0;
		}
		out->t = HR_X_NUM, out->num = (double)me->ncpus;
		return 0;
	}
	if (kind != HR_MGR_K_PARAM || slot < 0 || (size_t)slot >= me->c->nparams) {
		hr_xctx_fail(x, "'%s': no such parameter", name);
		return -EINVAL;
	}
	out->t = me->c->params[slot].isbool ? HR_X_BOOL : HR_X_NUM;
	out->num = me->params[slot];
	return 0;
}

/* The catalogue's keys of c into m, values computed from params. */
static int cat_keys(struct hr_managers *ms, struct hr_manager *m, const struct hr_mgr_cat *c, const double *params,
		    long ncpus)
{
	struct mgr_eval me = {c, params, ncpus};
	struct hr_xctx x = {.lookup = mgr_lookup, .ud = &me};
	size_t i;
	int r = 0;

	for (i = 0; i < c->nkeys && r == 0; i++) {
		const struct hr_mgr_catkey *k = &c->keys[i];
		struct hr_xval v;
		char val[128], num[64];
		bool on = true;

		if (k->cond) {
			if (hr_expr_eval(k->cond, &x, &v) < 0)
				return hr_managers_note(ms, "%s", x.err, "");
			if (v.t != HR_X_MISSING && hr_xval_truth(&v, &x, k->cond, &on) < 0)
				return hr_managers_note(ms, "%s", x.err, "");
			if (!on)
				continue;
		}
		if (k->expr) {
			if (hr_expr_eval(k->expr, &x, &v) < 0)
				return hr_managers_note(ms, "%s", x.err, "");
			if (v.t == HR_X_NUM)
				snprintf(val, sizeof(val), "%s", hr_num_shortest(num, sizeof(num), v.num));
			else if (v.t == HR_X_MISSING)
				snprintf(val, sizeof(val), "depends on %s (%s)", v.str ? v.str : "?", v.why ? v.why : "unknown");
			else
				snprintf(val, sizeof(val), "%s", hr_xval_str(&v, num, sizeof(num)));
		}
		r = add_key(m, k->key, k->expr ? val : k->value, k->when, NULL);
	}
	return r;
}

/* systemd-sysctl: each key the sysctl.d files set at boot, with the line
 * that wins (sysctld.c: systemd-sysctl's order and precedence). */
static int sysctld_keys(struct hr_managers *ms, struct hr_manager *m, const char *root)
{
	struct hr_sysctld d;
	struct hr_sysctld_set *set = NULL;
	struct hr_err err;
	size_t i, n = 0;
	int r;

	memset(&d, 0, sizeof(d));
	memset(&err, 0, sizeof(err));
	r = hr_sysctld_read_boot(&d, root, &err);
	if (r == 0)
		r = hr_sysctld_expand(&d, root, &set, &n);
	if (r == -E2BIG)
		r = hr_managers_note(ms, "systemd-sysctl: %s", err.msg[0] ? err.msg : "too many sysctl.d files", "");
	for (i = 0; i < n && r == 0; i++)
		r = add_key(m, set[i].key, set[i].value, "at boot", set[i].where);
	hr_sysctld_set_free(set, n);
	hr_sysctld_clear(&d);
	return r;
}

static int found(struct hr_managers *ms, const struct hr_mgr_cat *c, const char *comm, long pid, long ncpus,
		 const char *root)
{
	struct hr_manager *m = NULL, *nm;
	double *params;
	char ev[256];
	size_t i;
	int r = 0;

	for (i = 0; i < ms->n; i++)
		if (!strcmp(ms->m[i].name, c->name))
			return 0; /* one entry per manager: the first process names it */
	nm = realloc(ms->m, (ms->n + 1) * sizeof(*nm));
	if (!nm)
		return -ENOMEM;
	ms->m = nm;
	m = &ms->m[ms->n++];
	memset(m, 0, sizeof(*m));
	if (comm)
		snprintf(ev, sizeof(ev), "process %s, pid %ld", comm, pid);
	else
		snprintf(ev, sizeof(ev), "the sysctl.d files");
	m->name = strdup(c->name);
	m->evidence = strdup(ev);
	m->source = strdup(c->source);
	params = calloc(c->nparams + 1, sizeof(*params));
	if (!m->name || !m->evidence || !m->source || !params) {
		free(params);
		return -ENOMEM;
	}
	for (i = 0; i < c->nparams; i++)
		params[i] = c->params[i].num;
	if (c->reads && !strcmp(c->reads, "kube-proxy"))
		r = hr_managers_kube_params(ms, m, c, params, root, pid);
	if (r == 0)
		r = cat_keys(ms, m, c, params, ncpus);
	free(params);
	if (r == 0 && c->reads && !strcmp(c->reads, "tuned"))
		r = tuned_config(ms, m, root);
	if (r == 0 && c->reads && !strcmp(c->reads, "sysctl.d")) {
		m->boot = true;
		r = sysctld_keys(ms, m, root);
		if (r == 0 && !m->nkeys) { /* no file sets a key: not a manager here */
			free(m->name), free(m->evidence), free(m->source);
			ms->n--;
		}
	}
	return r;
}

/* The managers found by their files alone (no process names), after the
 * processes: systemd-sysctl. */
static int file_managers(struct hr_managers *ms, const struct hr_mgr_cat *cat, size_t ncat, const char *root,
			 long ncpus)
{
	size_t i;
	int r = 0;

	for (i = 0; i < ncat && r == 0; i++)
		if (!cat[i].nprocs)
			r = found(ms, &cat[i], NULL, 0, ncpus, root);
	return r;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Distinct values of v[0..n) (sorted in place). */
static long distinct(uint64_t *v, size_t n)
{
	size_t i;
	long d = 1;

	if (n == 0)
		return 0; /* qsort(NULL, 0) is undefined */
	qsort(v, n, sizeof(*v), cmp_u64);
	for (i = 1; i < n; i++)
		d += v[i] != v[i - 1];
	return d;
}

int hr_managers_detect(struct hr_managers *ms, const struct hr_mgr_cat *cat, size_t ncat, const char *root,
		       long ncpus)
{
	uint64_t *ns = NULL;
	size_t nns = 0, cap = 0;
	char proc[4096];
	DIR *d;
	struct dirent *e;
	long pids = 0;
	int r = 0;

	memset(ms, 0, sizeof(*ms));
	if (!root || !strcmp(root, "/"))
		root = "";
	snprintf(proc, sizeof(proc), "%s/proc", root);
	d = opendir(proc);
	if (!d) {
		char why[4200];

		snprintf(why, sizeof(why), "%s: %s", proc, hr_strerror(-errno));
		ms->why_not = strdup(why);
		return ms->why_not ? file_managers(ms, cat, ncat, root, ncpus) : -ENOMEM;
	}
	while (r == 0 && (e = readdir(d))) {
		char rel[300], comm[64], *nl;
		const char *p = e->d_name;
		struct stat st;
		ssize_t n;
		int fd, ci;

		if (!isdigit((unsigned char)*p) || strspn(p, "0123456789") != strlen(p))
			continue;
		pids++;
		snprintf(rel, sizeof(rel), "%s/ns/net", p);
		if (fstatat(dirfd(d), rel, &st, 0) == 0) { /* the namespace's nsfs inode */
			if (nns == cap) {
				uint64_t *nv = realloc(ns, (cap = cap ? 2 * cap : 256) * sizeof(*nv));

				if (!nv) {
					r = -ENOMEM;
					break;
				}
				ns = nv;
			}
			ns[nns++] = ((uint64_t)st.st_dev << 40) ^ (uint64_t)st.st_ino;
		}
		snprintf(rel, sizeof(rel), "%s/comm", p);
		fd = openat(dirfd(d), rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0)
			continue; /* the process ended, or the tree has no comm */
		/* pread, not read: how many processes there are varies from run
		 * to run, and tests/apply-crashpoints.sh finds the steps of a
		 * transaction by counting read(2) calls. */
		n = pread(fd, comm, sizeof(comm) - 1, 0);
		close(fd);
		if (n <= 0)
			continue;
		comm[n] = '\0';
		if ((nl = strchr(comm, '\n')))
			*nl = '\0';
		ci = cat_of(cat, ncat, comm);
		if (ci >= 0)
			r = found(ms, &cat[ci], comm, strtol(p, NULL, 10), ncpus, root);
	}
	closedir(d);
	ms->netns = distinct(ns, nns);
	free(ns);
	if (r == 0)
		r = file_managers(ms, cat, ncat, root, ncpus);
	if (r == 0 && pids == 0) {
		ms->why_not = strdup(*root ? "the tree has no process list (proc/PID/comm)" : "no process in /proc");
		return ms->why_not ? 0 : -ENOMEM;
	}
	ms->read = r == 0;
	return r;
}

void hr_managers_clear(struct hr_managers *ms)
{
	size_t i, j;

	for (i = 0; i < ms->n; i++) {
		for (j = 0; j < ms->m[i].nkeys; j++) {
			free(ms->m[i].keys[j].key);
			free(ms->m[i].keys[j].value);
			free(ms->m[i].keys[j].when);
			free(ms->m[i].keys[j].where);
		}
		free(ms->m[i].keys);
		free(ms->m[i].name);
		free(ms->m[i].evidence);
		free(ms->m[i].source);
	}
	free(ms->m);
	free(ms->why_not);
	free(ms->notes);
	memset(ms, 0, sizeof(*ms));
}

const struct hr_manager *hr_managers_owner(const struct hr_managers *ms, const char *key,
					   const struct hr_manager_key **k)
{
	size_t i, j;

	for (i = 0; ms && i < ms->n; i++)
		for (j = 0; j < ms->m[i].nkeys; j++)
			if (!strcmp(ms->m[i].keys[j].key, key)) {
				if (k)
					*k = &ms->m[i].keys[j];
				return &ms->m[i];
			}
	return NULL;
}

char *hr_managers_describe(const struct hr_manager *m, const struct hr_manager_key *k)
{
	char *s = NULL;

	if (k->where ? asprintf(&s, "%s (%s) sets %s = %s %s", m->name, k->where, k->key, k->value, k->when) < 0
		     : asprintf(&s, "%s (%s) sets %s to %s %s", m->name, m->evidence, k->key, k->value, k->when) < 0)
		return NULL;
	return s;
}

json_t *hr_managers_json(const struct hr_managers *ms)
{
	json_t *a = json_array();
	size_t i, j;

	for (i = 0; a && i < ms->n; i++) {
		const struct hr_manager *m = &ms->m[i];
		json_t *keys = json_array();

		for (j = 0; keys && j < m->nkeys; j++)
			json_array_append_new(keys, json_pack("{s:s, s:s, s:s, s:s*}", "key", m->keys[j].key, "value",
							       m->keys[j].value, "when", m->keys[j].when, "where",
							       m->keys[j].where));
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:b, s:o*}", "name", m->name, "evidence", m->evidence,
						   "source", m->source, "boot", m->boot, "keys", keys));
	}
	return a;
}
