/* result.c - what a job left behind: its result and test files, or the
 * verdict from its output, and the excerpt shown for a failure.
 * Layer: core (README, "Map of the code"). */
#include "result.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ini.h"

/* ---- text: lines, escape sequences, UTF-8, cleaning ---- */

static const char *const status_names[] = { "SUCCESS", "FAILURE", "UNKNOWN" };

const char *result_status_name(enum result_status s)
{
	if ((unsigned)s > RESULT_UNKNOWN)
		return "UNKNOWN";
	return status_names[s];
}

/* Length of the escape sequence at s (s[0] is ESC), within n bytes: CSI
 * "ESC [ params intermediates final", OSC "ESC ] ... BEL" (or ESC \),
 * "ESC intermediates final" (charset designations: ESC ( B), else the
 * lone ESC.  A sequence cut by the end of the text runs to the end. */
static size_t esc_len(const unsigned char *s, size_t n)
{
	size_t i = 2;

	if (n < 2)
		return 1;
	if (s[1] == '[') {
		while (i < n && s[i] >= 0x20 && s[i] <= 0x3f)
			i++;
		return i < n && s[i] >= 0x40 && s[i] <= 0x7e ? i + 1 : i;
	}
	if (s[1] == ']') {
		for (; i < n; i++) {
			if (s[i] == 0x07)
				return i + 1;
			if (s[i] == 0x1b)
				return i + 1 < n && s[i + 1] == '\\' ? i + 2 : i;
		}
		return n;
	}
	i = 1;
	while (i < n && s[i] >= 0x20 && s[i] <= 0x2f)
		i++;
	return i < n && s[i] >= 0x30 && s[i] <= 0x7e ? i + 1 : i;
}

static int is_cont(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

/* Length (2-4) of the valid multi-byte UTF-8 sequence at s, or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0; /* overlong */
	else if (c == 0xed)
		hi = 0x9f; /* surrogates */
	else if (c == 0xf0)
		lo = 0x90; /* overlong */
	else if (c == 0xf4)
		hi = 0x8f; /* past U+10FFFF */
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (!is_cont(s[i]))
			return 0;
	return len;
}

enum clean_mode {
	CLEAN_EXCERPT, /* control characters but '\t' dropped */
	CLEAN_CELL,    /* control characters become blanks: one table cell */
	CLEAN_NEUTRAL, /* as EXCERPT, '\t' a blank, and <>&|` become '?':
			* job text quoted in a sentence of ours */
};

/* Appends s[0..n) cleaned (escape sequences removed, C1 controls dropped,
 * bytes that are not UTF-8 as '?', control characters by mode), stopping
 * once out holds more than limit bytes.  -1 (errno) when out refuses. */
static int append_clean(struct buf *out, const char *text, size_t n,
			enum clean_mode mode, size_t limit)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0, k;
	int rc = 0;

	while (i < n && rc == 0 && out->len <= limit) {
		unsigned char c = s[i];

		if (c == 0x1b) {
			i += esc_len(s + i, n - i);
		} else if (c < 0x20 || c == 0x7f) {
			if (mode == CLEAN_CELL || (mode == CLEAN_NEUTRAL && c == '\t'))
				rc = buf_addch(out, ' ');
			else if (c == '\t')
				rc = buf_addch(out, '\t');
			i++;
		} else if (c < 0x80) {
			if (mode == CLEAN_NEUTRAL && strchr("<>&|`", c))
				c = '?';
			rc = buf_addch(out, (char)c);
			i++;
		} else if ((k = utf8_len(s + i, n - i)) == 0) {
			rc = buf_addch(out, '?');
			i++;
		} else {
			if (!(c == 0xc2 && s[i + 1] < 0xa0)) /* C1: U+0080-009F */
				rc = buf_add(out, s + i, k);
			i += k;
		}
	}
	return rc;
}

/* Cuts b (valid UTF-8 from start on) to at most max bytes, at a UTF-8
 * boundary, ending in "..." when anything was cut (max >= 3). */
