/* eessi-bot-manager - the bot's command-line tool, run by cron and by hand.
 *
 * Actions: manager iterations (the default: -i N of them, 1 unless told,
 * -j IDS for only some jobs), --consume (the spool consumer the webhook
 * handler starts), --deploy (the uploads of bot:deploy, which an iteration
 * starts as a process of its own when requests wait) and --check-config.
 *
 * An iteration drains the spool (as --consume does, a safety net) and then
 * runs manager_iterate() (lib/flows/manager.h), which releases, follows and
 * reports the jobs; it ends with one log line of figures (see usage_text).
 * Between iterations the program sleeps job_manager.poll_interval seconds;
 * SIGTERM or SIGINT ends the loop after the current iteration.
 *
 * Exit status: 0 fine, 1 the configuration has problems (or cannot be
 * read) or some work failed, 2 the command line is wrong.
 *
 * Layer: programs, above the flows (README, "Map of the code").
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <sys/stat.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "conf.h"
#include "consume.h"
#include "deploy.h"
#include "github.h"
#include "instance.h"
#include "log.h"
#include "manager.h"
#include "num.h"
#include "priv.h"
#include "spawn.h"

#ifndef EESSI_BOT_VERSION
#define EESSI_BOT_VERSION "0.1.0-dev"
#endif

#define PROG "eessi-bot-manager"
#define DEFAULT_CONFIG "app.cfg"

enum action { ACT_ITERATE, ACT_CONSUME, ACT_DEPLOY, ACT_CHECK_CONFIG,
	      ACT_HELP, ACT_VERSION };

struct options {
	enum action action;
	const char *config;   /* -c FILE, NULL: $EESSI_BOT_CONFIG or ./app.cfg */
	long long iterations; /* -i: < 0 forever, 0 none, > 0 that many */
	int iterate_opts;     /* -i or -j was given */
	long long *only;      /* -j: these job ids (free()), NULL: all */
	size_t nonly;
	const char *as;       /* --as USER (--check-config) */
	int file_only;        /* --file-only (--check-config) */
};

enum { OPT_CHECK_CONFIG = 256, OPT_CONSUME, OPT_DEPLOY, OPT_VERSION, OPT_AS,
       OPT_FILE_ONLY };

