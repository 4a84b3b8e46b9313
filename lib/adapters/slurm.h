/* slurm.h - the Slurm commands the bot runs: argv builders, output
 * parsers, and runners through lib/spawn.
 *
 * Submission (sbatch):
 *     SUBMIT_COMMAND --parsable --job-name=NAME --comment=COMMENT
 *                    [--begin=now+S] SLURM_PARAMS... TARGET_SBATCH...
 *                    JOB_SCRIPT
 * run in the job directory (so Slurm's output, slurm-<ID>.out, lands there
 * and SLURM_SUBMIT_DIR names it) with a fixed small environment: PATH,
 * HOME, USER, LOGNAME, LANG, LC_ALL, TZ and SLURM_CONF when set in the
 * bot's own environment - never a GitHub token, the App key or anything
 * else of the bot's.  The site's slurm_params come after the bot's options,
 * so a site may override the job name.
 *
 * How the job gets to run (buildenv.job_handover_protocol): with
 * "hold_release" slurm_params holds "--hold" and the manager releases the
 * job; with "delayed_begin" the bot adds --begin=now+S, S =
 * job_delay_begin_factor * job_manager.poll_interval (seconds: a bare
 * number after now+ is seconds to sbatch), so the job waits a few manager
 * iterations and then starts by itself (a --begin in slurm_params, coming
 * later, would override it).
 *
 * The comment ties a job to the request that made it
 * ("eessi-bot:INSTANCE:DELIVERY:TARGET_KEY"): after a crash between sbatch
 * and the record, slurm_find() looks it up, so a target is never submitted
 * twice.
 */
#ifndef EESSI_SLURM_H
#define EESSI_SLURM_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

struct conf;
struct target;

#define SLURM_TIMEOUT_MS 60000
#define SLURM_ARGV_MAX 256

struct slurm_argv {
	const char *v[SLURM_ARGV_MAX + 1]; /* NULL-terminated */
	size_t n;
	char job_name[256];  /* storage for --job-name=... */
	char comment[768];   /* storage for --comment=... */
	char begin[40];      /* storage for --begin=now+S (delayed_begin) */
};

/* The comment of a request's job for target t, as above (fails with -1,
 * out "", when it does not fit size, or when instance, delivery or t->key
 * is empty or holds a byte outside printable ASCII or a space: the comment
 * must stay one word on one line of squeue's output).  The job name, made by slurm_sbatch_argv(),
 * is "bot-prN-TARGETKEY" cut to 128 bytes: for people reading squeue. */
int slurm_job_comment(const char *instance, const char *delivery,
		      const struct target *t, char *out, size_t size);

/* Builds the sbatch argv (pointers into c, t and a; nothing allocated).
 * -1 ERR_TOOBIG when it would pass SLURM_ARGV_MAX; ERR_CONFIG for a
 * delayed_begin whose factor or poll_interval is not positive. */
int slurm_sbatch_argv(const struct conf *c, const struct target *t,
		      long long pr, const char *comment, struct slurm_argv *a,
		      struct err *e);

/* Adds arg (kept by the caller until the submission) to an argv from
 * slurm_sbatch_argv(), before the job script, which stays last: a `bot:
 * build` line's submitargs: (lib/core/jobargs.h) come after the site's
 * parameters, so sbatch takes them where the two disagree.  -1
 * ERR_TOOBIG past SLURM_ARGV_MAX. */
int slurm_argv_add(struct slurm_argv *a, const char *arg, struct err *e);

/* Parses `sbatch --parsable` output: "ID" or "ID;CLUSTER", then a newline.
 * 0 with *job_id > 0, or -1 (ERR_INVAL quoting the output, cut). */
int slurm_parse_sbatch(const char *out, size_t len, long long *job_id,
		       struct err *e);

/* Runs sbatch (argv from slurm_sbatch_argv) in job_dir.  A non-zero exit is
 * ERR_CHILD with a line of sbatch's stderr in the message (the first
 * holding "error", else the first; cut, non-printable bytes as '?'). */
int slurm_submit(const struct slurm_argv *a, const char *job_dir,
		 long long *job_id, struct err *e);

/* Looks for a job of this user with exactly this comment in the queue
 * (with --hold the jobs stay pending until the manager releases them).
 * poll_command is squeue's path.  0 with *job_id (0 when none), -1 on
 * error (ERR_INVAL at once for a comment slurm_job_comment() could not
 * have made).
 *
 * `squeue --me -h -t all -o "%i %k"` lists every job as "ID COMMENT"
 * (%k without a width is unabridged; -O Comment:N would cut and pad it);
 * a line whose comment equals this one and whose id is a plain job id is
 * a candidate (a candidate with an array or other id is ERR_INVAL; more
 * than 8 candidates ERR_TOOBIG).  As a comment may span lines, each
 * candidate, lowest id first, is confirmed with
 * `squeue --me -h -t all -j ID -o %k` printing exactly the comment; a job
 * Slurm no longer knows is not confirmed.  The lowest confirmed id wins.
 * Two squeue calls when a job is found, one otherwise. */
int slurm_find(const char *poll_command, const char *comment,
	       long long *job_id, struct err *e);

/* Runs a Slurm command, argv, in cwd (NULL: here) with the fixed small
 * environment above, SLURM_TIMEOUT_MS, and counts it in slurm_calls():
 * the one way lib/adapters/slurm.c and lib/adapters/slurmq.c run Slurm.  0 with res filled
 * (any status), -1 when it could not run to its end (spawn_run()). */
struct spawn_result;
int slurm_run(const char *const *argv, const char *cwd, struct buf *out,
	      struct buf *errout, struct spawn_result *res, struct err *e);

/* The line of a Slurm command's stderr worth quoting into out: the first
 * holding "error", else the first that is not empty; cut to 200 bytes,
 * control and non-ASCII bytes as '?'. */
void slurm_stderr_line(const struct buf *b, char *out, size_t size);

/* 1 if a Slurm command's stderr says the controller was out of reach or
 * busy ("Unable to contact slurm controller", a socket timeout, ...): a
 * retry later may work. */
int slurm_unreachable(const struct buf *errout);

/* The error of a Slurm command that exited `status` != 0: ERR_AGAIN when
 * slurm_unreachable(), else ERR_CHILD; "CMD exited N: <stderr line>".
 * Returns -1. */
int slurm_exit_error(const char *cmd, int status, const struct buf *errout,
		     struct err *e);

/* Slurm commands run by this process so far (for logs and benchmarks),
 * by lib/adapters/slurm.c and lib/adapters/slurmq.c together. */
unsigned slurm_calls(void);

#endif
