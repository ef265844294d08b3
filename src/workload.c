/* workload.c: the --workload file parser (libyaml document API, so every
 * node keeps its line:column for messages). */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "bounds.h"
#include "workload.h"

enum wl_role { ROLE_UNSET = -1, ROLE_HOST, ROLE_ROUTER, ROLE_NAT };

struct wl_out {
	char host[64];
	uint16_t port;
	double rate;
	bool local_closes;
	double rtt_s, bandwidth; /* declared path (0: none): seconds, bytes/s */
	double sources; /* 'sources': local addresses in use toward it (0: not said) */
	char source[256];
};

struct wl_in {
	uint16_t port;
	double rate;
	double rtt_s, bandwidth; /* declared path of uploads to it (0: none) */
	bool server_closes;
	char source[256];
};

/* The parsed file, applied to the facts only when all of it is valid. */
struct wl {
	struct wl_out *out;
	size_t nout;
	struct wl_in *in;
	size_t nin;
	double idle_s, failover_s, rpc;
	bool have_idle, have_failover, have_rpc;
	int nat; /* -1 unset, 0, 1 */
	int role;
	long snat_lo, snat_hi; /* snat_port_range; snat_lo 0 = not declared */
};

struct wl_ctx {
	yaml_document_t *doc;
	const char *name;
	struct hr_err *err;
	struct wl *w;
};

