/* s3.c - uploads to S3, signed with SigV4 by libcurl.
 *
 * Requests are libcurl easy handles driven here (not through lib/httpc:
 * see httpc.h): single requests with curl_easy_perform(), the parts of a
 * multipart upload through one multi handle, S3_PARALLEL at a time.  A
 * request body always comes from memory (a part is read from the file
 * once, hashed, then sent from its buffer, retries included), so what is
 * sent is what was hashed.
 *
 * Layer: adapters (README, "Map of the code").
 */
#include "s3.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "httpc.h"
#include "ini.h"
#include "num.h"
#include "xio.h"

#define S3_RESP_CAP ((size_t)1024 * 1024) /* an answer's XML */
#define S3_MAX_PARTS 10000                /* S3's own limit */
#define S3_SMALL_TIMEOUT_MS 60000L   /* requests without a large body */
#define S3_LOW_SPEED_BYTES 1024L     /* a transfer slower than this ... */
#define S3_LOW_SPEED_S 60L           /* ... for this long is given up */
#define S3_HASH_CHUNK ((size_t)256 * 1024) /* hashed while in cache */
#define S3_ERR_TEXT 200                    /* server text kept in errors */
#define S3_DRAIN_MS 30000L /* parts in flight let finish after a failure */
#define S3_UPLOAD_BUFFER (1024L * 1024) /* libcurl's upload buffer, large bodies */

struct s3 {
	char *endpoint; /* no trailing '/' */
	char *bucket;
	char *region;
	char *sigv4;   /* "aws:amz:REGION:s3" */
	char *userpwd; /* ACCESS:SECRET (wiped) */
	char *token;   /* "x-amz-security-token: ..." or NULL (wiped) */
	CURLM *multi;
	CURL *easy[S3_PARALLEL];
	struct s3_put_stats *st; /* of the operation running, or NULL */
};

/* One HTTP request and what came back. */
struct req {
	const char *method; /* GET HEAD PUT POST DELETE */
	struct buf url;
	struct curl_slist *hdrs;
	const unsigned char *body; /* NULL: none */
	size_t len, off;
	struct buf resp; /* the answer's body (XML), capped */
	struct httpc_headers h;
	char etag[80];  /* ETag without quotes */
	char meta_sha[65];
	char checksum[80]; /* the answer's x-amz-checksum-sha256 (base64) */
	long long clen; /* Content-Length, -1 absent */
	int status;     /* 0: no HTTP answer */
	CURLcode rc;
	int big;        /* a large body: speed limit, no total timeout */
	long timeout_ms; /* otherwise; 0: S3_SMALL_TIMEOUT_MS */
	char errbuf[CURL_ERROR_SIZE];
};

/* ------------------------------------------------------------ helpers */

static const char hexdig[] = "0123456789abcdef";

static void to_hex(const unsigned char *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hexdig[p[i] >> 4];
		out[2 * i + 1] = hexdig[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* Standard base64 with padding; out holds 4 * ((n + 2) / 3) + 1 bytes. */
static void to_b64(const unsigned char *p, size_t n, char *out)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, o = 0;
	unsigned v;

	for (i = 0; i + 2 < n; i += 3) {
		v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = tab[(v >> 6) & 63];
		out[o++] = tab[v & 63];
	}
	if (i < n) {
		v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0);
		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
}

static int is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return s[n] == '\0';
}

