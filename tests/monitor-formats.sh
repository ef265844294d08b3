#!/bin/sh
# headroom audit for monitoring systems, on real port exhaustion: a client
# namespace with a 200-port range opening 20 connections/s to a server
# namespace (tcpgen, the client closes first), and a listener whose accept
# queue is full; captured with `headroom snapshot`, then audited with
# --root in every format, so the values are the same in each.
#   1. --format prometheus passes `promtool check metrics` (no problems), and
#      every series equals the JSON output of the same audit; unknown (null)
#      metrics are left out; severities and status are the documented numbers.
#   2. --textfile DIR writes DIR/headroom.prom with the same content (0644,
#      no temporary file left); a missing DIR is an error naming it (exit 3).
#   3. --format nagios: one line, the verdict and perfdata that match the
#      monitoring-plugins grammar, values equal to the JSON; exit code kept.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/audit-lib.sh"
hr_require_netns
au_require_tcpgen
command -v python3 >/dev/null || skip "needs python3"
hr_need_tool promtool prometheus

NET=10.198.$(($$ % 200 + 20))
au_exhaust_setup mon "$NET" 5774
au_listener "$cl" 127.0.0.1 7001 4 8
hr_bg "$cl" "$TCPGEN" client --connect "$DEST" --rate 20 --duration 10 --close client --quiet
cli_pid=$HR_LASTPID
sleep 4
hr_in "$cl" "$HR_BIN" snapshot -q -o "$T/tree" >/dev/null || fail "snapshot"
kill "$cli_pid" "$srv_pid" 2>/dev/null || true

A() { "$HR_BIN" audit -q --root "$T/tree" "$@"; }
au_audit "$T/a.json" A
[ "$AU_RC" = 2 ] || fail "expected CRITICAL (2) for the exhausted range, got $AU_RC"
au_check "$T/a.json" "ports.timewait-exhaustion $DEST critical" || fail "no critical port finding for $DEST"

# --- 1. prometheus --------------------------------------------------------------
rc=0; A --format prometheus >"$T/a.prom" || rc=$?
assert_eq "$rc" "$AU_RC" "exit code with --format prometheus"
rc=0; promtool check metrics <"$T/a.prom" >"$T/promtool.out" 2>&1 || rc=$?
note "promtool check metrics: exit $rc, $(wc -l <"$T/promtool.out") problems"
[ "$rc" = 0 ] && [ ! -s "$T/promtool.out" ] || { cat "$T/promtool.out" >&2; fail "promtool check metrics"; }

python3 - "$T/a.json" "$T/a.prom" "$DEST" <<'PY' || fail "prometheus series differ from the JSON"
import json, re, sys
rep = json.load(open(sys.argv[1])); dest = sys.argv[3]
def die(msg):
    print("FAIL:", msg, file=sys.stderr); sys.exit(1)
# A small exposition parser: families (HELP, TYPE) and samples.
series, types, helps, order = {}, {}, {}, []
lab = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
for line in open(sys.argv[2]):
    line = line.rstrip("\n")
    if line.startswith("# HELP "):
        n, h = line[7:].split(" ", 1); helps[n] = h; continue
    if line.startswith("# TYPE "):
        n, t = line[7:].split(" "); types[n] = t; order.append(n); continue
    m = re.fullmatch(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)', line)
    if not m: die("bad line %r" % line)
    name, labels, value = m.group(1), m.group(2) or "", m.group(3)
    if name != order[-1]: die("%s outside its family %s" % (name, order[-1]))
    key = (name, tuple(sorted(lab.findall(labels))))
    if key in series: die("duplicate series %r" % (key,))
    series[key] = float(value)
for n in types:
    if n not in helps: die("no HELP for " + n)
def get(name, **l):
    return series.get((name, tuple(sorted(l.items()))))
def fam(metric):
    # The documented mapping: headroom -> headroom_ratio, a "_s" part -> seconds.
    if metric == "headroom": return "headroom_ratio"
    parts = metric.split("_")
    out = [("second" if i and parts[i - 1] == "per" else "seconds") if p == "s" else p for i, p in enumerate(parts)]
    n = "headroom_" + "_".join(out)
    return n + "_value" if re.search(r"_(count|sum|bucket)$", n) else n
s = rep["summary"]
if get("headroom_audit_status") != s["exit_code"]: die("status %s != exit_code %s" % (get("headroom_audit_status"), s["exit_code"]))
if not get("headroom_audit_duration_seconds") > 0: die("duration")
# The moment every time to exhaustion counts from: the snapshot's capture.
clk = rep["summary"]["clock"]
if clk["counts_from"] != "capture" or get("headroom_audit_capture_timestamp_seconds") != clk["at_unix_ms"] / 1000:
    die("capture time %s, the report's clock %r" % (get("headroom_audit_capture_timestamp_seconds"), clk))
