/* bounds.c: checks shared by the readers for the bounds of bounds.h that
 * a parser library does not enforce itself (YAML nesting). */
#include "config.h"

#include <errno.h>
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

int hr_bounds_read_yaml(const char *path, size_t max, const char *what, char **text, size_t *len,
			struct hr_err *err)
{
	int r = hr_read_file_max(path, max, text, len), line, col;

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
