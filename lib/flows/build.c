/* build.c - a build request: its targets, the PR's commits merged in the
 * git cache, a job directory and a held sbatch per target, the status
 * comment and the records.
 * Layer: flows (README, "Map of the code"). */
#include "build.h"
#include "build_int.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cdoc.h"
#include "clock.h"
#include "command.h"
#include "conf.h"
#include "delivery.h"
#include "effects.h"
#include "event.h"
#include "github.h"
#include "gitcache.h"
#include "ini.h"
#include "jobargs.h"
#include "jobcfg.h"
#include "jobrec.h"
#include "jobstate.h"
#include "log.h"
#include "num.h"
#include "slurm.h"
#include "status.h"
#include "xio.h"

#define RUN_DIR "run_000" /* a resubmission would make run_001 */
#define NOT_SUBMITTED jobstate_name(JS_NOT_SUBMITTED)
#define STATUS_CAP ((size_t)64 * 1024) /* more than CDOC_BODY_MAX */
#define COPY_CAP ((size_t)1024 * 1024)

/* ---- collecting a request --------------------------------------------- */

/* The job arguments of target i of req, or NULL. */
static const struct jobargs *args_of(const struct build_req *req, size_t i)
{
	return req->args_of && req->args_of[i] ? &req->sets[req->args_of[i] - 1] : NULL;
}

static int same_args(const struct jobargs *a, const struct jobargs *b)
{
	static const struct jobargs none;

	return jobargs_same(a ? a : &none, b ? b : &none);
}

/* Takes targets t[0..n) with job arguments ja (NULL: none): 0; 1 the
 * request would pass TARGET_MAX; 2 a target is there already with other
 * job arguments (its index in *clash); -1 no memory. */
static int take(struct build_req *req, const struct target *t, size_t n,
		const struct jobargs *ja, size_t *clash)
{
	unsigned char set = 0;
	size_t i, j;

	if (!req->t && !(req->t = calloc(TARGET_MAX, sizeof(*req->t))))
		return -1;
	if (!req->args_of && !(req->args_of = calloc(TARGET_MAX, 1)))
		return -1;
	if (ja && (ja->nenv || ja->nsub)) {
		if (!req->sets && !(req->sets = calloc(COMMAND_MAX, sizeof(*req->sets))))
			return -1;
		if (req->nsets == COMMAND_MAX)
			return 1;
		req->sets[req->nsets++] = *ja;
		set = (unsigned char)req->nsets;
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < req->n; j++)
			if (strcmp(req->t[j].dir, t[i].dir) == 0)
				break;
		if (j < req->n) {
			if (!same_args(args_of(req, j), set ? &req->sets[set - 1] : NULL)) {
				*clash = j;
				return 2;
			}
			continue;
		}
		if (req->n == TARGET_MAX)
			return 1;
		req->args_of[req->n] = set;
		req->t[req->n++] = t[i];
	}
	return 0;
}

static int line_problem(struct build_req *req, const struct command *cmd,
			const char *what)
{
	req->bad = 1;
	if (buf_addf(&req->why, "- line %d, `bot: build ", cmd->line) < 0 ||
	    status_code_text(&req->why, cmd->args, 200) < 0 ||
	    buf_addf(&req->why, "`: %s\n", what) < 0)
		return -1;
	return 0;
}

int build_add_targets(struct build_req *req, const struct target *t, size_t n)
{
	size_t clash;
	int rc;

	req->lines++;
	rc = take(req, t, n, NULL, &clash);
	return rc == 2 ? 0 : rc; /* retry: targets without job arguments */
}

/* A line whose filters match no target: said with what the instance
 * builds (text: scratch space). */
static int no_target(const struct conf *c, const struct command *cmd,
		     struct build_req *req, struct buf *text)
{
	if (buf_addf(text, "matches no target of instance `%s`; its targets: ",
		     c->github.app_name) < 0 ||
	    target_describe(c, text) < 0 || buf_adds(text, ".") < 0)
		return -1;
	return line_problem(req, cmd, text->s);
}

/* 1 if the line has inst: (instance:) words and none names this instance:
 * the line is another instance's, whatever else it holds. */
static int other_instance(const struct conf *c, const char *args)
{
	const char *p = args;
	int seen = 0;

	while (*p) {
		size_t n = strcspn(p, " \t"), skip = 0;

		if (n > 5 && strncasecmp(p, "inst:", 5) == 0)
			skip = 5;
		else if (n > 9 && strncasecmp(p, "instance:", 9) == 0)
			skip = 9;
		if (skip) {
			if (n - skip == strlen(c->github.app_name) &&
			    strncasecmp(p + skip, c->github.app_name, n - skip) == 0)
				return 0;
			seen = 1;
		}
		p += n;
		p += strspn(p, " \t");
	}
	return seen;
}

int build_add_line(const struct conf *c, const struct command *cmd,
		   struct build_req *req)
{
	struct filters f;
	struct target *found = NULL;
	struct jobargs *ja = NULL;
	struct buf valid = BUF_INIT(8192);
	char why[512], rest[COMMAND_ARGS_MAX + 1];
	size_t n = 0, clash = 0;
	int rc = -1, m;