static void sleep_ms(long long ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* --------------------------------------------------------- credentials */

void s3_creds_wipe(struct s3_creds *cr)
{
	wipe_free(cr->access_key);
	wipe_free(cr->secret_key);
	wipe_free(cr->session_token);
	cr->access_key = cr->secret_key = cr->session_token = NULL;
}

/* A credential is one line of printable ASCII without blanks. */
static int cred_ok(const char *s)
{
	if (!s || !*s)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

static int creds_from_env(struct s3_creds *cr, struct err *e)
{
	const char *a = getenv("AWS_ACCESS_KEY_ID");
	const char *s = getenv("AWS_SECRET_ACCESS_KEY");
	const char *t = getenv("AWS_SESSION_TOKEN");

	if (!a || !s || !cred_ok(a) || !cred_ok(s) || strchr(a, ':') ||
	    (t && *t && !cred_ok(t)))
		return err_set(e, ERR_INVAL, "AWS_ACCESS_KEY_ID, "
			       "AWS_SECRET_ACCESS_KEY or AWS_SESSION_TOKEN in "
			       "the environment: empty or not one printable "
			       "word");
	cr->access_key = strdup(a);
	cr->secret_key = strdup(s);
	cr->session_token = t && *t ? strdup(t) : NULL;
	if (!cr->access_key || !cr->secret_key || (t && *t && !cr->session_token)) {
		s3_creds_wipe(cr);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	return 0;
}

/* The line number of "[name]" in text (1-based), 0 if not found. */
static int section_line(const char *text, size_t len, const char *name)
{
	size_t n = strlen(name), i = 0, start, skip;
	int line = 1;

	while (i < len) {
		start = i;
		while (i < len && text[i] != '\n')
			i++;
		skip = strspn(text + start, " \t");
		if (skip > i - start)
			skip = i - start;
		start += skip;
		if (i - start >= n + 2 && text[start] == '[' &&
		    memcmp(text + start + 1, name, n) == 0 &&
		    text[start + n + 1] == ']')
			return line;
		i++;
		line++;
	}
	return 0;
}

/* Copies the value of key in [profile]; a missing or bad value names
 * file, line and key. */
static int file_value(const struct ini *ini, const struct buf *text,
		      const char *path, const char *profile, const char *key,
		      int optional, char **out, struct err *e)
{
	const char *v = ini_get(ini, profile, key);

	*out = NULL;
	if (!v && optional)
		return 0;
	if (!v || !cred_ok(v) ||
	    (strcmp(key, "aws_access_key_id") == 0 && strchr(v, ':')))
		return err_set(e, ERR_INVAL, "%s:%d: [%s] %s: %s", path,
			       section_line(text->s, text->len, profile), profile,
			       key, v ? "not one printable word" : "missing");
	if (!(*out = strdup(v)))
		return err_set(e, ERR_NOMEM, "out of memory");
	return 0;
}

static int creds_from_file(const char *path, struct s3_creds *cr,
			   struct err *e)
{
	const char *profile = getenv("AWS_PROFILE");
	struct buf text = BUF_INIT(INI_MAX_BYTES);
	struct err pe = ERR_INIT;
	struct ini *ini = NULL;
	int rc = -1;

	if (!profile || !*profile)
		profile = "default";
	if (xio_check_private(path, "S3 credentials file", e) < 0 ||
	    xio_read_file(path, &text, 1, e) < 0)
		goto out;
	if (ini_parse(text.s, text.len, &ini, &pe) < 0) {
		err_set(e, ERR_INVAL, "%s: %s", path, pe.msg);
		goto out;
	}
	if (!ini_has_section(ini, profile)) {
		err_set(e, ERR_INVAL, "%s: no profile [%.100s] (AWS_PROFILE)",
			path, profile);
		goto out;
	}
	if (file_value(ini, &text, path, profile, "aws_access_key_id", 0,
		       &cr->access_key, e) < 0 ||
	    file_value(ini, &text, path, profile, "aws_secret_access_key", 0,
		       &cr->secret_key, e) < 0 ||
	    file_value(ini, &text, path, profile, "aws_session_token", 1,
		       &cr->session_token, e) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		s3_creds_wipe(cr);
	ini_free(ini);
	buf_wipe(&text);
	return rc;
}

int s3_creds_load(const char *credentials_file, struct s3_creds *cr,
		  struct err *e)
{
	cr->access_key = cr->secret_key = cr->session_token = NULL;
	if (getenv("AWS_ACCESS_KEY_ID") && getenv("AWS_SECRET_ACCESS_KEY"))
		return creds_from_env(cr, e);
	if (!credentials_file)
		return err_set(e, ERR_NOTFOUND, "no S3 credentials: neither "
			       "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
			       "nor a credentials file");
	return creds_from_file(credentials_file, cr, e);
}

/* ------------------------------------------------------ open / close */

static int bucket_ok(const char *b)
{
	size_t n = b ? strlen(b) : 0;

	return n >= 3 && n <= 63 && strspn(b, "abcdefghijklmnopqrstuvwxyz"
					      "0123456789.-") == n;
}

static int region_ok(const char *r)
{
	size_t n = strlen(r);

	return n >= 1 && n <= 32 &&
	       strspn(r, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

static int endpoint_ok(const char *u)
{
	size_t i;

	if (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0)
		return 0;
	for (i = 0; u[i]; i++)
		if ((unsigned char)u[i] <= 0x20 || (unsigned char)u[i] > 0x7e ||
		    u[i] == '?' || u[i] == '#')
			return 0;
	return strlen(u) < 512;
}

static int open_handles(struct s3 *s, struct err *e)
{
	int i;

	if (!(s->multi = curl_multi_init()))
		return err_set(e, ERR_NOMEM, "curl_multi_init failed");
	for (i = 0; i < S3_PARALLEL; i++)
		if (!(s->easy[i] = curl_easy_init()))
			return err_set(e, ERR_NOMEM, "curl_easy_init failed");
	return 0;
}

/* s3_open()'s arguments checked, each named when it is refused. */
static int open_args_ok(const char *endpoint_url, const char *bucket,
			const char *region, const struct s3_creds *cr,
			struct err *e)
{
	if (!bucket_ok(bucket))
		return err_set(e, ERR_INVAL, "S3 bucket name '%.100s': 3-63 of "
			       "a-z 0-9 . -", bucket ? bucket : "");
	if (!region_ok(region))
		return err_set(e, ERR_INVAL, "S3 region '%.100s': a-z 0-9 -",
			       region);
	if (endpoint_url && !endpoint_ok(endpoint_url))
		return err_set(e, ERR_INVAL, "S3 endpoint '%.200s': not "
			       "http(s)://HOST[:PORT][/PATH]", endpoint_url);
	if (!cr || !cred_ok(cr->access_key) || !cred_ok(cr->secret_key) ||
	    strchr(cr->access_key, ':') ||
	    (cr->session_token && !cred_ok(cr->session_token)))
		return err_set(e, ERR_INVAL, "S3 credentials incomplete or "
			       "malformed");
	return 0;
}

int s3_open(struct s3 **out, const char *endpoint_url, const char *bucket,
	    const char *region, const struct s3_creds *cr, struct err *e)
{
	struct buf b = BUF_INIT(4096);
	struct s3 *s;
	size_t n;

	*out = NULL;
	if (!region)
		region = "us-east-1";
	if (open_args_ok(endpoint_url, bucket, region, cr, e) < 0 ||
	    httpc_global_init(e) < 0)
		return -1;
	if (!(s = calloc(1, sizeof(*s))))
		return err_set(e, ERR_NOMEM, "out of memory");
	if (endpoint_url)
		buf_adds(&b, endpoint_url);
	else
		buf_addf(&b, "https://s3.%s.amazonaws.com", region);
	n = b.len;
	while (n > 0 && b.s[n - 1] == '/')
		n--;
	buf_truncate(&b, n);
	s->endpoint = buf_detach(&b, NULL);
	s->bucket = strdup(bucket);
	s->region = strdup(region);
	buf_addf(&b, "aws:amz:%s:s3", region);
	s->sigv4 = buf_detach(&b, NULL);
	buf_addf(&b, "%s:%s", cr->access_key, cr->secret_key);
	s->userpwd = buf_detach(&b, NULL);
	buf_wipe(&b);
	if (cr->session_token) {
		buf_addf(&b, "x-amz-security-token: %s", cr->session_token);
		s->token = buf_detach(&b, NULL);
		buf_wipe(&b);
	}
	if (!s->endpoint || !s->bucket || !s->region || !s->sigv4 ||
	    !s->userpwd || (cr->session_token && !s->token)) {
		s3_close(s);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	if (open_handles(s, e) < 0) {
		s3_close(s);
		return -1;
	}
	*out = s;
	return 0;
}

void s3_close(struct s3 *s)
{
	int i;

	if (!s)
		return;
	for (i = 0; i < S3_PARALLEL; i++)
		if (s->easy[i])
			curl_easy_cleanup(s->easy[i]);
	if (s->multi)
		curl_multi_cleanup(s->multi);
	free(s->endpoint);
	free(s->bucket);
	free(s->region);
	free(s->sigv4);
	wipe_free(s->userpwd);
	wipe_free(s->token);
	free(s);
}

/* ------------------------------------------------------------ requests */

static void req_init(struct req *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->url, 8192);
	buf_init(&r->resp, S3_RESP_CAP);
	httpc_headers_init(&r->h);
	r->clen = -1;
}

static void req_free_headers(struct req *r)
{
	struct curl_slist *p;

	for (p = r->hdrs; p; p = p->next)
		explicit_bzero(p->data, strlen(p->data));
	curl_slist_free_all(r->hdrs);
	r->hdrs = NULL;
}

static void req_release(struct req *r)
{
	req_free_headers(r);
	buf_release(&r->url);
	buf_release(&r->resp);
}

/* Starts a request: method, URL ENDPOINT/BUCKET[/KEY][?QUERY] (query
 * already sorted and encoded), no headers yet. */
static int req_start(struct s3 *s, struct req *r, const char *method,
		     const char *key, const char *query, struct err *e)
{
	char enc[S3_KEY_MAX * 3 + 1];

	req_free_headers(r);
	buf_clear(&r->url);
	r->method = method;
	r->body = NULL;
	r->len = 0;
	r->big = 0;
	r->timeout_ms = 0;
	if (key && s3_key_encode(key, enc, sizeof(enc)) < 0)
		return err_set(e, ERR_INVAL, "S3 key too long to encode");
	if (buf_addf(&r->url, "%s/%s%s%s%s%s", s->endpoint, s->bucket,
		     key ? "/" : "", key ? enc : "", query ? "?" : "",
		     query ? query : "") < 0)
		return err_set(e, ERR_TOOBIG, "S3 URL too long");
	return 0;
}

__attribute__((format(printf, 3, 4)))
static int req_header(struct req *r, struct err *e, const char *fmt, ...)
{
	struct buf b = BUF_INIT(8192);
	struct curl_slist *next;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (rc < 0 || !(next = curl_slist_append(r->hdrs, b.s))) {
		buf_wipe(&b);
		return err_set(e, ERR_NOMEM, "S3: out of memory");
	}
	r->hdrs = next;
	buf_wipe(&b);
	return 0;
}

/* The body (kept by the caller until the request is done) and its
 * x-amz-content-sha256; an empty body for NULL. */
static int req_body(struct req *r, const void *body, size_t len,
		    const char *sha_hex, struct err *e)
{
	unsigned char d[32];
	char hex[65];

	r->body = body;
	r->len = len;
	if (!sha_hex) {
		if (gnutls_hash_fast(GNUTLS_DIG_SHA256, body ? body : "", len,
				     d) < 0)
			return err_set(e, ERR_SYS, "SHA-256 failed");
		to_hex(d, sizeof(d), hex);
		sha_hex = hex;
	}
	return req_header(r, e, "x-amz-content-sha256: %s", sha_hex);
}

static size_t on_read(char *p, size_t size, size_t n, void *arg)
{
	struct req *r = arg;
	size_t left = r->len - r->off, want = size * n;

	if (want > left)
		want = left;
	if (want)
		memcpy(p, r->body + r->off, want);
	r->off += want;
	return want;
}

static int on_seek(void *arg, curl_off_t offset, int origin)
{
	struct req *r = arg;

	if (origin != SEEK_SET || offset < 0 || (size_t)offset > r->len)
		return CURL_SEEKFUNC_FAIL;
	r->off = (size_t)offset;
	return CURL_SEEKFUNC_OK;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct req *r = arg;

	if (buf_add(&r->resp, p, size * n) < 0)
		return 0; /* a larger answer is not one of ours */
	return size * n;
}

/* value of header "name: value" if line is that header, trimmed, into out. */
static int header_value(const char *line, size_t len, const char *name,
			char *out, size_t outsz)
{
	size_t nl = strlen(name), vlen;
	const char *v;

	if (len <= nl || line[nl] != ':' || strncasecmp(line, name, nl) != 0)
		return 0;
	v = line + nl + 1;
	vlen = len - nl - 1;
	while (vlen > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		vlen--;
	}
	while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' ||
			    v[vlen - 1] == ' '))
		vlen--;
	if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
		v++;
		vlen -= 2;
	}
	if (vlen >= outsz)
		vlen = outsz - 1; /* too long to be ours: compares unequal */
	memcpy(out, v, vlen);
	out[vlen] = '\0';
	return 1;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct req *r = arg;
	size_t len = size * n;
	char num[32];

	httpc_header_line(&r->h, p, len);
	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		r->etag[0] = r->meta_sha[0] = r->checksum[0] = '\0';
		r->clen = -1;
	} else if (!header_value(p, len, "etag", r->etag, sizeof(r->etag)) &&
		   !header_value(p, len, "x-amz-meta-sha256", r->meta_sha,
				 sizeof(r->meta_sha)) &&
		   !header_value(p, len, "x-amz-checksum-sha256", r->checksum,
				 sizeof(r->checksum)) &&
		   header_value(p, len, "content-length", num, sizeof(num))) {
		long long v;

		r->clen = num_parse(num, 0, LLONG_MAX, &v) == 0 ? v : -1;
	}
	return len;
}

#define SET(opt, val)                                       \
	do {                                                \
		if (rc == CURLE_OK)                         \
			rc = curl_easy_setopt(h, opt, val); \
	} while (0)

/* The options of a request's method: HEAD, GET, DELETE, or a body sent
 * from memory (PUT, POST). */
static CURLcode method_options(CURL *h, struct req *r)
{
	CURLcode rc = CURLE_OK;

	if (strcmp(r->method, "HEAD") == 0) {
		SET(CURLOPT_NOBODY, 1L);
	} else if (strcmp(r->method, "GET") == 0) {
		SET(CURLOPT_HTTPGET, 1L);
	} else if (strcmp(r->method, "DELETE") == 0) {
		SET(CURLOPT_CUSTOMREQUEST, "DELETE");
	} else {
		SET(CURLOPT_READFUNCTION, on_read);
		SET(CURLOPT_READDATA, r);
		SET(CURLOPT_SEEKFUNCTION, on_seek);
		SET(CURLOPT_SEEKDATA, r);
		if (strcmp(r->method, "PUT") == 0) {
			SET(CURLOPT_UPLOAD, 1L);
			SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t)r->len);
		} else {
			SET(CURLOPT_POST, 1L);
			SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->len);
		}
	}
	return rc;
}

