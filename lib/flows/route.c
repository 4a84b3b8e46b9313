/* route.c - what the bot does with each kind of delivery: the table of
 * (event, action) handlers and of PR-comment commands.
 * Layer: flows (README, "Map of the code"). */
#include "route.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <json.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "build.h"
#include "cancel.h"
#include "cdoc.h"
#include "command.h"
#include "conf.h"
#include "delivery.h"
#include "deploy.h"
#include "effects.h"
#include "event.h"
#include "github.h"
#include "lifecycle.h"
#include "log.h"
#include "names.h"
#include "report.h"
#include "status.h"

#define REPLY_CAP ((size_t)64 * 1024)
#define BUILD_LABEL "bot:build"
#define REACTION "eyes" /* on every command comment: "seen" */

/* ---- commands in PR comments ---------------------------------------- */

/* What the commands of one comment make together. */
struct run {
	struct buf reply;       /* the reply's text */
	int said;               /* the reply has something to say */
	int acted;              /* a command is carried out: react */
	struct build_req build; /* the build lines */
};

/* What one command adds to the run. */
typedef int (*command_fn)(struct delivery_ctx *ctx, const struct event *ev,
			  const struct command *cmd, struct run *run);

/* Who may use a command: the rule check_build(), refuse() and bot: help
 * all read.  WHO_ACTING: a login of both bot_control.command_permission
 * (who may give the bot commands in comments at all, as in the original
 * bot) and buildenv.build_permission. */
enum command_who { WHO_ANYONE, WHO_ACTING };

struct command_row {
	enum command_id id;
	enum command_who who;
	command_fn fn;
	const char *usage;  /* as written in a comment */
	const char *help;   /* one line for bot: help */
};

static int cmd_help(struct delivery_ctx *ctx, const struct event *ev,
		    const struct command *cmd, struct run *run);
static int cmd_build(struct delivery_ctx *ctx, const struct event *ev,
		     const struct command *cmd, struct run *run);
static int cmd_status(struct delivery_ctx *ctx, const struct event *ev,
		      const struct command *cmd, struct run *run);
static int cmd_show_config(struct delivery_ctx *ctx, const struct event *ev,
			   const struct command *cmd, struct run *run);
static int cmd_cancel(struct delivery_ctx *ctx, const struct event *ev,
		      const struct command *cmd, struct run *run);
static int cmd_retry(struct delivery_ctx *ctx, const struct event *ev,
		     const struct command *cmd, struct run *run);

/* The commands this instance carries out; bot: help lists exactly these. */
static const struct command_row command_rows[] = {
	{ CMD_HELP, WHO_ANYONE, cmd_help, "bot: help", "this list" },
	{ CMD_BUILD, WHO_ACTING, cmd_build,
	  "bot: build [arch:A] [repo:R] [inst:I] [accel:X] "
	  "[jobargs:NAME=VALUE] [submitargs:--OPT=VALUE]",
	  "build the pull request (merged onto its base branch) for the "
	  "matching targets of this instance; no filter: all of them; job "
	  "arguments (environment, sbatch) as far as the instance's allow-lists "
	  "admit them" },
	{ CMD_STATUS, WHO_ANYONE, cmd_status,
	  "bot: status [arch:A] [repo:R] [inst:I] [accel:X]",
	  "this instance's builds of this pull request, one row per target "
	  "(its latest attempt), from its own records" },
	{ CMD_SHOW_CONFIG, WHO_ANYONE, cmd_show_config, "bot: show_config [inst:I]",
	  "what this instance builds (targets, their sbatch arguments), its "
	  "upload policy and chat level, and who may build and deploy" },
	{ CMD_CANCEL, WHO_ACTING, cmd_cancel,
	  "bot: cancel [arch:A] [repo:R] [inst:I] [accel:X] | job:ID ...",
	  "cancel (one scancel) this pull request's jobs of this instance that "
	  "are pending or running: those of the matching targets, or the jobs "
	  "named; jobs that are over are named and left alone" },
	{ CMD_RETRY, WHO_ACTING, cmd_retry,
	  "bot: retry [arch:A] [repo:R] [inst:I] [accel:X]",
	  "build again, from the pull request as it is now, the matching "
	  "targets whose latest attempt is over and did not succeed (failed, "
	  "unknown, cancelled or lost)" },
};

