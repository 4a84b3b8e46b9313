#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "xio.h"

#include "spawn.h"
#include "unit.h"

static const char *const env[] = { "PATH=/usr/bin:/bin", "LC_ALL=C", NULL };

static int run(const char *const *argv, struct buf *out, struct buf *errb,
	       int timeout_ms, struct spawn_result *res, struct err *e)
{
	struct spawn sp = { argv, env, NULL, NULL, 0, out, errb, timeout_ms, NULL };

	return spawn_run(&sp, res, e);
}

START_TEST(captures_stdout_stderr_and_status)
{
	const char *const argv[] = { "sh", "-c", "echo out; echo err >&2; exit 3",
				     NULL };
	struct buf out = BUF_INIT(1024), errb = BUF_INIT(1024);
	struct spawn_result res;
	struct err e = ERR_INIT;

	ck_assert_int_eq(run(argv, &out, &errb, 5000, &res, &e), 0);
	ck_assert_int_eq(res.status, 3);
	ck_assert_str_eq(out.s, "out\n");
	ck_assert_str_eq(errb.s, "err\n");
	ck_assert_int_eq(res.timed_out, 0);
	buf_release(&out);
	buf_release(&errb);
}
END_TEST

START_TEST(argv_is_not_a_shell_string)
{
	/* a hostile value reaches the child as one argument, unexpanded */
	const char *hostile = "zzz\";echo${IFS}\"hello\";#$(id)`id`";
	const char *const argv[] = { "printf", "%s", hostile, NULL };
	struct buf out = BUF_INIT(1024);
	struct spawn_result res;
	struct err e = ERR_INIT;

	ck_assert_int_eq(run(argv, &out, NULL, 5000, &res, &e), 0);
	ck_assert_int_eq(res.status, 0);
	ck_assert_str_eq(out.s, hostile);
	buf_release(&out);
}
END_TEST

START_TEST(environment_is_only_what_is_given)
{
	const char *const argv[] = { "env", NULL };
	struct buf out = BUF_INIT(4096);
	struct spawn_result res;
	struct err e = ERR_INIT;

	setenv("EESSI_SECRET_SHOULD_NOT_PASS", "x", 1);
	ck_assert_int_eq(run(argv, &out, NULL, 5000, &res, &e), 0);
	ck_assert_str_eq(out.s, "PATH=/usr/bin:/bin\nLC_ALL=C\n");
	unsetenv("EESSI_SECRET_SHOULD_NOT_PASS");
	buf_release(&out);
}
END_TEST

START_TEST(stdin_and_cwd)
{
	const char *const argv[] = { "sh", "-c", "pwd; cat", NULL };
	struct spawn sp = { argv, env, "/tmp", "line one\nline two\n", 18, NULL,
			    NULL, 5000, NULL };
	struct buf out = BUF_INIT(1024);
	struct spawn_result res;
	struct err e = ERR_INIT;

	sp.out = &out;
	ck_assert_int_eq(spawn_run(&sp, &res, &e), 0);
	ck_assert_str_eq(out.s, "/tmp\nline one\nline two\n");
	buf_release(&out);
}
END_TEST

START_TEST(large_stdin_to_child_that_exits)
{
	/* the child ignores its stdin: no SIGPIPE may kill us */
	static char big[1 << 20];
	const char *const argv[] = { "true", NULL };
	struct spawn sp = { argv, env, NULL, big, sizeof(big), NULL, NULL, 5000, NULL };
	struct spawn_result res;
	struct err e = ERR_INIT;

	memset(big, 'x', sizeof(big));
	ck_assert_int_eq(spawn_run(&sp, &res, &e), 0);
	ck_assert_int_eq(res.status, 0);
}
END_TEST

START_TEST(timeout_kills_the_group)
{
	const char *const argv[] = { "sh", "-c", "sleep 30 & sleep 30; echo no",
				     NULL };
	struct buf out = BUF_INIT(1024);
	struct spawn_result res;
	struct err e = ERR_INIT;
	time_t t0 = time(NULL);

	ck_assert_int_eq(run(argv, &out, NULL, 300, &res, &e), -1);
	ck_assert_int_eq(e.code, ERR_TIMEOUT);
	ck_assert_int_eq(res.timed_out, 1);
	ck_assert_int_eq(res.status, 128 + SIGTERM);
	ck_assert_int_le(time(NULL) - t0, 5);
	ck_assert_str_eq(out.s, "");
	buf_release(&out);
}
END_TEST

