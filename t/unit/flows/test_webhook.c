#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "hmac.h"
#include "names.h"
#include "spool.h"
#include "webhook.h"
#include "xio.h"
#include "unit.h"

/* GitHub's documented example: secret, payload and the signature it makes */
#define GH_SECRET "It's a Secret to Everybody"
#define GH_PAYLOAD "Hello, World!"
#define GH_SIG "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"

START_TEST(github_documented_vector)
{
	ck_assert_int_eq(hmac_verify_github(GH_SIG, GH_SECRET, strlen(GH_SECRET),
					    GH_PAYLOAD, strlen(GH_PAYLOAD)), 0);
}
END_TEST

START_TEST(signature_mismatches)
{
	const char *k = GH_SECRET;
	size_t kl = strlen(k), pl = strlen(GH_PAYLOAD);
	char upper[] = GH_SIG;
	size_t i;

	for (i = 7; upper[i]; i++)
		if (upper[i] >= 'a' && upper[i] <= 'f')
			upper[i] = (char)(upper[i] - 'a' + 'A');
	ck_assert_int_eq(hmac_verify_github(upper, k, kl, GH_PAYLOAD, pl), 0);
	ck_assert_int_eq(hmac_verify_github(GH_SIG, "old secret", 10, GH_PAYLOAD, pl), -1);
	ck_assert_int_eq(hmac_verify_github(GH_SIG, k, kl, "Hello, World?", pl), -1);
	ck_assert_int_eq(hmac_verify_github(GH_SIG, k, kl, GH_PAYLOAD, pl - 1), -1);
	ck_assert_int_eq(hmac_verify_github(NULL, k, kl, GH_PAYLOAD, pl), -1);
	ck_assert_int_eq(hmac_verify_github("sha1=757107ea", k, kl, GH_PAYLOAD, pl), -1);
	ck_assert_int_eq(hmac_verify_github(GH_SIG "00", k, kl, GH_PAYLOAD, pl), -1);
	ck_assert_int_eq(hmac_verify_github(
		"sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1g",
		k, kl, GH_PAYLOAD, pl), -1);
	ck_assert_int_eq(hmac_verify_github("sha256=", k, kl, GH_PAYLOAD, pl), -1);
}
END_TEST

START_TEST(delivery_and_event_names)
{
	ck_assert(names_valid_delivery("72d3162e-cc78-11e3-81ab-4c9367dc0958"));
	ck_assert(names_valid_delivery("72D3162E-CC78-11E3-81AB-4C9367DC0958"));
	ck_assert(!names_valid_delivery("../../x"));
	ck_assert(!names_valid_delivery("72d3162e-cc78-11e3-81ab-4c9367dc0958x"));
	ck_assert(!names_valid_delivery("72d3162e-cc78-11e3-81ab-4c9367dc095"));
	ck_assert(!names_valid_delivery("72d3162e/cc78-11e3-81ab-4c9367dc0958"));
	ck_assert(!names_valid_delivery(""));
	ck_assert(!names_valid_delivery(NULL));
	ck_assert(names_valid_event("pull_request"));
	ck_assert(names_valid_event("projects_v2_item"));
	ck_assert(!names_valid_event("pull-request"));
	ck_assert(!names_valid_event("a/b"));
	ck_assert(!names_valid_event(""));
}
END_TEST

/* --- the whole pipeline, against a real spool directory --- */

static char dir[64];

struct body_src {
	const char *data;
	size_t len, off;
	int reads;
};

static ssize_t read_src(void *ctx, char *dst, size_t n)
{
	struct body_src *b = ctx;
	size_t left = b->len - b->off;

	b->reads++;
	if (n > left)
		n = left;
	memcpy(dst, b->data + b->off, n);
	b->off += n;
	return (ssize_t)n;
}

static void setup(void)
{
	struct err e = ERR_INIT;

	unit_mkdtemp(dir, sizeof(dir), "spool");
	ck_assert_int_eq(spool_init(dir, &e), 0);
}

static void teardown(void)
{
	unit_rm_rf(dir);
}

static int count_files(void)
{
	static const char *const sub[] = { "incoming", "claimed", "done", "failed" };
	char p[128];
	int n = 0;
	size_t i;

	for (i = 0; i < 4; i++) {
		DIR *d;
		struct dirent *de;

		snprintf(p, sizeof(p), "%s/%s", dir, sub[i]);
		d = opendir(p);
		ck_assert_ptr_nonnull(d);
		while ((de = readdir(d)))
			n += de->d_name[0] != '.';
		closedir(d);
	}
	return n;
}

static const char *dir_path(const char *rel)
{
	static char p[256];

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	return p;
}

#define DELIVERY "72d3162e-cc78-11e3-81ab-4c9367dc0958"
#define BODY "{\"action\":\"created\",\"zen\":\"Keep it logically awesome.\"}"

