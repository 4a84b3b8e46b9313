/* gitcache against real git: a bare "remote" in a temp directory with main
 * and refs/pull/N/head, merged into a cache and checked out.
 *
 * The fixture's history (fixed identity and dates, so fixed SHAs):
 *   B0  main: a.txt "a", shared.txt "one"
 *   P7  pull 7 (from B0): adds pr.txt
 *   P8  pull 8 (from B0): shared.txt "pr8"          -> conflicts with B1
 *   B1  main (from B0): a.txt "a newer", shared.txt "main"
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "gitcache.h"
#include "spawn.h"
#include "unit.h"
#include "xio.h"

static char top[256], work[320], remote[320], cache[320];
static char b0[41], b1[41], p7[41], p8[41];

static const char *const fx_env[] = {
	"PATH=/usr/local/bin:/usr/bin:/bin", "LC_ALL=C",
	"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
	"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.invalid",
	"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.invalid",
	"GIT_AUTHOR_DATE=@1700000000 +0000",
	"GIT_COMMITTER_DATE=@1700000000 +0000", NULL
};

/* Runs git with args (argv[0] "git"); asserts success; stdout in out. */
static void fx_git(const char *const *argv, struct buf *out)
{
	struct buf errb = BUF_INIT(65536);
	struct spawn sp = { argv, fx_env, NULL, NULL, 0, out, &errb, 30000, NULL };
	struct spawn_result res;
	struct err e = ERR_INIT;

	ck_assert_msg(spawn_run(&sp, &res, &e) == 0, "%s", e.msg);
	ck_assert_msg(res.status == 0, "git %s: %s", argv[1], errb.s);
	buf_release(&errb);
}

/* git -C dir ARGS... */
#define GITC(dir, ...)                                                    \
	do {                                                              \
		const char *const a_[] = { "git", "-C", dir, __VA_ARGS__, \
					   NULL };                        \
		fx_git(a_, NULL);                                         \
	} while (0)

/* The object id a revision names, in dir (a work tree or a git dir). */
static void rev(const char *gitdir, const char *what, char *sha)
{
	struct buf out = BUF_INIT(4096);
	const char *const argv[] = { "git", "--git-dir", gitdir, "rev-parse",
				     "--verify", what, NULL };

	fx_git(argv, &out);
	ck_assert_uint_eq(out.len, 41);
	memcpy(sha, out.s, 40);
	sha[40] = '\0';
	buf_release(&out);
}

static void put(const char *name, const char *text)
{
	char p[512];
	struct err e = ERR_INIT;

	snprintf(p, sizeof(p), "%s/%s", work, name);
	ck_assert_msg(xio_write_atomic(p, text, strlen(text), 0644, &e) == 0,
		      "%s", e.msg);
}

static void commit(const char *msg)
{
	GITC(work, "add", "-A");
	GITC(work, "commit", "-q", "-m", msg);
}

static void setup(void)
{
	char wgit[400];

	unit_mkdtemp(top, sizeof(top), "gitcache");
	snprintf(work, sizeof(work), "%s/work", top);
	snprintf(remote, sizeof(remote), "%s/remote.git", top);
	snprintf(cache, sizeof(cache), "%s/cache", top);
	snprintf(wgit, sizeof(wgit), "%s/.git", work);
	{
		const char *const a[] = { "git", "init", "-q", "-b", "main",
					  work, NULL };
		const char *const r[] = { "git", "init", "-q", "--bare", "-b",
					  "main", remote, NULL };

		fx_git(a, NULL);
		fx_git(r, NULL);
	}
	put("a.txt", "a\n");
	put("shared.txt", "one\n");
	commit("B0");
	rev(wgit, "HEAD", b0);
	GITC(work, "checkout", "-q", "-b", "pr7");
	put("pr.txt", "from pr 7\n");
	commit("P7");
	rev(wgit, "HEAD", p7);
	GITC(work, "checkout", "-q", "-b", "pr8", b0);
	put("shared.txt", "pr8\n");
	commit("P8");
	rev(wgit, "HEAD", p8);
	GITC(work, "checkout", "-q", "main");
	put("a.txt", "a newer\n");
	put("shared.txt", "main\n");
	commit("B1");
	rev(wgit, "HEAD", b1);
	GITC(work, "push", "-q", remote, "main", "pr7:refs/pull/7/head",
	     "pr8:refs/pull/8/head");
}

