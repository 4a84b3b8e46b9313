/* deploy.c - one deploy run: each pending request's jobs and artefacts
 * gathered, the plan (deploy_plan.c) carried out - signed (sign.c), put
 * on S3 (s3.c), recorded (ledger.c) - and the reply's table.  The queue is
 * deploy_queue.c.
 * Layer: flows (README, "Map of the code"). */
#include "deploy.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <json.h>
#include <limits.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cdoc.h"
#include "clock.h"
#include "dirq.h"
#include "github.h"
#include "ini.h"
#include "jobrec.h"
#include "ledger.h"
#include "log.h"
#include "names.h"
#include "num.h"
#include "result.h"
#include "s3.h"
#include "sign.h"
#include "spawn.h"
#include "status.h"
#include "xio.h"

#define BODY_CAP ((size_t)60 * 1024) /* GitHub's limit is 65536 characters */
#define ROW_MAX 4096                 /* rows of one report, at most */

/* ---- one deploy run ----------------------------------------------------- */

/* A row of the report. */
struct row {
	long long job_id;
	char target[256];
	char artefact[256];     /* "" for a row without one */
	char text[768];         /* what became of it */
	int final;              /* nothing more will happen to it */
	int has_cand;           /* the candidate index is cand */
	size_t cand;
};

struct run {
	const struct conf *c;
	struct deploy_stats *st;
	struct github *gh;
	int own_gh;
	struct s3 *s3;
	int s3_tried;           /* the credentials were looked for */
	char s3_why[300];       /* why there is no S3 client */
	struct buf path;        /* scratch */
	char user[64], host[256], ip[64];
	struct ledger ledger;    /* deploy/uploaded/, read once */
};

struct job {
	struct jobrec r;
	int finished;
};

/* One request's work. */
struct req_work {
	const char *delivery;
	struct deploy_req req;
	struct job *jobs;
	size_t njobs;
	struct deploy_cand *cand;
	char (*cpath)[PATH_MAX]; /* candidate file paths */
	long long *csize;
	long long *cctime;
	size_t *ccjob;           /* index in jobs */
	size_t ncand;
	struct row *rows;
	size_t nrows;
};

static struct row *row_add(struct req_work *w, long long job_id,
			   const char *target, const char *artefact)
{
	struct row *v, *r;

	if (w->nrows >= ROW_MAX ||
	    !(v = realloc(w->rows, (w->nrows + 1) * sizeof(*v))))
		return NULL;
	w->rows = v;
	r = &v[w->nrows++];
	memset(r, 0, sizeof(*r));
	r->job_id = job_id;
	snprintf(r->target, sizeof(r->target), "%s", target);
	snprintf(r->artefact, sizeof(r->artefact), "%s", artefact);
	return r;
}

static void row_say(struct row *r, int final, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void row_say(struct row *r, int final, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(r->text, sizeof(r->text), fmt, ap) < 0)
		r->text[0] = '\0';
	va_end(ap);
	r->final = final;
}

static int cmp_job(const void *a, const void *b)
{
	const struct job *x = a, *y = b;

	return (x->r.job_id > y->r.job_id) - (x->r.job_id < y->r.job_id);
}

/* The records of the request's PR in finished/ and submitted/. */
static int collect_jobs(struct run *ru, struct req_work *w, struct err *e)
{
	static const char *const subs[] = { "finished", "submitted" };
	const char *dir = ru->c->job_manager.job_ids_dir;
	struct buf text = BUF_INIT(INI_MAX_BYTES);
	size_t k;
	int rc = 0;

	for (k = 0; k < 2 && rc == 0; k++) {
		struct dirent *de;
		DIR *d;

		buf_clear(&ru->path);
		if (buf_addf(&ru->path, "%s/%s", dir, subs[k]) < 0) {
			rc = err_set(e, ERR_TOOBIG, "job_ids_dir path too long");
			break;
		}
		if (!(d = opendir(ru->path.s)))
			continue;
		while ((de = readdir(d))) {
			struct err pe = ERR_INIT;
			struct job *v;
			struct jobrec r;

			if (!names_charset(de->d_name, "", 1, 20))
				continue;
			buf_clear(&ru->path);
			if (buf_addf(&ru->path, "%s/%s/%s", dir, subs[k], de->d_name) < 0 ||
			    xio_read_file(ru->path.s, &text, 1, &pe) < 0 ||
			    jobrec_parse(text.s, text.len, &r, &pe) < 0)
				continue; /* the manager sets such records aside */
			if (r.pr_number != w->req.pr || strcmp(r.repo, w->req.repo) != 0)
				continue;
			if (!(v = realloc(w->jobs, (w->njobs + 1) * sizeof(*v)))) {
				rc = err_set(e, ERR_NOMEM, "out of memory");
				break;
			}
			w->jobs = v;
			v[w->njobs].r = r;
			v[w->njobs].finished = k == 0;
			w->njobs++;
		}
		closedir(d);
	}
	if (w->njobs)
		qsort(w->jobs, w->njobs, sizeof(*w->jobs), cmp_job);
	buf_release(&text);
	return rc;
}

