/* bounds.c: checks shared by the readers for the bounds of bounds.h that
 * a parser library does not enforce itself (YAML nesting). */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "bounds.h"
#include "headroom.h"

int hr_bounds_getline(FILE *in, char *buf, size_t max, size_t *len)
{
	size_t n = 0;
	int c;

	/* Byte by byte (the files are small, and a line stops at max): a NUL
	 * is seen wherever it is, the last line without a newline included. */
	while ((c = getc_unlocked(in)) != EOF) {
		if (c == '\n')
			break;
		if (c == '\0')
			return -EILSEQ;
		if (n == max)
			return -E2BIG;
		buf[n++] = (char)c;
	}
	if (c == EOF && n == 0)
		return 0;
	buf[n] = '\0';
	*len = n;
	return 1;
}

int hr_yaml_check_depth(const char *text, size_t len, int max, int *line, int *col)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	int depth = 0, r = 0;

	*line = *col = 0;
	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	/* Events stream in constant memory; stop at the first one too deep, or
	 * at a syntax error (left for the loader to report with its words). */
	while (yaml_parser_parse(&parser, &ev)) {
		yaml_event_type_t t = ev.type;

		if (t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT) {
			if (++depth > max) {
				*line = (int)ev.start_mark.line + 1;
				*col = (int)ev.start_mark.column + 1;
				r = -E2BIG;
			}
		} else if (t == YAML_SEQUENCE_END_EVENT || t == YAML_MAPPING_END_EVENT) {
			depth--;
		}
		yaml_event_delete(&ev);
		if (r < 0 || t == YAML_STREAM_END_EVENT)
			break;
	}
	yaml_parser_delete(&parser);
	return r;
}

/* A collection of the document being composed, still open: its node and,
 * for a mapping, the key waiting for its value (0: none). */
struct yopen {
	int node, key;
};

/* An anchor of the document: its name, node and where it was set. */
struct yanchor {
	char *name;
	int node;
	yaml_mark_t mark;
};

/* What one composition holds besides the document. */
struct ycompose {
	yaml_parser_t *parser;
	yaml_document_t *doc;
	struct yopen *open;
	int nopen, capopen;
	struct yanchor *anchors;
	size_t nanchors, capanchors;
};

/* Makes node id (just added) the next child of the innermost open
 * collection. 1, or 0 out of memory. */
static int ycompose_attach(struct ycompose *c, int id)
{
	struct yopen *o;

	if (!c->nopen)
		return 1; /* the root: node 1 */
	o = &c->open[c->nopen - 1];
	if (c->doc->nodes.start[o->node - 1].type == YAML_SEQUENCE_NODE)
		return yaml_document_append_sequence_item(c->doc, o->node, id);
	if (!o->key) {
		o->key = id;
		return 1;
	}
	id = yaml_document_append_mapping_pair(c->doc, o->node, o->key, id);
	o->key = 0;
	return id;
}

/* Sets the marks of node id and records its anchor, if any. 1; 0 on a
 * duplicate anchor (the parser's error set as its loader sets it);
 * -ENOMEM. */
static int ycompose_node(struct ycompose *c, int id, const yaml_event_t *ev, const yaml_char_t *anchor)
{
	yaml_node_t *n = &c->doc->nodes.start[id - 1];
	size_t i;

	n->start_mark = ev->start_mark;
	n->end_mark = ev->end_mark;
	if (!anchor)
		return 1;
	for (i = 0; i < c->nanchors; i++)
		if (!strcmp(c->anchors[i].name, (const char *)anchor)) {
			c->parser->error = YAML_COMPOSER_ERROR;
			c->parser->context = "found duplicate anchor; first occurrence";
			c->parser->context_mark = c->anchors[i].mark;
			c->parser->problem = "second occurrence";
			c->parser->problem_mark = ev->start_mark;
			return 0;
		}
	if (c->nanchors == c->capanchors) {
		size_t cap = c->capanchors ? 2 * c->capanchors : 8;
		struct yanchor *a = realloc(c->anchors, cap * sizeof(*a));

		if (!a)
			return -ENOMEM;
		c->anchors = a;
		c->capanchors = cap;
	}
	c->anchors[c->nanchors].name = strdup((const char *)anchor);
	if (!c->anchors[c->nanchors].name)
		return -ENOMEM;
	c->anchors[c->nanchors].node = id;
	c->anchors[c->nanchors++].mark = ev->start_mark;
	return 1;
}

/* One event into the document: 1 to go on, 2 at the document's end, 0 on
 * an error of the YAML (the parser's), -E2BIG, -ENOMEM. */
