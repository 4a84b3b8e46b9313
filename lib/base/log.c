/* log.c - the one logger: a line per event with its context, secrets
 * masked.
 * Layer: base (README, "Map of the code"). */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "xio.h"

#define MAX_SECRETS 16
#define LINE_CAP ((size_t)16 * 1024)
#define REDACTED "[secret]"

static struct {
	int fd;          /* -1: stderr */
	char prog[32];
	char ctx[128];
	enum log_level level;
	char *secrets[MAX_SECRETS];
	size_t nsecrets;
	char *path;      /* the log file's name, to reopen it */
	dev_t dev;       /* what fd is: a path naming something else */
	ino_t ino;       /* means the file was moved (rotated) */
	int tty;         /* stderr is a terminal: errors there too */
} lg = { -1, "eessi-bot", "", LOGL_INFO, { NULL }, 0, NULL, 0, 0, 0 };

static volatile sig_atomic_t hup; /* SIGHUP came: reopen */

static const char *const level_names[] = { "error", "warn", "info", "debug" };

int log_level_parse(const char *s, enum log_level *out)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = src ? strnlen(src, size - 1) : 0;

	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Opens path for appending; *st what it is.  -1 (errno) on failure. */
static int open_log(const char *path, struct stat *st)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
			    O_NOCTTY, 0640);

	if (fd >= 0 && fstat(fd, st) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

int log_open(const char *path, const char *prog, enum log_level level,
	     struct err *e)
{
	struct stat st = { 0 };
	char *copy = NULL;
	int fd = -1;

	if (path) {
		if (!(copy = strdup(path)))
			return err_set(e, ERR_NOMEM, "log %s: out of memory", path);
		if ((fd = open_log(path, &st)) < 0) {
			free(copy);
			return err_sys(e, "open log %s", path);
		}
	}
	log_close();
	lg.fd = fd;
	lg.path = copy;
	lg.dev = st.st_dev;
	lg.ino = st.st_ino;
	lg.tty = path && isatty(STDERR_FILENO);
	lg.level = level;
	copy_str(lg.prog, sizeof(lg.prog), prog ? prog : "eessi-bot");
	return 0;
}

void log_close(void)
{
	if (lg.fd >= 0)
		close(lg.fd);
	lg.fd = -1;
	free(lg.path);
	lg.path = NULL;
}

static void on_hup(int sig)
{
	(void)sig;
	hup = 1;
}

int log_catch_sighup(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_hup;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGHUP, &sa, NULL);
}

/* Before a line: the file the log's name names now, if it is another one
 * (moved away by a rotation, removed) or SIGHUP asked.  A file that
 * cannot be opened keeps the old descriptor (the line still lands). */
static void follow_rotation(void)
{
	struct stat st;
	int fd;

	if (lg.fd < 0 || !lg.path)
		return;
	if (!hup && stat(lg.path, &st) == 0 && st.st_dev == lg.dev &&
	    st.st_ino == lg.ino)
		return;
	hup = 0;
	if ((fd = open_log(lg.path, &st)) < 0)
		return;
	close(lg.fd);
	lg.fd = fd;
	lg.dev = st.st_dev;
	lg.ino = st.st_ino;
}

void log_set_context(const char *ctx)
{
	copy_str(lg.ctx, sizeof(lg.ctx), ctx);
}

int log_add_secret(const char *secret)
{
	if (!secret || strlen(secret) < 4 || lg.nsecrets >= MAX_SECRETS)
		return -1;
	lg.secrets[lg.nsecrets] = strdup(secret);
	if (!lg.secrets[lg.nsecrets])
		return -1;
	lg.nsecrets++;
	return 0;
}

void log_forget_secrets(void)
{
	size_t i;

	for (i = 0; i < lg.nsecrets; i++) {
		explicit_bzero(lg.secrets[i], strlen(lg.secrets[i]));
		free(lg.secrets[i]);
		lg.secrets[i] = NULL;
	}
	lg.nsecrets = 0;
}

/* Length of a registered secret starting at p, or 0. */
static size_t secret_at(const char *p, size_t left)
{
	size_t i, n;

	for (i = 0; i < lg.nsecrets; i++) {
		n = strlen(lg.secrets[i]);
		if (n <= left && memcmp(p, lg.secrets[i], n) == 0)
			return n;
	}
	return 0;
}

static int token_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' ||
	       c == '/' || c == '+' || c == '=';
}

