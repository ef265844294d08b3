/* kmsg.c: reads the kernel log (/dev/kmsg, or a tree's copy) without
 * blocking and counts the messages that name a limit (see kmsg.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bounds.h"
#include "kmsg.h"

/* Message texts as the kernel prints them (checked against the source):
 *  net/netfilter/nf_conntrack_core.c: "nf_conntrack: table full, dropping packet";
 *    6.18 in a child netns: "nf_conntrack: nf_conntrack: table full in netns
 *    4026532304, dropping packet" (both matched by "nf_conntrack: table full")
 *  net/ipv4/tcp_minisocks.c (older kernels): "TCP: time wait bucket table overflow"
 *  net/ipv4/tcp_input.c tcp_syn_flood_action(): "%s: Possible SYN flooding on port %s. %s."
 *  net/ipv4/tcp.c tcp_out_of_memory(): "TCP: out of memory -- consider tuning tcp_mem"
 *  net/ipv4/tcp_timer.c tcp_out_of_resources(): "TCP: too many orphaned sockets"
 *  net/core/neighbour.c neigh_alloc(): "neighbour: arp_cache: neighbor table overflow!" */
static const struct {
	const char *key, *needle;
} keys[HR_KMSG_NKEYS] = {
	[HR_KMSG_CONNTRACK_FULL] = {"conntrack_table_full", "nf_conntrack: table full"},
	[HR_KMSG_TW_OVERFLOW] = {"timewait_overflow", "time wait bucket table overflow"},
	[HR_KMSG_SYN_FLOOD] = {"syn_flood", "Possible SYN flooding on port"},
	[HR_KMSG_TCP_OOM] = {"tcp_oom", "out of memory -- consider tuning tcp_mem"},
	[HR_KMSG_ORPHANS] = {"orphans", "too many orphaned sockets"},
	[HR_KMSG_NEIGH_OVERFLOW] = {"neighbour_overflow", "neighbor table overflow"},
};

const char *hr_kmsg_key_name(enum hr_kmsg_key k)
{
	return k < HR_KMSG_NKEYS ? keys[k].key : NULL;
}

const char *hr_kmsg_key_needle(enum hr_kmsg_key k)
{
	return k < HR_KMSG_NKEYS ? keys[k].needle : NULL;
}

void hr_kmsg_scan_init(struct hr_kmsg_scan *s, double window_s, uint64_t now_us)
{
	memset(s, 0, sizeof(*s));
	s->window_s = window_s > 0 ? window_s : HR_KMSG_WINDOW_S;
	s->now_us = now_us;
}

uint64_t hr_kmsg_monotonic_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int hr_kmsg_parse_record(const char *rec, size_t len, uint64_t *ts_us, const char **msg,
			 size_t *msglen)
{
	const char *semi = memchr(rec, ';', len), *p = rec;
	int comma = 0;
	uint64_t ts = 0;
	bool digits = false;

	if (!semi)
		return -EBADMSG;
	/* PRIO,SEQ,TS_USEC,FLAGS[,...]: the third field is the timestamp. */
	for (; p < semi; p++) {
		if (*p == ',') {
			comma++;
			continue;
		}
		if (comma == 2) {
			if (*p < '0' || *p > '9' || ts > (UINT64_MAX - 9) / 10)
				return -EBADMSG;
			ts = ts * 10 + (uint64_t)(*p - '0');
			digits = true;
		}
	}
	if (comma < 3 || !digits)
		return -EBADMSG;
	*ts_us = ts;
	*msg = semi + 1;
	*msglen = len - (size_t)(semi + 1 - rec);
	/* A record read from /dev/kmsg ends with '\n' and may carry
	 * continuation lines (" SUBSYSTEM=..."): the message is the first line. */
	{
		const char *nl = memchr(*msg, '\n', *msglen);

		if (nl)
			*msglen = (size_t)(nl - *msg);
	}
	return 0;
}

/* memmem for a NUL-terminated needle. */
static bool contains(const char *hay, size_t n, const char *needle)
{
	size_t k = strlen(needle);

	return k <= n && memmem(hay, n, needle, k) != NULL;
}

