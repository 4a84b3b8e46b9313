#include "route.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <json.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "command.h"
#include "conf.h"
#include "effects.h"
#include "event.h"
#include "github.h"
#include "log.h"

#define REPLY_CAP ((size_t)64 * 1024)
#define REACTION "eyes" /* on every command comment: "seen" */
/* How far before the recorded intent a crashed run's reply is looked for:
 * GitHub's clock and ours may differ a little. */
#define RECOVERY_SLACK_S 300
#define RECOVERY_PAGES 20 /* of 100 comments each */

static void note(struct route_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void note(struct route_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(ctx->note, sizeof(ctx->note), fmt, ap) < 0)
		ctx->note[0] = '\0';
	va_end(ap);
}

static struct github *gh(struct route_ctx *ctx, const struct event *ev,
			 struct err *e)
{
	if (!ctx->gh && github_open(ctx->c, &ctx->gh, e) < 0)
		return NULL;
	github_set_installation(ctx->gh, ev->installation);
	return ctx->gh;
}

/* ---- commands in PR comments ---------------------------------------- */

/* What one command adds to the reply. */
typedef int (*command_fn)(struct route_ctx *ctx, const struct event *ev,
			  const struct command *cmd, struct buf *reply);

struct command_row {
	enum command_id id;
	command_fn fn;
	const char *usage;  /* as written in a comment */
	const char *help;   /* one line for bot: help */
};

static int cmd_help(struct route_ctx *ctx, const struct event *ev,
		    const struct command *cmd, struct buf *reply);

/* The commands this instance carries out; bot: help lists exactly these. */
static const struct command_row command_rows[] = {
	{ CMD_HELP, cmd_help, "bot: help", "this list" },
};

static const struct command_row *command_row(enum command_id id)
{
	size_t i;

	for (i = 0; i < sizeof(command_rows) / sizeof(command_rows[0]); i++)
		if (command_rows[i].id == id)
			return &command_rows[i];
	return NULL;
}

static int cmd_help(struct route_ctx *ctx, const struct event *ev,
		    const struct command *cmd, struct buf *reply)
{
	size_t i;

	(void)ev;
	(void)cmd;
	if (buf_addf(reply, "Commands of bot instance `%s`, one per line in a "
		     "pull request comment:\n\n| command | what it does |\n"
		     "|---|---|\n", ctx->c->github.app_name) < 0)
		return -1;
	for (i = 0; i < sizeof(command_rows) / sizeof(command_rows[0]); i++)
		if (buf_addf(reply, "| `%s` | %s |\n", command_rows[i].usage,
			     command_rows[i].help) < 0)
			return -1;
	return buf_adds(reply, "\n");
}

/* A word cut to printable ASCII for the reply (it came from a comment). */
static int add_word(struct buf *reply, const char *w)
{
	for (; *w; w++)
		if (buf_addch(reply, *w > ' ' && *w < 0x7f && *w != '`' ? *w : '?') < 0)
			return -1;
	return 0;
}

static int unknown_command(const struct command *cmd, struct buf *reply)
{
	if (buf_addf(reply, "Line %d: unknown command `", cmd->line) < 0 ||
	    add_word(reply, cmd->word[0] ? cmd->word : "(none)") < 0 ||
	    buf_adds(reply, "`; `bot: help` lists the commands.\n\n") < 0)
		return -1;
	return 0;
}

/* The hidden first line of a reply: how a later run recognises it. */
static int reply_marker(const struct route_ctx *ctx, const struct event *ev,
			struct buf *out)
{
	return buf_addf(out, "<!-- eessi-bot reply-to=%lld instance=%s -->\n",
			ev->comment_id, ctx->c->github.app_name);
}

long long route_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* An intent younger than ROUTE_SETTLE_MS: its request may still be on its
 * way.  0: look now; 1: come back later (after sleeping if we may). */
static int settle(struct route_ctx *ctx, long long intent_ms)
{
	long long left = intent_ms + ROUTE_SETTLE_MS - route_now_ms();
	struct timespec ts;

	if (left <= 0)
		return 0;
	if (!ctx->may_wait) {
		note(ctx, "a reply may still be on its way: looking again later");
		ctx->retry_at_ms = intent_ms + ROUTE_SETTLE_MS;
		return 1;
	}
	log_info("waiting %lld ms for a reply that may still be on its way", left);
	ts.tv_sec = (time_t)(left / 1000);
	ts.tv_nsec = (long)(left % 1000) * 1000000;
	while (nanosleep(&ts, &ts) < 0)
		;
	return 0;
}