static int cand_add(struct req_work *w, size_t ji, const struct deploy_tarball *t,
		    const char *path, const char *sha, long long size,
		    long long ctime_s, size_t ri)
{
	size_t n = w->ncand + 1;
	void *p;

	if (!(p = realloc(w->cand, n * sizeof(*w->cand))))
		return -1;
	w->cand = p;
	if (!(p = realloc(w->cpath, n * sizeof(*w->cpath))))
		return -1;
	w->cpath = p;
	if (!(p = realloc(w->csize, n * sizeof(*w->csize))))
		return -1;
	w->csize = p;
	if (!(p = realloc(w->cctime, n * sizeof(*w->cctime))))
		return -1;
	w->cctime = p;
	if (!(p = realloc(w->ccjob, n * sizeof(*w->ccjob))))
		return -1;
	w->ccjob = p;
	memset(&w->cand[w->ncand], 0, sizeof(*w->cand));
	w->cand[w->ncand].job_id = w->jobs[ji].r.job_id;
	w->cand[w->ncand].t = *t;
	memcpy(w->cand[w->ncand].sha256, sha, 65);
	snprintf(w->cpath[w->ncand], PATH_MAX, "%s", path);
	w->csize[w->ncand] = size;
	w->cctime[w->ncand] = ctime_s;
	w->ccjob[w->ncand] = ji;
	w->rows[ri].has_cand = 1;
	w->rows[ri].cand = w->ncand;
	w->ncand++;
	return 0;
}

/* One artefact of a SUCCESS job: a candidate, or a row saying why not. */
static int one_artefact(struct run *ru, struct req_work *w, size_t ji,
			const char *name)
{
	const struct jobrec *r = &w->jobs[ji].r;
	struct deploy_tarball t;
	struct err e = ERR_INIT;
	struct row *row = row_add(w, r->job_id, r->target, name);
	char sha[65];
	long long size;
	struct stat st;
	size_t ri;

	if (!row)
		return -1;
	ri = w->nrows - 1;
	if (deploy_tarball_parse(name, &t, &e) < 0) {
		row_say(row, 1, "not uploaded: not an EESSI tarball name (%s)", e.msg);
		ru->st->skipped++;
		return 0;
	}
	buf_clear(&ru->path);
	if (buf_addf(&ru->path, "%s/%s", r->job_dir, name) < 0 ||
	    ru->path.len >= PATH_MAX) {
		row_say(row, 1, "not uploaded: path too long");
		ru->st->skipped++;
		return 0;
	}
	if (lstat(ru->path.s, &st) < 0) {
		row_say(row, 1, "not uploaded: not in the job directory");
		ru->st->skipped++;
		return 0;
	}
	if (!S_ISREG(st.st_mode)) {
		row_say(row, 1, "not uploaded: not a regular file (a symlink?)");
		ru->st->skipped++;
		return 0;
	}
	if (s3_sha256_file(ru->path.s, sha, &size, &e) < 0) {
		row_say(row, 0, "not uploaded yet: %s; tried again by the next "
			"manager run", e.msg);
		ru->st->failed++;
		return 0;
	}
	return cand_add(w, ji, &t, ru->path.s, sha, size,
			(long long)st.st_ctime, ri);
}

