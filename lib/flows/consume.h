/* consume.h - the spool consumer: handles every waiting delivery, in the
 * order they arrived, one process at a time.
 *
 *   lock     <spool>/consumer.lock, flock()ed; a second consumer sees it
 *            held and leaves at once (the holder will see its entries)
 *   recover  claimed/ entries left by a consumer that died are handled
 *            again (their effect journals make that safe); one that must
 *            wait stays claimed for a later run
 *   claim    incoming/D -> claimed/D (a rename: one owner)
 *   handle   parse the entry and the payload, route (lib/flows/route.h)
 *   finish   claimed/D -> done/D, or failed/D with failed/D.reason
 *   retry    a transient failure (ERR_AGAIN: GitHub's 5xx, 429 or no
 *            answer after the client's retries, git unable to reach the
 *            remote, Slurm's controller away; ERR_UNSURE) leaves D claimed
 *            with retry.tries and retry.at in its journal: it is handled
 *            again from the start once due, event_handler.retry_delay
 *            seconds after the first failure, twice as long after each
 *            next (at most 16 x retry_delay), event_handler.retry_tries
 *            times; then it fails for good, the PR told
 *            (route_give_up()).  Any other failure fails at once.
 *
 * The wake-up rule, so that no delivery waits for the next cron run: the
 * webhook handler spools an entry, then starts a consumer unless one holds
 * the lock (spool_consumer_busy()).  A consumer that finds incoming/ empty
 * releases the lock and looks once more; if an entry arrived meanwhile it
 * takes the lock again (or leaves it to whoever took it).  So an entry
 * written while a consumer is finishing is always seen by someone.
 */
#ifndef EESSI_CONSUME_H
#define EESSI_CONSUME_H

#include "err.h"

struct conf;

struct consume_stats {
	unsigned handled;   /* moved to done/ */
	unsigned failed;    /* moved to failed/ */
	unsigned recovered; /* of those, left in claimed/ by a consumer that
			     * died */
	unsigned retried;   /* of those, left for later and due now */
	unsigned swept;     /* stale temporary files removed */
	unsigned deferred;  /* left claimed for a later run (lib/flows/route.h) */
};

/* Drains the spool.  may_wait: entries that must wait a few seconds (see
 * lib/flows/route.h) are waited for rather than left for a later run.
 * linger_ms > 0: once the spool is empty, keep the lock and wait that long
 * (inotify on incoming/) for the next delivery before leaving: under a
 * steady stream one consumer handles it all, and the handler starts no
 * process per delivery.  Returns 0 when drained, 1 when another consumer
 * holds the lock (nothing done), -1 when the spool cannot be used. */
int consume_run(const struct conf *c, int may_wait, int linger_ms,
		struct consume_stats *st, struct err *e);

#define CONSUME_LINGER_MS 3000 /* what --consume waits for more */

#endif