static const char *who_text(enum command_who w)
{
	return w == WHO_ACTING ? "the logins of both `command_permission` and "
				 "`build_permission`" : "anyone";
}

/* 1 if user may use the command of row (NULL: an unknown command). */
static int may_use(const struct delivery_ctx *ctx, const struct command_row *row,
		   const char *user)
{
	return !row || row->who == WHO_ANYONE ||
	       (conf_has_login(&ctx->c->bot_control.command_permission, user) &&
		conf_has_login(&ctx->c->buildenv.build_permission, user));
}

/* Whether the chat level lets the bot write what needs level. */
static int chat(const struct delivery_ctx *ctx, enum conf_chatlevel level)
{
	return ctx->c->bot_control.chatlevel >= level;
}

static const struct command_row *command_row(enum command_id id)
{
	size_t i;

	for (i = 0; i < sizeof(command_rows) / sizeof(command_rows[0]); i++)
		if (command_rows[i].id == id)
			return &command_rows[i];
	return NULL;
}

static int cmd_help(struct delivery_ctx *ctx, const struct event *ev,
		    const struct command *cmd, struct run *run)
{
	size_t i;

	(void)ev;
	(void)cmd;
	run->said = run->acted = 1;
	if (buf_addf(&run->reply, "Commands of bot instance `%s`, one per line "
		     "in a pull request comment:\n\n| command | what it does | "
		     "who may |\n|---|---|---|\n", ctx->c->github.app_name) < 0)
		return -1;
	for (i = 0; i < sizeof(command_rows) / sizeof(command_rows[0]); i++)
		if (buf_addf(&run->reply, "| `%s` | %s | %s |\n", command_rows[i].usage,
			     command_rows[i].help, who_text(command_rows[i].who)) < 0)
			return -1;
	return buf_adds(&run->reply, "\n");
}

static int cmd_build(struct delivery_ctx *ctx, const struct event *ev,
		     const struct command *cmd, struct run *run)
{
	(void)ev;
	return build_add_line(ctx->c, cmd, &run->build);
}

/* A line the command cannot take: said in the reply, nothing else done. */
static int line_refused(const struct command *cmd, struct run *run,
			const char *why)
{
	run->said = run->acted = 1;
	if (buf_addf(&run->reply, "Line %d, `bot: %s ", cmd->line,
		     command_word(cmd->id)) < 0 ||
	    status_code_text(&run->reply, cmd->args, 200) < 0 ||
	    buf_addf(&run->reply, "`: %s\n\n", why) < 0)
		return -1;
	return 0;
}

/* The filters of a status or show_config line.  0 with f (and, for target
 * filters, keys of the matching targets: *keys malloc'ed, NULL for "every
 * target"); 1 another instance's line or the line refused (said); -1 no
 * memory. */
static int line_filters(struct delivery_ctx *ctx, const struct command *cmd,
			const char *args, struct run *run, int targets_ok,
			struct target **found, size_t *n)
{
	struct filters f;
	char why[512];
	int some = 0, m;

	*found = NULL;
	*n = 0;
	if (cmd->too_long)
		return line_refused(cmd, run, "the line is too long.") < 0 ? -1 : 1;
	if (filter_parse(args, &f, why, sizeof(why)) < 0)
		return line_refused(cmd, run, why) < 0 ? -1 : 1;
	for (size_t i = 0; i < f.n; i++)
		some |= f.f[i].kind != FILTER_INST;
	if (some && !targets_ok)
		return line_refused(cmd, run, "takes no filter but inst:.") < 0 ? -1 : 1;
	if (!(*found = calloc(TARGET_MAX, sizeof(**found))))
		return -1;
	m = target_match(ctx->c, &f, *found, TARGET_MAX, n);
	if (m == 1) /* another instance's line: it answers */
		return 1;
	if (m < 0)
		return line_refused(cmd, run, "matches more targets than one "
				    "instance may have.") < 0 ? -1 : 1;
	if (!some) {
		free(*found);
		*found = NULL;
	}
	return 0;
}

