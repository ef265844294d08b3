/* trace.h: the eBPF collector (src/bpf/trace.bpf.c) seen from user space:
 * load, attach for an interval, read the maps once, detach. The evidence
 * is one JSON tree (owned by the caller), the same for `headroom trace`
 * and for `audit --trace`, which also turns it into trace.* facts and the
 * connect_failures collection (hr_trace_facts).
 *
 * Lower layer: never prints (libbpf's own messages are kept, not shown:
 * the last one is in the error). Nothing is pinned: the links and maps
 * are closed when hr_trace_run returns, whatever happened. */
#ifndef HR_TRACE_H
#define HR_TRACE_H

#include <jansson.h>
#include <stdint.h>

#include "facts.h"
#include "headroom.h"
#include "probe.h"

struct hr_trace_opts {
	double seconds;                /* how long to collect (> 0) */
	uint32_t netns;                /* count only this network namespace (inode); 0: all */
	hr_probe_progress_fn progress; /* told the time left while collecting; NULL: nothing */
	void *progress_ud;
};

/* True when this build has the collector (configure found libbpf, clang, bpftool). */
bool hr_trace_built(void);

/* The inode of this process's network namespace (what --netns filters on), 0 if unknown. */
uint32_t hr_trace_netns_self(void);

/* The container a cgroup v2 path belongs to: its 64-hex id into id (n >= 65)
 * from the path's last component that is docker-ID.scope,
 * cri-containerd-ID.scope, crio-ID.scope, libpod-ID.scope, or a bare ID
 * (/docker/ID, /kubepods/.../podUID/ID). Returns the runtime ("docker",
 * "containerd", "cri-o", "podman", "kubernetes", "unknown"), or NULL when
 * the path is not a container's (id untouched). */
const char *hr_trace_container(const char *cgroup, char *id, size_t n);

/* Collects for o->seconds and returns the evidence in *out (owned):
 * {seconds, netns, totals, destinations, listeners, connect_failures,
 * drops, maps} (headroom-trace(8) describes each field). Returns 0, or
 * -errno with err saying in one sentence why nothing was traced:
 * -ENOTSUP built without eBPF or no BTF, -EPERM not privileged, other
 * load or attach failures. */
int hr_trace_run(const struct hr_trace_opts *o, json_t **out, struct hr_err *err);

/* The same in steps, for a collector that stays attached while it is read
 * again and again (watch --trace): hr_trace_open loads and attaches (0 or
 * -errno with err, as hr_trace_run); hr_trace_read returns the evidence
 * counted since the attach, cumulative (owned; NULL when out of memory),
 * detaching first when detach is true; hr_trace_close detaches and frees
 * (NULL is fine). Nothing is pinned: a process that dies, by any signal,
 * takes the links with it. */
struct hr_trace;
int hr_trace_open(const struct hr_trace_opts *o, struct hr_trace **out, struct hr_err *err);
json_t *hr_trace_read(struct hr_trace *t, bool detach);
void hr_trace_close(struct hr_trace *t);

/* Adds the evidence to facts: trace.seconds, trace.connect_calls,
 * trace.connect_failed, trace.failed.ERRNAME (EADDRNOTAVAIL ...),
 * trace.active_opens_rate, trace.passive_opens_rate, trace.rst_sent,
 * trace.rst_received, trace.synack_retrans, trace.drops, trace.lost, and
 * one connect_failures item per (process, destination, errno). With
 * ev NULL, records why (why) as the reason every trace.* fact is missing.
 * 0 or -ENOMEM. */
int hr_trace_facts(const json_t *ev, const char *why, hr_facts *f);

/* A captured tree's trace: DIR/headroom/trace.json, the evidence as
 * `headroom trace --format json` writes it (at most HR_TRACE_TREE_MAX
 * bytes), into facts as hr_trace_facts does. Absent: nothing; unreadable
 * or malformed: a problem recorded in the facts. */
#define HR_TRACE_TREE_MAX (4 << 20)
void hr_trace_tree(hr_facts *f, const struct hr_probe_tree *t);

/* trace-reasons.c: one sentence saying what a drop reason means, by its
 * name without the SKB_DROP_REASON_ prefix ("NO_SOCKET"); NULL if none. */
const char *hr_trace_drop_meaning(const char *name);

#endif
