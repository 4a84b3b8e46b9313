/* test_jobcfg.c - cfg/job.cfg: the whole file for a configuration loaded
 * from app.cfg text, the minimal one, the JSON of cvmfs_customizations,
 * and the refusals (no repos.cfg section, values that would change the
 * file's meaning). */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "conf.h"
#include "ini.h"
#include "jobcfg.h"
#include "target.h"
#include "unit.h"
#include "xio.h"

#define CFG_DIR \
	"/jobs/run_001/eessi.io-2023.06-software/linux_x86_64_amd_zen2/cfg"
#define REPO "eessi.io-2023.06-software"

static const char full_cfg[] =
	"github = { app_id = 1; app_name = \"test-bot\"; installation_id = 2;\n"
	"  private_key = \"/etc/eessi-bot/app.pem\"; };\n"
	"buildenv = {\n"
	"  build_job_script = \"/opt/bot-build.slurm\";\n"
	"  jobs_base_dir = \"/jobs\";\n"
	"  local_tmp = \"/tmp/$USER/EESSI\";\n"
	"  load_modules = [ \"EESSI-extend/2023.06\", \"GCC/12.3.0\" ];\n"
	"  http_proxy = \"http://proxy.example.org:3128\";\n"
	"  https_proxy = \"http://proxy.example.org:3129\";\n"
	"  container_cachedir = \"/shared/containers\";\n"
	"  build_logs_dir = \"/shared/logs\";\n"
	"  shared_fs_path = \"/shared\";\n"
	"  site_config_script = \"/shared/site.sh\";\n"
	"  cvmfs_customizations = (\n"
	"    { file = \"/etc/cvmfs/default.local\";\n"
	"      line = \"CVMFS_HTTP_PROXY=\\\"http://p:3128|DIRECT\\\"\"; },\n"
	"    { file = \"/etc/cvmfs/domain.d/eessi.io.local\";\n"
	"      line = \"CVMFS_SERVER_URL=http://s/cvmfs/@fqrn@\"; },\n"
	"    { file = \"/etc/cvmfs/default.local\";\n"
	"      line = \"CVMFS_QUOTA_LIMIT=10000\"; }\n"
	"  );\n"
	"};\n"
	"architecturetargets = { arch_target_map = (\n"
	"  { target = \"linux/x86_64/amd/zen2\"; node_type = \"zen2-gpu\";\n"
	"    accelerators = [ \"nvidia/cc80\" ]; }\n"
	"); };\n"
	"job_manager = { job_ids_dir = \"/jobs/ids\"; };\n";

static const char minimal_cfg[] =
	"github = { app_id = 1; app_name = \"test-bot\"; installation_id = 2;\n"
	"  private_key = \"/etc/eessi-bot/app.pem\"; };\n"
	"buildenv = { build_job_script = \"/opt/bot-build.slurm\";\n"
	"  jobs_base_dir = \"/jobs\"; };\n"
	"architecturetargets = { arch_target_map = (\n"
	"  { target = \"linux/aarch64/neoverse_v1\"; }\n"
	"); };\n"
	"job_manager = { job_ids_dir = \"/jobs/ids\"; };\n";

static const char repos_text[] =
	"[" REPO "]\n"
	"repo_name = software.eessi.io\n"
	"repo_version = 2023.06\n"
	"config_bundle = eessi.io-cfg_files.tgz\n"
	"config_map = {\"eessi.io-cfg_files.tgz\": \"/etc/cvmfs\"}\n"
	"container = docker://ghcr.io/eessi/build-node:debian12\n"
	"[other]\n"
	"repo_name = other\n";

/* Loads app.cfg text through a temporary file, as the bot does. */
static struct conf *load_conf(const char *text)
{
	char dir[256], path[300];
	struct conf_env env = { "/home/tester", "tester" };
	struct buf report = BUF_INIT(BUF_CAP_DEFAULT);
	struct conf *c = NULL;
	struct err e = ERR_INIT;

	unit_mkdtemp(dir, sizeof(dir), "jobcfg");
	snprintf(path, sizeof(path), "%s/app.cfg", dir);
	ck_assert_int_eq(xio_write_atomic(path, text, strlen(text), 0600, &e),
			 0);
	ck_assert_msg(conf_load(path, &env, &c, &report) == 0, "%s", report.s);
	buf_release(&report);
	unit_rm_rf(dir);
	return c;
}

