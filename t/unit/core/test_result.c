/* test_result.c - what a finished job left behind: the verdict on its
 * output (result_analyse), the excerpt worth showing (result_excerpt), and
 * result_read() over real-shaped job directories (t/data/result/: EESSI-like
 * slurm-<ID>.out files and result files as check-build.sh writes them),
 * including a job that tries symlinks, FIFOs, hostile artefact names and a
 * 5 MiB output. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ini.h"
#include "result.h"
#include "unit.h"
#include "xio.h"

#define SUCCESS_TARBALL "eessi-2023.06-software-linux-x86_64-generic-1700000000.tar.gz"

static char dir[64];

static void setup(void)
{
	unit_mkdtemp(dir, sizeof(dir), "result");
}

static void teardown(void)
{
	unit_rm_rf(dir);
}

/* dir/name, in path. */
static void job_path(char *path, size_t size, const char *name)
{
	ck_assert_int_lt(snprintf(path, size, "%s/%s", dir, name), (int)size);
}

static void put(const char *name, const void *data, size_t len)
{
	char path[256];
	struct err e = ERR_INIT;

	job_path(path, sizeof(path), name);
	ck_assert_msg(xio_write_atomic(path, data, len, 0644, &e) == 0, "%s",
		      e.msg);
}

/* Copies t/data/result/fixture into the job directory as name. */
static void fixture(const char *fixture_name, const char *name)
{
	struct buf b = BUF_INIT(BUF_CAP_DEFAULT);
	char src[256];
	struct err e = ERR_INIT;

	ck_assert_int_lt(snprintf(src, sizeof(src), "data/result/%s",
				  fixture_name), (int)sizeof(src));
	ck_assert_msg(xio_read_file(src, &b, 1, &e) == 0, "%s", e.msg);
	put(name, b.s, b.len);
	buf_release(&b);
}

static void load(const char *fixture_name, struct buf *b)
{
	char src[256];
	struct err e = ERR_INIT;

	ck_assert_int_lt(snprintf(src, sizeof(src), "data/result/%s",
				  fixture_name), (int)sizeof(src));
	ck_assert_msg(xio_read_file(src, b, 1, &e) == 0, "%s", e.msg);
}

static void read_ok(long long id, struct result *r)
{
	struct err e = ERR_INIT;

	ck_assert_msg(result_read(dir, id, r, &e) == 0, "%s", e.msg);
}

static int utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0, k, j;

	while (i < n) {
		unsigned char c = s[i];

		if (c < 0x80) {
			i++;
			continue;
		}
		k = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
		if (k == 0 || c > 0xf4 || i + k > n)
			return 0;
		for (j = 1; j < k; j++)
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
		i += k;
	}
	return 1;
}

/* The excerpt's promises: bounded, clean, valid UTF-8. */
static void ck_clean_excerpt(const struct buf *x)
{
	size_t i, lines = x->len ? 1 : 0;

	ck_assert_uint_le(x->len, RESULT_EXCERPT_MAX);
	ck_assert_uint_eq(strlen(x->s), x->len);
	for (i = 0; i < x->len; i++) {
		unsigned char c = (unsigned char)x->s[i];

		ck_assert_msg(c >= 0x20 || c == '\n' || c == '\t',
			      "control 0x%02x at %zu", c, i);
		ck_assert_int_ne(c, 0x7f);
		lines += c == '\n';
	}
	ck_assert_uint_le(lines, RESULT_EXCERPT_LINES);
	ck_assert(utf8_valid((const unsigned char *)x->s, x->len));
}

/* n lines "line 1".."line n", with "ERROR: boom" as line err (1-based;
 * 0: none). */
static void numbered(struct buf *b, int n, int err)
{
	int i;

	buf_clear(b);
	for (i = 1; i <= n; i++)
		ck_assert_int_eq(i == err ? buf_adds(b, "ERROR: boom\n")
					  : buf_addf(b, "line %d\n", i), 0);
}

/* s starts with the literal p. */
#define CK_PREFIX(s, p) \
	ck_assert_msg(strncmp((s), (p), strlen(p)) == 0, "%s", (s))

static size_t count_char(const char *s, char c)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == c;
	return n;
}

/* ---- result_analyse ---- */

START_TEST(status_names)
{
	ck_assert_str_eq(result_status_name(RESULT_SUCCESS), "SUCCESS");
	ck_assert_str_eq(result_status_name(RESULT_FAILURE), "FAILURE");
	ck_assert_str_eq(result_status_name(RESULT_UNKNOWN), "UNKNOWN");
	ck_assert_str_eq(result_status_name((enum result_status)7), "UNKNOWN");
}
END_TEST

