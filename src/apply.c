/* apply.c: transactions: journal, checked writes, restore on failure,
 * rollback, and the detached commit-confirmed watcher. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "apply.h"
#include "fault.h"
#include "netns.h"
#include "journal.h"
#include "sysctl.h"

/* Wall clock in milliseconds since the epoch (deadlines survive a fork). */
static int64_t now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* Reads a whole file, NULL when absent. 0, or -errno other than ENOENT. */
static int read_opt(const char *path, char **out)
{
	int r = hr_read_file(path, out, NULL);

	if (r == -ENOENT) {
		*out = NULL;
		return 0;
	}
	return r;
}

/* Content without comment lines (the header carries a timestamp). */
static char *body(const char *s)
{
	char *out = malloc(s ? strlen(s) + 1 : 1), *o = out;
	const char *line = s;

	if (!out)
		return NULL;
	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line + 1) : strlen(line);

		if (*line != '#') {
			memcpy(o, line, len);
			o += len;
		}
		line += len;
	}
	*o = '\0';
	return out;
}

/* Checks that the directory of a persisted file has room for its new
 * content (and the temporary copy beside it) before anything is written:
 * a full /etc must refuse the transaction, not fail it half way. */
static int space_for(const char *file, const char *content, struct hr_err *err)
{
	char copy[PATH_MAX], *dir;
	struct statvfs sv;
	unsigned long long need = (content ? strlen(content) : 0) + 4096, have;

	snprintf(copy, sizeof(copy), "%s", file);
	dir = dirname(copy);
	if (statvfs(dir, &sv) < 0)
		return 0; /* the write itself will say why */
	if (sv.f_flag & ST_RDONLY) {
		hr_err_set(err, -EROFS, "cannot persist to %s: %s is mounted read-only", file, dir);
		return -EROFS;
	}
	have = (unsigned long long)sv.f_bavail * sv.f_frsize;
	if (have < need) {
		hr_err_set(err, -ENOSPC, "cannot persist to %s: %llu bytes free in %s, %llu needed", file, have,
			   dir, need);
		return -ENOSPC;
	}
	return 0;
}

/* Test-only crash hook (src/fault.h; a no-op outside tests/headroom-fi). */
static void crash_point(int writes)
{
	const char *e = HR_FAULT_ENV("HEADROOM_TEST_CRASH_AFTER");

	if (e && *e && atoi(e) == writes)
		raise(SIGKILL);
}

/* Writes old values back to the keys idx[0..n) in reverse order, verifying
 * each (hr_sysctl_write reads back); records each in the journal and out. */
static bool restore_keys(hr_journal *j, const char *root, const struct hr_plan_item **items, size_t n,
			 json_t *restored, json_t *incomplete)
{
	bool ok = true;

	const char *brk = HR_FAULT_ENV("HEADROOM_TEST_BREAK_RESTORE");

	while (n--) {
		struct hr_err e = {0};
		int r;

		/* Test-only hook (src/fault.h): a restore that fails, as when someone
		 * else makes a key unwritable mid-transaction (cannot be staged otherwise:
		 * restoring in reverse order always finds a state the kernel took). */
		if (brk && !strcmp(brk, items[n]->key)) {
			r = -EIO;
			hr_err_set(&e, r, "%s: restore failed (injected fault)", items[n]->key);
		} else {
			r = hr_sysctl_write(root, items[n]->key, items[n]->old, &e);
		}
		json_t *ev = json_pack("{s:s, s:s, s:b, s:s?}", "type", "restored", "key", items[n]->key,
				       "ok", r == 0, "error", r ? e.msg : NULL);

		hr_journal_append(j, json_incref(ev));
		json_object_del(ev, "type");
		json_object_del(ev, "time");
		json_array_append_new(restored, ev);
		if (r < 0) {
			ok = false;
			json_array_append_new(incomplete, json_string(items[n]->key));
		}
	}
	return ok;
}

