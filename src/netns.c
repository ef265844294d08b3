/* netns.c: finding, identifying and entering network namespaces. */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "netns.h"
#include "sysctl.h"

#define RUN_NETNS "/run/netns"
#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

int hr_netns_valid_name(const char *name, struct hr_err *err)
{
	if (!name || !*name) {
		hr_err_set(err, -EINVAL, "--netns: empty namespace name");
		return -EINVAL;
	}
	if (strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..") || strlen(name) > NAME_MAX) {
		hr_err_set(err, -EINVAL,
			   "--netns '%s': not an 'ip netns' name (no '/', not '.' or '..', at most %d characters)",
			   name, NAME_MAX);
		return -EINVAL;
	}
	return 0;
}

/* The entry for (dev, ino), or NULL. */
static struct hr_netns *find(struct hr_netns_list *l, uint64_t dev, uint64_t ino)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->v[i].dev == dev && l->v[i].ino == ino)
			return &l->v[i];
	return NULL;
}

/* The path of the initial namespace's nsfs file: PID 1's, or when that is
 * hidden from us (a sandbox's PID 1 under another user namespace) kthreadd's,
 * whose kernel threads always live in init_net. NULL when neither is readable. */
static const char *initial_path(void)
{
	char *comm = NULL;
	bool kthreadd;

	if (access("/proc/1/ns/net", F_OK) == 0)
		return "/proc/1/ns/net";
	if (hr_read_file("/proc/2/comm", &comm, NULL) < 0)
		return NULL;
	kthreadd = !strcmp(hr_strtrim(comm), "kthreadd");
	free(comm);
	return kthreadd && access("/proc/2/ns/net", F_OK) == 0 ? "/proc/2/ns/net" : NULL;
}

/* Whether (dev, ino) is the initial namespace. */
static bool is_initial(uint64_t dev, uint64_t ino)
{
	static uint64_t idev, iino;
	static int known; /* 0 not looked, 1 known, -1 unknown */
	struct stat st;

	if (!known) {
		const char *p = initial_path();

		known = p && stat(p, &st) == 0 ? 1 : -1;
		if (known > 0) {
			idev = (uint64_t)st.st_dev;
			iino = (uint64_t)st.st_ino;
		}
	}
	return known > 0 && idev == dev && iino == ino;
}

/* Opens an nsfs path and finds or appends its entry; *out gets it. The
 * descriptor is kept by a new entry and closed for a known one. 0 or -errno. */
static int add_path(struct hr_netns_list *l, const char *path, struct hr_netns **out)
{
	struct hr_netns *ns, *nv;
	struct stat st;
	struct statfs sf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || fstatfs(fd, &sf) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	/* A leftover file under /run/netns with nothing mounted on it. */
	if (sf.f_type != NSFS_MAGIC) {
		close(fd);
		return -ENOTTY;
	}
	ns = find(l, (uint64_t)st.st_dev, (uint64_t)st.st_ino);
	if (ns) {
		close(fd);
		*out = ns;
		return 0;
	}
	nv = realloc(l->v, (l->n + 1) * sizeof(*nv));
	if (!nv) {
		close(fd);
		return -ENOMEM;
	}
	l->v = nv;
	ns = &l->v[l->n++];
	memset(ns, 0, sizeof(*ns));
	ns->dev = (uint64_t)st.st_dev;
	ns->ino = (uint64_t)st.st_ino;
	ns->fd = fd;
	ns->initial = is_initial(ns->dev, ns->ino);
	*out = ns;
	return 0;
}

