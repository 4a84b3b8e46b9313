/* loadgen.c - an HTTP/1.1 load generator for the webhook benchmark
 * (scripts/bench-webhook).  Test tool only.
 *
 * It POSTs one body file, signed once the way GitHub signs it
 * (X-Hub-Signature-256: sha256=HMAC-SHA256(secret, body); the signature
 * covers the body only), with a fresh random X-GitHub-Delivery UUID per
 * request, over up to CONNS keep-alive connections driven by one epoll loop
 * (one request in flight per connection, no pipelining).
 *
 * Two modes:
 *   open loop   (-r RATE): request i is due at start + i/RATE whatever
 *               happened before.  Its latency runs from that due time, not
 *               from when a connection became free, so a stall of the
 *               server shows in the figures (no coordinated omission).
 *               Connections are opened on demand, up to -c (default 64).
 *   closed loop (no -r): -c CONNS connections each send the next request
 *               as soon as the previous answer is complete; the latency
 *               runs from the send.
 * It stops starting requests after -d SECONDS or -n COUNT, then waits for
 * the answers still due (each bounded by -t).
 *
 * Output (stdout): requests, statuses seen, throughput (and the spread of
 * the per-second answer counts), latency p50/p90/p99/max in ms, its own CPU
 * time, and one machine-readable line starting with "RESULT ".  With -o
 * FILE, one line per request: delivery id, status (0: transport error),
 * due, sent and answered times in µs since the epoch (CLOCK_REALTIME).
 *
 * Exit status: 0; 1 when a request failed in transport (connect, reset,
 * close before the whole answer, timeout, unparsable answer) or was
 * answered with a status not in -x (the reason is printed); 2 usage or
 * setup error.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "hmac.h"
#include "xio.h"

#define PROG "loadgen"
#define MAX_CONNS 1024
#define HDR_CAP 2048
#define RBUF_CAP 16384
#define UUID_LEN 36

static const char usage_text[] =
"Usage: " PROG " -u URL -b BODYFILE -s SECRETFILE [-e EVENT]\n"
"              [-r RATE] [-c CONNS] (-d SECONDS | -n COUNT)\n"
"              [-t TIMEOUT] [-x STATUS[,STATUS...]] [-o FILE] [-q]\n"
"\n"
"POSTs BODYFILE to URL (http://HOST:PORT/PATH) with GitHub's webhook\n"
"headers, signed with the secret in SECRETFILE (one line; a trailing\n"
"newline is ignored), a new X-GitHub-Delivery UUID for each request.\n"
"\n"
"  -r RATE     open loop: RATE requests/s on a fixed schedule, latency\n"
"              from the due time (default: closed loop)\n"
"  -c CONNS    closed loop: connections (default 1); open loop: at most\n"
"              this many (default 64)\n"
"  -d SECONDS  run for this long (fractions allowed)\n"
"  -n COUNT    send this many requests\n"
"  -e EVENT    X-GitHub-Event (default pull_request)\n"
"  -t TIMEOUT  seconds an answer may take (default 10)\n"
"  -x LIST     expected statuses (default 202)\n"
"  -o FILE     per request: delivery status due_us sent_us answered_us\n"
"              (CLOCK_REALTIME, microseconds)\n"
"  -q          no progress lines on stderr\n"
"\n"
"Exit status: 0 ok; 1 transport errors or unexpected statuses; 2 usage.\n";

struct opts {
	const char *url, *body_file, *secret_file, *event, *out_file;
	double rate, duration, timeout;
	long count;
	int conns, quiet;
	unsigned char expect[600];
};

/* One request, kept for the statistics and the -o file. */
struct rec {
	char id[UUID_LEN + 1];
	int status;          /* HTTP status; 0 transport error; -1 pending */
	int64_t due, sent, done; /* CLOCK_MONOTONIC µs; done 0 while pending */
};

enum cstate { C_CLOSED, C_CONNECTING, C_IDLE, C_SENDING, C_READING };

struct conn {
	int fd;
	enum cstate st;
	long req;            /* index in recs, -1 when none */
	unsigned served;     /* answers on this connection */
	int64_t since;       /* connect started (monotonic µs) */
	int64_t retry_at;    /* no new connect before (after a failure) */
	size_t off;          /* bytes of header + body written */
	size_t hlen;
	char hdr[HDR_CAP];
	size_t rlen;
	char rbuf[RBUF_CAP];
};

