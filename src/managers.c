/* managers.c: the other managers of a host's sysctls (managers.h). The
 * catalogue below says what each one writes, from its own code; a manager
 * counts as present when a process of its name runs (ROOT/proc/PID/comm).
 * TuneD's keys come from its active profile ([sysctl] of tuned.conf, with
 * include= parents) and tuned-main.conf's reapply_sysctl.
 * May call: util (headroom.h), libc, jansson. */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "managers.h"

#define MGR_MAX_FILE (256 * 1024)
#define MGR_MAX_INCLUDE 8

struct cat_key {
	const char *key, *value, *when;
};

struct cat {
	const char *name;
	const char *const *comms; /* process names (comm, at most 15 bytes) */
	const char *source;
	const struct cat_key *keys; /* NULL-terminated; kube-proxy's values computed */
};

static const char *const c_kube_proxy[] = {"kube-proxy", NULL};
static const char *const c_kubelet[] = {"kubelet", NULL};
static const char *const c_tuned[] = {"tuned", NULL};
static const char *const c_bpftune[] = {"bpftune", NULL};
static const char *const c_dockerd[] = {"dockerd", NULL};
static const char *const c_cni[] = {"containerd", "crio", "podman", NULL};

static const struct cat_key k_kube_proxy[] = {
	{"net.netfilter.nf_conntrack_max", NULL,
	 "at start-up: max(conntrack.maxPerCore 32768 x CPUs, conntrack.min 131072), at most 1048576"},
	{"net.netfilter.nf_conntrack_buckets", NULL, "at start-up: the hash size raised to nf_conntrack_max / 4"},
	{"net.netfilter.nf_conntrack_tcp_timeout_established", "86400", "at start-up (conntrack.tcpEstablishedTimeout, 24 h)"},
	{"net.netfilter.nf_conntrack_tcp_timeout_close_wait", "3600", "at start-up (conntrack.tcpCloseWaitTimeout, 1 h)"},
	{NULL, NULL, NULL},
};
static const struct cat_key k_kubelet[] = {
	{"vm.overcommit_memory", "1", "at start-up, unless --protect-kernel-defaults"},
	{"vm.panic_on_oom", "0", "at start-up, unless --protect-kernel-defaults"},
	{"kernel.panic", "10", "at start-up, unless --protect-kernel-defaults"},
	{"kernel.panic_on_oops", "1", "at start-up, unless --protect-kernel-defaults"},
	{"kernel.keys.root_maxkeys", "1000000", "at start-up, unless --protect-kernel-defaults"},
	{"kernel.keys.root_maxbytes", "25000000", "at start-up, unless --protect-kernel-defaults"},
	{NULL, NULL, NULL},
};
static const struct cat_key k_bpftune[] = {
	{"net.ipv4.tcp_rmem", "grown as buffers fill", "continuously (tcp_buffer_tuner); backs off after an administrator writes it"},
	{"net.ipv4.tcp_wmem", "grown as buffers fill", "continuously (tcp_buffer_tuner); backs off after an administrator writes it"},
	{"net.ipv4.tcp_mem", "raised under memory pressure", "continuously (tcp_buffer_tuner)"},
	{"net.core.netdev_max_backlog", "raised when the backlog drops packets", "continuously (net_buffer_tuner)"},
	{"net.core.netdev_budget", "raised on time_squeeze", "continuously (net_buffer_tuner)"},
	{"net.core.netdev_budget_usecs", "raised on time_squeeze", "continuously (net_buffer_tuner)"},
	{"net.ipv4.ipfrag_high_thresh", "raised on reassembly failures", "continuously (ip_frag_tuner)"},
	{"net.ipv6.route.max_size", "raised as the table fills", "continuously (route_table_tuner)"},
	{NULL, NULL, NULL},
};
static const struct cat_key k_dockerd[] = {
	{"net.ipv4.ip_forward", "1", "at start-up (unless --ip-forward=false)"},
	{"net.ipv6.conf.all.forwarding", "1", "at start-up when IPv6 networks exist"},
	{"net.bridge.bridge-nf-call-iptables", "1", "when a bridge network is created (br_netfilter)"},
	{"net.bridge.bridge-nf-call-ip6tables", "1", "when a bridge network is created (br_netfilter)"},
	{NULL, NULL, NULL},
};
static const struct cat_key k_cni[] = {
	{"net.ipv4.ip_forward", "1", "when a pod or container network is set up (CNI bridge and portmap plugins)"},
	{"net.bridge.bridge-nf-call-iptables", "1", "when a bridge network is set up (br_netfilter)"},
	{NULL, NULL, NULL},
};

