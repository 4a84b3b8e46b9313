/* xio.c - file I/O that matters: atomic durable writes, bounded reads,
 * locks, directories.
 * Layer: base (README, "Map of the code"). */
#include "xio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <ftw.h>
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

int xio_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* dirname() may modify its argument: work on a copy in a buf. */
static int dir_of(const char *path, struct buf *dir, struct err *e)
{
	struct buf tmp = BUF_INIT(4096);
	int rc = 0;

	if (buf_adds(&tmp, path) < 0)
		return err_sys(e, "%s: path too long", path);
	buf_clear(dir);
	if (buf_adds(dir, dirname(tmp.s)) < 0)
		rc = err_sys(e, "%s: path too long", path);
	buf_release(&tmp);
	return rc;
}

int xio_fsync_dir(const char *dir, struct err *e)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return err_sys(e, "open %s", dir);
	if (fsync(fd) < 0)
		rc = err_sys(e, "fsync %s", dir);
	close(fd);
	return rc;
}

/* The name of uid, else its number. */
static void user_name(uid_t uid, char *out, size_t size)
{
	struct passwd *pw = getpwuid(uid);

	if (pw && pw->pw_name)
		snprintf(out, size, "%s", pw->pw_name);
	else
		snprintf(out, size, "%lu", (unsigned long)uid);
}

/* (xio.h) */
int xio_err_path(struct err *e, const char *what, const char *path)
{
	char p[PATH_MAX], owner[64], me[64];
	int saved = errno;
	struct stat st;
	char *slash;

	if ((saved != EACCES && saved != EPERM) ||
	    snprintf(p, sizeof(p), "%s", path) >= (int)sizeof(p)) {
		errno = saved;
		return err_sys(e, "%s %s", what, path);
	}
	/* what is in the way: the file, or its nearest existing directory */
	while (lstat(p, &st) < 0 && (slash = strrchr(p, '/')) && slash != p)
		*slash = '\0';
	if (lstat(p, &st) < 0 || st.st_uid == geteuid()) {
		errno = saved;
		return err_sys(e, "%s %s", what, path);
	}
	user_name(st.st_uid, owner, sizeof(owner));
	user_name(geteuid(), me, sizeof(me));
	return err_set(e, ERR_PERM, "%s %s: %s: %s belongs to %s, not to this "
		       "account (%s); fix: chown -R %s %s (or run the bot as %s)",
		       what, path, strerror(saved), p, owner, me, me, p, owner);
}

/* Writes data to a fresh temporary file beside path; tmp receives its name. */
static int write_temp(const char *path, const void *data, size_t len,
		      mode_t mode, struct buf *tmp, struct err *e)
{
	int fd, rc = -1;

	buf_clear(tmp);
	if (buf_addf(tmp, "%s.tmp.XXXXXX", path) < 0)
		return err_sys(e, "%s: path too long", path);
	fd = mkostemp(tmp->s, O_CLOEXEC);
	if (fd < 0)
		return xio_err_path(e, "create temporary file for", path);
	if (fchmod(fd, mode) < 0)
		err_sys(e, "chmod %s", tmp->s);
	else if (xio_write_all(fd, data, len) < 0)
		err_sys(e, "write %s", tmp->s);
	else if (fsync(fd) < 0)
		err_sys(e, "fsync %s", tmp->s);
	else
		rc = 0;
	if (close(fd) < 0 && rc == 0)
		rc = err_sys(e, "close %s", tmp->s);
	if (rc < 0)
		unlink(tmp->s);
	return rc;
}

static int write_atomic(const char *path, const void *data, size_t len,
			mode_t mode, int exclusive, struct err *e)
{
	struct buf tmp = BUF_INIT(4096), dir = BUF_INIT(4096);
	int rc = -1;

	if (dir_of(path, &dir, e) < 0 ||
	    write_temp(path, data, len, mode, &tmp, e) < 0)
		goto out;
	if (exclusive) {
		/* link() fails with EEXIST instead of replacing */
		if (link(tmp.s, path) < 0) {
			if (errno == EEXIST)
				err_set(e, ERR_EXISTS, "%s already exists", path);
			else
				err_sys(e, "link %s", path);
			unlink(tmp.s);
			goto out;
		}
		unlink(tmp.s);
	} else if (rename(tmp.s, path) < 0) {
		err_sys(e, "rename %s", path);
		unlink(tmp.s);
		goto out;
	}
	rc = xio_fsync_dir(dir.s, e);
out:
	buf_release(&tmp);
	buf_release(&dir);
	return rc;
}

int xio_write_atomic(const char *path, const void *data, size_t len,
		     mode_t mode, struct err *e)
{
	return write_atomic(path, data, len, mode, 0, e);
}

int xio_create_atomic(const char *path, const void *data, size_t len,
		      mode_t mode, struct err *e)
{
	return write_atomic(path, data, len, mode, 1, e);
}

int xio_read_file(const char *path, struct buf *out, int nofollow,
		  struct err *e)
{
	char chunk[65536];
	struct stat st;
	int fd, rc = 0;
	ssize_t n;