START_TEST(term_ignored_then_killed)
{
	const char *const argv[] = { "sh", "-c", "trap '' TERM; sleep 30", NULL };
	struct spawn_result res;
	struct err e = ERR_INIT;

	ck_assert_int_eq(run(argv, NULL, NULL, 200, &res, &e), -1);
	ck_assert_int_eq(res.timed_out, 1);
	ck_assert_int_eq(res.status, 128 + SIGKILL);
}
END_TEST

START_TEST(output_cap)
{
	const char *const argv[] = { "sh", "-c", "head -c 100000 /dev/zero", NULL };
	struct buf out = BUF_INIT(1000);
	struct spawn_result res;
	struct err e = ERR_INIT;

	ck_assert_int_eq(run(argv, &out, NULL, 5000, &res, &e), -1);
	ck_assert_int_eq(e.code, ERR_TOOBIG);
	ck_assert_int_eq(res.out_truncated, 1);
	ck_assert_int_eq(res.status, 0); /* drained to the end, not killed */
	ck_assert_uint_le(out.len, 1000);
	buf_release(&out);
}
END_TEST

START_TEST(missing_program_and_bad_cwd)
{
	const char *const argv[] = { "no-such-program-eessi", NULL };
	const char *const argv2[] = { "/nonexistent/prog", NULL };
	const char *const argv3[] = { "true", NULL };
	struct spawn sp = { argv3, env, "/nonexistent-dir", NULL, 0, NULL, NULL, 0, NULL };
	struct spawn_result res;
	struct err e = ERR_INIT;

	ck_assert_int_eq(run(argv, NULL, NULL, 0, &res, &e), -1);
	ck_assert_int_eq(e.code, ERR_CHILD);
	ck_assert_ptr_nonnull(strstr(e.msg, "not found"));
	err_clear(&e);
	ck_assert_int_eq(run(argv2, NULL, NULL, 0, &res, &e), -1);
	ck_assert_int_eq(e.code, ERR_CHILD);
	ck_assert_ptr_nonnull(strstr(e.msg, "No such file"));
	err_clear(&e);
	ck_assert_int_eq(spawn_run(&sp, &res, &e), -1);
	ck_assert_int_eq(e.code, ERR_CHILD);
}
END_TEST

START_TEST(killed_by_signal_status)
{
	const char *const argv[] = { "sh", "-c", "kill -9 $$", NULL };
	struct spawn_result res;
	struct err e = ERR_INIT;

	ck_assert_int_eq(run(argv, NULL, NULL, 5000, &res, &e), 0);
	ck_assert_int_eq(res.status, 128 + SIGKILL);
}
END_TEST

START_TEST(which_resolves)
{
	struct buf out = BUF_INIT(4096);
	struct err e = ERR_INIT;

	ck_assert_int_eq(spawn_which("sh", "/nonexistent::/bin", &out, &e), 0);
	ck_assert_str_eq(out.s, "/bin/sh");
	ck_assert_int_eq(spawn_which("./rel/x", "/bin", &out, &e), 0);
	ck_assert_str_eq(out.s, "./rel/x");
	ck_assert_int_eq(spawn_which("", "/bin", &out, &e), -1);
	buf_release(&out);
}
END_TEST

/* The detached child: not our child (its parent is init or a subreaper),
 * its own session, stdin/stdout on /dev/null, no descriptor of ours. */
