/* jobrec.c - the job-submission record: its INI text, every field
 * validated on parse as on render (pure).
 * Layer: core (README, "Map of the code"). */
#include "jobrec.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ini.h"
#include "jobstate.h"
#include "names.h"
#include "num.h"

#define TIME_MAX 253402300799LL /* 9999-12-31 23:59:59 UTC */

/* The validators of the string fields: 1 if s has the field's shape. */

static int v_target_opt(const char *s)
{
	return names_charset(s, "._+:/-", 0, 128);
}

/* Absolute, no "." or ".." segment (the manager removes and reads below
 * it), no control characters (it is logged and written to INI files) and
 * no trailing blank (the INI file would drop it). */
static int v_job_dir(const char *s)
{
	const char *seg;
	size_t i, n = strlen(s);

	if (s[0] != '/' || n > 4095 || s[n - 1] == ' ')
		return 0;
	for (i = 0; s[i]; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	for (seg = s + 1;; seg++) {
		size_t len = strcspn(seg, "/");

		if ((len == 1 && seg[0] == '.') ||
		    (len == 2 && seg[0] == '.' && seg[1] == '.'))
			return 0;
		seg += len;
		if (!*seg)
			return 1;
	}
}

static int v_state(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (i >= 31 || !((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_'))
			return 0;
	return i > 0;
}

/* A word of [A-Z_] of at most max bytes, or "" (optional keys). */
static int upper_word(const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (i >= max || !((s[i] >= 'A' && s[i] <= 'Z') || s[i] == '_'))
			return 0;
	return 1;
}

static int v_result(const char *s)
{
	return upper_word(s, 7);
}

static int v_slurm(const char *s)
{
	return upper_word(s, 31);
}

/* The record's layout: one row per key, in file order. */
struct field {
	const char *section, *key;
	size_t off;
	size_t size;                /* char array: its size; 0: long long */
	int (*valid)(const char *); /* strings */
	long long min, max;         /* numbers */
	const char *shape;          /* for the error message */
	int optional;               /* strings: may be absent (""), and are
				     * not written when empty */
};

#define STR(sec, key, member, fn, shape)                                 \
	{ sec, key, offsetof(struct jobrec, member),                     \
	  sizeof(((struct jobrec *)0)->member), fn, 0, 0, shape, 0 }
#define OPT(sec, key, member, fn, shape)                                 \
	{ sec, key, offsetof(struct jobrec, member),                     \
	  sizeof(((struct jobrec *)0)->member), fn, 0, 0, shape, 1 }
#define NUM(sec, key, member, lo, hi)                                   \
	{ sec, key, offsetof(struct jobrec, member), 0, NULL, lo, hi, NULL, 0 }

static const struct field fields[] = {
	STR("PR", "repo", repo, names_valid_repo, "owner/name"),
	NUM("PR", "pr_number", pr_number, 1, LLONG_MAX),
	NUM("PR", "pr_comment_id", pr_comment_id, 1, LLONG_MAX),
	NUM("JOB", "id", job_id, 1, LLONG_MAX),
	STR("JOB", "instance", instance, names_valid_instance, "[A-Za-z0-9._-]{1,64}"),
	STR("JOB", "delivery", delivery, names_valid_delivery, "a UUID"),
	STR("JOB", "target", target, names_valid_target, "[A-Za-z0-9._+:/-]{1,255}"),
	STR("JOB", "repo_id", repo_id, v_target_opt,
	    "[A-Za-z0-9._+:/-]{0,128}"),
	STR("JOB", "accelerator", accelerator, v_target_opt,
	    "[A-Za-z0-9._+:/-]{0,128}"),
	STR("JOB", "target_key", target_key, names_valid_target_key,
	    "[A-Za-z0-9._+:/-]{1,511}"),
	STR("JOB", "job_dir", job_dir, v_job_dir,
	    "an absolute path without '.' or '..' segments, control "
	    "characters or a trailing blank"),
	STR("JOB", "head_sha", head_sha, names_valid_sha, "a git object id"),
	STR("JOB", "base_ref", base_ref, names_valid_ref, "a branch name"),
	STR("JOB", "base_sha", base_sha, names_valid_sha, "a git object id"),
	STR("JOB", "merge_sha", merge_sha, names_valid_sha, "a git object id"),
	STR("JOB", "requested_by", requested_by, names_valid_login,
	    "a GitHub login"),
	NUM("JOB", "submitted_at", submitted_at, 0, TIME_MAX),
	STR("STATE", "state", state, v_state, "[a-z_]{1,31}"),
	NUM("STATE", "changed_at", changed_at, 0, TIME_MAX),
	OPT("STATE", "result", result, v_result, "[A-Z_]{0,7}"),
	OPT("STATE", "slurm", slurm, v_slurm, "[A-Z_]{0,31}"),
};

#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static int check_str(const struct field *f, const char *s, struct err *e)
{
	if (strnlen(s, f->size) >= f->size)
		return err_set(e, ERR_INVAL, "[%s] %s: longer than %zu bytes",
			       f->section, f->key, f->size - 1);
	if (!f->valid(s))
		return err_set(e, ERR_INVAL, "[%s] %s: not %s", f->section,
			       f->key, f->shape);
	return 0;
}

static int check_num(const struct field *f, long long v, struct err *e)
{
	if (v < f->min || v > f->max)
		return err_set(e, ERR_INVAL,
			       "[%s] %s: %lld out of range %lld..%lld",
			       f->section, f->key, v, f->min, f->max);
	return 0;
}

/* An empty state is the record at submission: "held" since submitted_at. */
static void submission_state(struct jobrec *r)
{
	if (r->state[0])
		return;
	snprintf(r->state, sizeof(r->state), "%s", jobstate_name(JS_HELD));
	r->changed_at = r->submitted_at;
}

int jobrec_render(const struct jobrec *r, struct buf *out, struct err *e)
{
	struct jobrec rec = *r;
	const char *section = "";
	size_t start = out->len, i;
	int rc = 0;

	submission_state(&rec);
	for (i = 0; i < NFIELDS && rc == 0; i++) {
		const struct field *f = &fields[i];
		const char *p = (const char *)&rec + f->off;
		char num[24];

		if (f->size && f->optional && !*p) {
			continue;
		} else if (f->size) {
			rc = check_str(f, p, e);
		} else {
			long long v;

			memcpy(&v, p, sizeof(v));
			rc = check_num(f, v, e);
			snprintf(num, sizeof(num), "%lld", v);
			p = num;
		}
		if (rc == 0 && strcmp(section, f->section) != 0) {
			section = f->section;
			rc = ini_put_section(out, section, e);
		}
		if (rc == 0)
			rc = ini_put(out, f->key, p, e);
	}
	if (rc < 0)
		buf_truncate(out, start);
	return rc;
}

/* Digits only (no sign, blanks or "0x"), through num_parse(), then the
 * field's range. */
static int parse_num(const struct field *f, const char *s, long long *v,
		     struct err *e)
{
	if (!*s)
		return err_set(e, ERR_INVAL, "[%s] %s: empty", f->section,
			       f->key);
	if (num_parse(s, 0, LLONG_MAX, v) < 0)
		return err_set(e, ERR_INVAL, "[%s] %s: not a number of at most "
			       "19 digits", f->section, f->key);
	return check_num(f, *v, e);
}

static int parse_field(const struct field *f, const struct ini *ini,
		       struct jobrec *r, struct err *e)
{
	const char *s = ini_get(ini, f->section, f->key);
	char *dst = (char *)r + f->off;
	long long v = 0;

	if (!s && f->optional)
		return 0;
	if (!s)
		return err_set(e, ERR_INVAL, "[%s] %s: missing", f->section,
			       f->key);
	if (!f->size) {
		if (parse_num(f, s, &v, e) < 0)
			return -1;
		memcpy(dst, &v, sizeof(v));
		return 0;
	}
	if (check_str(f, s, e) < 0)
		return -1;
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

int jobrec_parse(const char *text, size_t len, struct jobrec *r,
		 struct err *e)
{
	struct ini *ini;
	size_t i;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	if (ini_parse(text, len, &ini, e) < 0)
		return -1;
	for (i = 0; i < NFIELDS && rc == 0; i++)
		rc = parse_field(&fields[i], ini, r, e);
	ini_free(ini);
	if (rc < 0)
		memset(r, 0, sizeof(*r));
	return rc;
}

/* The [STATE] section as jobrec_render() writes it. */
static int render_state(struct buf *out, const char *state, long long changed_at,
			const char *result, const char *slurm, struct err *e)
{
	if (ini_put_section(out, "STATE", e) < 0 || ini_put(out, "state", state, e) < 0 ||
	    ini_put_num(out, "changed_at", changed_at, e) < 0 ||
	    (*result && ini_put(out, "result", result, e) < 0) ||
	    (*slurm && ini_put(out, "slurm", slurm, e) < 0))
		return -1;
	return 0;
}

int jobrec_set_state(struct buf *text, const char *state, long long changed_at,
		     const char *result, const char *slurm, struct err *e)
{
	static const char head[] = "\n[STATE]\n";
	struct jobrec *r;
	const char *at;
	int rc;

	if (!v_state(state) || !v_result(result) || !v_slurm(slurm) ||
	    changed_at < 0 || changed_at > TIME_MAX)
		return err_set(e, ERR_INVAL, "[STATE]: a value out of shape");
	at = text->len ? strstr(text->s, head) : NULL;
	if (at && !strstr(at + 1, "\n[")) { /* the last section, as written */
		buf_truncate(text, (size_t)(at - text->s));
		return render_state(text, state, changed_at, result, slurm, e);
	}
	/* written otherwise: the whole record parsed and written anew */
	if (!(r = malloc(sizeof(*r))))
		return err_set(e, ERR_NOMEM, "job record");
	rc = jobrec_parse(text->s, text->len, r, e);
	if (rc == 0) {
		snprintf(r->state, sizeof(r->state), "%s", state);
		snprintf(r->result, sizeof(r->result), "%s", result);
		snprintf(r->slurm, sizeof(r->slurm), "%s", slurm);
		r->changed_at = changed_at;
		buf_clear(text);
		rc = jobrec_render(r, text, e);
	}
	free(r);
	return rc;
}
