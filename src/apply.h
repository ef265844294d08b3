/* apply.h: a vetted plan as one transaction: journal first (fsynced), then
 * each write checked and read back; any failure restores every key already
 * written, in reverse order, verified, and the journal records the outcome.
 * Also the rollback of a recorded transaction and the commit-confirmed
 * watcher. */
#ifndef HR_APPLY_H
#define HR_APPLY_H

#include <jansson.h>
#include <limits.h>

#include "persist.h"
#include "vet.h"

struct hr_apply_opts {
	const char *root;          /* "" live, else a tree with proc/sys */
	const char *state_dir;
	const char *source;        /* "profile web-server", "fix", "set" */
	const char *persist_file;  /* NULL: do not persist */
	const struct hr_kv *persist_kv;
	size_t npersist;
	double confirm_s;          /* > 0: roll back unless confirmed in time */
	const char *netns_name;    /* apply --netns NAME: recorded so that a rollback enters it */
};

/* Outcomes (also journal "done" outcomes). */
#define HR_OUT_UNCHANGED "unchanged"
#define HR_OUT_APPLIED "applied"
#define HR_OUT_FAILED "failed-rolled-back"
#define HR_OUT_INCOMPLETE "failed-rollback-incomplete"

/* Runs the plan. Returns an owned outcome object {txn, outcome, written[],
 * error, restored[{key, ok, error}], incomplete[], persisted, confirm_deadline},
 * or NULL (err set) when nothing could start (journal not writable):
 * then nothing was written.
 *
 * Test-only hooks, compiled only into tests/headroom-fi (src/fault.h):
 * HEADROOM_TEST_CRASH_AFTER=K makes the process SIGKILL itself right after
 * its K-th kernel write (K=0: after the journal is written, before any
 * write), to prove crash recovery; HEADROOM_TEST_BREAK_RESTORE=KEY makes
 * the restore of KEY fail. */
json_t *hr_apply_run(const struct hr_plan *p, const struct hr_apply_opts *o, struct hr_err *err);

/* Rolls a transaction back: every key (in reverse order) still at its new
 * value goes back to its old one and is verified; a key changed since by
 * someone else is reported and left alone unless force. A transaction from
 * an earlier boot restores only its persisted file. A transaction applied
 * with --netns NAME is rolled back inside /run/netns/NAME (entered here;
 * refused when that namespace is gone or was re-created; the caller's
 * namespace is entered again before returning). by: "user",
 * "confirm-timeout" (the watcher), "confirm-expired" (a later command or
 * the boot unit), "confirm-unavailable": the last three only act on a
 * transaction still awaiting confirmation (or expired). Returns an owned result {txn, outcome, restored[],
 * already[], left[], failed[], files[]}, or NULL with err. */
json_t *hr_rollback_run(const char *state_dir, const char *id, bool force, const char *by,
			struct hr_err *err);

/* Commit confirmed (confirm.c). The deadline is journaled (confirm_wait);
 * past it the transaction's status is "confirm-expired" and whichever
 * headroom process comes first rolls it back: the watcher, any later
 * transaction command (hr_confirm_expire), or the boot unit. */

/* Confirms a transaction awaiting confirmation. 0; -ETIME when it was not
 * confirmed in time (err says whether it is rolled back and by whom);
 * -EALREADY (not awaiting), or -errno; err says which. */
int hr_confirm_run(const char *state_dir, const char *id, struct hr_err *err);

/* Arms the watcher of transaction id (awaiting confirmation until
 * deadline_ms): a transient systemd unit (systemd-run, its own cgroup,
 * running 'headroom rollback --at-deadline' in this network namespace)
 * when systemd is PID 1, else a double-forked setsid daemon;
 * HEADROOM_CONFIRM_WATCHER=fork forces the latter. Owned {"pid": N} or
 * {"unit": NAME}, or NULL when none could be started. */
json_t *hr_confirm_arm(const char *state_dir, const char *id, int64_t deadline_ms);

/* The watcher's work: waits until the journaled deadline (deadline_ms when
 * the journal cannot be read yet), returns early once the transaction is
 * confirmed or rolled back, else takes the state lock and rolls it back
 * (by "confirm-timeout"). 0 or -errno (err says why). */
int hr_confirm_watch(const char *state_dir, const char *id, int64_t deadline_ms, struct hr_err *err);

/* Rolls back every transaction whose confirm deadline passed unconfirmed,
 * or that was awaiting confirmation in an earlier boot (by: "confirm-expired"),
 * taking the state lock (waiting) only when there is one and the caller
 * does not hold it (have_lock). Owned array of
 * {txn, deadline_ms, other_boot, rollback (hr_rollback_run's result) | error}. */
json_t *hr_confirm_expire(const char *state_dir, const char *by, bool have_lock);

/* The systemd-run command line of the watcher unit (tested on its own:
 * the test suite starts no units). */
struct hr_watch_unit {
	char unit[96], desc[128], netns[64], exe[PATH_MAX], state[PATH_MAX], id[48];
	const char *argv[16];
};
void hr_confirm_unit_cmd(struct hr_watch_unit *u, const char *exe, const char *state_dir, const char *id,
			 long pid);

/* ms since the epoch as "YYYY-MM-DD HH:MM:SS UTC" in buf; returns buf. */
char *hr_utc_text(char *buf, size_t n, int64_t ms);

/* Transactions needing attention (interrupted, confirm expired, rollback
 * incomplete), and journals that cannot be read (status "unreadable",
 * error: the journal and why): owned array of {txn, status, error?}. */
json_t *hr_apply_attention(const char *state_dir);

/* The newest transaction id whose status is one of the given (NULL-terminated),
 * or the newest at all when statuses is NULL. Owned or NULL. */
char *hr_apply_find(const char *state_dir, const char *const *statuses);

#endif
