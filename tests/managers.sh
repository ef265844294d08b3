#!/bin/sh
# The other managers of a host's sysctls (rules/managers.yaml, src/managers.c):
#   1. processes named like kube-proxy, bpftune and dockerd (copies of
#      sleep: /proc/PID/comm is what the audit reads) make the audit name
#      each with its pid and the keys it sets (kube-proxy's conntrack max
#      from this machine's CPU count: max(32768 x CPUs, 131072)); without
#      them the rule is quiet;
#   2. TuneD from a tree in its real file formats: /etc/tuned/active_profile,
#      tuned-main.conf (reapply_sysctl = 0) and a profile that includes a
#      shipped one, the child's [sysctl] lines replacing the parent's;
#   3. apply warns (plan note, JSON managed_by) before writing a key
#      kube-proxy sets, and --strict-managers refuses it: exit 4, nothing
#      written, no journal.
. "$(dirname "$0")/lib.sh"
hr_require_netns
. "$(dirname "$0")/apply-lib.sh"
command -v python3 >/dev/null || skip "needs python3"

ns=$(hr_ns mgr)
key=net.netfilter.nf_conntrack_tcp_timeout_established
# kube-proxy's keys are conntrack's: the module loaded (as an nft ct rule
# would load it), never a host sysctl written.
hr_in "$ns" test -e /proc/sys/net/netfilter/nf_conntrack_tcp_timeout_established || modprobe nf_conntrack 2>/dev/null || true
hr_in "$ns" test -e /proc/sys/net/netfilter/nf_conntrack_tcp_timeout_established ||
	skip "nf_conntrack is not loaded (no $key in a namespace)"

# Who runs on this host before the test starts its own (a CI machine may
# run a container runtime): the quiet case needs none.
host_managers=$(ps -e -o comm= | grep -cxE 'kube-proxy|kubelet|tuned|bpftune|dockerd|containerd|crio|podman' || true)
hr_in "$ns" "$HR_BIN" audit -q --interval 0 --format json >"$T/q.json" || true
if [ "$host_managers" = 0 ]; then
	python3 - "$T/q.json" <<'PY' || fail "quiet: managers.others should be ok with no manager running"
import json, sys
r = json.load(open(sys.argv[1]))
f = [x for x in r["findings"] if x["rule"] == "managers.others"]
boot = [m for m in r["managers"] if m["boot"]]  # the host's sysctl.d files: systemd-sysctl
assert [m["name"] for m in boot] in ([], ["systemd-sysctl"]), r["managers"]
assert f and f[0]["severity"] == ("info" if boot else "ok") and f[0]["metrics"]["count"] == len(boot), f
assert len(r["managers"]) == len(boot), r["managers"]
PY
else
	note "this host runs $host_managers manager process(es) already: the quiet case is not checked"
fi

# --- 1. processes ---------------------------------------------------------
mkdir "$T/bin"
for n in kube-proxy bpftune dockerd; do cp "$(command -v sleep)" "$T/bin/$n"; done
"$T/bin/kube-proxy" 60 & kp=$!
"$T/bin/bpftune" 60 & bt=$!
"$T/bin/dockerd" 60 & dk=$!
HR_PIDS="$HR_PIDS $kp $bt $dk"
sleep 0.2
cpus=$(getconf _NPROCESSORS_ONLN)
hr_in "$ns" "$HR_BIN" audit -q --interval 0 --format json >"$T/a.json" || true
hr_in "$ns" "$HR_BIN" audit -q --interval 0 >"$T/a.txt" || true
python3 - "$T/a.json" "$kp" "$bt" "$dk" "$cpus" <<'PY' || fail "the audit does not name the managers"
import json, sys
r = json.load(open(sys.argv[1])); kp, bt, dk, cpus = sys.argv[2:5] + [int(sys.argv[5])]
ms = {m["name"]: m for m in r["managers"]}
for name, pid in (("kube-proxy", kp), ("bpftune", bt), ("dockerd", dk)):
    assert name in ms, "%s not found: %s" % (name, list(ms))
