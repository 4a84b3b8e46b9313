/* The spool beyond the webhook's writes: entry parsing, listing in arrival
 * order, moves between states, failure records, the sweep of temporary
 * files, and the effect journals. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "effects.h"
#include "dirq.h"
#include "spool.h"
#include "unit.h"
#include "xio.h"

#define D1 "11111111-1111-1111-1111-111111111111"
#define D2 "22222222-2222-2222-2222-222222222222"
#define D3 "33333333-3333-3333-3333-333333333333"

static char dir[256];

static void setup(void)
{
	struct err e = ERR_INIT;

	unit_mkdtemp(dir, sizeof(dir), "spool");
	ck_assert_int_eq(spool_init(dir, &e), 0);
}

static void teardown(void)
{
	unit_rm_rf(dir);
}

static void put_at(const char *state, const char *name, time_t mtime)
{
	char p[512];
	struct timespec ts[2] = { { mtime, 0 }, { mtime, 0 } };
	int fd;

	snprintf(p, sizeof(p), "%s/%s/%s", dir, state, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "x", 1), 1);
	ck_assert_int_eq(futimens(fd, ts), 0);
	close(fd);
}

START_TEST(entry_formats)
{
	static const char ours[] =
		"X-GitHub-Event: issue_comment\nX-GitHub-Delivery: " D1 "\n"
		"Received: 2026-11-24T01:02:03Z\n\n{\"a\":1}";
	/* as copied from GitHub's "Recent Deliveries", CRLF and all */
	static const char theirs[] =
		"Request method: POST\r\nAccept: */*\r\ncontent-type: application/json\r\n"
		"x-github-delivery:  " D2 " \r\nX-GITHUB-EVENT: ping\r\n"
		"X-Hub-Signature-256: sha256=00\r\n\r\n{\"zen\":\"x\"}\n";
	struct spool_entry ent;
	struct err e = ERR_INIT;

	ck_assert_int_eq(spool_parse_entry(ours, strlen(ours), &ent, &e), 0);
	ck_assert_str_eq(ent.event, "issue_comment");
	ck_assert_str_eq(ent.delivery, D1);
	ck_assert_uint_eq(ent.body_len, 7);
	ck_assert_int_eq(memcmp(ent.body, "{\"a\":1}", 7), 0);
	ck_assert_int_eq(spool_parse_entry(theirs, strlen(theirs), &ent, &e), 0);
	ck_assert_str_eq(ent.event, "ping");
	ck_assert_str_eq(ent.delivery, D2);
	ck_assert_uint_eq(ent.body_len, 12);
}
END_TEST

START_TEST(entry_errors_name_the_problem)
{
	static const char *const bad[][2] = {
		{ "X-GitHub-Event: ping\n{}", "no blank line" },
		{ "X-GitHub-Delivery: " D1 "\n\n{}", "no X-GitHub-Event" },
		{ "X-GitHub-Event: ping\n\n{}", "no X-GitHub-Delivery" },
		{ "X-GitHub-Event: ping\nX-GitHub-Delivery: ../../x\n\n{}",
		  "malformed X-GitHub-Delivery" },
		{ "X-GitHub-Event: Ping;rm\nX-GitHub-Delivery: " D1 "\n\n{}",
		  "malformed X-GitHub-Event" },
		{ "garbage\n\n{}", "without ':'" },
		{ "", "no blank line" },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct spool_entry ent;
		struct err e = ERR_INIT;

		ck_assert_int_eq(spool_parse_entry(bad[i][0], strlen(bad[i][0]), &ent, &e), -1);
		ck_assert_msg(strstr(e.msg, bad[i][1]), "%s: %s", bad[i][1], e.msg);
	}
}
END_TEST

