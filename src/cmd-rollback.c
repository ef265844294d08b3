/* cmd-rollback.c: the 'rollback' command (placeholder until its issue lands). */
#include "config.h"

#include "cmd.h"

static int rollback_exec(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "headroom rollback: not implemented yet\n");
	return 3;
}

const struct hr_cmd hr_cmd_rollback = {
	.name = "rollback",
	.usage = "",
	.summary = "Not implemented yet.",
	.exec = rollback_exec,
};
