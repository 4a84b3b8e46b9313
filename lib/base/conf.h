/* conf.h - app.cfg: read once into one typed settings struct.
 *
 * The file is libconfig syntax; conf/app.cfg.example documents every key.
 * conf_load() reads and checks it completely, reporting every problem at
 * once, one per line:
 *
 *     FILE:LINE: group.key: what is wrong (expected ..., got ...)
 *     FILE: missing required group 'github'
 *     warning: FILE:LINE: group.key: ...
 *
 * The result is immutable: programs load it once at start and pass
 * `const struct conf *` down.  Nothing in it is secret (the webhook secret
 * and S3 credentials live elsewhere by design), so conf_dump() may show all.
 *
 * Conventions of the struct:
 *  - an optional string that is not set is NULL; every string is owned by
 *    the struct;
 *  - a string list (struct conf_strv) has n entries followed by a NULL, so
 *    v can extend an argv; v is NULL when n is 0;
 *  - paths marked "expanded" had $HOME / ${HOME} / $USER / ${USER}
 *    replaced at load time (from struct conf_env) and are absolute; other
 *    strings are kept literally (buildenv.local_tmp is expanded by the job).
 */
#ifndef EESSI_CONF_H
#define EESSI_CONF_H

#include <stddef.h>

#include "buf.h"
#include "log.h"

/* What $HOME and $USER stand for.  Injected so that tests are independent
 * of who runs them; a NULL member makes any use of that variable a
 * problem. */
struct conf_env {
	const char *home;
	const char *user;
};

struct conf_strv {
	char **v;
	size_t n;
};

enum conf_supersede {
	CONF_SUPERSEDE_PENDING, /* those that have not started (the default) */
	CONF_SUPERSEDE_ALL,     /* running ones too */
	CONF_SUPERSEDE_NONE     /* none */
};

/* Which comments the bot writes (README, "Chat levels"): each level adds
 * to the one before. */
enum conf_chatlevel {
	CONF_CHAT_INCOGNITO, /* none: not even the status comment */
	CONF_CHAT_MINIMAL,   /* the status comments (builds, deploys) */
	CONF_CHAT_BASIC,     /* + replies to commands, refusals, the reaction */
	CONF_CHAT_CHATTY     /* + acknowledgements of what was received */
};

/* buildenv.job_handover_protocol: how a submitted job gets to run. */
enum conf_handover {
	CONF_HANDOVER_HOLD_RELEASE,  /* "hold_release": sbatch --hold (from
				      * slurm_params), the manager releases */
	CONF_HANDOVER_DELAYED_BEGIN, /* "delayed_begin": sbatch --begin=now+S,
				      * S = job_delay_begin_factor *
				      * job_manager.poll_interval; nothing to
				      * release (sites where the bot's account
				      * may not release jobs) */
};

enum conf_upload_policy {
	CONF_UPLOAD_ALL,    /* every artefact, every time */
	CONF_UPLOAD_LATEST, /* only the newest artefact of a build target */
	CONF_UPLOAD_ONCE,   /* an artefact at most once */
	CONF_UPLOAD_NONE,   /* never upload */
};

/* buildenv.cvmfs_customizations: `line` is appended to `file` (absolute)
 * inside the build job. */
struct conf_cvmfs {
	char *file;
	char *line;
};

/* architecturetargets.arch_target_map entry. */
struct conf_arch_target {
	char *target;                  /* "linux/x86_64/amd/zen2" */
	struct conf_strv sbatch;       /* extra sbatch arguments */
	struct conf_strv accelerators; /* e.g. "nvidia/cc80"; may be empty */
	char *node_type;               /* NULL if unset */
};

/* repo_targets.repo_target_map entry: target is one of arch_target_map. */
struct conf_repo_target {
	char *target;
	struct conf_strv repos; /* at least one repository id */
};

struct conf {
	char *path; /* the file it was loaded from */

	struct conf_github {
		long long app_id;
		char *app_name;           /* [A-Za-z0-9._-]{1,64} */
		long long installation_id;
		char *private_key;        /* expanded */
		char *api_url;            /* http(s)://..., no trailing slash */
		char *webhook_secret_file; /* expanded; NULL: $GITHUB_APP_SECRET_TOKEN */
		char *token_cache_dir;    /* expanded: installation tokens */
		char *git_url;            /* repositories: GIT_URL/OWNER/NAME.git */
	} github;

	struct conf_bot_control {
		struct conf_strv command_permission; /* logins; empty: nobody */
		enum conf_chatlevel chatlevel;
	} bot_control;

