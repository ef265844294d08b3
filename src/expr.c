/* expr.c: the rule expression language: lexer, recursive-descent parser
 * into a flat node array, binding with static type checks, evaluator.
 * Grammar and semantics: docs/RULES-FORMAT.md, man/headroom-rules.5. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "facts.h"

/* Tokens. */
enum tok {
	T_EOF, T_NUM, T_STR, T_NAME, T_LP, T_RP, T_LB, T_RB, T_COMMA, T_QUEST, T_COLON, T_COAL,
	T_OR, T_AND, T_NOT, T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE, T_PLUS, T_MINUS, T_STAR, T_SLASH,
	T_PCT, T_TRUE, T_FALSE, T_NULL, T_INF, T_ERR,
};

/* Node kinds. */
enum op { N_NUM, N_STR, N_BOOL, N_NULL, N_NAME, N_NEG, N_NOT, N_BIN, N_AND, N_OR, N_COAL, N_COND, N_CALL };

enum fn { F_MIN, F_MAX, F_LOG2, F_FLOOR, F_CEIL, F_ROUND, F_ABS, F_POW, F_PRESENT, F_CLAMP };

static const struct {
	const char *name;
	int min, max; /* argument counts; max -1: any */
} fns[] = {
	[F_MIN] = {"min", 1, -1},     [F_MAX] = {"max", 1, -1},   [F_LOG2] = {"log2", 1, 1},
	[F_FLOOR] = {"floor", 1, 1},  [F_CEIL] = {"ceil", 1, 1},  [F_ROUND] = {"round", 1, 1},
	[F_ABS] = {"abs", 1, 1},      [F_POW] = {"pow", 2, 2},    [F_PRESENT] = {"present", 1, 1},
	[F_CLAMP] = {"clamp", 3, 3},
};

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

static const char *const tok_names[] = {
	[T_EOF] = "end of expression", [T_NUM] = "number", [T_STR] = "string", [T_NAME] = "name",
	[T_LP] = "'('", [T_RP] = "')'", [T_LB] = "'['", [T_RB] = "']'", [T_COMMA] = "','",
	[T_QUEST] = "'?'", [T_COLON] = "':'", [T_COAL] = "'?\?'", [T_OR] = "'or'", [T_AND] = "'and'",
	[T_NOT] = "'not'", [T_EQ] = "'=='", [T_NE] = "'!='", [T_LT] = "'<'", [T_LE] = "'<='",
	[T_GT] = "'>'", [T_GE] = "'>='", [T_PLUS] = "'+'", [T_MINUS] = "'-'", [T_STAR] = "'*'",
	[T_SLASH] = "'/'", [T_PCT] = "'%'", [T_TRUE] = "'true'", [T_FALSE] = "'false'",
	[T_NULL] = "'null'", [T_INF] = "'inf'", [T_ERR] = "invalid token",
};

