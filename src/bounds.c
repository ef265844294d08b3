/* bounds.c: checks shared by the readers for the bounds of bounds.h that
 * a parser library does not enforce itself (YAML nesting). */
#include "config.h"

#include <errno.h>
#include <yaml.h>

#include "bounds.h"

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