static CURLcode req_options(struct s3 *s, CURL *h, struct req *r)
{
	CURLcode rc = CURLE_OK;

	curl_easy_reset(h);
	SET(CURLOPT_URL, r->url.s);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_AWS_SIGV4, s->sigv4);
	SET(CURLOPT_USERPWD, s->userpwd);
	SET(CURLOPT_HTTPHEADER, r->hdrs);
	SET(CURLOPT_CONNECTTIMEOUT_MS, HTTPC_CONNECT_TIMEOUT_MS);
	if (r->big) {
		SET(CURLOPT_LOW_SPEED_LIMIT, S3_LOW_SPEED_BYTES);
		SET(CURLOPT_LOW_SPEED_TIME, S3_LOW_SPEED_S);
		/* 1 MiB writes, not 64 KiB: a part goes up in 16 system
		 * calls instead of 256 (bench-s3: ~10% less wall time) */
		SET(CURLOPT_UPLOAD_BUFFERSIZE, S3_UPLOAD_BUFFER);
	} else {
		SET(CURLOPT_TIMEOUT_MS, r->timeout_ms > 0 ? r->timeout_ms
						       : S3_SMALL_TIMEOUT_MS);
	}
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, r);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, r);
	SET(CURLOPT_ERRORBUFFER, r->errbuf);
	if (rc == CURLE_OK)
		rc = method_options(h, r);
	r->off = 0;
	r->status = 0;
	r->errbuf[0] = '\0';
	r->etag[0] = r->meta_sha[0] = r->checksum[0] = '\0';
	r->clen = -1;
	buf_clear(&r->resp);
	httpc_headers_init(&r->h);
	return rc;
}
#undef SET

