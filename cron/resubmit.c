/* eessi-bot-resubmit - one build job submitted again by an operator on the
 * login node, as the original bot's resubmit.py: from a fresh copy of the
 * same merge commit, optionally with files of a directory copied over it;
 * the manager then follows the new job like any other and the status
 * comment shows it as one more attempt of the target.  The work is
 * build_resubmit() (lib/flows/build.h).
 *
 * Exit status: 0 submitted, 1 refused or failed (nothing left behind but
 * what the message says), 2 the command line is wrong.
 *
 * Layer: programs, above the flows (README, "Map of the code").
 */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build.h"
#include "conf.h"
#include "log.h"
#include "priv.h"

#ifndef EESSI_BOT_VERSION
#define EESSI_BOT_VERSION "0.1.0-dev"
#endif

#define PROG "eessi-bot-resubmit"
#define DEFAULT_CONFIG "app.cfg"

static const char usage_text[] =
	"NAME\n"
	"    " PROG " - submit one build job of the EESSI bot again\n"
	"\n"
	"SYNOPSIS\n"
	"    " PROG " [-c FILE] [-o DIR] [-m DIR]\n"
	"    " PROG " -h | --help\n"
	"    " PROG " --version\n"
	"\n"
	"DESCRIPTION\n"
	"    Submits a build job again, on its own, without touching the other\n"
	"    targets or instances: for a transient failure (a download that\n"
	"    failed), or with changed files to find out why a build fails.  Run\n"
	"    it as the bot's account, in the directory of the job (or with -o).\n"
	"\n"
	"    The new job builds a fresh copy of the SAME merge commit as the\n"
	"    original, taken from the bot's git cache - never a later push to\n"
	"    the pull request - with cfg/ made as the bot makes it (the\n"
	"    original's job arguments kept).  With -m, every file, directory and\n"
	"    symlink of DIR is then copied over that copy, replacing what is\n"
	"    there (bot/build.sh, an easystack, ...).  It gets its own\n"
	"    directory, EVENT/run_NNN/TARGET beside the original's run_NNN (the\n"
	"    next number), is submitted held as the bot submits (or with a\n"
	"    delayed begin), gets _bot_job<ID>.metadata and the symlink\n"
	"    JOBS_BASE_DIR/<ID>.  Its row goes into the pull request's status\n"
	"    comment right after the target's earlier attempts, which stay, and\n"
	"    says who resubmitted it; the next manager iteration releases it and\n"
	"    follows it to the end like any other job.\n"
	"\n"
	"    Refused, with nothing made: a directory that is not a job directory\n"
	"    of this instance below jobs_base_dir (no single\n"
	"    _bot_job<ID>.metadata naming it, no cfg/job.cfg); a target the\n"
	"    instance no longer builds; a -m directory holding, at its top, a\n"
	"    name the bot writes in a job directory (cfg, _bot_job*, slurm-*),\n"
	"    a symlink that leads out of it (absolute, or climbing above it), or\n"
	"    anything but files, directories and symlinks; a pull request that\n"
	"    is closed (GitHub is asked); a merge commit no longer in the git\n"
	"    cache.\n"
	"\n"
	"OPTIONS\n"
	"    -c, --config FILE\n"
	"        Read the configuration from FILE (default: $EESSI_BOT_CONFIG,\n"
	"        else ./app.cfg).\n"
	"    -o, --original-job-dir DIR\n"
	"        The job to submit again (default: the current directory).\n"
	"    -m, --modified-job-dir DIR\n"
	"        Copy DIR's contents over the fresh copy before submitting.\n"
	"    -h, --help\n"
	"        Print this text and exit.\n"
	"    --version\n"
	"        Print the version and exit.\n"
	"\n"
	"EXAMPLES\n"
	"    cd /srv/eessi-bot/jobs/2026.12/EESSI/software-layer/pr_42/event_ID/run_000/linux_x86_64_generic\n"
	"    " PROG "\n"
	"    mkdir -p debug_1/bot && cp bot/build.sh debug_1/bot/ && vi debug_1/bot/build.sh\n"
	"    " PROG " -m debug_1\n"
	"\n"
	"OUTPUT\n"
	"    One line: the new job's id, its directory and the job it repeats;\n"
	"    the same in job_manager.log_file.\n"
	"\n"
	"EXIT STATUS\n"
	"    0 submitted; 1 refused or failed (the message says why and what,\n"
	"    if anything, is left); 2 the command line is wrong.\n";

