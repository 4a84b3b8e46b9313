/* fuzz_jobrec - job-submission records: jobrec_parse() (lib/core/jobrec.h), as
 * the manager reads <job_ids_dir>/submitted/<ID>.
 *
 * Input: the record, as is (not NUL-terminated: the parser takes a
 * length).  Invariant: a record that parses renders (jobrec_render()), and
 * the text rendered parses back to the same struct and renders to the
 * same text.
 */
#include "fuzz.h"

#include "buf.h"
#include "err.h"
#include "jobrec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct jobrec r1, r2; /* 6 KiB each */
	struct buf t1 = BUF_INIT(BUF_CAP_LINE), t2 = BUF_INIT(BUF_CAP_LINE);
	struct err e = ERR_INIT;

	if (jobrec_parse((const char *)data, size, &r1, &e) < 0) {
		if (e.code == ERR_NONE)
			fuzz_fail("jobrec_parse: -1 without an error");
		return 0;
	}
	if (jobrec_render(&r1, &t1, &e) < 0) {
		fprintf(stderr, "%s\n", e.msg);
		fuzz_fail("jobrec_render refuses a parsed record");
	}
	if (jobrec_parse(t1.s, t1.len, &r2, &e) < 0) {
		fprintf(stderr, "%s\n%s", e.msg, t1.s);
		fuzz_fail("jobrec_parse refuses a rendered record");
	}
	if (memcmp(&r1, &r2, sizeof(r1)) != 0)
		fuzz_fail("a record does not parse back to the same struct");
	if (jobrec_render(&r2, &t2, &e) < 0 || t1.len != t2.len ||
	    memcmp(t1.s, t2.s, t1.len) != 0)
		fuzz_fail("a record does not render to the same text twice");
	buf_release(&t1);
	buf_release(&t2);
	return 0;
}
