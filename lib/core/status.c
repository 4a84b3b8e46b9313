/* status.c - the status comment's Markdown: a table of rows, every value
 * escaped for a table cell (pure).
 * Layer: core (README, "Map of the code"). */
#include "status.h"

#include <string.h>
#include <strings.h>
#include <time.h>

#define NOTE_MAX 1000
#define SHORT_SHA 7

static const char *nz(const char *s)
{
	return s ? s : "";
}

static int is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

/* The marker's values are names (app name, UUID); anything else is shown
 * as '_' so that no value can close the HTML comment ("-->") or start a
 * new line. */
static int marker_value(struct buf *out, const char *s)
{
	for (; *s; s++) {
		char c = is_alnum(*s) || strchr("._-", *s) ? *s : '_';

		if (buf_addch(out, c) < 0)
			return -1;
	}
	return 0;
}

int status_marker(const char *instance, const char *delivery, struct buf *out)
{
	size_t start = out->len;

	if (buf_adds(out, "<!-- eessi-bot status instance=") < 0 ||
	    marker_value(out, nz(instance)) < 0 ||
	    buf_adds(out, " delivery=") < 0 ||
	    marker_value(out, nz(delivery)) < 0 ||
	    buf_adds(out, " -->\n") < 0) {
		buf_truncate(out, start);
		return -1;
	}
	return 0;
}

/* The first n bytes of s as text in a table cell: nothing in it can end
 * the cell or the row, open an HTML tag or entity of its own, or start a
 * code span.  Backslashes become entities too, so that the only one before
 * a '|' is ours.  With html set, the same for HTML text (a <summary>),
 * where a backslash would show: '|' is an entity there, a newline a blank. */
static int escape_n(struct buf *out, const char *s, size_t n, int html)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		char c = s[i];

		switch (c) {
		case '|': rc = buf_adds(out, html ? "&#124;" : "\\|"); break;
		case '\n':
			rc = html ? buf_addch(out, ' ') : buf_adds(out, "<br>");
			break;
		case '<': rc = buf_adds(out, "&lt;"); break;
		case '>': rc = buf_adds(out, "&gt;"); break;
		case '&': rc = buf_adds(out, "&amp;"); break;
		case '`': rc = buf_adds(out, "&#96;"); break;
		case '\\': rc = buf_adds(out, "&#92;"); break;
		case '\t': rc = buf_addch(out, ' '); break;
		default:
			/* other control characters ('\r' of a CRLF, ESC) say
			 * nothing to a reader */
			if ((unsigned char)c >= 0x20 && c != 0x7f)
				rc = buf_addch(out, c);
		}
	}
	return rc;
}

static int cell_n(struct buf *out, const char *s, size_t n)
{
	return escape_n(out, s, n, 0);
}

static int cell(struct buf *out, const char *s)
{
	return cell_n(out, s, strlen(s));
}

/* A code span of the first n bytes of s.  Inside one neither backslashes
 * nor entities work, so what is not a character of names, refs and SHAs
 * is shown as '?'. */
static int code_n(struct buf *out, const char *s, size_t n)
{
	size_t i;

	if (buf_addch(out, '`') < 0)
		return -1;
	for (i = 0; i < n && s[i]; i++) {
		char c = is_alnum(s[i]) || strchr("._/+:@-", s[i]) ? s[i] : '?';

		if (buf_addch(out, c) < 0)
			return -1;
	}
	return buf_addch(out, '`');
}

static int code(struct buf *out, const char *s)
{
	return code_n(out, s, strlen(s));
}

/* "**Build on `I`** requested by @U: `HEAD7` (PR head) merged onto `REF`
 * at `BASE7`.", saying what is not known yet instead of empty spans. */
static int headline(const struct status_head *h, struct buf *out)
{
	const char *head = nz(h->head_sha), *ref = nz(h->base_ref);
	const char *base = nz(h->base_sha), *user = nz(h->user);

	if (buf_adds(out, "**Build on ") < 0 ||
	    code(out, nz(h->instance)) < 0 || buf_adds(out, "**") < 0)
		return -1;
	if (*user &&
	    (buf_adds(out, " requested by @") < 0 || cell(out, user) < 0))
		return -1;
	if (buf_adds(out, ": ") < 0)
		return -1;
	if (*head ? code_n(out, head, SHORT_SHA) < 0 ||
			    buf_adds(out, " (PR head)") < 0
		  : buf_adds(out, "PR head not known yet") < 0)
		return -1;
	if (*ref &&
	    (buf_adds(out, *head ? " merged onto " : ", base branch ") < 0 ||
	     code(out, ref) < 0))
		return -1;
	if (*ref && *base &&
	    (buf_adds(out, " at ") < 0 || code_n(out, base, SHORT_SHA) < 0))
		return -1;
	return buf_adds(out, ".\n");
}

