/* build_resubmit.c - eessi-bot-resubmit's work: one job of a build request
 * submitted again, on its own, from a fresh copy of the same merge commit,
 * optionally with files of a directory copied over it (see build.h,
 * build_resubmit()).
 * Layer: flows (README, "Map of the code"). */
#include "build.h"
#include "build_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cdoc.h"
#include "conf.h"
#include "gitcache.h"
#include "github.h"
#include "ini.h"
#include "jobargs.h"
#include "jobcfg.h"
#include "jobrec.h"
#include "jobstate.h"
#include "log.h"
#include "names.h"
#include "target.h"
#include "xio.h"

#define MOD_ENTRIES_MAX 10000 /* files a -m directory may hold */
#define MOD_DEPTH_MAX 32
#define FILE_CAP ((size_t)64 * 1024 * 1024) /* one file of -m */
#define LOCK_WAIT_S 120

/* What a resubmission works with. */
struct rs {
	const struct conf *c;
	struct build_resubmit *r;
	struct jobrec rec;        /* the original job's metadata */
	struct target t;
	char orig[PATH_MAX];      /* the original job directory (real path) */
	char mod[PATH_MAX];       /* -m, real path, or "" */
	char event[PATH_MAX];     /* .../event_DELIVERY */
	char run[16];             /* the new run_NNN */
};

/* ---- the original job -------------------------------------------------- */

/* The one _bot_job<ID>.metadata of dir: 0 with *id, or -1 e. */
static int metadata_of(const char *dir, long long *id, struct err *e)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return err_sys(e, "%s", dir);
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		long long v;

		if (len <= 17 || strncmp(de->d_name, "_bot_job", 8) != 0 ||
		    strcmp(de->d_name + len - 9, ".metadata") != 0 ||
		    names_jobid(de->d_name + 8, len - 17, &v) < 0)
			continue;
		*id = v;
		n++;
	}
	closedir(d);
	if (n == 0)
		return err_set(e, ERR_INVAL, "%s is not a job directory: it has no "
			       "_bot_job<ID>.metadata (give the directory of a "
			       "job the bot submitted, or -o DIR)", dir);
	if (n > 1)
		return err_set(e, ERR_INVAL, "%s holds the metadata of %d jobs: "
			       "not a job directory as the bot makes them", dir, n);
	return 0;
}

/* 1 if path is below dir (both real paths). */
static int below(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(path, dir, n) == 0 && path[n] == '/';
}

static int read_original(struct rs *s, struct err *e)
{
	const struct conf *c = s->c;
	struct buf path = BUF_INIT(PATH_MAX + 64), text = BUF_INIT(64 * 1024);
	char base[PATH_MAX];
	struct stat st;
	long long id = 0;
	int rc = -1;

	if (!realpath(s->r->orig_dir, s->orig)) {
		err_sys(e, "%s", s->r->orig_dir);
		goto out;
	}
	if (stat(s->orig, &st) < 0 || !S_ISDIR(st.st_mode)) {
		err_set(e, ERR_INVAL, "%s is not a directory", s->orig);
		goto out;
	}
	if (metadata_of(s->orig, &id, e) < 0)
		goto out;
	if (buf_addf(&path, "%s/_bot_job%lld.metadata", s->orig, id) < 0 ||
	    xio_read_file(path.s, &text, 1, e) < 0)
		goto out;
	if (jobrec_parse(text.s, text.len, &s->rec, e) < 0) {
		err_set(e, ERR_INVAL, "%s: %s", path.s, e->msg);
		goto out;
	}
	if (s->rec.job_id != id || strcmp(s->rec.job_dir, s->orig) != 0) {
		err_set(e, ERR_INVAL, "%s: the metadata is of job %lld in %s, not "
			"of this directory", path.s, s->rec.job_id, s->rec.job_dir);
		goto out;
	}
	if (strcmp(s->rec.instance, c->github.app_name) != 0) {
		err_set(e, ERR_INVAL, "job %lld is instance %s's; this configuration "
			"is instance %s's", id, s->rec.instance, c->github.app_name);
		goto out;
	}
	if (!realpath(c->buildenv.jobs_base_dir, base) || !below(s->orig, base)) {
		err_set(e, ERR_INVAL, "%s is not below jobs_base_dir %s", s->orig,
			c->buildenv.jobs_base_dir);
		goto out;
	}
	buf_clear(&path);
	if (buf_addf(&path, "%s/cfg/job.cfg", s->orig) < 0 ||
	    lstat(path.s, &st) < 0 || !S_ISREG(st.st_mode)) {
		err_set(e, ERR_INVAL, "%s is not a job directory: no cfg/job.cfg",
			s->orig);
		goto out;
	}
	s->r->old_id = id;
	s->r->pr = s->rec.pr_number;
	snprintf(s->r->repo, sizeof(s->r->repo), "%s", s->rec.repo);
	rc = 0;
out:
	buf_release(&path);
	buf_release(&text);
	return rc;
}

