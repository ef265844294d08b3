/* tcpgen.c: bounded TCP traffic for tests and benchmarks (loopback or
 * addresses inside namespaces the caller made).
 *
 *   tcpgen server --listen ADDR:PORT[,...] [--backlog N] [--accept normal|slow:MS|never]
 *                 [--close server|client] [--hold-ms MS] [--duration S] [--quiet]
 *   tcpgen client --connect ADDR:PORT[,...] --rate R --duration S [--count N]
 *                 [--close client|server] [--bind ADDR] [--stop-on-fail] [--quiet]
 *   tcpgen fill   --connect ADDR:PORT[,...] --count N [--parallel P] [--serve]
 *                 [--bind ADDR] [--duration S] [--quiet]
 *
 * "--close client" means the client closes first (TIME_WAIT on the client),
 * "--close server" the server closes first (TIME_WAIT on the server); the
 * other side waits for the peer's FIN and then closes. Closes are plain
 * close() with nothing unread, so the kernel sends FIN, never RST.
 *
 * The client paces attempt k at start + k / R on CLOCK_MONOTONIC with
 * non-blocking connects, so a slow server does not slow the pace. fill makes
 * N client-closed connections as fast as it can, P in flight; --serve also
 * listens on the --connect addresses and closes after the client.
 * Every mode ends by --duration (default 60 s; fill 600 s), by --count, or
 * on SIGINT/SIGTERM, and prints one key=value line; a client's line ends with
 * first_failure_s (when the first failed connect was seen, any error) and
 * first_failed_attempt_s (when that attempt began; -1 when none failed)
 * and t0_unix (the start on CLOCK_REALTIME: times it reports are from then).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

#define MAX_EPS 64
#define GRACE_S 2.0

enum kind { K_LISTENER, K_SERVED, K_CONNECTING, K_OPEN };
enum mode { M_SERVER, M_CLIENT, M_FILL };

struct ep {
	struct sockaddr_storage sa;
	socklen_t len;
};

/* A server connection waiting for its --hold-ms before the server closes it. */
struct held {
	int fd;
	double at;
};

static struct {
	enum mode mode;
	struct ep eps[MAX_EPS];
	int neps;
	struct ep bind;
	bool have_bind;
	int backlog;
	int accept_ms;         /* 0 normal, >0 slow, <0 never */
	bool client_closes;    /* who closes first */
	double hold_ms;
	double duration;
	double rate;
	long count;
	int parallel;
	bool serve, stop_on_fail, quiet;
} opt = {.backlog = 4096, .client_closes = true, .count = -1, .parallel = 128};

static struct {
	long attempted, connected, eaddrnotavail, other, accepted, served_closed;
	int first_other;
	double first_eaddrnotavail;
	double first_failure, first_failed_attempt; /* any error: when seen, when that attempt began */
	long inflight, open;
} st = {.first_eaddrnotavail = -1, .first_failure = -1, .first_failed_attempt = -1};

/* Start time of the connect in flight on each fd (for first_failed_attempt_s). */
static double *launched;
static size_t nlaunched;

static int epfd = -1;
static int listeners[MAX_EPS];
static int nlisteners;
static double t0;
static double t0_unix; /* t0 on CLOCK_REALTIME, for lining up with `date +%s.%N` */
static struct held *held;
static size_t held_head, held_tail, held_cap;
static volatile sig_atomic_t stop;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "tcpgen: %s\n", what);
	exit(2);
}

static void usage(void)
{
	fputs("usage: tcpgen server --listen ADDR:PORT[,...] [--backlog N] [--accept normal|slow:MS|never]\n"
	      "                     [--close server|client] [--hold-ms MS] [--duration S] [--quiet]\n"
	      "       tcpgen client --connect ADDR:PORT[,...] --rate R --duration S [--count N]\n"
	      "                     [--close client|server] [--bind ADDR] [--stop-on-fail] [--quiet]\n"
	      "       tcpgen fill --connect ADDR:PORT[,...] --count N [--parallel P] [--serve]\n"
	      "                   [--bind ADDR] [--duration S] [--quiet]\n",
	      stderr);
	exit(64);
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Parses "1.2.3.4", "::1" or "[::1]" (port given separately) into an ep. */
static bool parse_ip(const char *s, size_t n, uint16_t port, struct ep *e)
{
	char buf[64];

	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(e, 0, sizeof(*e));
	if (inet_pton(AF_INET, buf, &((struct sockaddr_in *)&e->sa)->sin_addr) == 1) {
		struct sockaddr_in *a = (struct sockaddr_in *)&e->sa;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		e->len = sizeof(*a);
		return true;
	}
	if (inet_pton(AF_INET6, buf, &((struct sockaddr_in6 *)&e->sa)->sin6_addr) == 1) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&e->sa;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		e->len = sizeof(*a);
		return true;
	}
	return false;
}