struct run {
	struct opts o;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char host[256], path[1024];
	struct buf body;
	struct buf prefix;   /* request headers up to "X-GitHub-Delivery: " */
	int ep;
	struct conn *conns;
	int nconns;          /* connections set up (open loop: opened so far) */
	int busy;            /* connections with a request in flight */
	int max_busy;
	struct rec *recs;
	long nrecs, caprecs;
	long next_due;       /* open loop: index of the next request to start */
	long queued;         /* open loop: due requests waiting for a connection */
	long max_queued;
	int64_t t0, stop_at; /* monotonic µs */
	int64_t real_off;    /* CLOCK_REALTIME - CLOCK_MONOTONIC, µs */
	long transport_errors, unexpected, connects, connect_errors;
	char first_error[256];
	unsigned char rnd[4096];
	size_t rnd_left;
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static int64_t now_us(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static double num_arg(const char *s, const char *what, double min)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v < min || v != v)
		die("bad %s", what);
	return v;
}

static void parse_expect(struct opts *o, const char *list)
{
	const char *p = list;

	memset(o->expect, 0, sizeof(o->expect));
	while (*p) {
		char *end;
		long v;

		errno = 0;
		v = strtol(p, &end, 10);
		if (errno || end == p || v < 100 || v > 599 || (*end && *end != ','))
			die("bad status list '%s'", list);
		o->expect[v] = 1;
		p = *end ? end + 1 : end;
	}
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	int c, conns_given = 0;

	memset(o, 0, sizeof(*o));
	o->event = "pull_request";
	o->timeout = 10;
	o->count = -1;
	o->duration = -1;
	parse_expect(o, "202");
	while ((c = getopt(argc, argv, "u:b:s:e:r:c:d:n:t:x:o:qh")) != -1) {
		switch (c) {
		case 'u': o->url = optarg; break;
		case 'b': o->body_file = optarg; break;
		case 's': o->secret_file = optarg; break;
		case 'e': o->event = optarg; break;
		case 'r': o->rate = num_arg(optarg, "rate (-r)", 0.001); break;
		case 'c':
			if (num_arg(optarg, "connection count (-c)", 1) > MAX_CONNS)
				die("at most %d connections", MAX_CONNS);
			o->conns = (int)num_arg(optarg, "", 1);
			conns_given = 1;
			break;
		case 'd': o->duration = num_arg(optarg, "duration (-d)", 0.001); break;
		case 'n':
			if (num_arg(optarg, "count (-n)", 1) > 1e9)
				die("%s", "at most 1e9 requests (-n)");
			o->count = (long)num_arg(optarg, "", 1);
			break;
		case 't': o->timeout = num_arg(optarg, "timeout (-t)", 0.001); break;
		case 'x': parse_expect(o, optarg); break;
		case 'o': o->out_file = optarg; break;
		case 'q': o->quiet = 1; break;
		case 'h': fputs(usage_text, stdout); exit(0);
		default: fputs(usage_text, stderr); exit(2);
		}
	}
	if (optind < argc)
		die("unexpected argument '%s'", argv[optind]);
	if (!o->url || !o->body_file || !o->secret_file)
		die("%s", "-u, -b and -s are required (-h for help)");
	if ((o->count < 0) == (o->duration < 0))
		die("%s", "give exactly one of -d SECONDS and -n COUNT");
	if (!conns_given)
		o->conns = o->rate > 0 ? 64 : 1;
}

/* http://HOST[:PORT][/PATH] -> address, Host header, path. */
static void parse_url(struct run *r)
{
	const char *u = r->o.url, *hp, *slash, *colon;
	char host[256], port[16] = "80";
	struct addrinfo hints, *res;
	size_t hl;
	int rc;

	if (strncmp(u, "http://", 7) != 0)
		die("only http:// URLs: %s", u);
	hp = u + 7;
	slash = strchr(hp, '/');
	hl = slash ? (size_t)(slash - hp) : strlen(hp);
	if (hl == 0 || hl >= sizeof(r->host))
		die("bad URL %s", u);
	memcpy(r->host, hp, hl);
	r->host[hl] = '\0';
	if (snprintf(r->path, sizeof(r->path), "%s", slash ? slash : "/") >=
	    (int)sizeof(r->path))
		die("URL path too long: %s", u);
	colon = strrchr(r->host, ':');
	if (colon) {
		size_t n = (size_t)(colon - r->host);

		if (strlen(colon + 1) == 0 || strlen(colon + 1) >= sizeof(port))
			die("bad port in %s", u);
		memcpy(port, colon + 1, strlen(colon + 1) + 1);
		memcpy(host, r->host, n);
		host[n] = '\0';
	} else {
		memcpy(host, r->host, hl + 1);
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0)
		die("cannot resolve the URL's host: %s", gai_strerror(rc));
	memcpy(&r->addr, res->ai_addr, res->ai_addrlen);
	r->addrlen = res->ai_addrlen;
	freeaddrinfo(res);
}