/* Adds a located error for offset off of the expression (first one only). */
static void perr(struct parser *p, int off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void perr(struct parser *p, int off, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (p->failed)
		return;
	p->failed = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	hr_diags_add(p->d, p->e->file, p->e->line, p->e->col + off, false, "%s", msg);
}

/* ------------------------------------------------------------------ lexer */

static bool is_ident(int c)
{
	return isalnum(c) || c == '_';
}

/* Scales a number by the unit that follows it (no space); false when an
 * unknown suffix follows. */
static bool lex_unit(struct parser *p, double *v)
{
	static const struct {
		const char *u;
		double k;
	} units[] = {{"min", 60}, {"ms", 1e-3}, {"us", 1e-6}, {"s", 1}, {"h", 3600}, {"/s", 1}, {"%", 0.01}};
	const char *s = p->s + p->pos;
	size_t i;

	for (i = 0; i < HR_ARRAY_SIZE(units); i++) {
		size_t n = strlen(units[i].u);

		if (!strncmp(s, units[i].u, n) && !is_ident((unsigned char)s[n]) && s[n] != '.') {
			*v *= units[i].k;
			p->pos += (int)n;
			return true;
		}
	}
	return !is_ident((unsigned char)*s) && *s != '.';
}

/* Reads the next token into p->t. */
static void lex(struct parser *p)
{
	const char *s = p->s;
	int i;

	free(p->tstr);
	p->tstr = NULL;
	while (isspace((unsigned char)s[p->pos]))
		p->pos++;
	i = p->pos;
	p->tstart = i;
	if (!s[i]) {
		p->t = T_EOF;
		p->tend = i;
		return;
	}
	if (isdigit((unsigned char)s[i])) {
		char *end;

		p->tnum = strtod(s + i, &end);
		/* strtod also takes hex and "inf"; only plain decimals here. */
		if ((s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X'))) {
			p->t = T_ERR;
			p->tend = i + 2;
			perr(p, i, "hexadecimal numbers are not supported");
			return;
		}
		p->pos = (int)(end - s);
		if (!lex_unit(p, &p->tnum)) {
			int j = p->pos;

			while (is_ident((unsigned char)s[j]))
				j++;
			perr(p, p->pos, "unknown unit '%.*s' (units: s ms us min h /s %%)", j - p->pos,
			     s + p->pos);
			p->t = T_ERR;
			p->tend = j;
			return;
		}
		p->t = T_NUM;
		p->tend = p->pos;
		return;
	}
	if (isalpha((unsigned char)s[i]) || s[i] == '_') {
		static const struct {
			const char *w;
			enum tok t;
		} kw[] = {{"and", T_AND}, {"or", T_OR},     {"not", T_NOT}, {"true", T_TRUE},
			  {"false", T_FALSE}, {"null", T_NULL}, {"inf", T_INF}};
		int j = i;
		size_t k;

		for (;;) {
			while (is_ident((unsigned char)s[j]))
				j++;
			if (s[j] == '.' && is_ident((unsigned char)s[j + 1]))
				j++;
			else
				break;
		}
		p->pos = j;
		p->tend = j;
		for (k = 0; k < HR_ARRAY_SIZE(kw); k++)
			if ((int)strlen(kw[k].w) == j - i && !strncmp(s + i, kw[k].w, (size_t)(j - i))) {
				p->t = kw[k].t;
				return;
			}
		p->t = T_NAME;
		p->tstr = strndup(s + i, (size_t)(j - i));
		return;
	}
	if (s[i] == '"') {
		char *buf = malloc(strlen(s + i) + 1);
		int j = i + 1, o = 0;

		if (!buf) {
			perr(p, i, "out of memory");
			p->t = T_ERR;
			return;
		}
		while (s[j] && s[j] != '"') {
			if (s[j] == '\\' && (s[j + 1] == '"' || s[j + 1] == '\\'))
				j++;
			else if (s[j] == '\\') {
				free(buf);
				perr(p, j, "unknown escape '\\%c' in string (only \\\" and \\\\)", s[j + 1]);
				p->t = T_ERR;
				return;
			}
			buf[o++] = s[j++];
		}
		if (!s[j]) {
			free(buf);
			perr(p, i, "unterminated string");
			p->t = T_ERR;
			return;
		}
		buf[o] = '\0';
		p->t = T_STR;
		p->tstr = buf;
		p->pos = j + 1;
		p->tend = p->pos;
		return;
	}
	p->pos = i + 1;
	switch (s[i]) {
	case '(': p->t = T_LP; break;
	case ')': p->t = T_RP; break;
	case '[': p->t = T_LB; break;
	case ']': p->t = T_RB; break;
	case ',': p->t = T_COMMA; break;
	case ':': p->t = T_COLON; break;
	case '+': p->t = T_PLUS; break;
	case '-': p->t = T_MINUS; break;
	case '*': p->t = T_STAR; break;
	case '/': p->t = T_SLASH; break;
	case '%': p->t = T_PCT; break;
	case '?':
		p->t = T_QUEST;
		if (s[i + 1] == '?') {
			p->t = T_COAL;
			p->pos++;
		}
		break;
	case '=':
		if (s[i + 1] == '=') {
			p->t = T_EQ;
			p->pos++;
		} else {
			p->t = T_ERR;
			perr(p, i, "'=' is not an operator (use '==')");
		}
		break;
	case '!':
		if (s[i + 1] == '=') {
			p->t = T_NE;
			p->pos++;
		} else {
			p->t = T_ERR;
			perr(p, i, "'!' is not an operator (use 'not')");
		}
		break;
	case '<':
	case '>':
		p->t = s[i] == '<' ? T_LT : T_GT;
		if (s[i + 1] == '=') {
			p->t = s[i] == '<' ? T_LE : T_GE;
			p->pos++;
		}
		break;
	case '&':
	case '|':
		p->t = T_ERR;
		perr(p, i, "'%c' is not an operator (use '%s')", s[i], s[i] == '&' ? "and" : "or");
		break;
	default:
		p->t = T_ERR;
		if (isprint((unsigned char)s[i]))
			perr(p, i, "unexpected character '%c'", s[i]);
		else
			perr(p, i, "unexpected byte 0x%02x", (unsigned char)s[i]);
	}
	p->tend = p->pos;
}

/* ----------------------------------------------------------------- parser */

/* Appends a node; returns its index or -1 (ENOMEM, too deep). */
static int mk(struct parser *p, enum op op, int start, int end, int a, int b, int c)
{
	hr_expr *e = p->e;
	struct node *n;
	int depth = 0, k;
	int kids[3] = {a, b, c};

	if (p->failed)
		return -1;
	if (e->nn == e->capn) {
		int ncap = e->capn ? e->capn * 2 : 8;
		struct node *nv = realloc(e->n, (size_t)ncap * sizeof(*nv));

		if (!nv) {
			perr(p, start, "out of memory");
			return -1;
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
		perr(p, start, "expression nested deeper than %d levels", HR_EXPR_MAX_DEPTH);
		return -1;
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
		lex(p);
		return true;
	}
	if (p->t != T_ERR)
		perr(p, p->tstart, "expected %s %s, found %s", tok_names[t], what, tok_names[p->t]);
	return false;
}

static int parse_cond(struct parser *p);

/* Enters one nesting level; false (error recorded) beyond the limit. */
static bool enter(struct parser *p)
{
	if (++p->depth > HR_EXPR_MAX_DEPTH) {
		perr(p, p->tstart, "expression nested deeper than %d levels", HR_EXPR_MAX_DEPTH);
		return false;
	}
	return true;
}

static int parse_call(struct parser *p, int start, const char *name)
{
	int f = -1, args[64], na = 0, k;
	size_t i;

	for (i = 0; i < HR_ARRAY_SIZE(fns); i++)
		if (!strcmp(fns[i].name, name))
			f = (int)i;
	if (f < 0) {
		perr(p, start, "unknown function '%s'", name);
		return -1;
	}
	lex(p); /* '(' */
	if (p->t != T_RP)
		for (;;) {
			int a = parse_cond(p);

			if (a < 0)
				return -1;
			if (na == (int)HR_ARRAY_SIZE(args)) {
				perr(p, p->e->n[a].start, "too many arguments");
				return -1;
			}
			args[na++] = a;
			if (p->t != T_COMMA)
				break;
			lex(p);
		}
	if (p->t != T_RP) {
		expect(p, T_RP, "after the arguments");
		return -1;
	}
	if (na < fns[f].min || (fns[f].max >= 0 && na > fns[f].max)) {
		perr(p, start, "%s() takes %d%s argument%s, got %d", name, fns[f].min,
		     fns[f].max < 0 ? " or more" : "", fns[f].min == 1 ? "" : "s", na);
		return -1;
	}
	if (f == F_PRESENT && p->e->n[args[0]].op != N_NAME) {
		perr(p, p->e->n[args[0]].start, "present() takes a fact name");
		return -1;
	}
	if (p->e->nargsv + na > p->e->capargs) {
		int ncap = (p->e->nargsv + na) * 2;
		int *nv = realloc(p->e->args, (size_t)ncap * sizeof(*nv));

		if (!nv) {
			perr(p, start, "out of memory");
			return -1;
		}
		p->e->args = nv;
		p->e->capargs = ncap;
	}
	for (k = 0; k < na; k++)
		p->e->args[p->e->nargsv + k] = args[k];
	k = mk(p, N_CALL, start, p->tend, p->e->nargsv, na, -1);
	if (k < 0)
		return -1;
	p->e->nargsv += na;
	p->e->n[k].sub = (uint8_t)f;
	lex(p); /* ')' */
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
		lex(p);
		return k;
	case T_TRUE:
	case T_FALSE:
		k = mk(p, N_BOOL, start, end, -1, -1, -1);
		if (k >= 0)
			p->e->n[k].num = p->t == T_TRUE;
		lex(p);
		return k;
	case T_NULL:
		k = mk(p, N_NULL, start, end, -1, -1, -1);
		lex(p);
		return k;
	case T_STR:
		k = mk(p, N_STR, start, end, -1, -1, -1);
		if (k >= 0) {
			p->e->n[k].str = p->tstr;
			p->tstr = NULL;
		}
		lex(p);
		return k;
	case T_NAME: {
		char *name = p->tstr;

		p->tstr = NULL;
		lex(p);
		if (p->t == T_LP) {
			k = parse_call(p, start, name);
			free(name);
			return k;
		}
		k = mk(p, N_NAME, start, end, -1, -1, -1);
		if (k < 0) {
			free(name);
			return -1;
		}
		p->e->n[k].str = name;
		return k;
	}
	case T_LP:
		lex(p);
		k = parse_cond(p);
		if (k < 0 || !expect(p, T_RP, "to close '('"))
			return -1;
		return k;
	case T_ERR:
		return -1;
	default:
		perr(p, start, "expected a value, found %s", tok_names[p->t]);
		return -1;
	}
}

static int parse_postfix(struct parser *p)
{
	int k = parse_primary(p);

	while (k >= 0 && p->t == T_LB) {
		int start = p->tstart, idx;

		if (p->e->n[k].op != N_NAME || p->e->n[k].b >= 0) {
			perr(p, start, "only a fact name can be indexed ([i] selects a field of a vector sysctl)");
			return -1;
		}
		lex(p);
		if (!enter(p))
			return -1;
		idx = parse_cond(p);
		p->depth--;
		if (idx < 0)
			return -1;
		if (p->t != T_RB) {
			expect(p, T_RB, "to close '['");
			return -1;
		}
		p->e->n[k].b = idx;
		p->e->n[k].end = p->tend;
		lex(p);
	}
	return k;
}

static int parse_unary(struct parser *p)
{
	int start = p->tstart, k;

	if (p->t != T_MINUS)
		return parse_postfix(p);
	lex(p);
	if (!enter(p))
		return -1;
	k = parse_unary(p);
	p->depth--;
	if (k < 0)
		return -1;
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
			return -1;
		for (k = 0; k < 4 && levels[level][k] != T_EOF; k++)
			if (levels[level][k] == t)
				break;
		if (k == 4 || levels[level][k] == T_EOF)
			return l;
		lex(p);
		r = parse_level(p, level + 1);
		if (r < 0)
			return -1;
		k = mk(p, N_BIN, p->e->n[l].start, p->e->n[r].end, l, r, -1);
		if (k < 0)
			return -1;
		p->e->n[k].sub = (uint8_t)t;
		l = k;
	}
}

static bool is_cmp(enum tok t)
{
	return t == T_EQ || t == T_NE || t == T_LT || t == T_LE || t == T_GT || t == T_GE;
}

static int parse_cmp(struct parser *p)
{
	int l = parse_binary(p, 0), r, k;
	enum tok t = p->t;

	if (l < 0 || !is_cmp(t))
		return l;
	lex(p);
	r = parse_binary(p, 0);
	if (r < 0)
		return -1;
	if (is_cmp(p->t)) {
		perr(p, p->tstart, "comparisons do not chain (write 'a < b and b < c')");
		return -1;
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
	lex(p);
	if (!enter(p))
		return -1;
	k = parse_not(p);
	p->depth--;
	if (k < 0)
		return -1;
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

		lex(p);
		r = next == T_EOF ? parse_not(p) : parse_logic(p, next);
		if (r < 0)
			return -1;
		l = mk(p, op, p->e->n[l].start, p->e->n[r].end, l, r, -1);
	}
	return l;
}

static int parse_cond(struct parser *p)
{
	int c, a, b, k;

	if (!enter(p))
		return -1;
	c = parse_logic(p, T_COAL);
	if (c >= 0 && p->t == T_QUEST) {
		lex(p);
		a = parse_cond(p);
		if (a < 0 || !expect(p, T_COLON, "in 'c ? a : b'")) {
			p->depth--;
			return -1;
		}
		b = parse_cond(p);
		k = b < 0 ? -1 : mk(p, N_COND, p->e->n[c].start, p->e->n[b].end, a, b, c);
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
	lex(&p);
	if (p.t == T_EOF && !p.failed)
		perr(&p, 0, "empty expression");
	else
		e->root = parse_cond(&p);
	if (e->root >= 0 && p.t != T_EOF)
		perr(&p, p.tstart, "unexpected %s after the expression", tok_names[p.t]);
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

/* ---------------------------------------------------------------- binding */

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

static const char *op_text(int t)
{
	return tok_names[t];
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
				     fns[b->e->n[i].sub].name, stype_word(ta));
		}
		return b->e->n[i].stype = b->e->n[i].sub == F_PRESENT ? HR_S_BOOL : HR_S_NUM;
	case N_BIN:
		ta = bind_node(b, n->a);
		tb = bind_node(b, b->e->n[i].b);
		n = &b->e->n[i];
		if (!is_cmp(n->sub)) {
			if (!numeric_ok(ta))
				berr(b, b->e->n[n->a].start, "%s needs numbers, not %s", op_text(n->sub), stype_word(ta));
			if (!numeric_ok(tb))
				berr(b, b->e->n[n->b].start, "%s needs numbers, not %s", op_text(n->sub), stype_word(tb));
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
			berr(b, n->start, "%s needs numbers (or the kernel version), not %s", op_text(n->sub),
			     stype_word(ta == HR_S_BOOL || ta == HR_S_STR ? ta : tb));
		return n->stype = HR_S_BOOL;
	}
	return HR_S_ANY;
}

int hr_expr_bind(hr_expr *e, hr_expr_resolver resolve, void *ud, struct hr_diags *d)
{
	struct binder b = {e, resolve, ud, d, false};
	int t = bind_node(&b, e->root);

	return b.failed ? -1 : t;
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

/* -------------------------------------------------------------- evaluator */

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

/* Records an error located at node i of e. */
static int fail_at(struct hr_xctx *x, const hr_expr *e, int i, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail_at(struct hr_xctx *x, const hr_expr *e, int i, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	hr_xctx_fail(x, "%s at %s:%d:%d", msg, e->file, e->line, e->col + e->n[i].start);
	return -1;
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

/* Truth of a value as a condition: 1 true, 0 false, 2 missing, -1 error. */
static int truth(const hr_expr *e, int i, struct hr_xctx *x, const struct hr_xval *v)
{
	switch (v->t) {
	case HR_X_BOOL: return v->num != 0;
	case HR_X_NULL: return 0;
	case HR_X_MISSING: return 2;
	default: return fail_at(x, e, i, "a condition is %s here (use a comparison)", vtype_word(v->t));
	}
}

int hr_xval_truth(const struct hr_xval *v, struct hr_xctx *x, const hr_expr *e, bool *t)
{
	int r = truth(e, e->root, x, v);

	if (r < 0)
		return -1;
	*t = r == 1;
	return r == 2 ? 1 : 0;
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

/* Adds the location of node i to the message of a failed lookup. Not
 * inlined: its buffer would make every evaluation frame large. */
static __attribute__((noinline)) int lookup_failed(const hr_expr *e, int i, struct hr_xctx *x)
{
	char msg[sizeof(x->err)];

	memcpy(msg, x->err, sizeof(msg));
	x->failed = false;
	return fail_at(x, e, i, "%s", msg);
}

/* Looks up a name node (with its index, if any). */
static int ev_name(const hr_expr *e, int i, struct hr_xctx *x, struct hr_xval *out)
{
	const struct node *n = &e->n[i];
	int index = -1;

	if (n->b >= 0) {
		struct hr_xval iv;

		if (ev(e, n->b, x, &iv) < 0)
			return -1;
		if (iv.t == HR_X_MISSING) {
			*out = iv;
			return 0;
		}
		if (iv.t != HR_X_NUM || iv.num < 0 || iv.num != floor(iv.num) || iv.num > 64)
			return fail_at(x, e, n->b, "index of %s must be a whole number from 0, not %s", n->str,
				       iv.t == HR_X_NUM ? "that" : vtype_word(iv.t));
		index = (int)iv.num;
	}
	/* The common case, values the caller keeps in an array (let names). */
	if (n->kind == x->direct_kind && index < 0 && x->ndirect && (size_t)n->slot < *x->ndirect) {
		*out = x->direct[n->slot];
		return 0;
	}
	memset(out, 0, sizeof(*out));
	if (x->lookup(x, n->kind, n->slot, n->str, index, out) < 0)
		return lookup_failed(e, i, x);
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
			return fail_at(x, e, i, "cannot compare kernel versions '%s' and '%s'", a->str, b->str);
		c = r;
	} else if (a->t == HR_X_STR && b->t == HR_X_STR) {
		if (t != T_EQ && t != T_NE)
			return fail_at(x, e, i, "strings compare only with == and !=");
		c = strcmp(a->str, b->str);
	} else if (a->t == HR_X_STR || b->t == HR_X_STR) {
		return fail_at(x, e, i, "cannot compare %s with %s", vtype_word(a->t), vtype_word(b->t));
	} else if ((a->t == HR_X_BOOL || b->t == HR_X_BOOL) && t != T_EQ && t != T_NE) {
		return fail_at(x, e, i, "%s needs numbers, not a condition", op_text(t));
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

/* Checks a value for arithmetic: 0 number, 1 missing/null (out set), -1 error. */
static int arith_arg(const hr_expr *e, int i, struct hr_xctx *x, const char *what,
		     const struct hr_xval *v, struct hr_xval *out)
{
	if (v->t == HR_X_NUM)
		return 0;
	if (v->t == HR_X_MISSING || v->t == HR_X_NULL) {
		*out = *v;
		return 1;
	}
	return fail_at(x, e, i, "%s needs numbers, not %s", what, vtype_word(v->t));
}

/* Not inlined: its argument array would make every ev() frame large. */
static __attribute__((noinline)) int ev_call(const hr_expr *e, int i, struct hr_xctx *x, struct hr_xval *out)
{
	const struct node *n = &e->n[i];
	double v[64], r;
	int k, rc;

	if (n->sub == F_PRESENT) {
		if (ev(e, e->args[n->a], x, out) < 0)
			return -1;
		set_bool(out, out->t != HR_X_MISSING);
		return 0;
	}
	for (k = 0; k < n->nargs; k++) {
		struct hr_xval a;
		int ai = e->args[n->a + k];

		if (ev(e, ai, x, &a) < 0)
			return -1;
		rc = arith_arg(e, ai, x, fns[n->sub].name, &a, out);
		if (rc)
			return rc < 0 ? -1 : 0;
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
			return fail_at(x, e, i, "log2() of a number <= 0");
		r = log2(v[0]);
		break;
	case F_FLOOR: r = floor(v[0]); break;
	case F_CEIL: r = ceil(v[0]); break;
	case F_ROUND: r = round(v[0]); break;
	case F_ABS: r = fabs(v[0]); break;
	case F_POW: r = pow(v[0], v[1]); break;
	default: /* F_CLAMP */
		if (v[1] > v[2])
			return fail_at(x, e, i, "clamp(): low bound above high bound");
		r = v[0] < v[1] ? v[1] : v[0] > v[2] ? v[2] : v[0];
	}
	if (isnan(r))
		return fail_at(x, e, i, "%s() has no numeric result here", fns[n->sub].name);
	set_num(out, r);
	return 0;
}

static int ev(const hr_expr *e, int i, struct hr_xctx *x, struct hr_xval *out)
{
	const struct node *n = &e->n[i];
	struct hr_xval a, b;
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
		return ev_name(e, i, x, out);
	case N_NEG:
		if (ev(e, n->a, x, &a) < 0)
			return -1;
		rc = arith_arg(e, n->a, x, "'-'", &a, out);
		if (rc)
			return rc < 0 ? -1 : 0;
		set_num(out, -a.num);
		return 0;
	case N_NOT:
		if (ev(e, n->a, x, &a) < 0 || (ta = truth(e, n->a, x, &a)) < 0)
			return -1;
		if (ta == 2)
			*out = a;
		else
			set_bool(out, !ta);
		return 0;
	case N_AND:
	case N_OR: {
		/* Short-circuit with three values: a missing side only matters
		 * when the other side does not decide the result. */
		bool decide = n->op == N_OR; /* the value that decides alone */

		if (ev(e, n->a, x, &a) < 0 || (ta = truth(e, n->a, x, &a)) < 0)
			return -1;
		if (ta == (int)decide) {
			set_bool(out, decide);
			return 0;
		}
		if (ev(e, n->b, x, &b) < 0 || (tb = truth(e, n->b, x, &b)) < 0)
			return -1;
		if (tb == (int)decide)
			set_bool(out, decide);
		else if (ta == 2)
			*out = a;
		else if (tb == 2)
			*out = b;
		else
			set_bool(out, !decide);
		return 0;
	}
	case N_COAL:
		if (ev(e, n->a, x, out) < 0)
			return -1;
		if (out->t == HR_X_MISSING || out->t == HR_X_NULL)
			return ev(e, n->b, x, out);
		return 0;
	case N_COND:
		if (ev(e, n->c, x, &a) < 0 || (ta = truth(e, n->c, x, &a)) < 0)
			return -1;
		if (ta == 2) {
			*out = a;
			return 0;
		}
		return ev(e, ta ? n->a : n->b, x, out);
	case N_CALL:
		return ev_call(e, i, x, out);
	default: /* N_BIN */
		if (ev(e, n->a, x, &a) < 0 || ev(e, n->b, x, &b) < 0)
			return -1;
		if (is_cmp(n->sub))
			return ev_cmp(e, i, x, n->sub, &a, &b, out);
		if (a.t == HR_X_MISSING || b.t == HR_X_MISSING) {
			*out = a.t == HR_X_MISSING ? a : b;
			return 0;
		}
		rc = arith_arg(e, n->a, x, op_text(n->sub), &a, out);
		if (!rc)
			rc = arith_arg(e, n->b, x, op_text(n->sub), &b, out);
		if (rc)
			return rc < 0 ? -1 : 0;
		switch (n->sub) {
		case T_PLUS: set_num(out, a.num + b.num); break;
		case T_MINUS: set_num(out, a.num - b.num); break;
		case T_STAR: set_num(out, a.num * b.num); break;
		case T_SLASH:
			if (b.num == 0)
				return fail_at(x, e, n->b, "division by zero");
			set_num(out, a.num / b.num);
			break;
		default:
			if (b.num == 0)
				return fail_at(x, e, n->b, "division by zero (%%)");
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

/* --------------------------------------------------------------- printing */

char *hr_num_shortest(char *buf, size_t n, double v)
{
	int prec;

	if (isinf(v)) {
		snprintf(buf, n, "%sinf", v < 0 ? "-" : "");
		return buf;
	}
	if (v == floor(v) && fabs(v) < 1e15) {
		snprintf(buf, n, "%.0f", v);
		return buf;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(buf, n, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	return buf;
}

char *hr_xval_str(const struct hr_xval *v, char *buf, size_t n)
{
	switch (v->t) {
	case HR_X_NUM: return hr_num_shortest(buf, n, v->num);
	case HR_X_BOOL: snprintf(buf, n, "%s", v->num ? "true" : "false"); break;
	case HR_X_STR: snprintf(buf, n, "\"%s\"", v->str ? v->str : ""); break;
	case HR_X_NULL: snprintf(buf, n, "null"); break;
	default: snprintf(buf, n, "missing (%s: %s)", v->str ? v->str : "?", v->why ? v->why : "?");
	}
	return buf;
}

static int cmp_start(const void *a, const void *b)
{
	const struct node *const *x = a, *const *y = b;

	return (*x)->start - (*y)->start;
}

char *hr_expr_fill(const hr_expr *e, struct hr_xctx *x)
{
	const struct node **names = malloc(((size_t)e->nn + 1) * sizeof(*names));
	size_t cap = strlen(e->src) * 2 + 64, len = 0, nnames = 0, k;
	char *out = malloc(cap);
	int pos = 0, i;

	if (!names || !out) {
		free(names);
		free(out);
		return NULL;
	}
	for (i = 0; i < e->nn; i++) {
		bool in_present = false;
		int j;

		if (e->n[i].op != N_NAME)
			continue;
		for (j = 0; j < e->nn; j++)
			if (e->n[j].op == N_CALL && e->n[j].sub == F_PRESENT && e->args[e->n[j].a] == i)
				in_present = true;
		if (!in_present)
			names[nnames++] = &e->n[i];
	}
	qsort(names, nnames, sizeof(*names), cmp_start);
	for (k = 0; k <= nnames; k++) {
		int upto = k < nnames ? names[k]->start : (int)strlen(e->src);
		char val[256];
		size_t need;

		if (k < nnames && upto < pos)
			continue; /* inside an index already printed */
		val[0] = '\0';
		if (k < nnames) {
			struct hr_xval v;
			bool was = x->failed;

			if (ev_name(e, (int)(names[k] - e->n), x, &v) < 0) {
				snprintf(val, sizeof(val), "?");
				if (!was) { /* a fill must not leave an error behind */
					x->failed = false;
					x->err[0] = '\0';
				}
			} else if (v.t == HR_X_MISSING) {
				snprintf(val, sizeof(val), "missing");
			} else if (v.t == HR_X_NUM && v.num != floor(v.num)) {
				snprintf(val, sizeof(val), "%.6g", v.num); /* for people: 6 digits */
			} else {
				hr_xval_str(&v, val, sizeof(val));
			}
		}
		need = len + (size_t)(upto - pos) + strlen(val) + 1;
		if (need > cap) {
			char *nb = realloc(out, need * 2);

			if (!nb) {
				free(out);
				free(names);
				return NULL;
			}
			out = nb;
			cap = need * 2;
		}
		memcpy(out + len, e->src + pos, (size_t)(upto - pos));
		len += (size_t)(upto - pos);
		memcpy(out + len, val, strlen(val));
		len += strlen(val);
		if (k < nnames)
			pos = names[k]->end;
	}
	out[len] = '\0';
	free(names);
	return out;
}