/* The target as configured now, and the event directory the original's
 * run_NNN sits in. */
static int find_target(struct rs *s, struct err *e)
{
	const struct jobrec *r = &s->rec;
	size_t n = strlen(s->orig), tn;
	char *end;

	if (target_of(s->c, r->target, r->repo_id, r->accelerator, &s->t) < 0 ||
	    strcmp(s->t.key, r->target_key) != 0)
		return err_set(e, ERR_INVAL, "job %lld's target %s%s%s is no longer "
			       "built by instance %s", r->job_id, r->target,
			       *r->repo_id ? " for " : "", r->repo_id,
			       s->c->github.app_name);
	snprintf(s->r->target, sizeof(s->r->target), "%s", s->t.name);
	tn = strlen(s->t.dir);
	/* ORIG = EVENT/run_NNN/TARGETDIR */
	if (n < tn + 9 || strcmp(s->orig + n - tn, s->t.dir) != 0 ||
	    s->orig[n - tn - 1] != '/')
		goto bad;
	memcpy(s->event, s->orig, n - tn - 1);
	s->event[n - tn - 1] = '\0';
	end = strrchr(s->event, '/');
	if (!end || strlen(end) != 8 || strncmp(end, "/run_", 5) != 0 ||
	    strspn(end + 5, "0123456789") != 3)
		goto bad;
	*end = '\0';
	return 0;
bad:
	return err_set(e, ERR_INVAL, "%s is not laid out as the bot lays out job "
		       "directories (.../event_ID/run_NNN/%s)", s->orig, s->t.dir);
}

/* ---- the -m directory ------------------------------------------------------ */

/* 1 if name is one of the bot's own in a job directory. */
static int reserved(const char *name)
{
	return strcmp(name, "cfg") == 0 || strncmp(name, "slurm-", 6) == 0 ||
	       strncmp(name, "_bot_job", 8) == 0;
}

/* 1 if the symlink at rel (inside the -m directory), pointing to target,
 * stays inside it: relative, and never climbing above its root. */
static int link_inside(const char *rel, const char *target)
{
	int depth = 0;

	if (target[0] == '/' || !*target)
		return 0;
	for (const char *p = rel; *p; p++) /* the link's own directory */
		if (*p == '/')
			depth++;
	for (const char *p = target; *p;) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (--depth < 0)
				return 0;
		} else if (!(n == 1 && p[0] == '.') && n > 0) {
			depth++;
		}
		p += n;
		p += strspn(p, "/");
	}
	return 1;
}

/* The symlink name in the directory dfd (rel from the -m root) must stay
 * inside -m. */
static int check_link(const struct rs *s, int dfd, const char *name,
		      const char *rel, struct err *e)
{
	char target[PATH_MAX];
	ssize_t tl = readlinkat(dfd, name, target, sizeof(target) - 1);

	if (tl < 0)
		return err_sys(e, "-m %s/%s", s->mod, rel);
	target[tl] = '\0';
	if (!link_inside(rel, target))
		return err_set(e, ERR_INVAL, "-m %s: the symlink %s -> %s leads out "
			       "of the directory", s->mod, rel, target);
	return 0;
}

