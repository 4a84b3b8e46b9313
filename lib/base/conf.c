/* conf.c - app.cfg, read once and checked completely.
 *
 * One schema table drives everything: which groups and keys exist, their
 * types, defaults, checks and where the value goes in struct conf; the
 * unknown-key detection; freeing; and conf_dump().  Lists of groups
 * (arch_target_map, ...) have a small table of their own per entry.
 *
 * Loading never stops at the first problem: each one is appended to the
 * report and loading goes on, so the operator sees them all at once.
 * libconfig's tree (config_t) stays alive until the end of conf_load() so
 * that the cross-key checks can still name the line of what they blame.
 *
 * Layer: base (README, "Map of the code").
 */
#include "conf.h"

#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "names.h"

#define CONF_MAX_FILE (1024 * 1024) /* bytes in app.cfg */
#define CONF_MAX_STR 4096           /* bytes in one string value */
#define CONF_MAX_LIST 1024          /* elements in one list */
#define CONF_MAX_NAME 64            /* compared by the "did you mean" */

_Static_assert(sizeof(enum conf_chatlevel) == sizeof(int), "enum size");
_Static_assert(sizeof(enum conf_supersede) == sizeof(int), "enum size");
_Static_assert(sizeof(enum conf_upload_policy) == sizeof(int), "enum size");
_Static_assert(sizeof(enum conf_handover) == sizeof(int), "enum size");
_Static_assert(CONF_HANDOVER_HOLD_RELEASE == 0 &&
		       CONF_HANDOVER_DELAYED_BEGIN == 1,
	       "handover_names follows enum conf_handover");
_Static_assert(sizeof(enum log_level) == sizeof(int), "enum size");
_Static_assert(LOGL_ERROR == 0 && LOGL_WARN == 1 && LOGL_INFO == 2 &&
		       LOGL_DEBUG == 3,
	       "log_names follows enum log_level");

/* ---------------------------------------------------------------- schema */

enum ftype {
	T_GROUP, /* a row naming a group; the keys follow it */
	T_INT,   /* long long */
	T_STR,   /* char * */
	T_ENUM,  /* an enum, given by name */
	T_STRV,  /* struct conf_strv */
	T_GLIST, /* a list of groups: an array of entry structs + a count */
};

#define F_REQ 0x01u      /* must be present */
#define F_EXPAND 0x02u   /* $HOME and $USER expanded (strings) */
#define F_ABS 0x04u      /* an absolute path (after expansion) */
#define F_NONEMPTY 0x08u /* a list, when present, has an element */
#define F_TEXT 0x10u     /* free text: may be empty or hold newlines */

/* A check of one string: NULL if fine, else what was expected.  It may
 * normalise the string in place (only ever shortening it). */
typedef const char *(*check_fn)(char *s);

struct field;

struct entry_schema {
	const struct field *fields;
	size_t nfields;
	size_t size; /* of one entry struct */
};

struct field {
	const char *group; /* NULL in an entry table */
	const char *key;   /* NULL in a T_GROUP row */
	enum ftype type;
	unsigned flags;
	const char *def; /* T_STR, T_ENUM: default; T_STRV: sole element */
	long long idef, imin, imax;          /* T_INT */
	const char *const *names;            /* T_ENUM, indexed by value */
	check_fn check;                      /* T_STR, T_STRV elements */
	const struct entry_schema *entry;    /* T_GLIST */
	size_t off;   /* where the value lives (T_GLIST: the array pointer) */
	size_t off_n; /* T_GLIST: where the count lives */
};

static const char *const chat_names[] = {"incognito", "minimal", "basic",
					"chatty", NULL};
static const char *const supersede_names[] = {"pending", "all", "none", NULL};
static const char *const upload_names[] = {"all", "latest", "once", "none",
					   NULL};
static const char *const log_names[] = {"error", "warn", "info", "debug",
					NULL};
/* the names of the original bot's later versions, which operators know */
static const char *const handover_names[] = {"hold_release", "delayed_begin",
					     NULL};

#define WEEK (7LL * 24 * 3600) /* the bound of the manager's durations */

static int is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

static int is_ident(unsigned char c)
{
	return is_alnum(c) || c == '_' || c == '-' || c == '*';
}

static int all_of(const char *s, const char *extra)
{
	for (; *s; s++)
		if (!is_alnum((unsigned char)*s) && !strchr(extra, *s))
			return 0;
	return 1;
}

static const char *check_app_name(char *s)
{
	if (strlen(s) > 64 || !all_of(s, "._-"))
		return "1-64 letters, digits, '.', '_' or '-'";
	return NULL;
}

static const char *check_login(char *s)
{
	if (names_valid_login(s))
		return NULL;
	return "a GitHub login: 1-39 letters, digits or single hyphens, not "
	       "starting or ending with '-', optionally ending in [bot]";
}

/* An allow-list entry of job arguments (lib/core/jobargs.h):
 * "KEYPATTERN=VALUEPATTERN", each a POSIX extended regular expression. */
static const char *check_pattern_pair(char *s)
{
	char *eq = strchr(s, '=');
	regex_t re;
	int ok;

	if (!eq || eq == s)
		return "NAMEPATTERN=VALUEPATTERN: a pattern for the name, '=', a "
		       "pattern for the value";
	*eq = '\0';
	ok = regcomp(&re, s, REG_EXTENDED | REG_NOSUB) == 0;
	*eq = '=';
	if (!ok)
		return "the name pattern (before the first '=') is not a POSIX "
		       "extended regular expression";
	regfree(&re);
	if (regcomp(&re, eq + 1, REG_EXTENDED | REG_NOSUB) != 0)
		return "the value pattern (after the first '=') is not a POSIX "
		       "extended regular expression";
	regfree(&re);
	return NULL;
}

static int has_space_or_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return 1;
	return 0;
}

/* http(s)://HOST[...]; trailing slashes are dropped so that paths can be
 * appended with a '/'. */
static const char *check_url(char *s)
{
	size_t n = strlen(s);
	const char *rest;

	while (n > 0 && s[n - 1] == '/')
		s[--n] = '\0';
	if (strncmp(s, "https://", 8) == 0)
		rest = s + 8;
	else if (strncmp(s, "http://", 7) == 0)
		rest = s + 7;
	else
		rest = NULL;
	if (!rest || !*rest || *rest == '/' || has_space_or_ctl(s))
		return "an http:// or https:// URL with a host";
	return NULL;
}

/* Where repositories are fetched from: an http(s) URL with a host, or a
 * file:// URL (a local mirror, tests). */
static const char *check_git_url(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && s[n - 1] == '/')
		s[--n] = '\0';
	if (strncmp(s, "file:///", 8) == 0 && !has_space_or_ctl(s))
		return NULL;
	if (check_url(s) == NULL)
		return NULL;
	return "an http://, https:// or file:/// URL";
}

/* SCHEME://HOST...: proxies are handed to tools as they are. */
static const char *check_proxy(char *s)
{
	const char *p = s;

	while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
	       *p == '+' || *p == '.' || *p == '-')
		p++;
	if (p == s || strncmp(p, "://", 3) != 0 || !p[3] || has_space_or_ctl(s))
		return "a proxy URL such as http://proxy.example.org:3128";
	return NULL;
}

/* 1..max '/'-separated segments of [A-Za-z0-9_.+-]+, none "." or "..". */
static int segments_ok(const char *s, int max)
{
	int nseg = 0;
	size_t len;

	for (;;) {
		len = strcspn(s, "/");
		if (len == 0 || ++nseg > max)
			return 0;
		if ((len == 1 && s[0] == '.') ||
		    (len == 2 && s[0] == '.' && s[1] == '.'))
			return 0;
		for (size_t i = 0; i < len; i++)
			if (!is_alnum((unsigned char)s[i]) &&
			    !strchr("_.+-", s[i]))
				return 0;
		if (!s[len])
			return 1;
		s += len + 1;
	}
}

static const char *check_target(char *s)
{
	const char *p = s;

	while (*p >= 'a' && *p <= 'z')
		p++;
	if (p == s || *p != '/' || strlen(s) > 128 || !segments_ok(p + 1, 4))
		return "OS/SUBDIR: OS in lowercase letters (linux), SUBDIR of "
		       "1-4 '/'-separated segments of letters, digits, '_', "
		       "'.', '+' or '-', none of them '.' or '..'";
	return NULL;
}

static const char *check_accel(char *s)
{
	if (strlen(s) > 128 || !segments_ok(s, 4))
		return "VENDOR/NAME such as nvidia/cc80 (letters, digits, '_', "
		       "'.', '+' or '-')";
	return NULL;
}

static const char *check_repo_id(char *s)
{
	if (strlen(s) > 128 || !all_of(s, "._-") || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0)
		return "a repository id of letters, digits, '.', '_' or '-'";
	return NULL;
}

static const char *check_module(char *s)
{
	if (strchr(s, ',') || has_space_or_ctl(s))
		return "a module name such as GCC/12.3.0 (no spaces or commas)";
	return NULL;
}

static const char *check_bucket(char *s)
{
	size_t n = strlen(s);

	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '.' || *p == '-'))
			goto bad;
	if (n < 3 || n > 63 || !is_alnum((unsigned char)s[0]) ||
	    !is_alnum((unsigned char)s[n - 1]))
		goto bad;
	return NULL;
bad:
	return "an S3 bucket name: 3-63 lowercase letters, digits, '.' or '-'";
}

