#include "spool.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "xio.h"

/* In the order an entry moves through them.  spool_known() looks them up in
 * this order too, so an entry renamed onward while it looks is still found
 * in a later directory. */
static const char *const states[] = { "incoming", "claimed", "done", "failed" };

int spool_init(const char *dir, struct err *e)
{
	struct buf p = BUF_INIT(4096);
	size_t i;
	int rc = 0;

	for (i = 0; i < sizeof(states) / sizeof(states[0]) && rc == 0; i++) {
		buf_clear(&p);
		if (buf_addf(&p, "%s/%s", dir, states[i]) < 0)
			rc = err_sys(e, "spool path %s", dir);
		else
			rc = xio_mkdir_p(p.s, 0750, e);
	}
	buf_release(&p);
	return rc;
}

int spool_known(const char *dir, const char *delivery, struct err *e)
{
	struct buf p = BUF_INIT(4096);
	size_t i;
	int rc = 0;

	for (i = 0; i < sizeof(states) / sizeof(states[0]) && rc == 0; i++) {
		buf_clear(&p);
		if (buf_addf(&p, "%s/%s/%s", dir, states[i], delivery) < 0)
			rc = err_sys(e, "spool path %s", dir);
		else if (access(p.s, F_OK) == 0)
			rc = 1;
		else if (errno != ENOENT)
			rc = err_sys(e, "spool lookup %s", p.s);
	}
	buf_release(&p);
	return rc;
}

int spool_put(const char *dir, const char *delivery, const char *event,
	      const char *body, size_t len, struct err *e)
{
	struct buf entry = BUF_INIT(len + 4096), path = BUF_INIT(4096);
	char stamp[32];
	struct tm tm;
	time_t now = time(NULL);
	int rc = -1;

	if (!spool_valid_delivery(delivery) || !spool_valid_event(event))
		return err_set(e, ERR_INVAL, "invalid delivery id or event");
	gmtime_r(&now, &tm);
	if (strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0 ||
	    buf_addf(&entry, "X-GitHub-Event: %s\nX-GitHub-Delivery: %s\n"
			     "Received: %s\n\n", event, delivery, stamp) < 0 ||
	    buf_add(&entry, body, len) < 0 ||
	    buf_addf(&path, "%s/incoming/%s", dir, delivery) < 0) {
		err_sys(e, "spool entry for %s", delivery);
		goto out;
	}
	rc = xio_create_atomic(path.s, entry.s, entry.len, 0640, e);
out:
	buf_release(&entry);
	buf_release(&path);
	return rc;
}

static int is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

int spool_valid_delivery(const char *s)
{
	static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
	size_t i;

	if (!s)
		return 0;
	for (i = 0; shape[i]; i++) {
		if (shape[i] == '-' ? s[i] != '-' : !is_hex(s[i]))
			return 0;
	}
	return s[i] == '\0';
}

int spool_valid_event(const char *s)
{
	size_t i;

	if (!s || !*s)
		return 0;
	for (i = 0; s[i]; i++) {
		if (i >= 64 || !((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_'))
			return 0;
	}
	return 1;
}
