/* soak.c - a busy instance's disks over months, on an injected clock
 * (scripts/soak-retention builds the inputs and reads the figures).
 *
 *   soak CONFIG HEADS DAYS DELIVERIES TARGETS
 *
 * CONFIG is the instance's app.cfg; HEADS holds "N SHA" per pull request
 * (its refs/pull/N/head in the remote github.git_url points at).  The
 * clock starts now and moves a day at a time.  Each day:
 *   - DELIVERIES / DAYS deliveries arrive, written as the webhook handler
 *     writes them and handled (done/); one in twenty fails (failed/ with
 *     its reason and effect journal), each file dated that day;
 *   - the day's pull requests open (they are spread evenly over the
 *     DAYS days): each is merged in the git cache (real git) and
 *     checked out into a job directory per target, with synthetic job
 *     output (slurm-ID.out 4 KiB, _bot_jobID.result, a 16 KiB tarball);
 *     one in three is built again the next day (a second event);
 *   - pull requests close 1 to 10 days after they opened (the closed
 *     marker, as a pull_request "closed" delivery leaves it);
 *   - the manager's sweeps run as at the end of an iteration on that day:
 *     lifecycle_sweep(), retention_sweep(), retention_git().
 * Every 7th day one line: "week W day D spool B I cache B I jobs B I trash
 * B I open N" (bytes in use, by blocks, and inodes of each tree), and
 * every open pull request is checked: each of its job directories there,
 * its merge branch in the cache, and git able to read its tree through
 * the borrowed objects ("LOST ..." lines otherwise, and exit 1).
 * Exit 0, 1 on a lost job directory, 2 usage or setup error. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "effects.h"
#include "err.h"
#include "gitcache.h"
#include "jobrec.h"
#include "lifecycle.h"
#include "log.h"
#include "num.h"
#include "retention.h"
#include "spawn.h"
#include "spool.h"
#include "xio.h"

#define DAY 86400LL
#define REPO "soak-org/software-layer"

struct pr {
	long long n;
	char head[JOBREC_SHA_MAX + 1];
	char merge[JOBREC_SHA_MAX + 1];
	int open_day, close_day, builds;
	char events[2][40]; /* event directories, relative to jobs_base_dir */
};

static struct conf *c;
static struct pr *prs;
static size_t nprs;
static int targets;
static char cache_dir[4096], url[4200];

static void die(const char *what, const struct err *e)
{
	fprintf(stderr, "soak: %s: %s\n", what, e ? e->msg : strerror(errno));
	exit(2);
}

static void set_time(const char *path, long long t)
{
	struct timeval tv[2] = { { (time_t)t, 0 }, { (time_t)t, 0 } };

	(void)lutimes(path, tv);
}

static void put_file(const char *path, size_t size, long long t)
{
	struct err e = ERR_INIT;
	char *data = malloc(size + 1);

	if (!data)
		die("out of memory", NULL);
	for (size_t i = 0; i < size; i++)
		data[i] = (char)('a' + (i * 7 + size) % 26);
	if (xio_write_atomic(path, data, size, 0644, &e) < 0)
		die(path, &e);
	set_time(path, t);
	free(data);
}

static void uuid_of(long long i, char *out)
{
	snprintf(out, 37, "%08llx-0000-4000-8000-%012llx", i & 0xffffffffLL,
		 i & 0xffffffffffffLL);
}

/* One delivery, handled (or failed) on day t. */
static void deliver(long long i, long long t)
{
	const char *spool = c->event_handler.spool_dir;
	char id[37], path[8192], body[8192];
	struct err e = ERR_INIT;
	struct effects fx;
	int len;

	uuid_of(i, id);
	len = snprintf(body, sizeof(body), "{\"action\":\"created\",\"soak\":%lld,"
		       "\"pad\":\"%0*d\"}", i, 7000, 0);
	if (spool_put(spool, id, "issue_comment", body, (size_t)len, &e) < 0 ||
	    spool_move(spool, id, "incoming", "claimed", 0, &e) != 0)
		die("spool", &e);
	if (i % 20 == 0) {
		if (effects_open(&fx, spool, id, &e) < 0 ||
		    effects_put(&fx, "reply.intent", "1", &e) < 0 ||
		    spool_fail(spool, id, "soak: a failure", &e) < 0)
			die("spool fail", &e);
		effects_release(&fx);
		snprintf(path, sizeof(path), "%s/failed/%s", spool, id);
	} else {
		if (spool_move(spool, id, "claimed", "done", 0, &e) != 0)
			die("spool done", &e);
		snprintf(path, sizeof(path), "%s/done/%s", spool, id);
	}
	set_time(path, t);
}

