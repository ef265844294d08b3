#!/bin/sh
# The managers catalogue as data and the managers' own configuration
# (rules/managers-catalogue.yaml, src/rules-managers.c, src/managers-kube.c,
# systemd-sysctl in src/managers.c):
#   1. a site's own manager from a rule file of its own (no C) is named with
#      its keys; malformed catalogue entries are refused naming file, line
#      and field;
#   2. kube-proxy's keys from its real configuration: a process named
#      kube-proxy (a copy of sh) started with --config FILE, a
#      KubeProxyConfiguration in its real format: the audit computes
#      nf_conntrack_max from maxPerCore, min and this machine's CPU count,
#      the timeouts from the Go durations, udpTimeout and tcpBeLiberal, and
#      a flag given with --config is ignored as kube-proxy ignores it; in a
#      tree, the --conntrack-* flags without --config, and a malformed field
#      named by file and line;
#   3. systemd-sysctl: each key the tree's sysctl.d files set at boot, with
#      the line that wins ("systemd-sysctl (FILE:LINE) sets KEY = V at
#      boot"), in the audit and in apply's plan (managed_by, a note that the
#      boot value differs), not with --persist, not when the values agree.
. "$(dirname "$0")/lib.sh"
hr_require_netns
. "$(dirname "$0")/apply-lib.sh"
command -v python3 >/dev/null || skip "needs python3"

ns=$(hr_ns mgrc)
hr_in "$ns" "$HR_BIN" snapshot -q -o "$T/base" >/dev/null || fail "snapshot"
rm -rf "$T"/base/proc/[0-9]* "$T/base/etc/sysctl.d" "$T/base/usr/lib/sysctl.d"
for t in t1 t2 t3; do cp -a "$T/base" "$T/$t"; done

# --- 1. a site's manager, and malformed entries ----------------------------
mkdir -p "$T/site" "$T/bad" "$T/t1/proc/4301"
printf 'site-tuner\n' >"$T/t1/proc/4301/comm"
cat >"$T/site/site.yaml" <<'YAML'
managers:
  - name: site-tuner
    processes: [site-tuner]
    source: "our runbook, section 4"
    params: {perCpu: 1024}
    keys:
      - {key: net.core.somaxconn, value: "4096", when: "every hour"}
      - {key: net.core.netdev_max_backlog, compute: "param.perCpu * 4", when: "at start-up"}
      - {key: net.ipv4.tcp_fin_timeout, if: "param.perCpu > 5000", value: "10", when: "never here"}
YAML
"$HR_BIN" audit -q --root "$T/t1" --rules "$T/site" --format json >"$T/s.json" || true
python3 - "$T/s.json" <<'PY' || fail "a site's manager from its own rule file"
import json, sys
r = json.load(open(sys.argv[1]))
ms = {m["name"]: m for m in r["managers"]}
s = ms["site-tuner"]
assert s["evidence"] == "process site-tuner, pid 4301" and s["source"] == "our runbook, section 4", s
keys = {k["key"]: k["value"] for k in s["keys"]}
assert keys == {"net.core.somaxconn": "4096", "net.core.netdev_max_backlog": "4096"}, keys
PY
cat >"$T/bad/bad.yaml" <<'YAML'
managers:
  - name: broken
    processes: [broken]
    source: "x"
    keys:
      - {key: net.core.somaxconn, vaule: "1", when: "now"}
      - {key: net.core.rmem_max, compute: "param.nope * 2", when: "now"}
  - name: noproc
    source: "y"
YAML
rc=0; "$HR_BIN" audit -q --root "$T/t1" --rules "$T/bad" --format json >"$T/b.json" 2>"$T/b.err" || rc=$?
assert_eq "$rc" 3 "a malformed catalogue: $(cat "$T/b.err")"
grep -q "bad.yaml:6:[0-9]*: error: manager broken: unknown key field 'vaule'" "$T/b.err" || fail "no file:line for the field: $(cat "$T/b.err")"
grep -q "bad.yaml:7:[0-9]*: error: unknown name 'param.nope'" "$T/b.err" || fail "no file:line for the name: $(cat "$T/b.err")"
grep -q "bad.yaml:8:[0-9]*: error: manager noproc: processes must name" "$T/b.err" || fail "no file:line for processes: $(cat "$T/b.err")"
note "catalogue: a site's manager named with its computed keys; three malformed fields refused with file:line"

