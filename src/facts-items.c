/* facts-items.c: lookups over the socket aggregates: the "sockets.*"
 * totals and the for_each collections (destinations, listeners,
 * listening_ports) with their item fields and subjects, and the endpoint
 * format they share with the JSON form. May call: facts-int.h (the
 * aggregates, the TIME_WAIT rates of facts-sockets.c, the port model of
 * facts-ports.c, the scalar table of facts.c). */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "facts-int.h"

/* True for 127.0.0.0/8 and ::1 (mapped IPv4 is already folded to IPv4). */
static bool is_loopback(int family, const uint8_t *a)
{
	static const uint8_t lo6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

	if (family == AF_INET)
		return a[0] == 127;
	return !memcmp(a, lo6, 16);
}

/* Outbound connections per second: each destination's observed rate, or its
 * declared one when larger. */
static double sum_dest_rate(const hr_facts *f)
{
	double r = 0;
	size_t i;

	for (i = 0; i < f->ndests; i++) {
		const struct dest *d = f->dest_list[i];
		double obs = hr_tw_rate(&d->tw, NULL);

		r += d->declared && d->declared_rate > obs ? d->declared_rate : obs;
	}
	return r;
}

/* See facts-int.h: "sockets.total", "sockets.TIME_WAIT", "sockets.timewait_rate",
 * "sockets.timewait_inbound", ... */
int hr_facts_sockets_get(const hr_facts *f, const char *k, int index, struct hr_value *out)
{
	const char *src = f->socket_source ? f->socket_source : "sockets";
	int st;

	if (index >= 0)
		return -EDOM;
	if (!f->have_sockets && strcmp(k, "declared_rate")) {
		/* Declared load still counts without a socket table (a
		 * pre-deployment audit, a tree copied without proc/net/tcp):
		 * these two are sums of it; the rest needs sockets. */
		bool declared = false;
		size_t i;

		for (i = 0; i < f->ndests && !declared; i++)
			declared = f->dest_list[i]->declared;
		for (i = 0; i < f->ninports && !declared; i++)
			declared = f->inports[i].declared;
		if (!declared || (strcmp(k, "outbound_rate") && strcmp(k, "timewait_need"))) {
			hr_val_missing(out, "sockets not read");
			return 0;
		}
		src = "workload (sockets not read)";
	}
	if (!strcmp(k, "total"))
		hr_val_num(out, (double)f->total, src);
	else if (!strcmp(k, "inbound"))
		hr_val_num(out, (double)f->inbound, src);
	else if (!strcmp(k, "outbound"))
		hr_val_num(out, (double)f->outbound, src);
	else if (!strcmp(k, "destinations"))
		hr_val_num(out, (double)f->ndests, src);
	else if (!strcmp(k, "listeners"))
		hr_val_num(out, (double)f->nlisteners, src);
	else if (!strncmp(k, "timewait_born_", 14)) {
		/* TIME_WAIT sockets born in the last N s: 1, 5, 10, 30, 60. */
		int w = atoi(k + 14), i;
		bool ok = false;

		for (i = 0; i < HR_TW_NWINDOWS; i++)
			ok |= hr_tw_windows[i] == w;
		if (!ok)
			return -ENOENT;
		hr_val_num(out, hr_tw_bins_count(f->tw.bins, w), src);
	} else if (!strcmp(k, "timewait_inbound")) {
		/* Server side: TIME_WAIT on a local listening port (the server
		 * closed first); it holds no ephemeral port. */
		double n = 0;
		size_t i;

		for (i = 0; i < f->ninports; i++)
			n += f->inports[i].states[HR_TIME_WAIT];
		hr_val_num(out, n, src);
	} else if (!strcmp(k, "timewait_rate"))
		hr_val_num(out, hr_tw_rate(&f->tw, NULL), src);
	else if (!strcmp(k, "outbound_rate"))
		hr_val_num(out, sum_dest_rate(f), src);
	else if (!strcmp(k, "timewait_need")) {
		/* TIME_WAIT sockets the load keeps alive: observed ones, or
		 * declared rates x 60 s where the local side closes first. */
		double need = 0;
		size_t i;

		for (i = 0; i < f->ndests; i++)
			if (f->dest_list[i]->declared && f->dest_list[i]->declared_local_closes)
				need += f->dest_list[i]->declared_rate * HR_TW_LEN_S;
		for (i = 0; i < f->ninports; i++)
			if (f->inports[i].declared && f->inports[i].declared_server_closes)
				need += f->inports[i].declared_rate * HR_TW_LEN_S;
		if ((double)f->states[HR_TIME_WAIT] > need)
			need = (double)f->states[HR_TIME_WAIT];
		hr_val_num(out, need, src);
	} else {
		for (st = 1; st < HR_TCP_NSTATES; st++)
			if (!strcmp(k, hr_tcp_state_name(st))) {
				hr_val_num(out, (double)f->states[st], src);
				return 0;
			}
		if (!strncmp(k, "buf_", 4))
			return hr_facts_buf_totals(f, k, out);
		return hr_facts_live_get(f, k, out);
	}
	return 0;
}

