/* manager.c - one manager iteration (see manager.h).
 * Layer: flows (README, "Map of the code"). */
#include "manager.h"

#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cancel.h"
#include "clock.h"
#include "conf.h"
#include "github.h"
#include "jobrec.h"
#include "jobstate.h"
#include "lifecycle.h"
#include "log.h"
#include "manager_int.h"
#include "mindex.h"
#include "names.h"
#include "retention.h"
#include "num.h"
#include "result.h"
#include "xio.h"

#define LOCK_NAME "manager.lock"
#define RECORD_CAP ((size_t)64 * 1024)
#define BODY_CAP ((size_t)64 * 1024)

static int row_over(const struct cdoc_row *row)
{
	return jobstate_over(jobstate_of(row->state));
}

void manager_fail(struct iter *it, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("%s", msg);
	err_set(&it->first, ERR_INVAL, "%s", msg);
	it->failed = 1;
}

static int wanted(const struct manager_opts *o, long long id)
{
	if (!o || !o->only)
		return 1;
	for (size_t i = 0; i < o->nonly; i++)
		if (o->only[i] == id)
			return 1;
	return 0;
}

int manager_path(struct iter *it, const char *fmt, ...)
{
	va_list ap;
	int rc;

	buf_clear(&it->path);
	va_start(ap, fmt);
	rc = buf_vaddf(&it->path, fmt, ap);
	va_end(ap);
	return rc;
}

static struct comment *comment_get(struct iter *it, long long id, size_t *ci)
{
	for (size_t i = 0; i < it->ncm; i++)
		if (it->cm[i].id == id) {
			*ci = i;
			return &it->cm[i];
		}
	if (it->ncm == it->capcm) {
		size_t cap = it->capcm ? it->capcm * 2 : 16;
		struct comment *n = realloc(it->cm, cap * sizeof(*n));

		if (!n)
			return NULL;
		it->cm = n;
		it->capcm = cap;
	}
	memset(&it->cm[it->ncm], 0, sizeof(it->cm[0]));
	it->cm[it->ncm].id = id;
	*ci = it->ncm;
	return &it->cm[it->ncm++];
}

/* A document made from a record, when the comment has none. */
static int doc_from_record(struct comment *cm, const struct jobrec *r)
{
	struct cdoc *d = &cm->doc;

	cdoc_release(d);
	d->comment_id = r->pr_comment_id;
	d->pr_number = r->pr_number;
	snprintf(d->repo, sizeof(d->repo), "%s", r->repo);
	snprintf(d->instance, sizeof(d->instance), "%s", r->instance);
	snprintf(d->delivery, sizeof(d->delivery), "%s", r->delivery);
	snprintf(d->requested_by, sizeof(d->requested_by), "%s", r->requested_by);
	snprintf(d->head_sha, sizeof(d->head_sha), "%s", r->head_sha);
	snprintf(d->base_ref, sizeof(d->base_ref), "%s", r->base_ref);
	snprintf(d->base_sha, sizeof(d->base_sha), "%s", r->base_sha);
	cm->loaded = 1;
	cm->dirty = 1;
	cm->changed = 1; /* the comment shows what the document says */
	return 0;
}

/* The row of record r in its comment's document (made when missing). */
/* A new row for record r: its target named as target_names() names it
 * (cut if it must be), its job and state. */
static void row_from_record(struct cdoc_row *row, const struct jobrec *r)
{
	struct buf name = BUF_INIT(sizeof(row->target) - 1);

	if (buf_addf(&name, "%s%s%s%s%s%s", r->target,
		     *r->accelerator ? " (" : "", r->accelerator,
		     *r->accelerator ? ")" : "", *r->repo_id ? " for " : "",
		     r->repo_id) < 0)
		buf_adds(&name, r->target);
	memcpy(row->target, name.s, name.len + 1);
	buf_release(&name);
	snprintf(row->key, sizeof(row->key), "%s", r->target_key);
	row->job_id = r->job_id;
	snprintf(row->state, sizeof(row->state), "%s", r->state);
	row->changed_at = r->changed_at;
}

/* The last row of the target with this key, or NULL. */
static struct cdoc_row *last_of_key(struct cdoc *d, const char *key)
{
	for (size_t i = d->n; i-- > 0;)
		if (strcmp(d->rows[i].key, key) == 0)
			return &d->rows[i];
	return NULL;
}

