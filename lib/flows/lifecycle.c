/* lifecycle.c - a pull request closed or reopened, and the sweep of the
 * job directories of closed ones into the trash (see lifecycle.h).
 * Layer: flows (README, "Map of the code"). */
#include "lifecycle.h"

#include <dirent.h>
#include <errno.h>
#include <json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "build.h"
#include "cancel.h"
#include "conf.h"
#include "deploy.h"
#include "effects.h"
#include "event.h"
#include "jobstate.h"
#include "log.h"
#include "names.h"
#include "num.h"
#include "report.h"
#include "xio.h"

#define FX_KEY "scancel"

static int closed_marker(struct buf *p, const char *job_ids_dir, const char *repo,
			 long long pr)
{
	buf_clear(p);
	return buf_addf(p, "%s/" LIFECYCLE_DIR "/%s/%lld", job_ids_dir, repo, pr);
}

/* pull_request.merged of the payload. */
static int merged(const struct event *ev)
{
	struct json_object *o;

	return json_object_object_get_ex(ev->root, "pull_request", &o) &&
	       json_object_object_get_ex(o, "merged", &o) &&
	       json_object_get_boolean(o);
}

/* Whether job j is one a push to head supersedes (buildenv.supersede). */
static int superseded(const struct conf *c, const struct report_job *j,
		      const char *head)
{
	if (j->over || strcmp(j->head_sha, head) == 0)
		return 0;
	if (c->buildenv.supersede == CONF_SUPERSEDE_ALL)
		return 1;
	if (c->buildenv.supersede == CONF_SUPERSEDE_NONE)
		return 0;
	/* as the status document last showed it (one iteration behind) */
	return strcmp(j->state, jobstate_name(JS_RUNNING)) != 0 &&
	       strcmp(j->state, jobstate_name(JS_SUSPENDED)) != 0;
}

/* The PR's jobs that are not over (head NULL), or that a push to head
 * supersedes, cancelled once (journalled): their count into *n. */
static int cancel_live(struct delivery_ctx *ctx, const struct event *ev,
		       const char *head, const char *note, size_t *n,
		       struct err *e)
{
	struct report_job *jobs = NULL;
	long long *go = NULL;
	struct buf v = BUF_INIT(64);
	struct err e2 = ERR_INIT;
	size_t nj = 0;
	char count[24];
	int ran, rc = -1;

	*n = 0;
	if (effects_get(ctx->fx, FX_KEY, &v)) {
		*n = (size_t)num_or(v.s, 0);
		rc = 0;
		goto out;
	}
	if (report_jobs(ctx->c, ev->repo, ev->issue, NULL, 0, &jobs, &nj, e) < 0 ||
	    !(go = calloc(nj + 1, sizeof(*go))))
		goto out;
	for (size_t i = 0; i < nj; i++)
		if (head ? superseded(ctx->c, &jobs[i], head) : !jobs[i].over)
			go[(*n)++] = jobs[i].id;
	if (*n && cancel_jobs(ctx->c, go, *n, note, &ran, &e2) < 0) {
		log_error("closed: %s", e2.msg);
		if (!ran) {
			err_set(e, e2.code, "%s", e2.msg);
			goto out;
		}
	}
	snprintf(count, sizeof(count), "%zu", *n);
	rc = effects_put(ctx->fx, FX_KEY, count, e);
out:
	buf_release(&v);
	free(jobs);
	free(go);
	return rc;
}

int lifecycle_closed(struct delivery_ctx *ctx, const struct event *ev,
		     struct err *e)
{
	const struct conf *c = ctx->c;
	struct buf p = BUF_INIT(PATH_MAX), text = BUF_INIT(8192);
	const char *how = merged(ev) ? "merged" : "closed";
	long long reply_id = 0;
	char note[96];
	size_t n = 0;
	int rc = -1;

