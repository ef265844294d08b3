#!/bin/sh
# Lab scenario 5, pre-deployment: a --workload file declaring scenario 1's
# load (R conn/s to the server, the client closing first) makes 'headroom
# audit' on an idle client report ports.timewait-exhaustion critical before
# any traffic flows, with seconds_to_exhaustion = free ports / rate. Then the
# declared load is run for real and the first EADDRNOTAVAIL is compared with
# that prediction.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab-lib.sh"

lab_requires tcpgen audit
lab_need_opt audit --workload
lab_two_hosts

R=${LAB_RATE:-20}
port=5774
dest="$LAB_S_IP:$port"
lab_sysctl "$LAB_C" net.ipv4.ip_local_port_range "40000 40199"
cat >"$T/workload.yaml" <<YAML
# Declared load: scenario 1 of the lab, before deployment.
outbound:
  - destination: $dest
    rate: $R/s
    closes: client
YAML

# The client is idle: no connection to the server exists yet.
[ -z "$(hr_in "$LAB_C" ss -Htan "dst $LAB_S_IP")" ] || fail "client is not idle"
lab_audit "$LAB_C" "$T/audit.json" --workload "$T/workload.yaml"
f=$(lab_finding "$T/audit.json" ports.timewait-exhaustion "$dest")
[ -n "$f" ] || fail "audit --workload reports no ports.timewait-exhaustion for $dest"
assert_eq "$(lab_field "$f" 'f["severity"]')" critical "ports.timewait-exhaustion severity (declared load)"
tte=$(lab_metric "$f" seconds_to_exhaustion)
# Free ports / rate, from the namespace's own range (nothing in use yet).
expect=$(hr_in "$LAB_C" sysctl -n net.ipv4.ip_local_port_range | awk -v r="$R" '{ print ($2 - $1 + 1) / r }')
assert_within "$tte" "$expect" 1 "seconds_to_exhaustion from the workload file"

# Now deploy: run the declared load and see when connect() fails.
hr_bg "$LAB_S" "$LAB_HELPERS/tcpgen" server --listen "$dest" --close client --duration 60
lab_wait_listen "$LAB_S" "$port"
hr_in "$LAB_C" "$LAB_HELPERS/tcpgen" client --connect "$dest" --rate "$R" --duration 30 --close client --stop-on-fail \
	>"$T/run.out" || true
note "run: $(tail -n 1 "$T/run.out")"
[ "$(lab_kv "$T/run.out" eaddrnotavail)" -gt 0 ] || fail "the declared load did not exhaust the ports"
t_obs=$(lab_kv "$T/run.out" first_eaddrnotavail_s)
lab_result "scenario 5: predicted T=$(lab_round "$tte") s before any traffic (free ports / rate = $expect s), observed T=$(lab_round "$t_obs") s (diff $(lab_pct "$tte" "$t_obs")%)"
tol=$(lab_calc "$t_obs * 0.15 + 1")
awk -v p="$tte" -v o="$t_obs" -v t="$tol" 'BEGIN { d = p - o; if (d < 0) d = -d; exit !(d <= t) }' ||
	fail "predicted exhaustion at $tte s, observed at $t_obs s: more than 15% + 1 s apart"
echo ok
