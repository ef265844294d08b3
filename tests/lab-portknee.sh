#!/bin/sh
# Lab, the connect() knee (issue 25; kernel-facts.md, Ephemeral ports):
# connect() tries ports of the range's low parity first and scans the other
# half only once that one is used up, so it gets slower from half the range
# on. One namespace, a 12,000-port ip_local_port_range, 9,000 connections
# held to a loopback listener, each connect() timed: the median past half
# the range must be at least 5 times the median before it (measured 60x).
# headroom audit, with the connections held, must say the destination is
# past half the range (6,000 ports) and give seconds_to_knee 0.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab-lib.sh"

lab_requires audit
command -v python3 >/dev/null || skip "needs python3"
hr_require_netns
NS=$(hr_ns knee)
HR_NS_LIST="$HR_NS_LIST $NS"
hr_in "$NS" sysctl -qw net.ipv4.ip_local_port_range="40000 51999"
N=9000 HALF=6000
hr_bg "$NS" python3 -c '
import resource, socket, sys, time
n, half, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if hard != resource.RLIM_INFINITY and hard < 2 * n + 100:
    open(out, "w").write("skip: RLIMIT_NOFILE %d\n" % hard)
    sys.exit(0)
resource.setrlimit(resource.RLIMIT_NOFILE, (2 * n + 100, hard))
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", 7010)); l.listen(4096)
keep, lat = [], []
for i in range(n):
    c = socket.socket(); t = time.perf_counter(); c.connect(("127.0.0.1", 7010)); lat.append(time.perf_counter() - t)
    keep += [c, l.accept()[0]]
med = lambda x: sorted(x)[len(x) // 2] * 1e6
# Away from the edges: the first 1000 ports, and from 10% past half on.
print("before_us=%.1f after_us=%.1f" % (med(lat[500:half - 1000]), med(lat[half + 600:])), file=open(out, "w"), flush=True)
time.sleep(60)
' "$N" "$HALF" "$T/knee.out"
lab_wait_line "$T/knee.out" "_us=\|skip" 60
if grep -q skip "$T/knee.out"; then skip "$(cat "$T/knee.out")"; fi
before=$(lab_kv "$T/knee.out" before_us)
after=$(lab_kv "$T/knee.out" after_us)
lab_audit "$NS" "$T/audit.json" --interval 0
f=$(lab_finding "$T/audit.json" ports.timewait-exhaustion 127.0.0.1:7010)
[ -n "$f" ] || fail "audit reports no ports.timewait-exhaustion for 127.0.0.1:7010"
msg=$(lab_field "$f" 'f["message"]')
case $msg in *"past half the range (6,000 ports)"* | *"past half the range (6000 ports)"*) ;; *) fail "the message does not say past half the range: $msg" ;; esac
assert_eq "$(lab_metric "$f" seconds_to_knee)" 0 "seconds_to_knee with $N of 12000 ports held"
ratio=$(lab_calc "$after / $before")
lab_result "connect() knee: median connect() ${before} us below half of a 12000-port range, ${after} us past it (x$(lab_round "$ratio" 1)); the audit says past half the range (6,000 ports)"
awk -v r="$ratio" 'BEGIN { exit !(r >= 5) }' || fail "connect() past half the range only ${ratio}x slower (want >= 5x)"
echo ok