static const char *check_region(char *s)
{
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '-'))
			return "a region name such as us-east-1";
	return strlen(s) > 32 ? "a region name such as us-east-1" : NULL;
}

static const char *check_prefix(char *s)
{
	if (s[0] == '/' || has_space_or_ctl(s))
		return "an object key prefix without spaces, not starting "
		       "with '/'";
	return NULL;
}

#define AT(m) offsetof(struct conf, m)
#define GROUP(g, fl) {.group = (g), .type = T_GROUP, .flags = (fl)}
#define STR(g, k, fl, d, chk, m)                                                   \
	{.group = (g), .key = (k), .type = T_STR, .flags = (fl), .def = (d),       \
	 .check = (chk), .off = AT(m)}
#define INT(g, k, fl, d, lo, hi, m)                                                \
	{.group = (g), .key = (k), .type = T_INT, .flags = (fl), .idef = (d),      \
	 .imin = (lo), .imax = (hi), .off = AT(m)}
#define ENUM(g, k, d, nm, m)                                                       \
	{.group = (g), .key = (k), .type = T_ENUM, .def = (d), .names = (nm),      \
	 .off = AT(m)}
#define STRV(g, k, fl, d, chk, m)                                                  \
	{.group = (g), .key = (k), .type = T_STRV, .flags = (fl), .def = (d),      \
	 .check = (chk), .off = AT(m)}
#define GLIST(g, k, fl, es, m, mn)                                                 \
	{.group = (g), .key = (k), .type = T_GLIST, .flags = (fl), .entry = &(es), \
	 .off = AT(m), .off_n = AT(mn)}

#define E_STR(k, fl, chk, st, m)                                                   \
	{.key = (k), .type = T_STR, .flags = (fl), .check = (chk),                 \
	 .off = offsetof(st, m)}
#define E_STRV(k, fl, chk, st, m)                                                  \
	{.key = (k), .type = T_STRV, .flags = (fl), .check = (chk),                \
	 .off = offsetof(st, m)}

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const struct field cvmfs_fields[] = {
	E_STR("file", F_REQ | F_ABS, NULL, struct conf_cvmfs, file),
	E_STR("line", F_REQ, NULL, struct conf_cvmfs, line),
};
static const struct entry_schema cvmfs_entry = {
	cvmfs_fields, NELEM(cvmfs_fields), sizeof(struct conf_cvmfs)};

static const struct field arch_fields[] = {
	E_STR("target", F_REQ, check_target, struct conf_arch_target, target),
	E_STRV("sbatch", 0, NULL, struct conf_arch_target, sbatch),
	E_STRV("accelerators", 0, check_accel, struct conf_arch_target,
	       accelerators),
	E_STR("node_type", 0, NULL, struct conf_arch_target, node_type),
};
static const struct entry_schema arch_entry = {
	arch_fields, NELEM(arch_fields), sizeof(struct conf_arch_target)};

static const struct field repo_fields[] = {
	E_STR("target", F_REQ, check_target, struct conf_repo_target, target),
	E_STRV("repos", F_REQ | F_NONEMPTY, check_repo_id,
	       struct conf_repo_target, repos),
};
static const struct entry_schema repo_entry = {
	repo_fields, NELEM(repo_fields), sizeof(struct conf_repo_target)};

#define PATH (F_EXPAND | F_ABS) /* a path the bot itself opens */

static const char no_build_text[] =
	"This account may not start builds on this bot instance; "
	"ask one of its operators.";
static const char no_deploy_text[] =
	"This account may not deploy from this bot instance; "
	"ask one of its operators.";

/* The order is the documentation order of conf/app.cfg.example. */
static const struct field schema[] = {
	GROUP("github", F_REQ),
	INT("github", "app_id", F_REQ, 0, 1, LLONG_MAX, github.app_id),
	STR("github", "app_name", F_REQ, NULL, check_app_name, github.app_name),
	INT("github", "installation_id", F_REQ, 0, 1, LLONG_MAX,
	    github.installation_id),
	STR("github", "private_key", F_REQ | PATH, NULL, NULL,
	    github.private_key),
	STR("github", "api_url", 0, "https://api.github.com", check_url,
	    github.api_url),
	STR("github", "webhook_secret_file", PATH, NULL, NULL,
	    github.webhook_secret_file),
	STR("github", "token_cache_dir", PATH, "$HOME/.eessi-bot/tokens", NULL,
	    github.token_cache_dir),
	STR("github", "git_url", 0, "https://github.com", check_git_url,
	    github.git_url),

	GROUP("bot_control", 0),
	STRV("bot_control", "command_permission", 0, NULL, check_login,
	     bot_control.command_permission),
	ENUM("bot_control", "chatlevel", "basic", chat_names,
	     bot_control.chatlevel),

	GROUP("buildenv", F_REQ),
	STR("buildenv", "build_job_script", F_REQ | PATH, NULL, NULL,
	    buildenv.build_job_script),
	STR("buildenv", "submit_command", F_ABS, "/usr/bin/sbatch", NULL,
	    buildenv.submit_command),
	STRV("buildenv", "slurm_params", 0, "--hold", NULL,
	     buildenv.slurm_params),
	ENUM("buildenv", "job_handover_protocol", "hold_release",
	     handover_names, buildenv.job_handover_protocol),
	INT("buildenv", "job_delay_begin_factor", 0, 2, 1, 100,
	    buildenv.job_delay_begin_factor),
	STR("buildenv", "jobs_base_dir", F_REQ | PATH, NULL, NULL,
	    buildenv.jobs_base_dir),
	STR("buildenv", "git_cache_dir", PATH, NULL, NULL,
	    buildenv.git_cache_dir),
	STR("buildenv", "local_tmp", 0, "/tmp/$USER/EESSI", NULL,
	    buildenv.local_tmp),
	STRV("buildenv", "load_modules", 0, NULL, check_module,
	     buildenv.load_modules),
	STR("buildenv", "http_proxy", 0, NULL, check_proxy,
	    buildenv.http_proxy),
	STR("buildenv", "https_proxy", 0, NULL, check_proxy,
	    buildenv.https_proxy),
	STR("buildenv", "container_cachedir", 0, NULL, NULL,
	    buildenv.container_cachedir),
	STR("buildenv", "build_logs_dir", 0, NULL, NULL,
	    buildenv.build_logs_dir),
	STR("buildenv", "shared_fs_path", 0, NULL, NULL,
	    buildenv.shared_fs_path),
	STR("buildenv", "site_config_script", 0, NULL, NULL,
	    buildenv.site_config_script),
	GLIST("buildenv", "cvmfs_customizations", 0, cvmfs_entry,
	      buildenv.cvmfs_customizations,
	      buildenv.n_cvmfs_customizations),
	STRV("buildenv", "build_permission", 0, NULL, check_login,
	     buildenv.build_permission),
	STR("buildenv", "no_build_permission_comment", F_TEXT, no_build_text,
	    NULL, buildenv.no_build_permission_comment),
	STRV("buildenv", "allowed_jobargs", 0, NULL, check_pattern_pair,
	     buildenv.allowed_jobargs),
	STRV("buildenv", "allowed_submitargs", 0, NULL, check_pattern_pair,
	     buildenv.allowed_submitargs),
	INT("buildenv", "min_free_mb", 0, 1024, 0, 1LL << 40,
	    buildenv.min_free_mb),
	INT("buildenv", "min_free_inodes", 0, 10000, 0, 1LL << 50,
	    buildenv.min_free_inodes),
	ENUM("buildenv", "supersede", "pending", supersede_names,
	     buildenv.supersede),

	GROUP("deploycfg", 0),
	STR("deploycfg", "endpoint_url", 0, NULL, check_url,
	    deploycfg.endpoint_url),
	STR("deploycfg", "bucket_name", 0, NULL, check_bucket,
	    deploycfg.bucket_name),
	STR("deploycfg", "region", 0, "us-east-1", check_region,
	    deploycfg.region),
	ENUM("deploycfg", "upload_policy", "once", upload_names,
	     deploycfg.upload_policy),
	STRV("deploycfg", "deploy_permission", 0, NULL, check_login,
	     deploycfg.deploy_permission),
	STR("deploycfg", "no_deploy_permission_comment", F_TEXT,
	    no_deploy_text, NULL, deploycfg.no_deploy_permission_comment),
	STR("deploycfg", "credentials_file", PATH, NULL, NULL,
	    deploycfg.credentials_file),
	STRV("deploycfg", "signing_command", F_NONEMPTY, NULL, NULL,
	     deploycfg.signing_command),
	STR("deploycfg", "metadata_prefix", 0, NULL, check_prefix,
	    deploycfg.metadata_prefix),
	STR("deploycfg", "artefact_prefix", 0, NULL, check_prefix,
	    deploycfg.artefact_prefix),

	GROUP("architecturetargets", F_REQ),
	GLIST("architecturetargets", "arch_target_map", F_REQ | F_NONEMPTY,
	      arch_entry, architecturetargets.arch_target_map,
	      architecturetargets.n_arch_target_map),

	GROUP("repo_targets", 0),
	STR("repo_targets", "repos_cfg_dir", PATH, NULL, NULL,
	    repo_targets.repos_cfg_dir),
	GLIST("repo_targets", "repo_target_map", 0, repo_entry,
	      repo_targets.repo_target_map, repo_targets.n_repo_target_map),

	GROUP("event_handler", 0),
	STR("event_handler", "spool_dir", PATH, "$HOME/.eessi-bot/spool", NULL,
	    event_handler.spool_dir),
	STR("event_handler", "log_file", PATH, NULL, NULL,
	    event_handler.log_file),
	ENUM("event_handler", "log_level", "info", log_names,
	     event_handler.log_level),
	INT("event_handler", "keep_done_days", 0, 30, 3, 36500,
	    event_handler.keep_done_days),
	INT("event_handler", "keep_failed_days", 0, 90, 3, 36500,
	    event_handler.keep_failed_days),
	INT("event_handler", "retry_tries", 0, 8, 0, 100,
	    event_handler.retry_tries),
	INT("event_handler", "retry_delay", 0, 30, 1, 3600,
	    event_handler.retry_delay),

	GROUP("job_manager", F_REQ),
	STR("job_manager", "job_ids_dir", F_REQ | PATH, NULL, NULL,
	    job_manager.job_ids_dir),
	STR("job_manager", "poll_command", F_ABS, "/usr/bin/squeue", NULL,
	    job_manager.poll_command),
	INT("job_manager", "poll_interval", 0, 60, 1, 86400,
	    job_manager.poll_interval),
	STR("job_manager", "scontrol_command", F_ABS, "/usr/bin/scontrol",
	    NULL, job_manager.scontrol_command),
	STR("job_manager", "scancel_command", F_ABS, "/usr/bin/scancel",
	    NULL, job_manager.scancel_command),
	STR("job_manager", "sacct_command", F_ABS, NULL, NULL,
	    job_manager.sacct_command),
	INT("job_manager", "pending_reason_after", 0, 600, 0, WEEK,
	    job_manager.pending_reason_after),
	INT("job_manager", "lost_after", 0, 900, 0, WEEK,
	    job_manager.lost_after),
	STR("job_manager", "log_file", PATH, NULL, NULL, job_manager.log_file),
	ENUM("job_manager", "log_level", "info", log_names,
	     job_manager.log_level),

	GROUP("clean_up", 0),
	STR("clean_up", "trash_bin_dir", PATH, NULL, NULL, clean_up.trash_bin_dir),
	INT("clean_up", "keep_trash_days", 0, 30, 0, 36500, clean_up.keep_trash_days),
	INT("clean_up", "git_cache_keep_hours", 0, 24, 0, 876000,
	    clean_up.git_cache_keep_hours),
};

