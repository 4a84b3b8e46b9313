/* fuzz_slurmq - the job manager's view of Slurm: slurmq_parse_squeue()
 * and slurmq_parse_sacct() (lib/adapters/slurmq.h), both on every input, as
 * slurmq_poll() and slurmq_accounting() call them on the commands' stdout.
 *
 * Input: the output, as is (not NUL-terminated: the parsers take a
 * length).
 */
#include "fuzz.h"

#include "err.h"
#include "slurmq.h"

static void check(const char *what, int rc, struct slurmq_job *jobs,
		  size_t n, const struct err *e)
{
	size_t i;

	if (rc < 0) {
		if (jobs || e->code == ERR_NONE)
			fuzz_fail(what);
		return;
	}
	if ((n == 0) != (jobs == NULL))
		fuzz_fail(what);
	for (i = 0; i < n; i++) {
		const struct slurmq_job *j = &jobs[i];

		if (j->id < 1 || j->id > 4294967295LL ||
		    (unsigned)j->state > SQ_OTHER ||
		    !memchr(j->reason, '\0', sizeof(j->reason)))
			fuzz_fail(what);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct slurmq_job *jobs = NULL;
	struct err e = ERR_INIT;
	size_t n = 0, skipped = 0;
	int rc;

	rc = slurmq_parse_squeue(s, size, &jobs, &n, &skipped, &e);
	check("slurmq_parse_squeue", rc, jobs, n, &e);
	free(jobs);

	jobs = NULL;
	n = 0;
	err_clear(&e);
	rc = slurmq_parse_sacct(s, size, &jobs, &n, NULL, &e);
	check("slurmq_parse_sacct", rc, jobs, n, &e);
	free(jobs);
	return 0;
}