/* The keys of the targets line_filters() found (*keys NULL when it found
 * "every target": no filter).  0, or -1 no memory. */
static int found_keys(const struct target *found, size_t n, const char ***keys)
{
	*keys = NULL;
	if (!found)
		return 0;
	if (!(*keys = calloc(n ? n : 1, sizeof(**keys))))
		return -1;
	for (size_t i = 0; i < n; i++)
		(*keys)[i] = found[i].key;
	return 0;
}

/* The report rows of ev's PR for the targets line_filters() found: 0
 * with *rows (free()); 1 the records could not be read (said); -1 no
 * memory. */
static int line_rows(struct delivery_ctx *ctx, const struct event *ev,
		     const struct command *cmd, struct run *run,
		     const struct target *found, size_t n,
		     struct report_row **rows, size_t *nrows)
{
	const char **keys = NULL;
	struct err e = ERR_INIT;
	int rc;

	*rows = NULL;
	*nrows = 0;
	if (found_keys(found, n, &keys) < 0)
		return -1;
	rc = report_rows(ctx->c, ev->repo, ev->issue, keys, n, rows, nrows, &e);
	free(keys);
	if (rc == 0)
		return 0;
	log_error("bot: %s: %s", command_word(cmd->id), e.msg);
	return line_refused(cmd, run, "the records could not be read; the bot's "
			    "log says why.") < 0 ? -1 : 1;
}

static int cmd_status(struct delivery_ctx *ctx, const struct event *ev,
		      const struct command *cmd, struct run *run)
{
	struct target *found = NULL;
	struct report_row *rows = NULL;
	size_t n = 0, nrows = 0;
	int rc = line_filters(ctx, cmd, cmd->args, run, 1, &found, &n);

	if (rc == 0 && (rc = line_rows(ctx, ev, cmd, run, found, n, &rows, &nrows)) == 0) {
		run->said = run->acted = 1;
		rc = report_status_text(ctx->c->github.app_name, rows, nrows,
					&run->reply) < 0 ||
		     buf_adds(&run->reply, "\n") < 0 ? -1 : 0;
	}
	free(rows);
	free(found);
	return rc < 0 ? -1 : 0;
}

static int cmd_show_config(struct delivery_ctx *ctx, const struct event *ev,
			   const struct command *cmd, struct run *run)
{
	struct target *found = NULL;
	size_t n = 0;
	int rc = line_filters(ctx, cmd, cmd->args, run, 0, &found, &n);

	(void)ev;
	free(found);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	run->said = run->acted = 1;
	return report_config_text(ctx->c, &run->reply) < 0 ||
	       buf_adds(&run->reply, "\n") < 0 ? -1 : 0;
}

/* The refusal of a command that needs build permission: 0 (said, or
 * nothing to say), -1 (the reply's cap). */
static int refuse(struct delivery_ctx *ctx, const char *user, const char *what,
		  int by_comment, struct run *run)
{
	const char *refusal = ctx->c->buildenv.no_build_permission_comment;

	if (by_comment &&
	    !conf_has_login(&ctx->c->bot_control.command_permission, user)) {
		log_info("%s refused: %s is not in command_permission", what, user);
		run->said = 1;
		return buf_addf(&run->reply, "Account `%s` may not give commands "
				"to instance `%s` (`command_permission`); `bot: "
				"%s` is refused.\n\n", user, ctx->c->github.app_name,
				what);
	}
	log_info("%s refused: %s is not in build_permission", what, user);
	if (!*refusal)
		return 0;
	run->said = 1;
	return buf_addf(&run->reply, "%s\n\n", refusal);
}

/* The words of a cancel line: job:ID words into ids, the rest (filters)
 * into rest.  0; 1 refused (said); -1 no memory. */
