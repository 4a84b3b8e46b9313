/* s3_creds.c - the S3 credentials: the environment's AWS_* first, else
 * the credentials file (see s3.h), wiped after use.
 * Layer: adapters (README, "Map of the code"). */
#include "s3.h"
#include "s3_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ini.h"
#include "xio.h"

void s3_creds_wipe(struct s3_creds *cr)
{
	s3r_wipe_free(cr->access_key);
	s3r_wipe_free(cr->secret_key);
	s3r_wipe_free(cr->session_token);
	cr->access_key = cr->secret_key = cr->session_token = NULL;
}

/* A credential is one line of printable ASCII without blanks. */
int s3r_cred_ok(const char *s)
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

	if (!a || !s || !s3r_cred_ok(a) || !s3r_cred_ok(s) || strchr(a, ':') ||
	    (t && *t && !s3r_cred_ok(t)))
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
	if (!v || !s3r_cred_ok(v) ||
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