START_TEST(analyse_success_output)
{
	struct buf out = BUF_INIT(BUF_CAP_DEFAULT), why = BUF_INIT(1024);

	load("success.out", &out);
	/* the check-build.sh lines ">> searching for 'ERROR: '" are not
	 * errors: the match is at a line's start */
	ck_assert_ptr_nonnull(strstr(out.s, ">> searching for 'ERROR: '"));
	ck_assert_ptr_nonnull(strstr(out.s, ">> searching for ' required "
				     "modules missing:'"));
	ck_assert_int_eq(result_analyse(out.s, out.len, &why), RESULT_SUCCESS);
	ck_assert_str_eq(why.s, "tarball created, no missing modules");
	ck_assert_int_eq(result_analyse(out.s, out.len, NULL), RESULT_SUCCESS);
	buf_release(&out);
	buf_release(&why);
}
END_TEST

START_TEST(analyse_failed_output)
{
	struct buf out = BUF_INIT(BUF_CAP_DEFAULT), why = BUF_INIT(1024);

	load("failure.out", &out);
	ck_assert_int_eq(result_analyse(out.s, out.len, &why), RESULT_FAILURE);
	CK_PREFIX(why.s, "2 ERROR lines, 1 FAILED line, 1 line reporting "
		  "required modules missing; first: FAILED: Installation "
		  "ended unsuccessfully");
	ck_assert_uint_le(why.len, RESULT_WHY_MAX);
	ck_assert_str_eq(why.s + why.len - 3, "...");
	buf_release(&out);
	buf_release(&why);
}
END_TEST

static const struct {
	const char *out;
	size_t len; /* 0: strlen */
	enum result_status st;
	const char *why; /* exact, or NULL */
} cases[] = {
	{ "", 0, RESULT_UNKNOWN, "the job output is empty" },
	{ "No missing installations, party time!\n", 0, RESULT_UNKNOWN,
	  "no missing installations, but no tarball created" },
	{ "building\nall fine\n", 0, RESULT_UNKNOWN,
	  "no error reported, but no tarball created" },
	{ "/x/eessi-2023.06-compat-linux-x86_64-1.tar.gz created!", 0,
	  RESULT_SUCCESS, "tarball created, no missing modules (no \"No "
	  "missing installations\" line)" },
	{ "x.tar.gz created!\nNo missing installations\n", 0, RESULT_SUCCESS,
	  "tarball created, no missing modules" },
	/* "tar.* created!": the order counts, and the '!' and the blank */
	{ "created! x.tar.gz\n", 0, RESULT_UNKNOWN, NULL },
	{ "x.tar.gz created\n", 0, RESULT_UNKNOWN, NULL },
	{ "x.tar.gzcreated!\n", 0, RESULT_UNKNOWN, NULL },
	/* errors at a line's start, after blanks, colours or "== " */
	{ "x.tar.gz created!\n  ERROR: late\n", 0, RESULT_FAILURE,
	  "1 ERROR line; first: ERROR: late" },
	{ "\033[31mFATAL: no space left\033[0m\n", 0, RESULT_FAILURE,
	  "1 FATAL line; first: FATAL: no space left" },
	{ "== FAILED: Installation ended\n", 0, RESULT_FAILURE,
	  "1 FAILED line; first: FAILED: Installation ended" },
	{ "x.tar.gz created!\nsaw an ERROR: inside\n", 0, RESULT_SUCCESS, NULL },
	{ "x.tar.gz created!\n>> searching for 'FATAL: '\n", 0, RESULT_SUCCESS,
	  NULL },
	{ "No missing installations\n>> searching for '\\.tar\\.gz created!'\n",
	  0, RESULT_UNKNOWN, "no missing installations, but no tarball "
	  "created" },
	/* only at a line's very start, as check-build.sh's grep -v */
	{ "x.tar.gz created!\n >> searching for ' required modules missing:'"
	  "\n", 0, RESULT_FAILURE, NULL },
	{ "x.tar.gz created!\nERROR:no blank\nerror: lowercase\n", 0,
	  RESULT_SUCCESS, NULL },
	/* a carriage return starts a line too */
	{ "progress 10%\rERROR: gone\n", 0, RESULT_FAILURE,
	  "1 ERROR line; first: ERROR: gone" },
	{ "x.tar.gz created!\n3 out of 9 required modules missing:\n", 0,
	  RESULT_FAILURE, "1 line reporting required modules missing; first: "
	  "3 out of 9 required modules missing:" },
	/* by len, not strlen: a NUL hides nothing */
	{ "ok\0\nERROR: after NUL\n", 21, RESULT_FAILURE,
	  "1 ERROR line; first: ERROR: after NUL" },
	{ "x.tar\0.gz created!", 18, RESULT_SUCCESS, NULL },
	/* quoted job text cannot make markup */
	{ "ERROR: <img src=x> | `rm` & co\n", 0, RESULT_FAILURE,
	  "1 ERROR line; first: ERROR: ?img src=x? ? ?rm? ? co" },
	{ "ERROR: a\nERROR: b\nFATAL: c\nFAILED: d\nFAILED: e\n", 0,
	  RESULT_FAILURE, "1 FATAL line, 2 ERROR lines, 2 FAILED lines; "
	  "first: ERROR: a" },
};