static void strv_free(struct conf_strv *sv);

/* Keys of the original bot that this one no longer reads, and why. */
static const struct {
	const char *group, *key, *why;
} retired[] = {
	{"deploycfg", "upload_to_s3_script",
	 "the bot uploads artefacts itself; remove the key"},
};

/* The keys of group row g: schema[g + 1 .. g + n]. */
static size_t group_size(size_t g)
{
	size_t n = 0;

	while (g + 1 + n < NELEM(schema) && schema[g + 1 + n].type != T_GROUP)
		n++;
	return n;
}

/* ------------------------------------------------------ slots in structs */

static void *slot(void *base, size_t off)
{
	return (char *)base + off;
}

static const void *cslot(const void *base, size_t off)
{
	return (const char *)base + off;
}

static void put_ptr(void *base, size_t off, void *p)
{
	memcpy(slot(base, off), &p, sizeof(p));
}

static void *get_ptr(const void *base, size_t off)
{
	void *p;

	memcpy(&p, cslot(base, off), sizeof(p));
	return p;
}

static size_t get_size(const void *base, size_t off)
{
	size_t n;

	memcpy(&n, cslot(base, off), sizeof(n));
	return n;
}

static void put_size(void *base, size_t off, size_t n)
{
	memcpy(slot(base, off), &n, sizeof(n));
}

static int get_int(const void *base, size_t off)
{
	int v;

	memcpy(&v, cslot(base, off), sizeof(v));
	return v;
}

static void put_int(void *base, size_t off, int v)
{
	memcpy(slot(base, off), &v, sizeof(v));
}

/* ------------------------------------------------------------- reporting */

/* One line of the report, kept until the end so that the report comes out
 * sorted: problems first, then warnings, each by file and line. */
struct note {
	int warn;
	const char *file; /* valid until config_destroy() */
	unsigned line;
	size_t seq;
	char *text;
};

struct loader {
	const char *path;
	const char *dir; /* of path, for relative @include names; NULL: "." */
	const struct conf_env *env;
	const config_setting_t *root;
	struct buf *report;
	int errors;
	int nomem; /* an allocation failed: the result cannot be trusted */
	int lost;  /* a line could not be kept */
	struct note *notes;
	size_t nnotes, anotes;
};

/* Appends the name of source file `file` as the operator can open it:
 * libconfig names an included file as written in its @include line,
 * relative to the directory of app.cfg. */
static int add_source_name(const struct loader *L, struct buf *b,
			   const char *file)
{
	if (!file)
		return buf_adds(b, L->path);
	if (file[0] == '/' || !L->dir || strcmp(file, L->path) == 0)
		return buf_adds(b, file);
	return buf_addf(b, "%s/%s", L->dir, file);
}

static int push_note(struct loader *L, const struct note *n)
{
	struct note *p;
	size_t a;

	if (L->nnotes == L->anotes) {
		a = L->anotes ? 2 * L->anotes : 16;
		if (!(p = reallocarray(L->notes, a, sizeof(*p))))
			return -1;
		L->notes = p;
		L->anotes = a;
	}
	L->notes[L->nnotes++] = *n;
	return 0;
}

static void vnote(struct loader *L, int warn, const char *file, unsigned line,
		  const char *path, const char *fmt, va_list ap)
	__attribute__((format(printf, 6, 0)));

/* Keeps "[warning: ]FILE[:LINE]: [path: ]message\n" for the report. */
static void vnote(struct loader *L, int warn, const char *file, unsigned line,
		  const char *path, const char *fmt, va_list ap)
{
	struct buf b = BUF_INIT(BUF_CAP_LINE);
	struct note n = {warn, file ? file : L->path, line, L->nnotes, NULL};

	if (buf_adds(&b, warn ? "warning: " : "") < 0 ||
	    add_source_name(L, &b, file) < 0 ||
	    (line > 0 && buf_addf(&b, ":%u", line) < 0) ||
	    buf_adds(&b, ": ") < 0 || (path && buf_addf(&b, "%s: ", path) < 0) ||
	    buf_vaddf(&b, fmt, ap) < 0 || buf_addch(&b, '\n') < 0 ||
	    !(n.text = buf_detach(&b, NULL)) || push_note(L, &n) < 0) {
		free(n.text);
		L->lost = 1;
	}
	buf_release(&b);
}

static int note_cmp(const void *a, const void *b)
{
	const struct note *x = a, *y = b;
	int c;

	if (x->warn != y->warn)
		return x->warn - y->warn;
	if ((c = strcmp(x->file, y->file)) != 0)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Appends the kept lines to the report, sorted, and forgets them. */
static void flush_notes(struct loader *L)
{
	size_t i;

	if (L->nnotes)
		qsort(L->notes, L->nnotes, sizeof(*L->notes), note_cmp);
	for (i = 0; i < L->nnotes; i++) {
		if (buf_adds(L->report, L->notes[i].text) < 0)
			L->lost = 1;
		free(L->notes[i].text);
	}
	free(L->notes);
	L->notes = NULL;
	L->nnotes = L->anotes = 0;
	if (L->lost)
		(void)buf_adds(L->report, "... (the report is incomplete: "
				"out of memory or too long)\n");
}

static const char *file_of(const config_setting_t *s)
{
	return s ? config_setting_source_file(s) : NULL;
}

static unsigned line_of(const config_setting_t *s)
{
	return s ? config_setting_source_line(s) : 0;
}

static void problem(struct loader *L, const config_setting_t *s,
		    const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void problem(struct loader *L, const config_setting_t *s,
		    const char *path, const char *fmt, ...)
{
	va_list ap;

	L->errors++;
	va_start(ap, fmt);
	vnote(L, 0, file_of(s), line_of(s), path, fmt, ap);
	va_end(ap);
}

static void problem_at(struct loader *L, const char *file, unsigned line,
		       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void problem_at(struct loader *L, const char *file, unsigned line,
		       const char *fmt, ...)
{
	va_list ap;

	L->errors++;
	va_start(ap, fmt);
	vnote(L, 0, file, line, NULL, fmt, ap);
	va_end(ap);
}

static void warning(struct loader *L, const config_setting_t *s,
		    const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void warning(struct loader *L, const config_setting_t *s,
		    const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vnote(L, 1, file_of(s), line_of(s), path, fmt, ap);
	va_end(ap);
}

static void out_of_memory(struct loader *L)
{
	if (!L->nomem)
		problem(L, NULL, NULL, "out of memory");
	L->nomem = 1;
}

/* Writes s into q (size > 8) in double quotes, escaped, cut with "..."
 * when long: values shown in messages stay on one line. */
static const char *quote(char *q, size_t size, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0;

	q[i++] = '"';
	for (; *s && i + 8 < size; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			q[i++] = '\\';
			q[i++] = (char)c;
		} else if (c < ' ' || c == 0x7f) {
			q[i++] = '\\';
			q[i++] = 'x';
			q[i++] = hex[c >> 4];
			q[i++] = hex[c & 15];
		} else {
			q[i++] = (char)c;
		}
	}
	if (*s) {
		memcpy(q + i, "...", 3);
		i += 3;
	}
	q[i++] = '"';
	q[i] = '\0';
	return q;
}

static const char *type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP:
		return "a group";
	case CONFIG_TYPE_INT:
		return "an integer";
	case CONFIG_TYPE_INT64:
		return "a 64-bit integer";
	case CONFIG_TYPE_FLOAT:
		return "a floating-point number";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
		return "an array";
	case CONFIG_TYPE_LIST:
		return "a list";
	default:
		return "nothing";
	}
}

static void wrong_type(struct loader *L, const config_setting_t *s,
		       const char *path, const char *expected)
{
	problem(L, s, path, "wrong type (expected %s, got %s)", expected,
		type_name(config_setting_type(s)));
}

/* Path of a member ("github.app_id") or an element ("...map[2]"), for
 * messages; NULL (and out_of_memory) if it cannot be built. */
static const char *path_key(struct loader *L, struct buf *p, const char *path,
			    const char *key)
{
	buf_clear(p);
	if ((path ? buf_addf(p, "%s.%.100s", path, key)
		  : buf_addf(p, "%.100s", key)) < 0) {
		out_of_memory(L);
		return NULL;
	}
	return p->s;
}

static const char *path_index(struct loader *L, struct buf *p,
			      const char *path, size_t i)
{
	buf_clear(p);
	if (buf_addf(p, "%s[%zu]", path, i) < 0) {
		out_of_memory(L);
		return NULL;
	}
	return p->s;
}

/* ------------------------------------------------------- "did you mean" */

static unsigned char lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* Levenshtein distance, ignoring case; SIZE_MAX for long names. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t row[CONF_MAX_NAME + 1], diag, up;

	if (la > CONF_MAX_NAME || lb > CONF_MAX_NAME)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		diag = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			up = row[j];
			row[j] = diag + (lower((unsigned char)a[i - 1]) !=
					 lower((unsigned char)b[j - 1]));
			if (up + 1 < row[j])
				row[j] = up + 1;
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			diag = up;
		}
	}
	return row[lb];
}

