/* fmt.c: text for people, shared by every text renderer and message:
 * numbers and durations, gauges, aligned tables, section titles, and the
 * progress line on a terminal (with the printer a command gives the probe).
 * May call: libc only. */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fmt.h"

char *hr_gauge(char *buf, size_t n, double ratio, int width)
{
	int fill, i;
	size_t o = 0;

	if (!isfinite(ratio) || ratio < 0)
		ratio = 0;
	fill = (int)lround((ratio > 1 ? 1 : ratio) * width);
	if (n < (size_t)width + 16)
		return strcpy(buf, "");
	buf[o++] = '[';
	for (i = 0; i < width; i++)
		buf[o++] = i < fill ? '#' : '-';
	buf[o++] = ']';
	snprintf(buf + o, n - o, " %5.1f%%", ratio * 100);
	return buf;
}

char *hr_fmt_num(char *buf, size_t n, double v, bool group)
{
	char tmp[64];

	if (!isfinite(v)) {
		snprintf(buf, n, "%s", isnan(v) ? "unknown" : "infinite");
		return buf;
	}
	if (v == floor(v) && fabs(v) < 1e18)
		snprintf(tmp, sizeof(tmp), "%.0f", v);
	else if (fabs(v) >= 100)
		snprintf(tmp, sizeof(tmp), "%.1f", v);
	else
		snprintf(tmp, sizeof(tmp), "%.3g", v);
	if (group && v == floor(v) && fabs(v) >= 10000 && !strpbrk(tmp, ".e")) {
		size_t len = strlen(tmp), lead = tmp[0] == '-' ? 1 : 0, digits = len - lead, o = 0, i;

		for (i = 0; i < len && o + 2 < n; i++) {
			if (i > lead && (len - i) % 3 == 0 && digits > 3)
				buf[o++] = ',';
			buf[o++] = tmp[i];
		}
		buf[o] = '\0';
		return buf;
	}
	snprintf(buf, n, "%s", tmp);
	return buf;
}

char *hr_fmt_duration(char *buf, size_t n, double s)
{
	char a[32];

	if (!isfinite(s)) {
		snprintf(buf, n, "never");
		return buf;
	}
	hr_fmt_num(a, sizeof(a), round(s * 10) / 10, false);
	if (s < 120)
		snprintf(buf, n, "%s s", a);
	else if (s < 7200) {
		char rest[32];

		/* The remainder keeps the figure's precision: 924.6 s is 15 min 24.6 s. */
		hr_fmt_num(rest, sizeof(rest), round(fmod(s, 60) * 10) / 10, false);
		snprintf(buf, n, "%s s (%d min %s s)", a, (int)(s / 60), rest);
	}
	else
		snprintf(buf, n, "%s s (%.1f h)", a, s / 3600);
	return buf;
}

struct hr_table {
	int ncols;
	size_t nrows, cap;
	char **cells;
};

struct hr_table *hr_table_new(int ncols)
{
	struct hr_table *t = calloc(1, sizeof(*t));

	if (t)
		t->ncols = ncols;
	return t;
}

void hr_table_row(struct hr_table *t, const char *const *cells)
{
	int c;

	if (!t)
		return;
	if (t->nrows == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 16;
		char **n = realloc(t->cells, ncap * (size_t)t->ncols * sizeof(*n));

		if (!n)
			return;
		t->cells = n;
		t->cap = ncap;
	}
	for (c = 0; c < t->ncols; c++)
		t->cells[t->nrows * (size_t)t->ncols + (size_t)c] = strdup(cells[c] ? cells[c] : "");
	t->nrows++;
}

/* Display width of a UTF-8 string (counts code points, not bytes). */
static int utf8_width(const char *s)
{
	int w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			w++;
	return w;
}

void hr_table_print(FILE *out, const struct hr_table *t, const char *indent, unsigned right_mask)
{
	int widths[32] = {0}, c;
	size_t r;

	if (!t)
		return;
	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols && c < 32; c++) {
			int w = utf8_width(t->cells[r * (size_t)t->ncols + (size_t)c]);

			if (w > widths[c])
				widths[c] = w;
		}
	for (r = 0; r < t->nrows; r++) {
		fputs(indent ? indent : "", out);
		for (c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * (size_t)t->ncols + (size_t)c];
			int pad = widths[c] - utf8_width(s);
			bool right = right_mask & (1u << c), last = c == t->ncols - 1;

			if (right)
				fprintf(out, "%*s", pad, "");
			fputs(s, out);
			if (!right && !last)
				fprintf(out, "%*s", pad, "");
			if (!last)
				fputs("  ", out);
		}
		fputc('\n', out);
	}
}

void hr_table_free(struct hr_table *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->nrows * (size_t)t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

void hr_fmt_section(FILE *out, const char *title, const char *status)
{
	fprintf(out, "=== %s%s%s ===\n\n", title, status ? ": " : "", status ? status : "");
}

static bool progress_shown;

/* Rewrites the progress line on a terminal (stderr); nothing otherwise. */
static void __attribute__((format(printf, 1, 2))) progress(const char *fmt, ...)
{
	va_list ap;

	if (!isatty(STDERR_FILENO))
		return;
	fputs("\r\033[K", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fflush(stderr);
	progress_shown = true;
}

/* Clears the progress line if one is shown. */
static void progress_done(void)
{
	if (progress_shown)
		fputs("\r\033[K", stderr);
	progress_shown = false;
}

void hr_fmt_progress_sample(void *ud, double left_s)
{
	(void)ud;
	if (left_s > 0)
		progress("headroom: second counter sample in %.1f s", left_s);
	else
		progress_done();
}
