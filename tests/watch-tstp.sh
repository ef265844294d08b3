#!/bin/sh
# headroom watch under job control on a real terminal (tmux): ^Z gives the
# shell its terminal back (main screen, cooked mode: the shell's prompt and
# echo work), fg takes it again (alternate screen, raw keyboard: a single q
# without Enter quits) and redraws the whole view at once; the same for
# kill -TSTP / kill -CONT from outside. Exit 0 on q.
. "$(dirname "$0")/lib.sh"
hr_require_netns
hr_need_tool tmux tmux
command -v bash >/dev/null || skip "needs bash (job control in the pane)"
ns=$(hr_ns tstp)
TM="hr$$-tmux"
tm() { tmux -L "$TM" "$@"; }
trap 'tmux -L "$TM" kill-server 2>/dev/null || true; hr_cleanup' EXIT

tm -f /dev/null new-session -d -x 100 -y 30 -s w "env PS1='hrprompt\$ ' bash --norc -i"
pane() { tm capture-pane -p -t w; }
alt() { tm display-message -p -t w '#{alternate_on}'; }
# wait_for WHAT CMD...: until CMD succeeds (at most $TENTHS tenths of a second, default 100).
wait_for() {
	local what=$1 i; shift
	for i in $(seq ${TENTHS:-100}); do
		"$@" && return 0
		sleep 0.1
	done
	pane | sed 's/^/#   /'
	fail "never: $what"
}
shows() { pane | grep -Eq -- "$1"; }
alt_is() { [ "$(alt)" = "$1" ]; }

wait_for "the prompt" shows 'hrprompt\$'
# A 10 s interval: the redraw after fg must come at once (within 1.5 s),
# not with the next refresh.
tm send-keys -t w "ip netns exec $ns $HR_BIN watch --interval 10 2>$T/watch.err" Enter
TENTHS=250 wait_for "the watch screen" shows ' refresh 1 at '
wait_for "the alternate screen" alt_is 1

# 1. ^Z: the shell gets a cooked terminal back.
tm send-keys -t w C-z
wait_for "the main screen after ^Z" alt_is 0
wait_for "the shell after ^Z" shows 'Stopped|hrprompt\$ $'
tm send-keys -t w "echo typed-\$((6*7))" Enter
wait_for "echo and a cooked line after ^Z" shows '^typed-42$'
tm send-keys -t w "stty -a | grep -o ' -\?icanon' ; stty -a | grep -o ' -\?echo '" Enter
wait_for "stty output" shows '^ (-)?icanon$'
pane | grep -q '^ icanon$' || fail "the terminal is not in canonical mode after ^Z: $(pane | grep icanon)"
pane | grep -q '^ echo *$' || fail "echo is off after ^Z: $(pane | grep echo)"
note "^Z: main screen, cooked mode"

# 2. fg: raw mode and the alternate screen again, redrawn at once.
tm send-keys -t w clear Enter
tm send-keys -t w fg Enter
wait_for "the alternate screen after fg" alt_is 1
TENTHS=15 wait_for "the view redrawn at once after fg" shows ' refresh [0-9]+ at '
note "fg: alternate screen, redrawn"

# 3. kill -TSTP / -CONT from outside.
pid=$(pgrep -f "$HR_BIN watch --interval 10" | head -1)
[ -n "$pid" ] || fail "no watch process"
kill -TSTP "$pid"
wait_for "the main screen after kill -TSTP" alt_is 0
wait_for "the shell after kill -TSTP" shows 'Stopped|hrprompt\$ $'
tm send-keys -t w "fg" Enter
wait_for "the alternate screen after fg (2)" alt_is 1
TENTHS=15 wait_for "the view redrawn at once after fg (2)" shows ' refresh [0-9]+ at '

# 4. Raw keyboard: a single q (no Enter) quits, exit 0 ($? of the job
# brought back by fg), terminal restored.
gone() { ! kill -0 "$pid" 2>/dev/null; }
tm send-keys -t w q
wait_for "watch to quit on a single q" gone
wait_for "the main screen after q" alt_is 0
tm send-keys -t w "echo watch-exit=\$?" Enter
wait_for "exit 0" shows '^watch-exit=0$'
note "q without Enter quits: raw mode was back"
echo ok
