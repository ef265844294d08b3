#!/bin/sh
# bench/run.sh [N ...]: how fast and how small a socket survey is, against the
# floor and the usual tools, at N TIME_WAIT sockets (default 10000 100000
# 200000 1000000). Needs root: everything happens in a network namespace this
# script creates and removes (per N), with loopback traffic only.
#
# For each N: tcpgen fills N client-closed connections over 64 destinations
# (127.0.0.1:7201..7264) and, while they sit in TIME_WAIT (60 s, so the
# window is short at 1M), hyperfine measures the median wall time of:
#   floor      bench/sockfloor (one sock_diag dump, counts states only)
#   dump       tests/helpers/diagdump (hr_sockdiag_dump into the facts model, facts JSON)
#   probe      headroom probe --interval 0
#   audit      headroom audit --interval 0
#   ss         ss -Htan state time-wait | awk '{print $4}' | sort | uniq -c   (N <= 200k)
#   netstat    netstat -ant | grep TIME_WAIT | wc -l                          (N <= 200k)
#   root       headroom probe --root SNAP (headroom snapshot of the namespace)
#   wc         wc -l SNAP/proc/net/tcp
# and /usr/bin/time -v the peak RSS of floor, probe and audit. Then a quiet
# namespace (no sockets) for the quiet-box audit. Prints a table and writes
# docs/PERFORMANCE.md. Not part of make check.
#
# Environment: RUNS (hyperfine runs, default 10; 5 at 1M), HR_BIN, KEEP=1
# keeps the work directory.
set -eu
export LC_ALL=C
top=$(cd "$(dirname "$0")/.." && pwd)
HR_BIN=${HR_BIN:-$top/src/headroom}
TCPGEN=$top/tests/helpers/tcpgen
W=$(mktemp -d "${TMPDIR:-/tmp}/hr-bench.XXXXXX")
NS=""
PIDS=""

cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	for p in $PIDS; do wait "$p" 2>/dev/null || true; done
	[ -n "$NS" ] && ip netns del "$NS" 2>/dev/null || true
	[ "${KEEP:-0}" = 1 ] && echo "work directory kept: $W" || rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() { echo "bench: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces)"
for c in ip ss hyperfine python3; do command -v $c >/dev/null || die "needs $c"; done
[ -x /usr/bin/time ] || die "needs GNU time (/usr/bin/time)"
if ! command -v netstat >/dev/null; then
	echo "bench: installing net-tools for netstat"
	apt-get install -y -qq net-tools >/dev/null || die "needs netstat (net-tools)"
fi
make -s -C "$top" src/headroom tests/helpers/tcpgen tests/helpers/diagdump >/dev/null
DUMP=$top/tests/helpers/diagdump
cc -O2 -Wall -Wextra -o "$W/sockfloor" "$top/bench/sockfloor.c"
FLOOR=$W/sockfloor

[ $# -gt 0 ] || set -- 10000 100000 200000 1000000
SIZES="$*"
[ "$SIZES" = quiet ] && SIZES=""   # bench/run.sh quiet: only the quiet-box numbers

# Which headroom commands work yet (others are reported n/a).
hr_works() {
	local rc=0
	"$HR_BIN" "$@" --interval 0 >/dev/null 2>&1 || rc=$?
	[ $rc -le 2 ]
}
HAVE_PROBE=0; hr_works probe && HAVE_PROBE=1
HAVE_AUDIT=0; hr_works audit && HAVE_AUDIT=1

in_ns() { ip netns exec "$NS" "$@"; }

fresh_ns() {
	[ -n "$NS" ] && ip netns del "$NS" 2>/dev/null || true
	NS="hrbench$$-$1"
	ip netns add "$NS"
	ip -n "$NS" link set lo up
	# Inside the namespace only: room for 1M TIME_WAIT, 64k ports per
	# destination, no loopback TIME_WAIT reuse (tcp_tw_reuse=2 would recycle them).
	# The server ports are reserved so neither fill process's connects take
	# one before the other has bound it.
	in_ns sysctl -q -w net.ipv4.tcp_max_tw_buckets=2000000 \
		net.ipv4.ip_local_port_range="1024 65535" net.ipv4.tcp_tw_reuse=0 \
		net.ipv4.ip_local_reserved_ports=7201-7264
}

# fill N: two tcpgen fill processes (one per core), each serving 32 ports
# (1M sockets use under a quarter of each destination's 64k ports).
fill() {
	local half=$(($1 / 2)) a b p
	a=""; b=""
	for p in $(seq 7201 7232); do a="$a,127.0.0.1:$p"; done
	for p in $(seq 7233 7264); do b="$b,127.0.0.1:$p"; done
	in_ns "$TCPGEN" fill --serve --connect "${a#,}" --count "$half" --parallel 64 --quiet >"$W/fill.a" &
	PIDS="$PIDS $!"
	in_ns "$TCPGEN" fill --serve --connect "${b#,}" --count $(($1 - half)) --parallel 64 --quiet >"$W/fill.b"
	wait
	PIDS=""
}

# settle: deletes the namespace and waits (at most 60 s) until the kernel
# purged most of its TIME_WAIT sockets (slab tw_sock_TCP is machine-wide and
# other jobs add to it, so we wait for our own count to drop out of it).
settle() {
	local i=0 before mine n
	[ -n "$NS" ] || return 0
	mine=$(tw_now)
	before=$(tw_machine)
	ip netns del "$NS" 2>/dev/null || true
	NS=""
	while [ $i -lt 60 ]; do
		n=$(tw_machine)
		[ $((before - n)) -ge $((mine * 9 / 10)) ] && return 0
		sleep 1
		i=$((i + 1))
	done
	echo "bench: TIME_WAIT sockets of the old namespace not purged after 60 s; going on" >&2
}
tw_machine() { awk '$1 == "tw_sock_TCP" {print $2}' /proc/slabinfo 2>/dev/null || echo 0; }

tw_now() { in_ns "$FLOOR" | sed -n 's/.*st6=\([0-9]*\).*/\1/p'; }

# rounds RUNS KIND NAME CMD [NAME CMD ...]: RUNS interleaved rounds of one
# run of each command, after one untimed warm-up round, the order rotated
# every round: so neither TIME_WAIT sockets expiring during the window nor
# the position in a round favours a tool. KIND "direct" runs commands
# without a shell, "shell" through sh (pipelines; hyperfine corrects for
# the shell). -i: audit's exit code is its verdict (findings), not a failure.
rounds() {
	local runs=$1 kind=$2 r=0 sh n
	shift 2
	sh="-N"
	[ "$kind" = shell ] && sh="-S sh"
	: >"$W/cmds"
	while [ $# -ge 2 ]; do
		printf '%s\t%s\n' "$1" "$2" >>"$W/cmds"
		shift 2
	done
	n=$(wc -l <"$W/cmds")
	while [ $r -le "$runs" ]; do
		# This round's order: the list rotated by r.
		awk -v r=$r -v n="$n" '{ line[NR - 1] = $0 } END { for (i = 0; i < n; i++) print line[(i + r) % n] }' \
			"$W/cmds" >"$W/cmds.r"
		set --
		while IFS="$(printf '\t')" read -r name cmd; do
			set -- "$@" -n "$name" "$cmd"
		done <"$W/cmds.r"
		# shellcheck disable=SC2086
		in_ns hyperfine $sh -i -r 1 --export-json "$W/$N.$kind.$r.json" "$@" >/dev/null 2>"$W/hyperfine.err" ||
			{ echo "bench: hyperfine round $r ($kind) failed:" >&2; cat "$W/hyperfine.err" >&2; }
		[ $r -eq 0 ] && rm -f "$W/$N.$kind.0.json"
		r=$((r + 1))
	done
}

# rss NAME CMD...: peak RSS in KiB of one run.
rss() {
	local name=$1
	shift
	# audit exits 1 or 2 when it has findings: that is its answer, not a failure.
	in_ns /usr/bin/time -v "$@" >/dev/null 2>"$W/time" || true
	sed -n 's/.*Maximum resident set size (kbytes): //p' "$W/time" >"$W/$N.$name.rss"
}

# snapshot DIR: `headroom snapshot` of the namespace (falls back to a copy
# of its /proc/net socket and counter files if the command fails).
snapshot() {
	in_ns "$HR_BIN" snapshot -q -o "$1" >/dev/null 2>&1 && return 0
	mkdir -p "$1/proc/net"
	for f in tcp tcp6 sockstat sockstat6 snmp netstat; do
		in_ns cat "/proc/net/$f" >"$1/proc/net/$f"
	done
}

for N in $SIZES; do
	runs=${RUNS:-10}
	[ "$N" -ge 1000000 ] && runs=${RUNS:-5}
	echo "bench: N=$N: filling"
	settle
	fresh_ns "$N"
	# TIME_WAIT elsewhere on the machine: the kernel walks the one shared
	# established hash for every namespace, so other sockets cost time too.
	tw_machine >"$W/$N.tw_machine"
	t=$(date +%s)
	fill "$N"
	echo "bench: N=$N: filled in $(($(date +%s) - t)) s; measuring"
	tw_now >"$W/$N.tw_start"
	S=$W/snap.$N
	# The headroom numbers first: at 1M the 60 s TIME_WAIT window is short.
	set -- floor "$FLOOR" dump "$DUMP"
	[ $HAVE_PROBE = 1 ] && set -- "$@" probe "$HR_BIN probe --interval 0"
	[ $HAVE_AUDIT = 1 ] && set -- "$@" audit "$HR_BIN audit --interval 0"
	rounds "$runs" direct "$@"
	rss floor "$FLOOR"
	rss dump "$DUMP"
	[ $HAVE_PROBE = 1 ] && rss probe "$HR_BIN" probe --interval 0
	[ $HAVE_AUDIT = 1 ] && rss audit "$HR_BIN" audit --interval 0
	tw_now >"$W/$N.tw_end"
	if [ "$N" -le 200000 ]; then
		rounds "$(( runs < 5 ? runs : 5 ))" shell \
			ss "ss -Htan state time-wait | awk '{print \$4}' | sort | uniq -c" \
			netstat "netstat -ant | grep TIME_WAIT | wc -l"
		tw_now >"$W/$N.tw_end"
	fi
	snapshot "$S"
	wc -l <"$S/proc/net/tcp" >"$W/$N.lines"
	set -- wc "wc -l $S/proc/net/tcp"
	[ $HAVE_PROBE = 1 ] && set -- "$@" root "$HR_BIN probe --root $S"
	rounds "$runs" static "$@"
	rm -rf "$S"
done

N=quiet
settle
fresh_ns quiet
tw_machine >"$W/$N.tw_machine"
set -- floor "$FLOOR" dump "$DUMP"
[ $HAVE_PROBE = 1 ] && set -- "$@" probe "$HR_BIN probe --interval 0"
[ $HAVE_AUDIT = 1 ] && set -- "$@" audit "$HR_BIN audit --interval 0"
rounds 20 direct "$@"

cpu=$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)
mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
machine="$(nproc) CPUs ($cpu), $mem RAM, Linux $(uname -r), $(hyperfine --version), $(ss -V 2>&1 | head -1), net-tools $(netstat --version 2>/dev/null | sed -n 's/^net-tools //p' | head -1)"
# shellcheck disable=SC2086
python3 "$top/bench/report.py" "$W" "$machine" "$top/docs/PERFORMANCE.md" $SIZES
