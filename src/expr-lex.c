/* expr-lex.c: the expression language's lexer: turns the source text into
 * tokens (numbers with units, strings, names, keywords, operators) and
 * reports located syntax errors for the parser.
 * Owns: hr_expr_lex, hr_expr_perr, the token names. May call: expr-int.h,
 * hr_diags_add (diag.h). */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "expr-int.h"

const char *const hr_expr_tok_names[T_ERR + 1] = {
	[T_EOF] = "end of expression", [T_NUM] = "number", [T_STR] = "string", [T_NAME] = "name",
	[T_LP] = "'('", [T_RP] = "')'", [T_LB] = "'['", [T_RB] = "']'", [T_COMMA] = "','",
	[T_QUEST] = "'?'", [T_COLON] = "':'", [T_COAL] = "'?\?'", [T_OR] = "'or'", [T_AND] = "'and'",
	[T_NOT] = "'not'", [T_EQ] = "'=='", [T_NE] = "'!='", [T_LT] = "'<'", [T_LE] = "'<='",
	[T_GT] = "'>'", [T_GE] = "'>='", [T_PLUS] = "'+'", [T_MINUS] = "'-'", [T_STAR] = "'*'",
	[T_SLASH] = "'/'", [T_PCT] = "'%'", [T_TRUE] = "'true'", [T_FALSE] = "'false'",
	[T_NULL] = "'null'", [T_INF] = "'inf'", [T_ERR] = "invalid token",
};

/* Adds a located error for offset off of the expression (first one only). */
void hr_expr_perr(struct parser *p, int off, const char *fmt, ...)
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

/* The character at i must be followed by '=' to make token t ("==", "!=");
 * alone it is an error with msg. */
static void lex_then_eq(struct parser *p, int i, enum tok t, const char *msg)
{
	if (p->s[i + 1] == '=') {
		p->t = t;
		p->pos++;
	} else {
		p->t = T_ERR;
		hr_expr_perr(p, i, "%s", msg);
	}
}

/* Reads the next token into p->t. */
void hr_expr_lex(struct parser *p)
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
			hr_expr_perr(p, i, "hexadecimal numbers are not supported");
			return;
		}
		p->pos = (int)(end - s);
		if (!lex_unit(p, &p->tnum)) {
			int j = p->pos;

			while (is_ident((unsigned char)s[j]))
				j++;
			hr_expr_perr(p, p->pos, "unknown unit '%.*s' (units: s ms us min h /s %%)", j - p->pos,
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
			hr_expr_perr(p, i, "out of memory");
			p->t = T_ERR;
			return;
		}
		while (s[j] && s[j] != '"') {
			if (s[j] == '\\' && (s[j + 1] == '"' || s[j + 1] == '\\'))
				j++;
			else if (s[j] == '\\') {
				free(buf);
				hr_expr_perr(p, j, "unknown escape '\\%c' in string (only \\\" and \\\\)", s[j + 1]);
				p->t = T_ERR;
				return;
			}
			buf[o++] = s[j++];
		}
		if (!s[j]) {
			free(buf);
			hr_expr_perr(p, i, "unterminated string");
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
		lex_then_eq(p, i, T_EQ, "'=' is not an operator (use '==')");
		break;
	case '!':
		lex_then_eq(p, i, T_NE, "'!' is not an operator (use 'not')");
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
		hr_expr_perr(p, i, "'%c' is not an operator (use '%s')", s[i], s[i] == '&' ? "and" : "or");
		break;
	default:
		p->t = T_ERR;
		if (isprint((unsigned char)s[i]))
			hr_expr_perr(p, i, "unexpected character '%c'", s[i]);
		else
			hr_expr_perr(p, i, "unexpected byte 0x%02x", (unsigned char)s[i]);
	}
	p->tend = p->pos;
}

