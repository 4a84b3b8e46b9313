/* fcgi-probe.c - a FastCGI (or plain CGI) program for the test harness only.
 *
 * For each request it records what the web server handed over, so a test can
 * compare it with what the client sent:
 *
 *   $PROBE_DIR/req-N.body  the exact body bytes
 *   $PROBE_DIR/req-N.env   NAME=VALUE lines: the CGI params listed in
 *                          recorded_params[] that were set, then PROBE_MODE
 *                          (fastcgi|cgi), PROBE_PID, PROBE_BODY_LEN and
 *                          PROBE_ANSWER (the status it answered)
 *
 * N counts from 1 across all processes sharing PROBE_DIR (a flock'ed counter
 * file, so spawn-fcgi -F N workers and mod_fcgid processes number requests
 * in arrival order).  Both files are written to a temporary name, fsync'ed
 * and renamed; the body first, so a test that sees req-N.env sees the body.
 *
 * The answer is "Status: 200" (or $PROBE_STATUS, 100..599) with the text
 * "req-N LEN\n".  CONTENT_LENGTH is parsed strictly: not a plain decimal
 * number -> 400; above 25 MiB -> 413, answered without reading the body;
 * fewer body bytes than announced -> 400.  Those requests are recorded too
 * (with an empty body file).  A request that cannot be recorded gets 500.
 *
 * Started with a listening socket as fd 0 (spawn-fcgi, mod_fcgid) it serves
 * FastCGI requests until killed; otherwise (FCGX_IsCGI()) it serves the one
 * CGI request in its environment and stdin.
 */
#include "buf.h"
#include "xio.h"

#include <errno.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/types.h>
#include <unistd.h>

#define PROBE_MAX_BODY ((unsigned long long)25 * 1024 * 1024)
#define PROBE_CHUNK 65536
#define PROBE_MAX_VALUE 8192 /* longest recorded param value */

static const char *const recorded_params[] = {
	"REQUEST_METHOD",
	"CONTENT_LENGTH",
	"CONTENT_TYPE",
	"REQUEST_URI",
	"HTTP_X_GITHUB_EVENT",
	"HTTP_X_GITHUB_DELIVERY",
	"HTTP_X_HUB_SIGNATURE_256",
	"HTTP_USER_AGENT",
};

struct probe_conf {
	const char *dir; /* PROBE_DIR, NULL when unset */
	int status;      /* status of an accepted request */
};

/* One request: a FastCGI request, or (fr == NULL) the CGI process itself. */
struct probe_req {
	FCGX_Request *fr;
};

static const char *req_param(const struct probe_req *r, const char *name)
{
	if (r->fr)
		return FCGX_GetParam(name, r->fr->envp);
	return getenv(name);
}

/* Reads up to n bytes; returns the count (0 at end of input) or -1. */
static ssize_t req_read(struct probe_req *r, char *p, size_t n)
{
	ssize_t got;

	if (n > PROBE_CHUNK)
		n = PROBE_CHUNK;
	if (r->fr) {
		got = FCGX_GetStr(p, (int)n, r->fr->in);
		return FCGX_GetError(r->fr->in) ? -1 : got;
	}
	do
		got = read(STDIN_FILENO, p, n);
	while (got < 0 && errno == EINTR);
	return got;
}

static int req_write(struct probe_req *r, const char *p, size_t n)
{
	ssize_t put;

	if (r->fr) {
		for (; n > 0; p += put, n -= (size_t)put) {
			put = FCGX_PutStr(p, (int)(n > PROBE_CHUNK ? PROBE_CHUNK : n),
					  r->fr->out);
			if (put <= 0)
				return -1;
		}
		return 0;
	}
	for (; n > 0; p += put, n -= (size_t)put) {
		put = write(STDOUT_FILENO, p, n);
		if (put < 0 && errno == EINTR)
			put = 0;
		else if (put <= 0)
			return -1;
	}
	return 0;
}

