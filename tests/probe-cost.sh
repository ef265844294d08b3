#!/bin/sh
# What the probe skips to cost less (issue 23) changes nothing it reports.
# The conntrack and socket dumps cost only where they find something, and
# find the same as before where they do; sysctls are read whole.
# 1. A namespace that tracks nothing (nf_conntrack_count 0): strace of
#    `headroom probe` shows no NETLINK_NETFILTER socket and no ctnetlink
#    request; the facts say the dump was skipped and why (the text output:
#    "not tracked here"), conntrack.entries is 0; the TCP sockets come from
#    one sock_diag request (TCPDIAG_GETSOCK, both families; the UDP dumps,
#    one per family, follow).
# 2. A NAT namespace (nftables masquerade, client ns -> NAT ns -> server ns
#    over veth) holding 12 connections to one server port and 5 to another,
#    none opening or closing: the ctnetlink dump is made (strace), and the
#    per-destination and SNAT figures equal those computed from
#    `conntrack -L` of the same namespace (the kernel's own listing):
#    entries, destinations, top destination and its entries, SNAT entries,
#    tuples, and each tuple's ports in use, busy, lowest and highest port.
# 3. The namespace's sockets: listeners of both families seen before the
#    rest, so inbound and outbound are told apart across families as with
#    the per-family dumps.
# 4. Sysctls are first read 1,023 bytes at a time (the kernel allocates
#    and zeroes what a read asks for): a value longer than that
#    (ip_local_reserved_ports with 600 single ports, about 3,000 bytes) is
#    read again whole; the fact equals what the kernel prints, and the
#    probe closes its sysctl files in batches (close_range), not one by one.
. "$(dirname "$0")/lib.sh"

hr_require_netns
hr_need_tool strace strace
hr_need_tool nft nftables
hr_need_tool conntrack conntrack
[ -e /proc/sys/net/netfilter/nf_conntrack_max ] || modprobe nf_conntrack 2>/dev/null || true
[ -e /proc/sys/net/netfilter/nf_conntrack_max ] || skip "needs nf_conntrack"

# 1. Nothing tracked.
Q=$(hr_ns ctq)
assert_eq "$(hr_in "$Q" cat /proc/sys/net/netfilter/nf_conntrack_count)" 0 "nf_conntrack_count of a new namespace"
hr_in "$Q" strace -f -qq -e trace=socket,sendto -o "$T/q.strace" "$HR_BIN" probe --interval 0 --format json >"$T/q.json" ||
	fail "probe in the quiet namespace failed"
if grep -q 'NETLINK_NETFILTER\|IPCTNL_MSG_CT_GET' "$T/q.strace"; then
	fail "a ctnetlink request in a namespace that tracks nothing: $(grep 'NETLINK_NETFILTER\|IPCTNL' "$T/q.strace" | head -n 3)"
fi
n1=$(grep -c 'sendto(.*TCPDIAG_GETSOCK' "$T/q.strace" || true)
# TCP requests only: the UDP dumps (one per family, udp_diag) follow.
n4=$(grep 'sendto(.*SOCK_DIAG_BY_FAMILY' "$T/q.strace" | grep -vc 'IPPROTO_UDP' || true)
if [ "$n1" = 1 ] && [ "$n4" = 0 ]; then
	note "sockets: one sock_diag request for both families"
elif [ "$n1" = 1 ] && [ "$n4" = 4 ]; then
	note "kernel without the inet_diag compatibility request: four per-family dumps"
else
	fail "sock_diag requests: $n1 TCPDIAG_GETSOCK, $n4 SOCK_DIAG_BY_FAMILY (want one request)"
fi
python3 - "$T/q.json" <<'PY' || fail "quiet namespace facts"
import json, sys
c = json.load(open(sys.argv[1]))["facts"]["conntrack"]
skip = c["conntrack.dump_skipped"]["value"]
assert "nf_conntrack_count 0" in skip and "no ctnetlink dump" in skip, skip
assert c["conntrack.entries"]["value"] == 0, c["conntrack.entries"]
assert "no ctnetlink dump" in c["conntrack.entries"]["source"], c["conntrack.entries"]
assert c["conntrack.snat.tuples"]["value"] == 0
assert c["conntrack.top_destination"].get("absent") == "no tracked connections", c["conntrack.top_destination"]
print("# quiet namespace: %s" % skip)
PY
hr_in "$Q" "$HR_BIN" probe --interval 0 >"$T/q.txt" || fail "text probe in the quiet namespace failed"
grep -q '^  not tracked here: nf_conntrack_count 0 in this network namespace, no ctnetlink dump$' "$T/q.txt" ||
	fail "the text probe does not say conntrack is not tracked here: $(grep -A1 '^Conntrack' "$T/q.txt")"

