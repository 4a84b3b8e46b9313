/* route.h - what the bot does with each kind of delivery.
 *
 * One table maps (event, action) to a handler; a delivery matching no row
 * is recorded as ignored.  A handler returns 0 when the delivery is dealt
 * with (including "nothing to do", said in ctx->note), -1 with the reason
 * in e, or 1 when it must wait (see below); its effects are made idempotent
 * through ctx->fx (lib/effects.h).
 *
 * Waiting: a run that died after asking GitHub for an effect (a reply) may
 * have left the request in flight; until ROUTE_SETTLE_MS have passed since
 * it, looking for the effect could miss it and make it twice.  With
 * ctx->may_wait the handler sleeps out the rest of that time (the cron
 * manager); without, it returns 1 and the entry stays claimed for a later
 * run (the consumer the webhook started: it must not hold up the others).
 *
 * Rows today:
 *   issue_comment/created      bot commands in PR comments (bot: help,
 *                              bot: build - lib/build.h)
 *   pull_request/labeled       the bot:build label (lib/build.h), the
 *                              bot:deploy label (lib/deploy.h)
 *   installation (any action), installation_repositories: logged
 *   ping                       logged
 */
#ifndef EESSI_ROUTE_H
#define EESSI_ROUTE_H

#include "err.h"

struct conf;
struct event;
struct effects;
struct github;

struct route_ctx {
	const struct conf *c;
	struct effects *fx;   /* the journal of the delivery being handled */
	struct github *gh;    /* opened on first use, kept across deliveries */
	char note[256];       /* what was done or why nothing was, for the log */
	int may_wait;         /* sleep out ROUTE_SETTLE_MS rather than defer */
	long long retry_at_ms; /* set with a return of 1: when to come back */
};

#define ROUTE_SETTLE_MS 10000

/* Handles one parsed delivery: 0 done, 1 later, -1 failed. */
int route_dispatch(struct route_ctx *ctx, const struct event *ev,
		   struct err *e);

/* The clock of intents and retry_at_ms: milliseconds since the epoch
 * (wall time: the values are kept on disk across processes). */
long long route_now_ms(void);

/* ---- for the flows the table calls (lib/build.c) ---- */

/* Sets ctx->note (what was done, for the log line of the delivery). */
void route_note(struct route_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The GitHub client, opened on first use, acting as ev's installation. */
struct github *route_github(struct route_ctx *ctx, const struct event *ev,
			    struct err *e);

/* Posts body as a new comment on ev's issue once, whatever happens to this
 * process meanwhile: journalled under key (key ".intent" before the call,
 * key = the comment id after); a rerun finding only the intent - or this
 * run, when GitHub's answer was lost (ERR_UNSURE: a 5xx, a broken
 * connection) - waits out ROUTE_SETTLE_MS, then looks for the body's first
 * line (a hidden marker that must identify the comment) among the comments
 * made since, and posts again only when it is not there (at most 3 posts,
 * then ERR_UNSURE).  0 posted or found (*id), 1 later (see above), -1
 * failed. */
int route_comment_once(struct route_ctx *ctx, const struct event *ev,
		       const char *key, const char *body, long long *id,
		       struct err *e);

/* Before looking for the effect of an intent recorded at intent_ms: 0 look
 * now (after sleeping if ctx->may_wait), 1 come back later (retry_at_ms
 * set). */
int route_settle(struct route_ctx *ctx, long long intent_ms);

/* Frees what the context opened (the GitHub client). */
void route_ctx_release(struct route_ctx *ctx);

#endif
