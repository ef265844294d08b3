/* sockdiag.c: every TCP (and UDP) socket, IPv4 and IPv6, through NETLINK_SOCK_DIAG
 * (libmnl), streamed into the facts model, never stored.
 *
 * One dump of both families (the request of the inet_diag compatibility
 * interface, TCPDIAG_GETSOCK, which the kernel runs with family AF_UNSPEC:
 * inet_diag_dump_compat()), every state but TCP_BOUND_INACTIVE: the kernel
 * walks its listening hash once, then its established hash once
 * (ESTABLISHED .. TIME_WAIT and the request sockets, reported as SYN_RECV),
 * for IPv4 and IPv6 together (inet_diag_dump_icsk()). So the listeners of
 * both families come first, which hr_facts_add_socket() needs to tell
 * inbound from outbound, and the established hash, whose walk is the cost
 * (every bucket, for every namespace: tcp_ehash_entries of them), is
 * walked once instead of once per family. A kernel without that interface
 * gets the four SOCK_DIAG_BY_FAMILY dumps used before: LISTEN for AF_INET
 * and AF_INET6 (the listening hash only), then every other state of each
 * family (the established hash, twice).
 *
 * Cost: no extensions are requested (idiag_ext = 0), so each socket is one
 * 72-byte struct inet_diag_msg behind a 16-byte header; the kernel packs
 * about 370 of them in one 32 KiB skb (net/netlink/af_netlink.c caps a dump
 * skb near 32 KiB), so 1M sockets take about 2,700 recvmsg() calls and no
 * allocation at all here. Asked for (hr_sockdiag_opts), the second pass
 * also brings tcp_info (INET_DIAG_INFO, idle times: about 3x the bytes, so
 * only when a rule can use them), and two more dumps bring every UDP
 * socket with SKMEMINFO (buffer, drops); UDP sockets are usually few.
 * Buffers (hr_sockdiag_opts.buffers) ask tcp_info and SKMEMINFO of every
 * TCP socket in the same one dump: the kernel attaches them to full
 * sockets only (TIME_WAIT and request sockets stay 72 bytes), and each
 * socket's figures are handed over on the stack (hr_sock.buf), never kept.
 */
#include "config.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "sockdiag.h"

/* Receive buffer: above the kernel's 32 KiB dump skb so one recv never truncates. */
#define SD_BUFSZ (64 * 1024)
/* Socket receive queue we ask for, so the kernel can queue the next skb while we parse. */
#define SD_RCVBUF (1024 * 1024)

/* State of one dump as mnl_cb_run() walks it. */
struct sd_ctx {
	hr_sock_fn cb;
	void *cbctx;
	long n;                         /* sockets fed */
	long bad;                       /* replies too short to be an inet_diag_msg */
	const struct nlmsghdr *last;    /* last data message delivered */
	int done_err;                   /* error carried by NLMSG_DONE (negative errno) */
	int protocol;                   /* IPPROTO_TCP or IPPROTO_UDP: the dump running */
	bool attrs;                     /* extensions were asked for: read the attributes */
	bool idle;                      /* tcp_info's idle times wanted (hr_sock.idle_ms) */
	bool buffers;                   /* tcp_info + skmeminfo wanted (hr_sock.buf) */
};

/* One field of a tcp_info of len bytes, 0 when an older kernel's shorter
 * struct ends before it; read in place (no copy of the whole struct: the
 * dump of every socket's tcp_info is the probe's hot path). */
#define TI(p, len, field)                                                                          \
	__extension__({                                                                            \
		__typeof__(((struct tcp_info *)0)->field) v_ = 0;                                  \
		if ((len) >= offsetof(struct tcp_info, field) + sizeof(v_))                        \
			memcpy(&v_, (const char *)(p) + offsetof(struct tcp_info, field), sizeof(v_)); \
		v_;                                                                                \
	})

/* tcp_info's path fields (tcp_get_info(), net/ipv4/tcp.c); an older
 * kernel's shorter struct leaves the later ones 0 (unknown). */
