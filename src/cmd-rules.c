/* cmd-rules.c: the 'rules' command (placeholder until its issue lands). */
#include "config.h"

#include "cmd.h"

static int rules_exec(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "headroom rules: not implemented yet\n");
	return 3;
}

const struct hr_cmd hr_cmd_rules = {
	.name = "rules",
	.usage = "",
	.summary = "Not implemented yet.",
	.exec = rules_exec,
};
