#!/bin/sh
# audit --netns/--pid/--all-netns against real namespaces made here: one
# with its ports running out (a 1,000-port range, tcp_tw_reuse=0, 20 new
# client-closed connections a second from tcpgen: 1,200 ports needed), one
# with a short tcp_retries2 (a warning of another kind), one conntrack-heavy (an nft rule that tracks loopback flows, 2,500
# real entries), one quiet. The report names the right namespace, sections
# come worst first, the exit code is the worst one's, and each section's
# findings equal those of `ip netns exec NS headroom audit`.
. "$(dirname "$0")/lib.sh"
hr_require_netns
command -v python3 >/dev/null || skip "needs python3"
TCPGEN="$HR_TESTBIN/helpers/tcpgen"
[ -x "$TCPGEN" ] || skip "needs tests/helpers/tcpgen (make check builds it)"

ex=$(hr_ns ex)
warn=$(hr_ns warn)
ct=$(hr_ns ct)
quiet=$(hr_ns quiet)
hr_in "$ex" sysctl -qw net.ipv4.ip_local_port_range="40000 40999" net.ipv4.tcp_tw_reuse=0
hr_in "$warn" sysctl -qw net.ipv4.tcp_retries2=5
ct_entries=0
# Under CI the conntrack-heavy namespace must really be there.
[ "${CI:-}" = true ] && hr_need_tool nft nftables
if command -v nft >/dev/null && printf 'table inet hrct {\n chain out {\n  type filter hook output priority 0;\n  ct state new counter\n }\n}\n' |
	hr_in "$ct" nft -f - 2>/dev/null; then
	hr_in "$ct" sysctl -qw net.ipv4.tcp_tw_reuse=1
	hr_in "$ct" timeout 30 "$TCPGEN" fill --connect 127.0.0.1:5781 --count 2500 --serve --quiet >/dev/null
	ct_entries=$(hr_in "$ct" cat /proc/sys/net/netfilter/nf_conntrack_count 2>/dev/null || echo 0)
fi
if [ "$ct_entries" -lt 2500 ]; then
	[ "${CI:-}" = true ] && fail "only $ct_entries conntrack entries in $ct (nft or nf_conntrack missing); CI must run the conntrack checks"
	note "no conntrack entries in $ct (nft or nf_conntrack missing): conntrack checks skipped"
fi
# A steady rate (a one-off burst's observed rate decays as it ages).
hr_bg "$ex" "$TCPGEN" server --listen 127.0.0.1:5780 --close client --duration 90 --quiet
i=0
until hr_in "$ex" ss -Hltn 'sport = :5780' | grep -q LISTEN || [ $i -ge 50 ]; do sleep 0.1; i=$((i + 1)); done
hr_bg "$ex" "$TCPGEN" client --connect 127.0.0.1:5780 --rate 20 --duration 90 --close client --quiet
sleep 3

# The namespaces one by one, the way an operator would.
for ns in $ex $warn $ct $quiet; do
	rc=0
	hr_in "$ns" "$HR_BIN" audit --interval 0 --format json >"$T/one-$ns.json" 2>"$T/err" || rc=$?
	[ "$rc" -le 2 ] || fail "audit inside $ns: exit $rc: $(cat "$T/err")"
done
# All four in one run.
rc=0
"$HR_BIN" audit --netns "$ex" --netns "$warn" --netns "$ct" --netns "$quiet" --interval 0 --format json \
	>"$T/four.json" 2>"$T/err" || rc=$?
assert_eq "$rc" 2 "exit code of the four namespaces (the exhausted one is critical)"
rc=0
"$HR_BIN" audit --all-netns --interval 0 --format json >"$T/all.json" 2>"$T/err" || rc=$?
[ "$rc" -le 3 ] || fail "audit --all-netns: exit $rc: $(cat "$T/err")"

