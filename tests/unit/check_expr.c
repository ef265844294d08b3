/* Unit tests of the expression language: lexer (numbers, units, strings),
 * parser (precedence, errors with columns, nesting limit), binder (unknown
 * names, load-time type errors) and evaluator (missing facts, short-circuit,
 * ??, conditional, functions, vector indexes, kernel versions, errors). */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "expr.h"
#include "check-run.h"

/* Test names: a small table standing in for facts and lets. */
enum { K_VAL = 1, K_VEC, K_KERN, K_BAD };
static const struct {
	const char *name;
	enum hr_xtype t;
	double num;
	const char *str;
	int stype;
} names[] = {
	{"a", HR_X_NUM, 1, NULL, HR_S_NUM},
	{"b", HR_X_NUM, 2, NULL, HR_S_NUM},
	{"zero", HR_X_NUM, 0, NULL, HR_S_ANY},
	{"t", HR_X_BOOL, 1, NULL, HR_S_BOOL},
	{"f", HR_X_BOOL, 0, NULL, HR_S_BOOL},
	{"n", HR_X_NULL, 0, NULL, HR_S_ANY},
	{"s", HR_X_STR, 0, "cubic", HR_S_STR},
	{"net.ipv4.tcp_tw_reuse", HR_X_NUM, 2, NULL, HR_S_ANY},
	{"net.ipv4.tcp_rto_max_ms", HR_X_MISSING, 0, NULL, HR_S_ANY},
	{"anystr", HR_X_STR, 0, "x", HR_S_ANY},
};
static const double vec[2] = {32768, 60999};
static const char *kernel_release = "6.8.0-45-generic";
static int lookups; /* counts fact lookups, to see short-circuits */

static int resolve(void *ud, const char *name, bool indexed, int *kind, int *slot, enum hr_stype *st,
		   char *msg, size_t n)
{
	size_t i;

	(void)ud;
	if (!strcmp(name, "net.ipv4.ip_local_port_range")) {
		*kind = K_VEC;
		*slot = 0;
		*st = HR_S_ANY;
		return 0;
	}
	if (!strcmp(name, "kernel")) {
		*kind = K_KERN;
		*st = HR_S_VERSION;
		return 0;
	}
	if (!strcmp(name, "bad")) {
		*kind = K_BAD;
		*st = HR_S_ANY;
		return 0;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(names[i].name, name)) {
			if (indexed) {
				snprintf(msg, n, "'%s' cannot be indexed", name);
				return -EINVAL;
			}
			*kind = K_VAL;
			*slot = (int)i;
			*st = (enum hr_stype)names[i].stype;
			return 0;
		}
	snprintf(msg, n, "unknown name '%s'", name);
	return -ENOENT;
}

static int lookup(struct hr_xctx *x, int kind, int slot, const char *name, int index, struct hr_xval *out)
{
	lookups++;
	memset(out, 0, sizeof(*out));
	switch (kind) {
	case K_VEC:
		if (index < 0 || index > 1) {
			hr_xctx_fail(x, "index %d out of range for %s (2 fields)", index, name);
			return -EDOM;
		}
		out->t = HR_X_NUM;
		out->num = vec[index];
		return 0;
	case K_KERN:
		out->t = HR_X_STR;
		out->str = kernel_release;
		out->version = true;
		return 0;
	case K_BAD:
		hr_xctx_fail(x, "lookup failed");
		return -EIO;
	}
	out->t = names[slot].t;
	out->num = names[slot].num;
	out->str = names[slot].t == HR_X_MISSING ? names[slot].name : names[slot].str;
	out->why = "absent on this kernel";
	return 0;
}

/* Parses and binds src; NULL on error (diagnostics in *d). */
static hr_expr *compile(const char *src, struct hr_diags *d)
{
	hr_expr *e = hr_expr_parse(src, "t.yaml", 3, 10, d);

	if (e && hr_expr_bind(e, resolve, NULL, d) < 0) {
		hr_expr_free(e);
		return NULL;
	}
	return e;
}

