#!/bin/sh
# headroom snapshot: layout, refusals, --force, atomic rename, and that
# `probe --root` of a snapshot (or of a plain `cp` copy) reads what a live
# probe reads.
. "$(dirname "$0")/lib.sh"

S=$T/snap
"$HR_BIN" snapshot -o "$S" --interval 0.2 >"$T/out" 2>"$T/err" || fail "snapshot: $(cat "$T/err")"
grep -q "wrote $S: [0-9]* files" "$T/out" || fail "snapshot summary: $(cat "$T/out")"
[ ! -e "$S.tmp" ] || fail "temporary tree left behind"
for f in proc/sys/net/ipv4/ip_local_port_range proc/sys/net/ipv4/conf/all/rp_filter \
	proc/sys/net/ipv4/conf/default/rp_filter proc/sys/net/core/somaxconn proc/sys/kernel/osrelease \
	proc/sys/kernel/random/boot_id proc/net/tcp proc/net/snmp proc/net/netstat proc/net/sockstat \
	headroom/created headroom/interval headroom/sample2/proc/net/snmp headroom/sample2/proc/net/netstat; do
	[ -f "$S/$f" ] || fail "snapshot lacks $f"
done
# Exactly the readable top-level files of each sysctl directory (no write-only
# ones, and never the TCP Fast Open key).
[ ! -e "$S/proc/sys/net/ipv4/tcp_fastopen_key" ] || fail "secret tcp_fastopen_key copied"
for d in ipv4 ipv4/conf/all ipv4/conf/default ipv6/conf/all ipv6/conf/default core netfilter; do
	[ -d "/proc/sys/net/$d" ] || continue
	live=$(find "/proc/sys/net/$d" -maxdepth 1 -type f -readable ! -name tcp_fastopen_key ! -name stable_secret | wc -l)
	got=$(find "$S/proc/sys/net/$d" -maxdepth 1 -type f | wc -l)
	assert_eq "$got" "$live" "files copied from /proc/sys/net/$d"
done

# probe --root of the snapshot agrees with a live probe on every sysctl
# (but the conntrack entry count, which moves by itself).
"$HR_BIN" probe --interval 0 --format json >"$T/live.json" 2>/dev/null || true
"$HR_BIN" probe --root "$S" --format json >"$T/tree.json" 2>"$T/tree.err" || fail "probe --root: $(cat "$T/tree.err")"
python3 - "$T/live.json" "$T/tree.json" <<'PY' || fail "live and tree sysctls differ"
import json, sys
a, b = (json.load(open(p))["facts"]["sysctls"] for p in sys.argv[1:3])
skip = {"net.netfilter.nf_conntrack_count", "net.ipv4.tcp_fastopen_key",  # moves; secrets, not copied
        "net.ipv6.conf.all.stable_secret", "net.ipv6.conf.default.stable_secret"}
# Keys this user may not read (root-only, when not root) are absent live and not copied.
skip |= {k for k, v in a.items() if "readable by root only" in v.get("absent", "")}
diff = [k for k in set(a) | set(b) if k not in skip and
        (a.get(k, {}).get("value"), a.get(k, {}).get("absent")) != (b.get(k, {}).get("value"), b.get(k, {}).get("absent"))]
if diff:
    print("\n".join("%s: live %s tree %s" % (k, a.get(k), b.get(k)) for k in sorted(diff)[:5]))
sys.exit(1 if diff else 0)
PY
assert_eq "$(jget "$T/tree.json" 'd["facts"]["kernel"]["kernel.boot_id"]["value"]')" "$(cat /proc/sys/kernel/random/boot_id)" "boot id"
# Rates from the second sample: (sample2 - sample1) / interval, sourced.
python3 - "$S" "$T/tree.json" <<'PY' || fail "rates from the second sample"
import json, sys
root, rep = sys.argv[1], json.load(open(sys.argv[2]))["facts"]
def tcp(path):
    lines = [l.split() for l in open(path) if l.startswith("Tcp:")]
    return dict(zip(lines[0][1:], map(int, lines[1][1:])))