/* The detached watcher of --confirm: waits for the deadline, then rolls
 * back unless the transaction was confirmed (or rolled back) meanwhile. */
static void watcher(const char *state_dir, const char *id, int64_t deadline_ms)
{
	struct hr_err e = {0};
	json_t *r;

	for (;;) {
		int64_t left = deadline_ms - now_ms();
		bool busy;
		json_t *t;
		const char *st;

		if (left <= 0)
			break;
		usleep((useconds_t)(left > 100 ? 100 : left) * 1000);
		t = hr_journal_peek(state_dir, id, &busy, &e);
		/* Leave early only on a final status actually read: a transient
		 * failure to read (EMFILE, ENOMEM) must not cancel the revert;
		 * hr_rollback_run() re-checks the status under the lock anyway. */
		st = t ? hr_txn_status(t, busy) : NULL;
		if (st && strcmp(st, "awaiting-confirm") && strcmp(st, "in-progress")) {
			json_decref(t);
			_exit(0); /* confirmed, or rolled back by hand */
		}
		json_decref(t);
		hr_err_clear(&e);
	}
	/* Wait for any apply or rollback in progress: its plan read the
	 * values this one restores (the lock is released at _exit). */
	hr_state_lock(state_dir, true, &e);
	r = hr_rollback_run(state_dir, id, false, "confirm-timeout", &e);
	json_decref(r);
	_exit(0);
}

/* Double fork + setsid: the watcher survives the terminal and the caller,
 * stays in this network namespace, and holds no inherited descriptors.
 * Returns the watcher's pid or -errno. */
static pid_t spawn_watcher(const char *state_dir, const char *id, int64_t deadline_ms)
{
	int pfd[2], status;
	pid_t child, pid = -1;

	if (pipe(pfd) < 0)
		return -errno;
	fflush(NULL);
	child = fork();
	if (child < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -errno;
	}
	if (child == 0) {
		pid_t gc;
		int fd, maxfd;

		close(pfd[0]);
		setsid();
		signal(SIGHUP, SIG_IGN);
		gc = fork();
		if (gc != 0) {
			if (gc > 0 && write(pfd[1], &gc, sizeof(gc)) != sizeof(gc))
				_exit(1);
			_exit(gc > 0 ? 0 : 1);
		}
		close(pfd[1]);
		if (chdir("/") < 0)
			_exit(1);
		fd = open("/dev/null", O_RDWR);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		maxfd = (int)sysconf(_SC_OPEN_MAX);
		for (fd = 3; fd < maxfd && fd < 4096; fd++)
			close(fd);
		watcher(state_dir, id, deadline_ms);
		_exit(0);
	}
	close(pfd[1]);
	if (read(pfd[0], &pid, sizeof(pid)) != sizeof(pid))
		pid = -ECHILD;
	close(pfd[0]);
	waitpid(child, &status, 0);
	return pid;
}