static int mod_check(struct rs *s, const char *rel, int depth, size_t *count,
		     struct err *e);

/* One entry of the -m tree (name in the directory dfd, rel from its root):
 * a file, a directory (checked in turn) or a symlink staying inside. */
static int check_entry(struct rs *s, int dfd, const char *name, const char *rel,
		       int depth, size_t *count, struct err *e)
{
	struct stat st;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return err_sys(e, "-m %s/%s", s->mod, rel);
	if (S_ISLNK(st.st_mode))
		return check_link(s, dfd, name, rel, e);
	if (S_ISDIR(st.st_mode))
		return mod_check(s, rel, depth + 1, count, e);
	if (!S_ISREG(st.st_mode))
		return err_set(e, ERR_INVAL, "-m %s: %s is neither a file, a directory "
			       "nor a symlink", s->mod, rel);
	return 0;
}

/* Checks the -m tree below rel ("" the root): nothing is created before
 * all of it has passed. */
static int mod_check(struct rs *s, const char *rel, int depth, size_t *count,
		     struct err *e)
{
	struct buf dir = BUF_INIT(PATH_MAX), child = BUF_INIT(PATH_MAX);
	DIR *d = NULL;
	struct dirent *de;
	int rc = -1;

	if (depth > MOD_DEPTH_MAX) {
		err_set(e, ERR_INVAL, "-m %s: deeper than %d directories", s->mod,
			MOD_DEPTH_MAX);
		goto out;
	}
	if (buf_addf(&dir, "%s%s%s", s->mod, *rel ? "/" : "", rel) < 0 ||
	    !(d = opendir(dir.s))) {
		err_sys(e, "-m %s", dir.s);
		goto out;
	}
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (++*count > MOD_ENTRIES_MAX) {
			err_set(e, ERR_INVAL, "-m %s: more than %d entries", s->mod,
				MOD_ENTRIES_MAX);
			goto out;
		}
		buf_clear(&child);
		if (buf_addf(&child, "%s%s%s", rel, *rel ? "/" : "", de->d_name) < 0) {
			err_set(e, ERR_TOOBIG, "-m: path too long below %s", dir.s);
			goto out;
		}
		if (!*rel && reserved(de->d_name)) {
			err_set(e, ERR_INVAL, "-m %s: %s is a name the bot writes in a "
				"job directory (cfg/, _bot_job*, slurm-*): it cannot "
				"come from -m", s->mod, de->d_name);
			goto out;
		}
		if (check_entry(s, dirfd(d), de->d_name, child.s, depth, count, e) < 0)
			goto out;
	}
	rc = 0;
out:
	if (d)
		closedir(d);
	buf_release(&dir);
	buf_release(&child);
	return rc;
}

/* Makes the directories of rel below root (none a symlink: the checkout
 * may hold symlinks; nothing is written through one). */
static int make_parents(const char *root, const char *rel, struct err *e)
{
	struct buf p = BUF_INIT(PATH_MAX);
	const char *slash;
	int rc = 0;

	for (const char *q = rel; rc == 0 && (slash = strchr(q, '/')); q = slash + 1) {
		struct stat st;

		buf_clear(&p);
		if (buf_addf(&p, "%s/%.*s", root, (int)(slash - rel), rel) < 0)
			rc = err_set(e, ERR_TOOBIG, "path too long: %s", rel);
		else if (lstat(p.s, &st) == 0 && !S_ISDIR(st.st_mode))
			rc = err_set(e, ERR_INVAL, "-m %s: %.*s is not a directory in "
				     "the pull request's files (a symlink or a file)",
				     rel, (int)(slash - rel), rel);
		else if (mkdir(p.s, 0755) < 0 && errno != EEXIST)
			rc = err_sys(e, "mkdir %s", p.s);
	}
	buf_release(&p);
	return rc;
}

/* One entry of -m (rel) copied to root/rel: whatever the checkout had
 * there (a file, a symlink) is replaced; a directory is kept and filled. */
