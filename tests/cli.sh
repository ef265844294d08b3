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
echo ok
