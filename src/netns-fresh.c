/* netns-fresh.c: the values a new network namespace starts with, read by
 * a child process that unshares one (the namespace ends with the child):
 * for a per-namespace key, the value the kernel gives it at boot.
 * Owns: hr_netns_fresh_sysctls. May call: sysctl.c, probe.h (the sysctl
 * directories and secrets), facts setters. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bounds.h"
#include "netns.h"
#include "probe.h"
#include "sysctl.h"

/* Writes "KEY\0VALUE\0" for one writable regular key file of this
 * namespace (read-only keys cannot be persisted: left out). */
static void emit_key(FILE *out, const char *key)
{
	char file[4096], *v = NULL;
	struct stat st;

	if (hr_sysctl_file("", key, file, sizeof(file)) < 0 || stat(file, &st) < 0 || !S_ISREG(st.st_mode) ||
	    !(st.st_mode & 0222) || hr_sysctl_read("", key, &v) < 0)
		return;
	fwrite(key, 1, strlen(key) + 1, out);
	fwrite(v, 1, strlen(v) + 1, out);
	free(v);
}

/* The child: a new network namespace, then every top-level key of dirs
 * and each of keys, to fd. Never returns. */
static void child(int fd, const char *const *dirs, const char *const *keys, size_t nkeys)
{
	FILE *out = fdopen(fd, "w");
	size_t i;

	if (!out)
		_exit(2);
	if (unshare(CLONE_NEWNET) < 0) {
		fprintf(out, "E%d", errno);
		fclose(out);
		_exit(1);
	}
	fputc('K', out);
	for (i = 0; dirs && dirs[i]; i++) {
		DIR *d = opendir(dirs[i]);
		struct dirent *de;

		while (d && (de = readdir(d))) {
			char path[4096], key[HR_KEY_MAX];

			if (de->d_name[0] == '.' || hr_probe_secret(de->d_name) ||
			    snprintf(path, sizeof(path), "%s/%s", dirs[i] + strlen("/proc/sys/"), de->d_name) >=
				    (int)sizeof(path) ||
			    hr_sysctl_normalise(path, key, sizeof(key), NULL) < 0)
				continue;
			emit_key(out, key);
		}
		if (d)
			closedir(d);
	}
	for (i = 0; i < nkeys; i++) {
		const char *base = strrchr(keys[i], '.');

		if (!hr_probe_secret(base ? base + 1 : keys[i]))
			emit_key(out, keys[i]);
	}
	_exit(fclose(out) == 0 ? 0 : 3);
}

/* A key's value in this namespace as an integer, or dflt when unreadable. */
static long read_long(const char *key, long dflt)
{
	char *v = NULL;
	int64_t n;
	long r = dflt;

	if (hr_sysctl_read("", key, &v) == 0 && hr_parse_i64(v, &n) == 0)
		r = (long)n;
	free(v);
	return r;
}

/* True when a new namespace does not take key from the kernel's defaults:
 * global keys (one value per host), and those copied at creation from the
 * initial (or the creating) namespace: tcp_rmem, tcp_wmem and the
 * congestion control (tcp_sk_init(), net/ipv4/tcp_ipv4.c); the IPv4
 * conf.* tree and ip_forward unless net.core.devconf_inherit_init_net is 2,
 * the IPv6 one when it is 1 or 3 (devinet_init_net(), net/ipv4/devinet.c;
 * addrconf_init_net(), net/ipv6/addrconf.c; devconf < 0: not readable
 * here, both taken as copied); tcp_max_tw_buckets and tcp_max_syn_backlog,
 * sized from a hash of the namespace's own when the creating namespace sets
 * tcp_child_ehash_entries (tcp_set_hashinfo()). */
static bool not_default(const char *key, long devconf, long child_ehash)
{
	if (!strcmp(key, "net.ipv4.tcp_rmem") || !strcmp(key, "net.ipv4.tcp_wmem") ||
	    !strcmp(key, "net.ipv4.tcp_congestion_control"))
		return true;
	if (!strncmp(key, "net.ipv4.conf.", 14) || !strcmp(key, "net.ipv4.ip_forward"))
		return devconf != 2;
	if (!strncmp(key, "net.ipv6.conf.", 14))
		return devconf != 0 && devconf != 2;
	if (child_ehash && (!strcmp(key, "net.ipv4.tcp_max_tw_buckets") ||
			    !strcmp(key, "net.ipv4.tcp_max_syn_backlog")))
		return true;
	return hr_sysctl_is_global(key);
}

/* Reads the child's output (at most HR_NETNS_FRESH_MAX bytes) into an owned buffer. */
static int read_all(int fd, char **buf, size_t *len)
{
	size_t cap = 65536;
	char *b = malloc(cap);

	*len = 0;
	if (!b)
		return -ENOMEM;
	for (;;) {
		ssize_t k;

		if (*len == cap) {
			char *nb = cap < HR_NETNS_FRESH_MAX ? realloc(b, cap * 2) : NULL;

			if (!nb) {
				free(b);
				return cap < HR_NETNS_FRESH_MAX ? -ENOMEM : -EFBIG;
			}
			b = nb;
			cap *= 2;
		}
		k = read(fd, b + *len, cap - *len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			int r = -errno;

			free(b);
			return r;
		}
		if (k == 0)
			break;
		*len += (size_t)k;
	}
	*buf = b;
	return 0;
}

int hr_netns_fresh_sysctls(const char *const *dirs, const char *const *keys, size_t nkeys, hr_facts *out,
			   const char *source, struct hr_err *err)
{
	long devconf = read_long("net.core.devconf_inherit_init_net", -1);
	long child_ehash = read_long("net.ipv4.tcp_child_ehash_entries", 0);
	int fds[2], status, r, count = 0;
	char *buf = NULL, *p, *end;
	size_t len = 0;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0) {
		r = -errno;
		hr_err_set(err, r, "pipe: %s", hr_strerror(r));
		return r;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(fds[0]);
		close(fds[1]);
		hr_err_set(err, r, "fork: %s", hr_strerror(r));
		return r;
	}
	if (pid == 0) {
		close(fds[0]);
		child(fds[1], dirs, keys, nkeys);
	}
	close(fds[1]);
	r = read_all(fds[0], &buf, &len);
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (r < 0) {
		if (r == -EFBIG)
			kill(pid, SIGKILL);
		hr_err_set(err, r, "a new network namespace's sysctls: %s", hr_strerror(r));
		return r;
	}
	if (!len || buf[0] != 'K') {
		r = len > 1 && buf[0] == 'E' ? -atoi(buf + 1) : -EIO;
		if (r >= 0)
			r = -EIO;
		hr_err_set(err, r, "cannot make a new network namespace to read the kernel's defaults: %s",
			   r == -EPERM ? "permission denied (needs CAP_SYS_ADMIN)" : hr_strerror(r));
		free(buf);
		return r;
	}
	/* Pairs of NUL-terminated strings after the 'K'; a truncated tail is dropped. */
	for (p = buf + 1, end = buf + len; p < end;) {
		char *k = p, *v, *kend = memchr(k, '\0', (size_t)(end - k)), *vend;

		if (!kend || !(vend = memchr(v = kend + 1, '\0', (size_t)(end - kend - 1))))
			break;
		p = vend + 1;
		if (not_default(k, devconf, child_ehash))
			continue;
		if (hr_facts_set_sysctl(out, k, v, source) == 0)
			count++;
	}
	free(buf);
	return count;
}
