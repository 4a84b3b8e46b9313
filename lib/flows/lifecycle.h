/* lifecycle.h - a pull request after its build: closed (merged or not) or
 * reopened, and the manager's sweep of the job directories of the pull
 * requests that were closed.
 *
 *   closed    this instance's jobs of the PR that are pending, held or
 *             running are cancelled with ONE scancel (journalled: effect
 *             "scancel"); their rows then say "cancelled: the pull request
 *             was merged" (or "... closed") - the marker of
 *             lib/flows/cancel.h.  The marker
 *                 <job_ids_dir>/closed/OWNER/NAME/N   ("merged"|"closed" EPOCH)
 *             asks the manager to clear the PR's job directories away.  At
 *             chatlevel chatty a comment says so.
 *   reopened  the marker goes; nothing else happens (a new build must be
 *             asked for).
 *   sweep     in each manager iteration, for each marker whose PR has no
 *             job that is not over and no deploy request waiting: every
 *             JOBS/YYYY.MM/OWNER/NAME/pr_N/ENTRY is renamed to
 *             TRASH/YYYY.MM.DD/OWNER/NAME/pr_N/ENTRY (clean_up.trash_bin_dir,
 *             the day of the sweep, UTC), the JOBS/<ID> symlinks of its jobs
 *             removed, then the marker.  A trash on another file system
 *             (a rename cannot cross it) leaves the directories in place,
 *             logged.
 */
#ifndef EESSI_LIFECYCLE_H
#define EESSI_LIFECYCLE_H

#include "delivery.h"
#include "err.h"

struct conf;
struct event;

#define LIFECYCLE_DIR "closed"

int lifecycle_closed(struct delivery_ctx *ctx, const struct event *ev,
		     struct err *e);
int lifecycle_reopened(struct delivery_ctx *ctx, const struct event *ev,
		       struct err *e);

/* A push (synchronize): the PR's jobs built for an older head, as
 * buildenv.supersede says (pending: not started; all; none), cancelled with
 * ONE scancel (journalled); their rows say "superseded by SHA" (the new
 * head, 12 hex digits). */
int lifecycle_pushed(struct delivery_ctx *ctx, const struct event *ev,
		     struct err *e);

/* The sweep (the manager holds its lock).  *moved: the directories moved
 * to the trash.  0, or -1 e (the first problem; the others are logged). */
int lifecycle_sweep(const struct conf *c, long long now, unsigned *moved,
		    struct err *e);

#endif