/* Records "NAME:LINE:COL: message" for a node (marks are 0-based in libyaml). */
static int wl_fail(struct wl_ctx *c, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int wl_fail(struct wl_ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	hr_err_set(c->err, -EBADMSG, "%s:%zu:%zu: %s", c->name, n ? n->start_mark.line + 1 : 0,
		   n ? n->start_mark.column + 1 : 0, msg);
	return -EBADMSG;
}

static const char *node_type_name(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return "a scalar";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

/* The text of a scalar node, or NULL (and an error) when it is not one. */
static const char *wl_scalar(struct wl_ctx *c, const yaml_node_t *n, const char *key)
{
	if (!n || n->type != YAML_SCALAR_NODE) {
		wl_fail(c, n, "'%s' must be a value, not %s", key, n ? node_type_name(n) : "nothing");
		return NULL;
	}
	return (const char *)n->data.scalar.value;
}

/* Parses a non-negative finite number followed by a unit suffix; the suffix
 * must be one of units[] (scales[] gives its factor); "" means no suffix. */
static int parse_quantity(const char *s, const char *const *units, const double *scales, double *out)
{
	char *end;
	double v;
	int i;

	while (isspace((unsigned char)*s))
		s++;
	if (!isdigit((unsigned char)*s) && *s != '.')
		return -EINVAL; /* rejects signs, "inf", "nan" */
	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || !isfinite(v) || v < 0)
		return -EINVAL;
	while (isspace((unsigned char)*end))
		end++;
	for (i = 0; units[i]; i++) {
		size_t n = strlen(units[i]);

		if (!strncmp(end, units[i], n) && end[n] == '\0') {
			*out = v * scales[i];
			return isfinite(*out) ? 0 : -EINVAL;
		}
	}
	return -EINVAL;
}

int hr_workload_parse_rate(const char *s, double *out)
{
	static const char *const units[] = {"/s", "/min", "/h", "", NULL};
	static const double scales[] = {1, 1.0 / 60, 1.0 / 3600, 1};

	return parse_quantity(s, units, scales, out);
}

int hr_workload_parse_duration(const char *s, double *out)
{
	/* "ms" before "s" and "min" is irrelevant: suffixes must match whole. */
	static const char *const units[] = {"ms", "s", "min", "h", "", NULL};
	static const double scales[] = {0.001, 1, 60, 3600, 1};

	return parse_quantity(s, units, scales, out);
}

static int get_rate(struct wl_ctx *c, const yaml_node_t *n, const char *key, double *out)
{
	const char *s = wl_scalar(c, n, key);

	if (!s)
		return -EBADMSG;
	if (hr_workload_parse_rate(s, out) < 0)
		return wl_fail(c, n, "'%s': bad rate '%s' (want connections per second: 710, 710/s, 42000/min)",
			       key, s);
	return 0;
}

/* A path's bandwidth: "100Mbit/s", "1Gbit/s", "12.5MB/s" -> bytes/s. */
int hr_workload_parse_bandwidth(const char *s, double *out)
{
	static const char *const units[] = {"bit/s", "kbit/s", "Mbit/s", "Gbit/s", "B/s", "kB/s", "MB/s", "GB/s",
					    NULL};
	static const double scales[] = {1.0 / 8, 1e3 / 8, 1e6 / 8, 1e9 / 8, 1, 1e3, 1e6, 1e9};

	return parse_quantity(s, units, scales, out);
}

static int get_duration(struct wl_ctx *c, const yaml_node_t *n, const char *key, double *out)
{
	const char *s = wl_scalar(c, n, key);

	if (!s)
		return -EBADMSG;
	if (hr_workload_parse_duration(s, out) < 0)
		return wl_fail(c, n, "'%s': bad duration '%s' (want 30, 30s, 250ms, 15min or 1h)", key, s);
	return 0;
}

static int get_bool(struct wl_ctx *c, const yaml_node_t *n, const char *key, int *out)
{
	const char *s = wl_scalar(c, n, key);

	if (!s)
		return -EBADMSG;
	if (!strcmp(s, "true"))
		*out = 1;
	else if (!strcmp(s, "false"))
		*out = 0;
	else
		return wl_fail(c, n, "'%s': want true or false, got '%s'", key, s);
	return 0;
}

static int get_port(struct wl_ctx *c, const yaml_node_t *n, const char *key, uint16_t *out)
{
	const char *s = wl_scalar(c, n, key);
	int64_t v;

	if (!s)
		return -EBADMSG;
	if (hr_parse_i64(s, &v) < 0 || v < 1 || v > 65535)
		return wl_fail(c, n, "'%s': bad port '%s' (want 1-65535)", key, s);
	*out = (uint16_t)v;
	return 0;
}

/* "client" or "server" -> true when it names `self`. */
static int get_closer(struct wl_ctx *c, const yaml_node_t *n, const char *self, bool *out)
{
	const char *s = wl_scalar(c, n, "closes");

	if (!s)
		return -EBADMSG;
	if (strcmp(s, "client") && strcmp(s, "server"))
		return wl_fail(c, n, "'closes': want client or server, got '%s'", s);
	*out = !strcmp(s, self);
	return 0;
}

/* Splits "10.0.0.2:5774" / "[2001:db8::1]:443" into an IP literal and a port. */
static int parse_destination(struct wl_ctx *c, const yaml_node_t *n, struct wl_out *o)
{
	const char *s = wl_scalar(c, n, "destination");
	const char *colon;
	uint8_t addr[16];
	char host[64];
	size_t hl;
	int64_t port;

	if (!s)
		return -EBADMSG;
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || rb[1] != ':')
			return wl_fail(c, n, "'destination': want [IPv6]:PORT, got '%s'", s);
		hl = (size_t)(rb - s - 1);
		if (hl >= sizeof(host))
			return wl_fail(c, n, "'destination': address too long");
		memcpy(host, s + 1, hl);
		host[hl] = '\0';
		colon = rb + 1;
		if (inet_pton(AF_INET6, host, addr) != 1)
			return wl_fail(c, n, "'destination': '%s' is not an IPv6 address", host);
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return wl_fail(c, n, "'destination': want ADDRESS:PORT, got '%s'", s);
		if (strchr(s, ':') != colon)
			return wl_fail(c, n, "'destination': IPv6 addresses go in brackets: [%.*s]:PORT",
				       (int)(colon - s), s);
		hl = (size_t)(colon - s);
		if (hl >= sizeof(host))
			return wl_fail(c, n, "'destination': address too long");
		memcpy(host, s, hl);
		host[hl] = '\0';
		if (inet_pton(AF_INET, host, addr) != 1)
			return wl_fail(c, n, "'destination': '%s' is not an IP address (host names are not resolved)",
				       host);
	}
	if (hr_parse_i64(colon + 1, &port) < 0 || port < 1 || port > 65535)
		return wl_fail(c, n, "'destination': bad port '%s' (want 1-65535)", colon + 1);
	snprintf(o->host, sizeof(o->host), "%s", host);
	o->port = (uint16_t)port;
	return 0;
}

