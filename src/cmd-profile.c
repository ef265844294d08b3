/* cmd-profile.c: the 'profile' command (placeholder until its issue lands). */
#include "config.h"

#include "cmd.h"

static int profile_exec(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "headroom profile: not implemented yet\n");
	return 3;
}

const struct hr_cmd hr_cmd_profile = {
	.name = "profile",
	.usage = "",
	.summary = "Not implemented yet.",
	.exec = profile_exec,
};