enum { OPT_VERSION = 256 };

/* "PROG: WHAT 'ARG'" and the hint; 2. */
static int usage_error(const char *what, const char *arg)
{
	fprintf(stderr, PROG ": %s '%s'\nTry '" PROG " --help' for more "
		"information.\n", what, arg);
	return 2;
}

/* The account running it, for the status row ("uid N" without a name). */
static void operator_name(char *out, size_t size)
{
	struct passwd *pw = getpwuid(getuid());

	if (pw && pw->pw_name && *pw->pw_name)
		snprintf(out, size, "%s", pw->pw_name);
	else
		snprintf(out, size, "uid %lu", (unsigned long)getuid());
}

static int resubmit(const char *path, const char *orig, const char *mod)
{
	struct buf report = BUF_INIT(BUF_CAP_DEFAULT);
	struct buf problems = BUF_INIT(BUF_CAP_DEFAULT);
	struct build_resubmit r = { .orig_dir = orig, .mod_dir = mod };
	struct conf *c = NULL;
	struct conf_env env;
	struct err e = ERR_INIT;
	char who[64];
	int rc = 1;

	if (priv_check_user(&e) < 0) {
		fprintf(stderr, PROG ": %s\n", e.msg);
		goto out;
	}
	conf_env_from_process(&env);
	if (conf_load(path, &env, &c, &report) < 0) {
		fputs(report.s, stderr);
		goto out;
	}
	if (log_open(c->job_manager.log_file, PROG, c->job_manager.log_level, &e) < 0) {
		fprintf(stderr, PROG ": %s\n", e.msg);
		goto out;
	}
	if (priv_check_files(c, &problems) > 0) {
		priv_refuse(PROG, &problems);
		goto out;
	}
	operator_name(who, sizeof(who));
	r.operator_name = who;
	if (build_resubmit(c, &r, &e) < 0) {
		log_error("resubmit %s: %s", orig, e.msg);
		fprintf(stderr, PROG ": %s\n", e.msg);
		goto out;
	}
	log_info("job %lld of %s#%lld (%s) submitted again by %s as job %lld in "
		 "%s", r.old_id, r.repo, r.pr, r.target, who, r.new_id, r.new_dir);
	printf("job %lld submitted (%s): %s#%lld, %s, again as job %lld%s, in %s; "
	       "the manager follows it%s\n", r.new_id,
	       c->buildenv.job_handover_protocol == CONF_HANDOVER_DELAYED_BEGIN
		       ? "it starts by itself" : "held until the manager releases it",
	       r.repo, r.pr, r.target, r.old_id,
	       r.copied ? " with the files of -m" : "", r.new_dir,
	       r.edited ? "; the status comment shows it" : "");
	rc = 0;
out:
	log_close();
	conf_free(c);
	buf_release(&problems);
	buf_release(&report);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "original-job-dir", required_argument, NULL, 'o' },
		{ "modified-job-dir", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *orig = ".", *mod = NULL, *env;
	int ch;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":c:o:m:h", longs, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			break;
		case 'o':
			orig = optarg;
			break;
		case 'm':
			mod = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case OPT_VERSION:
			printf(PROG " (eessi-bot) %s\n", EESSI_BOT_VERSION);
			return 0;
		case ':':
			return usage_error("this option needs an argument:",
					   argv[optind - 1]);
		default:
			return usage_error("unknown option", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument", argv[optind]);
	if (!*orig || (mod && !*mod))
		return usage_error("an empty directory name for", !*orig ? "-o" : "-m");
	env = getenv("EESSI_BOT_CONFIG");
	if (!config)
		config = env && *env ? env : DEFAULT_CONFIG;
	return resubmit(config, orig, mod);
}
