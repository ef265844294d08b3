#!/bin/sh
# The facts model holds at most HR_FACTS_MAX_DESTS (65,536) destinations
# one by one (src/bounds.h): a tree with 1,000,000 sockets to distinct
# remote addresses keeps memory within a stated cap, the rest are folded
# into "other destinations" whose counts add up, the report and JSON say
# so, and the audit over it still runs and says it folded.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "needs python3"
[ -x /usr/bin/time ] || skip "needs /usr/bin/time for peak memory"
# The cap (issue 20, item 6): 64 MiB for probe and audit, text, JSON,
# Nagios and Prometheus (also --textfile):
# ~27 MiB of aggregates and hash for 65,536 destinations, their copy for the
# report (~140 bytes each: the JSON objects are made one at a time as
# written, lazy.c), and at most 50 findings per rule and severity made by
# the evaluation; JSON has every finding all the same, the others made
# again one at a time as the report is written (src/bounds.h).
N=1000000 HELD=65536 CAP_KIB=65536 JSON_AUDIT_CAP_KIB=65536
# The caps are the plain build's: AddressSanitizer's shadow memory and
# quarantine (the CI's --enable-asan pass) are reported, not capped.
if grep -q __asan_init "$HR_BIN" 2>/dev/null; then
	CAP_KIB=0 JSON_AUDIT_CAP_KIB=0
	note "AddressSanitizer build: peak RSS reported, not capped"
fi
# peak WHAT KIB CAP: fails when KIB is over CAP KiB (0: no cap).
peak() {
	[ "$3" = 0 ] || [ "$2" -le "$3" ] || fail "$1: peak RSS $2 KiB over the cap of $3 KiB"
}

"$HR_BIN" snapshot -o "$T/r" --quiet 2>/dev/null || fail "snapshot of this system"
# N sockets from 10.0.0.1 (outside any listening port) to N distinct
# addresses 11.x.y.z:443, a quarter TIME_WAIT; then the listeners go first.
python3 - "$T/r/proc/net/tcp" "$N" <<'PY'
import sys
n = int(sys.argv[2])
with open(sys.argv[1], "w") as f:
    f.write("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n")
    for i in range(n):
        a = 11 << 24 | (i + 1)
        dst = "%02X%02X%02X%02X" % (a & 255, a >> 8 & 255, a >> 16 & 255, a >> 24)
        st, tm = ("06", "03:00000BB8") if i % 4 == 0 else ("01", "00:00000000")
        f.write("%4d: 0100000A:%04X %s:01BB %s 00000000:00000000 %s 00000000  1000        0 %d 1\n"
                % (i, 1024 + i % 60000, dst, st, tm, i + 1))
PY
: >"$T/r/proc/net/tcp6"
rc=0
/usr/bin/time -f "%M %e" -o "$T/time" "$HR_BIN" probe --root "$T/r" --format json >"$T/p.json" 2>"$T/p.err" || rc=$?
set -- $(tail -1 "$T/time"); rss=$1 secs=$2
note "probe --format json of $N distinct destinations: ${secs} s, peak RSS ${rss} KiB (cap ${CAP_KIB} KiB)"
assert_eq "$rc" 0 "probe exit status"
peak "probe --format json" "$rss" "$CAP_KIB"
python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$T/p.json" || fail "probe JSON does not parse"
s='d["facts"]["sockets"]'
assert_eq "$(jget "$T/p.json" "len($s['destinations'])")" "$HELD" "destinations held one by one"
assert_eq "$(jget "$T/p.json" "$s['other_destinations']['destinations_held']")" "$HELD" "held, as reported"
assert_eq "$(jget "$T/p.json" "$s['outbound']")" "$N" "outbound sockets"
assert_eq "$(jget "$T/p.json" "sum(x['in_use'] for x in $s['destinations']) + $s['other_destinations']['in_use']")" \
	"$N" "destinations + other add up to the outbound sockets"
assert_eq "$(jget "$T/p.json" "$s['other_destinations']['in_use']")" "$((N - HELD))" "sockets folded"
assert_eq "$(jget "$T/p.json" "sum(x['timewait'] for x in $s['destinations']) + $s['other_destinations']['timewait']")" \
	"$(jget "$T/p.json" "$s['states']['TIME_WAIT']")" "TIME_WAIT adds up"
