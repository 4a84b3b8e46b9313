/* spool.h - deliveries kept on disk between the webhook answer and their
 * handling.
 *
 * Layout under the spool directory:
 *   incoming/<delivery>   written by the webhook handler (atomic, durable)
 *   claimed/<delivery>    taken by the consumer (a rename: one owner)
 *   done/<delivery>       handled
 *   failed/<delivery>     handling failed; <delivery>.reason beside it
 * A delivery id appears in at most one of them; its presence anywhere means
 * the delivery is known, so a redelivery is not spooled twice.
 *
 * An entry is the delivery's headers, a blank line, then the exact body:
 *   X-GitHub-Event: pull_request
 *   X-GitHub-Delivery: 72d3162e-cc78-11e3-81ab-4c9367dc0958
 *   Received: 2026-11-24T01:02:03Z
 *   <blank line>
 *   {"action":"labeled",...}
 */
#ifndef EESSI_SPOOL_H
#define EESSI_SPOOL_H

#include <stddef.h>

#include "err.h"

/* Creates the spool directories (mode 0750) if missing. */
int spool_init(const char *dir, struct err *e);

/* 1 if the delivery id is known in any state, 0 if not, -1 on error. */
int spool_known(const char *dir, const char *delivery, struct err *e);

/* Writes a new entry into incoming/.  Fails with ERR_INVAL (message
 * "already exists") if another writer got there first. */
int spool_put(const char *dir, const char *delivery, const char *event,
	      const char *body, size_t len, struct err *e);

/* 1 if s is a delivery id as GitHub makes them (a UUID: 8-4-4-4-12 hex
 * digits), 0 otherwise.  Only such ids become file names. */
int spool_valid_delivery(const char *s);

/* 1 if s is an event name GitHub could send (1-64 of [a-z_]), else 0. */
int spool_valid_event(const char *s);

#endif
