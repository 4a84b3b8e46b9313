/* num.h - the one bounded number parser for numbers from outside: command
 * options, records, requests, the ledger, journals, HTTP headers.
 */
#ifndef EESSI_NUM_H
#define EESSI_NUM_H

/* s as a whole decimal integer in [min, max]: an optional '-' (only when
 * min < 0), then 1 to 19 digits, and nothing else (no blank, '+', "0x",
 * trailing text; no overflow).  0 with *out set, or -1 with *out
 * untouched. */
int num_parse(const char *s, long long min, long long max, long long *out);

/* num_parse() of s in [0, LLONG_MAX], or dflt when s is NULL or not such
 * a number: for values the bot wrote itself and reads back (journals). */
long long num_or(const char *s, long long dflt);

#endif
