/* apply-unit.h: helpers shared by the apply subsystem's Check suites. */
#ifndef HR_APPLY_UNIT_H
#define HR_APPLY_UNIT_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check-run.h"

/* A fresh temporary directory (owned path). */
static inline char *ut_tmpdir(void)
{
	char tmpl[] = "/tmp/hr-unit.XXXXXX";
	char *d = mkdtemp(tmpl);

	ck_assert_ptr_nonnull(d);
	return strdup(d);
}

/* Writes len bytes of text (NULs allowed) to dir/rel, creating parent
 * directories. */
static inline void ut_write_n(const char *dir, const char *rel, const char *text, size_t len)
{
	char path[4096], *p;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	for (p = path + strlen(dir) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	fclose(f);
}

/* Writes text to dir/rel, creating parent directories. */
static inline void ut_write(const char *dir, const char *rel, const char *text)
{
	ut_write_n(dir, rel, text, strlen(text));
}

/* Removes a temporary tree and frees its path. */
static inline void ut_rmtree(char *dir)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	free(dir);
}

/* Runs one suite; returns the process exit code. */
static inline int ut_run(Suite *s)
{
	return hr_check_run(s);
}

#endif
