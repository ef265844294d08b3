/* Unit tests of the rules engine: loading (every malformed file reported
 * with file:line:col while the other rules still evaluate), evaluation
 * (findings, not_evaluated reasons, for_each subjects), fix what-ifs
 * computed over an overlay (the caller's facts unchanged), explain, and
 * the time to evaluate 10 rules over 10,000 destinations. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <malloc.h>
#include <time.h>
#include <unistd.h>

#include "rules.h"

#define GOOD HR_FIXTURES "/rules-good"
#define BAD HR_FIXTURES "/rules-bad"

/* CPU seconds used by this process. */
static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char tmpdir[] = "/tmp/hr-check-rules.XXXXXX";

/* Facts of a small host: default port range, tw_reuse 2, two declared destinations. */
static hr_facts *facts(void)
{
	hr_facts *f = hr_facts_new();

	hr_facts_set_sysctl(f, "net.ipv4.ip_local_port_range", "32768\t60999", "/proc/sys/net/ipv4/ip_local_port_range");
	hr_facts_set_sysctl(f, "net.ipv4.ip_local_reserved_ports", "", "/proc/sys/net/ipv4/ip_local_reserved_ports");
	hr_facts_set_sysctl(f, "net.ipv4.tcp_tw_reuse", "2", "/proc/sys/net/ipv4/tcp_tw_reuse");
	hr_facts_set_sysctl(f, "net.ipv4.tcp_timestamps", "1", "/proc/sys/net/ipv4/tcp_timestamps");
	hr_facts_set_sysctl(f, "net.ipv4.tcp_fin_timeout", "30", "/proc/sys/net/ipv4/tcp_fin_timeout");
	hr_facts_set_sysctl(f, "net.ipv4.tcp_retries2", "15", "/proc/sys/net/ipv4/tcp_retries2");
	hr_facts_set_sysctl_absent(f, "net.ipv4.tcp_tw_recycle", "absent on this kernel");
	hr_facts_set_str(f, "kernel.osrelease", "6.8.0-45-generic", "/proc/sys/kernel/osrelease");
	ck_assert_int_eq(hr_facts_declare_dest(f, "10.0.0.2", 5774, 1000, true, "workload.yaml"), 0);
	ck_assert_int_eq(hr_facts_declare_dest(f, "10.0.0.3", 80, 10, true, "workload.yaml"), 0);
	return f;
}

static hr_ruleset *load(const char *dir, struct hr_diags *d, int want_rc)
{
	hr_ruleset *rs = hr_ruleset_new();
	int rc = hr_ruleset_load_dir(rs, dir, d);

	if (!rc)
		rc = hr_ruleset_check(rs, d);
	else
		hr_ruleset_check(rs, d);
	ck_assert_int_eq(rc, want_rc);
	return rs;
}

/* The finding of a rule (and subject), or NULL. */
static json_t *finding(json_t *res, const char *rule, const char *subject)
{
	size_t i;
	json_t *fd;

	json_array_foreach(json_object_get(res, "findings"), i, fd) {
		json_t *s = json_object_get(fd, "subject");

		if (strcmp(json_string_value(json_object_get(fd, "rule")), rule))
			continue;
		if (!subject || (json_is_string(s) && !strcmp(json_string_value(s), subject)))
			return fd;
	}
	return NULL;
}

/* The not_evaluated reason of a rule, or NULL. */
static const char *reason(json_t *res, const char *rule)
{
	size_t i;
	json_t *ne;

	json_array_foreach(json_object_get(res, "not_evaluated"), i, ne)
		if (!strcmp(json_string_value(json_object_get(ne, "rule")), rule))
			return json_string_value(json_object_get(ne, "reason"));
	return NULL;
}

static const char *severity_of(json_t *res, const char *rule, const char *subject)
{
	json_t *fd = finding(res, rule, subject);

	ck_assert_msg(fd, "no finding of %s", rule);
	return json_string_value(json_object_get(fd, "severity"));
}

static double metric(json_t *fd, const char *name)
{
	json_t *v = json_object_get(json_object_get(fd, "metrics"), name);

	ck_assert_msg(json_is_number(v), "metric %s is not a number", name);
	return json_number_value(v);
}

/* Asserts a diagnostic at file:line:col containing text. */
static void has_diag(const struct hr_diags *d, const char *file, int line, int col, const char *text)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (strstr(d->v[i].file, file) && d->v[i].line == line && d->v[i].col == col &&
		    strstr(d->v[i].msg, text))
			return;
	hr_diags_print(stderr, d);
	ck_abort_msg("no diagnostic %s:%d:%d: %s", file, line, col, text);
}

