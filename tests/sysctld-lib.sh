# tests/sysctld-lib.sh: helpers of the sysctl.d tests (sourced after lib.sh):
# the real systemd-sysctl, and running it on a copy of a sysctl.d tree inside
# a namespace this test made (mount and network), never on the host's.

# sd_sysctl: prints the path of systemd-sysctl (not on PATH: it lives in
# /lib/systemd); installs the systemd package as root on Debian when it is
# missing; skips (77), or fails under CI=true, when it cannot be had.
sd_sysctl() {
	local p
	for p in /lib/systemd/systemd-sysctl /usr/lib/systemd/systemd-sysctl; do
		[ -x "$p" ] && { echo "$p"; return 0; }
	done
	if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
		DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
			--no-install-recommends systemd >/dev/null 2>&1 || true
		for p in /lib/systemd/systemd-sysctl /usr/lib/systemd/systemd-sysctl; do
			[ -x "$p" ] && { echo "$p"; return 0; }
		done
	fi
	[ "${CI:-}" = true ] && fail "systemd-sysctl (Debian package systemd) is missing; CI must run this test"
	skip "needs systemd-sysctl (Debian package systemd)"
}

# sd_on_copy NS ROOT ARGS...: runs systemd-sysctl ARGS inside network
# namespace NS and a new mount namespace where the sysctl.d directories are
# ROOT's (each directory ROOT lacks is an empty one there), so it reads
# exactly the tree and writes only NS's keys. Logs go to stderr.
sd_on_copy() {
	local ns=$1 root=$2 sd; shift 2
	sd=$(sd_sysctl)
	command -v unshare >/dev/null || skip "needs unshare (util-linux)"
	mkdir -p "$T/empty"
	hr_in "$ns" unshare -m sh -eu -c '
		root=$1 empty=$2 sd=$3; shift 3
		mount --make-rprivate /
		# /run and /usr/local need not have a sysctl.d on the host: fresh tmpfs in this mount namespace only.
		mount -t tmpfs hr-run /run
		mount -t tmpfs hr-local /usr/local
		mkdir -p /run/sysctl.d /usr/local/lib/sysctl.d
		for d in /etc/sysctl.d /run/sysctl.d /usr/local/lib/sysctl.d /usr/lib/sysctl.d /lib/sysctl.d; do
			# /lib -> usr/lib (merged /usr): the same directory, bound once.
			[ -d "$d" ] && [ "$(readlink -f "$d")" = "$d" ] || continue
			if [ -d "$root$d" ]; then mount --bind "$root$d" "$d"; else mount --bind "$empty" "$d"; fi
		done
		SYSTEMD_LOG_TARGET=console exec "$sd" "$@"' sd_on_copy "$root" "$T/empty" "$sd" "$@"
}