	if (cmd->too_long) {
		req->lines++;
		rc = line_problem(req, cmd, "the line is too long.");
		goto out;
	}
	if (!(ja = malloc(sizeof(*ja))))
		goto out;
	if (other_instance(c, cmd->args)) { /* its job arguments are its own */
		rc = 0;
		goto out;
	}
	if (jobargs_take(c, cmd->args, ja, rest, sizeof(rest), why, sizeof(why)) < 0 ||
	    filter_parse(rest, &f, why, sizeof(why)) < 0) {
		rc = line_problem(req, cmd, why);
		req->lines++;
		goto out;
	}
	if (!(found = calloc(TARGET_MAX, sizeof(*found))))
		goto out;
	m = target_match(c, &f, found, TARGET_MAX, &n);
	if (m == 1) { /* another instance's line */
		rc = 0;
		goto out;
	}
	req->lines++;
	if (m < 0) {
		rc = line_problem(req, cmd, "matches more targets than one "
				  "request may have; narrow it down.");
		goto out;
	}
	if (n == 0) {
		rc = no_target(c, cmd, req, &valid);
		goto out;
	}
	rc = take(req, found, n, ja, &clash);
	if (rc == 1)
		rc = line_problem(req, cmd, "the request has more targets than "
				  "one request may have.");
	else if (rc == 2 && (buf_addf(&valid, "asks for `%s` again, with other job "
				      "arguments than an earlier line.",
				      req->t[clash].name) < 0 ||
			     (rc = line_problem(req, cmd, valid.s)) < 0))
		rc = -1;
out:
	free(found);
	free(ja);
	buf_release(&valid);
	return rc;
}

int build_add_all(const struct conf *c, struct build_req *req)
{
	struct filters f = { .n = 0 };
	struct target *found = calloc(TARGET_MAX, sizeof(*found));
	size_t n = 0;
	int rc = -1;

	if (!found)
		return -1;
	req->lines++;
	if (target_match(c, &f, found, TARGET_MAX, &n) < 0 || n == 0) {
		req->bad = 1;
		rc = buf_adds(&req->why, n ? "- the instance has more targets "
			      "than one request may have.\n"
			      : "- the instance has no target to build.\n") < 0 ? -1 : 0;
	} else {
		size_t clash;

		rc = take(req, found, n, NULL, &clash) == 0 ? 0 : -1;
	}
	free(found);
	return rc;
}

void build_req_release(struct build_req *req)
{
	free(req->t);
	free(req->sets);
	free(req->args_of);
	req->t = NULL;
	req->sets = NULL;
	req->args_of = NULL;
	req->n = req->nsets = 0;
	buf_release(&req->why);
}

/* ---- carrying it out ---------------------------------------------------- */

/* What a request works with, gathered once. */
struct job_plan {
	struct delivery_ctx *ctx;
	const struct event *ev;
	const char *user;
	long long t0;           /* the request's time (epoch s, journalled) */
	char head_sha[JOBREC_SHA_MAX + 1];
	char base_ref[NAMES_REF_MAX + 1];
	char base_sha[JOBREC_SHA_MAX + 1];
	char merge_sha[JOBREC_SHA_MAX + 1];
	struct buf run_dir;     /* .../event_DELIVERY/run_000 */
	struct buf cache_dir;
	struct ini *repos;      /* repos.cfg, when a target has a repository */
	long long status_id;
	const struct jobargs *ja; /* the target being submitted: its job
				   * arguments, or NULL */
	/* a submitted job's row and record: "held" (hold_release) or
	 * "submitted" (delayed_begin), with a note saying what comes next */
	const char *job_state;
	char job_note[64];
};

/* A journalled value, or "" (into out, size bytes). */
static void journal_get(const struct delivery_ctx *ctx, const char *key,
			char *out, size_t size)
{
	struct buf v = BUF_INIT(4096);

	out[0] = '\0';
	if (effects_get(ctx->fx, key, &v))
		snprintf(out, size, "%s", v.s);
	buf_release(&v);
}

static int journal_num(struct delivery_ctx *ctx, const char *key, long long *v,
		       long long now, struct err *e)
{
	char s[32];

	journal_get(ctx, key, s, sizeof(s));
	if (*s) {
		*v = num_or(s, 0);
		return 0;
	}
	*v = now;
	snprintf(s, sizeof(s), "%lld", now);
	return effects_put(ctx->fx, key, s, e);
}

/* Step 1: which commit, onto which branch.  1 when the PR must be told
 * something instead (said in reply). */
static int pr_commits(struct job_plan *p, struct buf *reply, struct err *e)
{
	struct delivery_ctx *ctx = p->ctx;
	struct github_pull pull;

	journal_get(ctx, "pr.head", p->head_sha, sizeof(p->head_sha));
	journal_get(ctx, "pr.base", p->base_ref, sizeof(p->base_ref));
	if (!*p->head_sha) {
		if (*p->ev->head_sha) { /* the label event says */
			snprintf(p->head_sha, sizeof(p->head_sha), "%s", p->ev->head_sha);
			snprintf(p->base_ref, sizeof(p->base_ref), "%s", p->ev->base_ref);
		} else {
			if (github_pull_get(delivery_github(ctx, p->ev, e), p->ev->repo,
					    p->ev->issue, &pull, e) < 0)
				return -1;
			if (!pull.open) { /* closed since the comment was made */
				log_info("build refused: pull request #%lld is "
					 "closed", p->ev->issue);
				return buf_adds(reply, BUILD_CLOSED_REPLY "\n\n") < 0
					       ? err_set(e, ERR_TOOBIG, "reply too long")
					       : 1;
			}
			snprintf(p->head_sha, sizeof(p->head_sha), "%s", pull.head_sha);
			snprintf(p->base_ref, sizeof(p->base_ref), "%s", pull.base_ref);
		}
		if (!names_valid_sha(p->head_sha))
			return err_set(e, ERR_INVAL, "PR head '%.70s' is not a SHA",
				       p->head_sha);
		if (effects_put(ctx->fx, "pr.base", p->base_ref, e) < 0 ||
		    effects_put(ctx->fx, "pr.head", p->head_sha, e) < 0)
			return -1;
	}
	if (!names_valid_ref(p->base_ref)) {
		if (buf_adds(reply, "The base branch `") < 0 ||
		    status_code_text(reply, p->base_ref, 100) < 0 ||
		    buf_adds(reply, "` has a name this bot does not accept "
			     "(letters, digits, '.', '_', '+', '-' and '/' only). "
			     "Nothing was submitted.\n\n") < 0)
			return err_set(e, ERR_TOOBIG, "reply too long");
		return 1;
	}
	return 0;
}

