/* test_jobrec.c - the job-submission record: its text, the round trip,
 * and every field refused out of shape on render and on parse (a record
 * from disk is trusted no more than one being made). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "jobrec.h"
#include "unit.h"

#define SHA1 "0123456789abcdef0123456789abcdef01234567"
#define SHA2 "89abcdef0123456789abcdef0123456789abcdef"
#define SHA256 SHA1 "0123456789abcdef01234567"
#define UUID "3f1c2d4e-aa01-11ef-9c3b-0242AC120002"
#define DIR "/jobs/run_001/eessi.io-2023.06-software/linux_x86_64_amd_zen2"

static const char good_text[] =
	"[PR]\n"
	"repo = EESSI/software-layer\n"
	"pr_number = 42\n"
	"pr_comment_id = 9876543210\n"
	"\n[JOB]\n"
	"id = 1234\n"
	"instance = test-bot\n"
	"delivery = " UUID "\n"
	"target = linux/x86_64/amd/zen2\n"
	"repo_id = eessi.io-2023.06-software\n"
	"accelerator = nvidia/cc80\n"
	"target_key = eessi.io-2023.06-software:linux_x86_64_amd_zen2\n"
	"job_dir = " DIR "\n"
	"head_sha = " SHA1 "\n"
	"base_ref = 2023.06-software\n"
	"base_sha = " SHA2 "\n"
	"merge_sha = " SHA256 "\n"
	"requested_by = boegel\n"
	"submitted_at = 1795000000\n"
	"\n[STATE]\n"
	"state = held\n"
	"changed_at = 1795000000\n";

/* Copies s into a char array member, which must hold it. */
#define SET(member, s)                                                     \
	ck_assert_int_lt(snprintf(member, sizeof(member), "%s", s),         \
			 (int)sizeof(member))

static void good(struct jobrec *r)
{
	memset(r, 0, sizeof(*r));
	r->job_id = 1234;
	SET(r->repo, "EESSI/software-layer");
	r->pr_number = 42;
	r->pr_comment_id = 9876543210LL;
	SET(r->instance, "test-bot");
	SET(r->delivery, UUID);
	SET(r->target, "linux/x86_64/amd/zen2");
	SET(r->repo_id, "eessi.io-2023.06-software");
	SET(r->accelerator, "nvidia/cc80");
	SET(r->target_key, "eessi.io-2023.06-software:linux_x86_64_amd_zen2");
	SET(r->job_dir, DIR);
	SET(r->head_sha, SHA1);
	SET(r->base_ref, "2023.06-software");
	SET(r->base_sha, SHA2);
	SET(r->merge_sha, SHA256);
	SET(r->requested_by, "boegel");
	r->submitted_at = 1795000000;
	SET(r->state, "held");
	r->changed_at = 1795000000;
}

/* Field by field (memcmp would compare padding too). */
static void ck_same(const struct jobrec *a, const struct jobrec *b)
{
	ck_assert_int_eq(a->job_id, b->job_id);
	ck_assert_str_eq(a->repo, b->repo);
	ck_assert_int_eq(a->pr_number, b->pr_number);
	ck_assert_int_eq(a->pr_comment_id, b->pr_comment_id);
	ck_assert_str_eq(a->instance, b->instance);
	ck_assert_str_eq(a->delivery, b->delivery);
	ck_assert_str_eq(a->target, b->target);
	ck_assert_str_eq(a->repo_id, b->repo_id);
	ck_assert_str_eq(a->accelerator, b->accelerator);
	ck_assert_str_eq(a->target_key, b->target_key);
	ck_assert_str_eq(a->job_dir, b->job_dir);
	ck_assert_str_eq(a->head_sha, b->head_sha);
	ck_assert_str_eq(a->base_ref, b->base_ref);
	ck_assert_str_eq(a->base_sha, b->base_sha);
	ck_assert_str_eq(a->merge_sha, b->merge_sha);
	ck_assert_str_eq(a->requested_by, b->requested_by);
	ck_assert_int_eq(a->submitted_at, b->submitted_at);
	ck_assert_str_eq(a->state, b->state);
	ck_assert_int_eq(a->changed_at, b->changed_at);
}

