#!/bin/sh
# headroom watch, line mode (stdout piped, --count 3) inside a namespace
# whose ports are being exhausted: three lines a second apart, each with an
# ISO timestamp, the status, the top finding and key=value numbers that agree
# with 'headroom audit --format json' of the same namespace; the exit code is
# the last verdict. Also: --once, and the errors for a bad --netns/--count.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab-lib.sh"
. "$(dirname "$0")/watch-lib.sh"

watch_load 30
sleep 2
rc=0
t0=$(lab_now)
"$HR_BIN" watch --netns "$LAB_C" --count 3 >"$T/lines" 2>"$T/err" || rc=$?
t1=$(lab_now)
lab_audit "$LAB_C" "$T/audit.json"
sed 's/^/#   /' "$T/lines"
[ "$(wc -l <"$T/lines")" -eq 3 ] || fail "want 3 lines for --count 3, got $(wc -l <"$T/lines"): $(cat "$T/err")"
# Three refreshes with the default 1 s interval take about 3 s.
awk -v a="$t0" -v b="$t1" 'BEGIN { d = b - a; exit !(d >= 2.9 && d < 8) }' ||
	fail "--count 3 took $(lab_calc "$t1 - $t0") s, want about 3 s"

re='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+-][0-9]{4} (OK|WARNING|CRITICAL|UNKNOWN) exit=[0-3] top=[^ ]+( [a-z_]+=[^ "]+)+ verdict="[^"]*"$'
grep -Evq "$re" "$T/lines" && fail "a line is not in the documented form: $(grep -Ev "$re" "$T/lines" | head -n 1)"

first=$(sed -n 1p "$T/lines")
last=$(sed -n 3p "$T/lines")
assert_eq "$(watch_field "$last" exit)" "$rc" "exit code = the last line's verdict"
assert_eq "$(printf '%s\n' "$last" | cut -d' ' -f2)" CRITICAL "status of the last line"
assert_eq "$(watch_field "$last" top)" "ports.timewait-exhaustion@$WATCH_DEST" "top finding"
assert_eq "$(watch_field "$last" dest)" "$WATCH_DEST" "destination"
# The first refresh has no previous one: no growth yet; later ones measure it.
assert_eq "$(watch_field "$first" growth_per_s)" - "growth on the first refresh"
g=$(watch_field "$last" growth_per_s)
assert_within "$g" "$WATCH_RATE" 30 "growth_per_s (ports in use per second, from the socket dumps)"
u1=$(watch_field "$first" in_use)
u3=$(watch_field "$last" in_use)
[ "$u3" -gt "$u1" ] || fail "ports in use did not grow: $u1 then $u3"
tte1=$(watch_field "$first" tte_s)
tte3=$(watch_field "$last" tte_s)
awk -v a="$tte1" -v b="$tte3" 'BEGIN { exit !(b < a) }' || fail "time to exhaustion did not fall: $tte1 then $tte3"

# The same numbers as the audit taken right after (about 1 s later).
f=$(lab_finding "$T/audit.json" ports.timewait-exhaustion "$WATCH_DEST")
[ -n "$f" ] || fail "audit has no port finding for $WATCH_DEST"
assert_eq "$(watch_field "$last" usable)" "$(lab_field "$f" 'int(f["metrics"]["ports_usable"])')" "usable ports"
a_inuse=$(lab_field "$f" 'f["metrics"]["ports_in_use"]')
awk -v w="$u3" -v a="$a_inuse" -v r="$WATCH_RATE" 'BEGIN { d = a - w; exit !(d >= 0 && d <= 3 * r + 5) }' ||
	fail "in_use $u3 (watch) vs $a_inuse (audit a second later): more than 3 s of growth apart"
assert_within "$(watch_field "$last" rate_per_s)" "$(lab_field "$f" 'f["metrics"]["rate_per_s"]')" 25 "rate_per_s vs audit"
a_tte=$(lab_field "$f" 'f["metrics"]["seconds_to_exhaustion"]')
awk -v w="$tte3" -v a="$a_tte" 'BEGIN { d = w - a; exit !(d >= -1 && d <= 4) }' ||
	fail "tte_s $tte3 (watch) vs $a_tte (audit a second later)"
assert_eq "$(watch_field "$last" tw_max)" "$(jget "$T/audit.json" 'd["facts"]["sysctls"]["net.ipv4.tcp_max_tw_buckets"]["fields"][0]')" "tw_max"
assert_eq "$(watch_field "$last" tw)" "$u3" "every port in use is in TIME_WAIT"
ctmax=$(jget "$T/audit.json" 'd["facts"]["sysctls"].get("net.netfilter.nf_conntrack_max", {}).get("fields", ["-"])[0]')
assert_eq "$(watch_field "$last" ct_max)" "$ctmax" "ct_max"
assert_eq "$(watch_field "$last" listen_overflows)" \
	"$(jget "$T/audit.json" 'd["facts"]["counters"]["netstat.TcpExt.ListenOverflows"]["value"]')" "ListenOverflows"
assert_eq "$(watch_field "$last" listen_overflows_delta)" 0 "ListenOverflows moved"

# --once: one line; a namespace that does not exist and a bad --count: exit 3 with a reason.
once=$("$HR_BIN" watch --netns "$LAB_S" --once --interval 0.2)
[ "$(printf '%s\n' "$once" | wc -l)" -eq 1 ] || fail "--once printed not one line"
# As audit --netns: the global keys come from the initial namespace, so
# no rule that needs one (memory.tcp-mem, memory.orphans) is left out.
case $once in *"not evaluated"*) fail "watch --netns left checks not evaluated: $once" ;; esac
rc=0
"$HR_BIN" watch --netns "hr$$-nosuch" --once >/dev/null 2>"$T/err" || rc=$?
assert_eq "$rc" 3 "exit code for a missing namespace"
grep -q "no such network namespace" "$T/err" || fail "missing namespace not explained: $(cat "$T/err")"
rc=0
"$HR_BIN" watch --count 0 >/dev/null 2>"$T/err" || rc=$?
assert_eq "$rc" 3 "exit code for --count 0"
grep -q -- "--count wants" "$T/err" || fail "--count 0 not explained: $(cat "$T/err")"
echo ok
