/* github.h - the GitHub App adapter: App authentication and the few REST
 * calls the bot makes.
 *
 * Authentication: an RS256 JWT (lib/appjwt) made from github.app_id and the
 * github.private_key file buys an installation token per installation
 * (POST /app/installations/{id}/access_tokens).  Tokens are cached on disk
 * in github.token_cache_dir (the directory 0700, one file per installation
 * 0600, written atomically: {"installation_id", "token", "expires_at"}), so
 * later processes reuse them; a token with less than 5 minutes left is
 * renewed.  A 401 answered to a request made with a token that was already
 * there (memory or disk) drops that token, fetches a new one and repeats
 * the request once.  Every token is registered with log_add_secret() and
 * none is ever logged.
 *
 * Every request: connect timeout 10 s, total 30 s; Accept:
 * application/vnd.github+json, X-GitHub-Api-Version: 2022-11-28, User-Agent:
 * eessi-bot/<version> (<app_name>).  5xx answers, transport errors and rate
 * limits are retried as httpc_retry_delay() (lib/adapters/httpc.h) decides: at most
 * 4 attempts, 1 s / 2 s / 4 s apart for 5xx, Retry-After or
 * x-ratelimit-reset honoured, a wait of more than 60 s refused (the error
 * names it).  When the retries run out on one of those, the error is
 * ERR_AGAIN (GitHub is out of reach for now: lib/flows/consume.c tries the
 * delivery again later).  Except for a POST that creates (github_request() with POST,
 * github_comment_create()): it may have taken effect when a 5xx comes back
 * or the connection breaks or times out once the request has left, so it is
 * not repeated; the error is ERR_UNSURE and the caller looks before posting
 * again (lib/flows/route.h, delivery_comment_once()).  A refused connection (nothing
 * sent) and a rate limit (GitHub did nothing) are retried as above; so is a
 * reaction (github_reaction_add(): GitHub answers 200 for one that exists).
 * Each call is logged at debug level as "GET /path -> 200 (12 ms)".
 *
 * Repository arguments are checked with github_valid_repo() before they
 * reach a URL; numbers must be > 0; nothing is sent for a refused argument.
 */
#ifndef EESSI_GITHUB_H
#define EESSI_GITHUB_H

#include "err.h"

struct json_object;
struct conf;
struct github; /* opaque */

struct github_counts {
	unsigned calls;         /* HTTP requests sent (every attempt, token
				 * fetches included) */
	unsigned retries;       /* requests that repeated an earlier one (after
				 * a 5xx, a transport error, a rate limit, or a
				 * 401 with a stale token) */
	unsigned token_fetches; /* installation tokens asked for */
};

/* Opens a client from the configuration: github.api_url, app_id,
 * private_key (the file is read once, here: refused with a clear error if
 * missing, not a regular file, empty, larger than 64 KiB or readable or
 * writable by group or others; its bytes are wiped by github_free()),
 * installation_id (the default installation), token_cache_dir (created
 * 0700 when missing; made 0700 if it is ours and open to others; refused
 * when owned by someone else).  Nothing is fetched yet. */
int github_open(const struct conf *c, struct github **out, struct err *e);
void github_free(struct github *gh);

/* The installation later calls act as: id > 0 (from the event), or 0 = the
 * configured installation_id. */
void github_set_installation(struct github *gh, long long id);

/* One REST call.  method: GET, POST, PATCH, PUT or DELETE.  path starts
 * with '/', already escaped (no spaces or control characters).  body
 * borrowed, may be NULL.  On a 2xx: 0, *status set, *out = parsed JSON
 * (NULL for an empty body; caller json_object_put()s; out may be NULL).
 * Otherwise -1 with e like "POST /repos/o/r/issues/1/comments: 404 Not
 * Found: <GitHub's message>" and *status (0 when no HTTP answer).  status
 * may be NULL. */
int github_request(struct github *gh, const char *method, const char *path,
		   struct json_object *body, struct json_object **out,
		   int *status, struct err *e);

/* POST /repos/{repo}/issues/{issue}/comments; *comment_id (may be NULL)
 * gets the new comment's id.  body: at most 65536 characters. */
int github_comment_create(struct github *gh, const char *repo,
			  long long issue, const char *body,
			  long long *comment_id, struct err *e);

/* PATCH /repos/{repo}/issues/comments/{comment_id}. */
int github_comment_edit(struct github *gh, const char *repo,
			long long comment_id, const char *body, struct err *e);

/* Page `page` (1, 2, ...; 100 comments each) of an issue's comments
 * created/updated at or after `since` (ISO 8601 "2026-11-24T01:02:03Z");
 * *list is a json array the caller puts.  Used only when recovering after
 * a crash. */
int github_comments_since(struct github *gh, const char *repo,
			  long long issue, const char *since, int page,
			  struct json_object **list, struct err *e);

/* content: +1 -1 laugh confused heart hooray rocket eyes.  Adding an
 * existing reaction is fine (GitHub answers 200). */
int github_reaction_add(struct github *gh, const char *repo,
			long long comment_id, const char *content,
			struct err *e);

/* The collaborator permission of login on repo: writes "admin"/"write"/
 * "read"/"none" into level.  login: a GitHub login (1-39 letters, digits
 * or '-', optionally followed by "[bot]"). */
int github_permission(struct github *gh, const char *repo, const char *login,
		      char level[16], struct err *e);

/* What the bot needs of a pull request (GET /repos/{repo}/pulls/{n}). */
struct github_pull {
	char head_sha[65]; /* 40 or 64 lowercase hex */
	char base_ref[256]; /* the base branch, as GitHub gives it (checked by
			     * the caller, who answers in the PR) */
	int open;          /* state is "open" */
};

/* Fetches a pull request.  -1 ERR_INVAL when the answer lacks a field or a
 * head SHA is not a SHA. */
int github_pull_get(struct github *gh, const char *repo, long long number,
		    struct github_pull *out, struct err *e);

void github_counts(const struct github *gh, struct github_counts *out);

/* The HTTP status of the last github_request() (and of the call made
 * through it): 0 when no answer came (transport error, refused argument
 * before sending, no token).  For callers that treat some answers apart
 * (a comment gone: 404). */
int github_last_status(const struct github *gh);

/* 1 if s is "owner/name" as GitHub allows (owner 1-39 of [A-Za-z0-9-], name
 * 1-100 of [A-Za-z0-9._-], not "." or ".."), else 0.  Every repo argument
 * above is checked with it before it reaches a URL. */
int github_valid_repo(const char *s);

/* 1 if s is a GitHub login as github_permission() accepts, else 0. */
int github_valid_login(const char *s);

/* Parses "YYYY-MM-DDTHH:MM:SSZ" (UTC, the form GitHub writes) into epoch
 * seconds.  0, or -1 if s is anything else. */
int github_parse_time(const char *s, long long *out);

/* The clock and the sleep the client uses (default: time() and
 * nanosleep()), replaceable for tests.  now() returns epoch seconds;
 * sleep_ms() waits that many milliseconds.  NULL members keep the
 * default. */
struct github_clock {
	long long (*now)(void *arg);
	void (*sleep_ms)(void *arg, long long ms);
	void *arg;
};
void github_set_clock(struct github *gh, const struct github_clock *clk);

#endif
