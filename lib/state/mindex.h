/* mindex.h - the manager's index, <job_ids_dir>/manager.index: what the
 * manager needs of each record it has read before (comment id, job
 * directory), so that it reads each record once, not every minute
 * (records are written once and never changed: lib/flows/build.c).
 *
 *   # eessi-bot manager index 1
 *   ID COMMENT_ID JOB_DIR
 *
 * One line per job, ids ascending (names_jobid()), comment ids any
 * positive long long (GitHub's pass 2^32), job directories absolute, no
 * control characters.  A cache: made again from the records when it is
 * missing or does not parse (logged), and only ever trusted for a job whose
 * row its comment's document holds.  Written with xio_write_atomic() under
 * the manager's lock.
 */
#ifndef EESSI_MINDEX_H
#define EESSI_MINDEX_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

#define MINDEX_NAME "manager.index"
#define MINDEX_CAP ((size_t)64 * 1024 * 1024)

struct mindex_ent {
	long long id;
	long long cid;   /* pr_comment_id */
	char *dir;       /* job_dir */
	int present;     /* its record is in submitted/ (written back) */
	int moved;       /* moved to finished/ (not written back) */
};

struct mindex {
	struct mindex_ent *ent; /* sorted by id up to nsorted */
	size_t n, cap, nsorted;
	int dirty;              /* write it back */
};

/* The entry of job id (among the sorted ones), or NULL. */
struct mindex_ent *mindex_find(struct mindex *ix, long long id);

/* Appends an entry (present, the index dirty); mindex_sort() before the
 * next mindex_find() that should see it.  The entry, or NULL (no
 * memory). */
struct mindex_ent *mindex_put(struct mindex *ix, long long id, long long cid,
			      const char *dir, size_t dirlen);

/* Sorts every entry by id; all of them are then found. */
void mindex_sort(struct mindex *ix);

/* Frees the entries; ix is empty again. */
void mindex_clear(struct mindex *ix);

/* Parses an index text into an empty ix (sorted).  0, or -1 (ix then
 * holds what came before the bad line: mindex_clear() it). */
int mindex_parse(struct mindex *ix, const char *s, size_t len);

/* Appends the index text of the entries present and not moved, sorted by
 * id.  0, or -1 (out's cap). */
int mindex_render(struct mindex *ix, struct buf *text);

/* Reads <dir>/manager.index into an empty ix.  Missing (dirty), or not
 * an index (logged, cleared, dirty): the caller makes it again from the
 * records. */
void mindex_load(struct mindex *ix, const char *dir);

/* Writes <dir>/manager.index back when it changed (dirty, or an entry
 * gone or moved).  0, or -1 e. */
int mindex_save(struct mindex *ix, const char *dir, struct err *e);

/* An index text as this version writes it (every entry present): 0 with
 * out and *entries; -1 not an index; -2 out's cap. */
int mindex_normalise(const char *s, size_t len, struct buf *out,
		     size_t *entries);

#endif
