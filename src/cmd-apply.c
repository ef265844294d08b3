/* cmd-apply.c: 'headroom apply': a profile, the fixes of current findings,
 * or single --set changes, planned, vetted and applied as one transaction. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "cmd-txn.h"
#include "fmt.h"
#include "journal.h"
#include "audit.h"
#include "cmd.h"
#include "netns.h"
#include "render.h"
#include "sysctl.h"
#include "sysctld.h"

#define MAX_MULTI 64

struct apply_args {
	const char *profile;
	bool fix, dry_run, persist, detailed, force;
	const char *sets[MAX_MULTI];
	int nsets;
	const char *allow[MAX_MULTI];
	int nallow;
	double confirm_s;
	const char *persist_file;
	const char *config_root;
	const char *files[MAX_MULTI]; /* --sysctl-file, in order */
	int nfiles;
	bool system;                  /* --system: the boot set of sysctl.d */
};

/* Adds or replaces (by key) a setting: later sources override earlier ones. */
static int add_setting(struct hr_desired **v, size_t *n, struct hr_desired *s)
{
	struct hr_desired *nv;
	size_t i;

	for (i = 0; i < *n; i++)
		if (!strcmp((*v)[i].key, s->key)) {
			hr_desired_clear(&(*v)[i]);
			(*v)[i] = *s;
			return 0;
		}
	nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[(*n)++] = *s;
	return 0;
}

/* Parses one --set KEY=VALUE into a setting; err says what is wrong. */
static int parse_set(const char *arg, struct hr_desired *s, struct hr_err *err)
{
	const char *eq = strchr(arg, '=');
	char key[HR_KEY_MAX], raw[HR_KEY_MAX];
	int r;

	memset(s, 0, sizeof(*s));
	if (!eq || eq == arg) {
		hr_err_set(err, -EINVAL, "--set '%s': expected KEY=VALUE", arg);
		return -EINVAL;
	}
	snprintf(raw, sizeof(raw), "%.*s", (int)(eq - arg), arg);
	r = hr_sysctl_normalise(hr_strtrim(raw), key, sizeof(key), err);
	if (r < 0)
		return r;
	s->key = strdup(key);
	s->why = strdup("requested with --set");
	s->from = strdup("--set");
	r = hr_desired_parse_value(s, eq + 1, err);
	if (r < 0)
		hr_desired_clear(s);
	return r;
}

/* The settings of sysctl.d files (--sysctl-file, --system) as systemd-sysctl
 * would write them: globs expanded over this namespace's keys, a later line
 * winning; each setting's from and where is its FILE:LINE, a '-' line is
 * optional. Returns 0, or an exit code with the message printed. */
static int collect_files(const struct apply_args *a, struct hr_desired **v, size_t *n, char *source,
			 size_t srclen)
{
	const char *croot = a->config_root ? a->config_root : arg_root;
	struct hr_sysctld d = {0};
	struct hr_sysctld_set *sets = NULL;
	struct hr_err err = {0};
	size_t nsets = 0, i;
	int k, r = 0;

	for (k = 0; k < a->nfiles && r == 0; k++)
		r = hr_sysctld_read(&d, a->files[k], &err);
	if (r == 0 && a->system)
		r = hr_sysctld_read_boot(&d, croot, &err);
	for (i = 0; r == 0 && i < d.nproblems; i++)
		fprintf(stderr, "headroom apply: refused (nothing written): %s: %s\n", d.problems[i].where, d.problems[i].msg);
	if (r == 0 && d.nproblems)
		r = -EINVAL;
	else if (r < 0)
		fprintf(stderr, "headroom apply: refused (nothing written): %s\n", err.msg);
	if (r == 0)
		r = hr_sysctld_expand(&d, arg_root, &sets, &nsets);
	for (i = 0; r == 0 && i < nsets; i++) {
		struct hr_desired s = {.op = HR_OP_SET, .optional = sets[i].ignore_failure};

		s.key = strdup(sets[i].key);
		s.value = hr_ws_normalise(sets[i].value);
		s.from = strdup(sets[i].where);
		s.where = strdup(sets[i].where);
		if (asprintf(&s.why, "set in %s%s%s", sets[i].where, sets[i].glob ? " by the glob " : "",
			     sets[i].glob ? sets[i].glob : "") < 0)
			s.why = NULL;
		if (!s.key || !s.value || !s.from || !s.where || !s.why || add_setting(v, n, &s) < 0) {
			hr_desired_clear(&s);
			r = -ENOMEM;
		}
	}
	if (r == 0)
		snprintf(source + strlen(source), srclen - strlen(source), "%s%s%s%s", *source ? " + " : "",
			 a->nfiles == 1 && !a->system ? "sysctl file " : a->nfiles ? "sysctl files" : "",
			 a->nfiles == 1 && !a->system ? a->files[0] : "",
			 a->system ? (a->nfiles ? " + the sysctl.d set" : "the sysctl.d set") : "");
	hr_sysctld_set_free(sets, nsets);
	hr_sysctld_clear(&d);
	return r == 0 ? 0 : r == -ENOMEM ? HR_TX_FAILED : HR_TX_REFUSED;
}

