/* delivery.c - what every handler of a delivery shares (below route and
 * build): the handling context, the note for the log line, the
 * GitHub client opened on first use, and the once-only comment - an
 * intent journalled before the post, the comment looked for by its marker
 * before any second post.
 * Layer: flows (README, "Map of the code"). */
#include "delivery.h"

#include <json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "clock.h"
#include "effects.h"
#include "event.h"
#include "github.h"
#include "log.h"
#include "num.h"

/* How far before the recorded intent a crashed run's reply is looked for:
 * GitHub's clock and ours may differ a little. */
#define RECOVERY_SLACK_S 300
#define RECOVERY_PAGES 20 /* of 100 comments each */

void delivery_note(struct delivery_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(ctx->note, sizeof(ctx->note), fmt, ap) < 0)
		ctx->note[0] = '\0';
	va_end(ap);
}

struct github *delivery_github(struct delivery_ctx *ctx, const struct event *ev,
			    struct err *e)
{
	if (!ctx->gh && github_open(ctx->c, &ctx->gh, e) < 0)
		return NULL;
	github_set_installation(ctx->gh, ev->installation);
	return ctx->gh;
}

/* An intent younger than DELIVERY_SETTLE_MS: its request may still be on its
 * way.  0: look now; 1: come back later (after sleeping if we may). */
int delivery_settle(struct delivery_ctx *ctx, long long intent_ms)
{
	long long left = intent_ms + DELIVERY_SETTLE_MS - clock_wall_ms();
	struct timespec ts;

	if (left <= 0)
		return 0;
	if (!ctx->may_wait) {
		delivery_note(ctx, "a reply may still be on its way: looking again later");
		ctx->retry_at_ms = intent_ms + DELIVERY_SETTLE_MS;
		return 1;
	}
	log_info("waiting %lld ms for a reply that may still be on its way", left);
	ts.tv_sec = (time_t)(left / 1000);
	ts.tv_nsec = (long)(left % 1000) * 1000000;
	while (nanosleep(&ts, &ts) < 0)
		;
	return 0;
}

static void iso_time(time_t t, char out[32])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	if (strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		out[0] = '\0';
}

/* The id of the comment in list whose body starts with marker, or 0. */
static long long marked(struct json_object *list, const struct buf *marker)
{
	size_t i;

	for (i = 0; i < json_object_array_length(list); i++) {
		struct json_object *c = json_object_array_get_idx(list, i), *b, *n;

		if (json_object_object_get_ex(c, "body", &b) &&
		    json_object_is_type(b, json_type_string) &&
		    strncmp(json_object_get_string(b), marker->s, marker->len) == 0 &&
		    json_object_object_get_ex(c, "id", &n))
			return (long long)json_object_get_int64(n);
	}
	return 0;
}

/* After a crash between the intent and the record: was the comment made?
 * Looks for its marker (first line) among the comments since the intent,
 * page by page (a busy pull request may have more than a page of them). */
static int find_comment(struct delivery_ctx *ctx, const struct event *ev,
			const char *intent, const char *body, long long *id,
			struct err *e)
{
	struct buf marker = BUF_INIT(512);
	char since[32];
	int page, rc = -1;

	*id = 0;
	iso_time((time_t)(num_or(intent, 0) / 1000 - RECOVERY_SLACK_S), since);
	if (buf_add(&marker, body, strcspn(body, "\n") + (strchr(body, '\n') != NULL)) < 0) {
		err_set(e, ERR_TOOBIG, "comment marker too long");
		goto out;
	}
	for (page = 1; page <= RECOVERY_PAGES && !*id; page++) {
		struct json_object *list = NULL;
		size_t n;

		if (github_comments_since(ctx->gh, ev->repo, ev->issue, since, page,
					  &list, e) < 0)
			goto out;
		*id = marked(list, &marker);
		n = json_object_array_length(list);
		json_object_put(list);
		if (n < 100)
			break; /* the last page */
	}
	rc = 0;
out:
	buf_release(&marker);
	return rc;
}

/* How often a comment is posted when GitHub never says whether the post
 * took effect (each time looked for first): then the entry fails. */
#define COMMENT_TRIES 3

int delivery_comment_once(struct delivery_ctx *ctx, const struct event *ev,
		       const char *key, const char *body, long long *id,
		       struct err *e)
{
	struct buf v = BUF_INIT(128), intent = BUF_INIT(EFFECTS_KEY_MAX + 16);
	char num[32];
	int rc = -1, tries;

	*id = 0;
	if (buf_addf(&intent, "%s.intent", key) < 0) {
		err_set(e, ERR_TOOBIG, "effect key too long");
		goto out;
	}
	if (effects_get(ctx->fx, key, &v)) {
		*id = num_or(v.s, 0);
		rc = 0;
		goto out;
	}
	for (tries = 0;; tries++) {
		/* an intent without its result: a run that died, or a post
		 * whose answer was lost - look before posting (again) */
		if (effects_get(ctx->fx, intent.s, &v)) {
			if ((rc = delivery_settle(ctx, num_or(v.s, 0))) != 0)
				goto out;
			rc = -1;
			if (find_comment(ctx, ev, v.s, body, id, e) < 0)
				goto out;
			if (*id) {
				log_info("%s comment %lld found: made by an "
					 "earlier attempt", key, *id);
				break;
			}
		}
		if (tries == COMMENT_TRIES) {
			err_set(e, ERR_UNSURE, "%s comment: posted %d times, "
				"never answered, and not found", key, tries);
			goto out;
		}
		snprintf(num, sizeof(num), "%lld", clock_wall_ms());
		if (effects_put(ctx->fx, intent.s, num, e) < 0)
			goto out;
		if (github_comment_create(ctx->gh, ev->repo, ev->issue, body, id,
					  e) == 0)
			break;
		if (e->code != ERR_UNSURE)
			goto out;
		log_warn("%s comment: %s; looking for it before posting again",
			 key, e->msg);
		err_clear(e);
	}
	snprintf(num, sizeof(num), "%lld", *id);
	rc = effects_put(ctx->fx, key, num, e);
out:
	buf_release(&v);
	buf_release(&intent);
	return rc;
}

void delivery_ctx_release(struct delivery_ctx *ctx)
{
	github_free(ctx->gh);
	ctx->gh = NULL;
}