struct call {
	const char *method, *length, *event, *delivery, *signature, *body;
	size_t body_len;
};

static int handle(const struct call *c, struct webhook_answer *ans,
		  struct body_src *src)
{
	struct webhook_cfg cfg = { dir, (const unsigned char *)"s3cret", 6,
				   4096 };
	struct webhook_req req = { c->method, c->length, c->event, c->delivery,
				   c->signature, read_src, src, NULL };

	src->data = c->body;
	src->len = c->body_len;
	src->off = 0;
	src->reads = 0;
	webhook_handle(&cfg, &req, ans);
	return ans->status;
}

static void sign(const char *body, size_t len, char out[80])
{
	unsigned char mac[HMAC_SHA256_LEN];
	size_t i;

	ck_assert_int_eq(hmac_sha256("s3cret", 6, body, len, mac), 0);
	memcpy(out, "sha256=", 7);
	for (i = 0; i < sizeof(mac); i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", mac[i]);
}

START_TEST(valid_delivery_is_spooled_once)
{
	struct webhook_answer ans;
	struct body_src src;
	struct buf got = BUF_INIT(8192);
	struct err e = ERR_INIT;
	char sig[80], len[16];
	struct call c = { "POST", len, "issue_comment", DELIVERY, sig, BODY,
			  strlen(BODY) };

	sign(BODY, strlen(BODY), sig);
	snprintf(len, sizeof(len), "%zu", strlen(BODY));
	ck_assert_int_eq(handle(&c, &ans, &src), 202);
	ck_assert_int_eq(ans.spooled, 1);
	ck_assert_int_eq(xio_read_file(dir_path("incoming/" DELIVERY), &got, 1, &e), 0);
	ck_assert_ptr_nonnull(strstr(got.s, "X-GitHub-Event: issue_comment\n"));
	ck_assert_ptr_nonnull(strstr(got.s, "\n\n" BODY));
	ck_assert_uint_eq(got.len - (size_t)(strstr(got.s, "\n\n") + 2 - got.s),
			  strlen(BODY));
	/* the redelivery is answered 200 and not written again */
	ck_assert_int_eq(handle(&c, &ans, &src), 200);
	ck_assert_int_eq(ans.spooled, 0);
	ck_assert_int_eq(count_files(), 1);
	buf_release(&got);
}
END_TEST

START_TEST(path_below_the_handler_is_404)
{
	static const char *const paths[] = { "/x", "/../../etc", "//", NULL };
	struct webhook_cfg cfg = { dir, (const unsigned char *)"s3cret", 6, 4096 };
	struct webhook_answer ans;
	struct body_src src = { BODY, strlen(BODY), 0, 0 };
	char sig[80], len[16];
	struct webhook_req req = { "POST", len, "issue_comment", DELIVERY, sig,
				   read_src, &src, NULL };
	size_t i;

	sign(BODY, strlen(BODY), sig);
	snprintf(len, sizeof(len), "%zu", strlen(BODY));
	for (i = 0; paths[i]; i++) {
		req.path_info = paths[i];
		webhook_handle(&cfg, &req, &ans);
		ck_assert_int_eq(ans.status, 404);
		ck_assert_int_eq(src.reads, 0);
	}
	ck_assert_int_eq(count_files(), 0);
	req.path_info = "/";
	webhook_handle(&cfg, &req, &ans);
	ck_assert_int_eq(ans.status, 202);
}
END_TEST

START_TEST(rejections_write_nothing)
{
	static const char trunc[] = "{\"action\":\"created\"";
	char good[80], bad[80], other[80], ok_len[16], nonjson_sig[80],
		arr_sig[80], trail_sig[80], trunc_sig[80];
	struct webhook_answer ans;
	struct body_src src;
	size_t i;

	sign(BODY, strlen(BODY), good);
	sign("not json", 8, nonjson_sig);
	sign("[1,2]", 5, arr_sig);
	sign(BODY "x", strlen(BODY) + 1, trail_sig);
	sign(trunc, strlen(trunc), trunc_sig);
	memcpy(bad, good, sizeof(good));
	bad[10] = bad[10] == 'a' ? 'b' : 'a';
	{
		unsigned char mac[HMAC_SHA256_LEN];
		size_t j;

		hmac_sha256("old-secret", 10, BODY, strlen(BODY), mac);
		memcpy(other, "sha256=", 7);
		for (j = 0; j < sizeof(mac); j++)
			snprintf(other + 7 + 2 * j, 3, "%02x", mac[j]);
	}
	snprintf(ok_len, sizeof(ok_len), "%zu", strlen(BODY));
	{
		const struct {
			struct call c;
			int status;
		} cases[] = {
			{ { "GET", ok_len, "ping", DELIVERY, good, BODY, strlen(BODY) }, 405 },
			{ { "POST", NULL, "ping", DELIVERY, good, BODY, strlen(BODY) }, 411 },
			{ { "POST", "-5", "ping", DELIVERY, good, BODY, strlen(BODY) }, 400 },
			{ { "POST", "12a", "ping", DELIVERY, good, BODY, strlen(BODY) }, 400 },
			{ { "POST", "4097", "ping", DELIVERY, good, BODY, strlen(BODY) }, 413 },
			{ { "POST", "99999999999999999999999", "ping", DELIVERY, good, BODY,
			    strlen(BODY) }, 413 },
			{ { "POST", "500", "ping", DELIVERY, good, BODY, strlen(BODY) }, 400 },
			{ { "POST", ok_len, "ping", DELIVERY, NULL, BODY, strlen(BODY) }, 401 },
			{ { "POST", ok_len, "ping", DELIVERY, bad, BODY, strlen(BODY) }, 403 },
			{ { "POST", ok_len, "ping", DELIVERY, other, BODY, strlen(BODY) }, 403 },
			{ { "POST", ok_len, NULL, DELIVERY, good, BODY, strlen(BODY) }, 400 },
			{ { "POST", ok_len, "../x", DELIVERY, good, BODY, strlen(BODY) }, 400 },
			{ { "POST", ok_len, "ping", NULL, good, BODY, strlen(BODY) }, 400 },
			{ { "POST", ok_len, "ping", "../../x", good, BODY, strlen(BODY) }, 400 },
			{ { "POST", "8", "ping", DELIVERY, nonjson_sig, "not json", 8 }, 400 },
			{ { "POST", "5", "ping", DELIVERY, arr_sig, "[1,2]", 5 }, 400 },
			{ { "POST", "58", "ping", DELIVERY, trail_sig, BODY "x", strlen(BODY) + 1 }, 400 },
			{ { "POST", "21", "ping", DELIVERY, trunc_sig, trunc, strlen(trunc) }, 400 },
		};

		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			ck_assert_msg(handle(&cases[i].c, &ans, &src) == cases[i].status,
				      "case %zu: got %d (%s), want %d", i, ans.status,
				      ans.text, cases[i].status);
			ck_assert_int_eq(ans.spooled, 0);
		}
	}
	ck_assert_int_eq(count_files(), 0);
}
END_TEST

