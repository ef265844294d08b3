/* journal.h: the transaction journal in the state directory
 * (/var/lib/headroom/txn/ID.journal): one JSON object per line, each line
 * fsynced before the step it announces. The first line ("begin") holds
 * every key with its old and new value, the time, boot_id and netns
 * inode; later lines record each write, restore and the outcome.
 *
 * A transaction being applied holds an exclusive flock on its file; one
 * with no outcome and no lock holder was interrupted (a crash). */
#ifndef HR_JOURNAL_H
#define HR_JOURNAL_H

#include <jansson.h>

#include "headroom.h"

typedef struct hr_journal hr_journal;

/* Opens (creating with mode 0700 when create is set) the state directory
 * and its txn/ subdirectory. Refuses a symlink, a non-directory, one not
 * owned by the effective uid, or one group/world-writable. 0 or -errno. */
int hr_state_check(const char *dir, bool create, struct hr_err *err);

/* Takes the state directory's lock (STATE/lock, flock): one apply or
 * rollback at a time. With wait, blocks until it is free (rollbacks and the
 * --confirm watcher); without, -EBUSY when another process holds it.
 * Returns the descriptor to keep open, or -errno. */
int hr_state_lock(const char *state_dir, bool wait, struct hr_err *err);

/* Starts a transaction: a new journal file with header (borrowed; "type",
 * "txn", "time" are added), fsynced with its directory, locked. */
int hr_journal_begin(const char *state_dir, json_t *header, hr_journal **out, struct hr_err *err);
/* The same, first reserving reserve bytes for the file (fallocate
 * KEEP_SIZE) so later appends cannot meet a full disk; -ENOSPC (nothing
 * left behind) when the space is not there. */
int hr_journal_begin_reserved(const char *state_dir, json_t *header, size_t reserve, hr_journal **out,
			      struct hr_err *err);
/* Opens an existing transaction's journal (file checked like the state
 * dir), taking the exclusive lock (waiting for it when wait is set, else
 * -EBUSY). */
int hr_journal_open(const char *state_dir, const char *id, bool wait, hr_journal **out,
		    struct hr_err *err);
/* Appends one event (the reference is taken: callers pass json_pack()
 * results; "time" is added) and fsyncs. 0 or -errno: -EMSGSIZE for a line
 * over HR_JOURNAL_MAX_LINE, -EFBIG when the file would grow over
 * HR_JOURNAL_MAX_FILE (bounds.h): nothing is written that could not be
 * read back. */
int hr_journal_append(hr_journal *j, json_t *event);
/* The bytes an event takes as a journal line (its newline included, its
 * "time" not: add HR_JOURNAL_TIME_LEN), to check records before a
 * transaction starts. */
size_t hr_journal_line_len(const json_t *event);
#define HR_JOURNAL_TIME_LEN 32

/* Re-reads the whole transaction: {"header": {...}, "events": [...]}
 * (owned); a torn last line (crash mid-append) is skipped. */
json_t *hr_journal_read(hr_journal *j);
/* Same, with err naming the journal file and why on failure (over its
 * bounds in bounds.h, or no begin record). */
json_t *hr_journal_read_err(hr_journal *j, struct hr_err *err);
const char *hr_journal_id(const hr_journal *j);
/* Closes (and unlocks). NULL is a no-op. */
void hr_journal_close(hr_journal *j);

/* Transaction ids in the state dir, oldest first (owned). */
int hr_journal_list(const char *state_dir, char ***ids, size_t *n);
/* Removes each journal an apply was killed in between creating it and its
 * begin record: empty (0 bytes) and not locked. Nothing was written to the
 * kernel then (the begin record is fsynced before the first write). Only
 * with the state lock held (have_lock, or taken here without waiting:
 * an apply running holds it and its journal may be empty for a moment).
 * Calls removed(ud, id) for each. Returns how many. */
size_t hr_journal_sweep_empty(const char *state_dir, bool have_lock, void (*removed)(void *ud, const char *id),
			      void *ud);
/* Reads a transaction without locking: owned {"header", "events"} and
 * *busy = someone holds its lock now. NULL with err on failure. */
json_t *hr_journal_peek(const char *state_dir, const char *id, bool *busy, struct hr_err *err);

/* Status of a transaction read by hr_journal_read/peek: "applied",
 * "awaiting-confirm", "confirmed", "failed-rolled-back",
 * "failed-rollback-incomplete", "rolled-back", "rollback-incomplete",
 * "in-progress", "interrupted" (needs rollback), "confirm-expired" (awaiting
 * confirmation past its journaled deadline, or from an earlier boot: needs
 * rollback, whether or not its watcher lives). */
const char *hr_txn_status(const json_t *txn, bool busy);
/* The confirm deadline of a transaction (wall clock, ms since the epoch),
 * from its last confirm_wait record; 0 when it has none. */
int64_t hr_txn_deadline_ms(const json_t *txn);
/* True when a live transaction (not --root) was journaled in an earlier boot. */
bool hr_txn_other_boot(const json_t *txn);
/* The wall clock in milliseconds since the epoch (the unit of deadlines). */
int64_t hr_wall_ms(void);

/* True for statuses that leave keys needing a rollback. */
bool hr_txn_status_needs_rollback(const char *status);

/* This boot's id (/proc/sys/kernel/random/boot_id), owned; NULL if unreadable. */
char *hr_boot_id(void);

#endif