static int cancel_words(const struct command *cmd, struct run *run,
			long long *ids, size_t *nids, struct buf *rest)
{
	const char *p = cmd->args;
	char why[160], shown[40];

	*nids = 0;
	while (*p) {
		size_t n = strcspn(p, " \t");

		if (n > 4 && strncasecmp(p, "job:", 4) == 0) {
			if (*nids == CANCEL_IDS_MAX)
				return line_refused(cmd, run, "names too many jobs.") < 0 ? -1 : 1;
			if (names_jobid(p + 4, n - 4, &ids[*nids]) < 0) {
				names_shown(shown, sizeof(shown), p, n, 32);
				for (char *q = shown; *q; q++)
					if (*q == '`')
						*q = '?';
				snprintf(why, sizeof(why), "`%s`: not a job id.", shown);
				return line_refused(cmd, run, why) < 0 ? -1 : 1;
			}
			(*nids)++;
		} else if (n && (buf_add(rest, p, n) < 0 || buf_adds(rest, " ") < 0)) {
			return -1;
		}
		p += n;
		p += strspn(p, " \t");
	}
	return 0;
}

static int cmd_cancel(struct delivery_ctx *ctx, const struct event *ev,
		      const struct command *cmd, struct run *run)
{
	long long ids[CANCEL_IDS_MAX];
	struct buf rest = BUF_INIT(COMMAND_ARGS_MAX + 64);
	struct target *found = NULL;
	const char **keys = NULL;
	struct cancel_ask a = { 0 };
	size_t n = 0, nids = 0;
	int rc;

	if (cmd->too_long)
		rc = line_refused(cmd, run, "the line is too long.") < 0 ? -1 : 1;
	else if ((rc = cancel_words(cmd, run, ids, &nids, &rest)) == 0)
		rc = line_filters(ctx, cmd, rest.s, run, nids == 0, &found, &n);
	if (rc != 0) /* wrong, or another instance's line */
		goto out;
	if (!may_use(ctx, command_row(CMD_CANCEL), ev->comment_user)) {
		rc = refuse(ctx, ev->comment_user, "cancel", 1, run);
		goto out;
	}
	rc = -1;
	if (found_keys(found, n, &keys) < 0)
		goto out;
	a.ids = ids;
	a.nids = nids;
	a.keys = keys;
	a.nkeys = n;
	run->said = run->acted = 1;
	rc = cancel_run(ctx, ev, ev->comment_user, &a, &run->reply);
out:
	free(keys);
	free(found);
	buf_release(&rest);
	return rc < 0 ? -1 : 0;
}

/* The targets of rows a retry takes into the run's build; what it cannot
 * take (no longer configured) or that nothing is to retry, said. */
static int retry_rows(struct delivery_ctx *ctx, const struct report_row *rows,
		      size_t n, struct run *run)
{
	struct target t;
	size_t taken = 0;

	for (size_t i = 0; i < n; i++) {
		if (!report_failed(&rows[i]))
			continue;
		if (target_of(ctx->c, rows[i].arch, rows[i].repo_id, rows[i].accel, &t) < 0) {
			run->said = 1;
			if (buf_addf(&run->reply, "`%s` failed but is no longer a target "
				     "of instance `%s`: not retried.\n\n", rows[i].target,
				     ctx->c->github.app_name) < 0)
				return -1;
			continue;
		}
		if (build_add_targets(&run->build, &t, 1) < 0)
			return -1;
		taken++;
	}
	if (taken)
		return 0;
	run->said = run->acted = 1;
	return buf_addf(&run->reply, "Nothing to retry on instance `%s`: the latest "
			"attempt of every matching target succeeded or is not over "
			"yet (`bot: status` shows them).\n\n", ctx->c->github.app_name);
}

static int cmd_retry(struct delivery_ctx *ctx, const struct event *ev,
		     const struct command *cmd, struct run *run)
{
	struct target *found = NULL;
	struct report_row *rows = NULL;
	size_t n = 0, nrows = 0;
	int rc = line_filters(ctx, cmd, cmd->args, run, 1, &found, &n);

	if (rc != 0) /* wrong, or another instance's line */
		goto out;
	if (!may_use(ctx, command_row(CMD_RETRY), ev->comment_user))
		rc = refuse(ctx, ev->comment_user, "retry", 1, run);
	else if ((rc = line_rows(ctx, ev, cmd, run, found, n, &rows, &nrows)) == 0)
		rc = retry_rows(ctx, rows, nrows, run);
out:
	free(rows);
	free(found);
	return rc < 0 ? -1 : 0;
}

