/* test_slurm.c - the job comment, the sbatch argv (contents, order, caps),
 * the parser of `sbatch --parsable` output, and the runners against
 * stand-in sbatch and squeue scripts: working directory, the whitelisted
 * environment, errors with sbatch's message, squeue lines matched exactly.
 * t/e2e/48-slurm-submit.sh does the same against the real Slurm. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "slurm.h"
#include "target.h"
#include "unit.h"
#include "xio.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const struct conf_env env = { "/home/tester", "tester" };

/* Writes text to path, mode 0755. */
static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, 0755), 0);
}

/* Reads a test file into b (cleared first): the project's bounded reader. */
static void read_file(const char *path, struct buf *b)
{
	struct err e = ERR_INIT;

	ck_assert_msg(xio_read_file(path, b, 0, &e) == 0, "%s", e.msg);
}

/* A configuration with submit_command, the slurm_params list body (NULL:
 * the key left out), a zen2 target whose sbatch list is sbatch, more
 * buildenv settings and job_manager settings. */
static struct conf *load_more(const char *submit, const char *params,
			      const char *sbatch, const char *buildenv,
			      const char *job_manager)
{
	char dir[64], path[96];
	struct buf text = BUF_INIT(BUF_CAP_DEFAULT);
	struct buf report = BUF_INIT(BUF_CAP_DEFAULT);
	struct conf *c = NULL;

	unit_mkdtemp(dir, sizeof(dir), "slurm-conf");
	snprintf(path, sizeof(path), "%s/app.cfg", dir);
	ck_assert_int_eq(buf_addf(&text,
		"github = { app_id = 1; app_name = \"my-bot\";\n"
		"  installation_id = 2; private_key = \"/etc/key.pem\"; };\n"
		"buildenv = { build_job_script = \"/opt/bot-build.slurm\";\n"
		"  jobs_base_dir = \"/srv/jobs\"; submit_command = \"%s\";\n"
		"  %s%s%s %s };\n"
		"job_manager = { job_ids_dir = \"/srv/ids\"; %s };\n"
		"architecturetargets = { arch_target_map = (\n"
		"  { target = \"linux/x86_64/amd/zen2\"; sbatch = [ %s ]; },\n"
		"  { target = \"linux/x86_64/amd/zen3\";\n"
		"    accelerators = [ \"nvidia/cc80\" ]; }\n"
		"); };\n"
		"repo_targets = { repo_target_map = (\n"
		"  { target = \"linux/x86_64/amd/zen2\";\n"
		"    repos = [ \"eessi.io-2023.06-software\" ]; }\n"
		"); };\n", submit, params ? "slurm_params = [ " : "",
		params ? params : "", params ? " ];" : "", buildenv,
		job_manager, sbatch), 0);
	write_file(path, text.s);
	ck_assert_msg(conf_load(path, &env, &c, &report) == 0, "%s", report.s);
	unit_rm_rf(dir);
	buf_release(&text);
	buf_release(&report);
	return c;
}

static struct conf *load(const char *submit, const char *params,
			 const char *sbatch)
{
	return load_more(submit, params, sbatch, "", "");
}

/* The first target of c. */
static void first_target(const struct conf *c, struct target *t)
{
	struct filters f;
	size_t n;
	char why[256];

	ck_assert_int_eq(filter_parse("", &f, why, sizeof(why)), 0);
	ck_assert_int_eq(target_match(c, &f, t, 1, &n), 0);
	ck_assert_uint_eq(n, 1);
}