int hr_kmsg_syn_flood_port(const char *msg, size_t len)
{
	const char *needle = "SYN flooding on port ", *p, *end = msg + len, *tok, *colon = NULL;
	long port = 0;

	p = memmem(msg, len, needle, strlen(needle));
	if (!p)
		return -1;
	tok = p + strlen(needle);
	/* The token ends at ". " (the sentence) or the end. */
	for (p = tok; p < end && !(*p == '.' && (p + 1 == end || p[1] == ' ')) && *p != ' '; p++)
		if (*p == ':')
			colon = p;
	if (colon)
		tok = colon + 1;
	if (tok >= p)
		return -1;
	for (; tok < p; tok++) {
		if (*tok < '0' || *tok > '9' || port > 65535)
			return -1;
		port = port * 10 + (*tok - '0');
	}
	return port <= 65535 ? (int)port : -1;
}

uint64_t hr_kmsg_netns_named(const char *msg, size_t len)
{
	const char *p = msg, *end = msg + len;

	/* "netns N": the word, one space, digits (a namespace's inode). */
	while ((p = memmem(p, (size_t)(end - p), "netns ", 6)) != NULL) {
		uint64_t ino = 0;
		const char *d = p + 6;

		if (p == msg || p[-1] == ' ' || p[-1] == '(')
			for (; d < end && *d >= '0' && *d <= '9' && ino < UINT64_MAX / 10; d++)
				ino = ino * 10 + (uint64_t)(*d - '0');
		if (ino && d > p + 6)
			return ino;
		p += 6;
	}
	return 0;
}

long long hr_kmsg_netns_self(void)
{
	struct stat st;

	if (stat("/proc/thread-self/ns/net", &st) < 0 && stat("/proc/self/ns/net", &st) < 0)
		return -errno;
	return (long long)st.st_ino;
}

void hr_kmsg_scan_add(struct hr_kmsg_scan *s, uint64_t ts_us, const char *msg, size_t len)
{
	uint64_t ino;
	int k;

	/* Inside the window: not older than window_s before now (records
	 * stamped after now, from a tree without its capture time, count). */
	if (ts_us + (uint64_t)(s->window_s * 1e6) < s->now_us)
		return;
	s->records++;
	if (s->each)
		s->each(s->ctx, ts_us, msg, len);
	ino = hr_kmsg_netns_named(msg, len);
	for (k = 0; k < HR_KMSG_NKEYS; k++) {
		struct hr_kmsg_match *m = &s->m[k];
		size_t n;

		if (!contains(msg, len, keys[k].needle))
			continue;
		if (k == HR_KMSG_SYN_FLOOD && s->listens) {
			int port = hr_kmsg_syn_flood_port(msg, len);

			if (port >= 0 && !s->listens(s->listens_ctx, (unsigned)port)) {
				s->syn_flood_elsewhere++;
				continue;
			}
		}
		/* Named for another namespace (or one we cannot tell): not ours;
		 * naming none, in a log that is not this namespace's: neither. */
		if (ino && ino != s->self_ino) {
			s->other_netns++;
			continue;
		}
		if (!ino && s->skip_unnamed) {
			s->unnamed_skipped++;
			continue;
		}
		if (ino)
			m->named++;
		if (m->count++ == 0 || ts_us < m->first_us)
			m->first_us = ts_us;
		if (ts_us >= m->last_us) {
			m->last_us = ts_us;
			n = len < sizeof(m->last) - 1 ? len : sizeof(m->last) - 1;
			memcpy(m->last, msg, n);
			m->last[n] = '\0';
		}
	}
}

/* Reads the records of an open /dev/kmsg from its position to the end of
 * the ring without blocking, each to fn. Records overwritten under the
 * reader (EPIPE) are counted in *lost and skipped. 0 or -errno. */
static int read_records(int fd, void (*fn)(void *ctx, uint64_t ts, const char *msg, size_t len), void *ctx,
			uint64_t *lost)
{
	char buf[8192 + 1];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		uint64_t ts;
		const char *msg;
		size_t ml;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EPIPE) {
				/* Records overwritten under us: go on from the next one. */
				(*lost)++;
				continue;
			}
			return errno == EAGAIN ? 0 : -errno;
		}
		if (n == 0)
			return 0;
		buf[n] = '\0';
		if (hr_kmsg_parse_record(buf, (size_t)n, &ts, &msg, &ml) == 0)
			fn(ctx, ts, msg, ml);
	}
}

