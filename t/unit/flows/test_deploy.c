/* test_deploy.c - lib/deploy's pure parts: the request (round trip, every
 * field refused out of shape, the queue's idempotence), EESSI tarball
 * names, object keys, the plan under each upload policy, the metadata
 * JSON. */
#include <errno.h>
#include <json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cdoc.h"
#include "deploy.h"
#include "unit.h"

#define ZEN2 "eessi-2023.06-software-linux-x86_64-amd-zen2-1700000000.tar.gz"

#define SET(member, s)                                                     \
	ck_assert_int_lt(snprintf(member, sizeof(member), "%s", s),         \
			 (int)sizeof(member))

static void good_req(struct deploy_req *r)
{
	memset(r, 0, sizeof(*r));
	SET(r->repo, "EESSI/software-layer");
	r->pr = 42;
	SET(r->sender, "boegel");
	r->installation = 12345678;
	r->comment_id = 9876543210LL;
	r->requested_at = 1795000000;
}

START_TEST(req_round_trip)
{
	struct buf text = BUF_INIT(4096);
	struct deploy_req r, back;
	struct err e = ERR_INIT;

	good_req(&r);
	ck_assert_int_eq(deploy_req_render(&r, &text, &e), 0);
	ck_assert_str_eq(text.s, "[DEPLOY]\nrepo = EESSI/software-layer\npr = 42\n"
			 "sender = boegel\ninstallation = 12345678\n"
			 "comment_id = 9876543210\nrequested_at = 1795000000\n");
	ck_assert_int_eq(deploy_req_parse(text.s, text.len, &back, &e), 0);
	ck_assert_str_eq(back.repo, r.repo);
	ck_assert_int_eq(back.pr, r.pr);
	ck_assert_str_eq(back.sender, r.sender);
	ck_assert_int_eq(back.installation, r.installation);
	ck_assert_int_eq(back.comment_id, r.comment_id);
	ck_assert_int_eq(back.requested_at, r.requested_at);
	ck_assert_str_eq(back.head_sha, ""); /* a request of an earlier version */
	/* the head the label was set on */
	snprintf(r.head_sha, sizeof(r.head_sha), "%s",
		 "0123456789abcdef0123456789abcdef01234567");
	buf_clear(&text);
	ck_assert_int_eq(deploy_req_render(&r, &text, &e), 0);
	ck_assert_ptr_nonnull(strstr(text.s, "\nhead_sha = 0123456789abcdef0123456789abcdef01234567\n"));
	ck_assert_int_eq(deploy_req_parse(text.s, text.len, &back, &e), 0);
	ck_assert_str_eq(back.head_sha, r.head_sha);
	snprintf(r.head_sha, sizeof(r.head_sha), "%s", "not-a-sha");
	buf_clear(&text);
	ck_assert_int_eq(deploy_req_render(&r, &text, &e), -1);
	ck_assert_int_eq(deploy_req_parse("[DEPLOY]\nrepo = a/b\npr = 1\nsender = x\n"
					  "installation = 1\ncomment_id = 1\n"
					  "requested_at = 1\nhead_sha = $(id)\n", 104, &back, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "head_sha"));
	buf_release(&text);
}
END_TEST