int hr_coll_from_name(const char *name)
{
	if (!strcmp(name, "destinations"))
		return HR_COLL_DESTINATIONS;
	if (!strcmp(name, "listeners"))
		return HR_COLL_LISTENERS;
	if (!strcmp(name, "listening_ports"))
		return HR_COLL_LISTENING_PORTS;
	if (!strcmp(name, "snat_tuples"))
		return HR_COLL_SNAT_TUPLES;
	if (!strcmp(name, "counters"))
		return HR_COLL_COUNTERS;
	if (!strcmp(name, "connect_failures"))
		return HR_COLL_CONNECT_FAILURES;
	return -1;
}

const char *hr_coll_name(enum hr_coll c)
{
	static const char *const n[] = {"destinations", "listeners", "listening_ports", "snat_tuples", "counters",
					   "connect_failures"};

	return c < HR_COLL_N ? n[c] : "?";
}

const char *hr_coll_prefix(enum hr_coll c)
{
	static const char *const n[] = {"dest", "listener", "port", "snat", "counter", "fail"};

	return c < HR_COLL_N ? n[c] : "?";
}

size_t hr_facts_count(const hr_facts *f, enum hr_coll c)
{
	switch (c) {
	case HR_COLL_DESTINATIONS:
		return f->ndests;
	case HR_COLL_LISTENERS:
		return f->nlisteners;
	case HR_COLL_LISTENING_PORTS:
		return f->ninports;
	case HR_COLL_SNAT_TUPLES:
		return f->nsnat;
	case HR_COLL_CONNECT_FAILURES:
		return f->nfails;
	default:
		return 0;
	}
}

static const char *const dest_fields[] = {
	"host", "port", "subject", "loopback", "in_use", "timewait", "established", "syn_sent",
	"fin_wait", "close_wait", "born_1s", "born_5s", "born_10s", "born_30s", "born_60s",
	"rate", "rate_observed", "rate_declared", "rate_window", "declared", "local_closes", "trace_rate",
	"trace_port_failures", "sources", "source_max_in_use", "source_max_timewait", "source_busiest",
	"bind_parity_share", "timestamps", NULL,
};
static const char *const listener_fields[] = {
	"host", "port", "subject", "loopback", "queue", "backlog", "observed", "established",
	"syn_recv", "timewait", "inbound", "rate", "rate_observed", "rate_declared", "server_closes",
	"declared", NULL,
};
static const char *const port_fields[] = {
	"number", "subject", "in_range", "reserved", "declared", NULL,
};
/* In enum hr_snat_field order, then subject. */
static const char *const snat_fields[] = {
	"proto", "in_use", "busy", "closing", "rate", "rate_window", "close_rate", "expire_rate",
	"oldest", "port_low", "port_high", "subject", NULL,
};

/* Fields of the rules' counter catalogue (rules-counters.c gives their values). */
static const char *const counter_fields[] = {
	"fact", "subject", "present", "failure", "meaning", "owner", "source", "total", "rate",
	"owner_flagged", NULL,
};

const char *hr_snat_field_name(enum hr_snat_field k)
{
	return k < HR_SNAT_NFIELDS ? snat_fields[k] : NULL;
}

bool hr_facts_item_field_known(enum hr_coll c, const char *field)
{
	const char *const *list = c == HR_COLL_DESTINATIONS   ? dest_fields
				  : c == HR_COLL_LISTENERS    ? listener_fields
				  : c == HR_COLL_SNAT_TUPLES  ? snat_fields
				  : c == HR_COLL_COUNTERS     ? counter_fields
				  : c == HR_COLL_CONNECT_FAILURES ? hr_facts_fail_fields
							      : port_fields;
	const char *pfx = hr_coll_prefix(c);
	size_t n = strlen(pfx);
	int i;

	if (strncmp(field, pfx, n) || field[n] != '.')
		return false;
	/* Path and buffers (facts-buffers.c); a declared path is a
	 * destination's (workload outbound) or a listening port's (inbound). */
	if ((c == HR_COLL_DESTINATIONS || c == HR_COLL_LISTENERS) && hr_facts_buf_field_known(field + n + 1))
		return true;
	for (i = 0; list[i]; i++)
		if (!strcmp(field + n + 1, list[i]))
			return true;
	return false;
}