START_TEST(test_bad_files)
{
	struct hr_diags d = {NULL, 0};
	hr_ruleset *rs = load(BAD, &d, -EBADMSG);
	hr_facts *f = facts();
	json_t *res;
	const char *r;

	/* each malformed input, located */
	has_diag(&d, "yaml-syntax.yaml", 5, 1, "bad YAML: found unexpected end of stream (while scanning a quoted scalar at 3:12)");
	has_diag(&d, "broken.yaml", 14, 5, "unknown key 'severty' in rule 'bad.unknown-key'");
	has_diag(&d, "broken.yaml", 19, 18, "unknown name 'tcp_tw_reuse'");
	has_diag(&d, "broken.yaml", 23, 39, "'+' needs numbers, not a condition");
	has_diag(&d, "broken.yaml", 34, 78, "nested deeper than 64 levels");
	has_diag(&d, "broken.yaml", 35, 5, "duplicate rule id 'bad.good-one' (first defined at");
	has_diag(&d, "other.yaml", 9, 5, "duplicate rule id 'bad.divide' (first defined at " BAD "/broken.yaml:25:5)");
	has_diag(&d, "broken.yaml", 40, 23, "'dest.rate' is only available in a rule with for_each: destinations");
	has_diag(&d, "broken.yaml", 3, 3, "cycle in derived facts: loop_a -> loop_b -> loop_a");
	has_diag(&d, "broken.yaml", 41, 5, "uses derived fact 'loop_a', which has errors");
	has_diag(&d, "broken.yaml", 46, 27, "is a number, not a condition");
	has_diag(&d, "broken.yaml", 49, 53, "expected a value, found end of expression");
	ck_assert_int_eq(hr_diags_errors(&d), 12);

	/* the sound rules of both files still evaluate */
	res = hr_ruleset_evaluate(rs, f);
	ck_assert_ptr_nonnull(finding(res, "bad.good-one", NULL));
	ck_assert_str_eq(severity_of(res, "bad.good-one", NULL), "ok");
	ck_assert_str_eq(severity_of(res, "other.fin-timeout", NULL),
			 "info");
	ck_assert_str_eq(json_string_value(json_object_get(finding(res, "other.fin-timeout", NULL), "message")),
			 "tcp_fin_timeout is 30 s");
	/* the broken ones are reported, not silently passed */
	r = reason(res, "bad.divide");
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r, "division by zero at " BAD "/broken.yaml:29:20");
	ck_assert_ptr_nonnull(strstr(reason(res, "bad.unknown-fact"), "broken.yaml:19:18: unknown name"));
	ck_assert_ptr_nonnull(strstr(reason(res, "bad.type-error"), "broken.yaml:23:39:"));
	ck_assert_ptr_nonnull(strstr(reason(res, "bad.deep"), "nested deeper than 64"));
	ck_assert_ptr_nonnull(strstr(reason(res, "bad.unknown-key"), "severty"));
	ck_assert_ptr_nonnull(reason(res, "bad.cycle"));
	ck_assert_ptr_null(finding(res, "bad.divide", NULL));
	json_decref(res);
	hr_ruleset_free(rs);
	hr_facts_free(f);
	hr_diags_clear(&d);
}
END_TEST

