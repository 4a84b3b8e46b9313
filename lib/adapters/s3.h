/* s3.h - uploads to an S3 bucket (Amazon S3 or an S3-compatible server),
 * signed with AWS Signature Version 4 by libcurl (CURLOPT_AWS_SIGV4).
 *
 * Addressing is path-style: ENDPOINT/BUCKET/KEY, ENDPOINT being the
 * configured deploycfg.endpoint_url or, unset, https://s3.REGION.amazonaws.com.
 * Keys are encoded as S3 wants them in a signed path (every byte but
 * A-Z a-z 0-9 - _ . ~ / percent-encoded).
 *
 * Integrity, end to end:
 *   - the payload's SHA-256 is signed (x-amz-content-sha256 is always
 *     set: libcurl never adds it);
 *   - x-amz-checksum-sha256 (base64) goes with every PUT and every part,
 *     so a server that checks it (Amazon S3 does) refuses bytes that
 *     changed on the way; a single PUT also carries Content-MD5 (parts do
 *     not: MD5 would cost more CPU than the two SHA-256s of a part);
 *   - what the server answers must match what was sent, or the upload
 *     fails (ERR_IO): a checksum it echoes (x-amz-checksum-sha256 of a PUT
 *     or a part, the composite ChecksumSHA256 of CompleteMultipartUpload:
 *     the SHA-256 of the parts' SHA-256s, s3_composite_sha256()), and the
 *     ETag of a single PUT when it has the form of an MD5 (32 hex digits);
 *   - the object carries x-amz-meta-sha256 (hex, of the whole object), which
 *     s3_head() gives back: the caller's proof that an object at a key is
 *     the one it means, without reading it.
 *
 * Large files (over S3_MULTIPART_MIN) go up as a multipart upload, parts of
 * S3_PART_SIZE, several at a time.  An upload the process did not complete
 * (it was killed) leaves an unfinished multipart upload on the server, not
 * an object: the next s3_put_file() of the same key aborts such leftovers
 * first, then uploads again.  An object is only ever created whole.  (The
 * leftovers are looked for with ListMultipartUploads, first page, prefix
 * the key's leading run of a-z A-Z 0-9 - _ . ~, matched exactly here: a
 * '/' in a signed query value, %2F as Amazon S3 wants it, fails
 * moto_server's signature check.)
 *
 * The file is read once: each part (or the whole small file) into memory,
 * hashed (SHA-256, MD5 for a single PUT, and the whole file's SHA-256 on
 * the way), sent
 * from there, retries included; at most S3_PARALLEL parts are held.
 *
 * Credentials never pass through app.cfg and are never logged: error
 * messages name the key and the server's error code, never a signature
 * or a secret.
 */
#ifndef EESSI_S3_H
#define EESSI_S3_H

#include <stddef.h>

#include "err.h"

#define S3_MULTIPART_MIN ((long long)64 * 1024 * 1024)
#ifndef S3_PART_SIZE /* overridable with -D, for experiments with other sizes */
#define S3_PART_SIZE ((long long)16 * 1024 * 1024)
#endif
#ifndef S3_PARALLEL
#define S3_PARALLEL 4 /* parts in flight at a time */
#endif
#define S3_KEY_MAX 1024

struct s3_creds {
	char *access_key;    /* AWS_ACCESS_KEY_ID / aws_access_key_id */
	char *secret_key;    /* AWS_SECRET_ACCESS_KEY / aws_secret_access_key */
	char *session_token; /* AWS_SESSION_TOKEN / aws_session_token; NULL: none */
};

/* Finds the credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in
 * the environment when both are set (AWS_SESSION_TOKEN too if set);
 * otherwise the profile AWS_PROFILE (default "default") of
 * credentials_file, an INI file as the AWS tools write it, which must be
 * the caller's own and not readable by others (lib/base/priv.h).  NULL
 * credentials_file and no environment: ERR_NOTFOUND.  A file that does not
 * parse, or lacks the profile or a key: ERR_INVAL naming file, line and
 * key.  0 with cr filled (free with s3_creds_wipe()). */
int s3_creds_load(const char *credentials_file, struct s3_creds *cr,
		  struct err *e);

/* Overwrites and frees the strings; cr all NULL afterwards. */
void s3_creds_wipe(struct s3_creds *cr);

struct s3;

/* endpoint_url: http(s)://HOST[:PORT][/PATH] or NULL (Amazon S3 in
 * region); bucket: 3-63 of a-z 0-9 . -; region: as signed (us-east-1 if
 * NULL).  The credentials are copied (and wiped by s3_close()). */