/* Rows for every job of the request; candidates for the artefacts. */
static int gather(struct run *ru, struct req_work *w)
{
	size_t i, k;

	for (i = 0; i < w->njobs; i++) {
		const struct jobrec *r = &w->jobs[i].r;
		struct result res;
		struct err e = ERR_INIT;
		struct row *row;

		if (*w->req.head_sha && strcmp(r->head_sha, w->req.head_sha) != 0) {
			if (!(row = row_add(w, r->job_id, r->target, "")))
				return -1;
			row_say(row, 1, "not uploaded: built from %.12s, not from "
				"%.12s, the head %s was set on", r->head_sha,
				w->req.head_sha, DEPLOY_LABEL);
			ru->st->skipped++;
			continue;
		}
		if (!w->jobs[i].finished) {
			if (!(row = row_add(w, r->job_id, r->target, "")))
				return -1;
			row_say(row, 1, "not finished: set the label %s again "
				"once it is", DEPLOY_LABEL);
			ru->st->skipped++;
			continue;
		}
		memset(&res, 0, sizeof(res));
		if (result_read(r->job_dir, r->job_id, &res, &e) < 0) {
			if (!(row = row_add(w, r->job_id, r->target, "")))
				return -1;
			row_say(row, 0, "not uploaded yet: %s", e.msg);
			ru->st->failed++;
			continue;
		}
		if (res.status != RESULT_SUCCESS || res.nartefacts == 0) {
			if (!(row = row_add(w, r->job_id, r->target, ""))) {
				result_release(&res);
				return -1;
			}
			row_say(row, 1, "nothing to upload: %s%s",
				result_status_name(res.status),
				res.status == RESULT_SUCCESS ? ", no artefacts" : "");
			ru->st->skipped++;
		}
		for (k = 0; res.status == RESULT_SUCCESS && k < res.nartefacts; k++)
			if (one_artefact(ru, w, i, res.artefacts[k]) < 0) {
				result_release(&res);
				return -1;
			}
		result_release(&res);
	}
	return 0;
}

static void human_size(long long n, char *out, size_t size)
{
	if (n >= 1024LL * 1024 * 1024)
		snprintf(out, size, "%.1f GiB", (double)n / (1024.0 * 1024 * 1024));
	else if (n >= 1024LL * 1024)
		snprintf(out, size, "%.1f MiB", (double)n / (1024.0 * 1024));
	else if (n >= 1024)
		snprintf(out, size, "%.1f KiB", (double)n / 1024.0);
	else
		snprintf(out, size, "%lld B", n);
}

/* The row of an artefact in the ledger: uploaded by this request (a run
 * again: the row it had), or already by another. */
static void row_ledger(const struct run *ru, const struct req_work *w,
		       const struct ledger_ent *l, struct row *row)
{
	char size_txt[32];

	if (strcmp(l->delivery, w->delivery) != 0) {
		row_say(row, 1, "already uploaded: %s", l->key);
		return;
	}
	human_size(l->size, size_txt, sizeof(size_txt));
	row_say(row, 1, "uploaded to s3://%s/%s (%s, sha256 %.12s…)",
		ru->c->deploycfg.bucket_name, l->key, size_txt, l->sha);
}

/* The S3 client, made on first use; NULL with ru->s3_why. */
static struct s3 *s3_client(struct run *ru)
{
	const struct conf_deploycfg *d = &ru->c->deploycfg;
	struct s3_creds cr = { NULL, NULL, NULL };
	struct err e = ERR_INIT;

	if (ru->s3 || ru->s3_tried)
		return ru->s3;
	ru->s3_tried = 1;
	if (s3_creds_load(d->credentials_file, &cr, &e) < 0) {
		snprintf(ru->s3_why, sizeof(ru->s3_why), "%.280s",
			 e.msg);
		log_error("deploy: %s", ru->s3_why);
		return NULL;
	}
	if (cr.secret_key && strlen(cr.secret_key) >= 4)
		log_add_secret(cr.secret_key);
	if (cr.session_token && strlen(cr.session_token) >= 4)
		log_add_secret(cr.session_token);
	if (s3_open(&ru->s3, d->endpoint_url, d->bucket_name, d->region, &cr,
		    &e) < 0) {
		snprintf(ru->s3_why, sizeof(ru->s3_why), "S3: %.250s", e.msg);
		log_error("deploy: %s", ru->s3_why);
		ru->s3 = NULL;
	}
	s3_creds_wipe(&cr);
	return ru->s3;
}

/* The object's URL, as in the metadata. */
static int object_url(const struct run *ru, const char *key, struct buf *out)
{
	const struct conf_deploycfg *d = &ru->c->deploycfg;
	char enc[S3_KEY_MAX * 3 + 1];

	if (s3_key_encode(key, enc, sizeof(enc)) < 0)
		return -1;
	if (d->endpoint_url)
		return buf_addf(out, "%s/%s/%s", d->endpoint_url, d->bucket_name, enc);
	return buf_addf(out, "https://s3.%s.amazonaws.com/%s/%s",
			d->region ? d->region : "us-east-1", d->bucket_name, enc);
}

