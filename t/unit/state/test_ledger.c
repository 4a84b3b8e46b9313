/* test_ledger.c - the deploy ledger (lib/state/ledger.h): what is written
 * is read back by the next run; a damaged file is skipped, not fatal. */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "ledger.h"
#include "unit.h"
#include "xio.h"

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

START_TEST(add_then_load)
{
	char dir[256], path[512];
	struct ledger l, again;
	struct err e = ERR_INIT;
	struct buf text = BUF_INIT(8192);
	const struct ledger_ent *x;
	struct ledger_new n = {
		.sha256 = SHA_A, .key = "sw/x86_64/amd/zen2/eessi-2023.06-software-1.tar.gz",
		.meta_key = "sw/x86_64/amd/zen2/eessi-2023.06-software-1.tar.gz.meta.txt",
		.bucket = "b", .repo = "o/r", .prefix = "eessi-2023.06-software-linux-x86_64-amd-zen2",
		.delivery = "11111111-2222-3333-4444-555555555555",
		.pr = 7, .job_id = 1001, .size = 12345,
	};

	unit_mkdtemp(dir, sizeof(dir), "ledger");
	memset(&l, 0, sizeof(l));
	memset(&again, 0, sizeof(again));
	ledger_load(&l, dir); /* no directory: empty */
	ck_assert_int_eq(l.read, 1);
	ck_assert_uint_eq(l.n, 0);
	ck_assert_int_eq(ledger_add(&l, dir, &n, &e), 0);
	ck_assert_ptr_nonnull(ledger_find(&l, SHA_A));
	ck_assert_ptr_null(ledger_find(&l, SHA_B));
	ck_assert_int_eq(ledger_has_prefix(&l, "o/r", 7, n.prefix), 1);
	ck_assert_int_eq(ledger_has_prefix(&l, "o/r", 8, n.prefix), 0);
	ck_assert_int_eq(ledger_has_prefix(&l, "o/q", 7, n.prefix), 0);
	/* the file, as the original layout keeps it */
	snprintf(path, sizeof(path), "%s/deploy/uploaded/" SHA_A, dir);
	ck_assert_int_eq(xio_read_file(path, &text, 1, &e), 0);
	ck_assert_ptr_nonnull(strstr(text.s, "[UPLOADED]\n"));
	ck_assert_ptr_nonnull(strstr(text.s, "job_id = 1001\n"));
	ck_assert_ptr_nonnull(strstr(text.s, "bucket = b\n"));
	/* a damaged one beside it, and a name that is no SHA-256 */
	snprintf(path, sizeof(path), "%s/deploy/uploaded/" SHA_B, dir);
	ck_assert_int_eq(xio_write_atomic(path, "[UPLOADED\n", 10, 0644, &e), 0);
	snprintf(path, sizeof(path), "%s/deploy/uploaded/notes", dir);
	ck_assert_int_eq(xio_write_atomic(path, "[UPLOADED]\n", 11, 0644, &e), 0);
	ledger_load(&again, dir);
	ck_assert_uint_eq(again.n, 1);
	x = ledger_find(&again, SHA_A);
	ck_assert_ptr_nonnull(x);
	ck_assert_str_eq(x->key, n.key);
	ck_assert_str_eq(x->delivery, n.delivery);
	ck_assert_int_eq(x->size, 12345);
	ck_assert_int_eq(x->pr, 7);
	/* not a SHA-256: refused, nothing written */
	n.sha256 = "../../etc";
	ck_assert_int_eq(ledger_add(&l, dir, &n, &e), -1);
	ck_assert_uint_eq(l.n, 1);
	ledger_free(&l);
	ledger_free(&again);
	buf_release(&text);
	unit_rm_rf(dir);
}
END_TEST

Suite *ledger_suite(void)
{
	Suite *s = suite_create("ledger");
	TCase *tc = tcase_create("ledger");

	tcase_add_test(tc, add_then_load);
	suite_add_tcase(s, tc);
	return s;
}
