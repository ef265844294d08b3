/* cmd-audit.c: the 'audit' command (placeholder until its issue lands). */
#include "config.h"

#include "cmd.h"

static int audit_exec(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "headroom audit: not implemented yet\n");
	return 3;
}

const struct hr_cmd hr_cmd_audit = {
	.name = "audit",
	.usage = "",
	.summary = "Not implemented yet.",
	.exec = audit_exec,
};