static const char usage_text[] =
	"NAME\n"
	"    " PROG " - command-line tool of the EESSI build-and-deploy bot\n"
	"\n"
	"SYNOPSIS\n"
	"    " PROG " [-c FILE] [-i N] [-j IDS]\n"
	"    " PROG " [-c FILE] --consume\n"
	"    " PROG " [-c FILE] --deploy\n"
	"    " PROG " [-c FILE] --check-config [--as USER] [--file-only]\n"
	"    " PROG " -h | --help\n"
	"    " PROG " --version\n"
	"\n"
	"DESCRIPTION\n"
	"    The bot builds software for pull requests on the EESSI software\n"
	"    layer and deploys what it built.  This program is its command-line\n"
	"    side; it reads the bot's configuration file, app.cfg (libconfig\n"
	"    syntax, documented key by key in app.cfg.example).\n"
	"\n"
	"    Without an action it is the job manager: it runs manager\n"
	"    iterations, one unless -i says otherwise, which is what cron starts\n"
	"    every minute.  One iteration:\n"
	"      1. handles every delivery still waiting in the spool (after a\n"
	"         crash, in plain-CGI mode, or when a wake-up was missed), as\n"
	"         --consume does;\n"
	"      2. takes JOB_IDS_DIR/manager.lock (an iteration finding it taken\n"
	"         does nothing more: cron never piles them up);\n"
	"      3. reads the job records JOB_IDS_DIR/submitted/ID (with -j only\n"
	"         those; one that does not parse goes to broken/) and the\n"
	"         status comments' state (JOB_IDS_DIR/comments/);\n"
	"      4. asks Slurm: one squeue (poll_command) for all the bot's jobs,\n"
	"         then at most one sacct (sacct_command) for the jobs squeue no\n"
	"         longer shows; if squeue fails nothing else happens;\n"
	"      5. releases the held jobs with one scontrol release\n"
	"         (job_handover_protocol \"hold_release\");\n"
	"      6. reads the result files of the jobs that ended in their job\n"
	"         directories;\n"
	"      7. edits each status comment whose rows changed, once, on GitHub\n"
	"         (a comment that did not change costs no call); then moves the\n"
	"         records of the jobs that are over to JOB_IDS_DIR/finished/;\n"
	"      8. when deploy requests wait (JOB_IDS_DIR/deploy/pending/), starts\n"
	"         \"" PROG " --deploy\" as a process of its own, which\n"
	"         outlives the iteration (uploads take minutes; the next\n"
	"         iteration does not wait for them).\n"
	"    A status row goes held (\"submitted\" with delayed_begin) ->\n"
	"    released -> running -> finished (SUCCESS, FAILURE or UNKNOWN, with\n"
	"    Slurm's end state); \"pending\" with Slurm's reason when a released\n"
	"    job has waited pending_reason_after seconds; \"lost\" when Slurm\n"
	"    has not known a job for lost_after seconds and it left no result.\n"
	"    Killed anywhere, the next iteration picks up where it stopped.\n"
	"\n"
	"OPTIONS\n"
	"    -c, --config FILE\n"
	"        Read the configuration from FILE.\n"
	"    -i, --max-manager-iterations N\n"
	"        Run N iterations (default 1), job_manager.poll_interval seconds\n"
	"        apart; N < 0: until SIGTERM or SIGINT; N = 0: none (the\n"
	"        configuration is still loaded).  SIGTERM or SIGINT always lets\n"
	"        the current iteration finish, then ends the run (exit status\n"
	"        as usual).  N is a decimal integer.\n"
	"    -j, --jobs IDS\n"
	"        Process only these jobs: comma-separated Slurm job ids\n"
	"        (1..4294967295), e.g. -j 2222 or -j 2222,2223.  The others are\n"
	"        left as they are, for the next full iteration.\n"
	"    --consume\n"
	"        Handle the deliveries waiting in the spool\n"
	"        (event_handler.spool_dir), oldest first, and exit when none is\n"
	"        left and none came for 3 s more.  The webhook handler starts\n"
	"        this after each delivery it accepts; only one consumer runs at\n"
	"        a time (a second one exits at once, status 0).  Each delivery\n"
	"        is routed by event and action; it ends in done/, or in failed/\n"
	"        with a .reason file beside it.  To handle a failed delivery\n"
	"        again, move it back:\n"
	"            mv SPOOL/failed/ID SPOOL/incoming/ID\n"
	"        Logs to event_handler.log_file.\n"
	"    --deploy\n"
	"        Carry out the deploy requests waiting in\n"
	"        JOB_IDS_DIR/deploy/pending/ (made by the label bot:deploy, see\n"
	"        PULL REQUEST COMMANDS), then exit.  For each: the finished jobs\n"
	"        of that pull request (records in JOB_IDS_DIR/finished/; jobs\n"
	"        still in submitted/ get a row \"not finished\"), their result\n"
	"        files, and the artefacts of the SUCCESS jobs, chosen by\n"
	"        deploycfg.upload_policy:\n"
	"            all     every artefact;\n"
	"            latest  per build target (eessi-VERSION-TYPE-OS-ARCH) the\n"
	"                    newest one (highest timestamp, then job id);\n"
	"            once    as latest, but nothing for a build target of which\n"
	"                    an artefact of this pull request is up already;\n"
	"            none    nothing.\n"
	"        An artefact whose SHA-256 is in the ledger\n"
	"        (JOB_IDS_DIR/deploy/uploaded/SHA256) is never uploaded again.\n"
	"        Each goes to the bucket deploycfg.bucket_name (at\n"
	"        deploycfg.endpoint_url, or Amazon S3) as\n"
	"            [artefact_prefix/]VERSION/TYPE/OS/ARCH/TIMESTAMP/TARBALL\n"
	"        with its metadata (JSON: uploader, payload with the sha256sum,\n"
	"        link to the pull request, job) at\n"
	"            [metadata_prefix/]VERSION/TYPE/OS/ARCH/TIMESTAMP/TARBALL.meta.txt\n"
	"        and, with deploycfg.signing_command, a signature of each beside\n"
	"        it (KEY.sig, written by the command as FILE.sig for the FILE\n"
	"        appended to its argv; it runs with a clean environment and 60 s\n"
	"        at most).  An object already on the server with the same\n"
	"        x-amz-meta-sha256 is not sent again.  The request's reply on\n"
	"        the pull request is edited (only when its text changed) into a\n"
	"        table with a row per artefact and per job without one.  A\n"
	"        request whose rows are all final moves to deploy/done/; one\n"
	"        with a row \"not uploaded yet: REASON\" (server down, an\n"
	"        error, no credentials) stays pending and the next manager\n"
	"        iteration starts a new run, which goes on where this one\n"
	"        stopped.  Only one deploy run at a time (JOB_IDS_DIR/deploy/\n"
	"        deploy.lock): a second one exits at once, status 0.  The S3\n"
	"        credentials come from the environment (AWS_ACCESS_KEY_ID,\n"
	"        AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) or from\n"
	"        deploycfg.credentials_file (profile $AWS_PROFILE, else\n"
	"        \"default\"), never from app.cfg; they are never logged.  Logs to\n"
	"        job_manager.log_file, one line per request and a line of\n"
	"        figures at the end (see LOG).\n"
	"    --check-config\n"
	"        Load the configuration and check all of it: types, required\n"
	"        keys, unknown keys (with a suggestion for near misses), values,\n"
	"        the architecture and repository target maps.  Prints\n"
	"        \"FILE: OK\" on standard output and any warnings on standard\n"
	"        error, or every problem found, one per line, as\n"
	"        \"FILE:LINE: group.key: what is wrong (expected ..., got ...)\".\n"
	"        Also reports github.private_key and github.webhook_secret_file\n"
	"        when they are open to group or others, not regular files (a\n"
	"        symlink included) or owned by another account than this one or\n"
	"        root: the other modes refuse to start then (chmod 600 them).\n"
	"        Then the instance, as this account sees it: the key readable\n"
	"        and an RSA private key, a webhook secret (file or\n"
	"        $GITHUB_APP_SECRET_TOKEN), the Slurm commands executable, the\n"
	"        job script readable, every directory the bot writes writable\n"
	"        or creatable (one under a $HOME that does not exist named as\n"
	"        such), repos.cfg there when repository targets are set; each\n"
	"        problem as \"group.key: PATH: what is wrong; fix: ...\".\n"
	"        Nothing is created or changed.\n"
	"    --as USER\n"
	"        With --check-config, run by root: check as the account USER\n"
	"        (its groups, $HOME and $USER), the one the bot runs as.\n"
	"    --file-only\n"
	"        With --check-config: the file alone, not the instance (for a\n"
	"        file written for another machine).\n"
	"    -h, --help\n"
	"        Show this text.\n"
	"    --version\n"
	"        Show the version.\n"
	"    -i and -j go with the iterations only, not with --consume,\n"
	"    --deploy or --check-config.\n"
	"\n"
	"CONFIGURATION\n"
	"    The iterations read, besides the paths: job_manager.job_ids_dir,\n"
	"    poll_command (squeue), sacct_command (sacct; unset: none),\n"
	"    scontrol_command (scontrol release), poll_interval (seconds between\n"
	"    iterations), pending_reason_after (seconds a released job may stay\n"
	"    pending before its row shows Slurm's reason), lost_after (seconds a\n"
	"    job may be missing from squeue and sacct before it is judged:\n"
	"    finished from what it left behind, or lost), log_file, log_level;\n"
	"    buildenv.job_handover_protocol (\"hold_release\": the manager\n"
	"    releases the held jobs; \"delayed_begin\": the jobs start by\n"
	"    themselves, nothing is released); the github group for the edits.\n"
	"\n"
	"LOG\n"
	"    Iterations log to job_manager.log_file (standard error when unset).\n"
	"    Each iteration that ran ends with one info line of figures:\n"
	"        iteration: 12 jobs, 2 released, 3 rows changed, 1 finished,\n"
	"        0 lost, 0 broken; 2 comments edited; 0 job directories to\n"
	"        the trash, 0 old entries removed; 1 squeue, 0 sacct,\n"
	"        1 scontrol, 2 github calls; 84 ms, CPU 21 ms, max RSS 9816 kB\n"
	"    (on one line): the records followed, jobs released, status rows\n"
	"    changed, records moved to finished/ (of which lost) and to broken/,\n"
	"    comments edited, the directories of closed pull requests moved to\n"
	"    clean_up.trash_bin_dir, the spool entries and trash days removed\n"
	"    as old (keep_done_days, keep_failed_days, keep_trash_days), the\n"
	"    Slurm commands and GitHub requests made, the\n"
	"    iteration's wall time and CPU time (the Slurm commands' included),\n"
	"    and the process's peak memory so far.  An iteration that failed logs the error\n"
	"    before it.  One that found the lock taken logs \"another manager\n"
	"    iteration is running (lock FILE); nothing done\" instead (also on\n"
	"    standard error when that is a terminal and the log goes elsewhere).\n"
	"    A deploy run (--deploy) logs a line per request and ends with:\n"
	"        deploy: 1 requests, 1 done, 3 uploaded, 0 already, 2 skipped,\n"
	"        0 not yet; 104857600 bytes sent; 1 github calls; 5120 ms\n"
	"    (on one line): the requests looked at and those moved to done/,\n"
	"    the artefacts uploaded, found uploaded already (ledger or server),\n"
	"    not uploaded by policy or result, and left for a later run; the\n"
	"    payload bytes sent, GitHub requests and wall time.  One that finds\n"
	"    another deploy run at work logs \"another deploy run is running\n"
	"    (lock FILE); nothing done\".\n"
	"\n"
	"PULL REQUEST COMMANDS\n"
	"    One per line in a pull request comment; the comment gets an\n"
	"    \"eyes\" reaction.  Comments by bots (this one included) are never\n"
	"    answered.\n"
	"    bot: help\n"
	"        A reply listing the commands (anyone may ask).\n"
	"    bot: build [arch:A] [repo:R] [inst:I] [accel:X]\n"
	"        Build the pull request's head, merged onto its base branch, for\n"
	"        the matching targets of this instance (no filter: all): a job\n"
	"        directory and a held Slurm job per target, and one status\n"
	"        comment.  Only logins in buildenv.build_permission; others get\n"
	"        buildenv.no_build_permission_comment.  A wrong filter gets a\n"
	"        reply saying what is valid, and nothing is built.\n"
	"    The label bot:build on a pull request, set by a login in\n"
	"    build_permission, builds every target.\n"
	"    The label bot:deploy on a pull request, set by a login in\n"
	"    deploycfg.deploy_permission (empty: nobody), gets one reply \"deploy\n"
	"    queued\" and a request in JOB_IDS_DIR/deploy/pending/, which the\n"
	"    next manager iteration hands to --deploy; the reply then shows a\n"
	"    row per artefact.  Others get\n"
	"    deploycfg.no_deploy_permission_comment (\"\": no reply) and nothing\n"
	"    happens.  Labels set by bots are ignored.\n"
	"\n"
	"FILES\n"
	"    ./app.cfg\n"
	"        The configuration read when neither -c nor $EESSI_BOT_CONFIG\n"
	"        names one.\n"
	"    JOB_IDS_DIR/submitted/ID\n"
	"        The record of job ID (INI, written at submission): the jobs\n"
	"        the manager follows.\n"
	"    JOB_IDS_DIR/finished/ID\n"
	"        The records of the jobs that are over, [STATE] added.\n"
	"    JOB_IDS_DIR/broken/ID, JOB_IDS_DIR/broken/ID.reason\n"
	"        Records that could not be read, and why; no longer followed.\n"
	"        Mend one and move it back to submitted/ to follow it again.\n"
	"    JOB_IDS_DIR/comments/ID.json\n"
	"        The state of status comment ID (its rows); the comment's text\n"
	"        is made from it.  Removed or damaged, it is made again from the\n"
	"        records.\n"
	"    JOB_IDS_DIR/manager.lock\n"
	"        Held (flock) by the running iteration.\n"
	"    JOB_IDS_DIR/deploy/pending/DELIVERY, JOB_IDS_DIR/deploy/done/DELIVERY\n"
	"        Deploy requests (INI, [DEPLOY]: repo, pr, sender, installation,\n"
	"        comment_id, requested_at), named by the label's delivery id;\n"
	"        to run a done one again, move it back to pending/.  An\n"
	"        unreadable one is moved to deploy/broken/.\n"
	"    JOB_IDS_DIR/deploy/uploaded/SHA256\n"
	"        The ledger: one file per artefact that is up (its keys, bucket,\n"
	"        pull request, job), written after the last object.\n"
	"    JOB_IDS_DIR/deploy/reports/DELIVERY\n"
	"        The text last written into the request's reply.\n"
	"    JOB_IDS_DIR/deploy/staging/SHA256/\n"
	"        Metadata (and signatures) of an upload in progress.\n"
	"    JOB_IDS_DIR/deploy/deploy.lock\n"
	"        Held (flock) by the running deploy run.\n"
	"    (JOB_IDS_DIR is job_manager.job_ids_dir.)\n"
	"\n"
	"ENVIRONMENT\n"
	"    EESSI_BOT_CONFIG\n"
	"        The configuration file, unless -c is given.\n"
	"    HOME, USER\n"
	"        Replace $HOME/${HOME} and $USER/${USER} in the paths of the\n"
	"        configuration (from the password database when unset).\n"
	"    SLURM_CONF\n"
	"        Passed on to sbatch, squeue, sacct and scontrol, which read it.\n"
	"    TZ\n"
	"        The times squeue prints are read in the local time zone: run\n"
	"        the manager with the cluster's TZ.  Passed on to Slurm too.\n"
	"    PATH\n"
	"        Passed on to the Slurm commands (their own paths are absolute\n"
	"        in the configuration).\n"
	"    AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,\n"
	"    AWS_PROFILE\n"
	"        The S3 credentials of --deploy (or the profile of\n"
	"        deploycfg.credentials_file); an iteration passes them on to the\n"
	"        deploy run it starts, with PATH, HOME, TZ, SLURM_CONF and\n"
	"        EESSI_BOT_ALLOW_ROOT, and nothing else.  The signing command\n"
	"        gets none of them.\n"
	"    EESSI_BOT_ALLOW_ROOT\n"
	"        1: run even as root.  Otherwise every mode but --help,\n"
	"        --version and --check-config refuses root (effective uid 0):\n"
	"        run it as the bot's own account.\n"
	"\n"
	"EXIT STATUS\n"
	"    0  success (warnings do not change it; nor does an iteration or a\n"
	"       deploy run that found another one running, nor a deploy request\n"
	"       left pending for the next run)\n"
	"    1  the configuration has problems or cannot be read, or an\n"
	"       iteration failed (the others still ran), or a deploy run could\n"
	"       not run\n"
	"    2  wrong command line (a bad -i or -j included)\n"
	"\n"
	"EXAMPLES\n"
	"    The crontab line of the bot's account (one iteration a minute; see\n"
	"    conf/eessi-bot-manager.cron):\n"
	"        * * * * * /usr/local/bin/" PROG " -c /etc/eessi-bot/app.cfg\n"
	"    By hand, three iterations for job 2222 only:\n"
	"        " PROG " -c app.cfg -i 3 -j 2222\n"
	"    The waiting deploy requests, now, in the foreground:\n"
	"        " PROG " -c app.cfg --deploy\n";

