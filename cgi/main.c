/* eessi-bot-webhook - the bot's webhook endpoint, a FastCGI program (or a
 * plain CGI program, when started as one).
 *
 * Each request goes through lib/webhook.c: method, length cap, bounded read,
 * signature (before anything is parsed), headers, JSON shape, duplicate
 * check, durable spool write, answer.  Nothing slow happens here: the work
 * on a delivery is done later, by another process, from the spool.
 */
#include <errno.h>
#include <fcgiapp.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "log.h"
#include "spool.h"
#include "webhook.h"
#include "xio.h"

#define PROG "eessi-bot-webhook"
#define VERSION "0.1.0"
#define SECRET_ENV "GITHUB_APP_SECRET_TOKEN"
#define SECRET_CAP 4096
#define SECRET_MIN 8

static const char usage_text[] =
"Usage: " PROG " [-c FILE]\n"
"       " PROG " --help | --version\n"
"\n"
"Receives GitHub webhook deliveries for the EESSI build-and-deploy bot.\n"
"Run it under a web server as a FastCGI program (for example with\n"
"spawn-fcgi behind nginx or Apache), or as a plain CGI program; it tells\n"
"the two apart by itself.  A plain CGI run handles one request.\n"
"\n"
"Every delivery is checked, in this order, and answered at once:\n"
"  POST only (405); Content-Length required (411) and at most 25 MiB (413,\n"
"  body not read); the whole body read (400 if cut short);\n"
"  X-Hub-Signature-256 present (401) and matching the webhook secret, in\n"
"  constant time (403); X-GitHub-Event and X-GitHub-Delivery (a UUID)\n"
"  present (400); the body a JSON object (400).  A delivery id seen before\n"
"  is answered 200 and not kept again.  A new delivery is written durably\n"
"  to the spool (event_handler.spool_dir: incoming/<delivery id>) and\n"
"  answered 202; if it cannot be written, 503.  A rejected request writes\n"
"  nothing.  Each request is logged in one line.\n"
"\n"
"Options:\n"
"  -c, --config FILE  configuration file (default: $EESSI_BOT_CONFIG,\n"
"                     else ./app.cfg); checked completely at start\n"
"  -h, --help         show this text and exit\n"
"      --version      show the version and exit\n"
"\n"
"Environment:\n"
"  GITHUB_APP_SECRET_TOKEN  the webhook secret, unless\n"
"                           github.webhook_secret_file names a file holding\n"
"                           it (one line; a trailing newline is ignored;\n"
"                           at least 8 characters)\n"
"  EESSI_BOT_CONFIG         default configuration file\n"
"\n"
"Exit status: 0 when the FastCGI socket closes or the CGI request was\n"
"answered; 1 when the configuration, the secret or the spool directory is\n"
"unusable at start; 2 on a usage error.\n";

struct opts {
	const char *config;
};

/* 0: go on; 1: done (help/version shown); 2: usage error. */
static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->config = getenv("EESSI_BOT_CONFIG");
	if (!o->config || !*o->config)
		o->config = "app.cfg";
	while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 'h': fputs(usage_text, stdout); return 1;
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
	if (env) /* no child of ours inherits it */
		unsetenv(SECRET_ENV);
	if (secret->len == 0)
		return err_set(e, ERR_CONFIG, "no webhook secret: set $" SECRET_ENV
				  " or github.webhook_secret_file");
	if (secret->len < SECRET_MIN || memchr(secret->s, '\0', secret->len))
		return err_set(e, ERR_CONFIG, "the webhook secret must be at least %d "
				  "characters, without NUL bytes", SECRET_MIN);
	return 0;
}

struct server {
	struct webhook_cfg wh;
};

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

static void serve_one(const struct server *srv, const struct io *io)
{
	struct webhook_req req = {
		param(io, "REQUEST_METHOD"), param(io, "CONTENT_LENGTH"),
		param(io, "HTTP_X_GITHUB_EVENT"), param(io, "HTTP_X_GITHUB_DELIVERY"),
		param(io, "HTTP_X_HUB_SIGNATURE_256"), read_body, (void *)io,
	};
	struct webhook_answer ans;
	const char *from = param(io, "REMOTE_ADDR");

	webhook_handle(&srv->wh, &req, &ans);
	respond(io, &ans);
	log_set_context(spool_valid_delivery(req.delivery) ? req.delivery : NULL);
	log_msg(ans.status < 300 ? LOGL_INFO : LOGL_WARN, "%d %s event=%.64s from=%.64s",
		ans.status, ans.text, req.event ? req.event : "-", from ? from : "-");
	log_set_context(NULL);
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
		serve_one(srv, &io);
		FCGX_Finish_r(&fr);
	}
	FCGX_Free(&fr, 1);
	return 0;
}

static int serve_cgi(const struct server *srv)
{
	struct io io = { NULL };

	serve_one(srv, &io);
	fclose(stdout); /* the client has its answer: it must not wait for us */
	return 0;
}

/* Loads what the handler needs; prints problems to stderr. */
static int start(const struct opts *o, struct conf **c, struct buf *secret)
{
	struct buf report = BUF_INIT(BUF_CAP_DEFAULT);
	struct conf_env env;
	struct err e = ERR_INIT;
	int rc = -1;

	conf_env_from_process(&env);
	if (conf_load(o->config, &env, c, &report) < 0) {
		fputs(report.s, stderr);
		goto out;
	}
	if (log_open((*c)->event_handler.log_file, PROG,
		     (*c)->event_handler.log_level, &e) < 0 ||
	    read_secret(*c, secret, &e) < 0 ||
	    log_add_secret(secret->s) < 0 ||
	    spool_init((*c)->event_handler.spool_dir, &e) < 0) {
		fprintf(stderr, PROG ": %s\n", e.code ? e.msg : "cannot start");
		goto out;
	}
	rc = 0;
out:
	buf_release(&report);
	return rc;
}

int main(int argc, char **argv)
{
	struct buf secret = BUF_INIT(SECRET_CAP);
	struct conf *c = NULL;
	struct server srv;
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
	log_info("started (%s)", FCGX_IsCGI() ? "CGI" : "FastCGI");
	rc = FCGX_IsCGI() ? serve_cgi(&srv) : serve_fastcgi(&srv);
out:
	buf_wipe(&secret);
	log_forget_secrets();
	log_close();
	conf_free(c);
	return rc;
}
