/* journal.c: fsynced JSON-lines transaction journals with flock ownership. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bounds.h"
#include "journal.h"

struct hr_journal {
	int fd;
	char *id;
	char *path;
};

/* Wraps an open, locked journal file in a handle; closes fd and returns
 * NULL when out of memory. */
static hr_journal *journal_handle(int fd, const char *id, const char *path)
{
	hr_journal *j = calloc(1, sizeof(*j));

	if (j) {
		j->id = strdup(id);
		j->path = strdup(path);
	}
	if (!j || !j->id || !j->path) {
		if (j) {
			free(j->id);
			free(j->path);
			free(j);
		}
		close(fd);
		return NULL;
	}
	j->fd = fd;
	return j;
}

/* fsyncs a directory so a new entry in it survives a crash. */
static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* Checks one directory's ownership and mode (lstat: a symlink is refused). */
static int check_dir(const char *dir, bool create, struct hr_err *err)
{
	struct stat st;

	if (lstat(dir, &st) < 0) {
		if (errno != ENOENT || !create) {
			int r = -errno;
			hr_err_set(err, r, "state directory %s: %s", dir, hr_strerror(r));
			return r;
		}
		if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
			int r = -errno;
			hr_err_set(err, r, "cannot create state directory %s: %s", dir, hr_strerror(r));
			return r;
		} else {
			/* Make the new entry durable: a journal inside a directory
			 * that a crash forgets is no journal. */
			char parent[PATH_MAX], *slash;

			snprintf(parent, sizeof(parent), "%s", dir);
			slash = strrchr(parent, '/');
			if (slash == parent)
				slash[1] = '\0';
			else if (slash)
				*slash = '\0';
			else
				snprintf(parent, sizeof(parent), ".");
			fsync_dir(parent);
		}
		if (lstat(dir, &st) < 0)
			return -errno;
	}
	if (S_ISLNK(st.st_mode)) {
		hr_err_set(err, -ELOOP, "refusing state directory %s: it is a symlink", dir);
		return -ELOOP;
	}
	if (!S_ISDIR(st.st_mode)) {
		hr_err_set(err, -ENOTDIR, "refusing state directory %s: not a directory", dir);
		return -ENOTDIR;
	}
	if (st.st_uid != geteuid()) {
		hr_err_set(err, -EPERM, "refusing state directory %s: owned by uid %u, not %u", dir,
			   (unsigned)st.st_uid, (unsigned)geteuid());
		return -EPERM;
	}
	if (st.st_mode & 022) {
		hr_err_set(err, -EPERM, "refusing state directory %s: group or world writable (mode %04o)",
			   dir, (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

int hr_state_check(const char *dir, bool create, struct hr_err *err)
{
	char sub[PATH_MAX];
	int r = check_dir(dir, create, err);

	if (r < 0)
		return r;
	snprintf(sub, sizeof(sub), "%s/txn", dir);
	return check_dir(sub, create, err);
}

int hr_state_lock(const char *state_dir, bool wait, struct hr_err *err)
{
	char path[PATH_MAX];
	int fd, r;

	snprintf(path, sizeof(path), "%s/lock", state_dir);
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = -errno;
		hr_err_set(err, r, "lock %s: %s", path, hr_strerror(r));
		return r;
	}
	while (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0 && wait && errno == EINTR)
		;
	if (!wait && flock(fd, LOCK_EX | LOCK_NB) < 0) {
		r = errno == EWOULDBLOCK ? -EBUSY : -errno;
		hr_err_set(err, r, "another headroom apply is running (%s is locked)", path);
		close(fd);
		return r;
	}
	return fd;
}

/* Checks an open journal file like the state dir (owner, mode, regular). */
static int check_file(int fd, const char *path, struct hr_err *err)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode)) {
		hr_err_set(err, -EINVAL, "refusing journal %s: not a regular file", path);
		return -EINVAL;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 022)) {
		hr_err_set(err, -EPERM, "refusing journal %s: owner uid %u mode %04o (want uid %u, not group/world writable)",
			   path, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777), (unsigned)geteuid());
		return -EPERM;
	}
	return 0;
}

