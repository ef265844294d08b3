/* probe-resolv.c: the resolver configuration of the audited namespace's
 * processes (/etc/resolv.conf, as `ip netns exec` shows a namespace's own
 * /etc/netns/NAME/resolv.conf there): the nameservers and the options that
 * avoid the conntrack insert race of parallel A and AAAA queries from one
 * UDP socket (single-request, single-request-reopen, use-vc). Facts
 * resolv.nameservers, resolv.options (strings) and resolv.single_request,
 * resolv.single_request_reopen, resolv.use_vc (0/1). A missing file is not
 * a problem (the resolver then asks 127.0.0.1): the facts say so.
 * May call: probe-io.c (through probe-int.h) and the facts setters. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "probe-int.h"

void hr_probe_resolv(struct run *r)
{
	static const char *const opts[] = {"single-request", "single-request-reopen", "use-vc"};
	static const char *const facts[] = {"resolv.single_request", "resolv.single_request_reopen", "resolv.use_vc"};
	char path[4096], ns[512] = "", op[512] = "", *line, *save = NULL;
	bool have[3] = {false, false, false};
	long n;
	size_t i;

	if (hr_path_at(path, sizeof(path), r->root, F_RESOLV) < 0)
		return;
	n = hr_probe_read_tree(r, F_RESOLV);
	if (n < 0 || hr_probe_bad_byte(r->buf, (size_t)n) >= 0) {
		char why[4200];

		hr_probe_msgf(why, sizeof(why), "%s: %s", path, n < 0 ? hr_probe_why(n) : "not text");
		hr_facts_set_missing(r->f, "resolv.options", why);
		for (i = 0; i < 3; i++)
			hr_facts_set_missing(r->f, facts[i], why);
		if (n != -ENOENT)
			hr_facts_add_problem(r->f, path, "%s", n < 0 ? hr_probe_why(n) : "not text");
		return;
	}
	for (line = strtok_r(r->buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *w, *s2 = NULL, *first = strtok_r(line, " \t", &s2);
		bool is_ns = first && !strcmp(first, "nameserver"), is_opt = first && !strcmp(first, "options");

		if (!is_ns && !is_opt)
			continue;
		while ((w = strtok_r(NULL, " \t", &s2))) {
			char *dst = is_ns ? ns : op;
			size_t len = strlen(dst);

			if (*w == '#' || *w == ';')
				break;
			snprintf(dst + len, (is_ns ? sizeof(ns) : sizeof(op)) - len, "%s%s", len ? " " : "", w);
			for (i = 0; is_opt && i < 3; i++)
				if (!strcmp(w, opts[i]))
					have[i] = true;
		}
	}
	hr_facts_set_str(r->f, "resolv.nameservers", *ns ? ns : "none (the resolver asks 127.0.0.1)", path);
	hr_facts_set_str(r->f, "resolv.options", *op ? op : "none", path);
	for (i = 0; i < 3; i++)
		hr_facts_set_num(r->f, facts[i], have[i], path);
}
