/* retention.h - what the bot keeps, for how long: each manager iteration
 * removes
 *   - spool entries in done/ older than event_handler.keep_done_days and in
 *     failed/ (with their .reason) older than keep_failed_days - by the
 *     time the entry was written, when the delivery arrived - with their
 *     effect journals (effects/<delivery>);
 *   - the trash's YYYY.MM.DD directories (lib/flows/lifecycle.h) older than
 *     clean_up.keep_trash_days (0: never);
 *   - git cache refs and objects no job directory borrows (retention_git).
 * Nothing an open pull request needs is touched: incoming/ and claimed/
 * entries, job directories and records stay.
 */
#ifndef EESSI_RETENTION_H
#define EESSI_RETENTION_H

#include "err.h"

struct conf;

struct retention_stats {
	unsigned done;    /* done/ entries removed */
	unsigned failed;  /* failed/ entries removed */
	unsigned trash;   /* trash day directories removed */
};

/* The git cache (lib/adapters/gitcache.h), at most once an hour (the
 * time kept in <git cache>/.pruned): the merge branches no job directory
 * under jobs_base_dir's months or in the trash still borrows, and the
 * fetch refs, older than clean_up.git_cache_keep_hours (0: never), go with
 * the objects only they reached.  A job directory that cannot be read
 * stops the prune (what it borrows is unknown).  *refs: refs removed. */
int retention_git(const struct conf *c, long long now, unsigned *refs,
		  struct err *e);

/* One pass at time now (epoch seconds).  0, or -1 e (the first problem;
 * the others are logged, and what could be removed was). */
int retention_sweep(const struct conf *c, long long now,
		    struct retention_stats *st, struct err *e);

#endif
