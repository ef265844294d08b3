/* managers-kube.c: kube-proxy's conntrack parameters from its own
 * configuration, so the keys it will set are computed from what it runs
 * with, not assumed defaults. Its command line (ROOT/proc/PID/cmdline):
 * with --config FILE, the KubeProxyConfiguration's conntrack section
 * (maxPerCore, min, tcpEstablishedTimeout, tcpCloseWaitTimeout,
 * udpTimeout, udpStreamTimeout, tcpBeLiberal) and nothing of the flags
 * (kubernetes cmd/kube-proxy/app/server.go: Complete() loads the file and
 * replaces the flag-parsed configuration, keeping only logging flags);
 * without it the --conntrack-* flags. A field left out keeps kube-proxy's
 * default (the catalogue's params). Durations are Go's ("24h0m0s"),
 * applied in whole seconds as kube-proxy does (int(d / time.Second)).
 * The file is read through ROOT/proc/PID/root (kube-proxy's own mount
 * namespace, usually a container), else ROOT/FILE (a snapshot tree), only
 * when no other user could have written it (hr_input_trusted).
 * May call: managers.c's helpers, libyaml, libc. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "managers.h"

#define KUBE_MAX_ARGS 512
#define KUBE_MAX_CMDLINE (64 * 1024)
#define KUBE_REFUSED 1 /* kube_read: not trusted, said in a note */

/* The conntrack fields: config name, flag, kind (0 int, 1 duration, 2 bool). */
static const struct {
	const char *field, *flag;
	int kind;
} kube_fields[] = {
	{"maxPerCore", "--conntrack-max-per-core", 0},
	{"min", "--conntrack-min", 0},
	{"tcpEstablishedTimeout", "--conntrack-tcp-timeout-established", 1},
	{"tcpCloseWaitTimeout", "--conntrack-tcp-timeout-close-wait", 1},
	{"udpTimeout", "--conntrack-udp-timeout", 1},
	{"udpStreamTimeout", "--conntrack-udp-timeout-stream", 1},
	{"tcpBeLiberal", "--conntrack-tcp-be-liberal", 2},
};
#define NFIELDS (sizeof(kube_fields) / sizeof(kube_fields[0]))

/* A Go duration ("24h0m0s", "90s", "1.5h", "0") in seconds; -1 when not one. */
static double go_duration(const char *s)
{
	static const struct {
		const char *u;
		double f;
	} units[] = {{"ns", 1e-9}, {"us", 1e-6}, {"\xc2\xb5s", 1e-6}, {"ms", 1e-3}, {"s", 1}, {"m", 60}, {"h", 3600}};
	double total = 0;

	if (!strcmp(s, "0"))
		return 0;
	if (!*s)
		return -1;
	while (*s) {
		char *end;
		double v = strtod(s, &end);
		size_t i, best = 0, bl = 0;

		if (end == s || v < 0 || *s == '+' || *s == '-' || isspace((unsigned char)*s))
			return -1;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) /* the longest unit that matches */
			if (!strncmp(end, units[i].u, strlen(units[i].u)) && strlen(units[i].u) > bl)
				best = i, bl = strlen(units[i].u);
		if (!bl)
			return -1;
		total += v * units[best].f;
		s = end + bl;
	}
	return total;
}

/* One value of field i into params (when the catalogue has that param);
 * false when the text is not one. */
static bool kube_set(const struct hr_mgr_cat *c, double *params, size_t i, const char *text)
{
	double v;
	char *end;
	size_t j;

	if (kube_fields[i].kind == 2) {
		if (!strcmp(text, "true") || !*text)
			v = 1; /* a bare boolean flag is true */
		else if (!strcmp(text, "false"))
			v = 0;
		else
			return false;
	} else if (kube_fields[i].kind == 1) {
		if ((v = go_duration(text)) < 0)
			return false;
		v = floor(v);
	} else {
		v = strtod(text, &end);
		if (end == text || *end || v < 0 || v != floor(v))
			return false;
	}
	for (j = 0; j < c->nparams; j++)
		if (!strcmp(c->params[j].name, kube_fields[i].field))
			params[j] = v;
	return true;
}

static yaml_node_t *map_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *p;

	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);

		if (k && k->type == YAML_SCALAR_NODE && !strcmp((const char *)k->data.scalar.value, key))
			return yaml_document_get_node(doc, p->value);
	}
	return NULL;
}

/* The conntrack section of the file's text; a problem is a note naming
 * file, line and field. */
