#!/bin/sh
# audit --assume-file: a proposed sysctl.d file audited before anything
# writes it, inside a namespace this test made. A file that narrows
# ip_local_port_range under a declared workload turns the audit CRITICAL
# with its FILE:LINE in the finding and the verdict, while the namespace
# keeps its range; explain names the line as the source. Lines the kernel
# would reject (tcp_tw_recycle on a kernel without it, a reversed port
# range, a value out of range, a global key from a child namespace) are
# named with FILE:LINE and make the audit CRITICAL, and the kernel is asked
# to confirm: each one written with sysctl -w in a throwaway namespace
# fails. A '-' line whose key is missing is skipped, as systemd-sysctl
# skips it. A file over 1 MiB is refused. Globs and exclusions are expanded as systemd-sysctl does:
# the what-if equals what systemd-sysctl FILE sets in a fresh namespace.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apply-lib.sh"
. "$(dirname "$0")/sysctld-lib.sh"
hr_require_netns
command -v python3 >/dev/null || skip "needs python3"

ns=$(hr_ns whatif)
A() { hr_in "$ns" "$HR_BIN" audit -q --interval 0 "$@"; }
printf 'outbound:\n  - destination: 10.0.0.2:5774\n    rate: 200/s\n' >"$T/wl.yaml"
range=$(sysval "$ns" net.ipv4.ip_local_port_range)

# Without the file: the declared load fits (200/s x 60 s = 12,000 of 28,232 ports).
rc=$(rc_of A --workload "$T/wl.yaml" --format json)
cp "$T/out" "$T/base.json"
[ "$rc" -lt 2 ] || fail "baseline audit is already critical ($rc): $(head -c 300 "$T/base.json")"

# The proposal narrows the range to 5001 ports on its line 3.
printf '# proposal for the web tier\nnet.ipv4.tcp_fin_timeout = 30\nnet.ipv4.ip_local_port_range = 40000 45000\n' \
	>"$T/narrow.conf"
rc=$(rc_of A --workload "$T/wl.yaml" --assume-file "$T/narrow.conf" --format json)
assert_eq "$rc" 2 "audit with the narrowing file: $(cat "$T/err")"
cp "$T/out" "$T/narrow.json"
python3 - "$T/narrow.json" "$T/narrow.conf" "$range" <<'PY' || fail "the narrowing file's report"
import json, sys
rep, f, was = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
s = rep["summary"]
assert s["exit_code"] == 2 and s["status"] == "CRITICAL", s
assert s["verdict"].startswith("CRITICAL: with %s:3, connections to 10.0.0.2:5774" % f), s["verdict"]
fd = [x for x in rep["findings"] if x["rule"] == "ports.timewait-exhaustion" and x["subject"] == "10.0.0.2:5774"][0]
assert fd["severity"] == "critical" and fd["new_critical"] is True, fd
assert fd["metrics"]["ports_usable"] == 45000 - 40000 + 1, fd["metrics"]
assert fd["changed_by"] == [{"key": "net.ipv4.ip_local_port_range", "value": "40000 45000", "was": was,
                             "source": f + ":3"}], fd["changed_by"]
w = s["what_if"]
assert w["files"] == [f], w
assert [(x["key"], x["where"]) for x in w["settings"]] == [
    ("net.ipv4.tcp_fin_timeout", f + ":2"), ("net.ipv4.ip_local_port_range", f + ":3")], w["settings"]
assert w["rejected"] == [], w
assert [(x["rule"], x["subject"]) for x in w["new_critical"]] == [("ports.timewait-exhaustion", "10.0.0.2:5774")], w
assert rep["facts"]["sysctls"]["net.ipv4.ip_local_port_range"]["source"] == f + ":3"
PY
assert_eq "$(sysval "$ns" net.ipv4.ip_local_port_range)" "$range" "the what-if wrote the range"
A --workload "$T/wl.yaml" --assume-file "$T/narrow.conf" >"$T/narrow.txt" || true
grep -q "^  Changed by $T/narrow.conf:3: net.ipv4.ip_local_port_range = 40000 45000 (now $range)$" "$T/narrow.txt" ||
	fail "text finding does not name the line: $(cat "$T/narrow.txt")"
