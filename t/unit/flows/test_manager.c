/* test_manager.c - the manager's pure parts: what to do about one job
 * (manager_decide: every rule of manager.h, including the ones that keep
 * the PR quiet) and the -j list. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jobstate.h"
#include "manager.h"
#include "unit.h"

#define NOW 1795000000LL

static const struct manager_limits lim = {
	.release = 1, .pending_after = 600, .lost_after = 900,
};

static struct cdoc_row mkrow(const char *state, const char *reason,
			     long long changed_at)
{
	struct cdoc_row r;

	memset(&r, 0, sizeof(r));
	snprintf(r.target, sizeof(r.target), "linux/x86_64/generic");
	snprintf(r.key, sizeof(r.key), "linux_x86_64_generic");
	r.job_id = 1001;
	snprintf(r.state, sizeof(r.state), "%s", state);
	snprintf(r.reason, sizeof(r.reason), "%s", reason);
	r.changed_at = changed_at;
	return r;
}

static struct slurmq_job mkjob(enum slurmq_state st, const char *reason,
			       int held)
{
	struct slurmq_job j;

	memset(&j, 0, sizeof(j));
	j.id = 1001;
	j.state = st;
	snprintf(j.reason, sizeof(j.reason), "%s", reason);
	j.held = held;
	j.exit_code = -1;
	j.exit_signal = -1;
	return j;
}

static struct manager_step decide(const struct cdoc_row *row,
				  const struct slurmq_job *sj, int result_file,
				  long long now, const struct manager_limits *l)
{
	struct manager_step s;

	ck_assert_int_eq(manager_decide(row, sj, result_file, now, l, &s), 0);
	return s;
}

START_TEST(held_is_released_once)
{
	struct cdoc_row row = mkrow("held", "", NOW - 5);
	struct slurmq_job j = mkjob(SQ_PENDING, "JobHeldUser", 1);
	struct manager_step s = decide(&row, &j, 0, NOW, &lim);

	ck_assert_int_eq(s.act, MGR_RELEASE);
	ck_assert_str_eq(s.state, "released");
	/* delayed_begin: the bot never releases; the hold is shown */
	{
		struct manager_limits l = lim;

		l.release = 0;
		s = decide(&row, &j, 0, NOW, &l);
		ck_assert_int_eq(s.act, MGR_SHOW);
		ck_assert_str_eq(s.state, "held");
		ck_assert_str_eq(s.reason, "JobHeldUser");
	}
	/* held by an administrator: not ours to release */
	j = mkjob(SQ_PENDING, "JobHeldAdmin", 1);
	s = decide(&row, &j, 0, NOW, &lim);
	ck_assert_int_eq(s.act, MGR_SHOW);
	ck_assert_str_eq(s.reason, "JobHeldAdmin");
	ck_assert_ptr_nonnull(strstr(s.note, "JobHeldAdmin"));
	/* ... shown once */
	row = mkrow("held", "JobHeldAdmin", NOW - 5);
	s = decide(&row, &j, 0, NOW, &lim);
	ck_assert_int_eq(s.act, MGR_NONE);
	/* held again after our release: shown, never released again */
	row = mkrow("released", "", NOW - 5);
	j = mkjob(SQ_PENDING, "JobHeldUser", 1);
	s = decide(&row, &j, 0, NOW, &lim);
	ck_assert_int_eq(s.act, MGR_SHOW);
	ck_assert_str_eq(s.state, "held");
	/* ... and once shown, never released either */
	row = mkrow("held", "JobHeldUser", NOW - 5);
	s = decide(&row, &j, 0, NOW, &lim);
	ck_assert_int_eq(s.act, MGR_NONE);
	row = mkrow("running", "", NOW - 5);
	s = decide(&row, &j, 0, NOW, &lim);
	ck_assert_int_eq(s.act, MGR_SHOW);
}
END_TEST

START_TEST(released_elsewhere)
{
	/* a held row whose job pends unheld: someone released it (or our
	 * release went through before a crash) */
	struct cdoc_row row = mkrow("held", "", NOW - 5);
	struct slurmq_job j = mkjob(SQ_PENDING, "Priority", 0);
	struct manager_step s = decide(&row, &j, 0, NOW, &lim);

	ck_assert_int_eq(s.act, MGR_SHOW);
	ck_assert_str_eq(s.state, "released");
}
END_TEST

