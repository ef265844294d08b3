/* netns.h: network namespaces of the host: by `ip netns` name
 * (/run/netns/NAME), by process (/proc/PID/ns/net), or all of them (the
 * named ones and those of every running process, one entry per namespace:
 * de-duplicated by the nsfs file's st_dev and st_ino), with what identifies
 * each for people (names, the processes holding it, a container id from
 * their cgroup path) and setns(2) to enter one.
 *
 * Lower layer: never prints. Each entry keeps an open descriptor of its
 * nsfs file, so a namespace cannot vanish between listing and entering. */
#ifndef HR_NETNS_H
#define HR_NETNS_H

#include <jansson.h>
#include <sys/types.h>

#include "facts.h"
#include "headroom.h"
#include "probe.h"

/* Processes kept per namespace for its identity (the rest are counted). */
#define HR_NETNS_MAX_PROCS 8

struct hr_netns_proc {
	pid_t pid;
	char comm[17];      /* /proc/PID/comm (TASK_COMM_LEN) */
	char runtime[16];   /* "docker", "containerd", "crio", "podman", "kubepods", or "" */
	char container[65]; /* 64 hex digits from the cgroup path, or "" */
};

struct hr_netns {
	uint64_t dev, ino;  /* of the nsfs file: the namespace's identity */
	int fd;             /* open nsfs file (O_RDONLY), for setns */
	bool initial;       /* the initial namespace (init_net) */
	char **names;       /* `ip netns` names (/run/netns/NAME bind mounts) */
	size_t nnames;
	struct hr_netns_proc procs[HR_NETNS_MAX_PROCS];
	size_t nprocs;      /* kept in procs[] */
	size_t nprocs_total; /* processes seen in it (all of them) */
};

struct hr_netns_list {
	struct hr_netns *v;
	size_t n;
};

/* 0 when name can be an `ip netns` name (no '/', not "." or "..", not
 * empty, at most NAME_MAX); -EINVAL with err saying why. */
int hr_netns_valid_name(const char *name, struct hr_err *err);

/* Adds the namespace /run/netns/NAME (merged with an entry of the same
 * namespace). 0, or -EINVAL (bad name), -ENOENT (no such namespace),
 * -errno; err names it. */
int hr_netns_add_name(struct hr_netns_list *l, const char *name, struct hr_err *err);

/* Adds the namespace of process pid, with the process in its identity.
 * 0, or -ESRCH (no such process), -EACCES, -errno; err says which. */
int hr_netns_add_pid(struct hr_netns_list *l, pid_t pid, struct hr_err *err);

/* Adds every namespace of the host: the named ones, then those of every
 * process in /proc (processes that exit meanwhile are skipped). The
 * initial namespace is marked. 0 or -errno (only when /proc cannot be read). */
int hr_netns_add_all(struct hr_netns_list *l, struct hr_err *err);

/* Adds to the entries of l the `ip netns` names that refer to them (a
 * namespace found by --pid may have one). */
void hr_netns_add_known_names(struct hr_netns_list *l);

/* Empties the list: closes the descriptors and frees the entries (the
 * struct itself is the caller's). */
void hr_netns_list_clear(struct hr_netns_list *l);

/* Opens the calling thread's current network namespace (to come back to). fd or -errno. */
int hr_netns_open_current(void);

/* Opens the initial network namespace (PID 1's, or kthreadd's when PID 1's
 * is hidden). fd or -errno. */
int hr_netns_open_initial(void);

/* Enters the namespace of an nsfs descriptor: setns(fd, CLONE_NEWNET).
 * /proc/net (self/net) and new opens of /proc/sys/net and new netlink
 * sockets follow. 0 or -errno. */
int hr_netns_enter(int fd);

/* Words for a failure of hr_netns_enter (EPERM: the capability it needs). */
const char *hr_netns_enter_error(int r);

/* Enters the `ip netns` namespace NAME (/run/netns/NAME) for this thread
 * and the threads it makes later. 0, or -EINVAL (bad name), -ENOENT (no
 * such namespace), -EPERM, -errno; err names it. */
int hr_netns_enter_name(const char *name, struct hr_err *err);

