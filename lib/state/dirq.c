/* dirq.c - a directory queue: one file per item (named by its delivery
 * id) moving between subdirectories by rename (dirq.h).
 * Layer: state (README, "Map of the code"). */
#include "dirq.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "buf.h"
#include "names.h"
#include "xio.h"

struct listed {
	char *id;
	struct timespec mtime;
};

static int by_age(const void *a, const void *b)
{
	const struct listed *x = a, *y = b;

	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
	return strcmp(x->id, y->id);
}

void dirq_free(char **ids)
{
	size_t i;

	for (i = 0; ids && ids[i]; i++)
		free(ids[i]);
	free(ids);
}

/* Appends one id to the list (grown by doubling). */
static int list_add(struct listed **v, size_t *n, size_t *cap, int dfd,
		    const char *name)
{
	struct stat st;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1; /* taken meanwhile: skip */
	if (!S_ISREG(st.st_mode))
		return 0;
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		struct listed *nv = reallocarray(*v, ncap, sizeof(**v));

		if (!nv)
			return -1;
		*v = nv;
		*cap = ncap;
	}
	(*v)[*n].id = strdup(name);
	if (!(*v)[*n].id)
		return -1;
	(*v)[*n].mtime = st.st_mtim;
	(*n)++;
	return 0;
}

int dirq_list(const char *dir, const char *sub, int missing_ok, char ***ids,
	      size_t *n, struct err *e)
{
	struct buf p = BUF_INIT(4096);
	struct listed *v = NULL;
	size_t cap = 0, i, count = 0;
	struct dirent *d;
	DIR *dh = NULL;
	int rc = -1;

	*ids = NULL;
	*n = 0;
	if (buf_addf(&p, "%s/%s", dir, sub) < 0 || !(dh = opendir(p.s))) {
		if (missing_ok && errno == ENOENT && (*ids = calloc(1, sizeof(char *))))
			rc = 0;
		else
			err_sys(e, "cannot read the queue directory %s", p.s);
		goto out;
	}
	while ((errno = 0, d = readdir(dh)) != NULL) {
		if (names_valid_delivery(d->d_name) &&
		    list_add(&v, &count, &cap, dirfd(dh), d->d_name) < 0) {
			err_sys(e, "listing %s", p.s);
			goto out;
		}
	}
	if (errno) {
		err_sys(e, "listing %s", p.s);
		goto out;
	}
	if (count)
		qsort(v, count, sizeof(*v), by_age);
	*ids = calloc(count + 1, sizeof(char *));
	if (!*ids) {
		err_set(e, ERR_NOMEM, "listing %s", p.s);
		goto out;
	}
	for (i = 0; i < count; i++) {
		(*ids)[i] = v[i].id;
		v[i].id = NULL;
	}
	*n = count;
	rc = 0;
out:
	for (i = 0; i < count; i++)
		free(v[i].id);
	free(v);
	if (dh)
		closedir(dh);
	buf_release(&p);
	return rc;
}

/* fsync() of dir/sub (p: scratch).  0, or -1 e. */
static int sync_sub(struct buf *p, const char *dir, const char *sub,
		    struct err *e)
{
	buf_clear(p);
	if (buf_addf(p, "%s/%s", dir, sub) < 0)
		return err_set(e, ERR_TOOBIG, "queue path too long");
	return xio_fsync_dir(p->s, e);
}

int dirq_move(const char *dir, const char *id, const char *from,
	      const char *to, int flags, struct err *e)
{
	struct buf src = BUF_INIT(4096), dst = BUF_INIT(4096);
	int rc = -1, durable = flags & DIRQ_DURABLE;

	if (!names_valid_delivery(id))
		return err_set(e, ERR_INVAL, "invalid delivery id");
	if (buf_addf(&dst, "%s/%s", dir, to) < 0 ||
	    ((flags & DIRQ_MKDIR) && xio_mkdir_p(dst.s, 0755, e) < 0) ||
	    buf_addf(&src, "%s/%s/%s", dir, from, id) < 0 ||
	    buf_addf(&dst, "/%s", id) < 0) {
		err_set(e, ERR_TOOBIG, "queue path too long");
		goto out;
	}
	if (rename(src.s, dst.s) < 0) {
		if (errno == ENOENT)
			rc = 1;
		else
			err_sys(e, "cannot move %s to %s", src.s, dst.s);
		goto out;
	}
	rc = 0;
	if (!durable)
		goto out;
	rc = sync_sub(&src, dir, to, e);
	if (rc == 0 && (flags & DIRQ_DURABLE_FROM))
		rc = sync_sub(&src, dir, from, e);
out:
	buf_release(&src);
	buf_release(&dst);
	return rc;
}

int dirq_set_aside(const char *dir, const char *id, const char *from,
		   const char *to, const char *reason, struct err *e)
{
	struct buf p = BUF_INIT(4096), text = BUF_INIT(4096);
	int rc = -1;

	if (!names_valid_delivery(id))
		return err_set(e, ERR_INVAL, "invalid delivery id");
	if (buf_addf(&p, "%s/%s", dir, to) < 0 || xio_mkdir_p(p.s, 0750, e) < 0 ||
	    buf_addf(&p, "/%s.reason", id) < 0 ||
	    buf_addf(&text, "%.3000s\n", reason) < 0) {
		err_set(e, ERR_TOOBIG, "queue path too long");
		goto out;
	}
	if (xio_write_atomic(p.s, text.s, text.len, 0640, e) == 0 &&
	    dirq_move(dir, id, from, to, DIRQ_DURABLE, e) >= 0)
		rc = 0;
out:
	buf_release(&p);
	buf_release(&text);
	return rc;
}
