#!/bin/sh
# The monitoring outputs of audit over several network namespaces, made
# here: one whose ports run out (a 1,000-port range, tcp_tw_reuse=0, 20
# new client-closed connections a second from tcpgen: 1,200 ports needed),
# one with a short tcp_retries2 (a warning), one quiet.
#   1. --format json --textfile DIR in one run: DIR/headroom.prom passes
#      `promtool check metrics`, has HELP/TYPE once per family, host series
#      once and unlabelled, every other series labelled netns/netns_inode,
#      and every value equals the JSON of the same run.
#   2. --format prometheus on stdout and with --all-netns: promtool clean.
#   3. --format nagios: one line in the plugin grammar, the host verdict
#      naming the worst namespace, perfdata per namespace as 'NS::label',
#      exit code the host's (2).
. "$(dirname "$0")/lib.sh"
hr_require_netns
command -v python3 >/dev/null || skip "needs python3"
TCPGEN="$HR_TESTBIN/helpers/tcpgen"
[ -x "$TCPGEN" ] || skip "needs tests/helpers/tcpgen (make check builds it)"
hr_need_tool promtool prometheus

ex=$(hr_ns pex)
warn=$(hr_ns pwarn)
quiet=$(hr_ns pquiet)
hr_in "$ex" sysctl -qw net.ipv4.ip_local_port_range="40000 40999" net.ipv4.tcp_tw_reuse=0
hr_in "$warn" sysctl -qw net.ipv4.tcp_retries2=5
hr_bg "$ex" "$TCPGEN" server --listen 127.0.0.1:5782 --close client --duration 60 --quiet
i=0
until hr_in "$ex" ss -Hltn 'sport = :5782' | grep -q LISTEN || [ $i -ge 50 ]; do sleep 0.1; i=$((i + 1)); done
hr_bg "$ex" "$TCPGEN" client --connect 127.0.0.1:5782 --rate 20 --duration 60 --close client --quiet
sleep 3

NS="--netns $ex --netns $warn --netns $quiet"
mkdir "$T/tf"
# --- 1. one run: JSON on stdout, the exposition in the textfile ---------------
rc=0
"$HR_BIN" audit -q $NS --interval 0 --format json --textfile "$T/tf" >"$T/m.json" 2>"$T/err" || rc=$?
assert_eq "$rc" 2 "exit code of the three namespaces (the exhausted one is critical)"
[ -f "$T/tf/headroom.prom" ] || fail "no $T/tf/headroom.prom"
rc=0; promtool check metrics <"$T/tf/headroom.prom" >"$T/promtool.out" 2>&1 || rc=$?
note "promtool check metrics (textfile, 3 namespaces): exit $rc, $(wc -l <"$T/promtool.out") problems"
[ "$rc" = 0 ] && [ ! -s "$T/promtool.out" ] || { cat "$T/promtool.out" >&2; fail "promtool check metrics"; }

cat >"$T/check.py" <<'PY'
import json, re, sys
rep = json.load(open(sys.argv[1])); prom = sys.argv[2]; ex = sys.argv[3]
def die(msg):
    print("FAIL:", msg, file=sys.stderr); sys.exit(1)
samples, types, helps = [], {}, {}
lab = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
for line in open(prom):
    line = line.rstrip("\n")
    m = re.match(r"# (HELP|TYPE) (\S+) (.*)", line)
    if m:
        d = helps if m.group(1) == "HELP" else types
        if m.group(2) in d: die("second %s for %s" % (m.group(1), m.group(2)))
        d[m.group(2)] = m.group(3)
        continue
    m = re.match(r"([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$", line)
    if not m: die("not a sample: " + line)
    labels = dict(lab.findall(m.group(2) or ""))
    if m.group(1) not in types: die("sample before its TYPE: " + line)
    samples.append((m.group(1), labels, float(m.group(3))))
host_fams = ("headroom_host_status", "headroom_audit_duration_seconds", "headroom_host_namespaces")
def one(fam, **want):
    got = [v for f, l, v in samples if f == fam and all(l.get(k) == w for k, w in want.items())]
    if len(got) != 1: die("%d samples of %s %s" % (len(got), fam, want))
    return got[0]
for fam in host_fams:
    s = [(l, v) for f, l, v in samples if f == fam]
    if len(s) != 1 or s[0][0]: die("host family %s: %s" % (fam, s))
if one("headroom_host_status") != rep["host"]["exit_code"]: die("host status")
if one("headroom_host_namespaces") != len(rep["namespaces"]): die("namespaces")
for f, l, v in samples:
    if f not in host_fams and ("netns" not in l or "netns_inode" not in l): die("no namespace labels: %s %s" % (f, l))
core = {"headroom_netns_info", "headroom_netns_processes", "headroom_audit_status", "headroom_audit_findings",
        "headroom_audit_rules_loaded", "headroom_finding_severity"} | set(host_fams)
