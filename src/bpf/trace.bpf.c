// SPDX-License-Identifier: GPL-2.0
/* trace.bpf.c: headroom's eBPF collector (CO-RE, libbpf). Everything is
 * aggregated here, in bounded maps (src/bpf/trace.h): per destination, per
 * listener, per (process, destination, errno) and per drop reason. User
 * space reads the maps once at the end of the interval; nothing wakes it
 * per event.
 *
 * Attach points are BTF tracepoints (tp_btf) only: they need no tracefs
 * (not mounted on every machine) and no BPF trampolines. No program runs
 * per system call: a TCP connect() is seen through its socket's state
 * changes (CLOSE -> SYN_SENT when it starts, SYN_SENT -> CLOSE when it
 * fails, with the errno the kernel left in sk_err, or none when the port
 * choice itself failed: EADDRNOTAVAIL, in the caller's context).
 *
 * targ_netns (set by the loader before load): only events of that network
 * namespace (inode) are counted; 0 counts every namespace. */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "trace.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 targ_netns = 0;

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define EADDRNOTAVAIL 99

/* Kernel functions (kfuncs, 6.2+): the task of a pid, for the name of a
 * process whose connect() failed in softirq (a RST, a timeout). */
extern struct task_struct *bpf_task_from_pid(s32 pid) __ksym __weak;
extern void bpf_task_release(struct task_struct *p) __ksym __weak;

enum { ST_ESTABLISHED = 1, ST_SYN_SENT, ST_SYN_RECV, ST_FIN_WAIT1, ST_FIN_WAIT2, ST_TIME_WAIT,
       ST_CLOSE, ST_CLOSE_WAIT, ST_LAST_ACK, ST_LISTEN, ST_CLOSING };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TR_T_N);
	__type(key, __u32);
	__type(value, __u64);
} totals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TR_MAX_REASONS);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

/* Per destination and per listener: per-CPU values (summed by the loader),
 * so that the counters are plain adds, no atomic operation shared by every
 * CPU; the memory scales with the CPUs (headroom-trace(8)). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, TR_MAX_DESTS);
	__type(key, struct tr_ep);
	__type(value, struct tr_dest);
} dests SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, TR_MAX_LISTENERS);
	__type(key, struct tr_ep);
	__type(value, struct tr_listener);
} listeners SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TR_MAX_FAILS);
	__type(key, struct tr_fail_key);
	__type(value, struct tr_fail);
} fails SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TR_MAX_BINDS);
	__type(key, struct tr_bind_key);
	__type(value, struct tr_bind);
} binds SEC(".maps");

/* Per socket born while tracing: birth time and who closed first (key:
 * the socket's address; deleted at CLOSE). Per-CPU LRU lists
 * (BPF_F_NO_COMMON_LRU): no lock shared by all CPUs. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
	__uint(max_entries, TR_MAX_SOCKS);
	__type(key, __u64);
	__type(value, struct tr_sock);
} socks SEC(".maps");

/* Adds n to a per-CPU total. */
static __always_inline void total_add(__u32 slot, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&totals, &slot);

	if (v)
		*v += n;
}

/* The entry of key in an LRU hash map, made zeroed when absent (NULL when
 * even that failed: counted as lost). */
static __always_inline void *get_or_zero(void *map, const void *key, const void *zero)
{
	void *v = bpf_map_lookup_elem(map, key);

	if (v)
		return v;
	if (bpf_map_update_elem(map, key, zero, BPF_NOEXIST) && bpf_map_update_elem(map, key, zero, BPF_ANY) &&
	    !bpf_map_lookup_elem(map, key)) {
		total_add(TR_T_LOST, 1);
		return NULL;
	}
	v = bpf_map_lookup_elem(map, key);
	if (!v)
		total_add(TR_T_LOST, 1);
	return v;
}

static const struct tr_dest zero_dest;
static const struct tr_listener zero_listener;

/* The socket helpers below read through BTF pointers directly (the
 * tp_btf arguments are trusted): plain loads, relocated by CO-RE, no
 * helper call per field. */

