/* test_retention.c - what the manager removes as old (lib/flows/retention.h):
 * done/ and failed/ entries past their days, with their .reason and effect
 * journals; trash days past keep_trash_days; never an entry still young,
 * incoming/ or claimed/, a name that is not a delivery or a day, nor
 * anything when keep_trash_days is 0.  And a closed PR's sweep, whose
 * marker stays until its directories are in the trash. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "lifecycle.h"
#include "retention.h"
#include "unit.h"
#include "xio.h"

#define NOW 1800000000LL /* 2027-01-15 */
#define DAY 86400LL

static char dir[256];

static void file(const char *rel, long long mtime)
{
	char p[512];
	struct err e = ERR_INIT;
	struct timeval tv[2];
	char *slash;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	slash = strrchr(p, '/');
	*slash = '\0';
	ck_assert_int_eq(xio_mkdir_p(p, 0755, &e), 0);
	*slash = '/';
	ck_assert_int_eq(xio_write_atomic(p, "x\n", 2, 0644, &e), 0);
	tv[0].tv_sec = tv[1].tv_sec = (time_t)mtime;
	tv[0].tv_usec = tv[1].tv_usec = 0;
	ck_assert_int_eq(utimes(p, tv), 0);
}

static int there(const char *rel)
{
	char p[512];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	return lstat(p, &st) == 0;
}

static struct conf *conf_for(long long keep_trash)
{
	char text[2048];

	snprintf(text, sizeof(text),
		 "github = { app_id = 1; app_name = \"b\"; installation_id = 2;\n"
		 "  private_key = \"/etc/key.pem\"; };\n"
		 "buildenv = { build_job_script = \"/opt/job.slurm\";\n"
		 "  jobs_base_dir = \"%s/jobs\"; };\n"
		 "architecturetargets = { arch_target_map = ( { target = \"linux/x86_64/generic\"; } ); };\n"
		 "event_handler = { spool_dir = \"%s/spool\"; keep_done_days = 30;\n"
		 "  keep_failed_days = 90; };\n"
		 "job_manager = { job_ids_dir = \"%s/ids\"; };\n"
		 "clean_up = { keep_trash_days = %lld; };\n", dir, dir, dir, keep_trash);
	return unit_conf(text);
}

#define OLD_D "11111111-1111-1111-1111-111111111111"
#define NEW_D "22222222-2222-2222-2222-222222222222"
#define OLD_F "33333333-3333-3333-3333-333333333333"
#define MID_F "44444444-4444-4444-4444-444444444444"

START_TEST(old_entries_and_days_go)
{
	struct retention_stats st;
	struct err e = ERR_INIT;
	struct conf *c;

	unit_mkdtemp(dir, sizeof(dir), "retention");
	c = conf_for(30);
	file("spool/done/" OLD_D, NOW - 31 * DAY);
	file("spool/effects/" OLD_D, NOW - 31 * DAY);
	file("spool/done/" NEW_D, NOW - 29 * DAY);
	file("spool/effects/" NEW_D, NOW - 29 * DAY);
	file("spool/done/not-a-delivery", NOW - 400 * DAY);
	file("spool/failed/" OLD_F, NOW - 91 * DAY);
	file("spool/failed/" OLD_F ".reason", NOW - 91 * DAY);
	file("spool/failed/" MID_F, NOW - 60 * DAY); /* a failed one stays longer */
	file("spool/incoming/" OLD_D "0", NOW - 400 * DAY);
	file("spool/claimed/" OLD_F, NOW - 400 * DAY);
	file("jobs/trash_bin/2026.12.01/o/n/pr_1/event_x/f", NOW);
	file("jobs/trash_bin/2026.12.20/o/n/pr_2/event_y/f", NOW);
	file("jobs/trash_bin/notaday/f", NOW);
	ck_assert_int_eq(retention_sweep(c, NOW, &st, &e), 0);
	ck_assert_uint_eq(st.done, 1);
	ck_assert_uint_eq(st.failed, 1);
	ck_assert_uint_eq(st.trash, 1);
	ck_assert(!there("spool/done/" OLD_D) && !there("spool/effects/" OLD_D));
	ck_assert(there("spool/done/" NEW_D) && there("spool/effects/" NEW_D));
	ck_assert(there("spool/done/not-a-delivery"));
	ck_assert(!there("spool/failed/" OLD_F) && !there("spool/failed/" OLD_F ".reason"));
	ck_assert(there("spool/failed/" MID_F));
	ck_assert(there("spool/claimed/" OLD_F));
	ck_assert(!there("jobs/trash_bin/2026.12.01"));
	ck_assert(there("jobs/trash_bin/2026.12.20/o/n/pr_2/event_y/f"));
	ck_assert(there("jobs/trash_bin/notaday/f"));
	/* a second pass finds nothing */
	ck_assert_int_eq(retention_sweep(c, NOW, &st, &e), 0);
	ck_assert_uint_eq(st.done + st.failed + st.trash, 0);
	conf_free(c);
	/* keep_trash_days 0: the trash is never emptied */
	c = conf_for(0);
	ck_assert_int_eq(retention_sweep(c, NOW + 3650 * DAY, &st, &e), 0);
	ck_assert_uint_eq(st.trash, 0);
	ck_assert(there("jobs/trash_bin/2026.12.20"));
	conf_free(c);
	unit_rm_rf(dir);
}
END_TEST

/* A closed PR's directories go to the trash (lib/flows/lifecycle.h); a
 * move that fails for a reason that may pass keeps the closed marker, so
 * the next iteration tries again; once it works the marker goes. */
START_TEST(closed_sweep_keeps_its_marker_until_moved)
{
	struct err e = ERR_INIT;
	struct conf *c;
	unsigned moved = 0;
	char path[600];

	unit_mkdtemp(dir, sizeof(dir), "retention");
	c = conf_for(30);
	file("ids/closed/o/n/7", NOW);
	file("jobs/2027.01/o/n/pr_7/event_x/run_000/f", NOW);
	file("jobs/trash_bin", NOW); /* a file where the trash goes: ENOTDIR */
	ck_assert_int_eq(lifecycle_sweep(c, NOW, &moved, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "trash_bin"));
	ck_assert_uint_eq(moved, 0);
	ck_assert(there("ids/closed/o/n/7"));
	ck_assert(there("jobs/2027.01/o/n/pr_7/event_x/run_000/f"));
	snprintf(path, sizeof(path), "%s/jobs/trash_bin", dir);
	ck_assert_int_eq(unlink(path), 0);
	err_clear(&e);
	ck_assert_msg(lifecycle_sweep(c, NOW, &moved, &e) == 0, "%s", e.msg);
	ck_assert_uint_eq(moved, 1);
	ck_assert(!there("ids/closed/o/n/7"));
	ck_assert(!there("jobs/2027.01/o/n/pr_7"));
	ck_assert(there("jobs/trash_bin/2027.01.15/o/n/pr_7/event_x/run_000/f"));
	conf_free(c);
	unit_rm_rf(dir);
}
END_TEST

Suite *retention_suite(void)
{
	Suite *s = suite_create("retention");
	TCase *tc = tcase_create("retention");

	tcase_add_test(tc, old_entries_and_days_go);
	tcase_add_test(tc, closed_sweep_keeps_its_marker_until_moved);
	suite_add_tcase(s, tc);
	return s;
}
