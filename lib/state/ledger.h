/* ledger.h - the deploy ledger, <job_ids_dir>/deploy/uploaded/<SHA256>:
 * one INI file per artefact that is up on S3 (section [UPLOADED]: key,
 * metadata_key, bucket, repo, pr, prefix, job_id, size, delivery,
 * uploaded_at), written with xio_write_atomic() once every object of the
 * artefact is up.  upload_policy reads it ("once": an artefact, "latest":
 * a prefix of a pull request already up) and a later run does not upload
 * the same bytes again.
 */
#ifndef EESSI_LEDGER_H
#define EESSI_LEDGER_H

#include <stddef.h>

#include "err.h"

#define LEDGER_KEY_MAX 1024 /* an S3 key (S3_KEY_MAX) */

/* What a ledger file says that the deploy run needs. */
struct ledger_ent {
	char sha[65];         /* the artefact's SHA-256: the file's name */
	char repo[141];
	long long pr;
	char prefix[256];     /* the tarball's name up to its timestamp */
	char key[LEDGER_KEY_MAX + 1];
	char delivery[65];    /* the request that uploaded it */
	long long size;
};

struct ledger {
	struct ledger_ent *v;
	size_t n;
	int read;             /* ledger_load() was called */
};

/* A new entry, as ledger_add() writes it. */
struct ledger_new {
	const char *sha256, *key, *meta_key, *bucket, *repo, *prefix, *delivery;
	long long pr, job_id, size;
};

/* Reads every ledger file of job_ids_dir (those whose name is no SHA-256
 * are skipped; one that does not parse is logged and skipped: the artefact
 * is then looked at again, and S3's HEAD tells).  No directory: empty. */
void ledger_load(struct ledger *l, const char *job_ids_dir);

/* The entry of the artefact sha, or NULL. */
const struct ledger_ent *ledger_find(const struct ledger *l, const char *sha);

/* 1 if an artefact of repo#pr with this prefix is up. */
int ledger_has_prefix(const struct ledger *l, const char *repo, long long pr,
		      const char *prefix);

/* Writes the entry's file (the directory made when missing), then keeps it
 * in memory.  0, or -1 e (nothing written). */
int ledger_add(struct ledger *l, const char *job_ids_dir,
	       const struct ledger_new *n, struct err *e);

void ledger_free(struct ledger *l);

#endif
