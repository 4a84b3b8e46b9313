/* slurmq.h - what the job manager asks Slurm about its jobs: one squeue for
 * all of them, one sacct for those that left squeue, one scontrol release
 * for the held jobs it lets run.  Output parsers (pure, bounded) and
 * runners through lib/spawn.
 *
 * The commands, each with the fixed small environment of lib/adapters/slurm.c
 * (slurm_run()), SLURM_TIMEOUT_MS, capped output, counted by slurm_calls():
 *
 *     POLL_COMMAND --me -h -t all -o %i|%T|%r|%S|%e
 *     SACCT_COMMAND -X -n -P -j ID1,ID2,... -o JobID,State,ExitCode,Start,End
 *     SCONTROL_COMMAND release ID1,ID2,...
 *
 * `squeue -t all` keeps showing a finished job for MinJobAge seconds
 * (default 300); after that only sacct (with slurmdbd) knows it.  Both print
 * '|'-separated fields; no field of these can hold a '|' (state names,
 * reasons and times are fixed vocabulary, job ids are numbers).
 *
 * Times (%S, %e, Start, End) are "YYYY-MM-DDTHH:MM:SS" in the local time of
 * the host running the command, with no zone: read with mktime() under
 * this process's TZ, so the bot must run with the cluster's time zone.
 * "N/A", "Unknown", "None", "NONE" and "" are 0.  Seen on 22.05: squeue's
 * %S of a pending job is N/A (held, Dependency) or its expected start (a
 * year ahead when it waits for Resources), %e of a running job "NONE", of a
 * suspended one a year ahead; sacct prints "Unknown" for what has not
 * happened.  So start and end are facts only once a job has ended.
 *
 * Job ids of array jobs ("1003_[1-2]", "1003_1") and of heterogeneous jobs
 * ("1003+0") are never the bot's (it submits plain batch jobs): such lines
 * are skipped and counted, never an error.
 */
#ifndef EESSI_SLURMQ_H
#define EESSI_SLURMQ_H

#include <stddef.h>

#include "err.h"

#define SLURMQ_MAX_JOBS 100000  /* lines of output read, at most */
#define SLURMQ_LINE_MAX 1024    /* bytes of a line, at most */
/* Ids in one sacct or scontrol call, at most: they go comma-joined into
 * one argument, and Linux refuses an argument over 128 KiB (11 bytes an
 * id). */
#define SLURMQ_IDS_MAX 10000

/* Slurm 22.05's job states (squeue %T, sacct State; `man squeue`, JOB
 * STATE CODES), by the name Slurm prints. */
enum slurmq_state {
	SQ_PENDING,
	SQ_RUNNING,
	SQ_SUSPENDED,
	SQ_COMPLETING,
	SQ_CONFIGURING,
	SQ_COMPLETED,
	SQ_FAILED,
	SQ_TIMEOUT,
	SQ_CANCELLED,
	SQ_OUT_OF_MEMORY,
	SQ_NODE_FAIL,
	SQ_PREEMPTED,
	SQ_BOOT_FAIL,
	SQ_DEADLINE,
	SQ_REQUEUED,
	SQ_REQUEUE_HOLD,
	SQ_REQUEUE_FED,
	SQ_RESV_DEL_HOLD,
	SQ_RESIZING,
	SQ_REVOKED,
	SQ_SIGNALING,
	SQ_SPECIAL_EXIT,
	SQ_STAGE_OUT,
	SQ_STOPPED,
	SQ_OTHER, /* a name this table does not know */
};

struct slurmq_job {
	long long id;           /* a plain job id, 1..4294967295 */
	enum slurmq_state state;
	char reason[64];        /* squeue %r: "None", "JobHeldUser",
				 * "Priority", ...; "" from sacct */
	int held;               /* not terminal, and reason JobHeldUser,
				 * JobHeldAdmin or "job requeued in held
				 * state": waits for scontrol release (a job
				 * cancelled while held keeps its reason) */
	int exit_code;          /* sacct ExitCode "N:S": N; -1 unknown */
	int exit_signal;        /* ... S; -1 unknown (always from squeue) */
	long long start;        /* epoch seconds; 0 unknown */
	long long end;          /* epoch seconds; 0 unknown */
};

/* The state named s[0..len): the first word of it ("CANCELLED by 0" is
 * CANCELLED), exactly as Slurm prints it (upper case); SQ_OTHER for a
 * name not in the table or an empty one. */
int slurmq_state_from_name(const char *s, size_t len);

/* Slurm's name of a state ("PENDING"; "OTHER" for SQ_OTHER and for a value
 * outside the enum). */
