#!/bin/sh
# Crash at every step: the test-only hook HEADROOM_TEST_CRASH_AFTER=K makes
# apply SIGKILL itself after K kernel writes (K=0: right after the journal).
# The hook is only in the test build $HR_FI_BIN (src/fault.h); the release
# binary ignores it, and it is the release binary that detects the
# interrupted transaction and whose rollback restores every original value.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apply-lib.sh"
hr_require_netns
hr_need_fi
ns=$(hr_ns crash)
set -- net.ipv4.tcp_tw_reuse=1 net.core.somaxconn=1000 net.ipv4.tcp_fin_timeout=30 \
	"net.ipv4.ip_local_port_range=20000 50001"
n=$#
args=""
for kv in "$@"; do args="$args --set '$kv'"; done
orig() { for kv in "$@"; do sysval "$ns" "${kv%%=*}"; done; }
before=$(orig "$@")
k=0
while [ $k -le $n ]; do
	rc=0
	eval "env HEADROOM_TEST_CRASH_AFTER=$k ip netns exec '$ns' '$HR_FI_BIN' apply --state-dir '$S' $args" \
		>"$T/out" 2>&1 || rc=$?
	assert_eq "$rc" 137 "k=$k: killed by SIGKILL"
	# Exactly k keys changed when the process died.
	changed=0
	for kv in "$@"; do [ "$(sysval "$ns" "${kv%%=*}")" = "${kv#*=}" ] && changed=$((changed + 1)); done
	assert_eq "$changed" "$k" "k=$k: keys changed at the crash"
	# history and apply see the interrupted transaction; apply refuses (exit 4).
	hr_apply "$ns" history --state-dir "$S" >"$T/h" 2>&1
	grep -q "interrupted" "$T/h" || fail "k=$k: history does not show the interruption: $(cat "$T/h")"
	rc=$(rc_of hr_apply "$ns" apply --state-dir "$S" --set net.ipv4.tcp_tw_reuse=0)
	assert_eq "$rc" 4 "k=$k: apply refuses while a transaction is interrupted"
	grep -q "is interrupted: complete it with 'headroom rollback" "$T/err" || fail "k=$k: apply message"
	rc=$(rc_of hr_apply "$ns" rollback --state-dir "$S")
	assert_eq "$rc" 0 "k=$k: rollback exit ($(cat "$T/out" "$T/err"))"
	assert_eq "$(orig "$@")" "$before" "k=$k: originals restored"
	hr_apply "$ns" history --state-dir "$S" | tail -1 | grep -q "rolled-back" || fail "k=$k: history after rollback"
	k=$((k + 1))
done
note "crash after 0..$n writes: all $((n + 1)) recovered by rollback"

# The release binary has no hook: with the same variable it applies the
# whole plan and exits 0; then it rolls it back.
rc=0
eval "env HEADROOM_TEST_CRASH_AFTER=1 ip netns exec '$ns' '$HR_BIN' apply --state-dir '$S' $args" >"$T/out" 2>&1 || rc=$?
assert_eq "$rc" 0 "src/headroom ignores HEADROOM_TEST_CRASH_AFTER ($(cat "$T/out"))"
changed=0
for kv in "$@"; do [ "$(sysval "$ns" "${kv%%=*}")" = "${kv#*=}" ] && changed=$((changed + 1)); done
assert_eq "$changed" "$n" "src/headroom with the hook variable: every key applied"
rc=$(rc_of hr_apply "$ns" rollback --state-dir "$S")
assert_eq "$rc" 0 "rollback of the full apply ($(cat "$T/out" "$T/err"))"
assert_eq "$(orig "$@")" "$before" "originals restored after the full apply"
echo ok
