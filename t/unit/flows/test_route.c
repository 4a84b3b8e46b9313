/* test_route.c - the delivery tables without a network (lib/flows/route.h,
 * lib/flows/consume.h): every row that decides to do nothing says why in
 * its note and opens no GitHub client (so makes no call) - pings,
 * installations, unknown events, comments by bots, comments on plain
 * issues, comments without a command, another instance's build line,
 * labels that are not the bot's or set by a bot; a payload without what a
 * handler needs fails with a reason.  And the consumer: a spool of such
 * deliveries drained in one run, each filed under done/ or failed/ with
 * its reason, nothing left claimed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "consume.h"
#include "effects.h"
#include "event.h"
#include "route.h"
#include "spool.h"
#include "unit.h"

#define D1 "11111111-1111-1111-1111-111111111111"

static char dir[256];
static struct conf *c;

static void setup(void)
{
	struct buf text = BUF_INIT(8192);

	unit_mkdtemp(dir, sizeof(dir), "route");
	ck_assert_int_eq(buf_addf(&text,
		"github = { app_id = 77; app_name = \"cluster-a\"; installation_id = 2;\n"
		"  private_key = \"%s/no-such-key.pem\"; };\n"
		"buildenv = { build_job_script = \"/opt/job.slurm\"; jobs_base_dir = \"%s/jobs\";\n"
		"  build_permission = [ \"alice\" ]; };\n"
		"architecturetargets = { arch_target_map = ( { target = \"linux/x86_64/generic\"; } ); };\n"
		"event_handler = { spool_dir = \"%s/spool\"; };\n"
		"job_manager = { job_ids_dir = \"%s/ids\"; };\n", dir, dir, dir, dir), 0);
	c = unit_conf(text.s);
	buf_release(&text);
}

static void teardown(void)
{
	conf_free(c);
	unit_rm_rf(dir);
}

static const char comment_fmt[] =
	"{\"action\":\"created\",\"issue\":{\"number\":7%s},"
	"\"comment\":{\"id\":99,\"body\":\"%s\",\"user\":{\"login\":\"%s\",\"type\":\"%s\"},"
	"\"created_at\":\"2026-11-24T01:02:03Z\",\"performed_via_github_app\":null},"
	"\"repository\":{\"full_name\":\"o/r\"},\"installation\":{\"id\":2},"
	"\"sender\":{\"login\":\"%s\",\"type\":\"%s\"}}";

/* Routes one payload; *note gets the handler's note.  The return value. */
static int route(const char *event, const char *json, char *note, size_t size,
		 struct err *e)
{
	struct delivery_ctx ctx = { c, NULL, NULL, { 0 }, 0, 0 };
	struct effects fx;
	struct event ev;
	char sp[512];
	int rc;

	snprintf(sp, sizeof(sp), "%s/spool", dir);
	ck_assert_int_eq(spool_init(sp, e), 0);
	ck_assert_int_eq(effects_open(&fx, sp, D1, e), 0);
	ctx.fx = &fx;
	ck_assert_msg(event_parse(event, D1, json, strlen(json), &ev, e) == 0, "%s", e->msg);
	rc = route_dispatch(&ctx, &ev, e);
	snprintf(note, size, "%s", ctx.note);
	ck_assert_ptr_null(ctx.gh); /* no client opened: no GitHub call */
	delivery_ctx_release(&ctx);
	event_release(&ev);
	effects_release(&fx);
	return rc;
}

static void comment(const char *body, const char *login, const char *type,
		    int is_pr, char *note, size_t size)
{
	char json[2048];
	struct err e = ERR_INIT;

	snprintf(json, sizeof(json), comment_fmt,
		 is_pr ? ",\"pull_request\":{\"url\":\"x\"}" : "", body, login, type,
		 login, type);
	ck_assert_msg(route("issue_comment", json, note, size, &e) == 0, "%s", e.msg);
}

START_TEST(nothing_to_do_says_why_and_calls_nobody)
{
	char note[256];
	struct err e = ERR_INIT;

	comment("bot: help", "eessi-bot[bot]", "Bot", 1, note, sizeof(note));
	ck_assert_ptr_nonnull(strstr(note, "ignored: comment by a bot"));
	comment("bot: help", "alice", "User", 0, note, sizeof(note));
	ck_assert_ptr_nonnull(strstr(note, "comment on an issue, not a pull request"));
	comment("looks good to me", "alice", "User", 1, note, sizeof(note));
	ck_assert_str_eq(note, "no bot command");
	comment("bot: build inst:cluster-b", "alice", "User", 1, note, sizeof(note));
	ck_assert_str_eq(note, "no command for this instance");
	ck_assert_int_eq(route("ping", "{\"zen\":\"x\",\"hook_id\":5}", note, sizeof(note), &e), 0);
	ck_assert_str_eq(note, "ping from GitHub, hook 5");
	ck_assert_int_eq(route("installation", "{\"action\":\"created\",\"installation\":{\"id\":2,"
			       "\"account\":{\"login\":\"EESSI\"}},\"sender\":{\"login\":\"alice\"}}",
			       note, sizeof(note), &e), 0);
	ck_assert_ptr_nonnull(strstr(note, "installation 2 created by alice (account EESSI)"));
	ck_assert_int_eq(route("star", "{\"action\":\"created\"}", note, sizeof(note), &e), 0);
	ck_assert_str_eq(note, "ignored: no handler for star/created");
}
END_TEST

