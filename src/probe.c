/* probe.c: one pass over /proc/sys/net, /proc/net counters, the slab and the
 * sockets, into the facts model. Every file is opened once with O_NOFOLLOW
 * (a captured tree must not make us read elsewhere), read with one buffer
 * and closed; nothing is spawned. Problems with single files are recorded
 * and the probe goes on. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#ifdef SYS_openat2
#include <linux/openat2.h>
#endif

#include "probe.h"
#include "procnet.h"
#include "render.h"
#include "sockdiag.h"

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

#define F_OSRELEASE "/proc/sys/kernel/osrelease"
#define F_BOOT_ID "/proc/sys/kernel/random/boot_id"
#define F_SOCKSTAT "/proc/net/sockstat"
#define F_SOCKSTAT6 "/proc/net/sockstat6"
#define F_SNMP "/proc/net/snmp"
#define F_NETSTAT "/proc/net/netstat"
#define F_TCP "/proc/net/tcp"
#define F_TCP6 "/proc/net/tcp6"
#define F_SLAB "/sys/kernel/slab/tw_sock_TCP/object_size"

const char *const hr_probe_files[] = {
	F_OSRELEASE, F_BOOT_ID, F_SOCKSTAT, F_SOCKSTAT6, F_SNMP, F_NETSTAT, F_TCP, F_TCP6, F_SLAB, NULL,
};

const char *const hr_probe_rate_files[] = {F_SNMP, F_NETSTAT, NULL};
const char *const hr_probe_socket_files[] = {F_TCP, F_TCP6, NULL};

/* See probe.h: secrets are never facts. */
bool hr_probe_secret(const char *name)
{
	/* The TCP Fast Open cookie key (mode 0600) and the IPv6 address
	 * generation secret (RFC 7217; reads fail with EIO while unset):
	 * never recorded or copied. */
	return !strcmp(name, "tcp_fastopen_key") || !strcmp(name, "stable_secret");
}

/* Sysctl values and counter files are small; 64 KiB holds any of them
 * (ip_local_reserved_ports is the longest value the kernel prints). */
#define VALBUF (64 * 1024)

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
	{"net.netfilter.nf_conntrack_max", K_INT, NOCT},
	{"net.netfilter.nf_conntrack_count", K_INT, NOCT},
	{"net.netfilter.nf_conntrack_buckets", K_INT, NOCT},
	{"net.netfilter.nf_conntrack_tcp_timeout_time_wait", K_INT, NOCT},
	{"net.netfilter.nf_conntrack_tcp_timeout_established", K_INT, NOCT},
};

/* Counters the rules and the text output use: recorded as missing (with
 * why) when their file could not be read or lacks them. */
static const char *const want_counters[] = {
	"sockstat.TCP.inuse", "sockstat.TCP.orphan", "sockstat.TCP.tw", "sockstat.TCP.alloc",
	"sockstat.TCP.mem", "sockstat6.TCP6.inuse", "snmp.Tcp.ActiveOpens", "snmp.Tcp.PassiveOpens",
	"snmp.Tcp.AttemptFails", "snmp.Tcp.EstabResets", "snmp.Tcp.CurrEstab", "snmp.Tcp.RetransSegs",
	"netstat.TcpExt.TCPTimeWaitOverflow", "netstat.TcpExt.ListenOverflows",
	"netstat.TcpExt.ListenDrops", "netstat.TcpExt.TCPReqQFullDoCookies",
	"netstat.TcpExt.TCPReqQFullDrop", "netstat.TcpExt.TW", NULL,
};

/* Counters turned into per-second rates over the interval. */
static const char *const rate_counters[] = {
	"Tcp.ActiveOpens", "Tcp.PassiveOpens", "TcpExt.TCPTimeWaitOverflow",
	"TcpExt.ListenOverflows", "TcpExt.ListenDrops",
};
#define NRATES HR_ARRAY_SIZE(rate_counters)

/* One probe run's working state. */
struct run {
	hr_facts *f;
	const char *root;       /* "" live */
	int rootfd;             /* --root: the tree, opened once; -1 live */
	char *buf;              /* VALBUF bytes */
	bool seen[HR_ARRAY_SIZE(wants)];
	const char *dir_err[HR_ARRAY_SIZE(hr_probe_sysctl_dirs)]; /* why a dir was not read */
	long usable;            /* facts read: 0 at the end means nothing usable */
	long counters_read;
};

/* One sample of the rate counters. */
struct sample {
	double v[NRATES];
	bool have[NRATES];
};

/* snprintf for messages and labels: truncation is acceptable there (and
 * not worth a compiler warning); returns -ENAMETOOLONG when it happened. */
static int msgf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int msgf(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return r < 0 || (size_t)r >= n ? -ENAMETOOLONG : 0;
}