/* "YYYY-MM-DD HH:MM:SS UTC", or "-" for no time (0) or one gmtime_r()
 * cannot show. */
static int when(struct buf *out, long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char s[64];

	if (t <= 0 || (long long)tt != t || !gmtime_r(&tt, &tm) ||
	    strftime(s, sizeof(s), "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		return buf_addch(out, '-');
	return buf_adds(out, s);
}

/* The HTML tags a note may keep (EESSI's check-build.sh writes its
 * comment_description as a <details> block with a list): formatting only,
 * nothing that loads, links, runs or styles.  Anything else is text. */
static const char *const note_tags[] = {
	"details", "summary", "ul", "ol", "li", "br", "p", "code", "pre",
	"b", "strong", "i", "em", "sub", "sup",
};
#define NOTE_TAG_DEPTH 16

/* The allowed tag at s (n bytes, s[0] == '<'): "<name>", "</name>",
 * "<br/>" or "<br />", the name in any case and without attributes.  Its
 * length, and *tag its index in note_tags (*closing for "</"), or 0 when
 * s holds no such tag. */
static size_t note_tag(const char *s, size_t n, size_t *tag, int *closing)
{
	size_t i = 1, start, len, k;

	*closing = i < n && s[i] == '/';
	i += (size_t)*closing;
	start = i;
	while (i < n && i - start <= 7 && is_alnum(s[i]))
		i++;
	len = i - start;
	if (!*closing && i < n && s[i] == ' ')
		i++;
	if (!*closing && i < n && s[i] == '/')
		i++;
	if (len == 0 || i >= n || s[i] != '>')
		return 0;
	for (k = 0; k < sizeof(note_tags) / sizeof(note_tags[0]); k++)
		if (strlen(note_tags[k]) == len &&
		    strncasecmp(note_tags[k], s + start, len) == 0)
			break;
	if (k == sizeof(note_tags) / sizeof(note_tags[0]) ||
	    (i - start > len && strcmp(note_tags[k], "br") != 0))
		/* only <br> may be written "<br/>" or "<br />" */
		return 0;
	*tag = k;
	return i + 1;
}

/* The first n bytes of a note as a table cell (as cell_n()), but keeping
 * the allowed tags (note_tag()), balanced: a closing tag that closes
 * nothing open is text, and what is left open at the end is closed.  A
 * '@' before a name gets a zero-width space, so that no login is ever
 * mentioned (notified) by a result file. */
static int note_html(struct buf *out, const char *s, size_t n)
{
	size_t open[NOTE_TAG_DEPTH], depth = 0, i = 0, len, tag;
	int rc = 0, closing;

	while (i < n && rc == 0) {
		len = s[i] == '<' ? note_tag(s + i, n - i, &tag, &closing) : 0;
		if (len && strcmp(note_tags[tag], "br") == 0) { /* no content */
			rc = buf_adds(out, "<br>");
		} else if (len && !closing && depth < NOTE_TAG_DEPTH) {
			open[depth++] = tag;
			rc = buf_addf(out, "<%s>", note_tags[tag]);
		} else if (len && closing && depth && open[depth - 1] == tag) {
			depth--;
			rc = buf_addf(out, "</%s>", note_tags[tag]);
		} else if (s[i] == '@' && i + 1 < n && (is_alnum(s[i + 1]) || s[i + 1] == '-')) {
			rc = buf_adds(out, "@\xe2\x80\x8b"); /* U+200B */
			len = 1;
		} else {
			rc = cell_n(out, s + i, 1);
			len = 1;
		}
		i += len;
	}
	while (depth && rc == 0)
		rc = buf_addf(out, "</%s>", note_tags[open[--depth]]);
	return rc;
}

/* The note, cut to NOTE_MAX bytes at a UTF-8 character boundary. */
static int note(struct buf *out, const char *s)
{
	size_t n = strlen(s);
	int cut = n > NOTE_MAX;

	if (cut) {
		n = NOTE_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	if (buf_adds(out, "<br>") < 0 || note_html(out, s, n) < 0)
		return -1;
	return cut ? buf_adds(out, " [...]") : 0;
}

static int row(const struct status_row *r, struct buf *out)
{
	if (buf_adds(out, "| ") < 0 || cell(out, nz(r->target)) < 0 ||
	    buf_adds(out, " | ") < 0)
		return -1;
	if (r->job_id > 0 ? buf_addf(out, "%lld", r->job_id) < 0
			  : buf_addch(out, '-') < 0)
		return -1;
	if (buf_adds(out, " | ") < 0 || cell(out, nz(r->state)) < 0)
		return -1;
	if (r->note && *r->note && note(out, r->note) < 0)
		return -1;
	if (buf_adds(out, " | ") < 0 || when(out, r->changed_at) < 0)
		return -1;
	return buf_adds(out, " |\n");
}

int status_render(const struct status_head *h, const struct status_row *rows,
		  size_t n, struct buf *out)
{
	return status_render_with(h, rows, n, NULL, out);
}

int status_render_with(const struct status_head *h,
		       const struct status_row *rows, size_t n,
		       const char *tail, struct buf *out)
{
	size_t start = out->len, i;

	if (status_marker(h->instance, h->delivery, out) < 0 ||
	    headline(h, out) < 0 ||
	    buf_adds(out, "\n| target | job | state | last change |\n"
			  "|---|---|---|---|\n") < 0)
		goto fail;
	for (i = 0; i < n; i++)
		if (row(&rows[i], out) < 0)
			goto fail;
	if ((tail && buf_adds(out, tail) < 0) ||
	    buf_adds(out, "<!-- eessi-bot end -->\n") < 0)
		goto fail;
	return 0;
fail:
	buf_truncate(out, start);
	return -1;
}

int status_code_text(struct buf *out, const char *s, size_t max)
{
	size_t i;

	for (i = 0; i < max && s[i]; i++)
		if (buf_addch(out, s[i] >= ' ' && s[i] < 0x7f && s[i] != '`'
					   ? s[i] : '?') < 0)
			return -1;
	return s[i] && buf_adds(out, "...") < 0 ? -1 : 0;
}

int status_text(struct buf *out, const char *s)
{
	size_t start = out->len;

	if (cell(out, nz(s)) < 0) {
		buf_truncate(out, start);
		return -1;
	}
	return 0;
}

/* The length of the valid UTF-8 sequence at s (n bytes left), or 0 for
 * an invalid one: no overlong forms, surrogates or code points past
 * U+10FFFF. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned lo = 0x80, hi = 0xbf;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

/* 1 if the valid sequence of len bytes at s is a control character to
 * drop: C0 but '\n' and '\t', DEL, C1 (U+0080-U+009F: 0xc2 0x80-0x9f). */
static int is_control(const unsigned char *s, size_t len)
{
	if (len == 1)
		return (s[0] < 0x20 && s[0] != '\n' && s[0] != '\t') ||
		       s[0] == 0x7f;
	return len == 2 && s[0] == 0xc2 && s[1] < 0xa0;
}

int status_clean(struct buf *out, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t start = out->len, i = 0;
	int rc = 0;

	while (i < len && rc == 0) {
		size_t k = utf8_seq(u + i, len - i);

		if (k == 0) {
			rc = buf_addch(out, '?');
			k = 1;
		} else if (!is_control(u + i, k)) {
			rc = buf_add(out, s + i, k);
		}
		i += k;
	}
	if (rc < 0)
		buf_truncate(out, start);
	return rc;
}

int status_is_clean(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		size_t k = utf8_seq(u + i, len - i);

		if (k == 0 || is_control(u + i, k))
			return 0;
		i += k;
	}
	return 1;
}

/* The longest run of backticks in s (n bytes). */
static size_t backtick_run(const char *s, size_t n)
{
	size_t i, run = 0, best = 0;

	for (i = 0; i < n; i++) {
		run = s[i] == '`' ? run + 1 : 0;
		if (run > best)
			best = run;
	}
	return best;
}

static int fence(struct buf *out, size_t n)
{
	while (n-- > 0)
		if (buf_addch(out, '`') < 0)
			return -1;
	return 0;
}

int status_details(struct buf *out, const char *summary, const char *text,
		   size_t len)
{
	struct buf clean = BUF_INIT(len);
	size_t start = out->len, f;
	const char *sum = nz(summary);
	int rc = -1;

	/* cleaning first: dropping a control character can join two runs
	 * of backticks into a longer one */
	if (status_clean(&clean, text ? text : "", text ? len : 0) < 0)
		goto out;
	f = backtick_run(clean.s, clean.len) + 1;
	if (f < 3)
		f = 3;
	if (buf_adds(out, "\n<details><summary>") < 0 ||
	    escape_n(out, sum, strlen(sum), 1) < 0 ||
	    buf_adds(out, "</summary>\n\n") < 0 || fence(out, f) < 0 ||
	    buf_adds(out, "text\n") < 0 || buf_add(out, clean.s, clean.len) < 0 ||
	    (clean.len > 0 && clean.s[clean.len - 1] != '\n' &&
	     buf_addch(out, '\n') < 0) ||
	    fence(out, f) < 0 || buf_adds(out, "\n</details>\n") < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		buf_truncate(out, start);
	buf_release(&clean);
	return rc;
}
