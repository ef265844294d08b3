/* audit.c: the one audit pipeline: a context made once from the options
 * (rules loaded once, --assume checked), then probe, declared inputs
 * (globals, workload, assumptions) and evaluation, for one namespace or
 * many. The only caller of the rule loaders.
 * Owns: hr_audit_*, except hr_audit_report (audit-report.c). */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit-int.h"
#include "fmt.h"
#include "managers.h"
#include "probe.h"
#include "severity.h"
#include "sysctl.h"
#include "trace.h"
#include "rules.h"
#include "profile.h"
#include "workload.h"

static const char *const status_names[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};

struct hr_audit {
	struct hr_audit_opts o;
	hr_ruleset *rs;
	struct hr_diags d;
	struct hr_audit_files *files; /* --assume-file, --boot (audit-files.c); NULL: none */
	struct hr_managers *mg; /* the host's other managers: found on first use */
	/* Live: the kernel log kept open across runs (watch's refreshes read
	 * only what is new; the namespaces of one run read it once). */
	hr_kmsg_log *klog;
	/* sysctls_referenced: the names the rules read, sorted; NULL: all. */
	const char **sysctls;
	size_t nsysctls;
};

/* Counts whitespace-separated fields of a value and whether all are integers. */
static int count_fields(const char *s, bool *all_int)
{
	int n = 0;

	*all_int = true;
	while (*s) {
		char *end;

		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		strtoll(s, &end, 10);
		if (end == s || (*end && *end != ' ' && *end != '\t')) {
			*all_int = false;
			while (*s && *s != ' ' && *s != '\t')
				s++;
		} else {
			s = end;
		}
		n++;
	}
	return n;
}

/* Splits KEY=VALUE into a normalised key (dots; the /proc/sys spelling
 * accepted) and the value; -EINVAL (err) when it is not a sysctl's. */
static int assume_split(const char *kv, char *key, size_t n, const char **val, struct hr_err *err)
{
	const char *eq = strchr(kv, '=');

	if (!eq || eq == kv || (size_t)(eq - kv) >= n) {
		hr_err_set(err, -EINVAL, "--assume '%s': want KEY=VALUE, e.g. net.ipv4.tcp_tw_reuse=1", kv);
		return -EINVAL;
	}
	memcpy(key, kv, (size_t)(eq - kv));
	key[eq - kv] = '\0';
	for (char *p = key; *p; p++)
		if (*p == '/')
			*p = '.';
	if (strncmp(key, "net.", 4) && strncmp(key, "kernel.", 7) && strncmp(key, "vm.", 3)) {
		hr_err_set(err, -EINVAL, "--assume %s: only sysctls (net.*, kernel.*, vm.*) can be assumed", key);
		return -EINVAL;
	}
	*val = eq + 1;
	return 0;
}

int hr_audit_assume(hr_facts *f, const char *kv, struct hr_err *err)
{
	char key[256];
	struct hr_value v;
	const char *raw;
	char *val;
	int r;

	r = assume_split(kv, key, sizeof(key), &raw, err);
	if (r < 0)
		return r;
	r = hr_facts_get(f, key, -1, &v);
	if (r == -EDOM) /* a vector: look at its first field for presence */
		r = hr_facts_get(f, key, 0, &v);
	/* Absent where the probe looked (this kernel has no such key, e.g.
	 * tcp_tw_recycle since 4.12): refused. Absent because nothing could
	 * be read (a tree without that directory): the what-if supplies it. */
	if (r < 0 || (v.type == HR_V_MISSING && (!v.missing || !strncmp(v.missing, "absent", 6)))) {
		hr_err_set(err, -ENOENT, "--assume %s: no such sysctl in the probed facts%s%s", key,
			   r == 0 && v.missing ? " (" : "", r == 0 && v.missing ? v.missing : "");
		if (r == 0 && v.missing)
			strncat(err->msg, ")", sizeof(err->msg) - strlen(err->msg) - 1);
		return -ENOENT;
	}
	val = hr_ws_normalise(raw);
	if (!val)
		return -ENOMEM;
	r = hr_audit_shape_check(&v, "--assume ", key, val, err);
	if (r == 0)
		r = hr_facts_set_sysctl(f, key, val, "--assume");
	free(val);
	return r;
}