/* Text rendering of the plan and (when present) the outcome. */
static int apply_text(FILE *out, const json_t *tree)
{
	json_t *plan = json_object_get(tree, "plan"), *x, *res = json_object_get(tree, "result");
	json_t *ch = json_object_get(plan, "changes"), *un = json_object_get(plan, "unchanged");
	struct hr_table *t;
	size_t i;
	bool dry = json_is_true(json_object_get(tree, "dry_run"));

	if (json_object_get(tree, "netns"))
		fprintf(out, "In network namespace %s\n", json_string_value(json_object_get(tree, "netns")));
	fprintf(out, "%s %s: %zu change%s, %zu already right\n", dry ? "Plan (dry run)" : "Plan",
		json_string_value(json_object_get(tree, "source")), json_array_size(ch),
		json_array_size(ch) == 1 ? "" : "s", json_array_size(un));
	if (json_array_size(ch)) {
		t = hr_table_new(5);
		json_array_foreach(ch, i, x) {
			char key[HR_KEY_MAX + 2];
			const char *row[5];

			snprintf(key, sizeof(key), "%s:", json_string_value(json_object_get(x, "key")));
			row[0] = key;
			row[1] = json_string_value(json_object_get(x, "old"));
			row[2] = "->";
			row[3] = json_string_value(json_object_get(x, "new"));
			row[4] = json_string_value(json_object_get(x, "from"));
			hr_table_row(t, row);
		}
		hr_table_print(out, t, "  ~ ", 0);
		hr_table_free(t);
		json_array_foreach(ch, i, x)
			fprintf(out, "    why %s: %s\n", json_string_value(json_object_get(x, "key")),
				json_string_value(json_object_get(x, "why")));
	}
	if (json_array_size(un) && arg_verbose) {
		json_array_foreach(un, i, x)
			fprintf(out, "  = %s = %s (%s)\n", json_string_value(json_object_get(x, "key")),
				json_string_value(json_object_get(x, "value")),
				json_string_value(json_object_get(x, "from")));
	}
	json_array_foreach(json_object_get(plan, "notes"), i, x)
		fprintf(out, "  note: %s\n", json_string_value(x));
	if (json_array_size(json_object_get(plan, "refusals"))) {
		fprintf(out, "Refused (nothing written):\n");
		json_array_foreach(json_object_get(plan, "refusals"), i, x)
			fprintf(out, "  ! %s%s%s: %s\n", json_string_value(json_object_get(x, "where")) ?: "",
				json_object_get(x, "where") ? ": " : "", json_string_value(json_object_get(x, "key")),
				json_string_value(json_object_get(x, "reason")));
	}
	x = json_object_get(tree, "persist");
	if (x) {
		json_t *c;
		size_t k;

		fprintf(out, "Persist: %s%s\n", json_string_value(json_object_get(x, "file")),
			dry ? " (would write)" : "");
		json_array_foreach(json_object_get(x, "conflicts"), k, c)
			fprintf(out, "  warning: %s:%lld sets %s = %s, which wins at boot over %s\n",
				json_string_value(json_object_get(c, "file")),
				(long long)json_integer_value(json_object_get(c, "line")),
				json_string_value(json_object_get(c, "key")),
				json_string_value(json_object_get(c, "value")),
				json_string_value(json_object_get(c, "ours")));
	}
	if (!res)
		return 0;
	{
		const char *oc = json_string_value(json_object_get(res, "outcome"));
		const char *txn = json_string_value(json_object_get(res, "txn"));

		if (!strcmp(oc, HR_OUT_UNCHANGED)) {
			fprintf(out, "Nothing to change.\n");
			return 0;
		}
		if (!strcmp(oc, HR_OUT_APPLIED)) {
			fprintf(out, "Applied transaction %s: %zu key%s written and verified%s%s.\n", txn,
				json_array_size(json_object_get(res, "written")),
				json_array_size(json_object_get(res, "written")) == 1 ? "" : "s",
				json_object_get(res, "persisted") ? ", persisted to " : "",
				json_object_get(res, "persisted") ? json_string_value(json_object_get(res, "persisted")) : "");
			if (json_object_get(res, "watcher_unit"))
				fprintf(out, "Rolls back in %.1f s unless 'headroom confirm %s' (watcher unit %s).\n",
					json_number_value(json_object_get(tree, "confirm_s")), txn,
					json_string_value(json_object_get(res, "watcher_unit")));
			else if (json_object_get(res, "confirm_deadline_ms"))
				fprintf(out, "Rolls back in %.1f s unless 'headroom confirm %s' (watcher pid %lld).\n",
					json_number_value(json_object_get(tree, "confirm_s")), txn,
					(long long)json_integer_value(json_object_get(res, "watcher_pid")));
			fprintf(out, "Undo with: headroom rollback %s\n", txn);
			return 0;
		}
		fprintf(out, "FAILED (transaction %s): %s\n", txn, json_string_value(json_object_get(res, "error")));
		json_array_foreach(json_object_get(res, "restored"), i, x)
			fprintf(out, "  %s %s\n", json_is_true(json_object_get(x, "ok")) ? "restored" : "NOT RESTORED",
				json_string_value(json_object_get(x, "key")));
		fprintf(out, "%s\n", !strcmp(oc, HR_OUT_FAILED) ? "Every key written was restored and verified."
								: "Rollback INCOMPLETE: the keys above marked NOT RESTORED keep the new value.");
	}
	return 0;
}

