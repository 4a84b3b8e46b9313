/* test_slurmq.c - the job-state table; the squeue and sacct parsers on
 * output captured from the real Slurm 22.05 (t/data/slurm/squeue-all.txt,
 * sacct-all.txt, made by t/tools/capture-slurm.sh; jobs.txt says which id
 * is which) and on malformed input; the runners against stand-in
 * commands: argv, one call each, ids checked before anything runs, the
 * failed ids of scontrol release.  t/e2e/49-slurm-query.sh runs them
 * against the real Slurm. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "slurm.h"
#include "slurmq.h"
#include "unit.h"
#include "xio.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Reads a test file into b (cleared first): the project's bounded reader. */
static void read_file(const char *path, struct buf *b)
{
	struct err e = ERR_INIT;

	ck_assert_msg(xio_read_file(path, b, 0, &e) == 0, "%s", e.msg);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
}

/* The captures were made on a host in UTC: the tests read them in UTC
 * (and restore the caller's TZ, as CK_FORK=no runs every suite in one
 * process). */
static char *saved_tz;

static void set_tz(const char *tz)
{
	const char *old = getenv("TZ");

	if (!saved_tz)
		saved_tz = strdup(old ? old : "");
	ck_assert_int_eq(setenv("TZ", tz, 1), 0);
	tzset();
}

static void restore_tz(void)
{
	if (!saved_tz)
		return;
	if (*saved_tz)
		setenv("TZ", saved_tz, 1);
	else
		unsetenv("TZ");
	tzset();
	free(saved_tz);
	saved_tz = NULL;
}

static const struct slurmq_job *find(const struct slurmq_job *jobs, size_t n,
				     long long id)
{
	for (size_t i = 0; i < n; i++)
		if (jobs[i].id == id)
			return &jobs[i];
	ck_abort_msg("job %lld not parsed", id);
	return NULL;
}

/* --- the state table ----------------------------------------------------- */

START_TEST(state_table)
{
	static const char *const terminal[] = {
		"COMPLETED", "FAILED", "TIMEOUT", "CANCELLED", "OUT_OF_MEMORY",
		"NODE_FAIL", "PREEMPTED", "BOOT_FAIL", "DEADLINE", "REVOKED",
	};
	size_t nterm = 0;

	for (int st = 0; st < SQ_OTHER; st++) {
		const char *name = slurmq_state_name(st);

		ck_assert_int_eq(slurmq_state_from_name(name, strlen(name)), st);
		nterm += (size_t)slurmq_state_terminal(st);
	}
	ck_assert_uint_eq(nterm, NELEM(terminal));
	for (size_t i = 0; i < NELEM(terminal); i++)
		ck_assert_int_eq(slurmq_state_terminal(slurmq_state_from_name(
			terminal[i], strlen(terminal[i]))), 1);
	ck_assert_str_eq(slurmq_state_name(SQ_PENDING), "PENDING");
	ck_assert_str_eq(slurmq_state_name(SQ_OUT_OF_MEMORY), "OUT_OF_MEMORY");
	ck_assert_str_eq(slurmq_state_name(SQ_OTHER), "OTHER");
	ck_assert_str_eq(slurmq_state_name((enum slurmq_state)999), "OTHER");
	ck_assert_str_eq(slurmq_state_name((enum slurmq_state)-1), "OTHER");
	ck_assert_int_eq(slurmq_state_terminal((enum slurmq_state)999), 0);
	ck_assert_int_eq(slurmq_state_terminal(SQ_OTHER), 0);
	ck_assert_int_eq(slurmq_state_terminal(SQ_REQUEUED), 0);
	ck_assert_int_eq(slurmq_state_terminal(SQ_SUSPENDED), 0);
	ck_assert_int_eq(slurmq_state_terminal(SQ_COMPLETING), 0);
	/* sacct names the canceller; only the first word counts */
	ck_assert_int_eq(slurmq_state_from_name("CANCELLED by 0", 14),
			 SQ_CANCELLED);
	ck_assert_int_eq(slurmq_state_from_name("CANCELLED by 1000", 9),
			 SQ_CANCELLED);
	ck_assert_int_eq(slurmq_state_from_name("", 0), SQ_OTHER);
	ck_assert_int_eq(slurmq_state_from_name("pending", 7), SQ_OTHER);
	ck_assert_int_eq(slurmq_state_from_name("PENDINGX", 8), SQ_OTHER);
	ck_assert_int_eq(slurmq_state_from_name("PENDING", 6), SQ_OTHER);
	ck_assert_int_eq(slurmq_state_from_name("OTHER", 5), SQ_OTHER);
	ck_assert_int_eq(slurmq_state_from_name(" RUNNING", 8), SQ_OTHER);
	ck_assert_int_eq(slurmq_state_from_name("RUNNING\0X", 9), SQ_OTHER);
}
END_TEST

/* --- captured output ---------------------------------------------------- */

