# tests/sockdiag-lib.sh: sourced after lib.sh by the sockdiag tests and bench/.
TCPGEN="$HR_TESTBIN/helpers/tcpgen"
DIAGDUMP="$HR_TESTBIN/helpers/diagdump"

# Skips unless the helpers are built (make check builds them).
sd_require_helpers() {
	[ -x "$TCPGEN" ] || skip "tests/helpers/tcpgen not built (run make check)"
	[ -x "$DIAGDUMP" ] || skip "tests/helpers/diagdump not built (run make check)"
}

# sd_facts NS OUT: the facts JSON of one socket dump in NS, from
# `headroom probe --interval 0 --format json` when the probe command exists,
# else from diagdump (same facts JSON, sockets only). Sets SD_SOURCE.
sd_facts() {
	if hr_in "$1" "$HR_BIN" probe --interval 0 --format json >"$2" 2>"$T/probe.err"; then
		SD_SOURCE="headroom probe"
	else
		hr_in "$1" "$DIAGDUMP" >"$2"
		SD_SOURCE="diagdump"
	fi
}

# sd_wait_listen NS PORT...: waits (at most 5 s) until every PORT listens in NS.
sd_wait_listen() {
	local ns=$1 i=0 p ok
	shift
	while [ $i -lt 50 ]; do
		ok=1
		for p in "$@"; do
			hr_in "$ns" ss -Hltn "sport = :$p" | grep -q . || ok=0
		done
		[ $ok -eq 1 ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	fail "ports $* not listening in $ns after 5 s"
}

# sd_kv FILE KEY: a value from tcpgen's key=value line.
sd_kv() { tr ' ' '\n' <"$1" | sed -n "s/^$2=//p"; }