/* Step 2: the merge commit.  1 on a conflict (said in reply). */
static int merge(struct job_plan *p, struct buf *reply, struct err *e)
{
	struct delivery_ctx *ctx = p->ctx;
	const struct conf *c = ctx->c;
	struct buf url = BUF_INIT(4096);
	struct gitcache_merge m = { .files = BUF_INIT(4096) };
	struct gitcache_req r;
	int rc = -1;

	journal_get(ctx, "git.merge", p->merge_sha, sizeof(p->merge_sha));
	journal_get(ctx, "git.base", p->base_sha, sizeof(p->base_sha));
	if (*p->merge_sha && *p->base_sha)
		return 0;
	if (buf_addf(&url, "%s/%s.git", c->github.git_url, p->ev->repo) < 0) {
		err_set(e, ERR_TOOBIG, "repository URL too long");
		goto out;
	}
	r = (struct gitcache_req){ .cache_dir = p->cache_dir.s, .url = url.s,
		.repo = p->ev->repo, .pr = p->ev->issue, .head_sha = p->head_sha,
		.base_ref = p->base_ref, .base_sha = p->base_sha, .date = p->t0 };
	if (gitcache_merge(&r, &m, e) < 0)
		goto out;
	if (m.conflict) {
		rc = 1;
		if (buf_addf(reply, "The pull request's head `%.7s` does not merge "
			     "cleanly onto `%s` (`%.7s`); nothing was submitted. "
			     "Conflicting files:\n", p->head_sha, p->base_ref,
			     m.base_sha) < 0)
			rc = err_set(e, ERR_TOOBIG, "reply too long");
		for (const char *f = m.files.s; rc == 1 && *f;) {
			size_t n = strcspn(f, "\n");
			char name[256];

			snprintf(name, sizeof(name), "%.*s", (int)(n < 255 ? n : 255), f);
			if (buf_adds(reply, "- `") < 0 || status_code_text(reply, name, 200) < 0 ||
			    buf_adds(reply, "`\n") < 0)
				rc = err_set(e, ERR_TOOBIG, "reply too long");
			f += n + (f[n] == '\n');
		}
		if (rc == 1 && buf_adds(reply, "\n") < 0)
			rc = err_set(e, ERR_TOOBIG, "reply too long");
		goto out;
	}
	snprintf(p->base_sha, sizeof(p->base_sha), "%s", m.base_sha);
	snprintf(p->merge_sha, sizeof(p->merge_sha), "%s", m.merge_sha);
	if (effects_put(ctx->fx, "git.base", p->base_sha, e) < 0 ||
	    effects_put(ctx->fx, "git.merge", p->merge_sha, e) < 0)
		goto out;
	log_info("merge %.12s = head %.12s onto %s %.12s (%s)", p->merge_sha,
		 p->head_sha, p->base_ref, p->base_sha,
		 m.fetched ? "fetched" : "cache was warm");
	rc = 0;
out:
	buf_release(&url);
	buf_release(&m.files);
	return rc;
}

/* The status comment's document: the request and a row per target
 * (req->t[i] is doc->rows[i]), all "preparing". */
static int doc_init(const struct job_plan *p, const struct build_req *req,
		    struct cdoc *doc, struct err *e)
{
	const struct event *ev = p->ev;
	size_t i;

	memset(doc, 0, sizeof(*doc));
	doc->pr_number = ev->issue;
	if (snprintf(doc->repo, sizeof(doc->repo), "%s", ev->repo) >= (int)sizeof(doc->repo) ||
	    snprintf(doc->instance, sizeof(doc->instance), "%s", p->ctx->c->github.app_name) >= (int)sizeof(doc->instance) ||
	    snprintf(doc->delivery, sizeof(doc->delivery), "%s", ev->delivery) >= (int)sizeof(doc->delivery) ||
	    snprintf(doc->requested_by, sizeof(doc->requested_by), "%s", p->user ? p->user : "") >= (int)sizeof(doc->requested_by) ||
	    snprintf(doc->head_sha, sizeof(doc->head_sha), "%s", p->head_sha) >= (int)sizeof(doc->head_sha) ||
	    snprintf(doc->base_ref, sizeof(doc->base_ref), "%s", p->base_ref) >= (int)sizeof(doc->base_ref) ||
	    snprintf(doc->base_sha, sizeof(doc->base_sha), "%s", p->base_sha) >= (int)sizeof(doc->base_sha))
		return err_set(e, ERR_INVAL, "status document: a request field "
			       "is too long");
	for (i = 0; i < req->n; i++) {
		struct cdoc_row *r = cdoc_add_row(doc);

		if (!r) {
			cdoc_release(doc);
			return err_set(e, ERR_NOMEM, "status document rows");
		}
		if (snprintf(r->target, sizeof(r->target), "%s", req->t[i].name) >= (int)sizeof(r->target) ||
		    snprintf(r->key, sizeof(r->key), "%s", req->t[i].key) >= (int)sizeof(r->key)) {
			cdoc_release(doc);
			return err_set(e, ERR_INVAL, "status document: target "
				       "%.100s too long", req->t[i].key);
		}
		snprintf(r->state, sizeof(r->state), "%s", jobstate_name(JS_PREPARING));
		r->changed_at = (long long)time(NULL);
	}
	return 0;
}

static int doc_body(const struct cdoc *doc, struct buf *out, struct err *e)
{
	buf_clear(out);
	if (cdoc_body(doc, out) < 0)
		return err_set(e, ERR_TOOBIG, "status comment too long");
	return 0;
}

static int copy_file(const char *from, const char *to, struct err *e)
{
	struct buf data = BUF_INIT(COPY_CAP);
	int rc = -1;

	if (xio_read_file(from, &data, 1, e) == 0 &&
	    xio_write_atomic(to, data.s, data.len, 0644, e) == 0)
		rc = 0;
	buf_release(&data);
	return rc;
}