/* Reads a small open file into buf, NUL-terminated, and closes it. With
 * check_type, refuses anything that is not a regular file (EINVAL/EISDIR).
 * With one_read, a short read is the end: a /proc/sys file hands its whole
 * value to one read() (proc_sys_call_handler()), a regular file is short
 * only at its end; this saves the read() that returns 0 on ~300 keys.
 * Returns the length or -errno (-EFBIG when it does not fit). */
static long read_fd_at_most(int fd, char *buf, bool check_type, bool one_read)
{
	size_t used = 0;
	long r;

	if (fd < 0)
		return fd;
	if (check_type) {
		struct stat st;

		if (fstat(fd, &st) < 0) {
			r = -errno;
			close(fd);
			return r;
		}
		if (!S_ISREG(st.st_mode)) {
			r = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
			close(fd);
			return r;
		}
	}
	for (;;) {
		ssize_t k = read(fd, buf + used, VALBUF - 1 - used);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = -errno;
			close(fd);
			return r;
		}
		if (k == 0)
			break;
		used += (size_t)k;
		if (used == VALBUF - 1) {
			close(fd);
			return -EFBIG;
		}
		if (one_read)
			break;
	}
	close(fd);
	buf[used] = '\0';
	return (long)used;
}

/* Reads a small open file (see read_fd_at_most), to its end. */
static long read_fd(int fd, char *buf, bool check_type)
{
	return read_fd_at_most(fd, buf, check_type, false);
}

/* Reads a sysctl file named relative to an open directory; a symlink is
 * refused (ELOOP) and a FIFO does not block (O_NONBLOCK). */
static long read_small(int dirfd, const char *name, char *buf, bool check_type)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);

	return read_fd_at_most(fd < 0 ? -errno : fd, buf, check_type, true);
}

/* Opens abs ("/proc/net/snmp") in the tree being probed. Live, it is the
 * path itself (the final component must not be a symlink; /proc/net is
 * one). Under --root every component must resolve below the root without
 * a symlink (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, Linux 5.6), so
 * a hostile tree cannot make the probe read and print files elsewhere;
 * older kernels refuse a symlink at the last component only. fd or -errno. */
static int tree_open(const struct run *r, const char *abs, int flags)
{
	int fd;

	flags |= O_CLOEXEC | O_NOFOLLOW;
	if (r->rootfd < 0) {
		fd = open(abs, flags);
		return fd < 0 ? -errno : fd;
	}
#ifdef SYS_openat2
	{
		struct open_how how = {
			/* RESOLVE_NO_SYMLINKS refuses a last-component symlink
			 * with ELOOP even for O_DIRECTORY (O_NOFOLLOW would say ENOTDIR). */
			.flags = (uint64_t)(flags & ~O_NOFOLLOW),
			.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
		};

		fd = (int)syscall(SYS_openat2, r->rootfd, abs + 1, &how, sizeof(how));
		/* ENOSYS: kernel < 5.6 (or valgrind); EPERM: a seccomp filter
		 * that does not know openat2. Fall back to openat. */
		if (fd >= 0 || (errno != ENOSYS && errno != EPERM))
			return fd < 0 ? -errno : fd;
	}
#endif
	fd = openat(r->rootfd, abs + 1, flags);
	return fd < 0 ? -errno : fd;
}

/* Reads a small file of the tree (see tree_open) into r->buf. */
static long read_tree(struct run *r, const char *abs)
{
	return read_fd(tree_open(r, abs, O_RDONLY | O_NONBLOCK), r->buf, true);
}

/* Words for a read failure, for operators (probe-specific wording). */
static const char *why_unreadable(long err)
{
	switch (-err) {
	case ENOENT:
		return "not found";
	case ELOOP:
		return "refused: a symlink";
	case EXDEV:
		return "refused: resolves outside the tree";
	case EINVAL:
		return "refused: not a regular file";
	case EISDIR:
		return "refused: a directory";
	case EFBIG:
		return "refused: larger than 64 KiB";
	case EACCES:
	case EPERM:
		return "permission denied (write-only or unreadable)";
	default:
		return hr_strerror((int)err);
	}
}

/* Finds a wanted key's index, or -1. */
static int want_index(const char *key)
{
	size_t i;

	for (i = 0; i < HR_ARRAY_SIZE(wants); i++)
		if (!strcmp(wants[i].key, key))
			return (int)i;
	return -1;
}

/* Checks a value is text the kernel could have printed: no NUL or control
 * bytes other than tab and newline. Returns the offset of the first bad
 * byte, or -1. */
static long bad_byte(const char *v, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];

		if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
			return (long)i;
	}
	return -1;
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

