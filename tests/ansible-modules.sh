#!/bin/sh
# The Ansible modules (contrib/ansible/library) driven by the real
# ansible-playbook against localhost (connection: local), run inside a network
# namespace this test made, with headroom's state dir under $T: check mode
# writes nothing, a real run writes and verifies (changed=1), a second run is
# unchanged, a refused plan fails the task with headroom's reason, and
# headroom_audit fails on a CRITICAL namespace; a sysctl.d file through
# headroom_apply (sysctl_file) and a proposed one through headroom_audit
# (assume_content) before it is written, and the next boot (boot: true). The
# changed/failed counts are read from ansible's PLAY RECAP and printed; each task's result comes from
# the tree callback (one JSON file per host).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apply-lib.sh"
hr_require_netns
command -v python3 >/dev/null || skip "needs python3"
hr_need_tool ansible-playbook ansible-core
LIB="$HR_SRCDIR/contrib/ansible/library"
ns=$(hr_ns ansible)

# Ansible keeps everything (it wants a UTF-8 locale: C.UTF-8 for its commands) it writes under $T and reads no ansible.cfg of ours.
mkdir -p "$T/home" "$T/play"
: >"$T/ansible.cfg"
export HOME="$T/home" ANSIBLE_CONFIG="$T/ansible.cfg" ANSIBLE_LIBRARY="$LIB" \
	ANSIBLE_LOCAL_TEMP="$T/home/tmp" ANSIBLE_REMOTE_TEMP="$T/home/rtmp" ANSIBLE_NOCOLOR=1 \
	ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false \
	ANSIBLE_STDOUT_CALLBACK=default ANSIBLE_CALLBACKS_ENABLED=tree ANSIBLE_RETRY_FILES_ENABLED=false

# The module documentation parses (ansible-doc reads DOCUMENTATION/EXAMPLES/RETURN).
if command -v ansible-doc >/dev/null; then
	for m in headroom_apply headroom_audit; do
		LC_ALL=C.UTF-8 ansible-doc -M "$LIB" -t module "$m" >"$T/doc" 2>&1 || fail "ansible-doc $m: $(cat "$T/doc")"
	done
fi

# play NAME TASK-YAML [ansible-playbook options]: runs a one-task playbook in
# $PLAY_NS (default $ns); its output is in $T/NAME.out, the task's result in
# $T/NAME.json, the exit code in $T/NAME.rc; prints "changed=N failed=N" from
# the PLAY RECAP.
play() {
	local name=$1 task=$2 rc=0; shift 2
	printf -- '- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n%s\n' "$task" \
		>"$T/play/$name.yml"
	rm -rf "$T/tree"
	(cd "$T/play" && hr_in "${PLAY_NS:-$ns}" env LC_ALL=C.UTF-8 ANSIBLE_CALLBACK_TREE_DIR="$T/tree" ansible-playbook \
		-i localhost, -e ansible_python_interpreter=/usr/bin/python3 "$@" "$name.yml") \
		>"$T/$name.out" 2>&1 || rc=$?
	echo "$rc" >"$T/$name.rc"
	[ -s "$T/tree/localhost" ] || fail "$name: no task result: $(cat "$T/$name.out")"
	cp "$T/tree/localhost" "$T/$name.json"
	awk '/^PLAY RECAP/ { r = 1; next }
	     r && $1 == "localhost" { for (i = 3; i <= NF; i++) { split($i, kv, "="); n[kv[1]] = kv[2] }
		printf "changed=%s failed=%s\n", n["changed"], n["failed"]; found = 1 }
	     END { exit !found }' "$T/$name.out" || fail "$name: no PLAY RECAP: $(cat "$T/$name.out")"
}
# task_get NAME EXPR: a field of the task's result (r) in play NAME.
task_get() { jget "$T/$1.json" "(lambda r: $2)(d)"; }

APPLY="    - headroom_apply:
        profile: high-rate-client
        confirm: 30
        binary: $HR_BIN
        state_dir: $S"
