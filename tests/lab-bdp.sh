#!/bin/sh
# Lab: buffers against the bandwidth-delay product (rules/buffers.yaml,
# buffers.bdp). This kernel has neither netem nor fq, so the path is two
# TUN devices (one per namespace) and tests/helpers/tundelay between them:
# 25 ms each way (50 ms RTT) and a 50 Mbit/s bottleneck with a drop-tail
# queue. iperf3 sends from the client to the server.
#  1. Default buffers (tcp_wmem max 4 MiB > 2 x BDP = 625 KB): buffers.bdp
#     stays OK for the flow.
#  2. tcp_wmem/tcp_rmem max lowered to 64 KiB in the client namespace: the
#     audit, run during the flow, names the destination, says this side's
#     send buffer holds it back, and predicts the throughput after its fix.
#  3. The fix applied in the namespace (headroom apply --set, private state
#     dir): iperf3's throughput is within 20% of the prediction.
#  4. The server's tcp_rmem max lowered instead: the audit says the peer's
#     receive window holds the flow back and its fix is the peer's tcp_rmem;
#     set there, the flow gets at least the predicted rate (the window is
#     more than half the buffer, how much more is the peer's).
#  5. The receive side: the server sends (iperf3 -R) and the client's
#     tcp_rmem max is lowered to 128 KiB: the audit in the client names this
#     host's receive buffer (buffers.rcvbuf: rcvbuf at tcp_rmem[2]) and
#     predicts the throughput after its fix; applied, iperf3's received
#     throughput is within 20% of the prediction.
#  6. An application that sets its own send buffer (SO_SNDBUF 32768: the
#     kernel locks sk_sndbuf at 65,536) with the default tcp_wmem max: the
#     buffer held the flow back and did not grow, which autotuning would
#     have done: the audit says the application set it (SO_SNDBUF) and the
#     fix is the application's, not tcp_wmem.
#  7. Uploads to a server here: iperf3 -s in the client namespace (bound to
#     its address), the other namespace sends, this host's tcp_rmem max
#     128 KiB: buffers.rcvbuf-in names the listening port and this host's
#     receive buffer; the fix applied, the received throughput is within
#     20% of the prediction.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab-lib.sh"

lab_requires audit
lab_need_helper tundelay "make check builds it"
hr_need_tool iperf3 iperf3
[ -c /dev/net/tun ] || skip "no /dev/net/tun"

C="hr-buf-$$-c"
S="hr-buf-$$-s"
ip netns add "$C" && ip netns add "$S" || fail "cannot create namespaces $C, $S"
HR_NS_LIST="$HR_NS_LIST $C $S"
ip -n "$C" link set lo up
ip -n "$S" link set lo up
C_IP=10.198.0.1
S_IP=10.198.0.2
RATE_BPS=${LAB_BDP_RATE:-6250000} # 50 Mbit/s
"$LAB_HELPERS/tundelay" --ns-a "/run/netns/$C" --dev-a tbc --ns-b "/run/netns/$S" --dev-b tbs --delay 25 \
	--rate "$RATE_BPS" --queue 2000000 --seconds 200 >"$T/relay.out" 2>&1 &
HR_PIDS="$HR_PIDS $!"
for i in $(seq 50); do grep -q ready "$T/relay.out" 2>/dev/null && break; sleep 0.1; done
grep -q ready "$T/relay.out" || fail "tundelay did not start: $(cat "$T/relay.out")"
ip -n "$C" addr add "$C_IP" peer "$S_IP" dev tbc
ip -n "$S" addr add "$S_IP" peer "$C_IP" dev tbs
ip -n "$C" link set tbc up
ip -n "$S" link set tbs up
hr_bg "$S" iperf3 -s -p 5201
SRV=$HR_LASTPID
lab_wait_listen "$S" 5201
dest="$S_IP:5201"

# One iperf3 run of $1 s from the client, an audit $2 s into it (into
# $3.json); prints the sender's throughput in Mbit/s (REVERSE=1: the
# server sends, iperf3 -R, and the client's received throughput).
run_flow() {
	hr_in "$C" timeout $(($1 + 30)) iperf3 -c "$S_IP" -p 5201 -t "$1" -J ${REVERSE:+-R} >"$T/$3.iperf" 2>&1 &
	local pid=$!
	if [ -n "$2" ]; then
		sleep "$2"
		lab_audit "$C" "$T/$3.json"
		# The same finding through the rule's present: in Prometheus form.
		hr_in "$C" "$HR_BIN" audit --format prometheus >"$T/$3.prom" 2>"$T/$3.prom.err" || true
	fi
	wait "$pid" || fail "iperf3 failed: $(head -c 600 "$T/$3.iperf")"
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["end"][sys.argv[2]]["bits_per_second"] / 1e6)' \
		"$T/$3.iperf" "$([ -n "${REVERSE:-}" ] && echo sum_received || echo sum_sent)" || fail "no iperf3 result: $(head -c 600 "$T/$3.iperf")"
}

