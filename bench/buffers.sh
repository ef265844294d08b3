#!/bin/sh
# bench/buffers.sh [PAIRS]: the cost of asking sock_diag for tcp_info and
# skmeminfo of every TCP socket (the buffer facts, facts-buffers.c) against
# the bare dump, at 2 x PAIRS + 1 ESTABLISHED loopback sockets (default
# 100000 pairs: 200,001 sockets) held by bench/hold.py in a namespace this
# script makes and removes. TIME_WAIT sockets carry neither attribute, so
# bench/run.sh's TIME_WAIT fill would not see the difference.
#   bare     tests/helpers/diagdump --count            (no extension)
#   buffers  tests/helpers/diagdump --buffers --count  (INFO + SKMEMINFO)
# hyperfine's median and fastest wall time and mean CPU time (user +
# system) of each, their ratios, and GNU time's peak RSS of each. Not part
# of make check.
# Environment: RUNS (hyperfine runs, default 10), KEEP=1 keeps the work dir.
set -eu
export LC_ALL=C
top=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d "${TMPDIR:-/tmp}/hr-bench-buf.XXXXXX")
P="hrbenchbuf$$-"
PIDS=""
. "$top/bench/lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "bench: needs root (network namespaces)" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "bench: needs hyperfine" >&2; exit 1; }
make -s -C "$top" tests/helpers/diagdump >/dev/null
DUMP=$top/tests/helpers/diagdump
PAIRS=${1:-100000}
RUNS=${RUNS:-10}
NS="${P}n"
ip netns add "$NS"
ip -n "$NS" link set lo up
ip netns exec "$NS" sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
# Holders of at most 8,000 pairs each: a process may be capped at 20,000
# descriptors (ulimit -Hn here) and cannot raise it.
left=$PAIRS
k=0
while [ "$left" -gt 0 ]; do
	chunk=$((left > 8000 ? 8000 : left))
	k=$((k + 1))
	bench_hold "$NS" "$chunk" "$W/ready.$k" 900
	left=$((left - chunk))
done
i=0
while [ "$(ls "$W" | grep -c '^ready\.')" -lt "$k" ]; do
	i=$((i + 1))
	[ $i -le 3000 ] || { echo "bench: $PAIRS pairs not up in 300 s" >&2; exit 1; }
	sleep 0.1
done
n=$(ip netns exec "$NS" "$DUMP" --count)
nb=$(ip netns exec "$NS" "$DUMP" --buffers --count)
hyperfine -N -w 2 -r "$RUNS" --export-json "$W/h.json" \
	-n bare "ip netns exec $NS $DUMP --count" -n buffers "ip netns exec $NS $DUMP --buffers --count" >/dev/null
rss() { ip netns exec "$NS" /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n 1; }
rb=$(rss "$DUMP" --count)
rf=$(rss "$DUMP" --buffers --count)
python3 - "$W/h.json" "$n" "$nb" "$rb" "$rf" <<'PY'
import json, sys
h = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
b, f = h["bare"]["median"], h["buffers"]["median"]
print("sockets %s (with buffers: %s)" % (sys.argv[2], sys.argv[3]))
cb = h["bare"]["user"] + h["bare"]["system"]
cf = h["buffers"]["user"] + h["buffers"]["system"]
# On a shared machine the wall time waits for other processes: the CPU
# time (user + system: the kernel fills the dump in recvmsg()) and the
# fastest run are the figures that hold; the median is shown as measured.
for n, r, c, m in (("bare", h["bare"], cb, sys.argv[4]), ("buffers", h["buffers"], cf, sys.argv[5])):
    print("%-8s median %.1f ms  min %.1f ms  cpu %.1f ms  peak RSS %s KiB" % (n, r["median"] * 1e3, r["min"] * 1e3, c * 1e3, m))
print("ratio    median %.2fx  min %.2fx  cpu %.2fx" % (f / b, h["buffers"]["min"] / h["bare"]["min"], cf / cb))
PY
