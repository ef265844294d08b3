/* sysctl-range.c: the kernel's accepted values of known keys (integer
 * bounds per field, vector arity, the port range's order): what a write
 * would get EINVAL for, checked before anything is written (apply's
 * vetting) or assumed (audit --assume-file). */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "sysctl.h"

/* Integer bounds of known keys, per field (net/ipv4/sysctl_net_ipv4.c,
 * net/core/sysctl_net_core.c, include/net/tcp.h). A stricter bound than
 * the kernel's is marked "headroom". */
struct range {
	const char *key;
	int nfields;
	int64_t min, max;
	const char *src;
};

static const struct range ranges[] = {
	{"net.ipv4.tcp_tw_reuse", 1, 0, 2, "0 off, 1 on, 2 loopback only (proc_dou8vec_minmax)"},
	{"net.ipv4.tcp_tw_reuse_delay", 1, 1, 60000, "ms, 1..60000 (6.14+)"},
	{"net.ipv4.tcp_timestamps", 1, 0, 2, "0, 1, 2 (no random offset)"},
	{"net.ipv4.tcp_syncookies", 1, 0, 2, "0 off, 1 on overflow, 2 always"},
	{"net.ipv4.tcp_abort_on_overflow", 1, 0, 1, "boolean"},
	{"net.ipv4.tcp_retries1", 1, 0, 255, "u8"},
	{"net.ipv4.tcp_retries2", 1, 0, 255, "u8"},
	{"net.ipv4.tcp_orphan_retries", 1, 0, 255, "u8"},
	{"net.ipv4.tcp_syn_retries", 1, 1, 127, "1..MAX_TCP_SYNCNT (127)"},
	{"net.ipv4.tcp_synack_retries", 1, 0, 255, "u8"},
	{"net.ipv4.tcp_fin_timeout", 1, 1, INT_MAX / 1000, "seconds (jiffies, HZ <= 1000)"},
	{"net.ipv4.tcp_keepalive_time", 1, 1, 32767, "headroom: MAX_TCP_KEEPIDLE (32767 s)"},
	{"net.ipv4.tcp_keepalive_intvl", 1, 1, 32767, "headroom: MAX_TCP_KEEPINTVL (32767 s)"},
	{"net.ipv4.tcp_keepalive_probes", 1, 1, 127, "headroom: MAX_TCP_KEEPCNT (127)"},
	{"net.ipv4.tcp_max_tw_buckets", 1, 0, INT_MAX, "int >= 0"},
	{"net.ipv4.tcp_max_syn_backlog", 1, 0, INT_MAX, "int >= 0"},
	{"net.ipv4.tcp_slow_start_after_idle", 1, 0, 1, "boolean"},
	{"net.ipv4.tcp_mtu_probing", 1, 0, 2, "0, 1, 2"},
	{"net.ipv4.tcp_sack", 1, 0, 1, "boolean"},
	{"net.ipv4.tcp_window_scaling", 1, 0, 1, "boolean"},
	{"net.ipv4.tcp_notsent_lowat", 1, 0, UINT_MAX, "unsigned int"},
	{"net.ipv4.tcp_rmem", 3, 1, INT_MAX, "min default max, each >= 1"},
	{"net.ipv4.tcp_wmem", 3, 1, INT_MAX, "min default max, each >= 1"},
	{"net.ipv4.tcp_mem", 3, 0, LONG_MAX, "pages: low pressure high"},
	{"net.ipv4.ip_local_port_range", 2, 1, 65535, "low high, 1..65535"},
	{"net.ipv4.ip_unprivileged_port_start", 1, 0, 65535, "0..65535"},
	{"net.ipv4.ip_forward", 1, 0, 1, "boolean"},
	{"net.core.somaxconn", 1, 0, INT_MAX, "int >= 0"},
	{"net.core.netdev_max_backlog", 1, 0, INT_MAX, "int >= 0"},
	{"net.core.rmem_max", 1, 0, INT_MAX, "int >= 0"},
	{"net.core.wmem_max", 1, 0, INT_MAX, "int >= 0"},
	{"net.netfilter.nf_conntrack_max", 1, 0, INT_MAX, "int >= 0"},
	{"net.netfilter.nf_conntrack_tcp_timeout_established", 1, 0, INT_MAX / 1000, "seconds"},
	{"net.netfilter.nf_conntrack_tcp_timeout_time_wait", 1, 0, INT_MAX / 1000, "seconds"},
	{"net.netfilter.nf_conntrack_tcp_timeout_close_wait", 1, 0, INT_MAX / 1000, "seconds"},
	{"net.netfilter.nf_conntrack_tcp_timeout_fin_wait", 1, 0, INT_MAX / 1000, "seconds"},
	{"vm.overcommit_memory", 1, 0, 2, "0, 1, 2"},
	{"vm.swappiness", 1, 0, 200, "0..200 (5.8+)"},
	{"kernel.panic_on_oops", 1, 0, 1, "boolean"},
};

int hr_sysctl_int_fields(const char *value, int64_t *f, int max)
{
	char *copy = strdup(value), *tok, *save = NULL;
	int n = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (n >= max || hr_parse_i64(tok, &f[n]) < 0) {
			free(copy);
			return -EINVAL;
		}
		n++;
	}
	free(copy);
	return n;
}

int hr_sysctl_range(const char *root, const char *key, const char *value, struct hr_err *err)
{
	int64_t f[8];
	size_t i;
	int n, k;

	for (i = 0; i < HR_ARRAY_SIZE(ranges); i++)
		if (!strcmp(ranges[i].key, key))
			break;
	if (i == HR_ARRAY_SIZE(ranges))
		return 0;
	n = hr_sysctl_int_fields(value, f, 8);
	if (n < 0 || n != ranges[i].nfields) {
		hr_err_set(err, -EINVAL, "%s: '%s' is not %d integer%s (%s)", key, value,
			   ranges[i].nfields, ranges[i].nfields > 1 ? "s" : "", ranges[i].src);
		return -EINVAL;
	}
	for (k = 0; k < n; k++)
		if (f[k] < ranges[i].min || f[k] > ranges[i].max) {
			hr_err_set(err, -ERANGE, "%s: %lld is outside %lld..%lld (%s)", key, (long long)f[k],
				   (long long)ranges[i].min, (long long)ranges[i].max, ranges[i].src);
			return -ERANGE;
		}
	/* ipv4_local_port_range(): high >= low and low >= ip_unprivileged_port_start. */
	if (!strcmp(key, "net.ipv4.ip_local_port_range")) {
		char *ups = NULL;
		int64_t start;

		if (f[1] < f[0]) {
			hr_err_set(err, -EINVAL, "%s: high end %lld is below low end %lld (the kernel rejects it)",
				   key, (long long)f[1], (long long)f[0]);
			return -EINVAL;
		}
		if (hr_sysctl_read(root, "net.ipv4.ip_unprivileged_port_start", &ups) == 0 &&
		    hr_parse_i64(ups, &start) == 0 && f[0] < start) {
			hr_err_set(err, -EINVAL,
				   "%s: low end %lld is below ip_unprivileged_port_start %lld (the kernel rejects it)",
				   key, (long long)f[0], (long long)start);
			free(ups);
			return -EINVAL;
		}
		free(ups);
	}
	return 0;
}
