/* test_cdoc.c - the status comment's document: the JSON round trip, every
 * field refused out of shape on parse and on write (a document from disk
 * is trusted no more than one being made), parse as a total function of
 * its bytes, the body it renders (hostile notes and excerpts shown
 * harmlessly, the size cap), and the file on disk (only_new, symlinks,
 * FIFOs). */
#include <errno.h>
#include <json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cdoc.h"
#include "status.h"
#include "unit.h"
#include "xio.h"

#define SHA1 "0123456789abcdef0123456789abcdef01234567"
#define SHA2 "89abcdef0123456789abcdef0123456789abcdef"
#define UUID "3f1c2d4e-aa01-11ef-9c3b-0242ac120002"
#define T0 1795000000LL

/* Copies s into a char array member, which must hold it. */
#define SET(member, s)                                                     \
	ck_assert_int_lt(snprintf(member, sizeof(member), "%s", s),         \
			 (int)sizeof(member))

static void add_row(struct cdoc *d, const char *target, const char *key,
		    long long job, const char *state)
{
	struct cdoc_row *r = cdoc_add_row(d);

	ck_assert_ptr_nonnull(r);
	SET(r->target, target);
	SET(r->key, key);
	r->job_id = job;
	SET(r->state, state);
	r->changed_at = T0;
}

/* A document of three rows: held, finished with an excerpt, not
 * submitted. */
static void good(struct cdoc *d)
{
	memset(d, 0, sizeof(*d));
	d->comment_id = 9876543210LL;
	SET(d->repo, "EESSI/software-layer");
	d->pr_number = 42;
	SET(d->instance, "test-bot");
	SET(d->delivery, UUID);
	SET(d->requested_by, "boegel");
	SET(d->head_sha, SHA1);
	SET(d->base_ref, "2023.06-software");
	SET(d->base_sha, SHA2);
	add_row(d, "linux/x86_64/amd/zen2 for eessi.io-2023.06-software",
		"eessi.io-2023.06-software:linux_x86_64_amd_zen2", 1234, "held");
	ck_assert_int_eq(cdoc_set_note(&d->rows[0],
				       "submitted, waiting for release"), 0);
	add_row(d, "linux/x86_64/amd/zen3 (nvidia/cc80)",
		"linux_x86_64_amd_zen3_nvidia_cc80", 1235, "finished");
	SET(d->rows[1].result, "FAILURE");
	SET(d->rows[1].slurm, "TIMEOUT");
	SET(d->rows[1].reason, "ReqNodeNotAvail, UnavailableNodes:n[1-3]");
	ck_assert_int_eq(cdoc_set_note(&d->rows[1], "no \"tarball\" \\ made\n"
				       "caf\xc3\xa9 \xe2\x9c\x93"), 0);
	ck_assert_int_eq(cdoc_set_excerpt(&d->rows[1], "== FAILED: x\n"
					  "\tindented\nlast"), 0);
	d->rows[1].missing_since = T0 + 60;
	add_row(d, "linux/aarch64/neoverse_v1", "linux_aarch64_neoverse_v1", 0,
		"not submitted");
}

static void ck_rows_same(const struct cdoc_row *a, const struct cdoc_row *b)
{
	ck_assert_str_eq(a->target, b->target);
	ck_assert_str_eq(a->key, b->key);
	ck_assert_int_eq(a->job_id, b->job_id);
	ck_assert_str_eq(a->state, b->state);
	ck_assert_str_eq(a->reason, b->reason);
	ck_assert_str_eq(a->result, b->result);
	ck_assert_str_eq(a->slurm, b->slurm);
	ck_assert_pstr_eq(a->note, b->note);
	ck_assert_pstr_eq(a->excerpt, b->excerpt);
	ck_assert_int_eq(a->changed_at, b->changed_at);
	ck_assert_int_eq(a->missing_since, b->missing_since);
}

static void ck_same(const struct cdoc *a, const struct cdoc *b)
{
	size_t i;

	ck_assert_int_eq(a->comment_id, b->comment_id);
	ck_assert_str_eq(a->repo, b->repo);
	ck_assert_int_eq(a->pr_number, b->pr_number);
	ck_assert_str_eq(a->instance, b->instance);
	ck_assert_str_eq(a->delivery, b->delivery);
	ck_assert_str_eq(a->requested_by, b->requested_by);
	ck_assert_str_eq(a->head_sha, b->head_sha);
	ck_assert_str_eq(a->base_ref, b->base_ref);
	ck_assert_str_eq(a->base_sha, b->base_sha);
	ck_assert_uint_eq(a->n, b->n);
	for (i = 0; i < a->n; i++)
		ck_rows_same(&a->rows[i], &b->rows[i]);
}

static void to_json(const struct cdoc *d, struct buf *out)
{
	struct err e = ERR_INIT;

	buf_init(out, CDOC_MAX_BYTES);
	ck_assert_msg(cdoc_to_json(d, out, &e) == 0, "%s", e.msg);
}

/* ---- the round trip ------------------------------------------------------ */

START_TEST(round_trip)
{
	struct cdoc d, back;
	struct buf text, again;
	struct err e = ERR_INIT;

	good(&d);
	to_json(&d, &text);
	ck_assert_msg(cdoc_parse(text.s, text.len, &back, &e) == 0, "%s", e.msg);
	ck_same(&d, &back);
	to_json(&back, &again);
	ck_assert_str_eq(text.s, again.s);
	/* a row without note or excerpt writes null for them */
	ck_assert_ptr_nonnull(strstr(text.s, "\"note\":null") ?
			      strstr(text.s, "\"note\":null") :
			      strstr(text.s, "\"note\": null"));
	ck_assert_ptr_nonnull(strstr(text.s, "\"version\""));
	ck_assert_int_eq(text.s[text.len - 1], '\n');
	cdoc_release(&back);
	buf_release(&again);
	buf_release(&text);

	/* no rows at all is a document too */
	cdoc_release(&d);
	good(&d);
	d.n = 0;
	to_json(&d, &text);
	ck_assert_msg(cdoc_parse(text.s, text.len, &back, &e) == 0, "%s", e.msg);
	ck_assert_uint_eq(back.n, 0);
	ck_assert_ptr_null(back.rows);
	d.n = 3;
	cdoc_release(&d);
	cdoc_release(&back);
	buf_release(&text);
}
END_TEST