START_TEST(analyse_cases)
{
	struct buf why = BUF_INIT(1024);
	size_t len = cases[_i].len ? cases[_i].len : strlen(cases[_i].out);

	ck_assert_msg(result_analyse(cases[_i].out, len, &why) == cases[_i].st,
		      "case %d: %s", _i, why.s);
	if (cases[_i].why)
		ck_assert_str_eq(why.s, cases[_i].why);
	else
		ck_assert_uint_gt(why.len, 0);
	buf_release(&why);
}
END_TEST

START_TEST(analyse_why_bounded_and_cap)
{
	struct buf out = BUF_INIT(BUF_CAP_DEFAULT), why = BUF_INIT(1024);
	struct buf small = BUF_INIT(10);
	int i;

	ck_assert_int_eq(buf_adds(&out, "ERROR: "), 0);
	for (i = 0; i < 1000; i++) /* two-byte characters: the cut must not
				    * split one */
		ck_assert_int_eq(buf_adds(&out, "\xc3\xa9"), 0);
	ck_assert_int_eq(result_analyse(out.s, out.len, &why), RESULT_FAILURE);
	ck_assert_uint_le(why.len, RESULT_WHY_MAX);
	ck_assert_uint_ge(why.len, RESULT_WHY_MAX - 4);
	ck_assert(utf8_valid((const unsigned char *)why.s, why.len));
	ck_assert_str_eq(why.s + why.len - 3, "...");
	/* a why too small for the sentence stays empty; the verdict stands */
	ck_assert_int_eq(buf_adds(&small, "old"), 0);
	ck_assert_int_eq(result_analyse(out.s, out.len, &small), RESULT_FAILURE);
	ck_assert_uint_eq(small.len, 0);
	ck_assert_int_eq(result_analyse(NULL, 5, &why), RESULT_UNKNOWN);
	buf_release(&small);
	buf_release(&out);
	buf_release(&why);
}
END_TEST

/* ---- result_excerpt ---- */

START_TEST(excerpt_last_lines)
{
	struct buf out = BUF_INIT(BUF_CAP_DEFAULT), x = BUF_INIT(4096);

	numbered(&out, 100, 0);
	ck_assert_int_eq(result_excerpt(out.s, out.len, &x), 0);
	ck_assert_msg(strncmp(x.s, "line 76\nline 77\n", 16) == 0, "%s", x.s);
	ck_assert_str_eq(x.s + x.len - 9, "\nline 100");
	ck_assert_uint_eq(count_char(x.s, '\n'), RESULT_EXCERPT_LINES - 1);
	/* a last line without '\n' counts */
	ck_assert_int_eq(result_excerpt("a\nb", 3, &x), 0);
	ck_assert_str_eq(x.s, "a\nb");
	ck_assert_int_eq(result_excerpt("", 0, &x), 0);
	ck_assert_uint_eq(x.len, 0);
	ck_assert_int_eq(result_excerpt(NULL, 3, &x), 0);
	ck_assert_uint_eq(x.len, 0);
	buf_release(&out);
	buf_release(&x);
}
END_TEST

START_TEST(excerpt_ends_after_last_error)
{
	struct buf out = BUF_INIT(BUF_CAP_DEFAULT), x = BUF_INIT(4096);

	numbered(&out, 100, 50);
	ck_assert_int_eq(result_excerpt(out.s, out.len, &x), 0);
	/* 25 lines ending RESULT_EXCERPT_AFTER (2) after the error */
	ck_assert_msg(strncmp(x.s, "line 28\n", 8) == 0, "%s", x.s);
	ck_assert_str_eq(x.s + x.len - 28, "\nERROR: boom\nline 51\nline 52");
	ck_assert_uint_eq(count_char(x.s, '\n'), RESULT_EXCERPT_LINES - 1);
	/* an error near the end: the window is the last lines */
	numbered(&out, 100, 99);
	ck_assert_int_eq(result_excerpt(out.s, out.len, &x), 0);
	ck_assert_str_eq(x.s + x.len - 9, "\nline 100");
	/* an error near the start: fewer lines */
	numbered(&out, 100, 3);
	ck_assert_int_eq(result_excerpt(out.s, out.len, &x), 0);
	ck_assert_str_eq(x.s, "line 1\nline 2\nERROR: boom\nline 4\nline 5");
	buf_release(&out);
	buf_release(&x);
}
END_TEST

