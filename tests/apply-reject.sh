#!/bin/bash
# The kernel refuses a value at every position 1..K of a K-key plan: the
# keys written before it are restored in reverse order and verified, the
# keys after it are never touched, exit 1, and the journal records each step.
# The refused value is real: a reversed ip_local_port_range, which the
# kernel answers with EINVAL (vetting is told to let it through by the
# HEADROOM_TEST_SKIP_RANGE hook of the test build $HR_FI_BIN, src/fault.h).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apply-lib.sh"
hr_require_netns
hr_need_fi
ns=$(hr_ns rej)
good=(net.ipv4.tcp_tw_reuse=1 net.core.somaxconn=1000 net.ipv4.tcp_fin_timeout=30 net.ipv4.tcp_keepalive_time=600
	net.ipv4.tcp_syn_retries=4)
bad="net.ipv4.ip_local_port_range=40000 30000"
K=$((${#good[@]} + 1))
keys() { for kv in "$@"; do echo "${kv%%=*}"; done; }
vals() { for k in $(keys "$@"); do sysval "$ns" "$k"; done; }
orig=$(vals "${good[@]}" "$bad")
p=1
while [ $p -le $K ]; do
	# The plan: the good keys with the refused one at position p.
	plan=("${good[@]:0:$((p - 1))}" "$bad" "${good[@]:$((p - 1))}")
	args=()
	for kv in "${plan[@]}"; do args+=(--set "$kv"); done
	rm -rf "$S"
	rc=$(rc_of env HEADROOM_TEST_SKIP_RANGE=net.ipv4.ip_local_port_range ip netns exec "$ns" "$HR_FI_BIN" apply \
		--state-dir "$S" --format json "${args[@]}")
	assert_eq "$rc" 1 "position $p: exit"
	assert_eq "$(jget "$T/out" 'd["result"]["outcome"]')" failed-rolled-back "position $p: outcome"
	assert_eq "$(jget "$T/out" 'd["result"]["failed_key"]')" net.ipv4.ip_local_port_range "position $p: failed key"
	# The plan is written in its own order: the keys before p were written.
	assert_eq "$(jget "$T/out" '" ".join(d["result"]["written"])')" "$(keys "${plan[@]:0:$((p - 1))}" | xargs)" \
		"position $p: keys written before the refusal"
	# Restored in reverse order, each verified by its read-back.
	assert_eq "$(jget "$T/out" '" ".join(r["key"] for r in d["result"].get("restored", []) if r["ok"])')" \
		"$(keys "${plan[@]:0:$((p - 1))}" | tac | xargs)" "position $p: restored, reverse order"
	assert_eq "$(vals "${good[@]}" "$bad")" "$orig" "position $p: every value is the original"
	j=$(ls "$S"/txn/*.journal)
	assert_eq "$(grep -c '"type":"restored"' "$j")" $((p - 1)) "position $p: restores journaled"
	grep -q '"type":"write_failed","key":"net.ipv4.ip_local_port_range"' "$j" || fail "position $p: journal"
	grep -q '"type":"done","outcome":"failed-rolled-back"' "$j" || fail "position $p: journal outcome"
	p=$((p + 1))
done
note "kernel refusal at each of positions 1..$K: earlier keys restored and verified"
echo ok
