/* cancel.h - `bot: cancel`: this instance's jobs of a pull request that
 * are still pending, held or running, cancelled with ONE scancel.  Their
 * rows then say "cancelled by LOGIN": the login is left in
 * <job_ids_dir>/cancelled/<ID> before scancel runs, and the manager puts
 * it in the row's note when Slurm reports the job CANCELLED (the marker
 * goes when the record moves to finished/).  A job that is over is named
 * in the reply and left alone.
 */
#ifndef EESSI_CANCEL_H
#define EESSI_CANCEL_H

#include <stddef.h>

#include "buf.h"
#include "delivery.h"
#include "err.h"

#define CANCEL_DIR "cancelled"
#define CANCEL_IDS_MAX 64   /* job:ID words of one line */
#define CANCEL_JOBS_MAX 1000 /* jobs one command cancels, at most */

/* What a `bot: cancel` line asks for. */
struct cancel_ask {
	const long long *ids;   /* job:ID words; nids 0: every job of keys */
	size_t nids;
	const char *const *keys; /* the matching targets' keys; NULL: all */
	size_t nkeys;
};

/* Carries out a for user on ev's pull request and appends the answer to
 * reply (what was cancelled, what was over, what is not this PR's).  The
 * scancel is journalled (effect "scancel"): a delivery handled again does
 * not run it again.  0, or -1 (reply's cap). */
int cancel_run(struct delivery_ctx *ctx, const struct event *ev,
	       const char *user, const struct cancel_ask *a, struct buf *reply);

/* What cancelled job id ("cancelled by LOGIN", "cancelled: the pull
 * request was closed", ...), from its marker, into out (size bytes): 1, or
 * 0 when there is none. */
int cancel_note(const char *job_ids_dir, long long id, char *out, size_t size);

/* Jobs ids[0..n) cancelled with ONE scancel, each marked with note (the
 * manager puts it in the row when Slurm reports the job CANCELLED).  0;
 * -1 e, *ran saying whether scancel ran (when not, the markers went). */
struct conf;
int cancel_jobs(const struct conf *c, const long long *ids, size_t n,
		const char *note, int *ran, struct err *e);

/* Removes job id's marker (none: nothing to do). */
void cancel_forget(const char *job_ids_dir, long long id);

#endif
