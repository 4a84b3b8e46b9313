/* test_mindex.c - the manager's index (lib/state/mindex.h): its text, and
 * loading and saving it under a job_ids_dir. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "mindex.h"
#include "unit.h"
#include "xio.h"

/* manager.index: what parses, what is refused, and that the text written
 * back is ascending and a fixed point. */
START_TEST(index_text)
{
	static const char *const bad[] = {
		"",
		"# eessi-bot manager index 0\n",
		"# eessi-bot manager index 1\n7 8 /j",          /* no newline */
		"# eessi-bot manager index 1\n9 1 /a\n8 1 /b\n", /* descending */
		"# eessi-bot manager index 1\n7 7 /a\n7 7 /b\n", /* twice */
		"# eessi-bot manager index 1\n0 1 /a\n",       /* id 0 */
		"# eessi-bot manager index 1\n7 x /a\n",
		"# eessi-bot manager index 1\n7 8 j\n",        /* relative */
		"# eessi-bot manager index 1\n7 8 /a\tb\n",    /* control */
		"# eessi-bot manager index 1\n7 8\n",
	};
	/* comment ids past 2^32, as GitHub's are becoming */
	const char *good = "# eessi-bot manager index 1\n"
			   "7 8 /jobs/a b\n12 8 /jobs/c\n13 12345678901234 /jobs/d\n";
	struct buf t = BUF_INIT(4096);
	size_t n = 99;

	ck_assert_int_eq(mindex_normalise(good, strlen(good), &t, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(t.s, good);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_truncate(&t, 0);
		ck_assert_msg(mindex_normalise(bad[i], strlen(bad[i]), &t, &n) == -1,
			      "bad index %zu accepted", i);
		ck_assert_uint_eq(n, 0);
		ck_assert_uint_eq(t.len, 0);
	}
	buf_release(&t);
}
END_TEST

/* Loaded, followed and saved as an iteration does: an entry whose record
 * was not seen, or was moved, is not written back; nothing changed, the
 * file is not written at all. */
START_TEST(load_and_save)
{
	char dir[256], path[512];
	struct mindex ix;
	struct buf text = BUF_INIT(4096);
	struct err e = ERR_INIT;
	struct mindex_ent *x;
	struct stat st1, st2;
	const char *first = "# eessi-bot manager index 1\n"
			    "7 8 /jobs/a\n12 8 /jobs/c\n13 9 /jobs/d\n";

	unit_mkdtemp(dir, sizeof(dir), "mindex");
	snprintf(path, sizeof(path), "%s/" MINDEX_NAME, dir);
	memset(&ix, 0, sizeof(ix));
	/* missing: dirty, made again */
	mindex_load(&ix, dir);
	ck_assert_uint_eq(ix.n, 0);
	ck_assert_int_eq(ix.dirty, 1);
	mindex_clear(&ix);
	ck_assert_int_eq(xio_write_atomic(path, first, strlen(first), 0644, &e), 0);
	mindex_load(&ix, dir);
	ck_assert_uint_eq(ix.n, 3);
	ck_assert_int_eq(ix.dirty, 0);
	ck_assert_ptr_null(mindex_find(&ix, 8));
	/* every record seen: nothing to write */
	for (long long id = 7; id <= 13; id++)
		if ((x = mindex_find(&ix, id)))
			x->present = 1;
	ck_assert_int_eq(stat(path, &st1), 0);
	ck_assert_int_eq(mindex_save(&ix, dir, &e), 0);
	ck_assert_int_eq(stat(path, &st2), 0);
	ck_assert_uint_eq(st1.st_ino, st2.st_ino); /* not rewritten */
	/* 12 moved, 13 gone, 20 new */
	mindex_find(&ix, 12)->moved = 1;
	mindex_find(&ix, 13)->present = 0;
	ck_assert_ptr_nonnull(mindex_put(&ix, 20, 9, "/jobs/e", 7));
	ck_assert_ptr_null(mindex_find(&ix, 20)); /* until sorted */
	mindex_sort(&ix);
	ck_assert_str_eq(mindex_find(&ix, 20)->dir, "/jobs/e");
	ck_assert_int_eq(mindex_save(&ix, dir, &e), 0);
	ck_assert_int_eq(xio_read_file(path, &text, 1, &e), 0);
	ck_assert_str_eq(text.s, "# eessi-bot manager index 1\n7 8 /jobs/a\n20 9 /jobs/e\n");
	mindex_clear(&ix);
	/* damaged: cleared, dirty, made again */
	ck_assert_int_eq(xio_write_atomic(path, "junk\n", 5, 0644, &e), 0);
	mindex_load(&ix, dir);
	ck_assert_uint_eq(ix.n, 0);
	ck_assert_int_eq(ix.dirty, 1);
	mindex_clear(&ix);
	buf_release(&text);
	unit_rm_rf(dir);
}
END_TEST

Suite *mindex_suite(void)
{
	Suite *s = suite_create("mindex");
	TCase *tc = tcase_create("mindex");

	tcase_add_test(tc, index_text);
	tcase_add_test(tc, load_and_save);
	suite_add_tcase(s, tc);
	return s;
}