/* Evaluates src; returns the eval rc, value in *v, error text in err. */
static int run(const char *src, struct hr_xval *v, char *err, size_t n)
{
	struct hr_diags d = {NULL, 0};
	struct hr_xctx x;
	hr_expr *e = compile(src, &d);
	int rc;

	if (!e) {
		hr_diags_print(stderr, &d);
		hr_diags_clear(&d);
		ck_abort_msg("'%s' did not compile", src);
	}
	memset(&x, 0, sizeof(x));
	x.lookup = lookup;
	rc = hr_expr_eval(e, &x, v);
	if (err)
		snprintf(err, n, "%s", x.err);
	hr_expr_free(e);
	return rc;
}

static double num(const char *src)
{
	struct hr_xval v;
	char err[512];

	ck_assert_msg(run(src, &v, err, sizeof(err)) == 0, "'%s' failed: %s", src, err);
	ck_assert_msg(v.t == HR_X_NUM, "'%s' is not a number (type %d)", src, v.t);
	return v.num;
}

static int boolean(const char *src)
{
	struct hr_xval v;
	char err[512];

	ck_assert_msg(run(src, &v, err, sizeof(err)) == 0, "'%s' failed: %s", src, err);
	ck_assert_msg(v.t == HR_X_BOOL, "'%s' is not a condition (type %d)", src, v.t);
	return v.num != 0;
}

static enum hr_xtype vtype(const char *src)
{
	struct hr_xval v;
	char err[512];

	ck_assert_msg(run(src, &v, err, sizeof(err)) == 0, "'%s' failed: %s", src, err);
	return v.t;
}

/* Evaluation must fail with a message containing want (and the location). */
static void eval_error(const char *src, const char *want)
{
	struct hr_xval v;
	char err[512];

	ck_assert_msg(run(src, &v, err, sizeof(err)) < 0, "'%s' did not fail", src);
	ck_assert_msg(strstr(err, want), "'%s': error '%s' lacks '%s'", src, err, want);
	ck_assert_msg(strstr(err, " at t.yaml:3:"), "'%s': error '%s' has no location", src, err);
}

/* Compiling must fail with a diagnostic containing want at column col. */
static void load_error(const char *src, const char *want, int col)
{
	struct hr_diags d = {NULL, 0};
	hr_expr *e = compile(src, &d);

	ck_assert_msg(!e, "'%s' compiled", src);
	ck_assert_msg(d.n >= 1, "'%s': no diagnostic", src);
	ck_assert_msg(strstr(d.v[0].msg, want), "'%s': '%s' lacks '%s'", src, d.v[0].msg, want);
	ck_assert_str_eq(d.v[0].file, "t.yaml");
	ck_assert_int_eq(d.v[0].line, 3);
	if (col)
		ck_assert_msg(d.v[0].col == col, "'%s': column %d, want %d (%s)", src, d.v[0].col, col,
			      d.v[0].msg);
	hr_diags_clear(&d);
}

START_TEST(test_numbers_units)
{
	ck_assert_double_eq(num("60"), 60);
	ck_assert_double_eq_tol(num("0.2"), 0.2, 1e-12);
	ck_assert_double_eq(num("1e3"), 1000);
	ck_assert_double_eq(num("2.5e-1"), 0.25);
	ck_assert_double_eq(num("60s"), 60);
	ck_assert_double_eq(num("250ms"), 0.25);
	ck_assert(boolean("250ms == 0.25"));
	ck_assert_double_eq_tol(num("10us"), 1e-5, 1e-15);
	ck_assert_double_eq(num("2min"), 120);
	ck_assert_double_eq(num("2h"), 7200);
	ck_assert_double_eq(num("50/s"), 50);
	ck_assert_double_eq(num("0/s"), 0);
	ck_assert_double_eq_tol(num("20%"), 0.2, 1e-12);
	ck_assert_double_eq(num("-5s"), -5);
	ck_assert(isinf(num("inf")));
	ck_assert(boolean("inf > 1e300"));
	/* a unit must touch the number; other suffixes are errors */
	load_error("60 sec", "unexpected", 0);
	load_error("60sec", "unknown unit 'sec'", 12);
	load_error("5kb", "unknown unit 'kb'", 11);
	load_error("0x10", "hexadecimal", 10);
}
END_TEST

