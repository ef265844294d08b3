/* probe-neigh.c: the neighbour tables (ARP arp_cache, NDP ndisc_cache)
 * through rtnetlink RTM_GETNEIGHTBL (libmnl): per family the entries, the
 * gc_thresh1/2/3 limits and the table_fulls and forced_gc_runs counters,
 * as facts (neigh.ipv4.entries, ...) and into the rate sample (so
 * rate.neigh.ipv4.table_fulls and the entries' growth exist like every
 * counter's). The tables are the host's: every network namespace sees the
 * same entries (all namespaces' neighbours), limits and counters
 * (struct neigh_table, net/core/neighbour.c; gc_thresh* have no sysctl in a
 * child namespace). A snapshot keeps them in DIR/headroom/neigh (and its
 * second sample's), which a tree's probe reads. May call: probe-io.c, the
 * facts setters and libmnl. */
#include "config.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "probe-int.h"

/* One table's numbers (neightbl_fill_info()). */
struct tbl {
	bool have;
	double entries, thresh[3], table_fulls, forced_gc_runs;
};

/* Parses one RTM_NEWNEIGHTBL message: only the table's own (it carries
 * NDTA_CONFIG); the per-device parameter messages are skipped. */
static int on_msg(const struct nlmsghdr *nlh, void *data)
{
	struct tbl *t = data;
	const struct ndtmsg *m = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	struct tbl x = {0};
	bool config = false;
	int i;

	if (nlh->nlmsg_type != RTM_NEWNEIGHTBL || mnl_nlmsg_get_payload_len(nlh) < sizeof(*m))
		return MNL_CB_OK;
	if (m->ndtm_family != AF_INET && m->ndtm_family != AF_INET6)
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*m)) {
		uint16_t type = mnl_attr_get_type(a), len = mnl_attr_get_payload_len(a);

		if ((type == NDTA_THRESH1 || type == NDTA_THRESH2 || type == NDTA_THRESH3) && len >= 4)
			x.thresh[type == NDTA_THRESH1 ? 0 : type == NDTA_THRESH2 ? 1 : 2] = mnl_attr_get_u32(a);
		else if (type == NDTA_CONFIG && len >= sizeof(struct ndt_config)) {
			const struct ndt_config *c = mnl_attr_get_payload(a);

			x.entries = c->ndtc_entries;
			config = true;
		} else if (type == NDTA_STATS && len >= sizeof(struct ndt_stats)) {
			struct ndt_stats s;

			memcpy(&s, mnl_attr_get_payload(a), sizeof(s)); /* u64s: copied for alignment */
			x.table_fulls = (double)s.ndts_table_fulls;
			x.forced_gc_runs = (double)s.ndts_forced_gc_runs;
		}
	}
	if (!config)
		return MNL_CB_OK;
	x.have = true;
	i = m->ndtm_family == AF_INET ? 0 : 1;
	t[i] = x;
	return MNL_CB_OK;
}

/* Dumps the tables into t[0] (IPv4) and t[1] (IPv6). 0 or -errno. */
static int dump(struct tbl *t, char *buf, size_t bufsz)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
	struct nlmsghdr *nlh;
	struct ndtmsg *m;
	unsigned int seq = (unsigned int)time(NULL), portid;
	ssize_t n;
	int ret = 0;

	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETNEIGHTBL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	m = mnl_nlmsg_put_extra_header(nlh, sizeof(*m));
	m->ndtm_family = AF_UNSPEC;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto out;
	}
	while ((n = mnl_socket_recvfrom(nl, buf, bufsz)) > 0) {
		ret = mnl_cb_run(buf, (size_t)n, seq, portid, on_msg, t);
		if (ret <= MNL_CB_STOP)
			break;
	}
	ret = n < 0 || ret < 0 ? -errno : 0;
out:
	mnl_socket_close(nl);
	return ret;
}

/* Parses the snapshot's lines "ipv4 ENTRIES T1 T2 T3 TABLE_FULLS FORCED_GC_RUNS";
 * false at the first malformed line. */
