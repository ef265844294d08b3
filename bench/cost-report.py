#!/usr/bin/env python3
"""bench/cost-report.py WORK MACHINE HASHES PRICES LOAD BUILDS NS PAIRS SOCKETS WATCH_N BEFORE AFTER [DOC]:
the tables of bench/cost.sh, printed, and with DOC the section "The cost of
looking (bench/cost.sh)" of docs/PERFORMANCE.md replaced (or put before the
section "headroom watch"); the rest of the file is left as it is."""
import glob
import json
import os
import statistics
import sys

(work, machine, hashes, prices, load, builds, ns_count, pairs, sockets, watch_n, before, after) = sys.argv[1:13]
doc = sys.argv[13] if len(sys.argv) > 13 else ""
builds = builds.split()
GOAL = 1.5
HEAD = "## The cost of looking (bench/cost.sh)"


def quiet(name):
    """Median wall and median CPU (user + system) seconds of a command over the rounds."""
    wall, cpu = [], []
    for p in glob.glob(os.path.join(work, "q.*.json")):
        for r in json.load(open(p))["results"]:
            if r["command"] == name:
                wall.extend(r["times"])
                cpu.append(r["user"] + r["system"])
    if not wall:
        return None, None
    return statistics.median(wall), statistics.median(cpu)


def ms(v):
    return "n/a" if v is None else "%.1f" % (v * 1000)


def x(v, base):
    return "n/a" if v is None or not base else "%.2fx" % (v / base)


out = []
fw, fc = quiet("floor")
out.append("| quiet namespace | median wall ms | vs floor | median CPU ms | CPU vs floor |")
out.append("|---|---:|---:|---:|---:|")
names = [("floor", "floor: bench/sockfloor (one sock_diag dump per TCP family)"),
         ("floor one", "bench/sockfloor one (both families in one request, as headroom asks)"), ("ss -tan", "ss -tan"),
         ("start", "headroom --version (process start only), after")]
for b in builds:
    names += [("probe " + b, "probe --interval 0, " + b), ("audit " + b, "audit --interval 0, " + b)]
names.append(("audit nocache", "audit --interval 0, after, rule cache off (`env HEADROOM_CACHE_DIR=`: one exec more)"))
goals = []
f1w, f1c = quiet("floor one")
for key, label in names:
    w, c = quiet(key)
    out.append("| %s | %s | %s | %s | %s |" % (label, ms(w), x(w, fw), ms(c), x(c, fc)))
    if key.startswith(("probe", "audit")) and w and fw:
        goals.append("- %s / floor: %.2fx wall, %.2fx CPU (goal <= %.1fx): %s; against the one-request floor: "
                     "%s wall, %s CPU" % (key, w / fw, c / fc, GOAL, "met" if w / fw <= GOAL else "MISSED",
                                          x(w, f1w), x(c, f1c)))
rss = {b: open(os.path.join(work, "rss." + b)).read().strip() for b in builds
       if os.path.exists(os.path.join(work, "rss." + b))}
if rss:
    out.append("")
    out.append("Peak RSS of one quiet audit (GNU time %%M): %s." %
               ", ".join("%s %s KiB" % (b, rss[b]) for b in builds if b in rss))

# Namespaces.
rows = {}
for line in open(os.path.join(work, "ns.txt")):
    s, b, kind, n, e, u, sy = line.split()
    rows.setdefault((s, b, kind), []).append((int(n), float(e), float(u) + float(sy)))
out += ["", "| %s namespaces | build | separate runs: s (per namespace ms) | --all-netns: namespaces, s (per namespace ms) "
        "| ratio per namespace, wall | CPU per namespace ms: separate / --all-netns |" % ns_count,
        "|---|---|---:|---:|---:|---:|"]