static struct ini *parse(const char *text)
{
	struct ini *ini = NULL;
	struct err e = ERR_INIT;

	ck_assert_msg(ini_parse(text, strlen(text), &ini, &e) == 0, "%s",
		      e.msg);
	return ini;
}

static void set_target(struct target *t, const struct conf_arch_target *a,
		       const char *repo_id, const char *accel)
{
	memset(t, 0, sizeof(*t));
	t->arch = a;
	t->repo_id = repo_id;
	t->accel = accel;
}

START_TEST(full_configuration)
{
	struct conf *c = load_conf(full_cfg);
	struct ini *repos = parse(repos_text), *back;
	struct buf out = BUF_INIT(BUF_CAP_DEFAULT);
	struct err e = ERR_INIT;
	struct target t;

	set_target(&t, &c->architecturetargets.arch_target_map[0], REPO,
		   "nvidia/cc80");
	ck_assert_int_eq(buf_adds(&out, "# kept\n"), 0);
	ck_assert_msg(jobcfg_render(c, &t, CFG_DIR, repos, &out, &e) == 0, "%s",
		      e.msg);
	ck_assert_str_eq(out.s,
		"# kept\n"
		"\n[site_config]\n"
		"build_logs_dir = /shared/logs\n"
		"container_cachedir = /shared/containers\n"
		"http_proxy = http://proxy.example.org:3128\n"
		"https_proxy = http://proxy.example.org:3129\n"
		"load_modules = EESSI-extend/2023.06,GCC/12.3.0\n"
		"local_tmp = /tmp/$USER/EESSI\n"
		"shared_fs_path = /shared\n"
		"site_config_script = /shared/site.sh\n"
		"cvmfs_customizations = {\"/etc/cvmfs/default.local\":"
		"\"CVMFS_HTTP_PROXY=\\\"http://p:3128|DIRECT\\\"\\n"
		"CVMFS_QUOTA_LIMIT=10000\","
		"\"/etc/cvmfs/domain.d/eessi.io.local\":"
		"\"CVMFS_SERVER_URL=http://s/cvmfs/@fqrn@\"}\n"
		"\n[repository]\n"
		"repos_cfg_dir = " CFG_DIR "\n"
		"repo_id = " REPO "\n"
		"container = docker://ghcr.io/eessi/build-node:debian12\n"
		"repo_name = software.eessi.io\n"
		"repo_version = 2023.06\n"
		"\n[architecture]\n"
		"software_subdir = x86_64/amd/zen2\n"
		"os_type = linux\n"
		"accelerator = nvidia/cc80\n"
		"node_type = zen2-gpu\n");

	/* what the job's scripts read back */
	back = parse(out.s);
	ck_assert_str_eq(ini_get(back, "repository", "repo_id"), REPO);
	ck_assert_ptr_null(ini_get(back, "repository", "config_map"));
	ck_assert_ptr_null(ini_get(back, "repository", "config_bundle"));
	ck_assert_str_eq(ini_get(back, "architecture", "os_type"), "linux");
	ini_free(back);
	ini_free(repos);
	buf_release(&out);
	conf_free(c);
}
END_TEST

START_TEST(minimal_configuration)
{
	struct conf *c = load_conf(minimal_cfg);
	struct buf out = BUF_INIT(BUF_CAP_DEFAULT);
	struct err e = ERR_INIT;
	struct target t;

	set_target(&t, &c->architecturetargets.arch_target_map[0], "", "");
	ck_assert_msg(jobcfg_render(c, &t, CFG_DIR, NULL, &out, &e) == 0, "%s",
		      e.msg);
	ck_assert_str_eq(out.s, "[site_config]\n"
				"local_tmp = /tmp/$USER/EESSI\n"
				"\n[repository]\n"
				"\n[architecture]\n"
				"software_subdir = aarch64/neoverse_v1\n"
				"os_type = linux\n");
	buf_release(&out);
	conf_free(c);
}
END_TEST

