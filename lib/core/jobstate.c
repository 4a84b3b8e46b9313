/* jobstate.c - a job's state: names, and the transition table the manager
 * follows (jobstate.h).
 * Layer: core (README, "Map of the code"). */
#include "jobstate.h"

#include <string.h>

static const char *const names[JS_COUNT] = {
	[JS_OTHER] = "",
	[JS_PREPARING] = "preparing",
	[JS_NOT_SUBMITTED] = "not submitted",
	[JS_SUBMITTED] = "submitted",
	[JS_HELD] = "held",
	[JS_RELEASED] = "released",
	[JS_PENDING] = "pending",
	[JS_RUNNING] = "running",
	[JS_SUSPENDED] = "suspended",
	[JS_FINISHED] = "finished",
	[JS_LOST] = "lost",
};

const char *jobstate_name(enum job_state s)
{
	return (unsigned)s < JS_COUNT ? names[s] : "";
}

enum job_state jobstate_of(const char *name)
{
	if (!name || !*name)
		return JS_OTHER;
	for (unsigned s = 1; s < JS_COUNT; s++) /* first letters differ mostly */
		if (names[s][0] == name[0] && strcmp(names[s], name) == 0)
			return (enum job_state)s;
	return JS_OTHER;
}

int jobstate_over(enum job_state s)
{
	return s == JS_FINISHED || s == JS_LOST;
}

#define S(x) (1u << (x))
#define ANY (~(S(JS_FINISHED) | S(JS_LOST))) /* over: no way out */

/* Read top down: for what Slurm says, the first row whose states and
 * condition match decides; none, and the row stays. */
static const struct jobstate_rule rules[] = {
	/* the bot's own hold on a row the build made: release it */
	{ S(JS_HELD) | S(JS_SUBMITTED), SEEN_HELD_BY_BOT, WHEN_FRESH_HOLD,
	  JS_RELEASED, 1, 0, "released" },
	/* any other hold (or the bot's own, seen again): shown, once per
	 * reason; never released */
	{ ANY, SEEN_HELD_BY_BOT, WHEN_NEW_REASON, JS_HELD, 0, 1, "held in Slurm: " },
	{ ANY, SEEN_HELD, WHEN_NEW_REASON, JS_HELD, 0, 1, "held in Slurm: " },
	/* it runs: once (the note says since when) */
	{ ANY, SEEN_RUNNING, WHEN_NEW_STATE, JS_RUNNING, 0, 1, "since " },
	{ ANY, SEEN_SUSPENDED, WHEN_NEW_STATE, JS_SUSPENDED, 0, 1, "Slurm: " },
	/* pending: released by someone else, requeued, or waiting long
	 * enough for its reason to be worth showing */
	{ S(JS_HELD), SEEN_PENDING, WHEN_ALWAYS, JS_RELEASED, 0, 0, "released" },
	{ S(JS_RUNNING) | S(JS_SUSPENDED), SEEN_PENDING, WHEN_ALWAYS, JS_PENDING,
	  0, 1, "requeued; Slurm: " },
	{ ANY, SEEN_PENDING, WHEN_WAITED_REASON, JS_PENDING, 0, 1, "waiting: " },
};

const struct jobstate_rule *jobstate_next(enum job_state from,
					  enum job_seen seen,
					  int (*cond)(void *arg,
						      const struct jobstate_rule *r),
					  void *arg)
{
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		const struct jobstate_rule *r = &rules[i];

		if (r->seen == seen && (r->from & S(from)) &&
		    (r->when == WHEN_ALWAYS || cond(arg, r)))
			return r;
	}
	return NULL;
}

const struct jobstate_rule *jobstate_rules(unsigned *n)
{
	*n = sizeof(rules) / sizeof(rules[0]);
	return rules;
}
