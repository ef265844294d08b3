/* facts-live.c: what live sockets tell beyond their states, aggregated
 * while the dump streams (constant memory whatever the socket count):
 * ESTABLISHED TCP sockets with and without a keepalive timer and the idle
 * times of those without one (tcp_info, when asked for), and UDP sockets
 * with their receive buffers and drops (SKMEMINFO). The facts
 * "sockets.keepalive_*" and "sockets.udp_*". May call: facts-int.h
 * (facts.c's entries, the endpoint formatter). */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "facts-int.h"

/* idiag_timer of a full socket (inet_sk_diag_fill(), net/ipv4/inet_diag.c):
 * 1 retransmit, 4 zero-window probe, 2 sk_timer pending (on an ESTABLISHED
 * socket the keepalive timer, armed by SO_KEEPALIVE), 0 none. */
#define TIMER_KEEPALIVE 2

/* "10.0.0.1:5000 -> 10.0.0.2:80" of a socket. */
static void subject(char *buf, size_t n, const struct hr_sock *s, bool remote)
{
	char l[64], r[64];

	hr_format_endpoint(l, sizeof(l), s->family, s->src, s->sport);
	if (!remote) {
		snprintf(buf, n, "%s", l);
		return;
	}
	hr_format_endpoint(r, sizeof(r), s->family, s->dst, s->dport);
	snprintf(buf, n, "%s -> %s", l, r);
}

void hr_facts_live_tcp(hr_facts *f, const struct hr_sock *s)
{
	struct live *v = &f->live;
	uint32_t sec;

	v->idle_known |= s->have_idle;
	if (s->timer == TIMER_KEEPALIVE) {
		v->est_ka++;
		return;
	}
	if (s->timer != 0) {
		v->est_busy++;
		return;
	}
	v->est_noka++;
	if (!s->have_idle)
		return;
	if (!v->idle_noka) {
		v->idle_noka = calloc(HR_IDLE_BINS, sizeof(*v->idle_noka));
		if (!v->idle_noka)
			return;
	}
	sec = s->idle_ms / 1000;
	v->idle_noka[sec < HR_IDLE_BINS ? sec : HR_IDLE_BINS - 1]++;
	if (!v->have_worst || s->idle_ms > v->worst.idle_ms) {
		v->worst = *s;
		v->worst.buf = NULL; /* borrowed for the call only */
		v->have_worst = true;
		subject(v->subject[0], sizeof(v->subject[0]), s, true);
	}
}

void hr_facts_add_udp(hr_facts *f, const struct hr_sock *s)
{
	struct live *v = &f->live;
	const struct hr_sock *w = &v->udp_worst;

	v->udp++;
	if (s->dport)
		v->udp_connected++; /* connect()ed: it holds its local port whatever the peer */
	if (!s->have_mem)
		return;
	v->udp_drops += s->drops;
	/* The most drops; among equals, the fullest buffer. */
	if (!v->have_udp_worst || s->drops > w->drops ||
	    (s->drops == w->drops && (uint64_t)s->rmem * (w->rcvbuf ? w->rcvbuf : 1) >
					     (uint64_t)w->rmem * (s->rcvbuf ? s->rcvbuf : 1))) {
		v->udp_worst = *s;
		v->udp_worst.buf = NULL;
		v->have_udp_worst = true;
		subject(v->subject[1], sizeof(v->subject[1]), s, s->dport != 0);
	}
}

void hr_facts_udp_done(hr_facts *f)
{
	f->live.udp_known = true;
}

/* Sockets without keepalive idle for at least t seconds. */
static double idle_over(const struct live *v, double t)
{
	double n = 0;
	long i, from = t <= 0 ? 0 : (long)ceil(t);

	if (from >= HR_IDLE_BINS)
		from = HR_IDLE_BINS - 1;
	for (i = from; i < HR_IDLE_BINS; i++)
		n += v->idle_noka[i];
	return n;
}

