#!/bin/sh
# Snapshot inside a namespace with known sockets, then `probe --root` of it:
# socket states, listeners (with the accept queue) and per-destination counts
# must be exactly the sockets tests/probe-sockets.py made.
. "$(dirname "$0")/lib.sh"
hr_require_netns
command -v python3 >/dev/null || skip "needs python3"
. "$(dirname "$0")/probe-lib.sh"

ns=$(hr_ns p)
probe_sockets_start "$ns"
hr_in "$ns" "$HR_BIN" snapshot -o "$T/snap" --quiet
"$HR_BIN" probe --root "$T/snap" --format json >"$T/tree.json" 2>"$T/tree.err" ||
	fail "probe --root of the namespace snapshot: $(cat "$T/tree.err")"
probe_sockets_check "$T/tree.json"
# Backlogs are not in /proc/net/tcp: the snapshot keeps sock_diag's beside it
# (DIR/headroom/backlogs), the values the listeners asked for.
assert_eq "$(jget "$T/tree.json" 'sorted((l["port"], l["backlog"]) for l in d["facts"]["sockets"]["listeners"])')" \
	"[(8080, 16), (8443, 16), (9090, 8)]" "backlog from the snapshot"
# A tree without that file (made with cp): unknown (null), never a made-up 0.
rm "$T/snap/headroom/backlogs"
"$HR_BIN" probe --root "$T/snap" --format json >"$T/tree-cp.json" 2>/dev/null
assert_eq "$(jget "$T/tree-cp.json" '[l["backlog"] for l in d["facts"]["sockets"]["listeners"]]')" "[None, None, None]" "backlog unknown"
assert_eq "$(jget "$T/tree.json" 'd["facts"]["probe"]["sockets"]')" "$T/snap/proc/net/tcp{,6}" "socket source"

# Rates: 20 connections per second in another namespace; a live probe
# --interval 2 and a snapshot --interval 2 both see ~20/s opened each way
# (2 s: a stall of the paced connector on a busy box moves less of the count).
ns2=$(hr_ns r)
hr_bg "$ns2" python3 "$HR_SRCDIR/tests/probe-sockets.py" --connect 7070 120 0.05
sleep 0.3
hr_in "$ns2" "$HR_BIN" probe --interval 2 --format json >"$T/rate.json" 2>/dev/null || true
hr_in "$ns2" "$HR_BIN" snapshot -o "$T/snap2" --interval 2 --quiet
"$HR_BIN" probe --root "$T/snap2" --format json >"$T/rate2.json" 2>/dev/null
for j in rate rate2; do
	for c in Tcp.ActiveOpens Tcp.PassiveOpens; do
		assert_within "$(jget "$T/$j.json" "d['facts']['rates']['rate.$c']['value']")" 20 30 "$j: rate.$c"
	done
	assert_eq "$(jget "$T/$j.json" "d['facts']['rates']['rate.TcpExt.ListenOverflows']['value']")" 0 "$j: overflows"
done
jget "$T/rate.json" 'd["facts"]["rates"]["rate.Tcp.ActiveOpens"]["source"]' | grep -q '^/proc/net/snmp over 2' ||
	fail "live rate source"
echo ok
