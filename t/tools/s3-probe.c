/* s3-probe.c - a small command line over lib/s3, for the tests and
 * scripts/bench-s3.
 *
 *   s3-probe [OPTIONS] put ENDPOINT BUCKET REGION KEY FILE   s3_put_file()
 *   s3-probe [OPTIONS] data ENDPOINT BUCKET REGION KEY TEXT  s3_put_data()
 *   s3-probe [OPTIONS] head ENDPOINT BUCKET REGION KEY       s3_head()
 *   s3-probe [OPTIONS] creds                                 s3_creds_load()
 *   s3-probe sha256 FILE                                     s3_sha256_file()
 *   s3-probe key KEY                        s3_key_valid(), s3_key_encode()
 *
 * OPTIONS: --credentials FILE (used when the environment has no
 * AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY); --sha256 HEX (put: the
 * SHA-256 the caller claims instead of the file's, as if the file had
 * changed after it was hashed); --type CONTENT_TYPE.
 *
 * Output: put "bytes N parts N requests N aborted N ms N"; head "exists
 * 0|1 size N sha256 HEX|- etag ETAG|-"; creds "ok" (and "session token"
 * when there is one; never a key); sha256 "HEX SIZE"; key the encoded key.
 * Errors: "s3-probe: CODE: MESSAGE" on stderr and exit 1; a wrong command
 * line exits 2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "s3.h"

#define PROG "s3-probe"

struct opts {
	const char *credentials, *sha256, *type;
};

static void usage(void)
{
	fprintf(stderr,
		"usage: " PROG " [--credentials FILE] [--sha256 HEX] [--type T] "
		"put ENDPOINT BUCKET REGION KEY FILE\n"
		"       " PROG " [--credentials FILE] data ENDPOINT BUCKET "
		"REGION KEY TEXT\n"
		"       " PROG " [--credentials FILE] head ENDPOINT BUCKET "
		"REGION KEY\n"
		"       " PROG " [--credentials FILE] creds\n"
		"       " PROG " sha256 FILE\n"
		"       " PROG " key KEY\n");
}

static int fail(const struct err *e)
{
	fprintf(stderr, PROG ": %s: %s\n", err_code_name(e->code), e->msg);
	return 1;
}

/* Opens the client of argv[0..2] (ENDPOINT BUCKET REGION). */
static int open_client(const struct opts *o, char **argv, struct s3 **s,
		       struct err *e)
{
	struct s3_creds cr;
	int rc;

	if (s3_creds_load(o->credentials, &cr, e) < 0)
		return -1;
	rc = s3_open(s, argv[0], argv[1], argv[2], &cr, e);
	s3_creds_wipe(&cr);
	return rc;
}

static int cmd_put(const struct opts *o, char **argv, struct err *e)
{
	struct s3_put_stats st;
	struct s3 *s = NULL;
	char sha[65];
	int rc;

	if (o->sha256) {
		snprintf(sha, sizeof(sha), "%s", o->sha256);
	} else if (s3_sha256_file(argv[4], sha, NULL, e) < 0) {
		return -1;
	}
	if (s3_key_valid(argv[3], e) < 0 || open_client(o, argv, &s, e) < 0)
		return -1;
	rc = s3_put_file(s, argv[3], argv[4], o->type, sha, &st, e);
	s3_close(s);
	printf("bytes %lld parts %d requests %d aborted %d ms %lld\n",
	       st.bytes, st.parts, st.requests, st.aborted, st.ms);
	return rc;
}

static int cmd_data(const struct opts *o, char **argv, struct err *e)
{
	struct s3 *s = NULL;
	int rc;

	if (open_client(o, argv, &s, e) < 0)
		return -1;
	rc = s3_put_data(s, argv[3], argv[4], strlen(argv[4]), o->type, e);
	s3_close(s);
	return rc;
}

static int cmd_head(const struct opts *o, char **argv, struct err *e)
{
	struct s3_object obj;
	struct s3 *s = NULL;
	int rc;

	if (open_client(o, argv, &s, e) < 0)
		return -1;
	rc = s3_head(s, argv[3], &obj, e);
	s3_close(s);
	if (rc == 0)
		printf("exists %d size %lld sha256 %s etag %s\n", obj.exists,
		       obj.size, obj.sha256[0] ? obj.sha256 : "-",
		       obj.etag[0] ? obj.etag : "-");
	return rc;
}

static int cmd_creds(const struct opts *o, struct err *e)
{
	struct s3_creds cr;

	if (s3_creds_load(o->credentials, &cr, e) < 0)
		return -1;
	printf("ok%s\n", cr.session_token ? " session token" : "");
	s3_creds_wipe(&cr);
	return 0;
}

static int cmd_key(const char *key, struct err *e)
{
	char enc[S3_KEY_MAX * 3 + 1];

	if (s3_key_valid(key, e) < 0)
		return -1;
	if (s3_key_encode(key, enc, sizeof(enc)) < 0)
		return err_set(e, ERR_TOOBIG, "encoded key too long");
	printf("%s\n", enc);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { NULL, NULL, NULL };
	struct err e = ERR_INIT;
	const char *cmd;
	char sha[65];
	long long size;
	int i = 1, n, rc = -1;

	for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		if (strcmp(argv[i], "--credentials") == 0)
			o.credentials = argv[i + 1];
		else if (strcmp(argv[i], "--sha256") == 0)
			o.sha256 = argv[i + 1];
		else if (strcmp(argv[i], "--type") == 0)
			o.type = argv[i + 1];
		else
			break;
	}
	if (i >= argc) {
		usage();
		return 2;
	}
	cmd = argv[i++];
	n = argc - i;
	if (strcmp(cmd, "put") == 0 && n == 5)
		rc = cmd_put(&o, argv + i, &e);
	else if (strcmp(cmd, "data") == 0 && n == 5)
		rc = cmd_data(&o, argv + i, &e);
	else if (strcmp(cmd, "head") == 0 && n == 4)
		rc = cmd_head(&o, argv + i, &e);
	else if (strcmp(cmd, "creds") == 0 && n == 0)
		rc = cmd_creds(&o, &e);
	else if (strcmp(cmd, "key") == 0 && n == 1)
		rc = cmd_key(argv[i], &e);
	else if (strcmp(cmd, "sha256") == 0 && n == 1) {
		rc = s3_sha256_file(argv[i], sha, &size, &e);
		if (rc == 0)
			printf("%s %lld\n", sha, size);
	} else {
		usage();
		return 2;
	}
	return rc < 0 ? fail(&e) : 0;
}