grep -q "^  creates critical ports.timewait-exhaustion 10.0.0.2:5774 ($T/narrow.conf:3)$" "$T/narrow.txt" ||
	fail "text what-if does not name the created critical finding"
hr_in "$ns" "$HR_BIN" explain ports.timewait-exhaustion --workload "$T/wl.yaml" --assume-file "$T/narrow.conf" \
	>"$T/explain.txt"
grep -Eq "^  net.ipv4.ip_local_port_range +40000 45000 +$T/narrow.conf:3$" "$T/explain.txt" ||
	fail "explain does not name the line: $(cat "$T/explain.txt")"

# Lines the kernel would reject, each named with FILE:LINE; line 1 is fine.
[ ! -e /proc/sys/net/ipv4/tcp_tw_recycle ] || skip "this kernel still has tcp_tw_recycle"
printf 'net.ipv4.tcp_keepalive_time = 600\nnet.ipv4.tcp_tw_recycle = 1\nnet/ipv4/ip_local_port_range = 61000 32768\n-net.ipv4.tcp_no_such_key = 1\nnet.ipv4.tcp_syn_retries = 200\nnet.core.netdev_max_backlog = 2000\n' \
	>"$T/bad.conf"
rc=$(rc_of A --assume-file "$T/bad.conf" --format json)
assert_eq "$rc" 2 "audit with rejected lines"
cp "$T/out" "$T/bad.json"
python3 - "$T/bad.json" "$T/bad.conf" >"$T/rejected" <<'PY' || fail "rejected lines"
import json, sys
rep, f = json.load(open(sys.argv[1])), sys.argv[2]
s = rep["summary"]
assert s["verdict"] == ("CRITICAL: %s:2: the kernel would reject net.ipv4.tcp_tw_recycle = 1: absent on this "
                        "kernel (removed in 4.12) (and more lines, see the what-if)" % f), s["verdict"]
rej = [(x["where"], x["key"], x["ignored"]) for x in s["what_if"]["rejected"]]
assert rej == [(f + ":2", "net.ipv4.tcp_tw_recycle", False), (f + ":3", "net.ipv4.ip_local_port_range", False),
               (f + ":4", "net.ipv4.tcp_no_such_key", True), (f + ":5", "net.ipv4.tcp_syn_retries", False),
               (f + ":6", "net.core.netdev_max_backlog", False)], rej
why = {x["key"]: x["reason"] for x in s["what_if"]["rejected"]}
assert why["net.ipv4.ip_local_port_range"] == "high end 32768 is below low end 61000 (the kernel rejects it)", why
assert why["net.ipv4.tcp_syn_retries"].startswith("200 is outside 1..127"), why
assert why["net.ipv4.tcp_no_such_key"] == "no such key on this kernel", why
assert why["net.core.netdev_max_backlog"].startswith("absent here: a global key"), why
assert [x["where"] for x in s["what_if"]["settings"]] == [f + ":1"], s["what_if"]["settings"]
for x in s["what_if"]["rejected"]:
    print(x["key"], x["value"])
PY
# The kernel agrees: each rejected line fails with sysctl -w in another namespace.
probe=$(hr_ns kernel)
while read -r k v; do
	! hr_in "$probe" sysctl -q -w "$k=$v" 2>/dev/null || fail "the kernel took $k=$v, which the audit said it would reject"
done <"$T/rejected"
hr_in "$probe" sysctl -q -w net.ipv4.tcp_keepalive_time=600 || fail "the kernel refused the line the audit accepted"
note "kernel rejected all $(wc -l <"$T/rejected") lines the audit named"
# From the initial namespace (--netns), the global key is seen there: still refused for the child.
rc=$(rc_of "$HR_BIN" audit -q --interval 0 --netns "$ns" --assume-file "$T/bad.conf" --format json)
assert_eq "$rc" 2 "audit --netns with rejected lines"
jget "$T/out" '[x["reason"] for x in d["namespaces"][0]["summary"]["what_if"]["rejected"] if x["key"] == "net.core.netdev_max_backlog"][0]' |
	grep -q "^global key: not writable in a child network namespace" || fail "global key from --netns: $(cat "$T/out" | head -c 400)"

