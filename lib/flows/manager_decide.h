/* manager_decide.h - what the manager does about one job: the decision,
 * pure, made from the job's row, what Slurm says and the clock (see
 * manager.h for the iteration that acts on it).
 */
#ifndef EESSI_MANAGER_DECIDE_H
#define EESSI_MANAGER_DECIDE_H

#include "cdoc.h"
#include "slurmq.h"

/* The thresholds of manager_decide() (from job_manager.*). */
struct manager_limits {
	int release;              /* 1: hold_release (release held jobs);
				   * 0: delayed_begin (never release) */
	long long pending_after;  /* s in a pending state before Slurm's
				   * reason is shown */
	long long lost_after;     /* s missing from Slurm (squeue and sacct)
				   * before the job is judged */
};

enum manager_act {
	MGR_NONE,     /* nothing to do */
	MGR_QUIET,    /* only missing_since changed: save, do not edit */
	MGR_SHOW,     /* the row changes as step says (an edit) */
	MGR_RELEASE,  /* release the job; on success show step's row */
	MGR_FINISH,   /* the job is over: read its result, show it */
	MGR_MOVE,     /* the row is over already: just move the record */
};

struct manager_step {
	enum manager_act act;
	char state[32];           /* MGR_SHOW, MGR_RELEASE: the new state */
	char reason[64];          /* the new row reason */
	char note[256];           /* the new note ("" none) */
	long long missing_since;  /* the row's new value */
	enum slurmq_state end;    /* MGR_FINISH: Slurm's end state;
				   * SQ_OTHER when Slurm no longer knows
				   * the job */
	int exit_code;            /* MGR_FINISH: -1 unknown */
	int exit_signal;
};

/* What to do about one job: pure, no I/O.  row is its row in the
 * document; sj what Slurm said of it (squeue, else sacct), NULL when
 * neither knows it; result_file: 1 when _bot_job<ID>.result exists (only
 * looked at by the caller when sj is NULL); now the iteration's clock.
 *
 * A row that is over, a job Slurm no longer knows and a job over in Slurm
 * are decided here; every other change of a row is the transition table of
 * lib/core/jobstate.c (jobstate_next()), which reads as the rules below.
 * Rules (state names from lib/core/jobstate.h):
 *  - row "finished" or "lost": MGR_MOVE.
 *  - sj NULL: the first time (missing_since 0) MGR_QUIET with
 *    missing_since = now, unless result_file; with result_file, or once
 *    now - missing_since >= lost_after: MGR_FINISH with end SQ_OTHER (the
 *    caller reports "lost" if the job left nothing to read).
 *  - sj present resets missing_since to 0 (MGR_QUIET if nothing else).
 *  - sj terminal: MGR_FINISH with its state and exit code.
 *  - sj held: row "held" or "submitted" with no reason shown yet (the
 *    build's row), Slurm's reason "JobHeldUser" and lim->release:
 *    MGR_RELEASE to "released" (note "released");
 *    otherwise (held by an administrator, or again after a release):
 *    MGR_SHOW "held" with the reason, once per reason.
 *  - sj RUNNING, COMPLETING, CONFIGURING, STAGE_OUT, SIGNALING, RESIZING:
 *    MGR_SHOW "running" once (note "since YYYY-MM-DD HH:MM UTC" from
 *    sj->start when known: builds run for days).
 *  - sj SUSPENDED, STOPPED: MGR_SHOW "suspended" once.
 *  - sj pending otherwise (PENDING not held, REQUEUED, ...): a row "held"
 *    becomes "released" (someone else released it); a row "running" or
 *    "suspended" becomes "pending" (requeued) with Slurm's reason; a
 *    "released", "submitted" or "pending" row shows Slurm's reason as
 *    "pending" once now - changed_at >= pending_after, when the reason
 *    is neither "None" nor "" nor the one already shown (a new reason is
 *    a change: "Priority", then "Resources").  A BeginTime reason of a
 *    "submitted" row (delayed_begin: it waits for its start) is not
 *    shown.
 * 0, or -1 for a NULL argument. */
int manager_decide(const struct cdoc_row *row, const struct slurmq_job *sj,
		   int result_file, long long now,
		   const struct manager_limits *lim, struct manager_step *out);

#endif
