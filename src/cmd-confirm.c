/* cmd-confirm.c: 'headroom confirm [TXN]': keep a transaction applied with
 * --confirm (commit confirmed), so its watcher does not roll it back. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "cmd-txn.h"
#include "cmd.h"
#include "journal.h"

/* Confirms the given (or newest awaiting) transaction. */
static int confirm_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{"state-dir", required_argument, NULL, 'S'},
		{NULL, 0, NULL, 0},
	};
	static const char *const waiting[] = {"awaiting-confirm", NULL};
	struct hr_err err = {0};
	size_t expired = 0;
	char *id;
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'S') {
			hr_cmd_usage(stderr, &hr_cmd_confirm);
			return HR_EXIT_USAGE;
		}
		arg_state_dir = optarg;
	}
	if (argc - optind > 1) {
		hr_cmd_usage(stderr, &hr_cmd_confirm);
		return HR_EXIT_USAGE;
	}
	if (hr_state_check(arg_state_dir, false, &err) < 0) {
		fprintf(stderr, "headroom confirm: %s\n", err.msg);
		return HR_EXIT_FAIL;
	}
	/* A transaction past its deadline is rolled back first (and said so):
	 * confirming it now would keep values nobody vouched for in time. */
	hr_cmdtxn_expire("confirm", arg_state_dir, false, &expired);
	id = optind < argc ? strdup(argv[optind]) : hr_apply_find(arg_state_dir, waiting);
	if (!id) {
		fprintf(stderr, "headroom confirm: no transaction is awaiting confirmation%s\n",
			expired ? " (the one above passed its deadline)" : "");
		return HR_EXIT_FAIL;
	}
	r = hr_confirm_run(arg_state_dir, id, &err);
	if (r < 0) {
		fprintf(stderr, "headroom confirm: %s\n", err.msg);
		free(id);
		return HR_EXIT_FAIL;
	}
	printf("Confirmed transaction %s: its values stay.\n", id);
	free(id);
	return 0;
}

const struct hr_cmd hr_cmd_confirm = {
	.name = "confirm",
	.usage = "[TXN] [--state-dir DIR]",
	.summary = "Keep a transaction applied with --confirm before its deadline rolls it back.",
	.help = "  TXN                  the transaction (default: the newest awaiting confirmation)\n"
		"  --state-dir DIR      journal directory (default /var/lib/headroom)\n"
		"Past its deadline a transaction is rolled back, not confirmed (exit 1, said so).\n",
	.flags = HR_CMD_NEEDS_ROOT | HR_CMD_WRITES,
	.exec = confirm_exec,
};
