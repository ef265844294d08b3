#!/bin/sh
# Hostile trees for the conntrack and kernel log readers: a FIFO where a
# file belongs must not block the probe, a symlink out of the tree is
# refused, and each says why (the facts are missing with the reason).
. "$(dirname "$0")/lib.sh"

d="$T/tree"
mkdir -p "$d/proc/net/stat" "$d/headroom" "$d/proc/sys/kernel"
echo 6.18.0 >"$d/proc/sys/kernel/osrelease"
mkfifo "$d/headroom/kmsg" "$d/proc/net/nf_conntrack"
echo secret >"$T/outside"
ln -s "$T/outside" "$d/proc/net/stat/nf_conntrack"
echo 100 >"$d/headroom/monotonic"

timeout 10 "$HR_BIN" probe --root "$d" --interval 0 --format json >"$T/p.json" 2>"$T/p.err" ||
	[ $? -ne 124 ] || fail "probe blocked on a FIFO in the tree"
python3 - "$T/p.json" <<'PY' || fail "hostile tree: $(head -c 600 "$T/p.json")"
import json, sys
d = json.load(open(sys.argv[1]))["facts"]
k, c = d["kernel"], d["conntrack"]
assert "not a regular file" in k["kernel.log.syn_flood.count"]["absent"], k["kernel.log.syn_flood.count"]
e = c["conntrack.entries"]["absent"]
assert "not a regular file" in e, e
s = c["conntrack.stat.insert_failed"]["absent"]
assert "symlink" in s or "outside" in s or "refused" in s, s
assert "secret" not in json.dumps(d)
PY
echo ok
