#!/bin/sh
# The eBPF collector against the real kernel (headroom-trace(8)): two
# namespaces joined by a veth, a python3 client in one, servers in the
# other, `headroom trace` run inside the client's namespace (the kernel
# filters on its inode, so host traffic and the server side stay out).
#   1. connect() to a closed port: ECONNREFUSED per destination and per
#      process (the client's own pid and comm), RSTs received, failed
#      handshakes; the server side's RSTs sent and NO_SOCKET drops (with
#      their sentence) in a trace of the server namespace.
#   2. a 400-port range used up toward one destination: exactly 400 opens,
#      then exactly 50 EADDRNOTAVAIL from python3 and 10 from curl run 10
#      times (curl's own count: exit 7); audit --trace names each program,
#      its pid and the destination in a CRITICAL finding, and the port
#      exhaustion finding takes the traced rate and says "confirmed: 60".
#   3. who closed first and lifetimes: 20 connections closed by the client,
#      20 by the server; audit --trace --format prometheus's new connections
#      per destination (no pid labels).
#   3b. bind() before connect(): 5 connects with IP_BIND_ADDRESS_NO_PORT and
#      SO_REUSEADDR, 3 after bind(addr, 0), per process (binds, trace.bind.*);
#      curl's non-blocking connect() refused 3 times, counted for curl.
#   4. a quiet namespace: nothing counted; snapshot --trace of it, whose
#      trace audit --root reads.
#   5. unprivileged: not traced, one line why; the audit still runs.
# Around all of it: no program of ours stays loaded and nothing is pinned
# (bpftool prog before/after), and the maps have the sizes headroom-trace(8)
# states, their memory fixed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/trace-lib.sh"
hr_require_netns
command -v python3 >/dev/null || skip "needs python3"
"$HR_BIN" help trace >/dev/null || fail "no trace command"
hr_need_trace

# Our programs, by the names bpftool shows (the kernel keeps 15 characters, bpftool the BTF name).
ours() { bpftool prog show 2>/dev/null | grep -cE ' name on_(set_state|synack|send_reset|receive_rese[a-z]*|kfree_skb) ' || true; }
# Waits (at most 5 s) until none of our programs is loaded.
wait_unloaded() {
	local i=0
	while [ "$(ours)" -ne 0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	[ "$(ours)" -eq 0 ]
}
# Waits (at most 20 s) until N collectors (default 1) have attached: the
# skeleton attaches in program order and kfree_skb's link comes last.
attached() { bpftool link show 2>/dev/null | grep -c "tp 'kfree_skb'" || true; }
wait_attached() {
	local i=0 n=${1:-1}
	while [ "$(attached)" -lt "$n" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
	[ "$(attached)" -ge "$n" ] || fail "the collector did not attach within 20 s"
}
wait_unloaded || skip "another headroom trace is running on this host"
pinned_before=$(ls -R /sys/fs/bpf 2>/dev/null | wc -l)

C=$(hr_ns c)
S=$(hr_ns s)
hr_link "$C" 10.77.0.1 "$S" 10.77.0.2
c_ino=$(ip netns exec "$C" stat -L -c %i /proc/self/ns/net)
note "client namespace inode $c_ino"

cat >"$T/client.py" <<'EOF'
# client.py MODE HOST PORT N [HOLD_S]: N connect() calls; prints "pid ok
# failed errno-names", then keeps the held connections HOLD_S seconds.
import errno, os, socket, sys, time
mode, host, port, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
held, ok, failed, names = [], 0, 0, set()
for i in range(n):
    s = socket.socket()
    try:
        s.connect((host, port))
        ok += 1
        if mode == "hold":
            held.append(s)
            continue
        if mode == "client-closes":
            s.close()
        elif mode == "server-closes":
            s.recv(1)  # EOF: the server closed first
            s.close()
    except OSError as e:
        failed += 1
        names.add(errno.errorcode.get(e.errno, str(e.errno)))
        s.close()
print(os.getpid(), ok, failed, ",".join(sorted(names)))
sys.stdout.flush()
time.sleep(float(sys.argv[5]) if len(sys.argv) > 5 else 0.5)
EOF
cat >"$T/server.py" <<'EOF'
# server.py PORT MODE: accepts; "hold" keeps every connection, "wait-eof"
# closes after the client does, "close" closes at once. Bounded: 60 s.
import socket, sys, time, select
port, mode = int(sys.argv[1]), sys.argv[2]
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("10.77.0.2", port)); ls.listen(1024)
held, end = [], time.time() + 60
while time.time() < end:
    r, _, _ = select.select([ls] + held, [], [], 0.2)
    for s in r:
        if s is ls:
            c, _ = ls.accept()
            if mode == "close":
                c.close()
            else:
                held.append(c)
        elif mode == "wait-eof":
            if not s.recv(1):
                s.close(); held.remove(s)
EOF
jq_py() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); $2" "$1"; }

