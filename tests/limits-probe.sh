#!/bin/sh
# Input bounds of the probe under --root (src/bounds.h): a 2 GiB sparse
# /proc/net/tcp, a 10 MB single-line sysctl value and a 10 MB counter file
# each give one problem naming the file, are not read whole, and the rest
# of the tree is still reported.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "needs python3"
[ -x /usr/bin/time ] || skip "needs /usr/bin/time for peak memory and time"

"$HR_BIN" snapshot -o "$T/base" --quiet 2>/dev/null || fail "snapshot of this system"
"$HR_BIN" probe --root "$T/base" --format json >"$T/base.json" 2>/dev/null || fail "probe of the snapshot"
cp -r "$T/base" "$T/r"
# 1. /proc/net/tcp: its real lines, then zeros up to 2 GiB (a sparse file).
truncate -s 2G "$T/r/proc/net/tcp"
# 2. A sysctl value of 10 MB on one line (the kernel's are a few KiB at most).
python3 -c 'import sys; open(sys.argv[1], "w").write("1" * 10000000 + "\n")' "$T/r/proc/sys/net/core/somaxconn"
# 3. The snapshot's listener backlogs: its lines, then zeros up to 1 GiB.
nb=$(wc -l <"$T/r/headroom/backlogs")
truncate -s 1G "$T/r/headroom/backlogs"
# 4. A counter file of 10 MB.
python3 -c 'import sys; open(sys.argv[1], "a").write("TcpExt: " + "9 " * 5000000 + "\n")' "$T/r/proc/net/netstat"

rc=0
/usr/bin/time -f "%M %e" -o "$T/time" "$HR_BIN" probe --root "$T/r" --format json >"$T/r.json" 2>"$T/r.err" || rc=$?
set -- $(cat "$T/time"); rss=$1 secs=$2
note "2 GiB sparse proc/net/tcp + 10 MB sysctl + 1 GiB sparse backlogs + 10 MB netstat: ${secs} s, peak RSS ${rss} KiB"
assert_eq "$rc" 0 "exit status (the rest of the tree is usable)"
awk -v s="$secs" 'BEGIN { exit !(s < 1.0) }' || fail "probe took $secs s: the sparse file was read whole"
[ "$rss" -lt 65536 ] || fail "peak RSS $rss KiB"

# has SOURCE MESSAGE: on stderr and in the JSON problems, exactly once.
has() {
	n=$(grep -F "$1" "$T/r.err" | grep -cF "$2" || true)
	assert_eq "$n" 1 "stderr lines with '$1 ... $2' ($(cat "$T/r.err"))"
	A=$1 B=$2 python3 -c 'import json, os, sys
ps = [p["source"] + ": " + p["message"] for p in json.load(open(sys.argv[1]))["facts"]["problems"]]
sys.exit(len([p for p in ps if os.environ["A"] in p and os.environ["B"] in p]) != 1)' "$T/r.json" ||
		fail "problems lack '$1 ... $2' (once)"
}
nlines=$(python3 -c 'import sys; print(open(sys.argv[1], "rb").read(1 << 20).count(b"\n"))' "$T/r/proc/net/tcp")
has "proc/net/tcp:$((nlines + 1))" "longer than 4096 bytes (binary data: a NUL byte); rest of the file not read"
grep -c "proc/net/tcp" "$T/r.err" | grep -qx 1 || fail "more than one problem for the sparse file: $(cat "$T/r.err")"
has "proc/sys/net/core/somaxconn" "larger than 64 KiB"
has "proc/net/netstat" "larger than 64 KiB"
has "headroom/backlogs" "line $((nb + 1)): binary data (a NUL byte); rest of the file not read"
assert_eq "$(jget "$T/r.json" 'sorted((l["subject"], l["backlog"]) for l in d["facts"]["sockets"]["listeners"])')" \
	"$(jget "$T/base.json" 'sorted((l["subject"], l["backlog"]) for l in d["facts"]["sockets"]["listeners"])')" \
	"backlogs of the lines before the zeros"

# The rest: the sockets of the real lines, other sysctls, snmp counters.
assert_eq "$(jget "$T/r.json" 'd["facts"]["sockets"]["total"]')" "$(jget "$T/base.json" 'd["facts"]["sockets"]["total"]')" \
	"sockets of the lines before the zeros"
