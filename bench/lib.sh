# bench/lib.sh: sourced by the namespace benchmarks (netns.sh, cost.sh,
# child-ehash.sh). The caller sets P (its namespaces' name prefix), W (its
# work directory) and PIDS (the processes it starts) before sourcing; this
# file removes all three on exit (KEEP=1 keeps W) and gives the helpers.
bench_cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	for p in $PIDS; do wait "$p" 2>/dev/null || true; done
	for ns in $(ip netns list | awk -v p="$P" 'index($1, p) == 1 { print $1 }'); do
		ip netns del "$ns" 2>/dev/null || true
	done
	if [ "${KEEP:-0}" = 1 ]; then echo "work directory kept: $W"; else rm -rf "$W"; fi
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

# bench_hold NS PAIRS READY SECONDS: bench/hold.py in NS, in the background.
bench_hold() {
	ip netns exec "$1" python3 "$(dirname "$0")/hold.py" "$2" "$3" "$4" &
	PIDS="$PIDS $!"
}
now() { date +%s.%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
