#!/bin/sh
# bench/dns-race.sh [N]: tries to reproduce the Kubernetes DNS race live
# (issue 21; kubernetes #56903): a client namespace DNATs the service
# address 10.96.0.10:53 to a resolver namespace (MODE=two, the default:
# one of two resolver addresses at random, as kube-proxy's iptables mode
# spreads over two DNS pods; MODE=one: a single resolver), and
# bench/dns-race.c sends an A and an AAAA query from one UDP socket at the
# same moment from CPUs 0 and 1, N times (default 20000) with a fresh
# socket each. The conntrack statistics of the client namespace
# (conntrack -S, summed over CPUs) are read before and after: a race lost
# at confirm is either resolved (clash_resolve: the packet goes through) or
# counted in insert_failed (the packet is dropped: the 5-second delay).
# Then `headroom audit` in the client namespace shows what the rules say
# (conntrack.insert-failed, conntrack.dns-race). RUNS (default 3) runs per
# call. Needs root, 2 CPUs, nft, conntrack and cc; removes its namespaces
# (also on ^C). Not part of make check. The host's sysctls are never
# written.
set -eu
export LC_ALL=C
top=$(cd "$(dirname "$0")/.." && pwd)
HR_BIN=${HR_BIN:-$top/src/headroom}
N=${1:-20000}
RUNS=${RUNS:-3}
MODE=${MODE:-two}
P="hrdns$$-"
W=$(mktemp -d "${TMPDIR:-/tmp}/hr-bench-dns.XXXXXX")
PIDS=""

. "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "bench/dns-race.sh: needs root (network namespaces)" >&2; exit 77; }
for t in nft conntrack cc; do
	command -v $t >/dev/null || { echo "bench/dns-race.sh: needs $t" >&2; exit 77; }
done
[ "$(getconf _NPROCESSORS_ONLN)" -ge 2 ] || { echo "bench/dns-race.sh: needs 2 CPUs" >&2; exit 77; }
cc -O2 -pthread -o "$W/dns-race" "$(dirname "$0")/dns-race.c"

C=${P}client R=${P}resolver
ip netns add "$C"
ip netns add "$R"
ip link add "${P}c" type veth peer name "${P}r"
ip link set "${P}c" netns "$C"
ip link set "${P}r" netns "$R"
ip -n "$C" addr add 10.77.0.1/24 dev "${P}c"
ip -n "$C" link set "${P}c" up
ip -n "$C" link set lo up
ip -n "$R" addr add 10.77.0.2/24 dev "${P}r"
ip -n "$R" addr add 10.77.0.3/24 dev "${P}r"
ip -n "$R" link set "${P}r" up
ip -n "$C" route add default via 10.77.0.2
if [ "$MODE" = two ]; then
	to="numgen random mod 2 map { 0 : 10.77.0.2, 1 : 10.77.0.3 }"
else
	to=10.77.0.2
fi
ip netns exec "$C" nft -f - <<NFT
table ip hrdns {
	chain out {
		type nat hook output priority -100;
		ip daddr 10.96.0.10 udp dport 53 dnat to $to
	}
}
NFT
printf 'nameserver 10.96.0.10\n' >"$W/resolv.conf"

stat_sum() { # stat_sum FIELD: the client namespace's FIELD over its CPUs
	ip netns exec "$C" conntrack -S 2>/dev/null | tr ' ' '\n' | sed -n "s/^$1=//p" | awk '{ s += $1 } END { print s + 0 }'
}
echo "kernel $(uname -r), $(getconf _NPROCESSORS_ONLN) CPUs, MODE=$MODE, N=$N pairs per run"
r=1
while [ "$r" -le "$RUNS" ]; do
	f0=$(stat_sum insert_failed) c0=$(stat_sum clash_resolve) d0=$(stat_sum drop) t0=$(now)
	timeout 300 ip netns exec "$C" "$W/dns-race" 10.96.0.10 "$N"
	t1=$(now)
	printf 'run %d: insert_failed %d, clash_resolve %d, drop %d (%.1f%% of the pairs raced), %.1f s\n' "$r" \
		$(($(stat_sum insert_failed) - f0)) $(($(stat_sum clash_resolve) - c0)) $(($(stat_sum drop) - d0)) \
		"$(echo "($(stat_sum insert_failed) - $f0 + $(stat_sum clash_resolve) - $c0) * 100 / $N" | bc -l)" \
		"$(echo "$t1 - $t0" | bc -l)"
	r=$((r + 1))
done
ip netns exec "$C" "$HR_BIN" audit -q --interval 0 --format json >"$W/audit.json" || true
python3 - "$W/audit.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for f in r["findings"]:
    if f["rule"] in ("conntrack.insert-failed", "conntrack.dns-race"):
        print("%s %s: %s" % (f["rule"], f["severity"], f["message"]))
for n in r["summary"].get("not_evaluated", []):
    if n["rule"] in ("conntrack.insert-failed", "conntrack.dns-race"):
        print("%s not evaluated: %s" % (n["rule"], json.dumps(n)))
PY
