/* s3_multipart.c - a large file up in parts (CreateMultipartUpload, the
 * parts S3_PARALLEL at a time through one multi handle, each read once,
 * hashed and sent from memory, retries included; CompleteMultipartUpload
 * checked against the composite SHA-256), the leftovers of an earlier
 * run aborted first; s3_put_file(), which chooses one PUT or parts.
 * Layer: adapters (README, "Map of the code"). */
#include "s3.h"
#include "s3_int.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "xio.h"

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

	s3r_req_init(&r);
	if (s3_url_encode(upload_id, strlen(upload_id), 0, enc, sizeof(enc)) < 0) {
		err_set(e, ERR_INVAL, "S3 upload id too long");
		goto out;
	}
	snprintf(q, sizeof(q), "uploadId=%s", enc);
	if (s3r_req_start(s, &r, "DELETE", key, q, e) < 0 ||
	    s3r_req_body(&r, NULL, 0, NULL, e) < 0 ||
	    (s->token && s3r_req_header(&r, e, "%s", s->token) < 0) ||
	    s3r_perform(s, &r, tries, "AbortMultipartUpload", key, e) < 0)
		goto out;
	if (r.status != 204 && r.status != 200 && r.status != 404)
		s3r_req_error(&r, "AbortMultipartUpload", key, e);
	else
		rc = 0;
out:
	s3r_req_release(&r);
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
	s3r_req_init(&r);
	if (plain_prefix(key) > 0)
		snprintf(q, sizeof(q), "prefix=%.*s&uploads=",
			 (int)plain_prefix(key), key);
	else
		snprintf(q, sizeof(q), "uploads=");
	if (s3r_req_start(s, &r, "GET", NULL, q, e) < 0 ||
	    s3r_req_body(&r, NULL, 0, NULL, e) < 0 ||
	    (s->token && s3r_req_header(&r, e, "%s", s->token) < 0) ||
	    s3r_perform(s, &r, HTTPC_MAX_ATTEMPTS, "ListMultipartUploads", key, e) < 0)
		goto out;
	if (r.status != 200) {
		s3r_req_error(&r, "ListMultipartUploads", key, e);
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
	s3r_req_release(&r);
	return rc;
}

static int create_upload(struct mpu *m, const char *content_type,
			 struct err *e)
{
	struct req r;
	int rc = -1, found;

	s3r_req_init(&r);
	if (s3r_req_start(m->s, &r, "POST", m->key, "uploads=", e) < 0 ||
	    s3r_req_body(&r, NULL, 0, NULL, e) < 0 ||
	    s3r_req_header(&r, e, "x-amz-checksum-algorithm: SHA256") < 0 ||
	    s3r_req_header(&r, e, "x-amz-meta-sha256: %s", m->want_sha) < 0 ||
	    s3r_req_header(&r, e, "Content-Type: %s", content_type) < 0 ||
	    (m->s->token && s3r_req_header(&r, e, "%s", m->s->token) < 0) ||
	    s3r_perform(m->s, &r, HTTPC_MAX_ATTEMPTS, "CreateMultipartUpload",
		    m->key, e) < 0)
		goto out;
	if (!s3r_answer_ok(&r, 200)) {
		s3r_req_error(&r, "CreateMultipartUpload", m->key, e);
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
	s3r_req_release(&r);
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
		if (s3r_read_exact(m->fd, sl->data + got, n, m->path, e) < 0)
			return -1;
		s3r_pump(m->s->multi);
	}
	if (s3r_hash_part(sl->data, sl->len, 0, m->whole, m->s->multi, &sl->d, e) < 0)
		return -1;
	if (sl->part == m->nparts) {
		unsigned char d[32];
		char hex[65];

		/* the whole file read: it must be the one meant */
		if (s3r_at_eof(m->fd, m->path, e) < 0)
			return -1;
		gnutls_hash_output(m->whole, d);
		s3r_to_hex(d, sizeof(d), hex);
		if (strcasecmp(hex, m->want_sha) != 0)
			return err_set(e, ERR_IO, "%s: file changed while "
				       "uploading (SHA-256 %s, expected %s)",
				       m->path, hex, m->want_sha);
	}
	snprintf(q, sizeof(q), "partNumber=%d&uploadId=%s", sl->part,
		 m->upload_q);
	if (s3r_req_start(m->s, &sl->r, "PUT", m->key, q, e) < 0 ||
	    s3r_req_body(&sl->r, sl->data, sl->len, sl->d.sha_hex, e) < 0 ||
	    s3r_req_header(&sl->r, e, "x-amz-sdk-checksum-algorithm: SHA256") < 0 ||
	    s3r_req_header(&sl->r, e, "x-amz-checksum-sha256: %s", sl->d.sha_b64) < 0 ||
	    (m->s->token && s3r_req_header(&sl->r, e, "%s", m->s->token) < 0))
		return -1;
	sl->r.big = 1;
	return 0;
}

static int slot_start(struct mpu *m, struct slot *sl, CURL *h, struct err *e)
{
	CURLcode rc = s3r_req_options(m->s, h, &sl->r);
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
	s3r_req_done(m->s, h, &sl->r, rc);
	snprintf(what, sizeof(what), "UploadPart %d", sl->part);
	delay = s3r_req_retry(&sl->r, sl->attempt);
	if (delay >= 0 && sl->attempt < HTTPC_MAX_ATTEMPTS) {
		sl->due_ms = clock_mono_ms() + delay;
		return 0;
	}
	if (sl->r.status != 200)
		return s3r_req_error(&sl->r, what, m->key, e);
	if (s3r_etag_ok(&sl->r, &sl->d, what, m->key, e) < 0)
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
		s3r_req_init(&slots[i].r);
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
		s3r_req_release(&slots[i].r);
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
	s3r_to_b64(d, sizeof(d), b64);
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

	s3r_req_init(&r);
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
	if (s3r_req_start(m->s, &r, "POST", m->key, q, e) < 0 ||
	    s3r_req_body(&r, xml.s, xml.len, NULL, e) < 0 ||
	    s3r_req_header(&r, e, "Content-Type: application/xml") < 0 ||
	    (m->s->token && s3r_req_header(&r, e, "%s", m->s->token) < 0))
		goto out;
	r.timeout_ms = complete_timeout(m->nparts);
	if (s3r_perform(m->s, &r, HTTPC_MAX_ATTEMPTS, "CompleteMultipartUpload",
		    m->key, e) < 0)
		goto out;
	if (!s3r_answer_ok(&r, 200)) {
		s3r_req_error(&r, "CompleteMultipartUpload", m->key, e);
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
	s3r_req_release(&r);
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

	s3r_req_init(&r);
	if (!data) {
		err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	if (s3r_read_exact(m->fd, data, (size_t)m->size, m->path, e) < 0 ||
	    s3r_at_eof(m->fd, m->path, e) < 0 ||
	    s3r_hash_part(data, (size_t)m->size, 1, NULL, NULL, &d, e) < 0)
		goto out;
	if (strcasecmp(d.sha_hex, m->want_sha) != 0) {
		err_set(e, ERR_IO, "%s: file changed while uploading (SHA-256 "
			"%s, expected %s)", m->path, d.sha_hex, m->want_sha);
		goto out;
	}
	rc = s3r_put_object(m->s, &r, m->key, data, (size_t)m->size, &d,
			content_type, m->want_sha, e);
out:
	s3r_req_release(&r);
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
	if (s3_key_valid(key, e) < 0 || s3r_content_type_ok(content_type, e) < 0)
		return -1;
	if (!sha256_hex || strlen(sha256_hex) != 64 || !s3r_is_hex(sha256_hex, 64))
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
