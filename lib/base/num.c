/* num.c - the one bounded number parser (num.h).
 * Layer: base (README, "Map of the code"). */
#include "num.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>

int num_parse(const char *s, long long min, long long max, long long *out)
{
	const char *d;
	char *end;
	long long v;
	int n;

	if (!s)
		return -1;
	d = s[0] == '-' && min < 0 ? s + 1 : s;
	for (n = 0; d[n]; n++)
		if (d[n] < '0' || d[n] > '9' || n >= 19)
			return -1;
	if (n == 0)
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno == ERANGE || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

long long num_or(const char *s, long long dflt)
{
	long long v;

	return num_parse(s, 0, LLONG_MAX, &v) == 0 ? v : dflt;
}
