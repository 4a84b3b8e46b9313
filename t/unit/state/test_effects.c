/* test_effects.c - a delivery's effects journal (lib/state/effects.h): what a
 * first run wrote is what a second run reads, the last value of a key
 * wins, keys and values out of shape are refused, and removing it leaves
 * nothing; the one millisecond clock (lib/base/clock.h) and the one bounded
 * number parser (lib/base/num.h). */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "effects.h"
#include "num.h"
#include "unit.h"

#define D "72d3162e-cc78-11e3-81ab-4c9367dc0958"

static char dir[256];

static void setup(void)
{
	char p[512];

	unit_mkdtemp(dir, sizeof(dir), "effects");
	snprintf(p, sizeof(p), "%s/effects", dir);
	ck_assert_int_eq(mkdir(p, 0750), 0);
}

static void teardown(void)
{
	unit_rm_rf(dir);
}

START_TEST(written_then_read_by_a_second_run)
{
	struct effects fx, again;
	struct buf v = BUF_INIT(1024);
	struct err e = ERR_INIT;

	ck_assert_int_eq(effects_open(&fx, dir, D, &e), 0);
	ck_assert_int_eq(effects_get(&fx, "reply", &v), 0); /* none yet */
	ck_assert_int_eq(effects_put(&fx, "reply.intent", "1700000000123", &e), 0);
	ck_assert_int_eq(effects_put(&fx, "reply", "42", &e), 0);
	ck_assert_int_eq(effects_put(&fx, "job:eessi.io-2023.06:linux_x86_64/a+b", "7", &e), 0);
	/* a run killed now: the next one reads what was written */
	ck_assert_int_eq(effects_open(&again, dir, D, &e), 0);
	ck_assert_int_eq(effects_get(&again, "reply", &v), 1);
	ck_assert_str_eq(v.s, "42");
	ck_assert_int_eq(effects_get(&again, "reply.intent", &v), 1);
	ck_assert_str_eq(v.s, "1700000000123");
	ck_assert_int_eq(effects_get(&again, "job:eessi.io-2023.06:linux_x86_64/a+b", &v), 1);
	/* a key that is only the start of another is not that key */
	ck_assert_int_eq(effects_get(&again, "repl", &v), 0);
	/* the last value of a key wins (an intent written again) */
	ck_assert_int_eq(effects_put(&again, "reply.intent", "1700000009999", &e), 0);
	ck_assert_int_eq(effects_get(&again, "reply.intent", &v), 1);
	ck_assert_str_eq(v.s, "1700000009999");
	effects_release(&again);
	effects_release(&fx);
	buf_release(&v);
}
END_TEST

START_TEST(bad_keys_and_values_refused)
{
	struct effects fx;
	struct err e = ERR_INIT;
	char long_key[EFFECTS_KEY_MAX + 2];

	ck_assert_int_eq(effects_open(&fx, dir, D, &e), 0);
	ck_assert_int_eq(effects_put(&fx, "", "1", &e), -1);
	err_clear(&e);
	ck_assert_int_eq(effects_put(&fx, "a b", "1", &e), -1);
	err_clear(&e);
	ck_assert_int_eq(effects_put(&fx, "a\nb", "1", &e), -1);
	err_clear(&e);
	ck_assert_int_eq(effects_put(&fx, "reply", "1\nforged 2", &e), -1);
	ck_assert_int_eq(e.code, ERR_INVAL);
	err_clear(&e);
	memset(long_key, 'k', sizeof(long_key) - 1);
	long_key[sizeof(long_key) - 1] = '\0';
	ck_assert_int_eq(effects_put(&fx, long_key, "1", &e), -1);
	err_clear(&e);
	long_key[EFFECTS_KEY_MAX] = '\0';
	ck_assert_int_eq(effects_put(&fx, long_key, "1", &e), 0);
	effects_release(&fx);
}
END_TEST

START_TEST(removed_leaves_nothing)
{
	struct effects fx, again;
	struct buf v = BUF_INIT(64);
	struct err e = ERR_INIT;
	char p[512];

	ck_assert_int_eq(effects_open(&fx, dir, D, &e), 0);
	ck_assert_int_eq(effects_put(&fx, "reaction", "eyes", &e), 0);
	snprintf(p, sizeof(p), "%s/effects/%s", dir, D);
	ck_assert_int_eq(access(p, F_OK), 0);
	ck_assert_int_eq(effects_remove(&fx, &e), 0);
	ck_assert_int_eq(access(p, F_OK), -1);
	ck_assert_int_eq(effects_remove(&fx, &e), 0); /* twice: fine */
	ck_assert_int_eq(effects_open(&again, dir, D, &e), 0);
	ck_assert_int_eq(effects_get(&again, "reaction", &v), 0);
	effects_release(&again);
	effects_release(&fx);
	buf_release(&v);
}
END_TEST

START_TEST(one_clock_two_kinds)
{
	long long m0 = clock_mono_ms(), w = clock_wall_ms();
	long long now = (long long)time(NULL) * 1000;
	struct timespec ts = { 0, 20 * 1000000 };

	ck_assert_int_gt(m0, 0);
	ck_assert_int_lt(w > now ? w - now : now - w, 2000);
	nanosleep(&ts, NULL);
	ck_assert_int_ge(clock_mono_ms() - m0, 19);
}
END_TEST

START_TEST(numbers_bounded)
{
	long long v = 7;

	ck_assert_int_eq(num_parse("0", 0, 10, &v), 0);
	ck_assert_int_eq(v, 0);
	ck_assert_int_eq(num_parse("9223372036854775807", 0, LLONG_MAX, &v), 0);
	ck_assert_int_eq(v, LLONG_MAX);
	ck_assert_int_eq(num_parse("-5", -10, 10, &v), 0);
	ck_assert_int_eq(v, -5);
	v = 7;
	/* a sign where none may be, blanks, '+', hex, trailing text, empty,
	 * overflow, out of range, 20 digits: refused, *out untouched */
	static const char *const bad[] = { "-5", " 1", "1 ", "+1", "0x10", "1a",
		"", "-", "9223372036854775808", "11", "00000000000000000001" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(num_parse(bad[i], 0, 10, &v) == -1 && v == 7,
			      "'%s' taken", bad[i]);
	ck_assert_int_eq(num_parse(NULL, 0, 10, &v), -1);
	ck_assert_int_eq(num_or("42", -1), 42);
	ck_assert_int_eq(num_or("4x2", -1), -1);
	ck_assert_int_eq(num_or(NULL, 3), 3);
}
END_TEST

Suite *effects_suite(void)
{
	Suite *s = suite_create("effects");
	TCase *tc = tcase_create("effects");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, written_then_read_by_a_second_run);
	tcase_add_test(tc, bad_keys_and_values_refused);
	tcase_add_test(tc, removed_leaves_nothing);
	tcase_add_test(tc, one_clock_two_kinds);
	tcase_add_test(tc, numbers_bounded);
	suite_add_tcase(s, tc);
	return s;
}
