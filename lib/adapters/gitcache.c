/* gitcache.c - the git cache: one bare repository per software-layer
 * repository, the PR merged onto its base, job directories that borrow its
 * objects.
 * Layer: adapters (README, "Map of the code"). */
#include "gitcache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "names.h"
#include "spawn.h"
#include "xio.h"

#define DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"
/* Only git's known-safe transports: no ext::, fd:: or other helpers. */
#define ALLOW_PROTOCOL "file:git:http:https:ssh"
#define PATH_CAP 4096
#define OUT_CAP ((size_t)4 * 1024 * 1024) /* merge-tree may list many paths */
#define ERROUT_CAP ((size_t)256 * 1024)
#define ERRLINE_MAX 200
#define IDENT_NAME "eessi-bot"
#define IDENT_EMAIL "eessi-bot@users.noreply.invalid"

static unsigned calls;

unsigned gitcache_calls(void)
{
	return calls;
}

/* What one gitcache call needs: paths, the children's environment, the
 * last git's stderr line. */
struct gc {
	struct buf gitdir; /* <cache_dir>/OWNER/NAME.git */
	struct buf lock;   /* <cache_dir>/OWNER/NAME.git.lock */
	struct buf path, home, adate, cdate;
	const char *env[16];   /* the fixed environment */
	const char *idenv[16]; /* the same plus the merge's identity */
	const char *url;       /* redacted from messages; may be NULL */
	char errline[ERRLINE_MAX + 1];
	int lockfd;
};

static void gc_init(struct gc *g)
{
	memset(g, 0, sizeof(*g));
	buf_init(&g->gitdir, PATH_CAP);
	buf_init(&g->lock, PATH_CAP);
	buf_init(&g->path, PATH_CAP);
	buf_init(&g->home, PATH_CAP);
	buf_init(&g->adate, 64);
	buf_init(&g->cdate, 64);
	g->lockfd = -1;
}

static void gc_release(struct gc *g)
{
	if (g->lockfd >= 0)
		close(g->lockfd); /* lets go of the flock */
	g->lockfd = -1;
	buf_release(&g->gitdir);
	buf_release(&g->lock);
	buf_release(&g->path);
	buf_release(&g->home);
	buf_release(&g->adate);
	buf_release(&g->cdate);
}

/* ---- checks on input --------------------------------------------------- */

static int has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

static int valid_dir(const char *s)
{
	return s && s[0] == '/' && !has_ctl(s) && strlen(s) < PATH_CAP / 2;
}

static int valid_url(const char *s)
{
	return s && *s && *s != '-' && !has_ctl(s) && strlen(s) < PATH_CAP;
}

static int check_req(const struct gitcache_req *r, struct err *e)
{
	if (!valid_dir(r->cache_dir))
		return err_set(e, ERR_INVAL, "gitcache: cache_dir not absolute");
	if (!valid_url(r->url))
		return err_set(e, ERR_INVAL, "gitcache: invalid url");
	if (!names_valid_repo(r->repo))
		return err_set(e, ERR_INVAL, "gitcache: invalid repo");
	if (r->pr <= 0)
		return err_set(e, ERR_INVAL, "gitcache: invalid pr number");
	if (!names_valid_sha(r->head_sha))
		return err_set(e, ERR_INVAL, "gitcache: invalid head sha");
	if (!names_valid_ref(r->base_ref))
		return err_set(e, ERR_INVAL, "gitcache: invalid base ref");
	if (!r->base_sha || (*r->base_sha && !names_valid_sha(r->base_sha)))
		return err_set(e, ERR_INVAL, "gitcache: invalid base sha");
	if (r->date < 0)
		return err_set(e, ERR_INVAL, "gitcache: invalid date");
	return 0;
}

/* ---- environment, paths, lock ----------------------------------------- */

