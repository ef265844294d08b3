#!/bin/sh
# The shipped Prometheus rules (contrib/prometheus/headroom.rules.yml)
# against series headroom itself emits, with `promtool test rules`:
#   - a client namespace running out of ports (tcpgen, 20 connections/s,
#     a 200-port range, the client closes first) with a full accept queue
#     that keeps overflowing, audited live (--interval 1) and as a snapshot
#     audited a few seconds after its capture;
#   - a quiet namespace; a tree the audit cannot use (UNKNOWN); the
#     snapshot with its conntrack count set to 95% of the maximum (a
#     child namespace cannot fill the host's table: a fake tree).
# The expositions become promtool input series, label for label (the
# instance label says which audit); their report and capture times are
# moved onto promtool's clock (the audit at 0 s), so the rules' time()
# arithmetic is the one a live Prometheus does. Expected alerts and
# their annotations are computed from the same numbers, with Prometheus'
# humanizeDuration and humanizePercentage re-implemented below.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/audit-lib.sh"
hr_require_netns
au_require_tcpgen
command -v python3 >/dev/null || skip "needs python3"
hr_need_tool promtool prometheus
RULES=$HR_SRCDIR/contrib/prometheus/headroom.rules.yml
[ -r "$RULES" ] || fail "no $RULES"
promtool check rules "$RULES" >"$T/check.out" 2>&1 || { cat "$T/check.out" >&2; fail "promtool check rules"; }

NET=10.197.$(($$ % 200 + 20))
au_exhaust_setup al "$NET" 5773
qt=$(hr_ns alq)
# A listener with backlog 1 nobody accepts from, and a client that keeps
# connecting to it: each SYN that finds the queue full is an overflow.
au_listener "$cl" 127.0.0.1 7002 1 4
hr_bg "$cl" python3 -c '
import socket, time
cs = []
for i in range(60):
    c = socket.socket(); c.setblocking(False); c.connect_ex(("127.0.0.1", 7002)); cs.append(c)
    time.sleep(0.1)
time.sleep(5)
'
hr_bg "$cl" "$TCPGEN" client --connect "$DEST" --rate 20 --duration 10 --close client --quiet
cli_pid=$HR_LASTPID
sleep 3
hr_in "$cl" "$HR_BIN" snapshot -q -o "$T/tree" >/dev/null || fail "snapshot"
hr_in "$cl" "$HR_BIN" audit -q --interval 1 --format prometheus >"$T/live.prom" || true
"$HR_BIN" audit -q --root "$T/tree" --format prometheus >"$T/tree.prom" || true
kill "$cli_pid" "$srv_pid" 2>/dev/null || true
hr_in "$qt" "$HR_BIN" audit -q --interval 1 --format prometheus >"$T/quiet.prom" || true
mkdir "$T/empty"
"$HR_BIN" audit -q --root "$T/empty" --format prometheus >"$T/unknown.prom" 2>/dev/null || true
cp -a "$T/tree" "$T/ct"
max=$(cat "$T/ct/proc/sys/net/netfilter/nf_conntrack_max" 2>/dev/null) || fail "the snapshot has no nf_conntrack_max"
echo $((max * 95 / 100)) >"$T/ct/proc/sys/net/netfilter/nf_conntrack_count"
"$HR_BIN" audit -q --root "$T/ct" --format prometheus >"$T/ct.prom" || true
for f in live tree quiet unknown ct; do
	promtool check metrics <"$T/$f.prom" >"$T/$f.chk" 2>&1 || { cat "$T/$f.chk" >&2; fail "promtool check metrics $f.prom"; }
done

python3 - "$T" "$RULES" "$DEST" <<'PY' || fail "writing the promtool tests"
import math, re, sys
T, rules, dest = sys.argv[1], sys.argv[2], sys.argv[3]
lab = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
def parse(path):
    out = []
    for line in open(path):
        if line.startswith("#") or not line.strip():
            continue
        m = re.fullmatch(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)\n?', line)
        assert m, line
        labels = {k: v for k, v in lab.findall(m.group(2) or "") if v != ""}
        out.append((m.group(1), labels, float(m.group(3))))
    return out
def get(ser, name, **l):
    v = [x for n, lb, x in ser if n == name and all(lb.get(k) == w for k, w in l.items())]
    return v[0] if v else None
# Prometheus' template functions (template/template.go).
def g4(v):
    s = "%.4g" % v
    return s
def hdur(v):
    if v == 0: return "0s"
    if abs(v) >= 1:
        sign = "-" if v < 0 else ""
        v = abs(v); d = int(v); s, m, h, days = d % 60, d // 60 % 60, d // 3600 % 24, d // 86400
        if days: return "%s%dd %dh %dm %ds" % (sign, days, h, m, s)
        if h: return "%s%dh %dm %ds" % (sign, h, m, s)
        if m: return "%s%dm %ds" % (sign, m, s)
        return "%s%ss" % (sign, g4(v))
    pre = ""
    for p in ["m", "u", "n", "p", "f", "a", "z", "y"]:
        if abs(v) >= 1: break
        pre = p; v *= 1000
    return "%s%ss" % (g4(v), pre)