/* Each bad value refused on render (out unchanged) and on parse. */
START_TEST(req_refusals)
{
	struct buf text = BUF_INIT(4096);
	struct deploy_req r;
	struct err e = ERR_INIT;
	int i;

	for (i = 0; i < 8; i++) {
		good_req(&r);
		switch (i) {
		case 0: SET(r.repo, "no-slash"); break;
		case 1: SET(r.repo, "a/b;rm -rf"); break;
		case 2: r.pr = 0; break;
		case 3: SET(r.sender, "bad login"); break;
		case 4: r.installation = 0; break;
		case 5: r.comment_id = -1; break;
		case 6: r.requested_at = -5; break;
		default: SET(r.sender, ""); break;
		}
		err_clear(&e);
		buf_clear(&text);
		ck_assert_msg(deploy_req_render(&r, &text, &e) < 0, "case %d", i);
		ck_assert_int_eq(e.code, ERR_INVAL);
		ck_assert_uint_eq(text.len, 0);
	}
	static const char *const bad[] = {
		"", "[DEPLOY]\nrepo = a/b\n",
		"[DEPLOY]\nrepo = a/b\npr = 4x\nsender = x\ninstallation = 1\n"
		"comment_id = 1\nrequested_at = 1\n",
		"[DEPLOY]\nrepo = a/b\npr = -4\nsender = x\ninstallation = 1\n"
		"comment_id = 1\nrequested_at = 1\n",
		"[DEPLOY]\nrepo = a/b\npr = 4\nsender = x y\ninstallation = 1\n"
		"comment_id = 1\nrequested_at = 1\n",
		"[DEPLOY]\nrepo = a/b\npr = 4\nsender = x\ninstallation = 1\n"
		"comment_id = 0\nrequested_at = 1\n",
		"[DEPLOY]\nrepo = a/b\npr = 4\nsender = x\ninstallation = 1\n"
		"comment_id = 99999999999999999999\nrequested_at = 1\n",
		"[OTHER]\nrepo = a/b\npr = 4\nsender = x\ninstallation = 1\n"
		"comment_id = 1\nrequested_at = 1\n",
		"not ini at all",
	};
	for (i = 0; i < (int)(sizeof(bad) / sizeof(bad[0])); i++) {
		err_clear(&e);
		memset(&r, 0x55, sizeof(r));
		ck_assert_msg(deploy_req_parse(bad[i], strlen(bad[i]), &r, &e) < 0,
			      "bad %d", i);
		ck_assert_int_eq(r.pr, 0); /* zeroed */
	}
	{
		static const char ok[] = "[DEPLOY]\nrepo = a/b\npr = 4\nsender = x\n"
			"installation = 1\ncomment_id = 1\nrequested_at = 1\n";

		err_clear(&e);
		ck_assert_int_eq(deploy_req_parse(ok, strlen(ok), &r, &e), 0);
	}
	buf_release(&text);
}
END_TEST

START_TEST(req_queue)
{
	char dir[256], p[512];
	struct deploy_req r;
	struct err e = ERR_INIT;
	struct stat st;

	unit_mkdtemp(dir, sizeof(dir), "deploy");
	ck_assert_int_eq(deploy_pending(dir), 0);
	good_req(&r);
	ck_assert_int_eq(deploy_req_queue(dir, "3f1c2d4e-aa01-11ef-9c3b-0242ac120002", &r, &e), 1);
	ck_assert_int_eq(deploy_pending(dir), 1);
	snprintf(p, sizeof(p), "%s/deploy/pending/3f1c2d4e-aa01-11ef-9c3b-0242ac120002", dir);
	ck_assert_int_eq(stat(p, &st), 0);
	/* the same delivery again: nothing changed */
	r.pr = 43;
	ck_assert_int_eq(deploy_req_queue(dir, "3f1c2d4e-aa01-11ef-9c3b-0242ac120002", &r, &e), 0);
	ck_assert_int_eq(e.code, ERR_NONE);
	/* done already: not queued again */
	snprintf(p, sizeof(p), "%s/deploy/done/3f1c2d4e-aa01-11ef-9c3b-0242ac120002", dir);
	{
		char from[512];

		snprintf(from, sizeof(from), "%s/deploy/pending/3f1c2d4e-aa01-11ef-9c3b-0242ac120002", dir);
		ck_assert_int_eq(rename(from, p), 0);
	}
	ck_assert_int_eq(deploy_pending(dir), 0);
	ck_assert_int_eq(deploy_req_queue(dir, "3f1c2d4e-aa01-11ef-9c3b-0242ac120002", &r, &e), 0);
	ck_assert_int_eq(deploy_pending(dir), 0);
	/* bad delivery ids and requests: refused, nothing written */
	ck_assert_int_eq(deploy_req_queue(dir, "../x", &r, &e), -1);
	err_clear(&e);
	/* a delivery id is a UUID here as everywhere (names_valid_delivery) */
	ck_assert_int_eq(deploy_req_queue(dir, "3f1c2d4e-aa01-11ef", &r, &e), -1);
	err_clear(&e);
	ck_assert_int_eq(deploy_req_queue(dir, "", &r, &e), -1);
	err_clear(&e);
	r.pr = 0;
	ck_assert_int_eq(deploy_req_queue(dir, "abc", &r, &e), -1);
	ck_assert_int_eq(deploy_pending(dir), 0);
	/* a temporary file is no request */
	snprintf(p, sizeof(p), "%s/deploy/pending/x.tmp.abcdef", dir);
	{
		FILE *f = fopen(p, "w");

		ck_assert_ptr_nonnull(f);
		fclose(f);
	}
	ck_assert_int_eq(deploy_pending(dir), 0);
	ck_assert_int_eq(deploy_pending("/nonexistent/eessi"), 0);
	unit_rm_rf(dir);
}
END_TEST

