/* test_httpc.c - the retry decision as a table, the header parser, and the
 * requests libcurl must refuse or cannot complete (no server needed). */
#include <string.h>

#include "httpc.h"
#include "unit.h"

#define NOW 1700000000LL
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* One row: answer, headers (-1: absent), attempt -> delay (ms), wait asked. */
static const struct {
	int status;
	long long retry_after, remaining, reset;
	int attempt;
	long long delay, asked;
	const char *why;
} table[] = {
	{200, -1, -1, -1, 1, -1, 0, "success"},
	{201, -1, -1, -1, 1, -1, 0, "created"},
	{304, -1, -1, -1, 1, -1, 0, "not modified"},
	{400, -1, -1, -1, 1, -1, 0, "bad request"},
	{401, -1, -1, -1, 1, -1, 0, "unauthorized: the token logic decides"},
	{404, -1, -1, -1, 1, -1, 0, "not found"},
	{422, -1, -1, -1, 1, -1, 0, "validation failed"},
	{403, -1, -1, -1, 1, -1, 0, "forbidden, no rate-limit header"},
	{403, -1, 4999, NOW + 60, 1, -1, 0, "forbidden with quota left"},
	/* 5xx and transport errors: 1 s, 2 s, 4 s, then give up */
	{500, -1, -1, -1, 1, 1000, 0, "500, first attempt"},
	{500, -1, -1, -1, 2, 2000, 0, "500, second attempt"},
	{500, -1, -1, -1, 3, 4000, 0, "500, third attempt"},
	{500, -1, -1, -1, 4, -1, 0, "500, fourth attempt: give up"},
	{502, -1, -1, -1, 1, 1000, 0, "502"},
	{503, -1, -1, -1, 2, 2000, 0, "503"},
	{504, -1, -1, -1, 3, 4000, 0, "504"},
	{599, -1, -1, -1, 1, 1000, 0, "599"},
	{0, -1, -1, -1, 1, 1000, 0, "transport error, first attempt"},
	{0, -1, -1, -1, 3, 4000, 0, "transport error, third attempt"},
	{0, -1, -1, -1, 4, -1, 0, "transport error, fourth attempt"},
	{503, 5, -1, -1, 1, 5000, 0, "503 with Retry-After"},
	{503, 120, -1, -1, 1, -1, 120, "503 asking for 120 s"},
	/* rate limits */
	{429, -1, -1, -1, 1, 60000, 0, "429 without a hint: a minute"},
	{429, 1, -1, -1, 1, 1000, 0, "429 Retry-After 1"},
	{429, 0, -1, -1, 1, 0, 0, "429 Retry-After 0"},
	{429, 60, -1, -1, 1, 60000, 0, "429 Retry-After 60: the limit"},
	{429, 61, -1, -1, 1, -1, 61, "429 Retry-After 61: refused"},
	{429, 3600, 0, NOW + 5, 1, -1, 3600, "Retry-After wins over reset"},
	{429, 1, -1, -1, 4, -1, 0, "429, fourth attempt"},
	{403, 2, -1, -1, 1, 2000, 0, "403 with Retry-After"},
	{403, -1, 0, NOW + 30, 1, 30000, 0, "403, quota gone, reset in 30 s"},
	{403, -1, 0, NOW - 5, 2, 1000, 0, "403, reset already past"},
	{403, -1, 0, NOW, 1, 1000, 0, "403, reset now"},
	{403, -1, 0, NOW + 3600, 1, -1, 3600, "403, reset in an hour"},
	{403, -1, 0, -1, 1, 60000, 0, "403, quota gone, no reset"},
	{429, -1, 0, NOW + 61, 1, -1, 61, "429, reset in 61 s"},
	{429, -1, 12, NOW + 10, 1, 60000, 0, "429 with quota left"},
};

