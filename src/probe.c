/* probe.c: placeholder until the probe issue lands. */
#include "config.h"

#include <errno.h>

#include "probe.h"

int hr_probe_run(hr_facts *f, const struct hr_probe_opts *o, struct hr_err *err)
{
	(void)f;
	(void)o;
	hr_err_set(err, -ENOSYS, "probe not implemented yet");
	return -ENOSYS;
}
