#!/bin/sh
# audit --boot under --config-root: a sysctl.d tree with files in /etc,
# /run, /usr/local/lib and /usr/lib, a basename /etc shadows, a masked
# basename (/dev/null), a glob with an exclusion, a '-' line for a missing
# key, a hidden file (.hidden.conf) and an /etc/sysctl.conf no sysctl.d file
# links (systemd-sysctl reads neither). The namespace audited has runtime values no file persists.
# The boot view headroom reports must be exactly what the real
# systemd-sysctl sets from the same tree (run on a copy in a fresh network
# namespace, mount namespace binding the tree): every sysctl of the report
# compared, and the same files read; and 'runtime vs boot' lists the
# runtime values that no file persists as lost at reboot. explain --boot
# names the line (or the kernel default) each value comes from.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apply-lib.sh"
. "$(dirname "$0")/sysctld-lib.sh"
hr_require_netns
command -v python3 >/dev/null || skip "needs python3"
sd_sysctl >/dev/null

R=$T/root
mkdir -p "$R/etc/sysctl.d" "$R/run/sysctl.d" "$R/usr/lib/sysctl.d" "$R/usr/local/lib/sysctl.d"
printf 'net.ipv4.tcp_keepalive_time = 900\nnet.ipv4.tcp_tw_reuse = 1\n' >"$R/etc/sysctl.d/10-base.conf"
printf 'net.ipv4.tcp_keepalive_time = 600\nnet.ipv4.tcp_retries2 = 5\n' >"$R/usr/lib/sysctl.d/10-base.conf"
printf '# vendor\nnet.ipv4.tcp_syn_retries = 4\nnet.core.somaxconn = 1000\n' >"$R/usr/lib/sysctl.d/30-vendor.conf"
printf 'net.core.somaxconn = 2048\nnet.ipv4.conf.*.rp_filter = 2\n-net.ipv4.conf.lo.rp_filter\n-net.ipv4.tcp_no_such_key = 1\n' \
	>"$R/run/sysctl.d/40-runtime.conf"
printf 'net.ipv4.tcp_synack_retries = 2\n' >"$R/usr/lib/sysctl.d/50-masked.conf"
ln -s /dev/null "$R/etc/sysctl.d/50-masked.conf"
printf 'net.ipv4.tcp_max_syn_backlog = 512\nnet/ipv4/ip_local_port_range = 20000 60999\n' \
	>"$R/usr/local/lib/sysctl.d/60-local.conf"
printf 'net.ipv4.tcp_fin_timeout = 5\n' >"$R/etc/sysctl.conf"
printf 'net.ipv4.tcp_fin_timeout = 6\n' >"$R/etc/sysctl.d/.hidden.conf"

# The namespace whose next boot is audited: runtime changes, two not persisted.
ns=$(hr_ns boot)
hr_in "$ns" sysctl -q -w net.ipv4.tcp_fin_timeout=17 net.ipv4.tcp_keepalive_intvl=30 \
	net.ipv4.tcp_keepalive_time=1200
rc=$(rc_of hr_in "$ns" "$HR_BIN" audit -q --interval 0 --boot --config-root "$R" --format json)
[ "$rc" -le 2 ] || fail "audit --boot: exit $rc: $(cat "$T/err")"
cp "$T/out" "$T/boot.json"
hr_in "$ns" "$HR_BIN" audit -q --interval 0 --boot --config-root "$R" >"$T/boot.txt" || true
assert_eq "$(sysval "$ns" net.ipv4.tcp_fin_timeout)" 17 "audit --boot changed the namespace"

# The reference: systemd-sysctl on a copy of the tree in a fresh namespace.
ref=$(hr_ns bootref)
sd_on_copy "$ref" "$R" --cat-config >"$T/cat" 2>"$T/cat.err" || fail "systemd-sysctl --cat-config: $(cat "$T/cat.err")"
sd_on_copy "$ref" "$R" --prefix=/net 2>"$T/sd.err" || fail "systemd-sysctl: $(cat "$T/sd.err")"