/* Records one sysctl file (name in the directory dirfd, key prefix kp). */
static void sysctl_file(struct run *r, int dirfd, const char *dirpath, const char *kp,
			const char *name, bool check_type)
{
	char key[512], src[4096];
	long n, bad;
	int wi;

	msgf(key, sizeof(key), "%s.%s", kp, name);
	msgf(src, sizeof(src), "%s%s/%s", r->root, dirpath, name);
	wi = want_index(key);
	if (wi >= 0)
		r->seen[wi] = true;
	if (hr_probe_secret(name)) {
		hr_facts_set_sysctl_absent(r->f, key, "not read: a secret (key material)");
		return;
	}
	n = read_small(dirfd, name, r->buf, check_type);
	if (n < 0) {
		/* Write-only sysctls (mode 0200) cannot be read even by root, and
		 * root-only ones (0600) not by others: facts we cannot have, noted
		 * with the reason, a problem only when a rule needs the key. */
		char why[600];
		struct stat st;
		bool hidden = false;
		const char *what = why_unreadable(n);

		if (n == -EACCES && fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			if (!(st.st_mode & 0444) && (st.st_mode & 0200))
				hidden = true, what = "write-only";
			else if (!(st.st_mode & 0004) && geteuid() != 0)
				hidden = true, what = "readable by root only";
		}
		msgf(why, sizeof(why), "%s: %s", src, what);
		hr_facts_set_sysctl_absent(r->f, key, why);
		if (!hidden || wi >= 0)
			hr_facts_add_problem(r->f, src, "%s", what);
		return;
	}
	bad = bad_byte(r->buf, (size_t)n);
	if (bad >= 0) {
		char why[600];

		msgf(why, sizeof(why), "%s: value is not text (byte 0x%02x at offset %ld)", src,
			 (unsigned char)r->buf[bad], bad);
		hr_facts_set_sysctl_absent(r->f, key, why);
		hr_facts_add_problem(r->f, src, "value is not text (byte 0x%02x at offset %ld); key recorded as absent",
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

			msgf(why, sizeof(why), "%s: value '%.60s' is %s", src, val ? val : "", e);
			hr_facts_add_problem(r->f, src, "value '%.60s' is %s; key recorded as absent",
					     val ? val : "", e);
			free(val);
			hr_facts_set_sysctl_absent(r->f, key, why);
			return;
		}
	}
	r->usable++;
}

/* Reads every top-level regular file of one sysctl directory. */
static void sysctl_dir(struct run *r, size_t di)
{
	const char *dirpath = hr_probe_sysctl_dirs[di];
	char path[4096], kp[256];
	static char why[HR_ARRAY_SIZE(hr_probe_sysctl_dirs)][600];
	struct dirent *de;
	DIR *d;
	size_t i;
	int dfd, e;

	/* "/proc/sys/net/ipv4/conf/all" -> "net.ipv4.conf.all" */
	msgf(kp, sizeof(kp), "%s", dirpath + strlen("/proc/sys/"));
	for (i = 0; kp[i]; i++)
		if (kp[i] == '/')
			kp[i] = '.';
	if (hr_path_at(path, sizeof(path), r->root, dirpath) < 0)
		return;
	dfd = tree_open(r, dirpath, O_RDONLY | O_DIRECTORY);
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
			msgf(why[di], sizeof(why[di]), NOCT " (no %s)", path);
		} else if (ipv6 && e == ENOENT) {
			/* ipv6.disable=1, or a tree captured before IPv6 keys were read. */
			msgf(why[di], sizeof(why[di]), "IPv6 not enabled (no %s)", path);
		} else {
			msgf(why[di], sizeof(why[di]), "not read: %s: %s", path, why_unreadable(-e));
			hr_facts_add_problem(r->f, path, "%s", why_unreadable(-e));
		}
		r->dir_err[di] = why[di];
		return;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		switch (de->d_type) {
		case DT_REG:
			sysctl_file(r, dirfd(d), dirpath, kp, de->d_name, false);
			break;
		case DT_DIR:
			break; /* conf/, neigh/, route/: not top-level keys */
		case DT_UNKNOWN:
		case DT_LNK:
			/* Let open/fstat decide (a symlink is refused). */
			sysctl_file(r, dirfd(d), dirpath, kp, de->d_name, true);
			break;
		default: {
			char src[4096];

			msgf(src, sizeof(src), "%s/%s", path, de->d_name);
			hr_facts_add_problem(r->f, src, "refused: not a regular file");
			break;
		}
		}
	}
	closedir(d);
}

/* Records the wanted keys nobody read as absent, with why. */
static void sysctl_wants(struct run *r)
{
	size_t i, di;

	for (i = 0; i < HR_ARRAY_SIZE(wants); i++) {
		const char *why = wants[i].absent;

		if (r->seen[i])
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
			    r->dir_err[di])
				why = r->dir_err[di];
		}
		hr_facts_set_sysctl_absent(r->f, wants[i].key, why);
	}
}

