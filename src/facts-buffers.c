/* facts-buffers.c: each TCP socket's path and buffers (tcp_info and
 * skmeminfo of the one sock_diag dump, hr_sock.buf) folded per outbound
 * destination and per listening port while the dump streams: constant
 * memory per aggregate (a log histogram for the median RTT, no sample
 * kept), made at the first socket that brings them. The item fields
 * "dest.buf_*" and "listener.buf_*", the declared path "dest.path_*", and
 * "sockets.buf_*". May call: facts-int.h (facts.c's entries). */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "facts-int.h"

/* The RTT histogram: each octave of microseconds in four equal bins
 * (bin 4k + j holds (4 + j) / 4 x 2^k .. (5 + j) / 4 x 2^k us, at most 25%
 * wide), so the median is within 12.5% of the true one; 1 us .. 2^24 us
 * (16.7 s; longer counts in the last bin). No log() per socket. */
#define RTT_BINS 96

struct hr_bufagg {
	uint32_t nsock;               /* sockets with tcp_info */
	uint32_t rtt_hist[RTT_BINS];  /* smoothed RTT (tcpi_rtt) per socket */
	uint32_t min_rtt_us;          /* lowest tcpi_min_rtt */
	double rate;                  /* highest tcpi_delivery_rate, bytes/s */
	/* The socket that delivered fastest: its window and buffers, so a
	 * rule scales from what that socket reached. */
	uint32_t rate_rtt_us, rate_min_rtt_us, rate_sndbuf, rate_rcvbuf, rate_snd_wnd;
	double busy_us, rwnd_us, sndbuf_us; /* summed over the sockets */
	double bytes;                 /* bytes_acked + bytes_received, summed */
	double acked;                 /* bytes_acked alone: sent and acknowledged */
	uint32_t nmem;                /* sockets with skmeminfo */
	uint32_t sndbuf_max, rcvbuf_max;
	double wmem_queued, rmem_alloc; /* summed: bytes queued now */
	double drops;
	/* The receive side (this host's receive buffer): the socket that
	 * received fastest per round trip, rcv_space / RTT (what the
	 * application read in one receiver RTT, tcp_rcv_space_adjust()), and
	 * its receive buffer then. */
	double rcv_rate, received;
	uint32_t rcv_rcvbuf, rcv_space, rcv_rtt_us;
};

static int rtt_bin(uint32_t us)
{
	int k, b;

	if (us < 4)
		return (int)us; /* 0..3 us: exact, in the first four bins */
	k = 31 - __builtin_clz(us);
	b = 4 * k + (int)((us >> (k - 2)) & 3);
	return b >= RTT_BINS ? RTT_BINS - 1 : b;
}

/* The median of the histogram: the middle of its bin, seconds. */
static double rtt_median_s(const struct hr_bufagg *a)
{
	uint32_t seen = 0, n = 0;
	int i;

	for (i = 0; i < RTT_BINS; i++)
		n += a->rtt_hist[i];
	for (i = 0; i < RTT_BINS; i++) {
		seen += a->rtt_hist[i];
		if (seen * 2 >= n && n)
			return (i < 8 ? i : ldexp((4 + (i & 3) + 0.5) / 4.0, i / 4)) / 1e6;
	}
	return NAN;
}

void hr_facts_buf_add(struct hr_bufagg **ap, const struct hr_tcpbuf *b)
{
	struct hr_bufagg *a = *ap;

	if (!a) {
		a = calloc(1, sizeof(*a));
		if (!a)
			return; /* out of memory: the buffer facts stay missing */
		*ap = a;
	}
	if (b->have_info) {
		a->nsock++;
		a->rtt_hist[rtt_bin(b->rtt_us)]++;
		if (b->min_rtt_us && (!a->min_rtt_us || b->min_rtt_us < a->min_rtt_us))
			a->min_rtt_us = b->min_rtt_us;
		if ((double)b->delivery_rate > a->rate || a->nsock == 1) {
			a->rate = (double)b->delivery_rate;
			a->rate_rtt_us = b->rtt_us;
			a->rate_min_rtt_us = b->min_rtt_us;
			a->rate_sndbuf = b->sndbuf;
			a->rate_rcvbuf = b->rcvbuf;
			a->rate_snd_wnd = b->snd_wnd;
		}
		a->busy_us += (double)b->busy_us;
		a->rwnd_us += (double)b->rwnd_us;
		a->sndbuf_us += (double)b->sndbuf_us;
		a->bytes += (double)b->bytes_acked + (double)b->bytes_received;
		a->acked += (double)b->bytes_acked;
		a->received += (double)b->bytes_received;
		if (b->rcv_space && b->bytes_received) {
			/* The receiver's RTT estimate, else the smoothed one (a
			 * pure receiver has few RTT samples of its own). */
			uint32_t rtt = b->rcv_rtt_us ? b->rcv_rtt_us : b->rtt_us;
			double r = rtt ? b->rcv_space / (rtt / 1e6) : 0;

			if (r > a->rcv_rate) {
				a->rcv_rate = r;
				a->rcv_rcvbuf = b->have_mem ? b->rcvbuf : 0;
				a->rcv_space = b->rcv_space;
				a->rcv_rtt_us = rtt;
			}
		}
	}
	if (b->have_mem) {
		a->nmem++;
		if (b->sndbuf > a->sndbuf_max)
			a->sndbuf_max = b->sndbuf;
		if (b->rcvbuf > a->rcvbuf_max)
			a->rcvbuf_max = b->rcvbuf;
		a->wmem_queued += b->wmem_queued;
		a->rmem_alloc += b->rmem_alloc;
		a->drops += b->drops;
	}
}

