#!/bin/sh
# Lab scenario 4, dead peer: the server's link goes down mid-transfer and the
# client's socket errors after the tcp_retries2 give-up time headroom computes.
#
# Topology: client and server hang off a bridge in a third namespace, and the
# server's interface is set down (ip link set dev X down in the server ns): the
# client's own carrier stays up, as when a peer dies behind a switch or router.
# The client gets a permanent neighbour entry for the server so that ARP
# failure (which would report EHOSTUNREACH through a local ICMP error) cannot
# interfere: only TCP's retransmission timer decides.
#
# Clock: the kernel measures the give-up time from tp->retrans_stamp, saved at
# the first RTO retransmission (tcp_retransmit_skb(), net/ipv4/tcp_output.c),
# not from the first unacknowledged send; deadpeer reports both and the bounds
# are checked on the first: T <= observed < T + one maximum RTO (plus the timer
# wheel's slack, at most 1/8 of a timeout, kernel/time/timer.c).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab-lib.sh"

lab_requires deadpeer audit
lab_two_hosts switch

mac=$(ip -n "$LAB_S" link show dev "$LAB_S_DEV" | awk '/link\/ether/ { print $2 }')
ip -n "$LAB_C" neigh replace "$LAB_S_IP" lladdr "$mac" dev "$LAB_C_DEV" nud permanent
port=7004
hr_bg "$LAB_S" "$LAB_HELPERS/deadpeer" server --listen "$LAB_S_IP:$port" --duration 60
lab_wait_listen "$LAB_S" "$port"

# dp_case N RTO_MAX_MS: one dead-peer run with tcp_retries2=N on the client.
dp_case() {
	local n=$1 rto_max_ms=$2 f give_up rto_max obs obs_unacked hi pid
	lab_sysctl "$LAB_C" net.ipv4.tcp_retries2 "$n"
	[ -z "$rto_max_ms" ] || lab_sysctl "$LAB_C" net.ipv4.tcp_rto_max_ms "$rto_max_ms"
	lab_audit "$LAB_C" "$T/audit-$n.json"
	f=$(lab_finding "$T/audit-$n.json" timeouts.retries2)
	[ -n "$f" ] || fail "audit reports no timeouts.retries2 finding: $(head -c 400 "$T/audit-$n.json")"
	give_up=$(lab_metric "$f" give_up_s giveup_s give_up timeout_s) || fail "timeouts.retries2 has no give-up time"
	# One maximum RTO: tcp_rto_max_ms (120 s before it became a sysctl in 6.15).
	rto_max=$(lab_metric "$f" rto_max_s 2>/dev/null) ||
		rto_max=$(awk -v m="$(lab_sysctl_get "$LAB_C" net.ipv4.tcp_rto_max_ms 2>/dev/null || echo 120000)" \
			'BEGIN { print m / 1000 }')

	ip -n "$LAB_S" link set dev "$LAB_S_DEV" up
	hr_bg "$LAB_C" sh -c "exec '$LAB_HELPERS/deadpeer' client --connect $LAB_S_IP:$port --max-s 40 >'$T/dp-$n.out'"
	pid=$HR_LASTPID
	lab_wait_line "$T/dp-$n.out" '^connected' 5
	sleep 0.5
	ip -n "$LAB_S" link set dev "$LAB_S_DEV" down
	lab_wait_pid "$pid" 45 "deadpeer client"
	note "tcp_retries2=$n: $(tail -n 1 "$T/dp-$n.out")"
	assert_eq "$(lab_kv "$T/dp-$n.out" errno)" ETIMEDOUT "client socket error"
	obs=$(lab_kv "$T/dp-$n.out" since_first_rto_s)
	obs_unacked=$(lab_kv "$T/dp-$n.out" since_first_unacked_s)
	hi=$(lab_calc "$give_up + $rto_max * 1.125 + 0.02")
	awk -v o="$obs" -v lo="$give_up" -v hi="$hi" 'BEGIN { exit !(o >= lo - 0.01 && o <= hi) }' ||
		fail "tcp_retries2=$n: socket died ${obs} s after the first retransmission, outside [$give_up, $hi] s"
	lab_result "scenario 4 (tcp_retries2=$n, max RTO $rto_max s): predicted T=$(lab_round "$give_up") s, window T..T+$rto_max s after the first retransmission; observed T=$(lab_round "$obs") s (diff $(lab_pct "$obs" "$give_up")%; $(lab_round "$obs_unacked") s after the first unacknowledged send)"
}

dp_case 3 ""
if [ -e /proc/sys/net/ipv4/tcp_rto_max_ms ]; then
	dp_case 5 1000
else
	note "tcp_rto_max_ms absent on this kernel (before 6.15): lowered-maximum case not run"
fi
echo ok
