/* tundelay: a path with a delay (and optionally a rate) between two network
 * namespaces, for a kernel without netem: one TUN device in each namespace
 * and this relay between them, which forwards every packet read from one
 * device to the other once DELAY ms have passed (a timed FIFO per
 * direction). With --rate, each direction is also a bottleneck of that
 * many bytes/s with a drop-tail queue of --queue bytes (a packet leaves at
 * max(arrival + delay, previous departure + its size / rate)).
 *
 *   tundelay --ns-a PATH --dev-a NAME --ns-b PATH --dev-b NAME --delay MS
 *            [--rate BYTES_PER_S] [--queue BYTES] [--seconds N]
 *
 * The devices are made (IFF_TUN | IFF_NO_PI) inside the namespaces named by
 * PATH (/run/netns/NAME); the caller addresses them and brings them up.
 * Prints "ready" on stdout once both exist; runs --seconds (default 120) or
 * until SIGTERM/SIGINT, then prints "forwarded A>B N B>A N dropped N". */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define SLOTS 16384
#define PKT 2048

struct pkt {
	uint64_t due_ns;
	uint16_t len;
	unsigned char data[PKT];
};

/* One direction: a ring of packets waiting for their time. */
struct dir {
	int in, out;
	struct pkt *ring;
	size_t head, n;
	uint64_t queued_bytes, last_due, forwarded, dropped;
};

static volatile sig_atomic_t stop;

static void on_sig(int s)
{
	(void)s;
	stop = 1;
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "tundelay: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Makes a TUN device NAME inside the namespace at PATH; returns its fd. */
static int tun_in(const char *path, const char *name)
{
	int self = open("/proc/self/ns/net", O_RDONLY), ns = open(path, O_RDONLY), fd;
	struct ifreq ifr;

	if (self < 0 || ns < 0)
		die(path);
	if (setns(ns, CLONE_NEWNET) < 0)
		die("setns");
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK);
	if (fd < 0)
		die("/dev/net/tun");
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		die("TUNSETIFF");
	if (setns(self, CLONE_NEWNET) < 0)
		die("setns back");
	close(self);
	close(ns);
	return fd;
}

/* Reads what is waiting on d->in into its ring, timed. */
static void take(struct dir *d, uint64_t delay_ns, double rate, uint64_t qmax)
{
	for (;;) {
		struct pkt *p;
		ssize_t len;
		uint64_t t, due;

		if (d->n == SLOTS) {
			unsigned char junk[PKT];

			if (read(d->in, junk, sizeof(junk)) <= 0)
				return;
			d->dropped++;
			continue;
		}
		p = &d->ring[(d->head + d->n) % SLOTS];
		len = read(d->in, p->data, sizeof(p->data));
		if (len <= 0)
			return;
		t = now_ns();
		due = t + delay_ns;
		if (rate > 0) {
			/* The bottleneck: one packet at a time at rate (after the
			 * previous one), drop-tail beyond qmax bytes held. */
			uint64_t tx = (uint64_t)((double)len / rate * 1e9);

			if (qmax && d->queued_bytes + (uint64_t)len > qmax) {
				d->dropped++;
				continue;
			}
			due = (d->last_due > due ? d->last_due : due) + tx;
		}
		p->due_ns = due;
		p->len = (uint16_t)len;
		d->last_due = due;
		d->queued_bytes += (uint64_t)len;
		d->n++;
	}
}

/* Writes every packet whose time has come; returns ns until the next one (or -1). */
static int64_t give(struct dir *d)
{
	uint64_t t = now_ns();

	while (d->n) {
		struct pkt *p = &d->ring[d->head];

		if (p->due_ns > t)
			return (int64_t)(p->due_ns - t);
		if (write(d->out, p->data, p->len) < 0 && errno == EAGAIN)
			return 100000; /* the device's queue is full: retry in 0.1 ms */
		d->queued_bytes -= p->len;
		d->forwarded++;
		d->head = (d->head + 1) % SLOTS;
		d->n--;
	}
	return -1;
}

int main(int argc, char **argv)
{
	const char *ns_a = NULL, *ns_b = NULL, *dev_a = NULL, *dev_b = NULL;
	double delay_ms = -1, rate = 0, seconds = 120;
	uint64_t qmax = 0, end;
	struct dir d[2];
	int i;

	for (i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--ns-a"))
			ns_a = argv[i + 1];
		else if (!strcmp(argv[i], "--ns-b"))
			ns_b = argv[i + 1];
		else if (!strcmp(argv[i], "--dev-a"))
			dev_a = argv[i + 1];
		else if (!strcmp(argv[i], "--dev-b"))
			dev_b = argv[i + 1];
		else if (!strcmp(argv[i], "--delay"))
			delay_ms = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--rate"))
			rate = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--queue"))
			qmax = strtoull(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--seconds"))
			seconds = atof(argv[i + 1]);
		else
			break;
	}
	if (i != argc || !ns_a || !ns_b || !dev_a || !dev_b || delay_ms < 0 || seconds <= 0) {
		fprintf(stderr, "usage: tundelay --ns-a PATH --dev-a NAME --ns-b PATH --dev-b NAME --delay MS "
				"[--rate BYTES_PER_S] [--queue BYTES] [--seconds N]\n");
		return 2;
	}
	signal(SIGTERM, on_sig);
	signal(SIGINT, on_sig);
	memset(d, 0, sizeof(d));
	d[0].in = d[1].out = tun_in(ns_a, dev_a);
	d[1].in = d[0].out = tun_in(ns_b, dev_b);
	for (i = 0; i < 2; i++) {
		d[i].ring = malloc(sizeof(struct pkt) * SLOTS);
		if (!d[i].ring)
			die("malloc");
	}
	printf("ready\n");
	fflush(stdout);
	end = now_ns() + (uint64_t)(seconds * 1e9);
	while (!stop && now_ns() < end) {
		struct pollfd pf[2] = {{.fd = d[0].in, .events = POLLIN}, {.fd = d[1].in, .events = POLLIN}};
		int64_t w0 = give(&d[0]), w1 = give(&d[1]), w = 50000000;
		struct timespec ts;

		if (w0 >= 0 && w0 < w)
			w = w0;
		if (w1 >= 0 && w1 < w)
			w = w1;
		ts.tv_sec = w / 1000000000;
		ts.tv_nsec = w % 1000000000;
		if (ppoll(pf, 2, &ts, NULL) < 0 && errno != EINTR)
			die("ppoll");
		for (i = 0; i < 2; i++)
			if (pf[i].revents & POLLIN)
				take(&d[i], (uint64_t)(delay_ms * 1e6), rate, qmax);
	}
	printf("forwarded A>B %llu B>A %llu dropped %llu\n", (unsigned long long)d[0].forwarded,
	       (unsigned long long)d[1].forwarded, (unsigned long long)(d[0].dropped + d[1].dropped));
	for (i = 0; i < 2; i++)
		free(d[i].ring);
	return 0;
}
