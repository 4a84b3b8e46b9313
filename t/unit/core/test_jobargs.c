/* test_jobargs.c - job arguments of `bot: build` lines: the words taken
 * out of a line (aliases, any case, the rest kept), their shape, the
 * site's allow-lists (whole matches, empty lists admit nothing), hostile
 * values kept byte for byte, the cfg/ texts and their reading back, and
 * the configuration's check of the patterns. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conf.h"
#include "jobargs.h"
#include "unit.h"


static const char *const head =
	"github = { app_id = 1; app_name = \"my-bot\"; installation_id = 2;\n"
	"  private_key = \"/etc/key.pem\"; };\n"
	"job_manager = { job_ids_dir = \"/srv/ids\"; };\n"
	"architecturetargets = { arch_target_map = (\n"
	"  { target = \"linux/x86_64/generic\"; } ); };\n";

/* Loads head + a buildenv with the given allow-lists; NULL when the
 * configuration is refused (its report into report, if given). */
static struct conf *load(const char *lists, struct buf *report)
{
	struct buf text = BUF_INIT(BUF_CAP_DEFAULT), own = BUF_INIT(BUF_CAP_DEFAULT);
	struct conf *c;

	ck_assert_int_eq(buf_addf(&text, "%sbuildenv = { build_job_script = "
				  "\"/opt/job.slurm\";\n  jobs_base_dir = \"/srv/jobs\";\n"
				  "%s };\n", head, lists), 0);
	c = unit_conf_try(text.s, report ? report : &own);
	buf_release(&text);
	buf_release(&own);
	return c;
}

static const char *const lists =
	"  allowed_jobargs = [ \"SKIP_TESTS=yes|no\", \"E2E_[A-Z]+=.*\" ];\n"
	"  allowed_submitargs = [ \"--time=[0-9]{1,3}\", \"--mem=[0-9]+M\" ];\n";

START_TEST(words_taken_out_rest_kept)
{
	struct conf *c = load(lists, NULL);
	struct jobargs ja;
	char rest[256], why[256];

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(jobargs_take(c, "arch:zen2 jobargs:SKIP_TESTS=yes "
				      "ExportVariable:E2E_X=1 repo:r SUBMITARGS:--time=7 "
				      "submitargs:--mem=100M", &ja, rest, sizeof(rest),
				      why, sizeof(why)), 0);
	ck_assert_str_eq(rest, "arch:zen2 repo:r");
	ck_assert_uint_eq(ja.nenv, 2);
	ck_assert_str_eq(ja.env[0].key, "SKIP_TESTS");
	ck_assert_str_eq(ja.env[0].value, "yes");
	ck_assert_str_eq(ja.env[1].key, "E2E_X");
	ck_assert_uint_eq(ja.nsub, 2);
	ck_assert_str_eq(ja.sub[0].key, "--time");
	ck_assert_str_eq(ja.sub[1].value, "100M");
	/* a key given twice keeps its last value */
	ck_assert_int_eq(jobargs_take(c, "jobargs:E2E_X=1 jobargs:E2E_X=2", &ja,
				      rest, sizeof(rest), why, sizeof(why)), 0);
	ck_assert_uint_eq(ja.nenv, 1);
	ck_assert_str_eq(ja.env[0].value, "2");
	ck_assert_str_eq(rest, "");
	/* the longest name (64) fits; one more does not */
	{
		char w[128];

		snprintf(w, sizeof(w), "jobargs:E2E_%060d=v", 0);
		memset(w + 12, 'A', 60);
		ck_assert_int_eq(jobargs_take(c, w, &ja, rest, sizeof(rest), why,
					      sizeof(why)), 0);
		ck_assert_uint_eq(strlen(ja.env[0].key), 64);
		snprintf(w, sizeof(w), "jobargs:E2E_%061d=v", 0);
		memset(w + 12, 'A', 61);
		ck_assert_int_eq(jobargs_take(c, w, &ja, rest, sizeof(rest), why,
					      sizeof(why)), -1);
	}
	/* an empty value is a value */
	ck_assert_int_eq(jobargs_take(c, "jobargs:E2E_X=", &ja, rest, sizeof(rest),
				      why, sizeof(why)), 0);
	ck_assert_str_eq(ja.env[0].value, "");
	conf_free(c);
}
END_TEST

