#!/bin/sh
# --root trusts nothing in a tree (snapshots come from other machines, often
# as tarballs extracted by root): a file is opened with O_PATH and checked
# with fstat before it is opened for reading, so a FIFO's writer is never
# woken and a device node never opened; a file with more than one link (a
# hard link to a secret elsewhere) is refused, not printed; a value is one
# line of printable text; and whatever a tree, a rule or a log says reaches
# the terminal escaped (\xNN), never as raw control bytes.
. "$(dirname "$0")/lib.sh"
hr_require_netns
hr_need_tool strace strace
ns=$(hr_ns tree)
hr_in "$ns" "$HR_BIN" snapshot -o "$T/base" --quiet 2>/dev/null || fail "snapshot"
fresh() { rm -rf "$T/r"; cp -r "$T/base" "$T/r"; }
# out NAME CMD...: runs a headroom command on $T/r, output in $T/NAME.out (stdout and stderr).
out() { local n=$1; shift; "$HR_BIN" "$@" >"$T/$n.out" 2>&1 || true; }
# no_esc NAME: the output has no control byte but newline and tab.
no_esc() {
	if LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$T/$1.out"; then
		fail "$1: raw control bytes reach the terminal: $(od -c "$T/$1.out" | grep -m3 '033\|007')"
	fi
}

# 1. A FIFO at proc/net/tcp whose writer waits for a reader: never opened.
fresh
rm "$T/r/proc/net/tcp"
mkfifo "$T/r/proc/net/tcp"
sh -c 'exec 3>"$1"; echo opened >"$2"' sh "$T/r/proc/net/tcp" "$T/opened" &
writer=$!
HR_PIDS="$HR_PIDS $writer"
rc=0
"$HR_BIN" audit --root "$T/r" --interval 0 >"$T/fifo.out" 2>&1 || rc=$?
sleep 0.3
[ ! -e "$T/opened" ] || fail "the FIFO at proc/net/tcp was opened for reading (its writer woke up)"
assert_eq "$rc" 3 "a FIFO at proc/net/tcp: exit code"
grep -q "proc/net/tcp: refused: not a regular file" "$T/fifo.out" || fail "fifo: $(head -3 "$T/fifo.out")"
kill "$writer" 2>/dev/null || true
wait "$writer" 2>/dev/null || true
note "FIFO: not opened, $(head -1 "$T/fifo.out")"

# 2. Device nodes (/dev/null's numbers) at proc/net/tcp and a sysctl: never
# opened for reading (strace shows every open of them), refused.
fresh
rm "$T/r/proc/net/tcp" "$T/r/proc/sys/net/ipv4/tcp_ecn"
mknod "$T/r/proc/net/tcp" c 1 3
mknod "$T/r/proc/sys/net/ipv4/tcp_ecn" c 1 3
strace -f -qq -e trace=open,openat,openat2 -o "$T/strace" "$HR_BIN" audit --root "$T/r" --interval 0 \
	>"$T/dev.out" 2>&1 || true
if grep -E 'proc/net/tcp"|tcp_ecn"' "$T/strace" | grep -v O_PATH | grep -q .; then
	fail "a device node was opened: $(grep -E 'proc/net/tcp"|tcp_ecn"' "$T/strace" | grep -v O_PATH | head -3)"
fi
grep -E 'proc/net/tcp"|tcp_ecn"' "$T/strace" | grep -q O_PATH || fail "strace saw no O_PATH open: $(head -3 "$T/strace")"
grep -q "proc/net/tcp: refused: not a regular file" "$T/dev.out" || fail "device: $(head -3 "$T/dev.out")"
note "device nodes: only O_PATH opens ($(grep -c O_PATH "$T/strace") of them), refused"

# 3. A hard link to a secret outside the tree at kernel.osrelease and at a
# sysctl: refused, the secret never printed (text and JSON).
fresh
printf 'root:SECRET-HASH:19000:0:99999:7:::\n' >"$T/shadow"
chmod 0600 "$T/shadow"
rm "$T/r/proc/sys/kernel/osrelease" "$T/r/proc/sys/net/ipv4/tcp_ecn"
ln "$T/shadow" "$T/r/proc/sys/kernel/osrelease"
ln "$T/shadow" "$T/r/proc/sys/net/ipv4/tcp_ecn"
out link-text probe --root "$T/r" --interval 0
out link-json probe --root "$T/r" --interval 0 --format json
out link-audit audit --root "$T/r" --interval 0 --format json
! grep -q SECRET "$T/link-text.out" "$T/link-json.out" "$T/link-audit.out" ||
	fail "the hard-linked secret was printed: $(grep -h SECRET "$T"/link-*.out | head -3)"
grep -q "osrelease: refused: a hard link" "$T/link-json.out" || fail "osrelease hard link: $(grep osrelease "$T/link-json.out")"
grep -q "tcp_ecn: refused: a hard link" "$T/link-json.out" || fail "tcp_ecn hard link: $(grep tcp_ecn "$T/link-json.out")"
note "hard links: refused, the secret not printed"

