/* Payloads, PR-comment commands and GitHub names: the pure core that turns
 * a delivery into what a handler decides on. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "event.h"
#include "names.h"
#include "unit.h"

#define D "72d3162e-cc78-11e3-81ab-4c9367dc0958"

static const char comment_json[] =
	"{\"action\":\"created\",\"issue\":{\"number\":42,\"pull_request\":"
	"{\"url\":\"x\"}},\"comment\":{\"id\":1234567890123,\"body\":"
	"\"bot: help\",\"user\":{\"login\":\"maint-1\",\"type\":\"User\"},"
	"\"created_at\":\"2026-11-24T01:02:03Z\",\"performed_via_github_app\":null},"
	"\"repository\":{\"full_name\":\"EESSI/software-layer\"},"
	"\"installation\":{\"id\":4242},\"sender\":{\"login\":\"maint-1\","
	"\"type\":\"User\"}}";

START_TEST(comment_event_fields)
{
	struct event ev;
	struct err e = ERR_INIT;

	ck_assert_int_eq(event_parse("issue_comment", D, comment_json,
				     strlen(comment_json), &ev, &e), 0);
	ck_assert_str_eq(ev.action, "created");
	ck_assert_str_eq(ev.repo, "EESSI/software-layer");
	ck_assert_int_eq(ev.installation, 4242);
	ck_assert_int_eq(ev.issue, 42);
	ck_assert_int_eq(ev.is_pr, 1);
	ck_assert_int_eq(ev.closed, 0);
	ck_assert_int_eq(ev.comment_id, 1234567890123LL);
	ck_assert_str_eq(ev.comment_body, "bot: help");
	ck_assert_str_eq(ev.comment_user, "maint-1");
	ck_assert_int_eq(ev.comment_bot, 0);
	ck_assert_int_eq(ev.comment_app, 0);
	ck_assert_str_eq(ev.sender, "maint-1");
	ck_assert_str_eq(ev.label, "");
	/* a comment carries no commits: "" like any absent field (a build
	 * handler reads them without checking for NULL) */
	ck_assert_str_eq(ev.head_sha, "");
	ck_assert_str_eq(ev.base_ref, "");
	event_release(&ev);
	ck_assert_ptr_null(ev.root);
}
END_TEST

#define SHA "62776718d4950f1cacbf3bd5d3cd00f401d4cae5"

static int label_event(const char *sha, const char *ref, struct event *ev,
		       struct err *e)
{
	char json[1024];

	snprintf(json, sizeof(json),
		 "{\"action\":\"labeled\",\"number\":7,\"label\":{\"name\":"
		 "\"bot:build\"},\"pull_request\":{\"number\":7,\"head\":{\"sha\":"
		 "\"%s\"},\"base\":{\"ref\":\"%s\"}},\"repository\":{\"full_name\":"
		 "\"EESSI/software-layer\"},\"sender\":{\"login\":\"maint-1\"}}",
		 sha, ref);
	return event_parse("pull_request", D, json, strlen(json), ev, e);
}

START_TEST(label_event_commits)
{
	struct event ev;
	struct err e = ERR_INIT;

	ck_assert_int_eq(label_event(SHA, "2023.06-software", &ev, &e), 0);
	ck_assert_str_eq(ev.label, "bot:build");
	ck_assert_int_eq(ev.issue, 7);
	ck_assert_int_eq(ev.is_pr, 1);
	ck_assert_str_eq(ev.head_sha, SHA);
	ck_assert_str_eq(ev.base_ref, "2023.06-software");
	ck_assert_int_eq(ev.closed, 0);
	event_release(&ev);
	/* a head that is not a SHA refuses the payload */
	ck_assert_int_eq(label_event("$(id)", "main", &ev, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "pull_request.head.sha"));
	err_clear(&e);
	ck_assert_int_eq(label_event(SHA "0", "main", &ev, &e), -1);
	err_clear(&e);
	/* a hostile base branch is kept for the build to refuse in the PR,
	 * but control characters refuse the payload */
	ck_assert_int_eq(label_event(SHA, "zzz\\\";echo${IFS}hello;#", &ev, &e), 0);
	ck_assert_str_eq(ev.base_ref, "zzz\";echo${IFS}hello;#");
	event_release(&ev);
	ck_assert_int_eq(label_event(SHA, "main\\n", &ev, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "pull_request.base.ref"));
}
END_TEST

