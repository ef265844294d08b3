/* render.c: JSON and YAML renderers of the report tree (every key of it),
 * and the dispatch between them and a command's text renderer. The text
 * helpers (numbers, gauges, tables) are in fmt.c. May call: libyaml, jansson. */
#include "config.h"

#include <errno.h>
#include <string.h>
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