sev = {"ok": 0, "info": 1, "warning": 2, "critical": 3}
nrule = 0
seen_ex = False
for sec in rep["namespaces"]:
    idn = sec["netns"]; ino = str(idn["inode"])
    name = idn["names"][0] if idn["names"] else ino
    seen_ex |= name == ex
    L = {"netns": name, "netns_inode": ino}
    if one("headroom_netns_info", initial="1" if idn["initial"] else "0", **L) != 1: die("info")
    if one("headroom_netns_processes", **L) != idn["processes"]: die("processes of " + name)
    if one("headroom_audit_status", **L) != sec["summary"]["exit_code"]: die("status of " + name)
    for k, c in sec["summary"]["counts"].items():
        if one("headroom_audit_findings", severity=k, **L) != c: die("findings %s of %s" % (k, name))
    if one("headroom_audit_rules_loaded", **L) != sec["summary"]["rules_loaded"]: die("rules_loaded")
    for fi in sec["findings"]:
        subj = fi.get("subject") or ""
        if one("headroom_finding_severity", rule=fi["rule"], subject=subj, **L) != sev[fi["severity"]]:
            die("severity of %s %s in %s" % (fi["rule"], subj, name))
        want = sorted(v for v in fi["metrics"].values() if isinstance(v, (int, float)) and not isinstance(v, bool))
        got = sorted(v for f, l, v in samples if f not in core and l.get("netns") == name and l.get("rule") == fi["rule"] and l.get("subject") == subj)
        if len(want) != len(got) or any(abs(a - b) > 1e-9 * max(1, abs(a)) for a, b in zip(want, got)):
            die("metrics of %s %s in %s: json %s, prometheus %s" % (fi["rule"], subj, name, want, got))
        nrule += len(got)
if not seen_ex: die("no section for " + ex)
crit = [s for s in rep["namespaces"] if s["summary"]["status"] == "CRITICAL"]
if [s["netns"]["names"] for s in crit] != [[ex]]: die("critical namespaces: %s" % [s["netns"]["names"] for s in crit])
if not [1 for f in crit[0]["findings"] if f["rule"] == "ports.timewait-exhaustion" and f["severity"] == "critical"]:
    die("no critical port finding in " + ex)
print("# prometheus: %d series in %d families (%d rule-metric series), %d namespaces; values equal the JSON"
      % (len(samples), len(types), nrule, len(rep["namespaces"])))
PY
python3 "$T/check.py" "$T/m.json" "$T/tf/headroom.prom" "$ex" || fail "exposition differs from the JSON of the same run"

# --- 2. stdout, and every namespace of the host ---------------------------------
rc=0; "$HR_BIN" audit -q $NS --interval 0 --format prometheus >"$T/m.prom" 2>"$T/err" || rc=$?
assert_eq "$rc" 2 "exit code with --format prometheus"
promtool check metrics <"$T/m.prom" >"$T/promtool.out" 2>&1 || { cat "$T/promtool.out" >&2; fail "promtool (stdout)"; }
[ -s "$T/promtool.out" ] && { cat "$T/promtool.out" >&2; fail "promtool problems (stdout)"; }
rc=0; "$HR_BIN" audit -q --all-netns --interval 0 --format prometheus >"$T/all.prom" 2>"$T/err" || rc=$?
[ "$rc" -le 3 ] || fail "audit --all-netns --format prometheus: exit $rc"
rc=0; promtool check metrics <"$T/all.prom" >"$T/promtool.out" 2>&1 || rc=$?
note "promtool check metrics (--all-netns, $(grep -c 'headroom_netns_info{' "$T/all.prom") namespaces, $(grep -vc '^#' "$T/all.prom") series): exit $rc, $(wc -l <"$T/promtool.out") problems"
[ "$rc" = 0 ] && [ ! -s "$T/promtool.out" ] || { cat "$T/promtool.out" >&2; fail "promtool check metrics --all-netns"; }
grep -q "^headroom_netns_info{netns=\"$ex\"," "$T/all.prom" || fail "--all-netns: no series for $ex"

# --- 3. nagios ------------------------------------------------------------------
rc=0; "$HR_BIN" audit -q $NS --interval 0 --format nagios >"$T/m.nag" 2>"$T/err" || rc=$?
assert_eq "$rc" 2 "nagios: exit code is the host's"
assert_eq "$(wc -l <"$T/m.nag")" 1 "lines of nagios output"
python3 - "$T/m.json" "$T/m.nag" "$ex" <<'PY' || fail "nagios output"
import json, re, sys
rep = json.load(open(sys.argv[1])); line = open(sys.argv[2]).read().rstrip("\n"); ex = sys.argv[3]
def die(msg):
    print("FAIL:", msg, "\n", line, file=sys.stderr); sys.exit(1)
# The grammar of tests/monitor-formats.sh (monitoring-plugins guidelines).
NUM = r"-?[0-9]+(?:\.[0-9]+)?"
RANGE = r"@?(?:(?:~|%s)?:)?(?:%s)?" % (NUM, NUM)
ITEM = r"(?:'(?:[^'=]|'')+'|[^'= ]+)=(?:%s|U)(?:s|ms|us|%%|B|KB|MB|TB|c)?(?:;%s(?:;%s(?:;(?:%s)?(?:;(?:%s)?)?)?)?)?" % (NUM, RANGE, RANGE, NUM, NUM)
item = re.compile(ITEM)
if line.count(" | ") != 1: die("not one ' | '")
text, perf = line.split(" | ")
if not text.startswith("CRITICAL: ") or ("worst: %s:" % ex) not in text: die("host verdict does not name " + ex)
got = {}
for it in perf.split(" "):
    if not item.fullmatch(it): die("not plugin perfdata: " + it)
    m = re.match(r"'([^']+)'=(%s)(\w*)" % NUM, it)
    got[m.group(1)] = float(m.group(2))
if got.get("namespaces") != len(rep["namespaces"]): die("namespaces")
for sec in rep["namespaces"]:
    n = sec["netns"]["names"][0]
    for k in ("critical", "warning"):
        if got.get(n + "::" + k) != sec["summary"]["counts"][k]: die("%s::%s" % (n, k))
ph = got.get(ex + "::port_headroom")
if ph is None or not ph < 1: die("%s::port_headroom %s (not < 1)" % (ex, ph))
print("# nagios: %d perfdata items over %d namespaces, all in the plugin grammar" % (len(got), len(rep["namespaces"])))
PY
echo ok