static void usage_hint(void)
{
	fprintf(stderr, "Try '" PROG " --help' for more information.\n");
}

/* -i's N: a decimal integer, optionally negative; nothing else (no
 * blanks, no '+', no trailing text, no overflow).  0, or -1. */
static int parse_count(const char *s, long long *out)
{
	return num_parse(s, LLONG_MIN + 1, LLONG_MAX, out);
}

/* -j's IDS, through manager_parse_ids(): 0, or -1 after saying what is
 * wrong on stderr.  A second -j replaces the first. */
static int parse_jobs(const char *s, struct options *o)
{
	struct err e = ERR_INIT;
	long long *ids = NULL;
	size_t n = 0;

	if (manager_parse_ids(s, &ids, &n, &e) < 0) {
		fprintf(stderr, PROG ": -j: %s\n", e.msg);
		return -1;
	}
	free(o->only);
	o->only = ids;
	o->nonly = n;
	return 0;
}

static void options_release(struct options *o)
{
	free(o->only);
	o->only = NULL;
	o->nonly = 0;
}

/* Fills o from argv: 0, or -1 after saying what is wrong on stderr. */
/* -i N: 0, or -1 after saying what is wrong on stderr. */
static int take_count(const char *s, struct options *o)
{
	if (parse_count(s, &o->iterations) == 0)
		return 0;
	fprintf(stderr, PROG ": -i: invalid number '%.64s' (expected an "
		"integer: < 0 forever, 0 none, > 0 that many iterations)\n", s);
	return -1;
}

