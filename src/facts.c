/* facts.c: the facts model itself: its lifetime, the scalar facts
 * (sysctls, counters, rates, strings) in one hash table, problems and probe
 * metadata. Kernel version comparison lives here too. The bottom of the
 * facts files: they call it, it calls none of them (hr_facts_get, which
 * hands names to facts-ports.c and facts-items.c, is in facts-get.c).
 * May call: util.c (hr_ws_normalise). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "facts-int.h"

const int hr_tw_windows[HR_TW_NWINDOWS] = {1, 5, 10, 30, 60};

static const char *const state_names[HR_TCP_NSTATES] = {
	"UNKNOWN",   "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1",
	"FIN_WAIT2", "TIME_WAIT",   "CLOSE",    "CLOSE_WAIT", "LAST_ACK",
	"LISTEN",    "CLOSING",     "NEW_SYN_RECV",
};

const char *hr_tcp_state_name(int state)
{
	if (state <= 0 || state >= HR_TCP_NSTATES)
		return "UNKNOWN";
	return state_names[state];
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

hr_facts *hr_facts_new(void)
{
	hr_facts *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->capents = 2048;
	f->slots = calloc(f->capents, sizeof(*f->slots));
	f->capdense = 1024;
	f->ents = malloc(f->capdense * sizeof(*f->ents));
	f->capdests = 64;
	f->dests = calloc(f->capdests, sizeof(*f->dests));
	f->dest_list = calloc(f->capdests, sizeof(*f->dest_list));
	hr_facts_clock_reset(f);
	if (!f->slots || !f->ents || !f->dests || !f->dest_list) {
		hr_facts_free(f);
		return NULL;
	}
	return f;
}

int hr_facts_add_snat_tuple(hr_facts *f, const struct hr_snat_tuple *t, const char *source)
{
	struct snat_item *it;

	if (f->nsnat == f->capsnat) {
		size_t cap = f->capsnat ? f->capsnat * 2 : 16;
		struct snat_item *n = realloc(f->snat, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		f->snat = n;
		f->capsnat = cap;
	}
	if (!f->snat_source && source && !(f->snat_source = strdup(source)))
		return -ENOMEM;
	it = &f->snat[f->nsnat];
	it->subject = strdup(t->subject ? t->subject : "?");
	if (!it->subject)
		return -ENOMEM;
	memcpy(it->v, t->v, sizeof(it->v));
	memcpy(it->missing, t->missing, sizeof(it->missing));
	f->nsnat++;
	return 0;
}

hr_facts *hr_facts_ref(hr_facts *f)
{
	if (f)
		f->extra_refs++;
	return f;
}

void hr_facts_free(hr_facts *f)
{
	size_t i;

	if (!f)
		return;
	if (f->extra_refs) {
		f->extra_refs--;
		return;
	}
	for (i = 0; f->ents && i < f->nents; i++) {
		free(f->ents[i].name);
		free(f->ents[i].raw);
		free(f->ents[i].source);
		free(f->ents[i].missing);
	}
	free(f->ents);
	free(f->slots);
	for (i = 0; i < f->nsnat; i++)
		free(f->snat[i].subject);
	free(f->snat);
	free(f->snat_source);
	hr_facts_fails_free(f);
	free(f->tdests);
	for (i = 0; i < f->ndests; i++) {
		free(f->dest_list[i]->declared_source);
		free(f->dest_list[i]->path.source);
		hr_facts_buf_free(f->dest_list[i]->buf);
		free(f->dest_list[i]->more);
		free(f->dest_list[i]);
	}
	free(f->other.more);
	free(f->dests);
	free(f->dest_list);
	free(f->listeners);
	free(f->live.idle_noka);
	hr_facts_buf_free(f->other.buf);
	for (i = 0; i < f->ninports; i++) {
		hr_facts_buf_free(f->inports[i].buf);
		free(f->inports[i].path.source);
	}
	free(f->inports);
	for (i = 0; i < HR_ARRAY_SIZE(f->port_index); i++)
		free(f->port_index[i]);
	for (i = 0; i < f->nproblems; i++) {
		free(f->problems[i].source);
		free(f->problems[i].message);
	}
	free(f->problems);
	free(f->root);
	free(f->socket_source);
	free(f);
}

/* ---------------------------------------------------------------- scalars */

static int ents_grow(hr_facts *f);

/* The slot of name: its entry's, or the empty one where it would go. */
static struct eslot *ent_slot(const hr_facts *f, const char *name, uint32_t h)
{
	size_t mask = f->capents - 1, i = h & mask;