/* cfg/repos.cfg and the regular files of REPOS_CFG_DIR/REPO_ID/. */
int build_copy_repo_cfg(const struct conf *c, const char *repo_id,
			const char *cfg, struct err *e)
{
	struct buf from = BUF_INIT(4096), to = BUF_INIT(4096);
	DIR *d = NULL;
	struct dirent *de;
	int rc = -1;

	if (buf_addf(&from, "%s/%s", c->repo_targets.repos_cfg_dir,
		     JOBCFG_REPOS_FILE) < 0 ||
	    buf_addf(&to, "%s/%s", cfg, JOBCFG_REPOS_FILE) < 0) {
		err_set(e, ERR_TOOBIG, "repos_cfg_dir path too long");
		goto out;
	}
	if (copy_file(from.s, to.s, e) < 0)
		goto out;
	buf_clear(&from);
	buf_clear(&to);
	if (buf_addf(&from, "%s/%s", c->repo_targets.repos_cfg_dir, repo_id) < 0 ||
	    buf_addf(&to, "%s/%s", cfg, repo_id) < 0) {
		err_set(e, ERR_TOOBIG, "repos_cfg_dir path too long");
		goto out;
	}
	if (!(d = opendir(from.s))) {
		rc = errno == ENOENT ? 0 : err_sys(e, "open %s", from.s);
		goto out;
	}
	if (mkdir(to.s, 0755) < 0 && errno != EEXIST) {
		err_sys(e, "mkdir %s", to.s);
		goto out;
	}
	while ((de = readdir(d))) {
		size_t fl = from.len, tl = to.len;
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		if (buf_addf(&from, "/%s", de->d_name) < 0 ||
		    buf_addf(&to, "/%s", de->d_name) < 0) {
			err_set(e, ERR_TOOBIG, "path too long: %s", de->d_name);
			goto out;
		}
		if (lstat(from.s, &st) == 0 && S_ISREG(st.st_mode) &&
		    copy_file(from.s, to.s, e) < 0)
			goto out;
		buf_truncate(&from, fl);
		buf_truncate(&to, tl);
	}
	rc = 0;
out:
	if (d)
		closedir(d);
	buf_release(&from);
	buf_release(&to);
	return rc;
}

/* The names the bot, Slurm and the job write in a job directory: cfg/,
 * slurm-<ID>.out, _bot_job<ID>.*.  Whatever the pull request brought
 * under them goes before anything is written: a symlink there would make
 * the bot (or Slurm, opening the job's output) write where it points. */
int build_clear_reserved(const char *dir, struct err *e)
{
	struct buf path = BUF_INIT(4096);
	DIR *d = opendir(dir);
	struct dirent *de;
	int rc = 0, n = 0;

	if (!d)
		return err_sys(e, "open %s", dir);
	while (rc == 0 && (de = readdir(d))) {
		if (strcmp(de->d_name, "cfg") != 0 &&
		    strncmp(de->d_name, "slurm-", 6) != 0 &&
		    strncmp(de->d_name, "_bot_job", 8) != 0)
			continue;
		buf_clear(&path);
		if (buf_addf(&path, "%s/%s", dir, de->d_name) < 0)
			rc = err_set(e, ERR_TOOBIG, "path too long in %s", dir);
		else if ((rc = xio_remove_tree(path.s, e)) == 0)
			n++;
	}
	closedir(d);
	buf_release(&path);
	if (n > 0)
		log_warn("the pull request had %d entr%s under the bot's names "
			 "(cfg, slurm-*, _bot_job*): removed", n, n == 1 ? "y" : "ies");
	return rc;
}

/* cfg/export_vars and cfg/submit_args of a target with job arguments
 * (lib/core/jobargs.h): data, one KEY=VALUE per line, never shell text. */
int build_write_jobargs(const struct jobargs *ja, const char *cfg, struct err *e)
{
	struct buf text = BUF_INIT(64 * 1024), path = BUF_INIT(4096);
	int rc = -1;

	if (!ja || (!ja->nenv && !ja->nsub))
		return 0;
	if (ja->nenv && (jobargs_env_text(ja, &text) < 0 ||
			 buf_addf(&path, "%s/%s", cfg, BUILD_ENV_FILE) < 0 ||
			 xio_write_atomic(path.s, text.s, text.len, 0644, e) < 0))
		goto out;
	buf_clear(&text);
	buf_clear(&path);
	if (ja->nsub && (jobargs_submit_text(ja, &text) < 0 ||
			 buf_addf(&path, "%s/%s", cfg, BUILD_SUBMIT_FILE) < 0 ||
			 xio_write_atomic(path.s, text.s, text.len, 0644, e) < 0))
		goto out;
	rc = 0;
out:
	if (rc < 0 && !e->code)
		err_set(e, ERR_TOOBIG, "job arguments: path too long");
	buf_release(&text);
	buf_release(&path);
	return rc;
}

int build_sbatch_argv(const struct conf *c, const struct target *t, long long pr,
		      const char *comment, const struct jobargs *ja,
		      struct build_sbatch *sb, struct err *e)
{
	if (slurm_sbatch_argv(c, t, pr, comment, &sb->argv, e) < 0)
		return -1;
	for (size_t i = 0; ja && i < ja->nsub; i++) {
		snprintf(sb->extra[i], sizeof(sb->extra[i]), "%s=%s", ja->sub[i].key,
			 ja->sub[i].value);
		if (slurm_argv_add(&sb->argv, sb->extra[i], e) < 0)
			return -1;
	}
	return 0;
}

/* Step 4a: the job directory, made aside and renamed into place, so an
 * existing one is complete. */
