/* drift.h: values headroom applied that have changed since. */
#ifndef HR_DRIFT_H
#define HR_DRIFT_H

#include <stdint.h>
#include <jansson.h>

/* The current value of key, written into buf (n bytes): 0, or -errno when
 * it cannot be read. */
typedef int (*hr_drift_get_fn)(void *ud, const char *key, char *buf, size_t n);

/* The keys whose newest transaction in state_dir (this boot, the live
 * system, network namespace netns; 0: any) left them applied (applied,
 * confirmed, awaiting confirmation) and whose current value differs from
 * the applied one (whitespace-normalised): an owned array of {key,
 * applied, now, txn, time}, newest transaction first. A key rolled back
 * since is not applied any more. NULL with *why set when the state dir
 * cannot be listed; an empty array when it does not exist (nothing applied). */
json_t *hr_drift(const char *state_dir, uint64_t netns, hr_drift_get_fn get, void *ud, const char **why);

/* hr_drift_get_fn for the live kernel of this process's namespace. */
int hr_drift_get_live(void *ud, const char *key, char *buf, size_t n);

/* One line for people: "net.ipv4.tcp_tw_reuse applied 1 at 2026-12-07
 * 20:52:58 UTC by txn T, now 2". Owned. */
char *hr_drift_describe(const json_t *d);

#endif
