/* facts-ports.c: the ephemeral port model: the local port range, the
 * reserved ports in it and this box's listening ports in it, as "ports.*"
 * facts of the probed sysctls (hr_facts_ports_current) and for any range the
 * rules engine's what-if overlay asks about (hr_facts_ports_model).
 * May call: facts-int.h (the scalar table, the listening-port bitmap). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "facts-int.h"

/* Counts the ports of a reserved-ports list ("1000-1010,2000") inside [lo, hi];
 * when mark is set, also records which, so listeners are not counted twice. */
int64_t hr_ports_reserved_in(const char *list, int64_t lo, int64_t hi, uint8_t *mark)
{
	const char *p = list;
	int64_t n = 0;

	while (p && *p) {
		char *end;
		long a, b;

		while (*p == ',' || isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		a = strtol(p, &end, 10);
		if (end == p)
			break;
		b = a;
		p = end;
		if (*p == '-') {
			b = strtol(p + 1, &end, 10);
			p = end;
		}
		/* Clamp to the range and to real ports: a hostile tree's
		 * "1-9000000000000" must not loop for hours. */
		if (a < lo)
			a = lo;
		if (a < 0)
			a = 0;
		if (b > hi)
			b = hi;
		if (b > 65535)
			b = 65535;
		for (long x = a; x <= b; x++) {
			if (mark && !(mark[x >> 3] & (1u << (x & 7)))) {
				mark[x >> 3] |= (uint8_t)(1u << (x & 7));
				n++;
			} else if (!mark) {
				n++;
			}
		}
	}
	return n;
}

/* See facts.h. */
int hr_facts_ports_model(const hr_facts *f, int64_t lo, int64_t hi, const char *reserved,
			 struct hr_ports *out)
{
	uint8_t mark[65536 / 8];
	int64_t p;

	memset(out, 0, sizeof(*out));
	/* A range the kernel would refuse (ipv4_local_port_range()) is no range. */
	if (lo < 0 || hi > 65535 || lo > hi)
		return -EINVAL;
	out->lo = lo;
	out->hi = hi;
	out->size = hi - lo + 1;
	memset(mark, 0, sizeof(mark));
	if (reserved)
		out->reserved = hr_ports_reserved_in(reserved, lo, hi, mark);
	/* Listening ports in the range, not counted again when reserved. */
	for (p = lo; p <= hi; p++)
		if (hr_facts_port_listening(f, (uint16_t)p) && !(mark[p >> 3] & (1u << (p & 7))))
			out->listeners++;
	out->usable = out->size - out->reserved - out->listeners;
	if (out->usable < 0)
		out->usable = 0;
	return 0;
}

/* See facts-int.h: the model over net.ipv4.ip_local_port_range and
 * ip_local_reserved_ports as probed (or --assume'd). */
void hr_facts_ports_current(const hr_facts *f, struct hr_portfacts *pm)
{
	const struct entry *r = hr_facts_ent_find(f, "net.ipv4.ip_local_port_range");
	const struct entry *res = hr_facts_ent_find(f, "net.ipv4.ip_local_reserved_ports");

	memset(pm, 0, sizeof(*pm));
	if (!r || r->missing || !r->is_num || r->nfields != 2) {
		pm->why = r && r->missing ? r->missing : "net.ipv4.ip_local_port_range not read";
		return;
	}
	if (hr_facts_ports_model(f, (int64_t)r->fields[0], (int64_t)r->fields[1],
				 res && !res->missing ? res->raw : NULL, &pm->m) < 0) {
		pm->why = "net.ipv4.ip_local_port_range is not a valid range (0..65535, low <= high)";
		return;
	}
	pm->ok = true;
	pm->source = r->source;
}

/* See facts-int.h: "ports.range_low" ... "ports.usable". */
int hr_facts_ports_get(const hr_facts *f, const char *k, int index, struct hr_value *out)
{
	struct hr_portfacts pm;
	int64_t v;

	if (index >= 0)
		return -EDOM;
	hr_facts_ports_current(f, &pm);
	if (!pm.ok) {
		hr_val_missing(out, pm.why);
		return 0;
	}
	if (!strcmp(k, "range_low"))
		v = pm.m.lo;
	else if (!strcmp(k, "range_high"))
		v = pm.m.hi;
	else if (!strcmp(k, "range_size"))
		v = pm.m.size;
	else if (!strcmp(k, "reserved_in_range"))
		v = pm.m.reserved;
	else if (!strcmp(k, "listeners_in_range"))
		v = pm.m.listeners;
	else if (!strcmp(k, "usable"))
		v = pm.m.usable;
	else if (!strcmp(k, "bind_in_use"))
		v = f->nlports; /* local ports held by outbound sockets, any destination */
	else
		return -ENOENT;
	hr_val_num(out, (double)v, pm.source);
	return 0;
}
