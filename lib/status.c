#include "status.h"

#include <string.h>
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
 * a '|' is ours. */
static int cell_n(struct buf *out, const char *s, size_t n)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		char c = s[i];

		switch (c) {
		case '|': rc = buf_adds(out, "\\|"); break;
		case '\n': rc = buf_adds(out, "<br>"); break;
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
	if (buf_adds(out, "<br>") < 0 || cell_n(out, s, n) < 0)
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
	size_t start = out->len, i;

	if (status_marker(h->instance, h->delivery, out) < 0 ||
	    headline(h, out) < 0 ||
	    buf_adds(out, "\n| target | job | state | last change |\n"
			  "|---|---|---|---|\n") < 0)
		goto fail;
	for (i = 0; i < n; i++)
		if (row(&rows[i], out) < 0)
			goto fail;
	if (buf_adds(out, "<!-- eessi-bot end -->\n") < 0)
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
