#!/bin/sh
# The lab of issue 19 with real programs: nginx (Debian package, a private
# prefix and config under $T, no system service; keep-alive, so every curl
# closes first and keeps the TIME_WAIT) in one namespace, curl (one process
# per request, as a shell loop runs it) in another, the client's port range
# narrowed to 200 ports. 150 requests use most of it before the trace; then
# `audit --trace 3` runs while a loop of curls (at most 400) goes on until
# the audit ends: the first 49 get the last ports, the rest fail with
# EADDRNOTAVAIL (curl exit 7). Checked against curl's own counts of the
# requests it started inside the traced window (each start time logged):
# the audit names curl in a CRITICAL finding, its EADDRNOTAVAIL count toward
# nginx equals curl's failed count (within 5%), and the traced rate of
# connect() attempts (opens plus failures, per second) equals curl's
# request rate in the window (within 5%).
# nginx is killed by its pid; the namespaces go with the test.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/trace-lib.sh"
hr_require_netns
command -v python3 >/dev/null || skip "needs python3"
hr_need_tool curl curl
hr_need_tool nginx nginx
hr_need_trace

C=$(hr_ns nc)
S=$(hr_ns ns)
hr_link "$C" 10.79.0.1 "$S" 10.79.0.2
hr_in "$C" sysctl -qw net.ipv4.ip_local_port_range="40000 40199"

# nginx: everything it writes under $T/nginx; it stays in the foreground
# (daemon off) so that its pid is the one hr_bg recorded.
N="$T/nginx"
mkdir -p "$N/logs" "$N/tmp"
cat >"$N/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $N/nginx.pid;
error_log $N/logs/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	keepalive_timeout 120s;
	keepalive_requests 100000;
	client_body_temp_path $N/tmp/body;
	proxy_temp_path $N/tmp/proxy;
	fastcgi_temp_path $N/tmp/fastcgi;
	uwsgi_temp_path $N/tmp/uwsgi;
	scgi_temp_path $N/tmp/scgi;
	server {
		listen 10.79.0.2:8080;
		location / { return 200 "ok\n"; }
	}
}
EOF
hr_bg "$S" nginx -p "$N" -e "$N/logs/error.log" -c "$N/nginx.conf"
nginx_pid=$HR_LASTPID
i=0
until hr_in "$C" curl -s -o /dev/null --max-time 1 http://10.79.0.2:8080/ || [ $i -ge 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ $i -lt 50 ] || fail "nginx did not answer: $(cat "$N/logs/error.log")"

# 150 requests (with the probe above: 151 of the 200 ports in TIME_WAIT).
ok=0
for i in $(seq 150); do
	hr_in "$C" curl -s -o /dev/null --max-time 2 http://10.79.0.2:8080/ && ok=$((ok + 1))
done
assert_eq "$ok" 150 "requests before the trace"
tw=$(hr_in "$C" ss -Htan state time-wait dst 10.79.0.2 | wc -l)
note "TIME_WAIT toward nginx before the trace: $tw (curl closed first)"

before=$(tr_links)
hr_bg "$C" "$HR_BIN" audit -q --interval 0 --trace 3 --format json >"$T/a.json"
audit=$HR_LASTPID
tr_wait_more "$before"
now_ms() { date +%s%3N; }
# The trace started at most one poll (50 ms) before we saw it: t0 is the middle.
t0=$(($(now_ms) - 25))
# curl, one process per request, until the audit ends (at most 400): each
# request's start time and exit status, to count those inside the window.
req=0
: >"$T/curl.log"
while kill -0 "$audit" 2>/dev/null && [ $req -lt 400 ]; do
	start=$(now_ms)
	rc=0
	hr_in "$C" curl -s -o /dev/null --max-time 2 http://10.79.0.2:8080/ || rc=$?
	echo "$start $rc" >>"$T/curl.log"
	req=$((req + 1))
done
rc=0
wait "$audit" || rc=$?
[ "$rc" -le 2 ] || fail "audit --trace: exit $rc"
kill "$nginx_pid" 2>/dev/null || true
wait "$nginx_pid" 2>/dev/null || true
awk '$2 != 0 && $2 != 7 { print "curl exit " $2 " at " $1; bad = 1 } END { exit bad }' "$T/curl.log" ||
	fail "curl failed otherwise than exit 7 (above)"

python3 - "$T/a.json" "$T/curl.log" "$t0" <<'EOF' || fail "audit --trace against curl's own counts (above)"
import json, sys
d = json.load(open(sys.argv[1]))
tr = d['trace']
assert tr['traced'] is True, tr
secs = tr['seconds']
t0 = int(sys.argv[3])
# curl's own counts: the requests it started inside the traced window.
runs = [tuple(int(x) for x in l.split()) for l in open(sys.argv[2])]
win = [rc for start, rc in runs if t0 <= start < t0 + secs * 1000]
req, cok, cfail = len(win), win.count(0), win.count(7)
assert cok > 0 and cfail > 0, ('the window did not cross the exhaustion', cok, cfail)
cf = [x for x in tr['connect_failures'] if x['comm'] == 'curl' and x['destination'] == '10.79.0.2:8080']
assert cf and all(x['error'] == 'EADDRNOTAVAIL' for x in cf), tr['connect_failures']
traced_fail = sum(x['count'] for x in cf)
assert abs(traced_fail - cfail) <= 0.05 * cfail, ('EADDRNOTAVAIL', traced_fail, 'curl', cfail)
dd = [x for x in tr['destinations'] if x['subject'] == '10.79.0.2:8080']
assert len(dd) == 1, tr['destinations']
dd = dd[0]
# Every curl is one connect() attempt: an open or a failure.
traced_rate = (dd['opens'] + dd['connect_failures'].get('EADDRNOTAVAIL', 0)) / secs
curl_rate = req / secs
assert abs(traced_rate - curl_rate) <= 0.05 * curl_rate, ('rate', traced_rate, 'curl', curl_rate, dd)
assert abs(dd['opens'] - cok) <= 0.05 * cok, ('opens', dd['opens'], 'curl answered', cok)
assert dd['local_closed_first'] == dd['closed'], dd  # curl closed first: nginx keeps alive
f = [x for x in d['findings'] if x['rule'] == 'trace.connect-failing' and x['subject'] == 'curl->10.79.0.2:8080/EADDRNOTAVAIL']
assert len(f) == 1 and f[0]['severity'] == 'critical', f
m = f[0]['message']
assert m.startswith('confirmed: %d connect() calls by curl (pid ' % traced_fail) and 'failed with EADDRNOTAVAIL toward 10.79.0.2:8080' in m, m
print('# curl in the %.3f s window: %d requests, %d answered, %d failed (exit 7); %d in all' % (secs, req, cok, cfail, len(runs)))
print('# traced: %d EADDRNOTAVAIL by curl, %d opens; %.1f attempts/s (curl: %.1f/s)' % (traced_fail, dd['opens'], traced_rate, curl_rate))
print('# finding: ' + m)
EOF