/* Up unless the object at key is already the one meant (HEAD). *put: 1
 * if it was PUT.  known_sha (with known_size): the file's SHA-256 found
 * already (a tarball's, by gather()), NULL: it is computed here.  Not
 * hashed twice: s3_put_file() checks the bytes it sends against it. */
static int put_once(struct run *ru, const char *key, const char *path,
		    const char *type, const char *known_sha,
		    long long known_size, int *put, struct err *e)
{
	struct s3_object o;
	struct s3_put_stats ps;
	char sha[65];
	long long size = known_size;

	*put = 0;
	if (known_sha)
		snprintf(sha, sizeof(sha), "%s", known_sha);
	if (s3_key_valid(key, e) < 0 ||
	    (!known_sha && s3_sha256_file(path, sha, &size, e) < 0) ||
	    s3_head(ru->s3, key, &o, e) < 0)
		return -1;
	if (o.exists && strcmp(o.sha256, sha) == 0 && o.size == size)
		return 0;
	memset(&ps, 0, sizeof(ps));
	if (s3_put_file(ru->s3, key, path, type, sha, &ps, e) < 0) {
		ru->st->bytes += ps.bytes;
		return -1;
	}
	ru->st->bytes += ps.bytes;
	*put = 1;
	return 0;
}

/* The staging directory of one artefact's metadata. */
static int stage_dir(struct run *ru, const char *sha, struct buf *out,
		     struct err *e)
{
	if (deploy_path(out, ru->c->job_manager.job_ids_dir, "staging", sha, e) < 0)
		return -1;
	return xio_mkdir_p(out->s, 0700, e);
}

/* Everything of one candidate to S3, then the ledger. */
/* The metadata of candidate ci, written to mpath (staged for its upload). */
static int write_meta(struct run *ru, struct req_work *w, size_t ci,
		      const char *url, const char *mpath, struct err *e)
{
	const struct deploy_cand *cd = &w->cand[ci];
	const struct jobrec *r = &w->jobs[w->ccjob[ci]].r;
	struct buf meta = BUF_INIT(64 * 1024);
	struct deploy_meta m;
	int rc;

	memset(&m, 0, sizeof(m));
	m.username = ru->user;
	m.hostname = ru->host;
	m.ip = ru->ip;
	m.filename = cd->t.name;
	m.sha256 = cd->sha256;
	m.url = url;
	m.size = w->csize[ci];
	m.ctime = w->cctime[ci];
	m.req = &w->req;
	m.job_id = cd->job_id;
	m.target = r->target;
	m.job_dir = r->job_dir;
	rc = deploy_metadata(&m, &meta, e) < 0 ||
	     xio_write_atomic(mpath, meta.s, meta.len, 0644, e) < 0 ? -1 : 0;
	buf_release(&meta);
	return rc;
}

/* The signatures of the tarball and of its metadata (PATH.sig) to their
 * keys (KEY.sig). */
static int put_sigs(struct run *ru, const char *tarball, const char *key,
		    const char *mpath, const char *mkey, struct err *e)
{
	const char *files[2] = { tarball, mpath }, *keys[2] = { key, mkey };
	struct buf sigp = BUF_INIT(PATH_MAX), sigk = BUF_INIT(S3_KEY_MAX + 32);
	int rc = 0, put = 0;

	for (int i = 0; i < 2 && rc == 0; i++) {
		buf_clear(&sigp);
		buf_clear(&sigk);
		if (buf_addf(&sigp, "%s.sig", files[i]) < 0 ||
		    buf_addf(&sigk, "%s.sig", keys[i]) < 0 ||
		    put_once(ru, sigk.s, sigp.s, NULL, NULL, 0, &put, e) < 0)
			rc = -1;
	}
	buf_release(&sigp);
	buf_release(&sigk);
	return rc;
}

/* An artefact up: its row, the figures, the log. */
static void uploaded(struct run *ru, const struct req_work *w, size_t ci,
		     const char *key, int put, struct row *row)
{
	const struct deploy_cand *cd = &w->cand[ci];
	const char *bucket = ru->c->deploycfg.bucket_name;
	char size_txt[32];

	human_size(w->csize[ci], size_txt, sizeof(size_txt));
	row_say(row, 1, "uploaded to s3://%s/%s (%s, sha256 %.12s…)", bucket,
		key, size_txt, cd->sha256);
	if (put)
		ru->st->uploaded++;
	else
		ru->st->already++;
	log_info("deploy: %s -> s3://%s/%s (%lld bytes, sha256 %s)%s", cd->t.name,
		 bucket, key, w->csize[ci], cd->sha256,
		 put ? "" : " (already on the server)");
}

