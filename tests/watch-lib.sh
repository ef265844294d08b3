# tests/watch-lib.sh: sourced by tests/watch-*.sh after lib.sh and lab-lib.sh.
# A box running out of ports: the lab's two hosts, a 200-port
# ip_local_port_range on the client, a tcpgen server, and a tcpgen client
# closing WATCH_RATE connections/s (TIME_WAIT on the client), so the ports
# in use to $WATCH_DEST grow by WATCH_RATE a second until they run out at
# about 200 / WATCH_RATE s.

: "${WATCH_RATE:=10}"
WATCH_PORT=5774
WATCH_DEST="$LAB_S_IP:$WATCH_PORT"

# Starts the load for SECS seconds (bounded) with the client's port range
# (default "40000 40199"): sets WATCH_CLIENT_PID.
watch_load() {
	local secs=$1
	lab_requires tcpgen audit
	lab_two_hosts
	lab_sysctl "$LAB_C" net.ipv4.ip_local_port_range "${2:-40000 40199}"
	hr_bg "$LAB_S" "$LAB_HELPERS/tcpgen" server --listen "$WATCH_DEST" --close client --duration $((secs + 10)) --quiet
	lab_wait_listen "$LAB_S" "$WATCH_PORT"
	hr_bg "$LAB_C" "$LAB_HELPERS/tcpgen" client --connect "$WATCH_DEST" --rate "$WATCH_RATE" --duration "$secs" \
		--close client --quiet
	WATCH_CLIENT_PID=$HR_LASTPID
}

# One key=value field of a watch line: watch_field LINE KEY
watch_field() {
	printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1
}