for s, label in (("quiet", "quiet"), ("sockets", "%s sockets each" % sockets)):
    for b in builds:
        sep, one = rows.get((s, b, "separate")), rows.get((s, b, "all"))
        if not sep or not one:
            continue
        se = statistics.median(e for _, e, _ in sep)
        sc = statistics.median(c / n for n, _, c in sep)
        oe = statistics.median(e / n for n, e, _ in one)
        oc = statistics.median(c / n for n, _, c in one)
        cnt = statistics.median(n for n, _, _ in one)
        sn = sep[0][0]
        out.append("| %s | %s | %.2f (%.1f) | %d, %.2f (%.1f) | %.2fx | %.1f / %.1f |" %
                   (label, b, se, se / sn * 1000, cnt, oe * cnt, oe * 1000, oe / (se / sn), sc * 1000, oc * 1000))

# watch.
out += ["", "| watch --interval 1 --count %s (quiet namespace) | wall s | CPU s | CPU per refresh ms | "
        "%% of one core (goal < 2%%) |" % watch_n, "|---|---:|---:|---:|---:|"]
for b in builds:
    p = os.path.join(work, "watch." + b)
    if not os.path.exists(p) or not open(p).read().split():
        continue
    e, u, sy = (float(v) for v in open(p).read().split()[-3:])
    per = (u + sy) / int(watch_n)
    out.append("| %s | %.2f | %.2f | %.1f | %.2f%% |" % (b, e, u + sy, per * 1000, per * 100))
    goals.append("- watch %s: %.2f%% of one core per 1 s refresh (goal < 2%%): %s" %
                 (b, per * 100, "met" if per * 100 < 2 else "MISSED"))

table = "\n".join(out)
print("Machine: %s\nHashes: %s\nPrices: %s\n" % (machine, hashes, prices))
print(table)
print("\n".join(goals))
if not doc:
    sys.exit(0)

