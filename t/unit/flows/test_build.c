/* test_build.c - the decisions of a build request before anything is done
 * (lib/flows/build.h: build_add_line, build_add_all): which targets a comment's
 * `bot: build` lines make, united and each once; what a wrong, too long or
 * hostile line answers (and that one wrong line builds nothing); another
 * instance's line skipped silently; the label's every target. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "command.h"
#include "conf.h"
#include "unit.h"

static const char cfg_text[] =
	"github = { app_id = 1; app_name = \"cluster-a\"; installation_id = 2;\n"
	"  private_key = \"/etc/key.pem\"; };\n"
	"buildenv = { build_job_script = \"/opt/job.slurm\";\n"
	"  jobs_base_dir = \"/srv/jobs\"; };\n"
	"job_manager = { job_ids_dir = \"/srv/ids\"; };\n"
	"architecturetargets = { arch_target_map = (\n"
	"  { target = \"linux/x86_64/generic\"; },\n"
	"  { target = \"linux/x86_64/amd/zen2\"; accelerators = [ \"nvidia/cc80\" ]; },\n"
	"  { target = \"linux/aarch64/neoverse_v1\"; }\n"
	"); };\n";

static struct conf *load(void)
{
	return unit_conf(cfg_text);
}

/* The request a comment body makes: its build lines through
 * build_add_line(), as lib/flows/route.c feeds them. */
static void request(const struct conf *c, const char *body, struct build_req *req)
{
	struct command cmds[COMMAND_MAX];
	int more;
	size_t n = command_parse(body, strlen(body), cmds, COMMAND_MAX, &more);

	*req = (struct build_req)BUILD_REQ_INIT;
	for (size_t i = 0; i < n; i++)
		if (cmds[i].id == CMD_BUILD)
			ck_assert_int_eq(build_add_line(c, &cmds[i], req), 0);
}

static int has(const struct build_req *req, const char *dir)
{
	for (size_t i = 0; i < req->n; i++)
		if (strcmp(req->t[i].dir, dir) == 0)
			return 1;
	return 0;
}

START_TEST(lines_are_united_each_target_once)
{
	struct conf *c = load();
	struct build_req req;

	request(c, "bot: build arch:zen2\nbot: build arch:x86_64\nBOT: BUILD ARCH:zen2", &req);
	ck_assert_int_eq(req.bad, 0);
	ck_assert_int_eq(req.lines, 3);
	ck_assert_uint_eq(req.n, 2);
	ck_assert(has(&req, "linux_x86_64_amd_zen2"));
	ck_assert(has(&req, "linux_x86_64_generic"));
	build_req_release(&req);
	request(c, "bot: build accel:nvidia/cc80", &req);
	ck_assert_uint_eq(req.n, 1);
	ck_assert(has(&req, "linux_x86_64_amd_zen2_nvidia_cc80"));
	build_req_release(&req);
	conf_free(c);
}
END_TEST

START_TEST(one_wrong_line_builds_nothing)
{
	struct conf *c = load();
	struct build_req req;

	request(c, "bot: build arch:zen2\nbot: build arc:zen2", &req);
	ck_assert_int_eq(req.bad, 1);
	ck_assert_int_eq(req.lines, 2);
	ck_assert_ptr_nonnull(strstr(req.why.s, "line 2"));
	build_req_release(&req);
	request(c, "bot: build arch:zen4", &req);
	ck_assert_int_eq(req.bad, 1);
	ck_assert_ptr_nonnull(strstr(req.why.s, "matches no target of instance `cluster-a`"));
	ck_assert_ptr_nonnull(strstr(req.why.s, "linux/x86_64/amd/zen2"));
	build_req_release(&req);
	conf_free(c);
}
END_TEST

START_TEST(long_and_hostile_lines_answered)
{
	struct conf *c = load();
	struct build_req req;
	char *body = malloc(4096);

	ck_assert_ptr_nonnull(body);
	memcpy(body, "bot: build arch:", 16);
	memset(body + 16, 'z', 2000);
	body[2016] = '\0';
	request(c, body, &req);
	ck_assert_int_eq(req.bad, 1);
	ck_assert_ptr_nonnull(strstr(req.why.s, "the line is too long"));
	build_req_release(&req);
	request(c, "bot: build arch:$(id)\nbot: build arch:../../etc", &req);
	ck_assert_int_eq(req.bad, 1);
	ck_assert_uint_eq(req.n, 0);
	/* the words are shown harmless: no backtick of theirs */
	ck_assert_ptr_null(strstr(req.why.s, "$(id)`;"));
	build_req_release(&req);
	free(body);
	conf_free(c);
}
END_TEST

START_TEST(another_instance_skipped_label_takes_all)
{
	struct conf *c = load();
	struct build_req req;

	request(c, "bot: build inst:cluster-b arch:zen2", &req);
	ck_assert_int_eq(req.bad, 0);
	ck_assert_int_eq(req.lines, 0); /* not ours: nothing to say */
	ck_assert_uint_eq(req.n, 0);
	build_req_release(&req);
	req = (struct build_req)BUILD_REQ_INIT;
	ck_assert_int_eq(build_add_all(c, &req), 0);
	ck_assert_int_eq(req.bad, 0);
	ck_assert_uint_eq(req.n, 3); /* CPU builds only */
	build_req_release(&req);
	conf_free(c);
}
END_TEST

Suite *build_suite(void)
{
	Suite *s = suite_create("build");
	TCase *tc = tcase_create("decisions");

	tcase_add_test(tc, lines_are_united_each_target_once);
	tcase_add_test(tc, one_wrong_line_builds_nothing);
	tcase_add_test(tc, long_and_hostile_lines_answered);
	tcase_add_test(tc, another_instance_skipped_label_takes_all);
	suite_add_tcase(s, tc);
	return s;
}