/* A token-shaped string at p: a GitHub token prefix, or the credential after
 * an Authorization scheme.  Returns the bytes to keep (the prefix) in *keep
 * and the length of the whole match, or 0. */
static size_t token_at(const char *p, size_t left, size_t *keep)
{
	static const char *const prefixes[] = {
		"ghs_", "ghp_", "gho_", "ghu_", "ghr_", "github_pat_",
		"Bearer ", "bearer ", "token ", "x-access-token:",
	};
	size_t i, n, end;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		n = strlen(prefixes[i]);
		if (n > left || memcmp(p, prefixes[i], n) != 0)
			continue;
		end = n;
		while (end < left && token_char(p[end]))
			end++;
		if (end - n < 8) /* too short to be a credential */
			continue;
		*keep = n;
		return end;
	}
	return 0;
}

/* A PEM block ("-----BEGIN ... -----END ...-----") at p, or 0. */
static size_t pem_at(const char *p, size_t left)
{
	static const char begin[] = "-----BEGIN ";
	static const char end[] = "-----END ";
	const char *q;

	if (left < sizeof(begin) - 1 || memcmp(p, begin, sizeof(begin) - 1) != 0)
		return 0;
	q = memmem(p, left, end, sizeof(end) - 1);
	if (!q)
		return left; /* an unterminated block: hide the rest */
	q += sizeof(end) - 1;
	while ((size_t)(q - p) < left && *q != '\n')
		q++;
	return (size_t)(q - p);
}

static int add_escaped(struct buf *out, unsigned char c)
{
	if (c == '\n')
		return buf_adds(out, "\\n");
	if (c == '\r')
		return buf_adds(out, "\\r");
	if (c == '\t')
		return buf_adds(out, "\\t");
	if (c < 0x20 || c == 0x7f)
		return buf_addf(out, "\\x%02x", c);
	return buf_addch(out, (char)c);
}

int log_clean(const char *text, size_t len, struct buf *out)
{
	size_t i = 0, n, keep;

	while (i < len) {
		if ((n = secret_at(text + i, len - i)) ||
		    (n = pem_at(text + i, len - i))) {
			if (buf_adds(out, REDACTED) < 0)
				return -1;
			i += n;
		} else if ((n = token_at(text + i, len - i, &keep))) {
			if (buf_add(out, text + i, keep) < 0 ||
			    buf_adds(out, REDACTED) < 0)
				return -1;
			i += n;
		} else {
			if (add_escaped(out, (unsigned char)text[i]) < 0)
				return -1;
			i++;
		}
	}
	return 0;
}

static void add_prefix(struct buf *line, enum log_level level)
{
	struct timespec ts;
	struct tm tm;
	char stamp[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	if (strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		stamp[0] = '\0';
	/* milliseconds: the time from an answer to its handling is read off
	 * the logs of two processes */
	(void)buf_addf(line, "%s.%03ldZ %s %s[%ld]", stamp, ts.tv_nsec / 1000000,
		       level_names[level], lg.prog, (long)getpid());
	if (lg.ctx[0]) {
		(void)buf_adds(line, " [");
		(void)log_clean(lg.ctx, strlen(lg.ctx), line);
		(void)buf_addch(line, ']');
	}
	(void)buf_addch(line, ' ');
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	struct buf text = BUF_INIT(LINE_CAP), line = BUF_INIT(LINE_CAP + 64);
	int saved = errno;
	va_list ap;

	if (level > lg.level)
		return;
	va_start(ap, fmt);
	if (buf_vaddf(&text, fmt, ap) < 0)
		(void)buf_adds(&text, "(log message too long or malformed)");
	va_end(ap);
	add_prefix(&line, level);
	if (log_clean(text.s, text.len, &line) < 0) {
		/* over the cap: keep what fits, say it was cut */
		buf_truncate(&line, line.cap - 16);
		(void)buf_adds(&line, " [cut]");
	}
	(void)buf_addch(&line, '\n');
	follow_rotation();
	(void)xio_write_all(lg.fd >= 0 ? lg.fd : STDERR_FILENO, line.s,
			    line.len);
	/* a run from a terminal: what went wrong shows there too */
	if (lg.fd >= 0 && lg.tty && level <= LOGL_WARN)
		(void)xio_write_all(STDERR_FILENO, line.s, line.len);
	buf_wipe(&text);
	buf_wipe(&line);
	errno = saved;
}