section = HEAD + """

`bench/cost.sh` (as root) measures what looking costs where there is little
to see: a quiet network namespace, many namespaces, one watch refresh,
against the floor, a bare sock_diag dump of both TCP families
(`bench/sockfloor.c`: one SOCK_DIAG_BY_FAMILY dump per family, every state,
counting states; `ss -tan` does the same two dumps and prints). "before" is
%s, "after" %s, both measured in the same run:
the quiet rows are medians of interleaved rounds (each round one hyperfine
run of every command, the order rotated), the namespace rows medians of
rounds of the separate runs (`nsenter --net`, back to back) and one
`audit --all-netns` (every namespace on the machine; per-namespace costs
divide by the count its report gives), watch one run.

Machine: %s; %s. Its
hashes: %s. Its prices: %s
(bench/machine.c: one getppid(), one first touch of an anonymous page).
The kernel walks every bucket of the established hash for every dump, in
every namespace, so the floor grows with tcp_ehash_entries; a page fault at
20-50 us (a virtual machine's shadow paging) makes every page a process
touches cost as much as 20 system calls. Read the ratios, not the
milliseconds, across machines.

%s

Goals:
%s

Where the quiet probe's time went, and what changed (strace -c and perf of
one probe in a new namespace, this machine):
- The ctnetlink dump walked the whole global conntrack hash
  (nf_conntrack_buckets buckets) to find nothing: now skipped when this
  namespace's count is 0 (the `entries` column of /proc/net/stat/nf_conntrack,
  read just before) or conntrack is not loaded; the fact
  `conntrack.dump_skipped` says so, and the zero facts name the count as their source.
- Four sock_diag dumps (LISTEN, then the rest, per family: two walks of the
  established hash) are one: the inet_diag compatibility request
  (TCPDIAG_GETSOCK) dumps both families with one walk of the listening hash
  and one of the established hash, listeners of both families first, as
  the inbound/outbound split needs. A kernel without it gets the four dumps.
  So headroom now walks the established hash once where the floor walks it
  twice.
- 1,279 page faults a probe (the floor: 58; `headroom --version`: 102):
  3.4 MB of conntrack tuple tables zeroed and walked although empty, a
  4 MiB buffer for /proc/net/stat/nf_conntrack, a 208 KiB inline facts
  table, a 256 KiB listening-port index. Now the tuple tables are dense and
  made with the first entry, the stat buffer is 64 KiB of heap, the facts
  table is (index, hash) slots over a dense array, the port index is made
  in 1 KiB pages: 289 faults.
- The sysctls: one open per directory, one openat and one read per key,
  and the closes batched (close_range(2) per run of consecutive
  descriptors, at most 64 open): 413 close() calls became about 19. Each
  read asked for 64 KiB, and proc_sys_call_handler() allocates and zeroes
  a kernel buffer of the size asked for: an order-5 allocation and 128 KiB
  of zeroing per key. A first read of 1,023 bytes (a value that fills it
  is read again whole) halved the time of the reads.
- The rules: told apart by device and inode (stat) instead of realpath(3):
  133 failed readlink() calls per audit gone. Each rule file was parsed
  twice (a pass over the YAML events for the nesting bound, then
  yaml_parser_load): now once, the document composed from the events with
  the bound checked as they come (hr_yaml_load, bounds.c), about 1 ms of
  CPU less per audit. Then (issue 23, second pass) a cache of the parsed
  YAML of every rule file that loaded without an error (src/rules-cache.c;
  headroom(8), FILES): the YAML document with its marks, used only when
  the directory and the file are the user's alone, of this version, made
  from the same path, size and content (the text is read and hashed every
  run) and every offset checks out; the rules are read from it as from
  the text, so every check and every located error is the same, and a file
  with an error is never cached. libyaml's scanner was most of the rules'
  cost: `rules list` 8.0 -> 4.1 ms CPU, a quiet audit 15.1 -> 11.7 ms
  (`perf stat -r 30`, cache off and on, one after the other). A rule file
  in a directory already found trusted is checked with one lstat (was a
  walk of its directories to / and a realpath(3): ten system calls a file).
- The kernel log: /dev/kmsg gives one record per read(2), so every probe
  read the whole ring (about 350 records here), once per namespace under
  --all-netns and once per refresh under watch. The audit context keeps it
  open (hr_kmsg_log): the first probe reads the ring, later ones only what
  was logged since, with the same kernel.log facts (audit --all-netns over
  25 namespaces: 12,188 read(2) calls instead of 20,488).
What is left of a quiet audit beyond the floor (perf record of 10 audits
with the cache, and `perf stat -r 20` in the quiet namespace after the
run): process start 1.3 ms (ten shared libraries; libbpf, libelf and libz,
for trace alone, 0.15 ms of it), the probe about 5 ms (the TCP dump, one
walk as the one-request floor; about 380 sysctl files, an openat and a
read each: the kernel offers no bulk read of /proc/sys; UDP, snmp, snmp6,
netstat, softnet), the rules about 2 ms even from the cache (the
expressions and templates parsed and bound, the set checked: 15%% of the
samples), the other managers and the namespace count (one walk of /proc,
four system calls a process: a stat of ns/net, then open, pread and close
of comm; 5%%), the kernel log (3%%), the evaluation (5%%), the jansson tree
of the facts, built for the text output too, and the report (12%%), and
freeing all of it at exit. --all-netns and watch pay the rules, the
process start and the /proc walk once, so their per-namespace and
per-refresh cost is the probe, the evaluation and the report: about 8 ms
CPU per quiet namespace and 7 ms per refresh. A single quiet audit pays
all of it: about 3x the floor on a quiet machine. The next steps, in
order of size: the rules in a compiled form (expressions kept parsed and
bound between runs, keyed on the facts catalogue as well as the files),
the facts' JSON tree only for --format json, and the process start
(libbpf loaded only by trace).
""" % (before or "not measured", after, machine, load, hashes, prices, table, "\n".join(goals))

text = open(doc).read()
i = text.find(HEAD)
if i >= 0:
    j = text.find("\n## ", i + len(HEAD))
    text = text[:i] + section + ("\n" + text[j + 1:] if j >= 0 else "")
else:
    j = text.find("\n## headroom watch")
    j = j + 1 if j >= 0 else len(text)
    text = text[:j] + section + "\n" + text[j:]
open(doc, "w").write(text)
print("# wrote the section to", doc)