START_TEST(cvmfs_customizations_are_json)
{
	static char file1[] = "/etc/cvmfs/default.local";
	static char file2[] = "/etc/cvmfs/x.local";
	static char l1[] = "A=\"quoted\" \\ back</script>";
	static char l2[] = "two\nlines";
	static char l3[] = "B=caf\xc3\xa9";
	struct conf_cvmfs cv[] = {
		{ file1, l1 }, { file2, l2 }, { file1, l3 },
	};
	struct conf_arch_target a = { 0 };
	static char arch[] = "linux/x86_64/generic";
	struct conf c;
	struct target t;
	struct buf out = BUF_INIT(BUF_CAP_DEFAULT);
	struct err e = ERR_INIT;
	struct json_object *o, *v;
	struct ini *back;

	memset(&c, 0, sizeof(c));
	c.buildenv.cvmfs_customizations = cv;
	c.buildenv.n_cvmfs_customizations = 3;
	a.target = arch;
	set_target(&t, &a, "", "");
	ck_assert_msg(jobcfg_render(&c, &t, CFG_DIR, NULL, &out, &e) == 0, "%s",
		      e.msg);
	back = parse(out.s);
	o = json_tokener_parse(ini_get(back, "site_config",
				       "cvmfs_customizations"));
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(json_object_object_length(o), 2);
	ck_assert(json_object_object_get_ex(o, file1, &v));
	ck_assert_str_eq(json_object_get_string(v),
			 "A=\"quoted\" \\ back</script>\nB=caf\xc3\xa9");
	ck_assert(json_object_object_get_ex(o, file2, &v));
	ck_assert_str_eq(json_object_get_string(v), "two\nlines");
	/* one line in the file, slashes as they are */
	ck_assert_ptr_nonnull(strstr(out.s, "cvmfs_customizations = "
					    "{\"/etc/cvmfs/default.local\":"));
	ck_assert_ptr_null(strstr(out.s, "\\/"));
	json_object_put(o);
	ini_free(back);
	buf_release(&out);
}
END_TEST

START_TEST(repository_without_section_refused)
{
	struct conf *c = load_conf(minimal_cfg);
	struct ini *repos = parse(repos_text);
	struct buf out = BUF_INIT(BUF_CAP_DEFAULT);
	struct err e = ERR_INIT;
	struct target t;

	set_target(&t, &c->architecturetargets.arch_target_map[0], "nosuch",
		   "");
	ck_assert_int_eq(buf_adds(&out, "x"), 0);
	ck_assert_int_eq(jobcfg_render(c, &t, CFG_DIR, repos, &out, &e), -1);
	ck_assert_int_eq(e.code, ERR_CONFIG);
	ck_assert_str_eq(e.msg, "repos.cfg has no section [nosuch]");
	ck_assert_str_eq(out.s, "x");

	err_clear(&e);
	set_target(&t, &c->architecturetargets.arch_target_map[0], REPO, "");
	ck_assert_int_eq(jobcfg_render(c, &t, CFG_DIR, NULL, &out, &e), -1);
	ck_assert_int_eq(e.code, ERR_CONFIG);
	ck_assert_str_eq(e.msg, "repos.cfg has no section [" REPO "]");

	/* a section with only some keys: those are written */
	err_clear(&e);
	set_target(&t, &c->architecturetargets.arch_target_map[0], "other", "");
	ck_assert_int_eq(jobcfg_render(c, &t, CFG_DIR, repos, &out, &e), 0);
	ck_assert_ptr_nonnull(strstr(out.s, "\n[repository]\nrepos_cfg_dir = "
					    CFG_DIR "\nrepo_id = other\n"
					    "repo_name = other\n\n"));
	ini_free(repos);
	buf_release(&out);
	conf_free(c);
}
END_TEST

/* Renders with one hostile value and expects ERR_INVAL naming key, out
 * unchanged. */
static void refused(const struct conf *c, const struct target *t,
		    const char *dir, const struct ini *repos, const char *key)
{
	struct buf out = BUF_INIT(BUF_CAP_DEFAULT);
	struct err e = ERR_INIT;

	ck_assert_msg(jobcfg_render(c, t, dir, repos, &out, &e) == -1,
		      "%s accepted:\n%s", key, out.s);
	ck_assert_int_eq(e.code, ERR_INVAL);
	ck_assert_msg(strstr(e.msg, key) != NULL, "'%s' not in '%s'", key,
		      e.msg);
	ck_assert_uint_eq(out.len, 0);
	buf_release(&out);
}

