/* route.h - what the bot does with each kind of delivery.
 *
 * One table maps (event, action) to a handler; a delivery matching no row
 * is recorded as ignored.  A handler returns 0 when the delivery is dealt
 * with (including "nothing to do", said in ctx->note), -1 with the reason
 * in e, or 1 when it must wait (lib/flows/delivery.h says when); its effects are
 * made idempotent through ctx->fx (lib/state/effects.h) and lib/flows/delivery.h.
 *
 * Rows today:
 *   issue_comment/created      bot commands in PR comments (bot: help,
 *                              build - lib/flows/build.h, status,
 *                              show_config, cancel, retry)
 *   pull_request/labeled       the bot:build label (lib/flows/build.h), the
 *                              bot:deploy label (lib/flows/deploy.h)
 *   pull_request/closed, reopened, synchronize: lib/flows/lifecycle.h
 *   installation (any action), installation_repositories: logged
 *   ping                       logged
 */
#ifndef EESSI_ROUTE_H
#define EESSI_ROUTE_H

#include "delivery.h"
#include "err.h"

struct event;

/* Handles one parsed delivery: 0 done, 1 later, -1 failed. */
int route_dispatch(struct delivery_ctx *ctx, const struct event *ev,
		   struct err *e);

/* The delivery met transient failures through `tries` tries and fails for
 * good (lib/flows/consume.h): the PR is told so once (journalled "gave-up"),
 * at chatlevel basic and up, when the event names a pull request.  0 told
 * or nothing to tell, 1 later (lib/flows/delivery.h), -1 e. */
int route_give_up(struct delivery_ctx *ctx, const struct event *ev,
		  long long tries, struct err *e);

#endif
