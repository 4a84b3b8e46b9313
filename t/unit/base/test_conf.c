/* test_conf.c - app.cfg loading: the documented example, defaults, every
 * class of problem with its file:line and key, the dump.  Runs from t/;
 * the configurations are under t/data/conf/. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "unit.h"

#define EXAMPLE "../conf/app.cfg.example"
#define D "data/conf/"
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const struct conf_env env = {"/home/tester", "tester"};

/* Loads file with the test environment; the report is left in r. */
static int load(const char *file, struct conf **c, struct buf *r)
{
	buf_init(r, BUF_CAP_DEFAULT);
	return conf_load(file, &env, c, r);
}

/* Number of report lines that are (not) warnings. */
static int count_lines(const char *report, int warnings)
{
	int n = 0;

	for (const char *p = report; *p; p = strchr(p, '\n') + 1) {
		if (!strchr(p, '\n'))
			break;
		if ((strncmp(p, "warning: ", 9) == 0) == warnings)
			n++;
	}
	return n;
}

/* Whether some line of report starts with prefix. */
static int has_line(const char *report, const char *prefix)
{
	size_t n = strlen(prefix);

	for (const char *p = report; p && *p; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncmp(p, prefix, n) == 0)
			return 1;
	}
	return 0;
}

#define ck_report_has(r, prefix)                                          \
	ck_assert_msg(has_line((r)->s, prefix), "no line '%s' in:\n%s",   \
		      prefix, (r)->s)

/* Reads a whole (small) file into b. */
static void slurp(const char *file, struct buf *b)
{
	char chunk[4096];
	ssize_t n;
	int fd = open(file, O_RDONLY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		ck_assert_int_eq(buf_add(b, chunk, (size_t)n), 0);
	ck_assert_int_eq(n, 0);
	close(fd);
}

START_TEST(example_loads_cleanly)
{
	struct conf *c = NULL;
	struct buf r;
	const struct conf_arch_target *t;

	ck_assert_msg(load(EXAMPLE, &c, &r) == 0, "%s", r.s);
	ck_assert_int_eq(count_lines(r.s, 0), 0);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->github.app_id, 123456);
	ck_assert_str_eq(c->github.app_name, "my-cluster-bot");
	ck_assert_str_eq(c->github.private_key,
			 "/home/tester/.eessi-bot/app.private-key.pem");
	ck_assert_str_eq(c->buildenv.jobs_base_dir, "/home/tester/eessi-bot/jobs");
	ck_assert_str_eq(c->buildenv.local_tmp, "/tmp/$USER/EESSI");
	ck_assert_uint_eq(c->buildenv.n_cvmfs_customizations, 1);
	ck_assert_str_eq(c->buildenv.cvmfs_customizations[0].file,
			 "/etc/cvmfs/default.local");
	ck_assert_str_eq(c->buildenv.cvmfs_customizations[0].line,
			 "CVMFS_HTTP_PROXY=\"http://proxy.example.org:3128\"");
	ck_assert_uint_eq(c->architecturetargets.n_arch_target_map, 3);
	t = conf_arch_target(c, "linux/x86_64/amd/zen2");
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(t->sbatch.n, 2);
	ck_assert_str_eq(t->sbatch.v[1], "shape=c5a.2xlarge");
	ck_assert_ptr_null(t->sbatch.v[2]); /* usable as part of an argv */
	ck_assert_str_eq(t->node_type, "c5a.2xlarge");
	t = conf_arch_target(c, "linux/x86_64/amd/zen3");
	ck_assert_uint_eq(t->accelerators.n, 1);
	ck_assert_str_eq(t->accelerators.v[0], "nvidia/cc80");
	ck_assert_ptr_null(conf_arch_target(c, "linux/aarch64/generic"));
	ck_assert_uint_eq(c->repo_targets.n_repo_target_map, 1);
	ck_assert_str_eq(c->repo_targets.repo_target_map[0].repos.v[0],
			 "eessi-2023.06-software");
	ck_assert_int_eq(c->deploycfg.upload_policy, CONF_UPLOAD_ONCE);
	ck_assert_str_eq(c->deploycfg.bucket_name, "eessi-staging");
	ck_assert_ptr_null(c->deploycfg.credentials_file);
	ck_assert_uint_eq(c->deploycfg.signing_command.n, 0);
	ck_assert(conf_has_login(&c->buildenv.build_permission, "Maintainer-1"));
	ck_assert(!conf_has_login(&c->buildenv.build_permission, "maintainer"));
	conf_free(c);
	buf_release(&r);
}
END_TEST

/* The next key named in a dump line, or NULL: "  key = ...;" or
 * "  # key is not set".  *indent receives the line's indentation. */