/* Reads a string fact (osrelease, boot_id). */
static void kernel_str(struct run *r, const char *name, const char *file)
{
	char path[4096];
	long n;

	if (hr_path_at(path, sizeof(path), r->root, file) < 0)
		return;
	n = read_tree(r, file);
	if (n >= 0 && bad_byte(r->buf, (size_t)n) < 0 && *hr_strtrim(r->buf)) {
		hr_facts_set_str(r->f, name, hr_strtrim(r->buf), path);
		r->usable++;
		return;
	}
	{
		char why[4200];

		msgf(why, sizeof(why), "%s: %s", path,
			 n < 0 ? why_unreadable(n) : "value is empty or not text");
		hr_facts_set_missing(r->f, name, why);
		hr_facts_add_problem(r->f, path, "%s", n < 0 ? why_unreadable(n) : "value is empty or not text");
	}
}

/* Parses a signed decimal token [p, e); false when it is not one. */
static bool parse_num(const char *p, const char *e, double *out)
{
	bool neg = false;
	uint64_t v = 0;

	if (p < e && *p == '-') {
		neg = true;
		p++;
	}
	if (p >= e || e - p > 20)
		return false;
	for (; p < e; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*out = neg ? -(double)v : (double)v;
	return true;
}

/* Callback for each counter: group ("Tcp"), name ("ActiveOpens"), value. */
struct counter_ctx {
	struct run *r;
	const char *prefix;      /* "snmp", "netstat", "sockstat", "sockstat6" */
	const char *groups;      /* NULL: every group; else "Tcp" */
	const char *source;
	struct sample *sample;   /* collects the rate counters, may be NULL */
	bool record;             /* set facts */
};

/* Records one counter as a fact and/or into the rate sample. */
static void counter(struct counter_ctx *c, const char *grp, size_t glen, const char *name,
		    size_t nlen, double v)
{
	char full[256];
	size_t i;

	msgf(full, sizeof(full), "%.*s.%.*s", (int)glen, grp, (int)nlen, name);
	if (c->sample)
		for (i = 0; i < NRATES; i++)
			if (!strcmp(full, rate_counters[i])) {
				c->sample->v[i] = v;
				c->sample->have[i] = true;
			}
	if (c->record && (!c->groups || (strlen(c->groups) == glen && !memcmp(c->groups, grp, glen)))) {
		char key[300];

		msgf(key, sizeof(key), "%s.%s", c->prefix, full);
		hr_facts_set_num(c->r->f, key, v, c->source);
		c->r->counters_read++;
	}
}

/* Splits the next whitespace-separated token of [*p, e). */
static bool token(const char **p, const char *e, const char **t, size_t *tl)
{
	const char *s = *p;

	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	if (s >= e)
		return false;
	*t = s;
	while (s < e && *s != ' ' && *s != '\t')
		s++;
	*tl = (size_t)(s - *t);
	*p = s;
	return true;
}

/* Splits the next line of a counter file off *cur (NUL-terminating it) and
 * finds its "Group:" colon. Returns the line, with *colon NULL (and the
 * problem noted) when it has no group prefix; NULL at the end of the text. */
static char *counter_line(struct counter_ctx *c, char **cur, unsigned long *lineno, char **colon)
{
	char *line = *cur, *nl;

	if (!line || !*line)
		return NULL;
	nl = strchr(line, '\n');
	if (nl)
		*nl = '\0';
	*cur = nl ? nl + 1 : NULL;
	(*lineno)++;
	*colon = strchr(line, ':');
	if (!*colon && *hr_strtrim(line))
		hr_facts_add_problem(c->r->f, c->source, "line %lu: no 'Group:' prefix; skipped", *lineno);
	return line;
}

/* Parses "Group: name name ..." / "Group: value value ..." line pairs
 * (/proc/net/snmp, /proc/net/netstat). Returns the number of values. */
static long parse_pairs(struct counter_ctx *c, char *text)
{
	char *cur = text, *hdr = NULL, *line, *colon;
	unsigned long lineno = 0, hdrno = 0;
	long n = 0;

	while ((line = counter_line(c, &cur, &lineno, &colon))) {
		const char *e = line + strlen(line);

		if (!colon)
			continue;
		if (!hdr || (size_t)(colon - line) != (size_t)(strchr(hdr, ':') - hdr) ||
			   memcmp(hdr, line, (size_t)(colon - line))) {
			hdr = line; /* a header line; its values follow */
			hdrno = lineno;
		} else {
			const char *hp = strchr(hdr, ':') + 1, *vp = colon + 1, *hn, *vt;
			size_t hl, vl, glen = (size_t)(colon - line);
			bool hok, vok;

			for (;;) {
				double v;

				hok = token(&hp, hdr + strlen(hdr), &hn, &hl);
				vok = token(&vp, e, &vt, &vl);
				if (!hok || !vok)
					break;
				if (!parse_num(vt, vt + vl, &v)) {
					hr_facts_add_problem(c->r->f, c->source,
							     "line %lu: %.*s %.*s: value '%.*s' is not a number; skipped",
							     lineno, (int)glen, line, (int)hl, hn, (int)vl, vt);
					continue;
				}
				counter(c, line, glen, hn, hl, v);
				n++;
			}
			if (hok != vok)
				hr_facts_add_problem(c->r->f, c->source,
						     "lines %lu-%lu: %.*s has %s names than values (truncated?)",
						     hdrno, lineno, (int)glen, line, hok ? "more" : "fewer");
			hdr = NULL;
		}
	}
	if (hdr)
		hr_facts_add_problem(c->r->f, c->source, "line %lu: header without a value line (truncated?)",
				     hdrno);
	return n;
}

/* Parses "Group: name value name value ..." lines (/proc/net/sockstat{,6}). */
static long parse_flat(struct counter_ctx *c, char *text)
{
	char *cur = text, *line, *colon;
	unsigned long lineno = 0;
	long n = 0;

	while ((line = counter_line(c, &cur, &lineno, &colon))) {
		const char *p, *e = line + strlen(line), *t1, *t2;
		size_t l1, l2;

		if (colon) {
			p = colon + 1;
			while (token(&p, e, &t1, &l1)) {
				double v;

				if (!token(&p, e, &t2, &l2)) {
					hr_facts_add_problem(c->r->f, c->source,
							     "line %lu: '%.*s' has no value (truncated?)", lineno,
							     (int)l1, t1);
					break;
				}
				if (!parse_num(t2, t2 + l2, &v)) {
					hr_facts_add_problem(c->r->f, c->source,
							     "line %lu: %.*s %.*s: value '%.*s' is not a number; skipped",
							     lineno, (int)(colon - line), line, (int)l1, t1, (int)l2, t2);
					continue;
				}
				counter(c, line, (size_t)(colon - line), t1, l1, v);
				n++;
			}
		}
	}
	return n;
}

/* Reads one counter file (below base: "" for the tree itself, or the
 * second sample's directory) and feeds its counters. Returns values read or -errno. */
static long counter_file(struct run *r, const char *base, const char *file, const char *prefix,
			 const char *groups, bool flat, struct sample *s, bool record)
{
	char path[4096], abs[512];
	struct counter_ctx c = {r, prefix, groups, path, s, record};
	long n;

	if (msgf(abs, sizeof(abs), "%s%s", base, file) < 0 ||
	    msgf(path, sizeof(path), "%s%s", r->root, abs) < 0)
		return -ENAMETOOLONG;
	n = read_tree(r, abs);
	if (n < 0) {
		hr_facts_add_problem(r->f, path, "%s", why_unreadable(n));
		return n;
	}
	if (bad_byte(r->buf, (size_t)n) >= 0) {
		hr_facts_add_problem(r->f, path, "not a text file; skipped");
		return -EBADMSG;
	}
	n = flat ? parse_flat(&c, r->buf) : parse_pairs(&c, r->buf);
	if (n == 0)
		hr_facts_add_problem(r->f, path, "no counters found");
	return n;
}

/* First counter sample: every counter file, facts and rate sample. */
/* The counter files: fact prefix, the groups kept, and their layout. */
static const struct counter_file {
	const char *file, *prefix, *groups;
	bool flat;
} counter_files[] = {
	{F_SOCKSTAT, "sockstat", NULL, true},
	{F_SOCKSTAT6, "sockstat6", NULL, true},
	{F_SNMP, "snmp", "Tcp", false},
	{F_NETSTAT, "netstat", "TcpExt", false},
};

/* A later sample of one rate file (live, or a tree's sample2 below base):
 * feeds the rate sample and updates the totals, so "N since boot" and
 * "x/s now" describe the same moment. Returns values read or -errno. */
static long rate_sample(struct run *r, const char *base, const char *file, struct sample *s)
{
	size_t i;

	for (i = 0; i < HR_ARRAY_SIZE(counter_files); i++)
		if (!strcmp(counter_files[i].file, file))
			return counter_file(r, base, file, counter_files[i].prefix, counter_files[i].groups,
					    counter_files[i].flat, s, true);
	return -ENOENT;
}

static void counters(struct run *r, struct sample *s)
{
	const struct counter_file *files = counter_files;
	char why[HR_ARRAY_SIZE(counter_files)][4200];
	size_t i, k;

	for (i = 0; i < HR_ARRAY_SIZE(counter_files); i++) {
		char path[4096];
		long n;

		r->counters_read = 0;
		n = counter_file(r, "", files[i].file, files[i].prefix, files[i].groups,
				 files[i].flat, s, true);
		hr_path_at(path, sizeof(path), r->root, files[i].file);
		if (n < 0) {
			msgf(why[i], sizeof(why[i]), "%s: %s", path, why_unreadable(n));
		} else {
			msgf(why[i], sizeof(why[i]), "not in %s", path);
		}
		r->usable += r->counters_read;
	}
	for (k = 0; want_counters[k]; k++) {
		struct hr_value v;
		size_t pl;

		if (hr_facts_get(r->f, want_counters[k], -1, &v) == 0 && v.type != HR_V_MISSING)
			continue;
		for (i = 0; i < HR_ARRAY_SIZE(counter_files); i++) {
			pl = strlen(files[i].prefix);
			if (!strncmp(want_counters[k], files[i].prefix, pl) && want_counters[k][pl] == '.')
				hr_facts_set_missing(r->f, want_counters[k], why[i]);
		}
	}
}

/* The TIME_WAIT slab object size (SLUB sysfs). */
static void slab(struct run *r)
{
	char path[4096];
	int64_t v;
	long n;

	if (hr_path_at(path, sizeof(path), r->root, F_SLAB) < 0)
		return;
	n = read_tree(r, F_SLAB);
	if (n >= 0 && hr_parse_i64(r->buf, &v) == 0 && v > 0) {
		hr_facts_set_num(r->f, "slab.tw_sock_TCP.object_size", (double)v, path);
		r->usable++;
		return;
	}
	{
		char why[4200];

		msgf(why, sizeof(why), "%s: %s", path, n < 0 ? why_unreadable(n) : "not a positive number");
		hr_facts_set_missing(r->f, "slab.tw_sock_TCP.object_size", why);
		/* A missing slab file is common (SLAB merging, no sysfs in a
		 * container), and it is root-only (0400): only other failures
		 * are problems. */
		if (n != -ENOENT && !(n == -EACCES && geteuid() != 0))
			hr_facts_add_problem(r->f, path, "%s", n < 0 ? why_unreadable(n) : "not a positive number");
	}
}

/* Parses "ADDR:PORT BACKLOG" of a backlogs file, the address as
 * /proc/net/tcp prints it (8 or 32 hex digits, 32-bit words in host order). */
static bool backlog_line(const char *line, int *family, uint8_t *addr, uint16_t *port,
			 uint32_t *backlog)
{
	const char *colon = strchr(line, ':');
	size_t hexlen = colon ? (size_t)(colon - line) : 0, i;
	char word[9], *end;
	unsigned long v;

	if (hexlen != 8 && hexlen != 32)
		return false;
	*family = hexlen == 8 ? AF_INET : AF_INET6;
	memset(addr, 0, 16);
	for (i = 0; i < hexlen / 8; i++) {
		uint32_t w;

		memcpy(word, line + 8 * i, 8);
		word[8] = '\0';
		v = strtoul(word, &end, 16);
		if (*end)
			return false;
		w = (uint32_t)v;
		memcpy(addr + 4 * i, &w, 4);
	}
	v = strtoul(colon + 1, &end, 16);
	if (end != colon + 5 || v > 65535 || *end != ' ')
		return false;
	*port = (uint16_t)v;
	v = strtoul(end + 1, &end, 10);
	if (*hr_strtrim(end) || v > UINT32_MAX)
		return false;
	*backlog = (uint32_t)v;
	return true;
}

/* Fills listener backlogs from a snapshot's DIR/headroom/backlogs, which
 * /proc/net/tcp does not show. A tree made with cp has none: then the
 * backlogs stay unknown. */
static void backlogs_tree(struct run *r)
{
	char path[4096], *line = NULL;
	size_t cap = 0;
	unsigned long lineno = 0;
	int fd = tree_open(r, HR_PROBE_BACKLOGS, O_RDONLY | O_NONBLOCK);
	struct stat st;
	FILE *in;

	hr_path_at(path, sizeof(path), r->root, HR_PROBE_BACKLOGS);
	if (fd < 0) {
		if (fd != -ENOENT)
			hr_facts_add_problem(r->f, path, "%s", why_unreadable(fd));
		return;
	}
	/* Streamed line by line: one line per listening socket, so a box with
	 * many SO_REUSEPORT listeners may exceed the small-file buffer. */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !(in = fdopen(fd, "r"))) {
		hr_facts_add_problem(r->f, path, "%s", why_unreadable(-EINVAL));
		close(fd);
		return;
	}
	while (getline(&line, &cap, in) > 0) {
		int family;
		uint8_t addr[16];
		uint16_t port;
		uint32_t backlog;

		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || !line[0])
			continue;
		if (!backlog_line(line, &family, addr, &port, &backlog))
			hr_facts_add_problem(r->f, path, "line %lu: not 'ADDRESS:PORT BACKLOG'; skipped", lineno);
		else
			hr_facts_set_listener_backlog(r->f, family, addr, port, backlog);
	}
	free(line);
	fclose(in);
}

