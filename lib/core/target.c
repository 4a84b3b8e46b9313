/* target.c - the build targets of an instance and the filters of a
 * `bot: build` line (pure: no I/O, nothing allocated).
 *
 * Layer: core (README, "Map of the code").
 */
#include "target.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "conf.h"
#include "names.h"

#define WORD_SHOWN 64 /* bytes of a word quoted in a reply */
#define FILTER_KEYS "arch:, repo:, inst:, accel:"

/* The filter names; the long forms are aliases. */
static const struct {
	const char *name;
	enum filter_kind kind;
} filter_names[] = {
	{ "arch", FILTER_ARCH },  { "architecture", FILTER_ARCH },
	{ "repo", FILTER_REPO },  { "repository", FILTER_REPO },
	{ "inst", FILTER_INST },  { "instance", FILTER_INST },
	{ "accel", FILTER_ACCEL }, { "accelerator", FILTER_ACCEL },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

static int is_value_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '+' ||
	       c == '-' || c == '/';
}

/* s[0..n) for a reply (names_shown_word()). */
static void show(char *out, size_t size, const char *s, size_t n)
{
	names_shown_word(out, size, s, n, WORD_SHOWN);
}

/* Writes "`WORD`: " + fmt to why and returns -1. */
static int word_error(char *why, size_t whylen, const char *w, size_t n,
		      const char *msg)
{
	char shown[WORD_SHOWN + 4];

	show(shown, sizeof(shown), w, n);
	if (whylen > 0)
		snprintf(why, whylen, "`%s`: %s", shown, msg);
	return -1;
}

/* The kind named k[0..n), or -1. */
static int kind_of(const char *k, size_t n)
{
	for (size_t i = 0; i < NELEM(filter_names); i++)
		if (strlen(filter_names[i].name) == n &&
		    strncasecmp(filter_names[i].name, k, n) == 0)
			return (int)filter_names[i].kind;
	return -1;
}

/* NULL when v[0..n) is a valid VALUE, else what is wrong. */
static const char *value_problem(const char *v, size_t n)
{
	size_t i, seg = 0;

	if (n > TARGET_VALUE_MAX)
		return "a value may be at most 128 bytes long";
	for (i = 0; i < n; i++)
		if (!is_value_char(v[i]))
			return "a value may hold only letters, digits, '.', "
			       "'_', '+', '-' and '/'";
	for (i = 0; i <= n; i++) {
		if (i < n && v[i] != '/')
			continue;
		if (i == seg || (i - seg == 1 && v[seg] == '.') ||
		    (i - seg == 2 && v[seg] == '.' && v[seg + 1] == '.'))
			return "a value may not have an empty, '.' or '..' "
			       "part between '/'";
		seg = i + 1;
	}
	return NULL;
}

/* One word w[0..n) into *f; -1 with why. */
static int parse_word(const char *w, size_t n, struct filter *f, char *why,
		      size_t whylen)
{
	const char *colon = memchr(w, ':', n);
	const char *problem;
	size_t klen, vlen;
	int kind;

	if (!colon)
		return word_error(why, whylen, w, n,
				  "not a filter; a filter is KEY:VALUE, e.g. "
				  "arch:zen2, with KEY one of " FILTER_KEYS);
	klen = (size_t)(colon - w);
	vlen = n - klen - 1;
	if (klen == 0)
		return word_error(why, whylen, w, n,
				  "no filter name before ':'; filters are "
				  FILTER_KEYS);
	kind = kind_of(w, klen);
	if (kind < 0) {
		char key[WORD_SHOWN + 4], msg[160];

		show(key, sizeof(key), w, klen);
		snprintf(msg, sizeof(msg), "unknown filter `%s`; filters are "
			 FILTER_KEYS, key);
		return word_error(why, whylen, w, n, msg);
	}
	if (vlen == 0)
		return word_error(why, whylen, w, n,
				  "no value after ':', e.g. arch:zen2");
	problem = value_problem(colon + 1, vlen);
	if (problem)
		return word_error(why, whylen, w, n, problem);
	f->kind = (enum filter_kind)kind;
	memcpy(f->value, colon + 1, vlen);
	f->value[vlen] = '\0';
	return 0;
}

