/* consume.c - the spool consumer: claims each waiting delivery, routes it,
 * files it under done/ or failed/, recovers what a dead consumer left
 * claimed.
 * Layer: flows (README, "Map of the code"). */
#include "consume.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "conf.h"
#include "effects.h"
#include "event.h"
#include "github.h"
#include "log.h"
#include "num.h"
#include "route.h"
#include "spool.h"
#include "webhook.h"
#include "xio.h"

#define ENTRY_CAP (WEBHOOK_MAX_BODY + (size_t)64 * 1024) /* body + headers */
#define SWEEP_AGE_S 600 /* a temporary file this old lost its writer */

/* Milliseconds since the entry was written (its mtime), for the log. */
static long long waited_ms(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -1;
	return clock_wall_ms() - ((long long)st.st_mtim.tv_sec * 1000 +
				  st.st_mtim.tv_nsec / 1000000);
}

/* The handling of a delivery met a transient failure (ERR_AGAIN; or
 * ERR_UNSURE: a call whose effect is unknown, which the next try looks
 * for before making it again).  Back to the queue with a growing delay: 1,
 * ctx->retry_at_ms set.  Tries used up: the PR is told (route_give_up())
 * and -1, the entry fails for good with e. */
static int again(struct delivery_ctx *ctx, const struct event *ev,
		 struct effects *fx, struct err *e)
{
	const struct conf_event_handler *h = &ctx->c->event_handler;
	struct buf v = BUF_INIT(32);
	struct err ge = ERR_INIT;
	long long tries = 0, delay;
	char num[32], why[sizeof(e->msg)];
	int rc;

	if (effects_get(fx, "retry.tries", &v))
		tries = num_or(v.s, 0);
	buf_release(&v);
	if (tries < h->retry_tries) {
		delay = h->retry_delay << (tries < 4 ? tries : 4);
		snprintf(num, sizeof(num), "%lld", tries + 1);
		if (effects_put(fx, "retry.tries", num, &ge) < 0) {
			log_error("journal: %s", ge.msg);
			return -1;
		}
		ctx->retry_at_ms = clock_wall_ms() + delay * 1000;
		log_warn("transient failure: %s", e->msg);
		delivery_note(ctx, "tried %lld time%s; trying again in %lld s "
			      "(%lld more at most)", tries + 1, tries ? "s" : "",
			      delay, h->retry_tries - tries);
		return 1;
	}
	snprintf(why, sizeof(why), "%s", e->msg);
	err_clear(e);
	err_set(e, ERR_AGAIN, "gave up after %lld tries: %s", tries + 1, why);
	ctx->retry_at_ms = 0;
	if ((rc = route_give_up(ctx, ev, tries + 1, &ge)) < 0)
		log_error("the PR could not be told: %s", ge.msg);
	if (rc == 1) /* a reply that may be in flight: look later */
		delivery_note(ctx, "giving up; the reply is looked for later");
	return rc == 1 ? 1 : -1;
}

/* Reads, parses and routes one claimed entry, its journal in fx.  -1: it
 * failed (reason in e); the caller files it.  1: it stays claimed for a
 * later run. */
static int handle(struct delivery_ctx *ctx, const char *dir, const char *id,
		  struct effects *fx, struct err *e)
{
	struct buf path = BUF_INIT(4096), text = BUF_INIT(ENTRY_CAP);
	struct spool_entry ent;
	struct event ev;
	int rc = -1;