int hr_audit_shape_check(const struct hr_value *v, const char *what, const char *key, const char *val,
			 struct hr_err *err)
{
	bool all_int;
	int n = count_fields(val, &all_int);

	if (v->type == HR_V_NUM && v->nfields >= 1 && (n != v->nfields || !all_int)) {
		hr_err_set(err, -EINVAL, "%s%s=%s: want %d whole number%s like the current '%s'", what, key, val,
			   v->nfields, v->nfields == 1 ? "" : "s", v->str ? v->str : "value");
		return -EINVAL;
	}
	return 0;
}

/* Loads the rules of the options into a's ruleset: the shipped directory
 * (unless no_default_rules), each --rules directory, then the single
 * files; then the cross-checks. Every problem goes to a->d. */
static void load_rules(hr_audit *a)
{
	const struct hr_audit_opts *o = &a->o;
	size_t i;

	for (i = 0; i < o->nrule_files; i++)
		hr_ruleset_exclude(a->rs, o->rule_files[i]);
	for (i = o->no_default_rules ? 1 : 0; i < o->nrule_dirs + 1; i++) {
		const char *dir = i ? o->rule_dirs[i - 1] : hr_default_rules_dir();
		size_t before = a->d.n;
		int r = hr_ruleset_load_dir(a->rs, dir, &a->d);

		/* The engine names most problems itself; never leave one silent. */
		if (r < 0 && r != -EBADMSG && a->d.n == before)
			hr_diags_add(&a->d, dir, 0, 0, false, "cannot read rules directory: %s",
				     hr_strerror_about(r, HR_ABOUT_DIR));
	}
	for (i = 0; i < o->nrule_files; i++)
		hr_ruleset_load_file(a->rs, o->rule_files[i], &a->d);
	hr_ruleset_check(a->rs, &a->d);
}

int hr_audit_new(const struct hr_audit_opts *o, hr_audit **out, struct hr_err *err)
{
	hr_audit *a = calloc(1, sizeof(*a));
	size_t i;

	*out = NULL;
	if (!a || !(a->rs = hr_ruleset_new())) {
		free(a);
		hr_err_set(err, -ENOMEM, "out of memory");
		return -ENOMEM;
	}
	a->o = *o;
	/* Malformed --assume is a usage error before anything is read. */
	for (i = 0; i < o->nassume; i++) {
		char key[256];
		const char *val;
		int r = assume_split(o->assume[i], key, sizeof(key), &val, err);

		if (r < 0) {
			hr_audit_free(a);
			return r;
		}
	}
	if (hr_audit_files_new(o, &a->files, err) < 0) {
		int r = err->code ? err->code : -ENOMEM;

		hr_audit_free(a);
		return r;
	}
	load_rules(a);
	if (!o->root || !*o->root)
		a->klog = hr_kmsg_log_new(); /* NULL: each probe reads the whole log */
	if (o->sysctls_referenced && (!o->root || !*o->root) && !o->nassume && !o->nassume_files && !o->boot) {
		int e;

		a->sysctls = hr_ruleset_sysctl_names(a->rs, &a->nsysctls, &e);
		if (e < 0) {
			hr_audit_free(a);
			hr_err_set(err, e, "out of memory");
			return e;
		}
		a->o.sysctls_referenced = true; /* even when no rule reads one */
	} else {
		a->o.sysctls_referenced = false;
	}
	*out = a;
	return 0;
}

void hr_audit_free(hr_audit *a)
{
	if (!a)
		return;
	hr_ruleset_free(a->rs);
	free(a->sysctls);
	hr_diags_clear(&a->d);
	hr_audit_files_free(a->files);
	if (a->mg)
		hr_managers_clear(a->mg);
	free(a->mg);
	hr_kmsg_log_free(a->klog);
	free(a);
}

const hr_ruleset *hr_audit_ruleset(const hr_audit *a)
{
	return a->rs;
}

const struct hr_diags *hr_audit_diags(const hr_audit *a)
{
	return &a->d;
}