static int kube_config(struct hr_managers *ms, const struct hr_mgr_cat *c, double *params, const char *path,
		       const char *text)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root, *ct, *kind;
	char msg[512];
	size_t i;
	int r = 0;

	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(msg, sizeof(msg), "line %d: %s", (int)parser.problem_mark.line + 1,
			 parser.problem ? parser.problem : "bad YAML");
		yaml_parser_delete(&parser);
		return hr_managers_note(ms, "kube-proxy --config %s: %s; its defaults assumed", path, msg);
	}
	root = yaml_document_get_root_node(&doc);
	kind = map_get(&doc, root, "kind");
	if (!kind || kind->type != YAML_SCALAR_NODE ||
	    strcmp((const char *)kind->data.scalar.value, "KubeProxyConfiguration")) {
		r = hr_managers_note(ms, "kube-proxy --config %s: %s; its defaults assumed", path,
				     "not a KubeProxyConfiguration (kind)");
		goto out;
	}
	ct = map_get(&doc, root, "conntrack");
	for (i = 0; ct && i < NFIELDS && r == 0; i++) {
		yaml_node_t *v = map_get(&doc, ct, kube_fields[i].field);
		const char *s;

		if (!v || v->type != YAML_SCALAR_NODE)
			continue;
		s = (const char *)v->data.scalar.value;
		if (!strcmp(s, "null") || !strcmp(s, "~") || (!*s && v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE))
			continue; /* left to the default */
		if (!kube_set(c, params, i, s)) {
			snprintf(msg, sizeof(msg), "%s:%d: conntrack.%s: '%.100s' is not %s; its default assumed", path,
				 (int)v->start_mark.line + 1, kube_fields[i].field, s,
				 kube_fields[i].kind == 1 ? "a duration" : kube_fields[i].kind == 2 ? "true or false"
												  : "a whole number");
			r = hr_managers_note(ms, "kube-proxy --config %s%s", msg, "");
		}
	}
out:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return r;
}

/* ROOT/rel, when no other user could have written it (the rule for every
 * input root reads: hr_input_trusted, --trust-inputs): a process of any
 * user can be named kube-proxy and name any file. NULL with *err = -errno,
 * or KUBE_REFUSED after a note. */
static char *kube_read(struct hr_managers *ms, const char *root, const char *rel, const char *config, int *err)
{
	char path[4200];
	struct hr_err te;

	memset(&te, 0, sizeof(te));
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if (access(path, F_OK) == 0 && hr_input_trusted(path, "kube-proxy's --config", &te) < 0) {
		*err = hr_managers_note(ms, "kube-proxy --config %s: %s; its defaults assumed", config, te.msg) < 0
			       ? -ENOMEM : KUBE_REFUSED;
		return NULL;
	}
	return hr_managers_read(root, rel, err);
}

int hr_managers_kube_params(struct hr_managers *ms, struct hr_manager *m, const struct hr_mgr_cat *c,
			    double *params, const char *root, long pid)
{
	char rel[4200], *cmd, *args[KUBE_MAX_ARGS], *config = NULL, *text = NULL, *ev = NULL, *p;
	size_t n = 0, i, j, len;
	int err = 0, r = 0, nflags = 0;

	snprintf(rel, sizeof(rel), "%s/proc/%ld/cmdline", root, pid);
	cmd = malloc(KUBE_MAX_CMDLINE + 1);
	if (!cmd)
		return -ENOMEM;
	{
		FILE *f = fopen(rel, "re");

		if (!f) { /* a tree without the command line: the defaults */
			free(cmd);
			return 0;
		}
		len = fread(cmd, 1, KUBE_MAX_CMDLINE, f); /* NUL-separated arguments */
		fclose(f);
		cmd[len] = '\0';
	}
	for (p = cmd; p < cmd + len && n < KUBE_MAX_ARGS; p += strlen(p) + 1)
		args[n++] = p;
	for (i = 1; i < n; i++) {
		char *a = args[i], *val = NULL;
		size_t fl;

		if (!strncmp(a, "--config", 8) && (a[8] == '=' || !a[8])) {
			config = a[8] ? a + 9 : i + 1 < n ? args[++i] : NULL;
			continue;
		}
		for (j = 0; j < NFIELDS; j++) {
			fl = strlen(kube_fields[j].flag);
			if (strncmp(a, kube_fields[j].flag, fl) || (a[fl] && a[fl] != '='))
				continue;
			if (a[fl] == '=')
				val = a + fl + 1;
			else if (kube_fields[j].kind == 2)
				val = "";
			else if (i + 1 < n)
				val = args[++i];
			break;
		}
		if (j == NFIELDS || !val || config)
			continue;
		if (!kube_set(c, params, j, val))
			r = hr_managers_note(ms, "kube-proxy flag %s: '%s' not understood; its default assumed",
					     kube_fields[j].flag, val);
		nflags++;
	}
	if (config && r == 0) {
		/* A config file replaces the flags: start again from the defaults. */
		for (j = 0; j < c->nparams; j++)
			params[j] = c->params[j].num;
		snprintf(rel, sizeof(rel), "proc/%ld/%s/%s", pid, config[0] == '/' ? "root" : "cwd",
			 config[0] == '/' ? config + 1 : config);
		text = kube_read(ms, root, rel, config, &err);
		if (!text && err != -ENOMEM && err != KUBE_REFUSED && config[0] == '/')
			text = kube_read(ms, root, config + 1, config, &err);
		if (!text && err == KUBE_REFUSED)
			r = 0; /* said in a note */
		else if (text)
			r = kube_config(ms, c, params, config, text);
		else if (err == -ENOMEM)
			r = -ENOMEM;
		else
			r = hr_managers_note(ms, "kube-proxy --config %s: %s; its defaults assumed", config,
					     hr_strerror(err));
	}
	if (r == 0 && (config || nflags)) {
		if (config ? asprintf(&ev, "%s, --config %s", m->evidence, config) < 0
			   : asprintf(&ev, "%s, %d --conntrack flag(s)", m->evidence, nflags) < 0)
			r = -ENOMEM;
		else
			free(m->evidence), m->evidence = ev;
	}
	free(text);
	free(cmd);
	return r;
}