/* Unknown fields are ignored; note and excerpt may be absent; blanks may
 * follow the object. */
START_TEST(parse_is_lenient_where_it_may_be)
{
	static const char text[] =
		"{\"version\":1,\"comment_id\":5,\"repo\":\"o/n\","
		"\"pr_number\":1,\"instance\":\"i\",\"delivery\":\"" UUID "\","
		"\"requested_by\":\"\",\"head_sha\":\"\",\"base_ref\":\"\","
		"\"base_sha\":\"\",\"future\":{\"x\":[1,2]},\"rows\":[{"
		"\"target\":\"t\",\"key\":\"k\",\"job_id\":0,\"state\":\"lost\","
		"\"reason\":\"\",\"result\":\"\",\"slurm\":\"\",\"note\":\"\","
		"\"changed_at\":0,\"missing_since\":0,\"more\":true}]}\n \r\n";
	struct cdoc d;
	struct err e = ERR_INIT;

	ck_assert_msg(cdoc_parse(text, sizeof(text) - 1, &d, &e) == 0, "%s",
		      e.msg);
	ck_assert_uint_eq(d.n, 1);
	ck_assert_ptr_null(d.rows[0].note); /* "" is none */
	ck_assert_ptr_null(d.rows[0].excerpt);
	ck_assert_str_eq(d.rows[0].state, "lost");
	cdoc_release(&d);
}
END_TEST

/* ---- refusals on parse ------------------------------------------------------ */

/* The good document as a json-c object. */
static struct json_object *good_object(void)
{
	struct cdoc d;
	struct buf text;
	struct json_object *o;

	good(&d);
	to_json(&d, &text);
	o = json_tokener_parse(text.s);
	ck_assert_ptr_nonnull(o);
	cdoc_release(&d);
	buf_release(&text);
	return o;
}

/* Parses the good document with field (of the head, or "rows[1].x" of
 * the second row) set to the JSON value (NULL: removed); the parse must
 * fail with an error starting with want. */
static void refused(const char *field, const char *value, const char *want)
{
	struct json_object *o = good_object(), *where = o, *rows, *v = NULL;
	struct cdoc d;
	struct err e = ERR_INIT;
	const char *text;

	if (strncmp(field, "rows[1].", 8) == 0) {
		ck_assert(json_object_object_get_ex(o, "rows", &rows));
		where = json_object_array_get_idx(rows, 1);
		field += 8;
	}
	if (value) {
		v = json_tokener_parse(value);
		ck_assert_msg(v || strcmp(value, "null") == 0, "bad JSON %s", value);
		json_object_object_add(where, field, v);
	} else {
		json_object_object_del(where, field);
	}
	text = json_object_to_json_string(o);
	ck_assert_int_eq(cdoc_parse(text, strlen(text), &d, &e), -1);
	ck_assert_msg(strncmp(e.msg, want, strlen(want)) == 0,
		      "%s=%s: got '%s', want '%s...'", field, value, e.msg, want);
	ck_assert_int_eq(e.code, ERR_INVAL);
	ck_assert_ptr_null(d.rows);
	ck_assert_uint_eq(d.n, 0);
	json_object_put(o);
}

START_TEST(parse_refusals_name_the_field)
{
	refused("version", "2", "version: not 1");
	refused("version", "\"1\"", "version: not 1");
	refused("version", NULL, "version: missing");
	refused("comment_id", "0", "comment_id: 0 out of range");
	refused("comment_id", "-5", "comment_id: -5 out of range");
	refused("comment_id", "9007199254740992", "comment_id: 9007199254740992 out of range");
	refused("comment_id", "99999999999999999999", "comment_id:");
	refused("comment_id", "1e3", "comment_id: not an integer");
	refused("comment_id", "5.0", "comment_id: not an integer");
	refused("comment_id", "\"5\"", "comment_id: not an integer");
	refused("comment_id", NULL, "comment_id: missing");
	refused("repo", "\"no-slash\"", "repo: not owner/name");
	refused("repo", "5", "repo: not a string");
	refused("pr_number", "0", "pr_number: 0 out of range");
	refused("instance", "\"a b\"", "instance: not [A-Za-z0-9._-]");
	refused("delivery", "\"not-a-uuid\"", "delivery: not a UUID");
	refused("requested_by", "\"-x-\"", "requested_by: not a GitHub login");
	refused("head_sha", "\"abc\"", "head_sha: not a git object id");
	refused("base_ref", "\"a..b\"", "base_ref: not a branch name");
	refused("base_sha", "\"" SHA1 "0\"", "base_sha: not a git object id");
	refused("rows", "{}", "rows: not an array");
	refused("rows", NULL, "rows: missing");
	refused("rows", "[1]", "rows[0]: not an object");
	refused("rows[1].target", "\"a|b\"", "rows[1].target: not");
	refused("rows[1].target", "\"\"", "rows[1].target: not");
	refused("rows[1].key", "\"a b\"", "rows[1].key: not");
	refused("rows[1].job_id", "-1", "rows[1].job_id: -1 out of range");
	refused("rows[1].state", "\"HELD\"", "rows[1].state: not [a-z ]{1,31}");
	refused("rows[1].state", "\"\"", "rows[1].state: not [a-z ]{1,31}");
	refused("rows[1].state", "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"",
		"rows[1].state: longer than 31 bytes");
	refused("rows[1].reason", "\"a\\nb\"", "rows[1].reason: not printable");
	refused("rows[1].result", "\"MAYBE\"", "rows[1].result: not");
	refused("rows[1].slurm", "\"completed\"", "rows[1].slurm: not");
	refused("rows[1].note", "5", "rows[1].note: not a string");
	refused("rows[1].note", "\"a\\u0000b\"", "rows[1].note: holds a NUL");
	refused("rows[1].note", "\"bell\\u0007\"", "rows[1].note: not clean");
	refused("rows[1].excerpt", "\"\\u009b[2J\"", "rows[1].excerpt: not clean");
	refused("rows[1].changed_at", "253402300800",
		"rows[1].changed_at: 253402300800 out of range");
	refused("rows[1].missing_since", "-1", "rows[1].missing_since: -1");
	refused("rows[1].missing_since", NULL, "rows[1].missing_since: missing");
}
END_TEST