static int gc_env(struct gc *g, long long date, struct err *e)
{
	const char *path = getenv("PATH"), *home = getenv("HOME");
	size_t n = 0, i;

	if (!path || !*path || has_ctl(path))
		path = DEFAULT_PATH;
	if (!home || !*home || has_ctl(home))
		home = "/";
	if (buf_addf(&g->path, "PATH=%s", path) < 0 ||
	    buf_addf(&g->home, "HOME=%s", home) < 0 ||
	    buf_addf(&g->adate, "GIT_AUTHOR_DATE=@%lld +0000", date) < 0 ||
	    buf_addf(&g->cdate, "GIT_COMMITTER_DATE=@%lld +0000", date) < 0)
		return err_set(e, ERR_TOOBIG, "gitcache: environment too long");
	g->env[n++] = g->path.s;
	g->env[n++] = g->home.s;
	g->env[n++] = "LC_ALL=C";
	g->env[n++] = "GIT_TERMINAL_PROMPT=0";
	g->env[n++] = "GIT_CONFIG_NOSYSTEM=1";
	g->env[n++] = "GIT_CONFIG_GLOBAL=/dev/null";
	g->env[n++] = "GIT_ALLOW_PROTOCOL=" ALLOW_PROTOCOL;
	g->env[n] = NULL;
	for (i = 0; i < n; i++)
		g->idenv[i] = g->env[i];
	g->idenv[n++] = "GIT_AUTHOR_NAME=" IDENT_NAME;
	g->idenv[n++] = "GIT_AUTHOR_EMAIL=" IDENT_EMAIL;
	g->idenv[n++] = "GIT_COMMITTER_NAME=" IDENT_NAME;
	g->idenv[n++] = "GIT_COMMITTER_EMAIL=" IDENT_EMAIL;
	g->idenv[n++] = g->adate.s;
	g->idenv[n++] = g->cdate.s;
	g->idenv[n] = NULL;
	return 0;
}

static int gc_paths(struct gc *g, const char *cache_dir, const char *repo,
		    struct err *e)
{
	if (buf_addf(&g->gitdir, "%s/%s.git", cache_dir, repo) < 0 ||
	    buf_addf(&g->lock, "%s.lock", g->gitdir.s) < 0)
		return err_set(e, ERR_TOOBIG, "gitcache: path too long");
	return 0;
}

/* Takes NAME.git.lock (blocking: its holder's gits all have timeouts). */
static int gc_lock(struct gc *g, struct err *e)
{
	g->lockfd = open(g->lock.s, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
			 0644);
	if (g->lockfd < 0)
		return xio_err_path(e, "cannot open", g->lock.s);
	while (flock(g->lockfd, LOCK_EX) < 0)
		if (errno != EINTR)
			return err_sys(e, "flock %s", g->lock.s);
	return 0;
}

/* ---- running git -------------------------------------------------------- */

/* Copies into out the most telling line of git's stderr (the first
 * "fatal:" or "error:" line, else the first non-empty one), control bytes
 * made '?', the URL's secret (the password of its user info, or the whole
 * user info: a token) replaced by "***", cut at ERRLINE_MAX. */
static void pick_errline(const struct buf *err, const char *url, char *out)
{
	const char *s = err->s, *end = err->s + err->len, *line = NULL, *nl;
	const char *user = NULL, *at, *colon;
	size_t ulen = 0, n = 0;

	for (; s < end; s = nl + 1) {
		nl = memchr(s, '\n', (size_t)(end - s));
		if (!nl)
			nl = end;
		if (!line && nl > s)
			line = s;
		if (!strncmp(s, "fatal:", 6) || !strncmp(s, "error:", 6)) {
			line = s;
			break;
		}
	}
	if (url && (user = strstr(url, "://")) != NULL) {
		user += 3;
		at = user + strcspn(user, "/@");
		ulen = *at == '@' ? (size_t)(at - user) : 0;
		colon = memchr(user, ':', ulen);
		if (colon && colon + 1 < at) { /* user:secret: the secret */
			ulen = (size_t)(at - colon - 1);
			user = colon + 1;
		}
	}
	for (s = line; s && s < end && *s != '\n' && n < ERRLINE_MAX; s++) {
		if (ulen && (size_t)(end - s) >= ulen &&
		    !memcmp(s, user, ulen)) {
			if (n + 3 > ERRLINE_MAX)
				break;
			memcpy(out + n, "***", 3);
			n += 3;
			s += ulen - 1;
			continue;
		}
		out[n++] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s;
	}
	out[n] = '\0';
}

