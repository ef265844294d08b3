#!/bin/sh
# Vetting in a child network namespace: global keys, ranges, tcp_tw_recycle,
# dangerous values (refused unless --allow), live socket checks. Exit 4 and
# nothing written for every refusal.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apply-lib.sh"
hr_require_netns
command -v python3 >/dev/null || skip "needs python3"
ns=$(hr_ns vet)

# refused NAME PATTERN ARGS...: apply ARGS is refused (exit 4), nothing written.
refused() {
	local what=$1 pat=$2 rc; shift 2
	rc=$(rc_of hr_apply "$ns" apply --state-dir "$S" "$@")
	assert_eq "$rc" 4 "$what: exit"
	grep -q -- "$pat" "$T/out" || fail "$what: no '$pat' in: $(cat "$T/out" "$T/err")"
	no_txn "$what wrote a journal"
}

# Global keys: absent here (netdev_max_backlog), read-only here
# (nf_conntrack_max, when conntrack is loaded), or outside net.* (vm.*).
host_bl=$(sysctl -n net.core.netdev_max_backlog)
refused "absent global key" "net.core.netdev_max_backlog: global key: absent in a child network namespace" \
	--set net.core.netdev_max_backlog=5000 --set net.ipv4.tcp_tw_reuse=1
assert_eq "$(sysval $ns net.ipv4.tcp_tw_reuse)" 2 "nothing written (tw_reuse)"
if hr_in "$ns" test -e /proc/sys/net/netfilter/nf_conntrack_max; then
	refused "read-only global key" "nf_conntrack_max: global key: read-only in a child network namespace" \
		--set net.netfilter.nf_conntrack_max=1000000
else
	note "nf_conntrack not loaded: read-only global key case not shown"
fi
host_sw=$(sysctl -n vm.swappiness)
refused "host-wide key" "vm.swappiness: global key: not per network namespace" --set vm.swappiness=1
assert_eq "$(sysctl -n vm.swappiness)" "$host_sw" "host vm.swappiness untouched"
# A global key already at the wanted value is right, not refused (nothing to write).
rc=$(rc_of hr_apply "$ns" apply --state-dir "$S" --set vm.swappiness="$host_sw" --detailed-exitcodes)
assert_eq "$rc" 0 "global key already right"
grep -q "Nothing to change" "$T/out" || fail "global key already right: $(cat "$T/out")"
no_txn "an already-right global key wrote a journal"
assert_eq "$(sysctl -n net.core.netdev_max_backlog)" "$host_bl" "host netdev_max_backlog untouched"

# Unknown key, range table, tcp_tw_recycle (never, even with --allow).
refused "unknown key" "net.ipv4.tcp_no_such_key: unknown key (not on this kernel)" --set net.ipv4.tcp_no_such_key=1
refused "range" "net.ipv4.tcp_tw_reuse: 5 is outside 0..2" --set net.ipv4.tcp_tw_reuse=5
refused "arity" "net.ipv4.ip_local_port_range: '1024' is not 2 integers" --set net.ipv4.ip_local_port_range=1024
refused "garbage" "net.core.somaxconn: 'lots' is not 1 integer" --set net.core.somaxconn=lots
refused "tw_recycle" "net.ipv4.tcp_tw_recycle: never set" --set net.ipv4.tcp_tw_recycle=1 --allow net.ipv4.tcp_tw_recycle

# Dangerous values: refused, then accepted with --allow KEY (and rolled back).
refused "timestamps=0" "net.ipv4.tcp_timestamps: tcp_timestamps=0 disables PAWS" --set net.ipv4.tcp_timestamps=0
refused "syncookies=0" "tcp_syncookies=0 drops SYNs" --set net.ipv4.tcp_syncookies=0
refused "abort_on_overflow" "tcp_abort_on_overflow=1 answers RST" --set net.ipv4.tcp_abort_on_overflow=1
refused "retries2" "tcp_retries2=5 gives up before the 100 s" --set net.ipv4.tcp_retries2=5
rc=$(rc_of hr_apply "$ns" apply --state-dir "$S" --set net.ipv4.tcp_retries2=8)
assert_eq "$rc" 0 "tcp_retries2=8 is fine"
rc=$(rc_of hr_apply "$ns" apply --state-dir "$S" --set net.ipv4.tcp_syncookies=0 --allow net.ipv4.tcp_syncookies)
assert_eq "$rc" 0 "--allow accepts"
assert_eq "$(sysval $ns net.ipv4.tcp_syncookies)" 0 "allowed value written"
hr_apply "$ns" rollback --state-dir "$S" --last >/dev/null
hr_apply "$ns" rollback --state-dir "$S" "$(ls "$S/txn" | head -1 | sed 's/.journal//')" >/dev/null
assert_eq "$(sysval $ns net.ipv4.tcp_syncookies)" 1 "syncookies rolled back"
assert_eq "$(sysval $ns net.ipv4.tcp_retries2)" 15 "retries2 rolled back"
rm -rf "$S"

# Live sockets: a listener at 20000, and TIME_WAIT sockets on loopback.
cat >"$T/socks.py" <<'PY'
import socket, sys, time
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 20000)); ls.listen(64)
for i in range(20):
    c = socket.create_connection(("127.0.0.1", 20000))
    s, _ = ls.accept()
    c.close(); s.close()  # the client closes first: TIME_WAIT on its port
open(sys.argv[1], "w").write("ready\n")
time.sleep(30)
PY
hr_bg "$ns" python3 "$T/socks.py" "$T/ready"
i=0; while [ ! -s "$T/ready" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$T/ready" ] || fail "socket helper did not start"
tw=$(hr_in "$ns" awk '/^TCP:/ { for (i = 1; i < NF; i++) if ($i == "tw") print $(i + 1) }' /proc/net/sockstat)
[ "$tw" -ge 20 ] || fail "expected >= 20 TIME_WAIT sockets, got $tw"
refused "tw buckets below TIME_WAIT" "tcp_max_tw_buckets=5 is below the $tw TIME_WAIT sockets now" \
	--set net.ipv4.tcp_max_tw_buckets=5
refused "range over a listener" "new range covers listening port 20000" \
	--set "net.ipv4.ip_local_port_range=15000 25001"
refused "range smaller than use" "new range has 10 ports, fewer than the 20 local ports already in use toward 127.0.0.1:20000" \
	--set "net.ipv4.ip_local_port_range=32768 32777"
echo ok
