/* fuzz.h - what the libFuzzer targets of t/fuzz share.
 *
 * Each fuzz_NAME.c defines LLVMFuzzerTestOneInput() (and, when it needs
 * one-time setup, LLVMFuzzerInitialize()), calls exactly the function the
 * programs call on outside input, frees what it got and keeps no state
 * that grows from one input to the next.  An invariant that does not hold
 * is reported with fuzz_fail(), which abort()s: libFuzzer then keeps the
 * input as a crash.
 */
#ifndef EESSI_FUZZ_H
#define EESSI_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static inline void fuzz_fail(const char *what)
{
	fprintf(stderr, "fuzz invariant broken: %s\n", what);
	abort();
}

/* A NUL-terminated copy of data[0..n) (which may hold NULs: the copy then
 * reads as its first part, as a C string from the outside would). */
static inline char *fuzz_strndup(const uint8_t *data, size_t n)
{
	char *s = malloc(n + 1);

	if (!s)
		abort();
	if (n)
		memcpy(s, data, n);
	s[n] = '\0';
	return s;
}

/* Takes the next NUL-terminated field off (*data, *size): a malloc'd copy of
 * the bytes up to the next NUL (or the rest, when there is none). */
static inline char *fuzz_field(const uint8_t **data, size_t *size)
{
	const uint8_t *nul = memchr(*data, '\0', *size);
	size_t n = nul ? (size_t)(nul - *data) : *size;
	char *s = fuzz_strndup(*data, n);

	*data += n + (nul != NULL);
	*size -= n + (nul != NULL);
	return s;
}

#endif
