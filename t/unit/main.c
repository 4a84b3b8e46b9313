/* The unit-test runner: every lib/ module's check suite in one run, so one
 * closing line ("100%: Checks: N, Failures: 0, Errors: 0") covers them all. */
#include <stdlib.h>

#include "unit.h"

static Suite *(*const suites[])(void) = {
	buf_suite, names_suite, err_suite, spawn_suite, xio_suite, log_suite, conf_suite, webhook_suite,
	spool_suite, event_suite, effects_suite,
	httpc_suite, appjwt_suite, github_suite,
	ini_suite, jobcfg_suite, jobrec_suite, status_suite, target_suite, jobargs_suite, convert_suite, slurm_suite, gitcache_suite, slurmq_suite,
	result_suite, cdoc_suite, mindex_suite, ledger_suite, sign_suite, manager_suite, s3_suite, deploy_suite,
	build_suite, route_suite, report_suite, cancel_suite, retention_suite,
};

int main(void)
{
	SRunner *sr = srunner_create(NULL);
	size_t i;
	int failed;

	for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		srunner_add_suite(sr, suites[i]());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
