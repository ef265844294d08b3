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
#include "bounds.h"
#include "fault.h"
#include "netns.h"
#include "journal.h"
#include "sysctl.h"

/* Reads a whole file of at most max bytes, NULL when absent. 0, or
 * -errno other than ENOENT (-EFBIG over max). */
static int read_opt(const char *path, size_t max, char **out)
{
	int r = hr_read_file_max(path, max, out, NULL);

	if (r == -ENOENT) {
		*out = NULL;
		return 0;
	}
	return r;
}

/* Checks that every record of the transaction fits the journal's bounds
 * (bounds.h) before the first write: its header (with the persisted file's
 * old content), the persisted content's records, and the whole file.
 * Over them the journal could not be read back, so the transaction is
 * refused: -EMSGSIZE or -EFBIG, err saying which and by how much. */
static int journal_fits(const json_t *header, const char *persist_file, const char *new_file, size_t reserve,
			struct hr_err *err)
{
	size_t hlen = hr_journal_line_len(header) + HR_JOURNAL_TIME_LEN + 128; /* type, txn, time */
	size_t plen = 0;

	if (new_file) {
		json_t *ev = json_pack("{s:s, s:s, s:s}", "type", "persist_intent", "file", persist_file, "content",
				       new_file);

		plen = hr_journal_line_len(ev) + HR_JOURNAL_TIME_LEN + 64; /* the txn id in the header line */
		json_decref(ev);
	}
	if (hlen > HR_JOURNAL_MAX_LINE || plen > HR_JOURNAL_MAX_LINE) {
		size_t len = hlen > plen ? hlen : plen;

		if (persist_file)
			hr_err_set(err, -EMSGSIZE,
				   "cannot persist to %s: its %s content makes a journal line of %zu bytes, over the %d KiB a journal line may have (src/bounds.h)",
				   persist_file, hlen > plen ? "current" : "new", len, HR_JOURNAL_MAX_LINE >> 10);
		else
			hr_err_set(err, -EMSGSIZE,
				   "the plan makes a journal line of %zu bytes, over the %d KiB a journal line may have (src/bounds.h)",
				   len, HR_JOURNAL_MAX_LINE >> 10);
		return -EMSGSIZE;
	}
	if (reserve > HR_JOURNAL_MAX_FILE) {
		hr_err_set(err, -EFBIG,
			   "the transaction's journal could reach %zu bytes, over the %d MiB a journal may have (src/bounds.h)",
			   reserve, HR_JOURNAL_MAX_FILE_MIB);
		return -EFBIG;
	}
	return 0;
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

		/* As root, a file or directory another user could write would
		 * decide what boot applies, and what rollback restores. */
		r = hr_input_trusted(o->persist_file, "persist file", err);
		if (r < 0) {
			json_decref(out);
			return NULL;
		}
		r = read_opt(o->persist_file, HR_PERSIST_MAX_FILE, &old_file);
		if (r == -EFBIG)
			hr_err_set(err, r,
				   "cannot persist to %s: it is larger than %d KiB (the bound of a persisted file, which the journal keeps a copy of; src/bounds.h)",
				   o->persist_file, HR_PERSIST_MAX_FILE >> 10);
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
		r = journal_fits(header, file_change ? o->persist_file : NULL, file_change ? new_file : NULL, reserve, err);
		if (r == 0 && o->persist_file && file_change)
			r = space_for(o->persist_file, new_file, err);
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
		int64_t deadline = hr_wall_ms() + (int64_t)llround(o->confirm_s * 1000);
		char id[64];
		json_t *w;

