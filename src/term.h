/* term.h: the terminal of the full-screen watch (see term.c). */
#ifndef HR_TERM_H
#define HR_TERM_H

#include <stdbool.h>

/* Raw keyboard (no echo, no line buffering, reads never block) and the
 * alternate screen; restored at exit and on SIGINT/TERM/HUP/QUIT; on
 * SIGTSTP restored before the process stops, and on SIGCONT set again with
 * a full redraw due (hr_term_take_winch). 0 or -errno. */
int hr_term_enter(void);
/* Leaves the alternate screen and restores the saved modes (async-signal-safe). */
void hr_term_restore(void);
/* Reads pending keys; true when q (or Q) was pressed. */
bool hr_term_key_quit(void);
/* True once per terminal resize (SIGWINCH) or continue (SIGCONT) since the
 * last call: the caller redraws everything. */
bool hr_term_take_winch(void);

#endif
