/* delivery.h - what every handler of a delivery shares: the context of one
 * delivery's handling, and effects made once whatever happens meanwhile.
 *
 * Waiting: a run that died after asking GitHub for an effect (a reply), or
 * whose answer was lost, may have left the request in flight; until
 * DELIVERY_SETTLE_MS have passed since it, looking for the effect could
 * miss it and make it twice.  With ctx->may_wait the handler sleeps out the
 * rest of that time (the cron manager); without, it returns 1 and the entry
 * stays claimed for a later run (the consumer the webhook started: it must
 * not hold up the others).
 *
 * Flows layer, below route (the tables) and build (a build request), which
 * both use it: neither includes the other's header for it.
 */
#ifndef EESSI_DELIVERY_H
#define EESSI_DELIVERY_H

#include "err.h"

struct conf;
struct event;
struct effects;
struct github;

struct delivery_ctx {
	const struct conf *c;
	struct effects *fx;   /* the journal of the delivery being handled */
	struct github *gh;    /* opened on first use, kept across deliveries */
	char note[256];       /* what was done or why nothing was, for the log */
	int may_wait;         /* sleep out DELIVERY_SETTLE_MS rather than defer */
	long long retry_at_ms; /* set with a return of 1: when to come back
				* (clock_wall_ms(): kept on disk) */
};

#define DELIVERY_SETTLE_MS 10000

/* Sets ctx->note (what was done, for the log line of the delivery). */
void delivery_note(struct delivery_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The GitHub client, opened on first use, acting as ev's installation. */
struct github *delivery_github(struct delivery_ctx *ctx, const struct event *ev,
			    struct err *e);

/* Posts body as a new comment on ev's issue once, whatever happens to this
 * process meanwhile: journalled under key (key ".intent" before the call,
 * key = the comment id after); a rerun finding only the intent - or this
 * run, when GitHub's answer was lost (ERR_UNSURE: a 5xx, a broken
 * connection) - waits out DELIVERY_SETTLE_MS, then looks for the body's first
 * line (a hidden marker that must identify the comment) among the comments
 * made since, and posts again only when it is not there (at most 3 posts,
 * then ERR_UNSURE).  0 posted or found (*id), 1 later (see above), -1
 * failed. */
int delivery_comment_once(struct delivery_ctx *ctx, const struct event *ev,
		       const char *key, const char *body, long long *id,
		       struct err *e);

/* Before looking for the effect of an intent recorded at intent_ms: 0 look
 * now (after sleeping if ctx->may_wait), 1 come back later (retry_at_ms
 * set). */
int delivery_settle(struct delivery_ctx *ctx, long long intent_ms);

/* Frees what the context opened (the GitHub client). */
void delivery_ctx_release(struct delivery_ctx *ctx);

#endif
