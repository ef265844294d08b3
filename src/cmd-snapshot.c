/* cmd-snapshot.c: the 'snapshot' command (placeholder until its issue lands). */
#include "config.h"

#include "cmd.h"

static int snapshot_exec(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "headroom snapshot: not implemented yet\n");
	return 3;
}

const struct hr_cmd hr_cmd_snapshot = {
	.name = "snapshot",
	.usage = "",
	.summary = "Not implemented yet.",
	.exec = snapshot_exec,
};