orig_range=$(sysval "$ns" net.ipv4.ip_local_port_range)
orig_reuse=$(sysval "$ns" net.ipv4.tcp_tw_reuse)
[ "$orig_reuse" != 1 ] || fail "tcp_tw_reuse is already 1 in a fresh namespace"

# Check mode (--check --diff): would change, writes nothing, shows the plan's diff.
r=$(play check "$APPLY" --check --diff)
note "ansible check mode: $r"
assert_eq "$r" "changed=1 failed=0" "check mode recap"
assert_eq "$(sysval "$ns" net.ipv4.tcp_tw_reuse)" "$orig_reuse" "check mode wrote tcp_tw_reuse"
assert_eq "$(sysval "$ns" net.ipv4.ip_local_port_range)" "$orig_range" "check mode wrote the port range"
no_txn "check mode wrote a journal"
assert_eq "$(task_get check 'r["outcome"]')" would-change "check mode outcome"
# The diff as ansible prints it (the tree callback drops it from results).
grep -q "^-net.ipv4.tcp_tw_reuse = $orig_reuse$" "$T/check.out" || fail "check mode diff: $(cat "$T/check.out")"
grep -q "^+net.ipv4.tcp_tw_reuse = 1$" "$T/check.out" || fail "check mode diff (after): $(cat "$T/check.out")"
grep -q "^+net.ipv4.ip_local_port_range = 10000 65535$" "$T/check.out" || fail "check mode diff (port range)"

# Real run: written, read back, confirmed (changed=1).
r=$(play apply "$APPLY")
note "ansible apply: $r"
assert_eq "$r" "changed=1 failed=0" "apply recap"
assert_eq "$(sysval "$ns" net.ipv4.tcp_tw_reuse)" 1 "tcp_tw_reuse after apply"
assert_eq "$(sysval "$ns" net.ipv4.ip_local_port_range)" "10000 65535" "port range after apply"
txn=$(task_get apply 'r["txn"]')
assert_eq "$(task_get apply 'r["confirmed"]')" True "confirmed"
hr_apply "$ns" history --state-dir "$S" | grep -q "^$txn .* confirmed " ||
	fail "history does not show $txn confirmed: $(hr_apply "$ns" history --state-dir "$S")"
# The watcher saw the confirm and left (it polls every 0.1 s).
w=$(task_get apply 'r["watcher_pid"]')
i=0; while kill -0 "$w" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
! kill -0 "$w" 2>/dev/null || fail "confirm watcher $w still running after confirm"

# Second run: idempotent (changed=0), nothing new in the journal.
r=$(play again "$APPLY")
note "ansible second run: $r"
assert_eq "$r" "changed=0 failed=0" "second run recap"
assert_eq "$(task_get again 'r["outcome"]')" unchanged "second run outcome"
assert_eq "$(ls "$S/txn" | wc -l)" 1 "journals after the second run"

