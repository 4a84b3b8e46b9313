/* xio.h - file I/O that matters: atomic durable writes, bounded reads.
 *
 * Every descriptor is opened O_CLOEXEC.  An atomic write goes to a temporary
 * file in the target's directory, is fsync()ed, renamed over the target, and
 * the directory is fsync()ed: after a crash the target holds either the old
 * or the new content, never a mix, and a completed write survives power loss.
 */
#ifndef EESSI_XIO_H
#define EESSI_XIO_H

#include <sys/stat.h>
#include <sys/types.h>

#include "buf.h"
#include "err.h"

/* Writes data to path atomically and durably with the given mode. */
int xio_write_atomic(const char *path, const void *data, size_t len,
		     mode_t mode, struct err *e);

/* Like xio_write_atomic(), but fails (errno EEXIST, ERR_EXISTS) if path
 * already exists; the existence check and the rename are one link() call,
 * so two writers racing on one path cannot both succeed. */
int xio_create_atomic(const char *path, const void *data, size_t len,
		      mode_t mode, struct err *e);

/* Reads a whole regular file into out (cleared first), bounded by out->cap:
 * a larger file fails with ERR_TOOBIG.  Symlinks are followed unless
 * nofollow is set (a symlink is then ERR_SYS with errno ELOOP).  Anything
 * but a regular file (a FIFO, a device, a directory) is refused without
 * blocking, ERR_INVAL.  When the file cannot be opened, errno is left as
 * open() set it (ENOENT: there is none).  The bytes pass through no other
 * buffer left unwiped, so a secret may be read with it (the caller wipes
 * out: buf_wipe()). */
int xio_read_file(const char *path, struct buf *out, int nofollow,
		  struct err *e);

/* The check for a file that holds a secret (the App's private key, the
 * webhook secret, cached tokens): st (from fstat() or lstat() of path) must
 * be a regular file, owned by this account (euid) or by root (any owner
 * when this account is root), with no permission for group or others (mode
 * 0600 or 0400).  what names the file
 * in the error ("github.private_key"), which also says what to do. */
int xio_private_ok(const struct stat *st, const char *what, const char *path,
		   struct err *e);

/* xio_private_ok() on path itself: a symlink is not followed but refused
 * (as not a regular file).  When path cannot be lstat()ed, errno is left
 * as lstat() set it (ENOENT: there is none). */
int xio_check_private(const char *path, const char *what, struct err *e);

/* mkdir -p with mode for the directories it creates. */
int xio_mkdir_p(const char *path, mode_t mode, struct err *e);

/* rm -rf: removes path and, for a directory, everything below it;
 * symlinks are removed, never followed.  A path that does not exist is
 * fine.  -1 names the first entry that could not be removed. */
int xio_remove_tree(const char *path, struct err *e);

/* Takes an exclusive flock() of path without waiting, creating the file
 * (mode 0644; a symlink is refused).  0: held, *fd open (close it, or
 * exit, to release); 1: another process holds it, *fd -1; -1: e. */
int xio_lock(const char *path, int *fd, struct err *e);

/* Like err_sys(e, "WHAT PATH"), with errno as the failed call left it;
 * when that says access was refused (EACCES, EPERM) and what is in the way
 * (path, or its nearest existing directory) belongs to another account,
 * the message names the owner and the fix (ERR_PERM): "...: DIR belongs to
 * root, not to this account (bot); fix: chown -R bot DIR".  Returns -1. */
int xio_err_path(struct err *e, const char *what, const char *path);

/* fsync()s a directory, making renames and creations in it durable. */
int xio_fsync_dir(const char *dir, struct err *e);

/* The free space (bytes the caller may use, f_bavail) and inodes (f_favail;
 * -1 when the file system does not count them) of the file system holding
 * path - or, when path does not exist yet, its nearest existing parent -
 * and that file system's mount point (the topmost directory above path on
 * the same device) into mount (size bytes).  0, or -1 e. */
int xio_fs_free(const char *path, long long *bytes, long long *inodes,
		char *mount, size_t size, struct err *e);

/* Writes all of data to fd (retrying short writes and EINTR). */
int xio_write_all(int fd, const void *data, size_t len);

#endif