static const char *dump_key(const char *line, char *key, size_t size,
			    int *indent)
{
	const char *p = line, *end;

	while (*p == ' ')
		p++;
	*indent = (int)(p - line);
	if (strncmp(p, "# ", 2) == 0 && strstr(p, " is not set"))
		p += 2;
	end = p;
	while ((*end >= 'a' && *end <= 'z') || *end == '_')
		end++;
	if (end == p || (size_t)(end - p) >= size ||
	    (strncmp(end, " = ", 3) != 0 && strncmp(end, " is not set", 11) != 0))
		return NULL;
	memcpy(key, p, (size_t)(end - p));
	key[end - p] = '\0';
	return key;
}

/* Offset of "key =" in text at or after from (not inside a longer name),
 * or -1. */
static long find_key(const char *text, size_t from, const char *key)
{
	size_t n = strlen(key);

	for (const char *p = text + from; (p = strstr(p, key)); p++) {
		char before = p > text ? p[-1] : ' ';

		if (((before >= 'a' && before <= 'z') || before == '_') ||
		    strncmp(p + n, " =", 2) != 0)
			continue;
		return (long)(p - text);
	}
	return -1;
}

/* conf_dump() walks the schema table and names every group and key (set,
 * or "# key is not set"), so the keys of a dump are the schema's keys in
 * the schema's order.  Each must appear in the example, in that order. */
START_TEST(example_documents_every_key_in_order)
{
	struct buf r, dump = BUF_INIT(BUF_CAP_DEFAULT);
	struct buf text = BUF_INIT(BUF_CAP_DEFAULT);
	struct conf *c = NULL;
	char key[64];
	const char *line;
	size_t pos = 0;
	long at;
	int indent, skip_entries = 0, checked = 0;

	ck_assert_int_eq(load(EXAMPLE, &c, &r), 0);
	ck_assert_int_eq(conf_dump(c, &dump), 0);
	slurp(EXAMPLE, &text);
	for (line = dump.s; *line; line = strchr(line, '\n') + 1) {
		if (strncmp(line, "    }", 5) == 0)
			skip_entries = 1; /* an entry's keys: check the first */
		if (!dump_key(line, key, sizeof(key), &indent))
			continue;
		if (indent <= 2)
			skip_entries = 0;
		if (skip_entries && indent > 2)
			continue;
		at = find_key(text.s, pos, key);
		ck_assert_msg(at >= 0, "'%s' is not documented in %s (after "
			      "offset %zu)", key, EXAMPLE, pos);
		pos = (size_t)at + 1;
		checked++;
	}
	ck_assert_int_ge(checked, 60);
	conf_free(c);
	buf_release(&r);
	buf_release(&dump);
	buf_release(&text);
}
END_TEST