START_TEST(running_changes_once)
{
	struct cdoc_row row = mkrow("released", "", NOW - 30);
	struct slurmq_job j = mkjob(SQ_RUNNING, "None", 0);
	struct manager_step s;

	j.start = NOW - 10;
	s = decide(&row, &j, 0, NOW, &lim);
	ck_assert_int_eq(s.act, MGR_SHOW);
	ck_assert_str_eq(s.state, "running");
	ck_assert_ptr_nonnull(strstr(s.note, "since "));
	ck_assert_ptr_nonnull(strstr(s.note, "UTC"));
	row = mkrow("running", "", NOW - 10);
	s = decide(&row, &j, 0, NOW + 3600, &lim);
	ck_assert_int_eq(s.act, MGR_NONE);
	j.state = SQ_COMPLETING;
	s = decide(&row, &j, 0, NOW + 3600, &lim);
	ck_assert_int_eq(s.act, MGR_NONE);
	/* straight from held to running (released by hand, started) */
	row = mkrow("held", "", NOW - 10);
	j.state = SQ_RUNNING;
	s = decide(&row, &j, 0, NOW, &lim);
	ck_assert_str_eq(s.state, "running");
	/* no start time known: no "since" */
	j.start = 0;
	s = decide(&row, &j, 0, NOW, &lim);
	ck_assert_str_eq(s.note, "");
	/* suspended, once */
	row = mkrow("running", "", NOW - 10);
	j.state = SQ_SUSPENDED;
	s = decide(&row, &j, 0, NOW, &lim);
	ck_assert_str_eq(s.state, "suspended");
	row = mkrow("suspended", "", NOW - 10);
	s = decide(&row, &j, 0, NOW, &lim);
	ck_assert_int_eq(s.act, MGR_NONE);
}
END_TEST

START_TEST(pending_reason_after_a_while)
{
	struct cdoc_row row = mkrow("released", "", NOW - 599);
	struct slurmq_job j = mkjob(SQ_PENDING, "Resources", 0);
	struct manager_step s = decide(&row, &j, 0, NOW, &lim);

	ck_assert_int_eq(s.act, MGR_NONE); /* not long yet */
	row.changed_at = NOW - 600;
	s = decide(&row, &j, 0, NOW, &lim);
	ck_assert_int_eq(s.act, MGR_SHOW);
	ck_assert_str_eq(s.state, "pending");
	ck_assert_str_eq(s.reason, "Resources");
	ck_assert_ptr_nonnull(strstr(s.note, "Resources"));
	/* shown: quiet while the reason stays */
	row = mkrow("pending", "Resources", NOW - 3000);
	s = decide(&row, &j, 0, NOW, &lim);
	ck_assert_int_eq(s.act, MGR_NONE);
	/* a new reason is a change, once the last change is old enough */
	j = mkjob(SQ_PENDING, "Priority", 0);
	s = decide(&row, &j, 0, NOW, &lim);
	ck_assert_int_eq(s.act, MGR_SHOW);
	ck_assert_str_eq(s.reason, "Priority");
	row.changed_at = NOW - 10;
	s = decide(&row, &j, 0, NOW, &lim);
	ck_assert_int_eq(s.act, MGR_NONE);
	/* "None" and "" say nothing */
	row = mkrow("released", "", NOW - 5000);
	j = mkjob(SQ_PENDING, "None", 0);
	ck_assert_int_eq(decide(&row, &j, 0, NOW, &lim).act, MGR_NONE);
	j = mkjob(SQ_PENDING, "", 0);
	ck_assert_int_eq(decide(&row, &j, 0, NOW, &lim).act, MGR_NONE);
	/* delayed_begin: waiting for its begin time is the plan */
	row = mkrow("submitted", "", NOW - 5000);
	j = mkjob(SQ_PENDING, "BeginTime", 0);
	ck_assert_int_eq(decide(&row, &j, 0, NOW, &lim).act, MGR_NONE);
	j = mkjob(SQ_PENDING, "Resources", 0);
	ck_assert_int_eq(decide(&row, &j, 0, NOW, &lim).act, MGR_SHOW);
	/* requeued: back from running to pending */
	row = mkrow("running", "", NOW - 5);
	j = mkjob(SQ_PENDING, "BeginTime", 0);
	s = decide(&row, &j, 0, NOW, &lim);
	ck_assert_str_eq(s.state, "pending");
	ck_assert_ptr_nonnull(strstr(s.note, "requeued"));
}
END_TEST

