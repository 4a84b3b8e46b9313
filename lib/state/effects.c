/* effects.c - a delivery's effects journal: what its handling did already,
 * so that a rerun makes nothing twice.
 * Layer: state (README, "Map of the code"). */
#include "effects.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "names.h"
#include "xio.h"

#define EFFECTS_CAP ((size_t)64 * 1024)

int effects_open(struct effects *fx, const char *spool_dir,
		 const char *delivery, struct err *e)
{
	fx->path = (struct buf)BUF_INIT(4096);
	fx->text = (struct buf)BUF_INIT(EFFECTS_CAP);
	if (buf_addf(&fx->path, "%s/effects/%s", spool_dir, delivery) < 0)
		return err_set(e, ERR_TOOBIG, "effects path too long");
	if (access(fx->path.s, F_OK) < 0) {
		if (errno == ENOENT)
			return 0;
		return err_sys(e, "%s", fx->path.s);
	}
	return xio_read_file(fx->path.s, &fx->text, 1, e);
}

void effects_release(struct effects *fx)
{
	buf_release(&fx->path);
	buf_release(&fx->text);
}

/* The start of the line "key value" in text, or NULL. */
static const char *find(const struct buf *text, const char *key)
{
	size_t klen = strlen(key);
	const char *p = text->s, *end = text->s + text->len, *found = NULL;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl)
			break;
		if ((size_t)(nl - p) > klen && memcmp(p, key, klen) == 0 &&
		    p[klen] == ' ')
			found = p; /* the last one wins */
		p = nl + 1;
	}
	return found;
}

int effects_get(const struct effects *fx, const char *key, struct buf *out)
{
	const char *line = find(&fx->text, key), *v, *nl;

	if (!line)
		return 0;
	v = line + strlen(key) + 1;
	nl = strchr(v, '\n');
	buf_clear(out);
	if (buf_add(out, v, (size_t)(nl - v)) < 0)
		return 0;
	return 1;
}

int effects_put(struct effects *fx, const char *key, const char *value,
		struct err *e)
{
	if (!names_charset(key, "_.:+/-", 1, EFFECTS_KEY_MAX) || strchr(value, '\n'))
		return err_set(e, ERR_INVAL, "effects: bad key or value");
	if (buf_addf(&fx->text, "%s %s\n", key, value) < 0)
		return err_set(e, ERR_TOOBIG, "effects journal %s full", fx->path.s);
	return xio_write_atomic(fx->path.s, fx->text.s, fx->text.len, 0640, e);
}

int effects_remove(struct effects *fx, struct err *e)
{
	if (unlink(fx->path.s) < 0 && errno != ENOENT)
		return err_sys(e, "remove %s", fx->path.s);
	buf_clear(&fx->text);
	return 0;
}
