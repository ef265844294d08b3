#!/bin/sh
# headroom rules check / list: every malformed rule reported as
# file:line:col: error: message, exit 1 on errors, 0 when clean; FILEs are
# checked in the context of the rules directories.
. "$(dirname "$0")/lib.sh"
FX="$HR_SRCDIR/tests/fixtures"

# clean rules: exit 0
"$HR_BIN" rules check --no-default-rules --rules "$FX/rules-good" >"$T/out" || fail "good rules rejected: $(cat "$T/out")"
grep -q '^3 rules checked (3 sound), 0 errors$' "$T/out" || fail "summary: $(cat "$T/out")"

# broken rules: exit 1, each error located
rc=0; "$HR_BIN" rules check --no-default-rules --rules "$FX/rules-bad" >"$T/out" || rc=$?
assert_eq "$rc" 1 "exit code on errors"
for want in \
	"rules-bad/broken.yaml:14:5: error: unknown key 'severty' in rule 'bad.unknown-key'" \
	"rules-bad/broken.yaml:19:18: error: unknown name 'tcp_tw_reuse'" \
	"rules-bad/broken.yaml:23:39: error: '+' needs numbers, not a condition" \
	"rules-bad/broken.yaml:34:78: error: expression nested deeper than 64 levels" \
	"rules-bad/broken.yaml:35:5: error: duplicate rule id 'bad.good-one'" \
	"rules-bad/broken.yaml:3:3: error: cycle in derived facts: loop_a -> loop_b -> loop_a" \
	"rules-bad/other.yaml:9:5: error: duplicate rule id 'bad.divide'" \
	"rules-bad/yaml-syntax.yaml:5:1: error: bad YAML: found unexpected end of stream"; do
	grep -qF "$want" "$T/out" || fail "missing: $want"
done
grep -q '^11 rules checked (3 sound), 12 errors$' "$T/out" || fail "summary: $(tail -1 "$T/out")"

# json: the same diagnostics as data
"$HR_BIN" rules check --no-default-rules --rules "$FX/rules-bad" --format json >"$T/out.json" || true
assert_eq "$(jget "$T/out.json" 'd["errors"]')" 12 "json error count"
assert_eq "$(jget "$T/out.json" '[g["line"] for g in d["diagnostics"] if "severty" in g["message"]][0]')" 14 "json line"
# one shape for diagnostics everywhere: rules check's are audit's summary.rule_errors
assert_eq "$(jget "$T/out.json" 'sorted(set(k for g in d["diagnostics"] for k in g))')" \
	"['column', 'file', 'level', 'line', 'message']" "diagnostic keys"
assert_eq "$(jget "$T/out.json" '[g["column"] for g in d["diagnostics"] if "severty" in g["message"]][0]')" 5 "json column"
mkdir -p "$T/tiny/proc/sys/net/ipv4"
echo 1 >"$T/tiny/proc/sys/net/ipv4/tcp_tw_reuse"
"$HR_BIN" audit --root "$T/tiny" --no-default-rules --rules "$FX/rules-bad" --format json >"$T/audit.json" 2>/dev/null || true
python3 -c 'import json, sys
a = json.load(open(sys.argv[1]))["summary"]["rule_errors"]
c = json.load(open(sys.argv[2]))["diagnostics"]
assert a == c and len(a) == 12, (a, c)' "$T/audit.json" "$T/out.json" || fail "audit rule_errors differ from rules check diagnostics"

# a FILE alone, then in the context of a directory holding its derived fact
mkdir "$T/ctx"
cat >"$T/ctx/common.yaml" <<'Y'
derived:
  fin_s: "net.ipv4.tcp_fin_timeout * 1s"
Y
cat >"$T/mine.yaml" <<'Y'
rules:
  - id: mine.fin
    title: uses a derived fact from another file
    severity: {info: "fin_s < 60s"}
Y
rc=0; "$HR_BIN" rules check --no-default-rules "$T/mine.yaml" >"$T/out" || rc=$?
assert_eq "$rc" 1 "file alone"
grep -qF "mine.yaml:4:23: error: unknown name 'fin_s'" "$T/out" || fail "unknown derived not located: $(cat "$T/out")"
"$HR_BIN" rules check --no-default-rules --rules "$T/ctx" "$T/mine.yaml" >"$T/out" || fail "file in context: $(cat "$T/out")"
# the file is also in the directory: loaded once, no duplicate id
cp "$T/mine.yaml" "$T/ctx/"
"$HR_BIN" rules check --no-default-rules --rules "$T/ctx" --rules "$T/ctx" "$T/ctx/mine.yaml" >"$T/out" ||
	fail "same file twice: $(cat "$T/out")"

# list
"$HR_BIN" rules list --no-default-rules --rules "$FX/rules-good" >"$T/out"
grep -Eq '^test\.ports-per-dest +ports +destinations +.*ports\.yaml:9 +ok$' "$T/out" || fail "list: $(cat "$T/out")"
"$HR_BIN" rules list --no-default-rules --rules "$FX/rules-bad" --format json >"$T/list.json"
assert_eq "$(jget "$T/list.json" '[r["id"] for r in d["rules"] if r["error"]][0]')" bad.unknown-key "list marks broken rules"

# usage errors
rc=0; "$HR_BIN" rules frob 2>/dev/null || rc=$?
assert_eq "$rc" 64 "unknown subcommand"
rc=0; "$HR_BIN" rules check --format xml 2>/dev/null || rc=$?
assert_eq "$rc" 64 "bad format"
echo ok
