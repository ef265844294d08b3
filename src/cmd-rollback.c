/* cmd-rollback.c: 'headroom rollback [TXN|--last]': restore a transaction's
 * original values (also completes one interrupted by a crash). */
#include "config.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "cmd-txn.h"
#include "cmd.h"
#include "journal.h"
#include "render.h"

/* Text rendering of a rollback result. */
static int rollback_text(FILE *out, const json_t *res)
{
	hr_cmdtxn_print_rollback(out, res);
	return 0;
}

/* Rolls back the given transaction, an unfinished one, or the newest. */
static int rollback_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{"last", no_argument, NULL, 'l'},
		{"force", no_argument, NULL, 'F'},
		{"state-dir", required_argument, NULL, 'S'},
		{"format", required_argument, NULL, 'f'},
		{NULL, 0, NULL, 0},
	};
	static const char *const pending[] = {"interrupted", "confirm-expired", "failed-rollback-incomplete",
					      "rollback-incomplete", NULL};
	struct hr_err err = {0};
	bool last = false, force = false;
	json_t *res;
	char *id = NULL;
	const char *oc;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "f:", opts, NULL)) != -1) {
		switch (c) {
		case 'l': last = true; break;
		case 'F': force = true; break;
		case 'S': arg_state_dir = optarg; break;
		case 'f':
			if (!hr_cmd_set_format("rollback", optarg))
				return HR_EXIT_USAGE;
			break;
		default:
			hr_cmd_usage(stderr, &hr_cmd_rollback);
			return HR_EXIT_USAGE;
		}
	}
	if (argc - optind > 1 || (last && optind < argc)) {
		hr_cmd_usage(stderr, &hr_cmd_rollback);
		return HR_EXIT_USAGE;
	}
	if (hr_state_check(arg_state_dir, false, &err) < 0) {
		fprintf(stderr, "headroom rollback: %s\n", err.msg);
		return HR_TX_REFUSED;
	}
	/* One apply or rollback at a time: waits for one in progress (the
	 * descriptor is released at exit). */
	if (hr_state_lock(arg_state_dir, true, &err) < 0) {
		fprintf(stderr, "headroom rollback: %s\n", err.msg);
		return HR_TX_REFUSED;
	}
	if (optind < argc) {
		id = strdup(argv[optind]);
	} else {
		/* An interrupted transaction comes first: it is what needs finishing. */
		id = hr_apply_find(arg_state_dir, pending);
		if (id)
			fprintf(stderr, "headroom rollback: completing transaction %s\n", id);
		else
			id = hr_apply_find(arg_state_dir, NULL);
	}
	if (!id) {
		fprintf(stderr, "headroom rollback: no transactions in %s\n", arg_state_dir);
		return HR_TX_FAILED;
	}
	res = hr_rollback_run(arg_state_dir, id, force, "user", &err);
	free(id);
	if (!res) {
		fprintf(stderr, "headroom rollback: %s\n", err.msg);
		return HR_TX_REFUSED;
	}
	hr_render(stdout, arg_format, res, rollback_text);
	oc = json_string_value(json_object_get(res, "outcome"));
	rc = !strcmp(oc, "rollback-incomplete") ? HR_TX_INCOMPLETE : HR_TX_OK;
	json_decref(res);
	return rc;
}

const struct hr_cmd hr_cmd_rollback = {
	.name = "rollback",
	.usage = "[TXN | --last] [--force] [--state-dir DIR] [--format FMT]",
	.summary = "Restore the original values of a transaction (or finish an interrupted one).",
	.help = "  TXN                  the transaction (see 'headroom history')\n"
		"  --last               the newest transaction (default, after any interrupted one)\n"
		"  --force              also restore keys changed since by someone else\n"
		"  --state-dir DIR      journal directory (default /var/lib/headroom)\n"
		"  --format FMT         text (default), json or yaml\n"
		"Exit: 0 restored (or nothing to do), 3 incomplete (keys named), 4 refused.\n",
	.flags = HR_CMD_NEEDS_ROOT | HR_CMD_WRITES,
	.exec = rollback_exec,
};