START_TEST(render_text_and_round_trip)
{
	struct jobrec r, back;
	struct buf out = BUF_INIT(BUF_CAP_DEFAULT);
	struct err e = ERR_INIT;

	good(&r);
	ck_assert_msg(jobrec_render(&r, &out, &e) == 0, "%s", e.msg);
	ck_assert_str_eq(out.s, good_text);
	ck_assert_msg(jobrec_parse(out.s, out.len, &back, &e) == 0, "%s",
		      e.msg);
	ck_same(&r, &back);

	/* repo_id and accelerator may be empty; a later state is kept */
	r.repo_id[0] = '\0';
	r.accelerator[0] = '\0';
	SET(r.state, "finished_ok");
	r.changed_at = 1795000999;
	buf_clear(&out);
	ck_assert_msg(jobrec_render(&r, &out, &e) == 0, "%s", e.msg);
	ck_assert_ptr_nonnull(strstr(out.s, "\nrepo_id = \naccelerator = \n"));
	ck_assert_msg(jobrec_parse(out.s, out.len, &back, &e) == 0, "%s",
		      e.msg);
	ck_same(&r, &back);
	buf_release(&out);
}
END_TEST

/* A finished record (written to finished/ by the manager) carries its
 * verdict and Slurm's end state; a record without them (at submission, or
 * from the version before) parses with both "". */
START_TEST(final_state_result_and_slurm)
{
	struct jobrec r, back;
	struct buf out = BUF_INIT(BUF_CAP_DEFAULT);
	struct err e = ERR_INIT;

	good(&r);
	SET(r.state, "finished");
	SET(r.result, "SUCCESS");
	SET(r.slurm, "COMPLETED");
	r.changed_at = 1795000999;
	ck_assert_msg(jobrec_render(&r, &out, &e) == 0, "%s", e.msg);
	ck_assert_ptr_nonnull(strstr(out.s, "\n[STATE]\nstate = finished\n"
				     "changed_at = 1795000999\nresult = SUCCESS\n"
				     "slurm = COMPLETED\n"));
	ck_assert_msg(jobrec_parse(out.s, out.len, &back, &e) == 0, "%s", e.msg);
	ck_assert_str_eq(back.result, "SUCCESS");
	ck_assert_str_eq(back.slurm, "COMPLETED");
	ck_assert_str_eq(back.state, "finished");
	/* the record of the version before: no result, no slurm */
	ck_assert_int_eq(jobrec_parse(good_text, strlen(good_text), &back, &e), 0);
	ck_assert_str_eq(back.result, "");
	ck_assert_str_eq(back.slurm, "");
	/* jobrec_set_state(): the same bytes as a render of the changed
	 * record, by the quick path (good_text: [STATE] last) and by the
	 * whole parse (a record whose [STATE] comes first) */
	{
		struct buf t = BUF_INIT(BUF_CAP_DEFAULT), moved = BUF_INIT(BUF_CAP_DEFAULT);
		const char *st = strstr(good_text, "[STATE]");

		ck_assert_int_eq(buf_adds(&t, good_text), 0);
		ck_assert_int_eq(jobrec_set_state(&t, "finished", 1795000999, "SUCCESS",
						  "COMPLETED", &e), 0);
		ck_assert_str_eq(t.s, out.s);
		ck_assert_int_eq(buf_addf(&moved, "%s\n%.*s", st, (int)(st - good_text),
					  good_text), 0);
		ck_assert_int_eq(jobrec_set_state(&moved, "finished", 1795000999, "SUCCESS",
						  "COMPLETED", &e), 0);
		ck_assert_str_eq(moved.s, out.s);
		ck_assert_int_eq(jobrec_set_state(&t, "Finished!", 1, "", "", &e), -1);
		err_clear(&e);
		buf_release(&t);
		buf_release(&moved);
	}
	/* out of shape: refused on render and on parse */
	SET(r.result, "success");
	buf_clear(&out);
	ck_assert_int_eq(jobrec_render(&r, &out, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "[STATE] result"));
	err_clear(&e);
	buf_clear(&out);
	ck_assert_int_eq(buf_adds(&out, good_text), 0);
	ck_assert_int_eq(buf_adds(&out, "slurm = x;id\n"), 0);
	ck_assert_int_eq(jobrec_parse(out.s, out.len, &back, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "[STATE] slurm"));
	buf_release(&out);
}
END_TEST

