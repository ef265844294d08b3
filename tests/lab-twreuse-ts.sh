#!/bin/sh
# Lab, tcp_tw_reuse needs the peer's timestamps (issue 25; tcp_twsk_unique()
# checks tw_ts_recent_stamp, kernel-facts.md Ephemeral ports). One client, two
# servers: S without timestamps (tcp_timestamps=0 in its namespace), S2 with.
# Phase 1 (client tcp_tw_reuse=2, the default): connections at R/s to both,
# closed by the client, one held open to each (tcp_info shows whether
# timestamps were negotiated); the audit must not offer tcp_tw_reuse toward S
# and must say it does nothing there, and must offer it toward S2.
# Phase 2: tcp_tw_reuse=1 in the client namespace; with the ports toward each
# still in TIME_WAIT, connect() to S fails with EADDRNOTAVAIL while connect()
# to S2 takes over TIME_WAIT ports and never fails.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab-lib.sh"

lab_requires tcpgen audit
command -v python3 >/dev/null || skip "needs python3"
lab_two_hosts
S2=$(hr_ns server2)
HR_NS_LIST="$HR_NS_LIST $S2"
S2_IP=10.199.1.2
hr_link "$LAB_C" 10.199.1.1 "$S2" "$S2_IP" "c2$$" "s2$$"

R=${LAB_RATE:-20}
port=5777
lab_sysctl "$LAB_C" net.ipv4.ip_local_port_range "40000 40099"
lab_sysctl "$LAB_S" net.ipv4.tcp_timestamps 0
d1="$LAB_S_IP:$port"
d2="$S2_IP:$port"
hr_bg "$LAB_S" "$LAB_HELPERS/tcpgen" server --listen "$d1" --close client --duration 60
hr_bg "$S2" "$LAB_HELPERS/tcpgen" server --listen "$d2" --close client --duration 60
lab_wait_listen "$LAB_S" "$port"
lab_wait_listen "$S2" "$port"
client() { # client DEST SECONDS OUT [ARGS]
	local d=$1 s=$2 o=$3
	shift 3
	hr_in "$LAB_C" python3 "$HR_SRCDIR/tests/lab-portclient.py" --connect "$d" --duration "$s" "$@" >"$o"
}

# Phase 1: one held connection to each, then 4 s of churn to both.
lab_port_client "$T/hold1.out" --connect "$d1" --rate 1 --duration 0.5 --hold --linger 40
lab_port_client "$T/hold2.out" --connect "$d2" --rate 1 --duration 0.5 --hold --linger 40
client "$d1" 4 "$T/p1a.out" --rate "$R" &
a=$!
client "$d2" 4 "$T/p1b.out" --rate "$R"
wait "$a"
lab_audit "$LAB_C" "$T/audit.json"
f1=$(lab_finding "$T/audit.json" ports.timewait-exhaustion "$d1")
f2=$(lab_finding "$T/audit.json" ports.timewait-exhaustion "$d2")
[ -n "$f1" ] && [ -n "$f2" ] || fail "audit reports ports.timewait-exhaustion for neither or one of $d1 $d2"
msg1=$(lab_field "$f1" 'f["message"]')
fix1=$(lab_field "$f1" '" | ".join(str(x.get("settings")) for x in f["fixes"])')
fix2=$(lab_field "$f2" '" | ".join(str(x.get("settings")) for x in f["fixes"])')
case $msg1 in *"tcp_tw_reuse does nothing toward $LAB_S_IP: it does not send timestamps"*) ;;
*) fail "the finding for $d1 does not say tcp_tw_reuse does nothing: $msg1" ;; esac
case $fix1 in *tcp_tw_reuse*) fail "tcp_tw_reuse offered toward $d1 (no timestamps): $fix1" ;; esac
case $fix2 in *tcp_tw_reuse*) ;; *) fail "tcp_tw_reuse not offered toward $d2 (timestamps): $fix2" ;; esac
note "phase 1: $(tail -n 1 "$T/p1a.out"); $(tail -n 1 "$T/p1b.out")"

# Phase 2: tcp_tw_reuse=1, the TIME_WAIT ports of phase 1 still held.
lab_sysctl "$LAB_C" net.ipv4.tcp_tw_reuse 1
client "$d1" 8 "$T/p2a.out" --rate "$R" &
a=$!
client "$d2" 8 "$T/p2b.out" --rate "$R"
wait "$a"
note "phase 2 (tcp_tw_reuse=1): $(tail -n 1 "$T/p2a.out"); $(tail -n 1 "$T/p2b.out")"
assert_eq "$(lab_kv "$T/p2a.out" first_errno)" EADDRNOTAVAIL "connect() to $d1 (no timestamps) with tcp_tw_reuse=1"
assert_eq "$(lab_kv "$T/p2b.out" failed)" 0 "failed connect() to $d2 (timestamps) with tcp_tw_reuse=1"
lab_result "tw_reuse and timestamps: toward the peer without timestamps the audit offers no tcp_tw_reuse; with tcp_tw_reuse=1 it still failed $(lab_kv "$T/p2a.out" failed) of $(($(lab_kv "$T/p2a.out" failed) + $(lab_kv "$T/p2a.out" connected))) connects (EADDRNOTAVAIL, first at $(lab_kv "$T/p2a.out" first_fail_s) s); toward the peer with timestamps $(lab_kv "$T/p2b.out" connected) connected, 0 failed"
echo ok
