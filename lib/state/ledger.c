/* ledger.c - the deploy ledger, one file per artefact up (see ledger.h).
 * Layer: state (README, "Map of the code"). */
#include "ledger.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "ini.h"
#include "log.h"
#include "names.h"
#include "num.h"
#include "xio.h"

#define SECTION "UPLOADED"
#define TEXT_CAP ((size_t)4096 + LEDGER_KEY_MAX * 2)

/* out = job_ids_dir/deploy/uploaded[/name]. */
static int lpath(struct buf *out, const char *dir, const char *name,
		 struct err *e)
{
	buf_clear(out);
	if (buf_addf(out, "%s/deploy/uploaded%s%s", dir, name ? "/" : "",
		     name ? name : "") < 0)
		return err_set(e, ERR_TOOBIG, "job_ids_dir path too long");
	return 0;
}

static void copy(char *to, size_t size, const struct ini *ini, const char *key)
{
	const char *s = ini_get(ini, SECTION, key);

	if (s)
		snprintf(to, size, "%s", s);
}

static struct ledger_ent *grow(struct ledger *l)
{
	struct ledger_ent *v = realloc(l->v, (l->n + 1) * sizeof(*v));

	if (!v)
		return NULL;
	l->v = v;
	memset(&v[l->n], 0, sizeof(*v));
	return &v[l->n];
}

/* One file: 0 kept, -1 skipped (logged), -2 no memory. */
static int load_one(struct ledger *l, const char *dir, const char *sha,
		    struct buf *p, struct buf *text)
{
	struct err e = ERR_INIT;
	struct ini *ini = NULL;
	struct ledger_ent *x;
	const char *s;

	if (lpath(p, dir, sha, &e) < 0 || xio_read_file(p->s, text, 1, &e) < 0 ||
	    ini_parse(text->s, text->len, &ini, &e) < 0) {
		log_warn("deploy: ledger %s: %s", sha, e.msg);
		return -1;
	}
	if (!(x = grow(l))) {
		ini_free(ini);
		return -2;
	}
	memcpy(x->sha, sha, 65);
	copy(x->repo, sizeof(x->repo), ini, "repo");
	copy(x->prefix, sizeof(x->prefix), ini, "prefix");
	copy(x->key, sizeof(x->key), ini, "key");
	copy(x->delivery, sizeof(x->delivery), ini, "delivery");
	if ((s = ini_get(ini, SECTION, "pr")))
		x->pr = num_or(s, 0);
	if ((s = ini_get(ini, SECTION, "size")))
		x->size = num_or(s, 0);
	ini_free(ini);
	l->n++;
	return 0;
}

void ledger_load(struct ledger *l, const char *job_ids_dir)
{
	struct buf p = BUF_INIT(PATH_MAX), text = BUF_INIT(INI_MAX_BYTES);
	struct err e = ERR_INIT;
	struct dirent *de;
	DIR *d;

	l->read = 1;
	if (lpath(&p, job_ids_dir, NULL, &e) < 0 || !(d = opendir(p.s)))
		goto out;
	while ((de = readdir(d)))
		if (names_valid_sha256(de->d_name) &&
		    load_one(l, job_ids_dir, de->d_name, &p, &text) == -2)
			break;
	closedir(d);
out:
	buf_release(&p);
	buf_release(&text);
}

const struct ledger_ent *ledger_find(const struct ledger *l, const char *sha)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].sha, sha) == 0)
			return &l->v[i];
	return NULL;
}

int ledger_has_prefix(const struct ledger *l, const char *repo, long long pr,
		      const char *prefix)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].pr == pr && strcmp(l->v[i].repo, repo) == 0 &&
		    strcmp(l->v[i].prefix, prefix) == 0)
			return 1;
	return 0;
}

static int render(const struct ledger_new *n, struct buf *text, struct err *e)
{
	if (ini_put_section(text, SECTION, e) < 0 ||
	    ini_put(text, "key", n->key, e) < 0 ||
	    ini_put(text, "metadata_key", n->meta_key, e) < 0 ||
	    ini_put(text, "bucket", n->bucket, e) < 0 ||
	    ini_put(text, "repo", n->repo, e) < 0 ||
	    ini_put_num(text, "pr", n->pr, e) < 0 ||
	    ini_put(text, "prefix", n->prefix, e) < 0 ||
	    ini_put_num(text, "job_id", n->job_id, e) < 0 ||
	    ini_put_num(text, "size", n->size, e) < 0 ||
	    ini_put(text, "delivery", n->delivery, e) < 0 ||
	    ini_put_num(text, "uploaded_at", (long long)time(NULL), e) < 0)
		return -1;
	return 0;
}

int ledger_add(struct ledger *l, const char *job_ids_dir,
	       const struct ledger_new *n, struct err *e)
{
	struct buf text = BUF_INIT(TEXT_CAP), p = BUF_INIT(PATH_MAX);
	struct ledger_ent *x;
	int rc = -1;

	if (!names_valid_sha256(n->sha256)) {
		err_set(e, ERR_INVAL, "ledger: not a SHA-256");
		goto out;
	}
	if (render(n, &text, e) < 0 || lpath(&p, job_ids_dir, NULL, e) < 0 ||
	    xio_mkdir_p(p.s, 0755, e) < 0 ||
	    lpath(&p, job_ids_dir, n->sha256, e) < 0 ||
	    xio_write_atomic(p.s, text.s, text.len, 0644, e) < 0)
		goto out;
	if ((x = grow(l))) { /* no memory: on disk, read next run */
		memcpy(x->sha, n->sha256, 65);
		snprintf(x->repo, sizeof(x->repo), "%s", n->repo);
		snprintf(x->prefix, sizeof(x->prefix), "%s", n->prefix);
		snprintf(x->key, sizeof(x->key), "%s", n->key);
		snprintf(x->delivery, sizeof(x->delivery), "%s", n->delivery);
		x->size = n->size;
		x->pr = n->pr;
		l->n++;
	}
	rc = 0;
out:
	buf_release(&text);
	buf_release(&p);
	return rc;
}

void ledger_free(struct ledger *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}
