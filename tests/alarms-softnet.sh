#!/bin/sh
# softnet (issue 22 item 6): packets dropped at a CPU's input queue. Two
# namespaces joined by a veth pair; the receiving side steers its packets to
# CPU 1 with RPS (the device's rps_cpus, inside our namespace) and makes each
# one slow (a 2,000-rule nft chain that matches nothing), and a sender
# pinned to CPU 0 floods UDP for 4 s with a large send buffer (SO_SNDBUFFORCE,
# so the socket does not throttle it): the backlog of CPU 1 passes
# net.core.netdev_max_backlog and /proc/net/softnet_stat's "dropped" grows.
# headroom audit in the receiver must warn softnet.backlog with the rate
# (within the kernel's growth over the audit) and counters.moved must not
# repeat it. Quiet: a paced 1,000 packets/s on the same path drops nothing.
# softnet_stat is global: a drop elsewhere on the host during the quiet run
# would fail it (re-run once).
# softnet_stat is the host's: no other test audits while this one floods it.
HR_HOST_EXCLUSIVE=1
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab-lib.sh"

hr_need_tool nft nftables
command -v taskset >/dev/null || skip "needs taskset"
[ "$(nproc)" -ge 2 ] || skip "needs two CPUs (RPS to the other one)"
lab_two_hosts
rx=/sys/class/net/$LAB_S_DEV/queues/rx-0/rps_cpus
hr_in "$LAB_S" sh -c "echo 2 >$rx" || skip "cannot set RPS on $LAB_S_DEV"
{
	echo "table ip hr_slow {"
	echo "	chain pre {"
	echo "		type filter hook prerouting priority 0;"
	for i in $(seq 2000); do echo "		udp dport $((20000 + i)) drop"; done
	echo "	}"
	echo "}"
} | hr_in "$LAB_S" nft -f - || fail "nft slow chain"

# softnet_dropped: the host's softnet_stat "dropped" summed over the CPUs.
softnet_dropped() {
	python3 -c 'print(sum(int(l.split()[1], 16) for l in open("/proc/net/softnet_stat")))'
}

# flood RATE SECONDS: UDP from the client (CPU 0) to the server, RATE a
# second (0: as fast as it goes).
flood() {
	hr_bg "$LAB_C" taskset -c 0 python3 -c '
import socket, sys, time
dst, rate, secs = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, 32, 16 << 20)  # SO_SNDBUFFORCE
t0 = time.monotonic(); n = 0
while time.monotonic() - t0 < secs:
    for _ in range(100 if rate == 0 else 1):
        s.sendto(b"x" * 32, (dst, 9999)); n += 1
    if rate:
        time.sleep(max(0.0, t0 + n / rate - time.monotonic()))
' "$LAB_S_IP" "$1" "$2"
}

# run NAME RATE: 4 s of flood, the audit (2 s interval) in the server from second 1.
run() {
	flood "$2" 4
	gen=$HR_LASTPID
	sleep 1
	d0=$(softnet_dropped)
	lab_audit "$LAB_S" "$T/$1.json" --interval 2
	d1=$(softnet_dropped)
	hr_in "$LAB_S" "$HR_BIN" audit -q --interval 1 --format nagios >"$T/$1.nagios" 2>&1 || true
	lab_wait_pid "$gen" 20 "the flood"
}

# 1. Firing: the flood overruns CPU 1's backlog.
run flood 0
note "softnet dropped $d0 -> $d1 over the audit"
[ $((d1 - d0)) -gt 0 ] || fail "softnet_stat dropped did not grow under the flood"
f=$(lab_finding "$T/flood.json" softnet.backlog)
[ -n "$f" ] || fail "no softnet.backlog finding"
assert_eq "$(lab_field "$f" 'f["severity"]')" warning "softnet.backlog under a flood RPS-steered onto a slow CPU"
rate=$(lab_metric "$f" dropped_per_s)
iv=$(lab_metric "$f" interval_s)
awk -v r="$rate" -v i="$iv" -v d=$((d1 - d0)) 'BEGIN { x = r * i; exit !(x >= 1 && x <= d + 0.001) }' ||
	fail "softnet drops in the audit ($rate/s x $iv s) not within 1..$((d1 - d0)) (the kernel's growth over the audit)"
echo "$f" | grep -q "netdev_max_backlog" || fail "softnet.backlog does not name netdev_max_backlog: $f"
assert_eq "$(lab_metric "$f" worst_cpu)" 1 "the CPU that dropped most (RPS steers to CPU 1)"
assert_eq "$LAB_AUDIT_RC" 1 "exit status with softnet drops (WARNING)"
c=$(lab_finding "$T/flood.json" counters.moved softnet.Softnet.dropped)
assert_eq "$(lab_field "$c" 'f["severity"]')" ok "counters.moved on softnet dropped (softnet.backlog owns it)"
grep -q "'softnet_dropped_per_second'=" "$T/flood.nagios" || fail "Nagios: no softnet_dropped_per_second: $(cat "$T/flood.nagios")"

# 2. Quiet: 1,000 packets a second on the same path.
run paced 1000
f=$(lab_finding "$T/paced.json" softnet.backlog)
assert_eq "$(lab_metric "$f" dropped_per_s)" 0 "softnet drops per second at 1,000 packets/s"
sev=$(lab_field "$f" 'f["severity"]')
case $sev in ok | info) ;; *) fail "softnet.backlog $sev at 1,000 packets/s ($f)" ;; esac
lab_result "softnet: flood on RPS CPU 1 -> softnet.backlog warning, $rate dropped/s; paced: no drops"
echo ok