START_TEST(list_in_arrival_order_skipping_others)
{
	struct err e = ERR_INIT;
	char **ids;
	size_t n;

	put_at("incoming", D2, 1000);
	put_at("incoming", D3, 1000);
	put_at("incoming", D1, 2000);
	put_at("incoming", D1 ".tmp.abcdef", 500);
	put_at("incoming", "README", 100);
	ck_assert_int_eq(spool_list(dir, "incoming", &ids, &n, &e), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(ids[0], D2); /* same time: by name */
	ck_assert_str_eq(ids[1], D3);
	ck_assert_str_eq(ids[2], D1);
	ck_assert_ptr_null(ids[3]);
	spool_list_free(ids);
	ck_assert_int_eq(spool_list(dir, "nonexistent", &ids, &n, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "nonexistent"));
}
END_TEST

START_TEST(moves_and_failures)
{
	struct buf got = BUF_INIT(4096);
	struct err e = ERR_INIT;
	char p[512];

	put_at("incoming", D1, 1000);
	ck_assert_int_eq(spool_move(dir, D1, "incoming", "claimed", 1, &e), 0);
	/* a second claimer finds it gone */
	ck_assert_int_eq(spool_move(dir, D1, "incoming", "claimed", 0, &e), 1);
	ck_assert_int_eq(spool_known(dir, D1, &e), 1);
	ck_assert_int_eq(spool_move(dir, "../x", "incoming", "claimed", 1, &e), -1);
	ck_assert_int_eq(spool_fail(dir, D1, "GitHub said 404\nand more", &e), 0);
	snprintf(p, sizeof(p), "%s/failed/%s.reason", dir, D1);
	ck_assert_int_eq(xio_read_file(p, &got, 1, &e), 0);
	ck_assert_str_eq(got.s, "GitHub said 404\nand more\n");
	snprintf(p, sizeof(p), "%s/failed/%s", dir, D1);
	ck_assert_int_eq(access(p, F_OK), 0);
	ck_assert_int_eq(spool_known(dir, D1, &e), 1);
	buf_release(&got);
}
END_TEST

/* The directory queue under the spool, and under the deploy requests:
 * a queue directory not there yet, a target made on the move, an item set
 * aside with its reason in a directory made for it. */
START_TEST(directory_queue)
{
	static const char id[] = "55555555-5555-5555-5555-555555555555";
	char q[300], p[400];
	char **ids = NULL;
	size_t n = 9;
	struct err e = ERR_INIT;
	FILE *f;

	snprintf(q, sizeof(q), "%s/deploy", dir);
	ck_assert_int_eq(dirq_list(q, "pending", 0, &ids, &n, &e), -1);
	err_clear(&e);
	ck_assert_int_eq(dirq_list(q, "pending", 1, &ids, &n, &e), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(ids[0]);
	dirq_free(ids);
	snprintf(p, sizeof(p), "%s/pending", q);
	ck_assert_int_eq(xio_mkdir_p(p, 0755, &e), 0);
	snprintf(p, sizeof(p), "%s/pending/%s", q, id);
	f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	ck_assert_int_eq(dirq_move(q, id, "pending", "done", DIRQ_MKDIR |
				   DIRQ_DURABLE | DIRQ_DURABLE_FROM, &e), 0);
	snprintf(p, sizeof(p), "%s/done/%s", q, id);
	ck_assert_int_eq(access(p, F_OK), 0);
	/* gone meanwhile: 1, nothing made */
	ck_assert_int_eq(dirq_move(q, id, "pending", "done", 0, &e), 1);
	ck_assert_int_eq(dirq_set_aside(q, id, "done", "broken", "cannot parse", &e), 0);
	snprintf(p, sizeof(p), "%s/broken/%s.reason", q, id);
	ck_assert_int_eq(access(p, F_OK), 0);
	snprintf(p, sizeof(p), "%s/broken/%s", q, id);
	ck_assert_int_eq(access(p, F_OK), 0);
	/* only delivery ids become names */
	ck_assert_int_eq(dirq_move(q, "../x", "broken", "done", 0, &e), -1);
}
END_TEST

START_TEST(sweep_removes_only_old_temporaries)
{
	struct err e = ERR_INIT;
	char p[512];

	put_at("incoming", D1 ".tmp.aaaaaa", time(NULL) - 3600);
	put_at("incoming", D2 ".tmp.bbbbbb", time(NULL));
	put_at("incoming", D3, time(NULL) - 3600);
	ck_assert_int_eq(spool_sweep(dir, 600, &e), 1);
	snprintf(p, sizeof(p), "%s/incoming/%s.tmp.bbbbbb", dir, D2);
	ck_assert_int_eq(access(p, F_OK), 0);
	snprintf(p, sizeof(p), "%s/incoming/%s", dir, D3);
	ck_assert_int_eq(access(p, F_OK), 0);
}
END_TEST

START_TEST(effects_survive_a_new_process)
{
	struct effects fx, again;
	struct buf v = BUF_INIT(256);
	struct err e = ERR_INIT;

	ck_assert_int_eq(effects_open(&fx, dir, D1, &e), 0);
	ck_assert_int_eq(effects_get(&fx, "reply", &v), 0);
	ck_assert_int_eq(effects_put(&fx, "reply.intent", "1700000000", &e), 0);
	ck_assert_int_eq(effects_put(&fx, "reply", "42", &e), 0);
	ck_assert_int_eq(effects_put(&fx, "reply", "43", &e), 0);
	ck_assert_int_eq(effects_put(&fx, "Bad Key", "1", &e), -1);
	ck_assert_int_eq(effects_put(&fx, "k", "two\nlines", &e), -1);
	/* what a second run (a new process) sees */
	ck_assert_int_eq(effects_open(&again, dir, D1, &e), 0);
	ck_assert_int_eq(effects_get(&again, "reply", &v), 1);
	ck_assert_str_eq(v.s, "43"); /* the last one wins */
	ck_assert_int_eq(effects_get(&again, "reply.intent", &v), 1);
	ck_assert_str_eq(v.s, "1700000000");
	ck_assert_int_eq(effects_get(&again, "repl", &v), 0);
	ck_assert_int_eq(effects_remove(&again, &e), 0);
	effects_release(&again);
	effects_release(&fx);
	ck_assert_int_eq(effects_open(&fx, dir, D1, &e), 0);
	ck_assert_int_eq(effects_get(&fx, "reply", &v), 0);
	effects_release(&fx);
	buf_release(&v);
}
END_TEST

Suite *spool_suite(void)
{
	Suite *s = suite_create("spool");
	TCase *pure = tcase_create("entry");
	TCase *tc = tcase_create("files");

	tcase_add_test(pure, entry_formats);
	tcase_add_test(pure, entry_errors_name_the_problem);
	suite_add_tcase(s, pure);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, list_in_arrival_order_skipping_others);
	tcase_add_test(tc, moves_and_failures);
	tcase_add_test(tc, sweep_removes_only_old_temporaries);
	tcase_add_test(tc, directory_queue);
	tcase_add_test(tc, effects_survive_a_new_process);
	suite_add_tcase(s, tc);
	return s;
}