	for (;; i = (i + 1) & mask) {
		struct eslot *sl = &f->slots[i];

		if (!sl->idx || (sl->hash == h && !strcmp(f->ents[sl->idx - 1].name, name)))
			return sl;
	}
}

/* Finds the entry for name (see facts-int.h). */
struct entry *hr_facts_ent_find(const hr_facts *f, const char *name)
{
	const struct eslot *sl = ent_slot(f, name, (uint32_t)hash_str(name));

	return sl->idx ? &f->ents[sl->idx - 1] : NULL;
}

static struct entry *ent_get(hr_facts *f, const char *name)
{
	uint32_t h = (uint32_t)hash_str(name);
	struct eslot *sl = ent_slot(f, name, h);
	struct entry *e;

	if (sl->idx)
		return &f->ents[sl->idx - 1];
	if ((f->nents + 1) * 2 > f->capents) {
		if (ents_grow(f) < 0)
			return NULL;
		sl = ent_slot(f, name, h);
	}
	if (f->nents == f->capdense) {
		e = realloc(f->ents, f->capdense * 2 * sizeof(*e));
		if (!e)
			return NULL;
		f->ents = e;
		f->capdense *= 2;
	}
	e = memset(&f->ents[f->nents], 0, sizeof(*e));
	e->name = strdup(name);
	if (!e->name)
		return NULL;
	sl->idx = (uint32_t)++f->nents;
	sl->hash = h;
	return e;
}

static int ents_grow(hr_facts *f)
{
	size_t ncap = f->capents * 2, i, mask = ncap - 1;
	struct eslot *n = calloc(ncap, sizeof(*n));

	if (!n)
		return -ENOMEM;
	for (i = 0; i < f->capents; i++) {
		size_t j;

		if (!f->slots[i].idx)
			continue;
		for (j = f->slots[i].hash & mask; n[j].idx; j = (j + 1) & mask)
			;
		n[j] = f->slots[i];
	}
	free(f->slots);
	f->slots = n;
	f->capents = ncap;
	return 0;
}

static void ent_reset(struct entry *e)
{
	free(e->raw);
	free(e->source);
	free(e->missing);
	e->raw = e->source = e->missing = NULL;
	e->is_num = e->is_sysctl = false;
	e->nfields = 0;
}

/* The entry for name, made or emptied for a new value; NULL on ENOMEM. */
static struct entry *ent_fresh(hr_facts *f, const char *name)
{
	struct entry *e = ent_get(f, name);

	if (e)
		ent_reset(e);
	return e;
}

