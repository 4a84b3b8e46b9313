/* status.h - the status comment: one per build request and instance, a
 * table with a row per target, edited in place as the jobs move.
 *
 *   <!-- eessi-bot status instance=INSTANCE delivery=DELIVERY -->
 *   **Build on `INSTANCE`** requested by @USER: `HEAD7` (PR head) merged
 *   onto `BASE_REF` at `BASE7`.
 *
 *   | target | job | state | last change |
 *   |---|---|---|---|
 *   | linux/x86_64/amd/zen2 | 1234 | held | 2026-11-24 03:51:40 UTC |
 *   | linux/x86_64/generic | - | preparing | 2026-11-24 03:51:39 UTC |
 *   <!-- eessi-bot end -->
 *
 * A row may carry a note (a result summary, a reason), shown below the
 * state in the same cell.  The build and the manager render the comment
 * from its document (lib/state/cdoc.h, cdoc_body()) through this module; the bot
 * never parses the comment back.
 */
#ifndef EESSI_STATUS_H
#define EESSI_STATUS_H

#include <stddef.h>

#include "buf.h"

struct status_head {
	const char *instance;  /* github.app_name */
	const char *delivery;  /* the request's delivery id */
	const char *user;      /* who asked (login) */
	const char *head_sha;  /* may be "" (not known yet) */
	const char *base_ref;  /* may be "" */
	const char *base_sha;  /* may be "" */
};

struct status_row {
	const char *target;  /* struct target's name */
	long long job_id;    /* 0: none yet ("-") */
	const char *state;   /* "preparing", "held", "not submitted", ... */
	const char *note;    /* may be NULL or "": more for the state cell */
	long long changed_at; /* epoch seconds */
};

/* Appends the comment's body, the marker its first line.  Every string is
 * escaped for a Markdown table cell ('|' -> "\|", newlines -> "<br>", '<'
 * '>' '&' as entities, backticks and backslashes as the entities &#96; and
 * &#92;, tabs as blanks, other control characters dropped), so values from
 * outside cannot break the table or inject HTML.  Inside the code spans
 * the function makes (instance, SHAs, base_ref), where escapes do not work,
 * characters outside [A-Za-z0-9._/+:@-] are shown as '?'.  The SHAs are
 * cut to 7 characters; an empty head_sha reads "PR head not known yet",
 * an empty base_ref or base_sha leaves out its part, an empty user the
 * "requested by".  Notes are cut to 1,000 bytes (at a UTF-8 character
 * boundary) followed by " [...]".  A note (a result file's
 * comment_description, which EESSI's check-build.sh writes as HTML) keeps
 * the harmless tags details, summary, ul, ol, li, br, p, code, pre, b,
 * strong, i, em, sub and sup, written without attributes, balanced (what a
 * note leaves open is closed); every other tag, and any tag with an
 * attribute, is escaped as text, and a '@' before a name gets a zero-width
 * space so that a result file mentions nobody.  A changed_at of 0 shows as "-", as does
 * a job_id of 0.  0, or -1 when out's cap is hit (out then as it was). */
int status_render(const struct status_head *h, const struct status_row *rows,
		  size_t n, struct buf *out);

/* status_render() with tail (NULL: none) after the table, before the end
 * marker: Markdown the caller made safe (status_details(),
 * status_text()), such as collapsed blocks of job output.  Rows and tail
 * are independent: each row adds the same bytes whatever the others. */
int status_render_with(const struct status_head *h,
		       const struct status_row *rows, size_t n,
		       const char *tail, struct buf *out);

/* Appends s escaped as status_render() escapes a table cell, for a line
 * of text that carries values from outside.  0, or -1 (out's cap). */
int status_text(struct buf *out, const char *s);

/* Appends a collapsed block:
 *   (blank line)
 *   <details><summary>SUMMARY</summary>
 *   (blank line)
 *   ```text
 *   TEXT
 *   ```
 *   </details>
 * The summary is escaped as a table cell ('|' as &#124;, newlines as
 * blanks): no HTML of its own.  The first len bytes of text (NULs
 * included) are made clean text (status_clean()) and put in a backtick
 * fence longer than any run of backticks left in them (at least 3), so
 * nothing inside can close it; a missing final newline is added.  0, or
 * -1 when out's cap is hit (out then as it was). */
int status_details(struct buf *out, const char *summary, const char *text,
		   size_t len);

/* Appends the first len bytes of s as clean text: valid UTF-8 is kept,
 * each byte of an invalid sequence becomes '?', control characters (NUL
 * and the rest of C0 but '\n' and '\t', DEL, C1 U+0080-U+009F) are
 * dropped.  Never longer than len.  0, or -1 (out's cap; out as it was). */
int status_clean(struct buf *out, const char *s, size_t len);

/* 1 if the first len bytes of s are clean text (status_clean() would keep
 * them as they are), else 0. */
int status_is_clean(const char *s, size_t len);

/* The hidden first line that identifies the comment (for crash recovery):
 * "<!-- eessi-bot status instance=I delivery=D -->\n".  I and D are names;
 * characters outside [A-Za-z0-9._-] are written as '_' so that no value
 * can end the comment or the line. */
int status_marker(const char *instance, const char *delivery, struct buf *out);

/* Appends s for use inside a Markdown code span of a PR comment (text that
 * came from outside: a command word, a line, a branch name): printable
 * ASCII is kept except '`', which would end the span; every other byte
 * becomes '?'; more than max bytes are cut and "..." follows.  0, or -1
 * when out's cap is hit. */
int status_code_text(struct buf *out, const char *s, size_t max);

#endif
