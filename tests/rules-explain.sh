#!/bin/sh
# headroom explain: formulas filled with the current values, severity
# conditions with their truth, computed fix effects, sources (--assume).
. "$(dirname "$0")/lib.sh"
FX="$HR_SRCDIR/tests/fixtures"
X() { "$HR_BIN" explain --no-default-rules --rules "$FX/rules-good" --no-sockets "$@"; }

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

# a missing fact: not evaluated, with the fact and why
X test.retries2 --format json >"$T/m.json" 2>/dev/null
case "$(jget "$T/m.json" 'd["subjects"][0]["status"]')" in
"not evaluated") ;;
evaluated) note "the probe read tcp_retries2 here" ;;
*) fail "status without the fact" ;;
esac

# yaml renders the same tree
X test.retries2 --assume net.ipv4.tcp_retries2=15 --format yaml >"$T/e.yaml" 2>/dev/null
grep -Eq '^rule: "?test\.retries2"?$' "$T/e.yaml" || fail "yaml"

# errors
rc=0; X no.such-rule 2>"$T/err" >/dev/null || rc=$?
assert_eq "$rc" 1 "unknown rule"
grep -q "no rule 'no.such-rule'" "$T/err" || fail "unknown rule message"
rc=0; X test.retries2 --assume tcp_retries2 2>"$T/err" >/dev/null || rc=$?
assert_eq "$rc" 64 "malformed --assume"
rc=0; X test.retries2 --assume nosuch.fact=1 2>"$T/err" >/dev/null || rc=$?
assert_eq "$rc" 64 "unknown --assume fact"
echo ok
