/* confirm.c: commit confirmed. The deadline is the journal's; three things
 * enforce it, whichever comes first: the watcher (a transient systemd unit
 * where systemd runs as PID 1, a double-forked daemon elsewhere), every
 * later transaction command (hr_confirm_expire, before anything else), and
 * the boot unit (the same, for what a reboot interrupted). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "apply.h"
#include "journal.h"

/* How long systemd-run may take to start the watcher unit before the
 * double-forked watcher is used instead (a hung D-Bus must not hang apply). */
#define UNIT_START_TIMEOUT_MS 10000

char *hr_utc_text(char *buf, size_t n, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, n, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(buf, n, "%lld ms", (long long)ms);
	return buf;
}

int hr_confirm_watch(const char *state_dir, const char *id, int64_t deadline_ms, struct hr_err *err)
{
	json_t *r;
	int lock;

	for (;;) {
		struct hr_err e = {0};
		bool busy;
		json_t *t = hr_journal_peek(state_dir, id, &busy, &e);
		const char *st = t ? hr_txn_status(t, busy) : NULL;
		int64_t left;

		/* Leave early only on a final status actually read: a transient
		 * failure to read (EMFILE, ENOMEM) must not cancel the revert;
		 * hr_rollback_run() re-checks the status under the lock anyway. */
		if (st && strcmp(st, "awaiting-confirm") && strcmp(st, "confirm-expired") &&
		    strcmp(st, "in-progress")) {
			json_decref(t);
			return 0; /* confirmed, or rolled back by hand or by another command */
		}
		if (t && hr_txn_deadline_ms(t) > 0)
			deadline_ms = hr_txn_deadline_ms(t);
		json_decref(t);
		if (deadline_ms <= 0) {
			hr_err_set(err, e.code ? e.code : -ENOENT, "transaction %s: no confirm deadline (%s)", id,
				   e.msg[0] ? e.msg : "not awaiting confirmation");
			return err ? err->code : -ENOENT;
		}
		left = deadline_ms - hr_wall_ms();
		if (left <= 0)
			break;
		usleep((useconds_t)(left > 100 ? 100 : left) * 1000);
	}
	/* Wait for any apply or rollback in progress: its plan read the
	 * values this one restores. */
	lock = hr_state_lock(state_dir, true, err);
	if (lock < 0)
		return lock;
	r = hr_rollback_run(state_dir, id, false, "confirm-timeout", err);
	close(lock);
	if (!r)
		return err && err->code ? err->code : -EIO;
	json_decref(r);
	return 0;
}

/* Double fork + setsid: the watcher survives the terminal and the caller,
 * stays in this network namespace, and holds no inherited descriptors.
 * Returns the watcher's pid or -errno. */
static pid_t fork_watcher(const char *state_dir, const char *id, int64_t deadline_ms)
{
	int pfd[2], status;
	pid_t child, pid = -1;

	if (pipe(pfd) < 0)
		return -errno;
	fflush(NULL);
	child = fork();
	if (child < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -errno;
	}
	if (child == 0) {
		pid_t gc;
		int fd, maxfd;

		close(pfd[0]);
		setsid();
		signal(SIGHUP, SIG_IGN);
		gc = fork();
		if (gc != 0) {
			if (gc > 0 && write(pfd[1], &gc, sizeof(gc)) != sizeof(gc))
				_exit(1);
			_exit(gc > 0 ? 0 : 1);
		}
		close(pfd[1]);
		if (chdir("/") < 0)
			_exit(1);
		fd = open("/dev/null", O_RDWR);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		maxfd = (int)sysconf(_SC_OPEN_MAX);
		for (fd = 3; fd < maxfd && fd < 4096; fd++)
			close(fd);
		_exit(hr_confirm_watch(state_dir, id, deadline_ms, NULL) < 0);
	}
	close(pfd[1]);
	if (read(pfd[0], &pid, sizeof(pid)) != sizeof(pid))
		pid = -ECHILD;
	close(pfd[0]);
	waitpid(child, &status, 0);
	return pid;
}

void hr_confirm_unit_cmd(struct hr_watch_unit *u, const char *exe, const char *state_dir, const char *id,
			 long pid)
{
	size_t k = 0;

	snprintf(u->unit, sizeof(u->unit), "--unit=headroom-confirm-%s", id);
	snprintf(u->desc, sizeof(u->desc), "--description=headroom: roll back transaction %s unless confirmed",
		 id);
	/* systemd opens the namespace when it starts the unit, which
	 * systemd-run waits for while this process (and its namespace) lives. */
	snprintf(u->netns, sizeof(u->netns), "--property=NetworkNamespacePath=/proc/%ld/ns/net", pid);
	snprintf(u->exe, sizeof(u->exe), "%s", exe);
	snprintf(u->state, sizeof(u->state), "%s", state_dir);
	snprintf(u->id, sizeof(u->id), "%s", id);
	u->argv[k++] = "systemd-run";
	u->argv[k++] = "--quiet";
	u->argv[k++] = "--collect";
	u->argv[k++] = "--service-type=exec";
	u->argv[k++] = u->unit;
	u->argv[k++] = u->desc;
	u->argv[k++] = u->netns;
	u->argv[k++] = "--";
	u->argv[k++] = u->exe;
	u->argv[k++] = "rollback";
	u->argv[k++] = "--at-deadline";
	u->argv[k++] = "--state-dir";
	u->argv[k++] = u->state;
	u->argv[k++] = u->id;
	u->argv[k] = NULL;
}

/* True when systemd is the init system (sd_booted(3): /run/systemd/system). */
static bool systemd_booted(void)
{
	struct stat st;

	return lstat("/run/systemd/system", &st) == 0 && S_ISDIR(st.st_mode);
}

