/* cmd-netns.c: --netns / --pid / --all-netns for the commands. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd-netns.h"

bool hr_cmd_netns_option(struct hr_cmd_netns_args *a, const char *cmd, int c, const char *arg)
{
	struct hr_err err = {0};
	int64_t pid;

	switch (c) {
	case 'A':
		a->all = true;
		return true;
	case 'n':
		if (hr_netns_valid_name(arg, &err) < 0) {
			fprintf(stderr, "headroom %s: %s\n", cmd, err.msg);
			return false;
		}
		if (a->nnames >= HR_CMD_MAX_NETNS) {
			fprintf(stderr, "headroom %s: at most %d --netns\n", cmd, HR_CMD_MAX_NETNS);
			return false;
		}
		a->names[a->nnames++] = arg;
		return true;
	case 'p':
		if (hr_parse_i64(arg, &pid) < 0 || pid <= 0 || pid > 4194304) {
			fprintf(stderr, "headroom %s: --pid wants a process id (got '%s')\n", cmd, arg);
			return false;
		}
		if (a->npids >= HR_CMD_MAX_NETNS) {
			fprintf(stderr, "headroom %s: at most %d --pid\n", cmd, HR_CMD_MAX_NETNS);
			return false;
		}
		a->pids[a->npids++] = (pid_t)pid;
		return true;
	default:
		return false;
	}
}

bool hr_cmd_netns_wanted(const struct hr_cmd_netns_args *a)
{
	return a->all || a->nnames || a->npids;
}

bool hr_cmd_netns_list(const struct hr_cmd_netns_args *a, const char *cmd, struct hr_netns_list *l)
{
	struct hr_err err = {0};
	int i, r = 0;

	for (i = 0; r == 0 && i < a->nnames; i++)
		r = hr_netns_add_name(l, a->names[i], &err);
	for (i = 0; r == 0 && i < a->npids; i++)
		r = hr_netns_add_pid(l, a->pids[i], &err);
	if (r == 0 && a->all)
		r = hr_netns_add_all(l, &err);
	if (r < 0) {
		fprintf(stderr, "headroom %s: %s\n", cmd, err.msg[0] ? err.msg : hr_strerror(r));
		hr_netns_list_clear(l);
		return false;
	}
	if (a->npids && !a->all)
		hr_netns_add_known_names(l);
	return true;
}

char *hr_cmd_netns_title(char *buf, size_t n, const json_t *id)
{
	const json_t *names = json_object_get(id, "names"), *pids = json_object_get(id, "pids"), *x;
	json_int_t nproc = json_integer_value(json_object_get(id, "processes"));
	size_t o = 0, i;

#define ADD(...) (o += (o < n ? (size_t)snprintf(buf + o, n - o, __VA_ARGS__) : 0))
	ADD("Network namespace");
	if (json_is_true(json_object_get(id, "initial")))
		ADD(" (initial)");
	json_array_foreach(names, i, x)
		ADD("%s%s", i ? ", " : " ", json_string_value(x));
	if (json_array_size(names))
		ADD(" (ip netns)");
	ADD(", inode %lld", (long long)json_integer_value(json_object_get(id, "inode")));
	if (nproc)
		ADD("; %lld process%s:", (long long)nproc, nproc == 1 ? "" : "es");
	json_array_foreach(pids, i, x) {
		const char *c = json_string_value(json_object_get(x, "container"));
		const char *rt = json_string_value(json_object_get(x, "runtime"));

		if (i == 3)
			break;
		ADD("%s pid %lld %s", i ? "," : "", (long long)json_integer_value(json_object_get(x, "pid")),
		    json_string_value(json_object_get(x, "comm")));
		if (c)
			ADD(" (%s %.12s)", rt ? rt : "container", c);
	}
	if (nproc > 3)
		ADD(", ...");
#undef ADD
	if (o >= n && n > 4)
		memcpy(buf + n - 4, "...", 4);
	return buf;
}
