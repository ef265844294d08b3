/* cmd-explain.c: the 'explain' command (placeholder until its issue lands). */
#include "config.h"

#include "cmd.h"

static int explain_exec(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "headroom explain: not implemented yet\n");
	return 3;
}

const struct hr_cmd hr_cmd_explain = {
	.name = "explain",
	.usage = "",
	.summary = "Not implemented yet.",
	.exec = explain_exec,
};
