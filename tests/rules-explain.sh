#!/bin/sh
# headroom explain: formulas filled with the current values, severity
# conditions with their truth, computed fix effects, sources (--assume).
. "$(dirname "$0")/lib.sh"
FX="$HR_SRCDIR/tests/fixtures"
# Facts come only from --assume and --workload: an empty captured tree as root.
mkdir "$T/empty"
X() { "$HR_BIN" explain --no-default-rules --rules "$FX/rules-good" --no-sockets --root "$T/empty" "$@"; }

X test.retries2 --assume net.ipv4.tcp_retries2=15 --format json >"$T/e.json" 2>"$T/err" || fail "explain: $(cat "$T/err")"
assert_eq "$(jget "$T/e.json" 'd["subjects"][0]["severity"]')" info "severity at retries2=15"
# (2^10 - 1) * 0.2 + 6 * 120 = 924.6 s (net/ipv4/tcp_timer.c)
assert_eq "$(jget "$T/e.json" '[l["value"] for l in d["subjects"][0]["let"] if l["name"] == "give_up_s"][0]')" 924.6 "give-up time"
assert_eq "$(jget "$T/e.json" '[l["filled"] for l in d["subjects"][0]["let"] if l["name"] == "k"][0]')" "floor(log2(120 / 200ms))" "filled formula"
assert_eq "$(jget "$T/e.json" '[s["source"] for s in d["sources"] if s["fact"] == "net.ipv4.tcp_retries2"][0]')" "--assume" "source"
assert_eq "$(jget "$T/e.json" 'd["subjects"][0]["fixes"][0]["headroom_after"]')" 102.2 "fix effect"
assert_eq "$(jget "$T/e.json" '[c["value"] for c in d["subjects"][0]["severity_conditions"] if c["level"] == "warning"][0]')" False "warning condition"

# another value gives another verdict: computed, not stored
X test.retries2 --assume net.ipv4.tcp_retries2=5 --format json >"$T/e5.json" 2>/dev/null
assert_eq "$(jget "$T/e5.json" 'd["subjects"][0]["severity"]')" warning "severity at retries2=5"
assert_eq "$(jget "$T/e5.json" '[l["value"] for l in d["subjects"][0]["let"] if l["name"] == "give_up_s"][0]')" 12.6 "give-up at 5"

# text: the formula, the filled formula and the value, aligned
X test.retries2 --assume net.ipv4.tcp_retries2=15 >"$T/e.txt" 2>/dev/null
grep -Eq '^ +give_up_s += +n <= k \?' "$T/e.txt" || fail "text formula: $(cat "$T/e.txt")"
grep -Eq '^ += +924\.6$' "$T/e.txt" || fail "text value"
grep -Eq 'give_up_s 924\.6 -> 102\.2, severity info -> ok' "$T/e.txt" || fail "text fix effect"
grep -Eq '^  net\.ipv4\.tcp_retries2 +15 +--assume$' "$T/e.txt" || fail "text sources"

# a missing fact (an empty captured tree): not evaluated, with the fact and why
X test.retries2 --format json >"$T/m.json" 2>/dev/null
assert_eq "$(jget "$T/m.json" 'd["subjects"][0]["status"]')" "not evaluated" "status without the fact"
jget "$T/m.json" 'd["subjects"][0]["reason"]' | grep -q '^net\.ipv4\.tcp_retries2: ' || fail "reason: $(jget "$T/m.json" 'd["subjects"][0]["reason"]')"

# yaml renders the same tree
X test.retries2 --assume net.ipv4.tcp_retries2=15 --format yaml >"$T/e.yaml" 2>/dev/null
grep -Eq '^rule: "?test\.retries2"?$' "$T/e.yaml" || fail "yaml"

# a declared workload makes subjects before any traffic: 1000/s x 60 s of TIME_WAIT
cat >"$T/wl.yaml" <<'Y'
outbound:
  - destination: 10.0.0.2:5774
    rate: 1000/s
    closes: client
Y
X test.ports-per-dest --workload "$T/wl.yaml" --subject 10.0.0.2:5774 --format json \
	--assume net.ipv4.ip_local_port_range="32768 60999" --assume net.ipv4.ip_local_reserved_ports= \
	--assume net.ipv4.tcp_tw_reuse=0 >"$T/w.json" 2>"$T/err" || fail "explain --workload: $(cat "$T/err")"
s='d["subjects"][0]'
assert_eq "$(jget "$T/w.json" "$s['severity']")" critical "declared load"
assert_eq "$(jget "$T/w.json" "[l['value'] for l in $s['let'] if l['name'] == 'needed'][0]")" 60000 "ports needed"
assert_eq "$(jget "$T/w.json" "[f['source'] for f in $s['facts'] if f['fact'] == 'dest.rate'][0]")" "$T/wl.yaml:2" "rate source (the workload line)"
rc=0; X test.ports-per-dest --workload "$T/nonexistent.yaml" >/dev/null 2>&1 || rc=$?
assert_eq "$rc" 64 "unreadable workload"

# a broken rule is explained as broken, with its located error
"$HR_BIN" explain bad.type-error --no-default-rules --rules "$FX/rules-bad" --no-sockets >"$T/b.txt" 2>"$T/err" ||
	fail "explain of a broken rule"
grep -q "rules-bad/broken.yaml:23:39: '+' needs numbers, not a condition" "$T/b.txt" || fail "broken rule: $(cat "$T/b.txt")"
grep -q "12 errors in the rule files" "$T/err" || fail "other files' errors not mentioned: $(cat "$T/err")"

# errors
rc=0; X no.such-rule 2>"$T/err" >/dev/null || rc=$?
assert_eq "$rc" 1 "unknown rule"
grep -q "no rule 'no.such-rule'" "$T/err" || fail "unknown rule message"
rc=0; X test.retries2 --assume tcp_retries2 2>"$T/err" >/dev/null || rc=$?
assert_eq "$rc" 64 "malformed --assume"
rc=0; X test.retries2 --assume nosuch.fact=1 2>"$T/err" >/dev/null || rc=$?
assert_eq "$rc" 64 "unknown --assume fact"
echo ok
