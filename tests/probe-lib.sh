# tests/probe-lib.sh: the known sockets of tests/probe-sockets.py and their checks.

# Starts probe-sockets.py in namespace $1 and waits until its sockets exist.
probe_sockets_start() {
	hr_bg "$1" python3 "$HR_SRCDIR/tests/probe-sockets.py" "$T/ready"
	i=0
	while [ ! -s "$T/ready" ]; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "probe-sockets.py did not get ready in 10 s"
		sleep 0.1
	done
}

# Checks a probe JSON report against the sockets probe-sockets.py made.
probe_sockets_check() {
	j=$1
	st='d["facts"]["sockets"]["states"]'
	assert_eq "$(jget "$j" "$st.get('LISTEN')")" 3 "LISTEN sockets"
	# 5+5 to 8080, 3+3 to 8443, 2 clients + 2 queued children on 9090
	assert_eq "$(jget "$j" "$st.get('ESTABLISHED')")" 20 "ESTABLISHED sockets"
	assert_eq "$(jget "$j" "$st.get('TIME_WAIT')")" 4 "TIME_WAIT sockets"
	assert_eq "$(jget "$j" "sorted(l['subject'] for l in d['facts']['sockets']['listeners'])")" \
		"['0.0.0.0:9090', '127.0.0.1:8080', '[::1]:8443']" "listeners"
	assert_eq "$(jget "$j" "[l['queue'] for l in d['facts']['sockets']['listeners'] if l['port'] == 9090]")" "[2]" \
		"accept queue of 9090"
	assert_eq "$(jget "$j" "sorted((x['subject'], x['in_use'], x['timewait']) for x in d['facts']['sockets']['destinations'])")" \
		"[('127.0.0.1:8080', 9, 4), ('127.0.0.1:9090', 2, 0), ('[::1]:8443', 3, 0)]" "destinations"
	assert_eq "$(jget "$j" 'd["facts"]["sockets"]["inbound"]')" 10 "inbound sockets"
	# The 4 TIME_WAIT sockets are seconds old: all born in the last 10 s.
	assert_eq "$(jget "$j" '[x["timewait_born"]["10s"] for x in d["facts"]["sockets"]["destinations"] if x["port"] == 8080]')" "[4]" \
		"TIME_WAIT births"
}