	struct conf_buildenv {
		char *build_job_script; /* expanded */
		char *submit_command;   /* absolute */
		struct conf_strv slurm_params;
		char *jobs_base_dir;    /* expanded */
		char *git_cache_dir;    /* expanded; NULL: JOBS_BASE_DIR/.git-cache */
		char *local_tmp;        /* literal: the job expands it */
		struct conf_strv load_modules;
		char *http_proxy;
		char *https_proxy;
		char *container_cachedir;
		char *build_logs_dir;
		char *shared_fs_path;
		char *site_config_script;
		struct conf_cvmfs *cvmfs_customizations;
		size_t n_cvmfs_customizations;
		struct conf_strv build_permission; /* logins; empty: nobody */
		/* "NAMEPATTERN=VALUEPATTERN" each (lib/core/jobargs.h);
		 * empty: no job argument is admitted */
		struct conf_strv allowed_jobargs;
		struct conf_strv allowed_submitargs;
		/* the disk guard: what the file system of jobs_base_dir must
		 * have free before a request is prepared; 0: not checked */
		long long min_free_mb;     /* default 1024 */
		long long min_free_inodes; /* default 10000 */
		/* a push to a pull request: which of its older head's jobs are
		 * cancelled (lib/flows/lifecycle.h) */
		enum conf_supersede supersede;
		char *no_build_permission_comment; /* may be "" (say nothing) */
		enum conf_handover job_handover_protocol;
		long long job_delay_begin_factor; /* 1..100, default 2 */
	} buildenv;

	struct conf_deploycfg {
		char *endpoint_url; /* NULL: AWS */
		char *bucket_name;  /* NULL only when upload_policy is none */
		char *region;
		enum conf_upload_policy upload_policy;
		struct conf_strv deploy_permission; /* logins; empty: nobody */
		char *no_deploy_permission_comment;
		char *credentials_file; /* expanded; NULL: none */
		struct conf_strv signing_command; /* argv; v[0] absolute; n 0: unset */
		char *metadata_prefix;
		char *artefact_prefix;
	} deploycfg;

	struct conf_architecturetargets {
		struct conf_arch_target *arch_target_map; /* at least one */
		size_t n_arch_target_map;
	} architecturetargets;

	struct conf_repo_targets {
		char *repos_cfg_dir; /* expanded; NULL if unset */
		struct conf_repo_target *repo_target_map;
		size_t n_repo_target_map;
	} repo_targets;

	struct conf_event_handler {
		char *spool_dir; /* expanded */
		char *log_file;  /* expanded; NULL: stderr */
		enum log_level log_level;
		/* retention (lib/flows/retention.h): handled and failed
		 * deliveries kept this many days */
		long long keep_done_days;   /* default 30, 3.. */
		long long keep_failed_days; /* default 90, 3.. */
		/* transient failures (lib/flows/consume.h): tried again this
		 * many times, the first after retry_delay seconds, each
		 * wait twice the one before (at most 16 x retry_delay) */
		long long retry_tries;      /* default 8, 0..100 */
		long long retry_delay;      /* seconds, default 30, 1..3600 */
	} event_handler;

	struct conf_job_manager {
		char *job_ids_dir; /* expanded */
		char *poll_command;
		long long poll_interval; /* seconds, 1..86400 */
		char *scontrol_command;
		char *scancel_command; /* bot: cancel */
		char *sacct_command; /* NULL: no accounting queries */
		long long pending_reason_after; /* s, 0..604800, default 600 */
		long long lost_after; /* s, 0..604800, default 900 */
		char *log_file;      /* expanded; NULL: stderr */
		enum log_level log_level;
	} job_manager;

	struct conf_clean_up {
		/* where a closed pull request's job directories go (expanded);
		 * NULL: JOBS_BASE_DIR/trash_bin */
		char *trash_bin_dir;
		long long keep_trash_days; /* default 30; 0: never removed */
		/* git cache refs no job directory borrows, and fetch refs,
		 * removed after this many hours (lib/flows/retention.h) */
		long long git_cache_keep_hours; /* default 24; 0: never */
	} clean_up;
};

/* Reads and checks the file at path.
 * 0: *out is a new struct conf (free with conf_free()); warnings, if any,
 *    were appended to report, one per line starting with "warning: ".
 * -1: *out is NULL; every problem found (and any warnings) was appended to
 *    report, one per line.  A syntax error stops libconfig, so it is then
 *    the only problem reported.
 * Lines always end with '\n'.  env gives $HOME and $USER; env may be NULL
 * (neither is known). */
int conf_load(const char *path, const struct conf_env *env, struct conf **out,
	      struct buf *report);

/* Frees c and everything in it; NULL is fine. */
void conf_free(struct conf *c);

/* Appends the settings in effect to out, in libconfig syntax (so the text
 * loads again), group by group in the documented order; unset optional keys
 * appear as comments.  Returns 0, or -1 if out's cap was hit. */
int conf_dump(const struct conf *c, struct buf *out);

/* Fills env from the process: $HOME and $USER, else the password entry of
 * the real user id.  The strings belong to the environment or to getpwuid()'s
 * static storage: use them before the next getpw*() call. */
void conf_env_from_process(struct conf_env *env);

/* 1 if login is in the list (GitHub logins compare case-insensitively),
 * else 0. */
/* The names app.cfg spells these with ("once", "basic"); "?" out of
 * range. */
const char *conf_upload_policy_name(enum conf_upload_policy p);
const char *conf_chatlevel_name(enum conf_chatlevel l);

int conf_has_login(const struct conf_strv *logins, const char *login);

/* The arch_target_map entry for target, or NULL. */
const struct conf_arch_target *conf_arch_target(const struct conf *c,
						const char *target);

#endif
