/* httpc.h - the one place that talks to libcurl, with lib/adapters/s3.c.
 *
 * lib/adapters/s3.c drives libcurl itself: it needs what this wrapper does not do
 * (SigV4 signing, bodies streamed from memory with a read callback, HEAD,
 * several parts of a multipart upload in flight through one curl multi
 * handle) and must not send the "Expect:" header this wrapper adds, which
 * SigV4 would sign.  It shares libcurl's global set-up through
 * httpc_global_init().
 *
 * A struct httpc is one libcurl easy handle, reused from request to request
 * so that the connection to GitHub stays open.  Each request: http or https
 * only, no redirect followed, a connect and a total timeout, the response
 * body read into a capped struct buf, and the few response headers the
 * retry decision needs parsed on the way.  libcurl's global state is set
 * up by the first httpc_open() of the process (and cleaned up at exit).
 *
 * The retry decision itself is a pure function, httpc_retry_delay(): the
 * status, those headers, the attempt number and the time in, the delay out.
 */
#ifndef EESSI_HTTPC_H
#define EESSI_HTTPC_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

#define HTTPC_CONNECT_TIMEOUT_MS 10000L
#define HTTPC_TIMEOUT_MS 30000L
#define HTTPC_MAX_ATTEMPTS 4    /* a request is sent at most this often */
#define HTTPC_MAX_WAIT_S 60     /* a longer wait asked for is refused */
#define HTTPC_SECONDARY_WAIT_S 60 /* rate limited without saying how long */
#define HTTPC_BODY_CAP ((size_t)16 * 1024 * 1024)

/* The response headers of interest; -1 where absent or not a number. */
struct httpc_headers {
	long long retry_after;  /* Retry-After, seconds */
	long long rl_remaining; /* x-ratelimit-remaining */
	long long rl_reset;     /* x-ratelimit-reset, epoch seconds */
};

/* Sets every member to -1 (absent). */
void httpc_headers_init(struct httpc_headers *h);

/* Takes one header line as libcurl hands it over ("Name: value\r\n", not
 * NUL-terminated) and fills h if it is one of interest; names compare
 * case-insensitively, values must be plain decimal numbers (at most 18
 * digits).  A status line ("HTTP/...") starts a new response: h is reset. */
void httpc_header_line(struct httpc_headers *h, const char *line,
		       size_t len);

/* What to do after attempt number `attempt` (1 for the first) answered
 * `status` (0: no HTTP answer, a transport error) at time `now` (epoch
 * seconds).  Returns the delay in milliseconds before the next attempt, or
 * -1 for no retry:
 *   - rate limited (429; or 403 with x-ratelimit-remaining 0 or with a
 *     Retry-After): Retry-After seconds, else the time until
 *     x-ratelimit-reset (at least 1 s), else HTTPC_SECONDARY_WAIT_S;
 *   - 5xx or transport error: Retry-After if given, else 1 s, 2 s, 4 s;
 *   - anything else: -1;
 *   - -1 as well once `attempt` reaches HTTPC_MAX_ATTEMPTS, or when the wait
 *     would exceed HTTPC_MAX_WAIT_S: then *wait_asked (if not NULL) is the
 *     wait in seconds that was refused (else it is set to 0). */
long long httpc_retry_delay(int status, const struct httpc_headers *h,
			    int attempt, long long now, long long *wait_asked);

/* 1 if status is a rate-limit answer (as above), else 0. */
int httpc_rate_limited(int status, const struct httpc_headers *h);

/* The reason phrase of a status ("Not Found"), "" if unknown. */
const char *httpc_reason(int status);

struct httpc;

struct httpc_request {
	const char *method; /* GET, POST, PATCH, PUT or DELETE */
	const char *url;    /* http:// or https:// */
	/* Extra request headers, "Name: value", NULL-terminated; may be NULL.
	 * They may hold credentials: the copies libcurl gets are wiped. */
	const char *const *headers;
	const char *body; /* NULL: no body */
	size_t body_len;
	long connect_timeout_ms; /* 0: HTTPC_CONNECT_TIMEOUT_MS */
	long timeout_ms;         /* 0: HTTPC_TIMEOUT_MS */
};

struct httpc_response {
	int status;             /* 0: no HTTP answer */
	int sent;               /* bytes of the request left this host, so
				 * the peer may have acted on it even with
				 * no answer (0: refused or unreachable,
				 * nothing sent) */
	struct buf body;        /* capped */
	struct httpc_headers h;
	long long elapsed_ms;
};

/* body gets the given cap (0: HTTPC_BODY_CAP). */
void httpc_response_init(struct httpc_response *r, size_t cap);
void httpc_response_release(struct httpc_response *r);

int httpc_open(struct httpc **out, struct err *e);
void httpc_free(struct httpc *c);

/* Sends one request (no retry here) and fills rs (its body cleared first).
 * 0: an HTTP answer arrived, whatever its status.  -1: none did
 * (rs->status 0; ERR_TIMEOUT for a timeout, ERR_SYS otherwise), or the
 * body passed its cap (ERR_TOOBIG, rs->status set), or bad arguments
 * (ERR_INVAL). */
int httpc_perform(struct httpc *c, const struct httpc_request *rq,
		  struct httpc_response *rs, struct err *e);

/* Sets up libcurl's global state, once per process (httpc_open() and
 * s3_open() call it); its cleanup is registered to run at exit. */
int httpc_global_init(struct err *e);

/* Releases libcurl's global state (only with no struct httpc open);
 * httpc_open() sets it up again.  Runs at exit by itself; idempotent. */
void httpc_global_cleanup(void);

#endif
