#!/bin/sh
# apply's exit codes are what headroom-apply(8) says when it stops before a
# plan: an unknown profile, a malformed one and an unusable --fix are
# refused with nothing written (4), not "failed, every key written was
# restored" (1); --format json still prints a report {outcome, error,
# exit_code} for the program reading it; a usage error is 64.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apply-lib.sh"
hr_require_netns
ns=$(hr_ns exitcodes)
P="$T/profiles"
mkdir -p "$P"
printf 'name: broken\ndescription: d\nsettings:\n  net.core.somaxconn: {value: "1"}\n' >"$P/broken.yaml"

# stopped NAME PATTERN ARGS...: exit 4, the text on stderr, JSON with the same words.
stopped() {
	local name=$1 pat=$2 rc; shift 2
	rc=$(rc_of hr_apply "$ns" apply --state-dir "$S" "$@")
	assert_eq "$rc" 4 "$name: exit code ($(cat "$T/err"))"
	grep -q "refused (nothing written): .*$pat" "$T/err" || fail "$name: stderr: $(cat "$T/err")"
	rc=$(rc_of hr_apply "$ns" apply --state-dir "$S" --format json "$@")
	assert_eq "$rc" 4 "$name: exit code with --format json"
	[ -s "$T/out" ] || fail "$name: --format json printed nothing"
	assert_eq "$(jget "$T/out" 'd["outcome"]')" refused "$name: JSON outcome"
	assert_eq "$(jget "$T/out" 'd["exit_code"]')" 4 "$name: JSON exit_code"
	jget "$T/out" 'd["error"]' | grep -q "$pat" || fail "$name: JSON error: $(cat "$T/out")"
	no_txn "$name: a journal was written"
	note "$name: exit 4, $(jget "$T/out" 'd["error"]')"
}
stopped unknown-profile "unknown profile 'nosuch'" --profile nosuch
stopped broken-profile "needs both 'value' and 'why'" --profile broken --profiles "$P"
stopped path-profile "a name, not a path" --profile ../../etc/passwd
rc=$(rc_of hr_apply "$ns" apply --state-dir "$S" --profile)
assert_eq "$rc" 64 "a usage error"
[ ! -s "$T/out" ] || fail "a usage error printed a report: $(cat "$T/out")"
echo ok