	if (buf_addf(&path, "%s/claimed/%s", dir, id) < 0) {
		err_set(e, ERR_TOOBIG, "spool path too long");
		goto out_fx;
	}
	log_info("claimed after %lld ms", waited_ms(path.s));
	if (xio_read_file(path.s, &text, 1, e) < 0 ||
	    spool_parse_entry(text.s, text.len, &ent, e) < 0)
		goto out_fx;
	if (strcmp(ent.delivery, id) != 0) {
		err_set(e, ERR_INVAL, "entry names delivery %s", ent.delivery);
		goto out_fx;
	}
	if (event_parse(ent.event, ent.delivery, ent.body, ent.body_len, &ev, e) < 0)
		goto out_fx;
	ctx->fx = fx;
	ctx->retry_at_ms = 0;
	rc = route_dispatch(ctx, &ev, e);
	if (rc < 0 && (e->code == ERR_AGAIN || e->code == ERR_UNSURE))
		rc = again(ctx, &ev, fx, e);
	ctx->fx = NULL;
	if (rc == 1) {
		char at[32];

		snprintf(at, sizeof(at), "%lld", ctx->retry_at_ms);
		if (effects_put(fx, "retry.at", at, e) < 0)
			rc = -1;
	}
	if (rc == 1)
		log_info("%s", ctx->note);
	else if (rc == 0 && ev.issue)
		log_info("%s%s%s %s#%lld: %s", ev.name, *ev.action ? "/" : "",
			 ev.action, ev.repo, ev.issue, ctx->note);
	else if (rc == 0)
		log_info("%s%s%s%s%s: %s", ev.name, *ev.action ? "/" : "",
			 ev.action, *ev.repo ? " " : "", ev.repo, ctx->note);
	event_release(&ev);
out_fx:
	buf_release(&path);
	buf_release(&text);
	return rc;
}

/* Handles a claimed entry and files it under done/ or failed/. */
static int finish(struct delivery_ctx *ctx, const char *dir, const char *id,
		  struct consume_stats *st, struct err *fatal)
{
	struct err e = ERR_INIT;
	struct effects fx;
	int rc;

	log_set_context(id);
	rc = effects_open(&fx, dir, id, &e);
	if (rc == 0)
		rc = handle(ctx, dir, id, &fx, &e);
	if (rc == 1) {
		st->deferred++;
	} else if (rc == 0) {
		/* Done must be on disk before the journal goes: otherwise a
		 * crash could bring the entry back without its journal, and its
		 * effects would be made again.  An entry without effects (most
		 * events) needs no fsync: handled again, it does nothing again. */
		int journal = fx.text.len > 0;

		if (spool_move(dir, id, "claimed", "done", journal, fatal) < 0)
			goto fail;
		st->handled++;
		if (journal)
			(void)effects_remove(&fx, &e);
	} else {
		log_error("failed: %s", e.msg);
		if (spool_fail(dir, id, e.msg, fatal) < 0)
			goto fail;
		st->failed++;
	}
	effects_release(&fx);
	log_set_context(NULL);
	return 0;
fail:
	effects_release(&fx);
	log_set_context(NULL);
	return -1;
}

/* When an entry left for later (lib/flows/route.h) is due: 0 if it is not one. */
static long long retry_at(const char *dir, const char *id)
{
	struct buf v = BUF_INIT(64);
	struct err e = ERR_INIT;
	struct effects fx;
	long long at = 0;

	if (effects_open(&fx, dir, id, &e) == 0 && effects_get(&fx, "retry.at", &v))
		at = num_or(v.s, 0);
	effects_release(&fx);
	buf_release(&v);
	return at;
}

/* Entries in claimed/: ours now (we hold the lock).  Either a dead
 * consumer's, or left for later; those not due yet are skipped unless we
 * may wait (then the handler sleeps out the rest). */
static int recover(struct delivery_ctx *ctx, const char *dir,
		   struct consume_stats *st, struct err *e)
{
	char **ids;
	size_t n, i;
	int rc = 0;

	if (spool_list(dir, "claimed", &ids, &n, e) < 0)
		return -1;
	for (i = 0; i < n && rc == 0; i++) {
		long long at = retry_at(dir, ids[i]), now = clock_wall_ms();

		/* may_wait sleeps out a settling reply, not a retry's delay */
		if (at > now && (!ctx->may_wait || at - now > DELIVERY_SETTLE_MS)) {
			st->deferred++;
			continue;
		}
		if (at)
			log_info("delivery %s: its time has come, looking again", ids[i]);
		else
			log_warn("delivery %s was left claimed by a consumer that "
				 "died: handling it again", ids[i]);
		rc = finish(ctx, dir, ids[i], st, e);
		if (at)
			st->retried++;
		else
			st->recovered++;
	}
	spool_list_free(ids);
	return rc;
}