START_TEST(minimal_gets_the_documented_defaults)
{
	struct conf *c = NULL;
	struct buf r;

	ck_assert_msg(load(D "minimal.cfg", &c, &r) == 0, "%s", r.s);
	ck_assert_int_eq(count_lines(r.s, 0), 0);
	ck_assert_int_eq(count_lines(r.s, 1), 1); /* build_permission */
	ck_report_has(&r, "warning: " D "minimal.cfg:9: buildenv.build_permission: "
		      "empty: nobody may start builds");
	ck_assert_str_eq(c->path, D "minimal.cfg");
	ck_assert_str_eq(c->github.api_url, "https://api.github.com");
	ck_assert_ptr_null(c->github.webhook_secret_file);
	ck_assert_str_eq(c->github.token_cache_dir,
			 "/home/tester/.eessi-bot/tokens");
	ck_assert_uint_eq(c->bot_control.command_permission.n, 0);
	ck_assert_ptr_null(c->bot_control.command_permission.v);
	ck_assert_int_eq(c->bot_control.chatlevel, CONF_CHAT_BASIC);
	ck_assert_str_eq(c->buildenv.submit_command, "/usr/bin/sbatch");
	ck_assert_uint_eq(c->buildenv.slurm_params.n, 1);
	ck_assert_str_eq(c->buildenv.slurm_params.v[0], "--hold");
	ck_assert_ptr_null(c->buildenv.slurm_params.v[1]);
	ck_assert_int_eq(c->buildenv.job_handover_protocol,
			 CONF_HANDOVER_HOLD_RELEASE);
	ck_assert_int_eq(c->buildenv.job_delay_begin_factor, 2);
	ck_assert_str_eq(c->buildenv.jobs_base_dir, "/home/tester/jobs");
	ck_assert_str_eq(c->buildenv.local_tmp, "/tmp/$USER/EESSI");
	ck_assert_uint_eq(c->buildenv.load_modules.n, 0);
	ck_assert_ptr_null(c->buildenv.http_proxy);
	ck_assert_ptr_null(c->buildenv.https_proxy);
	ck_assert_ptr_null(c->buildenv.container_cachedir);
	ck_assert_ptr_null(c->buildenv.build_logs_dir);
	ck_assert_ptr_null(c->buildenv.shared_fs_path);
	ck_assert_ptr_null(c->buildenv.site_config_script);
	ck_assert_uint_eq(c->buildenv.n_cvmfs_customizations, 0);
	ck_assert_uint_eq(c->buildenv.build_permission.n, 0);
	ck_assert_ptr_nonnull(c->buildenv.no_build_permission_comment);
	ck_assert_uint_gt(strlen(c->buildenv.no_build_permission_comment), 10);
	/* no deploycfg group: never upload */
	ck_assert_int_eq(c->deploycfg.upload_policy, CONF_UPLOAD_NONE);
	ck_assert_ptr_null(c->deploycfg.bucket_name);
	ck_assert_ptr_null(c->deploycfg.endpoint_url);
	ck_assert_str_eq(c->deploycfg.region, "us-east-1");
	ck_assert_uint_eq(c->deploycfg.deploy_permission.n, 0);
	ck_assert_uint_eq(c->architecturetargets.n_arch_target_map, 1);
	ck_assert_str_eq(c->architecturetargets.arch_target_map[0].target,
			 "linux/x86_64/generic");
	ck_assert_uint_eq(c->architecturetargets.arch_target_map[0].sbatch.n, 0);
	ck_assert_ptr_null(c->architecturetargets.arch_target_map[0].node_type);
	ck_assert_ptr_null(c->repo_targets.repos_cfg_dir);
	ck_assert_uint_eq(c->repo_targets.n_repo_target_map, 0);
	ck_assert_str_eq(c->event_handler.spool_dir,
			 "/home/tester/.eessi-bot/spool");
	ck_assert_ptr_null(c->event_handler.log_file);
	ck_assert_int_eq(c->event_handler.log_level, LOGL_INFO);
	ck_assert_str_eq(c->job_manager.job_ids_dir, "/home/tester/jobs/ids");
	ck_assert_str_eq(c->job_manager.poll_command, "/usr/bin/squeue");
	ck_assert_int_eq(c->job_manager.poll_interval, 60);
	ck_assert_str_eq(c->job_manager.scontrol_command, "/usr/bin/scontrol");
	ck_assert_ptr_null(c->job_manager.sacct_command);
	ck_assert_int_eq(c->job_manager.pending_reason_after, 600);
	ck_assert_int_eq(c->job_manager.lost_after, 900);
	ck_assert_ptr_null(c->job_manager.log_file);
	ck_assert_int_eq(c->job_manager.log_level, LOGL_INFO);
	conf_free(c);
	buf_release(&r);
}
END_TEST

START_TEST(warnings_do_not_fail_the_load)
{
	struct conf *c = NULL;
	struct buf r;

	ck_assert_msg(load(D "warnings.cfg", &c, &r) == 0, "%s", r.s);
	ck_assert_int_eq(count_lines(r.s, 0), 0);
	ck_assert_int_eq(count_lines(r.s, 1), 3);
	ck_report_has(&r, "warning: " D "warnings.cfg:10: buildenv.build_permission: ");
	ck_report_has(&r, "warning: " D "warnings.cfg:13: buildenv.slurm_params: "
		      "no \"--hold\"");
	ck_report_has(&r, "warning: " D "warnings.cfg:19: deploycfg.deploy_permission: "
		      "empty: NOBODY may deploy");
	ck_assert_str_eq(c->github.api_url, "http://127.0.0.1:8080/api/v3");
	ck_assert_int_eq(c->github.installation_id, 98765432100LL);
	ck_assert_int_eq(c->job_manager.poll_interval, 3600);
	ck_assert_int_eq(c->deploycfg.upload_policy, CONF_UPLOAD_LATEST);
	ck_assert_str_eq(c->deploycfg.no_deploy_permission_comment, "");
	conf_free(c);
	buf_release(&r);
}
END_TEST

static void write_text(const char *dir, const char *name, const char *text);

/* delayed_begin: the default slurm_params ([ "--hold" ]) is dropped, no
 * warning about a missing "--hold"; the bounds of the new keys load. */
