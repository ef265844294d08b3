#!/bin/sh
# NaN and infinities a rule computes (inf - inf, an overflow) are told in
# words in every template format ("unknown", "infinite", "-infinite"; a
# duration "never"), never as C's "-nan%" or "inf"; the JSON stays strict
# JSON (no NaN literal: such metrics are null).
. "$(dirname "$0")/lib.sh"
hr_require_netns
ns=$(hr_ns nonfinite)
mkdir -p "$T/rules"
cat >"$T/rules/nonfinite.yaml" <<'YAML'
rules:
  - id: t.nonfinite
    title: nonfinite
    let:
      big: "1e308 * 10"
      nan: "big - big"
    metrics: [nan, big]
    severity:
      warning: "1 == 1"
    message: "pct {nan:pct} num {nan:num} int {nan:int} f {big:1f} raw {nan:raw} neg {-big:pct} dur {big:duration} plain {nan}"
YAML
hr_in "$ns" "$HR_BIN" audit --rules "$T/rules" --interval 0 >"$T/text" 2>&1 || true
grep -q "pct unknown num unknown int unknown f infinite raw unknown neg -infinite dur never plain unknown" "$T/text" ||
	fail "non-finite values: $(grep -m1 'pct' "$T/text")"
! grep -Eiq -- '-?nan%?|(^| )-?inf%?( |$)' "$T/text" || fail "C's words for NaN or inf: $(grep -Ei 'nan|inf' "$T/text" | head -2)"
hr_in "$ns" "$HR_BIN" audit --rules "$T/rules" --interval 0 --format json >"$T/json" 2>/dev/null || true
python3 - "$T/json" <<'PY' || fail "the JSON: $(head -c 300 "$T/json")"
import json, sys
def bad(x):
    raise ValueError("not JSON: " + x)
d = json.load(open(sys.argv[1]), parse_constant=bad)
f = [f for f in d["findings"] if f["rule"] == "t.nonfinite"][0]
assert "-nan" not in f["message"] and "unknown" in f["message"], f["message"]
assert f["metrics"]["nan"] is None and f["metrics"]["big"] is None, f["metrics"]
PY
echo ok
