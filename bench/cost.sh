#!/bin/sh
# bench/cost.sh: the cost of looking (issue 23), before and after in one run.
# What a quiet probe, audit, audit --all-netns and a watch refresh cost
# against the floor, a bare sock_diag dump of both TCP families
# (bench/sockfloor.c: one SOCK_DIAG_BY_FAMILY dump per family, every state,
# counting states; `ss -tan` alongside for reference), with the machine's
# hash sizes and its price of a system call and of a page fault
# (bench/machine.c), so a machine effect can be told from a regression.
#
#   1. quiet: one new network namespace, nothing in it. RUNS (default 20)
#      interleaved rounds, each one hyperfine run of every command in an
#      order rotated every round, after an untimed round: floor, the floor
#      in one request (`sockfloor one`: both families with one walk of the
#      established hash, as headroom asks; a second reference), ss -tan,
#      `headroom --version` (starting the process: what every run pays
#      before it looks at anything), probe and audit --interval 0 of both
#      builds. Median wall time and
#      median CPU time (user + system) per command; the ratios to the floor.
#   2. namespaces: NS_COUNT (default 100) new namespaces, quiet, then each
#      holding PAIRS (default 500) connected loopback pairs (1,001 sockets).
#      NS_RUNS (default 3) rounds of: the NS_COUNT separate runs
#      (nsenter --net ... audit --interval 0, back to back) and one
#      `audit --all-netns --interval 0` (every namespace on the machine:
#      their number is read from its report), each build. Per-namespace
#      cost = time / namespaces; ratio = one run's per-namespace cost over
#      the separate runs'.
#   3. watch: `watch --interval 1 --count WATCH_N` (default 20) in the quiet
#      namespace, CPU time (GNU time) per refresh and as % of one core.
#
# The "before" build: BEFORE_BIN (a headroom binary in its own build tree,
# so it finds its rules), else BEFORE_REF (default main) exported with git
# archive into the work directory and built there; BEFORE_REF=none: after
# only. Prints the table; with DOC=1 (default) writes the section "The cost
# of looking" of docs/PERFORMANCE.md. Needs root; makes and removes
# hrc<pid>-* namespaces and their processes (also on ^C). Loopback only.
# Not part of make check.
set -eu
export LC_ALL=C
top=$(cd "$(dirname "$0")/.." && pwd)
HR_BIN=${HR_BIN:-$top/src/headroom}
RUNS=${RUNS:-20}
NS_COUNT=${NS_COUNT:-100}
NS_RUNS=${NS_RUNS:-3}
PAIRS=${PAIRS:-500}
WATCH_N=${WATCH_N:-20}
P="hrc$$-"
W=$(mktemp -d "${TMPDIR:-/tmp}/hr-cost.XXXXXX")
PIDS=""

