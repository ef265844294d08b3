/* fuzz_journal: a damaged transaction journal must never crash a rollback.
 * The input is the journal file (one JSON object per line). It is written
 * as STATE/txn/1.journal of a private temporary state directory, and read
 * the way `headroom history` and `headroom rollback` read it:
 * hr_journal_list, hr_journal_peek + hr_txn_status, hr_apply_attention,
 * then hr_rollback_run (which takes the lock, re-reads, restores keys and
 * the persisted file, and appends its own events).
 *
 * Safety: a journal names the tree it applied to ("root", "" = the live
 * /proc/sys) and the persisted file it wrote. Before writing the input,
 * every "begin" line that parses has its "root" set to the private tree
 * and its persist "file" set to a file inside it, so no input can make the
 * harness write a live sysctl or a file outside its directory. Lines that
 * do not parse are kept byte for byte (the journal reader skips them the
 * same way, since it uses the same json_loads). */
#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "fuzz.h"
#include "journal.h"

/* Sysctl files of the private tree, reset before each input. */
static const struct {
	const char *path, *value;
} keys[] = {
	{"tree/proc/sys/net/ipv4/tcp_tw_reuse", "2\n"},
	{"tree/proc/sys/net/ipv4/tcp_fin_timeout", "60\n"},
	{"tree/proc/sys/net/ipv4/ip_local_port_range", "32768\t60999\n"},
	{"tree/proc/sys/net/core/somaxconn", "4096\n"},
};

/* Appends n bytes to the growing buffer *b (size *len, capacity *cap). */
static void put(char **b, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		*cap = (*len + n + 1) * 2;
		*b = realloc(*b, *cap);
		if (!*b)
			abort();
	}
	memcpy(*b + *len, s, n);
	*len += n;
	(*b)[*len] = '\0';
}

/* Pins a parsed "begin" line to the private tree (see the file comment). */
static void pin(json_t *ev, const char *tree, const char *pfile)
{
	json_t *pj = json_object_get(ev, "persist");

	json_object_set_new(ev, "root", json_string(tree));
	if (json_is_object(pj))
		json_object_set_new(pj, "file", json_string(pfile));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char tree[4200], pfile[4200], state[4200];
	const char *p, *e, *nl;
	char *text, *out = NULL, *ids_line;
	size_t len = 0, cap = 0, i, nids = 0;
	char **ids = NULL;
	struct hr_err err;
	json_t *ev, *txn, *res;
	bool busy;

	if (!fuzz_dir())
		abort();
	snprintf(tree, sizeof(tree), "%s/tree", fuzz_dir());
	snprintf(pfile, sizeof(pfile), "%s/tree/etc/sysctl.d/99-headroom.conf", fuzz_dir());
	snprintf(state, sizeof(state), "%s/state", fuzz_dir());
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!fuzz_file(keys[i].path, (const uint8_t *)keys[i].value, strlen(keys[i].value)))
			abort();
	if (!fuzz_file("tree/etc/sysctl.d/99-headroom.conf", (const uint8_t *)"net.ipv4.tcp_tw_reuse = 1\n", 26))
		abort();

	text = fuzz_cstr(data, size);
	if (!text)
		abort();
	put(&out, &len, &cap, "", 0);
	for (p = text, e = text + strlen(text); p < e; p = nl + 1) {
		char *line;
		const char *type;

		nl = memchr(p, '\n', (size_t)(e - p));
		if (!nl)
			nl = e;
		line = strndup(p, (size_t)(nl - p));
		if (!line)
			abort();
		ev = json_loads(line, 0, NULL);
		type = json_string_value(json_object_get(ev, "type"));
		if (type && !strcmp(type, "begin")) {
			char *dumped;

			pin(ev, tree, pfile);
			dumped = json_dumps(ev, JSON_COMPACT);
			if (!dumped)
				abort();
			put(&out, &len, &cap, dumped, strlen(dumped));
			free(dumped);
		} else {
			put(&out, &len, &cap, line, strlen(line));
		}
		if (nl < e)
			put(&out, &len, &cap, "\n", 1);
		json_decref(ev);
		free(line);
	}
	free(text);
	if (!fuzz_file("state/txn/1.journal", (const uint8_t *)out, len))
		abort();
	free(out);

	if (hr_journal_list(state, &ids, &nids) == 0) {
		for (i = 0; i < nids; i++)
			free(ids[i]);
		free(ids);
	}
	memset(&err, 0, sizeof(err));
	txn = hr_journal_peek(state, "1", &busy, &err);
	if (txn) {
		const char *st = hr_txn_status(txn, busy);

		if (!st)
			abort();
		(void)hr_txn_status_needs_rollback(st);
		json_decref(txn);
	}
	res = hr_apply_attention(state);
	json_decref(res);
	ids_line = hr_apply_find(state, (const char *const[]){"interrupted", "awaiting-confirm", NULL});
	free(ids_line);
	memset(&err, 0, sizeof(err));
	res = hr_rollback_run(state, "1", false, "user", &err);
	json_decref(res);
	memset(&err, 0, sizeof(err));
	res = hr_rollback_run(state, "1", true, "confirm-timeout", &err);
	json_decref(res);
	return 0;
}
