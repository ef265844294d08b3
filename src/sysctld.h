/* sysctld.h: sysctl.d files read the way systemd-sysctl reads them
 * (sysctl.d(5), systemd 252's src/sysctl/sysctl.c): "key = value" lines,
 * '#' and ';' comments, the dot and slash forms of a key, a '-' prefix (a
 * failure to set the key is ignored), "-key" without '=' (no glob sets the
 * key), glob patterns expanded over the keys that exist, where a key set
 * explicitly is never set by a glob; several files in order, a later
 * assignment of a key with another value replacing the earlier one.
 *
 * The boot set is every sysctl.d file in systemd-sysctl's order
 * (hr_sysctld_files), without procps' extra /etc/sysctl.conf, which
 * systemd-sysctl reads only through a sysctl.d link to it (Debian's and
 * Fedora's 99-sysctl.conf; persist.c adds it for the boot-override check).
 *
 * Lower layer: returns 0 or -errno and never prints; lines systemd-sysctl
 * would skip (not an assignment, a key that is no key) are kept as
 * problems with their FILE:LINE for the caller to judge. */
#ifndef HR_SYSCTLD_H
#define HR_SYSCTLD_H

#include <jansson.h>

#include "headroom.h"

/* One option as systemd-sysctl keeps it, in the order it writes them. */
struct hr_sysctld_line {
	char *key;           /* dotted (hr_sysctl_normalise); may hold glob characters */
	char *value;         /* NULL: an exclusion ("-key" without '=') */
	char *where;         /* "FILE:LINE" */
	bool ignore_failure; /* '-' prefix */
	bool glob;           /* the key holds '*', '?' or '[' */
};

/* A line systemd-sysctl does not apply, with why. */
struct hr_sysctld_problem {
	char *where; /* "FILE:LINE", or "FILE" for a file that cannot be read */
	char *msg;
};

struct hr_sysctld {
	struct hr_sysctld_line *v;
	size_t n;
	struct hr_sysctld_problem *problems;
	size_t nproblems;
	char **files; /* the files read, in order */
	size_t nfiles;
	json_t *index; /* key -> position in v (private) */
};

/* One key the files set, globs expanded: the assignment that wins. */
struct hr_sysctld_set {
	char *key;           /* dotted, a key of the sysctl tree (a glob's match) */
	char *value;
	char *where;         /* "FILE:LINE" of the winning line */
	char *glob;          /* the pattern that matched it, or NULL */
	bool ignore_failure;
};

/* Adds the options of one file's text (name is used in FILE:LINE). 0 or
 * -ENOMEM; -EILSEQ for a NUL byte (the rest is not read; a problem says so). */
int hr_sysctld_parse(struct hr_sysctld *d, const char *name, const char *text, size_t len);

/* Reads one file (at most HR_SYSCTLD_MAX_FILE bytes) and adds its options.
 * 0, or -errno with err naming the file when it cannot be read. */
int hr_sysctld_read(struct hr_sysctld *d, const char *path, struct hr_err *err);

/* The sysctl.d files as systemd-sysctl orders them (owned JSON array of
 * paths): every *.conf but hidden ones (".x.conf") of config_root + /etc/sysctl.d, /run/sysctl.d,
 * /usr/local/lib/sysctl.d, /usr/lib/sysctl.d, /lib/sysctl.d ("" or NULL:
 * /), sorted by basename; a basename in an earlier directory hides the
 * later ones; a link to /dev/null masks it. NULL on ENOMEM. */
json_t *hr_sysctld_files(const char *config_root);

/* Reads the boot set under config_root ("" or NULL: /). A file that
 * cannot be read is a problem, as systemd-sysctl logs and goes on.
 * 0, -E2BIG beyond HR_SYSCTLD_MAX_FILES files (err says so), -ENOMEM. */
int hr_sysctld_read_boot(struct hr_sysctld *d, const char *config_root, struct hr_err *err);

/* The keys the options set, in the order of their first write, each with
 * the assignment that wins: globs matched against root's /proc/sys ("" or
 * NULL: live; regular files resolving inside it), skipping keys any
 * explicit option or exclusion names; a later write of a key replaces the
 * earlier one. Owned array in *out. 0 or -ENOMEM. */
int hr_sysctld_expand(const struct hr_sysctld *d, const char *root, struct hr_sysctld_set **out, size_t *n);
void hr_sysctld_set_free(struct hr_sysctld_set *v, size_t n);

/* The problems as JSON (owned array of {where, problem}). */
json_t *hr_sysctld_problems_json(const struct hr_sysctld *d);

void hr_sysctld_clear(struct hr_sysctld *d);

#endif
