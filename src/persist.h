/* persist.h: /etc/sysctl.d/90-headroom.conf: rendering in the format
 * sysctl -p and systemd-sysctl read, atomic replacement (temp file, fsync,
 * rename, directory fsync), and the boot-time precedence check against the
 * other sysctl.d files, resolved the way systemd-sysctl does. */
#ifndef HR_PERSIST_H
#define HR_PERSIST_H

#include <jansson.h>
#include <stdio.h>

#include "headroom.h"

#define HR_PERSIST_DEFAULT "/etc/sysctl.d/90-headroom.conf"

/* One key = value pair. */
struct hr_kv {
	const char *key;   /* dotted */
	const char *value;
};

/* Renders the persisted file: the keys of old_content (a previous headroom
 * file, may be NULL) updated with kv, one "key = value" line each, with a
 * header naming the transaction. Owned text in *out. 0 or -errno. */
int hr_persist_render(const char *old_content, const struct hr_kv *kv, size_t n, const char *txn,
		      char **out);

/* Replaces path by content atomically; content NULL removes the file. A
 * symlink is kept: the file it points to is replaced (or removed), in that
 * file's directory. 0; 1 when the file is in place but the directory fsync
 * failed (err says so); or -errno with nothing changed (err names the step). */
int hr_persist_write(const char *path, const char *content, struct hr_err *err);
/* The same with the content written to the temporary file by fill (0 or
 * -errno; fill NULL removes the file): content of any size in bounded
 * memory (the --textfile at 65,536 destinations). */
int hr_persist_write_fill(const char *path, int (*fill)(FILE *out, void *ud), void *ud, struct hr_err *err);
/* Removes PATH.headroom-tmp.PID files whose writer is gone (what a crash
 * between creating the temporary file and renaming it leaves). Quiet. */
void hr_persist_sweep(const char *path);

/* Finds the settings that would override ours at boot: for each key of kv,
 * a later file in the systemd-sysctl order (config_root + /etc/sysctl.d,
 * /run/sysctl.d, /usr/local/lib/sysctl.d, /usr/lib/sysctl.d, /lib/sysctl.d;
 * same basename: the earlier directory wins; sorted by basename; then
 * /etc/sysctl.conf) setting it to another value. Owned JSON array of
 * {key, value, file, line, ours}. */
json_t *hr_persist_conflicts(const char *config_root, const char *persist_path, const struct hr_kv *kv,
			     size_t n);

/* The ordered list of sysctl.d files (owned JSON array of paths), as
 * systemd-sysctl would read them, then /etc/sysctl.conf. */
json_t *hr_persist_files(const char *config_root);

#endif
