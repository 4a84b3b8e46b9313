/* manager_args.c - the manager's pure parsers of what it is given: -j's
 * list of job ids, and the VmHWM line of /proc/self/status its figures
 * line reports.  No I/O: unit-tested alone (t/unit/flows/test_manager.c)
 * and fuzzed (fuzz_ids).
 * Layer: flows (README, "Map of the code"). */
#include "manager.h"

#include <stdlib.h>
#include <string.h>

#include "names.h"

/* ---- -j ------------------------------------------------------------- */

int manager_parse_ids(const char *s, long long **ids, size_t *n,
		      struct err *e)
{
	long long *v = NULL;
	size_t cnt = 0, cap = 0;
	const char *p = s;

	*ids = NULL;
	*n = 0;
	if (!s || !*s)
		return err_set(e, ERR_INVAL, "no job id given");
	for (;;) {
		const char *start, *end, *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		start = p;
		end = p + len;
		while (start < end && (*start == ' ' || *start == '\t'))
			start++;
		while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (cnt == SLURMQ_IDS_MAX) {
			free(v);
			return err_set(e, ERR_INVAL, "more than %d job ids",
				       SLURMQ_IDS_MAX);
		}
		if (cnt == cap) {
			long long *nv;

			cap = cap ? cap * 2 : 16;
			if (!(nv = realloc(v, cap * sizeof(*v)))) {
				free(v);
				return err_set(e, ERR_NOMEM, "job ids");
			}
			v = nv;
		}
		if (names_jobid(start, (size_t)(end - start), &v[cnt]) < 0) {
			free(v);
			return err_set(e, ERR_INVAL, "'%.*s' is not a job id "
				       "(1-4294967295)", (int)(len > 40 ? 40 : len),
				       p);
		}
		cnt++;
		if (!comma)
			break;
		p = comma + 1;
	}
	*ids = v;
	*n = cnt;
	return 0;
}

long long manager_parse_vmhwm(const char *s, size_t len)
{
	const char *p = s, *end = s + len;
	long long kb = 0;
	int digits = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;

		if (eol - p > 6 && memcmp(p, "VmHWM:", 6) == 0) {
			for (p += 6; p < eol && (*p == ' ' || *p == '\t'); p++)
				;
			for (; p < eol && *p >= '0' && *p <= '9' && digits < 15;
			     p++, digits++)
				kb = kb * 10 + (*p - '0');
			return digits && p < eol && *p == ' ' ? kb : -1;
		}
		p = nl ? nl + 1 : end;
	}
	return -1;
}

