/* test_target.c - filters of `bot: build` (every form, alias and refusal,
 * hostile words), matching (segment runs, OR within a kind, AND across
 * kinds, accelerators, repository targets, other instances, the max),
 * target names and the description of what an instance builds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "target.h"
#include "unit.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const struct conf_env env = { "/home/tester", "tester" };

static const char *const head =
	"github = { app_id = 1; app_name = \"my-Bot\"; installation_id = 2;\n"
	"  private_key = \"/etc/key.pem\"; };\n"
	"buildenv = { build_job_script = \"/opt/job.slurm\";\n"
	"  jobs_base_dir = \"/srv/jobs\"; };\n"
	"job_manager = { job_ids_dir = \"/srv/ids\"; };\n";

/* Four arch targets, no repository map. */
static const char *const arch_map =
	"architecturetargets = { arch_target_map = (\n"
	"  { target = \"linux/x86_64/generic\";\n"
	"    sbatch = [ \"--constraint\", \"shape=c4\" ]; },\n"
	"  { target = \"linux/x86_64/amd/zen2\"; },\n"
	"  { target = \"linux/x86_64/amd/zen3\";\n"
	"    accelerators = [ \"nvidia/cc80\", \"nvidia/cc90\" ]; },\n"
	"  { target = \"linux/aarch64/neoverse_v1\"; }\n"
	"); };\n";

static const char *const repo_map =
	"repo_targets = { repo_target_map = (\n"
	"  { target = \"linux/x86_64/amd/zen2\";\n"
	"    repos = [ \"eessi.io-2023.06-software\", \"eessi.io-2025.06\" ]; },\n"
	"  { target = \"linux/x86_64/amd/zen3\";\n"
	"    repos = [ \"eessi.io-2023.06-software\" ]; }\n"
	"); };\n";

/* Loads head + the given text as a configuration. */
static struct conf *load(const char *body, const char *more)
{
	char dir[64], path[96];
	struct buf text = BUF_INIT(BUF_CAP_DEFAULT);
	struct buf report = BUF_INIT(BUF_CAP_DEFAULT);
	struct conf *c = NULL;
	FILE *f;

	unit_mkdtemp(dir, sizeof(dir), "target");
	snprintf(path, sizeof(path), "%s/app.cfg", dir);
	ck_assert_int_eq(buf_addf(&text, "%s%s%s", head, body, more ? more : ""),
			 0);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fwrite(text.s, 1, text.len, f), text.len);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_msg(conf_load(path, &env, &c, &report) == 0, "%s", report.s);
	unit_rm_rf(dir);
	buf_release(&text);
	buf_release(&report);
	return c;
}

/* Parses args, which must be valid. */
static void parse_ok(const char *args, struct filters *f)
{
	char why[512];

	ck_assert_msg(filter_parse(args, f, why, sizeof(why)) == 0,
		      "'%s': %s", args, why);
}

/* Parses args, which must be refused with why starting with want. */
static void parse_bad(const char *args, const char *want)
{
	struct filters f;
	char why[512];

	ck_assert_int_eq(filter_parse(args, &f, why, sizeof(why)), -1);
	ck_assert_uint_eq(f.n, 0);
	ck_assert_msg(strncmp(why, want, strlen(want)) == 0,
		      "why '%s' does not start with '%s'", why, want);
}

/* The dirs of the targets matching args, joined by ' '; the return value
 * of target_match in *rc. */
static void match(const struct conf *c, const char *args, int *rc,
		  char *out, size_t size)
{
	struct filters f;
	struct target t[TARGET_MAX];
	size_t n = 99;
	struct buf b = BUF_INIT(4096);

	parse_ok(args, &f);
	*rc = target_match(c, &f, t, NELEM(t), &n);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(buf_addf(&b, "%s%s", i ? " " : "", t[i].dir),
				 0);
	ck_assert_int_lt(snprintf(out, size, "%s", b.s), (int)size);
	buf_release(&b);
}

#define ck_match(c, args, want)                                           \
	do {                                                              \
		char got_[4096];                                          \
		int rc_;                                                  \
		match(c, args, &rc_, got_, sizeof(got_));                 \
		ck_assert_int_eq(rc_, 0);                                 \
		ck_assert_str_eq(got_, want);                             \
	} while (0)

