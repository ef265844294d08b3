#!/bin/sh
# headroom watch on a real terminal (tmux, 120x40) inside a namespace whose
# ports are being exhausted: the screen (alternate screen, raw keyboard)
# shows the destination, a gauge of ports in use that rises between two
# captures and a time to exhaustion that falls, also between refreshes (it
# counts down with the clock, table and verdict); a too-small terminal gets a
# clear message and a resize back redraws the view; q quits with exit 0 and
# the terminal restored (main screen, cooked mode, the shell prompt back);
# SIGTERM restores it too.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab-lib.sh"
. "$(dirname "$0")/watch-lib.sh"

hr_need_tool tmux tmux
lab_requires tcpgen audit
TM="hr$$-tmux"
tm() { tmux -L "$TM" "$@"; }
trap 'tmux -L "$TM" kill-server 2>/dev/null || true; hr_cleanup' EXIT

watch_load 40
tm -f /dev/null new-session -d -x 120 -y 40 -s w "env PS1='hrprompt\$ ' sh"
tm set-option -g window-size manual 2>/dev/null || true
pane() { tm capture-pane -p -t w; }
alt() { tm display-message -p -t w '#{alternate_on}'; }
# Waits (at most SECS, default 15) until the pane shows a line matching REGEX.
wait_pane() {
	local i
	for i in $(seq $(( ${2:-15} * 10 ))); do
		pane | grep -Eq -- "$1" && return 0
		sleep 0.1
	done
	pane | sed 's/^/#   /'
	fail "the pane never showed '$1' (within ${2:-15} s)"
}
# The refresh number in the title bar.
refresh_no() { pane | sed -n 's/.* refresh \([0-9]*\) at .*/\1/p' | head -n 1; }
# "IN_USE TTE" from the destination's gauge row.
dest_row() {
	pane | awk -v d="$WATCH_DEST" '$1 == d && /\[/ {
		for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\/[0-9]+$/) { split($i, u, "/"); n = u[1]; tte = $(i + 3) }
		print n, tte; exit }'
}

wait_pane 'hrprompt\$'
# A 3 s interval: q, and a resize, must act before the next refresh.
tm send-keys -t w "$HR_BIN watch --netns $LAB_C --interval 3 2>$T/watch.err; echo watch-exit=\$?" Enter
wait_pane ' refresh 2 at '
assert_eq "$(alt)" 1 "alternate screen while watching"
pane >"$T/screen1"
sed 's/^/#   /' "$T/screen1"
grep -q "$WATCH_DEST" "$T/screen1" || fail "the screen does not show the destination $WATCH_DEST"
grep -q '^CRITICAL: connections to' "$T/screen1" || fail "no CRITICAL verdict line"
grep -Eq '^  [0-9]{2}:[0-9]{2}:[0-9]{2} CRITICAL +ports.timewait-exhaustion' "$T/screen1" ||
	fail "the port finding is not marked with the time it appeared"
set -- $(dest_row)
u1=$1 tte1=$2
r1=$(refresh_no)
# Two refreshes later.
wait_pane " refresh $((r1 + 2)) at "
pane >"$T/screen2"
set -- $(dest_row)
u2=$1 tte2=$2
note "ports in use $u1 -> $u2, exhausted in $tte1 s -> $tte2 s (refresh $r1 -> $(refresh_no))"
[ -n "$u1" ] && [ -n "$u2" ] && [ "$u2" -gt "$u1" ] || fail "ports in use did not rise: '$u1' then '$u2'"
awk -v a="$tte1" -v b="$tte2" 'BEGIN { exit !(a + 0 == a && b + 0 == b && b < a) }' ||
	fail "time to exhaustion did not fall: '$tte1' then '$tte2'"
g1=$(grep -F "$WATCH_DEST" "$T/screen1" | grep -o '\[[#-]*\]' | tr -cd '#' | wc -c)
g2=$(grep -F "$WATCH_DEST" "$T/screen2" | grep -o '\[[#-]*\]' | tr -cd '#' | wc -c)
[ "$g2" -ge "$g1" ] || fail "the gauge fell: $g1 then $g2 marks"

