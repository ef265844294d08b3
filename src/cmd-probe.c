/* cmd-probe.c: the 'probe' command: fill the facts model once and show it. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "cmd-netns.h"
#include "facts.h"
#include "fmt.h"
#include "lazy.h"
#include "probe.h"
#include "render.h"

/* Destinations shown in the text table (JSON/YAML list all). */
#define TOP_DESTS 10

/* Parses --interval: seconds in [0, 3600]; false with a message otherwise. */

bool hr_cmd_parse_interval(const char *cmd, const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || !isfinite(v) || v < 0 || v > 3600) {
		fprintf(stderr, "headroom %s: --interval must be seconds from 0 to 3600 (got '%s')\n", cmd, s);
		return false;
	}
	*out = v;
	return true;
}

bool hr_cmd_parse_log_window(const char *cmd, const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || !isfinite(v) || v <= 0 || v > 30 * 86400) {
		fprintf(stderr, "headroom %s: --log-window must be seconds above 0, at most 2592000 (got '%s')\n",
			cmd, s);
		return false;
	}
	*out = v;
	return true;
}

/* Number from a JSON value, formatted for people ("-" when null/absent). */
static const char *num(char *buf, size_t n, const json_t *v)
{
	if (!v || !json_is_number(v))
		return "-";
	return hr_fmt_num(buf, n, json_number_value(v), true);
}

/* A fact's value text from {"value": ...} or why it is absent. */
static const char *fact_text(char *buf, size_t n, const json_t *fact)
{
	const json_t *v = json_object_get(fact, "value");

	if (!fact)
		return "-";
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_number(v))
		return hr_fmt_num(buf, n, json_number_value(v), true);
	v = json_object_get(fact, "absent");
	snprintf(buf, n, "(%s)", json_is_string(v) ? json_string_value(v) : "unknown");
	return buf;
}

/* What was probed: live or a tree, the socket source, the interval. */
static void text_header(FILE *out, const json_t *facts)
{
	const json_t *p = json_object_get(facts, "probe");
	const char *root = json_string_value(json_object_get(p, "root"));
	const char *socks = json_string_value(json_object_get(p, "sockets"));
	double iv = json_number_value(json_object_get(p, "interval_s"));

	if (root && *root)
		fprintf(out, "headroom probe: captured tree %s\n", root);
	else
		fprintf(out, "headroom probe: live system (this network namespace)\n");
	fprintf(out, "  sockets from %s; ", socks ? socks : "nowhere (not read)");
	if (iv > 0)
		fprintf(out, "counter rates over %.3g s\n", iv);
	else
		fprintf(out, "single counter sample: rates come from the TIME_WAIT age histogram only\n");
}

/* Kernel release, boot id, slab size, sysctl counts and the absent keys. */
static void text_kernel(FILE *out, const json_t *facts)
{
	const json_t *k = json_object_get(facts, "kernel");
	const json_t *slab = json_object_get(json_object_get(facts, "other"), "slab.tw_sock_TCP.object_size");
	const json_t *sys = json_object_get(facts, "sysctls");
	struct hr_table *t = hr_table_new(2);
	char b[256], b2[256];
	const char *key;
	const json_t *v;
	size_t nread = 0, nabsent = 0;

	fprintf(out, "\nKernel\n");
	hr_table_row(t, (const char *[]){"release", fact_text(b, sizeof(b), json_object_get(k, "kernel.osrelease"))});
	hr_table_row(t, (const char *[]){"boot id", fact_text(b, sizeof(b), json_object_get(k, "kernel.boot_id"))});
	if (json_is_number(json_object_get(slab, "value")))
		snprintf(b2, sizeof(b2), "%s B per TIME_WAIT socket (tw_sock_TCP object)",
			 fact_text(b, sizeof(b), slab));
	else
		snprintf(b2, sizeof(b2), "%s", fact_text(b, sizeof(b), slab));
	hr_table_row(t, (const char *[]){"slab", b2});
	json_object_foreach((json_t *)sys, key, v) {
		if (json_object_get(v, "absent"))
			nabsent++;
		else
			nread++;
	}
	snprintf(b2, sizeof(b2), "%zu read, %zu absent", nread, nabsent);
	hr_table_row(t, (const char *[]){"sysctls", b2});
	hr_table_print(out, t, "  ", 0);
	hr_table_free(t);
	if (!nabsent)
		return;
	t = hr_table_new(2);
	json_object_foreach((json_t *)sys, key, v) {
		const json_t *a = json_object_get(v, "absent");

		if (a)
			hr_table_row(t, (const char *[]){key, json_string_value(a)});
	}
	fprintf(out, "  absent keys:\n");
	hr_table_print(out, t, "    ", 0);
	hr_table_free(t);
}

