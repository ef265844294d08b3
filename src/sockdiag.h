/* sockdiag.h: every TCP socket (IPv4 and IPv6) through NETLINK_SOCK_DIAG
 * (libmnl), streamed into the facts model, never stored. */
#ifndef HR_SOCKDIAG_H
#define HR_SOCKDIAG_H

#include "facts.h"

/* Dumps LISTEN sockets first, then all others, feeding hr_facts_add_socket().
 * Returns the number of sockets seen, or -errno (err says what failed). */
long hr_sockdiag_dump(hr_facts *f, struct hr_err *err);

#endif
