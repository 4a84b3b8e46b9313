/* priv.h - the start checks on privileges and secret files, shared by the
 * webhook handler and the manager: neither runs as root unless told to,
 * and neither starts with its secrets open to others.
 */
#ifndef EESSI_PRIV_H
#define EESSI_PRIV_H

#include "buf.h"
#include "conf.h"
#include "err.h"

/* The environment variable that lets the programs run as root: "1". */
#define PRIV_ALLOW_ROOT_ENV "EESSI_BOT_ALLOW_ROOT"

/* -1 (e says why and what to do) when the effective user is root and
 * $EESSI_BOT_ALLOW_ROOT is not "1"; else 0. */
int priv_check_user(struct err *e);

/* Checks github.private_key and github.webhook_secret_file (when set) with
 * xio_check_private(): regular files (a symlink is refused), owned by this
 * account or root, mode 0600 or 0400.  A file that does not exist is left
 * to the code that reads it.  Appends one line per problem to report;
 * returns the number of problems (0: fine). */
int priv_check_files(const struct conf *c, struct buf *report);

/* Becomes the account user (root only): its groups, gid and uid, and
 * $HOME, $USER and $LOGNAME from its passwd entry.  -1 with e: not root,
 * no such account, or a step failed. */
int priv_become(const char *user, struct err *e);

/* Says that prog refuses to start and why (the lines of report): on
 * stderr, and each line in the log. */
void priv_refuse(const char *prog, const struct buf *report);

#endif
