/* mindex.c - the manager's index of the records it has read (see
 * mindex.h).
 * Layer: state (README, "Map of the code"). */
#include "mindex.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "names.h"
#include "num.h"
#include "xio.h"

#define HEAD "# eessi-bot manager index 1\n"
#define DIR_MAX 4095 /* a record's job_dir (lib/core/jobrec.h) */

static int cmp_ent(const void *a, const void *b)
{
	long long x = ((const struct mindex_ent *)a)->id;
	long long y = ((const struct mindex_ent *)b)->id;

	return (x > y) - (x < y);
}

struct mindex_ent *mindex_find(struct mindex *ix, long long id)
{
	struct mindex_ent key = { .id = id };

	if (!ix->nsorted)
		return NULL;
	return bsearch(&key, ix->ent, ix->nsorted, sizeof(*ix->ent), cmp_ent);
}

void mindex_sort(struct mindex *ix)
{
	if (ix->n)
		qsort(ix->ent, ix->n, sizeof(*ix->ent), cmp_ent);
	ix->nsorted = ix->n;
}

void mindex_clear(struct mindex *ix)
{
	for (size_t i = 0; i < ix->n; i++)
		free(ix->ent[i].dir);
	free(ix->ent);
	memset(ix, 0, sizeof(*ix));
}

/* A comment id of the n bytes at s (GitHub's ids pass 2^32: any
 * positive long long).  0 with *out, or -1. */
static int comment_id_of(const char *s, size_t n, long long *out)
{
	char num[24];

	if (n == 0 || n >= sizeof(num))
		return -1;
	memcpy(num, s, n);
	num[n] = '\0';
	return num_parse(num, 1, LLONG_MAX, out);
}

struct mindex_ent *mindex_put(struct mindex *ix, long long id, long long cid,
			      const char *dir, size_t dirlen)
{
	struct mindex_ent *x;

	if (ix->n == ix->cap) {
		size_t cap = ix->cap ? ix->cap * 2 : 256;

		if (!(x = realloc(ix->ent, cap * sizeof(*x))))
			return NULL;
		ix->ent = x;
		ix->cap = cap;
	}
	x = &ix->ent[ix->n];
	memset(x, 0, sizeof(*x));
	x->id = id;
	x->cid = cid;
	if (!(x->dir = strndup(dir, dirlen)))
		return NULL;
	x->present = 1;
	ix->n++;
	ix->dirty = 1;
	return x;
}

/* One line "ID COMMENT_ID JOB_DIR" of [p, nl), ids above prev. */
static int parse_line(struct mindex *ix, const char *p, const char *nl,
		      long long *prev)
{
	const char *a, *b;
	long long id, cid;

	if (!(a = memchr(p, ' ', (size_t)(nl - p))) ||
	    !(b = memchr(a + 1, ' ', (size_t)(nl - a - 1))) ||
	    names_jobid(p, (size_t)(a - p), &id) < 0 ||
	    comment_id_of(a + 1, (size_t)(b - a - 1), &cid) < 0 ||
	    id <= *prev || b + 1 >= nl || b[1] != '/' ||
	    (size_t)(nl - b - 1) > DIR_MAX)
		return -1;
	for (const char *q = b + 1; q < nl; q++)
		if ((unsigned char)*q < 0x20 || *q == 0x7f)
			return -1;
	if (!mindex_put(ix, id, cid, b + 1, (size_t)(nl - b - 1)))
		return -1;
	*prev = id;
	return 0;
}

int mindex_parse(struct mindex *ix, const char *s, size_t len)
{
	const char *end = s + len, *p;
	long long prev = 0;

	if (len < strlen(HEAD) || memcmp(s, HEAD, strlen(HEAD)) != 0)
		return -1;
	for (p = s + strlen(HEAD); p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl || parse_line(ix, p, nl, &prev) < 0)
			return -1;
		p = nl + 1;
	}
	for (size_t i = 0; i < ix->n; i++)
		ix->ent[i].present = 0; /* until its record is seen */
	ix->nsorted = ix->n;
	ix->dirty = 0;
	return 0;
}

int mindex_render(struct mindex *ix, struct buf *text)
{
	mindex_sort(ix);
	if (buf_adds(text, HEAD) < 0)
		return -1;
	for (size_t i = 0; i < ix->n; i++) {
		const struct mindex_ent *x = &ix->ent[i];

		if (x->moved || !x->present)
			continue;
		if (buf_addf(text, "%lld %lld %s\n", x->id, x->cid, x->dir) < 0)
			return -1;
	}
	return 0;
}

static int join(struct buf *path, const char *dir)
{
	return buf_addf(path, "%s/" MINDEX_NAME, dir);
}

void mindex_load(struct mindex *ix, const char *dir)
{
	struct buf text = BUF_INIT(MINDEX_CAP), path = BUF_INIT(8192);
	struct err e = ERR_INIT;

	if (join(&path, dir) < 0) {
		ix->dirty = 1;
	} else if (xio_read_file(path.s, &text, 1, &e) < 0) {
		if (!(e.code == ERR_SYS && errno == ENOENT))
			log_warn("%s; made again from the records", e.msg);
		ix->dirty = 1;
	} else if (mindex_parse(ix, text.s, text.len) < 0) {
		log_warn("%s: not an index this version writes; made again "
			 "from the records", path.s);
		mindex_clear(ix);
		ix->dirty = 1;
	}
	buf_release(&text);
	buf_release(&path);
}

int mindex_save(struct mindex *ix, const char *dir, struct err *e)
{
	struct buf text = BUF_INIT(MINDEX_CAP), path = BUF_INIT(8192);
	struct err we = ERR_INIT;
	int rc = 0;

	for (size_t i = 0; i < ix->n; i++)
		if (ix->ent[i].moved || !ix->ent[i].present)
			ix->dirty = 1;
	if (!ix->dirty)
		goto out;
	if (mindex_render(ix, &text) < 0)
		rc = err_set(e, ERR_TOOBIG, MINDEX_NAME ": too large");
	else if (join(&path, dir) < 0)
		rc = err_set(e, ERR_TOOBIG, MINDEX_NAME ": path too long");
	else if (xio_write_atomic(path.s, text.s, text.len, 0644, &we) < 0)
		rc = err_set(e, we.code, MINDEX_NAME ": %s", we.msg);
	else
		ix->dirty = 0;
out:
	buf_release(&text);
	buf_release(&path);
	return rc;
}

int mindex_normalise(const char *s, size_t len, struct buf *out,
		     size_t *entries)
{
	struct mindex ix;
	int rc = -1;

	memset(&ix, 0, sizeof(ix));
	*entries = 0;
	if (mindex_parse(&ix, s, len) == 0) {
		for (size_t i = 0; i < ix.n; i++)
			ix.ent[i].present = 1;
		*entries = ix.n;
		rc = mindex_render(&ix, out) < 0 ? -2 : 0;
	}
	mindex_clear(&ix);
	return rc;
}