cat >"$T/check.py" <<'PY'
import json, sys
T, ex, warn, ct, quiet, ct_entries, rc_all = sys.argv[1:8]
ct_entries, rc_all = int(ct_entries), int(rc_all)
rank = {"CRITICAL": 0, "UNKNOWN": 1, "WARNING": 2, "OK": 3}

def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)

def section(rep, name):
    s = [x for x in rep["namespaces"] if name in x["netns"]["names"]]
    if len(s) != 1:
        fail("%d sections for %s" % (len(s), name))
    return s[0]

def key(f, with_severity=True):
    return (f["rule"], f.get("subject"), f["severity"] if with_severity else None)

def problems(rep):
    return sorted(key(f) for f in rep["findings"] if f["severity"] in ("critical", "warning"))

for what in ("four", "all"):
    rep = json.load(open("%s/%s.json" % (T, what)))
    host, secs = rep["host"], rep["namespaces"]
    # Worst first, and the host verdict is the worst section's.
    ranks = [rank[s["summary"]["status"]] for s in secs]
    if ranks != sorted(ranks):
        fail("%s: sections not worst first: %s" % (what, [s["summary"]["status"] for s in secs]))
    if host["exit_code"] != secs[0]["summary"]["exit_code"] or host["status"] != secs[0]["summary"]["status"]:
        fail("%s: host %s is not the worst section's %s" % (what, host["status"], secs[0]["summary"]["status"]))
    if host["namespaces"] != len(secs):
        fail("%s: host counts %d namespaces, %d sections" % (what, host["namespaces"], len(secs)))
    # Each namespace once (identity: inode), named ones with their name.
    inodes = [s["netns"]["inode"] for s in secs]
    if len(set(inodes)) != len(inodes):
        fail("%s: a namespace appears twice: %s" % (what, inodes))
    e = section(rep, ex)
    if e["summary"]["status"] != "CRITICAL":
        fail("%s: %s is %s, not CRITICAL" % (what, ex, e["summary"]["status"]))
    pf = [f for f in e["findings"] if f["rule"] == "ports.timewait-exhaustion" and f["subject"] == "127.0.0.1:5780"]
    if not pf or pf[0]["severity"] != "critical" or pf[0]["metrics"]["ports_usable"] != 1000:
        fail("%s: %s: no critical ports.timewait-exhaustion for 127.0.0.1:5780 with 1000 usable ports" % (what, ex))
    w = section(rep, warn)
    if w["summary"]["status"] != "WARNING" or problems(w) != [("timeouts.retries2", None, "warning")]:
        fail("%s: %s: %s %s" % (what, warn, w["summary"]["status"], problems(w)))
    q = section(rep, quiet)
    if q["summary"]["status"] != "OK":
        fail("%s: %s (quiet) is %s: %s" % (what, quiet, q["summary"]["status"], problems(q)))
    # The exhausted namespace is named in the host verdict when it is the worst.
    if what == "four" and ex not in host["verdict"] and ct not in host["verdict"]:
        fail("four: host verdict names neither critical namespace: " + host["verdict"])
    if what == "all" and rc_all != host["exit_code"]:
        fail("all: exit %d, host exit_code %d" % (rc_all, host["exit_code"]))
    # Global keys: a child's tcp_mem comes from the initial namespace.
    src = e["facts"]["sysctls"]["net.ipv4.tcp_mem"].get("source", "")
    if "initial network namespace" not in src:
        fail("%s: %s: tcp_mem not filled from the initial namespace: %s" % (what, ex, src))
    # The same findings as auditing inside each namespace.
    for ns in (ex, warn, ct, quiet):
        one = json.load(open("%s/one-%s.json" % (T, ns)))
        s = section(rep, ns)
        # The conntrack namespace's severity follows a closing rate that
        # decays as its burst ages; compare its rules and subjects.
        sev = ns != ct
        # Rules over global keys (tcp_mem, tcp_max_orphans: absent in a
        # child) are evaluated only here, where the initial namespace's
        # values fill them in; inside the child they cannot be
        # (buffers.oversized needs net.ipv4.tcp_mem[1], rules/buffers.yaml).
        glob = ("memory.tcp-mem", "memory.orphans")
        glob_needs = glob + ("buffers.oversized",)
        a = sorted(key(f, sev) for f in s["findings"] if f["rule"] not in glob_needs)
        b = sorted(key(f, sev) for f in one["findings"] if f["rule"] not in glob_needs)
        got = set(f["rule"] for f in s["findings"] if f["rule"] in glob)
        if got != set(glob):
            fail("%s: %s: global-key rules not evaluated from the initial namespace: %s" % (what, ns, sorted(got)))
        if a != b:
            fail("%s: %s: findings differ from ip netns exec:\n  %s\n  %s" % (what, ns, a, b))
        if s["summary"]["rules_loaded"] != one["summary"]["rules_loaded"]:
            fail("%s: %s: rules_loaded differ" % (what, ns))
    if ct_entries >= 2500:
        c = section(rep, ct)
        m = [f for f in c["findings"] if f["rule"] == "conntrack.table"]
        one = [f for f in json.load(open("%s/one-%s.json" % (T, ct)))["findings"] if f["rule"] == "conntrack.table"]
        if not m or m[0]["metrics"]["count"] != ct_entries or one[0]["metrics"]["count"] != ct_entries:
            fail("%s: %s: conntrack count %s (inside: %s), the kernel says %d" %
                 (what, ct, m and m[0]["metrics"]["count"], one and one[0]["metrics"]["count"], ct_entries))
        for other in (ex, warn, quiet):
            o = [f for f in section(rep, other)["findings"] if f["rule"] == "conntrack.table"]
            if o and o[0]["metrics"]["count"] != 0:
                fail("%s: %s sees %s's conntrack entries" % (what, other, ct))
