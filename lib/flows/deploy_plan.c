/* deploy_plan.c - bot:deploy's pure half: requests as text, EESSI's
 * tarball names, object keys in the original bot's layout, the plan under
 * upload_policy and the metadata beside each tarball (deploy.h).  No I/O:
 * unit-tested alone (t/unit/flows/test_deploy.c) and fuzzed (fuzz_deploy).
 * Layer: flows (README, "Map of the code"). */
#include "deploy.h"

#include <json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cdoc.h"
#include "ini.h"
#include "names.h"
#include "num.h"
#include "result.h"

#define SECTION "DEPLOY"
#define TIME_MAX 253402300799LL

/* ---- requests ---------------------------------------------------------- */

static int req_check(const struct deploy_req *r, struct err *e)
{
	if (!names_valid_repo(r->repo))
		return err_set(e, ERR_INVAL, "deploy request: repo: not owner/name");
	if (r->pr <= 0 || r->pr > INT_MAX)
		return err_set(e, ERR_INVAL, "deploy request: pr: out of range");
	if (!names_valid_login(r->sender))
		return err_set(e, ERR_INVAL, "deploy request: sender: not a login");
	if (r->installation <= 0)
		return err_set(e, ERR_INVAL, "deploy request: installation: not > 0");
	if (r->comment_id <= 0)
		return err_set(e, ERR_INVAL, "deploy request: comment_id: not > 0");
	if (r->requested_at < 0 || r->requested_at > TIME_MAX)
		return err_set(e, ERR_INVAL, "deploy request: requested_at: out of range");
	if (*r->head_sha && !names_valid_sha(r->head_sha))
		return err_set(e, ERR_INVAL, "deploy request: head_sha: not a SHA");
	return 0;
}

int deploy_req_render(const struct deploy_req *r, struct buf *out,
		      struct err *e)
{
	size_t len0 = out->len;

	if (req_check(r, e) < 0)
		return -1;
	if (ini_put_section(out, SECTION, e) < 0 ||
	    ini_put(out, "repo", r->repo, e) < 0 ||
	    ini_put_num(out, "pr", r->pr, e) < 0 ||
	    ini_put(out, "sender", r->sender, e) < 0 ||
	    ini_put_num(out, "installation", r->installation, e) < 0 ||
	    ini_put_num(out, "comment_id", r->comment_id, e) < 0 ||
	    ini_put_num(out, "requested_at", r->requested_at, e) < 0 ||
	    (*r->head_sha && ini_put(out, "head_sha", r->head_sha, e) < 0)) {
		buf_truncate(out, len0);
		return -1;
	}
	return 0;
}

/* A plain decimal number (1-18 digits) of key in [SECTION]. */
static int get_num(const struct ini *ini, const char *section, const char *key,
		   long long *v, struct err *e)
{
	const char *s = ini_get(ini, section, key);

	if (!s)
		return err_set(e, ERR_INVAL, "[%s] %s: missing", section, key);
	if (num_parse(s, 0, 999999999999999999LL, v) < 0)
		return err_set(e, ERR_INVAL, "[%s] %s: not a number", section, key);
	return 0;
}

