/* deploy.h - bot:deploy: the PR's successful artefacts to S3 staging,
 * under deploycfg.upload_policy, in a process of its own.
 *
 * Who asks.  The spool consumer (lib/flows/route.c), for the label bot:deploy
 * on a pull request set by an account in deploycfg.deploy_permission
 * (empty: nobody; others get no_deploy_permission_comment), posts one
 * reply ("deploy queued ...") with delivery_comment_once() and then writes a
 * request, named by the delivery id, so that a redelivered label is the
 * same request:
 *
 *   <job_ids_dir>/deploy/pending/<DELIVERY>   a request to carry out
 *   <job_ids_dir>/deploy/done/<DELIVERY>      moved there when each of its
 *                                             rows is final
 *   <job_ids_dir>/deploy/uploaded/<SHA256>    the ledger: one file per
 *                                             artefact that is up (tarball,
 *                                             metadata and signatures),
 *                                             written last
 *   <job_ids_dir>/deploy/deploy.lock          one deploy run at a time
 *   <job_ids_dir>/deploy/reports/<DELIVERY>   the text last written into
 *                                             the request's reply (an edit
 *                                             only when it changes)
 *   <job_ids_dir>/deploy/staging/<SHA256>/    the metadata file (and its
 *                                             .sig) of an upload under way
 *   <job_ids_dir>/deploy/broken/<DELIVERY>    a request that does not
 *                                             parse, set aside with
 *                                             <DELIVERY>.reason (logged)
 * The requests are a directory queue (lib/state/dirq.h), as the spool is.
 *
 * Who carries it out.  `eessi-bot-manager --deploy`: deploy_run() below,
 * all pending requests, then exit.  The manager's iteration starts it as
 * a detached process (lib/spawn) when deploy/pending/ holds a request, so
 * an upload of many minutes holds up neither the webhook answer nor the
 * status updates; the lock makes a second run exit at once (status 0).
 * The S3 credentials come from the environment of that process (the
 * manager passes AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN, AWS_PROFILE on) or deploycfg.credentials_file
 * (lib/adapters/s3.h); never from app.cfg, never in a log.
 *
 * What a request covers.  The jobs of that PR of that repository whose
 * records are in finished/ (jobs still in submitted/ get a row "not
 * finished", which is final: the label is set again later), each job's
 * result file (lib/core/result.h): SUCCESS jobs'
 * artefacts are candidates, other jobs get a row with their status.
 * Tarball names are EESSI's, eessi-VERSION-TYPE-OS-ARCH-TIMESTAMP.tar.gz
 * (deploy_tarball_parse()); a name not of that form, or an artefact that
 * is not a regular file in the job directory (a symlink), is not uploaded
 * (its row says why).  The policy (deploy_plan()):
 *   all     every candidate;
 *   latest  per prefix (eessi-VERSION-TYPE-OS-ARCH) the newest candidate
 *           (highest TIMESTAMP, then highest job id); the others "a newer
 *           artefact for this target: NAME";
 *   once    per prefix, nothing if an artefact of that prefix of this PR
 *           is in the ledger, else as latest;
 *   none    nothing ("upload_policy is none").
 * Whatever the policy, an artefact whose SHA-256 is in the ledger is not
 * uploaded again ("already uploaded: KEY").
 *
 * Keys: the original bot's layout, which EESSI's ingestion reads: the
 * tarball's name without "eessi-" and ".tar.gz", every '-' a '/' (the
 * architecture's own dashes too), then the name:
 * [artefact_prefix/]VERSION/TYPE/OS/ARCH.../TIMESTAMP/TARBALL, e.g.
 * 2023.06/software/linux/x86_64/amd/zen2/1700000000/eessi-2023.06-software-
 * linux-x86_64-amd-zen2-1700000000.tar.gz; its metadata at
 * [metadata_prefix/]...same.../TARBALL.meta.txt (deploy_metadata()); a
 * signature of either, when deploycfg.signing_command is set, at the same
 * key + ".sig".
 *
 * Idempotent.  Per artefact: ledger -> done.  Else for the tarball, then
 * its metadata, then the signatures: s3_head() of the key; an object there
 * whose x-amz-meta-sha256 is the one meant is taken as uploaded (a run
 * that died after the PUT), anything else is uploaded (an interrupted
 * multipart upload is aborted and done again by s3_put_file()).  Then the
 * ledger file.  A failure (server down, 5xx, timeout) leaves the request
 * pending: its row says "not uploaded yet: REASON; tried again by the next
 * manager run", and the next run goes on from where this one stopped.
 *
 * Report.  The reply posted by the consumer is edited (one edit per
 * request per run, only when its text changed) into a table with a row per
 * artefact (and per job without one): job, target, artefact, "uploaded to
 * s3://BUCKET/KEY (SIZE, sha256 PREFIX…)" or "not uploaded: REASON".
 *
 * Signing.  signing_command's argv with the file's path appended must
 * write PATH.sig and exit 0 within 60 s; run by lib/spawn with a clean
 * environment (no token, no AWS credentials); a failure is the artefact's
 * row ("not uploaded yet: signing failed: ...", tried again by the next
 * run) and nothing of it is uploaded.
 */
#ifndef EESSI_DEPLOY_H
#define EESSI_DEPLOY_H

#include <stddef.h>

#include "buf.h"
#include "conf.h"
#include "err.h"

#define DEPLOY_LABEL "bot:deploy"

