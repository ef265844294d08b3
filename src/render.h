/* render.h: one report tree (a jansson json_t), rendered for machines
 * (JSON, YAML: every key of the tree) or for people (text, per command). */
#ifndef HR_RENDER_H
#define HR_RENDER_H

#include <jansson.h>
#include <stdio.h>

#include "headroom.h"

/* Writes the tree as pretty JSON with a final newline. 0 or -errno. */
int hr_render_json(FILE *out, const json_t *tree);
/* Writes the tree as a YAML document (libyaml emitter). 0 or -errno. */
int hr_render_yaml(FILE *out, const json_t *tree);
/* Dispatches json/yaml; for "text" calls text_fn(out, tree). */
int hr_render(FILE *out, const char *format, const json_t *tree,
	      int (*text_fn)(FILE *out, const json_t *tree));

/* Version of the JSON/YAML output of audit, probe, apply and explain, whose
 * schema is docs/schema/headroom.schema.json: raise it with any change a
 * consumer could notice (a key removed, renamed or retyped; additions too). */
#define HR_SCHEMA_VERSION 1
/* hr_render for the reports that follow the schema: json and yaml get a
 * top-level "schema_version" (first); text is text_fn's. 0 or -errno. */
int hr_render_report(FILE *out, const char *format, const json_t *tree,
		     int (*text_fn)(FILE *out, const json_t *tree));

/* Writes the audit report as Prometheus text exposition (format 0.0.4):
 * headroom_audit_status, headroom_audit_duration_seconds (duration_s), the
 * findings by severity, headroom_finding_severity, and one gauge family per
 * rule metric (headroom_<metric>{rule,subject}); unknown values are left
 * out. report NULL (audit not possible): status 3 and duration only.
 * 0 or -EIO. (render-prom.c) */
int hr_render_prometheus(FILE *out, const json_t *report, double duration_s);
/* Writes the audit report as one Nagios/Icinga plugin line: the verdict,
 * " | " and the headline performance data. 0 or -EIO. (render-nagios.c) */
int hr_render_nagios(FILE *out, const json_t *report);
/* The same with another first text (report may be NULL: no perfdata). */
int hr_render_nagios_line(FILE *out, const char *verdict, const json_t *report);

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
void hr_render_section(FILE *out, const char *title, const char *status);

/* Progress line on a terminal (stderr) for waits over a second; no-op otherwise. */
void hr_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void hr_progress_done(void);

#endif
