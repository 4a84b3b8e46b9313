/* slurm.c - sbatch and squeue through lib/spawn: argv builders, output
 * parsers, runners.
 *
 * Layer: adapters (README, "Map of the code").
 */
#include "slurm.h"

#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "names.h"
#include "spawn.h"
#include "target.h"


#define JOB_NAME_MAX 128
#define SHOWN_MAX 200           /* bytes of outside output in a message */
#define SBATCH_OUT_CAP ((size_t)4096)
#define SBATCH_ERR_CAP ((size_t)64 * 1024)
#define SQUEUE_OUT_CAP ((size_t)32 * 1024 * 1024)
#define SQUEUE_ERR_CAP ((size_t)64 * 1024)
#define FIND_CANDIDATES_MAX 8
#define FIND_COMMENT_MAX 1024
#define BEGIN_FACTOR_MAX 100       /* conf: job_delay_begin_factor */
#define POLL_INTERVAL_MAX 86400LL  /* conf: job_manager.poll_interval */

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static unsigned calls;

unsigned slurm_calls(void)
{
	return calls;
}

/* 1 if s is a non-empty string of printable ASCII without spaces: it
 * stays one word on one line of squeue's output. */
static int one_word(const char *s)
{
	if (!s || !*s)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

int slurm_job_comment(const char *instance, const char *delivery,
		      const struct target *t, char *out, size_t size)
{
	int n;

	if (size == 0)
		return -1;
	out[0] = '\0';
	if (!one_word(instance) || !one_word(delivery) || !t ||
	    !one_word(t->key))
		return -1;
	n = snprintf(out, size, "eessi-bot:%s:%s:%s", instance, delivery,
		     t->key);
	if (n < 0 || (size_t)n >= size) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}

/* "--begin=now+S" for delayed_begin: S = job_delay_begin_factor *
 * poll_interval seconds (both bounded by conf: at most 100 * 86400). */
static int begin_arg(const struct conf *c, char *out, size_t size,
		     struct err *e)
{
	long long f = c->buildenv.job_delay_begin_factor;
	long long p = c->job_manager.poll_interval;
	int n;

	if (f < 1 || f > BEGIN_FACTOR_MAX || p < 1 || p > POLL_INTERVAL_MAX)
		return err_set(e, ERR_CONFIG, "sbatch: job_delay_begin_factor "
			       "%lld or poll_interval %lld out of range", f, p);
	n = snprintf(out, size, "--begin=now+%lld", f * p);
	if (n < 0 || (size_t)n >= size)
		return err_set(e, ERR_TOOBIG, "sbatch: --begin does not fit");
	return 0;
}

int slurm_sbatch_argv(const struct conf *c, const struct target *t,
		      long long pr, const char *comment, struct slurm_argv *a,
		      struct err *e)
{
	const struct conf_buildenv *b = &c->buildenv;
	const struct conf_strv *params = &b->slurm_params;
	const struct conf_strv *extra;
	size_t i, need;
	int n, delayed;

	a->n = 0;
	a->v[0] = NULL;
	if (!t || !t->arch)
		return err_set(e, ERR_INVAL, "sbatch: no build target");
	if (!b->submit_command || !b->build_job_script)
		return err_set(e, ERR_CONFIG, "sbatch: buildenv.submit_command "
			       "or buildenv.build_job_script is not set");
	if (!comment || !*comment)
		return err_set(e, ERR_INVAL, "sbatch: no job comment");
	extra = &t->arch->sbatch;
	delayed = b->job_handover_protocol == CONF_HANDOVER_DELAYED_BEGIN;
	need = 5 + (size_t)delayed + params->n + extra->n;
	if (need > SLURM_ARGV_MAX)
		return err_set(e, ERR_TOOBIG, "sbatch: %zu arguments (at most "
			       "%d)", need, SLURM_ARGV_MAX);
	n = snprintf(a->comment, sizeof(a->comment), "--comment=%s", comment);
	if (n < 0 || (size_t)n >= sizeof(a->comment))
		return err_set(e, ERR_TOOBIG, "sbatch: job comment of %zu "
			       "bytes (at most %zu)", strlen(comment),
			       sizeof(a->comment) - 11);
	/* the name is for people: cut it, never fail on it */
	n = snprintf(a->job_name, sizeof(a->job_name),
		     "--job-name=bot-pr%lld-%.*s", pr, JOB_NAME_MAX, t->key);
	if (n > 11 + JOB_NAME_MAX)
		a->job_name[11 + JOB_NAME_MAX] = '\0';
	a->v[a->n++] = b->submit_command;
	a->v[a->n++] = "--parsable";
	a->v[a->n++] = a->job_name;
	a->v[a->n++] = a->comment;
	if (delayed) {
		if (begin_arg(c, a->begin, sizeof(a->begin), e) < 0) {
			a->n = 0;
			a->v[0] = NULL;
			return -1;
		}
		a->v[a->n++] = a->begin;
	}
	for (i = 0; i < params->n; i++)
		a->v[a->n++] = params->v[i];
	for (i = 0; i < extra->n; i++)
		a->v[a->n++] = extra->v[i];
	a->v[a->n++] = b->build_job_script;
	a->v[a->n] = NULL;
	return 0;
}

int slurm_argv_add(struct slurm_argv *a, const char *arg, struct err *e)
{
	if (a->n < 2)
		return err_set(e, ERR_INVAL, "sbatch: no argv to add to");
	if (a->n + 1 > SLURM_ARGV_MAX)
		return err_set(e, ERR_TOOBIG, "sbatch: more than %d arguments",
			       SLURM_ARGV_MAX);
	a->v[a->n] = a->v[a->n - 1];
	a->v[a->n - 1] = arg;
	a->v[++a->n] = NULL;
	return 0;
}

int slurm_parse_sbatch(const char *out, size_t len, long long *job_id,
		       struct err *e)
{
	char shown[SHOWN_MAX + 4];
	size_t idlen, i;

	*job_id = 0;
	if (len == 0 || out[len - 1] != '\n')
		goto bad;
	len--; /* the newline */
	for (idlen = 0; idlen < len && out[idlen] != ';'; idlen++)
		;
	/* ";CLUSTER": a cluster name, one printable word */
	if (idlen < len) {
		if (idlen + 1 == len)
			goto bad;
		for (i = idlen + 1; i < len; i++)
			if ((unsigned char)out[i] < 0x21 ||
			    (unsigned char)out[i] > 0x7e || out[i] == ';')
				goto bad;
	}
	if (names_jobid(out, idlen, job_id) == 0)
		return 0;
bad:
	*job_id = 0;
	names_shown(shown, sizeof(shown), out, len, SHOWN_MAX);
	return err_set(e, ERR_INVAL, "unexpected output of sbatch --parsable: "
		       "'%s' (expected a job id)", shown);
}

/* (slurm.h) */
void slurm_stderr_line(const struct buf *b, char *out, size_t size)
{
	const char *p = b->s, *end = b->s + b->len, *first = NULL, *pick = NULL;
	size_t n = 0, first_n = 0;

	while (p < end && !pick) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		/* cppcheck-suppress knownConditionTrueFalse ; false positive: an empty line has len 0 */
		if (len > 0 && !first) {
			first = p;
			first_n = len;
		}
		if (memmem(p, len, "error", 5)) {
			pick = p;
			n = len;
		}
		p += len + 1;
	}
	if (!pick) {
		pick = first ? first : "";
		n = first ? first_n : 0;
	}
	names_shown(out, size, pick, n, SHOWN_MAX);
}