/* The last refusal or error told on standard error: the JSON or YAML of an
 * apply that stops before it has a plan reports it too (not nothing). */
static char said[HR_ERR_MAX];
static bool rendered;

/* Prints "headroom apply: MESSAGE" on standard error and keeps MESSAGE. */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(said, sizeof(said), fmt, ap);
	va_end(ap);
	fprintf(stderr, "headroom apply: %s\n", said);
}

/* Collects the desired settings from --profile, --fix and --set. Returns
 * 0, or an exit code with the message printed. */
static int collect(const struct apply_args *a, struct hr_vet_opts *vo, struct hr_desired **v,
		   size_t *n, char *source, size_t srclen)
{
	struct hr_err err = {0};
	int i, r;

	source[0] = '\0';
	if (a->profile) {
		struct hr_profile *p;
		size_t k;

		r = hr_profile_resolve(arg_profiles_dir ? arg_profiles_dir : hr_default_profiles_dir(),
				       a->profile, &p, &err);
		if (r < 0) {
			/* Nothing was written: refused (4), not failed and rolled back (1). */
			say("refused (nothing written): %s", err.msg);
			return HR_TX_REFUSED;
		}
		for (k = 0; k < p->nsettings; k++) {
			add_setting(v, n, &p->settings[k]);
			memset(&p->settings[k], 0, sizeof(p->settings[k]));
		}
		if (p->path_rate > 0) { /* vet checks the plan's buffer maxima against it */
			static char from[600];

			snprintf(from, sizeof(from), "profile %s, %s", a->profile, p->path_where ? p->path_where : "?");
			vo->path_rtt_s = p->path_rtt_s;
			vo->path_rate = p->path_rate;
			vo->path_from = from;
		}
		hr_profile_free(p);
		snprintf(source, srclen, "profile %s", a->profile);
	}
	if (a->fix) {
		const char *why = NULL;
		json_t *rep = hr_vet_audit(vo, &why);
		struct hr_desired *fx;
		size_t nf, k;

		if (!rep) {
			say("refused (nothing written): --fix needs an audit: %s", why ? why : "unavailable");
			return HR_TX_REFUSED;
		}
		r = hr_vet_fixes(rep, &fx, &nf);
		json_decref(rep);
		if (r < 0)
			return HR_TX_FAILED;
		for (k = 0; k < nf; k++)
			add_setting(v, n, &fx[k]);
		free(fx);
		snprintf(source + strlen(source), srclen - strlen(source), "%sfixes of %zu finding setting%s",
			 *source ? " + " : "", nf, nf == 1 ? "" : "s");
	}
	if (a->nfiles || a->system) {
		r = collect_files(a, v, n, source, srclen);
		if (r)
			return r;
	}
	for (i = 0; i < a->nsets; i++) {
		struct hr_desired s;

		hr_err_clear(&err);
		if (parse_set(a->sets[i], &s, &err) < 0) {
			say("refused (nothing written): %s", err.msg);
			return HR_TX_REFUSED;
		}
		add_setting(v, n, &s);
	}
	if (a->nsets)
		snprintf(source + strlen(source), srclen - strlen(source), "%s%d --set", *source ? " + " : "",
			 a->nsets);
	return 0;
}

