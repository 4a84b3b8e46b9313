#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "unit.h"

START_TEST(empty_buffer_is_a_string)
{
	struct buf b = BUF_INIT(16);

	ck_assert_ptr_nonnull(b.s);
	ck_assert_str_eq(b.s, "");
	ck_assert_uint_eq(b.len, 0);
	buf_clear(&b); /* must not write to the shared empty string */
	buf_release(&b);
	ck_assert_str_eq(buf_empty, "");
}
END_TEST

START_TEST(append_and_format)
{
	struct buf b = BUF_INIT(1024);

	ck_assert_int_eq(buf_adds(&b, "job "), 0);
	ck_assert_int_eq(buf_addf(&b, "%d is %s", 42, "held"), 0);
	ck_assert_int_eq(buf_addch(&b, '!'), 0);
	ck_assert_str_eq(b.s, "job 42 is held!");
	ck_assert_uint_eq(b.len, strlen("job 42 is held!"));
	buf_truncate(&b, 3);
	ck_assert_str_eq(b.s, "job");
	buf_truncate(&b, 99); /* longer than len: no-op */
	ck_assert_str_eq(b.s, "job");
	buf_release(&b);
}
END_TEST

START_TEST(cap_is_enforced_and_buffer_kept)
{
	struct buf b = BUF_INIT(8);

	ck_assert_int_eq(buf_adds(&b, "12345678"), 0);
	errno = 0;
	ck_assert_int_eq(buf_addch(&b, '9'), -1);
	ck_assert_int_eq(errno, E2BIG);
	ck_assert_str_eq(b.s, "12345678");
	buf_clear(&b);
	ck_assert_int_eq(buf_addf(&b, "%s", "123456789"), -1);
	ck_assert_str_eq(b.s, "");
	ck_assert_int_eq(buf_add(&b, "ab", (size_t)-1), -1); /* overflow */
	buf_release(&b);
}
END_TEST

START_TEST(binary_data_and_growth)
{
	struct buf b = BUF_INIT(1 << 20);
	char chunk[1000];
	int i;

	memset(chunk, 0, sizeof(chunk));
	for (i = 0; i < 500; i++)
		ck_assert_int_eq(buf_add(&b, chunk, sizeof(chunk)), 0);
	ck_assert_uint_eq(b.len, 500000);
	ck_assert_int_eq(b.s[b.len], '\0');
	ck_assert_uint_le(b.alloc, (size_t)(1 << 20) + 1);
	buf_release(&b);
}
END_TEST

START_TEST(detach_hands_over)
{
	struct buf b = BUF_INIT(64);
	size_t len = 99;
	char *s;

	s = buf_detach(&b, &len); /* empty: still an allocated "" */
	ck_assert_str_eq(s, "");
	ck_assert_uint_eq(len, 0);
	free(s);
	buf_adds(&b, "token");
	s = buf_detach(&b, &len);
	ck_assert_str_eq(s, "token");
	ck_assert_uint_eq(len, 5);
	ck_assert_str_eq(b.s, "");
	ck_assert_uint_eq(b.cap, 64);
	free(s);
	buf_release(&b);
}
END_TEST

START_TEST(wipe_releases)
{
	struct buf b = BUF_INIT(64);

	buf_adds(&b, "secret");
	buf_wipe(&b);
	ck_assert_str_eq(b.s, "");
	ck_assert_uint_eq(b.alloc, 0);
}
END_TEST

START_TEST(err_first_wins)
{
	struct err e = ERR_INIT;

	ck_assert_int_eq(err_set(&e, ERR_INVAL, "first %d", 1), -1);
	ck_assert_int_eq(err_set(&e, ERR_TIMEOUT, "second"), -1);
	ck_assert_int_eq(e.code, ERR_INVAL);
	ck_assert_str_eq(e.msg, "first 1");
	err_clear(&e);
	errno = ENOENT;
	ck_assert_int_eq(err_sys(&e, "open %s", "x"), -1);
	ck_assert_int_eq(e.code, ERR_SYS);
	ck_assert_str_eq(e.msg, "open x: No such file or directory");
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_str_eq(err_code_name(ERR_TIMEOUT), "timeout");
	ck_assert_str_eq(err_code_name((enum err_code)99), "unknown");
	ck_assert_int_eq(err_set(NULL, ERR_INVAL, "no target"), -1);
}
END_TEST

START_TEST(err_long_message_truncated_safely)
{
	struct err e = ERR_INIT;
	char big[2000];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	err_set(&e, ERR_INVAL, "%s", big);
	ck_assert_uint_eq(strlen(e.msg), sizeof(e.msg) - 1);
}
END_TEST

Suite *buf_suite(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = tcase_create("buf");

	tcase_add_test(tc, empty_buffer_is_a_string);
	tcase_add_test(tc, append_and_format);
	tcase_add_test(tc, cap_is_enforced_and_buffer_kept);
	tcase_add_test(tc, binary_data_and_growth);
	tcase_add_test(tc, detach_hands_over);
	tcase_add_test(tc, wipe_releases);
	suite_add_tcase(s, tc);
	return s;
}

Suite *err_suite(void)
{
	Suite *s = suite_create("err");
	TCase *tc = tcase_create("err");

	tcase_add_test(tc, err_first_wins);
	tcase_add_test(tc, err_long_message_truncated_safely);
	suite_add_tcase(s, tc);
	return s;
}
