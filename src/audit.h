/* audit.h: the audit pipeline: probe -> workload -> --assume -> rules ->
 * one report tree {findings, summary, facts}, and the exit code
 * (monitoring-plugins: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).
 *
 * Lower layer: never prints. The applier calls hr_audit_facts() for
 * what-if evaluations over facts it has changed. */
#ifndef HR_AUDIT_H
#define HR_AUDIT_H

#include <jansson.h>

#include "facts.h"
#include "netns.h"

enum { HR_AUDIT_OK = 0, HR_AUDIT_WARNING = 1, HR_AUDIT_CRITICAL = 2, HR_AUDIT_UNKNOWN = 3 };

struct hr_audit_opts {
	const char *root;               /* "" or NULL: live system; else a captured tree */
	const char *workload;           /* --workload FILE, or NULL */
	const char *const *assume;      /* --assume KEY=VALUE, nassume of them */
	size_t nassume;
	const char *const *rule_dirs;   /* --rules DIR (user dirs, after the shipped one) */
	size_t nrule_dirs;
	bool no_default_rules;          /* skip the shipped rules directory */
	double interval_s;              /* counter interval; < 0: the probe's default */
	hr_probe_progress_fn progress;  /* the probe's wait between counter samples (probe.h); NULL: nothing */
	void *progress_ud;
	double log_window_s;            /* kernel log look-back; <= 0: the last hour */
	const json_t *globals;          /* {key: {raw, source}} of the initial netns (hr_netns_globals),
					 * filling a child's absent global keys; NULL: none */
};

/* Severity rank: critical 0, warning 1, info 2, ok 3, unknown 4. */
int hr_audit_severity_rank(const char *severity);

/* Applies one --assume KEY=VALUE to the facts as a sysctl override. The key
 * must be a sysctl present in the facts, and a numeric value must have as
 * many integer fields as the current one. 0 or -EINVAL/-ENOENT (err says why). */
int hr_audit_assume(hr_facts *f, const char *kv, struct hr_err *err);

/* Loads the rules (rule_dirs: NULL-terminated list, NULL = the shipped
 * directory only), evaluates them over f and returns an owned report
 * {"findings": [...sorted by severity...], "summary": {...}} in *report.
 * Rule-file problems do not stop the audit: they go in summary.rule_errors
 * and make the status at least UNKNOWN unless a finding is critical.
 * Returns 0, or -errno when no rule could be loaded at all (err says why;
 * *report is still set). */
int hr_audit_facts(hr_facts *f, const char *const *rule_dirs, json_t **report, struct hr_err *err);

/* The whole audit: probe (opts->root), workload, assumptions, rules; the
 * report gets "facts" too. Returns 0 with *report set, or -errno with err
 * set when the probe or the workload file is unusable (then exit UNKNOWN). */
int hr_audit_run(const struct hr_audit_opts *o, json_t **report, struct hr_err *err);

/* The audit of several network namespaces in this one process: the rules
 * are loaded once; each namespace of l is probed inside it (setns; one
 * counter interval shared by all, hr_netns_probe_all), a child's absent
 * global keys are filled from the initial namespace (read once), and each
 * is evaluated. *report (owned) gets
 * {"host": {verdict, status, exit_code, namespaces, counts{critical,
 * warning, unknown, ok}}, "namespaces": [{"netns": identity, "findings",
 * "summary", "facts"}...]}, worst first (critical, unknown, warning, ok;
 * list order within a status). A namespace that cannot be entered or
 * probed is a section with status UNKNOWN and its error. Returns 0, or
 * -errno when the audit could not run at all or could not return to the
 * caller's namespace (err says why). */
int hr_audit_run_netns(const struct hr_audit_opts *o, const struct hr_netns_list *l, json_t **report,
		       struct hr_err *err);

/* Rank of an exit code for "the worst": CRITICAL 0, UNKNOWN 1, WARNING 2, OK 3. */
int hr_audit_status_rank(int code);

/* The exit code stored in the report's summary (HR_AUDIT_UNKNOWN if none). */
int hr_audit_exit_code(const json_t *report);

#endif
