#!/bin/sh
# SYN-ACK loss (issue 22, the seed's "connections stick in SYN_RECV"): an nft
# rule in the server's namespace drops 70% of the SYN-ACKs of a healthy
# listener; clients connect 20 times a second. headroom audit on the server
# must warn listen.synack-loss for that listener (SYN_RECV count,
# TCPSynRetrans rate, the 1, 3, 7, 15 s timeline), and counters.moved must
# not repeat TCPSynRetrans (listen.synack-loss owns it). Without the rule the
# same load stays quiet.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab-lib.sh"

hr_need_tool nft nftables
lab_two_hosts
port=5791
dest="$LAB_S_IP:$port"

server() {
	lab_accept_server "$LAB_S" "$LAB_S_IP" "$port" 30
}

# clients SECONDS: 20 non-blocking connects a second (bounded: 20 x SECONDS).
clients() {
	hr_bg "$LAB_C" python3 -c '
import socket, sys, time
secs = float(sys.argv[3]); keep = []; t0 = time.monotonic(); n = 0
while time.monotonic() - t0 < secs:
    c = socket.socket(); c.setblocking(False)
    try: c.connect((sys.argv[1], int(sys.argv[2])))
    except BlockingIOError: pass
    keep.append(c); n += 1
    time.sleep(max(0.0, t0 + n / 20 - time.monotonic()))
time.sleep(2)
' "$LAB_S_IP" "$port" "$1"
}

# run NAME: load for 8 s, the audit on the server from second 3.
run() {
	r0=$(lab_counter "$LAB_S" TcpExt TCPSynRetrans)
	clients 10
	cpid=$HR_LASTPID
	sleep 4
	sr=$(hr_in "$LAB_S" ss -Htna "sport = :$port" | grep -c SYN-RECV || true)
	lab_audit "$LAB_S" "$T/$1.json" --interval 2
	lab_wait_pid "$cpid" 30 "clients"
	r1=$(lab_counter "$LAB_S" TcpExt TCPSynRetrans)
}

server
# 1. Quiet: the same load, nothing dropped.
run quiet
f=$(lab_finding "$T/quiet.json" listen.synack-loss ":$port")
[ -n "$f" ] || fail "no listen.synack-loss finding for $dest"
assert_eq "$(lab_field "$f" 'f["severity"]')" ok "listen.synack-loss with no SYN-ACK dropped"
assert_eq "$((r1 - r0))" 0 "TCPSynRetrans growth with nothing dropped"

# 2. Firing: 70% of the server's SYN-ACKs dropped on the way out.
hr_in "$LAB_S" nft -f - <<NFT
table inet hr_synack {
	chain out {
		type filter hook output priority 0;
		tcp sport $port tcp flags & (syn | ack) == (syn | ack) numgen random mod 10 < 7 drop
	}
}
NFT
run lossy
note "SYN_RECV on :$port before the audit: $sr; TCPSynRetrans +$((r1 - r0)) over the run"
[ $((r1 - r0)) -gt 0 ] || fail "TCPSynRetrans did not grow with 70% of SYN-ACKs dropped"
f=$(lab_finding "$T/lossy.json" listen.synack-loss ":$port")
assert_eq "$(lab_field "$f" 'f["severity"]')" warning "listen.synack-loss with 70% of SYN-ACKs dropped ($f)"
n=$(lab_metric "$f" syn_recv)
[ "$n" -gt 0 ] || fail "listen.synack-loss counts no SYN_RECV"
[ "$sr" -gt 0 ] || fail "ss saw no SYN_RECV on the server with 70% of SYN-ACKs dropped"
rate=$(lab_metric "$f" synretrans_per_s)
awk -v r="$rate" -v d=$((r1 - r0)) 'BEGIN { exit !(r > 0 && r * 2 <= d + 0.5) }' ||
	fail "TCPSynRetrans rate $rate/s over 2 s is not within the kernel's growth $((r1 - r0)) over the run"
echo "$f" | grep -q "1, 3, 7, 15 s" || fail "the message lacks the retransmission timeline: $f"
echo "$f" | grep -q "tcpdump" || fail "the first fix is not a packet capture: $f"
assert_eq "$LAB_AUDIT_RC" 1 "exit status with SYN-ACKs lost"
c=$(lab_finding "$T/lossy.json" counters.moved netstat.TcpExt.TCPSynRetrans)
assert_eq "$(lab_field "$c" 'f["severity"]')" ok "counters.moved on TCPSynRetrans (listen.synack-loss owns it)"
lab_result "SYN-ACK loss 70%: listen.synack-loss warning on $dest, $n in SYN_RECV (ss: $sr), TCPSynRetrans $rate/s"
echo ok
