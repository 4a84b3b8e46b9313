/* priv.c - the start checks on privileges and secret files.
 * Layer: base (README, "Map of the code"). */
#include "priv.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "xio.h"

int priv_check_user(struct err *e)
{
	const char *allow = getenv(PRIV_ALLOW_ROOT_ENV);

	if (geteuid() != 0 || (allow && strcmp(allow, "1") == 0))
		return 0;
	return err_set(e, ERR_CONFIG, "refusing to run as root: run it as the "
		       "bot's own account (or set " PRIV_ALLOW_ROOT_ENV "=1 "
		       "to allow root)");
}

/* 1 if the file at path is a problem (reported), else 0. */
static int check_one(const char *path, const char *what, struct buf *report)
{
	struct err e = ERR_INIT;
	struct stat st;

	if (!path || (lstat(path, &st) < 0 && errno == ENOENT) ||
	    xio_check_private(path, what, &e) == 0)
		return 0;
	buf_addf(report, "%s\n", e.msg);
	return 1;
}

int priv_check_files(const struct conf *c, struct buf *report)
{
	return check_one(c->github.private_key, "github.private_key", report) +
	       check_one(c->github.webhook_secret_file,
			 "github.webhook_secret_file", report);
}

void priv_refuse(const char *prog, const struct buf *report)
{
	const char *p = report->s, *nl;

	fprintf(stderr, "%s: refusing to start:\n%s", prog, report->s);
	for (; *p; p = *nl ? nl + 1 : nl) {
		nl = strchrnul(p, '\n');
		log_error("refusing to start: %.*s", (int)(nl - p), p);
	}
}

int priv_become(const char *user, struct err *e)
{
	struct passwd *pw;

	if (geteuid() != 0)
		return err_set(e, ERR_PERM, "--as %s: only root can check as another "
			       "account (run it as %s instead)", user, user);
	errno = 0;
	if (!(pw = getpwnam(user)))
		return err_set(e, ERR_NOTFOUND, "--as %s: no such account%s", user,
			       errno ? "" : " (useradd it first)");
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0)
		return err_sys(e, "--as %s: cannot become it", user);
	if (setenv("HOME", pw->pw_dir, 1) < 0 || setenv("USER", pw->pw_name, 1) < 0 ||
	    setenv("LOGNAME", pw->pw_name, 1) < 0)
		return err_sys(e, "--as %s: environment", user);
	return 0;
}