static int unknown_command(const struct command *cmd, struct run *run)
{
	struct buf *reply = &run->reply;

	run->said = run->acted = 1;
	if (buf_addf(reply, "Line %d: unknown command `", cmd->line) < 0 ||
	    status_code_text(reply, cmd->word[0] ? cmd->word : "(none)", COMMAND_WORD_MAX) < 0 ||
	    buf_adds(reply, "`; `bot: help` lists the commands.\n\n") < 0)
		return -1;
	return 0;
}

/* The hidden first line of a reply: how a later run recognises it.  A
 * reply to a label event has no comment to point at: the delivery. */
static int reply_marker(const struct delivery_ctx *ctx, const struct event *ev,
			struct buf *out)
{
	if (ev->comment_id)
		return buf_addf(out, "<!-- eessi-bot reply-to=%lld instance=%s -->\n",
				ev->comment_id, ctx->c->github.app_name);
	return buf_addf(out, "<!-- eessi-bot reply-to=delivery:%s instance=%s -->\n",
			ev->delivery, ctx->c->github.app_name);
}

/* The "seen" reaction: idempotent on GitHub's side, journalled so that a
 * second run does not ask again. */
static int react(struct delivery_ctx *ctx, const struct event *ev, struct err *e)
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

/* The build lines' outcome before anything is done: refused (no
 * permission) or wrong (what is wrong goes in the reply). */
static int check_build(struct delivery_ctx *ctx, const struct event *ev,
		       const char *user, struct run *run)
{
	struct build_req *b = &run->build;
	int by_comment = ev->comment_id != 0;

	if (b->lines == 0)
		return 0;
	if (by_comment ? !may_use(ctx, command_row(CMD_BUILD), user)
		       : !conf_has_login(&ctx->c->buildenv.build_permission, user)) {
		b->lines = 0;
		return refuse(ctx, user, "build", by_comment, run);
	}
	if (ev->closed) {
		log_info("build refused: pull request #%lld is closed", ev->issue);
		run->said = 1;
		b->lines = 0;
		return buf_adds(&run->reply, BUILD_CLOSED_REPLY "\n\n");
	}
	if (b->bad) {
		run->said = 1;
		b->lines = 0;
		return buf_add(&run->reply, b->why.s, b->why.len) < 0 ||
		       buf_adds(&run->reply, "\nNothing was submitted; `bot: help` "
				"shows the syntax.\n\n") < 0 ? -1 : 0;
	}
	run->acted = 1;
	return 0;
}

/* At chatlevel chatty, a build request is acknowledged in the reply
 * (besides its status comment). */
static int acknowledge(struct delivery_ctx *ctx, const struct event *ev,
		       struct run *run)
{
	if (!chat(ctx, CONF_CHAT_CHATTY) || !run->build.lines)
		return 0;
	run->said = 1;
	return buf_addf(&run->reply, "Received %s: a build of %zu target%s of "
			"instance `%s`; the status comment follows %s jobs.\n\n",
			ev->comment_id ? "your request" : "the label `" BUILD_LABEL "`",
			run->build.n, run->build.n == 1 ? "" : "s",
			ctx->c->github.app_name, run->build.n == 1 ? "its" : "their");
}

/* The effects of a run, each once: the reaction and the reply (chatlevel
 * basic and up), the build (its status comment from minimal up). */
static int carry_out(struct delivery_ctx *ctx, const struct event *ev,
		     const char *user, struct run *run, long long *reply_id,
		     struct err *e)
{
	int rc;

	*reply_id = 0;
	if (acknowledge(ctx, ev, run) < 0)
		return err_set(e, ERR_TOOBIG, "the reply grew over %zu bytes", REPLY_CAP);
	if (!delivery_github(ctx, ev, e) ||
	    (run->acted && ev->comment_id && chat(ctx, CONF_CHAT_BASIC) &&
	     react(ctx, ev, e) < 0))
		return -1;
	if (run->build.lines &&
	    (rc = build_run(ctx, ev, user, &run->build, &run->reply, &run->said,
			    e)) != 0)
		return rc;
	if (!run->said)
		return 0;
	if (!chat(ctx, CONF_CHAT_BASIC)) {
		log_info("reply not written (chatlevel %s)",
			 conf_chatlevel_name(ctx->c->bot_control.chatlevel));
		return 0;
	}
	return delivery_comment_once(ctx, ev, "reply", run->reply.s, reply_id, e);
}

