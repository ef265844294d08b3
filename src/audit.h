/* audit.h: the audit pipeline: probe -> workload -> --assume -> rules ->
 * one report tree {findings, summary, facts}, and the exit code
 * (monitoring-plugins: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).
 *
 * Lower layer: never prints. The one pipeline: every command that
 * evaluates rules does it through an hr_audit context. */
#ifndef HR_AUDIT_H
#define HR_AUDIT_H

#include <jansson.h>

#include "facts.h"
#include "netns.h"
#include "rules.h"

enum { HR_AUDIT_OK = 0, HR_AUDIT_WARNING = 1, HR_AUDIT_CRITICAL = 2, HR_AUDIT_UNKNOWN = 3 };

struct hr_audit_opts {
	const char *root;               /* "" or NULL: live system; else a captured tree */
	const char *workload;           /* --workload FILE, or NULL */
	const char *profile;            /* --profile NAME: its exact values assumed, its path declared */
	const char *profiles_dir;       /* where NAME is read; NULL: the shipped profiles */
	const char *const *assume;      /* --assume KEY=VALUE, nassume of them */
	size_t nassume;
	const char *const *rule_dirs;   /* --rules DIR (user dirs, after the shipped one) */
	size_t nrule_dirs;
	const char *const *rule_files;  /* single rule files (rules check FILE), loaded after the
					 * directories and left out of them; nrule_files of them */
	size_t nrule_files;
	bool no_default_rules;          /* skip the shipped rules directory */
	double interval_s;              /* counter interval; < 0: the probe's default */
	bool no_sockets;                /* the probe reads no sockets */
	hr_probe_progress_fn progress;  /* the probe's wait between counter samples (probe.h); NULL: nothing */
	void *progress_ud;
	double log_window_s;            /* kernel log look-back; <= 0: the last hour */
	int (*declare_fn)(void *ud, hr_facts *f); /* more declared facts, after the managers (the
						 * command's: drift from the journals); NULL: none */
	void *declare_ud;
	const hr_facts *globals;        /* the initial netns's sysctls (hr_netns_globals), filling a
					 * child's absent global keys; NULL: none */
	const char *const *assume_files; /* --assume-file FILE: sysctl.d files applied as a what-if, in
					  * order (later lines win), nassume_files of them */
	size_t nassume_files;
	bool boot;                      /* --boot: the state the next boot produces (audit-files.c) */
	const char *config_root;        /* where --boot finds etc/sysctl.d...; NULL: root */
	double trace_s;                 /* --trace SECONDS: the eBPF evidence (trace.h) of this
					 * namespace as trace.* facts and the report's "trace"; 0: none */
	hr_probe_progress_fn trace_progress; /* told the time left while tracing; NULL: nothing */
	size_t hold_findings;           /* an output that shows the worst few (text): at most this
					 * many findings per rule and severity of for_each rules are
					 * made, the rest only counted (summary.counts, a table's
					 * "total"); ignored with assume_files; 0: every finding */
	bool lazy_findings;             /* with hold_findings, for JSON and YAML: the report has every
					 * finding all the same, those not made made again as it is
					 * written (lazy.h): it references the facts and borrows the
					 * rules, so free the report (hr_lazy_sweep) before the context */
	bool text_facts;                /* the report's "facts" only what the text report shows
					 * (hr_facts_text_json), not the tree of every fact */
	bool sysctls_referenced;        /* live, without --assume, --assume-file or --boot: the probe
					 * reads only the sysctls the rules can read (and the keys it
					 * always checks), not all ~380, so the facts hold only
					 * those: for a report that shows no other (audit's text;
					 * drift reads a journal's other keys itself, cmd-drift.c) */
};

/* One audit context: made once from the options (the rules loaded and
 * checked once, the --assume list checked for form), then evaluated as
 * often as wanted: by audit, by each namespace of --all-netns, every
 * watch refresh, vet's what-if, explain and `rules list/check`. This is
 * the only place rule files are loaded. The options' strings and arrays
 * are borrowed and must outlive the context. */
typedef struct hr_audit hr_audit;

/* Makes the context. Rule-file problems do not fail it: they are kept
 * (hr_audit_diags) and reported in every report's summary.rule_errors.
 * The --assume-file files are read here, and with --boot the sysctl.d set
 * and the kernel's defaults (hr_netns_fresh_sysctls, live system only).
 * Returns 0, -EINVAL for a malformed --assume or a line of an
 * --assume-file that is no assignment (err names FILE:LINE), -errno for a
 * file that cannot be read, or -ENOMEM. */
