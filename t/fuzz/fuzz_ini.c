/* fuzz_ini - the INI files of the software-layer contract (job results
 * and tests, repos.cfg, job.cfg): ini_parse() (lib/base/ini.h), then ini_get()
 * of the contract's keys in every section, as lib/core/jobcfg.c and the result
 * readers look them up.
 *
 * Input: the file, as is (not NUL-terminated: ini_parse takes a length).
 * Each value found is also written back with ini_put() and, when that
 * accepts it, must read back the same (the writer's promise).
 */
#include "fuzz.h"

#include "buf.h"
#include "err.h"
#include "ini.h"

static const char *const keys[] = {
	"artefacts", "comment_description", "status", "result", /* result */
	"repo_name", "repo_version", "container", "config_bundle",
	"config_map",                                           /* repos.cfg */
	"software_subdir", "os_type", "accelerator", "repo_id", /* job.cfg */
	"id", "state",                                          /* records */
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))
#define SECTIONS_CHECKED 8

/* value, written with ini_put() under [section] key, reads back the same. */
static void round_trip(const char *section, const char *key,
		       const char *value)
{
	struct buf out = BUF_INIT(INI_MAX_BYTES);
	struct err e = ERR_INIT;
	struct ini *back = NULL;
	const char *v;

	if (ini_put_section(&out, section, &e) == 0 &&
	    ini_put(&out, key, value, &e) == 0) {
		if (ini_parse(out.s, out.len, &back, &e) < 0)
			fuzz_fail("ini_put wrote what ini_parse refuses");
		v = ini_get(back, section, key);
		if (!v || strcmp(v, value) != 0)
			fuzz_fail("ini_put value does not read back the same");
		ini_free(back);
	}
	buf_release(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err e = ERR_INIT;
	struct ini *ini = NULL;
	size_t i, k, ns;

	if (ini_parse((const char *)data, size, &ini, &e) < 0) {
		if (ini || e.code == ERR_NONE)
			fuzz_fail("ini_parse: -1 with a result or no error");
		return 0;
	}
	ns = ini_nsections(ini);
	if (ini_section(ini, ns) != NULL)
		fuzz_fail("ini_section past the end");
	for (i = 0; i < ns && i < SECTIONS_CHECKED; i++) {
		const char *sec = ini_section(ini, i);

		if (!sec || !ini_has_section(ini, sec))
			fuzz_fail("ini_section / ini_has_section disagree");
		for (k = 0; k < NKEYS; k++) {
			const char *v = ini_get(ini, sec, keys[k]);

			if (v)
				round_trip(sec, keys[k], v);
		}
	}
	(void)ini_get(ini, "RESULT", "artefacts");
	(void)ini_get(ini, "no-such-section", "status");
	ini_free(ini);
	return 0;
}
