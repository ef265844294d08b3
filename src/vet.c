/* vet.c: plan (desired vs current) and every check before a write. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "fault.h"
#include "netns.h"
#include "probe.h"
#include "rules.h"
#include "sysctl.h"
#include "severity.h"
#include "managers.h"
#include "profile.h"
#include "vet.h"

/* Appends a refusal (formatted reason). */
static void refuse(struct hr_plan *p, const char *key, bool allowable, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void refuse(struct hr_plan *p, const char *key, bool allowable, const char *fmt, ...)
{
	struct hr_refusal *nv = realloc(p->refusals, (p->nrefusals + 1) * sizeof(*nv));
	va_list ap;
	char *msg = NULL;

	if (!nv)
		return;
	p->refusals = nv;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	nv[p->nrefusals].key = strdup(key);
	nv[p->nrefusals].reason = msg;
	nv[p->nrefusals].allowable = allowable;
	nv[p->nrefusals].where = NULL;
	p->nrefusals++;
}

/* Appends a note. */
static void note(struct hr_plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct hr_plan *p, const char *fmt, ...)
{
	char **nv = realloc(p->notes, (p->nnotes + 1) * sizeof(*nv));
	va_list ap;

	if (!nv)
		return;
	p->notes = nv;
	va_start(ap, fmt);
	if (vasprintf(&nv[p->nnotes], fmt, ap) >= 0)
		p->nnotes++;
	va_end(ap);
}

/* True when --allow named this key (or rule id). */
static bool allowed(const struct hr_vet_opts *o, const char *key)
{
	size_t i;

	for (i = 0; i < o->nallow; i++)
		if (!strcmp(o->allow[i], key))
			return true;
	return false;
}

/* Test-only hook (src/fault.h; always false outside tests/headroom-fi):
 * HEADROOM_TEST_SKIP_RANGE=KEY lets a value outside the range table
 * through, so tests can make the kernel reject a write. */
static bool test_skip_range(const char *key)
{
	const char *e = HR_FAULT_ENV("HEADROOM_TEST_SKIP_RANGE");

	return e && !strcmp(e, key);
}

/* Socket use from the probed facts (the probe's streaming aggregation, not
 * a second parser): the most local ports any one destination uses now (the
 * connect() limit is per destination), and listening ports inside [nlo, nhi]
 * but outside [lo, hi] and not reserved (first few into ports).
 * Returns 0, or -ENODATA when the sockets were not read. */
static int socket_use(const hr_facts *f, int64_t lo, int64_t hi, int64_t nlo, int64_t nhi,
		      uint64_t *max_dest, const char **dest, unsigned *ports, int *nports)
{
	size_t i, n;
	struct hr_value v;

	*max_dest = 0;
	*dest = NULL;
	*nports = 0;
	if (!f || !hr_facts_have_sockets(f))
		return -ENODATA;
	n = hr_facts_count(f, HR_COLL_DESTINATIONS);
	for (i = 0; i < n; i++)
		if (hr_facts_item_get(f, HR_COLL_DESTINATIONS, i, "dest.in_use", &v) == 0 &&
		    v.type == HR_V_NUM && v.num > (double)*max_dest) {
			*max_dest = (uint64_t)v.num;
			*dest = hr_facts_item_subject(f, HR_COLL_DESTINATIONS, i);
		}
	n = hr_facts_count(f, HR_COLL_LISTENING_PORTS);
	for (i = 0; i < n && *nports < 8; i++) {
		unsigned port;

		if (hr_facts_item_get(f, HR_COLL_LISTENING_PORTS, i, "port.number", &v) < 0 ||
		    v.type != HR_V_NUM)
			continue;
		port = (unsigned)v.num;
		if (port < nlo || port > nhi || (port >= lo && port <= hi))
			continue;
		if (hr_facts_item_get(f, HR_COLL_LISTENING_PORTS, i, "port.reserved", &v) == 0 &&
		    v.type == HR_V_BOOL && v.num)
			continue;
		ports[(*nports)++] = port;
	}
	return 0;
}

/* Values that are valid but dangerous: refused unless --allow KEY. */
static void vet_dangerous(struct hr_plan *p, const struct hr_vet_opts *o, const hr_facts *facts,
			  const char *key, const char *old, const char *val)
{
	int64_t v = 0, f[2], of[2];
	struct hr_value tw;
	bool num = hr_parse_i64(val, &v) == 0;
	bool al = allowed(o, key);
	const char *hint = " (--allow %s to accept)";
	char why[512] = "";

	if (!strcmp(key, "net.ipv4.tcp_timestamps") && num && v == 0)
		snprintf(why, sizeof(why), "tcp_timestamps=0 disables PAWS, RTT measurement and the TIME_WAIT port reuse of tcp_tw_reuse");
	else if (!strcmp(key, "net.ipv4.tcp_syncookies") && num && v == 0)
		snprintf(why, sizeof(why), "tcp_syncookies=0 drops SYNs when the SYN queue is full (no SYN-flood defence)");
	else if (!strcmp(key, "net.ipv4.tcp_abort_on_overflow") && num && v == 1)
		snprintf(why, sizeof(why), "tcp_abort_on_overflow=1 answers RST when the accept queue is full: bursty servers reset clients");
	else if (!strcmp(key, "net.ipv4.tcp_retries2") && num && v < 8)
		snprintf(why, sizeof(why),
			 "tcp_retries2=%lld gives up before the 100 s RFC 1122 asks for (8 gives 102.2 s)",
			 (long long)v);
	else if (!strcmp(key, "net.ipv4.tcp_max_tw_buckets") && num) {
		if (facts && hr_facts_get(facts, "sockets.TIME_WAIT", -1, &tw) == 0 &&
		    tw.type == HR_V_NUM && (double)v < tw.num)
			snprintf(why, sizeof(why),
				 "tcp_max_tw_buckets=%lld is below the %.0f TIME_WAIT sockets now: new closes would skip TIME_WAIT",
				 (long long)v, tw.num);
	} else if (!strcmp(key, "net.ipv4.ip_local_port_range") && hr_sysctl_int_fields(val, f, 2) == 2 &&
		   old && hr_sysctl_int_fields(old, of, 2) == 2) {
		uint64_t inuse;
		const char *dest;
		unsigned ports[8];
		int np, i;

		if (socket_use(facts, of[0], of[1], f[0], f[1], &inuse, &dest, ports, &np) < 0) {
			note(p, "%s: sockets not read: port use and listener overlap not checked", key);
		} else if ((uint64_t)(f[1] - f[0] + 1) < inuse) {
			snprintf(why, sizeof(why),
				 "new range has %lld ports, fewer than the %llu local ports already in use toward %s",
				 (long long)(f[1] - f[0] + 1), (unsigned long long)inuse, dest);
		} else if (np > 0) {
			int len = snprintf(why, sizeof(why), "new range covers listening port%s", np > 1 ? "s" : "");
			for (i = 0; i < np && len < (int)sizeof(why) - 8; i++)
				len += snprintf(why + len, sizeof(why) - (size_t)len, " %u", ports[i]);
			snprintf(why + len, sizeof(why) - (size_t)len,
				 ": connect() would take them (reserve them in ip_local_reserved_ports)");
		}
	}
	if (!why[0])
		return;
	if (al) {
		note(p, "%s: allowed by --allow: %s", key, why);
		return;
	}
	{
		char full[700];

		snprintf(full, sizeof(full), "%s", why);
		snprintf(full + strlen(full), sizeof(full) - strlen(full), hint, key);
		refuse(p, key, true, "%s", full);
	}
}

/* Decides the new value of a GE/LE setting: NULL when current is already right. */
static int bound_value(const struct hr_desired *s, const char *cur, char **out, struct hr_err *err)
{
	int64_t bound, c;

	*out = NULL;
	if (hr_parse_i64(s->value, &bound) < 0)
		return -EINVAL;
	if (hr_parse_i64(cur, &c) < 0) {
		hr_err_set(err, -EINVAL, "'%s' needs a single integer key, current value is '%s'",
			   hr_desired_value_text(s), cur);
		return -EINVAL;
	}
	if ((s->op == HR_OP_GE && c >= bound) || (s->op == HR_OP_LE && c <= bound))
		return 0;
	*out = strdup(s->value);
	return *out ? 0 : -ENOMEM;
}

/* A refusal the kernel would make too (no such key, read-only, a value
 * out of range): for a sysctl.d line with '-' (s->optional) a note that
 * the key is skipped, as systemd-sysctl skips it, else a refusal. */
static void kernel_refuse(struct hr_plan *p, const struct hr_desired *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void kernel_refuse(struct hr_plan *p, const struct hr_desired *s, const char *fmt, ...)
{
	char *why = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&why, fmt, ap) < 0)
		why = NULL;
	va_end(ap);
	if (s->optional)
		note(p, "%s%s-%s: skipped ('-': a failure to set it is ignored, as systemd-sysctl does): %s",
		     s->where ? s->where : "", s->where ? ": " : "", s->key, why ? why : "out of memory");
	else
		refuse(p, s->key, false, "%s", why ? why : "out of memory");
	free(why);
}