START_TEST(tarball_good)
{
	struct deploy_tarball t;
	struct err e = ERR_INIT;

	ck_assert_int_eq(deploy_tarball_parse(ZEN2, &t, &e), 0);
	ck_assert_str_eq(t.name, ZEN2);
	ck_assert_str_eq(t.prefix, "eessi-2023.06-software-linux-x86_64-amd-zen2");
	ck_assert_str_eq(t.version, "2023.06");
	ck_assert_str_eq(t.type, "software");
	ck_assert_str_eq(t.os, "linux");
	ck_assert_str_eq(t.arch, "x86_64-amd-zen2");
	ck_assert_int_eq(t.timestamp, 1700000000);

	ck_assert_int_eq(deploy_tarball_parse(
		"eessi-2025.06-compat-linux-aarch64-1.tar.gz", &t, &e), 0);
	ck_assert_str_eq(t.arch, "aarch64");
	ck_assert_str_eq(t.type, "compat");
	ck_assert_int_eq(t.timestamp, 1);
	ck_assert_int_eq(deploy_tarball_parse(
		"eessi-v1.2-init-linux-x86_64-intel-sapphire_rapids-20240101120000.tar.gz",
		&t, &e), 0);
	ck_assert_str_eq(t.arch, "x86_64-intel-sapphire_rapids");
	ck_assert_str_eq(t.version, "v1.2");
	ck_assert_int_eq(t.timestamp, 20240101120000LL);
}
END_TEST

START_TEST(tarball_bad)
{
	static const char *const bad[] = {
		"", "eessi-.tar.gz", "foo.tar.gz",
		"eessi-2023.06-software-linux-x86_64-1700000000.tgz",
		"eessi-2023.06-binary-linux-x86_64-1700000000.tar.gz",
		"eessi-2023.06-software-Linux-x86_64-1700000000.tar.gz",
		"eessi-2023.06-software-linux-1700000000.tar.gz",
		"eessi-2023.06-software-linux-x86_64-.tar.gz",
		"eessi-2023.06-software-linux-x86_64-17000x0000.tar.gz",
		"eessi-2023.06-software-linux-x86_64-1234567890123456789.tar.gz",
		"eessi-2023_06-software-linux-x86_64-1.tar.gz",
		"eessi-2023.06-software-linux-x86+64-1.tar.gz",
		"eessi-2023.06-software-linux--1.tar.gz",
		"../eessi-2023.06-software-linux-x86_64-1.tar.gz",
		"eessi-2023.06-software-linux-x86_64-1.tar.gz/x",
		"-eessi-2023.06-software-linux-x86_64-1.tar.gz",
	};
	struct deploy_tarball t;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct err e = ERR_INIT;

		memset(&t, 0x41, sizeof(t));
		ck_assert_msg(deploy_tarball_parse(bad[i], &t, &e) < 0, "%s", bad[i]);
		ck_assert_int_eq(e.code, ERR_INVAL);
		ck_assert_msg(e.msg[0] != '\0', "%s: no reason", bad[i]);
	}
}
END_TEST