/* 1 if git's error line says the remote was out of reach or overloaded
 * (what a retry later may mend), not that it refused. */
static int remote_unreachable(const char *line)
{
	static const char *const words[] = {
		"Could not resolve host", "Failed to connect",
		"Connection refused", "Connection timed out",
		"Operation timed out", "Connection reset",
		"remote end hung up unexpectedly", "early EOF",
		"returned error: 429", "returned error: 5",
	};
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strstr(line, words[i]))
			return 1;
	return 0;
}

/* Runs the git of sp (its stderr captured here): returns git's exit status
 * when it is <= okmax; a larger one is an error naming `what` with git's
 * stderr.  -1 also when git could not run or timed out. */
static int run(struct gc *g, struct spawn *sp, const char *what, int okmax,
	       struct err *e)
{
	struct buf errout = BUF_INIT(ERROUT_CAP);
	struct spawn_result res;
	int rc;

	if (sp->out)
		buf_clear(sp->out);
	sp->errout = &errout;
	g->errline[0] = '\0';
	calls++;
	rc = spawn_run(sp, &res, e);
	sp->errout = NULL;
	pick_errline(&errout, g->url, g->errline);
	buf_release(&errout);
	if (rc < 0)
		return -1;
	if (res.status > okmax)
		return err_set(e, remote_unreachable(g->errline) ? ERR_AGAIN
			       : ERR_CHILD, "%s: git exited %d: %s", what,
			       res.status, g->errline);
	return res.status;
}

/* git ARGS (argv[0] is "git") with the fixed environment, or with the
 * merge identity if ident; stdout into out (cleared) if given. */
static int git(struct gc *g, const char *const *argv, const char *what,
	       int okmax, int ident, struct buf *out, struct err *e)
{
	struct spawn sp = { argv, ident ? g->idenv : g->env, NULL, NULL, 0,
			    out, NULL, GITCACHE_TIMEOUT_MS, NULL };

	return run(g, &sp, what, okmax, e);
}

/* 1 if the cache has every commit of shas[0..n) (one git cat-file
 * --batch-check for all), 0 if not, -1 on error. */
/* 1 if git cat-file --batch-check's answer (one line each: "SHA commit
 * SIZE", or "SHA^{commit} missing") says each of shas is a commit. */
static int all_commits(const char *out, const char *const *shas, size_t n)
{
	const char *line = out;

	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(shas[i]);

		if (strncmp(line, shas[i], len) != 0 ||
		    strncmp(line + len, " commit ", 8) != 0)
			return 0;
		line += strcspn(line, "\n");
		if (*line)
			line++;
	}
	return 1;
}

static int has_commits(struct gc *g, const char *const *shas, size_t n,
		       struct err *e)
{
	struct buf in = BUF_INIT(4096), out = BUF_INIT(4096);
	const char *const argv[] = { "git", "--git-dir", g->gitdir.s,
				     "cat-file", "--batch-check", NULL };
	struct spawn sp = { argv, g->env, NULL, NULL, 0, &out, NULL,
			    GITCACHE_TIMEOUT_MS, NULL };
	int rc = -1;

	for (size_t i = 0; i < n; i++)
		if (buf_addf(&in, "%s^{commit}\n", shas[i]) < 0) {
			err_set(e, ERR_TOOBIG, "gitcache: too many commits");
			goto out;
		}
	sp.in = in.s;
	sp.in_len = in.len;
	if (run(g, &sp, "git cat-file", 0, e) < 0)
		goto out;
	rc = all_commits(out.s, shas, n);
out:
	buf_release(&in);
	buf_release(&out);
	return rc;
}

static int has_commit(struct gc *g, const char *sha, struct err *e)
{
	return has_commits(g, &sha, 1, e);
}

/* Reads one object id from git's stdout into sha. */
static int read_sha(const struct buf *out, char *sha, const char *what,
		    struct err *e)
{
	size_t n = strcspn(out->s, "\n");

