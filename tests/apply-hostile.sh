#!/bin/sh
# Hostile input is refused with a clear error and nothing is written:
# traversal keys, symlinked/foreign/writable state dirs, symlinked journals,
# self-extending and cyclic profiles, values with newlines. Uses a temporary
# tree (--root) so nothing can reach the host even if a check failed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apply-lib.sh"
R="$T/tree"
mktree "$R" net.ipv4.tcp_tw_reuse=2 net.core.somaxconn=4096 net.ipv4.ip_unprivileged_port_start=1024 \
	"net.ipv4.ip_local_port_range=32768	60999" net.ipv4.tcp_fin_timeout=60
mkdir -p "$T/outside/etc"; echo secret >"$T/outside/etc/x"
ln -s "$T/outside/etc" "$R/proc/sys/net/escape"
chmod 444 "$R/proc/sys/net/ipv4/tcp_fin_timeout"
snapshot() { (cd "$R" && find . -type f -exec md5sum {} + | sort; cat "$T/outside/etc/x"); }
before=$(snapshot)
ha() { "$HR_BIN" apply --root "$R" --state-dir "$S" "$@"; }

# refused WHAT PATTERN ARGS...: exit 4 with PATTERN on stdout/stderr.
refused() {
	local what=$1 pat=$2 rc; shift 2
	rc=$(rc_of ha "$@")
	assert_eq "$rc" 4 "$what: exit"
	grep -q -- "$pat" "$T/out" "$T/err" || fail "$what: no '$pat' in: $(cat "$T/out" "$T/err")"
}
refused "traversal" "key 'net/../../etc/x' is not normalised ('..' component" --set net/../../etc/x=1
refused "dotted traversal" "is not normalised (empty component)" --set net...etc.x=1
refused "absolute" "is not normalised (empty component)" --set /proc/sys/net/core/somaxconn=1
refused "symlink escape" "net.escape.x: not a key (resolves outside the sysctl tree" --set net.escape.x=1
refused "directory" "net.ipv4: not a key (a directory)" --set net.ipv4=1
refused "read-only key" "net.ipv4.tcp_fin_timeout: read-only key" --set net.ipv4.tcp_fin_timeout=30
refused "newline" "net.core.somaxconn: value contains a newline" --set "net.core.somaxconn=1
net.ipv4.tcp_tw_reuse=1"
refused "control char" "value contains control character 0x1b" --set "net.core.somaxconn=1$(printf '\033')"
refused "key with space" "character 0x20 not allowed in a key" --set "net.core.somax conn=1"
assert_eq "$(snapshot)" "$before" "tree changed by refused input"
no_txn "refused input wrote a journal"

# State directory: symlink, group/world-writable, foreign owner, symlinked journal.
mkdir "$T/real"; chmod 700 "$T/real"; ln -s "$T/real" "$T/link"
rc=$(rc_of "$HR_BIN" apply --root "$R" --state-dir "$T/link" --set net.core.somaxconn=1000)
assert_eq "$rc" 4 "symlinked state dir"
grep -q "refusing state directory $T/link: it is a symlink" "$T/err" || fail "symlink message: $(cat "$T/err")"
mkdir -m 777 "$T/ww"; chmod 777 "$T/ww"
rc=$(rc_of "$HR_BIN" apply --root "$R" --state-dir "$T/ww" --set net.core.somaxconn=1000)
assert_eq "$rc" 4 "world-writable state dir"
grep -q "group or world writable (mode 0777)" "$T/err" || fail "mode message: $(cat "$T/err")"
if [ "$(id -u)" -eq 0 ]; then
	mkdir -m 700 "$T/foreign"; chown 65534 "$T/foreign"
	rc=$(rc_of "$HR_BIN" apply --root "$R" --state-dir "$T/foreign" --set net.core.somaxconn=1000)
	assert_eq "$rc" 4 "foreign state dir"
	grep -q "owned by uid 65534, not 0" "$T/err" || fail "owner message: $(cat "$T/err")"
