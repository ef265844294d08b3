/* fault.h: fault injection for the tests, out of the installed binary.
 *
 * A few failures cannot be staged from outside on demand: a SIGKILL right
 * after the K-th kernel write of a transaction, a restore that fails, a
 * value the kernel must see although vetting would refuse it. The code
 * that can fail that way asks HR_FAULT_ENV("HEADROOM_TEST_...") for its
 * trigger. Only a build with -DHR_FAULT_INJECTION reads the environment:
 * that is tests/headroom-fi, built by make check from the same sources and
 * never installed (mk/apply.am). Everywhere else HR_FAULT_ENV is NULL, the
 * name is not compiled in, and `strings src/headroom | grep HEADROOM_TEST`
 * prints nothing.
 *
 * The hooks (README "Tests"):
 *   HEADROOM_TEST_CRASH_AFTER=K     apply SIGKILLs itself after its K-th
 *                                   kernel write (0: after the journal)
 *   HEADROOM_TEST_BREAK_RESTORE=KEY the restore of KEY fails (-EIO)
 *   HEADROOM_TEST_SKIP_RANGE=KEY    vetting lets a value of KEY outside
 *                                   the range table through
 */
#ifndef HR_FAULT_H
#define HR_FAULT_H

#ifdef HR_FAULT_INJECTION
#include <stdlib.h>
#define HR_FAULT_ENV(name) ((const char *)getenv(name))
#else
#define HR_FAULT_ENV(name) ((const char *)NULL)
#endif

#endif
