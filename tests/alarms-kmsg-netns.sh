#!/bin/sh
# The kernel log per namespace (issue 22 item 4). On 6.18 a full conntrack
# table in a child namespace logs "nf_conntrack: nf_conntrack: table full in
# netns N, dropping packet", N the namespace's inode. nf_conntrack_max is
# global and read-only in a child namespace (the host's must not be
# touched), so the table cannot be filled here: the message goes into a
# snapshot of a real namespace, whose headroom/netns-inode the snapshot
# wrote. conntrack.table of that namespace must be CRITICAL and quote the
# message (not a newer one naming no namespace); another namespace's snapshot with the same message stays OK; a
# live probe in a namespace names its own inode (kernel.log.netns_inode),
# inside it (ip netns exec) and from outside (--netns, setns).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab-lib.sh"

hr_require_netns
command -v python3 >/dev/null || skip "needs python3"
[ -e /proc/sys/net/netfilter/nf_conntrack_max ] || skip "nf_conntrack not loaded (tests do not load modules)"
a=$(hr_ns ct-a)
b=$(hr_ns ct-b)
HR_NS_LIST="$HR_NS_LIST $a $b"
ino_a=$(hr_in "$a" stat -L -c %i /proc/self/ns/net)
ino_b=$(hr_in "$b" stat -L -c %i /proc/self/ns/net)
[ "$ino_a" != "$ino_b" ] || fail "two namespaces with one inode $ino_a"

# fact_of NAME: the value of fact NAME in the probe JSON on stdin (None).
fact_of() {
	python3 -c '
import json, sys
def find(n):
    if isinstance(n, dict):
        for k, v in n.items():
            if k == sys.argv[1]:
                return v.get("value", v) if isinstance(v, dict) else v
            r = find(v)
            if r is not None:
                return r
    elif isinstance(n, list):
        for v in n:
            r = find(v)
            if r is not None:
                return r
print(find(json.load(sys.stdin)))' "$1"
}

# snap NS DIR NAMED: a snapshot of NS with the 6.18 message naming inode
# NAMED appended to its kernel log, stamped 5 s before the capture.
snap() {
	hr_in "$1" "$HR_BIN" snapshot -q -o "$2" >/dev/null || fail "snapshot of $1"
	us=$(awk '{ printf "%.0f", ($1 - 5) * 1000000 }' "$2/headroom/monotonic")
	printf '4,999999,%s,-;nf_conntrack: nf_conntrack: table full in netns %s, dropping packet\n' "$us" "$3" >>"$2/headroom/kmsg"
}

# 1. The snapshot records its namespace; the message naming it counts. A
# later "table full" naming no namespace (an older kernel's text, or the
# initial namespace's) is not this child's: the finding quotes the named one.
snap "$a" "$T/a" "$ino_a"
us=$(awk '{ printf "%.0f", ($1 - 2) * 1000000 }' "$T/a/headroom/monotonic")
printf '4,1000000,%s,-;nf_conntrack: table full, dropping packet\n' "$us" >>"$T/a/headroom/kmsg"
assert_eq "$(cat "$T/a/headroom/netns-inode")" "$ino_a" "headroom/netns-inode of the snapshot"
case $(cat "$T/a/headroom/kmsg-netns") in child | unknown) ;; *) fail "a child namespace's snapshot says its log scope is $(cat "$T/a/headroom/kmsg-netns")" ;; esac
lab_audit "$a" "$T/a.json" --root "$T/a" --interval 0
f=$(lab_finding "$T/a.json" conntrack.table)
assert_eq "$(lab_field "$f" 'f["severity"]')" critical "conntrack.table with 'table full in netns $ino_a' in its log"
assert_eq "$(lab_metric "$f" log_table_full)" 1 "table-full messages attributed to $ino_a"
age=$(lab_metric "$f" log_last_age_s)
assert_within "$age" 5 0.01 "age of the message"
echo "$f" | grep -qF "table full in netns $ino_a" || fail "the finding does not quote the message: $f"
assert_eq "$LAB_AUDIT_RC" 2 "exit status with the table full in this namespace"

# 2. Quiet: namespace b's snapshot with the message about a.
snap "$b" "$T/b" "$ino_a"
lab_audit "$b" "$T/b.json" --root "$T/b" --interval 0
f=$(lab_finding "$T/b.json" conntrack.table)
assert_eq "$(lab_field "$f" 'f["severity"]')" ok "conntrack.table of $ino_b with a message about $ino_a"
assert_eq "$(lab_metric "$f" log_table_full)" 0 "messages attributed to $ino_b"
other=$(hr_in "$b" "$HR_BIN" probe --root "$T/b" --format json | fact_of kernel.log.other_netns)
[ "$other" != None ] && [ "${other%.*}" -ge 1 ] || fail "kernel.log.other_netns of b's tree: $other"

# 3. Live: the probe names its own namespace, inside it and from outside.
for how in in out; do
	if [ $how = in ]; then
		hr_in "$a" "$HR_BIN" probe -q --interval 0 --format json >"$T/live.json" 2>"$T/live.err" || true
	else
		"$HR_BIN" probe -q --interval 0 --netns "$a" --format json >"$T/live.json" 2>"$T/live.err" || true
	fi
	v=$(fact_of kernel.log.netns_inode <"$T/live.json")
	note "live netns_inode ($how): $v"
	assert_eq "${v%.*}" "$ino_a" "kernel.log.netns_inode of a live probe ($how; $(head -c 200 "$T/live.err"))"
done
lab_audit "$a" "$T/live-a.json" --interval 0
f=$(lab_finding "$T/live-a.json" conntrack.table)
assert_eq "$(lab_field "$f" 'f["severity"]')" ok "conntrack.table live in $ino_a (no such message in the host's log)"
lab_result "kmsg per netns: 'table full in netns $ino_a' -> conntrack.table critical in $ino_a, ok in $ino_b"
echo ok