static void teardown(void)
{
	unit_rm_rf(top);
}

static struct gitcache_req req_for(long long pr, const char *head,
				   const char *base_sha)
{
	struct gitcache_req r = { cache, remote, "EESSI/software-layer", pr,
				  head, "main", base_sha, 1700000500 };

	return r;
}

static void cache_git_dir(char *p, size_t n)
{
	snprintf(p, n, "%s/EESSI/software-layer.git", cache);
}

static void assert_file(const char *dir, const char *name, const char *text)
{
	char p[512];
	struct buf b = BUF_INIT(4096);
	struct err e = ERR_INIT;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	ck_assert_msg(xio_read_file(p, &b, 1, &e) == 0, "%s", e.msg);
	ck_assert_str_eq(b.s, text);
	buf_release(&b);
}

START_TEST(merges_checks_out_and_is_a_repo)
{
	struct gitcache_req r = req_for(7, p7, "");
	struct gitcache_merge m = { .files = BUF_INIT(4096) };
	struct err e = ERR_INIT;
	char gd[400], dest[400], sha[41], spec[160];

	ck_assert_msg(gitcache_merge(&r, &m, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(m.fetched, 1);
	ck_assert_int_eq(m.conflict, 0);
	ck_assert_str_eq(m.base_sha, b1);
	ck_assert_int_eq((int)strlen(m.merge_sha), 40);
	ck_assert_uint_eq(m.files.len, 0);

	/* a real merge commit: parents (base, head), kept under a ref */
	cache_git_dir(gd, sizeof(gd));
	snprintf(spec, sizeof(spec), "%s^1", m.merge_sha);
	rev(gd, spec, sha);
	ck_assert_str_eq(sha, b1);
	snprintf(spec, sizeof(spec), "%s^2", m.merge_sha);
	rev(gd, spec, sha);
	ck_assert_str_eq(sha, p7);
	snprintf(spec, sizeof(spec), "refs/heads/bot/merge/%s", m.merge_sha);
	rev(gd, spec, sha);
	ck_assert_str_eq(sha, m.merge_sha);

	/* the checkout: the PR's file and main's newer change */
	snprintf(dest, sizeof(dest), "%s/job1", top);
	ck_assert_msg(gitcache_checkout(cache, r.repo, m.merge_sha, dest,
					&e) == 0, "%s", e.msg);
	assert_file(dest, "pr.txt", "from pr 7\n");
	assert_file(dest, "a.txt", "a newer\n");
	assert_file(dest, "shared.txt", "main\n");
	{
		char dgit[420];

		snprintf(dgit, sizeof(dgit), "%s/.git", dest);
		rev(dgit, "HEAD", sha);
		ck_assert_str_eq(sha, m.merge_sha);
	}
	buf_release(&m.files);
}
END_TEST

START_TEST(same_inputs_same_sha_and_warm_retry_does_not_fetch)
{
	struct gitcache_req r = req_for(7, p7, "");
	struct gitcache_merge m1 = { .files = BUF_INIT(4096) };
	struct gitcache_merge m2 = { .files = BUF_INIT(4096) };
	struct err e = ERR_INIT;
	char other[400];
	unsigned before;

	ck_assert_msg(gitcache_merge(&r, &m1, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(m1.fetched, 1);

	/* a retry keeps the base the first run chose: no fetch at all */
	r.base_sha = m1.base_sha;
	before = gitcache_calls();
	ck_assert_msg(gitcache_merge(&r, &m2, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(m2.fetched, 0);
	ck_assert_str_eq(m2.merge_sha, m1.merge_sha);
	/* cat-file, merge-tree, commit-tree, update-ref */
	ck_assert_uint_eq(gitcache_calls() - before, 4);

	/* another cache, from cold: the same commit */
	snprintf(other, sizeof(other), "%s/cache2", top);
	r.cache_dir = other;
	ck_assert_msg(gitcache_merge(&r, &m2, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(m2.fetched, 1);
	ck_assert_str_eq(m2.base_sha, m1.base_sha);
	ck_assert_str_eq(m2.merge_sha, m1.merge_sha);

	/* another date: another commit */
	r.date++;
	ck_assert_msg(gitcache_merge(&r, &m2, &e) == 0, "%s", e.msg);
	ck_assert_str_ne(m2.merge_sha, m1.merge_sha);
	buf_release(&m1.files);
	buf_release(&m2.files);
}
END_TEST

START_TEST(retry_keeps_old_base_after_main_moved)
{
	struct gitcache_req r = req_for(7, p7, b0);
	struct gitcache_merge m = { .files = BUF_INIT(4096) };
	struct err e = ERR_INIT;
	char dest[400];

	/* base_sha given, cache cold: fetched, and B0 (not main's tip) used */
	ck_assert_msg(gitcache_merge(&r, &m, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(m.fetched, 1);
	ck_assert_str_eq(m.base_sha, b0);
	snprintf(dest, sizeof(dest), "%s/job", top);
	ck_assert_msg(gitcache_checkout(cache, r.repo, m.merge_sha, dest,
					&e) == 0, "%s", e.msg);
	assert_file(dest, "a.txt", "a\n");
	assert_file(dest, "pr.txt", "from pr 7\n");
	buf_release(&m.files);
}
END_TEST

START_TEST(force_pushed_head_is_fetched_by_id)
{
	struct gitcache_req r = req_for(7, p7, "");
	struct gitcache_merge m = { .files = BUF_INIT(4096) };
	struct err e = ERR_INIT;
	char wgit[400], p7new[41], dest[400];

	/* the PR is force-pushed; the old head stays fetchable by id */
	GITC(remote, "config", "uploadpack.allowAnySHA1InWant", "true");
	GITC(work, "checkout", "-q", "pr7");
	put("pr.txt", "from pr 7, amended\n");
	GITC(work, "commit", "-q", "-a", "--amend", "-m", "P7 again");
	snprintf(wgit, sizeof(wgit), "%s/.git", work);
	rev(wgit, "HEAD", p7new);
	ck_assert_str_ne(p7new, p7);
	GITC(work, "push", "-q", "-f", remote, "pr7:refs/pull/7/head");

	ck_assert_msg(gitcache_merge(&r, &m, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(m.fetched, 1);
	snprintf(dest, sizeof(dest), "%s/job", top);
	ck_assert_msg(gitcache_checkout(cache, r.repo, m.merge_sha, dest,
					&e) == 0, "%s", e.msg);
	assert_file(dest, "pr.txt", "from pr 7\n");
	buf_release(&m.files);
}
END_TEST

START_TEST(conflict_lists_paths)
{
	struct gitcache_req r = req_for(8, p8, "");
	struct gitcache_merge m = { .files = BUF_INIT(4096) };
	struct err e = ERR_INIT;

	ck_assert_msg(gitcache_merge(&r, &m, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(m.conflict, 1);
	ck_assert_str_eq(m.files.s, "shared.txt\n");
	ck_assert_str_eq(m.merge_sha, "");
	ck_assert_str_eq(m.base_sha, b1);

	/* the paths are cut at the caller's cap, not an error */
	buf_release(&m.files);
	buf_init(&m.files, 4);
	ck_assert_msg(gitcache_merge(&r, &m, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(m.conflict, 1);
	ck_assert_str_eq(m.files.s, "");
	buf_release(&m.files);
}
END_TEST

START_TEST(missing_head_is_a_clear_error)
{
	static const char nosuch[] = "0123456789abcdef0123456789abcdef01234567";
	struct gitcache_req r = req_for(7, nosuch, "");
	struct gitcache_merge m = { .files = BUF_INIT(4096) };
	struct err e = ERR_INIT;

	ck_assert_int_eq(gitcache_merge(&r, &m, &e), -1);
	ck_assert_int_eq(e.code, ERR_INVAL);
	ck_assert_msg(strstr(e.msg, "head commit " "0123456789abcdef") &&
			      strstr(e.msg, "not found"), "%s", e.msg);
	ck_assert_str_eq(m.merge_sha, "");

	/* a missing pull ref: git's own words */
	err_clear(&e);
	r = req_for(9, p7, "");
	ck_assert_int_eq(gitcache_merge(&r, &m, &e), -1);
	ck_assert_msg(strstr(e.msg, "git fetch") &&
			      strstr(e.msg, "refs/pull/9/head"), "%s", e.msg);
	ck_assert_int_eq(e.code, ERR_CHILD); /* the remote refused: for good */

	/* a remote out of reach (nothing listens there): transient */
	err_clear(&e);
	r = req_for(7, p7, "");
	r.url = "http://127.0.0.1:9/e2e/nothing-listens.git";
	ck_assert_int_eq(gitcache_merge(&r, &m, &e), -1);
	ck_assert_msg(e.code == ERR_AGAIN && strstr(e.msg, "Failed to connect"),
		      "%s: %s", err_code_name(e.code), e.msg);
	buf_release(&m.files);
}
END_TEST

static void refused(struct gitcache_req r)
{
	struct gitcache_merge m = { .files = BUF_INIT(4096) };
	struct err e = ERR_INIT;
	unsigned before = gitcache_calls();

	ck_assert_int_eq(gitcache_merge(&r, &m, &e), -1);
	ck_assert_int_eq(e.code, ERR_INVAL);
	ck_assert_uint_eq(gitcache_calls(), before);
	ck_assert_int_eq(access(cache, F_OK), -1);
	buf_release(&m.files);
}

START_TEST(hostile_inputs_refused_before_git)
{
	static const char *const refs[] = {
		"zzz\";echo${IFS}\"hello\";#", "$(id)", "../../etc",
		"-upload-pack=x", "main\nx", "", "main.lock", "a..b", "a b",
		"main;id", "`id`", "refs/heads/*",
	};
	static const char *const shas[] = {
		"", "xyz", "0123456789ABCDEF0123456789ABCDEF01234567",
		"0123456789abcdef0123456789abcdef0123456", "--output=/tmp/x",
		"0123456789abcdef0123456789abcdef01234567\n",
	};
	static const char *const repos[] = {
		"../x", "x", "EESSI/..", "EESSI/a/b", "-x/y", "EESSI/a b", "",
	};
	static const char *const urls[] = {
		"", "-upload-pack=x", "--upload-pack=touch /tmp/x", "a\nb",
		"file:///x\r",
	};
	struct gitcache_req r;
	size_t i;

	for (i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
		r = req_for(7, p7, "");
		r.base_ref = refs[i];
		refused(r);
	}
	for (i = 0; i < sizeof(shas) / sizeof(shas[0]); i++) {
		r = req_for(7, shas[i], "");
		refused(r);
		if (!*shas[i])
			continue;
		r = req_for(7, p7, shas[i]);
		refused(r);
	}
	for (i = 0; i < sizeof(repos) / sizeof(repos[0]); i++) {
		r = req_for(7, p7, "");
		r.repo = repos[i];
		refused(r);
	}
	for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		r = req_for(7, p7, "");
		r.url = urls[i];
		refused(r);
	}
	r = req_for(0, p7, "");
	refused(r);
	r = req_for(-7, p7, "");
	refused(r);
	r = req_for(7, p7, "");
	r.date = -1;
	refused(r);
	r = req_for(7, p7, "");
	r.cache_dir = "relative/cache";
	refused(r);
}
END_TEST

START_TEST(unsafe_transports_refused_by_git)
{
	struct gitcache_req r = req_for(7, p7, "");
	struct gitcache_merge m = { .files = BUF_INIT(4096) };
	struct err e = ERR_INIT;
	char url[600], mark[400];

	snprintf(mark, sizeof(mark), "%s/pwned", top);
	snprintf(url, sizeof(url), "ext::sh -c touch%% %s", mark);
	r.url = url;
	ck_assert_int_eq(gitcache_merge(&r, &m, &e), -1);
	ck_assert_int_eq(access(mark, F_OK), -1);
	ck_assert_msg(strstr(e.msg, "git fetch"), "%s", e.msg);
	buf_release(&m.files);
}
END_TEST

START_TEST(credentials_not_in_messages)
{
	struct gitcache_req r = req_for(7, p7, "");
	struct gitcache_merge m = { .files = BUF_INIT(4096) };
	struct err e = ERR_INIT;

	/* nothing listens on port 1: the fetch fails at once; git itself
	 * hides the https password, not the git:// one ("unable to look up
	 * u:s3cr3t@127.0.0.1:1") */
	r.url = "https://x-access-token:s3cr3t@127.0.0.1:1/EESSI/x.git";
	ck_assert_int_eq(gitcache_merge(&r, &m, &e), -1);
	ck_assert_msg(strstr(e.msg, "git fetch"), "%s", e.msg);
	ck_assert_msg(!strstr(e.msg, "s3cr3t"), "%s", e.msg);
	err_clear(&e);
	r.url = "git://x-access-token:s3cr3t@127.0.0.1:1/EESSI/x.git";
	ck_assert_int_eq(gitcache_merge(&r, &m, &e), -1);
	ck_assert_msg(strstr(e.msg, "git fetch"), "%s", e.msg);
	ck_assert_msg(!strstr(e.msg, "s3cr3t"), "%s", e.msg);
	err_clear(&e);
	r.url = "git://s3cr3t@127.0.0.1:1/EESSI/x.git";
	ck_assert_int_eq(gitcache_merge(&r, &m, &e), -1);
	ck_assert_msg(!strstr(e.msg, "s3cr3t"), "%s", e.msg);
	buf_release(&m.files);
}
END_TEST

/* 1 if dir holds anything but the names given (NULL-terminated). */
static int dir_has_other(const char *dir, const char *const *names)
{
	DIR *d = opendir(dir);
	struct dirent *ent;
	int other = 0;
	size_t i;

	ck_assert_ptr_nonnull(d);
	while ((ent = readdir(d)) != NULL) {
		if (!strcmp(ent->d_name, ".") || !strcmp(ent->d_name, ".."))
			continue;
		for (i = 0; names[i] && strcmp(names[i], ent->d_name); i++)
			;
		if (!names[i])
			other = 1;
	}
	closedir(d);
	return other;
}

START_TEST(checkout_refuses_existing_and_cleans_up)
{
	static const char *const fixture[] = { "work", "remote.git", "cache",
					       "exists", NULL };
	static const char nosuch[] = "0123456789abcdef0123456789abcdef01234567";
	struct gitcache_req r = req_for(7, p7, "");
	struct gitcache_merge m = { .files = BUF_INIT(4096) };
	struct err e = ERR_INIT;
	char dest[400];
	unsigned before;

	ck_assert_msg(gitcache_merge(&r, &m, &e) == 0, "%s", e.msg);

	/* an existing destination: refused before any git, left alone */
	snprintf(dest, sizeof(dest), "%s/exists", top);
	ck_assert_int_eq(mkdir(dest, 0755), 0);
	before = gitcache_calls();
	ck_assert_int_eq(gitcache_checkout(cache, r.repo, m.merge_sha, dest,
					   &e), -1);
	ck_assert_int_eq(e.code, ERR_INVAL);
	ck_assert_uint_eq(gitcache_calls(), before);
	ck_assert_int_eq(rmdir(dest), 0);
	ck_assert_int_eq(mkdir(dest, 0755), 0);

	/* a commit the cache lacks: no destination, no temporary left */
	err_clear(&e);
	snprintf(dest, sizeof(dest), "%s/job", top);
	ck_assert_int_eq(gitcache_checkout(cache, r.repo, nosuch, dest, &e),
			 -1);
	ck_assert_msg(strstr(e.msg, "not found"), "%s", e.msg);
	ck_assert_int_eq(access(dest, F_OK), -1);
	ck_assert_int_eq(dir_has_other(top, fixture), 0);

	/* bad inputs: refused before any git */
	before = gitcache_calls();
	ck_assert_int_eq(gitcache_checkout(cache, "../x", m.merge_sha, dest,
					   &e), -1);
	ck_assert_int_eq(gitcache_checkout(cache, r.repo, "HEAD", dest, &e),
			 -1);
	ck_assert_int_eq(gitcache_checkout(cache, r.repo, m.merge_sha,
					   "-x", &e), -1);
	ck_assert_int_eq(gitcache_checkout(cache, r.repo, m.merge_sha, "",
					   &e), -1);
	ck_assert_int_eq(gitcache_checkout("cache", r.repo, m.merge_sha,
					   dest, &e), -1);
	ck_assert_uint_eq(gitcache_calls(), before);

	/* no cache for that repository */
	err_clear(&e);
	ck_assert_int_eq(gitcache_checkout(cache, "EESSI/other", m.merge_sha,
					   dest, &e), -1);
	ck_assert_int_eq(access(dest, F_OK), -1);
	buf_release(&m.files);
}
END_TEST

/* Sets every file's and directory's times below path to t (the cache
 * made "long ago"). */
static void age_tree(const char *path, time_t t)
{
	struct timeval tv[2] = { { t, 0 }, { t, 0 } };
	struct dirent *de;
	struct stat st;
	char p[1024];
	DIR *d;

	ck_assert_int_eq(lstat(path, &st), 0);
	if (S_ISDIR(st.st_mode) && (d = opendir(path))) {
		while ((de = readdir(d))) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
			age_tree(p, t);
		}
		closedir(d);
	}
	ck_assert_int_eq(lutimes(path, tv), 0);
}

static const char *kept_merge;

static int keep_one(const char *sha, void *arg)
{
	(void)arg;
	return strcmp(sha, kept_merge) == 0;
}

/* 1 if the object exists in the git dir gd. */
static int has_object(const char *gd, const char *sha)
{
	const char *const argv[] = { "git", "--git-dir", gd, "cat-file", "-e",
				     sha, NULL };
	struct spawn sp = { argv, fx_env, NULL, NULL, 0, NULL, NULL, 30000, NULL };
	struct spawn_result res;
	struct err e = ERR_INIT;

	ck_assert_msg(spawn_run(&sp, &res, &e) == 0, "%s", e.msg);
	return res.status == 0;
}

/* Two merges, two job directories; one job directory goes.  A prune keeps
 * refs younger than its age; once they are older, the merge no job
 * borrows goes with its objects and every fetch ref, and the job directory
 * that stays still works (its tree, its history, a clean status). */
START_TEST(prune_keeps_what_job_directories_borrow)
{
	struct gitcache_req r = req_for(7, p7, "");
	struct gitcache_merge m1 = { .files = BUF_INIT(4096) };
	struct gitcache_merge m2 = { .files = BUF_INIT(4096) };
	struct buf out = BUF_INIT(65536);
	struct err e = ERR_INIT;
	char gd[400], job1[400], job2[400];
	unsigned refs = 99;
	time_t now = time(NULL);

	ck_assert_msg(gitcache_merge(&r, &m1, &e) == 0, "%s", e.msg);
	r.base_sha = b0; /* the same PR merged onto an older main */
	ck_assert_msg(gitcache_merge(&r, &m2, &e) == 0, "%s", e.msg);
	ck_assert_str_ne(m1.merge_sha, m2.merge_sha);
	snprintf(job1, sizeof(job1), "%s/job1", top);
	snprintf(job2, sizeof(job2), "%s/job2", top);
	ck_assert_msg(gitcache_checkout(cache, r.repo, m1.merge_sha, job1, &e) == 0,
		      "%s", e.msg);
	ck_assert_msg(gitcache_checkout(cache, r.repo, m2.merge_sha, job2, &e) == 0,
		      "%s", e.msg);
	cache_git_dir(gd, sizeof(gd));
	unit_rm_rf(job2);
	kept_merge = m1.merge_sha;

	/* everything young: nothing goes */
	ck_assert_msg(gitcache_prune(cache, r.repo, keep_one, NULL, now, 3600,
				     &refs, &e) == 0, "%s", e.msg);
	ck_assert_uint_eq(refs, 0);
	ck_assert(has_object(gd, m2.merge_sha));

	/* two hours later */
	age_tree(cache, now - 7200);
	ck_assert_msg(gitcache_prune(cache, r.repo, keep_one, NULL, now, 3600,
				     &refs, &e) == 0, "%s", e.msg);
	ck_assert_uint_eq(refs, 3); /* merge 2, pull/7/head, heads/main */
	ck_assert(!has_object(gd, m2.merge_sha)); /* its tree is P7's */
	ck_assert(has_object(gd, m1.merge_sha));
	ck_assert(has_object(gd, p7) && has_object(gd, b1));
	/* the job directory that stays: whole and clean */
	GITC(job1, "fsck", "--no-dangling", "--no-progress");
	{
		const char *const st[] = { "git", "-C", job1, "status",
					   "--porcelain", NULL };
		const char *const lg[] = { "git", "-C", job1, "log", "-p",
					   "--format=%H", NULL };

		fx_git(st, &out);
		ck_assert_uint_eq(out.len, 0);
		fx_git(lg, &out);
		ck_assert_ptr_nonnull(strstr(out.s, m1.merge_sha));
		ck_assert_ptr_nonnull(strstr(out.s, "+from pr 7"));
	}
	assert_file(job1, "pr.txt", "from pr 7\n");
	/* a second prune finds nothing; a later build fetches again */
	ck_assert_msg(gitcache_prune(cache, r.repo, keep_one, NULL, now, 3600,
				     &refs, &e) == 0, "%s", e.msg);
	ck_assert_uint_eq(refs, 0);
	r.base_sha = "";
	ck_assert_msg(gitcache_merge(&r, &m2, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(m2.fetched, 1);
	ck_assert_str_eq(m2.merge_sha, m1.merge_sha);
	/* no cache at all: nothing to do */
	ck_assert_int_eq(gitcache_prune(cache, "other/repo", keep_one, NULL, now,
					3600, &refs, &e), 0);
	buf_release(&out);
	buf_release(&m1.files);
	buf_release(&m2.files);
}
END_TEST

Suite *gitcache_suite(void)
{
	Suite *s = suite_create("gitcache");
	TCase *tc = tcase_create("git");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, merges_checks_out_and_is_a_repo);
	tcase_add_test(tc, same_inputs_same_sha_and_warm_retry_does_not_fetch);
	tcase_add_test(tc, retry_keeps_old_base_after_main_moved);
	tcase_add_test(tc, force_pushed_head_is_fetched_by_id);
	tcase_add_test(tc, conflict_lists_paths);
	tcase_add_test(tc, missing_head_is_a_clear_error);
	tcase_add_test(tc, hostile_inputs_refused_before_git);
	tcase_add_test(tc, unsafe_transports_refused_by_git);
	tcase_add_test(tc, credentials_not_in_messages);
	tcase_add_test(tc, checkout_refuses_existing_and_cleans_up);
	tcase_add_test(tc, prune_keeps_what_job_directories_borrow);
	suite_add_tcase(s, tc);
	return s;
}
