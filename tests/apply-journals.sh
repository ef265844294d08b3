#!/bin/sh
# No journal is invisible: a truncated, corrupt, badly owned or oversized
# journal is listed by history with the reason, named by apply (which
# refuses unless --force) and by rollback without an argument (which
# refuses: it may be the transaction to undo); and headroom never writes a
# journal it cannot read: a persist file too big to be journaled refuses
# the apply before anything is written.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apply-lib.sh"
hr_require_netns
ns=$(hr_ns journals)
K=net.core.somaxconn
orig=$(sysval "$ns" $K)

# spoil HOW: applies one change, rolls it back, then spoils its journal
# HOW = truncate | corrupt | owner | big; prints the transaction id.
spoil() {
	local how=$1 txn j
	hr_apply "$ns" apply --state-dir "$S" --format json --set $K=1000 >"$T/a.json" || fail "apply: $(cat "$T/a.json")"
	txn=$(sed -n 's/^ *"txn": *"\([0-9-]*\)".*/\1/p' "$T/a.json" | head -1)
	j="$S/txn/$txn.journal"
	case $how in
	truncate) truncate -s 40 "$j" ;;
	corrupt) printf 'not json at all\n\001\002\n' >"$j" ;;
	owner) chown nobody "$j" ;;
	big) # a journal over the 16 MiB bound: its begin record, then filler events
		python3 - "$j" <<'PY'
import sys
p = sys.argv[1]
head = open(p).readline()
with open(p, "w") as f:
    f.write(head)
    line = '{"type":"note","text":"%s"}\n' % ("x" * 1000)
    for _ in range(17 * 1024):
        f.write(line)
PY
		;;
	esac
	echo "$txn"
}

for how in truncate corrupt owner big; do
	rm -rf "$S"
	txn=$(spoil $how)
	case $how in
	truncate | corrupt) why="no readable begin record" ;;
	owner) why="refusing journal .*: owner uid $(id -u nobody)" ;;
	big) why="larger than 16 MiB (the bound of a journal)" ;;
	esac
	# history: listed, with the reason, in the table and in JSON.
	hr_apply "$ns" history --state-dir "$S" >"$T/h" 2>"$T/herr" || fail "$how: history failed: $(cat "$T/herr")"
	grep -q "^$txn .* unreadable " "$T/h" || fail "$how: history does not list $txn: $(cat "$T/h")"
	grep -q "$txn: unreadable: .*$why" "$T/h" || fail "$how: history gives no reason: $(cat "$T/h")"
	hr_apply "$ns" history --state-dir "$S" --format json >"$T/h.json" 2>/dev/null
	assert_eq "$(jget "$T/h.json" '[t["status"] for t in d["transactions"] if t["txn"] == "'"$txn"'"][0]')" unreadable "$how: JSON status"
	jget "$T/h.json" '[t["error"] for t in d["transactions"] if t["txn"] == "'"$txn"'"][0]' | grep -q "$why" ||
		fail "$how: JSON error: $(cat "$T/h.json")"
	# apply: refused while it exists (it may hold keys to restore), unless --force.
	rc=$(rc_of hr_apply "$ns" apply --state-dir "$S" --set $K=1001)
	assert_eq "$rc" 4 "$how: apply with an unreadable journal"
	grep -q "journal of transaction $txn is unreadable: .*$why" "$T/err" || fail "$how: apply message: $(cat "$T/err")"
	grep -q "(or --force)" "$T/err" || fail "$how: apply does not name --force: $(cat "$T/err")"
	assert_eq "$(sysval "$ns" $K)" 1000 "$how: the refused apply wrote"
	# rollback without an argument: refused, naming it; with the id: the reason.
	rc=$(rc_of hr_apply "$ns" rollback --state-dir "$S")
	assert_eq "$rc" 4 "$how: rollback without an argument"
	grep -q "journal of transaction $txn is unreadable" "$T/err" || fail "$how: rollback message: $(cat "$T/err")"
	rc=$(rc_of hr_apply "$ns" rollback --state-dir "$S" --last)
	assert_eq "$rc" 4 "$how: rollback --last"
	rc=$(rc_of hr_apply "$ns" apply --state-dir "$S" --force --set $K=1001)
	assert_eq "$rc" 0 "$how: apply --force: $(cat "$T/err")"
	assert_eq "$(sysval "$ns" $K)" 1001 "$how: apply --force wrote"
	hr_in "$ns" sysctl -qw $K="$orig"
	note "$how journal: history lists it ($why), apply and rollback refuse, apply --force goes ahead"
