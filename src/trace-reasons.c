/* trace-reasons.c: what each kernel drop reason means, in one sentence
 * (enum skb_drop_reason, include/net/dropreason-core.h; the names are read
 * from the running kernel's BTF by trace.c, so the numbers always match).
 * A catalogue as data: one row per reason. May call: libc. */
#include "config.h"

#include <string.h>

#include "trace.h"

static const struct {
	const char *name, *meaning;
} reasons[] = {
	{"NOT_SPECIFIED", "Freed through kfree_skb() without a reason: many paths, not necessarily a fault."},
	{"NO_SOCKET", "No socket matched the packet: a closed port, or a connection already gone (answered by RST for TCP)."},
	{"SOCKET_CLOSE", "The socket was closed with data still in its receive queue."},
	{"PKT_TOO_SMALL", "The packet was shorter than its headers say."},
	{"TCP_CSUM", "A TCP segment with a bad checksum."},
	{"SOCKET_FILTER", "A socket filter (SO_ATTACH_FILTER, BPF) rejected the packet."},
	{"UDP_CSUM", "A UDP datagram with a bad checksum."},
	{"NETFILTER_DROP", "A netfilter rule (nftables/iptables) dropped the packet."},
	{"OTHERHOST", "The packet was for another host's MAC address (promiscuous capture or a switch flooding)."},
	{"IP_CSUM", "An IPv4 header with a bad checksum."},
	{"IP_INHDR", "An IP header that is invalid (version, length)."},
	{"IP_RPFILTER", "Reverse-path filtering (rp_filter) dropped a packet whose source is not routed back via its interface."},
	{"UNICAST_IN_L2_MULTICAST", "A unicast IP packet inside a link-layer multicast or broadcast frame."},
	{"XFRM_POLICY", "No IPsec (xfrm) policy allowed the packet."},
	{"IP_NOPROTO", "No handler for the packet's IP protocol."},
	{"SOCKET_RCVBUFF", "The socket's receive buffer was full (raise its SO_RCVBUF or read faster)."},
	{"PROTO_MEM", "The protocol's memory limit (tcp_mem/udp_mem) was reached."},
	{"TCP_AUTH_HDR", "TCP-AO or MD5 signature missing or wrong."},
	{"TCP_MD5NOTFOUND", "A TCP MD5 signature was expected and missing."},
	{"TCP_MD5UNEXPECTED", "A TCP MD5 signature arrived where none was configured."},
	{"TCP_MD5FAILURE", "A TCP MD5 signature did not match."},
	{"SOCKET_BACKLOG", "The socket's backlog (data arriving while the socket is locked) was full."},
	{"TCP_FLAGS", "A TCP segment with an invalid combination of flags."},
	{"TCP_ABORT_ON_DATA", "Data arrived on a connection the application had already closed: it was reset."},
	{"TCP_ZEROWINDOW", "The peer sent data into a zero receive window."},
	{"TCP_OLD_DATA", "A TCP segment with data already received (a retransmission)."},
	{"TCP_OVERWINDOW", "A TCP segment beyond the advertised receive window."},
	{"TCP_OFOMERGE", "An out-of-order segment that overlapped data already queued."},
	{"TCP_RFC7323_PAWS", "PAWS rejected the segment: its timestamp is older than the connection's (RFC 7323)."},
	{"TCP_RFC7323_PAWS_ACK", "PAWS rejected a pure ACK with an old timestamp."},
	{"TCP_OLD_SEQUENCE", "A TCP segment entirely before the expected sequence number."},
	{"TCP_INVALID_SEQUENCE", "A TCP segment outside the acceptable sequence range."},
	{"TCP_INVALID_ACK_SEQUENCE", "A TCP ACK for data never sent, or too old."},
	{"TCP_RESET", "A RST arrived: the connection was torn down and its queued data dropped."},
	{"TCP_INVALID_SYN", "A SYN arrived on an established connection (or with invalid flags)."},
	{"TCP_CLOSE", "A segment arrived for a socket in CLOSE state."},
	{"TCP_FASTOPEN", "A TCP Fast Open cookie was not accepted."},
	{"TCP_OLD_ACK", "An ACK older than the last one seen."},
	{"TCP_TOO_OLD_ACK", "An ACK far older than anything still in flight."},
	{"TCP_ACK_UNSENT_DATA", "An ACK for data not yet sent."},
	{"TCP_OFO_QUEUE_PRUNE", "The out-of-order queue was pruned under memory pressure."},
	{"TCP_OFO_DROP", "An out-of-order segment was dropped (no room in the receive buffer)."},
	{"IP_OUTNOROUTES", "No route to send the packet out."},
	{"BPF_CGROUP_EGRESS", "A cgroup BPF egress program rejected the packet."},
	{"IPV6DISABLED", "IPv6 is disabled on the interface."},
	{"NEIGH_CREATEFAIL", "No neighbour (ARP/NDP) entry could be created: the table is full (gc_thresh3)."},
	{"NEIGH_FAILED", "Neighbour resolution (ARP/NDP) failed: the next hop did not answer."},
	{"NEIGH_QUEUEFULL", "Too many packets waited for neighbour resolution (unres_qlen)."},
	{"NEIGH_DEAD", "The neighbour entry was being removed."},
	{"TC_EGRESS", "A tc egress filter dropped the packet."},
	{"QDISC_DROP", "The egress queueing discipline dropped the packet (its queue was full)."},
	{"CPU_BACKLOG", "The per-CPU input backlog was full (net.core.netdev_max_backlog)."},
	{"XDP", "An XDP program dropped the packet."},
	{"TC_INGRESS", "A tc ingress filter dropped the packet."},
	{"UNHANDLED_PROTO", "No handler for the packet's link-layer protocol."},
	{"SKB_CSUM", "A checksum computation on the packet failed."},
	{"SKB_GSO_SEG", "Segmenting a GSO packet failed."},
	{"SKB_UCOPY_FAULT", "Copying data from user space failed."},
	{"DEV_HDR", "Building the device header failed."},
	{"DEV_READY", "The device was not up or not ready."},
	{"FULL_RING", "The device's transmit ring was full."},
	{"NOMEM", "Out of memory while handling the packet."},
	{"HDR_TRUNC", "The packet was truncated inside its headers."},
	{"TAP_FILTER", "A TUN/TAP filter dropped the packet."},
	{"TAP_TXFILTER", "A TUN/TAP transmit filter dropped the packet."},
	{"ICMP_CSUM", "An ICMP message with a bad checksum."},
	{"INVALID_PROTO", "The packet's protocol is not valid here."},
	{"IP_INADDRERRORS", "The destination address is not valid for this host (IP InAddrErrors)."},
	{"IP_INNOROUTES", "No route for an incoming packet (IP InNoRoutes)."},
	{"PKT_TOO_BIG", "The packet exceeded the MTU and could not be fragmented."},
	{"DUP_FRAG", "A duplicate IP fragment."},
	{"FRAG_REASM_TIMEOUT", "IP fragment reassembly timed out (a fragment never came)."},
	{"FRAG_TOO_FAR", "An IP fragment too far ahead of the others (ipfrag_max_dist)."},
	{"TCP_MINTTL", "A TCP segment below the socket's minimum TTL (IP_MINTTL)."},
	{"IPV6_BAD_EXTHDR", "An invalid IPv6 extension header."},
	{"IPV6_NDISC_FRAG", "A fragmented IPv6 neighbour-discovery message."},
	{"IPV6_NDISC_HOP_LIMIT", "An IPv6 neighbour-discovery message with a hop limit other than 255."},
	{"IPV6_NDISC_BAD_CODE", "An IPv6 neighbour-discovery message with a non-zero code."},
	{"IPV6_NDISC_BAD_OPTIONS", "An IPv6 neighbour-discovery message with invalid options."},
	{"IPV6_NDISC_NS_OTHERHOST", "An IPv6 neighbour solicitation for another host."},
	{"QUEUE_PURGE", "A queue was purged (the socket or device went away)."},
	{"TC_COOKIE_ERROR", "A tc action cookie was invalid."},
	{"PACKET_SOCK_ERROR", "A packet socket could not take the packet."},
	{"TC_CHAIN_NOTFOUND", "A tc goto_chain target does not exist."},
	{"TC_RECLASSIFY_LOOP", "tc reclassified the packet too many times."},
	{"TUNNEL_TXINFO", "Tunnel transmit metadata was missing."},
	{"LOCAL_MAC", "A frame whose source MAC is this host's own."},
	{"ARP_PVLAN_DISABLE", "Proxy ARP for private VLANs is disabled."},
	{"MAC_IS_MULTICAST", "A multicast source MAC address."},
	{"SUBSYSTEM_OR_UNKNOWN", "A subsystem's own reason (mac80211, openvswitch) or one above headroom's table."},
	{NULL, NULL},
};

const char *hr_trace_drop_meaning(const char *name)
{
	int i;

	for (i = 0; reasons[i].name; i++)
		if (!strcmp(reasons[i].name, name))
			return reasons[i].meaning;
	return NULL;
}
