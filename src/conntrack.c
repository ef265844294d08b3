/* conntrack.c: the conntrack entries aggregated while streaming, per NAT
 * tuple and per destination, into a bounded table (see conntrack.h), and
 * that table as facts. The sources are in conntrack-read.c. May call: the
 * facts setters only. */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "conntrack.h"

/* -------------------------------------------------------- aggregation */

/* Age windows of the rate estimates, seconds (the TIME_WAIT histogram's). */
#define NWIN HR_TW_NWINDOWS

/* Per NAT tuple: (proto, family, translated source, destination, port). */
struct nat_tuple {
	uint8_t proto;
	uint8_t family;
	uint8_t tsrc[16], dst[16];
	uint16_t dport;
	uint64_t in_use, busy, closing, timewait;
	uint64_t born[NWIN], expiring[NWIN];
	/* TIME_WAIT entries by whole seconds since they entered it (the
	 * kernel's rounding: q = ceil(age)); CLOSED_BINS - 1 = older. */
	uint32_t closed_q[62];
	int closed_qmax;
	uint64_t born_known;
	double born_oldest;
	uint16_t port_lo, port_hi;
};

/* Per original destination and protocol: a count. */
struct dest_tuple {
	uint8_t proto, family;
	uint8_t dst[16];
	uint16_t dport;
	uint64_t count;
};

/* Each table is open addressing over cap slots holding an index into a
 * dense array (index + 1; 0 = empty), grown on demand: an empty or small
 * table costs a few pages, not cap x 500 bytes of zeroed tuples (which the
 * walk in hr_ct_agg_to_facts then faulted in: a quarter of a quiet probe).
 * The slot tables are made with the first entry (a namespace that tracks
 * nothing never touches them). The facts are written in slot order, as
 * before. */
struct hr_ct_agg {
	size_t max, cap; /* cap: slots of each open-addressing table (2 x max, power of 2) */
	double tw_timeout;
	uint32_t *nat_slot, *dst_slot;
	struct nat_tuple *nat;
	struct dest_tuple *dst;
	size_t nnat, ndst, capnat, capdst;
	uint64_t entries, snat_entries, nat_folded, dst_folded;
	uint64_t by_proto_tcp, by_proto_udp, by_proto_other, by_dns;
};

hr_ct_agg *hr_ct_agg_new(size_t max_tuples, double tw_timeout_s)
{
	hr_ct_agg *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->max = max_tuples ? max_tuples : 1;
	for (a->cap = 2; a->cap < 2 * a->max; a->cap *= 2)
		;
	a->tw_timeout = tw_timeout_s > 0 ? tw_timeout_s : 120;
	return a;
}

void hr_ct_agg_free(hr_ct_agg *a)
{
	if (!a)
		return;
	free(a->nat_slot);
	free(a->dst_slot);
	free(a->nat);
	free(a->dst);
	free(a);
}

/* FNV-1a over a key's bytes. */
static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		h = (h ^ *b++) * 1099511628211ull;
	return h;
}

/* Makes room for element n of a dense array of *cap elements (doubling,
 * from 16, at most max). A pointer to element n, zeroed, or NULL. */
static void *dense_room(void **arr, size_t *cap, size_t n, size_t max, size_t elem)
{
	if (n >= *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		void *p;

		if (ncap > max)
			ncap = max;
		p = realloc(*arr, ncap * elem);
		if (!p)
			return NULL;
		*arr = p;
		*cap = ncap;
	}
	return memset((char *)*arr + n * elem, 0, elem);
}

/* Finds or makes the NAT tuple of an entry; NULL when the table is full (folded). */
static struct nat_tuple *nat_get(hr_ct_agg *a, const struct hr_ct_entry *e)
{
	size_t al = hr_ct_addr_len(e->family), i;
	uint64_t h = 14695981039346656037ull;

	h = hash_bytes(h, &e->proto, 1);
	h = hash_bytes(h, e->rdst, al);
	h = hash_bytes(h, e->odst, al);
	h = hash_bytes(h, &e->odport, 2);
	for (i = h & (a->cap - 1);; i = (i + 1) & (a->cap - 1)) {
		struct nat_tuple *t;

		if (!a->nat_slot[i]) {
			if (a->nnat >= a->max)
				return NULL;
			t = dense_room((void **)&a->nat, &a->capnat, a->nnat, a->max, sizeof(*t));
			if (!t)
				return NULL;
			a->nat_slot[i] = (uint32_t)++a->nnat;
			t->proto = e->proto;
			t->family = (uint8_t)e->family;
			memcpy(t->tsrc, e->rdst, al);
			memcpy(t->dst, e->odst, al);
			t->dport = e->odport;
			t->port_lo = 65535;
			return t;
		}
		t = &a->nat[a->nat_slot[i] - 1];
		if (t->proto == e->proto && t->family == e->family && t->dport == e->odport &&
		    !memcmp(t->tsrc, e->rdst, al) && !memcmp(t->dst, e->odst, al))
			return t;
	}
}

