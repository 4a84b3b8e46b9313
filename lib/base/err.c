/* err.c - the typed error: first one wins, err_set() returns -1.
 * Layer: base (README, "Map of the code"). */
#include "err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void err_vfill(struct err *e, enum err_code code, const char *fmt,
		      va_list ap) __attribute__((format(printf, 3, 0)));

static void err_vfill(struct err *e, enum err_code code, const char *fmt,
		      va_list ap)
{
	int n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);

	if (n < 0)
		e->msg[0] = '\0';
	e->code = code;
}

int err_set(struct err *e, enum err_code code, const char *fmt, ...)
{
	va_list ap;

	if (!e || e->code != ERR_NONE)
		return -1;
	va_start(ap, fmt);
	err_vfill(e, code, fmt, ap);
	va_end(ap);
	return -1;
}

int err_sys(struct err *e, const char *fmt, ...)
{
	int saved = errno;
	size_t len;
	va_list ap;

	if (!e || e->code != ERR_NONE)
		return -1;
	va_start(ap, fmt);
	err_vfill(e, ERR_SYS, fmt, ap);
	va_end(ap);
	len = strlen(e->msg);
	/* truncation of the strerror suffix is acceptable: the message stays
	 * NUL-terminated and the start (what failed) is kept */
	(void)snprintf(e->msg + len, sizeof(e->msg) - len, ": %s",
		       strerror(saved));
	errno = saved;
	return -1;
}

void err_clear(struct err *e)
{
	e->code = ERR_NONE;
	e->msg[0] = '\0';
}

const char *err_code_name(enum err_code code)
{
	static const char *const names[] = {
		[ERR_NONE] = "none",       [ERR_SYS] = "system",
		[ERR_NOMEM] = "no memory", [ERR_INVAL] = "invalid",
		[ERR_TOOBIG] = "too big",  [ERR_TIMEOUT] = "timeout",
		[ERR_CONFIG] = "config",   [ERR_CHILD] = "child",
		[ERR_NOTFOUND] = "not found", [ERR_PERM] = "permission",
		[ERR_IO] = "i/o",          [ERR_UNSURE] = "unsure",
		[ERR_EXISTS] = "exists",   [ERR_AGAIN] = "transient",
	};

	if ((size_t)code >= sizeof(names) / sizeof(names[0]) || !names[code])
		return "unknown";
	return names[code];
}