static int row_for(struct comment *cm, const struct jobrec *r, size_t *ri)
{
	struct cdoc *d = &cm->doc;
	struct cdoc_row *row = cdoc_row_by_job(d, r->job_id);
	struct cdoc_row *same = row ? NULL : last_of_key(d, r->target_key);

	/* A row of the target with an earlier job that is not over: the
	 * build died and submitted this target again - the job of the record
	 * is the one Slurm runs.  Otherwise (that job is over: a later
	 * attempt, eessi-bot-resubmit; or an older record) a row of its own. */
	if (same && !row_over(same) && r->job_id > same->job_id) {
		row = same;
		log_warn("comment %lld: row %s had job %lld, now %lld", cm->id,
			 row->target, row->job_id, r->job_id);
		row->job_id = r->job_id;
		snprintf(row->state, sizeof(row->state), "%s", r->state);
		cdoc_set_note(row, NULL);
		cm->changed = cm->dirty = 1;
	}
	if (!row) {
		if (!(row = cdoc_add_row(d)))
			return -1;
		row_from_record(row, r);
		cm->changed = cm->dirty = 1;
	}
	*ri = (size_t)(row - d->rows);
	return 0;
}

static int job_add(struct iter *it, long long id, const char *dir, size_t ci,
		   size_t ri)
{
	struct job *j;

	if (it->njobs == it->capjobs) {
		size_t cap = it->capjobs ? it->capjobs * 2 : 64;
		struct job *n = realloc(it->jobs, cap * sizeof(*n));

		if (!n)
			return -1;
		it->jobs = n;
		it->capjobs = cap;
	}
	j = &it->jobs[it->njobs];
	memset(j, 0, sizeof(*j));
	j->id = id;
	j->ci = ci;
	j->ri = ri;
	if (!(j->dir = strdup(dir)))
		return -1;
	it->njobs++;
	return 0;
}

/* A record's file name is its job id, spelt as names_jobid() reads it. */
static int name_is_id(const char *name, long long *id)
{
	return names_jobid(name, strlen(name), id) == 0;
}

/* The fast way: a record read in an earlier iteration, whose row its
 * comment's document (loaded once) holds.  1 taken, 0 read the record. */
static int take_indexed(struct iter *it, struct mindex_ent *x)
{
	const char *dir = it->c->job_manager.job_ids_dir;
	struct err e = ERR_INIT;
	struct cdoc_row *row;
	struct comment *cm;
	size_t ci;

	if (!(cm = comment_get(it, x->cid, &ci)))
		return 0;
	if (!cm->loaded) {
		if (cdoc_load(dir, cm->id, &cm->doc, &e) != 0) {
			cdoc_release(&cm->doc);
			return 0;
		}
		cm->loaded = 1;
	}
	if (!(row = cdoc_row_by_job(&cm->doc, x->id)))
		return 0;
	if (job_add(it, x->id, x->dir, ci, (size_t)(row - cm->doc.rows)) < 0) {
		manager_fail(it, "job %lld: out of memory", x->id);
		return 1;
	}
	it->st->jobs++;
	return 1;
}

static void finished_rows(struct iter *it, struct comment *cm);

/* submitted/NAME read and checked as the record of job id: 0, or -1 when
 * it is set aside (or gone meanwhile: *gone). */
static int read_record(struct iter *it, const char *name, long long id,
		       struct jobrec *r)
{
	struct err e = ERR_INIT;
	char why[600];

	if (manager_path(it, "%s/submitted/%s", it->c->job_manager.job_ids_dir, name) < 0 ||
	    xio_read_file(it->path.s, &it->text, 1, &e) < 0) {
		if (e.code == ERR_SYS && errno == ENOENT)
			return -1; /* moved meanwhile */
		snprintf(why, sizeof(why), "unreadable: %s", e.msg[0] ? e.msg : "path too long");
	} else if (jobrec_parse(it->text.s, it->text.len, r, &e) < 0) {
		snprintf(why, sizeof(why), "not a job record: %s", e.msg);
	} else if (r->job_id != id) {
		snprintf(why, sizeof(why), "the record is of job %lld", r->job_id);
	} else {
		return 0;
	}
	manager_set_aside(it, name, why);
	return -1;
}

/* The document of r's comment, loaded once; made again from the records
 * (all of them: finished/ too) when it is missing, damaged or another's. */
