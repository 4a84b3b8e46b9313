/* webhook.c - one delivery through the handler: its checks in order, the
 * signature before any parsing, the durable spool write, the answer.
 * Layer: flows (README, "Map of the code"). */
#include "webhook.h"

#include <json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "hmac.h"
#include "names.h"
#include "spool.h"

#define JSON_MAX_DEPTH 64

static void answer(struct webhook_answer *ans, int status, const char *fmt,
		   ...) __attribute__((format(printf, 3, 4)));

static void answer(struct webhook_answer *ans, int status, const char *fmt,
		   ...)
{
	va_list ap;

	ans->status = status;
	va_start(ap, fmt);
	if (vsnprintf(ans->text, sizeof(ans->text), fmt, ap) < 0)
		ans->text[0] = '\0';
	va_end(ap);
}

/* A decimal length: digits only (no sign, no space).  A value above max
 * sets *too_big instead of overflowing.  -1 when not a number. */
static int parse_length(const char *s, size_t max, size_t *out, int *too_big)
{
	size_t i, v = 0;

	*too_big = 0;
	if (!*s)
		return -1;
	for (i = 0; s[i]; i++) {
		size_t d = (size_t)(s[i] - '0');

		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (*too_big || d > max || v > (max - d) / 10)
			*too_big = 1;
		else
			v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* Reads exactly len bytes.  -1: short or failed read. */
static int read_body(const struct webhook_req *req, size_t len,
		     struct buf *body)
{
	char chunk[65536];

	while (body->len < len) {
		size_t want = len - body->len;
		ssize_t n = req->read(req->ctx, chunk,
				      want < sizeof(chunk) ? want : sizeof(chunk));

		if (n <= 0 || buf_add(body, chunk, (size_t)n) < 0)
			return -1;
	}
	return 0;
}

/* 1 if body is one JSON object and nothing else. */
static int is_json_object(const char *body, size_t len)
{
	struct json_tokener *tok = json_tokener_new_ex(JSON_MAX_DEPTH);
	struct json_object *obj;
	int ok;

	if (!tok || len > (size_t)INT32_MAX) {
		json_tokener_free(tok);
		return 0;
	}
	obj = json_tokener_parse_ex(tok, body, (int)len);
	ok = obj && json_tokener_get_error(tok) == json_tokener_success &&
	     json_object_is_type(obj, json_type_object) &&
	     json_tokener_get_parse_end(tok) == len;
	json_object_put(obj);
	json_tokener_free(tok);
	return ok;
}

static int check_headers(const struct webhook_req *req,
			 struct webhook_answer *ans)
{
	if (!req->event || !*req->event)
		answer(ans, 400, "missing X-GitHub-Event");
	else if (!names_valid_event(req->event))
		answer(ans, 400, "malformed X-GitHub-Event");
	else if (!req->delivery || !*req->delivery)
		answer(ans, 400, "missing X-GitHub-Delivery");
	else if (!names_valid_delivery(req->delivery))
		answer(ans, 400, "malformed X-GitHub-Delivery (not a UUID)");
	else
		return 0;
	return -1;
}

static void keep(const struct webhook_cfg *cfg, const struct webhook_req *req,
		 const struct buf *body, struct webhook_answer *ans)
{
	struct err e = ERR_INIT;
	int known = spool_known(cfg->spool_dir, req->delivery, &e);

	if (known == 1) {
		answer(ans, 200, "duplicate delivery, already received");
		return;
	}
	if (known == 0 && spool_put(cfg->spool_dir, req->delivery, req->event,
				    body->s, body->len, &e) == 0) {
		ans->spooled = 1;
		answer(ans, 202, "accepted");
		return;
	}
	if (e.code == ERR_EXISTS)
		answer(ans, 200, "duplicate delivery, already received");
	else
		answer(ans, 503, "cannot keep the delivery: %s", e.msg);
}

void webhook_handle(const struct webhook_cfg *cfg,
		    const struct webhook_req *req, struct webhook_answer *ans)
{
	size_t max = cfg->max_body ? cfg->max_body : WEBHOOK_MAX_BODY;
	struct buf body = BUF_INIT(max);
	size_t len = 0;
	int too_big;

	memset(ans, 0, sizeof(*ans));
	if (req->path_info && *req->path_info && strcmp(req->path_info, "/") != 0)
		answer(ans, 404, "no such path (the webhook takes no path below it)");
	else if (!req->method || strcmp(req->method, "POST") != 0)
		answer(ans, 405, "only POST is accepted");
	else if (!req->content_length || !*req->content_length)
		answer(ans, 411, "Content-Length required");
	else if (parse_length(req->content_length, max, &len, &too_big) < 0)
		answer(ans, 400, "malformed Content-Length");
	else if (too_big)
		answer(ans, 413, "body larger than %zu bytes", max);
	else if (read_body(req, len, &body) < 0)
		answer(ans, 400, "truncated body");
	else if (!req->signature || !*req->signature)
		answer(ans, 401, "missing X-Hub-Signature-256");
	else if (hmac_verify_github(req->signature, cfg->secret,
				    cfg->secret_len, body.s, body.len) < 0)
		answer(ans, 403, "signature does not match");
	else if (check_headers(req, ans) == 0) {
		if (!is_json_object(body.s, body.len))
			answer(ans, 400, "body is not a JSON object");
		else
			keep(cfg, req, &body, ans);
	}
	buf_release(&body);
}

const char *webhook_status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 202: return "Accepted";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}
