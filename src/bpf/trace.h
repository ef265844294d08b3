/* src/bpf/trace.h: what the BPF collector (trace.bpf.c) and its loader
 * (src/trace.c) share: the keys and values of its maps and their sizes.
 * Every map is bounded: an LRU hash evicts its least recently used entry
 * when full, the per-CPU arrays are fixed; the sizes below and the memory
 * they take are in headroom-trace(8). */
#ifndef HR_BPF_TRACE_H
#define HR_BPF_TRACE_H

/* Map sizes (entries). headroom-trace(8) states them with their memory. */
#define TR_MAX_DESTS 4096     /* per destination (outbound) and per peer (RSTs) */
#define TR_MAX_LISTENERS 1024 /* per local listener */
#define TR_MAX_FAILS 4096     /* connect() failures per (process, destination, errno) */
#define TR_MAX_SOCKS 65536    /* sockets born while tracing, until they close */
#define TR_MAX_BINDS 1024     /* bind() before connect() per (process, destination) */
#define TR_MAX_REASONS 512    /* drop reasons (enum skb_drop_reason; 130 on 6.18) */

/* The errnos connect() failures are counted by; the rest go to TR_E_OTHER. */
enum tr_errno_slot {
	TR_E_ADDRNOTAVAIL, /* 99: no local port left toward this destination */
	TR_E_ADDRINUSE,    /* 98: the bound port's 4-tuple is taken */
	TR_E_AGAIN,        /* 11: no port left (connected UDP, older kernels' TCP) */
	TR_E_CONNREFUSED,  /* 111: the peer answered RST */
	TR_E_TIMEDOUT,     /* 110: no answer to the SYNs */
	TR_E_OTHER,
	TR_E_N
};

/* Slots of the per-CPU "totals" array. */
enum tr_total {
	TR_T_CONNECT_CALLS,  /* TCP connect() calls that reached the port choice (CLOSE -> SYN_SENT) */
	TR_T_CONNECT_FAILED, /* of them, failed with an errno (port choice, RST, timeout, ICMP) */
	TR_T_FAIL_BY_ERRNO,  /* TR_E_N slots from here: failures by errno */
	TR_T_ACTIVE_OPENS = TR_T_FAIL_BY_ERRNO + TR_E_N, /* CLOSE -> SYN_SENT */
	TR_T_PASSIVE_OPENS,  /* SYN_RECV -> ESTABLISHED */
	TR_T_CLOSED,         /* -> CLOSE */
	TR_T_SYNACK_RETRANS,
	TR_T_RST_SENT,
	TR_T_RST_RECV,
	TR_T_DROPS,
	TR_T_LOST,           /* an update a full map could not take */
	TR_T_BOUND,          /* connect() on a socket bind() had bound (port, address or IP_BIND_ADDRESS_NO_PORT) */
	TR_T_BOUND_PORT,     /* of them, a port was already taken by bind() */
	TR_T_BOUND_NO_PORT,  /* of them, IP_BIND_ADDRESS_NO_PORT was set */
	TR_T_BOUND_REUSEADDR,/* of them, SO_REUSEADDR was set */
	TR_T_N
};

/* An endpoint: IPv4 in the first 4 bytes of addr; port in host order. */
struct tr_ep {
	__u8 addr[16];
	__u16 port;
	__u16 family; /* AF_INET 2, AF_INET6 10 */
	__u32 netns;  /* network namespace inode */
};

/* Per destination of outbound connections (and per peer of RSTs). */
struct tr_dest {
	__u64 opens;        /* connections started toward it (CLOSE -> SYN_SENT) */
	__u64 established;  /* SYN_SENT -> ESTABLISHED */
	__u64 failed_open;  /* SYN_SENT -> CLOSE: refused, timed out, aborted */
	__u64 closed;       /* established connections that ended */
	__u64 local_first;  /* of them, this side sent FIN first */
	__u64 remote_first; /* the peer sent FIN first */
	__u64 life_ns_sum;  /* lifetimes (SYN_SENT to CLOSE) of the closed ones */
	__u64 life_ns_max;
	__u64 rst_sent;
	__u64 rst_recv;
	__u64 fail[TR_E_N]; /* connect() failures by errno (every process) */
};

/* Per local listener (addr is the bound address, port the listening port). */
struct tr_listener {
	__u64 opens;        /* connections accepted (SYN_RECV -> ESTABLISHED) */
	__u64 closed;
	__u64 local_first;  /* the server sent FIN first */
	__u64 remote_first;
	__u64 life_ns_sum;
	__u64 life_ns_max;
	__u64 synack_retrans;
};

/* connect() failures per process, destination and errno. */
struct tr_fail_key {
	struct tr_ep dst;
	__u32 pid;   /* thread group id */
	__u32 err;   /* positive errno */
	__u64 cgroup; /* cgroup v2 id */
	char comm[16];
};
struct tr_fail {
	__u64 count;
	__u64 first_ns, last_ns; /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
};

/* bind() before connect(), per process and destination: how the socket
 * was bound when connect() started (CLOSE -> SYN_SENT). */
struct tr_bind_key {
	struct tr_ep dst;
	__u32 pid;
	__u32 pad;
	char comm[16];
};
struct tr_bind {
	__u64 connects;  /* connect() calls on a socket bind() had bound */
	__u64 port;      /* bind() took the local port (inet_num set): unique across destinations */
	__u64 addr;      /* bind() set a local address (SOCK_BINDADDR_LOCK) */
	__u64 no_port;   /* IP_BIND_ADDRESS_NO_PORT set: the port is chosen by connect() */
	__u64 reuseaddr; /* SO_REUSEADDR set */
	__u64 reuseport; /* SO_REUSEPORT set */
};

/* A socket born while tracing (key: its address in the kernel). */
struct tr_sock {
	__u64 born_ns;
	__u8 passive;  /* accepted (per listener) rather than connected */
	__u8 closer;   /* 0 nobody yet, 1 this side, 2 the peer */
	__u8 established;
	__u8 pad;
	__u32 pid;     /* the process that called connect() (thread group id); 0 accepted */
};

#endif