/* One option of getopt_long() (optarg its value): 0 go on, 1 stop here
 * (--help, --version), -1 wrong (said on stderr). */
static int take_option(int c, struct options *o)
{
	switch (c) {
	case 'c':
		o->config = optarg;
		return 0;
	case 'i':
		o->iterate_opts = 1;
		return take_count(optarg, o);
	case 'j':
		o->iterate_opts = 1;
		return parse_jobs(optarg, o) < 0 ? -1 : 0;
	case OPT_CHECK_CONFIG:
		o->action = ACT_CHECK_CONFIG;
		return 0;
	case OPT_AS:
		o->as = optarg;
		return 0;
	case OPT_FILE_ONLY:
		o->file_only = 1;
		return 0;
	case OPT_CONSUME:
		o->action = ACT_CONSUME;
		return 0;
	case OPT_DEPLOY:
		o->action = ACT_DEPLOY;
		return 0;
	case 'h':
		o->action = ACT_HELP;
		return 1;
	case OPT_VERSION:
		o->action = ACT_VERSION;
		return 1;
	default:
		return -1;
	}
}

static const struct option longopts[] = {
	{"config", required_argument, NULL, 'c'},
	{"max-manager-iterations", required_argument, NULL, 'i'},
	{"jobs", required_argument, NULL, 'j'},
	{"check-config", no_argument, NULL, OPT_CHECK_CONFIG},
	{"as", required_argument, NULL, OPT_AS},
	{"file-only", no_argument, NULL, OPT_FILE_ONLY},
	{"consume", no_argument, NULL, OPT_CONSUME},
	{"deploy", no_argument, NULL, OPT_DEPLOY},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, OPT_VERSION},
	{NULL, 0, NULL, 0},
};

