/* test_report.c - `bot: status` and `bot: show_config` (lib/flows/report.h):
 * the rows from records in submitted/ and finished/ (latest attempt per
 * target, the live state from the status document, other PRs and
 * instances left out, damaged records skipped), the reply's table, and
 * what show_config shows and never shows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "cdoc.h"
#include "conf.h"
#include "jobrec.h"
#include "report.h"
#include "unit.h"
#include "xio.h"

#define UUID "0f5a2e1c-7b3d-4e8a-9c1f-2a3b4c5d6e7f"
#define SHA_M "aaaaaaaaaaaabbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define SHA_H "cccccccccccccccccccccccccccccccccccccccc"

static char dir[256];

static struct conf *load(void)
{
	char text[2048];

	snprintf(text, sizeof(text),
		 "github = { app_id = 1; app_name = \"cluster-a\"; installation_id = 2;\n"
		 "  private_key = \"/etc/secret/key.pem\"; };\n"
		 "buildenv = { build_job_script = \"/opt/site/job.slurm\";\n"
		 "  jobs_base_dir = \"/srv/jobs\"; slurm_params = [ \"--account=secret-acct\" ];\n"
		 "  build_permission = [ \"alice\", \"bob\" ]; };\n"
		 "deploycfg = { upload_policy = \"latest\"; bucket_name = \"hidden-bucket\";\n"
		 "  endpoint_url = \"https://s3.internal.example:9000\"; deploy_permission = [ \"carol\" ]; };\n"
		 "job_manager = { job_ids_dir = \"%s\"; };\n"
		 "architecturetargets = { arch_target_map = (\n"
		 "  { target = \"linux/x86_64/generic\"; sbatch = [ \"--partition=cpu\" ]; },\n"
		 "  { target = \"linux/x86_64/amd/zen2\"; accelerators = [ \"nvidia/cc80\" ];\n"
		 "    node_type = \"zen2-gpu\"; sbatch = [ \"--constraint=zen2\", \"--gres=gpu:1\" ]; }\n"
		 "); };\n", dir);
	return unit_conf(text);
}

/* A record of PR o/r#pr in sub/ (submitted or finished). */
static void record(const char *sub, long long job, long long pr, const char *inst,
		   const char *target, const char *key, long long at,
		   const char *state, const char *result)
{
	struct jobrec r;
	struct buf text = BUF_INIT(65536);
	struct err e = ERR_INIT;
	char path[512];

	memset(&r, 0, sizeof(r));
	r.job_id = job;
	snprintf(r.repo, sizeof(r.repo), "o/r");
	r.pr_number = pr;
	r.pr_comment_id = 5000 + pr;
	snprintf(r.instance, sizeof(r.instance), "%s", inst);
	snprintf(r.delivery, sizeof(r.delivery), UUID);
	snprintf(r.target, sizeof(r.target), "%s", target);
	snprintf(r.target_key, sizeof(r.target_key), "%s", key);
	snprintf(r.job_dir, sizeof(r.job_dir), "/srv/jobs/%lld", job);
	snprintf(r.head_sha, sizeof(r.head_sha), SHA_H);
	snprintf(r.base_ref, sizeof(r.base_ref), "main");
	snprintf(r.base_sha, sizeof(r.base_sha), SHA_H);
	snprintf(r.merge_sha, sizeof(r.merge_sha), SHA_M);
	snprintf(r.requested_by, sizeof(r.requested_by), "alice");
	r.submitted_at = at;
	snprintf(r.state, sizeof(r.state), "%s", state);
	r.changed_at = at;
	snprintf(r.result, sizeof(r.result), "%s", result);
	ck_assert_int_eq(jobrec_render(&r, &text, &e), 0);
	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	ck_assert_int_eq(xio_mkdir_p(path, 0755, &e), 0);
	snprintf(path, sizeof(path), "%s/%s/%lld", dir, sub, job);
	ck_assert_int_eq(xio_write_atomic(path, text.s, text.len, 0644, &e), 0);
	buf_release(&text);
}

