/* diag.c: located diagnostics (diag.h): the list every parser of rule files
 * adds to, its text form and its one JSON shape. May call: libc, jansson. */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

void hr_diags_add(struct hr_diags *d, const char *file, int line, int col, bool warning,
		  const char *fmt, ...)
{
	struct hr_diag *nv;
	char msg[1024];
	va_list ap;

	if (!d)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	nv = realloc(d->v, (d->n + 1) * sizeof(*nv));
	if (!nv)
		return;
	d->v = nv;
	nv[d->n].file = strdup(file ? file : "");
	nv[d->n].line = line;
	nv[d->n].col = col;
	nv[d->n].warning = warning;
	nv[d->n].msg = strdup(msg);
	d->n++;
}

size_t hr_diags_errors(const struct hr_diags *d)
{
	size_t i, n = 0;

	for (i = 0; d && i < d->n; i++)
		n += !d->v[i].warning;
	return n;
}

void hr_diags_print(FILE *out, const struct hr_diags *d)
{
	size_t i;

	for (i = 0; d && i < d->n; i++) {
		const struct hr_diag *g = &d->v[i];

		if (g->line > 0)
			fprintf(out, "%s:%d:%d: %s: %s\n", g->file, g->line, g->col,
				g->warning ? "warning" : "error", g->msg ? g->msg : "");
		else
			fprintf(out, "%s: %s: %s\n", g->file, g->warning ? "warning" : "error",
				g->msg ? g->msg : "");
	}
}

json_t *hr_diags_json(const struct hr_diags *d)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && d && i < d->n; i++) {
		const struct hr_diag *x = &d->v[i];

		json_array_append_new(a, json_pack("{s:s,s:i,s:i,s:s,s:s}", "file", x->file ? x->file : "",
						   "line", x->line, "column", x->col, "level",
						   x->warning ? "warning" : "error", "message", x->msg ? x->msg : ""));
	}
	return a;
}

void hr_diags_clear(struct hr_diags *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].msg);
	}
	free(d->v);
	d->v = NULL;
	d->n = 0;
}
