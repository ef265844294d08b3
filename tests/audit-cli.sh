#!/bin/sh
# headroom audit as a command: exit codes (monitoring-plugins), formats,
# --assume validation, malformed workload files reported with their
# location, and a broken user rule file that does not stop the audit.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/audit-lib.sh"
hr_require_netns
command -v python3 >/dev/null || skip "needs python3"

ns=$(hr_ns cli)
A() { hr_in "$ns" "$HR_BIN" audit --interval 0 "$@"; }

# A fresh namespace has notes (hardening) but nothing wrong: exit 0.
rc=0; A >"$T/ok.txt" 2>&1 || rc=$?
assert_eq "$rc" 0 "exit code of a clean namespace"
head -1 "$T/ok.txt" | grep -q '^OK: no problems found' || fail "verdict: $(head -1 "$T/ok.txt")"
grep -q '^OK (' "$T/ok.txt" || fail "ok findings are not listed in the text report"

# JSON: one object with schema_version, findings, summary, facts; every finding has the stable keys.
au_audit "$T/ok.json" A
assert_eq "$AU_RC" 0 "exit code with --format json"
python3 - "$T/ok.json" <<'PY' || fail "JSON shape"
import json, sys
rep = json.load(open(sys.argv[1]))
assert list(rep)[:3] == ["schema_version", "findings", "summary"] and list(rep)[-1] == "facts", list(rep)
for f in rep["findings"]:
    for k in ("rule", "severity", "subject", "message", "metrics", "fixes", "references"):
        assert k in f, (k, f)
    assert f["severity"] in ("critical", "warning", "info", "ok"), f
s = rep["summary"]
assert s["status"] == "OK" and s["exit_code"] == 0, s
assert s["rules_loaded"] >= 20, s["rules_loaded"]
ids = {f["rule"] for f in rep["findings"]} | {n["rule"] for n in s["not_evaluated"]}
for want in ("timewait.buckets", "conntrack.table", "sysctl.tw-recycle", "sysctl.timestamps-off",
             "timeouts.retries2", "keepalive.idle-timeout"):
    assert want in ids, want
for n in s["not_evaluated"]:
    assert n["reason"], n
PY

# YAML: the same tree.
A --format yaml >"$T/ok.yaml" || fail "--format yaml"
grep -q '^findings:' "$T/ok.yaml" && grep -q '^summary:' "$T/ok.yaml" || fail "yaml layout"

# A warning: exit 1.
hr_in "$ns" sysctl -qw net.ipv4.tcp_timestamps=0
rc=0; A >"$T/warn.txt" 2>&1 || rc=$?
assert_eq "$rc" 1 "exit code with a warning"
head -1 "$T/warn.txt" | grep -q '^WARNING: ' || fail "verdict: $(head -1 "$T/warn.txt")"
hr_in "$ns" sysctl -qw net.ipv4.tcp_timestamps=1

# A critical: exit 2, findings ordered by severity in text and JSON.
cat >"$T/seed.yaml" <<'EOF2'
# the seed question, before deployment
outbound:
  - destination: 10.0.0.2:5774
    rate: 710/s
    closes: client
EOF2
rc=0; A --workload "$T/seed.yaml" >"$T/crit.txt" 2>&1 || rc=$?
assert_eq "$rc" 2 "exit code with a critical finding"
head -1 "$T/crit.txt" | grep -q '^CRITICAL: connections to 10.0.0.2:5774 run out of local ports in 39.8 s' ||
	fail "verdict: $(head -1 "$T/crit.txt")"
au_audit "$T/crit.json" A --workload "$T/seed.yaml"
python3 - "$T/crit.json" <<'PY' || fail "findings not ordered by severity"
import json, sys
order = {"critical": 0, "warning": 1, "info": 2, "ok": 3}
sev = [order[f["severity"]] for f in json.load(open(sys.argv[1]))["findings"]]
assert sev == sorted(sev), sev
PY

# --assume: a what-if, validated.
au_audit "$T/as.json" A --workload "$T/seed.yaml" --assume "net.ipv4.ip_local_port_range=1024 65535"
au_check "$T/as.json" "metric:ports.timewait-exhaustion 10.0.0.2:5774 ports_usable 64512 0" ||
	fail "--assume did not change the range"
rc=0; A --assume net.ipv4.tcp_no_such_key=1 >/dev/null 2>"$T/err" || rc=$?
assert_eq "$rc" 3 "exit code of an unknown --assume key"
grep -q 'net.ipv4.tcp_no_such_key: no such sysctl' "$T/err" || fail "unknown key message: $(cat "$T/err")"
rc=0; A --assume net.ipv4.ip_local_port_range=1024 >/dev/null 2>"$T/err" || rc=$?
assert_eq "$rc" 3 "exit code of a malformed --assume value"
grep -q 'want 2 whole numbers' "$T/err" || fail "bad value message: $(cat "$T/err")"
rc=0; A --assume tcp_tw_reuse >/dev/null 2>"$T/err" || rc=$?
assert_eq "$rc" 3 "exit code of --assume without ="