python3 - "$T/boot.json" "$R" "$T/cat" >"$T/want" <<'PY' || fail "boot report"
import json, os, sys
rep, root, cat = json.load(open(sys.argv[1])), sys.argv[2], open(sys.argv[3]).read()
b = rep["summary"]["boot"]
# The same files, in the same order, as systemd-sysctl reads them; it lists
# the masked basename too (its /dev/null reads as nothing), headroom leaves it out.
theirs = [l[2:].strip() for l in cat.splitlines() if l.startswith("# /")]
assert "/etc/sysctl.d/50-masked.conf" in theirs, theirs
theirs = [f for f in theirs if os.path.realpath(root + f) != "/dev/null"]
ours = [f[len(root):] for f in b["files"]]
assert ours == theirs, (ours, theirs)
assert ours == ["/etc/sysctl.d/10-base.conf", "/usr/lib/sysctl.d/30-vendor.conf", "/run/sysctl.d/40-runtime.conf",
                "/usr/local/lib/sysctl.d/60-local.conf"], ours
assert b["defaults"], b
diffs = {d["key"]: d for d in b["differences"]}
lost = diffs["net.ipv4.tcp_fin_timeout"]
assert (lost["runtime"], lost["boot"], lost["where"], lost["status"]) == \
    ("17", "60", None, "not persisted: lost at reboot"), lost
lost = diffs["net.ipv4.tcp_keepalive_intvl"]
assert (lost["runtime"], lost["boot"], lost["status"]) == ("30", "75", "not persisted: lost at reboot"), lost
kt = diffs["net.ipv4.tcp_keepalive_time"]
assert (kt["runtime"], kt["boot"], kt["where"]) == ("1200", "900", root + "/etc/sysctl.d/10-base.conf:1"), kt
assert diffs["net.core.somaxconn"]["where"] == root + "/run/sysctl.d/40-runtime.conf:1", diffs["net.core.somaxconn"]
assert "net.ipv4.tcp_synack_retries" not in diffs and "net.ipv4.tcp_retries2" not in diffs, diffs
assert [(r["where"], r["ignored"]) for r in b["rejected"]] == [(root + "/run/sysctl.d/40-runtime.conf:4", True)], b
# Every sysctl of the boot view, for the comparison with the reference.
for k, v in sorted(rep["facts"]["sysctls"].items()):
    if "value" in v:
        print(k, " ".join(v["value"].split()))
PY
n=0
while read -r k v; do
	assert_eq "$(sysval "$ref" "$k")" "$v" "$k: headroom's boot view vs systemd-sysctl"
	n=$((n + 1))
done <"$T/want"
note "boot view = systemd-sysctl on $n keys; files: $(grep -c '^# /' "$T/cat")"
grep -Eq '^  net.ipv4.tcp_fin_timeout +17 +-> +60 +not persisted: lost at reboot$' "$T/boot.txt" ||
	fail "text 'runtime vs boot' does not list the lost value: $(cat "$T/boot.txt")"
grep -Eq "^  net.ipv4.tcp_keepalive_time +1200 +-> +900 +set by $R/etc/sysctl.d/10-base.conf:1$" "$T/boot.txt" ||
	fail "text 'runtime vs boot' does not name the file"
# explain --boot: the rule over the boot view, each source the line or the default.
hr_in "$ns" "$HR_BIN" explain keepalive.detection --boot --config-root "$R" --no-sockets >"$T/explain.txt"
grep -Eq "^  net.ipv4.tcp_keepalive_time +900 +$R/etc/sysctl.d/10-base.conf:1$" "$T/explain.txt" ||
	fail "explain --boot does not name the line: $(cat "$T/explain.txt")"
grep -Eq "^  net.ipv4.tcp_keepalive_intvl +75 +kernel default \(not persisted\)$" "$T/explain.txt" ||
	fail "explain --boot does not give the default of the lost value: $(cat "$T/explain.txt")"
echo ok
