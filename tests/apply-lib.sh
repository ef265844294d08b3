# tests/apply-lib.sh: helpers of the apply tests (sourced after lib.sh).
# Every test writes sysctls only inside namespaces it made (hr_ns) or in a
# temporary tree (--root); state dirs and persist files are under $T.
S="$T/state"

# hr_apply NS ARGS...: headroom with the temp state dir, inside NS.
hr_apply() { local ns=$1; shift; hr_in "$ns" "$HR_BIN" "$@"; }
# hr_need_fi: $HR_FI_BIN, headroom with the HEADROOM_TEST_* fault hooks
# (src/fault.h), is built; make check builds it. Missing, the test fails:
# src/headroom ignores the hooks, so nothing else can stand in for it.
hr_need_fi() {
	[ -x "$HR_FI_BIN" ] || fail "$HR_FI_BIN is missing: 'make check' (or 'make tests/headroom-fi') builds it"
}
# sysval NS KEY: a sysctl's value inside NS, whitespace-normalised.
sysval() { hr_in "$1" sysctl -n "$2" | tr -s ' \t' '  '; }
# rc_of CMD...: runs CMD and prints its exit code (never fails the test).
rc_of() { local rc=0; "$@" >"$T/out" 2>"$T/err" || rc=$?; echo "$rc"; }
# no_txn: asserts that no transaction journal was written.
no_txn() { [ ! -d "$S/txn" ] || [ -z "$(ls -A "$S/txn")" ] || fail "${1:-a journal was written}"; }
# mktree DIR KEY=VALUE...: a temporary sysctl tree DIR/proc/sys with the keys.
mktree() {
	local d=$1 kv k v f; shift
	mkdir -p "$d/proc/sys"
	for kv in "$@"; do
		k=${kv%%=*}; v=${kv#*=}
		f="$d/proc/sys/$(echo "$k" | tr . /)"
		mkdir -p "$(dirname "$f")"
		printf '%s\n' "$v" >"$f"
	done
}
