/* jobstate.h - a job's state as its row shows it: one enum, one table of
 * names, and the one transition table the manager follows.
 *
 * The names are what the status documents, the comments and the records
 * hold on disk ("held", "released", ...), unchanged.  The build writes
 * preparing, not submitted, held (hold_release) or submitted
 * (delayed_begin); the manager moves a row on by what Slurm says of the
 * job (enum job_seen) through jobstate_next(); finished and lost are over
 * (the manager reads the job's results, or gives it up, before showing
 * them: lib/flows/manager.c).  The verdict (SUCCESS, ...) and Slurm's own
 * state are kept apart from the state, in the row and the record.
 */
#ifndef EESSI_JOBSTATE_H
#define EESSI_JOBSTATE_H

enum job_state {
	JS_OTHER = 0,     /* a word this version does not write */
	JS_PREPARING,
	JS_NOT_SUBMITTED,
	JS_SUBMITTED,
	JS_HELD,
	JS_RELEASED,
	JS_PENDING,
	JS_RUNNING,
	JS_SUSPENDED,
	JS_FINISHED,
	JS_LOST,
	JS_COUNT
};

/* "held", ...; "" for JS_OTHER and out of range. */
const char *jobstate_name(enum job_state s);

/* The state of a name, JS_OTHER for any other word (NULL included). */
enum job_state jobstate_of(const char *name);

/* 1 for finished and lost: the row does not change any more. */
int jobstate_over(enum job_state s);

/* What Slurm says of a job that is not over, as the table reads it. */
enum job_seen {
	SEEN_HELD_BY_BOT, /* held by the bot's own --hold (JobHeldUser), and
			   * the instance releases jobs */
	SEEN_HELD,        /* held otherwise (an administrator, held again) */
	SEEN_RUNNING,     /* RUNNING, COMPLETING, CONFIGURING, ... */
	SEEN_SUSPENDED,   /* SUSPENDED, STOPPED */
	SEEN_PENDING,     /* pending in any other form (PENDING, REQUEUED) */
	SEEN_COUNT
};

/* When a row of the table applies (beyond its states). */
enum jobstate_when {
	WHEN_ALWAYS,
	WHEN_NEW_STATE,     /* the row is in another state */
	WHEN_NEW_REASON,    /* another state, or another Slurm reason */
	WHEN_FRESH_HOLD,    /* no reason shown yet (the build's hold) */
	WHEN_WAITED_REASON, /* pending_after passed, Slurm gives a reason
			     * ("None" is none) not shown yet - and not the
			     * BeginTime of a submitted (delayed_begin) job */
};

/* One transition: from a set of states, on what Slurm says, when the
 * condition holds, the row becomes `to` with the note (its text, then,
 * with_arg, Slurm's reason, state or the start time), and with release
 * set the manager releases the job first. */
struct jobstate_rule {
	unsigned from;            /* 1u << JS_... for each state it leaves */
	enum job_seen seen;
	enum jobstate_when when;
	enum job_state to;
	int release;
	int with_arg;
	const char *note;
};

/* The first rule of the table for (from, seen) whose condition holds
 * (WHEN_ALWAYS, or cond(arg, rule) says so), or NULL: the row stays as it
 * is. */
const struct jobstate_rule *jobstate_next(enum job_state from,
					  enum job_seen seen,
					  int (*cond)(void *arg,
						      const struct jobstate_rule *r),
					  void *arg);

/* The whole table, for its documentation and tests (*n rules). */
const struct jobstate_rule *jobstate_rules(unsigned *n);

#endif