# held_back RUN WHAT MBITS SIDE: the audit of RUN has buffers.bdp at
# WARNING for the destination, its message naming SIDE; sets f and msg.
held_back() {
	f=$(lab_finding "$T/$1.json" buffers.bdp "$dest")
	[ -n "$f" ] || fail "$2: no buffers.bdp finding for $dest ($3 Mbit/s)"
	local sev
	sev=$(lab_field "$f" 'f["severity"]')
	msg=$(lab_field "$f" 'f["message"]')
	note "$2: $3 Mbit/s; buffers.bdp $sev: $msg"
	[ "$sev" = warning ] || fail "$2 at $3 Mbit/s: buffers.bdp is $sev, not warning: $msg"
	case $msg in *"$dest"*"$4"*) ;; *) fail "the message does not name $dest and $4: $msg" ;; esac
}

# 1. Default buffers: the flow fills the 50 Mbit/s path, its buffers are above 2 x BDP.
note "client tcp_wmem: $(lab_sysctl_get "$C" net.ipv4.tcp_wmem)"
quiet=$(run_flow 8 3 quiet)
f=$(lab_finding "$T/quiet.json" buffers.bdp "$dest")
[ -n "$f" ] || fail "default buffers: no buffers.bdp finding for $dest (throughput $quiet Mbit/s; sockets: $(hr_in "$C" ss -tin dst "$S_IP" | tr '\n' ' '))"
sev=$(lab_field "$f" 'f["severity"]')
note "quiet flow: $quiet Mbit/s; buffers.bdp $sev: $(lab_field "$f" 'f["message"]')"
assert_eq "$sev" ok "buffers.bdp with tcp_wmem max 4 MiB (2 x BDP $(lab_metric "$f" need) bytes, $quiet Mbit/s)"

# 2. Buffer maxima lowered in the client namespace: held back by the send buffer.
# (lab_sysctl wants the hr$$- namespaces; these are hr-buf-$$-*.)
for kv in "net.ipv4.tcp_wmem=4096 16384 65536" "net.ipv4.tcp_rmem=4096 65536 65536"; do
	hr_in "$C" sysctl -qw "$kv" || fail "cannot set $kv in $C"
	assert_eq "$(lab_sysctl_get "$C" "${kv%%=*}")" "${kv#*=}" "${kv%%=*} in $C"
done
before=$(run_flow 8 3 short)
held_back short "tcp_wmem max 64 KiB" "$before" "this side's send buffer"
grep -q "rule=\"buffers.bdp\".*$dest\|$dest.*rule=\"buffers.bdp\"" "$T/short.prom" ||
	fail "no buffers.bdp series for $dest in the Prometheus output: $(grep buffers "$T/short.prom" | head -c 600)"
predicted=$(lab_metric "$f" mbit_after)
now=$(lab_metric "$f" mbit_now)
limited=$(lab_metric "$f" sndbuf_limited)
wmem=$(lab_field "$f" '[x for x in f["fixes"] if x.get("settings")][0]["settings"]["net.ipv4.tcp_wmem"]') ||
	fail "buffers.bdp offers no tcp_wmem fix: $(lab_field "$f" 'f["fixes"]')"

# 3. The fix, then the same flow again.
lab_headroom "$C" apply --set "net.ipv4.tcp_wmem=$wmem" --state-dir "$T/state" ||
	fail "headroom apply --set net.ipv4.tcp_wmem=$wmem failed"
assert_eq "$(lab_sysctl_get "$C" net.ipv4.tcp_wmem)" "$wmem" "tcp_wmem after the apply"
after=$(run_flow 8 "" fixed)
lab_result "buffers: 50 ms RTT, 50 Mbit/s path: default buffers $(lab_round "$quiet" 1) Mbit/s (OK); tcp_wmem max 64 KiB $(lab_round "$before" 1) Mbit/s (sndbuf-limited $(lab_round "$(lab_calc "$limited * 100")" 0)%, cap seen $(lab_round "$now" 1)); fix tcp_wmem = $wmem predicts $(lab_round "$predicted" 1) Mbit/s, measured $(lab_round "$after" 1) (diff $(lab_pct "$after" "$predicted")%)"
awk -v p="$predicted" -v o="$after" 'BEGIN { d = (o - p) / p; if (d < 0) d = -d; exit !(d <= 0.20) }' ||
	fail "after tcp_wmem = $wmem: measured $after Mbit/s, predicted $predicted Mbit/s: more than 20% apart (before: $before Mbit/s)"

