/* target.h - what one instance builds, and which of it a `bot: build`
 * line asks for.
 *
 * A build target is an architecture target of arch_target_map (OS/SUBDIR,
 * e.g. linux/x86_64/amd/zen2), for one repository target (repo_target_map;
 * none when that map is empty), optionally for one of the accelerators the
 * architecture entry lists.  The instance's targets are every (arch, repo)
 * pair of the configuration: with repo_target_map empty, every arch target
 * once with repo_id ""; otherwise only the pairs the map lists.  A CPU
 * build is the default; an accelerator build happens only when asked for
 * with accel:.
 *
 * Filters, in the arguments of `bot: build`, whitespace-separated:
 *     arch:VALUE   (or architecture:)  an arch target
 *     repo:VALUE   (or repository:)    a repository id
 *     inst:VALUE   (or instance:)      this instance's github.app_name
 *     accel:VALUE  (or accelerator:)   an accelerator of the arch target
 * VALUE: 1-128 of [A-Za-z0-9._+-] and '/', no empty, "." or ".." segment.
 * arch and accel values match a target when they equal a contiguous run
 * of its '/'-separated segments ("zen2", "amd/zen2", "x86_64",
 * "linux/x86_64/amd/zen2" all match linux/x86_64/amd/zen2); repo and inst
 * values must be equal (inst ignoring case).  Several values of one kind:
 * any of them; different kinds: all of them.  No filter: every target of
 * the instance (CPU builds).  With accel:, only accelerator builds: an
 * arch target none of whose accelerators matches is left out.  Filter
 * names ignore case ("ARCH:zen2").
 */
#ifndef EESSI_TARGET_H
#define EESSI_TARGET_H

#include <stddef.h>

struct conf;
struct conf_arch_target;

#define TARGET_VALUE_MAX 128
#define FILTER_MAX 16
#define TARGET_MAX 256 /* build targets one request may have */
#define TARGET_DIR_MAX 512
#define TARGET_NAME_MAX 512

enum filter_kind { FILTER_ARCH, FILTER_REPO, FILTER_INST, FILTER_ACCEL };

struct filter {
	enum filter_kind kind;
	char value[TARGET_VALUE_MAX + 1];
};

struct filters {
	struct filter f[FILTER_MAX];
	size_t n;
};

struct target {
	const struct conf_arch_target *arch; /* arch->target "linux/x86_64/amd/zen2" */
	const char *repo_id; /* "" when repo_target_map is empty (conf-owned) */
	const char *accel;   /* "" for a CPU build (conf-owned) */
	/* The job directory below run_NNN/, relative, made only of
	 * [A-Za-z0-9._+-] and '/': "[REPO_ID/]OS_SUBDIR[_ACCEL]" with every
	 * '/' of the arch target and accelerator as '_', e.g.
	 * "eessi.io-2023.06-software/linux_x86_64_amd_zen3_nvidia_cc80". */
	char dir[TARGET_DIR_MAX];
	/* A stable key for journals and job comments: dir with '/' as ':'. */
	char key[TARGET_DIR_MAX];
	/* For people: "linux/x86_64/amd/zen3 (nvidia/cc80) for REPO_ID". */
	char name[TARGET_NAME_MAX];
};

/* Parses the arguments of one `bot: build` line.  0, or -1 with a sentence
 * for the PR in why (NUL-terminated, at most whylen bytes) naming the
 * offending word and what is valid, e.g.
 *   "`arc:zen2`: unknown filter `arc`; filters are arch:, repo:, inst:, accel:"
 *   "`arch:$(id)`: a value may hold only letters, digits, '.', '_', '+', '-' and '/'"
 *   "more than 16 filters"
 * Words are cut to 64 bytes ("..." after a cut) and non-printable bytes
 * and backticks shown as '?' in why; a word without ':' or with nothing
 * before or after it is refused.  Whether a value matches any target is
 * target_match()'s business.  On -1, out->n is 0. */
int filter_parse(const char *args, struct filters *out, char *why,
		 size_t whylen);

/* The instance's targets matching f, in configuration order (arch map
 * order, then repo order, then accelerator order), written to out (at most
 * max; *n set).  Returns 0; 1 when an inst: filter names another instance
 * (then *n = 0: not an error, that instance answers); -1 when more than max
 * would match (then *n = 0 too).  Targets are distinct (no two share
 * dir): as '_' may occur in a segment, linux/x86_64/a_b and
 * linux/x86_64/a/b would share one; the first in configuration order is
 * kept. */
int target_match(const struct conf *c, const struct filters *f,
		 struct target *out, size_t max, size_t *n);

/* Every target the instance builds (no filter; CPU builds plus, for
 * listing what accel: accepts, nothing else), for replies that say what is
 * valid: appends "`linux/x86_64/generic`, `linux/x86_64/amd/zen2` (accel:
 * nvidia/cc80)" style text: a comma-separated list of the arch targets,
 * each with its accelerators and repository ids, e.g. "`linux/x86_64/amd/
 * zen3` (accel: nvidia/cc80, nvidia/cc90; repo: eessi.io-2023.06-software)";
 * arch targets no repository is built for are left out.  0, or -1 if
 * out's cap was hit (out as it was). */
struct buf;
int target_describe(const struct conf *c, struct buf *out);

/* The target (arch target, repository id, accelerator: "" none) as the
 * configuration has it now, its names filled in: 0, or -1 when the
 * instance no longer builds it (its strings then point into c). */
int target_of(const struct conf *c, const char *arch, const char *repo_id,
	      const char *accel, struct target *out);

/* Fills dir, key and name of t from arch, repo_id and accel. */
void target_names(struct target *t);

#endif
