#!/bin/sh
# probe --root streams /proc/net/tcp: peak memory does not grow with the
# number of lines (20k vs 200k sockets toward the same 500 destinations),
# and 200k lines parse in well under a second.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "needs python3"

# gen DIR N: a tree with N sockets (a third TIME_WAIT) to 500 destinations.
gen() {
	mkdir -p "$1/proc/net"
	python3 - "$1/proc/net/tcp" "$2" <<'PY'
import sys
n = int(sys.argv[2])
with open(sys.argv[1], "w") as f:
    f.write("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n")
    f.write("   0: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1\n")
    for i in range(n):
        st, tm = ("06", "03:%08X" % (i % 6000)) if i % 3 == 0 else ("01", "00:00000000")
        f.write("%4d: 0100000A:%04X %08X:1538 %s 00000000:00000000 %s 00000000  1000        0 %d 1\n"
                % (i + 1, 32768 + i % 28000, 10 | (i % 500 // 250) << 16 | (i % 250) << 24, st, tm, i))
PY
}
# peak RSS (KiB), seconds and exit status of `probe --root DIR`
run() {
	/usr/bin/time -f "%M %e %x" -o "$T/time" "$HR_BIN" probe --root "$1" --format json >/dev/null 2>&1 || true
	cat "$T/time"
}
[ -x /usr/bin/time ] || skip "needs /usr/bin/time for peak memory"
gen "$T/small" 20000
gen "$T/big" 200000
set -- $(run "$T/small"); small=$1
set -- $(run "$T/big"); big=$1 secs=$2 rc=$3
note "peak RSS: 20k sockets ${small} KiB, 200k sockets ${big} KiB; 200k lines in ${secs} s"
assert_eq "$rc" 0 "probe --root exit status"
[ "$big" -le $((small + 1024)) ] || fail "memory grows with the socket count: $small KiB -> $big KiB"
awk -v s="$secs" 'BEGIN { exit !(s < 2.0) }' || fail "200k lines took $secs s"
"$HR_BIN" probe --root "$T/big" --format json >"$T/big.json" 2>/dev/null
assert_eq "$(jget "$T/big.json" 'd["facts"]["sockets"]["total"]')" 200001 "sockets counted"
assert_eq "$(jget "$T/big.json" 'len(d["facts"]["sockets"]["destinations"])')" 500 "destinations"
assert_eq "$(jget "$T/big.json" 'd["facts"]["sockets"]["states"]["TIME_WAIT"]')" 66667 "TIME_WAIT sockets"
echo ok