/* Is candidate close enough to name to suggest it? */
static int near(const char *name, const char *candidate)
{
	size_t d = distance(name, candidate);

	return d <= (strlen(candidate) >= 6 ? 2u : 1u);
}

static const char *near_key(const struct field *f, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (f[i].key && near(name, f[i].key))
			return f[i].key;
	return NULL;
}

static const char *near_group(const char *name)
{
	for (size_t i = 0; i < NELEM(schema); i++)
		if (schema[i].type == T_GROUP && near(name, schema[i].group))
			return schema[i].group;
	return NULL;
}

/* The group (other than `except`) that has a key named name, or NULL. */
static const char *group_of_key(const char *name, const char *except)
{
	for (size_t i = 0; i < NELEM(schema); i++)
		if (schema[i].key && strcmp(schema[i].key, name) == 0 &&
		    (!except || strcmp(schema[i].group, except) != 0))
			return schema[i].group;
	return NULL;
}

static int looks_like_credential(const char *name)
{
	static const char *const words[] = {"secret", "password", "passwd",
					    "token", "access_key", "credential"};
	char low[CONF_MAX_NAME + 1];
	size_t i;

	for (i = 0; i < CONF_MAX_NAME && name[i]; i++)
		low[i] = (char)lower((unsigned char)name[i]);
	low[i] = '\0';
	for (i = 0; i < NELEM(words); i++)
		if (strstr(low, words[i]))
			return 1;
	return 0;
}

static const char *retired_why(const char *group, const char *key)
{
	for (size_t i = 0; i < NELEM(retired); i++)
		if (group && strcmp(retired[i].group, group) == 0 &&
		    strcmp(retired[i].key, key) == 0)
			return retired[i].why;
	return NULL;
}

/* Reports member m, which the schema does not know.  group is the group's
 * name, or NULL inside a list entry. */
static void unknown_key(struct loader *L, const config_setting_t *m,
			const char *path, const char *group,
			const struct field *f, size_t n)
{
	const char *name = config_setting_name(m), *why, *hint;
	char where[CONF_MAX_NAME + 16];

	if ((why = retired_why(group, name))) {
		problem(L, m, path, "no longer used: %s", why);
		return;
	}
	if (looks_like_credential(name) && !near_key(f, n, name)) {
		problem(L, m, path,
			"credentials never go in app.cfg (use "
			"deploycfg.credentials_file, github.webhook_secret_file "
			"or $GITHUB_APP_SECRET_TOKEN)");
		return;
	}
	if (!group)
		memcpy(where, "this entry", sizeof("this entry"));
	else if (snprintf(where, sizeof(where), "group '%s'", group) >=
		 (int)sizeof(where))
		where[0] = '\0'; /* cannot happen: group names are short */
	if ((hint = near_key(f, n, name)))
		problem(L, m, path, "unknown key '%.100s' in %s (did you mean "
			"'%s'?)", name, where, hint);
	else if (group && (hint = group_of_key(name, group)))
		problem(L, m, path, "unknown key '%.100s' in %s (it belongs in "
			"group '%s')", name, where, hint);
	else
		problem(L, m, path, "unknown key '%.100s' in %s", name, where);
}

static void unknown_group(struct loader *L, const config_setting_t *s)
{
	const char *name = config_setting_name(s), *hint;

	if (!config_setting_is_group(s)) {
		hint = group_of_key(name, NULL);
		if (hint)
			problem(L, s, name, "setting outside any group (it "
				"belongs in group '%s')", hint);
		else
			problem(L, s, name, "unknown setting outside any group");
	} else if ((hint = near_group(name))) {
		problem(L, s, name, "unknown group '%.100s' (did you mean "
			"'%s'?)", name, hint);
	} else {
		problem(L, s, name, "unknown group '%.100s'", name);
	}
}

/* --------------------------------------------------------------- strings */

static int has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < ' ' || *s == 0x7f)
			return 1;
	return 0;
}

/* Appends s to out with $HOME, ${HOME}, $USER and ${USER} replaced.
 * 0, or -1 with *why = the problem ("... (expected ...") or NULL when
 * memory ran out. */
static int expand(const char *s, const struct conf_env *env, struct buf *out,
		  const char **why)
{
	static const struct {
		const char *form;
		int user, braced;
	} forms[] = {{"${HOME}", 0, 1}, {"${USER}", 1, 1},
		     {"$HOME", 0, 0},   {"$USER", 1, 0}};
	const char *val;
	size_t i, lit, flen;

	*why = NULL;
	while (*s) {
		lit = strcspn(s, "$");
		if (buf_add(out, s, lit) < 0)
			return -1;
		if (!s[lit])
			return 0;
		s += lit;
		for (i = 0; i < NELEM(forms); i++) {
			flen = strlen(forms[i].form);
			if (strncmp(s, forms[i].form, flen) == 0 &&
			    (forms[i].braced || !(is_alnum((unsigned char)s[flen]) ||
						  s[flen] == '_')))
				break;
		}
		if (i == NELEM(forms)) {
			*why = "unsupported variable (expected only $HOME, "
			       "${HOME}, $USER or ${USER}";
			return -1;
		}
		val = forms[i].user ? env->user : env->home;
		if (!val) {
			*why = forms[i].user ? "cannot expand $USER (expected "
					       "the user name to be known"
					     : "cannot expand $HOME (expected "
					       "the home directory to be known";
			return -1;
		}
		if (buf_adds(out, val) < 0)
			return -1;
		s += flen;
	}
	return 0;
}

/* Copies raw into b, expanded if f says so: 0, or -1 (reported). */
static int fill_value(struct loader *L, const struct field *f,
		      const config_setting_t *s, const char *path,
		      const char *raw, int is_default, struct buf *b)
{
	const char *why = NULL;
	char q[96];

	if (!(f->flags & F_EXPAND) ? buf_adds(b, raw) == 0
				   : expand(raw, L->env, b, &why) == 0)
		return 0;
	if (!why)
		out_of_memory(L);
	else
		problem(L, s, path, "%s, got %s%s)", why,
			is_default ? "the default " : "",
			quote(q, sizeof(q), raw));
	return -1;
}

/* The rules every string follows, then expansion, the absolute-path rule
 * and the field's own check.  raw is the value of setting s, or the default
 * (is_default, s is then the group).  On success *dst owns the result. */
static void load_string(struct loader *L, const struct field *f,
			const config_setting_t *s, const char *path,
			const char *raw, int is_default, char **dst)
{
	struct buf b = BUF_INIT(2 * CONF_MAX_STR);
	const char *why, *dflt = is_default ? "the default " : "";
	size_t len = strlen(raw);
	char q[96];

	if (len > CONF_MAX_STR) {
		problem(L, s, path, "too long (expected at most %d bytes, got "
			"%zu)", CONF_MAX_STR, len);
	} else if (!(f->flags & F_TEXT) && len == 0) {
		problem(L, s, path, "empty string (expected %s)",
			s && !config_setting_name(s)
				? "a non-empty string"
				: "a value; leave the key out to get the default");
	} else if (!(f->flags & F_TEXT) && has_ctl(raw)) {
		problem(L, s, path, "invalid value (expected no control "
			"characters, got %s)", quote(q, sizeof(q), raw));
	} else if (fill_value(L, f, s, path, raw, is_default, &b) < 0) {
		/* reported */
	} else if ((f->flags & F_ABS) && b.s[0] != '/') {
		problem(L, s, path, "not an absolute path (expected a path "
			"starting with '/'%s, got %s%s)",
			(f->flags & F_EXPAND) ? " after $HOME/$USER expansion"
					      : "",
			dflt, quote(q, sizeof(q), raw));
	} else if (f->check && (why = f->check(b.s))) {
		problem(L, s, path, "invalid value (expected %s, got %s%s)", why,
			dflt, quote(q, sizeof(q), raw));
	} else {
		buf_truncate(&b, strlen(b.s)); /* the check may shorten it */
		if (!(*dst = buf_detach(&b, NULL)))
			out_of_memory(L);
	}
	buf_release(&b);
}