	if (!*ev->repo || !ev->issue)
		return err_set(e, ERR_INVAL, "closed payload without repository or "
			       "pull request");
	snprintf(note, sizeof(note), "cancelled: the pull request was %s", how);
	if (closed_marker(&p, c->job_manager.job_ids_dir, ev->repo, ev->issue) < 0 ||
	    buf_addf(&text, "%s %lld\n", how, (long long)time(NULL)) < 0) {
		err_set(e, ERR_TOOBIG, "job_ids_dir path too long");
		goto out;
	}
	*strrchr(p.s, '/') = '\0';
	if (xio_mkdir_p(p.s, 0755, e) < 0)
		goto out;
	p.s[strlen(p.s)] = '/';
	if (xio_write_atomic(p.s, text.s, text.len, 0644, e) < 0 ||
	    cancel_live(ctx, ev, NULL, note, &n, e) < 0)
		goto out;
	if (c->bot_control.chatlevel >= CONF_CHAT_CHATTY) {
		buf_clear(&text);
		if (buf_addf(&text, "<!-- eessi-bot closed=%s instance=%s -->\n"
			     "Pull request %s: instance `%s` cancelled %zu job%s of "
			     "it that had not ended; its job directories go to the "
			     "trash once none runs.\n", ev->delivery, c->github.app_name,
			     how, c->github.app_name, n, n == 1 ? "" : "s") < 0) {
			err_set(e, ERR_TOOBIG, "comment too long");
			goto out;
		}
		if (!delivery_github(ctx, ev, e) ||
		    (rc = delivery_comment_once(ctx, ev, "reply", text.s, &reply_id,
						e)) != 0)
			goto out;
	}
	delivery_note(ctx, "pull request %s: %zu job(s) cancelled; reply %lld", how,
		      n, reply_id);
	rc = 0;
out:
	buf_release(&p);
	buf_release(&text);
	return rc;
}

int lifecycle_reopened(struct delivery_ctx *ctx, const struct event *ev,
		       struct err *e)
{
	struct buf p = BUF_INIT(PATH_MAX);
	int rc = 0;

	if (closed_marker(&p, ctx->c->job_manager.job_ids_dir, ev->repo, ev->issue) < 0)
		rc = err_set(e, ERR_TOOBIG, "job_ids_dir path too long");
	else if (unlink(p.s) < 0 && errno != ENOENT)
		rc = err_sys(e, "%s", p.s);
	else
		delivery_note(ctx, "pull request reopened: its job directories stay");
	buf_release(&p);
	return rc;
}

int lifecycle_pushed(struct delivery_ctx *ctx, const struct event *ev,
		     struct err *e)
{
	char note[64];
	size_t n = 0;

	if (!*ev->repo || !ev->issue || !names_valid_sha(ev->head_sha))
		return err_set(e, ERR_INVAL, "synchronize payload without repository, "
			       "pull request or head SHA");
	if (ctx->c->buildenv.supersede == CONF_SUPERSEDE_NONE) {
		delivery_note(ctx, "push to %.12s: supersede is none", ev->head_sha);
		return 0;
	}
	snprintf(note, sizeof(note), "superseded by %.12s", ev->head_sha);
	if (cancel_live(ctx, ev, ev->head_sha, note, &n, e) < 0)
		return -1;
	delivery_note(ctx, "push to %.12s: %zu job(s) of older heads cancelled",
		      ev->head_sha, n);
	return 0;
}

/* ---- the sweep ------------------------------------------------------------ */

/* 1 if a deploy request of repo#pr waits (its artefacts are still read). */
static int deploy_waits(const struct conf *c, const char *repo, long long pr)
{
	struct buf p = BUF_INIT(PATH_MAX), text = BUF_INIT(64 * 1024);
	struct err e = ERR_INIT;
	struct dirent *de;
	DIR *d = NULL;
	int waits = 0;

	if (deploy_path(&p, c->job_manager.job_ids_dir, "pending", NULL, &e) < 0 ||
	    !(d = opendir(p.s)))
		goto out;
	while (!waits && (de = readdir(d))) {
		struct deploy_req r;
		size_t len = p.len;

		if (de->d_name[0] == '.' || buf_addf(&p, "/%s", de->d_name) < 0)
			continue;
		buf_clear(&text);
		if (xio_read_file(p.s, &text, 1, &e) == 0 &&
		    deploy_req_parse(text.s, text.len, &r, &e) == 0)
			waits = strcmp(r.repo, repo) == 0 && r.pr == pr;
		buf_truncate(&p, len);
	}
out:
	if (d)
		closedir(d);
	buf_release(&p);
	buf_release(&text);
	return waits;
}

