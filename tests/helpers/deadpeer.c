/* deadpeer.c: test helper for the lab's dead-peer scenario (tests/lab-deadpeer.sh).
 *
 *   deadpeer server --listen ADDR:PORT [--duration S]
 *       Accepts connections and discards what they send, for at most S seconds.
 *   deadpeer client --connect ADDR:PORT [--interval-ms MS] [--size BYTES] [--max-s S]
 *       Connects (TCP_NODELAY), prints "connected" (flushed), then writes SIZE bytes
 *       every MS milliseconds until the socket reports an error or S seconds pass.
 *       From TCP_INFO, polled every millisecond or so, it tracks two clocks:
 *       since_first_unacked_s, from the oldest send not yet acknowledged (when the
 *       peer died, as an operator sees it), and since_first_rto_s, from the first
 *       retransmission by the RTO timer. The kernel's give-up clock for
 *       tcp_retries2 is the second one: tp->retrans_stamp is saved in
 *       tcp_retransmit_skb() ("Save stamp of the first (attempted) retransmit",
 *       net/ipv4/tcp_output.c) with the retransmitted skb's new timestamp, and
 *       retransmits_timed_out() (net/ipv4/tcp_timer.c) measures from it.
 *       At the end it prints one key=value line:
 *         result=error|timeout errno=ETIMEDOUT since_first_unacked_s=5.430
 *         since_first_rto_s=5.224 total_s=6.120 writes=243 max_backoff=5
 *       Exit status: 0 when the socket errored, 1 when S seconds passed without an
 *       error, 2 on bad usage or a setup failure (message on stderr).
 *
 * Every loop is bounded by --duration / --max-s.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <linux/tcp.h> /* struct tcp_info with tcpi_notsent_bytes, tcpi_bytes_acked */
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Most writes remembered; older ones are acknowledged long before this matters. */
#define DP_RING 65536

/* One send event: when the sent offset grew, and the offset just past the new bytes. */
struct dp_write {
	double t;
	uint64_t end;
};

/* Monotonic clock in seconds. */
static double dp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Prints usage to stderr and returns exit status 2. */
static int dp_usage(void)
{
	fprintf(stderr, "usage: deadpeer server --listen ADDR:PORT [--duration S]\n"
			"       deadpeer client --connect ADDR:PORT [--interval-ms MS] [--size BYTES] "
			"[--max-s S]\n");
	return 2;
}

/* Parses "A.B.C.D:PORT" into sa; 0 or -1. */
static int dp_parse_addr(const char *s, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	char *end;
	long port;

	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end || port < 1 || port > 65535)
		return -1;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

/* Parses a positive number option value; exits through usage on garbage. */
static double dp_parse_num(const char *opt, const char *v)
{
	char *end;
	double d = strtod(v, &end);

	if (*end || !(d > 0)) {
		fprintf(stderr, "deadpeer: %s: not a positive number: '%s'\n", opt, v);
		exit(2);
	}
	return d;
}

