/* ini.c - a small INI reader and writer for records, requests, result
 * files and job.cfg.
 * Layer: base (README, "Map of the code"). */
#include "ini.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xio.h"

#define NAME_MAX_LEN 128

struct ini_entry {
	size_t sec;     /* index into ini->secs */
	char *key;
	struct buf val; /* continuation lines joined with '\n' */
	size_t line;    /* where the key was first set */
};

struct ini {
	char **secs;
	size_t nsecs, asecs;
	struct ini_entry *ents;
	size_t nents, aents;
};

/* What configparser's str.strip() drops that can occur in our input. */
static int blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static int ctl(char c)
{
	return (unsigned char)c < 0x20 || c == 0x7f;
}

/* Section names may hold ':' (target keys do); keys may not, because
 * configparser ends a key at the first '=' or ':'. */
static int valid_name(const char *s, size_t n, int is_key)
{
	size_t i;

	if (n < 1 || n > NAME_MAX_LEN)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || (c && strchr("_./+-", c)))
			continue;
		if (c == ':' && !is_key)
			continue;
		return 0;
	}
	return 1;
}

/* A buf failure as an error: the cap (E2BIG) or memory. */
static int buf_err(struct err *e, const char *what)
{
	if (errno == ENOMEM)
		return err_set(e, ERR_NOMEM, "%s: out of memory", what);
	return err_set(e, ERR_TOOBIG, "%s: output too large", what);
}

void ini_free(struct ini *ini)
{
	size_t i;

	if (!ini)
		return;
	for (i = 0; i < ini->nsecs; i++)
		free(ini->secs[i]);
	for (i = 0; i < ini->nents; i++) {
		free(ini->ents[i].key);
		buf_release(&ini->ents[i].val);
	}
	free(ini->secs);
	free(ini->ents);
	free(ini);
}

/* arr (of *alloc elements of size sz, n used) with room for one more:
 * arr itself, a larger copy, or NULL (arr untouched) without memory. */
static void *grow(void *arr, size_t n, size_t *alloc, size_t sz)
{
	size_t na;
	void *q;

	if (n < *alloc)
		return arr;
	na = *alloc ? *alloc * 2 : 16;
	q = realloc(arr, na * sz);
	if (q)
		*alloc = na;
	return q;
}

static char *dup_n(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static long find_section(const struct ini *ini, const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < ini->nsecs; i++)
		if (strlen(ini->secs[i]) == n &&
		    memcmp(ini->secs[i], name, n) == 0)
			return (long)i;
	return -1;
}

static struct ini_entry *find_entry(const struct ini *ini, size_t sec,
				    const char *key, size_t n)
{
	size_t i;

	for (i = 0; i < ini->nents; i++) {
		struct ini_entry *en = &ini->ents[i];

		if (en->sec == sec && strlen(en->key) == n &&
		    memcmp(en->key, key, n) == 0)
			return en;
	}
	return NULL;
}

/* State of one parse: where the next setting goes, and how a following
 * indented line is taken (configparser's indent_level and optname). */
struct parser {
	struct ini *ini;
	long sec;               /* current section, -1 before the first */
	struct ini_entry *cur;  /* setting that continuation lines extend */
	size_t indent;          /* indentation of the last section/key line */
	size_t empties;         /* blank lines since cur's last line */
	size_t lines;           /* section and setting lines so far */
	size_t lineno;
	struct err *e;
};

static int no_memory(struct parser *p)
{
	return err_set(p->e, ERR_NOMEM, "line %zu: out of memory", p->lineno);
}

static int section_line(struct parser *p, const char *s, size_t n)
{
	long i;

	if (n < 3 || s[n - 1] != ']' || !valid_name(s + 1, n - 2, 0))
		return err_set(p->e, ERR_INVAL,
			       "line %zu: bad section name "
			       "(expected [A-Za-z0-9_.:/+-]{1,128})",
			       p->lineno);
	i = find_section(p->ini, s + 1, n - 2);
	if (i < 0) {
		char **secs = grow(p->ini->secs, p->ini->nsecs, &p->ini->asecs,
				   sizeof(*secs));
		char *name;

		if (secs)
			p->ini->secs = secs;
		if (!secs || !(name = dup_n(s + 1, n - 2)))
			return no_memory(p);
		i = (long)p->ini->nsecs;
		p->ini->secs[p->ini->nsecs++] = name;
	}
	p->sec = i;
	p->cur = NULL;
	return 0;
}