START_TEST(parse_every_form_and_alias)
{
	static const struct {
		const char *args;
		enum filter_kind kind;
		const char *value;
	} cases[] = {
		{ "arch:zen2", FILTER_ARCH, "zen2" },
		{ "architecture:amd/zen2", FILTER_ARCH, "amd/zen2" },
		{ "repo:eessi.io-2023.06-software", FILTER_REPO,
		  "eessi.io-2023.06-software" },
		{ "repository:r_1+x", FILTER_REPO, "r_1+x" },
		{ "inst:my-bot", FILTER_INST, "my-bot" },
		{ "instance:My.Bot", FILTER_INST, "My.Bot" },
		{ "accel:nvidia/cc80", FILTER_ACCEL, "nvidia/cc80" },
		{ "accelerator:cc90", FILTER_ACCEL, "cc90" },
		{ "ARCH:zen4", FILTER_ARCH, "zen4" },
		{ "  \tarch:linux/x86_64/amd/zen2 \r\n", FILTER_ARCH,
		  "linux/x86_64/amd/zen2" },
	};
	struct filters f;

	for (size_t i = 0; i < NELEM(cases); i++) {
		parse_ok(cases[i].args, &f);
		ck_assert_uint_eq(f.n, 1);
		ck_assert_int_eq(f.f[0].kind, cases[i].kind);
		ck_assert_str_eq(f.f[0].value, cases[i].value);
	}
	parse_ok("", &f);
	ck_assert_uint_eq(f.n, 0);
	parse_ok(" \t\n ", &f);
	ck_assert_uint_eq(f.n, 0);
	parse_ok(NULL, &f);
	ck_assert_uint_eq(f.n, 0);
	parse_ok("arch:zen2\narch:zen3\taccel:cc80  repo:r inst:i", &f);
	ck_assert_uint_eq(f.n, 5);
	ck_assert_int_eq(f.f[1].kind, FILTER_ARCH);
	ck_assert_str_eq(f.f[1].value, "zen3");
	ck_assert_int_eq(f.f[4].kind, FILTER_INST);
}
END_TEST

START_TEST(parse_refusals_name_the_word)
{
	parse_bad("arc:zen2", "`arc:zen2`: unknown filter `arc`; filters are "
		  "arch:, repo:, inst:, accel:");
	parse_bad("arch:$(id)", "`arch:$(id)`: a value may hold only letters, "
		  "digits, '.', '_', '+', '-' and '/'");
	parse_bad("zen2", "`zen2`: not a filter; a filter is KEY:VALUE, e.g. "
		  "arch:zen2, with KEY one of arch:, repo:, inst:, accel:");
	parse_bad("arch:", "`arch:`: no value after ':'");
	parse_bad("arch:zen2 repo:", "`repo:`: no value after ':'");
	parse_bad(":zen2", "`:zen2`: no filter name before ':'; filters are "
		  "arch:, repo:, inst:, accel:");
	parse_bad("arch:../../etc", "`arch:../../etc`: a value may not have "
		  "an empty, '.' or '..' part");
	parse_bad("arch:a//b", "`arch:a//b`: a value may not have an empty");
	parse_bad("arch:/zen2", "`arch:/zen2`: a value may not have an empty");
	parse_bad("arch:zen2/", "`arch:zen2/`: a value may not have an empty");
	parse_bad("arch:.", "`arch:.`: a value may not have");
	parse_bad("repo:a/./b", "`repo:a/./b`: a value may not have");
	parse_bad("arch:zen2:x", "`arch:zen2:x`: a value may hold only");
	parse_bad("arch:zen2 zen3", "`zen3`: not a filter");
	parse_bad("accel:nvidia/cc80,cc90", "`accel:nvidia/cc80,cc90`: a value");
}
END_TEST