/* After a transfer: the status, the counts. */
static void req_done(struct s3 *s, CURL *h, struct req *r, CURLcode rc)
{
	long status = 0;

	r->rc = rc;
	if (rc == CURLE_OK &&
	    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK &&
	    status >= 100 && status <= 999)
		r->status = (int)status;
	if (s->st) {
		s->st->requests++;
		s->st->bytes += (long long)r->off;
	}
	/* the handle keeps pointers into r: drop them */
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
}

/* The retry delay after attempt (ms), -1 for none. */
static long long req_retry(const struct req *r, int attempt)
{
	if (r->status >= 200 && r->status < 500 && r->status != 429)
		return -1;
	return httpc_retry_delay(r->status, &r->h, attempt, (long long)time(NULL),
				 NULL);
}

/* The error for a request that failed: what (e.g. "PUT"), the key, the
 * status and the server's Code and Message; never a header. */
static int req_error(const struct req *r, const char *what, const char *key,
		     struct err *e)
{
	char code[128], msg[S3_ERR_TEXT + 1];
	enum err_code ec = ERR_IO;

	if (r->status == 0)
		return err_set(e, r->rc == CURLE_OPERATION_TIMEDOUT ? ERR_TIMEOUT
								    : ERR_IO,
			       "S3 %s %.300s: no answer: %.150s", what,
			       key ? key : "", r->errbuf[0] ? r->errbuf
						 : curl_easy_strerror(r->rc));
	if (s3_xml_text(r->resp.s, r->resp.len, "Code", code, sizeof(code)) != 1)
		code[0] = '\0';
	if (s3_xml_text(r->resp.s, r->resp.len, "Message", msg, sizeof(msg)) != 1)
		msg[0] = '\0';
	if (r->status == 401 || r->status == 403)
		ec = ERR_PERM;
	return err_set(e, ec, "S3 %s %.300s: HTTP %d %s%s%s%s%s", what,
		       key ? key : "", r->status, httpc_reason(r->status),
		       code[0] ? ": " : "", code, msg[0] ? ": " : "", msg);
}

/* One request on the first handle, retried for a transport error or a
 * 5xx (1 s, 2 s, 4 s; tries 1: no retry).  0 once an answer arrived
 * (r->status < 500; the caller judges it), -1 (e set) otherwise. */
static int perform(struct s3 *s, struct req *r, int tries, const char *what,
		   const char *key, struct err *e)
{
	CURL *h = s->easy[0];
	long long delay;
	CURLcode rc;
	int attempt;

	for (attempt = 1;; attempt++) {
		rc = req_options(s, h, r);
		if (rc != CURLE_OK)
			return err_set(e, ERR_SYS, "curl option: %s",
				       curl_easy_strerror(rc));
		rc = curl_easy_perform(h);
		req_done(s, h, r, rc);
		delay = req_retry(r, attempt);
		if (delay < 0 && r->status >= 200)
			return 0;
		if (delay < 0 || attempt >= tries)
			return req_error(r, what, key, e);
		sleep_ms(delay);
	}
}

/* S3 may answer 200 with an <Error> body (CompleteMultipartUpload). */
static int answer_ok(const struct req *r, int want)
{
	return r->status == want && !s3_xml_find(r->resp.s, r->resp.s + r->resp.len,
					       "Error");
}

/* ------------------------------------------------------------ hashing */

struct digests {
	unsigned char sha[32], md5[16];
	char sha_hex[65], sha_b64[45], md5_hex[33], md5_b64[25]; /* md5: "" none */
};

static void digests_text(struct digests *d, int md5)
{
	to_hex(d->sha, 32, d->sha_hex);
	to_b64(d->sha, 32, d->sha_b64);
	d->md5_hex[0] = d->md5_b64[0] = '\0';
	if (md5) {
		to_hex(d->md5, 16, d->md5_hex);
		to_b64(d->md5, 16, d->md5_b64);
	}
}

/* Lets the transfers in flight (multi, NULL: none) move on while a part
 * is read and hashed: otherwise each part prepared stalls them all. */
static void pump(CURLM *multi)
{
	int still;

	if (multi)
		curl_multi_perform(multi, &still);
}

/* SHA-256 and (md5 set) MD5 of data, in chunks that stay in the cache,
 * also fed to whole (NULL: none); multi is pumped on the way.  The parts of
 * a multipart upload go without MD5: their SHA-256 checksum is what the
 * server checks, and MD5 would cost more CPU than both SHA-256s together
 * (SHA-NI) - the upload's bottleneck on a busy machine. */
static int hash_part(const unsigned char *data, size_t len, int md5,
		     gnutls_hash_hd_t whole, CURLM *multi, struct digests *d,
		     struct err *e)
{
	gnutls_hash_hd_t sh = NULL, mh = NULL;
	size_t off, n;
	int bad = 0;

	if (gnutls_hash_init(&sh, GNUTLS_DIG_SHA256) < 0 ||
	    (md5 && gnutls_hash_init(&mh, GNUTLS_DIG_MD5) < 0)) {
		if (sh)
			gnutls_hash_deinit(sh, NULL);
		return err_set(e, ERR_SYS, "cannot start SHA-256 / MD5");
	}
	for (off = 0; off < len; off += n) {
		n = len - off < S3_HASH_CHUNK ? len - off : S3_HASH_CHUNK;
		bad |= gnutls_hash(sh, data + off, n) < 0;
		if (mh)
			bad |= gnutls_hash(mh, data + off, n) < 0;
		if (whole)
			bad |= gnutls_hash(whole, data + off, n) < 0;
		pump(multi);
	}
	gnutls_hash_deinit(sh, d->sha);
	if (mh)
		gnutls_hash_deinit(mh, d->md5);
	if (bad)
		return err_set(e, ERR_SYS, "hashing failed");
	digests_text(d, md5);
	return 0;
}

int s3_sha256_file(const char *path, char hex[65], long long *size,
		   struct err *e)
{
	unsigned char *chunk = NULL, d[32];
	gnutls_hash_hd_t h = NULL;
	long long total = 0;
	struct stat st;
	ssize_t n;
	int fd, rc = -1;