		snprintf(id, sizeof(id), "%s", hr_journal_id(j));
		r = hr_journal_append(j, json_pack("{s:s, s:I, s:I}", "type", "confirm_wait", "deadline",
						   (json_int_t)((deadline + 999) / 1000), "deadline_ms",
						   (json_int_t)deadline));
		hr_journal_close(j); /* the watcher must not inherit the lock */
		j = NULL;
		w = r == 0 ? hr_confirm_arm(o->state_dir, id, deadline) : NULL;
		if (w && hr_journal_open(o->state_dir, id, true, &j, NULL) == 0) {
			json_t *ev = json_deep_copy(w);

			json_object_set_new(ev, "type", json_string("watcher"));
			hr_journal_append(j, ev);
		}
		if (!w) {
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
			if (json_object_get(w, "pid"))
				json_object_set(out, "watcher_pid", json_object_get(w, "pid"));
			else
				json_object_set(out, "watcher_unit", json_object_get(w, "unit"));
		}
		json_decref(w);
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
	/* Anything headroom wrote was journaled in one line: a file larger
	 * than that is someone else's (left, unless force). */
	r = read_opt(file, HR_JOURNAL_MAX_LINE, &cur);
	if (r == -EFBIG && !force) {
		json_array_append_new(json_object_get(res, "left"),
				      json_pack("{s:s, s:s}", "file", file, "reason",
						"larger than anything headroom writes: changed since by someone else (--force restores it)"));
		*ok = false;
		return;
	}
	if (r < 0 && r != -EFBIG) {
		json_array_append_new(json_object_get(res, "failed"),
				      json_pack("{s:s, s:s}", "file", file, "error", "unreadable"));
		*ok = false;
		return;
	}
	if ((!cur && !old && r == 0) || (cur && old && !strcmp(cur, old))) {
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
	int r, back = -1;

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
	if ((!strcmp(by, "confirm-timeout") || !strcmp(by, "confirm-expired")) &&
	    strcmp(status, "awaiting-confirm") && strcmp(status, "confirm-expired")) {
		/* Confirmed (or rolled back by hand or by another headroom
		 * process) while this one waited for the lock. */
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
	/* Callers go on after a rollback (every command first rolls back what
	 * expired): come back to this namespace afterwards. */
	if (same_boot && !*root && json_object_get(hdr, "netns_name"))
		back = hr_netns_open_current();
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
	r = hr_journal_append(j, json_pack("{s:s, s:s, s:s, s:O, s:O, s:O}", "type", "rollback", "by", by,
					   "outcome", ok ? "rolled-back" : "rollback-incomplete", "restored",
					   json_object_get(res, "restored"), "left", json_object_get(res, "left"),
					   "failed", json_object_get(res, "failed")));
	/* The outcome is what the status is read from: when the details make
	 * the line too long to be read back, record it without them (each
	 * restore has its own line above). */
	if (r == -EMSGSIZE)
		hr_journal_append(j, json_pack("{s:s, s:s, s:s}", "type", "rollback", "by", by, "outcome",
					       ok ? "rolled-back" : "rollback-incomplete"));
out:
	if (back >= 0) {
		if (hr_netns_enter(back) < 0) {
			/* Cannot happen short of a kernel refusing setns into our own
			 * namespace; stop rather than act in the wrong one. */
			abort();
		}
		close(back);
	}
	json_decref(txn);
	hr_journal_close(j);
	return res;
}

json_t *hr_apply_attention(const char *state_dir)
{
	json_t *out = json_array();
	char **ids;
	size_t n, i;

	if (hr_journal_list(state_dir, &ids, &n) < 0)
		return out;
	for (i = 0; i < n; i++) {
		struct hr_err e = {0};
		bool busy;
		json_t *t = hr_journal_peek(state_dir, ids[i], &busy, &e);
		const char *st = t ? hr_txn_status(t, busy) : NULL;

		if (st && hr_txn_status_needs_rollback(st))
			json_array_append_new(out, json_pack("{s:s, s:s}", "txn", ids[i], "status", st));
		else if (!t && e.code != -ENOENT) /* ENOENT: removed meanwhile */
			json_array_append_new(out, json_pack("{s:s, s:s, s:s}", "txn", ids[i], "status", "unreadable",
							     "error", e.msg));
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
