/* rules-overlay.c: how an evaluation reads its names: facts (cached),
 * item fields, lets, derived facts and the kernel release, each seen through
 * the what-if overlay (hr_eval_opts.what_if) and a fix pass's overlay (the
 * settings a fix would write; ports.* follow an overridden port range); the
 * caller's facts are never changed. Also the evaluation state's lifetime.
 * Owns: hr_rules_evst_init/done, hr_rules_ov_parse, hr_rules_set_overlay.
 * May call: rules-int.h, hr_expr_eval (expr.h), the facts model and its
 * port model (facts.h). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "rules-int.h"

static int ev_fail(struct evst *st, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int ev_fail(struct evst *st, int err, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	hr_xctx_fail(&st->x, "%s", msg);
	return err;
}

/* Converts a facts-model value; name is the persistent name for a missing one. */
static void from_hv(const struct hr_value *hv, const char *name, struct hr_xval *out)
{
	memset(out, 0, sizeof(*out));
	out->source = hv->source;
	switch (hv->type) {
	case HR_V_NUM:
		out->t = HR_X_NUM;
		out->num = hv->num;
		break;
	case HR_V_BOOL:
		out->t = HR_X_BOOL;
		out->num = hv->num;
		break;
	case HR_V_STR:
		out->t = HR_X_STR;
		out->str = hv->str ? hv->str : "";
		break;
	default:
		out->t = HR_X_MISSING;
		out->str = name;
		out->why = hv->missing ? hv->missing : "not available";
	}
}

static const struct override *ov_find(const struct evst *st, const char *key)
{
	size_t i;

	for (i = 0; i < st->nov; i++)
		if (!strcmp(st->ov[i].key, key))
			return &st->ov[i];
	for (i = 0; i < st->nbase; i++)
		if (!strcmp(st->base[i].key, key))
			return &st->base[i];
	return NULL;
}

/* A vector/field lookup over an override's fields, with the facts' conventions. */
static int ov_value(struct evst *st, const struct override *o, const char *name, int index,
		    struct hr_xval *out)
{
	memset(out, 0, sizeof(*out));
	out->source = st->ovsrc;
	if (!o->num) {
		if (index > 0)
			return ev_fail(st, -EDOM, "index %d out of range for %s (1 field)", index, name);
		out->t = HR_X_STR;
		out->str = o->raw;
		return 0;
	}
	if (index < 0 && o->nfields > 1)
		return ev_fail(st, -EDOM, "%s is a vector of %d fields: use %s[i]", name, o->nfields, name);
	if (index >= o->nfields)
		return ev_fail(st, -EDOM, "index %d out of range for %s (%d fields)", index, name, o->nfields);
	out->t = HR_X_NUM;
	out->num = o->fields[index < 0 ? 0 : index];
	return 0;
}

/* ports.* and port.in_range/reserved when a fix changes the port range or
 * reserved ports: the facts model's port model (src/facts-ports.c) recomputed
 * over the overlay. usable = range - reserved in range - listeners in range
 * that are not reserved. */
static int ov_ports(struct evst *st, const char *name, struct hr_xval *out)
{
	const struct override *r = ov_find(st, "net.ipv4.ip_local_port_range");
	const struct override *res = ov_find(st, "net.ipv4.ip_local_reserved_ports");
	struct hr_value hv;
	const char *reslist = NULL;
	long lo, hi;

	memset(out, 0, sizeof(*out));
	if (r) {
		if (!r->num || r->nfields != 2)
			return ev_fail(st, -EINVAL, "net.ipv4.ip_local_port_range override '%s' is not two numbers", r->raw);
		lo = (long)r->fields[0];
		hi = (long)r->fields[1];
	} else {
		struct hr_value a, b;

		if (hr_facts_get(st->f, "net.ipv4.ip_local_port_range", 0, &a) < 0 ||
		    hr_facts_get(st->f, "net.ipv4.ip_local_port_range", 1, &b) < 0 || a.type != HR_V_NUM ||
		    b.type != HR_V_NUM) {
			out->t = HR_X_MISSING;
			out->str = "net.ipv4.ip_local_port_range";
			out->why = "not read";
			return 0;
		}
		lo = (long)a.num;
		hi = (long)b.num;
	}
	if (res)
		reslist = res->raw;
	else if (hr_facts_get(st->f, "net.ipv4.ip_local_reserved_ports", -1, &hv) == 0 && hv.str)
		reslist = hv.str;
	if (!strncmp(name, "port.", 5)) {
		long p;

		if (hr_facts_item_get(st->f, HR_COLL_LISTENING_PORTS, st->item, "port.number", &hv) < 0)
			return ev_fail(st, -ENOENT, "port.number: no such field");
		p = (long)hv.num;
		out->t = HR_X_BOOL;
		out->num = !strcmp(name, "port.in_range") ? (p >= lo && p <= hi)
							   : hr_ports_reserved_in(reslist, p, p, NULL) > 0;
		out->source = st->ovsrc;
		return 0;
	}
	{
		struct hr_ports m;

		if (hr_facts_ports_model(st->f, lo, hi, reslist, &m) < 0)
			return ev_fail(st, -EINVAL, "net.ipv4.ip_local_port_range %ld %ld is not a valid range (0..65535, low <= high)",
				       lo, hi);
		out->t = HR_X_NUM;
		out->source = st->ovsrc;
		if (!strcmp(name, "ports.range_low"))
			out->num = (double)m.lo;
		else if (!strcmp(name, "ports.range_high"))
			out->num = (double)m.hi;
		else if (!strcmp(name, "ports.range_size"))
			out->num = (double)m.size;
		else if (!strcmp(name, "ports.reserved_in_range"))
			out->num = (double)m.reserved;
		else if (!strcmp(name, "ports.listeners_in_range"))
			out->num = (double)m.listeners;
		else if (!strcmp(name, "ports.usable"))
			out->num = (double)m.usable;
		else
			return ev_fail(st, -ENOENT, "no such fact '%s'", name);
	}
	return 0;
}

