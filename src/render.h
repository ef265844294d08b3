/* render.h: one report tree (a jansson json_t), rendered for machines
 * (JSON, YAML: every key of the tree) or for people (text, per command,
 * with the helpers of fmt.h). */
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
/* The same for a report of several network namespaces (hr_audit_run_netns):
 * headroom_host_status, headroom_audit_duration_seconds and
 * headroom_host_namespaces once, headroom_netns_info{...,initial} and
 * headroom_netns_processes, then every family of the single-namespace
 * output (HELP and TYPE once) with each series labelled netns (first
 * `ip netns` name, else the inode), netns_inode, and container (the first
 * container id of its processes) when known. report NULL: host status 3
 * and duration only. 0 or -errno. (render-prom.c) */
int hr_render_prometheus_netns(FILE *out, const json_t *report, double duration_s);

/* One of the two as a filler of hr_persist_write_fill (the --textfile,
 * streamed): args a struct hr_prom_args; multi: the netns report. */
struct hr_prom_args {
	const json_t *report;
	double duration_s;
	bool multi;
};
int hr_render_prometheus_fill(FILE *out, void *args);
/* Writes the audit report as one Nagios/Icinga plugin line: the verdict,
 * " | " and the headline performance data. 0 or -EIO. (render-nagios.c) */
int hr_render_nagios(FILE *out, const json_t *report);
/* The same with another first text (report may be NULL: no perfdata). */
int hr_render_nagios_line(FILE *out, const char *verdict, const json_t *report);
/* The line for several namespaces: the host verdict, then 'namespaces'=N
 * and each namespace's perfdata with its labels as 'NS::label' (NS: first
 * `ip netns` name, else the inode). 0 or -EIO. (render-nagios.c) */
int hr_render_nagios_netns(FILE *out, const json_t *report);

#endif
