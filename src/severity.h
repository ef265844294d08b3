/* severity.h: the one severity type of findings: its names, its order
 * (ok < info < warning < critical) and the display rank (worst first).
 * Every file that compares, counts or prints severities uses these. */
#ifndef HR_SEVERITY_H
#define HR_SEVERITY_H

enum hr_sev { HR_SEV_OK, HR_SEV_INFO, HR_SEV_WARNING, HR_SEV_CRITICAL, HR_SEV_N };

/* Rank of a severity that is none of them (absent, unknown). */
#define HR_SEV_RANK_NONE HR_SEV_N

/* "ok", "info", "warning", "critical", indexed by enum hr_sev. */
extern const char *const hr_sev_names[HR_SEV_N];

/* The severity named s, or -EINVAL when s is NULL or no severity. */
int hr_sev_parse(const char *s);

/* Display rank, worst first: critical 0, warning 1, info 2, ok 3, and
 * HR_SEV_RANK_NONE (4) for anything else. */
int hr_sev_rank(const char *s);

/* The severity of a rank (critical for 0 ... ok for 3), -EINVAL otherwise. */
int hr_sev_of_rank(int rank);

/* "CRITICAL", "WARNING", "INFO", "OK"; s itself when not a severity, "?" for NULL. */
const char *hr_sev_upper(const char *s);

#endif