/* Vets one setting into the plan. */
static void vet_one(struct hr_plan *p, const struct hr_desired *s, const struct hr_vet_opts *o,
		    const hr_facts *facts)
{
	struct hr_err e = {0};
	enum hr_key_kind kind;
	char *cur = NULL, *val = NULL;
	const char *blocked = NULL;
	bool policy = false; /* blocked by headroom, not by the kernel */
	struct hr_plan_item *it;
	bool global = hr_sysctl_is_global(s->key);
	int r;

	if (!strcmp(s->key, "net.ipv4.tcp_tw_recycle")) {
		refuse(p, s->key, false,
		       "never set: removed in 4.12; while on it dropped SYNs from clients behind one NAT");
		return;
	}
	if (hr_sysctl_value_check(s->key, s->value, &e) < 0) {
		kernel_refuse(p, s, "%s", e.msg);
		return;
	}
	r = hr_sysctl_stat(o->root, s->key, &kind);
	if (r == -ENOENT && p->child_netns && global) {
		kernel_refuse(p, s, "global key: absent in a child network namespace (set it from the initial namespace)");
		return;
	}
	if (r < 0) {
		kernel_refuse(p, s, "%s", r == -EINVAL ? "not a key (resolves outside the sysctl tree or not a file)"
						     : hr_strerror_about(r, HR_ABOUT_KEY));
		return;
	}
	/* A key we may not write is refused only when the plan would write it:
	 * a global key already at the wanted value is simply right. */
	if (kind == HR_KEY_READONLY)
		blocked = p->child_netns && global
				  ? "global key: read-only in a child network namespace (set it from the initial namespace)"
				  : "read-only key";
	else if ((policy = p->child_netns && global && strncmp(s->key, "net.", 4)))
		blocked = "global key: not per network namespace, writing it from this child netns would change the whole host";
	else if ((!o->root || !*o->root) && hr_sysctl_access(o->root, s->key) == -EACCES)
		blocked = "permission denied on key (run as root, or with CAP_NET_ADMIN over this namespace)";
	r = hr_sysctl_read(o->root, s->key, &cur);
	if (r < 0) {
		kernel_refuse(p, s, "%s%scannot read current value: %s", blocked ? blocked : "", blocked ? "; " : "",
			      hr_strerror_about(r, HR_ABOUT_KEY));
		return;
	}
	{
		/* The kernel prints vectors with tabs; plans and journals use spaces. */
		char *norm = hr_ws_normalise(cur);

		free(cur);
		cur = norm;
		if (!cur)
			return;
	}
	if (s->op == HR_OP_SET) {
		if (!hr_sysctl_equal(cur, s->value))
			val = hr_ws_normalise(s->value);
	} else if (bound_value(s, cur, &val, &e) < 0) {
		refuse(p, s->key, false, "%s", e.msg[0] ? e.msg : "bad bound");
		free(cur);
		return;
	}
	if (val && blocked) {
		if (policy)
			refuse(p, s->key, false, "%s", blocked);
		else
			kernel_refuse(p, s, "%s", blocked);
		free(cur);
		free(val);
		return;
	}
	if (val && !test_skip_range(s->key) && hr_sysctl_range(o->root, s->key, val, &e) < 0) {
		kernel_refuse(p, s, "%s", e.msg);
		free(cur);
		free(val);
		return;
	}
	if (val)
		vet_dangerous(p, o, facts, s->key, cur, val);
	it = realloc(p->items, (p->n + 1) * sizeof(*it));
	if (!it) {
		free(cur);
		free(val);
		return;
	}
	p->items = it;
	it += p->n++;
	memset(it, 0, sizeof(*it));
	it->key = strdup(s->key);
	it->old = cur;
	it->change = val != NULL;
	it->new = val ? val : strdup(cur);
	it->why = strdup(s->why ? s->why : "");
	it->from = strdup(s->from ? s->from : "");
}

