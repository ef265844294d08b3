/* util.c: small helpers shared by every subsystem (paths, files, errors). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "headroom.h"

const char *arg_root = "";
const char *arg_format = "text";
int arg_verbose;

/* Records the first error only: later errors are usually consequences. */
void hr_err_set(struct hr_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (!e || e->msg[0])
		return;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

/* Clears an error record so it can be reused. */
void hr_err_clear(struct hr_err *e)
{
	if (!e)
		return;
	e->code = 0;
	e->msg[0] = '\0';
}

/* errno in words for operators: the one place (STYLE). The same number
 * means different things depending on what failed, so each row says what
 * it is about; a row about HR_ABOUT_ANY serves every kind, and what no row
 * names gets the C library's words. */
static const struct {
	int err;
	enum hr_about about;
	const char *words;
} errno_words[] = {
	/* A sysctl key (sysctl.c, vet.c, apply.c): STYLE's wording. */
	{ENOENT, HR_ABOUT_KEY, "unknown key (not on this kernel)"},
	{EPERM, HR_ABOUT_KEY, "permission denied on key"},
	{EACCES, HR_ABOUT_KEY, "permission denied on key"},
	{EROFS, HR_ABOUT_KEY, "permission denied on key"},
	{EINVAL, HR_ABOUT_KEY, "kernel rejected value"},
	{ENOTDIR, HR_ABOUT_KEY, "not a key (a directory)"},
	{EISDIR, HR_ABOUT_KEY, "not a key (a directory)"},
	/* A file of the tree being probed, opened the probe's way (probe-io.c). */
	{ENOENT, HR_ABOUT_TREE, "not found"},
	{ELOOP, HR_ABOUT_TREE, "refused: a symlink"},
	{EXDEV, HR_ABOUT_TREE, "refused: resolves outside the tree"},
	{EINVAL, HR_ABOUT_TREE, "refused: not a regular file"},
	{EISDIR, HR_ABOUT_TREE, "refused: a directory"},
	{EMLINK, HR_ABOUT_TREE, "refused: a hard link (the file has other names: not a capture)"},
	{ESTALE, HR_ABOUT_TREE, "refused: replaced while it was opened"},
	{EACCES, HR_ABOUT_TREE, "permission denied (write-only or unreadable)"},
	{EPERM, HR_ABOUT_TREE, "permission denied (write-only or unreadable)"},
	/* A file or a directory the user named. */
	{ENOENT, HR_ABOUT_FILE, "no such file"},
	{ENOENT, HR_ABOUT_DIR, "no such directory"},
	/* Anything. */
	{0, HR_ABOUT_ANY, "success"},
	{ELOOP, HR_ABOUT_ANY, "refused: path is a symlink"},
	{ENAMETOOLONG, HR_ABOUT_ANY, "path too long"},
	{ENOMEM, HR_ABOUT_ANY, "out of memory"},
	{EBADMSG, HR_ABOUT_ANY, "malformed content"},
	{ENODATA, HR_ABOUT_ANY, "no data"},
	{EFBIG, HR_ABOUT_ANY, "larger than its bound (see LIMITS in the man page)"},
	{EEXIST, HR_ABOUT_ANY, "already exists"},
};

const char *hr_strerror_about(int err, enum hr_about about)
{
	size_t i;

	if (err < 0)
		err = -err;
	for (i = 0; i < HR_ARRAY_SIZE(errno_words); i++)
		if (errno_words[i].err == err && errno_words[i].about == about)
			return errno_words[i].words;
	for (i = 0; about != HR_ABOUT_ANY && i < HR_ARRAY_SIZE(errno_words); i++)
		if (errno_words[i].err == err && errno_words[i].about == HR_ABOUT_ANY)
			return errno_words[i].words;
	return strerror(err);
}

const char *hr_strerror(int err)
{
	return hr_strerror_about(err, HR_ABOUT_ANY);
}

int hr_path_at(char *buf, size_t n, const char *root, const char *abs_path)
{
	int r;

	if (!root)
		root = "";
	r = snprintf(buf, n, "%s%s", root, abs_path);
	if (r < 0 || (size_t)r >= n)
		return -ENAMETOOLONG;
	return 0;
}

int hr_path(char *buf, size_t n, const char *abs_path)
{
	return hr_path_at(buf, n, arg_root, abs_path);
}

int hr_read_file(const char *path, char **out, size_t *len)
{
	return hr_read_file_max(path, SIZE_MAX - 1, out, len);
}

int hr_read_file_max(const char *path, size_t max, char **out, size_t *len)
{
	int fd, err;
	size_t cap = 4096, used = 0;
	char *buf;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = malloc(cap);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t k;

		if (used + 1 >= cap) {
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				close(fd);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		k = read(fd, buf + used, cap - used - 1);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			free(buf);
			close(fd);
			return err;
		}
		if (k == 0)
			break;
		used += (size_t)k;
		if (used > max) {
			free(buf);
			close(fd);
			return -EFBIG;
		}
	}
	close(fd);
	buf[used] = '\0';
	*out = buf;
	if (len)
		*len = used;
	return 0;
}

