/* probe-sysctl.c: the sysctls: every top-level regular file of the listed
 * /proc/sys directories as a fact, the keys the rules need checked for
 * shape and recorded as absent (with why) when missing, secrets never read.
 * May call: probe-io.c (through probe-int.h) and the facts setters. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "probe-int.h"

const char *const hr_probe_sysctl_dirs[] = {
	"/proc/sys/net/ipv4",
	"/proc/sys/net/ipv4/conf/all",
	"/proc/sys/net/ipv4/conf/default",
	/* IPv6 conf keys: the hardening rules need accept_redirects and
	 * accept_source_route for both families. */
	"/proc/sys/net/ipv6/conf/all",
	"/proc/sys/net/ipv6/conf/default",
	"/proc/sys/net/core",
	"/proc/sys/net/netfilter",
	NULL,
};

/* See probe.h: secrets are never facts. */
bool hr_probe_secret(const char *name)
{
	/* The TCP Fast Open cookie key (mode 0600) and the IPv6 address
	 * generation secret (RFC 7217; reads fail with EIO while unset):
	 * never recorded or copied. */
	return !strcmp(name, "tcp_fastopen_key") || !strcmp(name, "stable_secret");
}

/* Expected shape of a key the rules need. */
enum kind { K_INT, K_VEC2, K_VEC3, K_STR };

/* Keys the rules need: always recorded, as absent (with why) when missing. */
struct want {
	const char *key;
	enum kind kind;
	const char *absent; /* reason when the directory was read but the key is not there */
};

#define ABSENT "absent on this kernel"
#define GLOBAL "absent here: a global key, not shown in a child network namespace"
#define NOCT "conntrack module not loaded"

static const struct want wants[] = {
	{"net.ipv4.ip_local_port_range", K_VEC2, ABSENT},
	{"net.ipv4.ip_local_reserved_ports", K_STR, ABSENT},
	{"net.ipv4.ip_unprivileged_port_start", K_INT, ABSENT},
	{"net.ipv4.tcp_tw_reuse", K_INT, ABSENT},
	/* kernel-facts.md: tcp_tw_reuse_delay since 6.14, tcp_rto_max_ms since
	 * 6.15, tcp_syn_linear_timeouts since 6.5, tcp_tw_recycle removed in 4.12. */
	{"net.ipv4.tcp_tw_reuse_delay", K_INT, ABSENT " (added in 6.14)"},
	{"net.ipv4.tcp_tw_recycle", K_INT, ABSENT " (removed in 4.12)"},
	{"net.ipv4.tcp_rto_max_ms", K_INT, ABSENT " (added in 6.15)"},
	{"net.ipv4.tcp_syn_linear_timeouts", K_INT, ABSENT " (added in 6.5)"},
	{"net.ipv4.tcp_timestamps", K_INT, ABSENT},
	{"net.ipv4.tcp_fin_timeout", K_INT, ABSENT},
	{"net.ipv4.tcp_max_tw_buckets", K_INT, ABSENT},
	{"net.ipv4.tcp_max_syn_backlog", K_INT, ABSENT},
	{"net.ipv4.tcp_syncookies", K_INT, ABSENT},
	{"net.ipv4.tcp_abort_on_overflow", K_INT, ABSENT},
	{"net.ipv4.tcp_retries1", K_INT, ABSENT},
	{"net.ipv4.tcp_retries2", K_INT, ABSENT},
	{"net.ipv4.tcp_syn_retries", K_INT, ABSENT},
	{"net.ipv4.tcp_synack_retries", K_INT, ABSENT},
	{"net.ipv4.tcp_keepalive_time", K_INT, ABSENT},
	{"net.ipv4.tcp_keepalive_intvl", K_INT, ABSENT},
	{"net.ipv4.tcp_keepalive_probes", K_INT, ABSENT},
	{"net.ipv4.tcp_rmem", K_VEC3, ABSENT},
	{"net.ipv4.tcp_wmem", K_VEC3, ABSENT},
	{"net.ipv4.tcp_congestion_control", K_STR, ABSENT},
	{"net.ipv4.tcp_mem", K_VEC3, GLOBAL},
	{"net.ipv4.tcp_max_orphans", K_INT, GLOBAL},
	{"net.core.somaxconn", K_INT, ABSENT},
	{"net.core.netdev_max_backlog", K_INT, GLOBAL},
	{"net.core.netdev_budget", K_INT, GLOBAL},
	{"net.core.netdev_budget_usecs", K_INT, GLOBAL},
	{"net.netfilter.nf_conntrack_max", K_INT, NOCT},
	{"net.netfilter.nf_conntrack_count", K_INT, NOCT},
	{"net.netfilter.nf_conntrack_buckets", K_INT, NOCT},
	{"net.netfilter.nf_conntrack_tcp_timeout_time_wait", K_INT, NOCT},
	{"net.netfilter.nf_conntrack_tcp_timeout_established", K_INT, NOCT},
};

