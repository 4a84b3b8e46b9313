/* test_github.c - the GitHub adapter without GitHub: argument checks
 * (hostile repositories, logins, times), the private key and cache
 * directory rules of github_open(), and the token/retry logic against a
 * closed port with a fake clock (the cached token is used, a stale or
 * unsafe one is not, 1 s / 2 s / 4 s between attempts, counts, nothing
 * secret in the log).  The real conversation with GitHub's contract is
 * t/e2e/35-github-client.sh. */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "github.h"
#include "log.h"
#include "xio.h"
#include "unit.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define NOW 1795482123LL /* 2026-11-24T01:02:03Z */
#define TOKEN "ghs_UnitTestTokenUnitTestTokenUnitTest"

/* ------------------------------------------------------- pure checks */

START_TEST(valid_repos)
{
	static const char *const good[] = {
		"EESSI/software-layer", "a/b", "o-1/n.a_m-e", "a/.x", "a/..x",
		"a/x..", "0/0", "A-B/_", "a/-",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/b", /* owner of 39 */
	};
	char name100[2 + 100 + 1];
	size_t i;

	for (i = 0; i < NELEM(good); i++)
		ck_assert_msg(github_valid_repo(good[i]), "'%s' refused",
			      good[i]);
	memcpy(name100, "a/", 2);
	memset(name100 + 2, 'n', 100);
	name100[102] = '\0';
	ck_assert(github_valid_repo(name100));
}
END_TEST

START_TEST(hostile_repos)
{
	static const char *const bad[] = {
		"../x", "..", "x/..", "x/.", "./x", "a/b/c", "a//b", "/b", "a/",
		"/", "", "ab", "$(id)/x", "x/$(id)", "a/`id`", "a/b;id",
		"a/b\n", "a\n/b", "a/b\r", "a/b c", "a b/c", "a/b%2Fc",
		"a/b?x=1", "a/b#x", "a/b\t", "o.x/b", "o_x/b", "\xc3\xa4/b",
		"a/\xc3\xa4", "a/b\\c", "a/b'", "a/b\"", "~/x", "a/*",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/b", /* owner of 40 */
	};
	char long200[201], name101[2 + 101 + 1];
	size_t i;

	for (i = 0; i < NELEM(bad); i++)
		ck_assert_msg(!github_valid_repo(bad[i]), "'%s' accepted",
			      bad[i]);
	ck_assert(!github_valid_repo(NULL));
	memset(long200, 'a', 200);
	long200[200] = '\0';
	ck_assert(!github_valid_repo(long200));
	long200[20] = '/';
	ck_assert(!github_valid_repo(long200)); /* name of 179 */
	memcpy(name101, "a/", 2);
	memset(name101 + 2, 'n', 101);
	name101[103] = '\0';
	ck_assert(!github_valid_repo(name101));
}
END_TEST

