/* cdoc.h - the status comment's document: everything needed to render one
 * status comment again, kept on disk beside the job records.
 *
 *   <job_ids_dir>/comments/<COMMENT_ID>.json
 *
 * The build writes it once, when its jobs are in Slurm (before the job
 * records: the manager never follows a job whose comment has no document
 * yet, unless the build died there - then it makes one from the records).
 * The manager then owns it: it changes rows as the jobs move and writes it
 * back after each edit of the comment on GitHub.  The comment's body is a
 * function of the document alone (cdoc_body()), so a rerun after a crash
 * renders the same rows: never a duplicate, never a row lost.
 *
 * JSON (json-c), one object:
 *   {"version": 1, "comment_id": N, "repo": "o/n", "pr_number": N,
 *    "instance": "...", "delivery": "...", "requested_by": "...",
 *    "head_sha": "...", "base_ref": "...", "base_sha": "...",
 *    "rows": [{"target": "...", "key": "...", "job_id": N,
 *              "state": "held", "reason": "", "result": "", "slurm": "",
 *              "note": "..." | null, "excerpt": "..." | null,
 *              "changed_at": N, "missing_since": N}, ...]}
 * Every field is checked on parse as on render (sizes of the struct below,
 * names as lib/core/jobrec.h checks them, target 1-511 bytes of
 * [A-Za-z0-9._+:/-], ' ', '(' and ')', state [a-z ]{1,31}, reason
 * printable ASCII, result "" or a result_status_name(), slurm "" or
 * [A-Z_]{1,31}, note and excerpt clean UTF-8 text within their caps,
 * times 0..253402300799 (year 9999), ids 1..2^53-1 (exact in any JSON
 * reader) except job_id 0 for a row without job), so a document from disk
 * is as trustworthy as one just made.  The file is written atomically
 * (temp + fsync + rename), mode 0644, and is at most CDOC_MAX_BYTES.
 */
#ifndef EESSI_CDOC_H
#define EESSI_CDOC_H

#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "target.h"

/* 256 rows of the largest note and excerpt, every byte escaped in JSON
 * (2 bytes), fit. */
#define CDOC_MAX_BYTES ((size_t)8 * 1024 * 1024)
#define CDOC_ROWS_MAX TARGET_MAX
#define CDOC_NOTE_MAX 4096     /* bytes of a note kept (cut at UTF-8) */
#define CDOC_EXCERPT_MAX 4096  /* bytes of an excerpt kept */
/* The body cdoc_body() makes stays under GitHub's 65,536 characters. */
#define CDOC_BODY_MAX 60000

/* Row states the bot writes (other [a-z ] words parse, and show as they
 * are).  Build: "preparing", "not submitted", "held" (hold_release) or
 * "submitted" (delayed_begin).  Manager: "released", "pending",
 * "running", "suspended", "finished", "lost". */

struct cdoc_row {
	char target[TARGET_NAME_MAX]; /* struct target's name (shown) */
	char key[512];          /* struct target's key */
	long long job_id;       /* 0: no job (not submitted) */
	char state[32];         /* see above */
	char reason[64];        /* Slurm's pending reason last shown, or "" */
	char result[8];         /* finished: SUCCESS / FAILURE / UNKNOWN */
	char slurm[32];         /* finished: Slurm's end state ("COMPLETED",
				 * "TIMEOUT", ...), "" when not known */
	char *note;             /* more for the state cell; NULL: none */
	char *excerpt;          /* the end of the job output (multi-line);
				 * NULL: none.  Both clean text (see
				 * status_clean()): set them with
				 * cdoc_set_note() / cdoc_set_excerpt() */
	long long changed_at;   /* epoch s of the last shown change */
	long long missing_since; /* epoch s the manager first missed the job
				  * in Slurm; 0: seen last time (not shown) */
};

struct cdoc {
	long long comment_id;   /* > 0 */
	char repo[141];
	long long pr_number;    /* > 0 */
	char instance[65];
	char delivery[37];
	char requested_by[48];  /* may be "" */
	char head_sha[65];      /* may be "" */
	char base_ref[256];     /* may be "" */
	char base_sha[65];      /* may be "" */
	struct cdoc_row *rows;  /* malloc'ed */
	size_t n;
};

/* A document with no comment on GitHub (chatlevel "incognito": the bot
 * writes nothing, the manager follows the jobs all the same) has a local
 * id in [CDOC_LOCAL_MIN, 2^53 - 1], far above any id GitHub gives (about
 * 2^32 in 2026), made from the delivery id so that a rerun makes the same
 * one.  Nothing with a local id is ever sent to GitHub. */
#define CDOC_LOCAL_MIN (1LL << 52)

/* The local id of a delivery's status document (FNV-1a of the id). */
long long cdoc_local_id(const char *delivery);

