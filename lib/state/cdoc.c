/* cdoc.c - the status comment's document: its rows on disk
 * (comments/<ID>.json), read and written atomically, and the comment's
 * text made from it.
 * Layer: state (README, "Map of the code"). */
#include "cdoc.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json.h>

#include "jobrec.h"
#include "jobstate.h"
#include "names.h"
#include "result.h"
#include "status.h"
#include "xio.h"

#define VERSION 1
#define ID_MAX 9007199254740991LL /* 2^53 - 1: exact in every JSON reader */
#define TIME_MAX 253402300799LL   /* 9999-12-31 23:59:59 UTC */
#define JSON_DEPTH 16
#define SCRATCH_CAP BUF_CAP_DEFAULT

/* ---- the fields and their shapes ---------------------------------------- */

static int v_login_opt(const char *s)
{
	return !*s || names_valid_login(s);
}

static int v_sha_opt(const char *s)
{
	return !*s || names_valid_sha(s);
}

static int v_ref_opt(const char *s)
{
	return !*s || names_valid_ref(s);
}

static int v_target(const char *s)
{
	return names_charset(s, "._+:/-() ", 1, 511);
}

static int v_state(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (i >= 31 || !((s[i] >= 'a' && s[i] <= 'z') || s[i] == ' '))
			return 0;
	return i > 0;
}