const char *slurmq_state_name(enum slurmq_state st);

/* 1 when a job in this state has ended for good (COMPLETED, FAILED,
 * TIMEOUT, CANCELLED, OUT_OF_MEMORY, NODE_FAIL, PREEMPTED, BOOT_FAIL,
 * DEADLINE, REVOKED; SQ_OTHER is not): its outcome will not change.
 * Requeued, completing, stopped or suspended jobs are not terminal. */
int slurmq_state_terminal(enum slurmq_state st);

/* Parses the output of the squeue command above: one job a line,
 * "ID|STATE|REASON|START|END", "\n"-terminated (the last newline may be
 * missing).  0 with *jobs (allocated, caller frees with free(); NULL when
 * *n is 0), *n and *skipped (array or heterogeneous job lines; may be
 * NULL); -1 with nothing allocated: ERR_INVAL naming the line ("squeue
 * line 3: ...") for a line with a wrong field count, a bad job id, no
 * state, an unparsable time or exit code, or a NUL byte (a reason longer
 * than the struct holds is cut: ReqNodeNotAvail lists nodes; bytes outside
 * printable ASCII become '?'; an unknown state name is SQ_OTHER);
 * ERR_TOOBIG for more than SLURMQ_MAX_JOBS lines or a line longer than
 * SLURMQ_LINE_MAX.  Empty lines are ignored.  exit_code and exit_signal
 * are -1 (squeue does not print them here). */
int slurmq_parse_squeue(const char *out, size_t len, struct slurmq_job **jobs,
			size_t *n, size_t *skipped, struct err *e);

/* Parses `sacct -X -n -P ... -o JobID,State,ExitCode,Start,End` output,
 * "ID|STATE|N:S|START|END" per line, same contract as
 * slurmq_parse_squeue() (errors name "sacct line N").  The state is the
 * first word of State ("CANCELLED by 0"); reason is "" and held 0. */
int slurmq_parse_sacct(const char *out, size_t len, struct slurmq_job **jobs,
		       size_t *n, size_t *skipped, struct err *e);

/* Runs the squeue command above (poll_command is squeue's path) and parses
 * it.  One call.  A non-zero exit is ERR_CHILD with squeue's error line. */
int slurmq_poll(const char *poll_command, struct slurmq_job **jobs,
		size_t *n, struct err *e);

/* Runs the sacct command above for ids[0..nids) (each 1..4294967295, else
 * ERR_INVAL before anything runs; at most SLURMQ_IDS_MAX), all in one
 * comma-joined argv element: one call; nids 0 runs nothing (0, *n 0).
 * Ids sacct does not know are simply missing from *jobs; so are the array
 * tasks of an id (sacct lists them when asked about an array job). */
int slurmq_accounting(const char *sacct_command, const long long *ids,
		      size_t nids, struct slurmq_job **jobs, size_t *n,
		      struct err *e);

/* `scontrol release ID1,ID2,...`: one call for ids[0..nids) (validated as
 * for slurmq_accounting; nids 0 runs nothing).
 *
 * scontrol 22.05 goes through every id (t/data/slurm/release.txt): it
 * releases the held ones, and for each it cannot release prints a line
 * "<reason> for job <ID>" on stderr ("Invalid job id specified for job 9",
 * "Job has already finished for job 1001"), then a last line
 * "slurm_suspend error: ..." (with "No error" after a mixed batch!) and
 * exits 1.  A job pending but not held, running, suspended or released
 * already is "released" silently, exit 0.  So: 0 when it exited 0;
 * otherwise -1 with ERR_CHILD naming the count and the first failed id,
 * and failed[0..*nfailed) (when failed is not NULL; room for nids) the
 * ids scontrol named - the others were released.  *nfailed 0 with -1
 * means scontrol failed without naming a job of ours (a dead slurmctld,
 * a timeout): assume none was released. */
int slurmq_release(const char *scontrol_command, const long long *ids,
		   size_t nids, long long *failed, size_t *nfailed,
		   struct err *e);

/* Runs `scancel ID...` once for ids[0..nids) (each 1..4294967295, at most
 * SLURMQ_IDS_MAX; the ids as separate arguments, never a shell).  0 when
 * it exited 0.  -1 with e otherwise; *ran says whether scancel ran at all
 * (1: it may have cancelled some - it names what it could not, e.g. "Job/
 * step already completing or completed" - or it timed out; 0: it did not
 * start, or it could not reach the controller (ERR_AGAIN): nothing was
 * cancelled). */
int slurmq_cancel(const char *scancel_command, const long long *ids,
		  size_t nids, int *ran, struct err *e);

#endif
