#!/bin/sh
# The memory of loading rules is bounded per file and in total (src/bounds.h):
# a 990 KB rule file of 330,000 placeholders, and eight of them, stay under
# 64 MiB peak RSS (/usr/bin/time -v; on main 209 MiB and 1.6 GiB), each
# with one located error; more than 256 rule files are refused by name.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "needs python3"
[ -x /usr/bin/time ] || skip "needs /usr/bin/time for peak memory"
mkdir -p "$T/one" "$T/eight" "$T/many"
python3 - "$T" <<'PY'
import sys
T = sys.argv[1]
def big(i):
    return ('rules:\n  - id: t.big%d\n    title: big\n    let:\n      x: "1"\n    severity:\n'
            '      info: "1 == 1"\n    message: "%s"\n' % (i, "{x}" * 330000))
open(T + "/one/big.yaml", "w").write(big(0))
for i in range(8):
    open(T + "/eight/big%d.yaml" % i, "w").write(big(i))
for i in range(300):
    open(T + "/many/r%03d.yaml" % i, "w").write(
        'rules:\n  - {id: t.r%d, title: t, severity: {info: "1 == 1"}, message: m}\n' % i)
PY
# The 64 MiB is the plain build's: AddressSanitizer's shadow memory, redzones
# and quarantine (freed memory kept, 256 MiB by default) multiply it (the
# CI's --enable-asan pass): there the bounds' errors are checked, the peak
# only reported.
CAP_KIB=65536
if grep -q __asan_init "$HR_BIN" 2>/dev/null; then
	CAP_KIB=0
	note "AddressSanitizer build: peak RSS reported, not capped"
fi
# peak NAME DIR: rules check of DIR; exit 1, peak RSS (KiB) printed; output in $T/NAME.out.
peak() {
	local rc=0 kib
	/usr/bin/time -v "$HR_BIN" rules check --no-default-rules --rules "$2" >"$T/$1.out" 2>"$T/$1.time" || rc=$?
	cat "$T/$1.time" >>"$T/$1.out"
	assert_eq "$rc" 1 "$1: exit status ($(head -3 "$T/$1.out"))"
	kib=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$T/$1.time")
	note "$1: peak RSS $kib KiB"
	[ "$CAP_KIB" = 0 ] || [ "$kib" -lt "$CAP_KIB" ] || fail "$1: peak RSS $kib KiB, over 64 MiB"
}
peak one "$T/one"
grep -q "big.yaml:8:[0-9]*: error: more than 20000 expressions and placeholders in the rule set" "$T/one.out" ||
	fail "one: the bound's error: $(head -3 "$T/one.out")"
peak eight "$T/eight"
grep -q "the rule files together would be larger than 4 MiB" "$T/eight.out" || fail "eight: $(head -12 "$T/eight.out")"
rc=0
"$HR_BIN" rules check --no-default-rules --rules "$T/many" >"$T/many.out" 2>&1 || rc=$?
assert_eq "$rc" 1 "300 rule files"
grep -q "r256.yaml: error: more than 256 rule files in the rule set (the bound); not read" "$T/many.out" ||
	fail "300 files: $(grep -m3 error "$T/many.out")"
grep -q "r255.yaml" "$T/many.out" && fail "the 256th file was refused"
echo ok