void hr_facts_buf_free(struct hr_bufagg *a)
{
	free(a);
}

const char *const hr_facts_buf_fields[] = {
	"buf_sockets", "buf_min_rtt", "buf_rtt", "buf_rtt_median", "buf_rate", "buf_rate_busy", "buf_busy",
	"buf_rwnd_limited", "buf_sndbuf_limited", "buf_cwnd_limited", "buf_sndbuf", "buf_rcvbuf",
	"buf_snd_wnd", "buf_sndbuf_max", "buf_rcvbuf_max", "buf_queued", "buf_drops", "buf_bytes",
	"buf_own_size", "buf_received", "buf_rcv_rate", "buf_rcv_rcvbuf", "buf_rcv_space", "buf_rcv_rtt",
	"path_rtt", "path_rate", NULL,
};

bool hr_facts_buf_field_known(const char *k)
{
	int i;

	for (i = 0; hr_facts_buf_fields[i]; i++)
		if (!strcmp(k, hr_facts_buf_fields[i]))
			return true;
	return false;
}

/* Field 2 (the maximum) of a three-field sysctl, or -1 when not read. */
static double sysctl_max(const hr_facts *f, const char *name, const char **src)
{
	const struct entry *e = hr_facts_ent_find(f, name);

	if (!e || e->missing || !e->is_num || e->nfields < 3)
		return -1;
	*src = e->source;
	return e->fields[2];
}

/* See facts-int.h: one buf_* or path_* field of an aggregate. */
int hr_facts_buf_get(const hr_facts *f, const struct hr_bufagg *a, const struct hr_path *p, const char *k,
		     struct hr_value *out)
{
	const char *src = "netlink sock_diag (tcp_info, skmeminfo)";

