/* fmt.h: text for people: numbers and durations, gauges, aligned tables,
 * section titles, and the progress line on a terminal. Used by the text
 * renderers (cmd-*.c), by messages of the rules engine (rules-eval.c) and of
 * the audit, and as the probe's progress callback; it calls nothing of
 * theirs. Ownership as in headroom.h. */
#ifndef HR_FMT_H
#define HR_FMT_H

#include <stdio.h>

#include "headroom.h"

/* A gauge for a ratio where it matters: "[#########-----------]  45.0%".
 * ratio may exceed 1 (the bar is full and the figure shows it). Returns buf. */
char *hr_gauge(char *buf, size_t n, double ratio, int width);

/* Formats a number for people: integers without decimals, others with up to
 * 3 significant decimals, thousands separated by ',' when group is set. */
char *hr_fmt_num(char *buf, size_t n, double v, bool group);
/* Formats seconds for people: "924.6 s (15 min 24.6 s)". */
char *hr_fmt_duration(char *buf, size_t n, double seconds);

/* Aligned text tables: add rows of cells, then print with column widths. */
struct hr_table;
struct hr_table *hr_table_new(int ncols);
/* Adds a row; the cells are copied. Right-align columns flagged in right_mask. */
void hr_table_row(struct hr_table *t, const char *const *cells);
void hr_table_print(FILE *out, const struct hr_table *t, const char *indent, unsigned right_mask);
void hr_table_free(struct hr_table *t);

/* A section title for a report of several parts (one per network
 * namespace): "=== TITLE: STATUS ===" and a blank line. */
void hr_fmt_section(FILE *out, const char *title, const char *status);

/* The progress line a command gives the probe (hr_probe_opts.progress, an
 * hr_probe_progress_fn): on a terminal (stderr) only, "headroom: second
 * counter sample in N.N s" rewritten while left_s > 0, cleared at 0. ud is
 * unused. */
void hr_fmt_progress_sample(void *ud, double left_s);

#endif