# 1. A closed port: ECONNREFUSED, per destination and per process.
hr_bg "$C" "$HR_BIN" trace -q --format json 4 >"$T/t1.json"
t1=$HR_LASTPID
hr_bg "$S" "$HR_BIN" trace -q --format json 4 >"$T/t1s.json"
t1s=$HR_LASTPID
wait_attached 2
hr_in "$C" python3 "$T/client.py" once 10.77.0.2 9 7 >"$T/c1.out"
wait "$t1" || fail "trace in the client namespace failed"
wait "$t1s" || fail "trace in the server namespace failed"
read -r pid ok failed names <"$T/c1.out"
assert_eq "$failed/$names" "7/ECONNREFUSED" "the client's own count"
note "client pid $pid: $(cat "$T/c1.out")"
jq_py "$T/t1.json" "
f = [x for x in d['connect_failures'] if x['destination'] == '10.77.0.2:9']
assert len(f) == 1, f
f = f[0]
assert (f['pid'], f['comm'], f['error'], f['errno'], f['count']) == ($pid, 'python3', 'ECONNREFUSED', 111, 7), f
assert f['netns'] == $c_ino, f
assert f['subject'] == 'python3[$pid]->10.77.0.2:9/ECONNREFUSED', f
assert all(x['netns'] == $c_ino for x in d['connect_failures'] + d['destinations']), 'another namespace leaked in'
dd = [x for x in d['destinations'] if x['subject'] == '10.77.0.2:9'][0]
assert (dd['opens'], dd['failed_handshakes'], dd['rst_received'], dd['connect_failures']) == (7, 7, 7, {'ECONNREFUSED': 7}), dd
assert d['totals']['connect_failures']['ECONNREFUSED'] == 7, d['totals']
assert d['netns'] == $c_ino
" || fail "ECONNREFUSED evidence (above)"
if python3 -c 'import jsonschema' 2>/dev/null; then
	python3 -c '
import json, sys, jsonschema
s = json.load(open(sys.argv[1]))
for f in sys.argv[2:]:
    jsonschema.validate(json.load(open(f)), {**s, "$ref": "#/$defs/trace"})
' "$HR_SRCDIR/docs/schema/headroom.schema.json" "$T/t1.json" "$T/t1s.json" || fail "trace JSON against the schema"
fi
jq_py "$T/t1s.json" "
t = d['totals']
assert t['rst_sent'] == 7, t
r = [x for x in d['destinations'] if x['host'] == '10.77.0.1' and x['rst_sent']]
assert sum(x['rst_sent'] for x in r) == 7, r
ns = [x for x in d['drops'] if x['reason'] == 'NO_SOCKET']
assert ns and ns[0]['count'] >= 7 and ns[0]['meaning'].startswith('No socket matched'), d['drops']
assert t['connect_calls'] == 0, t
" || fail "the server side's RSTs and drops (above)"
wait_unloaded || fail "programs still loaded after the traces ended"

# The text form of the same evidence: aligned tables.
hr_bg "$C" "$HR_BIN" trace 3 >"$T/t1.txt"
t=$HR_LASTPID
wait_attached
hr_in "$C" python3 "$T/client.py" once 10.77.0.2 9 3 >/dev/null
wait "$t" || fail "text trace failed"
grep -q "^Traced 3[.0-9]* s (this network namespace): 3 connect() calls, 3 failed (.*ECONNREFUSED 3" "$T/t1.txt" ||
	fail "text summary: $(head -2 "$T/t1.txt")"
grep -Eq "^  python3 +[0-9]+ +10\.77\.0\.2:9 +ECONNREFUSED +3 " "$T/t1.txt" || fail "text table: $(cat "$T/t1.txt")"
grep -q "^Drop reasons (" "$T/t1.txt" || fail "drop reasons section: $(cat "$T/t1.txt")"
wait_unloaded || fail "programs still loaded after the text trace"

