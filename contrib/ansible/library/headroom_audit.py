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
  assume_file:
    description:
      - sysctl.d files on the target to audit as if applied (C(--assume-file), repeatable, in order),
        before the play writes them. Each finding they change names the FILE:LINE; a line the
        kernel would reject (a removed key such as tcp_tw_recycle, a value out of range, a global
        key from a child network namespace) makes the audit CRITICAL with its FILE:LINE.
    type: list
    elements: path
    default: []
  assume_content:
    description:
      - The text of a proposed sysctl.d file (for example from C(lookup('template', ...))),
        written to a temporary file on the target and audited as the last I(assume_file).
        Messages name it I(assume_name).
    type: str
  assume_name:
    description: The name messages give I(assume_content) (FILE in FILE:LINE).
    type: str
    default: proposed.conf
  boot:
    description:
      - Audit the state the next boot produces (C(--boot)), every sysctl.d file in systemd-sysctl's
        order over today's values; returns I(boot) with the keys whose runtime value differs.
    type: bool
    default: false
  config_root:
    description: Where I(boot) finds etc/sysctl.d, run/sysctl.d, usr/lib/sysctl.d (C(--config-root); tests).
    type: path
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

- name: Audit the sysctl.d file the play is about to install, before it writes it
  headroom_audit:
    assume_content: "{{ lookup('template', 'sysctl/60-web.conf.j2') }}"
    assume_name: /etc/sysctl.d/60-web.conf
    workload: /etc/headroom/workload.yaml
    fail_on: critical

- name: What will this host look like after its next reboot?
  headroom_audit:
    boot: true
    fail_on: never
  register: boot

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
  description: >-
    The critical and warning findings (rule, severity, subject, message; with assume_file or boot
    also changed_by, the declared lines the finding depends on, and new_critical).
  type: list
  returned: when headroom printed a report
what_if:
  description: >-
    With assume_file or assume_content, headroom's what-if summary: files, settings (key, value,
    was, where), rejected (where, key, value, reason, ignored) and new_critical.
  type: dict
  returned: with assume_file or assume_content
boot:
  description: >-
    With boot, the next boot's summary: files, differences (key, runtime, boot, where, status),
    rejected, problems, new_critical.
  type: dict
  returned: with boot
report:
  description: The whole report, when I(return_report) is true.
  type: dict
  returned: when requested
"""

import json
import os
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule

# Exit code -> status, and the lowest exit code each fail_on level fails at.
STATUS = {0: "OK", 1: "WARNING", 2: "CRITICAL", 3: "UNKNOWN"}
FAIL_AT = {"warning": 1, "critical": 2, "unknown": 3, "never": 4}


def build_command(module, proposed):
    """The headroom audit command line from the module's parameters
    (proposed: the temporary file of assume_content, or None)."""
    p = module.params
    cmd = [p["binary"], "audit", "--format", "json", "--quiet"]
    if p["workload"]:
        cmd += ["--workload", p["workload"]]
    for a in p["assume"]:
        cmd += ["--assume", a]
    for f in p["assume_file"] + ([proposed] if proposed else []):
        cmd += ["--assume-file", f]
    if p["boot"]:
        cmd.append("--boot")
    if p["config_root"]:
        cmd += ["--config-root", p["config_root"]]
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
            assume_file=dict(type="list", elements="path", default=[]),
            assume_content=dict(type="str"),
            assume_name=dict(type="str", default="proposed.conf"),
            boot=dict(type="bool", default=False),
            config_root=dict(type="path"),
            rules=dict(type="list", elements="path", default=[]),
            root=dict(type="path"),
            interval=dict(type="float"),
            binary=dict(type="str", default="headroom"),
            return_report=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    proposed = tmpdir = None
    if module.params["assume_content"] is not None:
        tmpdir = tempfile.mkdtemp(prefix="headroom-audit.")
        proposed = os.path.join(tmpdir, os.path.basename(module.params["assume_name"]) or "proposed.conf")
        with open(proposed, "w") as f:
            f.write(module.params["assume_content"])
    try:
        cmd = build_command(module, proposed)
        rc, out, err = module.run_command(cmd)
    finally:
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)
    if proposed:
        # headroom names the temporary file; the user knows it as assume_name.
        out = out.replace(json.dumps(proposed)[1:-1], json.dumps(module.params["assume_name"])[1:-1])
        err = err.replace(proposed, module.params["assume_name"])
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
        dict(rule=f.get("rule"), severity=f.get("severity"), subject=f.get("subject"), message=f.get("message"),
             **dict((k, f[k]) for k in ("changed_by", "new_critical") if k in f))
        for f in report.get("findings", [])
        if f.get("severity") in ("critical", "warning")
    ]
    for part in ("what_if", "boot"):
        if part in summary:
            result[part] = summary[part]
    if module.params["return_report"]:
        result["report"] = report
    if rc >= FAIL_AT[module.params["fail_on"]]:
        module.fail_json(msg=result["verdict"] or STATUS[rc], **result)
    module.exit_json(msg=result["verdict"], **result)


if __name__ == "__main__":
    main()