static void sd_tcp_path(const void *ti, size_t len, struct hr_tcpbuf *b)
{
	b->have_info = true;
	b->min_rtt_us = TI(ti, len, tcpi_min_rtt);
	b->rtt_us = TI(ti, len, tcpi_rtt);
	b->snd_cwnd = TI(ti, len, tcpi_snd_cwnd);
	b->snd_mss = TI(ti, len, tcpi_snd_mss);
	b->rcv_space = TI(ti, len, tcpi_rcv_space);
	b->rcv_rtt_us = TI(ti, len, tcpi_rcv_rtt);
	b->snd_wnd = TI(ti, len, tcpi_snd_wnd);
	b->delivery_rate = TI(ti, len, tcpi_delivery_rate);
	b->busy_us = TI(ti, len, tcpi_busy_time);
	b->rwnd_us = TI(ti, len, tcpi_rwnd_limited);
	b->sndbuf_us = TI(ti, len, tcpi_sndbuf_limited);
	b->bytes_acked = TI(ti, len, tcpi_bytes_acked);
	b->bytes_received = TI(ti, len, tcpi_bytes_received);
}

/* The attributes asked for: tcp_info's idle times and path, skmeminfo's
 * buffers and drops. b: where a TCP socket's path and buffers go (NULL: not asked). */
static void sd_attrs(const struct nlmsghdr *nlh, struct hr_sock *s, bool idle, struct hr_tcpbuf *b)
{
	/* The attributes after the message, walked in place (the per-socket
	 * hot path: no libmnl call per attribute); a truncated one ends it. */
	const char *p = (const char *)nlh + MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct inet_diag_msg));
	const char *end = (const char *)nlh + nlh->nlmsg_len;

	while (p + sizeof(struct nlattr) <= end) {
		const struct nlattr *a = (const struct nlattr *)(const void *)p;
		const void *pl = p + MNL_ATTR_HDRLEN;
		uint16_t type, len;

		if (a->nla_len < MNL_ATTR_HDRLEN || a->nla_len > end - p)
			break;
		type = a->nla_type & NLA_TYPE_MASK;
		len = (uint16_t)(a->nla_len - MNL_ATTR_HDRLEN);
		p += MNL_ALIGN(a->nla_len);
		if (type == INET_DIAG_INFO && len >= offsetof(struct tcp_info, tcpi_pmtu)) {
			if (b)
				sd_tcp_path(pl, len, b);
			if (!idle)
				continue;
			/* Idle: no data sent, no data or ACK received for this long
			 * (tcp_get_info(), net/ipv4/tcp.c); any of them refreshes a
			 * middlebox's flow. Read in place (an older kernel's
			 * shorter struct: the idle fields are early). */
			s->idle_ms = TI(pl, len, tcpi_last_data_sent);
			if (TI(pl, len, tcpi_last_data_recv) < s->idle_ms)
				s->idle_ms = TI(pl, len, tcpi_last_data_recv);
			if (TI(pl, len, tcpi_last_ack_recv) < s->idle_ms)
				s->idle_ms = TI(pl, len, tcpi_last_ack_recv);
			s->have_idle = true;
			/* Port model: were timestamps negotiated (tcp_tw_reuse needs them). */
			s->tcpi_options = TI(pl, len, tcpi_options);
		} else if (type == INET_DIAG_SKMEMINFO && len >= (SK_MEMINFO_DROPS + 1) * sizeof(uint32_t)) {
			const uint32_t *m = pl;

			if (b) {
				b->have_mem = true;
				b->rcvbuf = m[SK_MEMINFO_RCVBUF];
				b->sndbuf = m[SK_MEMINFO_SNDBUF];
				b->rmem_alloc = m[SK_MEMINFO_RMEM_ALLOC];
				b->wmem_queued = m[SK_MEMINFO_WMEM_QUEUED];
				b->drops = m[SK_MEMINFO_DROPS];
				continue;
			}
			s->rmem = m[SK_MEMINFO_RMEM_ALLOC];
			s->rcvbuf = m[SK_MEMINFO_RCVBUF];
			s->drops = m[SK_MEMINFO_DROPS];
			s->have_mem = true;
		}
	}
	if (b && (b->have_info || b->have_mem))
		s->buf = b;
}

