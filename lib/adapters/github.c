/* github.c - the GitHub App adapter: App JWT -> installation token (cached
 * on disk), one request function with the retry policy, the few calls the
 * bot makes.  All HTTP goes through lib/httpc; all JSON through json-c.
 *
 * Layer: adapters (README, "Map of the code").
 */
#include "github.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "appjwt.h"
#include "buf.h"
#include "conf.h"
#include "httpc.h"
#include "jobrec.h"
#include "log.h"
#include "names.h"
#include "xio.h"

#ifndef EESSI_BOT_VERSION
#define EESSI_BOT_VERSION "0.1.0-dev"
#endif

#define API_VERSION "2022-11-28"
#define KEY_MAX ((size_t)64 * 1024)   /* bytes in the private key file */
#define TOKEN_MAX ((size_t)1024)      /* bytes in an installation token */
#define CACHE_MAX ((size_t)4096)      /* bytes in a token cache file */
#define TOKEN_RENEW_S 300             /* renew with less than this left */
#define COMMENT_MAX_CHARS 65536       /* GitHub's limit on a comment body */
#define MESSAGE_MAX 300               /* bytes of GitHub's message quoted */
#define MAX_REGISTERED 16             /* tokens handed to log_add_secret() */

struct token {
	long long inst;   /* the installation it belongs to; 0: none held */
	struct buf value; /* wiped when dropped */
	long long expires;
};

struct github {
	char *api_url;
	long long app_id;
	long long default_inst, inst;
	char *key_path;
	char *cache_dir;
	struct buf key; /* the PEM bytes; wiped by github_free() */
	struct buf user_agent; /* the whole header line */
	struct httpc *http;
	struct token tok;
	struct github_counts counts;
	int last_status; /* of the last github_request() */
	struct github_clock clk;
	uint64_t registered[MAX_REGISTERED]; /* hashes of tokens registered */
	size_t nregistered;
};

/* ------------------------------------------------------ pure checks */

static int is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

int github_valid_repo(const char *s)
{
	return names_valid_repo(s);
}

int github_valid_login(const char *s)
{
	return names_valid_login(s);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int digits(const char *s, int n, unsigned *out)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return 0;
}

int github_parse_time(const char *s, long long *out)
{
	static const unsigned mdays[] = {31, 29, 31, 30, 31, 30,
					 31, 31, 30, 31, 30, 31};
	unsigned y, mo, d, h, mi, se;

	if (!s || strlen(s) != 20 || s[4] != '-' || s[7] != '-' ||
	    s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z')
		return -1;
	if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
	    digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) ||
	    digits(s + 17, 2, &se))
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    h > 23 || mi > 59 || se > 60)
		return -1;
	if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return -1;
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
	return 0;
}

/* An installation token as it may go into a header and a JSON string. */
static int token_ok(const char *s, size_t len)
{
	size_t i;

	if (len < 8 || len > TOKEN_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!is_alnum((unsigned char)s[i]) && !strchr("._~+/=-", s[i]))
			return 0;
	return 1;
}

static int format_time(long long t, char out[21])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) ||
	    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) != 20)
		return -1;
	return 0;
}

/* Characters (UTF-8 code points) in s. */
static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

/* ------------------------------------------------------------- clock */

static long long default_now(void *arg)
{
	(void)arg;
	return (long long)time(NULL);
}

static void default_sleep_ms(void *arg, long long ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000};

	(void)arg;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void github_set_clock(struct github *gh, const struct github_clock *clk)
{
	gh->clk.now = clk && clk->now ? clk->now : default_now;
	gh->clk.sleep_ms = clk && clk->sleep_ms ? clk->sleep_ms
						: default_sleep_ms;
	gh->clk.arg = clk ? clk->arg : NULL;
}

static long long now_s(const struct github *gh)
{
	return gh->clk.now(gh->clk.arg);
}

/* ------------------------------------------------------ private files */

/* Reads a file that must be private (xio_private_ok(): a regular file, ours
 * or root's, not open to group or others), not empty, at most out->cap
 * bytes.  what names it in errors.  On failure *why tells WHY_MISSING (no such file),
 * WHY_MODE (not private) or WHY_OTHER. */
enum { WHY_NONE, WHY_MISSING, WHY_MODE, WHY_OTHER };

static int read_private(const char *path, const char *what, int nofollow,
			struct buf *out, int *why, struct err *e)
{
	char chunk[4096];
	struct stat st;
	ssize_t n;
	int fd, rc = 0;

