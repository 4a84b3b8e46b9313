/* test_s3.c - the pure parts of lib/s3: keys (valid, encoded), the XML
 * readers (text of an element, the list of multipart uploads), the
 * credentials (environment, file, profiles, refusals) and their wiping.
 * No network: the requests are tested end to end (t/e2e/60-s3.sh). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "s3.h"
#include "unit.h"
#include "xio.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------- keys */

static const char *const good_keys[] = {
	"a",
	"eessi/2023.06/software/linux/x86_64/generic/1700000000/x.tar.gz",
	"a b", "x/.hidden", "a..b/c", "...", "x/~y_z-1.2", "tilde~/and(paren)",
};

static const struct {
	const char *key;
	const char *why; /* in the message */
} bad_keys[] = {
	{ "", "empty" },
	{ "/a", "starts with '/'" },
	{ "a//b", "empty segment" },
	{ "a/", "ends with '/'" },
	{ ".", "segment" },
	{ "..", "segment" },
	{ "a/./b", "segment" },
	{ "a/../b", "segment" },
	{ "../a", "segment" },
	{ "a/..", "segment" },
	{ "a\tb", "byte 1 is not printable" },
	{ "a\x7f", "byte 1 is not printable" },
	{ "caf\xc3\xa9", "byte 3 is not printable" },
	{ "a\nb", "byte 1 is not printable" },
};

START_TEST(key_valid_accepts)
{
	struct err e = ERR_INIT;

	ck_assert_msg(s3_key_valid(good_keys[_i], &e) == 0, "%s: %s",
		      good_keys[_i], e.msg);
}
END_TEST

START_TEST(key_valid_refuses)
{
	struct err e = ERR_INIT;

	ck_assert_int_eq(s3_key_valid(bad_keys[_i].key, &e), -1);
	ck_assert_int_eq(e.code, ERR_INVAL);
	ck_assert_msg(strstr(e.msg, bad_keys[_i].why) != NULL,
		      "'%s': message '%s' lacks '%s'", bad_keys[_i].key, e.msg,
		      bad_keys[_i].why);
}
END_TEST

START_TEST(key_valid_length)
{
	char key[S3_KEY_MAX + 2];
	struct err e = ERR_INIT;

	memset(key, 'k', S3_KEY_MAX);
	key[S3_KEY_MAX] = '\0';
	ck_assert_int_eq(s3_key_valid(key, &e), 0);
	key[S3_KEY_MAX] = 'k';
	key[S3_KEY_MAX + 1] = '\0';
	ck_assert_int_eq(s3_key_valid(key, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "longer than 1024"));
	ck_assert_int_eq(s3_key_valid(NULL, &e), -1);
}
END_TEST

