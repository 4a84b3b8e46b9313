/* test_appjwt.c - the App JWT, decoded back with libjwt and verified with
 * the public key, at a fixed clock.  The RSA key is made here with GnuTLS
 * (unit_rsa_key(), shared with test_github.c). */
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <jwt.h>
#include <stdlib.h>
#include <string.h>

#include "appjwt.h"
#include "buf.h"
#include "unit.h"

#define NOW 1790000000LL

void unit_rsa_key(struct buf *priv, struct buf *pub)
{
	gnutls_x509_privkey_t x;
	gnutls_privkey_t pk;
	gnutls_pubkey_t pubk;
	gnutls_datum_t d;

	ck_assert_int_eq(gnutls_x509_privkey_init(&x), 0);
	ck_assert_int_eq(gnutls_x509_privkey_generate(x, GNUTLS_PK_RSA, 2048, 0),
			 0);
	/* PKCS#1 PEM, as GitHub hands App keys out */
	ck_assert_int_eq(gnutls_x509_privkey_export2(x, GNUTLS_X509_FMT_PEM, &d),
			 0);
	buf_clear(priv);
	ck_assert_int_eq(buf_add(priv, d.data, d.size), 0);
	gnutls_memset(d.data, 0, d.size);
	gnutls_free(d.data);
	if (pub) {
		ck_assert_int_eq(gnutls_privkey_init(&pk), 0);
		ck_assert_int_eq(gnutls_privkey_import_x509(pk, x, 0), 0);
		ck_assert_int_eq(gnutls_pubkey_init(&pubk), 0);
		ck_assert_int_eq(gnutls_pubkey_import_privkey(pubk, pk, 0, 0), 0);
		ck_assert_int_eq(gnutls_pubkey_export2(pubk, GNUTLS_X509_FMT_PEM,
						       &d), 0);
		buf_clear(pub);
		ck_assert_int_eq(buf_add(pub, d.data, d.size), 0);
		gnutls_free(d.data);
		gnutls_pubkey_deinit(pubk);
		gnutls_privkey_deinit(pk);
	}
	gnutls_x509_privkey_deinit(x);
}

static struct buf key = BUF_INIT(65536), pub = BUF_INIT(65536);

static void setup(void)
{
	unit_rsa_key(&key, &pub);
}

static void teardown(void)
{
	buf_wipe(&key);
	buf_release(&pub);
}

START_TEST(claims_and_header)
{
	struct buf out = BUF_INIT(16384);
	struct err e = ERR_INIT;
	jwt_t *jwt = NULL;

	ck_assert_msg(appjwt_make(key.s, key.len, 123456, NOW, &out, &e) == 0,
		      "%s", e.msg);
	ck_assert_ptr_null(strchr(out.s, '\n'));
	/* verified with the public key: RS256 and the right signature */
	ck_assert_int_eq(jwt_decode(&jwt, out.s, (const unsigned char *)pub.s,
				    (int)pub.len), 0);
	ck_assert_int_eq(jwt_get_alg(jwt), JWT_ALG_RS256);
	ck_assert_str_eq(jwt_get_header(jwt, "alg"), "RS256");
	ck_assert_str_eq(jwt_get_header(jwt, "typ"), "JWT");
	ck_assert_int_eq(jwt_get_grant_int(jwt, "iat"), NOW - 60);
	ck_assert_int_eq(jwt_get_grant_int(jwt, "exp"), NOW + 540);
	ck_assert_int_eq(jwt_get_grant_int(jwt, "iss"), 123456);
	/* nothing else in it */
	{
		char *all = jwt_get_grants_json(jwt, NULL);

		ck_assert_ptr_nonnull(all);
		ck_assert_str_eq(all, "{\"exp\":1790000540,\"iat\":1789999940,"
				      "\"iss\":123456}");
		free(all);
	}
	jwt_free(jwt);
	buf_wipe(&out);
}
END_TEST

START_TEST(same_clock_same_token)
{
	struct buf a = BUF_INIT(16384), b = BUF_INIT(16384);
	struct err e = ERR_INIT;

	ck_assert_int_eq(appjwt_make(key.s, key.len, 7, NOW, &a, &e), 0);
	ck_assert_int_eq(appjwt_make(key.s, key.len, 7, NOW, &b, &e), 0);
	/* RSASSA-PKCS1-v1_5 is deterministic */
	ck_assert_str_eq(a.s, b.s);
	ck_assert_int_eq(appjwt_make(key.s, key.len, 7, NOW + 1, &b, &e), 0);
	ck_assert_str_ne(a.s, b.s);
	buf_release(&a);
	buf_release(&b);
}
END_TEST

START_TEST(tampered_token_fails_verification)
{
	struct buf out = BUF_INIT(16384);
	struct err e = ERR_INIT;
	jwt_t *jwt = NULL;
	char *dot;

	ck_assert_int_eq(appjwt_make(key.s, key.len, 123456, NOW, &out, &e), 0);
	dot = strrchr(out.s, '.');
	ck_assert_ptr_nonnull(dot);
	dot[5] = dot[5] == 'A' ? 'B' : 'A';
	ck_assert_int_ne(jwt_decode(&jwt, out.s, (const unsigned char *)pub.s,
				    (int)pub.len), 0);
	ck_assert_ptr_null(jwt);
	buf_release(&out);
}
END_TEST

START_TEST(bad_inputs_refused)
{
	static const char not_a_key[] =
		"-----BEGIN RSA PRIVATE KEY-----\nbm90IGEga2V5\n"
		"-----END RSA PRIVATE KEY-----\n";
	struct buf out = BUF_INIT(16384);
	struct err e = ERR_INIT;

	ck_assert_int_eq(appjwt_make(not_a_key, sizeof(not_a_key) - 1, 1, NOW,
				     &out, &e), -1);
	ck_assert_int_eq(e.code, ERR_INVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "private key"));
	ck_assert_uint_eq(out.len, 0);
	err_clear(&e);
	ck_assert_int_eq(appjwt_make(NULL, 0, 1, NOW, &out, &e), -1);
	err_clear(&e);
	ck_assert_int_eq(appjwt_make(key.s, key.len, 0, NOW, &out, &e), -1);
	err_clear(&e);
	ck_assert_int_eq(appjwt_make(key.s, key.len, -5, NOW, &out, &e), -1);
	err_clear(&e);
	ck_assert_int_eq(appjwt_make(key.s, key.len, 1, 10, &out, &e), -1);
	ck_assert_uint_eq(out.len, 0);
	buf_release(&out);
}
END_TEST

Suite *appjwt_suite(void)
{
	Suite *s = suite_create("appjwt");
	TCase *tc = tcase_create("core");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, claims_and_header);
	tcase_add_test(tc, same_clock_same_token);
	tcase_add_test(tc, tampered_token_fails_verification);
	tcase_add_test(tc, bad_inputs_refused);
	suite_add_tcase(s, tc);
	return s;
}