static int cmp_key(const void *k, const void *e)
{
	return strcmp(k, *(const char *const *)e);
}

/* hr_probe_opts.sysctl_wanted: a key the rules read. */
static bool sysctl_referenced(void *ud, const char *key)
{
	const hr_audit *a = ud;

	return a->nsysctls && bsearch(key, a->sysctls, a->nsysctls, sizeof(*a->sysctls), cmp_key);
}

int hr_audit_probe(const hr_audit *a, hr_facts *f, struct hr_err *err)
{
	struct hr_probe_opts po = {.root = a->o.root, .interval_s = a->o.interval_s, .progress = a->o.progress,
				   .progress_ud = a->o.progress_ud, .no_sockets = a->o.no_sockets,
				   .socket_idle = true /* tcp_info: timestamps per destination (port model) */,
				   .log_window_s = a->o.log_window_s, .kmsg_log = a->klog,
				   .sysctl_wanted = a->o.sysctls_referenced ? sysctl_referenced : NULL,
				   .sysctl_wanted_ud = (void *)a};

	return hr_probe_run(f, &po, err);
}

const struct hr_managers *hr_audit_managers(const hr_audit *a)
{
	hr_audit *w = (hr_audit *)a; /* found once, on first use: a cache, not state */
	const char *root = a->o.root && *a->o.root ? a->o.root : "";

	if (!w->mg) {
		w->mg = calloc(1, sizeof(*w->mg));
		size_t ncat;
		const struct hr_mgr_cat *cat = hr_ruleset_managers(a->rs, &ncat);

		if (!w->mg || hr_managers_detect(w->mg, cat, ncat, root, *root ? 0 : sysconf(_SC_NPROCESSORS_ONLN)) < 0) {
			if (w->mg)
				hr_managers_clear(w->mg);
			free(w->mg);
			w->mg = NULL;
		}
	}
	return w->mg;
}

/* The managers as facts: managers.count, managers.list (one sentence per
 * manager: what it sets) and managers.owner.KEY for each key one sets. */
static int managers_facts(const hr_audit *a, hr_facts *f)
{
	const struct hr_managers *ms = hr_audit_managers(a);
	const char *src = "/proc/PID/comm, the managers' configuration (headroom-audit(8) OTHER MANAGERS)";
	char *list = NULL;
	size_t i, j, len = 0;
	FILE *b;
	int r = 0;

	if (!ms)
		return hr_facts_set_missing(f, "managers.count", "out of memory");
	if (!ms->read)
		return hr_facts_set_missing(f, "managers.count", ms->why_not ? ms->why_not : "not read");
	b = open_memstream(&list, &len);
	if (!b)
		return -ENOMEM;
	for (i = 0; i < ms->n; i++) {
		const struct hr_manager *m = &ms->m[i];

		if (m->boot) { /* a file per key: "systemd-sysctl (FILE:LINE) sets KEY = V at boot" */
			for (j = 0; j < m->nkeys && r == 0; j++) {
				char *d = hr_managers_describe(m, &m->keys[j]);

				r = d ? 0 : -ENOMEM;
				fprintf(b, "%s%s", i || j ? "; " : "", d ? d : "");
				free(d);
			}
		} else {
			fprintf(b, "%s%s (%s) sets ", i ? "; " : "", m->name, m->evidence);
			for (j = 0; j < m->nkeys; j++) /* the values: JSON managers, explain */
				fprintf(b, "%s%s", j ? ", " : "", m->keys[j].key);
		}
		if (!m->nkeys && !m->boot)
			fputs("no key headroom could read", b);
		for (j = 0; j < m->nkeys && r == 0; j++) {
			char name[512], *d = hr_managers_describe(m, &m->keys[j]);

			snprintf(name, sizeof(name), "managers.owner.%s", m->keys[j].key);
			r = d ? (hr_managers_owner(ms, m->keys[j].key, NULL) == m ? hr_facts_set_str(f, name, d, src) : 0)
			      : -ENOMEM;
			free(d);
		}
	}
	if (ms->notes)
		fprintf(b, "%s(%s)", ms->n ? " " : "", ms->notes);
	if (fclose(b) != 0)
		r = -ENOMEM;
	if (r == 0)
		r = hr_facts_set_num(f, "managers.count", (double)ms->n, src);
	if (r == 0)
		r = ms->netns > 0 ? hr_facts_set_num(f, "host.netns_count", (double)ms->netns,
						     "/proc/PID/ns/net: the distinct network namespaces of the processes")
				  : hr_facts_set_missing(f, "host.netns_count", "no /proc/PID/ns/net readable");
	if (r == 0)
		r = hr_facts_set_str(f, "managers.list", list ? list : "", src);
	free(list);
	return r;
}