static void comment_doc(struct iter *it, struct comment *cm, const struct jobrec *r)
{
	struct err e = ERR_INIT;
	int rc;

	if (cm->loaded)
		return;
	rc = cdoc_load(it->c->job_manager.job_ids_dir, cm->id, &cm->doc, &e);
	if (rc == 0) {
		cm->loaded = 1;
		if (cm->doc.comment_id == cm->id && strcmp(cm->doc.repo, r->repo) == 0)
			return;
		log_error("comment %lld: its document is of comment %lld in %s; "
			  "made again from the records", cm->id,
			  cm->doc.comment_id, cm->doc.repo);
	} else if (rc < 0) {
		log_error("comment %lld: %s; made again from the records", cm->id,
			  e.msg);
	} else {
		log_warn("comment %lld: no document; made from the records (rows "
			 "without a job are not shown)", cm->id);
	}
	doc_from_record(cm, r);
	finished_rows(it, cm);
}

/* One record: parsed, tied to its comment's row. */
static void take_record(struct iter *it, const char *name, struct jobrec *r)
{
	struct comment *cm;
	struct mindex_ent *x;
	long long id;
	size_t ci, ri;

	if (!name_is_id(name, &id)) {
		manager_set_aside(it, name, "the file name is not a job id");
		return;
	}
	if ((x = mindex_find(&it->ix, id)))
		x->present = 1;
	if (!wanted(it->o, id) || (x && take_indexed(it, x)) ||
	    read_record(it, name, id, r) < 0)
		return;
	if (strcmp(r->instance, it->c->github.app_name) != 0) {
		log_debug("job %lld: a record of instance %s, not ours; skipped",
			  id, r->instance);
		return;
	}
	if (!(cm = comment_get(it, r->pr_comment_id, &ci))) {
		manager_fail(it, "job %lld: out of memory", id);
		return;
	}
	comment_doc(it, cm, r);
	if (row_for(cm, r, &ri) < 0 || job_add(it, id, r->job_dir, ci, ri) < 0 ||
	    (!x && !mindex_put(&it->ix, id, r->pr_comment_id, r->job_dir,
			       strlen(r->job_dir)))) {
		manager_fail(it, "job %lld: out of memory", id);
		return;
	}
	it->st->jobs++;
}