START_TEST(valid_logins)
{
	static const char *const good[] = {"alice", "bob-2", "A", "x[bot]",
					   "github-actions[bot]"};
	static const char *const bad[] = {
		"", "a/b", "../x", "a b", "a\n", "[bot]", "a[bot]x", "a_b",
		"a.b", "a%20", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	size_t i;

	for (i = 0; i < NELEM(good); i++)
		ck_assert_msg(github_valid_login(good[i]), "'%s'", good[i]);
	for (i = 0; i < NELEM(bad); i++)
		ck_assert_msg(!github_valid_login(bad[i]), "'%s'", bad[i]);
	ck_assert(!github_valid_login(NULL));
}
END_TEST

START_TEST(times)
{
	static const char *const bad[] = {
		"", "2026-11-24", "2026-11-24T01:02:03", "2026-11-24T01:02:03z",
		"2026-11-24 01:02:03Z", "2026-11-24T01:02:03.5Z",
		"2026-11-24T01:02:03+00:00", "2026-13-01T00:00:00Z",
		"2026-00-01T00:00:00Z", "2026-11-31T00:00:00Z",
		"2023-02-29T00:00:00Z", "2026-11-24T24:00:00Z",
		"2026-11-24T01:60:00Z", "1969-12-31T23:59:59Z",
		"2026-11-24T01:02:0xZ", "+026-11-24T01:02:03Z",
		"2026-11-24T01:02:03Z&x=1",
	};
	long long t = 0;
	size_t i;

	ck_assert_int_eq(github_parse_time("2026-11-24T01:02:03Z", &t), 0);
	ck_assert_int_eq(t, NOW);
	ck_assert_int_eq(github_parse_time("1970-01-01T00:00:00Z", &t), 0);
	ck_assert_int_eq(t, 0);
	ck_assert_int_eq(github_parse_time("2024-02-29T23:59:59Z", &t), 0);
	ck_assert_int_eq(t, 1709251199LL);
	ck_assert_int_eq(github_parse_time("2100-03-01T00:00:00Z", &t), 0);
	ck_assert_int_eq(t, 4107542400LL);
	for (i = 0; i < NELEM(bad); i++)
		ck_assert_msg(github_parse_time(bad[i], &t) == -1, "'%s'",
			      bad[i]);
	ck_assert_int_eq(github_parse_time(NULL, &t), -1);
}
END_TEST

/* ------------------------------------------------ a client, no GitHub */

static char dir[64];
static char key_path[128], cache_dir[128], log_path[128];
static char api_url[] = "http://127.0.0.1:1"; /* nothing listens */
static char app_name[] = "unit-bot";
static struct conf cf;
static struct buf key = BUF_INIT(65536);

/* The fake clock: a fixed time; sleeps are recorded, not slept. */
static long long slept[16];
static size_t nslept;

static long long fake_now(void *arg)
{
	(void)arg;
	return NOW;
}

static void fake_sleep(void *arg, long long ms)
{
	(void)arg;
	if (nslept < NELEM(slept))
		slept[nslept] = ms;
	nslept++;
}

static const struct github_clock fake_clock = {fake_now, fake_sleep, NULL};

static void key_once(void)
{
	unit_rsa_key(&key, NULL);
}

static void key_done(void)
{
	buf_wipe(&key);
}

static void write_file(const char *path, const char *s, size_t n,
		       mode_t mode)
{
	struct err e = ERR_INIT;

	ck_assert_msg(xio_write_atomic(path, s, n, mode, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(chmod(path, mode), 0); /* whatever the umask */
}

static void setup(void)
{
	struct err e = ERR_INIT;

	unit_mkdtemp(dir, sizeof(dir), "github");
	snprintf(key_path, sizeof(key_path), "%s/app.pem", dir);
	snprintf(cache_dir, sizeof(cache_dir), "%s/state/tokens", dir);
	snprintf(log_path, sizeof(log_path), "%s/log", dir);
	write_file(key_path, key.s, key.len, 0600);
	memset(&cf, 0, sizeof(cf));
	cf.github.app_id = 123456;
	cf.github.app_name = app_name;
	cf.github.installation_id = 4242;
	cf.github.private_key = key_path;
	cf.github.api_url = api_url;
	cf.github.token_cache_dir = cache_dir;
	ck_assert_int_eq(log_open(log_path, "unit", LOGL_DEBUG, &e), 0);
	nslept = 0;
}

static void teardown(void)
{
	struct err e = ERR_INIT;

	log_forget_secrets();
	log_open(NULL, "eessi-bot", LOGL_INFO, &e);
	unit_rm_rf(dir);
}

static struct github *open_ok(void)
{
	struct github *gh = NULL;
	struct err e = ERR_INIT;

	ck_assert_msg(github_open(&cf, &gh, &e) == 0, "%s", e.msg);
	github_set_clock(gh, &fake_clock);
	return gh;
}

static void open_fails(const char *want)
{
	struct github *gh = NULL;
	struct err e = ERR_INIT;

	ck_assert_int_eq(github_open(&cf, &gh, &e), -1);
	ck_assert_ptr_null(gh);
	ck_assert_msg(strstr(e.msg, want) != NULL, "'%s' not in '%s'", want,
		      e.msg);
}

/* Writes a token cache file for inst. */
static void cache_token(long long inst, const char *expires, mode_t mode)
{
	char path[256], text[512];
	int n;

	snprintf(path, sizeof(path), "%s/installation-%lld.json", cache_dir,
		 inst);
	n = snprintf(text, sizeof(text),
		     "{\"installation_id\": %lld, \"token\": \"" TOKEN
		     "\", \"expires_at\": \"%s\"}\n", inst, expires);
	write_file(path, text, (size_t)n, mode);
}

static void counts_are(struct github *gh, unsigned calls, unsigned retries,
		       unsigned fetches)
{
	struct github_counts n;

	github_counts(gh, &n);
	ck_assert_msg(n.calls == calls && n.retries == retries &&
			      n.token_fetches == fetches,
		      "counts %u/%u/%u, want %u/%u/%u", n.calls, n.retries,
		      n.token_fetches, calls, retries, fetches);
}

static void log_text(struct buf *b)
{
	struct err e = ERR_INIT;

	b->cap = 1 << 20;
	ck_assert_int_eq(xio_read_file(log_path, b, 1, &e), 0);
}

START_TEST(open_makes_private_cache_dir)
{
	struct github *gh = open_ok();
	struct stat st;

	ck_assert_int_eq(stat(cache_dir, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_int_eq(st.st_mode & 0777, 0700);
	counts_are(gh, 0, 0, 0);
	github_free(gh);
	/* ours but open to others: closed again */
	ck_assert_int_eq(chmod(cache_dir, 0755), 0);
	gh = open_ok();
	ck_assert_int_eq(stat(cache_dir, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0700);
	github_free(gh);
}
END_TEST

START_TEST(key_missing)
{
	ck_assert_int_eq(unlink(key_path), 0);
	open_fails("github.private_key");
	open_fails("No such file or directory");
}
END_TEST

START_TEST(key_open_to_others)
{
	static const mode_t modes[] = {0644, 0640, 0604, 0620, 0602, 0660};
	char want[64];
	size_t i;

	for (i = 0; i < NELEM(modes); i++) {
		ck_assert_int_eq(chmod(key_path, modes[i]), 0);
		snprintf(want, sizeof(want), "mode %04o lets group or others",
			 (unsigned)modes[i]);
		open_fails(want);
		open_fails(key_path);
	}
	ck_assert_int_eq(chmod(key_path, 0400), 0);
	github_free(open_ok());
}
END_TEST

START_TEST(key_empty_or_not_a_key)
{
	write_file(key_path, "", 0, 0600);
	open_fails("empty file");
	write_file(key_path, "hello\n", 6, 0600);
	open_fails("not a PEM private key");
	ck_assert_int_eq(unlink(key_path), 0);
	ck_assert_int_eq(mkdir(key_path, 0700), 0);
	open_fails("not a regular file");
}
END_TEST

START_TEST(cache_dir_not_a_dir)
{
	char parent[128];

	snprintf(parent, sizeof(parent), "%s/state", dir);
	ck_assert_int_eq(mkdir(parent, 0700), 0);
	write_file(cache_dir, "x", 1, 0600);
	open_fails("token_cache_dir");
}
END_TEST

START_TEST(config_incomplete)
{
	cf.github.token_cache_dir = NULL;
	open_fails("token_cache_dir");
}
END_TEST

/* Refused arguments never reach the network (or the token logic). */
START_TEST(refused_arguments_make_no_call)
{
	static const char *const repos[] = {"../x", "a/b/c", "$(id)/x",
					    "a/b\n", "", "x/.."};
	struct github *gh = open_ok();
	struct json_object *list = (struct json_object *)1;
	struct err e = ERR_INIT;
	char level[16] = "x", big[70000];
	long long id = 5;
	int status = 7;
	size_t i;

	for (i = 0; i < NELEM(repos); i++) {
		err_clear(&e);
		ck_assert_int_eq(github_comment_create(gh, repos[i], 1, "x", &id,
						       &e), -1);
		ck_assert_int_eq(id, 0);
		ck_assert_msg(strstr(e.msg, "is not a GitHub repository"),
			      "%s", e.msg);
		err_clear(&e);
		ck_assert_int_eq(github_comment_edit(gh, repos[i], 1, "x", &e),
				 -1);
		err_clear(&e);
		ck_assert_int_eq(github_reaction_add(gh, repos[i], 1, "eyes",
						     &e), -1);
		err_clear(&e);
		ck_assert_int_eq(github_comments_since(gh, repos[i], 1,
						       "2026-11-24T01:02:03Z", 1,
						       &list, &e), -1);
		ck_assert_ptr_null(list);
		err_clear(&e);
		ck_assert_int_eq(github_permission(gh, repos[i], "alice", level,
						   &e), -1);
		ck_assert_str_eq(level, "");
	}
	ck_assert_int_eq(github_comment_create(gh, NULL, 1, "x", NULL, &e), -1);
	err_clear(&e);
	ck_assert_int_eq(github_comment_create(gh, "o/r", 0, "x", NULL, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "issue 0"));
	err_clear(&e);
	ck_assert_int_eq(github_comment_create(gh, "o/r", 1, NULL, NULL, &e), -1);
	err_clear(&e);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(github_comment_create(gh, "o/r", 1, big, NULL, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "at most 65536"));
	err_clear(&e);
	ck_assert_int_eq(github_comment_edit(gh, "o/r", -1, "x", &e), -1);
	err_clear(&e);
	ck_assert_int_eq(github_reaction_add(gh, "o/r", 1, "thumbsup", &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "rocket"));
	err_clear(&e);
	ck_assert_int_eq(github_reaction_add(gh, "o/r", 1, NULL, &e), -1);
	err_clear(&e);
	ck_assert_int_eq(github_comments_since(gh, "o/r", 1, "yesterday", 1,
					       &list, &e), -1);
	err_clear(&e);
	ck_assert_int_eq(github_comments_since(gh, "o/r", 1,
					       "2026-11-24T01:02:03Z&per_page=1", 1,
					       &list, &e), -1);
	err_clear(&e);
	ck_assert_int_eq(github_permission(gh, "o/r", "../admin", level, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "not a GitHub login"));
	err_clear(&e);
	ck_assert_int_eq(github_permission(gh, "o/r", "a/b", level, &e), -1);
	err_clear(&e);
	ck_assert_int_eq(github_request(gh, "TRACE", "/x", NULL, NULL, &status,
					&e), -1);
	ck_assert_int_eq(status, 0);
	err_clear(&e);
	ck_assert_int_eq(github_request(gh, "GET", "x", NULL, NULL, NULL, &e),
			 -1);
	err_clear(&e);
	ck_assert_int_eq(github_request(gh, "GET", "/a b", NULL, NULL, NULL,
					&e), -1);
	err_clear(&e);
	ck_assert_int_eq(github_request(gh, "GET", "/a\nb", NULL, NULL, NULL,
					&e), -1);
	counts_are(gh, 0, 0, 0);
	ck_assert_uint_eq(nslept, 0);
	github_free(gh);
}
END_TEST

/* A fresh cached token is used as it is: no fetch.  The closed port gives
 * transport errors: 4 attempts, 1 s, 2 s, 4 s apart. */
START_TEST(cached_token_used_and_retries_counted)
{
	struct github *gh = open_ok();
	struct err e = ERR_INIT;
	struct buf lg = BUF_INIT(1);
	char level[16];

	cache_token(4242, "2026-11-24T02:02:03Z", 0600); /* an hour left */
	ck_assert_int_eq(github_permission(gh, "o/r", "alice", level, &e), -1);
	ck_assert_msg(strstr(e.msg, "GET /repos/o/r/collaborators/alice/"
				    "permission: no answer: ") == e.msg,
		      "%s", e.msg);
	ck_assert_msg(strstr(e.msg, "(gave up after 4 attempts)"), "%s", e.msg);
	counts_are(gh, 4, 3, 0);
	ck_assert_uint_eq(nslept, 3);
	ck_assert_int_eq(slept[0], 1000);
	ck_assert_int_eq(slept[1], 2000);
	ck_assert_int_eq(slept[2], 4000);
	github_free(gh);

	log_text(&lg);
	ck_assert_msg(strstr(lg.s, "GET /repos/o/r/collaborators/alice/"
				   "permission -> no answer"), "%s", lg.s);
	ck_assert_msg(strstr(lg.s, "retrying in 2000 ms"), "%s", lg.s);
	ck_assert_msg(!strstr(lg.s, TOKEN), "token in the log:\n%s", lg.s);
	buf_release(&lg);
}
END_TEST

START_TEST(status_of_a_refused_request)
{
	struct github *gh = open_ok();
	struct err e = ERR_INIT;
	int status = 99;

	cache_token(4242, "2026-11-24T02:02:03Z", 0600);
	ck_assert_int_eq(github_request(gh, "GET", "/repos/o/r", NULL, NULL,
					&status, &e), -1);
	ck_assert_int_eq(status, 0);
	/* no answer after the client's retries: transient (tried later) */
	ck_assert_int_eq(e.code, ERR_AGAIN);
	counts_are(gh, 4, 3, 0);
	github_free(gh);
}
END_TEST

/* A token with less than 5 minutes left is renewed: the fetch (JWT signed
 * with the key) is what fails here. */
static void fetch_attempted(const char *expires, mode_t mode, long long inst,
			    const char *want)
{
	struct github *gh = open_ok();
	struct err e = ERR_INIT;
	struct buf lg = BUF_INIT(1);
	long long id = 3;

	cache_token(4242, expires, mode);
	github_set_installation(gh, inst);
	ck_assert_int_eq(github_comment_create(gh, "o/r", 1, "hi", &id, &e), -1);
	ck_assert_int_eq(id, 0);
	ck_assert_msg(strstr(e.msg, want) == e.msg, "'%s' does not start "
		      "with '%s'", e.msg, want);
	counts_are(gh, 4, 3, 1);
	github_free(gh);
	log_text(&lg);
	ck_assert_msg(!strstr(lg.s, "/comments ->"), "%s", lg.s);
	buf_release(&lg);
}

START_TEST(stale_token_renewed)
{
	/* 4 min 59 s left */
	fetch_attempted("2026-11-24T01:07:02Z", 0600, 0,
			"POST /app/installations/4242/access_tokens: no answer");
}
END_TEST

START_TEST(token_with_5_minutes_left_kept)
{
	struct github *gh = open_ok();
	struct err e = ERR_INIT;

	cache_token(4242, "2026-11-24T01:07:03Z", 0600);
	ck_assert_int_eq(github_comment_edit(gh, "o/r", 9, "x", &e), -1);
	ck_assert_msg(strstr(e.msg, "PATCH /repos/o/r/issues/comments/9: ") ==
			      e.msg, "%s", e.msg);
	counts_are(gh, 4, 3, 0);
	github_free(gh);
}
END_TEST

START_TEST(unsafe_cache_file_ignored)
{
	fetch_attempted("2026-11-24T02:02:03Z", 0644, 0,
			"POST /app/installations/4242/access_tokens: ");
}
END_TEST

START_TEST(other_installation_has_its_own_token)
{
	fetch_attempted("2026-11-24T02:02:03Z", 0600, 99,
			"POST /app/installations/99/access_tokens: ");
}
END_TEST

START_TEST(corrupt_cache_ignored)
{
	static const char *const bad[] = {
		"", "{", "[]", "{\"installation_id\": 4242}",
		"{\"installation_id\": 4243, \"token\": \"" TOKEN "\", "
		"\"expires_at\": \"2026-11-24T02:02:03Z\"}",
		"{\"installation_id\": 4242, \"token\": \"ghs_a\\\"b c\", "
		"\"expires_at\": \"2026-11-24T02:02:03Z\"}",
		"{\"installation_id\": 4242, \"token\": \"" TOKEN "\", "
		"\"expires_at\": \"tomorrow\"}",
		"{\"installation_id\": 4242, \"token\": \"" TOKEN "\", "
		"\"expires_at\": \"2026-11-24T02:02:03Z\"} trailing",
	};
	char path[256];
	struct github *gh;
	struct err e = ERR_INIT;
	size_t i;

	snprintf(path, sizeof(path), "%s/installation-4242.json", cache_dir);
	for (i = 0; i < NELEM(bad); i++) {
		gh = open_ok();
		write_file(path, bad[i], strlen(bad[i]), 0600);
		err_clear(&e);
		ck_assert_int_eq(github_reaction_add(gh, "o/r", 1, "eyes", &e),
				 -1);
		ck_assert_msg(strstr(e.msg, "POST /app/installations/4242/"
					    "access_tokens: ") == e.msg,
			      "cache '%s': %s", bad[i], e.msg);
		github_free(gh);
	}
}
END_TEST

Suite *github_suite(void)
{
	Suite *s = suite_create("github");
	TCase *pure = tcase_create("checks");
	TCase *tc = tcase_create("client");

	tcase_add_test(pure, valid_repos);
	tcase_add_test(pure, hostile_repos);
	tcase_add_test(pure, valid_logins);
	tcase_add_test(pure, times);
	suite_add_tcase(s, pure);

	tcase_add_unchecked_fixture(tc, key_once, key_done);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, open_makes_private_cache_dir);
	tcase_add_test(tc, key_missing);
	tcase_add_test(tc, key_open_to_others);
	tcase_add_test(tc, key_empty_or_not_a_key);
	tcase_add_test(tc, cache_dir_not_a_dir);
	tcase_add_test(tc, config_incomplete);
	tcase_add_test(tc, refused_arguments_make_no_call);
	tcase_add_test(tc, cached_token_used_and_retries_counted);
	tcase_add_test(tc, status_of_a_refused_request);
	tcase_add_test(tc, stale_token_renewed);
	tcase_add_test(tc, token_with_5_minutes_left_kept);
	tcase_add_test(tc, unsafe_cache_file_ignored);
	tcase_add_test(tc, other_installation_has_its_own_token);
	tcase_add_test(tc, corrupt_cache_ignored);
	suite_add_tcase(s, tc);
	return s;
}
