#!/usr/bin/python3
# headroom_audit: an Ansible module that runs 'headroom audit --format json'
# on the target and fails the task at a severity the user chooses.
# Part of headroom (contrib/ansible); see contrib/ansible/README.md.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: headroom_audit
short_description: Audit a host's TCP stack headroom with headroom
description:
  - Runs C(headroom audit --format json) on the target and returns the verdict,
    the counts per severity and the warning and critical findings.
  - The exit code of headroom follows the monitoring-plugins convention
    (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN); the task fails when it reaches
    I(fail_on).
  - Never changes anything (changed is always false); runs in check mode too.
options:
  fail_on:
    description:
      - The lowest status that fails the task. C(warning) fails on WARNING,
        CRITICAL and UNKNOWN; C(critical) on CRITICAL and UNKNOWN; C(unknown)
        only when headroom could not audit (probe unusable, rules failed to
        load); C(never) never fails on the audit's status.
    type: str
    choices: [warning, critical, unknown, never]
    default: critical
  workload:
    description: A workload file on the target (C(--workload)), declaring load to expect.
    type: path
  assume:
    description: What-if sysctl values, each C(KEY=VALUE) (C(--assume), repeatable).
    type: list
    elements: str
    default: []
  rules:
    description: Extra rule directories on the target (C(--rules), repeatable).
    type: list
    elements: path
    default: []
  root:
    description: Audit a tree captured by C(headroom snapshot) instead of the live system (C(--root)).
    type: path
  interval:
    description: Seconds to sample counters over for rates (C(--interval); 0 is one sample).
    type: float
  binary:
    description: The headroom program on the target.
    type: str
    default: headroom
  return_report:
    description: Also return the whole JSON report (with every fact) as I(report).
    type: bool
    default: false
author: headroom
"""

EXAMPLES = r"""
- name: Fail the play on any host that will run out of ports
  headroom_audit:
    fail_on: critical

- name: Pre-deployment audit with the load the new release will bring
  headroom_audit:
    workload: /etc/headroom/workload.yaml
    fail_on: warning
"""

RETURN = r"""
status:
  description: OK, WARNING, CRITICAL or UNKNOWN.
  type: str
  returned: when headroom printed a report
verdict:
  description: >-
    The first line of C(headroom audit), for example
    "CRITICAL: connections to 10.0.0.2:5774 run out of local ports in 39.8 s (...)".
  type: str
  returned: when headroom printed a report
exit_code:
  description: headroom's exit code.
  type: int
  returned: always
counts:
  description: Findings per severity (critical, warning, info, ok, not_evaluated).
  type: dict
  returned: when headroom printed a report
findings:
  description: The critical and warning findings (rule, severity, subject, message).
  type: list
  returned: when headroom printed a report
report:
  description: The whole report, when I(return_report) is true.
  type: dict
  returned: when requested
"""

import json

from ansible.module_utils.basic import AnsibleModule

# Exit code -> status, and the lowest exit code each fail_on level fails at.
STATUS = {0: "OK", 1: "WARNING", 2: "CRITICAL", 3: "UNKNOWN"}
FAIL_AT = {"warning": 1, "critical": 2, "unknown": 3, "never": 4}


def build_command(module):
    """The headroom audit command line from the module's parameters."""
    p = module.params
    cmd = [p["binary"], "audit", "--format", "json", "--quiet"]
    if p["workload"]:
        cmd += ["--workload", p["workload"]]
    for a in p["assume"]:
        cmd += ["--assume", a]
    for r in p["rules"]:
        cmd += ["--rules", r]
    if p["root"]:
        cmd += ["--root", p["root"]]
    if p["interval"] is not None:
        cmd += ["--interval", "%g" % p["interval"]]
    return cmd


def main():
    """Runs the audit and maps its exit code to the task's result."""
    module = AnsibleModule(
        argument_spec=dict(
            fail_on=dict(type="str", default="critical", choices=list(FAIL_AT)),
            workload=dict(type="path"),
            assume=dict(type="list", elements="str", default=[]),
            rules=dict(type="list", elements="path", default=[]),
            root=dict(type="path"),
            interval=dict(type="float"),
            binary=dict(type="str", default="headroom"),
            return_report=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    cmd = build_command(module)
    rc, out, err = module.run_command(cmd)
    result = dict(changed=False, exit_code=rc, cmd=cmd, stderr=err)
    if rc not in STATUS:
        module.fail_json(msg="headroom audit failed (exit %d): %s" % (rc, err.strip() or out.strip()), **result)
    try:
        report = json.loads(out)
        summary = report["summary"]
    except (ValueError, KeyError, TypeError) as e:
        module.fail_json(msg="headroom audit printed no JSON report (exit %d, %s): %s" % (rc, e, err.strip()),
                         **result)
    result["status"] = summary.get("status", STATUS[rc])
    result["verdict"] = summary.get("verdict", "")
    result["counts"] = summary.get("counts", {})
    result["findings"] = [
        dict(rule=f.get("rule"), severity=f.get("severity"), subject=f.get("subject"), message=f.get("message"))
        for f in report.get("findings", [])
        if f.get("severity") in ("critical", "warning")
    ]
    if module.params["return_report"]:
        result["report"] = report
    if rc >= FAIL_AT[module.params["fail_on"]]:
        module.fail_json(msg=result["verdict"] or STATUS[rc], **result)
    module.exit_json(msg=result["verdict"], **result)


if __name__ == "__main__":
    main()
