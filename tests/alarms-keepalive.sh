#!/bin/sh
# Keepalive from live sockets (issue 22, the seed's netcat question): a
# middlebox that forgets flows idle for 2 s (declared: middlebox_idle_timeout)
# and two idle connections, one with SO_KEEPALIVE (TCP_KEEPIDLE 1 s) and one
# without (like netcat's). headroom audit on the client must warn
# keepalive.idle-timeout naming the socket without keepalive, put the
# per-socket fix first and score the tcp_keepalive_time fix as leaving the
# warning (it reaches only sockets with SO_KEEPALIVE). Quiet: the same with
# only the keepalive socket and tcp_keepalive_time 1 in the client's own
# namespace stays OK.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab-lib.sh"

lab_two_hosts
port=5793
printf 'middlebox_idle_timeout: 2s\n' >"$T/w.yaml"

lab_accept_server "$LAB_S" "$LAB_S_IP" "$port" 40

# clients KINDS SECONDS: one idle connection per letter of KINDS (k: with
# SO_KEEPALIVE and TCP_KEEPIDLE 1 s, n: without), held SECONDS.
clients() {
	hr_bg "$LAB_C" python3 -c '
import socket, sys, time
keep = []
for k in sys.argv[3]:
    c = socket.create_connection((sys.argv[1], int(sys.argv[2])))
    if k == "k":
        c.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
    keep.append(c)
time.sleep(float(sys.argv[4]))
' "$LAB_S_IP" "$port" "$1" "$2"
}

# 1. Firing: one socket with keepalive, one without; both idle 3 s > 2 s.
clients kn 8
cpid=$HR_LASTPID
sleep 3.5
hr_in "$LAB_C" ss -tnoi "dport = :$port" >"$T/ss.txt"
lab_audit "$LAB_C" "$T/fire.json" --interval 0.2 --workload "$T/w.yaml"
hr_in "$LAB_C" "$HR_BIN" audit --interval 0.2 --workload "$T/w.yaml" >"$T/fire.txt" 2>&1 || true
lab_wait_pid "$cpid" 30 "clients"
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
lab_result "keepalive: idle socket without SO_KEEPALIVE for $idle s behind a 2 s middlebox: warning, per-socket fix first"

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
echo ok