	if (n > JOBREC_SHA_MAX || (out->s[n] && out->s[n + 1]))
		return err_set(e, ERR_INVAL, "%s: unexpected output", what);
	memcpy(sha, out->s, n);
	sha[n] = '\0';
	if (!names_valid_sha(sha))
		return err_set(e, ERR_INVAL, "%s: unexpected output", what);
	return 0;
}

/* ---- the cache ----------------------------------------------------------- */

/* Makes the bare cache if it is not there: set up beside it (NAME.git.init,
 * ours while we hold the lock; git init on a leftover one is harmless),
 * then renamed into place, so a cache that exists is complete. */
static int ensure_cache(struct gc *g, struct err *e)
{
	struct buf tmp = BUF_INIT(PATH_CAP);
	struct stat st;
	int rc = -1;

	if (stat(g->gitdir.s, &st) == 0)
		return 0;
	if (errno != ENOENT)
		return err_sys(e, "cannot stat %s", g->gitdir.s);
	if (buf_addf(&tmp, "%s.init", g->gitdir.s) < 0) {
		err_set(e, ERR_TOOBIG, "gitcache: path too long");
	} else {
		const char *const init[] = { "git", "-c",
					     "init.defaultBranch=main", "init",
					     "-q", "--bare", "--", tmp.s, NULL };
		const char *const conf[] = { "git", "--git-dir", tmp.s,
					     "config", "gc.auto", "0", NULL };

		if (git(g, init, "git init", 0, 0, NULL, e) == 0 &&
		    git(g, conf, "git config", 0, 0, NULL, e) == 0)
			rc = rename(tmp.s, g->gitdir.s) == 0 ? 0 :
				err_sys(e, "cannot rename %s", tmp.s);
	}
	buf_release(&tmp);
	return rc;
}

static int fetch_refs(struct gc *g, const struct gitcache_req *r,
		      struct err *e)
{
	struct buf pull = BUF_INIT(PATH_CAP), base = BUF_INIT(PATH_CAP);
	int rc = -1;

	if (buf_addf(&pull, "+refs/pull/%lld/head:refs/bot/pull/%lld/head",
		     r->pr, r->pr) < 0 ||
	    buf_addf(&base, "+refs/heads/%s:refs/bot/heads/%s", r->base_ref,
		     r->base_ref) < 0) {
		err_set(e, ERR_TOOBIG, "gitcache: refspec too long");
	} else {
		const char *const argv[] = { "git", "--git-dir", g->gitdir.s,
					     "fetch", "-q", "--no-tags",
					     "--no-write-fetch-head",
					     "--no-recurse-submodules", "--",
					     r->url, pull.s, base.s, NULL };

		rc = git(g, argv, "git fetch", 0, 0, NULL, e) < 0 ? -1 : 0;
	}
	buf_release(&pull);
	buf_release(&base);
	return rc;
}

/* Fetches one commit by its id (GitHub serves any commit it has) into
 * refs/bot/sha/SHA, which keeps it referenced.  0: fetched, 1: the remote
 * would not give it (g->errline says why), -1: error. */
static int fetch_sha(struct gc *g, const char *url, const char *sha,
		     struct err *e)
{
	char spec[2 * JOBREC_SHA_MAX + 32];
	const char *const argv[] = { "git", "--git-dir", g->gitdir.s, "fetch",
				     "-q", "--no-tags", "--no-write-fetch-head",
				     "--no-recurse-submodules", "--", url, spec,
				     NULL };
	int rc;

	(void)snprintf(spec, sizeof(spec), "+%s:refs/bot/sha/%s", sha, sha);
	rc = git(g, argv, "git fetch", 255, 0, NULL, e);
	return rc < 0 ? -1 : rc != 0;
}

/* Makes sure the commit sha (`what`: "head", "base") is in the cache. */
static int need_commit(struct gc *g, const char *url, const char *sha,
		       const char *what, struct err *e)
{
	int rc = has_commit(g, sha, e);

	if (rc != 0)
		return rc < 0 ? -1 : 0;
	rc = fetch_sha(g, url, sha, e);
	if (rc == 0) { /* fetched: but is it a commit? */
		rc = has_commit(g, sha, e);
		if (rc < 0)
			return -1;
		rc = !rc;
	}
	if (rc > 0)
		return err_set(e, ERR_INVAL, "%s commit %s not found: %s", what,
			       sha, g->errline[0] ? g->errline : "not a commit");
	return rc;
}

