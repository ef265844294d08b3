#!/bin/sh
# watch --trace (headroom-watch(8)): the eBPF collector attached once for
# the whole watch, its maps read at every refresh. In a namespace with a
# 100-port range, a python3 client opens 150 connections to a listener that
# holds them, 10 ms apart: exactly 100 open and 50 fail with EADDRNOTAVAIL
# (its own counts). Over the refreshes of `watch --trace --count 5`, the
# per-refresh failures add up to exactly 50, each refresh naming the
# destination, the errno and python3, and the new connections per second
# times each refresh's time (trace_s moves by it) add up to the 100 opens
# (within 3%: the rates are printed rounded). Then the collector goes with the
# process whatever ends it: SIGTERM and SIGINT to a running watch --trace
# end it within 5 s and its links are gone.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/trace-lib.sh"
hr_require_netns
command -v python3 >/dev/null || skip "needs python3"
hr_need_trace

N=$(hr_ns w)
hr_in "$N" sysctl -qw net.ipv4.ip_local_port_range="40000 40099"
cat >"$T/srv.py" <<'EOF'
import socket, time
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", 7100)); l.listen(512); l.settimeout(0.2)
held, t = [], time.time()
while time.time() - t < 20:
    try:
        held.append(l.accept()[0])
    except socket.timeout:
        pass
EOF
cat >"$T/cli.py" <<'EOF'
import socket, time
ok = fail = 0; held = []
for i in range(150):
    s = socket.socket()
    try:
        s.connect(("127.0.0.1", 7100)); held.append(s); ok += 1
    except OSError:
        fail += 1
    time.sleep(0.01)
print(ok, fail)
EOF
hr_bg "$N" python3 "$T/srv.py"
sleep 0.3
before=$(tr_links)
hr_bg "$N" "$HR_BIN" watch --trace --count 5 --interval 1 >"$T/w.out" 2>"$T/w.err"
w=$HR_LASTPID
tr_wait_more "$before"
read -r ok failed <<EOF
$(hr_in "$N" python3 "$T/cli.py")
EOF
assert_eq "$ok/$failed" "100/50" "the client's own counts"
rc=0
wait "$w" || rc=$?
[ "$rc" -le 2 ] || fail "watch --trace: exit $rc: $(cat "$T/w.err")"
[ "$(wc -l <"$T/w.out")" -eq 5 ] || fail "5 lines wanted: $(cat "$T/w.out")"
awk '
{
	f = $0; sub(/.* trace_failed=/, "", f); sub(/ .*/, "", f); failed += f
	r = $0; sub(/.* trace_new_per_s=/, "", r); sub(/ .*/, "", r); rate[NR] = r
	if (f > 0 && $0 !~ /trace_fails="127\.0\.0\.1:7100 EADDRNOTAVAIL [0-9]+ \(python3\)"/) { print "line " NR " does not name it: " $0; bad = 1 }
	if ($0 !~ / trace_accepted_per_s=[0-9.]+ /) { print "line " NR ": no accepted rate"; bad = 1 }
}
END {
	if (failed != 50) { print "failures over the refreshes: " failed ", not 50"; bad = 1 }
	print "# failures per refresh add up to " failed
	exit bad
}' "$T/w.out" || fail "watch --trace lines (above)"
# The opens: each refresh's rate times its time (trace_s, the time attached,
# moves by it), summed: the 100 opens, within the rounding of the rates.
opens=$(awk '{
	t = $0; sub(/.* trace_s=/, "", t); sub(/ .*/, "", t)
	r = $0; sub(/.* trace_new_per_s=/, "", r); sub(/ .*/, "", r)
	s += r * (t - prev); prev = t
} END { printf "%.1f", s }' "$T/w.out")
note "new connections/s times each refresh's time, summed: $opens (python3 opened 100)"
awk -v s="$opens" 'BEGIN { exit !(s >= 97 && s <= 103) }' || fail "new connections per second do not add up to 100: $opens"

# Whatever ends it, the links go: SIGTERM, SIGINT (a background job of a
# script ignores SIGINT: env restores its default).
for sig in TERM INT; do
	before=$(tr_links)
	hr_bg "$N" env --default-signal=INT "$HR_BIN" watch --trace --interval 1 >/dev/null 2>&1
	w=$HR_LASTPID
	tr_wait_more "$before"
	attached=$(tr_links)
	kill -s "$sig" "$w"
	i=0
	while kill -0 "$w" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	! kill -0 "$w" 2>/dev/null || fail "watch --trace still running 5 s after SIG$sig"
	wait "$w" 2>/dev/null || true
	i=0
	while [ "$(tr_links)" -ge "$attached" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	[ "$(tr_links)" -lt "$attached" ] || fail "the collector's links stayed after SIG$sig"
	note "SIG$sig: watch ended, its links closed"
done
