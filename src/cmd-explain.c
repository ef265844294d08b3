/* cmd-explain.c: `headroom explain RULE`: the rule, each formula with the
 * current values filled in (per subject), the severity conditions with
 * their truth, the fixes with their computed effect, and the sources. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "cmd.h"
#include "fmt.h"
#include "render.h"
#include "rules.h"

/* A JSON scalar for people: numbers to 6 significant digits. Returns buf. */
static const char *jv(const json_t *v, char *buf, size_t n)
{
	if (json_is_integer(v))
		snprintf(buf, n, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, n, "%.6g", json_real_value(v));
	else if (json_is_string(v))
		snprintf(buf, n, "%s", json_string_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, n, "%s", json_is_true(v) ? "true" : "false");
	else
		snprintf(buf, n, "null");
	return buf;
}

static const char *js(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* The value column of a formula: its value, or why there is none. */
static const char *formula_value(const json_t *f, char *buf, size_t n)
{
	if (json_object_get(f, "error"))
		snprintf(buf, n, "error: %s", js(f, "error"));
	else if (json_object_get(f, "missing"))
		snprintf(buf, n, "missing (%s)", js(f, "missing"));
	else
		jv(json_object_get(f, "value"), buf, n);
	return buf;
}

/* Adds "name = expr / = filled / = value" rows for a formula. */
static void formula_rows(struct hr_table *t, const char *label, const char *name, const json_t *f)
{
	char val[700];
	const char *r1[] = {label, name, "=", js(f, "expr")};
	const char *r3[] = {"", "", "=", formula_value(f, val, sizeof(val))};

	hr_table_row(t, r1);
	if (strcmp(js(f, "filled"), js(f, "expr")) && strcmp(js(f, "filled"), val)) {
		const char *r2[] = {"", "", "=", js(f, "filled")};

		hr_table_row(t, r2);
	}
	if (strcmp(val, js(f, "expr")))
		hr_table_row(t, r3);
}

static void print_fixes(FILE *out, const json_t *fixes, const json_t *metrics, const char *hm,
			const char *sev)
{
	size_t i;
	json_t *fx;

	if (!json_array_size(fixes))
		return;
	fprintf(out, "  fixes (effect computed by re-evaluating this rule with the fix applied)\n");
	json_array_foreach(fixes, i, fx) {
		const char *key;
		json_t *v;
		char a[64], b[64];

		fprintf(out, "    %zu. [%s] %s\n", i + 1, js(fx, "kind"), js(fx, "text"));
		json_object_foreach(json_object_get(fx, "settings"), key, v)
			fprintf(out, "         sysctl %s = %s\n", key, json_string_value(v));
		if (json_object_get(fx, "effect_unknown"))
			fprintf(out, "         effect unknown: %s\n", js(fx, "effect_unknown"));
		else if (hm)
			fprintf(out, "         %s %s -> %s, severity %s -> %s\n", hm,
				jv(json_object_get(metrics, hm), a, sizeof(a)),
				jv(json_object_get(fx, "headroom_after"), b, sizeof(b)), sev,
				js(fx, "severity_after"));
		else
			fprintf(out, "         severity %s -> %s\n", sev, js(fx, "severity_after"));
	}
}

static void print_subject(FILE *out, const json_t *s, const char *hm)
{
	struct hr_table *t = hr_table_new(4);
	json_t *f, *subj = json_object_get(s, "subject");
	size_t i;
	char val[700];

	if (json_is_string(subj))
		fprintf(out, "\n%s: ", json_string_value(subj));
	else
		fprintf(out, "\n");
	if (!strcmp(js(s, "status"), "evaluated")) {
		const char *sev = js(s, "severity");
		char up[16];

		for (i = 0; sev[i] && i < sizeof(up) - 1; i++)
			up[i] = (char)(sev[i] >= 'a' && sev[i] <= 'z' ? sev[i] - 32 : sev[i]);
		up[i] = '\0';
		fprintf(out, "%s  %s\n", up, js(s, "message"));
	} else if (!strcmp(js(s, "status"), "not applicable")) {
		fprintf(out, "not applicable (when is false)\n");
	} else {
		fprintf(out, "NOT EVALUATED: %s\n", js(s, "reason"));
	}
	json_array_foreach(json_object_get(s, "needs"), i, f) {
		const char *row[] = {i ? "" : "needs", js(f, "expr"), "", formula_value(f, val, sizeof(val))};

		hr_table_row(t, row);
	}
	if (json_is_object(json_object_get(s, "when")))
		formula_rows(t, "when", "", json_object_get(s, "when"));
	json_array_foreach(json_object_get(s, "derived"), i, f)
		formula_rows(t, i ? "" : "derived", js(f, "name"), f);
	json_array_foreach(json_object_get(s, "let"), i, f)
		formula_rows(t, i ? "" : "let", js(f, "name"), f);
	json_array_foreach(json_object_get(s, "severity_conditions"), i, f) {
		char cell[800];
		const char *row[] = {i ? "" : "severity", js(f, "level"), "", cell};

		snprintf(cell, sizeof(cell), "%s   ->   %s   ->   %s", js(f, "expr"), js(f, "filled"),
			 formula_value(f, val, sizeof(val)));
		hr_table_row(t, row);
	}
	hr_table_print(out, t, "  ", 0);
	hr_table_free(t);
	print_fixes(out, json_object_get(s, "fixes"), json_object_get(s, "metrics"), hm, js(s, "severity"));
	if (json_array_size(json_object_get(s, "facts"))) {
		struct hr_table *ft = hr_table_new(3);

		fprintf(out, "  item facts\n");
		json_array_foreach(json_object_get(s, "facts"), i, f) {
			char v2[256];
			const char *row[] = {js(f, "fact"), json_object_get(f, "missing") ? js(f, "missing")
								    : jv(json_object_get(f, "value"), v2, sizeof(v2)),
					     json_is_string(json_object_get(f, "source")) ? js(f, "source") : "-"};

			hr_table_row(ft, row);
		}
		hr_table_print(out, ft, "    ", 0);
		hr_table_free(ft);
	}
}

static int explain_text(FILE *out, const json_t *e)
{
	const json_t *def = json_object_get(e, "definition");
	const char *hm = json_string_value(json_object_get(def, "headroom_metric"));
	json_t *s, *fe = json_object_get(e, "for_each");
	size_t i;

	fprintf(out, "%s: %s\n", js(e, "rule"), js(e, "title"));
	fprintf(out, "  area %s, %s%s, defined at %s\n", js(e, "area"), json_is_string(fe) ? "for each of the " : "one subject",
		json_is_string(fe) ? json_string_value(fe) : "", js(e, "defined_at"));
	if (json_object_get(e, "description"))
		fprintf(out, "\n%s\n", js(e, "description"));
	if (json_is_string(json_object_get(e, "error"))) {
		fprintf(out, "\nthis rule has errors and is not evaluated:\n  %s\n", js(e, "error"));
		return 0;
	}
	if (!json_array_size(json_object_get(e, "subjects")))
		fprintf(out, "\nno subjects: there are no %s%s\n", json_is_string(fe) ? json_string_value(fe) : "",
			" to evaluate (or none matched --subject)");
	json_array_foreach(json_object_get(e, "subjects"), i, s)
		print_subject(out, s, hm);
	if (json_array_size(json_object_get(e, "sources"))) {
		struct hr_table *t = hr_table_new(3);
		json_t *f;

		fprintf(out, "\nsources\n");
		json_array_foreach(json_object_get(e, "sources"), i, f) {
			char v[256];
			const char *row[] = {js(f, "fact"),
					     json_object_get(f, "missing") ? js(f, "missing")
									   : jv(json_object_get(f, "value"), v, sizeof(v)),
					     json_is_string(json_object_get(f, "source")) ? js(f, "source") : "-"};

			hr_table_row(t, row);
		}
		hr_table_print(out, t, "  ", 0);
		hr_table_free(t);
	}
	if (json_array_size(json_object_get(e, "references"))) {
		fprintf(out, "\nreferences\n");
		json_array_foreach(json_object_get(e, "references"), i, s)
			fprintf(out, "  %s\n", json_string_value(s));
	}
	return 0;
}

static int explain_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{"root", required_argument, NULL, 'R'},
		{"rules", required_argument, NULL, 'r'},
		{"no-default-rules", no_argument, NULL, 'N'},
		{"assume", required_argument, NULL, 'a'},
		{"subject", required_argument, NULL, 's'},
		{"format", required_argument, NULL, 'f'},
		{"no-sockets", no_argument, NULL, 'S'},
		{"workload", required_argument, NULL, 'w'},
		{"assume-file", required_argument, NULL, 'F'},
		{"boot", no_argument, NULL, 'B'},
		{"config-root", required_argument, NULL, 'C'},
		{NULL, 0, NULL, 0},
	};
	const char *assumes[64], *subject = NULL;
	int nassume = 0, c, rc;
	struct hr_audit_opts o = {.root = "", .interval_s = -1, .progress = hr_fmt_progress_sample};
	struct hr_err err = {0, ""};
	hr_audit *a = NULL;
	hr_facts *f;
	json_t *tree;

	optind = 1;
	while ((c = getopt_long(argc, argv, "r:f:", opts, NULL)) != -1) {
		switch (c) {
		case 'R':
			arg_root = o.root = optarg;
			break;
		case 'r':
			if (!hr_cmd_add_rules_dir(optarg))
				return HR_EXIT_USAGE;
			break;
		case 'N':
			o.no_default_rules = true;
			break;
		case 'a':
			if (nassume == (int)HR_ARRAY_SIZE(assumes)) {
				fprintf(stderr, "headroom explain: at most %zu --assume\n", HR_ARRAY_SIZE(assumes));
				return HR_EXIT_USAGE;
			}
			assumes[nassume++] = optarg;
			break;
		case 'F':
		case 'B':
		case 'C':
			if (!hr_cmd_sysctld_option("explain", c, optarg, &o))
				return HR_EXIT_USAGE;
			break;
		case 's':
			subject = optarg;
			break;
		case 'S':
			o.no_sockets = true;
			break;
		case 'w':
			o.workload = optarg;
			break;
		case 'f':
			if (!hr_cmd_set_format("explain", optarg))
				return HR_EXIT_USAGE;
			break;
		default:
			return HR_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		hr_cmd_usage(stderr, &hr_cmd_explain);
		return HR_EXIT_USAGE;
	}
	o.rule_dirs = (const char *const *)arg_rules_dirs;
	o.nrule_dirs = (size_t)arg_nrules_dirs;
	o.assume = assumes;
	o.nassume = (size_t)nassume;
	if (hr_audit_new(&o, &a, &err) < 0) {
		fprintf(stderr, "headroom explain: %s\n", err.msg);
		return err.code == -EINVAL ? HR_EXIT_USAGE : HR_EXIT_FAIL;
	}
	if (hr_diags_errors(hr_audit_diags(a)))
		fprintf(stderr, "headroom explain: %zu error%s in the rule files (see 'headroom rules check')\n",
			hr_diags_errors(hr_audit_diags(a)), hr_diags_errors(hr_audit_diags(a)) == 1 ? "" : "s");
	f = hr_facts_new();
	if (!f) {
		fprintf(stderr, "headroom explain: out of memory\n");
		hr_audit_free(a);
		return HR_EXIT_FAIL;
	}
	/* A probe that fails is not the end: --assume and --workload may
	 * supply what the rule needs. */
	rc = hr_audit_probe(a, f, &err);
	if (rc < 0)
		fprintf(stderr, "headroom explain: probe: %s%s\n", err.msg[0] ? err.msg : hr_strerror(rc),
			nassume ? " (using the --assume values)" : "");
	hr_err_clear(&err);
	if (hr_audit_declare(a, f, NULL, &err) < 0) {
		fprintf(stderr, "headroom explain: %s\n", err.msg);
		hr_facts_free(f);
		hr_audit_free(a);
		return HR_EXIT_USAGE;
	}
	tree = hr_audit_explain(a, argv[optind], f, subject, &err);
	if (!tree) {
		fprintf(stderr, "headroom explain: %s\n", err.msg);
		rc = HR_EXIT_FAIL;
	} else {
		hr_render_report(stdout, arg_format, tree, explain_text);
		json_decref(tree);
		rc = HR_EXIT_OK;
	}
	hr_facts_free(f);
	hr_audit_free(a);
	return rc;
}