START_TEST(test_evaluate_and_fixes)
{
	struct hr_diags d = {NULL, 0};
	hr_ruleset *rs = load(GOOD, &d, 0);
	hr_facts *f = facts();
	json_t *res = hr_ruleset_evaluate(rs, f), *fd, *fixes, *fx;
	struct hr_value v;

	ck_assert_int_eq(d.n, 0);
	ck_assert_int_eq(json_array_size(json_object_get(res, "not_evaluated")), 0);
	/* 1000/s x 60 s TIME_WAIT = 60000 ports needed, 28232 usable */
	fd = finding(res, "test.ports-per-dest", "10.0.0.2:5774");
	ck_assert_ptr_nonnull(fd);
	ck_assert_str_eq(json_string_value(json_object_get(fd, "severity")), "critical");
	ck_assert_str_eq(json_string_value(json_object_get(fd, "area")), "ports");
	ck_assert_str_eq(json_string_value(json_object_get(fd, "message")),
			 "10.0.0.2:5774: needs 60,000 ports, 28,232 usable (0.47x)");
	ck_assert_double_eq(metric(fd, "needed"), 60000);
	ck_assert_double_eq_tol(metric(fd, "headroom"), 28232.0 / 60000, 1e-12);
	ck_assert_ptr_null(json_object_get(json_object_get(fd, "metrics"), "hold_s")); /* not listed */
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(fd, "references"), 1)), "RFC 6191");
	fixes = json_object_get(fd, "fixes");
	ck_assert_int_eq(json_array_size(fixes), 3);
	/* application fix: rate / 10 -> 6000 needed */
	fx = json_array_get(fixes, 0);
	ck_assert_str_eq(json_string_value(json_object_get(fx, "kind")), "application");
	ck_assert_double_eq_tol(json_number_value(json_object_get(fx, "headroom_after")), 28232.0 / 6000, 1e-12);
	ck_assert_str_eq(json_string_value(json_object_get(fx, "severity_after")), "ok");
	ck_assert_int_eq(json_object_size(json_object_get(fx, "settings")), 0);
	/* tw_reuse=1: a port is held 1 s (tcp_tw_reuse_delay default) -> 1000 needed */
	fx = json_array_get(fixes, 1);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(fx, "settings"), "net.ipv4.tcp_tw_reuse")), "1");
	ck_assert_double_eq_tol(json_number_value(json_object_get(fx, "headroom_after")), 28.232, 1e-12);
	ck_assert_str_eq(json_string_value(json_object_get(fx, "severity_after")), "ok");
	ck_assert_str_eq(json_string_value(json_object_get(fx, "text")), "Let connect() reuse TIME_WAIT ports after 1 s");
	/* widening the range: the value is computed, and ports.usable follows it */
	fx = json_array_get(fixes, 2);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(fx, "settings"),
							   "net.ipv4.ip_local_port_range")), "1024 65535");
	ck_assert_double_eq_tol(json_number_value(json_object_get(fx, "headroom_after")), 64512.0 / 60000, 1e-12);
	ck_assert_str_eq(json_string_value(json_object_get(fx, "severity_after")), "warning");
	/* the other destination is fine, and ok findings carry no fixes */
	fd = finding(res, "test.ports-per-dest", "10.0.0.3:80");
	ck_assert_str_eq(json_string_value(json_object_get(fd, "severity")), "ok");
	ck_assert_int_eq(json_array_size(json_object_get(fd, "fixes")), 0);
	/* a scalar rule: tcp_retries2 15 gives up after 924.6 s; the fix computes 102.2 s */
	fd = finding(res, "test.retries2", NULL);
	ck_assert(json_is_null(json_object_get(fd, "subject")));
	ck_assert_double_eq_tol(metric(fd, "give_up_s"), 924.6, 1e-9);
	fx = json_array_get(json_object_get(fd, "fixes"), 0);
	ck_assert_double_eq_tol(json_number_value(json_object_get(fx, "headroom_after")), 102.2, 1e-9);
	/* when false: not reported at all */
	ck_assert_ptr_null(finding(res, "test.tw-recycle", NULL));
	ck_assert_ptr_null(reason(res, "test.tw-recycle"));
	json_decref(res);

	/* the caller's facts were not changed by the what-ifs */
	ck_assert_int_eq(hr_facts_get(f, "net.ipv4.tcp_tw_reuse", -1, &v), 0);
	ck_assert_double_eq(v.num, 2);
	ck_assert_int_eq(hr_facts_get(f, "ports.usable", -1, &v), 0);
	ck_assert_double_eq(v.num, 28232);

	/* with tw_reuse already 1 the fix is not offered and the finding is ok */
	hr_facts_set_sysctl(f, "net.ipv4.tcp_tw_reuse", "1", "--assume");
	res = hr_ruleset_evaluate(rs, f);
	fd = finding(res, "test.ports-per-dest", "10.0.0.2:5774");
	ck_assert_str_eq(json_string_value(json_object_get(fd, "severity")), "ok");
	ck_assert_double_eq(metric(fd, "needed"), 1000);
	json_decref(res);
	hr_ruleset_free(rs);
	hr_facts_free(f);
}
END_TEST

START_TEST(test_what_if)
{
	struct hr_diags d = {NULL, 0};
	hr_ruleset *rs = load(GOOD, &d, 0);
	hr_facts *f = facts();
	const struct hr_setting plan[] = {{"net.ipv4.tcp_tw_reuse", "1"}, {"net.ipv4.tcp_retries2", "8"}};
	json_t *res = hr_ruleset_evaluate_with(rs, f, plan, 2), *fd;
	struct hr_value v;

	fd = finding(res, "test.ports-per-dest", "10.0.0.2:5774");
	ck_assert_str_eq(json_string_value(json_object_get(fd, "severity")), "ok");
	fd = finding(res, "test.retries2", NULL);
	ck_assert_str_eq(json_string_value(json_object_get(fd, "severity")), "ok");
	ck_assert_double_eq_tol(metric(fd, "give_up_s"), 102.2, 1e-9);
	json_decref(res);
	ck_assert_int_eq(hr_facts_get(f, "net.ipv4.tcp_retries2", -1, &v), 0);
	ck_assert_double_eq(v.num, 15);
	hr_ruleset_free(rs);
	hr_facts_free(f);
}
END_TEST