/* Identity of fd's namespace (st_dev, st_ino of the nsfs file). 0 or -errno. */
int hr_netns_fd_id(int fd, uint64_t *dev, uint64_t *ino);

/* Network namespace of this process: inode of /proc/self/ns/net, and
 * whether it differs from PID 1's (a child netns). 0, 1 when PID 1's was
 * unreadable and the answer comes from the presence of init_net-only keys,
 * or -errno. */
int hr_netns_self(uint64_t *inode, bool *child);

/* The namespace's identity as JSON (owned): {inode, dev, initial, names[],
 * processes, pids[{pid, comm, runtime, container}]}. */
json_t *hr_netns_identity(const struct hr_netns *ns);

/* Container runtime and id from the text of /proc/PID/cgroup: the first
 * 64-hex-digit component (docker-<id>.scope, cri-containerd-<id>.scope,
 * crio-<id>.scope, libpod-<id>.scope, /docker/<id>, kubepods/.../<id>).
 * true when one was found. */
bool hr_netns_container_from_cgroup(const char *cgroup, char runtime[16], char id[65]);

/* The global sysctls (hr_sysctl_is_global: one value per host, absent or
 * read-only in a child netns) of the initial namespace, read once (when l
 * has any child namespace; *out NULL otherwise or when the initial
 * namespace cannot be opened). *out (owned, hr_facts_free) gets the
 * initial namespace's sysctls as the probe reads them (no sockets).
 * 0, or -errno when this process could not come back to its own
 * namespace (err says so). */
int hr_netns_globals(const struct hr_netns_list *l, hr_facts **out, struct hr_err *err);

/* Sets in f every global net.* key of g (hr_netns_globals; NULL: none)
 * that f lacks, facts to facts, with the source marked as the initial
 * namespace's ("SOURCE (" HR_NETNS_GLOBAL_NOTE ")"). Returns how many. */
#define HR_NETNS_GLOBAL_NOTE "initial network namespace: a global key"
size_t hr_netns_copy_globals(hr_facts *f, const hr_facts *g);

/* Calls fn inside each namespace of l in order (enter_err: 0, or the
 * -errno of setns, then fn runs where the caller is) and comes back to the
 * caller's namespace after each. Stops at fn's first negative return.
 * 0, or that return, or -errno when this process could not come back
 * (err says so; then nothing else may run). */
int hr_netns_each(const struct hr_netns_list *l,
		  int (*fn)(const struct hr_netns *ns, size_t i, int enter_err, void *arg), void *arg,
		  struct hr_err *err);

/* One namespace's probe (hr_netns_probe_all). */
struct hr_netns_probe {
	hr_facts *f;               /* owned; NULL when the namespace could not be entered */
	bool entered;
	char error[HR_ERR_MAX];    /* why it could not be entered or probed; "" when it was */
};

/* Probes every namespace of l into out[0..l->n) (hr_probe_run with po,
 * root ignored): the first counter samples of all, then one interval
 * shared by all, then the second samples, each taken in its namespace.
 * 0, or -errno when this process could not come back to its namespace
 * (err says so). out is filled in any case: free with hr_netns_probe_clear. */
int hr_netns_probe_all(const struct hr_netns_list *l, const struct hr_probe_opts *po, struct hr_netns_probe *out,
		       struct hr_err *err);
void hr_netns_probe_clear(struct hr_netns_probe *v, size_t n);

/* The values a new network namespace starts with, which for a key per
 * namespace are the kernel's defaults (what it has at boot before any
 * sysctl.d file): a child process unshares a network namespace and reads
 * every writable top-level key of dirs (absolute /proc/sys paths) and each
 * of keys (dotted); secrets are never read. Sets each in out as a sysctl
 * with source, except the keys a new namespace does not take from the
 * kernel's defaults (global keys; those copied from the initial namespace
 * at creation: tcp_rmem, tcp_wmem, the congestion control, the conf.*
 * trees per net.core.devconf_inherit_init_net). Returns how many were set,
 * or -errno (-EPERM: no CAP_SYS_ADMIN to make a namespace) with err. */
int hr_netns_fresh_sysctls(const char *const *dirs, const char *const *keys, size_t nkeys, hr_facts *out,
			   const char *source, struct hr_err *err);

#endif
