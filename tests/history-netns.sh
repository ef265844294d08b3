#!/bin/sh
# headroom history shows the network namespace each transaction was applied
# in, from the journal header: one applied with --netns NAME from the host
# (name and inode), one applied inside another namespace with `ip netns
# exec` (inode only), in the text table, with -v, and in the JSON.
. "$(dirname "$0")/lib.sh"
hr_require_netns
. "$(dirname "$0")/apply-lib.sh"
command -v python3 >/dev/null || skip "needs python3"

a=$(hr_ns hista)
b=$(hr_ns histb)
key=net.ipv4.tcp_fin_timeout
rc=$(rc_of "$HR_BIN" apply --netns "$a" --state-dir "$S" --set "$key=37")
assert_eq "$rc" 0 "apply --netns $a: $(cat "$T/err")"
rc=$(rc_of hr_in "$b" "$HR_BIN" apply --state-dir "$S" --set "$key=38")
assert_eq "$rc" 0 "apply inside $b: $(cat "$T/err")"
ino_a=$(stat -L -c %i "/run/netns/$a")
ino_b=$(stat -L -c %i "/run/netns/$b")

"$HR_BIN" history --state-dir "$S" --format json >"$T/h.json" || fail "history --format json"
python3 - "$T/h.json" "$a" "$ino_a" "$ino_b" <<'PY' || fail "history JSON"
import json, sys
d = json.load(open(sys.argv[1])); a, ia, ib = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
got = sorted((t["netns"], t["netns_name"]) for t in d["transactions"])
want = sorted([(ia, a), (ib, None)])
if got != want:
    print("FAIL: history netns %s, want %s" % (got, want), file=sys.stderr); sys.exit(1)
PY
"$HR_BIN" history --state-dir "$S" >"$T/h.txt" || fail "history"
head -n 1 "$T/h.txt" | grep -q "STATUS *NETNS *SOURCE" || fail "no NETNS column: $(cat "$T/h.txt")"
grep -q " $a " "$T/h.txt" || fail "text: no row names $a: $(cat "$T/h.txt")"
grep -q " inode $ino_b " "$T/h.txt" || fail "text: no row with inode $ino_b: $(cat "$T/h.txt")"
"$HR_BIN" history --state-dir "$S" -v >"$T/hv.txt" || fail "history -v"
grep -q "(network namespace $a):" "$T/hv.txt" || fail "-v: $(cat "$T/hv.txt")"
echo ok