static int copy_entry(struct rs *s, const char *root, const char *rel,
		      const struct stat *st, struct err *e)
{
	struct buf from = BUF_INIT(PATH_MAX), to = BUF_INIT(PATH_MAX),
		   data = BUF_INIT(FILE_CAP);
	struct stat old;
	char target[PATH_MAX];
	int rc = -1, fd;
	ssize_t tl;

	if (buf_addf(&from, "%s/%s", s->mod, rel) < 0 ||
	    buf_addf(&to, "%s/%s", root, rel) < 0 || make_parents(root, rel, e) < 0) {
		if (!e->code)
			err_set(e, ERR_TOOBIG, "path too long: %s", rel);
		goto out;
	}
	if (lstat(to.s, &old) == 0) {
		if (S_ISDIR(old.st_mode) && S_ISDIR(st->st_mode)) {
			rc = 0;
			goto out;
		}
		if (xio_remove_tree(to.s, e) < 0)
			goto out;
	}
	if (S_ISDIR(st->st_mode)) {
		rc = mkdir(to.s, 0755) < 0 ? err_sys(e, "mkdir %s", to.s) : 0;
	} else if (S_ISLNK(st->st_mode)) {
		if ((tl = readlink(from.s, target, sizeof(target) - 1)) < 0) {
			err_sys(e, "%s", from.s);
			goto out;
		}
		target[tl] = '\0';
		rc = symlink(target, to.s) < 0 ? err_sys(e, "symlink %s", to.s) : 0;
	} else {
		if (xio_read_file(from.s, &data, 1, e) < 0)
			goto out;
		fd = open(to.s, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			  (st->st_mode & 0111) ? 0755 : 0644);
		if (fd < 0) {
			err_sys(e, "%s", to.s);
			goto out;
		}
		rc = xio_write_all(fd, data.s, data.len) < 0 ? err_sys(e, "%s", to.s) : 0;
		if (close(fd) < 0 && rc == 0)
			rc = err_sys(e, "%s", to.s);
	}
out:
	buf_release(&from);
	buf_release(&to);
	buf_release(&data);
	return rc;
}

/* Copies the checked tree below rel of -m over root, directories first. */
static int mod_copy(struct rs *s, const char *root, const char *rel,
		    struct err *e)
{
	struct buf dir = BUF_INIT(PATH_MAX), child = BUF_INIT(PATH_MAX);
	DIR *d = NULL;
	struct dirent *de;
	int rc = -1;

	if (buf_addf(&dir, "%s%s%s", s->mod, *rel ? "/" : "", rel) < 0 ||
	    !(d = opendir(dir.s))) {
		err_sys(e, "-m %s", dir.s);
		goto out;
	}
	while ((de = readdir(d))) {
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		buf_clear(&child);
		if (buf_addf(&child, "%s%s%s", rel, *rel ? "/" : "", de->d_name) < 0 ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			err_sys(e, "-m %s/%s", s->mod, de->d_name);
			goto out;
		}
		if (copy_entry(s, root, child.s, &st, e) < 0 ||
		    (S_ISDIR(st.st_mode) && mod_copy(s, root, child.s, e) < 0))
			goto out;
		s->r->copied += !S_ISDIR(st.st_mode);
	}
	rc = 0;
out:
	if (d)
		closedir(d);
	buf_release(&dir);
	buf_release(&child);
	return rc;
}

/* ---- the new job directory -------------------------------------------- */

