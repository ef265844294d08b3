#!/bin/sh
# The text audit reads only the sysctls its rules read (issue 23; audit.h
# sysctls_referenced), JSON still reads every one:
#   1. in a fresh namespace the text audit opens fewer sysctl files than the
#      JSON audit (strace), and says the same: every rule's severity in the
#      text equals the JSON report's;
#   2. a key no rule reads (tcp_ecn: not named in rules/, checked), applied
#      by headroom and changed by hand: the text audit's applied.drift still
#      names it with the value now (cmd-drift.c reads a journal's key that
#      the probe did not).
. "$(dirname "$0")/lib.sh"
hr_require_netns
. "$(dirname "$0")/apply-lib.sh"
command -v python3 >/dev/null || skip "needs python3"
hr_need_tool strace strace

ns=$(hr_ns sysctls)
audit() { hr_in "$ns" "$HR_BIN" audit -q --interval 0 --state-dir "$S" "$@" || true; }
# sysctl files opened: openat relative to a directory of /proc/sys/net (the
# probe opens each key's directory once, then the keys from its fd).
opened() {
	hr_in "$ns" strace -f -e trace=openat -o "$T/st" "$HR_BIN" audit -q --interval 0 --state-dir "$S" "$@" \
		>/dev/null 2>&1 || true
	awk '{ sub(/^[0-9]+ +/, "") }
	     /^openat\(AT_FDCWD, "/ { split($0, a, "= "); d[a[2] + 0] = ($0 ~ /"\/proc\/sys\/net\//); next }
	     /^openat\([0-9]+, "/ { split($1, b, "("); if (d[b[2] + 0]) n++ }
	     END { print n + 0 }' "$T/st"
}
n_text=$(opened)
n_json=$(opened --format json)
note "sysctl files opened: text $n_text, json $n_json"
[ "$n_json" -gt 100 ] || fail "the JSON audit opened only $n_json sysctl files"
[ "$n_text" -gt 0 ] && [ "$n_text" -lt "$n_json" ] || fail "text $n_text vs json $n_json sysctl files"

audit --format json >"$T/a.json"
audit >"$T/a.txt"
python3 - "$T/a.json" "$T/a.txt" <<'PY' || fail "text and JSON disagree"
import json, re, sys
rep = json.load(open(sys.argv[1]))
want = {}
for f in rep["findings"]:
    if f["severity"] != "ok":
        want.setdefault(f["rule"], set()).add(f["severity"].upper())
got = {}
for line in open(sys.argv[2]):
    m = re.match(r"^(CRITICAL|WARNING|INFO) +([a-z0-9_.-]+)", line)
    if m:
        got.setdefault(m.group(2), set()).add(m.group(1))
if want != got:
    print("json:", sorted(want.items()), "\ntext:", sorted(got.items()))
    sys.exit(1)
print("rules with findings:", len(got))
PY
head -n 1 "$T/a.txt" | grep -q . || fail "no text report"
json_head=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["exit_code"])' "$T/a.json")
rc=$(rc_of hr_in "$ns" "$HR_BIN" audit -q --interval 0 --state-dir "$S")
assert_eq "$rc" "$json_head" "exit code text vs json"

# 2. Drift of a key no rule reads.
k=net.ipv4.tcp_ecn
! grep -rq "tcp_ecn" "$HR_SRCDIR/rules" || skip "a rule now reads $k: pick another key"
o=$(sysval "$ns" $k)
v=$((o == 2 ? 1 : 2))
rc=$(rc_of hr_apply "$ns" apply --state-dir "$S" --set "$k=$v")
assert_eq "$rc" 0 "apply: $(cat "$T/err")"
hr_in "$ns" sysctl -qw $k=0
audit >"$T/d.txt"
grep -q "WARNING *applied.drift" "$T/d.txt" && grep -q "$k applied $v at .*, now 0" "$T/d.txt" ||
	fail "text drift of $k: $(grep -A2 applied.drift "$T/d.txt")"
echo ok
