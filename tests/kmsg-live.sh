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

# Ages: the marker's record is younger than 60 s at capture.
now=$(cat "$T/snap/headroom/monotonic")
ts=$(grep ";headroom-test: $marker\$" "$T/snap/headroom/kmsg" | cut -d, -f3)
awk -v n="$now" -v t="$ts" 'BEGIN { a = n - t / 1e6; exit !(a >= 0 && a < 60) }' ||
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

# Without the right to read /dev/kmsg: facts missing, with the reason.
if command -v setpriv >/dev/null && [ "$(cat /proc/sys/kernel/dmesg_restrict 2>/dev/null)" = 1 ]; then
	cp "$HR_BIN" "$T/headroom" && chmod 755 "$T" "$T/headroom"
	timeout 20 setpriv --reuid=65534 --regid=65534 --clear-groups "$T/headroom" probe --interval 0 --format json \
		>"$T/nobody.json" 2>"$T/nobody.err" || true
	grep -q '/dev/kmsg' "$T/nobody.json" || fail "as nobody the probe does not say why the kernel log is missing: $(head -c 300 "$T/nobody.err")"
fi
echo ok
