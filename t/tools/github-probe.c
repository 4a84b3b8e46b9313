/* github-probe.c - a small command line over lib/github, for the tests.
 *
 *   github-probe -c APP.CFG [-i INSTALLATION] [-l LOGFILE] [-q] COMMAND ARGS
 *
 *   comment REPO ISSUE BODY       prints "comment ID"
 *   edit REPO COMMENT_ID BODY     prints "edited ID"
 *   react REPO COMMENT_ID CONTENT prints "reacted ID CONTENT"
 *   since REPO ISSUE ISO8601 [PAGE]  prints "comments N" then "comment ID"
 *                                 lines (PAGE: 1, 2, ... of 100 each)
 *   perm REPO LOGIN               prints "permission LEVEL"
 *   request METHOD PATH [JSON]    prints "status N" and the answer's JSON
 *
 * Then, whatever happened, "counts calls=N retries=N token_fetches=N".  The
 * log (debug level) goes to LOGFILE or stderr; -q sets it to info.  Errors:
 * "github-probe: MESSAGE" on stderr and exit 1; a wrong command line exits 2.
 * $HOME and $USER expand paths in APP.CFG as for the bot.
 */
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "err.h"
#include "github.h"
#include "log.h"

#define PROG "github-probe"

static void usage(void)
{
	fprintf(stderr,
		"usage: " PROG " -c APP.CFG [-i INSTALLATION] [-l LOGFILE] [-q] "
		"COMMAND ARGS\n"
		"  comment REPO ISSUE BODY | edit REPO COMMENT_ID BODY |\n"
		"  react REPO COMMENT_ID CONTENT | since REPO ISSUE ISO8601 [PAGE] |\n"
		"  perm REPO LOGIN | request METHOD PATH [JSON]\n");
}

/* A decimal number in 1..LLONG_MAX; -1 otherwise. */
static long long number(const char *s)
{
	char *end;
	long long v;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v <= 0)
		return -1;
	return v;
}

struct cmd {
	const char *name;
	int nargs, opt_args;
	int (*run)(struct github *gh, char **av, struct err *e);
};

static int c_comment(struct github *gh, char **av, struct err *e)
{
	long long id;

	if (github_comment_create(gh, av[0], number(av[1]), av[2], &id, e) < 0)
		return -1;
	printf("comment %lld\n", id);
	return 0;
}

static int c_edit(struct github *gh, char **av, struct err *e)
{
	long long id = number(av[1]);

	if (github_comment_edit(gh, av[0], id, av[2], e) < 0)
		return -1;
	printf("edited %lld\n", id);
	return 0;
}

static int c_react(struct github *gh, char **av, struct err *e)
{
	long long id = number(av[1]);

	if (github_reaction_add(gh, av[0], id, av[2], e) < 0)
		return -1;
	printf("reacted %lld %s\n", id, av[2]);
	return 0;
}

static int c_since(struct github *gh, char **av, struct err *e)
{
	struct json_object *list, *c, *id;
	long long page = av[3] ? number(av[3]) : 1;
	size_t i, n;

	if (page < 1 || page > 1000)
		return err_set(e, ERR_INVAL, "since: bad page '%s'", av[3]);
	if (github_comments_since(gh, av[0], number(av[1]), av[2], (int)page,
				  &list, e) < 0)
		return -1;
	n = json_object_array_length(list);
	printf("comments %zu\n", n);
	for (i = 0; i < n; i++) {
		c = json_object_array_get_idx(list, i);
		if (json_object_object_get_ex(c, "id", &id))
			printf("comment %lld\n",
			       (long long)json_object_get_int64(id));
	}
	json_object_put(list);
	return 0;
}

static int c_perm(struct github *gh, char **av, struct err *e)
{
	char level[16];

	if (github_permission(gh, av[0], av[1], level, e) < 0)
		return -1;
	printf("permission %s\n", level);
	return 0;
}

static int c_request(struct github *gh, char **av, struct err *e)
{
	struct json_object *body = NULL, *out = NULL;
	int status = 0, rc;

	if (av[2] && !(body = json_tokener_parse(av[2])))
		return err_set(e, ERR_INVAL, "request: the body is not JSON");
	rc = github_request(gh, av[0], av[1], body, &out, &status, e);
	printf("status %d\n", status);
	if (rc == 0 && out)
		printf("%s\n", json_object_to_json_string_ext(
				       out, JSON_C_TO_STRING_PLAIN |
						    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(body);
	json_object_put(out);
	return rc;
}

static const struct cmd cmds[] = {
	{"comment", 3, 0, c_comment}, {"edit", 3, 0, c_edit},
	{"react", 3, 0, c_react},     {"since", 3, 1, c_since},
	{"perm", 2, 0, c_perm},       {"request", 2, 1, c_request},
};

int main(int argc, char **argv)
{
	const char *cfg = NULL, *logfile = NULL;
	enum log_level level = LOGL_DEBUG;
	long long inst = 0;
	struct buf report = BUF_INIT(BUF_CAP_DEFAULT);
	struct conf_env env;
	struct conf *c = NULL;
	struct github *gh = NULL;
	struct github_counts n;
	struct err e = ERR_INIT;
	const struct cmd *cmd = NULL;
	char *args[4] = {NULL, NULL, NULL, NULL};
	int opt, nargs, i, rc = 1;
	size_t k;

	while ((opt = getopt(argc, argv, "+c:i:l:q")) != -1) {
		switch (opt) {
		case 'c': cfg = optarg; break;
		case 'i':
			if ((inst = number(optarg)) < 0) {
				usage();
				return 2;
			}
			break;
		case 'l': logfile = optarg; break;
		case 'q': level = LOGL_INFO; break;
		default: usage(); return 2;
		}
	}
	if (!cfg || optind >= argc) {
		usage();
		return 2;
	}
	for (k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++)
		if (strcmp(argv[optind], cmds[k].name) == 0)
			cmd = &cmds[k];
	nargs = argc - optind - 1;
	if (!cmd || nargs < cmd->nargs || nargs > cmd->nargs + cmd->opt_args) {
		usage();
		return 2;
	}
	for (i = 0; i < nargs; i++)
		args[i] = argv[optind + 1 + i];

	if (log_open(logfile, PROG, level, &e) < 0) {
		fprintf(stderr, PROG ": %s\n", e.msg);
		return 1;
	}
	conf_env_from_process(&env);
	if (conf_load(cfg, &env, &c, &report) < 0) {
		fprintf(stderr, "%s", report.s);
		goto out;
	}
	if (github_open(c, &gh, &e) < 0) {
		fprintf(stderr, PROG ": %s\n", e.msg);
		goto out;
	}
	github_set_installation(gh, inst);
	if (cmd->run(gh, args, &e) < 0)
		fprintf(stderr, PROG ": %s\n", e.msg);
	else
		rc = 0;
	github_counts(gh, &n);
	printf("counts calls=%u retries=%u token_fetches=%u\n", n.calls,
	       n.retries, n.token_fetches);
out:
	github_free(gh);
	conf_free(c);
	buf_release(&report);
	log_forget_secrets();
	log_close();
	return rc;
}