struct want {
	long long id;
	enum slurmq_state st;
	const char *reason; /* squeue */
	int held;
	int code, sig;      /* sacct */
	int started, ended; /* start / end > 0 */
};

START_TEST(parse_captured_squeue)
{
	/* --me -h -t all -o '%i|%T|%r|%S|%e'; estimates for jobs not ended */
	static const struct want w[] = {
		{ 1000, SQ_NODE_FAIL, "NodeDown", 0, -1, -1, 1, 1 },
		{ 1001, SQ_COMPLETED, "None", 0, -1, -1, 1, 1 },
		{ 1002, SQ_FAILED, "NonZeroExitCode", 0, -1, -1, 1, 1 },
		{ 1003, SQ_FAILED, "JobLaunchFailure", 0, -1, -1, 1, 1 },
		{ 1006, SQ_CANCELLED, "None", 0, -1, -1, 1, 1 },
		/* cancelled while held: the reason stays, it waits no more */
		{ 1007, SQ_CANCELLED, "JobHeldUser", 0, -1, -1, 1, 1 },
		{ 1008, SQ_PENDING, "job requeued in held state", 1, -1, -1, 0, 0 },
		{ 1009, SQ_PENDING, "JobHeldUser", 1, -1, -1, 0, 0 },
		{ 1010, SQ_SUSPENDED, "None", 0, -1, -1, 1, 1 },
		{ 1011, SQ_TIMEOUT, "TimeLimit", 0, -1, -1, 1, 1 },
		{ 1012, SQ_RUNNING, "None", 0, -1, -1, 1, 0 },
		{ 1013, SQ_PENDING, "JobHeldUser", 1, -1, -1, 0, 0 },
		{ 1014, SQ_PENDING, "JobHeldUser", 1, -1, -1, 0, 0 },
		{ 1015, SQ_PENDING, "JobHeldAdmin", 1, -1, -1, 0, 0 },
		{ 1016, SQ_PENDING, "BeginTime", 0, -1, -1, 1, 0 },
		{ 1017, SQ_PENDING, "Dependency", 0, -1, -1, 0, 0 },
		{ 1018, SQ_PENDING, "Resources", 0, -1, -1, 1, 0 },
	};
	struct buf b = BUF_INIT(BUF_CAP_DEFAULT);
	struct slurmq_job *jobs = NULL;
	struct err e = ERR_INIT;
	size_t n = 0, skipped = 0;
	const struct slurmq_job *j;

	set_tz("UTC");
	read_file("data/slurm/squeue-all.txt", &b);
	ck_assert_msg(slurmq_parse_squeue(b.s, b.len, &jobs, &n, &skipped,
					  &e) == 0, "%s", e.msg);
	/* 1004_1, 1004_2 (array tasks), 1019_[1-3] (a held array) */
	ck_assert_uint_eq(skipped, 3);
	ck_assert_uint_eq(n, NELEM(w));
	for (size_t i = 0; i < NELEM(w); i++) {
		j = find(jobs, n, w[i].id);
		ck_assert_msg(j->state == w[i].st, "job %lld: %s", w[i].id,
			      slurmq_state_name(j->state));
		ck_assert_str_eq(j->reason, w[i].reason);
		ck_assert_int_eq(j->held, w[i].held);
		ck_assert_int_eq(j->exit_code, -1);
		ck_assert_int_eq(j->exit_signal, -1);
		ck_assert_msg((j->start > 0) == w[i].started, "job %lld start",
			      w[i].id);
		ck_assert_msg((j->end > 0) == w[i].ended, "job %lld end",
			      w[i].id);
	}
	/* 1011|TIMEOUT|TimeLimit|2026-11-24T04:53:07|2026-11-24T04:54:31 */
	j = find(jobs, n, 1011);
	ck_assert_int_eq(j->start, 1795495987LL);
	ck_assert_int_eq(j->end - j->start, 84);
	free(jobs);
	buf_release(&b);
	restore_tz();
}
END_TEST

