#!/bin/sh
# Apply a profile in a namespace: plan, every key verified, history, rollback.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apply-lib.sh"
hr_require_netns
ns=$(hr_ns prof)
keys="net.ipv4.ip_local_port_range net.ipv4.tcp_tw_reuse net.ipv4.tcp_timestamps net.ipv4.tcp_max_tw_buckets"
for k in $keys; do eval "orig_$(echo $k | tr . _)=\"\$(sysval $ns $k)\""; done

# Dry run: a diff, nothing written, exit 2 with --detailed-exitcodes.
rc=$(rc_of hr_apply "$ns" apply --profile high-rate-client --dry-run --detailed-exitcodes --state-dir "$S")
assert_eq "$rc" 2 "dry-run exit"
grep -q "net.ipv4.ip_local_port_range: *$orig_net_ipv4_ip_local_port_range *-> *10000 65535" "$T/out" ||
	fail "dry-run diff line: $(cat "$T/out")"
grep -q "why net.ipv4.tcp_tw_reuse: " "$T/out" || fail "dry-run shows no why"
assert_eq "$(sysval $ns net.ipv4.tcp_tw_reuse)" "$orig_net_ipv4_tcp_tw_reuse" "dry run wrote"
no_txn "dry run wrote a journal"

# Apply (JSON outcome), then every key has the profile's value.
rc=$(rc_of hr_apply "$ns" apply --profile high-rate-client --state-dir "$S" --format json --detailed-exitcodes)
assert_eq "$rc" 2 "apply exit (changed)"
cp "$T/out" "$T/apply.json"
assert_eq "$(jget "$T/apply.json" 'd["result"]["outcome"]')" applied "outcome"
txn=$(jget "$T/apply.json" 'd["result"]["txn"]')
assert_eq "$(sysval $ns net.ipv4.ip_local_port_range)" "10000 65535" "port range"
assert_eq "$(sysval $ns net.ipv4.tcp_tw_reuse)" 1 "tw_reuse"
[ "$(sysval $ns net.ipv4.tcp_timestamps)" -ge 1 ] || fail "timestamps"
[ "$(sysval $ns net.ipv4.tcp_max_tw_buckets)" -ge 131072 ] || fail "tw buckets"
# Only changed keys were journaled (no redundant writes): timestamps was already 1.
n=$(jget "$T/apply.json" 'len(d["result"]["written"])')
assert_eq "$(jget "$T/apply.json" 'len(d["plan"]["changes"])')" "$n" "written = planned changes"
jget "$T/apply.json" '[c["key"] for c in d["plan"]["unchanged"]]' | grep -q tcp_timestamps ||
	fail "tcp_timestamps (already 1) should be unchanged"
# The journal was fsynced with old and new values, boot id and netns inode.
j="$S/txn/$txn.journal"
head -1 "$j" | grep -q '"boot_id":"[0-9a-f-]*"' || fail "journal lacks boot_id"
head -1 "$j" | grep -q '"netns":[1-9]' || fail "journal lacks netns"
head -1 "$j" | grep -q "\"old\":\"$orig_net_ipv4_tcp_tw_reuse\"" || fail "journal lacks old value"
[ "$(stat -c %a "$S")" = 700 ] || fail "state dir mode $(stat -c %a "$S")"

# Again: nothing to change, exit 0 with --detailed-exitcodes.
rc=$(rc_of hr_apply "$ns" apply --profile high-rate-client --state-dir "$S" --detailed-exitcodes)
assert_eq "$rc" 0 "second apply (nothing to change)"
grep -q "Nothing to change" "$T/out" || fail "second apply output: $(cat "$T/out")"

hr_apply "$ns" history --state-dir "$S" >"$T/hist"
grep -q "^$txn .* applied .*profile high-rate-client" "$T/hist" || fail "history: $(cat "$T/hist")"