static void cut_utf8(struct buf *b, size_t start, size_t max)
{
	size_t end;

	if (b->len - start <= max)
		return;
	end = start + max - 3;
	while (end > start && is_cont((unsigned char)b->s[end]))
		end--;
	buf_truncate(b, end);
	buf_add(b, "...", 3); /* was longer: there is room */
}

/* ---- recognising lines ---- */

enum line_kind { LINE_PLAIN, LINE_FATAL, LINE_ERROR, LINE_FAILED, LINE_MISSING };

static const struct {
	const char *prefix;
	size_t len;
	enum line_kind kind;
} error_prefixes[] = {
	{ "FATAL: ", 7, LINE_FATAL },
	{ "ERROR: ", 7, LINE_ERROR },
	{ "FAILED: ", 8, LINE_FAILED },
};

#define MISSING_TEXT " required modules missing:"
#define NO_MISSING_TEXT "No missing installations"

/* Skips what may come before a message at a line's start: blanks, escape
 * sequences (scripts print errors in red), EasyBuild's "== " marker. */
static size_t skip_lead(const char *s, size_t n)
{
	size_t i = 0;

	for (;;) {
		if (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		else if (i < n && s[i] == 0x1b)
			i += esc_len((const unsigned char *)s + i, n - i);
		else if (i + 2 < n && s[i] == '=' && s[i + 1] == '=' &&
			 s[i + 2] == ' ')
			i += 3;
		else
			return i;
	}
}

#define SEARCHING ">> searching for "

static enum line_kind line_kind(const char *s, size_t n)
{
	size_t i, lead = skip_lead(s, n);

	for (i = 0; i < sizeof(error_prefixes) / sizeof(error_prefixes[0]); i++)
		if (n - lead >= error_prefixes[i].len &&
		    memcmp(s + lead, error_prefixes[i].prefix,
			   error_prefixes[i].len) == 0)
			return error_prefixes[i].kind;
	if (memmem(s, n, MISSING_TEXT, sizeof(MISSING_TEXT) - 1))
		return LINE_MISSING;
	return LINE_PLAIN;
}

static int is_error_kind(enum line_kind k)
{
	return k == LINE_FATAL || k == LINE_ERROR || k == LINE_FAILED;
}

/* "tar.* created!" */
static int tarball_line(const char *s, size_t n)
{
	const char *tar = memmem(s, n, "tar", 3);

	return tar && memmem(tar + 3, n - (size_t)(tar + 3 - s), " created!", 9);
}

/* 1 if some '\r'-separated part of the line is an error line. */
static int has_error_part(const char *s, size_t n)
{
	const char *end = s + n, *cr;

	for (;;) {
		cr = memchr(s, '\r', (size_t)(end - s));
		if (is_error_kind(line_kind(s, (size_t)((cr ? cr : end) - s))))
			return 1;
		if (!cr)
			return 0;
		s = cr + 1;
	}
}

/* The next line of text[0..len) from *pos, split at '\n' (and '\r' when
 * at_cr): 1 with *line and *n set, 0 at the end.  A '\n' at the very end
 * does not start an empty last line. */
static int next_line(const char *text, size_t len, size_t *pos, int at_cr,
		     const char **line, size_t *n)
{
	size_t i = *pos;

	if (i >= len)
		return 0;
	*line = text + i;
	while (i < len && text[i] != '\n' && !(at_cr && text[i] == '\r'))
		i++;
	*n = i - *pos;
	*pos = i < len ? i + 1 : len;
	return 1;
}

/* ---- result_analyse ---- */

struct scan {
	size_t count[LINE_MISSING + 1]; /* by kind */
	int no_missing, tarball;
	const char *first; /* the first error or missing line */
	size_t first_len;
};

static void scan_output(const char *out, size_t len, struct scan *sc)
{
	const char *line;
	size_t n, pos = 0;

	memset(sc, 0, sizeof(*sc));
	while (next_line(out, len, &pos, 1, &line, &n)) {
		enum line_kind k;

		/* check-build.sh echoes the patterns it looks for */
		if (n >= sizeof(SEARCHING) - 1 &&
		    memcmp(line, SEARCHING, sizeof(SEARCHING) - 1) == 0)
			continue;
		k = line_kind(line, n);
		sc->count[k]++;
		if (k != LINE_PLAIN && !sc->first) {
			sc->first = line;
			sc->first_len = n;
		}
		if (!sc->no_missing &&
		    memmem(line, n, NO_MISSING_TEXT, sizeof(NO_MISSING_TEXT) - 1))
			sc->no_missing = 1;
		if (!sc->tarball && tarball_line(line, n))
			sc->tarball = 1;
	}
}

static int add_count(struct buf *b, size_t n, const char *one,
		     const char *many)
{
	if (n == 0)
		return 0;
	return buf_addf(b, "%s%zu %s", b->len ? ", " : "", n,
			n == 1 ? one : many);
}

/* The sentence for a FAILURE: counts, then the first bad line. */
static int failure_why(const struct scan *sc, struct buf *b)
{
	if (add_count(b, sc->count[LINE_FATAL], "FATAL line", "FATAL lines") < 0 ||
	    add_count(b, sc->count[LINE_ERROR], "ERROR line", "ERROR lines") < 0 ||
	    add_count(b, sc->count[LINE_FAILED], "FAILED line",
		      "FAILED lines") < 0 ||
	    add_count(b, sc->count[LINE_MISSING],
		      "line reporting required modules missing",
		      "lines reporting required modules missing") < 0)
		return -1;
	if (buf_adds(b, "; first: ") < 0)
		return -1;
	return append_clean(b, sc->first + skip_lead(sc->first, sc->first_len),
			    sc->first_len - skip_lead(sc->first, sc->first_len),
			    CLEAN_NEUTRAL, RESULT_WHY_MAX);
}

static enum result_status judge(const struct scan *sc, size_t len,
				struct buf *b, int *rc)
{
	if (sc->first) {
		*rc = failure_why(sc, b);
		return RESULT_FAILURE;
	}
	if (sc->tarball) {
		*rc = buf_adds(b, sc->no_missing
				  ? "tarball created, no missing modules"
				  : "tarball created, no missing modules (no \""
				    NO_MISSING_TEXT "\" line)");
		return RESULT_SUCCESS;
	}
	if (len == 0)
		*rc = buf_adds(b, "the job output is empty");
	else if (sc->no_missing)
		*rc = buf_adds(b, "no missing installations, but no tarball created");
	else
		*rc = buf_adds(b, "no error reported, but no tarball created");
	return RESULT_UNKNOWN;
}

enum result_status result_analyse(const char *out, size_t len,
				  struct buf *why)
{
	struct buf b = BUF_INIT(RESULT_WHY_MAX * 2 + 64);
	enum result_status st;
	struct scan sc;
	int rc = 0;

	if (!out)
		len = 0;
	scan_output(out, len, &sc);
	st = judge(&sc, len, &b, &rc);
	if (why) {
		buf_clear(why);
		cut_utf8(&b, 0, RESULT_WHY_MAX);
		if (rc == 0 && buf_add(why, b.s, b.len) < 0)
			buf_clear(why);
	}
	buf_release(&b);
	return st;
}

/* ---- result_excerpt ---- */

/* One line of the window, cleaned and cut to RESULT_EXCERPT_LINE_MAX. */
static int excerpt_line(struct buf *b, const char *s, size_t n)
{
	const char *cr;
	size_t start = b->len;

	while (n > 0 && s[n - 1] == '\r')
		n--;
	cr = memrchr(s, '\r', n);
	if (cr) {
		n -= (size_t)(cr + 1 - s);
		s = cr + 1;
	}
	if (append_clean(b, s, n, CLEAN_EXCERPT,
			 start + RESULT_EXCERPT_LINE_MAX) < 0)
		return -1;
	cut_utf8(b, start, RESULT_EXCERPT_LINE_MAX);
	return 0;
}

int result_excerpt(const char *out, size_t len, struct buf *excerpt)
{
	struct buf lines[RESULT_EXCERPT_LINES];
	size_t nlines = 0, last_err = 0, first, end, i, total, pos = 0, n;
	int have_err = 0, rc = 0;
	const char *line;

	buf_clear(excerpt);
	if (!out)
		len = 0;
	while (next_line(out, len, &pos, 0, &line, &n)) {
		if (has_error_part(line, n)) {
			last_err = nlines;
			have_err = 1;
		}
		nlines++;
	}
	end = nlines;
	if (have_err && last_err + 1 + RESULT_EXCERPT_AFTER < nlines)
		end = last_err + 1 + RESULT_EXCERPT_AFTER;
	first = end > RESULT_EXCERPT_LINES ? end - RESULT_EXCERPT_LINES : 0;

	for (i = 0; i < RESULT_EXCERPT_LINES; i++)
		buf_init(&lines[i], RESULT_EXCERPT_LINE_MAX + 8);
	for (pos = 0, i = 0; rc == 0 && i < end &&
	     next_line(out, len, &pos, 0, &line, &n); i++)
		if (i >= first)
			rc = excerpt_line(&lines[i - first], line, n);

	/* drop lines from the start until the rest fits */
	for (total = 0, i = first; i < end; i++)
		total += lines[i - first].len + (i + 1 < end);
	for (i = first; rc == 0 && total > RESULT_EXCERPT_MAX; i++)
		total -= lines[i - first].len + 1;
	for (; rc == 0 && i < end; i++)
		if (buf_add(excerpt, lines[i - first].s, lines[i - first].len) < 0 ||
		    (i + 1 < end && buf_addch(excerpt, '\n') < 0))
			rc = -1;

	for (i = 0; i < RESULT_EXCERPT_LINES; i++)
		buf_release(&lines[i]);
	if (rc < 0)
		buf_clear(excerpt);
	return rc;
}

/* ---- artefact names ---- */

int result_valid_artefact(const char *name)
{
	size_t i;

	if (!name || !name[0] || name[0] == '-' || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return 0;
	for (i = 0; name[i]; i++) {
		char c = name[i];

		if (i >= RESULT_ARTEFACT_NAME_MAX ||
		    !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '+' || c == '-'))
			return 0;
	}
	return 1;
}

void result_release(struct result *r)
{
	size_t i;

	if (!r)
		return;
	free(r->description);
	free(r->test_description);
	free(r->excerpt);
	for (i = 0; i < r->nartefacts; i++)
		free(r->artefacts[i]);
	free(r->artefacts);
	memset(r, 0, sizeof(*r));
}

/* ---- the job's files ---- */

enum file_state { FILE_ABSENT, FILE_IGNORED, FILE_READ };

struct job {
	int dfd;                /* the job directory */
	char result_name[48];   /* _bot_job<ID>.result */
	char test_name[48];     /* _bot_job<ID>.test */
	char out_name[48];      /* slurm-<ID>.out */
	int nomem;              /* an allocation failed: result_read fails */
};

/* Appends a sentence to b, after "; " if b holds one already. */
static void note(struct job *j, struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void note(struct job *j, struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	if (b->len && buf_adds(b, "; ") < 0)
		j->nomem = 1;
	va_start(ap, fmt);
	rc = buf_vaddf(b, fmt, ap);
	va_end(ap);
	if (rc < 0)
		j->nomem = 1;
}

/* Opens name in the job directory, refusing what a job could use to make
 * the bot read elsewhere or hang: a symlink, a FIFO, a device.  The fd,
 * or -1: absent, or *ignored set and the reason noted in why. */
static int open_file(struct job *j, const char *name, struct buf *why,
		     long long *size, int *ignored)
{
	struct stat st;
	int fd = openat(j->dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
				      O_NONBLOCK | O_NOCTTY);

	*ignored = 0;
	if (fd < 0) {
		if (errno == ENOENT)
			return -1;
		*ignored = 1;
		if (errno == ELOOP || errno == EMLINK)
			note(j, why, "%s is a symlink: ignored", name);
		else
			note(j, why, "%s cannot be opened: %s", name,
			     strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		*ignored = 1;
		note(j, why, "%s is not a regular file: ignored", name);
		close(fd);
		return -1;
	}
	*size = (long long)st.st_size;
	return fd;
}

/* Reads from fd until EOF or until b holds max bytes.  -1 with errno. */
static int read_upto(int fd, struct buf *b, size_t max)
{
	char chunk[16384];
	ssize_t n;

	while (b->len < max) {
		size_t want = max - b->len;

		n = read(fd, chunk, want < sizeof(chunk) ? want : sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		if (buf_add(b, chunk, (size_t)n) < 0)
			return -1;
	}
	return 0;
}

/* Reads and parses one of the job's INI files.  FILE_READ with *ini set,
 * or with *ini NULL and the problem (too large, unreadable, malformed) in
 * problem; FILE_ABSENT; FILE_IGNORED, why noted in problem. */
static enum file_state load_ini(struct job *j, const char *name,
				struct ini **ini, struct buf *problem)
{
	struct buf text = BUF_INIT(INI_MAX_BYTES + 1);
	struct err pe = ERR_INIT;
	long long size = 0;
	int ignored, fd = open_file(j, name, problem, &size, &ignored);

	*ini = NULL;
	if (fd < 0)
		return ignored ? FILE_IGNORED : FILE_ABSENT;
	/* NOLINTNEXTLINE(bugprone-branch-clone): too large before and after reading */
	if ((unsigned long long)size > INI_MAX_BYTES) {
		note(j, problem, "%s is larger than %zu bytes", name,
		     INI_MAX_BYTES);
	} else if (read_upto(fd, &text, INI_MAX_BYTES + 1) < 0) {
		if (errno == ENOMEM)
			j->nomem = 1;
		note(j, problem, "%s cannot be read: %s", name, strerror(errno));
	} else if (text.len > INI_MAX_BYTES) {
		note(j, problem, "%s is larger than %zu bytes", name,
		     INI_MAX_BYTES);
	} else if (ini_parse(text.s, text.len, ini, &pe) < 0) {
		if (pe.code == ERR_NOMEM)
			j->nomem = 1;
		if (strncmp(pe.msg, "line ", 5) == 0)
			note(j, problem, "%s %s", name, pe.msg);
		else
			note(j, problem, "%s: %s", name, pe.msg);
	}
	close(fd);
	buf_release(&text);
	return FILE_READ;
}

static int parse_status(const char *v, enum result_status *st)
{
	size_t n, i;

	while (*v == ' ' || *v == '\t')
		v++;
	n = strlen(v);
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	for (i = 0; i <= RESULT_UNKNOWN; i++)
		if (strlen(status_names[i]) == n &&
		    strncasecmp(v, status_names[i], n) == 0) {
			*st = (enum result_status)i;
			return 0;
		}
	return -1;
}

/* status and description from [section] of a parsed file: UNKNOWN and a
 * sentence when the section or its status is missing or not understood. */
static void verdict(struct job *j, const char *name, const struct ini *ini,
		    const char *section, enum result_status *st,
		    struct buf *desc)
{
	struct buf q = BUF_INIT(128);
	const char *v, *d;

	*st = RESULT_UNKNOWN;
	if (!ini_has_section(ini, section)) {
		note(j, desc, "%s has no [%s] section", name, section);
		return;
	}
	v = ini_get(ini, section, "status");
	if (!v) {
		note(j, desc, "%s has no status", name);
		return;
	}
	if (parse_status(v, st) < 0) {
		if (append_clean(&q, v, strlen(v), CLEAN_NEUTRAL, 40) < 0)
			j->nomem = 1;
		cut_utf8(&q, 0, 40);
		note(j, desc, "%s: status \"%s\" not understood", name, q.s);
		buf_release(&q);
		return;
	}
	d = ini_get(ini, section, "comment_description");
	if (d && strlen(d) > RESULT_DESCRIPTION_MAX)
		note(j, desc, "%s: comment_description too long (%zu bytes, "
		     "at most %zu)", name, strlen(d), RESULT_DESCRIPTION_MAX);
	else if (d && append_clean(desc, d, strlen(d), CLEAN_CELL,
				   RESULT_DESCRIPTION_MAX) < 0)
		j->nomem = 1;
}

/* One artefact name (n bytes at s, trimmed): kept or counted bad. */
static void add_artefact(struct job *j, struct result *r, const char *s,
			 size_t n)
{
	char *name, **grown;

	if (n > RESULT_ARTEFACT_NAME_MAX || r->nartefacts >= RESULT_ARTEFACTS_MAX) {
		r->bad_artefacts++;
		return;
	}
	name = strndup(s, n);
	if (!name) {
		j->nomem = 1;
		return;
	}
	if (strlen(name) != n || !result_valid_artefact(name)) {
		free(name); /* a NUL cannot come from ini_get, but still */
		r->bad_artefacts++;
		return;
	}
	grown = realloc(r->artefacts, (r->nartefacts + 1) * sizeof(*grown));
	if (!grown) {
		free(name);
		j->nomem = 1;
		return;
	}
	r->artefacts = grown;
	r->artefacts[r->nartefacts++] = name;
}

/* [RESULT] artefacts: a newline-separated list, entries trimmed, empty
 * ones skipped. */
static void take_artefacts(struct job *j, const struct ini *ini,
			   struct result *r)
{
	const char *p = ini_get(ini, "RESULT", "artefacts");

	while (p && *p && !j->nomem) {
		const char *end = p + strcspn(p, "\n"), *s = p, *e = end;

		while (s < e && strchr(" \t\r", *s))
			s++;
		while (e > s && strchr(" \t\r", e[-1]))
			e--;
		if (e > s)
			add_artefact(j, r, s, (size_t)(e - s));
		p = *end ? end + 1 : end;
	}
}

/* The last RESULT_OUTPUT_MAX bytes of slurm-<ID>.out into out, without a
 * first line cut by the tail (*start is where the text begins).  1 read
 * (*size the file's size), 0 absent or ignored (noted in notes). */
static int read_output(struct job *j, struct buf *out, size_t *start,
		       long long *size, struct buf *notes)
{
	long long skip;
	const char *nl;
	int ignored, fd = open_file(j, j->out_name, notes, size, &ignored);

	*start = 0;
	if (fd < 0) {
		if (!ignored)
			note(j, notes, "no %s", j->out_name);
		return 0;
	}
	skip = *size > (long long)RESULT_OUTPUT_MAX
		       ? *size - (long long)RESULT_OUTPUT_MAX : 0;
	if ((skip > 0 && lseek(fd, (off_t)skip, SEEK_SET) < 0) ||
	    read_upto(fd, out, RESULT_OUTPUT_MAX) < 0) {
		if (errno == ENOMEM)
			j->nomem = 1;
		note(j, notes, "%s cannot be read: %s", j->out_name,
		     strerror(errno));
		close(fd);
		return 0;
	}
	close(fd);
	if (skip > 0 && (nl = memchr(out->s, '\n', out->len)))
		*start = (size_t)(nl + 1 - out->s);
	return 1;
}

static void set_source(struct result *r, const char *source)
{
	snprintf(r->source, sizeof(r->source), "%s", source);
}

/* The job output: the verdict when the result file gave none (by_output),
 * and the excerpt for a FAILURE or UNKNOWN. */
static void use_output(struct job *j, int by_output, struct result *r,
		       struct buf *desc)
{
	struct buf out = BUF_INIT(RESULT_OUTPUT_MAX);
	struct buf why = BUF_INIT(RESULT_WHY_MAX);
	struct buf ex = BUF_INIT(RESULT_EXCERPT_MAX);
	struct buf scratch = BUF_INIT(1024);
	long long size = 0;
	size_t start;
	int got = read_output(j, &out, &start, &size,
			      by_output ? desc : &scratch);
	const char *text = out.s + start;
	size_t len = out.len - start;

	if (got && by_output) {
		set_source(r, "job output");
		r->status = result_analyse(text, len, &why);
		if (out.len < (unsigned long long)size)
			note(j, desc, "%s (last %zu of %lld bytes): %s",
			     j->out_name, out.len, size, why.s);
		else
			note(j, desc, "%s: %s", j->out_name, why.s);
	}
	if (got && r->status != RESULT_SUCCESS) {
		if (result_excerpt(text, len, &ex) < 0)
			j->nomem = 1; /* NOLINT(bugprone-branch-clone): two ways to run out */
		else if (ex.len > 0 && !(r->excerpt = buf_detach(&ex, NULL)))
			j->nomem = 1;
	}
	buf_release(&out);
	buf_release(&why);
	buf_release(&ex);
	buf_release(&scratch);
}

/* Hands b over as a string, NULL when empty. */
static char *take(struct job *j, struct buf *b)
{
	char *s;

	if (b->len == 0)
		return NULL;
	s = buf_detach(b, NULL);
	if (!s)
		j->nomem = 1;
	return s;
}

/* The files in the open job directory. */
static void read_job(struct job *j, struct result *r, struct buf *desc,
		     struct buf *tdesc)
{
	struct ini *res = NULL, *tst = NULL;
	enum file_state rs, ts;

	rs = load_ini(j, j->result_name, &res, desc);
	if (rs == FILE_READ) {
		set_source(r, "result file");
		if (res) {
			verdict(j, j->result_name, res, "RESULT", &r->status,
				desc);
			take_artefacts(j, res, r);
		}
	} else if (rs == FILE_ABSENT) {
		note(j, desc, "no %s", j->result_name);
	}
	ts = load_ini(j, j->test_name, &tst, tdesc);
	if (ts == FILE_READ) {
		r->has_test = 1;
		if (tst)
			verdict(j, j->test_name, tst, "TEST", &r->test_status,
				tdesc);
	}
	if (rs != FILE_READ || r->status != RESULT_SUCCESS)
		use_output(j, rs != FILE_READ, r, desc);
	ini_free(res);
	ini_free(tst);
}

int result_read(const char *job_dir, long long job_id, struct result *out,
		struct err *e)
{
	struct buf desc = BUF_INIT(RESULT_DESCRIPTION_MAX + 4096);
	struct buf tdesc = BUF_INIT(RESULT_DESCRIPTION_MAX + 4096);
	struct job j;

	if (out)
		memset(out, 0, sizeof(*out));
	if (!job_dir || !out || job_id <= 0)
		return err_set(e, ERR_INVAL, "result_read: %s",
			       job_id <= 0 ? "job id not positive"
					   : "NULL argument");
	memset(&j, 0, sizeof(j));
	snprintf(j.result_name, sizeof(j.result_name), "_bot_job%lld.result",
		 job_id);
	snprintf(j.test_name, sizeof(j.test_name), "_bot_job%lld.test", job_id);
	snprintf(j.out_name, sizeof(j.out_name), "slurm-%lld.out", job_id);
	out->status = RESULT_UNKNOWN;
	out->test_status = RESULT_UNKNOWN;
	set_source(out, "nothing");

	j.dfd = open(job_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (j.dfd < 0 && errno == ENOENT) {
		note(&j, &desc, "the job directory is gone");
	} else if (j.dfd < 0) {
		note(&j, &desc, "the job directory cannot be opened: %s",
		     strerror(errno));
	} else {
		read_job(&j, out, &desc, &tdesc);
		close(j.dfd);
	}
	out->description = take(&j, &desc);
	out->test_description = take(&j, &tdesc);
	buf_release(&desc);
	buf_release(&tdesc);
	if (j.nomem) {
		result_release(out);
		return err_set(e, ERR_NOMEM, "result_read: out of memory");
	}
	return 0;
}