/* A transaction awaiting confirmation: a new one on top of it would leave
 * its rollback keys changed by someone else. Prints the refusal; true
 * when there is one. */
static bool awaiting_confirm(const char *state_dir)
{
	static const char *const waiting[] = {"awaiting-confirm", NULL};
	char *id = hr_apply_find(state_dir, waiting), when[48];
	json_t *t;
	bool busy;

	if (!id)
		return false;
	t = hr_journal_peek(state_dir, id, &busy, NULL);
	say("refused (nothing written): transaction %s is awaiting confirmation until %s: confirm it or roll it back first (or --force)",
		id, hr_utc_text(when, sizeof(when), hr_txn_deadline_ms(t)));
	json_decref(t);
	free(id);
	return true;
}

/* Parses the options, collects the settings, vets, and applies or prints the plan. */
static int apply_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{"profile", required_argument, NULL, 'p'},
		{"fix", no_argument, NULL, 'x'},
		{"set", required_argument, NULL, 's'},
		{"allow", required_argument, NULL, 'a'},
		{"dry-run", no_argument, NULL, 'n'},
		{"confirm", required_argument, NULL, 'c'},
		{"persist", no_argument, NULL, 'P'},
		{"persist-file", required_argument, NULL, 'F'},
		{"config-root", required_argument, NULL, 'C'},
		{"state-dir", required_argument, NULL, 'S'},
		{"root", required_argument, NULL, 'R'},
		{"profiles", required_argument, NULL, 'D'},
		{"rules", required_argument, NULL, 'r'},
		{"format", required_argument, NULL, 'f'},
		{"detailed-exitcodes", no_argument, NULL, 'e'},
		{"verbose", no_argument, NULL, 'v'},
		{"netns", required_argument, NULL, 'N'},
		{"sysctl-file", required_argument, NULL, 'y'},
		{"system", no_argument, NULL, 'Y'},
		{"strict-managers", no_argument, NULL, 'M'},
		{"force", no_argument, NULL, 'O'},
		{"trust-inputs", no_argument, NULL, HR_OPT_TRUST_INPUTS},
		{NULL, 0, NULL, 0},
	};
	const char *netns_name = NULL;
	bool strict_managers = false;
	struct apply_args a = {0};
	struct hr_vet_opts vo = {0};
	struct hr_desired *settings = NULL;
	struct hr_plan plan;
	struct hr_kv *kv = NULL;
	struct hr_err err = {0};
	char source[512], persist_path[PATH_MAX];
	json_t *tree, *res = NULL;
	size_t nsettings = 0, i;
	int c, rc;
	char *end;

	optind = 1;
	while ((c = getopt_long(argc, argv, "p:s:nf:v", opts, NULL)) != -1) {
		switch (c) {
		case HR_OPT_TRUST_INPUTS: hr_trust_inputs(true); break;
		case 'p': a.profile = optarg; break;
		case 'x': a.fix = true; break;
		case 's':
		case 'a':
			if ((c == 's' ? a.nsets : a.nallow) >= MAX_MULTI) {
				say("at most %d --set/--allow", MAX_MULTI);
				return HR_EXIT_USAGE;
			}
			if (c == 's')
				a.sets[a.nsets++] = optarg;
			else
				a.allow[a.nallow++] = optarg;
			break;
		case 'y':
			if (a.nfiles >= MAX_MULTI) {
				fprintf(stderr, "headroom apply: at most %d --sysctl-file\n", MAX_MULTI);
				return HR_EXIT_USAGE;
			}
			a.files[a.nfiles++] = optarg;
			break;
		case 'Y': a.system = true; break;
		case 'n': a.dry_run = true; break;
		case 'c':
			a.confirm_s = strtod(optarg, &end);
			if (*end || end == optarg || !(a.confirm_s > 0 && a.confirm_s <= 86400)) {
				say("--confirm takes seconds, 0 < S <= 86400 (got '%s')", optarg);
				return HR_EXIT_USAGE;
			}
			break;
		case 'P': a.persist = true; break;
		case 'F': a.persist_file = optarg; a.persist = true; break;
		case 'C': a.config_root = optarg; break;
		case 'M': strict_managers = true; break;
		case 'S': arg_state_dir = optarg; break;
		case 'R': arg_root = optarg; break;
		case 'D': arg_profiles_dir = optarg; break;
		case 'r':
			if (!hr_cmd_add_rules_dir(optarg))
				return HR_EXIT_USAGE;
			break;
		case 'f':
			if (!hr_cmd_set_format("apply", optarg))
				return HR_EXIT_USAGE;
			break;
		case 'e': a.detailed = true; break;
		case 'O': a.force = true; break;
		case 'v': arg_verbose++; break;
		case 'N':
			if (hr_netns_valid_name(optarg, &err) < 0) {
				say("%s", err.msg);
				return HR_EXIT_USAGE;
			}
			netns_name = optarg;
			break;
		default:
			hr_cmd_usage(stderr, &hr_cmd_apply);
			return HR_EXIT_USAGE;
		}
	}
	if (optind != argc || (!a.profile && !a.fix && !a.nsets && !a.nfiles && !a.system)) {
		say("say what to apply: --profile NAME, --fix, --sysctl-file FILE, --system and/or --set KEY=VALUE");
		return HR_EXIT_USAGE;
	}
	if (netns_name) {
		int er;

		if (arg_root && *arg_root) {
			say("--root and --netns exclude each other");
			return HR_EXIT_USAGE;
		}
		/* sysctl.d is applied to the initial namespace at boot, and a
		 * namespace does not survive a reboot: nothing to persist to. */
		if (a.persist) {
			say("--persist cannot be used with --netns (files in sysctl.d set the initial namespace at boot; a namespace does not outlive a reboot)");
			return HR_EXIT_USAGE;
		}
		/* Everything from here on, vetting, the what-if audit, the
		 * writes and a --confirm watcher, runs inside the namespace. */
		er = hr_netns_enter_name(netns_name, &err);
		if (er < 0) {
			say("refused (nothing written): %s", err.msg);
			return HR_TX_REFUSED;
		}
	}
	vo.root = arg_root;
	vo.allow = a.allow;
	vo.nallow = (size_t)a.nallow;
	vo.whatif = true;
	vo.strict_managers = strict_managers;
	vo.persist = a.persist;
	vo.in_netns = netns_name != NULL;
	vo.rules_dirs = arg_rules_dirs;
	vo.nrules_dirs = (size_t)arg_nrules_dirs;

	/* The state dir is checked before anything else can be written. */
	if (!a.dry_run && hr_state_check(arg_state_dir, true, &err) < 0) {
		say("refused (nothing written): %s", err.msg);
		return HR_TX_REFUSED;
	}
	if (!a.dry_run && hr_state_lock(arg_state_dir, false, &err) < 0) {
		say("refused (nothing written): %s", err.msg);
		return HR_TX_REFUSED;
	}
	/* Before anything else: what passed its confirm deadline goes back. */
	if (!a.dry_run)
		hr_cmdtxn_expire("apply", arg_state_dir, true, NULL);
	if (!a.dry_run && !a.force && awaiting_confirm(arg_state_dir))
		return HR_TX_REFUSED;
	{
		size_t unreadable, n = hr_cmdtxn_warn_attention("apply", arg_state_dir, false, &unreadable);

		/* An unreadable journal may hold keys to restore: only --force
		 * goes ahead (the other statuses have 'headroom rollback'). */
		if (n > 0 && !a.dry_run && !(a.force && n == unreadable)) {
			say("refused (nothing written): finish the transactions above first%s",
				n == unreadable ? " (or --force)" : "");
			return HR_TX_REFUSED;
		}
	}
	/* One audit context for --fix's audit and the what-if: rules loaded once. */
	{
		struct hr_audit_opts ao = {.root = arg_root, .interval_s = -1,
					   .rule_dirs = vo.rules_dirs, .nrule_dirs = vo.nrules_dirs};
		hr_audit *ctx = NULL;

		hr_audit_new(&ao, &ctx, NULL); /* NULL (ENOMEM): vet tries its own and says why */
		/* --fix acts on the rules loaded whole or not at all: a rule file
		 * refused (another user could have written it) or broken must
		 * not leave the fixes of the others to look complete. */
		if (ctx && a.fix && hr_diags_errors(hr_audit_diags(ctx))) {
			hr_diags_print(stderr, hr_audit_diags(ctx));
			say("refused (nothing written): --fix needs every rule file loaded (above)");
			hr_audit_free(ctx);
			return HR_TX_REFUSED;
		}
		vo.audit = ctx;
		rc = collect(&a, &vo, &settings, &nsettings, source, sizeof(source));
		if (rc == 0 && hr_vet_plan(&plan, settings, nsettings, &vo) < 0)
			rc = HR_TX_FAILED;
		vo.audit = NULL;
		hr_audit_free(ctx);
		hr_desired_free_all(settings, nsettings);
		if (rc)
			return rc;
	}

	tree = json_object();
	json_object_set_new(tree, "source", json_string(source));
	json_object_set_new(tree, "dry_run", json_boolean(a.dry_run));
	if (netns_name)
		json_object_set_new(tree, "netns", json_string(netns_name));
	json_object_set_new(tree, "plan", hr_plan_to_json(&plan));
	if (a.confirm_s > 0)
		json_object_set_new(tree, "confirm_s", json_real(a.confirm_s));
	if (a.persist) {
		const char *croot = a.config_root ? a.config_root : arg_root;

		if (a.persist_file)
			snprintf(persist_path, sizeof(persist_path), "%s", a.persist_file);
		else
			hr_path_at(persist_path, sizeof(persist_path), croot, HR_PERSIST_DEFAULT);
		kv = calloc(plan.n ? plan.n : 1, sizeof(*kv));
		for (i = 0; kv && i < plan.n; i++) {
			kv[i].key = plan.items[i].key;
			kv[i].value = plan.items[i].new;
		}
		json_object_set_new(tree, "persist",
				    json_pack("{s:s, s:o}", "file", persist_path, "conflicts",
					      hr_persist_conflicts(croot, persist_path, kv, kv ? plan.n : 0)));
	}

	if (plan.nrefusals) {
		rc = HR_TX_REFUSED;
	} else if (a.dry_run) {
		rc = hr_plan_changes(&plan) && a.detailed ? HR_TX_CHANGED : HR_TX_OK;
	} else {
		struct hr_apply_opts ao = {
			.root = arg_root,
			.state_dir = arg_state_dir,
			.source = source,
			.persist_file = a.persist ? persist_path : NULL,
			.persist_kv = kv,
			.npersist = kv ? plan.n : 0,
			.confirm_s = a.confirm_s,
			.netns_name = netns_name,
		};
		const char *oc;

		res = hr_apply_run(&plan, &ao, &err);
		if (!res) {
			/* hr_apply_run fails only before its first write. */
			say("refused (nothing written): %s", err.msg);
			rc = HR_TX_REFUSED;
		} else {
			oc = json_string_value(json_object_get(res, "outcome"));
			rc = !strcmp(oc, HR_OUT_UNCHANGED) ? HR_TX_OK
			     : !strcmp(oc, HR_OUT_APPLIED)  ? (a.detailed ? HR_TX_CHANGED : HR_TX_OK)
			     : !strcmp(oc, HR_OUT_FAILED)   ? HR_TX_FAILED
							    : HR_TX_INCOMPLETE;
			json_object_set(tree, "result", res);
		}
	}
	json_object_set_new(tree, "exit_code", json_integer(rc));
	hr_render_report(stdout, arg_format, tree, apply_text);
	rendered = true;
	json_decref(tree);
	json_decref(res);
	free(kv);
	hr_plan_clear(&plan);
	return rc;
}

