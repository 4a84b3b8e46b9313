/* effects.h - what a delivery's handling has already done, on disk.
 *
 * Handling a spool entry may be cut short (a crash, SIGKILL) after some of
 * its effects were made; the entry is then handled again.  Each effect that
 * is not idempotent on GitHub's side (a reply comment, a submitted job) is
 * written down here before and after it is made, under a key:
 *     put(key ".intent", time) -> make the effect -> put(key, its id)
 * A second run skips keys that are done and, for an intent without a
 * result, checks what the first run left before trying again.
 *
 * The journal of delivery D is <spool>/effects/D: "key value" lines,
 * rewritten atomically on every put.  It is removed once the entry is done.
 */
#ifndef EESSI_EFFECTS_H
#define EESSI_EFFECTS_H

#include "buf.h"
#include "err.h"

struct effects {
	struct buf path;
	struct buf text;
};

/* Loads the journal of a delivery (empty when there is none). */
int effects_open(struct effects *fx, const char *spool_dir,
		 const char *delivery, struct err *e);
void effects_release(struct effects *fx);

/* The value recorded under key (copied into out), 1 if found, 0 if not. */
int effects_get(const struct effects *fx, const char *key, struct buf *out);

#define EFFECTS_KEY_MAX 640

/* Records key = value durably (key: 1-EFFECTS_KEY_MAX of [A-Za-z0-9_.:+/-];
 * value: one line). */
int effects_put(struct effects *fx, const char *key, const char *value,
		struct err *e);

/* Removes the journal file (the entry is done). */
int effects_remove(struct effects *fx, struct err *e);

#endif