START_TEST(detached_child_outlives_and_inherits_nothing)
{
	char dir[256], script[1024];
	const char *argv[] = { "sh", "-c", script, NULL };
	struct spawn sp = { argv, env, "/", NULL, 0, NULL, NULL, 0, NULL };
	struct buf got = BUF_INIT(8192), path = BUF_INIT(512);
	struct err e = ERR_INIT;
	int fd = open("/dev/null", O_RDONLY);
	int leak = fcntl(fd, F_DUPFD, 20); /* not close-on-exec */
	int i;

	close(fd);
	ck_assert_int_ge(leak, 20);
	unit_mkdtemp(dir, sizeof(dir), "detach");
	snprintf(script, sizeof(script),
		 "p=$(readlink /proc/$$/fd/0 /proc/$$/fd/1); exec 9>%s/out.tmp; "
		 "{ ps -o ppid= -o sid= -p $$; echo \"$p\"; ls /proc/$$/fd; } >&9; "
		 "mv %s/out.tmp %s/out", dir, dir, dir);
	ck_assert_msg(spawn_detached(&sp, &e) == 0, "%s", e.msg);
	buf_addf(&path, "%s/out", dir);
	for (i = 0; i < 200 && access(path.s, F_OK) < 0; i++)
		usleep(10000);
	ck_assert_int_eq(xio_read_file(path.s, &got, 1, &e), 0);
	{
		long ppid = strtol(got.s, NULL, 10);

		ck_assert_msg(ppid != (long)getpid(), "still our child: %s", got.s);
	}
	ck_assert_msg(strstr(got.s, "/dev/null\n/dev/null\n"), "%s", got.s);
	{
		char needle[16];

		snprintf(needle, sizeof(needle), "\n%d\n", leak);
		ck_assert_msg(!strstr(strstr(got.s, "/dev/null\n/dev/null\n"), needle),
			      "descriptor %d leaked: %s", leak, got.s);
	}
	close(leak);
	unit_rm_rf(dir);
	buf_release(&got);
	buf_release(&path);
}
END_TEST

/* The detached child holds none of our descriptors, stderr included: a
 * reader of our stderr (a CGI server, cron) sees its end when we let go of
 * it, while the child runs on; the child's stderr goes to err_path. */
