/* snapshot.c: copies what the probe reads into DIR.tmp, then renames it to DIR. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "probe.h"
#include "snapshot.h"
#include "kmsg.h"
#include "sockdiag.h"

/* Copy buffer. /proc/net/tcp hands out one page of lines per read()
 * whatever the buffer (seq_read_iter() fills one seq buffer; measured:
 * 4050 bytes = 27 lines per call), each call resuming the hash walk
 * (tcp_seek_last_pos()); regular files fill the whole buffer. */
#define CPBUF (256 * 1024)

struct snap {
	const struct hr_snapshot_opts *o;
	struct hr_snapshot_stats *st;
	const char *tmp;
	char *buf;
	struct hr_stamp at[HR_SRC_N]; /* when each source was read (DIR/headroom/clock) */
};

/* Reports a file not copied. */
static void snap_note(struct snap *s, const char *path, const char *msg)
{
	s->st->skipped++;
	if (s->o->note)
		s->o->note(s->o->ctx, path, msg);
}

/* True when s is one of a NULL-terminated list. */
static bool in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return true;
	return false;
}

/* Creates every missing directory of path (like mkdir -p). 0 or -errno. */
static int mkdirs(const char *path)
{
	char buf[4096];
	size_t i, n = strlen(path);

	if (n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		buf[i] = i < n ? '/' : '\0';
	}
	return 0;
}

/* Creates the parent directories of tmp + rel. 0 or -errno (err set). */
static int make_parent(struct snap *s, const char *rel, struct hr_err *err)
{
	char dir[4200], *slash;
	int r;

	if (snprintf(dir, sizeof(dir), "%s%s", s->tmp, rel) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	slash = strrchr(dir, '/');
	*slash = '\0';
	r = mkdirs(dir);
	if (r < 0)
		hr_err_set(err, r, "%s: %s", dir, hr_strerror(r));
	return r;
}

/* Copies one live file (src, absolute) to tmp + dst_rel. Returns 0,
 * -errno of the source (nothing written), or -EIO-like write errors
 * (reported through err). */
static int copy_file(struct snap *s, const char *src, const char *dst_rel, struct hr_err *err)
{
	char dst[4096];
	int in, out, r = 0;

	in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (in < 0)
		return -errno;
	if (snprintf(dst, sizeof(dst), "%s%s", s->tmp, dst_rel) >= (int)sizeof(dst)) {
		close(in);
		return -ENAMETOOLONG;
	}
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (out < 0) {
		r = -errno;
		hr_err_set(err, r, "%s: %s", dst, hr_strerror(r));
		close(in);
		return 1;
	}
	for (;;) {
		ssize_t k = read(in, s->buf, CPBUF);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			/* A read error on the source: drop the partial copy. */
			r = -errno;
			close(out);
			unlink(dst);
			close(in);
			return r;
		}
		if (k == 0)
			break;
		r = hr_write_all(out, s->buf, (size_t)k);
		if (r < 0)
			break;
		s->st->bytes += (unsigned long long)k;
	}
	close(in);
	if (close(out) < 0 && r == 0)
		r = -errno;
	if (r < 0) {
		hr_err_set(err, r, "%s: %s", dst, hr_strerror(r));
		return 1;
	}
	s->st->files++;
	return 0;
}

/* Copies a file when it exists; a missing or unreadable source is a note.
 * Returns 0, or -errno when writing the snapshot failed (err set). */
static int copy_one(struct snap *s, const char *abs, struct hr_err *err)
{
	int r = make_parent(s, abs, err);

	if (r < 0)
		return r;
	r = copy_file(s, abs, abs, err);
	if (r == 1)
		return err->code ? err->code : -EIO;
	if (r < 0)
		snap_note(s, abs, r == -ENOENT ? "not present here; not copied" : hr_strerror(r));
	return 0;
}