/* --profile NAME: the audit as if the profile were applied (its exact
 * values assumed, each into assumed; a bound ">=N" / "<=N" is left out:
 * what it does depends on today's value) and its declared path given to
 * every destination and listening port without a path of its own. */
static int audit_profile(hr_facts *f, const struct hr_audit_opts *o, json_t *assumed, struct hr_err *err)
{
	struct hr_profile *p;
	char kv[HR_KEY_MAX + 512], src[700];
	size_t i;
	int r = hr_profile_resolve(o->profiles_dir ? o->profiles_dir : hr_default_profiles_dir(), o->profile, &p,
				   err);

	for (i = 0; r == 0 && i < p->nsettings; i++) {
		const struct hr_desired *d = &p->settings[i];

		if (d->op != HR_OP_SET)
			continue;
		snprintf(kv, sizeof(kv), "%s=%s", d->key, d->value);
		r = hr_audit_assume(f, kv, err);
		if (r == 0 && assumed)
			json_object_set_new(assumed, d->key, json_string(d->value));
	}
	if (r == 0 && p->path_rate > 0) {
		snprintf(src, sizeof(src), "profile %s (%s)", p->name, p->path_where ? p->path_where : "?");
		r = hr_facts_declare_default_path(f, p->path_rtt_s, p->path_rate, src);
	}
	if (r < 0 && !err->msg[0])
		hr_err_set(err, r, "profile %s: %s", o->profile, hr_strerror(r));
	hr_profile_free(p);
	return r;
}

/* The declared inputs before the files: the initial namespace's keys
 * (globals, or NULL), the workload, --profile and --assume (each into assumed, an
 * object, unless NULL). */
static int declare_base(const hr_audit *a, hr_facts *f, const hr_facts *globals, json_t *assumed,
			struct hr_err *err)
{
	const struct hr_audit_opts *o = &a->o;
	size_t i;
	int r;

	if (globals)
		hr_netns_copy_globals(f, globals);
	r = managers_facts(a, f);
	if (r < 0) {
		hr_err_set(err, r, "the other managers: %s", hr_strerror(r));
		return r;
	}
	if (o->declare_fn) {
		r = o->declare_fn(o->declare_ud, f);
		if (r < 0) {
			hr_err_set(err, r, "declared facts: %s", hr_strerror(r));
			return r;
		}
	}
	if (o->workload) {
		r = hr_workload_load(f, o->workload, err);
		if (r < 0)
			return r;
	}
	if (o->profile && (r = audit_profile(f, o, assumed, err)) < 0)
		return r;
	for (i = 0; i < o->nassume; i++) {
		const char *eq = strchr(o->assume[i], '=');
		char key[256];

		r = hr_audit_assume(f, o->assume[i], err);
		if (r < 0)
			return r;
		snprintf(key, sizeof(key), "%.*s", (int)(eq - o->assume[i]), o->assume[i]);
		if (assumed)
			json_object_set_new(assumed, key, json_string(eq + 1));
	}
	return 0;
}

/* The sysctl.d files over f (boot view, --assume-file), then --assume
 * again: the command line wins. *parts as hr_audit_files_apply. */
static int declare_files(const hr_audit *a, hr_facts *f, const hr_facts *globals, json_t **parts,
			 struct hr_err *err)
{
	bool child = globals != NULL;
	uint64_t ino;
	size_t i;
	int r;

