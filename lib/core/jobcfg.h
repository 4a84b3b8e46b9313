/* jobcfg.h - cfg/job.cfg, what a build job knows about its target and site.
 *
 * Written by the bot into every job directory, read by the job script and
 * by EESSI's software-layer scripts (notes/software-layer-contract.md):
 *
 *   [site_config]   build_logs_dir, container_cachedir, http_proxy,
 *                   https_proxy, load_modules (comma-separated),
 *                   local_tmp, shared_fs_path, site_config_script -
 *                   only those set and not empty - and, when the configuration
 *                   has any, cvmfs_customizations as a JSON object
 *                   {"FILE": "LINE", ...} (lines for one file joined
 *                   with "\n"), the form the original bot's setting had;
 *   [repository]    repos_cfg_dir (the job's own cfg/ directory, holding a
 *                   copy of repos.cfg and the repository's files), repo_id,
 *                   container, repo_name, repo_version - for a target with
 *                   a repository; an empty [repository] section
 *                   otherwise;
 *   [architecture]  software_subdir (the arch target without its OS:
 *                   x86_64/amd/zen2), os_type (linux), accelerator (when
 *                   building for one), node_type (when configured).
 *
 * Pure: the caller reads repos.cfg and writes the result.
 */
#ifndef EESSI_JOBCFG_H
#define EESSI_JOBCFG_H

#include "buf.h"
#include "err.h"

struct conf;
struct ini;
struct target;

/* The file name of the repository targets' settings in repos_cfg_dir. */
#define JOBCFG_REPOS_FILE "repos.cfg"

/* Appends job.cfg for target t to out.  job_cfg_dir: the absolute path of
 * the job's cfg/ directory.  repos: repos.cfg parsed (NULL when t has no
 * repository); a target whose repo_id has no section in it is refused
 * (ERR_CONFIG, "repos.cfg has no section [ID]"), and so is a value that
 * cannot be written to an INI file or has more than one line (ERR_INVAL
 * naming the key: the software layer's shell functions that read job.cfg
 * know no continuation lines).  A repository key missing from its section
 * is left out.  On failure out is as it was. */
int jobcfg_render(const struct conf *c, const struct target *t,
		  const char *job_cfg_dir, const struct ini *repos,
		  struct buf *out, struct err *e);

#endif
