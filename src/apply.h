/* apply.h: a vetted plan as one transaction: journal first (fsynced), then
 * each write checked and read back; any failure restores every key already
 * written, in reverse order, verified, and the journal records the outcome.
 * Also the rollback of a recorded transaction and the commit-confirmed
 * watcher. */
#ifndef HR_APPLY_H
#define HR_APPLY_H

#include <jansson.h>

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
 * refused when that namespace is gone or was re-created). by: "user",
 * "confirm-timeout". Returns an owned result {txn, outcome, restored[],
 * already[], left[], failed[], files[]}, or NULL with err. */
json_t *hr_rollback_run(const char *state_dir, const char *id, bool force, const char *by,
			struct hr_err *err);

/* Confirms a transaction awaiting confirmation. 0, -ETIME (deadline
 * passed), -EALREADY (not awaiting), or -errno; err says which. */
int hr_confirm_run(const char *state_dir, const char *id, struct hr_err *err);

/* Transactions needing attention (interrupted, confirm expired, rollback
 * incomplete): owned array of {txn, status}. */
json_t *hr_apply_attention(const char *state_dir);

/* The newest transaction id whose status is one of the given (NULL-terminated),
 * or the newest at all when statuses is NULL. Owned or NULL. */
char *hr_apply_find(const char *state_dir, const char *const *statuses);

#endif