static int make_job_dir(const struct job_plan *p, const struct target *t,
			const char *dir, struct err *e)
{
	const struct conf *c = p->ctx->c;
	struct buf tmp = BUF_INIT(4096), cfg = BUF_INIT(4096),
		   jobcfg = BUF_INIT(64 * 1024), path = BUF_INIT(4096);
	struct stat st;
	char *slash;
	int rc = -1;

	if (stat(dir, &st) == 0)
		return 0;
	if (buf_addf(&tmp, "%s.tmp", dir) < 0 ||
	    buf_addf(&cfg, "%s/cfg", dir) < 0 ||
	    buf_addf(&path, "%s/cfg/job.cfg", tmp.s) < 0) {
		err_set(e, ERR_TOOBIG, "job directory path too long");
		goto out;
	}
	if (xio_remove_tree(tmp.s, e) < 0)
		goto out;
	slash = strrchr(tmp.s, '/');
	*slash = '\0';
	if (xio_mkdir_p(tmp.s, 0755, e) < 0)
		goto out;
	*slash = '/';
	if (gitcache_checkout(p->cache_dir.s, p->ev->repo, p->merge_sha, tmp.s,
			      e) < 0 || build_clear_reserved(tmp.s, e) < 0)
		goto out;
	buf_truncate(&path, path.len - strlen("/job.cfg"));
	if (mkdir(path.s, 0755) < 0) { /* cfg/ is the bot's: new, or an error */
		err_sys(e, "mkdir %s", path.s);
		goto out;
	}
	if ((*t->repo_id && build_copy_repo_cfg(c, t->repo_id, path.s, e) < 0) ||
	    build_write_jobargs(p->ja, path.s, e) < 0)
		goto out;
	if (buf_adds(&path, "/job.cfg") < 0 ||
	    jobcfg_render(c, t, cfg.s, *t->repo_id ? p->repos : NULL, &jobcfg, e) < 0 ||
	    xio_write_atomic(path.s, jobcfg.s, jobcfg.len, 0644, e) < 0)
		goto out;
	if (rename(tmp.s, dir) < 0) {
		err_sys(e, "rename %s", tmp.s);
		goto out;
	}
	*slash = '\0';
	rc = xio_fsync_dir(tmp.s, e);
out:
	buf_release(&tmp);
	buf_release(&cfg);
	buf_release(&jobcfg);
	buf_release(&path);
	return rc;
}

static int fill_record(const struct job_plan *p, const struct target *t,
		       const char *dir, long long job_id, struct jobrec *r)
{
	memset(r, 0, sizeof(*r));
	r->job_id = job_id;
	r->pr_number = p->ev->issue;
	r->pr_comment_id = p->status_id;
	r->submitted_at = p->t0;
	r->changed_at = p->t0;
	if (snprintf(r->repo, sizeof(r->repo), "%s", p->ev->repo) >= (int)sizeof(r->repo) ||
	    snprintf(r->instance, sizeof(r->instance), "%s", p->ctx->c->github.app_name) >= (int)sizeof(r->instance) ||
	    snprintf(r->delivery, sizeof(r->delivery), "%s", p->ev->delivery) >= (int)sizeof(r->delivery) ||
	    snprintf(r->target, sizeof(r->target), "%s", t->arch->target) >= (int)sizeof(r->target) ||
	    snprintf(r->repo_id, sizeof(r->repo_id), "%s", t->repo_id) >= (int)sizeof(r->repo_id) ||
	    snprintf(r->accelerator, sizeof(r->accelerator), "%s", t->accel) >= (int)sizeof(r->accelerator) ||
	    snprintf(r->target_key, sizeof(r->target_key), "%s", t->key) >= (int)sizeof(r->target_key) ||
	    snprintf(r->job_dir, sizeof(r->job_dir), "%s", dir) >= (int)sizeof(r->job_dir) ||
	    snprintf(r->requested_by, sizeof(r->requested_by), "%s", p->user) >= (int)sizeof(r->requested_by))
		return -1;
	snprintf(r->head_sha, sizeof(r->head_sha), "%s", p->head_sha);
	snprintf(r->base_ref, sizeof(r->base_ref), "%s", p->base_ref);
	snprintf(r->base_sha, sizeof(r->base_sha), "%s", p->base_sha);
	snprintf(r->merge_sha, sizeof(r->merge_sha), "%s", p->merge_sha);
	snprintf(r->state, sizeof(r->state), "%s", p->job_state);
	return 0;
}

/* The job's record as text (into text, cleared first). */
static int record_text(const struct job_plan *p, const struct target *t,
		       const char *dir, long long job_id, struct buf *text,
		       struct err *e)
{
	struct jobrec r;

	buf_clear(text);
	if (fill_record(p, t, dir, job_id, &r) < 0)
		return err_set(e, ERR_TOOBIG, "job record field too long");
	return jobrec_render(&r, text, e);
}

/* Writes path with text unless it exists: a record the manager may have
 * changed since is never overwritten. */
int build_write_once(const char *path, const struct buf *text, struct err *e)
{
	struct err e2 = ERR_INIT;

	if (xio_create_atomic(path, text->s, text->len, 0644, &e2) == 0)
		return 0;
	if (access(path, F_OK) == 0)
		return 0;
	return err_set(e, e2.code, "%s", e2.msg);
}

/* Step 4c: the metadata beside the job and the job-id symlink. */
static int job_links(const struct job_plan *p, const struct target *t,
		     const char *dir, long long job_id, struct err *e)
{
	struct buf text = BUF_INIT(16 * 1024), path = BUF_INIT(4096);
	int rc = -1;

	if (record_text(p, t, dir, job_id, &text, e) < 0 ||
	    buf_addf(&path, "%s/_bot_job%lld.metadata", dir, job_id) < 0 ||
	    build_write_once(path.s, &text, e) < 0)
		goto out;
	buf_clear(&path);
	if (buf_addf(&path, "%s/%lld", p->ctx->c->buildenv.jobs_base_dir, job_id) < 0)
		goto out;
	if (symlink(dir, path.s) < 0 && errno != EEXIST) {
		err_sys(e, "symlink %s", path.s);
		goto out;
	}
	rc = 0;
out:
	buf_release(&text);
	buf_release(&path);
	return rc;
}