static int get_str(const struct ini *ini, const char *section, const char *key,
		   char *out, size_t size, struct err *e)
{
	const char *s = ini_get(ini, section, key);

	if (!s)
		return err_set(e, ERR_INVAL, "[%s] %s: missing", section, key);
	if (strlen(s) >= size)
		return err_set(e, ERR_INVAL, "[%s] %s: too long", section, key);
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

int deploy_req_parse(const char *text, size_t len, struct deploy_req *r,
		     struct err *e)
{
	struct ini *ini = NULL;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	if (ini_parse(text, len, &ini, e) < 0)
		goto out;
	if (get_str(ini, SECTION, "repo", r->repo, sizeof(r->repo), e) < 0 ||
	    get_num(ini, SECTION, "pr", &r->pr, e) < 0 ||
	    get_str(ini, SECTION, "sender", r->sender, sizeof(r->sender), e) < 0 ||
	    get_num(ini, SECTION, "installation", &r->installation, e) < 0 ||
	    get_num(ini, SECTION, "comment_id", &r->comment_id, e) < 0 ||
	    get_num(ini, SECTION, "requested_at", &r->requested_at, e) < 0 ||
	    (ini_get(ini, SECTION, "head_sha") &&
	     get_str(ini, SECTION, "head_sha", r->head_sha, sizeof(r->head_sha), e) < 0) ||
	    req_check(r, e) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		memset(r, 0, sizeof(*r));
	ini_free(ini);
	return rc;
}

/* ---- tarball names and keys ------------------------------------------- */

/* The next '-'-separated field of s at *pos, into out: 1..size-1 bytes. */
static int field(const char *s, size_t *pos, size_t end, char *out,
		 size_t size)
{
	size_t i = *pos, n;

	while (i < end && s[i] != '-')
		i++;
	n = i - *pos;
	if (n == 0 || n >= size || i >= end)
		return -1;
	memcpy(out, s + *pos, n);
	out[n] = '\0';
	*pos = i + 1;
	return 0;
}

int deploy_tarball_parse(const char *name, struct deploy_tarball *t,
			 struct err *e)
{
	static const char head[] = "eessi-", tail[] = ".tar.gz";
	size_t len = strlen(name), pos = sizeof(head) - 1, end, dash, i;

	memset(t, 0, sizeof(*t));
	if (len >= sizeof(t->name) || !result_valid_artefact(name))
		return err_set(e, ERR_INVAL, "not a plain file name of at most "
			       "%zu characters", sizeof(t->name) - 1);
	if (len < sizeof(head) - 1 + sizeof(tail) - 1 ||
	    strncmp(name, head, sizeof(head) - 1) != 0 ||
	    strcmp(name + len - (sizeof(tail) - 1), tail) != 0)
		return err_set(e, ERR_INVAL, "not of the form "
			       "eessi-VERSION-TYPE-OS-ARCH-TIMESTAMP.tar.gz");
	end = len - (sizeof(tail) - 1);
	if (field(name, &pos, end, t->version, sizeof(t->version)) < 0 ||
	    !names_charset(t->version, ".", 1, sizeof(t->version) - 1))
		return err_set(e, ERR_INVAL, "no VERSION ([0-9A-Za-z.]+) after eessi-");
	if (field(name, &pos, end, t->type, sizeof(t->type)) < 0 ||
	    (strcmp(t->type, "software") != 0 && strcmp(t->type, "init") != 0 &&
	     strcmp(t->type, "compat") != 0))
		return err_set(e, ERR_INVAL, "TYPE is not software, init or compat");
	if (field(name, &pos, end, t->os, sizeof(t->os)) < 0)
		return err_set(e, ERR_INVAL, "no OS after TYPE");
	for (i = 0; t->os[i]; i++)
		if (t->os[i] < 'a' || t->os[i] > 'z')
			return err_set(e, ERR_INVAL, "OS is not [a-z]+");
	/* ARCH may hold dashes: TIMESTAMP is what follows the last one */
	for (dash = end; dash > pos && name[dash - 1] != '-'; dash--)
		;
	if (dash <= pos + 1 || dash - 1 - pos >= sizeof(t->arch))
		return err_set(e, ERR_INVAL, "no ARCH-TIMESTAMP after OS");
	memcpy(t->arch, name + pos, dash - 1 - pos);
	t->arch[dash - 1 - pos] = '\0';
	if (!names_charset(t->arch, "_-", 1, sizeof(t->arch) - 1))
		return err_set(e, ERR_INVAL, "ARCH is not [A-Za-z0-9_-]+");
	if (end - dash < 1 || end - dash > 18)
		return err_set(e, ERR_INVAL, "TIMESTAMP is not 1-18 digits");
	for (i = dash; i < end; i++)
		if (name[i] < '0' || name[i] > '9')
			return err_set(e, ERR_INVAL, "TIMESTAMP is not 1-18 digits");
	t->timestamp = strtoll(name + dash, NULL, 10);
	memcpy(t->name, name, len + 1);
	memcpy(t->prefix, name, dash - 1);
	t->prefix[dash - 1] = '\0';
	return 0;
}

int deploy_key(const char *prefix, const struct deploy_tarball *t, int meta,
	       struct buf *out, struct err *e)
{
	size_t len0 = out->len, plen = prefix ? strlen(prefix) : 0;

	while (plen > 0 && prefix[plen - 1] == '/')
		plen--;
	size_t arch_at;

	if ((plen && (buf_add(out, prefix, plen) < 0 || buf_addch(out, '/') < 0)) ||
	    buf_addf(out, "%s/%s/%s/", t->version, t->type, t->os) < 0)
		goto toobig;
	/* the original bot's layout: every '-' of the name a '/', so the
	 * architecture's own dashes are levels too (x86_64/amd/zen2) */
	arch_at = out->len;
	if (buf_addf(out, "%s/%lld/%s%s", t->arch, t->timestamp, t->name,
		     meta ? ".meta.txt" : "") < 0)
		goto toobig;
	for (size_t i = arch_at; i < arch_at + strlen(t->arch); i++)
		if (out->s[i] == '-')
			out->s[i] = '/';
	return 0;
toobig:
	buf_truncate(out, len0);
	return err_set(e, ERR_TOOBIG, "object key too long");
}

/* ---- the plan ---------------------------------------------------------- */

/* 1 if a is newer than b: higher timestamp, then higher job id. */
static int newer(const struct deploy_cand *a, const struct deploy_cand *b)
{
	if (a->t.timestamp != b->t.timestamp)
		return a->t.timestamp > b->t.timestamp;
	return a->job_id > b->job_id;
}

void deploy_plan(enum conf_upload_policy p, struct deploy_cand *c, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		c[i].because = i;
		if (c[i].in_ledger)
			c[i].verdict = DEPLOY_ALREADY;
		else if (p == CONF_UPLOAD_NONE)
			c[i].verdict = DEPLOY_POLICY_NONE;
		else
			c[i].verdict = DEPLOY_UPLOAD;
	}
	if (p != CONF_UPLOAD_LATEST && p != CONF_UPLOAD_ONCE)
		return;
	for (i = 0; i < n; i++) {
		size_t best = i;
		int done = 0;

		for (j = 0; j < n; j++) {
			if (strcmp(c[j].t.prefix, c[i].t.prefix) != 0)
				continue;
			if (newer(&c[j], &c[best]))
				best = j;
			done |= c[j].prefix_in_ledger || c[j].in_ledger;
		}
		if (c[i].verdict != DEPLOY_UPLOAD)
			continue;
		if (p == CONF_UPLOAD_ONCE && done)
			c[i].verdict = DEPLOY_ONCE_DONE;
		else if (best != i) {
			c[i].verdict = DEPLOY_SUPERSEDED;
			c[i].because = best;
		}
	}
}

/* ---- metadata ---------------------------------------------------------- */

static int jadd(struct json_object *o, const char *k, struct json_object *v)
{
	if (!v)
		return -1;
	if (json_object_object_add(o, k, v) < 0) {
		json_object_put(v);
		return -1;
	}
	return 0;
}

static struct json_object *jstr(const char *s)
{
	return json_object_new_string(s ? s : "");
}

/* A number as the original bot's metadata has every value: a string. */
static struct json_object *jnum(long long v)
{
	char s[24];

	snprintf(s, sizeof(s), "%lld", v);
	return json_object_new_string(s);
}

/* The time as `date -r FILE` prints it in the C locale and the bot's time
 * zone ("Tue Nov 14 22:15:23 UTC 2023"): the original's payload.ctime. */
static struct json_object *jdate(long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char s[64];

	if (!localtime_r(&tt, &tm) ||
	    strftime(s, sizeof(s), "%a %b %e %H:%M:%S %Z %Y", &tm) == 0)
		return jnum(t);
	return json_object_new_string(s);
}

int deploy_metadata(const struct deploy_meta *m, struct buf *out,
		    struct err *e)
{
	struct json_object *root = json_object_new_object(), *up, *pay, *pr, *job;
	char url[512], result[64];
	const char *text;
	int rc = -1;

	up = json_object_new_object();
	pay = json_object_new_object();
	pr = json_object_new_object();
	job = json_object_new_object();
	if (!root || jadd(root, "uploader", up) < 0 ||
	    jadd(root, "payload", pay) < 0 || jadd(root, "link2pr", pr) < 0 ||
	    jadd(root, "job", job) < 0)
		goto nomem;
	snprintf(url, sizeof(url), "https://github.com/%s/pull/%lld",
		 m->req->repo, m->req->pr);
	snprintf(result, sizeof(result), "_bot_job%lld.result", m->job_id);
	if (jadd(up, "username", jstr(m->username)) < 0 ||
	    jadd(up, "hostname", jstr(m->hostname)) < 0 ||
	    jadd(up, "ip", jstr(m->ip)) < 0 ||
	    jadd(pay, "filename", jstr(m->filename)) < 0 ||
	    jadd(pay, "size", jnum(m->size)) < 0 ||
	    jadd(pay, "ctime", jdate(m->ctime)) < 0 ||
	    jadd(pay, "ctime_epoch", jnum(m->ctime)) < 0 ||
	    jadd(pay, "sha256sum", jstr(m->sha256)) < 0 ||
	    jadd(pay, "url", jstr(m->url)) < 0 ||
	    jadd(pr, "repo", jstr(m->req->repo)) < 0 ||
	    jadd(pr, "pr", jnum(m->req->pr)) < 0 ||
	    jadd(pr, "pr_comment_id", jnum(cdoc_is_local(m->req->comment_id)
						 ? 0 : m->req->comment_id)) < 0 ||
	    jadd(pr, "url", jstr(url)) < 0 ||
	    jadd(job, "id", jnum(m->job_id)) < 0 ||
	    jadd(job, "target", jstr(m->target)) < 0 ||
	    jadd(job, "dir", jstr(m->job_dir)) < 0 ||
	    jadd(job, "result", jstr(result)) < 0 ||
	    jadd(root, "deployed_by", jstr(m->req->sender)) < 0)
		goto nomem;
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!text)
		goto nomem;
	if (buf_adds(out, text) < 0 || buf_addch(out, '\n') < 0) {
		err_set(e, ERR_TOOBIG, "metadata too long");
		goto out;
	}
	rc = 0;
	goto out;
nomem:
	err_set(e, ERR_NOMEM, "metadata: out of memory");
out:
	json_object_put(root);
	return rc;
}