char *hr_format_endpoint(char *buf, size_t n, int family, const uint8_t *addr, uint16_t port)
{
	char ip[INET6_ADDRSTRLEN];

	if (!inet_ntop(family, addr, ip, sizeof(ip)))
		snprintf(ip, sizeof(ip), "?");
	if (family == AF_INET6)
		snprintf(buf, n, "[%s]:%u", ip, port);
	else
		snprintf(buf, n, "%s:%u", ip, port);
	return buf;
}

const char *hr_facts_item_subject(const hr_facts *f, enum hr_coll c, size_t i)
{
	hr_facts *mf = (hr_facts *)f; /* subject buffer is scratch space */

	if (i >= hr_facts_count(f, c))
		return NULL;
	if (c == HR_COLL_DESTINATIONS) {
		const struct dest *d = f->dest_list[i];

		return hr_format_endpoint(mf->subject, sizeof(mf->subject), d->family, d->addr, d->port);
	}
	if (c == HR_COLL_LISTENERS) {
		const struct listener *l = &f->listeners[i];

		return hr_format_endpoint(mf->subject, sizeof(mf->subject), l->family, l->addr, l->port);
	}
	if (c == HR_COLL_SNAT_TUPLES)
		return f->snat[i].subject;
	if (c == HR_COLL_CONNECT_FAILURES)
		return f->fails[i].str[0] ? f->fails[i].str[0] : "?";
	snprintf(mf->subject, sizeof(mf->subject), "%u", f->inports[i].port);
	return mf->subject;
}

/* The fields every endpoint item has (host, port, subject, loopback); host
 * is the caller's INET6_ADDRSTRLEN buffer the string is borrowed from.
 * 0, or -ENOENT when k is none of them. */
static int endpoint_field(const hr_facts *f, enum hr_coll c, size_t i, int family,
			  const uint8_t *addr, uint16_t port, char *host, const char *k,
			  const char *src, struct hr_value *out)
{
	if (!strcmp(k, "host")) {
		inet_ntop(family, addr, host, INET6_ADDRSTRLEN);
		hr_val_str(out, host, src);
	} else if (!strcmp(k, "port"))
		hr_val_num(out, port, src);
	else if (!strcmp(k, "subject"))
		hr_val_str(out, hr_facts_item_subject(f, c, i), src);
	else if (!strcmp(k, "loopback"))
		hr_val_bool(out, is_loopback(family, addr), src);
	else
		return -ENOENT;
	return 0;
}

/* Port model (issue 25): the fields of a destination's sources, local
 * port parity and timestamps. 0, or -ENOENT when k is none of them. */
static int dest_port_item(const hr_facts *f, const struct dest *d, const char *k, const char *src,
			  struct hr_value *out)
{
	const struct dsrc *b = NULL;
	static char busiest[INET6_ADDRSTRLEN + 32];
	int i;

	for (i = 0; i < d->nsrc; i++)
		if (!b || hr_dest_src(d, i)->in_use > b->in_use)
			b = hr_dest_src(d, i);
	if (!strcmp(k, "sources")) {
		/* Sources seen (the 'other sources' bucket counts as one: at
		 * least that many), or the workload's when larger. */
		double n = d->nsrc + (hr_dest_src_other(d) != NULL);

		if (d->declared_sources > n)
			hr_val_num(out, d->declared_sources, d->declared_source ? d->declared_source : "workload");
		else
			hr_val_num(out, n > 0 ? n : 1, src);
	} else if (!strcmp(k, "source_max_in_use") || !strcmp(k, "source_max_timewait")) {
		if (!b)
			hr_val_missing(out, "no socket toward it");
		else
			hr_val_num(out, k[11] == 'i' ? b->in_use : b->timewait, src);
	} else if (!strcmp(k, "source_busiest")) {
		if (!b) {
			hr_val_missing(out, "no socket toward it");
			return 0;
		}
		if (!inet_ntop(d->family, b->addr, busiest, INET6_ADDRSTRLEN))
			snprintf(busiest, sizeof(busiest), "?");
		hr_val_str(out, busiest, src);
	} else if (!strcmp(k, "bind_parity_share")) {
		/* connect() takes ports of the range's low parity first, bind(0)
		 * the other (kernel-facts.md, Ephemeral ports). */
		struct hr_portfacts pm;
		uint32_t n = d->parity[0] + d->parity[1];

		hr_facts_ports_current(f, &pm);
		if (!pm.ok)
			hr_val_missing(out, pm.why);
		else if (!n)
			hr_val_missing(out, "no socket toward it");
		else
			hr_val_num(out, (double)d->parity[(pm.m.lo & 1) ^ 1] / n, src);
	} else if (!strcmp(k, "timestamps")) {
		if (d->ts_yes + d->ts_no == 0)
			hr_val_missing(out, d->total ? "unknown: no ESTABLISHED socket with tcp_info toward it (TIME_WAIT "
						       "sockets do not show timestamps)"
						     : "unknown: no socket toward it");
		else
			hr_val_bool(out, d->ts_yes > 0, "sock_diag tcp_info (tcpi_options)");
	} else
		return -ENOENT;
	return 0;
}

