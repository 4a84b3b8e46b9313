/* test_ini.c - the INI dialect of the software-layer contract: what
 * configparser reads (continuations, blank and comment lines inside values,
 * ':' as delimiter), every refusal with its line, the bounds, and writers
 * whose output reads back the same or is refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ini.h"
#include "unit.h"
#include "xio.h"

/* Parses a C string that must be accepted. */
static struct ini *parse_ok(const char *text)
{
	struct ini *ini = NULL;
	struct err e = ERR_INIT;

	ck_assert_msg(ini_parse(text, strlen(text), &ini, &e) == 0, "%s",
		      e.msg);
	ck_assert_ptr_nonnull(ini);
	return ini;
}

/* Parses len bytes that must be refused with code and a message starting
 * with msg. */
static void parse_fails(const char *text, size_t len, enum err_code code,
			const char *msg)
{
	struct ini *ini = (struct ini *)1;
	struct err e = ERR_INIT;

	ck_assert_int_eq(ini_parse(text, len, &ini, &e), -1);
	ck_assert_ptr_null(ini);
	ck_assert_int_eq(e.code, code);
	ck_assert_msg(strncmp(e.msg, msg, strlen(msg)) == 0,
		      "expected '%s...', got '%s'", msg, e.msg);
}

/* Appends n copies of c (one assertion: check reports every one through
 * a pipe, which would make a megabyte take seconds). */
static void fill(struct buf *b, char c, size_t n)
{
	int rc = 0;

	while (n-- > 0 && rc == 0)
		rc = buf_addch(b, c);
	ck_assert_int_eq(rc, 0);
}

#define FAILS(text, code, msg) parse_fails(text, strlen(text), code, msg)

#define ck_get(ini, sec, key, want)                                        \
	do {                                                               \
		const char *got_ = ini_get(ini, sec, key);                 \
		ck_assert_msg(got_ != NULL, "[%s] %s missing", sec, key);  \
		ck_assert_str_eq(got_, want);                              \
	} while (0)

START_TEST(sections_keys_comments)
{
	struct ini *ini = parse_ok(
		"# a comment\n"
		"; another\n"
		"[RESULT]\n"
		"  status=SUCCESS\n"
		"  comment_description   =   <details>x</details>  \r\n"
		"\tindented_key = 1\n"
		"[empty]\n"
		"[other.section:with/chars+-_]\n"
		"Key = upper\n"
		"key = lower\n"
		"key = replaced\n"
		"url = http://example.org:3128/a\n"
		"colon: value: with colon\n"
		"novalue =\n"
		"[RESULT]\n"
		"artefacts = a.tar.gz\n");

	ck_assert_uint_eq(ini_nsections(ini), 3);
	ck_assert_str_eq(ini_section(ini, 0), "RESULT");
	ck_assert_str_eq(ini_section(ini, 1), "empty");
	ck_assert_str_eq(ini_section(ini, 2), "other.section:with/chars+-_");
	ck_assert_ptr_null(ini_section(ini, 3));
	ck_assert_int_eq(ini_has_section(ini, "empty"), 1);
	ck_assert_int_eq(ini_has_section(ini, "EMPTY"), 0);
	ck_assert_int_eq(ini_has_section(ini, "RESULT"), 1);
	ck_get(ini, "RESULT", "status", "SUCCESS");
	ck_get(ini, "RESULT", "comment_description", "<details>x</details>");
	ck_get(ini, "RESULT", "indented_key", "1");
	ck_get(ini, "RESULT", "artefacts", "a.tar.gz"); /* section continued */
	ck_get(ini, "other.section:with/chars+-_", "Key", "upper");
	ck_get(ini, "other.section:with/chars+-_", "key", "replaced");
	ck_get(ini, "other.section:with/chars+-_", "url",
	       "http://example.org:3128/a");
	ck_get(ini, "other.section:with/chars+-_", "colon",
	       "value: with colon");
	ck_get(ini, "other.section:with/chars+-_", "novalue", "");
	ck_assert_ptr_null(ini_get(ini, "RESULT", "STATUS"));
	ck_assert_ptr_null(ini_get(ini, "RESULT", "missing"));
	ck_assert_ptr_null(ini_get(ini, "empty", "status"));
	ck_assert_ptr_null(ini_get(ini, "nosuch", "status"));
	ini_free(ini);
	ini_free(NULL);
}
END_TEST