START_TEST(retry_decision_table)
{
	struct httpc_headers h;
	long long asked, d;

	h.retry_after = table[_i].retry_after;
	h.rl_remaining = table[_i].remaining;
	h.rl_reset = table[_i].reset;
	asked = -7;
	d = httpc_retry_delay(table[_i].status, &h, table[_i].attempt, NOW,
			      &asked);
	ck_assert_msg(d == table[_i].delay, "%s: delay %lld, want %lld",
		      table[_i].why, d, table[_i].delay);
	ck_assert_msg(asked == table[_i].asked, "%s: asked %lld, want %lld",
		      table[_i].why, asked, table[_i].asked);
	/* wait_asked is optional */
	ck_assert_int_eq(httpc_retry_delay(table[_i].status, &h,
					   table[_i].attempt, NOW, NULL),
			 d);
}
END_TEST

START_TEST(retry_never_before_first_attempt)
{
	struct httpc_headers h;

	httpc_headers_init(&h);
	ck_assert_int_eq(httpc_retry_delay(502, &h, 0, NOW, NULL), -1);
	ck_assert_int_eq(httpc_retry_delay(502, &h, -3, NOW, NULL), -1);
}
END_TEST

START_TEST(rate_limited_classification)
{
	struct httpc_headers h;

	httpc_headers_init(&h);
	ck_assert(httpc_rate_limited(429, &h));
	ck_assert(!httpc_rate_limited(403, &h));
	h.rl_remaining = 0;
	ck_assert(httpc_rate_limited(403, &h));
	ck_assert(!httpc_rate_limited(404, &h));
	httpc_headers_init(&h);
	h.retry_after = 3;
	ck_assert(httpc_rate_limited(403, &h));
	ck_assert(!httpc_rate_limited(500, &h));
}
END_TEST

static void line(struct httpc_headers *h, const char *s)
{
	httpc_header_line(h, s, strlen(s));
}

START_TEST(header_lines)
{
	struct httpc_headers h;
	const char partial[] = "Retry-After: 12345";

	httpc_headers_init(&h);
	ck_assert_int_eq(h.retry_after, -1);
	ck_assert_int_eq(h.rl_remaining, -1);
	ck_assert_int_eq(h.rl_reset, -1);
	line(&h, "HTTP/1.1 429 Too Many Requests\r\n");
	line(&h, "Retry-After: 5\r\n");
	line(&h, "x-ratelimit-remaining: 0\r\n");
	line(&h, "X-RateLimit-Reset: 1700000123\r\n");
	line(&h, "Content-Type: application/json\r\n");
	line(&h, "\r\n");
	ck_assert_int_eq(h.retry_after, 5);
	ck_assert_int_eq(h.rl_remaining, 0);
	ck_assert_int_eq(h.rl_reset, 1700000123LL);

	/* a new response (a 100 Continue before the real one) starts over */
	line(&h, "HTTP/2 200\r\n");
	ck_assert_int_eq(h.retry_after, -1);
	ck_assert_int_eq(h.rl_remaining, -1);
	ck_assert_int_eq(h.rl_reset, -1);

	line(&h, "RETRY-AFTER:\t 7 \t\r\n");
	ck_assert_int_eq(h.retry_after, 7);
	line(&h, "retry-after:9");
	ck_assert_int_eq(h.retry_after, 9);
	/* only the given length counts: "Retry-After: 12" */
	httpc_header_line(&h, partial, 15);
	ck_assert_int_eq(h.retry_after, 12);
}
END_TEST

START_TEST(header_values_refused)
{
	static const char *const bad[] = {
		"Retry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\n",
		"Retry-After: -1\r\n",
		"Retry-After: +5\r\n",
		"Retry-After: 5s\r\n",
		"Retry-After: 1 2\r\n",
		"Retry-After: 0x10\r\n",
		"Retry-After: \r\n",
		"Retry-After: 1234567890123456789\r\n", /* 19 digits */
	};
	struct httpc_headers h;
	size_t i;

	for (i = 0; i < NELEM(bad); i++) {
		httpc_headers_init(&h);
		h.retry_after = 99;
		line(&h, bad[i]);
		ck_assert_msg(h.retry_after == -1, "'%s' gave %lld", bad[i],
			      h.retry_after);
	}
	httpc_headers_init(&h);
	line(&h, "Retry-After: 123456789012345678\r\n"); /* 18 digits */
	ck_assert_int_eq(h.retry_after, 123456789012345678LL);
	/* names must match whole */
	httpc_headers_init(&h);
	line(&h, "X-Retry-After: 5\r\n");
	line(&h, "x-ratelimit-remaining-extra: 0\r\n");
	line(&h, "x-ratelimit: 0\r\n");
	line(&h, "no colon at all 5\r\n");
	ck_assert_int_eq(h.retry_after, -1);
	ck_assert_int_eq(h.rl_remaining, -1);
}
END_TEST

