/* test_s3.c - unit tests of lib/s3 (placeholder until the module lands). */
#include "unit.h"

Suite *s3_suite(void)
{
	return suite_create("s3");
}
