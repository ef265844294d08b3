#!/bin/sh
# bench/trace.sh: what the eBPF collector costs (issue 19). In one run, in a
# network namespace of its own (loopback only):
#   1. throughput: tests/helpers/tcpgen fill makes COUNT (default 60000)
#      client-closed loopback connections as fast as it can (PAR in flight,
#      4 destinations), RUNS (default 5) rounds alternating without and with
#      `headroom trace` running in the namespace; medians of connections/s
#      and their ratio, and of tcpgen's CPU time (user+sys, both ends of
#      every connection run in it), steadier on a shared machine. With tracing, the traced opens must equal tcpgen's
#      connected count (exact counting, no sampling).
#   2. memory: the collector's maps (bpftool map show: memlock) and the
#      peak RSS of `headroom trace` (GNU time) with 4 and with DESTS
#      (default 2048) destinations: fixed whatever the number of destinations.
# Prints a markdown section; not part of make check. Needs root, bpftool,
# /usr/bin/time and a build with eBPF (make tests/helpers/tcpgen first).
set -eu
export LC_ALL=C
top=$(cd "$(dirname "$0")/.." && pwd)
HR_BIN=${HR_BIN:-$top/src/headroom}
TCPGEN=${TCPGEN:-$top/tests/helpers/tcpgen}
COUNT=${COUNT:-60000}
PAR=${PAR:-16}
RUNS=${RUNS:-5}
DESTS=${DESTS:-2048}
NS="hrbt$$"
W=$(mktemp -d "${TMPDIR:-/tmp}/hr-bench-trace.XXXXXX")
TR=""

