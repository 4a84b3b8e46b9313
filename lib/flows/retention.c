/* retention.c - old spool entries and old trash removed (see retention.h).
 * Layer: flows (README, "Map of the code"). */
#include "retention.h"

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

#include "buf.h"
#include "build.h"
#include "conf.h"
#include "gitcache.h"
#include "jobrec.h"
#include "log.h"
#include "names.h"
#include "xio.h"

#define DAY 86400LL

/* Removes SPOOL/sub/<id> (and its .reason) whose time is before cutoff,
 * with SPOOL/effects/<id>.  *n counts them. */
static int sweep_spool(const char *spool, const char *sub, long long cutoff,
		       unsigned *n, struct err *e)
{
	struct buf p = BUF_INIT(PATH_MAX);
	struct dirent *de;
	struct stat st;
	DIR *d;
	int rc = 0;

	if (buf_addf(&p, "%s/%s", spool, sub) < 0) {
		buf_release(&p);
		return err_set(e, ERR_TOOBIG, "spool path too long");
	}
	if (!(d = opendir(p.s))) {
		rc = errno == ENOENT ? 0 : err_sys(e, "%s", p.s);
		buf_release(&p);
		return rc;
	}
	while ((de = readdir(d))) {
		if (!names_valid_delivery(de->d_name) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode) || (long long)st.st_mtime >= cutoff)
			continue;
		buf_clear(&p);
		if (buf_addf(&p, "%s/effects/%s", spool, de->d_name) < 0 ||
		    xio_remove_tree(p.s, e) < 0) {
			rc = -1;
			break;
		}
		buf_clear(&p);
		if (buf_addf(&p, "%s/%s/%s.reason", spool, sub, de->d_name) == 0)
			unlink(p.s);
		if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT) {
			rc = err_sys(e, "%s/%s/%s", spool, sub, de->d_name);
			break;
		}
		(*n)++;
	}
	closedir(d);
	buf_release(&p);
	return rc;
}

/* The day a trash directory is named by (YYYY.MM.DD), as epoch seconds at
 * its end; -1 when the name is not a day. */
static long long day_end(const char *name)
{
	struct tm tm;
	char *end;

	if (strlen(name) != 10 || name[4] != '.' || name[7] != '.')
		return -1;
	memset(&tm, 0, sizeof(tm));
	end = strptime(name, "%Y.%m.%d", &tm);
	if (!end || *end)
		return -1;
	return (long long)timegm(&tm) + DAY;
}

static int sweep_trash(const struct conf *c, long long now, unsigned *n,
		       struct err *e)
{
	struct buf root = BUF_INIT(PATH_MAX), p = BUF_INIT(PATH_MAX);
	struct dirent *de;
	DIR *d = NULL;
	int rc = 0;

	if (c->clean_up.keep_trash_days == 0)
		goto out;
	if (build_trash_dir(c, &root) < 0) {
		rc = err_set(e, ERR_TOOBIG, "trash path too long");
		goto out;
	}
	if (!(d = opendir(root.s))) {
		rc = errno == ENOENT ? 0 : err_sys(e, "%s", root.s);
		goto out;
	}
	while ((de = readdir(d))) {
		long long end = day_end(de->d_name);

		if (end < 0 || end + c->clean_up.keep_trash_days * DAY > now)
			continue;
		buf_clear(&p);
		if (buf_addf(&p, "%s/%s", root.s, de->d_name) < 0 ||
		    xio_remove_tree(p.s, e) < 0) {
			rc = -1;
			break;
		}
		log_info("trash %s removed (older than %lld days)", p.s,
			 c->clean_up.keep_trash_days);
		(*n)++;
	}
out:
	if (d)
		closedir(d);
	buf_release(&root);
	buf_release(&p);
	return rc;
}

/* ---- the git cache ---------------------------------------------------- */

#define PRUNE_EVERY_S 3600 /* at most one prune an hour */

struct shas {
	char (*v)[JOBREC_SHA_MAX + 1];
	size_t n, cap;
};

static int sha_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int keep_sha(const char *sha, void *arg)
{
	const struct shas *s = arg;

	return s->n && bsearch(sha, s->v, s->n, sizeof(*s->v), sha_cmp) != NULL;
}

