/* slurmq.c - squeue, sacct and scontrol release for the job manager: the
 * job-state table, bounded parsers of their '|'-separated output, runners
 * through slurm_run().
 *
 * Layer: adapters (README, "Map of the code").
 */
#include "slurmq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "names.h"
#include "slurm.h"
#include "spawn.h"

#define FIELDS 5
#define SHOWN_MAX 80
#define OUT_CAP ((size_t)32 * 1024 * 1024)
#define ERR_CAP ((size_t)64 * 1024)
#define SQUEUE_FORMAT "%i|%T|%r|%S|%e"
#define SACCT_FIELDS "JobID,State,ExitCode,Start,End"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* The one translation table: row i is state i. */
static const struct {
	const char *name;
	enum slurmq_state state;
	int terminal;
} states[] = {
	{ "PENDING", SQ_PENDING, 0 },
	{ "RUNNING", SQ_RUNNING, 0 },
	{ "SUSPENDED", SQ_SUSPENDED, 0 },
	{ "COMPLETING", SQ_COMPLETING, 0 },
	{ "CONFIGURING", SQ_CONFIGURING, 0 },
	{ "COMPLETED", SQ_COMPLETED, 1 },
	{ "FAILED", SQ_FAILED, 1 },
	{ "TIMEOUT", SQ_TIMEOUT, 1 },
	{ "CANCELLED", SQ_CANCELLED, 1 },
	{ "OUT_OF_MEMORY", SQ_OUT_OF_MEMORY, 1 },
	{ "NODE_FAIL", SQ_NODE_FAIL, 1 },
	{ "PREEMPTED", SQ_PREEMPTED, 1 },
	{ "BOOT_FAIL", SQ_BOOT_FAIL, 1 },
	{ "DEADLINE", SQ_DEADLINE, 1 },
	{ "REQUEUED", SQ_REQUEUED, 0 },
	{ "REQUEUE_HOLD", SQ_REQUEUE_HOLD, 0 },
	{ "REQUEUE_FED", SQ_REQUEUE_FED, 0 },
	{ "RESV_DEL_HOLD", SQ_RESV_DEL_HOLD, 0 },
	{ "RESIZING", SQ_RESIZING, 0 },
	{ "REVOKED", SQ_REVOKED, 1 },
	{ "SIGNALING", SQ_SIGNALING, 0 },
	{ "SPECIAL_EXIT", SQ_SPECIAL_EXIT, 0 },
	{ "STAGE_OUT", SQ_STAGE_OUT, 0 },
	{ "STOPPED", SQ_STOPPED, 0 },
	{ "OTHER", SQ_OTHER, 0 },
};

_Static_assert(NELEM(states) == SQ_OTHER + 1,
	       "one row per enum slurmq_state");

int slurmq_state_from_name(const char *s, size_t len)
{
	size_t w;

	for (w = 0; w < len && s[w] != ' '; w++)
		;
	for (size_t i = 0; i < SQ_OTHER; i++)
		if (strlen(states[i].name) == w &&
		    memcmp(states[i].name, s, w) == 0)
			return (int)states[i].state;
	return SQ_OTHER;
}

const char *slurmq_state_name(enum slurmq_state st)
{
	if ((unsigned)st > SQ_OTHER)
		st = SQ_OTHER;
	return states[st].name;
}

int slurmq_state_terminal(enum slurmq_state st)
{
	return (unsigned)st <= SQ_OTHER && states[st].terminal;
}

/* --- parsing ------------------------------------------------------------ */

struct field {
	const char *s;
	size_t n;
};

/* Which command's output is parsed, for messages and the field rules. */
enum kind { SQUEUE, SACCT };

static const char *const kind_name[] = { "squeue", "sacct" };

/* s[0..n) for a message: at most SHOWN_MAX bytes, control bytes and
 * non-ASCII as '?', "..." after a cut. */