def hpct(v): return "%s%%" % g4(v * 100)
def pl(v): return repr(float(v))

# input series: timestamps on promtool's clock; refreshed (the timer
# rewrites the textfile every minute) or stopped (the last write stands).
def series(ser, inst, refreshed):
    t0 = get(ser, "headroom_audit_timestamp_seconds")
    lines = []
    for n, lb, v in ser:
        l = dict(lb, instance=inst, job="node")
        sel = n + "{" + ",".join('%s="%s"' % kv for kv in sorted(l.items())) + "}"
        if n.endswith("_timestamp_seconds"):
            v -= t0
            vals = "%s+60x20" % pl(v) if refreshed else "%s+0x20" % pl(v)
        else:
            vals = "%s+0x20" % pl(v)
        lines.append("      - series: '%s'\n        values: '%s'" % (sel, vals))
    return "\n".join(lines)
def alerts(name, at, exp):
    s = "      - eval_time: %s\n        alertname: %s\n        exp_alerts:" % (at, name)
    if not exp: return s + " []"
    for labels, ann in exp:
        s += "\n          - exp_labels:\n" + "".join("              %s: '%s'\n" % kv for kv in sorted(labels.items()))
        s += "            exp_annotations:\n" + "".join("              %s: \"%s\"\n" % (k, v.replace('"', '\\"')) for k, v in sorted(ann.items()))
        s = s.rstrip("\n")
    return s

sets = {n: parse("%s/%s.prom" % (T, n)) for n in ("live", "tree", "quiet", "unknown", "ct")}
P = {"rule": "ports.timewait-exhaustion", "subject": dest}
def cap(ser):
    c = get(ser, "headroom_audit_capture_timestamp_seconds")
    return None if c is None else c - get(ser, "headroom_audit_timestamp_seconds")
live, tree = sets["live"], sets["tree"]
# What the audits must have shown for the alerts to be tested at all.
assert get(live, "headroom_seconds_to_exhaustion", **P) is not None, "no seconds_to_exhaustion for %s live" % dest
assert get(tree, "headroom_seconds_to_exhaustion", **P) is not None, "no seconds_to_exhaustion for %s in the tree" % dest
assert (get(live, "headroom_overflows_per_second", rule="listen.overflows") or 0) > 0, "no listen overflows during the live audit"
assert get(live, "headroom_audit_status") == 2 and get(sets["quiet"], "headroom_audit_status") == 0, "status live/quiet"
assert get(sets["unknown"], "headroom_audit_status") == 3, "unknown status"
assert (get(sets["ct"], "headroom_fill", rule="conntrack.table") or 0) > 0.9, "conntrack fill"
assert cap(tree) < 0, "the tree's capture %r s after its report" % cap(tree)
assert abs(cap(live)) < 1e-9, "a live audit counts from its report, not %r" % cap(live)

J = {"job": "node"}
def port_alerts(names, age):  # age(ser): seconds from the capture to the evaluation
    out = []
    for inst in names:
        ser = sets[inst]
        for n, lb, v in ser:
            if n != "headroom_seconds_to_exhaustion":
                continue
            left = v - age(ser)
            if left < 600:
                subj = lb.get("subject", "")
                out.append((dict(lb, alertname="HeadroomPortsExhaustionSoon", severity="critical", instance=inst, **J),
                    {"summary": "%s: connections to %s run out of local ports in %s (negative: already)" % (inst, subj, hdur(left)),
                     "description": "headroom predicts the ephemeral port range is used up toward %s (rule %s); run `headroom explain %s` on the host for the numbers and the fixes." % (subj, lb["rule"], lb["rule"])}))
    return out
def simple(name, sev, inst, summary, desc, **extra):
    return (dict({"alertname": name, "severity": sev, "instance": inst}, **J, **extra), {"summary": summary, "description": desc})
def status_alerts(names, code, name, sev, summ, desc):
    return [simple(name, sev, i, summ % i, desc) for i in names if get(sets[i], "headroom_audit_status") == code]
def ovf_alerts(names):
    out = []
    for i in names:
        v = get(sets[i], "headroom_overflows_per_second", rule="listen.overflows")
        if v and v > 0:
            out.append(simple("HeadroomListenOverflows", "warning", i, "%s: accept queues overflow, %.1f per second" % (i, v),
                "SYNs or completed handshakes are dropped because a listener's accept queue is full (ListenOverflows); clients wait for retransmits (1, 3, 7 s). `headroom explain listen.overflows`.",
                rule="listen.overflows"))
    return out
