/* cmd-profile.c: 'headroom profile list|show NAME': the shipped tuning
 * profiles, and one profile with its inheritance resolved. */
#include "config.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "fmt.h"
#include "profile.h"
#include "render.h"

/* The profiles directory: --profiles DIR or the default. */
static const char *profiles_dir(void)
{
	return arg_profiles_dir ? arg_profiles_dir : hr_default_profiles_dir();
}

/* Text rendering of 'profile list'. */
static int list_text(FILE *out, const json_t *tree)
{
	struct hr_table *t = hr_table_new(3);
	const char *hdr[] = {"PROFILE", "EXTENDS", "DESCRIPTION"};
	json_t *p;
	size_t i;

	hr_table_row(t, hdr);
	json_array_foreach(json_object_get(tree, "profiles"), i, p) {
		char ext[256] = "";
		json_t *e;
		size_t k;
		const char *row[3];

		json_array_foreach(json_object_get(p, "extends"), k, e) {
			if (k)
				strncat(ext, ", ", sizeof(ext) - strlen(ext) - 1);
			strncat(ext, json_string_value(e), sizeof(ext) - strlen(ext) - 1);
		}
		row[0] = json_string_value(json_object_get(p, "name"));
		row[1] = ext[0] ? ext : "-";
		row[2] = json_string_value(json_object_get(p, "description"));
		if (!row[2])
			row[2] = json_string_value(json_object_get(p, "error"));
		hr_table_row(t, row);
	}
	hr_table_print(out, t, "", 0);
	hr_table_free(t);
	return 0;
}

/* Text rendering of 'profile show'. */
static int show_text(FILE *out, const json_t *p)
{
	struct hr_table *t = hr_table_new(3);
	const char *hdr[] = {"KEY", "VALUE", "FROM"};
	json_t *s;
	size_t i;

	fprintf(out, "Profile %s: %s\n", json_string_value(json_object_get(p, "name")),
		json_string_value(json_object_get(p, "description")));
	fprintf(out, "Resolved from:");
	json_array_foreach(json_object_get(p, "chain"), i, s)
		fprintf(out, "%s %s", i ? " ->" : "", json_string_value(s));
	fprintf(out, "\n");
	if (json_object_get(p, "path"))
		fprintf(out, "Declared %s (%s)\n", json_string_value(json_object_get(json_object_get(p, "path"), "check")),
			json_string_value(json_object_get(json_object_get(p, "path"), "where")));
	fprintf(out, "\nAssumes:\n");
	json_array_foreach(json_object_get(p, "assumptions"), i, s)
		fprintf(out, "  - %s\n", json_string_value(s));
	fprintf(out, "\n");
	hr_table_row(t, hdr);
	json_array_foreach(json_object_get(p, "settings"), i, s) {
		const char *ov = json_string_value(json_object_get(s, "overrides"));
		char from[300];
		const char *row[3];

		snprintf(from, sizeof(from), "%s%s%s%s", json_string_value(json_object_get(s, "from")),
			 ov ? " (overrides " : "", ov ? ov : "", ov ? ")" : "");
		row[0] = json_string_value(json_object_get(s, "key"));
		row[1] = json_string_value(json_object_get(s, "value"));
		row[2] = from;
		hr_table_row(t, row);
	}
	hr_table_print(out, t, "", 0);
	hr_table_free(t);
	fprintf(out, "\nWhy:\n");
	json_array_foreach(json_object_get(p, "settings"), i, s)
		fprintf(out, "  %s (%s, %s):\n      %s\n", json_string_value(json_object_get(s, "key")),
			json_string_value(json_object_get(s, "from")),
			json_string_value(json_object_get(s, "where")),
			json_string_value(json_object_get(s, "why")));
	return 0;
}

/* Dispatches 'profile list' and 'profile show NAME'. */
static int profile_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{"profiles", required_argument, NULL, 'P'},
		{"format", required_argument, NULL, 'f'},
		{"trust-inputs", no_argument, NULL, HR_OPT_TRUST_INPUTS},
		{NULL, 0, NULL, 0},
	};
	struct hr_err err = {0};
	json_t *tree;
	int c, rc = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "f:", opts, NULL)) != -1) {
		switch (c) {
		case HR_OPT_TRUST_INPUTS:
			hr_trust_inputs(true);
			break;
		case 'P':
			arg_profiles_dir = optarg;
			break;
		case 'f':
			if (!hr_cmd_set_format("profile", optarg))
				return HR_EXIT_USAGE;
			break;
		default:
			hr_cmd_usage(stderr, &hr_cmd_profile);
			return HR_EXIT_USAGE;
		}
	}
	if (optind < argc && !strcmp(argv[optind], "list") && optind + 1 == argc) {
		char **names;
		size_t n, i;
		json_t *arr = json_array();

		c = hr_profile_names(profiles_dir(), &names, &n);
		if (c < 0) {
			fprintf(stderr, "headroom profile: %s: %s\n", profiles_dir(), hr_strerror_about(c, HR_ABOUT_DIR));
			json_decref(arr);
			return HR_EXIT_FAIL;
		}
		for (i = 0; i < n; i++) {
			struct hr_profile *p;

			hr_err_clear(&err);
			if (hr_profile_resolve(profiles_dir(), names[i], &p, &err) < 0) {
				json_array_append_new(arr, json_pack("{s:s, s:s}", "name", names[i], "error", err.msg));
				fprintf(stderr, "headroom profile: %s\n", err.msg);
				rc = HR_EXIT_FAIL;
				continue;
			}
			json_array_append_new(arr, hr_profile_to_json(p));
			hr_profile_free(p);
		}
		hr_profile_names_free(names, n);
		tree = json_pack("{s:s, s:o}", "directory", profiles_dir(), "profiles", arr);
		hr_render(stdout, arg_format, tree, list_text);
		json_decref(tree);
		return rc;
	}
	if (optind + 2 == argc && !strcmp(argv[optind], "show")) {
		struct hr_profile *p;

		if (hr_profile_resolve(profiles_dir(), argv[optind + 1], &p, &err) < 0) {
			fprintf(stderr, "headroom profile: %s\n", err.msg);
			return HR_EXIT_FAIL;
		}
		tree = hr_profile_to_json(p);
		hr_profile_free(p);
		hr_render(stdout, arg_format, tree, show_text);
		json_decref(tree);
		return 0;
	}
	hr_cmd_usage(stderr, &hr_cmd_profile);
	return HR_EXIT_USAGE;
}

const struct hr_cmd hr_cmd_profile = {
	.name = "profile",
	.usage = "list | show NAME [--profiles DIR] [--format text|json|yaml]",
	.summary = "List the tuning profiles, or show one with its inheritance resolved.",
	.help = "  list                 every profile in the profiles directory\n"
		"  show NAME            NAME's settings after 'extends', each with the profile it comes from\n"
		"  --profiles DIR       read profiles from DIR (default: the shipped profiles)\n"
		"  --trust-inputs       as root, use rule/profile/workload/persist files or directories\n"
		"                       another user could have written (refused otherwise)\n"
		"  --format FMT         text (default), json or yaml\n",
	.exec = profile_exec,
};
