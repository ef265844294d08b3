/* procnet.c: streaming parser of /proc/net/tcp{,6}: hand-rolled hex
 * parsing over one large read buffer, no per-line allocation or sscanf. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bounds.h"
#include "procnet.h"

/* 256 KiB: a few thousand lines per read(), few syscalls even at 1M sockets. */
#define PN_BUFSZ (256 * 1024)
/* Malformed lines listed one by one per file; the rest are only counted. */
#define PN_MAX_REPORTED 10

struct hr_procnet {
	int fd;
	int family;
	char *label;
	char *buf;
	size_t start, end;    /* unparsed bytes are buf[start, end) */
	bool eof;
	unsigned long line;   /* number of the line at start (1 = header) */
	unsigned long nbad;
	bool stopped;         /* a bound was hit: the rest of the file is not read */
};

/* Hex digit values, -1 for anything else. */
static signed char hexval[256];

/* Fills the hex table once (cheap, idempotent). */
static void hex_init(void)
{
	int i;

	if (hexval['1'] == 1)
		return;
	memset(hexval, -1, sizeof(hexval));
	for (i = 0; i < 10; i++)
		hexval['0' + i] = (signed char)i;
	for (i = 0; i < 6; i++) {
		hexval['A' + i] = (signed char)(10 + i);
		hexval['a' + i] = (signed char)(10 + i);
	}
}

/* Parses 1..maxd hex digits at p; NULL when there are none or too many. */
static const char *hex(const char *p, const char *e, int maxd, uint64_t *v)
{
	uint64_t x = 0;
	int n = 0;

	while (p < e && hexval[(unsigned char)*p] >= 0) {
		if (++n > maxd)
			return NULL;
		x = (x << 4) | (uint64_t)hexval[(unsigned char)*p++];
	}
	*v = x;
	return n ? p : NULL;
}

/* Parses exactly n hex digits (the kernel prints fixed widths: %08X, %04X,
 * %02X); branch-free: an invalid digit makes the OR of the values negative. */
static inline __attribute__((always_inline)) const char *hexn(const char *p, const char *e, int n,
							      uint32_t *v)
{
	uint32_t x = 0;
	int bad = 0, i;

	if (e - p < n)
		return NULL;
	if (n == 8) {
		/* Eight digits at once (SWAR): every byte must be '0'-'9' or,
		 * folded to lower case, 'a'-'f'; bytes are < 0x80, so adding a
		 * constant below 0x80 never carries into the next byte. */
		const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
		uint64_t w, l, digit, letter, nib;

		memcpy(&w, p, 8);
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
		w = __builtin_bswap64(w);
#endif
		if (w & high)
			return NULL;
		l = w | 0x20 * ones;
		digit = (w + (0x80 - '0') * ones) & ~(w + (0x80 - '9' - 1) * ones) & high;
		letter = (l + (0x80 - 'a') * ones) & ~(l + (0x80 - 'f' - 1) * ones) & high;
		if ((digit | letter) != high)
			return NULL;
		/* Value of each byte: low nibble, + 9 for letters (bit 6). */
		nib = (w & 0x0F * ones) + 9 * ((w >> 6) & ones);
		/* Byte 0 is the most significant digit: pack pairs, then quads. */
		nib = ((nib & 0x000F000F000F000FULL) << 4) | ((nib >> 8) & 0x000F000F000F000FULL);
		nib = ((nib & 0x000000FF000000FFULL) << 8) | ((nib >> 16) & 0x000000FF000000FFULL);
		*v = (uint32_t)(((nib & 0xFFFF) << 16) | ((nib >> 32) & 0xFFFF));
		return p + 8;
	}
	for (i = 0; i < n; i++) {
		int h = hexval[(unsigned char)p[i]];

		bad |= h;
		x = (x << 4) | (uint32_t)(h & 15);
	}
	*v = x;
	return bad < 0 ? NULL : p + n;
}

/* Parses an unsigned decimal (an optional '-' is accepted: "timeout" is %d). */
static const char *dec(const char *p, const char *e)
{
	const char *s;

	if (p < e && *p == '-')
		p++;
	s = p;
	while (p < e && *p >= '0' && *p <= '9')
		p++;
	return p > s && p - s <= 20 ? p : NULL;
}