START_TEST(delayed_begin_loads)
{
	struct buf r, dump = BUF_INIT(BUF_CAP_DEFAULT);
	struct conf *c = NULL;

	ck_assert_msg(load(D "delayed.cfg", &c, &r) == 0, "%s", r.s);
	ck_assert_msg(r.len == 0, "no warning expected:\n%s", r.s);
	ck_assert_int_eq(c->buildenv.job_handover_protocol,
			 CONF_HANDOVER_DELAYED_BEGIN);
	ck_assert_int_eq(c->buildenv.job_delay_begin_factor, 100);
	ck_assert_uint_eq(c->buildenv.slurm_params.n, 0);
	ck_assert_ptr_null(c->buildenv.slurm_params.v);
	ck_assert_int_eq(c->job_manager.poll_interval, 30);
	ck_assert_int_eq(c->job_manager.pending_reason_after, 0);
	ck_assert_int_eq(c->job_manager.lost_after, 604800);
	ck_assert_int_eq(conf_dump(c, &dump), 0);
	ck_assert_ptr_nonnull(strstr(dump.s, "  slurm_params = [ ];\n"
				     "  job_handover_protocol = \"delayed_begin\";\n"
				     "  job_delay_begin_factor = 100;\n"));
	ck_assert_ptr_nonnull(strstr(dump.s, "  pending_reason_after = 0;\n"
				     "  lost_after = 604800;\n"));
	conf_free(c);
	buf_release(&r);
	buf_release(&dump);
}
END_TEST

/* The "--hold" warning is about hold_release only; -H counts as --hold. */
START_TEST(hold_warning_follows_the_protocol)
{
	static const char *const cases[][3] = {
		/* protocol, slurm_params, expected warning count about --hold */
		{"hold_release", "\"--account=x\"", "1"},
		{"hold_release", "\"-H\"", "0"},
		{"delayed_begin", "\"--account=x\"", "0"},
		{"delayed_begin", "", "0"},
	};
	char dir[64], text[1024];
	struct buf r = BUF_INIT(BUF_CAP_DEFAULT);
	struct conf *c = NULL;
	size_t i;

	unit_mkdtemp(dir, sizeof(dir), "conf-hold");
	for (i = 0; i < NELEM(cases); i++) {
		char path[128];

		snprintf(text, sizeof(text),
			 "github = { app_id = 1; app_name = \"b\";\n"
			 "  installation_id = 2; private_key = \"/k.pem\"; };\n"
			 "buildenv = { build_job_script = \"/s\";\n"
			 "  jobs_base_dir = \"/j\"; build_permission = [ \"m\" ];\n"
			 "  job_handover_protocol = \"%s\";\n"
			 "  slurm_params = [ %s ]; };\n"
			 "architecturetargets = { arch_target_map = (\n"
			 "  { target = \"linux/x86_64/generic\"; } ); };\n"
			 "job_manager = { job_ids_dir = \"/i\"; };\n",
			 cases[i][0], cases[i][1]);
		write_text(dir, "app.cfg", text);
		snprintf(path, sizeof(path), "%s/app.cfg", dir);
		buf_clear(&r);
		ck_assert_msg(conf_load(path, &env, &c, &r) == 0, "%s", r.s);
		ck_assert_msg((strstr(r.s, "no \"--hold\"") != NULL) ==
			      (cases[i][2][0] == '1'), "case %zu: %s", i, r.s);
		conf_free(c);
		c = NULL;
	}
	buf_release(&r);
	unit_rm_rf(dir);
}
END_TEST

/* A broken file: how many problems, and the lines that must be there. */
struct bad {
	const char *file;
	int problems;
	const char *lines[12];
};

