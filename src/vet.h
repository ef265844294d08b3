/* vet.h: from desired settings to a vetted plan: current vs desired
 * (keys already right are skipped), and every check made before any write:
 * key present and writable in this network namespace, value parses and is
 * inside the kernel's range, never tcp_tw_recycle, dangerous values only
 * with --allow KEY, and a what-if audit of the planned state. */
#ifndef HR_VET_H
#define HR_VET_H

#include <jansson.h>

#include "facts.h"
#include "profile.h"

/* One planned change (or a key already right). */
struct hr_plan_item {
	char *key;
	char *old;  /* current value (NULL when the key could not be read) */
	char *new;  /* value to write (NULL when refused before one was known) */
	char *why;
	char *from;
	bool change; /* false: already right, no write */
	char *managed_by; /* another manager of the host sets this key (managers.h): who, what, when */
};

/* One refusal: names the key (or the rule, for the what-if audit) and why. */
struct hr_refusal {
	char *key;
	char *reason;
	bool allowable; /* --allow KEY would accept it */
	char *where;    /* the FILE:LINE the setting came from, or NULL */
};

struct hr_plan {
	struct hr_plan_item *items;
	size_t n;
	struct hr_refusal *refusals;
	size_t nrefusals;
	char **notes; /* things the operator should know (what-if unavailable, checks skipped) */
	size_t nnotes;
	uint64_t netns;  /* netns inode the plan was made in (0 under --root) */
	bool child_netns;
};

#define HR_VET_MAX_RULE_DIRS 16

struct hr_vet_opts {
	const char *root;           /* "" live, else a tree with proc/sys */
	const char *const *allow;   /* --allow KEY (or what-if rule id) */
	size_t nallow;
	bool whatif;                /* run the what-if audit of the planned state */
	const char *const *rules_dirs; /* --rules: loaded after the shipped rules */
	size_t nrules_dirs;
	bool strict_managers;       /* refuse keys another manager of the host sets */
	bool persist;               /* --persist: the values are also written for boot */
	bool in_netns;              /* --netns: sysctl.d sets the initial namespace at boot, not this one */
	const struct hr_audit *audit; /* the caller's audit context (rules loaded once), or
				       * NULL: vet makes one from root and rules_dirs */
	double path_rtt_s, path_rate; /* a profile's declared path (0: none): the plan's
				       * tcp_wmem/tcp_rmem maxima checked against 2 x BDP */
	const char *path_from;        /* where the path was declared */
};

/* Builds and vets a plan for the settings (already normalised). Refusals go
 * into p->refusals; the plan is usable only when p->nrefusals == 0.
 * Returns 0, or -errno on a failure to run at all. */
int hr_vet_plan(struct hr_plan *p, const struct hr_desired *s, size_t n, const struct hr_vet_opts *o);

/* Number of items that change something. */
size_t hr_plan_changes(const struct hr_plan *p);
void hr_plan_clear(struct hr_plan *p);

/* The plan as JSON (owned): {changes[{key, old, new, why, from}],
 * unchanged[...], refusals[{key, reason, allowable, where?}], notes[]}. */
json_t *hr_plan_to_json(const struct hr_plan *p);

/* The what-if audit as a separate step (used by hr_vet_plan): evaluates the
 * rules on the current facts and on the facts with the planned values, and
 * returns the critical findings the plan creates as an owned JSON array, or
 * NULL with *why set when the audit cannot run (no rules could be loaded).
 * f: the probed facts to use (the planned keys' current values are set in
 * it), or NULL to probe here. raised (may be NULL): set to the owned array
 * of the findings the plan raises to info or above (NULL when none ran). */
json_t *hr_vet_whatif(const struct hr_plan *p, const struct hr_vet_opts *o, hr_facts *f,
		      const char **why, json_t **raised);

/* Audits the current state (hr_audit_run: probe + shipped and --rules
 * rules): the owned report, or NULL with *why set when it cannot run. */
json_t *hr_vet_audit(const struct hr_vet_opts *o, const char **why);

/* The settings of `apply --fix`: for each critical or warning finding of a
 * report, the first sysctl fix whose severity_after is ok or info, or when
 * none reaches that, the first that lowers the severity (its rationale
 * says which severity it leaves). A key
 * two fixes set differently keeps the first: critical findings are taken
 * before warnings. Owned array in *out. 0 or -errno. */
int hr_vet_fixes(const json_t *report, struct hr_desired **out, size_t *n);
void hr_desired_free_all(struct hr_desired *s, size_t n);

#endif
