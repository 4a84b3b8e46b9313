/* fuzz_cdoc - status comment documents: cdoc_parse() (lib/state/cdoc.h), as the
 * manager reads <job_ids_dir>/comments/<ID>.json from a shared filesystem.
 *
 * Input: the document, as is (not NUL-terminated: the parser takes a
 * length).  Invariants: a document that parses renders to JSON
 * (cdoc_to_json()) that parses back to a document rendering to the same
 * JSON; its comment body (cdoc_body()) is made and stays under
 * CDOC_BODY_MAX; its first line is the status marker.
 */
#include "fuzz.h"

#include "buf.h"
#include "cdoc.h"
#include "err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cdoc d1, d2;
	struct buf j1 = BUF_INIT(CDOC_MAX_BYTES), j2 = BUF_INIT(CDOC_MAX_BYTES);
	struct buf body = BUF_INIT(64 * 1024);
	struct err e = ERR_INIT;

	if (cdoc_parse((const char *)data, size, &d1, &e) < 0) {
		if (e.code == ERR_NONE)
			fuzz_fail("cdoc_parse: -1 without an error");
		return 0;
	}
	if (cdoc_to_json(&d1, &j1, &e) < 0) {
		fprintf(stderr, "%s\n", e.msg);
		fuzz_fail("cdoc_to_json refuses a parsed document");
	}
	if (cdoc_parse(j1.s, j1.len, &d2, &e) < 0) {
		fprintf(stderr, "%s\n%s", e.msg, j1.s);
		fuzz_fail("cdoc_parse refuses a rendered document");
	}
	if (cdoc_to_json(&d2, &j2, &e) < 0 || j1.len != j2.len ||
	    memcmp(j1.s, j2.s, j1.len) != 0)
		fuzz_fail("a document does not render to the same JSON twice");
	if (cdoc_body(&d1, &body) < 0)
		fuzz_fail("cdoc_body fails on a parsed document");
	if (body.len > CDOC_BODY_MAX)
		fuzz_fail("a comment body passes CDOC_BODY_MAX");
	if (strncmp(body.s, "<!-- eessi-bot status ", 22) != 0)
		fuzz_fail("a comment body does not start with the marker");
	cdoc_release(&d1);
	cdoc_release(&d2);
	buf_release(&j1);
	buf_release(&j2);
	buf_release(&body);
	return 0;
}