static const struct bad bad_files[] = {
	{D "missing-key.cfg", 2, {
		D "missing-key.cfg:2: github.installation_id: missing required key",
		D "missing-key.cfg:8: buildenv.jobs_base_dir: missing required key",
	}},
	{D "missing-group.cfg", 2, {
		D "missing-group.cfg: missing required group 'architecturetargets'",
		D "missing-group.cfg: missing required group 'job_manager'",
	}},
	{D "wrong-types.cfg", 10, {
		D "wrong-types.cfg:3: github.app_id: wrong type (expected an integer, got a string)",
		D "wrong-types.cfg:4: github.app_name: wrong type (expected a string, got an integer)",
		D "wrong-types.cfg:10: bot_control.chatlevel: wrong type (expected a string, got an integer)",
		D "wrong-types.cfg:16: buildenv.slurm_params: wrong type (expected a list of strings",
		D "wrong-types.cfg:17: buildenv.local_tmp: wrong type (expected a string, got a boolean)",
		D "wrong-types.cfg:18: buildenv.cvmfs_customizations: wrong type (expected a list of groups",
		D "wrong-types.cfg:19: buildenv.load_modules[0]: wrong type (expected a string, got an integer)",
		D "wrong-types.cfg:19: buildenv.load_modules[1]: wrong type",
		D "wrong-types.cfg:22: event_handler: wrong type (expected a group",
		D "wrong-types.cfg:30: job_manager.poll_interval: wrong type (expected an integer, got a floating-point number)",
	}},
	{D "unknown.cfg", 6, {
		D "unknown.cfg:4: github.app_idd: unknown key 'app_idd' in group 'github' (did you mean 'app_id'?)",
		D "unknown.cfg:8: github.local_tmp: unknown key 'local_tmp' in group 'github' (it belongs in group 'buildenv')",
		D "unknown.cfg:11: githb: unknown group 'githb' (did you mean 'github'?)",
		D "unknown.cfg:15: poll_interval: setting outside any group (it belongs in group 'job_manager')",
		D "unknown.cfg:20: deploycfg.aws_secret_access_key: credentials never go in app.cfg",
		D "unknown.cfg:21: deploycfg.upload_to_s3_script: no longer used",
	}},
	{D "bad-login.cfg", 6, {
		D "bad-login.cfg:17: buildenv.build_permission[1]: invalid value (expected a GitHub login",
		D "bad-login.cfg:18: buildenv.build_permission[2]: invalid value",
		D "bad-login.cfg:19: buildenv.build_permission[3]: invalid value",
		D "bad-login.cfg:20: buildenv.build_permission[4]: invalid value",
		D "bad-login.cfg:21: buildenv.build_permission[5]: invalid value",
		D "bad-login.cfg:22: buildenv.build_permission[6]: empty string (expected a non-empty string)",
	}},
	{D "bad-arch.cfg", 11, {
		D "bad-arch.cfg:17: architecturetargets.arch_target_map[0].target: invalid value (expected OS/SUBDIR",
		D "bad-arch.cfg:18: architecturetargets.arch_target_map[1].target: invalid value",
		D "bad-arch.cfg:19: architecturetargets.arch_target_map[2].target: invalid value",
		D "bad-arch.cfg:20: architecturetargets.arch_target_map[3].target: invalid value",
		D "bad-arch.cfg:22: architecturetargets.arch_target_map[5].target: duplicate target \"linux/x86_64/generic\" (first at line 21)",
		D "bad-arch.cfg:23: architecturetargets.arch_target_map[6].target: missing required key",
		D "bad-arch.cfg:24: architecturetargets.arch_target_map[7].sbatch: wrong type (expected a list of strings",
		D "bad-arch.cfg:25: architecturetargets.arch_target_map[8].targte: unknown key 'targte' in this entry (did you mean 'target'?)",
		D "bad-arch.cfg:26: architecturetargets.arch_target_map[9]: wrong type (expected a group",
		D "bad-arch.cfg:27: architecturetargets.arch_target_map[10].accelerators[0]: invalid value",
		D "bad-arch.cfg:28: architecturetargets.arch_target_map[11].target: target \"linux/x86_64_amd/zen4\" would share its job directory name with \"linux/x86_64/amd/zen4\" (line 27)",
	}},
	{D "empty-map.cfg", 1, {
		D "empty-map.cfg:16: architecturetargets.arch_target_map: empty list (expected at least one element)",
	}},
	{D "bad-repo.cfg", 4, {
		D "bad-repo.cfg:21: repo_targets.repo_target_map[0].target: unknown target \"linux/x86_64/amd/zen4\"",
		D "bad-repo.cfg:22: repo_targets.repo_target_map[1].repos[1]: invalid value (expected a repository id",
		D "bad-repo.cfg:23: repo_targets.repo_target_map[2].repos: empty list",
		D "bad-repo.cfg:23: repo_targets.repo_target_map[2].target: duplicate target",
	}},
	{D "bad-values.cfg", 12, {
		D "bad-values.cfg:4: github.app_name: invalid value (expected 1-64 letters, digits, '.', '_' or '-', got \"my bot\")",
		D "bad-values.cfg:5: github.installation_id: out of range (expected at least 1, got -5)",
		D "bad-values.cfg:7: github.api_url: invalid value (expected an http:// or https:// URL",
		D "bad-values.cfg:11: bot_control.chatlevel: invalid value (expected \"incognito\", \"minimal\", \"basic\" or \"chatty\", got \"loud\")",
		D "bad-values.cfg:18: buildenv.http_proxy: invalid value",
		D "bad-values.cfg:19: buildenv.cvmfs_customizations[0].file: not an absolute path",
		D "bad-values.cfg:23: deploycfg.endpoint_url: invalid value",
		D "bad-values.cfg:24: deploycfg.bucket_name: invalid value",
		D "bad-values.cfg:25: deploycfg.region: invalid value",
		D "bad-values.cfg:26: deploycfg.upload_policy: invalid value (expected \"all\", \"latest\", \"once\" or \"none\", got \"sometimes\")",
		D "bad-values.cfg:36: job_manager.poll_interval: out of range (expected 1..86400, got 0)",
		D "bad-values.cfg:37: job_manager.poll_command: not an absolute path",
	}},
	{D "int-wrap.cfg", 3, {
		D "int-wrap.cfg:4: github.app_id: does not fit in a plain integer, which libconfig wraps to 1286608618 (expected an L suffix for numbers beyond 2147483647: 9876543210L, got 9876543210)",
		D "int-wrap.cfg:6: github.installation_id: does not fit in a plain integer, which libconfig wraps to 1 (",
		D "int-wrap.cfg:23: job_manager.poll_interval: out of range (expected at most 9223372036854775807, got 99999999999999999999L)",
	}},
	{D "expand.cfg", 5, {
		D "expand.cfg:6: github.private_key: unsupported variable (expected only $HOME, ${HOME}, $USER or ${USER}, got \"$HOMEDIR/app.pem\")",
		D "expand.cfg:11: buildenv.jobs_base_dir: unsupported variable",
		D "expand.cfg:21: repo_targets.repos_cfg_dir: not an absolute path (expected a path starting with '/' after $HOME/$USER expansion, got \"${USER}/repos\")",
		D "expand.cfg:25: job_manager.job_ids_dir: not an absolute path",
		D "expand.cfg:26: job_manager.log_file: unsupported variable",
	}},
	{D "deploy.cfg", 2, {
		D "deploy.cfg:16: deploycfg.bucket_name: missing required key (required unless upload_policy is \"none\")",
		D "deploy.cfg:18: deploycfg.signing_command: not an absolute path",
		"warning: " D "deploy.cfg:16: deploycfg.deploy_permission: empty: NOBODY may deploy",
		"warning: " D "deploy.cfg:13: buildenv.slurm_params: no \"--hold\"",
	}},
	{D "handover-bad.cfg", 4, {
		D "handover-bad.cfg:13: buildenv.job_handover_protocol: invalid value (expected \"hold_release\" or \"delayed_begin\", got \"release_hold\")",
		D "handover-bad.cfg:14: buildenv.job_delay_begin_factor: out of range (expected 1..100, got 0)",
		D "handover-bad.cfg:23: job_manager.pending_reason_after: out of range (expected 0..604800, got -1)",
		D "handover-bad.cfg:24: job_manager.lost_after: out of range (expected 0..604800, got 604801)",
	}},
	{D "delayed-hold.cfg", 2, {
		D "delayed-hold.cfg:14: buildenv.slurm_params: \"--hold\" with job_handover_protocol \"delayed_begin\": the jobs would never start",
		D "delayed-hold.cfg:21: architecturetargets.arch_target_map[1].sbatch: \"--hold\" with job_handover_protocol \"delayed_begin\"",
	}},
	{D "syntax.cfg", 1, {D "syntax.cfg:4: syntax error"}},
	{D "syntax-array.cfg", 1, {
		D "syntax-array.cfg:3: syntax error: mismatched element type in array",
	}},
	{D "include.cfg", 1, {
		D "include-github.inc:4: github.app_name: invalid value",
	}},
	{D "no-such-file.cfg", 1, {
		D "no-such-file.cfg: cannot open: No such file or directory",
	}},
	{"data/conf", 1, {"data/conf: not a regular file"}},
};

