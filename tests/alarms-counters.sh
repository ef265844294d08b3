#!/bin/sh
# No false all-clear (issue 22): a failure counter of the catalogue
# (rules/counters.yaml) that moves during the audit's counter interval gives
# a WARNING naming it, its rate and its meaning, unless the rule that owns
# it already warns; counted before the interval it is history (INFO); a
# namespace where nothing failed stays OK. Real kernel, real sockets, in
# namespaces made here.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab-lib.sh"

hr_require_netns
command -v python3 >/dev/null || skip "needs python3"

# udp_noports NS RATE SECONDS: datagrams to 127.0.0.1:9 (no socket there),
# RATE a second for SECONDS: each is counted in Udp NoPorts.
udp_noports() {
	hr_in "$1" python3 -c '
import socket, sys, time
rate, secs = float(sys.argv[1]), float(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
t0 = time.monotonic(); n = 0
while time.monotonic() - t0 < secs:
    s.sendto(b"x", ("127.0.0.1", 9)); n += 1
    time.sleep(max(0.0, t0 + n / rate - time.monotonic()))
' "$2" "$3"
}

# 1. Firing: NoPorts moves during the interval; no rule owns it. The
# sender is paced but the machine may be busy, so the rate is checked
# against the kernel's own count around the audit: the probe's delta
# (rate x interval) lies between 1 and the count's growth over the audit.
ns=$(hr_ns fire)
udp_noports "$ns" 100 6 &
gen=$!
HR_PIDS="$HR_PIDS $gen"
sleep 0.5
n0=$(lab_counter "$ns" Udp NoPorts)
lab_audit "$ns" "$T/fire.json" --interval 2
n1=$(lab_counter "$ns" Udp NoPorts)
hr_in "$ns" "$HR_BIN" audit --interval 1 >"$T/fire.txt" 2>&1 || true
wait "$gen"
f=$(lab_finding "$T/fire.json" counters.moved snmp.Udp.NoPorts)
[ -n "$f" ] || fail "no counters.moved finding for snmp.Udp.NoPorts while it grew $((n1 - n0))"
assert_eq "$(lab_field "$f" 'f["severity"]')" warning "counters.moved snmp.Udp.NoPorts severity"
rate=$(lab_metric "$f" rate_per_s)
iv=$(lab_metric "$f" interval_s)
total=$(lab_metric "$f" count_total)
awk -v r="$rate" -v i="$iv" -v d=$((n1 - n0)) 'BEGIN { x = r * i; exit !(x >= 0.999 && x <= d + 0.001) }' ||
	fail "NoPorts delta in the audit ($rate/s x $iv s) not within 1..$((n1 - n0)) (the kernel's growth over the audit)"
[ "$total" -ge "$n0" ] && [ "$total" -le "$n1" ] || fail "NoPorts since boot $total not within $n0..$n1"
echo "$f" | grep -q "no socket listens on" || fail "the finding does not say what NoPorts means: $f"
assert_eq "$LAB_AUDIT_RC" 1 "exit status with a failure counter moving (WARNING)"
grep -q '^WARNING: snmp.Udp.NoPorts grew' "$T/fire.txt" || fail "the verdict does not name NoPorts: $(head -n 2 "$T/fire.txt")"
note "NoPorts $n0 -> $n1 over the audit; audit: $rate/s over $iv s, $total since boot"

# 2. History: the same counter moved before the audit, not during it: INFO.
ns2=$(hr_ns hist)
udp_noports "$ns2" 500 0.2
h=$(lab_counter "$ns2" Udp NoPorts)
[ "$h" -gt 0 ] || fail "no NoPorts counted in $ns2"
lab_audit "$ns2" "$T/hist.json" --interval 1
f=$(lab_finding "$T/hist.json" counters.moved snmp.Udp.NoPorts)
assert_eq "$(lab_field "$f" 'f["severity"]')" info "NoPorts counted before the interval"
assert_eq "$(lab_metric "$f" count_total)" "$h" "NoPorts since boot (the kernel's count)"
assert_eq "$(lab_metric "$f" rate_per_s)" 0 "NoPorts rate after the sender stopped"
assert_eq "$LAB_AUDIT_RC" 0 "exit status with history only"

# 3. Owned: ListenOverflows moves while listen.overflows warns: that rule
# says it, counters.moved does not repeat it.
ns3=$(hr_ns owned)
hr_bg "$ns3" python3 -c '
import socket, time
l = socket.socket(); l.bind(("127.0.0.1", 5790)); l.listen(0)
cs = []
t0 = time.monotonic()
while time.monotonic() - t0 < 5:
    c = socket.socket(); c.setblocking(False)
    try: c.connect(("127.0.0.1", 5790))
    except BlockingIOError: pass
    cs.append(c); time.sleep(0.05)
'
sleep 0.7
lab_audit "$ns3" "$T/owned.json" --interval 2
o=$(lab_finding "$T/owned.json" listen.overflows)
case "$(lab_field "$o" 'f["severity"]')" in warning | critical) ;; *) fail "listen.overflows does not warn while ListenOverflows grows: $o" ;; esac
f=$(lab_finding "$T/owned.json" counters.moved netstat.TcpExt.ListenOverflows)
sev=$(lab_field "$f" 'f["severity"]')
[ "$sev" = ok ] || fail "counters.moved repeats ListenOverflows ($sev) although its owner warns"

# 4. Quiet: a namespace where nothing fails stays OK, every counter quiet.
ns4=$(hr_ns quiet)
lab_audit "$ns4" "$T/quiet.json" --interval 1
assert_eq "$LAB_AUDIT_RC" 0 "exit status of a quiet namespace"
python3 - "$T/quiet.json" <<'PY' || fail "counters.moved fired in a quiet namespace"
import json, sys
rep = json.load(open(sys.argv[1]))
mine = [f for f in rep["findings"] if f["rule"] == "counters.moved"]
bad = [f["subject"] + " " + f["severity"] for f in mine if f["severity"] != "ok"]
print("# %d failure counters checked, %d not ok: %s" % (len(mine), len(bad), bad))
sys.exit(1 if bad or len(mine) < 30 else 0)
PY
echo ok