START_TEST(test_precedence)
{
	ck_assert_double_eq(num("1 + 2 * 3"), 7);
	ck_assert_double_eq(num("(1 + 2) * 3"), 9);
	ck_assert_double_eq(num("10 - 4 - 3"), 3);   /* left associative */
	ck_assert_double_eq(num("16 / 4 / 2"), 2);
	ck_assert_double_eq(num("7 % 4 * 2"), 6);
	ck_assert_double_eq(num("-a * 3"), -3);
	ck_assert_double_eq(num("- - b"), 2);
	ck_assert_double_eq(num("2 * -b"), -4);
	ck_assert(boolean("1 + 1 == 2"));
	ck_assert(boolean("a < b and b < 3"));
	ck_assert(boolean("not a > b"));         /* not binds looser than comparison */
	ck_assert(boolean("t or f and f"));      /* and binds tighter than or */
	ck_assert(!boolean("(t or f) and f"));
	ck_assert_double_eq(num("t ? 1 : 2 + 10"), 1); /* ?: is the loosest */
	ck_assert_double_eq(num("f ? 1 : f ? 2 : 3"), 3); /* right associative */
	ck_assert_double_eq(num("n ?? 4 + 1"), 5);  /* ?? looser than + */
	ck_assert_double_eq(num("net.ipv4.ip_local_port_range[1] - net.ipv4.ip_local_port_range[0] + 1"),
			    28232);
	load_error("a < b < 3", "do not chain", 16);
}
END_TEST

START_TEST(test_missing_short_circuit)
{
	struct hr_xval v;
	char err[256];

	/* a missing fact makes the expression missing, naming the fact */
	ck_assert_int_eq(run("net.ipv4.tcp_rto_max_ms / 1000", &v, err, sizeof(err)), 0);
	ck_assert_int_eq(v.t, HR_X_MISSING);
	ck_assert_str_eq(v.str, "net.ipv4.tcp_rto_max_ms");
	ck_assert_str_eq(v.why, "absent on this kernel");
	ck_assert_int_eq(vtype("net.ipv4.tcp_rto_max_ms > 5"), HR_X_MISSING);
	ck_assert_int_eq(vtype("not (net.ipv4.tcp_rto_max_ms > 5)"), HR_X_MISSING);
	/* ... unless the other side decides */
	ck_assert(!boolean("f and net.ipv4.tcp_rto_max_ms > 5"));
	ck_assert(boolean("t or net.ipv4.tcp_rto_max_ms > 5"));
	ck_assert(!boolean("net.ipv4.tcp_rto_max_ms > 5 and f"));
	ck_assert(boolean("net.ipv4.tcp_rto_max_ms > 5 or t"));
	ck_assert_int_eq(vtype("t and net.ipv4.tcp_rto_max_ms > 5"), HR_X_MISSING);
	ck_assert_int_eq(vtype("net.ipv4.tcp_rto_max_ms > 5 or f"), HR_X_MISSING);
	/* short-circuit: the right side is not even looked up */
	lookups = 0;
	ck_assert(!boolean("f and bad"));
	ck_assert(boolean("t or bad"));
	ck_assert_int_eq(lookups, 2);
	/* conditional evaluates only the chosen arm */
	ck_assert_double_eq(num("t ? 1 : bad"), 1);
	ck_assert_double_eq(num("zero > 0 ? a / zero : 0"), 0);
	ck_assert_int_eq(vtype("net.ipv4.tcp_rto_max_ms > 1 ? 1 : 2"), HR_X_MISSING);
	/* present() */
	ck_assert(!boolean("present(net.ipv4.tcp_rto_max_ms)"));
	ck_assert(boolean("present(net.ipv4.tcp_tw_reuse)"));
	ck_assert(boolean("present(n)"));
}
END_TEST