/* A build of p on day t: the merge, a job directory per target. */
static void build(struct pr *p, long long t, int ev)
{
	struct gitcache_req r = { cache_dir, url, REPO, p->n, p->head, "main",
				  "", t };
	struct gitcache_merge m = { .files = BUF_INIT(4096) };
	struct err e = ERR_INIT;
	char month[16], dir[8192], f[8300];
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(month, sizeof(month), "%Y.%m", &tm);
	if (gitcache_merge(&r, &m, &e) < 0 || m.conflict)
		die("merge", &e);
	snprintf(p->merge, sizeof(p->merge), "%s", m.merge_sha);
	snprintf(p->events[ev], sizeof(p->events[ev]), "%s", month);
	for (int k = 0; k < targets; k++) {
		long long id = p->n * 100 + ev * 10 + k;

		snprintf(dir, sizeof(dir), "%s/%s/%s/pr_%lld/event_%d/run_000",
			 c->buildenv.jobs_base_dir, month, REPO, p->n, ev);
		if (xio_mkdir_p(dir, 0755, &e) < 0)
			die(dir, &e);
		snprintf(dir + strlen(dir), sizeof(dir) - strlen(dir),
			 "/linux_x86_64_target%d", k);
		if (gitcache_checkout(cache_dir, REPO, m.merge_sha, dir, &e) < 0)
			die("checkout", &e);
		snprintf(f, sizeof(f), "%s/slurm-%lld.out", dir, id);
		put_file(f, 4096, t);
		snprintf(f, sizeof(f), "%s/_bot_job%lld.result", dir, id);
		put_file(f, 200, t);
		snprintf(f, sizeof(f), "%s/eessi-2023.06-software-%lld.tar.gz", dir, id);
		put_file(f, 16384, t);
	}
	buf_release(&m.files);
}

static void close_pr(const struct pr *p, long long t)
{
	char path[8192], text[64];
	struct err e = ERR_INIT;

	snprintf(path, sizeof(path), "%s/" LIFECYCLE_DIR "/%s",
		 c->job_manager.job_ids_dir, REPO);
	if (xio_mkdir_p(path, 0755, &e) < 0)
		die(path, &e);
	snprintf(path + strlen(path), sizeof(path) - strlen(path), "/%lld", p->n);
	snprintf(text, sizeof(text), "closed %lld\n", t);
	if (xio_write_atomic(path, text, strlen(text), 0644, &e) < 0)
		die(path, &e);
}

/* Blocks in use (bytes) and inodes below path, symlinks not followed. */
static void usage_of(const char *path, long long *bytes, long long *inodes)
{
	struct dirent *de;
	struct stat st;
	char sub[8192];
	DIR *d;

	if (lstat(path, &st) < 0)
		return;
	*bytes += (long long)st.st_blocks * 512;
	(*inodes)++;
	if (!S_ISDIR(st.st_mode) || !(d = opendir(path)))
		return;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		usage_of(sub, bytes, inodes);
	}
	closedir(d);
}

