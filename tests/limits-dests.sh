#!/bin/sh
# The facts model holds at most HR_FACTS_MAX_DESTS (65,536) destinations
# one by one (src/bounds.h): a tree with 1,000,000 sockets to distinct
# remote addresses keeps memory within a stated cap, the rest are folded
# into "other destinations" whose counts add up, the report and JSON say
# so, and the audit over it still runs and says it folded.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "needs python3"
[ -x /usr/bin/time ] || skip "needs /usr/bin/time for peak memory"
# The cap: ~27 MiB of aggregates and hash for 65,536 destinations, plus the
# report tree (JSON objects of every held destination, ~2.5 KiB each).
N=1000000 HELD=65536 CAP_KIB=262144
# The caps are the plain build's: AddressSanitizer's shadow memory and
# quarantine add ~50% (the CI's --enable-asan pass), so allow for it there.
if grep -q __asan_init "$HR_BIN" 2>/dev/null; then
	CAP_KIB=$((CAP_KIB * 2))
	note "AddressSanitizer build: caps doubled"
fi

"$HR_BIN" snapshot -o "$T/r" --quiet 2>/dev/null || fail "snapshot of this system"
# N sockets from 10.0.0.1 (outside any listening port) to N distinct
# addresses 11.x.y.z:443, a quarter TIME_WAIT; then the listeners go first.
python3 - "$T/r/proc/net/tcp" "$N" <<'PY'
import sys
n = int(sys.argv[2])
with open(sys.argv[1], "w") as f:
    f.write("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n")
    for i in range(n):
        a = 11 << 24 | (i + 1)
        dst = "%02X%02X%02X%02X" % (a & 255, a >> 8 & 255, a >> 16 & 255, a >> 24)
        st, tm = ("06", "03:00000BB8") if i % 4 == 0 else ("01", "00:00000000")
        f.write("%4d: 0100000A:%04X %s:01BB %s 00000000:00000000 %s 00000000  1000        0 %d 1\n"
                % (i, 1024 + i % 60000, dst, st, tm, i + 1))
PY
: >"$T/r/proc/net/tcp6"
rc=0
/usr/bin/time -f "%M %e" -o "$T/time" "$HR_BIN" probe --root "$T/r" --format json >"$T/p.json" 2>"$T/p.err" || rc=$?
set -- $(tail -1 "$T/time"); rss=$1 secs=$2
note "probe of $N distinct destinations: ${secs} s, peak RSS ${rss} KiB (cap ${CAP_KIB} KiB)"
assert_eq "$rc" 0 "probe exit status"
[ "$rss" -le "$CAP_KIB" ] || fail "peak RSS $rss KiB over the cap of $CAP_KIB KiB"
s='d["facts"]["sockets"]'
assert_eq "$(jget "$T/p.json" "len($s['destinations'])")" "$HELD" "destinations held one by one"
assert_eq "$(jget "$T/p.json" "$s['other_destinations']['destinations_held']")" "$HELD" "held, as reported"
assert_eq "$(jget "$T/p.json" "$s['outbound']")" "$N" "outbound sockets"
assert_eq "$(jget "$T/p.json" "sum(x['in_use'] for x in $s['destinations']) + $s['other_destinations']['in_use']")" \
	"$N" "destinations + other add up to the outbound sockets"
assert_eq "$(jget "$T/p.json" "$s['other_destinations']['in_use']")" "$((N - HELD))" "sockets folded"
assert_eq "$(jget "$T/p.json" "sum(x['timewait'] for x in $s['destinations']) + $s['other_destinations']['timewait']")" \
	"$(jget "$T/p.json" "$s['states']['TIME_WAIT']")" "TIME_WAIT adds up"
grep -qF "sockets: more than $HELD destinations: $((N - HELD)) sockets toward the rest were folded into 'other destinations'" "$T/p.err" ||
	fail "stderr does not say it folded: $(cat "$T/p.err")"
"$HR_BIN" probe --root "$T/r" >"$T/p.txt" 2>/dev/null || fail "text probe"
want=$(python3 -c 'import sys; n, h = int(sys.argv[1]), int(sys.argv[2]); print("Other destinations (beyond the {:,} held one by one): {:,} in use".format(h, n - h))' "$N" "$HELD")
grep -qF "$want" "$T/p.txt" ||
	fail "text report lacks the other destinations: $(grep -i destination "$T/p.txt")"

# The audit over it: runs (exit 0-2), in bounded memory, and says it folded.
rc=0
/usr/bin/time -f "%M %e" -o "$T/time" "$HR_BIN" audit --root "$T/r" --quiet --format json >"$T/a.json" 2>"$T/a.err" || rc=$?
set -- $(tail -1 "$T/time"); rss=$1 secs=$2
note "audit of $N distinct destinations: ${secs} s, peak RSS ${rss} KiB, exit $rc"
[ "$rc" -le 2 ] || fail "audit exit $rc: $(head -c 600 "$T/a.err")"
# The audit holds findings and the report of every held destination too.
[ "$rss" -le $((CAP_KIB * 2)) ] || fail "audit peak RSS $rss KiB over the cap of $((CAP_KIB * 2)) KiB"
jget "$T/a.json" 'd["facts"]["sockets"]["other_destinations"]["in_use"]' | grep -qx "$((N - HELD))" ||
	fail "audit JSON lacks the folded sockets"
grep -qF "were folded into 'other destinations'" "$T/a.json" || fail "audit JSON problems do not say it folded"
"$HR_BIN" audit --root "$T/r" --quiet >"$T/a.txt" 2>/dev/null || true
want=$(python3 -c 'import sys; n, h = int(sys.argv[1]), int(sys.argv[2]); print("Other destinations: {:,} sockets toward destinations beyond the {:,} held one by one were folded together".format(n - h, h))' "$N" "$HELD")
grep -qF "$want" "$T/a.txt" || fail "audit text does not say it folded"
# People get the 20 worst destinations in the text table and a count of the
# rest; the JSON has every one.
nport=$(jget "$T/a.json" 'len([f for f in d["findings"] if f["rule"] == "ports.timewait-exhaustion"])')
[ "$nport" -gt 20 ] || fail "only $nport port findings"
grep -qF "... and $((nport - 20)) more destinations (the table is worst first; every one: --format json)" "$T/a.txt" ||
	fail "text table not cut at 20: $(grep -c . "$T/a.txt") lines"
[ "$(wc -l <"$T/a.txt")" -lt 2000 ] || fail "audit text has $(wc -l <"$T/a.txt") lines"
echo ok