/* ------------------------------------------------------------- integers */

/* Copies lines first..first+3 of file (1-based) into out. */
static int read_lines(const char *file, unsigned first, struct buf *out)
{
	FILE *fp = fopen(file, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned no = 0;
	int rc = -1;

	if (!fp)
		return -1;
	while ((n = getline(&line, &cap, fp)) >= 0 && ++no < first + 4) {
		if (no >= first && buf_add(out, line, (size_t)n) < 0)
			goto done;
	}
	rc = out->len > 0 ? 0 : -1;
done:
	free(line);
	(void)fclose(fp); /* read only: nothing to lose */
	return rc;
}

static const char *skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

/* Where the code after p goes on when p starts a string or a comment
 * (just past its end), else p itself. */
static const char *skip_non_code(const char *p)
{
	const char *end;

	if (*p == '"') {
		for (p++; *p && *p != '"'; p++)
			if (*p == '\\' && p[1])
				p++;
		return *p ? p + 1 : p;
	}
	if (*p == '#' || (p[0] == '/' && p[1] == '/'))
		return p + strcspn(p, "\n");
	if (p[0] == '/' && p[1] == '*') {
		end = strstr(p + 2, "*/");
		return end ? end + 2 : p + strlen(p);
	}
	return p;
}

/* Finds "name = LITERAL" (or "name : ...") in text, outside strings and
 * comments, and copies LITERAL into lit.  1 if found, else 0. */
static int scan_literal(const char *text, const char *name, char *lit,
			size_t size)
{
	size_t nlen = strlen(name), len;
	const char *p = text, *q;

	while (*p) {
		if ((q = skip_non_code(p)) != p) {
			p = q;
			continue;
		}
		if (strncmp(p, name, nlen) != 0 ||
		    (p > text && is_ident((unsigned char)p[-1])) ||
		    is_ident((unsigned char)p[nlen])) {
			p++;
			continue;
		}
		q = skip_space(p + nlen);
		if (*q != '=' && *q != ':') {
			p++;
			continue;
		}
		q = skip_space(q + 1);
		len = strspn(q, "+-0123456789abcdefABCDEFxXL");
		if (len == 0 || len >= size)
			return 0;
		memcpy(lit, q, len);
		lit[len] = '\0';
		return 1;
	}
	return 0;
}

/* What an integer literal of libconfig means, without its wrapping:
 * 0 and *v, or -1 when it does not fit in a long long (or is no number). */
static int literal_value(const char *lit, long long *v)
{
	char digits[48], *end;
	size_t len = strlen(lit);
	unsigned long long u;

	while (len > 0 && lit[len - 1] == 'L')
		len--;
	if (len == 0 || len >= sizeof(digits))
		return -1;
	memcpy(digits, lit, len);
	digits[len] = '\0';
	errno = 0;
	if (digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
		u = strtoull(digits + 2, &end, 16);
		if (errno || *end || end == digits + 2 || u > LLONG_MAX)
			return -1;
		*v = (long long)u;
		return 0;
	}
	*v = strtoll(digits, &end, 10);
	return errno || *end || end == digits ? -1 : 0;
}

/* libconfig 1.5 keeps an integer written without the L suffix in an int
 * and silently wraps what does not fit (9876543210 becomes 1286608618);
 * one with the suffix that does not fit in 64 bits saturates.  So the
 * literal is read again from the source text and compared with what
 * libconfig made of it.  If the literal cannot be found (a value spread
 * over many lines, say), libconfig is trusted. */
static int check_literal(struct loader *L, const config_setting_t *s,
			 const char *path, long long v)
{
	struct buf text = BUF_INIT(16 * 1024), file = BUF_INIT(PATH_MAX);
	long long meant;
	char lit[48];
	int rc = 0;

	if (!config_setting_name(s) ||
	    add_source_name(L, &file, config_setting_source_file(s)) < 0 ||
	    read_lines(file.s, config_setting_source_line(s), &text) < 0 ||
	    !scan_literal(text.s, config_setting_name(s), lit, sizeof(lit)))
		goto done;
	if (literal_value(lit, &meant) < 0) {
		problem(L, s, path, "out of range (expected at most %lld, got "
			"%s)", LLONG_MAX, lit);
		rc = -1;
	} else if (meant != v) {
		problem(L, s, path, "does not fit in a plain integer, which "
			"libconfig wraps to %lld (expected an L suffix for "
			"numbers beyond %d: %sL, got %s)", v, INT_MAX, lit, lit);
		rc = -1;
	}
done:
	buf_release(&text);
	buf_release(&file);
	return rc;
}

static void load_int(struct loader *L, const struct field *f,
		     const config_setting_t *s, const char *path, void *base)
{
	int type = config_setting_type(s);
	long long v;

	if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64) {
		wrong_type(L, s, path, "an integer");
		return;
	}
	/* never config_setting_get_int() on an int64: it yields 0 */
	v = type == CONFIG_TYPE_INT ? config_setting_get_int(s)
				    : config_setting_get_int64(s);
	if (check_literal(L, s, path, v) < 0)
		return;
	if (v < f->imin || v > f->imax) {
		if (f->imax == LLONG_MAX)
			problem(L, s, path, "out of range (expected at least "
				"%lld, got %lld)", f->imin, v);
		else
			problem(L, s, path, "out of range (expected %lld..%lld, "
				"got %lld)", f->imin, f->imax, v);
		return;
	}
	*(long long *)slot(base, f->off) = v;
}

/* ------------------------------------------------------- other values */

static int enum_index(const char *const *names, const char *s)
{
	for (int i = 0; names[i]; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

/* names[i], or "?" when i is not an index of names. */
static const char *enum_name(const char *const *names, int i)
{
	for (int k = 0; i >= 0 && names[k]; k++)
		if (k == i)
			return names[k];
	return "?";
}

static void load_enum(struct loader *L, const struct field *f,
		      const config_setting_t *s, const char *path, void *base)
{
	struct buf want = BUF_INIT(256);
	const char *v;
	char q[96];
	int i;

	put_int(base, f->off, enum_index(f->names, f->def));
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		wrong_type(L, s, path, "a string");
		return;
	}
	v = config_setting_get_string(s);
	if ((i = enum_index(f->names, v)) >= 0) {
		put_int(base, f->off, i);
		return;
	}
	for (i = 0; f->names[i]; i++)
		if (buf_addf(&want, "%s\"%s\"",
			     i == 0 ? "" : f->names[i + 1] ? ", " : " or ",
			     f->names[i]) < 0)
			break;
	problem(L, s, path, "invalid value (expected %s, got %s)", want.s,
		quote(q, sizeof(q), v));
	buf_release(&want);
}

static void load_str(struct loader *L, const struct field *f,
		     const config_setting_t *s, const char *path, void *base)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		wrong_type(L, s, path, "a string");
		return;
	}
	load_string(L, f, s, path, config_setting_get_string(s), 0,
		    (char **)slot(base, f->off));
}

/* Checks the length of list s: 0 and *n, or -1 (reported, or empty). */
static int list_length(struct loader *L, const struct field *f,
		       const config_setting_t *s, const char *path, size_t *n)
{
	int len = config_setting_length(s);

	if (len > CONF_MAX_LIST) {
		problem(L, s, path, "too many elements (expected at most %d, "
			"got %d)", CONF_MAX_LIST, len);
		return -1;
	}
	if (len <= 0) {
		if (f->flags & F_NONEMPTY)
			problem(L, s, path, "empty list (expected at least one "
				"element%s)", (f->flags & F_REQ) ? ""
				: "; leave the key out if there is none");
		return -1;
	}
	*n = (size_t)len;
	return 0;
}

static void load_strv(struct loader *L, const struct field *f,
		      const config_setting_t *s, const char *path, void *base)
{
	struct conf_strv *sv = slot(base, f->off);
	struct buf p = BUF_INIT(1024);
	const config_setting_t *e;
	const char *ep;
	size_t i, n;

	if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
		wrong_type(L, s, path, "a list of strings such as [ \"a\", \"b\" ]");
		return;
	}
	if (list_length(L, f, s, path, &n) < 0)
		return;
	if (!(sv->v = calloc(n + 1, sizeof(*sv->v)))) {
		out_of_memory(L);
		return;
	}
	sv->n = n;
	for (i = 0; i < n && (ep = path_index(L, &p, path, i)); i++) {
		e = config_setting_get_elem(s, (unsigned)i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			wrong_type(L, e, ep, "a string");
		else
			load_string(L, f, e, ep, config_setting_get_string(e), 0,
				    &sv->v[i]);
	}
	buf_release(&p);
}

static void load_fields(struct loader *L, const struct field *f, size_t n,
			const config_setting_t *grp, void *base,
			const char *path, const char *group);

