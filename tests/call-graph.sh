#!/bin/sh
# The subsystems of src/ call each other one way only (docs/MAP.md): from the
# objects' symbol tables (nm: what each file defines and what it calls), the
# calls between files of different subsystems form no cycle. A file belongs
# to the subsystem its name says (below); a new file without a subsystem
# fails the test, so the map stays complete.
. "$(dirname "$0")/lib.sh"
command -v nm >/dev/null || skip "needs nm (binutils)"
objdir=$(dirname "$HR_BIN")
ls "$objdir"/*.o >/dev/null 2>&1 || skip "no objects in $objdir"

subsys() { # subsys FILE-BASENAME: the subsystem of a source file
	case $1 in
	main | cmd | cmd-*) echo cmd ;;
	probe | probe-* | sockdiag | procnet | snapshot | conntrack | conntrack-* | kmsg | trace | trace-*) echo probe ;;
	facts | facts-*) echo facts ;;
	expr-*) echo expr ;;
	diag) echo diag ;;
	rules | rules-*) echo rules ;;
	severity) echo severity ;;
	audit | audit-* | workload | profile) echo audit ;;
	managers | managers-*) echo managers ;;
	render | render-*) echo render ;;
	fmt) echo fmt ;;
	clock) echo clock ;;
	sysctl | sysctl-range) echo sysctl ;;
	sysctld) echo sysctld ;;
	vet | journal | apply | confirm | drift | persist) echo apply ;;
	watch | watch-* | term) echo watch ;;
	netns | netns-*) echo netns ;;
	util | trust | bounds | lazy) echo util ;;
	*) echo "" ;;
	esac
}

: >"$T/defs"; : >"$T/uses"
for o in "$objdir"/*.o; do
	f=$(basename "$o" .o)
	# tests/headroom-fi's objects (mk/apply.am): the same sources again.
	case $f in tests_headroom_fi-*) continue ;; esac
	f=${f#libheadroom_la-}
	s=$(subsys "$f")
	[ -n "$s" ] || fail "src/$f.c belongs to no subsystem: add it to tests/call-graph.sh and docs/MAP.md"
	nm -g --defined-only "$o" | awk -v s="$s" -v f="$f" '$2 ~ /^[TDRB]$/ { print $3, s, f }' >>"$T/defs"
	nm -u "$o" | awk -v s="$s" -v f="$f" '{ print $2, s, f }' >>"$T/uses"
done
# Edges between subsystems: caller-subsystem callee-subsystem (symbol, files).
awk 'NR == FNR { def[$1] = $2; file[$1] = $3; next }
     ($1 in def) && def[$1] != $2 { print $2, def[$1], $1, $3 "->" file[$1] }' "$T/defs" "$T/uses" |
	sort -u >"$T/edges"
note "$(cut -d' ' -f1,2 "$T/edges" | sort -u | tr '\n' ';')"
# A cycle between subsystems: a depth-first search over the subsystem graph.
cut -d' ' -f1,2 "$T/edges" | sort -u | awk '
	{ adj[$1] = adj[$1] " " $2; nodes[$1]; nodes[$2] }
	function dfs(n, path,   k, m, parts) {
		state[n] = 1
		m = split(adj[n], parts, " ")
		for (k = 1; k <= m; k++) {
			if (state[parts[k]] == 1) { print "cycle: " path " -> " parts[k]; bad = 1 }
			else if (!state[parts[k]]) dfs(parts[k], path " -> " parts[k])
		}
		state[n] = 2
	}
	END { for (n in nodes) if (!state[n]) dfs(n, n); exit bad }' >"$T/cycles" || {
	cat "$T/cycles"
	while read -r a b; do grep "^$a $b " "$T/edges" | head -n 3; grep "^$b $a " "$T/edges" | head -n 3; done <<EOF2
$(sed -n 's/^cycle: .* -> \([a-z]*\) -> \([a-z]*\)$/\1 \2/p' "$T/cycles" | head -n 3)
EOF2
	fail "the subsystems call each other in a circle"
}
exit 0