/* The job directories' months (not the cache, not the trash). */
static void jobs_usage(long long *bytes, long long *inodes)
{
	struct dirent *de;
	char sub[8192];
	DIR *d = opendir(c->buildenv.jobs_base_dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (strlen(de->d_name) != 7 || de->d_name[4] != '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", c->buildenv.jobs_base_dir, de->d_name);
		usage_of(sub, bytes, inodes);
	}
	closedir(d);
}

/* git can read the job directory's tree (its objects are borrowed). */
static int git_reads(const char *dir)
{
	char gd[8300];
	const char *const argv[] = { "git", "--git-dir", gd, "cat-file", "-e",
				     "HEAD^{tree}", NULL };
	const char *const env[] = { "PATH=/usr/local/bin:/usr/bin:/bin",
				    "LC_ALL=C", "GIT_CONFIG_NOSYSTEM=1",
				    "GIT_CONFIG_GLOBAL=/dev/null", NULL };
	struct spawn sp = { argv, env, NULL, NULL, 0, NULL, NULL, 30000, NULL };
	struct spawn_result res;
	struct err e = ERR_INIT;

	snprintf(gd, sizeof(gd), "%s/.git", dir);
	return spawn_run(&sp, &res, &e) == 0 && res.status == 0;
}

/* Every open PR's job directories, whole: the number lost. */
static int check_open(int day)
{
	char dir[8192], ref[8192];
	struct stat st;
	int lost = 0;

	for (size_t i = 0; i < nprs; i++) {
		const struct pr *p = &prs[i];

		if (p->open_day > day || p->close_day <= day)
			continue;
		snprintf(ref, sizeof(ref), "%s/%s.git/refs/heads/bot/merge/%s",
			 cache_dir, REPO, p->merge);
		if (stat(ref, &st) < 0) {
			printf("LOST day %d PR %lld: merge branch %s\n", day, p->n, p->merge);
			lost++;
		}
		for (int ev = 0; ev < p->builds; ev++)
			for (int k = 0; k < targets; k++) {
				snprintf(dir, sizeof(dir),
					 "%s/%s/%s/pr_%lld/event_%d/run_000/linux_x86_64_target%d",
					 c->buildenv.jobs_base_dir, p->events[ev], REPO,
					 p->n, ev, k);
				if (stat(dir, &st) < 0 || (k == 0 && !git_reads(dir))) {
					printf("LOST day %d PR %lld: %s\n", day, p->n, dir);
					lost++;
				}
			}
	}
	return lost;
}

static void figures(int day, long long t)
{
	long long b[4] = { 0 }, n[4] = { 0 };
	struct buf trash = BUF_INIT(8192);
	int open = 0;

	usage_of(c->event_handler.spool_dir, &b[0], &n[0]);
	usage_of(cache_dir, &b[1], &n[1]);
	jobs_usage(&b[2], &n[2]);
	if (c->clean_up.trash_bin_dir)
		buf_adds(&trash, c->clean_up.trash_bin_dir);
	else
		buf_addf(&trash, "%s/trash_bin", c->buildenv.jobs_base_dir);
	usage_of(trash.s, &b[3], &n[3]);
	buf_release(&trash);
	for (size_t i = 0; i < nprs; i++)
		open += prs[i].open_day <= day && prs[i].close_day > day;
	printf("week %d day %d spool %lld %lld cache %lld %lld jobs %lld %lld "
	       "trash %lld %lld open %d\n", day / 7, day, b[0], n[0], b[1], n[1],
	       b[2], n[2], b[3], n[3], open);
	(void)t;
	fflush(stdout);
}

static void read_heads(const char *path)
{
	FILE *f = fopen(path, "r");
	long long n;
	char sha[JOBREC_SHA_MAX + 1];

	if (!f)
		die(path, NULL);
	while (fscanf(f, "%lld %64s", &n, sha) == 2) {
		struct pr *v = realloc(prs, (nprs + 1) * sizeof(*prs));

		if (!v)
			die("out of memory", NULL);
		prs = v;
		memset(&prs[nprs], 0, sizeof(*prs));
		prs[nprs].n = n;
		snprintf(prs[nprs].head, sizeof(prs[nprs].head), "%s", sha);
		nprs++;
	}
	fclose(f);
}

/* The manager's sweeps on day t. */
static void sweeps(long long t)
{
	struct retention_stats rs;
	struct err e = ERR_INIT;
	unsigned moved = 0, refs = 0;

	if (lifecycle_sweep(c, t, &moved, &e) < 0)
		die("lifecycle_sweep", &e);
	if (retention_sweep(c, t, &rs, &e) < 0)
		die("retention_sweep", &e);
	if (retention_git(c, t, &refs, &e) < 0)
		die("retention_git", &e);
}

int main(int argc, char **argv)
{
	struct conf_env env = { getenv("HOME"), getenv("USER") };
	struct buf report = BUF_INIT(65536);
	struct err e = ERR_INIT;
	long long t0 = (long long)time(NULL), delivered = 0, deliveries, v, tg;
	int days, lost = 0;

	if (argc != 6) {
		fprintf(stderr, "usage: soak CONFIG HEADS DAYS DELIVERIES TARGETS\n");
		return 2;
	}
	if (log_open(NULL, "soak", LOGL_WARN, &e) < 0)
		die("log", &e);
	if (conf_load(argv[1], &env, &c, &report) < 0) {
		fprintf(stderr, "soak: %s", report.s);
		return 2;
	}
	read_heads(argv[2]);
	if (num_parse(argv[3], 7, 3650, &v) < 0 ||
	    num_parse(argv[4], 0, 10000000, &deliveries) < 0 ||
	    num_parse(argv[5], 1, 9, &tg) < 0 || !nprs || !c->github.git_url)
		die("bad arguments (DAYS 7..3650, DELIVERIES, TARGETS 1..9, "
		    "heads, git_url)", NULL);
	days = (int)v;
	targets = (int)tg;
	snprintf(cache_dir, sizeof(cache_dir), "%s",
		 c->buildenv.git_cache_dir ? c->buildenv.git_cache_dir : "");
	if (!*cache_dir)
		snprintf(cache_dir, sizeof(cache_dir), "%s/.git-cache",
			 c->buildenv.jobs_base_dir);
	snprintf(url, sizeof(url), "%s/%s.git", c->github.git_url, REPO);
	if (spool_init(c->event_handler.spool_dir, &e) < 0)
		die("spool", &e);
	for (size_t i = 0; i < nprs; i++) {
		prs[i].open_day = (int)((long long)i * days / (long long)nprs);
		prs[i].close_day = prs[i].open_day + 1 + (int)((i * 7) % 10);
	}
	for (int day = 0; day < days; day++) {
		long long t = t0 + day * DAY;

		for (; delivered < deliveries * (day + 1) / days; delivered++)
			deliver(delivered + 1, t + delivered % DAY);
		for (size_t i = 0; i < nprs; i++) {
			struct pr *p = &prs[i];

			if (p->open_day == day)
				build(p, t + 3600, p->builds++);
			else if (p->open_day + 1 == day && i % 3 == 0 &&
				 p->close_day > day)
				build(p, t + 7200, p->builds++);
			if (p->close_day == day)
				close_pr(p, t + 9000);
		}
		sweeps(t + 12 * 3600);
		if (day % 7 == 6 || day == days - 1) {
			figures(day, t);
			lost += check_open(day);
		}
	}
	printf("%s: %d job directories of open pull requests lost\n",
	       lost ? "FAIL" : "OK", lost);
	conf_free(c);
	free(prs);
	buf_release(&report);
	return lost ? 1 : 0;
}
