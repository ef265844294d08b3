#!/bin/bash
# Crash points: SIGKILL headroom at every step of a transaction, delivered by
# strace(1) on entry to each system call that moves the transaction forward
# (no hook in the program: the real process dies where it stands), then run
# the next command and check the invariant:
#   every original value is back, or the whole plan is in place and the
#   journal says so; never a mix the journal does not describe.
# Steps covered, for a plan of K=5 keys with --persist: the journal's
# create, header write and fsyncs; each sysctl write; each read-back; each
# "written" record; the persist intent, temp file, rename and its records;
# and then every step of a rollback itself (killed, then run again).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apply-lib.sh"
hr_require_netns
hr_need_tool strace strace
ns=$(hr_ns cpt)
C="$T/cfg"
mkdir -p "$C/etc/sysctl.d"
F="$C/etc/sysctl.d/90-headroom.conf"
printf '# before headroom\nnet.ipv4.tcp_tw_reuse = 2\n' >"$F"
F0=$(cat "$F")
set -- net.ipv4.tcp_tw_reuse=1 net.core.somaxconn=1000 net.ipv4.tcp_fin_timeout=30 \
	"net.ipv4.ip_local_port_range=20000 50001" net.ipv4.tcp_keepalive_time=600
K=$#
APPLY=(apply --state-dir "$S" --persist-file "$F" --config-root "$C")
for kv in "$@"; do APPLY+=(--set "$kv"); done
SYSCALLS="write,fsync,fdatasync,read,rename,renameat,renameat2,unlink,unlinkat"

vals() { for kv in "$@"; do sysval "$ns" "${kv%%=*}"; done; }
orig=$(vals "$@")
want=$(for kv in "$@"; do echo "${kv#*=}"; done)

# reset: every iteration starts from the same state (the state dir made,
# no journals), so the Nth call of a kind is the same step in every run.
reset() { rm -f "$S"/txn/*.journal; }
# points CMD...: "SYSCALL N" for each traced call after the transaction's
# journal is created (apply) or opened (rollback): the kill points.
points() {
	hr_in "$ns" strace -qq -f -o "$T/trace" -e trace="$SYSCALLS,openat" "$HR_BIN" "$@" >/dev/null 2>&1 || true
	awk -v set=",$SYSCALLS," '
		{ sub(/^[0-9]+ +/, ""); name = $0; sub(/\(.*/, "", name) }
		/\.journal"/ && /openat/ { started = 1 }
		index(set, "," name ",") { n[name]++; if (started) print name, n[name] }' "$T/trace"
}
# crash SYSCALL N CMD...: runs CMD killed on entry to the Nth SYSCALL; prints its exit code.
crash() {
	local sc=$1 n=$2 rc=0; shift 2
	hr_in "$ns" strace -qq -f -o /dev/null -e trace="$sc" -e inject="$sc:signal=KILL:when=$n" \
		"$HR_BIN" "$@" >"$T/out" 2>&1 || rc=$?
	echo "$rc"
}
# status: the newest transaction's status as history prints it (or none).
status() {
	hr_apply "$ns" history --state-dir "$S" --format json >"$T/h" 2>/dev/null || true
	python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
t = d.get("transactions") or []
print(t[-1]["status"] if t else "none")' "$T/h"
}
# mixed: a key that is neither its original nor its planned value.
check_each_key() {
	local i=0 kv cur o
	for kv in "$@"; do
		i=$((i + 1))
		cur=$(sysval "$ns" "${kv%%=*}")
		o=$(echo "$orig" | sed -n "${i}p")
		[ "$cur" = "$o" ] || [ "$cur" = "${kv#*=}" ] || fail "$where: ${kv%%=*} is '$cur', neither original '$o' nor planned"
	done
}
# recover: the next command, then the invariant; leaves the namespace at the originals.
recover() {
	local st rc
	check_each_key "$@"
	st=$(status)
	case "$st" in
	none)
		# Killed before the journal's first record: nothing may have been written.
		assert_eq "$(vals "$@")" "$orig" "$where: values changed with no journal"
		assert_eq "$(cat "$F")" "$F0" "$where: persisted file changed with no journal"
		reset
		return 0 ;;
	applied)
		# Whole plan in place and recorded.
		assert_eq "$(vals "$@")" "$want" "$where: journal says applied"
		grep -q "^net.core.somaxconn = 1000$" "$F" || fail "$where: applied but the file is not persisted"
		applied=$((applied + 1)) ;;
	interrupted|rolled-back|failed-rolled-back|rollback-incomplete) ;;
	*) fail "$where: unexpected status '$st'" ;;
	esac
	# The next command an operator runs: apply refuses while one is unfinished...
	if [ "$st" = interrupted ] || [ "$st" = rollback-incomplete ]; then
		rc=$(rc_of hr_apply "$ns" "${APPLY[@]}")
		assert_eq "$rc" 4 "$where: apply while $st must refuse"
		interrupted=$((interrupted + 1))
	fi
	# ...and rollback completes it.
	rc=$(rc_of hr_apply "$ns" rollback --state-dir "$S")
	assert_eq "$rc" 0 "$where: rollback ($(cat "$T/out" "$T/err"))"
	assert_eq "$(vals "$@")" "$orig" "$where: originals after rollback"
	assert_eq "$(cat "$F")" "$F0" "$where: persisted file after rollback"
	ls "$C/etc/sysctl.d" | grep -q headroom-tmp && fail "$where: temp file left in sysctl.d"
	reset
	return 0
}

