/* convert.c - the original bot's INI app.cfg into ours (see convert.h).
 * Layer: core (README, "Map of the code"). */
#include "convert.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "ini.h"

#define SKIP_MAX 64     /* lines skipped before giving up */
#define TARGETS_MAX 64  /* arch targets gathered from the maps */
#define ACCEL_MAX 8

enum group { G_GITHUB, G_BOT, G_BUILD, G_DEPLOY, G_ARCH, G_REPO, G_EVENT,
	     G_JOB, G_CLEAN, G_N };

static const char *const group_names[G_N] = {
	"github", "bot_control", "buildenv", "deploycfg", "architecturetargets",
	"repo_targets", "event_handler", "job_manager", "clean_up",
};

enum kind {
	K_STR,   /* a string, as it is; empty: unset */
	K_INT,   /* a decimal integer */
	K_WORDS, /* logins separated by blanks: a list */
	K_COMMA, /* items separated by commas: a list */
	K_SHELL, /* sbatch words, split as a shell would: a list */
	K_DROP,  /* not mapped: why */
	K_FN,    /* its own function */
};

struct target {
	char name[128];
	struct buf sbatch; /* the list's items: "\"a\", \"b\"" */
	char accel[ACCEL_MAX][64];
	int naccel;
	char node_type[64];
	struct buf repos;  /* the list's items */
};

struct cv {
	struct buf g[G_N];
	struct buf *notes;
	const char *name;
	const char *sec, *key;
	size_t line;
	struct target t[TARGETS_MAX];
	int nt;
	int nnotes;
	int failed; /* a cap was hit */
};

struct map {
	const char *sec, *key;
	enum kind k;
	enum group g;
	const char *to; /* the new key; NULL: the same */
	const char *why; /* K_DROP */
	void (*fn)(struct cv *c, const char *v);
};