/* Candidate ci is up (every object of it): the ledger says so. */
static int record_up(struct run *ru, const struct req_work *w, size_t ci,
		     const char *key, const char *meta_key, struct err *e)
{
	const struct deploy_cand *cd = &w->cand[ci];
	struct ledger_new n = {
		.sha256 = cd->sha256, .key = key, .meta_key = meta_key,
		.bucket = ru->c->deploycfg.bucket_name, .repo = w->req.repo,
		.prefix = cd->t.prefix, .delivery = w->delivery,
		.pr = w->req.pr, .job_id = cd->job_id, .size = w->csize[ci],
	};

	return ledger_add(&ru->ledger, ru->c->job_manager.job_ids_dir, &n, e);
}

/* The tarball and its metadata signed, when there is a signing_command. */
static int sign_both(const struct conf_strv *sc, const char *tarball,
		     const char *meta, struct err *e)
{
	if (!sc->n)
		return 0;
	return sign_file(sc, tarball, e) < 0 || sign_file(sc, meta, e) < 0 ? -1 : 0;
}

static int upload_one(struct run *ru, struct req_work *w, size_t ci,
		      struct row *row)
{
	const struct deploy_cand *cd = &w->cand[ci];
	const struct conf_deploycfg *d = &ru->c->deploycfg;
	struct buf key = BUF_INIT(S3_KEY_MAX + 32), mkey = BUF_INIT(S3_KEY_MAX + 32),
		   url = BUF_INIT(S3_KEY_MAX * 4), mpath = BUF_INIT(PATH_MAX),
		   sdir = BUF_INIT(PATH_MAX);
	struct err e = ERR_INIT;
	int put_t = 0, put_m = 0, rc = -1;
	const struct ledger_ent *l;

	if ((l = ledger_find(&ru->ledger, cd->sha256))) { /* up since the plan */
		row_ledger(ru, w, l, row);
		ru->st->already++;
		rc = 0;
		goto out;
	}
	if (!s3_client(ru)) {
		row_say(row, 0, "not uploaded yet: %s; tried again by the next "
			"manager run", ru->s3_why);
		goto out;
	}
	if (deploy_key(d->artefact_prefix, &cd->t, 0, &key, &e) < 0 ||
	    deploy_key(d->metadata_prefix, &cd->t, 1, &mkey, &e) < 0 ||
	    object_url(ru, key.s, &url) < 0 || stage_dir(ru, cd->sha256, &sdir, &e) < 0 ||
	    buf_addf(&mpath, "%s/%s.meta.txt", sdir.s, cd->t.name) < 0 ||
	    write_meta(ru, w, ci, url.s, mpath.s, &e) < 0)
		goto fail;
	if (sign_both(&d->signing_command, w->cpath[ci], mpath.s, &e) < 0) {
		row_say(row, 0, "not uploaded yet: signing failed: %s; tried again "
			"by the next manager run", e.msg);
		goto out;
	}
	if (put_once(ru, key.s, w->cpath[ci], "application/gzip", cd->sha256,
		     w->csize[ci], &put_t, &e) < 0 ||
	    put_once(ru, mkey.s, mpath.s, "application/json", NULL, 0, &put_m, &e) < 0 ||
	    (d->signing_command.n &&
	     put_sigs(ru, w->cpath[ci], key.s, mpath.s, mkey.s, &e) < 0) ||
	    record_up(ru, w, ci, key.s, mkey.s, &e) < 0)
		goto fail;
	(void)xio_remove_tree(sdir.s, &e);
	uploaded(ru, w, ci, key.s, put_t, row);
	rc = 0;
	goto out;
fail:
	row_say(row, 0, "not uploaded yet: %s; tried again by the next manager run",
		e.msg[0] ? e.msg : "a path or key too long");
	log_warn("deploy: %s: %s", cd->t.name, row->text);
out:
	if (rc < 0)
		ru->st->failed++;
	buf_release(&key);
	buf_release(&mkey);
	buf_release(&url);
	buf_release(&mpath);
	buf_release(&sdir);
	return rc;
}

