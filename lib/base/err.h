/* err.h - a typed error, filled by the first failure on a path.
 *
 * Functions that can fail return 0 on success or -1 and fill a struct err.
 * err_set() returns -1 so a check reads `return err_set(e, ...)`.  The first
 * error wins: later calls on an already set error change nothing, so the
 * innermost (most specific) cause is what the caller reports.
 */
#ifndef EESSI_ERR_H
#define EESSI_ERR_H

#include <stddef.h>

enum err_code {
	ERR_NONE = 0,
	ERR_SYS,     /* a system call failed; msg carries strerror(errno) */
	ERR_NOMEM,   /* allocation failed */
	ERR_INVAL,   /* invalid input (caller's or outside data) */
	ERR_TOOBIG,  /* a size cap was hit */
	ERR_TIMEOUT, /* a child or a peer took too long */
	ERR_CONFIG,  /* configuration problem */
	ERR_CHILD,   /* a child process failed to start */
	ERR_NOTFOUND, /* what was asked for does not exist */
	ERR_PERM,    /* refused: no permission (a peer's 401/403, a file mode) */
	ERR_IO,      /* a peer answered with an error, or data did not match */
	ERR_EXISTS,  /* what was to be created exists already (a file
		      * written exclusively: a duplicate delivery) */
	ERR_UNSURE,  /* a request that is not safe to repeat reached the
		      * peer, and no answer says whether it took effect (the
		      * connection broke, a timeout, a 5xx): look before
		      * making it again */
	ERR_AGAIN,   /* a transient failure: a peer overloaded or out of
		      * reach (GitHub's 5xx, 429 or no answer after the
		      * client's own retries, Slurm's controller not
		      * answering): the work that met it is tried again
		      * later (its effect journal makes that safe) */
};

struct err {
	enum err_code code;
	char msg[512];
};

#define ERR_INIT { ERR_NONE, { 0 } }

/* Sets code and message unless already set; always returns -1. */
int err_set(struct err *e, enum err_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like err_set(ERR_SYS, ...) with ": <strerror(errno)>" appended.
 * errno is read on entry, so callers need not save it. */
int err_sys(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Forgets the error (e may then be reused). */
void err_clear(struct err *e);

/* Name of a code, e.g. "timeout". */
const char *err_code_name(enum err_code code);

#endif
