/* probe.c: the probe's orchestration: one pass over /proc/sys/net, the
 * /proc/net counters, the kernel and slab files and the sockets into the
 * facts model, in an order that lets the counter interval run while the
 * rest is read; the lists of what it reads (for the snapshot); the wait
 * between counter samples. Problems with single files are recorded and the
 * probe goes on; nothing is spawned, nothing printed (the wait between
 * samples is told to the caller's progress callback). May call: the readers
 * declared in probe-int.h (probe-sysctl.c, probe-counters.c, probe-kernel.c,
 * probe-sockets.c, probe-io.c), conntrack-read.c, kmsg.c and the facts. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conntrack.h"
#include "kmsg.h"
#include "trace.h"
#include "probe-int.h"

const char *const hr_probe_files[] = {
	F_OSRELEASE, F_BOOT_ID, F_SOCKSTAT, F_SOCKSTAT6, F_SNMP, F_NETSTAT, F_SNMP6, F_TCP, F_TCP6, F_SLAB, F_RESOLV, NULL,
};

const char *const hr_probe_socket_files[] = {F_TCP, F_TCP6, NULL};

/* hr_probe_tree.open for the readers outside probe-*.c: the probe's opener. */
static int tree_open(void *ctx, const char *abs, int flags)
{
	return hr_probe_tree_open(ctx, abs, flags);
}

/* See probe.h: the wait between two counter samples. */
void hr_probe_wait_until(double t0, double interval, hr_probe_progress_fn progress, void *ud)
{
	for (;;) {
		double left = t0 + interval - hr_now();
		struct timespec ts;

		if (left <= 0)
			break;
		if (progress)
			progress(ud, left);
		if (left > 0.1)
			left = 0.1;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(left * 1e9);
		nanosleep(&ts, NULL);
	}
	if (progress)
		progress(ud, 0);
}

/* A live probe's second counter sample, left for hr_probe_finish. */
struct hr_probe_pending {
	hr_facts *f;
	struct sample s1;
	double t1, interval;
	bool sockets; /* the socket source is sock_diag */
};

/* The second live sample and the rates between it and s1, t1 (hr_now) ago. */
static void second_sample(struct run *r, const struct sample *s1, double t1)
{
	struct sample s2;
	size_t i;

	memset(&s2, 0, sizeof(s2));
	hr_probe_stamp(r, HR_SRC_COUNTERS2);
	for (i = 0; hr_probe_rate_files[i]; i++)
		hr_probe_rate_sample(r, "", hr_probe_rate_files[i], &s2);
	hr_probe_neigh(r, &s2, "");
	hr_probe_rates(r, s1, &s2, hr_now() - t1, "");
}

void hr_probe_finish(hr_probe_pending *p, hr_probe_progress_fn progress, void *ud)
{
	struct run r;

	if (!p)
		return;
	memset(&r, 0, sizeof(r));
	r.f = p->f;
	r.root = "";
	r.rootfd = -1;
	r.buf = malloc(VALBUF);
	hr_probe_wait_until(p->t1, p->interval, progress, ud);
	if (r.buf)
		second_sample(&r, &p->s1, p->t1);
	else
		hr_probe_rates_missing(&r, "out of memory for the second counter sample");
	hr_facts_set_meta(p->f, "", p->sockets ? "netlink sock_diag" : NULL, p->interval);
	hr_facts_set_report(p->f, hr_stamp_now());
	free(r.buf);
	free(p);
}

void hr_probe_pending_free(hr_probe_pending *p)
{
	free(p);
}