/* The status document of PR 7's comment: job 102 is running now. */
static void document(void)
{
	struct cdoc d;
	struct cdoc_row *row;
	struct err e = ERR_INIT;

	memset(&d, 0, sizeof(d));
	d.comment_id = 5007;
	snprintf(d.repo, sizeof(d.repo), "o/r");
	d.pr_number = 7;
	snprintf(d.instance, sizeof(d.instance), "cluster-a");
	snprintf(d.delivery, sizeof(d.delivery), UUID);
	row = cdoc_add_row(&d);
	snprintf(row->target, sizeof(row->target), "linux/x86_64/amd/zen2");
	snprintf(row->key, sizeof(row->key), "linux_x86_64_amd_zen2");
	row->job_id = 102;
	snprintf(row->state, sizeof(row->state), "running");
	row->changed_at = 1795000600;
	ck_assert_int_eq(cdoc_save(dir, &d, 0, &e), 0);
	cdoc_release(&d);
}

START_TEST(rows_latest_attempt_live_state)
{
	struct conf *c;
	struct report_row *rows = NULL;
	struct err e = ERR_INIT;
	struct buf out = BUF_INIT(65536);
	size_t n = 0;
	char path[512];
	const char *only[] = { "linux_x86_64_generic" };

	unit_mkdtemp(dir, sizeof(dir), "report");
	c = load();
	/* generic: failed once (finished/), then again, still held */
	record("finished", 100, 7, "cluster-a", "linux/x86_64/generic",
	       "linux_x86_64_generic", 1795000000, "finished", "FAILURE");
	record("submitted", 103, 7, "cluster-a", "linux/x86_64/generic",
	       "linux_x86_64_generic", 1795000500, "held", "");
	/* zen2: one attempt, running by its document */
	record("submitted", 102, 7, "cluster-a", "linux/x86_64/amd/zen2",
	       "linux_x86_64_amd_zen2", 1795000100, "held", "");
	document();
	/* not this PR's, not this instance's, and a damaged record */
	record("submitted", 104, 8, "cluster-a", "linux/x86_64/generic",
	       "linux_x86_64_generic", 1795000900, "held", "");
	record("finished", 105, 7, "cluster-b", "linux/x86_64/generic",
	       "linux_x86_64_generic", 1795000900, "finished", "SUCCESS");
	snprintf(path, sizeof(path), "%s/submitted/106", dir);
	ck_assert_int_eq(xio_write_atomic(path, "[JOB\n", 5, 0644, &e), 0);

	ck_assert_int_eq(report_rows(c, "o/r", 7, NULL, 0, &rows, &n, &e), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(rows[0].target, "linux/x86_64/amd/zen2");
	ck_assert_int_eq(rows[0].job_id, 102);
	ck_assert_str_eq(rows[0].state, "running");
	ck_assert_int_eq(rows[0].changed_at, 1795000600);
	ck_assert_int_eq(rows[0].attempts, 1);
	ck_assert_str_eq(rows[1].target, "linux/x86_64/generic");
	ck_assert_int_eq(rows[1].job_id, 103);
	ck_assert_str_eq(rows[1].state, "held");
	ck_assert_int_eq(rows[1].attempts, 2);
	ck_assert_int_eq(report_status_text("cluster-a", rows, n, &out), 0);
	ck_assert_ptr_nonnull(strstr(out.s, "| linux/x86_64/amd/zen2 | running |  | 102 | `aaaaaaaaaaaa` | 2026-11-18 "));
	ck_assert_ptr_nonnull(strstr(out.s, "| linux/x86_64/generic | held |  | 103 (attempt 2) |"));
	free(rows);
	/* every job, for bot: cancel: over or not by the document */
	{
		struct report_job *jobs = NULL;
		size_t nj = 0;

		ck_assert_int_eq(report_jobs(c, "o/r", 7, NULL, 0, &jobs, &nj, &e), 0);
		ck_assert_uint_eq(nj, 3);
		ck_assert_int_eq(jobs[0].id, 100);
		ck_assert_int_eq(jobs[0].over, 1);
		ck_assert_int_eq(jobs[1].id, 102);
		ck_assert_str_eq(jobs[1].state, "running");
		ck_assert_int_eq(jobs[1].over, 0);
		ck_assert_int_eq(jobs[2].id, 103);
		ck_assert_int_eq(jobs[2].over, 0);
		free(jobs);
		ck_assert_int_eq(report_jobs(c, "o/r", 7, only, 1, &jobs, &nj, &e), 0);
		ck_assert_uint_eq(nj, 2); /* generic's two attempts */
		free(jobs);
	}
	/* what a retry takes: over and not a success */
	{
		struct report_row r;

		memset(&r, 0, sizeof(r));
		snprintf(r.state, sizeof(r.state), "finished");
		snprintf(r.result, sizeof(r.result), "FAILURE");
		ck_assert_int_eq(report_failed(&r), 1);
		snprintf(r.result, sizeof(r.result), "UNKNOWN");
		ck_assert_int_eq(report_failed(&r), 1);
		snprintf(r.result, sizeof(r.result), "SUCCESS");
		ck_assert_int_eq(report_failed(&r), 0);
		snprintf(r.state, sizeof(r.state), "lost");
		r.result[0] = '\0';
		ck_assert_int_eq(report_failed(&r), 1);
		snprintf(r.state, sizeof(r.state), "running");
		ck_assert_int_eq(report_failed(&r), 0);
	}
	/* narrowed to one target */
	ck_assert_int_eq(report_rows(c, "o/r", 7, only, 1, &rows, &n, &e), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(rows[0].job_id, 103);
	free(rows);
	/* a PR with nothing */
	ck_assert_int_eq(report_rows(c, "o/r", 9, NULL, 0, &rows, &n, &e), 0);
	ck_assert_uint_eq(n, 0);
	buf_clear(&out);
	ck_assert_int_eq(report_status_text("cluster-a", rows, n, &out), 0);
	ck_assert_str_eq(out.s, "Instance `cluster-a` has built nothing of this pull request.\n");
	free(rows);
	/* submitted/ there but no directory: an error, not "nothing built" */
	unit_rm_rf(path);
	snprintf(path, sizeof(path), "%s/submitted", dir);
	unit_rm_rf(path);
	ck_assert_int_eq(xio_write_atomic(path, "x", 1, 0644, &e), 0);
	ck_assert_int_eq(report_rows(c, "o/r", 7, NULL, 0, &rows, &n, &e), -1);
	ck_assert_ptr_null(rows);
	ck_assert_ptr_nonnull(strstr(e.msg, "/submitted"));
	buf_release(&out);
	conf_free(c);
	unit_rm_rf(dir);
}
END_TEST

START_TEST(config_shown_and_not)
{
	struct conf *c;
	struct buf out = BUF_INIT(65536);

	unit_mkdtemp(dir, sizeof(dir), "report");
	c = load();
	ck_assert_int_eq(report_config_text(c, &out), 0);
	ck_assert_ptr_nonnull(strstr(out.s, "Configuration of instance `cluster-a`"));
	ck_assert_ptr_nonnull(strstr(out.s, "| `linux/x86_64/generic` | - | - | - | `--partition=cpu` |"));
	ck_assert_ptr_nonnull(strstr(out.s, "| `linux/x86_64/amd/zen2` | - | `nvidia/cc80` | `zen2-gpu` | `--constraint=zen2` `--gres=gpu:1` |"));
	ck_assert_ptr_nonnull(strstr(out.s, "- upload policy: `latest`"));
	ck_assert_ptr_nonnull(strstr(out.s, "- chat level: `basic`"));
	ck_assert_ptr_nonnull(strstr(out.s, "- may build (`build_permission`): `alice`, `bob`"));
	ck_assert_ptr_nonnull(strstr(out.s, "- may deploy (`deploy_permission`): `carol`"));
	/* never: paths, the bucket, the endpoint, site-wide sbatch params */
	ck_assert_ptr_null(strstr(out.s, "/srv"));
	ck_assert_ptr_null(strstr(out.s, "/opt"));
	ck_assert_ptr_null(strstr(out.s, "/etc"));
	ck_assert_ptr_null(strstr(out.s, "hidden-bucket"));
	ck_assert_ptr_null(strstr(out.s, "internal.example"));
	ck_assert_ptr_null(strstr(out.s, "secret-acct"));
	buf_release(&out);
	conf_free(c);
	unit_rm_rf(dir);
}
END_TEST

Suite *report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("report");

	tcase_add_test(tc, rows_latest_attempt_live_state);
	tcase_add_test(tc, config_shown_and_not);
	suite_add_tcase(s, tc);
	return s;
}