START_TEST(empty_state_is_held_since_submission)
{
	struct jobrec r, back;
	struct buf out = BUF_INIT(BUF_CAP_DEFAULT);
	struct err e = ERR_INIT;

	good(&r);
	r.state[0] = '\0';
	r.changed_at = 0;
	r.submitted_at = 1795001234;
	ck_assert_int_eq(jobrec_render(&r, &out, &e), 0);
	ck_assert_ptr_nonnull(strstr(out.s, "\n[STATE]\nstate = held\n"
					    "changed_at = 1795001234\n"));
	ck_assert_int_eq(jobrec_parse(out.s, out.len, &back, &e), 0);
	ck_assert_str_eq(back.state, "held");
	ck_assert_int_eq(back.changed_at, 1795001234);
	ck_assert_str_eq(r.state, ""); /* the caller's record is untouched */
	buf_release(&out);
}
END_TEST

/* The string members by key, to break one at a time. */
static const struct {
	const char *key;
	size_t off, size;
} members[] = {
#define M(key, m)                                                         \
	{ key, offsetof(struct jobrec, m), sizeof(((struct jobrec *)0)->m) }
	M("repo", repo), M("instance", instance), M("delivery", delivery),
	M("target", target), M("repo_id", repo_id),
	M("accelerator", accelerator), M("target_key", target_key),
	M("job_dir", job_dir), M("head_sha", head_sha),
	M("base_ref", base_ref), M("base_sha", base_sha),
	M("merge_sha", merge_sha), M("requested_by", requested_by),
	M("state", state),
#undef M
};

static char *member(struct jobrec *r, const char *key, size_t *size)
{
	size_t i;

	for (i = 0; i < sizeof(members) / sizeof(members[0]); i++)
		if (strcmp(members[i].key, key) == 0) {
			*size = members[i].size;
			return (char *)r + members[i].off;
		}
	ck_abort_msg("no member %s", key);
	return NULL;
}

