/* cmd-rules.c: `headroom rules check [FILE...]` lints rule files (every
 * problem as file:line:col: error: message, exit 1 on any error) and
 * `headroom rules list` shows the loaded rules. */
#include "config.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "cmd.h"
#include "fmt.h"
#include "render.h"
#include "rules.h"

/* Options shared by the rules subcommands. */
static bool no_default;

/* Parses --rules/--no-default-rules/--format; returns optind or -1 (message printed). */
static int rules_opts(int argc, char **argv, const char *sub)
{
	static const struct option opts[] = {
		{"rules", required_argument, NULL, 'r'},
		{"no-default-rules", no_argument, NULL, 'N'},
		{"format", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "r:f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (!hr_cmd_add_rules_dir(optarg))
				return -1;
			break;
		case 'N':
			no_default = true;
			break;
		case 'f':
			if (!hr_cmd_set_format(sub, optarg))
				return -1;
			break;
		case 'h':
			hr_cmd_usage(stdout, &hr_cmd_rules);
			exit(0);
		default:
			return -1;
		}
	}
	return optind;
}

static int check_text(FILE *out, const json_t *tree)
{
	size_t i;
	json_t *g;
	json_int_t errors = json_integer_value(json_object_get(tree, "errors"));

	json_array_foreach(json_object_get(tree, "diagnostics"), i, g) {
		const char *file = json_string_value(json_object_get(g, "file"));
		json_int_t line = json_integer_value(json_object_get(g, "line"));

		if (line > 0)
			fprintf(out, "%s:%lld:%lld: ", file, (long long)line,
				(long long)json_integer_value(json_object_get(g, "column")));
		else
			fprintf(out, "%s: ", file);
		fprintf(out, "%s: %s\n", json_string_value(json_object_get(g, "level")),
			json_string_value(json_object_get(g, "message")));
	}
	fprintf(out, "%lld rule%s checked (%lld sound), %lld error%s\n",
		(long long)json_integer_value(json_object_get(tree, "rules")),
		json_integer_value(json_object_get(tree, "rules")) == 1 ? "" : "s",
		(long long)json_integer_value(json_object_get(tree, "sound")), (long long)errors,
		errors == 1 ? "" : "s");
	return 0;
}

/* The rules of the options through the one audit context: the rules
 * directories (skipping the files given), then the files. NULL on ENOMEM. */
static hr_audit *load(char **files, int nfiles)
{
	struct hr_audit_opts o = {.no_default_rules = no_default,
				  .rule_dirs = (const char *const *)arg_rules_dirs,
				  .nrule_dirs = (size_t)arg_nrules_dirs,
				  .rule_files = (const char *const *)files,
				  .nrule_files = (size_t)nfiles};
	hr_audit *a = NULL;

	hr_audit_new(&o, &a, NULL);
	return a;
}

static int rules_check(int argc, char **argv)
{
	const struct hr_diags *d;
	const hr_ruleset *rs;
	hr_audit *a;
	json_t *tree;
	size_t i, sound = 0, errors;
	int first = rules_opts(argc, argv, "rules check");

	if (first < 0)
		return HR_EXIT_USAGE;
	/* FILEs are checked in the context of the rules directories (derived
	 * facts may live there); with --no-default-rules and no --rules, alone. */
	a = load(argv + first, argc - first);
	if (!a) {
		fprintf(stderr, "headroom rules check: out of memory\n");
		return HR_EXIT_FAIL;
	}
	rs = hr_audit_ruleset(a);
	d = hr_audit_diags(a);
	for (i = 0; i < hr_ruleset_count(rs); i++)
		sound += !hr_ruleset_rule_error(rs, i);
	errors = hr_diags_errors(d);
	tree = json_pack("{s:o,s:i,s:i,s:i}", "diagnostics", hr_diags_json(d), "rules",
			 (int)hr_ruleset_count(rs), "sound", (int)sound, "errors", (int)errors);
	hr_render(stdout, arg_format, tree, check_text);
	json_decref(tree);
	hr_audit_free(a);
	return errors ? HR_EXIT_FAIL : HR_EXIT_OK;
}

static int list_text(FILE *out, const json_t *tree)
{
	struct hr_table *t = hr_table_new(5);
	const char *head[] = {"ID", "AREA", "FOR EACH", "DEFINED AT", "STATUS"};
	size_t i;
	json_t *r;

	hr_table_row(t, head);
	json_array_foreach(json_object_get(tree, "rules"), i, r) {
		char where[1024];
		const char *cells[5];
		json_t *fe = json_object_get(r, "for_each");

		snprintf(where, sizeof(where), "%s:%lld", json_string_value(json_object_get(r, "file")),
			 (long long)json_integer_value(json_object_get(r, "line")));
		cells[0] = json_string_value(json_object_get(r, "id"));
		cells[1] = json_string_value(json_object_get(r, "area"));
		cells[2] = json_is_string(fe) ? json_string_value(fe) : "-";
		cells[3] = where;
		cells[4] = json_is_null(json_object_get(r, "error")) ? "ok" : "has errors";
		hr_table_row(t, cells);
	}
	hr_table_print(out, t, "", 0);
	hr_table_free(t);
	if (json_integer_value(json_object_get(tree, "errors")))
		fprintf(out, "\n%lld error%s: run 'headroom rules check' for details\n",
			(long long)json_integer_value(json_object_get(tree, "errors")),
			json_integer_value(json_object_get(tree, "errors")) == 1 ? "" : "s");
	return 0;
}

static int rules_list(int argc, char **argv)
{
	hr_audit *a;
	json_t *tree;
	int first = rules_opts(argc, argv, "rules list");

	if (first < 0)
		return HR_EXIT_USAGE;
	if (first < argc) {
		fprintf(stderr, "headroom rules list: unexpected argument '%s'\n", argv[first]);
		return HR_EXIT_USAGE;
	}
	a = load(NULL, 0);
	if (!a)
		return HR_EXIT_FAIL;
	tree = json_pack("{s:o,s:i}", "rules", hr_ruleset_list(hr_audit_ruleset(a)), "errors",
			 (int)hr_diags_errors(hr_audit_diags(a)));
	hr_render(stdout, arg_format, tree, list_text);
	json_decref(tree);
	hr_audit_free(a);
	return HR_EXIT_OK;
}

static int rules_exec(int argc, char **argv)
{
	if (argc < 2) {
		hr_cmd_usage(stderr, &hr_cmd_rules);
		return HR_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "check"))
		return rules_check(argc - 1, argv + 1);
	if (!strcmp(argv[1], "list"))
		return rules_list(argc - 1, argv + 1);
	fprintf(stderr, "headroom rules: unknown subcommand '%s' (check or list)\n", argv[1]);
	return HR_EXIT_USAGE;
}

const struct hr_cmd hr_cmd_rules = {
	.name = "rules",
	.usage = "check [--rules DIR]... [--no-default-rules] [FILE...] | list [--rules DIR]...",
	.summary = "Check rule files for errors (file:line:col), or list the loaded rules.",
	.help = "  check [FILE...]       lint the rule files given (in the context of the rules\n"
		"                        directories), or every rules directory; exit 1 on any error\n"
		"  list                  the rules with their area, collection and place\n"
		"  --rules DIR           also load DIR/*.yaml (repeatable; after the shipped rules)\n"
		"  --no-default-rules    do not load the shipped rules directory\n"
		"  --format FMT          text (default), json or yaml\n"
		"Rule format: headroom-rules(5).\n",
	.exec = rules_exec,
};