/* The findings at severity min or above, keyed "rule\tsubject". */
static json_t *at_least(json_t *report, enum hr_sev min)
{
	json_t *set = json_object(), *f;
	size_t i;

	json_array_foreach(json_object_get(report, "findings"), i, f) {
		int sev = hr_sev_parse(json_string_value(json_object_get(f, "severity")));
		const char *subj = json_string_value(json_object_get(f, "subject"));
		char k[512];

		if (sev < (int)min)
			continue;
		snprintf(k, sizeof(k), "%s\t%s", json_string_value(json_object_get(f, "rule")),
			 subj ? subj : "");
		json_object_set(set, k, f);
	}
	return set;
}

/* The findings of b at severity min or above that a has not at min or above. */
static json_t *created(json_t *a, json_t *b, enum hr_sev min)
{
	json_t *sa = at_least(a, min), *sb = at_least(b, min), *out = json_array(), *x;
	const char *k;

	json_object_foreach(sb, k, x) {
		if (!json_object_get(sa, k))
			json_array_append(out, x);
	}
	json_decref(sa);
	json_decref(sb);
	return out;
}

/* The audit context of the options: the caller's, or a new one (*own). */
static const hr_audit *vet_audit_ctx(const struct hr_vet_opts *o, hr_audit **own, const char **why)
{
	struct hr_audit_opts ao = {.root = o->root, .interval_s = -1,
				   .rule_dirs = o->rules_dirs, .nrule_dirs = o->nrules_dirs};

	*own = NULL;
	if (o->audit)
		return o->audit;
	if (hr_audit_new(&ao, own, NULL) < 0) {
		*why = "what-if audit unavailable: out of memory";
		return NULL;
	}
	return *own;
}

