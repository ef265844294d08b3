/* probe-counters.c: the counter files (/proc/net/sockstat{,6} "Group: name
 * value" lines, snmp and netstat "Group: names" / "Group: values" pairs,
 * softnet_stat's per-CPU hex rows summed, snmp6 "Udp6RcvbufErrors value" lines) as
 * facts, the counters the rules need recorded as missing (with why), and
 * the per-second rates between two samples (live, or a tree's sample2).
 * May call: probe-io.c (through probe-int.h) and the facts setters. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "probe-int.h"

/* Counters the rules and the text output use: recorded as missing (with
 * why) when their file could not be read or lacks them. */
static const char *const want_counters[] = {
	"sockstat.TCP.inuse", "sockstat.TCP.orphan", "sockstat.TCP.tw", "sockstat.TCP.alloc",
	"sockstat.TCP.mem", "sockstat6.TCP6.inuse", "snmp.Tcp.ActiveOpens", "snmp.Tcp.PassiveOpens",
	"snmp.Tcp.AttemptFails", "snmp.Tcp.EstabResets", "snmp.Tcp.CurrEstab", "snmp.Tcp.RetransSegs",
	"netstat.TcpExt.TCPTimeWaitOverflow", "netstat.TcpExt.ListenOverflows",
	"netstat.TcpExt.ListenDrops", "netstat.TcpExt.TCPReqQFullDoCookies",
	"netstat.TcpExt.TCPReqQFullDrop", "netstat.TcpExt.TW", NULL,
};

/* The counter files sampled twice for rates (probe.h; the snapshot copies
 * them again as the tree's second sample). */
const char *const hr_probe_rate_files[] = {F_SNMP, F_NETSTAT, F_SOFTNET, F_SNMP6, NULL};

/* Counters turned into per-second rates over the interval. */
static const char *const rate_counters[] = {
	"Tcp.ActiveOpens", "Tcp.PassiveOpens", "TcpExt.TCPTimeWaitOverflow",
	"TcpExt.ListenOverflows", "TcpExt.ListenDrops",
};
_Static_assert(HR_ARRAY_SIZE(rate_counters) == HR_PROBE_NRATES, "HR_PROBE_NRATES: one per rate counter");

/* Layouts of the counter files. */
enum { L_PAIRS, L_FLAT, L_HEX, L_SNMP6 };