/* Copies the top-level regular, readable files of a sysctl directory. */
static int copy_dir(struct snap *s, const char *abs, struct hr_err *err)
{
	char dst[4096], src[4096];
	struct dirent *de;
	DIR *d = opendir(abs);
	int r = 0;

	if (!d) {
		if (errno == ENOENT && strstr(abs, "netfilter"))
			return 0; /* conntrack not loaded: the probe says so */
		snap_note(s, abs, hr_strerror(errno));
		return 0;
	}
	if (snprintf(dst, sizeof(dst), "%s%s", s->tmp, abs) >= (int)sizeof(dst)) {
		closedir(d);
		return -ENAMETOOLONG;
	}
	r = mkdirs(dst);
	if (r < 0) {
		hr_err_set(err, r, "%s: %s", dst, hr_strerror(r));
		closedir(d);
		return r;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || (de->d_type != DT_REG && de->d_type != DT_UNKNOWN) ||
		    hr_probe_secret(de->d_name))
			continue;
		if (snprintf(src, sizeof(src), "%s/%s", abs, de->d_name) >= (int)sizeof(src))
			continue;
		r = copy_file(s, src, src, err);
		if (r == 1) {
			closedir(d);
			return err->code ? err->code : -EIO;
		}
		/* Write-only keys (EACCES even for root) are not facts, root-only
		 * ones are unreadable here: the probe says so; skip quietly. */
		if (r < 0 && r != -EACCES)
			snap_note(s, src, hr_strerror(r));
		r = 0;
	}
	closedir(d);
	return 0;
}

/* The kernel's headers of /proc/net/tcp and tcp6 (tcp4_seq_show(),
 * tcp6_seq_show()); IPv4 lines are padded to 149 columns (seq_pad()). */
#define TCP4_HEADER "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode"
#define TCP6_HEADER "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode"
#define TCP4_WIDTH 149

/* Output files of write_sockets(), one per family. */
struct sockout {
	FILE *f[3];   /* 0: tcp, 1: tcp6, 2: listener backlogs */
	long sl[2];   /* line numbers */
	unsigned long long bytes;
};

/* Prints an address the way /proc/net/tcp does: each 32-bit word with
 * %08X as it sits in memory (get_tcp4_sock(), get_tcp6_sock()). */
static int put_addr(char *out, const uint8_t *a, int words)
{
	int i, n = 0;

	for (i = 0; i < words; i++) {
		uint32_t w;

		memcpy(&w, a + 4 * i, 4);
		n += sprintf(out + n, "%08X", w);
	}
	return n;
}

/* Writes one socket as a /proc/net/tcp{,6} line (callback of hr_sockdiag_each). */
static void put_socket(void *ctx, const struct hr_sock *k)
{
	struct sockout *o = ctx;
	int fam = k->family == AF_INET6 ? 1 : 0, words = fam ? 4 : 1, n;
	char line[320];
	bool listen = k->state == HR_LISTEN;

	n = sprintf(line, "%4ld: ", o->sl[fam]++);
	n += put_addr(line + n, k->src, words);
	n += sprintf(line + n, ":%04X ", k->sport);
	n += put_addr(line + n, k->dst, words);
	/* tx_queue:rx_queue (LISTEN: 0 and the accept queue), tr:tm->when in
	 * clock ticks (USER_HZ = 100, so ms / 10), retrnsmt, uid, timeout, inode. */
	n += sprintf(line + n, ":%04X %02X %08X:%08X %02X:%08X %08X %5u %8d %u", k->dport, k->state,
		     listen ? 0 : k->wqueue, k->rqueue, k->timer, k->expires_ms / 10, 0, k->uid, 0,
		     k->inode);
	if (!fam && n < TCP4_WIDTH)
		n += sprintf(line + n, "%*s", TCP4_WIDTH - n, "");
	line[n++] = '\n';
	if (fwrite(line, 1, (size_t)n, o->f[fam]) == (size_t)n)
		o->bytes += (unsigned long long)n;
	if (listen) {
		/* The backlog (idiag_wqueue) is not in the tcp format: keep it
		 * beside, keyed by the local address as the tcp file prints it. */
		n = put_addr(line, k->src, words);
		n += sprintf(line + n, ":%04X %u\n", k->sport, k->wqueue);
		if (fwrite(line, 1, (size_t)n, o->f[2]) == (size_t)n)
			o->bytes += (unsigned long long)n;
	}
}