json_t *hr_apply_run(const struct hr_plan *p, const struct hr_apply_opts *o, struct hr_err *err)
{
	const struct hr_plan_item **done = NULL;
	json_t *out, *header, *entries, *written, *restored, *incomplete;
	char *old_file = NULL, *new_file = NULL, *boot;
	bool file_change = false, failed = false;
	hr_journal *j = NULL;
	size_t i, ndone = 0;
	const char *outcome;
	sigset_t block, saved;
	int r;

	out = json_object();
	if (o->persist_file) {
		char *b1, *b2;

		r = read_opt(o->persist_file, &old_file);
		if (r < 0) {
			hr_err_set(err, r, "cannot read %s: %s", o->persist_file, hr_strerror(r));
			json_decref(out);
			return NULL;
		}
		r = hr_persist_render(old_file, o->persist_kv, o->npersist, "pending", &new_file);
		if (r < 0) {
			free(old_file);
			json_decref(out);
			return NULL;
		}
		b1 = body(old_file);
		b2 = body(new_file);
		file_change = !old_file || !b1 || !b2 || strcmp(b1, b2) != 0;
		free(b1);
		free(b2);
	}
	if (hr_plan_changes(p) == 0 && !file_change) {
		free(old_file);
		free(new_file);
		json_object_set_new(out, "outcome", json_string(HR_OUT_UNCHANGED));
		return out;
	}

	/* The journal entry, fsynced before the first write. */
	header = json_object();
	entries = json_array();
	for (i = 0; i < p->n; i++)
		if (p->items[i].change)
			json_array_append_new(entries, json_pack("{s:s, s:s, s:s}", "key", p->items[i].key,
								 "old", p->items[i].old, "new",
								 p->items[i].new));
	boot = hr_boot_id();
	json_object_set_new(header, "source", json_string(o->source ? o->source : ""));
	json_object_set_new(header, "root", json_string(o->root ? o->root : ""));
	json_object_set_new(header, "boot_id", boot ? json_string(boot) : json_null());
	json_object_set_new(header, "netns", json_integer((json_int_t)p->netns));
	if (o->netns_name)
		json_object_set_new(header, "netns_name", json_string(o->netns_name));
	json_object_set_new(header, "entries", entries);
	free(boot);
	if (file_change) {
		json_object_set_new(header, "persist",
				    json_pack("{s:s, s:s?}", "file", o->persist_file, "old", old_file));
	}
	/* Room for every record this transaction can write: the header, per
	 * change a written, a restored and a failure record (each well under
	 * 512 bytes: a key, a value and an error message), the persisted
	 * content twice (intent and done), the outcome and rollback records. */
	{
		char *hs = json_dumps(header, JSON_COMPACT);
		size_t reserve = (hs ? strlen(hs) : 4096) * 2 + json_array_size(entries) * 3 * 512 +
				 (new_file ? strlen(new_file) : 0) * 2 + 8192;

		free(hs);
		r = o->persist_file && file_change ? space_for(o->persist_file, new_file, err) : 0;
		if (r == 0)
			r = hr_journal_begin_reserved(o->state_dir, header, reserve, &j, err);
	}
	if (r < 0) {
		json_decref(header);
		free(old_file);
		free(new_file);
		json_decref(out);
		return NULL;
	}
	json_decref(header);
	json_object_set_new(out, "txn", json_string(hr_journal_id(j)));
	/* Ctrl-C or a hangup mid-transaction would leave it half applied:
	 * hold them until the outcome is journaled (SIGKILL still cannot be,
	 * which is what the journal is for). */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &saved);
	written = json_array();
	restored = json_array();
	incomplete = json_array();
	json_object_set_new(out, "written", written);
	crash_point(0);

	done = calloc(p->n ? p->n : 1, sizeof(*done));
	for (i = 0; done && i < p->n; i++) {
		const struct hr_plan_item *it = &p->items[i];
		struct hr_err e = {0};

		if (!it->change)
			continue;
		r = hr_sysctl_write(o->root, it->key, it->new, &e);
		/* A read-back mismatch means the kernel took something: restore it too. */
		if (r == 0 || r == -EIO)
			done[ndone++] = it;
		if (r == 0) {
			crash_point((int)ndone);
			hr_journal_append(j, json_pack("{s:s, s:s}", "type", "written", "key", it->key));
			json_array_append_new(written, json_string(it->key));
			continue;
		}
		hr_journal_append(j, json_pack("{s:s, s:s, s:s}", "type", "write_failed", "key", it->key,
					       "error", e.msg));
		json_object_set_new(out, "error", json_string(e.msg));
		json_object_set_new(out, "failed_key", json_string(it->key));
		failed = true;
		break;
	}
	if (!failed && file_change) {
		struct hr_err e = {0};
		char *content = NULL;

		r = hr_persist_render(old_file, o->persist_kv, o->npersist, hr_journal_id(j), &content);
		/* Journal the content before the rename: a crash between the two
		 * still leaves a record that rollback recognises the file by. */
		if (r == 0)
			r = hr_journal_append(j, json_pack("{s:s, s:s, s:s}", "type", "persist_intent", "file",
							   o->persist_file, "content", content));
		if (r == 0)
			r = hr_persist_write(o->persist_file, content, &e);
		if (r > 0) {
			/* Renamed, but the directory fsync failed: the new file is in
			 * place (what boot would read), so record it as persisted. */
			json_object_set_new(out, "warning", json_string(e.msg));
			r = 0;
		}
		if (r == 0) {
			hr_journal_append(j, json_pack("{s:s, s:s, s:s}", "type", "persisted", "file",
						       o->persist_file, "content", content));
			json_object_set_new(out, "persisted", json_string(o->persist_file));
		} else {
			hr_journal_append(j, json_pack("{s:s, s:s, s:s}", "type", "persist_failed", "file",
						       o->persist_file, "error", e.msg));
			json_object_set_new(out, "error", json_string(e.msg[0] ? e.msg : hr_strerror(r)));
			failed = true;
		}
		free(content);
	}
	if (failed) {
		bool ok = restore_keys(j, o->root, done, ndone, restored, incomplete);

		outcome = ok ? HR_OUT_FAILED : HR_OUT_INCOMPLETE;
		json_object_set_new(out, "restored", restored);
		json_object_set_new(out, "incomplete", incomplete);
	} else {
		outcome = HR_OUT_APPLIED;
		json_decref(restored);
		json_decref(incomplete);
	}
	hr_journal_append(j, json_pack("{s:s, s:s, s:O?}", "type", "done", "outcome", outcome,
				       "incomplete", json_object_get(out, "incomplete")));
	json_object_set_new(out, "outcome", json_string(outcome));
	sigprocmask(SIG_SETMASK, &saved, NULL);
	if (!failed && o->confirm_s > 0) {
		int64_t deadline = now_ms() + (int64_t)llround(o->confirm_s * 1000);
		char id[64];
		pid_t w;

		snprintf(id, sizeof(id), "%s", hr_journal_id(j));
		r = hr_journal_append(j, json_pack("{s:s, s:I, s:I}", "type", "confirm_wait", "deadline",
						   (json_int_t)((deadline + 999) / 1000), "deadline_ms",
						   (json_int_t)deadline));
		hr_journal_close(j); /* the watcher must not inherit the lock */
		j = NULL;
		w = r == 0 ? spawn_watcher(o->state_dir, id, deadline) : -EIO;
		if (w > 0 && hr_journal_open(o->state_dir, id, true, &j, NULL) == 0)
			hr_journal_append(j, json_pack("{s:s, s:i}", "type", "watcher", "pid", (int)w));
		if (w <= 0) {
			/* No revert could be armed: --confirm promises one, so undo
			 * now rather than leave unconfirmed values behind. */
			struct hr_err e = {0};
			json_t *rb = hr_rollback_run(o->state_dir, id, false, "confirm-unavailable", &e);
			const char *rbo = json_string_value(json_object_get(rb, "outcome"));
			bool back = rbo && !strcmp(rbo, "rolled-back");

			json_object_set_new(out, "error",
					    json_string(r < 0 ? "could not journal the --confirm deadline: "
								"rolled back now"
							      : "could not start the --confirm watcher: rolled back now"));
			json_object_set_new(out, "outcome", json_string(back ? HR_OUT_FAILED : HR_OUT_INCOMPLETE));
			if (rb)
				json_object_set_new(out, "rollback", rb);
		} else {
			json_object_set_new(out, "confirm_deadline_ms", json_integer((json_int_t)deadline));
			json_object_set_new(out, "watcher_pid", json_integer(w));
		}
	}
	hr_journal_close(j);
	free(done);
	free(old_file);
	free(new_file);
	return out;
}

