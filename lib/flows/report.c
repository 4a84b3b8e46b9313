/* report.c - `bot: status` and `bot: show_config`: what an instance tells
 * about itself, from its records, status documents and configuration
 * (see report.h).
 * Layer: flows (README, "Map of the code"). */
#include "report.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdoc.h"
#include "clock.h"
#include "conf.h"
#include "jobrec.h"
#include "jobstate.h"
#include "log.h"
#include "names.h"
#include "status.h"
#include "xio.h"

#define RECORD_CAP ((size_t)64 * 1024)
#define ROWS_MAX 4096 /* targets one PR may show */

/* What report_rows() collects. */
struct collect {
	const struct conf *c;
	const char *repo;
	long long pr;
	const char *const *keys;
	size_t nkeys;
	struct report_row *rows;
	long long *cids;   /* rows[i]'s status comment; 0: record in finished/ */
	size_t n, cap;
	int every;         /* report_jobs(): every job into jobs */
	struct report_job *jobs;
	long long *jcids;  /* jobs[i]'s status comment; 0: in finished/ */
	size_t njobs, capjobs;
	struct buf path, text;
	struct jobrec r;
};

static int key_wanted(const struct collect *k, const char *key)
{
	if (!k->keys)
		return 1;
	for (size_t i = 0; i < k->nkeys; i++)
		if (strcmp(k->keys[i], key) == 0)
			return 1;
	return 0;
}

/* The row of key, made when missing; NULL (no memory, or too many). */
static struct report_row *row_of(struct collect *k, const char *key, size_t *i)
{
	for (*i = 0; *i < k->n; (*i)++)
		if (strcmp(k->rows[*i].key, key) == 0)
			return &k->rows[*i];
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 16;
		struct report_row *v;
		long long *c;

		if (cap > ROWS_MAX || !(v = realloc(k->rows, cap * sizeof(*v))))
			return NULL;
		k->rows = v;
		if (!(c = realloc(k->cids, cap * sizeof(*c))))
			return NULL;
		k->cids = c;
		k->cap = cap;
	}
	memset(&k->rows[k->n], 0, sizeof(k->rows[0]));
	k->cids[k->n] = 0;
	snprintf(k->rows[k->n].key, sizeof(k->rows[0].key), "%s", key);
	return &k->rows[k->n++];
}

/* The target's name as the status comment shows it. */
static void name_of(const struct jobrec *r, char *out, size_t size)
{
	struct buf name = BUF_INIT(size - 1);

	if (buf_addf(&name, "%s%s%s%s%s%s", r->target,
		     *r->accelerator ? " (" : "", r->accelerator,
		     *r->accelerator ? ")" : "", *r->repo_id ? " for " : "",
		     r->repo_id) < 0)
		snprintf(out, size, "%s", r->target);
	else
		memcpy(out, name.s, name.len + 1);
	buf_release(&name);
}

/* report_jobs(): the record as one more job. */
static void take_job(struct collect *k, int live)
{
	const struct jobrec *r = &k->r;
	struct report_job *j;

	if (k->njobs == k->capjobs) {
		size_t cap = k->capjobs ? k->capjobs * 2 : 16;
		struct report_job *v;
		long long *c;

		if (cap > ROWS_MAX * 64 || !(v = realloc(k->jobs, cap * sizeof(*v))))
			return;
		k->jobs = v;
		if (!(c = realloc(k->jcids, cap * sizeof(*c))))
			return;
		k->jcids = c;
		k->capjobs = cap;
	}
	j = &k->jobs[k->njobs];
	memset(j, 0, sizeof(*j));
	j->id = r->job_id;
	snprintf(j->key, sizeof(j->key), "%s", r->target_key);
	snprintf(j->state, sizeof(j->state), "%s", r->state);
	snprintf(j->head_sha, sizeof(j->head_sha), "%s", r->head_sha);
	j->over = !live;
	k->jcids[k->njobs++] = live ? r->pr_comment_id : 0;
}

