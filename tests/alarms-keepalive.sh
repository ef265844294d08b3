#!/bin/sh
# Keepalive from live sockets (issue 22 item 2, the seed's netcat question):
# a router namespace between client and server is the middlebox: conntrack
# forgets an established flow idle for 2 s (nf_conntrack_tcp_timeout_established
# 2, no loose pickup) and drops what it no longer knows (ct state invalid),
# declared to headroom as middlebox_idle_timeout 2s. Two idle connections:
# one with SO_KEEPALIVE (TCP_KEEPIDLE 1 s) and one without (like netcat's).
# headroom audit on the client must warn keepalive.idle-timeout naming the
# socket without keepalive, put the per-socket fix first and score the
# tcp_keepalive_time fix as leaving the warning (it reaches only sockets
# with SO_KEEPALIVE); then one byte on each: the router passes the
# keepalive socket's and drops the other's, as the audit said. Quiet: only
# the keepalive socket, tcp_keepalive_time 1 in the client's namespace:
# OK, and its byte goes through.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab-lib.sh"

hr_require_netns
hr_need_tool nft nftables
[ -e /proc/sys/net/netfilter/nf_conntrack_max ] || skip "needs nf_conntrack"
port=5793
C_IP=10.197.1.1 R_IP1=10.197.1.2 R_IP2=10.197.2.1 S_IP=10.197.2.2
C=$(hr_ns kac)
R=$(hr_ns kar)
S=$(hr_ns kas)
HR_NS_LIST="$HR_NS_LIST $C $R $S"
hr_link "$C" "$C_IP" "$R" "$R_IP1"
hr_link "$S" "$S_IP" "$R" "$R_IP2" "k$$a" "k$$b"
ip -n "$C" route add default via "$R_IP1"
ip -n "$S" route add default via "$R_IP2"
lab_sysctl "$R" net.ipv4.ip_forward 1
hr_in "$R" nft -f - <<NFT || fail "nft: cannot load the middlebox rule"
table inet hr_mb {
	chain forward {
		type filter hook forward priority 0;
		ct state invalid drop
	}
}
NFT
lab_sysctl "$R" net.netfilter.nf_conntrack_tcp_timeout_established 2
lab_sysctl "$R" net.netfilter.nf_conntrack_tcp_loose 0
printf 'middlebox_idle_timeout: 2s\n' >"$T/w.yaml"
LAB_S=$S LAB_S_IP=$S_IP LAB_C=$C LAB_C_IP=$C_IP
lab_accept_server "$LAB_S" "$LAB_S_IP" "$port" 40

# clients KINDS IDLE: one connection per letter of KINDS (k: with
# SO_KEEPALIVE and TCP_KEEPIDLE 1 s, n: without), idle IDLE seconds, then
# one byte on each; prints "KIND unacked N" per socket 1.5 s later (tcp_info
# tcpi_unacked: 1 when the router dropped the byte).
clients() {
	hr_bg "$LAB_C" python3 -c '
import socket, struct, sys, time
keep = []
for k in sys.argv[3]:
    c = socket.create_connection((sys.argv[1], int(sys.argv[2])))
    if k == "k":
        c.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
    keep.append((k, c))
time.sleep(float(sys.argv[4]))
for k, c in keep: c.send(b"x")
time.sleep(1.5)
for k, c in keep:
    print(k, "unacked", struct.unpack_from("I", c.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104), 24)[0], flush=True)
' "$LAB_S_IP" "$port" "$1" "$2" >"$T/clients.out"
}