START_TEST(parse_refuses_big_things)
{
	struct json_object *o = good_object(), *rows, *r0;
	struct buf big = BUF_INIT(BUF_CAP_DEFAULT);
	struct cdoc d;
	struct err e = ERR_INIT;
	const char *text;
	int i;

	/* a note of CDOC_NOTE_MAX + 1 bytes */
	for (i = 0; i < CDOC_NOTE_MAX + 1; i++)
		ck_assert_int_eq(buf_addch(&big, 'n'), 0);
	ck_assert(json_object_object_get_ex(o, "rows", &rows));
	r0 = json_object_array_get_idx(rows, 0);
	json_object_object_add(r0, "note", json_object_new_string(big.s));
	text = json_object_to_json_string(o);
	ck_assert_int_eq(cdoc_parse(text, strlen(text), &d, &e), -1);
	ck_assert_str_eq(e.msg, "rows[0].note: longer than 4096 bytes");
	/* CDOC_NOTE_MAX bytes are fine */
	buf_truncate(&big, CDOC_NOTE_MAX);
	json_object_object_add(r0, "note", json_object_new_string(big.s));
	text = json_object_to_json_string(o);
	err_clear(&e);
	ck_assert_msg(cdoc_parse(text, strlen(text), &d, &e) == 0, "%s", e.msg);
	cdoc_release(&d);

	/* more rows than CDOC_ROWS_MAX */
	for (i = 0; i < CDOC_ROWS_MAX; i++)
		json_object_array_add(rows, json_object_get(r0));
	text = json_object_to_json_string(o);
	err_clear(&e);
	ck_assert_int_eq(cdoc_parse(text, strlen(text), &d, &e), -1);
	ck_assert_str_eq(e.msg, "rows: 259, more than 256");

	/* a text past CDOC_MAX_BYTES is not even looked at */
	err_clear(&e);
	ck_assert_int_eq(cdoc_parse(text, CDOC_MAX_BYTES + 1, &d, &e), -1);
	ck_assert_int_eq(e.code, ERR_TOOBIG);
	json_object_put(o);
	buf_release(&big);
}
END_TEST

/* Any bytes: every prefix of a good document, NULs, garbage, nesting. */
START_TEST(parse_is_total)
{
	static const char *const bad[] = {
		"", " ", "null", "[]", "\"x\"", "1", "{", "{}", "{} {}",
		"{\"version\":1}x", "{\"version\":1,\"rows\":[]}garbage",
		"{\"version\":1e999}", "{\"version\":NaN}",
		"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]",
		"\xff\xfe{", "{'version':1}",
	};
	struct cdoc d;
	struct buf text, mutant = BUF_INIT(CDOC_MAX_BYTES);
	struct err e = ERR_INIT;
	size_t i;
	unsigned seed = 12345;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear(&e);
		ck_assert_msg(cdoc_parse(bad[i], strlen(bad[i]), &d, &e) == -1,
			      "parsed: %s", bad[i]);
		ck_assert_ptr_null(d.rows);
	}
	good(&d);
	to_json(&d, &text);
	cdoc_release(&d);
	/* every prefix short of the object's end is refused */
	ck_assert_int_eq(text.s[text.len - 1], '\n');
	for (i = 0; i < text.len - 1; i++) {
		err_clear(&e);
		ck_assert_int_eq(cdoc_parse(text.s, i, &d, &e), -1);
	}
	/* a NUL anywhere (parse goes by len, never by strlen) */
	ck_assert_int_eq(buf_add(&mutant, text.s, text.len), 0);
	mutant.s[40] = '\0';
	err_clear(&e);
	ck_assert_int_eq(cdoc_parse(mutant.s, mutant.len, &d, &e), -1);
	ck_assert_str_eq(e.msg, "document: holds a NUL byte");
	/* random byte flips: refused or parsed, never a crash (ASan) */
	for (i = 0; i < 3000; i++) {
		size_t k;

		buf_clear(&mutant);
		ck_assert_int_eq(buf_add(&mutant, text.s, text.len), 0);
		for (k = 0; k < 1 + i % 4; k++) {
			seed = seed * 1103515245u + 12345u;
			mutant.s[(seed >> 8) % mutant.len] = (char)(seed >> 20);
		}
		err_clear(&e);
		if (cdoc_parse(mutant.s, mutant.len, &d, &e) == 0) {
			struct buf out = BUF_INIT(CDOC_MAX_BYTES);

			/* what parses writes again and renders */
			ck_assert_msg(cdoc_to_json(&d, &out, &e) == 0, "%s", e.msg);
			buf_clear(&out);
			ck_assert_int_eq(cdoc_body(&d, &out), 0);
			buf_release(&out);
			cdoc_release(&d);
		} else {
			ck_assert_ptr_null(d.rows);
		}
	}
	buf_release(&mutant);
	buf_release(&text);
}
END_TEST

/* ---- refusals on write ------------------------------------------------------ */

/* cdoc_to_json() of the good document changed by fn must fail naming
 * want, out left as it was. */
static void unwritable(void (*fn)(struct cdoc *), const char *want)
{
	struct cdoc d;
	struct buf out = BUF_INIT(CDOC_MAX_BYTES);
	struct err e = ERR_INIT;

	good(&d);
	fn(&d);
	ck_assert_int_eq(buf_adds(&out, "keep"), 0);
	ck_assert_int_eq(cdoc_to_json(&d, &out, &e), -1);
	ck_assert_msg(strncmp(e.msg, want, strlen(want)) == 0, "got '%s', "
		      "want '%s...'", e.msg, want);
	ck_assert_str_eq(out.s, "keep");
	cdoc_release(&d);
	buf_release(&out);
}

