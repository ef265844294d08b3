#!/bin/sh
# apply --netns NAME from the initial namespace: the change lands in that
# namespace only (read back there, in a sibling and on the host), global
# keys are still refused (the vetting sees the child's /proc/sys), the
# journal records the namespace so that rollback run from the host enters
# it again, a --confirm watcher rolls back inside it, and a rollback whose
# namespace is gone or was re-created is refused with the reason.
. "$(dirname "$0")/lib.sh"
hr_require_netns
. "$(dirname "$0")/apply-lib.sh"

a=$(hr_ns a)
b=$(hr_ns b)
key=net.ipv4.tcp_fin_timeout
orig=$(sysval "$a" $key)
host=$(sysctl -n $key)
new=$((orig == 33 ? 34 : 33))

rc=$(rc_of "$HR_BIN" apply --netns "$a" --state-dir "$S" --set "$key=$new")
assert_eq "$rc" 0 "apply --netns: $(cat "$T/err")"
grep -q "^In network namespace $a$" "$T/out" || fail "apply output names the namespace: $(cat "$T/out")"
assert_eq "$(sysval "$a" $key)" "$new" "the value in $a"
assert_eq "$(sysval "$b" $key)" "$orig" "the sibling $b is untouched"
assert_eq "$(sysctl -n $key)" "$host" "the host is untouched"
txn=$(ls "$S/txn" | sed -n 's/\.journal$//p' | tail -n 1)
grep -q "\"netns_name\":\"$a\"" "$S/txn/$txn.journal" || fail "journal does not record the namespace"
inode=$(stat -L -c %i "/run/netns/$a")
grep -q "\"netns\":$inode" "$S/txn/$txn.journal" || fail "journal does not record the namespace's inode $inode"

# Global keys: refused from the child as 'ip netns exec ... apply' refuses them.
rc=$(rc_of "$HR_BIN" apply --netns "$a" --state-dir "$S" --set net.core.netdev_max_backlog=2001)
assert_eq "$rc" 4 "global key from --netns"
grep -q "net.core.netdev_max_backlog: global key: absent in a child network namespace" "$T/out" ||
	fail "global key refusal: $(cat "$T/out")"
rc=$(rc_of "$HR_BIN" apply --netns "$a" --state-dir "$S" --persist --set "$key=$new")
assert_eq "$rc" 64 "--persist with --netns"

# Rollback from the host: it enters the recorded namespace.
rc=$(rc_of "$HR_BIN" rollback --state-dir "$S" "$txn")
assert_eq "$rc" 0 "rollback from the host: $(cat "$T/err")"
assert_eq "$(sysval "$a" $key)" "$orig" "rolled back in $a"
assert_eq "$(sysval "$b" $key)" "$orig" "sibling after rollback"
assert_eq "$(sysctl -n $key)" "$host" "host after rollback"

# --confirm: the watcher lives in the namespace and rolls back there.
rc=$(rc_of "$HR_BIN" apply --netns "$a" --state-dir "$S" --confirm 1 --set "$key=$new")
assert_eq "$rc" 0 "apply --confirm: $(cat "$T/err")"
assert_eq "$(sysval "$a" $key)" "$new" "confirm: applied"
i=0
while [ "$(sysval "$a" $key)" != "$orig" ] && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
assert_eq "$(sysval "$a" $key)" "$orig" "confirm timeout rolled back in $a"
assert_eq "$(sysctl -n $key)" "$host" "host after the watcher"

# The namespace re-created under the same name: another inode, refused.
rc=$(rc_of "$HR_BIN" apply --netns "$a" --state-dir "$S" --set "$key=$new")
assert_eq "$rc" 0 "apply again"
ip netns del "$a"
ip netns add "$a"
rc=$(rc_of "$HR_BIN" rollback --state-dir "$S")
assert_eq "$rc" 4 "rollback into a re-created namespace"
grep -q "which was deleted: $a is now another namespace" "$T/err" || fail "re-created: $(cat "$T/err")"
assert_eq "$(sysval "$a" $key)" 60 "the new namespace has the kernel default"
ip netns del "$a"
rc=$(rc_of "$HR_BIN" rollback --state-dir "$S")
assert_eq "$rc" 4 "rollback into a deleted namespace"
grep -q "applied in network namespace $a, which cannot be entered now" "$T/err" || fail "deleted: $(cat "$T/err")"
rc=$(rc_of "$HR_BIN" apply --netns "../$a" --state-dir "$S" --set "$key=$new")
assert_eq "$rc" 64 "apply --netns with '..'"
echo ok