/* The hostile and malformed values, each refused for its key. */
static const struct {
	const char *section, *key, *value;
} bad[] = {
	{ "PR", "repo", "../../etc" },
	{ "PR", "repo", "EESSI/software layer" },
	{ "PR", "repo", "EESSI" },
	{ "PR", "repo", "-x/y" },
	{ "JOB", "instance", "" },
	{ "JOB", "instance", "zzz\";echo${IFS}\"hello\";#" },
	{ "JOB", "instance", "$(id)" },
	{ "JOB", "instance", "a/b" },
	{ "JOB", "instance",
	  "12345678901234567890123456789012345678901234567890123456789012345" },
	{ "JOB", "delivery", "" },
	{ "JOB", "delivery", "3f1c2d4e-aa01-11ef-9c3b-0242ac12000" },
	{ "JOB", "delivery", "3f1c2d4e-aa01-11ef-9c3b-0242ac1200022" },
	{ "JOB", "delivery", "3f1c2d4eaa01-11ef-9c3b-0242ac1200022" },
	{ "JOB", "delivery", "3f1c2d4g-aa01-11ef-9c3b-0242ac120002" },
	{ "JOB", "delivery", "../../../../../../../../../etc/passwd" },
	{ "JOB", "target", "" },
	{ "JOB", "target", "linux/x86_64 zen2" },
	{ "JOB", "target", "linux/$(id)" },
	{ "JOB", "repo_id", "a;b" },
	{ "JOB", "repo_id", "a b" },
	{ "JOB", "accelerator", "nvidia/cc80`id`" },
	{ "JOB", "target_key", "" },
	{ "JOB", "target_key", "a\"b" },
	{ "JOB", "job_dir", "" },
	{ "JOB", "job_dir", "jobs/run_001" },
	{ "JOB", "job_dir", "/jobs/../etc" },
	{ "JOB", "job_dir", "/jobs/.." },
	{ "JOB", "job_dir", "/jobs/./x" },
	{ "JOB", "job_dir", "/." },
	{ "JOB", "job_dir", "/jobs/a\x1b[2Jb" },
	{ "JOB", "job_dir", "/jobs/a\x7f" },
	{ "JOB", "head_sha", "" },
	{ "JOB", "head_sha", "0123456789ABCDEF0123456789abcdef01234567" },
	{ "JOB", "head_sha", "0123456789abcdef0123456789abcdef0123456" },
	{ "JOB", "head_sha", "0123456789abcdef0123456789abcdef012345678" },
	{ "JOB", "head_sha", "0123456789abcdef0123456789abcdef0123456g" },
	{ "JOB", "base_ref", "" },
	{ "JOB", "base_ref", "-main" },
	{ "JOB", "base_ref", ".main" },
	{ "JOB", "base_ref", "/main" },
	{ "JOB", "base_ref", "main/" },
	{ "JOB", "base_ref", "main." },
	{ "JOB", "base_ref", "main.lock" },
	{ "JOB", "base_ref", "a..b" },
	{ "JOB", "base_ref", "a//b" },
	{ "JOB", "base_ref", "a/.b" },
	{ "JOB", "base_ref", "main;id" },
	{ "JOB", "base_ref", "$(id)" },
	{ "JOB", "base_ref", "ma in" },
	{ "JOB", "base_sha", "xyz" },
	{ "JOB", "merge_sha", "" },
	{ "JOB", "requested_by", "" },
	{ "JOB", "requested_by", "a--b" },
	{ "JOB", "requested_by", "-boegel" },
	{ "JOB", "requested_by", "<script>" },
	{ "STATE", "state", "" },
	{ "STATE", "state", "Held" },
	{ "STATE", "state", "not submitted" },
	{ "STATE", "state", "held1" },
	{ "STATE", "state", "abcdefghijklmnopqrstuvwxyzabcdef" },
};

#define NBAD (sizeof(bad) / sizeof(bad[0]))

/* What the message must start with: "[SECTION] key: ". */
static void want_msg(char *want, size_t size, const char *section,
		     const char *key)
{
	ck_assert_int_lt(snprintf(want, size, "[%s] %s: ", section, key),
			 (int)size);
}

START_TEST(render_refuses_each_field)
{
	struct jobrec r;
	struct buf out = BUF_INIT(BUF_CAP_DEFAULT);
	struct err e = ERR_INIT;
	char want[64];
	size_t size;
	char *m;

	/* the empty state is the submission default, not a refusal */
	if (strcmp(bad[_i].key, "state") == 0 && !*bad[_i].value)
		return;
	good(&r);
	m = member(&r, bad[_i].key, &size);
	if (strlen(bad[_i].value) >= size)
		return; /* does not fit: render_refuses_long_... */
	memset(m, 0, size);
	memcpy(m, bad[_i].value, strlen(bad[_i].value));
	ck_assert_int_eq(buf_adds(&out, "keep"), 0);
	ck_assert_msg(jobrec_render(&r, &out, &e) == -1, "%s = '%s' accepted",
		      bad[_i].key, bad[_i].value);
	ck_assert_int_eq(e.code, ERR_INVAL);
	want_msg(want, sizeof(want), bad[_i].section, bad[_i].key);
	ck_assert_msg(strncmp(e.msg, want, strlen(want)) == 0,
		      "expected '%s...', got '%s'", want, e.msg);
	ck_assert_str_eq(out.s, "keep");
	buf_release(&out);
}
END_TEST

/* good_text with key's value replaced (or its line removed if value is
 * NULL), in out. */
static void text_with(struct buf *out, const char *key, const char *value)
{
	char needle[64];
	const char *at, *eol;

	snprintf(needle, sizeof(needle), "\n%s = ", key);
	at = strstr(good_text, needle);
	ck_assert_ptr_nonnull(at);
	eol = strchr(at + 1, '\n');
	buf_clear(out);
	ck_assert_int_eq(buf_add(out, good_text, (size_t)(at - good_text)), 0);
	if (value)
		ck_assert_int_eq(buf_addf(out, "%s%s", needle, value), 0);
	ck_assert_int_eq(buf_adds(out, eol), 0);
}