/* Appends one event (borrowed) and fsyncs. */
static int append_borrowed(hr_journal *j, json_t *event)
{
	char *line;
	size_t len;
	int r;

	if (!json_object_get(event, "time"))
		json_object_set_new(event, "time", json_integer((json_int_t)time(NULL)));
	line = json_dumps(event, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!line)
		return -ENOMEM;
	len = strlen(line);
	line[len] = '\n'; /* json_dumps NUL-terminates: overwrite with the newline */
	r = hr_write_all(j->fd, line, len + 1);
	free(line);
	if (r == 0 && fsync(j->fd) < 0)
		r = -errno;
	return r;
}

int hr_journal_append(hr_journal *j, json_t *event)
{
	int r = event ? append_borrowed(j, event) : -ENOMEM;

	json_decref(event);
	return r;
}

char *hr_boot_id(void)
{
	char *b = NULL;

	if (hr_read_file("/proc/sys/kernel/random/boot_id", &b, NULL) < 0)
		return NULL;
	hr_strtrim(b);
	b[strcspn(b, "\n")] = '\0';
	return b;
}

int hr_journal_begin(const char *state_dir, json_t *header, hr_journal **out, struct hr_err *err)
{
	return hr_journal_begin_reserved(state_dir, header, 0, out, err);
}

int hr_journal_begin_reserved(const char *state_dir, json_t *header, size_t reserve, hr_journal **out,
			      struct hr_err *err)
{
	char dir[PATH_MAX], id[64], path[PATH_MAX + 80], stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	hr_journal *j;
	int fd = -1, k, r;

	*out = NULL;
	r = hr_state_check(state_dir, true, err);
	if (r < 0)
		return r;
	snprintf(dir, sizeof(dir), "%s/txn", state_dir);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	for (k = 1; k < 1000 && fd < 0; k++) {
		snprintf(id, sizeof(id), "%s-%03d", stamp, k);
		snprintf(path, sizeof(path), "%s/%s.journal", dir, id);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST) {
			r = -errno;
			hr_err_set(err, r, "cannot create journal %s: %s", path, hr_strerror(r));
			return r;
		}
	}
	if (fd < 0) {
		hr_err_set(err, -EEXIST, "cannot find a free transaction id in %s", dir);
		return -EEXIST;
	}
	if (flock(fd, LOCK_EX) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	/* Claim the space every later record needs before the first write, so
	 * a full disk refuses the transaction here instead of failing a record
	 * between two kernel writes (KEEP_SIZE: O_APPEND writes fill it). A
	 * file system without fallocate gets no reservation, only the checks. */
	if (reserve && fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, (off_t)reserve) < 0 && errno != EOPNOTSUPP &&
	    errno != ENOSYS) {
		r = -errno;
		hr_err_set(err, r, "cannot reserve %zu bytes for journal %s: %s", reserve, path, hr_strerror(r));
		unlink(path);
		close(fd);
		return r;
	}
	j = journal_handle(fd, id, path);
	if (!j)
		return -ENOMEM;
	json_object_set_new(header, "type", json_string("begin"));
	json_object_set_new(header, "txn", json_string(id));
	json_object_set_new(header, "time", json_integer((json_int_t)now));
	r = append_borrowed(j, header);
	if (r == 0)
		r = fsync_dir(dir);
	if (r < 0) {
		hr_err_set(err, r, "cannot write journal %s: %s", path, hr_strerror(r));
		unlink(path);
		hr_journal_close(j);
		return r;
	}
	*out = j;
	return 0;
}

/* Transaction ids are what begin makes: digits and dashes only. */
static bool id_ok(const char *id)
{
	const char *c;

	if (!*id || strlen(id) > 40)
		return false;
	for (c = id; *c; c++)
		if (!((*c >= '0' && *c <= '9') || *c == '-'))
			return false;
	return true;
}

