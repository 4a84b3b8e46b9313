/* names.h - the shapes of names that come from GitHub and may reach a path,
 * a URL, an argv or a comment: each is checked against what GitHub itself
 * allows before it is used anywhere.
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

/* 1 if c is an ASCII letter or digit. */
int names_alnum(int c);

/* 1 if every byte of s is an ASCII letter or digit or one of extra, and
 * its length is in [min, max] (strchr: extra's NUL never matches, as the
 * loop stops at s's). */
int names_charset(const char *s, const char *extra, size_t min, size_t max);

#endif
