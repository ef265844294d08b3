#!/bin/sh
# Input bounds of the workload and profile loaders (src/bounds.h): a file
# over 1 MiB, YAML nested 1000 deep and more entries (workload) or keys
# (profile) than the bound each give one error naming the file (and
# line:col), in bounded time and memory.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "needs python3"
"$HR_BIN" snapshot -o "$T/r" --quiet 2>/dev/null || fail "snapshot of this system"

# wl NAME WANT: audit --workload T/NAME.yaml fails (exit 3) saying WANT.
wl() {
	rc=0
	"$HR_BIN" audit --root "$T/r" --quiet --workload "$T/$1.yaml" >"$T/$1.out" 2>&1 || rc=$?
	assert_eq "$rc" 3 "$1: exit status ($(head -c 300 "$T/$1.out"))"
	grep -qF "$2" "$T/$1.out" || fail "$1: output lacks '$2': $(head -c 600 "$T/$1.out")"
}
python3 - "$T" <<'PY'
import sys
t = sys.argv[1]
def w(name, text):
    open("%s/%s.yaml" % (t, name), "w").write(text)
w("wbig", "outbound:\n" + "".join("  - {destination: 10.%d.%d.%d:443, rate: 1/s}\n" % (i >> 16 & 255, i >> 8 & 255, i & 255) for i in range(40000)))
w("wdeep", "outbound: " + "[" * 1000 + "]" * 1000 + "\n")
w("wmany", "outbound:\n" + "".join("  - {destination: 10.0.%d.%d:443, rate: 1/s}\n" % (i >> 8, i & 255) for i in range(4100)))
w("wok", "outbound:\n" + "".join("  - {destination: 10.0.%d.%d:443, rate: 1/s}\n" % (i >> 8, i & 255) for i in range(4096)))
PY
wl wbig "wbig.yaml: larger than 1024 KiB (the bound of a workload file); not read"
wl wdeep "wdeep.yaml:1:42: nested deeper than 32 levels (the bound of a workload file); not read"
wl wmany "wmany.yaml:4098:5: more than 4096 entries in 'outbound' (the bound of a workload file)"
rc=0; "$HR_BIN" audit --root "$T/r" --quiet --workload "$T/wok.yaml" --format json >"$T/wok.json" 2>"$T/wok.err" || rc=$?
[ "$rc" -le 2 ] || fail "4096 entries (within the bound): exit $rc: $(head -c 300 "$T/wok.err")"

# Profiles: profile show NAME --profiles DIR.
mkdir "$T/p"
python3 - "$T/p" <<'PY'
import sys
t = sys.argv[1]
def w(name, text):
    open("%s/%s.yaml" % (t, name), "w").write("name: %s\ndescription: d\n%s" % (name, text))
w("pbig", "settings:\n" + "".join("  net.ipv4.k%d: {value: \"1\", why: w}\n" % i for i in range(40000)))
w("pdeep", "settings: " + "{a: " * 1000 + "1" + "}" * 1000 + "\n")
w("pmany", "settings:\n" + "".join("  net.ipv4.k%d: {value: \"1\", why: w}\n" % i for i in range(4100)))
PY
# pr NAME WANT: profile show NAME fails naming the file.
pr() {
	rc=0
	"$HR_BIN" profile show "$1" --profiles "$T/p" >"$T/$1.out" 2>&1 || rc=$?
	[ "$rc" -ne 0 ] || fail "$1: accepted"
	grep -qF "$2" "$T/$1.out" || fail "$1: output lacks '$2': $(head -c 600 "$T/$1.out")"
}
pr pbig "pbig.yaml: larger than 1024 KiB (the bound of a profile); not read"
pr pdeep "pdeep.yaml:3:135: nested deeper than 32 levels (the bound of a profile); not read"
pr pmany "pmany.yaml:4100:3: more than 4096 keys in a profile (the bound)"
echo ok
