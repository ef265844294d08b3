/* procnet.h: streaming parser of /proc/net/tcp and /proc/net/tcp6 (the
 * socket source for captured trees). Constant memory: one read buffer per
 * open file, lines are parsed in place and fed to hr_facts_add_socket().
 *
 * The kernel prints the listening hash first (tcp4_seq / tcp6_seq walk
 * lhash2 before ehash, net/ipv4/tcp_ipv4.c), so the LISTEN lines of a file
 * are its head: pass 1 (hr_procnet_listeners) feeds that head and stops at
 * the first other line, pass 2 (hr_procnet_rest) goes on from there. Each
 * byte is read once. */
#ifndef HR_PROCNET_H
#define HR_PROCNET_H

#include "facts.h"

/* USER_HZ: /proc/net/tcp prints timers in clock ticks (jiffies_delta_to_clock_t). */
#define HR_USER_HZ 100

typedef struct hr_procnet hr_procnet;

/* Parses one data line (without its newline) of /proc/net/tcp (family
 * AF_INET) or tcp6 (AF_INET6) into s. Addresses are hex words in the host
 * order of the machine that printed them (seq_printf "%08X" of __be32).
 * Returns 0, or -EBADMSG with *why naming the first bad column. */
int hr_procnet_parse_line(const char *line, size_t len, int family, struct hr_sock *s,
			  const char **why);

/* Opens a tcp file and checks its header line. label is the path as the
 * operator knows it (used in problems "label:line: ..."); both strings are
 * copied. Returns NULL with *err = -errno (or -EBADMSG for a bad header). */
hr_procnet *hr_procnet_open(const char *path, const char *label, int family, int *err);
/* Same on an open descriptor (taken over, closed on failure too); a
 * negative fd is passed through as the error (-errno of a failed open). */
hr_procnet *hr_procnet_open_fd(int fd, const char *label, int family, int *err);
/* Pass 1: feeds the leading LISTEN lines into f; returns how many, or -errno. */
long hr_procnet_listeners(hr_procnet *p, hr_facts *f);
/* Pass 2: feeds every remaining line into f; returns how many, or -errno.
 * Malformed lines are skipped and recorded as problems naming file:line. */
long hr_procnet_rest(hr_procnet *p, hr_facts *f);
/* For callers that want the sockets themselves rather than the facts'
 * aggregates (e.g. counting local ports in a range): calls cb for every
 * remaining socket line, LISTEN or not, in file order, streaming. Problems
 * (file:line) go to f when f is not NULL. Returns sockets seen or -errno. */
long hr_procnet_each(hr_procnet *p, void (*cb)(void *ctx, const struct hr_sock *s), void *ctx,
		     hr_facts *f);
/* Malformed lines skipped so far. */
unsigned long hr_procnet_bad_lines(const hr_procnet *p);
void hr_procnet_close(hr_procnet *p);

#endif
