#!/bin/sh
# Server-side TIME_WAIT and the corrections the audit owes (issue 22).
#  1. The seed's "100k TIME_WAIT on the server, does it harm?": a server in
#     a namespace closes 1500 connections first; timewait.buckets must give
#     the answer (no ports, no file descriptors, memory now and for the load,
#     each labelled; memory now = the TIME_WAIT count x the tw_sock_TCP slab
#     object) and offer "let the clients close first". Quiet twin: the
#     clients close first, nothing about the server side.
#  2. conntrack.table from a declared load only where conntrack is in use
#     in the namespace: no hooks, no entries -> "not tracked here", OK; an
#     nft ct rule and a few connections -> the same load fills the table.
#  3. apply --set net.ipv4.tcp_fin_timeout=5 prints the audit's correction
#     (it does not shorten TIME_WAIT); 90 prints none.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab-lib.sh"

hr_require_netns
command -v python3 >/dev/null || skip "needs python3"
port=5795

# closes NS WHO N: N connections, 500 a second, to a server on
# 127.0.0.1:port, each a request and a reply; WHO (server or client) closes
# first. The server keeps listening 20 s more (in the background; the
# connections are done when $T/NS.done exists).
closes() {
	rm -f "$T/$1.done"
	hr_bg "$1" python3 -c '
import socket, sys, threading, time
port, who, n, done = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", port)); l.listen(512)
def serve():
    for _ in range(n):
        c = l.accept()[0]
        c.recv(100); c.sendall(b"y" * 100)
        if who == "client":
            c.settimeout(5)
            while c.recv(100): pass
        c.close()
threading.Thread(target=serve, daemon=True).start()
t0 = time.monotonic()
for i in range(n):
    time.sleep(max(0.0, t0 + i / 500 - time.monotonic()))
    s = socket.socket(); s.connect(("127.0.0.1", port)); s.sendall(b"x" * 100)
    got = 0
    while got < 100:
        b = s.recv(100)
        if not b: break
        got += len(b)
    if who == "server":
        s.settimeout(5)
        while s.recv(100): pass
    s.close()
open(done, "w").close()
time.sleep(20)
' "$port" "$2" "$3" "$T/$1.done"
	wait_file "$T/$1.done" 30
}

# wait_file FILE SECS: waits until FILE exists.
wait_file() {
	local i
	for i in $(seq $(($2 * 10))); do
		[ ! -e "$1" ] || return 0
		sleep 0.1
	done
	fail "$1 not there after $2 s"
}

# count_tw NS: TIME_WAIT sockets on the server port (server side) and in all.
tw_server() { hr_in "$1" ss -Htan state time-wait "sport = :$port" | wc -l; }

# 1. Server-side TIME_WAIT.
srv=$(hr_ns srv)
closes "$srv" server 1500
n=$(tw_server "$srv")
[ "$n" -ge 1400 ] || fail "only $n server-side TIME_WAIT sockets after 1500 server closes"
lab_audit "$srv" "$T/srv.json" --interval 0
hr_in "$srv" "$HR_BIN" audit -q --interval 0 >"$T/srv.txt" 2>&1 || true
f=$(lab_finding "$T/srv.json" timewait.buckets)
assert_eq "$(lab_field "$f" 'f["severity"]')" info "timewait.buckets with $n server-side TIME_WAIT"
ts=$(lab_metric "$f" timewait_server)
now=$(lab_metric "$f" timewait_now)
[ "$ts" -ge 1400 ] && [ "$ts" -le "$now" ] || fail "timewait_server $ts (ss: $n, all $now)"
for w in "server side" "no ports" "no file descriptors" "does not slow lookups" "memory now" "for the load"; do
	echo "$f" | grep -qF "$w" || fail "timewait.buckets does not say '$w': $f"
done
echo "$f" | grep -qF "Let the clients close first" || fail "no 'let the clients close first' fix: $f"
obj=$(lab_metric "$f" object_bytes)
[ -r /sys/kernel/slab/tw_sock_TCP/object_size ] && assert_eq "$obj" "$(cat /sys/kernel/slab/tw_sock_TCP/object_size)" "tw_sock_TCP object size"
kib=$(lab_metric "$f" memory_now_kib)
awk -v k="$kib" -v o="$obj" -v c="$now" 'BEGIN { x = o * c / 1024; exit !(k > 0 && k >= x * 0.999 && k <= x * 1.001) }' ||
	fail "memory now $kib KiB is not $now x $obj B"
