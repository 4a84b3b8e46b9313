/* test_deploy.c - unit tests of lib/deploy (placeholder until the module lands). */
#include "unit.h"

Suite *deploy_suite(void)
{
	return suite_create("deploy");
}