/* Skips blanks (the kernel pads columns with spaces). */
static const char *skip_sp(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* Parses "ADDR:PORT": IPv4 is one 32-bit word, IPv6 four, each printed
 * "%08X" from the word as it sits in memory (host order), so copying the
 * parsed word back in host order restores network-order bytes. */
static const char *endpoint(const char *p, const char *e, int family, uint8_t *addr, uint16_t *port)
{
	int words = family == AF_INET6 ? 4 : 1, i;
	uint32_t w;

	for (i = 0; i < words; i++) {
		p = hexn(p, e, 8, &w);
		if (!p)
			return NULL;
		memcpy(addr + 4 * i, &w, 4);
	}
	if (p >= e || *p != ':')
		return NULL;
	p = hexn(p + 1, e, 4, &w);
	*port = (uint16_t)w;
	return p;
}

/* Fills the fields every path sets from the parsed columns. */
static void finish(struct hr_sock *s, uint32_t st, uint32_t rx, uint32_t tr, uint64_t when)
{
	uint64_t v;

	s->state = (int)st;
	s->timer = (int)tr;
	/* tm->when is in clock ticks (USER_HZ); TIME_WAIT: tr = 3, time left. */
	v = when * (1000 / HR_USER_HZ);
	s->expires_ms = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
	/* For LISTEN, rx_queue is sk_ack_backlog (the accept queue); the
	 * backlog (sk_max_ack_backlog) is not printed (get_tcp4_sock()). */
	s->rqueue = rx;
	s->backlog_unknown = s->state == HR_LISTEN;
}

/* Fast path for the kernel's own layout: after "sl:" the columns up to
 * retrnsmt have fixed widths (" %08X:%04X %08X:%04X %02X %08X:%08X
 * %02X:%08lX %08X ", get_tcp4_sock() and friends), so separators sit at
 * known offsets. Returns 0, or -1 to let the careful parser decide. */
static int parse_fixed(const char *p, const char *e, int family, struct hr_sock *s)
{
	const int aw = family == AF_INET6 ? 32 : 8;
	const char *q = p + 2 * aw, *r;
	uint32_t st = 0, tx = 0, rx = 0, tr = 0, when = 0, w = 0, ok = 1;
	int i;

	if (e - p < 55 + 2 * aw || p[0] != ' ' || p[1 + aw] != ':' || p[6 + aw] != ' ' || q[7] != ':' ||
	    q[12] != ' ' || q[15] != ' ' || q[24] != ':' || q[33] != ' ' || q[36] != ':' ||
	    q[45] != ' ' || q[54] != ' ')
		return -1;
	for (i = 0; i < aw / 8; i++) {
		ok &= hexn(p + 1 + 8 * i, e, 8, &w) != NULL;
		memcpy(s->src + 4 * i, &w, 4);
		ok &= hexn(p + 7 + aw + 8 * i, e, 8, &w) != NULL;
		memcpy(s->dst + 4 * i, &w, 4);
	}
	ok &= hexn(p + 2 + aw, e, 4, &w) != NULL;
	s->sport = (uint16_t)w;
	ok &= hexn(q + 8, e, 4, &w) != NULL;
	s->dport = (uint16_t)w;
	ok &= hexn(q + 13, e, 2, &st) != NULL;
	ok &= hexn(q + 16, e, 8, &tx) != NULL;
	ok &= hexn(q + 25, e, 8, &rx) != NULL;
	ok &= hexn(q + 34, e, 2, &tr) != NULL;
	ok &= hexn(q + 37, e, 8, &when) != NULL;
	ok &= hexn(q + 46, e, 8, &w) != NULL;
	if (!ok || st == 0 || st >= HR_TCP_NSTATES)
		return -1;
	/* uid, timeout, inode: present and decimal. */
	r = q + 55;
	for (i = 0; i < 3; i++) {
		r = dec(skip_sp(r, e), e);
		if (!r || (r < e && *r != ' ' && *r != '\t'))
			return -1;
	}
	finish(s, st, rx, tr, when);
	return 0;
}

int hr_procnet_parse_line(const char *line, size_t len, int family, struct hr_sock *s,
			  const char **why)
{
	const char *p = line, *e = line + len, *q;
	uint32_t st = 0, tx = 0, rx = 0, tr = 0, w32 = 0;
	uint64_t when = 0;

	hex_init();
	memset(s, 0, sizeof(*s));
	s->family = family;
	/* "%4d:" then the fixed-width columns. */
	while (p < e && *p == ' ')
		p++;
	q = p;
	while (q < e && *q >= '0' && *q <= '9')
		q++;
	if (q > p && q < e && *q == ':' && parse_fixed(q + 1, e, family, s) == 0)
		return 0;
	memset(s, 0, sizeof(*s));
	s->family = family;
	p = line;
#define COL(name, expr)                                                        \
	do {                                                                   \
		p = skip_sp(p, e);                                             \
		if (p >= e) {                                                  \
			*why = "line ends before column '" name "' (truncated)"; \
			return -EBADMSG;                                       \
		}                                                              \
		q = (expr);                                                    \
		if (!q || (q < e && *q != ' ' && *q != '\t')) {                \
			*why = memchr(p, ' ', (size_t)(e - p))                 \
				       ? "malformed column '" name "'"         \
				       : "line ends inside column '" name "' (truncated)"; \
			return -EBADMSG;                                       \
		}                                                              \
		p = q;                                                         \
	} while (0)
	COL("sl", (q = dec(p, e)) && q < e && *q == ':' ? q + 1 : NULL);
	COL("local_address", endpoint(p, e, family, s->src, &s->sport));
	COL("rem_address", endpoint(p, e, family, s->dst, &s->dport));
	COL("st", hexn(p, e, 2, &st));
	COL("tx_queue:rx_queue",
	    (q = hexn(p, e, 8, &tx)) && q < e && *q == ':' ? hexn(q + 1, e, 8, &rx) : NULL);
	COL("tr:tm->when",
	    (q = hexn(p, e, 2, &tr)) && q < e && *q == ':' ? hex(q + 1, e, 16, &when) : NULL);
	COL("retrnsmt", hexn(p, e, 8, &w32));
	COL("uid", dec(p, e));
	COL("timeout", dec(p, e));
	COL("inode", dec(p, e));
#undef COL
	if (st == 0 || st >= HR_TCP_NSTATES) {
		*why = "unknown TCP state in column 'st'";
		return -EBADMSG;
	}
	finish(s, st, rx, tr, when);
	(void)tx;
	return 0;
}

hr_procnet *hr_procnet_open_fd(int fd, const char *label, int family, int *err)
{
	hr_procnet *p;

	*err = 0;
	if (fd < 0) {
		*err = fd;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		close(fd);
		*err = -ENOMEM;
		return NULL;
	}
	p->fd = fd;
	p->family = family;
	p->line = 1;
	p->label = strdup(label ? label : "");
	p->buf = malloc(PN_BUFSZ);
	if (!p->label || !p->buf) {
		*err = -ENOMEM;
		hr_procnet_close(p);
		return NULL;
	}
	return p;
}

hr_procnet *hr_procnet_open(const char *path, const char *label, int family, int *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);

	return hr_procnet_open_fd(fd < 0 ? -errno : fd, label ? label : path, family, err);
}