START_TEST(key_encode_cases)
{
	char out[64];

	ck_assert_int_eq(s3_key_encode("a b+c/~_-.x", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "a%20b%2Bc/~_-.x");
	ck_assert_int_eq(s3_key_encode("100%:=&?#,;!*'()@$", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "100%25%3A%3D%26%3F%23%2C%3B%21%2A%27%28%29%40%24");
	ck_assert_int_eq(s3_key_encode("AZaz09", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "AZaz09");
	ck_assert_int_eq(s3_key_encode("caf\xc3\xa9", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "caf%C3%A9");
	ck_assert_int_eq(s3_key_encode("", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(key_encode_bounds)
{
	char out[8];

	/* exactly fits: 3 bytes + NUL */
	ck_assert_int_eq(s3_key_encode("abc", out, 4), 0);
	ck_assert_str_eq(out, "abc");
	ck_assert_int_eq(s3_key_encode("abcd", out, 4), -1);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(s3_key_encode("a ", out, 5), 0);
	ck_assert_str_eq(out, "a%20");
	ck_assert_int_eq(s3_key_encode("a ", out, 4), -1);
	ck_assert_int_eq(s3_key_encode("a", out, 0), -1);
}
END_TEST

/* ---------------------------------------------------------------- XML */

static const char err_xml[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<Error><Code>SignatureDoesNotMatch</Code><Message>The request "
	"signature we calculated does not match the signature you provided. "
	"Check your key and signing method.</Message><RequestId>4442587FB7D0A2F9"
	"</RequestId></Error>";

static int text(const char *xml, const char *name, char *out, size_t outsz)
{
	return s3_xml_text(xml, strlen(xml), name, out, outsz);
}

START_TEST(xml_text_found_and_missing)
{
	char out[256];

	ck_assert_int_eq(text(err_xml, "Code", out, sizeof(out)), 1);
	ck_assert_str_eq(out, "SignatureDoesNotMatch");
	ck_assert_int_eq(text(err_xml, "RequestId", out, sizeof(out)), 1);
	ck_assert_str_eq(out, "4442587FB7D0A2F9");
	ck_assert_int_eq(text(err_xml, "Key", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(text("", "Code", out, sizeof(out)), 0);
	/* a name that only starts the same is another element */
	ck_assert_int_eq(text("<KeyMarker>a</KeyMarker><Key>b</Key>", "Key", out,
			      sizeof(out)), 1);
	ck_assert_str_eq(out, "b");
	ck_assert_int_eq(text("<KeyMarker>a</KeyMarker>", "Key", out,
			      sizeof(out)), 0);
	/* the first of several */
	ck_assert_int_eq(text("<a><Key>1</Key><Key>2</Key></a>", "Key", out,
			      sizeof(out)), 1);
	ck_assert_str_eq(out, "1");
	/* empty, and with attributes */
	ck_assert_int_eq(text("<Key></Key>", "Key", out, sizeof(out)), 1);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(text("<Key/>", "Key", out, sizeof(out)), 1);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(text("<R xmlns=\"x\">t</R>", "R", out, sizeof(out)), 1);
	ck_assert_str_eq(out, "t");
}
END_TEST

/* moto_server's answer to a HEAD with x-amz-checksum-mode: ENABLED after
 * two parts of 5 MiB of 0x01 and of 0x02 were uploaded with their
 * ChecksumSHA256: the composite checksum S3 computes (Amazon S3 shows it
 * as "...=-2"). */
START_TEST(composite_checksum)
{
	static const char *parts[] = {
		"c283e17a1b90a352c91de2c445b711c5c4126279eff884b8ffc44893576b19ef",
		"0467c9acff11ea0ca64db1a62295a44862a88ef4b30ec23b6555c5a4abccdffc",
	};
	unsigned char shas[64];
	char b64[45];
	int i, k;

	for (i = 0; i < 2; i++)
		for (k = 0; k < 32; k++) {
			unsigned v;
			char pair[3] = { parts[i][2 * k], parts[i][2 * k + 1], 0 };

			v = (unsigned)strtoul(pair, NULL, 16);
			shas[32 * i + k] = (unsigned char)v;
		}
	ck_assert_int_eq(s3_composite_sha256(shas, 2, b64), 0);
	ck_assert_str_eq(b64, "cmL3reV7bB1FR+C9DfmNjH8DeaY9GroN1gn5O4CE1vo=");
	/* one part: the SHA-256 of its SHA-256, not the part's own */
	ck_assert_int_eq(s3_composite_sha256(shas, 1, b64), 0);
	ck_assert_str_ne(b64, "woPhehuQo1LJHeLERbcRxcQSYnnv+IS4/8RIk1drGe8=");
	ck_assert_int_eq(s3_composite_sha256(shas, 0, b64), -1);
}
END_TEST

START_TEST(xml_text_entities)
{
	char out[64];

	ck_assert_int_eq(text("<ETag>&quot;abc&quot;</ETag>", "ETag", out,
			      sizeof(out)), 1);
	ck_assert_str_eq(out, "\"abc\"");
	ck_assert_int_eq(text("<M>&lt;a&gt; &amp; &apos;b&apos;</M>", "M", out,
			      sizeof(out)), 1);
	ck_assert_str_eq(out, "<a> & 'b'");
	ck_assert_int_eq(text("<M>&#65;&#x42;&#xe9;&#x20AC;&#x1F600;</M>", "M",
			      out, sizeof(out)), 1);
	ck_assert_str_eq(out, "AB\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	/* bad: unknown entity, no ';', NUL, surrogate, too large, empty */
	ck_assert_int_eq(text("<M>&nbsp;</M>", "M", out, sizeof(out)), -1);
	ck_assert_int_eq(text("<M>&amp</M>", "M", out, sizeof(out)), -1);
	ck_assert_int_eq(text("<M>&#0;</M>", "M", out, sizeof(out)), -1);
	ck_assert_int_eq(text("<M>&#xD800;</M>", "M", out, sizeof(out)), -1);
	ck_assert_int_eq(text("<M>&#x110000;</M>", "M", out, sizeof(out)), -1);
	ck_assert_int_eq(text("<M>&#;</M>", "M", out, sizeof(out)), -1);
	ck_assert_int_eq(text("<M>&#x;</M>", "M", out, sizeof(out)), -1);
	ck_assert_int_eq(text("<M>&#123456789012;</M>", "M", out, sizeof(out)),
			 -1);
	ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(xml_text_too_long_and_broken)
{
	char out[6];

	ck_assert_int_eq(text("<C>12345</C>", "C", out, sizeof(out)), 1);
	ck_assert_str_eq(out, "12345");
	ck_assert_int_eq(text("<C>123456</C>", "C", out, sizeof(out)), -1);
	ck_assert_str_eq(out, "");
	/* an entity that would pass the end */
	ck_assert_int_eq(text("<C>1234&amp;</C>", "C", out, sizeof(out)), 1);
	ck_assert_int_eq(text("<C>12345&amp;</C>", "C", out, sizeof(out)), -1);
	ck_assert_int_eq(text("<C>1234&#xe9;</C>", "C", out, sizeof(out)), -1);
	/* unterminated; closed by another element; cut by n */
	ck_assert_int_eq(text("<C>12", "C", out, sizeof(out)), -1);
	ck_assert_int_eq(text("<C ", "C", out, sizeof(out)), -1);
	/* a name cut at the end may be another one ("<Code") */
	ck_assert_int_eq(text("<C", "C", out, sizeof(out)), 0);
	ck_assert_int_eq(text("<C>12</D>", "C", out, sizeof(out)), -1);
	ck_assert_int_eq(s3_xml_text("<C>12</C>", 8, "C", out, sizeof(out)), -1);
	ck_assert_int_eq(s3_xml_text("<C>12</C>", 2, "C", out, sizeof(out)), 0);
	ck_assert_int_eq(s3_xml_text("<C>1\0002</C>", 10, "C", out, sizeof(out)),
			 -1);
	ck_assert_str_eq(out, ""); /* found by fuzz_s3xml: text left before */
	ck_assert_int_eq(text("<C>1</C>", "C", out, 0), -1);
}
END_TEST

START_TEST(xml_text_nested)
{
	char out[64];

	/* an element holding elements has no text of its own */
	ck_assert_int_eq(text(err_xml, "Error", out, sizeof(out)), -1);
	ck_assert_int_eq(text("<Upload><Key>k</Key></Upload>", "Upload", out,
			      sizeof(out)), -1);
	/* but the inner one is found */
	ck_assert_int_eq(text("<Upload><Key>k</Key></Upload>", "Key", out,
			      sizeof(out)), 1);
	ck_assert_str_eq(out, "k");
}
END_TEST

/* What moto_server answers to ListMultipartUploads (shortened). */
static const char uploads_xml[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<ListMultipartUploadsResult xmlns=\"http://s3.amazonaws.com/doc/2006-"
	"03-01/\"><Bucket>eessi-test-bucket</Bucket><KeyMarker></KeyMarker>"
	"<UploadIdMarker></UploadIdMarker><MaxUploads>1000</MaxUploads>"
	"<IsTruncated>false</IsTruncated>"
	"<Upload><Key>eessi/a.tar.gz</Key><UploadId>AAA111</UploadId>"
	"<Initiator><ID>arn:aws:iam::123456789012:user/x</ID></Initiator>"
	"<StorageClass>STANDARD</StorageClass>"
	"<Initiated>2026-11-24T10:00:00.000Z</Initiated></Upload>"
	"<Upload><Key>eessi/a&amp;b.tar.gz</Key><UploadId>BBB222</UploadId>"
	"</Upload>"
	"</ListMultipartUploadsResult>";

struct seen {
	int n, stop_at;
	char keys[4][64], ids[4][64];
};

static int collect(const char *key, const char *id, void *arg)
{
	struct seen *s = arg;

	if (s->n < 4) {
		snprintf(s->keys[s->n], sizeof(s->keys[0]), "%s", key);
		snprintf(s->ids[s->n], sizeof(s->ids[0]), "%s", id);
	}
	s->n++;
	return s->n == s->stop_at;
}

static int uploads(const char *xml, struct seen *s)
{
	return s3_xml_uploads(xml, strlen(xml), collect, s);
}

START_TEST(xml_uploads_list)
{
	struct seen s = { 0, 0, { { 0 } }, { { 0 } } };

	ck_assert_int_eq(uploads(uploads_xml, &s), 2);
	ck_assert_int_eq(s.n, 2);
	ck_assert_str_eq(s.keys[0], "eessi/a.tar.gz");
	ck_assert_str_eq(s.ids[0], "AAA111");
	ck_assert_str_eq(s.keys[1], "eessi/a&b.tar.gz");
	ck_assert_str_eq(s.ids[1], "BBB222");
	/* fn stops after the first */
	memset(&s, 0, sizeof(s));
	s.stop_at = 1;
	ck_assert_int_eq(uploads(uploads_xml, &s), 1);
	ck_assert_int_eq(s.n, 1);
	/* no fn: counted only */
	ck_assert_int_eq(s3_xml_uploads(uploads_xml, strlen(uploads_xml), NULL,
					NULL), 2);
}
END_TEST

START_TEST(xml_uploads_empty_and_bad)
{
	struct seen s = { 0, 0, { { 0 } }, { { 0 } } };
	char cut[sizeof(uploads_xml)];

	ck_assert_int_eq(uploads("<ListMultipartUploadsResult><Bucket>b</Bucket>"
				 "<IsTruncated>false</IsTruncated>"
				 "</ListMultipartUploadsResult>", &s), 0);
	ck_assert_int_eq(uploads("<ListMultipartUploadsResult/>", &s), -1);
	ck_assert_int_eq(uploads(err_xml, &s), -1);
	ck_assert_int_eq(uploads("", &s), -1);
	/* an upload without its id, or with a broken key */
	ck_assert_int_eq(uploads("<ListMultipartUploadsResult><Upload><Key>k"
				 "</Key></Upload></ListMultipartUploadsResult>",
				 &s), -1);
	ck_assert_int_eq(uploads("<ListMultipartUploadsResult><Upload><Key>&x;"
				 "</Key><UploadId>1</UploadId></Upload>"
				 "</ListMultipartUploadsResult>", &s), -1);
	/* an unclosed upload */
	ck_assert_int_eq(uploads("<ListMultipartUploadsResult><Upload><Key>k"
				 "</Key><UploadId>1</UploadId>"
				 "</ListMultipartUploadsResult>", &s), -1);
	ck_assert_int_eq(s.n, 0);
	/* the answer cut short (n) */
	memcpy(cut, uploads_xml, sizeof(cut));
	ck_assert_int_eq(s3_xml_uploads(cut, strlen(cut) - 10, collect, &s), -1);
}
END_TEST

/* --------------------------------------------------------- credentials */

static char dir[256];

static void creds_setup(void)
{
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_SESSION_TOKEN");
	unsetenv("AWS_PROFILE");
	unit_mkdtemp(dir, sizeof(dir), "s3");
}

static void creds_teardown(void)
{
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_SESSION_TOKEN");
	unsetenv("AWS_PROFILE");
	unit_rm_rf(dir);
}

/* Writes a credentials file with mode; its path into path. */
static void write_creds(const char *text, mode_t mode, char *path, size_t n)
{
	struct err e = ERR_INIT;

	ck_assert_int_lt(snprintf(path, n, "%s/credentials", dir), (int)n);
	ck_assert_msg(xio_write_atomic(path, text, strlen(text), mode, &e) == 0,
		      "%s", e.msg);
	ck_assert_int_eq(chmod(path, mode), 0);
}

static const char creds_file[] =
	"# written by aws configure\n"
	"[default]\n"
	"aws_access_key_id = AKIDEFAULT0000000000\n"
	"aws_secret_access_key = default/secret+key\n"
	"\n"
	"[staging]\n"
	"aws_access_key_id=AKISTAGING0000000000\n"
	"aws_secret_access_key=staging-secret\n"
	"aws_session_token = FwoGZXIvYXdzEJr//token==\n"
	"\n"
	"[broken]\n"
	"aws_access_key_id = AKIBROKEN00000000000\n";

START_TEST(creds_from_env)
{
	struct s3_creds cr;
	struct err e = ERR_INIT;

	setenv("AWS_ACCESS_KEY_ID", "AKIAENV0000000000000", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "env/secret", 1);
	ck_assert_msg(s3_creds_load(NULL, &cr, &e) == 0, "%s", e.msg);
	ck_assert_str_eq(cr.access_key, "AKIAENV0000000000000");
	ck_assert_str_eq(cr.secret_key, "env/secret");
	ck_assert_ptr_null(cr.session_token);
	s3_creds_wipe(&cr);
	ck_assert_ptr_null(cr.access_key);
	ck_assert_ptr_null(cr.secret_key);

	setenv("AWS_SESSION_TOKEN", "tok", 1);
	ck_assert_int_eq(s3_creds_load("/nonexistent", &cr, &e), 0);
	ck_assert_str_eq(cr.session_token, "tok");
	s3_creds_wipe(&cr);
	ck_assert_ptr_null(cr.session_token);

	/* set but empty or two words: refused, not silently replaced */
	setenv("AWS_SECRET_ACCESS_KEY", "", 1);
	ck_assert_int_eq(s3_creds_load(NULL, &cr, &e), -1);
	ck_assert_int_eq(e.code, ERR_INVAL);
	ck_assert_ptr_null(strstr(e.msg, "AKIAENV"));
	ck_assert_ptr_null(cr.access_key);
}
END_TEST

START_TEST(creds_none)
{
	struct s3_creds cr;
	struct err e = ERR_INIT;

	/* only half of the pair in the environment: the file is used */
	setenv("AWS_ACCESS_KEY_ID", "AKIAENV0000000000000", 1);
	ck_assert_int_eq(s3_creds_load(NULL, &cr, &e), -1);
	ck_assert_int_eq(e.code, ERR_NOTFOUND);
	ck_assert_ptr_null(cr.access_key);
}
END_TEST

START_TEST(creds_from_file_profiles)
{
	char path[512];
	struct s3_creds cr;
	struct err e = ERR_INIT;

	write_creds(creds_file, 0600, path, sizeof(path));
	ck_assert_msg(s3_creds_load(path, &cr, &e) == 0, "%s", e.msg);
	ck_assert_str_eq(cr.access_key, "AKIDEFAULT0000000000");
	ck_assert_str_eq(cr.secret_key, "default/secret+key");
	ck_assert_ptr_null(cr.session_token);
	s3_creds_wipe(&cr);

	setenv("AWS_PROFILE", "staging", 1);
	ck_assert_msg(s3_creds_load(path, &cr, &e) == 0, "%s", e.msg);
	ck_assert_str_eq(cr.access_key, "AKISTAGING0000000000");
	ck_assert_str_eq(cr.secret_key, "staging-secret");
	ck_assert_str_eq(cr.session_token, "FwoGZXIvYXdzEJr//token==");
	s3_creds_wipe(&cr);

	setenv("AWS_PROFILE", "nosuch", 1);
	ck_assert_int_eq(s3_creds_load(path, &cr, &e), -1);
	ck_assert_int_eq(e.code, ERR_INVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "[nosuch]"));
	ck_assert_ptr_nonnull(strstr(e.msg, path));
}
END_TEST

START_TEST(creds_file_missing_key)
{
	char path[512], want[600];
	struct s3_creds cr;
	struct err e = ERR_INIT;

	write_creds(creds_file, 0600, path, sizeof(path));
	setenv("AWS_PROFILE", "broken", 1);
	ck_assert_int_eq(s3_creds_load(path, &cr, &e), -1);
	ck_assert_int_eq(e.code, ERR_INVAL);
	/* file:line of the profile, and the key */
	snprintf(want, sizeof(want), "%s:11: [broken] aws_secret_access_key: "
		 "missing", path);
	ck_assert_str_eq(e.msg, want);
	ck_assert_ptr_null(cr.access_key);
	ck_assert_ptr_null(cr.secret_key);
}
END_TEST

START_TEST(creds_file_syntax_error)
{
	char path[512];
	struct s3_creds cr;
	struct err e = ERR_INIT;

	write_creds("[default]\naws_access_key_id = A\nnot a setting\n", 0600,
		    path, sizeof(path));
	ck_assert_int_eq(s3_creds_load(path, &cr, &e), -1);
	ck_assert_int_eq(e.code, ERR_INVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, path));
	ck_assert_ptr_nonnull(strstr(e.msg, "line 3"));
}
END_TEST

START_TEST(creds_file_open_to_others)
{
	char path[512];
	struct s3_creds cr;
	struct err e = ERR_INIT;
	const mode_t modes[] = { 0640, 0604, 0644, 0660 };
	size_t i;

	for (i = 0; i < NELEM(modes); i++) {
		err_clear(&e);
		write_creds(creds_file, modes[i], path, sizeof(path));
		ck_assert_int_eq(s3_creds_load(path, &cr, &e), -1);
		ck_assert_int_eq(e.code, ERR_INVAL);
		ck_assert_msg(strstr(e.msg, "lets group or others") != NULL,
			      "%s", e.msg);
		ck_assert_ptr_null(strstr(e.msg, "secret-key"));
		ck_assert_ptr_null(cr.secret_key);
	}
	/* 0400 is fine */
	write_creds(creds_file, 0400, path, sizeof(path));
	ck_assert_int_eq(s3_creds_load(path, &cr, &e), 0);
	s3_creds_wipe(&cr);
}
END_TEST

START_TEST(creds_file_absent)
{
	struct s3_creds cr;
	struct err e = ERR_INIT;

	ck_assert_int_eq(s3_creds_load("/nonexistent/credentials", &cr, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "/nonexistent/credentials"));
	ck_assert_ptr_null(cr.access_key);
}
END_TEST

START_TEST(creds_wipe_all)
{
	struct s3_creds cr = { strdup("a"), strdup("b"), NULL };

	s3_creds_wipe(&cr);
	ck_assert_ptr_null(cr.access_key);
	ck_assert_ptr_null(cr.secret_key);
	ck_assert_ptr_null(cr.session_token);
	s3_creds_wipe(&cr); /* idempotent */
}
END_TEST

START_TEST(open_refuses_bad_arguments)
{
	struct s3_creds cr = { (char *)"AKID", (char *)"secret", NULL };
	struct s3_creds colon = { (char *)"AK:ID", (char *)"secret", NULL };
	struct s3 *s = (struct s3 *)&cr;
	struct err e = ERR_INIT;

	ck_assert_int_eq(s3_open(&s, "http://h", "B", NULL, &cr, &e), -1);
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(strstr(e.msg, "bucket"));
	err_clear(&e);
	ck_assert_int_eq(s3_open(&s, "ftp://h", "bucket", NULL, &cr, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "endpoint"));
	err_clear(&e);
	ck_assert_int_eq(s3_open(&s, NULL, "bucket", "US East", &cr, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "region"));
	err_clear(&e);
	ck_assert_int_eq(s3_open(&s, NULL, "bucket", NULL, &colon, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "credentials"));
	ck_assert_ptr_null(strstr(e.msg, "secret"));
	err_clear(&e);
	ck_assert_int_eq(s3_open(&s, "https://s3.example/", "bucket", "eu-west-1",
				 &cr, &e), 0);
	s3_close(s);
}
END_TEST

Suite *s3_suite(void)
{
	Suite *s = suite_create("s3");
	TCase *tc = tcase_create("keys");
	TCase *xml = tcase_create("xml");
	TCase *cr = tcase_create("creds");

	tcase_add_loop_test(tc, key_valid_accepts, 0, (int)NELEM(good_keys));
	tcase_add_loop_test(tc, key_valid_refuses, 0, (int)NELEM(bad_keys));
	tcase_add_test(tc, key_valid_length);
	tcase_add_test(tc, key_encode_cases);
	tcase_add_test(tc, key_encode_bounds);
	tcase_add_test(tc, open_refuses_bad_arguments);
	suite_add_tcase(s, tc);
	tcase_add_test(xml, xml_text_found_and_missing);
	tcase_add_test(xml, xml_text_entities);
	tcase_add_test(xml, composite_checksum);
	tcase_add_test(xml, xml_text_too_long_and_broken);
	tcase_add_test(xml, xml_text_nested);
	tcase_add_test(xml, xml_uploads_list);
	tcase_add_test(xml, xml_uploads_empty_and_bad);
	suite_add_tcase(s, xml);
	tcase_add_checked_fixture(cr, creds_setup, creds_teardown);
	tcase_add_test(cr, creds_from_env);
	tcase_add_test(cr, creds_none);
	tcase_add_test(cr, creds_from_file_profiles);
	tcase_add_test(cr, creds_file_missing_key);
	tcase_add_test(cr, creds_file_syntax_error);
	tcase_add_test(cr, creds_file_open_to_others);
	tcase_add_test(cr, creds_file_absent);
	tcase_add_test(cr, creds_wipe_all);
	suite_add_tcase(s, cr);
	return s;
}