/* Adds a name to an entry unless it has it. 0 or -ENOMEM. */
static int add_name(struct hr_netns *ns, const char *name)
{
	char **nv;
	size_t i;

	for (i = 0; i < ns->nnames; i++)
		if (!strcmp(ns->names[i], name))
			return 0;
	nv = realloc(ns->names, (ns->nnames + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	ns->names = nv;
	nv[ns->nnames] = strdup(name);
	if (!nv[ns->nnames])
		return -ENOMEM;
	ns->nnames++;
	return 0;
}

int hr_netns_add_name(struct hr_netns_list *l, const char *name, struct hr_err *err)
{
	char path[sizeof(RUN_NETNS) + NAME_MAX + 2];
	struct hr_netns *ns;
	int r = hr_netns_valid_name(name, err);

	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%s/%s", RUN_NETNS, name);
	r = add_path(l, path, &ns);
	if (r < 0) {
		hr_err_set(err, r, "--netns %s: %s", name,
			   r == -ENOENT   ? "no such network namespace (see 'ip netns list')"
			   : r == -ENOTTY ? "not a network namespace (a leftover file in " RUN_NETNS ")"
					  : hr_strerror(r));
		return r;
	}
	r = add_name(ns, name);
	if (r < 0)
		hr_err_set(err, r, "out of memory");
	return r;
}

bool hr_netns_container_from_cgroup(const char *cg, char runtime[16], char id[65])
{
	static const struct {
		const char *marker, *runtime;
	} kinds[] = {
		{"cri-containerd-", "containerd"}, {"crio-", "crio"}, {"libpod-", "podman"},
		{"docker", "docker"},              {"kubepods", "kubepods"}, {"containerd", "containerd"},
	};
	const char *p;

	runtime[0] = id[0] = '\0';
	for (p = cg; *p; p++) {
		size_t n = 0, i;
		const char *line;

		if (p != cg && p[-1] != '/' && p[-1] != '-')
			continue;
		while (isxdigit((unsigned char)p[n]) && !isupper((unsigned char)p[n]))
			n++;
		if (n != 64 || (p[n] && p[n] != '/' && p[n] != '.' && p[n] != '\n'))
			continue;
		memcpy(id, p, 64);
		id[64] = '\0';
		/* The runtime: the first marker on the same line before the id. */
		for (line = p; line > cg && line[-1] != '\n'; line--)
			;
		for (i = 0; i < HR_ARRAY_SIZE(kinds); i++) {
			const char *m = strstr(line, kinds[i].marker);

			if (m && m < p) {
				snprintf(runtime, 16, "%s", kinds[i].runtime);
				break;
			}
		}
		return true;
	}
	return false;
}

/* Fills a process's comm and container id (best effort: it may exit). */
static void proc_info(struct hr_netns_proc *pr, pid_t pid)
{
	char path[64], *s = NULL;

	memset(pr, 0, sizeof(*pr));
	pr->pid = pid;
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	if (hr_read_file(path, &s, NULL) == 0) {
		snprintf(pr->comm, sizeof(pr->comm), "%s", hr_strtrim(s));
		free(s);
		s = NULL;
	}
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	if (hr_read_file(path, &s, NULL) == 0) {
		hr_netns_container_from_cgroup(s, pr->runtime, pr->container);
		free(s);
	}
}

/* Records pid as a holder of ns (the first HR_NETNS_MAX_PROCS are kept). */
static void add_proc(struct hr_netns *ns, pid_t pid)
{
	size_t i;

	for (i = 0; i < ns->nprocs; i++)
		if (ns->procs[i].pid == pid)
			return;
	ns->nprocs_total++;
	if (ns->nprocs < HR_NETNS_MAX_PROCS)
		proc_info(&ns->procs[ns->nprocs++], pid);
}

int hr_netns_add_pid(struct hr_netns_list *l, pid_t pid, struct hr_err *err)
{
	char path[64];
	struct hr_netns *ns;
	int r;

	if (pid <= 0) {
		hr_err_set(err, -EINVAL, "--pid %d: not a process id", (int)pid);
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	r = add_path(l, path, &ns);
	if (r < 0) {
		hr_err_set(err, r, "--pid %d: %s", (int)pid,
			   r == -ENOENT ? "no such process" : hr_strerror(r));
		return r == -ENOENT ? -ESRCH : r;
	}
	add_proc(ns, pid);
	return 0;
}

/* Whether a /proc entry name is a process id. */
static pid_t pid_of(const char *s)
{
	long v = 0;

	if (!*s)
		return 0;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s) || v > 10000000)
			return 0;
		v = v * 10 + (*s - '0');
	}
	return (pid_t)v;
}

