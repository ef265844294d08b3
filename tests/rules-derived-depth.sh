#!/bin/sh
# rules check runs the derivation checks evaluation needs: a chain of 64
# derived facts passes both, a chain of 65 and a 2001-long cycle (longer
# than the check's old search depth) fail rules check with the reason, as
# audit fails on them (it nests derived facts 64 deep at most,
# HR_EXPR_MAX_DEPTH); a short cycle is named as a cycle.
. "$(dirname "$0")/lib.sh"
hr_require_netns
ns=$(hr_ns derived)
python3 - "$T" <<'PY'
import os, sys
T = sys.argv[1]
def chain(n, cycle):
    out = ["derived:"]
    for i in range(n):
        out.append('  d%d: "%s"' % (i, "d%d + 1" % (i + 1) if i + 1 < n else ("d0 + 1" if cycle else "1")))
    out += ["rules:", "  - id: t.deep", "    title: deep", "    severity:", '      warning: "d0 > 0"',
            '    message: "d0 is {d0}"']
    return "\n".join(out) + "\n"
for name, n, cycle in [("chain64", 64, False), ("chain65", 65, False), ("cycle2001", 2001, True), ("cycle3", 3, True)]:
    os.makedirs(os.path.join(T, name))
    open(os.path.join(T, name, "r.yaml"), "w").write(chain(n, cycle))
PY
# check NAME: rules check's exit code; its output in $T/NAME.check.
check() { local rc=0; "$HR_BIN" rules check --no-default-rules --rules "$T/$1" >"$T/$1.check" 2>&1 || rc=$?; echo $rc; }
audit() { local rc=0; hr_in "$ns" "$HR_BIN" audit --no-default-rules --rules "$T/$1" --interval 0 >"$T/$1.audit" 2>&1 || rc=$?; echo $rc; }

assert_eq "$(check chain64)" 0 "rules check of a 64-deep chain ($(cat "$T/chain64.check"))"
assert_eq "$(audit chain64)" 1 "audit of a 64-deep chain ($(head -1 "$T/chain64.audit"))"
grep -q "d0 is 64" "$T/chain64.audit" || fail "the 64-deep chain's value: $(head -1 "$T/chain64.audit")"
for t in chain65 cycle2001; do
	assert_eq "$(check $t)" 1 "rules check of $t ($(tail -3 "$T/$t.check"))"
	grep -q "nests more than 64 derived facts" "$T/$t.check" || fail "$t: rules check's reason: $(cat "$T/$t.check")"
	assert_eq "$(audit $t)" 3 "audit of $t"
	note "$t: rules check exit 1, audit exit 3: $(grep -m1 'nests more' "$T/$t.check" | cut -c1-160)"
done
assert_eq "$(check cycle3)" 1 "rules check of a 3-cycle"
grep -q "cycle in derived facts: d0 -> d1 -> d2 -> d0" "$T/cycle3.check" || fail "cycle3: $(cat "$T/cycle3.check")"
echo ok
