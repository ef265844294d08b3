#!/usr/bin/python3
# headroom_apply: an Ansible module that runs 'headroom apply' (a profile,
# --set values or --fix) as one vetted transaction with commit-confirmed,
# then 'headroom confirm'. Check mode is --dry-run; diff mode shows the plan.
# Part of headroom (contrib/ansible); see contrib/ansible/README.md.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: headroom_apply
short_description: Apply sysctl settings with headroom's vetted, journaled transactions
description:
  - Runs C(headroom apply --detailed-exitcodes --format json) with a profile,
    sysctl.d files, C(--set) values and/or C(--fix), then C(headroom confirm) for the
    transaction when I(confirm) is set.
  - headroom vets the plan before any write and refuses (writing nothing)
    unknown keys, values outside the kernel's range, global keys from a child
    network namespace, dangerous values without I(allow), and plans that
    create a new critical finding. A refusal fails the task with headroom's
    reasons.
  - changed is true only when something was written (exit code 2); exit 0
    means every key was already right. Exit 1 (failed and rolled back),
    3 (rollback incomplete) and 4 (refused) fail the task.
  - Check mode runs C(--dry-run) (nothing is written; changed says whether a
    real run would write). Diff mode shows the plan as "key = value" lines.
options:
  profile:
    description: A shipped profile (C(headroom profile list)) or a profile file.
    type: str
  set:
    description: Single settings C(KEY=VALUE) (C(--set), repeatable; override the profile and fixes).
    type: list
    elements: str
    default: []
  sysctl_file:
    description:
      - sysctl.d files on the target (C(--sysctl-file), repeatable, in order) applied the way
        C(sysctl -p FILE) would, but vetted first and as one transaction with read-back and
        rollback. Each change names its FILE:LINE; a C(-key) line whose key the kernel would
        refuse (absent, read-only, out of range) is skipped with a note.
    type: list
    elements: path
    default: []
  system:
    description: Every sysctl.d file in systemd-sysctl's order (C(--system), like C(sysctl --system)).
    type: bool
    default: false
  config_root:
    description: Where I(system) and I(persist) find the sysctl.d directories (C(--config-root); tests).
    type: path
  fix:
    description: Apply, per critical or warning finding, its first sysctl fix that resolves it (C(--fix)).
    type: bool
    default: false
  allow:
    description: Accept a dangerous value of KEY, or a plan that trips a what-if rule id (C(--allow), repeatable).
    type: list
    elements: str
    default: []
  confirm:
    description:
      - Commit confirmed (C(--confirm SECONDS)), 0 < S <= 86400. headroom rolls
        the transaction back after S seconds unless C(headroom confirm) arrives.
      - With I(auto_confirm) the module confirms as soon as the apply has
        succeeded and every key was read back and verified.
    type: float
  auto_confirm:
    description:
      - Run C(headroom confirm TXN) right after a successful apply with I(confirm).
      - Set false to confirm in a later task (I(confirm_txn)), after checking
        the host still works; the transaction then reverts by itself if that
        task never runs.
    type: bool
    default: true
  confirm_txn:
    description: Only confirm this transaction (C(headroom confirm TXN)); nothing is applied.
    type: str
  persist:
    description: Also write the settings to /etc/sysctl.d/90-headroom.conf (C(--persist)).
    type: bool
    default: false
  persist_file:
    description: Persist to this file instead (C(--persist-file), implies I(persist)).
    type: path
  state_dir:
    description: headroom's journal directory (C(--state-dir), default /var/lib/headroom).
    type: path
  root:
    description: Act on ROOT/proc/sys instead of the live kernel (C(--root); tests).
    type: path
  profiles:
    description: Where profiles are read (C(--profiles)).
    type: path
  rules:
    description: Where rules are read (C(--rules), repeatable).
    type: list
    elements: path
    default: []
  binary:
    description: The headroom program on the target.
    type: str
    default: headroom
author: headroom
"""

EXAMPLES = r"""
- name: Tune the web tier, rolled back in 60 s unless confirmed
  headroom_apply:
    profile: web-server
    confirm: 60

