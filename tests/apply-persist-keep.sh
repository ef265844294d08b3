#!/bin/sh
# --persist keeps what the operator made of the file: a symlinked persist
# file stays a symlink and its target is written (also a dangling one,
# which rollback removes again, leaving the link), and rollback restores
# the target byte for byte; a "-key = value" line (systemd-sysctl: a key
# missing at boot is not an error) keeps its '-', also when headroom sets
# that key.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apply-lib.sh"
hr_require_netns
ns=$(hr_ns keep)
C="$T/cfg"
mkdir -p "$C/etc/sysctl.d" "$C/repo"
F="$C/etc/sysctl.d/90-headroom.conf"
R="$C/repo/headroom.conf"
printf '# kept in the config repository\n-net.ipv4.tcp_syn_retries = 4\nnet.ipv4.tcp_fin_timeout = 40\n' >"$R"
ln -s ../../repo/headroom.conf "$F"
cp "$R" "$T/orig"

# 1. A symlink to a file: the target is written, the link stays.
hr_apply "$ns" apply --state-dir "$S" --persist --config-root "$C" --set net.core.somaxconn=1000 --format json \
	>"$T/out" 2>&1 || fail "apply --persist: $(cat "$T/out")"
txn1=$(jget "$T/out" 'd["result"]["txn"]')
[ -L "$F" ] || fail "the symlinked persist file was replaced by a $(stat -c %F "$F")"
assert_eq "$(readlink "$F")" ../../repo/headroom.conf "the link"
grep -q "^net.core.somaxconn = 1000$" "$R" || fail "the target was not written: $(cat "$R")"
ls "$C/repo" "$C/etc/sysctl.d" | grep -q headroom-tmp && fail "a temp file was left"
# 2. The '-' stays on a key headroom does not set...
grep -q "^-net.ipv4.tcp_syn_retries = 4$" "$R" || fail "the '-' prefix was lost: $(cat "$R")"
grep -q "^net.ipv4.tcp_fin_timeout = 40$" "$R" || fail "a key was lost: $(cat "$R")"
# ...and on one it sets.
hr_apply "$ns" apply --state-dir "$S" --persist --config-root "$C" --set net.ipv4.tcp_syn_retries=5 --format json \
	>"$T/out" 2>&1 || fail "apply --persist (2): $(cat "$T/out")"
txn2=$(jget "$T/out" 'd["result"]["txn"]')
grep -q "^-net.ipv4.tcp_syn_retries = 5$" "$R" || fail "the '-' prefix was lost on a key set: $(cat "$R")"
[ -L "$F" ] || fail "the link was replaced by the second apply"
# 3. Rollback restores the target byte for byte; the link stays.
hr_apply "$ns" rollback --state-dir "$S" "$txn2" >"$T/out" 2>&1 || fail "rollback $txn2: $(cat "$T/out")"
hr_apply "$ns" rollback --state-dir "$S" "$txn1" >"$T/out" 2>&1 || fail "rollback $txn1: $(cat "$T/out")"
[ -L "$F" ] || fail "rollback replaced the link"
cmp -s "$R" "$T/orig" || fail "rollback did not restore the target: $(diff "$T/orig" "$R")"
note "symlink kept, target written and restored, '-' kept"

# 4. A dangling symlink: the target is created, rollback removes it again.
rm -rf "$S"
rm "$F"
ln -s ../../repo/new.conf "$F"
hr_apply "$ns" apply --state-dir "$S" --persist --config-root "$C" --set net.core.somaxconn=1000 >"$T/out" 2>&1 ||
	fail "apply --persist (dangling): $(cat "$T/out")"
[ -L "$F" ] || fail "the dangling link was replaced"
grep -q "^net.core.somaxconn = 1000$" "$C/repo/new.conf" || fail "the dangling link's target was not created"
hr_apply "$ns" rollback --state-dir "$S" --last >"$T/out" 2>&1 || fail "rollback (dangling): $(cat "$T/out")"
[ -L "$F" ] || fail "rollback removed the link"
[ ! -e "$C/repo/new.conf" ] || fail "rollback left the created target: $(cat "$C/repo/new.conf")"
note "dangling symlink: target created, removed by rollback, link kept"
echo ok
