#!/bin/sh
# bench/child-ehash.sh [N]: what net.ipv4.tcp_child_ehash_entries buys a
# host with many network namespaces (rule sockets.shared-ehash). Two sets of
# N namespaces (default 50), each namespace holding PAIRS (default 500)
# connected loopback pairs, alive at the same time:
#   shared:  made from the initial namespace (tcp_child_ehash_entries 0 on
#            the host, untouched): they share the host's established hash;
#   private: made from a parent namespace whose tcp_child_ehash_entries is
#            EHASH (default 4096), set there only: each has its own hash.
# For each set, RUNS (default 5) times: `headroom audit --interval 0
# --netns NS1 ... --netns NSN` and, as the reference, `ss -tan` in one
# namespace of the set (the bare sock_diag walk). Medians and the
# shared/private ratio are printed, and the section "Namespaces with their
# own established hash" of docs/PERFORMANCE.md is (re)written (DOC=0:
# print only). Needs root; removes its namespaces and processes (also on
# ^C). Not part of make check. The host's sysctls are never written.
set -eu
export LC_ALL=C
top=$(cd "$(dirname "$0")/.." && pwd)
HR_BIN=${HR_BIN:-$top/src/headroom}
N=${1:-50}
PAIRS=${PAIRS:-500}
RUNS=${RUNS:-5}
EHASH=${EHASH:-4096}
P="hre$$-"
W=$(mktemp -d "${TMPDIR:-/tmp}/hr-bench-ehash.XXXXXX")
PIDS=""

. "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "bench/child-ehash.sh: needs root (network namespaces)" >&2; exit 77; }
[ -e /proc/sys/net/ipv4/tcp_child_ehash_entries ] || { echo "bench/child-ehash.sh: no tcp_child_ehash_entries (6.1+)" >&2; exit 77; }


# The parent of the private set: its tcp_child_ehash_entries only.
ip netns add "${P}parent"
ip netns exec "${P}parent" sysctl -qw net.ipv4.tcp_child_ehash_entries="$EHASH"
for set in shared private; do
	i=1
	while [ $i -le "$N" ]; do
		ns="$P$set-$i"
		if [ $set = shared ]; then
			ip netns add "$ns"
		else
			nsenter --net="/run/netns/${P}parent" ip netns add "$ns"
		fi
		ip -n "$ns" link set lo up
		bench_hold "$ns" "$PAIRS" "$W/ready.$set.$i" 900
		i=$((i + 1))
	done
done
t=0
while [ "$(ls "$W" | grep -c '^ready\.')" -lt $((2 * N)) ]; do
	sleep 0.2; t=$((t + 1))
	[ $t -lt 1500 ] || { echo "bench/child-ehash.sh: the socket holders did not start" >&2; exit 1; }
done
sh_e=$(ip netns exec "${P}shared-1" cat /proc/sys/net/ipv4/tcp_ehash_entries)
pr_e=$(ip netns exec "${P}private-1" cat /proc/sys/net/ipv4/tcp_ehash_entries)
[ "$sh_e" -lt 0 ] && [ "$pr_e" -gt 0 ] || { echo "bench/child-ehash.sh: tcp_ehash_entries $sh_e (shared) / $pr_e (private)" >&2; exit 1; }
echo "# tcp_ehash_entries: shared set $sh_e, private set $pr_e; $N namespaces each, $PAIRS pairs per namespace"

for set in shared private; do
	nsargs=$(i=1; while [ $i -le "$N" ]; do printf ' --netns %s%s-%d' "$P" $set $i; i=$((i + 1)); done)
	# The audit sees every namespace's sockets (and the rule's answer).
	"$HR_BIN" audit $nsargs --interval 0 --format json >"$W/check.$set.json" || [ $? -le 3 ]
	python3 - "$W/check.$set.json" "$N" "$PAIRS" $set <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); n, pairs, which = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
secs = d["namespaces"]
assert len(secs) == n and all(s["facts"]["sockets"]["total"] >= 2 * pairs for s in secs), "sockets"
sev = {f["severity"] for s in secs for f in s["findings"] if f["rule"] == "sockets.shared-ehash"}
assert sev == ({"info"} if which == "shared" else {"ok"}), (which, sev)
print("# %s: sockets.shared-ehash %s in all %d namespaces" % (which, sev.pop(), n))
PY
	: >"$W/audit.$set"; : >"$W/ss.$set"
	r=0
	while [ $r -lt "$RUNS" ]; do
		t0=$(now)
		"$HR_BIN" audit $nsargs --interval 0 --format json >/dev/null || [ $? -le 3 ]
		t1=$(now)
		ip netns exec "${P}$set-1" ss -tan >/dev/null
		t2=$(now)
		echo "$t0 $t1" | awk '{ print $2 - $1 }' >>"$W/audit.$set"
		echo "$t1 $t2" | awk '{ print $2 - $1 }' >>"$W/ss.$set"
		r=$((r + 1))
	done
	echo "$set $(median <"$W/audit.$set") $(median <"$W/ss.$set")" >>"$W/results"
done
python3 - "$W/results" "$N" "$PAIRS" "$RUNS" "$EHASH" "$top/docs/PERFORMANCE.md" "${DOC:-1}" "$(nproc) CPUs, Linux $(uname -r)" <<'PY'
import sys
res, n, pairs, runs, ehash, doc, write, machine = sys.argv[1:9]
r = {l.split()[0]: [float(x) for x in l.split()[1:]] for l in open(res)}
(sa, ss), (pa, ps) = r["shared"], r["private"]
lines = ["| namespaces made with | audit over %s namespaces, s | ss -tan in one, s |" % n, "|---|---:|---:|",
         "| tcp_child_ehash_entries 0 (shared hash) | %.3f | %.4f |" % (sa, ss),
         "| tcp_child_ehash_entries %s (own hash) | %.3f | %.4f |" % (ehash, pa, ps),
         "| ratio shared / own | %.2fx | %.2fx |" % (sa / pa, ss / ps)]
print("\n".join(lines))
if write == "0":
    sys.exit(0)
head = "## Namespaces with their own established hash (bench/child-ehash.sh)"
body = [head, "",
"""Two sets of %s namespaces, %s connected loopback pairs each, alive at the
same time: one made from the initial namespace (tcp_child_ehash_entries 0:
they share the host's established hash), one made from a parent namespace
whose tcp_child_ehash_entries is %s (each its own hash). `headroom audit
--interval 0 --netns ...` over each set, and `ss -tan` in one namespace of
each (the bare sock_diag walk); medians of %s runs. Machine: %s, shared
with other jobs. With a shared hash every dump walks every socket of the
host; the rule sockets.shared-ehash says so in each such namespace.""" % (n, pairs, ehash, runs, machine), ""] + lines + [""]
text = open(doc).read()
i = text.find(head)
if i >= 0:
    j = text.find("\n## ", i + len(head))
    rest = text[j + 1:] if j >= 0 else ""
    text = text[:i].rstrip("\n") + "\n\n" + "\n".join(body) + ("\n" + rest if rest else "")
else:
    text = text.rstrip("\n") + "\n\n" + "\n".join(body)
open(doc, "w").write(text)
print("# wrote the section to", doc)
PY
