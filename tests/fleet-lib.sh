# tests/fleet-lib.sh: helpers of the install and package tests (sourced after lib.sh).
HR_TOP_BUILDDIR=$(cd "$(dirname "$HR_BIN")/.." && pwd)
[ -f "$HR_TOP_BUILDDIR/Makefile" ] || skip "no configured build tree at $HR_TOP_BUILDDIR"
command -v make >/dev/null || skip "needs make"

# hr_make ARGS...: make without the calling make's flags and command-line
# variables (make check TESTS=... must not reach the inner build), niced.
hr_make() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES nice -n 10 make "$@"; }

# hr_distdir DIR: the distributed files only (what a tarball user builds from) in DIR.
hr_distdir() {
	hr_make -s -C "$HR_TOP_BUILDDIR" distdir distdir="$1" >"$T/distdir.log" 2>&1 ||
		fail "make distdir: $(tail -20 "$T/distdir.log")"
}
