/* sockdiag.c: placeholder until the sock_diag issue lands. */
#include "config.h"

#include <errno.h>

#include "sockdiag.h"

long hr_sockdiag_dump(hr_facts *f, struct hr_err *err)
{
	(void)f;
	hr_err_set(err, -ENOSYS, "sock_diag dump not implemented yet");
	return -ENOSYS;
}
