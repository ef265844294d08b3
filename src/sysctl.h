/* sysctl.h: one sysctl key, safely: normalisation (dots or slashes), the
 * dotted <-> path mapping, root-aware reads, and checked writes with a
 * whitespace-normalised read-back.
 *
 * Keys are kept in dotted form ("net.ipv4.tcp_tw_reuse"). A dot inside a
 * path component (a VLAN "eth0.1") is written as '/' in dotted form, as
 * sysctl(8) does: "net.ipv4.conf.eth0/1.rp_filter". */
#ifndef HR_SYSCTL_H
#define HR_SYSCTL_H

#include "headroom.h"

#define HR_KEY_MAX 256

/* Normalises a key given with dots or slashes into dotted form in out.
 * Refuses (-EINVAL, err says why) empty keys, empty, "." or ".." components,
 * leading or trailing separators, whitespace, control characters and '='. */
int hr_sysctl_normalise(const char *in, char *out, size_t n, struct hr_err *err);

/* Dotted key -> relative path under /proc/sys ("net/ipv4/tcp_tw_reuse"). */
int hr_sysctl_to_path(const char *dotted, char *out, size_t n);

/* Full file name of a key under root (""/NULL = live) in out, after checking
 * that it resolves inside root/proc/sys (symlinks in a tree cannot escape).
 * -EINVAL (outside), -ENOENT (absent), -ENAMETOOLONG. */
int hr_sysctl_file(const char *root, const char *key, char *out, size_t n);

/* Kinds of key found by hr_sysctl_stat. */
enum hr_key_kind { HR_KEY_WRITABLE, HR_KEY_READONLY };

/* Checks that a key is a writable regular file (mode has a write bit).
 * Returns 0 and *kind, or -ENOENT, -EISDIR (a directory), -EINVAL (not a
 * regular file, or outside the root). */
int hr_sysctl_stat(const char *root, const char *key, enum hr_key_kind *kind);

/* access(2) W_OK on a key's file: 0, or -errno (-EACCES: not permitted). */
int hr_sysctl_access(const char *root, const char *key);

/* Reads a key's value (trimmed, owned in *out). 0 or -errno. */
int hr_sysctl_read(const char *root, const char *key, char **out);

/* Checks that a value can be written: non-empty, one line, no control
 * characters. 0 or -EINVAL (err says which character). */
int hr_sysctl_value_check(const char *key, const char *value, struct hr_err *err);

/* Writes value to key: one write() of "value\n", then close(), both
 * checked, then reads back and compares whitespace-normalised. 0, or
 * -errno of the failing step (-EIO for a read-back mismatch); err names
 * the key and the step. */
int hr_sysctl_write(const char *root, const char *key, const char *value, struct hr_err *err);

/* Checks a value against the kernel's accepted range for known keys
 * (sysctl-range.c: integer bounds, vector arity, port range order and its
 * floor ip_unprivileged_port_start, read under root). 0, or
 * -EINVAL/-ERANGE with err naming the key and the bound. Unknown keys pass. */
int hr_sysctl_range(const char *root, const char *key, const char *value, struct hr_err *err);

/* Splits a value into at most max integer fields (spaces or tabs between
 * them). The count, or -EINVAL (not integers, or too many), -ENOMEM. */
int hr_sysctl_int_fields(const char *value, int64_t *f, int max);

/* True when two values are equal after whitespace normalisation. */
bool hr_sysctl_equal(const char *a, const char *b);

/* True when a key is not per network namespace: absent or read-only in a
 * child netns, or outside net.* entirely (vm.*, kernel.*, fs.* change
 * the whole host). */
bool hr_sysctl_is_global(const char *key);

#endif
