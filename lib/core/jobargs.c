/* jobargs.c - job arguments of `bot: build` lines and the site's
 * allow-lists (see jobargs.h).
 * Layer: core (README, "Map of the code"). */
#include "jobargs.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "names.h"

#define WORD_SHOWN 64

static int is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* The word p[0..n) for a message (names_shown_word()). */
static void shown(const char *p, size_t n, char out[WORD_SHOWN + 4])
{
	names_shown_word(out, WORD_SHOWN + 4, p, n, WORD_SHOWN);
}

static int valid_key(const char *s, size_t n)
{
	if (n == 0 || n > JOBARGS_KEY_MAX ||
	    !((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

static int valid_opt(const char *s, size_t n)
{
	if (n < 3 || n > JOBARGS_OPT_MAX || s[0] != '-' || s[1] != '-' ||
	    s[2] < 'a' || s[2] > 'z')
		return 0;
	for (size_t i = 3; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '-'))
			return 0;
	return 1;
}

static int valid_value(const char *s, size_t n)
{
	if (n > JOBARGS_VALUE_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return 0;
	return 1;
}

/* 1 if the whole of s matches the extended regular expression pat[0..n);
 * 0 no match or a pattern that does not compile (conf checked it). */
static int whole_match(const char *pat, size_t n, const char *s)
{
	char *anch = malloc(n + 5);
	regex_t re;
	int ok;

	if (!anch)
		return 0;
	snprintf(anch, n + 5, "^(%.*s)$", (int)n, pat);
	ok = regcomp(&re, anch, REG_EXTENDED | REG_NOSUB) == 0;
	free(anch);
	if (!ok)
		return 0;
	ok = regexec(&re, s, 0, NULL, 0) == 0;
	regfree(&re);
	return ok;
}

static int allowed(const struct conf_strv *list, const struct jobarg *a)
{
	for (size_t i = 0; i < list->n; i++) {
		const char *entry = list->v[i], *eq = strchr(entry, '=');

		if (eq && whole_match(entry, (size_t)(eq - entry), a->key) &&
		    whole_match(eq + 1, strlen(eq + 1), a->value))
			return 1;
	}
	return 0;
}

/* Stores k=v into list (of n): a key given before gets the new value. */
static int store(struct jobarg *list, size_t *n, const char *k, size_t kn,
		 const char *v, size_t vn)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strlen(list[i].key) == kn && memcmp(list[i].key, k, kn) == 0)
			break;
	if (i == *n) {
		if (*n == JOBARGS_MAX)
			return -1;
		(*n)++;
	}
	memcpy(list[i].key, k, kn);
	list[i].key[kn] = '\0';
	memcpy(list[i].value, v, vn);
	list[i].value[vn] = '\0';
	return 0;
}

enum word_kind { W_OTHER, W_ENV, W_SUB };

static enum word_kind kind_of(const char *p, size_t n, size_t *skip)
{
	static const struct { const char *name; enum word_kind k; } names[] = {
		{ "jobargs:", W_ENV }, { "exportvariable:", W_ENV },
		{ "submitargs:", W_SUB },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t l = strlen(names[i].name);

		if (n >= l && strncasecmp(p, names[i].name, l) == 0) {
			*skip = l;
			return names[i].k;
		}
	}
	return W_OTHER;
}

/* The refusal of a word not written NAME=VALUE / --NAME=VALUE: -1. */
static int shape(enum word_kind k, const char *word, char *why, size_t whylen)
{
	if (k == W_ENV)
		snprintf(why, whylen, "`%s`: a job argument is written "
			 "jobargs:NAME=VALUE, NAME made of letters, digits and '_' "
			 "(not starting with a digit, at most %d)", word, JOBARGS_KEY_MAX);
	else
		snprintf(why, whylen, "`%s`: an sbatch option is written "
			 "submitargs:--NAME=VALUE (NAME: lower-case letters, digits "
			 "and '-')", word);
	return -1;
}

/* One jobargs:/submitargs: word (without its name: s[0..n)). */
static int take_word(const struct conf *c, enum word_kind k, const char *w,
		     size_t wn, const char *s, size_t n, struct jobargs *ja,
		     char *why, size_t whylen)
{
	const char *eq = memchr(s, '=', n);
	size_t kn = eq ? (size_t)(eq - s) : n, vn = eq ? n - kn - 1 : 0;
	char word[WORD_SHOWN + 4];
	struct jobarg a;

	shown(w, wn, word);
	if (!eq || !(k == W_ENV ? valid_key(s, kn) : valid_opt(s, kn)))
		return shape(k, word, why, whylen);
	if (!valid_value(eq + 1, vn)) {
		snprintf(why, whylen, "`%s`: a value is at most %d printable ASCII "
			 "characters, no blank", word, JOBARGS_VALUE_MAX);
		return -1;
	}
	memcpy(a.key, s, kn);
	a.key[kn] = '\0';
	memcpy(a.value, eq + 1, vn);
	a.value[vn] = '\0';
	if (!allowed(k == W_ENV ? &c->buildenv.allowed_jobargs
				: &c->buildenv.allowed_submitargs, &a)) {
		snprintf(why, whylen, "`%s`: not allowed on this instance (%s)", word,
			 k == W_ENV ? "allowed_jobargs" : "allowed_submitargs");
		return -1;
	}
	if ((k == W_ENV ? store(ja->env, &ja->nenv, s, kn, eq + 1, vn)
			: store(ja->sub, &ja->nsub, s, kn, eq + 1, vn)) < 0) {
		snprintf(why, whylen, "more than %d job arguments of one kind",
			 JOBARGS_MAX);
		return -1;
	}
	return 0;
}

int jobargs_take(const struct conf *c, const char *args, struct jobargs *ja,
		 char *rest, size_t restlen, char *why, size_t whylen)
{
	const char *p = args ? args : "";
	size_t used = 0;

	memset(ja, 0, sizeof(*ja));
	if (restlen == 0 || whylen == 0)
		return -1;
	rest[0] = why[0] = '\0';
	for (;;) {
		size_t n, skip = 0;
		enum word_kind k;

		while (is_blank(*p))
			p++;
		if (!*p)
			return 0;
		for (n = 0; p[n] && !is_blank(p[n]); n++)
			;
		k = kind_of(p, n, &skip);
		if (k != W_OTHER) {
			if (take_word(c, k, p, n, p + skip, n - skip, ja, why, whylen) < 0)
				return -1;
		} else {
			if (used + n + 2 > restlen) {
				snprintf(why, whylen, "the line is too long");
				return -1;
			}
			if (used)
				rest[used++] = ' ';
			memcpy(rest + used, p, n);
			used += n;
			rest[used] = '\0';
		}
		p += n;
	}
}

static int same_list(const struct jobarg *a, size_t na, const struct jobarg *b,
		     size_t nb)
{
	if (na != nb)
		return 0;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i].key, b[i].key) != 0 || strcmp(a[i].value, b[i].value) != 0)
			return 0;
	return 1;
}