static int base_tip(struct gc *g, const char *base_ref, char *sha,
		    struct err *e)
{
	struct buf ref = BUF_INIT(PATH_CAP), out = BUF_INIT(4096);
	int rc = -1;

	if (buf_addf(&ref, "refs/bot/heads/%s^{commit}", base_ref) < 0) {
		err_set(e, ERR_TOOBIG, "gitcache: ref too long");
	} else {
		const char *const argv[] = { "git", "--git-dir", g->gitdir.s,
					     "rev-parse", "-q", "--verify",
					     ref.s, NULL };

		if (git(g, argv, "git rev-parse", 0, 0, &out, e) == 0)
			rc = read_sha(&out, sha, "git rev-parse", e);
	}
	buf_release(&ref);
	buf_release(&out);
	return rc;
}

/* ---- the merge ----------------------------------------------------------- */

/* Appends a conflicting path as a line of files, unless the cap is hit (the
 * list is cut there).  Control bytes (a newline in a name) become '?'. */
static void add_path(struct buf *files, const char *p, size_t n)
{
	size_t start = files->len, i;

	if (buf_grow(files, n + 1) < 0)
		return;
	for (i = 0; i < n; i++)
		buf_addch(files, ((unsigned char)p[i] < 0x20 || p[i] == 0x7f) ?
					 '?' : p[i]);
	if (buf_addch(files, '\n') < 0)
		buf_truncate(files, start);
}

/* Output of merge-tree --write-tree --name-only --no-messages -z:
 * "TREE\0" then "PATH\0" for each conflicted path. */
static int parse_merge_tree(const struct buf *o, char *tree,
			    struct buf *files, struct err *e)
{
	const char *s = o->s, *end = o->s + o->len, *z;
	size_t n = strnlen(s, o->len);

	if (n > JOBREC_SHA_MAX || n == o->len)
		return err_set(e, ERR_INVAL, "git merge-tree: unexpected output");
	memcpy(tree, s, n);
	tree[n] = '\0';
	if (!names_valid_sha(tree))
		return err_set(e, ERR_INVAL, "git merge-tree: unexpected output");
	for (s += n + 1; s < end; s = z + 1) {
		z = memchr(s, '\0', (size_t)(end - s));
		if (!z)
			z = end;
		if (z == s)
			break;
		add_path(files, s, (size_t)(z - s));
	}
	return 0;
}

/* git merge-tree: 0 and tree filled, 1 conflict (paths in out->files). */
static int merge_tree(struct gc *g, const char *base, const char *head,
		      char *tree, struct buf *files, struct err *e)
{
	struct buf o = BUF_INIT(OUT_CAP);
	const char *const argv[] = { "git", "--git-dir", g->gitdir.s,
				     "merge-tree", "--write-tree",
				     "--name-only", "--no-messages", "-z",
				     "--", base, head, NULL };
	int st;

	st = git(g, argv, "git merge-tree", 1, 0, &o, e);
	if (st >= 0 && parse_merge_tree(&o, tree, files, e) < 0)
		st = -1;
	buf_release(&o);
	return st;
}

/* git commit-tree with the fixed identity and dates: the same tree,
 * parents, message and date give the same commit. */
static int commit_tree(struct gc *g, const struct gitcache_req *r,
		       const char *tree, const char *base, char *sha,
		       struct err *e)
{
	struct buf msg = BUF_INIT(1024), o = BUF_INIT(4096);
	int rc = -1;

	if (buf_addf(&msg, "Merge pull request #%lld (%s) into %s", r->pr,
		     r->head_sha, r->base_ref) < 0) {
		err_set(e, ERR_TOOBIG, "gitcache: message too long");
	} else {
		const char *const argv[] = { "git", "--git-dir", g->gitdir.s,
					     "commit-tree", tree, "-p", base,
					     "-p", r->head_sha, "-m", msg.s,
					     NULL };

		if (git(g, argv, "git commit-tree", 0, 1, &o, e) == 0)
			rc = read_sha(&o, sha, "git commit-tree", e);
	}
	buf_release(&msg);
	buf_release(&o);
	return rc;
}

