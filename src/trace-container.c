/* trace-container.c: the container a process runs in, from its cgroup v2
 * path (the eBPF trace names it beside pid and comm). Pure string work,
 * built with or without eBPF. May call: libc. */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "trace.h"

/* 64 hexadecimal digits (a container id), followed by end or a dot. */
static bool hex64(const char *s)
{
	int i;

	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[64] == '\0' || s[64] == '.' || s[64] == '/';
}

const char *hr_trace_container(const char *cgroup, char *id, size_t n)
{
	/* crio-conmon-ID and libpod-conmon-ID are the runtime's monitor, not
	 * the container: "conmon-" is not hex, so they never match. */
	static const struct {
		const char *prefix, *runtime;
	} kinds[] = {
		{"docker-", "docker"}, {"cri-containerd-", "containerd"}, {"crio-", "cri-o"}, {"libpod-", "podman"},
	};
	const char *p, *last = NULL, *runtime = NULL;
	size_t i;

	if (!cgroup || n < 65)
		return NULL;
	/* The last path component that is (a runtime prefix then) 64 hex digits. */
	for (p = cgroup; (p = strchr(p, '/')); p++) {
		const char *c = p + 1;

		for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
			if (!strncmp(c, kinds[i].prefix, strlen(kinds[i].prefix)) && hex64(c + strlen(kinds[i].prefix))) {
				last = c + strlen(kinds[i].prefix);
				runtime = kinds[i].runtime;
			}
		if (hex64(c)) {
			/* A bare id: docker's cgroupfs driver (/docker/ID), a
			 * kubelet's (/kubepods/.../podUID/ID). */
			last = c;
			runtime = strstr(cgroup, "/kubepods") ? "kubernetes" : !strncmp(cgroup, "/docker/", 8) ? "docker" : "unknown";
		}
	}
	if (!last)
		return NULL;
	memcpy(id, last, 64);
	id[64] = '\0';
	return runtime;
}