/* Sockets of a captured tree: ROOT/proc/net/tcp and tcp6, LISTEN heads first. */
static void sockets_tree(struct run *r, char *label, size_t lsz)
{
	static const char *const files[2] = {F_TCP, F_TCP6};
	static const int fams[2] = {AF_INET, AF_INET6};
	hr_procnet *p[2] = {NULL, NULL};
	char path[2][4096];
	int i, err, opened = 0;
	long n, total = 0;

	for (i = 0; i < 2; i++) {
		if (hr_path_at(path[i], sizeof(path[i]), r->root, files[i]) < 0)
			continue;
		p[i] = hr_procnet_open_fd(tree_open(r, files[i], O_RDONLY | O_NONBLOCK), path[i], fams[i], &err);
		if (!p[i]) {
			/* No tcp6 is normal on a box without IPv6. */
			if (!(i == 1 && err == -ENOENT))
				hr_facts_add_problem(r->f, path[i], "%s", why_unreadable(err));
			continue;
		}
		opened++;
	}
	msgf(label, lsz, "%s/proc/net/tcp%s", r->root, p[1] ? "{,6}" : "");
	/* Pass 1: every LISTEN line of both files, so that pass 2 can tell
	 * inbound sockets (local port listening) from outbound ones. */
	for (i = 0; i < 2; i++) {
		if (!p[i])
			continue;
		n = hr_procnet_listeners(p[i], r->f);
		if (n < 0) {
			if (n != -EBADMSG)
				hr_facts_add_problem(r->f, path[i], "read failed: %s", why_unreadable(n));
			hr_procnet_close(p[i]);
			p[i] = NULL;
			opened--;
			continue;
		}
		total += n;
	}
	backlogs_tree(r);
	for (i = 0; i < 2; i++) {
		if (!p[i])
			continue;
		n = hr_procnet_rest(p[i], r->f);
		if (n < 0)
			hr_facts_add_problem(r->f, path[i], "read failed: %s (sockets after this point not counted)",
					     why_unreadable(n));
		else
			total += n;
		hr_procnet_close(p[i]);
	}
	if (opened > 0) {
		hr_facts_sockets_done(r->f);
		r->usable += total > 0 ? total : 1; /* an empty table is a fact too */
	}
}

