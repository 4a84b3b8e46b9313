/* clock.c - the one millisecond clock (clock.h).
 * Layer: base (README, "Map of the code"). */
#include "clock.h"

#include <stdio.h>
#include <time.h>

static long long ms_of(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts) < 0)
		return 0;
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long clock_mono_ms(void)
{
	return ms_of(CLOCK_MONOTONIC);
}

long long clock_wall_ms(void)
{
	return ms_of(CLOCK_REALTIME);
}

void clock_utc_text(long long t, char *out, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || !gmtime_r(&tt, &tm) ||
	    strftime(out, size, "%Y-%m-%d %H:%M UTC", &tm) == 0)
		snprintf(out, size, "?");
}