# 4. The other side: default buffers here, the server's receive buffer max
#    64 KiB: held back by the peer's window; the fix is the peer's tcp_rmem
#    (applied there), and the flow gets at least the predicted rate.
hr_in "$C" sysctl -qw "net.ipv4.tcp_wmem=4096 16384 4194304" "net.ipv4.tcp_rmem=4096 131072 6291456" >/dev/null ||
	fail "cannot restore the client's buffers"
hr_in "$S" sysctl -qw "net.ipv4.tcp_rmem=4096 65536 65536" >/dev/null || fail "cannot set the server's tcp_rmem"
# A new server: an accepted socket starts with its listener's buffer
# (tcp_rmem[1] when it was made), which autotuning never shrinks.
kill "$SRV" 2>/dev/null || true
wait "$SRV" 2>/dev/null || true
hr_bg "$S" iperf3 -s -p 5201
lab_wait_listen "$S" 5201
pbefore=$(run_flow 8 3 peer)
held_back peer "server tcp_rmem max 64 KiB" "$pbefore" "peer's receive window"
fix=$(lab_field "$f" 'f["fixes"][0]["text"]')
case $fix in *"tcp_rmem"*"on the peer"* | *"on the peer"*"tcp_rmem"*) ;; *) fail "the first fix is not the peer's tcp_rmem: $fix" ;; esac
ppred=$(lab_metric "$f" mbit_after)
prmem=$(lab_metric "$f" peer_rmem)
hr_in "$S" sysctl -qw "net.ipv4.tcp_rmem=4096 65536 $(lab_round "$prmem" 0)" >/dev/null || fail "cannot set the server's tcp_rmem"
pafter=$(run_flow 8 "" peerfixed)
lab_result "buffers, peer side: server tcp_rmem max 64 KiB $(lab_round "$pbefore" 1) Mbit/s (rwnd-limited $(lab_round "$(lab_calc "$(lab_metric "$f" rwnd_limited) * 100")" 0)%); the peer's tcp_rmem max $(lab_round "$prmem" 0) predicts at least $(lab_round "$ppred" 1) Mbit/s, measured $(lab_round "$pafter" 1)"
awk -v p="$ppred" -v o="$pafter" 'BEGIN { exit !(o >= 0.8 * p) }' ||
	fail "after the peer's tcp_rmem max $prmem: measured $pafter Mbit/s, predicted at least $ppred Mbit/s"

# 5. A download held back by this host's receive buffer.
hr_in "$C" sysctl -qw "net.ipv4.tcp_rmem=4096 65536 131072" >/dev/null || fail "cannot set the client's tcp_rmem"
export REVERSE=1
rbefore=$(run_flow 8 4 rcv)
# rcv_held RUN RULE SUBJECT WHAT MBITS: the audit of RUN has RULE at
# WARNING for SUBJECT naming this host's receive buffer; sets f, the
# prediction pred, the cap seen now and the tcp_rmem fix rfix.
rcv_held() {
	f=$(lab_finding "$T/$1.json" "$2" "$3")
	[ -n "$f" ] || fail "$4: no $2 finding for $3 ($5 Mbit/s)"
	local sev msg
	sev=$(lab_field "$f" 'f["severity"]')
	msg=$(lab_field "$f" 'f["message"]')
	note "$4: $5 Mbit/s; $2 $sev: $msg"
	[ "$sev" = warning ] || fail "$4 at $5 Mbit/s: $2 is $sev, not warning: $msg"
	case $msg in *"$3"*"this host's receive buffer"*) ;; *) fail "the message does not name $3 and this host's receive buffer: $msg" ;; esac
	pred=$(lab_metric "$f" mbit_after)
	now=$(lab_metric "$f" mbit_now)
	rfix=$(lab_field "$f" '[x for x in f["fixes"] if x.get("settings")][0]["settings"]["net.ipv4.tcp_rmem"]') ||
		fail "$2 offers no tcp_rmem fix: $(lab_field "$f" 'f["fixes"]')"
}
rcv_held rcv buffers.rcvbuf "$dest" "download, tcp_rmem max 128 KiB" "$rbefore"
rpred=$pred rnow=$now rmem=$rfix
lab_headroom "$C" apply --set "net.ipv4.tcp_rmem=$rmem" --state-dir "$T/state" ||
	fail "headroom apply --set net.ipv4.tcp_rmem=$rmem failed"
