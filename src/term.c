/* term.c: the terminal of the full-screen watch: raw keyboard and the
 * alternate screen, restored on exit and on fatal signals, given back on
 * SIGTSTP and taken again on SIGCONT; resizes (and a continue) noted for
 * the drawing loop's full redraw. Owns: hr_term_*. May call: libc only. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

#include "headroom.h"
#include "term.h"

/* Alternate screen + hidden cursor, and back. */
#define ENTER_SEQ "\033[?1049h\033[?25l\033[H\033[2J"
#define LEAVE_SEQ "\033[0m\033[?25h\033[?1049l"

static struct termios saved_tio, raw_tio;
static volatile sig_atomic_t term_active, got_winch, suspended;

/* Leaves the alternate screen and restores the saved terminal modes.
 * Async-signal-safe (write, tcsetattr): the fatal-signal handler calls it. */
void hr_term_restore(void)
{
	ssize_t w;

	if (!term_active)
		return;
	term_active = 0;
	w = write(STDOUT_FILENO, LEAVE_SEQ, sizeof(LEAVE_SEQ) - 1);
	(void)w;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
}

/* SIGINT, SIGTERM, SIGHUP, SIGQUIT: restore the screen, then die of the signal. */
static void on_fatal(int sig)
{
	hr_term_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void on_winch(int sig)
{
	(void)sig;
	got_winch = 1;
}

/* SIGTSTP (^Z, kill -TSTP): give the shell its terminal back (main screen,
 * the saved modes), then stop as the default action would. */
static void on_tstp(int sig)
{
	sigset_t s;
	int saved = errno;

	if (term_active) {
		hr_term_restore();
		suspended = 1;
	}
	signal(sig, SIG_DFL);
	sigemptyset(&s);
	sigaddset(&s, sig);
	sigprocmask(SIG_UNBLOCK, &s, NULL);
	raise(sig); /* stops here; SIGCONT goes on below */
	signal(sig, on_tstp);
	errno = saved;
}

/* SIGCONT (fg, bg, kill -CONT; also after SIGSTOP, which cannot be
 * caught): raw keyboard and the alternate screen again, and a full redraw
 * (as after a resize: the shell drew over the screen meanwhile). */
static void on_cont(int sig)
{
	ssize_t w;
	int saved = errno;

	(void)sig;
	if (suspended || term_active) {
		suspended = 0;
		term_active = 1;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw_tio);
		w = write(STDOUT_FILENO, ENTER_SEQ, sizeof(ENTER_SEQ) - 1);
		(void)w;
		got_winch = 1;
	}
	errno = saved;
}

/* Raw keyboard (no echo, no line buffering, reads never block) and the alternate screen. */
int hr_term_enter(void)
{
	struct termios raw;
	struct sigaction sa = {0};
	static const int fatal[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
	size_t i;

	if (tcgetattr(STDIN_FILENO, &saved_tio) < 0)
		return -errno;
	sa.sa_handler = on_fatal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < HR_ARRAY_SIZE(fatal); i++)
		sigaction(fatal[i], &sa, NULL);
	sa.sa_handler = on_winch;
	sigaction(SIGWINCH, &sa, NULL);
	sa.sa_flags = SA_RESTART;
	sa.sa_handler = on_tstp;
	sigaction(SIGTSTP, &sa, NULL);
	sa.sa_handler = on_cont;
	sigaction(SIGCONT, &sa, NULL);
	raw = saved_tio;
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO | IEXTEN);
	raw.c_iflag &= ~(tcflag_t)(IXON | ICRNL);
	raw.c_cc[VMIN] = 0;
	raw.c_cc[VTIME] = 0;
	raw_tio = raw;
	term_active = 1;
	atexit(hr_term_restore);
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) < 0) {
		int e = -errno;

		term_active = 0;
		return e;
	}
	if (hr_write_all(STDOUT_FILENO, ENTER_SEQ, sizeof(ENTER_SEQ) - 1) < 0) {
		hr_term_restore();
		return -EIO;
	}
	return 0;
}

bool hr_term_take_winch(void)
{
	if (!got_winch)
		return false;
	got_winch = 0;
	return true;
}

/* Reads pending keys; true when q (or Q) was pressed. */
bool hr_term_key_quit(void)
{
	char c[64];
	ssize_t n, i;

	while ((n = read(STDIN_FILENO, c, sizeof(c))) > 0)
		for (i = 0; i < n; i++)
			if (c[i] == 'q' || c[i] == 'Q')
				return true;
	return false;
}

