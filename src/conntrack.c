/* conntrack.c: /proc/net/stat/nf_conntrack, and the conntrack entries
 * (ctnetlink or the procfs format) aggregated per NAT tuple and per
 * destination while streaming (see conntrack.h). */
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

/* --------------------------------------------------------------- stat */

int hr_ct_stat_parse(const char *text, struct hr_ct_stat *st, const char **why)
{
	const char *p = text, *eol;
	int col;

	memset(st, 0, sizeof(*st));
	eol = strchr(p, '\n');
	if (!eol) {
		*why = "no header line";
		return -EBADMSG;
	}
	/* Header: column names separated by blanks ("entries  clashres found ..."). */
	while (p < eol) {
		size_t n;

		while (p < eol && isspace((unsigned char)*p))
			p++;
		if (p >= eol)
			break;
		for (n = 0; p + n < eol && !isspace((unsigned char)p[n]); n++)
			if (!isalnum((unsigned char)p[n]) && p[n] != '_') {
				*why = "header: a column name with other than letters, digits, '_'";
				return -EBADMSG;
			}
		if (st->ncols >= HR_CT_STAT_MAXCOLS || n >= sizeof(st->names[0])) {
			*why = "header: too many or too long column names";
			return -EBADMSG;
		}
		memcpy(st->names[st->ncols], p, n);
		st->names[st->ncols][n] = '\0';
		st->ncols++;
		p += n;
	}
	if (st->ncols == 0 || strcmp(st->names[0], "entries")) {
		*why = "header: first column is not 'entries'";
		return -EBADMSG;
	}
	p = eol + 1;
	while (*p) {
		eol = strchr(p, '\n');
		if (!eol)
			eol = p + strlen(p);
		for (col = 0; p < eol; col++) {
			char *end;
			unsigned long long v;

			while (p < eol && isspace((unsigned char)*p))
				p++;
			if (p >= eol)
				break;
			if (col >= st->ncols) {
				*why = "a row with more columns than the header";
				return -EBADMSG;
			}
			errno = 0;
			v = strtoull(p, &end, 16);
			if (end == p || errno || (end < eol && !isspace((unsigned char)*end))) {
				*why = "a row with a value that is not hexadecimal";
				return -EBADMSG;
			}
			/* "entries" is nf_conntrack_count printed on every row. */
			if (col == 0)
				st->sum[0] = v;
			else
				st->sum[col] += v;
			p = end;
		}
		if (col > 0 && col != st->ncols) {
			*why = "a row with fewer columns than the header";
			return -EBADMSG;
		}
		if (col > 0)
			st->rows++;
		p = *eol ? eol + 1 : eol;
	}
	if (st->rows == 0) {
		*why = "no rows";
		return -EBADMSG;
	}
	return 0;
}

int hr_ct_stat_get(const struct hr_ct_stat *st, const char *name, uint64_t *out)
{
	int i;

	for (i = 0; i < st->ncols; i++)
		if (!strcmp(st->names[i], name)) {
			*out = st->sum[i];
			return 0;
		}
	return -ENOENT;
}

int hr_ct_stat_read(hr_facts *f, const struct hr_probe_tree *t)
{
	static const char label[] = "/proc/net/stat/nf_conntrack";
	/* One row of about 160 bytes per CPU. */
	const size_t cap = 4 << 20;
	struct hr_ct_stat st;
	const char *why = NULL;
	char *text = malloc(cap), name[64];
	long n;
	int r, i;

	if (!text)
		return -ENOMEM;
	n = hr_probe_read_regular(t, label, text, cap);
	if (n < 0) {
		free(text);
		return (int)n;
	}
	r = hr_ct_stat_parse(text, &st, &why);
	free(text);
	if (r < 0) {
		hr_facts_add_problem(f, label, "%s", why);
		return r;
	}
	for (i = 1; i < st.ncols; i++) {
		snprintf(name, sizeof(name), "conntrack.stat.%s", st.names[i]);
		hr_facts_set_num(f, name, (double)st.sum[i], label);
	}
	hr_facts_set_num(f, "conntrack.stat.entries", (double)st.sum[0], label);
	hr_facts_set_num(f, "conntrack.stat.cpus", st.rows, label);
	return 0;
}

