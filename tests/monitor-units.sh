#!/bin/sh
# systemd/headroom-textfile.service and .timer: the service as built (its
# ExecStart is $(bindir)/headroom), both verified by `systemd-analyze verify`
# (the binary pointed at the build tree, the man page they name found), the
# timer firing every minute, and the exit-code contract: the exact ExecStart
# command, run in a namespace, writes the textfile and exits with a code
# systemd counts as success for OK, WARNING and CRITICAL, and as failure
# when the file cannot be written (UNKNOWN, 3).
. "$(dirname "$0")/lib.sh"
hr_need_tool systemd-analyze systemd
BUILD=$(cd "$(dirname "$HR_BIN")/.." && pwd)
SVC="$BUILD/systemd/headroom-textfile.service"
TIMER="$HR_SRCDIR/systemd/headroom-textfile.timer"
[ -f "$SVC" ] || fail "$SVC not built"

# 1. The built service runs the installed binary: $(bindir)/headroom.
bindir=$(sed -n 's/^bindir = //p' "$BUILD/Makefile")
prefix=$(sed -n 's/^prefix = //p' "$BUILD/Makefile")
exec_prefix=$(sed -n 's/^exec_prefix = //p' "$BUILD/Makefile")
bindir=$(eval "echo \"$(eval "echo \"$bindir\"")\"")
exec=$(sed -n 's/^ExecStart=//p' "$SVC")
assert_eq "${exec%% *}" "$bindir/headroom" "ExecStart binary"
case "$exec" in *"audit "*"--textfile /var/lib/prometheus/node-exporter"*) ;; *) fail "ExecStart: $exec" ;; esac
grep -q '@' "$SVC" && fail "unsubstituted @...@ in $SVC"

# 2. systemd-analyze verify, on copies pointing at the build tree's binary
# and with the man page of Documentation= findable; no message at all.
mkdir -p "$T/units" "$T/man/man8"
sed "s|^ExecStart=$bindir/headroom |ExecStart=$HR_BIN |" "$SVC" >"$T/units/headroom-textfile.service"
cp "$TIMER" "$T/units/"
cp "$HR_SRCDIR/man/headroom-audit.8" "$T/man/man8/"
verify() { MANPATH="$T/man" SYSTEMD_LOG_LEVEL=notice systemd-analyze verify "$@" >"$T/verify.out" 2>&1; }
rc=0; verify "$T/units/headroom-textfile.timer" "$T/units/headroom-textfile.service" || rc=$?
[ "$rc" = 0 ] && [ ! -s "$T/verify.out" ] || { cat "$T/verify.out" >&2; fail "systemd-analyze verify (exit $rc)"; }
note "systemd-analyze verify: exit 0, no messages ($(systemd-analyze --version | head -1))"
# The check can fail: a misspelt key and a missing binary are reported.
mkdir "$T/bad"
sed 's/^SuccessExitStatus=/SuccessExitStatuz=/' "$T/units/headroom-textfile.service" >"$T/bad/headroom-textfile.service"
verify "$T/bad/headroom-textfile.service" || true
grep -q "Unknown key 'SuccessExitStatuz'" "$T/verify.out" || fail "verify does not report a misspelt key: $(cat "$T/verify.out")"
rc=0; verify "$SVC" || rc=$?
[ -x "$bindir/headroom" ] || [ "$rc" != 0 ] || fail "verify accepts a service whose binary does not exist"

# 3. The timer: every minute, installable into timers.target; the service
# itself has no [Install] (only the timer is enabled, by hand).
cal=$(sed -n 's/^OnCalendar=//p' "$TIMER")
assert_eq "$(systemd-analyze calendar "$cal" | sed -n 's/^ *Normalized form: //p')" "*-*-* *:*:00" "timer schedule"
grep -qx 'WantedBy=timers.target' "$TIMER" || fail "timer not wanted by timers.target"
grep -q '^\[Install\]' "$SVC" && fail "the service has an [Install] section"

# 4. Exit codes: the ExecStart command as systemd runs it, in a namespace.
hr_require_netns
ns=$(hr_ns units)
ok_codes="0 $(sed -n 's/^SuccessExitStatus=//p' "$SVC")"
counts_ok() { case " $ok_codes " in *" $1 "*) return 0 ;; esac; return 1; }
mkdir "$T/tf"
run() { # run EXTRA-ARGS...: the ExecStart line, textfile in $T/tf
	local cmd
	cmd=$(sed -n 's/^ExecStart=//p' "$T/units/headroom-textfile.service" | sed "s|/var/lib/prometheus/node-exporter|$1|")
	shift
	rc=0; hr_in "$ns" $cmd "$@" >"$T/run.out" 2>"$T/run.err" || rc=$?
}
run "$T/tf"
note "ExecStart in a fresh namespace: exit $rc"
case $rc in 0 | 1 | 2) counts_ok "$rc" || fail "exit $rc (a verdict) would fail the unit" ;; *) fail "exit $rc: $(cat "$T/run.err")" ;; esac
grep -q "^headroom_audit_status $rc\$" "$T/tf/headroom.prom" || fail "textfile does not carry status $rc"
[ ! -s "$T/run.out" ] || fail "ExecStart printed on stdout (the journal): $(cat "$T/run.out")"
printf 'outbound:\n  - destination: 10.0.0.2:5774\n    rate: 710/s\n' >"$T/plan.yaml"
run "$T/tf" --workload "$T/plan.yaml"
assert_eq "$rc" 2 "exit code with a critical workload"
counts_ok 2 || fail "CRITICAL would fail the unit"
grep -q '^headroom_audit_status 2$' "$T/tf/headroom.prom" || fail "textfile does not say CRITICAL"
run "$T/missing"
assert_eq "$rc" 3 "exit code when the directory is missing"
counts_ok 3 && fail "UNKNOWN (the file not written) counts as success"
grep -q -- "--textfile $T/missing" "$T/run.err" || fail "the error does not name the directory: $(cat "$T/run.err")"
echo ok
