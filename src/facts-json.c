/* facts-json.c: the whole facts model as the report tree's "facts" object
 * (sysctls, counters, rates, kernel, ports, sockets with destinations in
 * a stable order, listeners, problems). Read-only over the model.
 * May call: facts-int.h (the model, TIME_WAIT rates, the port model),
 * lazy (the destinations made as written) and jansson. */
#include "config.h"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "facts-int.h"
#include "lazy.h"

static json_t *states_json(const uint32_t *st32, const uint64_t *st64)
{
	json_t *o = json_object();
	int s;

	for (s = 1; s < HR_TCP_NSTATES; s++) {
		uint64_t v = st32 ? st32[s] : st64[s];

		if (v)
			json_object_set_new(o, hr_tcp_state_name(s), json_integer((json_int_t)v));
	}
	return o;
}

/* TIME_WAIT sockets born in each window (1, 5, 10, 30, 60 s) of bins. */
static void born_counts(const uint32_t *bins, uint32_t *born)
{
	int k;

	for (k = 0; k < HR_TW_NWINDOWS; k++)
		born[k] = hr_tw_bins_count(bins, hr_tw_windows[k]);
}

static json_t *born_json(const uint32_t *born)
{
	json_t *o = json_object();
	int k;

	for (k = 0; k < HR_TW_NWINDOWS; k++) {
		char key[8];

		snprintf(key, sizeof(key), "%ds", hr_tw_windows[k]);
		json_object_set_new(o, key, json_integer(born[k]));
	}
	return o;
}

static json_t *num_or_null(double v)
{
	if (!isfinite(v))
		return json_null();
	if (v == floor(v) && fabs(v) < 9e15)
		return json_integer((json_int_t)v);
	return json_real(v);
}

/* Port model (issue 25): a destination's local addresses when more than
 * one (at most HR_DEST_SOURCES, then one entry with address null for the
 * rest), and whether timestamps were negotiated when known (ESTABLISHED
 * sockets with tcp_info). Left out otherwise: the report of 65,536
 * destinations stays the size it was (tests/limits-dests.sh). */
static void dest_sources_json(json_t *o, const struct dest *d)
{
	char ip[INET6_ADDRSTRLEN];
	json_t *a;
	int i;

	if (d->ts_yes + d->ts_no)
		json_object_set_new(o, "timestamps", json_boolean(d->ts_yes > 0));
	if (d->nsrc < 2 && !hr_dest_src_other(d))
		return;
	a = json_array();
	for (i = 0; i < d->nsrc; i++) {
		const struct dsrc *x = hr_dest_src(d, i);

		inet_ntop(d->family, x->addr, ip, sizeof(ip));
		json_array_append_new(a, json_pack("{s:s,s:I,s:I}", "address", ip, "in_use", (json_int_t)x->in_use,
						   "timewait", (json_int_t)x->timewait));
	}
	if (hr_dest_src_other(d))
		json_array_append_new(a, json_pack("{s:n,s:I,s:I}", "address", "in_use",
						   (json_int_t)hr_dest_src_other(d)->in_use, "timewait",
						   (json_int_t)hr_dest_src_other(d)->timewait));
	json_object_set_new(o, "sources", a);
}

static int cmp_dest(const void *a, const void *b)
{
	const struct dest *x = *(const struct dest *const *)a, *y = *(const struct dest *const *)b;

	if (x->total != y->total)
		return x->total < y->total ? 1 : -1;
	if (x->states[HR_TIME_WAIT] != y->states[HR_TIME_WAIT])
		return x->states[HR_TIME_WAIT] < y->states[HR_TIME_WAIT] ? 1 : -1;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return memcmp(x->addr, y->addr, 16);
}