# 1. Firing: one socket with keepalive, one without; both idle 3 s > 2 s.
clients kn 8
cpid=$HR_LASTPID
sleep 3.5
hr_in "$LAB_C" ss -tnoi "dport = :$port" >"$T/ss.txt"
lab_audit "$LAB_C" "$T/fire.json" --interval 0.2 --workload "$T/w.yaml"
hr_in "$LAB_C" "$HR_BIN" audit --interval 0.2 --workload "$T/w.yaml" >"$T/fire.txt" 2>&1 || true
lab_wait_pid "$cpid" 30 "clients"
grep -qx "k unacked 0" "$T/clients.out" || fail "the keepalive socket's byte did not get through: $(cat "$T/clients.out")"
grep -qx "n unacked 1" "$T/clients.out" || fail "the router passed the idle socket's byte: $(cat "$T/clients.out")"
f=$(lab_finding "$T/fire.json" keepalive.idle-timeout)
[ -n "$f" ] || fail "no keepalive.idle-timeout finding"
assert_eq "$(lab_field "$f" 'f["severity"]')" warning "keepalive.idle-timeout with an idle socket without SO_KEEPALIVE"
assert_eq "$(lab_metric "$f" with_keepalive)" 1 "ESTABLISHED sockets with a keepalive timer (ss: $(grep -c keepalive "$T/ss.txt"))"
assert_eq "$(lab_metric "$f" without_keepalive)" 1 "ESTABLISHED sockets idle without one"
assert_eq "$(lab_metric "$f" exposed)" 1 "sockets without SO_KEEPALIVE idle past 2 s"
idle=$(lab_metric "$f" idle_max_s)
awk -v i="$idle" 'BEGIN { exit !(i >= 3 && i < 20) }' || fail "longest idle $idle s, the socket was idle about 3.5 s"
echo "$f" | grep -q "$LAB_C_IP:[0-9]* -> $LAB_S_IP:$port" || fail "the finding does not name the idle socket: $f"
assert_eq "$(lab_field "$f" 'f["fixes"][0]["kind"]')" application "the first fix (per socket)"
lab_field "$f" 'f["fixes"][0]["text"]' | grep -q "SO_KEEPALIVE with TCP_KEEPIDLE" || fail "first fix: $(lab_field "$f" 'f["fixes"][0]["text"]')"
assert_eq "$(lab_field "$f" 'f["fixes"][0]["severity_after"]')" ok "the per-socket fix's effect"
sx=$(lab_field "$f" '[x for x in f["fixes"] if x["kind"] == "sysctl"][0]')
echo "$sx" | grep -q "tcp_keepalive_time" || fail "no tcp_keepalive_time fix: $sx"
assert_eq "$(lab_field "$f" '[x for x in f["fixes"] if x["kind"] == "sysctl"][0]["severity_after"]')" warning \
	"the sysctl fix's effect (it does not reach the socket without SO_KEEPALIVE)"
assert_eq "$LAB_AUDIT_RC" 1 "exit status"
grep -q "idle past the middlebox timeout" "$T/fire.txt" || fail "text output: $(grep -i keepalive "$T/fire.txt" | head -3)"
lab_result "keepalive: idle socket without SO_KEEPALIVE for $idle s behind a router forgetting flows after 2 s: warning, per-socket fix first; its next byte dropped, the keepalive socket's passed"

# 2. Quiet: only the keepalive socket, tcp_keepalive_time 1 s in the client's namespace.
hr_in "$LAB_C" sysctl -qw net.ipv4.tcp_keepalive_time=1
clients k 6
cpid=$HR_LASTPID
sleep 3.5
lab_audit "$LAB_C" "$T/quiet.json" --interval 0.2 --workload "$T/w.yaml"
lab_wait_pid "$cpid" 30 "clients"
f=$(lab_finding "$T/quiet.json" keepalive.idle-timeout)
assert_eq "$(lab_field "$f" 'f["severity"]')" ok "keepalive.idle-timeout with keepalive on every idle socket: $f"
assert_eq "$(lab_metric "$f" exposed)" 0 "sockets exposed with keepalive on every socket"
assert_eq "$(lab_metric "$f" with_keepalive)" 1 "sockets with a keepalive timer"
grep -qx "k unacked 0" "$T/clients.out" || fail "the keepalive socket's byte did not get through: $(cat "$T/clients.out")"
echo ok