# A '-' line whose key is missing is skipped: it alone does not fail the proposal.
printf -- '-net.ipv4.tcp_no_such_key = 1\n' >"$T/minus.conf"
rc=$(rc_of A --assume-file "$T/minus.conf" --format json)
assert_eq "$rc" "$(jget "$T/base.json" 'd["summary"]["exit_code"]')" "a skipped '-' line changes the exit code"
assert_eq "$(jget "$T/out" 'd["summary"]["what_if"]["rejected"][0]["ignored"]')" True "'-' line marked ignored"

# Not a file of assignments, or no file: UNKNOWN, named.
printf 'net.ipv4.tcp_fin_timeout = 30\nnet.ipv4.tcp_fin_timeout 30\n' >"$T/syntax.conf"
rc=$(rc_of A --assume-file "$T/syntax.conf")
assert_eq "$rc" 3 "a line that is no assignment"
grep -q "^headroom audit: --assume-file $T/syntax.conf:2: not an assignment" "$T/err" || fail "syntax: $(cat "$T/err")"
# A value that is not UTF-8 (Latin-1 'e' acute): named, never dropped from the report.
printf '# caf\351 is fine in a comment\nnet.ipv4.tcp_fin_timeout = 3\351\n' >"$T/latin1.conf"
rc=$(rc_of A --assume-file "$T/latin1.conf" --format json)
assert_eq "$rc" 3 "a value that is not UTF-8"
grep -q "^headroom audit: --assume-file $T/latin1.conf:2: not UTF-8 text: byte 0xe9 at column 29" "$T/err" ||
	fail "not UTF-8: $(cat "$T/err")"
rc=$(rc_of A --assume-file "$T/none.conf")
assert_eq "$rc" 3 "a missing file"
grep -q "$T/none.conf: no such file" "$T/err" || fail "missing file: $(cat "$T/err")"

# The bound of a file (1 MiB, src/bounds.h): at it a file is read, beyond it refused, named.
head -c 1048576 /dev/zero | tr '\0' '#' >"$T/big.conf"
rc=$(rc_of A --assume-file "$T/big.conf")
[ "$rc" -lt 3 ] || fail "a 1 MiB file was refused: $(cat "$T/err")"
printf '#' >>"$T/big.conf"
rc=$(rc_of A --assume-file "$T/big.conf")
assert_eq "$rc" 3 "a file over 1 MiB"
grep -q "$T/big.conf: larger than 1 MiB, the bound of a sysctl.d file" "$T/err" || fail "bound: $(cat "$T/err")"

# Globs, exclusions and explicit lines against systemd-sysctl FILE in a fresh namespace.
sd=$(sd_sysctl)
printf 'net.ipv4.conf.*.rp_filter = 2\n-net.ipv4.conf.all.rp_filter\nnet.ipv4.conf.lo.rp_filter = 1\nnet.ipv4.conf.*.log_martians = 1\n' \
	>"$T/glob.conf"
rc=$(rc_of A --assume-file "$T/glob.conf" --format json)
python3 - "$T/out" >"$T/glob.want" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
sys.stdout.write("".join("%s %s\n" % (k, v["value"]) for k, v in sorted(rep["facts"]["sysctls"].items())
                         if k.startswith("net.ipv4.conf.") and "value" in v))
PY
ref=$(hr_ns globref)
hr_in "$ref" env SYSTEMD_LOG_TARGET=console "$sd" --prefix=/net "$T/glob.conf" || fail "systemd-sysctl FILE failed"
while read -r k v; do
	assert_eq "$(sysval "$ref" "$k")" "$v" "$k: what-if vs systemd-sysctl"
done <"$T/glob.want"
grep -q '^net.ipv4.conf.all.rp_filter 0$' "$T/glob.want" || fail "the excluded key was set: $(cat "$T/glob.want")"
grep -q '^net.ipv4.conf.default.rp_filter 2$' "$T/glob.want" || fail "the glob did not set default"
note "what-if of a glob file = systemd-sysctl FILE on $(wc -l <"$T/glob.want") keys"

# watch takes the same file: its one line is CRITICAL.
rc=$(rc_of hr_in "$ns" "$HR_BIN" watch --once --assume-file "$T/bad.conf")
assert_eq "$rc" 2 "watch --assume-file with rejected lines"
grep -q ' CRITICAL exit=2 ' "$T/out" || fail "watch line: $(cat "$T/out")"
echo ok