START_TEST(test_coalesce_null)
{
	ck_assert_double_eq(num("net.ipv4.tcp_rto_max_ms ?? 120000"), 120000);
	ck_assert_double_eq(num("(net.ipv4.tcp_rto_max_ms ?? 120000) * 1ms"), 120);
	ck_assert_double_eq(num("n ?? 3"), 3);
	ck_assert_double_eq(num("a ?? 3"), 1);
	ck_assert_double_eq(num("zero ?? 3"), 0); /* 0 is a value, not missing */
	ck_assert_double_eq(num("net.ipv4.tcp_rto_max_ms ?? n ?? 7"), 7);
	ck_assert_int_eq(vtype("n + 1"), HR_X_NULL); /* null propagates through arithmetic */
	ck_assert(!boolean("n < 1"));                 /* comparisons with null are false */
	ck_assert(!boolean("n > 1"));
	ck_assert(boolean("n == null"));
	ck_assert(!boolean("a == null"));
	ck_assert(boolean("a != null"));
	ck_assert(!boolean("n != null"));
	ck_assert_int_eq(vtype("null"), HR_X_NULL);
	/* errors are not caught by ?? */
	eval_error("a / zero ?? 1", "division by zero");
}
END_TEST

START_TEST(test_functions)
{
	ck_assert_double_eq(num("min(3, 1, 2)"), 1);
	ck_assert_double_eq(num("max(3, 1, 2)"), 3);
	ck_assert_double_eq(num("min(a)"), 1);
	ck_assert_double_eq(num("log2(1024)"), 10);
	ck_assert_double_eq(num("floor(2.7)"), 2);
	ck_assert_double_eq(num("ceil(2.1)"), 3);
	ck_assert_double_eq(num("round(2.5)"), 3);
	ck_assert_double_eq(num("abs(-4)"), 4);
	ck_assert_double_eq(num("pow(2, 10)"), 1024);
	ck_assert_double_eq(num("clamp(5, 1, 3)"), 3);
	ck_assert_double_eq(num("clamp(-5, 1, 3)"), 1);
	ck_assert_double_eq(num("clamp(2, 1, 3)"), 2);
	/* tcp_retries2 give-up time (net/ipv4/tcp_timer.c), default 924.6 s */
	ck_assert_double_eq_tol(num("(pow(2, floor(log2(120 / 0.2)) + 1) - 1) * 0.2 + "
				    "(15 - floor(log2(120 / 0.2))) * 120"),
				924.6, 1e-9);
	ck_assert_int_eq(vtype("max(1, net.ipv4.tcp_rto_max_ms)"), HR_X_MISSING);
	ck_assert_int_eq(vtype("max(1, n)"), HR_X_NULL);
	eval_error("log2(zero)", "log2() of a number <= 0");
	eval_error("clamp(1, 3, 2)", "low bound above high bound");
	load_error("frob(1)", "unknown function 'frob'", 10);
	load_error("pow(1)", "pow() takes 2 arguments, got 1", 10);
	load_error("clamp(1, 2)", "takes 3 arguments", 10);
	load_error("present(1 + 1)", "present() takes a fact name", 18);
	load_error("min(t, 1)", "min() needs numbers, not a condition", 14);
}
END_TEST

START_TEST(test_vectors)
{
	ck_assert_double_eq(num("net.ipv4.ip_local_port_range[0]"), 32768);
	ck_assert_double_eq(num("net.ipv4.ip_local_port_range[a]"), 60999);
	ck_assert_double_eq(num("net.ipv4.ip_local_port_range[2 - 1]"), 60999);
	eval_error("net.ipv4.ip_local_port_range[2]", "index 2 out of range");
	eval_error("net.ipv4.ip_local_port_range[0.5]", "whole number");
	eval_error("net.ipv4.ip_local_port_range[-1]", "whole number");
	load_error("a[0]", "cannot be indexed", 10);
	load_error("(a + b)[0]", "only a fact name can be indexed", 17);
	load_error("net.ipv4.ip_local_port_range[t]", "an index must be a number", 39);
	load_error("net.ipv4.ip_local_port_range[0", "expected ']'", 40);
}
END_TEST

