/* expr-print.c: values and expressions for people: shortest exact numbers,
 * value text, and an expression's source with its names filled in.
 * Owns: hr_num_shortest, hr_xval_str, hr_expr_fill. May call: expr-int.h,
 * hr_expr_eval_name (expr-eval.c). */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr-int.h"

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

			if (hr_expr_eval_name(e, (int)(names[k] - e->n), x, &v) < 0) {
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
