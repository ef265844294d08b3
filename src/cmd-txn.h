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
 * a crash, confirm deadline passed unattended, incomplete). Returns how many. */
size_t hr_cmdtxn_warn_attention(const char *cmd, const char *state_dir);

/* Prints a rollback result (hr_rollback_run) for people. */
void hr_cmdtxn_print_rollback(FILE *out, const json_t *res);

#endif