static int parse_options(int argc, char **argv, struct options *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->action = ACT_ITERATE;
	o->iterations = 1;
	opterr = 1; /* getopt_long explains unknown options itself */
	while ((c = getopt_long(argc, argv, "c:hi:j:", longopts, NULL)) != -1) {
		int rc = take_option(c, o);

		if (rc != 0)
			return rc == 1 ? 0 : -1;
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s'\n",
			argv[optind]);
		return -1;
	}
	if ((o->as || o->file_only) && o->action != ACT_CHECK_CONFIG) {
		fprintf(stderr, PROG ": --as and --file-only go with "
			"--check-config\n");
		return -1;
	}
	if (o->iterate_opts && o->action != ACT_ITERATE) {
		fprintf(stderr, PROG ": -i and -j go with the manager "
			"iterations, not with --consume, --deploy or "
			"--check-config\n");
		return -1;
	}
	return 0;
}

static const char *config_path(const struct options *o)
{
	const char *env = getenv("EESSI_BOT_CONFIG");

	if (o->config)
		return o->config;
	return env && *env ? env : DEFAULT_CONFIG;
}

/* --check-config: 0 if the configuration loads (and the instance is
 * fine, unless file_only), else 1. */
static int check_config(const char *path, const struct options *o)
{
	struct buf report = BUF_INIT(BUF_CAP_DEFAULT);
	struct conf_env env;
	struct conf *c = NULL;
	struct err e = ERR_INIT;
	int rc;

	if (o->as && priv_become(o->as, &e) < 0) {
		fprintf(stderr, PROG ": %s\n", e.msg);
		return 1;
	}
	conf_env_from_process(&env);
	rc = conf_load(path, &env, &c, &report);
	if (rc == 0 && priv_check_files(c, &report) > 0)
		rc = -1; /* the files the other modes refuse to start with */
	if (rc == 0 && !o->file_only && !o->as && geteuid() == 0)
		(void)buf_adds(&report, "warning: the instance checked as root, "
			       "who can read and write anything: use --as USER "
			       "for the bot's account\n");
	if (rc == 0 && !o->file_only &&
	    instance_check(c, env.home, env.user, &report) > 0)
		rc = -1;
	if (rc == 0)
		printf("%s: OK\n", path);
	(void)fflush(stdout); /* OK before the report, as written */
	fputs(report.s, stderr);
	conf_free(c);
	buf_release(&report);
	return rc == 0 ? 0 : 1;
}