START_TEST(parse_captured_sacct)
{
	static const struct want w[] = {
		{ 1000, SQ_NODE_FAIL, "", 0, 0, 0, 1, 1 },
		{ 1001, SQ_COMPLETED, "", 0, 0, 0, 1, 1 },
		{ 1002, SQ_FAILED, "", 0, 3, 0, 1, 1 },
		{ 1003, SQ_FAILED, "", 0, 0, 9, 1, 1 },
		{ 1006, SQ_CANCELLED, "", 0, 0, 0, 1, 1 }, /* "CANCELLED by 0" */
		{ 1007, SQ_CANCELLED, "", 0, 0, 0, 1, 1 },
		{ 1008, SQ_PENDING, "", 0, 0, 0, 0, 0 },
		{ 1009, SQ_PENDING, "", 0, 0, 0, 0, 0 },
		{ 1010, SQ_SUSPENDED, "", 0, 0, 0, 1, 0 },
		{ 1011, SQ_TIMEOUT, "", 0, 0, 0, 1, 1 },
		{ 1012, SQ_RUNNING, "", 0, 0, 0, 1, 0 },
		{ 1013, SQ_PENDING, "", 0, 0, 0, 0, 0 },
		{ 1014, SQ_PENDING, "", 0, 0, 0, 0, 0 },
		{ 1015, SQ_PENDING, "", 0, 0, 0, 0, 0 },
		{ 1016, SQ_PENDING, "", 0, 0, 0, 0, 0 },
		{ 1017, SQ_PENDING, "", 0, 0, 0, 0, 0 },
		{ 1018, SQ_PENDING, "", 0, 0, 0, 0, 0 },
	};
	struct buf b = BUF_INIT(BUF_CAP_DEFAULT);
	struct slurmq_job *jobs = NULL;
	struct err e = ERR_INIT;
	size_t n = 0, skipped = 0;
	const struct slurmq_job *j;

	set_tz("UTC");
	read_file("data/slurm/sacct-all.txt", &b);
	ck_assert_msg(slurmq_parse_sacct(b.s, b.len, &jobs, &n, &skipped,
					 &e) == 0, "%s", e.msg);
	ck_assert_uint_eq(skipped, 3);
	ck_assert_uint_eq(n, NELEM(w));
	for (size_t i = 0; i < NELEM(w); i++) {
		j = find(jobs, n, w[i].id);
		ck_assert_msg(j->state == w[i].st, "job %lld: %s", w[i].id,
			      slurmq_state_name(j->state));
		ck_assert_str_eq(j->reason, "");
		ck_assert_int_eq(j->held, 0);
		ck_assert_int_eq(j->exit_code, w[i].code);
		ck_assert_int_eq(j->exit_signal, w[i].sig);
		ck_assert_msg((j->start > 0) == w[i].started, "job %lld start",
			      w[i].id);
		ck_assert_msg((j->end > 0) == w[i].ended, "job %lld end",
			      w[i].id);
	}
	j = find(jobs, n, 1011);
	ck_assert_int_eq(j->start, 1795495987LL);
	ck_assert_int_eq(j->end, 1795496071LL);
	free(jobs);
	buf_release(&b);
	restore_tz();
}
END_TEST

/* States this cluster cannot reach, in the documented formats. */
START_TEST(parse_documented_states)
{
	static const char sq[] =
		"2001|OUT_OF_MEMORY|OutOfMemory|2024-01-02T03:04:05|2024-01-02T03:05:00\n"
		"2002|PREEMPTED|None|2024-01-02T03:04:05|2024-01-02T03:05:00\n"
		"2003|BOOT_FAIL|None|N/A|N/A\n"
		"2004|DEADLINE|DeadLine|N/A|N/A\n"
		"2005|COMPLETING|None|2024-01-02T03:04:05|2024-01-02T03:05:00\n"
		"2006|CONFIGURING|None|2024-01-02T03:04:05|NONE\n"
		"2007|REQUEUE_HOLD|JobHeldAdmin|N/A|N/A\n"
		"2008|SPECIAL_EXIT|None|N/A|N/A\n"
		"2009|STOPPED|None|2024-01-02T03:04:05|NONE\n"
		"2010|SOMETHING_NEW|None|N/A|N/A\n"
		"2011|REVOKED|None|N/A|N/A\n"
		"2012+0|RUNNING|None|N/A|N/A\n"
		"2012+1|RUNNING|None|N/A|N/A\n"
		"2013|PENDING|ReqNodeNotAvail, UnavailableNodes:node[001-099,101-199],gpu[01-10]|N/A|N/A";
	static const char sa[] =
		"2001|OUT_OF_MEMORY|0:125|2024-01-02T03:04:05|2024-01-02T03:05:00\n"
		"2002|PREEMPTED|0:15|2024-01-02T03:04:05|2024-01-02T03:05:00\n"
		"2003|BOOT_FAIL|0:0|None|None\n"
		"2004|DEADLINE|0:0|Unknown|2024-01-02T03:05:00\n"
		"2005|REQUEUED|0:0|2024-01-02T03:04:05|2024-01-02T03:05:00\n"
		"2006|CANCELLED by 1000|0:15|2024-01-02T03:04:05|2024-01-02T03:05:00\n"
		"2007|NODE_FAIL|1:0|2024-01-02T03:04:05|2024-01-02T03:05:00\n"
		"2008|FAILED|255:127|2024-01-02T03:04:05|2024-01-02T03:05:00\n";
	struct slurmq_job *jobs = NULL;
	struct err e = ERR_INIT;
	size_t n = 0, skipped = 0;

	ck_assert_int_eq(slurmq_parse_squeue(sq, sizeof(sq) - 1, &jobs, &n,
					     &skipped, &e), 0);
	ck_assert_uint_eq(n, 12);
	ck_assert_uint_eq(skipped, 2);
	ck_assert_int_eq(jobs[0].state, SQ_OUT_OF_MEMORY);
	ck_assert_int_eq(jobs[1].state, SQ_PREEMPTED);
	ck_assert_int_eq(jobs[2].state, SQ_BOOT_FAIL);
	ck_assert_int_eq(jobs[3].state, SQ_DEADLINE);
	ck_assert_int_eq(jobs[4].state, SQ_COMPLETING);
	ck_assert_int_eq(jobs[5].state, SQ_CONFIGURING);
	ck_assert_int_eq(jobs[6].state, SQ_REQUEUE_HOLD);
	ck_assert_int_eq(jobs[6].held, 1);
	ck_assert_int_eq(jobs[7].state, SQ_SPECIAL_EXIT);
	ck_assert_int_eq(jobs[8].state, SQ_STOPPED);
	ck_assert_int_eq(jobs[9].state, SQ_OTHER);
	ck_assert_int_eq(jobs[10].state, SQ_REVOKED);
	ck_assert_int_eq(jobs[11].id, 2013);
	ck_assert_uint_eq(strlen(jobs[11].reason), 63);
	ck_assert_int_eq(strncmp(jobs[11].reason, "ReqNodeNotAvail, ", 17), 0);
	ck_assert_int_eq(jobs[11].held, 0);
	free(jobs);
	ck_assert_int_eq(slurmq_parse_sacct(sa, sizeof(sa) - 1, &jobs, &n,
					    NULL, &e), 0);
	ck_assert_uint_eq(n, 8);
	ck_assert_int_eq(jobs[0].state, SQ_OUT_OF_MEMORY);
	ck_assert_int_eq(jobs[0].exit_signal, 125);
	ck_assert_int_eq(jobs[2].start, 0);
	ck_assert_int_eq(jobs[3].start, 0);
	ck_assert_int_gt(jobs[3].end, 0);
	ck_assert_int_eq(jobs[4].state, SQ_REQUEUED);
	ck_assert_int_eq(jobs[5].state, SQ_CANCELLED);
	ck_assert_int_eq(jobs[6].exit_code, 1);
	ck_assert_int_eq(jobs[7].exit_code, 255);
	ck_assert_int_eq(jobs[7].exit_signal, 127);
	free(jobs);
}
END_TEST

