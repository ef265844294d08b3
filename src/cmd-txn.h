/* cmd-txn.h: what the transaction commands (apply, confirm, rollback,
 * history) print alike. Command layer only. */
#ifndef HR_CMD_TXN_H
#define HR_CMD_TXN_H

#include <jansson.h>

#include "headroom.h"

/* Exit codes of apply and rollback (configuration management convention). */
enum {
	HR_TX_OK = 0,
	HR_TX_FAILED = 1,      /* failed, fully rolled back (nothing left changed) */
	HR_TX_CHANGED = 2,     /* --detailed-exitcodes: changed (dry run: would change) */
	HR_TX_INCOMPLETE = 3,  /* failed and rollback incomplete (keys named) */
	HR_TX_REFUSED = 4,     /* refused by vetting, nothing written */
};

/* Warns on stderr about transactions that need a rollback (interrupted by
 * a crash, confirm deadline passed unattended, incomplete) and journals
 * that cannot be read (with the reason; unreadable_only: only those).
 * Returns how many; *unreadable
 * (optional) gets how many of them are unreadable journals. */
size_t hr_cmdtxn_warn_attention(const char *cmd, const char *state_dir, bool unreadable_only, size_t *unreadable);

/* Removes the empty journals of applies killed before their first record
 * (hr_journal_sweep_empty, said on stderr), then rolls back, before the
 * command does anything else, every transaction past its confirm deadline unconfirmed (or left awaiting confirmation by
 * an earlier boot), saying so on stderr (hr_confirm_expire; have_lock: the
 * caller holds the state lock). Returns how many could not be rolled back
 * (they stay "confirm-expired" and hr_cmdtxn_warn_attention names them);
 * *done (optional) is increased by the number rolled back. */
size_t hr_cmdtxn_expire(const char *cmd, const char *state_dir, bool have_lock, size_t *done);

/* Prints a rollback result (hr_rollback_run) for people. */
void hr_cmdtxn_print_rollback(FILE *out, const json_t *res);

#endif