- name: Install a sysctl.d file and apply it as one vetted transaction (instead of sysctl -p)
  ansible.builtin.template:
    src: sysctl/60-web.conf.j2
    dest: /etc/sysctl.d/60-web.conf
  register: conf
- headroom_apply:
    sysctl_file: [/etc/sysctl.d/60-web.conf]
    confirm: 60
  when: conf.changed

- name: One setting, persisted across reboots
  headroom_apply:
    set:
      - net.ipv4.tcp_tw_reuse=1
    persist: true

- name: Apply, keep the revert armed, and confirm only once the service answers
  headroom_apply:
    profile: reverse-proxy
    confirm: 120
    auto_confirm: false
  register: tuned
- ansible.builtin.uri:
    url: http://localhost/health
- headroom_apply:
    confirm_txn: "{{ tuned.txn }}"
  when: tuned.txn is defined and tuned.txn
"""

RETURN = r"""
outcome:
  description: unchanged, applied, would-change (check mode), failed or rollback-incomplete, or refused.
  type: str
  returned: always
txn:
  description: The transaction id (for C(headroom rollback TXN)).
  type: str
  returned: when a transaction was written
changes:
  description: The plan's changes, each with key, old, new, why and from.
  type: list
  returned: when headroom printed a plan
refusals:
  description: Each refused key with the reason.
  type: list
  returned: when headroom printed a plan
confirmed:
  description: Whether the module ran C(headroom confirm) successfully.
  type: bool
  returned: always
exit_code:
  description: The exit code of C(headroom apply).
  type: int
  returned: always
"""

import json

from ansible.module_utils.basic import AnsibleModule

# headroom apply --detailed-exitcodes exit codes (headroom-apply(8)).
RC_UNCHANGED, RC_FAILED, RC_CHANGED, RC_INCOMPLETE, RC_REFUSED = 0, 1, 2, 3, 4


def common_opts(p):
    """Options shared by apply and confirm."""
    return ["--state-dir", p["state_dir"]] if p["state_dir"] else []


def build_command(module):
    """The headroom apply command line from the module's parameters."""
    p = module.params
    cmd = [p["binary"], "apply", "--detailed-exitcodes", "--format", "json"]
    if p["profile"]:
        cmd += ["--profile", p["profile"]]
    if p["fix"]:
        cmd.append("--fix")
    for f in p["sysctl_file"]:
        cmd += ["--sysctl-file", f]
    if p["system"]:
        cmd.append("--system")
    if p["config_root"]:
        cmd += ["--config-root", p["config_root"]]
    for s in p["set"]:
        cmd += ["--set", s]
    for a in p["allow"]:
        cmd += ["--allow", a]
    if p["persist_file"]:
        cmd += ["--persist-file", p["persist_file"]]
    elif p["persist"]:
        cmd.append("--persist")
    if p["root"]:
        cmd += ["--root", p["root"]]
    if p["profiles"]:
        cmd += ["--profiles", p["profiles"]]
    for r in p["rules"]:
        cmd += ["--rules", r]
    cmd += common_opts(p)
    if module.check_mode:
        cmd.append("--dry-run")
    elif p["confirm"] is not None:
        cmd += ["--confirm", "%g" % p["confirm"]]
    return cmd


def plan_diff(tree):
    """The plan's changes as an Ansible diff of "key = value" lines."""
    changes = tree.get("plan", {}).get("changes", [])
    return dict(
        before_header="sysctl (now)",
        after_header="sysctl (%s)" % tree.get("source", "plan"),
        before="".join("%s = %s\n" % (c["key"], c["old"]) for c in changes),
        after="".join("%s = %s\n" % (c["key"], c["new"]) for c in changes),
    )


def failure_message(rc, tree, err):
    """headroom's own words for a failed or refused apply."""
    res = tree.get("result") or {}
    refusals = tree.get("plan", {}).get("refusals", [])
    if rc == RC_REFUSED:
        why = "; ".join((r["where"] + ": " if r.get("where") else "") + (r.get("reason") or r.get("key", ""))
                        for r in refusals) or err.strip()
        return "headroom apply refused the plan (nothing written): %s" % why
    if rc == RC_FAILED:
        return "headroom apply failed, every key written was restored and verified: %s" % (
            res.get("error") or err.strip())
    if rc == RC_INCOMPLETE:
        left = [r.get("key") for r in res.get("restored", []) if not r.get("ok")]
        return "headroom apply failed and the rollback is INCOMPLETE (%s keep the new value): %s" % (
            ", ".join(left) or "see the journal", res.get("error") or err.strip())
    return "headroom apply exited %d: %s" % (rc, err.strip())