/* Local time as mktime() reads it, DST included. */
START_TEST(parse_local_time)
{
	static const char summer[] = "7|COMPLETED|0:0|2024-07-01T12:00:00|"
				     "2024-12-01T12:00:00\n";
	struct slurmq_job *jobs = NULL;
	struct err e = ERR_INIT;
	size_t n = 0;

	set_tz("Europe/Amsterdam");
	ck_assert_int_eq(slurmq_parse_sacct(summer, sizeof(summer) - 1, &jobs,
					    &n, NULL, &e), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(jobs[0].start, 1719828000LL); /* 10:00 UTC */
	ck_assert_int_eq(jobs[0].end, 1733050800LL);   /* 11:00 UTC */
	free(jobs);
	restore_tz();
}
END_TEST

/* --- malformed input ---------------------------------------------------- */

/* Parses text with both parsers' shapes (squeue for squeue, else sacct);
 * expects failure with code and, when line > 0, "line N" in the message,
 * and nothing allocated. */
static void refused(int squeue, const char *text, size_t len,
		    enum err_code code, size_t line)
{
	struct slurmq_job *jobs = (struct slurmq_job *)&jobs;
	struct err e = ERR_INIT;
	size_t n = 99;
	char where[64];
	int rc = squeue ? slurmq_parse_squeue(text, len, &jobs, &n, NULL, &e)
			: slurmq_parse_sacct(text, len, &jobs, &n, NULL, &e);

	ck_assert_msg(rc == -1, "accepted: %.*s", (int)(len > 80 ? 80 : len),
		      text);
	ck_assert_ptr_null(jobs);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(e.code, code);
	if (line > 0) {
		snprintf(where, sizeof(where), "%s line %zu",
			 squeue ? "squeue" : "sacct", line);
		ck_assert_msg(strstr(e.msg, where) != NULL, "%s", e.msg);
	}
	ck_assert_uint_lt(strlen(e.msg), 300);
}

#define REFUSED(sq, s, code, line) refused(sq, s, sizeof(s) - 1, code, line)
#define OK_LINE "1001|COMPLETED|None|N/A|N/A\n"
#define OK_ACCT "1001|COMPLETED|0:0|Unknown|Unknown\n"

START_TEST(parse_malformed)
{
	/* truncated lines, wrong field counts */
	REFUSED(1, OK_LINE "1002|COMPLETED|None|2026-11-24T04:51:05",
		ERR_INVAL, 2);
	REFUSED(1, OK_LINE "1002|COMPLETED|None|2026-11-24T04:5\n", ERR_INVAL, 2);
	REFUSED(1, "1002|COMPLETED|None|N/A|N/A|x\n", ERR_INVAL, 1);
	REFUSED(1, "1002\n", ERR_INVAL, 1);
	REFUSED(1, "||||\n", ERR_INVAL, 1);
	REFUSED(1, "1002 COMPLETED None N/A N/A\n", ERR_INVAL, 1);
	REFUSED(0, OK_ACCT "1002|FAILED|3:0|Unknown\n", ERR_INVAL, 2);
	/* ids: not numeric, zero, leading zero, signs, huge, 33 bits */
	REFUSED(1, "abc|PENDING|None|N/A|N/A\n", ERR_INVAL, 1);
	REFUSED(1, "0|PENDING|None|N/A|N/A\n", ERR_INVAL, 1);
	REFUSED(1, "01001|PENDING|None|N/A|N/A\n", ERR_INVAL, 1);
	REFUSED(1, "-1001|PENDING|None|N/A|N/A\n", ERR_INVAL, 1);
	REFUSED(1, "+1001|PENDING|None|N/A|N/A\n", ERR_INVAL, 1);
	REFUSED(1, " 1001|PENDING|None|N/A|N/A\n", ERR_INVAL, 1);
	REFUSED(1, "1001 |PENDING|None|N/A|N/A\n", ERR_INVAL, 1);
	REFUSED(1, "4294967296|PENDING|None|N/A|N/A\n", ERR_INVAL, 1);
	REFUSED(1, "99999999999999999999999|PENDING|None|N/A|N/A\n",
		ERR_INVAL, 1);
	REFUSED(1, "1001.batch|PENDING|None|N/A|N/A\n", ERR_INVAL, 1);
	REFUSED(1, "1001_|PENDING|None|N/A|N/A\n", ERR_INVAL, 1);
	REFUSED(1, "_1|PENDING|None|N/A|N/A\n", ERR_INVAL, 1);
	REFUSED(1, "|PENDING|None|N/A|N/A\n", ERR_INVAL, 1);
	/* no state */
	REFUSED(1, "1001||None|N/A|N/A\n", ERR_INVAL, 1);
	/* times */
	REFUSED(1, "1001|RUNNING|None|2026-13-01T00:00:00|N/A\n", ERR_INVAL, 1);
	REFUSED(1, "1001|RUNNING|None|2026-11-24 04:51:05|N/A\n", ERR_INVAL, 1);
	REFUSED(1, "1001|RUNNING|None|2026-11-24T04:51:05Z|N/A\n", ERR_INVAL, 1);
	REFUSED(1, "1001|RUNNING|None|1969-12-31T23:59:59|N/A\n", ERR_INVAL, 1);
	REFUSED(1, "1001|RUNNING|None|N/A|unknown\n", ERR_INVAL, 1);
	REFUSED(1, "1001|RUNNING|None|N/A|99999999999999999999\n", ERR_INVAL, 1);
	/* exit codes */
	REFUSED(0, "1001|FAILED|256:0|Unknown|Unknown\n", ERR_INVAL, 1);
	REFUSED(0, "1001|FAILED|1|Unknown|Unknown\n", ERR_INVAL, 1);
	REFUSED(0, "1001|FAILED|1:|Unknown|Unknown\n", ERR_INVAL, 1);
	REFUSED(0, "1001|FAILED|:1|Unknown|Unknown\n", ERR_INVAL, 1);
	REFUSED(0, "1001|FAILED|-1:0|Unknown|Unknown\n", ERR_INVAL, 1);
	REFUSED(0, "1001|FAILED|a:b|Unknown|Unknown\n", ERR_INVAL, 1);
	REFUSED(0, "1001|FAILED|1:2:3|Unknown|Unknown\n", ERR_INVAL, 1);
	REFUSED(0, "1001|FAILED|99999999999999999999:0|Unknown|Unknown\n",
		ERR_INVAL, 1);
	REFUSED(0, "1001|FAILED||Unknown|Unknown\n", ERR_INVAL, 1);
	/* NUL bytes, anywhere in a line */
	REFUSED(1, OK_LINE "1002|PEND\0ING|None|N/A|N/A\n", ERR_INVAL, 2);
	REFUSED(1, "1002|PENDING|None|N/A|N/A\0\n", ERR_INVAL, 1);
	REFUSED(1, "1002|PENDING|No\0ne|N/A|N/A\n", ERR_INVAL, 1);
	REFUSED(0, "\0", ERR_INVAL, 1);
	/* a message quotes a cut, printable line */
	REFUSED(1, "\x1b[31mabc|x|y|z|w\n", ERR_INVAL, 1);
}
END_TEST

START_TEST(parse_edges)
{
	struct slurmq_job *jobs = (struct slurmq_job *)&jobs;
	struct err e = ERR_INIT;
	size_t n = 99, skipped = 99;
	static const char blank[] = "\n\n" OK_LINE "\n";
	static const char nonl[] = "4294967295|RUNNING|x\x01y|N/A|NONE";
	static const char arrays[] = "1_1|RUNNING|None|N/A|N/A\n"
				     "2_[1-9%2]|PENDING|x|N/A|N/A\n";

	/* empty output: no jobs, nothing allocated */
	ck_assert_int_eq(slurmq_parse_squeue("", 0, &jobs, &n, &skipped, &e), 0);
	ck_assert_ptr_null(jobs);
	ck_assert_uint_eq(n, 0);
	ck_assert_uint_eq(skipped, 0);
	ck_assert_int_eq(slurmq_parse_sacct(NULL, 0, &jobs, &n, NULL, &e), 0);
	ck_assert_ptr_null(jobs);
	/* empty lines are nothing */
	ck_assert_int_eq(slurmq_parse_squeue(blank, sizeof(blank) - 1, &jobs,
					     &n, NULL, &e), 0);
	ck_assert_uint_eq(n, 1);
	free(jobs);
	/* no final newline; the largest id; a control byte in a reason */
	ck_assert_int_eq(slurmq_parse_squeue(nonl, sizeof(nonl) - 1, &jobs, &n,
					     NULL, &e), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(jobs[0].id, 4294967295LL);
	ck_assert_str_eq(jobs[0].reason, "x?y");
	free(jobs);
	/* only array lines: skipped, counted */
	ck_assert_int_eq(slurmq_parse_squeue(arrays, sizeof(arrays) - 1, &jobs,
					     &n, &skipped, &e), 0);
	ck_assert_ptr_null(jobs);
	ck_assert_uint_eq(n, 0);
	ck_assert_uint_eq(skipped, 2);
}
END_TEST

/* SLURMQ_MAX_JOBS lines are fine, one more is ERR_TOOBIG; so is a line
 * over SLURMQ_LINE_MAX. */
START_TEST(parse_bounds)
{
	struct buf b = BUF_INIT(BUF_CAP_DEFAULT);
	struct slurmq_job *jobs = NULL;
	struct err e = ERR_INIT;
	size_t n = 0, skipped = 0;

	for (long long i = 1; i <= SLURMQ_MAX_JOBS; i++)
		ck_assert_int_eq(buf_addf(&b, i % 10 ? "%lld|PENDING|None|N/A|N/A\n"
					  : "%lld_1|RUNNING|None|N/A|N/A\n",
					  i), 0);
	ck_assert_msg(slurmq_parse_squeue(b.s, b.len, &jobs, &n, &skipped,
					  &e) == 0, "%s", e.msg);
	ck_assert_uint_eq(n, SLURMQ_MAX_JOBS / 10 * 9);
	ck_assert_uint_eq(skipped, SLURMQ_MAX_JOBS / 10);
	ck_assert_int_eq(jobs[n - 1].id, SLURMQ_MAX_JOBS - 1);
	free(jobs);
	ck_assert_int_eq(buf_adds(&b, "\n"), 0); /* an empty line counts */
	refused(1, b.s, b.len, ERR_TOOBIG, 0);
	buf_clear(&b);
	ck_assert_int_eq(buf_adds(&b, "1|PENDING|"), 0);
	for (int i = 0; i < SLURMQ_LINE_MAX; i++)
		ck_assert_int_eq(buf_addch(&b, 'x'), 0);
	ck_assert_int_eq(buf_adds(&b, "|N/A|N/A\n"), 0);
	refused(1, b.s, b.len, ERR_TOOBIG, 1);
	buf_release(&b);
}
END_TEST

/* --- runners, against stand-in commands ----------------------------------- */

struct bin {
	char dir[64];
	char cmd[128]; /* records argv in $0.args, a line each; answers $0.out
			* and $0.err, exits $0.rc */
};

static void bin_setup(struct bin *b)
{
	unit_mkdtemp(b->dir, sizeof(b->dir), "slurmq");
	snprintf(b->cmd, sizeof(b->cmd), "%s/slurmcmd", b->dir);
	write_file(b->cmd,
		   "#!/bin/sh\n"
		   "for a in \"$@\"; do printf '%s\\n' \"$a\"; done >\"$0.args\"\n"
		   "env >\"$0.env\"\n"
		   "[ -f \"$0.err\" ] && cat \"$0.err\" >&2\n"
		   "[ -f \"$0.out\" ] && cat \"$0.out\"\n"
		   "exit $(cat \"$0.rc\" 2>/dev/null || echo 0)\n", 0755);
}

static void bin_file(const struct bin *b, const char *suffix, const char *text)
{
	char path[160];

	snprintf(path, sizeof(path), "%s%s", b->cmd, suffix);
	write_file(path, text, 0644);
}

/* The recorded argv (one a line), or "" when the command did not run. */
static void bin_args(const struct bin *b, struct buf *got)
{
	char path[160];

	snprintf(path, sizeof(path), "%s.args", b->cmd);
	buf_clear(got);
	if (access(path, F_OK) == 0)
		read_file(path, got);
	unlink(path);
}

START_TEST(poll_runs_squeue_once)
{
	struct bin b;
	struct buf got = BUF_INIT(BUF_CAP_LINE);
	struct slurmq_job *jobs = NULL;
	struct err e = ERR_INIT;
	size_t n = 0;
	unsigned before;

	bin_setup(&b);
	bin_file(&b, ".out", "7|PENDING|JobHeldUser|N/A|N/A\n"
			     "7_1|RUNNING|None|N/A|NONE\n"
			     "8|COMPLETED|None|2024-01-01T00:00:00|"
			     "2024-01-01T00:01:00\n");
	before = slurm_calls();
	ck_assert_msg(slurmq_poll(b.cmd, &jobs, &n, &e) == 0, "%s", e.msg);
	ck_assert_uint_eq(slurm_calls(), before + 1);
	bin_args(&b, &got);
	ck_assert_str_eq(got.s, "--me\n-h\n-t\nall\n-o\n%i|%T|%r|%S|%e\n");
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(jobs[0].held, 1);
	ck_assert_int_eq(jobs[1].state, SQ_COMPLETED);
	free(jobs);
	/* the fixed environment of lib/adapters/slurm.c */
	{
		char path[160];

		snprintf(path, sizeof(path), "%s.env", b.cmd);
		ck_assert_int_eq(setenv("GITHUB_TOKEN", "ghs_secret", 1), 0);
		ck_assert_int_eq(slurmq_poll(b.cmd, &jobs, &n, &e), 0);
		free(jobs);
		unsetenv("GITHUB_TOKEN");
		read_file(path, &got);
		ck_assert_ptr_null(strstr(got.s, "ghs_secret"));
	}
	/* a malformed line fails the poll, naming it */
	bin_file(&b, ".out", "7|PENDING|JobHeldUser|N/A|N/A\nbogus\n");
	ck_assert_int_eq(slurmq_poll(b.cmd, &jobs, &n, &e), -1);
	ck_assert_ptr_null(jobs);
	ck_assert_ptr_nonnull(strstr(e.msg, "squeue line 2"));
	err_clear(&e);
	/* a failing squeue: its error line */
	bin_file(&b, ".out", "");
	bin_file(&b, ".err", "slurm_load_jobs error: Unable to contact slurm "
			     "controller (connect failure)\n");
	bin_file(&b, ".rc", "1\n");
	ck_assert_int_eq(slurmq_poll(b.cmd, &jobs, &n, &e), -1);
	ck_assert_int_eq(e.code, ERR_AGAIN); /* the controller away: later */
	ck_assert_ptr_nonnull(strstr(e.msg, "exited 1: slurm_load_jobs error: "
				     "Unable to contact"));
	err_clear(&e);
	/* any other failure is not transient */
	bin_file(&b, ".err", "squeue: error: Invalid user: nobody\n");
	ck_assert_int_eq(slurmq_poll(b.cmd, &jobs, &n, &e), -1);
	ck_assert_int_eq(e.code, ERR_CHILD);
	ck_assert_ptr_nonnull(strstr(e.msg, "Invalid user"));
	err_clear(&e);
	ck_assert_int_eq(slurmq_poll(NULL, &jobs, &n, &e), -1);
	ck_assert_int_eq(e.code, ERR_CONFIG);
	unit_rm_rf(b.dir);
	buf_release(&got);
}
END_TEST

START_TEST(accounting_one_call_joined_ids)
{
	static const long long ids[] = { 1002, 1003, 4294967295LL };
	static const long long bad[][2] = { { 5, 0 }, { -1, 5 },
					    { 5, 4294967296LL } };
	struct bin b;
	struct buf got = BUF_INIT(BUF_CAP_LINE);
	struct slurmq_job *jobs = NULL;
	struct err e = ERR_INIT;
	size_t n = 0;
	unsigned before;
	long long *many;

	bin_setup(&b);
	bin_file(&b, ".out", "1002|FAILED|3:0|2026-11-24T04:51:05|"
			     "2026-11-24T04:51:05\n"
			     "1003|CANCELLED by 0|0:9|Unknown|Unknown\n");
	before = slurm_calls();
	ck_assert_msg(slurmq_accounting(b.cmd, ids, 3, &jobs, &n, &e) == 0,
		      "%s", e.msg);
	ck_assert_uint_eq(slurm_calls(), before + 1);
	bin_args(&b, &got);
	ck_assert_str_eq(got.s, "-X\n-n\n-P\n-j\n1002,1003,4294967295\n-o\n"
				"JobID,State,ExitCode,Start,End\n");
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(jobs[0].exit_code, 3);
	ck_assert_int_eq(jobs[1].state, SQ_CANCELLED);
	ck_assert_int_eq(jobs[1].exit_signal, 9);
	free(jobs);
	/* no ids: no call */
	ck_assert_int_eq(slurmq_accounting(b.cmd, NULL, 0, &jobs, &n, &e), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_uint_eq(slurm_calls(), before + 1);
	/* a bad id anywhere: nothing runs */
	for (size_t i = 0; i < NELEM(bad); i++) {
		ck_assert_int_eq(slurmq_accounting(b.cmd, bad[i], 2, &jobs, &n,
						   &e), -1);
		ck_assert_int_eq(e.code, ERR_INVAL);
		err_clear(&e);
	}
	ck_assert_uint_eq(slurm_calls(), before + 1);
	/* more than one argument may hold */
	many = calloc(SLURMQ_IDS_MAX + 1, sizeof(*many));
	ck_assert_ptr_nonnull(many);
	for (size_t i = 0; i <= SLURMQ_IDS_MAX; i++)
		many[i] = 4294967295LL - (long long)i;
	ck_assert_int_eq(slurmq_accounting(b.cmd, many, SLURMQ_IDS_MAX + 1,
					   &jobs, &n, &e), -1);
	ck_assert_int_eq(e.code, ERR_TOOBIG);
	err_clear(&e);
	bin_file(&b, ".out", "");
	ck_assert_msg(slurmq_accounting(b.cmd, many, SLURMQ_IDS_MAX, &jobs, &n,
					&e) == 0, "%s", e.msg);
	ck_assert_uint_eq(slurm_calls(), before + 2);
	free(many);
	unit_rm_rf(b.dir);
	buf_release(&got);
}
END_TEST

START_TEST(release_reports_failed_ids)
{
	static const long long ids[] = { 1013, 999999, 1001, 1016, 1014 };
	struct bin b;
	struct buf got = BUF_INIT(BUF_CAP_LINE);
	struct err e = ERR_INIT;
	long long failed[NELEM(ids)];
	size_t nf = 99;
	unsigned before;

	bin_setup(&b);
	before = slurm_calls();
	ck_assert_int_eq(slurmq_release(b.cmd, ids, NELEM(ids), failed, &nf,
					&e), 0);
	ck_assert_uint_eq(nf, 0);
	ck_assert_uint_eq(slurm_calls(), before + 1);
	bin_args(&b, &got);
	ck_assert_str_eq(got.s, "release\n1013,999999,1001,1016,1014\n");
	/* as scontrol 22.05 answers a mixed batch (release.txt) */
	bin_file(&b, ".err", "Invalid job id specified for job 999999\n"
			     "Job has already finished for job 1001\n"
			     "Job has already finished for job 1001\n"
			     "Job has already finished for job 4242\n"
			     "slurm_suspend error: No error\n");
	bin_file(&b, ".rc", "1\n");
	ck_assert_int_eq(slurmq_release(b.cmd, ids, NELEM(ids), failed, &nf,
					&e), -1);
	ck_assert_int_eq(e.code, ERR_CHILD);
	ck_assert_uint_eq(nf, 2);
	ck_assert_int_eq(failed[0], 999999);
	ck_assert_int_eq(failed[1], 1001);
	ck_assert_ptr_nonnull(strstr(e.msg, "2 of 5 jobs not released "
				     "(999999, ...)"));
	err_clear(&e);
	/* without room for the ids: still the count in the message */
	ck_assert_int_eq(slurmq_release(b.cmd, ids, NELEM(ids), NULL, NULL,
					&e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "2 of 5"));
	err_clear(&e);
	/* failing without naming a job of ours */
	bin_file(&b, ".err", "slurm_suspend error: Unable to contact slurm "
			     "controller (connect failure)\n");
	ck_assert_int_eq(slurmq_release(b.cmd, ids, NELEM(ids), failed, &nf,
					&e), -1);
	ck_assert_uint_eq(nf, 0);
	ck_assert_ptr_nonnull(strstr(e.msg, "exited 1: slurm_suspend error: "
				     "Unable to contact"));
	err_clear(&e);
	/* bad ids never reach an argv; no ids, no call */
	bin_args(&b, &got);
	before = slurm_calls();
	ck_assert_int_eq(slurmq_release(b.cmd, (const long long[]){ 1, 0 }, 2,
					failed, &nf, &e), -1);
	ck_assert_int_eq(e.code, ERR_INVAL);
	err_clear(&e);
	ck_assert_int_eq(slurmq_release(b.cmd, NULL, 0, failed, &nf, &e), 0);
	ck_assert_uint_eq(slurm_calls(), before);
	bin_args(&b, &got);
	ck_assert_str_eq(got.s, "");
	ck_assert_int_eq(slurmq_release("", ids, 1, failed, &nf, &e), -1);
	ck_assert_int_eq(e.code, ERR_CONFIG);
	unit_rm_rf(b.dir);
	buf_release(&got);
}
END_TEST

Suite *slurmq_suite(void)
{
	Suite *s = suite_create("slurmq");
	TCase *tc = tcase_create("slurmq");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, state_table);
	tcase_add_test(tc, parse_captured_squeue);
	tcase_add_test(tc, parse_captured_sacct);
	tcase_add_test(tc, parse_documented_states);
	tcase_add_test(tc, parse_local_time);
	tcase_add_test(tc, parse_malformed);
	tcase_add_test(tc, parse_edges);
	tcase_add_test(tc, parse_bounds);
	tcase_add_test(tc, poll_runs_squeue_once);
	tcase_add_test(tc, accounting_one_call_joined_ids);
	tcase_add_test(tc, release_reports_failed_ids);
	suite_add_tcase(s, tc);
	return s;
}
