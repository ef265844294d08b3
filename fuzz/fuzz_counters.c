/* fuzz_counters: the counter files through the probe (src/probe.c has no
 * buffer entry point, so the input becomes a captured tree in a private
 * temporary directory and hr_probe_run() reads it with --root). The input
 * is split at form feeds (\f) into up to nine sections, written as
 * proc/net/snmp, proc/net/netstat, proc/net/sockstat, proc/net/sockstat6,
 * the second sample's headroom/sample2/proc/net/{snmp,netstat}, the
 * headroom/interval file, headroom/backlogs and headroom/clock; a missing
 * section is an absent file. The facts are then turned into JSON (every
 * value read), and so is the report's clock (probe-clock.c's parse). */
#include "config.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "probe.h"

static const char *const files[] = {
	"proc/net/snmp",
	"proc/net/netstat",
	"proc/net/sockstat",
	"proc/net/sockstat6",
	"headroom/sample2/proc/net/snmp",
	"headroom/sample2/proc/net/netstat",
	"headroom/interval",
	"headroom/backlogs",
	"headroom/clock",
};
#define NFILES (sizeof(files) / sizeof(files[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hr_probe_opts o = {.interval_s = -1};
	const uint8_t *p = data, *e = data + size, *ff;
	struct hr_err err;
	char path[4200];
	size_t i;
	hr_facts *f;
	json_t *j;

	for (i = 0; i < NFILES; i++) {
		if (p && p <= e) {
			ff = memchr(p, '\f', (size_t)(e - p));
			if (!fuzz_file(files[i], p, (size_t)((ff ? ff : e) - p)))
				abort();
			p = ff ? ff + 1 : NULL;
		} else {
			snprintf(path, sizeof(path), "%s/%s", fuzz_dir(), files[i]);
			unlink(path);
		}
	}
	o.root = fuzz_dir();
	f = hr_facts_new();
	if (!f)
		abort();
	memset(&err, 0, sizeof(err));
	hr_probe_run(f, &o, &err);
	j = hr_facts_to_json(f);
	json_decref(j);
	j = hr_facts_clock_json(f);
	json_decref(j);
	hr_facts_free(f);
	return 0;
}
