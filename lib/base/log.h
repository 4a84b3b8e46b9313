/* log.h - the one logger.
 *
 * One line per event: "2026-11-24T01:02:03.456Z LEVEL prog[pid] [context] text".
 * A line is written with a single write() to a file opened O_APPEND, so
 * lines from several processes never interleave.  Control characters in the
 * text (a newline in a PR title, say) are escaped, so nobody can forge a
 * line.  Secrets never reach the file: values registered with
 * log_add_secret() are replaced by "[secret]", and so are strings shaped
 * like GitHub tokens (ghs_..., ghp_..., github_pat_...), the text after
 * "Bearer " / "token " in an Authorization header, and PEM key blocks.
 */
#ifndef EESSI_LOG_H
#define EESSI_LOG_H

#include <stddef.h>

#include "err.h"

enum log_level { LOGL_ERROR, LOGL_WARN, LOGL_INFO, LOGL_DEBUG };

/* Opens the log: path NULL means stderr.  prog names the program.
 *
 * Rotation: before each line the file's name is looked at again; when it
 * names another file than the one open (moved away by logrotate, removed)
 * the log is reopened under the name, so a rotation needs no signal and
 * loses no line (a line goes to the old file or to the new one).  After
 * log_catch_sighup(), SIGHUP reopens it too.  A name that cannot be
 * opened again keeps the old file.
 *
 * With a path and standard error a terminal (a manual run), errors and
 * warnings go to the terminal as well as to the file. */
int log_open(const char *path, const char *prog, enum log_level level,
	     struct err *e);
void log_close(void);

/* SIGHUP reopens the log file before the next line (SA_RESTART). */
int log_catch_sighup(void);

/* Parses "error" | "warn" | "info" | "debug"; -1 if none of them. */
int log_level_parse(const char *s, enum log_level *out);

/* The context shown in brackets on every line (a delivery id, a job id);
 * NULL or "" for none.  Copied. */
void log_set_context(const char *ctx);

/* Registers a secret to redact (copied; at least 4 bytes).  Up to 16. */
int log_add_secret(const char *secret);
/* Forgets (and wipes) all registered secrets. */
void log_forget_secrets(void);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOGL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOGL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOGL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOGL_DEBUG, __VA_ARGS__)

/* The redaction and escaping applied to each line, exposed for tests:
 * appends the cleaned text to out. */
struct buf;
int log_clean(const char *text, size_t len, struct buf *out);

#endif