assert_eq "$(lab_sysctl_get "$C" net.ipv4.tcp_rmem)" "$rmem" "tcp_rmem after the apply"
rafter=$(run_flow 8 "" rcvfixed)
lab_result "buffers, receive side: iperf3 -R, client tcp_rmem max 128 KiB $(lab_round "$rbefore" 1) Mbit/s (cap seen $(lab_round "$rnow" 1)); fix tcp_rmem = $rmem predicts $(lab_round "$rpred" 1) Mbit/s, measured $(lab_round "$rafter" 1) (diff $(lab_pct "$rafter" "$rpred")%)"
awk -v p="$rpred" -v o="$rafter" 'BEGIN { d = (o - p) / p; if (d < 0) d = -d; exit !(d <= 0.20) }' ||
	fail "after tcp_rmem = $rmem: measured $rafter Mbit/s, predicted $rpred Mbit/s: more than 20% apart (before: $rbefore Mbit/s)"

# 6. SO_SNDBUF set by the application: a sink on the server, a sender
#    that locks its buffer (8 s), the audit 5 s in.
unset REVERSE
hr_bg "$S" python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("'"$S_IP"'", 5202)); s.listen(4); c, _ = s.accept()
while c.recv(1 << 20): pass'
lab_wait_listen "$S" 5202
hr_bg "$C" timeout 30 python3 -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 32768)
s.connect(("'"$S_IP"'", 5202)); b = b"x" * 65536; t = time.time()
while time.time() - t < 8: s.sendall(b)'
sleep 5
lab_audit "$C" "$T/own.json"
dest="$S_IP:5202"
held_back own "SO_SNDBUF 32768" "-" "set by the application with SO_SNDBUF"
fix=$(lab_field "$f" 'f["fixes"][0]["text"]')
case $fix in *"raise its SO_SNDBUF"*) ;; *) fail "the first fix is not the application's SO_SNDBUF: $fix" ;; esac
lab_result "buffers, SO_SNDBUF 32768 (sk_sndbuf locked at 65,536, tcp_wmem max 4 MiB): sndbuf-limited $(lab_round "$(lab_calc "$(lab_metric "$f" sndbuf_limited) * 100")" 0)%, named as the application's buffer; fix: $fix"

# 7. Uploads to a listening port here.
hr_in "$C" sysctl -qw "net.ipv4.tcp_rmem=4096 65536 131072" >/dev/null || fail "cannot set the client's tcp_rmem"
hr_bg "$C" iperf3 -s -p 5203 -B "$C_IP"
lab_wait_listen "$C" 5203
# upload RUN AUDIT-AFTER: 8 s from the server namespace; prints the Mbit/s received here.
upload() {
	hr_in "$S" timeout 40 iperf3 -c "$C_IP" -p 5203 -t 8 -J >"$T/$1.iperf" 2>&1 &
	local pid=$!
	[ -z "$2" ] || { sleep "$2"; lab_audit "$C" "$T/$1.json"; }
	wait "$pid" || fail "iperf3 upload failed: $(head -c 600 "$T/$1.iperf")"
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"] / 1e6)' \
		"$T/$1.iperf" || fail "no iperf3 result: $(head -c 600 "$T/$1.iperf")"
}
ubefore=$(upload up 4)
rcv_held up buffers.rcvbuf-in "$C_IP:5203" "upload, tcp_rmem max 128 KiB" "$ubefore"
upred=$pred urmem=$rfix
hr_in "$C" sysctl -qw "net.ipv4.tcp_rmem=$urmem" >/dev/null || fail "cannot set tcp_rmem=$urmem"
uafter=$(upload upfixed "")
lab_result "buffers, uploads to a port here: tcp_rmem max 128 KiB $(lab_round "$ubefore" 1) Mbit/s (cap seen $(lab_round "$now" 1)); fix tcp_rmem = $urmem predicts $(lab_round "$upred" 1) Mbit/s, measured $(lab_round "$uafter" 1) (diff $(lab_pct "$uafter" "$upred")%)"
awk -v p="$upred" -v o="$uafter" 'BEGIN { d = (o - p) / p; if (d < 0) d = -d; exit !(d <= 0.20) }' ||
	fail "uploads after tcp_rmem = $urmem: measured $uafter Mbit/s, predicted $upred Mbit/s: more than 20% apart (before: $ubefore Mbit/s)"
echo ok