/* read_records' callback into a scan. */
static void scan_record(void *ctx, uint64_t ts, const char *msg, size_t len)
{
	hr_kmsg_scan_add(ctx, ts, msg, len);
}

int hr_kmsg_read_dev(struct hr_kmsg_scan *s, const char *path)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	r = read_records(fd, scan_record, s, &s->lost);
	close(fd);
	return r;
}

/* A record the log holds: its time and, when it names a limit (one of
 * the needles), its text; the others only count as records. */
struct klog_rec {
	uint64_t ts;
	char *msg;
	size_t len;
};

struct hr_kmsg_log {
	int fd; /* /dev/kmsg, at the end of what was read; -1 until opened */
	uint64_t lost;
	double window_s; /* the widest window asked for: older records are dropped */
	struct klog_rec *v;
	size_t n, cap;
	bool nomem;
};

hr_kmsg_log *hr_kmsg_log_new(void)
{
	hr_kmsg_log *l = calloc(1, sizeof(*l));

	if (l)
		l->fd = -1;
	return l;
}

void hr_kmsg_log_free(hr_kmsg_log *l)
{
	size_t i;

	if (!l)
		return;
	if (l->fd >= 0)
		close(l->fd);
	for (i = 0; i < l->n; i++)
		free(l->v[i].msg);
	free(l->v);
	free(l);
}

/* read_records' callback into the log: the record kept (its text only
 * when a needle is in it). */
static void log_record(void *ctx, uint64_t ts, const char *msg, size_t len)
{
	hr_kmsg_log *l = ctx;
	struct klog_rec *r;
	int k;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 256;
		struct klog_rec *v = realloc(l->v, cap * sizeof(*v));

		if (!v) {
			l->nomem = true;
			return;
		}
		l->v = v;
		l->cap = cap;
	}
	r = &l->v[l->n];
	r->ts = ts;
	r->msg = NULL;
	r->len = 0;
	for (k = 0; k < HR_KMSG_NKEYS; k++)
		if (contains(msg, len, keys[k].needle)) {
			r->msg = strndup(msg, len);
			if (!r->msg) {
				l->nomem = true;
				return;
			}
			r->len = len;
			break;
		}
	l->n++;
}

/* Reads what the kernel logged since the last read (the whole ring the
 * first time), drops the records no window can reach any more, and feeds
 * the scan every record held, as a full read would. 0 or -errno. */
static int log_scan(hr_kmsg_log *l, struct hr_kmsg_scan *s)
{
	uint64_t keep;
	size_t i, j;
	int r;

	if (l->fd < 0) {
		l->fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (l->fd < 0)
			return -errno;
	}
	r = read_records(l->fd, log_record, l, &l->lost);
	if (r < 0 || l->nomem) {
		/* Start over next time: a partial log would undercount. */
		close(l->fd);
		l->fd = -1;
		for (i = 0; i < l->n; i++)
			free(l->v[i].msg);
		l->n = 0;
		l->lost = 0;
		l->nomem = false;
		return r < 0 ? r : -ENOMEM;
	}
	if (s->window_s > l->window_s)
		l->window_s = s->window_s;
	keep = (uint64_t)(l->window_s * 1e6);
	for (i = j = 0; i < l->n; i++) {
		if (l->v[i].ts + keep < s->now_us) {
			free(l->v[i].msg);
			continue;
		}
		l->v[j++] = l->v[i];
	}
	l->n = j;
	s->lost = l->lost;
	for (i = 0; i < l->n; i++)
		hr_kmsg_scan_add(s, l->v[i].ts, l->v[i].msg ? l->v[i].msg : "", l->v[i].len);
	return 0;
}

/* Streams the records of a file in the /dev/kmsg format to fn, each line
 * bounded (HR_KMSG_MAX_LINE; continuation lines skipped). Returns the
 * records, or -errno; a line past a bound, or too many lines that are not
 * records, stops the file: *stop and *stop_line say where. */
