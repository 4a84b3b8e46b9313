/* manager.h - one manager iteration: release, follow and report every job
 * the bot submitted, with one Slurm query.
 *
 * manager_iterate(), under the lock <job_ids_dir>/manager.lock (flock; a
 * second iteration finds it taken and returns 1 at once):
 *   1. the records <job_ids_dir>/submitted/<ID> (lib/core/jobrec.h); one that
 *      does not parse, or whose name is not its job id, is moved to
 *      <job_ids_dir>/broken/ with a <ID>.reason beside it, logged, and
 *      skipped;
 *   2. their status comments' documents (lib/state/cdoc.h), one per
 *      pr_comment_id; a missing or unreadable one is made again from the
 *      records (logged);
 *   3. ONE slurmq_poll() (squeue --me -t all: the bot's jobs, recently
 *      finished ones included) - made right after listing submitted/,
 *      before anything is read, and not at all when there is no record
 *      to follow; if it fails, nothing else happens this iteration (a
 *      dead slurmctld must not make jobs look lost);
 *   4. at most ONE slurmq_accounting() (when job_manager.sacct_command is
 *      set) for the followed jobs squeue no longer shows;
 *   5. manager_decide() per job;
 *   6. ONE slurmq_release() for the jobs to release (hold_release);
 *   7. for each job that ended: result_read() of its job directory;
 *   8. per comment with a changed row: ONE edit on GitHub (the body from
 *      cdoc_body()), then the document saved, then the records of the
 *      jobs that are over renamed to <job_ids_dir>/finished/<ID> (as the
 *      build wrote them: the job's last state is its row's, in the
 *      document); a comment whose rows did not change costs no GitHub
 *      call.  When the edit fails, the document is
 *      not saved and the next iteration tries again (GitHub answering 404
 *      or 410, the comment is gone: logged once, and the document saved
 *      as if the edit had been made).
 * Records are read once: <job_ids_dir>/manager.index (lib/state/mindex.h)
 * keeps what each says (comment id, job directory) for later iterations.  Temporary files of
 * writers that died (NAME.tmp.XXXXXX, an hour old) are removed from
 * submitted/, comments/ and job_ids_dir; younger ones are skipped (a build
 * may be writing a record).
 * Killed anywhere, the next iteration converges: releases are
 * idempotent, the document is the only thing rendered, a record moves
 * only after its row is saved as over, and a record whose row is already
 * over just moves.
 *
 * Jobs in squeue with no record (not the bot's, or another instance's)
 * cost a binary search each and are otherwise ignored.
 */
#ifndef EESSI_MANAGER_H
#define EESSI_MANAGER_H

#include <stddef.h>

#include "err.h"
#include "manager_decide.h"
#include "slurmq.h"

struct conf;

struct manager_opts {
	const long long *only;    /* -j: only these job ids; NULL: all */
	size_t nonly;
};

struct manager_stats {
	unsigned jobs;            /* records followed this iteration */
	unsigned broken;          /* records moved to broken/ */
	unsigned released;
	unsigned changed;         /* rows shown changed */
	unsigned finished;        /* records moved to finished/ */
	unsigned lost;
	unsigned comments;        /* comments edited */
	unsigned squeue_calls;
	unsigned sacct_calls;
	unsigned scontrol_calls;
	unsigned github_calls;    /* HTTP requests, token fetches included */
	unsigned trashed;         /* job directories of closed pull requests
				   * moved to the trash (lib/flows/lifecycle.h) */
	unsigned removed;         /* old spool entries and trash days removed
				   * (lib/flows/retention.h) */
	long long ms;             /* wall time of the iteration */
	long long cpu_ms;         /* its CPU time (user + system), the Slurm
				   * commands it ran included */
	long long maxrss_kb;      /* the process's own peak resident set so
				   * far (manager_peak_rss_kb()), -1 unknown */
};

/* One iteration as described above.  gh: an opened client, or NULL (then
 * one is opened on the first edit and freed before returning).  0 done, 1
 * another iteration holds the lock (nothing done), -1 failed (e; what
 * could be done was done: one broken job or comment never stops the
 * others). */
struct github;
int manager_iterate(const struct conf *c, struct github *gh,
		    const struct manager_opts *o, struct manager_stats *st,
		    struct err *e);

/* The value of the "VmHWM:" line of a /proc/PID/status text, in kB; -1
 * when there is none or it does not parse. */
long long manager_parse_vmhwm(const char *s, size_t len);

/* This process's own peak resident set in kB (VmHWM of /proc/self/status),
 * -1 when unknown.  Not getrusage()'s ru_maxrss: exec keeps that value, so
 * a manager started by a large parent (a Python test harness, a wrapper)
 * would report the parent's peak. */
long long manager_peak_rss_kb(void);

/* Parses -j's argument: comma-separated job ids (names_jobid(): 1..4294967295, at most
 * SLURMQ_IDS_MAX, blanks around commas allowed).  0 with *ids (free()) and
 * *n, or -1 ERR_INVAL naming the bad item. */
int manager_parse_ids(const char *s, long long **ids, size_t *n,
		      struct err *e);


#endif