/* Sockets of the live system (this network namespace) via sock_diag. */
static void sockets_live(struct run *r)
{
	struct hr_err e = {0};
	long n = hr_sockdiag_dump(r->f, &e);

	if (n < 0) {
		hr_facts_add_problem(r->f, "sockets", "%s", e.msg[0] ? e.msg : hr_strerror((int)n));
		return;
	}
	hr_facts_sockets_done(r->f);
	r->usable += n > 0 ? n : 1;
}

/* See probe.h: the wait between two counter samples. */
void hr_probe_wait_until(double t0, double interval, bool quiet)
{
	for (;;) {
		double left = t0 + interval - hr_now();
		struct timespec ts;

		if (left <= 0)
			break;
		if (!quiet)
			hr_progress("headroom: second counter sample in %.1f s", left);
		if (left > 0.1)
			left = 0.1;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(left * 1e9);
		nanosleep(&ts, NULL);
	}
	if (!quiet)
		hr_progress_done();
}

/* Records the rates between two samples taken elapsed seconds apart. */
static void rates(struct run *r, const struct sample *a, const struct sample *b, double elapsed,
		  const char *base)
{
	size_t i;

	for (i = 0; i < NRATES; i++) {
		char name[128], src[4200];
		const char *file = !strncmp(rate_counters[i], "TcpExt.", 7) ? F_NETSTAT : F_SNMP;

		msgf(name, sizeof(name), "rate.%s", rate_counters[i]);
		msgf(src, sizeof(src), "%s%s over %.3g s", base, file, elapsed);
		if (!a->have[i] || !b->have[i]) {
			msgf(src, sizeof(src), "%s not in both samples", rate_counters[i]);
			hr_facts_set_missing(r->f, name, src);
		} else if (b->v[i] < a->v[i]) {
			hr_facts_set_missing(r->f, name, "counter went backwards between the samples");
			hr_facts_add_problem(r->f, name, "%s went backwards between the samples (%.0f -> %.0f)",
					     rate_counters[i], a->v[i], b->v[i]);
		} else {
			hr_facts_set_num(r->f, name, (b->v[i] - a->v[i]) / elapsed, src);
		}
	}
}

