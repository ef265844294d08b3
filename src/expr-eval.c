/* expr-eval.c: the expression evaluator: runs a bound AST over the caller's
 * lookup callback without allocating (arithmetic, comparisons with versions,
 * short-circuit logic, ?? and the built-in functions), with located errors.
 * Owns: hr_expr_eval, hr_expr_eval_name, hr_xctx_fail, hr_xval_truth. May
 * call: expr-int.h, and facts.c's hr_kernel_version_cmp (version compares). */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "expr-int.h"
#include "facts.h"

void hr_xctx_fail(struct hr_xctx *x, const char *fmt, ...)
{
	va_list ap;

	if (x->failed)
		return;
	x->failed = true;
	va_start(ap, fmt);
	vsnprintf(x->err, sizeof(x->err), fmt, ap);
	va_end(ap);
}

/* Records an error located at node i of e; returns err (-EINVAL: a value
 * of the wrong type, -EDOM: no numeric result, or a lookup's -errno). */
static int fail_at(struct hr_xctx *x, const hr_expr *e, int i, int err, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int fail_at(struct hr_xctx *x, const hr_expr *e, int i, int err, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	hr_xctx_fail(x, "%s at %s:%d:%d", msg, e->file, e->line, e->col + e->n[i].start);
	return err;
}

static const char *vtype_word(enum hr_xtype t)
{
	switch (t) {
	case HR_X_NUM: return "a number";
	case HR_X_BOOL: return "a condition";
	case HR_X_STR: return "a string";
	case HR_X_NULL: return "null";
	default: return "missing";
	}
}

static int ev(const hr_expr *e, int i, struct hr_xctx *x, struct hr_xval *out);

/* A condition's three values (missing: cannot decide). */
enum { TV_FALSE = 0, TV_TRUE = 1, TV_MISSING = 2 };

/* Truth of a value as a condition: TV_TRUE, TV_FALSE, TV_MISSING, or
 * -EINVAL (not a condition; x->err set). */
static int truth(const hr_expr *e, int i, struct hr_xctx *x, const struct hr_xval *v)
{
	switch (v->t) {
	case HR_X_BOOL: return v->num != 0 ? TV_TRUE : TV_FALSE;
	case HR_X_NULL: return TV_FALSE;
	case HR_X_MISSING: return TV_MISSING;
	default: return fail_at(x, e, i, -EINVAL, "a condition is %s here (use a comparison)", vtype_word(v->t));
	}
}

int hr_xval_truth(const struct hr_xval *v, struct hr_xctx *x, const hr_expr *e, bool *t)
{
	int r = truth(e, e->root, x, v);

	if (r < 0)
		return r;
	if (r == TV_MISSING)
		return -ENODATA;
	*t = r == TV_TRUE;
	return 0;
}

static void set_num(struct hr_xval *v, double n)
{
	v->t = HR_X_NUM;
	v->num = n;
	v->version = false;
	v->source = NULL;
}

static void set_bool(struct hr_xval *v, bool b)
{
	v->t = HR_X_BOOL;
	v->num = b;
	v->version = false;
	v->source = NULL;
}

static void set_null(struct hr_xval *v)
{
	v->t = HR_X_NULL;
	v->source = NULL;
}

/* Adds the location of node i to the message of a failed lookup (its
 * -errno err is returned). Not inlined: its buffer would make every
 * evaluation frame large. */
static __attribute__((noinline)) int lookup_failed(const hr_expr *e, int i, struct hr_xctx *x, int err)
{
	char msg[sizeof(x->err)];

	memcpy(msg, x->err, sizeof(msg));
	x->failed = false;
	return fail_at(x, e, i, err, "%s", msg);
}

/* Looks up a name node (with its index, if any). */
int hr_expr_eval_name(const hr_expr *e, int i, struct hr_xctx *x, struct hr_xval *out)
{
	const struct node *n = &e->n[i];
	int index = -1, r;

	if (n->b >= 0) {
		struct hr_xval iv;

		if ((r = ev(e, n->b, x, &iv)) < 0)
			return r;
		if (iv.t == HR_X_MISSING) {
			*out = iv;
			return 0;
		}
		if (iv.t != HR_X_NUM || iv.num < 0 || iv.num != floor(iv.num) || iv.num > 64)
			return fail_at(x, e, n->b, -EINVAL, "index of %s must be a whole number from 0, not %s", n->str,
				       iv.t == HR_X_NUM ? "that" : vtype_word(iv.t));
		index = (int)iv.num;
	}
	/* The common case, values the caller keeps in an array (let names). */
	if (n->kind == x->direct_kind && index < 0 && x->ndirect && (size_t)n->slot < *x->ndirect) {
		*out = x->direct[n->slot];
		return 0;
	}
	memset(out, 0, sizeof(*out));
	if ((r = x->lookup(x, n->kind, n->slot, n->str, index, out)) < 0)
		return lookup_failed(e, i, x, r);
	return 0;
}

/* Compares a and b for node op t; sets out to a bool (or missing). */
static int ev_cmp(const hr_expr *e, int i, struct hr_xctx *x, int t, const struct hr_xval *a,
		  const struct hr_xval *b, struct hr_xval *out)
{
	double c;

	if (a->t == HR_X_MISSING || b->t == HR_X_MISSING) {
		*out = a->t == HR_X_MISSING ? *a : *b;
		return 0;
	}
	if (a->t == HR_X_NULL || b->t == HR_X_NULL) {
		bool both = a->t == b->t;

		set_bool(out, t == T_EQ ? both : t == T_NE ? !both : false);
		return 0;
	}
	if ((a->version && b->t == HR_X_STR) || (b->version && a->t == HR_X_STR)) {
		bool ok;
		int r = a->version ? hr_kernel_version_cmp(a->str, b->str, &ok)
				   : -hr_kernel_version_cmp(b->str, a->str, &ok);

		if (!ok)
			return fail_at(x, e, i, -EINVAL, "cannot compare kernel versions '%s' and '%s'", a->str, b->str);
		c = r;
	} else if (a->t == HR_X_STR && b->t == HR_X_STR) {
		if (t != T_EQ && t != T_NE)
			return fail_at(x, e, i, -EINVAL, "strings compare only with == and !=");
		c = strcmp(a->str, b->str);
	} else if (a->t == HR_X_STR || b->t == HR_X_STR) {
		return fail_at(x, e, i, -EINVAL, "cannot compare %s with %s", vtype_word(a->t), vtype_word(b->t));
	} else if ((a->t == HR_X_BOOL || b->t == HR_X_BOOL) && t != T_EQ && t != T_NE) {
		return fail_at(x, e, i, -EINVAL, "%s needs numbers, not a condition", hr_expr_op_text(t));
	} else {
		c = a->num < b->num ? -1 : a->num > b->num ? 1 : 0;
		if (isnan(a->num) || isnan(b->num))
			c = NAN;
	}
	switch (t) {
	case T_EQ: set_bool(out, c == 0); break;
	case T_NE: set_bool(out, c != 0); break;
	case T_LT: set_bool(out, c < 0); break;
	case T_LE: set_bool(out, c <= 0); break;
	case T_GT: set_bool(out, c > 0); break;
	default: set_bool(out, c >= 0); break;
	}
	return 0;
}

/* Checks a value for arithmetic: 0 when it is a number, or when it is
 * missing or null (then *done: out is that value, the result); -EINVAL
 * otherwise (x->err set). */
static int arith_arg(const hr_expr *e, int i, struct hr_xctx *x, const char *what,
		     const struct hr_xval *v, struct hr_xval *out, bool *done)
{
	*done = false;
	if (v->t == HR_X_NUM)
		return 0;
	if (v->t == HR_X_MISSING || v->t == HR_X_NULL) {
		*out = *v;
		*done = true;
		return 0;
	}
	return fail_at(x, e, i, -EINVAL, "%s needs numbers, not %s", what, vtype_word(v->t));
}

/* Not inlined: its argument array would make every ev() frame large. */
static __attribute__((noinline)) int ev_call(const hr_expr *e, int i, struct hr_xctx *x, struct hr_xval *out)
{
	const struct node *n = &e->n[i];
	double v[64], r;
	bool done;
	int k, rc;

	if (n->sub == F_PRESENT) {
		if ((rc = ev(e, e->args[n->a], x, out)) < 0)
			return rc;
		set_bool(out, out->t != HR_X_MISSING);
		return 0;
	}
	for (k = 0; k < n->nargs; k++) {
		struct hr_xval a;
		int ai = e->args[n->a + k];

		if ((rc = ev(e, ai, x, &a)) < 0 ||
		    (rc = arith_arg(e, ai, x, hr_expr_fns[n->sub].name, &a, out, &done)) < 0 || done)
			return rc;
		v[k] = a.num;
	}
	switch (n->sub) {
	case F_MIN:
	case F_MAX:
		r = v[0];
		for (k = 1; k < n->nargs; k++)
			r = n->sub == F_MIN ? fmin(r, v[k]) : fmax(r, v[k]);
		break;
	case F_LOG2:
		if (!(v[0] > 0))
			return fail_at(x, e, i, -EDOM, "log2() of a number <= 0");
		r = log2(v[0]);
		break;
	case F_FLOOR: r = floor(v[0]); break;
	case F_CEIL: r = ceil(v[0]); break;
	case F_ROUND: r = round(v[0]); break;
	case F_ABS: r = fabs(v[0]); break;
	case F_POW: r = pow(v[0], v[1]); break;
	default: /* F_CLAMP */
		if (v[1] > v[2])
			return fail_at(x, e, i, -EDOM, "clamp(): low bound above high bound");
		r = v[0] < v[1] ? v[1] : v[0] > v[2] ? v[2] : v[0];
	}
	if (isnan(r))
		return fail_at(x, e, i, -EDOM, "%s() has no numeric result here", hr_expr_fns[n->sub].name);
	set_num(out, r);
	return 0;
}

static int ev(const hr_expr *e, int i, struct hr_xctx *x, struct hr_xval *out)
{
	const struct node *n = &e->n[i];
	struct hr_xval a, b;
	bool done;
	int ta, tb, rc;

	switch (n->op) {
	case N_NUM:
		set_num(out, n->num);
		return 0;
	case N_BOOL:
		set_bool(out, n->num != 0);
		return 0;
	case N_NULL:
		set_null(out);
		return 0;
	case N_STR:
		out->t = HR_X_STR;
		out->str = n->str;
		out->version = false;
		out->source = NULL;
		return 0;
	case N_NAME:
		return hr_expr_eval_name(e, i, x, out);
	case N_NEG:
		if ((rc = ev(e, n->a, x, &a)) < 0 || (rc = arith_arg(e, n->a, x, "'-'", &a, out, &done)) < 0 || done)
			return rc;
		set_num(out, -a.num);
		return 0;
	case N_NOT:
		if ((rc = ev(e, n->a, x, &a)) < 0 || (rc = ta = truth(e, n->a, x, &a)) < 0)
			return rc;
		if (ta == TV_MISSING)
			*out = a;
		else
			set_bool(out, !ta);
		return 0;
	case N_AND:
	case N_OR: {
		/* Short-circuit with three values: a missing side only matters
		 * when the other side does not decide the result. */
		bool decide = n->op == N_OR; /* the value that decides alone */

		if ((rc = ev(e, n->a, x, &a)) < 0 || (rc = ta = truth(e, n->a, x, &a)) < 0)
			return rc;
		if (ta == (int)decide) {
			set_bool(out, decide);
			return 0;
		}
		if ((rc = ev(e, n->b, x, &b)) < 0 || (rc = tb = truth(e, n->b, x, &b)) < 0)
			return rc;
		if (tb == (int)decide)
			set_bool(out, decide);
		else if (ta == TV_MISSING)
			*out = a;
		else if (tb == TV_MISSING)
			*out = b;
		else
			set_bool(out, !decide);
		return 0;
	}
	case N_COAL:
		if ((rc = ev(e, n->a, x, out)) < 0)
			return rc;
		if (out->t == HR_X_MISSING || out->t == HR_X_NULL)
			return ev(e, n->b, x, out);
		return 0;
	case N_COND:
		if ((rc = ev(e, n->c, x, &a)) < 0 || (rc = ta = truth(e, n->c, x, &a)) < 0)
			return rc;
		if (ta == TV_MISSING) {
			*out = a;
			return 0;
		}
		return ev(e, ta ? n->a : n->b, x, out);
	case N_CALL:
		return ev_call(e, i, x, out);
	default: /* N_BIN */
		if ((rc = ev(e, n->a, x, &a)) < 0 || (rc = ev(e, n->b, x, &b)) < 0)
			return rc;
		if (hr_expr_is_cmp(n->sub))
			return ev_cmp(e, i, x, n->sub, &a, &b, out);
		if (a.t == HR_X_MISSING || b.t == HR_X_MISSING) {
			*out = a.t == HR_X_MISSING ? a : b;
			return 0;
		}
		if ((rc = arith_arg(e, n->a, x, hr_expr_op_text(n->sub), &a, out, &done)) < 0 || done ||
		    (rc = arith_arg(e, n->b, x, hr_expr_op_text(n->sub), &b, out, &done)) < 0 || done)
			return rc;
		switch (n->sub) {
		case T_PLUS: set_num(out, a.num + b.num); break;
		case T_MINUS: set_num(out, a.num - b.num); break;
		case T_STAR: set_num(out, a.num * b.num); break;
		case T_SLASH:
			if (b.num == 0)
				return fail_at(x, e, n->b, -EDOM, "division by zero");
			set_num(out, a.num / b.num);
			break;
		default:
			if (b.num == 0)
				return fail_at(x, e, n->b, -EDOM, "division by zero (%%)");
			set_num(out, fmod(a.num, b.num));
		}
		return 0;
	}
}

int hr_expr_eval(const hr_expr *e, struct hr_xctx *x, struct hr_xval *out)
{
	memset(out, 0, sizeof(*out));
	return ev(e, e->root, x, out);
}

