/* test_status.c - the status comment: its exact text, the headline when
 * parts are not known yet, and values from outside that try to break the
 * table, inject HTML or Markdown, or close the marker; the collapsed
 * blocks of job output and the clean text they hold. */
#include <string.h>

#include "status.h"
#include "unit.h"

#define SHA1 "0123456789abcdef0123456789abcdef01234567"
#define SHA2 "89abcdef0123456789abcdef0123456789abcdef"
#define UUID "3f1c2d4e-aa01-11ef-9c3b-0242ac120002"

static const struct status_head head = {
	"test-bot", UUID, "boegel", SHA1, "2023.06-software", SHA2,
};

static const struct status_row rows[] = {
	{ "linux/x86_64/amd/zen2", 1234, "held", NULL, 1795000000 },
	{ "linux/x86_64/generic", 0, "preparing", "", 1795000300 },
	{ "linux/aarch64/neoverse_v1", 1236, "finished", "SUCCESS", 0 },
};

/* Renders into a fresh buffer, which must succeed. */
static void render(const struct status_head *h, const struct status_row *r,
		   size_t n, struct buf *out)
{
	buf_init(out, BUF_CAP_DEFAULT);
	ck_assert_int_eq(status_render(h, r, n, out), 0);
}

START_TEST(whole_comment)
{
	struct buf out;

	render(&head, rows, 3, &out);
	ck_assert_str_eq(out.s,
		"<!-- eessi-bot status instance=test-bot delivery=" UUID " -->\n"
		"**Build on `test-bot`** requested by @boegel: `0123456` (PR head) "
		"merged onto `2023.06-software` at `89abcde`.\n"
		"\n"
		"| target | job | state | last change |\n"
		"|---|---|---|---|\n"
		"| linux/x86_64/amd/zen2 | 1234 | held | 2026-11-18 11:06:40 UTC |\n"
		"| linux/x86_64/generic | - | preparing | 2026-11-18 11:11:40 UTC |\n"
		"| linux/aarch64/neoverse_v1 | 1236 | finished<br>SUCCESS | - |\n"
		"<!-- eessi-bot end -->\n");
	buf_release(&out);

	/* no rows yet: the table head alone */
	render(&head, NULL, 0, &out);
	ck_assert_ptr_nonnull(strstr(out.s, "|---|---|---|---|\n"
					    "<!-- eessi-bot end -->\n"));
	buf_release(&out);
}
END_TEST

START_TEST(marker_is_the_first_line)
{
	struct buf out = BUF_INIT(BUF_CAP_DEFAULT), comment;

	ck_assert_int_eq(status_marker("test-bot", UUID, &out), 0);
	ck_assert_str_eq(out.s, "<!-- eessi-bot status instance=test-bot "
				"delivery=" UUID " -->\n");
	render(&head, rows, 1, &comment);
	ck_assert_int_eq(strncmp(comment.s, out.s, out.len), 0);
	buf_release(&comment);

	/* nothing can close the comment early or add a line */
	buf_clear(&out);
	ck_assert_int_eq(status_marker("x --><script>alert(1)</script>",
				       "a\n<!-- b", &out), 0);
	ck_assert_str_eq(out.s, "<!-- eessi-bot status instance=x_--__script_"
				"alert_1___script_ delivery=a___--_b -->\n");
	buf_release(&out);
}
END_TEST

START_TEST(headline_says_what_is_not_known)
{
	struct status_head h = head;
	struct buf out, line;

	h.head_sha = "";
	h.base_sha = "";
	render(&h, rows, 1, &out);
	unit_line_of(out.s, "**", &line);
	ck_assert_str_eq(line.s, "**Build on `test-bot`** requested by @boegel: "
				 "PR head not known yet, base branch "
				 "`2023.06-software`.");
	buf_release(&line);
	buf_release(&out);

	h = head;
	h.base_ref = "";
	h.base_sha = "";
	h.user = "";
	render(&h, rows, 1, &out);
	unit_line_of(out.s, "**", &line);
	ck_assert_str_eq(line.s, "**Build on `test-bot`**: `0123456` (PR head).");
	buf_release(&line);
	buf_release(&out);

	h = head;
	h.base_sha = NULL;
	h.head_sha = NULL;
	h.base_ref = NULL;
	render(&h, rows, 1, &out);
	unit_line_of(out.s, "**", &line);
	ck_assert_str_eq(line.s, "**Build on `test-bot`** requested by @boegel: "
				 "PR head not known yet.");
	buf_release(&line);
	buf_release(&out);
}
END_TEST

