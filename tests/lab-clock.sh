#!/bin/sh
# Lab: a prediction's clock. A client opens and closes R connections/s to a
# server namespace (tcpgen, the client closes first) with a 600-port range:
# each port stays in TIME_WAIT for 60 s, so connect() fails with
# EADDRNOTAVAIL after 600 / R s (20 s at 30/s). While the ports run out:
#   1. three live audits, --interval 0, 1 and 3, one after the other: each
#      seconds_to_exhaustion, counted from the moment the audit returns,
#      names the first failure within 5% + 0.5 s (the probe reads the
#      sockets before its counter interval ends: without subtracting
#      probe.sockets_age the --interval 3 one would be 3 s, 15%, late);
#   2. a snapshot taken just before them, audited 10 s after its capture,
#      predicts the same moment, counted from the capture it names (JSON,
#      and text: "N s after the capture at T, AGE ago: in M s, if the load
#      held"); audited again after the failure, the same figures, and the
#      text says "exhausted since";
#   3. the Prometheus output carries the capture time
#      (headroom_audit_capture_timestamp_seconds), from the tree and live.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab-lib.sh"

lab_requires tcpgen audit snapshot
hr_need_tool promtool prometheus
lab_two_hosts

R=${LAB_RATE:-30}
port=5775
dest="$LAB_S_IP:$port"
lab_sysctl "$LAB_C" net.ipv4.ip_local_port_range "40000 40599"
hr_bg "$LAB_S" "$LAB_HELPERS/tcpgen" server --listen "$dest" --close client --duration 50 --quiet
lab_wait_listen "$LAB_S" "$port"
hr_bg "$LAB_C" sh -c "exec '$LAB_HELPERS/tcpgen' client --connect $dest --rate $R --duration 35 --close client --stop-on-fail >'$T/run.out'"
pid=$HR_LASTPID
# A few seconds of TIME_WAIT ages first: the rate comes from them.
sleep "${LAB_AUDIT_AT:-4}"

# The snapshot (audited 10 s after its capture, below), then the live
# audits; each one's moment is when it returned (its answer in hand).
hr_in "$LAB_C" "$HR_BIN" snapshot -q -o "$T/snap" >/dev/null || fail "headroom snapshot in the client namespace"
for iv in 0 1 3; do
	lab_audit "$LAB_C" "$T/a$iv.json" --interval "$iv"
	echo "$LAB_AUDIT_T1" >"$T/a$iv.end"
done
cap=$(awk '$1 == "sockets" { print $2 }' "$T/snap/headroom/clock")
[ -n "$cap" ] || fail "the snapshot has no sockets line in headroom/clock: $(cat "$T/snap/headroom/clock")"
wait_s=$(lab_calc "$cap + 10 - $(lab_now)")
awk -v w="$wait_s" 'BEGIN { exit !(w > 0) }' && sleep "$wait_s"
lab_audit "$LAB_C" "$T/tree.json" --root "$T/snap"
hr_in "$LAB_C" "$HR_BIN" audit -q --root "$T/snap" >"$T/tree.txt" 2>&1 || true
hr_in "$LAB_C" "$HR_BIN" audit -q --root "$T/snap" --format prometheus >"$T/tree.prom" 2>/dev/null || true
hr_in "$LAB_C" "$HR_BIN" audit -q --interval 0 --format prometheus >"$T/live.prom" 2>/dev/null || true
lab_wait_pid "$pid" 45 "tcpgen client"
note "client: $(tail -n 1 "$T/run.out")"
[ "$(lab_kv "$T/run.out" eaddrnotavail)" -gt 0 ] || fail "no EADDRNOTAVAIL at $R conn/s with 600 ports"
t_start=$(lab_kv "$T/run.out" t0_unix)
t_obs=$(lab_kv "$T/run.out" first_eaddrnotavail_s)
# The same tree after the failure: the same count, now in the past.
lab_audit "$LAB_C" "$T/tree2.json" --root "$T/snap"
hr_in "$LAB_C" "$HR_BIN" audit -q --root "$T/snap" >"$T/tree2.txt" 2>&1 || true

# The age of a tree's capture when it was audited, from its report.
jq_age() { python3 -c 'import json,sys; print("%.1f" % json.load(open(sys.argv[1]))["summary"]["clock"]["age_s"])' "$1"; }

python3 - "$T" "$dest" "$t_start" "$t_obs" >"$T/table" <<'PY' || fail "predictions: $(cat "$T/table")"
import json, re, sys
T, dest, t0, obs = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
bad = []
def finding(path):
    rep = json.load(open(path))
    for f in rep["findings"]:
        if f["rule"] == "ports.timewait-exhaustion" and f["subject"] == dest:
            return rep, f
    sys.exit("no ports.timewait-exhaustion finding for %s in %s" % (dest, path))
