#!/bin/sh
# As root, headroom uses no input another user could have written: a
# profile in a world-writable directory or owned by nobody, a nobody-owned
# rule in a group-writable --rules directory, a workload file owned by
# nobody, a persist file in a world-writable directory are refused with one
# message saying what and why (doas and sudo refuse their configuration on
# the same terms); nothing is written. --trust-inputs takes them as they
# are. A root-owned file in a sticky directory (/tmp) is fine.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apply-lib.sh"
hr_require_netns
id nobody >/dev/null 2>&1 || skip "needs the user nobody"
ns=$(hr_ns trust)
K=net.ipv4.tcp_syn_retries
orig=$(sysval "$ns" $K)
[ "$orig" != 3 ] && [ "$orig" != 2 ] || fail "the namespace starts with $K = $orig"

# An evil profile: sets K to 3.
P="$T/profiles"
mkdir -p "$P"
cat >"$P/evil.yaml" <<'EOF'
name: evil
description: sets what nobody wants
settings:
  net.ipv4.tcp_syn_retries:
    value: "3"
    why: because
EOF

# refused NAME MESSAGE ARGS...: apply exits 4, says MESSAGE, writes nothing.
refused() {
	local name=$1 msg=$2 rc; shift 2
	rc=$(rc_of hr_apply "$ns" apply --state-dir "$S" "$@")
	assert_eq "$rc" 4 "$name: exit code ($(cat "$T/err"))"
	grep -q "$msg" "$T/err" || fail "$name: the message: $(cat "$T/err")"
	grep -q "trust-inputs" "$T/err" || fail "$name: the message names no override: $(cat "$T/err")"
	assert_eq "$(sysval "$ns" $K)" "$orig" "$name: $K was written"
	no_txn "$name: a journal was written"
	note "$name: exit 4, $(head -1 "$T/err")"
}

# 1. The profile directory is world-writable (mode 0777), the profile nobody's.
chmod 0777 "$P"
chown nobody "$P/evil.yaml"
refused profile-dir "refusing profile $P/evil.yaml: it is owned by uid [0-9]*, not root" \
	--profile evil --profiles "$P"
chown root "$P/evil.yaml"
refused profile-dir "refusing profile $P/evil.yaml: its directory $P is writable by group and others (mode 0777)" \
	--profile evil --profiles "$P"
# profile show refuses it too, and --trust-inputs takes it.
rc=$(rc_of "$HR_BIN" profile show evil --profiles "$P")
[ "$rc" != 0 ] || fail "profile show used a profile from a world-writable directory"
grep -q "refusing profile" "$T/err" || fail "profile show: $(cat "$T/err")"
rc=$(rc_of hr_apply "$ns" apply --state-dir "$S" --profile evil --profiles "$P" --trust-inputs)
assert_eq "$rc" 0 "--trust-inputs: exit code ($(cat "$T/err"))"
assert_eq "$(sysval "$ns" $K)" 3 "--trust-inputs: $K"
hr_apply "$ns" rollback --state-dir "$S" --last >/dev/null 2>&1 || fail "rollback"
assert_eq "$(sysval "$ns" $K)" "$orig" "rollback"
rm -rf "$S"
chmod 0755 "$P"
# The owner of the headroom binary counts as root (an uninstalled build run
# by root from a user's checkout: that user wrote the program too).
mkdir -p "$T/bin"
cp "$HR_BIN" "$T/bin/headroom"
chown nobody "$T/bin/headroom" "$P/evil.yaml"
rc=$(rc_of hr_in "$ns" "$T/bin/headroom" apply --state-dir "$S" --profile evil --profiles "$P" --dry-run)
assert_eq "$rc" 0 "a profile owned by the binary's owner: exit code ($(cat "$T/err"))"
rc=$(rc_of hr_apply "$ns" apply --state-dir "$S" --profile evil --profiles "$P" --dry-run)
assert_eq "$rc" 4 "the same profile with root's binary"
chown root "$P/evil.yaml"
rm -rf "$S"

# 2. A rule owned by nobody in a group-writable --rules directory: its fix
# is not written by apply --fix, and audit is UNKNOWN naming it.
R="$T/rules"
mkdir -p "$R"
cat >"$R/evil.yaml" <<'EOF'
rules:
  - id: evil.syn-retries
    title: evil
    needs: [net.ipv4.tcp_syn_retries]
    let:
      value: "net.ipv4.tcp_syn_retries"
    severity:
      warning: "value != 2"
    message: "syn retries {value:int}"
    fixes:
      - kind: sysctl
        when: "value != 2"
        set: {net.ipv4.tcp_syn_retries: "2"}
        text: "two"
