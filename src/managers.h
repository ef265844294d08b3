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

#include "expr.h"
#include "headroom.h"

/* ------------------------------------------------------------ catalogue */
/* The catalogue (a rule file's top-level `managers:` list, loaded by
 * rules-managers.c, shipped in rules/managers-catalogue.yaml): each
 * manager's process names, the keys it sets with their value (text, or an
 * expression over cpus and its param.NAME), when, and where its behaviour
 * is written down. A site adds its own manager with a rule file. */
struct hr_mgr_param {
	char *name;  /* "maxPerCore" (read as param.maxPerCore) */
	double num;  /* its default (the program's own), 0/1 for a bool */
	bool isbool;
};

struct hr_mgr_catkey {
	char *key;     /* sysctl name, dot form */
	char *value;   /* a fixed value or description, or NULL with expr */
	hr_expr *expr; /* the value computed (value: "= EXPR") */
	hr_expr *cond; /* if: the key is set only when true, or NULL */
	char *when;
};

struct hr_mgr_cat {
	char *name, *source;
	char *reads; /* a configuration reader: "tuned", "kube-proxy", "sysctl.d", or NULL */
	char **procs; /* process names (comm) */
	size_t nprocs;
	struct hr_mgr_param *params;
	size_t nparams;
	struct hr_mgr_catkey *keys;
	size_t nkeys;
	char *file; /* where the entry is: FILE:LINE */
	int line;
};

/* Name kinds of a catalogue expression (rules-managers.c binds them). */
enum { HR_MGR_K_CPUS = 1, HR_MGR_K_PARAM };

/* One key another manager sets. */
struct hr_manager_key {
	char *key;   /* sysctl name, dot form */
	char *value; /* the value it writes, or a description ("as load demands") */
	char *when;  /* when it writes it ("at start-up", "continuously") */
	char *where; /* the line that sets it ("/etc/sysctl.d/x.conf:3"), or NULL */
};

/* One manager found on the host. */
struct hr_manager {
	char *name;         /* catalogue name ("kube-proxy") */
	char *evidence;     /* how it was found ("process kube-proxy, pid 812") */
	char *source;       /* where its behaviour is documented (its code) */
	struct hr_manager_key *keys;
	size_t nkeys;
	bool boot;          /* it writes at boot only (systemd-sysctl): not undone now */
};

struct hr_managers {
	struct hr_manager *m;
	size_t n;
	bool read;        /* the process list could be read */
	char *why_not;    /* when !read: why */
	char *notes;      /* problems met (a profile not found), "; "-joined, or NULL */
	long netns;       /* distinct network namespaces of the processes (/proc/PID/ns/net); 0: unknown */
};

/* Finds the managers of the catalogue cat[0..ncat): processes under
 * ROOT/proc (ROOT "" or "/": the live system), their configuration under
 * ROOT; a manager without process names (systemd-sysctl) from its files
 * alone, after the processes. ncpus: the value of cpus in the catalogue's
 * expressions (0: unknown). 0, or -ENOMEM. */
int hr_managers_detect(struct hr_managers *ms, const struct hr_mgr_cat *cat, size_t ncat, const char *root,
		       long ncpus);
void hr_managers_clear(struct hr_managers *ms);

/* The first manager that sets key (its entry in *k), or NULL. */
const struct hr_manager *hr_managers_owner(const struct hr_managers *ms, const char *key,
					   const struct hr_manager_key **k);

/* One line for people: "kube-proxy (process kube-proxy, pid 812) sets
 * net.netfilter.nf_conntrack_max to 131072 at start-up", or for a key set
 * by a file "systemd-sysctl (/etc/sysctl.d/x.conf:3) sets KEY = V at
 * boot". Owned. */
char *hr_managers_describe(const struct hr_manager *m, const struct hr_manager_key *k);

/* [{name, evidence, source, keys: [{key, value, when}]}] (owned). */
json_t *hr_managers_json(const struct hr_managers *ms);

/* Internal to src/managers*.c. */
/* Adds a note (fmt with two strings) to ms->notes. 0 or -ENOMEM. */
int hr_managers_note(struct hr_managers *ms, const char *fmt, const char *a, const char *b);
/* ROOT/rel (a regular file, at most 256 KiB) as a new string; NULL with
 * *err = -errno. */
char *hr_managers_read(const char *root, const char *rel, int *err);
/* managers-kube.c: kube-proxy's parameters (params, in the order of c's
 * params) from its command line (ROOT/proc/PID/cmdline): the --config
 * file (KubeProxyConfiguration, its conntrack section) when given, which
 * replaces the flags as kube-proxy's Complete() does, else the
 * --conntrack-* flags; m->evidence says which. 0, or -ENOMEM. */
int hr_managers_kube_params(struct hr_managers *ms, struct hr_manager *m, const struct hr_mgr_cat *c,
			    double *params, const char *root, long pid);

#endif