fi
assert_eq "$(snapshot)" "$before" "tree changed by a refused state dir"
# A journal replaced by a symlink is refused by rollback and history.
ha --set net.core.somaxconn=1000 >/dev/null
id=$(ls "$S/txn" | sed 's/.journal$//')
mv "$S/txn/$id.journal" "$T/moved"; ln -s "$T/moved" "$S/txn/$id.journal"
rc=$(rc_of "$HR_BIN" rollback --state-dir "$S" "$id")
assert_eq "$rc" 4 "symlinked journal"
grep -q "refusing journal .*: it is a symlink" "$T/err" || fail "journal symlink message: $(cat "$T/err")"
assert_eq "$(cat "$R/proc/sys/net/core/somaxconn")" 1000 "rollback through a symlink acted"
rc=$(rc_of "$HR_BIN" rollback --state-dir "$S" "../../etc/passwd")
grep -q "is not a transaction id" "$T/err" || fail "txn id traversal: $(cat "$T/err")"
rm "$S/txn/$id.journal"; mv "$T/moved" "$S/txn/$id.journal"
"$HR_BIN" rollback --state-dir "$S" "$id" >/dev/null
assert_eq "$(cat "$R/proc/sys/net/core/somaxconn")" 4096 "tree rollback"

# One apply at a time: a second one while the state lock is held is refused.
if command -v flock >/dev/null; then
	flock -o "$S/lock" sleep 3 &
	lockpid=$!
	HR_PIDS="$HR_PIDS $lockpid"
	sleep 0.3
	rc=$(rc_of ha --set net.core.somaxconn=1000)
	assert_eq "$rc" 4 "concurrent apply"
	grep -q "another headroom apply is running" "$T/err" || fail "lock message: $(cat "$T/err")"
	assert_eq "$(cat "$R/proc/sys/net/core/somaxconn")" 4096 "concurrent apply wrote"
	kill "$lockpid" 2>/dev/null || true
	wait "$lockpid" 2>/dev/null || true
fi

# Profiles: extending itself, a cycle, an unknown parent, a path as a name.
P="$T/profiles"; mkdir "$P"
printf 'name: selfish\ndescription: d\nextends: selfish\nsettings: {}\n' >"$P/selfish.yaml"
printf 'name: a\ndescription: d\nextends: b\n' >"$P/a.yaml"
printf 'name: b\ndescription: d\nextends: [c]\n' >"$P/b.yaml"
printf 'name: c\ndescription: d\nextends: a\nsettings:\n  net.core.somaxconn: {value: "1", why: x}\n' >"$P/c.yaml"
printf 'name: orphan\ndescription: d\nextends: nowhere\n' >"$P/orphan.yaml"
printf 'name: badkey\ndescription: d\nsettings:\n  net/../x: {value: "1", why: x}\n' >"$P/badkey.yaml"
printf 'name: nowhy\ndescription: d\nsettings:\n  net.core.somaxconn: {value: "1"}\n' >"$P/nowhy.yaml"
for case in "selfish:profile 'selfish' extends itself: selfish -> selfish" \
	"a:profile 'a' extends itself: a -> b -> c -> a" \
	"orphan:profile 'orphan' extends unknown profile 'nowhere'" \
	"badkey:badkey.yaml:4:3: key 'net/../x' is not normalised" \
	"nowhy:nowhy.yaml:4:23: setting 'net.core.somaxconn' needs both 'value' and 'why'" \
	"../../etc/passwd:must be \[a-z0-9_-\] (a name, not a path)"; do
	name=${case%%:*}; pat=${case#*:}
	# Refused with nothing written: 4 (headroom-apply(8)), not 1 ("failed
	# and rolled back", which the Ansible module reports as restored).
	rc=$(rc_of ha --profiles "$P" --profile "$name")
	assert_eq "$rc" 4 "profile $name: exit"
	grep -q -- "$pat" "$T/err" || fail "profile $name: no '$pat' in: $(cat "$T/err")"
	rc=$(rc_of "$HR_BIN" profile show --profiles "$P" "$name")
	assert_eq "$rc" 1 "profile show $name"
done
assert_eq "$(snapshot)" "$before" "tree changed by a bad profile"
echo ok
