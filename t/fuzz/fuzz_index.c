/* fuzz_index - the manager's index cache job_ids_dir/manager.index:
 * mindex_normalise() (lib/state/mindex.h), the parser and writer an
 * iteration uses.
 *
 * Input: the file, as is (the parser takes a length).  Invariants: a
 * refusal leaves nothing; text that parses is written back as an index
 * that parses to as many entries and is written back byte for byte the
 * same (the writer's output is a fixed point).
 */
#include "fuzz.h"

#include "buf.h"
#include "mindex.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf t1 = BUF_INIT((size_t)1 << 20), t2 = BUF_INIT((size_t)1 << 20);
	size_t n1 = 0, n2 = 0;
	int rc = mindex_normalise((const char *)data, size, &t1, &n1);

	if (rc == -1) {
		if (t1.len || n1)
			fuzz_fail("a refused index left text or entries");
	} else if (rc == 0) {
		if (mindex_normalise(t1.s, t1.len, &t2, &n2) != 0)
			fuzz_fail("the index written back does not parse");
		if (n2 != n1)
			fuzz_fail("the index written back has other entries");
		if (t1.len != t2.len || memcmp(t1.s, t2.s, t1.len) != 0)
			fuzz_fail("the index written back is not a fixed point");
	}
	buf_release(&t1);
	buf_release(&t2);
	return 0;
}