START_TEST(broken_file_reports_each_problem)
{
	const struct bad *b = &bad_files[_i];
	struct conf *c = (struct conf *)&c; /* must be reset to NULL */
	struct buf r;

	ck_assert_int_eq(load(b->file, &c, &r), -1);
	ck_assert_ptr_null(c);
	ck_assert_msg(count_lines(r.s, 0) == b->problems,
		      "%s: %d problems expected, report:\n%s", b->file,
		      b->problems, r.s);
	for (size_t i = 0; i < NELEM(b->lines) && b->lines[i]; i++)
		ck_report_has(&r, b->lines[i]);
	ck_assert(r.len > 0 && r.s[r.len - 1] == '\n');
	buf_release(&r);
}
END_TEST

/* One file, many problems: all reported in one go, sorted by line. */
START_TEST(many_problems_at_once)
{
	static const char *const want[] = {
		D "many.cfg:4: github.app_id: ",
		D "many.cfg:5: github.app_name: ",
		D "many.cfg:6: github.installation_id: wrong type",
		D "many.cfg:7: github.private_key: not an absolute path",
		D "many.cfg:8: github.api_url: invalid value",
		D "many.cfg:9: github.app_secret: credentials never go in app.cfg",
		D "many.cfg:13: bot_control.command_permission[1]: invalid value",
		D "many.cfg:14: bot_control.chatlevel: invalid value",
		D "many.cfg:19: buildenv.jobs_base_dir: unsupported variable",
		D "many.cfg:20: buildenv.slurm_params[1]: wrong type",
		D "many.cfg:21: buildenv.local_tmpp: unknown key 'local_tmpp' in group 'buildenv' (did you mean 'local_tmp'?)",
		D "many.cfg:24: deploycfg.bucket_name: missing required key",
		D "many.cfg:31: architecturetargets.arch_target_map[0].sbatch: wrong type",
		D "many.cfg:32: architecturetargets.arch_target_map[1].target: duplicate target",
		D "many.cfg:33: architecturetargets.arch_target_map[2].target: invalid value",
		D "many.cfg:38: repo_targets.repo_target_map[0].target: unknown target",
		D "many.cfg:42: event_handler.log_level: invalid value",
		D "many.cfg:45: job_manager.job_ids_dir: missing required key",
		D "many.cfg:46: job_manager.poll_interval: out of range",
	};
	struct conf *c = NULL;
	struct buf r;
	const char *p;
	size_t i;

	ck_assert_int_eq(load(D "many.cfg", &c, &r), -1);
	ck_assert_msg(count_lines(r.s, 0) == (int)NELEM(want), "%s", r.s);
	for (i = 0, p = r.s; i < NELEM(want); i++, p = strchr(p, '\n') + 1)
		ck_assert_msg(strncmp(p, want[i], strlen(want[i])) == 0,
			      "line %zu: want '%s' in:\n%s", i + 1, want[i], r.s);
	ck_assert_ptr_null(c);
	buf_release(&r);
}
END_TEST