START_TEST(test_missing_facts)
{
	struct hr_diags d = {NULL, 0};
	hr_ruleset *rs = load(GOOD, &d, 0);
	hr_facts *f = hr_facts_new();
	json_t *res;

	/* nothing probed: every rule says why it was not evaluated */
	res = hr_ruleset_evaluate(rs, f);
	ck_assert_int_eq(json_array_size(json_object_get(res, "findings")), 0);
	ck_assert_str_eq(reason(res, "test.ports-per-dest"), "sockets not read (no subjects to check)");
	ck_assert_str_eq(reason(res, "test.retries2"), "net.ipv4.tcp_retries2: absent on this kernel");
	ck_assert_str_eq(reason(res, "test.tw-recycle"), "kernel.osrelease: not read");
	json_decref(res);
	/* destinations but no port range: one entry for the rule, not one per subject */
	hr_facts_declare_dest(f, "10.0.0.2", 5774, 1000, true, "w");
	hr_facts_declare_dest(f, "10.0.0.4", 5774, 1000, true, "w");
	res = hr_ruleset_evaluate(rs, f);
	ck_assert_int_eq(json_array_size(json_object_get(res, "not_evaluated")), 3);
	ck_assert_str_eq(reason(res, "test.ports-per-dest"), "ports.usable: net.ipv4.ip_local_port_range not read");
	json_decref(res);
	hr_ruleset_free(rs);
	hr_facts_free(f);
}
END_TEST

/* Writes text to NAME in the temporary directory; returns the path (static). */
static const char *write_rules(const char *name, const char *text)
{
	static char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	fclose(fp);
	return path;
}

/* Loads one inline file; returns the ruleset with diagnostics in *d. */
static hr_ruleset *load_text(const char *text, struct hr_diags *d)
{
	hr_ruleset *rs = hr_ruleset_new();

	hr_ruleset_load_file(rs, write_rules("t.yaml", text), d);
	hr_ruleset_check(rs, d);
	return rs;
}

static void load_error(const char *text, int line, int col, const char *msg)
{
	struct hr_diags d = {NULL, 0};
	hr_ruleset *rs = load_text(text, &d);

	has_diag(&d, "t.yaml", line, col, msg);
	hr_ruleset_free(rs);
	hr_diags_clear(&d);
}

START_TEST(test_load_errors)
{
	load_error("rules:\n  - title: x\n    severity: {info: \"true\"}\n", 2, 5, "a rule needs an id");
	load_error("rules:\n  - id: Bad_Id\n    title: x\n    severity: {info: \"true\"}\n", 2, 9,
		   "must be lower-case");
	load_error("rules:\n  - id: a\n    severity: {info: \"true\"}\n", 2, 5, "needs a title");
	load_error("rules:\n  - id: a\n    title: t\n", 2, 5, "needs at least one severity condition");
	load_error("rules:\n  - id: a\n    title: t\n    for_each: sockets\n    severity: {info: \"true\"}\n", 4, 15,
		   "for_each must be destinations, listeners, listening_ports, snat_tuples, counters or connect_failures");
	load_error("rules:\n  - id: a\n    title: t\n    severity: {fatal: \"true\"}\n", 4, 16, "unknown severity 'fatal'");
	load_error("rules:\n  - id: a\n    title: t\n    let: {x: \"y + 1\", y: \"1\"}\n    severity: {info: \"x > 1\"}\n",
		   4, 15, "let 'y' is used before it is defined");
	load_error("rules:\n  - id: a\n    title: t\n    metrics: [nope]\n    severity: {info: \"true\"}\n", 4, 15,
		   "metric 'nope' is not a let name");
	load_error("rules:\n  - id: a\n    title: t\n    severity: {info: \"true\"}\n    fixes:\n      - kind: magic\n        text: x\n",
		   6, 15, "fix kind must be application or sysctl");
	load_error("rules:\n  - id: a\n    title: t\n    severity: {info: \"true\"}\n    fixes:\n      - kind: sysctl\n        text: x\n",
		   6, 9, "a sysctl fix needs set");
	load_error("rules:\n  - id: a\n    title: t\n    severity: {info: \"true\"}\n    fixes:\n      - kind: sysctl\n        set: {tcp_tw_reuse: 1}\n        text: x\n",
		   7, 15, "'tcp_tw_reuse' is not a sysctl key");
	load_error("rules:\n  - id: a\n    title: t\n    severity: {info: \"true\"}\n    fixes:\n      - kind: application\n        let: {zz: \"1\"}\n        text: x\n",
		   7, 15, "fix overrides 'zz', which is not a let name");
	load_error("rules:\n  - id: a\n    title: t\n    severity: {info: \"true\"}\n    message: \"{1 +}\"\n", 5, 19,
		   "expected a value");
	load_error("rules:\n  - id: a\n    title: t\n    severity: {info: \"true\"}\n    message: \"a {b\"\n", 5, 17,
		   "'{' without '}'");
	load_error("rules:\n  - id: a\n    title: t\n    needs: [\"1 + 1\"]\n    severity: {info: \"true\"}\n", 4, 13,
		   "needs lists fact names");
	load_error("rules:\n  - id: a\n    title: t\n    for_each: listeners\n    severity: {info: \"listener.nope > 1\"}\n",
		   5, 23, "unknown field 'listener.nope' of listeners");
	load_error("rules:\n  - id: a\n    title: t\n    for_each: listeners\n    severity: {info: \"dest.rate > 1\"}\n",
		   5, 23, "only available in a rule with for_each: destinations");
	load_error("derived:\n  d: \"dest.rate * 2\"\nrules:\n  - id: a\n    title: t\n    severity: {info: \"d > 1\"}\n",
		   4, 5, "needs dest.* fields");
	load_error("derived:\n  net.ipv4.x: \"1\"\n", 2, 3, "would hide a fact");
	load_error("derived:\n  a: \"1\"\n  a: \"2\"\n", 3, 3, "'a' given twice (first at line 2)");
	load_error("rules:\n  - id: a\n    title: t\n    let: {kernel_major: \"kernel + 1\"}\n    severity: {info: \"true\"}\n",
		   4, 26, "needs numbers, not the kernel version");
	load_error("rules:\n  - id: a\n    title: t\n    when: \"true\"\n    when: \"false\"\n    severity: {info: \"true\"}\n",
		   5, 5, "'when' given twice (first at line 4)");
	{ /* a derived fact defined in two files */
		struct hr_diags d = {NULL, 0};
		hr_ruleset *rs = hr_ruleset_new();

		hr_ruleset_load_file(rs, write_rules("t.yaml", "derived:\n  a: \"1\"\n"), &d);
		hr_ruleset_load_file(rs, write_rules("u.yaml", "derived:\n  a: \"2\"\n"), &d);
		has_diag(&d, "u.yaml", 2, 3, "derived fact 'a' defined twice (first at");
		hr_ruleset_free(rs);
		hr_diags_clear(&d);
		unlink(write_rules("u.yaml", ""));
	}
	load_error("rules: {}\n", 1, 8, "rules (a list of rules) must be a list");
	load_error("- a\n- b\n", 1, 1, "a rule file is a mapping");
	load_error("rules: []\nextra: 1\n", 2, 1, "unknown top-level key 'extra'");
	load_error("rules:\n  - id: a\n    title: [x]\n    severity: {info: \"true\"}\n", 3, 12, "must be a single value");
	load_error("rules:\n  - id: a\n    title: t\n    severity: {info: 'not (1 +'}\n", 4, 31, "expected a value");
	{ /* an empty file is fine; a second document is refused */
		struct hr_diags d = {NULL, 0};
		hr_ruleset *rs = load_text("", &d);

		ck_assert_int_eq(d.n, 0);
		hr_ruleset_free(rs);
		rs = load_text("rules: []\n---\nrules: []\n", &d);
		ck_assert_int_eq(hr_diags_errors(&d), 1);
		ck_assert_ptr_nonnull(strstr(d.v[0].msg, "more than one YAML document"));
		hr_ruleset_free(rs);
		hr_diags_clear(&d);
	}
	{ /* an unreadable file */
		struct hr_diags d = {NULL, 0};
		hr_ruleset *rs = hr_ruleset_new();

		ck_assert_int_eq(hr_ruleset_load_file(rs, "/nonexistent/x.yaml", &d), -ENOENT);
		ck_assert_int_eq(hr_ruleset_load_dir(rs, "/nonexistent", &d), -ENOENT);
		ck_assert_int_eq(hr_diags_errors(&d), 2);
		hr_ruleset_free(rs);
		hr_diags_clear(&d);
	}
}
END_TEST

