/* drift.c: the values headroom applied that have changed since (drift.h):
 * the journals, newest first, give each key its last applied value; the
 * caller's reader gives the current one. Reads journals without locking
 * them (hr_journal_peek), so an audit never waits for an apply.
 * May call: journal.c, sysctl.c, util, jansson. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "drift.h"
#include "journal.h"
#include "sysctl.h"

/* Copies s with runs of blanks as one space, trimmed (sysctl prints tabs). */
static void norm(const char *s, char *out, size_t n)
{
	size_t o = 0;
	bool blank = false;

	for (; *s && o + 1 < n; s++) {
		if (isspace((unsigned char)*s)) {
			blank = o > 0;
			continue;
		}
		if (blank && o + 2 < n)
			out[o++] = ' ';
		blank = false;
		out[o++] = *s;
	}
	out[o] = '\0';
}

static bool seen(json_t *keys, const char *key)
{
	if (json_object_get(keys, key))
		return true;
	json_object_set_new(keys, key, json_true());
	return false;
}

json_t *hr_drift(const char *state_dir, uint64_t netns, hr_drift_get_fn get, void *ud, const char **why)
{
	char **ids = NULL, txndir[4096];
	size_t n = 0, i;
	json_t *out, *keys;
	struct stat st;

	*why = NULL;
	snprintf(txndir, sizeof(txndir), "%s/txn", state_dir);
	if (stat(state_dir, &st) < 0 && errno == ENOENT)
		return json_array(); /* headroom never applied anything here */
	if (stat(txndir, &st) < 0 && errno == ENOENT)
		return json_array();
	if (hr_journal_list(state_dir, &ids, &n) < 0) {
		*why = "the state directory cannot be read (run as root, or --state-dir)";
		return NULL;
	}
	out = json_array();
	keys = json_object();
	for (i = n; i-- > 0;) {
		struct hr_err e = {0};
		bool busy = false;
		json_t *txn = hr_journal_peek(state_dir, ids[i], &busy, &e), *h, *ent;
		const char *status, *root;
		size_t k;
		bool applied;

		if (!txn)
			continue;
		h = json_object_get(txn, "header");
		root = json_string_value(json_object_get(h, "root"));
		status = hr_txn_status(txn, busy);
		applied = !strcmp(status, "applied") || !strcmp(status, "confirmed") || !strcmp(status, "awaiting-confirm");
		if ((root && *root) || hr_txn_other_boot(txn) ||
		    (netns && json_is_integer(json_object_get(h, "netns")) &&
		     (uint64_t)json_integer_value(json_object_get(h, "netns")) != netns)) {
			json_decref(txn);
			continue;
		}
		json_array_foreach(json_object_get(h, "entries"), k, ent) {
			const char *key = json_string_value(json_object_get(ent, "key"));
			const char *val = json_string_value(json_object_get(ent, "new"));
			char cur[4096], a[4096], b[4096];

			if (!key || !val || seen(keys, key) || !applied)
				continue; /* the newest transaction of a key decides */
			if (get(ud, key, cur, sizeof(cur)) < 0)
				continue;
			norm(val, a, sizeof(a));
			norm(cur, b, sizeof(b));
			if (strcmp(a, b))
				json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s, s:O}", "key", key, "applied", a,
								     "now", b, "txn", ids[i], "time",
								     json_object_get(h, "time")));
		}
		json_decref(txn);
	}
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	json_decref(keys);
	return out;
}

int hr_drift_get_live(void *ud, const char *key, char *buf, size_t n)
{
	char *v = NULL;
	int r = hr_sysctl_read("", key, &v);

	(void)ud;
	if (r < 0)
		return r;
	snprintf(buf, n, "%s", v);
	free(v);
	return 0;
}

char *hr_drift_describe(const json_t *d)
{
	time_t t = (time_t)json_integer_value(json_object_get(d, "time"));
	char when[40] = "?", *s = NULL;

	if (json_is_integer(json_object_get(d, "time")))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime(&t));
	if (asprintf(&s, "%s applied %s at %s by txn %s, now %s", json_string_value(json_object_get(d, "key")),
		     json_string_value(json_object_get(d, "applied")), when,
		     json_string_value(json_object_get(d, "txn")), json_string_value(json_object_get(d, "now"))) < 0)
		return NULL;
	return s;
}
