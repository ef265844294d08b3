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
D=20 # seconds of load
max=50
port=5775
dest="$LAB_S_IP:$port"
lab_sysctl "$LAB_S" net.ipv4.tcp_max_tw_buckets "$max"
hr_bg "$LAB_S" "$LAB_HELPERS/tcpgen" server --listen "$dest" --close server --duration 120
lab_wait_listen "$LAB_S" "$port"

# 1. Reproduce: one steady load of D seconds; the audit on the server 5 s in.
ov0=$(lab_counter "$LAB_S" TcpExt TCPTimeWaitOverflow)
hr_bg "$LAB_C" sh -c "exec '$LAB_HELPERS/tcpgen' client --connect $dest --rate $R --duration $D --close server >'$T/run.out'"
pid=$HR_LASTPID
sleep 5
lab_audit "$LAB_S" "$T/audit.json"
ov1=$(lab_counter "$LAB_S" TcpExt TCPTimeWaitOverflow)
[ $((ov1 - ov0)) -gt 0 ] || fail "no TCPTimeWaitOverflow with tcp_max_tw_buckets=$max at $R conn/s"
f=$(lab_finding "$T/audit.json" timewait.buckets)
[ -n "$f" ] || fail "audit on the server reports no timewait.buckets finding"
sev=$(lab_field "$f" 'f["severity"]')
case "$sev" in critical | warning) ;; *) fail "timewait.buckets severity is '$sev' while TIME_WAIT overflows" ;; esac
need=$(lab_metric "$f" timewait_need)
# What the load really keeps in TIME_WAIT: R conn/s x 60 s (TCP_TIMEWAIT_LEN).
steady=$(lab_calc "$R * 60")

# 2. Apply the fix while the load runs; from then on nothing may overflow.
lab_headroom "$LAB_S" apply --fix --state-dir "$T/state" || fail "headroom apply --fix failed"
newmax=$(lab_sysctl_get "$LAB_S" net.ipv4.tcp_max_tw_buckets)
ov2=$(lab_counter "$LAB_S" TcpExt TCPTimeWaitOverflow)
lab_wait_pid "$pid" $((D + 10)) "tcpgen client"
ov3=$(lab_counter "$LAB_S" TcpExt TCPTimeWaitOverflow)
tw=$(hr_in "$LAB_S" awk '$1 == "TCP:" { for (i = 2; i < NF; i++) if ($i == "tw") print $(i + 1) }' /proc/net/sockstat)
note "run: $(tail -n 1 "$T/run.out"); TCPTimeWaitOverflow +$((ov1 - ov0)) in the first 5 s, +$((ov3 - ov2)) after the fix; TIME_WAIT at the end $tw"
lab_result "scenario 2: predicted TIME_WAIT need=$need (load's steady state $R/s x 60 s = $steady, diff $(lab_pct "$need" "$steady")%) vs tcp_max_tw_buckets=$max ($sev), observed TCPTimeWaitOverflow +$((ov1 - ov0)) in 5 s; after fix tcp_max_tw_buckets=$newmax: +$((ov3 - ov2)) in the remaining $((D - 5)) s"
[ "$newmax" -gt "$max" ] || fail "apply --fix left tcp_max_tw_buckets at $newmax although timewait.buckets is $sev"
assert_eq "$((ov3 - ov2))" 0 "TCPTimeWaitOverflow growth after the fix (tcp_max_tw_buckets=$newmax)"
# The same load, sustained, needs $steady buckets: a smaller fix only delays the overflow.
[ "$newmax" -ge "${steady%.*}" ] || fail "the fix (tcp_max_tw_buckets=$newmax) is below the load's steady state of $steady TIME_WAIT sockets: overflow resumes after about $(lab_calc "$newmax / $R") s (headroom estimated the need at $need)"
echo ok