. "$(dirname "$0")/lib.sh"
die() { echo "bench/cost.sh: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces)"
for c in ip ss nsenter hyperfine python3 cc git; do command -v $c >/dev/null || die "needs $c"; done
[ -x /usr/bin/time ] || die "needs GNU time (/usr/bin/time)"

make -s -C "$top" src/headroom >/dev/null
cc -O2 -Wall -Wextra -o "$W/sockfloor" "$top/bench/sockfloor.c"
cc -O2 -Wall -Wextra -o "$W/machine" "$top/bench/machine.c"
BEFORE=""
before_desc=""
after_desc="$(git -C "$top" rev-parse --short HEAD)$(git -C "$top" diff --quiet HEAD -- src || echo ' with uncommitted changes')"
if [ -n "${BEFORE_BIN:-}" ]; then
	BEFORE=$BEFORE_BIN
	before_desc=$BEFORE_BIN
elif [ "${BEFORE_REF:-main}" != none ]; then
	ref=${BEFORE_REF:-main}
	# The commit, fixed now: the branch may move during the run.
	before_desc="$(git -C "$top" rev-parse --short "$ref") ($ref)"
	echo "bench/cost.sh: building $before_desc in $W/before"
	mkdir "$W/before"
	git -C "$top" archive "$(git -C "$top" rev-parse "$ref")" | tar -x -C "$W/before"
	# tar as root keeps the archive's modes (0775 directories): as root
	# headroom would refuse that tree's rules (src/trust.c).
	chmod -R go-w "$W/before"
	(cd "$W/before" && autoreconf -fi >/dev/null 2>&1 && ./configure -q >/dev/null && make -s -j2 >/dev/null 2>&1) ||
		die "building $ref failed (see $W/before; KEEP=1 keeps it)"
	BEFORE=$W/before/src/headroom
fi
builds="after"
[ -n "$BEFORE" ] && builds="before after"
# The cache of parsed rule files (src/rules-cache.c) in a directory of this
# run, filled by the untimed round; "audit nocache" is the after build with
# the cache off (one exec of env more). A build without the cache ignores it.
mkdir -m 0700 "$W/cache"
export HEADROOM_CACHE_DIR="$W/cache"
bin() { if [ "$1" = before ]; then echo "$BEFORE"; else echo "$HR_BIN"; fi; }
# Each build must load its rules, or its audit costs nothing to compare.
for b in $builds; do
	"$(bin $b)" rules check >"$W/rules.$b" 2>&1 || die "$b: the rules do not load: $(tail -n 3 "$W/rules.$b")"
done

# ---- 1. quiet namespace
# Other jobs' sockets lengthen every walk of the shared established hash.
tw_start=$(awk '$1 == "tw_sock_TCP" {print $2}' /proc/slabinfo 2>/dev/null || echo n/a)
Q="${P}q"
ip netns add "$Q"
ip -n "$Q" link set lo up
echo "bench/cost.sh: quiet namespace, $RUNS rounds"
: >"$W/cmds"
printf 'floor\t%s\n' "$W/sockfloor" >>"$W/cmds"
printf 'floor one\t%s one\n' "$W/sockfloor" >>"$W/cmds"
printf 'ss -tan\tss -tan\n' >>"$W/cmds"
printf 'start\t%s --version\n' "$HR_BIN" >>"$W/cmds"
for b in $builds; do
	printf 'probe %s\t%s probe --interval 0\n' "$b" "$(bin $b)" >>"$W/cmds"
	printf 'audit %s\t%s audit --interval 0\n' "$b" "$(bin $b)" >>"$W/cmds"
done
printf 'audit nocache\tenv HEADROOM_CACHE_DIR= %s audit --interval 0\n' "$HR_BIN" >>"$W/cmds"
n=$(wc -l <"$W/cmds")
r=0
while [ $r -le "$RUNS" ]; do
	set --
	while IFS="$(printf '\t')" read -r name cmd; do
		set -- "$@" -n "$name" "$cmd"
	done <<EOF
$(awk -v r=$r -v n="$n" '{ l[NR - 1] = $0 } END { for (i = 0; i < n; i++) print l[(i + r) % n] }' "$W/cmds")
EOF
	ip netns exec "$Q" hyperfine -N -i -r 1 --export-json "$W/q.$r.json" "$@" >/dev/null 2>"$W/hf.err" ||
		{ cat "$W/hf.err" >&2; die "hyperfine round $r failed"; }
	[ $r -eq 0 ] && rm -f "$W/q.0.json"
	r=$((r + 1))
done
for b in $builds; do
	ip netns exec "$Q" /usr/bin/time -f '%M' -o "$W/rss.$b" "$(bin $b)" audit --interval 0 >/dev/null 2>&1 || true
done

# ---- 3. watch (in the quiet namespace, before the others exist)
for b in $builds; do
	echo "bench/cost.sh: watch --interval 1 --count $WATCH_N ($b)"
	ip netns exec "$Q" /usr/bin/time -f '%e %U %S' -o "$W/watch.$b" "$(bin $b)" watch --interval 1 --count "$WATCH_N" \
		>/dev/null 2>&1 || true
done

# ---- 2. NS_COUNT namespaces
i=1
names=""
while [ $i -le "$NS_COUNT" ]; do
	ip netns add "$P$i"
	ip -n "$P$i" link set lo up
	names="$names $P$i"
	i=$((i + 1))
done
# nsround SET: NS_RUNS rounds of separate runs and one --all-netns run, each build.
nsround() {
	local set=$1 r=0 b t0 t1 cnt
	while [ $r -lt "$NS_RUNS" ]; do
		for b in $builds; do
			/usr/bin/time -f '%e %U %S' -o "$W/t" sh -c '
				b=$1; shift
				for ns in "$@"; do nsenter --net="/run/netns/$ns" "$b" audit --interval 0 --format json >/dev/null || [ $? -le 3 ]; done
			' sh "$(bin $b)" $names
			echo "$set $b separate $NS_COUNT $(tail -n 1 "$W/t")" >>"$W/ns.txt"
			/usr/bin/time -f '%e %U %S' -o "$W/t" "$(bin $b)" audit --all-netns --interval 0 --format json \
				>"$W/all.json" || true
			cnt=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["namespaces"]))' "$W/all.json")
			echo "$set $b all $cnt $(tail -n 1 "$W/t")" >>"$W/ns.txt"
		done
		r=$((r + 1))
	done
}
: >"$W/ns.txt"
echo "bench/cost.sh: $NS_COUNT quiet namespaces, $NS_RUNS rounds"
nsround quiet
echo "bench/cost.sh: $NS_COUNT namespaces with $PAIRS loopback pairs each"
i=1
for ns in $names; do
	bench_hold "$ns" "$PAIRS" "$W/ready.$i" 1800
	i=$((i + 1))
done
t=0
while [ "$(ls "$W" | grep -c '^ready\.')" -lt "$NS_COUNT" ]; do
	sleep 0.5; t=$((t + 1))
	[ $t -lt 1200 ] || die "the socket holders did not start"
done
nsround sockets
sockets=$(ip netns exec "${P}1" ss -Htan | wc -l)

cpu=$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)
machine="$(nproc) CPUs ($cpu), $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) RAM, Linux $(uname -r), $(hyperfine --version), $(ss -V 2>&1 | head -n 1)"
hashes="tcp_ehash_entries $(sysctl -n net.ipv4.tcp_ehash_entries 2>/dev/null || echo n/a), nf_conntrack_buckets $(cat /proc/sys/net/netfilter/nf_conntrack_buckets 2>/dev/null || echo n/a), nf_conntrack_max $(cat /proc/sys/net/netfilter/nf_conntrack_max 2>/dev/null || echo n/a), TIME_WAIT on the machine $tw_start at the start, $(awk '$1 == "tw_sock_TCP" {print $2}' /proc/slabinfo 2>/dev/null || echo n/a) at the end"
load="load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
python3 "$top/bench/cost-report.py" "$W" "$machine" "$hashes" "$("$W/machine")" "$load" "$builds" "$NS_COUNT" \
	"$PAIRS" "$sockets" "$WATCH_N" "$before_desc" "$after_desc" \
	"$([ "${DOC:-1}" = 1 ] && echo "$top/docs/PERFORMANCE.md")"