if not get("headroom_audit_timestamp_seconds") >= clk["at_unix_ms"] / 1000: die("report time before the capture")
for k, v in s["counts"].items():
    if get("headroom_audit_findings", severity=k) != v: die("findings %s" % k)
sevnum = {"ok": 0, "info": 1, "warning": 2, "critical": 3}
nulls = checked = 0
for f in rep["findings"]:
    l = {"rule": f["rule"], "subject": f.get("subject") or ""}
    if get("headroom_finding_severity", **l) != sevnum[f["severity"]]: die("severity of %r" % l)
    for k, v in f["metrics"].items():
        got = get(fam(k), **l)
        if v is None:
            nulls += 1
            if got is not None: die("null %s of %r printed as %s" % (k, l, got))
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            checked += 1
            if got != float(v): die("%s %r: %s, JSON %s" % (fam(k), l, got, v))
            if types[fam(k)] != ("counter" if k.endswith("_total") else "gauge"): die("type of " + fam(k))
if not nulls: die("no null metric in the report: the omission is not tested")
n_samples = sum(1 for k in series if not k[0].startswith(("headroom_audit_", "headroom_finding_")))
if n_samples != checked: die("%d rule-metric samples, %d numeric metrics in the JSON" % (n_samples, checked))
# The headline series by name, against the same audit's JSON.
port = [f for f in rep["findings"] if f["rule"] == "ports.timewait-exhaustion" and f["subject"] == dest][0]["metrics"]
pl = {"rule": "ports.timewait-exhaustion", "subject": dest}
for name, key in (("headroom_ratio", "headroom"), ("headroom_seconds_to_exhaustion", "seconds_to_exhaustion"),
                  ("headroom_ports_in_use", "ports_in_use"), ("headroom_ports_usable", "ports_usable"),
                  ("headroom_hold_seconds", "hold_s"), ("headroom_rate_per_second", "rate_per_s")):
    if get(name, **pl) != float(port[key]): die("%s %s != %s" % (name, get(name, **pl), port[key]))
if port["ports_usable"] != 200: die("ports_usable %s, the namespace has 200" % port["ports_usable"])
lq = [f for f in rep["findings"] if f["rule"] == "listen.queue" and f["subject"] == "127.0.0.1:7001"]
if not lq: die("no listen.queue finding for 127.0.0.1:7001")
if get("headroom_fill", rule="listen.queue", subject="127.0.0.1:7001") != float(lq[0]["metrics"]["fill"]) or lq[0]["metrics"]["fill"] <= 0:
    die("listen queue fill")
print("# prometheus: %d families, %d rule-metric samples equal to the JSON, %d nulls left out; port headroom %s, exhausted in %s s"
      % (len(types), checked, nulls, get("headroom_ratio", **pl), get("headroom_seconds_to_exhaustion", **pl)))
PY

# --- 2. --textfile ----------------------------------------------------------------
mkdir "$T/tf"
rc=0; A --textfile "$T/tf" >"$T/tf.out" || rc=$?
assert_eq "$rc" "$AU_RC" "exit code with --textfile"
[ ! -s "$T/tf.out" ] || fail "--textfile without --format printed on stdout"
assert_eq "$(ls -A "$T/tf")" "headroom.prom" "files in the textfile directory"
assert_eq "$(stat -c %a "$T/tf/headroom.prom")" 644 "mode of headroom.prom (node_exporter runs as another user)"
# Two audits: their durations and report times differ, nothing else (the
# capture's time, what the predictions count from, is the same).
grep -Ev '^headroom_audit_(duration|timestamp)_seconds ' "$T/tf/headroom.prom" >"$T/tf.cmp"
grep -Ev '^headroom_audit_(duration|timestamp)_seconds ' "$T/a.prom" >"$T/a.cmp"
cmp -s "$T/tf.cmp" "$T/a.cmp" || fail "--textfile content differs from --format prometheus"
promtool check metrics <"$T/tf/headroom.prom" || fail "promtool on the textfile"
# Replaced, not appended, on the next run.
A --textfile "$T/tf" || true
assert_eq "$(grep -c '^# TYPE headroom_audit_status ' "$T/tf/headroom.prom")" 1 "one headroom_audit_status after two runs"
rc=0; A --textfile "$T/nodir" 2>"$T/nodir.err" || rc=$?
assert_eq "$rc" 3 "exit code when the textfile directory is missing"
grep -q -- "--textfile $T/nodir: no such directory" "$T/nodir.err" || fail "error does not name the directory: $(cat "$T/nodir.err")"
rc=0; A --textfile "$T/a.json" 2>"$T/notdir.err" || rc=$?
assert_eq "$rc" 3 "exit code when the textfile directory is a file"
grep -q -- "--textfile $T/a.json: not a directory" "$T/notdir.err" || fail "file as DIR: $(cat "$T/notdir.err")"
# An unusable audit still writes the file, with status 3 (UNKNOWN).
rc=0; "$HR_BIN" audit -q --root "$T/no-such-tree" --textfile "$T/tf" 2>/dev/null || rc=$?
assert_eq "$rc" 3 "exit code of an impossible audit"
grep -qx 'headroom_audit_status 3' "$T/tf/headroom.prom" || fail "impossible audit: status 3 not written"
promtool check metrics <"$T/tf/headroom.prom" || fail "promtool on the UNKNOWN textfile"