/* Restores the persisted file of a transaction (see hr_rollback_run). */
static void rollback_file(hr_journal *j, json_t *txn, bool force, json_t *res, bool *ok)
{
	json_t *pj = json_object_get(json_object_get(txn, "header"), "persist"), *ev;
	const char *file = json_string_value(json_object_get(pj, "file"));
	const char *old = json_string_value(json_object_get(pj, "old"));
	const char *written = NULL;
	char *cur = NULL;
	struct hr_err e = {0};
	size_t i;
	int r;

	if (!file)
		return;
	hr_persist_sweep(file);
	/* What this transaction wrote: "persisted", or for a crash between the
	 * rename and that record, the "persist_intent" journaled before it. */
	json_array_foreach(json_object_get(txn, "events"), i, ev) {
		const char *type = json_string_value(json_object_get(ev, "type"));

		if (!strcmp(type, "persisted") || !strcmp(type, "persist_intent"))
			written = json_string_value(json_object_get(ev, "content"));
	}
	if (read_opt(file, &cur) < 0) {
		json_array_append_new(json_object_get(res, "failed"),
				      json_pack("{s:s, s:s}", "file", file, "error", "unreadable"));
		*ok = false;
		return;
	}
	if ((!cur && !old) || (cur && old && !strcmp(cur, old))) {
		json_array_append_new(json_object_get(res, "already"), json_pack("{s:s}", "file", file));
		free(cur);
		return;
	}
	if (!force && (!written || !cur || strcmp(cur, written))) {
		json_array_append_new(json_object_get(res, "left"),
				      json_pack("{s:s, s:s}", "file", file, "reason",
						written ? "changed since by someone else (--force restores it)"
							: "not written by this transaction (--force restores it)"));
		free(cur);
		*ok = false;
		return;
	}
	free(cur);
	r = hr_persist_write(file, old, &e);
	if (r > 0)
		r = 0; /* in place; only the directory fsync failed */
	hr_journal_append(j, json_pack("{s:s, s:s, s:b}", "type", "file_restored", "file", file, "ok", r == 0));
	if (r < 0) {
		json_array_append_new(json_object_get(res, "failed"),
				      json_pack("{s:s, s:s}", "file", file, "error", e.msg));
		*ok = false;
	} else {
		json_array_append_new(json_object_get(res, "files"),
				      json_pack("{s:s, s:s}", "file", file, "action", old ? "restored" : "removed"));
	}
}