	hex[0] = '\0';
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return err_sys(e, "%s: cannot open", path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err_set(e, ERR_INVAL, "%s: not a regular file", path);
		goto out;
	}
	if (!(chunk = malloc(S3_HASH_CHUNK * 4)) ||
	    gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0) {
		err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	while ((n = read(fd, chunk, S3_HASH_CHUNK * 4)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_sys(e, "%s: read", path);
			goto out;
		}
		if (gnutls_hash(h, chunk, (size_t)n) < 0) {
			err_set(e, ERR_SYS, "SHA-256 failed");
			goto out;
		}
		total += n;
	}
	gnutls_hash_deinit(h, d);
	h = NULL;
	to_hex(d, sizeof(d), hex);
	if (size)
		*size = total;
	rc = 0;
out:
	if (h)
		gnutls_hash_deinit(h, NULL);
	free(chunk);
	close(fd);
	return rc;
}

/* ------------------------------------------------------------ uploads */

/* Reads exactly len bytes at the file's current offset; a short file is
 * one that changed. */
static int read_exact(int fd, unsigned char *p, size_t len, const char *path,
		      struct err *e)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, p + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_sys(e, "%s: read", path);
		if (n == 0)
			return err_set(e, ERR_IO, "%s: file changed while "
				       "uploading (shorter)", path);
		got += (size_t)n;
	}
	return 0;
}

/* The end of the file: nothing more to read. */
static int at_eof(int fd, const char *path, struct err *e)
{
	unsigned char c;
	ssize_t n;

	while ((n = read(fd, &c, 1)) < 0 && errno == EINTR)
		;
	if (n < 0)
		return err_sys(e, "%s: read", path);
	if (n > 0)
		return err_set(e, ERR_IO, "%s: file changed while uploading "
			       "(longer)", path);
	return 0;
}

/* What the server says it received is what was sent: the SHA-256 checksum
 * it answers (Amazon S3 echoes x-amz-checksum-sha256), and the ETag, when
 * it has the form of an MD5 and an MD5 was computed, is that MD5. */
static int etag_ok(const struct req *r, const struct digests *d,
		   const char *what, const char *key, struct err *e)
{
	if (r->checksum[0] && strcmp(r->checksum, d->sha_b64) != 0)
		return err_set(e, ERR_IO, "S3 %s %.300s: checksum %.60s is not "
			       "the SHA-256 of what was sent (%s)", what, key,
			       r->checksum, d->sha_b64);
	if (d->md5_hex[0] && strlen(r->etag) == 32 && is_hex(r->etag, 32) &&
	    strcasecmp(r->etag, d->md5_hex) != 0)
		return err_set(e, ERR_IO, "S3 %s %.300s: ETag %s is not the "
			       "MD5 of what was sent (%s)", what, key, r->etag,
			       d->md5_hex);
	return 0;
}

/* One PUT of data with the integrity headers. */
static int put_object(struct s3 *s, struct req *r, const char *key,
		      const unsigned char *data, size_t len,
		      const struct digests *d, const char *content_type,
		      const char *sha_meta, struct err *e)
{
	if (req_start(s, r, "PUT", key, NULL, e) < 0 ||
	    req_body(r, data, len, d->sha_hex, e) < 0 ||
	    req_header(r, e, "Content-MD5: %s", d->md5_b64) < 0 ||
	    req_header(r, e, "x-amz-sdk-checksum-algorithm: SHA256") < 0 ||
	    req_header(r, e, "x-amz-checksum-sha256: %s", d->sha_b64) < 0 ||
	    req_header(r, e, "x-amz-meta-sha256: %s", sha_meta) < 0 ||
	    req_header(r, e, "Content-Type: %s", content_type) < 0 ||
	    (s->token && req_header(r, e, "%s", s->token) < 0))
		return -1;
	r->big = len > (size_t)1024 * 1024;
	if (perform(s, r, HTTPC_MAX_ATTEMPTS, "PUT", key, e) < 0)
		return -1;
	if (r->status != 200)
		return req_error(r, "PUT", key, e);
	return etag_ok(r, d, "PUT", key, e);
}

static int content_type_ok(const char *t, struct err *e)
{
	for (; *t; t++)
		if ((unsigned char)*t < 0x20 || (unsigned char)*t > 0x7e)
			return err_set(e, ERR_INVAL, "S3: bad content type");
	return 0;
}

int s3_put_data(struct s3 *s, const char *key, const void *data, size_t len,
		const char *content_type, struct err *e)
{
	struct digests d;
	struct req r;
	int rc;

	if (!content_type)
		content_type = "application/octet-stream";
	if (s3_key_valid(key, e) < 0 || content_type_ok(content_type, e) < 0 ||
	    hash_part(data, len, 1, NULL, NULL, &d, e) < 0)
		return -1;
	req_init(&r);
	rc = put_object(s, &r, key, data, len, &d, content_type, d.sha_hex, e);
	req_release(&r);
	return rc;
}

int s3_head(struct s3 *s, const char *key, struct s3_object *o, struct err *e)
{
	struct req r;
	int rc = -1;

	memset(o, 0, sizeof(*o));
	o->size = -1;
	if (s3_key_valid(key, e) < 0)
		return -1;
	req_init(&r);
	if (req_start(s, &r, "HEAD", key, NULL, e) < 0 ||
	    req_body(&r, NULL, 0, NULL, e) < 0 ||
	    (s->token && req_header(&r, e, "%s", s->token) < 0) ||
	    perform(s, &r, HTTPC_MAX_ATTEMPTS, "HEAD", key, e) < 0)
		goto out;
	if (r.status == 404) {
		rc = 0;
	} else if (r.status == 200) {
		o->exists = 1;
		o->size = r.clen;
		if (strlen(r.meta_sha) == 64 && is_hex(r.meta_sha, 64))
			memcpy(o->sha256, r.meta_sha, 65);
		memcpy(o->etag, r.etag, sizeof(o->etag));
		rc = 0;
	} else {
		req_error(&r, "HEAD", key, e);
	}
out:
	req_release(&r);
	return rc;
}

/* --------------------------------------------------------- multipart */

struct part_done {
	char etag[80];
	char sha_b64[45];
	unsigned char sha[32];
};

struct mpu {
	struct s3 *s;
	const char *key, *path, *want_sha;
	char upload_id[S3_UPLOAD_ID_MAX + 1];
	char upload_q[S3_UPLOAD_ID_MAX * 3 + 1]; /* encoded */
	int fd;
	long long size;
	int nparts, next_part, done_parts;
	struct part_done *parts;
	gnutls_hash_hd_t whole;
};

struct slot {
	struct req r;
	unsigned char *data;
	size_t len;
	int part; /* 1-based; 0: free */
	int attempt;
	long long due_ms; /* waiting for a retry until then; 0: not waiting */
	struct digests d;
};

struct leftovers {
	struct s3 *s;
	const char *key;
	int aborted;
	struct err *e;
	int failed;
};