done

# A 20 MB persist file: its copy would make a journal headroom cannot read
# back. Refused before anything is written; the file is untouched.
rm -rf "$S"
P="$T/etc/90-headroom.conf"
mkdir -p "$T/etc"
python3 -c '
import sys
with open(sys.argv[1], "w") as f:
    i = 0
    while f.tell() < 20 * 1000 * 1000:
        f.write("net.ipv4.conf.dummy%d.forwarding = 0\n" % i)
        i += 1
' "$P"
sum=$(md5sum <"$P")
note "persist file: $(stat -c %s "$P") bytes"
rc=$(rc_of hr_apply "$ns" apply --state-dir "$S" --persist-file "$P" --set $K=1002)
assert_eq "$rc" 4 "apply --persist with a 20 MB persist file: $(cat "$T/out" "$T/err")"
grep -q "cannot persist to $P: .* larger than 128 KiB" "$T/err" || fail "persist refusal: $(cat "$T/err")"
assert_eq "$(sysval "$ns" $K)" "$orig" "the refused apply wrote"
assert_eq "$(md5sum <"$P")" "$sum" "persist file changed"
no_txn "the refused apply left a journal"

# Just under the bound, but with escaping (control characters become
# \u00XX, six bytes) its journal line would be over 256 KiB: refused too.
python3 -c '
import sys
with open(sys.argv[1], "w") as f:
    f.write("# " + "\x01" * (120 * 1024) + "\n")
' "$P"
rc=$(rc_of hr_apply "$ns" apply --state-dir "$S" --persist-file "$P" --set $K=1002)
assert_eq "$rc" 4 "apply --persist of an escaping-heavy file"
grep -q "journal line of [0-9]* bytes, over the 256 KiB" "$T/err" || fail "line refusal: $(cat "$T/err")"
no_txn "the refused apply left a journal"

# A persist file that fits: applied, journaled, readable, rolled back.
python3 -c '
import sys
with open(sys.argv[1], "w") as f:
    for i in range(2500):
        f.write("net.ipv4.conf.dummy%d.forwarding = 0\n" % i)
' "$P"
cp "$P" "$T/p.before"
rc=$(rc_of hr_apply "$ns" apply --state-dir "$S" --persist-file "$P" --set $K=1002)
assert_eq "$rc" 0 "apply --persist of a $(stat -c %s "$T/p.before")-byte file: $(cat "$T/err")"
hr_apply "$ns" history --state-dir "$S" | grep -q " applied " || fail "history of the persisted apply"
rc=$(rc_of hr_apply "$ns" rollback --state-dir "$S")
assert_eq "$rc" 0 "rollback: $(cat "$T/err")"
cmp -s "$P" "$T/p.before" || fail "persist file not restored"
assert_eq "$(sysval "$ns" $K)" "$orig" "value restored"

# An empty journal (an apply killed between creating it and its begin
# record: nothing was written) is removed by the next command, which says
# so; it is not left to block apply as unreadable.
: >"$S/txn/20991231-235959-001.journal"
chmod 0600 "$S/txn/20991231-235959-001.journal"
hr_apply "$ns" history --state-dir "$S" >"$T/out" 2>"$T/err" || fail "history: $(cat "$T/err")"
grep -q "removed the empty journal of transaction 20991231-235959-001" "$T/err" || fail "history did not say: $(cat "$T/err")"
[ ! -e "$S/txn/20991231-235959-001.journal" ] || fail "the empty journal is still there"
grep -q "20991231-235959-001" "$T/out" && fail "history lists the removed journal"
echo ok