/* EVENT/run_NNN, the next free number, made. */
static int new_run(struct rs *s, struct err *e)
{
	struct buf p = BUF_INIT(PATH_MAX);
	DIR *d = opendir(s->event);
	struct dirent *de;
	int max = 0, rc = -1;

	if (!d)
		return err_sys(e, "%s", s->event);
	while ((de = readdir(d))) {
		const char *n = de->d_name;

		if (strlen(n) == 7 && strncmp(n, "run_", 4) == 0 &&
		    strspn(n + 4, "0123456789") == 3) {
			int v = (n[4] - '0') * 100 + (n[5] - '0') * 10 + (n[6] - '0');

			if (v > max)
				max = v;
		}
	}
	closedir(d);
	for (int n = max + 1; n <= 999; n++) {
		snprintf(s->run, sizeof(s->run), "run_%03d", n);
		buf_clear(&p);
		if (buf_addf(&p, "%s/%s", s->event, s->run) < 0) {
			err_set(e, ERR_TOOBIG, "path too long: %s", s->event);
			break;
		}
		if (mkdir(p.s, 0755) == 0) {
			rc = 0;
			break;
		}
		if (errno != EEXIST) {
			err_sys(e, "mkdir %s", p.s);
			break;
		}
	}
	if (rc < 0 && !e->code)
		err_set(e, ERR_INVAL, "%s: no run_NNN number left", s->event);
	buf_release(&p);
	return rc;
}

/* cfg/: job.cfg and the repository's files made for the new directory,
 * the job arguments of the original kept (they are data). */
static int new_cfg(struct rs *s, const char *tmp, const char *final,
		   struct err *e)
{
	static const char *const keep[] = { BUILD_ENV_FILE, BUILD_SUBMIT_FILE };
	struct buf cfg = BUF_INIT(PATH_MAX), fcfg = BUF_INIT(PATH_MAX),
		   text = BUF_INIT(64 * 1024), p = BUF_INIT(PATH_MAX);
	struct ini *repos = NULL;
	int rc = -1;

	if (buf_addf(&cfg, "%s/cfg", tmp) < 0 || buf_addf(&fcfg, "%s/cfg", final) < 0) {
		err_set(e, ERR_TOOBIG, "path too long: %s", final);
		goto out;
	}
	if (mkdir(cfg.s, 0755) < 0) {
		err_sys(e, "mkdir %s", cfg.s);
		goto out;
	}
	if (*s->t.repo_id) {
		if (!s->c->repo_targets.repos_cfg_dir) {
			err_set(e, ERR_CONFIG, "repo_targets.repos_cfg_dir is not set");
			goto out;
		}
		if (buf_addf(&p, "%s/%s", s->c->repo_targets.repos_cfg_dir,
			     JOBCFG_REPOS_FILE) < 0 || ini_load(p.s, &repos, e) < 0 ||
		    build_copy_repo_cfg(s->c, s->t.repo_id, cfg.s, e) < 0)
			goto out;
	}
	buf_clear(&p);
	if (jobcfg_render(s->c, &s->t, fcfg.s, repos, &text, e) < 0 ||
	    buf_addf(&p, "%s/job.cfg", cfg.s) < 0 ||
	    xio_write_atomic(p.s, text.s, text.len, 0644, e) < 0)
		goto out;
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		buf_clear(&p);
		buf_clear(&text);
		if (buf_addf(&p, "%s/cfg/%s", s->orig, keep[i]) < 0)
			goto out;
		if (xio_read_file(p.s, &text, 1, e) < 0) {
			if (e->code == ERR_SYS && errno == ENOENT) {
				err_clear(e);
				continue;
			}
			goto out;
		}
		buf_clear(&p);
		if (buf_addf(&p, "%s/%s", cfg.s, keep[i]) < 0 ||
		    xio_write_atomic(p.s, text.s, text.len, 0644, e) < 0)
			goto out;
	}
	rc = 0;
out:
	ini_free(repos);
	buf_release(&cfg);
	buf_release(&fcfg);
	buf_release(&text);
	buf_release(&p);
	return rc;
}

/* After a failure: the half-made directory and the new run_NNN go (the
 * run directory only if nothing else is in it). */
