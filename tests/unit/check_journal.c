/* Unit tests of the journal: state dir checks, begin/append/read, status. */
#include "config.h"

#include <errno.h>
#include <sys/file.h>
#include <unistd.h>

#include "apply-unit.h"
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

int main(void)
{
	Suite *s = suite_create("journal");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_state_dir);
	tcase_add_test(tc, test_txn);
	tcase_add_test(tc, test_reserve);
	suite_add_tcase(s, tc);
	return ut_run(s);
}
