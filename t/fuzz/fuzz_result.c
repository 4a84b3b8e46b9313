/* fuzz_result - a job's output judged and cut for the PR: result_analyse()
 * and result_excerpt() (lib/core/result.h), as result_read() calls them on the
 * last MiB of slurm-<ID>.out when the job left no result file.
 *
 * Input: the output, as is (any bytes, NULs included: both take a
 * length).  Checked: the verdict is one of the three, the reason and the
 * excerpt stay within their bounds, the excerpt holds no control byte
 * but '\n' and '\t'.
 */
#include "fuzz.h"

#include "buf.h"
#include "result.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf why = BUF_INIT(4096), ex = BUF_INIT(RESULT_EXCERPT_MAX + 64);
	enum result_status st = result_analyse((const char *)data, size, &why);
	size_t i;

	if (st != RESULT_SUCCESS && st != RESULT_FAILURE && st != RESULT_UNKNOWN)
		fuzz_fail("result_analyse: no such status");
	if (why.len > RESULT_WHY_MAX + 64)
		fuzz_fail("result_analyse: reason over its bound");
	if (result_excerpt((const char *)data, size, &ex) < 0)
		fuzz_fail("result_excerpt: -1 with room enough");
	if (ex.len > RESULT_EXCERPT_MAX)
		fuzz_fail("result_excerpt: excerpt over RESULT_EXCERPT_MAX");
	for (i = 0; i < ex.len; i++)
		if ((unsigned char)ex.s[i] < 0x20 && ex.s[i] != '\n' && ex.s[i] != '\t')
			fuzz_fail("result_excerpt: a control byte in the excerpt");
	buf_release(&why);
	buf_release(&ex);
	return 0;
}
