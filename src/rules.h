/* rules.h: the rules engine: loads the rule files (rules/AREA.yaml, see
 * docs/RULES-FORMAT.md) and evaluates them over a facts model into findings.
 *
 * Ownership as in headroom.h. Lower layer: never prints; load problems go
 * into a diagnostics list with file:line:column. */
#ifndef HR_RULES_H
#define HR_RULES_H

#include <jansson.h>

#include "diag.h"
#include "facts.h"

typedef struct hr_ruleset hr_ruleset;

hr_ruleset *hr_ruleset_new(void);
void hr_ruleset_free(hr_ruleset *rs);

/* The loaders below are called by the audit context (audit.c: the one
 * place rule files are loaded for a command) and by the engine's tests. */

/* Loads one rule file. Rules with errors are left out and reported; the
 * file's valid rules are kept. Returns 0, or -EBADMSG when it had errors,
 * or -errno when it could not be read. */
int hr_ruleset_load_file(hr_ruleset *rs, const char *path, struct hr_diags *d);
/* Loads every *.yaml of a directory in name order. Same return convention. */
int hr_ruleset_load_dir(hr_ruleset *rs, const char *dir, struct hr_diags *d);
/* hr_ruleset_load_dir will leave this file out (it is loaded explicitly,
 * e.g. `rules check FILE` in the context of the rules directories). */
void hr_ruleset_exclude(hr_ruleset *rs, const char *path);
/* Cross-checks after loading (unknown names, duplicate ids, cycles in derived). */
int hr_ruleset_check(hr_ruleset *rs, struct hr_diags *d);

size_t hr_ruleset_count(const hr_ruleset *rs);
/* The sysctl names ("net.*") an evaluation of rs can read, after
 * hr_ruleset_check: every fact name bound in an expression (rules, their
 * lets, templates, presentations and fixes, derived facts), the counters'
 * facts and the keys fixes set; sorted (strcmp), duplicates kept. An owned
 * array of borrowed names, *n of them; NULL with *n 0 when there are none
 * or out of memory (then -ENOMEM in *err). */
const char **hr_ruleset_sysctl_names(const hr_ruleset *rs, size_t *n, int *err);
/* The managers catalogue (managers: lists of the files loaded; managers.h),
 * its size in *n. Borrowed. */
struct hr_mgr_cat;
const struct hr_mgr_cat *hr_ruleset_managers(const hr_ruleset *rs, size_t *n);
const char *hr_ruleset_rule_id(const hr_ruleset *rs, size_t i);
/* The first error of rule i ("file:line:col: message"), or NULL when it is
 * sound. A rule with errors is kept so that evaluation reports it under
 * not_evaluated instead of passing silently. */
const char *hr_ruleset_rule_error(const hr_ruleset *rs, size_t i);
/* Every rule as [{id, title, area, for_each, file, line, col, error}] (owned). */
json_t *hr_ruleset_list(const hr_ruleset *rs);

/* How a rule presents itself to the outputs that need more than its
 * findings (docs/RULES-FORMAT.md, "Presentation"). Borrowed from the ruleset. */

/* One Nagios performance datum: the worst value of a metric over the rule's findings. */
struct hr_rule_perf {
	const char *label;  /* 'label' of the plugin output */
	const char *metric; /* a metric of the rule */
	const char *unit;   /* "" or a monitoring-plugins UOM ("s") */
	bool worst_is_min;  /* headroom, time left: the smallest is the worst */
};
/* The perfdata rule i declares; their number (0: none). */
size_t hr_ruleset_perfdata(const hr_ruleset *rs, size_t i, const struct hr_rule_perf **v);

/* A table the text report shows, one row per finding of the rules that
 * declare it (rows filled from each finding's "row"). */
struct hr_rule_table {
	const char *id, *title, *rows; /* rows: what a row is, plural ("destinations") */
	size_t ncols;
	const char *const *headers;
	const bool *right; /* right-aligned columns */
};
/* The table rule i declares; false when none. */
bool hr_ruleset_table(const hr_ruleset *rs, size_t i, struct hr_rule_table *t);

/* The metrics watch follows per subject: used, limit, rate, time left. */
enum { HR_WATCH_USED, HR_WATCH_LIMIT, HR_WATCH_RATE, HR_WATCH_TIME_LEFT, HR_WATCH_ROLES };
/* The metric names of rule i for each role; false when watch does not follow it. */
bool hr_ruleset_watch(const hr_ruleset *rs, size_t i, const char *const **names);

/* The index of the rule with this id, or -ENOENT. */
long hr_ruleset_index(const hr_ruleset *rs, const char *id);