/* The cases checked against Python's configparser (interpolation off). */
START_TEST(continuation_lines_as_configparser)
{
	struct ini *ini = parse_ok(
		"[A]\n"
		"artefacts =\n"
		"    a.tar.gz\n"
		"    b.tar.gz\n"
		"\n"
		"k =\n    a\n\n    b\n\n# c\n    c\n"
		"  # an indented comment, not value\n"
		"j: x = y\n"
		"  k2 = v\n"
		"    [not a section]\n"
		"inner = t\n"
		"    u\n"
		"\n"
		"\n"
		"  deeper = 2\n"
		"last = v\n"
		"    w\n"
		"\n"
		"\n"
		"[B]\n"
		"  z = 1\n"
		"  y = 2\n"
		"      y2\n");

	ck_get(ini, "A", "artefacts", "\na.tar.gz\nb.tar.gz");
	ck_get(ini, "A", "k", "\na\n\nb\n\nc");
	ck_get(ini, "A", "j", "x = y\nk2 = v\n[not a section]");
	ck_get(ini, "A", "inner", "t\nu\n\n\ndeeper = 2");
	/* blank lines at the end of a value are not part of it */
	ck_get(ini, "A", "last", "v\nw");
	ck_assert_ptr_null(ini_get(ini, "A", "k2"));
	/* after a section header an indented line is a setting of its own;
	 * a continuation must be indented deeper than its key */
	ck_get(ini, "B", "z", "1");
	ck_get(ini, "B", "y", "2\ny2");
	ck_assert_uint_eq(ini_nsections(ini), 2);
	ini_free(ini);
}
END_TEST

START_TEST(text_need_not_be_terminated)
{
	static const char text[] = "[S]\nk = abcdef";
	struct ini *ini = NULL;
	struct err e = ERR_INIT;

	ck_assert_int_eq(ini_parse(text, sizeof(text) - 4, &ini, &e), 0);
	ck_get(ini, "S", "k", "abc");
	ini_free(ini);
	ck_assert_int_eq(ini_parse("", 0, &ini, &e), 0);
	ck_assert_uint_eq(ini_nsections(ini), 0);
	ini_free(ini);
}
END_TEST

START_TEST(refusals_name_the_line)
{
	char longname[200];

	FAILS("# comment\nkey = v\n[S]\n", ERR_INVAL,
	      "line 2: setting before the first section");
	FAILS("[S]\nk = v\njust words\n", ERR_INVAL,
	      "line 3: neither a comment, a section nor a setting");
	FAILS("[S]\n[a b]\n", ERR_INVAL, "line 2: bad section name");
	FAILS("[]\n", ERR_INVAL, "line 1: bad section name");
	FAILS("[S] trailing\n", ERR_INVAL, "line 1: bad section name");
	FAILS("[S\n", ERR_INVAL, "line 1: bad section name");
	FAILS("[$(id)]\n", ERR_INVAL, "line 1: bad section name");
	FAILS("[S]\n\n\na b = c\n", ERR_INVAL, "line 4: bad key name");
	FAILS("[S]\n= c\n", ERR_INVAL, "line 2: bad key name");
	FAILS("[S]\nk$(id) = c\n", ERR_INVAL, "line 2: bad key name");
	FAILS("[S]\nk\"x = c\n", ERR_INVAL, "line 2: bad key name");
	/* a key of 129 bytes is refused, one of 128 is fine */
	snprintf(longname, sizeof(longname), "[S]\n%0129d = v\n", 0);
	FAILS(longname, ERR_INVAL, "line 2: bad key name");
	snprintf(longname, sizeof(longname), "[S]\n%0128d = v\n", 0);
	ini_free(parse_ok(longname));
	parse_fails("[S]\nk = v\nj = a\0b\n", 18, ERR_INVAL,
		    "line 3: NUL byte");
	parse_fails("[S]\0\n", 5, ERR_INVAL, "line 1: NUL byte");
}
END_TEST

START_TEST(bounds)
{
	struct buf t = BUF_INIT(INI_MAX_BYTES + 16);
	struct ini *ini;
	size_t i;

	/* INI_MAX_ENTRIES section and setting lines are fine, not one more */
	ck_assert_int_eq(buf_adds(&t, "[S]\n"), 0);
	for (i = 1; i < INI_MAX_ENTRIES; i++)
		ck_assert_int_eq(buf_addf(&t, "k%zu = %zu\n", i, i), 0);
	ini = parse_ok(t.s);
	ck_get(ini, "S", "k4095", "4095");
	ini_free(ini);
	ck_assert_int_eq(buf_adds(&t, "[T]\n"), 0);
	parse_fails(t.s, t.len, ERR_TOOBIG, "line 4097: more than 4096");

	/* a value may be long, but the input as a whole is bounded */
	buf_clear(&t);
	ck_assert_int_eq(buf_adds(&t, "[S]\nk = "), 0);
	fill(&t, 'x', INI_MAX_BYTES - t.len);
	ini = parse_ok(t.s);
	ck_assert_uint_eq(strlen(ini_get(ini, "S", "k")), INI_MAX_BYTES - 8);
	ini_free(ini);
	ck_assert_int_eq(buf_addch(&t, 'x'), 0);
	parse_fails(t.s, t.len, ERR_TOOBIG, "1048577 bytes");
	buf_release(&t);
}
END_TEST

