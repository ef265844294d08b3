/* facts-sockets.c: streaming socket aggregation, the per-socket hot path:
 * per state, per outbound destination (an open-addressing hash on the
 * address words, with a one-entry cache), per listener and per listening
 * port; workload declarations of load on those; and the TIME_WAIT age
 * histograms and the rates read from them. Nothing per socket is stored.
 * May call: facts-int.h (the model's structs, the listening-port bitmap)
 * and libc; everything the hot path calls is static here or inline there. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bounds.h"
#include "facts-int.h"

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

/* Finds the aggregate of a destination; NULL when there is none (*slot:
 * where a new one would go). */
static struct dest *dest_find(hr_facts *f, int family, uint64_t ka, uint64_t kb, uint16_t port,
			      struct dslot **slot)
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
	*slot = sl;
	return NULL;
}

/* Finds or creates the aggregate of a destination. */
static struct dest *dest_get(hr_facts *f, int family, uint64_t ka, uint64_t kb, uint16_t port)
{
	uint32_t pf = (uint32_t)port << 8 | (uint32_t)(family & 0xff);
	struct dslot *sl = NULL;
	struct dest *d = dest_find(f, family, ka, kb, port, &sl);

	if (d)
		return d;
	/* Only a new destination reaches the bound check: the lookups above,
	 * the per-socket hot path, are unchanged. */
	if (f->ndests >= HR_FACTS_MAX_DESTS) {
		f->folded = true;
		return &f->other;
	}
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

/* Makes room for one more element in an array of cap elements holding n
 * (doubling, from 16). 0 or -ENOMEM (the array is left as it was). */
static int grow_room(void **arr, size_t *cap, size_t n, size_t elem)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	p = realloc(*arr, ncap * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

/* Finds or creates the inbound aggregate of a listening port. */
static struct inport *inport_get(hr_facts *f, uint16_t port)
{
	int32_t idx, **pg = &f->port_index[port >> 8];

	if (!*pg) {
		size_t i;

		*pg = malloc(256 * sizeof(**pg));
		if (!*pg)
			return NULL;
		for (i = 0; i < 256; i++)
			(*pg)[i] = -1;
	}
	idx = (*pg)[port & 0xff];
	if (idx >= 0)
		return &f->inports[idx];
	if (grow_room((void **)&f->inports, &f->capinports, f->ninports, sizeof(*f->inports)) < 0)
		return NULL;
	memset(&f->inports[f->ninports], 0, sizeof(struct inport));
	f->inports[f->ninports].port = port;
	(*pg)[port & 0xff] = (int32_t)f->ninports;
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
	if (grow_room((void **)&f->listeners, &f->caplisteners, f->nlisteners, sizeof(*f->listeners)) < 0)
		return NULL;
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

/* Port model (issue 25): counts s toward d per source address, by local
 * port parity, with its timestamps (tcp_info), and marks its local port. */
static void dest_port_model(hr_facts *f, struct dest *d, const struct hr_sock *s, int family, bool tw)
{
	uint8_t a[16] = {0};
	struct dsrc *ds = NULL;
	int i;

	if (family == AF_INET)
		memcpy(a, s->family == AF_INET6 ? s->src + 12 : s->src, 4);
	else
		memcpy(a, s->src, 16);
	for (i = 0; i < d->nsrc; i++)
		if (!memcmp(hr_dest_src(d, i)->addr, a, 16)) {
			ds = hr_dest_src(d, i);
			break;
		}
	if (!ds && d->nsrc == 1 && !d->more)
		d->more = calloc(1, sizeof(*d->more)); /* no memory: counted with the first */
	if (!ds && (d->nsrc == 0 || (d->more && d->nsrc < HR_DEST_SOURCES))) {
		ds = hr_dest_src(d, d->nsrc++);
		memcpy(ds->addr, a, 16);
	}
	if (!ds)
		ds = d->more ? &d->more->other : &d->src0;
	ds->in_use++;
	ds->timewait += tw;
	d->parity[s->sport & 1]++;
	if (s->state == HR_ESTABLISHED && s->have_idle) {
		if (s->tcpi_options & 1) /* TCPI_OPT_TIMESTAMPS */
			d->ts_yes++;
		else
			d->ts_no++;
	}
	if (!(f->lports[s->sport >> 3] & (1u << (s->sport & 7)))) {
		f->lports[s->sport >> 3] |= (uint8_t)(1u << (s->sport & 7));
		f->nlports++;
	}
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
	if (st == HR_ESTABLISHED)
		hr_facts_live_tcp(f, s);
	if (tw)
		hr_twhist_add(&f->tw, s->expires_ms);
	if (hr_facts_port_listening(f, s->sport)) {
		struct inport *in = inport_get(f, s->sport);

		f->inbound++;
		if (!in)
			return;
		in->states[st]++;
		in->total++;
		if (s->buf)
			hr_facts_buf_add(&in->buf, s->buf);
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
		if (s->buf)
			hr_facts_buf_add(&d->buf, s->buf);
		if (tw)
			hr_twhist_add(&d->tw, s->expires_ms);
		dest_port_model(f, d, s, family, tw);
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
	if (f->folded && !f->have_sockets)
		hr_facts_add_problem(f, "sockets",
				     "more than %d destinations: %" PRIu32 " sockets toward the rest were folded into "
				     "'other destinations' (in the totals, not evaluated one by one; how many "
				     "destinations they go to is not counted)",
				     HR_FACTS_MAX_DESTS, f->other.total);
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

/* Gives d what the trace counted toward it, if the trace saw it. */
static void trace_apply(const hr_facts *f, struct dest *d)
{
	size_t i;

	for (i = 0; i < f->ntdests; i++) {
		const struct trace_dest *t = &f->tdests[i];

		if (t->family == d->family && t->port == d->port && !memcmp(t->addr, d->addr, 16)) {
			d->traced = true;
			d->trace_rate = t->rate;
			d->trace_port_failures = t->port_failures;
			return;
		}
	}
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
	if (d == &f->other)
		return -ENOSPC; /* beyond HR_FACTS_MAX_DESTS: cannot be named one by one */
	if (!d->traced)
		trace_apply(f, d);
	if (!d->declared || rate > d->declared_rate)
		d->declared_rate = rate;
	d->declared = true;
	d->declared_local_closes = local_closes;
	free(d->declared_source);
	d->declared_source = strdup(source ? source : "workload");
	return 0;
}

int hr_facts_declare_dest_sources(hr_facts *f, const char *host, uint16_t port, double sources)
{
	struct dslot *sl = NULL;
	uint64_t ka, kb;
	uint8_t addr[16];
	struct dest *d;
	int family;

	if (parse_host(host, &family, addr) < 0 || !(sources >= 1))
		return -EINVAL;
	memcpy(&ka, addr, 8);
	memcpy(&kb, addr + 8, 8);
	d = f->capdests ? dest_find(f, family, ka, kb, port, &sl) : NULL;
	if (!d)
		return -ENOENT;
	d->declared_sources = sources;
	return 0;
}

int hr_facts_trace_dest(hr_facts *f, const char *host, uint16_t port, double rate, double port_failures)
{
	struct dslot *sl = NULL;
	struct trace_dest *t;
	uint64_t ka, kb;
	uint8_t addr[16];
	struct dest *d;
	int family;

	f->traced = true;
	if (!host)
		return 0;
	if (parse_host(host, &family, addr) < 0)
		return -EINVAL;
	/* Kept for a destination declared later (the workload comes after the
	 * probe, which reads a captured tree's trace). */
	if (grow_room((void **)&f->tdests, &f->captdests, f->ntdests, sizeof(*f->tdests)) < 0)
		return -ENOMEM;
	t = &f->tdests[f->ntdests++];
	t->family = family;
	memcpy(t->addr, addr, 16);
	t->port = port;
	t->rate = rate;
	t->port_failures = port_failures;
	memcpy(&ka, addr, 8);
	memcpy(&kb, addr + 8, 8);
	d = f->capdests ? dest_find(f, family, ka, kb, port, &sl) : NULL;
	if (!d)
		return -ENOENT;
	trace_apply(f, d);
	return 0;
}

int hr_facts_declare_inbound(hr_facts *f, uint16_t port, double rate, bool server_closes,
			     const char *source)
{
	static const uint8_t any[16];
	struct inport *in;
	bool known = hr_facts_port_listening(f, port);

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

/* See facts-int.h: the bins of the last w seconds (60: every bin). */
uint32_t hr_tw_bins_count(const uint32_t *bins, int w)
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
	return hr_tw_bins_count(bins, w >= HR_TW_LEN_S ? HR_TW_LEN_S : (int)ceil(w)) / w;
}