START_TEST(parse_hostile_words)
{
	char big[10 * 1024 + 16], why[512], want[128];
	struct filters f;
	struct buf b = BUF_INIT(BUF_CAP_LINE);

	/* the shell never sees these, and the reply shows them harmlessly */
	parse_bad("zzz\";echo${IFS}\"hello\";#",
		  "`zzz\";echo${IFS}\"hello\";#`: not a filter");
	parse_bad("arch:zzz\";echo${IFS}\"hello\";#",
		  "`arch:zzz\";echo${IFS}\"hello\";#`: a value may hold only");
	parse_bad("arch:`id`", "`arch:?id?`: a value may hold only");
	parse_bad("arch:zen2\x01\x7f\xc3\xa9", "`arch:zen2????`: a value");
	parse_bad("a`b:zen2", "`a?b:zen2`: unknown filter `a?b`");
	/* a newline ends a word: the next one is judged on its own */
	parse_bad("arch:zen2\n$(id)", "`$(id)`: not a filter");

	/* a 10 KB word: refused, quoted as its first 64 bytes */
	memcpy(big, "arch:", 5);
	memset(big + 5, 'x', sizeof(big) - 6);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(filter_parse(big, &f, why, sizeof(why)), -1);
	snprintf(want, sizeof(want), "`arch:%.59s...`: a value may be at most "
		 "128 bytes long", big + 5);
	ck_assert_str_eq(why, want);
	big[5 + 128] = '\0';
	parse_ok(big, &f);
	ck_assert_uint_eq(strlen(f.f[0].value), 128);
	big[5 + 128] = 'x';
	big[5 + 129] = '\0';
	parse_bad(big, "`arch:xxx");
	memset(big, 'k', 200);
	big[200] = '\0';
	snprintf(want, sizeof(want), "`%.64s...`: not a filter", big);
	parse_bad(big, want);

	/* 16 filters are fine, 17 are not */
	for (int i = 0; i < 16; i++)
		ck_assert_int_eq(buf_addf(&b, "arch:t%d ", i), 0);
	parse_ok(b.s, &f);
	ck_assert_uint_eq(f.n, 16);
	ck_assert_int_eq(buf_adds(&b, "repo:r"), 0);
	parse_bad(b.s, "more than 16 filters");
	buf_release(&b);

	/* a small why is still a C string */
	ck_assert_int_eq(filter_parse("arc:zen2", &f, why, 8), -1);
	ck_assert_str_eq(why, "`arc:ze");
	ck_assert_int_eq(filter_parse("arc:zen2", &f, NULL, 0), -1);
}
END_TEST

START_TEST(match_segment_runs)
{
	struct conf *c = load(arch_map, NULL);
	const char *all = "linux_x86_64_generic linux_x86_64_amd_zen2 "
			  "linux_x86_64_amd_zen3 linux_aarch64_neoverse_v1";

	ck_match(c, "", all);
	ck_match(c, "arch:zen2", "linux_x86_64_amd_zen2");
	ck_match(c, "arch:amd/zen2", "linux_x86_64_amd_zen2");
	ck_match(c, "arch:x86_64/amd/zen2", "linux_x86_64_amd_zen2");
	ck_match(c, "arch:linux/x86_64/amd/zen2", "linux_x86_64_amd_zen2");
	ck_match(c, "architecture:x86_64",
		 "linux_x86_64_generic linux_x86_64_amd_zen2 "
		 "linux_x86_64_amd_zen3");
	ck_match(c, "arch:amd", "linux_x86_64_amd_zen2 linux_x86_64_amd_zen3");
	ck_match(c, "arch:linux", all);
	ck_match(c, "arch:amd/zen", "");
	ck_match(c, "arch:x86", "");
	ck_match(c, "arch:zen", "");
	ck_match(c, "arch:x86_64/zen2", "");
	ck_match(c, "arch:zen2/amd", "");
	ck_match(c, "arch:linux/x86_64/amd/zen2/more", "");
	ck_match(c, "arch:ZEN2", "");
	ck_match(c, "arch:neoverse_v1", "linux_aarch64_neoverse_v1");
	ck_match(c, "arch:neoverse", "");
	conf_free(c);
}
END_TEST

START_TEST(match_or_within_and_across)
{
	struct conf *c = load(arch_map, NULL);

	/* configuration order, whatever the order of the filters */
	ck_match(c, "arch:zen2 arch:generic",
		 "linux_x86_64_generic linux_x86_64_amd_zen2");
	ck_match(c, "arch:zen2 arch:zen2 arch:amd/zen2",
		 "linux_x86_64_amd_zen2");
	ck_match(c, "arch:zen2 arch:nothing", "linux_x86_64_amd_zen2");
	/* AND: an instance filter that names us changes nothing */
	ck_match(c, "arch:zen2 inst:my-bot", "linux_x86_64_amd_zen2");
	ck_match(c, "inst:other inst:MY-BOT arch:generic",
		 "linux_x86_64_generic");
	/* AND: arch and accel */
	ck_match(c, "arch:amd accel:nvidia/cc80",
		 "linux_x86_64_amd_zen3_nvidia_cc80");
	ck_match(c, "arch:zen2 accel:nvidia", "");
	ck_match(c, "arch:generic arch:zen3 accel:cc90 accel:cc80",
		 "linux_x86_64_amd_zen3_nvidia_cc80 "
		 "linux_x86_64_amd_zen3_nvidia_cc90");
	/* without a repository map no repo: filter matches */
	ck_match(c, "repo:eessi.io-2023.06-software", "");
	conf_free(c);
}
END_TEST