START_TEST(cells_cannot_break_the_table)
{
	static const struct status_row evil[] = {
		{ "a|b\n| x | y | z | w |\n<script>alert(1)</script>", 1,
		  "`code` & \\|pipe\r\n\tend\x1b[2J", "note | `x` <img src=x "
		  "onerror=alert(1)>\nsecond line", 5 },
	};
	struct buf out, line;

	render(&head, evil, 1, &out);
	unit_line_of(out.s, "| a", &line);
	ck_assert_str_eq(line.s,
		"| a\\|b<br>\\| x \\| y \\| z \\| w \\|<br>"
		"&lt;script&gt;alert(1)&lt;/script&gt; | 1 | "
		"&#96;code&#96; &amp; &#92;\\|pipe<br> end[2J"
		"<br>note \\| &#96;x&#96; &lt;img src=x onerror=alert(1)&gt;"
		"<br>second line | 1970-01-01 00:00:05 UTC |");
	/* exactly one row: five separators, no raw '<', '>' or '`' */
	ck_assert_int_eq(unit_count_pipes(line.s), 5);
	ck_assert_ptr_null(strchr(line.s, '`'));
	ck_assert_ptr_null(strstr(line.s, "<script"));
	ck_assert_ptr_null(strstr(line.s, "<img"));
	ck_assert_ptr_null(strchr(line.s, '\r'));
	ck_assert_ptr_null(strchr(line.s, '\x1b'));
	buf_release(&line);
	buf_release(&out);
}
END_TEST

START_TEST(code_spans_cannot_be_closed)
{
	struct status_head h = {
		"bot`<b>x", UUID, "user <b>`x`</b>|", "`;id`", "main`\n| a |",
		"$(id)xxxxx",
	};
	struct buf out, line;
	const char *p;
	int ticks = 0;

	render(&h, rows, 1, &out);
	unit_line_of(out.s, "**", &line);
	ck_assert_str_eq(line.s,
		"**Build on `bot??b?x`** requested by @user &lt;b&gt;&#96;x&#96;"
		"&lt;/b&gt;\\|: `??id?` (PR head) merged onto `main????a??` at "
		"`??id?xx`.");
	for (p = line.s; *p; p++)
		ticks += *p == '`';
	ck_assert_int_eq(ticks, 8); /* four spans, each opened and closed */
	buf_release(&line);
	buf_release(&out);
}
END_TEST

START_TEST(notes_are_cut)
{
	struct status_row r = { "t", 1, "failed", NULL, 0 };
	struct buf note = BUF_INIT(BUF_CAP_DEFAULT), out, line, want;
	size_t i;
	int rc = 0;

	for (i = 0; i < 10 * 1024 && rc == 0; i++)
		rc = buf_addch(&note, 'n');
	ck_assert_int_eq(rc, 0);
	r.note = note.s;
	render(&head, &r, 1, &out);
	unit_line_of(out.s, "| t ", &line);
	buf_init(&want, BUF_CAP_DEFAULT);
	ck_assert_int_eq(buf_adds(&want, "| t | 1 | failed<br>"), 0);
	ck_assert_int_eq(buf_add(&want, note.s, 1000), 0);
	ck_assert_int_eq(buf_adds(&want, " [...] | - |"), 0);
	ck_assert_str_eq(line.s, want.s);
	buf_release(&line);
	buf_release(&out);

	/* exactly 1,000 bytes: not cut */
	buf_truncate(&note, 1000);
	render(&head, &r, 1, &out);
	ck_assert_ptr_null(strstr(out.s, "[...]"));
	buf_release(&out);

	/* a cut never splits a UTF-8 character: "é" at bytes 999-1000 */
	buf_truncate(&note, 999);
	ck_assert_int_eq(buf_adds(&note, "\xc3\xa9tail"), 0);
	render(&head, &r, 1, &out);
	ck_assert_ptr_null(strstr(out.s, "\xc3 [...]"));
	ck_assert_ptr_nonnull(strstr(out.s, "nnn [...] |"));
	buf_release(&out);
	buf_release(&want);
	buf_release(&note);
}
END_TEST

