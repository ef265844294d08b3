/* cmd-txn.c: shared printing of the transaction commands. */
#include "config.h"

#include <string.h>

#include "apply.h"
#include "cmd-txn.h"
#include "journal.h"

size_t hr_cmdtxn_warn_attention(const char *cmd, const char *state_dir, bool unreadable_only, size_t *unreadable)
{
	json_t *a = hr_apply_attention(state_dir), *t;
	size_t i, n = json_array_size(a);

	if (unreadable)
		*unreadable = 0;
	json_array_foreach(a, i, t) {
		const char *txn = json_string_value(json_object_get(t, "txn"));
		const char *st = json_string_value(json_object_get(t, "status"));

		if (!strcmp(st, "unreadable")) {
			fprintf(stderr, "headroom %s: the journal of transaction %s is unreadable: %s; headroom cannot tell which keys it changed: check them by hand, then move %s/txn/%s.journal away\n",
				cmd, txn, json_string_value(json_object_get(t, "error")), state_dir, txn);
			if (unreadable)
				++*unreadable;
		} else if (!unreadable_only) {
			fprintf(stderr, "headroom %s: transaction %s is %s: complete it with 'headroom rollback %s'\n",
				cmd, txn, st, txn);
		}
	}
	json_decref(a);
	return n;
}

/* Says that an empty journal was removed (hr_journal_sweep_empty). */
static void say_swept(void *ud, const char *id)
{
	fprintf(stderr, "headroom %s: removed the empty journal of transaction %s: an apply was stopped between "
			"creating it and its first record, before any write\n", (const char *)ud, id);
}

size_t hr_cmdtxn_expire(const char *cmd, const char *state_dir, bool have_lock, size_t *done)
{
	json_t *a, *x;
	size_t i, failed = 0;

	/* An apply killed before its journal's first record left an empty
	 * journal and changed nothing: it goes, said, not listed unreadable. */
	hr_journal_sweep_empty(state_dir, have_lock, say_swept, (void *)cmd);
	a = hr_confirm_expire(state_dir, "confirm-expired", have_lock);

	json_array_foreach(a, i, x) {
		const char *txn = json_string_value(json_object_get(x, "txn"));
		json_t *rb = json_object_get(x, "rollback");
		const char *oc = json_string_value(json_object_get(rb, "outcome"));
		char when[48], why[128];

		if (json_is_true(json_object_get(x, "other_boot")))
			snprintf(why, sizeof(why), "was awaiting confirmation when the machine went down (an earlier boot)");
		else
			snprintf(why, sizeof(why), "passed its confirm deadline (%s) unconfirmed",
				 hr_utc_text(when, sizeof(when), json_integer_value(json_object_get(x, "deadline_ms"))));
		if (!rb) {
			fprintf(stderr, "headroom %s: transaction %s %s, and cannot be rolled back: %s\n", cmd, txn, why,
				json_string_value(json_object_get(x, "error")));
			failed++;
			continue;
		}
		if (!strcmp(oc, "nothing-to-do"))
			continue; /* its watcher (or another command) was first */
		fprintf(stderr, "headroom %s: transaction %s %s: %s now\n", cmd, txn, why,
			!strcmp(oc, "rolled-back") ? "rolled back" : "rollback INCOMPLETE");
		hr_cmdtxn_print_rollback(stderr, rb);
		failed += strcmp(oc, "rolled-back") != 0;
		if (done)
			++*done;
	}
	json_decref(a);
	return failed;
}

void hr_cmdtxn_print_rollback(FILE *out, const json_t *res)
{
	json_t *x;
	size_t i;
	const char *note = json_string_value(json_object_get(res, "note"));

	fprintf(out, "Rollback of %s: %s\n", json_string_value(json_object_get(res, "txn")),
		json_string_value(json_object_get(res, "outcome")));
	if (note)
		fprintf(out, "  note: %s\n", note);
	json_array_foreach(json_object_get(res, "restored"), i, x)
		fprintf(out, "  restored  %s: %s -> %s (verified)\n", json_string_value(json_object_get(x, "key")),
			json_string_value(json_object_get(x, "from")), json_string_value(json_object_get(x, "to")));
	json_array_foreach(json_object_get(res, "already"), i, x)
		fprintf(out, "  unchanged %s: already at its original value\n",
			json_string_value(json_object_get(x, "key")) ?: json_string_value(json_object_get(x, "file")));
	json_array_foreach(json_object_get(res, "files"), i, x)
		fprintf(out, "  %s  %s\n", json_string_value(json_object_get(x, "action")),
			json_string_value(json_object_get(x, "file")));
	json_array_foreach(json_object_get(res, "left"), i, x) {
		const char *key = json_string_value(json_object_get(x, "key"));

		if (key)
			fprintf(out, "  LEFT      %s: now %s, applied %s, original %s: %s\n", key,
				json_string_value(json_object_get(x, "current")),
				json_string_value(json_object_get(x, "applied")),
				json_string_value(json_object_get(x, "original")),
				json_string_value(json_object_get(x, "reason")));
		else
			fprintf(out, "  LEFT      %s: %s\n", json_string_value(json_object_get(x, "file")),
				json_string_value(json_object_get(x, "reason")));
	}
	json_array_foreach(json_object_get(res, "failed"), i, x)
		fprintf(out, "  FAILED    %s: %s\n",
			json_string_value(json_object_get(x, "key")) ?: json_string_value(json_object_get(x, "file")),
			json_string_value(json_object_get(x, "error")));
}
