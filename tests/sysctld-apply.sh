#!/bin/sh
# apply --sysctl-file / --system: a sysctl.d file as one vetted transaction,
# inside namespaces this test made. A 5-key file with one key the kernel
# rejects leaves nothing changed, whether vetting refuses it (named with
# FILE:LINE, no journal) or the kernel refuses the write (every key written
# is restored); the same file without it is written and verified, equals
# what procps 'sysctl -p FILE' sets in another namespace, and 'rollback
# --last' restores all five; under --confirm without confirm the watcher
# restores them. A '-key' line for a missing key is skipped and said.
# tcp_tw_recycle, a reversed port range and a global key (from a child
# namespace) are refused with FILE:LINE before any write. --system applies the sysctl.d set of a config root in
# systemd-sysctl's order (a masked basename, a shadowed one, a glob with an
# exclusion) and equals the real systemd-sysctl run on a copy of the tree.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apply-lib.sh"
. "$(dirname "$0")/sysctld-lib.sh"
hr_require_netns
hr_need_fi

ns=$(hr_ns sdapply)
ref=$(hr_ns sdprocps)
KEYS="net.ipv4.tcp_fin_timeout net.ipv4.tcp_keepalive_time net.ipv4.tcp_tw_reuse net.core.somaxconn net.ipv4.tcp_syn_retries"
values() { for k in $KEYS; do printf '%s=%s\n' "$k" "$(sysval "$1" "$k")"; done; }
values "$ns" >"$T/before"
journals() { ls "$S/txn" 2>/dev/null | wc -l; }

# Five keys; line 6 asks tcp_syn_retries for 0, which the kernel rejects (1..127).
cat >"$T/five-bad.conf" <<'EOF'
# the web tier, five keys
net.ipv4.tcp_fin_timeout = 31
net.ipv4.tcp_keepalive_time = 601
net.ipv4.tcp_tw_reuse = 1
net.core.somaxconn = 1025
net.ipv4.tcp_syn_retries = 0
EOF
! hr_in "$ref" sysctl -q -w net.ipv4.tcp_syn_retries=0 2>/dev/null || fail "the kernel took tcp_syn_retries=0"
rc=$(rc_of "$HR_BIN" apply --netns "$ns" --state-dir "$S" --sysctl-file "$T/five-bad.conf")
assert_eq "$rc" 4 "a file with a key the kernel rejects: $(cat "$T/err")"
grep -q "^  ! $T/five-bad.conf:6: net.ipv4.tcp_syn_retries: .*0 is outside 1..127" "$T/out" ||
	fail "the refusal does not name FILE:LINE: $(cat "$T/out")"
no_txn "a refused file wrote a journal"
values "$ns" >"$T/now"
cmp -s "$T/before" "$T/now" || fail "a refused file changed keys: $(diff "$T/before" "$T/now")"

# The kernel refusing the write itself (vetting's range check skipped by the
# HEADROOM_TEST_SKIP_RANGE hook of the test build $HR_FI_BIN, src/fault.h):
# the four keys written before it are restored.
rc=$(rc_of hr_in "$ns" env HEADROOM_TEST_SKIP_RANGE=net.ipv4.tcp_syn_retries "$HR_FI_BIN" apply --state-dir "$S" \
	--sysctl-file "$T/five-bad.conf")
assert_eq "$rc" 1 "the kernel rejects a write: $(cat "$T/out")"
grep -q "^FAILED (transaction .*): net.ipv4.tcp_syn_retries: write '0': kernel rejected value" "$T/out" ||
	fail "failure message: $(cat "$T/out")"
assert_eq "$(grep -c '^  restored ' "$T/out")" 4 "keys restored"
values "$ns" >"$T/now"
cmp -s "$T/before" "$T/now" || fail "keys left changed after the kernel's refusal: $(diff "$T/before" "$T/now")"
note "kernel refused line 6: 4 keys written and restored, nothing left changed"

# The same file without that key, plus a '-' line for a key this kernel lacks.
sed 's/^net.ipv4.tcp_syn_retries = 0$/net.ipv4.tcp_syn_retries = 5/' "$T/five-bad.conf" >"$T/five.conf"
printf -- '-net.ipv4.tcp_no_such_key = 1\n' >>"$T/five.conf"
rc=$(rc_of "$HR_BIN" apply --netns "$ns" --state-dir "$S" --sysctl-file "$T/five.conf" --dry-run --detailed-exitcodes)
assert_eq "$rc" 2 "dry run of the good file"
values "$ns" >"$T/now"
cmp -s "$T/before" "$T/now" || fail "the dry run wrote"
grep -q "^  ~ net.ipv4.tcp_fin_timeout: .* -> *31 *$T/five.conf:2$" "$T/out" || fail "plan line: $(cat "$T/out")"
n0=$(journals)
rc=$(rc_of "$HR_BIN" apply --netns "$ns" --state-dir "$S" --sysctl-file "$T/five.conf" --detailed-exitcodes)
assert_eq "$rc" 2 "apply of the good file: $(cat "$T/err")"
grep -q "^Applied transaction .*: 5 keys written and verified" "$T/out" || fail "apply: $(cat "$T/out")"
grep -q "^  note: $T/five.conf:7: -net.ipv4.tcp_no_such_key: skipped ('-': a failure to set it is ignored" "$T/out" ||
	fail "the '-' line is not said: $(cat "$T/out")"