json_t *hr_vet_audit(const struct hr_vet_opts *o, const char **why)
{
	static struct hr_err e;
	hr_audit *own;
	const hr_audit *a;
	json_t *rep = NULL;

	*why = NULL;
	hr_err_clear(&e);
	a = vet_audit_ctx(o, &own, why);
	if (!a)
		return NULL;
	if (hr_audit_run(a, &rep, &e) < 0) {
		*why = e.msg[0] ? e.msg : "audit failed";
		json_decref(rep);
		rep = NULL;
	}
	hr_audit_free(own);
	return rep;
}

void hr_desired_free_all(struct hr_desired *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		hr_desired_clear(&s[i]);
	free(s);
}

/* The fix to take for a finding: the first sysctl fix whose severity_after
 * is ok or info; when none gets there, the first that at least lowers the
 * severity (*partial set): a rule can keep a finding at warning for history
 * no setting can undo, such as a counter that already grew. NULL if none. */
static json_t *pick_fix(json_t *finding, bool *partial)
{
	int sev = hr_sev_rank(json_string_value(json_object_get(finding, "severity")));
	json_t *fix, *better = NULL;
	size_t k;

	*partial = false;
	json_array_foreach(json_object_get(finding, "fixes"), k, fix) {
		const char *kind = json_string_value(json_object_get(fix, "kind"));
		int after = hr_sev_rank(json_string_value(json_object_get(fix, "severity_after")));

		if (!kind || strcmp(kind, "sysctl") || !json_object_size(json_object_get(fix, "settings")))
			continue;
		if (after == hr_sev_rank("info") || after == hr_sev_rank("ok"))
			return fix;
		if (!better && after < HR_SEV_RANK_NONE && after > sev)
			better = fix;
	}
	*partial = better != NULL;
	return better;
}

/* Adds the settings of one fix (keys already taken by an earlier, more
 * severe finding are kept). 0 or -ENOMEM. */