/* Writes proc/net/tcp and tcp6 from one sock_diag dump: one consistent
 * moment, where copying /proc/net/tcp takes one read() per 27 lines while
 * the kernel re-walks its hash and sockets come and go (seconds on a busy
 * box, which smears TIME_WAIT ages and inflates the rates). LISTEN lines
 * come first in each file, as the kernel prints them. Returns 0, 1 when
 * sock_diag is unavailable (nothing written: the caller copies instead),
 * or -errno when writing failed (err set). */
static int write_sockets(struct snap *s, struct hr_err *err)
{
	static const char *const rel[3] = {"/proc/net/tcp", "/proc/net/tcp6", HR_PROBE_BACKLOGS};
	struct sockout o = {{NULL, NULL, NULL}, {0, 0}, 0};
	struct hr_err derr = {0};
	struct hr_sockdiag_stats dst = {0};
	char path[3][4096];
	long n;
	int i, r = 0;

	r = make_parent(s, rel[0], err);
	if (r == 0)
		r = make_parent(s, rel[2], err);
	if (r < 0)
		return r;
	for (i = 0; i < 3; i++) {
		int fd;

		if (snprintf(path[i], sizeof(path[i]), "%s%s", s->tmp, rel[i]) >= (int)sizeof(path[i])) {
			r = -ENAMETOOLONG;
			goto out;
		}
		fd = open(path[i], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
		o.f[i] = fd < 0 ? NULL : fdopen(fd, "w");
		if (!o.f[i]) {
			r = -errno;
			hr_err_set(err, r, "%s: %s", path[i], hr_strerror(r));
			if (fd >= 0)
				close(fd);
			goto out;
		}
		setvbuf(o.f[i], NULL, _IOFBF, i < 2 ? CPBUF : BUFSIZ);
		if (i < 2)
			fprintf(o.f[i], i ? "%s\n" : "%-149s\n", i ? TCP6_HEADER : TCP4_HEADER);
		else
			fprintf(o.f[i], "# local_address backlog: listener backlogs from sock_diag "
					"(not shown by /proc/net/tcp)\n");
	}
	n = hr_sockdiag_each(put_socket, &o, &dst, &derr);
	if (n >= 0 && dst.interrupted)
		snap_note(s, "netlink sock_diag",
			  "dump interrupted (NLM_F_DUMP_INTR): sockets changed during it, a few may be "
			  "missing or written twice");
	if (n < 0) {
		for (i = 0; i < 3; i++) {
			fclose(o.f[i]);
			o.f[i] = NULL;
			unlink(path[i]);
		}
		snap_note(s, "netlink sock_diag", derr.msg[0] ? derr.msg : "dump failed");
		return 1;
	}
out:
	for (i = 0; i < 3; i++) {
		if (!o.f[i])
			continue;
		if ((ferror(o.f[i]) | fclose(o.f[i])) && r == 0) {
			r = -EIO;
			hr_err_set(err, r, "%s: write failed", path[i]);
		}
		if (r == 0)
			s->st->files++;
	}
	s->st->bytes += o.bytes;
	return r;
}

/* Writes a small text file below the temporary tree. */
static int write_text(struct snap *s, const char *rel, const char *text, struct hr_err *err)
{
	char path[4096];
	int fd, r;

	if (snprintf(path, sizeof(path), "%s%s", s->tmp, rel) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	r = make_parent(s, rel, err);
	if (r < 0)
		return r;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		r = -errno;
		hr_err_set(err, r, "%s: %s", path, hr_strerror(r));
		return r;
	}
	r = hr_write_all(fd, text, strlen(text));
	if (close(fd) < 0 && !r)
		r = -errno;
	if (r < 0)
		hr_err_set(err, r, "%s: %s", path, hr_strerror(r));
	else
		s->st->files++;
	return r;
}

/* Conntrack (per-CPU stats, the entries in procfs format) and the kernel
 * log with its capture time and namespace scope (kmsg.h). */
static int snap_conntrack_kmsg(struct snap *s, struct hr_err *err)
{
	char path[4096], text[64];
	int r, fd, init;
	long long ino;
	long n;

	r = copy_one(s, "/proc/net/stat/nf_conntrack", err);
	if (r == 0)
		r = copy_one(s, "/proc/net/nf_conntrack", err);
	if (r == 0)
		r = make_parent(s, HR_KMSG_TREE_FILE, err);
	if (r < 0)
		return r;
	/* The namespace's own inode: kernel messages that name a namespace
	 * ("table full in netns N") are attributed to the tree by it. */
	ino = hr_kmsg_netns_self();
	if (ino > 0) {
		snprintf(text, sizeof(text), "%lld\n", ino);
		r = write_text(s, HR_KMSG_TREE_NETNS_INO, text, err);
		if (r < 0)
			return r;
	}
	s->at[HR_SRC_KMSG] = hr_stamp_now();
	if (snprintf(path, sizeof(path), "%s%s", s->tmp, HR_KMSG_TREE_FILE) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	snprintf(text, sizeof(text), "%.6f\n", (double)hr_kmsg_monotonic_us() / 1e6);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		r = -errno;
		hr_err_set(err, r, "%s: %s", path, hr_strerror(r));
		return r;
	}
	n = hr_kmsg_copy("/dev/kmsg", fd);
	if (close(fd) < 0 && n >= 0)
		n = -errno;
	if (n == -EACCES || n == -EPERM || n == -ENOENT) {
		unlink(path);
		snap_note(s, "/dev/kmsg", n == -ENOENT ? "not present here; not copied" : hr_strerror((int)n));
		return 0;
	}
	if (n < 0) {
		hr_err_set(err, (int)n, "%s: %s", path, hr_strerror((int)n));
		return (int)n;
	}
	s->st->files++;
	r = write_text(s, HR_KMSG_TREE_NOW, text, err);
	init = hr_kmsg_netns_initial();
	if (r == 0)
		r = write_text(s, HR_KMSG_TREE_NETNS, init > 0 ? "initial\n" : init == 0 ? "child\n" : "unknown\n", err);
	return r;
}

/* The neighbour tables (rtnetlink, no file to copy) into rel; not there: a note. */
static int snap_neigh(struct snap *s, const char *rel, struct hr_err *err)
{
	char text[256];
	long n = hr_probe_neigh_text(text, sizeof(text));

	if (n < 0) {
		snap_note(s, "netlink RTM_GETNEIGHTBL", hr_strerror((int)n));
		return 0;
	}
	return write_text(s, rel, text, err);
}

/* nftw callback of rm_tree: removes one entry (depth first). */
static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 ? -1 : 0;
}