/* Adds each merge named in text ("bot/merge/SHA"). */
static int scan_merges(const char *text, struct shas *s, struct err *e)
{
	const char *p = text;

	while ((p = strstr(p, "bot/merge/"))) {
		size_t n;

		p += strlen("bot/merge/");
		n = strspn(p, "0123456789abcdef");
		if (n != 40 && n != 64)
			continue;
		if (s->n == s->cap) {
			size_t cap = s->cap ? 2 * s->cap : 64;
			void *v = realloc(s->v, cap * sizeof(*s->v));

			if (!v)
				return err_set(e, ERR_NOMEM, "git cache: merges");
			s->v = v;
			s->cap = cap;
		}
		memcpy(s->v[s->n], p, n);
		s->v[s->n++][n] = '\0';
	}
	return 0;
}

/* The merges a job directory's .git names: HEAD, packed-refs, and its
 * refs/heads/bot/merge/ branches. */
static int job_merges(const char *gitdir, struct shas *s, struct err *e)
{
	static const char *const files[] = { "HEAD", "packed-refs" };
	struct buf p = BUF_INIT(PATH_MAX), text = BUF_INIT(1 << 20);
	struct err fe = ERR_INIT;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	for (size_t i = 0; i < 2 && rc == 0; i++) {
		buf_clear(&p);
		err_clear(&fe);
		if (buf_addf(&p, "%s/%s", gitdir, files[i]) < 0)
			rc = err_set(e, ERR_TOOBIG, "path too long: %s", gitdir);
		else if (xio_read_file(p.s, &text, 1, &fe) == 0)
			rc = scan_merges(text.s, s, e);
	}
	buf_clear(&p);
	if (rc == 0 && buf_addf(&p, "%s/refs/heads/bot/merge", gitdir) == 0 &&
	    (d = opendir(p.s))) {
		while (rc == 0 && (de = readdir(d))) {
			buf_clear(&text);
			if (names_valid_sha(de->d_name) &&
			    buf_addf(&text, "bot/merge/%s", de->d_name) == 0)
				rc = scan_merges(text.s, s, e);
		}
		closedir(d);
	}
	buf_release(&p);
	buf_release(&text);
	return rc;
}

/* Walks dir for job directories (those with a .git directory; not entered
 * further), at most 10 levels down, never through a symlink; at depth 0
 * of jobs_base_dir only its month directories (top). */
static int find_jobs(const char *dir, int depth, int top, struct shas *s,
		     struct err *e)
{
	struct buf p = BUF_INIT(PATH_MAX);
	struct dirent *de;
	struct stat st;
	DIR *d = opendir(dir);
	int rc = 0;

