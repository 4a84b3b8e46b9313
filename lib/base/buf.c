/* buf.c - the growable string buffer with a size cap (rules in buf.h).
 * Layer: base (README, "Map of the code"). */
#include "buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

char buf_empty[1];

void buf_init(struct buf *b, size_t cap)
{
	b->s = buf_empty;
	b->len = 0;
	b->alloc = 0;
	b->cap = cap;
}

void buf_release(struct buf *b)
{
	if (b->alloc)
		free(b->s);
	buf_init(b, b->cap);
}

void buf_clear(struct buf *b)
{
	b->len = 0;
	if (b->alloc)
		b->s[0] = '\0';
}

void buf_wipe(struct buf *b)
{
	if (b->alloc)
		explicit_bzero(b->s, b->alloc);
	buf_release(b);
}

int buf_grow(struct buf *b, size_t extra)
{
	size_t want, n;
	char *p;

	if (extra > b->cap || b->len > b->cap - extra) {
		errno = E2BIG;
		return -1;
	}
	want = b->len + extra + 1;
	if (want <= b->alloc)
		return 0;
	n = b->alloc ? b->alloc : 64;
	while (n < want)
		n = n > SIZE_MAX / 2 ? want : n * 2;
	if (n > b->cap + 1)
		n = b->cap + 1;
	p = b->alloc ? realloc(b->s, n) : malloc(n);
	if (!p) {
		errno = ENOMEM;
		return -1;
	}
	if (!b->alloc)
		p[0] = '\0';
	b->s = p;
	b->alloc = n;
	return 0;
}

int buf_add(struct buf *b, const void *data, size_t n)
{
	if (buf_grow(b, n) < 0)
		return -1;
	if (n)
		memcpy(b->s + b->len, data, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

int buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int buf_addch(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

int buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0) {
		errno = EINVAL;
		return -1;
	}
	if (buf_grow(b, (size_t)n) < 0)
		return -1;
	/* room for n bytes and the NUL was just made */
	if (vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap) != n) {
		b->s[b->len] = '\0';
		errno = EINVAL;
		return -1;
	}
	b->len += (size_t)n;
	return 0;
}

int buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = buf_vaddf(b, fmt, ap);
	va_end(ap);
	return rc;
}

void buf_truncate(struct buf *b, size_t len)
{
	if (len >= b->len)
		return;
	b->len = len;
	b->s[len] = '\0';
}

char *buf_detach(struct buf *b, size_t *len)
{
	char *s;

	if (len)
		*len = b->len;
	if (!b->alloc) {
		s = strdup("");
		buf_init(b, b->cap);
		return s;
	}
	s = b->s;
	buf_init(b, b->cap);
	return s;
}