/* Checks a mapping for duplicate keys and non-scalar keys. */
static int check_keys(struct wl_ctx *c, const yaml_node_t *map)
{
	yaml_node_pair_t *p, *q;

	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, p->key);

		if (!k || k->type != YAML_SCALAR_NODE)
			return wl_fail(c, k, "keys must be plain names");
		for (q = map->data.mapping.pairs.start; q < p; q++) {
			yaml_node_t *k2 = yaml_document_get_node(c->doc, q->key);

			if (!strcmp((char *)k->data.scalar.value, (char *)k2->data.scalar.value))
				return wl_fail(c, k, "duplicate key '%s' (first at line %zu)",
					       (char *)k->data.scalar.value, k2->start_mark.line + 1);
		}
	}
	return 0;
}

/* A path key of an entry: "rtt" (a round-trip time) or "bandwidth". */
static int get_path_key(struct wl_ctx *c, const yaml_node_t *v, const char *key, double *rtt_s, double *bw)
{
	const char *bs;
	int r;

	if (!strcmp(key, "rtt")) {
		r = get_duration(c, v, key, rtt_s);
		return r == 0 && !(*rtt_s > 0) ? wl_fail(c, v, "'rtt': want a round-trip time above 0 (50ms)") : r;
	}
	bs = wl_scalar(c, v, key);
	return !bs ? -EBADMSG : hr_workload_parse_bandwidth(bs, bw) < 0 || !(*bw > 0)
		? wl_fail(c, v, "'bandwidth': bad rate '%s' (want 100Mbit/s, 1Gbit/s or 12.5MB/s)", bs)
		: 0;
}

static int parse_outbound_item(struct wl_ctx *c, const yaml_node_t *item, struct wl_out *o)
{
	yaml_node_pair_t *p;
	bool have_dest = false, have_rate = false;
	int r;

	if (item->type != YAML_MAPPING_NODE)
		return wl_fail(c, item, "each outbound entry is a mapping (destination, rate, closes), not %s",
			       node_type_name(item));
	if ((r = check_keys(c, item)) < 0)
		return r;
	o->local_closes = true; /* conservative default: this host holds the ports */
	for (p = item->data.mapping.pairs.start; p < item->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
		const char *key = (const char *)k->data.scalar.value;

		if (!strcmp(key, "destination")) {
			r = parse_destination(c, v, o);
			have_dest = true;
		} else if (!strcmp(key, "rate")) {
			r = get_rate(c, v, key, &o->rate);
			have_rate = true;
		} else if (!strcmp(key, "closes")) {
			r = get_closer(c, v, "client", &o->local_closes);
		} else if (!strcmp(key, "rtt") || !strcmp(key, "bandwidth")) {
			r = get_path_key(c, v, key, &o->rtt_s, &o->bandwidth);
		} else if (!strcmp(key, "sources")) {
			/* Local addresses toward it: each has its own port range. */
			const char *s = wl_scalar(c, v, key);
			int64_t n;

			r = s ? 0 : -EBADMSG;
			if (!r && (hr_parse_i64(s, &n) < 0 || n < 1 || n > 65536))
				r = wl_fail(c, v, "'%s': want a whole number of local addresses from 1 to 65536, got '%s'",
					    key, s);
			if (!r)
				o->sources = (double)n;
		} else {
			r = wl_fail(c, k,
				    "unknown key '%s' in an outbound entry (known: destination, rate, closes, sources, rtt, bandwidth)",
				    key);
		}
		if (r < 0)
			return r;
	}
	if (!have_dest)
		return wl_fail(c, item, "outbound entry without 'destination'");
	if ((o->rtt_s > 0) != (o->bandwidth > 0))
		return wl_fail(c, item, "outbound entry: a path needs both 'rtt' and 'bandwidth'");
	/* A path alone (for the buffer rule) declares no connection rate. */
	if (!have_rate && !(o->rtt_s > 0))
		return wl_fail(c, item, "outbound entry without 'rate'");
	snprintf(o->source, sizeof(o->source), "%s:%zu", c->name, item->start_mark.line + 1);
	return 0;
}

