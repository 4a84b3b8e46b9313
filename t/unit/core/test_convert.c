/* test_convert.c - the original bot's INI app.cfg into ours
 * (lib/core/convert.h), on t/data/convert/: a v0.9 site file with every
 * key of that version (mapped, or one note each saying why not, the
 * lines configparser takes and ours refuses skipped with a note) and an
 * older one with the JSON target maps; both results load as this bot's
 * configuration.  And what is no INI, or broken JSON. */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "conf.h"
#include "convert.h"
#include "unit.h"
#include "xio.h"

static void convert_file(const char *path, struct buf *out, struct buf *notes,
			 int *n)
{
	struct buf text = BUF_INIT(1 << 20);
	struct err e = ERR_INIT;

	ck_assert_msg(xio_read_file(path, &text, 1, &e) == 0, "%s", e.msg);
	*n = convert_config(text.s, text.len, "orig.cfg", out, notes, &e);
	ck_assert_msg(*n >= 0, "%s", e.msg);
	buf_release(&text);
}

static void has(const char *hay, const char *needle)
{
	ck_assert_msg(strstr(hay, needle) != NULL, "no \"%s\" in:\n%s", needle, hay);
}

START_TEST(v09_site_file)
{
	struct buf out = BUF_INIT(1 << 20), notes = BUF_INIT(1 << 20);
	struct conf *c;
	int n;

	convert_file("data/convert/original-v0.9.cfg", &out, &notes, &n);
	/* mapped */
	has(out.s, "  app_id = 281234;\n");
	has(out.s, "  command_permission = [ \"alice\", \"bob\" ];\n");
	has(out.s, "  slurm_params = [ \"--hold\", \"--account=eessi build\" ];\n");
	has(out.s, "  load_modules = [ \"Apptainer/1.2.4\", \"git/2.42\" ];\n");
	has(out.s, "  allowed_jobargs = [ \"SKIP_TESTS=yes\", \"EESSI\\\\.TEST=1\" ];\n");
	has(out.s, "{ file = \"/etc/cvmfs/default.local\"; line = "
		   "\"CVMFS_HTTP_PROXY=\\\"http://squid.site-a:3128\\\"\"; }");
	has(out.s, "{ target = \"linux/x86_64/amd/zen4\"; sbatch = [ \"-p\", \"genoa\", "
		   "\"--nodes\", \"1\" ];\n      accelerators = [ \"nvidia/cc90\" ]; "
		   "node_type = \"cpu_zen4\"; }");
	has(out.s, "{ target = \"linux/x86_64/amd/zen2\"; repos = [ "
		   "\"eessi.io-2023.06-software\", \"eessi.io-2025.06-software\" ]; }");
	has(out.s, "  log_file = \"/home/bot/logs/job_manager.log\";\n");
	has(out.s, "  bucket_name = \"eessi-staging-2023\";\n");
	has(out.s, "  deploy_permission = [ ];\n");
	/* not mapped, one note each */
	has(notes.s, "orig.cfg:63: skipped: bad key name");
	has(notes.s, "orig.cfg:13: [bot_control] command_response_fmt: not mapped");
	has(notes.s, "[buildenv] job_name: not mapped");
	has(notes.s, "[buildenv] allow_update_submit_opts: sbatch options");
	has(notes.s, "[deploycfg] signing: not mapped");
	has(notes.s, "[deploycfg] bucket_name: a bucket per repository");
	has(notes.s, "[deploycfg] deploy_permission: empty: the original let anyone");
	has(notes.s, "node type gpu_h100 is a second one for linux/x86_64/amd/zen4");
	has(notes.s, "orig.cfg:99: [job_manager] frobnicate: not a key of the original");
	has(notes.s, "[download_pr_comments] git_clone_failure: not mapped");
	has(notes.s, "[clean_up] moved_job_dirs_comment: not mapped");
	has(notes.s, "[buildenv] clone_git_repo_via: \"ssh\": not mapped");
	ck_assert_int_eq(n, 20);
	ck_assert_ptr_null(strstr(out.s, "job_name"));
	ck_assert_ptr_null(strstr(out.s, "frobnicate"));
	/* the result is this bot's configuration */
	c = unit_conf(out.s);
	ck_assert_int_eq((int)c->architecturetargets.n_arch_target_map, 2);
	conf_free(c);
	buf_release(&out);
	buf_release(&notes);
}
END_TEST

START_TEST(older_json_maps)
{
	struct buf out = BUF_INIT(1 << 20), notes = BUF_INIT(1 << 20);
	struct conf *c;
	int n;

	convert_file("data/convert/original-v0.8.cfg", &out, &notes, &n);
	ck_assert_int_eq(n, 0);
	has(out.s, "{ target = \"linux/aarch64/neoverse_v1\"; sbatch = [ \"--constraint\", "
		   "\"shape=c7g.2xlarge\" ]; }");
	c = unit_conf(out.s);
	ck_assert_int_eq((int)c->repo_targets.n_repo_target_map, 2);
	conf_free(c);
	buf_release(&out);
	buf_release(&notes);
}
END_TEST

START_TEST(not_ini_or_broken_json)
{
	static const char ours[] = "github = { app_id = 1; };\n";
	static const char broken[] = "[architecturetargets]\n"
				     "arch_target_map = { \"linux/x86_64/generic\": \n"
				     "[buildenv]\nslurm_params = \"--hold\n";
	struct buf out = BUF_INIT(1 << 20), notes = BUF_INIT(1 << 20);
	struct err e = ERR_INIT;

	ck_assert_int_eq(convert_config(ours, strlen(ours), "x.cfg", &out, &notes, &e), -1);
	has(e.msg, "x.cfg: no [section]: not the original bot's app.cfg");
	err_clear(&e);
	buf_clear(&out);
	buf_clear(&notes);
	ck_assert_int_eq(convert_config(broken, strlen(broken), "b.cfg", &out, &notes,
					&e), 2);
	has(notes.s, "b.cfg:2: [architecturetargets] arch_target_map: not a JSON object");
	has(notes.s, "b.cfg:4: [buildenv] slurm_params: an unclosed quote");
	buf_release(&out);
	buf_release(&notes);
}
END_TEST

Suite *convert_suite(void)
{
	Suite *s = suite_create("convert");
	TCase *tc = tcase_create("convert");

	tcase_add_test(tc, v09_site_file);
	tcase_add_test(tc, older_json_maps);
	tcase_add_test(tc, not_ini_or_broken_json);
	suite_add_tcase(s, tc);
	return s;
}