int filter_parse(const char *args, struct filters *out, char *why,
		 size_t whylen)
{
	const char *p = args ? args : "";
	size_t n;

	out->n = 0;
	if (whylen > 0)
		why[0] = '\0';
	for (;;) {
		while (is_space(*p))
			p++;
		if (!*p)
			return 0;
		for (n = 0; p[n] && !is_space(p[n]); n++)
			;
		if (out->n == FILTER_MAX) {
			if (whylen > 0)
				snprintf(why, whylen, "more than %d filters",
					 FILTER_MAX);
			out->n = 0;
			return -1;
		}
		if (parse_word(p, n, &out->f[out->n], why, whylen) < 0) {
			out->n = 0;
			return -1;
		}
		out->n++;
		p += n;
	}
}

/* 1 if v equals a run of whole '/'-separated segments of s. */
static int segment_run(const char *s, const char *v)
{
	size_t n = strlen(v);

	if (n == 0)
		return 0;
	for (const char *p = s; p; p = strchr(p, '/')) {
		if (*p == '/')
			p++;
		if (strncmp(p, v, n) == 0 && (p[n] == '\0' || p[n] == '/'))
			return 1;
	}
	return 0;
}

/* Whether f has filters of kind, and whether one of them accepts s. */
static int has_kind(const struct filters *f, enum filter_kind kind)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->f[i].kind == kind)
			return 1;
	return 0;
}

static int accepts(const struct filters *f, enum filter_kind kind,
		   const char *s)
{
	if (!has_kind(f, kind))
		return 1;
	for (size_t i = 0; i < f->n; i++) {
		const char *v = f->f[i].value;

		if (f->f[i].kind != kind)
			continue;
		if (kind == FILTER_ARCH || kind == FILTER_ACCEL) {
			if (segment_run(s, v))
				return 1;
		} else if (kind == FILTER_INST) {
			if (strcasecmp(s, v) == 0)
				return 1;
		} else if (strcmp(s, v) == 0) {
			return 1;
		}
	}
	return 0;
}

/* Appends s to out (size bytes, used *o) with every '/' as to. */
static void append_mapped(char *out, size_t size, size_t *o, const char *s,
			  char to)
{
	for (; *s && *o + 1 < size; s++)
		out[(*o)++] = *s == '/' ? to : *s;
	out[*o] = '\0';
}

void target_names(struct target *t)
{
	const char *arch = t->arch && t->arch->target ? t->arch->target : "";
	const char *repo = t->repo_id ? t->repo_id : "";
	const char *accel = t->accel ? t->accel : "";
	size_t o = 0;

	/* conf.c keeps each part within 128 bytes: everything fits */
	t->dir[0] = '\0';
	if (*repo) {
		append_mapped(t->dir, sizeof(t->dir), &o, repo, '_');
		append_mapped(t->dir, sizeof(t->dir), &o, "/", '/');
	}
	append_mapped(t->dir, sizeof(t->dir), &o, arch, '_');
	if (*accel) {
		append_mapped(t->dir, sizeof(t->dir), &o, "_", '_');
		append_mapped(t->dir, sizeof(t->dir), &o, accel, '_');
	}
	o = 0;
	append_mapped(t->key, sizeof(t->key), &o, t->dir, ':');
	snprintf(t->name, sizeof(t->name), "%s%s%s%s%s%s", arch,
		 *accel ? " (" : "", accel, *accel ? ")" : "",
		 *repo ? " for " : "", repo);
}

/* The repository ids arch is built for, in map order, into ids (at most
 * max): "" alone when repo_target_map is empty. */
static size_t repo_ids(const struct conf *c, const struct conf_arch_target *a,
		       const char **ids, size_t max)
{
	const struct conf_repo_targets *r = &c->repo_targets;
	size_t n = 0;

	if (r->n_repo_target_map == 0) {
		ids[0] = "";
		return 1;
	}
	for (size_t j = 0; j < r->n_repo_target_map; j++) {
		const struct conf_repo_target *rt = &r->repo_target_map[j];

		if (!rt->target || strcmp(rt->target, a->target) != 0)
			continue;
		for (size_t k = 0; k < rt->repos.n && n < max; k++)
			ids[n++] = rt->repos.v[k];
	}
	return n;
}

#define REPO_IDS_MAX 1024

struct matching {
	struct target *out;
	size_t max;
	size_t n;
};

/* Adds (a, repo, accel) unless a target with its dir is already there;
 * -1 when it would pass max. */
static int add(struct matching *m, const struct conf_arch_target *a,
	       const char *repo, const char *accel)
{
	struct target t;

	memset(&t, 0, sizeof(t));
	t.arch = a;
	t.repo_id = repo;
	t.accel = accel;
	target_names(&t);
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->out[i].dir, t.dir) == 0)
			return 0; /* keep the first */
	if (m->n >= m->max)
		return -1;
	m->out[m->n++] = t;
	return 0;
}