START_TEST(excerpt_of_failed_build)
{
	struct buf out = BUF_INIT(BUF_CAP_DEFAULT), x = BUF_INIT(4096);

	load("failure.out", &out);
	ck_assert_int_eq(result_excerpt(out.s, out.len, &x), 0);
	ck_clean_excerpt(&x);
	/* ends 2 lines after "ERROR: On no, ..." */
	ck_assert_ptr_nonnull(strstr(x.s, "1 out of 52 required modules missing:"));
	ck_assert_str_eq(strrchr(x.s, '\n') + 1,
			 "bot/check-build.sh: obtaining configuration settings "
			 "from './cfg/job.cfg'");
	ck_assert_ptr_null(strstr(x.s, ">> analysing job"));
	buf_release(&out);
	buf_release(&x);
}
END_TEST

START_TEST(excerpt_strips_colours_and_carriage_returns)
{
	struct buf out = BUF_INIT(BUF_CAP_DEFAULT), x = BUF_INIT(4096);

	load("ansi.out", &out);
	ck_assert_ptr_nonnull(memchr(out.s, 0x1b, out.len));
	ck_assert_int_eq(result_excerpt(out.s, out.len, &x), 0);
	ck_clean_excerpt(&x);
	/* the window ends 2 lines after the (red) ERROR line */
	ck_assert_str_eq(x.s,
			 "Downloading foo-1.0.tar.gz: 100%\n"
			 ">> Building foo\n"
			 "ERROR: compilation failed\n"
			 "plain after OSC\n"
			 "charset designation");
	/* without it, the last line's BEL and BS go too */
	ck_assert_int_eq(result_excerpt(strstr(out.s, "plain"),
					out.len - (size_t)(strstr(out.s, "plain") -
							   out.s), &x), 0);
	ck_assert_str_eq(x.s, "plain after OSC\ncharset designation\n"
			 "bell and backspace gone");
	buf_release(&out);
	buf_release(&x);
}
END_TEST

START_TEST(excerpt_drops_controls_and_bad_bytes)
{
	static const char in[] = "a\x01" "b\x7f" "c\xff" "d\xc2\x85" "e\tf\0g"
				 "\xe2\x82\xac" "\xed\xa0\x80" "\xc0\xaf\n"
				 "\033[31";
	struct buf x = BUF_INIT(4096);

	ck_assert_int_eq(result_excerpt(in, sizeof(in) - 1, &x), 0);
	/* C0 and DEL and C1 (U+0085) dropped, '\t' kept, 0xff '?', the NUL
	 * dropped (not the end), the euro sign kept, a surrogate and an
	 * overlong encoding '?' per byte, a cut CSI gone */
	ck_assert_str_eq(x.s, "abc?de\tfg\xe2\x82\xac???\?\?\n");
	buf_release(&x);
}
END_TEST

START_TEST(excerpt_bounded_in_bytes)
{
	struct buf out = BUF_INIT(BUF_CAP_DEFAULT), x = BUF_INIT(4096);
	size_t i;
	int n;

	for (n = 1; n <= 30; n++) {
		ck_assert_int_eq(buf_addf(&out, "%02d ", n), 0);
		for (i = 0; i < 297; i++)
			ck_assert_int_eq(buf_addch(&out, 'x'), 0);
		ck_assert_int_eq(buf_addch(&out, '\n'), 0);
	}
	ck_assert_int_eq(result_excerpt(out.s, out.len, &x), 0);
	ck_clean_excerpt(&x);
	/* 300-byte lines: 6 fit in 2000 (6 * 301 - 1); whole lines dropped
	 * from the start, the last kept */
	ck_assert_uint_eq(x.len, 6 * 301 - 1);
	ck_assert(strncmp(x.s, "25 xxx", 6) == 0);
	ck_assert(strncmp(strrchr(x.s, '\n') + 1, "30 xxx", 6) == 0);

	/* one huge line of two-byte characters: cut at a boundary */
	buf_clear(&out);
	for (i = 0; i < 5000; i++)
		ck_assert_int_eq(buf_adds(&out, "\xc3\xa9"), 0);
	ck_assert_int_eq(result_excerpt(out.s, out.len, &x), 0);
	ck_clean_excerpt(&x);
	ck_assert_uint_le(x.len, RESULT_EXCERPT_LINE_MAX);
	ck_assert_uint_ge(x.len, RESULT_EXCERPT_LINE_MAX - 4);
	ck_assert_str_eq(x.s + x.len - 3, "...");
	buf_release(&out);
	buf_release(&x);
}
END_TEST

START_TEST(excerpt_cap_fails_cleanly)
{
	struct buf out = BUF_INIT(BUF_CAP_DEFAULT), x = BUF_INIT(10);

	numbered(&out, 30, 0);
	ck_assert_int_eq(buf_adds(&x, "old"), 0);
	errno = 0;
	ck_assert_int_eq(result_excerpt(out.s, out.len, &x), -1);
	ck_assert_int_eq(errno, E2BIG);
	ck_assert_uint_eq(x.len, 0);
	buf_release(&out);
	buf_release(&x);
}
END_TEST

