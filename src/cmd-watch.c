/* cmd-watch.c: the 'watch' command: the live view for a troubled box.
 *
 * Each refresh is one audit (hr_audit_run: one probe whose counter interval
 * is the refresh interval, then the rules); watch.c reduces the reports to
 * what moved. On a terminal: a full-screen view on the alternate screen,
 * redrawn in place with plain ANSI sequences, raw keyboard (q quits), the
 * terminal restored on every way out (q, error, SIGINT, SIGTERM, SIGHUP).
 * Piped, or with --once/--count: one greppable line per refresh. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "cmd.h"
#include "fmt.h"
#include "lazy.h"
#include "netns.h"
#include "severity.h"
#include "term.h"
#include "watch.h"

#define MIN_COLS 80
#define MIN_ROWS 20

/* SGR attributes for segments. */
#define A_NONE ""
#define A_BOLD "\033[1m"
#define A_REV "\033[7m"
#define A_RED "\033[1;31m"
#define A_YELLOW "\033[1;33m"
#define A_GREEN "\033[32m"
#define A_MAGENTA "\033[1;35m"
#define A_HOT "\033[1;37;41m" /* a counter that moved */

/* ---- the frame: lines of segments cut to the terminal's width ---- */

struct screen {
	char *buf;
	size_t len, cap;
	int cols, rows;
	int row;    /* next row to draw (1-based) */
	int col;    /* visible columns used on the current row */
	bool full;  /* the current row is cut */
};