static int v_reason(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (i >= 63 || s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return 1;
}

static int v_result(const char *s)
{
	return !*s || strcmp(s, result_status_name(RESULT_SUCCESS)) == 0 ||
	       strcmp(s, result_status_name(RESULT_FAILURE)) == 0 ||
	       strcmp(s, result_status_name(RESULT_UNKNOWN)) == 0;
}

static int v_slurm(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (i >= 31 || !((s[i] >= 'A' && s[i] <= 'Z') || s[i] == '_'))
			return 0;
	return 1;
}

enum kind { K_STR, K_NUM, K_TEXT };

/* One member of struct cdoc or struct cdoc_row, in JSON order. */
struct field {
	const char *name;
	enum kind kind;
	size_t off;
	size_t size;                /* K_STR: the array; K_TEXT: max bytes */
	int (*valid)(const char *); /* K_STR */
	long long min, max;         /* K_NUM */
	const char *shape;          /* K_STR: for the error message */
};

#define STR(T, m, fn, shape) \
	{ #m, K_STR, offsetof(T, m), sizeof(((T *)0)->m), fn, 0, 0, shape }
#define NUM(T, m, lo, hi) { #m, K_NUM, offsetof(T, m), 0, NULL, lo, hi, NULL }
#define TEXT(T, m, max) { #m, K_TEXT, offsetof(T, m), max, NULL, 0, 0, NULL }

static const struct field head_fields[] = {
	NUM(struct cdoc, comment_id, 1, ID_MAX),
	STR(struct cdoc, repo, names_valid_repo, "owner/name"),
	NUM(struct cdoc, pr_number, 1, ID_MAX),
	STR(struct cdoc, instance, names_valid_instance, "[A-Za-z0-9._-]{1,64}"),
	STR(struct cdoc, delivery, names_valid_delivery, "a UUID"),
	STR(struct cdoc, requested_by, v_login_opt, "a GitHub login or \"\""),
	STR(struct cdoc, head_sha, v_sha_opt, "a git object id or \"\""),
	STR(struct cdoc, base_ref, v_ref_opt, "a branch name or \"\""),
	STR(struct cdoc, base_sha, v_sha_opt, "a git object id or \"\""),
};

static const struct field row_fields[] = {
	STR(struct cdoc_row, target, v_target, "[A-Za-z0-9._+:/() -]{1,511}"),
	STR(struct cdoc_row, key, names_valid_target_key, "[A-Za-z0-9._+:/-]{1,511}"),
	NUM(struct cdoc_row, job_id, 0, ID_MAX),
	STR(struct cdoc_row, state, v_state, "[a-z ]{1,31}"),
	STR(struct cdoc_row, reason, v_reason, "printable ASCII"),
	STR(struct cdoc_row, result, v_result,
	    "\"\", \"SUCCESS\", \"FAILURE\" or \"UNKNOWN\""),
	STR(struct cdoc_row, slurm, v_slurm, "\"\" or [A-Z_]{1,31}"),
	TEXT(struct cdoc_row, note, CDOC_NOTE_MAX),
	TEXT(struct cdoc_row, excerpt, CDOC_EXCERPT_MAX),
	NUM(struct cdoc_row, changed_at, 0, TIME_MAX),
	NUM(struct cdoc_row, missing_since, 0, TIME_MAX),
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static char *str_of(const void *base, const struct field *f)
{
	return (char *)base + f->off;
}

static long long *num_of(const void *base, const struct field *f)
{
	return (long long *)(void *)((char *)base + f->off);
}

static char **text_of(const void *base, const struct field *f)
{
	return (char **)(void *)((char *)base + f->off);
}

/* One field's value checked; where names the field ("rows[3]." or ""). */
static int check_field(const void *base, const struct field *f,
		       const char *where, struct err *e)
{
	const char *s, *t;
	long long v;

	switch (f->kind) {
	case K_STR:
		s = str_of(base, f);
		if (strnlen(s, f->size) >= f->size)
			return err_set(e, ERR_INVAL, "%s%s: longer than %zu bytes",
				       where, f->name, f->size - 1);
		if (!f->valid(s))
			return err_set(e, ERR_INVAL, "%s%s: not %s", where,
				       f->name, f->shape);
		return 0;
	case K_NUM:
		v = *num_of(base, f);
		if (v < f->min || v > f->max)
			return err_set(e, ERR_INVAL,
				       "%s%s: %lld out of range %lld..%lld",
				       where, f->name, v, f->min, f->max);
		return 0;
	case K_TEXT:
		t = *text_of(base, f);
		if (!t)
			return 0;
		if (strnlen(t, f->size + 1) > f->size)
			return err_set(e, ERR_INVAL, "%s%s: longer than %zu bytes",
				       where, f->name, f->size);
		if (!status_is_clean(t, strlen(t)))
			return err_set(e, ERR_INVAL, "%s%s: not clean UTF-8 "
				       "text (invalid UTF-8 or a control "
				       "character)", where, f->name);
		return 0;
	}
	return err_set(e, ERR_INVAL, "%s%s: unknown kind", where, f->name);
}

static int check_doc(const struct cdoc *d, struct err *e)
{
	char where[32];
	size_t i, j;

	for (j = 0; j < NELEM(head_fields); j++)
		if (check_field(d, &head_fields[j], "", e) < 0)
			return -1;
	if (d->n > CDOC_ROWS_MAX)
		return err_set(e, ERR_INVAL, "rows: %zu, more than %d", d->n,
			       CDOC_ROWS_MAX);
	if (d->n > 0 && !d->rows)
		return err_set(e, ERR_INVAL, "rows: missing");
	for (i = 0; i < d->n; i++) {
		snprintf(where, sizeof(where), "rows[%zu].", i);
		for (j = 0; j < NELEM(row_fields); j++)
			if (check_field(&d->rows[i], &row_fields[j], where, e) < 0)
				return -1;
	}
	return 0;
}

/* ---- the struct ------------------------------------------------------------ */

static void row_release(struct cdoc_row *r)
{
	free(r->note);
	free(r->excerpt);
	r->note = r->excerpt = NULL;
}

void cdoc_release(struct cdoc *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; d->rows && i < d->n; i++)
		row_release(&d->rows[i]);
	free(d->rows);
	memset(d, 0, sizeof(*d));
}

struct cdoc_row *cdoc_add_row(struct cdoc *d)
{
	struct cdoc_row *rows;

	if (d->n >= CDOC_ROWS_MAX)
		return NULL;
	rows = realloc(d->rows, (d->n + 1) * sizeof(*rows));
	if (!rows)
		return NULL;
	d->rows = rows;
	memset(&rows[d->n], 0, sizeof(*rows));
	return &rows[d->n++];
}

struct cdoc_row *cdoc_insert_row(struct cdoc *d, size_t at)
{
	struct cdoc_row *row;

	if (at > d->n || !cdoc_add_row(d))
		return NULL;
	row = &d->rows[at];
	memmove(row + 1, row, (d->n - 1 - at) * sizeof(*row));
	memset(row, 0, sizeof(*row));
	return row;
}

struct cdoc_row *cdoc_row_by_job(struct cdoc *d, long long job_id)
{
	size_t i;

	for (i = 0; job_id > 0 && i < d->n; i++)
		if (d->rows[i].job_id == job_id)
			return &d->rows[i];
	return NULL;
}

struct cdoc_row *cdoc_row_by_key(struct cdoc *d, const char *key)
{
	size_t i;

	for (i = 0; key && i < d->n; i++)
		if (strcmp(d->rows[i].key, key) == 0)
			return &d->rows[i];
	return NULL;
}

/* *field = s made clean text, cut to max bytes at a UTF-8 boundary. */
static int set_text(char **field, const char *s, size_t max)
{
	struct buf clean;
	size_t n;
	char *copy;

	if (!s || !*s) {
		free(*field);
		*field = NULL;
		return 0;
	}
	n = strlen(s);
	buf_init(&clean, n); /* cleaning never makes it longer */
	if (status_clean(&clean, s, n) < 0) {
		buf_release(&clean);
		return -1;
	}
	if (clean.len > max) {
		n = max;
		while (n > 0 && ((unsigned char)clean.s[n] & 0xc0) == 0x80)
			n--;
		buf_truncate(&clean, n);
	}
	if (clean.len == 0) {
		buf_release(&clean);
		free(*field);
		*field = NULL;
		return 0;
	}
	if (!(copy = buf_detach(&clean, NULL)))
		return -1;
	free(*field);
	*field = copy;
	return 0;
}

int cdoc_set_note(struct cdoc_row *row, const char *s)
{
	return set_text(&row->note, s, CDOC_NOTE_MAX);
}

int cdoc_set_excerpt(struct cdoc_row *row, const char *s)
{
	return set_text(&row->excerpt, s, CDOC_EXCERPT_MAX);
}

static const char *nz(const char *s)
{
	return s ? s : "";
}

int cdoc_row_same(const struct cdoc_row *a, const struct cdoc_row *b)
{
	return strcmp(a->target, b->target) == 0 &&
	       strcmp(a->key, b->key) == 0 && a->job_id == b->job_id &&
	       strcmp(a->state, b->state) == 0 &&
	       strcmp(a->reason, b->reason) == 0 &&
	       strcmp(a->result, b->result) == 0 &&
	       strcmp(a->slurm, b->slurm) == 0 &&
	       strcmp(nz(a->note), nz(b->note)) == 0 &&
	       strcmp(nz(a->excerpt), nz(b->excerpt)) == 0;
}

static int dup_text(char **dst, const char *src)
{
	*dst = NULL;
	return src && !(*dst = strdup(src)) ? -1 : 0;
}

int cdoc_copy(struct cdoc *dst, const struct cdoc *src, struct err *e)
{
	size_t i;

	*dst = *src;
	dst->rows = NULL;
	dst->n = 0;
	if (src->n == 0)
		return 0;
	if (!src->rows || !(dst->rows = calloc(src->n, sizeof(*dst->rows)))) {
		memset(dst, 0, sizeof(*dst));
		return err_set(e, src->rows ? ERR_NOMEM : ERR_INVAL,
			       "document copy: %s", src->rows ? "no memory"
							       : "rows missing");
	}
	for (i = 0; i < src->n; i++) {
		dst->rows[i] = src->rows[i];
		dst->rows[i].note = dst->rows[i].excerpt = NULL; /* src's */
		dst->n = i + 1;
		if (dup_text(&dst->rows[i].note, src->rows[i].note) < 0 ||
		    dup_text(&dst->rows[i].excerpt, src->rows[i].excerpt) < 0) {
			cdoc_release(dst);
			return err_set(e, ERR_NOMEM, "document copy: no memory");
		}
	}
	return 0;
}

/* ---- JSON ---------------------------------------------------------------- */

/* Adds key = val to o (val consumed, also on failure); -1 no memory. */
static int add(struct json_object *o, const char *key, struct json_object *val,
	       int null_ok)
{
	if (!val && !null_ok)
		return -1;
	if (json_object_object_add(o, key, val) < 0) {
		json_object_put(val);
		return -1;
	}
	return 0;
}

static int add_fields(struct json_object *o, const void *base,
		      const struct field *f, size_t n)
{
	const char *t;
	size_t i;

	for (i = 0; i < n; i++, f++) {
		switch (f->kind) {
		case K_STR:
			if (add(o, f->name, json_object_new_string(str_of(base, f)),
				0) < 0)
				return -1;
			break;
		case K_NUM:
			if (add(o, f->name, json_object_new_int64(*num_of(base, f)),
				0) < 0)
				return -1;
			break;
		case K_TEXT:
			t = *text_of(base, f);
			if (t && *t ? add(o, f->name, json_object_new_string(t), 0) < 0
				    : add(o, f->name, NULL, 1) < 0)
				return -1;
			break;
		}
	}
	return 0;
}

static struct json_object *to_object(const struct cdoc *d)
{
	struct json_object *o = json_object_new_object(), *rows = NULL, *r;
	size_t i;

	if (!o || add(o, "version", json_object_new_int(VERSION), 0) < 0 ||
	    add_fields(o, d, head_fields, NELEM(head_fields)) < 0 ||
	    !(rows = json_object_new_array()))
		goto fail;
	for (i = 0; i < d->n; i++) {
		if (!(r = json_object_new_object()))
			goto fail;
		if (json_object_array_add(rows, r) < 0) {
			json_object_put(r);
			goto fail;
		}
		if (add_fields(r, &d->rows[i], row_fields, NELEM(row_fields)) < 0)
			goto fail;
	}
	if (add(o, "rows", rows, 0) == 0)
		return o;
	rows = NULL; /* consumed */
fail:
	json_object_put(rows);
	json_object_put(o);
	return NULL;
}

int cdoc_to_json(const struct cdoc *d, struct buf *out, struct err *e)
{
	struct json_object *o;
	const char *s;
	size_t start = out->len, len;
	int rc = 0;

	if (check_doc(d, e) < 0)
		return -1;
	if (!(o = to_object(d)))
		return err_set(e, ERR_NOMEM, "document: no memory for JSON");
	s = json_object_to_json_string_length(
		o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE,
		&len);
	if (!s)
		rc = err_set(e, ERR_NOMEM, "document: no memory for JSON");
	else if (buf_add(out, s, len) < 0 || buf_addch(out, '\n') < 0)
		rc = err_set(e, errno == ENOMEM ? ERR_NOMEM : ERR_TOOBIG,
			     "document: %zu bytes of JSON, more than %zu allowed",
			     len + 1, out->cap - start);
	json_object_put(o);
	if (rc < 0)
		buf_truncate(out, start);
	return rc;
}

/* The JSON value of key in o, or NULL when absent. */
static struct json_object *member(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* A JSON string into a char array of size bytes. */
static int take_str(struct json_object *v, char *dst, size_t size,
		    const char *where, const char *name, struct err *e)
{
	size_t len;

	if (!json_object_is_type(v, json_type_string))
		return err_set(e, ERR_INVAL, "%s%s: not a string", where, name);
	len = (size_t)json_object_get_string_len(v);
	if (len >= size)
		return err_set(e, ERR_INVAL, "%s%s: longer than %zu bytes",
			       where, name, size - 1);
	memcpy(dst, json_object_get_string(v), len);
	dst[len] = '\0';
	if (strlen(dst) != len)
		return err_set(e, ERR_INVAL, "%s%s: holds a NUL", where, name);
	return 0;
}

static int take_fields(struct json_object *o, void *base, const struct field *f,
		       size_t n, const char *where, struct err *e)
{
	size_t i;
	char tmp[CDOC_EXCERPT_MAX + 1];

	_Static_assert(CDOC_NOTE_MAX <= CDOC_EXCERPT_MAX, "tmp holds a note");
	for (i = 0; i < n; i++, f++) {
		struct json_object *v = member(o, f->name);

		if (!v && f->kind != K_TEXT)
			return err_set(e, ERR_INVAL, "%s%s: missing", where,
				       f->name);
		switch (f->kind) {
		case K_STR:
			if (take_str(v, str_of(base, f), f->size, where, f->name,
				     e) < 0)
				return -1;
			break;
		case K_NUM:
			if (!json_object_is_type(v, json_type_int))
				return err_set(e, ERR_INVAL, "%s%s: not an "
					       "integer", where, f->name);
			*num_of(base, f) = json_object_get_int64(v);
			break;
		case K_TEXT:
			if (!v || json_object_is_type(v, json_type_null))
				break;
			tmp[0] = '\0'; /* the analyzer cannot see err_set() return -1 */
			if (take_str(v, tmp, f->size + 1, where, f->name, e) < 0)
				return -1;
			if (*tmp && !(*text_of(base, f) = strdup(tmp)))
				return err_set(e, ERR_NOMEM, "%s%s: no memory",
					       where, f->name);
			break;
		}
	}
	return 0;
}

static int from_object(struct json_object *o, struct cdoc *d, struct err *e)
{
	struct json_object *v, *rows;
	char where[32];
	size_t i, n;

	if (!json_object_is_type(o, json_type_object))
		return err_set(e, ERR_INVAL, "document: not a JSON object");
	if (!(v = member(o, "version")))
		return err_set(e, ERR_INVAL, "version: missing");
	if (!json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) != VERSION)
		return err_set(e, ERR_INVAL, "version: not %d (a document of "
			       "another bot version?)", VERSION);
	if (take_fields(o, d, head_fields, NELEM(head_fields), "", e) < 0)
		return -1;
	if (!(rows = member(o, "rows")))
		return err_set(e, ERR_INVAL, "rows: missing");
	if (!json_object_is_type(rows, json_type_array))
		return err_set(e, ERR_INVAL, "rows: not an array");
	n = json_object_array_length(rows);
	if (n > CDOC_ROWS_MAX)
		return err_set(e, ERR_INVAL, "rows: %zu, more than %d", n,
			       CDOC_ROWS_MAX);
	if (n > 0 && !(d->rows = calloc(n, sizeof(*d->rows))))
		return err_set(e, ERR_NOMEM, "rows: no memory");
	for (i = 0; i < n; i++) {
		snprintf(where, sizeof(where), "rows[%zu]", i);
		v = json_object_array_get_idx(rows, i);
		if (!json_object_is_type(v, json_type_object))
			return err_set(e, ERR_INVAL, "%s: not an object", where);
		d->n = i + 1;
		snprintf(where, sizeof(where), "rows[%zu].", i);
		if (take_fields(v, &d->rows[i], row_fields, NELEM(row_fields),
				where, e) < 0)
			return -1;
	}
	return check_doc(d, e);
}

int cdoc_parse(const char *text, size_t len, struct cdoc *d, struct err *e)
{
	struct json_tokener *tok;
	struct json_object *o;
	size_t end;
	int rc;

	memset(d, 0, sizeof(*d));
	if (len > CDOC_MAX_BYTES)
		return err_set(e, ERR_TOOBIG, "document: %zu bytes, more than "
			       "%zu", len, CDOC_MAX_BYTES);
	if (!text || len == 0)
		return err_set(e, ERR_INVAL, "document: empty");
	if (memchr(text, '\0', len))
		return err_set(e, ERR_INVAL, "document: holds a NUL byte");
	if (!(tok = json_tokener_new_ex(JSON_DEPTH)))
		return err_set(e, ERR_NOMEM, "document: no memory for JSON");
	o = json_tokener_parse_ex(tok, text, (int)len);
	if (!o || json_tokener_get_error(tok) != json_tokener_success) {
		enum json_tokener_error je = json_tokener_get_error(tok);

		rc = err_set(e, ERR_INVAL, "document: not JSON (%s at byte %zu)",
			     je == json_tokener_continue
				     ? "it ends early"
				     : json_tokener_error_desc(je),
			     json_tokener_get_parse_end(tok));
		json_object_put(o);
		json_tokener_free(tok);
		return rc;
	}
	for (end = json_tokener_get_parse_end(tok); end < len; end++)
		if (!strchr(" \t\r\n", text[end]))
			break;
	json_tokener_free(tok);
	if (end < len)
		rc = err_set(e, ERR_INVAL, "document: more after the JSON "
			     "object (byte %zu)", end);
	else
		rc = from_object(o, d, e);
	json_object_put(o);
	if (rc < 0)
		cdoc_release(d);
	return rc;
}

/* ---- on disk ------------------------------------------------------------- */

long long cdoc_local_id(const char *delivery)
{
	unsigned long long h = 0xcbf29ce484222325ULL;

	for (const char *p = delivery; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	return CDOC_LOCAL_MIN + (long long)(h % (unsigned long long)(CDOC_LOCAL_MIN - 1));
}

int cdoc_is_local(long long id)
{
	return id >= CDOC_LOCAL_MIN;
}

int cdoc_path(const char *job_ids_dir, long long comment_id, struct buf *out)
{
	if (comment_id <= 0)
		return -1;
	return buf_addf(out, "%s/comments/%lld.json", job_ids_dir, comment_id);
}

int cdoc_load(const char *job_ids_dir, long long comment_id, struct cdoc *d,
	      struct err *e)
{
	struct buf path = BUF_INIT(4096), text = BUF_INIT(CDOC_MAX_BYTES);
	struct err e2 = ERR_INIT;
	int rc;

	memset(d, 0, sizeof(*d));
	if (cdoc_path(job_ids_dir, comment_id, &path) < 0) {
		rc = err_set(e, ERR_INVAL, "document of comment %lld: bad id or "
			     "path too long", comment_id);
		goto out;
	}
	if (xio_read_file(path.s, &text, 1, &e2) < 0) {
		if (e2.code == ERR_SYS && errno == ENOENT)
			rc = 1;
		else if (e2.code == ERR_SYS && errno == ELOOP)
			rc = err_set(e, ERR_INVAL, "%s: a symlink", path.s);
		else
			rc = err_set(e, e2.code, "%s", e2.msg);
		goto out;
	}
	rc = 0;
	if (cdoc_parse(text.s, text.len, d, &e2) < 0) {
		rc = err_set(e, e2.code, "%s: %s", path.s, e2.msg);
	} else if (d->comment_id != comment_id) {
		rc = err_set(e, ERR_INVAL, "%s: comment_id %lld is not the "
			     "file's", path.s, d->comment_id);
		cdoc_release(d);
	}
out:
	buf_release(&path);
	buf_release(&text);
	return rc;
}

int cdoc_save(const char *job_ids_dir, const struct cdoc *d, int only_new,
	      struct err *e)
{
	struct buf path = BUF_INIT(4096), text = BUF_INIT(CDOC_MAX_BYTES);
	struct err e2 = ERR_INIT;
	struct stat st;
	int rc = -1;

	if (cdoc_to_json(d, &text, e) < 0)
		goto out;
	if (buf_addf(&path, "%s/comments", job_ids_dir) < 0) {
		err_set(e, ERR_TOOBIG, "%s: path too long", job_ids_dir);
		goto out;
	}
	if (xio_mkdir_p(path.s, 0755, e) < 0)
		goto out;
	buf_clear(&path);
	if (cdoc_path(job_ids_dir, d->comment_id, &path) < 0) {
		err_set(e, ERR_TOOBIG, "%s: path too long", job_ids_dir);
		goto out;
	}
	if (!only_new)
		rc = xio_write_atomic(path.s, text.s, text.len, 0644, e);
	else if (xio_create_atomic(path.s, text.s, text.len, 0644, &e2) == 0 ||
		 lstat(path.s, &st) == 0) /* there already: left alone */
		rc = 0;
	else
		rc = err_set(e, e2.code, "%s", e2.msg);
out:
	buf_release(&path);
	buf_release(&text);
	return rc;
}

/* ---- the comment's body ---------------------------------------------------- */

#define LEFT_OUT "the comment would be too long."

/* What one row adds to the body, in bytes, each way it can be shown. */
struct row_size {
	size_t full;     /* the table row with its note */
	size_t bare;     /* the table row without its note */
	size_t block;    /* its excerpt block; 0: no excerpt */
	size_t omitted;  /* the line instead of the block */
};

/* The plan: what is shown. */
struct body_plan {
	unsigned char *excerpt; /* per row: the block (1) or the line (0) */
	unsigned char *note;    /* per row: the note shown */
	size_t shown;           /* rows shown (the first ones) */
	size_t notes_left_out;
};

/* The state cell of a row: "SUCCESS (COMPLETED)" for a finished one. */
static void state_cell(const struct cdoc_row *r, char *cell, size_t size)
{
	if (jobstate_of(r->state) == JS_FINISHED && *r->result && *r->slurm)
		snprintf(cell, size, "%s (%s)", r->result, r->slurm);
	else if (jobstate_of(r->state) == JS_FINISHED && *r->result)
		snprintf(cell, size, "%s", r->result);
	else
		snprintf(cell, size, "%s", r->state);
}

/* "TARGET, job ID: end of the job output" (escaped by status_details()). */
static int summary(const struct cdoc_row *r, struct buf *out)
{
	if (r->job_id > 0)
		return buf_addf(out, "%s, job %lld: end of the job output",
				r->target, r->job_id);
	return buf_addf(out, "%s: end of the job output", r->target);
}

static int excerpt_block(const struct cdoc_row *r, struct buf *sum,
			 struct buf *out)
{
	buf_clear(sum);
	return summary(r, sum) < 0 ? -1
		: status_details(out, sum->s, r->excerpt, strlen(r->excerpt));
}

static int omitted_line(const struct cdoc_row *r, struct buf *out)
{
	if (buf_adds(out, "\nThe end of the job output of ") < 0 ||
	    status_text(out, r->target) < 0)
		return -1;
	if (r->job_id > 0 && buf_addf(out, " (job %lld)", r->job_id) < 0)
		return -1;
	return buf_adds(out, " is left out: " LEFT_OUT "\n");
}

static int notes_line(size_t n, struct buf *out)
{
	return buf_addf(out, "\nThe notes of %zu target%s are left out: "
			LEFT_OUT "\n", n, n == 1 ? "" : "s");
}

static int rows_line(size_t n, struct buf *out)
{
	return buf_addf(out, "\n%zu more target%s not shown: " LEFT_OUT "\n",
			n, n == 1 ? " is" : "s are");
}

static int has(const char *s)
{
	return s && *s;
}

/* The bytes row sr adds to a table whose head (and end) is head bytes. */
static int row_bytes(const struct status_head *h, const struct status_row *sr,
		     size_t head, struct buf *tmp, size_t *n)
{
	buf_clear(tmp);
	if (status_render_with(h, sr, 1, NULL, tmp) < 0)
		return -1;
	*n = tmp->len - head;
	return 0;
}

/* The bytes each row adds, each way, measured by rendering it alone:
 * status_render() renders rows independently. */
static int measure(const struct status_head *h, const struct cdoc *d,
		   const struct status_row *sr, size_t head,
		   struct row_size *rs)
{
	struct buf tmp = BUF_INIT(SCRATCH_CAP), sum = BUF_INIT(SCRATCH_CAP);
	struct status_row bare;
	size_t i;
	int rc = 0;

	for (i = 0; i < d->n && rc == 0; i++) {
		const struct cdoc_row *r = &d->rows[i];

		bare = sr[i];
		bare.note = NULL;
		rs[i].block = rs[i].omitted = 0;
		if (row_bytes(h, &sr[i], head, &tmp, &rs[i].full) < 0 ||
		    row_bytes(h, &bare, head, &tmp, &rs[i].bare) < 0)
			rc = -1;
		if (rc < 0 || !has(r->excerpt))
			continue;
		buf_clear(&tmp);
		if (excerpt_block(r, &sum, &tmp) < 0)
			rc = -1;
		rs[i].block = tmp.len;
		buf_clear(&tmp);
		if (rc == 0 && omitted_line(r, &tmp) < 0)
			rc = -1;
		rs[i].omitted = tmp.len;
	}
	buf_release(&tmp);
	buf_release(&sum);
	return rc;
}

/* Leaves out what must go for the body to stay within CDOC_BODY_MAX:
 * excerpts from the last row backwards, then notes, then rows.  total
 * starts as the size with everything; the lines saying how many are
 * counted at their longest (CDOC_ROWS_MAX), so the result is an upper
 * bound of the body's size. */
static void plan_cuts(const struct cdoc *d, const struct row_size *rs,
		      size_t total, struct body_plan *p)
{
	struct buf tmp = BUF_INIT(256);
	size_t i, notes_max, rows_max;

	(void)notes_line(CDOC_ROWS_MAX, &tmp);
	notes_max = tmp.len;
	buf_clear(&tmp);
	(void)rows_line(CDOC_ROWS_MAX, &tmp);
	rows_max = tmp.len;
	buf_release(&tmp);

	for (i = d->n; i-- > 0 && total > CDOC_BODY_MAX;)
		if (p->excerpt[i]) {
			p->excerpt[i] = 0;
			total = total - rs[i].block + rs[i].omitted;
		}
	if (total > CDOC_BODY_MAX) {
		total += notes_max;
		for (i = d->n; i-- > 0 && total > CDOC_BODY_MAX;)
			if (p->note[i] && rs[i].full > rs[i].bare) {
				p->note[i] = 0;
				p->notes_left_out++;
				total -= rs[i].full - rs[i].bare;
			}
		if (p->notes_left_out == 0)
			total -= notes_max;
	}
	if (total > CDOC_BODY_MAX) {
		total += rows_max;
		while (p->shown > 0 && total > CDOC_BODY_MAX) {
			i = --p->shown;
			total -= p->note[i] ? rs[i].full : rs[i].bare;
			if (has(d->rows[i].excerpt))
				total -= rs[i].omitted; /* all lines by now */
			if (!p->note[i] && rs[i].full > rs[i].bare)
				p->notes_left_out--;
		}
	}
}

/* The text after the table, as planned. */
static int tail_text(const struct cdoc *d, const struct body_plan *p,
		     struct buf *tail)
{
	struct buf sum = BUF_INIT(SCRATCH_CAP);
	size_t i;
	int rc = 0;

	for (i = 0; i < p->shown && rc == 0; i++) {
		if (!has(d->rows[i].excerpt))
			continue;
		rc = p->excerpt[i] ? excerpt_block(&d->rows[i], &sum, tail)
				   : omitted_line(&d->rows[i], tail);
	}
	if (rc == 0 && p->notes_left_out > 0)
		rc = notes_line(p->notes_left_out, tail);
	if (rc == 0 && p->shown < d->n)
		rc = rows_line(d->n - p->shown, tail);
	buf_release(&sum);
	return rc;
}

int cdoc_body(const struct cdoc *d, struct buf *out)
{
	struct status_head h = { .instance = d->instance,
		.delivery = d->delivery, .user = d->requested_by,
		.head_sha = d->head_sha, .base_ref = d->base_ref,
		.base_sha = d->base_sha };
	struct buf tmp = BUF_INIT(SCRATCH_CAP);
	struct status_row *sr = NULL;
	struct row_size *rs = NULL;
	struct body_plan p = { NULL, NULL, d->n, 0 };
	char (*cells)[48] = NULL;
	size_t i, head, total, start = out->len;
	int rc = -1;

	if (d->n > 0 && !d->rows)
		return -1;
	if (!(sr = calloc(d->n + 1, sizeof(*sr))) ||
	    !(rs = calloc(d->n + 1, sizeof(*rs))) ||
	    !(cells = calloc(d->n + 1, sizeof(*cells))) ||
	    !(p.excerpt = calloc(d->n + 1, 1)) || !(p.note = calloc(d->n + 1, 1)))
		goto out;
	for (i = 0; i < d->n; i++) {
		const struct cdoc_row *r = &d->rows[i];

		state_cell(r, cells[i], sizeof(cells[i]));
		sr[i] = (struct status_row){ .target = r->target,
			.job_id = r->job_id, .state = cells[i], .note = r->note,
			.changed_at = r->changed_at };
		p.excerpt[i] = has(r->excerpt);
		p.note[i] = 1;
	}
	if (status_render_with(&h, NULL, 0, NULL, &tmp) < 0)
		goto out;
	head = tmp.len;
	if (measure(&h, d, sr, head, rs) < 0)
		goto out;
	for (total = head, i = 0; i < d->n; i++)
		total += rs[i].full + rs[i].block;
	plan_cuts(d, rs, total, &p);
	for (i = 0; i < d->n; i++)
		if (!p.note[i])
			sr[i].note = NULL;
	buf_clear(&tmp);
	if (tail_text(d, &p, &tmp) < 0 ||
	    status_render_with(&h, sr, p.shown, tmp.s, out) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		buf_truncate(out, start);
	free(sr);
	free(rs);
	free(cells);
	free(p.excerpt);
	free(p.note);
	buf_release(&tmp);
	return rc;
}