	if (!d)
		return errno == ENOENT && depth == 0 ? 0 : err_sys(e, "%s", dir);
	if (fstatat(dirfd(d), ".git", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(st.st_mode)) {
		rc = buf_addf(&p, "%s/.git", dir) < 0
			     ? err_set(e, ERR_TOOBIG, "path too long: %s", dir)
			     : job_merges(p.s, s, e);
		goto out;
	}
	while (rc == 0 && depth < 10 && (de = readdir(d))) {
		if (de->d_name[0] == '.' || (top && !names_month_dir(de->d_name)) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		buf_clear(&p);
		rc = buf_addf(&p, "%s/%s", dir, de->d_name) < 0
			     ? err_set(e, ERR_TOOBIG, "path too long: %s", dir)
			     : find_jobs(p.s, depth + 1, 0, s, e);
	}
out:
	closedir(d);
	buf_release(&p);
	return rc;
}

/* Every merge a job directory still borrows from the cache: those under
 * jobs_base_dir's months and in the trash, sorted. */
static int borrowed(const struct conf *c, struct shas *s, struct err *e)
{
	struct buf trash = BUF_INIT(PATH_MAX);
	int rc;

	if (build_trash_dir(c, &trash) < 0)
		rc = err_set(e, ERR_TOOBIG, "trash path too long");
	else
		rc = find_jobs(c->buildenv.jobs_base_dir, 0, 1, s, e) < 0 ||
		     find_jobs(trash.s, 0, 0, s, e) < 0 ? -1 : 0;
	buf_release(&trash);
	if (rc == 0 && s->n)
		qsort(s->v, s->n, sizeof(*s->v), sha_cmp);
	return rc;
}

/* Prunes each repository's cache below root (OWNER/NAME.git). */
static int prune_caches(const char *root, struct shas *s, long long now,
			long long age, unsigned *n, struct err *e)
{
	struct buf p = BUF_INIT(PATH_MAX), repo = BUF_INIT(256);
	struct dirent *o, *r;
	DIR *od = opendir(root), *rd;
	int rc = 0;

	if (!od)
		return errno == ENOENT ? 0 : err_sys(e, "%s", root);
	while (rc == 0 && (o = readdir(od))) {
		buf_clear(&p);
		if (o->d_name[0] == '.' || buf_addf(&p, "%s/%s", root, o->d_name) < 0 ||
		    !(rd = opendir(p.s)))
			continue;
		while (rc == 0 && (r = readdir(rd))) {
			size_t len = strlen(r->d_name);
			unsigned refs = 0;

			buf_clear(&repo);
			if (len <= 4 || strcmp(r->d_name + len - 4, ".git") != 0 ||
			    buf_addf(&repo, "%s/%.*s", o->d_name, (int)(len - 4),
				     r->d_name) < 0 || !names_valid_repo(repo.s))
				continue;
			rc = gitcache_prune(root, repo.s, keep_sha, s, now, age,
					    &refs, e);
			if (refs)
				log_info("git cache %s: %u refs no job directory "
					 "borrows pruned, with their objects",
					 repo.s, refs);
			*n += refs;
		}
		closedir(rd);
	}
	closedir(od);
	buf_release(&p);
	buf_release(&repo);
	return rc;
}

int retention_git(const struct conf *c, long long now, unsigned *refs,
		  struct err *e)
{
	struct buf root = BUF_INIT(PATH_MAX), stamp = BUF_INIT(PATH_MAX);
	struct shas s = { NULL, 0, 0 };
	struct stat st;
	int rc = 0;

	*refs = 0;
	if (c->clean_up.git_cache_keep_hours == 0)
		return 0;
	if (build_cache_dir(c, &root) < 0 ||
	    buf_addf(&stamp, "%s/.pruned", root.s) < 0) {
		rc = err_set(e, ERR_TOOBIG, "git cache path too long");
		goto out;
	}
	if (stat(root.s, &st) < 0 ||
	    (stat(stamp.s, &st) == 0 && now - (long long)st.st_mtime < PRUNE_EVERY_S))
		goto out; /* no cache yet, or pruned within the hour */
	/* a job directory not seen would lose what it borrows: no prune */
	if (borrowed(c, &s, e) < 0 ||
	    prune_caches(root.s, &s, now, c->clean_up.git_cache_keep_hours * 3600,
			 refs, e) < 0 ||
	    xio_write_atomic(stamp.s, "", 0, 0644, e) < 0)
		rc = -1;
out:
	free(s.v);
	buf_release(&root);
	buf_release(&stamp);
	return rc;
}

int retention_sweep(const struct conf *c, long long now,
		    struct retention_stats *st, struct err *e)
{
	const struct conf_event_handler *h = &c->event_handler;
	struct err e2 = ERR_INIT;
	int rc = 0;

	memset(st, 0, sizeof(*st));
	if (sweep_spool(h->spool_dir, "done", now - h->keep_done_days * DAY,
			&st->done, e) < 0)
		rc = -1;
	if (sweep_spool(h->spool_dir, "failed", now - h->keep_failed_days * DAY,
			&st->failed, rc ? &e2 : e) < 0)
		rc = -1;
	if (sweep_trash(c, now, &st->trash, rc ? &e2 : e) < 0)
		rc = -1;
	if (e2.code)
		log_error("retention: %s", e2.msg);
	if (st->done || st->failed)
		log_info("retention: %u handled and %u failed deliveries removed "
			 "from the spool", st->done, st->failed);
	return rc;
}