START_TEST(home_and_user_unknown)
{
	struct conf *c = NULL;
	struct buf r = BUF_INIT(BUF_CAP_DEFAULT);

	ck_assert_int_eq(conf_load(D "minimal.cfg", NULL, &c, &r), -1);
	ck_assert_int_eq(count_lines(r.s, 0), 4);
	ck_report_has(&r, D "minimal.cfg:2: github.token_cache_dir: cannot "
		      "expand $HOME (expected the home directory to be known, "
		      "got the default \"$HOME/.eessi-bot/tokens\")");
	ck_report_has(&r, D "minimal.cfg:11: buildenv.jobs_base_dir: cannot "
		      "expand $HOME (expected the home directory to be known, "
		      "got \"$HOME/jobs\")");
	ck_report_has(&r, D "minimal.cfg:21: job_manager.job_ids_dir: cannot "
		      "expand $HOME");
	ck_report_has(&r, D "minimal.cfg: event_handler.spool_dir: cannot "
		      "expand $HOME (expected the home directory to be known, "
		      "got the default \"$HOME/.eessi-bot/spool\")");
	buf_release(&r);
}
END_TEST

static void write_text(const char *dir, const char *name, const char *text)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
}

/* Found by t/fuzz/fuzz_conf: libconfig's scanner exit()ed the process
 * ("input in flex scanner failed") on an @include of a directory; now
 * it is a problem in the report, also in an included file, and deep or
 * self-including nesting still ends in libconfig's own report. */
START_TEST(include_of_a_directory_is_a_problem)
{
	static const char *const tops[] = {
		"@include \".\"\n",
		"# a comment\n  @include\t\"sub\"\n",
		"@include \"a.inc\"\n",
		"@include \"s\\u\\b\"\n", /* escapes, as libconfig reads them */
	};
	struct buf r = BUF_INIT(BUF_CAP_DEFAULT);
	struct conf *c = NULL;
	char dir[64], path[128], sub[128];
	size_t i;

	unit_mkdtemp(dir, sizeof(dir), "conf");
	snprintf(path, sizeof(path), "%s/app.cfg", dir);
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	write_text(dir, "a.inc", "x = 1;\n@include \"sub\"\n");
	for (i = 0; i < NELEM(tops); i++) {
		buf_clear(&r);
		write_text(dir, "app.cfg", tops[i]);
		ck_assert_int_eq(conf_load(path, &env, &c, &r), -1);
		ck_assert_ptr_null(c);
		ck_assert_msg(strstr(r.s, i == 2 ? "a.inc:2: @include \"sub\": "
				     "not a regular file" : "not a regular file"),
			      "%s", r.s);
	}

	/* nested too deep: libconfig's report, no endless checking */
	buf_clear(&r);
	write_text(dir, "app.cfg", "@include \"app.cfg\"\n@include \"app.cfg\"\n"
		   "@include \"app.cfg\"\n@include \"app.cfg\"\n");
	ck_assert_int_eq(conf_load(path, &env, &c, &r), -1);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(r.s, "syntax error") != NULL, "%s", r.s);
	buf_release(&r);
	unit_rm_rf(dir);
}
END_TEST