static void load_glist(struct loader *L, const struct field *f,
		       const config_setting_t *s, const char *path, void *base)
{
	const struct entry_schema *es = f->entry;
	struct buf p = BUF_INIT(1024);
	const config_setting_t *e;
	const char *ep;
	char *arr;
	size_t i, n;

	if (!config_setting_is_list(s) &&
	    !(config_setting_is_array(s) && config_setting_length(s) == 0)) {
		wrong_type(L, s, path, "a list of groups such as ( { ... }, "
			   "{ ... } )");
		return;
	}
	if (list_length(L, f, s, path, &n) < 0)
		return;
	if (!(arr = calloc(n, es->size))) {
		out_of_memory(L);
		return;
	}
	put_ptr(base, f->off, arr);
	put_size(base, f->off_n, n);
	for (i = 0; i < n && (ep = path_index(L, &p, path, i)); i++) {
		e = config_setting_get_elem(s, (unsigned)i);
		if (!config_setting_is_group(e))
			wrong_type(L, e, ep, "a group { ... }");
		else
			load_fields(L, es->fields, es->nfields, e,
				    arr + i * es->size, ep, NULL);
	}
	buf_release(&p);
}

static void load_value(struct loader *L, const struct field *f,
		       const config_setting_t *s, const char *path, void *base)
{
	switch (f->type) {
	case T_INT:
		load_int(L, f, s, path, base);
		break;
	case T_STR:
		load_str(L, f, s, path, base);
		break;
	case T_ENUM:
		load_enum(L, f, s, path, base);
		break;
	case T_STRV:
		load_strv(L, f, s, path, base);
		break;
	case T_GLIST:
		load_glist(L, f, s, path, base);
		break;
	case T_GROUP:
		break;
	}
}

static void load_default(struct loader *L, const struct field *f,
			 const config_setting_t *grp, const char *path,
			 void *base)
{
	struct conf_strv *sv;

	switch (f->type) {
	case T_INT:
		*(long long *)slot(base, f->off) = f->idef;
		break;
	case T_STR:
		if (f->def)
			load_string(L, f, grp, path, f->def, 1,
				    (char **)slot(base, f->off));
		break;
	case T_ENUM:
		put_int(base, f->off, enum_index(f->names, f->def));
		break;
	case T_STRV:
		if (!f->def)
			break;
		sv = slot(base, f->off);
		if (!(sv->v = calloc(2, sizeof(*sv->v))) ||
		    !(sv->v[0] = strdup(f->def))) {
			out_of_memory(L);
			break;
		}
		sv->n = 1;
		break;
	case T_GLIST:
	case T_GROUP:
		break;
	}
}

static const struct field *find_field(const struct field *f, size_t n,
				      const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(f[i].key, key) == 0)
			return &f[i];
	return NULL;
}

/* Loads the n fields f from group setting grp (NULL: absent, defaults
 * only) into base.  path prefixes the names in messages; group is the
 * group's name, NULL inside a list entry. */
static void load_fields(struct loader *L, const struct field *f, size_t n,
			const config_setting_t *grp, void *base,
			const char *path, const char *group)
{
	struct buf p = BUF_INIT(1024);
	const config_setting_t *m;
	const char *kp;
	int i, len = grp ? config_setting_length(grp) : 0;

	for (i = 0; i < len; i++) {
		m = config_setting_get_elem(grp, (unsigned)i);
		if (find_field(f, n, config_setting_name(m)))
			continue;
		if (!(kp = path_key(L, &p, path, config_setting_name(m))))
			goto done;
		unknown_key(L, m, kp, group, f, n);
	}
	for (size_t k = 0; k < n; k++) {
		if (!(kp = path_key(L, &p, path, f[k].key)))
			goto done;
		m = grp ? config_setting_get_member(grp, f[k].key) : NULL;
		if (m)
			load_value(L, &f[k], m, kp, base);
		else if (grp && (f[k].flags & F_REQ))
			problem(L, grp, kp, "missing required key");
		else
			load_default(L, &f[k], grp, kp, base);
	}
done:
	buf_release(&p);
}

static int is_group_name(const char *name)
{
	for (size_t i = 0; i < NELEM(schema); i++)
		if (schema[i].type == T_GROUP && strcmp(schema[i].group, name) == 0)
			return 1;
	return 0;
}

static void load_groups(struct loader *L, struct conf *c)
{
	const config_setting_t *s;
	const struct field *row;
	int i, n = config_setting_length(L->root);

	for (i = 0; i < n; i++) {
		s = config_setting_get_elem(L->root, (unsigned)i);
		if (!is_group_name(config_setting_name(s)))
			unknown_group(L, s);
	}
	for (size_t g = 0; g < NELEM(schema); g += 1 + group_size(g)) {
		row = &schema[g];
		s = config_setting_get_member(L->root, row->group);
		if (!s && (row->flags & F_REQ)) {
			problem(L, NULL, NULL, "missing required group '%s'",
				row->group);
		} else if (s && !config_setting_is_group(s)) {
			wrong_type(L, s, row->group, "a group { ... }");
			s = NULL;
		}
		load_fields(L, row + 1, group_size(g), s, c, row->group,
			    row->group);
	}
}

/* ------------------------------------------------------ cross-key checks */

/* group.key's setting if present, else the group's, else NULL: what a
 * message points at. */
static const config_setting_t *locate(const struct loader *L,
				      const char *group, const char *key)
{
	const config_setting_t *g, *k;

	g = config_setting_get_member(L->root, group);
	if (!g || !config_setting_is_group(g))
		return NULL;
	k = key ? config_setting_get_member(g, key) : NULL;
	return k ? k : g;
}

/* The member `name` of entry i of list group.key, for messages. */
static const config_setting_t *entry_member(const struct loader *L,
					    const char *group, const char *key,
					    size_t i, const char *name)
{
	const config_setting_t *list = locate(L, group, key), *e, *m;

	if (!list || !config_setting_is_list(list))
		return list;
	e = config_setting_get_elem(list, (unsigned)i);
	if (!e || !config_setting_is_group(e))
		return e;
	m = config_setting_get_member(e, name);
	return m ? m : e;
}

static void check_deploy(struct loader *L, struct conf *c)
{
	struct conf_deploycfg *d = &c->deploycfg;
	const config_setting_t *g = locate(L, "deploycfg", NULL);
	char q[96];

	if (!g) { /* no deploycfg group: this instance does not upload */
		d->upload_policy = CONF_UPLOAD_NONE;
		return;
	}
	if (d->upload_policy != CONF_UPLOAD_NONE &&
	    !config_setting_get_member(g, "bucket_name"))
		problem(L, g, "deploycfg.bucket_name", "missing required key "
			"(required unless upload_policy is \"none\")");
	if (d->signing_command.n > 0 && d->signing_command.v[0] &&
	    d->signing_command.v[0][0] != '/')
		problem(L, locate(L, "deploycfg", "signing_command"),
			"deploycfg.signing_command", "not an absolute path "
			"(expected the command's absolute path first, got %s)",
			quote(q, sizeof(q), d->signing_command.v[0]));
}

/* target of entry i of a list whose entries start with `char *target`. */
static const char *target_at(const struct conf *c, const struct field *row,
			     size_t i)
{
	const char *arr = get_ptr(c, row->off);
	char *t;

	memcpy(&t, arr + i * row->entry->size, sizeof(t));
	return t;
}

_Static_assert(offsetof(struct conf_arch_target, target) == 0 &&
		       offsetof(struct conf_repo_target, target) == 0,
	       "target_at() reads the first member");