/* Keeps the merge referenced, as the branch bot/merge/SHA: a name that
 * never moves, so that gitcache_checkout() clones exactly this commit with
 * one `git clone -b` (a job directory in one git process, not two). */
static int store_merge(struct gc *g, long long pr, const char *sha,
		       struct err *e)
{
	char ref[128];
	const char *const argv[] = { "git", "--git-dir", g->gitdir.s,
				     "update-ref", ref, sha, NULL };

	(void)pr;
	(void)snprintf(ref, sizeof(ref), "refs/heads/bot/merge/%s", sha);
	return git(g, argv, "git update-ref", 0, 0, NULL, e) < 0 ? -1 : 0;
}

/* Merges head onto base without a work tree: out->merge_sha filled, or
 * out->conflict set with the paths. */
static int merge(struct gc *g, const struct gitcache_req *r,
		 struct gitcache_merge *out, struct err *e)
{
	char tree[JOBREC_SHA_MAX + 1], sha[JOBREC_SHA_MAX + 1];
	int st = merge_tree(g, out->base_sha, r->head_sha, tree, &out->files,
			    e);

	if (st < 0)
		return -1;
	if (st == 1) {
		out->conflict = 1;
		return 0;
	}
	buf_clear(&out->files);
	if (commit_tree(g, r, tree, out->base_sha, sha, e) < 0 ||
	    store_merge(g, r->pr, sha, e) < 0)
		return -1;
	memcpy(out->merge_sha, sha, sizeof(sha));
	return 0;
}

static void merge_reset(struct gitcache_merge *out)
{
	out->base_sha[0] = '\0';
	out->merge_sha[0] = '\0';
	out->conflict = 0;
	out->fetched = 0;
	buf_clear(&out->files);
}

/* The fetch, skipped when a retry finds both commits already here. */
static int bring_commits(struct gc *g, const struct gitcache_req *r,
			 struct gitcache_merge *out, struct err *e)
{
	int have = 0;

	if (*r->base_sha) {
		const char *const both[] = { r->head_sha, r->base_sha };

		have = has_commits(g, both, 2, e);
		if (have < 0)
			return -1;
	}
	if (!have) {
		out->fetched = 1;
		if (fetch_refs(g, r, e) < 0 ||
		    need_commit(g, r->url, r->head_sha, "head", e) < 0)
			return -1;
		if (*r->base_sha &&
		    need_commit(g, r->url, r->base_sha, "base", e) < 0)
			return -1;
	}
	if (*r->base_sha) {
		memcpy(out->base_sha, r->base_sha, strlen(r->base_sha) + 1);
		return 0;
	}
	return base_tip(g, r->base_ref, out->base_sha, e);
}

int gitcache_merge(const struct gitcache_req *req, struct gitcache_merge *out,
		   struct err *e)
{
	struct buf owner = BUF_INIT(PATH_CAP);
	struct gc g;
	int rc = -1;

	merge_reset(out);
	if (check_req(req, e) < 0)
		return -1;
	gc_init(&g);
	g.url = req->url;
	if (gc_env(&g, req->date, e) < 0 ||
	    gc_paths(&g, req->cache_dir, req->repo, e) < 0)
		goto out;
	if (buf_addf(&owner, "%s/%.*s", req->cache_dir,
		     (int)strcspn(req->repo, "/"), req->repo) < 0) {
		err_set(e, ERR_TOOBIG, "gitcache: path too long");
		goto out;
	}
	if (xio_mkdir_p(owner.s, 0755, e) < 0 || gc_lock(&g, e) < 0 ||
	    ensure_cache(&g, e) < 0 || bring_commits(&g, req, out, e) < 0 ||
	    merge(&g, req, out, e) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0) {
		out->merge_sha[0] = '\0';
		out->conflict = 0;
	}
	gc_release(&g);
	buf_release(&owner);
	return rc;
}