/* Replaces the first occurrence of from with to in comment_json. */
static char *variant(const char *from, const char *to)
{
	const char *at = strstr(comment_json, from);
	size_t n = strlen(comment_json) + strlen(to) + 1;
	char *out = malloc(n);

	ck_assert_ptr_nonnull(at);
	ck_assert_ptr_nonnull(out);
	snprintf(out, n, "%.*s%s%s", (int)(at - comment_json), comment_json, to,
		 at + strlen(from));
	return out;
}

START_TEST(hostile_fields_refuse_the_payload)
{
	static const char *const cases[][3] = {
		{ "EESSI/software-layer", "../../etc", "repository.full_name" },
		{ "EESSI/software-layer", "EESSI/a/b", "repository.full_name" },
		{ "EESSI/software-layer", "$(id)/x", "repository.full_name" },
		{ "EESSI/software-layer", "EESSI/..", "repository.full_name" },
		{ "\"login\":\"maint-1\"", "\"login\":\"a;rm -rf\"", "comment.user.login" },
		{ "\"login\":\"maint-1\"", "\"login\":\"x\\ny\"", "comment.user.login" },
		{ "\"id\":4242", "\"id\":-1", "installation.id" },
		{ "\"id\":4242", "\"id\":\"4242\"", "installation.id" },
		{ "\"number\":42", "\"number\":99999999999999999999", "issue.number" },
		{ "\"action\":\"created\"", "\"action\":\"a\\u0001b\"", "action" },
		{ "\"action\":\"created\"", "\"action\":7", "action" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *j = variant(cases[i][0], cases[i][1]);
		struct event ev;
		struct err e = ERR_INIT;

		ck_assert_msg(event_parse("issue_comment", D, j, strlen(j), &ev, &e) < 0,
			      "accepted: %s", j);
		ck_assert_int_eq(e.code, ERR_INVAL);
		ck_assert_msg(strstr(e.msg, cases[i][2]), "%s: %s", cases[i][2], e.msg);
		ck_assert_ptr_null(ev.root);
		free(j);
	}
}
END_TEST

START_TEST(bots_and_plain_issues_are_told_apart)
{
	char *bot = variant("\"type\":\"User\"", "\"type\":\"Bot\"");
	char *app = variant("\"performed_via_github_app\":null",
			    "\"performed_via_github_app\":{\"id\":123456}");
	char *issue = variant(",\"pull_request\":{\"url\":\"x\"}", "");
	struct event ev;
	struct err e = ERR_INIT;

	ck_assert_int_eq(event_parse("issue_comment", D, bot, strlen(bot), &ev, &e), 0);
	ck_assert_int_eq(ev.comment_bot, 1);
	event_release(&ev);
	ck_assert_int_eq(event_parse("issue_comment", D, app, strlen(app), &ev, &e), 0);
	ck_assert_int_eq(ev.comment_app, 123456);
	event_release(&ev);
	ck_assert_int_eq(event_parse("issue_comment", D, issue, strlen(issue), &ev, &e), 0);
	ck_assert_int_eq(ev.is_pr, 0);
	ck_assert_int_eq(ev.issue, 42);
	event_release(&ev);
	free(bot);
	/* a closed pull request: issue.state in a comment's payload */
	bot = variant("\"number\":42,", "\"number\":42,\"state\":\"closed\",");
	ck_assert_int_eq(event_parse("issue_comment", D, bot, strlen(bot), &ev, &e), 0);
	ck_assert_int_eq(ev.closed, 1);
	event_release(&ev);
	free(bot);
	free(app);
	free(issue);
}
END_TEST

START_TEST(not_an_object_or_trailing_bytes)
{
	static const char *const bad[] = { "[]", "{} {}", "{\"a\":1", "", "null" };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct event ev;
		struct err e = ERR_INIT;

		ck_assert_int_eq(event_parse("ping", D, bad[i], strlen(bad[i]), &ev, &e), -1);
		ck_assert_int_eq(e.code, ERR_INVAL);
	}
}
END_TEST