int jobargs_same(const struct jobargs *a, const struct jobargs *b)
{
	return same_list(a->env, a->nenv, b->env, b->nenv) &&
	       same_list(a->sub, a->nsub, b->sub, b->nsub);
}

static int list_text(const struct jobarg *l, size_t n, struct buf *out)
{
	size_t len0 = out->len;

	for (size_t i = 0; i < n; i++)
		if (buf_addf(out, "%s=%s\n", l[i].key, l[i].value) < 0) {
			buf_truncate(out, len0);
			return -1;
		}
	return 0;
}

int jobargs_env_text(const struct jobargs *ja, struct buf *out)
{
	return list_text(ja->env, ja->nenv, out);
}

int jobargs_submit_text(const struct jobargs *ja, struct buf *out)
{
	return list_text(ja->sub, ja->nsub, out);
}

int jobargs_parse_submit(const char *text, size_t len, struct jobargs *ja,
			 char *why, size_t whylen)
{
	const char *p = text, *end = text + len;
	int line = 0;

	memset(ja, 0, sizeof(*ja));
	if (whylen)
		why[0] = '\0';
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		const char *eq = memchr(p, '=', (size_t)(eol - p));
		size_t kn = eq ? (size_t)(eq - p) : 0;

		line++;
		if (!eq || !valid_opt(p, kn) ||
		    !valid_value(eq + 1, (size_t)(eol - eq - 1)) ||
		    store(ja->sub, &ja->nsub, p, kn, eq + 1, (size_t)(eol - eq - 1)) < 0) {
			snprintf(why, whylen, "line %d: not --NAME=VALUE (or more than "
				 "%d)", line, JOBARGS_MAX);
			return -1;
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}
