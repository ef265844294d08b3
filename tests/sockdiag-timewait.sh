#!/bin/sh
# TIME_WAIT per destination from the sock_diag dump equals ss in the same
# namespace, and the per-destination rate estimate matches the rate tcpgen used.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sockdiag-lib.sh"
hr_require_netns
sd_require_helpers
command -v python3 >/dev/null || skip "needs python3"

A=$(hr_ns tw-cli)
B=$(hr_ns tw-srv)
hr_link "$A" 10.199.7.1 "$B" 10.199.7.2
# Keep every TIME_WAIT: a new netns reuses loopback TIME_WAIT ports (tcp_tw_reuse=2).
hr_in "$A" sysctl -q -w net.ipv4.tcp_tw_reuse=0

hr_bg "$A" "$TCPGEN" server --listen 127.0.0.1:7001,127.0.0.1:7002,[::1]:7004 --close client --duration 30 --quiet
hr_bg "$B" "$TCPGEN" server --listen 10.199.7.2:7003 --close client --duration 30 --quiet
sd_wait_listen "$A" 7001 7002 7004
sd_wait_listen "$B" 7003

# Different rates, so different counts per destination (client closes: TIME_WAIT in A).
set -- 127.0.0.1:7001:40 127.0.0.1:7002:120 10.199.7.2:7003:80 [::1]:7004:25
pids=""
for d in "$@"; do
	ep=${d%:*}
	hr_bg "$A" "$TCPGEN" client --connect "$ep" --rate "${d##*:}" --duration 9 --quiet >"$T/gen.$ep"
	pids="$pids $HR_LASTPID"
done

# Probe while tcpgen runs, 6 s in: the estimator's 5 s window is full.
sleep 6
sd_facts "$A" "$T/live.json"
note "socket facts from $SD_SOURCE"
for p in $pids; do wait "$p" || fail "tcpgen client failed"; done

# Counts: after the clients stop, TIME_WAIT stays 60 s, so the dump and ss agree exactly.
sd_facts "$A" "$T/after.json"
hr_in "$A" ss -Htan state time-wait | awk '{print $4}' | sort | uniq -c | awk '{print $2, $1}' >"$T/ss"
[ -s "$T/ss" ] || fail "ss shows no TIME_WAIT sockets"

for d in "$@"; do
	ep=${d%:*}
	rate=$(sd_kv "$T/gen.$ep" achieved_rate)
	connected=$(sd_kv "$T/gen.$ep" connected)
	[ "$(sd_kv "$T/gen.$ep" failed)" = 0 ] || fail "tcpgen toward $ep had failures: $(cat "$T/gen.$ep")"
	echo "$ep $rate $connected"
done >"$T/gen"

python3 - "$T/after.json" "$T/live.json" "$T/ss" "$T/gen" <<'PY' || fail "sock_diag facts disagree with ss/tcpgen"
import json, sys
def facts(p):
    d = json.load(open(p))
    return d.get("facts", d)  # probe prints the facts object; accept a wrapper too
after = facts(sys.argv[1])["sockets"]
live = facts(sys.argv[2])["sockets"]
ss = {l.split()[0]: int(l.split()[1]) for l in open(sys.argv[3])}
gen = [l.split() for l in open(sys.argv[4])]
got = {d["subject"]: d["timewait"] for d in after["destinations"] if d["timewait"]}
bad = 0
print("# destination       ss  facts  connected  tcpgen_rate  rate_per_s  window_s")
for ep, rate, connected in gen:
    rate = float(rate)
    d = [x for x in live["destinations"] if x["subject"] == ep]
    est = d[0]["rate_per_s"] if d else -1
    win = d[0]["rate_window_s"] if d else -1
    print("# %-18s %5d %6d %10s %12.2f %11.2f %9s" % (ep, ss.get(ep, 0), got.get(ep, 0), connected, rate, est, win))
    if abs(est - rate) > 0.10 * rate:
        print("rate for %s: estimate %s, tcpgen %.2f (> 10%% off)" % (ep, est, rate)); bad = 1
    # Every connection of this test ends in TIME_WAIT on the client side.
    if abs(ss.get(ep, 0) - int(connected)) > 0.01 * int(connected):
        print("ss shows %d TIME_WAIT toward %s, tcpgen connected %s" % (ss.get(ep, 0), ep, connected)); bad = 1
if got != ss:
    print("per-destination TIME_WAIT differ:\n facts %s\n ss    %s" % (sorted(got.items()), sorted(ss.items()))); bad = 1
if after["states"].get("TIME_WAIT", 0) != sum(ss.values()):
    print("facts TIME_WAIT total %s, ss %d" % (after["states"].get("TIME_WAIT"), sum(ss.values()))); bad = 1
sys.exit(bad)
PY
echo ok