/* Largest number of local ports one destination uses (per-destination limit). */
static const json_t *busiest(const json_t *dests)
{
	const json_t *best = NULL, *d;
	size_t i;

	json_array_foreach((json_t *)dests, i, d)
		if (!best || json_integer_value(json_object_get(d, "in_use")) >
				     json_integer_value(json_object_get(best, "in_use")))
			best = d;
	return best;
}

/* The ephemeral port model and the busiest destination's share of it. */
static void text_ports(FILE *out, const json_t *facts)
{
	const json_t *p = json_object_get(facts, "ports");
	const json_t *s = json_object_get(facts, "sockets");
	const json_t *top = busiest(json_object_get(s, "destinations"));
	struct hr_table *t;
	char a[64], b[64], c[200], g[64];

	fprintf(out, "\nEphemeral ports\n");
	if (json_object_get(p, "absent")) {
		fprintf(out, "  unknown: %s\n", json_string_value(json_object_get(p, "absent")));
		return;
	}
	t = hr_table_new(2);
	snprintf(c, sizeof(c), "%s-%s (%s ports)",
		 hr_fmt_num(a, sizeof(a), json_number_value(json_object_get(p, "range_low")), false),
		 hr_fmt_num(b, sizeof(b), json_number_value(json_object_get(p, "range_high")), false),
		 num(g, sizeof(g), json_object_get(p, "range_size")));
	hr_table_row(t, (const char *[]){"range", c});
	hr_table_row(t, (const char *[]){"reserved in range", num(a, sizeof(a), json_object_get(p, "reserved_in_range"))});
	hr_table_row(t, (const char *[]){"listeners in range", num(a, sizeof(a), json_object_get(p, "listeners_in_range"))});
	snprintf(c, sizeof(c), "%s per destination (IP, port)", num(a, sizeof(a), json_object_get(p, "usable")));
	hr_table_row(t, (const char *[]){"usable", c});
	if (top) {
		double used = (double)json_integer_value(json_object_get(top, "in_use"));
		double usable = json_number_value(json_object_get(p, "usable"));

		snprintf(c, sizeof(c), "%s uses %s  %s", json_string_value(json_object_get(top, "subject")),
			 num(a, sizeof(a), json_object_get(top, "in_use")),
			 hr_gauge(g, sizeof(g), usable > 0 ? used / usable : 1, 20));
		hr_table_row(t, (const char *[]){"busiest destination", c});
	}
	hr_table_print(out, t, "  ", 0);
	hr_table_free(t);
}

