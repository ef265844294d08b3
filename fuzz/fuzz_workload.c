/* fuzz_workload: the --workload loader (src/workload.c) from a buffer
 * (hr_workload_load_buffer) into a fresh facts model, the facts turned
 * into JSON; and the input's first line as a rate and as a duration
 * (hr_workload_parse_rate, hr_workload_parse_duration). */
#include "config.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "workload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hr_err err;
	double v;
	char *text, *nl;
	hr_facts *f;
	json_t *j;

	f = hr_facts_new();
	if (!f)
		abort();
	memset(&err, 0, sizeof(err));
	if (hr_workload_load_buffer(f, (const char *)data, size, "fuzz.yaml", &err) < 0 && !err.msg[0])
		abort(); /* a refused workload says why */
	j = hr_facts_to_json(f);
	json_decref(j);
	hr_facts_free(f);

	text = fuzz_cstr(data, size);
	if (!text)
		abort();
	nl = strchr(text, '\n');
	if (nl)
		*nl = '\0';
	(void)hr_workload_parse_rate(text, &v);
	(void)hr_workload_parse_duration(text, &v);
	free(text);
	return 0;
}