static void no_comment_id(struct cdoc *d) { d->comment_id = 0; }
static void bad_repo(struct cdoc *d) { SET(d->repo, "../etc"); }
static void bad_instance(struct cdoc *d) { SET(d->instance, "x\ny"); }
static void unterminated(struct cdoc *d)
{
	memset(d->instance, 'a', sizeof(d->instance));
}
static void bad_state(struct cdoc *d) { SET(d->rows[2].state, "held;rm"); }
static void bad_key(struct cdoc *d) { SET(d->rows[0].key, "k\x01"); }
static void bad_job(struct cdoc *d) { d->rows[1].job_id = -3; }
static void bad_time(struct cdoc *d) { d->rows[2].changed_at = -1; }
static void bad_note(struct cdoc *d)
{
	free(d->rows[1].note);
	d->rows[1].note = strdup("invalid \xc3\x28 UTF-8");
	ck_assert_ptr_nonnull(d->rows[1].note);
}
static void long_excerpt(struct cdoc *d)
{
	free(d->rows[1].excerpt);
	d->rows[1].excerpt = calloc(1, CDOC_EXCERPT_MAX + 2);
	ck_assert_ptr_nonnull(d->rows[1].excerpt);
	memset(d->rows[1].excerpt, 'x', CDOC_EXCERPT_MAX + 1);
}
static void too_many_rows(struct cdoc *d) { d->n = CDOC_ROWS_MAX + 1; }

START_TEST(write_refusals_name_the_field)
{
	unwritable(no_comment_id, "comment_id: 0 out of range");
	unwritable(bad_repo, "repo: not owner/name");
	unwritable(bad_instance, "instance: not");
	unwritable(unterminated, "instance: longer than 64 bytes");
	unwritable(bad_state, "rows[2].state: not [a-z ]{1,31}");
	unwritable(bad_key, "rows[0].key: not");
	unwritable(bad_job, "rows[1].job_id: -3 out of range");
	unwritable(bad_time, "rows[2].changed_at: -1 out of range");
	unwritable(bad_note, "rows[1].note: not clean UTF-8 text");
	unwritable(long_excerpt, "rows[1].excerpt: longer than 4096 bytes");
}
END_TEST

START_TEST(write_refuses_too_many_rows_and_a_small_cap)
{
	struct cdoc d;
	struct buf out = BUF_INIT(100);
	struct err e = ERR_INIT;
	size_t n;

	good(&d);
	n = d.n;
	too_many_rows(&d);
	ck_assert_int_eq(cdoc_to_json(&d, &out, &e), -1);
	ck_assert_str_eq(e.msg, "rows: 257, more than 256");
	d.n = n;
	err_clear(&e);
	ck_assert_int_eq(buf_adds(&out, "keep"), 0);
	ck_assert_int_eq(cdoc_to_json(&d, &out, &e), -1);
	ck_assert_int_eq(e.code, ERR_TOOBIG);
	ck_assert_str_eq(out.s, "keep");
	cdoc_release(&d);
	buf_release(&out);
}
END_TEST

/* ---- the struct ------------------------------------------------------------ */

START_TEST(rows_added_and_found)
{
	struct cdoc d = { 0 };
	char key[32];
	int i;

	for (i = 0; i < CDOC_ROWS_MAX; i++) {
		struct cdoc_row *r = cdoc_add_row(&d);

		ck_assert_ptr_nonnull(r);
		ck_assert_int_eq(r->job_id, 0);
		ck_assert_ptr_null(r->note);
		r->job_id = 1000 + i;
		snprintf(key, sizeof(key), "k%d", i);
		SET(r->key, key);
	}
	ck_assert_ptr_null(cdoc_add_row(&d));
	ck_assert_uint_eq(d.n, CDOC_ROWS_MAX);
	ck_assert_ptr_eq(cdoc_row_by_job(&d, 1007), &d.rows[7]);
	ck_assert_ptr_null(cdoc_row_by_job(&d, 999));
	ck_assert_ptr_null(cdoc_row_by_job(&d, 0));
	ck_assert_ptr_eq(cdoc_row_by_key(&d, "k255"), &d.rows[255]);
	ck_assert_ptr_null(cdoc_row_by_key(&d, "k256"));
	cdoc_release(&d);
	cdoc_release(&d); /* twice is fine */
	ck_assert_ptr_null(d.rows);
}
END_TEST

START_TEST(notes_and_excerpts_are_clean_and_cut)
{
	struct cdoc_row r;
	struct buf big = BUF_INIT(BUF_CAP_DEFAULT);
	int i;

	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(cdoc_set_note(&r, "a\x1b[31mred\r\n\tb\x7f\xc2\x9b"
				       "c\xff\xc3(d\xe2\x82"), 0);
	ck_assert_str_eq(r.note, "a[31mred\n\tbc?" "?(d?" "?");
	ck_assert_int_eq(cdoc_set_note(&r, ""), 0);
	ck_assert_ptr_null(r.note);
	ck_assert_int_eq(cdoc_set_note(&r, "\x01\x02"), 0); /* nothing left */
	ck_assert_ptr_null(r.note);
	ck_assert_int_eq(cdoc_set_excerpt(&r, "x"), 0);
	ck_assert_int_eq(cdoc_set_excerpt(&r, NULL), 0);
	ck_assert_ptr_null(r.excerpt);

	/* cut at CDOC_NOTE_MAX, never inside a character: "é" across it */
	for (i = 0; i < CDOC_NOTE_MAX - 1; i++)
		ck_assert_int_eq(buf_addch(&big, 'n'), 0);
	ck_assert_int_eq(buf_adds(&big, "\xc3\xa9tail"), 0);
	ck_assert_int_eq(cdoc_set_note(&r, big.s), 0);
	ck_assert_uint_eq(strlen(r.note), CDOC_NOTE_MAX - 1);
	ck_assert_int_eq(cdoc_set_excerpt(&r, big.s), 0);
	ck_assert_uint_eq(strlen(r.excerpt), CDOC_EXCERPT_MAX - 1);
	buf_truncate(&big, CDOC_NOTE_MAX - 1);
	ck_assert_int_eq(buf_addch(&big, 'x'), 0);
	ck_assert_int_eq(cdoc_set_note(&r, big.s), 0);
	ck_assert_uint_eq(strlen(r.note), CDOC_NOTE_MAX);
	ck_assert_int_eq(status_is_clean(r.note, strlen(r.note)), 1);
	free(r.note);
	free(r.excerpt);
	buf_release(&big);
}
END_TEST

