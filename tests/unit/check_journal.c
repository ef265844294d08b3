/* Unit tests of the journal: state dir checks, begin/append/read, status. */
#include "config.h"

#include <errno.h>
#include <sys/file.h>
#include <unistd.h>

#include "apply-unit.h"
#include "bounds.h"
#include "apply.h"
#include "journal.h"

START_TEST(test_state_dir)
{
	char *d = ut_tmpdir(), p[4200];
	struct hr_err e = {0};

	snprintf(p, sizeof(p), "%s/state", d);
	ck_assert_int_eq(hr_state_check(p, false, &e), -ENOENT);
	hr_err_clear(&e);
	ck_assert_int_eq(hr_state_check(p, true, &e), 0);
	{
		struct stat st;

		ck_assert_int_eq(stat(p, &st), 0);
		ck_assert_int_eq(st.st_mode & 07777, 0700);
	}
	snprintf(p, sizeof(p), "%s/link", d);
	ck_assert_int_eq(symlink("state", p), 0);
	ck_assert_int_eq(hr_state_check(p, true, &e), -ELOOP);
	hr_err_clear(&e);
	snprintf(p, sizeof(p), "%s/open", d);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	ck_assert_int_eq(chmod(p, 0770), 0);
	ck_assert_int_eq(hr_state_check(p, true, &e), -EPERM);
	ck_assert_ptr_nonnull(strstr(e.msg, "group or world writable"));
	ut_rmtree(d);
}
END_TEST

START_TEST(test_txn)
{
	char *d = ut_tmpdir(), **ids;
	struct hr_err e = {0};
	hr_journal *j, *j2;
	json_t *h = json_pack("{s:[{s:s, s:s, s:s}]}", "entries", "key", "a.b", "old", "1", "new", "2");
	json_t *t;
	size_t n;
	bool busy;
	char id[64];

	ck_assert_int_eq(hr_journal_begin(d, h, &j, &e), 0);
	json_decref(h);
	snprintf(id, sizeof(id), "%s", hr_journal_id(j));
	/* Locked while in progress: a second open does not get it. */
	ck_assert_int_eq(hr_journal_open(d, id, false, &j2, &e), -EBUSY);
	hr_err_clear(&e);
	t = hr_journal_peek(d, id, &busy, &e);
	ck_assert(busy);
	ck_assert_str_eq(hr_txn_status(t, busy), "in-progress");
	json_decref(t);
	hr_journal_append(j, json_pack("{s:s, s:s}", "type", "written", "key", "a.b"));
	hr_journal_close(j);
	/* No outcome and no lock holder: interrupted. */
	t = hr_journal_peek(d, id, &busy, &e);
	ck_assert(!busy);
	ck_assert_str_eq(hr_txn_status(t, busy), "interrupted");
	ck_assert(hr_txn_status_needs_rollback("interrupted"));
	ck_assert_int_eq(json_array_size(json_object_get(t, "events")), 1);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(t, "header"), "txn")), id);
	json_decref(t);
	/* A torn last line (crash mid-append) is skipped. */
	{
		char path[4200];
		FILE *f;

		snprintf(path, sizeof(path), "%s/txn/%s.journal", d, id);
		f = fopen(path, "a");
		fputs("{\"type\":\"done\",\"outc", f);
		fclose(f);
	}
	ck_assert_int_eq(hr_journal_open(d, id, false, &j, &e), 0);
	hr_journal_append(j, json_pack("{s:s, s:s}", "type", "done", "outcome", "applied"));
	t = hr_journal_read(j);
	ck_assert_str_eq(hr_txn_status(t, false), "applied");
	json_decref(t);
	hr_journal_close(j);
	ck_assert_int_eq(hr_journal_list(d, &ids, &n), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(ids[0], id);
	free(ids[0]);
	free(ids);
	ck_assert_int_eq(hr_journal_open(d, "../../etc/passwd", false, &j, &e), -EINVAL);
	ut_rmtree(d);
}
END_TEST

