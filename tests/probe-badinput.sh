#!/bin/sh
# Bad input under --root: each broken file gives a message naming it (on
# stderr and in "problems"), the rest of the probe is still reported, and
# the exit status is non-zero only when nothing usable was read.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/probe-lib.sh"

# A base tree: a snapshot of wherever we run (reading /proc only).
"$HR_BIN" snapshot -o "$T/base" --quiet 2>/dev/null || fail "snapshot of this system"
fresh() { rm -rf "$T/r"; cp -r "$T/base" "$T/r"; }
# run NAME: probe the tree; stderr, JSON and exit status kept.
run() {
	rc=0
	"$HR_BIN" probe --root "$T/r" --format json >"$T/$1.json" 2>"$T/$1.err" || rc=$?
	assert_eq "$rc" 0 "$1: exit status (something usable was read)"
	jget "$T/$1.json" 'd["facts"]["sysctls"]["net.ipv4.ip_local_port_range"]["value"]' >/dev/null || fail "$1: rest not reported"
}
# has NAME SOURCE_SUBSTRING MESSAGE_SUBSTRING: on stderr and in problems.
has() {
	grep -F "$2" "$T/$1.err" | grep -qF "$3" || fail "$1: stderr lacks '$2 ... $3': $(cat "$T/$1.err")"
	A=$2 B=$3 python3 -c 'import json, os, sys
ps = [p["source"] + ": " + p["message"] for p in json.load(open(sys.argv[1]))["facts"]["problems"]]
sys.exit(not [p for p in ps if os.environ["A"] in p and os.environ["B"] in p])' "$T/$1.json" ||
		fail "$1: problems lack '$2 ... $3'"
}

# 1. A truncated /proc/net/tcp: the cut line is named by file:line, the others count.
fresh
n=$(wc -l <"$T/r/proc/net/tcp")
printf '  99: 0100007F:1F90 0100007F:D2' >>"$T/r/proc/net/tcp"
run trunc
has trunc "proc/net/tcp:$((n + 1))" "truncated"
"$HR_BIN" probe --root "$T/base" --format json >"$T/base.json" 2>/dev/null
assert_eq "$(jget "$T/trunc.json" 'd["facts"]["sockets"]["total"]')" "$(jget "$T/base.json" 'd["facts"]["sockets"]["total"]')" \
	"sockets of the intact lines still counted"

# 2. Garbage sysctl values: text that is not a number, and binary bytes.
fresh
echo banana >"$T/r/proc/sys/net/ipv4/tcp_tw_reuse"
printf '1\001\002\n' >"$T/r/proc/sys/net/core/somaxconn"
run garbage
has garbage "proc/sys/net/ipv4/tcp_tw_reuse" "'banana' is not an integer"
has garbage "proc/sys/net/core/somaxconn" "not text on one line (byte 0x01"
jget "$T/garbage.json" 'd["facts"]["sysctls"]["net.ipv4.tcp_tw_reuse"]["absent"]' | grep -q banana ||
	fail "garbage value not recorded as absent with the reason"
jget "$T/garbage.json" 'd["facts"]["sysctls"]["net.ipv4.ip_local_port_range"]["fields"]' | grep -q '^\[[0-9]*, [0-9]*\]$' ||
	fail "other sysctls lost"

# 3. A missing snmp file: named; its counters absent with the reason; netstat still read.
fresh
rm "$T/r/proc/net/snmp"
run nosnmp
has nosnmp "proc/net/snmp" "not found"
jget "$T/nosnmp.json" 'd["facts"]["counters"]["snmp.Tcp.ActiveOpens"]["absent"]' | grep -q "proc/net/snmp: not found" ||
	fail "snmp counters not absent with the reason"
jget "$T/nosnmp.json" 'd["facts"]["counters"]["netstat.TcpExt.ListenOverflows"]["value"]' | grep -q '^[0-9]' ||
	fail "netstat counters lost"

