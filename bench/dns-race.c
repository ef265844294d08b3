/* bench/dns-race.c: the Kubernetes DNS race (kubernetes #56903), as glibc
 * makes it: two queries (A and AAAA) from one UDP socket at the same
 * moment, here from two threads pinned to CPUs 0 and 1 so both packets
 * run the output path, and conntrack's confirm, in parallel. Usage:
 * dns-race ADDR N: N fresh sockets, one pair of 40-byte datagrams each, to
 * ADDR:53. bench/dns-race.sh builds and runs it in a namespace;
 * make check builds it as tests/dns-race for tests/conntrack-dns-race.sh. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#define RELAX() __builtin_ia32_pause()
#else
#define RELAX() __asm__ volatile("" ::: "memory")
#endif

static atomic_long go;
static atomic_int done;
static int fd;
static struct sockaddr_in dst;
static long n;
static void *th(void *arg)
{
	long id = (long)arg, i;
	cpu_set_t s;
	char q[40] = {0};
	CPU_ZERO(&s); CPU_SET(id, &s);
	pthread_setaffinity_np(pthread_self(), sizeof(s), &s);
	q[5] = id ? 28 : 1; /* not a parsed query: only the tuple matters */
	for (i = 1; i <= n; i++) {
		if (id == 0) {
			fd = socket(AF_INET, SOCK_DGRAM, 0);
			atomic_store(&done, 0);
			atomic_store(&go, i);
		} else {
			while (atomic_load(&go) != i) RELAX();
		}
		sendto(fd, q, sizeof(q), 0, (void *)&dst, sizeof(dst));
		atomic_fetch_add(&done, 1);
		if (id == 0) {
			while (atomic_load(&done) != 2) RELAX();
			close(fd);
		}
	}
	return NULL;
}
int main(int argc, char **argv)
{
	pthread_t t[2];
	if (argc != 3)
		return 2;
	n = atol(argv[2]);
	dst.sin_family = AF_INET; dst.sin_port = htons(53);
	inet_pton(AF_INET, argv[1], &dst.sin_addr);
	pthread_create(&t[0], NULL, th, (void *)0);
	pthread_create(&t[1], NULL, th, (void *)1);
	pthread_join(t[0], NULL); pthread_join(t[1], NULL);
	return 0;
}