/* Splits a sysctl's text into integer fields; false when any is not an integer. */
static bool split_fields(const char *raw, double *fields, int *n)
{
	const char *p = raw;

	*n = 0;
	while (*p) {
		char *end;
		long long v;

		while (*p && isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		if (*n == MAX_FIELDS)
			return false;
		errno = 0;
		v = strtoll(p, &end, 10);
		if (end == p || errno || (*end && !isspace((unsigned char)*end)))
			return false;
		fields[(*n)++] = (double)v;
		p = end;
	}
	return *n > 0;
}

int hr_facts_set_sysctl(hr_facts *f, const char *key, const char *raw, const char *source)
{
	struct entry *e = ent_fresh(f, key);

	if (!e)
		return -ENOMEM;
	e->is_sysctl = true;
	e->raw = hr_ws_normalise(raw);
	e->source = source ? strdup(source) : NULL;
	if (!e->raw)
		return -ENOMEM;
	e->is_num = split_fields(e->raw, e->fields, &e->nfields);
	if (!e->is_num)
		e->nfields = 1;
	return 0;
}

size_t hr_facts_fill_sysctls(hr_facts *dst, const hr_facts *src, bool (*want)(const char *key),
			     const char *note)
{
	size_t i, n = 0;

	for (i = 0; i < src->nents; i++) {
		const struct entry *e = &src->ents[i], *d;
		char source[512];

		if (!e->name || !e->is_sysctl || e->missing || !e->raw || !want(e->name))
			continue;
		/* Present in dst (read-only there, or per namespace on this
		 * kernel): dst's own value is the one that applies. */
		d = hr_facts_ent_find(dst, e->name);
		if (d && !d->missing)
			continue;
		snprintf(source, sizeof(source), "%s (%s)", e->source ? e->source : "/proc/sys", note);
		if (hr_facts_set_sysctl(dst, e->name, e->raw, source) == 0)
			n++;
	}
	return n;
}

int hr_facts_sysctl(const hr_facts *f, const char *key, const char **raw, const char **missing,
		    const char **source)
{
	const struct entry *e = hr_facts_ent_find(f, key);

	if (!e || !e->is_sysctl)
		return -ENOENT;
	*raw = e->raw;
	*missing = e->missing;
	if (source)
		*source = e->source;
	return 0;
}

int hr_facts_each_sysctl(const hr_facts *f,
			 int (*fn)(void *ud, const char *key, const char *raw, const char *source), void *ud)
{
	size_t i;
	int r;

	for (i = 0; i < f->nents; i++) {
		const struct entry *e = &f->ents[i];

		if (e->name && e->is_sysctl && !e->missing && e->raw && (r = fn(ud, e->name, e->raw, e->source)) != 0)
			return r;
	}
	return 0;
}

int hr_facts_set_sysctl_absent(hr_facts *f, const char *key, const char *reason)
{
	struct entry *e = ent_fresh(f, key);

	if (!e)
		return -ENOMEM;
	e->is_sysctl = true;
	e->missing = strdup(reason ? reason : "absent on this kernel");
	return e->missing ? 0 : -ENOMEM;
}

int hr_facts_set_num(hr_facts *f, const char *name, double v, const char *source)
{
	struct entry *e = ent_fresh(f, name);

	if (!e)
		return -ENOMEM;
	e->is_num = true;
	e->nfields = 1;
	e->fields[0] = v;
	e->source = source ? strdup(source) : NULL;
	return 0;
}

int hr_facts_set_str(hr_facts *f, const char *name, const char *v, const char *source)
{
	struct entry *e = ent_fresh(f, name);

	if (!e)
		return -ENOMEM;
	e->raw = strdup(v);
	e->source = source ? strdup(source) : NULL;
	e->nfields = 1;
	return e->raw ? 0 : -ENOMEM;
}

int hr_facts_set_missing(hr_facts *f, const char *name, const char *reason)
{
	struct entry *e = ent_fresh(f, name);

	if (!e)
		return -ENOMEM;
	e->missing = strdup(reason ? reason : "not read");
	return e->missing ? 0 : -ENOMEM;
}

/* Appends one problem; input: it is also an input error. */
static void add_problem(hr_facts *f, bool input, const char *source, const char *fmt, va_list ap)
{
	struct problem *np;
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	np = realloc(f->problems, (f->nproblems + 1) * sizeof(*np));
	if (!np)
		return;
	f->problems = np;
	np[f->nproblems].source = strdup(source ? source : "");
	np[f->nproblems].message = strdup(msg);
	np[f->nproblems].input = input;
	f->nproblems++;
}

void hr_facts_add_problem(hr_facts *f, const char *source, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_problem(f, false, source, fmt, ap);
	va_end(ap);
}

void hr_facts_add_input_error(hr_facts *f, const char *source, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_problem(f, true, source, fmt, ap);
	va_end(ap);
}

json_t *hr_facts_input_errors_json(const hr_facts *f)
{
	json_t *out = json_array();
	size_t i;

	for (i = 0; out && i < f->nproblems; i++)
		if (f->problems[i].input)
			json_array_append_new(out, json_pack("{s:s?,s:s?}", "source", f->problems[i].source,
							     "message", f->problems[i].message));
	return out;
}

size_t hr_facts_problem_count(const hr_facts *f)
{
	return f->nproblems;
}

void hr_facts_set_meta(hr_facts *f, const char *root, const char *socket_source, double interval_s)
{
	free(f->root);
	free(f->socket_source);
	f->root = strdup(root ? root : "");
	f->socket_source = socket_source ? strdup(socket_source) : NULL;
	f->interval_s = interval_s;
}

/* ---------------------------------------------------------------- kernel */

/* Compares dotted numeric versions; trailing "-suffix" ignored. */
int hr_kernel_version_cmp(const char *release, const char *version, bool *ok)
{
	const char *a = release, *b = version;
	int i;

	if (ok)
		*ok = false;
	if (!a || !isdigit((unsigned char)*a) || !b || !isdigit((unsigned char)*b))
		return -2;
	if (ok)
		*ok = true;
	for (i = 0; i < 4; i++) {
		long x = 0, y = 0;
		char *e;

		if (isdigit((unsigned char)*a)) {
			x = strtol(a, &e, 10);
			a = e;
		}
		if (isdigit((unsigned char)*b)) {
			y = strtol(b, &e, 10);
			b = e;
		}
		if (x != y)
			return x < y ? -1 : 1;
		if (*a == '.')
			a++;
		else
			a = "";
		if (*b == '.')
			b++;
		else
			b = "";
	}
	return 0;
}