/* Evaluates one inline rule file with the standard facts; returns the result. */
static json_t *eval_text(const char *text)
{
	struct hr_diags d = {NULL, 0};
	hr_ruleset *rs = load_text(text, &d);
	hr_facts *f = facts();
	json_t *res;

	if (d.n)
		hr_diags_print(stderr, &d);
	ck_assert_int_eq(d.n, 0);
	res = hr_ruleset_evaluate(rs, f);
	hr_ruleset_free(rs);
	hr_facts_free(f);
	hr_diags_clear(&d);
	return res;
}

START_TEST(test_eval_errors)
{
	json_t *res;

	/* runtime errors: located, per rule, the others go on */
	res = eval_text("rules:\n"
			"  - id: idx\n    title: t\n    severity: {info: \"net.ipv4.ip_local_port_range[2] > 1\"}\n"
			"  - id: vec\n    title: t\n    severity: {info: \"net.ipv4.ip_local_port_range > 1\"}\n"
			"  - id: str\n    title: t\n    severity: {info: \"kernel.osrelease * 2 > 1\"}\n"
			"  - id: cond\n    title: t\n    severity: {info: \"net.ipv4.tcp_fin_timeout\"}\n"
			"  - id: old\n    title: t\n    severity: {warning: \"kernel < \\\"6.14\\\"\"}\n"
			"  - id: fine\n    title: t\n    severity: {info: \"net.ipv4.ip_local_port_range[1] == 60999\"}\n");
	ck_assert_ptr_nonnull(strstr(reason(res, "idx"), "index 2 out of range for net.ipv4.ip_local_port_range (2 fields) at "));
	ck_assert_ptr_nonnull(strstr(reason(res, "idx"), "/t.yaml:4:23"));
	ck_assert_ptr_nonnull(strstr(reason(res, "vec"), "is a vector of 2 fields: use net.ipv4.ip_local_port_range[i] at"));
	ck_assert_ptr_nonnull(strstr(reason(res, "str"), "'*' needs numbers, not a string at"));
	ck_assert_ptr_nonnull(strstr(reason(res, "cond"), "a condition is a number here"));
	ck_assert_str_eq(severity_of(res, "old", NULL), "warning");
	ck_assert_str_eq(severity_of(res, "fine", NULL), "info");
	json_decref(res);

	/* a missing fact in the let chain: not evaluated, naming the fact */
	res = eval_text("rules:\n  - id: m\n    title: t\n    let: {x: \"net.ipv4.tcp_rto_max_ms / 1000\"}\n"
			"    severity: {info: \"x > 1\"}\n"
			"  - id: m2\n    title: t\n    let: {x: \"net.ipv4.tcp_rto_max_ms / 1000\"}\n"
			"    severity: {info: \"present(net.ipv4.tcp_rto_max_ms) and x > 1\"}\n");
	ck_assert_str_eq(reason(res, "m"), "net.ipv4.tcp_rto_max_ms: absent on this kernel");
	ck_assert_str_eq(severity_of(res, "m2", NULL), "ok");
	ck_assert(json_is_null(json_object_get(json_object_get(finding(res, "m2", NULL), "metrics"), "x")));
	json_decref(res);

	/* derived facts nested deeper than evaluation allows: found by the
	 * check (rules check says so too), the rule using them not
	 * evaluated, a shallower chain fine */
	{
		char text[20000];
		size_t n = 0;
		int i;
		struct hr_diags d = {NULL, 0};
		hr_ruleset *rs;
		hr_facts *f;

		n += (size_t)snprintf(text + n, sizeof(text) - n, "derived:\n  d0: \"1\"\n");
		for (i = 1; i <= 70; i++)
			n += (size_t)snprintf(text + n, sizeof(text) - n, "  d%d: \"d%d + 1\"\n", i, i - 1);
		snprintf(text + n, sizeof(text) - n,
			 "rules:\n  - id: deep\n    title: t\n    severity: {info: \"d70 > 1\"}\n"
			 "  - id: shallow\n    title: t\n    severity: {info: \"d50 == 51\"}\n");
		rs = load_text(text, &d);
		has_diag(&d, "t.yaml", 66, 3, "derived fact 'd64' nests more than 64 derived facts");
		f = facts();
		res = hr_ruleset_evaluate(rs, f);
		ck_assert_ptr_null(finding(res, "deep", NULL));
		ck_assert_str_eq(severity_of(res, "shallow", NULL), "info");
		json_decref(res);
		hr_ruleset_free(rs);
		hr_facts_free(f);
		hr_diags_clear(&d);
	}
}
END_TEST

