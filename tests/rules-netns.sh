#!/bin/sh
# explain against the real kernel in a network namespace: a sysctl set with
# sysctl(8) shows up in the filled formulas with its /proc/sys source, and
# real TIME_WAIT sockets toward a local listener make a destination subject
# whose port headroom and fix effect are computed from what was observed.
# Needs the probe (src/probe.c) and root for namespaces; skips otherwise.
. "$(dirname "$0")/lib.sh"
hr_require_netns
FX="$HR_SRCDIR/tests/fixtures"
ns=$(hr_ns rules)

hr_in "$ns" sysctl -qw net.ipv4.tcp_retries2=7
hr_in "$ns" "$HR_BIN" explain test.retries2 --no-default-rules --rules "$FX/rules-good" --no-sockets \
	--format json >"$T/e.json" 2>"$T/err" || fail "explain in netns: $(cat "$T/err")"
if grep -q "not implemented" "$T/err"; then
	skip "the probe is not implemented yet"
fi
# retries2 = 7 <= K = 9: (2^8 - 1) * 0.2 = 51 s (net/ipv4/tcp_timer.c), under RFC 1122's 100 s
assert_eq "$(jget "$T/e.json" 'd["subjects"][0]["severity"]')" warning "severity at retries2=7"
assert_eq "$(jget "$T/e.json" '[l["value"] for l in d["subjects"][0]["let"] if l["name"] == "give_up_s"][0]')" 51 "give-up time"
assert_eq "$(jget "$T/e.json" '[s["source"] for s in d["sources"] if s["fact"] == "net.ipv4.tcp_retries2"][0]')" \
	/proc/sys/net/ipv4/tcp_retries2 "source of the value"

# 8 connections that this side closes first, from a 10-port range, no tw_reuse
hr_in "$ns" sysctl -qw net.ipv4.ip_local_port_range="40000 40009" net.ipv4.tcp_tw_reuse=0
cat >"$T/load.py" <<'PY'
import socket, threading
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 5774)); srv.listen(64)
def serve():
    for _ in range(8):
        c, _ = srv.accept(); c.recv(1); c.close()
t = threading.Thread(target=serve); t.start()
for _ in range(8):
    s = socket.create_connection(("127.0.0.1", 5774)); s.close()
t.join()
PY
hr_in "$ns" timeout 20 python3 "$T/load.py" || fail "load generator"
hr_in "$ns" "$HR_BIN" explain test.ports-per-dest --no-default-rules --rules "$FX/rules-good" \
	--subject 127.0.0.1:5774 --format json >"$T/p.json" 2>"$T/err" || fail "explain ports: $(cat "$T/err")"
s='d["subjects"][0]'
assert_eq "$(jget "$T/p.json" "$s[\"subject\"]")" 127.0.0.1:5774 "subject"
rate=$(jget "$T/p.json" "[l['value'] for l in $s['let'] if l['name'] == 'rate_per_s'][0]")
needed=$(jget "$T/p.json" "[l['value'] for l in $s['let'] if l['name'] == 'needed'][0]")
awk -v r="$rate" 'BEGIN { exit !(r > 0) }' || fail "no rate observed from 8 TIME_WAIT sockets"
assert_within "$needed" "$(awk -v r="$rate" 'BEGIN { print r * 60 }')" 1 "needed = rate x 60 s"
assert_eq "$(jget "$T/p.json" "$s['severity']")" critical "10 ports cannot hold the TIME_WAIT load"
after=$(jget "$T/p.json" "[f['headroom_after'] for f in $s['fixes'] if 'net.ipv4.ip_local_port_range' in f['settings']][0]")
usable=$(jget "$T/p.json" "[x['value'] for x in $s['needs'] if x['expr'] == 'ports.usable'][0]")
assert_eq "$usable" 10 "usable ports in the namespace"
awk -v a="$after" -v n="$needed" 'BEGIN { exit !(a > 10 / n) }' || fail "widening the range did not help: $after"
# the namespace still has its own settings: the what-if did not write anything
assert_eq "$(hr_in "$ns" sysctl -n net.ipv4.ip_local_port_range | tr -s '\t ' ' ')" "40000 40009" "range untouched"
echo ok