EOF
chmod 0775 "$R"
chown nobody "$R/evil.yaml"
rc=$(rc_of hr_apply "$ns" apply --state-dir "$S" --fix --rules "$R" --format json)
assert_eq "$(sysval "$ns" $K)" "$orig" "apply --fix wrote the fix of a refused rule (exit $rc): $(cat "$T/err")"
grep -q "refusing rules directory $R: it is writable by group (mode 0775)" "$T/err" ||
	fail "apply --fix does not say why the rules were refused: $(cat "$T/err")"
rm -rf "$S"
rc=$(rc_of hr_in "$ns" "$HR_BIN" audit --rules "$R" --interval 0)
assert_eq "$rc" 3 "audit with a refused rules directory"
grep -q "refusing rules directory $R" "$T/out" || fail "audit: $(cat "$T/out")"
chmod 0755 "$R"
rc=$(rc_of hr_in "$ns" "$HR_BIN" audit --rules "$R" --interval 0)
assert_eq "$rc" 3 "audit with a nobody-owned rule"
grep -q "refusing rule file $R/evil.yaml: it is owned by uid" "$T/out" || fail "audit: $(cat "$T/out")"
rc=$(rc_of "$HR_BIN" rules check --rules "$R")
[ "$rc" != 0 ] || fail "rules check passed a refused rule file"
# Trusted: the fix is written.
rc=$(rc_of hr_apply "$ns" apply --state-dir "$S" --fix --rules "$R" --trust-inputs)
assert_eq "$(sysval "$ns" $K)" 2 "--trust-inputs: the fix (exit $rc: $(cat "$T/err"))"
hr_apply "$ns" rollback --state-dir "$S" --last >/dev/null 2>&1 || fail "rollback"
rm -rf "$S"
note "rules: refused in a group-writable directory and when owned by nobody; --trust-inputs writes the fix"

# 3. A workload file owned by nobody.
printf 'outbound:\n  - destination: 10.0.0.1:80\n    rate: 10\n' >"$T/w.yaml"
chown nobody "$T/w.yaml"
rc=$(rc_of hr_in "$ns" "$HR_BIN" audit --workload "$T/w.yaml" --interval 0)
assert_eq "$rc" 3 "audit --workload owned by nobody"
grep -q "refusing workload file $T/w.yaml: it is owned by uid" "$T/out" "$T/err" ||
	fail "audit --workload: $(cat "$T/out" "$T/err")"
rc=$(rc_of hr_in "$ns" "$HR_BIN" audit --workload "$T/w.yaml" --interval 0 --trust-inputs)
[ "$rc" != 3 ] || fail "audit --workload --trust-inputs: $(cat "$T/out" "$T/err")"
note "workload: refused when owned by nobody"

# 4. The persist file's directory is world-writable.
mkdir -p "$T/sysctl.d"
chmod 0777 "$T/sysctl.d"
refused persist "refusing persist file $T/sysctl.d/90-headroom.conf: its directory $T/sysctl.d is writable by group and others" \
	--set $K=3 --persist-file "$T/sysctl.d/90-headroom.conf"
[ ! -e "$T/sysctl.d/90-headroom.conf" ] || fail "persist: the file was written"
# 5. A root-owned file in a sticky world-writable root-owned directory is fine.
chmod 1777 "$T/sysctl.d"
rc=$(rc_of hr_apply "$ns" apply --state-dir "$S" --set $K=3 --persist-file "$T/sysctl.d/90-headroom.conf")
assert_eq "$rc" 0 "persist in a sticky directory ($(cat "$T/err"))"
grep -q "tcp_syn_retries = 3" "$T/sysctl.d/90-headroom.conf" || fail "persist: $(cat "$T/sysctl.d/90-headroom.conf")"
hr_apply "$ns" rollback --state-dir "$S" --last >/dev/null 2>&1 || fail "rollback"
assert_eq "$(sysval "$ns" $K)" "$orig" "rollback"
note "persist: refused in a world-writable directory, fine in a sticky one"
echo ok