grep -qF "sockets: more than $HELD destinations: $((N - HELD)) sockets toward the rest were folded into 'other destinations'" "$T/p.err" ||
	fail "stderr does not say it folded: $(cat "$T/p.err")"
/usr/bin/time -f "%M %e" -o "$T/time" "$HR_BIN" probe --root "$T/r" >"$T/p.txt" 2>/dev/null || fail "text probe"
set -- $(tail -1 "$T/time"); rss=$1 secs=$2
note "probe (text) of $N distinct destinations: ${secs} s, peak RSS ${rss} KiB (cap ${CAP_KIB} KiB)"
peak "probe (text)" "$rss" "$CAP_KIB"
grep -qF "Top destinations (10 of $HELD, by local ports in use)" "$T/p.txt" ||
	fail "text probe does not count every held destination: $(grep 'Top destinations' "$T/p.txt")"
want=$(python3 -c 'import sys; n, h = int(sys.argv[1]), int(sys.argv[2]); print("Other destinations (beyond the {:,} held one by one): {:,} in use".format(h, n - h))' "$N" "$HELD")
grep -qF "$want" "$T/p.txt" ||
	fail "text report lacks the other destinations: $(grep -i destination "$T/p.txt")"

# The audit over it: runs (exit 0-2), in bounded memory, and says it folded.
rc=0
/usr/bin/time -f "%M %e" -o "$T/time" "$HR_BIN" audit --root "$T/r" --quiet --format json >"$T/a.json" 2>"$T/a.err" || rc=$?
set -- $(tail -1 "$T/time"); rss=$1 secs=$2
note "audit --format json of $N distinct destinations: ${secs} s, peak RSS ${rss} KiB (cap ${JSON_AUDIT_CAP_KIB} KiB), exit $rc"
[ "$rc" -le 2 ] || fail "audit exit $rc: $(head -c 600 "$T/a.err")"
peak "audit --format json" "$rss" "$JSON_AUDIT_CAP_KIB"
assert_eq "$(jget "$T/a.json" "len(d['facts']['sockets']['destinations'])")" "$HELD" "audit JSON: destinations held one by one"
jget "$T/a.json" 'd["facts"]["sockets"]["other_destinations"]["in_use"]' | grep -qx "$((N - HELD))" ||
	fail "audit JSON lacks the folded sockets"
