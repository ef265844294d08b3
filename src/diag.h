/* diag.h: located diagnostics, "file:line:column: level: message", the small
 * room every parser of the rule files uses: the expression language
 * (expr-*.c) and the rules engine (rules-*.c) both add to one list, and the
 * command layer prints it or puts it in a report.
 *
 * Lower layer: never prints on its own (hr_diags_print writes where the
 * caller says). Ownership as in headroom.h; a list lives in the caller's
 * struct, emptied with hr_diags_clear. */
#ifndef HR_DIAG_H
#define HR_DIAG_H

#include <jansson.h>

#include "headroom.h"

/* One diagnostic from loading or linting rules. */
struct hr_diag {
	char *file;   /* as given to the loader */
	int line;     /* 1-based; 0 when unknown */
	int col;      /* 1-based; 0 when unknown */
	bool warning; /* false: an error (the rule is not loaded) */
	char *msg;
};

/* A list of diagnostics, in the order they were found; {NULL, 0} is empty. */
struct hr_diags {
	struct hr_diag *v;
	size_t n;
};

/* Appends a diagnostic (strings copied). d NULL: nothing. On ENOMEM the
 * diagnostic is dropped. */
void hr_diags_add(struct hr_diags *d, const char *file, int line, int col, bool warning,
		  const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* How many of d are errors (not warnings). */
size_t hr_diags_errors(const struct hr_diags *d);
/* Prints "file:line:col: error: msg" lines ("file: error: msg" without a line). */
void hr_diags_print(FILE *out, const struct hr_diags *d);
/* The list as JSON, the one shape of every output that carries diagnostics
 * (audit's summary.rule_errors, `rules check --format json`):
 * [{file, line, column, level ("error" | "warning"), message}]. Owned; NULL on ENOMEM. */
json_t *hr_diags_json(const struct hr_diags *d);
/* Empties the list (frees its entries; d itself is the caller's). */
void hr_diags_clear(struct hr_diags *d);

#endif