	if ((!a->o.root || !*a->o.root) && !child && hr_netns_self(&ino, &child) < 0)
		child = false;
	r = hr_audit_files_apply(a->files, a->o.root, child, f, parts);
	if (r < 0) {
		hr_err_set(err, r, "out of memory");
		return r;
	}
	for (i = 0; i < a->o.nassume && r == 0; i++)
		r = hr_audit_assume(f, a->o.assume[i], err);
	return r;
}

int hr_audit_declare(const hr_audit *a, hr_facts *f, json_t *assumed, struct hr_err *err)
{
	json_t *parts = NULL;
	int r = declare_base(a, f, a->o.globals, assumed, err);

	if (r == 0 && a->files)
		r = declare_files(a, f, a->o.globals, &parts, err);
	json_decref(parts);
	return r;
}

int hr_audit_facts(const hr_audit *a, hr_facts *f, json_t **report, struct hr_err *err)
{
	/* The moment the report is made: a live audit's predictions count from
	 * it (clock.h); the probe's own end is earlier by the declared inputs. */
	hr_facts_set_report(f, hr_stamp_now());
	/* With --assume-file or --boot every finding is compared with the
	 * baseline's (hr_audit_files_report, each as it is made): with hold,
	 * also for text, those beyond the held made again one at a time. */
	return hr_audit_report(a->rs, &a->d, f, a->o.hold_findings, a->o.lazy_findings || a->files, report, err);
}

json_t *hr_audit_evaluate(const hr_audit *a, const hr_facts *f, const struct hr_setting *what_if,
			  size_t nwhat_if)
{
	return hr_ruleset_evaluate_with(a->rs, f, what_if, nwhat_if);
}

json_t *hr_audit_explain(const hr_audit *a, const char *rule_id, const hr_facts *f, const char *subject,
			 struct hr_err *err)
{
	return hr_ruleset_explain_subject(a->rs, rule_id, f, subject, err);
}

/* Adds assumed, workload and facts to a report made by hr_audit_report. */
static void finish_report(const hr_audit *a, json_t *report, json_t *assumed, const hr_facts *f)
{
	const struct hr_audit_opts *o = &a->o;
	const struct hr_managers *ms = hr_audit_managers(a);
	json_t *s = json_object_get(report, "summary");

	if (ms && ms->read)
		json_object_set_new(report, "managers", hr_managers_json(ms));
	json_object_set(s, "assumed", assumed);
	json_object_set_new(s, "workload", o->workload ? json_string(o->workload) : json_null());
	json_object_set_new(report, "facts", o->text_facts ? hr_facts_text_json(f) : hr_facts_to_json(f));
}

/* Declares the inputs over probed facts and evaluates them into a
 * finished report (*report, owned): with files, the findings before them
 * are the baseline their new critical findings are told against. globals:
 * the initial namespace's keys for a child, or NULL. 0 or -errno (err). */
static int evaluate(const hr_audit *a, hr_facts *f, const hr_facts *globals, json_t **report, struct hr_err *err)
{
	json_t *assumed = json_object(), *baseline = NULL, *parts = NULL;
	int r = declare_base(a, f, globals, assumed, err);

	*report = NULL;
	if (r == 0 && a->files) {
		/* Its critical findings only: no evaluation held whole. */
		baseline = hr_audit_files_criticals(a->rs, f);
		r = declare_files(a, f, globals, &parts, err);
	}
	if (r == 0) {
		/* No rules at all is reported in the summary (UNKNOWN), not as a failure. */
		hr_audit_facts(a, f, report, NULL);
		if (!*report) {
			r = -ENOMEM;
		} else {
			if (parts)
				hr_audit_files_report(a->rs, f, baseline, *report, parts);
			finish_report(a, *report, assumed, f);
		}
	}
	json_decref(parts);
	json_decref(baseline);
	json_decref(assumed);
	return r;
}

/* --trace: the eBPF evidence of this namespace for trace_s, before the
 * probe, so that the sockets the probe dumps are those the trace ended
 * with; the evidence with traced: true, or {traced: false, why} (owned). */