grep -qF "were folded into 'other destinations'" "$T/a.json" || fail "audit JSON problems do not say it folded"
rc=0
/usr/bin/time -f "%M %e" -o "$T/time" "$HR_BIN" audit --root "$T/r" --quiet >"$T/a.txt" 2>/dev/null || rc=$?
set -- $(tail -1 "$T/time"); rss=$1 secs=$2
note "audit (text) of $N distinct destinations: ${secs} s, peak RSS ${rss} KiB (cap ${CAP_KIB} KiB), exit $rc"
[ "$rc" -le 2 ] || fail "audit (text) exit $rc"
peak "audit (text)" "$rss" "$CAP_KIB"
want=$(python3 -c 'import sys; n, h = int(sys.argv[1]), int(sys.argv[2]); print("Other destinations: {:,} sockets toward destinations beyond the {:,} held one by one were folded together".format(n - h, h))' "$N" "$HELD")
grep -qF "$want" "$T/a.txt" || fail "audit text does not say it folded"
# Nagios: the perfdata is the worst over every finding (made again once).
/usr/bin/time -f "%M %e" -o "$T/time" "$HR_BIN" audit --root "$T/r" --quiet --format nagios >"$T/a.nagios" 2>/dev/null || true
set -- $(tail -1 "$T/time"); rss=$1 secs=$2
note "audit --format nagios of $N distinct destinations: ${secs} s, peak RSS ${rss} KiB (cap ${CAP_KIB} KiB)"
peak "audit --format nagios" "$rss" "$CAP_KIB"
want=$(jget "$T/a.json" 'd["summary"]["verdict"] + " | " + " ".join("\x27%s\x27=%s%s;;;0" % (p["label"], p["value"], p["unit"]) for p in d["summary"]["perfdata"])')
grep -qF "$want" "$T/a.nagios" || fail "nagios line differs from the JSON's verdict and perfdata: $(head -c 400 "$T/a.nagios") (want $want)"
# Prometheus, on stdout and as the --textfile: one pass over the findings
# (made one at a time), each family's lines in a temporary file put
# together in family order (render-prom.c); the textfile streamed to its
# temporary file and renamed (hr_persist_write_fill).
mkdir "$T/tf"
/usr/bin/time -f "%M %e" -o "$T/time" "$HR_BIN" audit --root "$T/r" --quiet --format prometheus >"$T/a.prom" 2>/dev/null || true
set -- $(tail -1 "$T/time"); rss=$1 secs=$2
note "audit --format prometheus of $N distinct destinations: ${secs} s, peak RSS ${rss} KiB (cap ${CAP_KIB} KiB)"
peak "audit --format prometheus" "$rss" "$CAP_KIB"
/usr/bin/time -f "%M %e" -o "$T/time" "$HR_BIN" audit --root "$T/r" --quiet --textfile "$T/tf" >/dev/null 2>&1 || true
set -- $(tail -1 "$T/time"); rss=$1 secs=$2
note "audit --textfile of $N distinct destinations: ${secs} s, peak RSS ${rss} KiB (cap ${CAP_KIB} KiB)"
peak "audit --textfile" "$rss" "$CAP_KIB"
[ -f "$T/tf/headroom.prom" ] || fail "no textfile written"
ls "$T/tf" | grep -q headroom-tmp && fail "a temporary file left in the textfile dir: $(ls "$T/tf")"
# The same exposition but the times of the run.
clock='^headroom_audit_(duration|timestamp)_seconds '
grep -Ev "$clock" "$T/a.prom" >"$T/a1.prom"
grep -Ev "$clock" "$T/tf/headroom.prom" >"$T/a2.prom"
cmp -s "$T/a1.prom" "$T/a2.prom" || fail "the textfile differs from --format prometheus: $(diff "$T/a1.prom" "$T/a2.prom" | head -5)"
# Text on stdout and the textfile at once: text reads the held findings,
# the textfile every one made as written; both as when written alone.
mkdir "$T/tf2"
/usr/bin/time -f "%M %e" -o "$T/time" "$HR_BIN" audit --root "$T/r" --quiet --format text --textfile "$T/tf2" >"$T/t2.txt" 2>/dev/null || true
set -- $(tail -1 "$T/time"); rss=$1 secs=$2
note "audit --format text --textfile of $N distinct destinations: ${secs} s, peak RSS ${rss} KiB (cap ${CAP_KIB} KiB)"
peak "audit --format text --textfile" "$rss" "$CAP_KIB"
grep -Ev "$clock" "$T/tf2/headroom.prom" | cmp -s - "$T/a1.prom" || fail "text + textfile: the textfile differs from --format prometheus"
grep -Ev 'Captured|took|duration' "$T/t2.txt" >"$T/t2a.txt"
grep -Ev 'Captured|took|duration' "$T/a.txt" | cmp -s - "$T/t2a.txt" || fail "text + textfile: the text differs from text alone: $(grep -Ev 'Captured|took|duration' "$T/a.txt" | diff - "$T/t2a.txt" | head -5)"
# Complete: a severity series per finding, a series per finding with the
# family's metric, each family's lines together, HELP and TYPE once.
python3 - "$T/a.json" "$T/a.prom" <<'PY' || fail "prometheus exposition incomplete"
import json, re, sys
d = json.load(open(sys.argv[1]))
fams, help_, order, seen = {}, {}, [], set()
for line in open(sys.argv[2]):
    if line.startswith("# HELP "):
        name, text = line[7:].split(" ", 1)
        assert name not in help_, "HELP twice: " + name
        help_[name] = text
        continue
    if line.startswith("#"):
        continue
    name = re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0)
    if not order or order[-1] != name:
        assert name not in order, "family %s not together" % name
        order.append(name)
    assert line not in seen, "series twice: " + line
    seen.add(line)
    fams[name] = fams.get(name, 0) + 1
sev = sum(1 for f in d["findings"] if f["severity"] in ("ok", "info", "warning", "critical"))
assert fams["headroom_finding_severity"] == sev == sum(d["summary"]["counts"][k] for k in ("critical", "warning", "info", "ok")), \
    (fams["headroom_finding_severity"], sev)
num = lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)
checked = 0
for name, text in help_.items():
    m = re.match(r"Metric (\S+) of rules? ", text)
    if not m:
        continue
    want = sum(1 for f in d["findings"] if num(f.get("metrics", {}).get(m.group(1))))
    assert fams.get(name, 0) == want, "%s: %d series, %d findings with %s" % (name, fams.get(name, 0), want, m.group(1))
    checked += 1
assert checked > 10, checked
print("families", len(order), "series", sum(fams.values()), "severity", sev, file=sys.stderr)
PY
if command -v promtool >/dev/null; then
	promtool check metrics <"$T/a.prom" >"$T/promtool.out" 2>&1 || { head -20 "$T/promtool.out" >&2; fail "promtool check metrics"; }
fi
# --netns of a live namespace at the bound: each namespace's findings are
# made as written as in a single audit (cmd-audit.c), so the same cap.
# 70,000 TIME_WAIT sockets toward distinct loopback addresses (bounded in
# count and time; they last 60 s, the audits take a few seconds).
if [ "$(id -u)" -eq 0 ] && command -v ip >/dev/null && ns=$(hr_ns big 2>/dev/null); then
	hr_in "$ns" sysctl -qw net.ipv4.tcp_max_tw_buckets=262144
	hr_in "$ns" python3 - 70000 <<'PY' || fail "TIME_WAIT sockets in $ns"