/* Removes a tree we made (never follows symlinks). */
static int rm_tree(const char *path)
{
	return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) < 0 ? -errno : 0;
}

/* 1 when path is an empty directory, 0 when non-empty, -errno otherwise. */
static int dir_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int empty = 1;

	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			empty = 0;
			break;
		}
	closedir(d);
	return empty;
}

/* True when path holds a headroom snapshot (its marker file). */
static bool is_snapshot(const char *path)
{
	char m[4200];
	struct stat st;

	snprintf(m, sizeof(m), "%s%s", path, HR_SNAPSHOT_MARKER);
	return lstat(m, &st) == 0 && S_ISREG(st.st_mode);
}

/* Checks DIR and DIR.tmp before writing; -EEXIST etc. with err. */
static int check_target(const char *out, const char *tmp, bool force, struct hr_err *err)
{
	struct stat st;
	int e;

	if (lstat(out, &st) == 0) {
		if (!S_ISDIR(st.st_mode)) {
			hr_err_set(err, -EEXIST, "%s exists and is not a directory", out);
			return -EEXIST;
		}
		e = dir_empty(out);
		if (e < 0) {
			hr_err_set(err, e, "%s: %s", out, hr_strerror(e));
			return e;
		}
		if (e == 0 && !force) {
			hr_err_set(err, -EEXIST, "%s exists and is not empty (--force replaces a previous snapshot)",
				   out);
			return -EEXIST;
		}
		if (e == 0 && !is_snapshot(out)) {
			hr_err_set(err, -EEXIST, "%s is not empty and not a headroom snapshot (no %s); refusing to replace it",
				   out, HR_SNAPSHOT_MARKER + 1);
			return -EEXIST;
		}
	}
	if (lstat(tmp, &st) == 0) {
		if (!force) {
			hr_err_set(err, -EEXIST, "%s exists: an unfinished snapshot? remove it or use --force", tmp);
			return -EEXIST;
		}
		if (!S_ISDIR(st.st_mode) || (dir_empty(tmp) == 0 && !is_snapshot(tmp))) {
			hr_err_set(err, -EEXIST, "%s exists and is not a headroom snapshot; refusing to remove it", tmp);
			return -EEXIST;
		}
		e = rm_tree(tmp);
		if (e < 0) {
			hr_err_set(err, e, "cannot remove %s: %s", tmp, hr_strerror(e));
			return e;
		}
	}
	return 0;
}

