#!/bin/sh
# Commit confirmed survives its watcher: the deadline is in the journal, so
# when the watcher is SIGKILLed (as an OOM kill or the end of a login
# session's cgroup would) the next headroom command rolls the transaction
# back before doing anything else and says so; confirm tells the truth;
# rollback with no argument takes the orphan first; and the boot unit's
# command (systemd/headroom-unconfirmed.service, run by hand) rolls back
# what was awaiting confirmation, in this boot after the deadline and from
# an earlier boot (the persisted file restored before systemd-sysctl reads it).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apply-lib.sh"
hr_require_netns
ns=$(hr_ns orphan)
K=net.core.somaxconn
orig=$(sysval "$ns" $K)

# apply_orphan SECONDS ARGS...: apply --confirm SECONDS, then SIGKILL its
# watcher (the pid apply reports) and wait until it is gone; prints the txn.
apply_orphan() {
	local s=$1 w i=0; shift
	hr_apply "$ns" apply --state-dir "$S" --confirm "$s" --format json "$@" >"$T/a.json" ||
		fail "apply --confirm: $(cat "$T/a.json")"
	w=$(sed -n 's/^ *"watcher_pid": *\([0-9]*\).*/\1/p' "$T/a.json")
	[ -n "$w" ] || fail "no watcher_pid: $(cat "$T/a.json")"
	kill -KILL "$w"
	while kill -0 "$w" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	! kill -0 "$w" 2>/dev/null || fail "watcher $w survived SIGKILL"
	txn=$(sed -n 's/^ *"txn": *"\([0-9-]*\)".*/\1/p' "$T/a.json" | head -1)
	! grep -q '"rollback_begin"' "$S/txn/$txn.journal" ||
		fail "the watcher rolled back before it was killed (machine too slow for --confirm $s)"
	echo "$txn"
}

# 1. The watcher dies; past the deadline nobody has rolled back (the value
# stays), until the next command, history here, does it first and says so.
txn=$(apply_orphan 2 --set $K=1000)
sleep 2.5
assert_eq "$(sysval "$ns" $K)" 1000 "nothing rolls back without the watcher until a command runs"
hr_apply "$ns" history --state-dir "$S" >"$T/h" 2>"$T/herr" || fail "history: $(cat "$T/herr")"
grep -q "^headroom history: transaction $txn passed its confirm deadline .* unconfirmed: rolled back now" "$T/herr" ||
	fail "history does not say it rolled back: $(cat "$T/herr")"
assert_eq "$(sysval "$ns" $K)" "$orig" "the next command (history) restored the value"
grep -q "^$txn .* rolled-back " "$T/h" || fail "history status: $(cat "$T/h")"
grep -q '"by":"confirm-expired"' "$S/txn/$txn.journal" || fail "journal: rolled back by confirm-expired"
note "watcher SIGKILLed: history rolled $txn back after its deadline"

# 2. The next apply also rolls back first, then applies its own plan.
txn=$(apply_orphan 2 --set $K=1001)
sleep 2.5
rc=$(rc_of hr_apply "$ns" apply --state-dir "$S" --set net.ipv4.tcp_tw_reuse=1)
assert_eq "$rc" 0 "apply after an expired transaction: $(cat "$T/err")"
grep -q "transaction $txn passed its confirm deadline .* rolled back now" "$T/err" || fail "apply message: $(cat "$T/err")"
assert_eq "$(sysval "$ns" $K)" "$orig" "apply rolled the expired transaction back"
assert_eq "$(sysval "$ns" net.ipv4.tcp_tw_reuse)" 1 "then applied its own plan"
hr_apply "$ns" rollback --state-dir "$S" --last >/dev/null

# 3. confirm tells the truth: past the deadline it does not claim a rollback
# is under way; it rolls back itself (exit 1) and says so, and a second
# confirm names who rolled it back.
txn=$(apply_orphan 2 --set $K=1002)
sleep 2.5
rc=$(rc_of hr_apply "$ns" confirm --state-dir "$S" "$txn")
assert_eq "$rc" 1 "confirm after the deadline"
grep -q "transaction $txn passed its confirm deadline .* rolled back now" "$T/err" || fail "confirm: $(cat "$T/err")"
grep -q "^headroom confirm: transaction $txn was not confirmed: its deadline passed at .* and it was rolled back (confirm-expired)" "$T/err" ||
	fail "confirm's verdict: $(cat "$T/err")"
grep -q "being rolled back" "$T/err" && fail "confirm still says 'being rolled back': $(cat "$T/err")"
assert_eq "$(sysval "$ns" $K)" "$orig" "confirm rolled back the expired transaction"