/* "key = value" or "key: value", split at the first '=' or ':' as
 * configparser does. */
static int setting_line(struct parser *p, const char *s, size_t n)
{
	const char *d = s, *k_end, *v = NULL, *end = s + n;
	struct ini_entry *en;

	while (d < end && *d != '=' && *d != ':')
		d++;
	if (d == end)
		return err_set(p->e, ERR_INVAL,
			       "line %zu: neither a comment, a section nor a "
			       "setting", p->lineno);
	if (p->sec < 0)
		return err_set(p->e, ERR_INVAL,
			       "line %zu: setting before the first section",
			       p->lineno);
	k_end = d;
	while (k_end > s && blank(k_end[-1]))
		k_end--;
	if (!valid_name(s, (size_t)(k_end - s), 1))
		return err_set(p->e, ERR_INVAL,
			       "line %zu: bad key name "
			       "(expected [A-Za-z0-9_./+-]{1,128})",
			       p->lineno);
	for (v = d + 1; v < end && blank(*v); v++)
		;
	en = find_entry(p->ini, (size_t)p->sec, s, (size_t)(k_end - s));
	if (!en) {
		struct ini_entry *ents = grow(p->ini->ents, p->ini->nents,
					      &p->ini->aents, sizeof(*ents));

		if (!ents)
			return no_memory(p);
		p->ini->ents = ents;
		en = &ents[p->ini->nents];
		en->sec = (size_t)p->sec;
		en->line = p->lineno;
		buf_init(&en->val, INI_MAX_BYTES);
		if (!(en->key = dup_n(s, (size_t)(k_end - s))))
			return no_memory(p);
		p->ini->nents++;
	}
	buf_clear(&en->val);
	if (buf_add(&en->val, v, (size_t)(end - v)) < 0)
		return buf_err(p->e, "ini");
	p->cur = en;
	return 0;
}

/* An indented line below a setting: configparser keeps the blank lines
 * between (a value's inner empty lines) and drops those at the end. */
static int continuation(struct parser *p, const char *s, size_t n)
{
	for (; p->empties > 0; p->empties--)
		if (buf_addch(&p->cur->val, '\n') < 0)
			return buf_err(p->e, "ini");
	if (buf_addch(&p->cur->val, '\n') < 0 ||
	    buf_add(&p->cur->val, s, n) < 0)
		return buf_err(p->e, "ini");
	return 0;
}

/* One line [s, end) without its '\n'. */
static int parse_line(struct parser *p, const char *s, const char *end)
{
	const char *t = s;
	size_t indent;

	if (memchr(s, '\0', (size_t)(end - s)))
		return err_set(p->e, ERR_INVAL, "line %zu: NUL byte",
			       p->lineno);
	while (t < end && blank(*t))
		t++;
	indent = (size_t)(t - s);
	while (end > t && blank(end[-1]))
		end--;
	if (t == end) {
		p->empties++;
		return 0;
	}
	if (*t == '#' || *t == ';')
		return 0; /* comments, even indented ones, as configparser */
	if (p->cur && indent > p->indent)
		return continuation(p, t, (size_t)(end - t));
	p->empties = 0;
	p->indent = indent;
	if (++p->lines > INI_MAX_ENTRIES)
		return err_set(p->e, ERR_TOOBIG,
			       "line %zu: more than %d sections and settings",
			       p->lineno, INI_MAX_ENTRIES);
	if (*t == '[')
		return section_line(p, t, (size_t)(end - t));
	return setting_line(p, t, (size_t)(end - t));
}

int ini_parse(const char *text, size_t len, struct ini **out, struct err *e)
{
	struct parser p = { NULL, -1, NULL, 0, 0, 0, 0, e };
	const char *s = text, *end = text + len;

	*out = NULL;
	if (len > INI_MAX_BYTES)
		return err_set(e, ERR_TOOBIG,
			       "%zu bytes, more than %zu allowed", len,
			       INI_MAX_BYTES);
	p.ini = calloc(1, sizeof(*p.ini));
	if (!p.ini)
		return err_set(e, ERR_NOMEM, "ini: out of memory");
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *eol = nl ? nl : end;

		p.lineno++;
		if (parse_line(&p, s, eol) < 0) {
			ini_free(p.ini);
			return -1;
		}
		s = nl ? nl + 1 : end;
	}
	*out = p.ini;
	return 0;
}