a, b = tcp(root + "/proc/net/snmp"), tcp(root + "/headroom/sample2/proc/net/snmp")
iv = float(open(root + "/headroom/interval").read())
r = rep["rates"]["rate.Tcp.ActiveOpens"]
assert abs(r["value"] - (b["ActiveOpens"] - a["ActiveOpens"]) / iv) < 1e-9, r
assert "headroom/sample2/proc/net/snmp over" in r["source"], r
assert rep["probe"]["interval_s"] == iv, rep["probe"]
PY
# --interval 0 on a tree ignores its second sample and says why.
"$HR_BIN" probe --root "$S" --interval 0 --format json >"$T/iv0.json" 2>/dev/null
jget "$T/iv0.json" 'd["facts"]["rates"]["rate.Tcp.ActiveOpens"]["absent"]' | grep -q "TIME_WAIT age histogram" ||
	fail "--interval 0: rates not absent with the reason"
"$HR_BIN" probe --root "$S" --interval 0 | grep -q "single counter sample: rates come from the TIME_WAIT age histogram" ||
	fail "text output does not say where rates come from"

# Refusals: a non-empty DIR without --force; --force on something that is not a snapshot;
# a left-over DIR.tmp. Nothing of theirs is touched.
rc=0; "$HR_BIN" snapshot -o "$S" --quiet 2>"$T/err" || rc=$?
assert_eq "$rc" 1 "existing snapshot without --force"
grep -q "$S exists and is not empty (--force" "$T/err" || fail "refusal message: $(cat "$T/err")"
mkdir "$T/other"; echo keep >"$T/other/file"
rc=0; "$HR_BIN" snapshot -o "$T/other" --force --quiet 2>"$T/err" || rc=$?
assert_eq "$rc" 1 "--force on a non-snapshot"
grep -q "not a headroom snapshot" "$T/err" || fail "non-snapshot message: $(cat "$T/err")"
assert_eq "$(cat "$T/other/file")" keep "non-snapshot directory untouched"
mkdir "$T/half.tmp"; echo x >"$T/half.tmp/junk"
rc=0; "$HR_BIN" snapshot -o "$T/half" --quiet 2>"$T/err" || rc=$?
assert_eq "$rc" 1 "left-over DIR.tmp"
grep -q "half.tmp exists: an unfinished snapshot" "$T/err" || fail "DIR.tmp message: $(cat "$T/err")"
# --force replaces a previous snapshot (new marker, no interval file now, nothing left aside).
echo old >"$S/headroom/created"
"$HR_BIN" snapshot -o "$S" --force --quiet || fail "--force on a snapshot"
grep -q "^headroom .* snapshot" "$S/headroom/created" || fail "--force did not replace the snapshot"
[ ! -e "$S/headroom/interval" ] || fail "old snapshot content survived --force"
[ -z "$(find "$T" -maxdepth 1 -name 'snap.*')" ] || fail "left-overs: $(ls "$T")"
# An empty existing directory is fine.
mkdir "$T/empty"
"$HR_BIN" snapshot -o "$T/empty" --quiet || fail "snapshot into an empty directory"
rc=0; "$HR_BIN" snapshot 2>/dev/null || rc=$?
assert_eq "$rc" 64 "snapshot without -o"

# A tree made with plain cp is valid too.
C=$T/cp
mkdir -p "$C/proc/sys/net" "$C/proc/net" "$C/proc/sys/kernel/random"
cp -r /proc/sys/net/ipv4 /proc/sys/net/core "$C/proc/sys/net/" 2>/dev/null || true
cp /proc/net/tcp /proc/net/snmp /proc/net/netstat /proc/net/sockstat "$C/proc/net/"
cp /proc/sys/kernel/osrelease "$C/proc/sys/kernel/"
cp /proc/sys/kernel/random/boot_id "$C/proc/sys/kernel/random/"
chmod -R u+w "$C" # cp keeps /proc's r-x directory modes: let the cleanup remove it
"$HR_BIN" probe --root "$C" --format json >"$T/cp.json" 2>"$T/cp.err" || fail "probe --root of a cp tree"
for k in net.ipv4.ip_local_port_range net.ipv4.tcp_tw_reuse net.core.somaxconn net.ipv4.conf.all.rp_filter; do
	assert_eq "$(jget "$T/cp.json" "d['facts']['sysctls']['$k']['value']")" "$(jget "$T/tree.json" "d['facts']['sysctls']['$k']['value']")" "cp tree $k"
done
echo ok