/* Parses text that must be refused with a message starting with want. */
static void parse_fails(const struct buf *text, const char *want)
{
	struct jobrec r;
	struct err e = ERR_INIT;

	ck_assert_msg(jobrec_parse(text->s, text->len, &r, &e) == -1,
		      "accepted:\n%s", text->s);
	ck_assert_int_eq(e.code, ERR_INVAL);
	ck_assert_msg(strncmp(e.msg, want, strlen(want)) == 0,
		      "expected '%s...', got '%s'", want, e.msg);
	ck_assert_str_eq(r.instance, ""); /* nothing half-filled */
	ck_assert_int_eq(r.job_id, 0);
}

START_TEST(parse_refuses_each_field)
{
	struct buf text = BUF_INIT(BUF_CAP_DEFAULT);
	char want[64];

	text_with(&text, bad[_i].key, bad[_i].value);
	want_msg(want, sizeof(want), bad[_i].section, bad[_i].key);
	parse_fails(&text, want);
	buf_release(&text);
}
END_TEST

START_TEST(parse_refuses_numbers)
{
	static const struct {
		const char *section, *key, *value;
	} nums[] = {
		{ "PR", "pr_number", "0" },
		{ "PR", "pr_number", "-1" },
		{ "PR", "pr_number", "+5" },
		{ "PR", "pr_number", "5x" },
		{ "PR", "pr_number", "0x10" },
		{ "PR", "pr_number", "1e3" },
		{ "PR", "pr_number", "" },
		{ "PR", "pr_number", "4 2" },
		{ "PR", "pr_number", "$(id)" },
		{ "PR", "pr_comment_id", "9223372036854775808" },
		{ "PR", "pr_comment_id", "99999999999999999999" },
		{ "JOB", "id", "0" },
		{ "JOB", "id", "12345678901234567890123" },
		{ "JOB", "submitted_at", "-1" },
		{ "JOB", "submitted_at", "253402300800" },
		{ "STATE", "changed_at", "1.5" },
	};
	struct buf text = BUF_INIT(BUF_CAP_DEFAULT);
	char want[64];
	size_t i;

	for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		text_with(&text, nums[i].key, nums[i].value);
		want_msg(want, sizeof(want), nums[i].section, nums[i].key);
		parse_fails(&text, want);
	}
	/* the largest values are fine */
	text_with(&text, "pr_comment_id", "9223372036854775807");
	{
		struct jobrec r;
		struct err e = ERR_INIT;

		ck_assert_msg(jobrec_parse(text.s, text.len, &r, &e) == 0, "%s",
			      e.msg);
		ck_assert_int_eq(r.pr_comment_id, 9223372036854775807LL);
	}
	buf_release(&text);
}
END_TEST

START_TEST(render_refuses_numbers)
{
	struct jobrec r;
	struct buf out = BUF_INIT(BUF_CAP_DEFAULT);
	struct err e = ERR_INIT;

	good(&r);
	r.job_id = 0;
	ck_assert_int_eq(jobrec_render(&r, &out, &e), -1);
	ck_assert_str_eq(e.msg,
			 "[JOB] id: 0 out of range 1..9223372036854775807");
	err_clear(&e);
	good(&r);
	r.pr_number = -3;
	ck_assert_int_eq(jobrec_render(&r, &out, &e), -1);
	ck_assert_int_eq(strncmp(e.msg, "[PR] pr_number: ", 16), 0);
	err_clear(&e);
	good(&r);
	r.changed_at = 253402300800LL;
	ck_assert_int_eq(jobrec_render(&r, &out, &e), -1);
	ck_assert_int_eq(strncmp(e.msg, "[STATE] changed_at: ", 20), 0);
	ck_assert_uint_eq(out.len, 0);
	buf_release(&out);
}
END_TEST