static json_t *entry_json(const struct entry *e)
{
	json_t *o = json_object();

	if (e->missing) {
		json_object_set_new(o, "absent", json_string(e->missing));
		return o;
	}
	if (e->is_sysctl || !e->is_num) {
		json_object_set_new(o, "value", json_string(e->raw ? e->raw : ""));
		if (e->is_num) {
			json_t *a = json_array();

			for (int i = 0; i < e->nfields; i++)
				json_array_append_new(a, num_or_null(e->fields[i]));
			json_object_set_new(o, "fields", a);
		}
	} else {
		json_object_set_new(o, "value", num_or_null(e->fields[0]));
	}
	if (e->source)
		json_object_set_new(o, "source", json_string(e->source));
	return o;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The destinations as facts.sockets.destinations writes them, busiest
 * first: pointers into the model, which the report keeps alive with a
 * reference of its own (hr_facts_ref: an audit frees its facts before
 * rendering), 8 bytes each instead of the ~2.5 KiB of a JSON object, made
 * into one only when the report is written (lazy.h). */
struct dests_out {
	hr_facts *f;
	size_t n;
	const struct dest *v[];
};

static void dests_out_free(void *p)
{
	struct dests_out *d = p;

	if (d)
		hr_facts_free(d->f);
	free(d);
}

/* Item i of facts.sockets.destinations (the busiest first). */
static json_t *dest_item_json(const void *ctx, size_t i)
{
	const struct dests_out *out = ctx;
	const struct dest *d = out->v[i];
	char ep[80], ip[INET6_ADDRSTRLEN];
	uint32_t born[HR_TW_NWINDOWS];
	double win, rate = hr_tw_rate(&d->tw, &win);
	json_t *o = json_object(), *b;

	if (!o)
		return NULL;
	inet_ntop(d->family, d->addr, ip, sizeof(ip));
	born_counts(d->tw.bins, born);
	json_object_set_new(o, "subject", json_string(hr_format_endpoint(ep, sizeof(ep), d->family, d->addr, d->port)));
	json_object_set_new(o, "host", json_string(ip));
	json_object_set_new(o, "port", json_integer(d->port));
	json_object_set_new(o, "in_use", json_integer(d->total));
	json_object_set_new(o, "timewait", json_integer(d->states[HR_TIME_WAIT]));
	json_object_set_new(o, "states", states_json(d->states, NULL));
	json_object_set_new(o, "timewait_born", born_json(born));
	json_object_set_new(o, "rate_per_s", num_or_null(rate));
	json_object_set_new(o, "rate_window_s", num_or_null(win));
	if (d->declared) {
		json_object_set_new(o, "declared_rate_per_s", num_or_null(d->declared_rate));
		json_object_set_new(o, "declared_source", json_string(d->declared_source));
	}
	b = hr_facts_buf_json(out->f, d->buf, &d->path);
	if (b)
		json_object_set_new(o, "buffers", b);
	dest_sources_json(o, d);
	return o;
}

/* Destinations the report holds as JSON objects: the text reports show the
 * top 10 (probe) and the busiest one; the rest are made as written. */
#define DESTS_HELD 64

/* facts.sockets.destinations: the held destinations, busiest first (a
 * lazy array), or NULL on ENOMEM. */
static json_t *dests_json(const hr_facts *f)
{
	struct dests_out *out = malloc(sizeof(*out) + (f->ndests + 1) * sizeof(out->v[0]));

	if (!out)
		return NULL;
	memcpy(out->v, f->dest_list, f->ndests * sizeof(out->v[0]));
	qsort(out->v, f->ndests, sizeof(out->v[0]), cmp_dest);
	out->n = f->ndests;
	/* The model outlives the report's other owners: its own reference. */
	out->f = hr_facts_ref((hr_facts *)f);
	return hr_lazy_array(out->n, DESTS_HELD, dest_item_json, out, dests_out_free);
}

/* Beyond HR_FACTS_MAX_DESTS: the sum, so the counts still add up. */
static json_t *folded_json(const hr_facts *f)
{
	json_t *o = json_object();

	json_object_set_new(o, "destinations_held", json_integer((json_int_t)f->ndests));
	json_object_set_new(o, "in_use", json_integer(f->other.total));
	json_object_set_new(o, "timewait", json_integer(f->other.states[HR_TIME_WAIT]));
	json_object_set_new(o, "states", states_json(f->other.states, NULL));
	return o;
}

/* See facts.h. */
json_t *hr_facts_text_json(const hr_facts *f)
{
	json_t *root = json_object();

	if (f->have_sockets && f->folded)
		json_object_set_new(root, "sockets", json_pack("{s:o}", "other_destinations", folded_json(f)));
	return root;
}

json_t *hr_facts_to_json(const hr_facts *f)
{
	json_t *root = json_object(), *sysctls = json_object(), *counters = json_object();
	json_t *rates = json_object(), *other = json_object(), *kernel = json_object();
	json_t *src = json_object(), *problems = json_array(), *conntrack = json_object();
	const char **names = malloc((f->nents + 1) * sizeof(*names));
	size_t i, n = 0;
	struct hr_portfacts pm;

	for (i = 0; names && i < f->nents; i++)
		names[n++] = f->ents[i].name;
	if (names)
		qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; names && i < n; i++) {
		const struct entry *e = hr_facts_ent_find(f, names[i]);
		json_t *into = e->is_sysctl                        ? sysctls
			       : !strncmp(e->name, "rate.", 5)       ? rates
			       : !strncmp(e->name, "kernel.", 7)     ? kernel
			       : !strncmp(e->name, "conntrack.", 10) ? conntrack
			       : (!strncmp(e->name, "snmp.", 5) || !strncmp(e->name, "snmp6.", 6) ||
				  !strncmp(e->name, "netstat.", 8) || !strncmp(e->name, "sockstat.", 9) ||
				  !strncmp(e->name, "sockstat6.", 10) || !strncmp(e->name, "softnet.", 8)) ? counters
								     : other;

		json_object_set_new(into, e->name, entry_json(e));
	}
	free(names);

	json_object_set_new(src, "root", json_string(f->root ? f->root : ""));
	json_object_set_new(src, "sockets", f->socket_source ? json_string(f->socket_source) : json_null());
	json_object_set_new(src, "interval_s", num_or_null(f->interval_s));
	json_object_set_new(src, "read", hr_facts_read_json(f));
	json_object_set_new(root, "probe", src);
	json_object_set_new(root, "kernel", kernel);
	json_object_set_new(root, "sysctls", sysctls);
	json_object_set_new(root, "counters", counters);
	json_object_set_new(root, "rates", rates);
	if (f->nsnat) {
		/* The source-NAT tuples, as the rules' snat_tuples items see them. */
		json_t *list = json_array();

		for (i = 0; i < f->nsnat; i++) {
			json_t *o = json_object();
			int j;

			json_object_set_new(o, "subject", json_string(f->snat[i].subject));
			for (j = 0; j < HR_SNAT_NFIELDS; j++)
				json_object_set_new(o, hr_snat_field_name((enum hr_snat_field)j), f->snat[i].missing[j] ? json_null()
											: num_or_null(f->snat[i].v[j]));
			json_array_append_new(list, o);
		}
		json_object_set_new(conntrack, "snat_tuples", list);
	}
	json_object_set_new(root, "conntrack", conntrack);
	json_object_set_new(root, "other", other);

	hr_facts_ports_current(f, &pm);
	if (pm.ok) {
		json_t *p = json_object();

		json_object_set_new(p, "range_low", json_integer(pm.m.lo));
		json_object_set_new(p, "range_high", json_integer(pm.m.hi));
		json_object_set_new(p, "range_size", json_integer(pm.m.size));
		json_object_set_new(p, "reserved_in_range", json_integer(pm.m.reserved));
		json_object_set_new(p, "listeners_in_range", json_integer(pm.m.listeners));
		json_object_set_new(p, "usable", json_integer(pm.m.usable));
		json_object_set_new(root, "ports", p);
	} else {
		json_object_set_new(root, "ports", json_pack("{s:s}", "absent", pm.why));
	}

	if (f->have_sockets) {
		json_t *s = json_object(), *dl = dests_json(f), *ll = json_array(), *pl = json_array();
		double win;
		uint32_t born[HR_TW_NWINDOWS];

		json_object_set_new(s, "total", json_integer((json_int_t)f->total));
		json_object_set_new(s, "inbound", json_integer((json_int_t)f->inbound));
		json_object_set_new(s, "outbound", json_integer((json_int_t)f->outbound));
		json_object_set_new(s, "states", states_json(NULL, f->states));
		born_counts(f->tw.bins, born);
		json_object_set_new(s, "timewait_born", born_json(born));
		json_object_set_new(s, "timewait_rate_per_s", num_or_null(hr_tw_rate(&f->tw, &win)));
		json_object_set_new(s, "timewait_rate_window_s", num_or_null(win));
		if (f->folded)
			json_object_set_new(s, "other_destinations", folded_json(f));
		for (i = 0; i < f->nlisteners; i++) {
			const struct listener *l = &f->listeners[i];
			const struct inport *in = &f->inports[hr_facts_inport_index(f, l->port)];
			char ep[80];
			json_t *o = json_object();

			json_object_set_new(o, "subject", json_string(hr_format_endpoint(ep, sizeof(ep), l->family, l->addr, l->port)));
			json_object_set_new(o, "port", json_integer(l->port));
			json_object_set_new(o, "observed", json_boolean(l->observed));
			json_object_set_new(o, "sockets", json_integer(l->nsockets));
			json_object_set_new(o, "queue", l->observed ? json_integer(l->queue) : json_null());
			json_object_set_new(o, "backlog", l->observed && !l->backlog_unknown ? json_integer(l->backlog) : json_null());
			json_object_set_new(o, "inbound_states", states_json(in->states, NULL));
			json_object_set_new(o, "inbound_rate_per_s", num_or_null(hr_tw_rate(&in->tw, NULL)));
			{
				json_t *b = hr_facts_buf_json(f, in->buf, NULL);

				if (b)
					json_object_set_new(o, "inbound_buffers", b);
			}
			if (in->declared)
				json_object_set_new(o, "declared_rate_per_s", num_or_null(in->declared_rate));
			json_array_append_new(ll, o);
		}
		for (i = 0; i < f->ninports; i++)
			json_array_append_new(pl, json_integer(f->inports[i].port));
		json_object_set_new(s, "destinations", dl);
		json_object_set_new(s, "listeners", ll);
		json_object_set_new(s, "listening_ports", pl);
		json_object_set_new(s, "source", f->socket_source ? json_string(f->socket_source) : json_null());
		json_object_set_new(s, "keepalive", hr_facts_live_json(f, false));
		json_object_set_new(s, "udp", hr_facts_live_json(f, true));
		json_object_set_new(root, "sockets", s);
	} else {
		json_object_set_new(root, "sockets", json_pack("{s:s}", "absent", "sockets not read"));
	}

	for (i = 0; i < f->nproblems; i++)
		json_array_append_new(problems, json_pack("{s:s?,s:s?,s:b}", "source", f->problems[i].source,
							  "message", f->problems[i].message, "input_error",
							  f->problems[i].input));
	json_object_set_new(root, "problems", problems);
	return root;
}
