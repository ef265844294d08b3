/* managers.h: the other hands on the kernel's settings. Which programs
 * that set sysctls run on this host (kube-proxy, kubelet, TuneD, bpftune,
 * container runtimes), found by process name in /proc, with the keys each
 * sets, its value and when (TuneD's from its active profile and
 * tuned-main.conf). Host-wide, read once per audit context. */
#ifndef HR_MANAGERS_H
#define HR_MANAGERS_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "headroom.h"

/* One key another manager sets. */
struct hr_manager_key {
	char *key;   /* sysctl name, dot form */
	char *value; /* the value it writes, or a description ("as load demands") */
	char *when;  /* when it writes it ("at start-up", "continuously") */
};

/* One manager found on the host. */
struct hr_manager {
	const char *name;   /* catalogue name ("kube-proxy") */
	char *evidence;     /* how it was found ("process kube-proxy, pid 812") */
	char *source;       /* where its behaviour is documented (its code) */
	struct hr_manager_key *keys;
	size_t nkeys;
};

struct hr_managers {
	struct hr_manager *m;
	size_t n;
	bool read;        /* the process list could be read */
	char *why_not;    /* when !read: why */
	char *notes;      /* problems met (a profile not found), "; "-joined, or NULL */
	long netns;       /* distinct network namespaces of the processes (/proc/PID/ns/net); 0: unknown */
};

/* Finds the managers: processes under ROOT/proc (ROOT "" or "/": the live
 * system), their configuration under ROOT. ncpus: for kube-proxy's
 * conntrack arithmetic (0: unknown). 0, or -ENOMEM. */
int hr_managers_detect(struct hr_managers *ms, const char *root, long ncpus);
void hr_managers_clear(struct hr_managers *ms);

/* The first manager that sets key (its entry in *k), or NULL. */
const struct hr_manager *hr_managers_owner(const struct hr_managers *ms, const char *key,
					   const struct hr_manager_key **k);

/* One line for people: "kube-proxy (process kube-proxy, pid 812) sets
 * net.netfilter.nf_conntrack_max to 131072 at start-up". Owned. */
char *hr_managers_describe(const struct hr_manager *m, const struct hr_manager_key *k);

/* [{name, evidence, source, keys: [{key, value, when}]}] (owned). */
json_t *hr_managers_json(const struct hr_managers *ms);

#endif