static struct dest_tuple *dst_get(hr_ct_agg *a, const struct hr_ct_entry *e)
{
	size_t al = hr_ct_addr_len(e->family), i;
	uint64_t h = 14695981039346656037ull;

	h = hash_bytes(h, &e->proto, 1);
	h = hash_bytes(h, e->odst, al);
	h = hash_bytes(h, &e->odport, 2);
	for (i = h & (a->cap - 1);; i = (i + 1) & (a->cap - 1)) {
		struct dest_tuple *t;

		if (!a->dst_slot[i]) {
			if (a->ndst >= a->max)
				return NULL;
			t = dense_room((void **)&a->dst, &a->capdst, a->ndst, a->max, sizeof(*t));
			if (!t)
				return NULL;
			a->dst_slot[i] = (uint32_t)++a->ndst;
			t->proto = e->proto;
			t->family = (uint8_t)e->family;
			memcpy(t->dst, e->odst, al);
			t->dport = e->odport;
			return t;
		}
		t = &a->dst[a->dst_slot[i] - 1];
		if (t->proto == e->proto && t->family == e->family && t->dport == e->odport &&
		    !memcmp(t->dst, e->odst, al))
			return t;
	}
}

/* Counts an age into the windows it falls inside. */
static void windows_add(uint64_t *w, double age)
{
	int k;

	for (k = 0; k < NWIN; k++)
		if (age < hr_tw_windows[k])
			w[k]++;
}

void hr_ct_agg_add(hr_ct_agg *a, const struct hr_ct_entry *e)
{
	struct dest_tuple *d = NULL;
	struct nat_tuple *t = NULL;
	bool closing = e->proto == IPPROTO_TCP &&
		       (e->tcp_state == HR_CT_TCP_TIME_WAIT || e->tcp_state == HR_CT_TCP_CLOSE);
	bool slots;

	if (!a->nat_slot && !a->dst_slot) {
		a->nat_slot = calloc(a->cap, sizeof(*a->nat_slot));
		a->dst_slot = calloc(a->cap, sizeof(*a->dst_slot));
	}
	/* Out of memory for the tables: every entry counted, as folded. */
	slots = a->nat_slot && a->dst_slot;
	a->entries++;
	if (e->proto == IPPROTO_TCP)
		a->by_proto_tcp++;
	else if (e->proto == IPPROTO_UDP)
		a->by_proto_udp++, a->by_dns += e->odport == 53;
	else
		a->by_proto_other++;
	if (slots)
		d = dst_get(a, e);
	if (d)
		d->count++;
	else
		a->dst_folded++;
	if (!e->snat)
		return;
	a->snat_entries++;
	if (slots)
		t = nat_get(a, e);
	if (!t) {
		a->nat_folded++;
		return;
	}
	t->in_use++;
	if (e->rdport < t->port_lo)
		t->port_lo = e->rdport;
	if (e->rdport > t->port_hi)
		t->port_hi = e->rdport;
	if (e->age_s >= 0) {
		t->born_known++;
		windows_add(t->born, e->age_s);
		if (e->age_s > t->born_oldest)
			t->born_oldest = e->age_s;
	}
	if (closing) {
		/* Time since the entry entered TIME_WAIT (its timeout was set to
		 * the whole TIME_WAIT timeout then, nf_conntrack_proto_tcp.c). The
		 * kernel reports whole seconds left, rounded down: q = T - left is
		 * the age rounded up. */
		double q = a->tw_timeout - (double)e->timeout_s;
		int b = q < 0 ? 0 : q > 61 ? 61 : (int)q;

		t->closing++;
		if (e->tcp_state == HR_CT_TCP_TIME_WAIT) {
			t->timewait++;
			t->closed_q[b]++;
			if (b > t->closed_qmax)
				t->closed_qmax = b;
		}
		/* Released within w seconds: timeout left below w. */
		windows_add(t->expiring, (double)e->timeout_s);
	} else {
		t->busy++;
	}
}

/* Entries a window must hold before a shorter window is trusted (the rate
 * to 1%). */
#define RATE_MIN_COUNT 100

/* Rate from ages: the shortest window the history covers (1, 5, 10, 30,
 * 60 s) holding at least RATE_MIN_COUNT entries; when none does, the whole
 * history, (n - 1) / oldest (the first arrival opens the interval;
 * unbiased for even arrivals), or past 60 s the 60 s window. Young windows
 * first: since 6.5 a new SYN may evict a TCP entry in TIME_WAIT to take
 * its port (nf_nat_used_tuple_harder()), so the older an arrival, the more
 * likely it is gone from the table; the youngest are all still there. */