/* DIR/headroom/clock: when each source was read, on both clocks. */
static int write_clock(struct snap *s, struct hr_err *err)
{
	char text[1024];
	size_t o;
	int i;

	o = (size_t)snprintf(text, sizeof(text), "# when each source was read: SOURCE CLOCK_REALTIME CLOCK_MONOTONIC (s)\n");
	for (i = 0; i < HR_SRC_N && o < sizeof(text); i++)
		if (!isnan(s->at[i].real))
			o += (size_t)snprintf(text + o, sizeof(text) - o, "%s %.6f %.6f\n", hr_src_names[i], s->at[i].real,
					      s->at[i].mono);
	return write_text(s, HR_PROBE_CLOCK_FILE, text, err);
}

/* Copies the rate counter files as the second sample. */
static int sample2(struct snap *s, struct hr_err *err)
{
	size_t i;

	for (i = 0; hr_probe_rate_files[i]; i++) {
		char rel[256];
		int r;

		snprintf(rel, sizeof(rel), "%s%s", HR_PROBE_SAMPLE2_DIR, hr_probe_rate_files[i]);
		r = make_parent(s, rel, err);
		if (r < 0)
			return r;
		r = copy_file(s, hr_probe_rate_files[i], rel, err);
		if (r == 1)
			return err->code ? err->code : -EIO;
		if (r < 0)
			snap_note(s, hr_probe_rate_files[i], hr_strerror(r));
	}
	return snap_neigh(s, HR_PROBE_SAMPLE2_DIR HR_PROBE_NEIGH, err);
}

int hr_snapshot_write(const struct hr_snapshot_opts *o, struct hr_snapshot_stats *stats,
		      struct hr_err *err)
{
	char out[4096], tmp[4200], old[4300], text[512];
	struct snap s = {.o = o, .st = stats, .tmp = tmp};
	size_t i, n = strlen(o->out);
	double t1 = 0;
	time_t now = time(NULL);
	struct tm tm;
	int r;

