/* expr-parse.c: the expression language's recursive-descent parser: builds
 * the flat node array of an hr_expr from the tokens, with the nesting limit;
 * and the table of built-in functions it checks calls against.
 * Owns: hr_expr_parse, hr_expr_free, hr_expr_source, hr_expr_where,
 * hr_expr_fns. May call: the lexer (hr_expr_lex, hr_expr_perr; expr-int.h). */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "expr-int.h"

const struct hr_expr_fn hr_expr_fns[F_COUNT] = {
	[F_MIN] = {"min", 1, -1},     [F_MAX] = {"max", 1, -1},   [F_LOG2] = {"log2", 1, 1},
	[F_FLOOR] = {"floor", 1, 1},  [F_CEIL] = {"ceil", 1, 1},  [F_ROUND] = {"round", 1, 1},
	[F_ABS] = {"abs", 1, 1},      [F_POW] = {"pow", 2, 2},    [F_PRESENT] = {"present", 1, 1},
	[F_CLAMP] = {"clamp", 3, 3},
};

/* Appends a node; returns its index, or -ENOMEM, or -EBADMSG (too deep, or
 * an error was already reported). Every parse_* function returns a node
 * index or -errno the same way, with the error reported by hr_expr_perr. */
static int mk(struct parser *p, enum op op, int start, int end, int a, int b, int c)
{
	hr_expr *e = p->e;
	struct node *n;
	int depth = 0, k;
	int kids[3] = {a, b, c};

	if (p->failed)
		return -EBADMSG;
	if (e->nn == e->capn) {
		int ncap = e->capn ? e->capn * 2 : 8;
		struct node *nv = realloc(e->n, (size_t)ncap * sizeof(*nv));

		if (!nv) {
			hr_expr_perr(p, start, "out of memory");
			return -ENOMEM;
		}
		e->n = nv;
		e->capn = ncap;
	}
	for (k = 0; k < 3 && op != N_CALL; k++)
		if (kids[k] >= 0 && e->n[kids[k]].depth > depth)
			depth = e->n[kids[k]].depth;
	if (op == N_CALL)
		for (k = 0; k < b; k++)
			if (e->n[e->args[a + k]].depth > depth)
				depth = e->n[e->args[a + k]].depth;
	if (depth + 1 > HR_EXPR_MAX_DEPTH) {
		hr_expr_perr(p, start, "expression nested deeper than %d levels", HR_EXPR_MAX_DEPTH);
		return -EBADMSG;
	}
	n = &e->n[e->nn];
	memset(n, 0, sizeof(*n));
	n->op = (uint8_t)op;
	n->depth = (uint8_t)(depth + 1);
	n->start = start;
	n->end = end;
	n->a = a;
	n->b = b;
	n->c = c;
	if (op == N_CALL) {
		n->nargs = b;
		n->b = -1;
	}
	return e->nn++;
}

static bool expect(struct parser *p, enum tok t, const char *what)
{
	if (p->t == t) {
		hr_expr_lex(p);
		return true;
	}
	if (p->t != T_ERR)
		hr_expr_perr(p, p->tstart, "expected %s %s, found %s", hr_expr_tok_names[t], what, hr_expr_tok_names[p->t]);
	return false;
}

static int parse_cond(struct parser *p);

/* Enters one nesting level; false (error recorded) beyond the limit. */
static bool enter(struct parser *p)
{
	if (++p->depth > HR_EXPR_MAX_DEPTH) {
		hr_expr_perr(p, p->tstart, "expression nested deeper than %d levels", HR_EXPR_MAX_DEPTH);
		return false;
	}
	return true;
}

static int parse_call(struct parser *p, int start, const char *name)
{
	int f = -1, args[64], na = 0, k;
	size_t i;

	for (i = 0; i < HR_ARRAY_SIZE(hr_expr_fns); i++)
		if (!strcmp(hr_expr_fns[i].name, name))
			f = (int)i;
	if (f < 0) {
		hr_expr_perr(p, start, "unknown function '%s'", name);
		return -EBADMSG;
	}
	hr_expr_lex(p); /* '(' */
	if (p->t != T_RP)
		for (;;) {
			int a = parse_cond(p);

			if (a < 0)
				return a;
			if (na == (int)HR_ARRAY_SIZE(args)) {
				hr_expr_perr(p, p->e->n[a].start, "too many arguments");
				return -EBADMSG;
			}
			args[na++] = a;
			if (p->t != T_COMMA)
				break;
			hr_expr_lex(p);
		}
	if (p->t != T_RP) {
		expect(p, T_RP, "after the arguments");
		return -EBADMSG;
	}
	if (na < hr_expr_fns[f].min || (hr_expr_fns[f].max >= 0 && na > hr_expr_fns[f].max)) {
		hr_expr_perr(p, start, "%s() takes %d%s argument%s, got %d", name, hr_expr_fns[f].min,
		     hr_expr_fns[f].max < 0 ? " or more" : "", hr_expr_fns[f].min == 1 ? "" : "s", na);
		return -EBADMSG;
	}
	if (f == F_PRESENT && p->e->n[args[0]].op != N_NAME) {
		hr_expr_perr(p, p->e->n[args[0]].start, "present() takes a fact name");
		return -EBADMSG;
	}
	if (p->e->nargsv + na > p->e->capargs) {
		int ncap = (p->e->nargsv + na) * 2;
		int *nv = realloc(p->e->args, (size_t)ncap * sizeof(*nv));

		if (!nv) {
			hr_expr_perr(p, start, "out of memory");
			return -ENOMEM;
		}
		p->e->args = nv;
		p->e->capargs = ncap;
	}
	for (k = 0; k < na; k++)
		p->e->args[p->e->nargsv + k] = args[k];
	k = mk(p, N_CALL, start, p->tend, p->e->nargsv, na, -1);
	if (k < 0)
		return k;
	p->e->nargsv += na;
	p->e->n[k].sub = (uint8_t)f;
	hr_expr_lex(p); /* ')' */
	return k;
}