static int parse_inbound_item(struct wl_ctx *c, const yaml_node_t *item, struct wl_in *o)
{
	yaml_node_pair_t *p;
	bool have_port = false, have_rate = false;
	int r;

	if (item->type != YAML_MAPPING_NODE)
		return wl_fail(c, item, "each inbound entry is a mapping (port, rate, closes), not %s",
			       node_type_name(item));
	if ((r = check_keys(c, item)) < 0)
		return r;
	o->server_closes = true; /* conservative default: TIME_WAIT lands here */
	for (p = item->data.mapping.pairs.start; p < item->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
		const char *key = (const char *)k->data.scalar.value;

		if (!strcmp(key, "port")) {
			r = get_port(c, v, key, &o->port);
			have_port = true;
		} else if (!strcmp(key, "rate")) {
			r = get_rate(c, v, key, &o->rate);
			have_rate = true;
		} else if (!strcmp(key, "closes")) {
			r = get_closer(c, v, "server", &o->server_closes);
		} else if (!strcmp(key, "rtt") || !strcmp(key, "bandwidth")) {
			r = get_path_key(c, v, key, &o->rtt_s, &o->bandwidth);
		} else {
			r = wl_fail(c, k, "unknown key '%s' in an inbound entry (known: port, rate, closes, rtt, bandwidth)", key);
		}
		if (r < 0)
			return r;
	}
	if (!have_port)
		return wl_fail(c, item, "inbound entry without 'port'");
	if ((o->rtt_s > 0) != (o->bandwidth > 0))
		return wl_fail(c, item, "inbound entry: a path needs both 'rtt' and 'bandwidth'");
	if (!have_rate && !(o->rtt_s > 0))
		return wl_fail(c, item, "inbound entry without 'rate'");
	snprintf(o->source, sizeof(o->source), "%s:%zu", c->name, item->start_mark.line + 1);
	return 0;
}

/* Parses a list of entries with one of the two item parsers. */
static int parse_list(struct wl_ctx *c, const yaml_node_t *seq, const char *key, bool outbound)
{
	yaml_node_item_t *it;
	size_t n;

	if (seq->type != YAML_SEQUENCE_NODE)
		return wl_fail(c, seq, "'%s' must be a list of entries, not %s", key, node_type_name(seq));
	n = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
	if (n > HR_WORKLOAD_MAX_ENTRIES)
		return wl_fail(c, yaml_document_get_node(c->doc, seq->data.sequence.items.start[HR_WORKLOAD_MAX_ENTRIES]),
			       "more than %d entries in '%s' (the bound of a workload file)", HR_WORKLOAD_MAX_ENTRIES,
			       key);
	if (outbound) {
		c->w->out = calloc(n ? n : 1, sizeof(*c->w->out));
		if (!c->w->out)
			return -ENOMEM;
	} else {
		c->w->in = calloc(n ? n : 1, sizeof(*c->w->in));
		if (!c->w->in)
			return -ENOMEM;
	}
	for (it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
		yaml_node_t *item = yaml_document_get_node(c->doc, *it);
		int r = outbound ? parse_outbound_item(c, item, &c->w->out[c->w->nout])
				 : parse_inbound_item(c, item, &c->w->in[c->w->nin]);

		if (r < 0)
			return r;
		if (outbound)
			c->w->nout++;
		else
			c->w->nin++;
	}
	return 0;
}