static int dest_item(const hr_facts *f, size_t i, const char *k, struct hr_value *out)
{
	const struct dest *d = f->dest_list[i];
	const char *src = f->socket_source ? f->socket_source : "sockets";
	double win, obs = hr_tw_rate(&d->tw, &win);
	static char host[INET6_ADDRSTRLEN];

	if (endpoint_field(f, HR_COLL_DESTINATIONS, i, d->family, d->addr, d->port, host, k, src, out) == 0)
		return 0;
	if (!strcmp(k, "in_use"))
		hr_val_num(out, d->total, src);
	else if (!strcmp(k, "timewait"))
		hr_val_num(out, d->states[HR_TIME_WAIT], src);
	else if (!strcmp(k, "established"))
		hr_val_num(out, d->states[HR_ESTABLISHED], src);
	else if (!strcmp(k, "syn_sent"))
		hr_val_num(out, d->states[HR_SYN_SENT], src);
	else if (!strcmp(k, "fin_wait"))
		hr_val_num(out, d->states[HR_FIN_WAIT1] + d->states[HR_FIN_WAIT2], src);
	else if (!strcmp(k, "close_wait"))
		hr_val_num(out, d->states[HR_CLOSE_WAIT], src);
	else if (!strncmp(k, "born_", 5)) {
		int w = atoi(k + 5);

		hr_val_num(out, hr_tw_bins_count(d->tw.bins, w), src);
	} else if (!strcmp(k, "rate"))
		hr_val_num(out, d->declared && d->declared_rate > obs ? d->declared_rate : obs,
			d->declared && d->declared_rate > obs ? d->declared_source : src);
	else if (!strcmp(k, "rate_observed"))
		hr_val_num(out, obs, src);
	else if (!strcmp(k, "rate_declared")) {
		if (d->declared)
			hr_val_num(out, d->declared_rate, d->declared_source);
		else
			hr_val_missing(out, "no declared load");
	} else if (!strcmp(k, "rate_window"))
		hr_val_num(out, win, src);
	else if (!strcmp(k, "declared"))
		hr_val_bool(out, d->declared, src);
	else if (!strcmp(k, "trace_rate") || !strcmp(k, "trace_port_failures")) {
		if (!f->traced)
			hr_val_missing(out, "not traced (audit --trace SECONDS)");
		else
			hr_val_num(out, !d->traced ? 0 : k[6] == 'r' ? d->trace_rate : d->trace_port_failures, "eBPF trace");
	}
	else if (dest_port_item(f, d, k, src, out) == 0)
		return 0;
	else if (!strcmp(k, "local_closes"))
		/* Observed TIME_WAIT here means this side closed first. */
		hr_val_bool(out, d->declared ? d->declared_local_closes || d->states[HR_TIME_WAIT] > 0
					  : d->states[HR_TIME_WAIT] > 0 || d->total > 0,
			 src);
	else
		return hr_facts_buf_get(f, d->buf, &d->path, k, out);
	return 0;
}