/* Reads more bytes after compacting the buffer; 0, or -errno. */
static int fill(hr_procnet *p)
{
	ssize_t k;

	if (p->start > 0) {
		memmove(p->buf, p->buf + p->start, p->end - p->start);
		p->end -= p->start;
		p->start = 0;
	}
	for (;;) {
		k = read(p->fd, p->buf + p->end, PN_BUFSZ - p->end);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			p->eof = true;
		p->end += (size_t)k;
		return 0;
	}
}

/* Finds the next line without consuming it: 1 (with *line, *len), 0 at the
 * end, -errno on a read error. *next is where the line after it starts. */
static int peek(hr_procnet *p, const char **line, size_t *len, size_t *next)
{
	for (;;) {
		const char *b = p->buf + p->start;
		const char *nl = memchr(b, '\n', p->end - p->start);
		int r;

		if (nl) {
			*line = b;
			*len = (size_t)(nl - b);
			*next = (size_t)(nl - p->buf) + 1;
			return *len > HR_PROCNET_MAX_LINE ? -E2BIG : 1;
		}
		if (p->end - p->start > HR_PROCNET_MAX_LINE) {
			/* No newline within the bound (a sparse file's zeros, a
			 * binary file): not a socket line, whatever follows. */
			*line = b;
			*len = p->end - p->start;
			return -E2BIG;
		}
		if (p->eof) {
			if (p->start == p->end)
				return 0;
			*line = b; /* last line without a newline */
			*len = p->end - p->start;
			*next = p->end;
			return 1;
		}
		r = fill(p);
		if (r < 0)
			return r;
	}
}

/* Records a malformed line (the first few by number, the rest counted). */
static void bad_line(hr_procnet *p, hr_facts *f, const char *why)
{
	char src[4096];

	p->nbad++;
	if (p->nbad > PN_MAX_REPORTED || !f)
		return;
	snprintf(src, sizeof(src), "%s:%lu", p->label, p->line);
	hr_facts_add_input_error(f, src, "%s; line skipped", why);
}