const struct hr_cmd hr_cmd_explain = {
	.name = "explain",
	.usage = "RULE [--root DIR] [--workload FILE] [--rules DIR]... [--assume KEY=VALUE]... [--assume-file FILE]... "
		 "[--boot [--config-root DIR]] [--subject S] "
		 "[--format FMT]",
	.summary = "Show how a rule reaches its verdict: every formula with the current values.",
	.help = "  --root DIR            read a captured tree instead of the live system\n"
		"  --rules DIR           also load DIR/*.yaml (repeatable)\n"
		"  --no-default-rules    do not load the shipped rules directory\n"
		"  --assume KEY=VALUE    take this value for a fact (repeatable), e.g.\n"
		"                        --assume net.ipv4.tcp_tw_reuse=1\n"
		"  --assume-file FILE    take the settings of a sysctl.d FILE (repeatable); the\n"
		"                        sources name each one's FILE:LINE\n"
		"  --boot                the values the next boot sets (sysctl.d, headroom-audit(8))\n"
		"  --config-root DIR     where --boot finds etc/sysctl.d, run/sysctl.d, ...\n"
		"  --workload FILE       declare load to expect (headroom-audit(8)), e.g. a\n"
		"                        destination's connection rate before any traffic\n"
		"  --subject S           only this subject of a for_each rule (\"10.0.0.2:5774\")\n"
		"  --no-sockets          do not read sockets\n"
		"  --format FMT          text (default), json or yaml\n"
		"Rule format and expression language: headroom-rules(5).\n",
	.exec = explain_exec,
};
