/* spool.c - the spool: one file per delivery, incoming/ -> claimed/ ->
 * done/ or failed/, each move a rename.
 * Layer: state (README, "Map of the code"). */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "dirq.h"
#include "names.h"
#include "xio.h"

/* In the order an entry moves through them.  spool_known() looks them up in
 * this order too, so an entry renamed onward while it looks is still found
 * in a later directory. */
static const char *const states[] = { "incoming", "claimed", "done", "failed" };

/* Every directory of a spool: the states, then the effect journals. */
static const char *const dirs[] = { "incoming", "claimed", "done", "failed",
				    "effects" };

int spool_init(const char *dir, struct err *e)
{
	struct buf p = BUF_INIT(4096);
	size_t i;
	int rc = 0;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && rc == 0; i++) {
		buf_clear(&p);
		if (buf_addf(&p, "%s/%s", dir, dirs[i]) < 0)
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

	if (!names_valid_delivery(delivery) || !names_valid_event(event))
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


/* Copies a header value (without surrounding blanks) into dst if it fits. */
static int header_value(const char *v, size_t len, char *dst, size_t size)
{
	while (len && (*v == ' ' || *v == '\t')) {
		v++;
		len--;
	}
	while (len && (v[len - 1] == ' ' || v[len - 1] == '\t' ||
		       v[len - 1] == '\r'))
		len--;
	if (len >= size)
		return -1;
	memcpy(dst, v, len);
	dst[len] = '\0';
	return 0;
}

/* One header line [line, end): fills event or delivery when it names one. */
static int header_line(const char *line, const char *end,
		       struct spool_entry *out, struct err *e)
{
	const char *colon = memchr(line, ':', (size_t)(end - line));
	size_t nlen;

	if (!colon)
		return err_set(e, ERR_INVAL, "header line without ':'");
	nlen = (size_t)(colon - line);
	if (nlen == 14 && strncasecmp(line, "X-GitHub-Event", 14) == 0) {
		if (header_value(colon + 1, (size_t)(end - colon - 1), out->event,
				 sizeof(out->event)) < 0 ||
		    !names_valid_event(out->event))
			return err_set(e, ERR_INVAL, "malformed X-GitHub-Event");
	} else if (nlen == 17 && strncasecmp(line, "X-GitHub-Delivery", 17) == 0) {
		if (header_value(colon + 1, (size_t)(end - colon - 1),
				 out->delivery, sizeof(out->delivery)) < 0 ||
		    !names_valid_delivery(out->delivery))
			return err_set(e, ERR_INVAL,
				       "malformed X-GitHub-Delivery (not a UUID)");
	}
	return 0;
}

int spool_parse_entry(const char *text, size_t len, struct spool_entry *out,
		      struct err *e)
{
	const char *p = text, *end = text + len;

	memset(out, 0, sizeof(*out));
	for (;;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol;

		if (!nl)
			return err_set(e, ERR_INVAL, "no blank line after the headers");
		eol = nl > p && nl[-1] == '\r' ? nl - 1 : nl;
		if (eol == p) { /* the blank line */
			p = nl + 1;
			break;
		}
		if (header_line(p, eol, out, e) < 0)
			return -1;
		p = nl + 1;
	}
	if (!out->event[0])
		return err_set(e, ERR_INVAL, "no X-GitHub-Event header");
	if (!out->delivery[0])
		return err_set(e, ERR_INVAL, "no X-GitHub-Delivery header");
	out->body = p;
	out->body_len = (size_t)(end - p);
	return 0;
}

void spool_list_free(char **ids)
{
	dirq_free(ids);
}

int spool_list(const char *dir, const char *state, char ***ids, size_t *n,
	       struct err *e)
{
	return dirq_list(dir, state, 0, ids, n, e);
}

int spool_move(const char *dir, const char *delivery, const char *from,
	       const char *to, int durable, struct err *e)
{
	return dirq_move(dir, delivery, from, to, durable ? DIRQ_DURABLE : 0, e);
}

int spool_fail(const char *dir, const char *delivery, const char *reason,
	       struct err *e)
{
	return dirq_set_aside(dir, delivery, "claimed", "failed", reason, e);
}

int spool_sweep(const char *dir, long max_age, struct err *e)
{
	struct buf p = BUF_INIT(4096);
	time_t now = time(NULL);
	struct dirent *d;
	struct stat st;
	DIR *dh;
	int n = 0;

	if (buf_addf(&p, "%s/incoming", dir) < 0 || !(dh = opendir(p.s))) {
		buf_release(&p);
		return err_sys(e, "cannot read %s/incoming", dir);
	}
	while ((d = readdir(dh)) != NULL) {
		const char *t = strstr(d->d_name, ".tmp.");

		if (!t || t - d->d_name != 36 ||
		    fstatat(dirfd(dh), d->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    now - st.st_mtime < max_age)
			continue;
		if (unlinkat(dirfd(dh), d->d_name, 0) == 0)
			n++;
	}
	closedir(dh);
	buf_release(&p);
	return n;
}

int spool_lock_open(const char *dir, struct err *e)
{
	struct buf p = BUF_INIT(4096);
	int fd = -1;

	if (buf_addf(&p, "%s/consumer.lock", dir) < 0)
		err_set(e, ERR_TOOBIG, "spool path too long");
	else if ((fd = open(p.s, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
			    0640)) < 0)
		xio_err_path(e, "cannot open", p.s);
	buf_release(&p);
	return fd;
}

int spool_lock_try(int fd, struct err *e)
{
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			return 1;
		if (errno != EINTR)
			return err_sys(e, "flock consumer.lock");
	}
	return 0;
}

int spool_consumer_busy(const char *dir, struct err *e)
{
	int fd = spool_lock_open(dir, e), rc;

	if (fd < 0)
		return -1;
	rc = spool_lock_try(fd, e);
	close(fd); /* lets go of it if we took it */
	return rc;
}