START_TEST(too_big_is_refused_without_reading)
{
	char sig[80];
	struct webhook_answer ans;
	struct body_src src;
	struct call c = { "POST", "1000000", "ping", DELIVERY, sig, BODY, strlen(BODY) };

	sign(BODY, strlen(BODY), sig);
	ck_assert_int_eq(handle(&c, &ans, &src), 413);
	ck_assert_int_eq(src.reads, 0);
}
END_TEST

START_TEST(spool_failure_is_503)
{
	char sig[80], len[16];
	struct webhook_answer ans;
	struct body_src src;
	struct call c = { "POST", len, "ping", DELIVERY, sig, BODY, strlen(BODY) };

	sign(BODY, strlen(BODY), sig);
	snprintf(len, sizeof(len), "%zu", strlen(BODY));
	ck_assert_int_eq(rmdir(dir_path("incoming")), 0);
	ck_assert_int_eq(handle(&c, &ans, &src), 503);
	ck_assert_int_eq(ans.spooled, 0);
	ck_assert_int_eq(mkdir(dir_path("incoming"), 0750), 0);
}
END_TEST

START_TEST(known_in_any_state_is_duplicate)
{
	char sig[80], len[16];
	struct webhook_answer ans;
	struct body_src src;
	struct err e = ERR_INIT;
	struct call c = { "POST", len, "ping", DELIVERY, sig, BODY, strlen(BODY) };

	sign(BODY, strlen(BODY), sig);
	snprintf(len, sizeof(len), "%zu", strlen(BODY));
	ck_assert_int_eq(xio_write_atomic(dir_path("done/" DELIVERY), "x", 1, 0600, &e), 0);
	ck_assert_int_eq(handle(&c, &ans, &src), 200);
	ck_assert_int_eq(count_files(), 1);
}
END_TEST

Suite *webhook_suite(void)
{
	Suite *s = suite_create("webhook");
	TCase *pure = tcase_create("signature");
	TCase *tc = tcase_create("pipeline");

	tcase_add_test(pure, github_documented_vector);
	tcase_add_test(pure, signature_mismatches);
	tcase_add_test(pure, delivery_and_event_names);
	suite_add_tcase(s, pure);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, valid_delivery_is_spooled_once);
	tcase_add_test(tc, path_below_the_handler_is_404);
	tcase_add_test(tc, rejections_write_nothing);
	tcase_add_test(tc, too_big_is_refused_without_reading);
	tcase_add_test(tc, spool_failure_is_503);
	tcase_add_test(tc, known_in_any_state_is_duplicate);
	suite_add_tcase(s, tc);
	return s;
}