START_TEST(parse_refuses_missing_long_and_broken)
{
	struct buf text = BUF_INIT(BUF_CAP_DEFAULT);
	struct buf big = BUF_INIT(BUF_CAP_DEFAULT);
	static const char *const keys[] = {
		"repo", "pr_number", "pr_comment_id", "id", "instance",
		"delivery", "target", "repo_id", "accelerator", "target_key",
		"job_dir", "head_sha", "base_ref", "base_sha", "merge_sha",
		"requested_by", "submitted_at", "state", "changed_at",
	};
	char want[64];
	size_t i;
	struct jobrec r;
	struct err e = ERR_INIT;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		text_with(&text, keys[i], NULL);
		snprintf(want, sizeof(want), "] %s: missing", keys[i]);
		ck_assert_int_eq(jobrec_parse(text.s, text.len, &r, &e), -1);
		ck_assert_msg(strstr(e.msg, want) != NULL, "%s", e.msg);
		err_clear(&e);
	}

	/* a key in the wrong section is missing from the right one */
	buf_clear(&text);
	ck_assert_int_eq(buf_adds(&text, good_text), 0);
	text.s[strstr(text.s, "[STATE]") - text.s + 1] = 'X';
	parse_fails(&text, "[STATE] state: missing");

	/* 10 KB in a field of 256 bytes */
	for (i = 0; i < 10 * 1024; i++)
		if (buf_addch(&big, 'a') < 0)
			break;
	ck_assert_uint_eq(big.len, 10 * 1024);
	text_with(&text, "target", big.s);
	parse_fails(&text, "[JOB] target: longer than 255 bytes");
	{
		struct buf dir = BUF_INIT(BUF_CAP_DEFAULT);

		for (i = 0; i < 4096; i++)
			if (buf_addch(&dir, i % 2 ? 'a' : '/') < 0)
				break;
		text_with(&text, "job_dir", dir.s);
		parse_fails(&text, "[JOB] job_dir: longer than 4095 bytes");
		buf_release(&dir);
	}

	/* INI syntax and NUL bytes: the line is named */
	text_with(&text, "instance", "test-bot\nnot a setting");
	parse_fails(&text, "line 9: neither");
	text_with(&text, "instance", "test-bot");
	text.s[strstr(text.s, "test-bot") - text.s + 4] = '\0';
	parse_fails(&text, "line 8: NUL byte");
	/* a continuation line makes a value of two lines, refused */
	text_with(&text, "target", "linux/x86_64\n    rm -rf /");
	parse_fails(&text, "[JOB] target: not ");
	text_with(&text, "instance", "test-bot\n    evil");
	parse_fails(&text, "[JOB] instance: not ");
	buf_release(&big);
	buf_release(&text);
}
END_TEST

