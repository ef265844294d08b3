# trace-lib.sh: what the eBPF collector's tests share (sourced after lib.sh).

# Skips (77) without eBPF in this build or kernel; fails when it should run
# as root and cannot; makes sure bpftool is there.
hr_need_trace() {
	hr_need_tool bpftool bpftool
	"$HR_BIN" trace -q 0.1 >/dev/null 2>"$T/probe.err" && return 0
	grep -q "built without eBPF\|no BTF" "$T/probe.err" && skip "$(cat "$T/probe.err")"
	fail "trace cannot run as root: $(cat "$T/probe.err")"
}

# Collectors attached on the host (ours and anyone's): the skeleton
# attaches in program order, kfree_skb's link last.
tr_links() { bpftool link show 2>/dev/null | grep -c "tp 'kfree_skb'" || true; }

# tr_wait_more N: waits (at most 10 s) until more than N collectors are attached.
tr_wait_more() {
	local i=0
	while [ "$(tr_links)" -le "$1" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	[ "$(tr_links)" -gt "$1" ] || fail "the collector did not attach within 10 s"
}
