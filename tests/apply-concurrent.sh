#!/bin/bash
# Two headroom processes at once in one namespace. A is held in the middle
# of its transaction (strace delays one of its kernel writes by 2 s, so it
# really holds the state lock); B, started meanwhile, is refused with a
# clear message and writes nothing; a rollback started meanwhile waits for A
# and then restores A's originals. Later, B applied over A, each rollback
# restores exactly its own transaction's originals.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apply-lib.sh"
hr_require_netns
hr_need_tool strace strace
ns=$(hr_ns conc)
tw0=$(sysval "$ns" net.ipv4.tcp_tw_reuse)
sc0=$(sysval "$ns" net.core.somaxconn)
fin0=$(sysval "$ns" net.ipv4.tcp_fin_timeout)
mkdir -p "$S"

# slow_apply ARGS...: apply in the background, its 3rd write(2) (the first
# kernel write after the journal header) delayed 2 s.
slow_apply() {
	local n0
	n0=$(ls "$S/txn" 2>/dev/null | wc -l)
	hr_bg "$ns" strace -qq -f -o /dev/null -e trace=write -e inject=write:delay_enter=2000000:when=3 \
		"$HR_BIN" apply --state-dir "$S" "$@"
	A=$HR_LASTPID
	# Wait until A holds the journal (its begin record is on disk).
	i=0
	while [ "$(ls "$S/txn" 2>/dev/null | wc -l)" -le "$n0" ]; do
		i=$((i + 1)); [ $i -lt 100 ] || fail "apply A did not start"; sleep 0.05
	done
}

slow_apply --set net.ipv4.tcp_tw_reuse=1 --set net.core.somaxconn=1000 >"$T/a.out" 2>&1
rc=$(rc_of hr_apply "$ns" apply --state-dir "$S" --set net.ipv4.tcp_fin_timeout=30)
assert_eq "$rc" 4 "B during A: refused"
grep -q "refused (nothing written): another headroom apply is running" "$T/err" || fail "B's message: $(cat "$T/err")"
assert_eq "$(sysval "$ns" net.ipv4.tcp_fin_timeout)" "$fin0" "B wrote nothing"
wait "$A" || fail "A failed: $(cat "$T/a.out")"
assert_eq "$(ls "$S"/txn | wc -l)" 1 "one journal: A's"
assert_eq "$(sysval "$ns" net.ipv4.tcp_tw_reuse)" 1 "A applied"
hr_apply "$ns" history --state-dir "$S" --format json >"$T/h"
assert_eq "$(jget "$T/h" '[t["status"] for t in d["transactions"]]')" "['applied']" "journal after A and B"
hr_apply "$ns" rollback --state-dir "$S" --last >/dev/null || fail "rollback A"

# A rollback started while A runs waits for the lock, then restores A.
slow_apply --set net.ipv4.tcp_tw_reuse=1 --set net.core.somaxconn=1000 >"$T/a.out" 2>&1
t0=$(date +%s.%N)
hr_apply "$ns" rollback --state-dir "$S" --last >"$T/rb" 2>&1 || fail "rollback during A: $(cat "$T/rb")"
t1=$(date +%s.%N)
wait "$A" || fail "A (second) failed: $(cat "$T/a.out")"
awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a >= 1.0) }' || fail "rollback did not wait for A"
assert_eq "$(sysval "$ns" net.ipv4.tcp_tw_reuse)" "$tw0" "rollback after A: tw_reuse"
assert_eq "$(sysval "$ns" net.core.somaxconn)" "$sc0" "rollback after A: somaxconn"

# B over A: each rollback restores its own originals.
hr_apply "$ns" apply --state-dir "$S" --set net.ipv4.tcp_tw_reuse=1 --set net.core.somaxconn=1000 >/dev/null || fail "A"
ta=$(hr_apply "$ns" history --state-dir "$S" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["transactions"][-1]["txn"])')
hr_apply "$ns" apply --state-dir "$S" --set net.core.somaxconn=2000 --set net.ipv4.tcp_fin_timeout=30 >/dev/null || fail "B"
hr_apply "$ns" rollback --state-dir "$S" --last >/dev/null || fail "rollback B"
assert_eq "$(sysval "$ns" net.core.somaxconn)" 1000 "B's original somaxconn is A's value"
assert_eq "$(sysval "$ns" net.ipv4.tcp_fin_timeout)" "$fin0" "B's fin_timeout"
assert_eq "$(sysval "$ns" net.ipv4.tcp_tw_reuse)" 1 "A's key untouched by B's rollback"
hr_apply "$ns" rollback --state-dir "$S" "$ta" >/dev/null || fail "rollback A"
assert_eq "$(sysval "$ns" net.core.somaxconn)" "$sc0" "A's original somaxconn"
assert_eq "$(sysval "$ns" net.ipv4.tcp_tw_reuse)" "$tw0" "A's original tw_reuse"
echo ok