START_TEST(detached_child_holds_not_our_stderr)
{
	char dir[256], logf[300];
	const char *argv[] = { "sh", "-c", "echo from-the-child >&2; sleep 3", NULL };
	struct spawn sp = { argv, env, "/", NULL, 0, NULL, NULL, 0, logf };
	struct buf got = BUF_INIT(8192);
	struct err e = ERR_INIT;
	struct timespec t0, t1;
	int p[2], saved, i, fd;
	char c;
	ssize_t n;

	unit_mkdtemp(dir, sizeof(dir), "detach-err");
	snprintf(logf, sizeof(logf), "%s/log", dir);
	fd = open(logf, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(pipe(p), 0);
	saved = dup(STDERR_FILENO);
	ck_assert_int_ge(dup2(p[1], STDERR_FILENO), 0);
	close(p[1]);
	ck_assert_msg(spawn_detached(&sp, &e) == 0, "%s", e.msg);
	dup2(saved, STDERR_FILENO); /* our last hold of the pipe goes */
	close(saved);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = read(p[0], &c, 1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	close(p[0]);
	ck_assert_int_eq(n, 0); /* EOF: nothing written, nobody holds it */
	ck_assert_int_lt((t1.tv_sec - t0.tv_sec) * 1000 +
				 (t1.tv_nsec - t0.tv_nsec) / 1000000, 1000);
	for (i = 0; i < 300; i++) {
		if (xio_read_file(logf, &got, 1, &e) == 0 &&
		    strstr(got.s, "from-the-child"))
			break;
		usleep(10000);
	}
	ck_assert_msg(strstr(got.s, "from-the-child"), "child's stderr: '%s'", got.s);
	unit_rm_rf(dir);
	buf_release(&got);
}
END_TEST

static int has(const char *const *envp, const char *entry)
{
	for (; *envp; envp++)
		if (strcmp(*envp, entry) == 0)
			return 1;
	return 0;
}

/* One whitelist per kind of child, from the process's environment: a
 * token or a key reaches none, the S3 credentials only the deploy run. */
START_TEST(env_whitelists)
{
	static const char *const names[] = { "AWS_SECRET_ACCESS_KEY",
		"GITHUB_APP_SECRET_TOKEN", "http_proxy", "SLURM_CONF" };
	const char *envp[SPAWN_ENV_MAX + 1];
	char *saved[4];

	for (size_t i = 0; i < 4; i++) /* put back as they were, below */
		saved[i] = getenv(names[i]) ? strdup(getenv(names[i])) : NULL;
	ck_assert_int_eq(setenv("AWS_SECRET_ACCESS_KEY", "s3cret", 1), 0);
	ck_assert_int_eq(setenv("GITHUB_APP_SECRET_TOKEN", "hooksecret", 1), 0);
	ck_assert_int_eq(setenv("SLURM_CONF", "/etc/slurm/x.conf", 1), 0);
	ck_assert_int_eq(setenv("http_proxy", "http://p:3128", 1), 0);
	spawn_env(SPAWN_ENV_SLURM, envp);
	ck_assert(has(envp, "SLURM_CONF=/etc/slurm/x.conf"));
	ck_assert(!has(envp, "AWS_SECRET_ACCESS_KEY=s3cret"));
	ck_assert(!has(envp, "GITHUB_APP_SECRET_TOKEN=hooksecret"));
	ck_assert(!has(envp, "http_proxy=http://p:3128"));
	spawn_env(SPAWN_ENV_CONSUMER, envp);
	ck_assert(has(envp, "http_proxy=http://p:3128"));
	ck_assert(!has(envp, "AWS_SECRET_ACCESS_KEY=s3cret"));
	ck_assert(!has(envp, "GITHUB_APP_SECRET_TOKEN=hooksecret"));
	spawn_env(SPAWN_ENV_DEPLOY, envp);
	ck_assert(has(envp, "AWS_SECRET_ACCESS_KEY=s3cret"));
	ck_assert(!has(envp, "GITHUB_APP_SECRET_TOKEN=hooksecret"));
	ck_assert(!has(envp, "http_proxy=http://p:3128"));
	/* an unknown kind: empty */
	ck_assert_uint_eq(spawn_env((enum spawn_env_kind)99, envp), 0);
	ck_assert_ptr_null(envp[0]);
	for (size_t i = 0; i < 4; i++) {
		if (saved[i])
			setenv(names[i], saved[i], 1);
		else
			unsetenv(names[i]);
		free(saved[i]);
	}
}
END_TEST

START_TEST(detached_reports_a_missing_program)
{
	const char *argv[] = { "/nonexistent/program", NULL };
	const char *argv2[] = { "/etc/passwd", NULL };
	struct spawn sp = { argv, env, NULL, NULL, 0, NULL, NULL, 0, NULL };
	struct err e = ERR_INIT;

	ck_assert_int_eq(spawn_detached(&sp, &e), -1);
	err_clear(&e);
	sp.argv = argv2;
	ck_assert_int_eq(spawn_detached(&sp, &e), -1);
	ck_assert_int_eq(e.code, ERR_CHILD);
	ck_assert_msg(strstr(e.msg, "Permission denied"), "%s", e.msg);
}
END_TEST

Suite *spawn_suite(void)
{
	Suite *s = suite_create("spawn");
	TCase *tc = tcase_create("spawn");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, captures_stdout_stderr_and_status);
	tcase_add_test(tc, argv_is_not_a_shell_string);
	tcase_add_test(tc, environment_is_only_what_is_given);
	tcase_add_test(tc, stdin_and_cwd);
	tcase_add_test(tc, large_stdin_to_child_that_exits);
	tcase_add_test(tc, timeout_kills_the_group);
	tcase_add_test(tc, term_ignored_then_killed);
	tcase_add_test(tc, output_cap);
	tcase_add_test(tc, missing_program_and_bad_cwd);
	tcase_add_test(tc, killed_by_signal_status);
	tcase_add_test(tc, which_resolves);
	tcase_add_test(tc, detached_child_outlives_and_inherits_nothing);
	tcase_add_test(tc, detached_reports_a_missing_program);
	tcase_add_test(tc, detached_child_holds_not_our_stderr);
	tcase_add_test(tc, env_whitelists);
	suite_add_tcase(s, tc);
	return s;
}
