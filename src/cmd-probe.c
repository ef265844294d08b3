/* cmd-probe.c: the 'probe' command (placeholder until its issue lands). */
#include "config.h"

#include "cmd.h"

static int probe_exec(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "headroom probe: not implemented yet\n");
	return 3;
}

const struct hr_cmd hr_cmd_probe = {
	.name = "probe",
	.usage = "",
	.summary = "Not implemented yet.",
	.exec = probe_exec,
};
