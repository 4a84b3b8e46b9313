/* build_int.h - what build.c shares with build_resubmit.c (the module
 * "build"; lib/flows/build.h is its public side). */
#ifndef EESSI_BUILD_INT_H
#define EESSI_BUILD_INT_H

#include "buf.h"
#include "err.h"
#include "jobargs.h"
#include "slurm.h"

struct conf;
struct target;

/* The files of a job's job arguments in its cfg/ (lib/core/jobargs.h). */
#define BUILD_ENV_FILE "export_vars"
#define BUILD_SUBMIT_FILE "submit_args"

/* An sbatch argv with a line's submitargs: and their storage. */
struct build_sbatch {
	struct slurm_argv argv;
	char extra[JOBARGS_MAX][JOBARGS_OPT_MAX + JOBARGS_VALUE_MAX + 2];
};

/* slurm_sbatch_argv() and then ja's submit arguments (NULL: none). */
int build_sbatch_argv(const struct conf *c, const struct target *t, long long pr,
		      const char *comment, const struct jobargs *ja,
		      struct build_sbatch *sb, struct err *e);

/* Writes cfg/export_vars and cfg/submit_args into the directory cfg when
 * ja has such arguments (NULL or none: nothing). */
int build_write_jobargs(const struct jobargs *ja, const char *cfg, struct err *e);

/* Removes what a pull request brought under the bot's names (cfg/,
 * slurm-*, _bot_job*) from a checkout in dir; logged. */
int build_clear_reserved(const char *dir, struct err *e);

/* cfg/repos.cfg and the regular files of REPOS_CFG_DIR/REPO_ID/ into the
 * directory cfg. */
int build_copy_repo_cfg(const struct conf *c, const char *repo_id,
			const char *cfg, struct err *e);

/* Writes path with text unless it exists (a record the manager may have
 * changed since is never overwritten). */
int build_write_once(const char *path, const struct buf *text, struct err *e);

#endif