START_TEST(row_same_ignores_times)
{
	struct cdoc d;
	struct cdoc_row a, b;

	good(&d);
	a = d.rows[1];
	b = d.rows[1];
	ck_assert_int_eq(cdoc_row_same(&a, &b), 1);
	b.changed_at++;
	b.missing_since = 0;
	ck_assert_int_eq(cdoc_row_same(&a, &b), 1);
	SET(b.state, "running");
	ck_assert_int_eq(cdoc_row_same(&a, &b), 0);
	b = a;
	SET(b.reason, "Priority");
	ck_assert_int_eq(cdoc_row_same(&a, &b), 0);
	b = a;
	SET(b.result, "SUCCESS");
	ck_assert_int_eq(cdoc_row_same(&a, &b), 0);
	b = a;
	SET(b.slurm, "COMPLETED");
	ck_assert_int_eq(cdoc_row_same(&a, &b), 0);
	b = a;
	b.job_id++;
	ck_assert_int_eq(cdoc_row_same(&a, &b), 0);
	b = a;
	b.note = (char *)"other";
	ck_assert_int_eq(cdoc_row_same(&a, &b), 0);
	b = a;
	b.excerpt = NULL;
	ck_assert_int_eq(cdoc_row_same(&a, &b), 0);
	/* no note and an empty one show the same */
	a = d.rows[2];
	b = d.rows[2];
	b.note = (char *)"";
	ck_assert_int_eq(cdoc_row_same(&a, &b), 1);
	cdoc_release(&d);
}
END_TEST

START_TEST(copy_is_deep)
{
	struct cdoc d, c;
	struct err e = ERR_INIT;

	good(&d);
	memset(&c, 0xa5, sizeof(c)); /* dst need not be initialised */
	ck_assert_msg(cdoc_copy(&c, &d, &e) == 0, "%s", e.msg);
	ck_same(&d, &c);
	ck_assert_ptr_ne(c.rows, d.rows);
	ck_assert_ptr_ne(c.rows[1].note, d.rows[1].note);
	ck_assert_ptr_ne(c.rows[1].excerpt, d.rows[1].excerpt);
	ck_assert_int_eq(cdoc_set_note(&c.rows[1], "changed"), 0);
	SET(c.rows[0].state, "running");
	ck_assert_str_eq(d.rows[0].state, "held");
	ck_assert_str_eq(d.rows[1].note, "no \"tarball\" \\ made\ncaf\xc3\xa9 \xe2\x9c\x93");
	cdoc_release(&d);
	ck_assert_str_eq(c.rows[1].note, "changed"); /* still there */
	cdoc_release(&c);

	/* no rows */
	memset(&d, 0, sizeof(d));
	ck_assert_int_eq(cdoc_copy(&c, &d, &e), 0);
	ck_assert_ptr_null(c.rows);
	cdoc_release(&c);
}
END_TEST

/* ---- the body --------------------------------------------------------------- */

static void body(const struct cdoc *d, struct buf *out)
{
	buf_init(out, BUF_CAP_DEFAULT);
	ck_assert_int_eq(cdoc_body(d, out), 0);
}

START_TEST(body_text)
{
	struct cdoc d;
	struct buf out;

	good(&d);
	SET(d.rows[2].state, "finished");
	SET(d.rows[2].result, "SUCCESS");
	d.rows[2].job_id = 1236;
	body(&d, &out);
	ck_assert_str_eq(out.s,
		"<!-- eessi-bot status instance=test-bot delivery=" UUID " -->\n"
		"**Build on `test-bot`** requested by @boegel: `0123456` (PR head) "
		"merged onto `2023.06-software` at `89abcde`.\n"
		"\n"
		"| target | job | state | last change |\n"
		"|---|---|---|---|\n"
		"| linux/x86_64/amd/zen2 for eessi.io-2023.06-software | 1234 | "
		"held<br>submitted, waiting for release | 2026-11-18 11:06:40 UTC |\n"
		"| linux/x86_64/amd/zen3 (nvidia/cc80) | 1235 | FAILURE (TIMEOUT)"
		"<br>no \"tarball\" &#92; made<br>caf\xc3\xa9 \xe2\x9c\x93 | "
		"2026-11-18 11:06:40 UTC |\n"
		"| linux/aarch64/neoverse_v1 | 1236 | SUCCESS | "
		"2026-11-18 11:06:40 UTC |\n"
		"\n"
		"<details><summary>linux/x86_64/amd/zen3 (nvidia/cc80), job 1235: "
		"end of the job output</summary>\n"
		"\n"
		"```text\n"
		"== FAILED: x\n"
		"\tindented\n"
		"last\n"
		"```\n"
		"</details>\n"
		"<!-- eessi-bot end -->\n");
	buf_release(&out);

	/* a finished row without a result shows the state */
	d.rows[2].result[0] = '\0';
	body(&d, &out);
	ck_assert_ptr_nonnull(strstr(out.s, "| 1236 | finished |"));
	buf_release(&out);
	cdoc_release(&d);
}
END_TEST