int ini_load(const char *path, struct ini **out, struct err *e)
{
	struct buf text = BUF_INIT(INI_MAX_BYTES);
	struct err pe = ERR_INIT;
	int rc;

	*out = NULL;
	if (xio_read_file(path, &text, 0, e) < 0) {
		buf_release(&text);
		return -1;
	}
	rc = ini_parse(text.s, text.len, out, &pe);
	if (rc < 0)
		err_set(e, pe.code, "%s: %s", path, pe.msg);
	buf_release(&text);
	return rc;
}

const char *ini_get(const struct ini *ini, const char *section,
		    const char *key)
{
	long sec = find_section(ini, section, strlen(section));
	const struct ini_entry *en;

	if (sec < 0)
		return NULL;
	en = find_entry(ini, (size_t)sec, key, strlen(key));
	return en ? en->val.s : NULL;
}

int ini_has_section(const struct ini *ini, const char *section)
{
	return find_section(ini, section, strlen(section)) >= 0;
}

size_t ini_nsections(const struct ini *ini)
{
	return ini->nsecs;
}

const char *ini_section(const struct ini *ini, size_t i)
{
	return i < ini->nsecs ? ini->secs[i] : NULL;
}

size_t ini_nentries(const struct ini *ini)
{
	return ini->nents;
}

int ini_entry_at(const struct ini *ini, size_t i, const char **section,
		 const char **key, const char **value, size_t *line)
{
	if (i >= ini->nents)
		return -1;
	*section = ini->secs[ini->ents[i].sec];
	*key = ini->ents[i].key;
	*value = ini->ents[i].val.s;
	*line = ini->ents[i].line;
	return 0;
}

int ini_put_section(struct buf *out, const char *name, struct err *e)
{
	size_t start = out->len;

	if (!valid_name(name, strlen(name), 0))
		return err_set(e, ERR_INVAL, "bad section name '%.140s'", name);
	if ((out->len > 0 && buf_addch(out, '\n') < 0) ||
	    buf_addf(out, "[%s]\n", name) < 0) {
		buf_truncate(out, start);
		return buf_err(e, name);
	}
	return 0;
}

/* Why value would not read back the same (ini.h), or NULL if it would. */
static const char *value_problem(const char *value)
{
	const char *line = value;

	for (;;) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		size_t i;

		for (i = 0; i < n; i++)
			if (ctl(line[i]))
				return "a control character";
		if (n > 0 && (line[0] == ' ' || line[n - 1] == ' '))
			return "a line with leading or trailing blanks";
		if (line != value) {
			if (n == 0)
				return "an empty line after the first";
			if (line[0] == '#' || line[0] == ';')
				return "a continuation line starting with "
				       "'#' or ';'";
		}
		if (!nl)
			return NULL;
		line = nl + 1;
	}
}

int ini_put(struct buf *out, const char *key, const char *value,
	    struct err *e)
{
	size_t start = out->len;
	const char *why, *line = value, *nl;
	int rc;

	if (!valid_name(key, strlen(key), 1))
		return err_set(e, ERR_INVAL, "bad key name '%.140s'", key);
	if ((why = value_problem(value)))
		return err_set(e, ERR_INVAL, "%s: value has %s", key, why);
	rc = buf_addf(out, "%s = ", key);
	while (rc == 0 && (nl = strchr(line, '\n'))) {
		rc = buf_add(out, line, (size_t)(nl - line));
		if (rc == 0)
			rc = buf_adds(out, "\n    ");
		line = nl + 1;
	}
	if (rc == 0)
		rc = buf_adds(out, line);
	if (rc == 0)
		rc = buf_addch(out, '\n');
	if (rc < 0) {
		buf_truncate(out, start);
		return buf_err(e, key);
	}
	return 0;
}

int ini_put_num(struct buf *out, const char *key, long long v, struct err *e)
{
	char num[32];

	snprintf(num, sizeof(num), "%lld", v);
	return ini_put(out, key, num, e);
}