/* ---- checkout ------------------------------------------------------------ */

/* rm -rf of a tree we made; a failure here is not the caller's error. */
static void remove_tree(const char *path)
{
	struct err e = ERR_INIT;

	(void)xio_remove_tree(path, &e);
}

/* Moves the finished tree to dest unless something appeared there. */
static int move_into_place(const char *tmp, const char *dest, struct err *e)
{
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dest, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return err_sys(e, "cannot rename %s to %s", tmp, dest);
	/* a file system without RENAME_NOREPLACE: check, then rename */
	if (access(dest, F_OK) == 0 || errno != ENOENT)
		return err_set(e, ERR_INVAL, "gitcache: %s exists", dest);
	if (rename(tmp, dest) < 0)
		return err_sys(e, "cannot rename %s to %s", tmp, dest);
	return 0;
}

static int clone_into(struct gc *g, const char *tmp, const char *sha,
		      struct err *e)
{
	char branch[128];
	const char *const clone[] = { "git", "clone", "--shared", "--single-branch",
				      "--no-tags", "-q", "-b", branch, "--",
				      g->gitdir.s, tmp, NULL };
	int rc;

	(void)snprintf(branch, sizeof(branch), "bot/merge/%s", sha);
	if (gc_lock(g, e) < 0)
		return -1;
	rc = git(g, clone, "git clone", 0, 0, NULL, e);
	close(g->lockfd);
	g->lockfd = -1;
	return rc < 0 ? -1 : 0;
}

int gitcache_checkout(const char *cache_dir, const char *repo,
		      const char *merge_sha, const char *dest, struct err *e)
{
	struct buf tmp = BUF_INIT(PATH_CAP);
	struct stat st;
	struct gc g;
	int rc = -1, made = 0;

	if (!valid_dir(cache_dir))
		return err_set(e, ERR_INVAL, "gitcache: cache_dir not absolute");
	if (!names_valid_repo(repo))
		return err_set(e, ERR_INVAL, "gitcache: invalid repo");
	if (!names_valid_sha(merge_sha))
		return err_set(e, ERR_INVAL, "gitcache: invalid merge sha");
	if (!dest || !*dest || *dest == '-' || has_ctl(dest) ||
	    strlen(dest) >= PATH_CAP / 2)
		return err_set(e, ERR_INVAL, "gitcache: invalid destination");
	if (lstat(dest, &st) == 0 || errno != ENOENT)
		return err_set(e, ERR_INVAL, "gitcache: %s exists", dest);
	gc_init(&g);
	if (gc_env(&g, 0, e) < 0 || gc_paths(&g, cache_dir, repo, e) < 0)
		goto out;
	if (stat(g.gitdir.s, &st) < 0) {
		err_sys(e, "no cache %s", g.gitdir.s);
		goto out;
	}
	if (buf_addf(&tmp, "%s.gitcache-XXXXXX", dest) < 0) {
		err_set(e, ERR_TOOBIG, "gitcache: path too long");
		goto out;
	}
	if (!mkdtemp(tmp.s)) {
		err_sys(e, "cannot make %s", tmp.s);
		goto out;
	}
	made = 1;
	if (clone_into(&g, tmp.s, merge_sha, e) < 0 ||
	    move_into_place(tmp.s, dest, e) < 0)
		goto out;
	made = 0;
	rc = 0;
out:
	if (made)
		remove_tree(tmp.s);
	gc_release(&g);
	buf_release(&tmp);
	return rc;
}

/* ---- pruning -------------------------------------------------------------- */

struct prune {
	int (*keep)(const char *sha, void *arg);
	void *arg;
	long long cutoff; /* refs written before this (epoch s) may go */
	unsigned refs;
};

/* Removes the loose ref files below dir (depth-first, empty directories
 * after them) that p lets go: under refs/heads/bot/merge/ those whose
 * name is a merge p->keep() does not keep, elsewhere (the fetch refs) any;
 * each only when written before p->cutoff.  Refs are never packed here
 * (no git gc), so a ref is a file. */
