/* names.c - every validator of a name from outside (logins, repositories,
 * labels, delivery ids, event names) in one place.
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