/* Starts the watcher as a transient unit: its own cgroup, outside the
 * caller's session and scope, so ending a login session, a service's stop
 * timeout or an OOM kill of the caller's cgroup leaves it running. 0 when
 * systemd-run started it (exit 0 within UNIT_START_TIMEOUT_MS), -errno. */
static int unit_watcher(const char *state_dir, const char *id, char *unit, size_t unit_n)
{
	struct hr_watch_unit u;
	char exe[PATH_MAX];
	ssize_t k = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	int status, waited;
	pid_t pid;

	if (k <= 0)
		return -ENOENT;
	exe[k] = '\0';
	hr_confirm_unit_cmd(&u, exe, state_dir, id, (long)getpid());
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);

		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(u.argv[0], (char *const *)u.argv);
		_exit(127);
	}
	for (waited = 0; waited < UNIT_START_TIMEOUT_MS; waited += 20) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return -errno;
		usleep(20000);
	}
	if (waited >= UNIT_START_TIMEOUT_MS) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return -ETIMEDOUT;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -ECHILD;
	snprintf(unit, unit_n, "%.100s.service", u.unit + strlen("--unit="));
	return 0;
}

json_t *hr_confirm_arm(const char *state_dir, const char *id, int64_t deadline_ms)
{
	const char *how = getenv("HEADROOM_CONFIRM_WATCHER");
	char abs[PATH_MAX], unit[128];
	pid_t w;

	/* The watcher runs from / (and systemd's unit from its own cwd). */
	if (!realpath(state_dir, abs))
		return NULL;
	if ((!how || strcmp(how, "fork")) && systemd_booted() &&
	    unit_watcher(abs, id, unit, sizeof(unit)) == 0)
		return json_pack("{s:s}", "unit", unit);
	w = fork_watcher(abs, id, deadline_ms);
	return w > 0 ? json_pack("{s:i}", "pid", (int)w) : NULL;
}

/* The "by" of a transaction's last rollback record, or NULL. */
static const char *rolled_back_by(const json_t *txn)
{
	const char *by = NULL;
	json_t *ev;
	size_t i;

	json_array_foreach(json_object_get(txn, "events"), i, ev)
		if (!strcmp(json_string_value(json_object_get(ev, "type")), "rollback"))
			by = json_string_value(json_object_get(ev, "by"));
	return by;
}

int hr_confirm_run(const char *state_dir, const char *id, struct hr_err *err)
{
	json_t *txn;
	hr_journal *j;
	const char *status;
	int64_t deadline;
	char when[48];
	int r = hr_journal_open(state_dir, id, true, &j, err);

	if (r < 0)
		return r;
	txn = hr_journal_read_err(j, err);
	if (!txn) {
		hr_journal_close(j);
		return -EBADMSG;
	}
	status = hr_txn_status(txn, false);
	deadline = hr_txn_deadline_ms(txn);
	hr_utc_text(when, sizeof(when), deadline);
	if (!strcmp(status, "awaiting-confirm")) {
		r = hr_journal_append(j, json_pack("{s:s}", "type", "confirmed"));
		if (r < 0)
			hr_err_set(err, r, "transaction %s: cannot record the confirmation: %s", id, strerror(-r));
	} else if (!strcmp(status, "confirm-expired")) {
		r = -ETIME;
		hr_err_set(err, r, "transaction %s was not confirmed: %s, and it is not rolled back yet: 'headroom rollback %s'",
			   id, hr_txn_other_boot(txn) ? "it was awaiting confirmation when the machine went down"
						      : "its deadline passed",
			   id);
	} else if (deadline > 0 && (!strcmp(status, "rolled-back") || !strcmp(status, "rollback-incomplete"))) {
		r = -ETIME;
		hr_err_set(err, r, "transaction %s was not confirmed: its deadline passed at %s and it was rolled back%s (%s)",
			   id, when, strcmp(status, "rolled-back") ? ", incompletely" : "",
			   rolled_back_by(txn) ? rolled_back_by(txn) : "by hand");
	} else {
		r = -EALREADY;
		hr_err_set(err, r, "transaction %s is not awaiting confirmation (status %s)", id, status);
	}
	json_decref(txn);
	hr_journal_close(j);
	return r;
}

json_t *hr_confirm_expire(const char *state_dir, const char *by, bool have_lock)
{
	json_t *out = json_array();
	char **ids;
	size_t n, i;
	struct hr_err lerr = {0};
	int lock = -1;

	if (hr_journal_list(state_dir, &ids, &n) < 0)
		return out;
	for (i = 0; i < n; i++) {
		struct hr_err e = {0};
		bool busy;
		json_t *t = hr_journal_peek(state_dir, ids[i], &busy, NULL), *res;

		if (t && !strcmp(hr_txn_status(t, busy), "confirm-expired")) {
			/* One rollback at a time: wait for a watcher or another
			 * command doing the same (it then finds nothing to do). */
			if (lock < 0 && !have_lock)
				lock = hr_state_lock(state_dir, true, &lerr);
			res = lock < 0 && !have_lock ? NULL : hr_rollback_run(state_dir, ids[i], false, by, &e);
			json_array_append_new(out, json_pack("{s:s, s:I, s:b, s:o?, s:s?}", "txn", ids[i], "deadline_ms",
							     (json_int_t)hr_txn_deadline_ms(t), "other_boot",
							     hr_txn_other_boot(t), "rollback", res, "error",
							     res ? NULL : lerr.msg[0] ? lerr.msg : e.msg));
		}
		json_decref(t);
		free(ids[i]);
	}
	free(ids);
	if (lock >= 0)
		close(lock);
	return out;
}
