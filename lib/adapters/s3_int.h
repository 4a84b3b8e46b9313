/* s3_int.h - what the files of the S3 client share: the client and a
 * request (s3.c: helpers, open/close, requests, hashing, single uploads;
 * s3_creds.c: credentials; s3_multipart.c: large files in parts).
 * Private to lib/adapters/s3*.c: nothing else includes it.
 */
#ifndef EESSI_S3_INT_H
#define EESSI_S3_INT_H

#include <curl/curl.h>
#include <gnutls/crypto.h>
#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "httpc.h"
#include "s3.h"

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

struct digests {
	unsigned char sha[32], md5[16];
	char sha_hex[65], sha_b64[45], md5_hex[33], md5_b64[25]; /* md5: "" none */
};

void s3r_to_hex(const unsigned char *p, size_t n, char *out);

/* Standard base64 with padding; out holds 4 * ((n + 2) / 3) + 1 bytes. */
void s3r_to_b64(const unsigned char *p, size_t n, char *out);

int s3r_is_hex(const char *s, size_t n);

void s3r_wipe_free(char *s);

/* ------------------------------------------------------------ requests */
void s3r_req_init(struct req *r);

void s3r_req_release(struct req *r);

/* Starts a request: method, URL ENDPOINT/BUCKET[/KEY][?QUERY] (query
 * already sorted and encoded), no headers yet. */
int s3r_req_start(struct s3 *s, struct req *r, const char *method,
		     const char *key, const char *query, struct err *e);

int s3r_req_header(struct req *r, struct err *e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The body (kept by the caller until the request is done) and its
 * x-amz-content-sha256; an empty body for NULL. */
int s3r_req_body(struct req *r, const void *body, size_t len,
		    const char *sha_hex, struct err *e);

CURLcode s3r_req_options(struct s3 *s, CURL *h, struct req *r);

/* After a transfer: the status, the counts. */
void s3r_req_done(struct s3 *s, CURL *h, struct req *r, CURLcode rc);

/* The retry delay after attempt (ms), -1 for none. */
long long s3r_req_retry(const struct req *r, int attempt);

/* The error for a request that failed: what (e.g. "PUT"), the key, the
 * status and the server's Code and Message; never a header. */
int s3r_req_error(const struct req *r, const char *what, const char *key,
		     struct err *e);

/* One request on the first handle, retried for a transport error or a
 * 5xx (1 s, 2 s, 4 s; tries 1: no retry).  0 once an answer arrived
 * (r->status < 500; the caller judges it), -1 (e set) otherwise. */
int s3r_perform(struct s3 *s, struct req *r, int tries, const char *what,
		   const char *key, struct err *e);

/* S3 may answer 200 with an <Error> body (CompleteMultipartUpload). */
int s3r_answer_ok(const struct req *r, int want);

/* Lets the transfers in flight (multi, NULL: none) move on while a part
 * is read and hashed: otherwise each part prepared stalls them all. */
void s3r_pump(CURLM *multi);

/* SHA-256 and (md5 set) MD5 of data, in chunks that stay in the cache,
 * also fed to whole (NULL: none); multi is pumped on the way.  The parts of
 * a multipart upload go without MD5: their SHA-256 checksum is what the
 * server checks, and MD5 would cost more CPU than both SHA-256s together
 * (SHA-NI) - the upload's bottleneck on a busy machine. */
int s3r_hash_part(const unsigned char *data, size_t len, int md5,
		     gnutls_hash_hd_t whole, CURLM *multi, struct digests *d,
		     struct err *e);

/* Reads exactly len bytes at the file's current offset; a short file is
 * one that changed. */
int s3r_read_exact(int fd, unsigned char *p, size_t len, const char *path,
		      struct err *e);

/* The end of the file: nothing more to read. */
int s3r_at_eof(int fd, const char *path, struct err *e);

/* What the server says it received is what was sent: the SHA-256 checksum
 * it answers (Amazon S3 echoes x-amz-checksum-sha256), and the ETag, when
 * it has the form of an MD5 and an MD5 was computed, is that MD5. */
int s3r_etag_ok(const struct req *r, const struct digests *d,
		   const char *what, const char *key, struct err *e);

/* One PUT of data with the integrity headers. */
int s3r_put_object(struct s3 *s, struct req *r, const char *key,
		      const unsigned char *data, size_t len,
		      const struct digests *d, const char *content_type,
		      const char *sha_meta, struct err *e);

int s3r_content_type_ok(const char *t, struct err *e);

/* 1 if s is a credential's shape: printable ASCII, no blank (s3_creds.c). */
int s3r_cred_ok(const char *s);

#endif