# A plan vet refuses: the task fails with headroom's reason, nothing written.
r=$(play refused "    - headroom_apply:
        set: [net.ipv4.tcp_tw_reuse=5, net.core.somaxconn=1000]
        binary: $HR_BIN
        state_dir: $S")
note "ansible refused plan: $r"
assert_eq "$r" "changed=0 failed=1" "refused plan recap"
[ "$(cat "$T/refused.rc")" -ne 0 ] || fail "ansible-playbook exited 0 on a refused plan"
msg=$(task_get refused 'r["msg"]')
echo "$msg" | grep -q "refused the plan (nothing written): net.ipv4.tcp_tw_reuse: 5 is outside 0..2" ||
	fail "refused plan message: $msg"
grep -q "fatal: \[localhost\]: FAILED!.*net.ipv4.tcp_tw_reuse: 5 is outside 0..2" "$T/refused.out" ||
	fail "ansible's output does not show headroom's reason: $(cat "$T/refused.out")"
assert_eq "$(sysval "$ns" net.core.somaxconn)" 4096 "refused plan wrote somaxconn"
assert_eq "$(ls "$S/txn" | wc -l)" 1 "journals after the refused plan"

# Audit, in a fresh namespace (defaults, not the tuned one): OK passes, a
# declared workload that exhausts the ports is CRITICAL and fails the task
# (fail_on: critical), and fail_on: never reports it.
PLAY_NS=$(hr_ns audit)
cat >"$T/workload.yaml" <<'YAML'
outbound:
  - destination: 10.0.0.2:5774
    rate: 2000/s
YAML
AUDIT="    - headroom_audit:
        binary: $HR_BIN
        interval: 0"
r=$(play audit_ok "$AUDIT
        fail_on: critical")
st=$(task_get audit_ok 'r.get("status")')
note "ansible audit (idle namespace, $st): $r"
case $st in OK|WARNING) assert_eq "$r" "changed=0 failed=0" "audit of an idle namespace" ;;
*) fail "idle namespace audits $st: $(task_get audit_ok 'r.get("msg")')" ;; esac
r=$(play audit_crit "$AUDIT
        workload: $T/workload.yaml")
note "ansible audit (critical workload): $r"
assert_eq "$r" "changed=0 failed=1" "audit of a critical namespace"
assert_eq "$(task_get audit_crit 'r["status"]')" CRITICAL "audit status"
assert_eq "$(task_get audit_crit 'r["exit_code"]')" 2 "audit exit code"
# The task's message is headroom's own verdict line for the same audit.
verdict=$(hr_in "$PLAY_NS" "$HR_BIN" audit --interval 0 --quiet --workload "$T/workload.yaml" | head -1 || true)
case $verdict in CRITICAL:*) ;; *) fail "headroom audit verdict: $verdict" ;; esac
assert_eq "$(task_get audit_crit 'r["msg"]')" "$verdict" "audit task message"
task_get audit_crit '[(f["rule"], f["severity"], f["subject"]) for f in r["findings"]]' |
	grep -q "'ports.timewait-exhaustion', 'critical', '10.0.0.2:5774'" ||
	fail "audit findings: $(task_get audit_crit 'r["findings"]')"