/* The plan's verdict on each candidate's row; uploads what is to go up. */
static void carry_out(struct run *ru, struct req_work *w)
{
	size_t i;

	for (i = 0; i < w->ncand; i++) {
		const struct ledger_ent *l = ledger_find(&ru->ledger, w->cand[i].sha256);

		w->cand[i].in_ledger = l != NULL;
		w->cand[i].prefix_in_ledger =
			ledger_has_prefix(&ru->ledger, w->req.repo, w->req.pr,
					  w->cand[i].t.prefix);
	}
	deploy_plan(ru->c->deploycfg.upload_policy, w->cand, w->ncand);
	for (i = 0; i < w->nrows; i++) {
		struct row *row = &w->rows[i];
		const struct deploy_cand *cd;
		const struct ledger_ent *l;

		if (!row->has_cand || !w->cand || row->cand >= w->ncand)
			continue;
		cd = &w->cand[row->cand];
		switch (cd->verdict) {
		case DEPLOY_UPLOAD:
			(void)upload_one(ru, w, row->cand, row);
			continue;
		case DEPLOY_ALREADY:
			if ((l = ledger_find(&ru->ledger, cd->sha256)))
				row_ledger(ru, w, l, row);
			else
				row_say(row, 1, "already uploaded");
			ru->st->already++;
			continue;
		case DEPLOY_POLICY_NONE:
			row_say(row, 1, "not uploaded: upload_policy is none");
			break;
		case DEPLOY_SUPERSEDED:
			row_say(row, 1, "not uploaded: a newer artefact for this "
				"target: %s", w->cand[cd->because].t.name);
			break;
		case DEPLOY_ONCE_DONE:
			row_say(row, 1, "not uploaded: an artefact for this target "
				"of this pull request is uploaded already "
				"(upload_policy once)");
			break;
		}
		ru->st->skipped++;
	}
}

/* The reply's text: the marker it was posted with, then the table. */
static int render(const struct run *ru, const struct req_work *w, int all_final,
		  struct buf *out)
{
	const struct conf *c = ru->c;
	size_t i;

	if (buf_addf(out, "<!-- eessi-bot reply-to=delivery:%s instance=%s -->\n"
		     "@%s deploy (upload_policy %s, bucket `%s`, instance `%s`): %s\n\n",
		     w->delivery, c->github.app_name, w->req.sender,
		     conf_upload_policy_name(c->deploycfg.upload_policy),
		     c->deploycfg.bucket_name ? c->deploycfg.bucket_name : "",
		     c->github.app_name,
		     all_final ? "done" : "in progress, updated by each manager run") < 0)
		return -1;
	if (w->nrows == 0)
		return buf_adds(out, "No finished job of this pull request on this "
				"instance: nothing to upload.\n");
	if (buf_adds(out, "| job | target | artefact | deploy |\n|---|---|---|---|\n") < 0)
		return -1;
	for (i = 0; i < w->nrows; i++) {
		const struct row *r = &w->rows[i];

		if (buf_addf(out, "| %lld | ", r->job_id) < 0 ||
		    status_text(out, r->target) < 0 || buf_adds(out, " | ") < 0 ||
		    (*r->artefact ? buf_adds(out, "`") < 0 ||
		     status_code_text(out, r->artefact, 255) < 0 || buf_adds(out, "`") < 0
				  : buf_adds(out, "-") < 0) ||
		    buf_adds(out, " | ") < 0 || status_text(out, r->text) < 0 ||
		    buf_adds(out, " |\n") < 0)
			return -1;
	}
	return 0;
}

/* The reply edited on GitHub (the run's client opened when needed). */
static int report_edit(struct run *ru, const struct req_work *w, const char *body,
		       struct err *e)
{
	if (!ru->gh) {
		if (github_open(ru->c, &ru->gh, e) < 0)
			return -1;
		ru->own_gh = 1;
	}
	github_set_installation(ru->gh, w->req.installation);
	return github_comment_edit(ru->gh, w->req.repo, w->req.comment_id, body, e);
}

/* ONE edit of the reply when its text changed; the text kept in
 * deploy/reports/DELIVERY.  0 edited or unchanged (*edited), -1 e. */
