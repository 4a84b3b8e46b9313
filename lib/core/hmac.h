/* hmac.h - GitHub webhook signatures (HMAC-SHA256, GnuTLS). */
#ifndef EESSI_HMAC_H
#define EESSI_HMAC_H

#include <stddef.h>

#define HMAC_SHA256_LEN 32

/* out receives the 32-byte MAC of data under key.  0 or -1. */
int hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
		unsigned char out[HMAC_SHA256_LEN]);

/* Checks an X-Hub-Signature-256 value ("sha256=" + 64 hex digits, either
 * case) against the MAC of body under key.  The comparison takes the same
 * time wherever the first difference is.  Returns 0 when it matches, -1
 * when it does not or the header is malformed (NULL, wrong prefix or
 * length, non-hex). */
int hmac_verify_github(const char *header, const void *key, size_t keylen,
		       const void *body, size_t len);

#define HMAC_GITHUB_SIG_LEN 71 /* "sha256=" + 64 hex digits */

/* Writes the X-Hub-Signature-256 value of body under key into out
 * (NUL-terminated).  0 or -1. */
int hmac_sign_github(const void *key, size_t keylen, const void *body,
		     size_t len, char out[HMAC_GITHUB_SIG_LEN + 1]);

/* Constant-time equality of two n-byte areas: 1 equal, 0 not. */
int hmac_equal(const unsigned char *a, const unsigned char *b, size_t n);

#endif
