/* fuzz_sbatch - `sbatch --parsable` output: slurm_parse_sbatch()
 * (lib/adapters/slurm.h), as slurm_submit() calls it on sbatch's stdout.
 *
 * Input: the output, as is (not NUL-terminated: the parser takes a
 * length).
 */
#include "fuzz.h"

#include "err.h"
#include "slurm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err e = ERR_INIT;
	long long id = -7;

	if (slurm_parse_sbatch((const char *)data, size, &id, &e) == 0) {
		if (id <= 0)
			fuzz_fail("slurm_parse_sbatch: 0 with a job id <= 0");
	} else if (e.code == ERR_NONE) {
		fuzz_fail("slurm_parse_sbatch: -1 without an error");
	}
	return 0;
}