START_TEST(job_comment)
{
	struct conf *c = load("/usr/bin/sbatch", "\"--hold\"", "");
	struct target t;
	char out[768];
	char small[40];

	first_target(c, &t);
	ck_assert_int_eq(slurm_job_comment("my-bot", "72d3162e-cc78-11e3",
					   &t, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "eessi-bot:my-bot:72d3162e-cc78-11e3:"
			 "eessi.io-2023.06-software:linux_x86_64_amd_zen2");
	/* too small: -1 and an empty string */
	ck_assert_int_eq(slurm_job_comment("my-bot", "72d3162e-cc78-11e3",
					   &t, small, sizeof(small)), -1);
	ck_assert_str_eq(small, "");
	ck_assert_int_eq(slurm_job_comment("my-bot", "d", &t, out, 0), -1);
	/* parts that would not stay one word of squeue's output */
	ck_assert_int_eq(slurm_job_comment("my bot", "d", &t, out,
					   sizeof(out)), -1);
	ck_assert_int_eq(slurm_job_comment("my-bot", "d\n1 x", &t, out,
					   sizeof(out)), -1);
	ck_assert_int_eq(slurm_job_comment("", "d", &t, out, sizeof(out)), -1);
	ck_assert_int_eq(slurm_job_comment("my-bot", NULL, &t, out,
					   sizeof(out)), -1);
	conf_free(c);
}
END_TEST

START_TEST(sbatch_argv_order)
{
	struct conf *c = load("/usr/bin/sbatch",
			      "\"--hold\", \"--time=10\", \"--job-name=site\"",
			      "\"--mem=100M\", \"--constraint\", \"shape=c5a\"");
	const char *const want[] = {
		"/usr/bin/sbatch", "--parsable",
		"--job-name=bot-pr42-eessi.io-2023.06-software:"
		"linux_x86_64_amd_zen2",
		"--comment=eessi-bot:my-bot:d1:x",
		"--hold", "--time=10", "--job-name=site",
		"--mem=100M", "--constraint", "shape=c5a",
		"/opt/bot-build.slurm",
	};
	struct slurm_argv a;
	struct target t;
	struct err e = ERR_INIT;

	first_target(c, &t);
	ck_assert_int_eq(slurm_sbatch_argv(c, &t, 42, "eessi-bot:my-bot:d1:x",
					   &a, &e), 0);
	ck_assert_uint_eq(a.n, NELEM(want));
	for (size_t i = 0; i < NELEM(want); i++)
		ck_assert_str_eq(a.v[i], want[i]);
	ck_assert_ptr_null(a.v[a.n]);
	/* pointers into the configuration, nothing copied */
	ck_assert_ptr_eq(a.v[0], c->buildenv.submit_command);
	ck_assert_ptr_eq(a.v[7], t.arch->sbatch.v[0]);
	conf_free(c);
}
END_TEST

START_TEST(sbatch_argv_limits)
{
	struct conf *c = load("/usr/bin/sbatch", "", "");
	struct buf params = BUF_INIT(BUF_CAP_LINE);
	struct slurm_argv a;
	struct target t;
	struct err e = ERR_INIT;
	char comment[800];

	/* no slurm_params, no target sbatch: five arguments */
	first_target(c, &t);
	ck_assert_int_eq(slurm_sbatch_argv(c, &t, 1, "x", &a, &e), 0);
	ck_assert_uint_eq(a.n, 5);
	ck_assert_str_eq(a.v[4], "/opt/bot-build.slurm");

	/* the job name is cut to 128 bytes */
	memset(t.key, 'k', 320);
	t.key[320] = '\0';
	ck_assert_int_eq(slurm_sbatch_argv(c, &t, 7, "x", &a, &e), 0);
	ck_assert_uint_eq(strlen(a.job_name), strlen("--job-name=") + 128);
	ck_assert_int_eq(strncmp(a.job_name, "--job-name=bot-pr7-kkkkkkkk", 27),
			 0);

	/* a comment that does not fit: ERR_TOOBIG */
	memset(comment, 'c', sizeof(comment) - 1);
	comment[sizeof(comment) - 1] = '\0';
	ck_assert_int_eq(slurm_sbatch_argv(c, &t, 7, comment, &a, &e), -1);
	ck_assert_int_eq(e.code, ERR_TOOBIG);
	err_clear(&e);
	comment[sizeof(a.comment) - 11] = '\0';
	ck_assert_int_eq(slurm_sbatch_argv(c, &t, 7, comment, &a, &e), 0);
	comment[sizeof(a.comment) - 11] = 'c';
	comment[sizeof(a.comment) - 10] = '\0';
	ck_assert_int_eq(slurm_sbatch_argv(c, &t, 7, comment, &a, &e), -1);
	err_clear(&e);
	ck_assert_int_eq(slurm_sbatch_argv(c, &t, 7, "", &a, &e), -1);
	ck_assert_int_eq(e.code, ERR_INVAL);
	err_clear(&e);
	ck_assert_int_eq(slurm_sbatch_argv(c, NULL, 7, "x", &a, &e), -1);
	err_clear(&e);
	conf_free(c);

	/* 251 slurm_params fill SLURM_ARGV_MAX; one more is too many */
	for (int i = 0; i < SLURM_ARGV_MAX - 5; i++)
		ck_assert_int_eq(buf_addf(&params, "%s\"--p%d\"", i ? ", " : "",
					  i), 0);
	c = load("/usr/bin/sbatch", params.s, "");
	first_target(c, &t);
	ck_assert_int_eq(slurm_sbatch_argv(c, &t, 1, "x", &a, &e), 0);
	ck_assert_uint_eq(a.n, SLURM_ARGV_MAX);
	ck_assert_ptr_null(a.v[SLURM_ARGV_MAX]);
	conf_free(c);
	c = load("/usr/bin/sbatch", params.s, "\"--one-more\"");
	first_target(c, &t);
	ck_assert_int_eq(slurm_sbatch_argv(c, &t, 1, "x", &a, &e), -1);
	ck_assert_int_eq(e.code, ERR_TOOBIG);
	conf_free(c);
	buf_release(&params);
}
END_TEST

/* delayed_begin: --begin=now+S (S = factor * poll_interval, seconds)
 * right after the bot's own options, before slurm_params; hold_release
 * adds nothing. */
START_TEST(sbatch_argv_delayed_begin)
{
	struct conf *c = load_more("/usr/bin/sbatch", "\"--time=10\"",
				   "\"--mem=1G\"",
				   "job_handover_protocol = \"delayed_begin\";"
				   " job_delay_begin_factor = 3;",
				   "poll_interval = 45;");
	const char *const want[] = {
		"/usr/bin/sbatch", "--parsable",
		"--job-name=bot-pr5-eessi.io-2023.06-software:"
		"linux_x86_64_amd_zen2",
		"--comment=k", "--begin=now+135", "--time=10", "--mem=1G",
		"/opt/bot-build.slurm",
	};
	struct slurm_argv a;
	struct target t;
	struct err e = ERR_INIT;

	first_target(c, &t);
	ck_assert_msg(slurm_sbatch_argv(c, &t, 5, "k", &a, &e) == 0, "%s",
		      e.msg);
	ck_assert_uint_eq(a.n, NELEM(want));
	for (size_t i = 0; i < NELEM(want); i++)
		ck_assert_str_eq(a.v[i], want[i]);
	ck_assert_ptr_null(a.v[a.n]);
	ck_assert_ptr_eq(a.v[4], a.begin);
	conf_free(c);

	/* the defaults: 2 * 60 s, and slurm_params left out is empty (no
	 * --hold: nobody would release the job) */
	c = load_more("/usr/bin/sbatch", NULL, "",
		      "job_handover_protocol = \"delayed_begin\";", "");
	first_target(c, &t);
	ck_assert_int_eq(slurm_sbatch_argv(c, &t, 5, "k", &a, &e), 0);
	ck_assert_uint_eq(a.n, 6);
	ck_assert_str_eq(a.v[4], "--begin=now+120");
	ck_assert_str_eq(a.v[5], "/opt/bot-build.slurm");
	/* the largest delay fits: 100 * 86400 */
	c->buildenv.job_delay_begin_factor = 100;
	c->job_manager.poll_interval = 86400;
	ck_assert_int_eq(slurm_sbatch_argv(c, &t, 5, "k", &a, &e), 0);
	ck_assert_str_eq(a.v[4], "--begin=now+8640000");
	/* a struct conf that did not come from conf_load(): refused */
	c->buildenv.job_delay_begin_factor = 0;
	ck_assert_int_eq(slurm_sbatch_argv(c, &t, 5, "k", &a, &e), -1);
	ck_assert_int_eq(e.code, ERR_CONFIG);
	ck_assert_uint_eq(a.n, 0);
	ck_assert_ptr_null(a.v[0]);
	err_clear(&e);
	conf_free(c);

	/* hold_release: no --begin */
	c = load("/usr/bin/sbatch", "\"--hold\"", "");
	first_target(c, &t);
	ck_assert_int_eq(slurm_sbatch_argv(c, &t, 5, "k", &a, &e), 0);
	ck_assert_uint_eq(a.n, 6);
	ck_assert_str_eq(a.v[4], "--hold");
	for (size_t i = 0; i < a.n; i++)
		ck_assert_ptr_null(strstr(a.v[i], "--begin"));
	conf_free(c);
}
END_TEST

/* The --begin counts against SLURM_ARGV_MAX. */
START_TEST(sbatch_argv_delayed_begin_limit)
{
	struct buf params = BUF_INIT(BUF_CAP_LINE);
	struct slurm_argv a;
	struct target t;
	struct err e = ERR_INIT;
	struct conf *c;

	for (int i = 0; i < SLURM_ARGV_MAX - 6; i++)
		ck_assert_int_eq(buf_addf(&params, "%s\"--p%d\"", i ? ", " : "",
					  i), 0);
	c = load_more("/usr/bin/sbatch", params.s, "",
		      "job_handover_protocol = \"delayed_begin\";", "");
	first_target(c, &t);
	ck_assert_int_eq(slurm_sbatch_argv(c, &t, 1, "x", &a, &e), 0);
	ck_assert_uint_eq(a.n, SLURM_ARGV_MAX);
	conf_free(c);
	c = load_more("/usr/bin/sbatch", params.s, "\"--one-more\"",
		      "job_handover_protocol = \"delayed_begin\";", "");
	first_target(c, &t);
	ck_assert_int_eq(slurm_sbatch_argv(c, &t, 1, "x", &a, &e), -1);
	ck_assert_int_eq(e.code, ERR_TOOBIG);
	conf_free(c);
	buf_release(&params);
}
END_TEST

START_TEST(parse_sbatch_output)
{
	static const struct {
		const char *out;
		size_t len;
		long long id;
	} cases[] = {
		{ "123\n", 4, 123 },
		{ "123;cluster\n", 12, 123 },
		{ "1;c-1.x\n", 8, 1 },
		{ "4294967295\n", 11, 4294967295LL },
		{ "4294967296\n", 11, 0 },
		{ "99999999999999999999999\n", 24, 0 },
		{ "0\n", 2, 0 },
		{ "007\n", 4, 0 },
		{ "-5\n", 3, 0 },
		{ "+5\n", 3, 0 },
		{ " 5\n", 3, 0 },
		{ "5 \n", 3, 0 },
		{ "", 0, 0 },
		{ "\n", 1, 0 },
		{ "123", 3, 0 },
		{ "123\n\n", 5, 0 },
		{ "123\n456\n", 8, 0 },
		{ "123;\n", 5, 0 },
		{ ";c\n", 3, 0 },
		{ "123;a;b\n", 8, 0 },
		{ "123;a b\n", 8, 0 },
		{ "12\0003\n", 5, 0 },
		{ "Submitted batch job 123\n", 24, 0 },
		{ "garbage\n", 8, 0 },
		{ "0x10\n", 5, 0 },
	};
	struct err e = ERR_INIT;
	long long id;

	for (size_t i = 0; i < NELEM(cases); i++) {
		int rc = slurm_parse_sbatch(cases[i].out, cases[i].len, &id, &e);

		ck_assert_msg(rc == (cases[i].id ? 0 : -1), "case %zu", i);
		ck_assert_int_eq(id, cases[i].id);
		if (rc < 0) {
			ck_assert_int_eq(e.code, ERR_INVAL);
			ck_assert_ptr_nonnull(strstr(e.msg, "sbatch"));
		}
		err_clear(&e);
	}
	/* the output is quoted, cut, and harmless */
	ck_assert_int_eq(slurm_parse_sbatch("oops\x1b[31m\n", 10, &id, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "'oops?[31m'"));
	err_clear(&e);
	{
		char big[5000];

		memset(big, 'g', sizeof(big));
		big[sizeof(big) - 1] = '\n';
		ck_assert_int_eq(slurm_parse_sbatch(big, sizeof(big), &id, &e),
				 -1);
		ck_assert_ptr_nonnull(strstr(e.msg, "ggg...'"));
		ck_assert_uint_lt(strlen(e.msg), 300);
	}
}
END_TEST

/* A temp dir with stand-in commands. */
struct bin {
	char dir[64];
	char sbatch[128];
	char squeue[128];
	char jobdir[128];
};

static void bin_setup(struct bin *b)
{
	char path[160];

	unit_mkdtemp(b->dir, sizeof(b->dir), "slurm");
	snprintf(b->sbatch, sizeof(b->sbatch), "%s/sbatch", b->dir);
	snprintf(b->squeue, sizeof(b->squeue), "%s/squeue", b->dir);
	snprintf(b->jobdir, sizeof(b->jobdir), "%s/job dir", b->dir);
	ck_assert_int_eq(mkdir(b->jobdir, 0755), 0);
	/* records cwd, environment, arguments; answers $0.out on stdout,
	 * $0.err on stderr and exits with $0.rc */
	write_file(b->sbatch,
		   "#!/bin/sh\n"
		   "pwd >\"$0.cwd\"; env >\"$0.env\"\n"
		   "for a in \"$@\"; do printf '%s\\n' \"$a\"; done >\"$0.args\"\n"
		   "[ -f \"$0.err\" ] && cat \"$0.err\" >&2\n"
		   "[ -f \"$0.out\" ] && cat \"$0.out\"\n"
		   "exit $(cat \"$0.rc\" 2>/dev/null || echo 0)\n");
	/* the same; with -j ID it answers $0.job.ID, an unknown job as
	 * squeue does, or (with $0.jfail) a broken controller */
	write_file(b->squeue, "#!/bin/sh\n"
		   "pwd >\"$0.cwd\"; env >\"$0.env\"\n"
		   "case \" $* \" in *\" -j \"*)\n"
		   "  p=; for a in \"$@\"; do [ \"$p\" = -j ] && id=$a; p=$a;\n"
		   "    printf '%s\\n' \"$a\"; done >\"$0.jargs\"\n"
		   "  if [ -f \"$0.jfail\" ]; then\n"
		   "    echo 'squeue: error: Unable to contact slurm controller' >&2\n"
		   "    exit 1; fi\n"
		   "  [ -f \"$0.job.$id\" ] && exec cat \"$0.job.$id\"\n"
		   "  echo 'slurm_load_jobs error: Invalid job id specified' >&2\n"
		   "  exit 1;;\n"
		   "esac\n"
		   "for a in \"$@\"; do printf '%s\\n' \"$a\"; done >\"$0.args\"\n"
		   "[ -f \"$0.err\" ] && cat \"$0.err\" >&2\n"
		   "[ -f \"$0.out\" ] && cat \"$0.out\"\n"
		   "exit $(cat \"$0.rc\" 2>/dev/null || echo 0)\n");
	snprintf(path, sizeof(path), "%s.out", b->sbatch);
	write_file(path, "4242\n");
}

/* Writes text to the stand-in's file with suffix. */
static void bin_file(const char *cmd, const char *suffix, const char *text)
{
	char path[160];

	snprintf(path, sizeof(path), "%s%s", cmd, suffix);
	write_file(path, text);
}

START_TEST(submit_runs_in_job_dir_with_fixed_env)
{
	struct bin b;
	struct conf *c;
	struct target t;
	struct slurm_argv a;
	struct err e = ERR_INIT;
	struct buf got = BUF_INIT(BUF_CAP_LINE);
	char path[160];
	long long id = 0;
	unsigned before = slurm_calls();

	bin_setup(&b);
	c = load(b.sbatch, "\"--hold\"", "\"--mem=1G\"");
	first_target(c, &t);
	ck_assert_int_eq(slurm_sbatch_argv(c, &t, 5, "eessi-bot:i:d:k", &a, &e),
			 0);
	setenv("GITHUB_TOKEN", "ghs_secretTokenValue", 1);
	setenv("FOO_SECRET", "hunter2", 1);
	setenv("SLURM_CONF", "/etc/private/slurm.conf", 1);
	setenv("SLURM_JOB_NAME", "from-outside", 1);
	setenv("TZ", "UTC", 1);
	ck_assert_msg(slurm_submit(&a, b.jobdir, &id, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(id, 4242);
	ck_assert_uint_eq(slurm_calls(), before + 1);

	snprintf(path, sizeof(path), "%s.cwd", b.sbatch);
	read_file(path, &got);
	ck_assert_int_eq(strncmp(got.s, b.jobdir, strlen(b.jobdir)), 0);
	snprintf(path, sizeof(path), "%s.args", b.sbatch);
	read_file(path, &got);
	ck_assert_str_eq(got.s, "--parsable\n"
			 "--job-name=bot-pr5-eessi.io-2023.06-software:"
			 "linux_x86_64_amd_zen2\n"
			 "--comment=eessi-bot:i:d:k\n--hold\n--mem=1G\n"
			 "/opt/bot-build.slurm\n");
	snprintf(path, sizeof(path), "%s.env", b.sbatch);
	read_file(path, &got);
	ck_assert_ptr_null(strstr(got.s, "GITHUB_TOKEN"));
	ck_assert_ptr_null(strstr(got.s, "ghs_secret"));
	ck_assert_ptr_null(strstr(got.s, "FOO_SECRET"));
	ck_assert_ptr_null(strstr(got.s, "SLURM_JOB_NAME"));
	ck_assert_ptr_nonnull(strstr(got.s, "SLURM_CONF=/etc/private/slurm.conf\n"));
	ck_assert_ptr_nonnull(strstr(got.s, "TZ=UTC\n"));
	/* every variable is whitelisted (PWD: the shell's own) */
	for (const char *p = got.s; *p; p = strchr(p, '\n') + 1) {
		static const char *const ok[] = { "PATH=", "HOME=", "USER=",
			"LOGNAME=", "LANG=", "LC_ALL=", "TZ=", "SLURM_CONF=",
			"PWD=" };
		int found = 0;

		for (size_t i = 0; i < NELEM(ok); i++)
			found |= strncmp(p, ok[i], strlen(ok[i])) == 0;
		ck_assert_msg(found, "unexpected variable: %.40s", p);
	}
	unsetenv("GITHUB_TOKEN");
	unsetenv("FOO_SECRET");
	unsetenv("SLURM_CONF");
	unsetenv("SLURM_JOB_NAME");
	unsetenv("TZ");
	conf_free(c);
	buf_release(&got);
	unit_rm_rf(b.dir);
}
END_TEST

START_TEST(submit_errors)
{
	struct bin b;
	struct conf *c;
	struct target t;
	struct slurm_argv a;
	struct err e = ERR_INIT;
	long long id = 1;
	char missing[160];

	bin_setup(&b);
	c = load(b.sbatch, "\"--hold\"", "");
	first_target(c, &t);
	ck_assert_int_eq(slurm_sbatch_argv(c, &t, 5, "x", &a, &e), 0);

	/* sbatch fails: its error line, not its warning, in the message */
	bin_file(b.sbatch, ".err", "sbatch: warning: something slow\n"
		 "sbatch: error: invalid partition specified: nope\n"
		 "sbatch: error: Batch job submission failed\n");
	bin_file(b.sbatch, ".rc", "1\n");
	ck_assert_int_eq(slurm_submit(&a, b.jobdir, &id, &e), -1);
	ck_assert_int_eq(id, 0);
	ck_assert_int_eq(e.code, ERR_CHILD);
	ck_assert_msg(strstr(e.msg, "exited 1: sbatch: error: invalid partition "
			     "specified: nope") != NULL, "%s", e.msg);
	ck_assert_ptr_nonnull(strstr(e.msg, b.sbatch));
	err_clear(&e);
	/* the controller out of reach: transient, the delivery comes back */
	bin_file(b.sbatch, ".err", "sbatch: error: Batch job submission failed: "
		 "Unable to contact slurm controller (connect failure)\n");
	ck_assert_int_eq(slurm_submit(&a, b.jobdir, &id, &e), -1);
	ck_assert_int_eq(e.code, ERR_AGAIN);
	ck_assert_ptr_nonnull(strstr(e.msg, "Unable to contact slurm controller"));
	err_clear(&e);
	/* no line with "error": the first line */
	bin_file(b.sbatch, ".err", "\nsbatch: unrecognized option '--bogus'\n"
		 "Try \"sbatch --help\" for more information\n");
	bin_file(b.sbatch, ".rc", "255\n");
	ck_assert_int_eq(slurm_submit(&a, b.jobdir, &id, &e), -1);
	ck_assert_msg(strstr(e.msg, "exited 255: sbatch: unrecognized option "
			     "'--bogus'") != NULL, "%s", e.msg);
	err_clear(&e);
	/* silent failure */
	bin_file(b.sbatch, ".err", "");
	ck_assert_int_eq(slurm_submit(&a, b.jobdir, &id, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "(no message)"));
	err_clear(&e);
	/* exit 0 with garbage */
	bin_file(b.sbatch, ".rc", "0\n");
	bin_file(b.sbatch, ".out", "Submitted batch job 12\n");
	ck_assert_int_eq(slurm_submit(&a, b.jobdir, &id, &e), -1);
	ck_assert_int_eq(e.code, ERR_INVAL);
	err_clear(&e);
	/* warnings beyond the stderr cap do not hide the job id */
	{
		struct buf flood = BUF_INIT(BUF_CAP_DEFAULT);

		for (int i = 0; i < 2000; i++)
			ck_assert_int_eq(buf_adds(&flood, "sbatch: warning: "
						  "this is a long warning\n"),
					 0);
		bin_file(b.sbatch, ".err", flood.s);
		bin_file(b.sbatch, ".out", "4243\n");
		ck_assert_msg(slurm_submit(&a, b.jobdir, &id, &e) == 0, "%s",
			      e.msg);
		ck_assert_int_eq(id, 4243);
		bin_file(b.sbatch, ".rc", "1\n");
		ck_assert_int_eq(slurm_submit(&a, b.jobdir, &id, &e), -1);
		ck_assert_int_eq(e.code, ERR_CHILD);
		ck_assert_ptr_nonnull(strstr(e.msg, "exited 1: sbatch: warning"));
		err_clear(&e);
		bin_file(b.sbatch, ".rc", "0\n");
		buf_release(&flood);
	}
	/* a missing job directory or command */
	ck_assert_int_eq(slurm_submit(&a, "/nonexistent/dir", &id, &e), -1);
	err_clear(&e);
	snprintf(missing, sizeof(missing), "%s/no-sbatch", b.dir);
	a.v[0] = missing;
	ck_assert_int_eq(slurm_submit(&a, b.jobdir, &id, &e), -1);
	ck_assert_int_ne(e.code, ERR_NONE);
	err_clear(&e);
	conf_free(c);
	unit_rm_rf(b.dir);
}
END_TEST

/* Removes the stand-in's file with suffix. */
static void bin_rm(const char *cmd, const char *suffix)
{
	char path[160];

	snprintf(path, sizeof(path), "%s%s", cmd, suffix);
	ck_assert_int_eq(unlink(path), 0);
}

START_TEST(find_matches_exactly)
{
	struct bin b;
	struct err e = ERR_INIT;
	struct buf got = BUF_INIT(BUF_CAP_LINE);
	char path[160];
	long long id = 9;
	unsigned before = slurm_calls();

	bin_setup(&b);
	bin_file(b.squeue, ".out",
		 "1003_[1-2] arr\n"
		 "1002 (null)\n"
		 "1010 eessi-bot:i:d:k:more\n"
		 "1009 eessi-bot:i:d:k \n"
		 "1008  eessi-bot:i:d:k\n"
		 "1007 x eessi-bot:i:d:k\n"
		 "1005 eessi-bot:i:d:k\n"
		 "1001 eessi-bot:i:d:k\n"
		 "1005 eessi-bot:i:d:k\n"
		 "1006 with space  and \"quote\" $(id)\n"
		 "line2\n"
		 "1011 eessi-bot:i:d:other");
	bin_file(b.squeue, ".job.1001", "eessi-bot:i:d:k\n");
	bin_file(b.squeue, ".job.1005", "eessi-bot:i:d:k\n");
	bin_file(b.squeue, ".job.1011", "eessi-bot:i:d:other\n");
	ck_assert_msg(slurm_find(b.squeue, "eessi-bot:i:d:k", &id, &e) == 0,
		      "%s", e.msg);
	ck_assert_int_eq(id, 1001); /* the first submitted of two */
	ck_assert_uint_eq(slurm_calls(), before + 2); /* list, confirm */
	snprintf(path, sizeof(path), "%s.args", b.squeue);
	read_file(path, &got);
	ck_assert_str_eq(got.s, "--me\n-h\n-t\nall\n-o\n%i %k\n");
	snprintf(path, sizeof(path), "%s.jargs", b.squeue);
	read_file(path, &got);
	ck_assert_str_eq(got.s, "--me\n-h\n-t\nall\n-j\n1001\n-o\n%k\n");
	snprintf(path, sizeof(path), "%s.env", b.squeue);
	setenv("GITHUB_TOKEN", "ghs_x", 1);
	ck_assert_int_eq(slurm_find(b.squeue, "eessi-bot:i:d:other", &id, &e), 0);
	ck_assert_int_eq(id, 1011); /* no newline at the end */
	read_file(path, &got);
	ck_assert_ptr_null(strstr(got.s, "GITHUB_TOKEN"));
	unsetenv("GITHUB_TOKEN");
	before = slurm_calls();
	ck_assert_int_eq(slurm_find(b.squeue, "eessi-bot:i:d", &id, &e), 0);
	ck_assert_int_eq(id, 0);
	ck_assert_uint_eq(slurm_calls(), before + 1); /* nothing to confirm */
	ck_assert_int_eq(slurm_find(b.squeue, "eessi-bot:i:d:k:mor", &id, &e), 0);
	ck_assert_int_eq(id, 0);
	/* a line of a job Slurm does not know: not confirmed */
	ck_assert_int_eq(slurm_find(b.squeue, "(null)", &id, &e), 0);
	ck_assert_int_eq(id, 0);
	/* an array job with our comment: not something we submitted */
	ck_assert_int_eq(slurm_find(b.squeue, "arr", &id, &e), -1);
	ck_assert_int_eq(e.code, ERR_INVAL);
	ck_assert_int_eq(id, 0);
	err_clear(&e);
	/* hostile comments: refused before squeue runs, or simply absent */
	before = slurm_calls();
	ck_assert_int_eq(slurm_find(b.squeue, "with space  and \"quote\" $(id)",
				    &id, &e), -1);
	ck_assert_int_eq(e.code, ERR_INVAL);
	err_clear(&e);
	ck_assert_int_eq(slurm_find(b.squeue, "x\n1001 eessi-bot:i:d:k", &id,
				    &e), -1);
	err_clear(&e);
	ck_assert_int_eq(slurm_find(b.squeue, "", &id, &e), -1);
	err_clear(&e);
	ck_assert_uint_eq(slurm_calls(), before);
	ck_assert_int_eq(slurm_find(b.squeue, "$(id);`id`\"';#", &id, &e), 0);
	ck_assert_int_eq(id, 0);
	buf_release(&got);
	unit_rm_rf(b.dir);
}
END_TEST

START_TEST(find_confirms_against_lines_in_comments)
{
	struct bin b;
	struct err e = ERR_INIT;
	struct buf out = BUF_INIT(BUF_CAP_LINE);
	long long id = 9;

	bin_setup(&b);
	/* job 1050's comment spans two lines, the second posing as job
	 * 1001 (unknown) or as itself, with our comment */
	bin_file(b.squeue, ".out", "1050 x\n1001 eessi-bot:i:d:k\n"
		 "1050 eessi-bot:i:d:k\n1060 eessi-bot:i:d:k\n");
	bin_file(b.squeue, ".job.1050", "x\n1050 eessi-bot:i:d:k\n");
	ck_assert_int_eq(slurm_find(b.squeue, "eessi-bot:i:d:k", &id, &e), 0);
	ck_assert_int_eq(id, 0);
	/* a real job of ours among them is found */
	bin_file(b.squeue, ".job.1060", "eessi-bot:i:d:k\n");
	ck_assert_int_eq(slurm_find(b.squeue, "eessi-bot:i:d:k", &id, &e), 0);
	ck_assert_int_eq(id, 1060);
	/* a comment that only starts like ours */
	bin_file(b.squeue, ".job.1060", "eessi-bot:i:d:k\nmore\n");
	ck_assert_int_eq(slurm_find(b.squeue, "eessi-bot:i:d:k", &id, &e), 0);
	ck_assert_int_eq(id, 0);
	bin_file(b.squeue, ".job.1060", "eessi-bot:i:d:k");
	ck_assert_int_eq(slurm_find(b.squeue, "eessi-bot:i:d:k", &id, &e), 0);
	ck_assert_int_eq(id, 0);
	/* a confirmation that cannot be had is an error, not "none" */
	bin_file(b.squeue, ".jfail", "");
	ck_assert_int_eq(slurm_find(b.squeue, "eessi-bot:i:d:k", &id, &e), -1);
	ck_assert_int_eq(e.code, ERR_AGAIN); /* the controller away: later */
	ck_assert_ptr_nonnull(strstr(e.msg, "Unable to contact"));
	err_clear(&e);
	bin_rm(b.squeue, ".jfail");
	/* at most 8 jobs with one comment are looked at */
	for (int i = 0; i < 9; i++)
		ck_assert_int_eq(buf_addf(&out, "%d eessi-bot:i:d:k\n", 2000 + i),
				 0);
	bin_file(b.squeue, ".out", out.s);
	ck_assert_int_eq(slurm_find(b.squeue, "eessi-bot:i:d:k", &id, &e), -1);
	ck_assert_int_eq(e.code, ERR_TOOBIG);
	err_clear(&e);
	buf_release(&out);
	unit_rm_rf(b.dir);
}
END_TEST

START_TEST(find_errors)
{
	struct bin b;
	struct err e = ERR_INIT;
	long long id = 9;

	bin_setup(&b);
	bin_file(b.squeue, ".out", "");
	ck_assert_int_eq(slurm_find(b.squeue, "eessi-bot:i:d:k", &id, &e), 0);
	ck_assert_int_eq(id, 0);
	bin_file(b.squeue, ".out", "abc eessi-bot:i:d:k\n");
	ck_assert_int_eq(slurm_find(b.squeue, "eessi-bot:i:d:k", &id, &e), -1);
	err_clear(&e);
	bin_file(b.squeue, ".out", "0 eessi-bot:i:d:k\n");
	ck_assert_int_eq(slurm_find(b.squeue, "eessi-bot:i:d:k", &id, &e), -1);
	err_clear(&e);
	bin_file(b.squeue, ".out", "99999999999 eessi-bot:i:d:k\n");
	ck_assert_int_eq(slurm_find(b.squeue, "eessi-bot:i:d:k", &id, &e), -1);
	err_clear(&e);
	bin_file(b.squeue, ".out", "");
	bin_file(b.squeue, ".err", "squeue: error: Invalid user: x\n");
	bin_file(b.squeue, ".rc", "1\n");
	ck_assert_int_eq(slurm_find(b.squeue, "eessi-bot:i:d:k", &id, &e), -1);
	ck_assert_int_eq(e.code, ERR_CHILD);
	ck_assert_ptr_nonnull(strstr(e.msg, "exited 1: squeue: error: Invalid "
				     "user: x"));
	err_clear(&e);
	ck_assert_int_eq(slurm_find(NULL, "eessi-bot:i:d:k", &id, &e), -1);
	err_clear(&e);
	unit_rm_rf(b.dir);
}
END_TEST

Suite *slurm_suite(void)
{
	Suite *s = suite_create("slurm");
	TCase *tc = tcase_create("slurm");

	tcase_add_test(tc, job_comment);
	tcase_add_test(tc, sbatch_argv_order);
	tcase_add_test(tc, sbatch_argv_limits);
	tcase_add_test(tc, sbatch_argv_delayed_begin);
	tcase_add_test(tc, sbatch_argv_delayed_begin_limit);
	tcase_add_test(tc, parse_sbatch_output);
	tcase_add_test(tc, submit_runs_in_job_dir_with_fixed_env);
	tcase_add_test(tc, submit_errors);
	tcase_add_test(tc, find_matches_exactly);
	tcase_add_test(tc, find_confirms_against_lines_in_comments);
	tcase_add_test(tc, find_errors);
	suite_add_tcase(s, tc);
	return s;
}
