/* severity.c: severity names, order and ranks (see severity.h). */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "severity.h"

const char *const hr_sev_names[HR_SEV_N] = {"ok", "info", "warning", "critical"};
static const char *const upper[HR_SEV_N] = {"OK", "INFO", "WARNING", "CRITICAL"};

int hr_sev_parse(const char *s)
{
	int i;

	for (i = 0; s && i < HR_SEV_N; i++)
		if (!strcmp(s, hr_sev_names[i]))
			return i;
	return -EINVAL;
}

int hr_sev_rank(const char *s)
{
	int sev = hr_sev_parse(s);

	return sev < 0 ? HR_SEV_RANK_NONE : HR_SEV_CRITICAL - sev;
}

int hr_sev_of_rank(int rank)
{
	return rank >= 0 && rank < HR_SEV_N ? HR_SEV_CRITICAL - rank : -EINVAL;
}

const char *hr_sev_upper(const char *s)
{
	int sev = hr_sev_parse(s);

	return !s ? "?" : sev < 0 ? s : upper[sev];
}
