# tests/audit-lib.sh: sourced after lib.sh by the audit tests.
TCPGEN="$HR_TESTBIN/helpers/tcpgen"

# Skips unless tcpgen is built (make check builds it).
au_require_tcpgen() {
	[ -x "$TCPGEN" ] || skip "tests/helpers/tcpgen not built (run make check)"
}

# au_audit OUT ARGS...: runs headroom audit with ARGS, JSON into OUT, stderr
# into OUT.err, and the exit code into AU_RC (no failure on a non-zero code).
au_audit() {
	local out=$1
	shift
	AU_RC=0
	"$@" --format json >"$out" 2>"$out.err" || AU_RC=$?
	[ -s "$out" ] || { cat "$out.err" >&2; fail "audit printed no report (exit $AU_RC)"; }
}

# au_check REPORT EXPECTATIONS...: checks findings with tests/audit-check.py.
au_check() { python3 "$HR_SRCDIR/tests/audit-check.py" "$@"; }

# au_wait_listen NS PORT: waits (at most 5 s) until PORT listens in NS.
au_wait_listen() {
	local i=0
	while [ $i -lt 50 ]; do
		hr_in "$1" ss -Hltn "sport = :$2" | grep -q . && return 0
		sleep 0.1
		i=$((i + 1))
	done
	fail "port $2 not listening in $1 after 5 s"
}

# au_listener NS ADDR PORT BACKLOG CONNECTS: a listener that never accepts,
# with CONNECTS clients connected to it (they fill the accept queue); runs
# until the test ends. Waits until the clients are connected.
au_listener() {
	local ns=$1 addr=$2 port=$3 backlog=$4 n=$5 ready="$T/listener.$1.$3.ready"
	hr_bg "$ns" python3 -c '
import socket, sys, time
addr, port, backlog, n, ready = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((addr, port))
s.listen(backlog)
cs = []
for i in range(n):
    c = socket.socket()
    c.setblocking(False)
    c.connect_ex(("127.0.0.1" if addr == "0.0.0.0" else addr, port))
    cs.append(c)
time.sleep(0.5)
open(ready, "w").close()
time.sleep(60)
' "$addr" "$port" "$backlog" "$n" "$ready"
	local i=0
	while [ ! -e "$ready" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	[ -e "$ready" ] || fail "listener on $port not ready"
}

# au_ns_private NAME: like hr_ns, but the namespace gets its own TCP
# established hash (tcp_child_ehash_entries = 131072, set in a throwaway
# parent namespace, never on the host). Without it every namespace shares
# the host's hash table, and reading /proc/net/tcp walks every socket of
# every namespace on the machine: slow, and so skewed (see audit-seed.sh).
# Its tcp_max_tw_buckets default is then 65536 (half the hash). Prints the name.
au_ns_private() {
	local parent="hr$$-$1-parent" ns="hr$$-$1"
	ip netns add "$parent"
	if command -v nsenter >/dev/null &&
		ip netns exec "$parent" sysctl -qw net.ipv4.tcp_child_ehash_entries=131072 2>/dev/null; then
		nsenter --net="/run/netns/$parent" ip netns add "$ns"
	else
		ip netns add "$ns" # before 5.19: the shared table
	fi
	ip netns del "$parent"
	ip -n "$ns" link set lo up
	echo "$ns"
}

# au_exhaust_setup NAME NET PORT: a client namespace (au_ns_private, 200-port
# range 40000-40199) linked to a server namespace at NET.2 whose tcpgen
# server (the client closes first) listens on PORT for 20 s. Sets cl, sv,
# DEST (NET.2:PORT) and srv_pid; the caller starts its client.
au_exhaust_setup() {
	local name=$1 net=$2 port=$3
	DEST=$net.2:$port
	cl=$(au_ns_private "${name}c")
	sv=$(hr_ns "${name}s")
	HR_NS_LIST="$HR_NS_LIST $cl"
	hr_link "$cl" "$net.1" "$sv" "$net.2"
	hr_in "$cl" sysctl -qw net.ipv4.ip_local_port_range="40000 40199"
	hr_bg "$sv" "$TCPGEN" server --listen "$DEST" --close client --duration 20 --quiet
	srv_pid=$HR_LASTPID
	au_wait_listen "$sv" "$port"
}