START_TEST(test_kernel_versions)
{
	ck_assert(boolean("kernel >= \"4.12\""));
	ck_assert(boolean("kernel >= \"6.8\""));
	ck_assert(boolean("kernel < \"6.14\""));
	ck_assert(!boolean("kernel < \"6.8\""));
	ck_assert(boolean("\"5.15\" < kernel")); /* either side */
	ck_assert(boolean("kernel == \"6.8.0\""));
	ck_assert(boolean("kernel != \"6.9\""));
	kernel_release = "4.9.0";
	ck_assert(!boolean("kernel >= \"4.12\""));  /* numeric, not string, comparison */
	kernel_release = "garbage";
	eval_error("kernel >= \"4.12\"", "cannot compare kernel versions");
	kernel_release = "6.8.0-45-generic";
	load_error("kernel >= 4.12", "compares with a string", 10);
	load_error("kernel + 1", "needs numbers, not the kernel version", 10);
}
END_TEST

START_TEST(test_type_errors)
{
	/* detectable at load time, with the column of the offending operand */
	load_error("\"x\" * 2", "'*' needs numbers, not a string", 10);
	load_error("1 + (a < b)", "'+' needs numbers, not a condition", 15);
	load_error("a == \"x\"", "cannot compare a number with a string", 10);
	load_error("not 5", "'not' needs a condition, not a number", 10);
	load_error("a and t", "'and' needs conditions, not a number", 10);
	load_error("t or \"x\"", "'or' needs conditions, not a string", 15);
	load_error("5 ? 1 : 2", "the condition of '?' must be a condition", 10);
	load_error("t < f", "'<' needs numbers", 10);
	load_error("-s", "'-' needs a number, not a string", 10);
	/* only visible at evaluation: values of unknown static type */
	eval_error("anystr * 2", "'*' needs numbers, not a string");
	eval_error("anystr < 2", "cannot compare a string with a number");
	eval_error("zero ? 1 : 2", "a condition is a number here");
	eval_error("anystr and t", "a condition is a string here");
	ck_assert(boolean("anystr == \"x\""));
	ck_assert(boolean("s == \"cubic\""));
	ck_assert(boolean("t == true"));
}
END_TEST