int hr_audit_new(const struct hr_audit_opts *o, hr_audit **out, struct hr_err *err);
void hr_audit_free(hr_audit *a);

/* The loaded rules and the problems met loading them (borrowed). */
const hr_ruleset *hr_audit_ruleset(const hr_audit *a);
const struct hr_diags *hr_audit_diags(const hr_audit *a);

/* Applies one --assume KEY=VALUE to the facts as a sysctl override (the
 * one parser of --assume, for audit, watch and explain). The key is a
 * sysctl (net.*, kernel.*, vm.*; the /proc/sys spelling is accepted); one
 * the facts show absent on this kernel is refused; a numeric value must
 * have as many integer fields as the current one. 0 or -EINVAL/-ENOENT
 * (err says why). */
int hr_audit_assume(hr_facts *f, const char *kv, struct hr_err *err);

/* The host's other managers of sysctls (managers.h), found on first use
 * (processes under the root, their configuration) and kept; NULL when out
 * of memory. */
struct hr_managers;
const struct hr_managers *hr_audit_managers(const hr_audit *a);

/* Probes with the context's options (root, interval, sockets, log window). */
int hr_audit_probe(const hr_audit *a, hr_facts *f, struct hr_err *err);

/* Adds what the options declare to probed facts: the initial namespace's
 * global keys, the workload file, the boot view (--boot), the
 * --assume-file settings (each with its FILE:LINE as the source), and the
 * assumptions last (each also into assumed, an object, unless NULL).
 * Lines the kernel would reject are left out (the audit's report lists
 * them). 0 or -errno (err). */
int hr_audit_declare(const hr_audit *a, hr_facts *f, json_t *assumed, struct hr_err *err);

/* Evaluates the rules over f into an owned report {findings (sorted by
 * severity), tables (when a rule declares one), summary} in *report,
 * first stamping f's report moment (now: what a live audit's predictions
 * count from, clock.h). Returns 0, or -ENOENT when no rule is loaded at
 * all (err says why; *report is still set, status UNKNOWN). */
int hr_audit_facts(const hr_audit *a, hr_facts *f, json_t **report, struct hr_err *err);

/* The whole audit: the trace (with trace_s: what it saw, or in "trace":
 * {traced: false, why} the one reason it could not), then the probe (the
 * sockets as the trace ended), declared inputs, rules; the report gets the assumptions, the workload and
 * "facts" too. Returns 0 with *report set,
 * or -errno with err set when the probe or the workload is unusable. */
int hr_audit_run(const hr_audit *a, json_t **report, struct hr_err *err);

/* The rules' findings over f with sysctls overridden (vet's what-if; see
 * hr_ruleset_evaluate_with). Owned, or NULL on ENOMEM. */
json_t *hr_audit_evaluate(const hr_audit *a, const hr_facts *f, const struct hr_setting *what_if,
			  size_t nwhat_if);

/* `explain`: one rule (one subject, or all for NULL) over f
 * (hr_ruleset_explain_subject). Owned, or NULL with err set. */
json_t *hr_audit_explain(const hr_audit *a, const char *rule_id, const hr_facts *f, const char *subject,
			 struct hr_err *err);

/* The audit of several network namespaces in this one process: each
 * namespace of l is probed inside it (setns; one counter interval shared
 * by all, hr_netns_probe_all), a child's absent global keys are filled
 * from the initial namespace (read once), and each is evaluated. *report
 * (owned) gets {"host": {verdict, status, exit_code, namespaces,
 * counts{critical, warning, unknown, ok}}, "namespaces": [{"netns":
 * identity, "findings", "summary", "facts"}...]}, worst first (critical,
 * unknown, warning, ok; list order within a status). A namespace that
 * cannot be entered or probed is a section with status UNKNOWN and its
 * error. Returns 0, or -errno when the audit could not run at all or
 * could not return to the caller's namespace (err says why). */
int hr_audit_run_netns(const hr_audit *a, const struct hr_netns_list *l, json_t **report, struct hr_err *err);

/* Rank of an exit code for "the worst": CRITICAL 0, UNKNOWN 1, WARNING 2, OK 3. */
int hr_audit_status_rank(int code);

/* The exit code stored in the report's summary (HR_AUDIT_UNKNOWN if none). */
int hr_audit_exit_code(const json_t *report);

/* audit-report.c: the report of one evaluation (see hr_audit_facts). */
int hr_audit_report(const hr_ruleset *rs, const struct hr_diags *d, hr_facts *f, size_t hold, bool lazy,
		    json_t **report, struct hr_err *err);

#endif