/* Writes key = value, parses it back, and compares. */
static void round_trip(const char *value)
{
	struct buf out = BUF_INIT(BUF_CAP_DEFAULT);
	struct err e = ERR_INIT;
	struct ini *ini;

	ck_assert_int_eq(ini_put_section(&out, "S", &e), 0);
	ck_assert_msg(ini_put(&out, "k", value, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(ini_put(&out, "after", "x", &e), 0);
	ini = parse_ok(out.s);
	ck_get(ini, "S", "k", value);
	ck_get(ini, "S", "after", "x");
	ini_free(ini);
	buf_release(&out);
}

START_TEST(writers_round_trip)
{
	static const char *const values[] = {
		"", "plain", "\na.tar.gz", "\na.tar.gz\nb.tar.gz", "a\nb",
		"zzz\";echo${IFS}\"hello\";#", "$(id)", "`id`", "../../etc",
		"# not a comment on the first line", "; nor this", "a = b: c",
		"[S]", "x\n[T]\ny = z",
		"<details><summary>ok</summary></details>",
		"{\"/etc/cvmfs/default.local\": \"A=1\\nB=2\"}", "caf\xc3\xa9",
		"inner  blanks stay",
	};
	struct buf big = BUF_INIT(BUF_CAP_DEFAULT);
	size_t i;

	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		round_trip(values[i]);
	fill(&big, 'a', 10 * 1024);
	for (i = 0; i < big.len; i++)
		big.s[i] = (char)('a' + i % 26);
	round_trip(big.s);
	for (i = 100; i < big.len; i += 100)
		big.s[i] = '\n';
	round_trip(big.s);
	buf_release(&big);
}
END_TEST

START_TEST(writers_text)
{
	struct buf out = BUF_INIT(4096);
	struct err e = ERR_INIT;

	ck_assert_int_eq(ini_put_section(&out, "RESULT", &e), 0);
	ck_assert_int_eq(ini_put(&out, "status", "SUCCESS", &e), 0);
	ck_assert_int_eq(ini_put(&out, "empty", "", &e), 0);
	ck_assert_int_eq(ini_put(&out, "artefacts", "\na.tar.gz\nb.tar.gz", &e),
			 0);
	ck_assert_int_eq(ini_put(&out, "two", "a\nb", &e), 0);
	ck_assert_int_eq(ini_put_section(&out, "target:linux/x86_64", &e), 0);
	ck_assert_str_eq(out.s, "[RESULT]\n"
				"status = SUCCESS\n"
				"empty = \n"
				"artefacts = \n    a.tar.gz\n    b.tar.gz\n"
				"two = a\n    b\n"
				"\n[target:linux/x86_64]\n");
	buf_release(&out);
}
END_TEST

/* ini_put must refuse and leave out as it was. */
static void put_fails(const char *key, const char *value, const char *msg)
{
	struct buf out = BUF_INIT(4096);
	struct err e = ERR_INIT;

	ck_assert_int_eq(buf_adds(&out, "[S]\n"), 0);
	ck_assert_int_eq(ini_put(&out, key, value, &e), -1);
	ck_assert_int_eq(e.code, ERR_INVAL);
	ck_assert_msg(strstr(e.msg, msg) != NULL, "expected '%s' in '%s'", msg,
		      e.msg);
	ck_assert_str_eq(out.s, "[S]\n");
	buf_release(&out);
}

START_TEST(writers_refuse)
{
	char key[131];
	struct buf out = BUF_INIT(4096);
	struct err e = ERR_INIT;

	put_fails("k", "a\n", "k: value has an empty line");
	put_fails("k", "\n", "an empty line");
	put_fails("k", "a\n\nb", "an empty line");
	put_fails("k", " a", "leading or trailing blanks");
	put_fails("k", "a ", "leading or trailing blanks");
	put_fails("k", "a\n b", "leading or trailing blanks");
	put_fails("k", "a\nb ", "leading or trailing blanks");
	put_fails("k", "a\tb", "a control character");
	put_fails("k", "\ta", "a control character");
	put_fails("k", "a\rb", "a control character");
	put_fails("k", "a\r\nb", "a control character");
	put_fails("k", "a\x1b[31mb", "a control character");
	put_fails("k", "a\x7f", "a control character");
	put_fails("k", "a\n#b", "starting with '#' or ';'");
	put_fails("k", "a\n;b", "starting with '#' or ';'");
	put_fails("a:b", "v", "bad key name");
	put_fails("a=b", "v", "bad key name");
	put_fails("", "v", "bad key name");
	put_fails("a b", "v", "bad key name");
	put_fails("k\n[x]", "v", "bad key name");
	put_fails("$(id)", "v", "bad key name");
	memset(key, 'k', 129);
	key[129] = '\0';
	put_fails(key, "v", "bad key name");
	key[128] = '\0';
	ck_assert_int_eq(ini_put(&out, key, "v", &e), 0);

	ck_assert_int_eq(ini_put_section(&out, "a]b", &e), -1);
	ck_assert_int_eq(e.code, ERR_INVAL);
	err_clear(&e);
	ck_assert_int_eq(ini_put_section(&out, "", &e), -1);
	err_clear(&e);
	ck_assert_int_eq(ini_put_section(&out, "S\n[T]", &e), -1);
	err_clear(&e);
	ck_assert_int_eq(ini_put_section(&out, key, &e), 0);
	buf_release(&out);
}
END_TEST

START_TEST(writers_stop_at_the_cap)
{
	struct buf out = BUF_INIT(16);
	struct err e = ERR_INIT;

	ck_assert_int_eq(ini_put_section(&out, "S", &e), 0);
	ck_assert_int_eq(ini_put(&out, "k", "12345678", &e), -1);
	ck_assert_int_eq(e.code, ERR_TOOBIG);
	ck_assert_str_eq(out.s, "[S]\n");
	err_clear(&e);
	ck_assert_int_eq(ini_put(&out, "k", "1234", &e), 0);
	ck_assert_int_eq(ini_put_section(&out, "T", &e), -1);
	ck_assert_int_eq(e.code, ERR_TOOBIG);
	ck_assert_str_eq(out.s, "[S]\nk = 1234\n");
	buf_release(&out);
}
END_TEST

START_TEST(load_names_the_path)
{
	char dir[256], path[300], want[400];
	struct buf big = BUF_INIT(INI_MAX_BYTES + 2);
	struct ini *ini = NULL;
	struct err e = ERR_INIT;
	static const char bad[] = "[S]\nk = v\n[x y]\n";
	static const char good[] = "[eessi.io-2023.06-software]\n"
				   "repo_name = software.eessi.io\n";

	unit_mkdtemp(dir, sizeof(dir), "ini");
	snprintf(path, sizeof(path), "%s/repos.cfg", dir);
	ck_assert_int_eq(xio_write_atomic(path, good, strlen(good), 0600, &e),
			 0);
	ck_assert_msg(ini_load(path, &ini, &e) == 0, "%s", e.msg);
	ck_get(ini, "eessi.io-2023.06-software", "repo_name",
	       "software.eessi.io");
	ini_free(ini);

	ck_assert_int_eq(xio_write_atomic(path, bad, strlen(bad), 0600, &e), 0);
	ck_assert_int_eq(ini_load(path, &ini, &e), -1);
	ck_assert_ptr_null(ini);
	ck_assert_int_eq(e.code, ERR_INVAL);
	snprintf(want, sizeof(want), "%s: line 3: bad section name", path);
	ck_assert_int_eq(strncmp(e.msg, want, strlen(want)), 0);

	err_clear(&e);
	fill(&big, '#', INI_MAX_BYTES + 1);
	ck_assert_int_eq(xio_write_atomic(path, big.s, big.len, 0600, &e), 0);
	ck_assert_int_eq(ini_load(path, &ini, &e), -1);
	ck_assert_int_eq(e.code, ERR_TOOBIG);
	ck_assert_ptr_nonnull(strstr(e.msg, path));

	err_clear(&e);
	snprintf(path, sizeof(path), "%s/missing.cfg", dir);
	ck_assert_int_eq(ini_load(path, &ini, &e), -1);
	ck_assert_int_eq(e.code, ERR_SYS);
	ck_assert_ptr_nonnull(strstr(e.msg, path));
	buf_release(&big);
	unit_rm_rf(dir);
}
END_TEST

Suite *ini_suite(void)
{
	Suite *s = suite_create("ini");
	TCase *parse = tcase_create("parse");
	TCase *write = tcase_create("write");

	tcase_add_test(parse, sections_keys_comments);
	tcase_add_test(parse, continuation_lines_as_configparser);
	tcase_add_test(parse, text_need_not_be_terminated);
	tcase_add_test(parse, refusals_name_the_line);
	tcase_add_test(parse, bounds);
	tcase_add_test(parse, load_names_the_path);
	suite_add_tcase(s, parse);
	tcase_add_test(write, writers_round_trip);
	tcase_add_test(write, writers_text);
	tcase_add_test(write, writers_refuse);
	tcase_add_test(write, writers_stop_at_the_cap);
	suite_add_tcase(s, write);
	return s;
}