static int is_digits(const char *s, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* A decimal number s[0..n) of at most max_digits digits; -1 otherwise. */
static long long number(const char *s, size_t n, size_t max_digits)
{
	long long v = 0;

	if (n > max_digits || !is_digits(s, n))
		return -1;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

/* The plain job id of f: 1..NAMES_JOBID_MAX, no leading zero; 0 for an array
 * task or heterogeneous component ("ID_...", "ID+..."), -1 otherwise. */
static long long job_id(struct field f)
{
	size_t d;
	long long v;

	for (d = 0; d < f.n && f.s[d] >= '0' && f.s[d] <= '9'; d++)
		;
	if (d == 0 || f.s[0] == '0')
		return -1;
	if (d < f.n)
		return (f.s[d] == '_' || f.s[d] == '+') && d + 1 < f.n ? 0 : -1;
	return names_jobid(f.s, d, &v) == 0 ? v : -1;
}

/* "YYYY-MM-DDTHH:MM:SS" in local time, or N/A, Unknown, None, NONE, ""
 * (0): squeue 22.05 prints %e "NONE" for a running job, sacct "Unknown". */
static int parse_time(struct field f, long long *t)
{
	static const char *const unknown[] = { "N/A", "Unknown", "None",
					       "NONE" };
	static const char pattern[] = "dddd-dd-ddTdd:dd:dd";
	struct tm tm;
	time_t v;

	*t = 0;
	if (f.n == 0)
		return 0;
	for (size_t i = 0; i < NELEM(unknown); i++)
		if (f.n == strlen(unknown[i]) &&
		    memcmp(f.s, unknown[i], f.n) == 0)
			return 0;
	if (f.n != sizeof(pattern) - 1)
		return -1;
	for (size_t i = 0; i < f.n; i++)
		if (pattern[i] == 'd' ? f.s[i] < '0' || f.s[i] > '9'
				      : f.s[i] != pattern[i])
			return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)number(f.s, 4, 4) - 1900;
	tm.tm_mon = (int)number(f.s + 5, 2, 2) - 1;
	tm.tm_mday = (int)number(f.s + 8, 2, 2);
	tm.tm_hour = (int)number(f.s + 11, 2, 2);
	tm.tm_min = (int)number(f.s + 14, 2, 2);
	tm.tm_sec = (int)number(f.s + 17, 2, 2);
	if (tm.tm_year < 70 || tm.tm_mon < 0 || tm.tm_mon > 11 ||
	    tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
	    tm.tm_min > 59 || tm.tm_sec > 60)
		return -1;
	tm.tm_isdst = -1; /* Slurm prints local time, with DST as it was */
	v = mktime(&tm);
	if (v == (time_t)-1)
		return -1;
	*t = (long long)v;
	return 0;
}

/* sacct's ExitCode "N:S", each 0..255. */
static int parse_exit(struct field f, int *code, int *sig)
{
	const char *colon = memchr(f.s, ':', f.n);
	long long c, s;

	if (!colon)
		return -1;
	c = number(f.s, (size_t)(colon - f.s), 3);
	s = number(colon + 1, f.n - (size_t)(colon - f.s) - 1, 3);
	if (c < 0 || c > 255 || s < 0 || s > 255)
		return -1;
	*code = (int)c;
	*sig = (int)s;
	return 0;
}

/* The reasons of a job that waits for `scontrol release`: sbatch --hold
 * or scontrol hold by a user, by an admin (root's own hold, too), and
 * scontrol requeuehold (squeue prints PENDING, not REQUEUE_HOLD, then). */
static const char *const held_reasons[] = {
	"JobHeldUser", "JobHeldAdmin", "job requeued in held state",
};

/* squeue's %r: cut to the struct (a ReqNodeNotAvail reason lists nodes),
 * bytes outside printable ASCII as '?'; held for the reasons above. */
static void set_reason(struct slurmq_job *j, struct field f)
{
	size_t n = f.n < sizeof(j->reason) - 1 ? f.n : sizeof(j->reason) - 1;

	/* cppcheck-suppress knownConditionTrueFalse ; false positive: taken from a caller's empty field */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)f.s[i];

		j->reason[i] = (c < 0x20 || c > 0x7e) ? '?' : (char)c;
	}
	j->reason[n] = '\0';
	for (size_t i = 0; i < NELEM(held_reasons); i++)
		if (strcmp(j->reason, held_reasons[i]) == 0)
			j->held = 1;
}

