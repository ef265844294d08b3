#!/bin/sh
# bench/buffers.sh [PAIRS]: the cost of asking sock_diag for tcp_info and
# skmeminfo of every TCP socket (the buffer facts, facts-buffers.c) against
# the bare dump, at 2 x PAIRS + 1 ESTABLISHED loopback sockets (default
# 100000 pairs: 200,001 sockets) held by bench/hold.py in a namespace this
# script makes and removes. TIME_WAIT sockets carry neither attribute, so
# bench/run.sh's TIME_WAIT fill would not see the difference.
#   bare     tests/helpers/diagdump --count            (no extension)
#   buffers  tests/helpers/diagdump --buffers --count  (INFO + SKMEMINFO)
# The mean CPU time (user + system) and the fastest and median wall time
# of each over alternating runs, their ratios, and GNU time's peak RSS of
# each. Not part of make check.
# Environment: RUNS (runs of each, default 20), KEEP=1 keeps the work dir.
set -eu
export LC_ALL=C
top=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d "${TMPDIR:-/tmp}/hr-bench-buf.XXXXXX")
P="hrbenchbuf$$-"
PIDS=""
. "$top/bench/lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "bench: needs root (network namespaces)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: needs GNU time (/usr/bin/time)" >&2; exit 1; }
make -s -C "$top" tests/helpers/diagdump >/dev/null
DUMP=$top/tests/helpers/diagdump
PAIRS=${1:-100000}
RUNS=${RUNS:-20}
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
# Alternating runs, CPU time from getrusage (user + system: the kernel fills
# the dump in recvmsg()): on a shared machine the wall time also waits for
# other processes, so the fastest and the median run are shown beside it.
python3 - "$NS" "$DUMP" "$RUNS" "$n" "$nb" <<'PY'
import resource, subprocess, sys, time
ns, dump, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
res = {"bare": [0.0, 0.0, []], "buffers": [0.0, 0.0, []]}
for i in range(runs):
    for name, args in (("bare", ["--count"]), ("buffers", ["--buffers", "--count"])):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        subprocess.run(["ip", "netns", "exec", ns, dump] + args, stdout=subprocess.DEVNULL, check=True)
        t1 = time.monotonic()
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        res[name][0] += r1.ru_utime - r0.ru_utime
        res[name][1] += r1.ru_stime - r0.ru_stime
        res[name][2].append(t1 - t0)
print("sockets %s (with buffers: %s), %d alternating runs each" % (sys.argv[4], sys.argv[5], runs))
cpu = {}
for n, (u, s, w) in res.items():
    w.sort()
    cpu[n] = (u + s) / runs
    print("%-8s cpu %.1f ms (user %.1f, system %.1f)  wall min %.1f, median %.1f ms"
          % (n, cpu[n] * 1e3, u / runs * 1e3, s / runs * 1e3, w[0] * 1e3, w[len(w) // 2] * 1e3))
b, f = res["bare"][2], res["buffers"][2]
print("ratio    cpu %.2fx  wall min %.2fx  wall median %.2fx"
      % (cpu["buffers"] / cpu["bare"], f[0] / b[0], f[len(f) // 2] / b[len(b) // 2]))
PY
rss() { ip netns exec "$NS" /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n 1; }
echo "peak RSS bare $(rss "$DUMP" --count) KiB, buffers $(rss "$DUMP" --buffers --count) KiB"