START_TEST(test_listening_ports_overlay)
{
	/* a fix moving the port range: port.in_range follows the overlay */
	hr_facts *f = facts();
	struct hr_diags d = {NULL, 0};
	hr_ruleset *rs = load_text(
		"rules:\n  - id: lp\n    title: listener in the ephemeral range\n    for_each: listening_ports\n"
		"    let: {usable: \"ports.usable\"}\n    headroom_metric: usable\n"
		"    severity: {warning: \"port.in_range\"}\n"
		"    fixes:\n      - kind: sysctl\n        set: {net.ipv4.ip_local_reserved_ports: \"{port.number}\"}\n"
		"        text: reserve {port.number}\n",
		&d);
	json_t *res, *fx;

	ck_assert_int_eq(d.n, 0);
	ck_assert_int_eq(hr_facts_declare_inbound(f, 40000, 10, false, "w"), 0);
	ck_assert_int_eq(hr_facts_declare_inbound(f, 8080, 10, false, "w"), 0);
	res = hr_ruleset_evaluate(rs, f);
	ck_assert_str_eq(severity_of(res, "lp", "40000"), "warning");
	ck_assert_str_eq(severity_of(res, "lp", "8080"), "ok");
	/* 28232 in range, one listener inside it */
	ck_assert_double_eq(metric(finding(res, "lp", "40000"), "usable"), 28231);
	fx = json_array_get(json_object_get(finding(res, "lp", "40000"), "fixes"), 0);
	/* reserving it: still in range (a warning by this rule), usable is then range - reserved */
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(fx, "settings"),
							   "net.ipv4.ip_local_reserved_ports")), "40000");
	ck_assert_double_eq(json_number_value(json_object_get(fx, "headroom_after")), 28231);
	json_decref(res);
	hr_ruleset_free(rs);
	hr_facts_free(f);
}
END_TEST

/* Facts with listeners and reserved ports; range and reserved list as given. */
static hr_facts *port_facts(const char *range, const char *reserved)
{
	hr_facts *f = hr_facts_new();

	hr_facts_set_sysctl(f, "net.ipv4.ip_local_port_range", range, "t");
	hr_facts_set_sysctl(f, "net.ipv4.ip_local_reserved_ports", reserved, "t");
	hr_facts_declare_inbound(f, 40000, 1, false, "w");
	hr_facts_declare_inbound(f, 45000, 1, false, "w");
	hr_facts_declare_inbound(f, 30005, 1, false, "w");
	hr_facts_declare_inbound(f, 8080, 1, false, "w");
	return f;
}

