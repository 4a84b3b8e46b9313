/* names.c - every validator of a name from outside (logins, repositories,
 * labels, delivery ids, event names, commits, branches, targets, job ids) in one place.
 * Layer: base (README, "Map of the code"). */
#include "names.h"

#include <string.h>
#include <strings.h>

int names_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

int names_charset(const char *s, const char *extra, size_t min, size_t max)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (i >= max || (!names_alnum((unsigned char)s[i]) &&
				 !strchr(extra, s[i])))
			return 0;
	return i >= min;
}

/* The login part of s[0..n): letters, digits, single inner hyphens. */
static int login_part(const char *s, size_t n)
{
	size_t i;

	if (n < 1 || n > 39 || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] == '-' ? s[i + 1] == '-' : !names_alnum(s[i]))
			return 0;
	return 1;
}

int names_valid_login(const char *s)
{
	size_t n;

	if (!s)
		return 0;
	n = strlen(s);
	if (n > 5 && strcmp(s + n - 5, "[bot]") == 0)
		n -= 5;
	return login_part(s, n);
}

int names_valid_repo(const char *s)
{
	const char *slash, *name;
	size_t i, n;

	if (!s || !(slash = strchr(s, '/')) || !login_part(s, (size_t)(slash - s)))
		return 0;
	name = slash + 1;
	n = strlen(name);
	if (n < 1 || n > 100 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!names_alnum(name[i]) && !strchr("._-", name[i]))
			return 0;
	return 1;
}

int names_label_is(const char *label, const char *want)
{
	return label && want && strcasecmp(label, want) == 0;
}

int names_valid_label(const char *s)
{
	size_t i;

	if (!s || !*s)
		return 0;
	for (i = 0; s[i]; i++)
		if (i >= 100 || (unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

static int is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

int names_valid_delivery(const char *s)
{
	static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
	size_t i;

	if (!s)
		return 0;
	for (i = 0; shape[i]; i++) {
		if (shape[i] == '-' ? s[i] != '-' : !is_hex(s[i]))
			return 0;
	}
	return s[i] == '\0';
}

int names_valid_event(const char *s)
{
	size_t i;

	if (!s || !*s)
		return 0;
	for (i = 0; s[i]; i++) {
		if (i >= 64 || !((s[i] >= 'a' && s[i] <= 'z') ||
				 (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	}
	return 1;
}

static int lower_hex(const char *s, size_t *n)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	*n = i;
	return 1;
}

int names_valid_sha(const char *s)
{
	size_t n;

	return s && lower_hex(s, &n) && (n == 40 || n == 64);
}

int names_valid_sha256(const char *s)
{
	size_t n;

	return s && lower_hex(s, &n) && n == 64;
}

int names_valid_ref(const char *s)
{
	size_t n;

	if (!s || !names_charset(s, "._/+-", 1, NAMES_REF_MAX))
		return 0;
	n = strlen(s);
	if (strchr("-./", s[0]) || strchr("/.", s[n - 1]))
		return 0;
	if (n >= 5 && strcmp(s + n - 5, ".lock") == 0)
		return 0;
	/* git refuses a component ending in ".lock" anywhere, too */
	return !strstr(s, "..") && !strstr(s, "//") && !strstr(s, "/.") &&
	       !strstr(s, ".lock/");
}

int names_valid_instance(const char *s)
{
	return s && names_charset(s, "._-", 1, 64);
}

int names_valid_target(const char *s)
{
	return s && names_charset(s, "._+:/-", 1, 255);
}

int names_valid_target_key(const char *s)
{
	return s && names_charset(s, "._+:/-", 1, 511);
}

int names_jobid(const char *s, size_t n, long long *out)
{
	long long v = 0;

	if (n == 0 || n > 10 || s[0] == '0')
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v > NAMES_JOBID_MAX)
		return -1;
	*out = v;
	return 0;
}

static void shown(char *out, size_t size, const char *s, size_t n, size_t max,
		  int code)
{
	size_t i, shown = n > max ? max : n, o = 0;

	if (size == 0)
		return;
	/* cppcheck-suppress knownConditionTrueFalse ; false positive: taken from a caller's n of 0 */
	for (i = 0; i < shown && o + 1 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		out[o++] = (c < 0x20 + code || c > 0x7e || (code && c == '`'))
				   ? '?' : (char)c;
	}
	/* cppcheck-suppress knownConditionTrueFalse ; false positive: shown < n after a cut */
	for (i = 0; shown < n && i < 3 && o + 1 < size; i++)
		out[o++] = '.';
	out[o] = '\0';
}

void names_shown(char *out, size_t size, const char *s, size_t n, size_t max)
{
	shown(out, size, s, n, max, 0);
}

void names_shown_word(char *out, size_t size, const char *s, size_t n,
		      size_t max)
{
	shown(out, size, s, n, max, 1);
}

int names_month_dir(const char *name)
{
	return strlen(name) == 7 && strspn(name, "0123456789") == 4 &&
	       name[4] == '.' && strspn(name + 5, "0123456789") == 2;
}
