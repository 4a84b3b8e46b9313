/* convert.h - the original (Python) bot's INI app.cfg, as of v0.9, into
 * this bot's libconfig app.cfg (eessi-bot-convert-config).
 *
 * Every key of v0.9 is either mapped or named in a note saying why not:
 *   - same meaning, same name: github.app_id ..., buildenv.*,
 *     deploycfg.*, job_manager.*, repo_targets.repos_cfg_dir,
 *     clean_up.trash_bin_dir; log_path becomes log_file;
 *   - lists written as text become lists: logins separated by blanks
 *     (command_permission, build_permission, deploy_permission), modules
 *     by commas (load_modules), sbatch words split as a shell would
 *     (slurm_params, the target maps' parameters);
 *   - JSON-valued maps become lists of groups: arch_target_map,
 *     node_type_map (target = os/cpu_subdir, sbatch, accelerators,
 *     node_type; its repo_targets into repo_target_map),
 *     repo_target_map, cvmfs_customizations; allowed_exportvars becomes
 *     allowed_jobargs (the same NAME=VALUE entries);
 *   - not mapped, with the reason: the comment texts of
 *     [submitted_job_comments], [new_job_comments], [running_job_comments],
 *     [finished_job_comments], [download_pr_comments], command_response_fmt
 *     and moved_job_dirs_comment (this bot's texts are its own), job_name,
 *     clone_git_repo_via = ssh (this bot fetches over https),
 *     artefact_upload_script and signing (this bot uploads and signs
 *     itself: deploycfg.credentials_file, signing_command), a bucket per
 *     repository, two node types on one CPU target (merged: the first one's
 *     sbatch words kept), any key v0.9 did not have.
 * A line configparser would take but this bot's INI reader refuses (the
 * original's own example has "  - os: ..." lines) is skipped, with a note.
 * Pure text in, text out. */
#ifndef EESSI_CONVERT_H
#define EESSI_CONVERT_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

/* Converts text (len bytes; name: the file's name for the notes).  out
 * gets the libconfig file, notes one line per thing not mapped:
 * "NAME:LINE: [section] key: why".  Returns the number of notes, or -1
 * with e (a file no INI at all, over the caps, no memory). */
int convert_config(const char *text, size_t len, const char *name,
		   struct buf *out, struct buf *notes, struct err *e);

#endif
