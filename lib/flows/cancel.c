/* cancel.c - `bot: cancel`: one scancel for the pull request's jobs that
 * are not over, each marked with who asked (see cancel.h).
 * Layer: flows (README, "Map of the code"). */
#include "cancel.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "effects.h"
#include "event.h"
#include "log.h"
#include "names.h"
#include "report.h"
#include "slurmq.h"
#include "xio.h"

#define FX_KEY "scancel"

/* What a cancel does with the PR's jobs. */
struct pick {
	long long *go;      /* to cancel */
	size_t ngo;
	long long *over;    /* named, left alone */
	size_t nover;
	long long *foreign; /* job:ID not of this PR (or instance) */
	size_t nforeign;
};

static int marker(struct buf *p, const char *dir, long long id)
{
	buf_clear(p);
	return id ? buf_addf(p, "%s/" CANCEL_DIR "/%lld", dir, id)
		  : buf_addf(p, "%s/" CANCEL_DIR, dir);
}

/* 1 if text is a note the bot writes: "cancelled by LOGIN", "cancelled:
 * the pull request was merged|closed", "superseded by SHA" (12 hex) - a
 * row never says what a file made up. */
static int note_ok(const char *text)
{
	return (strncmp(text, "cancelled by ", 13) == 0 &&
		names_valid_login(text + 13)) ||
	       strcmp(text, "cancelled: the pull request was merged") == 0 ||
	       strcmp(text, "cancelled: the pull request was closed") == 0 ||
	       (strncmp(text, "superseded by ", 14) == 0 &&
		strlen(text + 14) == 12 && strspn(text + 14, "0123456789abcdef") == 12);
}

int cancel_note(const char *job_ids_dir, long long id, char *out, size_t size)
{
	struct buf p = BUF_INIT(8192), text = BUF_INIT(512);
	struct err e = ERR_INIT;
	int found = 0;

	if (marker(&p, job_ids_dir, id) == 0 &&
	    xio_read_file(p.s, &text, 1, &e) == 0) {
		text.s[strcspn(text.s, "\n")] = '\0';
		if (names_valid_login(text.s)) { /* a marker of an earlier version */
			snprintf(out, size, "cancelled by %s", text.s);
			found = 1;
		} else if (note_ok(text.s)) {
			snprintf(out, size, "%s", text.s);
			found = 1;
		}
	}
	buf_release(&p);
	buf_release(&text);
	return found;
}

void cancel_forget(const char *job_ids_dir, long long id)
{
	struct buf p = BUF_INIT(8192);

	if (marker(&p, job_ids_dir, id) == 0 && unlink(p.s) < 0 && errno != ENOENT)
		log_warn("%s: %s", p.s, strerror(errno));
	buf_release(&p);
}

static const struct report_job *find(const struct report_job *jobs, size_t n,
				     long long id)
{
	for (size_t i = 0; i < n; i++)
		if (jobs[i].id == id)
			return &jobs[i];
	return NULL;
}

/* 1 if another job of key is live, or a later one of it is over. */
static int shadowed(const struct report_job *jobs, size_t n, size_t i)
{
	for (size_t k = 0; k < n; k++)
		if (k != i && strcmp(jobs[k].key, jobs[i].key) == 0 &&
		    (!jobs[k].over || jobs[k].id > jobs[i].id))
			return 1;
	return 0;
}

/* The jobs a asks for, sorted into pk (arrays of n each). */
static void choose(const struct cancel_ask *a, const struct report_job *jobs,
		   size_t n, struct pick *pk)
{
	if (a->nids) {
		for (size_t i = 0; i < a->nids; i++) {
			const struct report_job *j = find(jobs, n, a->ids[i]);

			if (!j)
				pk->foreign[pk->nforeign++] = a->ids[i];
			else if (j->over)
				pk->over[pk->nover++] = j->id;
			else if (pk->ngo < CANCEL_JOBS_MAX)
				pk->go[pk->ngo++] = j->id;
		}
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (!jobs[i].over) {
			if (pk->ngo < CANCEL_JOBS_MAX)
				pk->go[pk->ngo++] = jobs[i].id;
		} else if (!shadowed(jobs, n, i)) {
			pk->over[pk->nover++] = jobs[i].id; /* a target's last word */
		}
	}
}

static int list(struct buf *out, const long long *ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (buf_addf(out, "%s%lld", i ? ", " : "", ids[i]) < 0)
			return -1;
	return 0;
}

