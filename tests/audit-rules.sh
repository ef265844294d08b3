#!/bin/sh
# Table-driven rule tests: every tests/rules/*.cases file holds cases; each
# case sets sysctls inside a fresh network namespace (or, for what a
# namespace cannot show, edits a snapshot tree), may declare a workload or
# start a listener, runs `headroom audit` there and checks the findings.
# Also checks that every shipped rule has a case that makes it fire and one
# that keeps it quiet. HR_CASES="FILE..." runs only those case files (and
# skips that check): for working on one area.
#
# Case syntax (one directive per line, '#' comments):
#   case NAME
#   requires PROC_SYS_KEY         skip the case when the key is absent here
#   sysctl KEY=VALUE              sysctl -w inside the namespace
#   workload YAML-LINE            a line of the --workload file
#   assume KEY=VALUE              --assume
#   listen ADDR PORT BACKLOG N    listener that never accepts, N clients queued
#   tree PATH VALUE               audit a snapshot with PATH (in the tree) = VALUE
#   treeline PATH LINE            append LINE to PATH in that snapshot (after a tree line)
#   untree PATH                   audit a snapshot without PATH
#   expect RULE SUBJECT SEVERITY  SUBJECT '-' = null; SEVERITY: critical, warning,
#                                 info, ok, fires, quiet, absent, not-evaluated
#   metric RULE SUBJECT NAME VALUE PCT
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/audit-lib.sh"

CASES="$HR_SRCDIR/tests/rules"

# Coverage: every rule id needs a firing case and a quiet case.
for id in $([ -n "${HR_CASES:-}" ] || sed -n 's/^  - id: *//p' "$HR_SRCDIR"/rules/*.yaml); do
	grep -Eqh "^expect $id [^ ]+ (critical|warning|info|fires)\$" "$CASES"/*.cases ||
		fail "rule $id has no case that makes it fire"
	grep -Eqh "^expect $id [^ ]+ (ok|quiet|absent)\$" "$CASES"/*.cases ||
		fail "rule $id has no case that keeps it quiet"
done

hr_require_netns
command -v python3 >/dev/null || skip "needs python3"

n=0
ran=0
skipped=0
# Runs the case collected in the variables below.
run_case() {
	[ -n "$name" ] || return 0
	n=$((n + 1))
	local ns wl="" args="" line key nl='
'
	if [ -n "$requires" ]; then
		for key in $requires; do
			[ -e "/proc/sys/$(echo "$key" | tr . /)" ] || {
				note "case $name: skipped, $key absent on this kernel"
				skipped=$((skipped + 1))
				return 0
			}
		done
	fi
	ns=$(hr_ns "c$n")
	HR_NS_LIST="$HR_NS_LIST $ns" # hr_ns ran in a subshell
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		hr_in "$ns" sysctl -qw "$line" >/dev/null || fail "case $name: sysctl -w $line"
	done <<EOS
$sysctls
EOS
	pids_before=$HR_PIDS
	if [ -n "$listens" ]; then
		# shellcheck disable=SC2086
		set -- $listens
		while [ $# -ge 4 ]; do
			au_listener "$ns" "$1" "$2" "$3" "$4"
			shift 4
		done
	fi
	# args: one word per line (values may hold spaces), split on newlines only.
	if [ -n "$workload" ]; then
		wl="$T/wl.$n.yaml"
		printf '%s' "$workload" >"$wl"
		args="--workload$nl$wl$nl"
	fi
	args="$args$assumes"
	IFS=$nl
	if [ -n "$trees" ]; then
		hr_in "$ns" "$HR_BIN" snapshot -q -o "$T/tree.$n" >/dev/null || fail "case $name: snapshot"
		while IFS=' ' read -r path value; do
			[ -n "$path" ] || continue
			case $path in
			-*) rm -rf "${T:?}/tree.$n/${path#-}" ;;
			+*) printf '%s\n' "$value" >>"$T/tree.$n/${path#+}" ;;
			*)
				mkdir -p "$(dirname "$T/tree.$n/$path")"
				printf '%s\n' "$value" >"$T/tree.$n/$path"
				;;
			esac
		done <<EOS
$trees
EOS
		# A tree given headroom/interval (and headroom/sample2/...) is
		# audited with its second counter sample: its rates.
		iv=0
		[ ! -e "$T/tree.$n/headroom/interval" ] || iv=1 # the tree's own interval is used
		# shellcheck disable=SC2086
		au_audit "$T/r.$n.json" "$HR_BIN" audit --root "$T/tree.$n" --interval "$iv" $args
	else
		# shellcheck disable=SC2086
		au_audit "$T/r.$n.json" hr_in "$ns" "$HR_BIN" audit --interval 0 $args
	fi
	# shellcheck disable=SC2086
	au_check "$T/r.$n.json" $expects || {
		unset IFS
		fail "case $name ($(basename "$file"))"
	}
	unset IFS
	for key in $HR_PIDS; do
		case " $pids_before " in *" $key "*) ;; *) kill "$key" 2>/dev/null || true ;; esac
	done
	ip netns del "$ns"
	ran=$((ran + 1))
}

for file in ${HR_CASES:-"$CASES"/*.cases}; do
	set -f # case lines are split into words, never globbed
	name=""
	while IFS= read -r line || [ -n "$line" ]; do
		line=${line%%#*}
		# shellcheck disable=SC2086
		set -- $line
		[ $# -gt 0 ] || continue
		directive=$1
		shift
		case $directive in
		case)
			run_case
			name=$1 requires="" sysctls="" workload="" assumes="" listens="" trees="" expects=""
			;;
		requires) requires="$requires $1" ;;
		sysctl) sysctls="$sysctls${line#sysctl }
" ;;
		workload) workload="$workload${line#*workload }
" ;;
		assume) assumes="$assumes--assume
${line#assume }
" ;;
		listen) listens="$listens $1 $2 $3 $4" ;;
		tree) trees="$trees$1 ${line#tree * }
" ;;
		untree) trees="$trees-$1
" ;;
		treeline) trees="$trees+$1 ${line#treeline * }
" ;;
		expect) expects="$expects$1 $2 $3
" ;;
		metric) expects="${expects}metric:$1 $2 $3 $4 $5
" ;;
		*) fail "$file: unknown directive '$directive'" ;;
		esac
	done <"$file"
	run_case
	set +f
done
note "$ran cases passed, $skipped skipped"
[ "$ran" -gt 0 ] || skip "no case could run"
echo ok
