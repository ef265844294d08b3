# tests/lab-lib.sh: the lab, sourced after tests/lib.sh by every tests/lab-*.sh.
# Two hosts (network namespaces joined by a veth pair, client 10.199.0.1 and
# server 10.199.0.2), helpers run inside them, results captured in $T.
# Cleanup is lib.sh's trap: every namespace made with hr_ns and every process
# started with hr_bg is removed on exit, whatever happens.

LAB_C_IP=10.199.0.1
LAB_S_IP=10.199.0.2
: "${LAB_HELPERS:=$HR_TESTBIN/helpers}"
# Where each scenario appends its one result line (docs/LAB.md is made from it).
: "${LAB_RESULTS:=}"

# Skips (exit 77) unless root with namespaces, and makes the two hosts:
# sets LAB_C / LAB_S (namespace names) and LAB_C_DEV / LAB_S_DEV (their
# interfaces). With "switch", the hosts hang off a bridge in a third
# namespace (LAB_SW) instead of one veth pair, so that the server's link
# going down does not take the client's carrier down with it.
lab_two_hosts() {
	hr_require_netns
	LAB_C=$(hr_ns client)
	LAB_S=$(hr_ns server)
	HR_NS_LIST="$HR_NS_LIST $LAB_C $LAB_S" # hr_ns ran in a subshell
	if [ "${1:-}" = switch ]; then
		LAB_SW=$(hr_ns switch)
		HR_NS_LIST="$HR_NS_LIST $LAB_SW"
		ip -n "$LAB_SW" link add "br$$" type bridge
		ip -n "$LAB_SW" link set "br$$" up
		LAB_C_DEV="c$$h"
		LAB_S_DEV="s$$h"
		ip link add "$LAB_C_DEV" netns "$LAB_C" type veth peer name "c$$p" netns "$LAB_SW"
		ip link add "$LAB_S_DEV" netns "$LAB_S" type veth peer name "s$$p" netns "$LAB_SW"
		ip -n "$LAB_SW" link set "c$$p" master "br$$" up
		ip -n "$LAB_SW" link set "s$$p" master "br$$" up
		ip -n "$LAB_C" addr add "$LAB_C_IP/24" dev "$LAB_C_DEV"
		ip -n "$LAB_S" addr add "$LAB_S_IP/24" dev "$LAB_S_DEV"
		ip -n "$LAB_C" link set "$LAB_C_DEV" up
		ip -n "$LAB_S" link set "$LAB_S_DEV" up
	else
		hr_link "$LAB_C" "$LAB_C_IP" "$LAB_S" "$LAB_S_IP"
		LAB_C_DEV=$HR_LINK_A
		LAB_S_DEV=$HR_LINK_B
	fi
	local i
	for i in $(seq 30); do
		ip -n "$LAB_C" link show dev "$LAB_C_DEV" | grep -q LOWER_UP &&
			ip -n "$LAB_S" link show dev "$LAB_S_DEV" | grep -q LOWER_UP && return 0
		sleep 0.1
	done
	fail "the lab hosts' links are not up after 3 s"
}

# Skips with "waiting for NAME" unless the test helper tests/helpers/NAME is built.
lab_need_helper() {
	[ -x "$LAB_HELPERS/$1" ] || skip "waiting for tests/helpers/$1 (${2:-not merged yet})"
}

# Skips (77) unless root with namespaces and every piece named is there:
# test helpers (tcpgen, deadpeer) built, headroom commands implemented.
lab_requires() {
	local x
	hr_require_netns
	for x in "$@"; do
		case "$x" in
		tcpgen) lab_need_helper tcpgen "sockdiag helper" ;;
		deadpeer) lab_need_helper deadpeer "make check builds it" ;;
		audit) lab_need_cmd audit "audit helper" ;;
		*) lab_need_cmd "$x" "apply helper" ;;
		esac
	done
}

# Skips with "waiting for ..." while a headroom command is still the placeholder.
lab_need_cmd() {
	local cmd=$1 who=${2:-its helper}
	[ -x "$HR_BIN" ] || skip "no headroom binary at $HR_BIN"
	if "$HR_BIN" help "$cmd" 2>/dev/null | grep -q 'Not implemented yet'; then
		skip "waiting for 'headroom $cmd' ($who)"
	fi
}

# Skips unless 'headroom CMD --help' (or help CMD) mentions an option.
lab_need_opt() {
	local cmd=$1 opt=$2
	{ "$HR_BIN" help "$cmd"; "$HR_BIN" "$cmd" --help; } 2>&1 | grep -q -- "$opt" ||
		skip "waiting for 'headroom $cmd $opt'"
}

