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
 *                              bot: build - lib/flows/build.h)
 *   pull_request/labeled       the bot:build label (lib/flows/build.h), the
 *                              bot:deploy label (lib/flows/deploy.h)
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

#endif
