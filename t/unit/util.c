/* Helpers shared by the unit suites. */
#include <stdio.h>
#include <stdlib.h>

#include "spawn.h"
#include "unit.h"

void unit_mkdtemp(char *path, size_t size, const char *name)
{
	ck_assert_int_lt(snprintf(path, size, "/tmp/eessi-%s.XXXXXX", name),
			 (int)size);
	ck_assert_ptr_nonnull(mkdtemp(path));
}

void unit_rm_rf(const char *path)
{
	const char *const argv[] = { "/bin/rm", "-rf", path, NULL };
	struct spawn sp = { argv, NULL, NULL, NULL, 0, NULL, NULL, 10000 };
	struct spawn_result res;
	struct err e = ERR_INIT;

	ck_assert_int_eq(spawn_run(&sp, &res, &e), 0);
	ck_assert_int_eq(res.status, 0);
}
