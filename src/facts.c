/* facts.c: the facts model: scalar facts, streaming socket aggregation,
 * lookups for the rules engine and the JSON form of it all. */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "facts.h"

const int hr_tw_windows[HR_TW_NWINDOWS] = {1, 5, 10, 30, 60};
#define TW_BINS (HR_TW_LEN_S + 1)
#define MAX_FIELDS 8

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

/* A scalar fact: a sysctl, a counter, a rate, a string. */
struct entry {
	char *name;
	char *raw;      /* sysctl raw text or string value */
	char *source;
	char *missing;  /* non-NULL: fact absent, with reason */
	bool is_sysctl;
	bool is_num;    /* numeric (a counter, or a sysctl whose fields are all integers) */
	int nfields;
	double fields[MAX_FIELDS];
};

/* Aggregate for one outbound destination (remote IP, remote port). */
struct dest {
	uint64_t ka, kb; /* addr as two words: the lookup key, compared without memcmp */
	int family;
	uint8_t addr[16];
	uint16_t port;
	uint32_t states[HR_TCP_NSTATES];
	uint32_t total; /* outbound sockets toward it: local ports in use */
	struct hr_twhist tw;
	double declared_rate;
	bool declared;
	bool declared_local_closes;
	char *declared_source;
};

/* A hash slot: the key inline, so a lookup touches one small array that
 * stays in cache while a dump streams through. */
struct dslot {
	uint64_t ka, kb;
	uint32_t pf;   /* port << 8 | family */
	uint32_t idx;  /* index in dest_list + 1; 0 = empty */
};

/* A local listener (IP, port). */
struct listener {
	int family;
	uint8_t addr[16];
	uint16_t port;
	uint32_t queue, backlog;
	bool observed; /* false: only declared in a workload */
	bool backlog_unknown; /* the socket source does not show the backlog */
	uint32_t nsockets;    /* LISTEN sockets on it (SO_REUSEPORT: more than one) */
};

/* Inbound aggregate per local listening port. */
struct inport {
	uint16_t port;
	uint32_t states[HR_TCP_NSTATES];
	uint32_t total;
	struct hr_twhist tw;
	double declared_rate;
	bool declared_server_closes;
	bool declared;
};

struct problem {
	char *source;
	char *message;
};

struct hr_facts {
	struct entry *ents;
	size_t nents, capents; /* open addressing, cap power of two */

	struct dslot *dests;   /* open addressing on (family, addr, port), keys inline */
	size_t ndests, capdests;
	struct dest **dest_list; /* insertion order, for iteration */
	struct dest *last_dest;  /* one-entry lookup cache */

	struct listener *listeners;
	size_t nlisteners, caplisteners;
	struct inport *inports;
	size_t ninports, capinports;
	int32_t *port_index; /* port -> inports index, or -1; NULL until first listener */
	uint8_t listening[65536 / 8];

	uint64_t states[HR_TCP_NSTATES];
	uint64_t total, inbound, outbound;
	struct hr_twhist tw;
	bool have_sockets;

	struct problem *problems;
	size_t nproblems;

	char *root, *socket_source;
	double interval_s;
	char subject[80];
};

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
	f->ents = calloc(f->capents, sizeof(*f->ents));
	f->capdests = 64;
	f->dests = calloc(f->capdests, sizeof(*f->dests));
	f->dest_list = calloc(f->capdests, sizeof(*f->dest_list));
	if (!f->ents || !f->dests || !f->dest_list) {
		hr_facts_free(f);
		return NULL;
	}
	return f;
}