/* Step 6: the manager's record. */
static int job_record(const struct job_plan *p, const struct target *t,
		      const char *dir, long long job_id, struct err *e)
{
	struct buf text = BUF_INIT(16 * 1024), path = BUF_INIT(4096);
	int rc = -1;

	if (buf_addf(&path, "%s/submitted", p->ctx->c->job_manager.job_ids_dir) < 0 ||
	    xio_mkdir_p(path.s, 0755, e) < 0 ||
	    record_text(p, t, dir, job_id, &text, e) < 0 ||
	    buf_addf(&path, "/%lld", job_id) < 0 ||
	    build_write_once(path.s, &text, e) < 0)
		goto out;
	rc = 0;
out:
	buf_release(&text);
	buf_release(&path);
	return rc;
}

static int row_set(struct cdoc_row *row, const char *state, const char *note,
		   struct err *e)
{
	snprintf(row->state, sizeof(row->state), "%s", state);
	row->changed_at = (long long)time(NULL);
	if (cdoc_set_note(row, note) < 0)
		return err_set(e, ERR_NOMEM, "status row note");
	return 0;
}

/* The job directory and sbatch for one target, its intent journalled
 * under intent_key first: 0 with *id (0 when it was not submitted: the
 * row says why), -1 e. */
static int sbatch_once(struct job_plan *p, const struct target *t,
		       const char *dir, const char *comment,
		       const char *intent_key, struct cdoc_row *row,
		       long long *id, struct err *e)
{
	struct delivery_ctx *ctx = p->ctx;
	struct build_sbatch *sb = NULL;
	struct err e2 = ERR_INIT;
	char num[32];
	int rc = -1;

	*id = 0;
	if (make_job_dir(p, t, dir, &e2) < 0) {
		log_error("%s: job directory: %s", t->name, e2.msg);
		return row_set(row, NOT_SUBMITTED, e2.msg, e);
	}
	if (!(sb = calloc(1, sizeof(*sb))))
		return err_set(e, ERR_NOMEM, "sbatch argv");
	snprintf(num, sizeof(num), "%lld", clock_wall_ms());
	if (effects_put(ctx->fx, intent_key, num, e) < 0 ||
	    build_sbatch_argv(ctx->c, t, p->ev->issue, comment, p->ja, sb, e) < 0)
		goto out;
	if (slurm_submit(&sb->argv, dir, id, &e2) < 0) {
		log_error("%s: %s", t->name, e2.msg);
		*id = 0;
		/* the controller out of reach: the whole delivery comes back
		 * later (the intent makes that run look for the job first) */
		rc = e2.code == ERR_AGAIN ? err_set(e, ERR_AGAIN, "%s: %s",
						    t->name, e2.msg)
		     : row_set(row, NOT_SUBMITTED, e2.msg, e);
		goto out;
	}
	log_info("job %lld submitted for %s in %s", *id, t->name, dir);
	rc = 0;
out:
	free(sb);
	return rc;
}

/* Step 4b: sbatch, at most once per (delivery, target).  0 with
 * row->job_id set (or the row saying why not), 1 later, -1 failed. */
static int submit(struct job_plan *p, const struct target *t, const char *dir,
		  struct cdoc_row *row, struct err *e)
{
	struct delivery_ctx *ctx = p->ctx;
	const struct conf *c = ctx->c;
	struct buf key = BUF_INIT(EFFECTS_KEY_MAX + 16), v = BUF_INIT(64);
	char comment[768], num[32];
	long long id = 0;
	int rc = -1;

	if (buf_addf(&key, "job.%s", t->key) < 0 || key.len > EFFECTS_KEY_MAX - 7) {
		err_set(e, ERR_TOOBIG, "target key too long: %.100s", t->key);
		goto out;
	}
	if (slurm_job_comment(c->github.app_name, p->ev->delivery, t, comment,
			      sizeof(comment)) < 0) {
		err_set(e, ERR_INVAL, "no job comment from instance %s, delivery "
			"%s, target %.100s", c->github.app_name, p->ev->delivery,
			t->key);
		goto out;
	}
	if (effects_get(ctx->fx, key.s, &v)) {
		row->job_id = num_or(v.s, 0);
		rc = 0;
		goto out;
	}
	if (buf_adds(&key, ".intent") < 0)
		goto out;
	if (effects_get(ctx->fx, key.s, &v)) {
		/* a run died around sbatch: did the job get in? */
		if ((rc = delivery_settle(ctx, num_or(v.s, 0))) != 0)
			goto out;
		rc = -1;
		if (slurm_find(c->job_manager.poll_command, comment, &id, e) < 0)
			goto out;
		if (id)
			log_info("job %lld for %s found: submitted by an earlier run",
				 id, t->name);
	}
	if (!id && (rc = sbatch_once(p, t, dir, comment, key.s, row, &id, e)) != 0)
		goto out;
	rc = -1;
	if (!id) { /* not submitted: the row says why */
		rc = 0;
		goto out;
	}
	buf_truncate(&key, key.len - strlen(".intent"));
	snprintf(num, sizeof(num), "%lld", id);
	if (effects_put(ctx->fx, key.s, num, e) < 0)
		goto out;
	row->job_id = id;
	rc = 0;
out:
	buf_release(&key);
	buf_release(&v);
	return rc;
}

/* A submitted job's row: "held" (hold_release: the manager releases it) or
 * "submitted" (delayed_begin: it starts by itself), and what comes next. */
static void plan_handover(struct job_plan *p, const struct conf *c)
{
	if (c->buildenv.job_handover_protocol == CONF_HANDOVER_DELAYED_BEGIN) {
		p->job_state = jobstate_name(JS_SUBMITTED);
		snprintf(p->job_note, sizeof(p->job_note), "starts in about %lld s",
			 c->buildenv.job_delay_begin_factor *
				 c->job_manager.poll_interval);
	} else {
		p->job_state = jobstate_name(JS_HELD);
		snprintf(p->job_note, sizeof(p->job_note),
			 "submitted, waiting for release");
	}
}

