/* facts-get.c: the one lookup of a fact by name, hr_facts_get(): scalar
 * names from facts.c's table, "ports.*" handed to facts-ports.c and
 * "sockets.*" to facts-items.c; and which names are facts at all
 * (hr_facts_name_known). Above the other facts files, so that calls between
 * them go one way. May call: facts-int.h (facts.c, facts-ports.c,
 * facts-items.c). */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "facts-int.h"

/* The namespaces of fact names (facts.h). */
static const char *const known_prefixes[] = {
	"net.", "kernel.", "snmp.", "snmp6.", "netstat.", "sockstat.", "rate.", "slab.",
	"sockets.", "ports.", "workload.", "probe.", "conntrack.", "managers.", "resolv.", "softnet.",
	"neigh.", "host.", NULL,
};

/* See facts.h: a name in one of those namespaces. */
bool hr_facts_name_known(const char *name)
{
	int i;

	for (i = 0; known_prefixes[i]; i++)
		if (!strncmp(name, known_prefixes[i], strlen(known_prefixes[i])))
			return name[strlen(known_prefixes[i])] != '\0';
	return false;
}

/* See facts.h: one fact by name, handed to the file that holds it. */
int hr_facts_get(const hr_facts *f, const char *name, int index, struct hr_value *out)
{
	const struct entry *e;

	if (!strncmp(name, "ports.", 6))
		return hr_facts_ports_get(f, name + 6, index, out);
	if (!strncmp(name, "sockets.", 8))
		return hr_facts_sockets_get(f, name + 8, index, out);
	/* probe.interval_s is a scalar the probe sets; the other probe.* are
	 * the clock's (facts-clock.c). */
	if (!strncmp(name, "probe.", 6) && !hr_facts_ent_find(f, name))
		return hr_facts_probe_get(f, name + 6, index, out);
	e = hr_facts_ent_find(f, name);
	if (!e) {
		if (!hr_facts_name_known(name))
			return -ENOENT;
		hr_val_missing(out, !strncmp(name, "net.", 4) ? "absent on this kernel" : "not read");
		return 0;
	}
	if (e->missing) {
		hr_val_missing(out, e->missing);
		return 0;
	}
	if (e->is_num) {
		if (index < 0 && e->nfields > 1)
			return -EDOM;
		if (index >= e->nfields)
			return -EDOM;
		hr_val_num(out, e->fields[index < 0 ? 0 : index], e->source);
		out->nfields = e->nfields;
		out->str = e->raw;
		return 0;
	}
	if (index > 0)
		return -EDOM;
	hr_val_str(out, e->raw, e->source);
	return 0;
}