static int ycompose_event(struct ycompose *c, yaml_event_t *ev, int max, int *line, int *col)
{
	yaml_document_t *doc = c->doc;
	yaml_char_t *tag;
	int id, id2;
	size_t i;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (!yaml_document_initialize(doc, ev->data.document_start.version_directive,
					      ev->data.document_start.tag_directives.start,
					      ev->data.document_start.tag_directives.end,
					      ev->data.document_start.implicit, 1))
			return -ENOMEM;
		doc->start_mark = ev->start_mark;
		return 1;
	case YAML_DOCUMENT_END_EVENT:
		doc->end_implicit = ev->data.document_end.implicit;
		doc->end_mark = ev->end_mark;
		return 2;
	case YAML_ALIAS_EVENT:
		for (i = 0; i < c->nanchors; i++)
			if (!strcmp(c->anchors[i].name, (char *)ev->data.alias.anchor))
				return ycompose_attach(c, c->anchors[i].node) ? 1 : -ENOMEM;
		c->parser->error = YAML_COMPOSER_ERROR;
		c->parser->problem = "found undefined alias";
		c->parser->problem_mark = ev->start_mark;
		return 0;
	case YAML_SCALAR_EVENT:
		tag = ev->data.scalar.tag;
		if (tag && !strcmp((char *)tag, "!"))
			tag = NULL; /* the default tag, as yaml_parser_load */
		id = yaml_document_add_scalar(doc, tag, ev->data.scalar.value, (int)ev->data.scalar.length,
					      ev->data.scalar.style);
		if (!id)
			return -ENOMEM;
		id2 = ycompose_node(c, id, ev, ev->data.scalar.anchor);
		if (id2 != 1)
			return id2;
		return ycompose_attach(c, id) ? 1 : -ENOMEM;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		bool seq = ev->type == YAML_SEQUENCE_START_EVENT;
		int r;

		if (c->nopen >= max) {
			*line = (int)ev->start_mark.line + 1;
			*col = (int)ev->start_mark.column + 1;
			return -E2BIG;
		}
		tag = seq ? ev->data.sequence_start.tag : ev->data.mapping_start.tag;
		if (tag && !strcmp((char *)tag, "!"))
			tag = NULL;
		id = seq ? yaml_document_add_sequence(doc, tag, ev->data.sequence_start.style)
			 : yaml_document_add_mapping(doc, tag, ev->data.mapping_start.style);
		if (!id)
			return -ENOMEM;
		r = ycompose_node(c, id, ev, seq ? ev->data.sequence_start.anchor : ev->data.mapping_start.anchor);
		if (r != 1)
			return r;
		if (!ycompose_attach(c, id))
			return -ENOMEM;
		if (c->nopen == c->capopen) {
			int cap = c->capopen ? 2 * c->capopen : 16;
			struct yopen *o = realloc(c->open, (size_t)cap * sizeof(*o));

			if (!o)
				return -ENOMEM;
			c->open = o;
			c->capopen = cap;
		}
		c->open[c->nopen].node = id;
		c->open[c->nopen++].key = 0;
		return 1;
	}
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (c->nopen)
			doc->nodes.start[c->open[--c->nopen].node - 1].end_mark = ev->end_mark;
		return 1;
	default: /* STREAM_START */
		return 1;
	}
}

int hr_yaml_load(yaml_parser_t *parser, yaml_document_t *doc, int max, int *line, int *col)
{
	struct ycompose c;
	yaml_event_t ev;
	bool started = false;
	int r = 1;
	size_t i;

	memset(doc, 0, sizeof(*doc));
	memset(&c, 0, sizeof(c));
	c.parser = parser;
	c.doc = doc;
	*line = *col = 0;
	for (;;) {
		if (!yaml_parser_parse(parser, &ev)) {
			r = 0;
			break;
		}
		if (ev.type == YAML_STREAM_END_EVENT && !started) {
			/* No document: an empty one, as yaml_parser_load. */
			yaml_event_delete(&ev);
			r = yaml_document_initialize(doc, NULL, NULL, NULL, 1, 1) ? 1 : -ENOMEM;
			started = r == 1;
			break;
		}
		started |= ev.type == YAML_DOCUMENT_START_EVENT;
		r = ycompose_event(&c, &ev, max, line, col);
		yaml_event_delete(&ev);
		if (r != 1)
			break;
	}
	if (r == 2)
		r = 1;
	else if (r != 1 && started)
		yaml_document_delete(doc);
	if (r != 1)
		memset(doc, 0, sizeof(*doc));
	for (i = 0; i < c.nanchors; i++)
		free(c.anchors[i].name);
	free(c.anchors);
	free(c.open);
	return r;
}

int hr_bounds_read_yaml(const char *path, size_t max, const char *what, char **text, size_t *len,
			struct hr_err *err)
{
	int r = hr_input_trusted(path, what, err), line, col;

	*text = NULL;
	if (r < 0)
		return r;
	r = hr_read_file_max(path, max, text, len);

	if (r == -EFBIG) {
		hr_err_set(err, r, "%s: larger than %zu KiB (the bound of a %s); not read", path, max >> 10, what);
		return r;
	}
	if (r < 0) {
		hr_err_set(err, r, "%s: cannot read %s: %s", path, what,
			   hr_strerror_about(r, HR_ABOUT_FILE));
		return r;
	}
	r = hr_yaml_check_depth(*text, *len, HR_YAML_MAX_DEPTH, &line, &col);
	if (r == -E2BIG)
		hr_err_set(err, -EBADMSG, "%s:%d:%d: nested deeper than %d levels (the bound of a %s); not read",
			   path, line, col, HR_YAML_MAX_DEPTH, what);
	if (r < 0) {
		free(*text);
		*text = NULL;
		return r == -E2BIG ? -EBADMSG : r;
	}
	return 0;
}
