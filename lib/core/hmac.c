/* hmac.c - X-Hub-Signature-256: HMAC-SHA256 of the body, compared in
 * constant time (pure).
 * Layer: core (README, "Map of the code"). */
#include "hmac.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <string.h>

int hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
		unsigned char out[HMAC_SHA256_LEN])
{
	return gnutls_hmac_fast(GNUTLS_MAC_SHA256, key, keylen, data, len,
				out) == 0 ? 0 : -1;
}

int hmac_equal(const unsigned char *a, const unsigned char *b, size_t n)
{
	volatile unsigned char diff = 0;
	size_t i;

	for (i = 0; i < n; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes exactly 2*n hex digits; -1 on any non-hex digit. */
static int unhex(const char *s, unsigned char *out, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

int hmac_verify_github(const char *header, const void *key, size_t keylen,
		       const void *body, size_t len)
{
	static const char prefix[] = "sha256=";
	unsigned char want[HMAC_SHA256_LEN], got[HMAC_SHA256_LEN];
	int rc = -1;

	if (!header || strncmp(header, prefix, sizeof(prefix) - 1) != 0)
		return -1;
	header += sizeof(prefix) - 1;
	if (strlen(header) != 2 * HMAC_SHA256_LEN ||
	    unhex(header, got, sizeof(got)) < 0)
		return -1;
	if (hmac_sha256(key, keylen, body, len, want) == 0 &&
	    hmac_equal(want, got, sizeof(want)))
		rc = 0;
	gnutls_memset(want, 0, sizeof(want));
	gnutls_memset(got, 0, sizeof(got));
	return rc;
}

int hmac_sign_github(const void *key, size_t keylen, const void *body,
		     size_t len, char out[HMAC_GITHUB_SIG_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char mac[HMAC_SHA256_LEN];
	size_t i;

	if (hmac_sha256(key, keylen, body, len, mac) < 0)
		return -1;
	memcpy(out, "sha256=", 7);
	for (i = 0; i < HMAC_SHA256_LEN; i++) {
		out[7 + 2 * i] = hex[mac[i] >> 4];
		out[8 + 2 * i] = hex[mac[i] & 15];
	}
	out[HMAC_GITHUB_SIG_LEN] = '\0';
	gnutls_memset(mac, 0, sizeof(mac));
	return 0;
}
