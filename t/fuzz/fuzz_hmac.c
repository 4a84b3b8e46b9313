/* fuzz_hmac - the X-Hub-Signature-256 header: hmac_verify_github()
 * (lib/core/hmac.h), as lib/flows/webhook.c calls it, under a fixed test secret.
 *
 * Input: the header value, a NUL byte, then the body it signs (the rest;
 * without a NUL byte the whole input is the header and the body empty).
 * A header must not verify unless it is the body's signature; and the
 * signature hmac_sign_github() makes for the body must verify (both
 * checked).
 */
#include "fuzz.h"

#include <strings.h>

#include "hmac.h"

#define SECRET "fuzz-test-secret"
#define SECRET_LEN (sizeof(SECRET) - 1)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *header = fuzz_field(&data, &size);
	char sig[HMAC_GITHUB_SIG_LEN + 1];
	int rc;

	rc = hmac_verify_github(header, SECRET, SECRET_LEN, data, size);
	if (hmac_sign_github(SECRET, SECRET_LEN, data, size, sig) < 0)
		fuzz_fail("hmac_sign_github failed");
	if (hmac_verify_github(sig, SECRET, SECRET_LEN, data, size) != 0)
		fuzz_fail("hmac_verify_github refuses its own signature");
	/* a match must be the same MAC, written in either case */
	if (rc == 0 && strncasecmp(header, sig, sizeof(sig)) != 0)
		fuzz_fail("hmac_verify_github accepted a wrong signature");
	free(header);
	return 0;
}