/* Both functions are total on arbitrary bytes: random input, biased
 * towards the bytes that matter (newlines, CR, ESC, UTF-8 leads, the
 * markers), checked against the promises. */
START_TEST(total_on_random_bytes)
{
	static const char *const pieces[] = {
		"\n", "\r", "\033", "\033[", "\033]", "\007", "\0", "\xc3",
		"\xe2\x82", "\xf0\x9f\x98\x80", "\xff", "ERROR: ", "FATAL: ",
		"FAILED: ", " required modules missing:", ".tar.gz created!",
		"No missing installations", "== ", " ", "\t", "x", "31m",
	};
	struct buf in = BUF_INIT(BUF_CAP_DEFAULT), x = BUF_INIT(4096);
	struct buf why = BUF_INIT(1024);
	uint64_t s = 0x9e3779b97f4a7c15ULL;
	int round, k, n;

	for (round = 0; round < 3000; round++) {
		buf_clear(&in);
		s ^= s << 13, s ^= s >> 7, s ^= s << 17;
		n = (int)(s % 300);
		for (k = 0; k < n; k++) {
			const char *p;

			s ^= s << 13, s ^= s >> 7, s ^= s << 17;
			if (s % 3 == 0) {
				ck_assert_int_eq(buf_addch(&in, (char)(s >> 24)), 0);
				continue;
			}
			p = pieces[(s >> 8) % (sizeof(pieces) / sizeof(pieces[0]))];
			ck_assert_int_eq(buf_add(&in, p, p[0] ? strlen(p) : 1), 0);
		}
		ck_assert_int_le(result_analyse(in.s, in.len, &why),
				 RESULT_UNKNOWN);
		ck_assert_uint_le(why.len, RESULT_WHY_MAX);
		ck_assert_uint_gt(why.len, 0);
		ck_assert(utf8_valid((const unsigned char *)why.s, why.len));
		ck_assert_ptr_null(strpbrk(why.s, "<>&|`\n\r\033"));
		ck_assert_int_eq(result_excerpt(in.s, in.len, &x), 0);
		ck_clean_excerpt(&x);
	}
	buf_release(&in);
	buf_release(&x);
	buf_release(&why);
}
END_TEST

/* ---- artefact names ---- */

START_TEST(artefact_names)
{
	char longest[RESULT_ARTEFACT_NAME_MAX + 2];

	ck_assert(result_valid_artefact(SUCCESS_TARBALL));
	ck_assert(result_valid_artefact("a"));
	ck_assert(result_valid_artefact("x+y_z.1-2"));
	ck_assert(result_valid_artefact("..."));
	ck_assert(!result_valid_artefact(NULL));
	ck_assert(!result_valid_artefact(""));
	ck_assert(!result_valid_artefact("."));
	ck_assert(!result_valid_artefact(".."));
	ck_assert(!result_valid_artefact("../../etc/passwd"));
	ck_assert(!result_valid_artefact("a/b"));
	ck_assert(!result_valid_artefact("a b"));
	ck_assert(!result_valid_artefact("-rf"));
	ck_assert(!result_valid_artefact("a\tb"));
	ck_assert(!result_valid_artefact("$(reboot)"));
	ck_assert(!result_valid_artefact("caf\xc3\xa9"));
	memset(longest, 'a', sizeof(longest));
	longest[RESULT_ARTEFACT_NAME_MAX] = '\0';
	ck_assert(result_valid_artefact(longest));
	longest[RESULT_ARTEFACT_NAME_MAX] = 'a';
	longest[RESULT_ARTEFACT_NAME_MAX + 1] = '\0';
	ck_assert(!result_valid_artefact(longest));
}
END_TEST

/* ---- result_read ---- */

START_TEST(read_success_result_and_test)
{
	struct result r;

	fixture("success.result", "_bot_job1000.result");
	fixture("success.test", "_bot_job1000.test");
	fixture("failure.out", "slurm-1000.out"); /* not consulted */
	read_ok(1000, &r);
	ck_assert_int_eq(r.status, RESULT_SUCCESS);
	ck_assert_str_eq(r.source, "result file");
	ck_assert_ptr_nonnull(r.description);
	ck_assert(strncmp(r.description, "<details><summary>:grin: SUCCESS", 32) == 0);
	ck_assert_str_eq(r.description + strlen(r.description) - 10, "</details>");
	ck_assert_uint_eq(r.nartefacts, 1);
	ck_assert_str_eq(r.artefacts[0], SUCCESS_TARBALL);
	ck_assert_uint_eq(r.bad_artefacts, 0);
	ck_assert_int_eq(r.has_test, 1);
	ck_assert_int_eq(r.test_status, RESULT_SUCCESS);
	ck_assert_ptr_nonnull(strstr(r.test_description, "ReFrame test suite passed"));
	ck_assert_ptr_null(r.excerpt);
	result_release(&r);
	ck_assert_ptr_null(r.description);
	ck_assert_uint_eq(r.nartefacts, 0);
	result_release(&r); /* twice is fine */
}
END_TEST

