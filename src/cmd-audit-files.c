/* cmd-audit-files.c: the text report's sections for --assume-file (what
 * the files change, refuse and create) and --boot (the runtime values boot
 * changes), split from cmd-audit.c. May call: fmt (tables), lazy (the
 * new critical findings, a lazy array at the destination bound), jansson. */
#include "config.h"

#include <stdio.h>

#include "cmd.h"
#include "fmt.h"
#include "lazy.h"

static const char *str_or(const json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : dflt;
}

static void print_refused(FILE *out, const json_t *part, const char *what)
{
	struct hr_lazy_iter it;
	const json_t *x;
	size_t i;

	json_array_foreach(json_object_get(part, "rejected"), i, x)
		fprintf(out, "  %s %s: %s%s = %s: %s%s\n", json_is_true(json_object_get(x, "ignored")) ? "skipped " : "REJECTED",
			str_or(x, "where", "?"), json_is_true(json_object_get(x, "ignored")) ? "-" : "", str_or(x, "key", "?"),
			str_or(x, "value", "?"), str_or(x, "reason", "?"),
			json_is_true(json_object_get(x, "ignored")) ? " (its '-' prefix ignores the failure)" : "");
	/* Every one (a lazy array at 65,536 destinations: audit-files.c). */
	hr_lazy_iter_init(&it, json_object_get(part, "new_critical"));
	while ((x = hr_lazy_next(&it))) {
		const json_t *c;
		size_t k;

		fprintf(out, "  %s critical %s%s%s", what, str_or(x, "rule", "?"), json_object_get(x, "subject") ? " " : "",
			str_or(x, "subject", ""));
		json_array_foreach(json_object_get(x, "changed_by"), k, c)
			fprintf(out, "%s%s", k ? ", " : " (", str_or(c, "source", "?"));
		fprintf(out, "%s\n", json_array_size(json_object_get(x, "changed_by")) ? ")" : "");
	}
	hr_lazy_iter_end(&it);
}

/* --assume-file: what the files change, refuse and create. */
void hr_cmd_audit_print_whatif(FILE *out, const json_t *w)
{
	struct hr_table *t = hr_table_new(5);
	const json_t *x;
	size_t i;

	fprintf(out, "What-if (nothing changed):");
	json_array_foreach(json_object_get(w, "files"), i, x)
		fprintf(out, "%s %s", i ? "," : "", json_string_value(x));
	fputc('\n', out);
	json_array_foreach(json_object_get(w, "settings"), i, x) {
		const char *row[] = {str_or(x, "key", "?"), str_or(x, "was", "-"), "->", str_or(x, "value", "?"),
				     str_or(x, "where", "?")};

		hr_table_row(t, row);
	}
	hr_table_print(out, t, "  ", 0);
	hr_table_free(t);
	print_refused(out, w, "creates");
	fputc('\n', out);
}

/* --boot: the runtime values boot changes, and what it refuses and creates. */
void hr_cmd_audit_print_boot(FILE *out, const json_t *b)
{
	const json_t *diffs = json_object_get(b, "differences"), *x;
	struct hr_table *t = hr_table_new(5);
	size_t i;

	fprintf(out, "Next boot: %zu sysctl.d file%s under %s set %lld key%s; kernel defaults: %s\n",
		json_array_size(json_object_get(b, "files")), json_array_size(json_object_get(b, "files")) == 1 ? "" : "s",
		str_or(b, "config_root", "/"), (long long)json_integer_value(json_object_get(b, "keys_set")),
		json_integer_value(json_object_get(b, "keys_set")) == 1 ? "" : "s",
		json_is_string(json_object_get(b, "defaults")) ? "read in a new network namespace"
							       : str_or(b, "defaults_unknown", "unknown"));
	fprintf(out, "Runtime vs boot (%zu key%s differ%s)\n", json_array_size(diffs), json_array_size(diffs) == 1 ? "" : "s",
		json_array_size(diffs) == 1 ? "s" : "");
	json_array_foreach(diffs, i, x) {
		char why[1200];
		const char *row[] = {str_or(x, "key", "?"), str_or(x, "runtime", "?"), "->", str_or(x, "boot", "?"), why};

		if (json_is_string(json_object_get(x, "where")))
			snprintf(why, sizeof(why), "set by %s", str_or(x, "where", "?"));
		else
			snprintf(why, sizeof(why), "%s", str_or(x, "status", "?"));
		hr_table_row(t, row);
	}
	hr_table_print(out, t, "  ", 0);
	hr_table_free(t);
	if (json_integer_value(json_object_get(b, "unknown_defaults")))
		fprintf(out, "  %lld other key%s: no file sets them and their boot default is not known (kept as now)\n",
			(long long)json_integer_value(json_object_get(b, "unknown_defaults")),
			json_integer_value(json_object_get(b, "unknown_defaults")) == 1 ? "" : "s");
	json_array_foreach(json_object_get(b, "problems"), i, x)
		fprintf(out, "  ignored by systemd-sysctl: %s: %s\n", str_or(x, "where", "?"), str_or(x, "problem", "?"));
	print_refused(out, b, "at boot:");
	fputc('\n', out);
}