int hr_write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t k = write(fd, buf, len);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? -errno : -EIO;
		buf += k;
		len -= (size_t)k;
	}
	return 0;
}

char *hr_strtrim(char *s)
{
	char *e;

	while (*s && isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

char *hr_ws_normalise(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;
	bool space = false;

	if (!out)
		return NULL;
	while (*s && isspace((unsigned char)*s))
		s++;
	for (; *s; s++) {
		if (isspace((unsigned char)*s)) {
			space = true;
			continue;
		}
		if (space && o != out)
			*o++ = ' ';
		space = false;
		*o++ = *s;
	}
	*o = '\0';
	return out;
}

int hr_parse_i64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	while (*s && isspace((unsigned char)*s))
		s++;
	if (!*s)
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	while (*end && isspace((unsigned char)*end))
		end++;
	if (*end || end == s)
		return -EINVAL;
	*out = v;
	return 0;
}

double hr_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Finds a data directory: next to the uninstalled binary (the build tree's
 * src/), the source tree's copy; otherwise the installed $(pkgdatadir) one. */
static const char *data_dir(const char *name, char *buf, size_t n)
{
	char exe[PATH_MAX], build[PATH_MAX];
	ssize_t k = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	struct stat st;

	if (k > 0) {
		char *slash;

		exe[k] = '\0';
		slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		/* Uninstalled (libtool puts the real binary in src/.libs when shared). */
		snprintf(build, sizeof(build), "%s/src", HR_BUILDDIR);
		if (strcmp(exe, build) == 0 ||
		    (strlen(exe) > 6 && strcmp(exe + strlen(exe) - 6, "/.libs") == 0 &&
		     strncmp(exe, build, strlen(build)) == 0)) {
			snprintf(buf, n, "%s/%s", HR_SRCDIR, name);
			if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode))
				return buf;
		}
	}
	snprintf(buf, n, "%s/%s", HR_PKGDATADIR, name);
	return buf;
}

const char *hr_default_rules_dir(void)
{
	static char buf[PATH_MAX];

	return buf[0] ? buf : data_dir("rules", buf, sizeof(buf));
}

const char *hr_default_profiles_dir(void)
{
	static char buf[PATH_MAX];

	return buf[0] ? buf : data_dir("profiles", buf, sizeof(buf));
}

bool hr_format_valid(const char *fmt)
{
	return fmt && (!strcmp(fmt, "text") || !strcmp(fmt, "json") || !strcmp(fmt, "yaml"));
}

bool hr_isatty(int fd)
{
	return isatty(fd) == 1;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes) that is not a
 * C1 control (U+0080..U+009F), or 0. Overlong forms and surrogates are not
 * valid. */
static size_t utf8_ok(const unsigned char *s, size_t n)
{
	size_t k, i;
	uint32_t cp;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		k = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		k = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		k = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (k > n)
		return 0;
	for (i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < 0xa0 || (k == 3 && cp < 0x800) || (k == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return k;
}

/* Length of the unit of text at p (at most left bytes) that may reach a
 * terminal as it is: printable ASCII, tab, newline when lines, or one
 * valid UTF-8 sequence that is not a C1 control; 0 for a byte to escape. */
static size_t text_unit(const unsigned char *p, size_t left, bool lines)
{
	if (p[0] >= 0x80)
		return utf8_ok(p, left);
	return (p[0] >= 0x20 && p[0] < 0x7f) || p[0] == '\t' || (lines && p[0] == '\n');
}

int hr_put_escaped(FILE *out, const char *s, size_t len, bool lines)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0;

	while (i < len) {
		size_t k = text_unit(p + i, len - i, lines);

		if (k) {
			i += k;
			run += k;
			continue;
		}
		fwrite(p + i - run, 1, run, out);
		run = 0;
		fprintf(out, "\\x%02x", p[i]);
		i++;
	}
	fwrite(p + i - run, 1, run, out);
	return ferror(out) ? -EIO : 0;
}

size_t hr_escape_text(char *out, size_t n, const char *s, size_t len, bool lines)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, o = 0;

	if (!n)
		return 0;
	while (i < len) {
		size_t k = text_unit(p + i, len - i, lines);

		if (k) {
			if (o + k >= n)
				break;
			memcpy(out + o, p + i, k);
			o += k;
			i += k;
			continue;
		}
		if (o + 4 >= n)
			break;
		snprintf(out + o, 5, "\\x%02x", p[i]);
		o += 4;
		i++;
	}
	out[o] = '\0';
	return o;
}