static int add_fix(json_t *finding, json_t *fix, bool partial, struct hr_desired **out, size_t *n)
{
	const char *rule = json_string_value(json_object_get(finding, "rule"));
	const char *subj = json_string_value(json_object_get(finding, "subject"));
	const char *text = json_string_value(json_object_get(fix, "text"));
	const char *key;
	json_t *val;

	json_object_foreach(json_object_get(fix, "settings"), key, val) {
		char norm[HR_KEY_MAX], from[512], num[64], *why = NULL;
		const char *v = json_string_value(val);
		struct hr_desired s = {0}, *nv;
		size_t j;

		if (!v && json_is_number(val)) {
			snprintf(num, sizeof(num), "%.0f", json_number_value(val));
			v = num;
		}
		if (!v || hr_sysctl_normalise(key, norm, sizeof(norm), NULL) < 0)
			continue;
		for (j = 0; j < *n && strcmp((*out)[j].key, norm); j++)
			;
		if (j < *n)
			continue;
		snprintf(from, sizeof(from), "fix %s%s%s%s", rule ? rule : "?", subj ? " (" : "",
			 subj ? subj : "", subj ? ")" : "");
		if (asprintf(&why, "%s%s%s%s", text ? text : "fix of a finding",
			     partial ? " [leaves the finding at " : "",
			     partial ? json_string_value(json_object_get(fix, "severity_after")) : "",
			     partial ? "]" : "") < 0)
			why = NULL;
		s.key = strdup(norm);
		s.op = HR_OP_SET;
		s.value = hr_ws_normalise(v);
		s.why = why;
		s.from = strdup(from);
		nv = realloc(*out, (*n + 1) * sizeof(*nv));
		if (!nv || !s.key || !s.value || !s.why || !s.from) {
			hr_desired_clear(&s);
			return -ENOMEM;
		}
		*out = nv;
		nv[(*n)++] = s;
	}
	return 0;
}

int hr_vet_fixes(const json_t *report, struct hr_desired **out, size_t *n)
{
	json_t *f, *fix;
	size_t i;
	int pass, r;

	*out = NULL;
	*n = 0;
	/* Critical findings first: a key two fixes set keeps the more severe one's value. */
	for (pass = 0; pass < 2; pass++) {
		json_array_foreach(json_object_get(report, "findings"), i, f) {
			bool partial;

			if (hr_sev_rank(json_string_value(json_object_get(f, "severity"))) != pass)
				continue;
			fix = pick_fix(f, &partial);
			if (fix && (r = add_fix(f, fix, partial, out, n)) < 0)
				return r;
		}
	}
	return 0;
}

/* Probes the facts vetting reads (sysctls, counters, sockets; one pass,
 * single counter sample). A partial probe is fine: planned keys' current
 * values are set explicitly where it matters. NULL on ENOMEM. */
static hr_facts *vet_probe(const struct hr_vet_opts *o)
{
	struct hr_probe_opts po = {.root = o->root, .interval_s = 0, .no_sockets = false};
	struct hr_err e = {0};
	hr_facts *f = hr_facts_new();

	if (f)
		hr_probe_run(f, &po, &e);
	return f;
}

json_t *hr_vet_whatif(const struct hr_plan *p, const struct hr_vet_opts *o, hr_facts *f,
		      const char **why, json_t **raised)
{
	struct hr_setting *plan;
	hr_audit *own_ctx;
	const hr_audit *a;
	bool own = !f;
	json_t *before, *after, *out;
	size_t i, n = 0;

	*why = NULL;
	if (raised)
		*raised = NULL;
	a = vet_audit_ctx(o, &own_ctx, why);
	if (!a)
		return NULL;
	if (!hr_ruleset_count(hr_audit_ruleset(a))) {
		*why = "what-if audit unavailable: no rules could be loaded (see 'headroom rules check')";
		hr_audit_free(own_ctx);
		return NULL;
	}
	if (own)
		f = vet_probe(o);
	plan = calloc(p->n ? p->n : 1, sizeof(*plan));
	if (!f || !plan) {
		hr_audit_free(own_ctx);
		if (own)
			hr_facts_free(f);
		free(plan);
		*why = "what-if audit unavailable: out of memory";
		return NULL;
	}
	/* The probe may find less than everything (a tree): the planned keys'
	 * current values are set explicitly, so both sides differ only by the
	 * plan, applied as the engine's overlay (ports.* follow it). */
	for (i = 0; i < p->n; i++) {
		hr_facts_set_sysctl(f, p->items[i].key, p->items[i].old, "current");
		if (p->items[i].change) {
			plan[n].key = p->items[i].key;
			plan[n++].value = p->items[i].new;
		}
	}
	before = hr_audit_evaluate(a, f, NULL, 0);
	after = hr_audit_evaluate(a, f, plan, n);
	out = created(before, after, HR_SEV_CRITICAL);
	if (raised)
		*raised = created(before, after, HR_SEV_INFO);
	json_decref(before);
	json_decref(after);
	hr_audit_free(own_ctx);
	if (own)
		hr_facts_free(f);
	free(plan);
	return out;
}

