/* rules-counters.c: the counter catalogue (a rule file's top-level
 * `counters:` list: each kernel counter's fact, whether it counts a
 * failure, its meaning, the rule that owns it, its kernel source), and the
 * items of `for_each: counters` built from it: the counter's total and rate
 * from the facts, and whether its owner already raised a finding. So a
 * failure counter that moved is named by some finding, and the catalogue
 * is a table a reviewer checks, not strings in C.
 * May call: the loader helpers (rules-load.c), the facts getters. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rules-int.h"

static const char *const counter_keys = "fact, failure, meaning, owner, source";

/* Reads one catalogue entry (a mapping) into c; false on error (reported). */
static bool counter_load(struct loader *l, yaml_node_t *n, struct counter *c)
{
	yaml_node_t *k, *v;
	bool ok = true, have_failure = false;

	if (!hr_rules_want(l, n, YAML_MAPPING_NODE, "a counter (fact, failure, meaning, owner, source)"))
		return false;
	c->line = (int)n->start_mark.line + 1;
	c->col = (int)n->start_mark.column + 1;
	YMAP_EACH(l, n, k, v, pair) {
		const char *key = hr_rules_yscalar(l, k, "a counter key"), *s;
		char **dst = NULL;

		if (!key) {
			ok = false;
			continue;
		}
		if (!strcmp(key, "fact"))
			dst = &c->fact;
		else if (!strcmp(key, "meaning"))
			dst = &c->meaning;
		else if (!strcmp(key, "owner"))
			dst = &c->owner;
		else if (!strcmp(key, "source"))
			dst = &c->source;
		else if (strcmp(key, "failure")) {
			hr_rules_lerr(l, k, "unknown counter key '%s' (allowed: %s)", key, counter_keys);
			ok = false;
			continue;
		}
		s = hr_rules_yscalar(l, v, key);
		if (!s) {
			ok = false;
		} else if (!dst) {
			if (strcmp(s, "true") && strcmp(s, "false")) {
				hr_rules_lerr(l, v, "failure must be true or false, not '%s'", s);
				ok = false;
			}
			c->failure = !strcmp(s, "true");
			have_failure = true;
		} else if (!(*dst = strdup(s))) {
			ok = false;
		}
	}
	if (ok && (!c->fact || !c->meaning || !c->source || !have_failure)) {
		hr_rules_lerr(l, n, "a counter needs fact, failure, meaning and source (owner is optional)");
		ok = false;
	}
	if (ok && strncmp(c->fact, "snmp.", 5) && strncmp(c->fact, "snmp6.", 6) && strncmp(c->fact, "netstat.", 8) &&
	    strncmp(c->fact, "neigh.", 6) && strncmp(c->fact, "softnet.", 8)) {
		hr_rules_lerr(l, n, "counter fact '%s': only snmp.*, snmp6.*, netstat.*, neigh.* and softnet.* counters have rates",
			      c->fact);
		ok = false;
	}
	return ok;
}

/* Frees what one entry owns. */
static void counter_clear(struct counter *c)
{
	free(c->fact);
	free(c->meaning);
	free(c->owner);
	free(c->source);
	free(c->file);
	memset(c, 0, sizeof(*c));
}

void hr_rules_counters_load(struct loader *l, yaml_node_t *n)
{
	yaml_node_t *v;

	if (!hr_rules_want(l, n, YAML_SEQUENCE_NODE, "counters (a list)"))
		return;
	YSEQ_EACH(l, n, v, item) {
		hr_ruleset *rs = l->rs;
		struct counter c;
		void *g;

		memset(&c, 0, sizeof(c));
		if (!counter_load(l, v, &c) || !(c.file = strdup(l->file))) {
			counter_clear(&c);
			continue;
		}
		g = hr_rules_grow(rs->counters, &rs->capcounters, rs->ncounters + 1, sizeof(*rs->counters));
		if (!g) {
			counter_clear(&c);
			continue;
		}
		rs->counters = g;
		rs->counters[rs->ncounters++] = c;
	}
}

void hr_rules_counters_free(hr_ruleset *rs)
{
	size_t i;

	for (i = 0; i < rs->ncounters; i++)
		counter_clear(&rs->counters[i]);
	free(rs->counters);
	rs->counters = NULL;
	rs->ncounters = rs->capcounters = 0;
}