/* Splits line[0..n) at '|' into exactly FIELDS fields; -1 otherwise. */
static int split(const char *line, size_t n, struct field *f)
{
	size_t k = 0, start = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && line[i] != '|')
			continue;
		if (k == FIELDS)
			return -1;
		f[k].s = line + start;
		f[k].n = i - start;
		k++;
		start = i + 1;
	}
	return k == FIELDS ? 0 : -1;
}

/* One line's job; 1 when it is one of ours (j filled), 0 when skipped,
 * -1 with what in why. */
static int parse_line(enum kind k, const char *line, size_t n,
		      struct slurmq_job *j, const char **why)
{
	struct field f[FIELDS];

	if (memchr(line, '\0', n))
		return *why = "a NUL byte", -1;
	if (split(line, n, f) < 0)
		return *why = "not 5 fields separated by '|'", -1;
	memset(j, 0, sizeof(*j));
	j->id = job_id(f[0]);
	if (j->id < 0)
		return *why = "not a job id", -1;
	if (j->id == 0)
		return 0;
	if (f[1].n == 0)
		return *why = "no state", -1;
	j->state = (enum slurmq_state)slurmq_state_from_name(f[1].s, f[1].n);
	j->exit_code = j->exit_signal = -1;
	if (k == SQUEUE) {
		set_reason(j, f[2]);
		j->held = j->held && !slurmq_state_terminal(j->state);
	}
	else if (parse_exit(f[2], &j->exit_code, &j->exit_signal) < 0)
		return *why = "not an exit code N:S", -1;
	if (parse_time(f[3], &j->start) < 0)
		return *why = "not a start time", -1;
	if (parse_time(f[4], &j->end) < 0)
		return *why = "not an end time", -1;
	return 1;
}

/* Appends j to *jobs (room doubling up to SLURMQ_MAX_JOBS). */
static int append(struct slurmq_job **jobs, size_t *n, size_t *room,
		  const struct slurmq_job *j, struct err *e)
{
	if (*n == *room) {
		size_t grown = *room ? *room * 2 : 16;
		struct slurmq_job *p;

		if (grown > SLURMQ_MAX_JOBS)
			grown = SLURMQ_MAX_JOBS;
		p = realloc(*jobs, grown * sizeof(**jobs));
		if (!p)
			return err_set(e, ERR_NOMEM, "out of memory");
		*jobs = p;
		*room = grown;
	}
	(*jobs)[(*n)++] = *j;
	return 0;
}

static int parse(enum kind k, const char *out, size_t len,
		 struct slurmq_job **jobs, size_t *n, size_t *skipped,
		 struct err *e)
{
	const char *p = out, *end = out + len, *why = NULL;
	struct slurmq_job j;
	size_t room = 0, lines = 0, skip = 0;
	char shown[SHOWN_MAX + 4];

	*jobs = NULL;
	*n = 0;
	if (skipped)
		*skipped = 0;
	if (len == 0)
		return 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *line = p;
		int r;

		p += ll + 1;
		if (++lines > SLURMQ_MAX_JOBS) {
			err_set(e, ERR_TOOBIG, "%s: more than %d lines",
				kind_name[k], SLURMQ_MAX_JOBS);
			goto fail;
		}
		if (ll > SLURMQ_LINE_MAX) {
			err_set(e, ERR_TOOBIG, "%s line %zu: %zu bytes (at "
				"most %d)", kind_name[k], lines, ll,
				SLURMQ_LINE_MAX);
			goto fail;
		}
		if (ll == 0)
			continue;
		r = parse_line(k, line, ll, &j, &why);
		if (r < 0) {
			names_shown(shown, sizeof(shown), line, ll, SHOWN_MAX);
			err_set(e, ERR_INVAL, "%s line %zu: %s: '%s'",
				kind_name[k], lines, why, shown);
			goto fail;
		}
		if (r == 0)
			skip++;
		else if (append(jobs, n, &room, &j, e) < 0)
			goto fail;
	}
	if (skipped)
		*skipped = skip;
	return 0;
fail:
	free(*jobs);
	*jobs = NULL;
	*n = 0;
	return -1;
}

