/* gitcache.h - a pull request's merged contents, by real git, from one
 * cache per repository.
 *
 * The cache of repository OWNER/NAME is the bare repository
 *     <cache_dir>/OWNER/NAME.git
 * made on first use (git init --bare), with gc.auto = 0: job directories
 * borrow its objects (git clone --shared), so git never prunes it behind
 * their backs (gitcache_prune() keeps what they borrow).  A lock file beside it (NAME.git.lock, flock) serialises the
 * processes using it.
 *
 * gitcache_merge() makes the commit a job builds: the PR head (a fixed SHA,
 * taken from the event) merged onto the base branch, as a real merge
 * commit with parents (base, head), made without a work tree
 * (git merge-tree --write-tree, git commit-tree) with a fixed identity
 * ("eessi-bot") and the dates given, so the same inputs give the same SHA.
 * One `git fetch` brings refs/pull/N/head and the base branch; it is
 * skipped when the head commit and a given base_sha are already in the
 * cache (a warm retry).  A head SHA the fetch did not bring (the PR was
 * force-pushed since) is fetched by id.
 *
 * gitcache_checkout() puts a merge commit into a new job directory: one
 * `git clone --shared --single-branch -b bot/merge/SHA` of the cache: a
 * real git repository (EESSI's scripts may run git in it) on that branch,
 * whose objects stay in the cache.
 *
 * Refs in the cache: refs/bot/pull/N/head and refs/bot/heads/BASE (the
 * fetch), refs/bot/sha/SHA (a commit fetched by id), refs/heads/bot/merge/SHA (each
 * merge made: a branch that never moves, cloned by gitcache_checkout()).  Only
 * gitcache_prune() removes refs and objects.
 *
 * Every git runs through lib/spawn with an argv and a fixed environment
 * (PATH, HOME, LC_ALL=C, GIT_TERMINAL_PROMPT=0, GIT_CONFIG_NOSYSTEM=1,
 * GIT_CONFIG_GLOBAL=/dev/null - no user or system config, no credential
 * prompts - and GIT_ALLOW_PROTOCOL=file:git:http:https:ssh - no ext:: or
 * other remote helpers), a timeout (GITCACHE_TIMEOUT_MS each), and capped
 * output.  Values reaching the argv are validated first (names_valid_sha,
 * names_valid_ref, names_valid_repo; the url not empty, not starting with
 * '-', no control characters): a refused value runs no git at all.
 * Errors: ERR_INVAL for refused input and for a commit the remote does not
 * have; ERR_CHILD with git's own words (its first "fatal:"/"error:" line,
 * the url's password or token replaced by "***") when a git fails,
 * ERR_AGAIN (same words) when git says the remote was out of reach or
 * overloaded (no route, refused, reset, timed out, a 429 or 5xx);
 * ERR_TIMEOUT, ERR_SYS as usual.  A token in the url still reaches git's
 * argv (readable in /proc by other local users): prefer a credential-free
 * url.
 */
#ifndef EESSI_GITCACHE_H
#define EESSI_GITCACHE_H

#include "buf.h"
#include "err.h"
#include "jobrec.h"

#define GITCACHE_TIMEOUT_MS (10 * 60 * 1000) /* a first fetch may be big */

struct gitcache_req {
	const char *cache_dir; /* absolute */
	const char *url;       /* the remote: https://..., file://... or a path */
	const char *repo;      /* owner/name: where the cache lives */
	long long pr;          /* > 0 */
	const char *head_sha;  /* the commit to build */
	const char *base_ref;  /* the base branch, e.g. "main" */
	const char *base_sha;  /* "" : the branch's tip now (fetched); else
				* this commit (a retry keeps what the first run
				* chose) */
	long long date;        /* epoch seconds for the merge commit's dates */
};

struct gitcache_merge {
	char base_sha[JOBREC_SHA_MAX + 1];  /* the base commit used */
	char merge_sha[JOBREC_SHA_MAX + 1]; /* "" when conflict */
	int conflict;       /* 1: no merge; files lists the conflicting paths */
	struct buf files;   /* caller inits (cap e.g. 4096) and releases;
			     * "path\n" lines, cut at the cap */
	int fetched;        /* 1 if a fetch ran */
};

/* 0: out filled (check out->conflict); -1: e says why (fetch failed, head
 * commit not found, invalid input...). */
int gitcache_merge(const struct gitcache_req *req, struct gitcache_merge *out,
		   struct err *e);

/* Checks out merge_sha of repo's cache into dest, which must not exist
 * (its parent must).  On failure dest is removed again. */
int gitcache_checkout(const char *cache_dir, const char *repo,
		      const char *merge_sha, const char *dest, struct err *e);

/* Prunes repo's cache, under its lock, at time now (epoch seconds): the
 * merge branches refs/heads/bot/merge/SHA for which keep(SHA, arg) says 0
 * (no job directory borrows from them any more) and the fetch refs
 * (refs/bot/...), each only when written more than age_s seconds ago;
 * then, if any went, `git repack -a -d -A` and `git prune` drop the
 * objects no ref reaches that are older than age_s.  A job directory whose
 * merge branch is kept keeps every object it borrows (the merge commit
 * reaches them all).  *refs: refs removed.  A missing cache is no error. */
int gitcache_prune(const char *cache_dir, const char *repo,
		   int (*keep)(const char *sha, void *arg), void *arg,
		   long long now, long long age_s, unsigned *refs,
		   struct err *e);

/* git processes run by this process so far (for logs and benchmarks). */
unsigned gitcache_calls(void);

#endif
