/* cmd-apply.c: the 'apply' command (placeholder until its issue lands). */
#include "config.h"

#include "cmd.h"

static int apply_exec(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "headroom apply: not implemented yet\n");
	return 3;
}

const struct hr_cmd hr_cmd_apply = {
	.name = "apply",
	.usage = "",
	.summary = "Not implemented yet.",
	.exec = apply_exec,
};
