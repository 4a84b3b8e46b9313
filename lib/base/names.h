/* names.h - the shapes of names that come from GitHub and may reach a path,
 * a URL, an argv or a comment: each is checked against what GitHub itself
 * allows before it is used anywhere.  One rule per kind of name: every
 * other file asks here.
 */
#ifndef EESSI_NAMES_H
#define EESSI_NAMES_H

#include <stddef.h>

/* 1 if s is a GitHub login: 1-39 letters, digits or single hyphens, not
 * starting or ending with '-', optionally followed by "[bot]". */
int names_valid_login(const char *s);

/* 1 if s is "owner/name": owner a login without "[bot]", name 1-100
 * letters, digits, '.', '_' or '-', and not "." or "..". */
int names_valid_repo(const char *s);

/* 1 if s is a label or action name worth keeping: 1-100 bytes, no control
 * characters. */
int names_valid_label(const char *s);

/* 1 if label is the bot's label want (BOT_LABEL_BUILD, ...), compared as
 * GitHub compares label names: ASCII case does not matter ("BOT:Build" is
 * "bot:build").  Command words and "bot:" in comments follow the same rule
 * (lib/core/command.h), so a maintainer never has to guess the case. */
int names_label_is(const char *label, const char *want);

/* 1 if s is a delivery id as GitHub makes them (a UUID: 8-4-4-4-12 hex
 * digits), 0 otherwise.  The one rule for a delivery id wherever one is
 * taken (the webhook, the spool, records, documents, deploy requests):
 * only such ids become file names. */
int names_valid_delivery(const char *s);

/* 1 if s is an event name GitHub could send (1-64 of [a-z0-9_]: there is
 * "projects_v2_item"), else 0. */
int names_valid_event(const char *s);

/* The longest branch name the bot takes (names_valid_ref). */
#define NAMES_REF_MAX 255

/* The largest Slurm job id (they are 32-bit). */
#define NAMES_JOBID_MAX 4294967295LL

/* 1 if s is a git object id: 40 (SHA-1) or 64 (SHA-256) lowercase hex
 * digits. */
int names_valid_sha(const char *s);

/* 1 if name is a month directory of jobs_base_dir (YYYY.MM). */
int names_month_dir(const char *name);

/* 1 if s is a SHA-256 as the bot writes one: 64 lowercase hex digits. */
int names_valid_sha256(const char *s);

/* 1 if s is a branch name the bot accepts: 1-NAMES_REF_MAX bytes of
 * [A-Za-z0-9._/+-], not starting with '-', '.' or '/', not ending with
 * '/', '.' or ".lock", no "..", "//" or "/." inside.  Stricter than git:
 * names with shell or control characters are refused, not escaped, and so
 * is a component ending in ".lock" anywhere (as git does). */
int names_valid_ref(const char *s);

/* 1 if s is a bot instance's name (app_name): 1-64 of [A-Za-z0-9._-]. */
int names_valid_instance(const char *s);

/* 1 if s is a build target as records keep it ("x86_64/amd/zen2", a
 * repository id, an accelerator): 1-255 of [A-Za-z0-9._+:/-]. */
int names_valid_target(const char *s);

/* 1 if s is a target's key (its row's identity in a status document):
 * 1-511 of the target's bytes. */
int names_valid_target_key(const char *s);

/* The Slurm job id of the n bytes at s: 1-10 decimal digits, no leading
 * zero (one spelling per id: it names files), 1..NAMES_JOBID_MAX.  The one
 * rule for a job id wherever one is read (sbatch's answer, squeue and
 * sacct, -j, records' file names, the manager's index).  0 with *out, or
 * -1. */
int names_jobid(const char *s, size_t n, long long *out);

/* Writes the n bytes at s to out (size bytes, NUL-terminated) as they may
 * be shown in a message or a log line: at most max of them, every byte
 * outside printable ASCII as '?', and "..." when cut. */
void names_shown(char *out, size_t size, const char *s, size_t n, size_t max);

/* The same for a word of a PR comment shown back inside a markdown code
 * span (`WORD`): blanks and backticks too as '?'. */
void names_shown_word(char *out, size_t size, const char *s, size_t n,
		      size_t max);

/* 1 if c is an ASCII letter or digit. */
int names_alnum(int c);

/* 1 if every byte of s is an ASCII letter or digit or one of extra, and
 * its length is in [min, max] (strchr: extra's NUL never matches, as the
 * loop stops at s's). */
int names_charset(const char *s, const char *extra, size_t min, size_t max);

#endif