/* A transaction applied with --netns NAME: enters /run/netns/NAME unless
 * this process is already in the recorded namespace. 0, or -ENOENT (gone),
 * -ESTALE (re-created: another inode), -errno; err says which. */
static int enter_recorded_netns(const json_t *hdr, const char *id, struct hr_err *err)
{
	const char *name = json_string_value(json_object_get(hdr, "netns_name"));
	json_int_t want = json_integer_value(json_object_get(hdr, "netns"));
	struct hr_netns_list l = {0};
	struct hr_err e = {0};
	uint64_t self = 0;
	bool child;
	int r;

	if (!name || (hr_netns_self(&self, &child) >= 0 && (json_int_t)self == want))
		return 0;
	r = hr_netns_add_name(&l, name, &e);
	if (r < 0) {
		hr_err_set(err, r, "transaction %s was applied in network namespace %s, which cannot be entered now (%s): refused",
			   id, name, e.msg);
		return r;
	}
	if ((json_int_t)l.v[0].ino != want) {
		hr_err_set(err, -ESTALE,
			   "transaction %s was applied in network namespace %s (inode %lld), which was deleted: %s is now another namespace (inode %llu); refused",
			   id, name, (long long)want, name, (unsigned long long)l.v[0].ino);
		hr_netns_list_clear(&l);
		return -ESTALE;
	}
	r = hr_netns_enter(l.v[0].fd);
	if (r < 0)
		hr_err_set(err, r, "transaction %s: cannot enter network namespace %s: %s", id, name,
			   hr_netns_enter_error(r));
	hr_netns_list_clear(&l);
	return r;
}