/* The server: accept and discard until the deadline. */
static int dp_server(const struct sockaddr_in *sa, double duration)
{
	struct pollfd pf[64];
	int nfd = 1, one = 1;
	double deadline = dp_now() + duration;
	char buf[65536];

	pf[0].fd = socket(AF_INET, SOCK_STREAM, 0);
	if (pf[0].fd < 0 || setsockopt(pf[0].fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(pf[0].fd, (const struct sockaddr *)sa, sizeof(*sa)) || listen(pf[0].fd, 16)) {
		fprintf(stderr, "deadpeer server: cannot listen: %s\n", strerror(errno));
		return 2;
	}
	pf[0].events = POLLIN;
	while (dp_now() < deadline) {
		int i, n = poll(pf, (nfds_t)nfd, 100);

		if (n < 0 && errno != EINTR)
			return 2;
		if (n <= 0)
			continue;
		if ((pf[0].revents & POLLIN) && nfd < (int)(sizeof(pf) / sizeof(pf[0]))) {
			int c = accept(pf[0].fd, NULL, NULL);

			if (c >= 0) {
				pf[nfd].fd = c;
				pf[nfd].events = POLLIN;
				pf[nfd].revents = 0;
				nfd++;
			}
		}
		for (i = 1; i < nfd; i++) {
			if (!pf[i].revents)
				continue;
			if (read(pf[i].fd, buf, sizeof(buf)) <= 0) {
				close(pf[i].fd);
				pf[i] = pf[--nfd];
				i--;
			}
		}
	}
	return 0;
}

/* The client: write, time the oldest unacknowledged send and the first RTO, time the error. */
static int dp_client(const struct sockaddr_in *sa, double interval, size_t size, double max_s)
{
	static struct dp_write ring[DP_RING];
	char buf[4096];
	uint64_t written = 0, sent = 0, head = 0, tail = 0, nwrites = 0; /* ring holds [tail, head) */
	double t0, next, now, t_unacked = -1, t_rto = -1, end_t;
	int fd, one = 1, err = 0, backoff = 0;

	if (size > sizeof(buf))
		size = sizeof(buf);
	memset(buf, 'x', sizeof(buf));
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (const struct sockaddr *)sa, sizeof(*sa))) {
		fprintf(stderr, "deadpeer client: connect: %s\n", strerror(errno));
		return 2;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	printf("connected\n");
	fflush(stdout);

	t0 = next = dp_now();
	end_t = t0 + max_s;
	for (;;) {
		struct pollfd pf = { .fd = fd, .events = 0 };
		struct tcp_info ti;
		socklen_t tl = sizeof(ti);

		now = dp_now();
		if (now >= end_t)
			break;
		if (now >= next) {
			ssize_t w = send(fd, buf, size, MSG_NOSIGNAL);

			if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
				err = errno;
				break;
			}
			if (w > 0) {
				written += (uint64_t)w;
				nwrites++;
			}
			next += interval;
		}
		/* Sent = written - not yet sent; a send event is the moment the sent
		 * offset grows. The oldest unacknowledged send is the first send event
		 * past the acknowledged offset (tcpi_bytes_acked counts the SYN too). */
		memset(&ti, 0, sizeof(ti));
		if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) == 0) {
			uint64_t s = written - ti.tcpi_notsent_bytes;
			uint64_t acked = ti.tcpi_bytes_acked ? ti.tcpi_bytes_acked - 1 : 0;

			if (s > sent) {
				if (head - tail == DP_RING)
					tail++; /* forget the oldest; cannot matter at these rates */
				ring[head % DP_RING] = (struct dp_write){ now, s };
				head++;
				sent = s;
			}
			while (tail < head && ring[tail % DP_RING].end <= acked)
				tail++;
			if (ti.tcpi_backoff == 0 && ti.tcpi_retransmits == 0) {
				t_rto = -1; /* acknowledged again: no retransmission timeout running */
				t_unacked = tail < head ? ring[tail % DP_RING].t : -1;
			} else if (t_rto < 0) {
				t_rto = now; /* first RTO retransmission seen (icsk_retransmits >= 1) */
			}
			if (ti.tcpi_backoff > backoff)
				backoff = ti.tcpi_backoff;
		}
		if (poll(&pf, 1, 1) > 0 && (pf.revents & (POLLERR | POLLHUP))) {
			socklen_t l = sizeof(err);

			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l) || !err)
				err = EPIPE;
			break;
		}
	}
	now = dp_now();
	printf("result=%s errno=%s since_first_unacked_s=%.3f since_first_rto_s=%.3f total_s=%.3f "
	       "writes=%llu max_backoff=%d\n",
	       err ? "error" : "timeout", err ? strerrorname_np(err) : "none",
	       t_unacked >= 0 ? now - t_unacked : -1.0, t_rto >= 0 ? now - t_rto : -1.0, now - t0,
	       (unsigned long long)nwrites, backoff);
	close(fd);
	return err ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa;
	const char *addr = NULL;
	double duration = 60, interval_ms = 20, max_s = 60, size = 16;
	int i, server;

	if (argc < 2)
		return dp_usage();
	if (!strcmp(argv[1], "server"))
		server = 1;
	else if (!strcmp(argv[1], "client"))
		server = 0;
	else
		return dp_usage();
	for (i = 2; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			return dp_usage();
		if ((server && !strcmp(o, "--listen")) || (!server && !strcmp(o, "--connect")))
			addr = v;
		else if (server && !strcmp(o, "--duration"))
			duration = dp_parse_num(o, v);
		else if (!server && !strcmp(o, "--interval-ms"))
			interval_ms = dp_parse_num(o, v);
		else if (!server && !strcmp(o, "--size"))
			size = dp_parse_num(o, v);
		else if (!server && !strcmp(o, "--max-s"))
			max_s = dp_parse_num(o, v);
		else
			return dp_usage();
		i++;
	}
	if (!addr || dp_parse_addr(addr, &sa)) {
		fprintf(stderr, "deadpeer: need a valid IPv4 ADDR:PORT\n");
		return dp_usage();
	}
	signal(SIGPIPE, SIG_IGN);
	return server ? dp_server(&sa, duration) : dp_client(&sa, interval_ms / 1000.0, (size_t)size, max_s);
}