START_TEST(terminal_finishes)
{
	static const enum slurmq_state ends[] = {
		SQ_COMPLETED, SQ_FAILED, SQ_TIMEOUT, SQ_CANCELLED,
		SQ_OUT_OF_MEMORY, SQ_NODE_FAIL,
	};
	static const char *const from[] = { "held", "released", "pending",
					    "running", "suspended" };

	for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++)
		for (size_t k = 0; k < sizeof(from) / sizeof(from[0]); k++) {
			struct cdoc_row row = mkrow(from[k], "", NOW - 5);
			struct slurmq_job j = mkjob(ends[i], "None", 0);
			struct manager_step s;

			j.exit_code = 3;
			j.exit_signal = 0;
			s = decide(&row, &j, 0, NOW, &lim);
			ck_assert_int_eq(s.act, MGR_FINISH);
			ck_assert_int_eq(s.end, ends[i]);
			ck_assert_int_eq(s.exit_code, 3);
		}
	/* a job cancelled while held keeps its hold reason: still over */
	{
		struct cdoc_row row = mkrow("held", "", NOW - 5);
		struct slurmq_job j = mkjob(SQ_CANCELLED, "JobHeldUser", 0);

		ck_assert_int_eq(decide(&row, &j, 0, NOW, &lim).act, MGR_FINISH);
	}
}
END_TEST

START_TEST(over_rows_just_move)
{
	struct cdoc_row row = mkrow("finished", "", NOW - 5);
	struct slurmq_job j = mkjob(SQ_COMPLETED, "None", 0);

	ck_assert_int_eq(decide(&row, &j, 0, NOW, &lim).act, MGR_MOVE);
	ck_assert_int_eq(decide(&row, NULL, 0, NOW, &lim).act, MGR_MOVE);
	row = mkrow("lost", "", NOW - 5);
	ck_assert_int_eq(decide(&row, NULL, 1, NOW, &lim).act, MGR_MOVE);
}
END_TEST

START_TEST(missing_then_judged)
{
	struct cdoc_row row = mkrow("running", "", NOW - 50);
	struct manager_step s = decide(&row, NULL, 0, NOW, &lim);
	struct slurmq_job j = mkjob(SQ_RUNNING, "None", 0);

	/* first miss: noted quietly, no edit */
	ck_assert_int_eq(s.act, MGR_QUIET);
	ck_assert_int_eq(s.missing_since, NOW);
	row.missing_since = NOW;
	s = decide(&row, NULL, 0, NOW + 899, &lim);
	ck_assert_int_eq(s.act, MGR_NONE);
	ck_assert_int_eq(s.missing_since, NOW);
	s = decide(&row, NULL, 0, NOW + 900, &lim);
	ck_assert_int_eq(s.act, MGR_FINISH);
	ck_assert_int_eq(s.end, SQ_OTHER);
	/* seen again: the count starts over */
	s = decide(&row, &j, 0, NOW + 10, &lim);
	ck_assert_int_eq(s.act, MGR_QUIET);
	ck_assert_int_eq(s.missing_since, 0);
	/* a result file: no need to wait */
	row.missing_since = 0;
	s = decide(&row, NULL, 1, NOW, &lim);
	ck_assert_int_eq(s.act, MGR_FINISH);
	ck_assert_int_eq(s.end, SQ_OTHER);
	/* lost_after 0: judged at once */
	{
		struct manager_limits l = lim;

		l.lost_after = 0;
		row.missing_since = NOW;
		ck_assert_int_eq(decide(&row, NULL, 0, NOW, &l).act, MGR_FINISH);
	}
}
END_TEST

START_TEST(decide_bad_args)
{
	struct cdoc_row row = mkrow("held", "", NOW);
	struct manager_step s;

	ck_assert_int_eq(manager_decide(NULL, NULL, 0, NOW, &lim, &s), -1);
	ck_assert_int_eq(manager_decide(&row, NULL, 0, NOW, NULL, &s), -1);
	ck_assert_int_eq(manager_decide(&row, NULL, 0, NOW, &lim, NULL), -1);
}
END_TEST