/* Hands one SOCK_DIAG_BY_FAMILY reply to the caller's callback. */
static int sd_on_msg(const struct nlmsghdr *nlh, void *data)
{
	struct sd_ctx *c = data;
	const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	struct hr_tcpbuf b; /* this socket's path and buffers, when asked (s.buf points here) */
	struct hr_sock s;

	c->last = nlh;
	/* The kernel answers with the request's type (inet_sk_diag_fill()). */
	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY && nlh->nlmsg_type != TCPDIAG_GETSOCK)
		return MNL_CB_OK;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*m)) {
		c->bad++;
		return MNL_CB_OK;
	}
	/* inet_diag_msg_common_fill(): network order, IPv4 in word 0, rest
	 * zeroed. Fields not named here (later additions) stay zero. */
	s = (struct hr_sock){
		.family = m->idiag_family,
		.state = m->idiag_state,
		.sport = ntohs(m->id.idiag_sport),
		.dport = ntohs(m->id.idiag_dport),
		.timer = m->idiag_timer,
		.expires_ms = m->idiag_expires,
		.rqueue = m->idiag_rqueue,
		.wqueue = m->idiag_wqueue,
		.uid = m->idiag_uid,
		.inode = m->idiag_inode,
		.protocol = c->protocol,
	};
	memcpy(s.src, m->id.idiag_src, 16);
	memcpy(s.dst, m->id.idiag_dst, 16);
	if (c->attrs) {
		bool tcp = c->protocol != IPPROTO_UDP;

		memset(&b, 0, sizeof(b));
		sd_attrs(nlh, &s, tcp && c->idle, tcp && c->buffers ? &b : NULL);
	}
	c->cb(c->cbctx, &s);
	if (c->protocol != IPPROTO_UDP)
		c->n++;
	return MNL_CB_OK;
}

/* NLMSG_DONE carries the dump's final status as an int (netlink_dump_done()). */
static int sd_on_done(const struct nlmsghdr *nlh, void *data)
{
	struct sd_ctx *c = data;

	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int)) {
		int e = *(const int *)mnl_nlmsg_get_payload(nlh);

		if (e < 0) {
			c->done_err = e;
			errno = -e;
			return MNL_CB_ERROR;
		}
	}
	return MNL_CB_STOP;
}

/* NLMSG_ERROR: an error code ends the dump (errno set); 0 is an ACK. Given
 * explicitly, like NLMSG_DONE, so the end of a dump does not depend on
 * libmnl's defaults for control messages. */
static int sd_on_error(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

	(void)data;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (e->error == 0)
		return MNL_CB_STOP;
	errno = e->error < 0 ? -e->error : e->error;
	return MNL_CB_ERROR;
}

/* NLMSG_OVERRUN: the kernel says data was lost. */
static int sd_on_overrun(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	errno = ENOBUFS;
	return MNL_CB_ERROR;
}

/* Clears NLM_F_DUMP_INTR on every message of a received buffer, so
 * mnl_cb_run() (which stops at the flag with EINTR) delivers them all;
 * returns true when any carried it. */
static bool sd_clear_intr(void *buf, size_t len)
{
	struct nlmsghdr *nlh = buf;
	int left = (int)len;
	bool seen = false;

	while (mnl_nlmsg_ok(nlh, left)) {
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR) {
			nlh->nlmsg_flags &= (uint16_t)~NLM_F_DUMP_INTR;
			seen = true;
		}
		nlh = mnl_nlmsg_next(nlh, &left);
	}
	return seen;
}

static const char *sd_family_name(int family)
{
	return family == AF_INET6 ? "IPv6" : family == AF_INET ? "IPv4" : "IPv4 and IPv6";
}

/* Puts the request of one dump in buf: SOCK_DIAG_BY_FAMILY for one family
 * and protocol, or with AF_UNSPEC the compatibility request
 * (TCPDIAG_GETSOCK, struct inet_diag_req) that dumps TCP of both. ext: the
 * extensions asked for (INET_DIAG_INFO...). Returns the message. */
static struct nlmsghdr *sd_request(char *buf, int family, int protocol, uint32_t states, uint8_t ext,
				   uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	if (family == AF_UNSPEC) {
		struct inet_diag_req *req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));

		nlh->nlmsg_type = TCPDIAG_GETSOCK;
		req->idiag_states = states;
		req->idiag_ext = ext;
	} else {
		struct inet_diag_req_v2 *req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));

		nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
		req->sdiag_family = (uint8_t)family;
		req->sdiag_protocol = (uint8_t)protocol;
		req->idiag_states = states;
		req->idiag_ext = ext;
	}
	return nlh;
}

static const char *sd_proto_name(const struct sd_ctx *c)
{
	return c->protocol == IPPROTO_UDP ? "UDP" : "TCP";
}

/* Runs one dump (family, state mask, extensions; AF_UNSPEC: TCP of both
 * families) to its end; 0 or -errno (err set). */
