/* test_names.c - the one home of every rule for a name from outside
 * (lib/base/names.h): job ids, SHA-256s, instances, targets, and how
 * outside bytes are shown in a message. */
#include <string.h>

#include "names.h"
#include "unit.h"

START_TEST(jobid_one_spelling)
{
	static const char *const bad[] = {
		"", "0", "01", "007", "-1", "+1", "1x", " 1", "1 ", "4294967296",
		"12345678901", "99999999999", "1_2", "1+0",
	};
	long long v = -7;

	ck_assert_int_eq(names_jobid("1", 1, &v), 0);
	ck_assert_int_eq(v, 1);
	ck_assert_int_eq(names_jobid("4294967295", 10, &v), 0);
	ck_assert_int_eq(v, NAMES_JOBID_MAX);
	/* only the n bytes count: the id at the start of "2222;cluster" */
	ck_assert_int_eq(names_jobid("2222;cluster", 4, &v), 0);
	ck_assert_int_eq(v, 2222);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = -7;
		ck_assert_msg(names_jobid(bad[i], strlen(bad[i]), &v) == -1,
			      "'%s' accepted", bad[i]);
		ck_assert_int_eq(v, -7); /* untouched */
	}
}
END_TEST

START_TEST(sha256_and_shapes)
{
	char sha[65];

	memset(sha, 'a', 64);
	sha[64] = '\0';
	ck_assert_int_eq(names_valid_sha256(sha), 1);
	ck_assert_int_eq(names_valid_sha(sha), 1);
	sha[40] = '\0';
	ck_assert_int_eq(names_valid_sha256(sha), 0); /* a SHA-1 */
	ck_assert_int_eq(names_valid_sha(sha), 1);
	sha[40] = 'a';
	sha[3] = 'A';
	ck_assert_int_eq(names_valid_sha256(sha), 0);
	ck_assert_int_eq(names_valid_sha256(NULL), 0);

	ck_assert_int_eq(names_valid_instance("site-a.b_c"), 1);
	ck_assert_int_eq(names_valid_instance(""), 0);
	ck_assert_int_eq(names_valid_instance("a b"), 0);
	ck_assert_int_eq(names_valid_instance("a/b"), 0);
	ck_assert_int_eq(names_valid_target("x86_64/amd/zen2"), 1);
	ck_assert_int_eq(names_valid_target("eessi.io-2023.06:gpu+x"), 1);
	ck_assert_int_eq(names_valid_target("x86_64 (nvidia)"), 0);
	ck_assert_int_eq(names_valid_target("a;b"), 0);
	ck_assert_int_eq(names_valid_target_key("x86_64/amd/zen2:repo:acc"), 1);
	ck_assert_int_eq(names_valid_target_key(""), 0);
}
END_TEST

START_TEST(length_limits)
{
	char s[600];

	memset(s, 'a', sizeof(s));
	s[64] = '\0';
	ck_assert_int_eq(names_valid_instance(s), 1);
	s[64] = 'a';
	s[65] = '\0';
	ck_assert_int_eq(names_valid_instance(s), 0);
	s[65] = 'a';
	s[255] = '\0';
	ck_assert_int_eq(names_valid_target(s), 1);
	s[255] = 'a';
	s[256] = '\0';
	ck_assert_int_eq(names_valid_target(s), 0);
	ck_assert_int_eq(names_valid_target_key(s), 1);
	s[256] = 'a';
	s[512] = '\0';
	ck_assert_int_eq(names_valid_target_key(s), 0);
}
END_TEST

START_TEST(shown_in_a_message)
{
	char out[16];

	names_shown(out, sizeof(out), "ab\ncd\x80", 6, 10);
	ck_assert_str_eq(out, "ab?cd?");
	names_shown(out, sizeof(out), "abcdefgh", 8, 4);
	ck_assert_str_eq(out, "abcd...");
	/* the buffer's size wins over max */
	names_shown(out, 4, "abcdefgh", 8, 8);
	ck_assert_str_eq(out, "abc");
	names_shown(out, sizeof(out), "", 0, 4);
	ck_assert_str_eq(out, "");
}
END_TEST

Suite *names_suite(void)
{
	Suite *s = suite_create("names");
	TCase *tc = tcase_create("names");

	tcase_add_test(tc, jobid_one_spelling);
	tcase_add_test(tc, sha256_and_shapes);
	tcase_add_test(tc, length_limits);
	tcase_add_test(tc, shown_in_a_message);
	suite_add_tcase(s, tc);
	return s;
}