/* Reports a problem with the target of entry i of list `row`. */
static void target_problem(struct loader *L, const struct field *row,
			   size_t i, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void target_problem(struct loader *L, const struct field *row,
			   size_t i, const char *fmt, ...)
{
	const config_setting_t *s;
	struct buf p = BUF_INIT(256);
	va_list ap;

	s = entry_member(L, row->group, row->key, i, "target");
	if (buf_addf(&p, "%s.%s[%zu].target", row->group, row->key, i) < 0) {
		out_of_memory(L);
		return;
	}
	L->errors++;
	va_start(ap, fmt);
	vnote(L, 0, file_of(s), line_of(s), p.s, fmt, ap);
	va_end(ap);
	buf_release(&p);
}

/* 1 if a and b name the same job directory: a target's directory name
 * is the target with '_' for '/' (lib/core/target.h). */
static int same_dir_name(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (*a != *b && !(strchr("/_", *a) && strchr("/_", *b)))
			return 0;
	return *a == *b;
}

static void check_unique_targets(struct loader *L, const struct conf *c,
				 const struct field *row)
{
	size_t n = get_size(c, row->off_n), i, j;
	const char *ti, *tj;
	char q[96], q2[96];

	for (j = 1; j < n; j++) {
		if (!(tj = target_at(c, row, j)))
			continue;
		for (i = 0; i < j; i++) {
			unsigned first;

			if (!(ti = target_at(c, row, i)) || !same_dir_name(ti, tj))
				continue;
			first = line_of(entry_member(L, row->group, row->key, i,
						     "target"));
			if (strcmp(ti, tj) == 0)
				target_problem(L, row, j, "duplicate target %s "
					       "(first at line %u)",
					       quote(q, sizeof(q), tj), first);
			else
				target_problem(L, row, j, "target %s would share "
					       "its job directory name with %s "
					       "(line %u): '/' and '_' both "
					       "become '_'", quote(q, sizeof(q), tj),
					       quote(q2, sizeof(q2), ti), first);
			break;
		}
	}
}

static const struct field *schema_row(const char *group, const char *key)
{
	for (size_t i = 0; i < NELEM(schema); i++)
		if (schema[i].key && strcmp(schema[i].group, group) == 0 &&
		    strcmp(schema[i].key, key) == 0)
			return &schema[i];
	return NULL;
}

static void check_targets(struct loader *L, const struct conf *c)
{
	const struct field *arch = schema_row("architecturetargets",
					      "arch_target_map");
	const struct field *repo = schema_row("repo_targets",
					      "repo_target_map");
	const struct conf_repo_targets *r = &c->repo_targets;
	char q[96];

	check_unique_targets(L, c, arch);
	check_unique_targets(L, c, repo);
	for (size_t i = 0; i < r->n_repo_target_map; i++) {
		const char *t = r->repo_target_map[i].target;

		if (t && !conf_arch_target(c, t))
			target_problem(L, repo, i, "unknown target %s (expected "
				       "one of the targets of architecturetargets"
				       ".arch_target_map)", quote(q, sizeof(q), t));
	}
}

static int strv_has(const struct conf_strv *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (sv->v[i] && strcmp(sv->v[i], s) == 0)
			return 1;
	return 0;
}

/* 1 if an sbatch argument list holds sbatch's --hold (or -H). */
static int has_hold(const struct conf_strv *sv)
{
	return strv_has(sv, "--hold") || strv_has(sv, "-H");
}

/* Whether group.key is absent or a list (so its value was loaded): no
 * warning about a value that was already reported as wrong. */
static int list_or_absent(const struct loader *L, const char *group,
			  const char *key)
{
	const config_setting_t *s = locate(L, group, key);

	return !s || !config_setting_name(s) ||
	       strcmp(config_setting_name(s), key) != 0 ||
	       config_setting_is_array(s) || config_setting_is_list(s);
}

static void warn_risky(struct loader *L, const struct conf *c)
{
	if (c->buildenv.build_permission.n == 0)
		warning(L, locate(L, "buildenv", "build_permission"),
			"buildenv.build_permission", "empty: nobody may start "
			"builds (list the GitHub logins allowed to)");
	if (c->deploycfg.upload_policy != CONF_UPLOAD_NONE &&
	    c->deploycfg.deploy_permission.n == 0)
		warning(L, locate(L, "deploycfg", "deploy_permission"),
			"deploycfg.deploy_permission", "empty: NOBODY may "
			"deploy (the original bot let anyone deploy; list the "
			"GitHub logins allowed to)");
	if (c->buildenv.job_handover_protocol == CONF_HANDOVER_HOLD_RELEASE &&
	    list_or_absent(L, "buildenv", "slurm_params") &&
	    !has_hold(&c->buildenv.slurm_params))
		warning(L, locate(L, "buildenv", "slurm_params"),
			"buildenv.slurm_params", "no \"--hold\": jobs may start "
			"before the manager releases them");
}

/* Whether group.key is written in the file (rather than defaulted). */
static int is_written(const struct loader *L, const char *group,
		      const char *key)
{
	const config_setting_t *g = config_setting_get_member(L->root, group);

	return g && config_setting_is_group(g) &&
	       config_setting_get_member(g, key) != NULL;
}

/* job_handover_protocol "delayed_begin": nobody releases a job, so a held
 * one would never start.  The default slurm_params, [ "--hold" ], belongs
 * to "hold_release": when the key is left out, the list is empty instead;
 * a "--hold" written in it, or in a target's sbatch list, is a problem. */
static void check_handover(struct loader *L, struct conf *c)
{
	static const char never[] = "\"--hold\" with job_handover_protocol "
		"\"delayed_begin\": the jobs would never start, as nobody "
		"releases them (expected no \"--hold\" or \"-H\", or "
		"job_handover_protocol \"hold_release\")";
	struct conf_buildenv *b = &c->buildenv;
	const struct conf_architecturetargets *a = &c->architecturetargets;
	char path[96];

	if (b->job_handover_protocol != CONF_HANDOVER_DELAYED_BEGIN)
		return;
	if (!is_written(L, "buildenv", "slurm_params")) {
		strv_free(&b->slurm_params);
		b->slurm_params.v = NULL;
		b->slurm_params.n = 0;
	} else if (has_hold(&b->slurm_params)) {
		problem(L, locate(L, "buildenv", "slurm_params"),
			"buildenv.slurm_params", "%s", never);
	}
	for (size_t i = 0; i < a->n_arch_target_map; i++) {
		if (!has_hold(&a->arch_target_map[i].sbatch))
			continue;
		if (snprintf(path, sizeof(path), "architecturetargets."
			     "arch_target_map[%zu].sbatch", i) >=
		    (int)sizeof(path))
			path[0] = '\0'; /* cannot happen: i <= CONF_MAX_LIST */
		problem(L, entry_member(L, "architecturetargets",
					"arch_target_map", i, "sbatch"),
			path, "%s", never);
	}
}

/* ------------------------------------------------------------- loading */

static int check_file(struct loader *L)
{
	struct stat st;
	int fd = open(L->path, O_RDONLY | O_CLOEXEC), rc = -1;

	if (fd < 0) {
		problem(L, NULL, NULL, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0)
		problem(L, NULL, NULL, "cannot stat: %s", strerror(errno));
	else if (!S_ISREG(st.st_mode))
		problem(L, NULL, NULL, "not a regular file");
	else if (st.st_size > CONF_MAX_FILE)
		problem(L, NULL, NULL, "too big (expected at most %d bytes, got "
			"%lld)", CONF_MAX_FILE, (long long)st.st_size);
	else
		rc = 0;
	close(fd);
	return rc;
}

/* libconfig 1.5 opens an @include target with fopen() and, when reading it
 * fails (a directory: fopen() succeeds, read() does not), its scanner
 * exit()s the whole process ("input in flex scanner failed"; found by
 * t/fuzz/fuzz_conf).  So every @include target that exists is checked
 * first to be a regular file, and the files it includes in turn.  Lines
 * are matched as libconfig's scanner does (^[ \t]*@include[ \t]+"NAME",
 * NAME with \\ and \" escapes, any other backslash dropped; relative to
 * the directory of app.cfg), also
 * inside comments: an include of a directory is refused even there.
 * A target that does not exist is left to libconfig to report.  Returns
 * -1 (reported), 0, or 1 when the nesting is too deep (checking stops:
 * libconfig reports that, before it reads anything deeper). */
#define CONF_INCLUDE_DEPTH 10 /* libconfig's own limit */

static int check_includes_in(struct loader *L, const char *shown,
			     const char *file, int depth);

/* The target of the @include line at p (end: its end), or NULL. */
static char *include_target(const char *p, const char *end)
{
	struct buf name = BUF_INIT(PATH_MAX);

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if ((size_t)(end - p) < 9 || memcmp(p, "@include", 8) != 0 ||
	    (p[8] != ' ' && p[8] != '\t'))
		return NULL;
	for (p += 8; p < end && (*p == ' ' || *p == '\t'); p++)
		;
	if (p == end || *p++ != '"')
		return NULL;
	for (; p < end && *p != '"'; p++) {
		if (*p == '\\') { /* \\ and \" escape; another '\\' is dropped */
			if (p + 1 == end || (p[1] != '\\' && p[1] != '"'))
				continue;
			p++;
		}
		if (buf_addch(&name, *p) < 0) {
			buf_release(&name);
			return NULL;
		}
	}
	if (p == end) {
		buf_release(&name);
		return NULL;
	}
	return buf_detach(&name, NULL);
}

/* Checks the target name of an @include at line of shown (NULL: app.cfg). */
static int check_include(struct loader *L, const char *shown, unsigned line,
			 const char *name, int depth)
{
	struct buf path = BUF_INIT(PATH_MAX);
	struct stat st;
	int rc = 0;

	if (name[0] == '/' || !L->dir)
		rc = buf_adds(&path, name);
	else
		rc = buf_addf(&path, "%s/%s", L->dir, name);
	if (rc < 0 || stat(path.s, &st) < 0) {
		rc = 0; /* libconfig says what is wrong with it */
	} else if (!S_ISREG(st.st_mode)) {
		problem_at(L, shown, line, "@include \"%.200s\": not a regular "
			   "file", name);
		rc = -1;
	} else if (depth >= CONF_INCLUDE_DEPTH) {
		rc = 1; /* stop here: libconfig reports the nesting */
	} else {
		rc = check_includes_in(L, name, path.s, depth + 1);
	}
	buf_release(&path);
	return rc;
}

static int check_includes_in(struct loader *L, const char *shown,
			     const char *file, int depth)
{
	struct buf text = BUF_INIT(CONF_MAX_FILE);
	char chunk[4096];
	const char *p, *end;
	unsigned line = 1;
	int fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK), rc = 0;
	ssize_t n;

	if (fd < 0)
		return 0; /* libconfig reports it */
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if (buf_add(&text, chunk, (size_t)n) < 0)
			break; /* too big: what was read is checked */
	close(fd);
	for (p = text.s, end = text.s + text.len; p < end && rc == 0; line++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		char *name = include_target(p, eol);

		if (name)
			rc = check_include(L, shown, line, name, depth);
		free(name);
		p = nl ? nl + 1 : end;
	}
	buf_release(&text);
	return rc;
}

/* 1 if the file's first line that is neither blank nor a comment is an
 * INI section header ("[github]"): the original bot's app.cfg. */
static int looks_ini(const char *path)
{
	char line[256];
	FILE *f = fopen(path, "re");
	int yes = 0;

	while (f && fgets(line, sizeof(line), f)) {
		const char *p = line + strspn(line, " \t");

		if (*p == '\n' || *p == '\r' || *p == '\0' || *p == '#' || *p == ';' ||
		    (p[0] == '/' && p[1] == '/'))
			continue;
		yes = p[0] == '[' && strspn(p + 1, "abcdefghijklmnopqrstuvwxyz_") > 0 &&
		      p[1 + strspn(p + 1, "abcdefghijklmnopqrstuvwxyz_")] == ']';
		break;
	}
	if (f)
		(void)fclose(f); /* read only */
	return yes;
}

static void syntax_error(struct loader *L, const config_t *cfg)
{
	const char *text = config_error_text(cfg);
	const char *file = config_error_file(cfg);
	int line = config_error_line(cfg);
	unsigned at = line > 0 ? (unsigned)line : 0;

	if (config_error_type(cfg) == CONFIG_ERR_FILE_IO && !file)
		problem_at(L, NULL, 0, "cannot read: %s", text ? text : "?");
	else if (!text || strcmp(text, "syntax error") == 0)
		problem_at(L, file, at, "syntax error");
	else
		problem_at(L, file, at, "syntax error: %s", text);
	if (config_error_type(cfg) == CONFIG_ERR_PARSE && looks_ini(L->path))
		problem_at(L, L->path, 0, "this is an INI file, as the original "
			   "(Python) bot's app.cfg: convert it with "
			   "eessi-bot-convert-config %s", L->path);
}

/* The directory of path, for relative @include lines; NULL: the current
 * directory (or no memory, which then only affects includes). */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return NULL;
	return slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));
}