print("ok")
PY
python3 "$T/check.py" "$T" "$ex" "$warn" "$ct" "$quiet" "$ct_entries" "$rc" || fail "report checks"

# The text report: the host verdict first, one titled section per namespace.
rc=0
"$HR_BIN" audit --netns "$quiet" --netns "$ex" --interval 0 >"$T/two.txt" 2>&1 || rc=$?
assert_eq "$rc" 2 "text: exit code"
head -n 1 "$T/two.txt" | grep -q "^Host: CRITICAL: .*worst: $ex: CRITICAL: connections to 127.0.0.1:5780" ||
	fail "text: host verdict: $(head -n 1 "$T/two.txt")"
first=$(grep -n "^=== Network namespace $ex (ip netns)" "$T/two.txt" | cut -d: -f1)
second=$(grep -n "^=== Network namespace $quiet (ip netns)" "$T/two.txt" | cut -d: -f1)
[ -n "$first" ] && [ -n "$second" ] && [ "$first" -lt "$second" ] || fail "text: sections not worst first"
tail -n 1 "$T/two.txt" | grep -q "^Host: 2 network namespaces; exit 2 (CRITICAL)$" || fail "text: last line: $(tail -n 1 "$T/two.txt")"

# Counter rates with one interval shared by every namespace: the first
# samples of all, one wait, the second samples (3 x 2 s one after the other
# would take over 6 s). ActiveOpens: 20/s where tcpgen runs, 0 elsewhere.
t0=$(date +%s.%N)
"$HR_BIN" audit --netns "$ex" --netns "$quiet" --netns "$warn" --interval 2 --format json >"$T/rates.json" 2>"$T/err" || true
t1=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 5) }' || fail "3 namespaces at --interval 2 took $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') s"
r='[s["facts"]["rates"]["rate.Tcp.ActiveOpens"]["value"] for s in d["namespaces"] if "%s" in s["netns"]["names"]][0]'
assert_within "$(jget "$T/rates.json" "$(printf "$r" "$ex")")" 20 30 "ActiveOpens/s in $ex"
assert_eq "$(jget "$T/rates.json" "$(printf "$r" "$quiet")")" 0 "ActiveOpens/s in $quiet"
assert_eq "$(jget "$T/rates.json" '[s["facts"]["probe"]["interval_s"] for s in d["namespaces"]]')" "[2, 2, 2]" "interval of each"
jget "$T/rates.json" '[s["facts"]["rates"]["rate.Tcp.ActiveOpens"]["source"] for s in d["namespaces"]][0]' |
	grep -q '^/proc/net/snmp over 2' || fail "rate source"