assert_eq "$(jget "$T/r.json" 'd["facts"]["sysctls"]["net.ipv4.ip_local_port_range"]["value"]')" \
	"$(jget "$T/base.json" 'd["facts"]["sysctls"]["net.ipv4.ip_local_port_range"]["value"]')" "other sysctls"
jget "$T/r.json" 'd["facts"]["sysctls"]["net.core.somaxconn"]["absent"]' | grep -q "larger than 64 KiB" ||
	fail "the long sysctl is not absent with the reason"
jget "$T/r.json" 'd["facts"]["counters"]["snmp.Tcp.ActiveOpens"]["value"]' | grep -q '^[0-9]' || fail "snmp counters lost"

# A backlogs line over 256 bytes: named, the file given up on there.
cp -r "$T/base" "$T/bl"
python3 -c 'import sys; open(sys.argv[1], "a").write("127.0.0.1:80 " + "1" * 300 + "\n")' "$T/bl/headroom/backlogs"
"$HR_BIN" probe --root "$T/bl" --format json >/dev/null 2>"$T/bl.err" || fail "probe with a long backlogs line"
grep -qF "headroom/backlogs: line $((nb + 1)): longer than 256 bytes; rest of the file not read" "$T/bl.err" ||
	fail "long backlogs line: $(cat "$T/bl.err")"

# The conntrack entries and the kernel log of a tree: two real lines each,
# then zeros up to 2 GiB. Each is named once, not read whole, and the
# lines before the zeros still count.
cp -r "$T/base" "$T/ct"
printf '%s\n%s\n' \
	"ipv4     2 tcp      6 118 TIME_WAIT src=10.211.1.1 dst=10.211.2.2 sport=33380 dport=8080 src=10.211.2.2 dst=10.211.2.1 sport=8080 dport=40076 [ASSURED] mark=0 zone=0 use=2" \
	"ipv4     2 udp      17 29 src=10.0.0.1 dst=10.0.0.2 sport=5000 dport=53 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=53 dport=5000 mark=0 use=1" \
	>"$T/ct/proc/net/nf_conntrack"
truncate -s 2G "$T/ct/proc/net/nf_conntrack"
head -2 "$T/base/headroom/kmsg" >"$T/ct/headroom/kmsg"
truncate -s 2G "$T/ct/headroom/kmsg"
rc=0
/usr/bin/time -f "%M %e" -o "$T/time" "$HR_BIN" probe --root "$T/ct" --format json >"$T/ct.json" 2>"$T/ct.err" || rc=$?
set -- $(cat "$T/time"); rss=$1 secs=$2
note "2 GiB sparse proc/net/nf_conntrack + 2 GiB sparse headroom/kmsg: ${secs} s, peak RSS ${rss} KiB"
assert_eq "$rc" 0 "sparse conntrack and kmsg: exit status"
awk -v s="$secs" 'BEGIN { exit !(s < 1.0) }' || fail "probe took $secs s: a sparse file was read whole"
[ "$rss" -lt 65536 ] || fail "peak RSS $rss KiB with sparse conntrack/kmsg files"
grep -qF "proc/net/nf_conntrack: line 3: binary data (a NUL byte); rest of the file not read" "$T/ct.err" ||
	fail "sparse nf_conntrack not named: $(cat "$T/ct.err")"
grep -qF "headroom/kmsg: line 3: binary data (a NUL byte); rest of the file not read" "$T/ct.err" ||
	fail "sparse kmsg not named: $(cat "$T/ct.err")"
assert_eq "$(jget "$T/ct.json" 'd["facts"]["conntrack"]["conntrack.entries"]["value"]')" 2 \
	"conntrack entries before the zeros"

# Within the bounds nothing changes: a value of 60 KiB is read, not refused.
cp -r "$T/base" "$T/ok"
python3 -c 'import sys; open(sys.argv[1], "w").write(" " * 61440 + "4096\n")' "$T/ok/proc/sys/net/core/somaxconn"
"$HR_BIN" probe --root "$T/ok" --format json >"$T/ok.json" 2>"$T/ok.err" || fail "probe of a tree within the bounds"
assert_eq "$(jget "$T/ok.json" 'd["facts"]["sysctls"]["net.core.somaxconn"]["value"]')" 4096 "a 60 KiB value within the bound"
echo ok
