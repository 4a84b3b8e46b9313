/* appjwt.h - the GitHub App's JSON Web Token (RS256, through libjwt).
 *
 * GitHub wants, to hand out an installation token, a JWT signed with the
 * App's private key: header {"alg":"RS256","typ":"JWT"}, claims
 * iat = now - 60 (backdated against clock drift), exp = now + 540 (GitHub
 * refuses more than 10 minutes) and iss = the App id.  The time comes in as
 * an argument, so tests use a fixed clock.  (Not "jwt.h": that is libjwt's.)
 */
#ifndef EESSI_APPJWT_H
#define EESSI_APPJWT_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

#define APPJWT_BACKDATE_S 60
#define APPJWT_LIFETIME_S 540

/* Writes the JWT into out (cleared first; the caller wipes it when done).
 * key: the PEM private key (PKCS#1 or PKCS#8), keylen bytes, not changed;
 * libjwt's own copy is wiped.  app_id > 0; now: epoch seconds. */
int appjwt_make(const char *key, size_t keylen, long long app_id,
		long long now, struct buf *out, struct err *e);

#endif