/* Parses a comma list of ADDR:PORT into opt.eps. */
static void parse_eps(const char *list)
{
	const char *p = list;

	while (*p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		const char *colon = memrchr(p, ':', n);
		char *e;
		long port;

		if (!colon || opt.neps == MAX_EPS)
			die("bad or too many ADDR:PORT");
		port = strtol(colon + 1, &e, 10);
		if (e != p + n || port < 0 || port > 65535 ||
		    !parse_ip(p, (size_t)(colon - p), (uint16_t)port, &opt.eps[opt.neps]))
			die("bad ADDR:PORT (use 127.0.0.1:80 or [::1]:80)");
		opt.neps++;
		p += n;
		if (*p == ',')
			p++;
	}
	if (!opt.neps)
		die("no ADDR:PORT given");
}

static double num_arg(const char *s, double lo, double hi, const char *what)
{
	char *e;
	double v = strtod(s, &e);

	if (e == s || *e || !(v >= lo && v <= hi)) {
		fprintf(stderr, "tcpgen: bad %s '%s' (%g..%g)\n", what, s, lo, hi);
		exit(64);
	}
	return v;
}

static void parse_args(int argc, char **argv)
{
	int i;

	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "server"))
		opt.mode = M_SERVER;
	else if (!strcmp(argv[1], "client"))
		opt.mode = M_CLIENT;
	else if (!strcmp(argv[1], "fill"))
		opt.mode = M_FILL;
	else
		usage();
	opt.duration = opt.mode == M_FILL ? 600 : 60;
	for (i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		bool takes = true;

		if (!strcmp(a, "--quiet")) {
			opt.quiet = true;
			takes = false;
		} else if (!strcmp(a, "--stop-on-fail")) {
			opt.stop_on_fail = true;
			takes = false;
		} else if (!strcmp(a, "--serve")) {
			opt.serve = true;
			takes = false;
		} else if (!v) {
			usage();
		} else if (!strcmp(a, "--listen") || !strcmp(a, "--connect")) {
			parse_eps(v);
		} else if (!strcmp(a, "--backlog")) {
			opt.backlog = (int)num_arg(v, 0, 1 << 20, "--backlog");
		} else if (!strcmp(a, "--accept")) {
			if (!strcmp(v, "normal"))
				opt.accept_ms = 0;
			else if (!strcmp(v, "never"))
				opt.accept_ms = -1;
			else if (!strncmp(v, "slow:", 5))
				opt.accept_ms = (int)num_arg(v + 5, 1, 3600000, "--accept slow:MS");
			else
				usage();
		} else if (!strcmp(a, "--close")) {
			if (strcmp(v, "client") && strcmp(v, "server"))
				usage();
			opt.client_closes = !strcmp(v, "client");
		} else if (!strcmp(a, "--hold-ms")) {
			opt.hold_ms = num_arg(v, 0, 3600000, "--hold-ms");
		} else if (!strcmp(a, "--duration")) {
			opt.duration = num_arg(v, 0.001, 86400, "--duration");
		} else if (!strcmp(a, "--rate")) {
			opt.rate = num_arg(v, 0.001, 1e6, "--rate");
		} else if (!strcmp(a, "--count")) {
			opt.count = (long)num_arg(v, 0, 1e8, "--count");
		} else if (!strcmp(a, "--parallel")) {
			opt.parallel = (int)num_arg(v, 1, 65536, "--parallel");
		} else if (!strcmp(a, "--bind")) {
			if (!parse_ip(v, strlen(v), 0, &opt.bind))
				die("bad --bind address");
			opt.have_bind = true;
		} else {
			usage();
		}
		if (takes)
			i++;
	}
	if (!opt.neps)
		usage();
	if (opt.mode == M_CLIENT && opt.rate <= 0)
		die("client needs --rate");
	if (opt.mode == M_FILL && opt.count < 0)
		die("fill needs --count");
}

static void ep_add(int fd, enum kind k, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.u64 = ((uint64_t)fd << 2) | k};

	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		die("epoll_ctl ADD failed");
}

static void ep_mod(int fd, enum kind k, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.u64 = ((uint64_t)fd << 2) | k};

	if (epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
		die("epoll_ctl MOD failed");
}

/* Opens a non-blocking listener on each endpoint. */
static void open_listeners(void)
{
	int i, one = 1;

	for (i = 0; i < opt.neps; i++) {
		int fd = socket(opt.eps[i].sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

		if (fd < 0)
			die("socket() failed");
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&opt.eps[i].sa, opt.eps[i].len) < 0) {
			fprintf(stderr, "tcpgen: bind: %s\n", strerror(errno));
			exit(2);
		}
		if (listen(fd, opt.backlog) < 0)
			die("listen() failed");
		listeners[nlisteners++] = fd;
		if (opt.accept_ms == 0)
			ep_add(fd, K_LISTENER, EPOLLIN);
	}
}