static int plan_init(struct job_plan *p, struct delivery_ctx *ctx,
		     const struct event *ev, const char *user, struct err *e)
{
	const struct conf *c = ctx->c;
	char month[16];
	struct tm tm;
	time_t t;

	memset(p, 0, sizeof(*p));
	p->ctx = ctx;
	p->ev = ev;
	p->user = user;
	buf_init(&p->run_dir, 4096);
	buf_init(&p->cache_dir, 4096);
	plan_handover(p, c);
	if (journal_num(ctx, "req.time", &p->t0, (long long)time(NULL), e) < 0)
		return -1;
	t = (time_t)p->t0;
	if (!gmtime_r(&t, &tm) || strftime(month, sizeof(month), "%Y.%m", &tm) == 0)
		return err_set(e, ERR_INVAL, "req.time %lld: not a date", p->t0);
	if (buf_addf(&p->run_dir, "%s/%s/%s/pr_%lld/event_%s/" RUN_DIR,
		     c->buildenv.jobs_base_dir, month, ev->repo, ev->issue,
		     ev->delivery) < 0 ||
	    build_cache_dir(c, &p->cache_dir) < 0)
		return err_set(e, ERR_TOOBIG, "job directory path too long");
	return 0;
}

int build_cache_dir(const struct conf *c, struct buf *out)
{
	return c->buildenv.git_cache_dir
		       ? buf_adds(out, c->buildenv.git_cache_dir)
		       : buf_addf(out, "%s/.git-cache", c->buildenv.jobs_base_dir);
}

int build_trash_dir(const struct conf *c, struct buf *out)
{
	return c->clean_up.trash_bin_dir
		       ? buf_adds(out, c->clean_up.trash_bin_dir)
		       : buf_addf(out, "%s/trash_bin", c->buildenv.jobs_base_dir);
}

static void plan_release(struct job_plan *p)
{
	buf_release(&p->run_dir);
	buf_release(&p->cache_dir);
	ini_free(p->repos);
}

/* repos.cfg, when a target has a repository: a problem is shown per row. */
static int load_repos(struct job_plan *p, const struct build_req *req,
		      struct cdoc *doc, struct err *e)
{
	const struct conf *c = p->ctx->c;
	struct buf path = BUF_INIT(4096);
	struct err e2 = ERR_INIT;
	size_t i;
	int rc = 0;

	for (i = 0; i < req->n && !*req->t[i].repo_id; i++)
		;
	if (i == req->n)
		return 0;
	if (!c->repo_targets.repos_cfg_dir)
		err_set(&e2, ERR_CONFIG, "repo_targets.repos_cfg_dir is not set");
	else if (buf_addf(&path, "%s/%s", c->repo_targets.repos_cfg_dir,
			  JOBCFG_REPOS_FILE) == 0)
		ini_load(path.s, &p->repos, &e2);
	if (e2.code != ERR_NONE) {
		log_error("%s", e2.msg);
		for (i = 0; i < req->n && rc == 0; i++)
			if (*req->t[i].repo_id && !doc->rows[i].job_id)
				rc = row_set(&doc->rows[i], NOT_SUBMITTED, e2.msg, e);
	}
	buf_release(&path);
	return rc;
}

/* Step 5: the document the manager renders the comment from, before the
 * records that make it follow the jobs.  Never overwrites one (a rerun
 * after a crash: the manager may have changed it since).  A failure is
 * logged, not fatal: the jobs are in Slurm and their records must be
 * written; the manager makes the document again from them. */
static void save_doc(struct job_plan *p, struct cdoc *doc)
{
	struct err e = ERR_INIT;

	doc->comment_id = p->status_id;
	if (cdoc_save(p->ctx->c->job_manager.job_ids_dir, doc, 1, &e) < 0) {
		log_error("status comment %lld: document not saved: %s",
			  p->status_id, e.msg);
		delivery_note(p->ctx, "build: status document not saved: %.200s",
			   e.msg);
	}
}

/* Steps 1 and 2, and what the PR is told when they fail: 0 go on; 1 done
 * (the PR was told why nothing is built: *said); -1 e. */
static int commits_step(struct job_plan *p, struct buf *reply, int *said,
			struct err *e)
{
	int step = pr_commits(p, reply, e);

	if (step == 0)
		step = merge(p, reply, e);
	if (step == 1) {
		*said = 1;
		delivery_note(p->ctx, "build: nothing submitted (told the PR why)");
		return 1;
	}
	/* out of memory, or GitHub out of reach (ERR_AGAIN: tried again
	 * later): the delivery fails or waits, the PR is not told */
	if (step == 0 || e->code == ERR_NOMEM || e->code == ERR_TOOBIG ||
	    e->code == ERR_AGAIN ||
	    buf_addf(reply, "The build could not start on instance `%s`: "
		     "getting or merging the pull request's commits failed "
		     "(the instance's log says why).  Nothing was submitted; "
		     "ask again once the cause is fixed.\n\n",
		     p->ctx->c->github.app_name) < 0)
		return step;
	log_error("build: %s", e->msg);
	delivery_note(p->ctx, "build: nothing submitted: %.200s", e->msg);
	err_clear(e);
	*said = 1;
	return 1;
}

/* The disk guard, before anything of a request is made (a rerun that has
 * its status comment already goes on: its jobs are half made).  1 when
 * the file system of jobs_base_dir has less free space or inodes than the
 * minimums (the PR told, the log naming the file system), 0 go on, -1 e. */
static int disk_guard(struct job_plan *p, struct buf *reply, int *said,
		      struct err *e)
{
	const struct conf_buildenv *b = &p->ctx->c->buildenv;
	struct buf v = BUF_INIT(64);
	long long bytes, inodes, mb;
	char mount[PATH_MAX];
	int started = effects_get(p->ctx->fx, "status", &v);

