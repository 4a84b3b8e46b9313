/* fuzz_ids - the manager's -j argument: manager_parse_ids() (lib/flows/manager.h),
 * as eessi-bot-manager calls it on its command line.
 *
 * Input: the argument (cut at its first NUL, as argv would be).
 * Invariants: success gives 1..SLURMQ_IDS_MAX ids, each in 1..4294967295;
 * failure gives no ids and an ERR_INVAL message; the ids printed back
 * comma-separated parse to the same list.
 */
#include "fuzz.h"

#include "buf.h"
#include "err.h"
#include "manager.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_strndup(data, size);
	long long *ids = NULL, *again = NULL;
	size_t n = 0, m = 0;
	struct err e = ERR_INIT;
	struct buf t = BUF_INIT(BUF_CAP_LINE * 64);

	if (manager_parse_ids(s, &ids, &n, &e) < 0) {
		if (ids || n || e.code != ERR_INVAL || !e.msg[0])
			fuzz_fail("a refusal leaves ids, or says nothing");
		free(s);
		return 0;
	}
	if (!ids || n < 1 || n > SLURMQ_IDS_MAX)
		fuzz_fail("success without 1..SLURMQ_IDS_MAX ids");
	for (size_t i = 0; i < n; i++) {
		if (ids[i] < 1 || ids[i] > 4294967295LL)
			fuzz_fail("an id out of range");
		if (buf_addf(&t, "%s%lld", i ? "," : "", ids[i]) < 0)
			fuzz_fail("the ids do not fit in a line buffer");
	}
	if (manager_parse_ids(t.s, &again, &m, &e) < 0 || m != n ||
	    memcmp(ids, again, n * sizeof(*ids)) != 0)
		fuzz_fail("the ids printed back do not parse to the same list");
	free(again);
	free(ids);
	free(s);
	buf_release(&t);
	return 0;
}