static void note(struct cv *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void note(struct cv *c, const char *fmt, ...)
{
	va_list ap;

	if ((c->sec ? buf_addf(c->notes, "%s:%zu: [%s] %s: ", c->name, c->line,
			       c->sec, c->key)
		    : buf_addf(c->notes, "%s:%zu: ", c->name, c->line)) < 0)
		c->failed = 1;
	va_start(ap, fmt);
	if (buf_vaddf(c->notes, fmt, ap) < 0 || buf_addch(c->notes, '\n') < 0)
		c->failed = 1;
	va_end(ap);
	c->nnotes++;
}

/* s as a libconfig string literal. */
static void quoted(struct cv *c, struct buf *b, const char *s)
{
	int rc = buf_addch(b, '"');

	for (; *s && rc == 0; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			rc = buf_addf(b, "\\%c", ch);
		else if (ch == '\n')
			rc = buf_adds(b, "\\n");
		else if (ch == '\t')
			rc = buf_adds(b, "\\t");
		else if (ch < 0x20 || ch == 0x7f)
			rc = buf_addf(b, "\\x%02x", ch);
		else
			rc = buf_addch(b, (char)ch);
	}
	if (rc < 0 || buf_addch(b, '"') < 0)
		c->failed = 1;
}

static void put_str(struct cv *c, enum group g, const char *key, const char *v)
{
	if (buf_addf(&c->g[g], "  %s = ", key) < 0)
		c->failed = 1;
	quoted(c, &c->g[g], v);
	if (buf_adds(&c->g[g], ";\n") < 0)
		c->failed = 1;
}

/* Appends ", " between items of a list being built in b. */
static void item(struct cv *c, struct buf *b, const char *s)
{
	if (b->len && buf_adds(b, ", ") < 0)
		c->failed = 1;
	quoted(c, b, s);
}

static void put_list(struct cv *c, enum group g, const char *key,
		     const struct buf *items)
{
	if (buf_addf(&c->g[g], "  %s = [ %s%s];\n", key, items->s,
		     items->len ? " " : "") < 0)
		c->failed = 1;
}

/* Splits v at any of seps into list items (empty ones dropped). */
static void split(struct cv *c, const char *v, const char *seps,
		  struct buf *items)
{
	char word[1024];

	while (*v) {
		size_t n;

		v += strspn(v, seps);
		n = strcspn(v, seps);
		if (!n)
			break;
		if (n >= sizeof(word)) {
			note(c, "a word over %zu bytes: left out", sizeof(word) - 1);
		} else {
			memcpy(word, v, n);
			word[n] = '\0';
			item(c, items, word);
		}
		v += n;
	}
}

/* Splits v as a shell splits words (quotes and backslashes, no expansion)
 * into list items.  -1 on an unclosed quote. */
static int shell_words(struct cv *c, const char *v, struct buf *items)
{
	struct buf w = BUF_INIT(4096);
	int rc = 0, in = 0;
	char q = 0;

	for (;; v++) {
		if (!*v || (!q && (*v == ' ' || *v == '\t' || *v == '\n'))) {
			if (in)
				item(c, items, w.s);
			buf_clear(&w);
			in = 0;
			if (!*v)
				break;
			continue;
		}
		in = 1;
		if (q && *v == q)
			q = 0;
		else if (!q && (*v == '"' || *v == '\''))
			q = *v;
		else if (*v == '\\' && q != '\'' && v[1])
			rc |= buf_addch(&w, *++v);
		else
			rc |= buf_addch(&w, *v);
	}
	buf_release(&w);
	if (rc < 0)
		c->failed = 1;
	return q ? -1 : 0;
}

static int is_int(const char *v)
{
	size_t n = strspn(v + (*v == '-'), "0123456789");

	return n > 0 && n < 19 && v[(*v == '-') + n] == '\0';
}

/* v parsed as JSON of type t, or NULL (noted). */
static struct json_object *json_of(struct cv *c, const char *v, json_type t)
{
	struct json_object *o = json_tokener_parse(v);

	if (!o || !json_object_is_type(o, t)) {
		note(c, "not a JSON %s: not mapped",
		     t == json_type_object ? "object" : "array");
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* ---- the target maps ---------------------------------------------------- */

static struct target *target(struct cv *c, const char *name)
{
	struct target *t;

	for (int i = 0; i < c->nt; i++)
		if (strcmp(c->t[i].name, name) == 0)
			return &c->t[i];
	if (c->nt == TARGETS_MAX || strlen(name) >= sizeof(t->name)) {
		note(c, "target %.100s: too many targets or too long a name: "
		     "left out", name);
		return NULL;
	}
	t = &c->t[c->nt++];
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	buf_init(&t->sbatch, 16 * 1024);
	buf_init(&t->repos, 16 * 1024);
	return t;
}

static void sbatch_of(struct cv *c, struct target *t, const char *params)
{
	if (t->sbatch.len) {
		note(c, "target %s has sbatch parameters already: \"%.200s\" "
		     "not kept (this bot has one set per target)", t->name,
		     params);
		return;
	}
	if (shell_words(c, params, &t->sbatch) < 0)
		note(c, "target %s: an unclosed quote in \"%.200s\"", t->name,
		     params);
}

static void fn_arch_map(struct cv *c, const char *v)
{
	struct json_object *o = json_of(c, v, json_type_object);
	struct target *t;

	if (!o)
		return;
	json_object_object_foreach(o, name, params) {
		if (!json_object_is_type(params, json_type_string)) {
			note(c, "target %.100s: its value is not a string", name);
			continue;
		}
		if ((t = target(c, name)))
			sbatch_of(c, t, json_object_get_string(params));
	}
	json_object_put(o);
}

static const char *str_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static void add_repos(struct cv *c, struct target *t, struct json_object *a)
{
	size_t n = json_object_array_length(a);

	for (size_t i = 0; i < n; i++) {
		struct json_object *r = json_object_array_get_idx(a, i);

		if (json_object_is_type(r, json_type_string))
			item(c, &t->repos, json_object_get_string(r));
		else
			note(c, "target %s: a repository that is not a string",
			     t->name);
	}
}

static void node_type(struct cv *c, const char *name, struct json_object *n)
{
	const char *os = str_of(n, "os"), *cpu = str_of(n, "cpu_subdir");
	const char *accel = str_of(n, "accel"), *params = str_of(n, "slurm_params");
	struct json_object *repos;
	struct target *t;
	char tname[256];

	if (!os || !cpu) {
		note(c, "node type %.100s: no os or cpu_subdir: left out", name);
		return;
	}
	snprintf(tname, sizeof(tname), "%s/%s", os, cpu);
	if (!(t = target(c, tname)))
		return;
	if (*t->node_type)
		note(c, "node type %.100s is a second one for %s (after %s): its "
		     "accelerator joins that target, its sbatch words (%.200s) do "
		     "not", name, tname, t->node_type, params ? params : "none");
	else if (snprintf(t->node_type, sizeof(t->node_type), "%s", name) > 0 &&
		 params)
		sbatch_of(c, t, params);
	if (accel && *accel && strcmp(accel, "None") != 0) {
		if (t->naccel < ACCEL_MAX && strlen(accel) < sizeof(t->accel[0]))
			snprintf(t->accel[t->naccel++], sizeof(t->accel[0]), "%s",
				 accel);
		else
			note(c, "node type %.100s: accelerator %.100s left out",
			     name, accel);
	}
	if (json_object_object_get_ex(n, "repo_targets", &repos) &&
	    json_object_is_type(repos, json_type_array) && !t->repos.len)
		add_repos(c, t, repos);
}

static void fn_node_map(struct cv *c, const char *v)
{
	struct json_object *o = json_of(c, v, json_type_object);

	if (!o)
		return;
	json_object_object_foreach(o, name, n) {
		if (json_object_is_type(n, json_type_object))
			node_type(c, name, n);
		else
			note(c, "node type %.100s: not a JSON object", name);
	}
	json_object_put(o);
}

static void fn_repo_map(struct cv *c, const char *v)
{
	struct json_object *o = json_of(c, v, json_type_object);
	struct target *t;

	if (!o)
		return;
	json_object_object_foreach(o, name, repos) {
		if (!json_object_is_type(repos, json_type_array))
			note(c, "target %.100s: not a list of repositories", name);
		else if ((t = target(c, name)))
			add_repos(c, t, repos);
	}
	json_object_put(o);
}

/* ---- other keys of their own ----------------------------------------- */

/* A refusal text: the original's {build_labeler} / {deploy_labeler}
 * placeholder is not filled in here (the reply answers the person). */
static void fn_refusal(struct cv *c, const char *v)
{
	const char *ph = strstr(c->key, "deploy") ? "{deploy_labeler}"
						  : "{build_labeler}";
	enum group g = strstr(c->key, "deploy") ? G_DEPLOY : G_BUILD;
	struct buf t = BUF_INIT(64 * 1024);
	const char *p;

	if (!*v)
		goto out;
	while ((p = strstr(v, ph))) {
		if (buf_add(&t, v, (size_t)(p - v)) < 0 || buf_adds(&t, "this account") < 0)
			c->failed = 1;
		v = p + strlen(ph);
	}
	if (t.len)
		note(c, "%s is not filled in here: written as \"this account\"", ph);
	if (buf_adds(&t, v) < 0)
		c->failed = 1;
	put_str(c, g, c->key, t.s);
out:
	buf_release(&t);
}

static void fn_cvmfs(struct cv *c, const char *v)
{
	struct json_object *o = json_of(c, v, json_type_object);
	struct buf *b = &c->g[G_BUILD];
	int first = 1;

	if (!o)
		return;
	json_object_object_foreach(o, file, line) {
		if (!json_object_is_type(line, json_type_string)) {
			note(c, "%.100s: not a string: left out", file);
			continue;
		}
		if (buf_adds(b, first ? "  cvmfs_customizations = (\n" : ",\n") < 0 ||
		    buf_adds(b, "    { file = ") < 0)
			c->failed = 1;
		quoted(c, b, file);
		if (buf_adds(b, "; line = ") < 0)
			c->failed = 1;
		quoted(c, b, json_object_get_string(line));
		if (buf_adds(b, "; }") < 0)
			c->failed = 1;
		first = 0;
	}
	if (!first && buf_adds(b, "\n  );\n") < 0)
		c->failed = 1;
	json_object_put(o);
}

/* An exact NAME=VALUE as an extended regular expression matching it. */
static void ere_literal(struct cv *c, const char *s, struct buf *out)
{
	for (; *s; s++)
		if ((strchr(".[](){}*+?|^$\\", *s) && buf_addch(out, '\\') < 0) ||
		    buf_addch(out, *s) < 0)
			c->failed = 1;
}

static void fn_exportvars(struct cv *c, const char *v)
{
	struct json_object *o = json_of(c, v, json_type_array);
	struct buf items = BUF_INIT(64 * 1024), re = BUF_INIT(4096);
	size_t n;

	if (!o)
		goto out;
	n = json_object_array_length(o);
	for (size_t i = 0; i < n; i++) {
		struct json_object *s = json_object_array_get_idx(o, i);
		const char *t = json_object_is_type(s, json_type_string)
					? json_object_get_string(s) : NULL;

		if (!t || !strchr(t, '=')) {
			note(c, "entry %zu is not NAME=VALUE: left out", i + 1);
			continue;
		}
		buf_clear(&re);
		ere_literal(c, t, &re);
		item(c, &items, re.s);
	}
	put_list(c, G_BUILD, "allowed_jobargs", &items);
out:
	json_object_put(o);
	buf_release(&items);
	buf_release(&re);
}

static void fn_update_opts(struct cv *c, const char *v)
{
	if (*v && strcmp(v, "false") != 0 && strcmp(v, "False") != 0)
		note(c, "sbatch options from a PR are admitted one by one here, "
		     "by patterns in buildenv.allowed_submitargs (none now)");
}

static void fn_clone_via(struct cv *c, const char *v)
{
	if (*v && strcmp(v, "https") != 0)
		note(c, "\"%.60s\": not mapped: this bot fetches over https "
		     "(github.git_url, default https://github.com)", v);
}

static void fn_deployers(struct cv *c, const char *v)
{
	struct buf items = BUF_INIT(64 * 1024);

	split(c, v, " \t\n,", &items);
	if (!items.len)
		note(c, "empty: the original let anyone deploy, here nobody may "
		     "until the logins are listed");
	put_list(c, G_DEPLOY, "deploy_permission", &items);
	buf_release(&items);
}

static void fn_bucket(struct cv *c, const char *v)
{
	struct json_object *o;

	if (*v != '{') {
		if (*v)
			put_str(c, G_DEPLOY, "bucket_name", v);
		return;
	}
	if (!(o = json_of(c, v, json_type_object)))
		return;
	json_object_object_foreach(o, repo, bucket) {
		if (!json_object_is_type(bucket, json_type_string))
			continue;
		note(c, "a bucket per repository: this bot uploads to one; the "
		     "first (%.100s, of %.100s) is used", json_object_get_string(bucket),
		     repo);
		put_str(c, G_DEPLOY, "bucket_name", json_object_get_string(bucket));
		break;
	}
	json_object_put(o);
}

/* ---- the table ------------------------------------------------------------ */

#define OWN "this bot's texts are its own (README, \"What the pull request sees\")"

static const struct map maps[] = {
	{ "github", "app_id", K_INT, G_GITHUB, NULL, NULL, NULL },
	{ "github", "app_name", K_STR, G_GITHUB, NULL, NULL, NULL },
	{ "github", "installation_id", K_INT, G_GITHUB, NULL, NULL, NULL },
	{ "github", "private_key", K_STR, G_GITHUB, NULL, NULL, NULL },
	{ "bot_control", "command_permission", K_WORDS, G_BOT, NULL, NULL, NULL },
	{ "bot_control", "chatlevel", K_STR, G_BOT, NULL, NULL, NULL },
	{ "bot_control", "command_response_fmt", K_DROP, G_BOT, NULL,
	  "replies here are a hidden marker line and the text: no template", NULL },
	{ "buildenv", "build_job_script", K_STR, G_BUILD, NULL, NULL, NULL },
	{ "buildenv", "shared_fs_path", K_STR, G_BUILD, NULL, NULL, NULL },
	{ "buildenv", "build_logs_dir", K_STR, G_BUILD, NULL, NULL, NULL },
	{ "buildenv", "container_cachedir", K_STR, G_BUILD, NULL, NULL, NULL },
	{ "buildenv", "cvmfs_customizations", K_FN, G_BUILD, NULL, NULL, fn_cvmfs },
	{ "buildenv", "http_proxy", K_STR, G_BUILD, NULL, NULL, NULL },
	{ "buildenv", "https_proxy", K_STR, G_BUILD, NULL, NULL, NULL },
	{ "buildenv", "job_name", K_DROP, G_BUILD, NULL,
	  "jobs are named bot-prN-TARGET here", NULL },
	{ "buildenv", "job_delay_begin_factor", K_INT, G_BUILD, NULL, NULL, NULL },
	{ "buildenv", "job_handover_protocol", K_STR, G_BUILD, NULL, NULL, NULL },
	{ "buildenv", "jobs_base_dir", K_STR, G_BUILD, NULL, NULL, NULL },
	{ "buildenv", "load_modules", K_COMMA, G_BUILD, NULL, NULL, NULL },
	{ "buildenv", "local_tmp", K_STR, G_BUILD, NULL, NULL, NULL },
	{ "buildenv", "site_config_script", K_STR, G_BUILD, NULL, NULL, NULL },
	{ "buildenv", "slurm_params", K_SHELL, G_BUILD, NULL, NULL, NULL },
	{ "buildenv", "submit_command", K_STR, G_BUILD, NULL, NULL, NULL },
	{ "buildenv", "build_permission", K_WORDS, G_BUILD, NULL, NULL, NULL },
	{ "buildenv", "no_build_permission_comment", K_FN, G_BUILD, NULL, NULL,
	  fn_refusal },
	{ "buildenv", "allow_update_submit_opts", K_FN, G_BUILD, NULL, NULL,
	  fn_update_opts },
	{ "buildenv", "allowed_exportvars", K_FN, G_BUILD, NULL, NULL, fn_exportvars },
	{ "buildenv", "clone_git_repo_via", K_FN, G_GITHUB, NULL, NULL, fn_clone_via },
	{ "deploycfg", "artefact_upload_script", K_DROP, G_DEPLOY, NULL,
	  "this bot uploads itself (endpoint_url, bucket_name, credentials_file)",
	  NULL },
	{ "deploycfg", "endpoint_url", K_STR, G_DEPLOY, NULL, NULL, NULL },
	{ "deploycfg", "bucket_name", K_FN, G_DEPLOY, NULL, NULL, fn_bucket },
	{ "deploycfg", "upload_policy", K_STR, G_DEPLOY, NULL, NULL, NULL },
	{ "deploycfg", "deploy_permission", K_FN, G_DEPLOY, NULL, NULL, fn_deployers },
	{ "deploycfg", "no_deploy_permission_comment", K_FN, G_DEPLOY, NULL, NULL,
	  fn_refusal },
	{ "deploycfg", "metadata_prefix", K_STR, G_DEPLOY, NULL, NULL, NULL },
	{ "deploycfg", "artefact_prefix", K_STR, G_DEPLOY, NULL, NULL, NULL },
	{ "deploycfg", "signing", K_DROP, G_DEPLOY, NULL,
	  "this bot signs with deploycfg.signing_command, one command (its argv) "
	  "for every repository", NULL },
	{ "architecturetargets", "arch_target_map", K_FN, G_ARCH, NULL, NULL,
	  fn_arch_map },
	{ "architecturetargets", "node_type_map", K_FN, G_ARCH, NULL, NULL,
	  fn_node_map },
	{ "repo_targets", "repos_cfg_dir", K_STR, G_REPO, NULL, NULL, NULL },
	{ "repo_targets", "repo_target_map", K_FN, G_REPO, NULL, NULL, fn_repo_map },
	{ "event_handler", "log_path", K_STR, G_EVENT, "log_file", NULL, NULL },
	{ "job_manager", "log_path", K_STR, G_JOB, "log_file", NULL, NULL },
	{ "job_manager", "job_ids_dir", K_STR, G_JOB, NULL, NULL, NULL },
	{ "job_manager", "poll_command", K_STR, G_JOB, NULL, NULL, NULL },
	{ "job_manager", "poll_interval", K_INT, G_JOB, NULL, NULL, NULL },
	{ "job_manager", "scontrol_command", K_STR, G_JOB, NULL, NULL, NULL },
	{ "clean_up", "trash_bin_dir", K_STR, G_CLEAN, NULL, NULL, NULL },
	{ "clean_up", "moved_job_dirs_comment", K_DROP, G_CLEAN, NULL,
	  "at chatlevel chatty this bot says so in its own words", NULL },
};

static const char *const text_sections[] = {
	"submitted_job_comments", "new_job_comments", "running_job_comments",
	"finished_job_comments", "download_pr_comments",
};

static const struct map *find_map(const char *sec, const char *key)
{
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		if (strcmp(maps[i].sec, sec) == 0 && strcmp(maps[i].key, key) == 0)
			return &maps[i];
	return NULL;
}

static void one(struct cv *c, const struct map *m, const char *v)
{
	const char *to = m->to ? m->to : m->key;
	struct buf items = BUF_INIT(64 * 1024);

	switch (m->k) {
	case K_STR:
		if (*v)
			put_str(c, m->g, to, v);
		break;
	case K_INT:
		if (is_int(v)) {
			if (buf_addf(&c->g[m->g], "  %s = %s;\n", to, v) < 0)
				c->failed = 1;
		} else if (*v) {
			note(c, "\"%.60s\" is not a number: left out", v);
		}
		break;
	case K_WORDS:
		split(c, v, " \t\n,", &items);
		put_list(c, m->g, to, &items);
		break;
	case K_COMMA:
		split(c, v, ",\n", &items);
		put_list(c, m->g, to, &items);
		break;
	case K_SHELL:
		if (shell_words(c, v, &items) < 0)
			note(c, "an unclosed quote: left out");
		else
			put_list(c, m->g, to, &items);
		break;
	case K_DROP:
		if (*v)
			note(c, "not mapped: %s", m->why);
		break;
	case K_FN:
		m->fn(c, v);
		break;
	}
	buf_release(&items);
}

static void entry(struct cv *c, const char *sec, const char *key, const char *v)
{
	const struct map *m = find_map(sec, key);

	if (m) {
		one(c, m, v);
		return;
	}
	for (size_t i = 0; i < sizeof(text_sections) / sizeof(text_sections[0]); i++)
		if (strcmp(sec, text_sections[i]) == 0) {
			note(c, "not mapped: %s", OWN);
			return;
		}
	note(c, "not a key of the original bot (v0.9): not mapped");
}

/* ---- output ---------------------------------------------------------------- */

static void targets_out(struct cv *c)
{
	struct buf *a = &c->g[G_ARCH], *r = &c->g[G_REPO];
	int repos = 0;

	if (c->nt && buf_adds(a, "  arch_target_map = (\n") < 0)
		c->failed = 1;
	for (int i = 0; i < c->nt; i++) {
		struct target *t = &c->t[i];

		if (buf_adds(a, "    { target = ") < 0)
			c->failed = 1;
		quoted(c, a, t->name);
		if (buf_addf(a, "; sbatch = [ %s%s]", t->sbatch.s,
			     t->sbatch.len ? " " : "") < 0)
			c->failed = 1;
		if (t->naccel) {
			struct buf items = BUF_INIT(4096);

			for (int k = 0; k < t->naccel; k++)
				item(c, &items, t->accel[k]);
			if (buf_addf(a, ";\n      accelerators = [ %s ]", items.s) < 0)
				c->failed = 1;
			buf_release(&items);
		}
		if (*t->node_type) {
			if (buf_adds(a, "; node_type = ") < 0)
				c->failed = 1;
			quoted(c, a, t->node_type);
		}
		if (buf_addf(a, "; }%s\n", i + 1 < c->nt ? "," : "") < 0)
			c->failed = 1;
		repos += t->repos.len > 0;
	}
	if (c->nt && buf_adds(a, "  );\n") < 0)
		c->failed = 1;
	if (!repos)
		return;
	if (buf_adds(r, "  repo_target_map = (\n") < 0)
		c->failed = 1;
	for (int i = 0; i < c->nt; i++) {
		if (!c->t[i].repos.len)
			continue;
		if (buf_adds(r, "    { target = ") < 0)
			c->failed = 1;
		quoted(c, r, c->t[i].name);
		if (buf_addf(r, "; repos = [ %s ]; }%s\n", c->t[i].repos.s,
			     --repos ? "," : "") < 0)
			c->failed = 1;
	}
	if (buf_adds(r, "  );\n") < 0)
		c->failed = 1;
}

/* Parses text, skipping (with a note) each line the INI reader refuses,
 * up to SKIP_MAX. */
static struct ini *lenient(struct cv *c, const char *text, size_t len,
			   struct err *e)
{
	struct buf t = BUF_INIT(INI_MAX_BYTES);
	struct ini *ini = NULL;
	struct err pe = ERR_INIT;

	if (buf_add(&t, text, len) < 0) {
		err_set(e, ERR_TOOBIG, "%s: over %zu bytes", c->name, INI_MAX_BYTES);
		goto out;
	}
	for (int i = 0; i <= SKIP_MAX; i++) {
		size_t line = 0, n = 1;
		char *p = t.s, *end;

		err_clear(&pe);
		if (ini_parse(t.s, t.len, &ini, &pe) == 0)
			break;
		if (pe.code != ERR_INVAL || strncmp(pe.msg, "line ", 5) != 0 ||
		    (line = (size_t)strtoul(pe.msg + 5, NULL, 10)) == 0 ||
		    i == SKIP_MAX) {
			err_set(e, pe.code, "%s: %s", c->name, pe.msg);
			break;
		}
		while (n < line && (p = strchr(p, '\n'))) {
			p++;
			n++;
		}
		if (!p)
			break;
		end = strchr(p, '\n');
		c->line = line;
		c->sec = NULL;
		note(c, "skipped: %s: \"%.*s\"", strchr(pe.msg, ':') + 2,
		     (int)((end ? end : t.s + t.len) - p > 80 ? 80
			   : (end ? end : t.s + t.len) - p), p);
		memset(p, ' ', (size_t)((end ? end : t.s + t.len) - p));
		*p = '#';
	}
out:
	buf_release(&t);
	return ini;
}

/* 1 if a line of text is an INI section header ("[github]"). */
static int has_section(const char *text, size_t len)
{
	size_t at = 0;

	while (at < len) {
		const char *p = text + at, *nl = memchr(p, '\n', len - at);
		size_t a = 0, b = nl ? (size_t)(nl - p) : len - at;

		at += b + 1;
		while (a < b && (p[a] == ' ' || p[a] == '\t'))
			a++;
		while (b > a && strchr(" \t\r", p[b - 1]))
			b--;
		if (b > a + 2 && p[a] == '[' && p[b - 1] == ']' &&
		    !memchr(p + a, ' ', b - a) && !memchr(p + a, '"', b - a))
			return 1;
	}
	return 0;
}

int convert_config(const char *text, size_t len, const char *name,
		   struct buf *out, struct buf *notes, struct err *e)
{
	struct cv c;
	struct ini *ini;
	int rc = -1;

	memset(&c, 0, sizeof(c));
	c.notes = notes;
	c.name = name;
	for (int g = 0; g < G_N; g++)
		buf_init(&c.g[g], 256 * 1024);
	if (!has_section(text, len)) {
		err_set(e, ERR_INVAL, "%s: no [section]: not the original bot's "
			"app.cfg (this bot's own, in libconfig syntax, needs no "
			"converting)", name);
		goto out;
	}
	if (!(ini = lenient(&c, text, len, e)))
		goto out;
	for (size_t i = 0; i < ini_nentries(ini); i++) {
		const char *v;

		(void)ini_entry_at(ini, i, &c.sec, &c.key, &v, &c.line);
		entry(&c, c.sec, c.key, v);
	}
	targets_out(&c);
	if (buf_addf(out, "# app.cfg converted from %s by eessi-bot-convert-config.\n"
		     "# conf/app.cfg.example documents every key; the converter's "
		     "notes say\n# what it did not map.\n", name) < 0)
		c.failed = 1;
	for (int g = 0; g < G_N; g++) {
		if (!c.g[g].len && g != G_GITHUB && g != G_BUILD && g != G_ARCH &&
		    g != G_JOB)
			continue; /* an optional group left empty */
		if (buf_addf(out, "\n%s = {\n%s};\n", group_names[g], c.g[g].s) < 0)
			c.failed = 1;
	}
	if (c.failed)
		err_set(e, ERR_TOOBIG, "%s: the converted file or its notes grew "
			"over their caps", name);
	else
		rc = c.nnotes;
	ini_free(ini);
out:
	for (int g = 0; g < G_N; g++)
		buf_release(&c.g[g]);
	for (int i = 0; i < c.nt; i++) {
		buf_release(&c.t[i].sbatch);
		buf_release(&c.t[i].repos);
	}
	return rc;
}