static bool parse_text(const char *text, struct tbl *t)
{
	const char *p = text;

	while (*p) {
		char fam[8];
		double v[6];
		int used = 0, i;

		if (sscanf(p, "%7s %lf %lf %lf %lf %lf %lf%n", fam, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
			   &used) != 7 ||
		    (strcmp(fam, "ipv4") && strcmp(fam, "ipv6")))
			return false;
		for (i = 0; i < 6; i++)
			if (!(v[i] >= 0) || v[i] > 1e18)
				return false;
		i = fam[3] == '4' ? 0 : 1;
		t[i] = (struct tbl){true, v[0], {v[1], v[2], v[3]}, v[4], v[5]};
		p += used;
		while (*p == '\n' || *p == ' ')
			p++;
	}
	return true;
}

long hr_probe_neigh_text(char *buf, size_t n)
{
	struct tbl t[2];
	char *nb = malloc(MNL_SOCKET_BUFFER_SIZE);
	size_t len = 0;
	int ret, i;

	memset(t, 0, sizeof(t));
	ret = nb ? dump(t, nb, MNL_SOCKET_BUFFER_SIZE) : -ENOMEM;
	free(nb);
	if (ret < 0)
		return ret;
	buf[0] = '\0';
	for (i = 0; i < 2; i++) {
		int w;

		if (!t[i].have)
			continue;
		w = snprintf(buf + len, n - len, "ipv%c %.0f %.0f %.0f %.0f %.0f %.0f\n", i ? '6' : '4', t[i].entries,
			     t[i].thresh[0], t[i].thresh[1], t[i].thresh[2], t[i].table_fulls, t[i].forced_gc_runs);
		if (w < 0 || (size_t)w >= n - len)
			return -ENOSPC;
		len += (size_t)w;
	}
	return (long)len;
}

/* See probe-int.h: the tables as facts and into the sample s (may be NULL). */
void hr_probe_neigh(struct run *r, struct sample *s, const char *base)
{
	static const char *const fam[2] = {"ipv4", "ipv6"};
	const char *src = "netlink RTM_GETNEIGHTBL (the host's table, all namespaces)";
	char path[4096], abs[512];
	struct tbl t[2];
	int i, ret;

	memset(t, 0, sizeof(t));
	if (!*r->root) {
		char *buf = malloc(MNL_SOCKET_BUFFER_SIZE);

		ret = buf ? dump(t, buf, MNL_SOCKET_BUFFER_SIZE) : -ENOMEM;
		free(buf);
		if (ret < 0) {
			hr_facts_add_problem(r->f, "netlink RTM_GETNEIGHTBL", "neighbour tables not read: %s",
					     hr_strerror(ret));
			return;
		}
	} else {
		long n;

		hr_probe_msgf(abs, sizeof(abs), "%s%s", base, HR_PROBE_NEIGH);
		hr_probe_msgf(path, sizeof(path), "%s%s", r->root, abs);
		n = hr_probe_read_tree(r, abs);
		if (n == -ENOENT) /* a tree made before, or by cp: no tables */
			return;
		if (n < 0 || !parse_text(r->buf, t)) {
			hr_facts_add_problem(r->f, path, "%s", n < 0 ? hr_probe_why(n) : "not 'ipv4 ENTRIES T1 T2 T3 "
										 "TABLE_FULLS FORCED_GC_RUNS' lines; not read");
			return;
		}
		src = path;
	}
	for (i = 0; i < 2; i++) {
		const char *names[6] = {"entries", "gc_thresh1", "gc_thresh2", "gc_thresh3", "table_fulls",
					"forced_gc_runs"};
		double v[6] = {t[i].entries, t[i].thresh[0], t[i].thresh[1], t[i].thresh[2], t[i].table_fulls,
			       t[i].forced_gc_runs};
		int k;

		if (!t[i].have)
			continue; /* no IPv6 on this kernel */
		for (k = 0; k < 6; k++) {
			char name[64];

			hr_probe_msgf(name, sizeof(name), "neigh.%s.%s", fam[i], names[k]);
			hr_facts_set_num(r->f, name, v[k], src);
			/* Limits are not counters; the entries' growth is the fill rate. */
			if (s && (k == 0 || k >= 4))
				hr_probe_sample_add(r, s, name, v[k]);
		}
	}
}