static void held_push(int fd, double at)
{
	if (held_tail == held_cap) {
		size_t live = held_tail - held_head;

		if (held_head > held_cap / 2) {
			memmove(held, held + held_head, live * sizeof(*held));
		} else {
			held_cap = held_cap ? held_cap * 2 : 1024;
			held = realloc(held, held_cap * sizeof(*held));
			if (!held)
				die("out of memory");
			memmove(held, held + held_head, live * sizeof(*held));
		}
		held_head = 0;
		held_tail = live;
	}
	held[held_tail].fd = fd;
	held[held_tail].at = at;
	held_tail++;
}

/* Server side of one accepted connection: close first, or wait for the peer. */
static void on_accepted(int fd)
{
	st.accepted++;
	if (opt.mode == M_SERVER && !opt.client_closes) {
		if (opt.hold_ms <= 0) {
			close(fd);
			st.served_closed++;
		} else {
			held_push(fd, now() + opt.hold_ms / 1000);
		}
		return;
	}
	ep_add(fd, K_SERVED, EPOLLIN | EPOLLRDHUP);
}

/* Accepts up to max connections from a listener (non-blocking). */
static void accept_some(int lfd, int max)
{
	while (max-- > 0) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE) {
				if (!opt.quiet)
					fprintf(stderr, "tcpgen: accept: %s\n", strerror(errno));
			}
			return;
		}
		on_accepted(fd);
	}
}

/* Reads until EOF (or an error) and closes: the peer closed first. */
static void on_readable(int fd, enum kind k)
{
	char buf[512];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n > 0)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		close(fd);
		if (k == K_SERVED)
			st.served_closed++;
		else
			st.open--;
		return;
	}
}

static void record_error(int err, double started)
{
	if (st.first_failure < 0) {
		st.first_failure = now() - t0;
		st.first_failed_attempt = started - t0;
	}
	if (err == EADDRNOTAVAIL) {
		if (st.eaddrnotavail++ == 0) {
			st.first_eaddrnotavail = now() - t0;
			if (!opt.quiet)
				fprintf(stderr, "tcpgen: first EADDRNOTAVAIL after %.3f s\n",
					st.first_eaddrnotavail);
		}
	} else {
		if (st.other++ == 0) {
			st.first_other = err;
			if (!opt.quiet)
				fprintf(stderr, "tcpgen: connect: %s\n", strerror(err));
		}
	}
	if (opt.stop_on_fail)
		stop = 1;
}

static void on_connected(int fd, bool registered)
{
	st.connected++;
	if (opt.client_closes) {
		close(fd); /* FIN: nothing unread, no SO_LINGER */
		return;
	}
	st.open++;
	if (registered)
		ep_mod(fd, K_OPEN, EPOLLIN | EPOLLRDHUP);
	else
		ep_add(fd, K_OPEN, EPOLLIN | EPOLLRDHUP);
}

/* Starts one non-blocking connect toward endpoint i. */
static void launch(int i)
{
	const struct ep *e = &opt.eps[i % opt.neps];
	int fd = socket(e->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;

	double started = now();

	st.attempted++;
	if (fd < 0) {
		record_error(errno, started);
		return;
	}
	if (opt.have_bind) {
		/* Port chosen at connect(), per destination, as without bind. */
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&opt.bind.sa, opt.bind.len) < 0) {
			record_error(errno, started);
			close(fd);
			return;
		}
	}
	if (connect(fd, (const struct sockaddr *)&e->sa, e->len) == 0) {
		on_connected(fd, false);
		return;
	}
	if (errno != EINPROGRESS) {
		record_error(errno, started);
		close(fd);
		return;
	}
	if ((size_t)fd >= nlaunched) {
		size_t n = (size_t)fd * 2 + 64;
		double *l = realloc(launched, n * sizeof(*l));

		if (l) {
			for (size_t j = nlaunched; j < n; j++)
				l[j] = -1;
			launched = l;
			nlaunched = n;
		}
	}
	if ((size_t)fd < nlaunched)
		launched[fd] = started;
	st.inflight++;
	ep_add(fd, K_CONNECTING, EPOLLOUT);
}

static void on_connect_done(int fd)
{
	int err = 0;
	socklen_t len = sizeof(err);

	st.inflight--;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err) {
		record_error(err, (size_t)fd < nlaunched && launched[fd] >= 0 ? launched[fd] : now());
		close(fd);
		return;
	}
	on_connected(fd, true);
}