/* Opens a journal file read-write after the checks. */
static int open_checked(const char *state_dir, const char *id, char *path, size_t n, struct hr_err *err)
{
	int fd, r;

	if (!id_ok(id)) {
		hr_err_set(err, -EINVAL, "'%s' is not a transaction id (see headroom history)", id);
		return -EINVAL;
	}
	r = hr_state_check(state_dir, false, err);
	if (r < 0)
		return r;
	snprintf(path, n, "%s/txn/%s.journal", state_dir, id);
	fd = open(path, O_RDWR | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		if (r == -ELOOP)
			hr_err_set(err, r, "refusing journal %s: it is a symlink", path);
		else if (r == -ENOENT)
			hr_err_set(err, r, "no transaction %s (see headroom history)", id);
		else
			hr_err_set(err, r, "journal %s: %s", path, hr_strerror(r));
		return r;
	}
	r = check_file(fd, path, err);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

int hr_journal_open(const char *state_dir, const char *id, bool wait, hr_journal **out,
		    struct hr_err *err)
{
	char path[PATH_MAX];
	hr_journal *j;
	int fd = open_checked(state_dir, id, path, sizeof(path), err);

	*out = NULL;
	if (fd < 0)
		return fd;
	if (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0) {
		int r = errno == EWOULDBLOCK ? -EBUSY : -errno;
		hr_err_set(err, r, "transaction %s is in use by another headroom process", id);
		close(fd);
		return r;
	}
	/* A crash mid-append leaves a torn last line: end it, so the next
	 * event starts on a line of its own. */
	{
		char last = '\n';
		off_t size = lseek(fd, 0, SEEK_END);

		if (size > 0 && pread(fd, &last, 1, size - 1) == 1 && last != '\n' &&
		    hr_write_all(fd, "\n", 1) < 0) {
			close(fd);
			return -EIO;
		}
	}
	j = journal_handle(fd, id, path);
	if (!j)
		return -ENOMEM;
	*out = j;
	return 0;
}

/* Parses a journal's lines into {"header", "events"}; NULL with *why (a
 * static string or why_buf) when it cannot be read, is over its bounds
 * (HR_JOURNAL_MAX_FILE, HR_JOURNAL_MAX_LINE) or has no begin record. */
static json_t *parse(const char *path, const char **why, char *why_buf, size_t why_n)
{
	char *buf, *line, *save = NULL;
	json_t *out, *events;
	int r = hr_read_file_max(path, HR_JOURNAL_MAX_FILE, &buf, NULL);

	*why = "no readable begin record";
	if (r < 0) {
		*why = r == -EFBIG ? "larger than " HR_STR(HR_JOURNAL_MAX_FILE_MIB) " MiB (the bound of a journal)"
				   : hr_strerror(r);
		return NULL;
	}
	out = json_object();
	events = json_array();
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_t *ev;
		const char *type;

		if (strlen(line) > HR_JOURNAL_MAX_LINE) {
			/* headroom never writes one (values are 64 KiB at most):
			 * refuse the journal rather than drop an old value. */
			size_t lineno = 1;
			const char *c;

			for (c = buf; c < line; c++)
				lineno += !*c || *c == '\n';
			snprintf(why_buf, why_n, "line %zu longer than %d KiB (the bound of a journal line)", lineno,
				 HR_JOURNAL_MAX_LINE >> 10);
			*why = why_buf;
			json_decref(events);
			json_decref(out);
			free(buf);
			return NULL;
		}
		ev = json_loads(line, 0, NULL);
		type = json_string_value(json_object_get(ev, "type"));

		if (!ev || !type) {
			json_decref(ev);
			continue; /* torn line from a crash mid-append */
		}
		if (!strcmp(type, "begin") && !json_object_get(out, "header"))
			json_object_set_new(out, "header", ev);
		else
			json_array_append_new(events, ev);
	}
	free(buf);
	json_object_set_new(out, "events", events);
	if (!json_object_get(out, "header")) {
		json_decref(out);
		return NULL;
	}
	return out;
}

