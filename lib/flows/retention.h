/* retention.h - what the bot keeps, for how long: each manager iteration
 * removes
 *   - spool entries in done/ older than event_handler.keep_done_days and in
 *     failed/ (with their .reason) older than keep_failed_days - by the
 *     time the entry was written, when the delivery arrived - with their
 *     effect journals (effects/<delivery>);
 *   - the trash's YYYY.MM.DD directories (lib/flows/lifecycle.h) older than
 *     clean_up.keep_trash_days (0: never).
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

/* One pass at time now (epoch seconds).  0, or -1 e (the first problem;
 * the others are logged, and what could be removed was). */
int retention_sweep(const struct conf *c, long long now,
		    struct retention_stats *st, struct err *e);

#endif