	buf_release(&v);
	if (started || (b->min_free_mb == 0 && b->min_free_inodes == 0))
		return 0;
	if (xio_fs_free(b->jobs_base_dir, &bytes, &inodes, mount, sizeof(mount), e) < 0)
		return -1;
	mb = bytes / (1024 * 1024);
	if (mb >= b->min_free_mb && (inodes < 0 || inodes >= b->min_free_inodes))
		return 0;
	log_error("build refused: the file system of jobs_base_dir %s (mounted on "
		  "%s) has %lld MiB and %lld inodes free; buildenv.min_free_mb is "
		  "%lld, min_free_inodes %lld", b->jobs_base_dir, mount, mb, inodes,
		  b->min_free_mb, b->min_free_inodes);
	delivery_note(p->ctx, "build: nothing submitted: short of disk on %s", mount);
	*said = 1;
	return buf_addf(reply, "Instance `%s` is short of disk: nothing was "
			"submitted.  Ask again once its operators have made room "
			"(the instance's log says where).\n\n",
			p->ctx->c->github.app_name) < 0
		       ? err_set(e, ERR_TOOBIG, "the reply grew too long")
		       : 1;
}

/* Step 4 for every target with a row still to make: 0 (*ok: how many were
 * submitted), 1 later, -1 e. */
static int submit_all(struct job_plan *p, struct build_req *req,
		      struct cdoc *doc, size_t *ok, struct err *e)
{
	struct buf dir = BUF_INIT(4096);
	int rc = 0;

	*ok = 0;
	for (size_t i = 0; i < req->n && rc == 0; i++) {
		struct cdoc_row *r = &doc->rows[i];

		if (strcmp(r->state, NOT_SUBMITTED) == 0) /* repos.cfg */
			continue;
		buf_clear(&dir);
		if (buf_addf(&dir, "%s/%s", p->run_dir.s, req->t[i].dir) < 0) {
			rc = row_set(r, NOT_SUBMITTED, "job directory path too long", e);
			continue;
		}
		p->ja = args_of(req, i);
		if ((rc = submit(p, &req->t[i], dir.s, r, e)) != 0 || !r->job_id)
			continue;
		if (job_links(p, &req->t[i], dir.s, r->job_id, e) < 0 ||
		    row_set(r, p->job_state, p->job_note, e) < 0)
			rc = -1;
		else
			(*ok)++;
	}
	buf_release(&dir);
	return rc;
}

/* Steps 5 and 6: the comment edited (a failure logged: the jobs are in
 * Slurm, their document and records are written all the same and the
 * manager renders the comment from them), the document, the records. */
static int publish_all(struct job_plan *p, struct build_req *req,
		       struct cdoc *doc, struct buf *body, struct err *e)
{
	struct delivery_ctx *ctx = p->ctx;
	struct buf dir = BUF_INIT(4096);
	struct err e2 = ERR_INIT;
	int rc = 0;

	if (doc_body(doc, body, e) < 0)
		return -1;
	if (!cdoc_is_local(p->status_id) &&
	    github_comment_edit(delivery_github(ctx, p->ev, e), p->ev->repo,
				p->status_id, body->s, &e2) < 0)
		log_error("status comment %lld not updated: %s", p->status_id, e2.msg);
	save_doc(p, doc);
	for (size_t i = 0; i < req->n && rc == 0; i++) {
		buf_clear(&dir);
		if (doc->rows[i].job_id &&
		    (buf_addf(&dir, "%s/%s", p->run_dir.s, req->t[i].dir) < 0 ||
		     job_record(p, &req->t[i], dir.s, doc->rows[i].job_id, e) < 0))
			rc = -1;
	}
	buf_release(&dir);
	return rc;
}

/* Step 3: the status comment, or with chatlevel incognito a document
 * only the bot sees (lib/state/cdoc.h, a local id). */
static int status_comment(struct job_plan *p, const char *body, struct err *e)
{
	if (p->ctx->c->bot_control.chatlevel == CONF_CHAT_INCOGNITO) {
		p->status_id = cdoc_local_id(p->ev->delivery);
		return 0;
	}
	return delivery_comment_once(p->ctx, p->ev, "status", body,
				     &p->status_id, e);
}

int build_run(struct delivery_ctx *ctx, const struct event *ev, const char *user,
	      struct build_req *req, struct buf *reply, int *said,
	      struct err *e)
{
	struct job_plan p;
	struct cdoc doc = { 0 };
	struct buf body = BUF_INIT(STATUS_CAP);
	struct github_counts gh0 = { 0 }, gh1;
	unsigned git0 = gitcache_calls(), slurm0 = slurm_calls();
	long long ms0 = clock_wall_ms();
	size_t ok = 0;
	int rc = -1;

	if (ctx->gh)
		github_counts(ctx->gh, &gh0);
	if (plan_init(&p, ctx, ev, user, e) < 0 ||
	    (rc = disk_guard(&p, reply, said, e)) != 0 ||
	    (rc = commits_step(&p, reply, said, e)) != 0) {
		rc = rc == 1 ? 0 : -1;
		goto out;
	}
	rc = -1;
	if (doc_init(&p, req, &doc, e) < 0 || doc_body(&doc, &body, e) < 0)
		goto out;
	if ((rc = status_comment(&p, body.s, e)) != 0 ||
	    (rc = load_repos(&p, req, &doc, e)) != 0 ||
	    (rc = submit_all(&p, req, &doc, &ok, e)) != 0 ||
	    (rc = publish_all(&p, req, &doc, &body, e)) != 0)
		goto out;
	github_counts(ctx->gh, &gh1);
	delivery_note(ctx, "build: %zu of %zu target(s) submitted, status comment "
		   "%lld (%lld ms; %u git, %u slurm, %u github calls)", ok, req->n,
		   p.status_id, clock_wall_ms() - ms0, gitcache_calls() - git0,
		   slurm_calls() - slurm0, gh1.calls - gh0.calls);
out:
	plan_release(&p);
	cdoc_release(&doc);
	buf_release(&body);
	return rc;
}