static int abort_upload(struct s3 *s, const char *key, const char *upload_id,
			int tries, struct err *e)
{
	char q[S3_UPLOAD_ID_MAX * 3 + 16], enc[S3_UPLOAD_ID_MAX * 3 + 1];
	struct req r;
	int rc = -1;

	req_init(&r);
	if (s3_url_encode(upload_id, strlen(upload_id), 0, enc, sizeof(enc)) < 0) {
		err_set(e, ERR_INVAL, "S3 upload id too long");
		goto out;
	}
	snprintf(q, sizeof(q), "uploadId=%s", enc);
	if (req_start(s, &r, "DELETE", key, q, e) < 0 ||
	    req_body(&r, NULL, 0, NULL, e) < 0 ||
	    (s->token && req_header(&r, e, "%s", s->token) < 0) ||
	    perform(s, &r, tries, "AbortMultipartUpload", key, e) < 0)
		goto out;
	if (r.status != 204 && r.status != 200 && r.status != 404)
		req_error(&r, "AbortMultipartUpload", key, e);
	else
		rc = 0;
out:
	req_release(&r);
	return rc;
}

static int on_leftover(const char *key, const char *upload_id, void *arg)
{
	struct leftovers *l = arg;

	if (strcmp(key, l->key) != 0)
		return 0;
	if (abort_upload(l->s, key, upload_id, HTTPC_MAX_ATTEMPTS, l->e) < 0) {
		l->failed = 1;
		return 1;
	}
	l->aborted++;
	return 0;
}

/* The length of key's leading run of characters that need no encoding in
 * a query: the prefix asked for.  (A '/' would be %2F, as Amazon S3 signs
 * it; moto_server checks the signature against the decoded '/', so no
 * encoded character goes into this query; the exact key is matched
 * here.) */
static size_t plain_prefix(const char *key)
{
	size_t i;

	for (i = 0; key[i]; i++)
		if (!isalnum((unsigned char)key[i]) && key[i] != '-' &&
		    key[i] != '_' && key[i] != '.' && key[i] != '~')
			break;
	return i;
}

/* Aborts the unfinished multipart uploads of key (ListMultipartUploads,
 * first page: up to 1000 uploads under the key's first segment). */
static int abort_leftovers(struct s3 *s, const char *key, int *aborted,
			   struct err *e)
{
	struct leftovers l = { s, key, 0, e, 0 };
	char q[S3_KEY_MAX + 64];
	struct req r;
	int rc = -1;

	*aborted = 0;
	req_init(&r);
	if (plain_prefix(key) > 0)
		snprintf(q, sizeof(q), "prefix=%.*s&uploads=",
			 (int)plain_prefix(key), key);
	else
		snprintf(q, sizeof(q), "uploads=");
	if (req_start(s, &r, "GET", NULL, q, e) < 0 ||
	    req_body(&r, NULL, 0, NULL, e) < 0 ||
	    (s->token && req_header(&r, e, "%s", s->token) < 0) ||
	    perform(s, &r, HTTPC_MAX_ATTEMPTS, "ListMultipartUploads", key, e) < 0)
		goto out;
	if (r.status != 200) {
		req_error(&r, "ListMultipartUploads", key, e);
		goto out;
	}
	if (s3_xml_uploads(r.resp.s, r.resp.len, on_leftover, &l) < 0) {
		err_set(e, ERR_IO, "S3 ListMultipartUploads %.300s: the answer "
			"is not a list of uploads", key);
		goto out;
	}
	*aborted = l.aborted;
	rc = l.failed ? -1 : 0;
out:
	req_release(&r);
	return rc;
}

static int create_upload(struct mpu *m, const char *content_type,
			 struct err *e)
{
	struct req r;
	int rc = -1, found;

	req_init(&r);
	if (req_start(m->s, &r, "POST", m->key, "uploads=", e) < 0 ||
	    req_body(&r, NULL, 0, NULL, e) < 0 ||
	    req_header(&r, e, "x-amz-checksum-algorithm: SHA256") < 0 ||
	    req_header(&r, e, "x-amz-meta-sha256: %s", m->want_sha) < 0 ||
	    req_header(&r, e, "Content-Type: %s", content_type) < 0 ||
	    (m->s->token && req_header(&r, e, "%s", m->s->token) < 0) ||
	    perform(m->s, &r, HTTPC_MAX_ATTEMPTS, "CreateMultipartUpload",
		    m->key, e) < 0)
		goto out;
	if (!answer_ok(&r, 200)) {
		req_error(&r, "CreateMultipartUpload", m->key, e);
		goto out;
	}
	found = s3_xml_text(r.resp.s, r.resp.len, "UploadId", m->upload_id,
			    sizeof(m->upload_id));
	if (found != 1 || !m->upload_id[0] ||
	    s3_url_encode(m->upload_id, strlen(m->upload_id), 0, m->upload_q,
		   sizeof(m->upload_q)) < 0) {
		m->upload_id[0] = '\0';
		err_set(e, ERR_IO, "S3 CreateMultipartUpload %.300s: no "
			"UploadId in the answer", m->key);
		goto out;
	}
	rc = 0;
out:
	req_release(&r);
	return rc;
}

/* Reads and hashes the next part into sl and prepares its request. */
static int part_prepare(struct mpu *m, struct slot *sl, struct err *e)
{
	long long off = (long long)m->next_part * S3_PART_SIZE;
	char q[S3_UPLOAD_ID_MAX * 3 + 64];
	size_t got, n;

	sl->part = ++m->next_part;
	sl->len = (size_t)(m->size - off < S3_PART_SIZE ? m->size - off
							: S3_PART_SIZE);
	sl->attempt = 0;
	sl->due_ms = 0;
	for (got = 0; got < sl->len; got += n) {
		n = sl->len - got < S3_HASH_CHUNK * 4 ? sl->len - got
						      : S3_HASH_CHUNK * 4;
		if (read_exact(m->fd, sl->data + got, n, m->path, e) < 0)
			return -1;
		pump(m->s->multi);
	}
	if (hash_part(sl->data, sl->len, 0, m->whole, m->s->multi, &sl->d, e) < 0)
		return -1;
	if (sl->part == m->nparts) {
		unsigned char d[32];
		char hex[65];

		/* the whole file read: it must be the one meant */
		if (at_eof(m->fd, m->path, e) < 0)
			return -1;
		gnutls_hash_output(m->whole, d);
		to_hex(d, sizeof(d), hex);
		if (strcasecmp(hex, m->want_sha) != 0)
			return err_set(e, ERR_IO, "%s: file changed while "
				       "uploading (SHA-256 %s, expected %s)",
				       m->path, hex, m->want_sha);
	}
	snprintf(q, sizeof(q), "partNumber=%d&uploadId=%s", sl->part,
		 m->upload_q);
	if (req_start(m->s, &sl->r, "PUT", m->key, q, e) < 0 ||
	    req_body(&sl->r, sl->data, sl->len, sl->d.sha_hex, e) < 0 ||
	    req_header(&sl->r, e, "x-amz-sdk-checksum-algorithm: SHA256") < 0 ||
	    req_header(&sl->r, e, "x-amz-checksum-sha256: %s", sl->d.sha_b64) < 0 ||
	    (m->s->token && req_header(&sl->r, e, "%s", m->s->token) < 0))
		return -1;
	sl->r.big = 1;
	return 0;
}

