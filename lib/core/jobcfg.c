/* jobcfg.c - cfg/job.cfg of a job directory, as EESSI's scripts read it
 * (pure text).
 * Layer: core (README, "Map of the code"). */
#include "jobcfg.h"

#include <string.h>

#include <json-c/json.h>

#include "conf.h"
#include "ini.h"
#include "target.h"

/* One line only: every job.cfg value is one by nature, and the shell
 * functions of the software layer that read the file know no continuation
 * lines, so an indented "[section]" or "key = value" there could be taken
 * for one of its own. */
static int put(struct buf *out, const char *key, const char *value,
	       struct err *e)
{
	if (strchr(value, '\n'))
		return err_set(e, ERR_INVAL, "%s: value has more than one line",
			       key);
	return ini_put(out, key, value, e);
}

/* Writes key only when the configuration sets it: the job's scripts tell
 * "unset" by the key's absence (configparser's fallback). */
static int put_opt(struct buf *out, const char *key, const char *value,
		   struct err *e)
{
	if (!value || !*value)
		return 0;
	return put(out, key, value, e);
}

/* load_modules as one comma-separated value, the form the job script
 * splits. */
static int put_modules(struct buf *out, const struct conf_strv *m,
		       struct err *e)
{
	struct buf v = BUF_INIT(INI_MAX_BYTES);
	size_t i;
	int rc = 0;

	if (m->n == 0)
		return 0;
	for (i = 0; i < m->n && rc == 0; i++)
		if ((i > 0 && buf_addch(&v, ',') < 0) ||
		    buf_adds(&v, m->v[i]) < 0)
			rc = err_set(e, ERR_TOOBIG, "load_modules: too long");
	if (rc == 0)
		rc = put(out, "load_modules", v.s, e);
	buf_release(&v);
	return rc;
}

/* Adds line to obj[file], after a '\n' if the file has lines already. */
static int add_cvmfs_line(struct json_object *obj, const struct conf_cvmfs *cv)
{
	struct json_object *old = NULL, *s;
	struct buf v = BUF_INIT(INI_MAX_BYTES);
	int rc = -1;

	if (json_object_object_get_ex(obj, cv->file, &old) &&
	    (buf_adds(&v, json_object_get_string(old)) < 0 ||
	     buf_addch(&v, '\n') < 0))
		goto out;
	if (buf_adds(&v, cv->line) < 0)
		goto out;
	s = json_object_new_string_len(v.s, (int)v.len);
	if (!s || json_object_object_add(obj, cv->file, s) < 0) {
		json_object_put(s);
		goto out;
	}
	rc = 0;
out:
	buf_release(&v);
	return rc;
}

/* cvmfs_customizations as {"FILE": "LINE\nLINE", ...}, files in the order
 * they first appear: the shape of the original bot's setting, which the job
 * script reads with a JSON parser (so no quoting of its own is needed). */
static int put_cvmfs(struct buf *out, const struct conf *c, struct err *e)
{
	static const char key[] = "cvmfs_customizations";
	const int flags =
		JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE;
	const struct conf_buildenv *b = &c->buildenv;
	struct json_object *obj;
	const char *json = NULL;
	size_t i;
	int rc = 0;

	if (b->n_cvmfs_customizations == 0)
		return 0;
	obj = json_object_new_object();
	if (!obj)
		return err_set(e, ERR_NOMEM, "%s: out of memory", key);
	for (i = 0; i < b->n_cvmfs_customizations && rc == 0; i++)
		if (add_cvmfs_line(obj, &b->cvmfs_customizations[i]) < 0)
			rc = err_set(e, ERR_NOMEM, "%s: out of memory", key);
	if (rc == 0) {
		json = json_object_to_json_string_ext(obj, flags);
		rc = json ? put(out, key, json, e)
			  : err_set(e, ERR_NOMEM, "%s: out of memory", key);
	}
	json_object_put(obj);
	return rc;
}

static int site_config(struct buf *out, const struct conf *c, struct err *e)
{
	const struct conf_buildenv *b = &c->buildenv;

	if (ini_put_section(out, "site_config", e) < 0 ||
	    put_opt(out, "build_logs_dir", b->build_logs_dir, e) < 0 ||
	    put_opt(out, "container_cachedir", b->container_cachedir, e) < 0 ||
	    put_opt(out, "http_proxy", b->http_proxy, e) < 0 ||
	    put_opt(out, "https_proxy", b->https_proxy, e) < 0 ||
	    put_modules(out, &b->load_modules, e) < 0 ||
	    put_opt(out, "local_tmp", b->local_tmp, e) < 0 ||
	    put_opt(out, "shared_fs_path", b->shared_fs_path, e) < 0 ||
	    put_opt(out, "site_config_script", b->site_config_script, e) < 0)
		return -1;
	return put_cvmfs(out, c, e);
}

/* Only the keys the contract lists: config_bundle and config_map stay in
 * the copy of repos.cfg beside job.cfg, where the job's scripts look. */
static int repository(struct buf *out, const struct target *t,
		      const char *job_cfg_dir, const struct ini *repos,
		      struct err *e)
{
	if (ini_put_section(out, "repository", e) < 0)
		return -1;
	if (!t->repo_id || !*t->repo_id)
		return 0;
	if (!repos || !ini_has_section(repos, t->repo_id))
		return err_set(e, ERR_CONFIG,
			       "repos.cfg has no section [%.128s]", t->repo_id);
	if (put(out, "repos_cfg_dir", job_cfg_dir, e) < 0 ||
	    put(out, "repo_id", t->repo_id, e) < 0 ||
	    put_opt(out, "container", ini_get(repos, t->repo_id, "container"),
		    e) < 0 ||
	    put_opt(out, "repo_name", ini_get(repos, t->repo_id, "repo_name"),
		    e) < 0 ||
	    put_opt(out, "repo_version",
		    ini_get(repos, t->repo_id, "repo_version"), e) < 0)
		return -1;
	return 0;
}

/* software_subdir and os_type from "OS/SUBDIR". */
static int architecture(struct buf *out, const struct target *t,
			struct err *e)
{
	const char *arch = t->arch->target;
	const char *slash = strchr(arch, '/');
	char os[64];

	if (!slash || slash == arch || !slash[1] ||
	    (size_t)(slash - arch) >= sizeof(os))
		return err_set(e, ERR_INVAL,
			       "arch target '%.128s' is not OS/SUBDIR", arch);
	memcpy(os, arch, (size_t)(slash - arch));
	os[slash - arch] = '\0';
	if (ini_put_section(out, "architecture", e) < 0 ||
	    put(out, "software_subdir", slash + 1, e) < 0 ||
	    put(out, "os_type", os, e) < 0 ||
	    put_opt(out, "accelerator", t->accel, e) < 0 ||
	    put_opt(out, "node_type", t->arch->node_type, e) < 0)
		return -1;
	return 0;
}

int jobcfg_render(const struct conf *c, const struct target *t,
		  const char *job_cfg_dir, const struct ini *repos,
		  struct buf *out, struct err *e)
{
	size_t start = out->len;

	if (!job_cfg_dir || job_cfg_dir[0] != '/')
		return err_set(e, ERR_INVAL,
			       "job cfg directory '%.256s' is not absolute",
			       job_cfg_dir ? job_cfg_dir : "");
	if (site_config(out, c, e) < 0 ||
	    repository(out, t, job_cfg_dir, repos, e) < 0 ||
	    architecture(out, t, e) < 0) {
		buf_truncate(out, start);
		return -1;
	}
	return 0;
}