/* One record of submitted/ (live) or finished/ taken in. */
static void take(struct collect *k, int live)
{
	const struct jobrec *r = &k->r;
	struct report_row *row;
	size_t i;

	if (strcmp(r->instance, k->c->github.app_name) != 0 ||
	    strcmp(r->repo, k->repo) != 0 || r->pr_number != k->pr ||
	    !key_wanted(k, r->target_key))
		return;
	if (k->every) {
		take_job(k, live);
		return;
	}
	if (!(row = row_of(k, r->target_key, &i))) {
		log_warn("bot: status: more than %d targets; the rest left out",
			 ROWS_MAX);
		return;
	}
	row->attempts++;
	if (row->job_id && (r->submitted_at < row->submitted_at ||
			    (r->submitted_at == row->submitted_at &&
			     r->job_id < row->job_id)))
		return; /* an earlier attempt */
	name_of(r, row->target, sizeof(row->target));
	row->job_id = r->job_id;
	row->submitted_at = r->submitted_at;
	snprintf(row->state, sizeof(row->state), "%s", r->state);
	snprintf(row->result, sizeof(row->result), "%s", r->result);
	row->changed_at = r->changed_at;
	snprintf(row->commit, sizeof(row->commit), "%s", r->merge_sha);
	snprintf(row->arch, sizeof(row->arch), "%s", r->target);
	snprintf(row->repo_id, sizeof(row->repo_id), "%s", r->repo_id);
	snprintf(row->accel, sizeof(row->accel), "%s", r->accelerator);
	k->cids[i] = live ? r->pr_comment_id : 0;
}

/* 0, or -1 with e when dir/sub is there but cannot be read (none: 0). */
static int read_dir(struct collect *k, const char *sub, struct err *err)
{
	const char *dir = k->c->job_manager.job_ids_dir;
	struct err e = ERR_INIT;
	struct dirent *de;
	long long id;
	DIR *d;

	buf_clear(&k->path);
	if (buf_addf(&k->path, "%s/%s", dir, sub) < 0)
		return err_set(err, ERR_TOOBIG, "job_ids_dir path too long");
	if (!(d = opendir(k->path.s)))
		return errno == ENOENT ? 0 : err_sys(err, "%s", k->path.s);
	while ((de = readdir(d))) {
		if (names_jobid(de->d_name, strlen(de->d_name), &id) < 0)
			continue;
		buf_clear(&k->path);
		buf_clear(&k->text);
		err_clear(&e);
		if (buf_addf(&k->path, "%s/%s/%s", dir, sub, de->d_name) < 0 ||
		    xio_read_file(k->path.s, &k->text, 1, &e) < 0 ||
		    jobrec_parse(k->text.s, k->text.len, &k->r, &e) < 0)
			continue; /* gone meanwhile, or the manager's business */
		take(k, strcmp(sub, "submitted") == 0);
	}
	closedir(d);
	return 0;
}

/* The status documents read one at a time: rows of one comment come
 * together, so each is loaded about once. */
struct doc_cache {
	struct cdoc doc;
	long long loaded;  /* its comment id; -1 could not be read */
};

/* The row of job id in the document of comment cid, or NULL. */
static const struct cdoc_row *doc_row(const struct collect *k,
				      struct doc_cache *dc, long long cid,
				      long long id)
{
	struct err e = ERR_INIT;

	if (cid != dc->loaded) {
		cdoc_release(&dc->doc);
		memset(&dc->doc, 0, sizeof(dc->doc));
		dc->loaded = cdoc_load(k->c->job_manager.job_ids_dir, cid,
				       &dc->doc, &e) == 0 ? cid : -1;
	}
	return dc->loaded > 0 ? cdoc_row_by_job(&dc->doc, id) : NULL;
}

/* A live job's state as its status document shows it. */
static void live_job_states(struct collect *k)
{
	struct doc_cache dc;
	const struct cdoc_row *dr;

	memset(&dc, 0, sizeof(dc));
	for (size_t i = 0; i < k->njobs; i++) {
		struct report_job *j = &k->jobs[i];

		if (!k->jcids[i])
			continue;
		if ((dr = doc_row(k, &dc, k->jcids[i], j->id)))
			snprintf(j->state, sizeof(j->state), "%s", dr->state);
		j->over = jobstate_over(jobstate_of(j->state));
	}
	cdoc_release(&dc.doc);
}

