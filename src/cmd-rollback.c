/* cmd-rollback.c: 'headroom rollback [TXN|--last]': restore a transaction's
 * original values (also completes one interrupted by a crash). */
#include "config.h"

#include <errno.h>
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
		{"expired", no_argument, NULL, 'E'},
		{"at-deadline", no_argument, NULL, 'W'},
		{NULL, 0, NULL, 0},
	};
	static const char *const pending[] = {"interrupted", "confirm-expired", "failed-rollback-incomplete",
					      "rollback-incomplete", NULL};
	static const char *const waiting[] = {"awaiting-confirm", NULL};
	struct hr_err err = {0};
	bool last = false, force = false, expired = false, at_deadline = false;
	size_t done = 0, failed;
	json_t *res;
	char *id = NULL;
	const char *oc;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "f:", opts, NULL)) != -1) {
		switch (c) {
		case 'l': last = true; break;
		case 'F': force = true; break;
		case 'E': expired = true; break;
		case 'W': at_deadline = true; break;
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
	if (argc - optind > 1 || (last && optind < argc) || (expired && (last || force || at_deadline || optind < argc)) ||
	    (at_deadline && (last || force || optind == argc))) {
		hr_cmd_usage(stderr, &hr_cmd_rollback);
		return HR_EXIT_USAGE;
	}
	if (hr_state_check(arg_state_dir, false, &err) < 0) {
		/* The boot unit on a machine that never applied anything. */
		if (expired && err.code == -ENOENT)
			return HR_TX_OK;
		fprintf(stderr, "headroom rollback: %s\n", err.msg);
		return HR_TX_REFUSED;
	}
	if (at_deadline) {
		/* The --confirm watcher's unit: wait, then roll back unless confirmed. */
		if (hr_confirm_watch(arg_state_dir, argv[optind], 0, &err) < 0) {
			fprintf(stderr, "headroom rollback: %s\n", err.msg);
			return HR_TX_INCOMPLETE;
		}
		return HR_TX_OK;
	}
	/* What passed its confirm deadline goes back first (and is said so):
	 * without an argument, that is the rollback asked for. */
	failed = hr_cmdtxn_expire("rollback", arg_state_dir, false, &done);
	if (expired || (done && optind == argc))
		return failed ? HR_TX_INCOMPLETE : HR_TX_OK;
	/* One apply or rollback at a time: waits for one in progress (the
	 * descriptor is released at exit). */
	if (hr_state_lock(arg_state_dir, true, &err) < 0) {
		fprintf(stderr, "headroom rollback: %s\n", err.msg);
		return HR_TX_REFUSED;
	}
	if (optind < argc) {
		id = strdup(argv[optind]);
	} else {
		size_t unreadable;

		/* Which transaction to undo is a guess when a journal cannot be
		 * read: it may be that one. Say so and let the operator name one. */
		hr_cmdtxn_warn_attention("rollback", arg_state_dir, true, &unreadable);
		if (unreadable) {
			fprintf(stderr, "headroom rollback: refused: name the transaction to roll back (headroom history); the unreadable journal above may be the one to undo\n");
			return HR_TX_REFUSED;
		}
		/* An interrupted transaction comes first: it is what needs
		 * finishing; then one awaiting confirmation (whose watcher may be
		 * gone); then the newest. */
		id = hr_apply_find(arg_state_dir, pending);
		if (!id)
			id = hr_apply_find(arg_state_dir, waiting);
		if (id) {
			bool busy;
			json_t *t = hr_journal_peek(arg_state_dir, id, &busy, NULL);

			fprintf(stderr, "headroom rollback: rolling back transaction %s (%s) first\n", id,
				t ? hr_txn_status(t, busy) : "unreadable");
			json_decref(t);
		} else {
			id = hr_apply_find(arg_state_dir, NULL);
		}
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
	.usage = "[TXN | --last | --expired] [--force] [--state-dir DIR] [--format FMT]",
	.summary = "Restore the original values of a transaction (or finish an interrupted one).",
	.help = "  TXN                  the transaction (see 'headroom history')\n"
		"  --last               the newest transaction (default, after any interrupted one\n"
		"                       and any awaiting confirmation)\n"
		"  --expired            only what passed its confirm deadline or was awaiting\n"
		"                       confirmation at a reboot (the boot unit runs this)\n"
		"  --at-deadline TXN    wait for TXN's confirm deadline, then roll back unless\n"
		"                       confirmed (what the --confirm watcher runs)\n"
		"  --force              also restore keys changed since by someone else\n"
		"  --state-dir DIR      journal directory (default /var/lib/headroom)\n"
		"  --format FMT         text (default), json or yaml\n"
		"Exit: 0 restored (or nothing to do), 3 incomplete (keys named), 4 refused.\n",
	.flags = HR_CMD_NEEDS_ROOT | HR_CMD_WRITES,
	.exec = rollback_exec,
};