static void undo_run(struct rs *s, const char *dir)
{
	struct buf p = BUF_INIT(PATH_MAX);
	struct err e2 = ERR_INIT;

	if (buf_addf(&p, "%s.tmp", dir) == 0)
		xio_remove_tree(p.s, &e2);
	buf_clear(&p);
	if (buf_addf(&p, "%s/%s", s->event, s->run) == 0) {
		/* TARGETDIR may hold '/': its parents below run_NNN, then it */
		for (size_t n = strlen(s->t.dir); n > 0; n--)
			if (s->t.dir[n - 1] == '/') {
				struct buf q = BUF_INIT(PATH_MAX);

				if (buf_addf(&q, "%s/%.*s", p.s, (int)(n - 1), s->t.dir) == 0)
					rmdir(q.s);
				buf_release(&q);
			}
		rmdir(p.s);
	}
	buf_release(&p);
}

/* The new job directory: the merge commit from the cache, cfg/, then -m;
 * made aside and renamed into place. */
static int new_dir(struct rs *s, struct err *e)
{
	struct buf dir = BUF_INIT(PATH_MAX), tmp = BUF_INIT(PATH_MAX),
		   cache = BUF_INIT(PATH_MAX);
	char *slash;
	int rc = -1;

	if (buf_addf(&dir, "%s/%s/%s", s->event, s->run, s->t.dir) < 0 ||
	    buf_addf(&tmp, "%s.tmp", dir.s) < 0 || build_cache_dir(s->c, &cache) < 0 ||
	    dir.len >= sizeof(s->r->new_dir)) {
		err_set(e, ERR_TOOBIG, "path too long: %s", s->event);
		goto out;
	}
	slash = strrchr(tmp.s, '/');
	*slash = '\0';
	if (xio_mkdir_p(tmp.s, 0755, e) < 0)
		goto out;
	*slash = '/';
	if (gitcache_checkout(cache.s, s->rec.repo, s->rec.merge_sha, tmp.s, e) < 0) {
		err_set(e, e->code, "merge commit %s of job %lld from the git cache "
			"%s: %s", s->rec.merge_sha, s->rec.job_id, cache.s, e->msg);
		goto out;
	}
	if (build_clear_reserved(tmp.s, e) < 0 || new_cfg(s, tmp.s, dir.s, e) < 0 ||
	    (*s->mod && mod_copy(s, tmp.s, "", e) < 0))
		goto out;
	if (rename(tmp.s, dir.s) < 0) {
		err_sys(e, "rename %s", tmp.s);
		goto out;
	}
	*strrchr(tmp.s, '/') = '\0';
	if (xio_fsync_dir(tmp.s, e) < 0)
		goto out;
	memcpy(s->r->new_dir, dir.s, dir.len + 1);
	rc = 0;
out:
	if (rc < 0)
		undo_run(s, dir.s);
	buf_release(&dir);
	buf_release(&tmp);
	buf_release(&cache);
	return rc;
}

/* ---- submission, records, the status comment ---------------------------- */

static int submit(struct rs *s, struct err *e)
{
	struct build_sbatch *sb = calloc(1, sizeof(*sb));
	struct jobargs *ja = calloc(1, sizeof(*ja));
	struct buf p = BUF_INIT(PATH_MAX), text = BUF_INIT(64 * 1024);
	char comment[768], why[256];
	int rc = -1;

	if (!sb || !ja) {
		err_set(e, ERR_NOMEM, "sbatch argv");
		goto out;
	}
	if (buf_addf(&p, "%s/cfg/%s", s->r->new_dir, BUILD_SUBMIT_FILE) < 0)
		goto out;
	if (xio_read_file(p.s, &text, 1, e) < 0) {
		if (!(e->code == ERR_SYS && errno == ENOENT))
			goto out;
		err_clear(e);
	} else if (jobargs_parse_submit(text.s, text.len, ja, why, sizeof(why)) < 0) {
		err_set(e, ERR_INVAL, "%s: %s", p.s, why);
		goto out;
	}
	if (slurm_job_comment(s->c->github.app_name, s->rec.delivery, &s->t, comment,
			      sizeof(comment)) < 0) {
		err_set(e, ERR_INVAL, "no job comment for job %lld", s->rec.job_id);
		goto out;
	}
	if (build_sbatch_argv(s->c, &s->t, s->rec.pr_number, comment, ja, sb, e) < 0 ||
	    slurm_submit(&sb->argv, s->r->new_dir, &s->r->new_id, e) < 0)
		goto out;
	log_info("job %lld submitted again as job %lld in %s", s->rec.job_id,
		 s->r->new_id, s->r->new_dir);
	rc = 0;
out:
	free(sb);
	free(ja);
	buf_release(&p);
	buf_release(&text);
	return rc;
}