# --- 3. nagios ------------------------------------------------------------------
rc=0; A --format nagios >"$T/a.nag" || rc=$?
assert_eq "$rc" "$AU_RC" "exit code with --format nagios"
assert_eq "$(wc -l <"$T/a.nag")" 1 "lines of nagios output"
python3 - "$T/a.json" "$T/a.nag" <<'PY' || fail "nagios output"
import json, re, sys
rep = json.load(open(sys.argv[1])); line = open(sys.argv[2]).read().rstrip("\n")
def die(msg):
    print("FAIL:", msg, "\n", line, file=sys.stderr); sys.exit(1)
# monitoring-plugins development guidelines, "Performance data":
# 'label'=value[UOM];[warn];[crit];[min];[max], space separated; label quoted
# with single quotes (a quote doubled), no '=' in it; value [-0-9.]+ or U;
# UOM one of s ms us % B KB MB TB c; warn/crit a range [@][~|start:][end].
NUM = r"-?[0-9]+(?:\.[0-9]+)?"
RANGE = r"@?(?:(?:~|%s)?:)?(?:%s)?" % (NUM, NUM)
ITEM = r"(?:'(?:[^'=]|'')+'|[^'= ]+)=(?:%s|U)(?:s|ms|us|%%|B|KB|MB|TB|c)?(?:;%s(?:;%s(?:;(?:%s)?(?:;(?:%s)?)?)?)?)?" % (NUM, RANGE, RANGE, NUM, NUM)
item = re.compile(ITEM)
# The regex itself, on the guideline's own examples and on broken ones.
for good in ("'a b'=1", "time=0.5s;1;2;0;10", "'x''y'=12%;@10:20;~:5;0;100", "u=U", "c=5c;;;0", "a=1;;;0"):
    if not item.fullmatch(good): die("grammar rejects valid " + good)
for bad in ("a=1e5", "a b=1", "'a=b'=1", "a=1xs", "a=", "a=1;;;x"):
    if item.fullmatch(bad): die("grammar accepts invalid " + bad)
if line.count(" | ") != 1: die("not one ' | '")
text, perf = line.split(" | ")
if text != rep["summary"]["verdict"]: die("text is not the verdict")
if "|" in text: die("'|' in the text")
items = perf.split(" ")
got = {}
for it in items:
    if not item.fullmatch(it): die("not plugin perfdata: " + it)
    m = re.match(r"'([^']+)'=(%s)(\w*)" % NUM, it)
    got[m.group(1)] = (float(m.group(2)), m.group(3))
ports = [f["metrics"] for f in rep["findings"] if f["rule"] == "ports.timewait-exhaustion"]
lq = [f["metrics"]["fill"] for f in rep["findings"] if f["rule"] == "listen.queue" and f["metrics"].get("fill") is not None]
def same(label, want, uom=""):
    if label not in got: die("no " + label)
    if abs(got[label][0] - want) > 1e-9 * max(1, abs(want)) or got[label][1] != uom:
        die("%s %s%s != %s%s" % (label, got[label][0], got[label][1], want, uom))
same("port_headroom", min(m["headroom"] for m in ports if m["headroom"] is not None))
same("port_seconds_to_exhaustion", min(m["seconds_to_exhaustion"] for m in ports if m["seconds_to_exhaustion"] is not None), "s")
same("listen_queue_fill", max(lq))
same("critical", rep["summary"]["counts"]["critical"])
same("warning", rep["summary"]["counts"]["warning"])
print("# nagios: %d perfdata items, all in the plugin grammar" % len(items))
PY
# The UNKNOWN line, on stdout where the monitoring system reads it.
rc=0; "$HR_BIN" audit -q --root "$T/no-such-tree" --format nagios >"$T/unk.nag" 2>/dev/null || rc=$?
assert_eq "$rc" 3 "nagios: exit code of an impossible audit"
grep -q '^UNKNOWN: ' "$T/unk.nag" || fail "nagios: no UNKNOWN line on stdout"
echo ok
