/* report.h - what an instance tells about itself in a pull request:
 * `bot: status` (its builds of the PR) and `bot: show_config` (what it
 * builds and who may ask).  Both read only local state (the records, the
 * status documents, the configuration) and make no GitHub call of their
 * own: the reply is the caller's one comment.
 */
#ifndef EESSI_REPORT_H
#define EESSI_REPORT_H

#include "buf.h"
#include "err.h"
#include "target.h"

struct conf;

/* One row of `bot: status`: a target's latest attempt. */
struct report_row {
	char target[TARGET_NAME_MAX]; /* as the status comment names it */
	char key[512];                /* the target's key */
	long long job_id;
	long long submitted_at;
	char state[32];               /* the row's state now */
	char result[8];               /* "" until finished */
	long long changed_at;
	char commit[65];              /* the merge commit built */
	int attempts;                 /* jobs of this target for the PR */
	char arch[256];               /* what the target is made of (its */
	char repo_id[129];            /* record's target, repo_id and */
	char accel[129];              /* accelerator): `bot: retry` */
};

/* The rows of repo#pr for this instance (github.app_name), one per
 * target, from <job_ids_dir>/submitted/ and finished/: a target's latest
 * attempt (the latest submitted_at, then the highest job id) with its
 * state as its status document shows it (a record in finished/ says its
 * final state itself).  keys (n of them, NULL: every target) narrows the
 * rows to those targets.  Rows in target order (the record's name).
 * Records that do not parse are skipped (the manager sets them aside).
 * 0 with *rows (free()) and *nrows, or -1 e. */
int report_rows(const struct conf *c, const char *repo, long long pr,
		const char *const *keys, size_t nkeys, struct report_row **rows,
		size_t *nrows, struct err *e);

/* One job of a PR (any attempt), for `bot: cancel`. */
struct report_job {
	long long id;
	char key[512];                /* its target's key */
	char state[32];               /* as its status document shows it */
	int over;                     /* finished or lost (or in finished/) */
	char head_sha[65];            /* the PR head it built */
};

/* Every job of repo#pr for this instance, from submitted/ (state from the
 * status document) and finished/ (over), narrowed to keys as
 * report_rows() does; in job id order.  0 with *jobs (free()) and *n, or
 * -1 e (a records directory there but unreadable). */
int report_jobs(const struct conf *c, const char *repo, long long pr,
		const char *const *keys, size_t nkeys, struct report_job **jobs,
		size_t *n, struct err *e);

/* 1 if a retry takes row: its latest attempt is over and did not
 * succeed (failed, unknown, cancelled, lost). */
int report_failed(const struct report_row *row);

/* The reply's text for rows (pure): a Markdown table | target | state |
 * result | job | commit | since |, or a sentence when there are none.
 * 0, or -1 (out's cap). */
int report_status_text(const char *instance, const struct report_row *rows,
		       size_t n, struct buf *out);

/* The reply to `bot: show_config` (pure): the instance's targets
 * (architecture, repositories, accelerators, node type, the sbatch
 * arguments of its arch_target_map entry), upload_policy, chatlevel, and
 * the logins of build_permission and deploy_permission.  Never shown: paths, URLs, the bucket, the signing
 * command, buildenv.slurm_params (site-wide: accounts, reservations), the
 * App's ids.  0, or -1 (out's cap). */
int report_config_text(const struct conf *c, struct buf *out);

#endif
