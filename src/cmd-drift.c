/* cmd-drift.c: the audit's drift facts (drift.count, drift.list): the
 * values headroom applied that changed since, from the journals of
 * --state-dir against the probed values (drift.h), given to the audit
 * context as its declare callback. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "drift.h"
#include "facts.h"
#include "netns.h"

/* The facts hold only the sysctls the rules read (hr_cmd_drift_declare_partial). */
static bool partial;

/* For hr_drift: a key's current value from the probed facts (raw text). */
static int drift_fact(void *ud, const char *key, char *buf, size_t n)
{
	struct hr_value v;

	if (hr_facts_get(ud, key, 0, &v) < 0)
		return -ENOENT;
	/* Not read by the probe (what facts-get.c says of a sysctl it has no
	 * entry for): the live value, as the full probe would have read it. */
	if (partial && v.type == HR_V_MISSING && v.missing && !strcmp(v.missing, "absent on this kernel"))
		return hr_drift_get_live(NULL, key, buf, n);
	if (v.type == HR_V_MISSING || !v.str)
		return -ENOENT;
	snprintf(buf, n, "%s", v.str);
	return 0;
}

/* See cmd.h. */
int hr_cmd_drift_declare_partial(void *ud, hr_facts *f)
{
	int r;

	partial = true;
	r = hr_cmd_drift_declare(ud, f);
	partial = false;
	return r;
}

/* The audit's declared facts drift.count and drift.list: the keys headroom
 * applied in this namespace, this boot, whose value changed since (the
 * journals in --state-dir). ud: non-NULL for one namespace of many (its
 * inode then comes from the facts). */
int hr_cmd_drift_declare(void *ud, hr_facts *f)
{
	const char *why = NULL, *src = "the journals of --state-dir against the probed values";
	struct hr_value v;
	uint64_t ino = 0;
	bool child;
	json_t *d, *x;
	char *list = NULL;
	size_t len = 0, i;
	FILE *b;
	int r;

	if (arg_root && *arg_root)
		return hr_facts_set_missing(f, "drift.count", "a captured tree (the journals are the live system's)");
	if (hr_facts_get(f, "kernel.log.netns_inode", -1, &v) == 0 && v.type == HR_V_NUM)
		ino = (uint64_t)v.num;
	else if (ud || hr_netns_self(&ino, &child) < 0)
		return hr_facts_set_missing(f, "drift.count", "this network namespace's inode is not known");
	d = hr_drift(arg_state_dir, ino, drift_fact, f, &why);
	if (!d) {
		char msg[4400];

		snprintf(msg, sizeof(msg), "%s: %s", arg_state_dir, why);
		return hr_facts_set_missing(f, "drift.count", msg);
	}
	b = open_memstream(&list, &len);
	if (!b) {
		json_decref(d);
		return -ENOMEM;
	}
	json_array_foreach(d, i, x) {
		char *s = hr_drift_describe(x), owner[600];
		struct hr_value ov;

		fprintf(b, "%s%s", i ? "; " : "", s ? s : "?");
		free(s);
		/* Who probably changed it: another manager that sets the key. */
		snprintf(owner, sizeof(owner), "managers.owner.%s", json_string_value(json_object_get(x, "key")));
		if (hr_facts_get(f, owner, 0, &ov) == 0 && ov.type == HR_V_STR && ov.str)
			fprintf(b, " (probably: %s)", ov.str);
	}
	r = fclose(b) ? -ENOMEM : 0;
	if (r == 0)
		r = hr_facts_set_num(f, "drift.count", (double)json_array_size(d), src);
	if (r == 0)
		r = hr_facts_set_str(f, "drift.list", list && *list ? list : "none", src);
	free(list);
	json_decref(d);
	return r;
}
