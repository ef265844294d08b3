/* cmd-confirm.c: the 'confirm' command (placeholder until its issue lands). */
#include "config.h"

#include "cmd.h"

static int confirm_exec(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "headroom confirm: not implemented yet\n");
	return 3;
}

const struct hr_cmd hr_cmd_confirm = {
	.name = "confirm",
	.usage = "",
	.summary = "Not implemented yet.",
	.exec = confirm_exec,
};
