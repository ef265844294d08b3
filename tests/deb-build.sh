#!/bin/sh
# The Debian package: built with dpkg-buildpackage -us -uc -b from a copy of
# the distributed tree in $T, checked by lintian (0 errors; warnings are
# listed), installed (dpkg -i, through apt-get for its lock wait), 'headroom
# audit' run from /usr/bin with / as cwd in a fresh namespace, and always
# purged again.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root (dpkg -i)"
command -v dpkg >/dev/null || skip "not a Debian system"
hr_require_netns
hr_need_tool dh debhelper
hr_need_tool dpkg-buildpackage dpkg-dev
hr_need_tool lintian lintian
. "$(dirname "$0")/fleet-lib.sh"
# Build dependencies (debian/control) the build machine may lack.
for pc in yaml-0.1:libyaml-dev jansson:libjansson-dev libmnl:libmnl-dev libnetfilter_conntrack:libnetfilter-conntrack-dev check:check; do
	pkg-config --exists "${pc%%:*}" || skip "needs ${pc#*:} to build the package"
done
if dpkg-query -W -f '${Status}' headroom 2>/dev/null | grep -q "install ok installed"; then
	skip "a headroom package is already installed on this machine; not touching it"
fi

# dpkg -i and dpkg --purge through apt-get, which waits for the dpkg lock
# (other tests may be installing their tools at the same time).
apt_dpkg() { DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -y -q --no-install-recommends "$@"; }
purge() { apt_dpkg purge headroom >/dev/null 2>&1 || true; }
trap 'purge; hr_cleanup' EXIT

hr_distdir "$T/headroom-0.1.0"
[ -x "$T/headroom-0.1.0/debian/rules" ] || fail "debian/rules is not in the distributed tree (or not executable)"
t0=$(date +%s)
(cd "$T/headroom-0.1.0" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES DEB_BUILD_OPTIONS="parallel=2 nocheck" \
	nice -n 10 dpkg-buildpackage -us -uc -b) \
	>"$T/build.log" 2>&1 || fail "dpkg-buildpackage: $(tail -30 "$T/build.log")"
deb=$(ls "$T"/headroom_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || fail "no .deb was built: $(tail -20 "$T/build.log")"
note "built $(basename "$deb") in $(($(date +%s) - t0)) s"

# lintian: no errors; the warnings are listed.
rc=0
lintian --tag-display-limit 0 "$deb" >"$T/lintian.out" 2>&1 || rc=$?
# 0: no errors, 1: errors found; anything else means lintian did not check.
[ "$rc" -le 1 ] || fail "lintian exited $rc: $(cat "$T/lintian.out")"
errors=$(grep -c '^E: ' "$T/lintian.out" || true)
warnings=$(grep -c '^W: ' "$T/lintian.out" || true)
note "lintian: $errors errors, $warnings warnings"
grep '^[EW]: ' "$T/lintian.out" | sed 's/^/#   /' || true
assert_eq "$errors" 0 "lintian errors"

# Contents: binary, data, man pages, Ansible modules; no enabled unit.
dpkg-deb -c "$deb" >"$T/contents"
for f in ./usr/bin/headroom ./usr/share/headroom/rules/ ./usr/share/headroom/profiles/web-server.yaml \
	./usr/share/man/man8/headroom.8.gz ./usr/share/headroom/ansible/library/headroom_apply.py; do
	grep -q " $f" "$T/contents" || fail "the package lacks $f"
done
! grep -q 'wants/headroom' "$T/contents" || fail "the package enables a systemd unit"
# The man pages name the package's data directory (generated from man/*.in),
# and neither the fault-injection build nor its hooks are packaged.
dpkg-deb -x "$deb" "$T/unpacked"
zcat "$T/unpacked/usr/share/man/man8/headroom.8.gz" | grep -q '^\.I /usr/share/headroom/rules$' ||
	fail "the packaged headroom(8) does not name /usr/share/headroom/rules"
! grep -q 'headroom-fi' "$T/contents" || fail "the package ships the fault-injection build"
! grep -a -q HEADROOM_TEST_ "$T/unpacked/usr/bin/headroom" || fail "the packaged headroom has the fault-injection hooks"
# The monitor's units, once the tree has them: shipped where dh_installsystemd registers them.
if [ -f "$T/headroom-0.1.0/systemd/headroom-textfile.timer" ]; then
	for u in headroom-textfile.service headroom-textfile.timer; do
		grep -q " ./lib/systemd/system/$u$" "$T/contents" || fail "the package lacks /lib/systemd/system/$u"
	done
fi

# Installed: the binary works from / in a fresh namespace (a verdict, exit 0-3).
apt_dpkg install "$deb" >"$T/dpkg.log" 2>&1 || fail "installing $deb: $(cat "$T/dpkg.log")"
dpkg-query -W -f '${Status}' headroom | grep -q "install ok installed" || fail "headroom is not installed: $(cat "$T/dpkg.log")"
# The maintainer scripts enable no unit (dh_installsystemd --no-enable
# --no-start): deb-systemd-helper would have made a *.wants/ link.
wants=$(ls -d /etc/systemd/system/*.wants/headroom* 2>/dev/null || true)
[ -z "$wants" ] || fail "installing the package enabled: $wants"
ns=$(hr_ns deb)
rc=0
(cd / && hr_in "$ns" /usr/bin/headroom audit --interval 0) >"$T/audit" 2>&1 || rc=$?
[ "$rc" -le 3 ] || fail "installed headroom audit exited $rc: $(cat "$T/audit")"
grep -Eq '^(OK|WARNING|CRITICAL|UNKNOWN): ' "$T/audit" || fail "no verdict: $(head -5 "$T/audit")"
grep -q '^UNKNOWN: ' "$T/audit" && fail "installed headroom cannot audit: $(head -5 "$T/audit")"
note "installed /usr/bin/headroom audit (cwd /, fresh netns): exit $rc, $(head -1 "$T/audit")"
# With systemd running, the package must not have enabled or started a unit.
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
	! systemctl is-enabled headroom-textfile.timer >/dev/null 2>&1 || fail "the package enabled headroom-textfile.timer"
fi
apt_dpkg purge headroom >"$T/purge.log" 2>&1 || fail "purging headroom: $(cat "$T/purge.log")"
! dpkg-query -W -f '${Status}' headroom 2>/dev/null | grep -q "install ok installed" || fail "headroom is still installed after purge"
[ ! -e /usr/bin/headroom ] || fail "/usr/bin/headroom is still there after purge"
echo ok