	*why = WHY_NONE;
	buf_clear(out);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK |
		  (nofollow ? O_NOFOLLOW : 0));
	if (fd < 0) {
		*why = errno == ENOENT ? WHY_MISSING : WHY_OTHER;
		return err_sys(e, "%s %s: cannot open", what, path);
	}
	if (fstat(fd, &st) < 0) {
		rc = err_sys(e, "%s %s: cannot stat", what, path);
	} else if ((rc = xio_private_ok(&st, what, path, e)) < 0) {
		*why = WHY_MODE; /* the one check shared with the start checks */
	} else if (st.st_size == 0) {
		rc = err_set(e, ERR_INVAL, "%s %s: empty file", what, path);
	} else if ((unsigned long long)st.st_size > out->cap) {
		rc = err_set(e, ERR_TOOBIG, "%s %s: larger than %zu bytes",
			     what, path, out->cap);
	} else if (buf_grow(out, (size_t)st.st_size) < 0) {
		/* one allocation up front: no realloc() leaves a copy behind */
		rc = err_set(e, ERR_NOMEM, "%s %s: out of memory", what, path);
	}
	while (rc == 0 && (n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = err_sys(e, "%s %s: cannot read", what, path);
		else if (buf_add(out, chunk, (size_t)n) < 0)
			rc = err_set(e, ERR_TOOBIG, "%s %s: larger than %zu "
				     "bytes", what, path, out->cap);
	}
	explicit_bzero(chunk, sizeof(chunk));
	close(fd);
	if (rc < 0) {
		if (*why == WHY_NONE)
			*why = WHY_OTHER;
		buf_wipe(out);
	}
	return rc;
}

static int load_key(struct github *gh, struct err *e)
{
	int why;

	buf_init(&gh->key, KEY_MAX);
	if (read_private(gh->key_path, "github.private_key", 0, &gh->key,
			 &why, e) < 0)
		return -1;
	if (!strstr(gh->key.s, "-----BEGIN ") ||
	    !strstr(gh->key.s, "PRIVATE KEY-----")) {
		buf_wipe(&gh->key);
		return err_set(e, ERR_INVAL,
			       "github.private_key %s: not a PEM private key",
			       gh->key_path);
	}
	return 0;
}

/* The cache directory: created 0700, ours, and closed to others. */
static int prepare_cache_dir(const char *dir, struct err *e)
{
	struct err me = ERR_INIT;
	struct stat st;

	if (xio_mkdir_p(dir, 0700, &me) < 0)
		return err_set(e, me.code, "github.token_cache_dir: %s", me.msg);
	if (lstat(dir, &st) < 0)
		return err_sys(e, "github.token_cache_dir %s: cannot stat", dir);
	if (!S_ISDIR(st.st_mode))
		return err_set(e, ERR_INVAL,
			       "github.token_cache_dir %s: not a directory",
			       dir);
	if (st.st_uid != geteuid())
		return err_set(e, ERR_INVAL,
			       "github.token_cache_dir %s: owned by uid %u, not "
			       "by this account (uid %u); refused",
			       dir, (unsigned)st.st_uid, (unsigned)geteuid());
	if ((st.st_mode & 077) && chmod(dir, 0700) < 0)
		return err_sys(e, "github.token_cache_dir %s: chmod 700", dir);
	return 0;
}

/* ---------------------------------------------------------- tokens */

