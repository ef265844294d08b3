/* fuzz_profile: the profile loader (src/profile.c has only path entry
 * points, so the input is written as DIR/fuzz.yaml of a private temporary
 * directory that also holds a fixed parent profile "base"). Each input is
 * loaded alone (hr_profile_load_file), resolved with its extends chain
 * (hr_profile_resolve, which meets "base", itself, or missing parents),
 * listed (hr_profile_names) and turned into JSON. */
#include "config.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "profile.h"

static const char base[] = "name: base\n"
			   "description: fixed parent of the fuzzed profile\n"
			   "settings:\n"
			   "  net.core.somaxconn:\n"
			   "    value: \">=4096\"\n"
			   "    why: a parent setting\n"
			   "  net.ipv4.ip_local_port_range:\n"
			   "    value: \"1024 65000\"\n"
			   "    why: a vector\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hr_profile *p = NULL;
	struct hr_err err;
	char dir[4200];
	char **names = NULL;
	size_t n = 0;
	const char *path;
	json_t *j;

	if (!fuzz_file("profiles/base.yaml", (const uint8_t *)base, sizeof(base) - 1))
		abort();
	path = fuzz_file("profiles/fuzz.yaml", data, size);
	if (!path)
		abort();
	snprintf(dir, sizeof(dir), "%s/profiles", fuzz_dir());

	memset(&err, 0, sizeof(err));
	if (hr_profile_load_file(path, &p, &err) == 0) {
		j = hr_profile_to_json(p);
		json_decref(j);
		hr_profile_free(p);
	} else if (!err.msg[0]) {
		abort(); /* a refused profile says why */
	}
	p = NULL;
	memset(&err, 0, sizeof(err));
	if (hr_profile_resolve(dir, "fuzz", &p, &err) == 0) {
		j = hr_profile_to_json(p);
		json_decref(j);
		hr_profile_free(p);
	}
	if (hr_profile_names(dir, &names, &n) == 0)
		hr_profile_names_free(names, n);
	return 0;
}