/* The new job's record (its metadata beside it; the manager's copy is
 * written last, under the lock) and the job-id symlink. */
static int new_record(struct rs *s, struct jobrec *n, struct buf *text,
		      struct err *e)
{
	struct buf p = BUF_INIT(PATH_MAX);
	int rc = -1;

	*n = s->rec;
	n->job_id = s->r->new_id;
	snprintf(n->job_dir, sizeof(n->job_dir), "%s", s->r->new_dir);
	n->submitted_at = n->changed_at = (long long)time(NULL);
	snprintf(n->state, sizeof(n->state), "%s",
		 jobstate_name(s->c->buildenv.job_handover_protocol ==
					       CONF_HANDOVER_DELAYED_BEGIN
				       ? JS_SUBMITTED : JS_HELD));
	n->result[0] = n->slurm[0] = '\0';
	if (jobrec_render(n, text, e) < 0 ||
	    buf_addf(&p, "%s/_bot_job%lld.metadata", s->r->new_dir, n->job_id) < 0 ||
	    build_write_once(p.s, text, e) < 0)
		goto out;
	buf_clear(&p);
	if (buf_addf(&p, "%s/%lld", s->c->buildenv.jobs_base_dir, n->job_id) < 0)
		goto out;
	if (symlink(s->r->new_dir, p.s) < 0 && errno != EEXIST) {
		err_sys(e, "symlink %s", p.s);
		goto out;
	}
	rc = 0;
out:
	if (rc < 0 && !e->code)
		err_set(e, ERR_TOOBIG, "path too long: %s", s->r->new_dir);
	buf_release(&p);
	return rc;
}

/* The manager's lock, waited for (an iteration takes seconds). */
static int lock_manager(const struct conf *c, int *fd, struct err *e)
{
	struct buf p = BUF_INIT(PATH_MAX);
	int rc = -1;

	if (buf_addf(&p, "%s/manager.lock", c->job_manager.job_ids_dir) < 0) {
		buf_release(&p);
		return err_set(e, ERR_TOOBIG, "job_ids_dir path too long");
	}
	for (int i = 0; i < LOCK_WAIT_S * 2; i++) {
		if ((rc = xio_lock(p.s, fd, e)) != 1)
			break;
		usleep(500 * 1000);
	}
	if (rc == 1)
		rc = err_set(e, ERR_TIMEOUT, "%s: held by a manager iteration for "
			     "more than %d s", p.s, LOCK_WAIT_S);
	buf_release(&p);
	return rc;
}

/* The new attempt's row, right after the target's last row; 0 with *doc
 * loaded and changed, 1 no document (the manager makes it from the
 * records), -1 e. */
static int add_row(struct rs *s, const char *who, struct cdoc *doc, struct err *e)
{
	const char *dir = s->c->job_manager.job_ids_dir;
	struct cdoc_row *row;
	char note[256];
	size_t at = 0, i;
	int rc = cdoc_load(dir, s->rec.pr_comment_id, doc, e);

	if (rc != 0)
		return rc;
	for (i = 0; i < doc->n; i++)
		if (strcmp(doc->rows[i].key, s->t.key) == 0)
			at = i + 1;
	if (at == 0)
		at = doc->n;
	if (!(row = cdoc_insert_row(doc, at)))
		return err_set(e, ERR_NOMEM, "status document: no room for a row");
	snprintf(row->target, sizeof(row->target), "%s", s->t.name);
	snprintf(row->key, sizeof(row->key), "%s", s->t.key);
	row->job_id = s->r->new_id;
	snprintf(row->state, sizeof(row->state), "%s",
		 jobstate_name(s->c->buildenv.job_handover_protocol ==
					       CONF_HANDOVER_DELAYED_BEGIN
				       ? JS_SUBMITTED : JS_HELD));
	row->changed_at = (long long)time(NULL);
	snprintf(note, sizeof(note), "resubmitted by %s on the login node: job "
		 "%lld again%s (%s)", who, s->rec.job_id,
		 s->r->copied ? ", with modified files" : "", s->run);
	if (cdoc_set_note(row, note) < 0)
		return err_set(e, ERR_NOMEM, "status row note");
	return cdoc_save(dir, doc, 0, e);
}

