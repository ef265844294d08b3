# tests/lib.sh: sourced by every shell integration test.
# set -eu, LC_ALL=C, a temporary directory, and cleanup that always removes
# the namespaces and processes the test started (by their names and pids).
set -eu
export LC_ALL=C
: "${HR_BIN:=$(cd "$(dirname "$0")/.." && pwd)/src/headroom}"
: "${HR_TESTBIN:=$(cd "$(dirname "$0")" && pwd)}"
: "${HR_FI_BIN:=$HR_TESTBIN/headroom-fi}"
: "${HR_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
T=$(mktemp -d "${TMPDIR:-/tmp}/hr-test.XXXXXX")
HR_NS_LIST=""
HR_PIDS=""

hr_cleanup() {
	local p ns
	for p in $HR_PIDS; do kill "$p" 2>/dev/null || true; done
	for p in $HR_PIDS; do wait "$p" 2>/dev/null || true; done
	for ns in $HR_NS_LIST; do ip netns del "$ns" 2>/dev/null || true; done
	# hr_ns usually runs in $(...), a subshell, so HR_NS_LIST misses its
	# namespaces; $$ is the same there: delete every hr$$-* namespace too.
	for ns in $(ip netns list 2>/dev/null | awk -v p="hr$$-" 'index($1, p) == 1 { print $1 }'); do
		ip netns del "$ns" 2>/dev/null || true
	done
	rm -rf "$T"
}
trap hr_cleanup EXIT
trap 'exit 130' INT TERM

# Some of what an audit reads is the host's, whatever the namespace
# (softnet_stat, the neighbour tables): a test that floods it would make a
# concurrent test's quiet audit warn. Such a test sets HR_HOST_EXCLUSIVE=1
# before sourcing this file and runs alone; every other test holds the
# lock shared for its whole run (fd 9, inherited by what it starts).
if command -v flock >/dev/null 2>&1; then
	exec 9>>"${TMPDIR:-/tmp}/headroom-tests-host.lock"
	if [ "${HR_HOST_EXCLUSIVE:-0}" = 1 ]; then
		flock -w 900 -x 9 || { echo "FAIL: no exclusive hold of the host lock in 900 s" >&2; exit 1; }
	else
		flock -w 900 -s 9 || { echo "FAIL: no shared hold of the host lock in 900 s" >&2; exit 1; }
	fi
fi

skip() { echo "SKIP: $*"; exit 77; }
# hr_need_tool CMD DEBIAN-PACKAGE: makes sure an external program a test drives
# (promtool, ansible-playbook, lintian, clang...) is there. As root on Debian
# it installs the package; if it is still missing the test skips (77) locally,
# but fails under CI=true, where every integration must really run.
hr_need_tool() {
	command -v "$1" >/dev/null 2>&1 && return 0
	if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "# installing $2 for $1"
		DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
			--no-install-recommends "$2" >/dev/null 2>&1 ||
			{ apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null 2>&1 &&
				DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
					--no-install-recommends "$2" >/dev/null 2>&1; } || true
	fi
	command -v "$1" >/dev/null 2>&1 && return 0
	[ "${CI:-}" = true ] && fail "$1 (Debian package $2) is missing and could not be installed; CI must run this test"
	skip "needs $1 (Debian package $2)"
}
fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "# $*"; }

# Exits 77 unless we are root and can make network namespaces.
hr_require_netns() {
	[ "$(id -u)" -eq 0 ] || skip "needs root for network namespaces"
	command -v ip >/dev/null || skip "needs iproute2"
	local probe="hrprobe$$"
	ip netns add "$probe" 2>/dev/null || skip "cannot create network namespaces here"
	ip netns del "$probe"
}

# Creates a namespace named hr<pid>-NAME with lo up; prints its name.
hr_ns() {
	local ns="hr$$-$1"
	ip netns add "$ns"
	HR_NS_LIST="$HR_NS_LIST $ns"
	ip -n "$ns" link set lo up
	echo "$ns"
}

# Runs a command inside a namespace.
hr_in() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# Starts a command in the background inside a namespace; records its pid in HR_LASTPID.
hr_bg() {
	local ns=$1; shift
	ip netns exec "$ns" "$@" &
	HR_LASTPID=$!
	HR_PIDS="$HR_PIDS $HR_LASTPID"
}

# Joins two namespaces with a veth pair: hr_link NS1 IP1 NS2 IP2 [DEV1 DEV2]
# (IPs without prefix, /24; the devices v<pid>a and v<pid>b unless named).
hr_link() {
	local a=$1 ipa=$2 b=$3 ipb=$4 va=${5:-v$$a} vb=${6:-v$$b}
	ip link add "$va" netns "$a" type veth peer name "$vb" netns "$b"
	ip -n "$a" addr add "$ipa/24" dev "$va"
	ip -n "$b" addr add "$ipb/24" dev "$vb"
	ip -n "$a" link set "$va" up
	ip -n "$b" link set "$vb" up
	HR_LINK_A=$va
	HR_LINK_B=$vb
}

# A routed path client -> NAT -> server over two veth pairs:
# hr_nat_path C N S C_IP N_IP1 N_IP2 S_IP (IPs without prefix, /24). C's
# default route goes via N; HR_NAT_OUT is N's device toward S (for the
# masquerade rule).
hr_nat_path() {
	local c=$1 n=$2 s=$3 nip1=$5 nip2=$6 sip=$7
	hr_link "$c" "$4" "$n" "$nip1"
	HR_NAT_OUT="w$$b"
	hr_link "$s" "$sip" "$n" "$nip2" "w$$a" "$HR_NAT_OUT"
	ip -n "$c" route add default via "$nip1"
}

assert_eq() { [ "$1" = "$2" ] || fail "${3:-values differ}: expected '$2', got '$1'"; }
# assert_within OBSERVED EXPECTED PCT [what]
assert_within() {
	awk -v o="$1" -v e="$2" -v p="$3" 'BEGIN { d = o - e; if (d < 0) d = -d; exit !(d <= e * p / 100) }' ||
		fail "${4:-value} $1 not within $3% of $2"
}
# jget FILE EXPR: a value from a JSON file via python3 (tests only).
jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {"d": d}))' "$1" "$2"; }