/* Found by t/fuzz/fuzz_event: without a "comment" object the comment's
 * strings were NULL, not "" as event.h promises for absent fields. */
START_TEST(absent_strings_are_empty)
{
	static const char *const bodies[] = { "{}", "{\"action\":\"opened\"}",
		"{\"issue\":{\"number\":7}}", "{\"pull_request\":{\"number\":3}}" };
	size_t i;

	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct event ev;
		struct err e = ERR_INIT;

		ck_assert_int_eq(event_parse("ping", D, bodies[i], strlen(bodies[i]),
					     &ev, &e), 0);
		ck_assert_str_eq(ev.action, i == 1 ? "opened" : "");
		ck_assert_str_eq(ev.repo, "");
		ck_assert_str_eq(ev.sender, "");
		ck_assert_str_eq(ev.label, "");
		ck_assert_str_eq(ev.head_sha, "");
		ck_assert_str_eq(ev.base_ref, "");
		ck_assert_str_eq(ev.comment_body, "");
		ck_assert_str_eq(ev.comment_user, "");
		ck_assert_str_eq(ev.comment_created, "");
		event_release(&ev);
	}
}
END_TEST

START_TEST(commands_in_a_comment)
{
	static const char body[] =
		"Thanks!\r\n"
		"bot: help\r\n"
		"  BOT:build   arch:x86_64/generic  repo:eessi.io-2023.06  \n"
		"> bot: help\n"
		"```\nbot: build\n```\n"
		"bot:status\n"
		"bot: frobnicate now\n"
		"bot:\n"
		"the bot: is here\n";
	struct command c[COMMAND_MAX];
	int more;
	size_t n = command_parse(body, strlen(body), c, COMMAND_MAX, &more);

	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(more, 0);
	ck_assert_int_eq(c[0].id, CMD_HELP);
	ck_assert_int_eq(c[0].line, 2);
	ck_assert_str_eq(c[0].args, "");
	ck_assert_int_eq(c[1].id, CMD_BUILD);
	ck_assert_str_eq(c[1].args, "arch:x86_64/generic  repo:eessi.io-2023.06");
	ck_assert_int_eq(c[2].id, CMD_STATUS);
	ck_assert_int_eq(c[2].line, 8);
	ck_assert_int_eq(c[3].id, CMD_UNKNOWN);
	ck_assert_str_eq(c[3].word, "frobnicate");
	ck_assert_str_eq(c[3].args, "now");
	ck_assert_int_eq(c[4].id, CMD_UNKNOWN);
	ck_assert_str_eq(c[4].word, "");
	ck_assert_str_eq(command_word(CMD_SHOW_CONFIG), "show_config");
	ck_assert_ptr_null(command_word(CMD_UNKNOWN));
}
END_TEST

