/* manager_records.c - where the manager moves records: finished/ (with
 * their final [STATE]), broken/ (with a .reason), and the temporary files
 * of writers that died swept away (see manager.h).
 * Layer: flows (README, "Map of the code"). */
#include "manager_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cancel.h"
#include "conf.h"
#include "jobrec.h"
#include "log.h"
#include "manager.h"
#include "xio.h"

/* Moves submitted/NAME to broken/NAME with a NAME.reason beside it. */
void manager_set_aside(struct iter *it, const char *name, const char *why)
{
	const char *dir = it->c->job_manager.job_ids_dir;
	struct buf from = BUF_INIT(4096), to = BUF_INIT(4096);
	struct err e = ERR_INIT;

	log_error("job record %s/submitted/%s: %s; moved to broken/", dir, name,
		  why);
	it->st->broken++;
	if (buf_addf(&from, "%s/submitted/%s", dir, name) < 0 ||
	    buf_addf(&to, "%s/broken", dir) < 0 ||
	    xio_mkdir_p(to.s, 0755, &e) < 0 ||
	    buf_addf(&to, "/%s.reason", name) < 0 ||
	    xio_write_atomic(to.s, why, strlen(why), 0644, &e) < 0) {
		manager_fail(it, "broken record %s: %s", name, e.msg[0] ? e.msg : "path too long");
		goto out;
	}
	buf_truncate(&to, to.len - strlen(".reason"));
	if (rename(from.s, to.s) < 0)
		manager_fail(it, "rename %s to %s: %s", from.s, to.s, strerror(errno));
out:
	buf_release(&from);
	buf_release(&to);
}

/* A writer's temporary file (xio: NAME.tmp.XXXXXX): 1, and removed when
 * it is older than STALE_TEMP_S - its writer died (the build writes
 * records this way, so a young one is someone at work). */
#define STALE_TEMP_S 3600

int manager_temp_file(struct iter *it, int dfd, const char *name)
{
	struct stat st;

	if (!strstr(name, ".tmp."))
		return 0;
	/* the index is written under the lock we hold: any is dead */
	if (strncmp(name, MINDEX_NAME ".tmp.", strlen(MINDEX_NAME ".tmp.")) == 0 ||
	    (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	     it->now - (long long)st.st_mtime > STALE_TEMP_S)) {
		if (unlinkat(dfd, name, 0) == 0)
			log_info("removed %s, a temporary file left by a writer "
				 "that died", name);
	}
	return 1;
}

/* The temporary files of writers that died, in comments/ and beside the
 * index (killed managers and builds). */
void manager_sweep_temps(struct iter *it)
{
	static const char *const sub[] = { "", "/comments", "/finished" };
	struct dirent *de;

	for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		DIR *d;

		if (manager_path(it, "%s%s", it->c->job_manager.job_ids_dir, sub[i]) < 0 ||
		    !(d = opendir(it->path.s)))
			continue;
		while ((de = readdir(d)))
			manager_temp_file(it, dirfd(d), de->d_name);
		closedir(d);
	}
}

/* Step 8b, in three passes so that a thousand jobs ending together cost
 * one flush, not a thousand: each record with its final [STATE] (the
 * row's state, verdict and Slurm end state) written beside its place in
 * finished/ (ID.tmp.PID); one syncfs() of that file system; then each
 * renamed into finished/ and removed from submitted/.  Killed before a
 * rename, the temporary file is swept later and the record is still in
 * submitted/; killed after it, both are there: the next iteration finds
 * the row over and writes finished/ID again.  manager_moves_done() makes the
 * directories durable. */
static int finished_dir(struct iter *it)
{
	struct err e = ERR_INIT;

	if (it->finished_dir)
		return 0;
	if (manager_path(it, "%s/finished", it->c->job_manager.job_ids_dir) < 0 ||
	    xio_mkdir_p(it->path.s, 0755, &e) < 0) {
		manager_fail(it, "record not moved: %s", e.msg[0] ? e.msg : "path too long");
		return -1;
	}
	it->finished_dir = 1;
	return 0;
}