	memset(stats, 0, sizeof(*stats));
	for (i = 0; i < HR_SRC_N; i++)
		s.at[i] = hr_stamp_unknown();
	if (n == 0 || n >= sizeof(out)) {
		hr_err_set(err, -EINVAL, "bad output directory '%s'", o->out);
		return -EINVAL;
	}
	memcpy(out, o->out, n + 1);
	while (n > 1 && out[n - 1] == '/')
		out[--n] = '\0';
	if (!strcmp(out, "/")) {
		hr_err_set(err, -EINVAL, "refusing to write a snapshot to /");
		return -EINVAL;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", out);
	r = check_target(out, tmp, o->force, err);
	if (r < 0)
		return r;
	s.buf = malloc(CPBUF);
	if (!s.buf) {
		hr_err_set(err, -ENOMEM, "out of memory");
		return -ENOMEM;
	}
	if (mkdir(tmp, 0755) < 0) {
		r = -errno;
		hr_err_set(err, r, "%s: %s", tmp, hr_strerror(r));
		goto fail_nodir;
	}
	gmtime_r(&now, &tm);
	strftime(text, sizeof(text), "headroom " PACKAGE_VERSION " snapshot\nstarted %Y-%m-%dT%H:%M:%SZ\n", &tm);
	r = write_text(&s, HR_SNAPSHOT_MARKER, text, err);
	if (r < 0)
		goto fail;

	/* Sockets first (their TIME_WAIT ages are relative to the moment the
	 * kernel prints them, so they should be as close as possible to when
	 * the snapshot was asked for), then the counters: the interval to the
	 * second sample starts there. The sockets' moment is the capture's:
	 * what the predictions of the tree count from (DIR/headroom/clock). */
	s.at[HR_SRC_SOCKETS] = hr_stamp_now();
	r = write_sockets(&s, err);
	if (r == 1) /* no sock_diag here: copy the kernel's files instead */
		for (i = 0, r = 0; hr_probe_socket_files[i] && r == 0; i++)
			r = copy_one(&s, hr_probe_socket_files[i], err);
	s.at[HR_SRC_COUNTERS] = hr_stamp_now();
	for (i = 0; hr_probe_rate_files[i] && r == 0; i++)
		r = copy_one(&s, hr_probe_rate_files[i], err);
	if (r == 0)
		r = snap_neigh(&s, HR_PROBE_NEIGH, err);
	t1 = hr_now();
	for (i = 0; hr_probe_files[i] && r == 0; i++)
		if (!in_list(hr_probe_files[i], hr_probe_rate_files) &&
		    !in_list(hr_probe_files[i], hr_probe_socket_files))
			r = copy_one(&s, hr_probe_files[i], err);
	s.at[HR_SRC_SYSCTLS] = hr_stamp_now();
	for (i = 0; hr_probe_sysctl_dirs[i] && r == 0; i++)
		r = copy_dir(&s, hr_probe_sysctl_dirs[i], err);
	s.at[HR_SRC_CONNTRACK] = hr_stamp_now();
	if (r == 0)
		r = snap_conntrack_kmsg(&s, err);
	if (r < 0)
		goto fail;
	if (o->interval_s > 0) {
		hr_probe_wait_until(t1, o->interval_s, o->progress, o->progress_ud);
		s.at[HR_SRC_COUNTERS2] = hr_stamp_now();
		r = sample2(&s, err);
		if (r < 0)
			goto fail;
		stats->interval_s = hr_now() - t1;
		snprintf(text, sizeof(text), "%.6f\n", stats->interval_s);
		r = write_text(&s, HR_PROBE_INTERVAL_FILE, text, err);
		if (r < 0)
			goto fail;
	}

	r = write_clock(&s, err);
	if (r < 0)
		goto fail;

	/* Into place: an empty DIR is replaced by rename(); a previous
	 * snapshot (--force) is moved aside first and removed after. */
	old[0] = '\0';
	if (access(out, F_OK) == 0 && dir_empty(out) == 0) {
		snprintf(old, sizeof(old), "%s.old.%ld", out, (long)getpid());
		if (rename(out, old) < 0) {
			r = -errno;
			hr_err_set(err, r, "cannot move %s aside: %s", out, hr_strerror(r));
			goto fail;
		}
	}
	if (rename(tmp, out) < 0) {
		r = -errno;
		hr_err_set(err, r, "cannot rename %s to %s: %s", tmp, out, hr_strerror(r));
		if (old[0])
			rename(old, out);
		goto fail;
	}
	if (old[0])
		rm_tree(old);
	free(s.buf);
	return 0;
fail:
	rm_tree(tmp);
fail_nodir:
	free(s.buf);
	return r;
}