/* Files read but not yet closed, at most FD_BATCH, then closed with one
 * close_range(2) per run of consecutive numbers (a run holds only our
 * descriptors: each came from our openat and is still open, so no other
 * thread can hold a number inside it). About 400 sysctl files are read per
 * probe; a close(2) each was a quarter of their system calls. */
#define FD_BATCH 64
struct fd_batch {
	int fd[FD_BATCH];
	int n;
};

static void fd_batch_close(struct fd_batch *b)
{
	int i, j;

	/* Insertion sort: openat hands out the lowest free numbers, so the
	 * list is nearly sorted already. */
	for (i = 1; i < b->n; i++)
		for (j = i; j > 0 && b->fd[j - 1] > b->fd[j]; j--) {
			int t = b->fd[j];

			b->fd[j] = b->fd[j - 1];
			b->fd[j - 1] = t;
		}
	for (i = 0; i < b->n; i = j) {
		for (j = i + 1; j < b->n && b->fd[j] == b->fd[j - 1] + 1; j++)
			;
#ifdef SYS_close_range
		if (syscall(SYS_close_range, (unsigned int)b->fd[i], (unsigned int)b->fd[j - 1], 0u) == 0)
			continue;
#endif
		for (int k = i; k < j; k++)
			close(b->fd[k]);
	}
	b->n = 0;
}

static void fd_batch_add(struct fd_batch *b, int fd)
{
	if (b->n == FD_BATCH)
		fd_batch_close(b);
	b->fd[b->n++] = fd;
}

/* A first read of a sysctl asks for this much. proc_sys_call_handler()
 * allocates and zeroes a kernel buffer of the size asked for (count + 1),
 * so asking for VALBUF (64 KiB) every time cost an order-5 page allocation
 * and 128 KiB of zeroing per key: half the time of the sysctl reads. A
 * value this long or longer is read again from offset 0 with VALBUF (no
 * net sysctl we know of is; a proc_dointvec value cannot be continued with
 * a second read, so it must come whole). */
#define FIRST_READ 1023

/* Reads a sysctl file that readdir says is regular: openat and one read (a
 * /proc/sys file hands its whole value to one read(), proc_sys_call_handler();
 * a regular file of a tree is short only at its end), the descriptor left
 * to the batch. A symlink is refused (ELOOP), a FIFO does not block. Length
 * or -errno, as hr_probe_read_small. */
static long read_regular_key(int dirfd, const char *name, char *buf, struct fd_batch *b)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	ssize_t k;

	if (fd < 0)
		return -errno;
	fd_batch_add(b, fd);
	do
		k = read(fd, buf, FIRST_READ);
	while (k < 0 && errno == EINTR);
	if (k == FIRST_READ)
		do
			k = pread(fd, buf, VALBUF - 1, 0);
		while (k < 0 && errno == EINTR);
	if (k < 0)
		return -errno;
	if (k == VALBUF - 1)
		return -EFBIG;
	buf[k] = '\0';
	return (long)k;
}

/* One pass over the sysctl directories: which wanted keys were seen, and
 * why a directory could not be read (for the keys it should have held). */
struct sysctl_pass {
	struct run *r;
	bool seen[HR_ARRAY_SIZE(wants)];
	const char *dir_err[HR_ARRAY_SIZE(hr_probe_sysctl_dirs)];
	struct fd_batch fds;
	/* The directory being walked: its wanted keys (most directories have
	 * none, so most files are compared with nothing). */
	int dir_wants[HR_ARRAY_SIZE(wants)];
	int ndir_wants;
};

/* Finds a wanted key of the directory being walked, or -1. */
static int want_index(const struct sysctl_pass *sp, const char *key)
{
	int i;

	for (i = 0; i < sp->ndir_wants; i++)
		if (!strcmp(wants[sp->dir_wants[i]].key, key))
			return sp->dir_wants[i];
	return -1;
}

/* Lists the wanted keys directly in the directory of key prefix kp. */
static void want_dir(struct sysctl_pass *sp, const char *kp)
{
	size_t i, n = strlen(kp);

	sp->ndir_wants = 0;
	for (i = 0; i < HR_ARRAY_SIZE(wants); i++)
		if (!strncmp(wants[i].key, kp, n) && wants[i].key[n] == '.' && !strchr(wants[i].key + n + 1, '.'))
			sp->dir_wants[sp->ndir_wants++] = (int)i;
}