/* A new file written whole, not synced (the caller flushes): 0 or -1. */
static int write_unsynced(const char *path, const struct buf *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	int rc;

	if (fd < 0)
		return -1;
	rc = xio_write_all(fd, text->s, text->len);
	return close(fd) < 0 || rc < 0 ? -1 : 0;
}

/* Pass 1: finished/ID.tmp.PID holds the record with its final [STATE]. */
static void stage_record(struct iter *it, struct job *j, struct buf *text)
{
	const char *dir = it->c->job_manager.job_ids_dir;
	const struct cdoc_row *row = manager_row_of(it, j);
	struct err e = ERR_INIT;

	if (finished_dir(it) < 0 ||
	    manager_path(it, "%s/submitted/%lld", dir, j->id) < 0 ||
	    xio_read_file(it->path.s, text, 1, &e) < 0 ||
	    jobrec_set_state(text, row->state, row->changed_at > 0 ? row->changed_at : it->now,
			     row->result, row->slurm, &e) < 0) {
		manager_fail(it, "job %lld: record not moved to finished/: %s", j->id,
		     e.msg[0] ? e.msg : "path too long");
		return;
	}
	if (manager_path(it, "%s/finished/%lld.tmp.%ld", dir, j->id, (long)getpid()) < 0 ||
	    write_unsynced(it->path.s, text) < 0) {
		manager_fail(it, "job %lld: record not moved to finished/: %s", j->id,
		     e.msg[0] ? e.msg : strerror(errno));
		return;
	}
	j->staged = 1;
}

/* Pass 3: the staged record into place, the old one gone. */
static void place_record(struct iter *it, struct job *j, struct buf *from)
{
	const char *dir = it->c->job_manager.job_ids_dir;
	struct mindex_ent *x;

	buf_clear(from);
	if (buf_addf(from, "%s/finished/%lld.tmp.%ld", dir, j->id, (long)getpid()) < 0 ||
	    manager_path(it, "%s/finished/%lld", dir, j->id) < 0 ||
	    rename(from->s, it->path.s) < 0 ||
	    manager_path(it, "%s/submitted/%lld", dir, j->id) < 0 ||
	    (unlink(it->path.s) < 0 && errno != ENOENT)) {
		manager_fail(it, "job %lld: record not moved to finished/: %s", j->id,
		     strerror(errno));
		return;
	}
	if ((x = mindex_find(&it->ix, j->id)))
		x->moved = 1;
	cancel_forget(dir, j->id); /* its row says who cancelled it */
	it->st->finished++;
}

void manager_move_records(struct iter *it)
{
	struct buf text = BUF_INIT(64 * 1024);
	size_t staged = 0;
	int fd;

	for (size_t i = 0; i < it->njobs; i++) {
		struct job *j = &it->jobs[i];

		/* a row over since an earlier iteration is saved as over */
		if (j->move && (it->cm[j->ci].saved || j->step.act == MGR_MOVE)) {
			stage_record(it, j, &text);
			staged += (size_t)j->staged;
		}
	}
	if (staged) {
		if (manager_path(it, "%s/finished", it->c->job_manager.job_ids_dir) == 0 &&
		    (fd = open(it->path.s, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
			if (syncfs(fd) < 0)
				manager_fail(it, "records not flushed: %s", strerror(errno));
			close(fd);
		}
		for (size_t i = 0; i < it->njobs; i++)
			if (it->jobs[i].staged)
				place_record(it, &it->jobs[i], &text);
	}
	buf_release(&text);
}

/* The moves made durable: both directories synced once. */
void manager_moves_done(struct iter *it)
{
	const char *dir = it->c->job_manager.job_ids_dir;
	struct err e = ERR_INIT;

	if (!it->st->finished)
		return;
	if (manager_path(it, "%s/finished", dir) < 0 ||
	    xio_fsync_dir(it->path.s, &e) < 0 ||
	    manager_path(it, "%s/submitted", dir) < 0 ||
	    xio_fsync_dir(it->path.s, &e) < 0)
		manager_fail(it, "%s", e.msg[0] ? e.msg : "path too long");
}