START_TEST(test_overlay_matches_facts)
{
	/* the what-if port model gives what the facts model gives for the same sysctls */
	struct hr_diags d = {NULL, 0};
	hr_ruleset *rs = load_text("rules:\n  - id: pm\n    title: t\n"
				   "    let: {u: ports.usable, r: ports.reserved_in_range, l: ports.listeners_in_range,"
				   " s: ports.range_size}\n    severity: {info: \"u > 0\"}\n",
				   &d);
	static const char *const cases[][2] = {
		{"1024 50000", "45000,30000-30010"},
		{"32768 60999", "40000-40100,40050-40200"},
		{"40000 40000", "40000"},
		{"20000 30000", ""},
	};
	size_t i;
	const char *m[] = {"u", "r", "l", "s"};

	ck_assert_int_eq(d.n, 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		hr_facts *base = port_facts("32768 60999", "40000-40100,40050-40200");
		hr_facts *real = port_facts(cases[i][0], cases[i][1]);
		const struct hr_setting plan[] = {{"net.ipv4.ip_local_port_range", cases[i][0]},
						  {"net.ipv4.ip_local_reserved_ports", cases[i][1]}};
		json_t *a = hr_ruleset_evaluate_with(rs, base, plan, 2), *b = hr_ruleset_evaluate(rs, real);
		size_t k;

		for (k = 0; k < 4; k++)
			ck_assert_msg(metric(finding(a, "pm", NULL), m[k]) == metric(finding(b, "pm", NULL), m[k]),
				      "case %zu metric %s: overlay %g, facts %g", i, m[k],
				      metric(finding(a, "pm", NULL), m[k]), metric(finding(b, "pm", NULL), m[k]));
		json_decref(a);
		json_decref(b);
		hr_facts_free(base);
		hr_facts_free(real);
	}
	hr_ruleset_free(rs);
}
END_TEST

START_TEST(test_explain)
{
	struct hr_diags d = {NULL, 0};
	hr_ruleset *rs = load(GOOD, &d, 0);
	hr_facts *f = facts();
	struct hr_err err = {0, ""};
	json_t *e = hr_ruleset_explain(rs, "test.ports-per-dest", f, &err), *s, *let, *src;
	size_t i;
	bool found = false;

	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(json_string_value(json_object_get(e, "for_each")), "destinations");
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(e, "defined_at")), "ports.yaml:9:5"));
	ck_assert_int_eq(json_array_size(json_object_get(e, "subjects")), 2);
	s = json_array_get(json_object_get(e, "subjects"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(s, "subject")), "10.0.0.2:5774");
	let = json_array_get(json_object_get(s, "let"), 2);
	ck_assert_str_eq(json_string_value(json_object_get(let, "name")), "needed");
	ck_assert_str_eq(json_string_value(json_object_get(let, "expr")), "rate_per_s * hold_s");
	ck_assert_str_eq(json_string_value(json_object_get(let, "filled")), "1000 * 60");
	ck_assert_double_eq(json_number_value(json_object_get(let, "value")), 60000);
	let = json_array_get(json_object_get(s, "severity_conditions"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(let, "level")), "critical");
	ck_assert_str_eq(json_string_value(json_object_get(let, "filled")), "0.470533 < 1");
	ck_assert(json_is_true(json_object_get(let, "value")));
	let = json_array_get(json_object_get(s, "derived"), 0);
	ck_assert_ptr_nonnull(let);
	json_array_foreach(json_object_get(e, "sources"), i, src)
		if (!strcmp(json_string_value(json_object_get(src, "fact")), "net.ipv4.tcp_tw_reuse")) {
			ck_assert_str_eq(json_string_value(json_object_get(src, "source")),
					 "/proc/sys/net/ipv4/tcp_tw_reuse");
			found = true;
		}
	ck_assert(found);
	json_decref(e);
	e = hr_ruleset_explain_subject(rs, "test.ports-per-dest", f, "10.0.0.3:80", &err);
	ck_assert_int_eq(json_array_size(json_object_get(e, "subjects")), 1);
	json_decref(e);
	ck_assert_ptr_null(hr_ruleset_explain(rs, "no.such-rule", f, &err));
	ck_assert_int_eq(err.code, -ENOENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "no rule 'no.such-rule'"));
	hr_ruleset_free(rs);
	hr_facts_free(f);
}
END_TEST