/* Handles ready events; waits at most timeout_s. */
static void poll_events(double timeout_s)
{
	struct epoll_event evs[256];
	int ms = timeout_s <= 0 ? 0 : (int)ceil(timeout_s * 1000), n, i;

	if (ms > 100)
		ms = 100;
	n = epoll_wait(epfd, evs, 256, ms);
	for (i = 0; i < n; i++) {
		int fd = (int)(evs[i].data.u64 >> 2);
		enum kind k = (enum kind)(evs[i].data.u64 & 3);

		switch (k) {
		case K_LISTENER:
			accept_some(fd, 256);
			break;
		case K_CONNECTING:
			on_connect_done(fd);
			break;
		case K_SERVED:
		case K_OPEN:
			on_readable(fd, k);
			break;
		}
	}
}

/* Closes held server connections whose hold time is over. */
static double run_held(double t)
{
	while (held_head < held_tail && held[held_head].at <= t) {
		close(held[held_head++].fd);
		st.served_closed++;
	}
	return held_head < held_tail ? held[held_head].at - t : 1.0;
}

static void print_client(double elapsed)
{
	printf("attempted=%ld connected=%ld failed=%ld eaddrnotavail=%ld first_eaddrnotavail_s=%.3f "
	       "other_errors=%ld first_other_error=%s elapsed_s=%.3f achieved_rate=%.2f "
	       "first_failure_s=%.3f first_failed_attempt_s=%.3f t0_unix=%.6f\n",
	       st.attempted, st.connected, st.eaddrnotavail + st.other, st.eaddrnotavail,
	       st.first_eaddrnotavail, st.other, st.other ? strerror(st.first_other) : "none", elapsed,
	       elapsed > 0 ? (double)st.connected / elapsed : 0, st.first_failure, st.first_failed_attempt, t0_unix);
}

static int run_server(void)
{
	double end = t0 + opt.duration, next_accept = t0;

	open_listeners();
	while (!stop) {
		double t = now(), wait = end - t;
		double h = run_held(t);

		if (t >= end)
			break;
		if (h < wait)
			wait = h;
		if (opt.accept_ms > 0) {
			if (t >= next_accept) {
				int i;

				for (i = 0; i < nlisteners; i++)
					accept_some(listeners[i], 1);
				next_accept += opt.accept_ms / 1000.0;
				if (next_accept < t)
					next_accept = t + opt.accept_ms / 1000.0;
			}
			if (next_accept - t < wait)
				wait = next_accept - t;
		}
		poll_events(wait);
	}
	printf("accepted=%ld closed=%ld elapsed_s=%.3f\n", st.accepted, st.served_closed, now() - t0);
	return 0;
}

static int run_client(void)
{
	double end = t0 + opt.duration;
	long k = 0;

	while (!stop) {
		double t = now(), due;

		if (t >= end || (opt.count >= 0 && k >= opt.count))
			break;
		/* Absolute schedule: attempt k is due at t0 + k / rate. */
		while ((due = t0 + (double)k / opt.rate) <= t && (opt.count < 0 || k < opt.count) && !stop)
			launch((int)(k++ % opt.neps));
		due = t0 + (double)k / opt.rate;
		poll_events((due < end ? due : end) - now());
	}
	{
		double elapsed = now() - t0, grace = now() + GRACE_S;

		/* Ended by --count: the last attempt's slot lasts until k / rate. */
		if ((double)k / opt.rate > elapsed)
			elapsed = (double)k / opt.rate;

		/* In-flight connects get a bounded grace; counted, not paced. */
		while ((st.inflight > 0 || st.open > 0) && now() < grace && !stop)
			poll_events(grace - now());
		print_client(elapsed);
	}
	return st.eaddrnotavail + st.other > 0 && opt.stop_on_fail ? 1 : 0;
}

static int run_fill(void)
{
	double end = t0 + opt.duration;
	long k = 0;

	opt.client_closes = true;
	if (opt.serve)
		open_listeners();
	while (!stop && now() < end) {
		while (k < opt.count && st.inflight < opt.parallel && !stop)
			launch((int)(k++ % opt.neps));
		if (k >= opt.count && st.inflight == 0)
			break;
		poll_events(0.1);
	}
	/* Let the in-process server accept and see the last FINs: closing a
	 * listener with children still queued would reset them. */
	if (opt.serve) {
		double grace = now() + GRACE_S;

		while ((st.accepted < st.connected || st.served_closed < st.accepted) && now() < grace)
			poll_events(0.05);
	}
	print_client(now() - t0);
	return 0;
}

int main(int argc, char **argv)
{
	struct rlimit rl;
	struct sigaction sa;

	parse_args(argc, argv);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		die("epoll_create1 failed");
	t0 = now();
	{
		struct timespec rt;

		clock_gettime(CLOCK_REALTIME, &rt);
		t0_unix = (double)rt.tv_sec + (double)rt.tv_nsec / 1e9;
	}
	switch (opt.mode) {
	case M_SERVER:
		return run_server();
	case M_CLIENT:
		return run_client();
	default:
		return run_fill();
	}
}
