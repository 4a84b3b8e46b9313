#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "xio.h"
#include "unit.h"

static char path[64];

static void setup(void)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/eessi-log.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
}

static void teardown(void)
{
	log_close();
	log_forget_secrets();
	log_set_context(NULL);
	unlink(path);
}

static void read_log(struct buf *out)
{
	struct err e = ERR_INIT;

	ck_assert_int_eq(xio_read_file(path, out, 1, &e), 0);
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

START_TEST(levels_filter_and_format)
{
	struct buf got = BUF_INIT(65536);
	struct err e = ERR_INIT;

	ck_assert_int_eq(log_open(path, "eessi-bot-test", LOGL_INFO, &e), 0);
	log_set_context("3f1c2a10-0000-4000-8000-000000000001");
	log_info("job %d submitted", 1234);
	log_debug("not shown");
	log_error("failed: %s", "reason");
	read_log(&got);
	ck_assert_int_eq(count_lines(got.s), 2);
	ck_assert_ptr_nonnull(strstr(got.s, " info eessi-bot-test["));
	ck_assert_ptr_nonnull(
		strstr(got.s, "] [3f1c2a10-0000-4000-8000-000000000001] job 1234 submitted\n"));
	ck_assert_ptr_nonnull(strstr(got.s, " error "));
	ck_assert_ptr_null(strstr(got.s, "not shown"));
	buf_release(&got);
}
END_TEST

START_TEST(newlines_cannot_forge_lines)
{
	struct buf got = BUF_INIT(65536);
	struct err e = ERR_INIT;

	ck_assert_int_eq(log_open(path, "t", LOGL_DEBUG, &e), 0);
	log_info("branch %s", "main\n2026-01-01T00:00:00Z info forged\x1b[31m");
	read_log(&got);
	ck_assert_int_eq(count_lines(got.s), 1);
	ck_assert_ptr_nonnull(strstr(got.s, "main\\n2026"));
	ck_assert_ptr_nonnull(strstr(got.s, "\\x1b[31m"));
	buf_release(&got);
}
END_TEST

START_TEST(secrets_are_redacted)
{
	struct buf got = BUF_INIT(65536);
	struct err e = ERR_INIT;
	const char *secret = "s3cr3t-webhook-value";

	ck_assert_int_eq(log_open(path, "t", LOGL_DEBUG, &e), 0);
	ck_assert_int_eq(log_add_secret(secret), 0);
	ck_assert_int_eq(log_add_secret("abc"), -1); /* too short to register */
	log_info("secret is %s, twice %s", secret, secret);
	log_info("found ghs_16C7e42F292c6912E7710c838347Ae178B4a in text");
	log_info("Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOjF9.sig");
	log_info("key -----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\nafter");
	log_info("url https://x-access-token:ghs_abcdefghijklmnop@github.com/o/r");
	read_log(&got);
	ck_assert_ptr_null(strstr(got.s, secret));
	ck_assert_ptr_null(strstr(got.s, "16C7e42F292c"));
	ck_assert_ptr_null(strstr(got.s, "eyJhbGci"));
	ck_assert_ptr_null(strstr(got.s, "MIIEow"));
	ck_assert_ptr_null(strstr(got.s, "abcdefghijklmnop"));
	ck_assert_ptr_nonnull(strstr(got.s, "secret is [secret], twice [secret]"));
	ck_assert_ptr_nonnull(strstr(got.s, "ghs_[secret] in text"));
	ck_assert_ptr_nonnull(strstr(got.s, "after"));
	ck_assert_int_eq(count_lines(got.s), 5);
	buf_release(&got);
}
END_TEST

START_TEST(ordinary_words_survive)
{
	struct buf out = BUF_INIT(1024);

	ck_assert_int_eq(log_clean("token renewed, Bearer ok", 24, &out), 0);
	ck_assert_str_eq(out.s, "token renewed, Bearer ok");
	buf_release(&out);
}
END_TEST

START_TEST(huge_message_is_cut_not_lost)
{
	struct buf got = BUF_INIT(1 << 20);
	struct err e = ERR_INIT;
	char *big = malloc(100000);

	memset(big, '\n', 99999);
	big[99999] = '\0';
	ck_assert_int_eq(log_open(path, "t", LOGL_DEBUG, &e), 0);
	log_info("%s", big);
	log_info("next");
	read_log(&got);
	ck_assert_int_eq(count_lines(got.s), 2);
	ck_assert_ptr_nonnull(strstr(got.s, "next\n"));
	free(big);
	buf_release(&got);
}
END_TEST

START_TEST(level_names_parse)
{
	enum log_level l;

	ck_assert_int_eq(log_level_parse("debug", &l), 0);
	ck_assert_int_eq(l, LOGL_DEBUG);
	ck_assert_int_eq(log_level_parse("verbose", &l), -1);
}
END_TEST

/* A rotation (the file renamed, as logrotate does) and a removal: the
 * next line goes to a new file under the name, the lines before stay in
 * the old one, none is lost; SIGHUP reopens as well. */
START_TEST(rotation_reopens_and_loses_nothing)
{
	struct buf got = BUF_INIT(65536), old = BUF_INIT(65536);
	struct err e = ERR_INIT;
	char moved[80];

	snprintf(moved, sizeof(moved), "%s.1", path);
	ck_assert_int_eq(log_open(path, "t", LOGL_INFO, &e), 0);
	log_info("line one");
	ck_assert_int_eq(rename(path, moved), 0);
	log_info("line two");
	log_info("line three");
	ck_assert_int_eq(xio_read_file(moved, &old, 1, &e), 0);
	ck_assert_int_eq(count_lines(old.s), 1);
	ck_assert_ptr_nonnull(strstr(old.s, "line one"));
	read_log(&got);
	ck_assert_int_eq(count_lines(got.s), 2);
	ck_assert_ptr_nonnull(strstr(got.s, "line two"));
	ck_assert_ptr_nonnull(strstr(got.s, "line three"));
	/* removed: made again */
	ck_assert_int_eq(unlink(path), 0);
	log_info("line four");
	buf_clear(&got);
	read_log(&got);
	ck_assert_int_eq(count_lines(got.s), 1);
	/* SIGHUP: reopened (the same file here: the line lands in it) */
	ck_assert_int_eq(log_catch_sighup(), 0);
	ck_assert_int_eq(raise(SIGHUP), 0);
	log_info("line five");
	buf_clear(&got);
	read_log(&got);
	ck_assert_int_eq(count_lines(got.s), 2);
	signal(SIGHUP, SIG_DFL);
	unlink(moved);
	buf_release(&got);
	buf_release(&old);
}
END_TEST

Suite *log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("log");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, levels_filter_and_format);
	tcase_add_test(tc, newlines_cannot_forge_lines);
	tcase_add_test(tc, secrets_are_redacted);
	tcase_add_test(tc, ordinary_words_survive);
	tcase_add_test(tc, huge_message_is_cut_not_lost);
	tcase_add_test(tc, level_names_parse);
	tcase_add_test(tc, rotation_reopens_and_loses_nothing);
	suite_add_tcase(s, tc);
	return s;
}