# 2. A NAT namespace with held connections.
C_IP=10.199.1.1 N_IP1=10.199.1.2 N_IP2=10.199.2.1 S_IP=10.199.2.2
C=$(hr_ns ctc)
N=$(hr_ns ctn)
S=$(hr_ns cts)
HR_NS_LIST="$HR_NS_LIST $Q $C $N $S"
hr_nat_path "$C" "$N" "$S" "$C_IP" "$N_IP1" "$N_IP2" "$S_IP"
out_dev=$HR_NAT_OUT
hr_in "$N" sysctl -q -w net.ipv4.ip_forward=1
hr_in "$N" nft -f - <<EOF || fail "nft: cannot load the masquerade rule"
table ip hrskip {
	chain post {
		type nat hook postrouting priority srcnat;
		oifname "$out_dev" meta l4proto tcp masquerade to :41000-41099
	}
}
EOF

# Server: listens on 8080 and 8081, accepts and holds (at most 120 s).
cat >"$T/server.py" <<'PY'
import select, socket, sys, time
ls = []
for port in (8080, 8081):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((sys.argv[1], port)); s.listen(64); ls.append(s)
open(sys.argv[2], "w").close()
held, end = [], time.time() + 120
while time.time() < end:
    r, _, _ = select.select(ls, [], [], 0.5)
    for s in r:
        held.append(s.accept()[0])
PY
# Client: N connections to each port, all open, then holds (at most 120 s).
cat >"$T/client.py" <<'PY'
import socket, sys, time
host, ready = sys.argv[1], sys.argv[2]
held = []
for port, n in ((8080, 12), (8081, 5)):
    for _ in range(n):
        held.append(socket.create_connection((host, port), timeout=5))
open(ready, "w").close()
time.sleep(120)
PY
hr_bg "$S" python3 "$T/server.py" "$S_IP" "$T/server.ready"
i=0
while [ ! -e "$T/server.ready" ]; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "server did not start"; sleep 0.1
done
hr_bg "$C" python3 "$T/client.py" "$S_IP" "$T/client.ready"
i=0
while [ ! -e "$T/client.ready" ]; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "client did not connect"; sleep 0.1
done

# The kernel's listing and headroom's, at one moment (nothing moves).
hr_in "$N" conntrack -L -p tcp >"$T/ct.txt" 2>/dev/null || fail "conntrack -L in the NAT namespace"
hr_in "$N" strace -f -qq -e trace=socket,sendto -o "$T/n.strace" "$HR_BIN" probe --interval 0 --format json >"$T/n.json" ||
	fail "probe in the NAT namespace failed"
hr_in "$N" conntrack -L -p tcp >"$T/ct2.txt" 2>/dev/null || fail "conntrack -L in the NAT namespace"
cmp -s "$T/ct.txt" "$T/ct2.txt" || note "the table changed during the probe (compared against the second listing)"
grep -q 'IPCTNL_MSG_CT_GET' "$T/n.strace" || fail "no ctnetlink dump in a namespace that tracks $(wc -l <"$T/ct.txt") connections"
python3 - "$T/n.json" "$T/ct2.txt" "$N_IP2" "$S_IP" <<'PY' || fail "conntrack figures differ from conntrack -L"
import collections, json, sys
facts = json.load(open(sys.argv[1]))["facts"]
c = facts["conntrack"]
nat_ip, srv = sys.argv[3], sys.argv[4]
entries = []
for line in open(sys.argv[2]):
    t = line.split()
    kv = [x.split("=", 1) for x in t if "=" in x]
    src = [v for k, v in kv if k == "src"]; dst = [v for k, v in kv if k == "dst"]
    sport = [int(v) for k, v in kv if k == "sport"]; dport = [int(v) for k, v in kv if k == "dport"]
    entries.append(dict(osrc=src[0], odst=dst[0], osport=sport[0], odport=dport[0],
                        rsrc=src[1], rdst=dst[1], rsport=sport[1], rdport=dport[1], state=t[3]))
assert len(entries) == 17, "conntrack -L lists %d entries, want 17" % len(entries)
assert "conntrack.dump_skipped" not in c, c.get("conntrack.dump_skipped")
def val(k):
    assert c[k].get("source") == "ctnetlink dump", (k, c[k])
    return c[k]["value"]