# 4. Values of more than one line, or with escape sequences: refused; the
# second line never becomes a fact.
fresh
printf '6.1.0\nSECOND-LINE\n' >"$T/r/proc/sys/kernel/osrelease"
printf '1\nSECOND-LINE\n' >"$T/r/proc/sys/net/ipv4/tcp_ecn"
out lines probe --root "$T/r" --interval 0 --format json
! grep -q SECOND-LINE "$T/lines.out" || fail "a second line became a fact: $(grep SECOND "$T/lines.out")"
grep -q "tcp_ecn: value is not text on one line" "$T/lines.out" || fail "multi-line tcp_ecn: $(grep tcp_ecn "$T/lines.out")"
grep -q "osrelease: value is empty or not text on one line" "$T/lines.out" || fail "multi-line osrelease"
note "multi-line values refused"

# 5. Escape sequences from a tree's kernel log, a tree's path and a rule's
# message reach the text output as \xNN.
fresh
esc=$(printf '\033]0;pwned\007\033[2J')
now=$(cat "$T/r/headroom/monotonic" 2>/dev/null || echo 1000)
mkdir -p "$T/r/headroom"
printf '%s\n' "$now" >"$T/r/headroom/monotonic"
us=$(awk -v n="$now" 'BEGIN { printf "%.0f", (n - 5) * 1000000 }')
# The snapshot is a child namespace's: the message names it (6.18's form),
# as one naming no namespace is the initial namespace's.
ino=$(cat "$T/r/headroom/netns-inode")
printf '4,1,%s,-;nf_conntrack: nf_conntrack: table full in netns %s, dropping packet%s\n' "$us" "$ino" "$esc" >"$T/r/headroom/kmsg"
out kmsg-probe probe --root "$T/r" --interval 0
out kmsg-audit audit --root "$T/r" --interval 0
grep -q 'dropping packet\\x1b\]0;pwned\\x07' "$T/kmsg-probe.out" "$T/kmsg-audit.out" ||
	fail "the kernel log line is not shown escaped: $(grep -h 'dropping' "$T"/kmsg-*.out | head -2)"
no_esc kmsg-probe
no_esc kmsg-audit
# A tree whose path holds escape sequences, with an input refused (named).
evil="$T/r$esc"
mv "$T/r" "$evil"
rm "$evil/proc/net/snmp"
for f in text nagios json; do
	"$HR_BIN" audit --root "$evil" --interval 0 --format $f >"$T/path-$f.out" 2>&1 || true
done
no_esc path-text
no_esc path-nagios
grep -q 'x1b\]0;pwned' "$T/path-text.out" || fail "the path is not shown escaped: $(head -2 "$T/path-text.out")"
rm -rf "$evil"
# A rule's message with escape sequences (a root-owned rule file).
fresh
mkdir -p "$T/rules"
cat >"$T/rules/esc.yaml" <<'EOF'
rules:
  - id: esc.message
    title: "title \e]0;pwned\a"
    severity:
      warning: "1 == 1"
    message: "look \e[2J\e[H here \x9b2J c1"
EOF
out rule audit --root "$T/r" --interval 0 --rules "$T/rules"
grep -q 'look \\x1b\[2J\\x1b\[H here' "$T/rule.out" || fail "the rule's message is not shown escaped: $(grep -a look "$T/rule.out")"
no_esc rule
# watch's line (piped): the top finding's words escaped too.
hr_in "$ns" "$HR_BIN" watch --once --interval 0.1 --rules "$T/rules" >"$T/watch.out" 2>&1 || true
grep -q 'x1b' "$T/watch.out" || fail "watch's line does not show the rule's words escaped: $(cat -v "$T/watch.out")"
no_esc watch
# watch's full screen (on a terminal: script(1) gives it one): the rule's
# words escaped there too, C1 controls (U+009B, a CSI to many terminals)
# as well as C0 ones; watch's own escape sequences are the only ones.
hr_need_tool script bsdutils
(sleep 3; printf q) | timeout 30 script -qfec "ip netns exec $ns $HR_BIN watch --interval 0.5 --rules $T/rules" \
	"$T/screen.out" >/dev/null 2>&1 || true
grep -q 'look \\x1b\[2J\\x1b\[H here \\xc2\\x9b2J c1' "$T/screen.out" ||
	fail "watch's full screen does not show the rule's words escaped: $(grep -a -m1 look "$T/screen.out" | cat -v)"
if LC_ALL=C grep -q "$(printf '\302[\200-\237]')" "$T/screen.out"; then
	fail "watch's full screen lets a C1 control through: $(grep -a -m1 look "$T/screen.out" | cat -v)"
fi
note "kernel log, tree path, rule message, watch's line and full screen: escaped"
echo ok
