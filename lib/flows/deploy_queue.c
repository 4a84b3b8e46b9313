/* deploy_queue.c - the deploy requests' queue, <job_ids_dir>/deploy/
 * (pending/ -> done/ or broken/, by lib/state/dirq): what a bot:deploy
 * label leaves for the manager, and the question whether any waits.
 * Layer: flows (README, "Map of the code"). */
#include "deploy.h"

#include <dirent.h>
#include <limits.h>
#include <sys/stat.h>

#include "names.h"
#include "xio.h"

#define REQ_CAP ((size_t)4096)

int deploy_path(struct buf *out, const char *dir, const char *sub,
		const char *name, struct err *e)
{
	buf_clear(out);
	if (buf_addf(out, "%s/deploy%s%s%s%s", dir, sub ? "/" : "", sub ? sub : "",
		     name ? "/" : "", name ? name : "") < 0)
		return err_set(e, ERR_TOOBIG, "job_ids_dir path too long");
	return 0;
}

static int exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* deploy/done/ and deploy/pending/, made when missing (p: scratch). */
static int queue_dirs(struct buf *p, const char *job_ids_dir, struct err *e)
{
	if (deploy_path(p, job_ids_dir, "done", NULL, e) < 0 ||
	    xio_mkdir_p(p->s, 0755, e) < 0 ||
	    deploy_path(p, job_ids_dir, "pending", NULL, e) < 0 ||
	    xio_mkdir_p(p->s, 0755, e) < 0)
		return -1;
	return 0;
}

int deploy_req_queue(const char *job_ids_dir, const char *delivery,
		     const struct deploy_req *r, struct err *e)
{
	struct buf text = BUF_INIT(REQ_CAP), p = BUF_INIT(PATH_MAX);
	int rc = -1;

	if (!names_valid_delivery(delivery)) {
		err_set(e, ERR_INVAL, "deploy request: bad delivery id");
		goto out;
	}
	if (deploy_req_render(r, &text, e) < 0)
		goto out;
	if (deploy_path(&p, job_ids_dir, "done", delivery, e) < 0)
		goto out;
	if (exists(p.s)) {
		rc = 0;
		goto out;
	}
	if (queue_dirs(&p, job_ids_dir, e) < 0 ||
	    deploy_path(&p, job_ids_dir, "pending", delivery, e) < 0)
		goto out;
	if (xio_create_atomic(p.s, text.s, text.len, 0644, e) < 0) {
		if (e->code == ERR_EXISTS) {
			err_clear(e);
			rc = 0;
		}
		goto out;
	}
	rc = 1;
out:
	buf_release(&text);
	buf_release(&p);
	return rc;
}

int deploy_pending(const char *job_ids_dir)
{
	struct buf p = BUF_INIT(PATH_MAX);
	struct err e = ERR_INIT;
	struct dirent *de;
	DIR *d = NULL;
	int found = 0;

	if (deploy_path(&p, job_ids_dir, "pending", NULL, &e) < 0 ||
	    !(d = opendir(p.s)))
		goto out;
	while (!found && (de = readdir(d)))
		found = names_valid_delivery(de->d_name);
	closedir(d);
out:
	buf_release(&p);
	return found;
}