START_TEST(match_accelerators)
{
	struct conf *c = load(arch_map, NULL);
	struct filters f;
	struct target t[8];
	size_t n;

	ck_match(c, "accel:nvidia", "linux_x86_64_amd_zen3_nvidia_cc80 "
		 "linux_x86_64_amd_zen3_nvidia_cc90");
	ck_match(c, "accelerator:cc90", "linux_x86_64_amd_zen3_nvidia_cc90");
	ck_match(c, "accel:nvidia/cc90", "linux_x86_64_amd_zen3_nvidia_cc90");
	ck_match(c, "accel:amd", "");
	ck_match(c, "accel:nvidia/cc", "");
	ck_match(c, "accel:cc70", "");

	parse_ok("accel:cc80", &f);
	ck_assert_int_eq(target_match(c, &f, t, NELEM(t), &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(t[0].arch->target, "linux/x86_64/amd/zen3");
	ck_assert_str_eq(t[0].accel, "nvidia/cc80");
	ck_assert_str_eq(t[0].repo_id, "");
	ck_assert_str_eq(t[0].dir, "linux_x86_64_amd_zen3_nvidia_cc80");
	ck_assert_str_eq(t[0].key, "linux_x86_64_amd_zen3_nvidia_cc80");
	ck_assert_str_eq(t[0].name, "linux/x86_64/amd/zen3 (nvidia/cc80)");
	/* a CPU build: no accelerator */
	parse_ok("arch:zen3", &f);
	ck_assert_int_eq(target_match(c, &f, t, NELEM(t), &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(t[0].accel, "");
	ck_assert_str_eq(t[0].name, "linux/x86_64/amd/zen3");
	conf_free(c);
}
END_TEST

/* target_of(): a target from its parts as a record keeps them, while
 * the configuration still has it (bot: retry). */
START_TEST(target_of_parts)
{
	struct conf *c = load(arch_map, repo_map);
	struct target t;

	ck_assert_int_eq(target_of(c, "linux/x86_64/amd/zen3", "eessi.io-2023.06-software",
				   "nvidia/cc90", &t), 0);
	ck_assert_str_eq(t.dir, "eessi.io-2023.06-software/linux_x86_64_amd_zen3_nvidia_cc90");
	ck_assert_str_eq(t.name, "linux/x86_64/amd/zen3 (nvidia/cc90) for eessi.io-2023.06-software");
	ck_assert_int_eq(target_of(c, "linux/x86_64/amd/zen2", "eessi.io-2025.06", "", &t), 0);
	ck_assert_str_eq(t.accel, "");
	/* no longer configured: the arch, the pair, the accelerator */
	ck_assert_int_eq(target_of(c, "linux/x86_64/amd/zen4", "eessi.io-2025.06", "", &t), -1);
	ck_assert_int_eq(target_of(c, "linux/x86_64/amd/zen3", "eessi.io-2025.06", "", &t), -1);
	ck_assert_int_eq(target_of(c, "linux/x86_64/amd/zen3", "eessi.io-2023.06-software",
				   "nvidia/cc70", &t), -1);
	ck_assert_int_eq(target_of(c, "linux/x86_64/generic", "", "", &t), -1); /* not in the map */
	conf_free(c);
	c = load(arch_map, NULL);
	ck_assert_int_eq(target_of(c, "linux/x86_64/generic", "", "", &t), 0);
	ck_assert_str_eq(t.dir, "linux_x86_64_generic");
	conf_free(c);
}
END_TEST

START_TEST(match_repo_targets)
{
	struct conf *c = load(arch_map, repo_map);
	struct filters f;
	struct target t[8];
	size_t n;

	/* only the pairs the map lists: generic and neoverse_v1 none */
	ck_match(c, "", "eessi.io-2023.06-software/linux_x86_64_amd_zen2 "
		 "eessi.io-2025.06/linux_x86_64_amd_zen2 "
		 "eessi.io-2023.06-software/linux_x86_64_amd_zen3");
	ck_match(c, "repo:eessi.io-2023.06-software",
		 "eessi.io-2023.06-software/linux_x86_64_amd_zen2 "
		 "eessi.io-2023.06-software/linux_x86_64_amd_zen3");
	ck_match(c, "repository:eessi.io-2025.06 arch:zen2",
		 "eessi.io-2025.06/linux_x86_64_amd_zen2");
	ck_match(c, "repo:eessi.io-2025.06 arch:zen3", "");
	ck_match(c, "repo:eessi.io", "");
	ck_match(c, "repo:EESSI.io-2025.06", "");
	ck_match(c, "arch:generic", "");
	ck_match(c, "repo:eessi.io-2025.06 repo:eessi.io-2023.06-software "
		 "accel:cc80",
		 "eessi.io-2023.06-software/linux_x86_64_amd_zen3_nvidia_cc80");

	parse_ok("accel:cc80", &f);
	ck_assert_int_eq(target_match(c, &f, t, NELEM(t), &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(t[0].repo_id, "eessi.io-2023.06-software");
	ck_assert_str_eq(t[0].dir, "eessi.io-2023.06-software/"
			 "linux_x86_64_amd_zen3_nvidia_cc80");
	ck_assert_str_eq(t[0].key, "eessi.io-2023.06-software:"
			 "linux_x86_64_amd_zen3_nvidia_cc80");
	ck_assert_str_eq(t[0].name, "linux/x86_64/amd/zen3 (nvidia/cc80) for "
			 "eessi.io-2023.06-software");
	parse_ok("arch:zen2", &f);
	ck_assert_int_eq(target_match(c, &f, t, NELEM(t), &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(t[1].name, "linux/x86_64/amd/zen2 for eessi.io-2025.06");
	conf_free(c);
}
END_TEST

START_TEST(match_other_instance)
{
	struct conf *c = load(arch_map, NULL);
	struct filters f;
	struct target t[8];
	size_t n = 7;

	parse_ok("inst:other-bot arch:zen2", &f);
	ck_assert_int_eq(target_match(c, &f, t, NELEM(t), &n), 1);
	ck_assert_uint_eq(n, 0);
	parse_ok("instance:my-bo", &f);
	ck_assert_int_eq(target_match(c, &f, t, NELEM(t), &n), 1);
	ck_assert_uint_eq(n, 0);
	/* ours, ignoring case; a filter naming nothing else is then empty */
	parse_ok("inst:MY-bot arch:nothing", &f);
	ck_assert_int_eq(target_match(c, &f, t, NELEM(t), &n), 0);
	ck_assert_uint_eq(n, 0);
	conf_free(c);
}
END_TEST

START_TEST(match_max)
{
	struct conf *c = load(arch_map, NULL);
	struct filters f;
	struct target t[4];
	size_t n = 7;

	parse_ok("", &f);
	ck_assert_int_eq(target_match(c, &f, t, 3, &n), -1);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(target_match(c, &f, t, 4, &n), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_int_eq(target_match(c, &f, NULL, 0, &n), -1);
	parse_ok("arch:nothing", &f);
	ck_assert_int_eq(target_match(c, &f, NULL, 0, &n), 0);
	ck_assert_uint_eq(n, 0);
	conf_free(c);
}
END_TEST

START_TEST(match_keeps_first_of_same_dir)
{
	/* '_' is allowed in a segment, so two targets may share a dir.
	 * conf_load() refuses two such arch targets (test_conf); an arch
	 * target and another's accelerator build can still collide, and
	 * target_match() keeps the first either way: the second arch target
	 * is renamed in memory to show it. */
	struct conf *c = load(
		"architecturetargets = { arch_target_map = (\n"
		"  { target = \"linux/x86_64/a_b\"; },\n"
		"  { target = \"linux/x86_64/a/x\"; sbatch = [ \"-x\" ]; },\n"
		"  { target = \"linux/x86_64/a\"; accelerators = [ \"b/c\" ]; },\n"
		"  { target = \"linux/x86_64/c/a_b\"; }\n"
		"); };\n", NULL);
	struct filters f;
	struct target t[8];
	size_t n;
	char *second = c->architecturetargets.arch_target_map[1].target;

	second[strlen(second) - 1] = 'b'; /* linux/x86_64/a/b */

	ck_match(c, "", "linux_x86_64_a_b linux_x86_64_a linux_x86_64_c_a_b");
	parse_ok("arch:x86_64/a/b arch:x86_64/a_b", &f);
	ck_assert_int_eq(target_match(c, &f, t, NELEM(t), &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(t[0].arch->target, "linux/x86_64/a_b");
	/* a duplicate beyond a full list is not one too many */
	ck_assert_int_eq(target_match(c, &f, t, 1, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(t[0].arch->target, "linux/x86_64/a_b");
	ck_match(c, "accel:b", "linux_x86_64_a_b_c");
	conf_free(c);
}
END_TEST

/* Whether s is made only of the bytes in set and letters and digits. */
static int only(const char *s, const char *set)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr(set, *s)))
			return 0;
	return 1;
}

START_TEST(names_shapes)
{
	struct conf *c = load(arch_map, repo_map);
	struct conf *c2 = load(arch_map, NULL);
	const struct conf *cs[] = { c, c2 };
	const char *const args[] = { "", "accel:nvidia" };
	struct filters f;
	struct target t[8], u;
	size_t n;

	for (size_t k = 0; k < NELEM(cs); k++)
		for (size_t a = 0; a < NELEM(args); a++) {
			parse_ok(args[a], &f);
			ck_assert_int_eq(target_match(cs[k], &f, t,
						      NELEM(t), &n), 0);
			ck_assert_uint_gt(n, 0);
			for (size_t i = 0; i < n; i++) {
				ck_assert(only(t[i].dir, "._+-/"));
				ck_assert(only(t[i].key, "._+-:"));
				ck_assert_ptr_null(strstr(t[i].dir, ".."));
				ck_assert_int_ne(t[i].dir[0], '/');
				/* one '/': after the repository id */
				ck_assert_int_eq(strchr(t[i].dir, '/') != NULL,
						 *t[i].repo_id != '\0');
				ck_assert_ptr_eq(strchr(t[i].dir, '/'),
						 strrchr(t[i].dir, '/'));
				/* names are stable */
				u = t[i];
				memset(u.dir, 'z', sizeof(u.dir));
				target_names(&u);
				ck_assert_str_eq(u.dir, t[i].dir);
				ck_assert_str_eq(u.key, t[i].key);
				ck_assert_str_eq(u.name, t[i].name);
			}
		}
	conf_free(c);
	conf_free(c2);
}
END_TEST

START_TEST(describe_lists_targets)
{
	struct conf *c = load(arch_map, NULL);
	struct conf *c2 = load(arch_map, repo_map);
	struct buf b = BUF_INIT(4096);
	struct buf small = BUF_INIT(40);

	ck_assert_int_eq(buf_adds(&b, "valid: "), 0);
	ck_assert_int_eq(target_describe(c, &b), 0);
	ck_assert_str_eq(b.s, "valid: `linux/x86_64/generic`, "
			 "`linux/x86_64/amd/zen2`, `linux/x86_64/amd/zen3` "
			 "(accel: nvidia/cc80, nvidia/cc90), "
			 "`linux/aarch64/neoverse_v1`");
	buf_clear(&b);
	ck_assert_int_eq(target_describe(c2, &b), 0);
	ck_assert_str_eq(b.s, "`linux/x86_64/amd/zen2` (repo: "
			 "eessi.io-2023.06-software, eessi.io-2025.06), "
			 "`linux/x86_64/amd/zen3` (accel: nvidia/cc80, "
			 "nvidia/cc90; repo: eessi.io-2023.06-software)");
	/* the cap: -1, and what was there stays */
	ck_assert_int_eq(buf_adds(&small, "keep"), 0);
	ck_assert_int_eq(target_describe(c, &small), -1);
	ck_assert_str_eq(small.s, "keep");
	buf_release(&b);
	buf_release(&small);
	conf_free(c);
	conf_free(c2);
}
END_TEST

Suite *target_suite(void)
{
	Suite *s = suite_create("target");
	TCase *tc = tcase_create("target");

	tcase_add_test(tc, parse_every_form_and_alias);
	tcase_add_test(tc, parse_refusals_name_the_word);
	tcase_add_test(tc, parse_hostile_words);
	tcase_add_test(tc, match_segment_runs);
	tcase_add_test(tc, match_or_within_and_across);
	tcase_add_test(tc, match_accelerators);
	tcase_add_test(tc, match_repo_targets);
	tcase_add_test(tc, match_other_instance);
	tcase_add_test(tc, match_max);
	tcase_add_test(tc, match_keeps_first_of_same_dir);
	tcase_add_test(tc, names_shapes);
	tcase_add_test(tc, describe_lists_targets);
	tcase_add_test(tc, target_of_parts);
	suite_add_tcase(s, tc);
	return s;
}