/* Claims and handles everything in incoming/; *seen: how many. */
static int drain(struct delivery_ctx *ctx, const char *dir,
		 struct consume_stats *st, size_t *seen, struct err *e)
{
	char **ids;
	size_t n, i;
	int rc = 0;

	if (spool_list(dir, "incoming", &ids, &n, e) < 0)
		return -1;
	*seen = n;
	for (i = 0; i < n && rc == 0; i++) {
		/* not durable: a claim lost in a crash leaves the entry in
		 * incoming/, to be claimed and handled again (idempotent) */
		int moved = spool_move(dir, ids[i], "incoming", "claimed", 0, e);

		if (moved < 0)
			rc = -1;
		else if (moved == 0)
			rc = finish(ctx, dir, ids[i], st, e);
	}
	spool_list_free(ids);
	return rc;
}

/* After letting go of the lock: is there something to take it back for? */
static int waiting(const char *dir, struct err *e)
{
	char **ids;
	size_t n;

	if (spool_list(dir, "incoming", &ids, &n, e) < 0)
		return -1;
	spool_list_free(ids);
	return n > 0;
}

/* A watch on incoming/ (set before the first look, so nothing written
 * after it is missed); -1 when inotify is not there (no lingering then). */
static int watch_incoming(const char *dir)
{
	struct buf p = BUF_INIT(4096);
	int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);

	if (fd >= 0 && (buf_addf(&p, "%s/incoming", dir) < 0 ||
			inotify_add_watch(fd, p.s, IN_CREATE | IN_MOVED_TO) < 0)) {
		log_warn("cannot watch %s/incoming: no lingering", dir);
		close(fd);
		fd = -1;
	}
	buf_release(&p);
	return fd;
}

/* Up to ms milliseconds for something to appear in incoming/: 1 if it did
 * (or may have: the events are drained, not read), 0 if not. */
static int linger(int wd, int ms)
{
	struct pollfd pfd = { wd, POLLIN, 0 };
	char events[4096];
	int n;

	if (wd < 0 || ms <= 0)
		return 0;
	do
		n = poll(&pfd, 1, ms);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return 0;
	while (read(wd, events, sizeof(events)) > 0)
		;
	return 1;
}

int consume_run(const struct conf *c, int may_wait, int linger_ms,
		struct consume_stats *st, struct err *e)
{
	const char *dir = c->event_handler.spool_dir;
	struct delivery_ctx ctx = { c, NULL, NULL, { 0 }, may_wait, 0 };
	int fd, rc = -1, swept, wd = -1;

	memset(st, 0, sizeof(*st));
	if ((fd = spool_lock_open(dir, e)) < 0)
		return -1;
	if ((rc = spool_lock_try(fd, e)) != 0)
		goto out;
	if (linger_ms > 0)
		wd = watch_incoming(dir);
	swept = spool_sweep(dir, SWEEP_AGE_S, e);
	if (swept < 0 || recover(&ctx, dir, st, e) < 0)
		goto fail;
	st->swept = (unsigned)swept;
	for (;;) {
		size_t seen;

		if (drain(&ctx, dir, st, &seen, e) < 0)
			goto fail;
		if (seen || linger(wd, linger_ms))
			continue;
		flock(fd, LOCK_UN);
		rc = waiting(dir, e);
		if (rc <= 0)
			break; /* drained (0) or error (-1) */
		if ((rc = spool_lock_try(fd, e)) != 0) {
			rc = rc == 1 ? 0 : -1; /* 1: the next holder sees it */
			break;
		}
	}
	goto out;
fail:
	rc = -1;
out:
	if (ctx.gh) {
		struct github_counts n;

		github_counts(ctx.gh, &n);
		log_info("github: %u calls (%u retries, %u token fetches)", n.calls,
			 n.retries, n.token_fetches);
	}
	delivery_ctx_release(&ctx);
	if (wd >= 0)
		close(wd);
	close(fd);
	return rc;
}