assert_eq "$(journals)" $((n0 + 1)) "journals after the apply"
# The drop-in: procps sysctl -p FILE in another namespace sets the same values
# (-e: procps 4.0.2 fails a '-' line whose key is missing, despite sysctl.conf(5)).
hr_in "$ref" sysctl -q -e -p "$T/five.conf" || fail "sysctl -e -p of the good file failed"
values "$ns" >"$T/applied"
values "$ref" >"$T/procps"
cmp -s "$T/applied" "$T/procps" || fail "apply --sysctl-file and sysctl -p differ: $(diff "$T/applied" "$T/procps")"
grep -q '^net.core.somaxconn=1025$' "$T/applied" || fail "somaxconn not applied: $(cat "$T/applied")"
rc=$(rc_of "$HR_BIN" apply --netns "$ns" --state-dir "$S" --sysctl-file "$T/five.conf" --detailed-exitcodes)
assert_eq "$rc" 0 "a second apply of the same file changes nothing"
rc=$(rc_of "$HR_BIN" rollback --state-dir "$S" --last)
assert_eq "$rc" 0 "rollback --last: $(cat "$T/err")"
values "$ns" >"$T/now"
cmp -s "$T/before" "$T/now" || fail "rollback --last left keys changed: $(diff "$T/before" "$T/now")"
note "5 keys applied = sysctl -p, rolled back to $(tr '\n' ' ' <"$T/before")"

