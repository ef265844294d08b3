#!/bin/sh
# Abortive closes (issue 22 item 3): clients in a namespace close their
# connections with SO_LINGER {1, 0}, 100 a second, while headroom audits
# that namespace. The kernel counts each as TcpExt TCPAbortOnData and Tcp
# OutRsts; closes.abortive must warn with their rates (within what the
# kernel counted), say what a reset close costs (data discarded, ECONNRESET,
# no TIME_WAIT) and offer the alternatives; counters.moved must not repeat
# the counters it owns; text, JSON, Nagios and Prometheus carry it. The same
# load closed gracefully stays OK.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab-lib.sh"

hr_require_netns
command -v python3 >/dev/null || skip "needs python3"
port=5793

# load NS MODE SECONDS: a server on 127.0.0.1:port reading to end-of-file,
# and a client making 100 connections a second, each sending 100 bytes and
# closing: MODE rst with SO_LINGER {1, 0}, fin with a plain close().
load() {
	hr_in "$1" python3 -c '
import socket, struct, sys, threading, time
port, mode, secs = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", port)); l.listen(512)
def serve():
    l.settimeout(0.2)
    t0 = time.monotonic()
    while time.monotonic() - t0 < secs + 2:
        try: c = l.accept()[0]
        except socket.timeout: continue
        c.settimeout(1)
        try:
            while c.recv(4096): pass
        except OSError: pass
        c.close()
threading.Thread(target=serve, daemon=True).start()
t0 = time.monotonic(); n = 0
while time.monotonic() - t0 < secs:
    s = socket.socket(); s.connect(("127.0.0.1", port)); s.sendall(b"x" * 100)
    if mode == "rst":
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close(); n += 1
    time.sleep(max(0.0, t0 + n / 100 - time.monotonic()))
time.sleep(0.5)
print(n)
' "$port" "$2" "$3"
}

# run NAME MODE: 5 s of load, the audit (2 s interval) from its second 1.
run() {
	ns=$(hr_ns "$1")
	HR_NS_LIST="$HR_NS_LIST $ns"
	load "$ns" "$2" 5 >"$T/$1.load" &
	gen=$!
	HR_PIDS="$HR_PIDS $gen"
	sleep 1
	d0=$(lab_counter "$ns" TcpExt TCPAbortOnData)
	r0=$(lab_counter "$ns" Tcp OutRsts)
	lab_audit "$ns" "$T/$1.json" --interval 2
	d1=$(lab_counter "$ns" TcpExt TCPAbortOnData)
	r1=$(lab_counter "$ns" Tcp OutRsts)
	hr_in "$ns" "$HR_BIN" audit -q --interval 1 >"$T/$1.txt" 2>&1 || true
	hr_in "$ns" "$HR_BIN" audit -q --interval 1 --format nagios >"$T/$1.nagios" 2>&1 || true
	hr_in "$ns" "$HR_BIN" audit -q --interval 1 --format prometheus >"$T/$1.prom" 2>&1 || true
	wait "$gen" || fail "the $2 load failed"
}

# 1. Firing: SO_LINGER {1, 0} closes.
run rst rst
note "TCPAbortOnData $d0 -> $d1, OutRsts $r0 -> $r1 over the audit; $(cat "$T/rst.load") closes"
[ $((d1 - d0)) -gt 0 ] || fail "TCPAbortOnData did not grow with SO_LINGER 0 closes"
f=$(lab_finding "$T/rst.json" closes.abortive)
[ -n "$f" ] || fail "no closes.abortive finding"
assert_eq "$(lab_field "$f" 'f["severity"]')" warning "closes.abortive with SO_LINGER 0 closes"
rate=$(lab_metric "$f" on_data_per_s)
rst=$(lab_metric "$f" out_rsts_per_s)
iv=$(lab_metric "$f" interval_s)
awk -v r="$rate" -v i="$iv" -v d=$((d1 - d0)) 'BEGIN { x = r * i; exit !(x >= 50 && x <= d + 0.001) }' ||
	fail "TCPAbortOnData in the audit ($rate/s x $iv s) not within 50..$((d1 - d0)) (the kernel's growth over the audit)"
awk -v r="$rst" -v i="$iv" -v d=$((r1 - r0)) 'BEGIN { x = r * i; exit !(x >= 50 && x <= d + 0.001) }' ||
	fail "OutRsts in the audit ($rst/s x $iv s) not within 50..$((r1 - r0))"
for w in "SO_LINGER {1, 0}" ECONNRESET "no TIME_WAIT" "let the clients close first"; do
	echo "$f" | grep -qF "$w" || fail "closes.abortive does not say '$w': $f"
done
assert_eq "$LAB_AUDIT_RC" 1 "exit status with SO_LINGER 0 closes (WARNING)"
c=$(lab_finding "$T/rst.json" counters.moved netstat.TcpExt.TCPAbortOnData)
assert_eq "$(lab_field "$c" 'f["severity"]')" ok "counters.moved on TCPAbortOnData (closes.abortive owns it)"
grep -q '^WARNING: .*connections/s closed with a reset' "$T/rst.txt" ||
	fail "the text verdict does not name the resets: $(head -n 2 "$T/rst.txt")"
grep -q "^WARNING: .*'abortive_closes_per_second'=" "$T/rst.nagios" || fail "Nagios: no abortive_closes_per_second: $(cat "$T/rst.nagios")"
grep -q 'rule="closes.abortive".*on_data_per_s\|on_data_per_s.*rule="closes.abortive"' "$T/rst.prom" ||
	grep -q 'closes_abortive.*on_data\|on_data.*closes.abortive' "$T/rst.prom" ||
	fail "Prometheus: no closes.abortive on_data_per_s series: $(grep -i abort "$T/rst.prom" | head -n 3)"

# 2. Quiet: the same load closed gracefully.
run fin fin
f=$(lab_finding "$T/fin.json" closes.abortive)
assert_eq "$(lab_field "$f" 'f["severity"]')" ok "closes.abortive with graceful closes"
assert_eq "$(lab_metric "$f" app_resets_per_s)" 0 "resets per second with graceful closes"
assert_eq "$((d1 - d0))" 0 "TCPAbortOnData growth with graceful closes"
assert_eq "$LAB_AUDIT_RC" 0 "exit status with graceful closes ($(grep -o '"verdict": "[^"]*"' "$T/fin.json" | head -n 1))"
lab_result "SO_LINGER 0: closes.abortive warning, TCPAbortOnData $rate/s, OutRsts $rst/s over $iv s; graceful: OK"
echo ok
