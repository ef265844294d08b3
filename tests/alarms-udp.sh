#!/bin/sh
# UDP (issue 22 item 5): a UDP socket with a small SO_RCVBUF that reads
# slowly, flooded over loopback. headroom audit must warn udp.buffers with
# the drop rate, name the socket's port and owner, its buffer, and compute
# the buffer to ask for; counters.moved must not repeat Udp RcvbufErrors
# (udp.buffers owns it). Quiet: a reader with the default buffer that keeps
# up stays OK. Connected UDP sockets hold a local port each whatever the
# destination: 9 of them in a 10-port range warn udp.connected-ports.
# Real kernel, namespaces made here.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab-lib.sh"

hr_require_netns
command -v python3 >/dev/null || skip "needs python3"
port=5794

# receiver NS RCVBUF READS_PER_S SECONDS: a UDP socket on 127.0.0.1:$port
# (RCVBUF 0: the default buffer) reading at most READS_PER_S datagrams a second.
receiver() {
	hr_bg "$1" python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
if int(sys.argv[2]): s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, int(sys.argv[2]))
s.bind(("127.0.0.1", int(sys.argv[1]))); s.settimeout(0.05)
rate, secs = float(sys.argv[3]), float(sys.argv[4]); t0 = time.monotonic(); n = 0
while time.monotonic() - t0 < secs:
    try: s.recv(2048); n += 1
    except socket.timeout: pass
    time.sleep(max(0.0, t0 + n / rate - time.monotonic()))
' "$port" "$2" "$3" "$4"
	sleep 0.3
}

# sender NS RATE SECONDS: 200-byte datagrams to 127.0.0.1:$port, RATE a second.
sender() {
	hr_bg "$1" python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
rate, secs = float(sys.argv[2]), float(sys.argv[3]); t0 = time.monotonic(); n = 0
while time.monotonic() - t0 < secs:
    s.sendto(b"x" * 200, ("127.0.0.1", int(sys.argv[1]))); n += 1
    time.sleep(max(0.0, t0 + n / rate - time.monotonic()))
' "$port" "$2" "$3"
}

# 1. Firing: SO_RCVBUF 4096 (the kernel gives 8192), 20 reads a second, 2,000 datagrams a second.
ns=$(hr_ns fire)
receiver "$ns" 4096 20 8
sender "$ns" 2000 6
spid=$HR_LASTPID
sleep 1
d0=$(lab_counter "$ns" Udp RcvbufErrors)
lab_audit "$ns" "$T/fire.json" --interval 2
d1=$(lab_counter "$ns" Udp RcvbufErrors)
hr_in "$ns" "$HR_BIN" audit --interval 1 >"$T/fire.txt" 2>&1 || true
hr_in "$ns" "$HR_BIN" audit --interval 1 --format prometheus >"$T/fire.prom" 2>&1 || true
hr_in "$ns" "$HR_BIN" audit --interval 1 --format nagios >"$T/fire.nagios" 2>&1 || true
lab_wait_pid "$spid" 30 "sender"
f=$(lab_finding "$T/fire.json" udp.buffers)
[ -n "$f" ] || fail "no udp.buffers finding"
assert_eq "$(lab_field "$f" 'f["severity"]')" warning "udp.buffers with a flooded small buffer"
rate=$(lab_metric "$f" drops_per_s)
awk -v r="$rate" -v d=$((d1 - d0)) 'BEGIN { exit !(r > 0 && r * 2 <= d + 0.5) }' ||
	fail "RcvbufErrors rate $rate/s over 2 s not within the kernel's growth $((d1 - d0)) over the audit"
