/* eessi-bot-webhook - the bot's webhook endpoint, a FastCGI program (or a
 * plain CGI program, when started as one).
 *
 * Each request goes through lib/flows/webhook.c: path, method, length cap,
 * bounded read, signature (before anything is parsed), headers, JSON shape,
 * duplicate check, durable spool write, answer.  Nothing slow happens here:
 * once the answer is out, a spool consumer (eessi-bot-manager --consume,
 * beside this program) is started unless one is running, and the worker
 * goes back to accepting.
 *
 * Layer: programs, above the flows (README, "Map of the code").
 */
#include <errno.h>
#include <fcgiapp.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "hmac.h"
#include "log.h"
#include "names.h"
#include "priv.h"
#include "spawn.h"
#include "spool.h"
#include "webhook.h"
#include "xio.h"

#define PROG "eessi-bot-webhook"
#define VERSION "0.1.0"
#define SECRET_ENV "GITHUB_APP_SECRET_TOKEN"
#define SECRET_CAP 4096
#define SECRET_MIN 8

static const char usage_text[] =
"NAME\n"
"    " PROG " - webhook handler of the EESSI build-and-deploy bot\n"
"\n"
"SYNOPSIS\n"
"    " PROG " [-c FILE]\n"
"    " PROG " [-c FILE] --replay FILE\n"
"    " PROG " -h | --help\n"
"    " PROG " --version\n"
"\n"
"DESCRIPTION\n"
"    Receives GitHub webhook deliveries for the EESSI build-and-deploy\n"
"    bot.  Run it under a web server as a FastCGI program (with\n"
"    spawn-fcgi, or systemd socket activation, behind nginx or Apache), or\n"
"    as a plain CGI program; it tells the two apart by itself.  A plain CGI\n"
"    run handles one request.\n"
"\n"
"    Every delivery is checked, in this order, and answered at once: no\n"
"    path below the handler's own (404); POST only (405); Content-Length\n"
"    required (411) and at most 25 MiB (413, body not read); the whole\n"
"    body read (400 if cut short); X-Hub-Signature-256 present (401) and\n"
"    matching the webhook secret, in constant time (403); X-GitHub-Event\n"
"    and X-GitHub-Delivery (a UUID) present (400); the body a JSON object\n"
"    (400).  A delivery id seen before is answered 200 and not kept\n"
"    again.  A new delivery is written durably to the spool\n"
"    (event_handler.spool_dir: incoming/<delivery id>) and answered 202;\n"
"    if it cannot be written, 503.  A rejected request writes nothing.\n"
"    Each request is logged in one line.\n"
"\n"
"    After a 202, the request is finished and the spool consumer,\n"
"    eessi-bot-manager --consume from the directory of this program, is\n"
"    started with -c and the configuration's absolute path, unless one is\n"
"    running already (it sees the new entry).  It runs as this program's\n"
"    user.  The manager's cron run handles whatever is still waiting.\n"
"\n"
"    Replay: --replay FILE sends a stored delivery through the same\n"
"    checks, signed with the configured secret, as if GitHub had sent it\n"
"    again, and prints the answer.  FILE is a spool entry or a delivery\n"
"    copied from the App's \"Recent Deliveries\" page: header lines\n"
"    (X-GitHub-Event and X-GitHub-Delivery are read), a blank line, the\n"
"    JSON payload.  A delivery id already in the spool is answered 200\n"
"    and not handled again.\n"
"\n"
"    Secrets: the handler does not start when github.private_key or\n"
"    github.webhook_secret_file is not a regular file (a symlink\n"
"    included), is owned by another account than its own or root, or is\n"
"    open to group or others (chmod 600 it).  The webhook secret is wiped\n"
"    from the environment once read.\n"
"\n"
"    Logs: event_handler.log_file (else standard error, the web server's\n"
"    error log), reopened when it was moved (a rotation) or on SIGHUP.\n"
"\n"
"OPTIONS\n"
"    -c, --config FILE\n"
"        Configuration file (default: $EESSI_BOT_CONFIG, else ./app.cfg);\n"
"        checked completely at start.\n"
"    --replay FILE\n"
"        Send a stored delivery through the handler (above); exit status\n"
"        0 for a 2xx answer, else 1.\n"
"    -h, --help\n"
"        Show this text and exit.\n"
"    --version\n"
"        Show the version and exit.\n"
"\n"
"ENVIRONMENT\n"
"    GITHUB_APP_SECRET_TOKEN\n"
"        The webhook secret, unless github.webhook_secret_file names a\n"
"        file holding it (one line; a trailing newline is ignored; at least\n"
"        8 characters).\n"
"    EESSI_BOT_CONFIG\n"
"        The default configuration file.\n"
"    EESSI_BOT_ALLOW_ROOT\n"
"        1: run even as root (refused otherwise: run the handler as the\n"
"        bot's own account).\n"
"\n"
"EXIT STATUS\n"
"    0 when the FastCGI socket closes or the CGI request was answered; 1\n"
"    when the configuration, the secret, its file or the key, the account\n"
"    (root) or the spool directory is unusable at start (or a replay was\n"
"    not accepted); 2 on a usage error.\n"
"\n"
"SEE ALSO\n"
"    eessi-bot-manager(8), app.cfg(5)\n";