json_t *hr_rollback_run(const char *state_dir, const char *id, bool force, const char *by,
			struct hr_err *err)
{
	json_t *txn, *hdr, *res, *ent;
	const char *status, *root, *boot_then;
	char *boot_now;
	hr_journal *j;
	bool ok = true, same_boot;
	uint64_t netns = 0;
	bool child;
	size_t i, n;
	int r;

	r = hr_journal_open(state_dir, id, true, &j, err);
	if (r < 0)
		return NULL;
	txn = hr_journal_read_err(j, err); /* err: "journal PATH: why" */
	if (!txn) {
		hr_journal_close(j);
		return NULL;
	}
	hdr = json_object_get(txn, "header");
	status = hr_txn_status(txn, false);
	res = json_pack("{s:s, s:s, s:s, s:[], s:[], s:[], s:[], s:[]}", "txn", id, "by", by,
			"status_before", status, "restored", "already", "left", "failed", "files");
	if (!strcmp(by, "confirm-timeout") && strcmp(status, "awaiting-confirm")) {
		/* Confirmed (or rolled back by hand) while the watcher slept. */
		json_object_set_new(res, "outcome", json_string("nothing-to-do"));
		goto out;
	}
	if (!strcmp(status, "rolled-back") || !strcmp(status, HR_OUT_FAILED) ||
	    !strcmp(status, HR_OUT_UNCHANGED)) {
		json_object_set_new(res, "outcome", json_string("nothing-to-do"));
		goto out;
	}
	root = json_string_value(json_object_get(hdr, "root"));
	if (!root)
		root = "";
	boot_then = json_string_value(json_object_get(hdr, "boot_id"));
	boot_now = hr_boot_id();
	same_boot = !*root ? (boot_then && boot_now && !strcmp(boot_then, boot_now)) : true;
	free(boot_now);
	if (same_boot && !*root && enter_recorded_netns(hdr, id, err) < 0) {
		json_decref(res);
		res = NULL;
		goto out;
	}
	if (same_boot && !*root && hr_netns_self(&netns, &child) >= 0 &&
	    (json_int_t)netns != json_integer_value(json_object_get(hdr, "netns"))) {
		hr_err_set(err, -EXDEV,
			   "transaction %s was applied in network namespace inode %lld, this is %llu: run the rollback inside that namespace",
			   id, (long long)json_integer_value(json_object_get(hdr, "netns")),
			   (unsigned long long)netns);
		json_decref(res);
		res = NULL;
		goto out;
	}
	hr_journal_append(j, json_pack("{s:s, s:s}", "type", "rollback_begin", "by", by));
	if (!same_boot) {
		json_object_set_new(res, "note",
				    json_string("journal from an earlier boot: kernel values reset at reboot, only the persisted file is restored"));
	} else {
		json_t *entries = json_object_get(hdr, "entries");

		n = json_array_size(entries);
		for (i = n; i-- > 0;) {
			const char *key, *old, *new;
			char *cur = NULL;
			struct hr_err e = {0};

			ent = json_array_get(entries, i);
			key = json_string_value(json_object_get(ent, "key"));
			old = json_string_value(json_object_get(ent, "old"));
			new = json_string_value(json_object_get(ent, "new"));
			if (!key || !old || !new)
				continue;
			r = hr_sysctl_read(root, key, &cur);
			if (r < 0) {
				json_array_append_new(json_object_get(res, "failed"),
						      json_pack("{s:s, s:s}", "key", key, "error",
								hr_strerror_about(r, HR_ABOUT_KEY)));
				ok = false;
				continue;
			}
			if (hr_sysctl_equal(cur, old)) {
				json_array_append_new(json_object_get(res, "already"), json_pack("{s:s}", "key", key));
			} else if (!hr_sysctl_equal(cur, new) && !force) {
				json_array_append_new(json_object_get(res, "left"),
						      json_pack("{s:s, s:s, s:s, s:s, s:s}", "key", key, "current", cur,
								"applied", new, "original", old, "reason",
								"changed since by someone else (--force restores it)"));
				ok = false;
			} else {
				r = hr_sysctl_write(root, key, old, &e);
				hr_journal_append(j, json_pack("{s:s, s:s, s:b, s:s?}", "type", "restored", "key", key,
							       "ok", r == 0, "error", r ? e.msg : NULL));
				if (r < 0) {
					json_array_append_new(json_object_get(res, "failed"),
							      json_pack("{s:s, s:s}", "key", key, "error", e.msg));
					ok = false;
				} else {
					json_array_append_new(json_object_get(res, "restored"),
							      json_pack("{s:s, s:s, s:s}", "key", key, "from", cur, "to", old));
				}
			}
			free(cur);
		}
	}
	rollback_file(j, txn, force, res, &ok);
	json_object_set_new(res, "outcome", json_string(ok ? "rolled-back" : "rollback-incomplete"));
	hr_journal_append(j, json_pack("{s:s, s:s, s:s, s:O, s:O, s:O}", "type", "rollback", "by", by,
				       "outcome", ok ? "rolled-back" : "rollback-incomplete", "restored",
				       json_object_get(res, "restored"), "left", json_object_get(res, "left"),
				       "failed", json_object_get(res, "failed")));
out:
	json_decref(txn);
	hr_journal_close(j);
	return res;
}