/* Socket states, TIME_WAIT births, top destinations and listeners. */
static void text_sockets(FILE *out, const json_t *facts)
{
	const json_t *s = json_object_get(facts, "sockets");
	const json_t *st, *v, *born, *dests, *d, *ls;
	struct hr_table *t;
	const char *key;
	char a[64], b[64], c[64], w[64], x[64];
	size_t i;

	if (json_object_get(s, "absent")) {
		fprintf(out, "\nSockets: %s\n", json_string_value(json_object_get(s, "absent")));
		return;
	}
	fprintf(out, "\nSocket states (%s sockets: %s inbound, %s outbound)\n",
		num(a, sizeof(a), json_object_get(s, "total")), num(b, sizeof(b), json_object_get(s, "inbound")),
		num(c, sizeof(c), json_object_get(s, "outbound")));
	st = json_object_get(s, "states");
	t = hr_table_new(2);
	json_object_foreach((json_t *)st, key, v)
		hr_table_row(t, (const char *[]){key, num(a, sizeof(a), v)});
	if (json_object_size(st) == 0)
		hr_table_row(t, (const char *[]){"(none)", ""});
	hr_table_print(out, t, "  ", 2);
	hr_table_free(t);
	born = json_object_get(s, "timewait_born");
	fprintf(out, "  TIME_WAIT born in the last 1/5/10/30/60 s: %s/%s/%s/%s/%s",
		num(a, sizeof(a), json_object_get(born, "1s")), num(b, sizeof(b), json_object_get(born, "5s")),
		num(c, sizeof(c), json_object_get(born, "10s")), num(w, sizeof(w), json_object_get(born, "30s")),
		num(x, sizeof(x), json_object_get(born, "60s")));
	fprintf(out, "; closing rate %s/s over %s s\n",
		num(a, sizeof(a), json_object_get(s, "timewait_rate_per_s")),
		num(b, sizeof(b), json_object_get(s, "timewait_rate_window_s")));

	dests = json_object_get(s, "destinations");
	if (json_array_size(dests)) {
		fprintf(out, "\nTop destinations (%zu of %zu, by local ports in use)\n",
			json_array_size(dests) < TOP_DESTS ? json_array_size(dests) : TOP_DESTS,
			hr_lazy_size(dests));
		t = hr_table_new(9);
		hr_table_row(t, (const char *[]){"destination", "in use", "TIME_WAIT", "born 1s", "5s", "10s",
						 "30s", "60s", "rate/s"});
		json_array_foreach((json_t *)dests, i, d) {
			char cells[8][64];

			if (i >= TOP_DESTS)
				break;
			born = json_object_get(d, "timewait_born");
			hr_table_row(t, (const char *[]){json_string_value(json_object_get(d, "subject")),
							 num(cells[0], 64, json_object_get(d, "in_use")),
							 num(cells[1], 64, json_object_get(d, "timewait")),
							 num(cells[2], 64, json_object_get(born, "1s")),
							 num(cells[3], 64, json_object_get(born, "5s")),
							 num(cells[4], 64, json_object_get(born, "10s")),
							 num(cells[5], 64, json_object_get(born, "30s")),
							 num(cells[6], 64, json_object_get(born, "60s")),
							 num(cells[7], 64, json_object_get(d, "rate_per_s"))});
		}
		hr_table_print(out, t, "  ", 0x1FE);
		hr_table_free(t);
	}
	if ((d = json_object_get(s, "other_destinations")))
		fprintf(out, "  Other destinations (beyond the %s held one by one): %s in use, %s TIME_WAIT\n",
			num(a, sizeof(a), json_object_get(d, "destinations_held")),
			num(b, sizeof(b), json_object_get(d, "in_use")),
			num(c, sizeof(c), json_object_get(d, "timewait")));

	ls = json_object_get(s, "listeners");
	if (json_array_size(ls)) {
		fprintf(out, "\nListeners (%zu)\n", json_array_size(ls));
		t = hr_table_new(5);
		hr_table_row(t, (const char *[]){"listener", "queue", "backlog", "inbound", "rate/s"});
		json_array_foreach((json_t *)ls, i, d) {
			const json_t *bl = json_object_get(d, "backlog"), *is = json_object_get(d, "inbound_states");
			json_int_t inb = 0;
			const json_t *sv;

			json_object_foreach((json_t *)is, key, sv)
				inb += json_integer_value(sv);
			snprintf(w, sizeof(w), "%lld", (long long)inb);
			hr_table_row(t, (const char *[]){json_string_value(json_object_get(d, "subject")),
							 num(a, sizeof(a), json_object_get(d, "queue")),
							 json_is_null(bl) ? "unknown" : num(b, sizeof(b), bl), w,
							 num(c, sizeof(c), json_object_get(d, "inbound_rate_per_s"))});
		}
		hr_table_print(out, t, "  ", 0x1E);
		hr_table_free(t);
	}
}