	buf_clear(out);
	/* O_NONBLOCK: a FIFO put there must not hang the reader (it is then
	 * refused as not a regular file); no effect on a regular file */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
				(nofollow ? O_NOFOLLOW : 0));
	if (fd < 0) {
		int saved = errno;

		err_sys(e, "open %s", path);
		errno = saved;
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		rc = err_sys(e, "stat %s", path);
	} else if (!S_ISREG(st.st_mode)) {
		rc = err_set(e, ERR_INVAL, "%s: not a regular file", path);
	} else if ((unsigned long long)st.st_size > out->cap) {
		rc = err_set(e, ERR_TOOBIG, "%s: %lld bytes, more than %zu allowed",
			     path, (long long)st.st_size, out->cap);
	} else if (buf_grow(out, (size_t)st.st_size) < 0) {
		/* one allocation up front: no realloc() leaves a copy of a
		 * secret behind */
		rc = err_set(e, ERR_NOMEM, "%s: out of memory", path);
	}
	while (rc == 0 && (n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = err_sys(e, "read %s", path);
		else if (buf_add(out, chunk, (size_t)n) < 0)
			rc = err_set(e, ERR_TOOBIG, "%s: larger than %zu bytes",
				     path, out->cap);
	}
	explicit_bzero(chunk, sizeof(chunk));
	close(fd);
	return rc;
}

static const char *file_kind(mode_t m)
{
	if (S_ISLNK(m))
		return "a symlink";
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	return "a device";
}

int xio_private_ok(const struct stat *st, const char *what, const char *path,
		   struct err *e)
{
	uid_t me = geteuid();

	if (!S_ISREG(st->st_mode))
		return err_set(e, ERR_INVAL, "%s %s: not a regular file (%s); "
			       "refused (name the file itself, mode 600)",
			       what, path, file_kind(st->st_mode));
	/* root (allowed to run as root: EESSI_BOT_ALLOW_ROOT) takes any owner:
	 * it may read anything anyway */
	if (st->st_uid != me && st->st_uid != 0 && me != 0)
		return err_set(e, ERR_INVAL, "%s %s: owned by uid %u, not by "
			       "this account (uid %u) or root; refused (chown "
			       "it to the bot's account, chmod 600 it)",
			       what, path, (unsigned)st->st_uid, (unsigned)me);
	if (st->st_mode & 077)
		return err_set(e, ERR_INVAL, "%s %s: mode %04o lets group or "
			       "others read or write it; refused (chmod 600 it)",
			       what, path, (unsigned)(st->st_mode & 07777));
	return 0;
}

int xio_check_private(const char *path, const char *what, struct err *e)
{
	struct stat st;

	if (lstat(path, &st) < 0) {
		int saved = errno;

		err_sys(e, "%s %s: cannot stat", what, path);
		errno = saved;
		return -1;
	}
	return xio_private_ok(&st, what, path, e);
}

int xio_mkdir_p(const char *path, mode_t mode, struct err *e)
{
	struct buf p = BUF_INIT(4096);
	struct stat st;
	size_t i;
	int rc = 0;

	if (buf_adds(&p, path) < 0)
		return err_sys(e, "%s: path too long", path);
	for (i = 1; i <= p.len && rc == 0; i++) {
		if (p.s[i] != '/' && p.s[i] != '\0')
			continue;
		p.s[i] = '\0';
		if (mkdir(p.s, mode) < 0 && errno != EEXIST)
			rc = xio_err_path(e, "mkdir", p.s);
		else if (stat(p.s, &st) < 0)
			rc = err_sys(e, "stat %s", p.s);
		else if (!S_ISDIR(st.st_mode))
			rc = err_set(e, ERR_INVAL, "%s: not a directory", p.s);
		if (i < p.len)
			p.s[i] = '/';
	}
	buf_release(&p);
	return rc;
}

/* nftw() takes no context: the first failure is kept here (one tree at a
 * time; the bot is single-threaded). */
static const char *rm_failed;
static int rm_errno;

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	if (remove(path) < 0 && errno != ENOENT && !rm_failed) {
		rm_failed = path;
		rm_errno = errno;
		return -1;
	}
	return 0;
}

int xio_remove_tree(const char *path, struct err *e)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : err_sys(e, "cannot remove %s", path);
	rm_failed = NULL;
	if (nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) == 0)
		return 0;
	if (rm_failed) {
		errno = rm_errno;
		return err_sys(e, "cannot remove %s", path);
	}
	return err_sys(e, "cannot remove %s", path);
}

int xio_lock(const char *path, int *fd, struct err *e)
{
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (*fd < 0)
		return xio_err_path(e, "lock", path);
	if (flock(*fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	if (errno != EWOULDBLOCK) {
		err_sys(e, "flock %s", path);
		close(*fd);
		*fd = -1;
		return -1;
	}
	close(*fd);
	*fd = -1;
	return 1;
}

int xio_fs_free(const char *path, long long *bytes, long long *inodes,
		char *mount, size_t size, struct err *e)
{
	char p[PATH_MAX], up[PATH_MAX];
	struct statvfs vfs;
	struct stat st, pst;
	char *slash;

	if (snprintf(p, sizeof(p), "%s", path) >= (int)sizeof(p) || p[0] != '/')
		return err_set(e, ERR_INVAL, "not an absolute path: %.200s", path);
	while (stat(p, &st) < 0) { /* the nearest existing parent */
		if (errno != ENOENT || !(slash = strrchr(p, '/')))
			return err_sys(e, "%s", p);
		if (slash == p)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	if (statvfs(p, &vfs) < 0)
		return err_sys(e, "statvfs %s", p);
	*bytes = (long long)vfs.f_bavail * (long long)vfs.f_frsize;
	*inodes = vfs.f_files ? (long long)vfs.f_favail : -1;
	for (;;) { /* up while the device stays the same */
		slash = strrchr(p, '/');
		if (!slash || (slash == p && p[1] == '\0'))
			break;
		if (slash == p) {
			up[0] = '/';
			up[1] = '\0';
		} else {
			memcpy(up, p, (size_t)(slash - p));
			up[slash - p] = '\0';
		}
		if (stat(up, &pst) < 0 || pst.st_dev != st.st_dev)
			break;
		memcpy(p, up, strlen(up) + 1);
	}
	snprintf(mount, size, "%s", p);
	return 0;
}