# Between refreshes the countdown moves with the clock: the time to
# exhaustion in the table and in the verdict fall by the time between two
# captures of the same refresh (the interval is 3 s).
verdict_tte() { pane | sed -n 's/.*run out of local ports in \([0-9.]*\) s.*/\1/p' | head -n 1; }
r3=$(( $(refresh_no) + 1 ))
wait_pane " refresh $r3 at "
ta=$(date +%s.%N); set -- $(dest_row); ca=$2; va=$(verdict_tte)
sleep 1.5
tb=$(date +%s.%N); set -- $(dest_row); cb=$2; vb=$(verdict_tte)
assert_eq "$(refresh_no)" "$r3" "refresh between the two captures"
note "within refresh $r3, $(awk -v a="$ta" -v b="$tb" 'BEGIN { printf "%.2f", b - a }') s apart: exhausted in $ca s -> $cb s, the verdict's $va s -> $vb s"
for pair in "$ca $cb" "$va $vb"; do
	set -- $pair
	awk -v a="$1" -v b="$2" -v ta="$ta" -v tb="$tb" 'BEGIN { d = (a - b) - (tb - ta); exit !(a + 0 == a && b + 0 == b && d < 0.4 && d > -0.4) }' ||
		fail "the countdown did not move with the clock between refreshes: '$1' then '$2' s, $(awk -v a="$ta" -v b="$tb" 'BEGIN { print b - a }') s apart"
done

# Too small: a clear message, then the view again after a resize back
# (SIGWINCH), each within a second (the interval is 3 s).
tm resize-window -t w -x 60 -y 15
wait_pane 'terminal too small' 1
pane | grep -q '60x15 here, needs 80x20' || fail "the too-small message does not say the sizes"
tm resize-window -t w -x 120 -y 40
wait_pane 'Outbound ports per destination' 1

# q: exit 0, main screen, cooked mode, the prompt back. (Within 5 s: a
# plain build takes well under one; LeakSanitizer's exit check is slower.
# wait_pane waits for the status itself, not the echoed command line.)
q0=$(date +%s.%N)
tm send-keys -t w q
wait_pane 'watch-exit=[0-9]' 5
note "q to the shell's prompt: $(awk -v a="$q0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') s"
pane | grep -q 'watch-exit=0' || fail "q did not exit 0: $(pane | grep watch-exit=) $(cat "$T/watch.err")"
assert_eq "$(alt)" 0 "alternate screen after q"
pane | grep -q 'Outbound ports per destination' && fail "the watch screen is still shown after q"
tm send-keys -t w "stty -a | tr ' ' '\\n' | grep -Ex -- '-?(icanon|echo)' | tr '\\n' ' '; echo" Enter
wait_pane '^(-?icanon|-?echo) '
pane | grep -Eq '^(icanon echo|echo icanon) ?$' || fail "terminal not back in cooked mode: $(pane | grep -E 'icanon|echo' | tail -n 1)"
wait_pane 'hrprompt\$ ?$'

# SIGTERM: the screen and the modes are restored before it dies.
tm send-keys -t w "clear; sh -c 'echo \$\$ >$T/wpid; exec $HR_BIN watch --netns $LAB_C'; echo watch-exit=\$?" Enter
wait_pane ' refresh 1 at '
assert_eq "$(alt)" 1 "alternate screen while watching (2)"
kill -TERM "$(cat "$T/wpid")"
wait_pane 'watch-exit=143'
assert_eq "$(alt)" 0 "alternate screen after SIGTERM"
tm send-keys -t w "stty -a | tr ' ' '\\n' | grep -Ex -- '-?(icanon|echo)' | tr '\\n' ' '; echo" Enter
wait_pane '^(-?icanon|-?echo) '
pane | grep -Eq '^(icanon echo|echo icanon) ?$' || fail "terminal not restored after SIGTERM: $(pane | grep -E 'icanon|echo' | tail -n 1)"
echo ok