static void sbuf_put(struct screen *s, const char *p, size_t n)
{
	if (s->len + n + 1 > s->cap) {
		size_t cap = (s->cap ? s->cap : 8192);
		char *nb;

		while (cap < s->len + n + 1)
			cap *= 2;
		nb = realloc(s->buf, cap);
		if (!nb)
			return; /* the frame is cut short; the next one tries again */
		s->buf = nb;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
}

/* Starts row s->row: cursor there, line cleared. False when the screen is full. */
static bool line_begin(struct screen *s)
{
	char pos[32];
	int n;

	if (s->row > s->rows)
		return false;
	n = snprintf(pos, sizeof(pos), "\033[%d;1H\033[2K", s->row);
	sbuf_put(s, pos, (size_t)n);
	s->col = 0;
	s->full = false;
	return true;
}

static void line_end(struct screen *s)
{
	s->row++;
}

/* Appends text with an attribute, cut at the screen's width (UTF-8 aware:
 * continuation bytes take no column, and a character is never split). */
static void seg(struct screen *s, const char *attr, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void seg(struct screen *s, const char *attr, const char *fmt, ...)
{
	char raw[1024], text[4096];
	size_t i, end = 0;
	int used = s->col;
	va_list ap;

	if (s->full || s->row > s->rows)
		return;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	/* Nothing from the report reaches the terminal raw: C0 and C1
	 * controls, DEL and bytes that are not UTF-8 become \xNN (a C1 CSI,
	 * 0x9b or U+009B, is an escape sequence to many terminals). */
	hr_escape_text(text, sizeof(text), raw, strlen(raw), false);
	for (i = 0; text[i]; i++) {
		unsigned char c = (unsigned char)text[i];

		if ((c & 0xC0) == 0x80)
			continue;
		if (used == s->cols) {
			s->full = true;
			break;
		}
		used++;
		end = i + 1;
		while (text[end] && ((unsigned char)text[end] & 0xC0) == 0x80)
			end++;
	}
	if (!end)
		return;
	if (*attr)
		sbuf_put(s, attr, strlen(attr));
	for (i = 0; i < end; i++) /* a tab would move the cursor */
		if (text[i] == '\t')
			text[i] = ' ';
	sbuf_put(s, text, end);
	if (*attr)
		sbuf_put(s, "\033[0m", 4);
	s->col = used;
}

/* A whole line in one attribute. */
static void line(struct screen *s, const char *attr, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void line(struct screen *s, const char *attr, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (line_begin(s)) {
		seg(s, attr, "%s", text);
		line_end(s);
	}
}

/* ---- the command ---- */

struct watch {
	double interval;
	long count;         /* refreshes to make; 0 = until q */
	const char *netns;
	struct hr_watch m;  /* the model */
	double last_cost_s; /* probe + rules of the last refresh, without the counter interval */
	time_t last_wall;
	const char **rule_dirs;
	size_t nrule_dirs;
	bool no_default_rules;
	hr_facts *globals;  /* the initial netns's sysctls under --netns (hr_netns_globals) */
	hr_audit *audit;    /* the audit context: rules loaded once for every refresh */
	struct hr_watch_trace *trace; /* --trace: the collector, attached for the whole watch */
	struct screen scr;
};

static const char *status_attr(const char *status)
{
	if (!strcmp(status, "CRITICAL"))
		return A_RED;
	if (!strcmp(status, "WARNING"))
		return A_YELLOW;
	if (!strcmp(status, "OK"))
		return A_GREEN;
	return A_MAGENTA;
}

/* "CRITICAL" for rank 0 ... "OK" for 3, "UNKNOWN" otherwise. */
static const char *rank_name(int rank)
{
	int sev = hr_sev_of_rank(rank);

	return sev < 0 ? "UNKNOWN" : hr_sev_upper(hr_sev_names[sev]);
}

static const char *fmt_n(char *buf, size_t n, double v)
{
	if (isnan(v))
		return snprintf(buf, n, "-"), buf;
	return hr_fmt_num(buf, n, v, true);
}

/* One refresh: an audit whose probe samples the counters over the interval. */
static int refresh(struct watch *w, struct hr_err *err)
{
	json_t *report = NULL;
	double t0 = hr_now();
	int r;

	r = hr_audit_run(w->audit, &report, err);
	if (r < 0) {
		json_decref(report);
		hr_lazy_sweep(false);
		return r;
	}
	w->last_wall = time(NULL);
	hr_watch_update(&w->m, report, hr_audit_ruleset(w->audit), hr_now(), w->last_wall);
	json_decref(report);
	if (w->trace)
		hr_watch_trace_update(w->trace, &w->m);
	hr_lazy_sweep(false); /* its findings made as read borrow the rules */
	w->last_cost_s = hr_now() - t0 - w->interval;
	if (w->last_cost_s < 0)
		w->last_cost_s = 0;
	return 0;
}

/* The terminal's size (80x24 when it does not say). */
static void term_size(struct screen *s)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0) {
		s->cols = ws.ws_col;
		s->rows = ws.ws_row;
	} else {
		s->cols = 80;
		s->rows = 24;
	}
}

/* The port gauges: one row per followed destination. */
static void draw_dests(struct watch *w, struct screen *s, int max_rows)
{
	const struct hr_watch *m = &w->m;
	size_t i;

	line(s, A_BOLD, "Outbound ports per destination (%zu of %zu; limit is per destination address and port)",
	     m->ndests, m->dests_total);
	line(s, A_NONE, "  %-22s %-29s %-11s %-9s %-10s %-17s %s", "DESTINATION", "PORTS IN USE", "USED/USABLE",
	     "GROWTH/S", "NEW CONN/S", "EXHAUSTED IN", "TREND");
	for (i = 0; i < m->ndests && (int)i < max_rows; i++) {
		const struct hr_watch_dest *d = &m->dests[i];
		char g[64], used[80], a[32], b[32], gr[32], rate[32], tte[32], trend[32];

		hr_gauge(g, sizeof(g), d->usable > 0 ? d->in_use / d->usable : 0, 20);
		snprintf(used, sizeof(used), "%s/%s", fmt_n(a, sizeof(a), d->in_use), fmt_n(b, sizeof(b), d->usable));
		if (isnan(d->growth_per_s))
			snprintf(gr, sizeof(gr), "-");
		else
			snprintf(gr, sizeof(gr), "%+.1f", d->growth_per_s);
		if (isnan(d->rate_per_s))
			snprintf(rate, sizeof(rate), "-");
		else
			snprintf(rate, sizeof(rate), "%.1f", d->rate_per_s);
		if (!line_begin(s))
			return;
		seg(s, A_NONE, "  %-22s ", d->subject);
		seg(s, d->rank == 0 ? A_RED : d->rank == 1 ? A_YELLOW : A_NONE, "%-29s", g);
		seg(s, A_NONE, " %-11s %-9s %-10s ", used, gr, rate);
		seg(s, d->rank <= 1 ? A_BOLD : A_NONE, "%-17s", hr_watch_fmt_tte(tte, sizeof(tte), hr_watch_tte_at(m, d, hr_now())));
		seg(s, A_NONE, " %s", isnan(d->growth_per_s)   ? "-"
				      : isinf(d->tte_trend_s) ? "not growing"
							      : hr_watch_fmt_tte(trend, sizeof(trend), d->tte_trend_s));
		line_end(s);
	}
	if (!m->ndests)
		line(s, A_NONE, "  no destinations: no rule that watch follows (present: watch) saw one%s",
		     m->socket_source[0] ? "" : " (sockets not read)");
	line(s, A_NONE, "  GROWTH/S: change in the destination's sockets since the last refresh (%s dumps); "
			"NEW CONN/S: TIME_WAIT ages (the rule's rate); "
			"EXHAUSTED IN: the rule's estimate, counting down; TREND: free ports / GROWTH/S",
	     m->socket_source[0] ? m->socket_source : "socket");
}

/* TIME_WAIT buckets, conntrack, the fullest listen queues, moved counters. */
static void draw_tables(struct watch *w, struct screen *s, int max_listeners)
{
	const struct hr_watch *m = &w->m;
	static const char *const win[5] = {"1 s", "5 s", "10 s", "30 s", "60 s"};
	char g[64], a[32], b[32];
	size_t i;

	if (line_begin(s)) {
		seg(s, A_BOLD, "TIME_WAIT   ");
		hr_gauge(g, sizeof(g), m->tw_max > 0 ? m->tw_total / m->tw_max : 0, 20);
		seg(s, A_NONE, "%s  %s of %s buckets; born in the last", g, fmt_n(a, sizeof(a), m->tw_total),
		    fmt_n(b, sizeof(b), m->tw_max));
		for (i = 0; i < 5; i++)
			seg(s, A_NONE, "%s %s: %s", i ? "," : "", win[i], fmt_n(a, sizeof(a), m->tw_born[i]));
		line_end(s);
	}
	if (line_begin(s)) {
		seg(s, A_BOLD, "Conntrack   ");
		if (m->ct_why) {
			seg(s, A_NONE, "%s", m->ct_why);
		} else {
			hr_gauge(g, sizeof(g), m->ct_max > 0 ? m->ct_count / m->ct_max : 0, 20);
			seg(s, m->ct_max > 0 && m->ct_count >= 0.8 * m->ct_max ? A_YELLOW : A_NONE, "%s", g);
			seg(s, A_NONE, "  %s of %s entries", fmt_n(a, sizeof(a), m->ct_count), fmt_n(b, sizeof(b), m->ct_max));
		}
		line_end(s);
	}
	if (line_begin(s)) {
		seg(s, A_BOLD, "Moved since the last refresh:");
		for (i = 0; i < HR_WATCH_NCOUNTERS; i++) {
			const struct hr_watch_counter *c = &m->counters[i];
			bool moved = c->have && c->delta > 0;

			seg(s, A_NONE, "  ");
			if (!c->have)
				seg(s, A_NONE, "%s unknown (%s)", c->label,
				    i == HR_WATCH_C_CT_DROPS ? m->ct_drops_why : c->why ? c->why : "not read");
			else if (isnan(c->delta))
				seg(s, A_NONE, "%s %s", c->label, fmt_n(a, sizeof(a), c->value));
			else
				seg(s, moved ? A_HOT : A_NONE, "%s +%s (total %s)", c->label, fmt_n(a, sizeof(a), c->delta),
				    fmt_n(b, sizeof(b), c->value));
		}
		line_end(s);
	}
	line(s, A_BOLD, "Listen queues (fullest %zu)", m->nlisteners);
	for (i = 0; i < m->nlisteners && (int)i < max_listeners; i++) {
		const struct hr_watch_listener *l = &m->listeners[i];

		if (!line_begin(s))
			return;
		hr_gauge(g, sizeof(g), l->backlog > 0 ? l->queue / l->backlog : 0, 20);
		seg(s, A_NONE, "  %-40s %s  %s of %s", l->subject, isnan(l->backlog) ? "" : g, fmt_n(a, sizeof(a), l->queue),
		    isnan(l->backlog) ? "backlog unknown" : fmt_n(b, sizeof(b), l->backlog));
		line_end(s);
	}
	if (!m->nlisteners)
		line(s, A_NONE, "  no listening sockets");
}

/* Byte offset where the second row of a wrapped verdict starts: after the
 * last space that fits in cols columns (UTF-8 aware), else at cols. */
static size_t verdict_cut(const char *v, size_t cols)
{
	size_t i, used = 0, space = 0;

	for (i = 0; v[i]; i++) {
		if (((unsigned char)v[i] & 0xC0) == 0x80)
			continue;
		if (used++ == cols)
			return space ? space : i;
		if (v[i] == ' ')
			space = i + 1;
	}
	return i;
}

/* The whole screen, or a clear message when the terminal is too small. */
static void draw(struct watch *w)
{
	struct screen *s = &w->scr;
	const struct hr_watch *m = &w->m;
	char when[16] = "--:--:--";
	struct tm tm;
	size_t i;
	int left;

	s->len = 0;
	s->row = 1;
	term_size(s);
	sbuf_put(s, "\033[H", 3);
	if (s->cols < MIN_COLS || s->rows < MIN_ROWS) {
		sbuf_put(s, "\033[2J", 4);
		line(s, A_BOLD, "headroom watch: terminal too small");
		line(s, A_NONE, "%dx%d here, needs %dx%d.", s->cols, s->rows, MIN_COLS, MIN_ROWS);
		line(s, A_NONE, "Enlarge it, or q quits.");
		hr_write_all(STDOUT_FILENO, s->buf, s->len);
		return;
	}
	if (m->refreshes) {
		localtime_r(&w->last_wall, &tm);
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
	}
	{
		char head[256];
		int n = snprintf(head, sizeof(head), "headroom watch%s%s  every %g s  refresh %lu at %s  probe+rules %.0f ms",
				 w->netns ? "  netns " : "", w->netns ? w->netns : "", w->interval, m->refreshes,
				 when, w->last_cost_s * 1000);

		/* The bar spans the width, "q quits" at its right end. */
		line(s, A_REV, "%s%*s", head, s->cols - n > 0 ? s->cols - n : 0, "q quits ");
	}
	if (!m->refreshes) {
		line(s, A_NONE, "First probe: sampling the counters over %g s...", w->interval);
	} else {
		/* The verdict on up to two rows, its countdown moved to now. */
		char v[HR_WATCH_TEXT + 64];
		size_t cut = verdict_cut(hr_watch_verdict_at(m, hr_now(), v, sizeof(v)), (size_t)s->cols);

		line(s, status_attr(m->status), "%.*s", (int)cut, v);
		if (v[cut])
			line(s, status_attr(m->status), "  %s", v + cut);
		else
			line(s, A_NONE, "%s", "");
		if (m->traced) {
			char a[32], b[32];

			line(s, m->trace_failed > 0 ? A_RED : A_NONE,
			     "Traced (eBPF, %.0f s): %s new connections/s out, %s/s accepted; connect() failures: %.0f%s%s",
			     m->trace_s, fmt_n(a, sizeof(a), m->trace_new_per_s), fmt_n(b, sizeof(b), m->trace_accepted_per_s),
			     m->trace_failed, m->trace_fails[0] ? ": " : "", m->trace_fails);
		}
		/* Rows: header 3, dests 3 + n, tables 4 + listeners, findings 1 + n. */
		left = s->rows - 3 - 3 - 4 - 2 - (m->traced ? 1 : 0);
		{
			int nd = (int)m->ndests < 8 ? (int)m->ndests : 8, nl, nf;

			if (nd > left / 2)
				nd = left / 2;
			nl = (int)m->nlisteners < 3 ? (int)m->nlisteners : 3;
			draw_dests(w, s, nd);
			line(s, A_NONE, "%s", "");
			draw_tables(w, s, nl);
			line(s, A_NONE, "%s", "");
			nf = s->rows - s->row;
			line(s, A_BOLD, "Findings (%zu not ok; time = when it appeared or changed severity, bold = this refresh)",
			     m->nmarks + m->marks_dropped);
			for (i = 0; i < m->nmarks && (int)i < nf; i++) {
				const struct hr_watch_mark *k = &m->marks[i];

				if (!line_begin(s))
					break;
				seg(s, k->fresh ? A_BOLD : A_NONE, "  %s ", k->since);
				seg(s, k->rank == 0 ? A_RED : k->rank == 1 ? A_YELLOW : A_NONE, "%-8s", rank_name(k->rank));
				seg(s, k->fresh ? A_BOLD : A_NONE, " %s%s%s  %s", k->rule, k->subject[0] ? " " : "",
				    k->subject, k->message);
				line_end(s);
			}
		}
	}
	sbuf_put(s, "\033[J", 3); /* clear whatever the previous frame left below */
	hr_write_all(STDOUT_FILENO, s->buf, s->len);
}

/* The probing side of the full-screen mode: a worker thread refreshes a
 * private model and hands each new frame over, so the keyboard and resizes
 * are served at once, not only between probes. */
struct worker {
	pthread_mutex_t mu;
	struct watch *shown; /* the model drawn (under mu) */
	struct watch *mine;  /* the worker's own */
	int notify[2];       /* a byte per new frame, or per error */
	int error;           /* -errno of a failed refresh (under mu) */
	bool quit;           /* q was pressed: shown is freed, touch nothing of it (under mu) */
	struct hr_err err;
};

/* Refreshes until a probe fails; each frame is copied to the shown model. */
static void *worker_main(void *arg)
{
	struct worker *k = arg;

	for (;;) {
		struct hr_err err = {0};
		int r = refresh(k->mine, &err);
		ssize_t n;

		pthread_mutex_lock(&k->mu);
		if (k->quit) {
			pthread_mutex_unlock(&k->mu);
			return NULL;
		}
		if (r < 0) {
			k->error = r;
			k->err = err;
		} else {
			k->shown->m = k->mine->m;
			k->shown->last_cost_s = k->mine->last_cost_s;
			k->shown->last_wall = k->mine->last_wall;
		}
		pthread_mutex_unlock(&k->mu);
		n = write(k->notify[1], "x", 1);
		(void)n;
		if (r < 0)
			return NULL;
	}
}

/* The full-screen loop: draw on every new frame and every resize; q quits.
 * On q the process ends with the worker still in a probe: nothing to undo,
 * but the caller frees w, so the worker is told (quit) never to copy a
 * frame into it again; it keeps only k and its own model. */
static int run_screen(struct watch *w)
{
	struct worker *k = calloc(1, sizeof(*k));
	pthread_t tid;
	sigset_t winch, old;
	int r;

	if (!k || pipe(k->notify) < 0) {
		fprintf(stderr, "headroom watch: %s\n", hr_strerror(k ? -errno : -ENOMEM));
		free(k);
		return HR_AUDIT_UNKNOWN;
	}
	k->shown = w;
	k->mine = malloc(sizeof(*k->mine));
	if (!k->mine) {
		fprintf(stderr, "headroom watch: out of memory\n");
		return HR_AUDIT_UNKNOWN;
	}
	*k->mine = *w;
	k->mine->scr = (struct screen){0};
	/* The worker's alone now: w is freed on q while the worker may probe
	 * (the collector's links then close as the process ends). */
	w->globals = NULL;
	w->audit = NULL;
	w->trace = NULL;
	pthread_mutex_init(&k->mu, NULL);
	r = hr_term_enter();
	if (r < 0) {
		fprintf(stderr, "headroom watch: cannot set up the terminal: %s\n", hr_strerror(r));
		return HR_AUDIT_UNKNOWN;
	}
	draw(w);
	/* Resizes, ^Z and fg interrupt the main thread's poll() (its handlers
	 * give the terminal back and take it again), never the worker's probe. */
	sigemptyset(&winch);
	sigaddset(&winch, SIGWINCH);
	sigaddset(&winch, SIGTSTP);
	sigaddset(&winch, SIGCONT);
	pthread_sigmask(SIG_BLOCK, &winch, &old);
	r = pthread_create(&tid, NULL, worker_main, k);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r) {
		hr_term_restore();
		fprintf(stderr, "headroom watch: cannot start the probe thread: %s\n", hr_strerror(-r));
		return HR_AUDIT_UNKNOWN;
	}
	for (;;) {
		struct pollfd p[2] = {{.fd = STDIN_FILENO, .events = POLLIN}, {.fd = k->notify[0], .events = POLLIN}};
		bool redraw, down;
		int pr;

		/* A time to exhaustion on screen counts down between refreshes. */
		pthread_mutex_lock(&k->mu);
		down = hr_watch_counting(&w->m, hr_now());
		pthread_mutex_unlock(&k->mu);
		pr = poll(p, 2, down ? 100 : -1);
		redraw = pr == 0;
		if (pr < 0 && errno != EINTR) {
			r = -errno;
			hr_term_restore();
			fprintf(stderr, "headroom watch: poll: %s\n", hr_strerror(r));
			return HR_AUDIT_UNKNOWN;
		}
		if (hr_term_key_quit()) {
			pthread_mutex_lock(&k->mu);
			k->quit = true;
			pthread_mutex_unlock(&k->mu);
			hr_term_restore();
			return 0;
		}
		if (p[1].revents & POLLIN) {
			char buf[64];
			ssize_t n = read(k->notify[0], buf, sizeof(buf));

			(void)n;
			redraw = true;
		}
		if (hr_term_take_winch())
			redraw = true;
		if (!redraw)
			continue;
		pthread_mutex_lock(&k->mu);
		if (k->error) {
			pthread_mutex_unlock(&k->mu);
			hr_term_restore();
			fprintf(stderr, "headroom watch: %s\n", k->err.msg[0] ? k->err.msg : hr_strerror(k->error));
			return HR_AUDIT_UNKNOWN;
		}
		draw(w);
		pthread_mutex_unlock(&k->mu);
	}
}