static int lookup_fact(struct evst *st, int slot, const char *name, int index, struct hr_xval *out)
{
	struct hr_value hv;
	const struct override *o;
	ptrdiff_t ci = (ptrdiff_t)slot * NIDX + index + 1;
	int rc;

	if (st->nov || st->nbase) {
		if ((o = ov_find(st, name)))
			return ov_value(st, o, name, index, out);
		if (st->ov_ports && !strncmp(name, "ports.", 6))
			return ov_ports(st, name, out);
	}
	if (index < NIDX - 1 && st->fhave[ci]) {
		*out = st->fcache[ci];
		return 0;
	}
	rc = hr_facts_get(st->f, name, index, &hv);
	if (rc == -ENOENT)
		return ev_fail(st, -ENOENT, "no such fact '%s'", name);
	if (rc == -EDOM) {
		struct hr_value whole;

		if (hr_facts_get(st->f, name, 0, &whole) < 0)
			whole.nfields = 1;
		if (index < 0)
			return ev_fail(st, rc, "%s is a vector of %d fields: use %s[i]", name, whole.nfields, name);
		return ev_fail(st, rc, "index %d out of range for %s (%d field%s)", index, name, whole.nfields,
			       whole.nfields == 1 ? "" : "s");
	}
	if (rc < 0)
		return ev_fail(st, rc, "%s: %s", name, hr_strerror(rc));
	from_hv(&hv, name, out);
	if (index < NIDX - 1) {
		st->fcache[ci] = *out;
		st->fhave[ci] = true;
	}
	return 0;
}

/* Cells (item x field values, 49 bytes each) of the item-field cache of
 * one collection beyond which only the current item's are kept: 4 MiB. */
#define HR_ITEM_CACHE_MAX (4u * 1024 * 1024 / (sizeof(struct hr_xval) + 1))

static int lookup(struct hr_xctx *x, int kind, int slot, const char *name, int index, struct hr_xval *out)
{
	struct evst *st = (struct evst *)x;
	struct hr_value hv;
	ptrdiff_t ci;
	int rc;

	switch (kind) {
	case K_FACT:
		return lookup_fact(st, slot, name, index, out);
	case K_KERNEL:
		rc = lookup_fact(st, -1, "kernel.osrelease", -1, out);
		if (rc == 0 && out->t == HR_X_STR)
			out->version = true;
		return rc;
	case K_LET:
		if ((size_t)slot >= st->nlets_done)
			return ev_fail(st, -EINVAL, "let '%s' used before it has a value", name);
		*out = st->lets[slot];
		return 0;
	case K_ITEM:
		/* Binding checked the collection; the prefixes differ in their first letter. */
		if (st->coll < 0 || name[0] != "dlpscf"[st->coll]) /* dest, listener, port, snat, counter, fail */
			return ev_fail(st, -EINVAL, "'%s' is not available here", name);
		if (st->coll == HR_COLL_COUNTERS) /* the catalogue's, not the facts' */
			return hr_rules_counter_field(st, name, out);
		if (st->ov_ports && st->coll == HR_COLL_LISTENING_PORTS &&
		    (!strcmp(name, "port.in_range") || !strcmp(name, "port.reserved")))
			return ov_ports(st, name, out);
		if (!st->iall[st->coll]) {
			size_t cells = hr_facts_count(st->f, (enum hr_coll)st->coll) * st->rs->nitems;

			/* Every item's fields, read once for all the rules over
			 * the collection; beyond the bound (65,536 destinations
			 * times ~35 fields were 110 MiB) the current item's only. */
			st->ione[st->coll] = cells > HR_ITEM_CACHE_MAX;
			if (st->ione[st->coll])
				cells = st->rs->nitems;
			st->iall[st->coll] = calloc(cells + 1, sizeof(struct hr_xval));
			st->ihave[st->coll] = calloc(cells + 1, sizeof(bool));
		}
		if (st->ione[st->coll]) {
			ci = slot;
			if (st->icur[st->coll] != st->item + 1 && st->ihave[st->coll]) {
				memset(st->ihave[st->coll], 0, st->rs->nitems + 1);
				st->icur[st->coll] = st->item + 1;
			}
		} else {
			ci = (ptrdiff_t)(st->item * st->rs->nitems + (size_t)slot);
		}
		if (st->ihave[st->coll] && st->ihave[st->coll][ci]) {
			*out = st->iall[st->coll][ci];
			return 0;
		}
		rc = hr_facts_item_get(st->f, (enum hr_coll)st->coll, st->item, name, &hv);
		if (rc < 0)
			return ev_fail(st, rc, "%s: %s", name, rc == -ENOENT ? "no such field" : hr_strerror(rc));
		from_hv(&hv, name, out);
		if (out->t != HR_X_STR && st->ihave[st->coll] && st->iall[st->coll]) {
			st->iall[st->coll][ci] = *out;
			st->ihave[st->coll][ci] = true;
		}
		return 0;
	case K_DERIVED: {
		const struct derived *d = &st->rs->der[slot];

		/* Without item fields a derived fact is the same for every
		 * subject: computed once per overlay, not once per pass. */
		uint32_t key = d->colls ? st->pass : st->ovgen;

		if (st->dgen[slot] == key) {
			*out = st->dcache[slot];
			return 0;
		}
		if (st->depth >= HR_EXPR_MAX_DEPTH)
			return ev_fail(st, -ELOOP, "derived facts nested deeper than %d levels", HR_EXPR_MAX_DEPTH);
		st->depth++;
		rc = hr_expr_eval(d->e, x, out);
		st->depth--;
		if (rc < 0)
			return rc;
		st->dcache[slot] = *out;
		st->dgen[slot] = key;
		return 0;
	}
	}
	return ev_fail(st, -EINVAL, "unbound name '%s'", name);
}