static int report(struct run *ru, const struct req_work *w, const char *body,
		  int *edited, struct err *e)
{
	const char *dir = ru->c->job_manager.job_ids_dir;
	struct buf p = BUF_INIT(PATH_MAX), last = BUF_INIT(BODY_CAP + 1024);
	struct err re = ERR_INIT;
	int rc = -1;

	*edited = 0;
	if (deploy_path(&p, dir, "reports", w->delivery, e) < 0)
		goto out;
	if (xio_read_file(p.s, &last, 1, &re) == 0 && strcmp(last.s, body) == 0) {
		rc = 0;
		goto out;
	}
	if (cdoc_is_local(w->req.comment_id)) {
		/* chatlevel incognito: no comment to edit; the report is kept */
	} else if (report_edit(ru, w, body, e) < 0) {
		int st = github_last_status(ru->gh);

		if (!ru->gh || (st != 404 && st != 410))
			goto out;
		log_warn("deploy: reply %lld in %s is gone (%d): the report is "
			 "kept without it", w->req.comment_id, w->req.repo, st);
		err_clear(e);
	} else {
		*edited = 1;
	}
	if (deploy_path(&p, dir, "reports", NULL, e) < 0 || xio_mkdir_p(p.s, 0755, e) < 0 ||
	    deploy_path(&p, dir, "reports", w->delivery, e) < 0 ||
	    xio_write_atomic(p.s, body, strlen(body), 0644, e) < 0)
		goto out;
	rc = 0;
out:
	buf_release(&p);
	buf_release(&last);
	return rc;
}

static void work_release(struct req_work *w)
{
	free(w->jobs);
	free(w->cand);
	free(w->cpath);
	free(w->csize);
	free(w->cctime);
	free(w->ccjob);
	free(w->rows);
	memset(w, 0, sizeof(*w));
}

/* pending/DELIVERY -> done/DELIVERY, durable. */
static int move_done(struct run *ru, const char *delivery, struct err *e)
{
	if (deploy_path(&ru->path, ru->c->job_manager.job_ids_dir, NULL, NULL, e) < 0)
		return -1;
	return dirq_move(ru->path.s, delivery, "pending", "done",
			 DIRQ_DURABLE | DIRQ_DURABLE_FROM | DIRQ_MKDIR, e) < 0 ? -1 : 0;
}

/* A request that cannot be read: pending/ -> broken/ with a .reason
 * (logged), so that it does not start a deploy run every minute. */
static void set_aside(struct run *ru, const char *delivery, const char *why)
{
	struct buf dir = BUF_INIT(PATH_MAX);
	struct err e = ERR_INIT;

	if (deploy_path(&dir, ru->c->job_manager.job_ids_dir, NULL, NULL, &e) == 0 &&
	    dirq_set_aside(dir.s, delivery, "pending", "broken", why, &e) == 0)
		log_error("deploy %s: request moved to broken/: %s", delivery, why);
	else
		log_error("deploy %s: unreadable request: %s (%s)", delivery, why,
			  e.msg);
	buf_release(&dir);
}

/* One pending request, start to end.  0 handled (done or left pending),
 * -1 the request itself is unusable or the run broke (e). */
static int one_request(struct run *ru, const char *delivery, struct err *e)
{
	struct buf text = BUF_INIT(INI_MAX_BYTES), body = BUF_INIT(BODY_CAP);
	struct req_work w;
	size_t i;
	unsigned failed0 = ru->st->failed, up0 = ru->st->uploaded;
	unsigned al0 = ru->st->already, sk0 = ru->st->skipped;
	int all_final = 1, edited = 0, rc = -1;

	memset(&w, 0, sizeof(w));
	w.delivery = delivery;
	if (deploy_path(&ru->path, ru->c->job_manager.job_ids_dir, "pending", delivery, e) < 0)
		goto out;
	if (xio_read_file(ru->path.s, &text, 1, e) < 0 ||
	    deploy_req_parse(text.s, text.len, &w.req, e) < 0) {
		set_aside(ru, delivery, e->msg);
		goto out;
	}
	log_set_context(delivery);
	if (collect_jobs(ru, &w, e) < 0)
		goto out;
	if (gather(ru, &w) < 0) {
		err_set(e, ERR_NOMEM, "out of memory or over %d rows", ROW_MAX);
		goto out;
	}
	carry_out(ru, &w);
	for (i = 0; i < w.nrows; i++)
		all_final &= w.rows[i].final;
	if (render(ru, &w, all_final, &body) < 0) {
		buf_clear(&body);
		if (buf_addf(&body, "<!-- eessi-bot reply-to=delivery:%s instance=%s -->\n"
			     "@%s deploy: %zu rows, too many to show here; see the "
			     "bot's log.\n", delivery, ru->c->github.app_name,
			     w.req.sender, w.nrows) < 0)
			goto out;
	}
	if (report(ru, &w, body.s, &edited, e) < 0) {
		log_warn("deploy: reply %lld not updated: %s", w.req.comment_id, e->msg);
		err_clear(e);
		all_final = 0; /* the edit is tried again */
	}
	if (all_final) {
		if (move_done(ru, delivery, e) < 0)
			goto out;
		ru->st->done++;
	}
	log_info("deploy %s#%lld by %s: %zu rows: %u uploaded, %u already, "
		 "%u skipped, %u not yet; reply %lld %s; %s", w.req.repo, w.req.pr,
		 w.req.sender, w.nrows, ru->st->uploaded - up0, ru->st->already - al0,
		 ru->st->skipped - sk0, ru->st->failed - failed0, w.req.comment_id,
		 edited ? "edited" : "unchanged", all_final ? "done" : "still pending");
	rc = 0;
out:
	log_set_context(NULL);
	work_release(&w);
	buf_release(&text);
	buf_release(&body);
	return rc;
}

