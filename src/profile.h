/* profile.h: tuning profiles (profiles/NAME.yaml, headroom-profiles(5)):
 * named sets of sysctl settings with a rationale each, the workload they
 * assume, and inheritance through `extends`. */
#ifndef HR_PROFILE_H
#define HR_PROFILE_H

#include <jansson.h>

#include "headroom.h"

/* How a desired value applies: exactly, or only raise / only lower (tuned's ">=N" "<=N"). */
enum hr_op { HR_OP_SET, HR_OP_GE, HR_OP_LE };

/* One desired setting. */
struct hr_desired {
	char *key;    /* normalised, dotted */
	enum hr_op op;
	char *value;  /* HR_OP_SET: the value; GE/LE: the bound N as text */
	char *why;    /* rationale */
	char *from;   /* profile name, "--set", or "fix RULE (SUBJECT)" */
	char *where;  /* "profiles/web-server.yaml:12:5" or NULL */
	char *overrides; /* after resolve: the profile whose value this one replaced, or NULL */
	bool optional;   /* a sysctl.d line with '-': a key the kernel would refuse (absent,
			  * read-only, out of range) is skipped with a note instead */
};

struct hr_profile {
	char *name;
	char *description;
	char *file;
	char **extends; /* parents, in order: later parents override earlier */
	size_t nextends;
	char **assumptions;
	size_t nassumptions;
	struct hr_desired *settings;
	size_t nsettings;
	char **chain; /* after resolve: every profile used, root first */
	size_t nchain;
	/* The path the profile is for ("path: {rtt: 50ms, bandwidth:
	 * 1Gbit/s}"; 0: none declared): seconds, bytes/s, and where it came
	 * from ("profiles/x.yaml:7:3"; after resolve, the last profile's). */
	double path_rtt_s, path_rate;
	char *path_where;
};

/* Parses a setting's value text (">=4096", "<=30", "1024 65000") into s->op
 * and s->value (owned). 0 or -EINVAL (err says why). */
int hr_desired_parse_value(struct hr_desired *s, const char *text, struct hr_err *err);
/* Frees the strings of a setting (not the struct). */
void hr_desired_clear(struct hr_desired *s);
/* Text form of a setting's value (">=4096", "1"); borrowed static buffer. */
const char *hr_desired_value_text(const struct hr_desired *s);

/* Loads one profile file. Errors carry file:line:column. 0 or -errno. */
int hr_profile_load_file(const char *path, struct hr_profile **out, struct hr_err *err);
/* Loads profile NAME from dir and resolves its `extends` chain: parents
 * first, later definitions override earlier ones, each setting keeps the
 * profile it came from. A cycle or a missing parent is an error naming the
 * chain. Owned result. 0 or -errno. */
int hr_profile_resolve(const char *dir, const char *name, struct hr_profile **out, struct hr_err *err);
/* Names of the profiles in dir (*.yaml), sorted. Owned array of owned strings. */
int hr_profile_names(const char *dir, char ***names, size_t *n);
void hr_profile_names_free(char **names, size_t n);
void hr_profile_free(struct hr_profile *p);

/* A declared path against the buffer maxima a plan or profile gives
 * (wmem, rmem: the tcp_wmem / tcp_rmem value texts "MIN DEFAULT MAX", NULL
 * when not set): each maximum against 2 x BDP (rounded up to a power of
 * two, at least 64 KiB, as rules/buffers.yaml), with the throughput cap it
 * gives (send: 0.875 x max / RTT; receive: 0.5 x max / RTT; at most the
 * bandwidth). One line into msg. 1: both cover 2 x BDP, 0: one is short,
 * -1: neither maximum is known. */
int hr_profile_path_check(double rtt_s, double rate, const char *wmem, const char *rmem, char *msg,
			  size_t len);

/* A resolved profile as JSON (owned): name, description, extends, chain,
 * assumptions, settings[{key, value, why, from, where}], path{rtt, bandwidth,
 * where, check, covers} when declared. */
json_t *hr_profile_to_json(const struct hr_profile *p);

#endif