/* "keepalive_*" (k without "sockets."): ESTABLISHED sockets and their timers. */
static int keepalive_get(const hr_facts *f, const char *k, struct hr_value *out)
{
	const struct live *v = &f->live;
	const char *src = "netlink sock_diag (idiag_timer)", *isrc = "netlink sock_diag (tcp_info idle times)";
	const struct entry *e;

	if (!strcmp(k, "on"))
		hr_val_num(out, (double)v->est_ka, src);
	else if (!strcmp(k, "off"))
		hr_val_num(out, (double)v->est_noka, src);
	else if (!strcmp(k, "busy"))
		hr_val_num(out, (double)v->est_busy, src);
	else if (!strcmp(k, "idle_known"))
		hr_val_bool(out, v->idle_known, isrc);
	else if (strcmp(k, "off_idle_max") && strcmp(k, "off_idle_over") && strcmp(k, "off_worst"))
		return -ENOENT;
	else if (!strcmp(k, "off_idle_over") && v->est_noka == 0 &&
		 (e = hr_facts_ent_find(f, "workload.middlebox_idle_timeout")) && !e->missing && e->is_num)
		hr_val_num(out, 0, src); /* none without keepalive: none exposed */
	else if (!v->idle_known || !v->idle_noka)
		hr_val_missing(out, v->est_noka ? "idle times not read (the live probe asks for tcp_info "
						  "only with a workload file)"
						: "no ESTABLISHED socket without keepalive");
	else if (!strcmp(k, "off_idle_max"))
		hr_val_num(out, v->worst.idle_ms / 1000.0, isrc);
	else if (!strcmp(k, "off_worst"))
		hr_val_str(out, v->subject[0], isrc);
	else if (!(e = hr_facts_ent_find(f, "workload.middlebox_idle_timeout")) || e->missing || !e->is_num)
		hr_val_missing(out, "no middlebox_idle_timeout declared");
	else
		hr_val_num(out, idle_over(v, e->fields[0]), isrc);
	return 0;
}

/* "udp_*" (k without "sockets."): UDP sockets, their buffers and drops. */
static int udp_get(const hr_facts *f, const char *k, struct hr_value *out)
{
	const struct live *v = &f->live;
	const struct hr_sock *w = &v->udp_worst;
	const char *src = "netlink sock_diag (UDP, SK_MEMINFO)";

	if (strcmp(k, "count") && strcmp(k, "connected") && strcmp(k, "drops") && strncmp(k, "worst", 5))
		return -ENOENT;
	if (!v->udp_known) {
		hr_val_missing(out, "UDP sockets not read (live sock_diag only)");
		return 0;
	}
	if (!strcmp(k, "count"))
		hr_val_num(out, (double)v->udp, src);
	else if (!strcmp(k, "connected"))
		hr_val_num(out, (double)v->udp_connected, src);
	else if (!strcmp(k, "drops"))
		hr_val_num(out, (double)v->udp_drops, src);
	else if (!v->have_udp_worst)
		hr_val_missing(out, "no UDP socket");
	else if (!strcmp(k, "worst"))
		hr_val_str(out, v->subject[1], src);
	else if (!strcmp(k, "worst_port"))
		hr_val_num(out, w->sport, src);
	else if (!strcmp(k, "worst_drops"))
		hr_val_num(out, w->drops, src);
	else if (!strcmp(k, "worst_rcvbuf"))
		hr_val_num(out, w->rcvbuf, src);
	else if (!strcmp(k, "worst_rmem"))
		hr_val_num(out, w->rmem, src);
	else if (!strcmp(k, "worst_uid"))
		hr_val_num(out, w->uid, src);
	else
		return -ENOENT;
	return 0;
}

json_t *hr_facts_live_json(const hr_facts *f, bool udp)
{
	const struct live *v = &f->live;

	if (!udp)
		return json_pack("{s:I, s:I, s:I, s:o, s:o}", "with_timer", (json_int_t)v->est_ka, "without_timer",
				 (json_int_t)v->est_noka, "other_timer", (json_int_t)v->est_busy, "idle_max_s",
				 v->have_worst ? json_real(v->worst.idle_ms / 1000.0) : json_null(), "idle_longest",
				 v->have_worst ? json_string(v->subject[0]) : json_null());
	if (!v->udp_known)
		return json_pack("{s:s}", "absent", "UDP sockets not read (live sock_diag only)");
	return json_pack("{s:I, s:I, s:I, s:o}", "count", (json_int_t)v->udp, "connected", (json_int_t)v->udp_connected,
			 "drops", (json_int_t)v->udp_drops, "most_drops",
			 v->have_udp_worst ? json_pack("{s:s, s:i, s:I, s:I, s:I, s:I}", "subject", v->subject[1], "port",
						       v->udp_worst.sport, "uid", (json_int_t)v->udp_worst.uid, "drops",
						       (json_int_t)v->udp_worst.drops, "rcvbuf",
						       (json_int_t)v->udp_worst.rcvbuf, "rmem",
						       (json_int_t)v->udp_worst.rmem)
					   : json_null());
}

int hr_facts_live_get(const hr_facts *f, const char *k, struct hr_value *out)
{
	if (!strncmp(k, "keepalive_", 10))
		return keepalive_get(f, k + 10, out);
	if (!strncmp(k, "udp_", 4))
		return udp_get(f, k + 4, out);
	return -ENOENT;
}