START_TEST(keys)
{
	struct deploy_tarball t;
	struct buf k = BUF_INIT(1024);
	struct err e = ERR_INIT;

	ck_assert_int_eq(deploy_tarball_parse(ZEN2, &t, &e), 0);
	ck_assert_int_eq(deploy_key(NULL, &t, 0, &k, &e), 0);
	ck_assert_str_eq(k.s, "2023.06/software/linux/x86_64/amd/zen2/1700000000/" ZEN2);
	buf_clear(&k);
	ck_assert_int_eq(deploy_key("", &t, 1, &k, &e), 0);
	ck_assert_str_eq(k.s, "2023.06/software/linux/x86_64/amd/zen2/1700000000/"
			 ZEN2 ".meta.txt");
	buf_clear(&k);
	ck_assert_int_eq(deploy_key("tarballs", &t, 0, &k, &e), 0);
	ck_assert_str_eq(k.s, "tarballs/2023.06/software/linux/x86_64/amd/zen2/"
			 "1700000000/" ZEN2);
	buf_clear(&k);
	ck_assert_int_eq(deploy_key("meta/data//", &t, 1, &k, &e), 0);
	ck_assert_str_eq(k.s, "meta/data/2023.06/software/linux/x86_64/amd/zen2/"
			 "1700000000/" ZEN2 ".meta.txt");
	/* a cap too small: refused, out as it was */
	{
		struct buf small = BUF_INIT(40);

		ck_assert_int_eq(buf_adds(&small, "x"), 0);
		ck_assert_int_eq(deploy_key("p", &t, 0, &small, &e), -1);
		ck_assert_int_eq(e.code, ERR_TOOBIG);
		ck_assert_str_eq(small.s, "x");
		buf_release(&small);
	}
	buf_release(&k);
}
END_TEST

/* A candidate: name's tarball of job id, sha "<c>" * 64. */
static void cand(struct deploy_cand *c, long long id, const char *name, char sha)
{
	struct err e = ERR_INIT;

	memset(c, 0, sizeof(*c));
	c->job_id = id;
	ck_assert_int_eq(deploy_tarball_parse(name, &c->t, &e), 0);
	memset(c->sha256, sha, 64);
	c->sha256[64] = '\0';
	c->verdict = (enum deploy_verdict)99;
}

#define A1 "eessi-2023.06-software-linux-x86_64-amd-zen2-100.tar.gz"
#define A2 "eessi-2023.06-software-linux-x86_64-amd-zen2-200.tar.gz"
#define B1 "eessi-2023.06-software-linux-x86_64-intel-haswell-150.tar.gz"

START_TEST(plan_all_none)
{
	struct deploy_cand c[3];
	size_t i;

	cand(&c[0], 1, A1, 'a');
	cand(&c[1], 2, A2, 'b');
	cand(&c[2], 3, B1, 'c');
	deploy_plan(CONF_UPLOAD_ALL, c, 3);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(c[i].verdict, DEPLOY_UPLOAD);
	/* in the ledger: never again, whatever the policy */
	c[1].in_ledger = 1;
	deploy_plan(CONF_UPLOAD_ALL, c, 3);
	ck_assert_int_eq(c[0].verdict, DEPLOY_UPLOAD);
	ck_assert_int_eq(c[1].verdict, DEPLOY_ALREADY);
	ck_assert_int_eq(c[2].verdict, DEPLOY_UPLOAD);
	deploy_plan(CONF_UPLOAD_NONE, c, 3);
	ck_assert_int_eq(c[0].verdict, DEPLOY_POLICY_NONE);
	ck_assert_int_eq(c[1].verdict, DEPLOY_ALREADY);
	ck_assert_int_eq(c[2].verdict, DEPLOY_POLICY_NONE);
	deploy_plan(CONF_UPLOAD_ALL, c, 0); /* nothing: fine */
}
END_TEST

START_TEST(plan_latest)
{
	struct deploy_cand c[4];

	cand(&c[0], 1, A2, 'a');
	cand(&c[1], 2, A1, 'b');
	cand(&c[2], 3, B1, 'c');
	cand(&c[3], 4, A2, 'd'); /* same timestamp as c[0], higher job id */
	deploy_plan(CONF_UPLOAD_LATEST, c, 4);
	ck_assert_int_eq(c[0].verdict, DEPLOY_SUPERSEDED);
	ck_assert_uint_eq(c[0].because, 3);
	ck_assert_int_eq(c[1].verdict, DEPLOY_SUPERSEDED);
	ck_assert_uint_eq(c[1].because, 3);
	ck_assert_int_eq(c[2].verdict, DEPLOY_UPLOAD);
	ck_assert_int_eq(c[3].verdict, DEPLOY_UPLOAD);
	/* the newest in the ledger: already; the older still superseded */
	c[3].in_ledger = 1;
	deploy_plan(CONF_UPLOAD_LATEST, c, 4);
	ck_assert_int_eq(c[3].verdict, DEPLOY_ALREADY);
	ck_assert_int_eq(c[0].verdict, DEPLOY_SUPERSEDED);
	ck_assert_int_eq(c[1].verdict, DEPLOY_SUPERSEDED);
	ck_assert_int_eq(c[2].verdict, DEPLOY_UPLOAD);
	/* prefix_in_ledger does not matter for latest */
	c[3].in_ledger = 0;
	c[2].prefix_in_ledger = 1;
	deploy_plan(CONF_UPLOAD_LATEST, c, 4);
	ck_assert_int_eq(c[2].verdict, DEPLOY_UPLOAD);
	ck_assert_int_eq(c[3].verdict, DEPLOY_UPLOAD);
}
END_TEST