/* Line mode: one line per refresh, --count of them (0: until killed). */
static int run_lines(struct watch *w)
{
	struct hr_err err = {0};
	char buf[2048];
	long i;
	int r;

	for (i = 0; !w->count || i < w->count; i++) {
		r = refresh(w, &err);
		if (r < 0) {
			fprintf(stderr, "headroom watch: %s\n", err.msg[0] ? err.msg : hr_strerror(r));
			return HR_AUDIT_UNKNOWN;
		}
		/* The top finding's words come from rules and trees: escaped. */
		hr_watch_line(&w->m, w->last_wall, buf, sizeof(buf));
		hr_put_escaped(stdout, buf, strlen(buf), false);
		putchar('\n');
		if (fflush(stdout) != 0) {
			fprintf(stderr, "headroom watch: cannot write: %s\n", hr_strerror(-errno));
			return HR_AUDIT_UNKNOWN;
		}
	}
	return w->m.exit_code;
}

static int watch_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{"interval", required_argument, NULL, 'i'},
		{"netns", required_argument, NULL, 'n'},
		{"count", required_argument, NULL, 'c'},
		{"once", no_argument, NULL, '1'},
		{"top", required_argument, NULL, 't'},
		{"rules", required_argument, NULL, 'R'},
		{"no-default-rules", no_argument, NULL, 'N'},
		{"assume-file", required_argument, NULL, 'F'},
		{"trust-inputs", no_argument, NULL, HR_OPT_TRUST_INPUTS},
		{"trace", no_argument, NULL, 'T'},
		{NULL, 0, NULL, 0},
	};
	bool trace = false;
	struct watch *w = calloc(1, sizeof(*w));
	struct hr_audit_opts files = {0}; /* --assume-file */
	struct hr_err err = {0};
	size_t top = HR_WATCH_DEFAULT_DESTS;
	bool lines;
	int c, code = HR_AUDIT_UNKNOWN;

	if (!w) {
		fprintf(stderr, "headroom watch: out of memory\n");
		return HR_AUDIT_UNKNOWN;
	}
	w->interval = 1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "i:n:c:1t:R:N", opts, NULL)) != -1) {
		char *end;
		long v;

		switch (c) {
		case HR_OPT_TRUST_INPUTS:
			hr_trust_inputs(true);
			break;
		case 'i':
			if (!hr_cmd_parse_interval("watch", optarg, &w->interval))
				goto out;
			if (w->interval < 0.01) {
				fprintf(stderr, "headroom watch: --interval must be at least 0.01 s (got '%s')\n", optarg);
				goto out;
			}
			break;
		case 'n':
			w->netns = optarg;
			break;
		case 'c':
		case 't':
			v = strtol(optarg, &end, 10);
			if (end == optarg || *end || v < 1 || (c == 't' && v > HR_WATCH_MAX_DESTS) ||
			    (c == 'c' && v > 100000000)) {
				fprintf(stderr, "headroom watch: --%s wants a whole number from 1 to %d (got '%s')\n",
					c == 'c' ? "count" : "top", c == 'c' ? 100000000 : HR_WATCH_MAX_DESTS, optarg);
				goto out;
			}
			if (c == 'c')
				w->count = v;
			else
				top = (size_t)v;
			break;
		case '1':
			w->count = 1;
			break;
		case 'R':
			if (!hr_cmd_add_rules_dir(optarg))
				goto out;
			break;
		case 'N':
			w->no_default_rules = true;
			break;
		case 'T':
			trace = true;
			break;
		case 'F':
			if (!hr_cmd_sysctld_option("watch", c, optarg, &files))
				goto out;
			break;
		default:
			hr_cmd_usage(stderr, &hr_cmd_watch);
			goto out;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "headroom watch: unexpected argument '%s'\n", argv[optind]);
		goto out;
	}
	w->rule_dirs = arg_rules_dirs;
	w->nrule_dirs = (size_t)arg_nrules_dirs;
	if (w->netns) {
		/* As audit --netns: the global keys come from the initial
		 * namespace (a child's /proc/sys does not show them). */
		struct hr_netns_list l = {0};
		int r = hr_netns_add_name(&l, w->netns, &err);

		if (r == 0)
			r = hr_netns_globals(&l, &w->globals, &err);
		hr_netns_list_clear(&l);
		if (r < 0 || hr_netns_enter_name(w->netns, &err) < 0) {
			fprintf(stderr, "headroom watch: %s\n", err.msg);
			goto out;
		}
	}
	{
		struct hr_audit_opts o = {.root = "",
					  .interval_s = w->interval,
					  .rule_dirs = w->rule_dirs,
					  .nrule_dirs = w->nrule_dirs,
					  .no_default_rules = w->no_default_rules,
					  .globals = w->globals,
					  .assume_files = files.assume_files,
					  .nassume_files = files.nassume_files,
					  /* Each refresh holds the worst findings; watch reads
					   * the others made one at a time (watch.c, lazy.h).
					   * The lines show findings and three sysctls the
					   * probe always reads: only the rules' keys are read
					   * (audit.h), the drift's others live. */
					  .hold_findings = HR_WATCH_MAX_MARKS,
					  .lazy_findings = true,
					  .sysctls_referenced = true,
					  .declare_fn = hr_cmd_drift_declare_partial};

		if (hr_audit_new(&o, &w->audit, &err) < 0) {
			fprintf(stderr, "headroom watch: %s\n", err.msg);
			goto out;
		}
	}
	/* --trace: attached once, here (in the watched namespace), for every refresh. */
	if (trace && hr_watch_trace_open(&w->trace, &err) < 0) {
		fprintf(stderr, "headroom watch: not traced: %s\n", err.msg);
		goto out;
	}
	hr_watch_init(&w->m, top);
	lines = w->count || !hr_isatty(STDOUT_FILENO) || !hr_isatty(STDIN_FILENO);
	code = lines ? run_lines(w) : run_screen(w);
