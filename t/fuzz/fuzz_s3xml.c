/* fuzz_s3xml - the readers of S3's XML answers (lib/adapters/s3.h): s3_xml_text()
 * of the elements lib/s3 looks up (Code, Message, UploadId, ETag, Key) and
 * s3_xml_uploads() of a ListMultipartUploads answer, as lib/adapters/s3.c calls them
 * on what a server (or anything answering in its place) sent.
 *
 * Input: the answer, as is (not NUL-terminated: the readers take a length;
 * the copy is exactly that long, so ASan sees any read past it).
 * Invariants: s3_xml_text returns -1, 0 or 1; 1 gives a NUL-terminated
 * string shorter than the buffer, without NUL bytes, the same on a second
 * call and the same with a larger buffer; 0 and -1 leave "".  The number
 * s3_xml_uploads returns is the number of calls made (or -1), every key
 * and id a string within their limits; a callback stopping at the first
 * upload is called once.
 */
#include "fuzz.h"

#include "s3.h"

static const char *const names[] = { "Code", "Message", "UploadId", "ETag",
				     "Key", "Error", "Upload" };
#define NNAMES (sizeof(names) / sizeof(names[0]))
#define SMALL 16

struct count {
	int calls, stop_at;
};

static int on_upload(const char *key, const char *id, void *arg)
{
	struct count *c = arg;

	if (strlen(key) > S3_KEY_MAX || strlen(id) > 1024)
		fuzz_fail("s3_xml_uploads: key or id past its limit");
	c->calls++;
	return c->calls == c->stop_at;
}

static void check_text(const char *xml, size_t n, const char *name)
{
	char big[4096], again[4096], small[SMALL];
	int r, r2, rs;

	memset(big, 'x', sizeof(big));
	r = s3_xml_text(xml, n, name, big, sizeof(big));
	if (r < -1 || r > 1)
		fuzz_fail("s3_xml_text: not -1, 0 or 1");
	if (!memchr(big, '\0', sizeof(big)))
		fuzz_fail("s3_xml_text: out not NUL-terminated");
	if (r != 1 && big[0] != '\0')
		fuzz_fail("s3_xml_text: text left on 0 or -1");
	r2 = s3_xml_text(xml, n, name, again, sizeof(again));
	if (r2 != r || strcmp(big, again) != 0)
		fuzz_fail("s3_xml_text: not deterministic");
	rs = s3_xml_text(xml, n, name, small, sizeof(small));
	if (rs == 1 && (r != 1 || strcmp(small, big) != 0))
		fuzz_fail("s3_xml_text: small buffer found another text");
	if (r == 1 && strlen(big) < SMALL && rs != 1)
		fuzz_fail("s3_xml_text: a short text not found in a small buffer");
	if (r == 0 && rs != 0)
		fuzz_fail("s3_xml_text: found only in a small buffer");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *xml = malloc(size ? size : 1);
	struct count all = { 0, 0 }, first = { 0, 1 };
	size_t i;
	int n, n1;

	if (!xml)
		abort();
	if (size)
		memcpy(xml, data, size);
	for (i = 0; i < NNAMES; i++)
		check_text(xml, size, names[i]);
	n = s3_xml_uploads(xml, size, on_upload, &all);
	if (n < -1 || (n >= 0 && n != all.calls))
		fuzz_fail("s3_xml_uploads: count is not the calls made");
	n1 = s3_xml_uploads(xml, size, on_upload, &first);
	if (n > 0 && (n1 != 1 || first.calls != 1))
		fuzz_fail("s3_xml_uploads: a stopping callback not obeyed");
	if (n == 0 && n1 != 0)
		fuzz_fail("s3_xml_uploads: not deterministic");
	if (s3_xml_uploads(xml, size, NULL, NULL) != n && n >= 0)
		fuzz_fail("s3_xml_uploads: another count without a callback");
	free(xml);
	return 0;
}