/* Under the manager's lock: the row, the comment edited, the record the
 * manager follows. */
static int publish(struct rs *s, const char *who, const struct jobrec *n,
		   const struct buf *text, struct github *gh, struct err *e)
{
	struct buf p = BUF_INIT(PATH_MAX), body = BUF_INIT(64 * 1024);
	struct cdoc doc = { 0 };
	struct err e2 = ERR_INIT;
	int fd = -1, rc = -1, d;

	if (lock_manager(s->c, &fd, e) < 0)
		goto out;
	if ((d = add_row(s, who, &doc, &e2)) < 0) {
		/* the record still goes in: the manager follows the job and
		 * makes the document again from the records */
		log_warn("status document %lld: %s", s->rec.pr_comment_id, e2.msg);
		err_clear(&e2);
	}
	if (d == 0 && !cdoc_is_local(doc.comment_id)) {
		if (cdoc_body(&doc, &body) < 0 ||
		    github_comment_edit(gh, doc.repo, doc.comment_id, body.s, &e2) < 0)
			log_warn("status comment %lld not updated now (%s): the "
				 "manager shows the new row with the job's next change",
				 doc.comment_id, e2.msg[0] ? e2.msg : "too long");
		else
			s->r->edited = 1;
	}
	if (buf_addf(&p, "%s/submitted", s->c->job_manager.job_ids_dir) < 0 ||
	    xio_mkdir_p(p.s, 0755, e) < 0 || buf_addf(&p, "/%lld", n->job_id) < 0 ||
	    build_write_once(p.s, text, e) < 0)
		goto out;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	cdoc_release(&doc);
	buf_release(&p);
	buf_release(&body);
	return rc;
}

int build_resubmit(const struct conf *c, struct build_resubmit *r,
		   struct err *e)
{
	struct rs *s = calloc(1, sizeof(*s));
	struct github *gh = NULL;
	struct github_pull pull;
	struct buf text = BUF_INIT(64 * 1024);
	struct jobrec n;
	size_t count = 0;
	int rc = -1;

	if (!s)
		return err_set(e, ERR_NOMEM, "resubmit");
	s->c = c;
	s->r = r;
	r->new_id = r->old_id = 0;
	r->copied = r->edited = 0;
	r->new_dir[0] = '\0';
	if (read_original(s, e) < 0 || find_target(s, e) < 0)
		goto out;
	if (r->mod_dir) {
		if (!realpath(r->mod_dir, s->mod)) {
			err_sys(e, "-m %s", r->mod_dir);
			goto out;
		}
		if (mod_check(s, "", 0, &count, e) < 0)
			goto out;
	}
	if (github_open(c, &gh, e) < 0 ||
	    github_pull_get(gh, s->rec.repo, s->rec.pr_number, &pull, e) < 0)
		goto out;
	if (!pull.open) {
		err_set(e, ERR_INVAL, "pull request %s#%lld is closed: job %lld is "
			"not submitted again", s->rec.repo, s->rec.pr_number,
			s->rec.job_id);
		goto out;
	}
	if (new_run(s, e) < 0 || new_dir(s, e) < 0 || submit(s, e) < 0 ||
	    new_record(s, &n, &text, e) < 0 ||
	    publish(s, r->operator_name, &n, &text, gh, e) < 0)
		goto out;
	rc = 0;
out:
	github_free(gh);
	buf_release(&text);
	free(s);
	return rc;
}