# 4. rollback with no argument takes the orphan (awaiting confirmation, its
# watcher gone, deadline not yet reached) before a newer transaction. A new
# apply is refused while a transaction awaits confirmation, unless --force.
txn=$(apply_orphan 600 --set $K=1003)
rc=$(rc_of hr_apply "$ns" apply --state-dir "$S" --set net.ipv4.tcp_tw_reuse=1)
assert_eq "$rc" 4 "apply while $txn awaits confirmation"
grep -q "transaction $txn is awaiting confirmation until .*: confirm it or roll it back first (or --force)" "$T/err" ||
	fail "apply refusal: $(cat "$T/err")"
hr_apply "$ns" apply --state-dir "$S" --force --set net.ipv4.tcp_tw_reuse=1 >/dev/null
rc=$(rc_of hr_apply "$ns" rollback --state-dir "$S")
assert_eq "$rc" 0 "rollback: $(cat "$T/err")"
grep -q "rolling back transaction $txn (awaiting-confirm) first" "$T/err" || fail "rollback message: $(cat "$T/err")"
assert_eq "$(sysval "$ns" $K)" "$orig" "rollback with no argument took the orphan"
assert_eq "$(sysval "$ns" net.ipv4.tcp_tw_reuse)" 1 "the newer transaction is left alone"
hr_apply "$ns" rollback --state-dir "$S" --last >/dev/null

# 5. The boot unit's command, as built (ExecStart of the unit, its binary
# pointed at the build tree), run by hand; the unit passes systemd-analyze
# verify where systemd is installed, and runs before systemd-sysctl.
BUILD=$(cd "$(dirname "$HR_BIN")/.." && pwd)
unit="$BUILD/systemd/headroom-unconfirmed.service"
[ -f "$unit" ] || fail "$unit not built"
grep -q '@' "$unit" && fail "unsubstituted @...@ in $unit"
cmd=$(sed -n 's|^ExecStart=[^ ]*/headroom ||p' "$unit")
[ -n "$cmd" ] || fail "no ExecStart in $unit"
grep -q '^Before=.*systemd-sysctl.service' "$unit" || fail "the boot unit must run before systemd-sysctl"
grep -qx 'WantedBy=sysinit.target' "$unit" || fail "the boot unit is not wanted at boot"
if command -v systemd-analyze >/dev/null; then
	mkdir -p "$T/units" "$T/man/man8"
	sed "s|^ExecStart=[^ ]*/headroom |ExecStart=$HR_BIN |" "$unit" >"$T/units/headroom-unconfirmed.service"
	cp "$HR_SRCDIR/man/headroom-apply.8" "$T/man/man8/"
	MANPATH="$T/man" SYSTEMD_LOG_LEVEL=notice systemd-analyze verify "$T/units/headroom-unconfirmed.service" \
		>"$T/verify" 2>&1 && [ ! -s "$T/verify" ] || fail "systemd-analyze verify: $(cat "$T/verify")"
fi
# 5a. This boot, deadline passed, watcher killed.
txn=$(apply_orphan 2 --set $K=1004)
sleep 2.5
# shellcheck disable=SC2086
hr_apply "$ns" $cmd --state-dir "$S" >"$T/b" 2>&1 || fail "boot command: $(cat "$T/b")"
assert_eq "$(sysval "$ns" $K)" "$orig" "the boot unit's command restored the value"
grep -q "$txn" "$T/b" || fail "boot command names nothing: $(cat "$T/b")"
# 5b. An earlier boot: a persisted, unconfirmed transaction whose machine went
# down mid-window (the journal's boot id is another). The file is restored;
# kernel values are the new boot's and are left alone.
P="$T/etc/90-headroom.conf"
mkdir -p "$T/etc"
printf 'net.ipv4.tcp_fin_timeout = 50\n' >"$P"
cp "$P" "$T/p.before"
txn=$(apply_orphan 600 --set $K=1005 --persist-file "$P")
grep -q "^$K = 1005$" "$P" || fail "persisted: $(cat "$P")"
sed -i 's/"boot_id":"[^"]*"/"boot_id":"00000000-0000-0000-0000-000000000000"/' "$S/txn/$txn.journal"
# shellcheck disable=SC2086
hr_apply "$ns" $cmd --state-dir "$S" >"$T/b" 2>&1 || fail "boot command (earlier boot): $(cat "$T/b")"
cmp -s "$P" "$T/p.before" || fail "persist file not restored: $(cat "$P")"
grep -q "earlier boot" "$T/b" || fail "boot command output: $(cat "$T/b")"
# Nothing left to do: a second run is quiet and succeeds.
# shellcheck disable=SC2086
out=$(hr_apply "$ns" $cmd --state-dir "$S" 2>&1) || fail "second boot run: $out"
assert_eq "$out" "" "second boot run output"
hr_in "$ns" sysctl -qw $K="$orig"
echo ok
