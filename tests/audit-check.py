#!/usr/bin/env python3
"""Checks an audit JSON report against expectations (tests only).

usage: audit-check.py REPORT EXPECTATION...
  RULE SUBJECT SEVERITY      SUBJECT '-' for null; SEVERITY critical|warning|info|ok,
                             'fires' (critical|warning|info), 'quiet' (ok or no finding),
                             'absent' (no finding), 'not-evaluated'
  metric:RULE SUBJECT NAME VALUE PCT    metric within PCT % of VALUE ('null' for null)
Each expectation is one argument with space-separated words.
"""
import json
import sys


def finding(rep, rule, subject):
    for f in rep["findings"]:
        if f["rule"] == rule and f.get("subject") == subject:
            return f
    return None


def not_evaluated(rep, rule, subject):
    for n in rep["summary"]["not_evaluated"]:
        if n["rule"] == rule and n.get("subject") == subject:
            return n
    return None


def main():
    rep = json.load(open(sys.argv[1]))
    bad = []
    for exp in sys.argv[2:]:
        w = exp.split()
        if w[0].startswith("metric:"):
            rule, subject, name, value, pct = w[0][7:], w[1], w[2], w[3], float(w[4])
            subject = None if subject == "-" else subject
            f = finding(rep, rule, subject)
            if not f:
                bad.append("%s: no finding %s %s" % (exp, rule, subject))
                continue
            got = f["metrics"].get(name, "missing")
            if value == "null":
                if got is not None:
                    bad.append("%s: got %r" % (exp, got))
            elif not isinstance(got, (int, float)) or abs(got - float(value)) > abs(float(value)) * pct / 100:
                bad.append("%s: got %r" % (exp, got))
            continue
        rule, subject, sev = w
        subject = None if subject == "-" else subject
        f = finding(rep, rule, subject)
        ne = not_evaluated(rep, rule, subject)
        got = f["severity"] if f else ("not-evaluated" if ne else "absent")
        ok = {
            "fires": got in ("critical", "warning", "info"),
            "quiet": got in ("ok", "absent"),
        }.get(sev, got == sev)
        if not ok:
            detail = f["message"] if f else (ne["reason"] if ne else "")
            bad.append("%s: got %s (%s)" % (exp, got, detail))
    for b in bad:
        print("FAIL: " + b, file=sys.stderr)
    sys.exit(1 if bad else 0)


main()