/* -------------------------------------------------------- aggregation */

/* Age windows of the rate estimates, seconds (the TIME_WAIT histogram's). */
#define NWIN HR_TW_NWINDOWS

/* Per NAT tuple: (proto, family, translated source, destination, port). */
struct nat_tuple {
	bool used;
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
	bool used;
	uint8_t proto, family;
	uint8_t dst[16];
	uint16_t dport;
	uint64_t count;
};

struct hr_ct_agg {
	size_t max, cap; /* cap: slots of each open-addressing table (2 x max, power of 2) */
	double tw_timeout;
	struct nat_tuple *nat;
	struct dest_tuple *dst;
	size_t nnat, ndst;
	uint64_t entries, snat_entries, nat_folded, dst_folded;
	uint64_t by_proto_tcp, by_proto_udp, by_proto_other;
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
	a->nat = calloc(a->cap, sizeof(*a->nat));
	a->dst = calloc(a->cap, sizeof(*a->dst));
	if (!a->nat || !a->dst) {
		hr_ct_agg_free(a);
		return NULL;
	}
	return a;
}

void hr_ct_agg_free(hr_ct_agg *a)
{
	if (!a)
		return;
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

static size_t addr_len(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

/* Finds or makes the NAT tuple of an entry; NULL when the table is full (folded). */
static struct nat_tuple *nat_get(hr_ct_agg *a, const struct hr_ct_entry *e)
{
	size_t al = addr_len(e->family), i;
	uint64_t h = 14695981039346656037ull;

	h = hash_bytes(h, &e->proto, 1);
	h = hash_bytes(h, e->rdst, al);
	h = hash_bytes(h, e->odst, al);
	h = hash_bytes(h, &e->odport, 2);
	for (i = h & (a->cap - 1);; i = (i + 1) & (a->cap - 1)) {
		struct nat_tuple *t = &a->nat[i];

		if (!t->used) {
			if (a->nnat >= a->max)
				return NULL;
			t->used = true;
			t->proto = e->proto;
			t->family = (uint8_t)e->family;
			memcpy(t->tsrc, e->rdst, al);
			memcpy(t->dst, e->odst, al);
			t->dport = e->odport;
			t->port_lo = 65535;
			a->nnat++;
			return t;
		}
		if (t->proto == e->proto && t->family == e->family && t->dport == e->odport &&
		    !memcmp(t->tsrc, e->rdst, al) && !memcmp(t->dst, e->odst, al))
			return t;
	}
}

static struct dest_tuple *dst_get(hr_ct_agg *a, const struct hr_ct_entry *e)
{
	size_t al = addr_len(e->family), i;
	uint64_t h = 14695981039346656037ull;

	h = hash_bytes(h, &e->proto, 1);
	h = hash_bytes(h, e->odst, al);
	h = hash_bytes(h, &e->odport, 2);
	for (i = h & (a->cap - 1);; i = (i + 1) & (a->cap - 1)) {
		struct dest_tuple *t = &a->dst[i];

		if (!t->used) {
			if (a->ndst >= a->max)
				return NULL;
			t->used = true;
			t->proto = e->proto;
			t->family = (uint8_t)e->family;
			memcpy(t->dst, e->odst, al);
			t->dport = e->odport;
			a->ndst++;
			return t;
		}
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
	struct dest_tuple *d;
	struct nat_tuple *t;
	bool closing = e->proto == IPPROTO_TCP &&
		       (e->tcp_state == HR_CT_TCP_TIME_WAIT || e->tcp_state == HR_CT_TCP_CLOSE);

	a->entries++;
	if (e->proto == IPPROTO_TCP)
		a->by_proto_tcp++;
	else if (e->proto == IPPROTO_UDP)
		a->by_proto_udp++;
	else
		a->by_proto_other++;
	d = dst_get(a, e);
	if (d)
		d->count++;
	else
		a->dst_folded++;
	if (!e->snat)
		return;
	a->snat_entries++;
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

/* Rate from ages: when the history (the oldest age seen) is shorter than
 * the largest window, the entries are the arrivals of the whole history:
 * (n - 1) / oldest (the first arrival opens the interval; unbiased for
 * even arrivals); otherwise the count inside the 60 s window / 60 s. */
static double windows_rate(const uint64_t *w, double oldest, uint64_t total, double *win)
{
	*win = 0;
	if (total == 0)
		return 0;
	if (oldest >= hr_tw_windows[NWIN - 1]) {
		*win = hr_tw_windows[NWIN - 1];
		return (double)w[NWIN - 1] / *win;
	}
	/* One arrival alone gives no rate: (1 - 1) / oldest = 0. */
	*win = oldest > 0.1 ? oldest : 0.1;
	return (double)(total - 1) / *win;
}

/* Close rate from the whole-second TIME_WAIT ages: the closes of the last
 * k seconds (q <= k is exactly age <= k) over k, k the longest span the
 * history fully covers (one second less than the oldest, at most 60). */
static double closed_rate(const struct nat_tuple *t, double *win)
{
	uint64_t n = 0;
	int k = t->closed_qmax >= 61 ? 60 : t->closed_qmax - 1, q;

	*win = 0;
	if (t->timewait == 0)
		return 0;
	if (k < 1) {
		/* All closes within the last second or two. */
		*win = t->closed_qmax > 0 ? t->closed_qmax : 1;
		return (double)t->timewait / *win;
	}
	for (q = 0; q <= k; q++)
		n += t->closed_q[q];
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
	hr_facts_set_num(f, "conntrack.destinations", (double)a->ndst, source);
	hr_facts_set_num(f, "conntrack.destinations_folded_entries", (double)a->dst_folded, source);
	hr_facts_set_num(f, "conntrack.tuples_max", (double)a->max, source);
	hr_facts_set_num(f, "conntrack.snat.entries", (double)a->snat_entries, source);
	hr_facts_set_num(f, "conntrack.snat.tuples", (double)a->nnat, source);
	hr_facts_set_num(f, "conntrack.snat.folded_entries", (double)a->nat_folded, source);
	for (i = 0; i < a->cap; i++) {
		if (a->nat[i].used) {
			if (nat_worse(&a->nat[i], top))
				top = &a->nat[i];
			nat_subject(subj, sizeof(subj), &a->nat[i]);
			nat_values(&a->nat[i], &tv, &from);
			tv.subject = subj;
			hr_facts_add_snat_tuple(f, &tv, source);
		}
		if (a->dst[i].used && (!dtop || a->dst[i].count > dtop->count))
			dtop = &a->dst[i];
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

/* ---------------------------------------------------- procfs format */

/* Parses "a.b.c.d" or an IPv6 literal of n bytes into addr. */
static int parse_addr(const char *s, size_t n, int family, uint8_t *addr)
{
	char buf[INET6_ADDRSTRLEN];

	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(addr, 0, 16);
	return inet_pton(family, buf, addr) == 1 ? 0 : -EINVAL;
}

static const char *const tcp_state_names[] = {
	"NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT", "CLOSE_WAIT",
	"LAST_ACK", "TIME_WAIT", "CLOSE", "SYN_SENT2", NULL,
};

int hr_ct_parse_line(const char *line, size_t len, struct hr_ct_entry *e, const char **why)
{
	const char *p = line, *end = line + len;
	int field = 0, nsrc = 0, ndst = 0, nsport = 0, ndport = 0;

	memset(e, 0, sizeof(*e));
	e->tcp_state = -1;
	e->age_s = -1;
	while (p < end) {
		const char *tok, *eq;
		size_t n;

		while (p < end && *p == ' ')
			p++;
		if (p >= end)
			break;
		tok = p;
		while (p < end && *p != ' ')
			p++;
		n = (size_t)(p - tok);
		eq = memchr(tok, '=', n);
		if (field < 5) {
			/* "ipv4 2 tcp 6 117": l3 name, l3 number, l4 name, l4 number, timeout. */
			char *e2;
			unsigned long v = strtoul(tok, &e2, 10);

			if (field == 0) {
				if (n == 4 && !memcmp(tok, "ipv4", 4))
					e->family = AF_INET;
				else if (n == 4 && !memcmp(tok, "ipv6", 4))
					e->family = AF_INET6;
				else {
					*why = "not an ipv4 or ipv6 entry";
					return -EBADMSG;
				}
			} else if (field == 3 || field == 4 || field == 1) {
				if (e2 != p || v > (field == 4 ? 0xffffffffUL : 255)) {
					*why = field == 4 ? "bad timeout" : "bad protocol number";
					return -EBADMSG;
				}
				if (field == 3)
					e->proto = (uint8_t)v;
				if (field == 4)
					e->timeout_s = (uint32_t)v;
			}
			field++;
			continue;
		}
		field++;
		if (!eq) {
			int i;

			if (tok[0] == '[')
				continue; /* [ASSURED], [UNREPLIED], [OFFLOAD] */
			for (i = 0; tcp_state_names[i]; i++)
				if (strlen(tcp_state_names[i]) == n && !memcmp(tok, tcp_state_names[i], n))
					e->tcp_state = i;
			continue;
		}
		{
			size_t kl = (size_t)(eq - tok), vl = n - kl - 1;
			const char *v = eq + 1;
			char num[24];
			unsigned long x;
			char *e2;

			if (kl == 3 && !memcmp(tok, "src", 3)) {
				if (nsrc < 2 && parse_addr(v, vl, e->family, nsrc ? e->rsrc : e->osrc) < 0) {
					*why = "bad src address";
					return -EBADMSG;
				}
				nsrc++;
			} else if (kl == 3 && !memcmp(tok, "dst", 3)) {
				if (ndst < 2 && parse_addr(v, vl, e->family, ndst ? e->rdst : e->odst) < 0) {
					*why = "bad dst address";
					return -EBADMSG;
				}
				ndst++;
			} else if ((kl == 5 && (!memcmp(tok, "sport", 5) || !memcmp(tok, "dport", 5))) ||
				   (kl == 10 && !memcmp(tok, "delta-time", 10))) {
				if (vl == 0 || vl >= sizeof(num)) {
					*why = "bad number";
					return -EBADMSG;
				}
				memcpy(num, v, vl);
				num[vl] = '\0';
				x = strtoul(num, &e2, 10);
				if (*e2 || (kl == 5 && x > 65535)) {
					*why = "bad number";
					return -EBADMSG;
				}
				if (kl == 10)
					e->age_s = (double)x + 0.5; /* whole seconds, rounded down */
				else if (tok[0] == 's') {
					if (nsport == 0)
						e->osport = (uint16_t)x;
					else if (nsport == 1)
						e->rsport = (uint16_t)x;
					nsport++;
				} else {
					if (ndport == 0)
						e->odport = (uint16_t)x;
					else if (ndport == 1)
						e->rdport = (uint16_t)x;
					ndport++;
				}
			}
		}
	}
	if (field < 5 || nsrc < 2 || ndst < 2) {
		*why = "missing fields (want an original and a reply tuple)";
		return -EBADMSG;
	}
	if (e->proto != IPPROTO_TCP)
		e->tcp_state = -1;
	/* Source NAT: the reply goes back to another address or port than the
	 * original came from. */
	e->snat = memcmp(e->rdst, e->osrc, addr_len(e->family)) || e->rdport != e->osport;
	return 0;
}

long hr_ct_read_procfile(hr_ct_agg *a, int fd, const char *label, hr_facts *f)
{
	FILE *fp = fd >= 0 ? fdopen(fd, "r") : NULL;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long count = 0, lineno = 0, bad = 0;

	if (fd < 0)
		return fd;
	if (!fp) {
		close(fd);
		return -errno;
	}
	while ((n = getline(&line, &cap, fp)) >= 0) {
		struct hr_ct_entry e;
		const char *why = NULL;

		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			n--;
		if (n == 0)
			continue;
		if (hr_ct_parse_line(line, (size_t)n, &e, &why) < 0) {
			if (f && bad++ < 10)
				hr_facts_add_problem(f, label, "line %ld: %s", lineno, why);
			continue;
		}
		hr_ct_agg_add(a, &e);
		count++;
	}
	free(line);
	fclose(fp);
	return count;
}

/* ---------------------------------------------------------- ctnetlink */

struct dump_ctx {
	hr_ct_agg *a;
	long n;
	double now_real;
};

/* Copies an address attribute of an entry. */
static void get_addr(const struct nf_conntrack *ct, int family, enum nf_conntrack_attr a4,
		     enum nf_conntrack_attr a6, uint8_t *out)
{
	const void *p;

	memset(out, 0, 16);
	if (family == AF_INET) {
		uint32_t v = nfct_get_attr_u32(ct, a4);

		memcpy(out, &v, 4);
	} else if ((p = nfct_get_attr(ct, a6)) != NULL) {
		memcpy(out, p, 16);
	}
}

static int dump_cb(enum nf_conntrack_msg_type type, struct nf_conntrack *ct, void *data)
{
	struct dump_ctx *c = data;
	struct hr_ct_entry e;

	(void)type;
	memset(&e, 0, sizeof(e));
	e.family = nfct_get_attr_u8(ct, ATTR_ORIG_L3PROTO);
	if (e.family != AF_INET && e.family != AF_INET6)
		return NFCT_CB_CONTINUE;
	e.proto = nfct_get_attr_u8(ct, ATTR_ORIG_L4PROTO);
	get_addr(ct, e.family, ATTR_ORIG_IPV4_SRC, ATTR_ORIG_IPV6_SRC, e.osrc);
	get_addr(ct, e.family, ATTR_ORIG_IPV4_DST, ATTR_ORIG_IPV6_DST, e.odst);
	get_addr(ct, e.family, ATTR_REPL_IPV4_SRC, ATTR_REPL_IPV6_SRC, e.rsrc);
	get_addr(ct, e.family, ATTR_REPL_IPV4_DST, ATTR_REPL_IPV6_DST, e.rdst);
	e.osport = ntohs(nfct_get_attr_u16(ct, ATTR_ORIG_PORT_SRC));
	e.odport = ntohs(nfct_get_attr_u16(ct, ATTR_ORIG_PORT_DST));
	e.rsport = ntohs(nfct_get_attr_u16(ct, ATTR_REPL_PORT_SRC));
	e.rdport = ntohs(nfct_get_attr_u16(ct, ATTR_REPL_PORT_DST));
	e.tcp_state = e.proto == IPPROTO_TCP && nfct_attr_is_set(ct, ATTR_TCP_STATE) > 0
			      ? nfct_get_attr_u8(ct, ATTR_TCP_STATE)
			      : -1;
	e.timeout_s = nfct_get_attr_u32(ct, ATTR_TIMEOUT);
	e.age_s = -1;
	if (nfct_attr_is_set(ct, ATTR_TIMESTAMP_START) > 0) {
		/* ktime_get_real_ns() at creation (nf_conntrack_timestamp.h). */
		double start = (double)nfct_get_attr_u64(ct, ATTR_TIMESTAMP_START) / 1e9;

		e.age_s = c->now_real > start ? c->now_real - start : 0;
	}
	e.snat = (nfct_get_attr_u32(ct, ATTR_STATUS) & IPS_SRC_NAT) != 0;
	hr_ct_agg_add(c->a, &e);
	c->n++;
	return NFCT_CB_CONTINUE;
}

long hr_ct_dump(hr_ct_agg *a, struct hr_err *err)
{
	struct nfct_handle *h;
	struct dump_ctx c = {.a = a};
	struct timespec ts;
	uint32_t family = AF_UNSPEC;
	int r;

	clock_gettime(CLOCK_REALTIME, &ts);
	c.now_real = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	h = nfct_open(CONNTRACK, 0);
	if (!h) {
		r = errno ? -errno : -EPROTONOSUPPORT;
		hr_err_set(err, r, "ctnetlink: cannot open: %s", strerror(-r));
		return r;
	}
	nfct_callback_register(h, NFCT_T_ALL, dump_cb, &c);
	r = nfct_query(h, NFCT_Q_DUMP, &family);
	if (r < 0) {
		r = errno ? -errno : -EIO;
		nfct_close(h);
		hr_err_set(err, r, "ctnetlink: dump: %s%s", strerror(-r),
			   r == -EPERM ? " (needs CAP_NET_ADMIN: run as root)" : "");
		return r;
	}
	nfct_close(h);
	return c.n;
}

/* -------------------------------------------------------------- probe */

/* True when a ctnetlink request needs no module load: a kernel without
 * modules (no /proc/modules: built in), or nf_conntrack_netlink loaded. */
static bool ctnetlink_present(void)
{
	FILE *fp;
	char line[256];
	bool found = false;

	if (access("/sys/module/nf_conntrack_netlink", F_OK) == 0)
		return true;
	fp = fopen("/proc/modules", "re");
	if (!fp)
		return true;
	while (!found && fgets(line, sizeof(line), fp))
		found = !strncmp(line, "nf_conntrack_netlink ", 21);
	fclose(fp);
	return found;
}

void hr_ct_probe(hr_facts *f, const struct hr_probe_tree *t, double tw_timeout_s)
{
	struct hr_err err = {0};
	hr_ct_agg *a;
	long n;
	bool live = !t->root || !*t->root;
	int r, fd;

	r = hr_ct_stat_read(f, t);
	if (r < 0) {
		char why[160];

		snprintf(why, sizeof(why), "/proc/net/stat/nf_conntrack: %s",
			 r == -ENOENT ? "absent (nf_conntrack not loaded, or not captured)"
			 : r == -EINVAL ? "refused: not a regular file"
			 : r == -ELOOP ? "refused: a symlink"
				      : strerror(-r));
		hr_facts_set_missing(f, "conntrack.stat.insert_failed", why);
		hr_facts_set_missing(f, "conntrack.stat.drop", why);
		hr_facts_set_missing(f, "conntrack.stat.early_drop", why);
	}
	a = hr_ct_agg_new(HR_CT_MAX_TUPLES, tw_timeout_s);
	if (!a)
		return;
	if (live && access("/proc/sys/net/netfilter/nf_conntrack_max", F_OK) < 0) {
		/* No conntrack: nothing tracked, and a ctnetlink request would
		 * make the kernel load the modules. */
		hr_facts_set_missing(f, "conntrack.entries", "nf_conntrack not loaded (nothing is tracked)");
		hr_facts_set_missing(f, "conntrack.snat.tuples", "nf_conntrack not loaded (nothing is tracked)");
	} else if (live && ctnetlink_present()) {
		n = hr_ct_dump(a, &err);
		if (n >= 0) {
			hr_ct_agg_to_facts(a, f, "ctnetlink dump");
		} else {
			hr_facts_set_missing(f, "conntrack.entries", err.msg);
			hr_facts_set_missing(f, "conntrack.snat.tuples", err.msg);
		}
	} else {
		/* A tree, or live without nf_conntrack_netlink (headroom does not
		 * load modules): the procfs format. */
		fd = hr_probe_open_regular(t, "/proc/net/nf_conntrack");
		if (fd >= 0 && (n = hr_ct_read_procfile(a, fd, "/proc/net/nf_conntrack", f)) >= 0) {
			hr_ct_agg_to_facts(a, f, "/proc/net/nf_conntrack");
		} else {
			const char *why = live ? "nf_conntrack_netlink not loaded (headroom does not load modules) "
						 "and no /proc/net/nf_conntrack"
					  : fd == -EINVAL ? "/proc/net/nf_conntrack refused: not a regular file"
					  : fd == -ELOOP  ? "/proc/net/nf_conntrack refused: a symlink"
							  : "/proc/net/nf_conntrack not in the tree (no conntrack entries captured)";

			hr_facts_set_missing(f, "conntrack.entries", why);
			hr_facts_set_missing(f, "conntrack.snat.tuples", why);
		}
	}
	hr_ct_agg_free(a);
}

void hr_ct_probe_facts(hr_facts *f, const struct hr_probe_tree *t)
{
	struct hr_value v;
	double tw = 120;

	if (hr_facts_get(f, "net.netfilter.nf_conntrack_tcp_timeout_time_wait", -1, &v) == 0 &&
	    v.type == HR_V_NUM && v.num > 0)
		tw = v.num;
	hr_ct_probe(f, t, tw);
}