START_TEST(hostile_values_render_harmlessly)
{
	static const char evil_note[] =
		"a | b\n| x | y | z |\n<script>alert(1)</script> --> <!-- "
		"`code` \x1b[2J \xff\xfe end";
	static const char evil_excerpt[] =
		"line ``` three\n```\n````\n</details><script>x</script>\n"
		"``\x01``` joined by a dropped control\n"
		"-->\r\n\xc3\x28 bad UTF-8\x7f\xc2\x85 C1";
	struct cdoc d;
	struct buf out, line;
	const char *p, *fence;
	size_t i, run, longest;

	good(&d);
	ck_assert_int_eq(cdoc_set_note(&d.rows[1], evil_note), 0);
	ck_assert_int_eq(cdoc_set_excerpt(&d.rows[1], evil_excerpt), 0);
	body(&d, &out);

	/* the row is one row of four cells */
	unit_line_of(out.s, "| linux/x86_64/amd/zen3", &line);
	ck_assert_int_eq(unit_count_pipes(line.s), 5);
	ck_assert_ptr_null(strstr(line.s, "<script"));
	ck_assert_ptr_null(strstr(line.s, "-->"));
	ck_assert_ptr_null(strstr(line.s, "<!--"));
	ck_assert_ptr_null(strchr(line.s, '`'));
	buf_release(&line);

	/* the fence: longer than any run of backticks inside (the excerpt's
	 * longest is 5 once the control character between "``" and "```"
	 * is dropped) */
	fence = strstr(out.s, "</summary>\n\n");
	ck_assert_ptr_nonnull(fence);
	fence += strlen("</summary>\n\n");
	ck_assert_int_eq(strncmp(fence, "``````text\n", 11), 0);
	longest = 0;
	for (p = fence + 11, run = 0; strncmp(p, "\n``````\n</details>", 18) != 0; p++) {
		ck_assert_int_ne(*p, '\0');
		run = *p == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	ck_assert_uint_eq(longest, 5);
	/* exactly one </details> outside the fence: ours */
	ck_assert_ptr_nonnull(strstr(out.s, "\n``````\n</details>\n<!-- eessi-bot end -->\n"));
	/* the whole body is clean UTF-8 text: no ESC, CR, DEL, C1, invalid */
	ck_assert_int_eq(status_is_clean(out.s, out.len), 1);
	ck_assert_ptr_null(strchr(out.s, '\r'));
	/* the comment's markers stay the first and the last line */
	ck_assert_int_eq(strncmp(out.s, "<!-- eessi-bot status instance=test-bot ", 40), 0);
	for (i = 0, p = out.s; (p = strstr(p, "<!--")); p++)
		i++;
	ck_assert_uint_eq(i, 2);
	buf_release(&out);
	cdoc_release(&d);
}
END_TEST

START_TEST(body_summary_is_escaped)
{
	struct cdoc d;
	struct buf out;

	good(&d);
	/* not a valid target, but cdoc_body() renders any struct safely */
	SET(d.rows[1].target, "<b>x</b> & | `y`");
	body(&d, &out);
	ck_assert_ptr_nonnull(strstr(out.s, "<details><summary>&lt;b&gt;x&lt;/b&gt; "
				      "&amp; &#124; &#96;y&#96;, job 1235: end "
				      "of the job output</summary>\n"));
	buf_release(&out);
	cdoc_release(&d);
}
END_TEST

/* 256 rows with the largest excerpts: the excerpts go from the last row
 * backwards, each replaced by a line; the body stays under the cap. */
START_TEST(body_cap_drops_excerpts_from_the_last_row)
{
	struct cdoc d = { 0 };
	struct buf out, line, ex = BUF_INIT(CDOC_EXCERPT_MAX);
	char target[64], key[64];
	size_t i, blocks = 0, lines = 0;
	const char *p;

	SET(d.instance, "test-bot");
	SET(d.delivery, UUID);
	for (i = 0; i < CDOC_EXCERPT_MAX; i++)
		ck_assert_int_eq(buf_addch(&ex, i % 64 == 63 ? '\n' : 'e'), 0);
	for (i = 0; i < CDOC_ROWS_MAX; i++) {
		snprintf(target, sizeof(target), "linux/x86_64/t%03zu", i);
		snprintf(key, sizeof(key), "linux_x86_64_t%03zu", i);
		add_row(&d, target, key, 5000 + (long long)i, "finished");
		SET(d.rows[i].result, "FAILURE");
		SET(d.rows[i].slurm, "FAILED");
		ck_assert_int_eq(cdoc_set_note(&d.rows[i], "no tarball"), 0);
		ck_assert_int_eq(cdoc_set_excerpt(&d.rows[i], ex.s), 0);
	}
	body(&d, &out);
	ck_assert_uint_le(out.len, CDOC_BODY_MAX);
	ck_assert_uint_gt(out.len, CDOC_BODY_MAX - 2 * CDOC_EXCERPT_MAX);
	/* every row is there, with its note */
	for (i = 0; i < CDOC_ROWS_MAX; i++) {
		snprintf(target, sizeof(target), "| linux/x86_64/t%03zu | %zu | "
			 "FAILURE (FAILED)<br>no tarball |", i, 5000 + i);
		ck_assert_msg(strstr(out.s, target), "row %zu missing", i);
	}
	/* blocks for the first rows, lines for the rest, in row order */
	for (i = 0; i < CDOC_ROWS_MAX; i++) {
		snprintf(target, sizeof(target), "<summary>linux/x86_64/t%03zu,", i);
		snprintf(key, sizeof(key), "output of linux/x86_64/t%03zu (", i);
		if (strstr(out.s, target)) {
			ck_assert_msg(lines == 0, "block %zu after a line", i);
			ck_assert_ptr_null(strstr(out.s, key));
			blocks++;
		} else {
			ck_assert_msg(strstr(out.s, key), "nothing for %zu", i);
			lines++;
		}
	}
	ck_assert_uint_gt(blocks, 0);
	ck_assert_uint_gt(lines, 0);
	ck_assert_uint_eq(blocks + lines, CDOC_ROWS_MAX);
	unit_line_of(out.s, "The end of the job output of linux/x86_64/t255", &line);
	ck_assert_str_eq(line.s, "The end of the job output of linux/x86_64/t255 "
			 "(job 5255) is left out: the comment would be too long.");
	buf_release(&line);
	ck_assert_ptr_null(strstr(out.s, "The notes of"));
	ck_assert_ptr_null(strstr(out.s, "not shown"));
	/* one excerpt less: one block more */
	for (p = out.s, i = 0; (p = strstr(p, "<details>")); p++)
		i++;
	ck_assert_uint_eq(i, blocks);
	buf_release(&out);
	buf_release(&ex);
	cdoc_release(&d);
}
END_TEST

/* 256 rows with the longest targets and notes that escape to 4-5 times
 * their size: notes go too, then rows, each said once. */
START_TEST(body_cap_holds_whatever_the_rows)
{
	struct cdoc d = { 0 };
	struct buf out, note = BUF_INIT(CDOC_NOTE_MAX), name = BUF_INIT(600);
	char key[64];
	size_t i;

	SET(d.instance, "test-bot");
	SET(d.delivery, UUID);
	for (i = 0; i < CDOC_NOTE_MAX; i++)
		ck_assert_int_eq(buf_addch(&note, "<`&>"[i % 4]), 0);
	ck_assert_int_eq(buf_adds(&name, "linux/"), 0);
	while (name.len < TARGET_NAME_MAX - 1)
		ck_assert_int_eq(buf_addch(&name, 'z'), 0);
	for (i = 0; i < CDOC_ROWS_MAX; i++) {
		snprintf(key, sizeof(key), "k%zu", i);
		add_row(&d, name.s, key, 1 + (long long)i, "running");
		ck_assert_int_eq(cdoc_set_note(&d.rows[i], note.s), 0);
		ck_assert_int_eq(cdoc_set_excerpt(&d.rows[i], note.s), 0);
	}
	body(&d, &out);
	ck_assert_uint_le(out.len, CDOC_BODY_MAX);
	ck_assert_ptr_nonnull(strstr(out.s, "\nThe notes of "));
	ck_assert_ptr_nonnull(strstr(out.s, " targets are left out: the comment "
				      "would be too long.\n"));
	ck_assert_ptr_nonnull(strstr(out.s, " more targets are not shown: the "
				      "comment would be too long.\n"));
	ck_assert_ptr_null(strstr(out.s, "<details>"));
	ck_assert_int_eq(strncmp(out.s + out.len - 23, "<!-- eessi-bot end -->\n", 23), 0);
	buf_release(&out);

	/* a small body is left whole */
	d.n = 2;
	body(&d, &out);
	ck_assert_ptr_null(strstr(out.s, "too long"));
	ck_assert_ptr_nonnull(strstr(out.s, "<details>"));
	d.n = CDOC_ROWS_MAX;
	buf_release(&out);

	/* out's own cap: -1, out as it was */
	buf_init(&out, 300);
	ck_assert_int_eq(buf_adds(&out, "keep"), 0);
	ck_assert_int_eq(cdoc_body(&d, &out), -1);
	ck_assert_str_eq(out.s, "keep");
	buf_release(&out);
	buf_release(&note);
	buf_release(&name);
	cdoc_release(&d);
}
END_TEST

/* ---- on disk ---------------------------------------------------------------- */

static char dir[64];

static void setup(void)
{
	unit_mkdtemp(dir, sizeof(dir), "cdoc");
}

static void teardown(void)
{
	unit_rm_rf(dir);
}

static void doc_path(struct buf *path, long long id)
{
	buf_init(path, 4096);
	ck_assert_int_eq(cdoc_path(dir, id, path), 0);
}

START_TEST(save_and_load)
{
	struct cdoc d, back;
	struct buf path, text, before = BUF_INIT(CDOC_MAX_BYTES);
	struct err e = ERR_INIT;
	struct stat st;
	char comments[128];

	good(&d);
	ck_assert_int_eq(cdoc_load(dir, d.comment_id, &back, &e), 1);
	ck_assert_ptr_null(back.rows);
	ck_assert_msg(cdoc_save(dir, &d, 1, &e) == 0, "%s", e.msg);
	snprintf(comments, sizeof(comments), "%s/comments", dir);
	ck_assert_int_eq(stat(comments, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0755);
	doc_path(&path, d.comment_id);
	ck_assert_str_eq(path.s + strlen(dir), "/comments/9876543210.json");
	ck_assert_int_eq(lstat(path.s, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(st.st_mode & 07777, 0644);
	to_json(&d, &text);
	ck_assert_msg(xio_read_file(path.s, &before, 1, &e) == 0, "%s", e.msg);
	ck_assert_str_eq(before.s, text.s);
	ck_assert_msg(cdoc_load(dir, d.comment_id, &back, &e) == 0, "%s", e.msg);
	ck_same(&d, &back);

	/* only_new leaves the file alone; without it the file is replaced */
	SET(back.rows[0].state, "running");
	ck_assert_msg(cdoc_save(dir, &back, 1, &e) == 0, "%s", e.msg);
	buf_clear(&text);
	ck_assert_int_eq(xio_read_file(path.s, &text, 1, &e), 0);
	ck_assert_str_eq(text.s, before.s);
	ck_assert_msg(cdoc_save(dir, &back, 0, &e) == 0, "%s", e.msg);
	cdoc_release(&d);
	ck_assert_msg(cdoc_load(dir, back.comment_id, &d, &e) == 0, "%s", e.msg);
	ck_assert_str_eq(d.rows[0].state, "running");

	/* a document that does not pass is not written */
	d.rows[0].state[0] = '\0';
	ck_assert_int_eq(cdoc_save(dir, &d, 0, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "rows[0].state"));
	cdoc_release(&d);
	err_clear(&e);
	ck_assert_msg(cdoc_load(dir, back.comment_id, &d, &e) == 0, "%s", e.msg);
	ck_assert_str_eq(d.rows[0].state, "running");
	cdoc_release(&d);

	/* a bad id has no path */
	buf_clear(&path);
	ck_assert_int_eq(cdoc_path(dir, 0, &path), -1);
	ck_assert_int_eq(cdoc_load(dir, -1, &d, &e), -1);
	cdoc_release(&d);
	cdoc_release(&back);
	buf_release(&path);
	buf_release(&text);
	buf_release(&before);
}
END_TEST

START_TEST(load_refuses_what_is_not_a_document)
{
	struct cdoc d;
	struct buf path, target = BUF_INIT(4096);
	struct err e = ERR_INIT;
	char comments[128];

	snprintf(comments, sizeof(comments), "%s/comments", dir);
	ck_assert_int_eq(mkdir(comments, 0755), 0);

	/* a symlink to a good document */
	good(&d);
	d.comment_id = 7;
	ck_assert_msg(cdoc_save(dir, &d, 1, &e) == 0, "%s", e.msg);
	cdoc_release(&d);
	doc_path(&path, 7);
	ck_assert_int_eq(buf_adds(&target, path.s), 0);
	buf_release(&path);
	doc_path(&path, 8);
	ck_assert_int_eq(symlink(target.s, path.s), 0);
	ck_assert_int_eq(cdoc_load(dir, 8, &d, &e), -1);
	ck_assert_msg(strstr(e.msg, "8.json: a symlink"), "%s", e.msg);
	ck_assert_ptr_null(d.rows);
	/* only_new leaves the symlink alone and writes nothing through it */
	good(&d);
	d.comment_id = 8;
	err_clear(&e);
	ck_assert_int_eq(cdoc_save(dir, &d, 1, &e), 0);
	cdoc_release(&d);
	buf_release(&path);

	/* a FIFO: refused at once, not waited on */
	doc_path(&path, 9);
	ck_assert_int_eq(mkfifo(path.s, 0644), 0);
	err_clear(&e);
	ck_assert_int_eq(cdoc_load(dir, 9, &d, &e), -1);
	ck_assert_msg(strstr(e.msg, "not a regular file"), "%s", e.msg);
	buf_release(&path);

	/* a file that does not parse: the error names it */
	doc_path(&path, 10);
	err_clear(&e);
	ck_assert_int_eq(xio_write_atomic(path.s, "{\"version\":1}", 13, 0644, &e), 0);
	ck_assert_int_eq(cdoc_load(dir, 10, &d, &e), -1);
	ck_assert_msg(strstr(e.msg, "10.json: comment_id: missing"), "%s", e.msg);
	buf_release(&path);

	/* a good document under another comment's name */
	doc_path(&path, 11);
	ck_assert_int_eq(rename(target.s, path.s), 0);
	err_clear(&e);
	ck_assert_int_eq(cdoc_load(dir, 11, &d, &e), -1);
	ck_assert_msg(strstr(e.msg, "11.json: comment_id 7 is not the file's"),
		      "%s", e.msg);
	ck_assert_ptr_null(d.rows);
	buf_release(&path);
	buf_release(&target);
}
END_TEST

/* chatlevel incognito: a document's local id is the delivery's, far above
 * GitHub's ids, and parses and saves like any other. */
START_TEST(local_ids)
{
	const char *a = "11111111-2222-3333-4444-555555555555";
	const char *b = "11111111-2222-3333-4444-555555555556";
	long long ia = cdoc_local_id(a), ib = cdoc_local_id(b);
	struct cdoc d = { 0 }, back = { 0 };
	struct buf json = BUF_INIT(1 << 20);
	struct err e = ERR_INIT;

	ck_assert_int_eq(ia, cdoc_local_id(a));
	ck_assert_int_ne(ia, ib);
	ck_assert(cdoc_is_local(ia) && cdoc_is_local(ib));
	ck_assert(ia >= CDOC_LOCAL_MIN && ia <= 9007199254740991LL);
	ck_assert(cdoc_is_local(cdoc_local_id("")));
	ck_assert(!cdoc_is_local(4294967296LL * 1000));
	ck_assert(!cdoc_is_local(1));
	d.comment_id = ia;
	d.pr_number = 7;
	snprintf(d.repo, sizeof(d.repo), "o/n");
	snprintf(d.instance, sizeof(d.instance), "i");
	snprintf(d.delivery, sizeof(d.delivery), "%s", a);
	ck_assert_int_eq(cdoc_to_json(&d, &json, &e), 0);
	ck_assert_int_eq(cdoc_parse(json.s, json.len, &back, &e), 0);
	ck_assert_int_eq(back.comment_id, ia);
	cdoc_release(&back);
	buf_release(&json);
}
END_TEST

Suite *cdoc_suite(void)
{
	Suite *s = suite_create("cdoc");
	TCase *tc = tcase_create("document");
	TCase *body_tc = tcase_create("body");
	TCase *disk = tcase_create("disk");

	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, parse_is_lenient_where_it_may_be);
	tcase_add_test(tc, parse_refusals_name_the_field);
	tcase_add_test(tc, parse_refuses_big_things);
	tcase_add_test(tc, parse_is_total);
	tcase_add_test(tc, write_refusals_name_the_field);
	tcase_add_test(tc, write_refuses_too_many_rows_and_a_small_cap);
	tcase_add_test(tc, rows_added_and_found);
	tcase_add_test(tc, notes_and_excerpts_are_clean_and_cut);
	tcase_add_test(tc, row_same_ignores_times);
	tcase_add_test(tc, copy_is_deep);
	tcase_add_test(tc, local_ids);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	tcase_add_test(body_tc, body_text);
	tcase_add_test(body_tc, hostile_values_render_harmlessly);
	tcase_add_test(body_tc, body_summary_is_escaped);
	tcase_add_test(body_tc, body_cap_drops_excerpts_from_the_last_row);
	tcase_add_test(body_tc, body_cap_holds_whatever_the_rows);
	tcase_set_timeout(body_tc, 60);
	suite_add_tcase(s, body_tc);
	tcase_add_checked_fixture(disk, setup, teardown);
	tcase_add_test(disk, save_and_load);
	tcase_add_test(disk, load_refuses_what_is_not_a_document);
	suite_add_tcase(s, disk);
	return s;
}
