/* fuzz_rules: the rules YAML loader (src/rules.c has only path entry
 * points, so the input is written to a file of a private temporary
 * directory): hr_ruleset_load_file, hr_ruleset_check, hr_ruleset_list, then
 * the loaded rules evaluated (plain, and with a what-if overlay) and
 * explained over a small fixed facts model: a few sysctls (a scalar, the
 * port range vector, reserved ports), counters, a declared destination
 * and inbound port, and a LISTEN and a TIME_WAIT socket. */
#include "config.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "rules.h"

static hr_facts *facts;

/* The fixed facts model, made once. */
static hr_facts *model(void)
{
	struct hr_sock s;

	if (facts)
		return facts;
	facts = hr_facts_new();
	if (!facts)
		abort();
	hr_facts_set_sysctl(facts, "net.ipv4.tcp_tw_reuse", "2", "fuzz");
	hr_facts_set_sysctl(facts, "net.ipv4.tcp_max_tw_buckets", "262144", "fuzz");
	hr_facts_set_sysctl(facts, "net.ipv4.ip_local_port_range", "32768\t60999", "fuzz");
	hr_facts_set_sysctl(facts, "net.ipv4.ip_local_reserved_ports", "40000-40010", "fuzz");
	hr_facts_set_sysctl(facts, "net.core.somaxconn", "4096", "fuzz");
	hr_facts_set_sysctl(facts, "net.ipv4.tcp_fin_timeout", "60", "fuzz");
	hr_facts_set_sysctl_absent(facts, "net.ipv4.tcp_rto_max_ms", "absent on this kernel");
	hr_facts_set_str(facts, "kernel.osrelease", "6.8.0-45-generic", "fuzz");
	hr_facts_set_num(facts, "snmp.Tcp.ActiveOpens", 123456, "fuzz");
	hr_facts_set_num(facts, "netstat.TcpExt.ListenOverflows", 7, "fuzz");
	hr_facts_set_num(facts, "sockstat.TCP.tw", 1000, "fuzz");
	hr_facts_set_num(facts, "rate.Tcp.ActiveOpens", 710, "fuzz");
	hr_facts_declare_dest(facts, "10.0.0.2", 5774, 710, true, "fuzz");
	hr_facts_declare_inbound(facts, 8080, 200, true, "fuzz");
	memset(&s, 0, sizeof(s));
	s.family = AF_INET;
	s.state = HR_LISTEN;
	s.sport = 8080;
	s.wqueue = 4096;
	s.rqueue = 3;
	hr_facts_add_socket(facts, &s);
	s.state = HR_TIME_WAIT;
	s.sport = 33000;
	s.dport = 5774;
	s.src[0] = 10;
	s.dst[0] = 10;
	s.dst[3] = 2;
	s.timer = 3;
	s.expires_ms = 30000;
	hr_facts_add_socket(facts, &s);
	hr_facts_sockets_done(facts);
	return facts;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct hr_setting what_if[] = {
		{"net.ipv4.tcp_tw_reuse", "1"},
		{"net.ipv4.ip_local_port_range", "1024 65535"},
	};
	struct hr_diags d = {NULL, 0};
	struct hr_err err;
	const char *path;
	hr_ruleset *rs;
	json_t *j;
	size_t i, n;

	path = fuzz_file("rules/fuzz.yaml", data, size);
	if (!path)
		abort();
	rs = hr_ruleset_new();
	if (!rs)
		abort();
	if (hr_ruleset_load_file(rs, path, &d) != -ENOENT) {
		hr_ruleset_check(rs, &d);
		j = hr_ruleset_list(rs);
		json_decref(j);
		j = hr_ruleset_evaluate(rs, model());
		json_decref(j);
		j = hr_ruleset_evaluate_with(rs, model(), what_if, 2);
		json_decref(j);
		n = hr_ruleset_count(rs);
		for (i = 0; i < n && i < 4; i++) {
			const char *id = hr_ruleset_rule_id(rs, i);

			(void)hr_ruleset_rule_error(rs, i);
			memset(&err, 0, sizeof(err));
			j = hr_ruleset_explain(rs, id, model(), &err);
			json_decref(j);
		}
	}
	hr_ruleset_free(rs);
	hr_diags_clear(&d);
	return 0;
}
