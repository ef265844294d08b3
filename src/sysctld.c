/* sysctld.c: sysctl.d files as systemd-sysctl reads them: the lines, the
 * order of the options, glob expansion over the sysctl tree, the boot set.
 * Below apply (persist.c's boot-override check reads the same set) and
 * audit. May call: sysctl.c (key forms, files under a root), util.c. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bounds.h"
#include "sysctl.h"
#include "sysctld.h"

/* Records a problem at where (formatted). 0 or -ENOMEM. */
static int problem(struct hr_sysctld *d, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int problem(struct hr_sysctld *d, const char *where, const char *fmt, ...)
{
	struct hr_sysctld_problem *nv = realloc(d->problems, (d->nproblems + 1) * sizeof(*nv));
	char *msg = NULL, *w;
	va_list ap;

	if (!nv)
		return -ENOMEM;
	d->problems = nv;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	w = strdup(where);
	if (!msg || !w) {
		free(msg);
		free(w);
		return -ENOMEM;
	}
	nv[d->nproblems].where = w;
	nv[d->nproblems++].msg = msg;
	return 0;
}

static void line_free(struct hr_sysctld_line *l)
{
	free(l->key);
	free(l->value);
	free(l->where);
	memset(l, 0, sizeof(*l));
}

/* Adds an option as systemd-sysctl's parse_file() does: the same key with
 * the same value keeps the earlier line (and the '-' of either); with
 * another value the earlier line is dropped and this one goes last. */
static int add_option(struct hr_sysctld *d, const char *key, const char *value, const char *where,
		      bool ignore)
{
	json_t *at = json_object_get(d->index, key);
	struct hr_sysctld_line *nv, *l;

	if (at) {
		l = &d->v[json_integer_value(at)];
		if ((!value && !l->value) || (value && l->value && !strcmp(value, l->value))) {
			l->ignore_failure = l->ignore_failure || ignore;
			return 0;
		}
		line_free(l); /* a hole (key NULL), closed by compact() */
	}
	nv = realloc(d->v, (d->n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	d->v = nv;
	l = &nv[d->n];
	l->key = strdup(key);
	l->value = value ? strdup(value) : NULL;
	l->where = strdup(where);
	l->ignore_failure = ignore;
	l->glob = strpbrk(key, "*?[") != NULL;
	if (!l->key || !l->where || (value && !l->value) ||
	    json_object_set_new(d->index, key, json_integer((json_int_t)d->n)) < 0) {
		line_free(l);
		return -ENOMEM;
	}
	d->n++;
	return 0;
}

/* Closes the holes replaced lines left and re-indexes. 0 or -ENOMEM. */
static int compact(struct hr_sysctld *d)
{
	size_t i, k = 0;

	json_object_clear(d->index);
	for (i = 0; i < d->n; i++) {
		if (!d->v[i].key)
			continue;
		d->v[k] = d->v[i];
		if (json_object_set_new(d->index, d->v[k].key, json_integer((json_int_t)k)) < 0)
			return -ENOMEM;
		k++;
	}
	d->n = k;
	return 0;
}

/* The offset of the first byte of s that is not well-formed UTF-8
 * (RFC 3629: no overlong forms, surrogates or code points past U+10FFFF),
 * or -1 when all of it is. */
static long utf8_bad_at(const unsigned char *s)
{
	const unsigned char *p = s;

	while (*p) {
		int n = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 ? 1 : (*p & 0xf0) == 0xe0 ? 2 : (*p & 0xf8) == 0xf0 ? 3 : -1;
		unsigned long cp = n == 0 ? *p : n == 1 ? (*p & 0x1fu) : n == 2 ? (*p & 0x0fu) : (*p & 0x07u);
		int k;

		if (n < 0)
			return (long)(p - s);
		for (k = 1; k <= n; k++) {
			if ((p[k] & 0xc0) != 0x80)
				return (long)(p - s);
			cp = (cp << 6) | (p[k] & 0x3fu);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return (long)(p - s);
		p += n + 1;
	}
	return -1;
}

/* One line (modified in place). 0 or -ENOMEM. */
static int parse_line(struct hr_sysctld *d, char *l, const char *where)
{
	char *p = hr_strtrim(l), *value, key[HR_KEY_MAX];
	struct hr_err e = {0};
	long bad;
	bool minus;

	if (!*p || *p == '#' || *p == ';')
		return 0;
	/* Keys are ASCII and every report is JSON: a setting that is not
	 * UTF-8 is named, never carried (a comment may be in any encoding). */
	bad = utf8_bad_at((const unsigned char *)p);
	if (bad >= 0)
		return problem(d, where, "not UTF-8 text: byte 0x%02x at column %ld", (unsigned char)p[bad],
			       (long)(p - l) + bad + 1);
	value = strchr(p, '=');
	if (value) {
		*value++ = '\0';
		value = hr_strtrim(value);
	}
	minus = *p == '-';
	if (minus)
		p++;
	else if (!value)
		return problem(d, where, "not an assignment (KEY = VALUE): '%s' (systemd-sysctl ignores the line)", p);
	p = hr_strtrim(p);
	/* systemd's sysctl_normalize() drops a leading '/'. */
	if (*p == '/' && p[1])
		p++;
	if (hr_sysctl_normalise(p, key, sizeof(key), &e) < 0)
		return problem(d, where, "%s", e.msg);
	return add_option(d, key, value, where, minus && value);
}

int hr_sysctld_parse(struct hr_sysctld *d, const char *name, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	char **nf;
	int lineno = 0, r = 0;

	if (!d->index && !(d->index = json_object()))
		return -ENOMEM;
	nf = realloc(d->files, (d->nfiles + 1) * sizeof(*nf));
	if (!nf)
		return -ENOMEM;
	d->files = nf;
	if (!(nf[d->nfiles] = strdup(name)))
		return -ENOMEM;
	d->nfiles++;
	while (p < end && r == 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char where[PATH_MAX + 16], *line;

		snprintf(where, sizeof(where), "%s:%d", name, ++lineno);
		if (memchr(p, '\0', ll)) {
			r = problem(d, where, "a NUL byte: not a text file (the rest is not read)");
			/* The lines before it stand, without the holes replaced ones left. */
			if (r == 0)
				r = compact(d);
			return r < 0 ? r : -EILSEQ;
		}
		line = strndup(p, ll);
		if (!line)
			return -ENOMEM;
		r = parse_line(d, line, where);
		free(line);
		p = nl ? nl + 1 : end;
	}
	return r < 0 ? r : compact(d);
}

int hr_sysctld_read(struct hr_sysctld *d, const char *path, struct hr_err *err)
{
	char *text;
	size_t len;
	int r = hr_read_file_max(path, HR_SYSCTLD_MAX_FILE, &text, &len);

	if (r < 0) {
		hr_err_set(err, r, "%s: %s", path,
			   r == -EFBIG ? "larger than 1 MiB, the bound of a sysctl.d file (see LIMITS)"
					  : hr_strerror_about(r, HR_ABOUT_FILE));
		return r;
	}
	r = hr_sysctld_parse(d, path, text, len);
	free(text);
	return r == -EILSEQ ? 0 : r;
}

/* systemd's CONF_PATHS("sysctl.d"), highest priority first. */
static const char *const sysctl_dirs[] = {
	"/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d", "/lib/sysctl.d",
};

/* qsort comparator of [basename, path] pairs by basename (systemd's order). */
static int cmp_base(const void *a, const void *b)
{
	const char *x = json_string_value(json_array_get(*(json_t *const *)a, 0));
	const char *y = json_string_value(json_array_get(*(json_t *const *)b, 0));

	return strcmp(x, y);
}

json_t *hr_sysctld_files(const char *config_root)
{
	json_t *seen = json_object(), *list = json_array(), *out = json_array(), **v, *x;
	char path[PATH_MAX];
	const char *base;
	size_t i, n;

	for (i = 0; i < HR_ARRAY_SIZE(sysctl_dirs); i++) {
		DIR *d;
		struct dirent *de;

		hr_path_at(path, sizeof(path), config_root, sysctl_dirs[i]);
		d = opendir(path);
		if (!d)
			continue;
		while ((de = readdir(d))) {
			size_t len = strlen(de->d_name);
			char full[2 * PATH_MAX];

			/* systemd's FOREACH_DIRENT skips hidden files (".x.conf"). */
			if (len <= 5 || de->d_name[0] == '.' || strcmp(de->d_name + len - 5, ".conf") ||
			    json_object_get(seen, de->d_name))
				continue;
			snprintf(full, sizeof(full), "%s/%s", path, de->d_name);
			json_object_set_new(seen, de->d_name, json_string(full));
		}
		closedir(d);
	}
	json_object_foreach(seen, base, x)
		json_array_append_new(list, json_pack("[s, O]", base, x));
	n = json_array_size(list);
	v = calloc(n ? n : 1, sizeof(*v));
	for (i = 0; v && i < n; i++)
		v[i] = json_array_get(list, i);
	if (v && n)
		qsort(v, n, sizeof(*v), cmp_base);
	for (i = 0; v && i < n; i++) {
		const char *full = json_string_value(json_array_get(v[i], 1));
		char target[PATH_MAX];
		ssize_t k = readlink(full, target, sizeof(target) - 1);

		/* A symlink to /dev/null masks the file (systemd conf-files). */
		if (k > 0) {
			target[k] = '\0';
			if (!strcmp(target, "/dev/null"))
				continue;
		}
		json_array_append_new(out, json_string(full));
	}
	free(v);
	json_decref(seen);
	json_decref(list);
	return out;
}


int hr_sysctld_read_boot(struct hr_sysctld *d, const char *config_root, struct hr_err *err)
{
	json_t *files = hr_sysctld_files(config_root);
	size_t i, n = json_array_size(files);
	int r = files ? 0 : -ENOMEM;

	if (n > HR_SYSCTLD_MAX_FILES) {
		hr_err_set(err, -E2BIG, "%zu sysctl.d files under %s: more than " HR_STR(HR_SYSCTLD_MAX_FILES)
			   " (see LIMITS)", n, config_root && *config_root ? config_root : "/");
		json_decref(files);
		return -E2BIG;
	}
	for (i = 0; i < n && r >= 0; i++) {
		const char *path = json_string_value(json_array_get(files, i));
		struct hr_err e = {0};

		r = hr_sysctld_read(d, path, &e);
		/* systemd-sysctl logs a file it cannot open and goes on. */
		if (r < 0 && r != -ENOMEM)
			r = problem(d, path, "cannot read: %s", hr_strerror_about(r, HR_ABOUT_FILE));
	}
	json_decref(files);
	if (r == -ENOMEM)
		hr_err_set(err, r, "out of memory");
	return r < 0 ? r : 0;
}

/* Adds or replaces (by key) one set key in out; pos maps key -> index. */
static int emit(json_t *pos, struct hr_sysctld_set **out, size_t *n, const char *key,
		const struct hr_sysctld_line *l)
{
	json_t *at = json_object_get(pos, key);
	struct hr_sysctld_set *s, *nv;

	if (at) {
		s = &(*out)[json_integer_value(at)];
		free(s->value);
		free(s->where);
		free(s->glob);
	} else {
		nv = realloc(*out, (*n + 1) * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		*out = nv;
		s = &nv[*n];
		memset(s, 0, sizeof(*s));
		if (!(s->key = strdup(key)) || json_object_set_new(pos, key, json_integer((json_int_t)*n)) < 0)
			return -ENOMEM;
		(*n)++;
	}
	s->value = strdup(l->value);
	s->where = strdup(l->where);
	s->glob = l->glob ? strdup(l->key) : NULL;
	s->ignore_failure = l->ignore_failure;
	return s->value && s->where && (!l->glob || s->glob) ? 0 : -ENOMEM;
}

/* Copies s into out escaping glob characters (a root is a literal path). */
static int glob_escape(const char *s, char *out, size_t n)
{
	size_t k = 0;

	for (; *s; s++) {
		if (k + 3 > n)
			return -ENAMETOOLONG;
		if (strchr("*?[]\\", *s))
			out[k++] = '\\';
		out[k++] = *s;
	}
	out[k] = '\0';
	return 0;
}

/* The keys a glob option matches (regular files inside root's sysctl
 * tree, sorted as glob(3) sorts them), emitted unless named explicitly. */
static int expand_glob(const struct hr_sysctld *d, const char *root, const struct hr_sysctld_line *l,
		       json_t *pos, struct hr_sysctld_set **out, size_t *n)
{
	char pattern[PATH_MAX], rel[HR_KEY_MAX], base[PATH_MAX];
	size_t blen, i;
	glob_t g;
	int r = 0;

	if (hr_path_at(base, sizeof(base), root, "/proc/sys/") < 0 ||
	    glob_escape(base, pattern, sizeof(pattern)) < 0 ||
	    hr_sysctl_to_path(l->key, rel, sizeof(rel)) < 0 || strlen(pattern) + strlen(rel) >= sizeof(pattern))
		return 0; /* no match can exist */
	strcat(pattern, rel);
	blen = strlen(base);
	if (glob(pattern, 0, NULL, &g) != 0)
		return 0;
	for (i = 0; i < g.gl_pathc && r == 0; i++) {
		char key[HR_KEY_MAX], file[PATH_MAX];
		struct stat st;

		if (strncmp(g.gl_pathv[i], base, blen) ||
		    hr_sysctl_normalise(g.gl_pathv[i] + blen, key, sizeof(key), NULL) < 0 ||
		    hr_sysctl_file(root, key, file, sizeof(file)) < 0 || lstat(file, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		/* sysctl.d(5): a key with an explicit line (or "-key") is left to it. */
		if (json_object_get(d->index, key))
			continue;
		r = emit(pos, out, n, key, l);
	}
	globfree(&g);
	return r;
}

int hr_sysctld_expand(const struct hr_sysctld *d, const char *root, struct hr_sysctld_set **out, size_t *n)
{
	json_t *pos = json_object();
	size_t i;
	int r = pos ? 0 : -ENOMEM;

	*out = NULL;
	*n = 0;
	for (i = 0; i < d->n && r == 0; i++) {
		const struct hr_sysctld_line *l = &d->v[i];

		if (!l->value)
			continue; /* an exclusion: only keeps globs off its key */
		r = l->glob ? expand_glob(d, root, l, pos, out, n) : emit(pos, out, n, l->key, l);
	}
	json_decref(pos);
	if (r < 0) {
		hr_sysctld_set_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return r;
}

void hr_sysctld_set_free(struct hr_sysctld_set *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++) {
		free(v[i].key);
		free(v[i].value);
		free(v[i].where);
		free(v[i].glob);
	}
	free(v);
}

json_t *hr_sysctld_problems_json(const struct hr_sysctld *d)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < d->nproblems; i++)
		json_array_append_new(a, json_pack("{s:s, s:s}", "where", d->problems[i].where, "problem",
						   d->problems[i].msg));
	return a;
}

void hr_sysctld_clear(struct hr_sysctld *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		line_free(&d->v[i]);
	free(d->v);
	for (i = 0; i < d->nproblems; i++) {
		free(d->problems[i].where);
		free(d->problems[i].msg);
	}
	free(d->problems);
	for (i = 0; i < d->nfiles; i++)
		free(d->files[i]);
	free(d->files);
	json_decref(d->index);
	memset(d, 0, sizeof(*d));
}