static long each_record(int fd, void (*fn)(void *ctx, uint64_t ts, const char *msg, size_t len), void *ctx,
			int *stop, long *stop_line)
{
	FILE *fp = fd >= 0 ? fdopen(fd, "r") : NULL;
	char line[HR_KMSG_MAX_LINE + 2];
	long count = 0, lineno = 0, bad = 0;
	size_t n;
	int r;

	*stop = 0;
	if (fd < 0)
		return fd;
	if (!fp) {
		close(fd);
		return -errno;
	}
	while ((r = hr_bounds_getline(fp, line, HR_KMSG_MAX_LINE, &n)) != 0) {
		uint64_t ts;
		const char *msg;
		size_t ml;

		lineno++;
		if (r < 0) {
			*stop = r;
			*stop_line = lineno;
			break;
		}
		if (n == 0 || line[0] == ' ')
			continue; /* continuation line */
		if (hr_kmsg_parse_record(line, n, &ts, &msg, &ml) < 0) {
			if (++bad == HR_KMSG_MAX_BAD) {
				*stop = -EBADMSG;
				*stop_line = lineno;
				break;
			}
			continue;
		}
		fn(ctx, ts, msg, ml);
		count++;
	}
	fclose(fp);
	return count;
}

/* each_record's callback of hr_kmsg_read_file. */
static void add_record(void *ctx, uint64_t ts, const char *msg, size_t len)
{
	hr_kmsg_scan_add(ctx, ts, msg, len);
}

long hr_kmsg_read_file(struct hr_kmsg_scan *s, int fd)
{
	return each_record(fd, add_record, s, &s->stop, &s->stop_line);
}

void hr_kmsg_to_facts(const struct hr_kmsg_scan *s, hr_facts *f, const char *source)
{
	char name[96];
	int k;

	hr_facts_set_num(f, "kernel.log.window", s->window_s, source);
	hr_facts_set_num(f, "kernel.log.records", (double)s->records, source);
	hr_facts_set_num(f, "kernel.log.lost", (double)s->lost, source);
	hr_facts_set_num(f, "kernel.log.syn_flood_elsewhere", (double)s->syn_flood_elsewhere, source);
	hr_facts_set_num(f, "kernel.log.other_netns", (double)s->other_netns, source);
	hr_facts_set_num(f, "kernel.log.unnamed_skipped", (double)s->unnamed_skipped, source);
	if (s->self_ino)
		hr_facts_set_num(f, "kernel.log.netns_inode", (double)s->self_ino, source);
	else
		hr_facts_set_missing(f, "kernel.log.netns_inode", "not known (a tree without headroom/netns-inode)");
	for (k = 0; k < HR_KMSG_NKEYS; k++) {
		const struct hr_kmsg_match *m = &s->m[k];

		snprintf(name, sizeof(name), "kernel.log.%s.count", keys[k].key);
		hr_facts_set_num(f, name, (double)m->count, source);
		snprintf(name, sizeof(name), "kernel.log.%s.named", keys[k].key);
		hr_facts_set_num(f, name, (double)m->named, source);
		if (!m->count) {
			snprintf(name, sizeof(name), "kernel.log.%s.first_age", keys[k].key);
			hr_facts_set_missing(f, name, "no such message in the window");
			snprintf(name, sizeof(name), "kernel.log.%s.last_age", keys[k].key);
			hr_facts_set_missing(f, name, "no such message in the window");
			snprintf(name, sizeof(name), "kernel.log.%s.last", keys[k].key);
			hr_facts_set_missing(f, name, "no such message in the window");
			continue;
		}
		snprintf(name, sizeof(name), "kernel.log.%s.first_age", keys[k].key);
		hr_facts_set_num(f, name, s->now_us > m->first_us ? (double)(s->now_us - m->first_us) / 1e6 : 0,
				 source);
		snprintf(name, sizeof(name), "kernel.log.%s.last_age", keys[k].key);
		hr_facts_set_num(f, name, s->now_us > m->last_us ? (double)(s->now_us - m->last_us) / 1e6 : 0,
				 source);
		snprintf(name, sizeof(name), "kernel.log.%s.last", keys[k].key);
		hr_facts_set_str(f, name, m->last, source);
	}
}