dests = collections.Counter((e["odst"], e["odport"]) for e in entries)
assert val("conntrack.entries") == len(entries), (val("conntrack.entries"), len(entries))
assert val("conntrack.entries_tcp") == len(entries)
assert val("conntrack.destinations") == len(dests), (val("conntrack.destinations"), dests)
(top, n), = dests.most_common(1)
assert val("conntrack.top_destination") == "%s:%d/tcp" % top, (val("conntrack.top_destination"), top)
assert val("conntrack.top_destination_entries") == n
snat = [e for e in entries if e["rdst"] != e["osrc"] or e["rdport"] != e["osport"]]
assert val("conntrack.snat.entries") == len(snat) == 17, (val("conntrack.snat.entries"), len(snat))
tuples = collections.defaultdict(list)
for e in snat:
    tuples["%s->%s:%d/tcp" % (e["rdst"], e["odst"], e["odport"])].append(e)
assert val("conntrack.snat.tuples") == len(tuples) == 2, tuples.keys()
got = {t["subject"]: t for t in c["snat_tuples"]}
assert set(got) == set(tuples), (sorted(got), sorted(tuples))
for subj, es in tuples.items():
    t = got[subj]
    ports = [e["rdport"] for e in es]
    busy = sum(e["state"] not in ("TIME_WAIT", "CLOSE") for e in es)
    want = dict(in_use=len(es), busy=busy, port_low=min(ports), port_high=max(ports))
    have = {k: t[k] for k in want}
    assert have == want, (subj, have, want)
    assert all(41000 <= p <= 41099 for p in ports), ports
top = c["conntrack.snat.top.subject"]["value"]
assert top == "%s->%s:8080/tcp" % (nat_ip, srv), top
assert c["conntrack.snat.top.in_use"]["value"] == 12
print("# NAT namespace: %d entries, %d destinations, SNAT tuples %s: as conntrack -L lists them"
      % (len(entries), len(dests), ", ".join("%s in_use %d" % (s, len(e)) for s, e in sorted(tuples.items()))))
PY

# 3. Sockets of both families in one dump: listeners first, so an IPv4
# connection accepted on the IPv4 listener and an IPv6 one on the IPv6
# listener are inbound, their client ends outbound.
cat >"$T/mixed.py" <<'PY'
import json, socket, subprocess, sys
keep = []
for fam, addr in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    s = socket.socket(fam); s.bind((addr, 0)); s.listen(8); keep.append(s)
    for _ in range(3):
        c = socket.create_connection(s.getsockname()[:2]); a, _ = s.accept(); keep += [c, a]
out = subprocess.run([sys.argv[1], "probe", "--interval", "0", "--format", "json"], capture_output=True, text=True)
s = json.loads(out.stdout)["facts"]["sockets"]
assert (s["total"], s["inbound"], s["outbound"]) == (14, 6, 6), s
print("# both families: 2 listeners, 6 inbound, 6 outbound")
PY
hr_in "$Q" python3 "$T/mixed.py" "$HR_BIN" || fail "sockets of both families"

# 4. A sysctl value longer than the first read.
L=$(hr_ns long)
HR_NS_LIST="$HR_NS_LIST $L"
ports=$(seq 20001 2 21199 | paste -sd, -)
hr_in "$L" sysctl -q -w net.ipv4.ip_local_reserved_ports="$ports" || fail "setting ip_local_reserved_ports"
want=$(hr_in "$L" cat /proc/sys/net/ipv4/ip_local_reserved_ports)
[ "${#want}" -gt 1100 ] || fail "ip_local_reserved_ports is only ${#want} bytes; want a value over 1,023"
hr_in "$L" strace -f -qq -e trace=close,close_range -o "$T/l.strace" "$HR_BIN" probe --interval 0 --format json >"$T/l.json" ||
	fail "probe with a long sysctl value failed"
got=$(jget "$T/l.json" 'd["facts"]["sysctls"]["net.ipv4.ip_local_reserved_ports"]["value"]')
assert_eq "$got" "$want" "net.ipv4.ip_local_reserved_ports (${#want} bytes)"
closes=$(grep -c '^[0-9]* *close(' "$T/l.strace" || true)
ranges=$(grep -c 'close_range(' "$T/l.strace" || true)
nkeys=$(jget "$T/l.json" 'len(d["facts"]["sysctls"])')
note "$nkeys sysctl facts; $closes close() and $ranges close_range() calls"
[ "$closes" -lt 100 ] || fail "$closes close() calls for $nkeys sysctl files: not batched"
echo ok
