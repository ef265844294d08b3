#!/bin/sh
# A refused or malformed required input makes the audit UNKNOWN (exit 3)
# with the reason in the text output, not only in the JSON: the rules would
# otherwise judge a system they did not fully see ("OK" over a refused
# proc/net/tcp). A malformed key no rule needs stays a problem only.
. "$(dirname "$0")/lib.sh"
hr_require_netns
ns=$(hr_ns inputs)
# A quiet base tree: a fresh namespace's snapshot (no sockets, defaults).
hr_in "$ns" "$HR_BIN" snapshot -o "$T/base" --quiet 2>/dev/null || fail "snapshot"
fresh() { rm -rf "$T/r"; cp -r "$T/base" "$T/r"; }
# audit NAME [FORMAT]: audits $T/r; output in $T/NAME.out, exit code printed.
audit() {
	local rc=0
	"$HR_BIN" audit --root "$T/r" --interval 0 --format "${2:-text}" >"$T/$1.out" 2>"$T/$1.err" || rc=$?
	echo "$rc"
}
fresh
rc=$(audit base)
case $rc in 0 | 1) ;; *) fail "the base tree audits $rc: $(head -3 "$T/base.out")" ;; esac
grep -q "Inputs refused" "$T/base.out" && fail "the base tree has refused inputs: $(cat "$T/base.out")"

# expect NAME SOURCE MESSAGE: exit 3, the verdict line names the input, the
# text has the section, JSON and Nagios agree.
expect() {
	local rc
	rc=$(audit "$1")
	assert_eq "$rc" 3 "$1: exit code ($(head -1 "$T/$1.out"))"
	head -1 "$T/$1.out" | grep -q "^UNKNOWN: input refused or malformed: .*$2.*$3" ||
		fail "$1: verdict: $(head -1 "$T/$1.out")"
	grep -A20 "^Inputs refused or malformed" "$T/$1.out" | grep -q "$2.*$3" ||
		fail "$1: no input section naming it: $(cat "$T/$1.out")"
	rc=$(audit "$1.json" json)
	assert_eq "$rc" 3 "$1: JSON exit code"
	jget "$T/$1.json.out" 'd["summary"]["status"]' | grep -qx UNKNOWN || fail "$1: JSON status"
	jget "$T/$1.json.out" '"\n".join(e["source"] + ": " + e["message"] for e in d["summary"]["input_errors"])' >"$T/ie"
	grep -q "$2.*$3" "$T/ie" || fail "$1: JSON input_errors: $(cat "$T/ie")"
	rc=$(audit "$1.nagios" nagios)
	assert_eq "$rc" 3 "$1: nagios exit code"
	grep -q "^UNKNOWN: input refused or malformed" "$T/$1.nagios.out" || fail "$1: nagios: $(cat "$T/$1.nagios.out")"
	note "$1: exit 3, $(head -1 "$T/$1.out")"
}

# 1. proc/net/tcp refused: a symlink (to a perfectly good file).
fresh
mv "$T/r/proc/net/tcp" "$T/r/proc/net/tcp.real"
ln -s tcp.real "$T/r/proc/net/tcp"
expect tcp-symlink "proc/net/tcp" "refused: a symlink"

# 2. proc/net/tcp missing: every kernel has it; the IPv6 table alone is not the sockets.
fresh
rm "$T/r/proc/net/tcp"
expect tcp-missing "proc/net/tcp" "not found"

# 3. proc/net/tcp malformed: lines the kernel never prints.
fresh
printf '  0: garbage\n' >>"$T/r/proc/net/tcp"
expect tcp-malformed "proc/net/tcp:" "line skipped"

# 4. Nine malformed sysctls the rules need.
fresh
for k in ipv4/tcp_tw_reuse core/somaxconn ipv4/tcp_fin_timeout ipv4/tcp_max_tw_buckets ipv4/tcp_syncookies \
	ipv4/tcp_timestamps ipv4/tcp_retries2 ipv4/tcp_syn_retries ipv4/tcp_synack_retries; do
	echo banana >"$T/r/proc/sys/net/$k"
done
expect sysctls "net.ipv4.tcp_" "is not an integer"
grep -A20 "^Inputs refused or malformed" "$T/sysctls.out" | grep -c "is not an integer" >"$T/n"
[ "$(cat "$T/n")" -ge 9 ] || fail "sysctls: $(cat "$T/n") of 9 malformed keys listed: $(cat "$T/sysctls.out")"

# 5. A counter file refused (a directory where snmp should be).
fresh
rm "$T/r/proc/net/snmp"
mkdir "$T/r/proc/net/snmp"
expect snmp-dir "proc/net/snmp" "refused"

# 6. A malformed counter file.
fresh
printf 'Tcp: RtoAlgorithm RtoMin\nTcp: 1 banana\n' >"$T/r/proc/net/snmp"
expect snmp-malformed "proc/net/snmp" "not a number"

# 7. A malformed key no rule needs: a problem (JSON), not an input error.
fresh
printf '1\001\n' >"$T/r/proc/sys/net/ipv4/tcp_ecn"
rc=$(audit unneeded json)
case $rc in 0 | 1) ;; *) fail "a malformed key no rule needs made the audit exit $rc" ;; esac
jget "$T/unneeded.out" '[p["message"] for p in d["facts"]["problems"] if "tcp_ecn" in p["source"]]' >"$T/pr"
grep -q "not text" "$T/pr" ||
	fail "the malformed unneeded key is not a problem: $(jget "$T/unneeded.out" 'd["facts"]["problems"]')"
# 8. An empty proc/net/tcp6 (a hand-made tree's "no IPv6", like a missing
# one): a problem, not an input error.
fresh
: >"$T/r/proc/net/tcp6"
rc=$(audit empty6)
case $rc in 0 | 1) ;; *) fail "an empty tcp6 made the audit exit $rc: $(head -1 "$T/empty6.out")" ;; esac
grep -q "Inputs refused" "$T/empty6.out" && fail "an empty tcp6 is an input error: $(cat "$T/empty6.out")"
echo ok