/* Parses a signed decimal token [p, e); false when it is not one. */
static bool parse_num(const char *p, const char *e, double *out)
{
	bool neg = false;
	uint64_t v = 0;

	if (p < e && *p == '-') {
		neg = true;
		p++;
	}
	if (p >= e || e - p > 20)
		return false;
	for (; p < e; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*out = neg ? -(double)v : (double)v;
	return true;
}

/* Callback for each counter: group ("Tcp"), name ("ActiveOpens"), value. */
struct counter_ctx {
	struct run *r;
	const char *prefix;      /* "snmp", "netstat", "sockstat", "sockstat6" */
	const char *groups;      /* NULL: every group; else "Tcp" */
	const char *source;
	struct sample *sample;   /* collects the rate counters, may be NULL */
	bool record;             /* set facts */
};

/* Keeps a counter in the sample's full list (it gets a rate); source names
 * where it came from, for the one problem when the list is full. */
static void sample_put(struct run *r, const char *source, struct sample *s, const char *full, double v)
{
	size_t n = strlen(full);

	if (n >= sizeof(s->all[0].name))
		return;
	if (s->nall == HR_PROBE_MAXALL) {
		hr_facts_add_problem(r->f, source, "more than %d counters: %s and later get no rate",
				     HR_PROBE_MAXALL, full);
		s->nall++; /* said once */
		return;
	}
	if (s->nall > HR_PROBE_MAXALL)
		return;
	memcpy(s->all[s->nall].name, full, n + 1);
	s->all[s->nall++].v = v;
}

/* See probe-int.h: a counter read elsewhere (the neighbour tables) into the sample. */
void hr_probe_sample_add(struct run *r, struct sample *s, const char *name, double v)
{
	sample_put(r, name, s, name, v);
}

/* Keeps a snmp/netstat counter in the sample's full list (every counter
 * gets a rate; sockstat values are levels, not counters). */
static void sample_all(struct counter_ctx *c, const char *full, double v)
{
	if (!strncmp(c->prefix, "sockstat", 8))
		return;
	sample_put(c->r, c->source, c->sample, full, v);
}

/* Records one counter as a fact and/or into the rate sample. */
static void counter(struct counter_ctx *c, const char *grp, size_t glen, const char *name,
		    size_t nlen, double v)
{
	char full[256];
	size_t i;

	hr_probe_msgf(full, sizeof(full), "%.*s.%.*s", (int)glen, grp, (int)nlen, name);
	if (c->sample) {
		for (i = 0; i < HR_PROBE_NRATES; i++)
			if (!strcmp(full, rate_counters[i])) {
				c->sample->v[i] = v;
				c->sample->have[i] = true;
			}
		sample_all(c, full, v);
	}
	if (c->record && (!c->groups || (strlen(c->groups) == glen && !memcmp(c->groups, grp, glen)))) {
		char key[300];

		hr_probe_msgf(key, sizeof(key), "%s.%s", c->prefix, full);
		hr_facts_set_num(c->r->f, key, v, c->source);
		c->r->counters_read++;
	}
}

/* Splits the next whitespace-separated token of [*p, e). */
static bool token(const char **p, const char *e, const char **t, size_t *tl)
{
	const char *s = *p;

	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	if (s >= e)
		return false;
	*t = s;
	while (s < e && *s != ' ' && *s != '\t')
		s++;
	*tl = (size_t)(s - *t);
	*p = s;
	return true;
}

/* Splits the next line of a counter file off *cur (NUL-terminating it) and
 * finds its "Group:" colon. Returns the line, with *colon NULL (and the
 * problem noted) when it has no group prefix; NULL at the end of the text. */
static char *counter_line(struct counter_ctx *c, char **cur, unsigned long *lineno, char **colon)
{
	char *line = *cur, *nl;

	if (!line || !*line)
		return NULL;
	nl = strchr(line, '\n');
	if (nl)
		*nl = '\0';
	*cur = nl ? nl + 1 : NULL;
	(*lineno)++;
	*colon = strchr(line, ':');
	if (!*colon && *hr_strtrim(line))
		hr_facts_add_problem(c->r->f, c->source, "line %lu: no 'Group:' prefix; skipped", *lineno);
	return line;
}

/* Parses "Group: name name ..." / "Group: value value ..." line pairs
 * (/proc/net/snmp, /proc/net/netstat). Returns the number of values. */
static long parse_pairs(struct counter_ctx *c, char *text)
{
	char *cur = text, *hdr = NULL, *line, *colon;
	unsigned long lineno = 0, hdrno = 0;
	long n = 0;

	while ((line = counter_line(c, &cur, &lineno, &colon))) {
		const char *e = line + strlen(line);

		if (!colon)
			continue;
		if (!hdr || (size_t)(colon - line) != (size_t)(strchr(hdr, ':') - hdr) ||
			   memcmp(hdr, line, (size_t)(colon - line))) {
			hdr = line; /* a header line; its values follow */
			hdrno = lineno;
		} else {
			const char *hp = strchr(hdr, ':') + 1, *vp = colon + 1, *hn, *vt;
			size_t hl, vl, glen = (size_t)(colon - line);
			bool hok, vok;

			for (;;) {
				double v;

				hok = token(&hp, hdr + strlen(hdr), &hn, &hl);
				vok = token(&vp, e, &vt, &vl);
				if (!hok || !vok)
					break;
				if (!parse_num(vt, vt + vl, &v)) {
					hr_facts_add_problem(c->r->f, c->source,
							     "line %lu: %.*s %.*s: value '%.*s' is not a number; skipped",
							     lineno, (int)glen, line, (int)hl, hn, (int)vl, vt);
					continue;
				}
				counter(c, line, glen, hn, hl, v);
				n++;
			}
			if (hok != vok)
				hr_facts_add_problem(c->r->f, c->source,
						     "lines %lu-%lu: %.*s has %s names than values (truncated?)",
						     hdrno, lineno, (int)glen, line, hok ? "more" : "fewer");
			hdr = NULL;
		}
	}
	if (hdr)
		hr_facts_add_problem(c->r->f, c->source, "line %lu: header without a value line (truncated?)",
				     hdrno);
	return n;
}

/* Parses "Group: name value name value ..." lines (/proc/net/sockstat{,6}). */
static long parse_flat(struct counter_ctx *c, char *text)
{
	char *cur = text, *line, *colon;
	unsigned long lineno = 0;
	long n = 0;

	while ((line = counter_line(c, &cur, &lineno, &colon))) {
		const char *p, *e = line + strlen(line), *t1, *t2;
		size_t l1, l2;

		if (colon) {
			p = colon + 1;
			while (token(&p, e, &t1, &l1)) {
				double v;

				if (!token(&p, e, &t2, &l2)) {
					hr_facts_add_problem(c->r->f, c->source,
							     "line %lu: '%.*s' has no value (truncated?)", lineno,
							     (int)l1, t1);
					break;
				}
				if (!parse_num(t2, t2 + l2, &v)) {
					hr_facts_add_problem(c->r->f, c->source,
							     "line %lu: %.*s %.*s: value '%.*s' is not a number; skipped",
							     lineno, (int)(colon - line), line, (int)l1, t1, (int)l2, t2);
					continue;
				}
				counter(c, line, (size_t)(colon - line), t1, l1, v);
				n++;
			}
		}
	}
	return n;
}

/* /proc/net/softnet_stat: one row per CPU, hex columns (net/core/net-procfs.c
 * softnet_seq_show()): 1 processed, 2 dropped (input queue over
 * netdev_max_backlog), 3 time_squeeze (net_rx_action() out of netdev_budget
 * or netdev_budget_usecs with work left), 4-9 zero, 10 received_rps,
 * 11 flow_limit_count; later columns are levels and the CPU id. Global to
 * the host, whatever the namespace. Feeds the sums as Softnet.NAME and the
 * row count as Softnet.cpus. Returns the values (columns summed). */
static long parse_softnet(struct counter_ctx *c, char *text)
{
	static const struct {
		int col;
		const char *name;
	} cols[] = {{1, "processed"}, {2, "dropped"}, {3, "time_squeeze"}, {10, "received_rps"},
		    {11, "flow_limit_count"}};
	double sum[HR_ARRAY_SIZE(cols)] = {0};
	bool have[HR_ARRAY_SIZE(cols)] = {false};
	char *cur = text;
	unsigned long lineno = 0, rows = 0;
	size_t i;
	long n = 0;

	while (cur && *cur) {
		char *line = cur, *nl = strchr(cur, '\n'), *p, *end;
		int col = 0;

		if (nl)
			*nl = '\0';
		cur = nl ? nl + 1 : NULL;
		lineno++;
		if (!*hr_strtrim(line))
			continue;
		unsigned long long row_dropped = 0, cpu = rows;

		for (p = line; *p; p = end) {
			unsigned long long v;

			while (*p == ' ' || *p == '\t')
				p++;
			if (!*p)
				break;
			v = strtoull(p, &end, 16);
			if (end == p || (*end && *end != ' ' && *end != '\t')) {
				hr_facts_add_problem(c->r->f, c->source, "line %lu: column %d is not hex; row skipped",
						     lineno, col + 1);
				col = -1;
				break;
			}
			col++;
			if (col == 2)
				row_dropped = v;
			if (col == 13)
				cpu = v; /* the CPU id, on kernels that print it */
			for (i = 0; i < HR_ARRAY_SIZE(cols); i++)
				if (cols[i].col == col) {
					sum[i] += (double)v;
					have[i] = true;
				}
		}
		if (col > 0) {
			/* Each CPU's drops too, for the rate of the worst one
			 * (hr_probe_rates: rate.Softnet.dropped_max). */
			char name[32];

			hr_probe_msgf(name, sizeof(name), "dropped_cpu%llu", cpu);
			counter(c, "Softnet", 7, name, strlen(name), (double)row_dropped);
			rows++;
		}
	}
	for (i = 0; i < HR_ARRAY_SIZE(cols); i++)
		if (have[i]) {
			counter(c, "Softnet", 7, cols[i].name, strlen(cols[i].name), sum[i]);
			n++;
		}
	if (rows && c->record) {
		char key[64];

		hr_probe_msgf(key, sizeof(key), "%s.Softnet.cpus", c->prefix);
		hr_facts_set_num(c->r->f, key, (double)rows, c->source);
	}
	return n;
}

/* Parses /proc/net/snmp6's "Udp6RcvbufErrors 0" lines: the group is the
 * name up to its first '6' (Ip6, Icmp6, Udp6, UdpLite6), so the counter is
 * snmp6.Udp6.RcvbufErrors, its rate rate.Udp6.RcvbufErrors. */
static long parse_snmp6(struct counter_ctx *c, char *text)
{
	char *cur = text;
	unsigned long lineno = 0;
	long n = 0;

	while (cur && *cur) {
		char *line = cur, *nl = strchr(cur, '\n');
		const char *p, *e, *t1, *t2, *six;
		size_t l1, l2;
		double v;

		if (nl)
			*nl = '\0';
		cur = nl ? nl + 1 : NULL;
		lineno++;
		p = line;
		e = line + strlen(line);
		if (!token(&p, e, &t1, &l1))
			continue;
		six = memchr(t1, '6', l1);
		if (!token(&p, e, &t2, &l2) || !six || six + 1 >= t1 + l1 || !parse_num(t2, t2 + l2, &v)) {
			hr_facts_add_problem(c->r->f, c->source, "line %lu: not 'Group6Name value'; skipped", lineno);
			continue;
		}
		counter(c, t1, (size_t)(six + 1 - t1), six + 1, (size_t)(t1 + l1 - six - 1), v);
		n++;
	}
	return n;
}

/* Reads one counter file (below base: "" for the tree itself, or the
 * second sample's directory) and feeds its counters. Returns values read or -errno. */
static long counter_file(struct run *r, const char *base, const char *file, const char *prefix,
			 const char *groups, int layout, struct sample *s, bool record)
{
	char path[4096], abs[512];
	struct counter_ctx c = {r, prefix, groups, path, s, record};
	long n;

	if (hr_probe_msgf(abs, sizeof(abs), "%s%s", base, file) < 0 ||
	    hr_probe_msgf(path, sizeof(path), "%s%s", r->root, abs) < 0)
		return -ENAMETOOLONG;
	n = hr_probe_read_tree(r, abs);
	/* No snmp6 without IPv6 (and in trees made before it was read). */
	if (n == -ENOENT && layout == L_SNMP6)
		return 0;
	if (n < 0) {
		/* Older snapshots have no softnet_stat: its facts are missing
		 * (the rule says why), not a problem of the tree. */
		if (n == -ENOENT && layout == L_HEX) {
			if (!*base)
				hr_facts_set_missing(r->f, "softnet.Softnet.dropped",
						     "no /proc/net/softnet_stat (a tree captured before headroom read it)");
		} else
			hr_facts_add_problem(r->f, path, "%s", hr_probe_why(n));
		return n;
	}
	if (hr_probe_bad_byte(r->buf, (size_t)n) >= 0) {
		hr_facts_add_problem(r->f, path, "not a text file; skipped");
		return -EBADMSG;
	}
	n = layout == L_FLAT    ? parse_flat(&c, r->buf)
	    : layout == L_HEX   ? parse_softnet(&c, r->buf)
	    : layout == L_SNMP6 ? parse_snmp6(&c, r->buf)
				: parse_pairs(&c, r->buf);
	if (n == 0)
		hr_facts_add_problem(r->f, path, "no counters found");
	return n;
}

/* The counter files: fact prefix, the groups kept, and their layout. */
static const struct counter_file {
	const char *file, *prefix, *groups;
	int layout;
} counter_files[] = {
	{F_SOCKSTAT, "sockstat", NULL, L_FLAT},
	{F_SOCKSTAT6, "sockstat6", NULL, L_FLAT},
	{F_SNMP, "snmp", NULL, L_PAIRS},
	{F_NETSTAT, "netstat", NULL, L_PAIRS},
	{F_SOFTNET, "softnet", NULL, L_HEX},
	{F_SNMP6, "snmp6", NULL, L_SNMP6},
};

/* A later sample of one rate file (live, or a tree's sample2 below base):
 * feeds the rate sample and updates the totals, so "N since boot" and
 * "x/s now" describe the same moment. Returns values read or -errno. */
long hr_probe_rate_sample(struct run *r, const char *base, const char *file, struct sample *s)
{
	size_t i;

	for (i = 0; i < HR_ARRAY_SIZE(counter_files); i++)
		if (!strcmp(counter_files[i].file, file))
			return counter_file(r, base, file, counter_files[i].prefix, counter_files[i].groups,
					    counter_files[i].layout, s, true);
	return -ENOENT;
}

/* See probe-int.h: first counter sample: every counter file, facts and rate sample. */
void hr_probe_counters(struct run *r, struct sample *s)
{
	const struct counter_file *files = counter_files;
	char why[HR_ARRAY_SIZE(counter_files)][4200];
	size_t i, k;

	for (i = 0; i < HR_ARRAY_SIZE(counter_files); i++) {
		char path[4096];
		long n;

		r->counters_read = 0;
		n = counter_file(r, "", files[i].file, files[i].prefix, files[i].groups,
				 files[i].layout, s, true);
		hr_path_at(path, sizeof(path), r->root, files[i].file);
		if (n < 0) {
			hr_probe_msgf(why[i], sizeof(why[i]), "%s: %s", path, hr_probe_why(n));
		} else {
			hr_probe_msgf(why[i], sizeof(why[i]), "not in %s", path);
		}
		r->usable += r->counters_read;
	}
	for (k = 0; want_counters[k]; k++) {
		struct hr_value v;
		size_t pl;

		if (hr_facts_get(r->f, want_counters[k], -1, &v) == 0 && v.type != HR_V_MISSING)
			continue;
		for (i = 0; i < HR_ARRAY_SIZE(counter_files); i++) {
			pl = strlen(files[i].prefix);
			if (!strncmp(want_counters[k], files[i].prefix, pl) && want_counters[k][pl] == '.')
				hr_facts_set_missing(r->f, want_counters[k], why[i]);
		}
	}
}

/* The value of counter name in sample a (hint: its index in the other
 * sample, where it usually is), or false. */
static bool sample_find(const struct sample *a, const char *name, size_t hint, double *v)
{
	size_t i, n = a->nall < HR_PROBE_MAXALL ? a->nall : HR_PROBE_MAXALL;

	if (hint < n && !strcmp(a->all[hint].name, name)) {
		*v = a->all[hint].v;
		return true;
	}
	for (i = 0; i < n; i++)
		if (!strcmp(a->all[i].name, name)) {
			*v = a->all[i].v;
			return true;
		}
	return false;
}

/* The rate of every other snmp/netstat counter in both samples
 * ("rate.Udp.RcvbufErrors"); a level that went down (Tcp.CurrEstab) has none. */
static void rates_all(struct run *r, const struct sample *a, const struct sample *b, double elapsed,
		      const char *base)
{
	size_t i, k, n = b->nall < HR_PROBE_MAXALL ? b->nall : HR_PROBE_MAXALL;

	for (i = 0; i < n; i++) {
		const char *name = b->all[i].name, *dot = strchr(name, '.');
		char fact[128], src[4200];
		bool fixed = false;
		double v0;

		for (k = 0; k < HR_PROBE_NRATES; k++)
			fixed = fixed || !strcmp(name, rate_counters[k]);
		if (fixed || !sample_find(a, name, i, &v0) || b->all[i].v < v0)
			continue;
		/* netstat's groups end in "Ext" (TcpExt, IpExt, MPTcpExt), snmp6's
		 * in "6"; neigh.* come from rtnetlink. */
		hr_probe_msgf(src, sizeof(src), "%s%s over %.3g s", base,
			      !strncmp(name, "neigh.", 6)                          ? "netlink RTM_GETNEIGHTBL"
			      : !strncmp(name, "Softnet.", 8)                       ? F_SOFTNET
			      : dot && dot - name >= 3 && !strncmp(dot - 3, "Ext", 3) ? F_NETSTAT
			      : dot && dot > name && dot[-1] == '6'                ? F_SNMP6
										   : F_SNMP,
			      elapsed);
		hr_probe_msgf(fact, sizeof(fact), "rate.%s", name);
		hr_facts_set_num(r->f, fact, (b->all[i].v - v0) / elapsed, src);
	}
}

/* The CPU whose input queue dropped most between the samples:
 * rate.Softnet.dropped_max and softnet.Softnet.dropped_max_cpu. */
static void softnet_worst(struct run *r, const struct sample *a, const struct sample *b, double elapsed)
{
	size_t i, n = b->nall < HR_PROBE_MAXALL ? b->nall : HR_PROBE_MAXALL;
	double best = -1, v0;
	long cpu = -1;

	for (i = 0; i < n; i++) {
		const char *name = b->all[i].name;

		if (strncmp(name, "Softnet.dropped_cpu", 19) || !sample_find(a, name, i, &v0) || b->all[i].v < v0)
			continue;
		if ((b->all[i].v - v0) / elapsed > best) {
			best = (b->all[i].v - v0) / elapsed;
			cpu = atol(name + 19);
		}
	}
	if (cpu < 0)
		return;
	hr_facts_set_num(r->f, "rate.Softnet.dropped_max", best, F_SOFTNET " (the CPU that dropped most)");
	if (best > 0)
		hr_facts_set_num(r->f, "softnet.Softnet.dropped_max_cpu", (double)cpu, F_SOFTNET);
	else
		hr_facts_set_missing(r->f, "softnet.Softnet.dropped_max_cpu", "no CPU dropped during the interval");
}

/* Records the rates between two samples taken elapsed seconds apart. */
void hr_probe_rates(struct run *r, const struct sample *a, const struct sample *b, double elapsed,
		  const char *base)
{
	size_t i;

	/* The interval the rates cover, for the messages that quote them. */
	hr_facts_set_num(r->f, "probe.interval_s", elapsed, "time between the two counter samples");
	rates_all(r, a, b, elapsed, base);
	softnet_worst(r, a, b, elapsed);

	for (i = 0; i < HR_PROBE_NRATES; i++) {
		char name[128], src[4200];
		const char *file = !strncmp(rate_counters[i], "TcpExt.", 7) ? F_NETSTAT : F_SNMP;

		hr_probe_msgf(name, sizeof(name), "rate.%s", rate_counters[i]);
		hr_probe_msgf(src, sizeof(src), "%s%s over %.3g s", base, file, elapsed);
		if (!a->have[i] || !b->have[i]) {
			hr_probe_msgf(src, sizeof(src), "%s not in both samples", rate_counters[i]);
			hr_facts_set_missing(r->f, name, src);
		} else if (b->v[i] < a->v[i]) {
			hr_facts_set_missing(r->f, name, "counter went backwards between the samples");
			hr_facts_add_problem(r->f, name, "%s went backwards between the samples (%.0f -> %.0f)",
					     rate_counters[i], a->v[i], b->v[i]);
		} else {
			hr_facts_set_num(r->f, name, (b->v[i] - a->v[i]) / elapsed, src);
		}
	}
}

/* Marks every rate as missing with one reason. */
void hr_probe_rates_missing(struct run *r, const char *why)
{
	size_t i;

	for (i = 0; i < HR_PROBE_NRATES; i++) {
		char name[128];

		hr_probe_msgf(name, sizeof(name), "rate.%s", rate_counters[i]);
		hr_facts_set_missing(r->f, name, why);
	}
}

/* Second sample of a captured tree (snapshot --interval): its interval and counters. */
double hr_probe_tree_sample2(struct run *r, struct sample *s2, bool *present)
{
	char path[4096];
	double iv = 0;
	long n;
	size_t i;

	*present = false;
	if (hr_path_at(path, sizeof(path), r->root, HR_PROBE_INTERVAL_FILE) < 0)
		return 0;
	n = hr_probe_read_tree(r, HR_PROBE_INTERVAL_FILE);
	if (n == -ENOENT)
		return 0;
	*present = true;
	if (n < 0) {
		hr_facts_add_problem(r->f, path, "%s; no counter rates", hr_probe_why(n));
		return 0;
	}
	{
		char *end;

		iv = strtod(r->buf, &end);
		while (*end == ' ' || *end == '\n')
			end++;
		if (end == r->buf || *end || !(iv > 0) || !isfinite(iv) || iv > 86400) {
			hr_facts_add_problem(r->f, path, "not a number of seconds in (0, 86400]; no counter rates");
			return 0;
		}
	}
	/* snmp and netstat are needed; softnet_stat is not in the trees of
	 * older snapshots (its rates are then missing, the others stay). */
	for (i = 0; hr_probe_rate_files[i]; i++) {
		long k = hr_probe_rate_sample(r, HR_PROBE_SAMPLE2_DIR, hr_probe_rate_files[i], s2);

		if (k < 0 && !(k == -ENOENT && !strcmp(hr_probe_rate_files[i], F_SOFTNET)))
			return 0;
	}
	hr_probe_neigh(r, s2, HR_PROBE_SAMPLE2_DIR);
	return iv;
}
