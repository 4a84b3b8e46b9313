/* webhook.h - the webhook path: every check a delivery passes before it is
 * kept, in order, and the answer it gets.
 *
 *   no path below the script else 404 (PATH_INFO empty or "/")
 *   method POST              else 405
 *   Content-Length present   else 411; a number, else 400
 *   length <= max_body       else 413, body not read
 *   read exactly that much   else 400 (truncated)
 *   X-Hub-Signature-256      missing 401; malformed or wrong 403 (constant
 *                            time; before anything of the body is parsed)
 *   X-GitHub-Event/-Delivery missing or malformed 400 (the delivery id must
 *                            be a UUID: it becomes a file name)
 *   body is a JSON object    else 400
 *   delivery already known   200, nothing written
 *   spooled durably          202; a spool failure 503
 * A rejected request writes nothing.
 */
#ifndef EESSI_WEBHOOK_H
#define EESSI_WEBHOOK_H

#include <stddef.h>
#include <sys/types.h>

#define WEBHOOK_MAX_BODY ((size_t)25 * 1024 * 1024) /* GitHub's own cap */

struct webhook_req {
	const char *method;         /* REQUEST_METHOD */
	const char *content_length; /* CONTENT_LENGTH, NULL if absent */
	const char *event;          /* X-GitHub-Event */
	const char *delivery;       /* X-GitHub-Delivery */
	const char *signature;      /* X-Hub-Signature-256 */
	/* reads up to n body bytes: > 0 bytes read, 0 at the end, -1 error */
	ssize_t (*read)(void *ctx, char *dst, size_t n);
	void *ctx;
	const char *path_info;      /* PATH_INFO, NULL if absent */
};

struct webhook_cfg {
	const char *spool_dir;
	const unsigned char *secret;
	size_t secret_len;
	size_t max_body;            /* 0: WEBHOOK_MAX_BODY */
};

struct webhook_answer {
	int status;                 /* HTTP status */
	int spooled;                /* 1 if a new entry was written */
	char text[256];             /* one line for the answer body and the log */
};

/* Runs the checks and, for a valid new delivery, writes the spool entry. */
void webhook_handle(const struct webhook_cfg *cfg,
		    const struct webhook_req *req, struct webhook_answer *ans);

/* The reason phrase of the statuses used here ("Accepted", ...). */
const char *webhook_status_text(int status);

#endif