static int parse_primary(struct parser *p)
{
	int start = p->tstart, end = p->tend, k;

	switch (p->t) {
	case T_NUM:
	case T_INF:
		k = mk(p, N_NUM, start, end, -1, -1, -1);
		if (k >= 0)
			p->e->n[k].num = p->t == T_INF ? INFINITY : p->tnum;
		hr_expr_lex(p);
		return k;
	case T_TRUE:
	case T_FALSE:
		k = mk(p, N_BOOL, start, end, -1, -1, -1);
		if (k >= 0)
			p->e->n[k].num = p->t == T_TRUE;
		hr_expr_lex(p);
		return k;
	case T_NULL:
		k = mk(p, N_NULL, start, end, -1, -1, -1);
		hr_expr_lex(p);
		return k;
	case T_STR:
		k = mk(p, N_STR, start, end, -1, -1, -1);
		if (k >= 0) {
			p->e->n[k].str = p->tstr;
			p->tstr = NULL;
		}
		hr_expr_lex(p);
		return k;
	case T_NAME: {
		char *name = p->tstr;

		p->tstr = NULL;
		hr_expr_lex(p);
		if (p->t == T_LP) {
			k = parse_call(p, start, name);
			free(name);
			return k;
		}
		k = mk(p, N_NAME, start, end, -1, -1, -1);
		if (k < 0) {
			free(name);
			return k;
		}
		p->e->n[k].str = name;
		return k;
	}
	case T_LP:
		hr_expr_lex(p);
		k = parse_cond(p);
		if (k >= 0 && !expect(p, T_RP, "to close '('"))
			return -EBADMSG;
		return k;
	case T_ERR:
		return -EBADMSG;
	default:
		hr_expr_perr(p, start, "expected a value, found %s", hr_expr_tok_names[p->t]);
		return -EBADMSG;
	}
}

static int parse_postfix(struct parser *p)
{
	int k = parse_primary(p);

	while (k >= 0 && p->t == T_LB) {
		int start = p->tstart, idx;

		if (p->e->n[k].op != N_NAME || p->e->n[k].b >= 0) {
			hr_expr_perr(p, start, "only a fact name can be indexed ([i] selects a field of a vector sysctl)");
			return -EBADMSG;
		}
		hr_expr_lex(p);
		if (!enter(p))
			return -EBADMSG;
		idx = parse_cond(p);
		p->depth--;
		if (idx < 0)
			return idx;
		if (p->t != T_RB) {
			expect(p, T_RB, "to close '['");
			return -EBADMSG;
		}
		p->e->n[k].b = idx;
		p->e->n[k].end = p->tend;
		hr_expr_lex(p);
	}
	return k;
}

/* Reads a prefix operator ('-', 'not') and its operand, parsed by sub one
 * nesting level deeper; returns the operand's node or -errno. */
static int parse_prefixed(struct parser *p, int (*sub)(struct parser *))
{
	int k;

	hr_expr_lex(p);
	if (!enter(p))
		return -EBADMSG;
	k = sub(p);
	p->depth--;
	return k;
}

static int parse_unary(struct parser *p)
{
	int start = p->tstart, k;

	if (p->t != T_MINUS)
		return parse_postfix(p);
	if ((k = parse_prefixed(p, parse_unary)) < 0)
		return k;
	/* Fold "-5" into a literal so "-5s" stays a number. */
	if (p->e->n[k].op == N_NUM && p->e->n[k].start == start + 1) {
		p->e->n[k].num = -p->e->n[k].num;
		p->e->n[k].start = start;
		return k;
	}
	return mk(p, N_NEG, start, p->e->n[k].end, k, -1, -1);
}

/* Left-associative binary levels: ops lists the tokens of the level. */
static int parse_binary(struct parser *p, int level);

static const enum tok levels[][4] = {
	{T_PLUS, T_MINUS, T_EOF, T_EOF},
	{T_STAR, T_SLASH, T_PCT, T_EOF},
};

static int parse_level(struct parser *p, int level)
{
	return level < (int)HR_ARRAY_SIZE(levels) ? parse_binary(p, level) : parse_unary(p);
}

