/* unit.h - the check suites, one per lib/ module (t/unit/LAYER/test_MODULE.c,
 * as lib/LAYER/MODULE.c); t/unit/main.c runs them all.
 * Unit tests run from the t/ directory (test data under t/data/). */
#ifndef EESSI_UNIT_H
#define EESSI_UNIT_H

#include <check.h>
#include <stddef.h>

/* A fresh directory /tmp/eessi-NAME.XXXXXX, its path in path. */
void unit_mkdtemp(char *path, size_t size, const char *name);
/* Removes a tree (rm -rf through lib/spawn). */
void unit_rm_rf(const char *path);

/* The line of out starting with prefix (up to its '\n') into line
 * (buf_init()ed here: release it); fails the test when there is none. */
struct buf;
void unit_line_of(const char *out, const char *prefix, struct buf *line);

/* The cell separators of a Markdown table line: '|' not escaped by a
 * backslash. */
int unit_count_pipes(const char *line);

/* A configuration loaded from text (through a temporary app.cfg, as a
 * site's is), HOME /home/tester; fails the test if it does not load.
 * Free with conf_free(). */
struct conf *unit_conf(const char *text);
/* The same, NULL when it does not load (the problems in report). */
struct conf *unit_conf_try(const char *text, struct buf *report);

/* Entries of a directory but '.'-names, or -1 when it cannot be read. */
int unit_count_entries(const char *path);

struct conf;

Suite *buf_suite(void);
Suite *names_suite(void);
Suite *err_suite(void);
Suite *spawn_suite(void);
Suite *xio_suite(void);
Suite *log_suite(void);
Suite *conf_suite(void);
Suite *webhook_suite(void);
Suite *spool_suite(void);
Suite *event_suite(void);
Suite *effects_suite(void);
Suite *build_suite(void);
Suite *route_suite(void);
Suite *report_suite(void);
Suite *cancel_suite(void);
Suite *retention_suite(void);
Suite *httpc_suite(void);
Suite *appjwt_suite(void);
Suite *github_suite(void);
Suite *ini_suite(void);
Suite *jobcfg_suite(void);
Suite *jobrec_suite(void);
Suite *status_suite(void);
Suite *target_suite(void);
Suite *jobargs_suite(void);
Suite *convert_suite(void);
Suite *slurm_suite(void);
Suite *slurmq_suite(void);
Suite *gitcache_suite(void);
Suite *result_suite(void);
Suite *cdoc_suite(void);
Suite *ledger_suite(void);
Suite *sign_suite(void);
Suite *mindex_suite(void);
Suite *manager_suite(void);
Suite *s3_suite(void);
Suite *deploy_suite(void);
/* A fresh 2048-bit RSA key (PKCS#1 PEM) in priv, its public key (PEM) in
 * pub unless NULL (test_appjwt.c). */
struct buf;
void unit_rsa_key(struct buf *priv, struct buf *pub);

#endif