START_TEST(hostile_values_kept_as_they_are)
{
	struct conf *c = load(lists, NULL);
	const char *v = "$(id)`id`\"q\";'z'|&>x\\";
	struct buf args = BUF_INIT(4096), text = BUF_INIT(4096);
	struct jobargs ja;
	char rest[256], why[256];

	ck_assert_int_eq(buf_addf(&args, "jobargs:E2E_H=%s", v), 0);
	ck_assert_int_eq(jobargs_take(c, args.s, &ja, rest, sizeof(rest), why,
				      sizeof(why)), 0);
	ck_assert_str_eq(ja.env[0].value, v);
	ck_assert_int_eq(jobargs_env_text(&ja, &text), 0);
	ck_assert_str_eq(text.s, "E2E_H=$(id)`id`\"q\";'z'|&>x\\\n");
	/* a newline (or any blank) ends the word: it never gets into a value */
	ck_assert_int_eq(jobargs_take(c, "jobargs:E2E_H=a\nPATH=/x\rjobargs:E2E_I=b\tc",
				      &ja, rest, sizeof(rest), why, sizeof(why)), 0);
	ck_assert_str_eq(ja.env[0].value, "a");
	ck_assert_str_eq(ja.env[1].value, "b");
	ck_assert_str_eq(rest, "PATH=/x c");
	buf_release(&args);
	buf_release(&text);
	conf_free(c);
}
END_TEST

static void refused(const struct conf *c, const char *args, const char *want)
{
	struct jobargs ja;
	char rest[256], why[256];

	ck_assert_int_eq(jobargs_take(c, args, &ja, rest, sizeof(rest), why,
				      sizeof(why)), -1);
	ck_assert_msg(strstr(why, want), "%s: why '%s' lacks '%s'", args, why, want);
	ck_assert_ptr_null(strchr(why + 1, '\n'));
}

START_TEST(refusals_name_the_word)
{
	struct conf *c = load(lists, NULL), *none = load("", NULL);
	char longv[400];

	ck_assert_ptr_nonnull(none);
	refused(c, "jobargs:PATH=/x", "`jobargs:PATH=/x`: not allowed on this "
		"instance (allowed_jobargs)");
	refused(c, "jobargs:SKIP_TESTS=maybe", "not allowed");
	refused(c, "jobargs:SKIP_TESTS=yesno", "not allowed"); /* whole match */
	refused(c, "jobargs:XSKIP_TESTS=yes", "not allowed");
	refused(c, "submitargs:--time=1234", "(allowed_submitargs)");
	refused(c, "submitargs:--wrap=id", "not allowed");
	refused(c, "submitargs:time=5", "submitargs:--NAME=VALUE");
	refused(c, "submitargs:--Time=5", "submitargs:--NAME=VALUE");
	refused(c, "submitargs:--time", "submitargs:--NAME=VALUE");
	refused(c, "jobargs:1X=y", "jobargs:NAME=VALUE");
	refused(c, "jobargs:X-Y=y", "jobargs:NAME=VALUE");
	refused(c, "jobargs:=y", "jobargs:NAME=VALUE");
	refused(c, "jobargs:E2E_X", "jobargs:NAME=VALUE");
	refused(c, "jobargs:E2E_X=a\x01" "b", "printable ASCII");
	refused(c, "jobargs:E2E_X=caf\xc3\xa9", "printable ASCII");
	memset(longv, 'x', sizeof(longv) - 1);
	longv[sizeof(longv) - 1] = '\0';
	memcpy(longv, "jobargs:E2E_X=", 14);
	refused(c, longv, "at most 256");
	/* the shown word is cut and its backticks are not markdown */
	refused(c, longv, "...`");
	refused(c, "jobargs:E2E_X=`a` jobargs:PATH=`b`", "`jobargs:PATH=?b?`");
	/* empty allow-lists admit nothing */
	refused(none, "jobargs:SKIP_TESTS=yes", "not allowed");
	refused(none, "submitargs:--time=5", "not allowed");
	conf_free(c);
	conf_free(none);
}
END_TEST