static void hex(char *dst, const unsigned char *src, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		dst[2 * i] = digits[src[i] >> 4];
		dst[2 * i + 1] = digits[src[i] & 15];
	}
}

/* Body, secret, signature, and the constant part of every request. */
static void prepare(struct run *r)
{
	struct buf secret = BUF_INIT(4096);
	unsigned char mac[HMAC_SHA256_LEN];
	char machex[2 * HMAC_SHA256_LEN + 1];
	struct err e = ERR_INIT;

	buf_init(&r->body, (size_t)64 * 1024 * 1024);
	if (xio_read_file(r->o.body_file, &r->body, 0, &e) < 0)
		die("%s", e.msg);
	if (xio_read_file(r->o.secret_file, &secret, 0, &e) < 0)
		die("%s", e.msg);
	if (secret.len && secret.s[secret.len - 1] == '\n')
		buf_truncate(&secret, secret.len - 1);
	if (secret.len == 0)
		die("empty secret in %s", r->o.secret_file);
	if (hmac_sha256(secret.s, secret.len, r->body.s, r->body.len, mac) < 0)
		die("%s", "cannot compute the HMAC");
	buf_wipe(&secret);
	hex(machex, mac, sizeof(mac));
	machex[2 * HMAC_SHA256_LEN] = '\0';
	buf_init(&r->prefix, HDR_CAP - UUID_LEN - 8);
	if (buf_addf(&r->prefix,
		     "POST %s HTTP/1.1\r\n"
		     "Host: %s\r\n"
		     "User-Agent: GitHub-Hookshot/loadgen\r\n"
		     "Accept: */*\r\n"
		     "Content-Type: application/json\r\n"
		     "Content-Length: %zu\r\n"
		     "X-GitHub-Event: %s\r\n"
		     "X-GitHub-Hook-ID: 471234567\r\n"
		     "X-GitHub-Hook-Installation-Target-ID: 123456\r\n"
		     "X-GitHub-Hook-Installation-Target-Type: integration\r\n"
		     "X-Hub-Signature-256: sha256=%s\r\n"
		     "X-GitHub-Delivery: ",
		     r->path, r->host, r->body.len, r->o.event, machex) < 0)
		die("%s", "request headers too long");
}

/* A random (version 4) UUID, lower case, NUL-terminated. */
static void new_uuid(struct run *r, char out[UUID_LEN + 1])
{
	unsigned char b[16];
	char h[32];
	int i, j;

	if (r->rnd_left < sizeof(b)) {
		size_t got = 0;

		while (got < sizeof(r->rnd)) {
			ssize_t n = getrandom(r->rnd + got, sizeof(r->rnd) - got, 0);

			if (n < 0 && errno != EINTR)
				die("getrandom: %s", strerror(errno));
			if (n > 0)
				got += (size_t)n;
		}
		r->rnd_left = sizeof(r->rnd);
	}
	r->rnd_left -= sizeof(b);
	memcpy(b, r->rnd + r->rnd_left, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	hex(h, b, sizeof(b));
	for (i = 0, j = 0; i < UUID_LEN; i++)
		out[i] = (i == 8 || i == 13 || i == 18 || i == 23) ? '-' : h[j++];
	out[UUID_LEN] = '\0';
}

static struct rec *new_rec(struct run *r)
{
	if (r->nrecs == r->caprecs) {
		long cap = r->caprecs ? r->caprecs * 2 : 65536;
		struct rec *p = realloc(r->recs, (size_t)cap * sizeof(*p));

		if (!p)
			die("%s", "out of memory");
		r->recs = p;
		r->caprecs = cap;
	}
	memset(&r->recs[r->nrecs], 0, sizeof(r->recs[0]));
	r->recs[r->nrecs].status = -1;
	new_uuid(r, r->recs[r->nrecs].id);
	return &r->recs[r->nrecs++];
}

static void note_error(struct run *r, const char *what, const char *detail)
{
	if (!r->first_error[0])
		snprintf(r->first_error, sizeof(r->first_error), "%s%s%s", what,
			 detail ? ": " : "", detail ? detail : "");
}

static void watch(struct run *r, struct conn *c, uint32_t events, int op)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.ptr = c;
	if (epoll_ctl(r->ep, op, c->fd, &ev) < 0)
		die("epoll_ctl: %s", strerror(errno));
}

