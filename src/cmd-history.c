/* cmd-history.c: the 'history' command (placeholder until its issue lands). */
#include "config.h"

#include "cmd.h"

static int history_exec(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "headroom history: not implemented yet\n");
	return 3;
}

const struct hr_cmd hr_cmd_history = {
	.name = "history",
	.usage = "",
	.summary = "Not implemented yet.",
	.exec = history_exec,
};
