/* instance.c - the instance behind a configuration, checked (instance.h).
 * Layer: flows (README, "Map of the code"). */
#include "instance.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "appjwt.h"
#include "build.h"
#include "conf.h"
#include "xio.h"

#define KEY_CAP ((size_t)64 * 1024)

struct ck {
	struct buf *report;
	const char *home, *user;
	int n;
};

static void problem(struct ck *k, const char *key, const char *path,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void problem(struct ck *k, const char *key, const char *path,
		    const char *fmt, ...)
{
	va_list ap;

	(void)buf_addf(k->report, "%s: %s: ", key, path);
	va_start(ap, fmt);
	(void)buf_vaddf(k->report, fmt, ap);
	va_end(ap);
	(void)buf_addch(k->report, '\n');
	k->n++;
}

/* The account for the fixes. */
static const char *who(const struct ck *k)
{
	return k->user && *k->user ? k->user : "THE-BOT-ACCOUNT";
}

/* A file that must be there, a regular file, and readable. */
static int readable_file(struct ck *k, const char *key, const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		problem(k, key, path, "%s; fix: put the file there, or set %s to "
			"where it is", strerror(errno), key);
		return 0;
	}
	if (!S_ISREG(st.st_mode)) {
		problem(k, key, path, "not a regular file; fix: set %s to the file",
			key);
		return 0;
	}
	if (access(path, R_OK) < 0) {
		problem(k, key, path, "this account cannot read it; fix: chown %s "
			"%s (and chmod 600 for a secret)", who(k), path);
		return 0;
	}
	return 1;
}

static void private_key(struct ck *k, const struct conf *c)
{
	const char *path = c->github.private_key;
	struct buf pem = BUF_INIT(KEY_CAP), jwt = BUF_INIT(4096);
	struct err e = ERR_INIT;

	if (!path || !readable_file(k, "github.private_key", path))
		goto out;
	if (xio_read_file(path, &pem, 0, &e) < 0) {
		problem(k, "github.private_key", path, "%s", e.msg);
	} else if (appjwt_make(pem.s, pem.len, c->github.app_id > 0 ? c->github.app_id : 1,
			       (long long)time(NULL), &jwt, &e) < 0) {
		problem(k, "github.private_key", path, "not an RSA private key in "
			"PEM (%s); fix: download a new private key from the App's "
			"settings page", e.msg);
	}
out:
	buf_wipe(&pem);
	buf_wipe(&jwt);
}

static void webhook_secret(struct ck *k, const struct conf *c)
{
	const char *path = c->github.webhook_secret_file;
	struct buf s = BUF_INIT(4096);
	struct err e = ERR_INIT;
	size_t n;

	if (!path) {
		const char *env = getenv("GITHUB_APP_SECRET_TOKEN");

		if (!env || strlen(env) < 8)
			problem(k, "github.webhook_secret_file", "(unset)",
				"no webhook secret: neither this file nor "
				"$GITHUB_APP_SECRET_TOKEN%s; fix: write the App's "
				"webhook secret to a file (chmod 600, owned by %s) "
				"and set github.webhook_secret_file to it",
				env ? " of 8 characters or more" : "", who(k));
		return;
	}
	if (!readable_file(k, "github.webhook_secret_file", path))
		goto out;
	if (xio_read_file(path, &s, 0, &e) < 0) {
		problem(k, "github.webhook_secret_file", path, "%s", e.msg);
		goto out;
	}
	n = strcspn(s.s, "\r\n");
	if (n < 8)
		problem(k, "github.webhook_secret_file", path, "the secret has %zu "
			"characters, fewer than 8; fix: write the App's webhook "
			"secret into it", n);
out:
	buf_wipe(&s);
}

static void command(struct ck *k, const char *key, const char *path)
{
	struct stat st;

	if (!path)
		return;
	if (stat(path, &st) < 0)
		problem(k, key, path, "%s; fix: install it (Slurm's client "
			"commands), or set %s to where it is", strerror(errno), key);
	else if (!S_ISREG(st.st_mode) || access(path, X_OK) < 0)
		problem(k, key, path, "not a program this account can run; fix: "
			"set %s to the command's path", key);
}