START_TEST(read_lowercase_failure_with_excerpt)
{
	struct result r;

	fixture("lowercase.result", "_bot_job2000.result");
	fixture("failure.test", "_bot_job2000.test");
	fixture("failure.out", "slurm-2000.out");
	read_ok(2000, &r);
	ck_assert_int_eq(r.status, RESULT_FAILURE);
	ck_assert_str_eq(r.source, "result file");
	ck_assert_str_eq(r.description, "<details><summary>:cry: FAILURE "
			 "_(click triangle for details)_</summary></details>");
	ck_assert_uint_eq(r.nartefacts, 0);
	ck_assert_ptr_null(r.artefacts);
	ck_assert_int_eq(r.has_test, 1);
	ck_assert_int_eq(r.test_status, RESULT_FAILURE);
	ck_assert_str_eq(r.test_description, ":cry: FAILURE: 2 ReFrame tests failed");
	ck_assert_ptr_nonnull(r.excerpt);
	ck_assert_ptr_nonnull(strstr(r.excerpt, "ERROR: On no, some installations"));
	ck_assert_uint_le(strlen(r.excerpt), RESULT_EXCERPT_MAX);
	result_release(&r);
}
END_TEST

START_TEST(read_status_not_understood)
{
	struct result r;

	fixture("weird-status.result", "_bot_job7.result");
	read_ok(7, &r);
	ck_assert_int_eq(r.status, RESULT_UNKNOWN);
	ck_assert_str_eq(r.source, "result file");
	ck_assert_str_eq(r.description,
			 "_bot_job7.result: status \"MAYBE?script?\" not understood");
	ck_assert_ptr_null(r.excerpt); /* no output */
	ck_assert_int_eq(r.has_test, 0);
	ck_assert_ptr_null(r.test_description);
	result_release(&r);

	fixture("nosection.result", "_bot_job8.result");
	read_ok(8, &r);
	ck_assert_int_eq(r.status, RESULT_UNKNOWN);
	ck_assert_str_eq(r.description, "_bot_job8.result has no [RESULT] section");
	result_release(&r);

	fixture("nostatus.result", "_bot_job9.result");
	read_ok(9, &r);
	ck_assert_int_eq(r.status, RESULT_UNKNOWN);
	ck_assert_str_eq(r.description, "_bot_job9.result has no status");
	result_release(&r);
}
END_TEST

START_TEST(read_malformed_result)
{
	struct result r;

	fixture("malformed.result", "_bot_job123.result");
	fixture("failure.out", "slurm-123.out");
	read_ok(123, &r);
	ck_assert_int_eq(r.status, RESULT_UNKNOWN);
	ck_assert_str_eq(r.source, "result file");
	CK_PREFIX(r.description, "_bot_job123.result line 4: ");
	ck_assert_ptr_nonnull(r.excerpt); /* the output still gives one */
	ck_assert_ptr_nonnull(strstr(r.excerpt, "ERROR: "));
	result_release(&r);
}
END_TEST

START_TEST(read_hostile_artefacts)
{
	struct result r;

	fixture("hostile.result", "_bot_job5.result");
	read_ok(5, &r);
	ck_assert_int_eq(r.status, RESULT_SUCCESS);
	ck_assert_uint_eq(r.nartefacts, 2);
	ck_assert_str_eq(r.artefacts[0], SUCCESS_TARBALL);
	ck_assert_str_eq(r.artefacts[1],
			 "eessi-2023.06-init-linux-x86_64-generic-1700000001.tar.gz");
	/* ../../etc/passwd, "a b", "..", "-rf"; the blank line is no entry */
	ck_assert_uint_eq(r.bad_artefacts, 4);
	result_release(&r);
}
END_TEST

START_TEST(read_multiline_description_is_one_line)
{
	struct result r;

	fixture("multiline.result", "_bot_job6.result");
	read_ok(6, &r);
	ck_assert_str_eq(r.description, "first line second line");
	result_release(&r);
}
END_TEST

