#!/bin/sh
# Listeners from the sock_diag dump: accept queue and backlog as ss shows
# them (a full queue holds backlog + 1), and the states of the clients
# stuck behind it (ESTABLISHED, SYN_SENT), per destination, as ss counts them.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sockdiag-lib.sh"
hr_require_netns
sd_require_helpers
command -v python3 >/dev/null || skip "needs python3"

NS=$(hr_ns listen)
hr_bg "$NS" "$TCPGEN" server --listen 127.0.0.1:7301 --backlog 4 --accept never --duration 20 --quiet
hr_bg "$NS" "$TCPGEN" server --listen [::1]:7302 --backlog 16 --close client --duration 20 --quiet
sd_wait_listen "$NS" 7301 7302
# 20 connects in 1 s toward a server that never accepts; the client waits
# for a server close that never comes, then gives up (bounded: ~3 s).
hr_bg "$NS" "$TCPGEN" client --connect 127.0.0.1:7301 --rate 20 --count 20 --duration 6 --close server --quiet
gen=$HR_LASTPID
hr_in "$NS" "$TCPGEN" client --connect [::1]:7302 --rate 50 --count 10 --duration 2 --quiet >/dev/null
sleep 1.5

sd_facts "$NS" "$T/f.json"
note "socket facts from $SD_SOURCE"
hr_in "$NS" ss -Hltn >"$T/ss.listen"
hr_in "$NS" ss -Htan state syn-sent dst 127.0.0.1:7301 | wc -l >"$T/ss.synsent"
hr_in "$NS" ss -Htan state established dst 127.0.0.1:7301 | wc -l >"$T/ss.est"
hr_in "$NS" ss -Htan state time-wait dst [::1]:7302 | wc -l >"$T/ss.tw6"
wait "$gen" || true

python3 - "$T/f.json" "$T/ss.listen" "$(cat "$T/ss.synsent")" "$(cat "$T/ss.est")" "$(cat "$T/ss.tw6")" <<'PY' ||
import json, sys
def facts(p):
    d = json.load(open(p))
    return d.get("facts", d)  # probe prints the facts object; accept a wrapper too
s = facts(sys.argv[1])["sockets"]
ss = {}
for l in open(sys.argv[2]):
    f = l.split()  # State Recv-Q Send-Q Local Peer
    ss[f[3]] = (int(f[1]), int(f[2]))
synsent, est, tw6 = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
bad = 0
lis = {l["subject"]: l for l in s["listeners"]}
for subj, (q, b) in ss.items():
    l = lis.get(subj)
    print("# listener %s: ss queue %d backlog %d, facts %s %s" % (subj, q, b, l and l["queue"], l and l["backlog"]))
    if not l or l["queue"] != q or l["backlog"] != b:
        bad = 1
if ss.get("127.0.0.1:7301") != (5, 4):
    print("ss: a full accept queue with backlog 4 should hold 5, got %s" % (ss.get("127.0.0.1:7301"),)); bad = 1
d = {x["subject"]: x for x in s["destinations"]}
d4 = d.get("127.0.0.1:7301", {"states": {}})["states"]
d6 = d.get("[::1]:7302", {"timewait": 0})
print("# 127.0.0.1:7301: ss SYN_SENT %d ESTABLISHED %d, facts %s" % (synsent, est, d4))
print("# [::1]:7302: ss TIME_WAIT %d, facts %s" % (tw6, d6["timewait"]))
if d4.get("SYN_SENT", 0) != synsent or d4.get("ESTABLISHED", 0) != est or synsent == 0:
    bad = 1
if d6["timewait"] != tw6 or tw6 != 10:
    bad = 1
sys.exit(bad)
PY
	fail "listener facts disagree with ss"
echo ok