/* True when a and b hold the same words (sysctl values: whitespace aside). */
static bool same_words(const char *a, const char *b)
{
	for (;;) {
		while (isspace((unsigned char)*a))
			a++;
		while (isspace((unsigned char)*b))
			b++;
		if (!*a || !*b)
			return !*a && !*b;
		while (*a && !isspace((unsigned char)*a) && *a == *b)
			a++, b++;
		if ((*a && !isspace((unsigned char)*a)) || (*b && !isspace((unsigned char)*b)))
			return false;
	}
}

/* Keys another manager of the host also sets: said on the item and in a
 * note (it will undo the write), refused with --strict-managers. A
 * boot-time manager (systemd-sysctl's files) undoes nothing now: a note
 * that the value at boot differs, unless --persist writes it. */
static void vet_managers(struct hr_plan *p, const struct hr_vet_opts *o)
{
	hr_audit *own = NULL;
	const char *why = NULL;
	const hr_audit *a = vet_audit_ctx(o, &own, &why);
	const struct hr_managers *ms = a ? hr_audit_managers(a) : NULL;
	const struct hr_manager_key *k;
	const struct hr_manager *m;
	size_t i;

	for (i = 0; ms && i < p->n; i++) {
		struct hr_plan_item *it = &p->items[i];

		if (!it->change || !(m = hr_managers_owner(ms, it->key, &k)))
			continue;
		if (m->boot && (o->persist || o->in_netns || same_words(k->value, it->new)))
			continue; /* --persist writes the boot value (its own override check), a namespace
				   * has no boot, or it is the same */
		if (!(it->managed_by = hr_managers_describe(m, k)))
			continue;
		if (m->boot)
			note(p, "%s: %s: after a reboot %s is %s, not %s (--persist writes it for boot)", it->key,
			     it->managed_by, it->key, k->value, it->new);
		else if (o->strict_managers)
			refuse(p, it->key, false, "%s; --strict-managers refuses a key another manager owns", it->managed_by);
		else
			note(p, "%s: %s will undo %s=%s (--strict-managers refuses)", it->key, it->managed_by, it->key, it->new);
	}
	if (!ms)
		note(p, "the host's other managers were not looked for (%s)", why ? why : "out of memory");
	hr_audit_free(own);
}