static void iso_time(time_t t, char out[32])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	if (strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		out[0] = '\0';
}

/* The id of the comment in list whose body starts with marker, or 0. */
static long long marked(struct json_object *list, const struct buf *marker)
{
	size_t i;

	for (i = 0; i < json_object_array_length(list); i++) {
		struct json_object *c = json_object_array_get_idx(list, i), *b, *n;

		if (json_object_object_get_ex(c, "body", &b) &&
		    json_object_is_type(b, json_type_string) &&
		    strncmp(json_object_get_string(b), marker->s, marker->len) == 0 &&
		    json_object_object_get_ex(c, "id", &n))
			return (long long)json_object_get_int64(n);
	}
	return 0;
}

/* After a crash between the intent and the record: was the reply made?
 * Looks for the marker among the comments since the intent, page by page
 * (a busy pull request may have more than a page of them). */
static int find_reply(struct route_ctx *ctx, const struct event *ev,
		      const char *intent, long long *id, struct err *e)
{
	struct buf marker = BUF_INIT(512);
	char since[32];
	int page, rc = -1;

	*id = 0;
	iso_time((time_t)(strtoll(intent, NULL, 10) / 1000 - RECOVERY_SLACK_S), since);
	if (reply_marker(ctx, ev, &marker) < 0)
		goto out;
	for (page = 1; page <= RECOVERY_PAGES && !*id; page++) {
		struct json_object *list = NULL;
		size_t n;

		if (github_comments_since(ctx->gh, ev->repo, ev->issue, since, page,
					  &list, e) < 0)
			goto out;
		*id = marked(list, &marker);
		n = json_object_array_length(list);
		json_object_put(list);
		if (n < 100)
			break; /* the last page */
	}
	rc = 0;
out:
	buf_release(&marker);
	return rc;
}

/* Posts the reply once, whatever happens to this process meanwhile:
 * 0 posted (or found), 1 later (see settle()), -1 failed. */
static int post_reply(struct route_ctx *ctx, const struct event *ev,
		      const char *body, long long *id, struct err *e)
{
	struct buf v = BUF_INIT(128);
	char num[32];
	int rc = -1;

	if (effects_get(ctx->fx, "reply", &v)) {
		*id = strtoll(v.s, NULL, 10);
		rc = 0;
		goto out;
	}
	if (effects_get(ctx->fx, "reply.intent", &v)) {
		if ((rc = settle(ctx, strtoll(v.s, NULL, 10))) != 0)
			goto out;
		rc = -1;
		if (find_reply(ctx, ev, v.s, id, e) < 0)
			goto out;
		if (*id) {
			log_info("reply %lld found: made by an earlier run", *id);
			goto record;
		}
	}
	snprintf(num, sizeof(num), "%lld", route_now_ms());
	if (effects_put(ctx->fx, "reply.intent", num, e) < 0 ||
	    github_comment_create(ctx->gh, ev->repo, ev->issue, body, id, e) < 0)
		goto out;
record:
	snprintf(num, sizeof(num), "%lld", *id);
	rc = effects_put(ctx->fx, "reply", num, e);
out:
	buf_release(&v);
	return rc;
}

/* The "seen" reaction: idempotent on GitHub's side, journalled so that a
 * second run does not ask again. */
static int react(struct route_ctx *ctx, const struct event *ev, struct err *e)
{
	struct buf v = BUF_INIT(64);
	int done = effects_get(ctx->fx, "reaction", &v);

	buf_release(&v);
	if (done)
		return 0;
	if (github_reaction_add(ctx->gh, ev->repo, ev->comment_id, REACTION, e) < 0)
		return -1;
	return effects_put(ctx->fx, "reaction", REACTION, e);
}

static int run_commands(struct route_ctx *ctx, const struct event *ev,
			const struct command *cmds, size_t n, int more,
			struct err *e)
{
	struct buf reply = BUF_INIT(REPLY_CAP);
	long long reply_id = 0;
	size_t i;
	int rc = -1, posted;