static int cmp_job(const void *a, const void *b)
{
	long long x = ((const struct report_job *)a)->id;
	long long y = ((const struct report_job *)b)->id;

	return (x > y) - (x < y);
}

static void live_states(struct collect *k);

/* Reads the records of repo#pr for this instance into k (every: each job,
 * else a row per target), the live states from the documents.  0, or -1
 * e (k's results then freed).  k's scratch is released either way. */
static int collect(struct collect *k, const struct conf *c, const char *repo,
		   long long pr, const char *const *keys, size_t nkeys,
		   int every, struct err *e)
{
	int rc;

	memset(k, 0, sizeof(*k));
	k->c = c;
	k->repo = repo;
	k->pr = pr;
	k->keys = keys;
	k->nkeys = nkeys;
	k->every = every;
	buf_init(&k->path, 8192);
	buf_init(&k->text, RECORD_CAP);
	rc = read_dir(k, "submitted", e) < 0 || read_dir(k, "finished", e) < 0 ? -1 : 0;
	if (rc < 0) {
		free(k->rows);
		free(k->jobs);
		k->rows = NULL;
		k->jobs = NULL;
		k->n = k->njobs = 0;
	} else if (every) {
		live_job_states(k);
	} else {
		live_states(k);
	}
	buf_release(&k->path);
	buf_release(&k->text);
	free(k->cids);
	free(k->jcids);
	return rc;
}

int report_jobs(const struct conf *c, const char *repo, long long pr,
		const char *const *keys, size_t nkeys, struct report_job **jobs,
		size_t *n, struct err *e)
{
	struct collect k;
	int rc = collect(&k, c, repo, pr, keys, nkeys, 1, e);

	if (k.njobs)
		qsort(k.jobs, k.njobs, sizeof(*k.jobs), cmp_job);
	*jobs = k.jobs;
	*n = k.njobs;
	return rc;
}

/* A live row's state as its status document shows it. */
static void live_states(struct collect *k)
{
	struct doc_cache dc;
	const struct cdoc_row *dr;

	memset(&dc, 0, sizeof(dc));
	for (size_t i = 0; i < k->n; i++) {
		struct report_row *row = &k->rows[i];

		if (!k->cids[i] || !(dr = doc_row(k, &dc, k->cids[i], row->job_id)))
			continue;
		snprintf(row->state, sizeof(row->state), "%s", dr->state);
		snprintf(row->result, sizeof(row->result), "%s", dr->result);
		if (dr->changed_at > 0)
			row->changed_at = dr->changed_at;
	}
	cdoc_release(&dc.doc);
}

static int cmp_row(const void *a, const void *b)
{
	return strcmp(((const struct report_row *)a)->target,
		      ((const struct report_row *)b)->target);
}

int report_rows(const struct conf *c, const char *repo, long long pr,
		const char *const *keys, size_t nkeys, struct report_row **rows,
		size_t *nrows, struct err *e)
{
	struct collect k;
	int rc = collect(&k, c, repo, pr, keys, nkeys, 0, e);

	if (k.n)
		qsort(k.rows, k.n, sizeof(*k.rows), cmp_row);
	*rows = k.rows;
	*nrows = k.n;
	return rc;
}

int report_failed(const struct report_row *row)
{
	return jobstate_over(jobstate_of(row->state)) &&
	       strcmp(row->result, "SUCCESS") != 0;
}

int report_status_text(const char *instance, const struct report_row *rows,
		       size_t n, struct buf *out)
{
	char when[40];

	if (!n)
		return buf_addf(out, "Instance `%s` has built nothing of this pull "
				"request.\n", instance);
	if (buf_addf(out, "Builds of this pull request by instance `%s` (the "
		     "latest attempt of each target):\n\n| target | state | "
		     "result | job | commit | since |\n|---|---|---|---|---|---|\n",
		     instance) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct report_row *r = &rows[i];

		clock_utc_text(r->changed_at, when, sizeof(when));
		if (buf_addf(out, "| %s | %s | %s | %lld", r->target, r->state,
			     r->result, r->job_id) < 0 ||
		    (r->attempts > 1 &&
		     buf_addf(out, " (attempt %d)", r->attempts) < 0) ||
		    buf_addf(out, " | `%.12s` | %s |\n", r->commit, when) < 0)
			return -1;
	}
	return 0;
}