static int parse_top(struct wl_ctx *c, const yaml_node_t *root)
{
	yaml_node_pair_t *p;
	int r, b = 0;

	if (root->type != YAML_MAPPING_NODE)
		return wl_fail(c, root, "a workload file is a mapping (outbound, inbound, ...), not %s",
			       node_type_name(root));
	if ((r = check_keys(c, root)) < 0)
		return r;
	for (p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
		const char *key = (const char *)k->data.scalar.value;

		if (!strcmp(key, "outbound") || !strcmp(key, "inbound")) {
			r = parse_list(c, v, key, key[0] == 'o');
		} else if (!strcmp(key, "middlebox_idle_timeout")) {
			r = get_duration(c, v, key, &c->w->idle_s);
			c->w->have_idle = true;
			if (!r && c->w->idle_s <= 0)
				r = wl_fail(c, v, "'%s' must be more than 0", key);
		} else if (!strcmp(key, "failover_deadline")) {
			r = get_duration(c, v, key, &c->w->failover_s);
			c->w->have_failover = true;
			if (!r && c->w->failover_s <= 0)
				r = wl_fail(c, v, "'%s' must be more than 0", key);
		} else if (!strcmp(key, "clients_behind_nat")) {
			r = get_bool(c, v, key, &b);
			c->w->nat = b;
		} else if (!strcmp(key, "requests_per_connection")) {
			const char *s = wl_scalar(c, v, key);
			int64_t n;

			r = s ? 0 : -EBADMSG;
			if (!r && (hr_parse_i64(s, &n) < 0 || n < 1 || n > 1000000000))
				r = wl_fail(c, v, "'%s': want a whole number from 1, got '%s'", key, s);
			if (!r) {
				c->w->rpc = (double)n;
				c->w->have_rpc = true;
			}
		} else if (!strcmp(key, "snat_port_range")) {
			/* The port range of the SNAT/masquerade rule ("40000-40099"):
			 * in the nftables/iptables rule, which headroom does not read. */
			const char *s = wl_scalar(c, v, key);
			long lo = 0, hi = 0;
			int used = 0;

			r = s ? 0 : -EBADMSG;
			if (!r && (sscanf(s, "%ld-%ld%n", &lo, &hi, &used) != 2 || s[used] || lo < 1 || hi > 65535 ||
				   lo > hi))
				r = wl_fail(c, v, "'%s': want LOW-HIGH within 1-65535, got '%s'", key, s);
			if (!r) {
				c->w->snat_lo = lo;
				c->w->snat_hi = hi;
			}
		} else if (!strcmp(key, "role")) {
			const char *s = wl_scalar(c, v, key);

			r = s ? 0 : -EBADMSG;
			if (!r && !strcmp(s, "host"))
				c->w->role = ROLE_HOST;
			else if (!r && !strcmp(s, "router"))
				c->w->role = ROLE_ROUTER;
			else if (!r && !strcmp(s, "nat-gateway"))
				c->w->role = ROLE_NAT;
			else if (!r)
				r = wl_fail(c, v, "'role': want host, router or nat-gateway, got '%s'", s);
		} else {
			r = wl_fail(c, k,
				    "unknown key '%s' (known: outbound, inbound, middlebox_idle_timeout, "
				    "failover_deadline, clients_behind_nat, role, requests_per_connection, "
				    "snat_port_range)",
				    key);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

/* Declares the parsed workload into the facts model. */
static int wl_apply(hr_facts *f, const struct wl *w, const char *name, struct hr_err *err)
{
	double inbound = 0;
	size_t i;
	int r;

	for (i = 0; i < w->nout; i++) {
		r = hr_facts_declare_dest(f, w->out[i].host, w->out[i].port, w->out[i].rate,
					  w->out[i].local_closes, w->out[i].source);
		if (r == 0 && w->out[i].rtt_s > 0)
			r = hr_facts_declare_path(f, w->out[i].host, w->out[i].port, w->out[i].rtt_s,
						  w->out[i].bandwidth, w->out[i].source);
		if (r == 0 && w->out[i].sources > 0)
			r = hr_facts_declare_dest_sources(f, w->out[i].host, w->out[i].port, w->out[i].sources);
		if (r < 0) {
			hr_err_set(err, r, "%s: cannot declare destination %s: %s", w->out[i].source,
				   w->out[i].host, hr_strerror(r));
			return r;
		}
	}
	for (i = 0; i < w->nin; i++) {
		r = hr_facts_declare_inbound(f, w->in[i].port, w->in[i].rate, w->in[i].server_closes,
					     w->in[i].source);
		if (r == 0 && w->in[i].rtt_s > 0)
			r = hr_facts_declare_inbound_path(f, w->in[i].port, w->in[i].rtt_s, w->in[i].bandwidth,
							  w->in[i].source);
		if (r < 0) {
			hr_err_set(err, r, "%s: cannot declare inbound port %u: %s", w->in[i].source,
				   w->in[i].port, hr_strerror(r));
			return r;
		}
		inbound += w->in[i].rate;
	}
	if (w->nin)
		hr_facts_set_num(f, "workload.inbound_rate", inbound, name);
	if (w->have_idle)
		hr_facts_set_num(f, "workload.middlebox_idle_timeout", w->idle_s, name);
	if (w->have_failover)
		hr_facts_set_num(f, "workload.failover_deadline", w->failover_s, name);
	if (w->have_rpc)
		hr_facts_set_num(f, "workload.requests_per_connection", w->rpc, name);
	if (w->nat >= 0)
		hr_facts_set_num(f, "workload.clients_behind_nat", w->nat, name);
	if (w->role != ROLE_UNSET)
		hr_facts_set_num(f, "workload.forwarding", w->role == ROLE_HOST ? 0 : 1, name);
	if (w->role == ROLE_NAT)
		hr_facts_set_num(f, "workload.nat_gateway", 1, name);
	if (w->snat_lo) {
		hr_facts_set_num(f, "workload.snat_port_range_low", (double)w->snat_lo, name);
		hr_facts_set_num(f, "workload.snat_port_range_high", (double)w->snat_hi, name);
	}
	return 0;
}

int hr_workload_load_buffer(hr_facts *f, const char *text, size_t len, const char *name,
			    struct hr_err *err)
{
	yaml_parser_t parser;
	yaml_document_t doc, extra;
	struct wl w = {.nat = -1, .role = ROLE_UNSET};
	struct wl_ctx c = {.doc = &doc, .name = name, .err = err, .w = &w};
	yaml_node_t *root;
	int r = 0;

	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		hr_err_set(err, -EBADMSG, "%s:%zu:%zu: YAML syntax: %s%s%s", name,
			   parser.problem_mark.line + 1, parser.problem_mark.column + 1,
			   parser.problem ? parser.problem : "error", parser.context ? " " : "",
			   parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		return -EBADMSG;
	}
	root = yaml_document_get_root_node(&doc);
	if (!root) {
		hr_err_set(err, -EBADMSG, "%s:1:1: empty workload file (declare outbound, inbound, "
					  "middlebox_idle_timeout or failover_deadline)", name);
		r = -EBADMSG;
	} else {
		r = parse_top(&c, root);
	}
	if (!r) {
		/* A second document would be silently ignored: refuse it. */
		if (!yaml_parser_load(&parser, &extra)) {
			hr_err_set(err, -EBADMSG, "%s:%zu:%zu: YAML syntax: %s", name,
				   parser.problem_mark.line + 1, parser.problem_mark.column + 1,
				   parser.problem ? parser.problem : "error");
			r = -EBADMSG;
		} else {
			if (yaml_document_get_root_node(&extra)) {
				hr_err_set(err, -EBADMSG, "%s:%zu:%zu: only one YAML document is allowed", name,
					   extra.start_mark.line + 1, extra.start_mark.column + 1);
				r = -EBADMSG;
			}
			yaml_document_delete(&extra);
		}
	}
	if (!r)
		r = wl_apply(f, &w, name, err);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	free(w.out);
	free(w.in);
	return r;
}

int hr_workload_load(hr_facts *f, const char *path, struct hr_err *err)
{
	char *text;
	size_t len;
	int r = hr_bounds_read_yaml(path, HR_PROFILE_MAX_FILE, "workload file", &text, &len, err);

	if (r < 0)
		return r;
	r = hr_workload_load_buffer(f, text, len, path, err);
	free(text);
	return r;
}