/* The network namespace inode of a socket. */
static __always_inline __u32 sk_netns(const struct sock *sk)
{
	return sk->__sk_common.skc_net.net->ns.inum;
}

/* The remote (peer) endpoint of a socket. */
static __always_inline void sk_peer(const struct sock *sk, struct tr_ep *ep)
{
	__builtin_memset(ep, 0, sizeof(*ep));
	ep->family = sk->__sk_common.skc_family;
	ep->port = __builtin_bswap16(sk->__sk_common.skc_dport);
	if (ep->family == AF_INET6)
		BPF_CORE_READ_INTO(&ep->addr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	else
		*(__u32 *)ep->addr = sk->__sk_common.skc_daddr;
	ep->netns = sk_netns(sk);
}

/* The local endpoint of a socket (a listener's key). */
static __always_inline void sk_local(const struct sock *sk, struct tr_ep *ep)
{
	__builtin_memset(ep, 0, sizeof(*ep));
	ep->family = sk->__sk_common.skc_family;
	ep->port = sk->__sk_common.skc_num;
	if (ep->family == AF_INET6)
		BPF_CORE_READ_INTO(&ep->addr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
	else
		*(__u32 *)ep->addr = sk->__sk_common.skc_rcv_saddr;
	ep->netns = sk_netns(sk);
}

static __always_inline bool wanted(__u32 netns)
{
	return !targ_netns || netns == targ_netns;
}

/* Counts a socket's end: per destination (connected) or per local
 * endpoint (accepted; the loader folds these into the listener of that
 * port, which may be bound to the wildcard address). */
static __always_inline void count_close(const struct sock *sk, const struct tr_sock *s, __u64 now)
{
	struct tr_ep ep;
	__u64 life = now - s->born_ns;

	if (s->passive) {
		struct tr_listener *l;

		sk_local(sk, &ep);
		l = get_or_zero(&listeners, &ep, &zero_listener);
		if (!l)
			return;
		l->closed += 1;
		l->life_ns_sum += life;
		if (life > l->life_ns_max)
			l->life_ns_max = life;
		if (s->closer == 1)
			l->local_first += 1;
		else if (s->closer == 2)
			l->remote_first += 1;
		return;
	}
	{
		struct tr_dest *d;

		sk_peer(sk, &ep);
		d = get_or_zero(&dests, &ep, &zero_dest);
		if (!d)
			return;
		if (!s->established) {
			d->failed_open += 1;
			return;
		}
		d->closed += 1;
		d->life_ns_sum += life;
		if (life > d->life_ns_max)
			d->life_ns_max = life;
		if (s->closer == 1)
			d->local_first += 1;
		else if (s->closer == 2)
			d->remote_first += 1;
	}
}

/* The errno slot of a connect() failure. */
static __always_inline __u32 errno_slot(__u32 err)
{
	switch (err) {
	case 99: return TR_E_ADDRNOTAVAIL;
	case 98: return TR_E_ADDRINUSE;
	case 11: return TR_E_AGAIN;
	case 111: return TR_E_CONNREFUSED;
	case 110: return TR_E_TIMEDOUT;
	default: return TR_E_OTHER;
	}
}

/* A connect() toward dst failed with err: counted per destination, per
 * errno and per (process, destination, errno). mine: the failure happens
 * in the caller's context (the port choice), so the current task is the
 * process; else (softirq: a RST, a timer) the process is pid, recorded
 * when the connect() started, its name and cgroup read only now. */
static __always_inline void count_fail(const struct tr_ep *dst, __u32 err, __u32 pid, bool mine)
{
	struct tr_fail_key k = {};
	struct tr_dest *d;
	struct tr_fail *fv;
	__u32 slot = errno_slot(err);
	__u64 now;

	total_add(TR_T_CONNECT_FAILED, 1);
	total_add(TR_T_FAIL_BY_ERRNO + slot, 1);
	k.dst = *dst;
	d = get_or_zero(&dests, &k.dst, &zero_dest);
	if (d && slot < TR_E_N)
		d->fail[slot] += 1;
	k.pid = pid;
	k.err = err;
	if (mine) {
		k.cgroup = bpf_get_current_cgroup_id();
		bpf_get_current_comm(k.comm, sizeof(k.comm));
	} else if (bpf_task_from_pid) {
		struct task_struct *t = bpf_task_from_pid((s32)pid);

		if (t) {
			BPF_CORE_READ_STR_INTO(&k.comm, t, comm);
			k.cgroup = BPF_CORE_READ(t, cgroups, dfl_cgrp, kn, id);
			bpf_task_release(t);
		}
	}
	now = bpf_ktime_get_ns();
	fv = bpf_map_lookup_elem(&fails, &k);
	if (!fv) {
		struct tr_fail n = {.count = 0, .first_ns = now, .last_ns = now};

		bpf_map_update_elem(&fails, &k, &n, BPF_NOEXIST);
		fv = bpf_map_lookup_elem(&fails, &k);
		if (!fv) {
			total_add(TR_T_LOST, 1);
			return;
		}
	}
	__sync_fetch_and_add(&fv->count, 1);
	fv->last_ns = now;
}

#define SOCK_BINDADDR_LOCK 4
#define INET_FLAGS_BIND_ADDRESS_NO_PORT 18 /* bit of inet_sock.inet_flags (6.6+) */

/* A connect() starting (CLOSE -> SYN_SENT, the caller's context): when
 * bind() came first (a port taken, an address set, or
 * IP_BIND_ADDRESS_NO_PORT), counted with the socket's flags per process
 * and destination. Nothing more is done for a socket never bound: the
 * common case pays two loads. */
static __always_inline void count_bind(const struct sock *sk, const struct tr_ep *dst)
{
	static const struct tr_bind zero_bind;
	const struct inet_sock *in = (const void *)sk;
	struct tr_bind_key k = {};
	bool port = sk->__sk_common.skc_num != 0, addr = sk->sk_userlocks & SOCK_BINDADDR_LOCK, noport = false,
	     reuse, reuseport;
	struct tr_bind *b;

	if (bpf_core_field_exists(in->inet_flags))
		noport = (BPF_CORE_READ(in, inet_flags) >> INET_FLAGS_BIND_ADDRESS_NO_PORT) & 1;
	if (!port && !addr && !noport)
		return;
	reuse = BPF_CORE_READ_BITFIELD_PROBED(sk, __sk_common.skc_reuse) != 0;
	reuseport = BPF_CORE_READ_BITFIELD_PROBED(sk, __sk_common.skc_reuseport) != 0;
	total_add(TR_T_BOUND, 1);
	if (port)
		total_add(TR_T_BOUND_PORT, 1);
	if (noport)
		total_add(TR_T_BOUND_NO_PORT, 1);
	if (reuse)
		total_add(TR_T_BOUND_REUSEADDR, 1);
	k.dst = *dst;
	k.pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(k.comm, sizeof(k.comm));
	b = get_or_zero(&binds, &k, &zero_bind);
	if (!b)
		return;
	__sync_fetch_and_add(&b->connects, 1);
	if (port)
		__sync_fetch_and_add(&b->port, 1);
	if (addr)
		__sync_fetch_and_add(&b->addr, 1);
	if (noport)
		__sync_fetch_and_add(&b->no_port, 1);
	if (reuse)
		__sync_fetch_and_add(&b->reuseaddr, 1);
	if (reuseport)
		__sync_fetch_and_add(&b->reuseport, 1);
}

/* sock:inet_sock_set_state: opens, establishment, connect() failures, who
 * sent FIN first, lifetimes at CLOSE. Only the transitions counted go past
 * the first test (FIN_WAIT2, TIME_WAIT, LAST_ACK, CLOSING, LISTEN and
 * SYN_RECV itself return at once: a connection passes about ten states,
 * both ends). */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(on_set_state, const struct sock *sk, const int oldstate, const int newstate)
{
	__u64 key = (__u64)(unsigned long)sk, now;
	struct tr_sock *s;
	struct tr_ep ep;

	if (newstate != ST_SYN_SENT && newstate != ST_ESTABLISHED && newstate != ST_FIN_WAIT1 &&
	    newstate != ST_CLOSE_WAIT && newstate != ST_CLOSE)
		return 0;
	if (sk->sk_protocol != IPPROTO_TCP || !wanted(sk_netns(sk)))
		return 0;
	if (oldstate == ST_CLOSE && newstate == ST_SYN_SENT) {
		struct tr_dest *d;

		total_add(TR_T_ACTIVE_OPENS, 1);
		total_add(TR_T_CONNECT_CALLS, 1);
		struct tr_sock n = {.born_ns = bpf_ktime_get_ns(), .pid = bpf_get_current_pid_tgid() >> 32};

		if (bpf_map_update_elem(&socks, &key, &n, BPF_ANY))
			total_add(TR_T_LOST, 1);
		sk_peer(sk, &ep);
		d = get_or_zero(&dests, &ep, &zero_dest);
		if (d)
			d->opens += 1;
		count_bind(sk, &ep);
		return 0;
	}
	if (oldstate == ST_SYN_SENT && newstate == ST_ESTABLISHED) {
		struct tr_dest *d;

		s = bpf_map_lookup_elem(&socks, &key);
		if (s)
			s->established = 1;
		sk_peer(sk, &ep);
		d = get_or_zero(&dests, &ep, &zero_dest);
		if (d)
			d->established += 1;
		return 0;
	}
	if (oldstate == ST_SYN_RECV && newstate == ST_ESTABLISHED) {
		struct tr_listener *l;

		total_add(TR_T_PASSIVE_OPENS, 1);
		struct tr_sock n = {.born_ns = bpf_ktime_get_ns(), .passive = 1, .established = 1};

		if (bpf_map_update_elem(&socks, &key, &n, BPF_ANY))
			total_add(TR_T_LOST, 1);
		sk_local(sk, &ep);
		l = get_or_zero(&listeners, &ep, &zero_listener);
		if (l)
			l->opens += 1;
		return 0;
	}
	if (oldstate == ST_SYN_SENT && newstate == ST_CLOSE) {
		/* A connect() that failed. With the error in sk_err (set
		 * before the socket closes): a RST (ECONNREFUSED), the SYNs'
		 * timeout (ETIMEDOUT), an ICMP error; in softirq. Without a
		 * segment sent and no error: connect() set SYN_SENT, then
		 * found no local port (inet_hash_connect(): EADDRNOTAVAIL) and
		 * closed at once, in the caller's context: not an open. */
		__u32 err = (__u32)sk->sk_err;
		bool early = !err && !BPF_CORE_READ((const struct tcp_sock *)sk, segs_out);
		struct tr_dest *d;

		s = bpf_map_lookup_elem(&socks, &key);
		sk_peer(sk, &ep);
		if (early) {
			if (s) {
				bpf_map_delete_elem(&socks, &key);
				total_add(TR_T_ACTIVE_OPENS, (__u64)-1);
				d = get_or_zero(&dests, &ep, &zero_dest);
				if (d)
					d->opens += (__u64)-1;
			}
			count_fail(&ep, EADDRNOTAVAIL, bpf_get_current_pid_tgid() >> 32, true);
			return 0;
		}
		if (!s)
			return 0;
		if (err)
			count_fail(&ep, err, s->pid, false);
		total_add(TR_T_CLOSED, 1);
		count_close(sk, s, bpf_ktime_get_ns());
		bpf_map_delete_elem(&socks, &key);
		return 0;
	}
	s = bpf_map_lookup_elem(&socks, &key);
	if (!s)
		return 0;
	if (!s->closer && (newstate == ST_FIN_WAIT1 || newstate == ST_CLOSE_WAIT))
		/* ESTABLISHED -> FIN_WAIT1: this side closed first; ->
		 * CLOSE_WAIT: the peer's FIN came first. */
		s->closer = newstate == ST_FIN_WAIT1 ? 1 : 2;
	if (newstate == ST_CLOSE) {
		now = bpf_ktime_get_ns();
		total_add(TR_T_CLOSED, 1);
		count_close(sk, s, now);
		bpf_map_delete_elem(&socks, &key);
	}
	return 0;
}

/* tcp:tcp_retransmit_synack: per listener (sk is the listener). */
SEC("tp_btf/tcp_retransmit_synack")
int BPF_PROG(on_synack, const struct sock *sk, const struct request_sock *req)
{
	struct tr_listener *l;
	struct tr_ep ep;

	if (!wanted(sk_netns(sk)))
		return 0;
	total_add(TR_T_SYNACK_RETRANS, 1);
	sk_local(sk, &ep);
	l = get_or_zero(&listeners, &ep, &zero_listener);
	if (l)
		l->synack_retrans += 1;
	return 0;
}

/* The peer of a RST sent without a socket (a SYN to a closed port): the
 * source of the packet answered, read from its IP and TCP headers. */
static __always_inline int skb_peer(const struct sk_buff *skb, struct tr_ep *ep)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 nh = BPF_CORE_READ(skb, network_header), th = BPF_CORE_READ(skb, transport_header);
	struct net_device *dev = BPF_CORE_READ(skb, dev);
	__u8 ver = 0;
	__be16 sport = 0;

	__builtin_memset(ep, 0, sizeof(*ep));
	if (bpf_probe_read_kernel(&ver, 1, head + nh))
		return -1;
	ver >>= 4;
	if (ver == 4) {
		ep->family = AF_INET;
		bpf_probe_read_kernel(ep->addr, 4, head + nh + 12);
	} else if (ver == 6) {
		ep->family = AF_INET6;
		bpf_probe_read_kernel(ep->addr, 16, head + nh + 8);
	} else {
		return -1;
	}
	bpf_probe_read_kernel(&sport, 2, head + th);
	ep->port = __builtin_bswap16(sport);
	ep->netns = dev ? BPF_CORE_READ(dev, nd_net.net, ns.inum) : 0;
	return 0;
}

/* tcp:tcp_send_reset: per peer (destination of the RST). */
SEC("tp_btf/tcp_send_reset")
int BPF_PROG(on_send_reset, const struct sock *sk, const struct sk_buff *skb)
{
	struct tr_dest *d;
	struct tr_ep ep;

	if (sk)
		sk_peer(sk, &ep);
	else if (!skb || skb_peer(skb, &ep))
		return 0;
	if (!wanted(ep.netns))
		return 0;
	total_add(TR_T_RST_SENT, 1);
	d = get_or_zero(&dests, &ep, &zero_dest);
	if (d)
		d->rst_sent += 1;
	return 0;
}

/* tcp:tcp_receive_reset: per peer (the sender of the RST). */
SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(on_receive_reset, struct sock *sk)
{
	struct tr_dest *d;
	struct tr_ep ep;

	sk_peer(sk, &ep);
	if (!wanted(ep.netns))
		return 0;
	total_add(TR_T_RST_RECV, 1);
	d = get_or_zero(&dests, &ep, &zero_dest);
	if (d)
		d->rst_recv += 1;
	return 0;
}

/* skb:kfree_skb: a histogram of drop reasons (SKB_CONSUMED is not a drop). */
SEC("tp_btf/kfree_skb")
int BPF_PROG(on_kfree_skb, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	struct net_device *dev;
	struct sock *sk;
	__u32 slot = (__u32)reason;
	__u64 *v;

	if (reason == SKB_CONSUMED)
		return 0;
	if (targ_netns) {
		__u32 ns = 0;

		dev = skb->dev;
		sk = skb->sk;
		if (dev)
			ns = dev->nd_net.net->ns.inum;
		else if (sk)
			ns = sk_netns(sk);
		if (ns != targ_netns)
			return 0;
	}
	/* Subsystem reasons (the upper 16 bits) and unknown ones share the last slot. */
	if (slot >= TR_MAX_REASONS)
		slot = TR_MAX_REASONS - 1;
	v = bpf_map_lookup_elem(&drops, &slot);
	if (v)
		*v += 1;
	total_add(TR_T_DROPS, 1);
	return 0;
}