r=$(play audit_never "$AUDIT
        workload: $T/workload.yaml
        fail_on: never")
assert_eq "$r" "changed=0 failed=0" "fail_on: never"
assert_eq "$(task_get audit_never 'r["status"]')" CRITICAL "fail_on: never still reports"

# sysctl.d files, in a namespace of their own: headroom_apply takes a file (instead of
# sysctl -p), changed then unchanged, its '-' line for a missing key skipped; a file with
# tcp_tw_recycle fails the task with FILE:LINE and writes nothing.
PLAY_NS=$(hr_ns sysctld)
printf 'net.ipv4.tcp_keepalive_time = 620\nnet.core.somaxconn = 2000\n-net.ipv4.tcp_no_such_key = 1\n' >"$T/60-web.conf"
FILE_APPLY="    - headroom_apply:
        sysctl_file: [$T/60-web.conf]
        binary: $HR_BIN
        state_dir: $S"
r=$(play file_apply "$FILE_APPLY")
note "ansible apply of a sysctl.d file: $r"
assert_eq "$r" "changed=1 failed=0" "sysctl_file apply recap"
assert_eq "$(sysval "$PLAY_NS" net.ipv4.tcp_keepalive_time)" 620 "keepalive_time after the file"
assert_eq "$(sysval "$PLAY_NS" net.core.somaxconn)" 2000 "somaxconn after the file"
assert_eq "$(task_get file_apply '[c["from"] for c in r["changes"]]')" "['$T/60-web.conf:1', '$T/60-web.conf:2']" \
	"changes name FILE:LINE"
task_get file_apply 'r["notes"]' | grep -q "$T/60-web.conf:3: -net.ipv4.tcp_no_such_key: skipped" ||
	fail "the '-' line is not in the notes: $(task_get file_apply 'r["notes"]')"
r=$(play file_again "$FILE_APPLY")
assert_eq "$r" "changed=0 failed=0" "sysctl_file second run"
printf 'net.core.somaxconn = 3000\nnet.ipv4.tcp_tw_recycle = 1\n' >"$T/never.conf"
r=$(play file_refused "    - headroom_apply:
        sysctl_file: [$T/never.conf]
        binary: $HR_BIN
        state_dir: $S")
assert_eq "$r" "changed=0 failed=1" "a file with tcp_tw_recycle"
task_get file_refused 'r["msg"]' | grep -q "refused the plan (nothing written): $T/never.conf:2: never set" ||
	fail "refused file message: $(task_get file_refused 'r["msg"]')"
assert_eq "$(sysval "$PLAY_NS" net.core.somaxconn)" 2000 "the refused file wrote somaxconn"

# headroom_audit of a proposed file before the play writes it: its text
# (assume_content) narrows the port range under a declared load: the task
# fails CRITICAL, the finding names the file (assume_name) and line; the
# namespace keeps its range.
printf 'outbound:\n  - destination: 10.0.0.2:5774\n    rate: 200/s\n' >"$T/load200.yaml"
range=$(sysval "$PLAY_NS" net.ipv4.ip_local_port_range)
r=$(play audit_file "    - headroom_audit:
        binary: $HR_BIN
        interval: 0
        workload: $T/load200.yaml
        assume_name: /etc/sysctl.d/60-web.conf
        assume_content: |
          net.core.somaxconn = 2000
          net.ipv4.ip_local_port_range = 40000 40999")
note "ansible audit of a proposed file: $r"
assert_eq "$r" "changed=0 failed=1" "audit of a narrowing file"
task_get audit_file 'r["msg"]' | grep -q "^CRITICAL: with /etc/sysctl.d/60-web.conf:2, connections to 10.0.0.2:5774" ||
	fail "audit_file message: $(task_get audit_file 'r["msg"]')"
assert_eq "$(task_get audit_file '[c["source"] for f in r["findings"] for c in f.get("changed_by", [])][0]')" \
	/etc/sysctl.d/60-web.conf:2 "the finding names the proposed file's line"
assert_eq "$(task_get audit_file 'r["what_if"]["files"]')" "['/etc/sysctl.d/60-web.conf']" "what_if files"
assert_eq "$(sysval "$PLAY_NS" net.ipv4.ip_local_port_range)" "$range" "the audit wrote the range"

# headroom_audit boot: true over a config root: the value the file above
# set at runtime is lost at reboot unless a sysctl.d file persists it; the
# one the tree persists is named with its FILE:LINE.
mkdir -p "$T/croot/etc/sysctl.d"
printf 'net.ipv4.tcp_keepalive_time = 620\n' >"$T/croot/etc/sysctl.d/60-web.conf"
r=$(play audit_boot "    - headroom_audit:
        binary: $HR_BIN
        interval: 0
        boot: true
        config_root: $T/croot
        fail_on: never")
note "ansible audit of the next boot: $r"
assert_eq "$r" "changed=0 failed=0" "audit boot recap"
assert_eq "$(task_get audit_boot '[(d["runtime"], d["boot"], d["status"]) for d in r["boot"]["differences"] if d["key"] == "net.core.somaxconn"]')" \
	"[('2000', '4096', 'not persisted: lost at reboot')]" "somaxconn lost at reboot"
assert_eq "$(task_get audit_boot '[d["key"] for d in r["boot"]["differences"] if d["key"] == "net.ipv4.tcp_keepalive_time"]')" "[]" \
	"the persisted keepalive_time is no difference"
assert_eq "$(task_get audit_boot 'r["boot"]["files"]')" "['$T/croot/etc/sysctl.d/60-web.conf']" "boot files"
echo ok
