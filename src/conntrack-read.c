/* conntrack-read.c: the conntrack sources: /proc/net/stat/nf_conntrack (by
 * column name), the entries in the procfs format (a captured tree) and live
 * through ctnetlink, and the probe step that feeds them to the aggregation of
 * conntrack.c. May call: conntrack.c (hr_ct_agg_*), probe-io (tree files),
 * the facts setters, libnetfilter_conntrack. */
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

#include "bounds.h"
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
	/* One row of about 160 bytes per possible CPU: 64 KiB (from the heap,
	 * under malloc's mmap threshold) hold about 400; a bigger machine gets
	 * the 4 MiB bound (26,000 CPUs) and reads the file a second time. A
	 * 4 MiB buffer every time was an mmap, a munmap and their faults. */
	size_t cap = 64 << 10;
	struct hr_ct_stat st;
	const char *why = NULL;
	char *text = malloc(cap), name[64];
	long n;
	int r, i;

	if (!text)
		return -ENOMEM;
	n = hr_probe_read_regular(t, label, text, cap);
	if (n == -EFBIG) {
		char *big = realloc(text, cap = 4 << 20);

		if (!big) {
			free(text);
			return -ENOMEM;
		}
		text = big;
		n = hr_probe_read_regular(t, label, text, cap);
	}
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

/* Parses the n decimal digits at s (no NUL needed: the line has none of
 * its own) into *out, at most max. 0, or -EINVAL. */
static int parse_ulong(const char *s, size_t n, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	size_t i;

	if (n == 0)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (max - (unsigned long)(s[i] - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	*out = v;
	return 0;
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
			unsigned long v = 0;
			int bad = field == 1 || field == 3 || field == 4
					  ? parse_ulong(tok, n, field == 4 ? 0xffffffffUL : 255, &v)
					  : 0;

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
				if (bad) {
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
			unsigned long x;

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
				if (parse_ulong(v, vl, kl == 5 ? 65535 : 0xffffffffUL, &x) < 0) {
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
	e->snat = memcmp(e->rdst, e->osrc, hr_ct_addr_len(e->family)) || e->rdport != e->osport;
	return 0;
}

long hr_ct_read_procfile(hr_ct_agg *a, int fd, const char *label, hr_facts *f)
{
	FILE *fp = fd >= 0 ? fdopen(fd, "r") : NULL;
	char line[HR_CONNTRACK_MAX_LINE + 2];
	size_t n;
	long count = 0, lineno = 0, bad = 0;
	int r;

	if (fd < 0)
		return fd;
	if (!fp) {
		close(fd);
		return -errno;
	}
	while ((r = hr_bounds_getline(fp, line, HR_CONNTRACK_MAX_LINE, &n)) != 0) {
		struct hr_ct_entry e;
		const char *why = NULL;

		lineno++;
		if (r < 0) {
			if (f)
				hr_facts_add_problem(f, label, "line %ld: %s; rest of the file not read", lineno,
						     r == -E2BIG ? "longer than " HR_STR(HR_CONNTRACK_MAX_LINE) " bytes"
								 : "binary data (a NUL byte)");
			break;
		}
		while (n > 0 && line[n - 1] == '\r')
			n--;
		if (n == 0)
			continue;
		if (hr_ct_parse_line(line, n, &e, &why) < 0) {
			if (f && bad < 10)
				hr_facts_add_problem(f, label, "line %ld: %s", lineno, why);
			if (++bad == HR_CONNTRACK_MAX_BAD) {
				if (f)
					hr_facts_add_problem(f, label, "%d malformed lines; rest of the file not read",
							     HR_CONNTRACK_MAX_BAD);
				break;
			}
			continue;
		}
		hr_ct_agg_add(a, &e);
		count++;
	}
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
		hr_err_set(err, r, "ctnetlink: cannot open: %s", hr_strerror(r));
		return r;
	}
	nfct_callback_register(h, NFCT_T_ALL, dump_cb, &c);
	r = nfct_query(h, NFCT_Q_DUMP, &family);
	if (r < 0) {
		r = errno ? -errno : -EIO;
		nfct_close(h);
		hr_err_set(err, r, "ctnetlink: dump: %s%s", hr_strerror(r),
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

/* This namespace's conntrack count as the probe already read it: the
 * "entries" column of /proc/net/stat/nf_conntrack (read just before), else
 * net.netfilter.nf_conntrack_count. -1 when neither was read. */
static double ct_count_read(hr_facts *f, const char **from)
{
	struct hr_value v;

	*from = "/proc/net/stat/nf_conntrack entries";
	if (hr_facts_get(f, "conntrack.stat.entries", -1, &v) == 0 && v.type == HR_V_NUM)
		return v.num;
	*from = "net.netfilter.nf_conntrack_count";
	if (hr_facts_get(f, "net.netfilter.nf_conntrack_count", -1, &v) == 0 && v.type == HR_V_NUM)
		return v.num;
	return -1;
}

/* Says in the facts that the ctnetlink dump was not made, and why. */
static void ct_skipped(hr_facts *f, const char *why)
{
	hr_facts_set_str(f, "conntrack.dump_skipped", why, "headroom probe");
}

void hr_ct_probe(hr_facts *f, const struct hr_probe_tree *t, double tw_timeout_s)
{
	struct hr_err err = {0};
	hr_ct_agg *a;
	long n;
	bool live = !t->root || !*t->root;
	const char *count_from = NULL;
	int r, fd;

	r = hr_ct_stat_read(f, t);
	if (r < 0) {
		char why[160];

		snprintf(why, sizeof(why), "/proc/net/stat/nf_conntrack: %s",
			 r == -ENOENT ? "absent (nf_conntrack not loaded, or not captured)"
				      : hr_strerror_about(r, HR_ABOUT_TREE));
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
		ct_skipped(f, "nf_conntrack not loaded, no ctnetlink dump");
	} else if (live && ct_count_read(f, &count_from) == 0) {
		/* Nothing tracked in this namespace: the dump would still walk
		 * the whole global conntrack hash (ctnetlink_dump_table() visits
		 * every bucket, nf_conntrack_buckets of them, for every
		 * namespace) to find nothing. The facts are those of an empty
		 * dump, sourced from the count. */
		char src[96];

		snprintf(src, sizeof(src), "%s 0 (no ctnetlink dump)", count_from);
		hr_ct_agg_to_facts(a, f, src);
		ct_skipped(f, "nf_conntrack_count 0 in this network namespace, no ctnetlink dump");
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
			char refused[160];
			const char *why = live ? "nf_conntrack_netlink not loaded (headroom does not load modules) "
						 "and no /proc/net/nf_conntrack"
					  : fd < 0 && fd != -ENOENT ? refused
								    : "/proc/net/nf_conntrack not in the tree (no conntrack entries captured)";

			snprintf(refused, sizeof(refused), "/proc/net/nf_conntrack %s", hr_strerror_about(fd, HR_ABOUT_TREE));

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