/* Journals over their bounds (bounds.h) are refused naming the file and
 * why: a line over HR_JOURNAL_MAX_LINE, a file over HR_JOURNAL_MAX_FILE. */
START_TEST(test_bounds)
{
	char *d = ut_tmpdir(), path[4200], id[64];
	struct hr_err e = {0};
	hr_journal *j;
	json_t *h = json_pack("{s:[]}", "entries"), *t;
	bool busy;
	FILE *f;
	long i;

	ck_assert_int_eq(hr_journal_begin(d, h, &j, &e), 0);
	json_decref(h);
	snprintf(id, sizeof(id), "%s", hr_journal_id(j));
	hr_journal_close(j);
	snprintf(path, sizeof(path), "%s/txn/%s.journal", d, id);
	/* Within the bounds: read. */
	t = hr_journal_peek(d, id, &busy, &e);
	ck_assert_ptr_nonnull(t);
	json_decref(t);
	/* headroom itself never writes a line over the bound: the append is
	 * refused, nothing is written, and the journal stays readable. */
	{
		char *big = malloc(HR_JOURNAL_MAX_LINE);
		struct stat st0, st1;

		memset(big, 'a', HR_JOURNAL_MAX_LINE - 1);
		big[HR_JOURNAL_MAX_LINE - 1] = '\0';
		ck_assert_int_eq(stat(path, &st0), 0);
		ck_assert_int_eq(hr_journal_open(d, id, false, &j, &e), 0);
		ck_assert_int_eq(hr_journal_append(j, json_pack("{s:s, s:s}", "type", "x", "v", big)), -EMSGSIZE);
		big[HR_JOURNAL_MAX_LINE - 100] = '\0';
		{
			json_t *ev = json_pack("{s:s, s:s}", "type", "x", "v", big);

			ck_assert_uint_le(hr_journal_line_len(ev) + HR_JOURNAL_TIME_LEN, HR_JOURNAL_MAX_LINE);
			json_decref(ev);
		}
		hr_journal_close(j);
		ck_assert_int_eq(stat(path, &st1), 0);
		ck_assert_int_eq(st0.st_size, st1.st_size);
		t = hr_journal_peek(d, id, &busy, &e);
		ck_assert_ptr_nonnull(t);
		json_decref(t);
		free(big);
	}
	/* Line 2 is one byte over the line bound. */
	f = fopen(path, "a");
	ck_assert_ptr_nonnull(f);
	fputs("{\"type\":\"x\",\"v\":\"", f);
	for (i = 0; i < HR_JOURNAL_MAX_LINE; i++)
		fputc('a', f);
	fputs("\"}\n", f);
	fclose(f);
	t = hr_journal_peek(d, id, &busy, &e);
	ck_assert_ptr_null(t);
	ck_assert_msg(strstr(e.msg, path) && strstr(e.msg, "line 2 longer than 256 KiB"), "%s", e.msg);
	hr_err_clear(&e);
	ck_assert_int_eq(truncate(path, HR_JOURNAL_MAX_FILE + 1), 0);
	ck_assert_int_eq(hr_journal_open(d, id, false, &j, &e), 0);
	t = hr_journal_read_err(j, &e);
	ck_assert_ptr_null(t);
	ck_assert_msg(strstr(e.msg, path) && strstr(e.msg, "larger than 16 MiB"), "%s", e.msg);
	hr_journal_close(j);
	ut_rmtree(d);
}
END_TEST

/* A reserved journal holds its space before the first record (KEEP_SIZE:
 * the file's length is only the header), so appends cannot meet ENOSPC. */