int hr_probe_run(hr_facts *f, const struct hr_probe_opts *o, struct hr_err *err)
{
	struct run r;
	struct sample s1, s2;
	char rootbuf[4096], label[4200];
	const char *root = o && o->root ? o->root : "";
	bool live, sample2 = false;
	double interval = o ? o->interval_s : -1, t1 = 0;
	size_t n;

	/* "DIR/" -> "DIR": paths are root + "/proc/...". */
	n = strlen(root);
	if (n >= sizeof(rootbuf)) {
		hr_err_set(err, -ENAMETOOLONG, "--root %s: path too long", root);
		return -ENAMETOOLONG;
	}
	memcpy(rootbuf, root, n + 1);
	while (n > 1 && rootbuf[n - 1] == '/')
		rootbuf[--n] = '\0';
	live = !*rootbuf;
	if (interval < 0)
		interval = live ? 1 : 0;

	memset(&r, 0, sizeof(r));
	memset(&s1, 0, sizeof(s1));
	memset(&s2, 0, sizeof(s2));
	r.f = f;
	r.root = rootbuf;
	r.rootfd = -1;
	r.o = o;
	r.buf = malloc(VALBUF);
	if (!r.buf) {
		hr_err_set(err, -ENOMEM, "out of memory");
		return -ENOMEM;
	}
	if (!live) {
		r.rootfd = open(rootbuf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (r.rootfd < 0) {
			hr_facts_add_problem(f, rootbuf, "--root: %s",
					     errno == ENOTDIR ? "not a directory" : hr_probe_why(-errno));
			free(r.buf);
			hr_facts_set_meta(f, rootbuf, NULL, 0);
			hr_err_set(err, -ENODATA, "nothing usable read from %s", rootbuf);
			return -ENODATA;
		}
	}

	/* Counters first: the interval runs while the rest is read. Each
	 * source is stamped as it is read: a live audit's predictions count
	 * from the report, minus the age of what they were computed from. */
	hr_probe_stamp(&r, HR_SRC_COUNTERS);
	hr_probe_counters(&r, &s1);
	hr_probe_neigh(&r, &s1, "");
	t1 = hr_now();
	hr_probe_stamp(&r, HR_SRC_SYSCTLS);
	hr_probe_sysctls(&r);
	hr_probe_kernel(&r);
	hr_probe_resolv(&r);

	label[0] = '\0';
	if (!o || !o->no_sockets) {
		if (live) {
			hr_probe_msgf(label, sizeof(label), "netlink sock_diag");
			hr_probe_stamp(&r, HR_SRC_SOCKETS);
			hr_probe_sockets_live(&r, o && o->socket_idle);
		} else {
			hr_probe_sockets_tree(&r, label, sizeof(label));
		}
		/* Conntrack entries stream like sockets; the kernel log comes
		 * after them (SYN flood messages are matched to listeners). */
		{
			struct hr_probe_tree tree = {rootbuf, tree_open, &r};

			hr_probe_stamp(&r, HR_SRC_CONNTRACK);
			hr_ct_probe_facts(f, &tree);
			hr_probe_stamp(&r, HR_SRC_KMSG);
			hr_kmsg_probe(f, &tree, o ? o->log_window_s : 0, live && o ? o->kmsg_log : NULL);
			/* A tree may carry a trace (DIR/headroom/trace.json). */
			if (!live)
				hr_trace_tree(f, &tree);
		}
	}

	if (o && o->later)
		*o->later = NULL;
	if (live && interval > 0 && o && o->later) {
		hr_probe_pending *p = calloc(1, sizeof(*p));

		if (p) {
			p->f = f;
			p->s1 = s1;
			p->t1 = t1;
			p->interval = interval;
			p->sockets = label[0] != '\0';
			*o->later = p;
		} else {
			hr_probe_rates_missing(&r, "out of memory for the second counter sample");
		}
	} else if (live && interval > 0) {
		hr_probe_wait_until(t1, interval, o ? o->progress : NULL, o ? o->progress_ud : NULL);
		second_sample(&r, &s1, t1);
	} else if (!live && !(o && o->interval_s == 0)) {
		char base[4096];
		double iv = hr_probe_tree_sample2(&r, &s2, &sample2);

		if (iv > 0) {
			hr_probe_msgf(base, sizeof(base), "%s%s", rootbuf, HR_PROBE_SAMPLE2_DIR);
			hr_probe_rates(&r, &s1, &s2, iv, base);
			interval = iv;
		} else {
			if (!sample2 && interval > 0)
				hr_facts_add_problem(f, rootbuf,
						     "--interval %g: the tree has no second counter sample "
						     "(take one with 'headroom snapshot --interval'); rates come "
						     "from TIME_WAIT ages only",
						     interval);
			interval = 0;
			hr_probe_rates_missing(&r, "single counter sample: rates come from the TIME_WAIT age histogram");
		}
	} else {
		interval = 0;
		hr_probe_rates_missing(&r, "single counter sample (--interval 0): rates come from the TIME_WAIT age histogram");
	}
	if (!live)
		hr_probe_tree_clock(&r);
	hr_facts_set_meta(f, rootbuf, label[0] ? label : NULL, interval);
	hr_facts_set_report(f, hr_stamp_now());
	free(r.buf);
	if (r.rootfd >= 0)
		close(r.rootfd);
	if (r.usable == 0) {
		if (o && o->later) {
			hr_probe_pending_free(*o->later);
			*o->later = NULL;
		}
		hr_err_set(err, -ENODATA, "nothing usable read from %s (%zu problems)",
			   live ? "the live system" : rootbuf, hr_facts_problem_count(f));
		return -ENODATA;
	}
	return 0;
}