# Malformed workload files: exit 3, FILE:LINE:COL on stderr, no report.
printf 'outbound:\n  - destination: 10.0.0.2:5774\n    rate: lots\n' >"$T/bad1.yaml"
rc=0; A --workload "$T/bad1.yaml" >"$T/out" 2>"$T/err" || rc=$?
assert_eq "$rc" 3 "exit code of a bad workload value"
grep -q "$T/bad1.yaml:3:11: 'rate': bad rate 'lots'" "$T/err" || fail "bad value location: $(cat "$T/err")"
printf 'outbound:\n  - destination: 10.0.0.2:5774\n    rate: 1/s\n    keepalive: yes\n' >"$T/bad2.yaml"
rc=0; A --workload "$T/bad2.yaml" >"$T/out" 2>"$T/err" || rc=$?
assert_eq "$rc" 3 "exit code of an unknown workload key"
grep -q "$T/bad2.yaml:4:5: unknown key 'keepalive'" "$T/err" || fail "unknown key location: $(cat "$T/err")"
printf 'outbound:\n  - destination: [10.0.0.2:5774\n' >"$T/bad3.yaml"
rc=0; A --workload "$T/bad3.yaml" >"$T/out" 2>"$T/err" || rc=$?
assert_eq "$rc" 3 "exit code of a YAML syntax error"
grep -q "$T/bad3.yaml:[0-9]*:[0-9]*: YAML syntax" "$T/err" || fail "syntax error location: $(cat "$T/err")"
rc=0; A --workload "$T/none.yaml" >"$T/out" 2>"$T/err" || rc=$?
assert_eq "$rc" 3 "exit code of a missing workload file"

# An unusable probe: exit 3.
rc=0; "$HR_BIN" audit --root "$T/no-such-tree" >"$T/out" 2>"$T/err" || rc=$?
assert_eq "$rc" 3 "exit code of an unusable probe"
grep -q '^UNKNOWN' "$T/err" || fail "no UNKNOWN line: $(cat "$T/err")"

# A user rule directory with one broken file (and one good one): the audit
# still reports; the problem is named with its location; UNKNOWN (3) unless
# a finding is critical, which is never hidden.
mkdir "$T/myrules"
cat >"$T/myrules/10-good.yaml" <<'EOF2'
rules:
  - id: local.somaxconn-big
    title: somaxconn at least 1024
    needs: [net.core.somaxconn]
    severity:
      warning: "net.core.somaxconn < 1024"
    message: "somaxconn {net.core.somaxconn:int}"
EOF2
printf 'rules:\n  - id: local.broken\n    title: broken\n    severity: {warning: "net.ipv4.tcp_syncookies =="}\n    message: x\n' >"$T/myrules/20-broken.yaml"
rc=0; A --rules "$T/myrules" --format json >"$T/br.json" 2>"$T/err" || rc=$?
assert_eq "$rc" 3 "exit code with a broken user rule file"
grep -q "20-broken.yaml:[0-9]*:[0-9]*:" "$T/err" || fail "broken rule file not named with a location: $(cat "$T/err")"
python3 - "$T/br.json" <<'PY' || fail "report with a broken rule file"
import json, sys
rep = json.load(open(sys.argv[1]))
s = rep["summary"]
assert s["status"] == "UNKNOWN" and s["exit_code"] == 3, s
assert any("20-broken.yaml" in e["file"] for e in s["rule_errors"]), s["rule_errors"]
rules = {f["rule"] for f in rep["findings"]}
assert "local.somaxconn-big" in rules and "timeouts.retries2" in rules, rules
assert "local.broken" not in rules
PY
rc=0; A --rules "$T/myrules" >"$T/br.txt" 2>/dev/null || rc=$?
grep -q "^Rule file problems" "$T/br.txt" || fail "text report does not show rule file problems"
head -1 "$T/br.txt" | grep -q '^UNKNOWN: ' || fail "verdict: $(head -1 "$T/br.txt")"
rc=0; A --rules "$T/myrules" --workload "$T/seed.yaml" >/dev/null 2>&1 || rc=$?
assert_eq "$rc" 2 "a critical finding is not hidden by a broken rule file"
# A rule that fails while evaluating (division by zero) could not check what
# it checks: UNKNOWN with the location, flagged as an error in not_evaluated;
# a fact merely missing on this kernel is not.
mkdir "$T/divrules"
printf 'rules:\n  - id: local.divzero\n    title: t\n    let: {a: "1 / (net.ipv4.tcp_syncookies - 1)"}\n    severity:\n      warning: "a > 1"\n    message: x\n' >"$T/divrules/d.yaml"
rc=0; A --rules "$T/divrules" --format json >"$T/dz.json" 2>/dev/null || rc=$?
assert_eq "$rc" 3 "exit code with a rule failing at evaluation"
python3 - "$T/dz.json" <<'PY' || fail "report with a rule failing at evaluation"
import json, sys
s = json.load(open(sys.argv[1]))["summary"]
ne = [n for n in s["not_evaluated"] if n["rule"] == "local.divzero"]
assert ne and ne[0]["error"] is True and "division by zero" in ne[0]["reason"] and "d.yaml:" in ne[0]["reason"], ne
assert all(n["error"] is False for n in s["not_evaluated"] if n["rule"] != "local.divzero"), s["not_evaluated"]
PY
rc=0; A --rules "$T/no-such-dir" >/dev/null 2>"$T/err" || rc=$?
assert_eq "$rc" 3 "exit code with a missing rules directory"
grep -q "no-such-dir" "$T/err" || fail "missing rules dir not named"
echo ok