rc=$(rc_of hr_apply "$ns" rollback --state-dir "$S" "$txn")
assert_eq "$rc" 0 "rollback exit"
for k in $keys; do
	eval "want=\$orig_$(echo $k | tr . _)"
	assert_eq "$(sysval $ns $k)" "$want" "$k after rollback"
done
hr_apply "$ns" history --state-dir "$S" | grep -q "^$txn .* rolled-back" || fail "history after rollback"
# A second rollback has nothing to do.
rc=$(rc_of hr_apply "$ns" rollback --state-dir "$S" --last)
assert_eq "$rc" 0 "second rollback"
grep -q "nothing-to-do" "$T/out" || fail "second rollback: $(cat "$T/out")"
# A profile that declares its path: the plan checks its buffer maxima
# against 2 x BDP (50 ms at 1 Gbit/s: BDP 6,250,000 bytes, 16 MiB rounded).
mkdir -p "$T/prof"
printf '%s\n' "name: wan" "description: A long fat path." "path: {rtt: 50ms, bandwidth: 1Gbit/s}" \
	"settings:" "  net.ipv4.tcp_wmem: {value: \"4096 16384 4194304\", why: short}" \
	"  net.ipv4.tcp_rmem: {value: \"4096 131072 16777216\", why: enough}" >"$T/prof/wan.yaml"
rc=$(rc_of hr_apply "$ns" apply --profile wan --profiles "$T/prof" --dry-run --state-dir "$S")
assert_eq "$rc" 0 "apply --profile wan --dry-run"
grep -q "declared path 50.0 ms at 1000.0 Mbit/s: BDP 6104 KiB, buffers need 16384 KiB (2 x BDP); tcp_wmem max 4096 KiB is short (send cap 587.2 Mbit/s); tcp_rmem max 16384 KiB covers it" "$T/out" ||
	fail "apply --profile wan: no path check in the plan: $(cat "$T/out")"
"$HR_BIN" profile show wan --profiles "$T/prof" --format json >"$T/wan.json" || fail "profile show wan"
python3 -c 'import json,sys; p=json.load(open(sys.argv[1]))["path"]; assert p["covers"] is False and abs(p["rtt"] - 0.05) < 1e-9 and p["bandwidth"] == 125e6, p' "$T/wan.json" ||
	fail "profile show wan --format json: $(cat "$T/wan.json")"
# audit --profile: the audit as if the profile were applied, its path
# given to the destinations without one (as a workload path would be).
printf '%s\n' "outbound:" "  - destination: 10.0.0.2:5201" "    rate: 1/s" >"$T/wl.yaml"
hr_in "$ns" "$HR_BIN" audit --workload "$T/wl.yaml" --profile wan --profiles "$T/prof" --format json >"$T/audit.json" 2>"$T/audit.err" || : # exit 1: a warning
python3 - "$T/audit.json" <<'PY' || fail "audit --profile wan: $(head -c 800 "$T/audit.json") $(cat "$T/audit.err")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["summary"]["assumed"]["net.ipv4.tcp_wmem"] == "4096 16384 4194304", j["summary"]["assumed"]
f = {x["rule"]: x for x in j["findings"] if x.get("subject") == "10.0.0.2:5201"}
assert f["buffers.bdp"]["severity"] == "warning" and "declared path RTT 50.0 ms at 1000.0 Mbit/s" in f["buffers.bdp"]["message"], f["buffers.bdp"]
assert f["buffers.rcvbuf"]["severity"] == "ok", f["buffers.rcvbuf"]
PY
printf '%s\n' "name: bad" "description: x" "path: {rtt: 50ms}" >"$T/prof/bad.yaml"
"$HR_BIN" profile show bad --profiles "$T/prof" >"$T/bad.out" 2>&1 && fail "a path without bandwidth was accepted"
grep -q "bad.yaml:3:7: .*'path' needs both 'rtt' and 'bandwidth'" "$T/bad.out" || fail "bad path error: $(cat "$T/bad.out")"
echo ok