void hr_facts_free(hr_facts *f)
{
	size_t i;

	if (!f)
		return;
	for (i = 0; i < f->capents; i++) {
		free(f->ents[i].name);
		free(f->ents[i].raw);
		free(f->ents[i].source);
		free(f->ents[i].missing);
	}
	free(f->ents);
	for (i = 0; i < f->ndests; i++) {
		free(f->dest_list[i]->declared_source);
		free(f->dest_list[i]);
	}
	free(f->dests);
	free(f->dest_list);
	free(f->listeners);
	free(f->inports);
	free(f->port_index);
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

/* Finds (or with create, makes) the entry for name. */
static struct entry *ent_find(const hr_facts *f, const char *name)
{
	size_t mask = f->capents - 1, i = hash_str(name) & mask;

	while (f->ents[i].name) {
		if (!strcmp(f->ents[i].name, name))
			return &f->ents[i];
		i = (i + 1) & mask;
	}
	return NULL;
}

static struct entry *ent_get(hr_facts *f, const char *name)
{
	struct entry *e = ent_find(f, name);
	size_t mask, i;

	if (e)
		return e;
	if ((f->nents + 1) * 2 > f->capents && ents_grow(f) < 0)
		return NULL;
	mask = f->capents - 1;
	i = hash_str(name) & mask;
	while (f->ents[i].name)
		i = (i + 1) & mask;
	f->ents[i].name = strdup(name);
	if (!f->ents[i].name)
		return NULL;
	f->nents++;
	return &f->ents[i];
}

static int ents_grow(hr_facts *f)
{
	size_t ncap = f->capents * 2, i, mask = ncap - 1;
	struct entry *n = calloc(ncap, sizeof(*n));

	if (!n)
		return -ENOMEM;
	for (i = 0; i < f->capents; i++) {
		size_t j;

		if (!f->ents[i].name)
			continue;
		j = hash_str(f->ents[i].name) & mask;
		while (n[j].name)
			j = (j + 1) & mask;
		n[j] = f->ents[i];
	}
	free(f->ents);
	f->ents = n;
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
	struct entry *e = ent_get(f, key);

	if (!e)
		return -ENOMEM;
	ent_reset(e);
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

int hr_facts_set_sysctl_absent(hr_facts *f, const char *key, const char *reason)
{
	struct entry *e = ent_get(f, key);

	if (!e)
		return -ENOMEM;
	ent_reset(e);
	e->is_sysctl = true;
	e->missing = strdup(reason ? reason : "absent on this kernel");
	return e->missing ? 0 : -ENOMEM;
}

int hr_facts_set_num(hr_facts *f, const char *name, double v, const char *source)
{
	struct entry *e = ent_get(f, name);

	if (!e)
		return -ENOMEM;
	ent_reset(e);
	e->is_num = true;
	e->nfields = 1;
	e->fields[0] = v;
	e->source = source ? strdup(source) : NULL;
	return 0;
}

int hr_facts_set_str(hr_facts *f, const char *name, const char *v, const char *source)
{
	struct entry *e = ent_get(f, name);

	if (!e)
		return -ENOMEM;
	ent_reset(e);
	e->raw = strdup(v);
	e->source = source ? strdup(source) : NULL;
	e->nfields = 1;
	return e->raw ? 0 : -ENOMEM;
}

int hr_facts_set_missing(hr_facts *f, const char *name, const char *reason)
{
	struct entry *e = ent_get(f, name);

	if (!e)
		return -ENOMEM;
	ent_reset(e);
	e->missing = strdup(reason ? reason : "not read");
	return e->missing ? 0 : -ENOMEM;
}

void hr_facts_add_problem(hr_facts *f, const char *source, const char *fmt, ...)
{
	struct problem *np;
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	np = realloc(f->problems, (f->nproblems + 1) * sizeof(*np));
	if (!np)
		return;
	f->problems = np;
	np[f->nproblems].source = strdup(source ? source : "");
	np[f->nproblems].message = strdup(msg);
	f->nproblems++;
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

/* ---------------------------------------------------------------- sockets */

/* IPv4-mapped IPv6 (::ffff:a.b.c.d) shares the IPv4 port space: fold it. */
static void norm_addr(int *family, uint8_t *addr)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (*family == AF_INET6 && !memcmp(addr, mapped, 12)) {
		memmove(addr, addr + 12, 4);
		memset(addr + 4, 0, 12);
		*family = AF_INET;
	} else if (*family == AF_INET) {
		memset(addr + 4, 0, 12);
	}
}

static bool is_loopback(int family, const uint8_t *a)
{
	static const uint8_t lo6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

	if (family == AF_INET)
		return a[0] == 127;
	return !memcmp(a, lo6, 16);
}

/* Hashes a destination by whole words (a per-socket hot path: bytewise
 * hashing of the 16 address bytes was a third of a 1M-socket --root probe). */
static uint64_t hash_dest(uint64_t a, uint64_t b, uint32_t pf)
{
	/* murmur3's fmix64 over the folded key: the bucket uses the low bits,
	 * so every input bit must reach them (IPv4 destinations often differ
	 * only in the port). */
	uint64_t h = a ^ (b * 0x9E3779B97F4A7C15ULL) ^ ((uint64_t)pf << 32);

	h ^= h >> 33;
	h *= 0xFF51AFD7ED558CCDULL;
	h ^= h >> 33;
	h *= 0xC4CEB9FE1A85EC53ULL;
	return h ^ (h >> 33);
}

static int dests_grow(hr_facts *f)
{
	size_t ncap = f->capdests * 2, i, mask = ncap - 1;
	struct dslot *n = calloc(ncap, sizeof(*n));
	struct dest **nl = realloc(f->dest_list, ncap * sizeof(*nl));

	if (!n || !nl) {
		free(n);
		if (nl)
			f->dest_list = nl;
		return -ENOMEM;
	}
	f->dest_list = nl;
	for (i = 0; i < f->capdests; i++) {
		const struct dslot *o = &f->dests[i];
		size_t j;

		if (!o->idx)
			continue;
		j = hash_dest(o->ka, o->kb, o->pf) & mask;
		while (n[j].idx)
			j = (j + 1) & mask;
		n[j] = *o;
	}
	free(f->dests);
	f->dests = n;
	f->capdests = ncap;
	return 0;
}

/* Finds or creates the aggregate of a destination. */
static struct dest *dest_get(hr_facts *f, int family, uint64_t ka, uint64_t kb, uint16_t port)
{
	struct dest *d = f->last_dest;
	uint32_t pf = (uint32_t)port << 8 | (uint32_t)(family & 0xff);
	size_t mask, i;
	struct dslot *sl;
	/* Dumps often yield runs of sockets toward one destination. */
	if (d && d->ka == ka && d->kb == kb && d->port == port && d->family == family)
		return d;
	mask = f->capdests - 1;
	i = hash_dest(ka, kb, pf) & mask;
	for (sl = &f->dests[i]; sl->idx; sl = &f->dests[i = (i + 1) & mask])
		if (sl->ka == ka && sl->kb == kb && sl->pf == pf)
			return f->last_dest = f->dest_list[sl->idx - 1];
	if ((f->ndests + 1) * 2 > f->capdests) {
		if (dests_grow(f) < 0)
			return NULL;
		return dest_get(f, family, ka, kb, port);
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->ka = ka;
	d->kb = kb;
	d->family = family;
	memcpy(d->addr, &ka, 8);
	memcpy(d->addr + 8, &kb, 8);
	d->port = port;
	f->dest_list[f->ndests++] = d;
	sl->ka = ka;
	sl->kb = kb;
	sl->pf = pf;
	sl->idx = (uint32_t)f->ndests;
	return f->last_dest = d;
}

static bool port_listening(const hr_facts *f, uint16_t port)
{
	return f->listening[port >> 3] & (1u << (port & 7));
}

/* Finds or creates the inbound aggregate of a listening port. */
static struct inport *inport_get(hr_facts *f, uint16_t port)
{
	int32_t idx;

	if (!f->port_index) {
		size_t i;

		f->port_index = malloc(65536 * sizeof(*f->port_index));
		if (!f->port_index)
			return NULL;
		for (i = 0; i < 65536; i++)
			f->port_index[i] = -1;
	}
	idx = f->port_index[port];
	if (idx >= 0)
		return &f->inports[idx];
	if (f->ninports == f->capinports) {
		size_t ncap = f->capinports ? f->capinports * 2 : 16;
		struct inport *n = realloc(f->inports, ncap * sizeof(*n));

		if (!n)
			return NULL;
		f->inports = n;
		f->capinports = ncap;
	}
	memset(&f->inports[f->ninports], 0, sizeof(struct inport));
	f->inports[f->ninports].port = port;
	f->port_index[port] = (int32_t)f->ninports;
	f->listening[port >> 3] |= (uint8_t)(1u << (port & 7));
	return &f->inports[f->ninports++];
}

static struct listener *listener_get(hr_facts *f, int family, const uint8_t *addr, uint16_t port)
{
	size_t i;

	for (i = 0; i < f->nlisteners; i++) {
		struct listener *l = &f->listeners[i];

		if (l->family == family && l->port == port && !memcmp(l->addr, addr, 16))
			return l;
	}
	if (f->nlisteners == f->caplisteners) {
		size_t ncap = f->caplisteners ? f->caplisteners * 2 : 16;
		struct listener *n = realloc(f->listeners, ncap * sizeof(*n));

		if (!n)
			return NULL;
		f->listeners = n;
		f->caplisteners = ncap;
	}
	memset(&f->listeners[f->nlisteners], 0, sizeof(struct listener));
	f->listeners[f->nlisteners].family = family;
	memcpy(f->listeners[f->nlisteners].addr, addr, 16);
	f->listeners[f->nlisteners].port = port;
	if (!inport_get(f, port))
		return NULL;
	return &f->listeners[f->nlisteners++];
}

/* Age bin of a TIME_WAIT socket: whole seconds since it entered TIME_WAIT. */
static int tw_bin(uint32_t expires_ms)
{
	uint32_t len_ms = HR_TW_LEN_S * 1000;
	uint32_t age_ms = expires_ms >= len_ms ? 0 : len_ms - expires_ms;
	uint32_t b = age_ms / 1000;

	return b >= TW_BINS ? TW_BINS - 1 : (int)b;
}

void hr_twhist_add(struct hr_twhist *h, uint32_t expires_ms)
{
	/* No real TIME_WAIT timer exceeds TCP_TIMEWAIT_LEN (a damaged tree's
	 * FFFFFFFF must not wrap the "+ 1" below to "empty"). */
	if (expires_ms > HR_TW_LEN_S * 1000)
		expires_ms = HR_TW_LEN_S * 1000;
	h->bins[tw_bin(expires_ms)]++;
	/* Zero-initialised histograms read 0 as "empty": store time left + 1. */
	if (h->min_expires_ms == 0 || expires_ms + 1 < h->min_expires_ms)
		h->min_expires_ms = expires_ms + 1;
}

/* The destination key as two words, IPv4-mapped IPv6 folded to IPv4, made
 * without narrow writes followed by a wide read of the same bytes (that
 * store-forwarding stall was most of the per-socket cost). */
static void dest_key(const struct hr_sock *s, int *family, uint64_t *ka, uint64_t *kb)
{
	uint64_t a, b;

	*family = s->family;
	if (s->family == AF_INET) {
		uint32_t v4;

		memcpy(&v4, s->dst, 4);
		a = 0;
		memcpy(&a, &v4, 4); /* bytes 0..3, as the byte form has them */
		b = 0;
	} else {
		uint32_t mid;

		memcpy(&a, s->dst, 8);
		memcpy(&b, s->dst + 8, 8);
		/* ::ffff:a.b.c.d: bytes 0..9 zero, 10..11 0xff. */
		memcpy(&mid, s->dst + 8, 4);
		if (a == 0 && mid == htonl(0x0000FFFF)) {
			uint32_t v4;

			memcpy(&v4, s->dst + 12, 4);
			a = 0;
			memcpy(&a, &v4, 4);
			b = 0;
			*family = AF_INET;
		}
	}
	*ka = a;
	*kb = b;
}

void hr_facts_add_socket(hr_facts *f, const struct hr_sock *s)
{
	int family = s->family, st = s->state;
	bool tw = st == HR_TIME_WAIT;

	if (st <= 0 || st >= HR_TCP_NSTATES)
		st = 0;

	if (st == HR_LISTEN) {
		struct listener *l;
		uint8_t src[16];
		bool fresh;

		memcpy(src, s->src, 16);
		norm_addr(&family, src);
		l = listener_get(f, family, src, s->sport);
		if (!l)
			return;
		/* SO_REUSEPORT: several sockets on one address, each with its own
		 * accept queue. Count every one; report the fullest queue, the
		 * one that overflows first. */
		fresh = !l->observed || (uint64_t)s->rqueue * (l->backlog ? l->backlog : 1) >
						(uint64_t)l->queue * (s->wqueue ? s->wqueue : 1);
		if (fresh) {
			l->queue = s->rqueue;
			l->backlog = s->wqueue;
			l->backlog_unknown = s->backlog_unknown;
		}
		l->observed = true;
		l->nsockets++;
		f->states[HR_LISTEN]++;
		f->total++;
		return;
	}

	f->states[st]++;
	f->total++;
	if (tw)
		hr_twhist_add(&f->tw, s->expires_ms);
	if (port_listening(f, s->sport)) {
		struct inport *in = inport_get(f, s->sport);

		f->inbound++;
		if (!in)
			return;
		in->states[st]++;
		in->total++;
		if (tw)
			hr_twhist_add(&in->tw, s->expires_ms);
	} else {
		struct dest *d;
		uint64_t ka, kb;

		f->outbound++;
		dest_key(s, &family, &ka, &kb);
		d = dest_get(f, family, ka, kb, s->dport);
		if (!d)
			return;
		d->states[st]++;
		d->total++;
		if (tw)
			hr_twhist_add(&d->tw, s->expires_ms);
	}
}

int hr_facts_set_listener_backlog(hr_facts *f, int family, const uint8_t *addr, uint16_t port,
				  uint32_t backlog)
{
	uint8_t a[16];
	size_t i;

	memcpy(a, addr, 16);
	norm_addr(&family, a);
	for (i = 0; i < f->nlisteners; i++) {
		struct listener *l = &f->listeners[i];

		if (l->observed && l->family == family && l->port == port && !memcmp(l->addr, a, 16)) {
			l->backlog = backlog;
			l->backlog_unknown = false;
			return 0;
		}
	}
	return -ENOENT;
}

void hr_facts_sockets_done(hr_facts *f)
{
	f->have_sockets = true;
}

bool hr_facts_have_sockets(const hr_facts *f)
{
	return f->have_sockets;
}

uint64_t hr_facts_state_count(const hr_facts *f, int state)
{
	if (state <= 0 || state >= HR_TCP_NSTATES)
		return 0;
	return f->states[state];
}

/* Parses an IP literal (IPv4, IPv6, with or without brackets). */
static int parse_host(const char *host, int *family, uint8_t *addr)
{
	char buf[64];
	size_t n = strlen(host);

	memset(addr, 0, 16);
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
		if (n - 2 >= sizeof(buf))
			return -EINVAL;
		memcpy(buf, host + 1, n - 2);
		buf[n - 2] = '\0';
		host = buf;
	}
	if (inet_pton(AF_INET, host, addr) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, host, addr) == 1) {
		*family = AF_INET6;
		norm_addr(family, addr);
		return 0;
	}
	return -EINVAL;
}

int hr_facts_declare_dest(hr_facts *f, const char *host, uint16_t port, double rate, bool local_closes,
			  const char *source)
{
	int family;
	uint8_t addr[16];
	struct dest *d;

	if (parse_host(host, &family, addr) < 0 || !(rate >= 0) || !isfinite(rate))
		return -EINVAL;
	{
		uint64_t ka, kb;

		memcpy(&ka, addr, 8);
		memcpy(&kb, addr + 8, 8);
		d = dest_get(f, family, ka, kb, port);
	}
	if (!d)
		return -ENOMEM;
	if (!d->declared || rate > d->declared_rate)
		d->declared_rate = rate;
	d->declared = true;
	d->declared_local_closes = local_closes;
	free(d->declared_source);
	d->declared_source = strdup(source ? source : "workload");
	return 0;
}

int hr_facts_declare_inbound(hr_facts *f, uint16_t port, double rate, bool server_closes,
			     const char *source)
{
	static const uint8_t any[16];
	struct inport *in;
	bool known = port_listening(f, port);

	(void)source;
	if (!(rate >= 0) || !isfinite(rate))
		return -EINVAL;
	if (!known && !listener_get(f, AF_INET, any, port))
		return -ENOMEM;
	in = inport_get(f, port);
	if (!in)
		return -ENOMEM;
	if (!in->declared || rate > in->declared_rate)
		in->declared_rate = rate;
	in->declared = true;
	in->declared_server_closes = server_closes;
	return 0;
}

/* ---------------------------------------------------------------- rates */

static uint32_t bins_count(const uint32_t *bins, int w)
{
	uint32_t c = 0;
	int i;

	for (i = 0; i < w && i < TW_BINS; i++)
		c += bins[i];
	if (w >= HR_TW_LEN_S)
		c += bins[TW_BINS - 1];
	return c;
}

double hr_tw_rate(const struct hr_twhist *h, double *window_s)
{
	const uint32_t *bins = h->bins;
	int oldest = -1, i, k;
	double w = 0, history;

	for (i = TW_BINS - 1; i >= 0; i--)
		if (bins[i]) {
			oldest = i;
			break;
		}
	if (oldest < 0 || h->min_expires_ms == 0) {
		if (window_s)
			*window_s = HR_TW_LEN_S;
		return 0;
	}
	/* History covers [0, oldest + 1) seconds: take the largest standard
	 * window inside it, so a flow younger than 60 s is not diluted. */
	for (k = HR_TW_NWINDOWS - 1; k >= 0; k--)
		if (hr_tw_windows[k] <= oldest + 1) {
			w = hr_tw_windows[k];
			break;
		}
	if (w <= 0)
		w = 1;
	/* The oldest bin is only partly filled when the flow began inside it:
	 * a window reaching past the oldest socket counts every socket, so
	 * divide by the exact history instead (a flow 4.5 s old at rate r has
	 * 4.5 r sockets, not 5 r). */
	history = (HR_TW_LEN_S * 1000.0 - (double)(h->min_expires_ms - 1)) / 1000.0;
	if (history > 0 && history < w)
		w = history < 0.1 ? 0.1 : history;
	if (window_s)
		*window_s = w;
	return bins_count(bins, w >= HR_TW_LEN_S ? HR_TW_LEN_S : (int)ceil(w)) / w;
}

/* ---------------------------------------------------------------- lookups */

static void val_num(struct hr_value *v, double n, const char *source)
{
	memset(v, 0, sizeof(*v));
	v->type = HR_V_NUM;
	v->num = n;
	v->source = source;
	v->nfields = 1;
}

static void val_bool(struct hr_value *v, bool b, const char *source)
{
	val_num(v, b ? 1 : 0, source);
	v->type = HR_V_BOOL;
}

static void val_str(struct hr_value *v, const char *s, const char *source)
{
	memset(v, 0, sizeof(*v));
	v->type = HR_V_STR;
	v->str = s;
	v->source = source;
	v->nfields = 1;
}

static void val_missing(struct hr_value *v, const char *why)
{
	memset(v, 0, sizeof(*v));
	v->type = HR_V_MISSING;
	v->missing = why;
}

static const char *const known_prefixes[] = {
	"net.", "kernel.", "snmp.", "netstat.", "sockstat.", "rate.", "slab.",
	"sockets.", "ports.", "workload.", "probe.", "conntrack.", NULL,
};

bool hr_facts_name_known(const char *name)
{
	int i;

	for (i = 0; known_prefixes[i]; i++)
		if (!strncmp(name, known_prefixes[i], strlen(known_prefixes[i])))
			return name[strlen(known_prefixes[i])] != '\0';
	return false;
}

/* Counts the ports of a reserved-ports list ("1000-1010,2000") inside [lo, hi];
 * when mark is set, also records which, so listeners are not counted twice. */
int64_t hr_ports_reserved_in(const char *list, int64_t lo, int64_t hi, uint8_t *mark)
{
	const char *p = list;
	int64_t n = 0;

	while (p && *p) {
		char *end;
		long a, b;

		while (*p == ',' || isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		a = strtol(p, &end, 10);
		if (end == p)
			break;
		b = a;
		p = end;
		if (*p == '-') {
			b = strtol(p + 1, &end, 10);
			p = end;
		}
		/* Clamp to the range and to real ports: a hostile tree's
		 * "1-9000000000000" must not loop for hours. */
		if (a < lo)
			a = lo;
		if (a < 0)
			a = 0;
		if (b > hi)
			b = hi;
		if (b > 65535)
			b = 65535;
		for (long x = a; x <= b; x++) {
			if (mark && !(mark[x >> 3] & (1u << (x & 7)))) {
				mark[x >> 3] |= (uint8_t)(1u << (x & 7));
				n++;
			} else if (!mark) {
				n++;
			}
		}
	}
	return n;
}

/* The ephemeral port model: range, reserved ports, listeners in range. */
struct portmodel {
	bool ok;
	const char *why;
	int64_t lo, hi, size, reserved, listeners, usable;
	const char *source;
};

int hr_facts_ports_model(const hr_facts *f, int64_t lo, int64_t hi, const char *reserved,
			 struct hr_ports *out)
{
	uint8_t mark[65536 / 8];
	int64_t p;

	memset(out, 0, sizeof(*out));
	/* A range the kernel would refuse (ipv4_local_port_range()) is no range. */
	if (lo < 0 || hi > 65535 || lo > hi)
		return -EINVAL;
	out->lo = lo;
	out->hi = hi;
	out->size = hi - lo + 1;
	memset(mark, 0, sizeof(mark));
	if (reserved)
		out->reserved = hr_ports_reserved_in(reserved, lo, hi, mark);
	/* Listening ports in the range, not counted again when reserved. */
	for (p = lo; p <= hi; p++)
		if (port_listening(f, (uint16_t)p) && !(mark[p >> 3] & (1u << (p & 7))))
			out->listeners++;
	out->usable = out->size - out->reserved - out->listeners;
	if (out->usable < 0)
		out->usable = 0;
	return 0;
}

static void port_model(const hr_facts *f, struct portmodel *pm)
{
	const struct entry *r = ent_find(f, "net.ipv4.ip_local_port_range");
	const struct entry *res = ent_find(f, "net.ipv4.ip_local_reserved_ports");
	struct hr_ports m;

	memset(pm, 0, sizeof(*pm));
	if (!r || r->missing || !r->is_num || r->nfields != 2) {
		pm->why = r && r->missing ? r->missing : "net.ipv4.ip_local_port_range not read";
		return;
	}
	if (hr_facts_ports_model(f, (int64_t)r->fields[0], (int64_t)r->fields[1],
				 res && !res->missing ? res->raw : NULL, &m) < 0) {
		pm->why = "net.ipv4.ip_local_port_range is not a valid range (0..65535, low <= high)";
		return;
	}
	pm->ok = true;
	pm->source = r->source;
	pm->lo = m.lo;
	pm->hi = m.hi;
	pm->size = m.size;
	pm->reserved = m.reserved;
	pm->listeners = m.listeners;
	pm->usable = m.usable;
}

static double sum_dest_rate(const hr_facts *f)
{
	double r = 0;
	size_t i;

	for (i = 0; i < f->ndests; i++) {
		const struct dest *d = f->dest_list[i];
		double obs = hr_tw_rate(&d->tw, NULL);

		r += d->declared && d->declared_rate > obs ? d->declared_rate : obs;
	}
	return r;
}

int hr_facts_get(const hr_facts *f, const char *name, int index, struct hr_value *out)
{
	const struct entry *e;

	if (!strncmp(name, "ports.", 6)) {
		struct portmodel pm;
		const char *k = name + 6;
		int64_t v;

		if (index >= 0)
			return -EDOM;
		port_model(f, &pm);
		if (!pm.ok) {
			val_missing(out, pm.why);
			return 0;
		}
		if (!strcmp(k, "range_low"))
			v = pm.lo;
		else if (!strcmp(k, "range_high"))
			v = pm.hi;
		else if (!strcmp(k, "range_size"))
			v = pm.size;
		else if (!strcmp(k, "reserved_in_range"))
			v = pm.reserved;
		else if (!strcmp(k, "listeners_in_range"))
			v = pm.listeners;
		else if (!strcmp(k, "usable"))
			v = pm.usable;
		else
			return -ENOENT;
		val_num(out, (double)v, pm.source);
		return 0;
	}
	if (!strncmp(name, "sockets.", 8)) {
		const char *k = name + 8;
		const char *src = f->socket_source ? f->socket_source : "sockets";
		int st;

		if (index >= 0)
			return -EDOM;
		if (!f->have_sockets && strcmp(k, "declared_rate")) {
			/* Declared load still counts without a socket table (a
			 * pre-deployment audit, a tree copied without proc/net/tcp):
			 * these two are sums of it; the rest needs sockets. */
			bool declared = false;
			size_t i;

			for (i = 0; i < f->ndests && !declared; i++)
				declared = f->dest_list[i]->declared;
			for (i = 0; i < f->ninports && !declared; i++)
				declared = f->inports[i].declared;
			if (!declared || (strcmp(k, "outbound_rate") && strcmp(k, "timewait_need"))) {
				val_missing(out, "sockets not read");
				return 0;
			}
			src = "workload (sockets not read)";
		}
		if (!strcmp(k, "total"))
			val_num(out, (double)f->total, src);
		else if (!strcmp(k, "inbound"))
			val_num(out, (double)f->inbound, src);
		else if (!strcmp(k, "outbound"))
			val_num(out, (double)f->outbound, src);
		else if (!strcmp(k, "destinations"))
			val_num(out, (double)f->ndests, src);
		else if (!strcmp(k, "listeners"))
			val_num(out, (double)f->nlisteners, src);
		else if (!strncmp(k, "timewait_born_", 14)) {
			/* TIME_WAIT sockets born in the last N s: 1, 5, 10, 30, 60. */
			int w = atoi(k + 14), i;
			bool ok = false;

			for (i = 0; i < HR_TW_NWINDOWS; i++)
				ok |= hr_tw_windows[i] == w;
			if (!ok)
				return -ENOENT;
			val_num(out, bins_count(f->tw.bins, w), src);
		} else if (!strcmp(k, "timewait_rate"))
			val_num(out, hr_tw_rate(&f->tw, NULL), src);
		else if (!strcmp(k, "outbound_rate"))
			val_num(out, sum_dest_rate(f), src);
		else if (!strcmp(k, "timewait_need")) {
			/* TIME_WAIT sockets the load keeps alive: observed ones, or
			 * declared rates x 60 s where the local side closes first. */
			double need = 0;
			size_t i;

			for (i = 0; i < f->ndests; i++)
				if (f->dest_list[i]->declared && f->dest_list[i]->declared_local_closes)
					need += f->dest_list[i]->declared_rate * HR_TW_LEN_S;
			for (i = 0; i < f->ninports; i++)
				if (f->inports[i].declared && f->inports[i].declared_server_closes)
					need += f->inports[i].declared_rate * HR_TW_LEN_S;
			if ((double)f->states[HR_TIME_WAIT] > need)
				need = (double)f->states[HR_TIME_WAIT];
			val_num(out, need, src);
		} else {
			for (st = 1; st < HR_TCP_NSTATES; st++)
				if (!strcmp(k, state_names[st])) {
					val_num(out, (double)f->states[st], src);
					return 0;
				}
			return -ENOENT;
		}
		return 0;
	}

	e = ent_find(f, name);
	if (!e) {
		if (!hr_facts_name_known(name))
			return -ENOENT;
		val_missing(out, !strncmp(name, "net.", 4) ? "absent on this kernel" : "not read");
		return 0;
	}
	if (e->missing) {
		val_missing(out, e->missing);
		return 0;
	}
	if (e->is_num) {
		if (index < 0 && e->nfields > 1)
			return -EDOM;
		if (index >= e->nfields)
			return -EDOM;
		val_num(out, e->fields[index < 0 ? 0 : index], e->source);
		out->nfields = e->nfields;
		out->str = e->raw;
		return 0;
	}
	if (index > 0)
		return -EDOM;
	val_str(out, e->raw, e->source);
	return 0;
}

int hr_coll_from_name(const char *name)
{
	if (!strcmp(name, "destinations"))
		return HR_COLL_DESTINATIONS;
	if (!strcmp(name, "listeners"))
		return HR_COLL_LISTENERS;
	if (!strcmp(name, "listening_ports"))
		return HR_COLL_LISTENING_PORTS;
	return -1;
}

const char *hr_coll_name(enum hr_coll c)
{
	static const char *const n[] = {"destinations", "listeners", "listening_ports"};

	return c < HR_COLL_N ? n[c] : "?";
}

const char *hr_coll_prefix(enum hr_coll c)
{
	static const char *const n[] = {"dest", "listener", "port"};

	return c < HR_COLL_N ? n[c] : "?";
}

size_t hr_facts_count(const hr_facts *f, enum hr_coll c)
{
	switch (c) {
	case HR_COLL_DESTINATIONS:
		return f->ndests;
	case HR_COLL_LISTENERS:
		return f->nlisteners;
	case HR_COLL_LISTENING_PORTS:
		return f->ninports;
	default:
		return 0;
	}
}

static const char *const dest_fields[] = {
	"host", "port", "subject", "loopback", "in_use", "timewait", "established", "syn_sent",
	"fin_wait", "close_wait", "born_1s", "born_5s", "born_10s", "born_30s", "born_60s",
	"rate", "rate_observed", "rate_declared", "rate_window", "declared", "local_closes", NULL,
};
static const char *const listener_fields[] = {
	"host", "port", "subject", "loopback", "queue", "backlog", "observed", "established",
	"syn_recv", "timewait", "inbound", "rate", "rate_observed", "rate_declared", "server_closes",
	"declared", NULL,
};
static const char *const port_fields[] = {
	"number", "subject", "in_range", "reserved", "declared", NULL,
};

bool hr_facts_item_field_known(enum hr_coll c, const char *field)
{
	const char *const *list = c == HR_COLL_DESTINATIONS ? dest_fields
				  : c == HR_COLL_LISTENERS  ? listener_fields
							    : port_fields;
	const char *pfx = hr_coll_prefix(c);
	size_t n = strlen(pfx);
	int i;

	if (strncmp(field, pfx, n) || field[n] != '.')
		return false;
	for (i = 0; list[i]; i++)
		if (!strcmp(field + n + 1, list[i]))
			return true;
	return false;
}

char *hr_format_endpoint(char *buf, size_t n, int family, const uint8_t *addr, uint16_t port)
{
	char ip[INET6_ADDRSTRLEN];

	if (!inet_ntop(family, addr, ip, sizeof(ip)))
		snprintf(ip, sizeof(ip), "?");
	if (family == AF_INET6)
		snprintf(buf, n, "[%s]:%u", ip, port);
	else
		snprintf(buf, n, "%s:%u", ip, port);
	return buf;
}

const char *hr_facts_item_subject(const hr_facts *f, enum hr_coll c, size_t i)
{
	hr_facts *mf = (hr_facts *)f; /* subject buffer is scratch space */

	if (i >= hr_facts_count(f, c))
		return NULL;
	if (c == HR_COLL_DESTINATIONS) {
		const struct dest *d = f->dest_list[i];

		return hr_format_endpoint(mf->subject, sizeof(mf->subject), d->family, d->addr, d->port);
	}
	if (c == HR_COLL_LISTENERS) {
		const struct listener *l = &f->listeners[i];

		return hr_format_endpoint(mf->subject, sizeof(mf->subject), l->family, l->addr, l->port);
	}
	snprintf(mf->subject, sizeof(mf->subject), "%u", f->inports[i].port);
	return mf->subject;
}

static int dest_item(const hr_facts *f, size_t i, const char *k, struct hr_value *out)
{
	const struct dest *d = f->dest_list[i];
	const char *src = f->socket_source ? f->socket_source : "sockets";
	double win, obs = hr_tw_rate(&d->tw, &win);
	static char host[INET6_ADDRSTRLEN];

	if (!strcmp(k, "host")) {
		inet_ntop(d->family, d->addr, host, sizeof(host));
		val_str(out, host, src);
	} else if (!strcmp(k, "port"))
		val_num(out, d->port, src);
	else if (!strcmp(k, "subject"))
		val_str(out, hr_facts_item_subject(f, HR_COLL_DESTINATIONS, i), src);
	else if (!strcmp(k, "loopback"))
		val_bool(out, is_loopback(d->family, d->addr), src);
	else if (!strcmp(k, "in_use"))
		val_num(out, d->total, src);
	else if (!strcmp(k, "timewait"))
		val_num(out, d->states[HR_TIME_WAIT], src);
	else if (!strcmp(k, "established"))
		val_num(out, d->states[HR_ESTABLISHED], src);
	else if (!strcmp(k, "syn_sent"))
		val_num(out, d->states[HR_SYN_SENT], src);
	else if (!strcmp(k, "fin_wait"))
		val_num(out, d->states[HR_FIN_WAIT1] + d->states[HR_FIN_WAIT2], src);
	else if (!strcmp(k, "close_wait"))
		val_num(out, d->states[HR_CLOSE_WAIT], src);
	else if (!strncmp(k, "born_", 5)) {
		int w = atoi(k + 5);

		val_num(out, bins_count(d->tw.bins, w), src);
	} else if (!strcmp(k, "rate"))
		val_num(out, d->declared && d->declared_rate > obs ? d->declared_rate : obs,
			d->declared && d->declared_rate > obs ? d->declared_source : src);
	else if (!strcmp(k, "rate_observed"))
		val_num(out, obs, src);
	else if (!strcmp(k, "rate_declared")) {
		if (d->declared)
			val_num(out, d->declared_rate, d->declared_source);
		else
			val_missing(out, "no declared load");
	} else if (!strcmp(k, "rate_window"))
		val_num(out, win, src);
	else if (!strcmp(k, "declared"))
		val_bool(out, d->declared, src);
	else if (!strcmp(k, "local_closes"))
		/* Observed TIME_WAIT here means this side closed first. */
		val_bool(out, d->declared ? d->declared_local_closes || d->states[HR_TIME_WAIT] > 0
					  : d->states[HR_TIME_WAIT] > 0 || d->total > 0,
			 src);
	else
		return -ENOENT;
	return 0;
}

static int listener_item(const hr_facts *f, size_t i, const char *k, struct hr_value *out)
{
	const struct listener *l = &f->listeners[i];
	const struct inport *in = &f->inports[f->port_index[l->port]];
	const char *src = f->socket_source ? f->socket_source : "sockets";
	double obs = hr_tw_rate(&in->tw, NULL);
	static char host[INET6_ADDRSTRLEN];

	if (!strcmp(k, "host")) {
		inet_ntop(l->family, l->addr, host, sizeof(host));
		val_str(out, host, src);
	} else if (!strcmp(k, "port"))
		val_num(out, l->port, src);
	else if (!strcmp(k, "subject"))
		val_str(out, hr_facts_item_subject(f, HR_COLL_LISTENERS, i), src);
	else if (!strcmp(k, "loopback"))
		val_bool(out, is_loopback(l->family, l->addr), src);
	else if (!strcmp(k, "queue") || !strcmp(k, "backlog")) {
		if (!l->observed)
			val_missing(out, "listener declared in workload, not observed");
		else if (!strcmp(k, "backlog") && l->backlog_unknown)
			val_missing(out, "backlog not shown by /proc/net/tcp");
		else
			val_num(out, !strcmp(k, "queue") ? l->queue : l->backlog, src);
	} else if (!strcmp(k, "observed"))
		val_bool(out, l->observed, src);
	else if (!strcmp(k, "established"))
		val_num(out, in->states[HR_ESTABLISHED], src);
	else if (!strcmp(k, "syn_recv"))
		val_num(out, in->states[HR_SYN_RECV] + in->states[HR_NEW_SYN_RECV], src);
	else if (!strcmp(k, "timewait"))
		val_num(out, in->states[HR_TIME_WAIT], src);
	else if (!strcmp(k, "inbound"))
		val_num(out, in->total, src);
	else if (!strcmp(k, "rate"))
		val_num(out, in->declared && in->declared_rate > obs ? in->declared_rate : obs, src);
	else if (!strcmp(k, "rate_observed"))
		val_num(out, obs, src);
	else if (!strcmp(k, "rate_declared")) {
		if (in->declared)
			val_num(out, in->declared_rate, "workload");
		else
			val_missing(out, "no declared load");
	} else if (!strcmp(k, "server_closes"))
		val_bool(out, in->declared ? in->declared_server_closes : in->states[HR_TIME_WAIT] > 0, src);
	else if (!strcmp(k, "declared"))
		val_bool(out, in->declared, src);
	else
		return -ENOENT;
	return 0;
}

static int port_item(const hr_facts *f, size_t i, const char *k, struct hr_value *out)
{
	const struct inport *in = &f->inports[i];
	const char *src = f->socket_source ? f->socket_source : "sockets";
	struct portmodel pm;

	if (!strcmp(k, "number"))
		val_num(out, in->port, src);
	else if (!strcmp(k, "subject"))
		val_str(out, hr_facts_item_subject(f, HR_COLL_LISTENING_PORTS, i), src);
	else if (!strcmp(k, "declared"))
		val_bool(out, in->declared, src);
	else if (!strcmp(k, "in_range") || !strcmp(k, "reserved")) {
		port_model(f, &pm);
		if (!pm.ok) {
			val_missing(out, pm.why);
			return 0;
		}
		if (!strcmp(k, "in_range")) {
			val_bool(out, in->port >= pm.lo && in->port <= pm.hi, pm.source);
		} else {
			const struct entry *res = ent_find(f, "net.ipv4.ip_local_reserved_ports");

			if (!res || res->missing || !res->raw)
				val_missing(out, "net.ipv4.ip_local_reserved_ports not read");
			else
				val_bool(out, hr_ports_reserved_in(res->raw, in->port, in->port, NULL) > 0,
					 res->source);
		}
	} else
		return -ENOENT;
	return 0;
}

int hr_facts_item_get(const hr_facts *f, enum hr_coll c, size_t i, const char *field,
		      struct hr_value *out)
{
	const char *pfx = hr_coll_prefix(c);
	size_t n = strlen(pfx);

	if (i >= hr_facts_count(f, c))
		return -ENOENT;
	if (strncmp(field, pfx, n) || field[n] != '.')
		return -ENOENT;
	if (!hr_facts_item_field_known(c, field))
		return -ENOENT;
	field += n + 1;
	if (c == HR_COLL_DESTINATIONS)
		return dest_item(f, i, field, out);
	if (c == HR_COLL_LISTENERS)
		return listener_item(f, i, field, out);
	return port_item(f, i, field, out);
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

/* ---------------------------------------------------------------- JSON */

static json_t *states_json(const uint32_t *st32, const uint64_t *st64)
{
	json_t *o = json_object();
	int s;

	for (s = 1; s < HR_TCP_NSTATES; s++) {
		uint64_t v = st32 ? st32[s] : st64[s];

		if (v)
			json_object_set_new(o, state_names[s], json_integer((json_int_t)v));
	}
	return o;
}

static json_t *born_json(const uint32_t *bins)
{
	json_t *o = json_object();
	int k;

	for (k = 0; k < HR_TW_NWINDOWS; k++) {
		char key[8];

		snprintf(key, sizeof(key), "%ds", hr_tw_windows[k]);
		json_object_set_new(o, key, json_integer(bins_count(bins, hr_tw_windows[k])));
	}
	return o;
}

static json_t *num_or_null(double v)
{
	if (!isfinite(v))
		return json_null();
	if (v == floor(v) && fabs(v) < 9e15)
		return json_integer((json_int_t)v);
	return json_real(v);
}

static int cmp_dest(const void *a, const void *b)
{
	const struct dest *x = *(const struct dest *const *)a, *y = *(const struct dest *const *)b;

	if (x->total != y->total)
		return x->total < y->total ? 1 : -1;
	if (x->states[HR_TIME_WAIT] != y->states[HR_TIME_WAIT])
		return x->states[HR_TIME_WAIT] < y->states[HR_TIME_WAIT] ? 1 : -1;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return memcmp(x->addr, y->addr, 16);
}

static json_t *entry_json(const struct entry *e)
{
	json_t *o = json_object();

	if (e->missing) {
		json_object_set_new(o, "absent", json_string(e->missing));
		return o;
	}
	if (e->is_sysctl || !e->is_num) {
		json_object_set_new(o, "value", json_string(e->raw ? e->raw : ""));
		if (e->is_num) {
			json_t *a = json_array();

			for (int i = 0; i < e->nfields; i++)
				json_array_append_new(a, num_or_null(e->fields[i]));
			json_object_set_new(o, "fields", a);
		}
	} else {
		json_object_set_new(o, "value", num_or_null(e->fields[0]));
	}
	if (e->source)
		json_object_set_new(o, "source", json_string(e->source));
	return o;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *hr_facts_to_json(const hr_facts *f)
{
	json_t *root = json_object(), *sysctls = json_object(), *counters = json_object();
	json_t *rates = json_object(), *other = json_object(), *kernel = json_object();
	json_t *src = json_object(), *problems = json_array();
	const char **names = malloc((f->nents + 1) * sizeof(*names));
	size_t i, n = 0;
	struct portmodel pm;

	for (i = 0; names && i < f->capents; i++)
		if (f->ents[i].name)
			names[n++] = f->ents[i].name;
	if (names)
		qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; names && i < n; i++) {
		const struct entry *e = ent_find(f, names[i]);
		json_t *into = e->is_sysctl                        ? sysctls
			       : !strncmp(e->name, "rate.", 5)       ? rates
			       : !strncmp(e->name, "kernel.", 7)     ? kernel
			       : (!strncmp(e->name, "snmp.", 5) || !strncmp(e->name, "netstat.", 8) ||
				  !strncmp(e->name, "sockstat.", 9) || !strncmp(e->name, "sockstat6.", 10)) ? counters
								     : other;

		json_object_set_new(into, e->name, entry_json(e));
	}
	free(names);

	json_object_set_new(src, "root", json_string(f->root ? f->root : ""));
	json_object_set_new(src, "sockets", f->socket_source ? json_string(f->socket_source) : json_null());
	json_object_set_new(src, "interval_s", num_or_null(f->interval_s));
	json_object_set_new(root, "probe", src);
	json_object_set_new(root, "kernel", kernel);
	json_object_set_new(root, "sysctls", sysctls);
	json_object_set_new(root, "counters", counters);
	json_object_set_new(root, "rates", rates);
	json_object_set_new(root, "other", other);

	port_model(f, &pm);
	if (pm.ok) {
		json_t *p = json_object();

		json_object_set_new(p, "range_low", json_integer(pm.lo));
		json_object_set_new(p, "range_high", json_integer(pm.hi));
		json_object_set_new(p, "range_size", json_integer(pm.size));
		json_object_set_new(p, "reserved_in_range", json_integer(pm.reserved));
		json_object_set_new(p, "listeners_in_range", json_integer(pm.listeners));
		json_object_set_new(p, "usable", json_integer(pm.usable));
		json_object_set_new(root, "ports", p);
	} else {
		json_object_set_new(root, "ports", json_pack("{s:s}", "absent", pm.why));
	}

	if (f->have_sockets) {
		json_t *s = json_object(), *dl = json_array(), *ll = json_array(), *pl = json_array();
		struct dest **sorted = malloc((f->ndests + 1) * sizeof(*sorted));
		double win;

		json_object_set_new(s, "total", json_integer((json_int_t)f->total));
		json_object_set_new(s, "inbound", json_integer((json_int_t)f->inbound));
		json_object_set_new(s, "outbound", json_integer((json_int_t)f->outbound));
		json_object_set_new(s, "states", states_json(NULL, f->states));
		json_object_set_new(s, "timewait_born", born_json(f->tw.bins));
		json_object_set_new(s, "timewait_rate_per_s", num_or_null(hr_tw_rate(&f->tw, &win)));
		json_object_set_new(s, "timewait_rate_window_s", num_or_null(win));
		if (sorted) {
			memcpy(sorted, f->dest_list, f->ndests * sizeof(*sorted));
			qsort(sorted, f->ndests, sizeof(*sorted), cmp_dest);
		}
		for (i = 0; sorted && i < f->ndests; i++) {
			const struct dest *d = sorted[i];
			char ep[80], ip[INET6_ADDRSTRLEN];
			double obs = hr_tw_rate(&d->tw, &win);
			json_t *o = json_object();

			inet_ntop(d->family, d->addr, ip, sizeof(ip));
			json_object_set_new(o, "subject", json_string(hr_format_endpoint(ep, sizeof(ep), d->family, d->addr, d->port)));
			json_object_set_new(o, "host", json_string(ip));
			json_object_set_new(o, "port", json_integer(d->port));
			json_object_set_new(o, "in_use", json_integer(d->total));
			json_object_set_new(o, "timewait", json_integer(d->states[HR_TIME_WAIT]));
			json_object_set_new(o, "states", states_json(d->states, NULL));
			json_object_set_new(o, "timewait_born", born_json(d->tw.bins));
			json_object_set_new(o, "rate_per_s", num_or_null(obs));
			json_object_set_new(o, "rate_window_s", num_or_null(win));
			if (d->declared) {
				json_object_set_new(o, "declared_rate_per_s", num_or_null(d->declared_rate));
				json_object_set_new(o, "declared_source", json_string(d->declared_source));
			}
			json_array_append_new(dl, o);
		}
		free(sorted);
		for (i = 0; i < f->nlisteners; i++) {
			const struct listener *l = &f->listeners[i];
			const struct inport *in = &f->inports[f->port_index[l->port]];
			char ep[80];
			json_t *o = json_object();

			json_object_set_new(o, "subject", json_string(hr_format_endpoint(ep, sizeof(ep), l->family, l->addr, l->port)));
			json_object_set_new(o, "port", json_integer(l->port));
			json_object_set_new(o, "observed", json_boolean(l->observed));
			json_object_set_new(o, "sockets", json_integer(l->nsockets));
			json_object_set_new(o, "queue", l->observed ? json_integer(l->queue) : json_null());
			json_object_set_new(o, "backlog", l->observed && !l->backlog_unknown ? json_integer(l->backlog) : json_null());
			json_object_set_new(o, "inbound_states", states_json(in->states, NULL));
			json_object_set_new(o, "inbound_rate_per_s", num_or_null(hr_tw_rate(&in->tw, NULL)));
			if (in->declared)
				json_object_set_new(o, "declared_rate_per_s", num_or_null(in->declared_rate));
			json_array_append_new(ll, o);
		}
		for (i = 0; i < f->ninports; i++)
			json_array_append_new(pl, json_integer(f->inports[i].port));
		json_object_set_new(s, "destinations", dl);
		json_object_set_new(s, "listeners", ll);
		json_object_set_new(s, "listening_ports", pl);
		json_object_set_new(s, "source", f->socket_source ? json_string(f->socket_source) : json_null());
		json_object_set_new(root, "sockets", s);
	} else {
		json_object_set_new(root, "sockets", json_pack("{s:s}", "absent", "sockets not read"));
	}

	for (i = 0; i < f->nproblems; i++)
		json_array_append_new(problems, json_pack("{s:s,s:s}", "source", f->problems[i].source,
							  "message", f->problems[i].message));
	json_object_set_new(root, "problems", problems);
	return root;
}
