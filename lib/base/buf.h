/* buf.h - the one growable string buffer, with a size cap.
 *
 * Rules:
 *  - b->s is never NULL and always NUL-terminated (an empty buffer points at
 *    a shared static "" until the first allocation), so b->s can be used as
 *    a C string at any time; binary data may contain NULs, use b->len.
 *  - b->cap is the largest b->len the buffer accepts.  An append that would
 *    pass it fails with -1 and errno = E2BIG and leaves the buffer as it was.
 *    Allocation failure: -1, errno = ENOMEM, buffer unchanged.
 *  - Lifecycle: buf_init() / buf_release() (frees, back to empty) /
 *    buf_clear() (empties, keeps memory) / buf_wipe() (zeroes the memory,
 *    then releases: for secrets).  buf_detach() hands the string over.
 */
#ifndef EESSI_BUF_H
#define EESSI_BUF_H

#include <stdarg.h>
#include <stddef.h>

extern char buf_empty[];

struct buf {
	char *s;      /* the bytes, NUL-terminated */
	size_t len;   /* bytes in use, not counting the NUL */
	size_t alloc; /* bytes allocated for s; 0 while s == buf_empty */
	size_t cap;   /* largest len allowed */
};

#define BUF_INIT(capacity) { buf_empty, 0, 0, (capacity) }

/* Common caps. */
#define BUF_CAP_LINE ((size_t)64 * 1024)
#define BUF_CAP_DEFAULT ((size_t)16 * 1024 * 1024)

void buf_init(struct buf *b, size_t cap);
void buf_release(struct buf *b);
void buf_clear(struct buf *b);
void buf_wipe(struct buf *b);

/* Makes room for `extra` more bytes (plus the NUL) without changing len. */
int buf_grow(struct buf *b, size_t extra);

int buf_add(struct buf *b, const void *data, size_t n);
int buf_adds(struct buf *b, const char *s);
int buf_addch(struct buf *b, char c);
int buf_addf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int buf_vaddf(struct buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* Shortens to len (no-op if len >= b->len). */
void buf_truncate(struct buf *b, size_t len);

/* Hands the string over to the caller (who frees it) and leaves b empty.
 * Always returns an allocated string, "" for an empty buffer; NULL only if
 * that allocation fails.  *len (if given) receives the length. */
char *buf_detach(struct buf *b, size_t *len);

#endif