static int slot_start(struct mpu *m, struct slot *sl, CURL *h, struct err *e)
{
	CURLcode rc = req_options(m->s, h, &sl->r);
	CURLMcode mc;

	if (rc != CURLE_OK)
		return err_set(e, ERR_SYS, "curl option: %s",
			       curl_easy_strerror(rc));
	curl_easy_setopt(h, CURLOPT_PRIVATE, (void *)sl);
	sl->attempt++;
	sl->due_ms = 0;
	mc = curl_multi_add_handle(m->s->multi, h);
	if (mc != CURLM_OK)
		return err_set(e, ERR_SYS, "curl multi: %s",
			       curl_multi_strerror(mc));
	return 0;
}

/* A part's transfer ended: done (0, slot freed), retry (0, due_ms set),
 * or failed (-1). */
static int slot_finished(struct mpu *m, struct slot *sl, CURL *h, CURLcode rc,
			 struct err *e)
{
	char what[48];
	long long delay;

	curl_multi_remove_handle(m->s->multi, h);
	req_done(m->s, h, &sl->r, rc);
	snprintf(what, sizeof(what), "UploadPart %d", sl->part);
	delay = req_retry(&sl->r, sl->attempt);
	if (delay >= 0 && sl->attempt < HTTPC_MAX_ATTEMPTS) {
		sl->due_ms = clock_mono_ms() + delay;
		return 0;
	}
	if (sl->r.status != 200)
		return req_error(&sl->r, what, m->key, e);
	if (etag_ok(&sl->r, &sl->d, what, m->key, e) < 0)
		return -1;
	if (!sl->r.etag[0])
		return err_set(e, ERR_IO, "S3 %s %.300s: no ETag in the answer",
			       what, m->key);
	memcpy(m->parts[sl->part - 1].etag, sl->r.etag, sizeof(sl->r.etag));
	memcpy(m->parts[sl->part - 1].sha_b64, sl->d.sha_b64,
	       sizeof(sl->d.sha_b64));
	memcpy(m->parts[sl->part - 1].sha, sl->d.sha, 32);
	m->done_parts++;
	sl->part = 0;
	return 0;
}

/* The transfers that ended: each slot done, rescheduled or failed.  The
 * number that ended into *ended. */
static int collect(struct mpu *m, int *ended, struct err *e)
{
	CURLMsg *msg;
	int left;

	*ended = 0;
	while ((msg = curl_multi_info_read(m->s->multi, &left))) {
		struct slot *sl = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&sl);
		(*ended)++;
		if (slot_finished(m, sl, msg->easy_handle, msg->data.result, e) < 0)
			return -1;
	}
	return 0;
}

/* One round of the loop: start what can start, move the transfers on,
 * collect those that ended; wait for the network only when none did (a
 * freed slot is filled at once). */
static int parts_step(struct mpu *m, struct slot *slots, struct err *e)
{
	long long now = clock_mono_ms(), wait = 1000;
	CURLMcode mc;
	int i, still, ended;

	for (i = 0; i < S3_PARALLEL; i++) {
		struct slot *sl = &slots[i];

		if (!sl->part && m->next_part < m->nparts &&
		    part_prepare(m, sl, e) < 0)
			return -1;
		if (sl->part && (sl->attempt == 0 ||
				 (sl->due_ms && sl->due_ms <= now))) {
			if (slot_start(m, sl, m->s->easy[i], e) < 0)
				return -1;
		} else if (sl->part && sl->due_ms && sl->due_ms - now < wait) {
			wait = sl->due_ms - now;
		}
	}
	mc = curl_multi_perform(m->s->multi, &still);
	if (mc != CURLM_OK)
		return err_set(e, ERR_SYS, "curl multi: %s",
			       curl_multi_strerror(mc));
	if (collect(m, &ended, e) < 0)
		return -1;
	if (ended == 0 && m->done_parts < m->nparts) {
		mc = curl_multi_poll(m->s->multi, NULL, 0, (int)wait, NULL);
		if (mc != CURLM_OK)
			return err_set(e, ERR_SYS, "curl multi: %s",
				       curl_multi_strerror(mc));
	}
	return 0;
}

/* After a failure: the parts in flight may finish (for S3_DRAIN_MS at
 * most), so that none reaches the server after the abort (moto_server
 * handles a request the client gave up on after the next one). */
static void drain(struct mpu *m)
{
	long long end = clock_mono_ms() + S3_DRAIN_MS;
	int still = 1;

	while (still > 0 && clock_mono_ms() < end) {
		if (curl_multi_perform(m->s->multi, &still) != CURLM_OK)
			break;
		if (still > 0)
			curl_multi_poll(m->s->multi, NULL, 0, 100, NULL);
	}
}

/* Every part, S3_PARALLEL at a time. */
static int upload_parts(struct mpu *m, struct err *e)
{
	struct slot slots[S3_PARALLEL];
	int i, rc = 0;

	memset(slots, 0, sizeof(slots));
	for (i = 0; i < S3_PARALLEL; i++) {
		req_init(&slots[i].r);
		if (!(slots[i].data = malloc((size_t)S3_PART_SIZE)))
			rc = err_set(e, ERR_NOMEM, "out of memory");
	}
	while (rc == 0 && m->done_parts < m->nparts)
		rc = parts_step(m, slots, e);
	if (rc < 0)
		drain(m);
	for (i = 0; i < S3_PARALLEL; i++) {
		curl_multi_remove_handle(m->s->multi, m->s->easy[i]);
		curl_easy_setopt(m->s->easy[i], CURLOPT_HTTPHEADER, NULL);
		req_release(&slots[i].r);
		free(slots[i].data);
	}
	return rc;
}

/* The server joins the parts before it answers (moto_server: ~20 ms a
 * part): a minute, and a second a part. */
static long complete_timeout(int nparts)
{
	return S3_SMALL_TIMEOUT_MS + 1000L * nparts;
}

int s3_composite_sha256(const unsigned char *shas, int n, char b64[45])
{
	unsigned char d[32];

	if (n <= 0 || gnutls_hash_fast(GNUTLS_DIG_SHA256, shas, (size_t)n * 32,
				       d) < 0)
		return -1;
	to_b64(d, sizeof(d), b64);
	return 0;
}

/* The composite checksum an answer gives ("B64" or "B64-N"), if any, is
 * the one of the parts sent. */
