/* machine.c: what one system call and one page fault cost on this machine,
 * so a reader of docs/PERFORMANCE.md can tell a machine effect from a
 * regression (a virtual machine with shadow paging makes page faults ten
 * to fifty times dearer than bare metal does). Prints
 * "syscall_us=X fault_us=Y": the median of 5 rounds of 100,000 getppid()
 * calls, and of 5 rounds of touching 1,024 fresh anonymous pages. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(void)
{
	enum { ROUNDS = 5, CALLS = 100000, PAGES = 1024 };
	double sc[ROUNDS], pf[ROUNDS];
	long page = sysconf(_SC_PAGESIZE);
	int r, i;

	for (r = 0; r < ROUNDS; r++) {
		double t0 = now();
		char *p;

		for (i = 0; i < CALLS; i++)
			syscall(SYS_getppid);
		sc[r] = (now() - t0) / CALLS * 1e6;
		p = mmap(NULL, (size_t)(PAGES * page), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return 1;
		t0 = now();
		for (i = 0; i < PAGES; i++)
			((volatile char *)p)[(long)i * page] = 1;
		pf[r] = (now() - t0) / PAGES * 1e6;
		munmap(p, (size_t)(PAGES * page));
	}
	qsort(sc, ROUNDS, sizeof(*sc), cmp);
	qsort(pf, ROUNDS, sizeof(*pf), cmp);
	printf("syscall_us=%.2f fault_us=%.2f\n", sc[ROUNDS / 2], pf[ROUNDS / 2]);
	return 0;
}