void hr_netns_add_known_names(struct hr_netns_list *l)
{
	DIR *d = opendir(RUN_NETNS);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[sizeof(RUN_NETNS) + NAME_MAX + 2];
		struct hr_netns *ns;
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", RUN_NETNS, e->d_name);
		if (stat(path, &st) == 0 && (ns = find(l, (uint64_t)st.st_dev, (uint64_t)st.st_ino)))
			add_name(ns, e->d_name);
	}
	closedir(d);
}

int hr_netns_add_all(struct hr_netns_list *l, struct hr_err *err)
{
	DIR *d = opendir(RUN_NETNS);
	struct dirent *e;
	int r;

	/* Named namespaces first: no /run/netns is simply none. */
	if (d) {
		while ((e = readdir(d)))
			if (e->d_name[0] != '.' && hr_netns_add_name(l, e->d_name, NULL) < 0)
				continue; /* deleted meanwhile, or not a namespace (a stale file) */
		closedir(d);
	}
	d = opendir("/proc");
	if (!d) {
		r = -errno;
		hr_err_set(err, r, "/proc: %s", hr_strerror(r));
		return r;
	}
	while ((e = readdir(d))) {
		pid_t pid = pid_of(e->d_name);
		char path[64];
		struct stat st;
		struct hr_netns *ns;

		if (!pid)
			continue;
		/* stat first: opening every process's file only for new namespaces. */
		snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
		if (stat(path, &st) < 0)
			continue; /* exited, or a kernel thread's hidden ns */
		ns = find(l, (uint64_t)st.st_dev, (uint64_t)st.st_ino);
		if (!ns && add_path(l, path, &ns) < 0)
			continue;
		add_proc(ns, pid);
	}
	closedir(d);
	return 0;
}