static const struct cat catalogue[] = {
	{"kube-proxy", c_kube_proxy, "kubernetes pkg/proxy/conntrack/sysctls.go, cmd/kube-proxy/app/conntrack.go", k_kube_proxy},
	{"kubelet", c_kubelet, "kubernetes pkg/kubelet/cm/container_manager_linux.go: setupKernelTunables", k_kubelet},
	{"tuned", c_tuned, "tuned/plugins/plugin_sysctl.py; tuned-main.conf reapply_sysctl", NULL},
	{"bpftune", c_bpftune, "bpftune's tuners (tcp_buffer, net_buffer, ip_frag, route_table)", k_bpftune},
	{"dockerd", c_dockerd, "moby libnetwork: setupIPForwarding, br_netfilter", k_dockerd},
	{"container runtime", c_cni, "CNI plugins (bridge, portmap) run by containerd, CRI-O or podman", k_cni},
};
#define NCAT (sizeof(catalogue) / sizeof(catalogue[0]))

/* ------------------------------------------------------------ helpers */

static int append_note(struct hr_managers *ms, const char *fmt, const char *a, const char *b)
{
	char line[1024];
	size_t have = ms->notes ? strlen(ms->notes) : 0;
	char *n;

	snprintf(line, sizeof(line), fmt, a, b);
	n = realloc(ms->notes, have + strlen(line) + 3);
	if (!n)
		return -ENOMEM;
	if (have)
		memcpy(n + have, "; ", 3), have += 2;
	strcpy(n + have, line);
	ms->notes = n;
	return 0;
}

/* Reads ROOT/rel (a regular file, at most MGR_MAX_FILE) into a new string;
 * NULL with *err = -errno. */