def ct_alerts(names):
    out = []
    for i in names:
        v = get(sets[i], "headroom_fill", rule="conntrack.table")
        if v is not None and v > 0.9:
            out.append(simple("HeadroomConntrackFull", "warning", i, "%s: conntrack table %s full" % (i, hpct(v)),
                "nf_conntrack_count is close to nf_conntrack_max; at 100% the kernel logs 'nf_conntrack: table full, dropping packet' and new connections fail. `headroom explain conntrack.table`.",
                rule="conntrack.table"))
    return out
stale = lambda names, age: [simple("HeadroomTextfileStale", "warning", i, "%s: headroom's metrics are %s old" % (i, hdur(age)),
    "headroom-textfile.timer has not written the textfile for 5 minutes: every figure of headroom on this host is stale. `systemctl status headroom-textfile.timer`.") for i in names]
crit = lambda names: status_alerts(names, 2, "HeadroomAuditCritical", "critical", "%s: headroom audit is CRITICAL", "Run `headroom audit` on the host for the findings.")
unk = lambda names: status_alerts(names, 3, "HeadroomAuditUnknown", "warning", "%s: headroom cannot audit (UNKNOWN)",
    "The audit found nothing usable or its rules failed to load; `headroom audit` on the host says why.")

tests = []
# 1. Refreshed every minute: each prediction is as old as its capture was
#    at its report (0 live), nothing is stale; the "for: 5m" alerts wait.
A = ["live", "quiet", "unknown", "ct"]
fresh = lambda ser: -cap(ser)
tests.append("""  - interval: 1m
    input_series:
%s
    promql_expr_test:
      - expr: headroom:audit_age_seconds{instance="live"}
        eval_time: 6m
        exp_samples:
          - labels: 'headroom:audit_age_seconds{instance="live",job="node"}'
            value: 0
    alert_rule_test:
%s""" % ("\n".join(series(sets[i], i, True) for i in A), "\n".join([
         alerts("HeadroomPortsExhaustionSoon", "2m", port_alerts(A, fresh)),
         alerts("HeadroomPortsExhaustionSoon", "6m", port_alerts(A, fresh)),
         alerts("HeadroomListenOverflows", "4m", []),
         alerts("HeadroomListenOverflows", "6m", ovf_alerts(A)),
         alerts("HeadroomAuditCritical", "6m", crit(A)),
         alerts("HeadroomAuditUnknown", "6m", unk(A)),
         alerts("HeadroomConntrackFull", "4m", []),
         alerts("HeadroomConntrackFull", "6m", ct_alerts(A)),
         alerts("HeadroomTextfileStale", "6m", [])])))
assert ovf_alerts(A) and ct_alerts(A) and crit(A) and unk(A) and port_alerts(A, fresh), "an alert with nothing to fire on"
# 2. The timer stopped after one write: the prediction ages with the clock
#    (the tree counts from its capture, before its report), then goes stale.
B = ["live", "tree"]
at1 = lambda ser: 60 - cap(ser)
s2e = lambda ser: get(ser, "headroom_seconds_to_exhaustion", **P)
tests.append("""  - interval: 1m
    input_series:
%s
    promql_expr_test:
      - expr: headroom:seconds_to_exhaustion:now{subject="%s"}
        eval_time: 1m
        exp_samples:
          - labels: 'headroom:seconds_to_exhaustion:now{instance="live",job="node",rule="%s",subject="%s"}'
            value: %s
          - labels: 'headroom:seconds_to_exhaustion:now{instance="tree",job="node",rule="%s",subject="%s"}'
            value: %s
    alert_rule_test:
%s""" % ("\n".join(series(sets[i], i, False) for i in B), dest,
         P["rule"], dest, pl(s2e(live) - at1(live)), P["rule"], dest, pl(s2e(tree) - at1(tree)), "\n".join([
         alerts("HeadroomPortsExhaustionSoon", "1m", port_alerts(B, at1)),
         alerts("HeadroomTextfileStale", "5m", []),
         alerts("HeadroomTextfileStale", "6m", stale(B, 360))])))
with open(T + "/alerts.test.yml", "w") as f:
    f.write("rule_files:\n  - %s\nevaluation_interval: 1m\ntests:\n%s\n" % (rules, "\n".join(tests)))
print("# from the audits: %s exhausted in %.2f s live, %.2f s after the capture in the tree (captured %.2f s before its report); "
      "%.1f overflows/s; conntrack %.0f%% full in the fake tree" % (dest, s2e(live), s2e(tree), -cap(tree),
      get(live, "headroom_overflows_per_second", rule="listen.overflows"), 100 * get(sets["ct"], "headroom_fill", rule="conntrack.table")))
PY
rc=0; promtool test rules "$T/alerts.test.yml" >"$T/promtool.out" 2>&1 || rc=$?
cat "$T/promtool.out"
[ "$rc" = 0 ] || fail "promtool test rules (the test file: $T/alerts.test.yml)"
note "promtool test rules: every shipped alert fires on the audit that shows its problem and stays quiet on the others"
