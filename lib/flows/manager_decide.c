/* manager_decide.c - what the manager does about one job
 * (manager_decide(): Slurm's word read, then the transition table of
 * lib/core/jobstate.c).  Pure: unit-tested alone
 * (t/unit/flows/test_manager.c).
 * Layer: flows (README, "Map of the code"). */
#include "manager_decide.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "jobstate.h"
#include "names.h"

/* ---- deciding --------------------------------------------------------- */

static int row_over(const struct cdoc_row *row)
{
	return jobstate_over(jobstate_of(row->state));
}

static int running_like(enum slurmq_state st)
{
	switch (st) {
	case SQ_RUNNING:
	case SQ_COMPLETING:
	case SQ_CONFIGURING:
	case SQ_STAGE_OUT:
	case SQ_SIGNALING:
	case SQ_RESIZING:
		return 1;
	default:
		return 0;
	}
}

static void step_show(struct manager_step *out, const char *state,
		      const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void step_show(struct manager_step *out, const char *state,
		      const char *reason, const char *fmt, ...)
{
	va_list ap;

	out->act = MGR_SHOW;
	snprintf(out->state, sizeof(out->state), "%s", state);
	snprintf(out->reason, sizeof(out->reason), "%s", reason);
	va_start(ap, fmt);
	vsnprintf(out->note, sizeof(out->note), fmt, ap);
	va_end(ap);
}


/* What Slurm says of a job that is not over, for the transition table. */
static enum job_seen seen_of(const struct slurmq_job *sj,
			     const struct manager_limits *lim)
{
	if (sj->held)
		return strcmp(sj->reason, "JobHeldUser") == 0 && lim->release
			       ? SEEN_HELD_BY_BOT : SEEN_HELD;
	if (running_like(sj->state))
		return SEEN_RUNNING;
	if (sj->state == SQ_SUSPENDED || sj->state == SQ_STOPPED)
		return SEEN_SUSPENDED;
	return SEEN_PENDING;
}

/* The conditions of the table's rules, for one job. */
struct decide_in {
	const struct cdoc_row *row;
	const struct slurmq_job *sj;
	long long now;
	const struct manager_limits *lim;
};

static int decide_cond(void *arg, const struct jobstate_rule *r)
{
	const struct decide_in *in = arg;
	const struct cdoc_row *row = in->row;
	const char *reason = in->sj->reason;
	int same = jobstate_of(row->state) == r->to;

	switch (r->when) {
	case WHEN_ALWAYS:
		return 1;
	case WHEN_NEW_STATE:
		return !same;
	case WHEN_NEW_REASON:
		return !same || strcmp(row->reason, reason) != 0;
	case WHEN_FRESH_HOLD:
		return !*row->reason;
	case WHEN_WAITED_REASON:
		return in->now - row->changed_at >= in->lim->pending_after &&
		       *reason && strcmp(reason, "None") != 0 &&
		       strcmp(reason, row->reason) != 0 &&
		       !(jobstate_of(row->state) == JS_SUBMITTED &&
			 strcmp(reason, "BeginTime") == 0);
	}
	return 0;
}

/* The string a rule's note shows: Slurm's reason, its state or the
 * start. */
static void note_arg(const struct jobstate_rule *r, const struct slurmq_job *sj,
		     char *out, size_t size)
{
	switch (r->to) {
	case JS_RUNNING:
		clock_utc_text(sj->start, out, size);
		break;
	case JS_SUSPENDED:
		snprintf(out, size, "%s", slurmq_state_name(sj->state));
		break;
	default:
		snprintf(out, size, "%s",
			 *sj->reason ? sj->reason : slurmq_state_name(sj->state));
	}
}

/* The job is gone from Slurm, or over there: judged now or later. */
static void decide_end(const struct cdoc_row *row, const struct slurmq_job *sj,
		       int result_file, long long now,
		       const struct manager_limits *lim, struct manager_step *out)
{
	if (!sj) {
		if (!result_file && row->missing_since == 0) {
			out->act = MGR_QUIET;
			out->missing_since = now;
		} else if (result_file ||
			   now - row->missing_since >= lim->lost_after) {
			out->act = MGR_FINISH;
		}
		return;
	}
	out->act = MGR_FINISH;
	out->end = sj->state;
	out->exit_code = sj->exit_code;
	out->exit_signal = sj->exit_signal;
}

/* A step that changes nothing: the row as it is. */
static void step_init(struct manager_step *out, const struct cdoc_row *row)
{
	memset(out, 0, sizeof(*out));
	out->act = MGR_NONE;
	out->end = SQ_OTHER;
	out->exit_code = out->exit_signal = -1;
	out->missing_since = row->missing_since;
	snprintf(out->state, sizeof(out->state), "%s", row->state);
	snprintf(out->reason, sizeof(out->reason), "%s", row->reason);
}

int manager_decide(const struct cdoc_row *row, const struct slurmq_job *sj,
		   int result_file, long long now,
		   const struct manager_limits *lim, struct manager_step *out)
{
	struct decide_in in = { row, sj, now, lim };
	const struct jobstate_rule *r;
	char arg[64];

	if (!row || !lim || !out)
		return -1;
	step_init(out, row);
	if (row_over(row)) {
		out->act = MGR_MOVE;
		return 0;
	}
	if (sj && row->missing_since != 0) {
		out->missing_since = 0;
		out->act = MGR_QUIET;
	}
	if (!sj || slurmq_state_terminal(sj->state)) {
		decide_end(row, sj, result_file, now, lim, out);
		return 0;
	}
	r = jobstate_next(jobstate_of(row->state), seen_of(sj, lim), decide_cond, &in);
	if (!r)
		return 0;
	note_arg(r, sj, arg, sizeof(arg));
	if (r->to == JS_RUNNING && sj->start <= 0) /* no start known: no note */
		step_show(out, jobstate_name(r->to), "", "%s", "");
	else
		step_show(out, jobstate_name(r->to),
			  r->to == JS_HELD || r->to == JS_PENDING ? sj->reason : "",
			  "%s%s", r->note, r->with_arg ? arg : "");
	if (r->release)
		out->act = MGR_RELEASE;
	return 0;
}

