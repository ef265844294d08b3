/* cmd.h: the command table. Each cmd-*.c exports one entry; main.c
 * dispatches on a NULL-terminated table (unique prefixes accepted) and
 * `headroom help CMD` reads the same table. */
#ifndef HR_CMD_H
#define HR_CMD_H

#include <jansson.h>
#include <stdio.h>

#include "headroom.h"

enum {
	HR_CMD_NEEDS_ROOT = 1 << 0, /* writes the live kernel or /var/lib: root (or CAP_NET_ADMIN) */
	HR_CMD_WRITES = 1 << 1,     /* changes state somewhere */
};

/* Exit codes shared by commands that do not define their own convention (audit and
 * watch, monitoring checks, exit 3 UNKNOWN on usage errors instead; headroom(8)). */
enum { HR_EXIT_OK = 0, HR_EXIT_FAIL = 1, HR_EXIT_USAGE = 64 };

struct hr_cmd {
	const char *name;
	const char *usage;   /* one line after "headroom NAME " */
	const char *summary; /* one sentence */
	const char *help;    /* the options, one per line, for `headroom help NAME` */
	unsigned flags;
	/* argv[0] is the command name; getopt-style parsing from argv[1]. Returns the exit code. */
	int (*exec)(int argc, char **argv);
};

extern const struct hr_cmd *const hr_commands[];

/* Finds a command by exact name or unique prefix; NULL (and *ambiguous) otherwise. */
const struct hr_cmd *hr_cmd_find(const char *name, bool *ambiguous);
/* Prints "usage: headroom NAME USAGE" and the option help to f. */
void hr_cmd_usage(FILE *f, const struct hr_cmd *c);

/* Whether a command frees everything before it exits. The process is about
 * to end, so the teardown of a quiet audit's rules, facts and JSON report
 * (about 3% of its CPU time, docs/PERFORMANCE.md) only matters to a leak
 * check: always under AddressSanitizer (its leak check runs at exit), and
 * with HEADROOM_FREE_AT_EXIT set (valgrind --leak-check). */
bool hr_cmd_free_at_exit(void);

/* Options shared by several commands (the variables are defined in main.c). */
#define HR_MAX_RULE_DIRS 16
extern const char *arg_rules_dirs[HR_MAX_RULE_DIRS]; /* --rules DIR (repeatable); none = default */
extern int arg_nrules_dirs;
extern const char *arg_profiles_dir; /* --profiles DIR; NULL = default */
extern const char *arg_state_dir;    /* --state-dir DIR; default /var/lib/headroom */

/* getopt_long value of --trust-inputs, an option of every command that
 * reads rules, profiles, workload or persist files (hr_trust_inputs). */
#define HR_OPT_TRUST_INPUTS 0x100

/* Validates and sets --format; prints an error and returns false on a bad value (main.c). */
bool hr_cmd_set_format(const char *cmd, const char *value);
/* Parses --interval SECONDS (0 to 3600); false (message printed) when invalid (cmd-probe.c). */
bool hr_cmd_parse_interval(const char *cmd, const char *s, double *out);
/* Parses --log-window SECONDS (more than 0, at most 30 days); false (message printed)
 * when invalid (cmd-probe.c). */
bool hr_cmd_parse_log_window(const char *cmd, const char *s, double *out);
/* Adds a --rules directory; false (message printed) when there are too many (main.c). */
bool hr_cmd_add_rules_dir(const char *dir);
/* --assume-file FILE of audit, explain and watch (in order). */
#define HR_MAX_ASSUME_FILES 64
extern const char *arg_assume_files[HR_MAX_ASSUME_FILES];
extern size_t arg_nassume_files;
struct hr_audit_opts;
/* Takes one of the sysctl.d options of an audit into o: c is 'F'
 * (--assume-file FILE, repeatable), 'B' (--boot) or 'C' (--config-root DIR).
 * false (message printed, naming cmd) when there are too many files. */
bool hr_cmd_sysctld_option(const char *cmd, int c, const char *arg, struct hr_audit_opts *o);

extern const struct hr_cmd hr_cmd_probe, hr_cmd_snapshot, hr_cmd_audit, hr_cmd_explain,
	hr_cmd_rules, hr_cmd_profile, hr_cmd_apply, hr_cmd_confirm, hr_cmd_rollback,
	hr_cmd_history, hr_cmd_help, hr_cmd_version;
extern const struct hr_cmd hr_cmd_watch, hr_cmd_trace;
/* Parses a trace interval in seconds (more than 0, at most 3600); false
 * (message printed) when invalid (cmd-trace.c). */
bool hr_cmd_parse_trace_seconds(const char *cmd, const char *s, double *out);

/* cmd-drift.c: hr_audit_opts.declare_fn of audit: drift.count and
 * drift.list from the journals of arg_state_dir (NULL ud: this process's
 * namespace; else one of many, its inode from the facts). */
struct hr_facts;
int hr_cmd_drift_declare(void *ud, struct hr_facts *f);
/* The audit's text sections for --assume-file's what-if and --boot
 * (cmd-audit-files.c): summary.what_if and summary.boot of a report. */
void hr_cmd_audit_print_whatif(FILE *out, const json_t *w);
void hr_cmd_audit_print_boot(FILE *out, const json_t *b);
/* The same over facts that hold only the sysctls the rules read
 * (hr_audit_opts.sysctls_referenced): a journal's key with no fact is read
 * from this process's namespace. */
int hr_cmd_drift_declare_partial(void *ud, struct hr_facts *f);

#endif
