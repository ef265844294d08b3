#!/bin/sh
# Lab scenario 3, accept queue overflow: a server with a small backlog that
# accepts slowly. Once the accept queue (backlog + 1) is full, the kernel
# drops SYNs and handshake-completing ACKs and counts TcpExt ListenOverflows
# and ListenDrops (tcp_conn_request(), tcp_check_req() -> tcp_v4_syn_recv_sock(),
# net/ipv4/tcp_input.c, tcp_ipv4.c); connections whose final ACK was dropped
# sit in SYN_RECV on the server while the client believes them established.
# headroom audit on the server must flag listen.queue for that listener and
# name the overflow counters.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab-lib.sh"

lab_requires tcpgen audit
lab_two_hosts

R=${LAB_RATE:-20}
D=8
backlog=4
port=5776
dest="$LAB_S_IP:$port"
hr_bg "$LAB_S" "$LAB_HELPERS/tcpgen" server --listen "$dest" --backlog "$backlog" --accept slow:500 --close client --duration 60
lab_wait_listen "$LAB_S" "$port"

lo0=$(lab_counter "$LAB_S" TcpExt ListenOverflows)
ld0=$(lab_counter "$LAB_S" TcpExt ListenDrops)
hr_bg "$LAB_C" sh -c "exec '$LAB_HELPERS/tcpgen' client --connect $dest --rate $R --duration $D --close client >'$T/run.out'"
pid=$HR_LASTPID
# Sample SYN_RECV on the server while the load runs (bounded: D seconds).
synrecv=0
i=0
while [ $i -lt $((D * 2)) ]; do
	n=$(hr_in "$LAB_S" ss -Htn state syn-recv "sport = :$port" | wc -l)
	[ "$n" -le "$synrecv" ] || synrecv=$n
	[ $i -ne $D ] || lab_audit "$LAB_S" "$T/audit.json"
	sleep 0.5
	i=$((i + 1))
done
lab_wait_pid "$pid" 30 "tcpgen client"
lo1=$(lab_counter "$LAB_S" TcpExt ListenOverflows)
ld1=$(lab_counter "$LAB_S" TcpExt ListenDrops)
note "run: $(tail -n 1 "$T/run.out"); ListenOverflows +$((lo1 - lo0)), ListenDrops +$((ld1 - ld0)), SYN_RECV up to $synrecv"
[ $((lo1 - lo0)) -gt 0 ] || fail "no ListenOverflows with backlog $backlog and slow accept at $R conn/s"
[ "$synrecv" -gt 0 ] || fail "no connection seen in SYN_RECV on the server while the accept queue overflowed"

f=$(lab_finding "$T/audit.json" listen.queue ":$port")
[ -n "$f" ] || fail "audit on the server reports no listen.queue finding for port $port"
sev=$(lab_field "$f" 'f["severity"]')
case "$sev" in critical | warning) ;; *) fail "listen.queue severity is '$sev' while the accept queue overflows" ;; esac
echo "$f" | grep -Eq 'ListenOverflows|ListenDrops' || fail "listen.queue does not name ListenOverflows/ListenDrops: $f"
queue=$(lab_metric "$f" queue)
qmax=$(lab_metric "$f" backlog)
ovs=$(lab_metric "$f" overflows_per_s 2>/dev/null | awk '{ printf "%.1f/s", $1 }') || ovs=unknown
obs_rate=$(awk -v n=$((lo1 - lo0)) -v d="$(lab_kv "$T/run.out" elapsed_s)" 'BEGIN { printf "%.1f/s", n / d }')
lab_result "scenario 3: predicted listen.queue $sev on $(lab_field "$f" 'f["subject"]') (accept queue $queue/$qmax, ListenOverflows $ovs), observed ListenOverflows +$((lo1 - lo0)) ($obs_rate over the run), ListenDrops +$((ld1 - ld0)), up to $synrecv connections in SYN_RECV"
echo ok
