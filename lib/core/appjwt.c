/* appjwt.c - the App JWT through libjwt.
 * Layer: core (README, "Map of the code"). */
#include "appjwt.h"

#include <errno.h>
#include <jwt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

int appjwt_make(const char *key, size_t keylen, long long app_id,
		long long now, struct buf *out, struct err *e)
{
	jwt_t *jwt = NULL;
	char *s = NULL;
	int rc = -1;

	buf_clear(out);
	if (!key || keylen == 0 || keylen > INT_MAX)
		return err_set(e, ERR_INVAL, "App JWT: no private key");
	if (app_id <= 0 || app_id > LONG_MAX || now < APPJWT_BACKDATE_S ||
	    now > LONG_MAX - APPJWT_LIFETIME_S)
		return err_set(e, ERR_INVAL, "App JWT: bad App id or time");
	if (jwt_new(&jwt) != 0)
		return err_set(e, ERR_NOMEM, "App JWT: out of memory");
	if (jwt_add_grant_int(jwt, "iat", (long)(now - APPJWT_BACKDATE_S)) ||
	    jwt_add_grant_int(jwt, "exp", (long)(now + APPJWT_LIFETIME_S)) ||
	    jwt_add_grant_int(jwt, "iss", (long)app_id)) {
		err_set(e, ERR_NOMEM, "App JWT: cannot add the claims");
		goto out;
	}
	/* libjwt checks the key only when it signs, below */
	if (jwt_set_alg(jwt, JWT_ALG_RS256, (const unsigned char *)key,
			(int)keylen) != 0) {
		err_set(e, ERR_INVAL, "App JWT: cannot use the private key");
		goto out;
	}
	errno = 0;
	s = jwt_encode_str(jwt);
	if (!s) {
		err_set(e, ERR_INVAL,
			"App JWT: cannot sign with the private key (not an RSA "
			"key in PEM?)");
		goto out;
	}
	if (buf_adds(out, s) < 0) {
		err_set(e, ERR_TOOBIG, "App JWT: larger than %zu bytes",
			out->cap);
		goto out;
	}
	rc = 0;
out:
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s); /* libjwt 1.10 has no jwt_free_str() */
	}
	jwt_free(jwt); /* wipes its copy of the key */
	return rc;
}