static const char label_fmt[] =
	"{\"action\":\"labeled\",\"number\":7,\"label\":{\"name\":\"%s\"},"
	"\"pull_request\":{\"number\":7,\"state\":\"open\",\"head\":{\"sha\":"
	"\"62776718d4950f1cacbf3bd5d3cd00f401d4cae5\"},\"base\":{\"ref\":\"main\"}},"
	"\"repository\":{\"full_name\":\"o/r\"},\"installation\":{\"id\":2},"
	"\"sender\":{\"login\":\"%s\",\"type\":\"%s\"}}";

START_TEST(labels_not_ours_or_by_bots)
{
	char json[2048], note[256];
	struct err e = ERR_INIT;

	snprintf(json, sizeof(json), label_fmt, "bug", "alice", "User");
	ck_assert_int_eq(route("pull_request", json, note, sizeof(note), &e), 0);
	ck_assert_str_eq(note, "ignored: label bug");
	snprintf(json, sizeof(json), label_fmt, "BOT:Build", "some-app[bot]", "Bot");
	ck_assert_int_eq(route("pull_request", json, note, sizeof(note), &e), 0);
	ck_assert_ptr_nonnull(strstr(note, "ignored: label set by a bot"));
	/* a payload without the repository: refused with the reason */
	ck_assert_int_eq(route("pull_request", "{\"action\":\"labeled\",\"label\":"
			       "{\"name\":\"bot:build\"},\"sender\":{\"login\":\"alice\"}}",
			       note, sizeof(note), &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "label payload without repository"));
}
END_TEST

/* The consumer drains a spool of such deliveries in one run. */
START_TEST(consumer_files_each_entry)
{
	static const char *const ids[] = { "22222222-2222-2222-2222-222222222222",
		"33333333-3333-3333-3333-333333333333",
		"44444444-4444-4444-4444-444444444444" };
	struct consume_stats st;
	struct err e = ERR_INIT;
	char sp[512], p[768], json[2048];

	snprintf(sp, sizeof(sp), "%s/spool", dir);
	ck_assert_int_eq(spool_init(sp, &e), 0);
	ck_assert_int_eq(spool_put(sp, ids[0], "ping", "{\"hook_id\":1}", 13, &e), 0);
	snprintf(json, sizeof(json), label_fmt, "bug", "alice", "User");
	ck_assert_int_eq(spool_put(sp, ids[1], "pull_request", json, strlen(json), &e), 0);
	ck_assert_int_eq(spool_put(sp, ids[2], "pull_request", "[1]", 3, &e), 0);
	ck_assert_int_eq(consume_run(c, 0, 0, &st, &e), 0);
	ck_assert_uint_eq(st.handled, 2);
	ck_assert_uint_eq(st.failed, 1);
	ck_assert_uint_eq(st.deferred, 0);
	for (int i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s/done/%s", sp, ids[i]);
		ck_assert_int_eq(access(p, F_OK), 0);
	}
	snprintf(p, sizeof(p), "%s/failed/%s.reason", sp, ids[2]);
	ck_assert_int_eq(access(p, F_OK), 0);
	snprintf(p, sizeof(p), "%s/claimed", sp);
	ck_assert_int_eq(unit_count_entries(p), 0);
	snprintf(p, sizeof(p), "%s/incoming", sp);
	ck_assert_int_eq(unit_count_entries(p), 0);
	/* a second run finds nothing to do */
	ck_assert_int_eq(consume_run(c, 0, 0, &st, &e), 0);
	ck_assert_uint_eq(st.handled + st.failed, 0);
}
END_TEST

Suite *route_suite(void)
{
	Suite *s = suite_create("route");
	TCase *tc = tcase_create("route");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, nothing_to_do_says_why_and_calls_nobody);
	tcase_add_test(tc, labels_not_ours_or_by_bots);
	tcase_add_test(tc, consumer_files_each_entry);
	suite_add_tcase(s, tc);
	return s;
}
