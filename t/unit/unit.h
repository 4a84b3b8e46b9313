/* unit.h - the check suites, one per lib/ module; t/unit/main.c runs them all.
 * Unit tests run from the t/ directory (test data under t/data/). */
#ifndef EESSI_UNIT_H
#define EESSI_UNIT_H

#include <check.h>

Suite *buf_suite(void);
Suite *err_suite(void);
Suite *spawn_suite(void);
Suite *xio_suite(void);
Suite *log_suite(void);
Suite *conf_suite(void);
Suite *webhook_suite(void);

#endif
