/* slurm-probe.c - a small command line over lib/slurm, for the tests.
 *
 *   slurm-probe submit APP.CFG JOBDIR TARGET_ARCH DELIVERY [PR]
 *       submits the build job of the one target arch:TARGET_ARCH matches
 *       (PR default 1), from JOBDIR; prints "argv ARG" per argument, then
 *       "comment COMMENT" and "job ID"
 *   slurm-probe find POLL_COMMAND COMMENT
 *       prints "job ID" (0: no job of ours has that comment)
 *
 * Then "calls N ms MS": Slurm commands run and the milliseconds they took.
 * Errors: "slurm-probe: MESSAGE" on stderr and exit 1; a wrong command line
 * exits 2.  $HOME and $USER expand paths in APP.CFG as for the bot.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "conf.h"
#include "err.h"
#include "slurm.h"
#include "target.h"

#define PROG "slurm-probe"

static void usage(void)
{
	fprintf(stderr,
		"usage: " PROG " submit APP.CFG JOBDIR TARGET_ARCH DELIVERY [PR]\n"
		"       " PROG " find POLL_COMMAND COMMENT\n");
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A decimal number in 1..LLONG_MAX; -1 otherwise. */
static long long number(const char *s)
{
	char *end;
	long long v;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v <= 0)
		return -1;
	return v;
}

static int fail(const char *msg)
{
	fprintf(stderr, PROG ": %s\n", msg);
	return 1;
}

/* The one target arch:ARCH selects. */
static int one_target(const struct conf *c, const char *arch,
		      struct target *t)
{
	struct buf args = BUF_INIT(BUF_CAP_LINE);
	struct filters f;
	static struct target all[TARGET_MAX];
	char why[512];
	size_t n = 0;
	int rc = -1;

	if (buf_addf(&args, "arch:%s", arch) < 0)
		return fail("target too long");
	if (filter_parse(args.s, &f, why, sizeof(why)) < 0)
		fail(why);
	else if (target_match(c, &f, all, TARGET_MAX, &n) != 0 || n != 1)
		fprintf(stderr, PROG ": arch:%s matches %zu targets, not one\n",
			arch, n);
	else {
		*t = all[0];
		rc = 0;
	}
	buf_release(&args);
	return rc;
}

static int submit(int argc, char **argv)
{
	struct buf report = BUF_INIT(BUF_CAP_DEFAULT);
	struct conf_env env;
	struct conf *c = NULL;
	struct target t;
	struct slurm_argv a;
	struct err e = ERR_INIT;
	char comment[768];
	long long pr = argc > 6 ? number(argv[6]) : 1, id = 0, t0;
	int rc = 1;

	if (pr < 0) {
		usage();
		return 2;
	}
	conf_env_from_process(&env);
	if (conf_load(argv[2], &env, &c, &report) < 0) {
		fprintf(stderr, "%s", report.s);
		buf_release(&report);
		return fail("configuration refused");
	}
	if (one_target(c, argv[4], &t) < 0)
		goto out;
	if (slurm_job_comment(c->github.app_name, argv[5], &t, comment,
			      sizeof(comment)) < 0) {
		fail("no job comment for that delivery");
		goto out;
	}
	if (slurm_sbatch_argv(c, &t, pr, comment, &a, &e) < 0) {
		fail(e.msg);
		goto out;
	}
	for (size_t i = 0; i < a.n; i++)
		printf("argv %s\n", a.v[i]);
	printf("comment %s\n", comment);
	t0 = now_ms();
	if (slurm_submit(&a, argv[3], &id, &e) < 0)
		fail(e.msg);
	else {
		printf("job %lld\n", id);
		rc = 0;
	}
	printf("calls %u ms %lld\n", slurm_calls(), now_ms() - t0);
out:
	conf_free(c);
	buf_release(&report);
	return rc;
}

static int find(char **argv)
{
	struct err e = ERR_INIT;
	long long id = 0, t0 = now_ms();
	int rc = 0;

	if (slurm_find(argv[2], argv[3], &id, &e) < 0)
		rc = fail(e.msg);
	else
		printf("job %lld\n", id);
	printf("calls %u ms %lld\n", slurm_calls(), now_ms() - t0);
	return rc;
}

int main(int argc, char **argv)
{
	int rc;

	if (argc >= 6 && argc <= 7 && strcmp(argv[1], "submit") == 0)
		rc = submit(argc, argv);
	else if (argc == 4 && strcmp(argv[1], "find") == 0)
		rc = find(argv);
	else {
		usage();
		return 2;
	}
	if (fflush(stdout) != 0)
		return 1;
	return rc;
}