# Writes a per-namespace sysctl inside one of the lab's namespaces, and checks
# it read back. Refuses anything outside net.* and any namespace not ours,
# so the host's own settings are never touched.
lab_sysctl() {
	local ns=$1 key=$2 val=$3 got
	case "$ns" in "hr$$-"*) ;; *) fail "lab_sysctl: '$ns' is not a lab namespace" ;; esac
	case "$key" in net.*) ;; *) fail "lab_sysctl: refusing non-network key $key" ;; esac
	hr_in "$ns" sysctl -qw "$key=$val" || fail "cannot set $key=$val in $ns"
	got=$(hr_in "$ns" sysctl -n "$key" | tr -s ' \t' ' ')
	assert_eq "$got" "$val" "$key in $ns"
}

# Reads one sysctl inside a namespace.
lab_sysctl_get() { hr_in "$1" sysctl -n "$2" | tr -s ' \t' ' '; }

# Seconds since the epoch with nanoseconds (one clock for every timestamp).
lab_now() { date +%s.%N; }

# Floating point arithmetic: lab_calc 'EXPR' (awk syntax) prints the result.
lab_calc() { awk "BEGIN { printf \"%.6g\n\", $1 }"; }

# Waits (at most ~5 s) until something listens on PORT inside NS.
lab_wait_listen() {
	local ns=$1 port=$2 i
	for i in $(seq 50); do
		hr_in "$ns" ss -Hltn "sport = :$port" 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	fail "nothing listens on port $port in $ns after 5 s"
}

# Starts a server in NS on IP:PORT that accepts (backlog 1024) and holds
# every connection for SECONDS, then exits; returns once it listens.
lab_accept_server() {
	hr_bg "$1" python3 -c '
import socket, sys, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind((sys.argv[1], int(sys.argv[2]))); l.listen(1024); l.settimeout(0.2)
keep = []; t0 = time.monotonic()
while time.monotonic() - t0 < float(sys.argv[3]):
    try: keep.append(l.accept()[0])
    except socket.timeout: pass
' "$2" "$3" "$4"
	lab_wait_listen "$1" "$3"
}

# Waits (at most SECS, default 10) until FILE has a line matching REGEX.
lab_wait_line() {
	local file=$1 re=$2 n=$(( ${3:-10} * 10 )) i
	for i in $(seq "$n"); do
		grep -q -- "$re" "$file" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "no line matching '$re' in $file after ${3:-10} s"
}

# Waits for a background pid with a bound (seconds); kills it and fails on overrun.
lab_wait_pid() {
	local pid=$1 secs=$2 what=${3:-process} i
	for i in $(seq $((secs * 10))); do
		kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
		sleep 0.1
	done
	kill "$pid" 2>/dev/null || true
	fail "$what still running after $secs s"
}

# A counter from /proc/net/netstat or /proc/net/snmp inside NS: lab_counter NS TcpExt ListenOverflows
lab_counter() {
	local ns=$1 grp=$2 name=$3
	hr_in "$ns" cat /proc/net/netstat /proc/net/snmp | awk -v g="$grp:" -v n="$name" '
		$1 == g && !hdr { for (i = 2; i <= NF; i++) col[$i] = i; hdr = 1; next }
		$1 == g && hdr { if (n in col) { print $col[n]; found = 1 } hdr = 0 }
		END { if (!found) exit 1 }' || fail "no counter $grp $name in $ns"
}