tried=0 survived=0 applied=0 interrupted=0
hr_apply "$ns" "${APPLY[@]}" >/dev/null 2>&1 || fail "first apply: $(cat "$T/out")"
hr_apply "$ns" rollback --state-dir "$S" >/dev/null 2>&1 || fail "first rollback"
reset
points "${APPLY[@]}" >"$T/apply-points"
hr_apply "$ns" rollback --state-dir "$S" >/dev/null 2>&1 || fail "rollback after the counting run"
assert_eq "$(vals "$@")" "$orig" "counting run rolled back"
reset
np=$(wc -l <"$T/apply-points")
[ "$np" -ge $((4 * K)) ] || fail "only $np kill points in a $K-key transaction: $(cat "$T/apply-points" | tr '\n' ' ')"
while read -r sc n; do
	where="apply killed at $sc #$n"
	rc=$(crash "$sc" "$n" "${APPLY[@]}")
	assert_eq "$rc" 137 "$where: exit"
	tried=$((tried + 1))
	recover "$@"
	survived=$((survived + 1))
done <"$T/apply-points"
note "apply: $tried crash points tried, $survived survived ($interrupted interrupted and completed by rollback, $applied already recorded as applied)"

# Rollback killed at each of its own steps, then run again.
hr_apply "$ns" "${APPLY[@]}" >/dev/null 2>&1 || fail "apply for the rollback crashes"
points rollback --state-dir "$S" >"$T/rb-points"
reset
nr=$(wc -l <"$T/rb-points")
[ "$nr" -ge "$K" ] || fail "only $nr kill points in a rollback"
assert_eq "$(vals "$@")" "$orig" "counting rollback"
rtried=0
while read -r sc n; do
	where="rollback killed at $sc #$n"
	hr_apply "$ns" "${APPLY[@]}" >/dev/null 2>&1 || fail "$where: apply before it: $(cat "$T/out")"
	assert_eq "$(vals "$@")" "$want" "$where: applied before the crash"
	rc=$(crash "$sc" "$n" rollback --state-dir "$S")
	assert_eq "$rc" 137 "$where: exit"
	rtried=$((rtried + 1))
	check_each_key "$@"
	rc=$(rc_of hr_apply "$ns" rollback --state-dir "$S")
	assert_eq "$rc" 0 "$where: second rollback ($(cat "$T/out" "$T/err"))"
	assert_eq "$(vals "$@")" "$orig" "$where: originals after the second rollback"
	assert_eq "$(cat "$F")" "$F0" "$where: persisted file after the second rollback"
	reset
	survived=$((survived + 1))
done <"$T/rb-points"
tried=$((tried + rtried))
note "rollback: $rtried crash points tried, all survived"
echo "crash points: $tried tried, $survived survived (K=$K keys, with --persist)"
