#!/bin/sh
# The kernel rejects a value mid-transaction: every earlier key is restored,
# exit 1, the journal says so. Then a write failure in a temporary tree.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apply-lib.sh"
hr_require_netns
hr_need_fi
ns=$(hr_ns fail)
tw=$(sysval $ns net.ipv4.tcp_tw_reuse)
sc=$(sysval $ns net.core.somaxconn)
pr=$(sysval $ns net.ipv4.ip_local_port_range)

# Without the test hook, vetting refuses the reversed range: exit 4, nothing written.
rc=$(rc_of hr_apply "$ns" apply --state-dir "$S" --set net.ipv4.tcp_tw_reuse=1 \
	--set net.core.somaxconn=1000 --set "net.ipv4.ip_local_port_range=40000 30000")
assert_eq "$rc" 4 "vetting refuses a reversed port range"
grep -q "net.ipv4.ip_local_port_range: high end 30000 is below low end 40000" "$T/out" ||
	fail "refusal text: $(cat "$T/out")"
no_txn

# The release binary has no hook (src/fault.h): the variable changes nothing.
rc=$(rc_of env HEADROOM_TEST_SKIP_RANGE=net.ipv4.ip_local_port_range ip netns exec "$ns" "$HR_BIN" apply \
	--state-dir "$S" --set net.ipv4.tcp_tw_reuse=1 --set "net.ipv4.ip_local_port_range=40000 30000")
assert_eq "$rc" 4 "src/headroom ignores HEADROOM_TEST_SKIP_RANGE"
no_txn "src/headroom wrote a journal under HEADROOM_TEST_SKIP_RANGE"

# With the test-only hook ($HR_FI_BIN) the write reaches the kernel, which
# rejects it (EINVAL).
rc=$(rc_of env HEADROOM_TEST_SKIP_RANGE=net.ipv4.ip_local_port_range ip netns exec "$ns" "$HR_FI_BIN" apply \
	--state-dir "$S" --format json --set net.ipv4.tcp_tw_reuse=1 --set net.core.somaxconn=1000 \
	--set "net.ipv4.ip_local_port_range=40000 30000")
assert_eq "$rc" 1 "kernel rejection: exit 1"
assert_eq "$(jget "$T/out" 'd["result"]["outcome"]')" failed-rolled-back "outcome"
assert_eq "$(jget "$T/out" 'd["result"]["failed_key"]')" net.ipv4.ip_local_port_range "failed key"
jget "$T/out" 'd["result"]["error"]' | grep -q "kernel rejected value" || fail "error text: $(cat "$T/out")"
assert_eq "$(sysval $ns net.ipv4.tcp_tw_reuse)" "$tw" "tw_reuse restored"
assert_eq "$(sysval $ns net.core.somaxconn)" "$sc" "somaxconn restored"
assert_eq "$(sysval $ns net.ipv4.ip_local_port_range)" "$pr" "port range untouched"
# Restored in reverse order, each verified, and the journal says so.
j=$(ls "$S"/txn/*.journal)
grep '"type":"restored"' "$j" | head -1 | grep -q '"key":"net.core.somaxconn","ok":true' || fail "reverse order"
grep -q '"type":"done","outcome":"failed-rolled-back"' "$j" || fail "journal outcome"
grep -q '"type":"write_failed","key":"net.ipv4.ip_local_port_range"' "$j" || fail "journal failed key"
hr_apply "$ns" history --state-dir "$S" | grep -q "failed-rolled-back" || fail "history"

# The restore itself fails (test-only hook): exit 3, the key named, and
# 'headroom rollback' completes it afterwards.
rc=$(rc_of env HEADROOM_TEST_SKIP_RANGE=net.ipv4.ip_local_port_range HEADROOM_TEST_BREAK_RESTORE=net.ipv4.tcp_tw_reuse \
	ip netns exec "$ns" "$HR_FI_BIN" apply --state-dir "$S" --set net.ipv4.tcp_tw_reuse=1 --set net.core.somaxconn=1000 \
	--set "net.ipv4.ip_local_port_range=40000 30000")
assert_eq "$rc" 3 "restore failure: exit 3"
grep -q "NOT RESTORED net.ipv4.tcp_tw_reuse" "$T/out" || fail "incomplete key not named: $(cat "$T/out")"
grep -q "^  restored net.core.somaxconn" "$T/out" || fail "other key restored"
assert_eq "$(sysval $ns net.ipv4.tcp_tw_reuse)" 1 "broken restore leaves the new value"
hr_apply "$ns" history --state-dir "$S" 2>&1 | grep -q "failed-rollback-incomplete" || fail "history: incomplete"
rc=$(rc_of hr_apply "$ns" rollback --state-dir "$S")
assert_eq "$rc" 0 "rollback completes it"
assert_eq "$(sysval $ns net.ipv4.tcp_tw_reuse)" "$tw" "tw_reuse finally restored"

# A temporary tree where one key fails at write time (a read-only bind mount
# in a private mount namespace: its mode says writable, the write gets EROFS).
command -v unshare >/dev/null || skip "needs unshare"
R="$T/tree"
mktree "$R" net.ipv4.tcp_tw_reuse=2 net.core.somaxconn=4096 net.ipv4.tcp_fin_timeout=60
rc=0
unshare -m sh -c "mount --bind -o ro '$R/proc/sys/net/ipv4/tcp_fin_timeout' '$R/proc/sys/net/ipv4/tcp_fin_timeout' &&
	exec '$HR_BIN' apply --root '$R' --state-dir '$T/st2' --set net.ipv4.tcp_tw_reuse=1 \
	--set net.core.somaxconn=8192 --set net.ipv4.tcp_fin_timeout=30" >"$T/out" 2>&1 || rc=$?
assert_eq "$rc" 1 "tree write failure: exit 1"
grep -q "FAILED.*tcp_fin_timeout: open for writing: permission denied on key" "$T/out" || fail "tree failure text: $(cat "$T/out")"
assert_eq "$(cat "$R/proc/sys/net/ipv4/tcp_tw_reuse")" 2 "tree tw_reuse restored"
assert_eq "$(cat "$R/proc/sys/net/core/somaxconn")" 4096 "tree somaxconn restored"
grep -q "Every key written was restored and verified" "$T/out" || fail "tree restore text"
echo ok
