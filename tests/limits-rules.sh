#!/bin/sh
# Input bounds of the rules loader (src/bounds.h): a file over 1 MiB, YAML
# nested 1000 deep, more than 10,000 rules and an expression over 16 KiB
# each give one error located in the file, quickly and in bounded memory.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "needs python3"
[ -x /usr/bin/time ] || skip "needs /usr/bin/time for peak memory and time"

# check NAME FILE WANT: rules check FILE fails (exit 1) with WANT in its output.
check() {
	rc=0
	/usr/bin/time -f "%M %e" -o "$T/time" "$HR_BIN" rules check --no-default-rules "$2" \
		>"$T/$1.out" 2>&1 || rc=$?
	set -- "$1" "$2" "$3" $(tail -1 "$T/time")
	note "$1: $(wc -c <"$2") bytes: ${5} s, peak RSS ${4} KiB"
	assert_eq "$rc" 1 "$1: exit status"
	grep -qF "$3" "$T/$1.out" || fail "$1: output lacks '$3': $(head -c 600 "$T/$1.out")"
	awk -v s="$5" 'BEGIN { exit !(s < 5.0) }' || fail "$1: took $5 s"
	[ "$4" -lt 262144 ] || fail "$1: peak RSS $4 KiB"
}

# 1. 100,000 rules (~3.9 MB): over the file bound, not read.
python3 - "$T/many.yaml" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("rules:\n")
    for i in range(100000):
        f.write('  - {id: r%d, title: t, message: m}\n' % i)
PY
check many "$T/many.yaml" "many.yaml: error: larger than 1 MiB (the bound of a rule file); not read"
# 1b. 10,005 rules in two files (~400 KB each, within the file bound): the
#     10,001st is located and named, once.
python3 - "$T/count1.yaml" "$T/count2.yaml" <<'PY'
import sys
for k, path in enumerate(sys.argv[1:]):
    with open(path, "w") as f:
        f.write("rules:\n")
        for i in range(5000 + 5 * k):
            f.write('  - {id: r%d.%d, title: t, message: m}\n' % (k, i))
PY
mkdir "$T/count"; mv "$T/count1.yaml" "$T/count2.yaml" "$T/count/"
rc=0; "$HR_BIN" rules check --no-default-rules --rules "$T/count" >"$T/count.out" 2>&1 || rc=$?
assert_eq "$rc" 1 "count: exit status"
grep -qF "count2.yaml:5002:5: error: more than 10000 rules in the rule set (the bound)" "$T/count.out" ||
	fail "count: $(grep -v "needs\|missing" "$T/count.out" | head -c 600)"
assert_eq "$(grep -c "more than 10000 rules" "$T/count.out")" 1 "the rule bound reported once"

# 2. YAML nested 1000 deep, in a rule's 'let'.
python3 - "$T/deep.yaml" <<'PY'
import sys
open(sys.argv[1], "w").write("rules:\n  - id: t.deep\n    let: " + "[" * 1000 + "]" * 1000 + "\n")
PY
check deep "$T/deep.yaml" "deep.yaml:3:39: error: nested deeper than 32 levels (the bound of a rule file)"

# 3. An expression of 20 KiB (within the file bound): located at the expression.
python3 - "$T/longexpr.yaml" <<'PY'
import sys
open(sys.argv[1], "w").write('rules:\n  - id: t.long\n    title: t\n    message: m\n    when: "' +
                             " + ".join(["1"] * 5000) + ' > 0"\n')
PY
check longexpr "$T/longexpr.yaml" "longexpr.yaml:5:12: error: expression of 20001 bytes, longer than the bound of 16384"

# 4. An expression of 10 MB: the file is over the bound and not read.
python3 - "$T/huge.yaml" <<'PY'
import sys
open(sys.argv[1], "w").write('rules:\n  - id: t.huge\n    when: "' + "1 + " * 2500000 + '1 > 0"\n')
PY
check huge "$T/huge.yaml" "huge.yaml: error: larger than 1 MiB (the bound of a rule file); not read"

# Within the bounds: 10,000 rules and a 16,000-byte expression load; YAML
# 32 deep is refused for what it is, not for its depth.
python3 - "$T/deep32.yaml" <<'PY'
import sys
open(sys.argv[1], "w").write("rules:\n  - id: t.deep\n    let: " + "[" * 29 + "]" * 29 + "\n")
PY
"$HR_BIN" rules check --no-default-rules "$T/deep32.yaml" >"$T/deep32.out" 2>&1 || true
grep -q "let (name: expression, in order) must be a mapping" "$T/deep32.out" || fail "32 deep: $(cat "$T/deep32.out")"
grep -q "nested deeper" "$T/deep32.out" && fail "32 deep refused for its depth"
python3 - "$T/ok.yaml" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("rules:\n")
    for i in range(9999):
        f.write('  - {id: t.r%d, title: t, severity: {warning: "1 > 0"}, message: m}\n' % i)
    e = "max(" + ", ".join(["1"] * 30) + ")"
    f.write('  - id: t.long\n    title: t\n    message: m\n    severity: {warning: "%s%s > 0"}\n'
            % (e, " " * (16000 - len(e) - 4)))
PY
"$HR_BIN" rules check --no-default-rules "$T/ok.yaml" >"$T/ok.out" 2>&1 || fail "rules within the bounds: $(tail -3 "$T/ok.out")"
grep -q "^10000 rules checked (10000 sound), 0 errors$" "$T/ok.out" || fail "summary: $(tail -1 "$T/ok.out")"
echo ok