START_TEST(plan_once)
{
	struct deploy_cand c[3];

	cand(&c[0], 1, A1, 'a');
	cand(&c[1], 2, A2, 'b');
	cand(&c[2], 3, B1, 'c');
	/* nothing up yet: as latest */
	deploy_plan(CONF_UPLOAD_ONCE, c, 3);
	ck_assert_int_eq(c[0].verdict, DEPLOY_SUPERSEDED);
	ck_assert_uint_eq(c[0].because, 1);
	ck_assert_int_eq(c[1].verdict, DEPLOY_UPLOAD);
	ck_assert_int_eq(c[2].verdict, DEPLOY_UPLOAD);
	/* zen2 of this PR is up (an older build): nothing for zen2 */
	c[0].prefix_in_ledger = c[1].prefix_in_ledger = 1;
	deploy_plan(CONF_UPLOAD_ONCE, c, 3);
	ck_assert_int_eq(c[0].verdict, DEPLOY_ONCE_DONE);
	ck_assert_int_eq(c[1].verdict, DEPLOY_ONCE_DONE);
	ck_assert_int_eq(c[2].verdict, DEPLOY_UPLOAD);
	/* the older one itself in the ledger: it is already, the newer once-done */
	c[0].prefix_in_ledger = c[1].prefix_in_ledger = 0;
	c[0].in_ledger = 1;
	deploy_plan(CONF_UPLOAD_ONCE, c, 3);
	ck_assert_int_eq(c[0].verdict, DEPLOY_ALREADY);
	ck_assert_int_eq(c[1].verdict, DEPLOY_ONCE_DONE);
	ck_assert_int_eq(c[2].verdict, DEPLOY_UPLOAD);
	/* under all the same ledger uploads the newer one */
	deploy_plan(CONF_UPLOAD_ALL, c, 3);
	ck_assert_int_eq(c[1].verdict, DEPLOY_UPLOAD);
}
END_TEST

static const char *jget(struct json_object *o, const char *a, const char *b)
{
	struct json_object *x, *y;

	ck_assert_msg(json_object_object_get_ex(o, a, &x), "no %s", a);
	if (!b)
		return json_object_get_string(x);
	ck_assert_msg(json_object_object_get_ex(x, b, &y), "no %s.%s", a, b);
	return json_object_get_string(y);
}

/* The value at a.b: a JSON string (the original's metadata has no other
 * kind of leaf). */
static const char *jstring(struct json_object *o, const char *a, const char *b)
{
	struct json_object *x, *y;

	ck_assert_msg(json_object_object_get_ex(o, a, &x), "no %s", a);
	ck_assert_msg(json_object_object_get_ex(x, b, &y), "no %s.%s", a, b);
	ck_assert_msg(json_object_is_type(y, json_type_string), "%s.%s not a string", a, b);
	return json_object_get_string(y);
}