struct opts {
	const char *config;
	const char *replay; /* --replay FILE */
};

/* 0: go on; 1: done (help/version shown); 2: usage error. */
static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "replay", required_argument, NULL, 'R' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->replay = NULL;
	o->config = getenv("EESSI_BOT_CONFIG");
	if (!o->config || !*o->config)
		o->config = "app.cfg";
	while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 'h': fputs(usage_text, stdout); return 1;
		case 'R': o->replay = optarg; break;
		case 'V': puts(PROG " " VERSION); return 1;
		default:
			fprintf(stderr, "Try '" PROG " --help'.\n");
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s'\nTry '" PROG
				" --help'.\n", argv[optind]);
		return 2;
	}
	return 0;
}

/* The webhook secret, from the configured file or the environment. */
static int read_secret(const struct conf *c, struct buf *secret,
		       struct err *e)
{
	const char *env = getenv(SECRET_ENV);

	if (c->github.webhook_secret_file) {
		if (xio_read_file(c->github.webhook_secret_file, secret, 0, e) < 0)
			return -1;
		if (secret->len && secret->s[secret->len - 1] == '\n')
			buf_truncate(secret, secret->len - 1);
	} else if (env) {
		if (buf_adds(secret, env) < 0)
			return err_set(e, ERR_TOOBIG, "$" SECRET_ENV " is too long");
	}
	if (env) { /* no child of ours inherits it, /proc/PID/environ shows
		    * it no more */
		explicit_bzero((char *)env, strlen(env));
		unsetenv(SECRET_ENV);
	}
	if (secret->len == 0)
		return err_set(e, ERR_CONFIG, "no webhook secret: set $" SECRET_ENV
				  " or github.webhook_secret_file");
	if (secret->len < SECRET_MIN || memchr(secret->s, '\0', secret->len))
		return err_set(e, ERR_CONFIG, "the webhook secret must be at least %d "
				  "characters, without NUL bytes", SECRET_MIN);
	return 0;
}

/* The variables the consumer may inherit: no request data (in CGI mode
 * the HTTP_* variables come from the sender), no secret.  SLURM_CONF: the
 * consumer submits build jobs, and a site may keep Slurm's configuration
 * elsewhere than /etc/slurm.  EESSI_BOT_ALLOW_ROOT: a handler let run as
 * root starts a consumer that is let too. */
struct server {
	struct webhook_cfg wh;
	char consumer[PATH_MAX];  /* "" when there is none beside us */
	char config[PATH_MAX];    /* absolute path, for the consumer */
	const char *env[SPAWN_ENV_MAX + 1]; /* spawn_env(SPAWN_ENV_CONSUMER) */
	const char *log_file;     /* event_handler.log_file: the consumer's
				   * stderr (NULL: /dev/null, never ours,
				   * which a CGI server would wait for) */
};

/* Finds eessi-bot-manager beside this program and fixes what it gets. */
static void consumer_setup(struct server *srv, const char *config)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	spawn_env(SPAWN_ENV_CONSUMER, srv->env);
	srv->consumer[0] = '\0';
	if (n <= 0 || !realpath(config, srv->config)) {
		log_warn("cannot resolve this program or %s: no spool consumer "
			 "will be started; deliveries wait for the manager", config);
		return;
	}
	self[n] = '\0';
	if (snprintf(srv->consumer, sizeof(srv->consumer),
		     "%s/eessi-bot-manager", dirname(self)) >= (int)sizeof(srv->consumer) ||
	    access(srv->consumer, X_OK) < 0) {
		log_warn("no %s: no spool consumer will be started; deliveries "
			 "wait for the manager's next run", srv->consumer);
		srv->consumer[0] = '\0';
	}
}