START_TEST(read_symlinks_ignored)
{
	char path[256], target[256];
	struct result r;

	/* a valid SUCCESS result behind a symlink: the bot must not follow
	 * it (it could as well point at /etc/shadow) */
	fixture("success.result", "real.result");
	fixture("success.test", "real.test");
	fixture("failure.out", "slurm-42.out");
	job_path(path, sizeof(path), "_bot_job42.result");
	job_path(target, sizeof(target), "real.result");
	ck_assert_int_eq(symlink(target, path), 0);
	job_path(path, sizeof(path), "_bot_job42.test");
	ck_assert_int_eq(symlink("/etc/passwd", path), 0);
	read_ok(42, &r);
	ck_assert_int_eq(r.status, RESULT_FAILURE);
	ck_assert_str_eq(r.source, "job output");
	CK_PREFIX(r.description, "_bot_job42.result is a symlink: ignored; "
		  "slurm-42.out: 2 ERROR lines");
	ck_assert_uint_eq(r.nartefacts, 0);
	ck_assert_int_eq(r.has_test, 0);
	ck_assert_str_eq(r.test_description, "_bot_job42.test is a symlink: ignored");
	ck_assert_ptr_nonnull(r.excerpt);
	result_release(&r);

	/* the output behind a symlink: nothing to go by */
	job_path(path, sizeof(path), "slurm-43.out");
	job_path(target, sizeof(target), "slurm-42.out");
	ck_assert_int_eq(symlink(target, path), 0);
	read_ok(43, &r);
	ck_assert_int_eq(r.status, RESULT_UNKNOWN);
	ck_assert_str_eq(r.source, "nothing");
	ck_assert_str_eq(r.description, "no _bot_job43.result; slurm-43.out is "
			 "a symlink: ignored");
	ck_assert_ptr_null(r.excerpt);
	result_release(&r);
}
END_TEST

START_TEST(read_fifo_and_directory_ignored)
{
	char path[256];
	struct result r;

	/* a FIFO would block an open() without O_NONBLOCK: the test would
	 * hang until check's timeout */
	job_path(path, sizeof(path), "_bot_job44.result");
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	job_path(path, sizeof(path), "slurm-44.out");
	ck_assert_int_eq(mkdir(path, 0700), 0);
	read_ok(44, &r);
	ck_assert_int_eq(r.status, RESULT_UNKNOWN);
	ck_assert_str_eq(r.source, "nothing");
	ck_assert_str_eq(r.description,
			 "_bot_job44.result is not a regular file: ignored; "
			 "slurm-44.out is not a regular file: ignored");
	result_release(&r);
}
END_TEST

START_TEST(read_without_result_file)
{
	struct result r;

	fixture("success.out", "slurm-1000.out");
	read_ok(1000, &r);
	ck_assert_int_eq(r.status, RESULT_SUCCESS);
	ck_assert_str_eq(r.source, "job output");
	ck_assert_str_eq(r.description, "no _bot_job1000.result; slurm-1000.out: "
			 "tarball created, no missing modules");
	ck_assert_uint_eq(r.nartefacts, 0); /* only a result file names them */
	ck_assert_ptr_null(r.excerpt);
	result_release(&r);

	fixture("failure.out", "slurm-2000.out");
	read_ok(2000, &r);
	ck_assert_int_eq(r.status, RESULT_FAILURE);
	ck_assert_str_eq(r.source, "job output");
	ck_assert_ptr_nonnull(r.excerpt);
	result_release(&r);

	read_ok(3000, &r); /* nothing at all */
	ck_assert_int_eq(r.status, RESULT_UNKNOWN);
	ck_assert_str_eq(r.source, "nothing");
	ck_assert_str_eq(r.description, "no _bot_job3000.result; no slurm-3000.out");
	ck_assert_int_eq(r.has_test, 0);
	ck_assert_ptr_null(r.excerpt);
	result_release(&r);

	put("slurm-3001.out", "", 0); /* empty output: no excerpt */
	read_ok(3001, &r);
	ck_assert_int_eq(r.status, RESULT_UNKNOWN);
	ck_assert_str_eq(r.source, "job output");
	ck_assert_str_eq(r.description, "no _bot_job3001.result; slurm-3001.out: "
			 "the job output is empty");
	ck_assert_ptr_null(r.excerpt);
	result_release(&r);
}
END_TEST

/* 5 MiB of output: only the last MiB is read (so an early ERROR is not
 * seen), and the first line cut by the tail is dropped. */
START_TEST(read_huge_output)
{
	struct buf out = BUF_INIT(BUF_CAP_DEFAULT);
	struct result r;
	char path[256];
	FILE *f;

	ck_assert_int_eq(buf_adds(&out, "ERROR: early, beyond the tail\n"), 0);
	while (out.len < 5 * 1024 * 1024)
		ck_assert_int_eq(buf_addf(&out, "== compiling object %zu of many "
					  "with a long-ish line of output\n",
					  out.len), 0);
	ck_assert_int_eq(buf_adds(&out, "/jobs/" SUCCESS_TARBALL " created!\n"
				  "No missing installations\n"), 0);
	put("slurm-77.out", out.s, out.len);
	read_ok(77, &r);
	ck_assert_int_eq(r.status, RESULT_SUCCESS);
	ck_assert_str_eq(r.source, "job output");
	ck_assert_ptr_nonnull(strstr(r.description, "slurm-77.out (last 1048576 of "));
	ck_assert_ptr_nonnull(strstr(r.description, "tarball created, no missing modules"));
	ck_assert_ptr_null(r.excerpt);
	result_release(&r);

	/* a failure at the end: the excerpt, all whole lines */
	job_path(path, sizeof(path), "slurm-77.out");
	f = fopen(path, "a");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs("FATAL: out of disk space\nbye\n", f), 0);
	ck_assert_int_eq(fclose(f), 0);
	read_ok(77, &r);
	ck_assert_int_eq(r.status, RESULT_FAILURE);
	ck_assert_ptr_nonnull(strstr(r.description, "1 FATAL line; first: FATAL: out of disk space"));
	ck_assert_ptr_nonnull(r.excerpt);
	ck_assert_str_eq(r.excerpt + strlen(r.excerpt) - 28, "FATAL: out of disk space\nbye");
	ck_assert(strncmp(r.excerpt, "== compiling object ", 20) == 0);
	result_release(&r);
	buf_release(&out);
}
END_TEST

