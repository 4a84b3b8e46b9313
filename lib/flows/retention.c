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
#include "conf.h"
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
	if ((c->clean_up.trash_bin_dir ? buf_adds(&root, c->clean_up.trash_bin_dir)
				      : buf_addf(&root, "%s/trash_bin",
						 c->buildenv.jobs_base_dir)) < 0) {
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