/* The counters rules look at, with their rates when sampled twice. */
static void text_counters(FILE *out, const json_t *facts)
{
	static const char *const shown[] = {
		"sockstat.TCP.inuse", "sockstat.TCP.tw", "sockstat.TCP.orphan", "sockstat.TCP.alloc",
		"sockstat.TCP.mem", "sockstat6.TCP6.inuse", "snmp.Tcp.CurrEstab", "snmp.Tcp.ActiveOpens",
		"snmp.Tcp.PassiveOpens", "snmp.Tcp.AttemptFails", "snmp.Tcp.EstabResets",
		"netstat.TcpExt.TCPTimeWaitOverflow", "netstat.TcpExt.ListenOverflows",
		"netstat.TcpExt.ListenDrops", "netstat.TcpExt.TCPReqQFullDoCookies",
		"netstat.TcpExt.TCPReqQFullDrop", NULL,
	};
	const json_t *cs = json_object_get(facts, "counters"), *rs = json_object_get(facts, "rates");
	struct hr_table *t = hr_table_new(3);
	char a[128], b[64];
	size_t i;

	fprintf(out, "\nCounters of interest\n");
	hr_table_row(t, (const char *[]){"counter", "value", "rate/s"});
	for (i = 0; shown[i]; i++) {
		const json_t *c = json_object_get(cs, shown[i]);
		const char *dot = strchr(shown[i], '.');
		char rname[128];
		const json_t *rv;

		snprintf(rname, sizeof(rname), "rate%s", dot);
		rv = json_object_get(json_object_get(rs, rname), "value");
		if (!c)
			c = json_object_get(json_object_get(facts, "other"), shown[i]);
		hr_table_row(t, (const char *[]){shown[i], fact_text(a, sizeof(a), c),
						 rv ? num(b, sizeof(b), rv) : ""});
	}
	hr_table_print(out, t, "  ", 0x6);
	hr_table_free(t);
}

/* Conntrack (counters, entries, the NAT tuple holding the most ports) and
 * the kernel log's limit messages; each value "unknown (why)" when missing. */
static void text_conntrack_kmsg(FILE *out, const json_t *facts)
{
	static const char *const ct[] = {
		"conntrack.entries", "conntrack.destinations", "conntrack.top_destination",
		"conntrack.stat.insert_failed", "conntrack.stat.drop", "conntrack.stat.early_drop",
		"conntrack.snat.entries", "conntrack.snat.tuples", "conntrack.snat.folded_entries",
		"conntrack.snat.top.subject", "conntrack.snat.top.busy", "conntrack.snat.top.rate", NULL,
	};
	static const char *const logk[] = {
		"conntrack_table_full", "timewait_overflow", "syn_flood", "tcp_oom", "orphans",
		"neighbour_overflow", NULL,
	};
	const json_t *c = json_object_get(facts, "conntrack"), *k = json_object_get(facts, "kernel");
	struct hr_table *t;
	char a[256], name[96], b[256];
	size_t i;

	if (json_object_size(c)) {
		t = hr_table_new(2);
		const json_t *skip = json_object_get(json_object_get(c, "conntrack.dump_skipped"), "value");

		fprintf(out, "\nConntrack (this namespace)\n");
		/* The probe made no ctnetlink dump (conntrack-read.c): say why. */
		if (json_is_string(skip))
			fprintf(out, "  not tracked here: %s\n", json_string_value(skip));
		for (i = 0; ct[i]; i++)
			hr_table_row(t, (const char *[]){ct[i], fact_text(a, sizeof(a), json_object_get(c, ct[i]))});
		hr_table_print(out, t, "  ", 0);
		hr_table_free(t);
	}
	if (!json_object_get(k, "kernel.log.window"))
		return;
	t = hr_table_new(3);
	fprintf(out, "\nKernel log, last %s s (the host's log; this namespace's: %s)\n",
		fact_text(a, sizeof(a), json_object_get(k, "kernel.log.window")),
		fact_text(b, sizeof(b), json_object_get(k, "kernel.log.this_netns")));
	hr_table_row(t, (const char *[]){"message", "count", "last"});
	for (i = 0; logk[i]; i++) {
		char cnt[64];

		snprintf(name, sizeof(name), "kernel.log.%s.count", logk[i]);
		fact_text(cnt, sizeof(cnt), json_object_get(k, name));
		snprintf(name, sizeof(name), "kernel.log.%s.last", logk[i]);
		hr_table_row(t, (const char *[]){logk[i], cnt,
						 json_object_get(json_object_get(k, name), "value")
							 ? fact_text(a, sizeof(a), json_object_get(k, name))
							 : ""});
	}
	hr_table_print(out, t, "  ", 0x2);
	hr_table_free(t);
}

