/* dirq.h - a directory queue, the one way the bot keeps a queue of work on
 * disk: the spool (incoming/ -> claimed/ -> done/ or failed/) and the
 * deploy requests (pending/ -> done/ or broken/).  One file per item,
 * named by its delivery id (names_valid_delivery(): nothing else becomes a
 * file name); claiming or finishing an item is a rename between
 * subdirectories of the queue's directory, so that one process owns it;
 * an item that cannot be handled is set aside with a .reason beside it.
 */
#ifndef EESSI_DIRQ_H
#define EESSI_DIRQ_H

#include <stddef.h>

#include "err.h"

/* The ids in dir/sub, oldest first (by modification time, then name),
 * regular files only; names that are not delivery ids (temporary files,
 * .reason files) are skipped.  A missing dir/sub is an error unless
 * missing_ok (then none).  *ids is NULL-terminated: free with
 * dirq_free(). */
int dirq_list(const char *dir, const char *sub, int missing_ok, char ***ids,
	      size_t *n, struct err *e);
void dirq_free(char **ids);

#define DIRQ_DURABLE 1      /* fsync the target directory after the move */
#define DIRQ_DURABLE_FROM 2 /* ... and the source directory (with DURABLE) */
#define DIRQ_MKDIR 4        /* make the target directory when missing */

/* Renames dir/from/id to dir/to/id.  A move that may be lost in a crash
 * (no DIRQ_DURABLE) is one whose loss only means handling the item again.
 * 1 if the item was not in from (another process took it), 0 when moved,
 * -1 on error. */
int dirq_move(const char *dir, const char *id, const char *from,
	      const char *to, int flags, struct err *e);

/* Sets an item aside: dir/to/id.reason holding the reason (one line, at
 * most 3,000 bytes) written first, then the item moved from -> to (both
 * durable; to made when missing).  0, or -1 e. */
int dirq_set_aside(const char *dir, const char *id, const char *from,
		   const char *to, const char *reason, struct err *e);

#endif
