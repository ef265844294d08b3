#!/bin/sh
# The JSON of audit, probe, apply and explain carries schema_version 1 (first
# key, in YAML too) and validates against docs/schema/headroom.schema.json
# (JSON Schema 2020-12, python3-jsonschema): real outputs from a namespace
# with a listener and a declared workload, live and from a snapshot; apply
# --dry-run, a real apply, a refused one and one with --persist-file, all
# inside the namespace; audit and probe over two namespaces (--netns, and
# --pid of the listener). Broken copies of the outputs must not validate.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apply-lib.sh"
hr_require_netns
command -v python3 >/dev/null || skip "needs python3"
if ! python3 -c 'import jsonschema' 2>/dev/null; then
	if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "# installing python3-jsonschema"
		DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
			--no-install-recommends python3-jsonschema >/dev/null 2>&1 || true
	fi
	python3 -c 'import jsonschema' 2>/dev/null || {
		[ "${CI:-}" = true ] && fail "python3-jsonschema is missing and could not be installed; CI must run this test"
		skip "needs python3-jsonschema"
	}
fi
SCHEMA="$HR_SRCDIR/docs/schema/headroom.schema.json"

ns=$(hr_ns schema)
hr_bg "$ns" python3 -c 'import socket, time; s = socket.socket(); s.bind(("127.0.0.1", 443)); s.listen(16); time.sleep(30)'
i=0; until hr_in "$ns" ss -Hltn "sport = :443" | grep -q . || [ $i -ge 50 ]; do sleep 0.1; i=$((i + 1)); done
printf 'outbound:\n  - destination: 10.0.0.2:5774\n    rate: 710/s\n' >"$T/plan.yaml"

out() { # out NAME KIND CMD...: runs CMD (any exit code), JSON into $T/NAME.json, listed with its kind
	local name=$1 kind=$2; shift 2
	"$@" >"$T/$name.json" 2>"$T/$name.err" || true
	[ -s "$T/$name.json" ] || { cat "$T/$name.err" >&2; fail "$name printed nothing"; }
	echo "$kind $T/$name.json" >>"$T/list"
}
H() { hr_in "$ns" "$HR_BIN" "$@"; }
out audit-live audit H audit -q --workload "$T/plan.yaml" --format json
# sysctl.d as input: a what-if file with a rejected line, the next boot of a tree, a file applied.
printf 'net.ipv4.ip_local_port_range = 40000 40999\nnet.ipv4.tcp_tw_recycle = 1\n' >"$T/whatif.conf"
mkdir -p "$T/croot/etc/sysctl.d"
printf 'net.ipv4.tcp_keepalive_time = 900\n' >"$T/croot/etc/sysctl.d/10-a.conf"
hr_in "$ns" sysctl -q -w net.ipv4.tcp_fin_timeout=17
out audit-whatif audit H audit -q --workload "$T/plan.yaml" --assume-file "$T/whatif.conf" --format json
out audit-boot audit H audit -q --boot --config-root "$T/croot" --format json
out apply-file apply H apply --state-dir "$S" --sysctl-file "$T/whatif.conf" --dry-run --format json
out probe-live probe H probe -q --interval 0 --format json
H snapshot -q -o "$T/tree" --interval 0 >/dev/null
out audit-root audit H audit -q --root "$T/tree" --format json
out probe-root probe H probe -q --root "$T/tree" --format json
out explain explain H explain ports.timewait-exhaustion --workload "$T/plan.yaml" --format json
out apply-dry apply H apply --state-dir "$S" --set net.ipv4.tcp_tw_reuse=1 --set "net.ipv4.ip_local_port_range=1024 65535" --dry-run --format json
out apply-real apply H apply --state-dir "$S" --set net.ipv4.tcp_tw_reuse=1 --set "net.ipv4.ip_local_port_range=1024 65535" --format json
assert_eq "$(sysval "$ns" net.ipv4.ip_local_port_range)" "1024 65535" "the real apply wrote the namespace"
out apply-refused apply H apply --state-dir "$S" --set net.ipv4.tcp_tw_recycle=1 --format json
out apply-persist apply H apply --state-dir "$S" --set net.ipv4.tcp_keepalive_time=600 --persist-file "$T/90-headroom.conf" --format json
ns2=$(hr_ns schema2)
out audit-netns audit_netns "$HR_BIN" audit -q --netns "$ns2" --pid "$HR_LASTPID" --interval 0 --format json
out probe-netns probe_netns "$HR_BIN" probe -q --netns "$ns2" --pid "$HR_LASTPID" --interval 0 --format json
H audit -q --workload "$T/plan.yaml" --format yaml >"$T/audit.yaml" || true
[ "$(sed -n 2p "$T/audit.yaml")" = "schema_version: 1" ] || fail "YAML: schema_version is not the first key: $(head -2 "$T/audit.yaml")"

