/* build.h - `bot: build` lines and the bot:build label become held Slurm
 * jobs, their job directories and records, and one status comment.
 *
 * A request is what one comment (all its `bot: build` lines for this
 * instance, their targets united) or one label event asks for.  Carrying
 * it out, each step journalled in the delivery's effects (lib/state/effects.h)
 * so that a crash or a redelivery at any point completes the request and
 * never submits a target twice:
 *   1. the PR head and base branch: from the event (label), or asked of
 *      GitHub once and kept (comment): a later push is never built;
 *   2. the merge commit, in the repository's git cache (lib/adapters/gitcache.h);
 *      a conflict is answered in the PR and nothing is submitted;
 *   3. the status comment, a row per target ("preparing");
 *   4. per target: the job directory JOBS/YYYY.MM/OWNER/NAME/pr_N/
 *      event_DELIVERY/run_000/TARGET (a clone of the merge commit, cfg/
 *      job.cfg and the repository's settings; made aside and renamed into
 *      place), sbatch (lib/adapters/slurm.h; an intent is journalled before, the job
 *      id after; a rerun finding only the intent looks the job up by its
 *      comment in squeue), _bot_job<ID>.metadata and the symlink JOBS/<ID>;
 *   5. the status comment edited with the job ids;
 *   6. the records job_ids_dir/submitted/<ID> - last, so the manager
 *      releases nothing the status comment does not show yet.
 */
#ifndef EESSI_BUILD_H
#define EESSI_BUILD_H

#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "target.h"

struct command;
struct conf;
struct jobargs;
struct event;
struct delivery_ctx;

struct build_req {
	struct target *t; /* the targets, each once (TARGET_MAX, malloc'ed) */
	size_t n;
	/* the job arguments of the lines (lib/core/jobargs.h): target i has
	 * sets[args_of[i] - 1], or none when args_of[i] is 0 */
	struct jobargs *sets;        /* COMMAND_MAX, malloc'ed when needed */
	size_t nsets;
	unsigned char *args_of;      /* TARGET_MAX, with t */
	int lines;        /* build lines meant for this instance */
	int bad;          /* one of them was wrong: nothing is built */
	struct buf why;   /* what was wrong, for the reply (BUF_INIT'ed) */
};

#define BUILD_REQ_INIT { .why = BUF_INIT(16 * 1024) }

/* The reply to a build request on a closed (or merged) pull request, from
 * the payload's state or, for a comment, GitHub's answer about the PR:
 * nothing is built. */
#define BUILD_CLOSED_REPLY "This pull request is closed; nothing built."


/* Takes one `bot: build` line into req: its targets and job arguments
 * (jobargs:, submitargs:), or what is wrong with it (req->bad, req->why):
 * a word the site's allow-lists do not admit, or a target another line
 * asked for with other job arguments.  A line naming another instance
 * (inst:) is skipped silently.  0, or -1 when req->why is full. */
int build_add_line(const struct conf *c, const struct command *cmd,
		   struct build_req *req);

/* Takes targets t[0..n) as one more build line (`bot: retry`): 0, 1 when
 * the request would pass TARGET_MAX, -1 no memory. */
int build_add_targets(struct build_req *req, const struct target *t, size_t n);

/* Takes every target of the instance (the label: no filters). */
int build_add_all(const struct conf *c, struct build_req *req);

/* Carries out req for user on ev's pull request (steps above).  Appends to
 * reply what the PR must hear besides the status comment (a refused base
 * branch, a merge conflict) and sets *said then.  0 done, 1 later (an
 * effect may still be in flight: see delivery_settle()), -1 failed. */
int build_run(struct delivery_ctx *ctx, const struct event *ev, const char *user,
	      struct build_req *req, struct buf *reply, int *said,
	      struct err *e);

void build_req_release(struct build_req *req);

/* eessi-bot-resubmit (cron/resubmit.c, as the original bot's resubmit.py):
 * job orig_dir of a build request submitted again, on its own
 * (lib/flows/build_resubmit.c):
 *   1. orig_dir must be a job directory the bot made, of this instance,
 *      below jobs_base_dir: one _bot_job<ID>.metadata whose job_dir is
 *      this directory, cfg/job.cfg, laid out .../event_ID/run_NNN/TARGET;
 *      its target still built by the instance;
 *   2. mod_dir (optional) is checked whole before anything is made: no
 *      entry named as the bot names its own (cfg, _bot_job*, slurm-*) at
 *      its top, no symlink leading out of it, only files, directories and
 *      symlinks, at most 10,000 entries and 32 levels;
 *   3. the pull request must be open (GitHub is asked);
 *   4. a new EVENT/run_NNN (the next number) gets a fresh checkout of the
 *      same merge commit from the git cache (never a later push), cfg/
 *      made as the build makes it (with the original's job arguments),
 *      then mod_dir's entries copied over it (replacing files or symlinks
 *      of the checkout; never writing through a symlink);
 *   5. sbatch (held, or delayed_begin), with the original's submitargs:;
 *      _bot_job<NEW>.metadata and the symlink JOBS/<NEW>;
 *   6. under the manager's lock: a row for the new job right after the
 *      target's last row in the status comment's document (the earlier
 *      attempts stay), the comment edited once, and the record
 *      job_ids_dir/submitted/<NEW> that makes the manager follow it.
 * A refusal is ERR_INVAL (or ERR_SYS naming the path) and leaves nothing
 * behind.  Killed between sbatch and the record, the held job is not
 * followed: scancel it and run again. */
struct build_resubmit {
	const char *orig_dir;      /* the job directory */
	const char *mod_dir;       /* NULL, or files to copy over the checkout */
	const char *operator_name; /* who runs it (a local account), for the row */
	/* filled */
	long long old_id, new_id;
	long long pr;
	char repo[141];
	char target[512];
	char new_dir[4096];
	unsigned copied;           /* entries of mod_dir copied (not dirs) */
	int edited;                /* the status comment was edited now */
};

int build_resubmit(const struct conf *c, struct build_resubmit *r,
		   struct err *e);

/* The git cache's directory (buildenv.git_cache_dir, or JOBS/.git-cache),
 * appended to out.  0, or -1 (out's cap).  Also what retention prunes. */
int build_cache_dir(const struct conf *c, struct buf *out);

/* The trash (clean_up.trash_bin_dir, or JOBS/trash_bin), appended to out.
 * 0, or -1 (out's cap).  Where closed PRs' directories go
 * (lib/flows/lifecycle.h) and what retention empties. */
int build_trash_dir(const struct conf *c, struct buf *out);

#endif