# 4. Files open() must refuse or cannot read. Root reads a chmod 000 file
#    (CAP_DAC_OVERRIDE), so as root use what fails for everyone: a FIFO (it
#    would block a plain open), a dangling symlink and a directory in place
#    of a file. As non-root, chmod 000 is tested too.
fresh
rm "$T/r/proc/sys/net/ipv4/tcp_fin_timeout" "$T/r/proc/net/sockstat6" "$T/r/proc/net/netstat"
mkfifo "$T/r/proc/sys/net/ipv4/tcp_fin_timeout"
ln -s "$T/nonexistent" "$T/r/proc/net/sockstat6"
mkdir "$T/r/proc/net/netstat"
ln -sf /etc/passwd "$T/r/proc/sys/net/ipv4/tcp_keepalive_time"
if [ "$(id -u)" -ne 0 ]; then chmod 000 "$T/r/proc/net/sockstat"; fi
run unreadable
has unreadable "proc/sys/net/ipv4/tcp_fin_timeout" "not a regular file"
has unreadable "proc/net/sockstat6" "a symlink"
has unreadable "proc/net/netstat" "a directory"
has unreadable "proc/sys/net/ipv4/tcp_keepalive_time" "a symlink"
grep -q "root:" "$T/unreadable.json" && fail "followed a symlink out of the tree"
if [ "$(id -u)" -ne 0 ]; then has unreadable "proc/net/sockstat" "permission denied"; fi

# 4b. Symlinked directories: under --root every path component must stay in
#     the tree without a symlink (openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS).
fresh
rm -rf "$T/r/proc/sys/net/core" "$T/r/proc/sys/kernel"
ln -s /proc/sys/net/core "$T/r/proc/sys/net/core"
mkdir -p "$T/elsewhere/random"; echo secret-os >"$T/elsewhere/osrelease"
ln -s ../../../elsewhere "$T/r/proc/sys/kernel"
run dirlinks
if [ "$(jget "$T/dirlinks.json" 'd["facts"]["kernel"]["kernel.osrelease"].get("value")')" = secret-os ]; then
	note "kernel without openat2 (< 5.6): only final-component symlinks are refused"
else
	has dirlinks "proc/sys/net/core" "a symlink"
	has dirlinks "proc/sys/kernel/osrelease" "a symlink"
	jget "$T/dirlinks.json" 'd["facts"]["sysctls"]["net.core.somaxconn"]["absent"]' | grep -q "symlink" ||
		fail "keys of a symlinked directory not absent with the reason"
fi

# 5. A bad header and garbage lines in tcp6.
fresh
printf 'hello\n' >"$T/r/proc/net/tcp6"
run header
has header "proc/net/tcp6:1" "not a /proc/net/tcp header"
fresh
printf '%s\n' "$(head -1 "$T/base/proc/net/tcp6")" '   0: zz:1F90 garbage 0A' '   1: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0D 00000000:00000000 00:00000000 00000000     0        0 1 1' >"$T/r/proc/net/tcp6"
run lines
has lines "proc/net/tcp6:2" "malformed column 'local_address'"
has lines "proc/net/tcp6:3" "unknown TCP state"

# 6. Nothing usable: an empty root, a missing one. Exit 1, problems named.
mkdir "$T/empty"
rc=0; "$HR_BIN" probe --root "$T/empty" >"$T/empty.out" 2>"$T/empty.err" || rc=$?
assert_eq "$rc" 1 "empty root exit status"
grep -q "nothing usable read from $T/empty" "$T/empty.err" || fail "empty root message"
grep -q "$T/empty/proc/sys/net/ipv4: not found" "$T/empty.err" || fail "empty root names the files"
rc=0; "$HR_BIN" probe --root "$T/missing" --format json >/dev/null 2>"$T/missing.err" || rc=$?
assert_eq "$rc" 1 "missing root exit status"
grep -q "$T/missing: --root: not found" "$T/missing.err" || fail "missing root message"

# 7. Usage errors: 64.
for args in "--interval -1" "--interval x" "--format xml" "--bogus" "extra"; do
	rc=0; "$HR_BIN" probe $args >/dev/null 2>&1 || rc=$?
	assert_eq "$rc" 64 "probe $args"
done
echo ok