int slurmq_parse_squeue(const char *out, size_t len, struct slurmq_job **jobs,
			size_t *n, size_t *skipped, struct err *e)
{
	return parse(SQUEUE, out, len, jobs, n, skipped, e);
}

int slurmq_parse_sacct(const char *out, size_t len, struct slurmq_job **jobs,
		       size_t *n, size_t *skipped, struct err *e)
{
	return parse(SACCT, out, len, jobs, n, skipped, e);
}

/* --- runners ------------------------------------------------------------ */

/* Runs argv; 0 when it exited 0 with stdout in out, -1 otherwise
 * (slurm_exit_error() for a non-zero exit).  The
 * status, when it ran, in *status. */
static int run(const char *const *argv, struct buf *out, struct buf *errout,
	       int *status, struct err *e)
{
	struct spawn_result res = { 0 };

	*status = -1;
	if (slurm_run(argv, NULL, out, errout, &res, e) < 0)
		return -1;
	*status = res.status;
	if (res.status == 0)
		return 0;
	return slurm_exit_error(argv[0], res.status, errout, e);
}

/* ids joined with ',' into b; every id checked first. */
static int join_ids(const char *what, const long long *ids, size_t nids,
		    size_t max, struct buf *b, struct err *e)
{
	if (nids > max)
		return err_set(e, ERR_TOOBIG, "%s: %zu job ids (at most %zu)",
			       what, nids, max);
	for (size_t i = 0; i < nids; i++)
		if (ids[i] <= 0 || ids[i] > NAMES_JOBID_MAX)
			return err_set(e, ERR_INVAL, "%s: %lld is not a job id",
				       what, ids[i]);
	for (size_t i = 0; i < nids; i++)
		if (buf_addf(b, "%s%lld", i ? "," : "", ids[i]) < 0)
			return err_set(e, ERR_NOMEM, "%s: out of memory", what);
	return 0;
}

int slurmq_poll(const char *poll_command, struct slurmq_job **jobs,
		size_t *n, struct err *e)
{
	const char *argv[] = { poll_command, "--me", "-h", "-t", "all", "-o",
			       SQUEUE_FORMAT, NULL };
	struct buf out = BUF_INIT(OUT_CAP);
	struct buf errout = BUF_INIT(ERR_CAP);
	int rc = -1, status;

	*jobs = NULL;
	*n = 0;
	if (!poll_command || !*poll_command)
		return err_set(e, ERR_CONFIG, "squeue: no poll_command");
	if (run(argv, &out, &errout, &status, e) == 0)
		rc = slurmq_parse_squeue(out.s, out.len, jobs, n, NULL, e);
	buf_release(&out);
	buf_release(&errout);
	return rc;
}

int slurmq_accounting(const char *sacct_command, const long long *ids,
		      size_t nids, struct slurmq_job **jobs, size_t *n,
		      struct err *e)
{
	struct buf list = BUF_INIT(BUF_CAP_LINE * 2);
	struct buf out = BUF_INIT(OUT_CAP);
	struct buf errout = BUF_INIT(ERR_CAP);
	const char *argv[] = { sacct_command, "-X", "-n", "-P", "-j", NULL,
			       "-o", SACCT_FIELDS, NULL };
	int rc = -1, status;

	*jobs = NULL;
	*n = 0;
	if (!sacct_command || !*sacct_command)
		return err_set(e, ERR_CONFIG, "sacct: no command");
	if (join_ids("sacct", ids, nids, SLURMQ_IDS_MAX, &list, e) < 0)
		goto out;
	rc = 0;
	if (nids == 0)
		goto out;
	argv[5] = list.s;
	rc = -1;
	if (run(argv, &out, &errout, &status, e) == 0)
		rc = slurmq_parse_sacct(out.s, out.len, jobs, n, NULL, e);
out:
	buf_release(&list);
	buf_release(&out);
	buf_release(&errout);
	return rc;
}

/* The ids of ids[0..nids) that scontrol's stderr names in a line ending
 * "for job ID", each once, into failed[0..*nfailed). */
