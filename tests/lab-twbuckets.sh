#!/bin/sh
# Lab scenario 2, TIME_WAIT bucket overflow: the server closes first, so
# TIME_WAIT lands on the server, whose tcp_max_tw_buckets is low. Past the
# limit the kernel closes sockets without TIME_WAIT and counts TcpExt
# TCPTimeWaitOverflow (inet_twsk_alloc(), net/ipv4/inet_timewait_sock.c).
# headroom audit on the server must flag timewait.buckets; after
# 'headroom apply --fix' the counter must stop growing under the same load.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab-lib.sh"

lab_requires tcpgen audit apply
lab_two_hosts

R=${LAB_RATE:-20}
D=10 # seconds of load per run
max=50
port=5775
dest="$LAB_S_IP:$port"
lab_sysctl "$LAB_S" net.ipv4.tcp_max_tw_buckets "$max"
hr_bg "$LAB_S" "$LAB_HELPERS/tcpgen" server --listen "$dest" --close server --duration 120
lab_wait_listen "$LAB_S" "$port"

# 1. Reproduce: D seconds of load, an audit on the server in the middle.
ov0=$(lab_counter "$LAB_S" TcpExt TCPTimeWaitOverflow)
hr_bg "$LAB_C" sh -c "exec '$LAB_HELPERS/tcpgen' client --connect $dest --rate $R --duration $D --close server >'$T/run1.out'"
pid=$HR_LASTPID
sleep $((D / 2))
lab_audit "$LAB_S" "$T/audit.json"
lab_wait_pid "$pid" $((D + 10)) "tcpgen client (run 1)"
ov1=$(lab_counter "$LAB_S" TcpExt TCPTimeWaitOverflow)
note "run 1: $(tail -n 1 "$T/run1.out"); TCPTimeWaitOverflow +$((ov1 - ov0))"
[ $((ov1 - ov0)) -gt 0 ] || fail "no TCPTimeWaitOverflow with tcp_max_tw_buckets=$max at $R conn/s"
f=$(lab_finding "$T/audit.json" timewait.buckets)
[ -n "$f" ] || fail "audit on the server reports no timewait.buckets finding"
sev=$(lab_field "$f" 'f["severity"]')
case "$sev" in critical | warning) ;; *) fail "timewait.buckets severity is '$sev' while TIME_WAIT overflows" ;; esac
need=$(lab_metric "$f" timewait_need)
connected=$(lab_kv "$T/run1.out" connected)

# 2. Apply the fix; the same load must not overflow any more.
lab_headroom "$LAB_S" apply --fix --state-dir "$T/state" || fail "headroom apply --fix failed"
newmax=$(lab_sysctl_get "$LAB_S" net.ipv4.tcp_max_tw_buckets)
[ "$newmax" -gt "$max" ] || fail "apply --fix left tcp_max_tw_buckets at $newmax"
hr_in "$LAB_C" "$LAB_HELPERS/tcpgen" client --connect "$dest" --rate "$R" --duration "$D" --close server >"$T/run2.out" || true
ov2=$(lab_counter "$LAB_S" TcpExt TCPTimeWaitOverflow)
tw=$(hr_in "$LAB_S" awk '$1 == "TCP:" { for (i = 2; i < NF; i++) if ($i == "tw") print $(i + 1) }' /proc/net/sockstat)
note "run 2: $(tail -n 1 "$T/run2.out"); TCPTimeWaitOverflow +$((ov2 - ov1)); TIME_WAIT now $tw"
# Steady state of the real load: R conn/s x 60 s of TIME_WAIT (TCP_TIMEWAIT_LEN).
steady=$(lab_calc "$R * 60")
lab_result "scenario 2: predicted TIME_WAIT need $need vs tcp_max_tw_buckets $max ($sev; the load's steady state is $R/s x 60 s = $steady), observed TCPTimeWaitOverflow +$((ov1 - ov0)) of $connected connections in $D s; after fix (tcp_max_tw_buckets $newmax) +$((ov2 - ov1))"
assert_eq "$((ov2 - ov1))" 0 "TCPTimeWaitOverflow growth after the fix (tcp_max_tw_buckets=$newmax, headroom predicted need $need, load needs $steady)"
echo ok