/* Checks a wanted key's shape ("one integer", "three integers"); NULL when fine. */
static const char *shape_error(const struct want *w, const struct hr_value *v)
{
	switch (w->kind) {
	case K_INT:
		return v->type == HR_V_NUM && v->nfields == 1 ? NULL : "not an integer";
	case K_VEC2:
		return v->type == HR_V_NUM && v->nfields == 2 ? NULL : "not two integers";
	case K_VEC3:
		return v->type == HR_V_NUM && v->nfields == 3 ? NULL : "not three integers";
	case K_STR:
	default:
		return NULL;
	}
}

/* buf = a sep b, cut to n - 1 bytes (as hr_probe_msgf would: about 400
 * keys a probe, where its vsnprintf showed in the profile). */
static void join(char *buf, size_t n, const char *a, char sep, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la > n - 1)
		la = n - 1;
	memcpy(buf, a, la);
	if (la < n - 1)
		buf[la++] = sep;
	if (lb > n - 1 - la)
		lb = n - 1 - la;
	memcpy(buf + la, b, lb);
	buf[la + lb] = '\0';
}

/* Records one sysctl file (name in the directory dirfd, key prefix kp,
 * source prefix dsrc: root and directory path). */
static void sysctl_file(struct sysctl_pass *sp, int dirfd, const char *dsrc, const char *kp,
			const char *name, bool check_type)
{
	struct run *r = sp->r;
	char key[512], src[4096];
	long n, bad;
	int wi;

	join(key, sizeof(key), kp, '.', name);
	join(src, sizeof(src), dsrc, '/', name);
	wi = want_index(sp, key);
	if (wi >= 0)
		sp->seen[wi] = true;
	else if (r->rootfd < 0 && r->o && r->o->sysctl_wanted && !r->o->sysctl_wanted(r->o->sysctl_wanted_ud, key))
		return; /* nobody reads it: not opened (probe.h) */
	if (hr_probe_secret(name)) {
		hr_facts_set_sysctl_absent(r->f, key, "not read: a secret (key material)");
		return;
	}
	/* A tree's files are checked before they are opened (probe-io.c); the
	 * live /proc/sys's regular files are read on the short path. */
	n = check_type || r->rootfd >= 0 ? hr_probe_read_small(dirfd, name, r->buf, check_type, r->rootfd >= 0)
					 : read_regular_key(dirfd, name, r->buf, &sp->fds);
	if (n < 0) {
		/* Write-only sysctls (mode 0200) cannot be read even by root, and
		 * root-only ones (0600) not by others: facts we cannot have, noted
		 * with the reason, a problem only when a rule needs the key. */
		char why[600];
		struct stat st;
		bool hidden = false;
		const char *what = hr_probe_why(n);

		if (n == -EACCES && fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			if (!(st.st_mode & 0444) && (st.st_mode & 0200))
				hidden = true, what = "write-only";
			else if (!(st.st_mode & 0004) && geteuid() != 0)
				hidden = true, what = "readable by root only";
		}
		hr_probe_msgf(why, sizeof(why), "%s: %s", src, what);
		hr_facts_set_sysctl_absent(r->f, key, why);
		if (wi >= 0)
			hr_facts_add_input_error(r->f, src, "%s", what);
		else if (!hidden)
			hr_facts_add_problem(r->f, src, "%s", what);
		return;
	}
	bad = hr_probe_bad_value(r->buf, (size_t)n);
	if (bad >= 0) {
		char why[600];

		hr_probe_msgf(why, sizeof(why), "%s: value is not text on one line (byte 0x%02x at offset %ld)", src,
			 (unsigned char)r->buf[bad], bad);
		hr_facts_set_sysctl_absent(r->f, key, why);
		(wi >= 0 ? hr_facts_add_input_error : hr_facts_add_problem)(
			r->f, src, "value is not text on one line (byte 0x%02x at offset %ld); key recorded as absent",
			(unsigned char)r->buf[bad], bad);
		return;
	}
	if (hr_facts_set_sysctl(r->f, key, r->buf, src) < 0)
		return;
	if (wi >= 0) {
		struct hr_value v;
		const char *e;

		hr_facts_get(r->f, key, 0, &v);
		e = shape_error(&wants[wi], &v);
		if (e) {
			char why[600], *val = hr_ws_normalise(r->buf);

			hr_probe_msgf(why, sizeof(why), "%s: value '%.60s' is %s", src, val ? val : "", e);
			hr_facts_add_input_error(r->f, src, "value '%.60s' is %s; key recorded as absent",
						 val ? val : "", e);
			free(val);
			hr_facts_set_sysctl_absent(r->f, key, why);
			return;
		}
	}
	r->usable++;
}