START_TEST(commands_are_bounded)
{
	char body[4096] = "", line[64];
	struct command c[3];
	char *huge;
	int more, i;
	size_t n;

	for (i = 0; i < 5; i++) {
		snprintf(line, sizeof(line), "bot: help %d\n", i);
		strncat(body, line, sizeof(body) - strlen(body) - 1);
	}
	n = command_parse(body, strlen(body), c, 3, &more);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(more, 1);
	/* an overlong argument is cut and marked, and the command is still
	 * known (its handler refuses the line); an overlong word is no
	 * command */
	huge = malloc(8192);
	ck_assert_ptr_nonnull(huge);
	memset(huge, 'a', 8191);
	huge[8191] = '\0';
	memcpy(huge, "bot: help ", 10);
	n = command_parse(huge, strlen(huge), c, 3, &more);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(c[0].too_long, 1);
	ck_assert_int_eq(c[0].id, CMD_HELP);
	ck_assert_uint_eq(strlen(c[0].args), COMMAND_ARGS_MAX);
	memcpy(huge, "BOT: BUILD ", 11);
	n = command_parse(huge, strlen(huge), c, 3, &more);
	ck_assert_int_eq(c[0].too_long, 1);
	ck_assert_int_eq(c[0].id, CMD_BUILD);
	memset(huge, 'a', 8191);
	memcpy(huge, "bot: ", 5);
	n = command_parse(huge, strlen(huge), c, 3, &more);
	ck_assert_uint_eq(strlen(c[0].word), COMMAND_WORD_MAX);
	ck_assert_int_eq(c[0].too_long, 1);
	ck_assert_int_eq(c[0].id, CMD_UNKNOWN);
	free(huge);
}
END_TEST

START_TEST(names)
{
	static const char *const good_logins[] = { "a", "maint-1", "x-y-z",
		"eessi-bot[bot]", "A1234567890123456789012345678901234567" };
	static const char *const bad_logins[] = { "", "-a", "a-", "a--b", "a b",
		"a/b", "[bot]", "a;b", "a\nb", "1234567890123456789012345678901234567890" };
	static const char *const good_repos[] = { "EESSI/software-layer",
		"o/a.b_c-d", "o/..x" };
	static const char *const bad_repos[] = { "", "o", "/r", "o/", "o/.", "o/..",
		"o/a/b", "../x", "o/a b", "o/$(id)", "o[bot]/r", "o/a\nb" };
	size_t i;

	for (i = 0; i < sizeof(good_logins) / sizeof(char *); i++)
		ck_assert_msg(names_valid_login(good_logins[i]), "%s", good_logins[i]);
	for (i = 0; i < sizeof(bad_logins) / sizeof(char *); i++)
		ck_assert_msg(!names_valid_login(bad_logins[i]), "%s", bad_logins[i]);
	for (i = 0; i < sizeof(good_repos) / sizeof(char *); i++)
		ck_assert_msg(names_valid_repo(good_repos[i]), "%s", good_repos[i]);
	for (i = 0; i < sizeof(bad_repos) / sizeof(char *); i++)
		ck_assert_msg(!names_valid_repo(bad_repos[i]), "%s", bad_repos[i]);
	ck_assert(!names_valid_login(NULL));
	ck_assert(!names_valid_repo(NULL));
	ck_assert(names_valid_label("bot:build"));
	/* labels compare as GitHub compares them: without ASCII case */
	ck_assert(names_label_is("BOT:BUILD", "bot:build"));
	ck_assert(names_label_is("Bot:Deploy", "bot:deploy"));
	ck_assert(!names_label_is("bot:build ", "bot:build"));
	ck_assert(!names_label_is("bot:buil", "bot:build"));
	ck_assert(!names_label_is(NULL, "bot:build"));
	ck_assert(!names_valid_label("a\tb"));
	ck_assert(!names_valid_label(""));
}
END_TEST

Suite *event_suite(void)
{
	Suite *s = suite_create("event");
	TCase *tc = tcase_create("event");

	tcase_add_test(tc, comment_event_fields);
	tcase_add_test(tc, label_event_commits);
	tcase_add_test(tc, hostile_fields_refuse_the_payload);
	tcase_add_test(tc, bots_and_plain_issues_are_told_apart);
	tcase_add_test(tc, not_an_object_or_trailing_bytes);
	tcase_add_test(tc, absent_strings_are_empty);
	tcase_add_test(tc, commands_in_a_comment);
	tcase_add_test(tc, commands_are_bounded);
	tcase_add_test(tc, names);
	suite_add_tcase(s, tc);
	return s;
}
