/* command.c - the bot commands in a PR comment, one per line (pure).
 * Layer: core (README, "Map of the code"). */
#include "command.h"

#include <string.h>
#include <strings.h>

static const struct {
	enum command_id id;
	const char *word;
} words[] = {
	{ CMD_HELP, "help" },
	{ CMD_BUILD, "build" },
	{ CMD_SHOW_CONFIG, "show_config" },
	{ CMD_STATUS, "status" },
	{ CMD_CANCEL, "cancel" },
	{ CMD_RETRY, "retry" },
};

const char *command_word(enum command_id id)
{
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (words[i].id == id)
			return words[i].word;
	return NULL;
}

static int blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Copies [s, s+n) into dst (size cap+1), cutting at cap; 1 if cut. */
static int copy_cut(char *dst, size_t cap, const char *s, size_t n)
{
	int cut = n > cap;

	if (cut)
		n = cap;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return cut;
}

/* One line [p, end) that starts with "bot:" (already checked). */
static void parse_line(const char *p, const char *end, int line,
		       struct command *c)
{
	const char *w, *a;
	size_t i;

	memset(c, 0, sizeof(*c));
	c->line = line;
	p += 4;
	while (p < end && blank(*p))
		p++;
	w = p;
	while (p < end && !blank(*p))
		p++;
	c->too_long = copy_cut(c->word, COMMAND_WORD_MAX, w, (size_t)(p - w));
	/* a cut word is no command; a command whose arguments are cut still
	 * is one, so that its handler can answer "the line is too long" */
	for (i = 0; i < sizeof(words) / sizeof(words[0]) && !c->too_long; i++)
		if (strcasecmp(c->word, words[i].word) == 0)
			c->id = words[i].id;
	while (p < end && blank(*p))
		p++;
	a = p;
	p = end;
	while (p > a && blank(p[-1]))
		p--;
	c->too_long |= copy_cut(c->args, COMMAND_ARGS_MAX, a, (size_t)(p - a));
}

size_t command_parse(const char *body, size_t len, struct command *out,
		     size_t max, int *more)
{
	const char *p = body, *end = body + len;
	size_t n = 0;
	int line = 0, fenced = 0;

	*more = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end, *t = p;

		line++;
		while (t < eol && blank(*t))
			t++;
		/* cppcheck-suppress knownConditionTrueFalse ; a false positive of cppcheck 2.10's value flow */
		if (eol - t >= 3 && (memcmp(t, "```", 3) == 0 ||
				     memcmp(t, "~~~", 3) == 0))
			fenced = !fenced;
		else if (!fenced && eol - t >= 4 && strncasecmp(t, "bot:", 4) == 0) {
			if (n < max)
				parse_line(t, eol, line, &out[n++]);
			else
				*more = 1;
		}
		p = nl ? nl + 1 : end;
	}
	return n;
}