START_TEST(reason_phrases)
{
	ck_assert_str_eq(httpc_reason(404), "Not Found");
	ck_assert_str_eq(httpc_reason(429), "Too Many Requests");
	ck_assert_str_eq(httpc_reason(502), "Bad Gateway");
	ck_assert_str_eq(httpc_reason(799), "");
}
END_TEST

/* A closed port: no HTTP answer, ERR_SYS, status 0. */
START_TEST(perform_connection_refused)
{
	struct httpc *c = NULL;
	struct httpc_response rs;
	struct err e = ERR_INIT;
	const char *const hdrs[] = {"Authorization: token ghs_secret", NULL};
	struct httpc_request rq = {"GET", "http://127.0.0.1:1/x", hdrs, NULL,
				   0, 0, 0};

	httpc_response_init(&rs, 0);
	ck_assert_int_eq(httpc_open(&c, &e), 0);
	ck_assert_int_eq(httpc_perform(c, &rq, &rs, &e), -1);
	ck_assert_int_eq(rs.status, 0);
	ck_assert_int_eq(e.code, ERR_SYS);
	ck_assert_msg(strlen(e.msg) > 0, "no message");
	httpc_response_release(&rs);
	httpc_free(c);
}
END_TEST

/* Only http and https: libcurl never opens a file or speaks another
 * protocol, whatever the URL says. */
START_TEST(perform_other_protocols_refused)
{
	static const char *const urls[] = {"file:///etc/passwd",
					   "ftp://127.0.0.1:1/x",
					   "gopher://127.0.0.1:1/x",
					   "dict://127.0.0.1:1/x"};
	struct httpc *c = NULL;
	struct httpc_response rs;
	struct err e = ERR_INIT;
	struct httpc_request rq = {"GET", NULL, NULL, NULL, 0, 0, 0};
	size_t i;

	httpc_response_init(&rs, 0);
	ck_assert_int_eq(httpc_open(&c, &e), 0);
	for (i = 0; i < NELEM(urls); i++) {
		err_clear(&e);
		rq.url = urls[i];
		ck_assert_int_eq(httpc_perform(c, &rq, &rs, &e), -1);
		ck_assert_int_eq(rs.status, 0);
		ck_assert_uint_eq(rs.body.len, 0);
		ck_assert_msg(strstr(e.msg, "rotocol") != NULL, "%s: %s",
			      urls[i], e.msg);
	}
	httpc_response_release(&rs);
	httpc_free(c);
}
END_TEST

START_TEST(perform_bad_method)
{
	struct httpc *c = NULL;
	struct httpc_response rs;
	struct err e = ERR_INIT;
	struct httpc_request rq = {"TRACE", "http://127.0.0.1:1/", NULL, NULL,
				   0, 0, 0};

	httpc_response_init(&rs, 0);
	ck_assert_int_eq(httpc_open(&c, &e), 0);
	ck_assert_int_eq(httpc_perform(c, &rq, &rs, &e), -1);
	ck_assert_int_eq(e.code, ERR_INVAL);
	httpc_response_release(&rs);
	httpc_free(c);
}
END_TEST

Suite *httpc_suite(void)
{
	Suite *s = suite_create("httpc");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, retry_decision_table, 0, (int)NELEM(table));
	tcase_add_test(tc, retry_never_before_first_attempt);
	tcase_add_test(tc, rate_limited_classification);
	tcase_add_test(tc, header_lines);
	tcase_add_test(tc, header_values_refused);
	tcase_add_test(tc, reason_phrases);
	tcase_add_test(tc, perform_connection_refused);
	tcase_add_test(tc, perform_other_protocols_refused);
	tcase_add_test(tc, perform_bad_method);
	suite_add_tcase(s, tc);
	return s;
}