static int sd_dump_one(struct mnl_socket *nl, char *buf, int family, uint32_t states, uint8_t ext,
		       struct sd_ctx *c, bool *interrupted, struct hr_err *err)
{
	static mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_ERROR] = sd_on_error,
		[NLMSG_DONE] = sd_on_done,
		[NLMSG_OVERRUN] = sd_on_overrun,
	};
	unsigned int portid = mnl_socket_get_portid(nl);
	uint32_t seq = (uint32_t)time(NULL) ^ (uint32_t)(states << 4) ^ (uint32_t)family;
	struct nlmsghdr *nlh = sd_request(buf, family, c->protocol, states, ext, seq);
	int ret;

	c->attrs = ext != 0;

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		hr_err_set(err, ret, "netlink sock_diag: sending the %s %s dump request: %s",
			   sd_family_name(family), sd_proto_name(c), hr_strerror(ret));
		return ret;
	}
	c->done_err = 0;
	for (;;) {
		ssize_t len = mnl_socket_recvfrom(nl, buf, SD_BUFSZ);
		char *p = buf;
		size_t left;

		if (len < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			if (ret == -ENOBUFS)
				hr_err_set(err, ret,
					   "netlink sock_diag: %s %s dump overran the receive buffer (ENOBUFS); "
					   "socket counts would be incomplete",
					   sd_family_name(family), sd_proto_name(c));
			else
				hr_err_set(err, ret, "netlink sock_diag: receiving the %s %s dump: %s",
					   sd_family_name(family), sd_proto_name(c), hr_strerror(ret));
			return ret;
		}
		if (len == 0) {
			hr_err_set(err, -EPROTO, "netlink sock_diag: %s %s dump ended without NLMSG_DONE",
				   sd_family_name(family), sd_proto_name(c));
			return -EPROTO;
		}
		left = (size_t)len;
		for (;;) {
			c->last = NULL;
			ret = mnl_cb_run2(p, left, seq, portid, sd_on_msg, c, ctl, NLMSG_MIN_TYPE);
			if (ret >= 0 || errno != EINTR)
				break;
			/* NLM_F_DUMP_INTR: the kernel saw its tables change under the
			 * dump. Sockets already fed cannot be taken back, so we
			 * finish the dump and report it (the caller adds a problem). */
			*interrupted = true;
			if (!sd_clear_intr(p, left))
				break;
			if (c->last) {
				size_t skip = (size_t)((const char *)c->last - p) + NLMSG_ALIGN(c->last->nlmsg_len);

				p += skip;
				left -= skip;
			}
		}
		if (ret == MNL_CB_STOP)
			return 0;
		if (ret < 0) {
			ret = c->done_err ? c->done_err : -errno;
			if (ret == 0)
				ret = -EPROTO;
			hr_err_set(err, ret, "netlink sock_diag: %s %s dump failed: %s%s",
				   sd_family_name(family), sd_proto_name(c), hr_strerror(ret),
				   ret == -ENOENT || ret == -EOPNOTSUPP
					   ? (c->protocol == IPPROTO_UDP ? " (kernel without udp_diag support?)"
									 : " (kernel without inet_diag/tcp_diag support?)")
					   : "");
			return ret;
		}
	}
}

long hr_sockdiag_each(hr_sock_fn cb, void *ctx, struct hr_sockdiag_stats *st, struct hr_err *err)
{
	return hr_sockdiag_each_opts(cb, ctx, NULL, st, err);
}

long hr_sockdiag_each_opts(hr_sock_fn cb, void *ctx, const struct hr_sockdiag_opts *o,
			   struct hr_sockdiag_stats *st, struct hr_err *err)
{
	/* Every state 1..12: TCPF_SYN_RECV also brings request sockets
	 * (TCP_NEW_SYN_RECV, reported with state SYN_RECV). Never ~0: bit 13,
	 * TCP_BOUND_INACTIVE (6.7+), also walks the whole bind hash (+40% at
	 * 200k TIME_WAIT, measured). In the fallback, listeners first: bit
	 * TCP_LISTEN alone makes the kernel skip the established hash
	 * (inet_diag_dump_icsk(), net/ipv4/inet_diag.c). */
	const uint32_t listen = 1u << HR_LISTEN;
	const uint32_t all = ((1u << HR_TCP_NSTATES) - 1) & ~1u;
	const uint32_t others = all & ~listen;
	static const int families[2] = {AF_INET, AF_INET6};
	/* UDP: unconnected sockets are TCP_CLOSE, connected ones TCP_ESTABLISHED. */
	const uint32_t udp_states = (1u << HR_ESTABLISHED) | (1u << HR_CLOSE);
	const uint8_t tcp_ext = (uint8_t)((o && (o->tcp_info || o->buffers) ? 1u << (INET_DIAG_INFO - 1) : 0) |
					  (o && o->buffers ? 1u << (INET_DIAG_SKMEMINFO - 1) : 0));
	struct sd_ctx c = {.cb = cb, .cbctx = ctx, .protocol = IPPROTO_TCP, .idle = o && o->tcp_info,
			   .buffers = o && o->buffers};
	struct mnl_socket *nl;
	bool interrupted = false;
	char *buf;
	int rcvbuf = SD_RCVBUF, ret = 0, pass, i;