/* Reads every top-level regular file of one sysctl directory. */
static void sysctl_dir(struct sysctl_pass *sp, size_t di)
{
	struct run *r = sp->r;
	const char *dirpath = hr_probe_sysctl_dirs[di];
	char path[4096], kp[256];
	static char why[HR_ARRAY_SIZE(hr_probe_sysctl_dirs)][600];
	struct dirent *de;
	DIR *d;
	size_t i;
	int dfd, e;

	/* "/proc/sys/net/ipv4/conf/all" -> "net.ipv4.conf.all" */
	hr_probe_msgf(kp, sizeof(kp), "%s", dirpath + strlen("/proc/sys/"));
	for (i = 0; kp[i]; i++)
		if (kp[i] == '/')
			kp[i] = '.';
	want_dir(sp, kp);
	if (hr_path_at(path, sizeof(path), r->root, dirpath) < 0)
		return;
	dfd = hr_probe_tree_open(r, dirpath, O_RDONLY | O_DIRECTORY);
	e = dfd < 0 ? -dfd : 0;
	d = NULL;
	if (dfd >= 0) {
		d = fdopendir(dfd);
		if (!d) {
			e = errno;
			close(dfd);
		}
	}
	if (!d) {
		bool netfilter = strstr(dirpath, "netfilter") != NULL;
		bool ipv6 = strstr(dirpath, "/ipv6/") != NULL;

		if (netfilter && e == ENOENT) {
			/* The conntrack module creates it; no problem, a fact. */
			hr_probe_msgf(why[di], sizeof(why[di]), NOCT " (no %s)", path);
		} else if (ipv6 && e == ENOENT) {
			/* ipv6.disable=1, or a tree captured before IPv6 keys were read. */
			hr_probe_msgf(why[di], sizeof(why[di]), "IPv6 not enabled (no %s)", path);
		} else {
			/* Refused: the keys the rules need from it are not seen. */
			hr_probe_msgf(why[di], sizeof(why[di]), "not read: %s: %s", path, hr_probe_why(-e));
			hr_facts_add_input_error(r->f, path, "%s", hr_probe_why(-e));
		}
		sp->dir_err[di] = why[di];
		return;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		switch (de->d_type) {
		case DT_REG:
			sysctl_file(sp, dirfd(d), path, kp, de->d_name, false);
			break;
		case DT_DIR:
			break; /* conf/, neigh/, route/: not top-level keys */
		case DT_UNKNOWN:
		case DT_LNK:
			/* Let open/fstat decide (a symlink is refused). */
			sysctl_file(sp, dirfd(d), path, kp, de->d_name, true);
			break;
		default: {
			char src[4096], key[512];

			hr_probe_msgf(src, sizeof(src), "%s/%s", path, de->d_name);
			hr_probe_msgf(key, sizeof(key), "%s.%s", kp, de->d_name);
			(want_index(sp, key) >= 0 ? hr_facts_add_input_error : hr_facts_add_problem)(
				r->f, src, "refused: not a regular file");
			break;
		}
		}
	}
	fd_batch_close(&sp->fds);
	closedir(d);
}

/* Records the wanted keys nobody read as absent, with why. */
static void sysctl_wants(struct sysctl_pass *sp)
{
	struct run *r = sp->r;
	size_t i, di;

	for (i = 0; i < HR_ARRAY_SIZE(wants); i++) {
		const char *why = wants[i].absent;

		if (sp->seen[i])
			continue;
		/* The key's directory: the longest listed directory prefix. */
		for (di = 0; hr_probe_sysctl_dirs[di]; di++) {
			const char *kp = hr_probe_sysctl_dirs[di] + strlen("/proc/sys/");
			size_t n = strlen(kp);
			bool match = true;
			size_t k;

			for (k = 0; k < n && match; k++)
				match = wants[i].key[k] == (kp[k] == '/' ? '.' : kp[k]);
			if (match && wants[i].key[n] == '.' && !strchr(wants[i].key + n + 1, '.') &&
			    sp->dir_err[di])
				why = sp->dir_err[di];
		}
		hr_facts_set_sysctl_absent(r->f, wants[i].key, why);
	}
}

/* See probe-int.h: every sysctl directory, then the wanted keys nobody read. */
void hr_probe_sysctls(struct run *r)
{
	struct sysctl_pass sp = {.r = r};
	size_t i;

	for (i = 0; hr_probe_sysctl_dirs[i]; i++)
		sysctl_dir(&sp, i);
	sysctl_wants(&sp);
}