static int prune_refs(struct prune *p, const char *dir, int merges, int depth,
		      struct err *e)
{
	struct buf sub = BUF_INIT(PATH_CAP);
	struct dirent *de;
	struct stat st;
	DIR *d = opendir(dir);
	int rc = 0;

	if (!d)
		return errno == ENOENT ? 0 : err_sys(e, "cannot open %s", dir);
	while (rc == 0 && (de = readdir(d))) {
		if (de->d_name[0] == '.' ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		buf_clear(&sub);
		if (buf_addf(&sub, "%s/%s", dir, de->d_name) < 0) {
			rc = err_set(e, ERR_TOOBIG, "gitcache: path too long");
		} else if (S_ISDIR(st.st_mode)) {
			if (depth < 8)
				rc = prune_refs(p, sub.s, merges, depth + 1, e);
			(void)rmdir(sub.s); /* only if empty */
		} else if (S_ISREG(st.st_mode) && (long long)st.st_mtime < p->cutoff &&
			   !(merges && names_valid_sha(de->d_name) &&
			     p->keep(de->d_name, p->arg))) {
			if (unlink(sub.s) < 0)
				rc = err_sys(e, "cannot remove %s", sub.s);
			else
				p->refs++;
		}
	}
	closedir(d);
	buf_release(&sub);
	return rc;
}

/* git repack + git prune: objects no ref reaches any more, written before
 * cutoff (epoch seconds), go (younger ones may belong to work in flight). */
static int prune_objects(struct gc *g, long long cutoff, struct err *e)
{
	char when[64], unpack[96], expire[96];
	const char *const repack[] = { "git", "--git-dir", g->gitdir.s, "repack",
				       "-q", "-a", "-d", "-A", unpack, NULL };
	const char *const prune[] = { "git", "--git-dir", g->gitdir.s, "prune",
				      expire, NULL };

	(void)snprintf(when, sizeof(when), "@%lld", cutoff); /* git's raw date */
	(void)snprintf(unpack, sizeof(unpack), "--unpack-unreachable=%s", when);
	(void)snprintf(expire, sizeof(expire), "--expire=%s", when);
	if (git(g, repack, "git repack", 0, 0, NULL, e) < 0 ||
	    git(g, prune, "git prune", 0, 0, NULL, e) < 0)
		return -1;
	return 0;
}

int gitcache_prune(const char *cache_dir, const char *repo,
		   int (*keep)(const char *sha, void *arg), void *arg,
		   long long now, long long age_s, unsigned *refs,
		   struct err *e)
{
	struct buf dir = BUF_INIT(PATH_CAP);
	struct stat st;
	struct gc g;
	struct prune p = { keep, arg, now - age_s, 0 };
	int rc = -1;

	*refs = 0;
	if (!valid_dir(cache_dir))
		return err_set(e, ERR_INVAL, "gitcache: cache_dir not absolute");
	if (!names_valid_repo(repo))
		return err_set(e, ERR_INVAL, "gitcache: invalid repo");
	if (!keep || age_s < 0)
		return err_set(e, ERR_INVAL, "gitcache: invalid prune request");
	gc_init(&g);
	if (gc_env(&g, 0, e) < 0 || gc_paths(&g, cache_dir, repo, e) < 0)
		goto out;
	if (stat(g.gitdir.s, &st) < 0) {
		rc = errno == ENOENT ? 0 : err_sys(e, "cannot stat %s", g.gitdir.s);
		goto out;
	}
	if (gc_lock(&g, e) < 0 ||
	    buf_addf(&dir, "%s/refs/heads/bot/merge", g.gitdir.s) < 0 ||
	    prune_refs(&p, dir.s, 1, 0, e) < 0)
		goto out;
	buf_clear(&dir);
	if (buf_addf(&dir, "%s/refs/bot", g.gitdir.s) < 0 ||
	    prune_refs(&p, dir.s, 0, 0, e) < 0)
		goto out;
	*refs = p.refs;
	rc = p.refs ? prune_objects(&g, p.cutoff, e) : 0;
out:
	gc_release(&g);
	buf_release(&dir);
	return rc;
}