START_TEST(metadata)
{
	struct deploy_req r;
	struct deploy_meta m;
	struct buf out = BUF_INIT(65536);
	struct err e = ERR_INIT;
	struct json_object *root;

	setenv("TZ", "UTC", 1);
	tzset();
	good_req(&r);
	memset(&m, 0, sizeof(m));
	m.username = "eessibot";
	m.hostname = "login1.example.org";
	m.ip = "";
	m.filename = ZEN2;
	m.sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	m.url = "http://127.0.0.1:9000/bucket/2023.06/software/linux/x86_64/amd/zen2/"
		"1700000000/" ZEN2;
	m.size = 123456789012LL;
	m.ctime = 1700000123;
	m.req = &r;
	m.job_id = 4000001;
	m.target = "linux/x86_64/amd/zen2";
	m.job_dir = "/jobs/2023.11/pr_42/event_x/run_000/linux_x86_64_amd_zen2";
	ck_assert_int_eq(deploy_metadata(&m, &out, &e), 0);
	/* no escaped slashes (JSON_C_TO_STRING_NOSLASHESCAPE) */
	ck_assert_ptr_null(strstr(out.s, "\\/"));
	ck_assert_ptr_nonnull(strstr(out.s, "http://127.0.0.1:9000/bucket/"));
	root = json_tokener_parse(out.s);
	ck_assert_ptr_nonnull(root);
	ck_assert_str_eq(jget(root, "uploader", "username"), "eessibot");
	ck_assert_str_eq(jget(root, "uploader", "hostname"), "login1.example.org");
	ck_assert_str_eq(jget(root, "uploader", "ip"), "");
	ck_assert_str_eq(jget(root, "payload", "filename"), ZEN2);
	/* every value a string, as in the original's .meta.txt (jq --arg);
	 * ctime as `date -r` prints it (TZ=UTC: main.c) */
	ck_assert_str_eq(jstring(root, "payload", "size"), "123456789012");
	ck_assert_str_eq(jstring(root, "payload", "ctime"), "Tue Nov 14 22:15:23 UTC 2023");
	ck_assert_str_eq(jstring(root, "payload", "ctime_epoch"), "1700000123");
	ck_assert_str_eq(jget(root, "payload", "sha256sum"), m.sha256);
	ck_assert_str_eq(jget(root, "payload", "url"), m.url);
	ck_assert_str_eq(jget(root, "link2pr", "repo"), "EESSI/software-layer");
	ck_assert_str_eq(jstring(root, "link2pr", "pr"), "42");
	ck_assert_str_eq(jstring(root, "link2pr", "pr_comment_id"), "9876543210");
	ck_assert_str_eq(jget(root, "link2pr", "url"),
			 "https://github.com/EESSI/software-layer/pull/42");
	ck_assert_str_eq(jstring(root, "job", "id"), "4000001");
	ck_assert_str_eq(jget(root, "job", "target"), "linux/x86_64/amd/zen2");
	ck_assert_str_eq(jget(root, "job", "dir"), m.job_dir);
	ck_assert_str_eq(jget(root, "job", "result"), "_bot_job4000001.result");
	ck_assert_str_eq(jget(root, "deployed_by", NULL), "boegel");
	json_object_put(root);
	/* chatlevel incognito: the request's comment is a local id, which no
	 * one outside may see: "0" (no comment) */
	r.comment_id = cdoc_local_id("11111111-2222-3333-4444-555555555555");
	buf_clear(&out);
	ck_assert_int_eq(deploy_metadata(&m, &out, &e), 0);
	root = json_tokener_parse(out.s);
	ck_assert_ptr_nonnull(root);
	ck_assert_str_eq(jstring(root, "link2pr", "pr_comment_id"), "0");
	json_object_put(root);
	/* out's cap hit: an error, not a cut text */
	{
		struct buf small = BUF_INIT(64);

		err_clear(&e);
		ck_assert_int_eq(deploy_metadata(&m, &small, &e), -1);
		ck_assert_int_eq(e.code, ERR_TOOBIG);
		buf_release(&small);
	}
	buf_release(&out);
}
END_TEST

Suite *deploy_suite(void)
{
	Suite *s = suite_create("deploy");
	TCase *tc = tcase_create("core");

	/* req_queue fsyncs files and directories: slow on a busy disk */
	tcase_set_timeout(tc, 60);

	tcase_add_test(tc, req_round_trip);
	tcase_add_test(tc, req_refusals);
	tcase_add_test(tc, req_queue);
	tcase_add_test(tc, tarball_good);
	tcase_add_test(tc, tarball_bad);
	tcase_add_test(tc, keys);
	tcase_add_test(tc, plan_all_none);
	tcase_add_test(tc, plan_latest);
	tcase_add_test(tc, plan_once);
	tcase_add_test(tc, metadata);
	suite_add_tcase(s, tc);
	return s;
}
