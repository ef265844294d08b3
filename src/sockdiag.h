/* sockdiag.h: every TCP (and UDP) socket, IPv4 and IPv6, through NETLINK_SOCK_DIAG
 * (libmnl), streamed into the facts model, never stored. */
#ifndef HR_SOCKDIAG_H
#define HR_SOCKDIAG_H

#include "facts.h"

/* Called once per socket; the socket is borrowed for the call. */
typedef void (*hr_sock_fn)(void *ctx, const struct hr_sock *s);

/* What a dump met besides sockets. */
struct hr_sockdiag_stats {
	bool interrupted; /* NLM_F_DUMP_INTR: tables changed during the dump */
	long bad;         /* replies too short to be an inet_diag_msg, skipped */
	int udp_err;      /* the UDP dump (when asked): 0, or -errno */
	char udp_why[HR_ERR_MAX]; /* udp_err's words */
};

/* What a dump asks for besides the TCP sockets' inet_diag_msg. */
struct hr_sockdiag_opts {
	bool tcp_info; /* INET_DIAG_INFO for TCP (hr_sock.idle_ms): about 3x the bytes per socket */
	bool buffers;  /* INET_DIAG_INFO + SKMEMINFO for TCP, in the same dump (hr_sock.buf) */
	bool udp;      /* then every UDP socket with INET_DIAG_SKMEMINFO (hr_sock.rcvbuf, drops) */
};

/* Streams every TCP socket to cb: LISTEN sockets of both families first,
 * then all others (IPv4 before IPv6 in each pass). No socket is stored.
 * Returns the number of sockets, or -errno (err says what failed). */
long hr_sockdiag_each(hr_sock_fn cb, void *ctx, struct hr_sockdiag_stats *st, struct hr_err *err);
/* The same with options (NULL: none); UDP sockets come last (protocol
 * IPPROTO_UDP) and are not in the returned count. A failed UDP dump does
 * not fail the call: st->udp_err says why (0: read). */
long hr_sockdiag_each_opts(hr_sock_fn cb, void *ctx, const struct hr_sockdiag_opts *o,
			   struct hr_sockdiag_stats *st, struct hr_err *err);

/* hr_sockdiag_each() into hr_facts_add_socket(); problems go to the facts.
 * Returns the number of sockets seen, or -errno (err says what failed). */
long hr_sockdiag_dump(hr_facts *f, struct hr_err *err);
/* The same with options: TCP idle times, UDP sockets into hr_facts_add_udp(). */
long hr_sockdiag_dump_opts(hr_facts *f, const struct hr_sockdiag_opts *o, struct hr_err *err);

#endif