/* (slurm.h) */
int slurm_unreachable(const struct buf *errout)
{
	static const char *const words[] = {
		"Unable to contact slurm controller",
		"Socket timed out on send/recv",
		"Zero Bytes were transmitted or received",
		"temporarily unable to accept job",
		"Connection refused", "Connection timed out",
	};
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (errout->len && memmem(errout->s, errout->len, words[i],
					  strlen(words[i])))
			return 1;
	return 0;
}

/* (slurm.h) */
int slurm_exit_error(const char *cmd, int status, const struct buf *errout,
		     struct err *e)
{
	char line[SHOWN_MAX + 4];

	slurm_stderr_line(errout, line, sizeof(line));
	return err_set(e, slurm_unreachable(errout) ? ERR_AGAIN : ERR_CHILD,
		       "%s exited %d: %s", cmd, status,
		       *line ? line : "(no message)");
}

/* (slurm.h) the fixed environment, the timeout, the count */
int slurm_run(const char *const *argv, const char *cwd, struct buf *out,
	      struct buf *errout, struct spawn_result *res, struct err *e)
{
	const char *envp[SPAWN_ENV_MAX + 1];
	struct spawn sp;

	spawn_env(SPAWN_ENV_SLURM, envp);
	memset(&sp, 0, sizeof(sp));
	sp.argv = argv;
	sp.envp = envp;
	sp.cwd = cwd;
	sp.out = out;
	sp.errout = errout;
	sp.timeout_ms = SLURM_TIMEOUT_MS;
	calls++;
	return spawn_run(&sp, res, e);
}

