/* expr-int.h: internals shared by the expression language's files
 * (expr-lex.c, expr-parse.c, expr-bind.c, expr-eval.c, expr-print.c): the
 * token and node kinds, the flat AST, the parser state and the tables of
 * tokens and built-in functions. Not for use outside src/expr-*.c. */
#ifndef HR_EXPR_INT_H
#define HR_EXPR_INT_H

#include "expr.h"

/* Tokens. */
enum tok {
	T_EOF, T_NUM, T_STR, T_NAME, T_LP, T_RP, T_LB, T_RB, T_COMMA, T_QUEST, T_COLON, T_COAL,
	T_OR, T_AND, T_NOT, T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE, T_PLUS, T_MINUS, T_STAR, T_SLASH,
	T_PCT, T_TRUE, T_FALSE, T_NULL, T_INF, T_ERR,
};

/* Node kinds. */
enum op { N_NUM, N_STR, N_BOOL, N_NULL, N_NAME, N_NEG, N_NOT, N_BIN, N_AND, N_OR, N_COAL, N_COND, N_CALL };

/* Built-in functions (the table is hr_expr_fns, in expr-parse.c). */
enum fn { F_MIN, F_MAX, F_LOG2, F_FLOOR, F_CEIL, F_ROUND, F_ABS, F_POW, F_PRESENT, F_CLAMP, F_COUNT };

/* One built-in function's name and argument counts (max -1: any). */
struct hr_expr_fn {
	const char *name;
	int min, max;
};
extern const struct hr_expr_fn hr_expr_fns[F_COUNT];

struct node {
	uint8_t op, sub, stype, depth;
	int start, end; /* source span [start, end) */
	int a, b, c;    /* children, -1 when none; N_CALL: args[a .. a + nargs) */
	int nargs;
	int kind, slot; /* N_NAME after binding */
	double num;
	char *str;      /* N_NAME name, N_STR text (owned) */
};

struct hr_expr {
	char *src, *file;
	int line, col;
	struct node *n;
	int nn, capn;
	int *args;
	int nargsv, capargs;
	int root;
};

/* Parser state: the expression being built and the current token. */
struct parser {
	hr_expr *e;
	const char *s;
	int pos;           /* next character to lex */
	enum tok t;        /* current token */
	int tstart, tend;  /* its span */
	double tnum;
	char *tstr;        /* T_NAME / T_STR text (owned until taken) */
	int depth;
	bool failed;
	struct hr_diags *d;
};

/* How each token is named in messages (expr-lex.c). */
extern const char *const hr_expr_tok_names[T_ERR + 1];

/* Adds a located error for offset off of the expression (first one only). */
void hr_expr_perr(struct parser *p, int off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Reads the next token into p->t. */
void hr_expr_lex(struct parser *p);

/* The text of an operator token, for messages. */
static inline const char *hr_expr_op_text(int t)
{
	return hr_expr_tok_names[t];
}

/* True for the comparison operators (a node's sub of N_BIN or a token). */
static inline bool hr_expr_is_cmp(enum tok t)
{
	return t == T_EQ || t == T_NE || t == T_LT || t == T_LE || t == T_GT || t == T_GE;
}

/* Looks up name node i of e (with its index, if any); expr-eval.c. */
int hr_expr_eval_name(const hr_expr *e, int i, struct hr_xctx *x, struct hr_xval *out);

#endif