def confirm(module, txn, result):
    """Runs headroom confirm TXN; fails the task when it does not succeed."""
    cmd = [module.params["binary"], "confirm", txn] + common_opts(module.params)
    rc, out, err = module.run_command(cmd)
    result["confirm_stdout"] = out
    if rc != 0:
        module.fail_json(msg="headroom confirm %s failed (exit %d): %s; the transaction rolls back at its deadline"
                         % (txn, rc, err.strip() or out.strip()), **result)
    result["confirmed"] = True


def main():
    """Runs apply (and confirm) and maps the exit codes to changed/failed."""
    module = AnsibleModule(
        argument_spec=dict(
            profile=dict(type="str"),
            set=dict(type="list", elements="str", default=[]),
            fix=dict(type="bool", default=False),
            sysctl_file=dict(type="list", elements="path", default=[]),
            system=dict(type="bool", default=False),
            config_root=dict(type="path"),
            allow=dict(type="list", elements="str", default=[]),
            confirm=dict(type="float"),
            auto_confirm=dict(type="bool", default=True),
            confirm_txn=dict(type="str"),
            persist=dict(type="bool", default=False),
            persist_file=dict(type="path"),
            state_dir=dict(type="path"),
            root=dict(type="path"),
            profiles=dict(type="path"),
            rules=dict(type="list", elements="path", default=[]),
            binary=dict(type="str", default="headroom"),
        ),
        mutually_exclusive=[("confirm_txn", "profile"), ("confirm_txn", "set"), ("confirm_txn", "fix"),
                            ("confirm_txn", "sysctl_file"), ("confirm_txn", "system")],
        supports_check_mode=True,
    )
    p = module.params
    result = dict(changed=False, confirmed=False)
    if p["confirm_txn"]:
        result.update(outcome="confirm", txn=p["confirm_txn"], exit_code=0)
        if not module.check_mode:
            confirm(module, p["confirm_txn"], result)
            result["changed"] = True
        module.exit_json(**result)
    if not (p["profile"] or p["set"] or p["fix"] or p["sysctl_file"] or p["system"]):
        module.fail_json(msg="say what to apply: profile, set, fix, sysctl_file and/or system", **result)

    cmd = build_command(module)
    rc, out, err = module.run_command(cmd)
    result.update(exit_code=rc, cmd=cmd, stderr=err)
    try:
        tree = json.loads(out) if out.strip() else {}
    except ValueError:
        tree = {}
        result["stdout"] = out
    plan = tree.get("plan", {})
    res = tree.get("result") or {}
    result.update(changes=plan.get("changes", []), refusals=plan.get("refusals", []),
                  notes=plan.get("notes", []), source=tree.get("source"))
    if res.get("txn"):
        result["txn"] = res["txn"]
    if module._diff and plan.get("changes"):
        result["diff"] = plan_diff(tree)
    if rc not in (RC_UNCHANGED, RC_CHANGED):
        result["outcome"] = "refused" if rc == RC_REFUSED else res.get("outcome", "failed")
        module.fail_json(msg=failure_message(rc, tree, err), **result)
    if module.check_mode:
        result.update(changed=rc == RC_CHANGED, outcome="would-change" if rc == RC_CHANGED else "unchanged")
        module.exit_json(**result)
    result["outcome"] = res.get("outcome", "unchanged" if rc == RC_UNCHANGED else "applied")
    result["written"] = res.get("written", [])
    result["changed"] = rc == RC_CHANGED
    if rc == RC_CHANGED and p["confirm"] is not None:
        result["watcher_pid"] = res.get("watcher_pid")
        if p["auto_confirm"]:
            confirm(module, res.get("txn", ""), result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