static int parse_binary(struct parser *p, int level)
{
	int l = parse_level(p, level + 1);

	for (;;) {
		enum tok t = p->t;
		int k, r;

		if (l < 0)
			return l;
		for (k = 0; k < 4 && levels[level][k] != T_EOF; k++)
			if (levels[level][k] == t)
				break;
		if (k == 4 || levels[level][k] == T_EOF)
			return l;
		hr_expr_lex(p);
		r = parse_level(p, level + 1);
		if (r < 0)
			return r;
		k = mk(p, N_BIN, p->e->n[l].start, p->e->n[r].end, l, r, -1);
		if (k < 0)
			return k;
		p->e->n[k].sub = (uint8_t)t;
		l = k;
	}
}

static int parse_cmp(struct parser *p)
{
	int l = parse_binary(p, 0), r, k;
	enum tok t = p->t;

	if (l < 0 || !hr_expr_is_cmp(t))
		return l;
	hr_expr_lex(p);
	r = parse_binary(p, 0);
	if (r < 0)
		return r;
	if (hr_expr_is_cmp(p->t)) {
		hr_expr_perr(p, p->tstart, "comparisons do not chain (write 'a < b and b < c')");
		return -EBADMSG;
	}
	k = mk(p, N_BIN, p->e->n[l].start, p->e->n[r].end, l, r, -1);
	if (k >= 0)
		p->e->n[k].sub = (uint8_t)t;
	return k;
}

static int parse_not(struct parser *p)
{
	int start = p->tstart, k;

	if (p->t != T_NOT)
		return parse_cmp(p);
	if ((k = parse_prefixed(p, parse_not)) < 0)
		return k;
	return mk(p, N_NOT, start, p->e->n[k].end, k, -1, -1);
}

/* and / or / ?? chains, lowest first: ??, or, and. */
static int parse_logic(struct parser *p, enum tok t)
{
	enum tok next = t == T_COAL ? T_OR : t == T_OR ? T_AND : T_EOF;
	enum op op = t == T_COAL ? N_COAL : t == T_OR ? N_OR : N_AND;
	int l = next == T_EOF ? parse_not(p) : parse_logic(p, next);

	while (l >= 0 && p->t == t) {
		int r;

		hr_expr_lex(p);
		r = next == T_EOF ? parse_not(p) : parse_logic(p, next);
		if (r < 0)
			return r;
		l = mk(p, op, p->e->n[l].start, p->e->n[r].end, l, r, -1);
	}
	return l;
}

static int parse_cond(struct parser *p)
{
	int c, a, b, k;

	if (!enter(p))
		return -EBADMSG;
	c = parse_logic(p, T_COAL);
	if (c >= 0 && p->t == T_QUEST) {
		hr_expr_lex(p);
		a = parse_cond(p);
		if (a < 0 || !expect(p, T_COLON, "in 'c ? a : b'")) {
			p->depth--;
			return a < 0 ? a : -EBADMSG;
		}
		b = parse_cond(p);
		k = b < 0 ? b : mk(p, N_COND, p->e->n[c].start, p->e->n[b].end, a, b, c);
		p->depth--;
		return k;
	}
	p->depth--;
	return c;
}

hr_expr *hr_expr_parse(const char *src, const char *file, int line, int col, struct hr_diags *d)
{
	struct parser p;
	hr_expr *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->src = strdup(src);
	e->file = strdup(file ? file : "<expr>");
	e->line = line;
	e->col = col;
	e->root = -1;
	memset(&p, 0, sizeof(p));
	p.e = e;
	p.s = e->src;
	p.d = d;
	if (!e->src || !e->file) {
		hr_expr_free(e);
		return NULL;
	}
	if (strlen(src) > HR_EXPR_MAX_LEN) {
		/* Checked before lexing: parsing time and node count grow with it. */
		hr_expr_perr(&p, 0, "expression of %zu bytes, longer than the bound of %d", strlen(src),
			     HR_EXPR_MAX_LEN);
		hr_expr_free(e);
		return NULL;
	}
	hr_expr_lex(&p);
	if (p.t == T_EOF && !p.failed)
		hr_expr_perr(&p, 0, "empty expression");
	else
		e->root = parse_cond(&p);
	if (e->root >= 0 && p.t != T_EOF)
		hr_expr_perr(&p, p.tstart, "unexpected %s after the expression", hr_expr_tok_names[p.t]);
	free(p.tstr);
	if (p.failed || e->root < 0) {
		hr_expr_free(e);
		return NULL;
	}
	return e;
}

void hr_expr_free(hr_expr *e)
{
	int i;

	if (!e)
		return;
	for (i = 0; i < e->nn; i++)
		free(e->n[i].str);
	free(e->n);
	free(e->args);
	free(e->src);
	free(e->file);
	free(e);
}

const char *hr_expr_source(const hr_expr *e)
{
	return e->src;
}

void hr_expr_where(const hr_expr *e, const char **file, int *line, int *col)
{
	*file = e->file;
	*line = e->line;
	*col = e->col;
}

