/* cmd-trace.c: the 'trace' command: the eBPF collector for SECONDS, its
 * evidence as text tables or JSON/YAML (the tree of hr_trace_run). */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "fmt.h"
#include "render.h"
#include "trace.h"

/* Rows of each text table; JSON and YAML carry every one. */
#define TEXT_MAX_ROWS 20

bool hr_cmd_parse_trace_seconds(const char *cmd, const char *s, double *out)
{
	char *end;

	*out = strtod(s, &end);
	if (end == s || *end || !(*out > 0) || *out > 3600) {
		fprintf(stderr, "headroom %s: the trace wants seconds, more than 0 and at most 3600 (got '%s')\n", cmd,
			s);
		return false;
	}
	return true;
}

static const char *str_or(const json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : dflt;
}

/* A member as text: integers plain, reals with up to 3 decimals, null "-". */
static const char *num_text(char *buf, size_t n, const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_number(v))
		return "-";
	return hr_fmt_num(buf, n, json_number_value(v), true);
}

/* An identifier (pid, namespace inode) as text: no thousands separators. */
static const char *id_text(char *buf, size_t n, const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		return "-";
	snprintf(buf, n, "%lld", (long long)json_integer_value(v));
	return buf;
}

/* "EADDRNOTAVAIL 35, ECONNREFUSED 2" of an object of counts; "-" if empty. */
static const char *counts_text(char *buf, size_t n, const json_t *o)
{
	const char *k;
	json_t *v;
	size_t len = 0;

	buf[0] = '\0';
	json_object_foreach((json_t *)o, k, v) {
		if (!json_integer_value(v))
			continue;
		len += (size_t)snprintf(buf + len, len < n ? n - len : 0, "%s%s %lld", len ? ", " : "", k,
				       (long long)json_integer_value(v));
		if (len >= n)
			break;
	}
	return buf[0] ? buf : "-";
}

/* Prints one table: header, then up to TEXT_MAX_ROWS rows of arr made by row(). */
static void table(FILE *out, const char *title, const char *const *head, int ncols, unsigned right,
		  const json_t *arr, void (*row)(const json_t *it, char cells[][64]))
{
	struct hr_table *t = hr_table_new(ncols);
	char cells[16][64];
	const char *cp[16];
	const json_t *it;
	size_t i, n = json_array_size(arr);
	int k;

	fprintf(out, "\n%s (%zu):\n", title, n);
	if (!n || !t) {
		fprintf(out, "  none\n");
		hr_table_free(t);
		return;
	}
	hr_table_row(t, head);
	json_array_foreach(arr, i, it) {
		if (i == TEXT_MAX_ROWS)
			break;
		row(it, cells);
		for (k = 0; k < ncols; k++)
			cp[k] = cells[k];
		hr_table_row(t, cp);
	}
	hr_table_print(out, t, "  ", right);
	if (n > TEXT_MAX_ROWS)
		fprintf(out, "  ... %zu more (--format json lists every one)\n", n - TEXT_MAX_ROWS);
	hr_table_free(t);
}

static void fail_row(const json_t *it, char c[][64])
{
	snprintf(c[0], 64, "%s", str_or(it, "comm", "?"));
	id_text(c[1], 64, it, "pid");
	snprintf(c[2], 64, "%s", str_or(it, "destination", "?"));
	snprintf(c[3], 64, "%s", str_or(it, "error", "?"));
	num_text(c[4], 64, it, "count");
	num_text(c[5], 64, it, "rate");
	snprintf(c[6], 64, "%s", str_or(it, "cgroup", "-"));
	/* The container id's first 12 digits, as docker ps shows it. */
	snprintf(c[7], 64, "%.12s", str_or(it, "container_id", "-"));
	id_text(c[8], 64, it, "netns");
}

/* The columns destinations and listeners share: subject, opens, rate,
 * closed, who closed first, average lifetime. */
static void flow_cells(const json_t *it, char c[][64])
{
	static const char *const keys[] = {"opens", "rate", "closed", "local_closed_first", "peer_closed_first",
					   "lifetime_avg_s"};
	int k;

	snprintf(c[0], 64, "%s", str_or(it, "subject", "?"));
	for (k = 0; k < 6; k++)
		num_text(c[k + 1], 64, it, keys[k]);
}

static void dest_row(const json_t *it, char c[][64])
{
	flow_cells(it, c);
	num_text(c[7], 64, it, "rst_sent");
	num_text(c[8], 64, it, "rst_received");
	counts_text(c[9], 64, json_object_get(it, "connect_failures"));
}

static void listener_row(const json_t *it, char c[][64])
{
	flow_cells(it, c);
	num_text(c[7], 64, it, "synack_retrans");
}

static void drop_row(const json_t *it, char c[][64])
{
	snprintf(c[0], 64, "%s", str_or(it, "reason", "?"));
	num_text(c[1], 64, it, "count");
	num_text(c[2], 64, it, "rate");
}

/* bind() before connect(): per process and destination, how the sockets were bound. */
static void bind_row(const json_t *it, char c[][64])
{
	static const char *const keys[] = {"connects", "port_bound", "no_port", "reuseaddr", "reuseport"};
	int k;

	snprintf(c[0], 64, "%s", str_or(it, "comm", "?"));
	id_text(c[1], 64, it, "pid");
	snprintf(c[2], 64, "%s", str_or(it, "destination", "?"));
	for (k = 0; k < 5; k++)
		num_text(c[k + 3], 64, it, keys[k]);
}

