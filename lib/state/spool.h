/* spool.h - deliveries kept on disk between the webhook answer and their
 * handling.
 *
 * Layout under the spool directory:
 *   incoming/<delivery>   written by the webhook handler (atomic, durable)
 *   claimed/<delivery>    taken by the consumer (a rename: one owner)
 *   done/<delivery>       handled
 *   failed/<delivery>     handling failed; <delivery>.reason beside it
 *   effects/<delivery>    what handling has done so far (lib/state/effects.h)
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

/* Writes a new entry into incoming/.  Fails with ERR_EXISTS if another
 * writer got there first (a duplicate delivery, told by its code). */
int spool_put(const char *dir, const char *delivery, const char *event,
	      const char *body, size_t len, struct err *e);

/* The parts of an entry.  event and delivery are validated copies; body
 * points into the text that was parsed. */
struct spool_entry {
	char event[65];
	char delivery[37];
	const char *body;
	size_t body_len;
};

/* Parses an entry, or a delivery saved from GitHub's "Recent Deliveries"
 * page: header lines "Name: value" (names case-insensitive; a first line
 * "Request method: POST" and headers other than X-GitHub-Event and
 * X-GitHub-Delivery are skipped), a blank line (LF or CRLF), the body.
 * ERR_INVAL naming what is missing or malformed. */
int spool_parse_entry(const char *text, size_t len, struct spool_entry *out,
		      struct err *e);

/* The spool is a directory queue (lib/state/dirq.h); these are its
 * operations under the spool's names.
 *
 * The delivery ids in one state directory ("incoming", "claimed", ...),
 * oldest first (by modification time, then name).  Names that are not
 * delivery ids (temporary files, .reason files) are skipped.  *ids is a
 * NULL-terminated array: free it with spool_list_free(). */
int spool_list(const char *dir, const char *state, char ***ids, size_t *n,
	       struct err *e);
void spool_list_free(char **ids);

/* Renames <state from>/<delivery> to <state to>/<delivery>; durable: then
 * fsyncs the target directory.  A move that may be lost in a crash is one
 * whose loss only means handling the entry again (lib/flows/consume.c says
 * which).  Returns 1 if the entry was not in `from` (another process took
 * it), 0 when moved, -1 on error. */
int spool_move(const char *dir, const char *delivery, const char *from,
	       const char *to, int durable, struct err *e);

/* Moves a claimed entry to failed/ with failed/<delivery>.reason holding
 * the reason (one line), written first. */
int spool_fail(const char *dir, const char *delivery, const char *reason,
	       struct err *e);

/* Removes temporary files (a handler killed while writing) older than
 * max_age seconds from incoming/; returns how many. */
int spool_sweep(const char *dir, long max_age, struct err *e);

/* The consumer lock, <spool>/consumer.lock (lib/flows/consume.h): opened
 * (created if missing) close-on-exec; -1 on error. */
int spool_lock_open(const char *dir, struct err *e);

/* flock()s it without waiting: 0 taken, 1 held by another process, -1
 * error.  Closing the descriptor lets go. */
int spool_lock_try(int fd, struct err *e);

/* 1 if a consumer holds the lock now, 0 if not, -1 on error.  Here, not in
 * lib/flows/consume.c, so that the webhook handler links none of the consumer's
 * libraries (libcurl, libjwt). */
int spool_consumer_busy(const char *dir, struct err *e);


#endif