static void req_log(struct probe_req *r, const char *msg)
{
	if (r->fr) {
		FCGX_PutS("fcgi-probe: ", r->fr->err);
		FCGX_PutS(msg, r->fr->err);
		FCGX_PutS("\n", r->fr->err);
	} else {
		fprintf(stderr, "fcgi-probe: %s\n", msg);
	}
}

/* Strict unsigned decimal: digits only, no sign, no spaces, at most max.
 * Returns 0, -1 (not a number) or -2 (above max). */
static int parse_ull(const char *s, unsigned long long max,
		     unsigned long long *out)
{
	unsigned long long v;
	char *end;
	size_t i;

	if (!s || !*s)
		return -1;
	for (i = 0; s[i]; i++)
		if (s[i] < '0' || s[i] > '9')
			return -1;
	if (i > 20) /* more digits than any unsigned long long has */
		return -2;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0')
		return -1;
	if (errno == ERANGE || v > max)
		return -2;
	*out = v;
	return 0;
}

static const char *status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 413: return "Content Too Large";
	case 500: return "Internal Server Error";
	default: return "Probe Status";
	}
}

static int join_path(struct buf *p, const char *dir, const char *name)
{
	buf_clear(p);
	return buf_addf(p, "%s/%s", dir, name);
}

/* Writes dir/name atomically and durably (lib/xio). */
static int write_file_atomic(const char *dir, const char *name,
			     const char *data, size_t len)
{
	struct buf dst = BUF_INIT(4096);
	struct err e = ERR_INIT;
	int rc = -1;

	if (join_path(&dst, dir, name) == 0)
		rc = xio_write_atomic(dst.s, data, len, 0644, &e);
	buf_release(&dst);
	return rc;
}

/* Takes the next request number from dir/seq, under an exclusive flock. */
static int next_seq(const char *dir, unsigned long long *n)
{
	struct buf path = BUF_INIT(4096), num = BUF_INIT(64);
	char text[32];
	unsigned long long v = 0;
	ssize_t got;
	int fd = -1, rc = -1;

	if (join_path(&path, dir, "seq") < 0)
		goto out;
	fd = open(path.s, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 || flock(fd, LOCK_EX) < 0)
		goto out;
	got = pread(fd, text, sizeof(text) - 1, 0);
	if (got < 0)
		goto out;
	text[got] = '\0';
	if (got > 0 && text[got - 1] == '\n')
		text[got - 1] = '\0';
	if (got > 0 && parse_ull(text, 1000000000ULL, &v) < 0)
		goto out;
	v++;
	if (buf_addf(&num, "%llu\n", v) < 0 ||
	    pwrite(fd, num.s, num.len, 0) != (ssize_t)num.len ||
	    ftruncate(fd, (off_t)num.len) < 0)
		goto out;
	*n = v;
	rc = 0;
out:
	if (fd >= 0)
		close(fd); /* releases the lock */
	buf_release(&path);
	buf_release(&num);
	return rc;
}

