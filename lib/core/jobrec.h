/* jobrec.h - the job-submission record: what ties a Slurm job to the
 * request that made it.
 *
 * One INI file per job (lib/base/ini.h), written when the job is submitted:
 *   <job_ids_dir>/submitted/<JOBID>     the manager's list of jobs to follow
 *                                      (moved to finished/ at the end)
 *   <job dir>/_bot_job<JOBID>.metadata  the same text, beside the job
 * Sections and keys:
 *   [PR]   repo (owner/name), pr_number, pr_comment_id (the status
 *          comment) - the keys the original bot wrote;
 *   [JOB]  id, instance (github.app_name), delivery (the webhook delivery
 *          id), target (arch target), repo_id, accelerator, target_key
 *          (struct target's key), job_dir (absolute), head_sha, base_ref,
 *          base_sha, merge_sha, requested_by (login), submitted_at (epoch
 *          seconds);
 *   [STATE] state and changed_at: the job's state when the record was
 *          written ("held" or "submitted" since submitted_at); result
 *          and slurm (optional, written only when set): the verdict
 *          (SUCCESS, FAILURE, UNKNOWN) and Slurm's end state.  A record
 *          in submitted/ is written once and never changed: the manager
 *          keeps the current state in the status comment's document
 *          (lib/state/cdoc.h).  When the job is over the manager writes the
 *          record to finished/ with its final [STATE] ("finished" or
 *          "lost", with result and slurm), then removes the one in
 *          submitted/, so that a document made again from the records
 *          shows the finished rows too.  jobrec_render() writes the
 *          values as given, except that an empty state is the record at
 *          submission: "held" since submitted_at.
 * Every value is validated on parse as on render, so a record from disk is
 * as trustworthy as one just made.
 */
#ifndef EESSI_JOBREC_H
#define EESSI_JOBREC_H

#include "buf.h"
#include "err.h"
#include "names.h"

#define JOBREC_SHA_MAX 64  /* hex: sha1 40, sha256 64 */

struct jobrec {
	long long job_id;        /* > 0 */
	char repo[141];          /* owner/name (names_valid_repo) */
	long long pr_number;     /* > 0 */
	long long pr_comment_id; /* > 0: the status comment */
	char instance[65];       /* [A-Za-z0-9._-]{1,64} */
	char delivery[37];       /* UUID */
	char target[256];        /* "linux/x86_64/amd/zen2" */
	char repo_id[129];       /* may be "" */
	char accelerator[129];   /* may be "" */
	char target_key[512];    /* struct target's key */
	char job_dir[4096];      /* absolute, no "." or ".." segment, no
				  * control character or trailing blank */
	char head_sha[JOBREC_SHA_MAX + 1];
	char base_ref[NAMES_REF_MAX + 1];
	char base_sha[JOBREC_SHA_MAX + 1];
	char merge_sha[JOBREC_SHA_MAX + 1];
	char requested_by[48];   /* GitHub login */
	long long submitted_at;  /* epoch seconds */
	char state[32];          /* [a-z_]{1,31}: "held", ... */
	long long changed_at;    /* epoch seconds */
	char result[8];          /* [A-Z_]{0,7}: "SUCCESS", ...; "" none */
	char slurm[32];          /* [A-Z_]{0,31}: "COMPLETED", ...; "" none */
};

/* Appends the record's text.  -1 ERR_INVAL naming the field if a value is
 * out of shape (see the struct), ERR_TOOBIG if out's cap is hit; out is
 * then as it was.  Numbers: the ids > 0, the times 0..253402300799
 * (year 9999); head_sha, base_sha and merge_sha names_valid_sha(),
 * base_ref names_valid_ref(). */
int jobrec_render(const struct jobrec *r, struct buf *out, struct err *e);

/* Parses a record; every key above is required, other keys are ignored;
 * numbers are plain decimal digits.  -1 ERR_INVAL naming the section and
 * key (or the line, for INI syntax), *r then zeroed. */
int jobrec_parse(const char *text, size_t len, struct jobrec *r,
		 struct err *e);

/* The record in text (as read from a file) with its [STATE] set: state,
 * changed_at, result and slurm ("" none) - checked as jobrec_render()
 * checks them.  A record whose [STATE] is its last section (as
 * jobrec_render() writes it) keeps every other byte; any other is parsed
 * and written anew.  0, or -1 e (text then unspecified). */
int jobrec_set_state(struct buf *text, const char *state, long long changed_at,
		     const char *result, const char *slurm, struct err *e);

#endif
