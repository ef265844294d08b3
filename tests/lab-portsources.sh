#!/bin/sh
# Lab, the port model per source address (issue 25): a client with two local
# addresses opens and closes connections to one destination at R/s,
# round-robin, each socket bound to its address with IP_BIND_ADDRESS_NO_PORT
# (connect() picks the port, per (source, destination, port)), with a
# 200-port ip_local_port_range: each address has its own 200 ports, so
# connect() fails with EADDRNOTAVAIL after about 2 x 200 / R s, not 200 / R
# (the per-destination model's answer). headroom audit, a few seconds in,
# must predict that time within 15% (ports.timewait-exhaustion,
# seconds_to_exhaustion, sources 2).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab-lib.sh"

lab_port_setup 5775 "40000 40199" 90
C_IP2=10.199.0.3
ip -n "$LAB_C" addr add "$C_IP2/24" dev "$LAB_C_DEV"
lab_port_client "$T/run.out" --connect "$dest" --rate "$R" --duration 45 --mode noport \
	--source "$LAB_C_IP" --source "$C_IP2" --stop-on-fail
pid=$HR_LASTPID
sleep "${LAB_AUDIT_AT:-5}"
lab_audit "$LAB_C" "$T/audit.json"
f=$(lab_finding "$T/audit.json" ports.timewait-exhaustion "$dest")
[ -n "$f" ] || fail "audit reports no ports.timewait-exhaustion for $dest"
sources=$(lab_metric "$f" sources)
assert_eq "$sources" 2 "source addresses seen toward $dest"
tte=$(lab_metric "$f" seconds_to_exhaustion)
usable=$(lab_metric "$f" ports_usable)
total=$(lab_metric "$f" ports_usable_all)
rate_pred=$(lab_metric "$f" rate_per_s)
msg=$(lab_field "$f" 'f["message"]')
case $msg in *"x 2 sources"*) ;; *) fail "the message does not name the sources: $msg" ;; esac
audit_t1=$LAB_AUDIT_T1
# Prometheus: one series per source address toward the destination.
hr_in "$LAB_C" "$HR_BIN" audit --interval 0 --format prometheus >"$T/audit.prom" 2>/dev/null || true
n=$(grep -c "^headroom_port_source_sockets{destination=\"$dest\",source=\"\(10.199.0.1\|$C_IP2\)\"} [0-9]" "$T/audit.prom" || true)
assert_eq "$n" 2 "headroom_port_source_sockets series for $dest"
! command -v promtool >/dev/null || promtool check metrics <"$T/audit.prom" >"$T/promtool.out" 2>&1 ||
	fail "promtool: $(head -c 400 "$T/promtool.out")"
lab_wait_pid "$pid" 60 "lab-portclient"
note "run: $(tail -n 1 "$T/run.out")"
assert_eq "$(lab_kv "$T/run.out" first_errno)" EADDRNOTAVAIL "first failure"
t_start=$(lab_kv "$T/run.out" t0_unix)
t_obs=$(lab_kv "$T/run.out" first_fail_s)
t_pred=$(lab_calc "$audit_t1 - $t_start + $tte")
# What the per-destination model (one source) would have said: usable / R.
t_old=$(lab_calc "$usable / $rate_pred")
lab_result "port sources: predicted T=$(lab_round "$t_pred") s, observed T=$(lab_round "$t_obs") s (diff $(lab_pct "$t_pred" "$t_obs")%; the one-source model: $(lab_round "$t_old") s) [rate $(lab_round "$rate_pred" 1)/s, $usable ports x $sources sources = $total]"
tol=$(lab_calc "$t_obs * 0.15")
awk -v p="$t_pred" -v o="$t_obs" -v t="$tol" 'BEGIN { d = p - o; if (d < 0) d = -d; exit !(d <= t) }' ||
	fail "predicted exhaustion at $t_pred s, observed at $t_obs s: more than 15% apart"
echo ok