# One key from a key=value line (the last line of a helper's output): lab_kv FILE KEY
lab_kv() {
	local v
	v=$(tail -n 5 "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | tail -n 1)
	[ -n "$v" ] || fail "no $2= in $1: $(tail -n 3 "$1" | tr '\n' ' ')"
	echo "$v"
}

# Runs 'headroom audit --format json ARGS' inside NS into FILE; records the
# start time in LAB_AUDIT_T0 and the moment it returned (its answer in hand)
# in LAB_AUDIT_T1. Exit 0/1/2 are verdicts; 3 or more is an error.
lab_audit() {
	local ns=$1 out=$2 rc=0
	shift 2
	LAB_AUDIT_T0=$(lab_now)
	hr_in "$ns" "$HR_BIN" audit --format json "$@" >"$out" 2>"$out.err" || rc=$?
	LAB_AUDIT_T1=$(lab_now)
	LAB_AUDIT_RC=$rc
	[ "$rc" -le 2 ] || fail "headroom audit failed (exit $rc): $(head -c 600 "$out.err")"
	python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$out" 2>/dev/null ||
		fail "headroom audit did not print JSON (exit $rc): $(head -c 300 "$out") $(head -c 600 "$out.err")"
}

# Runs 'headroom apply ARGS' (or rollback) inside NS with the scenario's state dir.
lab_headroom() {
	local ns=$1 rc=0
	shift
	hr_in "$ns" "$HR_BIN" "$@" >"$T/hr.out" 2>"$T/hr.err" || rc=$?
	cat "$T/hr.out" "$T/hr.err" | sed 's/^/#   /'
	return $rc
}

# Prints the first finding of RULE (optionally whose subject contains SUBJ) as
# JSON, from an audit report; empty when none. lab_finding FILE RULE [SUBJ]
lab_finding() {
	python3 - "$@" <<'EOF'
import json, sys
rep = json.load(open(sys.argv[1]))
rule = sys.argv[2]
subj = sys.argv[3] if len(sys.argv) > 3 else None
def findings(node):
    if isinstance(node, dict):
        if node.get("rule") == rule or node.get("id") == rule:
            yield node
        for v in node.values():
            yield from findings(v)
    elif isinstance(node, list):
        for v in node:
            yield from findings(v)
for f in findings(rep):
    s = f.get("subject")
    if subj is None or (s is not None and subj in str(s)):
        print(json.dumps(f))
        break
EOF
}

# A field of a finding JSON (from lab_finding): lab_field 'JSON' 'f["metrics"]["x"]'
lab_field() { python3 -c 'import json,sys; f=json.loads(sys.argv[1]); print(eval(sys.argv[2], {"f": f}))' "$1" "$2"; }

# Prints the scenario's result line and appends it to $LAB_RESULTS.
lab_result() {
	echo "$*"
	[ -z "$LAB_RESULTS" ] || echo "$*" >>"$LAB_RESULTS"
}

# Percent difference of observed from predicted, one decimal.
lab_pct() { awk -v o="$1" -v p="$2" 'BEGIN { printf "%.1f", (p == 0 ? 0 : (o - p) * 100 / p) }'; }

# The first of several candidate metric names present in a finding JSON;
# fails naming the metrics the finding does have. lab_metric 'JSON' NAME...
lab_metric() {
	python3 - "$@" <<'PYEOF'
import json, sys
f = json.loads(sys.argv[1])
m = f.get("metrics") or {}
for n in sys.argv[2:]:
    if n in m and m[n] is not None:
        print(m[n])
        sys.exit(0)
print("metric %s not in finding %s (metrics: %s)" % ("/".join(sys.argv[2:]), f.get("rule"), ", ".join(sorted(m))), file=sys.stderr)
sys.exit(1)
PYEOF
}

# Prints "key = value" for each listed sysctl inside NS (missing keys say so).
lab_settings() {
	local ns=$1 k
	shift
	for k in "$@"; do echo "$k = $(lab_sysctl_get "$ns" "$k" 2>/dev/null || echo absent)"; done
}

# A number rounded to N decimals (default 2) for result lines.
lab_round() { awk -v x="$1" -v n="${2:-2}" 'BEGIN { printf "%.*f\n", n, x }'; }

# The port model's scenarios (issue 25): the two hosts, python3, the
# client's ip_local_port_range set to RANGE, and a tcpgen server on
# LAB_S_IP:PORT closing after the client for SECONDS. Sets R (LAB_RATE,
# default 20) and dest. lab_port_setup PORT RANGE SECONDS
lab_port_setup() {
	lab_requires tcpgen audit
	command -v python3 >/dev/null || skip "needs python3"
	lab_two_hosts
	R=${LAB_RATE:-20}
	lab_sysctl "$LAB_C" net.ipv4.ip_local_port_range "$2"
	dest="$LAB_S_IP:$1"
	hr_bg "$LAB_S" "$LAB_HELPERS/tcpgen" server --listen "$dest" --close client --duration "$3"
	lab_wait_listen "$LAB_S" "$1"
}

# Starts tests/lab-portclient.py in the client host with ARGS, its output in
# FILE; HR_LASTPID is its pid. lab_port_client FILE ARGS...
lab_port_client() {
	local out=$1
	shift
	hr_bg "$LAB_C" sh -c 'out=$1; shift; exec python3 "$@" >"$out"' sh "$out" "$HR_SRCDIR/tests/lab-portclient.py" "$@"
}