	if (!hr_facts_buf_field_known(k))
		return -ENOENT;
	if (!strncmp(k, "path_", 5)) {
		if (!p || !p->declared)
			hr_val_missing(out, "no declared path (workload: rtt, bandwidth)");
		else
			hr_val_num(out, k[5] == 'r' && k[6] == 't' ? p->rtt_s : p->rate, p->source);
		return 0;
	}
	if (!a || (!a->nsock && !a->nmem)) {
		hr_val_missing(out, f->have_sockets ? "no socket here brought tcp_info or skmeminfo"
						    : "sockets not read");
		if (!strcmp(k, "buf_sockets") && f->have_sockets)
			hr_val_num(out, 0, src);
		return 0;
	}
	if (!strcmp(k, "buf_sockets"))
		hr_val_num(out, a->nsock, src);
	else if (!strcmp(k, "buf_min_rtt"))
		a->min_rtt_us ? hr_val_num(out, a->min_rtt_us / 1e6, src) : hr_val_missing(out, "no min_rtt yet");
	else if (!strcmp(k, "buf_rtt"))
		hr_val_num(out, a->rate_rtt_us / 1e6, src);
	else if (!strcmp(k, "buf_rtt_median"))
		a->nsock ? hr_val_num(out, rtt_median_s(a), src) : hr_val_missing(out, "no tcp_info");
	else if (!strcmp(k, "buf_rate"))
		hr_val_num(out, a->rate, src);
	else if (!strcmp(k, "buf_rate_busy"))
		/* What the sockets sent while they had data to send: the rate
		 * their windows allowed, slow start included (bytes/s). */
		a->busy_us > 0 ? hr_val_num(out, a->acked / (a->busy_us / 1e6), src)
			       : hr_val_missing(out, "no busy time (no data sent)");
	else if (!strcmp(k, "buf_busy"))
		hr_val_num(out, a->busy_us / 1e6, src);
	else if (!strcmp(k, "buf_rwnd_limited") || !strcmp(k, "buf_sndbuf_limited") || !strcmp(k, "buf_cwnd_limited")) {
		/* Shares of the busy time (tcp_get_info_chrono_stats(),
		 * net/ipv4/tcp.c): busy is the whole time with data to send,
		 * rwnd and sndbuf limited parts of it; the rest is the time
		 * the congestion window (or the path) set the pace. */
		double part = k[4] == 'r' ? a->rwnd_us : k[4] == 's' ? a->sndbuf_us
						       : a->busy_us - a->rwnd_us - a->sndbuf_us;

		if (a->busy_us <= 0)
			hr_val_missing(out, "no busy time (no data sent)");
		else
			hr_val_num(out, part > 0 ? part / a->busy_us : 0, src);
	} else if (!strcmp(k, "buf_sndbuf"))
		hr_val_num(out, a->rate_sndbuf, src);
	else if (!strcmp(k, "buf_rcvbuf"))
		hr_val_num(out, a->rate_rcvbuf, src);
	else if (!strcmp(k, "buf_snd_wnd"))
		a->rate_snd_wnd ? hr_val_num(out, a->rate_snd_wnd, src)
				: hr_val_missing(out, "tcpi_snd_wnd not given (kernel before 5.19?)");
	else if (!strcmp(k, "buf_sndbuf_max"))
		hr_val_num(out, a->sndbuf_max, src);
	else if (!strcmp(k, "buf_rcvbuf_max"))
		hr_val_num(out, a->rcvbuf_max, src);
	else if (!strcmp(k, "buf_queued"))
		hr_val_num(out, a->wmem_queued + a->rmem_alloc, src);
	else if (!strcmp(k, "buf_drops"))
		hr_val_num(out, a->drops, src);
	else if (!strcmp(k, "buf_bytes"))
		hr_val_num(out, a->bytes, src);
	else if (!strcmp(k, "buf_received"))
		hr_val_num(out, a->received, src);
	else if (!strncmp(k, "buf_rcv_", 8)) {
		/* The receive side: the fastest receiving socket's rate per
		 * round trip (rcv_space / RTT), its receive buffer and RTT. */
		if (!(a->rcv_rate > 0))
			hr_val_missing(out, "no socket here received data with an RTT measured");
		else if (k[8] == 'r' && k[9] == 'a')
			hr_val_num(out, a->rcv_rate, src);
		else if (k[8] == 'r' && k[11] == 'b')
			a->rcv_rcvbuf ? hr_val_num(out, a->rcv_rcvbuf, src) : hr_val_missing(out, "no skmeminfo");
		else if (k[8] == 's')
			hr_val_num(out, a->rcv_space, src);
		else
			hr_val_num(out, a->rcv_rtt_us / 1e6, src);
	}
	else {
		/* buf_own_size: inferred, sock_diag does not show
		 * SOCK_SNDBUF_LOCK/SOCK_RCVBUF_LOCK. Autotuning never takes a
		 * buffer past tcp_wmem[2]/tcp_rmem[2] (tcp_sndbuf_expand(),
		 * tcp_rcv_space_adjust()); SO_SNDBUF/SO_RCVBUF can (up to twice
		 * wmem_max/rmem_max). Below the maximum: a send buffer that
		 * held the flow back (sndbuf_limited 20% of the busy time) and
		 * never reached tcp_wmem[2] was locked, since autotuning grows
		 * an unlocked one while it limits the flow (tcp_new_space(),
		 * tcp_should_expand_sndbuf(); not under TCP memory pressure or
		 * above tcp_mem[0]). Measured on the 50 ms lab path: SO_SNDBUF
		 * 32768 stayed at 65,536 bytes, sndbuf-limited 37%; unlocked it
		 * grew to tcp_wmem[2] (4 MiB), 0%. */
		const char *ws = NULL, *rs = NULL;
		double wmax = sysctl_max(f, "net.ipv4.tcp_wmem", &ws), rmax = sysctl_max(f, "net.ipv4.tcp_rmem", &rs);

		if (wmax < 0 || rmax < 0)
			hr_val_missing(out, "net.ipv4.tcp_wmem or tcp_rmem not read");
		else if (a->sndbuf_max > wmax || a->rcvbuf_max > rmax)
			hr_val_bool(out, true, "inferred: a buffer above tcp_wmem[2]/tcp_rmem[2] was set by the application");
		else
			hr_val_bool(out, a->nmem && a->busy_us > 0 && a->sndbuf_us >= 0.2 * a->busy_us && a->sndbuf_max < wmax,
				    "inferred: a send buffer below tcp_wmem[2] held the flow back and did not grow (SO_SNDBUF)");
	}
	return 0;
}