out:
	hr_watch_trace_close(w->trace);
	hr_lazy_sweep(false);
	hr_audit_free(w->audit);
	hr_facts_free(w->globals);
	free(w->scr.buf);
	free(w);
	return code;
}

const struct hr_cmd hr_cmd_watch = {
	.name = "watch",
	.usage = "[--interval S] [--netns NAME] [--once | --count N] [--top N] [--trace] [--rules DIR]... "
		 "[--assume-file FILE]...",
	.summary = "Live view: the audit redrawn every S seconds, with what moved since the last refresh.",
	.help = "  --interval S        seconds between refreshes, also the counter interval (default 1, min 0.01)\n"
		"  --netns NAME        watch the network namespace NAME (ip netns) instead of this one\n"
		"  --once              one refresh, printed as one line\n"
		"  --count N           N refreshes, one line each, then exit\n"
		"  --top N             destinations followed between refreshes (default 8, at most 32)\n"
		"  --trace             eBPF evidence at every refresh (the collector attached once, for the\n"
		"                      whole watch; headroom-trace(8)): new connections/s, connect() failures\n"
		"                      per destination and errno since the previous refresh\n"
		"  --rules DIR         also load the rules in DIR (repeatable)\n"
		"  --trust-inputs      as root, use rule/profile/workload/persist files or directories\n"
		"                      another user could have written (refused otherwise)\n"
		"  --no-default-rules  do not load the shipped rules\n"
		"  --assume-file FILE  watch as if the sysctl.d FILE were applied (repeatable; headroom-audit(8))\n"
		"On a terminal: full screen, q quits (exit 0). Piped, --once or --count: one line per refresh;\n"
		"exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN from the last refresh.\n",
	.exec = watch_exec,
};
