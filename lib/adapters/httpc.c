/* httpc.c - one libcurl wrapper: requests, capped bodies, the headers of
 * interest, and the (pure) retry decision.
 *
 * Layer: adapters (README, "Map of the code").
 */
#include "httpc.h"
#include "clock.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAX_NUMBER_DIGITS 18

struct httpc {
	CURL *curl;
	char errbuf[CURL_ERROR_SIZE];
};

static int curl_ready; /* curl_global_init() done, no cleanup since */

/* ------------------------------------------------------------ headers */

void httpc_headers_init(struct httpc_headers *h)
{
	h->retry_after = -1;
	h->rl_remaining = -1;
	h->rl_reset = -1;
}

/* A plain decimal number of 1..MAX_NUMBER_DIGITS digits, else -1. */
static long long parse_number(const char *s, size_t len)
{
	long long v = 0;
	size_t i;

	if (len == 0 || len > MAX_NUMBER_DIGITS)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int name_is(const char *name, size_t len, const char *want)
{
	return strlen(want) == len && strncasecmp(name, want, len) == 0;
}

void httpc_header_line(struct httpc_headers *h, const char *line, size_t len)
{
	const char *colon, *v;
	size_t nlen, vlen;

	if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
		httpc_headers_init(h);
		return;
	}
	colon = memchr(line, ':', len);
	if (!colon)
		return;
	nlen = (size_t)(colon - line);
	v = colon + 1;
	vlen = len - nlen - 1;
	while (vlen > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		vlen--;
	}
	while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' ||
			    v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	if (name_is(line, nlen, "retry-after"))
		h->retry_after = parse_number(v, vlen);
	else if (name_is(line, nlen, "x-ratelimit-remaining"))
		h->rl_remaining = parse_number(v, vlen);
	else if (name_is(line, nlen, "x-ratelimit-reset"))
		h->rl_reset = parse_number(v, vlen);
}

/* ------------------------------------------------------ retry decision */

int httpc_rate_limited(int status, const struct httpc_headers *h)
{
	return status == 429 ||
	       (status == 403 && (h->rl_remaining == 0 || h->retry_after >= 0));
}

long long httpc_retry_delay(int status, const struct httpc_headers *h,
			    int attempt, long long now, long long *wait_asked)
{
	long long wait_ms;

	if (wait_asked)
		*wait_asked = 0;
	if (httpc_rate_limited(status, h)) {
		if (h->retry_after >= 0)
			wait_ms = h->retry_after * 1000;
		else if (h->rl_remaining == 0 && h->rl_reset >= 0)
			wait_ms = (h->rl_reset > now ? h->rl_reset - now : 1) *
				  1000;
		else
			wait_ms = (long long)HTTPC_SECONDARY_WAIT_S * 1000;
	} else if (status == 0 || (status >= 500 && status <= 599)) {
		if (h->retry_after >= 0)
			wait_ms = h->retry_after * 1000;
		else if (attempt >= 1 && attempt < HTTPC_MAX_ATTEMPTS)
			wait_ms = 1000LL << (attempt - 1);
		else
			wait_ms = 0;
	} else {
		return -1;
	}
	if (attempt < 1 || attempt >= HTTPC_MAX_ATTEMPTS)
		return -1;
	if (wait_ms > (long long)HTTPC_MAX_WAIT_S * 1000) {
		if (wait_asked)
			*wait_asked = wait_ms / 1000;
		return -1;
	}
	return wait_ms;
}

/* The reason phrases of the answers the bot may see. */
static const struct {
	int status;
	const char *text;
} reasons[] = {
	{200, "OK"},
	{201, "Created"},
	{202, "Accepted"},
	{204, "No Content"},
	{301, "Moved Permanently"},
	{302, "Found"},
	{304, "Not Modified"},
	{307, "Temporary Redirect"},
	{308, "Permanent Redirect"},
	{400, "Bad Request"},
	{401, "Unauthorized"},
	{403, "Forbidden"},
	{404, "Not Found"},
	{405, "Method Not Allowed"},
	{406, "Not Acceptable"},
	{409, "Conflict"},
	{410, "Gone"},
	{413, "Payload Too Large"},
	{415, "Unsupported Media Type"},
	{422, "Unprocessable Entity"},
	{429, "Too Many Requests"},
	{500, "Internal Server Error"},
	{501, "Not Implemented"},
	{502, "Bad Gateway"},
	{503, "Service Unavailable"},
	{504, "Gateway Timeout"},
};

const char *httpc_reason(int status)
{
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].status == status)
			return reasons[i].text;
	return "";
}

/* ------------------------------------------------------------- libcurl */

void httpc_global_cleanup(void)
{
	if (curl_ready)
		curl_global_cleanup();
	curl_ready = 0;
}

/* curl_global_init() once per process (again only after an explicit
 * httpc_global_cleanup()); the cleanup runs at exit, so that leak checkers
 * see a clean process. */
int httpc_global_init(struct err *e)
{
	static int registered;
	CURLcode rc;

	if (curl_ready)
		return 0;
	rc = curl_global_init(CURL_GLOBAL_DEFAULT);
	if (rc != CURLE_OK)
		return err_set(e, ERR_SYS, "curl_global_init: %s",
			       curl_easy_strerror(rc));
	curl_ready = 1;
	if (!registered && atexit(httpc_global_cleanup) == 0)
		registered = 1;
	return 0;
}

int httpc_open(struct httpc **out, struct err *e)
{
	struct httpc *c;

	*out = NULL;
	if (httpc_global_init(e) < 0)
		return -1;
	c = calloc(1, sizeof(*c));
	if (!c)
		return err_set(e, ERR_NOMEM, "httpc: out of memory");
	c->curl = curl_easy_init();
	if (!c->curl) {
		free(c);
		return err_set(e, ERR_NOMEM, "curl_easy_init failed");
	}
	*out = c;
	return 0;
}

