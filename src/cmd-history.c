/* cmd-history.c: 'headroom history': the transactions and their outcomes. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apply.h"
#include "cmd-txn.h"
#include "cmd.h"
#include "fmt.h"
#include "journal.h"
#include "render.h"

/* The network namespace a transaction was applied in, for people: its
 * `ip netns` name (--netns), else "inode N", else "-" (not recorded). */
static const char *netns_text(char *buf, size_t n, const json_t *x)
{
	const char *name = json_string_value(json_object_get(x, "netns_name"));
	const json_t *ino = json_object_get(x, "netns");

	if (name)
		snprintf(buf, n, "%s", name);
	else if (json_is_integer(ino))
		snprintf(buf, n, "inode %" JSON_INTEGER_FORMAT, json_integer_value(ino));
	else
		snprintf(buf, n, "-");
	return buf;
}

/* Text rendering: one row per transaction. */
static int history_text(FILE *out, const json_t *tree)
{
	struct hr_table *t = hr_table_new(6);
	const char *hdr[] = {"TXN", "TIME (UTC)", "KEYS", "STATUS", "NETNS", "SOURCE"};
	json_t *x;
	size_t i;

	if (!json_array_size(json_object_get(tree, "transactions"))) {
		fprintf(out, "No transactions in %s.\n", json_string_value(json_object_get(tree, "state_dir")));
		hr_table_free(t);
		return 0;
	}
	hr_table_row(t, hdr);
	json_array_foreach(json_object_get(tree, "transactions"), i, x) {
		char when[32], keys[16], ns[300];
		time_t tt = (time_t)json_integer_value(json_object_get(x, "time"));
		const char *row[6];

		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", gmtime(&tt));
		snprintf(keys, sizeof(keys), "%zu", json_array_size(json_object_get(x, "entries")));
		row[0] = json_string_value(json_object_get(x, "txn"));
		row[1] = when;
		row[2] = keys;
		row[3] = json_string_value(json_object_get(x, "status"));
		row[4] = netns_text(ns, sizeof(ns), x);
		row[5] = json_string_value(json_object_get(x, "source"));
		hr_table_row(t, row);
	}
	hr_table_print(out, t, "", 1u << 2);
	hr_table_free(t);
	if (arg_verbose)
		json_array_foreach(json_object_get(tree, "transactions"), i, x) {
			json_t *e;
			size_t k;

			char ns[300];

			fprintf(out, "\n%s (network namespace %s):\n", json_string_value(json_object_get(x, "txn")),
				netns_text(ns, sizeof(ns), x));
			json_array_foreach(json_object_get(x, "entries"), k, e)
				fprintf(out, "  %s: %s -> %s\n", json_string_value(json_object_get(e, "key")),
					json_string_value(json_object_get(e, "old")),
					json_string_value(json_object_get(e, "new")));
		}
	return 0;
}

/* Lists every transaction with its status, then warns about unfinished ones. */
static int history_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{"state-dir", required_argument, NULL, 'S'},
		{"format", required_argument, NULL, 'f'},
		{"verbose", no_argument, NULL, 'v'},
		{NULL, 0, NULL, 0},
	};
	struct hr_err err = {0};
	json_t *tree, *arr;
	char **ids;
	size_t n, i;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "f:v", opts, NULL)) != -1) {
		switch (c) {
		case 'S': arg_state_dir = optarg; break;
		case 'f':
			if (!hr_cmd_set_format("history", optarg))
				return HR_EXIT_USAGE;
			break;
		case 'v': arg_verbose++; break;
		default:
			hr_cmd_usage(stderr, &hr_cmd_history);
			return HR_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		hr_cmd_usage(stderr, &hr_cmd_history);
		return HR_EXIT_USAGE;
	}
	if (hr_state_check(arg_state_dir, false, &err) < 0 && err.code != -ENOENT) {
		fprintf(stderr, "headroom history: %s\n", err.msg);
		return HR_EXIT_FAIL;
	}
	arr = json_array();
	if (hr_journal_list(arg_state_dir, &ids, &n) == 0) {
		for (i = 0; i < n; i++) {
			bool busy;
			json_t *t = hr_journal_peek(arg_state_dir, ids[i], &busy, NULL), *h;

			if (t) {
				h = json_object_get(t, "header");
				json_t *ino = json_object_get(h, "netns"), *name = json_object_get(h, "netns_name");

				/* netns: the inode recorded by apply (null in a journal
				 * older than that); netns_name: the --netns NAME, or null. */
				json_array_append_new(arr, json_pack("{s:s, s:O, s:O, s:s, s:O, s:O, s:O, s:O, s:O}", "txn",
								     ids[i], "time", json_object_get(h, "time"),
								     "source", json_object_get(h, "source"), "status",
								     hr_txn_status(t, busy), "entries",
								     json_object_get(h, "entries"), "boot_id",
								     json_object_get(h, "boot_id") ?: json_null(),
								     "netns", json_is_integer(ino) ? ino : json_null(),
								     "netns_name", json_is_string(name) ? name : json_null(),
								     "events", json_object_get(t, "events")));
			}
			json_decref(t);
			free(ids[i]);
		}
		free(ids);
	}
	tree = json_pack("{s:s, s:o}", "state_dir", arg_state_dir, "transactions", arr);
	hr_render(stdout, arg_format, tree, history_text);
	json_decref(tree);
	if (!strcmp(arg_format, "text"))
		hr_cmdtxn_warn_attention("history", arg_state_dir);
	return 0;
}

const struct hr_cmd hr_cmd_history = {
	.name = "history",
	.usage = "[--state-dir DIR] [--format FMT] [-v]",
	.summary = "List the transactions and their outcomes (and any interrupted one).",
	.help = "  --state-dir DIR      journal directory (default /var/lib/headroom)\n"
		"  --format FMT         text (default), json or yaml\n"
		"  -v, --verbose        also each transaction's keys: old -> new\n",
	.exec = history_exec,
};