int slurm_submit(const struct slurm_argv *a, const char *job_dir,
		 long long *job_id, struct err *e)
{
	struct buf out = BUF_INIT(SBATCH_OUT_CAP);
	struct buf errout = BUF_INIT(SBATCH_ERR_CAP);
	struct spawn_result res = { 0 };
	struct err le = ERR_INIT;
	char line[SHOWN_MAX + 4];
	int rc = -1;

	*job_id = 0;
	if (a->n == 0 || !a->v[0] || !job_dir)
		return err_set(e, ERR_INVAL, "sbatch: no command or directory");
	/* a flood of warnings on stderr does not hide a job id on stdout */
	if (slurm_run(a->v, job_dir, &out, &errout, &res, &le) < 0 &&
	    !(le.code == ERR_TOOBIG && !res.out_truncated)) {
		/* a timeout: the controller did not answer in time (the job
		 * may be in: the caller looks before submitting again) */
		slurm_stderr_line(&errout, line, sizeof(line));
		err_set(e, le.code == ERR_TIMEOUT ? ERR_AGAIN : le.code,
			"%s%s%s", le.msg, *line ? ": " : "", line);
		goto out;
	}
	if (res.status != 0) {
		slurm_exit_error(a->v[0], res.status, &errout, e);
		goto out;
	}
	rc = slurm_parse_sbatch(out.s, out.len, job_id, e);
out:
	buf_release(&out);
	buf_release(&errout);
	return rc;
}

/* The job id on the line "ID COMMENT" of squeue's output whose comment is
 * exactly comment: 0 when the line is another job's, -1 when it has the
 * comment but no plain job id. */
static int line_match(const char *p, size_t len, const char *comment,
		      long long *job_id, struct err *e)
{
	const char *sp = memchr(p, ' ', len);
	size_t clen = strlen(comment);
	char shown[SHOWN_MAX + 4];

	if (!sp || len - (size_t)(sp - p) - 1 != clen ||
	    memcmp(sp + 1, comment, clen) != 0)
		return 0;
	if (names_jobid(p, (size_t)(sp - p), job_id) == 0)
		return 0;
	*job_id = 0;
	names_shown(shown, sizeof(shown), p, (size_t)(sp - p), 64);
	return err_set(e, ERR_INVAL, "squeue: job '%s' has the comment %s but "
		       "is not a plain job id", shown, comment);
}

struct candidates {
	long long id[FIND_CANDIDATES_MAX];
	size_t n;
};

/* The ids of the lines with comment, ascending, each once. */
static int candidates_of(const struct buf *out, const char *comment,
			 struct candidates *c, struct err *e)
{
	const char *p = out->s, *end = out->s + out->len;