/* Loads the configuration quietly (problems to stderr) and opens the log. */
static int start(const char *path, int consumer, struct conf **c)
{
	struct buf report = BUF_INIT(BUF_CAP_DEFAULT);
	struct buf problems = BUF_INIT(BUF_CAP_DEFAULT);
	struct conf_env env;
	struct err e = ERR_INIT;
	int rc = -1;

	if (priv_check_user(&e) < 0) {
		fprintf(stderr, PROG ": %s\n", e.msg);
		goto out;
	}
	conf_env_from_process(&env);
	if (conf_load(path, &env, c, &report) < 0) {
		fputs(report.s, stderr);
		goto out;
	}
	if (consumer ? log_open((*c)->event_handler.log_file, "eessi-bot-consumer",
				(*c)->event_handler.log_level, &e)
		     : log_open((*c)->job_manager.log_file, PROG,
				(*c)->job_manager.log_level, &e)) {
		fprintf(stderr, PROG ": %s\n", e.msg);
		goto out;
	}
	(void)log_catch_sighup(); /* kill -HUP: the log reopened */
	if (priv_check_files(*c, &problems) > 0) {
		priv_refuse(PROG, &problems);
		goto out;
	}
	rc = 0;
out:
	buf_release(&problems);
	buf_release(&report);
	return rc;
}

/* Drains the spool: the consumer's work, and the first step of each
 * iteration (a safety net for a crash, plain CGI, a missed wake-up).
 * 0, or -1 (logged). */