START_TEST(test_bench_10k)
{
	/* 10 rules over 10,000 destinations (declared, as a workload would). */
	char text[16384];
	size_t n = 0;
	int i;
	struct hr_diags d = {NULL, 0};
	hr_ruleset *rs;
	hr_facts *f = facts();
	json_t *res;
	double t0, t_all, t_ok, t_problems;
	struct hr_eval_opts problems = {NULL, 0, true, 0};
	size_t nproblems;
	/* under valgrind (some 50 times slower) a smaller load, no time bound */
	bool vg = getenv("LD_PRELOAD") && strstr(getenv("LD_PRELOAD"), "vgpreload");
	int ndest = vg ? 1000 : 10000;

	n += (size_t)snprintf(text + n, sizeof(text) - n,
			      "derived:\n  tw_reuse_on: \"(net.ipv4.tcp_timestamps ?? 1) >= 1 and net.ipv4.tcp_tw_reuse == 1\"\n"
			      "  port_hold_s: \"tw_reuse_on ? (net.ipv4.tcp_tw_reuse_delay ?? 1000) * 1ms : 60s\"\nrules:\n");
	for (i = 0; i < 10; i++)
		n += (size_t)snprintf(
			text + n, sizeof(text) - n,
			"  - id: bench.r%d\n    title: t\n    for_each: destinations\n    needs: [dest.rate, ports.usable]\n"
			"    when: dest.local_closes\n    let:\n      rate: dest.rate * %d\n      needed: rate * port_hold_s\n"
			"      headroom: \"needed > 0 ? ports.usable / needed : null\"\n    headroom_metric: headroom\n"
			"    severity: {critical: \"headroom < 1\", warning: \"headroom < 2\"}\n"
			"    message: \"{dest.subject}: {needed:int} ports needed\"\n"
			"    fixes:\n      - kind: sysctl\n        when: net.ipv4.tcp_tw_reuse != 1\n"
			"        set: {net.ipv4.tcp_tw_reuse: \"1\"}\n        text: reuse\n",
			i, i + 1);
	rs = load_text(text, &d);
	ck_assert_int_eq(d.n, 0);
	for (i = 0; i < ndest; i++) {
		char host[32];

		snprintf(host, sizeof(host), "10.%d.%d.%d", i / 65536, (i / 256) % 256, i % 256);
		/* rate 0..99/s: needed up to 60000 ports, so some findings are critical */
		ck_assert_int_eq(hr_facts_declare_dest(f, host, 443, i % 100, true, "bench"), 0);
	}
	/* CPU time of this process: the machine is shared. Freed memory is
	 * returned first so that a run does not pay for the one before. */
	t0 = cpu_now();
	res = hr_ruleset_evaluate(rs, f);
	t_all = cpu_now() - t0;
	ck_assert_int_eq(json_array_size(json_object_get(res, "findings")),
			 10 * hr_facts_count(f, HR_COLL_DESTINATIONS));
	json_decref(res);
	malloc_trim(0);
	/* the same, reporting only the problems (ok subjects only counted) */
	t0 = cpu_now();
	res = hr_ruleset_evaluate_opts(rs, f, &problems);
	t_problems = cpu_now() - t0;
	nproblems = json_array_size(json_object_get(res, "findings"));
	json_decref(res);
	malloc_trim(0);
	/* every subject ok: the evaluation itself, no finding to build */
	hr_facts_set_sysctl(f, "net.ipv4.tcp_tw_reuse", "1", "bench");
	t0 = cpu_now();
	res = hr_ruleset_evaluate_opts(rs, f, &problems);
	t_ok = cpu_now() - t0;
	ck_assert_int_eq(json_array_size(json_object_get(res, "findings")), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(json_object_get(res, "summary"), 0), "ok")),
			 ndest + 2);
	json_decref(res);
	ck_assert_int_eq(hr_facts_count(f, HR_COLL_DESTINATIONS), (size_t)ndest + 2);
	printf("# 10 rules x %d destinations (CPU time): all %d findings as JSON %.1f ms; "
	       "problems only (%zu findings with fix what-ifs) %.1f ms; evaluation alone (all ok) %.1f ms\n",
	       ndest + 2, 10 * (ndest + 2), t_all * 1e3, nproblems, t_problems * 1e3, t_ok * 1e3);
	ck_assert(vg || t_all < 5.0);
	hr_ruleset_free(rs);
	hr_facts_free(f);
}
END_TEST

static Suite *rules_suite(void)
{
	Suite *s = suite_create("rules");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_bad_files);
	tcase_add_test(tc, test_evaluate_and_fixes);
	tcase_add_test(tc, test_what_if);
	tcase_add_test(tc, test_missing_facts);
	tcase_add_test(tc, test_load_errors);
	tcase_add_test(tc, test_eval_errors);
	tcase_add_test(tc, test_listening_ports_overlay);
	tcase_add_test(tc, test_overlay_matches_facts);
	tcase_add_test(tc, test_explain);
	tcase_add_test(tc, test_bench_10k);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(rules_suite());
	int failed;

	if (!mkdtemp(tmpdir))
		return EXIT_FAILURE;
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	unlink(strcat(strcpy((char[600]){0}, tmpdir), "/t.yaml"));
	rmdir(tmpdir);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