/* The expression code returns 0 or -errno like every lower layer. */
START_TEST(test_return_codes)
{
	struct hr_diags d = {NULL, 0};
	struct hr_xctx x;
	struct hr_xval v;
	char err[512];
	bool truth = false;
	hr_expr *e;
	const char *const cases[] = {"t", "net.ipv4.tcp_rto_max_ms > 1", "zero"};
	const int want[] = {0, -ENODATA, -EINVAL};
	size_t i;

	/* binding: the static type, or -EBADMSG with diagnostics */
	e = hr_expr_parse("a + 1", "t.yaml", 3, 10, &d);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(hr_expr_bind(e, resolve, NULL, &d), HR_S_NUM);
	hr_expr_free(e);
	e = hr_expr_parse("\"x\" * nosuch", "t.yaml", 3, 10, &d);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(hr_expr_bind(e, resolve, NULL, &d), -EBADMSG);
	ck_assert_uint_eq(d.n, 2); /* the type error and the unknown name */
	hr_expr_free(e);
	hr_diags_clear(&d);
	/* evaluation: -EINVAL for a type error, -EDOM for no numeric result */
	ck_assert_int_eq(run("anystr * 2", &v, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(run("log2(zero)", &v, err, sizeof(err)), -EDOM);
	ck_assert_int_eq(run("net.ipv4.ip_local_port_range[1 + 1]", &v, err, sizeof(err)), -EDOM);
	/* truth: 0 with the value, -ENODATA when missing, -EINVAL when not a condition */
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		e = hr_expr_parse(cases[i], "t.yaml", 3, 10, &d);
		ck_assert_int_ge(hr_expr_bind(e, resolve, NULL, &d), 0);
		memset(&x, 0, sizeof(x));
		x.lookup = lookup;
		ck_assert_int_eq(hr_expr_eval(e, &x, &v), 0);
		ck_assert_int_eq(hr_xval_truth(&v, &x, e, &truth), want[i]);
		if (i == 0)
			ck_assert(truth);
		hr_expr_free(e);
	}
	ck_assert_uint_eq(d.n, 0);
}
END_TEST

START_TEST(test_division_by_zero)
{
	struct hr_xval v;
	char err[512];

	ck_assert_int_eq(run("a / zero", &v, err, sizeof(err)), -EDOM);
	/* located: t.yaml line 3, the expression starts at column 10, zero at offset 4 */
	ck_assert_str_eq(err, "division by zero at t.yaml:3:14");
	eval_error("a % zero", "division by zero");
	eval_error("1 + a / (b - 2)", "division by zero");
	ck_assert_double_eq(num("7 % 4"), 3);
	ck_assert_double_eq(num("a / 0.5"), 2);
	/* a failing lookup is an error too, located at the name */
	ck_assert_int_eq(run("1 + bad", &v, err, sizeof(err)), -EIO); /* the lookup's own code */
	ck_assert_str_eq(err, "lookup failed at t.yaml:3:14");
}
END_TEST

START_TEST(test_syntax_errors)
{
	load_error("", "empty expression", 10);
	load_error("1 +", "expected a value, found end of expression", 13);
	load_error("(1 + 2", "expected ')'", 16);
	load_error("1 2", "unexpected number after the expression", 12);
	load_error("a = 1", "use '=='", 12);
	load_error("a && b", "use 'and'", 12);
	load_error("a || b", "use 'or'", 12);
	load_error("!a", "use 'not'", 10);
	load_error("t ? 1", "expected ':'", 15);
	load_error("\"abc", "unterminated string", 10);
	load_error("\"a\\n\"", "unknown escape", 12);
	load_error("a $ b", "unexpected character '$'", 12);
	load_error("nosuch + 1", "unknown name 'nosuch'", 10);
	/* every unknown name is reported, not only the first */
	{
		struct hr_diags d = {NULL, 0};

		ck_assert_ptr_null(compile("x1 + x2", &d));
		ck_assert_int_eq(d.n, 2);
		ck_assert_int_eq(d.v[1].col, 15);
		hr_diags_clear(&d);
	}
	ck_assert(boolean("s == \"say \\\"hi\\\"\"") == 0);
}
END_TEST

START_TEST(test_deep_nesting)
{
	static char buf[210000];
	struct hr_diags d = {NULL, 0};
	int i, k = 0;

	/* 64 levels are fine */
	for (i = 0; i < 62; i++)
		buf[k++] = '(';
	buf[k++] = '1';
	for (i = 0; i < 62; i++)
		buf[k++] = ')';
	buf[k] = '\0';
	ck_assert_double_eq(num(buf), 1);
	/* 8000 levels (the most HR_EXPR_MAX_LEN holds): an error, not a stack overflow */
	k = 0;
	for (i = 0; i < 8000; i++)
		buf[k++] = '(';
	buf[k++] = '1';
	for (i = 0; i < 8000; i++)
		buf[k++] = ')';
	buf[k] = '\0';
	load_error(buf, "nested deeper than 64", 0);
	k = 0;
	for (i = 0; i < 16000; i++)
		buf[k++] = '-';
	buf[k++] = '1';
	buf[k] = '\0';
	load_error(buf, "nested deeper than 64", 0);
	k = 0;
	for (i = 0; i < 4000; i++) {
		memcpy(buf + k, "not ", 4);
		k += 4;
	}
	memcpy(buf + k, "t", 2);
	load_error(buf, "nested deeper than 64", 0);
	/* a long flat chain builds a deep tree: also refused */
	k = 0;
	for (i = 0; i < 1000; i++) {
		memcpy(buf + k, "1 + ", 4);
		k += 4;
	}
	memcpy(buf + k, "1", 2);
	load_error(buf, "nested deeper than 64", 0);
	/* Longer than HR_EXPR_MAX_LEN: refused before lexing, at its start;
	 * exactly the bound (a number padded with blanks) is read. */
	memset(buf, ' ', HR_EXPR_MAX_LEN);
	buf[0] = '7';
	buf[HR_EXPR_MAX_LEN] = '\0';
	ck_assert_double_eq(num(buf), 7);
	memset(buf, ' ', 200000);
	buf[0] = '7';
	buf[200000] = '\0';
	load_error(buf, "expression of 200000 bytes, longer than the bound of 16384", 10);
	(void)d;
}
END_TEST

START_TEST(test_fill_and_print)
{
	struct hr_diags d = {NULL, 0};
	struct hr_xctx x;
	hr_expr *e = compile("a * b + net.ipv4.ip_local_port_range[1] + (net.ipv4.tcp_rto_max_ms ?? 3) + "
			     "(present(n) ? 1 : 0)",
			     &d);
	char *s, buf[64];

	ck_assert_ptr_nonnull(e);
	memset(&x, 0, sizeof(x));
	x.lookup = lookup;
	s = hr_expr_fill(e, &x);
	ck_assert_str_eq(s, "1 * 2 + 60999 + (missing ?? 3) + (present(n) ? 1 : 0)");
	free(s);
	hr_expr_free(e);
	ck_assert_str_eq(hr_num_shortest(buf, sizeof(buf), 0.1), "0.1");
	ck_assert_str_eq(hr_num_shortest(buf, sizeof(buf), 924.6), "924.6");
	ck_assert_str_eq(hr_num_shortest(buf, sizeof(buf), 1.0 / 3), "0.3333333333333333");
	ck_assert_str_eq(hr_num_shortest(buf, sizeof(buf), 65536), "65536");
	ck_assert_str_eq(hr_expr_source(e = compile("a+b", &d)), "a+b");
	hr_expr_free(e);
}
END_TEST

START_TEST(test_eval_speed)
{
	/* evaluation does not allocate: 200,000 evaluations, well under 10 us each
	 * even under valgrind (about 60 ns natively) */
	struct hr_diags d = {NULL, 0};
	struct hr_xctx x;
	hr_expr *e = compile("b > 0 ? min(a * 60s, net.ipv4.ip_local_port_range[1]) / b : null", &d);
	struct hr_xval v;
	double t0 = hr_now(), dt;
	int i, bad = 0;

	memset(&x, 0, sizeof(x));
	x.lookup = lookup;
	for (i = 0; i < 200000; i++)
		bad += hr_expr_eval(e, &x, &v) != 0; /* no ck_assert in the loop: it is slow */
	dt = hr_now() - t0;
	hr_expr_free(e);
	ck_assert_int_eq(bad, 0);
	ck_assert_double_eq(v.num, 30);
	printf("# 200,000 evaluations of a 12-node expression: %.3f s (%.0f ns each)\n", dt, dt / 0.2e-3);
	ck_assert(dt < 2.0);
}
END_TEST

static Suite *expr_suite(void)
{
	Suite *s = suite_create("expr");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_numbers_units);
	tcase_add_test(tc, test_return_codes);
	tcase_add_test(tc, test_precedence);
	tcase_add_test(tc, test_missing_short_circuit);
	tcase_add_test(tc, test_coalesce_null);
	tcase_add_test(tc, test_functions);
	tcase_add_test(tc, test_vectors);
	tcase_add_test(tc, test_kernel_versions);
	tcase_add_test(tc, test_type_errors);
	tcase_add_test(tc, test_division_by_zero);
	tcase_add_test(tc, test_syntax_errors);
	tcase_add_test(tc, test_deep_nesting);
	tcase_add_test(tc, test_fill_and_print);
	tcase_add_test(tc, test_eval_speed);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return hr_check_run(expr_suite());
}