/* The delivery's log line: the build's note (if a build ran) and the
 * reply's id (if one was posted). */
static void outcome(struct delivery_ctx *ctx, size_t ncmds, long long reply_id)
{
	char build[sizeof(ctx->note)];

	snprintf(build, sizeof(build), "%s", ctx->note);
	if (!*build && ncmds)
		delivery_note(ctx, "%zu command(s), reply %lld", ncmds, reply_id);
	else if (!*build)
		delivery_note(ctx, "label " BUILD_LABEL ": reply %lld", reply_id);
	else if (reply_id)
		delivery_note(ctx, "%.200s; reply %lld", build, reply_id);
}

static int run_commands(struct delivery_ctx *ctx, const struct event *ev,
			const struct command *cmds, size_t n, int more,
			struct err *e)
{
	struct run run = { .reply = BUF_INIT(REPLY_CAP), .build = BUILD_REQ_INIT };
	long long reply_id;
	size_t i;
	int rc = -1;

	if (reply_marker(ctx, ev, &run.reply) < 0 ||
	    buf_addf(&run.reply, "@%s\n\n", ev->comment_user) < 0)
		goto toobig;
	for (i = 0; i < n; i++) {
		const struct command_row *row = command_row(cmds[i].id);

		if ((row ? row->fn(ctx, ev, &cmds[i], &run)
			 : unknown_command(&cmds[i], &run)) < 0)
			goto toobig;
	}
	if (check_build(ctx, ev, ev->comment_user, &run) < 0)
		goto toobig;
	if (more && buf_addf(&run.reply, "Only the first %d commands of a comment "
			     "are carried out.\n", COMMAND_MAX) < 0)
		goto toobig;
	if (!run.said && !run.acted && !run.build.lines) {
		delivery_note(ctx, "no command for this instance");
		rc = 0;
		goto out;
	}
	rc = carry_out(ctx, ev, ev->comment_user, &run, &reply_id, e);
	if (rc == 0)
		outcome(ctx, n, reply_id);
	goto out;
toobig:
	rc = err_set(e, ERR_TOOBIG, "the reply grew over %zu bytes", REPLY_CAP);
out:
	build_req_release(&run.build);
	buf_release(&run.reply);
	return rc;
}

static int on_comment(struct delivery_ctx *ctx, const struct event *ev,
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
		delivery_note(ctx, "ignored: comment by a bot (%s)", ev->comment_user);
		return 0;
	}
	if (!ev->is_pr) {
		delivery_note(ctx, "ignored: comment on an issue, not a pull request");
		return 0;
	}
	n = command_parse(ev->comment_body, strlen(ev->comment_body), cmds,
			  COMMAND_MAX, &more);
	if (n == 0) {
		delivery_note(ctx, "no bot command");
		return 0;
	}
	return run_commands(ctx, ev, cmds, n, more, e);
}

static const char *policy_word(enum conf_upload_policy p)
{
	static const char *const words[] = { "all", "latest", "once", "none" };

	return (unsigned)p < sizeof(words) / sizeof(words[0]) ? words[p] : "?";
}

/* The bot:deploy label: permission first, then one reply and the request
 * the next manager run carries out (lib/flows/deploy.h).  Both are idempotent:
 * the reply through the journal, the request by its delivery id. */
static int deploy_refused(struct delivery_ctx *ctx, const struct event *ev,
			  struct buf *reply, struct err *e)
{
	const char *text = ctx->c->deploycfg.no_deploy_permission_comment;
	long long reply_id = 0;
	int rc;

