#!/bin/sh
# Drift: a value headroom applied that has changed since.
#   1. apply two keys in a namespace; the audit says applied.drift ok;
#   2. one changed by hand (sysctl -w): the audit warns, naming the key, the
#      applied value, the transaction and the value now (text and JSON),
#      and history lists it (text and JSON); the unchanged key is not named;
#   3. with a process named kube-proxy running and a kube-proxy key changed,
#      the audit says who probably changed it;
#   4. rollback leaves the changed key alone (exit 3, the hand-written value
#      kept, the other key restored); rollback --force restores it.
. "$(dirname "$0")/lib.sh"
hr_require_netns
. "$(dirname "$0")/apply-lib.sh"
command -v python3 >/dev/null || skip "needs python3"

ns=$(hr_ns drift)
k1=net.ipv4.tcp_fin_timeout
k2=net.ipv4.tcp_keepalive_time
o1=$(sysval "$ns" $k1); o2=$(sysval "$ns" $k2)
v1=$((o1 == 33 ? 34 : 33)); v2=$((o2 == 900 ? 901 : 900))
rc=$(rc_of hr_apply "$ns" apply --state-dir "$S" --set "$k1=$v1" --set "$k2=$v2")
assert_eq "$rc" 0 "apply: $(cat "$T/err")"
txn=$(ls "$S/txn" | sed -n 's/\.journal$//p' | tail -n 1)

audit() { hr_in "$ns" "$HR_BIN" audit -q --interval 0 --state-dir "$S" "$@" || true; }
drift_of() { # drift_of JSON: severity count
	python3 -c 'import json,sys
r = json.load(open(sys.argv[1]))
f = [x for x in r["findings"] if x["rule"] == "applied.drift"]
print(f[0]["severity"], f[0]["metrics"]["count"], f[0]["message"]) if f else print("none")' "$1"
}
audit --format json >"$T/a0.json"
set -- $(drift_of "$T/a0.json")
assert_eq "$1 $2" "ok 0" "applied.drift before any change"

# 2. Changed by hand.
hr_in "$ns" sysctl -qw $k1=77
audit --format json >"$T/a1.json"
audit >"$T/a1.txt"
msg=$(drift_of "$T/a1.json")
case $msg in "warning 1 "*"$k1 applied $v1 at "*" by txn $txn, now 77"*) ;; *) fail "audit: $msg" ;; esac
case $msg in *"$k2"*) fail "the unchanged $k2 is named: $msg" ;; esac
grep -q "WARNING *applied.drift" "$T/a1.txt" && grep -q "$k1 applied $v1 at .* by txn $txn, now 77" "$T/a1.txt" ||
	fail "text: $(grep -A2 applied.drift "$T/a1.txt")"
hr_apply "$ns" history --state-dir "$S" >"$T/h.txt"
grep -q "^  $k1 applied $v1 at .* by txn $txn, now 77\$" "$T/h.txt" || fail "history: $(cat "$T/h.txt")"
hr_apply "$ns" history --state-dir "$S" --format json >"$T/h.json"
python3 - "$T/h.json" "$k1" "$v1" "$txn" <<'PY' || fail "history JSON: $(cat "$T/h.json")"
import json, sys
d = json.load(open(sys.argv[1]))["drift"]
assert d == [{"key": sys.argv[2], "applied": sys.argv[3], "now": "77", "txn": sys.argv[4], "time": d[0]["time"]}], d
PY

# 3. A key kube-proxy sets, changed while a process of that name runs.
cp "$(command -v sleep)" "$T/kube-proxy"
"$T/kube-proxy" 30 &
HR_PIDS="$HR_PIDS $!"
k3=net.netfilter.nf_conntrack_tcp_timeout_established
hr_in "$ns" test -e /proc/sys/net/netfilter/nf_conntrack_tcp_timeout_established || modprobe nf_conntrack 2>/dev/null || true
if hr_in "$ns" test -w /proc/sys/net/netfilter/nf_conntrack_tcp_timeout_established; then
	rc=$(rc_of hr_apply "$ns" apply --state-dir "$S" --set "$k3=7200")
	assert_eq "$rc" 0 "apply $k3: $(cat "$T/err")"
	hr_in "$ns" sysctl -qw $k3=86400
	audit --format json >"$T/a3.json"
	case $(drift_of "$T/a3.json") in *"$k3 applied 7200 at "*", now 86400 (probably: kube-proxy (process kube-proxy, pid"*) ;;
	*) fail "who changed $k3: $(drift_of "$T/a3.json")" ;; esac
	rc=$(rc_of hr_apply "$ns" rollback --state-dir "$S" --last --force)
	assert_eq "$rc" 0 "rollback --force of $k3"
	note "drift of $k3 names kube-proxy as the probable writer"
else
	note "no conntrack in the namespace: the kube-proxy case is not checked"
fi

# 4. Rollback keeps the hand-written value unless forced.
rc=$(rc_of hr_apply "$ns" rollback --state-dir "$S" "$txn")
assert_eq "$rc" 3 "rollback of a drifted transaction: $(cat "$T/out")"
assert_eq "$(sysval "$ns" $k1)" 77 "the changed key is left alone"
assert_eq "$(sysval "$ns" $k2)" "$o2" "the unchanged key is restored"
grep -q "$k1: now 77, applied $v1, original $o1: changed since by someone else (--force restores it)" "$T/out" ||
	fail "rollback output: $(cat "$T/out")"
rc=$(rc_of hr_apply "$ns" rollback --state-dir "$S" "$txn" --force)
assert_eq "$(sysval "$ns" $k1)" "$o1" "rollback --force restores the changed key (exit $rc)"
note "drift: audit warns, history lists it, rollback keeps it unless --force"