static int match_arch(const struct conf *c, const struct filters *f,
		      const struct conf_arch_target *a, struct matching *m)
{
	const char *ids[REPO_IDS_MAX];
	size_t nids = repo_ids(c, a, ids, REPO_IDS_MAX);
	int want_accel = has_kind(f, FILTER_ACCEL);

	for (size_t j = 0; j < nids; j++) {
		if (!ids[j] || !accepts(f, FILTER_REPO, ids[j]))
			continue;
		if (!want_accel) {
			if (add(m, a, ids[j], "") < 0)
				return -1;
			continue;
		}
		for (size_t k = 0; k < a->accelerators.n; k++) {
			const char *acc = a->accelerators.v[k];

			if (acc && accepts(f, FILTER_ACCEL, acc) &&
			    add(m, a, ids[j], acc) < 0)
				return -1;
		}
	}
	return 0;
}

int target_match(const struct conf *c, const struct filters *f,
		 struct target *out, size_t max, size_t *n)
{
	const struct conf_architecturetargets *at = &c->architecturetargets;
	const char *inst = c->github.app_name ? c->github.app_name : "";
	struct matching m = { out, max, 0 };

	*n = 0;
	if (!accepts(f, FILTER_INST, inst))
		return 1;
	for (size_t i = 0; i < at->n_arch_target_map; i++) {
		const struct conf_arch_target *a = &at->arch_target_map[i];

		if (!a->target || !accepts(f, FILTER_ARCH, a->target))
			continue;
		if (match_arch(c, f, a, &m) < 0)
			return -1;
	}
	*n = m.n;
	return 0;
}

/* ", " between items of a list. */
static int add_list(struct buf *out, const char *label, const char **v,
		    size_t n)
{
	if (n == 0)
		return 0;
	if (buf_adds(out, label) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (buf_addf(out, "%s%s", i ? ", " : "", v[i]) < 0)
			return -1;
	return 0;
}

/* "`TARGET` (accel: A, B; repo: R, S)" for one arch target. */
static int describe_one(struct buf *out, const struct conf_arch_target *a,
			const char **ids, size_t nids)
{
	size_t nacc = a->accelerators.n;

	if (buf_addf(out, "`%s`", a->target) < 0)
		return -1;
	if (nacc == 0 && nids == 0)
		return 0;
	if (buf_adds(out, " (") < 0 ||
	    add_list(out, "accel: ", (const char **)a->accelerators.v,
		     nacc) < 0 ||
	    (nacc && nids && buf_adds(out, "; ") < 0) ||
	    add_list(out, "repo: ", ids, nids) < 0)
		return -1;
	return buf_adds(out, ")");
}

int target_describe(const struct conf *c, struct buf *out)
{
	const struct conf_architecturetargets *at = &c->architecturetargets;
	const char *ids[REPO_IDS_MAX];
	size_t listed = 0, len0 = out->len;

	for (size_t i = 0; i < at->n_arch_target_map; i++) {
		const struct conf_arch_target *a = &at->arch_target_map[i];
		size_t nids;

		if (!a->target)
			continue;
		nids = repo_ids(c, a, ids, REPO_IDS_MAX);
		if (nids == 0)
			continue; /* not built for any repository */
		if (nids == 1 && !*ids[0])
			nids = 0; /* no repository map */
		if ((listed++ && buf_adds(out, ", ") < 0) ||
		    describe_one(out, a, ids, nids) < 0) {
			buf_truncate(out, len0);
			return -1;
		}
	}
	return 0;
}

int target_of(const struct conf *c, const char *arch, const char *repo_id,
	      const char *accel, struct target *out)
{
	const struct conf_arch_target *a = conf_arch_target(c, arch);
	const char *ids[REPO_IDS_MAX];
	size_t n, i;

	memset(out, 0, sizeof(*out));
	if (!a || !repo_id || !accel)
		return -1;
	n = repo_ids(c, a, ids, REPO_IDS_MAX);
	for (i = 0; i < n && strcmp(ids[i], repo_id) != 0; i++)
		;
	if (i == n)
		return -1;
	out->arch = a;
	out->repo_id = ids[i];
	out->accel = "";
	if (*accel) {
		for (i = 0; i < a->accelerators.n && strcmp(a->accelerators.v[i], accel) != 0; i++)
			;
		if (i == a->accelerators.n)
			return -1;
		out->accel = a->accelerators.v[i];
	}
	target_names(out);
	return 0;
}