START_TEST(same_and_texts)
{
	struct conf *c = load(lists, NULL);
	struct jobargs a, b, back;
	struct buf text = BUF_INIT(4096);
	char rest[64], why[256];

	ck_assert_int_eq(jobargs_take(c, "jobargs:E2E_A=1 submitargs:--time=5", &a,
				      rest, sizeof(rest), why, sizeof(why)), 0);
	ck_assert_int_eq(jobargs_take(c, "jobargs:E2E_A=1 submitargs:--time=5", &b,
				      rest, sizeof(rest), why, sizeof(why)), 0);
	ck_assert(jobargs_same(&a, &b));
	ck_assert_int_eq(jobargs_take(c, "jobargs:E2E_A=2 submitargs:--time=5", &b,
				      rest, sizeof(rest), why, sizeof(why)), 0);
	ck_assert(!jobargs_same(&a, &b));
	ck_assert_int_eq(jobargs_submit_text(&a, &text), 0);
	ck_assert_str_eq(text.s, "--time=5\n");
	ck_assert_int_eq(jobargs_parse_submit(text.s, text.len, &back, why,
					      sizeof(why)), 0);
	ck_assert_uint_eq(back.nsub, 1);
	ck_assert_str_eq(back.sub[0].key, "--time");
	ck_assert_str_eq(back.sub[0].value, "5");
	ck_assert_int_eq(jobargs_parse_submit("--time=5", 8, &back, why,
					      sizeof(why)), 0);
	ck_assert_int_eq(jobargs_parse_submit("", 0, &back, why, sizeof(why)), 0);
	ck_assert_uint_eq(back.nsub, 0);
	ck_assert_int_eq(jobargs_parse_submit("--time=5\nbad\n", 14, &back, why,
					      sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "line 2"));
	ck_assert_int_eq(jobargs_parse_submit("--x=a b\n", 8, &back, why,
					      sizeof(why)), -1);
	buf_release(&text);
	conf_free(c);
}
END_TEST

START_TEST(conf_checks_the_patterns)
{
	struct buf report = BUF_INIT(BUF_CAP_DEFAULT);

	ck_assert_ptr_null(load("  allowed_jobargs = [ \"NOEQUALS\" ];\n", &report));
	ck_assert_ptr_nonnull(strstr(report.s, "buildenv.allowed_jobargs[0]"));
	ck_assert_ptr_nonnull(strstr(report.s, "NAMEPATTERN=VALUEPATTERN"));
	buf_clear(&report);
	ck_assert_ptr_null(load("  allowed_submitargs = [ \"--time=[0-9\" ];\n",
				&report));
	ck_assert_ptr_nonnull(strstr(report.s, "buildenv.allowed_submitargs[0]"));
	ck_assert_ptr_nonnull(strstr(report.s, "value pattern"));
	buf_clear(&report);
	ck_assert_ptr_null(load("  allowed_jobargs = [ \"(=x\" ];\n", &report));
	ck_assert_ptr_nonnull(strstr(report.s, "name pattern"));
	buf_release(&report);
}
END_TEST

Suite *jobargs_suite(void)
{
	Suite *s = suite_create("jobargs");
	TCase *tc = tcase_create("jobargs");

	tcase_add_test(tc, words_taken_out_rest_kept);
	tcase_add_test(tc, hostile_values_kept_as_they_are);
	tcase_add_test(tc, refusals_name_the_word);
	tcase_add_test(tc, same_and_texts);
	tcase_add_test(tc, conf_checks_the_patterns);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