/* Evaluates every rule for every subject. Returns an owned object:
 *   {"findings": [ {rule, title, area, severity, subject, message, metrics{},
 *                   fixes[{kind, text, settings{}, headroom_after, severity_after}],
 *                   references[], headline?, row?} ... ],
 *    "not_evaluated": [ {rule, subject, reason} ... ]}
 * Findings are in rule order then subject order; the caller sorts for display. */
json_t *hr_ruleset_evaluate(const hr_ruleset *rs, const hr_facts *f);

/* A sysctl value for a what-if evaluation. */
struct hr_setting {
	const char *key;   /* "net.ipv4.tcp_tw_reuse" */
	const char *value; /* raw text as written to /proc/sys */
};
/* Same as hr_ruleset_evaluate with sysctls overridden (an overlay in the
 * evaluator: f is not changed; ports.* follow an overridden
 * ip_local_port_range / ip_local_reserved_ports). Fix what-ifs stack on top. */
json_t *hr_ruleset_evaluate_with(const hr_ruleset *rs, const hr_facts *f,
				 const struct hr_setting *what_if, size_t nwhat_if);

/* Options of an evaluation. */
struct hr_eval_opts {
	const struct hr_setting *what_if; /* sysctl overrides (as hr_ruleset_evaluate_with) */
	size_t nwhat_if;
	bool problems_only; /* leave out the "ok" findings of for_each rules (still counted) */
	size_t hold;        /* > 0: at most this many findings per rule and severity of for_each
			     * rules, the first in subject order (the rest still counted) */
	struct hr_eval_refs *refs; /* with hold: every finding, made or not, in the order of the
				    * findings had there been no hold; counters' rules hold all */
};
/* A finding of an evaluation with hold: its rule (index), subject (item),
 * severity (enum hr_sev) and whether it was made (in "findings", in this
 * order) or can be made again by hr_rules_finder_get. */
struct hr_eval_ref {
	uint32_t rule, item;
	uint8_t sev;
	bool made;
};
struct hr_eval_refs {
	struct hr_eval_ref *v; /* owned: free() */
	size_t n, cap;
	bool nomem;            /* a ref could not be recorded */
};
/* The general form. The result also has "summary": one entry per rule
 * {rule, for_each, critical, warning, info, ok, not_applicable, not_evaluated}
 * counting its subjects. Values shared between findings of a rule (rule,
 * title, area, severity, references) are the same json_t: treat the result
 * as read-only (deep-copy before editing). */
json_t *hr_ruleset_evaluate_opts(const hr_ruleset *rs, const hr_facts *f, const struct hr_eval_opts *o);

/* Makes the finding of one subject again, as hr_ruleset_evaluate made it
 * (no what-if): the findings an evaluation with hold left out, made one at
 * a time as a report is written. rs and f are borrowed and must outlive
 * it. NULL on ENOMEM. */
typedef struct hr_rules_finder hr_rules_finder;
hr_rules_finder *hr_rules_finder_new(const hr_ruleset *rs, const hr_facts *f);
/* The finding of rule (index) over item (0 for a rule without for_each):
 * owned, or NULL when the subject has none (not applicable, not evaluated)
 * or on ENOMEM. */
json_t *hr_rules_finder_get(hr_rules_finder *fd, size_t rule, size_t item);
void hr_rules_finder_free(hr_rules_finder *fd);

/* The facts a rule reads (through the derived values it uses), as an
 * owned array of names ("net.ipv4.ip_local_port_range", "ports.usable"):
 * empty for an unknown or broken rule. What an audit uses to say which
 * declared input a finding depends on. */
json_t *hr_ruleset_rule_facts(const hr_ruleset *rs, const char *rule_id);

/* The explanation of one rule: its definition, each let/severity formula
 * with the current values filled in (per subject), and its sources.
 * Owned object, or NULL when no such rule (then *err is set). */
json_t *hr_ruleset_explain(const hr_ruleset *rs, const char *rule_id, const hr_facts *f,
			   struct hr_err *err);
/* Same, for the one subject ("10.0.0.2:5774") of a for_each rule; NULL subject: all.
 * Object: {rule, title, area, description?, defined_at, for_each, error,
 *          definition{needs, when, let[{name,expr}], severity{}, message, headroom_metric, fixes[]},
 *          subjects[{subject, status, reason?, needs[], when, let[{name,expr,filled,value}], derived[],
 *                    severity_conditions[{level,expr,filled,value}], facts[]?, severity?,
 *                    message?, metrics?, fixes?}],
 *          sources[{fact, value, source}], references[]} */
json_t *hr_ruleset_explain_subject(const hr_ruleset *rs, const char *rule_id, const hr_facts *f,
				   const char *subject, struct hr_err *err);

#endif
