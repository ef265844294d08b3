#!/bin/sh
# Neighbour tables (issue 22 item 7): the ARP table against gc_thresh3,
# read through rtnetlink RTM_GETNEIGHTBL. The table, its gc_thresh1/2/3 and
# its counters are the host's, shared by every namespace (a child namespace
# has no net.ipv4.neigh.default keys to lower), and other tests audit the
# same table while this one runs: filling it toward gc_thresh3 here would
# make their audits warn. So the live test adds 60 PERMANENT entries on a
# veth link of its own namespace (exempt from garbage collection: nobody
# else's neighbours are evicted), 40 a second during the audit's interval,
# and checks the numbers: entries, gc_thresh3 as `ip ntable` says, the
# growth and the time to full computed from them; and that growth alone,
# below gc_thresh2, is not a warning (the table is collected long before
# it fills: a few seconds of growth extrapolated is no prediction). The
# warning and critical cases (80% of gc_thresh3, table fulls, forced GC)
# are trees in tests/rules/neigh.cases. Once the namespace is gone the
# table is quiet again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab-lib.sh"

hr_require_netns
ntable() { ip -s ntable show name arp_cache | awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }'; }
t2=$(ntable thresh2)
t3=$(ntable thresh3)
e0=$(ntable entries)
[ -n "$t3" ] && [ -n "$e0" ] && [ -n "$t2" ] || skip "ip ntable shows no arp_cache"
add=60
[ $((e0 + add + 50)) -lt "$t2" ] || skip "arp_cache: $e0 entries, gc_thresh2 $t2: too close to it to add $add without disturbing other audits"
note "arp_cache: $e0 entries, gc_thresh2 $t2, gc_thresh3 $t3: adding $add permanent entries"

# neighbours NS FROM TO [RATE]: permanent entries 10.77.X.Y for FROM..TO-1 on
# the namespace's veth link (RATE a second in batches of 10, or at once).
neighbours() {
	python3 -c '
import sys
for i in range(int(sys.argv[1]), int(sys.argv[2])):
    print("neigh add 10.77.%d.%d lladdr 02:00:00:00:%02x:%02x dev d0 nud permanent" % (i // 250, i % 250 + 1, i // 256, i % 256))
' "$2" "$3" >"$T/batch.$2"
	if [ -z "${4:-}" ]; then
		ip -n "$1" -batch "$T/batch.$2"
	else
		split -l 10 "$T/batch.$2" "$T/chunk.$2."
		for c in "$T"/chunk."$2".*; do ip -n "$1" -batch "$c"; sleep "$(lab_calc "10 / $4")"; done
	fi
}

ns=$(hr_ns fire)
ip -n "$ns" link add d0 type veth peer name d1
ip -n "$ns" link set d1 up
ip -n "$ns" addr add 10.77.0.254/16 dev d0
ip -n "$ns" link set d0 up
neighbours "$ns" 0 "$add" 40 &
gen=$!
HR_PIDS="$HR_PIDS $gen"
sleep 0.2
lab_audit "$ns" "$T/fire.json" --interval 1
hr_in "$ns" "$HR_BIN" audit --interval 0.5 >"$T/fire.txt" 2>&1 || true
hr_in "$ns" "$HR_BIN" audit --interval 0 --format nagios >"$T/fire.nagios" 2>&1 || true
wait "$gen"
e1=$(ntable entries)
f=$(lab_finding "$T/fire.json" neigh.arp)
[ -n "$f" ] || fail "no neigh.arp finding"
assert_eq "$(lab_field "$f" 'f["severity"]')" ok "neigh.arp growing below gc_thresh2"
assert_eq "$(lab_metric "$f" gc_thresh3)" "$t3" "gc_thresh3 (ip ntable)"
n=$(lab_metric "$f" entries)
[ "$n" -ge "$e0" ] && [ "$n" -le $((e1 + 20)) ] || fail "entries $n not within $e0..$((e1 + 20))"
g=$(lab_metric "$f" growth_per_s)
awk -v g="$g" 'BEGIN { exit !(g > 5 && g < 400) }' || fail "growth $g/s; 40 entries a second were added during the interval"
s=$(lab_metric "$f" seconds_to_full)
awk -v s="$s" -v n="$n" -v t="$t3" -v g="$g" 'BEGIN { x = (t - n) / g; d = s - x; if (d < 0) d = -d; exit !(d < 0.01 * x + 0.01) }' ||
	fail "seconds to full $s is not (gc_thresh3 $t3 - entries $n) / $g/s"
assert_eq "$LAB_AUDIT_RC" 0 "exit status"
grep -q "ARP table (arp_cache): [0-9,]* entries of gc_thresh3" "$T/fire.txt" || fail "text output: $(grep -i arp "$T/fire.txt" | head -n 2)"
grep -q "'neigh_ipv4_fill'=0\.[0-9]" "$T/fire.nagios" || fail "Nagios perfdata: $(cat "$T/fire.nagios")"
lab_result "neighbours: $n of gc_thresh3 $t3, growing $g/s (full in $s s if it went on): neigh.arp ok below gc_thresh2 $t2"

# Quiet: the namespace (and its entries) gone.
ip netns del "$ns"
ns2=$(hr_ns quiet)
for i in $(seq 50); do [ "$(ntable entries)" -le $((e0 + 20)) ] && break; sleep 0.1; done
lab_audit "$ns2" "$T/quiet.json" --interval 0.5
f=$(lab_finding "$T/quiet.json" neigh.arp)
assert_eq "$(lab_field "$f" 'f["severity"]')" ok "neigh.arp once the entries are gone: $f"
f=$(lab_finding "$T/quiet.json" neigh.ndisc)
assert_eq "$(lab_field "$f" 'f["severity"]')" ok "neigh.ndisc"
echo ok