static uint64_t fnv1a(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

/* Each token once: log.c keeps at most 16 (and still hides anything shaped
 * like a GitHub token when that is full). */
static void register_secret(struct github *gh, const char *token)
{
	uint64_t h = fnv1a(token, strlen(token));
	size_t i;

	for (i = 0; i < gh->nregistered; i++)
		if (gh->registered[i] == h)
			return;
	if (log_add_secret(token) == 0 && gh->nregistered < MAX_REGISTERED)
		gh->registered[gh->nregistered++] = h;
}

static void token_drop(struct token *t)
{
	buf_wipe(&t->value);
	t->inst = 0;
	t->expires = 0;
}

static long long current_inst(const struct github *gh)
{
	return gh->inst > 0 ? gh->inst : gh->default_inst;
}

static int cache_path(const struct github *gh, long long inst,
		      struct buf *out)
{
	buf_clear(out);
	return buf_addf(out, "%s/installation-%lld.json", gh->cache_dir, inst);
}

/* Wipes a string json-c holds, before the object goes. */
static void wipe_json_string(struct json_object *o)
{
	if (o && json_object_is_type(o, json_type_string))
		explicit_bzero((char *)json_object_get_string(o),
			       (size_t)json_object_get_string_len(o));
}

/* Parses JSON text; NULL if it is not exactly one JSON value. */
static struct json_object *parse_json(const char *s, size_t len)
{
	struct json_tokener *tok;
	struct json_object *o;
	size_t end;

	if (len > INT_MAX || !(tok = json_tokener_new()))
		return NULL;
	o = json_tokener_parse_ex(tok, s, (int)len);
	if (o && json_tokener_get_error(tok) == json_tokener_success) {
		for (end = json_tokener_get_parse_end(tok); end < len; end++)
			if (!strchr(" \t\r\n", s[end]))
				break;
		if (end < len) {
			json_object_put(o);
			o = NULL;
		}
	} else if (o) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/* Takes the token and expiry out of a JSON object ({"token", "expires_at"})
 * into t; wipes the token string in the object. */
static int token_from_json(struct json_object *o, long long inst,
			   struct token *t)
{
	struct json_object *jt = NULL, *jx = NULL;
	long long expires;
	const char *s;
	size_t len;
	int rc = -1;

	if (!json_object_object_get_ex(o, "token", &jt) ||
	    !json_object_is_type(jt, json_type_string) ||
	    !json_object_object_get_ex(o, "expires_at", &jx) ||
	    !json_object_is_type(jx, json_type_string))
		goto out;
	s = json_object_get_string(jt);
	len = (size_t)json_object_get_string_len(jt);
	if (!token_ok(s, len) ||
	    github_parse_time(json_object_get_string(jx), &expires) < 0)
		goto out;
	token_drop(t);
	buf_init(&t->value, TOKEN_MAX);
	if (buf_add(&t->value, s, len) < 0)
		goto out;
	t->inst = inst;
	t->expires = expires;
	rc = 0;
out:
	wipe_json_string(jt);
	return rc;
}

/* The cached token of inst if the file is sound and the token has at least
 * TOKEN_RENEW_S left; 0 if it was taken, -1 if not (nothing to report:
 * a missing or stale cache just means fetching). */
static int cache_load(struct github *gh, long long inst)
{
	struct buf path = BUF_INIT(4096), text = BUF_INIT(CACHE_MAX);
	struct json_object *o = NULL, *ji = NULL;
	struct err e = ERR_INIT;
	struct token t = {0, BUF_INIT(TOKEN_MAX), 0};
	int why, rc = -1;

	if (cache_path(gh, inst, &path) < 0)
		goto out;
	if (read_private(path.s, "token cache", 1, &text, &why, &e) < 0) {
		if (why != WHY_MISSING)
			log_warn("ignoring the cached token: %s", e.msg);
		goto out;
	}
	o = parse_json(text.s, text.len);
	if (!o || !json_object_object_get_ex(o, "installation_id", &ji) ||
	    json_object_get_int64(ji) != inst || token_from_json(o, inst, &t)) {
		log_warn("ignoring the token cache %s: not what the bot writes",
			 path.s);
		goto out;
	}
	if (t.expires - now_s(gh) < TOKEN_RENEW_S)
		goto out;
	token_drop(&gh->tok);
	gh->tok = t;
	t.value = (struct buf)BUF_INIT(TOKEN_MAX);
	register_secret(gh, gh->tok.value.s);
	rc = 0;
out:
	json_object_put(o);
	token_drop(&t);
	buf_wipe(&text);
	buf_release(&path);
	return rc;
}

/* Writes the held token to the cache; failure is only a warning. */
static void cache_save(struct github *gh)
{
	struct buf path = BUF_INIT(4096), text = BUF_INIT(CACHE_MAX);
	struct err e = ERR_INIT;
	char when[21];

	if (format_time(gh->tok.expires, when) < 0 ||
	    cache_path(gh, gh->tok.inst, &path) < 0 ||
	    buf_addf(&text,
		     "{\"installation_id\": %lld, \"token\": \"%s\", "
		     "\"expires_at\": \"%s\"}\n",
		     gh->tok.inst, gh->tok.value.s, when) < 0)
		err_set(&e, ERR_TOOBIG, "token cache: path or text too long");
	else
		xio_write_atomic(path.s, text.s, text.len, 0600, &e);
	if (e.code != ERR_NONE)
		log_warn("cannot cache the installation token: %s", e.msg);
	buf_wipe(&text);
	buf_release(&path);
}

/* Removes the cache file of inst if it still holds `token` (another
 * process may have put a fresh one there since). */
static void cache_drop(struct github *gh, long long inst, const char *token)
{
	struct buf path = BUF_INIT(4096), text = BUF_INIT(CACHE_MAX);
	struct err e = ERR_INIT;
	int why;

	if (cache_path(gh, inst, &path) == 0 &&
	    read_private(path.s, "token cache", 1, &text, &why, &e) == 0 &&
	    strstr(text.s, token) && unlink(path.s) < 0)
		log_warn("cannot remove the token cache %s: %s", path.s,
			 strerror(errno));
	buf_wipe(&text);
	buf_release(&path);
}

/* ------------------------------------------------------------- calls */

struct call {
	const char *method;
	const char *path;
	const char *body; /* serialised JSON or NULL */
	size_t body_len;
	const char *auth; /* the Authorization header line */
	int secret;       /* the answer holds a secret: wipe it */
	int once;         /* not safe to repeat (a POST that creates): after
			   * a 5xx or a broken connection once the request
			   * left, ERR_UNSURE instead of a retry */
};

/* GitHub's message from an error answer, appended to out (bounded). */
static void add_github_message(struct buf *out, const struct buf *body)
{
	struct json_object *o = parse_json(body->s, body->len), *m, *errs, *e0;
	const char *msg = NULL, *detail = NULL;

	if (o && json_object_object_get_ex(o, "message", &m) &&
	    json_object_is_type(m, json_type_string))
		msg = json_object_get_string(m);
	if (o && json_object_object_get_ex(o, "errors", &errs) &&
	    json_object_is_type(errs, json_type_array) &&
	    json_object_array_length(errs) > 0) {
		e0 = json_object_array_get_idx(errs, 0);
		if (json_object_is_type(e0, json_type_string))
			detail = json_object_get_string(e0);
		else if ((json_object_object_get_ex(e0, "message", &m) &&
			  json_object_is_type(m, json_type_string)) ||
			 (json_object_object_get_ex(e0, "code", &m) &&
			  json_object_is_type(m, json_type_string)))
			detail = json_object_get_string(m);
	}
	if (msg)
		buf_addf(out, ": %.*s", MESSAGE_MAX, msg);
	else if (body->len > 0 && !o)
		buf_addf(out, ": %.*s", 80, body->s);
	if (detail)
		buf_addf(out, " (%.*s)", MESSAGE_MAX, detail);
	json_object_put(o);
}

/* The error of a call that did not end in a 2xx: what happened, GitHub's
 * word, why it was not retried. */
static int call_error(const struct call *c, const struct httpc_response *rs,
		      const struct err *pe, int attempts, long long asked,
		      struct err *e)
{
	struct buf text = BUF_INIT(1024);
	enum err_code code = ERR_INVAL;

	/* no answer, a 5xx or a rate limit outlasting the retries: GitHub
	 * is out of reach for now, the work is tried again later */
	if (rs->status == 0 || rs->status >= 500 ||
	    httpc_rate_limited(rs->status, &rs->h))
		code = ERR_AGAIN;
	if (rs->status == 0) {
		buf_addf(&text, "no answer: %s", pe->msg);
	} else {
		buf_addf(&text, "%d", rs->status);
		if (*httpc_reason(rs->status))
			buf_addf(&text, " %s", httpc_reason(rs->status));
		add_github_message(&text, &rs->body);
	}
	if (asked > 0)
		buf_addf(&text, "; GitHub asks to wait %lld s, more than the "
			 "%d s the bot waits: not retried", asked,
			 HTTPC_MAX_WAIT_S);
	else if (attempts > 1)
		buf_addf(&text, " (gave up after %d attempts)", attempts);
	err_set(e, code, "%s %s: %s", c->method, c->path, text.s);
	buf_release(&text);
	return -1;
}

/* The JSON of a 2xx answer into *out (NULL for an empty body). */
static int call_answer(const struct call *c, const struct httpc_response *rs,
		       struct json_object **out, struct err *e)
{
	if (!out || rs->body.len == 0)
		return 0;
	if ((*out = parse_json(rs->body.s, rs->body.len)))
		return 0;
	return err_set(e, ERR_INVAL, "%s %s: %d %s: the answer is not JSON",
		       c->method, c->path, rs->status,
		       httpc_reason(rs->status));
}

static void log_attempt(const struct call *c, const struct httpc_response *rs,
			const struct err *pe)
{
	if (rs->status == 0)
		log_debug("%s %s -> no answer: %s (%lld ms)", c->method,
			  c->path, pe->msg, rs->elapsed_ms);
	else
		log_debug("%s %s -> %d (%lld ms)", c->method, c->path,
			  rs->status, rs->elapsed_ms);
}

static void log_retry(const struct call *c, const struct httpc_response *rs,
		      const struct err *pe, long long delay, int next)
{
	if (rs->status)
		log_info("%s %s: %d %s, retrying in %lld ms (attempt %d of %d)",
			 c->method, c->path, rs->status,
			 httpc_reason(rs->status), delay, next,
			 HTTPC_MAX_ATTEMPTS);
	else
		log_info("%s %s: %s, retrying in %lld ms (attempt %d of %d)",
			 c->method, c->path, pe->msg, delay, next,
			 HTTPC_MAX_ATTEMPTS);
}

/* An answer after which a request may have taken effect on GitHub's side:
 * none at all once the request had left (a broken connection, a timeout),
 * or a 5xx (GitHub stops work at 10 s and answers 502/504 whether or not
 * the comment was made).  A rate limit (403/429) or any 4xx is a refusal:
 * nothing was done. */
static int may_have_acted(const struct httpc_response *rs)
{
	return (rs->status == 0 && rs->sent) ||
	       (rs->status >= 500 && rs->status <= 599);
}

static int call_unsure(const struct call *c, const struct httpc_response *rs,
		       const struct err *pe, struct err *e)
{
	struct buf text = BUF_INIT(1024);

	if (rs->status == 0)
		buf_addf(&text, "no answer: %s", pe->msg);
	else
		buf_addf(&text, "%d %s", rs->status, httpc_reason(rs->status));
	err_set(e, ERR_UNSURE, "%s %s: %s; it may have taken effect, so it "
		"is not repeated blindly", c->method, c->path, text.s);
	buf_release(&text);
	return -1;
}

/* The HTTP request of a call: GitHub's headers (headers: room for 6). */
static void call_request(const struct github *gh, const struct call *c,
			 const char *url, const char **headers,
			 struct httpc_request *rq)
{
	size_t nh = 0;

	headers[nh++] = "Accept: application/vnd.github+json";
	headers[nh++] = "X-GitHub-Api-Version: " API_VERSION;
	headers[nh++] = gh->user_agent.s;
	if (c->auth)
		headers[nh++] = c->auth;
	if (c->body)
		headers[nh++] = "Content-Type: application/json";
	headers[nh] = NULL;
	rq->method = c->method;
	rq->url = url;
	rq->headers = headers;
	rq->body = c->body;
	rq->body_len = c->body_len;
}

/* Sends c until it gets a 2xx or httpc_retry_delay() says stop; counts and
 * logs every attempt.  *status: the last answer's status (0: none). */
static int send_call(struct github *gh, const struct call *c,
		     struct json_object **out, int *status, struct err *e)
{
	struct httpc_response rs;
	struct httpc_request rq = {0};
	struct buf url = BUF_INIT(8192);
	const char *headers[6];
	long long delay, asked = 0;
	int attempt, rc;
	struct err pe;

	*status = 0;
	if (out)
		*out = NULL;
	if (buf_addf(&url, "%s%s", gh->api_url, c->path) < 0)
		return err_set(e, ERR_TOOBIG, "%s %.200s: URL too long",
			       c->method, c->path);
	call_request(gh, c, url.s, headers, &rq);
	httpc_response_init(&rs, 0);

	for (attempt = 1;; attempt++) {
		err_clear(&pe);
		gh->counts.calls++;
		httpc_perform(gh->http, &rq, &rs, &pe);
		log_attempt(c, &rs, &pe);
		*status = rs.status;
		if (pe.code == ERR_NONE && rs.status >= 200 && rs.status <= 299) {
			rc = call_answer(c, &rs, out, e);
			break;
		}
		if (pe.code == ERR_TOOBIG || pe.code == ERR_INVAL) {
			rc = err_set(e, pe.code, "%s %s: %s", c->method,
				     c->path, pe.msg);
			break;
		}
		if (c->once && may_have_acted(&rs)) {
			rc = call_unsure(c, &rs, &pe, e);
			break;
		}
		delay = httpc_retry_delay(rs.status, &rs.h, attempt, now_s(gh),
					  &asked);
		if (delay < 0) {
			rc = call_error(c, &rs, &pe, attempt, asked, e);
			break;
		}
		gh->counts.retries++;
		log_retry(c, &rs, &pe, delay, attempt + 1);
		gh->clk.sleep_ms(gh->clk.arg, delay);
	}
	if (c->secret)
		buf_wipe(&rs.body);
	httpc_response_release(&rs);
	buf_release(&url);
	return rc;
}

/* Asks GitHub for a token of inst (App JWT) and keeps it, in memory and in
 * the cache. */
static int token_fetch(struct github *gh, long long inst, struct err *e)
{
	struct buf jwt = BUF_INIT(16384), auth = BUF_INIT(16384);
	char path[96];
	struct call c = {0};
	struct json_object *o = NULL;
	int status, rc = -1;

	token_drop(&gh->tok);
	gh->counts.token_fetches++;
	snprintf(path, sizeof(path), "/app/installations/%lld/access_tokens",
		 inst);
	if (appjwt_make(gh->key.s, gh->key.len, gh->app_id, now_s(gh), &jwt,
			e) < 0)
		goto out;
	if (buf_addf(&auth, "Authorization: Bearer %s", jwt.s) < 0) {
		err_set(e, ERR_TOOBIG, "App JWT too long");
		goto out;
	}
	c.method = "POST";
	c.path = path;
	c.auth = auth.s;
	c.secret = 1;
	if (send_call(gh, &c, &o, &status, e) < 0)
		goto out;
	if (!o || token_from_json(o, inst, &gh->tok) < 0) {
		err_set(e, ERR_INVAL, "POST %s: %d: no token in the answer",
			path, status);
		goto out;
	}
	register_secret(gh, gh->tok.value.s);
	log_info("installation %lld: new token, valid until %s", inst,
		 json_object_get_string(json_object_object_get(o,
							       "expires_at")));
	cache_save(gh);
	rc = 0;
out:
	json_object_put(o);
	buf_wipe(&jwt);
	buf_wipe(&auth);
	return rc;
}

/* A token of the current installation with TOKEN_RENEW_S left: held,
 * cached or fetched.  *had: 1 if it was there before this call (so a 401
 * may mean it went stale), 0 if just fetched. */
static int token_ensure(struct github *gh, int *had, struct err *e)
{
	long long inst = current_inst(gh);

	*had = 1;
	if (gh->tok.inst == inst && gh->tok.expires - now_s(gh) >= TOKEN_RENEW_S)
		return 0;
	token_drop(&gh->tok);
	if (cache_load(gh, inst) == 0)
		return 0;
	*had = 0;
	return token_fetch(gh, inst, e);
}

static int path_ok(const char *p)
{
	if (!p || p[0] != '/')
		return 0;
	for (; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '#')
			return 0;
	return 1;
}

static int method_ok(const char *m)
{
	return m && (strcmp(m, "GET") == 0 || strcmp(m, "POST") == 0 ||
		     strcmp(m, "PATCH") == 0 || strcmp(m, "PUT") == 0 ||
		     strcmp(m, "DELETE") == 0);
}

/* Sends c with the held installation token. */
static int send_with_token(struct github *gh, struct call *c,
			   struct json_object **out, int *status,
			   struct err *e)
{
	struct buf auth = BUF_INIT(TOKEN_MAX + 64);
	int rc;

	if (buf_addf(&auth, "Authorization: token %s", gh->tok.value.s) < 0)
		return err_set(e, ERR_TOOBIG, "installation token too long");
	c->auth = auth.s;
	rc = send_call(gh, c, out, status, e);
	c->auth = NULL;
	buf_wipe(&auth);
	return rc;
}

static int request(struct github *gh, const char *method, const char *path,
		   struct json_object *body, int repeatable,
		   struct json_object **out, int *status, struct err *e);

int github_request(struct github *gh, const char *method, const char *path,
		   struct json_object *body, struct json_object **out,
		   int *status, struct err *e)
{
	return request(gh, method, path, body, 0, out, status, e);
}

/* repeatable: a POST that GitHub makes idempotent (adding a reaction that
 * exists answers 200), retried like a GET. */
static int request(struct github *gh, const char *method, const char *path,
		   struct json_object *body, int repeatable,
		   struct json_object **out, int *status, struct err *e)
{
	struct err first = ERR_INIT;
	struct call c = {0};
	int st = 0, had, rc = -1;

	if (out)
		*out = NULL;
	if (status)
		*status = 0;
	gh->last_status = 0;
	if (!method_ok(method) || !path_ok(path))
		return err_set(e, ERR_INVAL, "%s %.200s: not a request the bot "
			       "makes (method or path refused)",
			       method ? method : "(null)",
			       path ? path : "(null)");
	c.method = method;
	c.path = path;
	c.once = strcmp(method, "POST") == 0 && !repeatable;
	if (body) {
		c.body = json_object_to_json_string_ext(
			body, JSON_C_TO_STRING_PLAIN |
				      JSON_C_TO_STRING_NOSLASHESCAPE);
		if (!c.body)
			return err_set(e, ERR_NOMEM, "%s %s: cannot serialise "
				       "the body", method, path);
		c.body_len = strlen(c.body);
	}
	if (token_ensure(gh, &had, e) < 0)
		return -1;
	rc = send_with_token(gh, &c, out, &st, &first);
	if (rc < 0 && st == 401 && had) {
		/* the token went stale (revoked, or expired early): drop it,
		 * and once more with a new one */
		log_info("%s %s: 401 with a held token; fetching a new one",
			 method, path);
		cache_drop(gh, gh->tok.inst, gh->tok.value.s);
		if (token_fetch(gh, current_inst(gh), e) < 0)
			return -1; /* *status stays 0: no token, no answer */
		gh->counts.retries++;
		err_clear(&first);
		rc = send_with_token(gh, &c, out, &st, &first);
	}
	if (rc < 0)
		err_set(e, first.code, "%s", first.msg);
	if (status)
		*status = st;
	gh->last_status = st;
	return rc;
}

int github_last_status(const struct github *gh)
{
	return gh ? gh->last_status : 0;
}

/* ---------------------------------------------------------- the calls */

static int check_repo(const char *repo, const char *what, struct err *e)
{
	if (!github_valid_repo(repo))
		return err_set(e, ERR_INVAL, "%s: '%.120s' is not a GitHub "
			       "repository (owner/name); refused", what,
			       repo ? repo : "(null)");
	return 0;
}

static int check_id(long long id, const char *name, const char *what,
		    struct err *e)
{
	if (id <= 0)
		return err_set(e, ERR_INVAL, "%s: %s %lld is not a positive "
			       "number; refused", what, name, id);
	return 0;
}

static int check_comment_body(const char *body, const char *what,
			      struct err *e)
{
	size_t n;

	if (!body)
		return err_set(e, ERR_INVAL, "%s: no comment body", what);
	if ((n = utf8_chars(body)) > COMMENT_MAX_CHARS)
		return err_set(e, ERR_TOOBIG, "%s: comment body of %zu "
			       "characters, GitHub takes at most %d", what, n,
			       COMMENT_MAX_CHARS);
	return 0;
}

/* {"key": value} with a string value; NULL if out of memory. */
static struct json_object *one_string(const char *key, const char *value)
{
	struct json_object *o = json_object_new_object(), *s;

	if (!o)
		return NULL;
	s = json_object_new_string(value);
	if (!s || json_object_object_add(o, key, s) < 0) {
		json_object_put(s);
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* A request with {"key": value} as its body. */
static int request_with(struct github *gh, const char *method,
			const char *path, const char *key, const char *value,
			int repeatable, struct json_object **out,
			struct err *e)
{
	struct json_object *body = one_string(key, value);
	int rc;

	if (!body)
		return err_set(e, ERR_NOMEM, "%s %s: out of memory", method,
			       path);
	rc = request(gh, method, path, body, repeatable, out, NULL, e);
	json_object_put(body);
	return rc;
}

int github_comment_create(struct github *gh, const char *repo,
			  long long issue, const char *body,
			  long long *comment_id, struct err *e)
{
	struct json_object *o = NULL, *id;
	char path[256];
	int rc = -1;

	if (comment_id)
		*comment_id = 0;
	if (check_repo(repo, "comment", e) < 0 ||
	    check_id(issue, "issue", "comment", e) < 0 ||
	    check_comment_body(body, "comment", e) < 0)
		return -1;
	snprintf(path, sizeof(path), "/repos/%s/issues/%lld/comments", repo,
		 issue);
	if (request_with(gh, "POST", path, "body", body, 0, &o, e) < 0)
		return -1;
	if (!o || !json_object_object_get_ex(o, "id", &id) ||
	    !json_object_is_type(id, json_type_int) ||
	    json_object_get_int64(id) <= 0) {
		err_set(e, ERR_INVAL, "POST %s: no comment id in the answer",
			path);
		goto out;
	}
	if (comment_id)
		*comment_id = json_object_get_int64(id);
	rc = 0;
out:
	json_object_put(o);
	return rc;
}

int github_comment_edit(struct github *gh, const char *repo,
			long long comment_id, const char *body, struct err *e)
{
	char path[256];

	if (check_repo(repo, "edit comment", e) < 0 ||
	    check_id(comment_id, "comment id", "edit comment", e) < 0 ||
	    check_comment_body(body, "edit comment", e) < 0)
		return -1;
	snprintf(path, sizeof(path), "/repos/%s/issues/comments/%lld", repo,
		 comment_id);
	return request_with(gh, "PATCH", path, "body", body, 1, NULL, e);
}

int github_comments_since(struct github *gh, const char *repo,
			  long long issue, const char *since, int page,
			  struct json_object **list, struct err *e)
{
	struct json_object *o = NULL;
	long long t;
	char path[320];

	*list = NULL;
	if (check_repo(repo, "list comments", e) < 0 ||
	    check_id(issue, "issue", "list comments", e) < 0)
		return -1;
	if (github_parse_time(since, &t) < 0)
		return err_set(e, ERR_INVAL, "list comments: since '%.40s' is "
			       "not a time like 2026-11-24T01:02:03Z; refused",
			       since ? since : "(null)");
	snprintf(path, sizeof(path),
		 "/repos/%s/issues/%lld/comments?since=%s&per_page=100&page=%d",
		 repo, issue, since, page < 1 ? 1 : page);
	if (github_request(gh, "GET", path, NULL, &o, NULL, e) < 0)
		return -1;
	if (!o || !json_object_is_type(o, json_type_array)) {
		json_object_put(o);
		return err_set(e, ERR_INVAL, "GET %s: the answer is not a "
			       "list", path);
	}
	*list = o;
	return 0;
}

int github_reaction_add(struct github *gh, const char *repo,
			long long comment_id, const char *content,
			struct err *e)
{
	static const char *const contents[] = {"+1",    "-1",    "laugh",
					       "confused", "heart", "hooray",
					       "rocket", "eyes"};
	char path[256];
	size_t i;

	if (check_repo(repo, "reaction", e) < 0 ||
	    check_id(comment_id, "comment id", "reaction", e) < 0)
		return -1;
	for (i = 0; i < sizeof(contents) / sizeof(contents[0]); i++)
		if (content && strcmp(content, contents[i]) == 0)
			break;
	if (i == sizeof(contents) / sizeof(contents[0]))
		return err_set(e, ERR_INVAL, "reaction: '%.40s' is not one of "
			       "+1 -1 laugh confused heart hooray rocket eyes",
			       content ? content : "(null)");
	snprintf(path, sizeof(path), "/repos/%s/issues/comments/%lld/reactions",
		 repo, comment_id);
	/* GitHub answers 200 for a reaction that exists: repeating it after
	 * a lost answer makes no second one */
	return request_with(gh, "POST", path, "content", content, 1, NULL, e);
}

/* A string member at a dotted path of o, or NULL. */
static const char *str_path(struct json_object *o, const char *a,
			    const char *b)
{
	if (!o || !json_object_object_get_ex(o, a, &o) ||
	    (b && !json_object_object_get_ex(o, b, &o)) ||
	    !json_object_is_type(o, json_type_string))
		return NULL;
	return json_object_get_string(o);
}

int github_pull_get(struct github *gh, const char *repo, long long number,
		    struct github_pull *out, struct err *e)
{
	struct json_object *o = NULL;
	struct buf path = BUF_INIT(512);
	const char *sha, *ref, *state;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (check_repo(repo, "pull", e) < 0)
		return -1;
	if (number <= 0)
		return err_set(e, ERR_INVAL, "pull: number %lld", number);
	if (buf_addf(&path, "/repos/%s/pulls/%lld", repo, number) < 0) {
		err_set(e, ERR_TOOBIG, "pull: path too long");
		goto out;
	}
	if (github_request(gh, "GET", path.s, NULL, &o, NULL, e) < 0)
		goto out;
	sha = str_path(o, "head", "sha");
	ref = str_path(o, "base", "ref");
	state = str_path(o, "state", NULL);
	if (!sha || !ref || !state) {
		err_set(e, ERR_INVAL, "GET %s: no head.sha, base.ref or state in "
			"the answer", path.s);
		goto out;
	}
	if (!names_valid_sha(sha)) {
		err_set(e, ERR_INVAL, "GET %s: head.sha '%.70s' is not a SHA",
			path.s, sha);
		goto out;
	}
	if (strlen(ref) >= sizeof(out->base_ref)) {
		err_set(e, ERR_INVAL, "GET %s: base.ref too long", path.s);
		goto out;
	}
	snprintf(out->head_sha, sizeof(out->head_sha), "%s", sha);
	snprintf(out->base_ref, sizeof(out->base_ref), "%s", ref);
	out->open = strcmp(state, "open") == 0;
	rc = 0;
out:
	json_object_put(o);
	buf_release(&path);
	return rc;
}

int github_permission(struct github *gh, const char *repo, const char *login,
		      char level[16], struct err *e)
{
	static const struct {
		const char *github, *level;
	} levels[] = {{"admin", "admin"}, {"maintain", "write"},
		      {"write", "write"}, {"triage", "read"},
		      {"read", "read"},   {"none", "none"}};
	struct json_object *o = NULL, *p;
	struct buf path = BUF_INIT(512);
	const char *s;
	size_t i, n;
	int rc = -1;

	level[0] = '\0';
	if (check_repo(repo, "permission", e) < 0)
		return -1;
	if (!github_valid_login(login))
		return err_set(e, ERR_INVAL, "permission: '%.60s' is not a "
			       "GitHub login; refused", login ? login : "(null)");
	/* "name[bot]": the brackets are escaped */
	n = strcspn(login, "[");
	if (buf_addf(&path, "/repos/%s/collaborators/%.*s%s/permission", repo,
		     (int)n, login, login[n] ? "%5Bbot%5D" : "") < 0) {
		err_set(e, ERR_TOOBIG, "permission: path too long");
		goto out;
	}
	if (github_request(gh, "GET", path.s, NULL, &o, NULL, e) < 0)
		goto out;
	if (!o || !json_object_object_get_ex(o, "permission", &p) ||
	    !json_object_is_type(p, json_type_string)) {
		err_set(e, ERR_INVAL, "GET %s: no permission in the answer",
			path.s);
		goto out;
	}
	s = json_object_get_string(p);
	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (strcmp(s, levels[i].github) == 0) {
			snprintf(level, 16, "%s", levels[i].level);
			rc = 0;
			goto out;
		}
	}
	err_set(e, ERR_INVAL, "GET %s: unknown permission '%.30s'", path.s, s);
out:
	json_object_put(o);
	buf_release(&path);
	return rc;
}

void github_counts(const struct github *gh, struct github_counts *out)
{
	*out = gh->counts;
}

void github_set_installation(struct github *gh, long long id)
{
	gh->inst = id > 0 ? id : 0;
}

/* ------------------------------------------------------ open and free */

int github_open(const struct conf *c, struct github **out, struct err *e)
{
	const struct conf_github *g = &c->github;
	struct github *gh;

	*out = NULL;
	if (!g->api_url || !g->private_key || !g->token_cache_dir ||
	    !g->app_name || g->app_id <= 0 || g->installation_id <= 0)
		return err_set(e, ERR_CONFIG, "github: api_url, app_id, "
			       "app_name, installation_id, private_key and "
			       "token_cache_dir must be set");
	if (!(gh = calloc(1, sizeof(*gh))))
		return err_set(e, ERR_NOMEM, "github: out of memory");
	buf_init(&gh->key, KEY_MAX);
	buf_init(&gh->user_agent, 256);
	buf_init(&gh->tok.value, TOKEN_MAX);
	github_set_clock(gh, NULL);
	gh->app_id = g->app_id;
	gh->default_inst = g->installation_id;
	if (!(gh->api_url = strdup(g->api_url)) ||
	    !(gh->key_path = strdup(g->private_key)) ||
	    !(gh->cache_dir = strdup(g->token_cache_dir))) {
		err_set(e, ERR_NOMEM, "github: out of memory");
		goto fail;
	}
	if (buf_addf(&gh->user_agent, "User-Agent: eessi-bot/%s (%s)",
		     EESSI_BOT_VERSION, g->app_name) < 0) {
		err_set(e, ERR_TOOBIG, "github: app_name too long");
		goto fail;
	}
	if (load_key(gh, e) < 0 || prepare_cache_dir(gh->cache_dir, e) < 0 ||
	    httpc_open(&gh->http, e) < 0)
		goto fail;
	*out = gh;
	return 0;
fail:
	github_free(gh);
	return -1;
}

void github_free(struct github *gh)
{
	if (!gh)
		return;
	httpc_free(gh->http);
	buf_wipe(&gh->key);
	token_drop(&gh->tok);
	buf_release(&gh->user_agent);
	free(gh->api_url);
	free(gh->key_path);
	free(gh->cache_dir);
	free(gh);
}
