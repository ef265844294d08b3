/* check-run.h: the one runner every Check suite's main() uses. */
#ifndef HR_CHECK_RUN_H
#define HR_CHECK_RUN_H

#include <check.h>
#include <stdlib.h>

/* Runs one suite (CK_NORMAL output); returns the process exit code. */
static inline int hr_check_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