START_TEST(test_reserve)
{
	char *d = ut_tmpdir(), path[4200];
	struct hr_err e = {0};
	json_t *h = json_pack("{s:[]}", "entries");
	hr_journal *j;
	struct stat st;

	ck_assert_int_eq(hr_journal_begin_reserved(d, h, 1 << 20, &j, &e), 0);
	json_decref(h);
	snprintf(path, sizeof(path), "%s/txn/%s.journal", d, hr_journal_id(j));
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_lt(st.st_size, 4096);
	/* Where the file system supports fallocate (tmpfs, ext4, xfs, btrfs). */
	if (st.st_blocks * 512 < (1 << 20))
		fprintf(stderr, "# no fallocate on %s: reservation not checked\n", d);
	else
		ck_assert_int_ge(st.st_blocks * 512, 1 << 20);
	ck_assert_int_eq(hr_journal_append(j, json_pack("{s:s}", "type", "done")), 0);
	hr_journal_close(j);
	ut_rmtree(d);
}
END_TEST

/* The confirm deadline is the journal's: awaiting confirmation before it,
 * expired after it whatever became of the watcher, and expired when the
 * journal is from an earlier boot. */
START_TEST(test_confirm_status)
{
	json_t *t = json_pack("{s:{s:s, s:s}, s:[{s:s, s:s}, {s:s, s:I}, {s:s, s:i}]}", "header", "root", "",
			      "boot_id", "x", "events", "type", "done", "outcome", "applied", "type",
			      "confirm_wait", "deadline_ms", (json_int_t)(hr_wall_ms() + 60000), "type", "watcher",
			      "pid", 999999);
	char *boot = hr_boot_id();
	json_t *hdr = json_object_get(t, "header");

	ck_assert_ptr_nonnull(boot);
	json_object_set_new(hdr, "boot_id", json_string(boot));
	ck_assert_str_eq(hr_txn_status(t, false), "awaiting-confirm");
	/* The watcher's pid names no process: still awaiting until the deadline. */
	ck_assert(!hr_txn_other_boot(t));
	json_object_set_new(json_array_get(json_object_get(t, "events"), 1), "deadline_ms",
			    json_integer((json_int_t)(hr_wall_ms() - 1)));
	ck_assert_str_eq(hr_txn_status(t, false), "confirm-expired");
	ck_assert(hr_txn_status_needs_rollback("confirm-expired"));
	/* Another boot: expired even before the deadline. */
	json_object_set_new(json_array_get(json_object_get(t, "events"), 1), "deadline_ms",
			    json_integer((json_int_t)(hr_wall_ms() + 60000)));
	json_object_set_new(hdr, "boot_id", json_string("00000000-0000-0000-0000-000000000000"));
	ck_assert(hr_txn_other_boot(t));
	ck_assert_str_eq(hr_txn_status(t, false), "confirm-expired");
	/* A tree (--root) has no boot. */
	json_object_set_new(hdr, "root", json_string("/tmp/tree"));
	ck_assert_str_eq(hr_txn_status(t, false), "awaiting-confirm");
	json_decref(t);
	free(boot);
}
END_TEST

/* The watcher's transient unit (the suite starts none): its own unit named
 * after the transaction, in the caller's network namespace, running
 * 'rollback --at-deadline' with the absolute state directory. */
START_TEST(test_confirm_unit)
{
	struct hr_watch_unit u;
	const char *want[] = {"systemd-run", "--quiet", "--collect", "--service-type=exec",
			      "--unit=headroom-confirm-20260101-000000-001",
			      "--description=headroom: roll back transaction 20260101-000000-001 unless confirmed",
			      "--property=NetworkNamespacePath=/proc/4242/ns/net", "--", "/usr/bin/headroom",
			      "rollback", "--at-deadline", "--state-dir", "/var/lib/headroom", "20260101-000000-001",
			      NULL};
	size_t i;

	hr_confirm_unit_cmd(&u, "/usr/bin/headroom", "/var/lib/headroom", "20260101-000000-001", 4242);
	for (i = 0; want[i]; i++)
		ck_assert_str_eq(u.argv[i], want[i]);
	ck_assert_ptr_null(u.argv[i]);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("journal");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_state_dir);
	tcase_add_test(tc, test_txn);
	tcase_add_test(tc, test_bounds);
	tcase_add_test(tc, test_reserve);
	tcase_add_test(tc, test_confirm_status);
	tcase_add_test(tc, test_confirm_unit);
	suite_add_tcase(s, tc);
	return ut_run(s);
}