START_TEST(unknown_keys_and_sections_ignored)
{
	struct buf text = BUF_INIT(BUF_CAP_DEFAULT);
	struct jobrec r;
	struct err e = ERR_INIT;

	ck_assert_int_eq(buf_adds(&text, "# a comment\n[EXTRA]\nx = 1\n"), 0);
	ck_assert_int_eq(buf_adds(&text, good_text), 0);
	ck_assert_int_eq(buf_adds(&text, "[JOB]\nnew_key = $(id)\n"), 0);
	ck_assert_msg(jobrec_parse(text.s, text.len, &r, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(r.job_id, 1234);
	ck_assert_str_eq(r.job_dir, DIR);
	buf_release(&text);
}
END_TEST

START_TEST(render_refuses_long_trailing_blank_and_cap)
{
	struct jobrec r;
	struct buf out = BUF_INIT(100);
	struct buf big = BUF_INIT(BUF_CAP_DEFAULT);
	struct err e = ERR_INIT;

	good(&r);
	memset(r.target, 'a', sizeof(r.target));
	ck_assert_int_eq(jobrec_render(&r, &big, &e), -1);
	ck_assert_str_eq(e.msg, "[JOB] target: longer than 255 bytes");
	ck_assert_uint_eq(big.len, 0);
	err_clear(&e);
	good(&r);
	memset(r.delivery, 'a', sizeof(r.delivery));
	ck_assert_int_eq(jobrec_render(&r, &big, &e), -1);
	ck_assert_str_eq(e.msg, "[JOB] delivery: longer than 36 bytes");
	err_clear(&e);
	/* a trailing blank would not survive the INI file (parse never sees
	 * one: it is stripped) */
	good(&r);
	SET(r.job_dir, "/jobs/x ");
	ck_assert_int_eq(jobrec_render(&r, &big, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "[JOB] job_dir: not an absolute"));
	err_clear(&e);
	good(&r);
	ck_assert_int_eq(jobrec_render(&r, &out, &e), -1);
	ck_assert_int_eq(e.code, ERR_TOOBIG);
	ck_assert_uint_eq(out.len, 0);
	buf_release(&out);
	buf_release(&big);
}
END_TEST

START_TEST(valid_sha_and_ref)
{
	static const char *const refs[] = {
		"main", "2023.06-software", "feature/x_y+z", "a.b", "v1.0-rc.1",
		"A", "a-", "release/2023.06/fix",
	};
	size_t i;
	char longref[300];

	ck_assert_int_eq(names_valid_sha(SHA1), 1);
	ck_assert_int_eq(names_valid_sha(SHA256), 1);
	ck_assert_int_eq(names_valid_sha(""), 0);
	ck_assert_int_eq(names_valid_sha(SHA1 "0"), 0);
	ck_assert_int_eq(names_valid_sha(SHA256 "0"), 0);
	ck_assert_int_eq(names_valid_sha(SHA1 "01234567890123456789012"), 0);
	ck_assert_int_eq(
		names_valid_sha("0123456789ABCDEF0123456789abcdef01234567"),
		0);
	ck_assert_int_eq(names_valid_sha(" " SHA1), 0);
	ck_assert_int_eq(names_valid_sha(NULL), 0);
	for (i = 0; i < sizeof(refs) / sizeof(refs[0]); i++)
		ck_assert_msg(names_valid_ref(refs[i]), "%s refused", refs[i]);
	for (i = 0; i < NBAD; i++)
		if (strcmp(bad[i].key, "base_ref") == 0)
			ck_assert_msg(!names_valid_ref(bad[i].value),
				      "%s accepted", bad[i].value);
	ck_assert_int_eq(names_valid_ref("a.lock/b"), 0);
	ck_assert_int_eq(names_valid_ref("a\nb"), 0);
	ck_assert_int_eq(names_valid_ref("a~1"), 0);
	ck_assert_int_eq(names_valid_ref("a^"), 0);
	ck_assert_int_eq(names_valid_ref("a:b"), 0);
	ck_assert_int_eq(names_valid_ref("a@{b"), 0);
	ck_assert_int_eq(names_valid_ref("a\\b"), 0);
	ck_assert_int_eq(names_valid_ref(NULL), 0);
	memset(longref, 'r', sizeof(longref));
	longref[255] = '\0';
	ck_assert_int_eq(names_valid_ref(longref), 1);
	longref[255] = 'r';
	longref[256] = '\0';
	ck_assert_int_eq(names_valid_ref(longref), 0);
}
END_TEST

Suite *jobrec_suite(void)
{
	Suite *s = suite_create("jobrec");
	TCase *tc = tcase_create("record");
	TCase *fields = tcase_create("fields");

	tcase_add_test(tc, render_text_and_round_trip);
	tcase_add_test(tc, empty_state_is_held_since_submission);
	tcase_add_test(tc, final_state_result_and_slurm);
	tcase_add_test(tc, parse_refuses_numbers);
	tcase_add_test(tc, render_refuses_numbers);
	tcase_add_test(tc, parse_refuses_missing_long_and_broken);
	tcase_add_test(tc, unknown_keys_and_sections_ignored);
	tcase_add_test(tc, render_refuses_long_trailing_blank_and_cap);
	tcase_add_test(tc, valid_sha_and_ref);
	suite_add_tcase(s, tc);
	tcase_add_loop_test(fields, render_refuses_each_field, 0, (int)NBAD);
	tcase_add_loop_test(fields, parse_refuses_each_field, 0, (int)NBAD);
	suite_add_tcase(s, fields);
	return s;
}
