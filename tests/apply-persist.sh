#!/bin/sh
# --persist: the file is written atomically, accepted by 'sysctl -p FILE' in
# the namespace with the same values, later sysctl.d files that would win at
# boot are warned about (systemd-sysctl order), and rollback restores it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apply-lib.sh"
hr_require_netns
ns=$(hr_ns pers)
C="$T/cfg"   # config root: $C/etc/sysctl.d, $C/usr/lib/sysctl.d, ...
mkdir -p "$C/etc/sysctl.d" "$C/usr/lib/sysctl.d" "$C/run/sysctl.d"
F="$C/etc/sysctl.d/90-headroom.conf"
# Would win at boot: a later basename, and /etc/sysctl.conf (read last).
printf '# later\nnet.ipv4.tcp_tw_reuse = 0\n' >"$C/usr/lib/sysctl.d/95-vendor.conf"
printf 'net.core.somaxconn=512\n' >"$C/etc/sysctl.conf"
# Would not: an earlier basename, and a later one shadowed by /etc's same basename.
printf 'net.ipv4.tcp_tw_reuse = 2\n' >"$C/etc/sysctl.d/10-early.conf"
printf 'net.ipv4.tcp_fin_timeout = 99\n' >"$C/usr/lib/sysctl.d/99-shadowed.conf"
printf '# empty: masks the /usr/lib copy\n' >"$C/etc/sysctl.d/99-shadowed.conf"

hr_apply "$ns" apply --state-dir "$S" --persist --config-root "$C" --profile web-server \
	--set net.ipv4.tcp_tw_reuse=1 --set "net.ipv4.ip_local_port_range=20000 50001" >"$T/out" 2>&1 ||
	fail "apply --persist: $(cat "$T/out")"
grep -q "warning: $C/usr/lib/sysctl.d/95-vendor.conf:2 sets net.ipv4.tcp_tw_reuse = 0, which wins at boot over 1" "$T/out" ||
	fail "no later-file warning: $(cat "$T/out")"
grep -q "warning: $C/etc/sysctl.conf:1 sets net.core.somaxconn = 512" "$T/out" || fail "no sysctl.conf warning"
grep -q "10-early" "$T/out" && fail "warned about an earlier file"
grep -q "99-shadowed" "$T/out" && fail "warned about a shadowed file"
[ -f "$F" ] || fail "persist file missing"
[ "$(stat -c %a "$F")" = 644 ] || fail "persist file mode"
ls "$C/etc/sysctl.d" | grep -q headroom-tmp && fail "temp file left behind"
grep -q "^net.ipv4.ip_local_port_range = 20000 50001$" "$F" || fail "file content: $(cat "$F")"
# Already-right settings are persisted too (they must hold after a reboot).
grep -q "^net.ipv4.tcp_syncookies = 1$" "$F" || fail "unchanged keys not persisted"

# The file through sysctl -p, from the kernel defaults, gives the same values.
keys=$(awk -F' = ' '/^[a-z]/ { print $1 }' "$F")
for k in $keys; do echo "$k=$(sysval $ns "$k")"; done >"$T/applied"
hr_in "$ns" sysctl -q -w net.ipv4.tcp_tw_reuse=2 net.core.somaxconn=4096 "net.ipv4.ip_local_port_range=32768 60999" \
	net.ipv4.tcp_fin_timeout=60 net.ipv4.tcp_slow_start_after_idle=1 >/dev/null
[ "$(sysval $ns net.ipv4.tcp_tw_reuse)" = 2 ] || fail "reset"
hr_in "$ns" sysctl -p "$F" >"$T/sysctl-p" 2>&1 || fail "sysctl -p rejected the file: $(cat "$T/sysctl-p")"
for k in $keys; do echo "$k=$(sysval $ns "$k")"; done >"$T/reloaded"
cmp -s "$T/applied" "$T/reloaded" || fail "sysctl -p values differ: $(diff "$T/applied" "$T/reloaded")"

# A second apply merges into the file; rollback of it restores the first content.
cp "$F" "$T/first"
hr_apply "$ns" apply --state-dir "$S" --persist --config-root "$C" --set net.ipv4.tcp_keepalive_time=600 >/dev/null
grep -q "^net.ipv4.tcp_keepalive_time = 600$" "$F" || fail "merge: new key"
grep -q "^net.ipv4.tcp_tw_reuse = 1$" "$F" || fail "merge: old key kept"
grep -q '"persist":{"file":"'"$F"'","old":"# Written by headroom' "$S"/txn/*.journal || fail "old content not journaled"
hr_apply "$ns" rollback --state-dir "$S" --last >/dev/null
cmp -s "$F" "$T/first" || fail "rollback did not restore the file"
# The first transaction created the file: its rollback removes it.
hr_apply "$ns" rollback --state-dir "$S" "$(ls "$S/txn" | head -1 | sed 's/.journal$//')" >"$T/out" 2>&1
[ ! -e "$F" ] || fail "rollback left the created file: $(cat "$T/out")"
echo ok