/* "`a`, `b`" of a list, or "nobody". */
static int logins(struct buf *out, const struct conf_strv *v)
{
	if (!v->n)
		return buf_adds(out, "nobody");
	for (size_t i = 0; i < v->n; i++)
		if (buf_adds(out, i ? ", `" : "`") < 0 ||
		    status_code_text(out, v->v[i], 64) < 0 || buf_adds(out, "`") < 0)
			return -1;
	return 0;
}

/* "`a` `b`" of a list in code spans, or "-". */
static int words(struct buf *out, const struct conf_strv *v)
{
	if (!v->n)
		return buf_adds(out, "-");
	for (size_t i = 0; i < v->n; i++)
		if (buf_adds(out, i ? " `" : "`") < 0 ||
		    status_code_text(out, v->v[i], 200) < 0 || buf_adds(out, "`") < 0)
			return -1;
	return 0;
}

/* The repositories built for arch target a (from repo_target_map). */
static int repos_of(const struct conf *c, const struct conf_arch_target *a,
		    struct buf *out)
{
	const struct conf_repo_targets *rt = &c->repo_targets;

	if (!rt->n_repo_target_map)
		return buf_adds(out, "-");
	for (size_t i = 0; i < rt->n_repo_target_map; i++)
		if (strcmp(rt->repo_target_map[i].target, a->target) == 0)
			return words(out, &rt->repo_target_map[i].repos);
	return buf_adds(out, "none");
}

static int target_rows(const struct conf *c, struct buf *out)
{
	const struct conf_architecturetargets *at = &c->architecturetargets;

	if (buf_adds(out, "| architecture | repositories | accelerators | node "
		     "type | sbatch arguments |\n|---|---|---|---|---|\n") < 0)
		return -1;
	for (size_t i = 0; i < at->n_arch_target_map; i++) {
		const struct conf_arch_target *a = &at->arch_target_map[i];

		if (buf_adds(out, "| `") < 0 ||
		    status_code_text(out, a->target, 200) < 0 ||
		    buf_adds(out, "` | ") < 0 || repos_of(c, a, out) < 0 ||
		    buf_adds(out, " | ") < 0 || words(out, &a->accelerators) < 0 ||
		    buf_adds(out, " | ") < 0 ||
		    (a->node_type ? buf_adds(out, "`") < 0 ||
				    status_code_text(out, a->node_type, 64) < 0 ||
				    buf_adds(out, "`") < 0
				  : buf_adds(out, "-") < 0) ||
		    buf_adds(out, " | ") < 0 || words(out, &a->sbatch) < 0 ||
		    buf_adds(out, " |\n") < 0)
			return -1;
	}
	return 0;
}

int report_config_text(const struct conf *c, struct buf *out)
{
	if (buf_addf(out, "Configuration of instance `%s`:\n\n",
		     c->github.app_name) < 0 || target_rows(c, out) < 0 ||
	    buf_addf(out, "\n- upload policy: `%s`\n- chat level: `%s`\n"
		     "- may give commands (`command_permission`): ",
		     conf_upload_policy_name(c->deploycfg.upload_policy),
		     conf_chatlevel_name(c->bot_control.chatlevel)) < 0 ||
	    logins(out, &c->bot_control.command_permission) < 0 ||
	    buf_adds(out, "\n- may build (`build_permission`): ") < 0 ||
	    logins(out, &c->buildenv.build_permission) < 0 ||
	    buf_adds(out, "\n- may deploy (`deploy_permission`): ") < 0 ||
	    logins(out, &c->deploycfg.deploy_permission) < 0 ||
	    buf_adds(out, "\n") < 0)
		return -1;
	return 0;
}