# --pid: the namespace of a process started in one, with the process named.
hr_bg "$warn" sleep 60
pid=$HR_LASTPID
sleep 0.3
rc=0
"$HR_BIN" audit --pid "$pid" --interval 0 --format json >"$T/pid.json" 2>"$T/err" || rc=$?
assert_eq "$rc" 1 "--pid: exit code of the warning namespace"
assert_eq "$(jget "$T/pid.json" '[(p["pid"], p["comm"]) for p in d["namespaces"][0]["netns"]["pids"]]')" \
	"[($pid, 'sleep')]" "--pid: the process holding it"
assert_eq "$(jget "$T/pid.json" 'd["namespaces"][0]["netns"]["names"]')" "['$warn']" "--pid: the namespace's name"
assert_eq "$(jget "$T/pid.json" 'sorted((f["rule"], f["severity"]) for f in d["namespaces"][0]["findings"] if f["severity"] != "ok")')" \
	"$(jget "$T/one-$warn.json" 'sorted((f["rule"], f["severity"]) for f in d["findings"] if f["severity"] != "ok")')" \
	"--pid: findings as inside the namespace"
# The same namespace by name and by pid is one section.
"$HR_BIN" audit --pid "$pid" --netns "$warn" --interval 0 --format json >"$T/dup.json" 2>/dev/null || true
assert_eq "$(jget "$T/dup.json" 'len(d["namespaces"])')" 1 "--pid and --netns of one namespace"
# probe --pid: the facts of that namespace (its own tcp_retries2).
"$HR_BIN" probe --pid "$pid" --interval 0 --format json >"$T/probe.json" 2>"$T/err" || fail "probe --pid: $(cat "$T/err")"
assert_eq "$(jget "$T/probe.json" 'd["namespaces"][0]["facts"]["sysctls"]["net.ipv4.tcp_retries2"]["value"]')" 5 "probe --pid: the namespace's value"

# Refusals: names with '/' or '..', a missing namespace, a missing process, --root.
for bad in "../$ex" "a/b" ".."; do
	rc=0
	"$HR_BIN" audit --netns "$bad" >/dev/null 2>"$T/err" || rc=$?
	assert_eq "$rc" 3 "--netns '$bad'"
	grep -q "not an 'ip netns' name" "$T/err" || fail "--netns '$bad': $(cat "$T/err")"
done
rc=0
"$HR_BIN" audit --netns "hr$$-none" >/dev/null 2>"$T/err" || rc=$?
assert_eq "$rc" 3 "missing namespace"
grep -q "no such network namespace" "$T/err" || fail "missing namespace: $(cat "$T/err")"
rc=0
"$HR_BIN" audit --pid 999999999 >/dev/null 2>"$T/err" || rc=$?
assert_eq "$rc" 3 "bad --pid"
rc=0
"$HR_BIN" audit --netns "$ex" --root "$T" >/dev/null 2>"$T/err" || rc=$?
assert_eq "$rc" 3 "--root with --netns"
# Without the capability setns needs: the section says so, UNKNOWN, exit 3.
if command -v setpriv >/dev/null; then
	rc=0
	setpriv --reuid=65534 --regid=65534 --clear-groups "$HR_BIN" audit --netns "$quiet" --interval 0 \
		>"$T/nopriv.txt" 2>&1 || rc=$?
	assert_eq "$rc" 3 "unprivileged --netns"
	grep -q "cannot enter the namespace: permission denied (entering a network namespace needs CAP_SYS_ADMIN" \
		"$T/nopriv.txt" || fail "unprivileged: $(cat "$T/nopriv.txt")"
fi
echo ok