/* A request: INI text (lib/base/ini.h), section [DEPLOY], keys repo, pr,
 * sender, installation, comment_id, requested_at, all required, and
 * head_sha (the PR head the label was set on; absent in requests of
 * earlier versions: then no head is checked); numbers plain decimal,
 * validated on parse as on render.  Only the artefacts of jobs built from
 * head_sha are shipped: a job of another head (a push since) gets a row
 * saying so. */
struct deploy_req {
	char repo[141];          /* owner/name */
	long long pr;            /* > 0 */
	char sender[48];         /* who set the label (a login) */
	long long installation;  /* > 0: the App installation to act as */
	long long comment_id;    /* > 0: the reply to edit */
	long long requested_at;  /* epoch seconds */
	char head_sha[65];       /* names_valid_sha(), or "" */
};

int deploy_req_render(const struct deploy_req *r, struct buf *out,
		      struct err *e);
int deploy_req_parse(const char *text, size_t len, struct deploy_req *r,
		     struct err *e);

/* out = job_ids_dir/deploy[/sub[/name]] (out cleared first): 0, or -1
 * ERR_TOOBIG. */
int deploy_path(struct buf *out, const char *dir, const char *sub,
		const char *name, struct err *e);

/* Writes deploy/pending/<delivery> atomically (directories made as
 * needed) unless pending/ or done/ already holds that delivery: 1 written,
 * 0 there already (nothing changed), -1 e. */
int deploy_req_queue(const char *job_ids_dir, const char *delivery,
		     const struct deploy_req *r, struct err *e);

/* 1 if deploy/pending/ holds a request (the manager's question before
 * starting a deploy run), 0 if not or there is no such directory. */
int deploy_pending(const char *job_ids_dir);

/* eessi-VERSION-TYPE-OS-ARCH-TIMESTAMP.tar.gz: VERSION [0-9A-Za-z.]+,
 * TYPE software|init|compat, OS [a-z]+, ARCH [A-Za-z0-9_-]+ (x86_64-amd-zen2),
 * TIMESTAMP digits (1-18: it must fit a long long). */
struct deploy_tarball {
	char name[256];
	char prefix[256];    /* eessi-VERSION-TYPE-OS-ARCH */
	char version[64], type[16], os[32], arch[128];
	long long timestamp;
};

/* 0 with t filled, -1 ERR_INVAL saying what is wrong with the name. */
int deploy_tarball_parse(const char *name, struct deploy_tarball *t,
			 struct err *e);

/* The key of a tarball (or of its metadata, meta = 1) under prefix
 * (NULL or "": none).  -1 ERR_TOOBIG. */
int deploy_key(const char *prefix, const struct deploy_tarball *t, int meta,
	       struct buf *out, struct err *e);

/* One candidate: an artefact of a SUCCESS job, or a row without one. */
enum deploy_verdict {
	DEPLOY_UPLOAD = 0,     /* to be uploaded (or taken as up after a HEAD) */
	DEPLOY_ALREADY,        /* its SHA-256 is in the ledger */
	DEPLOY_POLICY_NONE,    /* upload_policy none */
	DEPLOY_SUPERSEDED,     /* latest/once: a newer artefact of its prefix */
	DEPLOY_ONCE_DONE,      /* once: its prefix is up for this PR */
};

struct deploy_cand {
	long long job_id;
	struct deploy_tarball t;
	char sha256[65];
	int in_ledger;          /* its SHA-256 is in the ledger */
	int prefix_in_ledger;   /* an artefact of its prefix and this PR is */
	enum deploy_verdict verdict;   /* set by deploy_plan() */
	size_t because;         /* SUPERSEDED: index of the newer one */
};

/* Sets each candidate's verdict under policy p.  Pure. */
void deploy_plan(enum conf_upload_policy p, struct deploy_cand *c, size_t n);

/* The metadata JSON beside a tarball, every value a string as in the
 * original bot's .meta.txt (which it makes with jq --arg, and which EESSI's
 * ingestion reads so):
 *   uploader {username (the bot's OS user), hostname, ip ("" if unknown)},
 *   payload {filename, size (bytes, decimal), ctime (as `date -r FILE`
 *            prints it: "Tue Nov 14 22:15:23 UTC 2023", the bot's time
 *            zone), sha256sum, url (the object's URL)},
 *   link2pr {repo, pr, pr_comment_id (the reply), url (the PR's URL)};
 * and beyond the original's: payload.ctime_epoch (epoch seconds),
 *   job {id, target, dir, result (the result file's name)},
 *   deployed_by (the login that set the label).
 * Appends it to out.  -1 e. */
struct deploy_meta {
	const char *username, *hostname, *ip;
	const char *filename, *sha256, *url;
	long long size, ctime;
	const struct deploy_req *req;
	long long job_id;
	const char *target, *job_dir;
};
int deploy_metadata(const struct deploy_meta *m, struct buf *out,
		    struct err *e);

struct deploy_stats {
	unsigned requests;     /* pending requests looked at */
	unsigned done;         /* moved to done/ */
	unsigned uploaded;     /* artefacts uploaded in this run */
	unsigned already;      /* found in the ledger or on the server */
	unsigned skipped;      /* not uploaded by policy or result */
	unsigned failed;       /* left for a later run */
	long long bytes;       /* payload bytes sent */
	unsigned github_calls;
	long long ms;
};

/* One deploy run as described above, under deploy.lock.  gh: an opened
 * GitHub client or NULL (opened when needed).  0 all requests handled
 * (some may still be pending after a failure: st->failed), 1 another run
 * holds the lock, -1 could not run at all (e). */
struct github;
int deploy_run(const struct conf *c, struct github *gh,
	       struct deploy_stats *st, struct err *e);

#endif