static void evst_clear(struct evst *st)
{
	free(st->fv);
	free(st->lets);
	free(st->fcache);
	free(st->fhave);
	for (int c = 0; c < HR_COLL_N; c++) {
		free(st->iall[c]);
		free(st->ihave[c]);
	}
	free(st->dcache);
	free(st->dgen);
	free(st->owner_flagged);
}


int hr_rules_evst_init(struct evst *st, const hr_ruleset *rs, const hr_facts *f)
{
	size_t maxlets = 1, i;

	memset(st, 0, sizeof(*st));
	st->x.lookup = lookup;
	st->x.direct_kind = K_LET;
	st->x.ndirect = &st->nlets_done;
	st->rs = rs;
	st->f = f;
	st->coll = -1;
	for (i = 0; i < rs->nrules; i++)
		if (rs->rules[i].nlets > maxlets)
			maxlets = rs->rules[i].nlets;
	st->lets = calloc(maxlets, sizeof(*st->lets));
	st->x.direct = st->lets;
	/* Slot -1 (the kernel) lives just before slot 0: offset by one row. */
	st->fcache = calloc((rs->nfacts + 1) * NIDX, sizeof(*st->fcache));
	st->fhave = calloc((rs->nfacts + 1) * NIDX, sizeof(*st->fhave));
	st->dcache = calloc(rs->nder + 1, sizeof(*st->dcache));
	st->dgen = calloc(rs->nder + 1, sizeof(*st->dgen));
	if (!st->lets || !st->fcache || !st->fhave || !st->dcache || !st->dgen) {
		evst_clear(st);
		return -ENOMEM;
	}
	st->fcache += NIDX;
	st->fhave += NIDX;
	for (i = 0; i < 4; i++)
		st->jsev[i] = json_string(hr_sev_names[i]);
	for (i = 0, maxlets = 1; i < rs->nrules; i++)
		if (rs->rules[i].nfixes > maxlets)
			maxlets = rs->rules[i].nfixes;
	st->fv = malloc(maxlets * sizeof(*st->fv));
	if (!st->fv) {
		hr_rules_evst_done(st);
		return -ENOMEM;
	}
	snprintf(st->ovsrc, sizeof(st->ovsrc), "fix (what-if)");
	st->ovgen = ++st->gen;
	return 0;
}

void hr_rules_evst_done(struct evst *st)
{
	for (int i = 0; i < 4; i++)
		json_decref(st->jsev[i]);
	if (st->fcache) {
		st->fcache -= NIDX;
		st->fhave -= NIDX;
	}
	evst_clear(st);
}

/* Parses an override's value like the facts model parses a sysctl. */
void hr_rules_ov_parse(struct override *o)
{
	const char *p = o->raw;

	o->nfields = 0;
	o->num = true;
	while (*p) {
		char *end;

		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		if (o->nfields == 8) {
			o->num = false;
			break;
		}
		o->fields[o->nfields] = (double)strtoll(p, &end, 10);
		if (end == p || (*end && !isspace((unsigned char)*end))) {
			o->num = false;
			break;
		}
		o->nfields++;
		p = end;
	}
	if (!o->nfields)
		o->num = false;
}

/* Sets the overlay of a fix pass (NULL: none); the what-if base stays under it. */
void hr_rules_set_overlay(struct evst *st, const struct override *ov, size_t n)
{
	st->ov = ov;
	st->nov = n;
	st->ovgen = ++st->gen;
	st->ov_ports = ov_find(st, "net.ipv4.ip_local_port_range") ||
		       ov_find(st, "net.ipv4.ip_local_reserved_ports");
}