	c->n = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p), i;
		long long id = 0;

		p += len + 1;
		if (line_match(p - len - 1, len, comment, &id, e) < 0)
			return -1;
		if (id == 0)
			continue;
		for (i = 0; i < c->n && c->id[i] < id; i++)
			;
		if (i < c->n && c->id[i] == id)
			continue;
		if (c->n == FIND_CANDIDATES_MAX)
			return err_set(e, ERR_TOOBIG, "squeue: more than %d "
				       "jobs with the comment %s",
				       FIND_CANDIDATES_MAX, comment);
		memmove(&c->id[i + 1], &c->id[i],
			(c->n - i) * sizeof(c->id[0]));
		c->id[i] = id;
		c->n++;
	}
	return 0;
}

/* Whether job id really has exactly comment: a comment spanning lines
 * could otherwise hold a line that looks like another job's.  0 with *yes
 * (0 also when the job is unknown by now), -1 on error. */
static int confirm(const char *poll_command, long long id,
		   const char *comment, int *yes, struct err *e)
{
	char idstr[24];
	const char *argv[] = { poll_command, "--me", "-h", "-t", "all", "-j",
			       idstr, "-o", "%k", NULL };
	struct buf out = BUF_INIT((size_t)FIND_COMMENT_MAX + 2);
	struct buf errout = BUF_INIT(SQUEUE_ERR_CAP);
	struct spawn_result res = { 0 };
	struct err le = ERR_INIT;
	size_t clen = strlen(comment);
	int rc = -1;

	*yes = 0;
	snprintf(idstr, sizeof(idstr), "%lld", id);
	if (slurm_run(argv, NULL, &out, &errout, &res, &le) < 0) {
		/* output beyond the cap: not a comment of ours */
		if (le.code == ERR_TOOBIG && !res.err_truncated)
			rc = 0;
		else
			err_set(e, le.code, "%s", le.msg);
		goto out;
	}
	if (res.status != 0 && !memmem(errout.s, errout.len,
				       "Invalid job id", 14)) {
		slurm_exit_error(poll_command, res.status, &errout, e);
		goto out;
	}
	*yes = res.status == 0 && out.len == clen + 1 &&
	       memcmp(out.s, comment, clen) == 0 && out.s[clen] == '\n';
	rc = 0;
out:
	buf_release(&out);
	buf_release(&errout);
	return rc;
}

int slurm_find(const char *poll_command, const char *comment,
	       long long *job_id, struct err *e)
{
	/* %k without a width prints the comment unabridged (-O would cut
	 * it at its width and pad it with spaces) */
	const char *argv[] = { poll_command, "--me", "-h", "-t", "all", "-o",
			       "%i %k", NULL };
	struct buf out = BUF_INIT(SQUEUE_OUT_CAP);
	struct buf errout = BUF_INIT(SQUEUE_ERR_CAP);
	struct spawn_result res = { 0 };
	struct candidates c;
	struct err le = ERR_INIT;
	int rc = -1, yes = 0;

	*job_id = 0;
	if (!poll_command || !*poll_command)
		return err_set(e, ERR_CONFIG, "squeue: no poll_command");
	if (!one_word(comment) || strlen(comment) > FIND_COMMENT_MAX)
		return err_set(e, ERR_INVAL, "squeue: not a job comment of the "
			       "bot (one word of printable ASCII)");
	if (slurm_run(argv, NULL, &out, &errout, &res, &le) < 0) {
		/* a controller that does not answer in time is away */
		err_set(e, le.code == ERR_TIMEOUT ? ERR_AGAIN : le.code, "%s",
			le.msg);
		goto out;
	}
	if (res.status != 0) {
		slurm_exit_error(poll_command, res.status, &errout, e);
		goto out;
	}
	if (candidates_of(&out, comment, &c, e) < 0)
		goto out;
	/* the first submitted, should there be several */
	for (size_t i = 0; i < c.n && !yes; i++) {
		if (confirm(poll_command, c.id[i], comment, &yes, e) < 0)
			goto out;
		if (yes)
			*job_id = c.id[i];
	}
	rc = 0;
out:
	buf_release(&out);
	buf_release(&errout);
	return rc;
}
