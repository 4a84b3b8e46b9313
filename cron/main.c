/* eessi-bot-manager - the bot's command-line tool, run by cron and by hand.
 *
 * Actions: one manager iteration (the default; today it drains the spool),
 * --consume (the spool consumer the webhook handler starts), and
 * --check-config.
 *
 * Exit status: 0 fine, 1 the configuration has problems (or cannot be
 * read) or the work failed, 2 the command line is wrong.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "buf.h"
#include "conf.h"
#include "consume.h"
#include "log.h"

#ifndef EESSI_BOT_VERSION
#define EESSI_BOT_VERSION "0.1.0-dev"
#endif

#define PROG "eessi-bot-manager"
#define DEFAULT_CONFIG "app.cfg"

enum action { ACT_ITERATE, ACT_CONSUME, ACT_CHECK_CONFIG, ACT_HELP,
	      ACT_VERSION };

struct options {
	enum action action;
	const char *config; /* -c FILE, NULL: $EESSI_BOT_CONFIG or ./app.cfg */
};

enum { OPT_CHECK_CONFIG = 256, OPT_CONSUME, OPT_VERSION };

static const char usage_text[] =
	"NAME\n"
	"    " PROG " - command-line tool of the EESSI build-and-deploy bot\n"
	"\n"
	"SYNOPSIS\n"
	"    " PROG " [-c FILE]\n"
	"    " PROG " [-c FILE] --consume\n"
	"    " PROG " [-c FILE] --check-config\n"
	"    " PROG " -h | --help\n"
	"    " PROG " --version\n"
	"\n"
	"DESCRIPTION\n"
	"    The bot builds software for pull requests on the EESSI software\n"
	"    layer and deploys what it built.  This program is its command-line\n"
	"    side; it reads the bot's configuration file, app.cfg (libconfig\n"
	"    syntax, documented key by key in app.cfg.example).\n"
	"\n"
	"    Without an action it runs one manager iteration, the job cron\n"
	"    starts every minute: today it handles every delivery still\n"
	"    waiting in the spool (after a crash, in plain-CGI mode, or when a\n"
	"    wake-up was missed); following the Slurm jobs comes next.\n"
	"\n"
	"OPTIONS\n"
	"    -c, --config FILE\n"
	"        Read the configuration from FILE.\n"
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
	"    --check-config\n"
	"        Load the configuration and check all of it: types, required\n"
	"        keys, unknown keys (with a suggestion for near misses), values,\n"
	"        the architecture and repository target maps.  Prints\n"
	"        \"FILE: OK\" on standard output and any warnings on standard\n"
	"        error, or every problem found, one per line, as\n"
	"        \"FILE:LINE: group.key: what is wrong (expected ..., got ...)\".\n"
	"    -h, --help\n"
	"        Show this text.\n"
	"    --version\n"
	"        Show the version.\n"
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
	"\n"
	"FILES\n"
	"    ./app.cfg\n"
	"        The configuration read when neither -c nor $EESSI_BOT_CONFIG\n"
	"        names one.\n"
	"\n"
	"ENVIRONMENT\n"
	"    EESSI_BOT_CONFIG\n"
	"        The configuration file, unless -c is given.\n"
	"    HOME, USER\n"
	"        Replace $HOME/${HOME} and $USER/${USER} in the paths of the\n"
	"        configuration (from the password database when unset).\n"
	"    SLURM_CONF\n"
	"        Passed on to sbatch and squeue, which read it.\n"
	"\n"
	"EXIT STATUS\n"
	"    0  success (warnings do not change it)\n"
	"    1  the configuration has problems or cannot be read\n"
	"    2  wrong command line\n";

static void usage_hint(void)
{
	fprintf(stderr, "Try '" PROG " --help' for more information.\n");
}

/* Fills o from argv: 0, or -1 after saying what is wrong on stderr. */
static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check-config", no_argument, NULL, OPT_CHECK_CONFIG},
		{"consume", no_argument, NULL, OPT_CONSUME},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, OPT_VERSION},
		{NULL, 0, NULL, 0},
	};
	int c;

	o->action = ACT_ITERATE;
	o->config = NULL;
	opterr = 1; /* getopt_long explains unknown options itself */
	while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case OPT_CHECK_CONFIG:
			o->action = ACT_CHECK_CONFIG;
			break;
		case OPT_CONSUME:
			o->action = ACT_CONSUME;
			break;
		case 'h':
			o->action = ACT_HELP;
			return 0;
		case OPT_VERSION:
			o->action = ACT_VERSION;
			return 0;
		default:
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s'\n",
			argv[optind]);
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

/* --check-config: 0 if the configuration loads, else 1. */
static int check_config(const char *path)
{
	struct buf report = BUF_INIT(BUF_CAP_DEFAULT);
	struct conf_env env;
	struct conf *c = NULL;
	int rc;

	conf_env_from_process(&env);
	rc = conf_load(path, &env, &c, &report);
	if (rc == 0)
		printf("%s: OK\n", path);
	fflush(stdout);
	fputs(report.s, stderr);
	conf_free(c);
	buf_release(&report);
	return rc == 0 ? 0 : 1;
}

/* Loads the configuration quietly (problems to stderr) and opens the log. */
static int start(const char *path, int consumer, struct conf **c)
{
	struct buf report = BUF_INIT(BUF_CAP_DEFAULT);
	struct conf_env env;
	struct err e = ERR_INIT;
	int rc = -1;

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
	rc = 0;
out:
	buf_release(&report);
	return rc;
}

/* The spool consumer, or one manager iteration (which drains the spool
 * too: a safety net for a crash, plain CGI, a missed wake-up). */
static int run(const char *path, enum action act)
{
	struct consume_stats st;
	struct err e = ERR_INIT;
	struct conf *c = NULL;
	int rc;

	if (start(path, act == ACT_CONSUME, &c) < 0) {
		conf_free(c);
		return 1;
	}
	/* the consumer must not hold up the deliveries behind an entry that
	 * has to wait; the cron iteration may */
	rc = consume_run(c, act == ACT_ITERATE,
			 act == ACT_CONSUME ? CONSUME_LINGER_MS : 0, &st, &e);
	if (rc < 0)
		log_error("spool: %s", e.msg);
	else if (rc == 1)
		log_debug("spool: another consumer is at work");
	else if (st.handled || st.failed || st.swept || st.deferred)
		log_info("spool: %u handled, %u failed, %u recovered after a "
			 "crash, %u left for later, %u stale temporary files "
			 "removed", st.handled, st.failed, st.recovered,
			 st.deferred, st.swept);
	log_close();
	conf_free(c);
	return rc < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct options o;

	if (parse_options(argc, argv, &o) < 0) {
		usage_hint();
		return 2;
	}
	switch (o.action) {
	case ACT_HELP:
		fputs(usage_text, stdout);
		return 0;
	case ACT_VERSION:
		printf(PROG " (eessi-bot) %s\n", EESSI_BOT_VERSION);
		return 0;
	case ACT_CHECK_CONFIG:
		return check_config(config_path(&o));
	case ACT_ITERATE:
	case ACT_CONSUME:
		return run(config_path(&o), o.action);
	}
	return 2;
}