	log_info("deploy refused: %s is not in deploy_permission", ev->sender);
	if (!text || !*text || !chat(ctx, CONF_CHAT_BASIC)) {
		delivery_note(ctx, "label %s by %s: refused, no reply", DEPLOY_LABEL,
			      ev->sender);
		return 0;
	}
	if (reply_marker(ctx, ev, reply) < 0 ||
	    buf_addf(reply, "@%s\n\n%s\n", ev->sender, text) < 0)
		return err_set(e, ERR_TOOBIG, "the reply grew over %zu bytes", REPLY_CAP);
	if (!delivery_github(ctx, ev, e))
		return -1;
	if ((rc = delivery_comment_once(ctx, ev, "reply", reply->s, &reply_id, e)) != 0)
		return rc;
	delivery_note(ctx, "label %s by %s: refused; reply %lld", DEPLOY_LABEL,
		      ev->sender, reply_id);
	return 0;
}

static int on_deploy_label(struct delivery_ctx *ctx, const struct event *ev,
			   struct err *e)
{
	const struct conf_deploycfg *d = &ctx->c->deploycfg;
	struct buf reply = BUF_INIT(REPLY_CAP);
	struct deploy_req req;
	long long reply_id = 0;
	int rc = -1, q;

	if (!conf_has_login(&d->deploy_permission, ev->sender)) {
		rc = deploy_refused(ctx, ev, &reply, e);
		goto out;
	}
	if (reply_marker(ctx, ev, &reply) < 0 ||
	    buf_addf(&reply, "@%s deploy queued: the next manager run (within a "
		     "minute) uploads the PR's successful artefacts under "
		     "upload_policy %s; this comment shows a row per artefact\n",
		     ev->sender, policy_word(d->upload_policy)) < 0)
		goto toobig;
	if (!chat(ctx, CONF_CHAT_MINIMAL))
		reply_id = cdoc_local_id(ev->delivery); /* incognito: no comment */
	else if (!delivery_github(ctx, ev, e) ||
		 (rc = delivery_comment_once(ctx, ev, "reply", reply.s, &reply_id, e)) != 0)
		goto out;
	memset(&req, 0, sizeof(req));
	snprintf(req.repo, sizeof(req.repo), "%s", ev->repo);
	req.pr = ev->issue;
	snprintf(req.sender, sizeof(req.sender), "%s", ev->sender);
	req.installation = ev->installation > 0 ? ev->installation
						: ctx->c->github.installation_id;
	req.comment_id = reply_id;
	req.requested_at = (long long)time(NULL);
	if (names_valid_sha(ev->head_sha))
		snprintf(req.head_sha, sizeof(req.head_sha), "%s", ev->head_sha);
	q = deploy_req_queue(ctx->c->job_manager.job_ids_dir, ev->delivery, &req, e);
	if (q < 0) {
		rc = -1;
		goto out;
	}
	delivery_note(ctx, "label %s by %s: deploy %s; reply %lld", DEPLOY_LABEL,
		   ev->sender, q ? "queued" : "queued before", reply_id);
	rc = 0;
	goto out;
toobig:
	rc = err_set(e, ERR_TOOBIG, "the reply grew over %zu bytes", REPLY_CAP);
out:
	buf_release(&reply);
	return rc;
}

/* The bot:build label on a pull request: every target of the instance,
 * for whoever set the label. */
static int on_labeled(struct delivery_ctx *ctx, const struct event *ev,
		      struct err *e)
{
	struct run run = { .reply = BUF_INIT(REPLY_CAP), .build = BUILD_REQ_INIT };
	long long reply_id;
	int rc = -1;

	if (!names_label_is(ev->label, BUILD_LABEL) &&
	    !names_label_is(ev->label, DEPLOY_LABEL)) {
		delivery_note(ctx, "ignored: label %.100s", ev->label);
		return 0;
	}
	if (!*ev->repo || !ev->issue || !*ev->sender)
		return err_set(e, ERR_INVAL, "label payload without repository, "
			       "pull request or sender");
	if (ev->sender_bot) {
		delivery_note(ctx, "ignored: label set by a bot (%s)", ev->sender);
		return 0;
	}
	if (names_label_is(ev->label, DEPLOY_LABEL)) {
		rc = on_deploy_label(ctx, ev, e);
		goto out;
	}
	if (reply_marker(ctx, ev, &run.reply) < 0 ||
	    buf_addf(&run.reply, "@%s\n\n", ev->sender) < 0 ||
	    build_add_all(ctx->c, &run.build) < 0 ||
	    check_build(ctx, ev, ev->sender, &run) < 0) {
		rc = err_set(e, ERR_TOOBIG, "the reply grew over %zu bytes", REPLY_CAP);
		goto out;
	}
	if (!run.said && !run.build.lines) {
		delivery_note(ctx, "label %s: nothing to do", BUILD_LABEL);
		rc = 0;
		goto out;
	}
	rc = carry_out(ctx, ev, ev->sender, &run, &reply_id, e);
	if (rc == 0)
		outcome(ctx, 0, reply_id);
out:
	build_req_release(&run.build);
	buf_release(&run.reply);
	return rc;
}