python3 - "$SCHEMA" "$T/list" <<'PY' || fail "schema validation"
import copy, json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
V = jsonschema.Draft202012Validator
V.check_schema(schema)
def errors(doc, kind=None):
    s = schema if kind is None else {"$ref": "#/$defs/" + kind, "$defs": schema["$defs"]}
    return sorted(V(s).iter_errors(doc), key=lambda e: list(e.path))
bad = 0
docs = []
for line in open(sys.argv[2]):
    kind, path = line.split()
    text = open(path).read()
    doc = json.loads(text)
    docs.append((kind, path, doc))
    if list(doc)[0] != "schema_version" or doc["schema_version"] != 1:
        print("FAIL: %s: schema_version 1 is not the first key" % path, file=sys.stderr); bad += 1
    for e in errors(doc, kind) + errors(doc):
        print("FAIL: %s: %s: %s" % (path, "/".join(map(str, e.path)), e.message[:300]), file=sys.stderr); bad += 1
    print("# %-7s %-40s valid (%d bytes)" % (kind, path.rsplit("/", 1)[1], len(text)))
# The schema rejects what it should: each mutation must fail validation.
by = {k: d for k, _, d in docs}
def mut(kind, f, what):
    d = copy.deepcopy(by[kind]); f(d)
    if not errors(d, kind):
        print("FAIL: schema accepts %s" % what, file=sys.stderr); return 1
    return 0
bad += mut("audit", lambda d: d.pop("schema_version"), "an audit without schema_version")
bad += mut("audit", lambda d: d.update(schema_version=2), "schema_version 2")
bad += mut("audit", lambda d: d["findings"][0].update(severity="fatal"), "severity 'fatal'")
bad += mut("audit", lambda d: d["findings"][0]["metrics"].update(headroom="1.5"), "a metric as a string")
bad += mut("audit", lambda d: d["summary"].update(exit_code=5), "exit code 5")
bad += mut("probe", lambda d: d["facts"]["sysctls"].update(x={"value": 1}), "a fact without its source")
bad += mut("apply", lambda d: d["plan"].pop("refusals"), "a plan without refusals")
w = [d for k, p, d in docs if p.endswith("/audit-whatif.json")][0]
b = [d for k, p, d in docs if p.endswith("/audit-boot.json")][0]
if not w["summary"]["what_if"]["rejected"] or not any("changed_by" in f for f in w["findings"]):
    print("FAIL: the what-if audit has no rejected line or no finding changed_by", file=sys.stderr); bad += 1
if not b["summary"]["boot"]["differences"]:
    print("FAIL: the boot audit has no runtime vs boot difference", file=sys.stderr); bad += 1
by["whatif"], by["boot"] = w, b
def mut2(name, f, what):
    d = copy.deepcopy(by[name]); f(d)
    if not errors(d, "audit"):
        print("FAIL: schema accepts %s" % what, file=sys.stderr); return 1
    return 0
bad += mut2("whatif", lambda d: [f["changed_by"][0].update(source=3) for f in d["findings"] if "changed_by" in f][:1], "a changed_by source as a number")
bad += mut2("whatif", lambda d: d["summary"]["what_if"]["rejected"][0].update(where="whatif.conf"), "a rejected line without its line number")
bad += mut2("boot", lambda d: d["summary"]["boot"]["differences"][0].update(status="gone"), "an unknown boot status")
bad += mut("explain", lambda d: d.update(extra=1), "an unknown top-level key")
bad += mut("audit_netns", lambda d: d["host"].update(exit_code=7), "a host exit code 7")
bad += mut("audit_netns", lambda d: d["namespaces"][0]["netns"].update(inode="4026531840"), "an inode as a string")
bad += mut("audit_netns", lambda d: d["namespaces"][0].pop("summary"), "a namespace section without summary")
bad += mut("probe_netns", lambda d: d["namespaces"][0].pop("facts"), "a probed namespace without facts or error")
bad += mut("probe_netns", lambda d: d["namespaces"][0]["netns"].pop("names"), "a namespace identity without names")
for k in ("audit_netns", "probe_netns"):
    secs = by[k]["namespaces"]
    if len(secs) != 2 or not any(s["netns"]["pids"] for s in secs):
        print("FAIL: %s: want 2 namespaces, one with the listener's pid: %s" % (k, [s["netns"] for s in secs]), file=sys.stderr); bad += 1
kinds = sorted({k for k, _, _ in docs})
if kinds != ["apply", "audit", "audit_netns", "explain", "probe", "probe_netns"]: bad += 1
real = [d for k, _, d in docs if k == "apply" and "result" in d]
if not any(d["result"]["outcome"] == "applied" and d["result"].get("written") for d in real):
    print("FAIL: no real apply that wrote keys among the outputs", file=sys.stderr); bad += 1
sys.exit(1 if bad else 0)
PY
echo ok