static double windows_rate(const uint64_t *w, double oldest, uint64_t total, double *win)
{
	int k;

	*win = 0;
	if (total == 0)
		return 0;
	for (k = 0; k < NWIN && hr_tw_windows[k] <= oldest; k++)
		if (w[k] >= RATE_MIN_COUNT) {
			*win = hr_tw_windows[k];
			return (double)w[k] / *win;
		}
	if (oldest >= hr_tw_windows[NWIN - 1]) {
		*win = hr_tw_windows[NWIN - 1];
		return (double)w[NWIN - 1] / *win;
	}
	/* One arrival alone gives no rate: (1 - 1) / oldest = 0. */
	*win = oldest > 0.1 ? oldest : 0.1;
	return (double)(total - 1) / *win;
}

/* Close rate from the whole-second TIME_WAIT ages: the closes of the last
 * k seconds (q <= k is exactly age <= k) over k. k is the shortest of 1, 5,
 * 10, 30 and 60 s with RATE_MIN_COUNT closes, else the longest span the
 * history fully covers (one second less than the oldest, at most 60):
 * young first, as entries evicted from TIME_WAIT (see windows_rate) are
 * missing from the older ages. */
static double closed_rate(const struct nat_tuple *t, double *win)
{
	uint64_t n = 0;
	int k = t->closed_qmax >= 61 ? 60 : t->closed_qmax - 1, q, j = 0;

	*win = 0;
	if (t->timewait == 0)
		return 0;
	if (k < 1) {
		/* All closes within the last second or two. */
		*win = t->closed_qmax > 0 ? t->closed_qmax : 1;
		return (double)t->timewait / *win;
	}
	for (q = 0; q <= k; q++) {
		n += t->closed_q[q];
		while (j < NWIN && hr_tw_windows[j] < q)
			j++;
		if (j < NWIN && hr_tw_windows[j] == q && n >= RATE_MIN_COUNT) {
			*win = q;
			return (double)n / q;
		}
	}
	*win = k;
	return (double)n / k;
}

/* Formats a NAT tuple's subject without spaces: "10.0.0.1->10.0.0.2:80/tcp"
 * (translated source, destination, protocol). */
static void nat_subject(char *buf, size_t n, const struct nat_tuple *t)
{
	char src[INET6_ADDRSTRLEN + 2], ep[INET6_ADDRSTRLEN + 8];
	char ip[INET6_ADDRSTRLEN];

	inet_ntop(t->family, t->tsrc, ip, sizeof(ip));
	snprintf(src, sizeof(src), t->family == AF_INET6 ? "[%s]" : "%s", ip);
	hr_format_endpoint(ep, sizeof(ep), t->family, t->dst, t->dport);
	snprintf(buf, n, "%s->%s/%s", src, ep,
		 t->proto == IPPROTO_TCP ? "tcp" : t->proto == IPPROTO_UDP ? "udp" : "other");
}

/* Orders NAT tuples for "the top one": held ports first, then ports in use. */
static bool nat_worse(const struct nat_tuple *x, const struct nat_tuple *y)
{
	if (!y)
		return true;
	if (x->busy != y->busy)
		return x->busy > y->busy;
	return x->in_use > y->in_use;
}

static const char *const why_rate =
	"no creation timestamps (net.netfilter.nf_conntrack_timestamp = 0) and no closed entries";
static const char *const why_oldest = "entry ages need net.netfilter.nf_conntrack_timestamp = 1";

/* A tuple's values as the facts hold them; *from says where the rate came from. */
static void nat_values(const struct nat_tuple *t, struct hr_snat_tuple *out, const char **from)
{
	double w_born = 0, w_closed = 0, r_born, r_closed;

	memset(out, 0, sizeof(*out));
	out->v[HR_SNAT_PROTO] = t->proto;
	out->v[HR_SNAT_IN_USE] = (double)t->in_use;
	out->v[HR_SNAT_BUSY] = (double)t->busy;
	out->v[HR_SNAT_CLOSING] = (double)t->closing;
	out->v[HR_SNAT_PORT_LOW] = t->port_lo;
	out->v[HR_SNAT_PORT_HIGH] = t->port_hi;
	r_born = windows_rate(t->born, t->born_oldest, t->born_known, &w_born);
	r_closed = closed_rate(t, &w_closed);
	out->v[HR_SNAT_CLOSE_RATE] = r_closed;
	/* Entries released within 10 s: closing ones whose timeout ends by then. */
	out->v[HR_SNAT_EXPIRE_RATE] = (double)t->expiring[2] / hr_tw_windows[2];
	/* Creation times, when the timestamp extension is on, are exact;
	 * otherwise the close rate stands for it (steady state). */
	if (t->born_known) {
		*from = "creation timestamps (nf_conntrack_timestamp)";
		out->v[HR_SNAT_RATE] = r_born;
		out->v[HR_SNAT_RATE_WINDOW] = w_born;
		out->v[HR_SNAT_OLDEST] = t->born_oldest;
	} else {
		out->missing[HR_SNAT_OLDEST] = why_oldest;
		if (t->timewait) {
			*from = "TIME_WAIT ages (nf_conntrack_tcp_timeout_time_wait - timeout left)";
			out->v[HR_SNAT_RATE] = r_closed;
			out->v[HR_SNAT_RATE_WINDOW] = w_closed;
		} else {
			*from = why_rate;
			out->missing[HR_SNAT_RATE] = why_rate;
			out->missing[HR_SNAT_RATE_WINDOW] = why_rate;
		}
	}
}

