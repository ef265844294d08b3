/* render.c: JSON and YAML renderers of the report tree (every key of it),
 * and the dispatch between them and a command's text renderer. The text
 * helpers (numbers, gauges, tables) are in fmt.c. May call: libyaml, jansson. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "lazy.h"
#include "render.h"

#define JSON_FLAGS (JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10))

/* Where jansson's text goes: out, each line after the first indented by
 * pad spaces more (a string never holds a raw newline: jansson escapes it),
 * so a value dumped on its own lines up where the tree puts it. */
struct jout {
	FILE *out;
	int pad;
};

static int jout_write(const char *buf, size_t size, void *data)
{
	const struct jout *j = data;
	const char *nl;

	while (size && (nl = memchr(buf, '\n', size))) {
		size_t k = (size_t)(nl - buf) + 1;

		if (fwrite(buf, 1, k, j->out) != k || fprintf(j->out, "%*s", j->pad, "") < 0)
			return -1;
		buf += k;
		size -= k;
	}
	return size && fwrite(buf, 1, size, j->out) != size ? -1 : 0;
}

/* True when v is or holds a lazy array (lazy.h). */
static bool holds_lazy(const json_t *v)
{
	size_t n, i;
	hr_lazy_item_fn fn;
	const void *ctx;
	const char *k;
	json_t *x;

	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, x)
			if (holds_lazy(x))
				return true;
	} else if (json_is_array(v)) {
		if (hr_lazy_find(v, &n, &fn, &ctx))
			return true;
		json_array_foreach(v, i, x)
			if (json_is_object(x) || json_is_array(x) ? holds_lazy(x) : false)
				return true;
	}
	return false;
}

/* A newline and the indentation of depth. */
static int newline(FILE *out, int depth)
{
	return fprintf(out, "\n%*s", 2 * depth, "") < 0 ? -1 : 0;
}

/* Writes v at depth exactly as json_dumpf(JSON_FLAGS) writes it in a tree,
 * jansson writing every key, scalar and subtree without a lazy array; the
 * objects and arrays around a lazy array are framed here, and its items
 * made, written and freed one at a time. 0 or -1. */
static int write_json(FILE *out, const json_t *v, int depth)
{
	struct jout j = {out, 2 * depth};
	size_t n, i;
	hr_lazy_item_fn fn;
	const void *ctx;
	bool lazy = json_is_array(v) && hr_lazy_find(v, &n, &fn, &ctx);

	if (!lazy && !holds_lazy(v))
		return json_dump_callback(v, jout_write, &j, JSON_FLAGS | JSON_ENCODE_ANY);
	if (json_is_object(v)) {
		const char *k;
		json_t *x;
		bool first = true;

		if (fputc('{', out) == EOF)
			return -1;
		json_object_foreach((json_t *)v, k, x) {
			json_t *key = json_string(k);
			int r = !key || (!first && fputc(',', out) == EOF) || newline(out, depth + 1) ||
				json_dump_callback(key, jout_write, &j, JSON_FLAGS | JSON_ENCODE_ANY) ||
				fputs(": ", out) == EOF || write_json(out, x, depth + 1);

			json_decref(key);
			if (r)
				return -1;
			first = false;
		}
		if (!first && newline(out, depth))
			return -1;
		return fputc('}', out) == EOF ? -1 : 0;
	}
	if (!lazy)
		n = json_array_size(v);
	if (fputc('[', out) == EOF)
		return -1;
	for (i = 0; i < n; i++) {
		json_t *x = lazy ? fn(ctx, i) : json_incref(json_array_get(v, i));
		int r = !x || (i && fputc(',', out) == EOF) || newline(out, depth + 1) || write_json(out, x, depth + 1);

		json_decref(x);
		if (r)
			return -1;
	}
	if (n && newline(out, depth))
		return -1;
	return fputc(']', out) == EOF ? -1 : 0;
}

int hr_render_json(FILE *out, const json_t *tree)
{
	if (write_json(out, tree, 0) < 0)
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
		size_t i, n;
		hr_lazy_item_fn fn;
		const void *ctx;
		bool lazy = hr_lazy_find(v, &n, &fn, &ctx);

		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
		if (!yaml_emitter_emit(em, &ev))
			return 0;
		if (!lazy)
			n = json_array_size(v);
		for (i = 0; i < n; i++) {
			/* A lazy array's items are made one at a time (lazy.h). */
			json_t *x = lazy ? fn(ctx, i) : json_incref(json_array_get(v, i));
			int ok = x && emit_node(em, x);

			json_decref(x);
			if (!ok)
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

	if (strcmp(format, "json") && strcmp(format, "yaml") && text_fn) {
		/* Text for people: everything in it (paths and values of a tree,
		 * rule messages, kernel log lines) written escaped. */
		char *buf = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&buf, &len);

		if (!m)
			return -ENOMEM;
		r = text_fn(m, tree);
		if (fclose(m) != 0 && r >= 0)
			r = -ENOMEM;
		if (r >= 0)
			r = hr_put_escaped(out, buf, len, true);
		free(buf);
		return r;
	}
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