START_TEST(cap_hit_leaves_out_as_it_was)
{
	struct buf out = BUF_INIT(200);

	ck_assert_int_eq(buf_adds(&out, "keep"), 0);
	ck_assert_int_eq(status_render(&head, rows, 3, &out), -1);
	ck_assert_str_eq(out.s, "keep");
	buf_truncate(&out, 0);
	while (out.len < 160)
		if (buf_addch(&out, 'x') < 0)
			break;
	ck_assert_int_eq(status_marker("test-bot", UUID, &out), -1);
	ck_assert_uint_eq(out.len, 160);
	buf_release(&out);
}
END_TEST

START_TEST(code_text_is_harmless_and_cut)
{
	struct buf out = BUF_INIT(4096);

	ck_assert_int_eq(status_code_text(&out, "arch:$(id)`<b>\n\x01\xc3\xa9", 100), 0);
	ck_assert_str_eq(out.s, "arch:$(id)?<b>????");
	buf_clear(&out);
	ck_assert_int_eq(status_code_text(&out, "abcdef", 3), 0);
	ck_assert_str_eq(out.s, "abc...");
	buf_clear(&out);
	ck_assert_int_eq(status_code_text(&out, "abc", 3), 0);
	ck_assert_str_eq(out.s, "abc");
	buf_release(&out);
}
END_TEST

START_TEST(tail_goes_before_the_end_marker)
{
	struct buf plain, with = BUF_INIT(BUF_CAP_DEFAULT);

	render(&head, rows, 2, &plain);
	ck_assert_int_eq(status_render_with(&head, rows, 2, "\nTAIL\n", &with), 0);
	/* the same text, the tail inserted before the last line */
	ck_assert_uint_eq(with.len, plain.len + 6);
	ck_assert_int_eq(strncmp(with.s, plain.s, plain.len - 23), 0);
	ck_assert_str_eq(with.s + plain.len - 23,
			 "\nTAIL\n<!-- eessi-bot end -->\n");
	buf_clear(&with);
	ck_assert_int_eq(status_render_with(&head, rows, 2, NULL, &with), 0);
	ck_assert_str_eq(with.s, plain.s);
	buf_release(&with);
	buf_release(&plain);
}
END_TEST

/* The note of a row rendered alone: what follows "| t | 1 | finished<br>"
 * up to " | - |". */
static void note_of(const char *note, struct buf *cellout)
{
	struct status_row r = { "t", 1, "finished", note, 0 };
	struct buf out, line;
	const char *start, *end;

	render(&head, &r, 1, &out);
	unit_line_of(out.s, "| t ", &line);
	start = strstr(line.s, "finished<br>");
	ck_assert_ptr_nonnull(start);
	start += strlen("finished<br>");
	end = strstr(start, " | - |");
	ck_assert_ptr_nonnull(end);
	buf_init(cellout, BUF_CAP_DEFAULT);
	ck_assert_int_eq(buf_add(cellout, start, (size_t)(end - start)), 0);
	ck_assert_int_eq(unit_count_pipes(line.s), 5);
	buf_release(&line);
	buf_release(&out);
}

/* EESSI's check-build.sh writes comment_description as one line of HTML:
 * the tags show as a collapsed block, not as text. */
