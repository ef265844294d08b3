#!/bin/sh
# Lab scenario 1, ephemeral port exhaustion (the seed): a client opens and
# closes connections at R/s with a 200-port ip_local_port_range; each closed
# connection holds its port in TIME_WAIT for 60 s, so connect() fails with
# EADDRNOTAVAIL after about 200/R s. headroom audit, run a few seconds in,
# must predict when (ports.timewait-exhaustion, seconds_to_exhaustion); the
# fix 'headroom apply --fix' makes must remove the failures at the same rate;
# 'headroom rollback --last' must bring them back.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab-lib.sh"

lab_requires tcpgen audit apply rollback
lab_two_hosts

R=${LAB_RATE:-20}
port=5774
range="40000 40199" # 200 ports: low even, high odd (same parity only logs a warning)
dest="$LAB_S_IP:$port"
lab_sysctl "$LAB_C" net.ipv4.ip_local_port_range "$range"
keys="net.ipv4.ip_local_port_range net.ipv4.tcp_tw_reuse net.ipv4.tcp_timestamps net.ipv4.tcp_tw_reuse_delay"
hr_bg "$LAB_S" "$LAB_HELPERS/tcpgen" server --listen "$dest" --close client --duration 170
lab_wait_listen "$LAB_S" "$port"

# 1. Reproduce, with an audit a few seconds in.
hr_bg "$LAB_C" sh -c "exec '$LAB_HELPERS/tcpgen' client --connect $dest --rate $R --duration 30 --close client --stop-on-fail >'$T/run1.out'"
pid=$HR_LASTPID
sleep "${LAB_AUDIT_AT:-5}"
lab_audit "$LAB_C" "$T/audit.json"
f=$(lab_finding "$T/audit.json" ports.timewait-exhaustion "$dest")
[ -n "$f" ] || fail "audit reports no ports.timewait-exhaustion for $dest"
sev=$(lab_field "$f" 'f["severity"]')
assert_eq "$sev" critical "ports.timewait-exhaustion severity"
tte=$(lab_metric "$f" seconds_to_exhaustion)
rate_pred=$(lab_metric "$f" rate_per_s)
usable=$(lab_metric "$f" ports_usable)
inuse=$(lab_metric "$f" ports_in_use)
audit_t0=$LAB_AUDIT_T0
# seconds_to_exhaustion counts from the report: read when the audit returned.
audit_t1=$LAB_AUDIT_T1
lab_wait_pid "$pid" 40 "tcpgen client (run 1)"
note "run 1: $(tail -n 1 "$T/run1.out")"
# On tcpgen's own clock: its times count from its start, not the shell's.
t_start=$(lab_kv "$T/run1.out" t0_unix)
t_pred=$(lab_calc "$audit_t1 - $t_start + $tte")
[ "$(lab_kv "$T/run1.out" eaddrnotavail)" -gt 0 ] || fail "run 1: no EADDRNOTAVAIL at $R conn/s with 200 ports"
t_obs=$(lab_kv "$T/run1.out" first_eaddrnotavail_s)
lab_result "scenario 1: predicted T=$(lab_round "$t_pred") s, observed T=$(lab_round "$t_obs") s (diff $(lab_pct "$t_pred" "$t_obs")%) [audit from $(lab_round "$(lab_calc "$audit_t0 - $t_start")") s to $(lab_round "$(lab_calc "$audit_t1 - $t_start")") s: rate $(lab_round "$rate_pred" 1)/s, $inuse of $usable ports in use, seconds_to_exhaustion $(lab_round "$tte") s]"
tol=$(lab_calc "$t_obs * 0.15 + 1")
awk -v p="$t_pred" -v o="$t_obs" -v t="$tol" 'BEGIN { d = p - o; if (d < 0) d = -d; exit !(d <= t) }' ||
	fail "predicted exhaustion at $t_pred s, observed at $t_obs s: more than 15% + 1 s apart"

# 2. Apply the recommended fix and rerun at the same rate for twice as long.
before=$(lab_settings "$LAB_C" $keys)
lab_headroom "$LAB_C" apply --fix --state-dir "$T/state" || fail "headroom apply --fix failed"
after=$(lab_settings "$LAB_C" $keys)
[ "$before" != "$after" ] || fail "headroom apply --fix changed none of the port settings"
note "fix: $(echo "$after" | tr '\n' ';')"
dur=$(awk -v t="$t_obs" 'BEGIN { d = 2 * t + 1; if (d < 10) d = 10; printf "%d", d + 0.5 }')
hr_in "$LAB_C" "$LAB_HELPERS/tcpgen" client --connect "$dest" --rate "$R" --duration "$dur" --close client >"$T/run2.out" ||
	true
note "run 2 (after fix, $dur s): $(tail -n 1 "$T/run2.out")"
assert_eq "$(lab_kv "$T/run2.out" failed)" 0 "failed connections after the fix"
assert_eq "$(lab_kv "$T/run2.out" eaddrnotavail)" 0 "EADDRNOTAVAIL after the fix"

# 3. Roll back: the old settings and the failures return.
lab_headroom "$LAB_C" rollback --last --state-dir "$T/state" || fail "headroom rollback --last failed"
again=$(lab_settings "$LAB_C" $keys)
assert_eq "$again" "$before" "settings after rollback"
hr_in "$LAB_C" "$LAB_HELPERS/tcpgen" client --connect "$dest" --rate "$R" --duration 15 --close client --stop-on-fail \
	>"$T/run3.out" || true
note "run 3 (after rollback): $(tail -n 1 "$T/run3.out")"
[ "$(lab_kv "$T/run3.out" eaddrnotavail)" -gt 0 ] || fail "no EADDRNOTAVAIL after rollback: the fix was not undone"
lab_result "scenario 1: after fix $(lab_kv "$T/run2.out" connected) connections in $dur s, 0 failed; after rollback EADDRNOTAVAIL again at $(lab_kv "$T/run3.out" first_eaddrnotavail_s) s"
echo ok