static json_t *audit_trace(const hr_audit *a)
{
	struct hr_trace_opts to = {.seconds = a->o.trace_s, .netns = hr_trace_netns_self(),
				   .progress = a->o.trace_progress};
	struct hr_err terr = {0};
	json_t *ev = NULL;
	int r = hr_trace_run(&to, &ev, &terr);

	if (r < 0)
		return json_pack("{s:b, s:s}", "traced", 0, "why", terr.msg[0] ? terr.msg : hr_strerror(r));
	json_object_set_new(ev, "traced", json_true());
	return ev;
}

int hr_audit_run(const hr_audit *a, json_t **report, struct hr_err *err)
{
	hr_facts *f = hr_facts_new();
	json_t *trace = NULL;
	int r;

	*report = NULL;
	if (!f)
		return -ENOMEM;
	if (a->o.trace_s > 0)
		trace = audit_trace(a);
	r = hr_audit_probe(a, f, err);
	/* After the probe: the trace's destinations join the sockets'. */
	if (r == 0 && trace)
		hr_trace_facts(json_is_true(json_object_get(trace, "traced")) ? trace : NULL,
			       json_string_value(json_object_get(trace, "why")), f);
	if (r == 0)
		r = evaluate(a, f, a->o.globals, report, err);
	if (r == 0 && *report && trace)
		json_object_set(*report, "trace", trace);
	json_decref(trace);
	hr_facts_free(f);
	return r;
}

int hr_audit_status_rank(int code)
{
	switch (code) {
	case HR_AUDIT_CRITICAL: return 0;
	case HR_AUDIT_UNKNOWN: return 1;
	case HR_AUDIT_WARNING: return 2;
	case HR_AUDIT_OK: return 3;
	default: return 1;
	}
}

/* A namespace section for a namespace that could not be audited. */
static json_t *failed_section(json_t *identity, const char *what, const char *msg)
{
	char *verdict = NULL;
	json_t *s;

	if (asprintf(&verdict, "UNKNOWN: %s: %s", what, msg) < 0)
		verdict = NULL;
	s = json_pack("{s:o, s:[], s:{s:s, s:s, s:i, s:s}}", "netns", identity, "findings", "summary", "verdict",
		      verdict ? verdict : "UNKNOWN", "status", "UNKNOWN", "exit_code", HR_AUDIT_UNKNOWN, "error",
		      msg);
	free(verdict);
	return s;
}

/* One section with its rank, for a stable sort worst first. */
struct section {
	json_t *s;
	int rank;
	size_t index;
};

/* One namespace's section (owned) from its probed facts: declared load,
 * assumptions and the already loaded rules. */
static json_t *ns_section(const hr_audit *a, const hr_facts *globals, const struct hr_netns *ns,
			  struct hr_netns_probe *st)
{
	json_t *identity = hr_netns_identity(ns), *rep = NULL, *sec;
	struct hr_err e = {0};
	int r;

	if (st->error[0])
		return failed_section(identity, st->entered ? "probe failed" : "cannot enter the namespace", st->error);
	r = evaluate(a, st->f, globals, &rep, &e);
	if (r < 0)
		return failed_section(identity, "audit failed", e.msg[0] ? e.msg : hr_strerror(r));
	/* Identity first: it is what a reader of the section looks for. */
	sec = json_pack("{s:o}", "netns", identity);
	json_object_update(sec, rep);
	json_decref(rep);
	return sec;
}

