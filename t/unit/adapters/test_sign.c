/* test_sign.c - the site's signing command (lib/adapters/sign.h), run
 * for real through /bin/sh: a signature made, a failure told with its
 * stderr, a signer that writes nothing, a stale signature not taken. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "sign.h"
#include "unit.h"
#include "xio.h"

static void signer(struct conf_strv *sc, const char **v, const char *script)
{
	v[0] = "/bin/sh";
	v[1] = "-c";
	v[2] = script;
	v[3] = NULL;
	sc->v = (char **)v;
	sc->n = 3;
}

START_TEST(sign_a_file)
{
	char dir[256], file[512], sig[520];
	const char *v[4];
	struct conf_strv sc;
	struct err e = ERR_INIT;
	struct stat st;

	unit_mkdtemp(dir, sizeof(dir), "sign");
	snprintf(file, sizeof(file), "%s/a.tar.gz", dir);
	snprintf(sig, sizeof(sig), "%s.sig", file);
	ck_assert_int_eq(xio_write_atomic(file, "x", 1, 0644, &e), 0);
	/* $0 is the file; the environment is only PATH and LC_ALL */
	signer(&sc, v, "test -z \"$HOME\" && echo sig > \"$0.sig\"");
	ck_assert_int_eq(sign_file(&sc, file, &e), 0);
	ck_assert_int_eq(stat(sig, &st), 0);
	/* a failure: its exit and the first line of its stderr */
	err_clear(&e);
	signer(&sc, v, "echo 'no key here' >&2; echo more >&2; exit 3");
	ck_assert_int_eq(sign_file(&sc, file, &e), -1);
	ck_assert_int_eq(e.code, ERR_CHILD);
	ck_assert_str_eq(e.msg, "signing_command exited 3: no key here");
	/* the stale signature was removed before it ran */
	ck_assert_int_eq(stat(sig, &st), -1);
	err_clear(&e);
	signer(&sc, v, "exit 0");
	ck_assert_int_eq(sign_file(&sc, file, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "wrote no a.tar.gz.sig"));
	unit_rm_rf(dir);
}
END_TEST

Suite *sign_suite(void)
{
	Suite *s = suite_create("sign");
	TCase *tc = tcase_create("sign");

	tcase_add_test(tc, sign_a_file);
	suite_add_tcase(s, tc);
	return s;
}