/* Starts a consumer unless one is at work (lib/flows/consume.h says why no
 * delivery can be missed this way). */
static void wake_consumer(const struct server *srv)
{
	const char *argv[] = { srv->consumer, "--consume", "-c", srv->config,
			       NULL };
	struct spawn sp = { argv, srv->env, "/", NULL, 0, NULL, NULL, 0,
			    srv->log_file };
	struct err e = ERR_INIT;
	int busy;

	if (!srv->consumer[0])
		return;
	busy = spool_consumer_busy(srv->wh.spool_dir, &e);
	if (busy == 0 && spawn_detached(&sp, &e) == 0)
		return;
	if (busy < 0 || e.code)
		log_warn("cannot start the spool consumer: %s", e.msg);
}

/* Request parameters and body, from FastCGI or from plain CGI. */
struct io {
	FCGX_Request *fcgi; /* NULL: plain CGI */
};

static const char *param(const struct io *io, const char *name)
{
	return io->fcgi ? FCGX_GetParam(name, io->fcgi->envp) : getenv(name);
}

static ssize_t read_body(void *ctx, char *dst, size_t n)
{
	const struct io *io = ctx;
	int want = n > 65536 ? 65536 : (int)n;

	if (io->fcgi)
		return FCGX_GetStr(dst, want, io->fcgi->in);
	return (ssize_t)fread(dst, 1, (size_t)want, stdin);
}

static void respond(const struct io *io, const struct webhook_answer *ans)
{
	struct buf out = BUF_INIT(1024);

	if (buf_addf(&out, "Status: %d %s\r\nContent-Type: text/plain\r\n\r\n%s\n",
		     ans->status, webhook_status_text(ans->status), ans->text) < 0)
		return;
	if (io->fcgi)
		FCGX_PutStr(out.s, (int)out.len, io->fcgi->out);
	else if (fwrite(out.s, 1, out.len, stdout) != out.len || fflush(stdout))
		log_warn("could not write the answer");
	buf_release(&out);
}

/* Answers one request; 1 if it spooled a new delivery. */
static int serve_one(const struct server *srv, const struct io *io)
{
	struct webhook_req req = {
		param(io, "REQUEST_METHOD"), param(io, "CONTENT_LENGTH"),
		param(io, "HTTP_X_GITHUB_EVENT"), param(io, "HTTP_X_GITHUB_DELIVERY"),
		param(io, "HTTP_X_HUB_SIGNATURE_256"), read_body, (void *)io,
		param(io, "PATH_INFO"),
	};
	struct webhook_answer ans;
	const char *from = param(io, "REMOTE_ADDR");

	webhook_handle(&srv->wh, &req, &ans);
	respond(io, &ans);
	log_set_context(names_valid_delivery(req.delivery) ? req.delivery : NULL);
	log_msg(ans.status < 300 ? LOGL_INFO : LOGL_WARN, "%d %s event=%.64s from=%.64s",
		ans.status, ans.text, req.event ? req.event : "-", from ? from : "-");
	log_set_context(NULL);
	return ans.spooled;
}

static int serve_fastcgi(const struct server *srv)
{
	FCGX_Request fr;
	struct io io = { &fr };

	if (FCGX_Init() != 0 || FCGX_InitRequest(&fr, 0, 0) != 0) {
		log_error("cannot set up FastCGI");
		return 1;
	}
	while (FCGX_Accept_r(&fr) >= 0) {
		int spooled = serve_one(srv, &io);

		FCGX_Finish_r(&fr); /* the sender has its answer now */
		if (spooled)
			wake_consumer(srv);
	}
	FCGX_Free(&fr, 1);
	return 0;
}

static int serve_cgi(const struct server *srv)
{
	struct io io = { NULL };

	int spooled = serve_one(srv, &io);

	(void)fclose(stdout); /* the client has its answer: it must not wait for us */
	if (spooled)
		wake_consumer(srv);
	return 0;
}

struct mem_src {
	const char *p;
	size_t left;
};

static ssize_t read_mem(void *ctx, char *dst, size_t n)
{
	struct mem_src *m = ctx;

	if (n > m->left)
		n = m->left;
	memcpy(dst, m->p, n);
	m->p += n;
	m->left -= n;
	return (ssize_t)n;
}