int conf_load(const char *path, const struct conf_env *env, struct conf **out,
	      struct buf *report)
{
	static const struct conf_env no_env = {NULL, NULL};
	char *dir = dir_of(path);
	struct loader L = {path, dir, env ? env : &no_env, NULL, report, 0, 0,
			   0, NULL, 0, 0};
	struct conf *c = NULL;
	config_t cfg;
	int rc = -1;

	*out = NULL;
	config_init(&cfg);
	if (check_file(&L) < 0 || check_includes_in(&L, NULL, path, 0) < 0)
		goto done;
	if (dir)
		config_set_include_dir(&cfg, dir);
	if (!config_read_file(&cfg, path)) {
		syntax_error(&L, &cfg);
		goto done;
	}
	if (!(c = calloc(1, sizeof(*c))) || !(c->path = strdup(path))) {
		out_of_memory(&L);
		goto done;
	}
	L.root = config_root_setting(&cfg);
	load_groups(&L, c);
	check_deploy(&L, c);
	check_targets(&L, c);
	check_handover(&L, c);
	warn_risky(&L, c);
	if (L.errors == 0) {
		*out = c;
		c = NULL;
		rc = 0;
	}
done:
	flush_notes(&L);
	conf_free(c);
	config_destroy(&cfg);
	free(dir);
	return rc;
}

/* ------------------------------------------------------------- freeing */

static void strv_free(struct conf_strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
}

static void free_fields(void *base, const struct field *f, size_t n);

static void free_entries(void *base, const struct field *f)
{
	char *arr = get_ptr(base, f->off);
	size_t n = get_size(base, f->off_n);

	for (size_t i = 0; i < n; i++)
		free_fields(arr + i * f->entry->size, f->entry->fields,
			    f->entry->nfields);
	free(arr);
}

static void free_fields(void *base, const struct field *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switch (f[i].type) {
		case T_STR:
			free(*(char **)slot(base, f[i].off));
			break;
		case T_STRV:
			strv_free(slot(base, f[i].off));
			break;
		case T_GLIST:
			free_entries(base, &f[i]);
			break;
		case T_INT:
		case T_ENUM:
		case T_GROUP:
			break;
		}
	}
}

void conf_free(struct conf *c)
{
	if (!c)
		return;
	free_fields(c, schema, NELEM(schema));
	free(c->path);
	free(c);
}

/* ------------------------------------------------------------- dumping */

/* s as a libconfig string literal. */
static int dump_str(struct buf *out, const char *s)
{
	int rc = buf_addch(out, '"');

	for (; *s && rc == 0; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			rc = buf_addf(out, "\\%c", ch);
		else if (ch == '\n')
			rc = buf_adds(out, "\\n");
		else if (ch == '\t')
			rc = buf_adds(out, "\\t");
		else if (ch < ' ' || ch == 0x7f)
			rc = buf_addf(out, "\\x%02x", ch);
		else
			rc = buf_addch(out, (char)ch);
	}
	return rc < 0 ? -1 : buf_addch(out, '"');
}

static int dump_strv(struct buf *out, const struct conf_strv *sv)
{
	if (buf_addch(out, '[') < 0)
		return -1;
	for (size_t i = 0; i < sv->n; i++)
		if (buf_adds(out, i ? ", " : " ") < 0 ||
		    dump_str(out, sv->v[i] ? sv->v[i] : "") < 0)
			return -1;
	return buf_adds(out, " ]");
}

static int dump_fields(struct buf *out, const struct field *f, size_t n,
		       const void *base, int indent);

static int dump_entries(struct buf *out, const struct field *f,
			const void *base, int indent)
{
	const char *arr = get_ptr(base, f->off);
	size_t n = get_size(base, f->off_n);

	if (n == 0)
		return buf_adds(out, "( )");
	if (buf_adds(out, "(\n") < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (buf_addf(out, "%*s{\n", indent + 2, "") < 0 ||
		    dump_fields(out, f->entry->fields, f->entry->nfields,
				arr + i * f->entry->size, indent + 4) < 0 ||
		    buf_addf(out, "%*s}%s\n", indent + 2, "",
			     i + 1 < n ? "," : "") < 0)
			return -1;
	}
	return buf_addf(out, "%*s)", indent, "");
}

/* Whether the field has no value (an optional key left out). */
static int is_unset(const struct field *f, const void *base)
{
	if (f->type == T_STR)
		return *(char *const *)cslot(base, f->off) == NULL;
	if (f->type == T_STRV)
		return ((const struct conf_strv *)cslot(base, f->off))->n == 0 &&
		       (f->flags & F_NONEMPTY);
	return 0;
}

static int dump_value(struct buf *out, const struct field *f,
		      const void *base, int indent)
{
	long long v;
	int i;

	switch (f->type) {
	case T_INT:
		v = *(const long long *)cslot(base, f->off);
		return buf_addf(out, "%lld%s", v,
				v > INT_MAX || v < INT_MIN ? "L" : "");
	case T_STR:
		return dump_str(out, *(char *const *)cslot(base, f->off));
	case T_ENUM:
		i = get_int(base, f->off);
		return dump_str(out, enum_name(f->names, i));
	case T_STRV:
		return dump_strv(out, cslot(base, f->off));
	case T_GLIST:
		return dump_entries(out, f, base, indent);
	case T_GROUP:
		break;
	}
	return 0;
}

static int dump_fields(struct buf *out, const struct field *f, size_t n,
		       const void *base, int indent)
{
	for (size_t i = 0; i < n; i++) {
		if (is_unset(&f[i], base)) {
			if (buf_addf(out, "%*s# %s is not set\n", indent, "",
				     f[i].key) < 0)
				return -1;
			continue;
		}
		if (buf_addf(out, "%*s%s = ", indent, "", f[i].key) < 0 ||
		    dump_value(out, &f[i], base, indent) < 0 ||
		    buf_adds(out, ";\n") < 0)
			return -1;
	}
	return 0;
}

int conf_dump(const struct conf *c, struct buf *out)
{
	if (buf_adds(out, "# settings in effect, loaded from ") < 0 ||
	    dump_str(out, c->path) < 0 || buf_addch(out, '\n') < 0)
		return -1;
	for (size_t g = 0; g < NELEM(schema); g += 1 + group_size(g)) {
		if (buf_addf(out, "\n%s = {\n", schema[g].group) < 0 ||
		    dump_fields(out, &schema[g + 1], group_size(g), c, 2) < 0 ||
		    buf_adds(out, "};\n") < 0)
			return -1;
	}
	return 0;
}

/* --------------------------------------------------------------- helpers */

void conf_env_from_process(struct conf_env *env)
{
	const struct passwd *pw = NULL;
	const char *home = getenv("HOME"), *user = getenv("USER");

	if (!home || !*home || !user || !*user)
		pw = getpwuid(getuid());
	env->home = home && *home ? home : pw ? pw->pw_dir : NULL;
	env->user = user && *user ? user : pw ? pw->pw_name : NULL;
}

int conf_has_login(const struct conf_strv *logins, const char *login)
{
	for (size_t i = 0; i < logins->n; i++)
		if (logins->v[i] && strcasecmp(logins->v[i], login) == 0)
			return 1;
	return 0;
}

const struct conf_arch_target *conf_arch_target(const struct conf *c,
						const char *target)
{
	const struct conf_architecturetargets *a = &c->architecturetargets;

	for (size_t i = 0; i < a->n_arch_target_map; i++)
		if (a->arch_target_map[i].target &&
		    strcmp(a->arch_target_map[i].target, target) == 0)
			return &a->arch_target_map[i];
	return NULL;
}

const char *conf_upload_policy_name(enum conf_upload_policy p)
{
	if ((unsigned)p < sizeof(upload_names) / sizeof(upload_names[0]) - 1)
		return upload_names[p];
	return "?";
}

const char *conf_chatlevel_name(enum conf_chatlevel l)
{
	if ((unsigned)l < sizeof(chat_names) / sizeof(chat_names[0]) - 1)
		return chat_names[l];
	return "?";
}