	buf = malloc(SD_BUFSZ);
	if (!buf) {
		hr_err_set(err, -ENOMEM, "netlink sock_diag: out of memory for the receive buffer");
		return -ENOMEM;
	}
	nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	if (!nl) {
		ret = -errno;
		hr_err_set(err, ret, "netlink sock_diag: cannot open a NETLINK_SOCK_DIAG socket: %s",
			   hr_strerror(ret));
		free(buf);
		return ret;
	}
	/* SO_RCVBUFFORCE passes net.core.rmem_max with CAP_NET_ADMIN; else the capped one. */
	if (setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		(void)setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		hr_err_set(err, ret, "netlink sock_diag: cannot bind the netlink socket: %s",
			   hr_strerror(ret));
		goto out;
	}
	/* tcp_info is asked of the listeners too in the one request (a few
	 * bytes each); the per-family fallback asks it in the second pass
	 * only, as a listener's is of no use here. */
	ret = sd_dump_one(nl, buf, AF_UNSPEC, all, tcp_ext, &c, &interrupted, err);
	/* No compatibility interface (EINVAL, EOPNOTSUPP from the kernel's
	 * table of handlers, ENOENT): nothing was fed yet, so the per-family
	 * dumps can start over. */
	if ((ret == -EINVAL || ret == -EOPNOTSUPP || ret == -ENOENT) && c.n == 0 && !c.bad) {
		hr_err_clear(err);
		ret = 0;
		for (pass = 0; pass < 2 && ret == 0; pass++)
			for (i = 0; i < 2 && ret == 0; i++)
				ret = sd_dump_one(nl, buf, families[i], pass == 0 ? listen : others,
						  pass == 0 ? 0 : tcp_ext, &c, &interrupted, err);
	}
	/* UDP last, its own error: a box without udp_diag still has its TCP
	 * sockets. SKMEMINFO adds 44 bytes a socket; UDP sockets are few. */
	if (ret == 0 && o && o->udp) {
		struct hr_err ue = {0};
		int ur = 0;

		c.protocol = IPPROTO_UDP;
		for (i = 0; i < 2 && ur == 0; i++)
			ur = sd_dump_one(nl, buf, families[i], udp_states,
					 (uint8_t)(1u << (INET_DIAG_SKMEMINFO - 1)), &c, &interrupted, &ue);
		if (st) {
			st->udp_err = ur;
			snprintf(st->udp_why, sizeof(st->udp_why), "%s", ur ? ue.msg : "");
		}
	}
	if (st) {
		st->interrupted = interrupted;
		st->bad = c.bad;
	}
out:
	mnl_socket_close(nl);
	free(buf);
	return ret < 0 ? ret : c.n;
}

/* Feeds one socket to the facts model (the callback of hr_sockdiag_dump). */
static void sd_to_facts(void *ctx, const struct hr_sock *s)
{
	if (s->protocol == IPPROTO_UDP)
		hr_facts_add_udp(ctx, s);
	else
		hr_facts_add_socket(ctx, s);
}

long hr_sockdiag_dump(hr_facts *f, struct hr_err *err)
{
	return hr_sockdiag_dump_opts(f, NULL, err);
}

long hr_sockdiag_dump_opts(hr_facts *f, const struct hr_sockdiag_opts *o, struct hr_err *err)
{
	struct hr_sockdiag_stats st = {0};
	long n = hr_sockdiag_each_opts(sd_to_facts, f, o, &st, err);

	if (n >= 0 && o && o->udp) {
		if (st.udp_err)
			hr_facts_add_problem(f, "netlink sock_diag", "%s", st.udp_why);
		else
			hr_facts_udp_done(f);
	}
	if (n >= 0 && st.interrupted)
		hr_facts_add_problem(f, "netlink sock_diag",
				     "dump interrupted (NLM_F_DUMP_INTR): sockets changed during the dump, "
				     "so a few may be missing or counted twice");
	if (n >= 0 && st.bad)
		hr_facts_add_problem(f, "netlink sock_diag", "%ld replies shorter than struct inet_diag_msg skipped",
				     st.bad);
	return n;
}