/* 1 if id is a local id (no comment on GitHub), else 0. */
int cdoc_is_local(long long id);

/* Frees what d holds and zeroes it; safe twice and on a zeroed struct. */
void cdoc_release(struct cdoc *d);

/* Appends a new row (zeroed) and returns it, or NULL (more than
 * CDOC_ROWS_MAX rows, no memory).  d->rows may move: pointers to earlier
 * rows are then stale (keep indices). */
struct cdoc_row *cdoc_add_row(struct cdoc *d);

/* Inserts a new row (zeroed) before row index at (at == d->n: appends)
 * and returns it, or NULL (at > d->n, more than CDOC_ROWS_MAX rows, no
 * memory).  Rows from at on move one down: keep no index across it. */
struct cdoc_row *cdoc_insert_row(struct cdoc *d, size_t at);

/* The first row with this job id (> 0) / this target key, or NULL. */
struct cdoc_row *cdoc_row_by_job(struct cdoc *d, long long job_id);
struct cdoc_row *cdoc_row_by_key(struct cdoc *d, const char *key);

/* Replaces row->note / row->excerpt with a copy of s made clean text
 * (status_clean(): invalid UTF-8 as '?', control characters but '\n' and
 * '\t' dropped), cut at a UTF-8 boundary to CDOC_NOTE_MAX /
 * CDOC_EXCERPT_MAX bytes; NULL, "" or nothing left clears.  0 or -1 (no
 * memory; the field is then unchanged). */
int cdoc_set_note(struct cdoc_row *row, const char *s);
int cdoc_set_excerpt(struct cdoc_row *row, const char *s);

/* 1 if the two rows would show the same (every field but changed_at and
 * missing_since), else 0. */
int cdoc_row_same(const struct cdoc_row *a, const struct cdoc_row *b);

/* A deep copy of src into *dst (dst need not be initialised).  0 or -1
 * ERR_NOMEM with *dst zeroed. */
int cdoc_copy(struct cdoc *dst, const struct cdoc *src, struct err *e);

/* JSON text of d (appended to out).  -1 ERR_INVAL naming the field that
 * is out of shape, ERR_TOOBIG (out's cap), ERR_NOMEM; out then as it
 * was. */
int cdoc_to_json(const struct cdoc *d, struct buf *out, struct err *e);

/* Parses a document: a total function of the len bytes (NULs refused).
 * -1 ERR_INVAL naming the field ("rows[3].state: ..."), ERR_TOOBIG past
 * CDOC_MAX_BYTES, ERR_NOMEM; *d then zeroed.  Unknown fields are ignored;
 * note and excerpt may be absent or null; a version other than 1 is
 * refused. */
int cdoc_parse(const char *text, size_t len, struct cdoc *d, struct err *e);

/* <job_ids_dir>/comments/<comment_id>.json appended to out.  0, or -1
 * (comment_id <= 0, out's cap). */
int cdoc_path(const char *job_ids_dir, long long comment_id, struct buf *out);

/* Reads and parses the document of comment_id.  0; 1 when there is none
 * (*d zeroed); -1 on a read or parse error (naming the path), *d zeroed:
 * a symlink, a FIFO or anything but a regular file is an error (opened
 * O_NOFOLLOW | O_NONBLOCK), as is a document whose comment_id is not the
 * file's. */
int cdoc_load(const char *job_ids_dir, long long comment_id, struct cdoc *d,
	      struct err *e);

/* Writes the document atomically (comments/ made 0755 when missing),
 * after cdoc_to_json()'s checks.  With only_new, an existing document is
 * left as it is (0): the build never overwrites what the manager changed
 * (xio_create_atomic()). */
int cdoc_save(const char *job_ids_dir, const struct cdoc *d, int only_new,
	      struct err *e);

/* The comment's body (appended to out) through status_render(): the
 * state cell of a finished row reads "SUCCESS (COMPLETED)", "FAILURE
 * (TIMEOUT)", or the result alone when Slurm's end state is not known;
 * other rows show their state.  Each row's note goes below its state.
 * Rows with an excerpt get, after the table, a collapsed block each:
 *   <details><summary>TARGET, job ID: end of the job output</summary>
 *   (blank line)
 *   ````text          (a fence longer than any run of backticks in it)
 *   ...excerpt...
 *   ````
 *   </details>
 * When the body would pass CDOC_BODY_MAX, excerpts are left out from the
 * last row backwards, each replaced by one line saying so; should that not
 * do (hundreds of rows with long notes), then the notes, from the last row
 * backwards, and then the last rows, each with one line saying how many.
 * The fields are not checked here (any struct renders safely).  0, or -1
 * when out's cap is hit (out then as it was). */
int cdoc_body(const struct cdoc *d, struct buf *out);

#endif