int hr_kmsg_netns_initial(void)
{
	struct stat self, init;

	if (stat("/proc/self/ns/net", &self) < 0)
		return -errno;
	if (stat("/proc/1/ns/net", &init) == 0)
		return self.st_ino == init.st_ino && self.st_dev == init.st_dev;
	/* pid 1 not ours to look at: kernels that give init_net the fixed
	 * inode PROC_NET_INIT_INO (0xEFFFFFF9, include/linux/proc_ns.h) still
	 * tell; others cannot. */
	if (self.st_ino == 0xEFFFFFF9u)
		return 1;
	return -EACCES;
}

long hr_kmsg_copy(const char *path, int out)
{
	char buf[8192 + 1];
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	long n = 0;

	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t k = read(fd, buf, sizeof(buf) - 1);
		int r;

		if (k < 0 && (errno == EINTR || errno == EPIPE))
			continue;
		if (k <= 0)
			break;
		if (buf[k - 1] != '\n')
			buf[k++] = '\n';
		r = hr_write_all(out, buf, (size_t)k);
		if (r < 0) {
			close(fd);
			return r;
		}
		n++;
	}
	close(fd);
	return n;
}

/* Marks every kernel.log fact missing with one reason. */
static void all_missing(hr_facts *f, const char *why)
{
	static const char *const sub[] = {"count", "named", "first_age", "last_age", "last"};
	char name[96];
	int k;
	size_t i;

	hr_facts_set_missing(f, "kernel.log.window", why);
	hr_facts_set_missing(f, "kernel.log.records", why);
	for (k = 0; k < HR_KMSG_NKEYS; k++)
		for (i = 0; i < HR_ARRAY_SIZE(sub); i++) {
			snprintf(name, sizeof(name), "kernel.log.%s.%s", keys[k].key, sub[i]);
			hr_facts_set_missing(f, name, why);
		}
}

/* True when the facts show a listener on port (hr_kmsg_scan.listens). */
static bool facts_listen(void *ctx, unsigned port)
{
	const hr_facts *f = ctx;
	size_t i, n = hr_facts_count(f, HR_COLL_LISTENERS);
	struct hr_value v;

	for (i = 0; i < n; i++)
		if (hr_facts_item_get(f, HR_COLL_LISTENERS, i, "listener.port", &v) == 0 && v.type == HR_V_NUM &&
		    (unsigned)v.num == port)
			return true;
	return false;
}

/* Attributes SYN flood messages to this namespace's listeners when the
 * sockets were read (otherwise every such message counts). */
static void scan_attach(struct hr_kmsg_scan *s, hr_facts *f)
{
	if (hr_facts_have_sockets(f)) {
		s->listens = facts_listen;
		s->listens_ctx = f;
	}
}

/* The largest timestamp of a tree's records (fd taken over), 0 when none. */
/* each_record's callback of last_record: the newest timestamp. */
static void newest(void *ctx, uint64_t ts, const char *msg, size_t len)
{
	uint64_t *last = ctx;

	(void)msg;
	(void)len;
	if (ts > *last)
		*last = ts;
}

/* The newest record's timestamp of a file in the /dev/kmsg format, 0 if none. */
static uint64_t last_record(int fd)
{
	uint64_t last = 0;
	long where;
	int stop;

	each_record(fd, newest, &last, &stop, &where);
	return last;
}

