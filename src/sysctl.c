/* sysctl.c: normalised keys, root-aware reads, checked writes with read-back. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bounds.h"
#include "sysctl.h"

/* Swaps '.' and '/' (the sysctl(8) convention between the two key forms). */
static void swap_sep(char *s)
{
	for (; *s; s++) {
		if (*s == '.')
			*s = '/';
		else if (*s == '/')
			*s = '.';
	}
}

int hr_sysctl_normalise(const char *in, char *out, size_t n, struct hr_err *err)
{
	char path[HR_KEY_MAX];
	const char *c;
	char *comp, *save = NULL;
	size_t len;

	if (!in || !*in) {
		hr_err_set(err, -EINVAL, "empty key");
		return -EINVAL;
	}
	len = strlen(in);
	if (len >= sizeof(path) || len >= n) {
		hr_err_set(err, -ENAMETOOLONG, "key too long (%zu characters)", len);
		return -ENAMETOOLONG;
	}
	for (c = in; *c; c++) {
		unsigned char ch = (unsigned char)*c;

		if (iscntrl(ch) || isspace(ch) || ch == '=' || ch == '\\' || ch >= 0x7f) {
			hr_err_set(err, -EINVAL, "key '%s': character 0x%02x not allowed in a key", in,
				   ch);
			return -EINVAL;
		}
	}
	/* Work in path form. As sysctl.d(5) says, the first separator decides:
	 * a slash means a path (dots are part of names, "conf/eth0.100/x"); a
	 * dot means dotted form, where dots and slashes are interchanged
	 * ("conf.eth0/100.x"). */
	memcpy(path, in, len + 1);
	if (in[strcspn(in, "./")] == '.')
		swap_sep(path);
	if (path[0] == '/' || path[len - 1] == '/' || strstr(path, "//")) {
		hr_err_set(err, -EINVAL, "key '%s' is not normalised (empty component)", in);
		return -EINVAL;
	}
	memcpy(out, path, len + 1);
	for (comp = strtok_r(path, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		if (!strcmp(comp, ".") || !strcmp(comp, "..")) {
			hr_err_set(err, -EINVAL,
				   "key '%s' is not normalised ('%s' component: would leave the sysctl tree)",
				   in, comp);
			return -EINVAL;
		}
	}
	swap_sep(out);
	return 0;
}

int hr_sysctl_to_path(const char *dotted, char *out, size_t n)
{
	if (strlen(dotted) >= n)
		return -ENAMETOOLONG;
	strcpy(out, dotted);
	swap_sep(out);
	return 0;
}

int hr_sysctl_file(const char *root, const char *key, char *out, size_t n)
{
	char rel[HR_KEY_MAX + 16], base[PATH_MAX], real_base[PATH_MAX], real_file[PATH_MAX];
	int r;
	size_t bl;

	strcpy(rel, "/proc/sys/");
	r = hr_sysctl_to_path(key, rel + 10, sizeof(rel) - 10);
	if (r < 0)
		return r;
	if ((r = hr_path_at(out, n, root, rel)) < 0 || (r = hr_path_at(base, sizeof(base), root, "/proc/sys")) < 0)
		return r;
	if (!realpath(base, real_base))
		return -errno;
	/* The parent must resolve inside the sysctl root; the last component is
	 * opened with O_NOFOLLOW, so a symlink there is refused at open. */
	{
		char parent[PATH_MAX], *slash;

		if (strlen(out) >= sizeof(parent))
			return -ENAMETOOLONG;
		strcpy(parent, out);
		slash = strrchr(parent, '/');
		*slash = '\0';
		if (!realpath(parent, real_file))
			return -errno;
	}
	bl = strlen(real_base);
	if (strncmp(real_file, real_base, bl) != 0 || (real_file[bl] != '/' && real_file[bl] != '\0'))
		return -EINVAL;
	return 0;
}

int hr_sysctl_stat(const char *root, const char *key, enum hr_key_kind *kind)
{
	char file[PATH_MAX];
	struct stat st;
	int r = hr_sysctl_file(root, key, file, sizeof(file));

	if (r < 0)
		return r;
	if (lstat(file, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	*kind = (st.st_mode & 0222) ? HR_KEY_WRITABLE : HR_KEY_READONLY;
	return 0;
}

int hr_sysctl_access(const char *root, const char *key)
{
	char file[PATH_MAX];
	int r = hr_sysctl_file(root, key, file, sizeof(file));

	if (r < 0)
		return r;
	return access(file, W_OK) == 0 ? 0 : -errno;
}

int hr_sysctl_read(const char *root, const char *key, char **out)
{
	char file[PATH_MAX], *buf, *t;
	int r = hr_sysctl_file(root, key, file, sizeof(file));

	*out = NULL;
	if (r < 0)
		return r;
	/* A value longer than the probe's bound is not a kernel value (and
	 * under --root could be anything): -EFBIG, not read whole. */
	r = hr_read_file_max(file, HR_PROBE_MAX_VALUE - 1, &buf, NULL);
	if (r < 0)
		return r;
	t = hr_strtrim(buf);
	memmove(buf, t, strlen(t) + 1);
	*out = buf;
	return 0;
}

int hr_sysctl_value_check(const char *key, const char *value, struct hr_err *err)
{
	const char *c;

	if (!value || !*value) {
		hr_err_set(err, -EINVAL, "%s: empty value", key);
		return -EINVAL;
	}
	for (c = value; *c; c++) {
		unsigned char ch = (unsigned char)*c;

		if (ch == '\n' || ch == '\r') {
			hr_err_set(err, -EINVAL, "%s: value contains a newline (one line only)", key);
			return -EINVAL;
		}
		if (iscntrl(ch) && ch != '\t') {
			hr_err_set(err, -EINVAL, "%s: value contains control character 0x%02x", key, ch);
			return -EINVAL;
		}
	}
	return 0;
}

bool hr_sysctl_equal(const char *a, const char *b)
{
	char *na = hr_ws_normalise(a), *nb = hr_ws_normalise(b);
	bool eq = na && nb && !strcmp(na, nb);

	free(na);
	free(nb);
	return eq;
}

int hr_sysctl_write(const char *root, const char *key, const char *value, struct hr_err *err)
{
	char file[PATH_MAX], *line, *back = NULL;
	size_t len;
	ssize_t k;
	int fd, r;

	r = hr_sysctl_value_check(key, value, err);
	if (r < 0)
		return r;
	r = hr_sysctl_file(root, key, file, sizeof(file));
	if (r < 0) {
		hr_err_set(err, r, "%s: %s", key, hr_strerror_about(r, HR_ABOUT_KEY));
		return r;
	}
	/* O_TRUNC matters only for a temporary tree; /proc/sys ignores it. */
	fd = open(file, O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_TRUNC);
	if (fd < 0) {
		r = -errno;
		hr_err_set(err, r, "%s: open for writing: %s", key, hr_strerror_about(r, HR_ABOUT_KEY));
		return r;
	}
	len = strlen(value);
	line = malloc(len + 2);
	if (!line) {
		close(fd);
		return -ENOMEM;
	}
	memcpy(line, value, len);
	line[len] = '\n';
	line[len + 1] = '\0';
	/* One write(): proc handlers parse the buffer of a single call. */
	k = write(fd, line, len + 1);
	r = k < 0 ? -errno : 0;
	free(line);
	if (r == 0 && (size_t)k != len + 1)
		r = -EIO;
	if (r < 0) {
		close(fd);
		hr_err_set(err, r, "%s: write '%s': %s", key, value, hr_strerror_about(r, HR_ABOUT_KEY));
		return r;
	}
	if (close(fd) < 0) {
		r = -errno;
		hr_err_set(err, r, "%s: close after writing '%s': %s", key, value, hr_strerror_about(r, HR_ABOUT_KEY));
		return r;
	}
	r = hr_sysctl_read(root, key, &back);
	if (r < 0) {
		hr_err_set(err, r, "%s: read back: %s", key, hr_strerror_about(r, HR_ABOUT_KEY));
		return r;
	}
	if (!hr_sysctl_equal(back, value)) {
		hr_err_set(err, -EIO, "%s: read back '%s' after writing '%s'", key, back, value);
		free(back);
		return -EIO;
	}
	free(back);
	return 0;
}

/* Keys that live once per host even under net.*: registered only for
 * init_net (absent in a child netns) or read-only there (kernel-facts.md
 * "Namespaces" and "Conntrack"; net/core/sysctl_net_core.c net_core_table,
 * net/ipv4/sysctl_net_ipv4.c ipv4_table). Some moved to per-netns tables
 * in later kernels (net.core.rmem_max is present in a child netns on
 * 6.18): vetting trusts the kernel, so a net.* key present and writable in
 * a child netns is per netns there; this list only names the refusal. */
static const char *const global_net_keys[] = {
	"net.ipv4.tcp_mem",          "net.ipv4.tcp_max_orphans",
	"net.ipv4.udp_mem",          "net.ipv4.inet_peer_threshold",
	"net.ipv4.inet_peer_minttl", "net.ipv4.inet_peer_maxttl",
	"net.ipv4.tcp_low_latency",  "net.core.rmem_max",
	"net.core.wmem_max",         "net.core.rmem_default",
	"net.core.wmem_default",     "net.core.netdev_max_backlog",
	"net.core.netdev_budget",    "net.core.netdev_budget_usecs",
	"net.core.default_qdisc",    "net.core.busy_poll",
	"net.core.busy_read",        "net.core.dev_weight",
	"net.netfilter.nf_conntrack_max", "net.netfilter.nf_conntrack_buckets",
	"net.netfilter.nf_conntrack_expect_max", "net.nf_conntrack_max",
};

bool hr_sysctl_is_global(const char *key)
{
	size_t i;

	if (strncmp(key, "net.", 4) != 0)
		return true;
	for (i = 0; i < HR_ARRAY_SIZE(global_net_keys); i++)
		if (!strcmp(key, global_net_keys[i]))
			return true;
	return false;
}