static int drain_spool(const struct conf *c, int consumer)
{
	struct consume_stats st;
	struct err e = ERR_INIT;
	struct stat sb;
	int rc;

	/* The cron iteration on a host where the webhook handler never ran
	 * (a fresh install, or the handler on another host) has no spool:
	 * nothing to drain, and nothing wrong - cron must not mail about it
	 * every minute.  The handler makes the spool when it starts. */
	if (!consumer && stat(c->event_handler.spool_dir, &sb) < 0 &&
	    errno == ENOENT) {
		log_debug("spool: %s does not exist (yet): nothing to drain",
			  c->event_handler.spool_dir);
		return 0;
	}
	/* the consumer must not hold up the deliveries behind an entry that
	 * has to wait; the cron iteration may */
	rc = consume_run(c, !consumer, consumer ? CONSUME_LINGER_MS : 0, &st,
			 &e);
	if (rc < 0)
		log_error("spool: %s", e.msg);
	else if (rc == 1)
		log_debug("spool: another consumer is at work");
	else if (st.handled || st.failed || st.swept || st.deferred)
		log_info("spool: %u handled, %u failed, %u recovered after a "
			 "crash, %u tried again, %u left for later, %u stale "
			 "temporary files removed", st.handled, st.failed,
			 st.recovered, st.retried, st.deferred, st.swept);
	return rc < 0 ? -1 : 0;
}

/* ------------------------------------------------------------ iterations */

static volatile sig_atomic_t stop_signal; /* SIGTERM or SIGINT came */

static void on_stop(int sig)
{
	stop_signal = sig;
}

/* SIGTERM and SIGINT end the run after the current iteration.  SA_RESTART
 * keeps the iteration's system calls going; the sleep between iterations
 * (ppoll) ends at once. */
static void catch_stop_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

/* Sleeps s seconds unless a stop signal comes first: 0 slept, -1
 * stopped.  The signals are blocked between the check of the flag and the
 * wait, which unblocks them atomically (ppoll): a signal arriving just
 * before the sleep still ends it. */
static int pause_between(long long s)
{
	long long end = clock_mono_ms() + s * 1000, left;
	sigset_t stop, old;
	struct timespec ts;

	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigprocmask(SIG_BLOCK, &stop, &old);
	while (!stop_signal && (left = end - clock_mono_ms()) > 0) {
		ts.tv_sec = (time_t)(left / 1000);
		ts.tv_nsec = (long)(left % 1000) * 1000000L;
		if (ppoll(NULL, 0, &ts, &old) < 0 && errno != EINTR)
			break;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return stop_signal ? -1 : 0;
}

/* The iteration's figures: the one line benchmarks and tests read. */
static void log_stats(const struct manager_stats *st)
{
	log_info("iteration: %u jobs, %u released, %u rows changed, "
		 "%u finished, %u lost, %u broken; %u comments edited; "
		 "%u job directories to the trash, %u old entries removed; "
		 "%u squeue, %u sacct, %u scontrol, %u github calls; %lld ms, "
		 "CPU %lld ms, max RSS %lld kB",
		 st->jobs, st->released, st->changed, st->finished, st->lost,
		 st->broken, st->comments, st->trashed, st->removed, st->squeue_calls,
		 st->sacct_calls,
		 st->scontrol_calls, st->github_calls, st->ms, st->cpu_ms,
		 st->maxrss_kb);
}

/* Another iteration holds the lock: not a failure (cron would mail every
 * minute), said on a terminal too when the log goes elsewhere. */
static void lock_taken(const struct conf *c)
{
	const struct conf_job_manager *m = &c->job_manager;

	log_info("another manager iteration is running (lock %s/manager.lock); "
		 "nothing done", m->job_ids_dir);
	if (isatty(STDERR_FILENO) && (m->log_file || m->log_level < LOGL_INFO))
		fprintf(stderr, PROG ": another manager iteration is running "
			"(lock %s/manager.lock); nothing done\n",
			m->job_ids_dir);
}

/* The variables a deploy run inherits: the S3 credentials (never in
 * app.cfg) and what the manager passes on anyway; nothing else. */
/* Starts "this program --deploy -c CONFIG", detached: it outlives the
 * iteration.  One already at work makes it exit at once (its lock). */
static void start_deploy(const char *config, const char *log_file)
{
	const char *env[SPAWN_ENV_MAX + 1];
	char self[PATH_MAX], cfg[PATH_MAX];
	const char *argv[] = { self, "--deploy", "-c", cfg, NULL };
	struct spawn sp;
	struct err e = ERR_INIT;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0 || !realpath(config, cfg)) {
		log_warn("deploy: cannot resolve this program or %s: no deploy "
			 "run started", config);
		return;
	}
	self[n] = '\0';
	spawn_env(SPAWN_ENV_DEPLOY, env);
	memset(&sp, 0, sizeof(sp));
	sp.argv = argv;
	sp.envp = env;
	sp.cwd = "/";
	/* not our stderr: cron (or whoever reads our output) must see its
	 * end when the iteration ends, not when the upload does */
	sp.err_path = log_file;
	if (spawn_detached(&sp, &e) < 0)
		log_error("deploy: cannot start %s --deploy: %s", self, e.msg);
	else
		log_info("deploy: requests wait; started %s --deploy", self);
}