/* The evidence as text: totals, then one table per map. */
static int trace_text(FILE *out, const json_t *ev)
{
	static const char *const fh[] = {"PROCESS", "PID", "DESTINATION", "ERROR", "COUNT", "/S", "CGROUP", "CONTAINER",
					 "NETNS"};
	static const char *const dh[] = {"DESTINATION", "OPENS", "/S", "CLOSED", "LOCAL-FIN", "PEER-FIN",
					 "LIFE-S", "RST-OUT", "RST-IN", "CONNECT-FAILED"};
	static const char *const lh[] = {"LISTENER", "ACCEPTED", "/S", "CLOSED", "LOCAL-FIN", "PEER-FIN",
					 "LIFE-S", "SYNACK-RETRANS"};
	static const char *const rh[] = {"DROP REASON", "COUNT", "/S"};
	static const char *const bh[] = {"PROCESS", "PID", "DESTINATION", "CONNECTS", "PORT-BOUND",
					 "NO-PORT", "REUSEADDR", "REUSEPORT"};
	const json_t *tot = json_object_get(ev, "totals"), *it;
	char a[64], b[64], c[64], d[256];
	size_t i;

	fprintf(out, "Traced %s s (%s): %s connect() calls, %s failed (%s)\n", num_text(a, sizeof(a), ev, "seconds"),
		json_is_integer(json_object_get(ev, "netns")) ? "this network namespace" : "every network namespace",
		num_text(b, sizeof(b), tot, "connect_calls"), num_text(c, sizeof(c), tot, "connect_failed"),
		counts_text(d, sizeof(d), json_object_get(tot, "connect_failures")));
	fprintf(out, "New connections: %s/s out, ", num_text(a, sizeof(a), tot, "active_opens_rate"));
	fprintf(out, "%s/s accepted; RSTs %s sent, %s received; ", num_text(b, sizeof(b), tot, "passive_opens_rate"),
		num_text(c, sizeof(c), tot, "rst_sent"), num_text(d, sizeof(d), tot, "rst_received"));
	fprintf(out, "SYN-ACK retransmits %s; drops %s\n", num_text(a, sizeof(a), tot, "synack_retrans"),
		num_text(b, sizeof(b), tot, "drops"));
	if (json_integer_value(json_object_get(tot, "lost")))
		fprintf(out, "Note: %s updates were lost to full maps (the counts are lower bounds)\n",
			num_text(a, sizeof(a), tot, "lost"));
	table(out, "connect() failures by process", fh, 9, 0x30, json_object_get(ev, "connect_failures"), fail_row);
	table(out, "Destinations", dh, 10, 0x1fe, json_object_get(ev, "destinations"), dest_row);
	table(out, "Listeners", lh, 8, 0xfe, json_object_get(ev, "listeners"), listener_row);
	if (json_array_size(json_object_get(ev, "binds")))
		table(out, "bind() before connect() (port bound by bind(), IP_BIND_ADDRESS_NO_PORT, SO_REUSEADDR)",
		      bh, 8, 0xf8, json_object_get(ev, "binds"), bind_row);
	table(out, "Drop reasons", rh, 3, 0x6, json_object_get(ev, "drops"), drop_row);
	json_array_foreach(json_object_get(ev, "drops"), i, it) {
		if (i == TEXT_MAX_ROWS)
			break;
		fprintf(out, "  %s: %s\n", str_or(it, "reason", "?"), str_or(it, "meaning", ""));
	}
	return ferror(out) ? -EIO : 0;
}

static int trace_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{"format", required_argument, NULL, 'f'},
		{"all-netns", no_argument, NULL, 'A'},
		{"quiet", no_argument, NULL, 'q'},
		{NULL, 0, NULL, 0},
	};
	struct hr_trace_opts o = {.progress = hr_fmt_progress_trace};
	struct hr_err err = {0};
	bool all = false;
	json_t *ev = NULL;
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "f:q", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (!hr_cmd_set_format("trace", optarg))
				return HR_EXIT_USAGE;
			break;
		case 'A':
			all = true;
			break;
		case 'q':
			o.progress = NULL;
			break;
		default:
			hr_cmd_usage(stderr, &hr_cmd_trace);
			return HR_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		hr_cmd_usage(stderr, &hr_cmd_trace);
		return HR_EXIT_USAGE;
	}
	if (!hr_cmd_parse_trace_seconds("trace", argv[optind], &o.seconds))
		return HR_EXIT_USAGE;
	o.netns = all ? 0 : hr_trace_netns_self();
	r = hr_trace_run(&o, &ev, &err);
	if (r < 0) {
		fprintf(stderr, "headroom trace: not traced: %s\n", err.msg[0] ? err.msg : hr_strerror(r));
		return HR_EXIT_FAIL;
	}
	r = hr_render_report(stdout, arg_format, ev, trace_text);
	json_decref(ev);
	if (r < 0 || fflush(stdout) != 0) {
		fprintf(stderr, "headroom trace: cannot write the evidence\n");
		return HR_EXIT_FAIL;
	}
	return HR_EXIT_OK;
}

const struct hr_cmd hr_cmd_trace = {
	.name = "trace",
	.usage = "[--all-netns] [--format text|json|yaml] [-q] SECONDS",
	.summary = "Trace connections, connect() failures, resets and drops with eBPF for SECONDS.",
	.help = "  SECONDS             how long to trace (more than 0, at most 3600)\n"
		"  --all-netns         count every network namespace (default: this process's)\n"
		"  --format FMT        text (default), json or yaml\n"
		"  -q, --quiet         no progress line\n"
		"Needs root (or CAP_BPF and CAP_PERFMON), a kernel with BTF and a build with eBPF.\n"
		"Exit: 0 traced, 1 not traced (the reason on stderr), 64 usage.\n",
	.exec = trace_exec,
};
