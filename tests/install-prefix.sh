#!/bin/sh
# make install: a copy of the distributed tree is configured with --prefix
# inside $T and built out of tree; 'make install DESTDIR' stages the usual
# layout, 'make install' fills the prefix, then the source copy and the build
# directory are deleted and the installed binary, run from / , finds its
# rules and profiles in $(pkgdatadir) and audits.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fleet-lib.sh"
P="$T/prefix"

hr_distdir "$T/src"
mkdir "$T/build"
(cd "$T/build" && "$T/src/configure" --prefix="$P" --disable-dependency-tracking >"$T/configure.log" 2>&1) ||
	fail "configure: $(tail -20 "$T/configure.log")"
hr_make -s -C "$T/build" -j2 >"$T/make.log" 2>&1 || fail "make: $(tail -20 "$T/make.log")"

# Staged install: the usual places under DESTDIR.
hr_make -s -C "$T/build" install DESTDIR="$T/root" >"$T/destdir.log" 2>&1 || fail "make install DESTDIR: $(tail -20 "$T/destdir.log")"
R="$T/root$P"
for f in bin/headroom share/man/man8/headroom.8 share/man/man8/headroom-apply.8 share/man/man5/headroom-rules.5 \
	share/headroom/profiles/web-server.yaml share/headroom/ansible/library/headroom_apply.py \
	share/headroom/ansible/library/headroom_audit.py share/headroom/ansible/README.md; do
	[ -e "$R/$f" ] || fail "make install DESTDIR did not install $f (have: $(cd "$R" && find . -type f | head -30))"
done
# No fault injection installed: tests/headroom-fi stays in the build tree and
# the installed binary has none of its hooks (src/fault.h).
! find "$R" -name 'headroom-fi*' | grep -q . || fail "make install installed the fault-injection build"
! grep -a -q HEADROOM_TEST_ "$R/bin/headroom" || fail "the installed headroom contains the fault-injection hooks"
# The man pages name the data directory of this prefix (generated from
# man/*.in): headroom(8) FILES, headroom-rules(5), headroom-profiles(5).
grep -q "^\.I $P/share/headroom/rules\$" "$R/share/man/man8/headroom.8" ||
	fail "installed headroom(8) does not name $P/share/headroom/rules: $(grep -A3 '^\.SH FILES' "$R/share/man/man8/headroom.8")"
grep -q "^\.I $P/share/headroom/rules/\*\.yaml\$" "$R/share/man/man5/headroom-rules.5" || fail "installed headroom-rules(5) path"
grep -q "^\.I $P/share/headroom/profiles/NAME\.yaml\$" "$R/share/man/man5/headroom-profiles.5" ||
	fail "installed headroom-profiles(5) path"
! grep -l '@[a-z]*@' "$R"/share/man/man*/* || fail "unsubstituted @...@ in an installed man page"
nrules=$(ls "$T/src/rules" | grep -c '\.yaml$')
[ "$(ls "$R/share/headroom/rules" | grep -c '\.yaml$')" -eq "$nrules" ] || fail "not every rule file was installed"
# The systemd units, once the tree has them (monitor branch): installed, not enabled.
if [ -f "$T/src/systemd/headroom-textfile.timer" ]; then
	find "$R" -name headroom-textfile.timer | grep -q . || fail "make install did not install systemd/headroom-textfile.timer"
	svc=$(find "$R" -name headroom-textfile.service | head -n 1)
	[ -n "$svc" ] || fail "make install did not install the generated headroom-textfile.service"
	grep -q "^ExecStart=$P/bin/headroom " "$svc" ||
		fail "installed headroom-textfile.service does not run $P/bin/headroom: $(grep ExecStart "$svc")"
	! find "$R" -path '*wants*' -name 'headroom*' | grep -q . || fail "make install enabled a systemd unit"
fi
note "installed $(cd "$R" && find . -type f | wc -l) files under DESTDIR, $nrules rule files"

# Real install into the prefix; then nothing of the build is left.
hr_make -s -C "$T/build" install >"$T/install.log" 2>&1 || fail "make install: $(tail -20 "$T/install.log")"
rm -rf "$T/src" "$T/build"
cd /
run() {
	if [ "$(id -u)" -eq 0 ] && command -v ip >/dev/null && ns=$(hr_ns inst 2>/dev/null); then
		hr_in "$ns" "$@"
	else
		"$@" # audit only reads
	fi
}
rc=0
run "$P/bin/headroom" audit --interval 0 --format json >"$T/audit.json" 2>"$T/audit.err" || rc=$?
[ "$rc" -le 3 ] || fail "installed audit exited $rc: $(cat "$T/audit.err")"
loaded=$(jget "$T/audit.json" 'd["summary"]["rules_loaded"]')
errs=$(jget "$T/audit.json" 'len(d["summary"]["rule_errors"])')
[ "$loaded" -gt 0 ] && [ "$errs" -eq 0 ] || fail "installed audit loaded $loaded rules with $errs errors"
verdict=$(jget "$T/audit.json" 'd["summary"]["verdict"]')
note "installed binary from /: exit $rc, $loaded rules loaded from $P/share/headroom/rules: $verdict"
"$P/bin/headroom" profile list >"$T/profiles" 2>&1 || fail "installed profile list: $(cat "$T/profiles")"
grep -q high-rate-client "$T/profiles" || fail "installed profile list: $(cat "$T/profiles")"
"$P/bin/headroom" rules list >"$T/rules" 2>&1 || fail "installed rules list: $(cat "$T/rules")"
grep -q "ports.timewait-exhaustion" "$T/rules" || fail "installed rules list: $(cat "$T/rules")"
# Gone from the prefix too: then the binary has no rules (it reads nothing else).
mv "$P/share/headroom/rules" "$P/share/headroom/rules.away"
rc=0
run "$P/bin/headroom" audit --interval 0 >"$T/audit2" 2>&1 || rc=$?
assert_eq "$rc" 3 "audit without its installed rules (UNKNOWN)"
echo ok
