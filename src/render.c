/* render.c: JSON and YAML renderers of the report tree, and the small text
 * helpers (tables, gauges, numbers) every text renderer shares. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "render.h"

int hr_render_json(FILE *out, const json_t *tree)
{
	if (json_dumpf(tree, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10)) < 0)
		return -EIO;
	fputc('\n', out);
	return ferror(out) ? -EIO : 0;
}

static int yaml_write_handler(void *data, unsigned char *buffer, size_t size)
{
	return fwrite(buffer, 1, size, (FILE *)data) == size;
}

/* Emits one scalar; strings that look like other types are quoted. */
static int emit_scalar(yaml_emitter_t *em, const char *s, bool plain_ok)
{
	yaml_event_t ev;

	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), plain_ok,
				     !plain_ok, plain_ok ? YAML_ANY_SCALAR_STYLE : YAML_DOUBLE_QUOTED_SCALAR_STYLE);
	return yaml_emitter_emit(em, &ev);
}

static int emit_node(yaml_emitter_t *em, const json_t *v)
{
	yaml_event_t ev;
	char buf[64];

	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *k;
		json_t *x;

		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
		if (!yaml_emitter_emit(em, &ev))
			return 0;
		json_object_foreach((json_t *)v, k, x) {
			if (!emit_scalar(em, k, true) || !emit_node(em, x))
				return 0;
		}
		yaml_mapping_end_event_initialize(&ev);
		return yaml_emitter_emit(em, &ev);
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *x;

		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
		if (!yaml_emitter_emit(em, &ev))
			return 0;
		json_array_foreach(v, i, x) {
			if (!emit_node(em, x))
				return 0;
		}
		yaml_sequence_end_event_initialize(&ev);
		return yaml_emitter_emit(em, &ev);
	}
	case JSON_STRING:
		/* Always quoted: "2" must stay a string, "on"/"no" must not become booleans. */
		return emit_scalar(em, json_string_value(v), false);
	case JSON_INTEGER:
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return emit_scalar(em, buf, true);
	case JSON_REAL:
		snprintf(buf, sizeof(buf), "%.10g", json_real_value(v));
		return emit_scalar(em, buf, true);
	case JSON_TRUE:
		return emit_scalar(em, "true", true);
	case JSON_FALSE:
		return emit_scalar(em, "false", true);
	default:
		return emit_scalar(em, "null", true);
	}
}

int hr_render_yaml(FILE *out, const json_t *tree)
{
	yaml_emitter_t em;
	yaml_event_t ev;
	int ok;

	if (!yaml_emitter_initialize(&em))
		return -ENOMEM;
	yaml_emitter_set_output(&em, yaml_write_handler, out);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_width(&em, 120);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	ok = yaml_emitter_emit(&em, &ev);
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 0);
	ok = ok && yaml_emitter_emit(&em, &ev);
	ok = ok && emit_node(&em, tree);
	yaml_document_end_event_initialize(&ev, 1);
	ok = ok && yaml_emitter_emit(&em, &ev);
	yaml_stream_end_event_initialize(&ev);
	ok = ok && yaml_emitter_emit(&em, &ev);
	yaml_emitter_delete(&em);
	return ok && !ferror(out) ? 0 : -EIO;
}

int hr_render(FILE *out, const char *format, const json_t *tree,
	      int (*text_fn)(FILE *out, const json_t *tree))
{
	if (!strcmp(format, "json"))
		return hr_render_json(out, tree);
	if (!strcmp(format, "yaml"))
		return hr_render_yaml(out, tree);
	if (text_fn)
		return text_fn(out, tree);
	return hr_render_json(out, tree);
}

int hr_render_report(FILE *out, const char *format, const json_t *tree,
		     int (*text_fn)(FILE *out, const json_t *tree))
{
	json_t *v, *x;
	const char *k;
	int r;

	if (strcmp(format, "json") && strcmp(format, "yaml") && text_fn)
		return text_fn(out, tree);
	/* schema_version first: a consumer checks it before anything else. */
	v = json_pack("{s:i}", "schema_version", HR_SCHEMA_VERSION);
	if (!v)
		return -ENOMEM;
	json_object_foreach((json_t *)tree, k, x)
		json_object_set(v, k, x);
	r = hr_render(out, format, v, text_fn);
	json_decref(v);
	return r;
}

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

void hr_render_section(FILE *out, const char *title, const char *status)
{
	fprintf(out, "=== %s%s%s ===\n\n", title, status ? ": " : "", status ? status : "");
}

static bool progress_shown;

void hr_progress(const char *fmt, ...)
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

void hr_progress_done(void)
{
	if (progress_shown)
		fputs("\r\033[K", stderr);
	progress_shown = false;
}