/* Every file that could not be read or made no sense. */
static void text_problems(FILE *out, const json_t *facts)
{
	const json_t *ps = json_object_get(facts, "problems"), *p;
	size_t i;

	if (!json_array_size(ps))
		return;
	fprintf(out, "\nProblems (%zu)\n", json_array_size(ps));
	json_array_foreach((json_t *)ps, i, p)
		fprintf(out, "  %s: %s\n", json_string_value(json_object_get(p, "source")),
			json_string_value(json_object_get(p, "message")));
}

/* The text report: grouped for people. */
static int probe_text(FILE *out, const json_t *tree)
{
	const json_t *facts = json_object_get(tree, "facts");

	text_header(out, facts);
	text_kernel(out, facts);
	text_ports(out, facts);
	text_sockets(out, facts);
	text_counters(out, facts);
	text_conntrack_kmsg(out, facts);
	text_problems(out, facts);
	return ferror(out) ? -EIO : 0;
}

/* Several namespaces: one section each, as the single report. */
static int probe_text_netns(FILE *out, const json_t *tree)
{
	const json_t *sec;
	size_t i;

	json_array_foreach(json_object_get(tree, "namespaces"), i, sec) {
		char title[1024];
		const char *e = json_string_value(json_object_get(sec, "error"));

		hr_cmd_netns_title(title, sizeof(title), json_object_get(sec, "netns"));
		hr_fmt_section(out, title, NULL);
		if (e)
			fprintf(out, "not probed: %s\n", e);
		else if (probe_text(out, sec) < 0)
			return -EIO;
		fputc('\n', out);
	}
	return ferror(out) ? -EIO : 0;
}

/* Says why the probe (r < 0) or writing its report (rr < 0, or stdout
 * not flushed) failed; true when either did. */
static bool report_failed(int r, const struct hr_err *err, int rr)
{
	if (r < 0) {
		fprintf(stderr, "headroom probe: %s\n", err->msg[0] ? err->msg : hr_strerror(r));
		return true;
	}
	if (rr < 0 || fflush(stdout) != 0) {
		fprintf(stderr, "headroom probe: cannot write the report\n");
		return true;
	}
	return false;
}

/* probe --netns/--pid/--all-netns: {"namespaces": [{netns, facts}...]};
 * every namespace's first sample, then one shared interval for all. */
static int probe_netns(const struct hr_cmd_netns_args *na, const struct hr_probe_opts *po)
{
	struct hr_netns_list l = {0};
	struct hr_netns_probe *st;
	struct hr_err err = {0};
	hr_facts *globals = NULL;
	json_t *tree = NULL, *secs;
	int r, rr = 0, failed = 0;
	size_t i;

	if (!hr_cmd_netns_list(na, "probe", &l))
		return HR_EXIT_FAIL;
	st = calloc(l.n ? l.n : 1, sizeof(*st));
	r = st ? hr_netns_globals(&l, &globals, &err) : -ENOMEM;
	if (r == 0)
		r = hr_netns_probe_all(&l, po, st, &err);
	if (r == 0) {
		secs = json_array();
		for (i = 0; i < l.n; i++) {
			json_t *sec = json_pack("{s:o}", "netns", hr_netns_identity(&l.v[i]));

			if (st[i].f && !l.v[i].initial && globals)
				hr_netns_copy_globals(st[i].f, globals);
			if (st[i].f)
				json_object_set_new(sec, "facts", hr_facts_to_json(st[i].f));
			if (st[i].error[0]) {
				json_object_set_new(sec, "error", json_string(st[i].error));
				failed++;
			}
			json_array_append_new(secs, sec);
		}
		tree = json_pack("{s:o}", "namespaces", secs);
		rr = hr_render_report(stdout, arg_format, tree, probe_text_netns);
	}
	hr_netns_probe_clear(st, l.n);
	free(st);
	hr_netns_list_clear(&l);
	hr_facts_free(globals);
	json_decref(tree);
	if (report_failed(r, &err, rr))
		return HR_EXIT_FAIL;
	if (failed) {
		fprintf(stderr, "headroom probe: %d namespace%s not probed\n", failed, failed == 1 ? "" : "s");
		return HR_EXIT_FAIL;
	}
	return HR_EXIT_OK;
}