/* What conf_dump() writes loads again into the same settings. */
START_TEST(dump_loads_again)
{
	struct buf r, d1 = BUF_INIT(BUF_CAP_DEFAULT);
	struct buf d2 = BUF_INIT(BUF_CAP_DEFAULT);
	struct conf *c = NULL, *c2 = NULL;
	char path[] = "/tmp/eessi-conf-XXXXXX";
	int fd;

	ck_assert_int_eq(load(EXAMPLE, &c, &r), 0);
	ck_assert_int_eq(conf_dump(c, &d1), 0);
	ck_assert_ptr_null(strstr(d1.s, "$HOME"));
	ck_assert_ptr_nonnull(strstr(d1.s, "  app_id = 123456;\n"));
	ck_assert_ptr_nonnull(strstr(d1.s, "  # webhook_secret_file is not set\n"));
	ck_assert_ptr_nonnull(strstr(d1.s, "      line = \"CVMFS_HTTP_PROXY=\\\"http"));
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, d1.s, d1.len), (ssize_t)d1.len);
	close(fd);
	buf_release(&r);
	ck_assert_msg(load(path, &c2, &r) == 0, "%s\n%s", r.s, d1.s);
	ck_assert_int_eq(conf_dump(c2, &d2), 0);
	/* equal but for the first line, which names the file */
	ck_assert_str_eq(strchr(d1.s, '\n'), strchr(d2.s, '\n'));
	unlink(path);
	conf_free(c);
	conf_free(c2);
	buf_release(&r);
	buf_release(&d1);
	buf_release(&d2);
}
END_TEST

START_TEST(report_cap_is_respected)
{
	struct conf *c = NULL;
	struct buf r = BUF_INIT(200);

	ck_assert_int_eq(conf_load(D "many.cfg", &env, &c, &r), -1);
	ck_assert_ptr_null(c);
	ck_assert_uint_le(r.len, 200);
	buf_release(&r);
}
END_TEST

START_TEST(logins_compare_without_case)
{
	char a[] = "Alice", b[] = "bob-builder[bot]";
	char *v[] = {a, b, NULL};
	struct conf_strv logins = {v, 2};

	ck_assert(conf_has_login(&logins, "alice"));
	ck_assert(conf_has_login(&logins, "BOB-builder[bot]"));
	ck_assert(!conf_has_login(&logins, "bob-builder"));
	ck_assert(!conf_has_login(&logins, ""));
}
END_TEST

/* Sets or unsets (val NULL) an environment variable. */
static void put_env(const char *name, const char *val)
{
	if (val)
		setenv(name, val, 1);
	else
		unsetenv(name);
}

START_TEST(env_from_process)
{
	char *home = getenv("HOME"), *user = getenv("USER");
	struct conf_env e;

	home = home ? strdup(home) : NULL;
	user = user ? strdup(user) : NULL;
	setenv("HOME", "/home/from-env", 1);
	setenv("USER", "from-env", 1);
	conf_env_from_process(&e);
	ck_assert_str_eq(e.home, "/home/from-env");
	ck_assert_str_eq(e.user, "from-env");
	unsetenv("USER");
	conf_env_from_process(&e);
	ck_assert_ptr_nonnull(e.user); /* from the password database */
	put_env("HOME", home);
	put_env("USER", user);
	free(home);
	free(user);
}
END_TEST

Suite *conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("conf");

	tcase_add_test(tc, example_loads_cleanly);
	tcase_add_test(tc, example_documents_every_key_in_order);
	tcase_add_test(tc, minimal_gets_the_documented_defaults);
	tcase_add_test(tc, warnings_do_not_fail_the_load);
	tcase_add_test(tc, delayed_begin_loads);
	tcase_add_test(tc, hold_warning_follows_the_protocol);
	tcase_add_loop_test(tc, broken_file_reports_each_problem, 0,
			    (int)NELEM(bad_files));
	tcase_add_test(tc, many_problems_at_once);
	tcase_add_test(tc, home_and_user_unknown);
	tcase_add_test(tc, dump_loads_again);
	tcase_add_test(tc, report_cap_is_respected);
	tcase_add_test(tc, logins_compare_without_case);
	tcase_add_test(tc, env_from_process);
	tcase_add_test(tc, include_of_a_directory_is_a_problem);
	suite_add_tcase(s, tc);
	return s;
}
