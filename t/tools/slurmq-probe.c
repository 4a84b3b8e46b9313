/* slurmq-probe.c - a small command line over lib/slurmq, for the tests.
 *
 *   slurmq-probe poll SQUEUE               slurmq_poll()
 *   slurmq-probe acct SACCT ID...          slurmq_accounting()
 *   slurmq-probe release SCONTROL ID...    slurmq_release()
 *
 * poll and acct print one line a job:
 *     job ID STATE TERMINAL HELD REASON EXIT SIGNAL START END
 * (REASON "-" when empty; TERMINAL and HELD 0 or 1; EXIT, SIGNAL -1 when
 * unknown; START, END epoch seconds, 0 unknown); release prints
 * "failed ID" for each id scontrol could not release.  Then
 * "calls N ms MS": Slurm commands run and the milliseconds they took.
 * Errors: "slurmq-probe: MESSAGE" on stderr and exit 1; a wrong command
 * line exits 2.  An ID argument is passed on as it is parsed (strtoll), so
 * 0 and negative ids reach the library's checks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "slurm.h"
#include "slurmq.h"

#define PROG "slurmq-probe"
#define IDS_MAX 64

static void usage(void)
{
	fprintf(stderr, "usage: " PROG " poll SQUEUE\n"
			"       " PROG " acct SACCT ID...\n"
			"       " PROG " release SCONTROL ID...\n");
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* argv[0..n) as ids; -1 when one is not a number. */
static int ids_of(char **argv, int n, long long *ids)
{
	for (int i = 0; i < n; i++) {
		char *end;

		errno = 0;
		ids[i] = strtoll(argv[i], &end, 10);
		if (errno || end == argv[i] || *end)
			return -1;
	}
	return 0;
}

static void print_jobs(const struct slurmq_job *jobs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct slurmq_job *j = &jobs[i];

		printf("job %lld %s %d %d %s %d %d %lld %lld\n", j->id,
		       slurmq_state_name(j->state),
		       slurmq_state_terminal(j->state), j->held,
		       *j->reason ? j->reason : "-", j->exit_code,
		       j->exit_signal, j->start, j->end);
	}
}

int main(int argc, char **argv)
{
	struct slurmq_job *jobs = NULL;
	struct err e = ERR_INIT;
	long long ids[IDS_MAX], failed[IDS_MAX], t0;
	size_t n = 0, nfailed = 0;
	int nids = argc - 3, rc = 0;

	if (argc < 3 || nids > IDS_MAX || ids_of(argv + 3, nids, ids) < 0 ||
	    (strcmp(argv[1], "poll") == 0 ? argc != 3
	     : strcmp(argv[1], "acct") != 0 &&
	       strcmp(argv[1], "release") != 0)) {
		usage();
		return 2;
	}
	t0 = now_ms();
	if (strcmp(argv[1], "poll") == 0)
		rc = slurmq_poll(argv[2], &jobs, &n, &e);
	else if (strcmp(argv[1], "acct") == 0)
		rc = slurmq_accounting(argv[2], ids, (size_t)nids, &jobs, &n,
				       &e);
	else
		rc = slurmq_release(argv[2], ids, (size_t)nids, failed,
				    &nfailed, &e);
	t0 = now_ms() - t0;
	print_jobs(jobs, n);
	for (size_t i = 0; i < nfailed; i++)
		printf("failed %lld\n", failed[i]);
	printf("calls %u ms %lld\n", slurm_calls(), t0);
	free(jobs);
	if (rc < 0)
		fprintf(stderr, PROG ": %s\n", e.msg);
	if (fflush(stdout) != 0)
		return 1;
	return rc < 0 ? 1 : 0;
}
