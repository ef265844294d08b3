/* persist.c: the persisted sysctl.d file and its boot-time precedence. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "persist.h"
#include "sysctl.h"
#include "sysctld.h"

/* Parses one sysctl.d line into key and value (in place); false for
 * comments and blanks. A leading '-' (systemd-sysctl: a key missing at boot
 * is not an error) is not part of the key: *dash says it was there. */
static bool parse_line(char *line, char **key, char **value, bool *dash)
{
	char *eq, *k;

	line = hr_strtrim(line);
	if (!*line || *line == '#' || *line == ';')
		return false;
	eq = strchr(line, '=');
	if (!eq)
		return false;
	*eq = '\0';
	k = hr_strtrim(line);
	*dash = *k == '-';
	if (*dash)
		k++;
	*key = k;
	*value = hr_strtrim(eq + 1);
	return **key != '\0';
}

int hr_persist_render(const char *old_content, const struct hr_kv *kv, size_t n, const char *txn,
		      char **out)
{
	json_t *keys = json_object(), *dashed = json_object();
	char *copy = old_content ? strdup(old_content) : NULL, *line, *save = NULL, *buf = NULL;
	const char *k;
	json_t *v;
	size_t len = 0, i;
	FILE *f;
	time_t now = time(NULL);
	char stamp[64];

	*out = NULL;
	for (line = copy ? strtok_r(copy, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
		char *key, *value, norm[HR_KEY_MAX];
		bool dash;

		if (parse_line(line, &key, &value, &dash) && hr_sysctl_normalise(key, norm, sizeof(norm), NULL) == 0) {
			json_object_set_new(keys, norm, json_string(value));
			/* The '-' stays with its key, also when headroom sets it:
			 * it changes what boot does when the key is missing. */
			if (dash)
				json_object_set_new(dashed, norm, json_true());
			else
				json_object_del(dashed, norm);
		}
	}
	free(copy);
	for (i = 0; i < n; i++) {
		char *nv = hr_ws_normalise(kv[i].value);

		json_object_set_new(keys, kv[i].key, json_string(nv ? nv : kv[i].value));
		free(nv);
	}
	f = open_memstream(&buf, &len);
	if (!f) {
		json_decref(keys);
		json_decref(dashed);
		return -ENOMEM;
	}
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	fprintf(f, "# Written by headroom (transaction %s, %s).\n"
		   "# Managed file: 'headroom apply --persist' rewrites it, 'headroom rollback' restores it.\n",
		txn ? txn : "-", stamp);
	json_object_foreach(keys, k, v)
		fprintf(f, "%s%s = %s\n", json_object_get(dashed, k) ? "-" : "", k, json_string_value(v));
	json_decref(keys);
	json_decref(dashed);
	if (fclose(f) != 0) {
		free(buf);
		return -ENOMEM;
	}
	*out = buf;
	return 0;
}

void hr_persist_sweep(const char *path)
{
	char copy[PATH_MAX], dir[PATH_MAX], prefix[NAME_MAX + 32], full[PATH_MAX + NAME_MAX + 2];
	const char *base;
	struct dirent *de;
	size_t plen;
	DIR *d;

	snprintf(copy, sizeof(copy), "%s", path);
	snprintf(dir, sizeof(dir), "%s", dirname(copy));
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	plen = (size_t)snprintf(prefix, sizeof(prefix), "%s.headroom-tmp.", base);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		char *end;
		long pid;

		if (strncmp(de->d_name, prefix, plen) != 0)
			continue;
		pid = strtol(de->d_name + plen, &end, 10);
		if (*end || pid <= 0 || (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
			continue;
		snprintf(full, sizeof(full), "%s/%s", dir, de->d_name);
		unlink(full);
	}
	closedir(d);
}

/* The file a path names once its symlinks are followed (a sysctl.d entry
 * is often a link into a configuration repository): into out, also when
 * the last link dangles. 0, or -ELOOP after 40 links, -ENAMETOOLONG. */
static int link_target(const char *path, char *out, size_t n)
{
	char cur[PATH_MAX], link[PATH_MAX], dir[PATH_MAX];
	struct stat st;
	int hops;

	if (snprintf(cur, sizeof(cur), "%s", path) >= (int)sizeof(cur))
		return -ENAMETOOLONG;
	for (hops = 0; lstat(cur, &st) == 0 && S_ISLNK(st.st_mode); hops++) {
		ssize_t k = readlink(cur, link, sizeof(link) - 1);

		if (hops == 40)
			return -ELOOP;
		if (k < 0)
			return -errno;
		link[k] = '\0';
		snprintf(dir, sizeof(dir), "%s", cur);
		if (link[0] == '/')
			snprintf(cur, sizeof(cur), "%s", link);
		else if (snprintf(cur, sizeof(cur), "%s/%s", dirname(dir), link) >= (int)sizeof(cur))
			return -ENAMETOOLONG;
	}
	return snprintf(out, n, "%s", cur) < (int)n ? 0 : -ENAMETOOLONG;
}

/* Writes content: hr_persist_write's filler. */
static int fill_content(FILE *out, void *ud)
{
	return fputs(ud, out) < 0 ? -errno : 0;
}

int hr_persist_write(const char *path, const char *content, struct hr_err *err)
{
	return hr_persist_write_fill(path, content ? fill_content : NULL, (void *)content, err);
}

int hr_persist_write_fill(const char *path, int (*fill)(FILE *out, void *ud), void *ud, struct hr_err *err)
{
	FILE *out;
	char tmp[PATH_MAX], copy[PATH_MAX], dir[PATH_MAX], target[PATH_MAX];
	int fd, r = 0;

	/* A symlink stays: its target is what is written (or removed). */
	r = link_target(path, target, sizeof(target));
	if (r < 0) {
		hr_err_set(err, r, "cannot follow %s: %s", path, hr_strerror(r));
		return r;
	}
	path = target;
	snprintf(copy, sizeof(copy), "%s", path);
	snprintf(dir, sizeof(dir), "%s", dirname(copy));
	hr_persist_sweep(path);
	if (!fill) {
		if (unlink(path) < 0 && errno != ENOENT) {
			r = -errno;
			hr_err_set(err, r, "cannot remove %s: %s", path, hr_strerror(r));
			return r;
		}
		goto sync_dir;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.headroom-tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		r = -errno;
		hr_err_set(err, r, "cannot create %s: %s", tmp, hr_strerror(r));
		return r;
	}
	out = fdopen(fd, "w");
	r = out ? fill(out, ud) : -errno;
	if (r == 0 && fflush(out) != 0)
		r = -errno;
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if ((out ? fclose(out) : close(fd)) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		hr_err_set(err, r, "cannot write %s: %s", path, hr_strerror(r));
		unlink(tmp);
		return r;
	}
sync_dir:
	/* The rename (or removal) is done: the file is what boot will read. A
	 * failed directory fsync only leaves its durability open: return 1
	 * (with err set) so callers record it as written and warn. */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0) {
		hr_err_set(err, -errno, "%s is in place, but fsync of directory %s failed: %s", path,
			   dir, hr_strerror(errno));
		r = 1;
	}
	if (fd >= 0)
		close(fd);
	return r;
}

json_t *hr_persist_files(const char *config_root)
{
	json_t *out = hr_sysctld_files(config_root);
	char path[PATH_MAX];
	struct stat st;

	/* procps' sysctl --system reads /etc/sysctl.conf last. */
	hr_path_at(path, sizeof(path), config_root, "/etc/sysctl.conf");
	if (out && stat(path, &st) == 0)
		json_array_append_new(out, json_string(path));
	return out;
}

json_t *hr_persist_conflicts(const char *config_root, const char *persist_path, const struct hr_kv *kv,
			     size_t n)
{
	json_t *files = hr_persist_files(config_root), *out = json_array(), *fj;
	char ours_copy[PATH_MAX], ours_base[PATH_MAX], sysconf[PATH_MAX];
	size_t i, j;

	snprintf(ours_copy, sizeof(ours_copy), "%s", persist_path);
	snprintf(ours_base, sizeof(ours_base), "%s", basename(ours_copy));
	hr_path_at(sysconf, sizeof(sysconf), config_root, "/etc/sysctl.conf");
	json_array_foreach(files, i, fj) {
		const char *file = json_string_value(fj);
		char copy[PATH_MAX], *buf, *line, *save = NULL;
		int lineno = 0;
		bool later;

		snprintf(copy, sizeof(copy), "%s", file);
		later = !strcmp(file, sysconf) || strcmp(basename(copy), ours_base) > 0;
		if (!later || !strcmp(file, persist_path) || hr_read_file(file, &buf, NULL) < 0)
			continue;
		/* strtok_r skips empty lines, so count newlines by hand. */
		for (line = buf; line && *line; line = save) {
			char *key, *value, norm[HR_KEY_MAX];
			bool dash;

			save = strchr(line, '\n');
			if (save)
				*save++ = '\0';
			lineno++;
			if (!parse_line(line, &key, &value, &dash) || hr_sysctl_normalise(key, norm, sizeof(norm), NULL) < 0)
				continue;
			for (j = 0; j < n; j++)
				if (!strcmp(norm, kv[j].key) && !hr_sysctl_equal(value, kv[j].value))
					json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:i, s:s}", "key", norm,
									     "value", value, "file", file, "line",
									     lineno, "ours", kv[j].value));
		}
		free(buf);
	}
	json_decref(files);
	return out;
}