/* Renames every entry of from into to (made).  *moved counts them.  -2
 * (e set) when to lies on another mount (EXDEV: never to work). */
static int move_entries(const char *from, const char *to, unsigned *moved,
			struct err *e)
{
	struct buf a = BUF_INIT(PATH_MAX), b = BUF_INIT(PATH_MAX);
	struct dirent *de;
	DIR *d = opendir(from);
	int rc = 0;

	if (!d)
		return errno == ENOENT ? 0 : err_sys(e, "%s", from);
	if (xio_mkdir_p(to, 0755, e) < 0) {
		closedir(d);
		return -1;
	}
	while (rc == 0 && (de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		buf_clear(&a);
		buf_clear(&b);
		if (buf_addf(&a, "%s/%s", from, de->d_name) < 0 ||
		    buf_addf(&b, "%s/%s", to, de->d_name) < 0)
			rc = err_set(e, ERR_TOOBIG, "path too long: %s", from);
		else if (rename(a.s, b.s) < 0) {
			int cross = errno == EXDEV;

			rc = err_sys(e, "rename %s to %s", a.s, b.s);
			if (cross)
				rc = -2;
		} else
			(*moved)++;
	}
	closedir(d);
	if (rc == 0 && rmdir(from) < 0)
		rc = err_sys(e, "rmdir %s", from);
	buf_release(&a);
	buf_release(&b);
	return rc;
}

/* The JOBS/<ID> symlinks of repo#pr's jobs, now dangling. */
static void drop_links(const struct conf *c, const char *repo, long long pr)
{
	struct report_job *jobs = NULL;
	struct buf p = BUF_INIT(PATH_MAX);
	struct err e = ERR_INIT;
	struct stat st;
	size_t n = 0;

	if (report_jobs(c, repo, pr, NULL, 0, &jobs, &n, &e) < 0)
		n = 0;
	for (size_t i = 0; i < n; i++) {
		buf_clear(&p);
		if (buf_addf(&p, "%s/%lld", c->buildenv.jobs_base_dir, jobs[i].id) == 0 &&
		    lstat(p.s, &st) == 0 && S_ISLNK(st.st_mode) && stat(p.s, &st) < 0)
			unlink(p.s);
	}
	free(jobs);
	buf_release(&p);
}

/* One closed pull request: its directories to the trash when no job of
 * it runs.  1 done (the marker may go), 0 not yet, 2 never (the trash is
 * on another file system: e set, the marker may go), -1 e (tried again
 * next time). */
static int sweep_one(const struct conf *c, const char *repo, long long pr,
		     const char *day, unsigned *moved, struct err *e)
{
	struct report_job *jobs = NULL;
	struct buf from = BUF_INIT(PATH_MAX), to = BUF_INIT(PATH_MAX);
	struct dirent *de;
	DIR *d = NULL;
	size_t n = 0;
	int rc = -1, r;

	if (report_jobs(c, repo, pr, NULL, 0, &jobs, &n, e) < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (!jobs[i].over) {
			rc = 0;
			goto out;
		}
	if (deploy_waits(c, repo, pr)) {
		rc = 0;
		goto out;
	}
	if (!(d = opendir(c->buildenv.jobs_base_dir))) {
		rc = errno == ENOENT ? 1 : err_sys(e, "%s", c->buildenv.jobs_base_dir);
		goto out;
	}
	rc = 1;
	while (rc == 1 && (de = readdir(d))) {
		if (!names_month_dir(de->d_name))
			continue;
		buf_clear(&from);
		buf_clear(&to);
		if (buf_addf(&from, "%s/%s/%s/pr_%lld", c->buildenv.jobs_base_dir,
			     de->d_name, repo, pr) < 0 ||
		    build_trash_dir(c, &to) < 0 ||
		    buf_addf(&to, "/%s/%s/pr_%lld", day, repo, pr) < 0)
			rc = err_set(e, ERR_TOOBIG, "path too long: %s", repo);
		else if ((r = move_entries(from.s, to.s, moved, e)) < 0)
			rc = r == -2 ? 2 : -1;
	}
	if (rc == 1)
		drop_links(c, repo, pr);
out:
	if (d)
		closedir(d);
	free(jobs);
	buf_release(&from);
	buf_release(&to);
	return rc;
}

/* The markers below closed/OWNER/NAME/. */
static int sweep_name(const struct conf *c, const char *dir, const char *repo,
		      const char *day, unsigned *moved, struct err *e)
{
	struct buf p = BUF_INIT(PATH_MAX);
	struct dirent *de;
	DIR *d = opendir(dir);
	int rc = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		long long pr;
		struct err e2 = ERR_INIT;
		int r;

		if (num_parse(de->d_name, 1, 1LL << 40, &pr) < 0)
			continue;
		r = sweep_one(c, repo, pr, day, moved, &e2);
		if (r < 0 || r == 2) {
			log_error("closed %s#%lld: %s (%s)", repo, pr, e2.msg, r == 2
				  ? "the directories stay: the trash must be on "
				  "jobs_base_dir's file system"
				  : "tried again next iteration");
			if (rc == 0)
				err_set(e, e2.code, "%s", e2.msg);
			rc = -1;
		}
		if (r > 0) { /* done, or never to be done: the marker goes */
			buf_clear(&p);
			if (buf_addf(&p, "%s/%s", dir, de->d_name) == 0)
				unlink(p.s);
			if (r == 1)
				log_info("closed %s#%lld: its job directories are in "
					 "the trash", repo, pr);
		}
	}
	closedir(d);
	buf_release(&p);
	return rc;
}

int lifecycle_sweep(const struct conf *c, long long now, unsigned *moved,
		    struct err *e)
{
	struct buf root = BUF_INIT(PATH_MAX), sub = BUF_INIT(PATH_MAX),
		   repo = BUF_INIT(256);
	struct dirent *o, *nm;
	DIR *od, *nd;
	char day[16];
	time_t t = (time_t)now;
	struct tm tm;
	int rc = 0;