/* --deploy: the waiting requests, then the figures.  0 (also when another
 * run holds the lock), -1 (logged). */
static int deploy(const struct conf *c)
{
	struct deploy_stats st;
	struct err e = ERR_INIT;
	int rc = deploy_run(c, NULL, &st, &e);

	if (rc == 1) {
		log_info("another deploy run is running (lock %s/deploy/deploy.lock); "
			 "nothing done", c->job_manager.job_ids_dir);
		if (isatty(STDERR_FILENO) && c->job_manager.log_file)
			fprintf(stderr, PROG ": another deploy run is running "
				"(lock %s/deploy/deploy.lock); nothing done\n",
				c->job_manager.job_ids_dir);
		return 0;
	}
	if (rc < 0)
		log_error("deploy: %s", e.msg);
	log_info("deploy: %u requests, %u done, %u uploaded, %u already, "
		 "%u skipped, %u not yet; %lld bytes sent; %u github calls; "
		 "%lld ms", st.requests, st.done, st.uploaded, st.already,
		 st.skipped, st.failed, st.bytes, st.github_calls, st.ms);
	return rc < 0 ? -1 : 0;
}

/* One iteration: the spool, then the jobs.  *gh: the GitHub client kept
 * across iterations (NULL: manager_iterate() opens its own when it needs
 * one); once an iteration has needed GitHub and more are to come, one is
 * opened here and reused.  0, or -1 (logged). */
static int iterate_once(const struct conf *c, const char *config,
			const struct manager_opts *mo, struct github **gh,
			int more)
{
	struct manager_stats st;
	struct err e = ERR_INIT;
	int rc = drain_spool(c, 0), mrc;

	memset(&st, 0, sizeof(st));
	mrc = manager_iterate(c, *gh, mo, &st, &e);
	if (mrc == 1) {
		lock_taken(c);
		return rc;
	}
	if (mrc < 0) {
		log_error("iteration: %s", e.msg);
		rc = -1;
	}
	log_stats(&st);
	if (deploy_pending(c->job_manager.job_ids_dir))
		start_deploy(config, c->job_manager.log_file);
	if (more && !*gh && st.github_calls > 0) {
		err_clear(&e);
		if (github_open(c, gh, &e) < 0) {
			log_debug("github: %s (each iteration opens its own)",
				  e.msg);
			*gh = NULL;
		}
	}
	return rc;
}

/* o->iterations iterations, poll_interval apart, until a stop signal.
 * 0 all fine, -1 one failed. */
static int iterate(const struct conf *c, const char *config,
		   const struct options *o)
{
	struct manager_opts mo = { o->only, o->nonly };
	struct github *gh = NULL;
	long long n = o->iterations, i;
	int rc = 0;

	catch_stop_signals();
	for (i = 0; (n < 0 || i < n) && !stop_signal; i++) {
		if (i > 0 && pause_between(c->job_manager.poll_interval) < 0)
			break;
		if (iterate_once(c, config, &mo, &gh, n < 0 || i + 1 < n) < 0)
			rc = -1;
	}
	if (stop_signal)
		log_info("signal %d: stopped after %lld iteration%s",
			 (int)stop_signal, i, i == 1 ? "" : "s");
	github_free(gh);
	return rc;
}

/* The spool consumer, a deploy run, or the manager's iterations. */
static int run(const char *path, const struct options *o)
{
	struct conf *c = NULL;
	int rc;

	if (start(path, o->action == ACT_CONSUME, &c) < 0) {
		conf_free(c);
		return 1;
	}
	if (o->action == ACT_CONSUME)
		rc = drain_spool(c, 1);
	else if (o->action == ACT_DEPLOY)
		rc = deploy(c);
	else
		rc = iterate(c, path, o);
	log_close();
	conf_free(c);
	return rc < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct options o;
	int rc = 2;

	if (parse_options(argc, argv, &o) < 0) {
		usage_hint();
		options_release(&o);
		return 2;
	}
	switch (o.action) {
	case ACT_HELP:
		fputs(usage_text, stdout);
		rc = 0;
		break;
	case ACT_VERSION:
		printf(PROG " (eessi-bot) %s\n", EESSI_BOT_VERSION);
		rc = 0;
		break;
	case ACT_CHECK_CONFIG:
		rc = check_config(config_path(&o), &o);
		break;
	case ACT_ITERATE:
	case ACT_CONSUME:
	case ACT_DEPLOY:
		rc = run(config_path(&o), &o);
		break;
	}
	options_release(&o);
	return rc;
}