/* apply_run, and for --format json/yaml a report also when it stopped
 * before making a plan (an unknown profile, a refusal): {outcome
 * ("refused" or "failed"), error, exit_code}, so a program reading the
 * output is never left with nothing. */
static int apply_exec(int argc, char **argv)
{
	int rc;

	said[0] = '\0';
	rendered = false;
	rc = apply_run(argc, argv);
	if (!rendered && rc != HR_TX_OK && rc != HR_EXIT_USAGE && strcmp(arg_format, "text")) {
		json_t *t = json_pack("{s:s,s:s,s:i}", "outcome", rc == HR_TX_REFUSED ? "refused" : "failed",
				      "error", said[0] ? said : "see standard error", "exit_code", rc);

		hr_render_report(stdout, arg_format, t, NULL);
		json_decref(t);
	}
	return rc;
}

const struct hr_cmd hr_cmd_apply = {
	.name = "apply",
	.usage = "--profile NAME | --fix | --sysctl-file FILE | --system | --set KEY=VALUE ... [--dry-run] [--confirm S] [--persist] [--netns NAME] [options]",
	.summary = "Plan, vet and apply sysctl settings as one transaction that can be rolled back.",
	.help = "  --profile NAME         the settings of a profile (see 'headroom profile list')\n"
		"  --fix                  per critical/warning finding, its first sysctl fix that resolves it\n"
		"  --sysctl-file FILE     the settings of a sysctl.d FILE (repeatable, in order; '-key' lines\n"
		"                         are skipped when the kernel would refuse them): 'sysctl -p FILE'\n"
		"                         as one vetted transaction\n"
		"  --system               every sysctl.d file in systemd-sysctl's order (under --config-root)\n"
		"  --set KEY=VALUE        one setting (repeatable; overrides the profile, fixes and files)\n"
		"  --allow KEY            accept a dangerous value of KEY (or a what-if rule id)\n"
		"  --strict-managers      refuse a key another manager of the host sets (kube-proxy, TuneD...)\n"
		"  --dry-run              print the plan as a diff, write nothing\n"
		"  --confirm SECONDS      roll back after SECONDS unless 'headroom confirm' arrives\n"
		"  --persist              also write /etc/sysctl.d/90-headroom.conf (atomically)\n"
		"  --persist-file PATH    persist to PATH instead (implies --persist)\n"
		"  --config-root DIR      look for sysctl.d files (--system, --persist) under DIR (default: --root)\n"
		"  --state-dir DIR        journal directory (default /var/lib/headroom)\n"
		"  --root DIR             act on DIR/proc/sys instead of the live kernel (tests)\n"
		"  --netns NAME           apply inside the 'ip netns' namespace NAME; rollback enters it again\n"
		"  --profiles DIR, --rules DIR   where profiles and rules are read\n"
		"  --trust-inputs         as root, use profile/rule/persist files or directories another\n"
		"                         user could have written (refused otherwise: exit 4)\n"
		"  --format FMT           text (default), json or yaml\n"
		"  --detailed-exitcodes   0 nothing to change, 2 changed (dry run: would change)\n"
		"  --force                apply although a transaction awaits confirmation or a\n"
		"                         journal is unreadable\n"
		"Exit: 0 ok, 1 failed and rolled back, 3 failed and rollback incomplete, 4 refused (nothing written).\n",
	.flags = HR_CMD_NEEDS_ROOT | HR_CMD_WRITES,
	.exec = apply_exec,
};