static int cmp_section(const void *a, const void *b)
{
	const struct section *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank - y->rank;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* The host summary over the sorted sections. */
static json_t *host_summary(const struct section *v, size_t n)
{
	size_t cnt[4] = {0}, i;
	int worst = HR_AUDIT_OK;
	char head[2048] = "", *verdict = NULL;
	json_t *out;

	for (i = 0; i < n; i++) {
		int code = hr_audit_exit_code(v[i].s);

		cnt[code >= 0 && code <= 3 ? code : HR_AUDIT_UNKNOWN]++;
	}
	if (n)
		worst = hr_audit_exit_code(v[0].s);
	if (!n) {
		snprintf(head, sizeof(head), "no network namespaces audited");
		worst = HR_AUDIT_UNKNOWN;
	} else if (worst == HR_AUDIT_OK) {
		snprintf(head, sizeof(head), "no problems found in %zu network namespace%s", n, n == 1 ? "" : "s");
	} else {
		const json_t *id = json_object_get(v[0].s, "netns");
		const json_t *names = json_object_get(id, "names");
		const json_t *p0 = json_array_get(json_object_get(id, "pids"), 0);
		char who[256];

		if (json_array_size(names))
			snprintf(who, sizeof(who), "%s", json_string_value(json_array_get(names, 0)));
		else if (json_is_true(json_object_get(id, "initial")))
			snprintf(who, sizeof(who), "the initial namespace");
		else if (p0)
			snprintf(who, sizeof(who), "the namespace of pid %lld (%s)",
				 (long long)json_integer_value(json_object_get(p0, "pid")),
				 json_string_value(json_object_get(p0, "comm")));
		else
			snprintf(who, sizeof(who), "namespace inode %lld",
				 (long long)json_integer_value(json_object_get(id, "inode")));
		snprintf(head, sizeof(head), "%zu critical, %zu unknown, %zu warning, %zu ok of %zu network namespace%s; worst: %s: %s",
			 cnt[HR_AUDIT_CRITICAL], cnt[HR_AUDIT_UNKNOWN], cnt[HR_AUDIT_WARNING], cnt[HR_AUDIT_OK], n,
			 n == 1 ? "" : "s", who,
			 json_string_value(json_object_get(json_object_get(v[0].s, "summary"), "verdict")));
	}
	if (asprintf(&verdict, "%s: %s", status_names[worst], head) < 0)
		verdict = NULL;
	out = json_pack("{s:s, s:s, s:i, s:I, s:{s:I, s:I, s:I, s:I}}", "verdict", verdict ? verdict : head,
			"status", status_names[worst], "exit_code", worst, "namespaces", (json_int_t)n, "counts",
			"critical", (json_int_t)cnt[HR_AUDIT_CRITICAL], "warning", (json_int_t)cnt[HR_AUDIT_WARNING],
			"unknown", (json_int_t)cnt[HR_AUDIT_UNKNOWN], "ok", (json_int_t)cnt[HR_AUDIT_OK]);
	free(verdict);
	return out;
}

int hr_audit_run_netns(const hr_audit *a, const struct hr_netns_list *l, json_t **report, struct hr_err *err)
{
	struct hr_probe_opts po = {.interval_s = a->o.interval_s, .progress = a->o.progress,
				   .progress_ud = a->o.progress_ud, .socket_idle = true,
				   .log_window_s = a->o.log_window_s, .kmsg_log = a->klog};
	struct hr_netns_probe *st = calloc(l->n ? l->n : 1, sizeof(*st));
	struct section *v = calloc(l->n ? l->n : 1, sizeof(*v));
	hr_facts *globals = NULL;
	json_t *arr;
	size_t i;
	int r;

	*report = NULL;
	if (!v || !st) {
		r = -ENOMEM;
		hr_err_set(err, r, "out of memory");
		goto out;
	}
	r = hr_netns_globals(l, &globals, err);
	if (r == 0)
		r = hr_netns_probe_all(l, &po, st, err);
	if (r < 0)
		goto out;
	for (i = 0; i < l->n; i++) {
		v[i].s = ns_section(a, l->v[i].initial ? NULL : globals, &l->v[i], &st[i]);
		v[i].rank = hr_audit_status_rank(hr_audit_exit_code(v[i].s));
		v[i].index = i;
	}
	qsort(v, l->n, sizeof(*v), cmp_section);
	arr = json_array();
	for (i = 0; i < l->n; i++)
		json_array_append_new(arr, v[i].s);
	*report = json_object();
	json_object_set_new(*report, "host", host_summary(v, l->n));
	json_object_set_new(*report, "namespaces", arr);
out:
	hr_netns_probe_clear(st, l->n);
	free(st);
	hr_facts_free(globals);
	free(v);
	return r;
}

int hr_audit_exit_code(const json_t *report)
{
	json_t *c = json_object_get(json_object_get(report, "summary"), "exit_code");

	return json_is_integer(c) ? (int)json_integer_value(c) : HR_AUDIT_UNKNOWN;
}