int s3_open(struct s3 **out, const char *endpoint_url, const char *bucket,
	    const char *region, const struct s3_creds *cr, struct err *e);
void s3_close(struct s3 *s);

/* 0 when key is a key this module uploads to: 1..S3_KEY_MAX bytes of
 * printable ASCII, not starting or ending with '/', no "//", no "." or
 * ".." segment.  -1 otherwise, with ERR_INVAL saying why.  Every function
 * taking a key checks it first: an invalid key makes no request. */
int s3_key_valid(const char *key, struct err *e);

struct s3_object {
	int exists;           /* 0: no such key (404) */
	long long size;       /* Content-Length */
	char sha256[65];      /* x-amz-meta-sha256, "" if the object has none */
	char etag[80];        /* without the quotes */
};

/* HEAD of key.  0 with o filled (o->exists 0 for a 404); -1 for any other
 * answer or none (ERR_IO / ERR_TIMEOUT / ERR_PERM for 403, with the
 * server's error code in the message). */
int s3_head(struct s3 *s, const char *key, struct s3_object *o,
	    struct err *e);

struct s3_put_stats {
	long long bytes;    /* payload bytes sent, retries included */
	int parts;          /* 0 for a single PUT */
	int requests;       /* HTTP requests made */
	int aborted;        /* leftover multipart uploads aborted first */
	long long ms;       /* wall time */
};

/* Uploads the regular file at path to key, with Content-Type
 * content_type (NULL: application/octet-stream) and x-amz-meta-sha256 =
 * sha256_hex, the hex SHA-256 of the whole file, which the caller has
 * computed (s3_sha256_file()); the data read while uploading must match
 * it, or nothing is completed (ERR_IO: the file changed).  Retries a
 * request that failed for the network or with a 5xx a few times (1 s,
 * 2 s, 4 s), then gives up with the last error.  st may be NULL. */
int s3_put_file(struct s3 *s, const char *key, const char *path,
		const char *content_type, const char *sha256_hex,
		struct s3_put_stats *st, struct err *e);

/* The same for a small object in memory (metadata, signatures): one PUT. */
int s3_put_data(struct s3 *s, const char *key, const void *data, size_t len,
		const char *content_type, struct err *e);

/* The hex SHA-256 (65 bytes with the NUL) and the size of a regular
 * file. */
int s3_sha256_file(const char *path, char hex[65], long long *size,
		   struct err *e);

/* ---- pure helpers, exposed for the unit tests and the fuzz target ---- */

/* Writes key, encoded for a SigV4-signed path, into out (NUL-terminated,
 * outsz bytes; S3_KEY_MAX * 3 + 1 always suffice).  -1 ("" in out) if it
 * does not fit. */
int s3_key_encode(const char *key, char *out, size_t outsz);

/* The text of the first element <name>...</name> of an S3 XML answer
 * (the first n bytes of xml), with the five predefined entities and
 * numeric character references decoded, into out (outsz bytes).  1 found,
 * 0 not found, -1 found but longer than out or badly encoded. */
int s3_xml_text(const char *xml, size_t n, const char *name, char *out,
		size_t outsz);

/* The composite checksum of a multipart upload, as S3 computes it: the
 * SHA-256 of the n parts' raw SHA-256s (shas: n * 32 bytes), in base64
 * (45 bytes with the NUL; S3 shows it followed by "-N").  0, or -1. */
int s3_composite_sha256(const unsigned char *shas, int n, char b64[45]);

/* Calls fn for each <Upload> of a ListMultipartUploads answer with its
 * <Key> and <UploadId>; fn returning non-zero stops.  The number of
 * uploads seen, or -1 if the answer is not such a list. */
int s3_xml_uploads(const char *xml, size_t n,
		   int (*fn)(const char *key, const char *upload_id, void *arg),
		   void *arg);

/* ---- for the transport (s3.c), from its pure half (s3_text.c) ---- */

#define S3_UPLOAD_ID_MAX 1024

/* The first <name> or <name ...> element at or after p (before end), or
 * NULL. */
const char *s3_xml_find(const char *p, const char *end, const char *name);

/* The n bytes at s percent-encoded as SigV4 wants them (unreserved
 * characters kept, '/' kept when keep_slash) into out.  0, or -1 when out
 * is too small. */
int s3_url_encode(const char *s, size_t n, int keep_slash, char *out,
		  size_t outsz);

#endif
