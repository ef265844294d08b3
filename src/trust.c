/* trust.c: as root, the inputs that decide what root writes (rule files,
 * profiles, workload files, the persisted sysctl.d file) and the
 * directories they are in must be ones no other user could have written:
 * owned by root, not writable by group or others. doas and sudo refuse
 * their configuration on the same terms; a sticky directory owned by root
 * (/tmp) may hold them, as only a file's owner can replace it there. The
 * owner of the headroom binary itself counts as root (an uninstalled build
 * run by root from a user's checkout: that user wrote the program too).
 * --trust-inputs (hr_trust_inputs) takes them as they are.
 * Owns: hr_trust_inputs, hr_input_trusted. May call: libc only. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "headroom.h"

static bool trust_all;

void hr_trust_inputs(bool on)
{
	trust_all = on;
}

/* The owner of the headroom binary being run: who could write the inputs
 * of an uninstalled build (its source tree's rules/ and profiles/) could
 * as well have written the program root runs, so that owner is trusted
 * as root is. root when it cannot be told. */
static uid_t exe_owner(void)
{
	static uid_t owner = (uid_t)-1;
	struct stat st;

	if (owner == (uid_t)-1)
		owner = stat("/proc/self/exe", &st) == 0 && !(st.st_mode & 022) ? st.st_uid : 0;
	return owner;
}

/* Why an object with st is not root's alone (into why), or false when it is.
 * dir: a directory, which may be sticky and world-writable if root owns it. */
static bool foreign(const struct stat *st, bool dir, char *why, size_t n)
{
	if (st->st_uid != 0 && st->st_uid != geteuid() && st->st_uid != exe_owner()) {
		snprintf(why, n, "owned by uid %u, not root", (unsigned)st->st_uid);
		return true;
	}
	if ((st->st_mode & 022) && !(dir && (st->st_mode & S_ISVTX) && st->st_uid == 0)) {
		snprintf(why, n, "writable by %s (mode %04o)",
			 (st->st_mode & 022) == 022 ? "group and others"
			 : (st->st_mode & 002)      ? "others"
						    : "group",
			 (unsigned)(st->st_mode & 07777));
		return true;
	}
	return false;
}

/* Checks every directory from path's parent up to "/" (path absolute,
 * modified in place); the first foreign one into bad/why. */
static bool chain_foreign(char *path, char *bad, size_t bn, char *why, size_t wn)
{
	struct stat st;
	char *slash;

	for (;;) {
		slash = strrchr(path, '/');
		if (!slash)
			return false;
		if (slash == path)
			slash[1] = '\0';
		else
			*slash = '\0';
		if (stat(path, &st) == 0 && foreign(&st, true, why, wn)) {
			snprintf(bad, bn, "%s", path);
			return true;
		}
		if (slash == path)
			return false;
	}
}

/* path made absolute against the working directory, into buf. */
static int absolute(const char *path, char *buf, size_t n)
{
	char cwd[PATH_MAX];

	if (path[0] == '/')
		return snprintf(buf, n, "%s", path) < (int)n ? 0 : -ENAMETOOLONG;
	if (!getcwd(cwd, sizeof(cwd)))
		return -errno;
	return snprintf(buf, n, "%s/%s", cwd, path) < (int)n ? 0 : -ENAMETOOLONG;
}

/* The last directory found trusted (absolute, as given): its own stat,
 * the directories above it and those above where it leads were checked.
 * A file in it that is not a symlink has nothing else above it, so only
 * the file's own lstat is needed (the rule files of a rules directory: one
 * system call each instead of a walk to / and a realpath). Good for one
 * second: the files of a directory are read just after it is checked, and
 * a long-running process (watch, monitor) checks again later. */
static char trusted_dir[PATH_MAX];
static time_t trusted_at;

static time_t now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec;
}

static bool in_trusted_dir(const char *abs)
{
	const char *slash = strrchr(abs, '/');
	size_t n = slash ? (size_t)(slash - abs) : 0;

	return *trusted_dir && n && n == strlen(trusted_dir) && !memcmp(abs, trusted_dir, n) &&
	       now_s() - trusted_at <= 1;
}

int hr_input_trusted(const char *path, const char *what, struct hr_err *err)
{
	char abs[PATH_MAX], keep[PATH_MAX], real[PATH_MAX], bad[PATH_MAX], why[96];
	const char *where = NULL;
	struct stat st;
	bool dir = false;

	if (trust_all || geteuid() != 0)
		return 0;
	if (absolute(path, abs, sizeof(abs)) < 0)
		return 0; /* the open that follows names the problem */
	if (in_trusted_dir(abs) && lstat(abs, &st) == 0 && !S_ISLNK(st.st_mode)) {
		if (foreign(&st, S_ISDIR(st.st_mode), why, sizeof(why)))
			where = path;
		goto out;
	}
	strcpy(keep, abs); /* chain_foreign cuts abs */
	if (stat(abs, &st) == 0) {
		dir = S_ISDIR(st.st_mode);
		if (foreign(&st, dir, why, sizeof(why)))
			where = path;
		/* Through a symlink: the directories of the file itself too. */
		else if (realpath(abs, real) && strcmp(real, abs) &&
			 chain_foreign(real, bad, sizeof(bad), why, sizeof(why)))
			where = bad;
	}
	if (!where && chain_foreign(abs, bad, sizeof(bad), why, sizeof(why)))
		where = bad;
	if (!where && dir) {
		strcpy(trusted_dir, keep);
		trusted_at = now_s();
	}
out:
	if (!where)
		return 0;
	hr_err_set(err, -EPERM,
		   "refusing %s %s: %s%s is %s; as root headroom uses no input another user could have written "
		   "(chown root and chmod go-w it, or --trust-inputs)",
		   what, path, where == path ? "it" : "its directory ", where == path ? "" : where, why);
	return -EPERM;
}