/* The requests in pending/, oldest first (none when there is no
 * pending/); *names NULL-terminated (dirq_free()). */
static int list_pending(struct run *ru, char ***names, size_t *n,
			struct err *e)
{
	if (deploy_path(&ru->path, ru->c->job_manager.job_ids_dir, NULL, NULL, e) < 0)
		return -1;
	return dirq_list(ru->path.s, "pending", 1, names, n, e);
}

static int lock_take(const char *dir, int *fd, struct err *e)
{
	struct buf p = BUF_INIT(PATH_MAX);
	int rc = -1;

	*fd = -1;
	if (deploy_path(&p, dir, NULL, NULL, e) == 0 && xio_mkdir_p(p.s, 0755, e) == 0 &&
	    deploy_path(&p, dir, "deploy.lock", NULL, e) == 0)
		rc = xio_lock(p.s, fd, e);
	buf_release(&p);
	return rc;
}

/* Who uploads: for the metadata. */
static void uploader(struct run *ru)
{
	struct passwd pw, *res = NULL;
	struct ifaddrs *ifa = NULL, *i;
	char pwbuf[1024];

	snprintf(ru->user, sizeof(ru->user), "%s", "");
	if (getpwuid_r(geteuid(), &pw, pwbuf, sizeof(pwbuf), &res) == 0 && res)
		snprintf(ru->user, sizeof(ru->user), "%s", pw.pw_name);
	if (gethostname(ru->host, sizeof(ru->host)) < 0)
		ru->host[0] = '\0';
	ru->host[sizeof(ru->host) - 1] = '\0';
	ru->ip[0] = '\0';
	if (getifaddrs(&ifa) < 0)
		return;
	for (i = ifa; i && !ru->ip[0]; i = i->ifa_next) {
		const struct sockaddr_in *sin;

		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
			continue;
		sin = (const struct sockaddr_in *)(const void *)i->ifa_addr;
		if ((ntohl(sin->sin_addr.s_addr) >> 24) == 127)
			continue;
		if (!inet_ntop(AF_INET, &sin->sin_addr, ru->ip, sizeof(ru->ip)))
			ru->ip[0] = '\0';
	}
	freeifaddrs(ifa);
}

int deploy_run(const struct conf *c, struct github *gh,
	       struct deploy_stats *st, struct err *e)
{
	struct github_counts g0 = {0}, g1 = {0};
	struct run ru;
	char **names = NULL;
	size_t n = 0, i;
	long long t0 = clock_mono_ms();
	int fd = -1, rc;

	memset(st, 0, sizeof(*st));
	if ((rc = lock_take(c->job_manager.job_ids_dir, &fd, e)) != 0)
		return rc;
	memset(&ru, 0, sizeof(ru));
	ru.c = c;
	ru.st = st;
	ru.gh = gh;
	buf_init(&ru.path, PATH_MAX);
	if (gh)
		github_counts(gh, &g0);
	rc = list_pending(&ru, &names, &n, e);
	if (rc == 0 && n) {
		uploader(&ru);
		ledger_load(&ru.ledger, c->job_manager.job_ids_dir);
	}
	for (i = 0; rc == 0 && i < n; i++) {
		struct err re = ERR_INIT;

		st->requests++;
		if (one_request(&ru, names[i], &re) < 0) {
			log_error("deploy %s: %s", names[i], re.msg);
			if (re.code == ERR_NOMEM || re.code == ERR_SYS)
				rc = err_set(e, re.code, "%s: %s", names[i], re.msg);
		}
	}
	dirq_free(names);
	if (ru.gh) {
		github_counts(ru.gh, &g1);
		st->github_calls = g1.calls - g0.calls;
	}
	if (ru.own_gh)
		github_free(ru.gh);
	if (ru.s3)
		s3_close(ru.s3);
	ledger_free(&ru.ledger);
	buf_release(&ru.path);
	close(fd);
	st->ms = clock_mono_ms() - t0;
	return rc;
}
