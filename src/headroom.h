/* headroom: common definitions shared by every subsystem.
 *
 * Ownership rule, kept everywhere: getters borrow; *_new and functions
 * returning char * / json_t * with "owned" in their comment return owned
 * memory; *_free(p) frees the object p (and everything it owns), and
 * *_free(NULL) is a no-op; *_clear(s) empties a struct the caller owns
 * (frees what it holds, leaves it reusable) and does not free s.
 *
 * Error rule: lower layers return 0 (or a count) on success and -errno on
 * failure, and never print. Where a caller needs details (a file, a line,
 * a key) the function takes a struct hr_err * and fills it. Only the
 * command layer (cmd-*.c) writes to stdout/stderr.
 */
#ifndef HR_HEADROOM_H
#define HR_HEADROOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define HR_ERR_MAX 1024

/* Details of the first real error: "rules/ports.yaml:12:5: unknown fact 'x'". */
struct hr_err {
	int code;              /* -errno or 0 */
	char msg[HR_ERR_MAX];  /* human text, empty when none */
};

/* Records an error unless one is already recorded (keep the first real error). */
void hr_err_set(struct hr_err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Clears an error record. */
void hr_err_clear(struct hr_err *e);

/* What a failure was about: the words for one errno differ (ENOENT is
 * "unknown key (not on this kernel)" for a sysctl key, "not found" for a
 * file of a probed tree, "no such directory" for a directory). */
enum hr_about {
	HR_ABOUT_ANY = 0, /* a file, a socket, a system call: the general words */
	HR_ABOUT_KEY,     /* a sysctl key (reading, vetting, writing one) */
	HR_ABOUT_TREE,    /* a file of the tree being probed (live or --root) */
	HR_ABOUT_FILE,    /* an input file the user named (rules, profile, workload) */
	HR_ABOUT_DIR,     /* a directory the user named */
};
/* The one place that maps errno values to words for operators (util.c's
 * table): err (negative or positive) about what failed. Static string. */
const char *hr_strerror_about(int err, enum hr_about about);
/* The general words: hr_strerror_about(err, HR_ABOUT_ANY). */
const char *hr_strerror(int err);

/* Global options shared by commands (set by main.c / cmd-*.c). */
extern const char *arg_root;     /* "" for the live system, else a captured tree */
extern const char *arg_format;   /* "text", "json" or "yaml" */
extern int arg_verbose;

/* Joins the root (arg_root) and an absolute path like "/proc/sys/net" into buf.
 * Returns 0, or -ENAMETOOLONG. */
int hr_path(char *buf, size_t n, const char *abs_path);
/* Same with an explicit root ("" or NULL = live). */
int hr_path_at(char *buf, size_t n, const char *root, const char *abs_path);

/* Reads a whole (small) file into a NUL-terminated owned buffer.
 * Returns 0 or -errno; *len (optional) gets the byte count. */
int hr_read_file(const char *path, char **out, size_t *len);
/* Same, refusing a file of more than max bytes with -EFBIG after reading
 * at most max + 1 of them (see src/bounds.h for the bounds). */
int hr_read_file_max(const char *path, size_t max, char **out, size_t *len);

/* As root (euid 0), checks an input that decides what root does (a rule
 * file or directory, a profile, a workload file, the persisted file):
 * path (it need not exist yet) and every directory above it must be owned
 * by root (or the owner of the running binary) and not writable by group or others (a root-owned sticky
 * directory such as /tmp is fine); a symlink's target is held to the same.
 * what names the kind of input in the message ("profile"). 0 when trusted,
 * not root, or after hr_trust_inputs(true); -EPERM with err saying what
 * and why (trust.c). */
int hr_input_trusted(const char *path, const char *what, struct hr_err *err);
/* --trust-inputs: root takes inputs others could have written as they are. */
void hr_trust_inputs(bool on);

/* Writes all of buf (retrying short writes and EINTR). 0 or -errno (-EIO
 * when write() returns 0). */
int hr_write_all(int fd, const char *buf, size_t len);

/* Writes len bytes of s to out as text safe for a terminal: control bytes
 * (but tab, and newline when lines), DEL, C1 controls and bytes that are
 * not UTF-8 become \\xNN, so nothing read from a tree, a rule or a log can
 * move the cursor, retitle the window or answer for the user. Returns 0
 * or -EIO. */
int hr_put_escaped(FILE *out, const char *s, size_t len, bool lines);
/* The same into out (n bytes, NUL-terminated): the escaped text of s, cut
 * before the first unit (a character or a \\xNN) that does not fit.
 * Returns the length written. */
size_t hr_escape_text(char *out, size_t n, const char *s, size_t len, bool lines);

/* Trims leading and trailing whitespace in place; returns s. */
char *hr_strtrim(char *s);
/* Collapses runs of whitespace (tabs, spaces, newlines) into one space and
 * trims: the kernel prints vectors with tabs, users write spaces. Owned result. */
char *hr_ws_normalise(const char *s);
/* Parses a signed 64-bit decimal integer, whole string (after trimming). 0 or -EINVAL/-ERANGE. */
int hr_parse_i64(const char *s, int64_t *out);

/* Monotonic clock in seconds. */
double hr_now(void);

/* Data directories: the uninstalled binary finds the source tree's rules/
 * and profiles/, the installed one $(pkgdatadir)/rules and /profiles.
 * Returns a borrowed static string. */
const char *hr_default_rules_dir(void);
const char *hr_default_profiles_dir(void);

/* Output format helpers. */
bool hr_format_valid(const char *fmt);
/* True when stdout (fd) is a terminal: progress lines and colours only then. */
bool hr_isatty(int fd);

#define HR_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