cleanup() {
	[ -z "$TR" ] || { kill "$TR" 2>/dev/null || true; wait "$TR" 2>/dev/null || true; }
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
[ "$(id -u)" -eq 0 ] || { echo "bench/trace.sh: needs root" >&2; exit 77; }
[ -x "$TCPGEN" ] || { echo "bench/trace.sh: build $TCPGEN first (make tests/helpers/tcpgen)" >&2; exit 1; }
"$HR_BIN" trace -q 0.1 >/dev/null || { echo "bench/trace.sh: headroom trace cannot run here" >&2; exit 77; }
ip netns add "$NS"
ip -n "$NS" link set lo up

ours() { bpftool prog show 2>/dev/null | grep -cE ' name on_(set_state|synack|send_reset|receive_rese[a-z]*|kfree_skb) ' || true; }
# The skeleton attaches in program order: kfree_skb's link comes last.
attached() { i=0; while [ "$(bpftool link show | grep -c "tp 'kfree_skb'")" -lt 1 ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done; }
detached() { i=0; while [ "$(ours)" -ne 0 ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done; }
# dests N [K]: N (at most 64, tcpgen's limit) loopback destinations,
# 127.1.K.1:7001 and up (K default 0).
dests() { seq 1 "$1" | sed "s/^/127.1.${2:-0}./; s/\$/:7001/" | paste -sd, -; }
# fill N [K [COUNT]]: one tcpgen run toward dests N K; prints its key=value line.
fill() {
	ip netns exec "$NS" /usr/bin/time -f "%S %U" -o "$W/cpu" "$TCPGEN" fill --connect "$(dests "$1" "${2:-0}")" --count "${3:-$COUNT}" \
		--parallel "$PAR" --serve --duration 60 --quiet
}
kv() { sed -n "s/.*[ ^]$1=\([^ ]*\).*/\1/p"; }
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

: >"$W/off"; : >"$W/on"; : >"$W/cpuoff"; : >"$W/cpuon"
cpu() { awk '{ print $1 + $2 }' "$W/cpu"; }
r=0
while [ $r -lt "$RUNS" ]; do
	r=$((r + 1))
	fill 4 | kv achieved_rate >>"$W/off"
	cpu >>"$W/cpuoff"
	sleep 1
	ip netns exec "$NS" "$HR_BIN" trace -q --format json 30 >"$W/trace.json" &
	TR=$!
	attached
	fill 4 >"$W/fill.out"
	kv achieved_rate <"$W/fill.out" >>"$W/on"
	cpu >>"$W/cpuon"
	kill "$TR" 2>/dev/null || true # SIGTERM: a background job ignores SIGINT
	wait "$TR" 2>/dev/null || true
	TR=""
	detached
	sleep 1
done
# Each round with tracing against the round without just before it: the
# neighbours' load drifts between rounds, a pair shares it best.
pairs=$(paste "$W/cpuoff" "$W/cpuon" | awk '{ printf "%.1f\n", ($2 - $1) / $1 * 100 }' | sort -n | median)
off=$(median <"$W/off")
on=$(median <"$W/on")
cpuoff=$(median <"$W/cpuoff")
cpuon=$(median <"$W/cpuon")

# Exactness: a full trace of one fill (the trace ends by itself here).
ip netns exec "$NS" "$HR_BIN" trace -q --format json 6 >"$W/exact.json" &
TR=$!
attached
fill 4 >"$W/fill.out"
wait "$TR"; TR=""
connected=$(kv connected <"$W/fill.out")
opens=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["totals"]["active_opens"])' "$W/exact.json")
detached

# Memory: maps and the peak RSS with 4 and DESTS destinations.
mem() { # mem N: "memlock-bytes rss-kib" of a trace during fills toward N destinations (64 per fill)
	ip netns exec "$NS" /usr/bin/time -f %M -o "$W/rss" "$HR_BIN" trace -q --format json 15 >"$W/mem.json" &
	TR=$!
	attached
	m=$(bpftool map show | awk '/ name (totals|drops|dests|listeners|fails|socks|calls) /{ want = 1; next } want && /memlock/ { for (i = 1; i <= NF; i++) if ($i == "memlock") { sub(/B$/, "", $(i + 1)); s += $(i + 1) } want = 0 } END { print s + 0 }')
	k=0
	while [ $((k * 64)) -lt "$1" ]; do
		n=$(($1 - k * 64)); [ $n -le 64 ] || n=64
		fill "$n" "$k" $((n * 20)) >/dev/null
		k=$((k + 1))
	done
	wait "$TR"; TR=""
	detached
	echo "$m $(cat "$W/rss") $(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["destinations"]))' "$W/mem.json")"
}
m4=$(mem 4)
mn=$(mem "$DESTS")

cpus=$(nproc)
kernel=$(uname -r)
cat <<EOF
## eBPF trace (bench/trace.sh)

Machine: $cpus CPUs (shared), kernel $kernel. Loopback, one namespace;
tcpgen fill, $COUNT client-closed connections per round, $PAR in flight,
4 destinations; $RUNS rounds alternating without and with \`headroom trace\`
running in the namespace (medians).

| | connections/s | tcpgen CPU s (user+sys, both ends) |
|---|---|---|
| without tracing | $off | $cpuoff |
| with tracing | $on | $cpuon |
| cost | $(awk -v a="$off" -v b="$on" 'BEGIN { printf "%.1f%%", (a - b) / a * 100 }') | $(awk -v a="$cpuoff" -v b="$cpuon" 'BEGIN { printf "%.1f%%", (b - a) / a * 100 }') |

Median of the per-round CPU cost (each round with tracing against the
round without just before it): $pairs%.

Every round of the same run: connections/s without $(tr '\n' ' ' <"$W/off")and with $(tr '\n' ' ' <"$W/on");
CPU without $(tr '\n' ' ' <"$W/cpuoff")and with $(tr '\n' ' ' <"$W/cpuon")(the machine is shared: throughput
moves with the neighbours' load, CPU time per connection much less).

Exact counting: tcpgen connected $connected, the trace counted $opens opens.

Memory, whatever the number of destinations (maps: bpftool map show memlock,
summed; RSS: GNU time, peak of \`headroom trace\`):

| destinations (traced) | maps | headroom trace peak RSS |
|---|---|---|
| $(echo "$m4" | awk '{ print $3 }') | $(echo "$m4" | awk '{ printf "%.1f MiB", $1 / 1048576 }') | $(echo "$m4" | awk '{ print $2 }') KiB |
| $(echo "$mn" | awk '{ print $3 }') | $(echo "$mn" | awk '{ printf "%.1f MiB", $1 / 1048576 }') | $(echo "$mn" | awk '{ print $2 }') KiB |
EOF
