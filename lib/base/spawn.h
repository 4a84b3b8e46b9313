/* spawn.h - the one way this project runs a child process.
 *
 * The child gets an argv array (never a shell string), an explicit
 * environment, an optional working directory and stdin bytes; its stdout and
 * stderr are captured into capped buffers; a timeout ends it.  Everything is
 * prepared before fork(): the child only dup2()s, chdir()s, execve()s and
 * _exit()s.  The child runs in its own process group, so a timeout kills
 * whatever it started too.
 */
#ifndef EESSI_SPAWN_H
#define EESSI_SPAWN_H

#include "buf.h"
#include "err.h"

struct spawn {
	/* argv[0] is the program: a path, or a name looked up in the PATH of
	 * envp (default "/usr/local/bin:/usr/bin:/bin").  NULL-terminated. */
	const char *const *argv;
	/* The child's whole environment, NULL-terminated; NULL = empty. */
	const char *const *envp;
	const char *cwd;        /* NULL: stay where we are */
	const char *in;         /* bytes for the child's stdin; NULL: /dev/null */
	size_t in_len;
	struct buf *out;        /* captured stdout; NULL: /dev/null */
	struct buf *errout;     /* captured stderr; NULL: /dev/null */
	int timeout_ms;         /* > 0: TERM at the limit, KILL 1 s later */
	/* spawn_detached() only: the file the child's stderr is appended to
	 * (opened before the fork; one that cannot be opened is /dev/null);
	 * NULL: /dev/null. */
	const char *err_path;
};

/* Results, filled by spawn_run(). */
struct spawn_result {
	int status;          /* exit code, or 128 + signal number */
	int timed_out;       /* 1 if the timeout ended the child */
	int out_truncated;   /* 1 if stdout passed out->cap (rest discarded) */
	int err_truncated;   /* same for stderr */
};

/* Runs the child to its end.  Returns 0 when it ran (whatever its status:
 * check res->status), or -1 when it could not be started, a timeout ended it
 * (ERR_TIMEOUT, res filled) or captured output passed its cap (ERR_TOOBIG,
 * res filled).  Output captured so far stays in the buffers. */
int spawn_run(const struct spawn *sp, struct spawn_result *res,
	      struct err *e);

/* Starts a child that outlives the caller and is never waited for: a new
 * session, reparented to init (a double fork, so no zombie is left behind),
 * stdin and stdout on /dev/null, stderr appended to sp->err_path (or on
 * /dev/null), every other inherited descriptor closed, signal dispositions
 * and mask reset.  It holds none of the caller's descriptors: a web server
 * running the caller as plain CGI, or cron reading the caller's output,
 * sees the end of it when the caller ends, not when the child does.
 * sp->in, out, errout and timeout_ms must be unset.  Returns once the child
 * has exec'd: -1 (ERR_CHILD) if it could not. */
int spawn_detached(const struct spawn *sp, struct err *e);

/* Who a child is, for what it may see of the bot's environment. */
enum spawn_env_kind {
	SPAWN_ENV_SLURM,    /* sbatch, squeue, sacct, scontrol (and so the
			     * build job): PATH HOME USER LOGNAME LANG LC_ALL
			     * TZ SLURM_CONF - no token, key or secret */
	SPAWN_ENV_CONSUMER, /* the spool consumer the handler starts: the
			     * above less nothing Slurm needs, proxies
			     * (http_proxy https_proxy HTTPS_PROXY no_proxy
			     * NO_PROXY), EESSI_BOT_ALLOW_ROOT */
	SPAWN_ENV_DEPLOY,   /* the deploy run the manager starts: PATH HOME
			     * TZ SLURM_CONF, the S3 credentials
			     * (AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
			     * AWS_SESSION_TOKEN AWS_PROFILE),
			     * EESSI_BOT_ALLOW_ROOT */
};

#define SPAWN_ENV_MAX 16 /* names in any one whitelist, at most */

/* The one environment whitelist of the bot's children, by kind: fills
 * envp (room for SPAWN_ENV_MAX + 1) with the first "NAME=value" entry of
 * this process's environment for each name of the kind's list, pointing
 * into environ (nothing allocated; valid until the environment changes),
 * then NULL.  Returns how many were set. */
size_t spawn_env(enum spawn_env_kind kind, const char **envp);

/* Resolves a program name against a PATH value into `out` (consumes
 * nothing).  Names holding '/' are taken as they are.  -1: not found. */
int spawn_which(const char *name, const char *path, struct buf *out,
		struct err *e);

#endif
