#!/bin/sh
# A user's rule in --rules that declares present: (headline, table, perfdata,
# watch) takes part in every output exactly as a shipped rule does: its
# sentence is the audit's verdict when it is the worst finding, its rows join
# the port table, its perfdata is in the Nagios line and watch follows its
# subjects. Real sockets in a namespace: 30 connections to a listener on
# 127.0.0.1:80, against a "site budget" of 10 connections per destination.
# Also: rules check names each malformed presentation key with file:line.
. "$(dirname "$0")/lib.sh"
hr_require_netns

mkdir -p "$T/site" "$T/bad"
cat >"$T/site/site.yaml" <<'YAML'
rules:
  - id: site.dest-connections
    title: Connections per destination against the site budget
    for_each: destinations
    needs: [dest.in_use]
    let:
      in_use: "dest.in_use"
      budget: "10"
      fill: "in_use / budget"
      rate: "dest.rate ?? 0"
      left: "null"
    severity:
      critical: "in_use >= budget"
    message: "{dest.subject}: {in_use:int} connections, budget {budget:int}"
    present:
      headline: "{dest.subject} holds {in_use:int} connections, over the site budget of {budget:int}"
      table:
        id: ports
        title: "Connections per destination (site budget)"
        rows: destinations
        columns:
          - {header: DESTINATION, text: "{dest.subject}"}
          - {header: "PORTS IN USE / USABLE", text: "{fill:gauge}"}
          - {header: "", text: "{in_use:num} / {budget:num}"}
          - {header: "NEW CONN/S", align: right, text: "{rate:num}"}
          - {header: HOLD, text: "site budget"}
          - {header: HEADROOM, align: right, text: "{budget / in_use:2f}x"}
          - {header: EXHAUSTED IN, text: [{when: "in_use >= budget", text: "over budget"}, "-"]}
      perfdata:
        - {label: site_connection_fill, metric: fill, worst: max}
      watch: {used: in_use, limit: budget, rate: rate, time_left: left}
YAML

ns=$(hr_ns present)
hr_bg "$ns" python3 -c '
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 80)); s.listen(64)
cs = []
for i in range(30):
    c = socket.socket(); c.connect(("127.0.0.1", 80)); cs.append(c)
time.sleep(60)'
i=0; until [ "$(hr_in "$ns" ss -Htn state established "dport = :80" | wc -l)" -ge 30 ] || [ $i -ge 100 ]; do
	sleep 0.1; i=$((i + 1))
done
H() { hr_in "$ns" "$HR_BIN" "$@"; }

rc=0; H audit -q --interval 0 --rules "$T/site" >"$T/audit.txt" 2>"$T/err" || rc=$?
sed 's/^/#   /' "$T/audit.txt" | head -n 12
assert_eq "$rc" 2 "exit code (the user's rule is critical)"
case $(head -n 1 "$T/audit.txt") in
"CRITICAL: 127.0.0.1:80 holds 30 connections, over the site budget of 10"*) ;;
*) fail "verdict is not the user's headline: $(head -n 1 "$T/audit.txt")" ;;
esac
# The port table (shipped title: the first rule declaring the table) with the user's row.
grep -q '^Outbound ports per destination' "$T/audit.txt" || fail "no port table"
grep -Eq '^  127\.0\.0\.1:80 +\[#{20}\] 300\.0% +30 / 10 +0 +site budget +0\.33x +over budget$' "$T/audit.txt" ||
	fail "the user's row is not in the port table: $(grep -A3 '^Outbound' "$T/audit.txt")"

# JSON: the same table, the perfdata and the headline.
H audit -q --interval 0 --rules "$T/site" --format json >"$T/audit.json" 2>/dev/null || true
# Worst first: the user's critical row, then the port rule's own.
assert_eq "$(jget "$T/audit.json" '[c["rule"] for t in d["tables"] for c in t["cells"]][0]')" site.dest-connections "first table row"
assert_eq "$(jget "$T/audit.json" '[p["value"] for p in d["summary"]["perfdata"] if p["label"] == "site_connection_fill"]')" "[3]" "perfdata in JSON"

# Nagios: the user's perfdata beside the shipped ones.
rc=0; H audit -q --interval 0 --rules "$T/site" --format nagios >"$T/nagios" 2>/dev/null || rc=$?
note "$(cat "$T/nagios")"
assert_eq "$rc" 2 "nagios exit code"
grep -q "^CRITICAL: 127.0.0.1:80 holds 30 connections, over the site budget of 10[^|]* | .*'site_connection_fill'=3;;;0" "$T/nagios" ||
	fail "nagios line lacks the user's verdict or perfdata"

# watch follows the user's subjects with the user's metrics.
rc=0; H watch --once --rules "$T/site" >"$T/watch" 2>"$T/err" || rc=$?
note "$(cat "$T/watch")"
assert_eq "$rc" 2 "watch exit code"
grep -q " top=site.dest-connections@127.0.0.1:80 dest=127.0.0.1:80 in_use=30 usable=10 " "$T/watch" ||
	fail "watch does not follow the user's rule: $(cat "$T/watch" "$T/err")"

# Without the user's rule the same namespace is not critical: the test can fail.
rc=0; H audit -q --interval 0 --format nagios >"$T/plain" 2>/dev/null || rc=$?
grep -q site_connection "$T/plain" && fail "perfdata without the rule"
[ "$rc" -ne 2 ] || fail "critical without the user's rule: $(cat "$T/plain")"

# Malformed presentation keys: each named with file:line, the rule not loaded.
cat >"$T/bad/bad.yaml" <<'YAML'
rules:
  - id: bad.present
    title: Bad presentation
    for_each: destinations
    let:
      x: "1"
    severity:
      warning: "x > 0"
    present:
      perfdata:
        - {label: "it's", metric: x, worst: min}
        - {label: y, metric: nosuch, worst: max}
      watch: {used: x}
      colour: red
YAML
rc=0; "$HR_BIN" rules check --no-default-rules "$T/bad/bad.yaml" >"$T/check" 2>&1 || rc=$?
sed 's/^/#   /' "$T/check"
assert_eq "$rc" 1 "rules check exit code"
grep -q "bad.yaml:11:11: .*perfdata label 'it's' must be non-empty, without ' or =" "$T/check" || fail "bad label"
grep -q "bad.yaml:12:11: .*perfdata metric 'nosuch' is not a metric of rule 'bad.present'" "$T/check" || fail "bad metric"
grep -q "bad.yaml:13:14: .*watch needs limit" "$T/check" || fail "incomplete watch"
grep -q "bad.yaml:14:7: .*unknown key 'colour' in present" "$T/check" || fail "unknown key"
exit 0
