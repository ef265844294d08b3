#!/bin/sh
# Inside a namespace with known sockets: a live `probe --interval 0`
# (netlink sock_diag) and `probe --root` of a snapshot taken there agree on
# socket states, listeners and per-destination counts; live also shows the
# backlog that /proc/net/tcp cannot.
. "$(dirname "$0")/lib.sh"
hr_require_netns
command -v python3 >/dev/null || skip "needs python3"
. "$(dirname "$0")/probe-lib.sh"

ns=$(hr_ns l)
probe_sockets_start "$ns"
hr_in "$ns" "$HR_BIN" probe --interval 0 --format json >"$T/live.json" 2>"$T/live.err" || true
if grep -q "not implemented" "$T/live.err"; then
	skip "live socket source not implemented yet ($(head -1 "$T/live.err"))"
fi
hr_in "$ns" "$HR_BIN" snapshot -o "$T/snap" --quiet
"$HR_BIN" probe --root "$T/snap" --format json >"$T/tree.json" 2>"$T/tree.err" || fail "probe --root"
probe_sockets_check "$T/live.json"
probe_sockets_check "$T/tree.json"
for e in 'd["facts"]["sockets"]["states"]' \
	'sorted((l["subject"], l["queue"]) for l in d["facts"]["sockets"]["listeners"])' \
	'sorted((x["subject"], x["in_use"], x["timewait"], x["states"]) for x in d["facts"]["sockets"]["destinations"])' \
	'(d["facts"]["sockets"]["total"], d["facts"]["sockets"]["inbound"], d["facts"]["sockets"]["outbound"])'; do
	assert_eq "$(jget "$T/tree.json" "$e")" "$(jget "$T/live.json" "$e")" "live and tree differ on $e"
done
assert_eq "$(jget "$T/live.json" 'd["facts"]["probe"]["sockets"]')" "netlink sock_diag" "live socket source"
# listen(8) on 9090, listen(16) on the others: the accept queue holds backlog + 1 (kernel-facts.md),
# sock_diag reports the backlog itself.
assert_eq "$(jget "$T/live.json" 'sorted((l["port"], l["backlog"]) for l in d["facts"]["sockets"]["listeners"])')" \
	"[(8080, 16), (8443, 16), (9090, 8)]" "live backlog"
echo ok
