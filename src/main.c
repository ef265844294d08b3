/* main.c: entry point: global flags, then dispatch through the command table. */
#include "config.h"

#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "cmd.h"

const char *arg_rules_dirs[HR_MAX_RULE_DIRS];
int arg_nrules_dirs;
const char *arg_profiles_dir;
const char *arg_state_dir = "/var/lib/headroom";

const struct hr_cmd *const hr_commands[] = {
	&hr_cmd_probe,   &hr_cmd_audit,    &hr_cmd_explain, &hr_cmd_rules,   &hr_cmd_snapshot,
	&hr_cmd_profile, &hr_cmd_apply,    &hr_cmd_confirm, &hr_cmd_rollback, &hr_cmd_history, &hr_cmd_watch, &hr_cmd_trace,
	&hr_cmd_help,    &hr_cmd_version,  NULL,
};

const struct hr_cmd *hr_cmd_find(const char *name, bool *ambiguous)
{
	const struct hr_cmd *found = NULL;
	size_t n = strlen(name);
	int i, matches = 0;

	if (ambiguous)
		*ambiguous = false;
	for (i = 0; hr_commands[i]; i++) {
		if (!strcmp(hr_commands[i]->name, name))
			return hr_commands[i];
		if (n && !strncmp(hr_commands[i]->name, name, n)) {
			found = hr_commands[i];
			matches++;
		}
	}
	if (matches == 1)
		return found;
	if (matches > 1 && ambiguous)
		*ambiguous = true;
	return NULL;
}

void hr_cmd_usage(FILE *f, const struct hr_cmd *c)
{
	fprintf(f, "usage: headroom %s %s\n\n%s\n", c->name, c->usage, c->summary);
	if (c->help && *c->help)
		fprintf(f, "\n%s", c->help);
	if (c->flags & HR_CMD_NEEDS_ROOT)
		fprintf(f, "\nWrites to the kernel or the state directory: run as root.\n");
}

bool hr_cmd_set_format(const char *cmd, const char *value)
{
	if (!hr_format_valid(value)) {
		fprintf(stderr, "headroom %s: --format must be text, json or yaml (got '%s')\n", cmd,
			value);
		return false;
	}
	arg_format = value;
	return true;
}

bool hr_cmd_add_rules_dir(const char *dir)
{
	if (arg_nrules_dirs >= HR_MAX_RULE_DIRS) {
		fprintf(stderr, "headroom: at most %d --rules directories\n", HR_MAX_RULE_DIRS);
		return false;
	}
	arg_rules_dirs[arg_nrules_dirs++] = dir;
	return true;
}

const char *arg_assume_files[HR_MAX_ASSUME_FILES];
size_t arg_nassume_files;

bool hr_cmd_sysctld_option(const char *cmd, int c, const char *arg, struct hr_audit_opts *o)
{
	switch (c) {
	case 'F':
		if (arg_nassume_files >= HR_MAX_ASSUME_FILES) {
			fprintf(stderr, "headroom %s: at most %d --assume-file\n", cmd, HR_MAX_ASSUME_FILES);
			return false;
		}
		arg_assume_files[arg_nassume_files++] = arg;
		o->assume_files = arg_assume_files;
		o->nassume_files = arg_nassume_files;
		return true;
	case 'B':
		o->boot = true;
		return true;
	default:
		o->config_root = arg;
		return true;
	}
}

static void list_commands(FILE *f)
{
	int i;

	fprintf(f, "usage: headroom COMMAND [options]\n\n"
		   "Linux sysctl tuning advisor and safe-apply tool.\n\nCommands:\n");
	for (i = 0; hr_commands[i]; i++)
		fprintf(f, "  %-10s %s\n", hr_commands[i]->name, hr_commands[i]->summary);
	fprintf(f, "\nRun 'headroom help COMMAND' for a command's options; man headroom(8).\n");
}

static int help_exec(int argc, char **argv)
{
	const struct hr_cmd *c;
	bool amb;

	if (argc < 2) {
		list_commands(stdout);
		return 0;
	}
	c = hr_cmd_find(argv[1], &amb);
	if (!c) {
		fprintf(stderr, "headroom help: %s command '%s'\n", amb ? "ambiguous" : "unknown", argv[1]);
		return HR_EXIT_USAGE;
	}
	hr_cmd_usage(stdout, c);
	return 0;
}

static int version_exec(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("headroom %s\n", PACKAGE_VERSION);
	return 0;
}

const struct hr_cmd hr_cmd_help = {
	.name = "help",
	.usage = "[COMMAND]",
	.summary = "List the commands, or show one command's usage and options.",
	.exec = help_exec,
};

const struct hr_cmd hr_cmd_version = {
	.name = "version",
	.usage = "",
	.summary = "Print the version.",
	.exec = version_exec,
};

#if defined(__SANITIZE_ADDRESS__)
#define HR_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HR_ASAN 1
#endif
#endif

/* See cmd.h. */
bool hr_cmd_free_at_exit(void)
{
#ifdef HR_ASAN
	return true;
#else
	const char *e = getenv("HEADROOM_FREE_AT_EXIT");

	return e && *e;
#endif
}

int main(int argc, char **argv)
{
	const struct hr_cmd *c;
	bool amb;

	setlocale(LC_CTYPE, "");
	if (argc < 2) {
		list_commands(stderr);
		return HR_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
		return version_exec(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return help_exec(argc - 1, argv + 1);
	c = hr_cmd_find(argv[1], &amb);
	if (!c) {
		fprintf(stderr, "headroom: %s command '%s' (try 'headroom help')\n",
			amb ? "ambiguous" : "unknown", argv[1]);
		return HR_EXIT_USAGE;
	}
	if (argc >= 3 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
		hr_cmd_usage(stdout, c);
		return 0;
	}
	return c->exec(argc - 1, argv + 1);
}
