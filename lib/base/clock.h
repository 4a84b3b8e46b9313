/* clock.h - the bot's one millisecond clock, in its two kinds.
 *
 * clock_mono_ms(): for durations and timeouts (CLOCK_MONOTONIC: a clock
 * step does not make a timeout fire or a figure go negative).
 * clock_wall_ms(): for times kept on disk and compared across processes
 * (intents, retry times: CLOCK_REALTIME, milliseconds since the epoch).
 */
#ifndef EESSI_CLOCK_H
#define EESSI_CLOCK_H

#include <stddef.h>

long long clock_mono_ms(void);
long long clock_wall_ms(void);

/* Epoch seconds t as "YYYY-MM-DD HH:MM UTC" into out ("?" for 0 or a
 * time that cannot be shown). */
void clock_utc_text(long long t, char *out, size_t size);

#endif