int hr_confirm_run(const char *state_dir, const char *id, struct hr_err *err)
{
	json_t *txn, *ev;
	hr_journal *j;
	json_int_t deadline = 0;
	const char *status;
	size_t i;
	int r = hr_journal_open(state_dir, id, true, &j, err);

	if (r < 0)
		return r;
	txn = hr_journal_read(j);
	status = txn ? hr_txn_status(txn, false) : "unreadable";
	json_array_foreach(json_object_get(txn, "events"), i, ev)
		if (!strcmp(json_string_value(json_object_get(ev, "type")), "confirm_wait"))
			deadline = json_integer_value(json_object_get(ev, "deadline_ms"));
	if (strcmp(status, "awaiting-confirm") != 0) {
		hr_err_set(err, -EALREADY, "transaction %s is not awaiting confirmation (status %s)", id, status);
		r = -EALREADY;
	} else if (now_ms() > deadline) {
		hr_err_set(err, -ETIME, "transaction %s: confirm deadline passed; it is being rolled back", id);
		r = -ETIME;
	} else {
		r = hr_journal_append(j, json_pack("{s:s}", "type", "confirmed"));
	}
	json_decref(txn);
	hr_journal_close(j);
	return r;
}

json_t *hr_apply_attention(const char *state_dir)
{
	json_t *out = json_array();
	char **ids;
	size_t n, i;

	if (hr_journal_list(state_dir, &ids, &n) < 0)
		return out;
	for (i = 0; i < n; i++) {
		bool busy;
		json_t *t = hr_journal_peek(state_dir, ids[i], &busy, NULL);
		const char *st = t ? hr_txn_status(t, busy) : NULL;

		if (st && hr_txn_status_needs_rollback(st))
			json_array_append_new(out, json_pack("{s:s, s:s}", "txn", ids[i], "status", st));
		json_decref(t);
		free(ids[i]);
	}
	free(ids);
	return out;
}

char *hr_apply_find(const char *state_dir, const char *const *statuses)
{
	char **ids, *found = NULL;
	size_t n, i;

	if (hr_journal_list(state_dir, &ids, &n) < 0)
		return NULL;
	for (i = n; i-- > 0 && !found;) {
		bool busy;
		json_t *t = hr_journal_peek(state_dir, ids[i], &busy, NULL);
		const char *st = t ? hr_txn_status(t, busy) : NULL;
		size_t k;

		for (k = 0; st && statuses && statuses[k]; k++)
			if (!strcmp(st, statuses[k]))
				break;
		if (st && (!statuses || statuses[k]))
			found = strdup(ids[i]);
		json_decref(t);
	}
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	return found;
}