import socket, sys, time
n, t0 = int(sys.argv[1]), time.time()
l = socket.socket()
l.bind(("0.0.0.0", 7000))
l.listen(1024)
for i in range(1, n + 1):
    if time.time() - t0 > 30:
        break
    c = socket.socket()
    c.connect(("127.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255, i & 255), 7000))
    s, _ = l.accept()
    c.close()  # the client closes first: its side in TIME_WAIT
    s.close()
PY
	ntw=$(hr_in "$ns" ss -Htan state time-wait | wc -l)
	for fmt in prometheus text; do
		/usr/bin/time -f "%M %e" -o "$T/time" "$HR_BIN" audit --netns "$ns" --quiet --interval 0.1 --format $fmt >"$T/ns.$fmt" 2>/dev/null || true
		set -- $(tail -1 "$T/time"); rss=$1 secs=$2
		note "audit --netns --format $fmt of $ntw TIME_WAIT sockets to distinct destinations: ${secs} s, peak RSS ${rss} KiB (cap ${CAP_KIB} KiB)"
		peak "audit --netns --format $fmt" "$rss" "$CAP_KIB"
	done
	# watch reads the findings beyond the worst made one at a time (watch.c).
	/usr/bin/time -f "%M %e" -o "$T/time" ip netns exec "$ns" "$HR_BIN" watch --count 1 --interval 0.1 >"$T/ns.watch" 2>&1 || true
	set -- $(tail -1 "$T/time"); rss=$1 secs=$2
	note "watch --count 1 in that namespace: ${secs} s, peak RSS ${rss} KiB (cap ${CAP_KIB} KiB)"
	peak "watch" "$rss" "$CAP_KIB"
	if [ "$ntw" -gt "$HELD" ]; then
		n=$(grep -c '^headroom_finding_severity{.*rule="ports.timewait-exhaustion"' "$T/ns.prometheus")
		assert_eq "$n" "$HELD" "--netns prometheus: a port finding per held destination"
		grep -q " dests=$HELD " "$T/ns.watch" || fail "watch does not count every followed destination: $(head -c 300 "$T/ns.watch")"
	fi
else
	note "no network namespace here: --netns at the bound not measured"
fi
# --assume-file and --boot (a sysctl.d file in the tree): the baseline
# reduced to its critical findings (evaluated with the same hold), then
# each finding given its changed_by and new_critical as it is made
# (audit-files.c), the new critical ones listed from the findings as
# written: the same cap, JSON and text. With one local port every held
# destination's port finding is a new critical one, each listed.
printf 'net.ipv4.ip_local_port_range = 40000 40000\n' >"$T/one.conf"
mkdir -p "$T/r/etc/sysctl.d"
printf 'net.ipv4.tcp_fin_timeout = 30\nnet.ipv4.ip_local_port_range = 40000 40010\n' >"$T/r/etc/sysctl.d/90-narrow.conf"
for mode in assume-file boot; do
	# 65,536 new critical findings, each made about four times: about 50 s
	# here, minutes under AddressSanitizer (whose run caps nothing).
	if [ "$mode" = assume-file ] && [ "$CAP_KIB" = 0 ]; then
		note "AddressSanitizer build: --assume-file's worst case not run (its small cases: sysctld-audit.sh)"
		continue
	fi
	set -- --boot
	[ "$mode" = boot ] || set -- --assume-file "$T/one.conf"
	for fmt in json text; do
		/usr/bin/time -f "%M %e" -o "$T/time" "$HR_BIN" audit --root "$T/r" --quiet "$@" --format $fmt >"$T/f.$fmt" 2>"$T/f.err" || true
		rss=$(tail -1 "$T/time" | cut -d' ' -f1) secs=$(tail -1 "$T/time" | cut -d' ' -f2)
		note "audit --$mode --format $fmt of $N distinct destinations: ${secs} s, peak RSS ${rss} KiB (cap ${CAP_KIB} KiB)"
		peak "audit --$mode --format $fmt" "$rss" "$CAP_KIB"
	done
	jget "$T/f.json" 'd["summary"]["verdict"]' >/dev/null || fail "--$mode JSON does not parse: $(head -c 300 "$T/f.err")"
	part=what_if
	[ "$mode" = boot ] && part=boot
	if [ "$mode" = boot ]; then
		assert_eq "$(jget "$T/f.json" 'len([f for f in d["findings"] if any(c["source"].endswith("90-narrow.conf:2") for c in f.get("changed_by", []))])')" \
			"$HELD" "--boot: a port finding per held destination changed by the file"
		assert_eq "$(jget "$T/f.json" "len(d['summary']['$part']['new_critical'])")" 0 "--boot: no new critical finding"
		continue
	fi
	assert_eq "$(jget "$T/f.json" "len(d['summary']['$part']['new_critical'])")" "$HELD" "--$mode: a new critical finding per held destination"
	assert_eq "$(jget "$T/f.json" 'len([f for f in d["findings"] if f.get("new_critical") and f["changed_by"][0]["source"].endswith("/one.conf:1")])')" \
		"$HELD" "--$mode: findings marked new_critical, changed by the file"
	assert_eq "$(grep -c "^  creates critical ports.timewait-exhaustion .* ($T/one.conf:1)\$" "$T/f.text")" "$HELD" "--$mode text: every new critical one listed"
done
# People get the 20 worst destinations in the text table and a count of the
# rest (text makes only the findings it shows; the count is of every one);
# the JSON has every one, as many as the rule's subjects.
nport=$(jget "$T/a.json" 'len([f for f in d["findings"] if f["rule"] == "ports.timewait-exhaustion"])')
[ "$nport" -gt 20 ] || fail "only $nport port findings"
assert_eq "$nport" "$HELD" "a port finding per held destination in the JSON"
assert_eq "$(jget "$T/a.json" 'sum(d["summary"]["counts"][k] for k in ("critical", "warning", "info", "ok"))')" \
	"$(jget "$T/a.json" 'len(d["findings"])')" "JSON counts = findings"
# The text's counts are the JSON's (every subject), not the findings it made.
want=$(jget "$T/a.json" '"{critical} critical, {warning} warning, {info} info, {ok} ok, ".format(**d["summary"]["counts"])')
grep -qF "$want" "$T/a.txt" || fail "text counts differ from the JSON's ($want): $(tail -1 "$T/a.txt")"
want=$(jget "$T/a.json" 'len([f for f in d["findings"] if f["severity"] == "ok"])')
grep -qx "OK ($want)" "$T/a.txt" || fail "text OK count is not $want: $(grep '^OK (' "$T/a.txt")"
grep -qF "... and $((nport - 20)) more destinations (the table is worst first; every one: --format json)" "$T/a.txt" ||
	fail "text table not cut at 20: $(grep -c . "$T/a.txt") lines"
[ "$(wc -l <"$T/a.txt")" -lt 2000 ] || fail "audit text has $(wc -l <"$T/a.txt") lines"
echo ok