/* ---- installations and pings ------------------------------------------ */

static int on_installation(struct delivery_ctx *ctx, const struct event *ev,
			   struct err *e)
{
	const char *account = "";
	struct json_object *o;

	(void)e;
	if (json_object_object_get_ex(ev->root, "installation", &o) &&
	    json_object_object_get_ex(o, "account", &o) &&
	    json_object_object_get_ex(o, "login", &o))
		account = json_object_get_string(o);
	delivery_note(ctx, "installation %lld %s by %s (account %.39s)", ev->installation,
	     ev->action, ev->sender, account);
	return 0;
}

static int on_ping(struct delivery_ctx *ctx, const struct event *ev,
		   struct err *e)
{
	struct json_object *o;
	long long hook = 0;

	(void)e;
	if (json_object_object_get_ex(ev->root, "hook_id", &o))
		hook = (long long)json_object_get_int64(o);
	delivery_note(ctx, "ping from GitHub, hook %lld", hook);
	return 0;
}

/* ---- the table ---------------------------------------------------------- */

struct route {
	const char *event;
	const char *action; /* NULL: any */
	int (*fn)(struct delivery_ctx *ctx, const struct event *ev, struct err *e);
};

static const struct route routes[] = {
	{ "issue_comment", "created", on_comment },
	{ "pull_request", "labeled", on_labeled },
	{ "pull_request", "closed", lifecycle_closed },
	{ "pull_request", "reopened", lifecycle_reopened },
	{ "pull_request", "synchronize", lifecycle_pushed },
	{ "installation", NULL, on_installation },
	{ "installation_repositories", NULL, on_installation },
	{ "ping", NULL, on_ping },
};

int route_dispatch(struct delivery_ctx *ctx, const struct event *ev,
		   struct err *e)
{
	size_t i;

	ctx->note[0] = '\0';
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (strcmp(routes[i].event, ev->name) == 0 &&
		    (!routes[i].action || strcmp(routes[i].action, ev->action) == 0))
			return routes[i].fn(ctx, ev, e);
	}
	delivery_note(ctx, "ignored: no handler for %s%s%s", ev->name,
	     *ev->action ? "/" : "", ev->action);
	return 0;
}

int route_give_up(struct delivery_ctx *ctx, const struct event *ev,
		  long long tries, struct err *e)
{
	struct buf reply = BUF_INIT(REPLY_CAP);
	long long id = 0;
	int rc;

	if (!*ev->repo || ev->issue <= 0 || !chat(ctx, CONF_CHAT_BASIC))
		return 0;
	if (buf_addf(&reply, "<!-- eessi-bot gave-up=%s instance=%s -->\n",
		     ev->delivery, ctx->c->github.app_name) < 0 ||
	    buf_addf(&reply, "Instance `%s` could not finish handling this %s: "
		     "a service it needs (GitHub, the git remote or Slurm's "
		     "controller) stayed out of reach through %lld tries (the "
		     "instance's log says which).  What it did before stays "
		     "done; nothing more will happen for this request.  Ask "
		     "again once the instance is back.\n", ctx->c->github.app_name,
		     ev->comment_id ? "comment" : "event", tries) < 0) {
		buf_release(&reply);
		return err_set(e, ERR_TOOBIG, "the reply grew over %zu bytes",
			       REPLY_CAP);
	}
	rc = delivery_github(ctx, ev, e) ? delivery_comment_once(
		ctx, ev, "gave-up", reply.s, &id, e) : -1;
	if (rc == 0)
		log_info("told the PR it gave up: comment %lld", id);
	buf_release(&reply);
	return rc;
}