/* Markers (note) for jobs ids[0..n): 0, or -1 e. */
static int mark(const char *dir, const long long *ids, size_t n,
		const char *note, struct err *e)
{
	struct buf p = BUF_INIT(8192), line = BUF_INIT(512);
	int rc = -1;

	if (marker(&p, dir, 0) < 0 || xio_mkdir_p(p.s, 0755, e) < 0 ||
	    buf_addf(&line, "%s\n", note) < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (marker(&p, dir, ids[i]) < 0 ||
		    xio_write_atomic(p.s, line.s, line.len, 0644, e) < 0)
			goto out;
	rc = 0;
out:
	if (rc < 0 && !e->msg[0])
		err_set(e, ERR_TOOBIG, "job_ids_dir path too long");
	buf_release(&p);
	buf_release(&line);
	return rc;
}

int cancel_jobs(const struct conf *c, const long long *ids, size_t n,
		const char *note, int *ran, struct err *e)
{
	const char *dir = c->job_manager.job_ids_dir;

	*ran = 0;
	if (mark(dir, ids, n, note, e) < 0 ||
	    slurmq_cancel(c->job_manager.scancel_command, ids, n, ran, e) < 0) {
		if (!*ran)
			for (size_t i = 0; i < n; i++)
				cancel_forget(dir, ids[i]);
		return -1;
	}
	return 0;
}

/* The one scancel, journalled; what happened appended to reply. */
static int scancel_once(struct delivery_ctx *ctx, const char *user,
			const struct pick *pk, struct buf *reply)
{
	struct buf done = BUF_INIT(64);
	struct err e = ERR_INIT, je = ERR_INIT;
	char count[24], note[96];
	int ran = 0, rc;

	if (effects_get(ctx->fx, FX_KEY, &done)) {
		rc = buf_addf(reply, "Slurm was asked to cancel %s jobs of this pull "
			      "request already", done.s);
		buf_release(&done);
		return rc;
	}
	buf_release(&done);
	snprintf(note, sizeof(note), "cancelled by %s", user);
	if (cancel_jobs(ctx->c, pk->go, pk->ngo, note, &ran, &e) < 0) {
		log_error("bot: cancel: %s", e.msg);
		if (!ran) {
			return buf_addf(reply, "Nothing was cancelled: %s (the bot's "
					"log says why)", e.code == ERR_AGAIN ?
					"Slurm's controller could not be reached; "
					"ask again later" : e.code == ERR_CHILD ||
					e.code == ERR_TIMEOUT ? "Slurm's scancel failed"
					: "the cancel could not be prepared");
		}
	}
	snprintf(count, sizeof(count), "%zu", pk->ngo);
	if (effects_put(ctx->fx, FX_KEY, count, &je) < 0)
		log_error("bot: cancel: journal: %s", je.msg);
	if (buf_addf(reply, "Cancelled %zu job%s of this pull request: ", pk->ngo,
		     pk->ngo == 1 ? "" : "s") < 0 || list(reply, pk->go, pk->ngo) < 0 ||
	    buf_addf(reply, " (each row will say \"cancelled by %s\" once the "
		     "manager sees it)", user) < 0)
		return -1;
	if (e.msg[0])
		return buf_adds(reply, "; scancel complained, see the bot's log");
	return 0;
}

static int answer(struct delivery_ctx *ctx, const char *user,
		  const struct pick *pk, struct buf *reply)
{
	if (pk->ngo) {
		if (scancel_once(ctx, user, pk, reply) < 0)
			return -1;
	} else if (buf_addf(reply, "Nothing to cancel: no job of this pull "
			    "request is pending or running on instance `%s`",
			    ctx->c->github.app_name) < 0) {
		return -1;
	}
	if (pk->nover && (buf_adds(reply, ". Over already, left alone: ") < 0 ||
			  list(reply, pk->over, pk->nover) < 0))
		return -1;
	if (pk->nforeign && (buf_adds(reply, ". Not a job of this pull request "
				      "here: ") < 0 ||
			     list(reply, pk->foreign, pk->nforeign) < 0))
		return -1;
	return buf_adds(reply, ".\n\n");
}

int cancel_run(struct delivery_ctx *ctx, const struct event *ev,
	       const char *user, const struct cancel_ask *a, struct buf *reply)
{
	struct report_job *jobs = NULL;
	struct pick pk;
	struct err e = ERR_INIT;
	size_t n = 0, room;
	int rc = -1;

	memset(&pk, 0, sizeof(pk));
	if (report_jobs(ctx->c, ev->repo, ev->issue, a->nids ? NULL : a->keys,
			a->nids ? 0 : a->nkeys, &jobs, &n, &e) < 0) {
		log_error("bot: cancel: %s", e.msg);
		rc = buf_adds(reply, "Nothing was cancelled: the bot's records could "
			      "not be read (its log says why).\n\n");
		goto out;
	}
	room = n + a->nids + 1;
	if (!(pk.go = calloc(room, sizeof(*pk.go))) ||
	    !(pk.over = calloc(room, sizeof(*pk.over))) ||
	    !(pk.foreign = calloc(room, sizeof(*pk.foreign))))
		goto out;
	choose(a, jobs, n, &pk);
	rc = answer(ctx, user, &pk, reply);
	delivery_note(ctx, "cancel: %zu jobs, %zu over, %zu not this PR's",
		      pk.ngo, pk.nover, pk.nforeign);
out:
	free(pk.go);
	free(pk.over);
	free(pk.foreign);
	free(jobs);
	return rc;
}
