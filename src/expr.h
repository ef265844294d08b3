/* expr.h: the rule expression language (docs/RULES-FORMAT.md): lexer,
 * parser to a flat AST, name binding with load-time type checks, and a
 * cheap evaluator that runs the same AST many times without allocating.
 *
 * The evaluator knows nothing about facts: every name is resolved once at
 * load time by the caller's resolver into (kind, slot), and at evaluation
 * time looked up through the caller's lookup callback. */
#ifndef HR_EXPR_H
#define HR_EXPR_H

#include "diag.h"
#include "headroom.h"

/* Nesting limit: parentheses, calls, unary operators, operator chains. */
#define HR_EXPR_MAX_DEPTH 64

/* Value types at evaluation time. MISSING carries the fact (str) and why. */
enum hr_xtype { HR_X_MISSING = 0, HR_X_NULL, HR_X_NUM, HR_X_BOOL, HR_X_STR };

/* One value; strings are borrowed (from the AST, the facts model or static). */
struct hr_xval {
	enum hr_xtype t;
	bool version;       /* HR_X_STR holding a kernel release: compares as a version */
	double num;         /* HR_X_NUM; HR_X_BOOL 0/1 */
	const char *str;    /* HR_X_STR text; HR_X_MISSING: the missing fact's name */
	const char *why;    /* HR_X_MISSING: the reason ("absent on this kernel") */
	const char *source; /* where a looked-up value came from, when known */
};

/* Static types for load-time checks; ANY when only evaluation can tell. */
enum hr_stype { HR_S_ANY = 0, HR_S_NUM, HR_S_BOOL, HR_S_STR, HR_S_NULL, HR_S_VERSION };

typedef struct hr_expr hr_expr;

/* Parses src once. file/line/col locate the first character of src (for
 * messages "file:line:col"); the file string is copied. On a syntax error
 * returns NULL and adds a diagnostic with the exact column. */
hr_expr *hr_expr_parse(const char *src, const char *file, int line, int col, struct hr_diags *d);
void hr_expr_free(hr_expr *e);
/* The source text (borrowed). */
const char *hr_expr_source(const hr_expr *e);
/* Where the expression starts: file (borrowed), line, column. */
void hr_expr_where(const hr_expr *e, const char **file, int *line, int *col);

/* Resolves a name for binding: sets *kind (> 0, caller-defined), *slot and
 * *stype; returns 0, or -errno (-ENOENT: no such name, -EINVAL: not usable
 * here) with msg filled ("unknown fact 'x'"). indexed is true when the name
 * is followed by [i]. */
typedef int (*hr_expr_resolver)(void *ud, const char *name, bool indexed, int *kind, int *slot,
				enum hr_stype *stype, char *msg, size_t n);

/* Binds every name of e through resolve and type-checks the tree. Returns
 * the static type of e (enum hr_stype, >= 0), or -EBADMSG after adding
 * diagnostics (every error found). */
int hr_expr_bind(hr_expr *e, hr_expr_resolver resolve, void *ud, struct hr_diags *d);

/* Calls fn for each name reference in e (after binding), in source order. */
void hr_expr_foreach_name(const hr_expr *e, void (*fn)(void *ud, const char *name, int kind, int slot),
			  void *ud);
/* True when e is a single name (optionally indexed); *name gets it (borrowed). */
bool hr_expr_is_name(const hr_expr *e, const char **name);

/* Evaluation context. lookup returns 0 with *out set (possibly MISSING),
 * or -errno after calling hr_xctx_fail(). */
struct hr_xctx {
	int (*lookup)(struct hr_xctx *x, int kind, int slot, const char *name, int index,
		      struct hr_xval *out);
	void *ud;
	/* Optional fast path: names bound to kind direct_kind with slot <
	 * *ndirect are read from direct[slot] without calling lookup. */
	int direct_kind;
	const struct hr_xval *direct;
	const size_t *ndirect;
	bool failed;
	char err[512]; /* "division by zero at rules/x.yaml:12:20" */
};

/* Records an evaluation error (first one wins). */
void hr_xctx_fail(struct hr_xctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Evaluates e. Returns 0 with *out (MISSING when a fact was missing and not
 * caught by ??, present() or short-circuit), or -errno with x->err set:
 * -EINVAL a value of the wrong type, -EDOM no numeric result (division by
 * zero, log2 of 0), or the lookup's own -errno. */
int hr_expr_eval(const hr_expr *e, struct hr_xctx *x, struct hr_xval *out);

/* The truth of v as a condition (null is false): returns 0 with *truth
 * set, -ENODATA when v is MISSING (cannot decide; *truth unchanged), or
 * -EINVAL on a type error (a number or a string; x->err set, located at e). */
int hr_xval_truth(const struct hr_xval *v, struct hr_xctx *x, const hr_expr *e, bool *truth);

/* The source with every name replaced by its current value, e.g.
 * "rate_per_s * hold_s" -> "120 * 60" (fractions to 6 significant digits).
 * Owned string, NULL on ENOMEM.
 * Lookup errors show as "?". */
char *hr_expr_fill(const hr_expr *e, struct hr_xctx *x);

/* Formats a value for people: numbers in their shortest exact form, strings
 * as is, null "null", missing "missing (why)". Returns buf. */
char *hr_xval_str(const struct hr_xval *v, char *buf, size_t n);
/* Shortest decimal text that reads back as exactly v. Returns buf. */
char *hr_num_shortest(char *buf, size_t n, double v);

#endif