	if (reply_marker(ctx, ev, &reply) < 0 ||
	    buf_addf(&reply, "@%s\n\n", ev->comment_user) < 0)
		goto toobig;
	for (i = 0; i < n; i++) {
		const struct command_row *row = command_row(cmds[i].id);

		if ((row ? row->fn(ctx, ev, &cmds[i], &reply)
			 : unknown_command(&cmds[i], &reply)) < 0)
			goto toobig;
	}
	if (more && buf_addf(&reply, "Only the first %d commands of a comment "
			     "are carried out.\n", COMMAND_MAX) < 0)
		goto toobig;
	if (!gh(ctx, ev, e) || react(ctx, ev, e) < 0 ||
	    (posted = post_reply(ctx, ev, reply.s, &reply_id, e)) < 0)
		goto out;
	if (posted == 0)
		note(ctx, "%zu command(s), reply %lld", n, reply_id);
	rc = posted;
	goto out;
toobig:
	rc = err_set(e, ERR_TOOBIG, "the reply grew over %zu bytes", REPLY_CAP);
out:
	buf_release(&reply);
	return rc;
}

static int on_comment(struct route_ctx *ctx, const struct event *ev,
		      struct err *e)
{
	struct command cmds[COMMAND_MAX];
	size_t n;
	int more;

	if (!*ev->repo || !ev->issue || !ev->comment_id || !*ev->comment_user)
		return err_set(e, ERR_INVAL, "comment payload without repository, "
			       "issue, comment id or author");
	if (ev->comment_bot || (ev->comment_app &&
				ev->comment_app == ctx->c->github.app_id)) {
		note(ctx, "ignored: comment by a bot (%s)", ev->comment_user);
		return 0;
	}
	if (!ev->is_pr) {
		note(ctx, "ignored: comment on an issue, not a pull request");
		return 0;
	}
	n = command_parse(ev->comment_body, strlen(ev->comment_body), cmds,
			  COMMAND_MAX, &more);
	if (n == 0) {
		note(ctx, "no bot command");
		return 0;
	}
	return run_commands(ctx, ev, cmds, n, more, e);
}

/* ---- installations and pings ------------------------------------------ */

static int on_installation(struct route_ctx *ctx, const struct event *ev,
			   struct err *e)
{
	const char *account = "";
	struct json_object *o;

	(void)e;
	if (json_object_object_get_ex(ev->root, "installation", &o) &&
	    json_object_object_get_ex(o, "account", &o) &&
	    json_object_object_get_ex(o, "login", &o))
		account = json_object_get_string(o);
	note(ctx, "installation %lld %s by %s (account %.39s)", ev->installation,
	     ev->action, ev->sender, account);
	return 0;
}

static int on_ping(struct route_ctx *ctx, const struct event *ev,
		   struct err *e)
{
	struct json_object *o;
	long long hook = 0;

	(void)e;
	if (json_object_object_get_ex(ev->root, "hook_id", &o))
		hook = (long long)json_object_get_int64(o);
	note(ctx, "ping from GitHub, hook %lld", hook);
	return 0;
}

/* ---- the table ---------------------------------------------------------- */

struct route {
	const char *event;
	const char *action; /* NULL: any */
	int (*fn)(struct route_ctx *ctx, const struct event *ev, struct err *e);
};

static const struct route routes[] = {
	{ "issue_comment", "created", on_comment },
	{ "installation", NULL, on_installation },
	{ "installation_repositories", NULL, on_installation },
	{ "ping", NULL, on_ping },
};

int route_dispatch(struct route_ctx *ctx, const struct event *ev,
		   struct err *e)
{
	size_t i;

	ctx->note[0] = '\0';
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (strcmp(routes[i].event, ev->name) == 0 &&
		    (!routes[i].action || strcmp(routes[i].action, ev->action) == 0))
			return routes[i].fn(ctx, ev, e);
	}
	note(ctx, "ignored: no handler for %s%s%s", ev->name,
	     *ev->action ? "/" : "", ev->action);
	return 0;
}

void route_ctx_release(struct route_ctx *ctx)
{
	github_free(ctx->gh);
	ctx->gh = NULL;
}