void hr_ct_agg_to_facts(const hr_ct_agg *a, hr_facts *f, const char *source)
{
	const struct nat_tuple *top = NULL;
	const struct dest_tuple *dtop = NULL;
	struct hr_snat_tuple tv;
	const char *from = NULL;
	char subj[160], name[64];
	size_t i;
	int j;

	hr_facts_set_num(f, "conntrack.entries", (double)a->entries, source);
	hr_facts_set_num(f, "conntrack.entries_tcp", (double)a->by_proto_tcp, source);
	hr_facts_set_num(f, "conntrack.entries_udp", (double)a->by_proto_udp, source);
	hr_facts_set_num(f, "conntrack.entries_dns", (double)a->by_dns, source);
	hr_facts_set_num(f, "conntrack.destinations", (double)a->ndst, source);
	hr_facts_set_num(f, "conntrack.destinations_folded_entries", (double)a->dst_folded, source);
	hr_facts_set_num(f, "conntrack.tuples_max", (double)a->max, source);
	hr_facts_set_num(f, "conntrack.snat.entries", (double)a->snat_entries, source);
	hr_facts_set_num(f, "conntrack.snat.tuples", (double)a->nnat, source);
	hr_facts_set_num(f, "conntrack.snat.folded_entries", (double)a->nat_folded, source);
	for (i = 0; i < a->cap && a->nat_slot && a->dst_slot; i++) {
		if (a->nat_slot[i]) {
			const struct nat_tuple *t = &a->nat[a->nat_slot[i] - 1];

			if (nat_worse(t, top))
				top = t;
			nat_subject(subj, sizeof(subj), t);
			nat_values(t, &tv, &from);
			tv.subject = subj;
			hr_facts_add_snat_tuple(f, &tv, source);
		}
		if (a->dst_slot[i] && (!dtop || a->dst[a->dst_slot[i] - 1].count > dtop->count))
			dtop = &a->dst[a->dst_slot[i] - 1];
	}
	if (dtop) {
		char ep[INET6_ADDRSTRLEN + 8];

		hr_format_endpoint(ep, sizeof(ep), dtop->family, dtop->dst, dtop->dport);
		snprintf(subj, sizeof(subj), "%s/%s", ep,
			 dtop->proto == IPPROTO_TCP ? "tcp" : dtop->proto == IPPROTO_UDP ? "udp" : "other");
		hr_facts_set_str(f, "conntrack.top_destination", subj, source);
		hr_facts_set_num(f, "conntrack.top_destination_entries", (double)dtop->count, source);
	} else {
		hr_facts_set_missing(f, "conntrack.top_destination", "no tracked connections");
		hr_facts_set_missing(f, "conntrack.top_destination_entries", "no tracked connections");
	}
	/* The tuple holding the most ports, also as scalars. */
	if (!top) {
		for (j = 0; j < HR_SNAT_NFIELDS; j++) {
			snprintf(name, sizeof(name), "conntrack.snat.top.%s", hr_snat_field_name((enum hr_snat_field)j));
			hr_facts_set_missing(f, name, "no source-NAT entries");
		}
		hr_facts_set_missing(f, "conntrack.snat.top.subject", "no source-NAT entries");
		hr_facts_set_missing(f, "conntrack.snat.top.rate_from", "no source-NAT entries");
		return;
	}
	nat_subject(subj, sizeof(subj), top);
	nat_values(top, &tv, &from);
	hr_facts_set_str(f, "conntrack.snat.top.subject", subj, source);
	hr_facts_set_str(f, "conntrack.snat.top.rate_from", from, source);
	for (j = 0; j < HR_SNAT_NFIELDS; j++) {
		snprintf(name, sizeof(name), "conntrack.snat.top.%s", hr_snat_field_name((enum hr_snat_field)j));
		if (tv.missing[j])
			hr_facts_set_missing(f, name, tv.missing[j]);
		else
			hr_facts_set_num(f, name, tv.v[j], source);
	}
}
