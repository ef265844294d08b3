#!/bin/sh
# Rollback rules: a key changed since by someone else is reported and left
# alone unless --force; a journal from an earlier boot restores only the
# persisted file. Then the what-if audit (real rules engine, a rule file of
# our own) and --fix.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apply-lib.sh"
hr_require_netns
ns=$(hr_ns rb)

# Someone else changes a key after the apply.
hr_apply "$ns" apply --state-dir "$S" --set net.ipv4.tcp_tw_reuse=1 --set net.core.somaxconn=1000 >/dev/null
hr_in "$ns" sysctl -q -w net.core.somaxconn=2222
rc=$(rc_of hr_apply "$ns" rollback --state-dir "$S" --last --format json)
assert_eq "$rc" 3 "rollback with a key changed by someone else: exit 3"
assert_eq "$(jget "$T/out" 'd["left"][0]["key"]')" net.core.somaxconn "left key"
assert_eq "$(jget "$T/out" 'd["left"][0]["current"]')" 2222 "left current"
assert_eq "$(sysval $ns net.core.somaxconn)" 2222 "someone else's value left alone"
assert_eq "$(sysval $ns net.ipv4.tcp_tw_reuse)" 2 "our other key restored"
hr_apply "$ns" history --state-dir "$S" | grep -q "rollback-incomplete" || fail "history: incomplete"
rc=$(rc_of hr_apply "$ns" rollback --state-dir "$S" --last --force)
assert_eq "$rc" 0 "rollback --force"
assert_eq "$(sysval $ns net.core.somaxconn)" 4096 "--force restores"
rm -rf "$S"

# A journal from an earlier boot: kernel values are left, the file is restored.
C="$T/cfg"; mkdir -p "$C/etc/sysctl.d"
hr_apply "$ns" apply --state-dir "$S" --persist --config-root "$C" --set net.core.somaxconn=1000 >/dev/null
[ -f "$C/etc/sysctl.d/90-headroom.conf" ] || fail "persisted"
j=$(ls "$S"/txn/*.journal)
sed -i 's/"boot_id":"[^"]*"/"boot_id":"00000000-0000-0000-0000-000000000000"/' "$j"
rc=$(rc_of hr_apply "$ns" rollback --state-dir "$S" --last)
assert_eq "$rc" 0 "earlier-boot rollback"
grep -q "journal from an earlier boot" "$T/out" || fail "earlier boot note: $(cat "$T/out")"
assert_eq "$(sysval $ns net.core.somaxconn)" 1000 "earlier boot: kernel value not touched"
[ ! -e "$C/etc/sysctl.d/90-headroom.conf" ] || fail "earlier boot: file not restored"
hr_in "$ns" sysctl -q -w net.core.somaxconn=4096
rm -rf "$S"

# The real rules engine: a rule of our own (--rules) with a sysctl fix.
mkdir "$T/rules"
cat >"$T/rules/test.yaml" <<'YAML'
rules:
  - id: test.retries
    title: tcp_retries2 below the RFC 1122 minimum
    severity:
      critical: "net.ipv4.tcp_retries2 < 8"
    message: "tcp_retries2 = {net.ipv4.tcp_retries2}"
  - id: test.reuse
    title: TIME_WAIT reuse off
    severity:
      warning: "net.ipv4.tcp_tw_reuse != 1"
    message: "tcp_tw_reuse = {net.ipv4.tcp_tw_reuse}"
    fixes:
      - kind: sysctl
        set: {net.ipv4.tcp_tw_reuse: "1"}
        text: "Reuse TIME_WAIT ports for connect()"
YAML
rc=$(rc_of hr_apply "$ns" apply --state-dir "$S" --rules "$T/rules" --set net.ipv4.tcp_retries2=5 \
	--allow net.ipv4.tcp_retries2)
assert_eq "$rc" 4 "what-if refusal"
grep -q "test.retries: what-if audit: the plan creates a critical finding: tcp_retries2 = 5" "$T/out" ||
	fail "what-if text: $(cat "$T/out")"
assert_eq "$(sysval $ns net.ipv4.tcp_retries2)" 15 "what-if refusal wrote nothing"
no_txn "what-if refusal wrote a journal"
rc=$(rc_of hr_apply "$ns" apply --state-dir "$S" --rules "$T/rules" --set net.ipv4.tcp_retries2=5 \
	--allow net.ipv4.tcp_retries2 --allow test.retries)
assert_eq "$rc" 0 "what-if --allow RULE"
grep -q "what-if: plan creates critical test.retries, allowed by --allow" "$T/out" || fail "what-if allow note"
hr_apply "$ns" rollback --state-dir "$S" --last >/dev/null
assert_eq "$(sysval $ns net.ipv4.tcp_retries2)" 15 "rolled back"
# --fix: the first sysctl fix of each critical/warning finding whose
# severity_after is ok or info (here test.reuse's).
rc=$(rc_of hr_apply "$ns" apply --state-dir "$S" --rules "$T/rules" --fix --format json)
assert_eq "$rc" 0 "--fix ($(cat "$T/err"))"
assert_eq "$(jget "$T/out" '[c["key"] + "=" + c["new"] for c in d["plan"]["changes"] if c["from"].startswith("fix test.")]')" \
	"['net.ipv4.tcp_tw_reuse=1']" "--fix plan"
assert_eq "$(sysval $ns net.ipv4.tcp_tw_reuse)" 1 "--fix applied"
echo ok