/* Marks every rate as missing with one reason. */
static void rates_missing(struct run *r, const char *why)
{
	size_t i;

	for (i = 0; i < NRATES; i++) {
		char name[128];

		msgf(name, sizeof(name), "rate.%s", rate_counters[i]);
		hr_facts_set_missing(r->f, name, why);
	}
}

/* Second sample of a captured tree (snapshot --interval): its interval and counters. */
static double tree_sample2(struct run *r, struct sample *s2, bool *present)
{
	char path[4096];
	double iv = 0;
	long n;
	size_t i;

	*present = false;
	if (hr_path_at(path, sizeof(path), r->root, HR_PROBE_INTERVAL_FILE) < 0)
		return 0;
	n = read_tree(r, HR_PROBE_INTERVAL_FILE);
	if (n == -ENOENT)
		return 0;
	*present = true;
	if (n < 0) {
		hr_facts_add_problem(r->f, path, "%s; no counter rates", why_unreadable(n));
		return 0;
	}
	{
		char *end;

		iv = strtod(r->buf, &end);
		while (*end == ' ' || *end == '\n')
			end++;
		if (end == r->buf || *end || !(iv > 0) || !isfinite(iv) || iv > 86400) {
			hr_facts_add_problem(r->f, path, "not a number of seconds in (0, 86400]; no counter rates");
			return 0;
		}
	}
	for (i = 0; hr_probe_rate_files[i]; i++)
		if (rate_sample(r, HR_PROBE_SAMPLE2_DIR, hr_probe_rate_files[i], s2) < 0)
			return 0;
	return iv;
}

