/* event.h - a webhook payload as the handlers see it: the few fields they
 * decide on, taken out of GitHub's JSON once and validated, so no handler
 * walks the JSON itself or uses a value it has not checked.
 *
 * Strings point into the parsed JSON (ev->root) and live as long as it;
 * a field absent from the payload is "" (strings) or 0 (numbers).  Every
 * string that may later reach a path, a URL or a comment is checked here:
 * repository names, logins, action and label names; a payload with such a
 * field malformed is refused as a whole.
 */
#ifndef EESSI_EVENT_H
#define EESSI_EVENT_H

#include <stddef.h>

#include "err.h"

struct json_object;

struct event {
	const char *name;           /* X-GitHub-Event (borrowed from caller) */
	const char *delivery;       /* X-GitHub-Delivery (borrowed) */
	struct json_object *root;   /* the payload; owned */
	const char *action;         /* "" when the event has none */
	const char *repo;           /* repository.full_name ("owner/name") */
	long long installation;     /* installation.id */
	const char *sender;         /* sender.login */
	int sender_bot;             /* sender.type is "Bot" */
	long long issue;            /* issue or pull request number */
	int is_pr;                  /* the issue is a pull request */
	int closed;                 /* its state is "closed" (pull_request.state
				     * or issue.state; merged PRs are closed) */
	const char *label;          /* label.name (labeled/unlabeled) */
	/* pull_request events */
	const char *head_sha;       /* pull_request.head.sha (a SHA, or "") */
	const char *base_ref;       /* pull_request.base.ref: NOT checked
				     * beyond 255 bytes without control
				     * characters; a build checks it with
				     * names_valid_ref() and answers in the PR */
	/* issue_comment */
	long long comment_id;
	const char *comment_body;
	const char *comment_user;   /* comment.user.login */
	int comment_bot;            /* comment.user.type is "Bot" */
	long long comment_app;      /* comment.performed_via_github_app.id */
	const char *comment_created;/* comment.created_at */
};

#define EVENT_MAX_COMMENT 65536 /* GitHub's limit on a comment body */

/* Parses the payload of one delivery.  name and delivery are kept as
 * pointers.  ERR_INVAL naming the field on a malformed payload. */
int event_parse(const char *name, const char *delivery, const char *body,
		size_t len, struct event *ev, struct err *e);

/* Frees what event_parse() made; ev may be zeroed or already released. */
void event_release(struct event *ev);

#endif