	*moved = 0;
	if (!gmtime_r(&t, &tm) || strftime(day, sizeof(day), "%Y.%m.%d", &tm) == 0 ||
	    buf_addf(&root, "%s/" LIFECYCLE_DIR, c->job_manager.job_ids_dir) < 0)
		return err_set(e, ERR_INVAL, "no date or path for the sweep");
	if (!(od = opendir(root.s))) {
		buf_release(&root);
		return 0; /* no PR closed yet */
	}
	while ((o = readdir(od))) {
		if (o->d_name[0] == '.')
			continue;
		buf_clear(&sub);
		if (buf_addf(&sub, "%s/%s", root.s, o->d_name) < 0 || !(nd = opendir(sub.s)))
			continue;
		while ((nm = readdir(nd))) {
			size_t len = sub.len;

			buf_clear(&repo);
			if (buf_addf(&repo, "%s/%s", o->d_name, nm->d_name) < 0 ||
			    !names_valid_repo(repo.s) || buf_addf(&sub, "/%s", nm->d_name) < 0)
				continue;
			if (sweep_name(c, sub.s, repo.s, day, moved, e) < 0)
				rc = -1;
			buf_truncate(&sub, len);
		}
		closedir(nd);
	}
	closedir(od);
	buf_release(&root);
	buf_release(&sub);
	buf_release(&repo);
	return rc;
}