/* A directory the bot writes: there and writable, or creatable. */
static void directory(struct ck *k, const char *key, const char *path)
{
	char p[PATH_MAX];
	struct stat st;
	char *slash;

	if (!path)
		return;
	if (stat(path, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			problem(k, key, path, "not a directory; fix: set %s to a "
				"directory", key);
		else if (access(path, W_OK | X_OK) < 0)
			problem(k, key, path, "this account cannot write it; fix: "
				"chown %s %s", who(k), path);
		return;
	}
	if (snprintf(p, sizeof(p), "%s", path) >= (int)sizeof(p))
		return;
	/* the nearest parent that exists decides */
	while ((slash = strrchr(p, '/')) && slash != p) {
		*slash = '\0';
		if (stat(p, &st) == 0)
			break;
	}
	if (slash == p) {
		p[1] = '\0';
		if (stat(p, &st) < 0)
			return;
	}
	if (k->home && strncmp(path, k->home, strlen(k->home)) == 0 &&
	    path[strlen(k->home)] == '/' && stat(k->home, &st) < 0)
		problem(k, key, path, "under $HOME (%s), which does not exist; "
			"fix: give the account a home (usermod -d DIR -m %s) or "
			"set %s to an absolute path", k->home, who(k), key);
	else if (!S_ISDIR(st.st_mode) || access(p, W_OK | X_OK) < 0)
		problem(k, key, path, "does not exist and this account cannot "
			"make it (%s is not writable); fix: mkdir -p %s && chown "
			"%s %s", p, path, who(k), path);
}

/* The directory of a log file. */
static void log_dir(struct ck *k, const char *key, const char *file)
{
	char d[PATH_MAX];
	char *slash;

	if (!file || snprintf(d, sizeof(d), "%s", file) >= (int)sizeof(d) ||
	    !(slash = strrchr(d, '/')))
		return;
	if (access(file, F_OK) == 0) {
		if (access(file, W_OK) < 0)
			problem(k, key, file, "this account cannot write it; fix: "
				"chown %s %s", who(k), file);
		return;
	}
	*slash = '\0';
	directory(k, key, *d ? d : "/");
}

static void repos_cfg(struct ck *k, const struct conf *c)
{
	char p[PATH_MAX];

	if (!c->repo_targets.n_repo_target_map)
		return;
	if (!c->repo_targets.repos_cfg_dir) {
		problem(k, "repo_targets.repos_cfg_dir", "(unset)", "repository "
			"targets are set but not where their settings are; fix: "
			"set repos_cfg_dir to the directory holding repos.cfg");
		return;
	}
	if (snprintf(p, sizeof(p), "%s/repos.cfg", c->repo_targets.repos_cfg_dir) <
	    (int)sizeof(p))
		(void)readable_file(k, "repo_targets.repos_cfg_dir", p);
}

int instance_check(const struct conf *c, const char *home, const char *user,
		   struct buf *report)
{
	struct ck k = { report, home, user, 0 };
	struct buf cache = BUF_INIT(PATH_MAX), trash = BUF_INIT(PATH_MAX);

	private_key(&k, c);
	webhook_secret(&k, c);
	command(&k, "buildenv.submit_command", c->buildenv.submit_command);
	command(&k, "job_manager.poll_command", c->job_manager.poll_command);
	command(&k, "job_manager.scontrol_command", c->job_manager.scontrol_command);
	command(&k, "job_manager.scancel_command", c->job_manager.scancel_command);
	command(&k, "job_manager.sacct_command", c->job_manager.sacct_command);
	if (c->buildenv.build_job_script)
		(void)readable_file(&k, "buildenv.build_job_script",
				    c->buildenv.build_job_script);
	directory(&k, "buildenv.jobs_base_dir", c->buildenv.jobs_base_dir);
	directory(&k, "job_manager.job_ids_dir", c->job_manager.job_ids_dir);
	directory(&k, "event_handler.spool_dir", c->event_handler.spool_dir);
	directory(&k, "github.token_cache_dir", c->github.token_cache_dir);
	if (build_cache_dir(c, &cache) == 0)
		directory(&k, "buildenv.git_cache_dir", cache.s);
	if (build_trash_dir(c, &trash) == 0)
		directory(&k, "clean_up.trash_bin_dir", trash.s);
	log_dir(&k, "event_handler.log_file", c->event_handler.log_file);
	log_dir(&k, "job_manager.log_file", c->job_manager.log_file);
	repos_cfg(&k, c);
	buf_release(&cache);
	buf_release(&trash);
	return k.n;
}
