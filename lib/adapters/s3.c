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
#include "s3_int.h"

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



/* ------------------------------------------------------------ helpers */

static const char hexdig[] = "0123456789abcdef";

void s3r_to_hex(const unsigned char *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hexdig[p[i] >> 4];
		out[2 * i + 1] = hexdig[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* Standard base64 with padding; out holds 4 * ((n + 2) / 3) + 1 bytes. */
void s3r_to_b64(const unsigned char *p, size_t n, char *out)
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

int s3r_is_hex(const char *s, size_t n)
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

void s3r_wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
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
	if (!cr || !s3r_cred_ok(cr->access_key) || !s3r_cred_ok(cr->secret_key) ||
	    strchr(cr->access_key, ':') ||
	    (cr->session_token && !s3r_cred_ok(cr->session_token)))
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
	s3r_wipe_free(s->userpwd);
	s3r_wipe_free(s->token);
	free(s);
}

/* ------------------------------------------------------------ requests */

void s3r_req_init(struct req *r)
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

void s3r_req_release(struct req *r)
{
	req_free_headers(r);
	buf_release(&r->url);
	buf_release(&r->resp);
}

/* Starts a request: method, URL ENDPOINT/BUCKET[/KEY][?QUERY] (query
 * already sorted and encoded), no headers yet. */
int s3r_req_start(struct s3 *s, struct req *r, const char *method,
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

int s3r_req_header(struct req *r, struct err *e, const char *fmt, ...)
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
int s3r_req_body(struct req *r, const void *body, size_t len,
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
		s3r_to_hex(d, sizeof(d), hex);
		sha_hex = hex;
	}
	return s3r_req_header(r, e, "x-amz-content-sha256: %s", sha_hex);
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

CURLcode s3r_req_options(struct s3 *s, CURL *h, struct req *r)
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
void s3r_req_done(struct s3 *s, CURL *h, struct req *r, CURLcode rc)
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
long long s3r_req_retry(const struct req *r, int attempt)
{
	if (r->status >= 200 && r->status < 500 && r->status != 429)
		return -1;
	return httpc_retry_delay(r->status, &r->h, attempt, (long long)time(NULL),
				 NULL);
}

/* The error for a request that failed: what (e.g. "PUT"), the key, the
 * status and the server's Code and Message; never a header. */
int s3r_req_error(const struct req *r, const char *what, const char *key,
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
int s3r_perform(struct s3 *s, struct req *r, int tries, const char *what,
		   const char *key, struct err *e)
{
	CURL *h = s->easy[0];
	long long delay;
	CURLcode rc;
	int attempt;

	for (attempt = 1;; attempt++) {
		rc = s3r_req_options(s, h, r);
		if (rc != CURLE_OK)
			return err_set(e, ERR_SYS, "curl option: %s",
				       curl_easy_strerror(rc));
		rc = curl_easy_perform(h);
		s3r_req_done(s, h, r, rc);
		delay = s3r_req_retry(r, attempt);
		if (delay < 0 && r->status >= 200)
			return 0;
		if (delay < 0 || attempt >= tries)
			return s3r_req_error(r, what, key, e);
		sleep_ms(delay);
	}
}

/* S3 may answer 200 with an <Error> body (CompleteMultipartUpload). */
int s3r_answer_ok(const struct req *r, int want)
{
	return r->status == want && !s3_xml_find(r->resp.s, r->resp.s + r->resp.len,
					       "Error");
}

/* ------------------------------------------------------------ hashing */


static void digests_text(struct digests *d, int md5)
{
	s3r_to_hex(d->sha, 32, d->sha_hex);
	s3r_to_b64(d->sha, 32, d->sha_b64);
	d->md5_hex[0] = d->md5_b64[0] = '\0';
	if (md5) {
		s3r_to_hex(d->md5, 16, d->md5_hex);
		s3r_to_b64(d->md5, 16, d->md5_b64);
	}
}

/* Lets the transfers in flight (multi, NULL: none) move on while a part
 * is read and hashed: otherwise each part prepared stalls them all. */
void s3r_pump(CURLM *multi)
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
int s3r_hash_part(const unsigned char *data, size_t len, int md5,
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
		s3r_pump(multi);
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
	s3r_to_hex(d, sizeof(d), hex);
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
int s3r_read_exact(int fd, unsigned char *p, size_t len, const char *path,
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
int s3r_at_eof(int fd, const char *path, struct err *e)
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
int s3r_etag_ok(const struct req *r, const struct digests *d,
		   const char *what, const char *key, struct err *e)
{
	if (r->checksum[0] && strcmp(r->checksum, d->sha_b64) != 0)
		return err_set(e, ERR_IO, "S3 %s %.300s: checksum %.60s is not "
			       "the SHA-256 of what was sent (%s)", what, key,
			       r->checksum, d->sha_b64);
	if (d->md5_hex[0] && strlen(r->etag) == 32 && s3r_is_hex(r->etag, 32) &&
	    strcasecmp(r->etag, d->md5_hex) != 0)
		return err_set(e, ERR_IO, "S3 %s %.300s: ETag %s is not the "
			       "MD5 of what was sent (%s)", what, key, r->etag,
			       d->md5_hex);
	return 0;
}

/* One PUT of data with the integrity headers. */
int s3r_put_object(struct s3 *s, struct req *r, const char *key,
		      const unsigned char *data, size_t len,
		      const struct digests *d, const char *content_type,
		      const char *sha_meta, struct err *e)
{
	if (s3r_req_start(s, r, "PUT", key, NULL, e) < 0 ||
	    s3r_req_body(r, data, len, d->sha_hex, e) < 0 ||
	    s3r_req_header(r, e, "Content-MD5: %s", d->md5_b64) < 0 ||
	    s3r_req_header(r, e, "x-amz-sdk-checksum-algorithm: SHA256") < 0 ||
	    s3r_req_header(r, e, "x-amz-checksum-sha256: %s", d->sha_b64) < 0 ||
	    s3r_req_header(r, e, "x-amz-meta-sha256: %s", sha_meta) < 0 ||
	    s3r_req_header(r, e, "Content-Type: %s", content_type) < 0 ||
	    (s->token && s3r_req_header(r, e, "%s", s->token) < 0))
		return -1;
	r->big = len > (size_t)1024 * 1024;
	if (s3r_perform(s, r, HTTPC_MAX_ATTEMPTS, "PUT", key, e) < 0)
		return -1;
	if (r->status != 200)
		return s3r_req_error(r, "PUT", key, e);
	return s3r_etag_ok(r, d, "PUT", key, e);
}

int s3r_content_type_ok(const char *t, struct err *e)
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
	if (s3_key_valid(key, e) < 0 || s3r_content_type_ok(content_type, e) < 0 ||
	    s3r_hash_part(data, len, 1, NULL, NULL, &d, e) < 0)
		return -1;
	s3r_req_init(&r);
	rc = s3r_put_object(s, &r, key, data, len, &d, content_type, d.sha_hex, e);
	s3r_req_release(&r);
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
	s3r_req_init(&r);
	if (s3r_req_start(s, &r, "HEAD", key, NULL, e) < 0 ||
	    s3r_req_body(&r, NULL, 0, NULL, e) < 0 ||
	    (s->token && s3r_req_header(&r, e, "%s", s->token) < 0) ||
	    s3r_perform(s, &r, HTTPC_MAX_ATTEMPTS, "HEAD", key, e) < 0)
		goto out;
	if (r.status == 404) {
		rc = 0;
	} else if (r.status == 200) {
		o->exists = 1;
		o->size = r.clen;
		if (strlen(r.meta_sha) == 64 && s3r_is_hex(r.meta_sha, 64))
			memcpy(o->sha256, r.meta_sha, 65);
		memcpy(o->etag, r.etag, sizeof(o->etag));
		rc = 0;
	} else {
		s3r_req_error(&r, "HEAD", key, e);
	}
out:
	s3r_req_release(&r);
	return rc;
}

