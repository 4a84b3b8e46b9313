/* instance.h - the instance behind a configuration, checked as the account
 * that runs it (eessi-bot-manager --check-config): what would otherwise
 * fail only later, at the first delivery, build or iteration.
 *
 *   github.private_key       a readable regular file that parses as an
 *                            RSA private key (a JWT is signed with it)
 *   the webhook secret       github.webhook_secret_file readable, at
 *                            least 8 characters; or $GITHUB_APP_SECRET_TOKEN
 *                            set; none at all is a problem
 *   commands                 buildenv.submit_command, job_manager's
 *                            poll_command, scontrol_command,
 *                            scancel_command and sacct_command (when set):
 *                            executable files
 *   buildenv.build_job_script a readable regular file
 *   directories              jobs_base_dir, job_ids_dir, spool_dir,
 *                            token_cache_dir, git_cache_dir,
 *                            trash_bin_dir, the log files' directories:
 *                            writable, or creatable by this account (its
 *                            nearest existing parent writable); a path
 *                            under a $HOME that does not exist says so
 *   repo_targets             repos_cfg_dir/repos.cfg readable when
 *                            repository targets are set
 * Each problem is one line, "group.key: PATH: what is wrong; fix: what to
 * run", appended to report.  Nothing is created or changed. */
#ifndef EESSI_INSTANCE_H
#define EESSI_INSTANCE_H

#include "buf.h"

struct conf;

/* home: the account's $HOME (NULL: unknown); user: its name, for the
 * fixes.  Returns the number of problems. */
int instance_check(const struct conf *c, const char *home, const char *user,
		   struct buf *report);

#endif