int hr_probe_run(hr_facts *f, const struct hr_probe_opts *o, struct hr_err *err)
{
	struct run r;
	struct sample s1, s2;
	char rootbuf[4096], label[4200];
	const char *root = o && o->root ? o->root : "";
	bool live, quiet = o && o->quiet, sample2 = false;
	double interval = o ? o->interval_s : -1, t1 = 0;
	size_t i, n;

	/* "DIR/" -> "DIR": paths are root + "/proc/...". */
	n = strlen(root);
	if (n >= sizeof(rootbuf)) {
		hr_err_set(err, -ENAMETOOLONG, "--root %s: path too long", root);
		return -ENAMETOOLONG;
	}
	memcpy(rootbuf, root, n + 1);
	while (n > 1 && rootbuf[n - 1] == '/')
		rootbuf[--n] = '\0';
	live = !*rootbuf;
	if (interval < 0)
		interval = live ? 1 : 0;

	memset(&r, 0, sizeof(r));
	memset(&s1, 0, sizeof(s1));
	memset(&s2, 0, sizeof(s2));
	r.f = f;
	r.root = rootbuf;
	r.rootfd = -1;
	r.buf = malloc(VALBUF);
	if (!r.buf) {
		hr_err_set(err, -ENOMEM, "out of memory");
		return -ENOMEM;
	}
	if (!live) {
		r.rootfd = open(rootbuf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (r.rootfd < 0) {
			hr_facts_add_problem(f, rootbuf, "--root: %s",
					     errno == ENOTDIR ? "not a directory" : why_unreadable(-errno));
			free(r.buf);
			hr_facts_set_meta(f, rootbuf, NULL, 0);
			hr_err_set(err, -ENODATA, "nothing usable read from %s", rootbuf);
			return -ENODATA;
		}
	}

	/* Counters first: the interval runs while the rest is read. */
	counters(&r, &s1);
	t1 = hr_now();
	for (i = 0; hr_probe_sysctl_dirs[i]; i++)
		sysctl_dir(&r, i);
	sysctl_wants(&r);
	kernel_str(&r, "kernel.osrelease", F_OSRELEASE);
	kernel_str(&r, "kernel.boot_id", F_BOOT_ID);
	slab(&r);

	label[0] = '\0';
	if (!o || !o->no_sockets) {
		if (live) {
			msgf(label, sizeof(label), "netlink sock_diag");
			sockets_live(&r);
		} else {
			sockets_tree(&r, label, sizeof(label));
		}
	}

	if (live && interval > 0) {
		double elapsed;

		hr_probe_wait_until(t1, interval, quiet);
		for (i = 0; hr_probe_rate_files[i]; i++)
			rate_sample(&r, "", hr_probe_rate_files[i], &s2);
		elapsed = hr_now() - t1;
		rates(&r, &s1, &s2, elapsed, "");
	} else if (!live && !(o && o->interval_s == 0)) {
		char base[4096];
		double iv = tree_sample2(&r, &s2, &sample2);

		if (iv > 0) {
			msgf(base, sizeof(base), "%s%s", rootbuf, HR_PROBE_SAMPLE2_DIR);
			rates(&r, &s1, &s2, iv, base);
			interval = iv;
		} else {
			if (!sample2 && interval > 0)
				hr_facts_add_problem(f, rootbuf,
						     "--interval %g: the tree has no second counter sample "
						     "(take one with 'headroom snapshot --interval'); rates come "
						     "from TIME_WAIT ages only",
						     interval);
			interval = 0;
			rates_missing(&r, "single counter sample: rates come from the TIME_WAIT age histogram");
		}
	} else {
		interval = 0;
		rates_missing(&r, "single counter sample (--interval 0): rates come from the TIME_WAIT age histogram");
	}
	hr_facts_set_meta(f, rootbuf, label[0] ? label : NULL, interval);
	free(r.buf);
	if (r.rootfd >= 0)
		close(r.rootfd);
	if (r.usable == 0) {
		hr_err_set(err, -ENODATA, "nothing usable read from %s (%zu problems)",
			   live ? "the live system" : rootbuf, hr_facts_problem_count(f));
		return -ENODATA;
	}
	return 0;
}
