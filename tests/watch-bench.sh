#!/bin/sh
# tests/watch-bench.sh: the figures in docs/PERFORMANCE.md ("headroom watch"):
# memory over refreshes and the cost of one refresh against one probe, with
# a socket load present (a client closing WATCH_RATE connections/s, so about
# 60 x WATCH_RATE sockets in TIME_WAIT). Not in make check (it takes minutes);
# run as root: sh tests/watch-bench.sh [REFRESHES] (default 3600).
#  1. one process, --interval 0.05 --count N: VmRSS (/proc/PID/status) after
#     1, 100, 1000 and N refreshes, and its peak (GNU time %M);
#  2. 20 refreshes (--count 20) against 20 runs of 'headroom probe' with the
#     same counter interval, wall time from GNU time.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab-lib.sh"
WATCH_RATE=${WATCH_RATE:-100}
. "$(dirname "$0")/watch-lib.sh"

N=${1:-3600}
[ -x /usr/bin/time ] || skip "needs GNU time (Debian package time)"
watch_load $((N / 10 + 200)) "20000 60999"
note "warming up: $WATCH_RATE connections/s for 65 s, so TIME_WAIT is in its steady state"
sleep 65
note "sockets: $(hr_in "$LAB_C" ss -Htan | wc -l)"

: >"$T/lines"
/usr/bin/time -f '%M %e' -o "$T/time" "$HR_BIN" watch --netns "$LAB_C" --interval 0.05 --count "$N" >"$T/lines" &
pid=$!
HR_PIDS="$HR_PIDS $pid"
# The last sample a few refreshes before the end, while the process lives.
for want in 1 100 1000 $((N - 5)); do
	[ "$want" -ge 1 ] && [ "$want" -le "$N" ] || continue
	while [ "$(wc -l <"$T/lines")" -lt "$want" ] && kill -0 "$pid" 2>/dev/null; do sleep 0.01; done
	w=$(pgrep -P "$pid" -x headroom || echo "$pid")
	st=$(grep -E '^Vm(RSS|HWM):' "/proc/$w/status" 2>/dev/null | tr -s ' \t' ' ' | tr '\n' ' ')
	echo "after $(wc -l <"$T/lines") refreshes: ${st:-(exited)}"
done
wait "$pid" || true
read -r peak secs <"$T/time"
echo "$N refreshes in $secs s ($(lab_calc "$secs / $N * 1000") ms each at --interval 0.05), peak RSS $peak kB"
echo "last: $(tail -n 1 "$T/lines" | cut -c1-200)"

/usr/bin/time -f '%e' -o "$T/tw" "$HR_BIN" watch --netns "$LAB_C" --interval 0.05 --count 20 >/dev/null
/usr/bin/time -f '%e' -o "$T/tp" sh -c "for i in \$(seq 20); do ip netns exec '$LAB_C' '$HR_BIN' probe --interval 0.05 --format json >/dev/null; done"
tw=$(cat "$T/tw") tp=$(cat "$T/tp")
echo "20 refreshes: $tw s; 20 x 'headroom probe --interval 0.05': $tp s; ratio $(lab_calc "$tw / $tp")"