/* Appends NAME=VALUE\n, newlines in the value shown as '?'. */
static int env_line(struct buf *env, const char *name, const char *value)
{
	size_t i, n = strnlen(value, PROBE_MAX_VALUE);

	if (buf_adds(env, name) < 0 || buf_addch(env, '=') < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (buf_addch(env, value[i] == '\n' || value[i] == '\r' ?
					   '?' : value[i]) < 0)
			return -1;
	return buf_addch(env, '\n');
}

static int record(const struct probe_conf *conf, struct probe_req *r,
		  unsigned long long n, const struct buf *body, int answer)
{
	struct buf env = BUF_INIT(BUF_CAP_LINE), name = BUF_INIT(64);
	const char *v;
	size_t i;
	int rc = -1;

	for (i = 0; i < sizeof(recorded_params) / sizeof(recorded_params[0]);
	     i++) {
		v = req_param(r, recorded_params[i]);
		if (v && env_line(&env, recorded_params[i], v) < 0)
			goto out;
	}
	if (buf_addf(&env, "PROBE_MODE=%s\nPROBE_PID=%ld\n"
			   "PROBE_BODY_LEN=%zu\nPROBE_ANSWER=%d\n",
		     r->fr ? "fastcgi" : "cgi", (long)getpid(), body->len,
		     answer) < 0)
		goto out;
	if (buf_addf(&name, "req-%llu.body", n) < 0 ||
	    write_file_atomic(conf->dir, name.s, body->s, body->len) < 0)
		goto out;
	buf_clear(&name);
	if (buf_addf(&name, "req-%llu.env", n) < 0 ||
	    write_file_atomic(conf->dir, name.s, env.s, env.len) < 0)
		goto out;
	rc = 0;
out:
	buf_release(&env);
	buf_release(&name);
	return rc;
}

/* Reads exactly len body bytes into body.  -1: read error or short body. */
static int read_body(struct probe_req *r, unsigned long long len,
		     struct buf *body)
{
	ssize_t got;

	if (buf_grow(body, (size_t)len) < 0)
		return -1;
	while (body->len < len) {
		got = req_read(r, body->s + body->len, (size_t)len - body->len);
		if (got <= 0)
			return -1;
		body->len += (size_t)got;
	}
	body->s[body->len] = '\0';
	return 0;
}

static int answer(struct probe_req *r, int status, const char *text)
{
	struct buf out = BUF_INIT(BUF_CAP_LINE);
	int rc;

	rc = buf_addf(&out, "Status: %d %s\r\nContent-Type: text/plain\r\n\r\n%s",
		      status, status_text(status), text);
	if (rc == 0)
		rc = req_write(r, out.s, out.len);
	buf_release(&out);
	return rc;
}

static void handle(const struct probe_conf *conf, struct probe_req *r)
{
	struct buf body = BUF_INIT((size_t)PROBE_MAX_BODY), text =
		BUF_INIT(BUF_CAP_LINE);
	unsigned long long n, len = 0;
	const char *cl;
	int status = conf->status, prc, refused = 1;

	if (!conf->dir || next_seq(conf->dir, &n) < 0) {
		req_log(r, conf->dir ? "cannot take a request number" :
				       "PROBE_DIR is not set");
		answer(r, 500, "cannot record\n");
		goto out;
	}
	cl = req_param(r, "CONTENT_LENGTH");
	prc = cl && *cl ? parse_ull(cl, PROBE_MAX_BODY, &len) : 0;
	if (prc == -2)
		status = 413; /* refused unread */
	else if (prc < 0 || read_body(r, len, &body) < 0)
		status = 400;
	else
		refused = 0;
	if (refused)
		buf_release(&body);
	if (record(conf, r, n, &body, status) < 0) {
		req_log(r, "cannot write the record");
		answer(r, 500, "cannot record\n");
		goto out;
	}
	if (buf_addf(&text, "req-%llu %zu\n", n, body.len) == 0)
		answer(r, status, text.s);
out:
	buf_release(&body);
	buf_release(&text);
}

static int serve_fastcgi(const struct probe_conf *conf)
{
	FCGX_Request fr;
	struct probe_req r = { &fr };

	if (FCGX_Init() != 0 || FCGX_InitRequest(&fr, 0, 0) != 0) {
		fprintf(stderr, "fcgi-probe: cannot set up FastCGI\n");
		return 1;
	}
	while (FCGX_Accept_r(&fr) >= 0) {
		handle(conf, &r);
		FCGX_Finish_r(&fr);
	}
	return 0;
}

int main(void)
{
	struct probe_conf conf = { getenv("PROBE_DIR"), 200 };
	const char *st = getenv("PROBE_STATUS");
	unsigned long long v;
	struct probe_req cgi = { NULL };

	signal(SIGPIPE, SIG_IGN);
	if (conf.dir && !*conf.dir)
		conf.dir = NULL;
	if (st && *st) {
		if (parse_ull(st, 599, &v) < 0 || v < 100) {
			fprintf(stderr, "fcgi-probe: bad PROBE_STATUS '%s'\n", st);
			return 2;
		}
		conf.status = (int)v;
	}
	if (!FCGX_IsCGI())
		return serve_fastcgi(&conf);
	handle(&conf, &cgi);
	return 0;
}
