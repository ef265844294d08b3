/* audit-int.h: what audit.c and audit-files.c share; private to the audit
 * subsystem. */
#ifndef HR_AUDIT_INT_H
#define HR_AUDIT_INT_H

#include "audit.h"

/* The sysctl.d what-ifs of a context (audit-files.c): the --assume-file
 * files, and with --boot the boot set and the kernel's defaults. */
struct hr_audit_files;

/* Reads the files of the options; *out NULL when there are none. 0, or
 * -errno with err naming the file (FILE:LINE for a line that is no
 * assignment in an --assume-file). */
int hr_audit_files_new(const struct hr_audit_opts *o, struct hr_audit_files **out, struct hr_err *err);
void hr_audit_files_free(struct hr_audit_files *fs);

/* Overlays f (probed, with the initial namespace's globals, the workload
 * and --assume) with the boot view, then the --assume-file settings, each
 * with its FILE:LINE (or "kernel default ...") as the source; a line the
 * kernel would refuse here is left out and listed. child: f is a child
 * network namespace's (a global key filled from the initial namespace,
 * HR_NETNS_GLOBAL_NOTE, cannot be set from it). *parts (owned) gets {"what_if"?, "boot"?} for the summary
 * and "_declared" (key -> {key, value, was, source}) for
 * hr_audit_files_report. 0 or -ENOMEM. */
int hr_audit_files_apply(const struct hr_audit_files *fs, const char *root, bool child, hr_facts *f,
			 json_t **parts);

/* The critical findings of an evaluation of f (the baseline), as a set
 * ({"rule\tsubject": true}, owned): all hr_audit_files_report needs of
 * the baseline. Evaluated with hold, the critical findings left out made
 * again one at a time, so no evaluation holds every finding (issue 20,
 * item 6: at 65,536 destinations a finding each is ~3.5 KiB). */
json_t *hr_audit_files_criticals(const hr_ruleset *rs, const hr_facts *f);

/* Finishes a report made over the overlaid facts: each finding that reads
 * a declared key gets "changed_by" [{key, value, was, source}], a critical
 * finding not in before (hr_audit_files_criticals of the findings before
 * the overlay) gets "new_critical": true and is listed; the parts go into
 * the summary, and an --assume-file line the kernel would reject (without
 * '-') makes the audit CRITICAL with its FILE:LINE in the verdict. */
void hr_audit_files_report(const hr_ruleset *rs, const hr_facts *f, const json_t *before, json_t *report,
			   json_t *parts);

/* Checks a value's shape against the current one v: as many whole numbers
 * as a numeric sysctl has fields. 0 or -EINVAL (err: "KEY=VALUE: want N
 * whole numbers like the current 'X'", what names the input). */
int hr_audit_shape_check(const struct hr_value *v, const char *what, const char *key, const char *val,
			 struct hr_err *err);

#endif