json_t *hr_facts_buf_json(const hr_facts *f, const struct hr_bufagg *a, const struct hr_path *p)
{
	json_t *o;
	int i;

	if (!a && !(p && p->declared))
		return NULL;
	o = json_object();
	for (i = 0; o && hr_facts_buf_fields[i]; i++) {
		struct hr_value v;

		if (hr_facts_buf_get(f, a, p, hr_facts_buf_fields[i], &v) < 0 || v.type == HR_V_MISSING)
			continue;
		json_object_set_new(o, hr_facts_buf_fields[i],
				    v.type == HR_V_BOOL ? json_boolean(v.num != 0) : json_real(v.num));
	}
	return o;
}

static int set_path(struct hr_path *p, double rtt_s, double rate, const char *source)
{
	p->declared = true;
	p->rtt_s = rtt_s;
	p->rate = rate;
	free(p->source);
	p->source = strdup(source ? source : "workload");
	return p->source ? 0 : -ENOMEM;
}

int hr_facts_declare_path(hr_facts *f, const char *host, uint16_t port, double rtt_s, double rate,
			  const char *source)
{
	uint8_t a[16] = {0};
	int family = AF_INET;
	size_t i;

	if (!(rtt_s > 0) || !(rate > 0) || !isfinite(rtt_s) || !isfinite(rate))
		return -EINVAL;
	if (inet_pton(AF_INET, host, a) != 1) {
		family = AF_INET6;
		if (inet_pton(AF_INET6, host, a) != 1)
			return -EINVAL;
	}
	for (i = 0; i < f->ndests; i++) {
		struct dest *d = f->dest_list[i];

		if (d->port != port || d->family != family || memcmp(d->addr, a, 16))
			continue;
		return set_path(&d->path, rtt_s, rate, source);
	}
	return -ENOENT; /* declare the destination first (hr_facts_declare_dest) */
}

int hr_facts_declare_default_path(hr_facts *f, double rtt_s, double rate, const char *source)
{
	size_t i;
	int r = 0;

	if (!(rtt_s > 0) || !(rate > 0) || !isfinite(rtt_s) || !isfinite(rate))
		return -EINVAL;
	for (i = 0; r == 0 && i < f->ndests; i++)
		if (!f->dest_list[i]->path.declared)
			r = set_path(&f->dest_list[i]->path, rtt_s, rate, source);
	for (i = 0; r == 0 && i < f->ninports; i++)
		if (!f->inports[i].path.declared)
			r = set_path(&f->inports[i].path, rtt_s, rate, source);
	return r;
}

int hr_facts_declare_inbound_path(hr_facts *f, uint16_t port, double rtt_s, double rate, const char *source)
{
	size_t i;

	if (!(rtt_s > 0) || !(rate > 0) || !isfinite(rtt_s) || !isfinite(rate))
		return -EINVAL;
	for (i = 0; i < f->ninports; i++)
		if (f->inports[i].port == port)
			return set_path(&f->inports[i].path, rtt_s, rate, source);
	return -ENOENT; /* declare the port first (hr_facts_declare_inbound) */
}

/* "sockets.buf_need" (the largest 2 x BDP of any destination, bytes) and
 * "sockets.buf_sockets" (sockets with tcp_info); -ENOENT for other names. */
int hr_facts_buf_totals(const hr_facts *f, const char *k, struct hr_value *out)
{
	const char *src = "netlink sock_diag (tcp_info)";
	double need = 0, n = 0;
	size_t i;

	if (strcmp(k, "buf_need") && strcmp(k, "buf_sockets"))
		return -ENOENT;
	for (i = 0; i < f->ndests; i++) {
		const struct dest *d = f->dest_list[i];
		const struct hr_bufagg *a = d->buf;
		double bdp = 0;

		if (a) {
			n += a->nsock;
			bdp = a->min_rtt_us / 1e6 * a->rate;
		}
		if (d->path.declared && d->path.rtt_s * d->path.rate > bdp)
			bdp = d->path.rtt_s * d->path.rate;
		if (2 * bdp > need)
			need = 2 * bdp;
	}
	for (i = 0; i < f->ninports; i++) {
		const struct hr_bufagg *a = f->inports[i].buf;

		if (!a)
			continue;
		n += a->nsock;
		if (2 * a->min_rtt_us / 1e6 * a->rate > need)
			need = 2 * a->min_rtt_us / 1e6 * a->rate;
	}
	for (i = 0; i < f->ninports; i++) {
		const struct hr_path *p = &f->inports[i].path;

		if (p->declared && 2 * p->rtt_s * p->rate > need)
			need = 2 * p->rtt_s * p->rate;
	}
	if (!n && !f->have_sockets) {
		hr_val_missing(out, "sockets not read");
		return 0;
	}
	hr_val_num(out, !strcmp(k, "buf_need") ? need : n, src);
	return 0;
}