int hr_vet_plan(struct hr_plan *p, const struct hr_desired *s, size_t n, const struct hr_vet_opts *o)
{
	hr_facts *facts;
	size_t i;

	memset(p, 0, sizeof(*p));
	if (!o->root || !*o->root) {
		int r = hr_netns_self(&p->netns, &p->child_netns);

		if (r < 0)
			note(p, "network namespace unknown (%s): global keys checked by presence only",
			     hr_strerror(r));
	}
	facts = vet_probe(o);
	for (i = 0; i < n; i++) {
		size_t k = p->nrefusals;

		vet_one(p, &s[i], o, facts);
		/* A refusal names the file and line the setting came from. */
		for (; k < p->nrefusals && s[i].where; k++)
			p->refusals[k].where = strdup(s[i].where);
	}
	vet_managers(p, o);
	if (o->path_rate > 0) {
		/* The declared path against the maxima the plan leaves. */
		const char *v[2] = {NULL, NULL};
		char msg[512];

		for (i = 0; i < n; i++)
			if (s[i].op == HR_OP_SET && !strncmp(s[i].key, "net.ipv4.tcp_", 13) &&
			    (!strcmp(s[i].key + 13, "wmem") || !strcmp(s[i].key + 13, "rmem")))
				v[s[i].key[13] == 'r'] = s[i].value;
		hr_profile_path_check(o->path_rtt_s, o->path_rate, v[0], v[1], msg, sizeof(msg));
		note(p, "declared %s (%s)", msg, o->path_from ? o->path_from : "profile");
	}
	if (o->whatif && p->nrefusals == 0 && hr_plan_changes(p) > 0) {
		const char *why = NULL;
		json_t *raised = NULL, *created = hr_vet_whatif(p, o, facts, &why, &raised), *f;

		if (!created) {
			note(p, "%s", why ? why : "what-if audit unavailable");
			hr_facts_free(facts);
			return 0;
		}
		json_array_foreach(created, i, f) {
			const char *rule = json_string_value(json_object_get(f, "rule"));
			const char *subj = json_string_value(json_object_get(f, "subject"));
			const char *msg = json_string_value(json_object_get(f, "message"));

			if (!rule)
				continue;
			if (allowed(o, rule)) {
				note(p, "what-if: plan creates critical %s%s%s, allowed by --allow", rule,
				     subj ? " " : "", subj ? subj : "");
				continue;
			}
			refuse(p, rule, true, "what-if audit: the plan creates a critical finding%s%s: %s (--allow %s to accept)",
			       subj ? " for " : "", subj ? subj : "", msg ? msg : "", rule);
		}
		/* What the audit would say of the plan below critical: a key set
		 * for what it does not do (tcp_fin_timeout and TIME_WAIT) is
		 * corrected by the rule that knows it, in the rule's words. */
		json_array_foreach(raised, i, f) {
			const char *sev = json_string_value(json_object_get(f, "severity"));

			if (sev && strcmp(sev, "critical"))
				note(p, "the audit would then say (%s, %s): %s",
				     json_string_value(json_object_get(f, "rule")), sev,
				     json_string_value(json_object_get(f, "message")));
		}
		json_decref(raised);
		json_decref(created);
	}
	hr_facts_free(facts);
	return 0;
}

size_t hr_plan_changes(const struct hr_plan *p)
{
	size_t i, c = 0;

	for (i = 0; i < p->n; i++)
		c += p->items[i].change;
	return c;
}

void hr_plan_clear(struct hr_plan *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		free(p->items[i].key);
		free(p->items[i].old);
		free(p->items[i].new);
		free(p->items[i].why);
		free(p->items[i].from);
		free(p->items[i].managed_by);
	}
	free(p->items);
	for (i = 0; i < p->nrefusals; i++) {
		free(p->refusals[i].key);
		free(p->refusals[i].reason);
		free(p->refusals[i].where);
	}
	free(p->refusals);
	for (i = 0; i < p->nnotes; i++)
		free(p->notes[i]);
	free(p->notes);
	memset(p, 0, sizeof(*p));
}

json_t *hr_plan_to_json(const struct hr_plan *p)
{
	json_t *o = json_object(), *ch = json_array(), *un = json_array(), *rf = json_array(),
	       *nt = json_array();
	size_t i;

	for (i = 0; i < p->n; i++) {
		const struct hr_plan_item *it = &p->items[i];

		if (it->change)
			json_array_append_new(ch, json_pack("{s:s, s:s?, s:s, s:s, s:s, s:s*}", "key", it->key,
							    "old", it->old, "new", it->new, "why", it->why,
							    "from", it->from, "managed_by", it->managed_by));
		else
			json_array_append_new(un, json_pack("{s:s, s:s?, s:s}", "key", it->key, "value",
							    it->old, "from", it->from));
	}
	for (i = 0; i < p->nrefusals; i++) {
		json_t *r = json_pack("{s:s, s:s?, s:b}", "key", p->refusals[i].key, "reason", p->refusals[i].reason,
				      "allowable", p->refusals[i].allowable);

		if (p->refusals[i].where)
			json_object_set_new(r, "where", json_string(p->refusals[i].where));
		json_array_append_new(rf, r);
	}
	for (i = 0; i < p->nnotes; i++)
		json_array_append_new(nt, json_string(p->notes[i]));
	json_object_set_new(o, "changes", ch);
	json_object_set_new(o, "unchanged", un);
	json_object_set_new(o, "refusals", rf);
	json_object_set_new(o, "notes", nt);
	return o;
}