void httpc_free(struct httpc *c)
{
	if (!c)
		return;
	curl_easy_cleanup(c->curl);
	free(c);
}

void httpc_response_init(struct httpc_response *r, size_t cap)
{
	r->status = 0;
	buf_init(&r->body, cap ? cap : HTTPC_BODY_CAP);
	httpc_headers_init(&r->h);
	r->elapsed_ms = 0;
}

void httpc_response_release(struct httpc_response *r)
{
	buf_release(&r->body);
}

struct sink {
	struct httpc_response *rs;
	int too_big;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	size_t len = size * n;

	if (buf_add(&s->rs->body, p, len) < 0) {
		s->too_big = 1;
		return 0; /* curl stops with CURLE_WRITE_ERROR */
	}
	return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;

	httpc_header_line(&s->rs->h, p, size * n);
	return size * n;
}

/* The header list for curl; every string is a copy, wiped by
 * free_headers(). */
static struct curl_slist *make_headers(const struct httpc_request *rq)
{
	struct curl_slist *list = NULL, *next;
	const char *const *h;

	/* no "Expect: 100-continue" round trip for large bodies */
	if (!(list = curl_slist_append(list, "Expect:")))
		return NULL;
	for (h = rq->headers; h && *h; h++) {
		next = curl_slist_append(list, *h);
		if (!next) {
			curl_slist_free_all(list);
			return NULL;
		}
		list = next;
	}
	return list;
}

static void free_headers(struct curl_slist *list)
{
	struct curl_slist *p;

	for (p = list; p; p = p->next)
		explicit_bzero(p->data, strlen(p->data));
	curl_slist_free_all(list);
}

static int method_ok(const char *m)
{
	static const char *const methods[] = {"GET", "POST", "PATCH", "PUT",
					      "DELETE"};
	size_t i;

	for (i = 0; m && i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(m, methods[i]) == 0)
			return 1;
	return 0;
}

/* Every option of one request; 0 or the first failing CURLcode. */
static CURLcode set_options(struct httpc *c, const struct httpc_request *rq,
			    struct curl_slist *hdrs, struct sink *sink)
{
	CURL *h = c->curl;
	CURLcode rc = CURLE_OK;

#define SET(opt, val)                                              \
	do {                                                       \
		if (rc == CURLE_OK)                                \
			rc = curl_easy_setopt(h, opt, val);        \
	} while (0)
	SET(CURLOPT_URL, rq->url);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_CONNECTTIMEOUT_MS, rq->connect_timeout_ms > 0
					       ? rq->connect_timeout_ms
					       : HTTPC_CONNECT_TIMEOUT_MS);
	SET(CURLOPT_TIMEOUT_MS,
	    rq->timeout_ms > 0 ? rq->timeout_ms : HTTPC_TIMEOUT_MS);
	SET(CURLOPT_HTTPHEADER, hdrs);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, sink);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, sink);
	SET(CURLOPT_ERRORBUFFER, c->errbuf);
	if (strcmp(rq->method, "GET") == 0) {
		SET(CURLOPT_HTTPGET, 1L);
	} else {
		if (strcmp(rq->method, "POST") != 0)
			SET(CURLOPT_CUSTOMREQUEST, rq->method);
		SET(CURLOPT_POST, 1L);
		SET(CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)(rq->body ? rq->body_len : 0));
		SET(CURLOPT_POSTFIELDS, rq->body ? rq->body : "");
	}
#undef SET
	return rc;
}

int httpc_perform(struct httpc *c, const struct httpc_request *rq,
		  struct httpc_response *rs, struct err *e)
{
	struct sink sink = {rs, 0};
	struct curl_slist *hdrs;
	long long t0;
	long status = 0, reqsize = 0;
	CURLcode rc;
	int ret = 0;

	rs->status = 0;
	rs->sent = 0;
	rs->elapsed_ms = 0;
	buf_clear(&rs->body);
	httpc_headers_init(&rs->h);
	if (!method_ok(rq->method) || !rq->url)
		return err_set(e, ERR_INVAL, "httpc: bad method or URL");
	if (!(hdrs = make_headers(rq)))
		return err_set(e, ERR_NOMEM, "httpc: out of memory");
	curl_easy_reset(c->curl);
	c->errbuf[0] = '\0';
	t0 = clock_mono_ms();
	rc = set_options(c, rq, hdrs, &sink);
	if (rc != CURLE_OK) {
		ret = err_set(e, ERR_SYS, "curl option: %s",
			      curl_easy_strerror(rc));
		goto out;
	}
	rc = curl_easy_perform(c->curl);
	rs->elapsed_ms = clock_mono_ms() - t0;
	if (curl_easy_getinfo(c->curl, CURLINFO_REQUEST_SIZE, &reqsize) == CURLE_OK)
		rs->sent = reqsize > 0;
	else
		rs->sent = 1; /* not known: assume the worst */
	if (curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status) ==
	    CURLE_OK && status >= 100 && status <= 999)
		rs->status = (int)status;
	if (sink.too_big) {
		ret = err_set(e, ERR_TOOBIG, "response body larger than %zu bytes",
			      rs->body.cap);
	} else if (rc != CURLE_OK) {
		rs->status = 0;
		ret = err_set(e, rc == CURLE_OPERATION_TIMEDOUT ? ERR_TIMEOUT
								: ERR_SYS,
			      "%s", c->errbuf[0] ? c->errbuf
						 : curl_easy_strerror(rc));
	}
out:
	/* the handle keeps pointers to hdrs: drop them before freeing */
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
	free_headers(hdrs);
	return ret;
}