void hr_netns_list_clear(struct hr_netns_list *l)
{
	size_t i, j;

	if (!l)
		return;
	for (i = 0; i < l->n; i++) {
		if (l->v[i].fd >= 0)
			close(l->v[i].fd);
		for (j = 0; j < l->v[i].nnames; j++)
			free(l->v[i].names[j]);
		free(l->v[i].names);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int hr_netns_open_current(void)
{
	/* thread-self: setns changes the calling thread only. */
	int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int hr_netns_open_initial(void)
{
	const char *p = initial_path();
	int fd = p ? open(p, O_RDONLY | O_CLOEXEC) : -1;

	return !p ? -ENOENT : fd < 0 ? -errno : fd;
}

int hr_netns_enter(int fd)
{
	return setns(fd, CLONE_NEWNET) < 0 ? -errno : 0;
}

const char *hr_netns_enter_error(int r)
{
	if (r == -EPERM || r == -EACCES)
		return "permission denied (entering a network namespace needs CAP_SYS_ADMIN over it: run as root)";
	return hr_strerror(r);
}

int hr_netns_enter_name(const char *name, struct hr_err *err)
{
	struct hr_netns_list l = {0};
	int r = hr_netns_add_name(&l, name, err);

	if (r == 0 && (r = hr_netns_enter(l.v[0].fd)) < 0)
		hr_err_set(err, r, "--netns %s: cannot enter it: %s", name, hr_netns_enter_error(r));
	hr_netns_list_clear(&l);
	return r;
}

int hr_netns_fd_id(int fd, uint64_t *dev, uint64_t *ino)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	*dev = (uint64_t)st.st_dev;
	*ino = (uint64_t)st.st_ino;
	return 0;
}

/* See netns.h: this process's namespace, and whether it is a child one. */
int hr_netns_self(uint64_t *inode, bool *child)
{
	struct stat self, init;

	if (stat("/proc/self/ns/net", &self) < 0)
		return -errno;
	*inode = (uint64_t)self.st_ino;
	/* PID 1's netns is the initial one (in our PID namespace). */
	if (stat("/proc/1/ns/net", &init) == 0) {
		*child = self.st_ino != init.st_ino || self.st_dev != init.st_dev;
		return 0;
	}
	/* PID 1 hidden from us (ptrace rules, a sandbox): net.core's global
	 * table (net_core_table, with netdev_max_backlog) is registered for
	 * init_net only, so its absence means a child netns. */
	if (access("/proc/sys/net/core/netdev_max_backlog", F_OK) == 0) {
		*child = false;
		return 1;
	}
	if (errno == ENOENT && access("/proc/sys/net/core/somaxconn", F_OK) == 0) {
		*child = true;
		return 1;
	}
	return -errno;
}

json_t *hr_netns_identity(const struct hr_netns *ns)
{
	json_t *o = json_object(), *names = json_array(), *pids = json_array();
	size_t i;

	for (i = 0; i < ns->nnames; i++)
		json_array_append_new(names, json_string(ns->names[i]));
	for (i = 0; i < ns->nprocs; i++) {
		const struct hr_netns_proc *p = &ns->procs[i];

		json_array_append_new(pids, json_pack("{s:i, s:s, s:s?, s:s?}", "pid", (int)p->pid, "comm", p->comm,
						      "runtime", p->runtime[0] ? p->runtime : NULL, "container",
						      p->container[0] ? p->container : NULL));
	}
	json_object_set_new(o, "inode", json_integer((json_int_t)ns->ino));
	json_object_set_new(o, "dev", json_integer((json_int_t)ns->dev));
	json_object_set_new(o, "initial", json_boolean(ns->initial));
	json_object_set_new(o, "names", names);
	json_object_set_new(o, "processes", json_integer((json_int_t)ns->nprocs_total));
	json_object_set_new(o, "pids", pids);
	return o;
}

/* Reads the sysctls of the namespace the caller is in (see hr_netns_globals). */
static int read_globals(hr_facts **out, struct hr_err *err)
{
	struct hr_probe_opts po = {.root = "", .interval_s = 0, .no_sockets = true};
	hr_facts *f = hr_facts_new();
	int r;

	*out = NULL;
	if (!f)
		return -ENOMEM;
	r = hr_probe_run(f, &po, err);
	if (r < 0) {
		hr_facts_free(f);
		return r;
	}
	*out = f;
	return 0;
}

/* The keys a child namespace takes from the initial one: net.* globals. */
static bool global_net_key(const char *key)
{
	return !strncmp(key, "net.", 4) && hr_sysctl_is_global(key);
}

size_t hr_netns_copy_globals(hr_facts *f, const hr_facts *g)
{
	return g ? hr_facts_fill_sysctls(f, g, global_net_key, HR_NETNS_GLOBAL_NOTE) : 0;
}

int hr_netns_globals(const struct hr_netns_list *l, hr_facts **out, struct hr_err *err)
{
	int back, init, r = 0;
	bool any_child = false;
	size_t i;

	*out = NULL;
	for (i = 0; i < l->n; i++)
		any_child |= !l->v[i].initial;
	if (!any_child)
		return 0;
	init = hr_netns_open_initial();
	if (init < 0)
		return 0; /* initial namespace hidden: the child's keys stay absent, with their reason */
	back = hr_netns_open_current();
	if (back < 0) {
		close(init);
		hr_err_set(err, back, "cannot open this process's network namespace: %s", hr_strerror(back));
		return back;
	}
	if (hr_netns_enter(init) == 0) {
		read_globals(out, NULL);
		r = hr_netns_enter(back);
	}
	close(init);
	close(back);
	if (r < 0) {
		hr_err_set(err, r, "cannot return to this process's network namespace: %s", hr_strerror(r));
		return r;
	}
	return 0;
}

int hr_netns_each(const struct hr_netns_list *l,
		  int (*fn)(const struct hr_netns *ns, size_t i, int enter_err, void *arg), void *arg,
		  struct hr_err *err)
{
	int back = hr_netns_open_current(), r = 0;
	size_t i;

	if (back < 0) {
		hr_err_set(err, back, "cannot open this process's network namespace: %s", hr_strerror(back));
		return back;
	}
	for (i = 0; i < l->n && r >= 0; i++) {
		int er = hr_netns_enter(l->v[i].fd);

		r = fn(&l->v[i], i, er, arg);
		/* Back before anything else: the rest must not run in the
		 * visited namespace. Returning failing is fatal: stop. */
		if (er == 0) {
			int br = hr_netns_enter(back);

			if (br < 0) {
				hr_err_set(err, br, "cannot return to this process's network namespace: %s",
					   hr_strerror(br));
				r = br;
			}
		}
	}
	close(back);
	return r < 0 ? r : 0;
}

/* What the two passes of hr_netns_probe_all share. */
struct probe_pass {
	const struct hr_probe_opts *po;
	struct hr_netns_probe *out;
	hr_probe_pending **pending; /* each namespace's second counter sample */
};

/* First pass, inside each namespace: the probe up to its second sample. */
static int probe_first(const struct hr_netns *ns, size_t i, int enter_err, void *arg)
{
	struct probe_pass *c = arg;
	struct hr_netns_probe *o = &c->out[i];
	struct hr_probe_opts po = *c->po;
	struct hr_err e = {0};
	int r;

	(void)ns;
	if (enter_err < 0) {
		snprintf(o->error, sizeof(o->error), "%s", hr_netns_enter_error(enter_err));
		return 0;
	}
	o->entered = true;
	po.root = "";
	po.progress = NULL;
	po.later = &c->pending[i];
	o->f = hr_facts_new();
	r = o->f ? hr_probe_run(o->f, &po, &e) : -ENOMEM;
	if (r < 0)
		snprintf(o->error, sizeof(o->error), "%s", e.msg[0] ? e.msg : hr_strerror(r));
	return 0;
}

/* Second pass, inside each namespace again: its second counter sample. */
static int probe_second(const struct hr_netns *ns, size_t i, int enter_err, void *arg)
{
	struct probe_pass *c = arg;

	(void)ns;
	if (enter_err == 0) {
		hr_probe_finish(c->pending[i], c->po->progress, c->po->progress_ud);
		c->pending[i] = NULL;
	}
	return 0;
}

int hr_netns_probe_all(const struct hr_netns_list *l, const struct hr_probe_opts *po, struct hr_netns_probe *out,
		       struct hr_err *err)
{
	struct hr_probe_opts po2 = *po;
	struct probe_pass c = {.po = &po2, .out = out};
	hr_kmsg_log *own = NULL;
	size_t i;
	int r;

	/* The kernel log is the host's: read once for every namespace (each
	 * later probe reads only what was logged since), unless the caller
	 * keeps one across calls. */
	if (!po2.kmsg_log)
		po2.kmsg_log = own = hr_kmsg_log_new();
	memset(out, 0, l->n * sizeof(*out));
	c.pending = calloc(l->n ? l->n : 1, sizeof(*c.pending));
	if (!c.pending) {
		hr_err_set(err, -ENOMEM, "out of memory");
		return -ENOMEM;
	}
	r = hr_netns_each(l, probe_first, &c, err);
	if (r == 0)
		r = hr_netns_each(l, probe_second, &c, err);
	for (i = 0; i < l->n; i++)
		hr_probe_pending_free(c.pending[i]); /* a pass stopped: never finished */
	free(c.pending);
	hr_kmsg_log_free(own);
	return r;
}

void hr_netns_probe_clear(struct hr_netns_probe *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++) {
		hr_facts_free(v[i].f);
		v[i].f = NULL;
	}
}
