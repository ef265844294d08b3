#!/bin/sh
# Lab, bind() before connect() (issue 25): a client binds each socket to its
# address with port 0 and then connects (no IP_BIND_ADDRESS_NO_PORT), at R/s,
# closing first, with a 200-port ip_local_port_range. bind(0) takes a port no
# other destination may use, the other parity than connect()'s first
# (kernel-facts.md, Ephemeral ports), so the audit, a few seconds in, must see
# the local ports on bind()'s parity, name the destination in
# ports.bind-before-connect and predict EADDRINUSE at bind() (not
# EADDRNOTAVAIL at connect()) within 15% of when the lab sees it; the bind
# half (100 ports) goes first.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab-lib.sh"

lab_port_setup 5776 "40000 40199" 60
lab_port_client "$T/run.out" --connect "$dest" --rate "$R" --duration 30 --mode bind --source "$LAB_C_IP" \
	--stop-on-fail
pid=$HR_LASTPID
sleep "${LAB_AUDIT_AT:-3}"
lab_audit "$LAB_C" "$T/audit.json"
f=$(lab_finding "$T/audit.json" ports.bind-before-connect "$dest")
[ -n "$f" ] || fail "audit reports no ports.bind-before-connect for $dest"
[ -z "$(lab_finding "$T/audit.json" ports.timewait-exhaustion "$dest")" ] ||
	fail "ports.timewait-exhaustion also reports $dest (it would predict EADDRNOTAVAIL at connect())"
share=$(lab_metric "$f" bind_share)
tte=$(lab_metric "$f" seconds_to_eaddrinuse)
half=$(lab_metric "$f" seconds_to_half)
rate_pred=$(lab_metric "$f" rate_per_s)
msg=$(lab_field "$f" 'f["message"]')
case $msg in *EADDRINUSE*) ;; *) fail "the message does not say EADDRINUSE: $msg" ;; esac
fixes=$(lab_field "$f" '" | ".join(x["text"] for x in f["fixes"])')
case $fixes in *IP_BIND_ADDRESS_NO_PORT*) ;; *) fail "no IP_BIND_ADDRESS_NO_PORT fix: $fixes" ;; esac
audit_t1=$LAB_AUDIT_T1
lab_wait_pid "$pid" 45 "lab-portclient"
note "run: $(tail -n 1 "$T/run.out")"
assert_eq "$(lab_kv "$T/run.out" first_errno)" EADDRINUSE "first failure"
assert_eq "$(lab_kv "$T/run.out" fail_at)" bind "the call that failed"
t_start=$(lab_kv "$T/run.out" t0_unix)
t_obs=$(lab_kv "$T/run.out" first_fail_s)
t_pred=$(lab_calc "$audit_t1 - $t_start + $tte")
t_half=$(lab_calc "$audit_t1 - $t_start + $half")
lab_result "bind before connect: predicted EADDRINUSE at T=$(lab_round "$t_pred") s, observed at bind() T=$(lab_round "$t_obs") s (diff $(lab_pct "$t_pred" "$t_obs")%) [bind parity share $(lab_round "$share") at the audit, bind half gone at $(lab_round "$t_half") s, rate $(lab_round "$rate_pred" 1)/s]"
tol=$(lab_calc "$t_obs * 0.15")
awk -v p="$t_pred" -v o="$t_obs" -v t="$tol" 'BEGIN { d = p - o; if (d < 0) d = -d; exit !(d <= t) }' ||
	fail "predicted EADDRINUSE at $t_pred s, observed at $t_obs s: more than 15% apart"
echo ok