# --- 2. kube-proxy's configuration, live -------------------------------------
mkdir "$T/bin" "$T/kp"
cp "$(command -v sh)" "$T/bin/kube-proxy"
cat >"$T/kp/config.conf" <<'YAML'
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf
clusterCIDR: 10.244.0.0/16
conntrack:
  maxPerCore: 600000
  min: 100000
  tcpCloseWaitTimeout: 0s
  tcpEstablishedTimeout: 2h0m0s
  udpTimeout: 30s
  udpStreamTimeout: 2m0s
  tcpBeLiberal: true
mode: iptables
YAML
# "sleep 60; :" keeps the shell (named kube-proxy) the parent, not exec'ed
# away. In a PID namespace of its own with its own /proc: the audit sees
# this kube-proxy only (another test may run processes named like it).
cpus=$(getconf _NPROCESSORS_ONLN)
hr_in "$ns" timeout 60 unshare -pf --mount-proc sh -c '
	"$1" -c "sleep 60; :" kube-proxy --conntrack-max-per-core=0 --config="$2" --conntrack-udp-timeout=5s --v=2 &
	echo $! >"$3/kp.pid"
	sleep 0.3
	"$4" audit -q --interval 0 --format json >"$3/k.json"
	kill $!' sh "$T/bin/kube-proxy" "$T/kp/config.conf" "$T" "$HR_BIN" || true
