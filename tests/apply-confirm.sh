#!/bin/sh
# Commit confirmed: --confirm 2 without confirm rolls back after ~2 s (a
# detached watcher in the same netns); with 'headroom confirm' the values stay.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apply-lib.sh"
hr_require_netns
ns=$(hr_ns conf)
now() { date +%s.%N; }

# Without confirm. $(...) waits for every writer of the pipe: returning at
# all proves the watcher holds none of our descriptors.
t0=$(now)
out=$(hr_apply "$ns" apply --state-dir "$S" --confirm 2 --set net.ipv4.tcp_tw_reuse=1 --set net.core.somaxconn=1000)
t1=$(now)
echo "$out" | grep -q "Rolls back in 2.0 s unless 'headroom confirm" || fail "apply output: $out"
ret=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
awk -v r="$ret" 'BEGIN { exit !(r < 1.5) }' || fail "apply took $ret s to return"
assert_eq "$(sysval $ns net.ipv4.tcp_tw_reuse)" 1 "applied"
hr_apply "$ns" history --state-dir "$S" | grep -q "awaiting-confirm" || fail "history: awaiting-confirm"
i=0
while [ "$(sysval $ns net.core.somaxconn)" != 4096 ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
t2=$(now)
assert_eq "$(sysval $ns net.core.somaxconn)" 4096 "somaxconn reverted"
assert_eq "$(sysval $ns net.ipv4.tcp_tw_reuse)" 2 "tw_reuse reverted"
rev=$(awk -v a="$t0" -v b="$t2" 'BEGIN { printf "%.3f", b - a }')
note "measured: apply returned after $ret s; originals back $rev s after apply started (--confirm 2)"
awk -v r="$rev" 'BEGIN { exit !(r >= 1.9 && r <= 3.0) }' || fail "revert after $rev s, expected ~2 s"
sleep 0.3
hr_apply "$ns" history --state-dir "$S" | grep -q "rolled-back" || fail "history: rolled back by timeout"
grep -q '"by":"confirm-timeout"' "$S"/txn/*.journal || fail "journal: confirm-timeout"
rc=$(rc_of hr_apply "$ns" confirm --state-dir "$S")
assert_eq "$rc" 1 "confirm with nothing awaiting"

# The terminal goes away: apply runs in its own session whose process group
# then gets SIGHUP (as when a terminal closes); the watcher, in a session of
# its own, still rolls back.
command -v setsid >/dev/null || skip "needs setsid"
t0=$(now)
(setsid sh -c "ip netns exec '$ns' '$HR_BIN' apply --state-dir '$S' --confirm 1.5 --set net.core.somaxconn=777 >/dev/null; kill -HUP 0") 2>/dev/null || true
assert_eq "$(sysval $ns net.core.somaxconn)" 777 "applied before the hangup"
i=0
while [ "$(sysval $ns net.core.somaxconn)" != 4096 ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
t2=$(now)
assert_eq "$(sysval $ns net.core.somaxconn)" 4096 "reverted after the session got SIGHUP"
note "measured: after SIGHUP of the apply's session, originals back $(awk -v a="$t0" -v b="$t2" 'BEGIN { printf "%.3f", b - a }') s after apply started (--confirm 1.5)"

# With confirm in time: the values stay past the deadline.
hr_apply "$ns" apply --state-dir "$S" --confirm 2 --set net.core.somaxconn=1000 >/dev/null
hr_apply "$ns" confirm --state-dir "$S" | grep -q "^Confirmed transaction" || fail "confirm output"
sleep 3
assert_eq "$(sysval $ns net.core.somaxconn)" 1000 "confirmed value stays"
hr_apply "$ns" history --state-dir "$S" | tail -1 | grep -q "confirmed" || fail "history: confirmed"
# Confirmed transactions can still be rolled back by hand.
hr_apply "$ns" rollback --state-dir "$S" --last >/dev/null
assert_eq "$(sysval $ns net.core.somaxconn)" 4096 "manual rollback after confirm"
echo ok
