/* probe-io.c: how the probe reads: every file opened once with O_NOFOLLOW,
 * under --root through openat2 RESOLVE_BENEATH (a captured tree must not
 * make us read elsewhere), read with one buffer and closed; the words for
 * read failures; the text check for values; and the same rules for the
 * readers outside probe-*.c (hr_probe_open_regular, hr_probe_read_regular:
 * conntrack-read.c, kmsg.c). May call: libc and util.c (hr_strerror_about) only;
 * called by every other probe file and by those readers. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifdef SYS_openat2
#include <linux/openat2.h>
#endif

#include "probe-int.h"

/* See probe-int.h: snprintf that may truncate. */
int hr_probe_msgf(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return r < 0 || (size_t)r >= n ? -ENAMETOOLONG : 0;
}

/* Reads an open file into buf (n bytes), NUL-terminated, and closes it.
 * With one_read, a short read is the end: a /proc/sys file hands its whole
 * value to one read() (proc_sys_call_handler()), a regular file is short
 * only at its end; this saves the read() that returns 0 on ~300 keys. A
 * file that fills buf is -EFBIG; with exact, only when one more byte follows.
 * Returns the length or -errno. */
static long read_all(int fd, char *buf, size_t n, bool one_read, bool exact)
{
	size_t used = 0;
	long r;

	for (;;) {
		ssize_t k = read(fd, buf + used, n - 1 - used);

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
		if (used == n - 1) {
			char c;

			k = exact ? read(fd, &c, 1) : 1;
			close(fd);
			return k > 0 ? -EFBIG : (long)(buf[used] = '\0', used);
		}
		if (one_read)
			break;
	}
	close(fd);
	buf[used] = '\0';
	return (long)used;
}

/* Reads a small open file into buf (VALBUF bytes), NUL-terminated, and
 * closes it (see read_all). With check_type, refuses anything that is not
 * a regular file (EINVAL/EISDIR). Returns the length or -errno (-EFBIG
 * when it does not fit). */
static long read_fd_at_most(int fd, char *buf, bool check_type, bool one_read)
{
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
	return read_all(fd, buf, VALBUF, one_read, false);
}

/* Reads a small open file (see read_fd_at_most), to its end. */
static long read_fd(int fd, char *buf, bool check_type)
{
	return read_fd_at_most(fd, buf, check_type, false);
}

/* Reads a sysctl file named relative to an open directory; a symlink is
 * refused (ELOOP) and a FIFO does not block (O_NONBLOCK). */
long hr_probe_read_small(int dirfd, const char *name, char *buf, bool check_type)
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
int hr_probe_tree_open(const struct run *r, const char *abs, int flags)
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

/* See probe.h: a tree's file, as a reader outside probe-*.c opens it. */
int hr_probe_open_regular(const struct hr_probe_tree *t, const char *abs)
{
	struct stat st;
	int fd;

	if (t->open) {
		fd = t->open(t->ctx, abs, O_RDONLY | O_NONBLOCK);
	} else {
		char path[4096];

		if (hr_path_at(path, sizeof(path), t->root, abs) < 0)
			return -ENAMETOOLONG;
		fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			fd = -errno;
	}
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

/* See probe.h: such a file read whole. */
long hr_probe_read_regular(const struct hr_probe_tree *t, const char *abs, char *buf, size_t n)
{
	int fd = hr_probe_open_regular(t, abs);

	return fd < 0 ? fd : read_all(fd, buf, n, false, true);
}

/* Reads a small file of the tree (see tree_open) into r->buf. */
long hr_probe_read_tree(struct run *r, const char *abs)
{
	return read_fd(hr_probe_tree_open(r, abs, O_RDONLY | O_NONBLOCK), r->buf, true);
}

/* Words for a read failure, for operators: util.c's words about a file of
 * the probed tree, with the bound of the probe's reads named. */
const char *hr_probe_why(long err)
{
	if (err == -EFBIG)
		return "refused: larger than " HR_STR(HR_PROBE_MAX_VALUE_KIB) " KiB";
	return hr_strerror_about((int)err, HR_ABOUT_TREE);
}

/* Checks a value is text the kernel could have printed: no NUL or control
 * bytes other than tab and newline. Returns the offset of the first bad
 * byte, or -1. */
long hr_probe_bad_byte(const char *v, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];

		if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
			return (long)i;
	}
	return -1;
}