START_TEST(values_that_would_change_the_file_refused)
{
	static char arch[] = "linux/x86_64/generic";
	static char no_os[] = "x86_64";
	static char inject[] = "/shared\n[repository]\nrepo_id = evil";
	static char blank_end[] = "/shared ";
	static char ctl[] = "/shared\x1b[2J";
	static char shell[] = "zzz\";echo${IFS}\"hello\";#";
	struct conf_arch_target a = { 0 };
	struct conf c;
	struct target t;
	struct buf out = BUF_INIT(BUF_CAP_DEFAULT);
	struct err e = ERR_INIT;
	struct ini *repos, *back;

	memset(&c, 0, sizeof(c));
	a.target = arch;
	set_target(&t, &a, "", "");
	c.buildenv.shared_fs_path = inject;
	refused(&c, &t, CFG_DIR, NULL,
		"shared_fs_path: value has more than one line");
	c.buildenv.shared_fs_path = blank_end;
	refused(&c, &t, CFG_DIR, NULL, "shared_fs_path");
	c.buildenv.shared_fs_path = NULL;
	c.buildenv.site_config_script = ctl;
	refused(&c, &t, CFG_DIR, NULL, "site_config_script");
	c.buildenv.site_config_script = NULL;
	refused(&c, &t, "relative/cfg", NULL, "not absolute");
	a.target = no_os;
	refused(&c, &t, CFG_DIR, NULL, "not OS/SUBDIR");
	a.target = arch;

	/* repos.cfg values: continuation lines are not passed on... */
	repos = parse("[r]\ncontainer = a\n    [architecture]\n");
	set_target(&t, &a, "r", "");
	refused(&c, &t, CFG_DIR, repos, "container");
	ini_free(repos);
	repos = parse("[r]\nrepo_name = a\x1b]0;title\x07\n");
	refused(&c, &t, CFG_DIR, repos, "repo_name");
	ini_free(repos);
	repos = parse("[r]\n");
	refused(&c, &t, "/jobs/cfg\n[x]", repos, "repos_cfg_dir");
	ini_free(repos);

	/* ...shell syntax is only text to an INI file and reads back as is */
	c.buildenv.http_proxy = shell;
	repos = parse("[r]\nrepo_name = $(id)\nrepo_version = ../../etc\n");
	ck_assert_int_eq(jobcfg_render(&c, &t, CFG_DIR, repos, &out, &e), 0);
	back = parse(out.s);
	ck_assert_str_eq(ini_get(back, "site_config", "http_proxy"), shell);
	ck_assert_str_eq(ini_get(back, "repository", "repo_name"), "$(id)");
	ck_assert_str_eq(ini_get(back, "repository", "repo_version"),
			 "../../etc");
	ck_assert_ptr_null(ini_get(back, "repository", "container"));
	ini_free(back);
	ini_free(repos);
	buf_release(&out);
}
END_TEST

START_TEST(cap_hit_leaves_out_as_it_was)
{
	struct conf *c = load_conf(full_cfg);
	struct ini *repos = parse(repos_text);
	struct buf out = BUF_INIT(300);
	struct err e = ERR_INIT;
	struct target t;

	set_target(&t, &c->architecturetargets.arch_target_map[0], REPO, "");
	ck_assert_int_eq(buf_adds(&out, "keep"), 0);
	ck_assert_int_eq(jobcfg_render(c, &t, CFG_DIR, repos, &out, &e), -1);
	ck_assert_int_eq(e.code, ERR_TOOBIG);
	ck_assert_str_eq(out.s, "keep");
	ini_free(repos);
	buf_release(&out);
	conf_free(c);
}
END_TEST

Suite *jobcfg_suite(void)
{
	Suite *s = suite_create("jobcfg");
	TCase *tc = tcase_create("render");

	tcase_add_test(tc, full_configuration);
	tcase_add_test(tc, minimal_configuration);
	tcase_add_test(tc, cvmfs_customizations_are_json);
	tcase_add_test(tc, repository_without_section_refused);
	tcase_add_test(tc, values_that_would_change_the_file_refused);
	tcase_add_test(tc, cap_hit_leaves_out_as_it_was);
	suite_add_tcase(s, tc);
	return s;
}