json_t *hr_journal_read(hr_journal *j)
{
	return hr_journal_read_err(j, NULL);
}

json_t *hr_journal_read_err(hr_journal *j, struct hr_err *err)
{
	char buf[160];
	const char *why;
	json_t *t = parse(j->path, &why, buf, sizeof(buf));

	if (!t)
		hr_err_set(err, -EBADMSG, "journal %s: %s", j->path, why);
	return t;
}

const char *hr_journal_id(const hr_journal *j)
{
	return j->id;
}

void hr_journal_close(hr_journal *j)
{
	if (!j)
		return;
	if (j->fd >= 0)
		close(j->fd);
	free(j->id);
	free(j->path);
	free(j);
}

/* qsort comparator of C strings (transaction ids sort by time). */
static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int hr_journal_list(const char *state_dir, char ***ids, size_t *n)
{
	char dir[PATH_MAX];
	struct dirent *de;
	DIR *d;

	*ids = NULL;
	*n = 0;
	snprintf(dir, sizeof(dir), "%s/txn", state_dir);
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		char **nv;

		if (len <= 8 || strcmp(de->d_name + len - 8, ".journal"))
			continue;
		nv = realloc(*ids, (*n + 1) * sizeof(char *));
		if (!nv)
			break;
		*ids = nv;
		nv[*n] = strndup(de->d_name, len - 8);
		if (nv[*n])
			(*n)++;
	}
	closedir(d);
	if (*n)
		qsort(*ids, *n, sizeof(char *), cmp_str);
	return 0;
}

json_t *hr_journal_peek(const char *state_dir, const char *id, bool *busy, struct hr_err *err)
{
	char path[PATH_MAX];
	json_t *t;
	int fd = open_checked(state_dir, id, path, sizeof(path), err);

	*busy = false;
	if (fd < 0)
		return NULL;
	if (flock(fd, LOCK_SH | LOCK_NB) < 0)
		*busy = errno == EWOULDBLOCK;
	close(fd);
	{
		char buf[160];
		const char *why;

		t = parse(path, &why, buf, sizeof(buf));
		if (!t)
			hr_err_set(err, -EBADMSG, "journal %s: %s", path, why);
	}
	return t;
}

const char *hr_txn_status(const json_t *txn, bool busy)
{
	const char *status = NULL;
	json_t *ev;
	size_t i;
	json_int_t deadline = 0, watcher = 0;

	json_array_foreach(json_object_get(txn, "events"), i, ev) {
		const char *type = json_string_value(json_object_get(ev, "type"));

		if (!strcmp(type, "done") || !strcmp(type, "rollback"))
			status = json_string_value(json_object_get(ev, "outcome"));
		else if (!strcmp(type, "confirm_wait")) {
			status = "awaiting-confirm";
			deadline = json_integer_value(json_object_get(ev, "deadline"));
		} else if (!strcmp(type, "watcher"))
			watcher = json_integer_value(json_object_get(ev, "pid"));
		else if (!strcmp(type, "confirmed"))
			status = "confirmed";
	}
	if (!status)
		return busy ? "in-progress" : "interrupted";
	if (!strcmp(status, "awaiting-confirm") && !busy) {
		/* The watcher died with the boot it ran in: a transaction from an
		 * earlier boot can never be reverted by it (and a pid from then
		 * may name another process now). */
		const char *then = json_string_value(json_object_get(json_object_get(txn, "header"), "boot_id"));
		char *now = hr_boot_id();
		bool other_boot = then && now && strcmp(then, now);

		free(now);
		if (other_boot || (time(NULL) > deadline + 5 && (watcher <= 0 || kill((pid_t)watcher, 0) < 0)))
			return "confirm-expired";
	}
	return status;
}

bool hr_txn_status_needs_rollback(const char *s)
{
	return !strcmp(s, "interrupted") || !strcmp(s, "confirm-expired") ||
	       !strcmp(s, "failed-rollback-incomplete") || !strcmp(s, "rollback-incomplete");
}
