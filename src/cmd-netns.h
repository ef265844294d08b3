/* cmd-netns.h: the namespace options shared by audit, probe and apply
 * (--netns NAME, --pid PID, --all-netns): parsing, the list of namespaces
 * with messages for the user, and a section title. Command layer: prints. */
#ifndef HR_CMD_NETNS_H
#define HR_CMD_NETNS_H

#include <jansson.h>
#include <sys/types.h>

#include "netns.h"

#define HR_CMD_MAX_NETNS 256

struct hr_cmd_netns_args {
	const char *names[HR_CMD_MAX_NETNS];
	int nnames;
	pid_t pids[HR_CMD_MAX_NETNS];
	int npids;
	bool all;
};

/* Takes one option: c is 'n' (--netns NAME), 'p' (--pid PID) or 'A'
 * (--all-netns). false (message printed) when the value is bad. */
bool hr_cmd_netns_option(struct hr_cmd_netns_args *a, const char *cmd, int c, const char *arg);
/* True when any namespace option was given. */
bool hr_cmd_netns_wanted(const struct hr_cmd_netns_args *a);
/* Builds the list: the named, then the processes', then (--all-netns)
 * every namespace. false (message printed, l freed) on the first error. */
bool hr_cmd_netns_list(const struct hr_cmd_netns_args *a, const char *cmd, struct hr_netns_list *l);
/* "Network namespace web (ip netns), inode 4026532185" from an identity
 * object (hr_netns_identity). Returns buf. */
char *hr_cmd_netns_title(char *buf, size_t n, const json_t *identity);

#endif