void hr_kmsg_probe(hr_facts *f, const struct hr_probe_tree *t, double window_s, hr_kmsg_log *log)
{
	struct hr_kmsg_scan s;
	char why[256], text[64];
	double now = -1;
	/* 1 initial, 0 child, -1 unknown, 2 not said (the tree's own log). */
	int r, fd, this_ns = 2;

	if (!t->root || !*t->root) {
		long long ino = hr_kmsg_netns_self();
		int init = hr_kmsg_netns_initial();

		hr_kmsg_scan_init(&s, window_s, hr_kmsg_monotonic_us());
		s.self_ino = ino > 0 ? (uint64_t)ino : 0;
		s.skip_unnamed = init != 1;
		scan_attach(&s, f);
		r = log ? log_scan(log, &s) : hr_kmsg_read_dev(&s, "/dev/kmsg");
		if (r < 0) {
			snprintf(why, sizeof(why), "/dev/kmsg: %s%s", hr_strerror(r),
				 r == -EACCES || r == -EPERM ? " (run as root, or kernel.dmesg_restrict = 0)" : "");
			all_missing(f, why);
			return;
		}
		hr_kmsg_to_facts(&s, f, "/dev/kmsg");
		if (init >= 0)
			hr_facts_set_num(f, "kernel.log.this_netns", init, "/proc/self/ns/net vs /proc/1/ns/net");
		else
			hr_facts_set_missing(f, "kernel.log.this_netns",
					     "cannot tell the network namespace (/proc/1/ns/net unreadable)");
		return;
	}
	/* A tree: regular files only, opened the probe's way (never a FIFO
	 * that would block, never through a symlink). */
	if (hr_probe_read_regular(t, HR_KMSG_TREE_NOW, text, sizeof(text)) > 0) {
		char *end;

		now = strtod(text, &end);
		if (end == text || now < 0)
			now = -1;
	}
	if (now < 0) {
		/* No capture time: measure ages from the last record. */
		hr_facts_add_problem(f, HR_KMSG_TREE_NOW, "absent: kernel log ages are measured from the last record");
		hr_kmsg_scan_init(&s, window_s, last_record(hr_probe_open_regular(t, HR_KMSG_TREE_FILE)));
	} else {
		hr_kmsg_scan_init(&s, window_s, (uint64_t)(now * 1e6));
	}
	if (hr_probe_read_regular(t, HR_KMSG_TREE_NETNS_INO, text, sizeof(text)) > 0) {
		char *end;
		unsigned long long ino = strtoull(hr_strtrim(text), &end, 10);

		if (*end == '\0' && ino > 0)
			s.self_ino = ino;
		else
			hr_facts_add_problem(f, HR_KMSG_TREE_NETNS_INO, "not a namespace inode; messages naming a namespace are not attributed");
	}
	/* The log's scope: "initial" (or not said: given with the tree) lets
	 * messages that name no namespace count; "child"/"unknown" do not. */
	if (hr_probe_read_regular(t, HR_KMSG_TREE_NETNS, text, sizeof(text)) >= 0) {
		const char *scope = hr_strtrim(text);

		this_ns = !strcmp(scope, "initial") ? 1 : !strcmp(scope, "child") ? 0 : -1;
	}
	s.skip_unnamed = this_ns != 1 && this_ns != 2;
	scan_attach(&s, f);
	fd = hr_probe_open_regular(t, HR_KMSG_TREE_FILE);
	if (fd < 0 || hr_kmsg_read_file(&s, fd) < 0) {
		snprintf(why, sizeof(why), HR_KMSG_TREE_FILE " %s",
			 fd == -ENOENT ? "not in the tree (kernel log not captured)"
			 : fd < 0 ? hr_strerror_about(fd, HR_ABOUT_TREE) : "unreadable");
		all_missing(f, why);
		return;
	}
	if (s.stop)
		hr_facts_add_problem(f, HR_KMSG_TREE_FILE, "line %ld: %s; rest of the file not read", s.stop_line,
				     s.stop == -EBADMSG ? HR_STR(HR_KMSG_MAX_BAD) " lines that are not kernel log records"
				     : s.stop == -E2BIG ? "longer than " HR_STR(HR_KMSG_MAX_LINE) " bytes"
							: "binary data (a NUL byte)");
	hr_kmsg_to_facts(&s, f, HR_KMSG_TREE_FILE);
	if (this_ns == 2)
		hr_facts_set_num(f, "kernel.log.this_netns", 1, HR_KMSG_TREE_FILE " (given with the tree)");
	else if (this_ns >= 0)
		hr_facts_set_num(f, "kernel.log.this_netns", this_ns, HR_KMSG_TREE_NETNS);
	else
		hr_facts_set_missing(f, "kernel.log.this_netns", "the snapshot could not tell its network namespace");
}
