#!/bin/sh
# The live kernel log reader: a line written to /dev/kmsg (the documented
# interface for userspace to log) with a unique marker, not one of the
# matched messages, is read back by `headroom snapshot` (DIR/headroom/kmsg,
# with the capture time and namespace scope) and counted by `probe --root`
# within the window; a reader without the right to read /dev/kmsg says why
# instead of guessing. Reading never blocks: every command here is bounded.
. "$(dirname "$0")/lib.sh"

hr_require_netns
[ -w /dev/kmsg ] || skip "needs a writable /dev/kmsg"
ns=$(hr_ns kmsg)
HR_NS_LIST="$HR_NS_LIST $ns"
marker="headroom-kmsg-test-$$-$(date +%s%N)"
printf '<6>headroom-test: %s\n' "$marker" >/dev/kmsg

timeout 20 ip netns exec "$ns" "$HR_BIN" snapshot -q -o "$T/snap" || fail "snapshot failed"
grep -q "$marker" "$T/snap/headroom/kmsg" || fail "the marker is not in the snapshot's headroom/kmsg"
grep -q ";headroom-test: $marker\$" "$T/snap/headroom/kmsg" || fail "the record is not in the /dev/kmsg format"
[ -s "$T/snap/headroom/monotonic" ] || fail "no headroom/monotonic"
scope=$(cat "$T/snap/headroom/kmsg-netns")
case $scope in child | unknown) ;; *) fail "a child namespace's snapshot says its log scope is '$scope'" ;; esac

# Ages: the marker's record is younger than 60 s at capture. printk stamps
# records with local_clock(), which may run tens of ms off CLOCK_MONOTONIC
# (seen: a record 35 ms "after" the capture), so allow a second.
now=$(cat "$T/snap/headroom/monotonic")
ts=$(grep ";headroom-test: $marker\$" "$T/snap/headroom/kmsg" | cut -d, -f3)
awk -v n="$now" -v t="$ts" 'BEGIN { a = n - t / 1e6; exit !(a >= -1 && a < 60) }' ||
	fail "marker age at capture: now $now s, record $ts us"

timeout 20 "$HR_BIN" probe --root "$T/snap" --format json >"$T/probe.json" || fail "probe --root failed"
python3 - "$T/probe.json" <<'PY' || fail "probe --root does not count the kernel log records"
import json, sys
d = json.load(open(sys.argv[1]))
def find(node, key):
    if isinstance(node, dict):
        if key in node:
            return node[key]
        for v in node.values():
            r = find(v, key)
            if r is not None:
                return r
    return None
rec = find(d, "kernel.log.records")
win = find(d, "kernel.log.window")
val = lambda x: x.get("value") if isinstance(x, dict) else x
assert rec is not None and val(rec) >= 1, rec
assert win is not None and val(win) == 3600, win
PY

# A real "Possible SYN flooding" from the kernel: a listener with backlog 1
# and syncookies, whose clients' final ACKs are dropped (nftables) so the
# SYN queue fills. The kernel prints it once per listener, rate-limited
# host-wide: up to three fresh listeners are tried.
hr_need_tool nft nftables
got=""
for try in 1 2 3; do
	port=$((17000 + try))
	sns=$(hr_ns "syn$try")
	HR_NS_LIST="$HR_NS_LIST $sns"
	hr_in "$sns" sysctl -qw net.ipv4.tcp_syncookies=1
	hr_in "$sns" nft -f - <<EOF || fail "nft in $sns"
table inet hrsyn {
	chain in {
		type filter hook input priority 0;
		tcp dport $port tcp flags & (syn | ack) == ack drop
	}
}
EOF
	rm -f "$T/syn.ready"
	hr_bg "$sns" timeout 20 python3 -c '
import socket, sys, time
port = int(sys.argv[1])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(1)
cs = []
for i in range(16):
    c = socket.socket()
    c.setblocking(False)
    c.connect_ex(("127.0.0.1", port))
    cs.append(c)
    time.sleep(0.01)
time.sleep(0.3)
open(sys.argv[2], "w").close()
time.sleep(15)
' "$port" "$T/syn.ready"
	lpid=$HR_LASTPID
	for i in $(seq 50); do [ -e "$T/syn.ready" ] && break; sleep 0.1; done
	[ -e "$T/syn.ready" ] || fail "SYN flood listener not ready"
	# The listener is still there: the message is about this namespace's port.
	timeout 20 ip netns exec "$sns" "$HR_BIN" snapshot -q -o "$T/syn$try" || fail "snapshot in $sns failed"
	kill "$lpid" 2>/dev/null || true
	if grep -q "Possible SYN flooding on port 127.0.0.1:$port" "$T/syn$try/headroom/kmsg"; then
		got=$try
		break
	fi
done
[ -n "$got" ] || fail "the kernel printed no 'Possible SYN flooding' for three listeners"
snap="$T/syn$got"
# Read in a child namespace: counted as a fact, not as this namespace's evidence.
timeout 20 "$HR_BIN" audit --root "$snap" --interval 0 --format json >"$T/syn-child.json" || true
python3 "$HR_SRCDIR/tests/audit-check.py" "$T/syn-child.json" "listen.overflows - quiet" "metric:listen.overflows - log_syn_flood 0 0" ||
	fail "a child namespace's snapshot counted the host log as its own"
# Taken as this namespace's log: listen.overflows fires on the message alone.
echo initial >"$snap/headroom/kmsg-netns"
timeout 20 "$HR_BIN" audit --root "$snap" --interval 0 --format json >"$T/syn-own.json" || true
python3 "$HR_SRCDIR/tests/audit-check.py" "$T/syn-own.json" "listen.overflows - warning" ||
	fail "listen.overflows does not fire on the kernel's SYN flood message"
note "kernel said: $(grep -o "Possible SYN flooding on port 127.0.0.1:$port[^;]*" "$snap/headroom/kmsg" | head -n 1)"

# Without the right to read /dev/kmsg: facts missing, with the reason.
if command -v setpriv >/dev/null && [ "$(cat /proc/sys/kernel/dmesg_restrict 2>/dev/null)" = 1 ]; then
	cp "$HR_BIN" "$T/headroom" && chmod 755 "$T" "$T/headroom"
	timeout 20 setpriv --reuid=65534 --regid=65534 --clear-groups "$T/headroom" probe --interval 0 --format json \
		>"$T/nobody.json" 2>"$T/nobody.err" || true
	grep -q '/dev/kmsg' "$T/nobody.json" || fail "as nobody the probe does not say why the kernel log is missing: $(head -c 300 "$T/nobody.err")"
fi
echo ok