START_TEST(read_oversized_result_file)
{
	struct buf text = BUF_INIT(BUF_CAP_DEFAULT);
	struct result r;

	ck_assert_int_eq(buf_adds(&text, "[RESULT]\nstatus = SUCCESS\n"), 0);
	while (text.len <= INI_MAX_BYTES)
		ck_assert_int_eq(buf_adds(&text, "# padding padding padding\n"), 0);
	put("_bot_job88.result", text.s, text.len);
	read_ok(88, &r);
	ck_assert_int_eq(r.status, RESULT_UNKNOWN);
	ck_assert_str_eq(r.source, "result file");
	ck_assert_str_eq(r.description, "_bot_job88.result is larger than 1048576 bytes");
	result_release(&r);
	buf_release(&text);
}
END_TEST

START_TEST(read_missing_job_dir_and_bad_arguments)
{
	struct result r;
	struct err e = ERR_INIT;

	ck_assert_int_eq(result_read("/nonexistent/eessi-job-dir", 1, &r, &e), 0);
	ck_assert_int_eq(r.status, RESULT_UNKNOWN);
	ck_assert_str_eq(r.source, "nothing");
	ck_assert_str_eq(r.description, "the job directory is gone");
	ck_assert_int_eq(r.has_test, 0);
	result_release(&r);

	ck_assert_int_eq(result_read(dir, 0, &r, &e), -1);
	ck_assert_int_eq(e.code, ERR_INVAL);
	ck_assert_ptr_null(r.description);
	err_clear(&e);
	ck_assert_int_eq(result_read(NULL, 1, &r, &e), -1);
	ck_assert_int_eq(e.code, ERR_INVAL);
	err_clear(&e);
	ck_assert_int_eq(result_read(dir, 1, NULL, &e), -1);
	ck_assert_int_eq(e.code, ERR_INVAL);
}
END_TEST

Suite *result_suite(void)
{
	Suite *s = suite_create("result");
	TCase *pure = tcase_create("analyse-excerpt");
	TCase *files = tcase_create("read");

	tcase_add_test(pure, status_names);
	tcase_add_test(pure, analyse_success_output);
	tcase_add_test(pure, analyse_failed_output);
	tcase_add_loop_test(pure, analyse_cases, 0,
			    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(pure, analyse_why_bounded_and_cap);
	tcase_add_test(pure, excerpt_last_lines);
	tcase_add_test(pure, excerpt_ends_after_last_error);
	tcase_add_test(pure, excerpt_of_failed_build);
	tcase_add_test(pure, excerpt_strips_colours_and_carriage_returns);
	tcase_add_test(pure, excerpt_drops_controls_and_bad_bytes);
	tcase_add_test(pure, excerpt_bounded_in_bytes);
	tcase_add_test(pure, excerpt_cap_fails_cleanly);
	tcase_add_test(pure, total_on_random_bytes);
	tcase_add_test(pure, artefact_names);
	tcase_set_timeout(pure, 30);
	suite_add_tcase(s, pure);

	tcase_add_checked_fixture(files, setup, teardown);
	tcase_add_test(files, read_success_result_and_test);
	tcase_add_test(files, read_lowercase_failure_with_excerpt);
	tcase_add_test(files, read_status_not_understood);
	tcase_add_test(files, read_malformed_result);
	tcase_add_test(files, read_hostile_artefacts);
	tcase_add_test(files, read_multiline_description_is_one_line);
	tcase_add_test(files, read_symlinks_ignored);
	tcase_add_test(files, read_fifo_and_directory_ignored);
	tcase_add_test(files, read_without_result_file);
	tcase_add_test(files, read_huge_output);
	tcase_add_test(files, read_oversized_result_file);
	tcase_add_test(files, read_missing_job_dir_and_bad_arguments);
	tcase_set_timeout(files, 30);
	suite_add_tcase(s, files);
	return s;
}