static int listener_item(const hr_facts *f, size_t i, const char *k, struct hr_value *out)
{
	const struct listener *l = &f->listeners[i];
	const struct inport *in = &f->inports[hr_facts_inport_index(f, l->port)];
	const char *src = f->socket_source ? f->socket_source : "sockets";
	double obs = hr_tw_rate(&in->tw, NULL);
	static char host[INET6_ADDRSTRLEN];

	if (endpoint_field(f, HR_COLL_LISTENERS, i, l->family, l->addr, l->port, host, k, src, out) == 0)
		return 0;
	if (!strcmp(k, "queue") || !strcmp(k, "backlog")) {
		if (!l->observed)
			hr_val_missing(out, "listener declared in workload, not observed");
		else if (!strcmp(k, "backlog") && l->backlog_unknown)
			hr_val_missing(out, "backlog not shown by /proc/net/tcp");
		else
			hr_val_num(out, !strcmp(k, "queue") ? l->queue : l->backlog, src);
	} else if (!strcmp(k, "observed"))
		hr_val_bool(out, l->observed, src);
	else if (!strcmp(k, "established"))
		hr_val_num(out, in->states[HR_ESTABLISHED], src);
	else if (!strcmp(k, "syn_recv"))
		hr_val_num(out, in->states[HR_SYN_RECV] + in->states[HR_NEW_SYN_RECV], src);
	else if (!strcmp(k, "timewait"))
		hr_val_num(out, in->states[HR_TIME_WAIT], src);
	else if (!strcmp(k, "inbound"))
		hr_val_num(out, in->total, src);
	else if (!strcmp(k, "rate"))
		hr_val_num(out, in->declared && in->declared_rate > obs ? in->declared_rate : obs, src);
	else if (!strcmp(k, "rate_observed"))
		hr_val_num(out, obs, src);
	else if (!strcmp(k, "rate_declared")) {
		if (in->declared)
			hr_val_num(out, in->declared_rate, "workload");
		else
			hr_val_missing(out, "no declared load");
	} else if (!strcmp(k, "server_closes"))
		hr_val_bool(out, in->declared ? in->declared_server_closes : in->states[HR_TIME_WAIT] > 0, src);
	else if (!strcmp(k, "declared"))
		hr_val_bool(out, in->declared, src);
	else
		return hr_facts_buf_get(f, in->buf, &in->path, k, out);
	return 0;
}

static int port_item(const hr_facts *f, size_t i, const char *k, struct hr_value *out)
{
	const struct inport *in = &f->inports[i];
	const char *src = f->socket_source ? f->socket_source : "sockets";
	struct hr_portfacts pm;

	if (!strcmp(k, "number"))
		hr_val_num(out, in->port, src);
	else if (!strcmp(k, "subject"))
		hr_val_str(out, hr_facts_item_subject(f, HR_COLL_LISTENING_PORTS, i), src);
	else if (!strcmp(k, "declared"))
		hr_val_bool(out, in->declared, src);
	else if (!strcmp(k, "in_range") || !strcmp(k, "reserved")) {
		hr_facts_ports_current(f, &pm);
		if (!pm.ok) {
			hr_val_missing(out, pm.why);
			return 0;
		}
		if (!strcmp(k, "in_range")) {
			hr_val_bool(out, in->port >= pm.m.lo && in->port <= pm.m.hi, pm.source);
		} else {
			const struct entry *res = hr_facts_ent_find(f, "net.ipv4.ip_local_reserved_ports");

			if (!res || res->missing || !res->raw)
				hr_val_missing(out, "net.ipv4.ip_local_reserved_ports not read");
			else
				hr_val_bool(out, hr_ports_reserved_in(res->raw, in->port, in->port, NULL) > 0,
					 res->source);
		}
	} else
		return -ENOENT;
	return 0;
}

/* One field of a snat_tuples item. */
static int snat_item(const hr_facts *f, size_t i, const char *k, struct hr_value *out)
{
	const struct snat_item *t = &f->snat[i];
	const char *src = f->snat_source ? f->snat_source : "conntrack";
	int j;

	if (!strcmp(k, "subject")) {
		hr_val_str(out, t->subject, src);
		return 0;
	}
	for (j = 0; j < HR_SNAT_NFIELDS; j++)
		if (!strcmp(k, snat_fields[j])) {
			if (t->missing[j])
				hr_val_missing(out, t->missing[j]);
			else
				hr_val_num(out, t->v[j], src);
			return 0;
		}
	return -ENOENT;
}

int hr_facts_item_get(const hr_facts *f, enum hr_coll c, size_t i, const char *field,
		      struct hr_value *out)
{
	const char *pfx = hr_coll_prefix(c);
	size_t n = strlen(pfx);

	if (i >= hr_facts_count(f, c))
		return -ENOENT;
	if (strncmp(field, pfx, n) || field[n] != '.')
		return -ENOENT;
	if (!hr_facts_item_field_known(c, field))
		return -ENOENT;
	field += n + 1;
	if (c == HR_COLL_DESTINATIONS)
		return dest_item(f, i, field, out);
	if (c == HR_COLL_LISTENERS)
		return listener_item(f, i, field, out);
	if (c == HR_COLL_SNAT_TUPLES)
		return snat_item(f, i, field, out);
	if (c == HR_COLL_CONNECT_FAILURES)
		return hr_facts_fail_get(f, i, field, out);
	return port_item(f, i, field, out);
}