assert_eq "$(lab_metric "$f" worst_port)" "$port" "the port of the socket with most drops"
assert_eq "$(lab_metric "$f" worst_uid)" 0 "its owner (uid)"
rb=$(lab_metric "$f" worst_rcvbuf)
assert_eq "$rb" 8192 "its receive buffer (SO_RCVBUF 4096, doubled)"
[ "$(lab_metric "$f" worst_drops)" -gt 0 ] || fail "the socket's own drop count is 0"
want=$(lab_metric "$f" want_rcvbuf)
[ "$want" -ge $((2 * rb)) ] || fail "suggested buffer $want below twice the current $rb"
echo "$f" | grep -q "127.0.0.1:$port" || fail "the message does not name the socket: $f"
assert_eq "$(lab_field "$f" 'f["fixes"][0]["kind"]')" application "first fix: the application's own SO_RCVBUF"
ask=$(python3 -c 'import sys; print(f"{int(sys.argv[1]) // 2:,}")' "$want")
lab_field "$f" 'f["fixes"][0]["text"]' | grep -q "ask for $ask " || fail "fix does not give the computed request: $(lab_field "$f" 'f["fixes"][0]["text"]')"
c=$(lab_finding "$T/fire.json" counters.moved snmp.Udp.RcvbufErrors)
assert_eq "$(lab_field "$c" 'f["severity"]')" ok "counters.moved on Udp RcvbufErrors (udp.buffers owns it)"
assert_eq "$LAB_AUDIT_RC" 1 "exit status"
grep -q "UDP datagrams dropped at full receive buffers" "$T/fire.txt" || fail "text output: $(head -n 3 "$T/fire.txt")"
grep -q '^headroom_finding_severity{rule="udp.buffers",subject=""} [1-9]' "$T/fire.prom" ||
	fail "Prometheus: udp.buffers not at warning: $(grep 'rule="udp.buffers"' "$T/fire.prom" | head -n 3)"
grep -q '^headroom_drops_per_second{rule="udp.buffers",subject=""} [1-9]' "$T/fire.prom" ||
	fail "Prometheus: no drop rate for udp.buffers"
grep -q "'udp_rcvbuf_drops_per_second'=[1-9]" "$T/fire.nagios" || fail "Nagios perfdata lacks udp_rcvbuf_drops_per_second: $(cat "$T/fire.nagios")"
lab_result "UDP: SO_RCVBUF 4096 flooded at 2000/s: udp.buffers warning, $rate/s dropped on port $port, ask for $want"

# 2. Quiet: the default buffer, a reader that keeps up with 100 datagrams a second.
ns2=$(hr_ns quiet)
receiver "$ns2" 0 100000 6
sender "$ns2" 100 4
spid=$HR_LASTPID
sleep 0.5
lab_audit "$ns2" "$T/quiet.json" --interval 1
lab_wait_pid "$spid" 30 "sender"
f=$(lab_finding "$T/quiet.json" udp.buffers)
assert_eq "$(lab_field "$f" 'f["severity"]')" ok "udp.buffers with a reader that keeps up: $f"
assert_eq "$(lab_metric "$f" drops_per_s)" 0 "drops with a reader that keeps up"
assert_eq "$(lab_metric "$f" sockets)" 2 "UDP sockets seen (the receiver and the sender)"
assert_eq "$(lab_metric "$f" worst_drops)" 0 "drops of the socket with most"
f=$(lab_finding "$T/quiet.json" udp.connected-ports)
assert_eq "$(lab_field "$f" 'f["severity"]')" ok "udp.connected-ports with no connected socket"

# 3. Connected UDP sockets in a 10-port range: 9 of them toward 9 destinations.
ns3=$(hr_ns conn)
hr_in "$ns3" sysctl -qw net.ipv4.ip_local_port_range="40000 40009"
hr_bg "$ns3" python3 -c '
import socket, time
keep = []
for i in range(9):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.connect(("127.0.0.%d" % (i + 2), 53)); keep.append(s)
try:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.connect(("127.0.1.1", 53))
    s2 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s2.connect(("127.0.1.2", 53))
    print("no EAGAIN", flush=True)
except OSError as e:
    print("errno", e.errno, flush=True)
time.sleep(5)
' >"$T/conn.out"
sleep 1
lab_audit "$ns3" "$T/conn.json" --interval 0
f=$(lab_finding "$T/conn.json" udp.connected-ports)
assert_eq "$(lab_metric "$f" connected)" 10 "connected UDP sockets (9, and 1 more before EAGAIN)"
assert_eq "$(lab_field "$f" 'f["severity"]')" critical "udp.connected-ports with the range gone"
grep -q "errno 11" "$T/conn.out" || fail "the 11th connected UDP socket did not get EAGAIN: $(cat "$T/conn.out")"
echo ok