static int cmp_id(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

static int cmp_sq(const void *a, const void *b)
{
	long long x = ((const struct slurmq_job *)a)->id;
	long long y = ((const struct slurmq_job *)b)->id;

	return (x > y) - (x < y);
}

static const struct slurmq_job *find(const struct slurmq_job *v, size_t n,
				     long long id)
{
	struct slurmq_job key = { .id = id };

	if (!n)
		return NULL;
	return bsearch(&key, v, n, sizeof(*v), cmp_sq);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in submitted/ (sorted; temporary files of dead writers swept),
 * into *names (n of them; the caller frees).  0; 1 when there is no
 * submitted/; -1 (failed). */
static int list_submitted(struct iter *it, char ***names, size_t *n)
{
	struct dirent *de;
	size_t cap = 0;
	DIR *d;

	*names = NULL;
	*n = 0;
	if (manager_path(it, "%s/submitted", it->c->job_manager.job_ids_dir) < 0)
		return -1;
	if (!(d = opendir(it->path.s))) {
		if (errno == ENOENT)
			return 1;
		manager_fail(it, "%s: %s", it->path.s, strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || manager_temp_file(it, dirfd(d), de->d_name))
			continue; /* ., .., a writer's temporary file */
		if (*n == cap) {
			char **nn;

			cap = cap ? cap * 2 : 256;
			if (!(nn = realloc(*names, cap * sizeof(*nn))))
				break;
			*names = nn;
		}
		if (!((*names)[*n] = strdup(de->d_name)))
			break;
		(*n)++;
	}
	closedir(d);
	if (de) {
		manager_fail(it, "listing records: out of memory");
		return -1;
	}
	if (*n)
		qsort(*names, *n, sizeof(**names), cmp_name);
	return 0;
}

/* Slurm first, while the heap is small: the fork for squeue costs less,
 * and so do the copy-on-write faults after it.  A record written
 * meanwhile is missed by this squeue: quietly noted, seen next time.  No
 * call when none of names is a job to follow.  0, or -1 (failed). */
static int poll_slurm(struct iter *it, char *const *names, size_t n)
{
	struct err e = ERR_INIT;

	for (size_t i = 0; i < n && !it->polled; i++) {
		long long id;

		if (name_is_id(names[i], &id) && wanted(it->o, id))
			it->polled = 1;
	}
	if (!it->polled)
		return 0;
	it->st->squeue_calls++;
	if (slurmq_poll(it->c->job_manager.poll_command, &it->sq, &it->nsq, &e) < 0) {
		manager_fail(it, "squeue: %s; no job followed this time", e.msg);
		return -1;
	}
	if (it->nsq)
		qsort(it->sq, it->nsq, sizeof(*it->sq), cmp_sq);
	return 0;
}

/* Step 1 and 2: records, documents. */
static int read_records(struct iter *it)
{
	struct jobrec *r = malloc(sizeof(*r));
	char **names = NULL;
	size_t n = 0;
	int rc = -1, listed;

	if (!r || (listed = list_submitted(it, &names, &n)) < 0)
		goto out;
	if (listed == 1) {
		rc = 0;
		goto out;
	}
	if (poll_slurm(it, names, n) < 0)
		goto out;
	mindex_load(&it->ix, it->c->job_manager.job_ids_dir);
	for (size_t i = 0; i < n; i++)
		take_record(it, names[i], r);
	mindex_sort(&it->ix);
	it->listed = 1;
	rc = 0;
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(r);
	return rc;
}

struct cdoc_row *manager_row_of(struct iter *it, const struct job *j)
{
	return &it->cm[j->ci].doc.rows[j->ri];
}

/* A job release() could not release: held, with the row's reason. */
static void release_refused(struct iter *it, struct job *j, const char *why)
{
	log_error("job %lld: release refused: %s", j->id, why);
	snprintf(j->step.state, sizeof(j->step.state), "%s", jobstate_name(JS_HELD));
	snprintf(j->step.reason, sizeof(j->step.reason), "%s",
		 manager_row_of(it, j)->reason);
	snprintf(j->step.note, sizeof(j->step.note),
		 "Slurm refused to release the job (the instance's log says "
		 "why)");
}

/* Step 6: scontrol release for the jobs to release: one call, or one per
 * SLURMQ_IDS_MAX jobs when there are more (an argument holds that many).
 * A call that failed without naming a job of ours released none of its
 * batch: those jobs are left for the next iteration. */
static void release(struct iter *it)
{
	long long *ids = NULL, *failed = NULL;
	size_t *at = NULL, n = 0, nfailed = 0;
	struct err e = ERR_INIT;

	for (size_t i = 0; i < it->njobs; i++)
		n += it->jobs[i].step.act == MGR_RELEASE;
	if (!n)
		return;
	ids = calloc(n, sizeof(*ids));
	failed = calloc(n, sizeof(*failed));
	at = calloc(n, sizeof(*at));
	if (!ids || !failed || !at) {
		manager_fail(it, "release: out of memory");
		goto out;
	}
	n = 0;
	for (size_t i = 0; i < it->njobs; i++)
		if (it->jobs[i].step.act == MGR_RELEASE) {
			at[n] = i;
			ids[n++] = it->jobs[i].id;
		}
	for (size_t b = 0; b < n; b += SLURMQ_IDS_MAX) {
		size_t nb = n - b < SLURMQ_IDS_MAX ? n - b : SLURMQ_IDS_MAX, nf = 0;

		it->st->scontrol_calls++;
		err_clear(&e);
		if (slurmq_release(it->c->job_manager.scontrol_command, ids + b,
				   nb, failed + nfailed, &nf, &e) < 0 && nf == 0) {
			/* nothing known released: try again next time */
			manager_fail(it, "release: %s", e.msg);
			for (size_t k = b; k < b + nb; k++)
				it->jobs[at[k]].skip = 1;
			continue;
		}
		for (size_t k = nfailed; k < nfailed + nf; k++)
			log_error("job %lld: release refused: %s", failed[k], e.msg);
		nfailed += nf;
	}
	qsort(failed, nfailed, sizeof(*failed), cmp_id);
	for (size_t k = 0; k < n; k++) {
		struct job *j = &it->jobs[at[k]];

		if (j->skip)
			continue;
		if (nfailed && bsearch(&j->id, failed, nfailed, sizeof(*failed), cmp_id))
			release_refused(it, j, "named by scontrol");
		else
			it->st->released++;
		j->step.act = MGR_SHOW;
	}
out:
	free(ids);
	free(failed);
	free(at);
}

static int note_add(struct buf *b, const char *s)
{
	if (!s || !*s)
		return 0;
	if (b->len && buf_adds(b, "; ") < 0)
		return -1;
	return buf_adds(b, s);
}

/* What a result says in its row's note: the description, the artefacts,
 * the test's verdict (tmp: scratch). */
static void result_note(struct buf *note, const struct result *r,
			struct buf *tmp)
{
	note_add(note, r->description);
	if (r->nartefacts) {
		buf_clear(tmp);
		buf_adds(tmp, "artefacts: ");
		for (size_t k = 0; k < r->nartefacts; k++)
			buf_addf(tmp, "%s%s", k ? ", " : "", r->artefacts[k]);
		note_add(note, tmp->s);
	}
	if (r->has_test) {
		buf_clear(tmp);
		buf_addf(tmp, "test: %s%s%s", result_status_name(r->test_status),
			 r->test_description ? ", " : "",
			 r->test_description ? r->test_description : "");
		note_add(note, tmp->s);
	}
}

/* A finished record's row in a document made again: its final state from
 * the record's [STATE], its note from the result files still in the job
 * directory (when there are). */
static void finished_row(struct iter *it, struct comment *cm,
			 const struct jobrec *r)
{
	struct buf note = BUF_INIT(64 * 1024), tmp = BUF_INIT(2048);
	struct result res = {0};
	struct err e = ERR_INIT;
	struct cdoc_row *row;
	size_t ri;

	if (row_for(cm, r, &ri) < 0) {
		manager_fail(it, "job %lld: out of memory", r->job_id);
		goto out;
	}
	row = &cm->doc.rows[ri];
	snprintf(row->state, sizeof(row->state), "%s", r->state);
	snprintf(row->result, sizeof(row->result), "%s", r->result);
	snprintf(row->slurm, sizeof(row->slurm), "%s", r->slurm);
	row->changed_at = r->changed_at;
	if (jobstate_of(r->state) == JS_FINISHED &&
	    result_read(r->job_dir, r->job_id, &res, &e) == 0) {
		result_note(&note, &res, &tmp);
		cdoc_set_note(row, note.s);
		if (res.excerpt && strcmp(r->result, "SUCCESS") != 0)
			cdoc_set_excerpt(row, res.excerpt);
	}
	log_info("comment %lld: row of finished job %lld (%s %s) made again "
		 "from its record", cm->id, r->job_id, r->state, r->result);
out:
	result_release(&res);
	buf_release(&note);
	buf_release(&tmp);
}

/* A document made again from the records: the rows of its jobs that are
 * over, from finished/ (records written by a version before [STATE] was
 * kept there say "held": they are shown as over, verdict unknown). */
static void finished_rows(struct iter *it, struct comment *cm)
{
	const char *dir = it->c->job_manager.job_ids_dir;
	struct buf text = BUF_INIT(64 * 1024);
	struct jobrec *r = malloc(sizeof(*r));
	struct err e = ERR_INIT;
	struct dirent *de;
	DIR *d = NULL;
	long long id;

	if (!r || manager_path(it, "%s/finished", dir) < 0 || !(d = opendir(it->path.s)))
		goto out;
	while ((de = readdir(d))) {
		if (!name_is_id(de->d_name, &id) ||
		    manager_path(it, "%s/finished/%s", dir, de->d_name) < 0 ||
		    xio_read_file(it->path.s, &text, 1, &e) < 0 ||
		    jobrec_parse(text.s, text.len, r, &e) < 0) {
			err_clear(&e);
			continue;
		}
		if (r->pr_comment_id != cm->id || r->job_id != id ||
		    strcmp(r->instance, it->c->github.app_name) != 0 ||
		    strcmp(r->repo, cm->doc.repo) != 0)
			continue;
		if (!jobstate_over(jobstate_of(r->state)))
			snprintf(r->state, sizeof(r->state), "%s", jobstate_name(JS_FINISHED));
		finished_row(it, cm, r);
	}
out:
	if (d)
		closedir(d);
	free(r);
	buf_release(&text);
}

/* "cancelled by LOGIN" first in the note of a job Slurm cancelled at
 * `bot: cancel` (lib/flows/cancel.h). */
static void cancelled_note(struct iter *it, const struct job *j, struct buf *note)
{
	char text[256];

	if (j->step.end != SQ_CANCELLED ||
	    !cancel_note(it->c->job_manager.job_ids_dir, j->id, text, sizeof(text)))
		return;
	note_add(note, text);
}

/* Step 7: a job that ended, with what it left behind. */
static void finish(struct iter *it, struct job *j, struct cdoc_row *row)
{
	struct result r = {0};
	struct buf note = BUF_INIT(64 * 1024), tmp = BUF_INIT(2048);
	struct err e = ERR_INIT;
	char when[40];

	if (result_read(j->dir, j->id, &r, &e) < 0) {
		manager_fail(it, "job %lld: %s", j->id, e.msg);
		j->skip = 1;
		goto out;
	}
	cdoc_set_excerpt(row, NULL);
	row->reason[0] = '\0';
	if (j->step.end == SQ_OTHER && strcmp(r.source, "nothing") == 0) {
		clock_utc_text(row->missing_since, when, sizeof(when));
		snprintf(row->state, sizeof(row->state), "%s", jobstate_name(JS_LOST));
		row->result[0] = row->slurm[0] = '\0';
		buf_addf(&note, "Slurm no longer knows the job (missing since %s) "
			 "and it left no result: %s", when,
			 r.description ? r.description : "");
		it->st->lost++;
		log_warn("job %lld: lost (%s)", j->id, note.s);
	} else {
		snprintf(row->state, sizeof(row->state), "%s", jobstate_name(JS_FINISHED));
		snprintf(row->result, sizeof(row->result), "%s",
			 result_status_name(r.status));
		snprintf(row->slurm, sizeof(row->slurm), "%s",
			 j->step.end == SQ_OTHER ? "" : slurmq_state_name(j->step.end));
		cancelled_note(it, j, &note);
		result_note(&note, &r, &tmp);
		if (j->step.exit_code > 0 || j->step.exit_signal > 0) {
			buf_clear(&tmp);
			buf_addf(&tmp, "exit code %d", j->step.exit_code);
			if (j->step.exit_signal > 0)
				buf_addf(&tmp, ", signal %d", j->step.exit_signal);
			note_add(&note, tmp.s);
		}
		if (j->step.end == SQ_OTHER)
			note_add(&note, "Slurm no longer knew the job; judged "
				 "from what it left");
		if (r.excerpt)
			cdoc_set_excerpt(row, r.excerpt);
		log_info("job %lld (%s): %s (%s)", j->id, row->target, row->result,
			 *row->slurm ? row->slurm : "gone from Slurm");
	}
	cdoc_set_note(row, note.s);
	row->changed_at = it->now;
	row->missing_since = 0;
	it->cm[j->ci].changed = it->cm[j->ci].dirty = 1;
	it->st->changed++;
	j->move = 1;
out:
	result_release(&r);
	buf_release(&note);
	buf_release(&tmp);
}

/* Steps 5 and 7: a row per decision. */
static void apply(struct iter *it, struct job *j)
{
	struct cdoc_row *row = manager_row_of(it, j);
	struct comment *cm = &it->cm[j->ci];

	if (j->skip)
		return;
	switch (j->step.act) {
	case MGR_NONE:
		return;
	case MGR_MOVE:
		j->move = 1;
		return;
	case MGR_QUIET:
		row->missing_since = j->step.missing_since;
		cm->dirty = 1;
		return;
	case MGR_FINISH:
		finish(it, j, row);
		return;
	case MGR_RELEASE: /* release() made it a MGR_SHOW or skipped it */
	case MGR_SHOW:
		break;
	}
	if (row->missing_since != j->step.missing_since) {
		row->missing_since = j->step.missing_since;
		cm->dirty = 1;
	}
	if (strcmp(row->state, j->step.state) == 0 &&
	    strcmp(row->reason, j->step.reason) == 0 &&
	    strcmp(row->note ? row->note : "", j->step.note) == 0)
		return; /* shown already: no edit, no save */
	log_info("job %lld (%s): %s -> %s%s%s", j->id, row->target, row->state,
		 j->step.state, *j->step.note ? ": " : "", j->step.note);
	snprintf(row->state, sizeof(row->state), "%s", j->step.state);
	snprintf(row->reason, sizeof(row->reason), "%s", j->step.reason);
	cdoc_set_note(row, j->step.note);
	row->changed_at = it->now;
	cm->changed = cm->dirty = 1;
	it->st->changed++;
}

static struct github *client(struct iter *it, struct err *e)
{
	if (!it->gh) {
		if (github_open(it->c, &it->gh, e) < 0)
			return NULL;
		it->own_gh = 1;
	}
	github_set_installation(it->gh, 0);
	return it->gh;
}

/* Step 8a: the edit and the save of one comment. */
static void publish(struct iter *it, struct comment *cm)
{
	struct buf body = BUF_INIT(BODY_CAP);
	struct err e = ERR_INIT;
	struct github *gh;

	if (!cm->loaded)
		goto out;
	if (cm->changed && !cdoc_is_local(cm->id)) {
		if (cdoc_body(&cm->doc, &body) < 0) {
			manager_fail(it, "comment %lld: body too long", cm->id);
			goto out;
		}
		if (!(gh = client(it, &e)) ||
		    github_comment_edit(gh, cm->doc.repo, cm->id, body.s, &e) < 0) {
			int st = github_last_status(it->gh);

			if (gh && (st == 404 || st == 410)) {
				log_warn("comment %lld in %s is gone (%d): its "
					 "rows are kept without it", cm->id,
					 cm->doc.repo, st);
			} else {
				manager_fail(it, "comment %lld not updated: %s", cm->id,
				     e.msg);
				goto out;
			}
		} else {
			it->st->comments++;
		}
	}
	if (cm->dirty &&
	    cdoc_save(it->c->job_manager.job_ids_dir, &cm->doc, 0, &e) < 0) {
		manager_fail(it, "comment %lld: %s", cm->id, e.msg);
		goto out;
	}
	cm->saved = 1;
out:
	buf_release(&body);
}

static int lock_take(const char *dir, int *fd, struct err *e)
{
	struct buf p = BUF_INIT(4096);
	int rc = -1;

	*fd = -1;
	if (xio_mkdir_p(dir, 0755, e) < 0)
		goto out;
	if (buf_addf(&p, "%s/" LOCK_NAME, dir) < 0) {
		err_set(e, ERR_TOOBIG, "job_ids_dir path too long");
		goto out;
	}
	rc = xio_lock(p.s, fd, e);
out:
	buf_release(&p);
	return rc;
}

/* CPU time used so far by the process and its waited-for children, ms. */
static long long cpu_ms(void)
{
	struct rusage self, kids;

	if (getrusage(RUSAGE_SELF, &self) < 0 ||
	    getrusage(RUSAGE_CHILDREN, &kids) < 0)
		return 0;
	return ((long long)self.ru_utime.tv_sec + self.ru_stime.tv_sec +
		kids.ru_utime.tv_sec + kids.ru_stime.tv_sec) * 1000 +
	       ((long long)self.ru_utime.tv_usec + self.ru_stime.tv_usec +
		kids.ru_utime.tv_usec + kids.ru_stime.tv_usec) / 1000;
}

/* Slurm's accounting for the jobs gone from squeue: one sacct call, or
 * one per SLURMQ_IDS_MAX jobs when there are more, their answers joined
 * and sorted by id.  -1 (logged) when a call failed: nothing is known. */
static int accounting(struct iter *it, const long long *miss, size_t nmiss,
		      struct slurmq_job **acct, size_t *nacct)
{
	struct slurmq_job *all = NULL, *part = NULL;
	size_t nall = 0, npart;
	struct err e = ERR_INIT;

	for (size_t b = 0; b < nmiss; b += SLURMQ_IDS_MAX) {
		size_t nb = nmiss - b < SLURMQ_IDS_MAX ? nmiss - b : SLURMQ_IDS_MAX;
		struct slurmq_job *grown;

		it->st->sacct_calls++;
		if (slurmq_accounting(it->c->job_manager.sacct_command, miss + b,
				      nb, &part, &npart, &e) < 0) {
			log_error("sacct: %s", e.msg);
			free(all);
			return -1;
		}
		if (npart && !(grown = realloc(all, (nall + npart) * sizeof(*all)))) {
			log_error("sacct: out of memory");
			free(part);
			free(all);
			return -1;
		}
		if (npart) {
			all = grown;
			memcpy(all + nall, part, npart * sizeof(*all));
			nall += npart;
		}
		free(part);
		part = NULL;
	}
	if (nall)
		qsort(all, nall, sizeof(*all), cmp_sq);
	*acct = all;
	*nacct = nall;
	return 0;
}

/* Steps 3-7. */
static void follow(struct iter *it)
{
	const struct conf *c = it->c;
	struct manager_limits lim = {
		.release = c->buildenv.job_handover_protocol ==
			   CONF_HANDOVER_HOLD_RELEASE,
		.pending_after = c->job_manager.pending_reason_after,
		.lost_after = c->job_manager.lost_after,
	};
	const struct slurmq_job *sq = it->sq;
	struct slurmq_job *acct = NULL;
	size_t nsq = it->nsq, nacct = 0, nmiss = 0;
	long long *miss = NULL;
	int acct_ok = 1;

	if (!(miss = calloc(it->njobs ? it->njobs : 1, sizeof(*miss)))) {
		manager_fail(it, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < it->njobs; i++) {
		struct job *j = &it->jobs[i];

		j->sj = find(sq, nsq, j->id);
		if (!j->sj && !row_over(manager_row_of(it, j)))
			miss[nmiss++] = j->id;
	}
	if (nmiss && c->job_manager.sacct_command) {
		acct_ok = accounting(it, miss, nmiss, &acct, &nacct) == 0;
		if (!acct_ok)
			manager_fail(it, "sacct failed; jobs gone from squeue wait");
	}
	for (size_t i = 0; i < it->njobs; i++) {
		struct job *j = &it->jobs[i];
		const struct cdoc_row *row = manager_row_of(it, j);
		int result_file = 0;

		if (!j->sj)
			j->sj = find(acct, nacct, j->id);
		if (!j->sj && !row_over(row)) {
			struct stat st;

			if (!acct_ok) {
				j->skip = 1;
				continue;
			}
			if (manager_path(it, "%s/_bot_job%lld.result", j->dir, j->id) == 0)
				result_file = lstat(it->path.s, &st) == 0;
		}
		manager_decide(row, j->sj, result_file, it->now, &lim, &j->step);
	}
	release(it);
	for (size_t i = 0; i < it->njobs; i++)
		apply(it, &it->jobs[i]);
out:
	free(miss);
	free(acct);
}

long long manager_peak_rss_kb(void)
{
	char text[4096];
	ssize_t n;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, text, sizeof(text));
	close(fd);
	return n > 0 ? manager_parse_vmhwm(text, (size_t)n) : -1;
}

/* What an iteration holds, freed. */
static void iter_release(struct iter *it)
{
	if (it->own_gh)
		github_free(it->gh);
	for (size_t i = 0; i < it->ncm; i++)
		cdoc_release(&it->cm[i].doc);
	for (size_t i = 0; i < it->njobs; i++)
		free(it->jobs[i].dir);
	mindex_clear(&it->ix);
	free(it->sq);
	free(it->cm);
	free(it->jobs);
	buf_release(&it->path);
	buf_release(&it->text);
}

int manager_iterate(const struct conf *c, struct github *gh,
		    const struct manager_opts *o, struct manager_stats *st,
		    struct err *e)
{
	struct github_counts g0 = {0}, g1 = {0};
	struct retention_stats rs;
	struct err ie = ERR_INIT;
	unsigned refs = 0;
	struct iter it;
	long long ms0 = clock_mono_ms(), cpu0 = cpu_ms();
	int fd, rc;

	memset(st, 0, sizeof(*st));
	if ((rc = lock_take(c->job_manager.job_ids_dir, &fd, e)) != 0)
		return rc;
	memset(&it, 0, sizeof(it));
	it.c = c;
	it.o = o;
	it.st = st;
	it.gh = gh;
	it.now = (long long)time(NULL);
	buf_init(&it.path, 8192);
	buf_init(&it.text, RECORD_CAP);
	if (gh)
		github_counts(gh, &g0);
	/* nothing to follow: Slurm is not asked (an instance with no jobs
	 * out, or a host that only drains the spool, needs no Slurm) */
	if (read_records(&it) == 0 && it.polled && it.njobs)
		follow(&it);
	for (size_t i = 0; i < it.ncm; i++)
		publish(&it, &it.cm[i]);
	manager_move_records(&it);
	manager_moves_done(&it);
	if (lifecycle_sweep(c, it.now, &st->trashed, &ie) < 0)
		log_error("closed pull requests: %s", ie.msg);
	err_clear(&ie);
	if (retention_sweep(c, it.now, &rs, &ie) < 0)
		log_error("retention: %s", ie.msg);
	err_clear(&ie);
	if (retention_git(c, it.now, &refs, &ie) < 0)
		log_error("git cache: %s (nothing pruned)", ie.msg);
	st->removed = rs.done + rs.failed + rs.trash + refs;
	if (it.listed && mindex_save(&it.ix, c->job_manager.job_ids_dir, &ie) < 0)
		manager_fail(&it, "%s", ie.msg);
	manager_sweep_temps(&it);
	if (it.gh) {
		github_counts(it.gh, &g1);
		st->github_calls = g1.calls - g0.calls;
	}
	iter_release(&it);
	close(fd);
	st->ms = clock_mono_ms() - ms0;
	st->cpu_ms = cpu_ms() - cpu0;
	st->maxrss_kb = manager_peak_rss_kb();
	if (it.failed) {
		err_set(e, it.first.code, "%s", it.first.msg);
		return -1;
	}
	return 0;
}
