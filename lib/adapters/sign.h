/* sign.h - deploycfg.signing_command: the site's signer run on a file to
 * upload, in a clean environment, its signature PATH.sig then beside it.
 */
#ifndef EESSI_SIGN_H
#define EESSI_SIGN_H

#include "conf.h"
#include "err.h"

/* Runs sc (its argv, path appended: never a shell) with only PATH and
 * LC_ALL set, from /, at most 60 s; a PATH.sig left by an earlier run is
 * removed first.  0 when it exited 0 and PATH.sig is a regular file; -1
 * ERR_CHILD saying how it exited (its stderr's first line), ERR_CONFIG
 * when sc has over 64 arguments. */
int sign_file(const struct conf_strv *sc, const char *path, struct err *e);

#endif