static void failed_ids(const struct buf *errout, const long long *ids,
		       size_t nids, long long *failed, size_t *nfailed)
{
	static const char tag[] = " for job ";
	const char *p = errout->s, *end = errout->s + errout->len;

	*nfailed = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *at = memmem(p, ll, tag, sizeof(tag) - 1);
		struct field f;
		long long id;
		size_t i;

		if (at) {
			f.s = at + sizeof(tag) - 1;
			f.n = ll - (size_t)(f.s - p);
			id = job_id(f);
			for (i = 0; id > 0 && i < nids && ids[i] != id; i++)
				;
			if (id > 0 && i < nids) {
				for (i = 0; i < *nfailed && failed[i] != id;
				     i++)
					;
				if (i == *nfailed)
					failed[(*nfailed)++] = id;
			}
		}
		p += ll + 1;
	}
}

int slurmq_release(const char *scontrol_command, const long long *ids,
		   size_t nids, long long *failed, size_t *nfailed,
		   struct err *e)
{
	struct buf list = BUF_INIT(BUF_CAP_LINE * 2);
	struct buf out = BUF_INIT(ERR_CAP);
	struct buf errout = BUF_INIT(ERR_CAP);
	const char *argv[] = { scontrol_command, "release", NULL, NULL };
	struct err le = ERR_INIT;
	long long *f = NULL;
	size_t nf = 0;
	int rc = -1, status;

	if (nfailed)
		*nfailed = 0;
	if (!scontrol_command || !*scontrol_command)
		return err_set(e, ERR_CONFIG, "scontrol: no command");
	if (join_ids("scontrol release", ids, nids, SLURMQ_IDS_MAX, &list,
		     e) < 0)
		goto out;
	rc = 0;
	if (nids == 0)
		goto out;
	argv[2] = list.s;
	if (run(argv, &out, &errout, &status, &le) == 0)
		goto out;
	rc = -1;
	if (status <= 0 || (f = calloc(nids, sizeof(*f))) == NULL) {
		err_set(e, le.code, "%s", le.msg);
		goto out;
	}
	failed_ids(&errout, ids, nids, f, &nf);
	if (nf == 0) {
		err_set(e, le.code, "%s", le.msg);
		goto out;
	}
	err_set(e, ERR_CHILD, "%s release: %zu of %zu jobs not released "
		"(%lld%s): %s", scontrol_command, nf, nids, f[0],
		nf > 1 ? ", ..." : "", le.msg);
	if (failed)
		memcpy(failed, f, nf * sizeof(*f));
	if (nfailed)
		*nfailed = nf;
out:
	free(f);
	buf_release(&list);
	buf_release(&out);
	buf_release(&errout);
	return rc;
}

int slurmq_cancel(const char *scancel_command, const long long *ids,
		  size_t nids, int *ran, struct err *e)
{
	struct buf out = BUF_INIT(ERR_CAP), errout = BUF_INIT(ERR_CAP);
	struct buf check = BUF_INIT(BUF_CAP_LINE * 2);
	const char **argv = NULL;
	char (*num)[24] = NULL;
	int rc = -1, status;

	*ran = 0;
	if (!scancel_command || !*scancel_command)
		return err_set(e, ERR_CONFIG, "scancel: no command");
	if (join_ids("scancel", ids, nids, SLURMQ_IDS_MAX, &check, e) < 0)
		goto out;
	rc = 0;
	if (nids == 0)
		goto out;
	rc = -1;
	if (!(argv = calloc(nids + 2, sizeof(*argv))) ||
	    !(num = calloc(nids, sizeof(*num)))) {
		err_set(e, ERR_NOMEM, "scancel: out of memory");
		goto out;
	}
	argv[0] = scancel_command;
	for (size_t i = 0; i < nids; i++) {
		snprintf(num[i], sizeof(num[i]), "%lld", ids[i]);
		argv[i + 1] = num[i];
	}
	rc = run(argv, &out, &errout, &status, e);
	/* killed mid-way: maybe; the controller out of reach: none (a
	 * retry later is harmless: scancel of a cancelled job is a no-op) */
	*ran = (status >= 0 || e->code == ERR_TIMEOUT) && e->code != ERR_AGAIN;
out:
	free(argv);
	free(num);
	buf_release(&out);
	buf_release(&errout);
	buf_release(&check);
	return rc;
}