# Commit confirmed, as a CM hook would run it: --confirm 1 and no confirm,
# the watcher restores all five.
rc=$(rc_of "$HR_BIN" apply --netns "$ns" --state-dir "$S" --sysctl-file "$T/five.conf" --confirm 1 --detailed-exitcodes)
assert_eq "$rc" 2 "apply --confirm 1: $(cat "$T/err")"
grep -q "Rolls back in 1.0 s unless 'headroom confirm" "$T/out" || fail "--confirm output: $(cat "$T/out")"
assert_eq "$(sysval "$ns" net.core.somaxconn)" 1025 "applied under --confirm"
i=0
while ! { values "$ns" | cmp -s "$T/before" -; } && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
values "$ns" >"$T/now"
cmp -s "$T/before" "$T/now" || fail "--confirm without confirm left keys changed: $(diff "$T/before" "$T/now")"
sleep 0.3
grep -q '"by":"confirm-timeout"' "$S"/txn/*.journal || fail "journal: no confirm-timeout"
note "--confirm 1 without confirm: all 5 keys back after $(awk -v i=$i 'BEGIN { printf "%.2f", i * 0.05 }') s of polling"

# Repeatable, in order: a later file's line wins, and a key the two files
# give the same value keeps the first line (systemd-sysctl's parse_file()).
printf 'net.ipv4.tcp_fin_timeout = 33\nnet.core.somaxconn = 1500\n' >"$T/first.conf"
printf 'net.core.somaxconn = 1500\nnet.ipv4.tcp_fin_timeout = 34\n' >"$T/second.conf"
rc=$(rc_of "$HR_BIN" apply --netns "$ns" --state-dir "$S" --sysctl-file "$T/first.conf" --sysctl-file "$T/second.conf" \
	--dry-run --detailed-exitcodes)
assert_eq "$rc" 2 "dry run of two files: $(cat "$T/err")"
grep -Eq "^  ~ net.ipv4.tcp_fin_timeout: .* -> +34 +$T/second.conf:2$" "$T/out" || fail "later file: $(cat "$T/out")"
grep -Eq "^  ~ net.core.somaxconn: .* -> +1500 +$T/first.conf:2$" "$T/out" || fail "same value: $(cat "$T/out")"

# Refused before any write, each with FILE:LINE.
printf 'net.ipv4.tcp_keepalive_time = 602\nnet.ipv4.tcp_tw_recycle = 1\nnet/ipv4/ip_local_port_range = 61000 32768\nnet.core.netdev_max_backlog = 2000\n' \
	>"$T/never.conf"
n0=$(journals)
rc=$(rc_of "$HR_BIN" apply --netns "$ns" --state-dir "$S" --sysctl-file "$T/never.conf")
assert_eq "$rc" 4 "tcp_tw_recycle, a reversed range and a global key"
grep -q "^  ! $T/never.conf:2: net.ipv4.tcp_tw_recycle: never set" "$T/out" || fail "tw_recycle: $(cat "$T/out")"
grep -q "^  ! $T/never.conf:3: net.ipv4.ip_local_port_range: .*high end 32768 is below low end 61000" "$T/out" ||
	fail "reversed range: $(cat "$T/out")"
grep -q "^  ! $T/never.conf:4: net.core.netdev_max_backlog: global key: absent in a child network namespace" "$T/out" ||
	fail "global key: $(cat "$T/out")"
! hr_in "$ns" sysctl -q -w net.core.netdev_max_backlog=2000 2>/dev/null || fail "the kernel took a global key in the child"
assert_eq "$(journals)" "$n0" "a refused file wrote a journal"
assert_eq "$(sysval "$ns" net.ipv4.tcp_keepalive_time)" "$(sed -n 's/^net.ipv4.tcp_keepalive_time=//p' "$T/before")" \
	"the acceptable line was written"
printf 'net.ipv4.tcp_fin_timeout 30\n' >"$T/syntax.conf"
rc=$(rc_of "$HR_BIN" apply --netns "$ns" --state-dir "$S" --sysctl-file "$T/syntax.conf")
assert_eq "$rc" 4 "a line that is no assignment"
grep -q "refused (nothing written): $T/syntax.conf:1: not an assignment" "$T/err" || fail "syntax: $(cat "$T/err")"
printf 'net.ipv4.tcp_fin_timeout = 3\351\n' >"$T/latin1.conf"
rc=$(rc_of "$HR_BIN" apply --netns "$ns" --state-dir "$S" --sysctl-file "$T/latin1.conf" --format json)
assert_eq "$rc" 4 "a value that is not UTF-8"
grep -q "refused (nothing written): $T/latin1.conf:1: not UTF-8 text: byte 0xe9 at column 29" "$T/err" ||
	fail "not UTF-8: $(cat "$T/err")"

# --system: /etc shadows /usr/lib by basename, a /dev/null link masks, sorted by basename.
R=$T/root
mkdir -p "$R/etc/sysctl.d" "$R/usr/lib/sysctl.d" "$R/run/sysctl.d"
printf 'net.ipv4.tcp_fin_timeout = 41\n' >"$R/etc/sysctl.d/10-a.conf"
printf 'net.ipv4.tcp_fin_timeout = 99\nnet.core.somaxconn = 999\n' >"$R/usr/lib/sysctl.d/10-a.conf"
printf 'net.ipv4.tcp_keepalive_time = 700\nnet.ipv4.tcp_fin_timeout = 42\nnet.ipv4.conf.*.log_martians = 1\n-net.ipv4.conf.lo.log_martians\n' \
	>"$R/run/sysctl.d/20-b.conf"
printf 'net.ipv4.tcp_syn_retries = 3\n' >"$R/usr/lib/sysctl.d/30-m.conf"
ln -s /dev/null "$R/etc/sysctl.d/30-m.conf"
rc=$(rc_of "$HR_BIN" apply --netns "$ns" --state-dir "$S" --system --config-root "$R" --detailed-exitcodes)
assert_eq "$rc" 2 "apply --system: $(cat "$T/err")"
assert_eq "$(sysval "$ns" net.ipv4.tcp_fin_timeout)" 42 "fin_timeout: the later file wins"
assert_eq "$(sysval "$ns" net.ipv4.tcp_keepalive_time)" 700 "keepalive_time from /run"
assert_eq "$(sysval "$ns" net.core.somaxconn)" "$(sed -n 's/^net.core.somaxconn=//p' "$T/before")" "the shadowed file was read"
assert_eq "$(sysval "$ns" net.ipv4.tcp_syn_retries)" "$(sed -n 's/^net.ipv4.tcp_syn_retries=//p' "$T/before")" "the masked file was read"
grep -q "^Plan the sysctl.d set: 4 changes" "$T/out" || fail "--system plan: $(cat "$T/out")"
assert_eq "$(sysval "$ns" net.ipv4.conf.lo.log_martians)" 0 "the excluded key"
# The same tree through the real systemd-sysctl, in a fresh namespace on a copy:
# every key of the five and of conf.*.log_martians ends up the same.
sdref=$(hr_ns sdsystem)
sd_on_copy "$sdref" "$R" --prefix=/net 2>"$T/sd.err" || fail "systemd-sysctl on the copy: $(cat "$T/sd.err")"
KEYS="$KEYS $(hr_in "$sdref" sysctl -N -a 2>/dev/null | grep '^net.ipv4.conf.*log_martians$' | tr '\n' ' ')"
values "$ns" >"$T/system"
values "$sdref" >"$T/systemd"
cmp -s "$T/system" "$T/systemd" || fail "apply --system and systemd-sysctl differ: $(diff "$T/system" "$T/systemd")"
note "apply --system = systemd-sysctl on the same tree on $(wc -l <"$T/system") keys"
echo ok