# 2. 400 ports toward one destination: 400 opens, then EADDRNOTAVAIL, from
# python3 (one process) and from curl (one process per request, like a
# shell loop): each program one finding, curl's 10 processes counted.
hr_need_tool curl curl
hr_in "$C" sysctl -qw net.ipv4.ip_local_port_range="40000 40399"
hr_bg "$S" python3 "$T/server.py" 5774 hold
srv=$HR_LASTPID
sleep 0.5
hr_bg "$C" "$HR_BIN" audit -q --interval 0 --trace 6 --format json >"$T/a2.json"
a2=$HR_LASTPID
wait_attached
hr_bg "$C" python3 "$T/client.py" hold 10.77.0.2 5774 450 4 >"$T/c2.out"
i=0
while [ ! -s "$T/c2.out" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
read -r pid ok failed names <"$T/c2.out"
assert_eq "$ok/$failed/$names" "400/50/EADDRNOTAVAIL" "the client's own count"
curl_failed=0
for i in 1 2 3 4 5 6 7 8 9 10; do
	rc=0
	hr_in "$C" curl -s -o /dev/null --max-time 2 http://10.77.0.2:5774/ || rc=$?
	[ "$rc" -eq 7 ] && curl_failed=$((curl_failed + 1))
done
assert_eq "$curl_failed" 10 "curl's own count of failed connections (exit 7)"
wait "$a2" || [ $? -le 2 ] || fail "audit --trace failed"
jq_py "$T/a2.json" "
tr = d['trace']
assert tr['traced'] is True, tr
f = [x for x in tr['connect_failures'] if x['pid'] == $pid]
assert len(f) == 1 and f[0]['error'] == 'EADDRNOTAVAIL' and f[0]['count'] == 50, f
cf = [x for x in tr['connect_failures'] if x['comm'] == 'curl']
assert len(cf) == 10 and all(x['count'] == 1 and x['error'] == 'EADDRNOTAVAIL' for x in cf), cf
dd = [x for x in tr['destinations'] if x['subject'] == '10.77.0.2:5774'][0]
assert dd['opens'] == 400 and dd['established'] == 400, dd
assert dd['connect_failures'] == {'EADDRNOTAVAIL': 60}, dd
fi = {x['subject']: x for x in d['findings'] if x['rule'] == 'trace.connect-failing'}
assert sorted(fi) == ['curl->10.77.0.2:5774/EADDRNOTAVAIL', 'python3->10.77.0.2:5774/EADDRNOTAVAIL'], sorted(fi)
p, c = fi['python3->10.77.0.2:5774/EADDRNOTAVAIL'], fi['curl->10.77.0.2:5774/EADDRNOTAVAIL']
assert p['severity'] == c['severity'] == 'critical', (p, c)
m = p['message']
assert m.startswith('confirmed: 50 connect() calls by python3 (pid $pid) failed with EADDRNOTAVAIL toward 10.77.0.2:5774'), m
m = c['message']
assert m.startswith('confirmed: 10 connect() calls by curl (pid ') and '; 10 processes of that name) failed with EADDRNOTAVAIL toward 10.77.0.2:5774' in m, m
assert c['metrics']['processes'] == 10 and c['metrics']['failures'] == 10, c['metrics']
# The port exhaustion finding takes the traced rate and says it is confirmed.
px = [x for x in d['findings'] if x['rule'] == 'ports.timewait-exhaustion' and x['subject'] == '10.77.0.2:5774']
assert len(px) == 1, px
assert abs(px[0]['metrics']['rate_per_s'] - dd['rate']) < 1e-6, (px[0]['metrics'], dd['rate'])
assert '/s (traced) closed by this side' in px[0]['message'] and '; confirmed: 60 connect() calls failed for want of a port while traced' in px[0]['message'], px[0]['message']
assert tr['maps'] == {'destinations': 4096, 'listeners': 1024, 'connect_failures': 4096, 'sockets': 65536, 'binds': 1024, 'drop_reasons': 512}, tr['maps']
" || fail "EADDRNOTAVAIL evidence and findings (above)"
kill "$srv" 2>/dev/null || true
hr_in "$C" sysctl -qw net.ipv4.ip_local_port_range="32768 60999"
wait_unloaded || fail "programs still loaded after audit --trace"

# 3. Who closed first, lifetimes.
hr_bg "$S" python3 "$T/server.py" 5775 wait-eof
hr_bg "$S" python3 "$T/server.py" 5776 close
sleep 0.5
hr_bg "$C" "$HR_BIN" trace -q --format json 4 >"$T/t3.json"
t3=$HR_LASTPID
hr_bg "$C" "$HR_BIN" audit -q --interval 0 --trace 4 --format prometheus >"$T/a3.prom"
a3=$HR_LASTPID
wait_attached 2
hr_in "$C" python3 "$T/client.py" client-closes 10.77.0.2 5775 20 >/dev/null
hr_in "$C" python3 "$T/client.py" server-closes 10.77.0.2 5776 20 >/dev/null
wait "$t3" || fail "trace 3 failed"
wait "$a3" || [ $? -le 2 ] || fail "audit --trace --format prometheus failed"
# Prometheus: new connections per destination, exactly (20 in the 4 s), no pid label.
grep -Eq '^headroom_trace_new_connections_per_second\{destination="10\.77\.0\.2:5775"\} 4\.9[0-9]*$|^headroom_trace_new_connections_per_second\{destination="10\.77\.0\.2:5775"\} 5(\.0*)?$' "$T/a3.prom" ||
	fail "prometheus: $(grep headroom_trace "$T/a3.prom")"
grep -q '^headroom_trace_seconds 4' "$T/a3.prom" || fail "prometheus: no headroom_trace_seconds"
! grep -q 'pid=' "$T/a3.prom" || fail "prometheus: a pid label"
jq_py "$T/t3.json" "
by = {x['subject']: x for x in d['destinations']}
a, b = by['10.77.0.2:5775'], by['10.77.0.2:5776']
assert (a['opens'], a['closed'], a['local_closed_first'], a['peer_closed_first']) == (20, 20, 20, 0), a
assert (b['opens'], b['closed'], b['local_closed_first'], b['peer_closed_first']) == (20, 20, 0, 20), b
assert 0 < a['lifetime_avg_s'] <= a['lifetime_max_s'] < 4, a
assert d['connect_failures'] == [], d['connect_failures']
" || fail "who closed first (above)"
wait_unloaded || fail "programs still loaded after trace 3"

# 3b. bind() before connect() and its flags, per process and destination;
# a non-blocking connect() refused (curl: the RST comes after connect()
# returned EINPROGRESS) counted for curl all the same.
cat >"$T/bindc.py" <<'EOF'
# bindc.py HOST PORT N MODE: N connections; MODE noport (IP_BIND_ADDRESS_NO_PORT
# and SO_REUSEADDR, then bind(10.77.0.1, 0)), bind0 (bind(10.77.0.1, 0): a
# port taken at bind()), plain; prints "pid ok".
import os, socket, sys
dst = (sys.argv[1], int(sys.argv[2])); n = int(sys.argv[3]); mode = sys.argv[4]
ok = 0
for i in range(n):
    s = socket.socket()
    if mode == "noport":
        s.setsockopt(socket.IPPROTO_IP, 24, 1)  # IP_BIND_ADDRESS_NO_PORT
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if mode != "plain":
        s.bind(("10.77.0.1", 0))
    s.connect(dst); ok += 1; s.close()
print(os.getpid(), ok)
EOF
hr_bg "$S" python3 "$T/server.py" 5777 close
sleep 0.5
hr_bg "$C" "$HR_BIN" trace -q --format json 4 >"$T/t3b.json"
t3b=$HR_LASTPID
hr_bg "$C" "$HR_BIN" trace 4 >"$T/t3b.txt"
t3bt=$HR_LASTPID
wait_attached 2
hr_in "$C" python3 "$T/bindc.py" 10.77.0.2 5777 5 noport >"$T/np.out"
hr_in "$C" python3 "$T/bindc.py" 10.77.0.2 5777 3 bind0 >"$T/b0.out"
hr_in "$C" python3 "$T/bindc.py" 10.77.0.2 5777 2 plain >/dev/null
read -r p_np ok_np <"$T/np.out"
read -r p_b0 ok_b0 <"$T/b0.out"
curl_refused=0
for i in 1 2 3; do
	rc=0
	hr_in "$C" curl -s -o /dev/null --max-time 2 http://10.77.0.2:9/ || rc=$?
	[ "$rc" -eq 7 ] && curl_refused=$((curl_refused + 1))
done
wait "$t3b" || fail "trace 3b failed"
wait "$t3bt" || fail "text trace 3b failed"
grep -Eq "^  python3 +$p_b0 +10\.77\.0\.2:5777 +3 +3 +0 +0 +0\$" "$T/t3b.txt" &&
	grep -Eq "^  python3 +$p_np +10\.77\.0\.2:5777 +5 +0 +5 +5 +0\$" "$T/t3b.txt" ||
	fail "text bind() table: $(cat "$T/t3b.txt")"
assert_eq "$ok_np/$ok_b0/$curl_refused" "5/3/3" "the clients' own counts"
jq_py "$T/t3b.json" "
b = {x['pid']: x for x in d['binds'] if x['destination'] == '10.77.0.2:5777'}
assert len(b) == 2, d['binds']
np, b0 = b[$p_np], b[$p_b0]
assert (np['comm'], np['connects'], np['port_bound'], np['addr_bound'], np['no_port'], np['reuseaddr']) == ('python3', 5, 0, 5, 5, 5), np
assert (b0['connects'], b0['port_bound'], b0['addr_bound'], b0['no_port'], b0['reuseaddr']) == (3, 3, 3, 0, 0), b0
assert d['totals']['bound_connects'] == {'connects': 8, 'port_bound': 3, 'no_port': 5, 'reuseaddr': 5}, d['totals']
assert d['totals']['connect_calls'] == 13, d['totals']
r = [x for x in d['connect_failures'] if x['comm'] == 'curl' and x['error'] == 'ECONNREFUSED']
assert sum(x['count'] for x in r) == 3 and all(x['destination'] == '10.77.0.2:9' for x in r), d['connect_failures']
" || fail "bind() flags and curl's refused connects (above)"
wait_unloaded || fail "programs still loaded after trace 3b"

# 4. A quiet namespace: nothing.
Q=$(hr_ns q)
hr_in "$Q" "$HR_BIN" trace -q --format json 1 >"$T/t4.json" || fail "quiet trace failed"
jq_py "$T/t4.json" "
t = d['totals']
assert t['connect_calls'] == 0 and t['active_opens'] == 0 and t['rst_sent'] == 0 and t['lost'] == 0, t
assert d['destinations'] == [] and d['connect_failures'] == [] and d['listeners'] == [], d
" || fail "the quiet namespace saw something (above)"
# A capture with its trace: snapshot --trace, then audit --root reads it.
hr_in "$Q" "$HR_BIN" snapshot -q -o "$T/snap" --trace 1 || fail "snapshot --trace failed"
[ -s "$T/snap/headroom/trace.json" ] || fail "snapshot --trace wrote no headroom/trace.json"
rc=0
"$HR_BIN" audit -q --root "$T/snap" --format json >"$T/snap.json" || rc=$?
[ "$rc" -le 2 ] || fail "audit --root of the traced capture: exit $rc"
jq_py "$T/snap.json" "
t = d['facts']['other']
assert t['trace.connect_calls']['value'] == 0 and t['trace.seconds']['value'] >= 1, t
" || fail "the capture's trace facts (above)"

# 5. Unprivileged: not traced, one line why; the audit runs without it.
if command -v setpriv >/dev/null; then
	nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$@"; }
	if nobody "$HR_BIN" trace -q 1 >"$T/u.out" 2>"$T/u.err"; then
		fail "trace as nobody succeeded"
	fi
	grep -q "^headroom trace: not traced: permission denied loading eBPF programs" "$T/u.err" || fail "why: $(cat "$T/u.err")"
	[ "$(wc -l <"$T/u.err")" -eq 1 ] || fail "more than one line: $(cat "$T/u.err")"
	# The rules as nobody can read them wherever the checkout lies (CI
	# clones into a 0700 directory): a copy under $T, opened to traverse.
	chmod 711 "$T"
	mkdir -m 755 "$T/nrules"
	cp "$HR_SRCDIR"/rules/*.yaml "$T/nrules/"
	chmod 644 "$T"/nrules/*.yaml
	rc=0
	hr_in "$Q" setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		"$HR_BIN" audit -q --interval 0 --trace 1 --no-default-rules --rules "$T/nrules" >"$T/u2.out" 2>&1 || rc=$?
	[ "$rc" -le 2 ] || fail "audit as nobody: exit $rc: $(cat "$T/u2.out")"
	grep -q "^Not traced: permission denied loading eBPF programs" "$T/u2.out" || fail "audit: $(head -5 "$T/u2.out")"
else
	note "no setpriv: the unprivileged case is not run"
fi

# Nothing of ours stays: no program loaded, nothing pinned.
wait_unloaded || fail "programs still loaded at the end: $(bpftool prog show | grep ' name on_')"
[ "$(ls -R /sys/fs/bpf 2>/dev/null | wc -l)" -eq "$pinned_before" ] || fail "something was pinned under /sys/fs/bpf"
exit 0
