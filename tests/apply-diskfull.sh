#!/bin/bash
# A full disk and a read-only state directory: apply refuses before any
# write (exit 4), every value stays, the history already there is intact.
# Mounts happen in a private mount namespace (unshare -m), so the host
# never sees them: a 256 KiB tmpfs filled up, and a read-only bind.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apply-lib.sh"
hr_require_netns
command -v unshare >/dev/null || skip "needs unshare (util-linux)"
unshare -m true 2>/dev/null || skip "cannot make a mount namespace here"
ns=$(hr_ns full)
M="$T/mnt"
mkdir -p "$M"
SETS=(--set net.ipv4.tcp_tw_reuse=1 --set net.core.somaxconn=1000 --set "net.ipv4.ip_local_port_range=20000 50001"
	--set net.ipv4.tcp_fin_timeout=30 --set net.ipv4.tcp_keepalive_time=600)
vals() { for k in net.ipv4.tcp_tw_reuse net.core.somaxconn net.ipv4.ip_local_port_range net.ipv4.tcp_fin_timeout \
	net.ipv4.tcp_keepalive_time; do sysval "$ns" "$k"; done; }
orig=$(vals)
export HR_BIN ns M
# in_mnt SCRIPT: runs a shell script in a private mount namespace with the small tmpfs on $M.
in_mnt() { unshare -m --propagation private sh -c "mount -t tmpfs -o size=256k tmpfs \"\$M\" && $1"; }

# 1. Full disk, filled completely: the journal's first record cannot be written.
rc=0
in_mnt 'mkdir -m 700 "$M/state" && dd if=/dev/zero of="$M/fill" bs=4k 2>/dev/null; ip netns exec "$ns" "$HR_BIN" apply --state-dir "$M/state" '"$(printf "'%s' " "${SETS[@]}")"'
	echo "rc=$?"; ls "$M/state/txn" | wc -l' >"$T/full1" 2>&1 || rc=$?
grep -q "^rc=4$" "$T/full1" || fail "full disk: not refused: $(cat "$T/full1")"
grep -q "refused (nothing written): .*No space left on device" "$T/full1" || fail "full disk message: $(cat "$T/full1")"
assert_eq "$(tail -1 "$T/full1")" 0 "full disk: no journal left behind"
assert_eq "$(vals)" "$orig" "full disk: values"

# 2. Nearly full: the header fits but the transaction's records would not.
#    The journal reserves their space first, so this too is refused up front.
in_mnt 'mkdir -m 700 "$M/state" && dd if=/dev/zero of="$M/fill" bs=1k 2>/dev/null; rm -f "$M/fill";
	dd if=/dev/zero of="$M/fill" bs=1k count=$(( $(df -k --output=avail "$M" | tail -1) - 8 )) 2>/dev/null;
	df -B1 --output=avail "$M" | tail -1;
	ip netns exec "$ns" "$HR_BIN" apply --state-dir "$M/state" '"$(printf "'%s' " "${SETS[@]}")"'; echo "rc=$?"
	ls "$M/state/txn" | wc -l' >"$T/full2" 2>&1 || true
grep -q "^rc=4$" "$T/full2" || fail "nearly full disk: not refused: $(cat "$T/full2")"
grep -q "refused (nothing written): cannot reserve [0-9]* bytes for journal" "$T/full2" ||
	fail "nearly full message: $(cat "$T/full2")"
assert_eq "$(tail -1 "$T/full2")" 0 "nearly full: no journal left behind"
assert_eq "$(vals)" "$orig" "nearly full: values"
note "nearly full: $(sed -n 1p "$T/full2") bytes free, refused"

# 3. A persist directory on a full file system: refused before any write too.
in_mnt 'mkdir -p "$M/etc" && dd if=/dev/zero of="$M/fill" bs=4k 2>/dev/null;
	ip netns exec "$ns" "$HR_BIN" apply --state-dir "'"$S"'" --persist-file "$M/etc/90-headroom.conf" --config-root "$M" '"$(printf "'%s' " "${SETS[@]}")"'
	echo "rc=$?"' >"$T/full3" 2>&1 || true
grep -q "^rc=4$" "$T/full3" || fail "full persist dir: not refused: $(cat "$T/full3")"
grep -q "cannot persist to .* bytes free in" "$T/full3" || fail "full persist dir message: $(cat "$T/full3")"
assert_eq "$(vals)" "$orig" "full persist dir: values"
no_txn "full persist dir: a journal was written"

# 4. Read-only state directory with history in it: refused, history intact.
hr_apply "$ns" apply --state-dir "$S" --set net.ipv4.tcp_tw_reuse=1 >/dev/null || fail "first apply"
hr_apply "$ns" rollback --state-dir "$S" --last >/dev/null || fail "first rollback"
before=$(cat "$S"/txn/*.journal | md5sum)
export S
unshare -m --propagation private sh -c 'mount --bind "$S" "$S" && mount -o remount,bind,ro "$S" &&
	ip netns exec "$ns" "$HR_BIN" apply --state-dir "$S" '"$(printf "'%s' " "${SETS[@]}")"'; echo "rc=$?"' >"$T/ro" 2>&1 || true
grep -q "^rc=4$" "$T/ro" || fail "read-only state dir: not refused: $(cat "$T/ro")"
grep -q "refused (nothing written): .*Read-only file system" "$T/ro" || fail "read-only message: $(cat "$T/ro")"
assert_eq "$(vals)" "$orig" "read-only: values"
assert_eq "$(cat "$S"/txn/*.journal | md5sum)" "$before" "read-only: history intact"
assert_eq "$(ls "$S"/txn | wc -l)" 1 "read-only: no new journal"
echo ok