static void conn_close(struct run *r, struct conn *c)
{
	if (c->fd >= 0) {
		epoll_ctl(r->ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	c->fd = -1;
	c->st = C_CLOSED;
	c->served = 0;
	c->rlen = 0;
}

/* A connection could not be set up: an error, and no new attempt on this
 * slot for 100 ms.  In the closed loop the attempt counts as one failed
 * request (so -n ends even when nothing listens). */
static void connect_failed(struct run *r, struct conn *c, const char *why)
{
	int64_t t = now_us(CLOCK_MONOTONIC);

	r->connect_errors++;
	note_error(r, "connect", why);
	conn_close(r, c);
	c->retry_at = t + 100000;
	if (r->o.rate <= 0) {
		struct rec *q = new_rec(r);

		q->status = 0;
		q->due = q->sent = q->done = t;
		r->transport_errors++;
		r->next_due = r->nrecs;
	}
}

/* Starts a non-blocking connect; the connection becomes usable on EPOLLOUT. */
static int conn_open(struct run *r, struct conn *c, int64_t t)
{
	int one = 1;

	if (t < c->retry_at)
		return -1;
	c->since = t;
	c->fd = socket(r->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		connect_failed(r, c, strerror(errno));
		return -1;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	r->connects++;
	if (connect(c->fd, (struct sockaddr *)&r->addr, r->addrlen) < 0 &&
	    errno != EINPROGRESS) {
		connect_failed(r, c, strerror(errno));
		return -1;
	}
	c->st = C_CONNECTING;
	c->served = 0;
	c->rlen = 0;
	watch(r, c, EPOLLOUT, EPOLL_CTL_ADD);
	return 0;
}

/* Ends the request on c: status > 0 answered, 0 transport error. */
static void finish(struct run *r, struct conn *c, int status, const char *why)
{
	struct rec *q = &r->recs[c->req];

	q->status = status;
	q->done = now_us(CLOCK_MONOTONIC);
	c->req = -1;
	r->busy--;
	if (status == 0) {
		r->transport_errors++;
		note_error(r, "transport error", why);
	} else if (!r->o.expect[status]) {
		char s[128];

		r->unexpected++;
		snprintf(s, sizeof(s), "unexpected status %d (delivery %s)",
			 status, q->id);
		note_error(r, s, NULL);
	}
}

/* Writes what is left of the request; 0 done, 1 would block, -1 error. */
static int conn_write(struct run *r, struct conn *c)
{
	size_t total = c->hlen + r->body.len;

	while (c->off < total) {
		struct iovec iov[2];
		int n = 0;
		ssize_t w;

		if (c->off < c->hlen) {
			iov[n].iov_base = c->hdr + c->off;
			iov[n++].iov_len = c->hlen - c->off;
			iov[n].iov_base = r->body.s;
			iov[n++].iov_len = r->body.len;
		} else {
			iov[n].iov_base = r->body.s + (c->off - c->hlen);
			iov[n++].iov_len = total - c->off;
		}
		w = writev(c->fd, iov, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 1;
			return -1;
		}
		c->off += (size_t)w;
	}
	return 0;
}

/* Puts request q on idle connection c and starts sending it. */
static void conn_send(struct run *r, struct conn *c, long q)
{
	struct rec *rec = &r->recs[q];
	int rc;

	memcpy(c->hdr, r->prefix.s, r->prefix.len);
	memcpy(c->hdr + r->prefix.len, rec->id, UUID_LEN);
	memcpy(c->hdr + r->prefix.len + UUID_LEN, "\r\n\r\n", 4);
	c->hlen = r->prefix.len + UUID_LEN + 4;
	c->off = 0;
	c->rlen = 0;
	c->req = q;
	r->busy++;
	if (r->busy > r->max_busy)
		r->max_busy = r->busy;
	rec->sent = now_us(CLOCK_MONOTONIC);
	rc = conn_write(r, c);
	if (rc < 0) {
		finish(r, c, 0, strerror(errno));
		conn_close(r, c);
		return;
	}
	c->st = rc ? C_SENDING : C_READING;
	watch(r, c, rc ? EPOLLOUT : EPOLLIN, EPOLL_CTL_MOD);
}

/* Parses the answer in c->rbuf.  Returns 1 complete (status, keep-alive
 * set), 0 incomplete, -1 malformed.  *to_eof is set when the answer has
 * neither a length nor chunks: it ends when the server closes. */
static int parse_answer(struct conn *c, int *status, int *keep, int *to_eof)
{
	char *p = c->rbuf, *end = c->rbuf + c->rlen, *hend, *line;
	long clen = -1;
	int chunked = 0, minor;

	*keep = 1;
	*to_eof = 0;
	hend = memmem(p, c->rlen, "\r\n\r\n", 4);
	if (!hend)
		return c->rlen >= RBUF_CAP ? -1 : 0;
	if (c->rlen < 12 || memcmp(p, "HTTP/1.", 7) != 0 || !isdigit((unsigned char)p[9]) ||
	    !isdigit((unsigned char)p[10]) || !isdigit((unsigned char)p[11]))
		return -1;
	minor = p[7] - '0';
	*status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	if (*status < 100 || *status > 599)
		return -1;
	if (minor == 0)
		*keep = 0;
	/* the header lines, each ending in CRLF; the last CRLF is at hend */
	line = memchr(p, '\n', (size_t)(hend + 2 - p)) + 1;
	while (line < hend + 2) {
		char *eol = memmem(line, (size_t)(hend + 2 - line), "\r\n", 2);
		size_t n;

		if (!eol)
			return -1;
		n = (size_t)(eol - line);

		if (n > 15 && strncasecmp(line, "Content-Length:", 15) == 0) {
			char *q = line + 15, *qe;

			while (*q == ' ' || *q == '\t')
				q++;
			errno = 0;
			clen = strtol(q, &qe, 10);
			if (errno || qe == q || clen < 0)
				return -1;
		} else if (n > 18 && strncasecmp(line, "Transfer-Encoding:", 18) == 0) {
			chunked = memmem(line, n, "chunked", 7) != NULL;
		} else if (n > 11 && strncasecmp(line, "Connection:", 11) == 0) {
			if (memmem(line, n, "close", 5))
				*keep = 0;
			else if (memmem(line, n, "keep-alive", 10))
				*keep = 1;
		}
		line = eol + 2;
	}
	p = hend + 4;
	if (*status == 204 || *status == 304 || (*status >= 100 && *status < 200))
		return 1;
	if (chunked) {
		for (;;) {
			char *eol = memmem(p, (size_t)(end - p), "\r\n", 2), *qe;
			long size;

			if (!eol)
				return 0;
			errno = 0;
			size = strtol(p, &qe, 16);
			if (errno || qe == p || size < 0)
				return -1;
			p = eol + 2;
			if (size == 0) { /* trailers up to an empty line */
				for (;;) {
					eol = memmem(p, (size_t)(end - p), "\r\n", 2);
					if (!eol)
						return 0;
					if (eol == p)
						return 1;
					p = eol + 2;
				}
			}
			if (end - p < size + 2)
				return 0;
			p += size + 2;
		}
	}
	if (clen >= 0)
		return end - p >= clen ? 1 : 0;
	*keep = 0; /* read until the server closes */
	*to_eof = 1;
	return 0;
}

/* Reads what is there; finishes the request when the answer is whole. */
static void conn_read(struct run *r, struct conn *c)
{
	int status = 0, keep = 1, to_eof = 0, rc;

	for (;;) {
		ssize_t n;

		if (c->rlen >= RBUF_CAP) {
			finish(r, c, 0, "answer too large");
			conn_close(r, c);
			return;
		}
		n = read(c->fd, c->rbuf + c->rlen, RBUF_CAP - c->rlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			/* an answer without a length ends with the connection */
			rc = parse_answer(c, &status, &keep, &to_eof);
			if (n == 0 && (rc == 1 || (rc == 0 && to_eof))) {
				finish(r, c, status, NULL);
			} else {
				char why[128];

				snprintf(why, sizeof(why), "%s after %zu answer bytes "
					 "(request %u on the connection)",
					 n == 0 ? "connection closed" : strerror(errno),
					 c->rlen, c->served + 1);
				finish(r, c, 0, why);
			}
			conn_close(r, c);
			return;
		}
		c->rlen += (size_t)n;
	}
	rc = parse_answer(c, &status, &keep, &to_eof);
	if (rc == 0)
		return;
	if (rc < 0) {
		finish(r, c, 0, "malformed answer");
		conn_close(r, c);
		return;
	}
	finish(r, c, status, NULL);
	c->served++;
	if (!keep) {
		conn_close(r, c);
		return;
	}
	c->st = C_IDLE;
	watch(r, c, EPOLLIN, EPOLL_CTL_MOD); /* a close while idle is seen */
}

static int stopping(const struct run *r, int64_t t)
{
	if (interrupted)
		return 1;
	if (r->o.count >= 0)
		return r->nrecs >= r->o.count;
	return t >= r->stop_at;
}

/* Open loop: requests due by now, in order. */
static long due_by(const struct run *r, int64_t t)
{
	double n = (double)(t - r->t0) * r->o.rate / 1e6;
	long due = (long)n + 1;

	if (r->o.count >= 0 && due > r->o.count)
		due = r->o.count;
	if (r->o.duration >= 0) {
		long cap = (long)(r->o.duration * r->o.rate + 0.5);

		if (due > cap)
			due = cap;
	}
	return due;
}

static int64_t due_time(const struct run *r, long i)
{
	return r->t0 + (int64_t)((double)i * 1e6 / r->o.rate);
}

/* Gives waiting requests to free connections, opening new ones. */
static void dispatch(struct run *r, int64_t t)
{
	int i, connecting = 0;

	if (r->o.rate > 0) {
		long due = interrupted ? r->nrecs : due_by(r, t);

		while (r->nrecs < due) {
			struct rec *q = new_rec(r);

			q->due = due_time(r, r->nrecs - 1);
		}
		for (i = 0; i < r->o.conns && r->next_due < r->nrecs; i++) {
			if (r->conns[i].st == C_IDLE)
				conn_send(r, &r->conns[i], r->next_due++);
		}
		r->queued = r->nrecs - r->next_due;
		if (r->queued > r->max_queued)
			r->max_queued = r->queued;
		for (i = 0; i < r->o.conns; i++)
			connecting += r->conns[i].st == C_CONNECTING;
		for (i = 0; i < r->o.conns && connecting < r->queued; i++) {
			if (r->conns[i].st == C_CLOSED && conn_open(r, &r->conns[i], t) == 0) {
				connecting++;
				if (i >= r->nconns)
					r->nconns = i + 1;
			}
		}
		return;
	}
	for (i = 0; i < r->o.conns && !stopping(r, t); i++) {
		struct conn *c = &r->conns[i];

		if (c->st == C_CLOSED) {
			conn_open(r, c, t);
		} else if (c->st == C_IDLE) {
			struct rec *q = new_rec(r);

			q->due = now_us(CLOCK_MONOTONIC);
			conn_send(r, c, r->nrecs - 1);
			r->next_due = r->nrecs;
		}
	}
	r->nconns = r->o.conns;
}

/* Transport errors for what took longer than the timeout. */
static void expire(struct run *r, int64_t t)
{
	int64_t limit = (int64_t)(r->o.timeout * 1e6);
	int i;

	for (i = 0; i < r->o.conns; i++) {
		struct conn *c = &r->conns[i];

		if (c->req >= 0 && t - r->recs[c->req].sent > limit) {
			finish(r, c, 0, "no answer within the timeout");
			conn_close(r, c);
		} else if (c->st == C_CONNECTING && t - c->since > limit) {
			connect_failed(r, c, "timed out");
		}
	}
	/* open loop: due requests that never got a connection */
	while (r->o.rate > 0 && r->next_due < r->nrecs &&
	       t - r->recs[r->next_due].due > limit) {
		struct rec *q = &r->recs[r->next_due++];

		q->status = 0;
		q->done = t;
		r->transport_errors++;
		note_error(r, "transport error", "no connection free within the timeout");
	}
}

static void on_event(struct run *r, struct conn *c, uint32_t ev)
{
	if (c->st == C_CONNECTING) {
		int err = 0;
		socklen_t len = sizeof(err);

		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err) {
			connect_failed(r, c, strerror(err));
			return;
		}
		c->st = C_IDLE;
		watch(r, c, EPOLLIN, EPOLL_CTL_MOD);
		return;
	}
	if (c->st == C_IDLE) { /* the server closed a kept-alive connection */
		conn_close(r, c);
		return;
	}
	if (c->st == C_SENDING) {
		int rc = (ev & (EPOLLERR | EPOLLHUP)) ? -1 : conn_write(r, c);

		if (rc < 0) {
			/* the server may have answered early: read that */
			c->st = C_READING;
			conn_read(r, c);
			if (c->req >= 0) {
				finish(r, c, 0, "error while sending");
				conn_close(r, c);
			}
			return;
		}
		if (rc == 0) {
			c->st = C_READING;
			watch(r, c, EPOLLIN, EPOLL_CTL_MOD);
		}
		return;
	}
	if (c->st == C_READING)
		conn_read(r, c);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted v, in ms. */
static double pct_ms(const int64_t *v, long n, double p)
{
	long i;

	if (n == 0)
		return 0;
	i = (long)(p * (double)n + 0.999999) - 1;
	if (i < 0)
		i = 0;
	if (i >= n)
		i = n - 1;
	return (double)v[i] / 1000.0;
}

static void write_records(const struct run *r)
{
	FILE *f = fopen(r->o.out_file, "w");
	long i;

	if (!f)
		die("cannot write %s", r->o.out_file);
	fputs("# delivery status due_us sent_us answered_us (CLOCK_REALTIME; "
	      "status 0: transport error)\n", f);
	for (i = 0; i < r->nrecs; i++) {
		const struct rec *q = &r->recs[i];

		if (q->status < 0)
			continue;
		fprintf(f, "%s %d %" PRId64 " %" PRId64 " %" PRId64 "\n", q->id,
			q->status, q->due + r->real_off,
			q->sent ? q->sent + r->real_off : 0, q->done + r->real_off);
	}
	if (fclose(f) != 0)
		die("cannot write %s", r->o.out_file);
}

/* Prints the figures; returns the exit status. */
static int report(struct run *r)
{
	long i, answered = 0, sec_n, *per_sec = NULL;
	long smin = 0, smed = 0, smax = 0;
	long counts[600] = { 0 };
	int64_t *lat = malloc((size_t)(r->nrecs ? r->nrecs : 1) * sizeof(*lat));
	int64_t first = INT64_MAX, last = 0;
	double secs, rps, cpu, p50, p90, p99, pmax;
	struct buf st = BUF_INIT(BUF_CAP_LINE);
	struct rusage ru;
	int s, open_loop = r->o.rate > 0;

	if (!lat)
		die("%s", "out of memory");
	for (i = 0; i < r->nrecs; i++) {
		const struct rec *q = &r->recs[i];

		if (q->status <= 0)
			continue;
		counts[q->status]++;
		lat[answered++] = q->done - (open_loop ? q->due : q->sent);
		if (q->due < first)
			first = q->due;
		if (q->done > last)
			last = q->done;
	}
	qsort(lat, (size_t)answered, sizeof(*lat), cmp_i64);
	secs = answered ? (double)(last - first) / 1e6 : 0;
	rps = secs > 0 ? (double)answered / secs : 0;
	/* answers in each whole second of the run: shows stalls */
	sec_n = answered ? (long)((last - first) / 1000000) : 0;
	if (sec_n > 0) {
		per_sec = calloc((size_t)sec_n, sizeof(*per_sec));
		if (!per_sec)
			die("%s", "out of memory");
		for (i = 0; i < r->nrecs; i++) {
			const struct rec *q = &r->recs[i];
			long k;

			if (q->status <= 0)
				continue;
			k = (long)((q->done - first) / 1000000);
			if (k < sec_n)
				per_sec[k]++;
		}
		qsort(per_sec, (size_t)sec_n, sizeof(*per_sec), cmp_long);
		smin = per_sec[0];
		smed = per_sec[sec_n / 2];
		smax = per_sec[sec_n - 1];
		free(per_sec);
	}
	for (s = 100; s < 600; s++) {
		if (counts[s])
			buf_addf(&st, "%s%d:%ld", st.len ? "," : "", s, counts[s]);
	}
	if (r->transport_errors)
		buf_addf(&st, "%stransport_error:%ld", st.len ? "," : "",
			 r->transport_errors);
	p50 = pct_ms(lat, answered, 0.50);
	p90 = pct_ms(lat, answered, 0.90);
	p99 = pct_ms(lat, answered, 0.99);
	pmax = answered ? (double)lat[answered - 1] / 1000.0 : 0;
	getrusage(RUSAGE_SELF, &ru);
	cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	      (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;

	printf("loadgen: POST %s, body %zu B, event %s\n", r->o.url, r->body.len,
	       r->o.event);
	if (open_loop)
		printf("mode: open loop, %.1f/s, up to %d connections (%d used)\n",
		       r->o.rate, r->o.conns, r->nconns);
	else
		printf("mode: closed loop, %d connections\n", r->o.conns);
	printf("requests: %ld, answered %ld, transport errors %ld (failed "
	       "connects %ld)%s\n", r->nrecs, answered, r->transport_errors,
	       r->connect_errors,
	       interrupted ? " (interrupted)" : "");
	printf("connections opened: %ld; most in flight: %d; most waiting for a "
	       "connection: %ld\n", r->connects, r->max_busy, r->max_queued);
	printf("statuses: %s\n", st.len ? st.s : "-");
	printf("throughput: %.1f answers/s over %.2f s; answers per whole second: "
	       "min %ld, median %ld, max %ld\n", rps, secs, smin, smed, smax);
	printf("latency ms (from the %s): p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n",
	       open_loop ? "due time" : "send", p50, p90, p99, pmax);
	printf("loadgen cpu: %.2f s (%.0f%% of one core)\n", cpu,
	       secs > 0 ? 100.0 * cpu / secs : 0.0);
	printf("RESULT mode=%s rate=%.1f conns=%d requests=%ld answered=%ld "
	       "errors=%ld connect_errors=%ld unexpected=%ld rps=%.1f secs=%.2f p50=%.3f p90=%.3f "
	       "p99=%.3f max=%.3f sec_min=%ld sec_med=%ld sec_max=%ld "
	       "max_queued=%ld cpu=%.2f statuses=%s\n",
	       open_loop ? "open" : "closed", r->o.rate, r->o.conns, r->nrecs,
	       answered, r->transport_errors, r->connect_errors, r->unexpected, rps, secs, p50, p90,
	       p99, pmax, smin, smed, smax, r->max_queued, cpu,
	       st.len ? st.s : "-");
	fflush(stdout);
	buf_release(&st);
	free(lat);
	if (r->transport_errors || r->connect_errors || r->unexpected) {
		fprintf(stderr, PROG ": FAILED: %ld transport errors, %ld failed "
			"connects, %ld unexpected statuses; first: %s\n",
			r->transport_errors, r->connect_errors, r->unexpected,
			r->first_error);
		return 1;
	}
	if (answered == 0) {
		fprintf(stderr, PROG ": FAILED: no answer at all\n");
		return 1;
	}
	return 0;
}

/* Open loop: the number of requests of the whole run. */
static long open_total(const struct run *r)
{
	return r->o.count >= 0 ? r->o.count : (long)(r->o.duration * r->o.rate + 0.5);
}

static int finished(const struct run *r, int64_t t)
{
	if (r->busy)
		return 0;
	if (r->o.rate > 0)
		return r->next_due == r->nrecs &&
		       (interrupted || r->nrecs >= open_total(r));
	return stopping(r, t);
}

int main(int argc, char **argv)
{
	struct run *r = calloc(1, sizeof(*r));
	struct epoll_event evs[256];
	struct sigaction sa;
	int64_t t, last_note;
	int i;

	if (!r)
		die("%s", "out of memory");
	parse_opts(argc, argv, &r->o);
	parse_url(r);
	prepare(r);
	r->conns = calloc((size_t)r->o.conns, sizeof(*r->conns));
	if (!r->conns)
		die("%s", "out of memory");
	for (i = 0; i < r->o.conns; i++) {
		r->conns[i].fd = -1;
		r->conns[i].req = -1;
	}
	r->ep = epoll_create1(EPOLL_CLOEXEC);
	if (r->ep < 0)
		die("epoll_create1: %s", strerror(errno));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL); /* wake on time */
	r->real_off = now_us(CLOCK_REALTIME) - now_us(CLOCK_MONOTONIC);
	r->t0 = now_us(CLOCK_MONOTONIC);
	r->stop_at = r->o.duration >= 0 ? r->t0 + (int64_t)(r->o.duration * 1e6) : INT64_MAX;
	last_note = r->t0;
	for (;;) {
		struct timespec ts;
		int64_t wait = 100000; /* µs; timeouts are checked this often */
		int n;

		t = now_us(CLOCK_MONOTONIC);
		dispatch(r, t);
		expire(r, t);
		if (finished(r, t))
			break;
		if (!r->o.quiet && t - last_note >= 1000000) {
			fprintf(stderr, PROG ": %.0f s: %ld requests, %d in flight, "
				"%ld waiting, %ld errors\n", (double)(t - r->t0) / 1e6,
				r->nrecs, r->busy, r->nrecs - r->next_due,
				r->transport_errors);
			last_note = t;
		}
		if (r->o.rate > 0 && !interrupted && r->nrecs < open_total(r)) {
			int64_t next = due_time(r, r->nrecs) - t;

			if (next < wait)
				wait = next < 0 ? 0 : next;
		} else if (r->stop_at - t < wait) {
			wait = r->stop_at - t < 0 ? 0 : r->stop_at - t;
		}
		ts.tv_sec = (time_t)(wait / 1000000);
		ts.tv_nsec = (long)(wait % 1000000) * 1000;
		n = epoll_pwait2(r->ep, evs, (int)(sizeof(evs) / sizeof(evs[0])),
				 &ts, NULL);
		if (n < 0 && errno != EINTR)
			die("epoll_pwait2: %s", strerror(errno));
		for (i = 0; i < n; i++)
			on_event(r, evs[i].data.ptr, evs[i].events);
	}
	for (i = 0; i < r->o.conns; i++)
		if (r->conns[i].fd >= 0)
			close(r->conns[i].fd);
	if (r->o.out_file)
		write_records(r);
	i = report(r);
	buf_release(&r->body);
	buf_release(&r->prefix);
	free(r->recs);
	free(r->conns);
	close(r->ep);
	free(r);
	return i;
}
