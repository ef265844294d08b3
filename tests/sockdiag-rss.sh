#!/bin/sh
# Peak RSS of one socket dump at 1k and at 200k TIME_WAIT sockets differs by
# at most 2 MiB: sockets are streamed into per-destination aggregates, never stored.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sockdiag-lib.sh"
hr_require_netns
sd_require_helpers
[ -x /usr/bin/time ] || skip "needs GNU time (/usr/bin/time)"

NS=$(hr_ns rss)
# Inside the namespace only: room for 200k TIME_WAIT, 64k ports per
# destination, and no loopback TIME_WAIT reuse (tcp_tw_reuse=2 would recycle them).
hr_in "$NS" sysctl -q -w net.ipv4.tcp_max_tw_buckets=400000 \
	net.ipv4.ip_local_port_range="1024 65535" net.ipv4.tcp_tw_reuse=0
EPS=127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103,127.0.0.1:7104,127.0.0.1:7105,127.0.0.1:7106,127.0.0.1:7107,127.0.0.1:7108

# sd_fill N: N more client-closed connections over the 8 destinations.
sd_fill() {
	hr_in "$NS" "$TCPGEN" fill --serve --connect "$EPS" --count "$1" --duration 50 --quiet >"$T/fill"
	[ "$(sd_kv "$T/fill" failed)" = 0 ] || fail "tcpgen fill: $(cat "$T/fill")"
}

# sd_peak_rss OUT: the largest "Maximum resident set size" (KiB) of 3 probe runs.
sd_peak_rss() {
	local i=0 max=0 r
	set -- $SD_CMD
	while [ $i -lt 3 ]; do
		hr_in "$NS" /usr/bin/time -v "$@" >"$T/out.json" 2>"$T/time"
		r=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$T/time")
		[ -n "$r" ] || fail "no RSS from /usr/bin/time: $(cat "$T/time")"
		[ "$r" -gt "$max" ] && max=$r
		i=$((i + 1))
	done
	echo "$max"
}

# The probe command when it exists, else diagdump (the same dump and facts JSON).
if hr_in "$NS" "$HR_BIN" probe --interval 0 --format json >/dev/null 2>&1; then
	SD_CMD="$HR_BIN probe --interval 0 --format json"
else
	SD_CMD=$DIAGDUMP
fi

tw_count() { hr_in "$NS" ss -Htan state time-wait | wc -l; }

sd_fill 1000
small_tw=$(tw_count)
small=$(sd_peak_rss)
sd_fill 199000
big_tw=$(tw_count)
big=$(sd_peak_rss)
note "$SD_CMD: peak RSS: $small KiB at $small_tw TIME_WAIT, $big KiB at $big_tw TIME_WAIT (+$((big - small)) KiB)"
[ "$small_tw" -ge 990 ] || fail "only $small_tw TIME_WAIT sockets for the small case"
[ "$big_tw" -ge 198000 ] || fail "only $big_tw TIME_WAIT sockets for the big case"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); s=d.get("facts", d)["sockets"]; sys.exit(abs(s["states"]["TIME_WAIT"] - int(sys.argv[2])) > 100)' \
	"$T/out.json" "$big_tw" || fail "dump TIME_WAIT count differs from ss ($big_tw)"
[ $((big - small)) -le 2048 ] || fail "peak RSS grew by $((big - small)) KiB from 1k to 200k TIME_WAIT (limit 2048 KiB)"
echo ok