/* --replay FILE: the stored delivery through the same checks, signed with
 * our own secret.  0 for a 2xx answer. */
static int replay(const struct server *srv, const char *file)
{
	struct buf text = BUF_INIT(WEBHOOK_MAX_BODY + (size_t)64 * 1024);
	char sig[HMAC_GITHUB_SIG_LEN + 1], len[32];
	struct webhook_answer ans = { 0 };
	struct err e = ERR_INIT;
	struct spool_entry ent;
	struct mem_src src;
	int rc = 1;

	if (xio_read_file(file, &text, 0, &e) < 0 ||
	    spool_parse_entry(text.s, text.len, &ent, &e) < 0) {
		fprintf(stderr, PROG ": %s: %s\n", file, e.msg);
		goto out;
	}
	src = (struct mem_src){ ent.body, ent.body_len };
	snprintf(len, sizeof(len), "%zu", ent.body_len);
	if (hmac_sign_github(srv->wh.secret, srv->wh.secret_len, ent.body,
			     ent.body_len, sig) < 0) {
		fprintf(stderr, PROG ": cannot sign %s\n", file);
		goto out;
	}
	{
		struct webhook_req req = { "POST", len, ent.event, ent.delivery,
					   sig, read_mem, &src, NULL };

		webhook_handle(&srv->wh, &req, &ans);
	}
	printf("%d %s\n", ans.status, ans.text);
	log_set_context(ent.delivery);
	log_info("replay of %s: %d %s event=%s", file, ans.status, ans.text,
		 ent.event);
	log_set_context(NULL);
	if (ans.spooled)
		wake_consumer(srv);
	rc = ans.status < 300 ? 0 : 1;
out:
	buf_release(&text);
	return rc;
}

/* Loads what the handler needs; prints problems to stderr (and, once the
 * log is open, logs them). */
static int start(const struct opts *o, struct conf **c, struct buf *secret)
{
	struct buf report = BUF_INIT(BUF_CAP_DEFAULT);
	struct buf problems = BUF_INIT(BUF_CAP_DEFAULT);
	struct conf_env env;
	struct err e = ERR_INIT;
	int rc = -1, logged = 0;

	if (priv_check_user(&e) < 0) {
		fprintf(stderr, PROG ": %s\n", e.msg);
		goto out;
	}
	conf_env_from_process(&env);
	if (conf_load(o->config, &env, c, &report) < 0) {
		fputs(report.s, stderr);
		goto out;
	}
	if (log_open((*c)->event_handler.log_file, PROG,
		     (*c)->event_handler.log_level, &e) < 0)
		goto fail;
	logged = 1;
	(void)log_catch_sighup(); /* kill -HUP: the log reopened */
	if (priv_check_files(*c, &problems) > 0) {
		priv_refuse(PROG, &problems);
		goto out;
	}
	if (read_secret(*c, secret, &e) < 0 ||
	    log_add_secret(secret->s) < 0 ||
	    spool_init((*c)->event_handler.spool_dir, &e) < 0)
		goto fail;
	rc = 0;
	goto out;
fail:
	fprintf(stderr, PROG ": %s\n", e.code ? e.msg : "cannot start");
	if (logged && e.code)
		log_error("cannot start: %s", e.msg);
out:
	buf_release(&problems);
	buf_release(&report);
	return rc;
}

int main(int argc, char **argv)
{
	struct buf secret = BUF_INIT(SECRET_CAP);
	struct conf *c = NULL;
	static struct server srv; /* PATH_MAX buffers: off the stack */
	struct opts o;
	int rc = parse_opts(argc, argv, &o);

	if (rc)
		return rc == 1 ? 0 : 2;
	if (start(&o, &c, &secret) < 0) {
		rc = 1;
		goto out;
	}
	srv.wh = (struct webhook_cfg){ c->event_handler.spool_dir,
				       (const unsigned char *)secret.s,
				       secret.len, WEBHOOK_MAX_BODY };
	srv.log_file = c->event_handler.log_file;
	consumer_setup(&srv, o.config);
	if (o.replay) {
		rc = replay(&srv, o.replay);
		goto out;
	}
	log_info("started (%s)", FCGX_IsCGI() ? "CGI" : "FastCGI");
	rc = FCGX_IsCGI() ? serve_cgi(&srv) : serve_fastcgi(&srv);
out:
	buf_wipe(&secret);
	log_forget_secrets();
	log_close();
	conf_free(c);
	return rc;
}