kp=$(cat "$T/kp.pid")
python3 - "$T/k.json" "$kp" "$cpus" "$T/kp/config.conf" <<'PY' || fail "kube-proxy's keys from its --config file"
import json, sys
r = json.load(open(sys.argv[1])); kp, cpus, conf = sys.argv[2], int(sys.argv[3]), sys.argv[4]
k = {m["name"]: m for m in r["managers"]}["kube-proxy"]
assert k["evidence"] == "process kube-proxy, pid %s, --config %s" % (kp, conf), k["evidence"]
keys = {x["key"]: x["value"] for x in k["keys"]}
want = 1048576 if 600000 * cpus > 1048576 else max(600000 * cpus, 100000)  # the file wins; getConntrackMax caps the product
assert keys["net.netfilter.nf_conntrack_max"] == str(want), keys
assert keys["net.netfilter.nf_conntrack_buckets"] == str(want // 4), keys
assert keys["net.netfilter.nf_conntrack_tcp_timeout_established"] == "7200", keys
assert "net.netfilter.nf_conntrack_tcp_timeout_close_wait" not in keys, keys  # 0s: left alone
assert keys["net.netfilter.nf_conntrack_udp_timeout"] == "30", keys
assert keys["net.netfilter.nf_conntrack_udp_timeout_stream"] == "120", keys
assert keys["net.netfilter.nf_conntrack_tcp_be_liberal"] == "1", keys
print("# live kube-proxy --config: nf_conntrack_max %d on %d CPUs, established 7200, udp 30/120, be_liberal 1" % (want, cpus))
PY

# --- 2b. flags in a tree, and a malformed field ------------------------------
mkdir -p "$T/t2/proc/4302" "$T/t2/etc/kp"
printf 'kube-proxy\n' >"$T/t2/proc/4302/comm"
printf 'kube-proxy\0--conntrack-max-per-core=0\0--conntrack-tcp-timeout-established\0003h\0--conntrack-tcp-be-liberal\0--conntrack-udp-timeout=1m30s\0' \
	>"$T/t2/proc/4302/cmdline"
"$HR_BIN" audit -q --root "$T/t2" --format json >"$T/f.json" || true
python3 - "$T/f.json" <<'PY' || fail "kube-proxy's flags"
import json, sys
r = json.load(open(sys.argv[1]))
k = {m["name"]: m for m in r["managers"]}["kube-proxy"]
assert k["evidence"] == "process kube-proxy, pid 4302, 4 --conntrack flag(s)", k["evidence"]
keys = {x["key"]: x["value"] for x in k["keys"]}
assert "net.netfilter.nf_conntrack_max" not in keys, keys  # max-per-core 0: left alone
assert keys["net.netfilter.nf_conntrack_tcp_timeout_established"] == "10800", keys
assert keys["net.netfilter.nf_conntrack_tcp_timeout_close_wait"] == "3600", keys  # the default
assert keys["net.netfilter.nf_conntrack_udp_timeout"] == "90", keys
assert keys["net.netfilter.nf_conntrack_tcp_be_liberal"] == "1", keys
PY
printf 'kube-proxy\0--config\0/etc/kp/config.yaml\0' >"$T/t2/proc/4302/cmdline"
printf 'kind: KubeProxyConfiguration\nconntrack:\n  maxPerCore: 16384\n  tcpEstablishedTimeout: 5 minutes\n' >"$T/t2/etc/kp/config.yaml"
"$HR_BIN" audit -q --root "$T/t2" --format json >"$T/m.json" || true
python3 - "$T/m.json" <<'PY' || fail "a malformed kube-proxy configuration"
import json, sys
r = json.load(open(sys.argv[1]))
k = {m["name"]: m for m in r["managers"]}["kube-proxy"]
keys = {x["key"]: x["value"] for x in k["keys"]}
assert keys["net.netfilter.nf_conntrack_tcp_timeout_established"] == "86400", keys  # the default kept
assert keys["net.netfilter.nf_conntrack_max"].startswith("depends on cpus"), keys  # a tree: CPUs unknown
f = [x for x in r["findings"] if x["rule"] == "managers.others"][0]
assert "/etc/kp/config.yaml:4: conntrack.tcpEstablishedTimeout: '5 minutes' is not a duration" in f["message"], f["message"]
PY
note "kube-proxy: flags without --config, and a malformed field named by file:line (its default kept)"

# --- 3. systemd-sysctl ------------------------------------------------------------
mkdir -p "$T/t3/proc/1" "$T/t3/etc/sysctl.d" "$T/t3/usr/lib/sysctl.d"
printf 'systemd\n' >"$T/t3/proc/1/comm"
printf '# vendor\nnet.ipv4.tcp_fin_timeout = 20\nnet.core.somaxconn = 1024\n' >"$T/t3/usr/lib/sysctl.d/50-vendor.conf"
printf '# the site overrides the vendor file of the same name\nnet.ipv4.tcp_fin_timeout = 20\n' >"$T/t3/usr/lib/sysctl.d/60-site.conf"
printf '# site\n\nnet.ipv4.tcp_fin_timeout = 45\n' >"$T/t3/etc/sysctl.d/60-site.conf"
"$HR_BIN" audit -q --root "$T/t3" --format json >"$T/y.json" || true
python3 - "$T/y.json" "$T/t3" <<'PY' || fail "systemd-sysctl in the audit"
import json, sys
r = json.load(open(sys.argv[1])); t = sys.argv[2]
s = {m["name"]: m for m in r["managers"]}["systemd-sysctl"]
assert s["boot"] is True, s
keys = {x["key"]: (x["value"], x["where"]) for x in s["keys"]}
assert keys["net.ipv4.tcp_fin_timeout"] == ("45", t + "/etc/sysctl.d/60-site.conf:3"), keys
assert keys["net.core.somaxconn"] == ("1024", t + "/usr/lib/sysctl.d/50-vendor.conf:3"), keys
f = [x for x in r["findings"] if x["rule"] == "managers.others"][0]
want = "systemd-sysctl (%s/etc/sysctl.d/60-site.conf:3) sets net.ipv4.tcp_fin_timeout = 45 at boot" % t
assert f["severity"] == "info" and want in f["message"], f["message"]
PY
rc=$(rc_of "$HR_BIN" apply --root "$T/t3" --state-dir "$S" --set net.ipv4.tcp_fin_timeout=30 --set net.core.somaxconn=1024 \
	--strict-managers --dry-run --format json)
assert_eq "$rc" 0 "a boot-time manager's key is not refused: $(cat "$T/err")"
python3 - "$T/out" "$T/t3" <<'PY' || fail "apply's plan with a sysctl.d key: $(cat "$T/out")"
import json, sys
r = json.load(open(sys.argv[1])); t = sys.argv[2]
ch = {c["key"]: c for c in r["plan"]["changes"]}
mb = ch["net.ipv4.tcp_fin_timeout"]["managed_by"]
assert mb == "systemd-sysctl (%s/etc/sysctl.d/60-site.conf:3) sets net.ipv4.tcp_fin_timeout = 45 at boot" % t, mb
assert "managed_by" not in ch["net.core.somaxconn"], ch  # the boot value is the one applied
assert any("after a reboot net.ipv4.tcp_fin_timeout is 45, not 30" in n for n in r["plan"]["notes"]), r["plan"]["notes"]
PY
rc=$(rc_of "$HR_BIN" apply --root "$T/t3" --state-dir "$S" --set net.ipv4.tcp_fin_timeout=30 --persist --dry-run --format json)
assert_eq "$rc" 0 "with --persist: $(cat "$T/err")"
python3 - "$T/out" <<'PY' || fail "--persist covers the boot value: $(cat "$T/out")"
import json, sys
r = json.load(open(sys.argv[1]))
ch = {c["key"]: c for c in r["plan"]["changes"]}
assert "managed_by" not in ch["net.ipv4.tcp_fin_timeout"], ch
assert not any("after a reboot" in n for n in r["plan"]["notes"]), r["plan"]["notes"]
PY
note "systemd-sysctl: per key with FILE:LINE in the audit and apply's plan; not with --persist, nor when the values agree"