/* Parses the options, runs the probe, prints problems and the report. */
static int probe_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{"root", required_argument, NULL, 'r'},
		{"interval", required_argument, NULL, 'i'},
		{"format", required_argument, NULL, 'f'},
		{"quiet", no_argument, NULL, 'q'},
		{"log-window", required_argument, NULL, 'L'},
		{"netns", required_argument, NULL, 'n'},
		{"pid", required_argument, NULL, 'p'},
		{"all-netns", no_argument, NULL, 'A'},
		{NULL, 0, NULL, 0},
	};
	struct hr_cmd_netns_args na = {0};
	struct hr_probe_opts po = {.root = arg_root, .interval_s = -1, .progress = hr_fmt_progress_sample};
	struct hr_err err = {0};
	hr_facts *f;
	json_t *tree;
	int c, r, rr;

	optind = 1;
	while ((c = getopt_long(argc, argv, "r:i:f:q", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (!*optarg) {
				fprintf(stderr, "headroom probe: --root needs a directory\n");
				return HR_EXIT_USAGE;
			}
			po.root = arg_root = optarg;
			break;
		case 'i':
			if (!hr_cmd_parse_interval("probe", optarg, &po.interval_s))
				return HR_EXIT_USAGE;
			break;
		case 'f':
			if (!hr_cmd_set_format("probe", optarg))
				return HR_EXIT_USAGE;
			break;
		case 'q':
			po.progress = NULL;
			break;
		case 'L':
			if (!hr_cmd_parse_log_window("probe", optarg, &po.log_window_s))
				return HR_EXIT_USAGE;
			break;
		case 'n':
		case 'p':
		case 'A':
			if (!hr_cmd_netns_option(&na, "probe", c, optarg))
				return HR_EXIT_USAGE;
			break;
		default:
			hr_cmd_usage(stderr, &hr_cmd_probe);
			return HR_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "headroom probe: unexpected argument '%s'\n", argv[optind]);
		return HR_EXIT_USAGE;
	}
	if (hr_cmd_netns_wanted(&na)) {
		if (po.root && *po.root) {
			fprintf(stderr, "headroom probe: --root reads a captured tree; it cannot be combined with --netns, --pid or --all-netns\n");
			return HR_EXIT_USAGE;
		}
		return probe_netns(&na, &po);
	}
	f = hr_facts_new();
	if (!f) {
		fprintf(stderr, "headroom probe: out of memory\n");
		return HR_EXIT_FAIL;
	}
	r = hr_probe_run(f, &po, &err);
	/* {"facts": ...}: the same shape as the audit report's facts. */
	tree = json_pack("{s:o}", "facts", hr_facts_to_json(f));
	{
		const json_t *ps = json_object_get(json_object_get(tree, "facts"), "problems"), *p;
		size_t i;

		json_array_foreach((json_t *)ps, i, p)
			fprintf(stderr, "headroom probe: %s: %s\n", json_string_value(json_object_get(p, "source")),
				json_string_value(json_object_get(p, "message")));
	}
	rr = hr_render_report(stdout, arg_format, tree, probe_text);
	if (hr_cmd_free_at_exit()) { /* else the exit frees them (cmd.h) */
		json_decref(tree);
		hr_facts_free(f);
	}
	return report_failed(r, &err, rr) ? HR_EXIT_FAIL : HR_EXIT_OK;
}

const struct hr_cmd hr_cmd_probe = {
	.name = "probe",
	.usage = "[--root DIR] [--interval SECONDS] [--log-window SECONDS] [--netns NAME | --pid PID]... [--all-netns] [--format text|json|yaml] [--quiet]",
	.summary = "Read sysctls, TCP counters and sockets once and show the facts.",
	.help = "  --root DIR          read a captured tree (headroom snapshot, or a copy) instead of the live system\n"
		"  --interval SECONDS  sample the counters twice this far apart for rates\n"
		"                      (default 1 live, 0 for --root: a tree's own second sample is used)\n"
		"  --log-window S      count kernel log messages of the last S seconds (default 3600)\n"
		"  --format FMT        text (default), json or yaml: the whole facts tree\n"
		"  --quiet             no progress line while sampling\n"
		"  --netns NAME        probe the 'ip netns' namespace NAME (/run/netns/NAME; repeatable)\n"
		"  --pid PID           probe the network namespace of process PID (repeatable)\n"
		"  --all-netns         probe every network namespace on the host, one section each\n",
	.exec = probe_exec,
};
