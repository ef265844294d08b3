#!/bin/sh
# The command table: help, version, unknown commands, prefixes.
. "$(dirname "$0")/lib.sh"

"$HR_BIN" --version | grep -Eq '^headroom [0-9]+\.[0-9]+' || fail "--version"
"$HR_BIN" help >"$T/help"
for c in probe audit explain rules snapshot profile apply confirm rollback history; do
	grep -q "^  $c " "$T/help" || fail "help does not list $c"
	"$HR_BIN" help "$c" | grep -q "^usage: headroom $c" || fail "help $c"
done
rc=0; "$HR_BIN" frobnicate 2>"$T/err" || rc=$?
assert_eq "$rc" 64 "unknown command exit"
grep -q "unknown command 'frobnicate'" "$T/err" || fail "unknown command message"
rc=0; "$HR_BIN" r 2>"$T/err" || rc=$?
grep -q "ambiguous command 'r'" "$T/err" || fail "ambiguous prefix"
"$HR_BIN" vers | grep -q '^headroom ' || fail "unique prefix"

# Usage errors, as headroom(8) EXIT STATUS says: 64, but 3 (UNKNOWN) in the
# monitoring commands audit and watch. The option is refused before anything
# runs (--state-dir under $T in case a command ever ran anyway).
for c in probe snapshot explain rules profile apply confirm rollback history help audit watch; do
	want=64
	case $c in audit | watch) want=3 ;; esac
	rc=0; "$HR_BIN" $c --no-such-option --state-dir "$T/st" >"$T/out" 2>"$T/err" || rc=$?
	assert_eq "$rc" "$want" "$c: usage error exit"
	grep -q "no-such-option" "$T/err" || fail "$c: the usage error does not name the option: $(cat "$T/err")"
done
rc=0; "$HR_BIN" 2>"$T/err" || rc=$?
assert_eq "$rc" 64 "no command"
echo ok