START_TEST(parse_ids)
{
	struct err e = ERR_INIT;
	long long *ids = NULL;
	size_t n = 0;
	static const char *const bad[] = {
		"", "abc", "1,,2", "0", "-5", "5000000000", "1x", ",1", "1,",
		"12345678901", "1;2", "1 2",
	};

	ck_assert_int_eq(manager_parse_ids("1001", &ids, &n, &e), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(ids[0], 1001);
	free(ids);
	ck_assert_int_eq(manager_parse_ids("7, 8 ,4294967295", &ids, &n, &e), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(ids[2], 4294967295LL);
	free(ids);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear(&e);
		ck_assert_msg(manager_parse_ids(bad[i], &ids, &n, &e) == -1,
			      "'%s' accepted", bad[i]);
		ck_assert_ptr_null(ids);
		ck_assert_int_eq(e.code, ERR_INVAL);
	}
	err_clear(&e);
	ck_assert_int_eq(manager_parse_ids("1,abc", &ids, &n, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "'abc'"));
	ck_assert_int_eq(manager_parse_ids(NULL, &ids, &n, &e), -1);
}
END_TEST

START_TEST(parse_ids_cap)
{
	size_t len = (size_t)(SLURMQ_IDS_MAX + 1) * 2;
	char *s = malloc(len);
	struct err e = ERR_INIT;
	long long *ids = NULL;
	size_t n;

	ck_assert_ptr_nonnull(s);
	for (size_t i = 0; i < SLURMQ_IDS_MAX; i++) {
		s[2 * i] = '7';
		s[2 * i + 1] = ',';
	}
	s[2 * SLURMQ_IDS_MAX - 1] = '\0';
	ck_assert_int_eq(manager_parse_ids(s, &ids, &n, &e), 0);
	ck_assert_uint_eq(n, SLURMQ_IDS_MAX);
	free(ids);
	s[2 * SLURMQ_IDS_MAX - 1] = ',';
	s[2 * SLURMQ_IDS_MAX] = '7';
	s[2 * SLURMQ_IDS_MAX + 1] = '\0';
	ck_assert_int_eq(manager_parse_ids(s, &ids, &n, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "more than"));
	free(s);
}
END_TEST

START_TEST(peak_rss)
{
	static const char status[] = "Name:\teessi-bot-manag\nVmPeak:\t  20000 kB\n"
				     "VmHWM:\t    9816 kB\nVmRSS:\t    9000 kB\n";

	ck_assert_int_eq(manager_parse_vmhwm(status, strlen(status)), 9816);
	ck_assert_int_eq(manager_parse_vmhwm("VmRSS:\t 1 kB\n", 14), -1);
	ck_assert_int_eq(manager_parse_vmhwm("VmHWM:\t kB\n", 12), -1);
	ck_assert_int_eq(manager_parse_vmhwm("VmHWM:\t 12", 11), -1);
	ck_assert_int_eq(manager_parse_vmhwm("", 0), -1);
	/* this process's own: a positive figure, not more than its VmPeak */
	ck_assert_int_gt(manager_peak_rss_kb(), 0);
}
END_TEST

/* The state names are what is on disk, both ways; the transition table
 * never leaves a state that is over, never enters one (the manager reads
 * the results first), and releases only from the build's own states. */
START_TEST(state_table)
{
	static const char *const on_disk[] = { "preparing", "not submitted",
		"submitted", "held", "released", "pending", "running",
		"suspended", "finished", "lost" };
	const struct jobstate_rule *r;
	unsigned n;

	for (size_t i = 0; i < sizeof(on_disk) / sizeof(on_disk[0]); i++) {
		enum job_state st = jobstate_of(on_disk[i]);

		ck_assert_int_ne(st, JS_OTHER);
		ck_assert_str_eq(jobstate_name(st), on_disk[i]);
	}
	ck_assert_int_eq(jobstate_of("Held"), JS_OTHER);
	ck_assert_int_eq(jobstate_of(NULL), JS_OTHER);
	ck_assert_str_eq(jobstate_name(JS_COUNT), "");
	ck_assert(jobstate_over(JS_FINISHED) && jobstate_over(JS_LOST));
	ck_assert(!jobstate_over(JS_RUNNING));
	r = jobstate_rules(&n);
	ck_assert_uint_gt(n, 0);
	for (unsigned i = 0; i < n; i++) {
		ck_assert(!(r[i].from & (1u << JS_FINISHED)));
		ck_assert(!(r[i].from & (1u << JS_LOST)));
		ck_assert(!jobstate_over(r[i].to));
		ck_assert(*r[i].note);
		if (r[i].release)
			ck_assert(r[i].from == ((1u << JS_HELD) | (1u << JS_SUBMITTED)));
	}
}
END_TEST

Suite *manager_suite(void)
{
	Suite *s = suite_create("manager");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, held_is_released_once);
	tcase_add_test(tc, released_elsewhere);
	tcase_add_test(tc, running_changes_once);
	tcase_add_test(tc, pending_reason_after_a_while);
	tcase_add_test(tc, terminal_finishes);
	tcase_add_test(tc, over_rows_just_move);
	tcase_add_test(tc, missing_then_judged);
	tcase_add_test(tc, decide_bad_args);
	tcase_add_test(tc, parse_ids);
	tcase_add_test(tc, parse_ids_cap);
	tcase_add_test(tc, peak_rss);
	tcase_add_test(tc, state_table);
	suite_add_tcase(s, tc);
	return s;
}