size_t hr_rules_counters_check(const hr_ruleset *rs, struct hr_diags *d)
{
	size_t i, j, errs = 0;

	for (i = 0; i < rs->ncounters; i++) {
		const struct counter *c = &rs->counters[i];

		if (c->owner && !hr_rules_find_rule(rs, c->owner)) {
			hr_diags_add(d, c->file, c->line, c->col, false, "counter %s: owner '%s' is not a rule",
				     c->fact, c->owner);
			errs++;
		}
		for (j = 0; j < i; j++)
			if (!strcmp(rs->counters[j].fact, c->fact)) {
				hr_diags_add(d, c->file, c->line, c->col, false,
					     "counter %s listed twice (first at %s:%d:%d)", c->fact,
					     rs->counters[j].file, rs->counters[j].line, rs->counters[j].col);
				errs++;
				break;
			}
	}
	return errs;
}

size_t hr_rules_coll_count(const hr_ruleset *rs, const hr_facts *f, int c)
{
	return c == HR_COLL_COUNTERS ? rs->ncounters : hr_facts_count(f, (enum hr_coll)c);
}

const char *hr_rules_item_subject(const hr_ruleset *rs, const hr_facts *f, int c, size_t i)
{
	if (c == HR_COLL_COUNTERS)
		return i < rs->ncounters ? rs->counters[i].fact : NULL;
	return hr_facts_item_subject(f, (enum hr_coll)c, i);
}

/* A string value borrowed from the catalogue (null when absent). */
static void xstr(struct hr_xval *out, const char *s)
{
	memset(out, 0, sizeof(*out));
	out->t = s ? HR_X_STR : HR_X_NULL;
	out->str = s;
}

/* A fact as an expression value; missing keeps the fact's name and reason. */
static void xfact(const hr_facts *f, const char *name, struct hr_xval *out)
{
	struct hr_value hv;

	memset(out, 0, sizeof(*out));
	if (hr_facts_get(f, name, -1, &hv) < 0 || hv.type == HR_V_MISSING) {
		out->t = HR_X_MISSING;
		out->str = name;
		out->why = hv.type == HR_V_MISSING && hv.missing ? hv.missing : "not read";
		return;
	}
	out->t = HR_X_NUM;
	out->num = hv.num;
	out->source = hv.source;
}

int hr_rules_counter_field(struct evst *st, const char *name, struct hr_xval *out)
{
	const struct counter *c;
	const char *field = name + strlen("counter.");

	if (st->item >= st->rs->ncounters) {
		hr_xctx_fail(&st->x, "'%s': no such counter", name);
		return -1;
	}
	c = &st->rs->counters[st->item];
	memset(out, 0, sizeof(*out));
	if (!strcmp(field, "fact") || !strcmp(field, "subject")) {
		xstr(out, c->fact);
	} else if (!strcmp(field, "meaning")) {
		xstr(out, c->meaning);
	} else if (!strcmp(field, "owner")) {
		xstr(out, c->owner);
	} else if (!strcmp(field, "source")) {
		xstr(out, c->source);
	} else if (!strcmp(field, "failure") || !strcmp(field, "present") || !strcmp(field, "owner_flagged")) {
		struct hr_value hv;

		out->t = HR_X_BOOL;
		if (field[0] == 'f')
			out->num = c->failure;
		else if (field[0] == 'p')
			out->num = hr_facts_get(st->f, c->fact, -1, &hv) == 0 && hv.type == HR_V_NUM;
		else
			out->num = st->owner_flagged && st->owner_flagged[st->item];
	} else if (!strcmp(field, "total")) {
		xfact(st->f, c->fact, out);
	} else if (!strcmp(field, "rate")) {
		/* "netstat.TcpExt.X" -> "rate.TcpExt.X" (the probe's name);
		 * "neigh.ipv4.X" -> "rate.neigh.ipv4.X". */
		char rate[200];

		snprintf(rate, sizeof(rate), "rate.%s",
			 strncmp(c->fact, "neigh.", 6) ? strchr(c->fact, '.') + 1 : c->fact);
		xfact(st->f, rate, out);
		if (out->t == HR_X_MISSING) /* the name must outlive this buffer */
			out->str = "counter.rate";
	} else {
		hr_xctx_fail(&st->x, "unknown field '%s'", name);
		return -1;
	}
	return 0;
}

void hr_rules_counters_owners(struct evst *st, const json_t *findings)
{
	size_t i, j;
	json_t *fd;

	free(st->owner_flagged);
	st->owner_flagged = calloc(st->rs->ncounters + 1, sizeof(bool));
	if (!st->owner_flagged)
		return;
	json_array_foreach(findings, j, fd) {
		const char *rule = json_string_value(json_object_get(fd, "rule"));
		const char *sev = json_string_value(json_object_get(fd, "severity"));

		if (!rule || !sev || (strcmp(sev, "warning") && strcmp(sev, "critical")))
			continue;
		for (i = 0; i < st->rs->ncounters; i++)
			if (st->rs->counters[i].owner && !strcmp(st->rs->counters[i].owner, rule))
				st->owner_flagged[i] = true;
	}
}