/* Gives up on the rest of the file after a bound was hit, with one
 * problem naming file:line; the sockets read so far still count. */
static void stop(hr_procnet *p, hr_facts *f, const char *l, size_t len, const char *why)
{
	char src[4096];

	p->stopped = true;
	if (!f)
		return;
	snprintf(src, sizeof(src), "%s:%lu", p->label, p->line);
	hr_facts_add_input_error(f, src, "%s%s; rest of the file not read (not a /proc/net/tcp file?)", why,
			     memchr(l, '\0', len) ? " (binary data: a NUL byte)" : "");
}

/* Skips and checks the header line (the first line of the file). */
static int header(hr_procnet *p, hr_facts *f)
{
	const char *l;
	size_t len, next;
	int r;

	if (p->line != 1)
		return 0;
	r = peek(p, &l, &len, &next);
	if (r == -E2BIG) {
		stop(p, f, l, len, "header line longer than " HR_STR(HR_PROCNET_MAX_LINE) " bytes");
		return -EBADMSG;
	}
	if (r <= 0)
		return r < 0 ? r : -ENODATA;
	p->start = next;
	p->line++;
	if (len < 20 || !memmem(l, len, "local_address", 13) || !memmem(l, len, " st ", 4)) {
		char src[4096];

		snprintf(src, sizeof(src), "%s:1", p->label);
		if (f)
			hr_facts_add_input_error(f, src, "not a /proc/net/tcp header line");
		return -EBADMSG;
	}
	return 0;
}

/* Feeds lines to cb, or to the facts; with listen_only, stops before the
 * first non-LISTEN line. Problems go to f when there is one. */
static long feed(hr_procnet *p, hr_facts *f, bool listen_only,
		 void (*cb)(void *ctx, const struct hr_sock *s), void *ctx)
{
	long n = 0;
	int r;

	if (p->stopped)
		return 0;
	r = header(p, f);
	if (r < 0)
		return r;
	for (;;) {
		const char *l, *why = NULL;
		size_t len, next;
		struct hr_sock s;

		r = peek(p, &l, &len, &next);
		if (r == -E2BIG) {
			stop(p, f, l, len, "line longer than " HR_STR(HR_PROCNET_MAX_LINE) " bytes");
			break;
		}
		if (r < 0)
			return r;
		if (r == 0)
			break;
		if (len && l[len - 1] == '\r')
			len--; /* a copy with CRLF line ends */
		if (len == 0) {
			/* The kernel prints no blank lines; a hand-made tree may. */
			p->start = next;
			p->line++;
			continue;
		}
		if (hr_procnet_parse_line(l, len, p->family, &s, &why) < 0) {
			if (memchr(l, '\0', len)) {
				/* The kernel prints text only: a NUL is a sparse or binary file. */
				stop(p, f, l, len, "malformed line");
				break;
			}
			bad_line(p, f, why);
			if (p->nbad >= HR_PROCNET_MAX_BAD) {
				stop(p, f, l, 0, "the " HR_STR(HR_PROCNET_MAX_BAD) "th malformed line");
				break;
			}
			p->start = next;
			p->line++;
			continue;
		}
		if (listen_only && s.state != HR_LISTEN)
			break; /* leave it for pass 2 */
		if (cb)
			cb(ctx, &s);
		else
			hr_facts_add_socket(f, &s);
		n++;
		p->start = next;
		p->line++;
	}
	if ((!listen_only || p->stopped) && p->nbad > PN_MAX_REPORTED && f)
		hr_facts_add_input_error(f, p->label, "%lu more malformed lines skipped (not listed)",
				     p->nbad - PN_MAX_REPORTED);
	return n;
}

long hr_procnet_listeners(hr_procnet *p, hr_facts *f)
{
	return feed(p, f, true, NULL, NULL);
}

long hr_procnet_rest(hr_procnet *p, hr_facts *f)
{
	return feed(p, f, false, NULL, NULL);
}

long hr_procnet_each(hr_procnet *p, void (*cb)(void *ctx, const struct hr_sock *s), void *ctx,
		     hr_facts *f)
{
	return feed(p, f, false, cb, ctx);
}

unsigned long hr_procnet_bad_lines(const hr_procnet *p)
{
	return p ? p->nbad : 0;
}

void hr_procnet_close(hr_procnet *p)
{
	if (!p)
		return;
	if (p->fd >= 0)
		close(p->fd);
	free(p->label);
	free(p->buf);
	free(p);
}