print("| --interval | seconds_to_exhaustion | sockets read before the report | predicted | observed | error |")
print("|---:|---:|---:|---:|---:|---:|")
live = {}
for iv in ("0", "1", "3"):
    rep, f = finding("%s/a%s.json" % (T, iv))
    m, clk = f["metrics"], rep["summary"]["clock"]
    tte = m["seconds_to_exhaustion"]
    if tte is None or clk["counts_from"] != "report":
        sys.exit("--interval %s: seconds_to_exhaustion %r, counts_from %r" % (iv, tte, clk["counts_from"]))
    end = float(open("%s/a%s.end" % (T, iv)).read())
    pred = end - t0 + tte                      # read when the audit returned
    live[iv] = clk["report_unix_ms"] / 1000 - t0 + tte
    age = clk["read_age_s"]["sockets"]
    if not float(iv) - 0.2 < age < float(iv) + 1:
        bad.append("--interval %s: the sockets were read %.2f s before the report" % (iv, age))
    err = pred - obs
    print("# --interval %s: sockets read at %.2f s, report at %.2f s, returned at %.2f s: rate %.2f/s, %s of %s ports in use (%s free)"
          % (iv, clk["report_unix_ms"] / 1000 - t0 - age, clk["report_unix_ms"] / 1000 - t0, end - t0, m["rate_per_s"],
             m["ports_in_use"], m["ports_usable"], m["ports_free"]))
    print("| %s | %.2f s | %.2f s | %.2f s | %.2f s | %+.2f s (%+.1f%%) |" % (iv, tte, age, pred, obs, err, 100 * err / obs))
    if abs(err) > 0.05 * obs + 0.5:
        bad.append("--interval %s: predicted %.2f s, observed %.2f s: more than 5%% + 0.5 s apart" % (iv, pred, obs))
rep, f = finding(T + "/tree.json")
clk, tte = rep["summary"]["clock"], f["metrics"]["seconds_to_exhaustion"]
if clk["counts_from"] != "capture" or clk["at_unix_ms"] is None or tte is None:
    sys.exit("the tree's clock: %r, seconds_to_exhaustion %r" % (clk, tte))
cap = clk["at_unix_ms"] / 1000
pred = cap - t0 + tte
print("| snapshot, audited %.1f s after its capture | %.2f s after the capture | | %.2f s | %.2f s | %+.2f s (%+.1f%%) |"
      % (clk["age_s"], tte, pred, obs, pred - obs, 100 * (pred - obs) / obs))
print("# the snapshot, captured at %.2f s, predicts %+.2f s from the --interval 0 audit after it (%.2f s on the report's clock)"
      % (cap - t0, pred - live["0"], live["0"]))
if clk["age_s"] < 10:
    bad.append("the snapshot was audited %.1f s after its capture, not 10" % clk["age_s"])
if abs(pred - live["0"]) > 0.02 * obs + 0.3:
    bad.append("the snapshot predicts %.2f s, the live audit after it %.2f s" % (pred, live["0"]))
if abs(pred - obs) > 0.05 * obs + 0.5:
    bad.append("the snapshot predicts %.2f s, observed %.2f s" % (pred, obs))
# Audited again after the failure: the same count from the same capture.
rep2, f2 = finding(T + "/tree2.json")
if f2["metrics"]["seconds_to_exhaustion"] != tte or rep2["summary"]["clock"]["at_unix_ms"] != clk["at_unix_ms"]:
    bad.append("the tree audited again counts %r from %r, first %r from %r" % (f2["metrics"]["seconds_to_exhaustion"],
               rep2["summary"]["clock"]["at_unix_ms"], tte, clk["at_unix_ms"]))
# The text says where the count starts and whether that moment has passed.
for path, end in (("tree.txt", r"in [0-9.,]+ s, if the load held"), ("tree2.txt", "exhausted since, if the load held")):
    text = open("%s/%s" % (T, path)).read()
    want = r"run out of local ports [0-9.,]+ s after the capture at %s, [0-9.]+ s ago: %s" % (re.escape(clk["at"]), end)
    if not re.search(want, text):
        bad.append("%s: the verdict does not count from the capture: %s" % (path, text.splitlines()[0]))
    if "Captured at %s" % clk["at"] not in text:
        bad.append("%s: the report does not say when the tree was captured" % path)
# Prometheus: the capture time, from the tree and live.
def prom(path):
    v = {}
    for line in open(path):
        m = re.fullmatch(r"(headroom_audit_(?:capture_)?timestamp_seconds) (\S+)\n", line)
        if m:
            v[m.group(1)] = float(m.group(2))
    return v
p = prom(T + "/tree.prom")
got = p.get("headroom_audit_capture_timestamp_seconds")
if got is None or abs(got - cap) > 0.0015:
    bad.append("tree: headroom_audit_capture_timestamp_seconds %r, the capture %.3f" % (got, cap))
if not p.get("headroom_audit_timestamp_seconds", 0) >= cap + 10:
    bad.append("tree: headroom_audit_timestamp_seconds %r, not 10 s after the capture" % p.get("headroom_audit_timestamp_seconds"))
p = prom(T + "/live.prom")
got = p.get("headroom_audit_capture_timestamp_seconds")
if got is None or got != p.get("headroom_audit_timestamp_seconds"):
    bad.append("live: the capture timestamp %r is not the report's %r" % (got, p.get("headroom_audit_timestamp_seconds")))
print("\n".join("FAIL: " + b for b in bad))
sys.exit(1 if bad else 0)
PY
sed 's/^/# /' "$T/table"
note "the tree, $(jq_age "$T/tree.json") s after its capture: $(head -n 1 "$T/tree.txt")"
note "the tree, $(jq_age "$T/tree2.json") s after its capture: $(head -n 1 "$T/tree2.txt")"
promtool check metrics <"$T/tree.prom" || fail "promtool check metrics on the tree's exposition"
promtool check metrics <"$T/live.prom" || fail "promtool check metrics on the live exposition"
lab_result "clock: audits at --interval 0, 1 and 3 and a snapshot audited 10 s after its capture each predict the first EADDRNOTAVAIL at $(lab_round "$t_obs") s within 5% + 0.5 s ($(grep -c '^| ' "$T/table" | awk '{ print $1 - 1 }') rows in the table above)"
echo ok