START_TEST(notes_keep_eessi_html)
{
	struct buf c;

	note_of("<details><summary>:cry: FAILURE _(click triangle for details)_"
		"</summary><ul><li>Job results in <code>_bot_job42.result</code></li>"
		"<li>:heavy_check_mark: no message matching <code>FATAL: </code></li>"
		"</ul></details>", &c);
	ck_assert_str_eq(c.s,
		"<details><summary>:cry: FAILURE _(click triangle for details)_"
		"</summary><ul><li>Job results in <code>_bot_job42.result</code></li>"
		"<li>:heavy_check_mark: no message matching <code>FATAL: </code></li>"
		"</ul></details>");
	buf_release(&c);
	/* any case, <br/> and <br />, the other allowed tags */
	note_of("<B>x</B><br/><br /><P><EM>e</EM><Sub>1</Sub><sup>2</sup>"
		"<strong>s</strong><i>i</i><pre>p</pre><ol><li>o</li></ol></P>", &c);
	ck_assert_str_eq(c.s, "<b>x</b><br><br><p><em>e</em><sub>1</sub>"
			 "<sup>2</sup><strong>s</strong><i>i</i><pre>p</pre>"
			 "<ol><li>o</li></ol></p>");
	buf_release(&c);
}
END_TEST

#define ZWSP "\xe2\x80\x8b" /* U+200B, after a '@' */

START_TEST(notes_escape_hostile_html)
{
	struct buf c;

	/* other tags, and allowed ones with attributes, are text */
	note_of("<script>alert(1)</script><img src=x onerror=alert(1)>"
		"<details open><a href=\"javascript:x\">l</a>"
		"<b onclick=\"x\">b</b><summary style=\"x\">", &c);
	ck_assert_str_eq(c.s,
		"&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x "
		"onerror=alert(1)&gt;&lt;details open&gt;&lt;a "
		"href=\"javascript:x\"&gt;l&lt;/a&gt;&lt;b onclick=\"x\"&gt;b"
		"&lt;/b&gt;&lt;summary style=\"x\"&gt;");
	buf_release(&c);
	/* unbalanced: a stray closing tag is text, an open one is closed */
	note_of("</details><details><summary>s</summary><ul><li>x", &c);
	ck_assert_str_eq(c.s, "&lt;/details&gt;<details><summary>s</summary>"
			 "<ul><li>x</li></ul></details>");
	buf_release(&c);
	/* crossed tags: the wrong closer is text */
	note_of("<b><i>x</b></i>", &c);
	ck_assert_str_eq(c.s, "<b><i>x&lt;/b&gt;</i></b>");
	buf_release(&c);
	/* pipes, newlines, mentions, backticks and entities stay neutral,
	 * inside allowed tags too */
	note_of("<code>a|b</code>\n@everyone @EESSI/maintainers `x` &#64;me "
		"e@ mail a @ b", &c);
	ck_assert_str_eq(c.s, "<code>a\\|b</code><br>@" ZWSP "everyone "
			 "@" ZWSP "EESSI/maintainers &#96;x&#96; &amp;#64;me "
			 "e@ mail a @ b");
	buf_release(&c);
	/* deeper than 16 levels: the rest is text, all closed */
	note_of("<b><b><b><b><b><b><b><b><b><b><b><b><b><b><b><b><b>x", &c);
	ck_assert_ptr_nonnull(strstr(c.s, "&lt;b&gt;x"));
	ck_assert_ptr_nonnull(strstr(c.s, "x</b></b>"));
	buf_release(&c);
}
END_TEST

START_TEST(text_is_escaped_as_a_cell)
{
	struct buf out = BUF_INIT(BUF_CAP_DEFAULT);

	ck_assert_int_eq(status_text(&out, "a|b <i>&`\\\n"), 0);
	ck_assert_str_eq(out.s, "a\\|b &lt;i&gt;&amp;&#96;&#92;<br>");
	buf_clear(&out);
	ck_assert_int_eq(status_text(&out, NULL), 0);
	ck_assert_str_eq(out.s, "");
	buf_release(&out);
}
END_TEST