static char *read_file(const char *root, const char *rel, int *err)
{
	char path[4096];
	struct stat st;
	char *buf;
	ssize_t n;
	size_t len = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		*err = -errno;
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		*err = -EINVAL;
		return NULL;
	}
	buf = malloc(MGR_MAX_FILE + 1);
	if (!buf) {
		close(fd);
		*err = -ENOMEM;
		return NULL;
	}
	while (len < MGR_MAX_FILE && (n = read(fd, buf + len, MGR_MAX_FILE - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	return buf;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int add_key(struct hr_manager *m, const char *key, const char *value, const char *when)
{
	struct hr_manager_key *k;
	size_t i;

	for (i = 0; i < m->nkeys; i++) /* a later line (a child profile) replaces */
		if (!strcmp(m->keys[i].key, key)) {
			char *v = strdup(value);

			if (!v)
				return -ENOMEM;
			free(m->keys[i].value);
			m->keys[i].value = v;
			return 0;
		}
	k = realloc(m->keys, (m->nkeys + 1) * sizeof(*k));
	if (!k)
		return -ENOMEM;
	m->keys = k;
	k = &m->keys[m->nkeys];
	k->key = strdup(key);
	k->value = strdup(value);
	k->when = strdup(when);
	if (!k->key || !k->value || !k->when) {
		free(k->key), free(k->value), free(k->when);
		return -ENOMEM;
	}
	m->nkeys++;
	return 0;
}

/* ------------------------------------------------------------ TuneD */

/* One profile's tuned.conf: its include= parents first, then its [sysctl]
 * lines. depth bounds include chains (and cycles). */
static int tuned_profile(struct hr_managers *ms, struct hr_manager *m, const char *root, const char *name,
			 const char *when, int depth)
{
	static const char *const dirs[] = {"etc/tuned/%s/tuned.conf", "etc/tuned/profiles/%s/tuned.conf",
					   "usr/lib/tuned/%s/tuned.conf", "usr/lib/tuned/profiles/%s/tuned.conf"};
	char rel[512], *text = NULL, *line, *save = NULL, section[64] = "";
	size_t i;
	int err = 0, r = 0;

	if (depth > MGR_MAX_INCLUDE || !*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return append_note(ms, "TuneD profile '%s' not read%s", name, depth > MGR_MAX_INCLUDE ? ": include chain too deep" : "");
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && !text; i++) {
		snprintf(rel, sizeof(rel), dirs[i], name);
		text = read_file(root, rel, &err);
	}
	if (!text)
		return err == -ENOMEM ? -ENOMEM : append_note(ms, "TuneD profile '%s': %s", name, "no tuned.conf found under /etc/tuned or /usr/lib/tuned");
	for (line = strtok_r(text, "\n", &save); line && r == 0; line = strtok_r(NULL, "\n", &save)) {
		char *l = trim(line), *eq;

		if (!*l || *l == '#' || *l == ';')
			continue;
		if (*l == '[') {
			char *e = strchr(l, ']');

			snprintf(section, sizeof(section), "%.*s", e ? (int)(e - l - 1) : 0, l + 1);
			continue;
		}
		eq = strchr(l, '=');
		if (!eq)
			continue;
		*eq = '\0';
		if (!strcmp(section, "main") && !strcmp(trim(l), "include")) {
			char *p, *s2 = NULL;

			for (p = strtok_r(eq + 1, ", \t", &s2); p && r == 0; p = strtok_r(NULL, ", \t", &s2))
				r = tuned_profile(ms, m, root, p, when, depth + 1);
		} else if (!strcmp(section, "sysctl")) {
			char *k = trim(l), *c;

			for (c = k; *c; c++) /* the slash form */
				if (*c == '/')
					*c = '.';
			r = add_key(m, k, trim(eq + 1), when);
		}
	}
	free(text);
	return r;
}

static int tuned_config(struct hr_managers *ms, struct hr_manager *m, const char *root)
{
	char *active, *main_conf, *p, *save = NULL, when[512], ev[512];
	int err = 0, r = 0, reapply = 1;

	main_conf = read_file(root, "etc/tuned/tuned-main.conf", &err);
	if (main_conf) {
		char *line, *s2 = NULL;

		for (line = strtok_r(main_conf, "\n", &s2); line; line = strtok_r(NULL, "\n", &s2)) {
			char *l = trim(line), *eq = strchr(l, '=');

			if (*l == '#' || !eq)
				continue;
			*eq = '\0';
			if (!strcmp(trim(l), "reapply_sysctl")) {
				const char *v = trim(eq + 1);

				reapply = !(!strcmp(v, "0") || !strcasecmp(v, "false") || !strcasecmp(v, "no"));
			}
		}
		free(main_conf);
	}
	snprintf(when, sizeof(when), "%s",
		 reapply ? "when its profile is applied (start-up, profile switch); reapply_sysctl = 1: "
			   "/etc/sysctl.d is applied again after it, so a key set there wins"
			 : "when its profile is applied (start-up, profile switch); reapply_sysctl = 0: it overrides /etc/sysctl.d");
	active = read_file(root, "etc/tuned/active_profile", &err);
	if (!active)
		return err == -ENOMEM ? -ENOMEM : append_note(ms, "TuneD runs but %s: %s", "/etc/tuned/active_profile",
							     "not readable, its keys are unknown");
	snprintf(ev, sizeof(ev), "%s, profile %s, reapply_sysctl %d", m->evidence, trim(active), reapply);
	free(m->evidence);
	m->evidence = strdup(ev);
	if (!m->evidence) {
		free(active);
		return -ENOMEM;
	}
	for (p = strtok_r(active, " \t\n", &save); p && r == 0; p = strtok_r(NULL, " \t\n", &save))
		r = tuned_profile(ms, m, root, p, when, 0);
	free(active);
	return r;
}

/* ------------------------------------------------------------ processes */

/* The catalogue entry whose process name is comm, or -1. */
static int cat_of(const char *comm)
{
	size_t i, j;

	for (i = 0; i < NCAT; i++)
		for (j = 0; catalogue[i].comms[j]; j++)
			if (!strcmp(catalogue[i].comms[j], comm))
				return (int)i;
	return -1;
}

/* kube-proxy's conntrack arithmetic (the catalogue's NULL values). */
static void kube_value(const char *key, long ncpus, char *out, size_t n)
{
	long max = ncpus > 0 ? 32768 * ncpus : 0;

	if (ncpus <= 0) {
		snprintf(out, n, "depends on the CPU count (unknown here)");
		return;
	}
	if (max < 131072)
		max = 131072;
	if (max > 1048576)
		max = 1048576;
	if (!strcmp(key, "net.netfilter.nf_conntrack_max"))
		snprintf(out, n, "%ld", max);
	else
		snprintf(out, n, "%ld", max / 4);
}

static int found(struct hr_managers *ms, int ci, const char *comm, long pid, long ncpus, const char *root)
{
	const struct cat *c = &catalogue[ci];
	struct hr_manager *m = NULL, *nm;
	char ev[256], val[64];
	size_t i;
	int r = 0;

	for (i = 0; i < ms->n; i++)
		if (ms->m[i].name == c->name)
			return 0; /* one entry per manager: the first process names it */
	nm = realloc(ms->m, (ms->n + 1) * sizeof(*nm));
	if (!nm)
		return -ENOMEM;
	ms->m = nm;
	m = &ms->m[ms->n++];
	memset(m, 0, sizeof(*m));
	m->name = c->name;
	snprintf(ev, sizeof(ev), "process %s, pid %ld", comm, pid);
	m->evidence = strdup(ev);
	m->source = strdup(c->source);
	if (!m->evidence || !m->source)
		return -ENOMEM;
	for (i = 0; c->keys && c->keys[i].key && r == 0; i++) {
		const char *v = c->keys[i].value;

		if (!v) {
			kube_value(c->keys[i].key, ncpus, val, sizeof(val));
			v = val;
		}
		r = add_key(m, c->keys[i].key, v, c->keys[i].when);
	}
	if (r == 0 && c->comms == c_tuned)
		r = tuned_config(ms, m, root);
	return r;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Distinct values of v[0..n) (sorted in place). */
static long distinct(uint64_t *v, size_t n)
{
	size_t i;
	long d = 1;

	if (n == 0)
		return 0; /* qsort(NULL, 0) is undefined */
	qsort(v, n, sizeof(*v), cmp_u64);
	for (i = 1; i < n; i++)
		d += v[i] != v[i - 1];
	return d;
}

int hr_managers_detect(struct hr_managers *ms, const char *root, long ncpus)
{
	uint64_t *ns = NULL;
	size_t nns = 0, cap = 0;
	char proc[4096];
	DIR *d;
	struct dirent *e;
	long pids = 0;
	int r = 0;

	memset(ms, 0, sizeof(*ms));
	if (!root || !strcmp(root, "/"))
		root = "";
	snprintf(proc, sizeof(proc), "%s/proc", root);
	d = opendir(proc);
	if (!d) {
		char why[4200];

		snprintf(why, sizeof(why), "%s: %s", proc, hr_strerror(-errno));
		ms->why_not = strdup(why);
		return ms->why_not ? 0 : -ENOMEM;
	}
	while (r == 0 && (e = readdir(d))) {
		char rel[300], comm[64], *nl;
		const char *p = e->d_name;
		struct stat st;
		ssize_t n;
		int fd, ci;

		if (!isdigit((unsigned char)*p) || strspn(p, "0123456789") != strlen(p))
			continue;
		pids++;
		snprintf(rel, sizeof(rel), "%s/ns/net", p);
		if (fstatat(dirfd(d), rel, &st, 0) == 0) { /* the namespace's nsfs inode */
			if (nns == cap) {
				uint64_t *nv = realloc(ns, (cap = cap ? 2 * cap : 256) * sizeof(*nv));

				if (!nv) {
					r = -ENOMEM;
					break;
				}
				ns = nv;
			}
			ns[nns++] = ((uint64_t)st.st_dev << 40) ^ (uint64_t)st.st_ino;
		}
		snprintf(rel, sizeof(rel), "%s/comm", p);
		fd = openat(dirfd(d), rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0)
			continue; /* the process ended, or the tree has no comm */
		/* pread, not read: how many processes there are varies from run
		 * to run, and tests/apply-crashpoints.sh finds the steps of a
		 * transaction by counting read(2) calls. */
		n = pread(fd, comm, sizeof(comm) - 1, 0);
		close(fd);
		if (n <= 0)
			continue;
		comm[n] = '\0';
		if ((nl = strchr(comm, '\n')))
			*nl = '\0';
		ci = cat_of(comm);
		if (ci >= 0)
			r = found(ms, ci, comm, strtol(p, NULL, 10), ncpus, root);
	}
	closedir(d);
	ms->netns = distinct(ns, nns);
	free(ns);
	if (r == 0 && pids == 0) {
		ms->why_not = strdup(*root ? "the tree has no process list (proc/PID/comm)" : "no process in /proc");
		return ms->why_not ? 0 : -ENOMEM;
	}
	ms->read = r == 0;
	return r;
}

void hr_managers_clear(struct hr_managers *ms)
{
	size_t i, j;

	for (i = 0; i < ms->n; i++) {
		for (j = 0; j < ms->m[i].nkeys; j++) {
			free(ms->m[i].keys[j].key);
			free(ms->m[i].keys[j].value);
			free(ms->m[i].keys[j].when);
		}
		free(ms->m[i].keys);
		free(ms->m[i].evidence);
		free(ms->m[i].source);
	}
	free(ms->m);
	free(ms->why_not);
	free(ms->notes);
	memset(ms, 0, sizeof(*ms));
}

const struct hr_manager *hr_managers_owner(const struct hr_managers *ms, const char *key,
					   const struct hr_manager_key **k)
{
	size_t i, j;

	for (i = 0; ms && i < ms->n; i++)
		for (j = 0; j < ms->m[i].nkeys; j++)
			if (!strcmp(ms->m[i].keys[j].key, key)) {
				if (k)
					*k = &ms->m[i].keys[j];
				return &ms->m[i];
			}
	return NULL;
}

char *hr_managers_describe(const struct hr_manager *m, const struct hr_manager_key *k)
{
	char *s = NULL;

	if (asprintf(&s, "%s (%s) sets %s to %s %s", m->name, m->evidence, k->key, k->value, k->when) < 0)
		return NULL;
	return s;
}

json_t *hr_managers_json(const struct hr_managers *ms)
{
	json_t *a = json_array();
	size_t i, j;

	for (i = 0; a && i < ms->n; i++) {
		const struct hr_manager *m = &ms->m[i];
		json_t *keys = json_array();

		for (j = 0; keys && j < m->nkeys; j++)
			json_array_append_new(keys, json_pack("{s:s, s:s, s:s}", "key", m->keys[j].key, "value",
							       m->keys[j].value, "when", m->keys[j].when));
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:o*}", "name", m->name, "evidence", m->evidence,
						   "source", m->source, "keys", keys));
	}
	return a;
}
