/* expr-bind.c: binding of an expression's names through the caller's
 * resolver, with the load-time static type checks, and walks over the
 * bound names.
 * Owns: hr_expr_bind, hr_expr_foreach_name, hr_expr_is_name. May call:
 * expr-int.h (AST, token and function tables), hr_diags_add (diag.h). */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "expr-int.h"

static const char *stype_word(int t)
{
	switch (t) {
	case HR_S_NUM: return "a number";
	case HR_S_BOOL: return "a condition";
	case HR_S_STR: return "a string";
	case HR_S_VERSION: return "the kernel version";
	case HR_S_NULL: return "null";
	default: return "a value";
	}
}

struct binder {
	hr_expr *e;
	hr_expr_resolver resolve;
	void *ud;
	struct hr_diags *d;
	bool failed;
};

static void berr(struct binder *b, int off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void berr(struct binder *b, int off, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	b->failed = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	hr_diags_add(b->d, b->e->file, b->e->line, b->e->col + off, false, "%s", msg);
}

static bool numeric_ok(int t)
{
	return t == HR_S_NUM || t == HR_S_ANY || t == HR_S_NULL;
}

static bool cond_ok(int t)
{
	return t == HR_S_BOOL || t == HR_S_ANY || t == HR_S_NULL;
}

/* Binds names and returns the static type of node i (HR_S_ANY after an error). */
static int bind_node(struct binder *b, int i)
{
	struct node *n = &b->e->n[i];
	int ta, tb, k;

	switch (n->op) {
	case N_NUM: return n->stype = HR_S_NUM;
	case N_STR: return n->stype = HR_S_STR;
	case N_BOOL: return n->stype = HR_S_BOOL;
	case N_NULL: return n->stype = HR_S_NULL;
	case N_NAME: {
		char msg[400] = "";
		enum hr_stype st = HR_S_ANY;

		if (n->b >= 0) {
			tb = bind_node(b, n->b);
			n = &b->e->n[i];
			if (!numeric_ok(tb))
				berr(b, b->e->n[n->b].start, "an index must be a number, not %s", stype_word(tb));
		}
		if (b->resolve(b->ud, n->str, n->b >= 0, &n->kind, &n->slot, &st, msg, sizeof(msg)) < 0) {
			berr(b, n->start, "%s", msg);
			return n->stype = HR_S_ANY;
		}
		return n->stype = (uint8_t)st;
	}
	case N_NEG:
		ta = bind_node(b, n->a);
		if (!numeric_ok(ta))
			berr(b, n->start, "'-' needs a number, not %s", stype_word(ta));
		return b->e->n[i].stype = HR_S_NUM;
	case N_NOT:
		ta = bind_node(b, n->a);
		if (!cond_ok(ta))
			berr(b, n->start, "'not' needs a condition, not %s", stype_word(ta));
		return b->e->n[i].stype = HR_S_BOOL;
	case N_AND:
	case N_OR:
		ta = bind_node(b, n->a);
		tb = bind_node(b, b->e->n[i].b);
		n = &b->e->n[i];
		if (!cond_ok(ta))
			berr(b, b->e->n[n->a].start, "'%s' needs conditions, not %s",
			     n->op == N_AND ? "and" : "or", stype_word(ta));
		if (!cond_ok(tb))
			berr(b, b->e->n[n->b].start, "'%s' needs conditions, not %s",
			     n->op == N_AND ? "and" : "or", stype_word(tb));
		return n->stype = HR_S_BOOL;
	case N_COAL:
		ta = bind_node(b, n->a);
		tb = bind_node(b, b->e->n[i].b);
		return b->e->n[i].stype = (uint8_t)(ta == tb || ta == HR_S_NULL ? tb : tb == HR_S_NULL ? ta : HR_S_ANY);
	case N_COND:
		k = bind_node(b, n->c);
		if (!cond_ok(k))
			berr(b, b->e->n[b->e->n[i].c].start, "the condition of '?' must be a condition, not %s",
			     stype_word(k));
		ta = bind_node(b, b->e->n[i].a);
		tb = bind_node(b, b->e->n[i].b);
		return b->e->n[i].stype = (uint8_t)(ta == tb || ta == HR_S_NULL ? tb : tb == HR_S_NULL ? ta : HR_S_ANY);
	case N_CALL:
		for (k = 0; k < n->nargs; k++) {
			int arg = b->e->args[b->e->n[i].a + k];

			ta = bind_node(b, arg);
			if (b->e->n[i].sub != F_PRESENT && !numeric_ok(ta))
				berr(b, b->e->n[arg].start, "%s() needs numbers, not %s",
				     hr_expr_fns[b->e->n[i].sub].name, stype_word(ta));
		}
		return b->e->n[i].stype = b->e->n[i].sub == F_PRESENT ? HR_S_BOOL : HR_S_NUM;
	case N_BIN:
		ta = bind_node(b, n->a);
		tb = bind_node(b, b->e->n[i].b);
		n = &b->e->n[i];
		if (!hr_expr_is_cmp(n->sub)) {
			if (!numeric_ok(ta))
				berr(b, b->e->n[n->a].start, "%s needs numbers, not %s", hr_expr_op_text(n->sub), stype_word(ta));
			if (!numeric_ok(tb))
				berr(b, b->e->n[n->b].start, "%s needs numbers, not %s", hr_expr_op_text(n->sub), stype_word(tb));
			return n->stype = HR_S_NUM;
		}
		if (ta == HR_S_VERSION && tb == HR_S_STR)
			return n->stype = HR_S_BOOL;
		if (tb == HR_S_VERSION && ta == HR_S_STR)
			return n->stype = HR_S_BOOL;
		if ((ta == HR_S_VERSION || tb == HR_S_VERSION) && ta != HR_S_ANY && tb != HR_S_ANY &&
		    ta != HR_S_NULL && tb != HR_S_NULL)
			berr(b, n->start, "the kernel version compares with a string like \"4.12\", not %s",
			     stype_word(ta == HR_S_VERSION ? tb : ta));
		else if (((ta == HR_S_NUM || ta == HR_S_BOOL) && tb == HR_S_STR) ||
			 (ta == HR_S_STR && (tb == HR_S_NUM || tb == HR_S_BOOL)))
			berr(b, n->start, "cannot compare %s with %s", stype_word(ta), stype_word(tb));
		else if (n->sub != T_EQ && n->sub != T_NE &&
			 (ta == HR_S_BOOL || tb == HR_S_BOOL || (ta == HR_S_STR && tb == HR_S_STR)))
			berr(b, n->start, "%s needs numbers (or the kernel version), not %s", hr_expr_op_text(n->sub),
			     stype_word(ta == HR_S_BOOL || ta == HR_S_STR ? ta : tb));
		return n->stype = HR_S_BOOL;
	}
	return HR_S_ANY;
}

int hr_expr_bind(hr_expr *e, hr_expr_resolver resolve, void *ud, struct hr_diags *d)
{
	struct binder b = {e, resolve, ud, d, false};
	int t = bind_node(&b, e->root);

	return b.failed ? -EBADMSG : t;
}

void hr_expr_foreach_name(const hr_expr *e, void (*fn)(void *ud, const char *name, int kind, int slot),
			  void *ud)
{
	int i;

	for (i = 0; i < e->nn; i++)
		if (e->n[i].op == N_NAME)
			fn(ud, e->n[i].str, e->n[i].kind, e->n[i].slot);
}

bool hr_expr_is_name(const hr_expr *e, const char **name)
{
	if (e->n[e->root].op != N_NAME)
		return false;
	if (name)
		*name = e->n[e->root].str;
	return true;
}

