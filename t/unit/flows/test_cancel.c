/* test_cancel.c - what cancelled a job (lib/flows/cancel.h): the marker
 * bot: cancel (or a closed pull request) leaves before scancel runs, read
 * by the manager, removed when the record moves; a marker that does not
 * hold a note the bot writes (or a login, as earlier versions wrote) is no
 * answer.  The command itself: t/e2e/50-build.sh (real Slurm). */
#include <stdio.h>
#include <string.h>

#include "cancel.h"
#include "unit.h"
#include "xio.h"

START_TEST(marker_read_and_forgotten)
{
	char dir[256], path[512], login[96];
	struct err e = ERR_INIT;

	unit_mkdtemp(dir, sizeof(dir), "cancel");
	ck_assert_int_eq(cancel_note(dir, 1001, login, sizeof(login)), 0);
	snprintf(path, sizeof(path), "%s/" CANCEL_DIR, dir);
	ck_assert_int_eq(xio_mkdir_p(path, 0755, &e), 0);
	snprintf(path, sizeof(path), "%s/" CANCEL_DIR "/1001", dir);
	ck_assert_int_eq(xio_write_atomic(path, "alice\n", 6, 0644, &e), 0);
	ck_assert_int_eq(cancel_note(dir, 1001, login, sizeof(login)), 1);
	ck_assert_str_eq(login, "cancelled by alice");
	ck_assert_int_eq(cancel_note(dir, 1002, login, sizeof(login)), 0);
	/* not a login: no answer (a row never says what a file made up) */
	ck_assert_int_eq(xio_write_atomic(path, "<b>x</b>\n", 9, 0644, &e), 0);
	ck_assert_int_eq(cancel_note(dir, 1001, login, sizeof(login)), 0);
	ck_assert_int_eq(xio_write_atomic(path, "cancelled by x y\n", 17, 0644, &e), 0);
	ck_assert_int_eq(cancel_note(dir, 1001, login, sizeof(login)), 0);
	ck_assert_int_eq(xio_write_atomic(path, "cancelled by bob\n", 17, 0644, &e), 0);
	ck_assert_int_eq(cancel_note(dir, 1001, login, sizeof(login)), 1);
	ck_assert_str_eq(login, "cancelled by bob");
	ck_assert_int_eq(xio_write_atomic(path, "cancelled: the pull request was merged\n",
					  39, 0644, &e), 0);
	ck_assert_int_eq(cancel_note(dir, 1001, login, sizeof(login)), 1);
	ck_assert_str_eq(login, "cancelled: the pull request was merged");
	cancel_forget(dir, 1001);
	ck_assert_int_eq(unit_count_entries(dir), 1); /* cancelled/ itself */
	snprintf(path, sizeof(path), "%s/" CANCEL_DIR, dir);
	ck_assert_int_eq(unit_count_entries(path), 0);
	cancel_forget(dir, 1001); /* gone already: nothing to do */
	unit_rm_rf(dir);
}
END_TEST

Suite *cancel_suite(void)
{
	Suite *s = suite_create("cancel");
	TCase *tc = tcase_create("cancel");

	tcase_add_test(tc, marker_read_and_forgotten);
	suite_add_tcase(s, tc);
	return s;
}