keys = {k["key"]: k for k in ms["kube-proxy"]["keys"]}
want = min(max(32768 * cpus, 131072), 1048576)  # pkg/proxy/conntrack/sysctls.go: getConntrackMax, maxLimit
assert keys["net.netfilter.nf_conntrack_max"]["value"] == str(want), keys["net.netfilter.nf_conntrack_max"]
assert keys["net.netfilter.nf_conntrack_buckets"]["value"] == str(want // 4)
assert keys["net.netfilter.nf_conntrack_tcp_timeout_established"]["value"] == "86400"
assert "net.ipv4.tcp_rmem" in {k["key"] for k in ms["bpftune"]["keys"]}
assert "net.ipv4.ip_forward" in {k["key"] for k in ms["dockerd"]["keys"]}
f = [x for x in r["findings"] if x["rule"] == "managers.others"][0]
assert f["severity"] == "info" and f["metrics"]["count"] >= 3, f
for name in ("kube-proxy (process kube-proxy, pid %s)" % kp, "bpftune", "dockerd"):
    assert name in f["message"], (name, f["message"])
print("# audit: %d managers, kube-proxy's nf_conntrack_max %d on %d CPUs" % (f["metrics"]["count"], want, cpus))
PY
grep -q "kube-proxy (process kube-proxy, pid $kp) sets net.netfilter.nf_conntrack_max, " "$T/a.txt" ||
	fail "text output: $(grep -A2 managers.others "$T/a.txt")"

# --- 2. TuneD from a tree ---------------------------------------------------
hr_in "$ns" "$HR_BIN" snapshot -q -o "$T/tree" >/dev/null || fail "snapshot"
mkdir -p "$T/tree/proc/4242" "$T/tree/etc/tuned/custom" "$T/tree/usr/lib/tuned/throughput-performance"
printf 'tuned\n' >"$T/tree/proc/4242/comm"
printf 'custom\n' >"$T/tree/etc/tuned/active_profile"
printf '# Global tuned configuration file.\ndaemon = 1\nreapply_sysctl = 0\n' >"$T/tree/etc/tuned/tuned-main.conf"
cat >"$T/tree/usr/lib/tuned/throughput-performance/tuned.conf" <<'EOF'
#
# tuned configuration
#
[main]
summary=Broadly applicable tuning that provides excellent performance across a variety of common server workloads

[cpu]
governor=performance

[sysctl]
net.ipv4.tcp_rmem="4096 131072 6291456"
net.core.somaxconn = 2048
kernel/sched_min_granularity_ns = 10000000
EOF
cat >"$T/tree/etc/tuned/custom/tuned.conf" <<'EOF'
[main]
summary=Site profile
include=throughput-performance

[sysctl]
net.core.somaxconn=8192
net.ipv4.tcp_fin_timeout=30
EOF
"$HR_BIN" audit -q --root "$T/tree" --format json >"$T/t.json" || true
python3 - "$T/t.json" <<'PY' || fail "TuneD's profile from the tree"
import json, sys
r = json.load(open(sys.argv[1]))
ms = {m["name"]: m for m in r["managers"]}
t = ms["tuned"]
assert t["evidence"] == "process tuned, pid 4242, profile custom, reapply_sysctl 0", t["evidence"]
keys = {k["key"]: k for k in t["keys"]}
assert keys["net.core.somaxconn"]["value"] == "8192", keys  # the child replaces the parent
assert keys["net.ipv4.tcp_rmem"]["value"] == '"4096 131072 6291456"', keys["net.ipv4.tcp_rmem"]
assert keys["kernel.sched_min_granularity_ns"]["value"] == "10000000"
assert keys["net.ipv4.tcp_fin_timeout"]["value"] == "30"
assert "reapply_sysctl = 0" in keys["net.core.somaxconn"]["when"]
f = [x for x in r["findings"] if x["rule"] == "managers.others"][0]
assert f["severity"] == "info" and "tuned (process tuned, pid 4242, profile custom" in f["message"], f
print("# tree: TuneD profile custom (includes throughput-performance): %d keys" % len(keys))
PY
# kube-proxy in the tree and a conntrack table 95% full: the fix says to
# raise the maximum in kube-proxy's configuration, not with a sysctl it undoes.
mkdir -p "$T/tree/proc/4244"
printf 'kube-proxy\n' >"$T/tree/proc/4244/comm"
echo 100000 >"$T/tree/proc/sys/net/netfilter/nf_conntrack_max"
echo 95000 >"$T/tree/proc/sys/net/netfilter/nf_conntrack_count"
"$HR_BIN" audit -q --root "$T/tree" --format json >"$T/k.json" || true
python3 - "$T/k.json" <<'PY' || fail "conntrack.table's fix under kube-proxy"
import json, sys
r = json.load(open(sys.argv[1]))
f = [x for x in r["findings"] if x["rule"] == "conntrack.table"][0]
assert f["severity"] == "critical", f["severity"]
texts = [x["text"] for x in f["fixes"]]
assert any("where it is set: kube-proxy (process kube-proxy, pid 4244) sets net.netfilter.nf_conntrack_max" in t for t in texts), texts
assert not any(x.get("kind") == "sysctl" and "net.netfilter.nf_conntrack_max" in json.dumps(x.get("set", {})) for x in f["fixes"]), f["fixes"]
print("# conntrack.table under kube-proxy: the fix goes through kube-proxy's configuration")
PY
rm -rf "$T/tree/proc/4244"

# A tree without a process list: not evaluated, said why.
rm -rf "$T/tree/proc/4242"
"$HR_BIN" audit -q --root "$T/tree" --format json >"$T/t2.json" || true
python3 - "$T/t2.json" <<'PY' || fail "a tree without processes"
import json, sys
s = json.load(open(sys.argv[1]))["summary"]
ne = [n for n in s["not_evaluated"] if n["rule"] == "managers.others"]
assert ne and "process list" in json.dumps(ne), s["not_evaluated"]
PY

# --- 3. apply ----------------------------------------------------------------
orig=$(sysval "$ns" $key)
new=$((orig == 7200 ? 7201 : 7200))
rc=$(rc_of hr_apply "$ns" apply --state-dir "$S" --set "$key=$new" --strict-managers --format json)
assert_eq "$rc" 4 "--strict-managers on a key kube-proxy sets: $(cat "$T/err")"
python3 - "$T/out" "$key" "$kp" <<'PY' || fail "refusal JSON: $(cat "$T/out")"
import json, sys
r = json.load(open(sys.argv[1])); key, kp = sys.argv[2:4]
rf = [x for x in r["plan"]["refusals"] if x["key"] == key]
assert rf and "kube-proxy (process kube-proxy, pid %s)" % kp in rf[0]["reason"] and "--strict-managers" in rf[0]["reason"], rf
assert r["exit_code"] == 4
PY
assert_eq "$(sysval "$ns" $key)" "$orig" "--strict-managers wrote nothing"
no_txn "--strict-managers wrote a journal"
rc=$(rc_of hr_apply "$ns" apply --state-dir "$S" --set "$key=$new" --dry-run --format json)
assert_eq "$rc" 0 "dry run without --strict-managers: $(cat "$T/err")"
python3 - "$T/out" "$key" <<'PY' || fail "plan JSON: $(cat "$T/out")"
import json, sys
r = json.load(open(sys.argv[1])); key = sys.argv[2]
ch = [c for c in r["plan"]["changes"] if c["key"] == key][0]
assert ch["managed_by"].startswith("kube-proxy (process kube-proxy, pid"), ch
assert any("will undo" in n and key in n for n in r["plan"]["notes"]), r["plan"]["notes"]
PY
rc=$(rc_of hr_apply "$ns" apply --state-dir "$S" --set "$key=$new")
assert_eq "$rc" 0 "apply without --strict-managers: $(cat "$T/err")"
grep -q "kube-proxy (process kube-proxy, pid $kp) sets $key to 86400" "$T/out" || fail "no warning in the text plan: $(cat "$T/out")"
assert_eq "$(sysval "$ns" $key)" "$new" "the value written"
note "apply: refused with --strict-managers (exit 4, nothing written), written with a warning without it"