assert_eq "$LAB_AUDIT_RC" 0 "exit status with server-side TIME_WAIT (info)"
grep -q "server-side TIME_WAIT" "$T/srv.txt" || fail "the text report does not answer: $(head -n 5 "$T/srv.txt")"
note "server side: $ts of $now TIME_WAIT, memory now $kib KiB ($obj B each)"

# Quiet twin: the clients close first.
cli=$(hr_ns cli)
closes "$cli" client 1500
lab_audit "$cli" "$T/cli.json" --interval 0
f=$(lab_finding "$T/cli.json" timewait.buckets)
assert_eq "$(lab_field "$f" 'f["severity"]')" ok "timewait.buckets when the clients close first"
assert_eq "$(lab_metric "$f" timewait_server)" 0 "server-side TIME_WAIT when the clients close first"
echo "$f" | grep -qF "no file descriptors" && fail "the server-side answer without server-side TIME_WAIT: $f"
assert_eq "$LAB_AUDIT_RC" 0 "exit status when the clients close first"

# 2. conntrack.table: a declared inbound load counts only where tracked.
if [ -e /proc/sys/net/netfilter/nf_conntrack_max ] && command -v nft >/dev/null; then
	printf 'inbound:\n  - port: %s\n    rate: 2000/s\n' "$port" >"$T/wl.yaml"
	ct=$(hr_ns ct)
	lab_audit "$ct" "$T/ct0.json" --interval 0 --workload "$T/wl.yaml"
	f=$(lab_finding "$T/ct0.json" conntrack.table)
	assert_eq "$(lab_field "$f" 'f["severity"]')" ok "conntrack.table with nothing tracked in the namespace"
	echo "$f" | grep -qF "not tracked here" || fail "conntrack.table does not say 'not tracked here': $f"
	hr_in "$ct" nft -f - <<'NFT'
table inet hr_ct {
	chain in {
		type filter hook input priority 0;
		ct state established,related accept
	}
}
NFT
	closes "$ct" client 20
	c=$(hr_in "$ct" cat /proc/sys/net/netfilter/nf_conntrack_count)
	[ "$c" -gt 0 ] || fail "no conntrack entry with an nft ct rule"
	lab_audit "$ct" "$T/ct1.json" --interval 0 --workload "$T/wl.yaml"
	f=$(lab_finding "$T/ct1.json" conntrack.table)
	assert_eq "$(lab_field "$f" 'f["severity"]')" critical "conntrack.table with 2000/s declared where $c entries are tracked"
	need=$(lab_metric "$f" entries_needed)
	awk -v n="$need" 'BEGIN { exit !(n >= 240000) }' || fail "entries the load keeps: $need, not 2000/s x 120 s (plus the observed connections)"
	note "conntrack: untracked OK, tracked ($c entries) critical"
else
	note "conntrack part skipped: nf_conntrack not loaded or no nft"
fi

# 3. apply prints the audit's correction of tcp_fin_timeout.
"$HR_BIN" apply --netns "$srv" --dry-run --set net.ipv4.tcp_fin_timeout=5 >"$T/fin5.txt" 2>&1 || fail "apply --dry-run fin_timeout=5: $(cat "$T/fin5.txt")"
grep -q "note: the audit would then say (sysctl.fin-timeout, info): .*does NOT shorten TIME_WAIT" "$T/fin5.txt" ||
	fail "apply does not correct tcp_fin_timeout=5: $(cat "$T/fin5.txt")"
"$HR_BIN" apply --netns "$srv" --dry-run --set net.ipv4.tcp_fin_timeout=90 >"$T/fin90.txt" 2>&1 || fail "apply fin_timeout=90"
grep -q "audit would then say" "$T/fin90.txt" && fail "apply notes a correction for tcp_fin_timeout=90: $(cat "$T/fin90.txt")"
assert_eq "$(lab_sysctl_get "$srv" net.ipv4.tcp_fin_timeout)" 60 "tcp_fin_timeout after dry runs"
lab_result "server-side TIME_WAIT: $ts, memory now $kib KiB, answer + 'let the clients close first'; fin_timeout=5 corrected"
echo ok