START_TEST(details_block)
{
	struct buf out = BUF_INIT(BUF_CAP_DEFAULT);
	static const char text[] = "one\ntwo ```` four\n";

	ck_assert_int_eq(status_details(&out, "t, job 1: end", "a\nb", 3), 0);
	ck_assert_str_eq(out.s, "\n<details><summary>t, job 1: end</summary>\n"
				"\n```text\na\nb\n```\n</details>\n");
	buf_clear(&out);
	/* the fence outgrows the longest run; a final newline is not doubled */
	ck_assert_int_eq(status_details(&out, "s", text, sizeof(text) - 1), 0);
	ck_assert_str_eq(out.s, "\n<details><summary>s</summary>\n\n`````text\n"
				"one\ntwo ```` four\n`````\n</details>\n");
	buf_clear(&out);
	/* the summary is HTML text: no tag, no entity, no line of its own */
	ck_assert_int_eq(status_details(&out, "<a href=x>|&\n`", "", 0), 0);
	ck_assert_str_eq(out.s, "\n<details><summary>&lt;a href=x&gt;&#124;"
				"&amp; &#96;</summary>\n\n```text\n```\n"
				"</details>\n");
	buf_clear(&out);
	/* NULs and control characters go before the fence is measured: the
	 * two runs of 2 and 3 backticks join into one of 5 */
	ck_assert_int_eq(status_details(&out, "s", "``\0```\x1b", 7), 0);
	ck_assert_str_eq(out.s, "\n<details><summary>s</summary>\n\n``````text\n"
				"`````\n``````\n</details>\n");
	buf_release(&out);

	/* cap hit: out as it was */
	buf_init(&out, 40);
	ck_assert_int_eq(buf_adds(&out, "keep"), 0);
	ck_assert_int_eq(status_details(&out, "summary", "text", 4), -1);
	ck_assert_str_eq(out.s, "keep");
	buf_release(&out);
}
END_TEST

START_TEST(clean_text)
{
	struct buf out = BUF_INIT(BUF_CAP_DEFAULT);
	/* kept: ASCII, '\n', '\t', 2-, 3- and 4-byte characters */
	static const char ok[] = "a\tb\nc \xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80";
	/* each invalid byte a '?': a lone continuation, a cut sequence,
	 * overlong, a surrogate, past U+10FFFF, 0xff; controls dropped */
	static const char bad[] = "\x80|\xe2\x9c|\xc0\xaf|\xed\xa0\x80|"
				  "\xf4\x90\x80\x80|\xff|\x01\r\x1b\x7f\xc2\x85\xc2\x9f|\xc2\xa0";

	ck_assert_int_eq(status_clean(&out, ok, sizeof(ok) - 1), 0);
	ck_assert_str_eq(out.s, ok);
	ck_assert_int_eq(status_is_clean(ok, sizeof(ok) - 1), 1);
	buf_clear(&out);
	ck_assert_int_eq(status_clean(&out, bad, sizeof(bad) - 1), 0);
	ck_assert_str_eq(out.s, "?|??|??|???|????|?||\xc2\xa0");
	ck_assert_int_eq(status_is_clean(bad, sizeof(bad) - 1), 0);
	ck_assert_int_eq(status_is_clean(out.s, out.len), 1);
	ck_assert_int_eq(status_is_clean("a\0b", 3), 0);
	ck_assert_int_eq(status_is_clean("\xe2\x9c\x93", 2), 0); /* cut by len */
	ck_assert_int_eq(status_is_clean("", 0), 1);
	buf_release(&out);
}
END_TEST

Suite *status_suite(void)
{
	Suite *s = suite_create("status");
	TCase *tc = tcase_create("render");

	tcase_add_test(tc, whole_comment);
	tcase_add_test(tc, marker_is_the_first_line);
	tcase_add_test(tc, headline_says_what_is_not_known);
	tcase_add_test(tc, cells_cannot_break_the_table);
	tcase_add_test(tc, code_spans_cannot_be_closed);
	tcase_add_test(tc, notes_are_cut);
	tcase_add_test(tc, cap_hit_leaves_out_as_it_was);
	tcase_add_test(tc, code_text_is_harmless_and_cut);
	tcase_add_test(tc, tail_goes_before_the_end_marker);
	tcase_add_test(tc, text_is_escaped_as_a_cell);
	tcase_add_test(tc, notes_keep_eessi_html);
	tcase_add_test(tc, notes_escape_hostile_html);
	tcase_add_test(tc, details_block);
	tcase_add_test(tc, clean_text);
	suite_add_tcase(s, tc);
	return s;
}