static int composite_ok(struct mpu *m, const char *got, struct err *e)
{
	unsigned char *shas;
	char mine[45];
	size_t n = strcspn(got, "-");
	int i, rc;

	if (!got[0])
		return 0;
	if (!(shas = malloc((size_t)m->nparts * 32)))
		return err_set(e, ERR_NOMEM, "out of memory");
	for (i = 0; i < m->nparts; i++)
		memcpy(shas + 32 * i, m->parts[i].sha, 32);
	rc = s3_composite_sha256(shas, m->nparts, mine);
	free(shas);
	if (rc < 0)
		return err_set(e, ERR_SYS, "hashing failed");
	if (n != strlen(mine) || strncmp(got, mine, n) != 0 ||
	    (got[n] && strtol(got + n + 1, NULL, 10) != m->nparts))
		return err_set(e, ERR_IO, "S3 CompleteMultipartUpload %.300s: "
			       "checksum %.60s is not the one of the parts "
			       "sent (%s-%d)", m->key, got, mine, m->nparts);
	return 0;
}

static int complete_upload(struct mpu *m, struct err *e)
{
	struct buf xml = BUF_INIT((size_t)S3_MAX_PARTS * 256);
	char q[S3_UPLOAD_ID_MAX * 3 + 16], got[80];
	struct req r;
	int i, rc = -1;

	req_init(&r);
	buf_adds(&xml, "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws"
		 ".com/doc/2006-03-01/\">");
	for (i = 0; i < m->nparts; i++)
		buf_addf(&xml, "<Part><PartNumber>%d</PartNumber><ETag>\"%s\""
			 "</ETag><ChecksumSHA256>%s</ChecksumSHA256></Part>",
			 i + 1, m->parts[i].etag, m->parts[i].sha_b64);
	if (buf_adds(&xml, "</CompleteMultipartUpload>") < 0) {
		err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	snprintf(q, sizeof(q), "uploadId=%s", m->upload_q);
	if (req_start(m->s, &r, "POST", m->key, q, e) < 0 ||
	    req_body(&r, xml.s, xml.len, NULL, e) < 0 ||
	    req_header(&r, e, "Content-Type: application/xml") < 0 ||
	    (m->s->token && req_header(&r, e, "%s", m->s->token) < 0))
		goto out;
	r.timeout_ms = complete_timeout(m->nparts);
	if (perform(m->s, &r, HTTPC_MAX_ATTEMPTS, "CompleteMultipartUpload",
		    m->key, e) < 0)
		goto out;
	if (!answer_ok(&r, 200)) {
		req_error(&r, "CompleteMultipartUpload", m->key, e);
		goto out;
	}
	/* Amazon S3 answers the composite SHA-256 (of the parts' SHA-256s) */
	if (s3_xml_text(r.resp.s, r.resp.len, "ChecksumSHA256", got,
			sizeof(got)) != 1)
		got[0] = '\0';
	if (composite_ok(m, got, e) < 0)
		goto out;
	rc = 0;
out:
	req_release(&r);
	buf_release(&xml);
	return rc;
}

static int multipart(struct mpu *m, const char *content_type, struct err *e)
{
	struct err ae = ERR_INIT;
	int n;

	m->nparts = (int)((m->size + S3_PART_SIZE - 1) / S3_PART_SIZE);
	if (m->nparts > S3_MAX_PARTS)
		return err_set(e, ERR_TOOBIG, "%s: larger than %d parts of %lld "
			       "bytes", m->path, S3_MAX_PARTS, S3_PART_SIZE);
	if (!(m->parts = calloc((size_t)m->nparts, sizeof(*m->parts))))
		return err_set(e, ERR_NOMEM, "out of memory");
	if (gnutls_hash_init(&m->whole, GNUTLS_DIG_SHA256) < 0)
		return err_set(e, ERR_SYS, "cannot start SHA-256");
	if (create_upload(m, content_type, e) < 0)
		return -1;
	if (upload_parts(m, e) == 0 && complete_upload(m, e) == 0)
		return 0;
	/* one try: a server that is gone leaves the upload for the next
	 * s3_put_file() of the key to abort; one that is there is asked
	 * again what is left of the key (as Amazon advises after an abort) */
	if (abort_upload(m->s, m->key, m->upload_id, 1, &ae) == 0)
		abort_leftovers(m->s, m->key, &n, &ae);
	err_set(e, ERR_IO, "%s", ae.msg);
	return -1;
}

/* A file of up to S3_MULTIPART_MIN bytes: read, hashed, one PUT. */
static int single_put_file(struct mpu *m, const char *content_type,
			   struct err *e)
{
	unsigned char *data = malloc(m->size > 0 ? (size_t)m->size : 1);
	struct digests d;
	struct req r;
	int rc = -1;

	req_init(&r);
	if (!data) {
		err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	if (read_exact(m->fd, data, (size_t)m->size, m->path, e) < 0 ||
	    at_eof(m->fd, m->path, e) < 0 ||
	    hash_part(data, (size_t)m->size, 1, NULL, NULL, &d, e) < 0)
		goto out;
	if (strcasecmp(d.sha_hex, m->want_sha) != 0) {
		err_set(e, ERR_IO, "%s: file changed while uploading (SHA-256 "
			"%s, expected %s)", m->path, d.sha_hex, m->want_sha);
		goto out;
	}
	rc = put_object(m->s, &r, m->key, data, (size_t)m->size, &d,
			content_type, m->want_sha, e);
out:
	req_release(&r);
	free(data);
	return rc;
}

int s3_put_file(struct s3 *s, const char *key, const char *path,
		const char *content_type, const char *sha256_hex,
		struct s3_put_stats *st, struct err *e)
{
	struct s3_put_stats mine;
	struct mpu m;
	struct stat fst;
	long long t0 = clock_mono_ms();
	int rc = -1;

	memset(&mine, 0, sizeof(mine));
	memset(&m, 0, sizeof(m));
	if (!st)
		st = &mine;
	memset(st, 0, sizeof(*st));
	if (!content_type)
		content_type = "application/octet-stream";
	if (s3_key_valid(key, e) < 0 || content_type_ok(content_type, e) < 0)
		return -1;
	if (!sha256_hex || strlen(sha256_hex) != 64 || !is_hex(sha256_hex, 64))
		return err_set(e, ERR_INVAL, "S3 PUT %.300s: no SHA-256 (64 hex "
			       "digits) given", key);
	m.s = s;
	m.key = key;
	m.path = path;
	m.want_sha = sha256_hex;
	if ((m.fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return err_sys(e, "%s: cannot open", path);
	if (fstat(m.fd, &fst) < 0 || !S_ISREG(fst.st_mode)) {
		err_set(e, ERR_INVAL, "%s: not a regular file", path);
		goto out;
	}
	m.size = fst.st_size;
	s->st = st;
	if (abort_leftovers(s, key, &st->aborted, e) < 0)
		goto out;
	if (m.size > S3_MULTIPART_MIN) {
		rc = multipart(&m, content_type, e);
		st->parts = m.nparts;
	} else {
		rc = single_put_file(&m, content_type, e);
	}
out:
	s->st = NULL;
	if (m.whole)
		gnutls_hash_deinit(m.whole, NULL);
	free(m.parts);
	close(m.fd);
	st->ms = clock_mono_ms() - t0;
	return rc;
}
