/* fuzz_webhook - the webhook path up to the spool decision:
 * webhook_handle() (lib/flows/webhook.h), as cgi/main.c calls it for each
 * request, with a real spool directory.
 *
 * Input format (fields split on the first six NUL bytes; a field missing
 * at the end of the input is absent):
 *
 *   FLAGS METHOD \0 PATH_INFO \0 CONTENT_LENGTH \0 EVENT \0 DELIVERY \0
 *   SIGNATURE \0 BODY
 *
 *   FLAGS           one byte:
 *                     0x01  sign: X-Hub-Signature-256 is the body's valid
 *                           signature under the test secret (hmac_sign_
 *                           github()), SIGNATURE is ignored
 *                     0x02  Content-Length is the body's exact length,
 *                           CONTENT_LENGTH is ignored
 *                     0x04  the body arrives 7 bytes a read (else at once)
 *                     0x08  the reader fails (-1) at the end of the body
 *                           instead of reporting its end (0)
 *   METHOD          REQUEST_METHOD ("POST")
 *   PATH_INFO, CONTENT_LENGTH, EVENT (X-GitHub-Event), DELIVERY
 *   (X-GitHub-Delivery), SIGNATURE (X-Hub-Signature-256): an empty field
 *   is an absent header (NULL), as it is to webhook_handle()
 *   BODY            the rest of the input, NULs and all
 *
 * The body cap (max_body) is 65536 bytes, so 413 is reachable.
 *
 * Spool: a directory made once per run (mkdtemp under /dev/shm when
 * there is one, else /tmp: fsync is cheap there), spool_init()ed, with
 * done/00000000-0000-4000-8000-000000000000 present so that a delivery
 * with that id is a duplicate (200).  After a 202 the new entry,
 * incoming/DELIVERY, is removed at once: the directory never grows.  The
 * directory is removed at exit.
 */
#include "fuzz.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "hmac.h"
#include "names.h"
#include "spool.h"
#include "webhook.h"

#define SECRET "fuzz-test-secret"
#define SECRET_LEN (sizeof(SECRET) - 1)
#define MAX_BODY 65536
#define KNOWN "00000000-0000-4000-8000-000000000000"

enum { F_SIGN = 1, F_LENGTH = 2, F_CHUNKED = 4, F_FAIL_AT_END = 8 };

static char dir[64];

struct src {
	const uint8_t *data;
	size_t len, off;
	unsigned flags;
};

static ssize_t read_src(void *ctx, char *dst, size_t n)
{
	struct src *s = ctx;
	size_t left = s->len - s->off;

	if (left == 0)
		return (s->flags & F_FAIL_AT_END) ? -1 : 0;
	if (n > left)
		n = left;
	if ((s->flags & F_CHUNKED) && n > 7)
		n = 7;
	memcpy(dst, s->data + s->off, n);
	s->off += n;
	return (ssize_t)n;
}

static void remove_tree(const char *d)
{
	static const char *const subs[] = { "incoming", "claimed", "done",
					    "failed", "effects" };
	char p[256];
	size_t i;

	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		DIR *dp;
		struct dirent *de;

		snprintf(p, sizeof(p), "%s/%s", d, subs[i]);
		if (!(dp = opendir(p)))
			continue;
		while ((de = readdir(dp))) {
			char f[512];

			if (de->d_name[0] == '.' && (!de->d_name[1] ||
			    (de->d_name[1] == '.' && !de->d_name[2])))
				continue;
			snprintf(f, sizeof(f), "%s/%s", p, de->d_name);
			unlink(f);
		}
		closedir(dp);
		rmdir(p);
	}
	snprintf(p, sizeof(p), "%s/consumer.lock", d);
	unlink(p);
	rmdir(d);
}

static void cleanup(void)
{
	remove_tree(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct stat st;
	struct err e = ERR_INIT;
	char p[128];
	int fd;

	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "%s/eessi-fuzz-spool.XXXXXX",
		 stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm"
								  : "/tmp");
	if (!mkdtemp(dir) || spool_init(dir, &e) < 0)
		fuzz_fail("cannot make the spool directory");
	atexit(cleanup);
	snprintf(p, sizeof(p), "%s/done/" KNOWN, dir);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || close(fd) < 0)
		fuzz_fail("cannot make the known delivery");
	return 0;
}

/* An empty field is an absent header. */
static const char *opt(const char *s)
{
	return *s ? s : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct webhook_cfg cfg = { dir, (const unsigned char *)SECRET,
				   SECRET_LEN, MAX_BODY };
	struct webhook_answer ans;
	struct webhook_req req;
	char *f[6], sig[HMAC_GITHUB_SIG_LEN + 1], len[32];
	struct src body;
	unsigned flags;
	size_t i;

	if (size < 1)
		return 0;
	flags = data[0];
	data++;
	size--;
	for (i = 0; i < 6; i++)
		f[i] = fuzz_field(&data, &size);
	body = (struct src){ data, size, 0, flags };

	req = (struct webhook_req){ f[0], opt(f[2]), opt(f[3]), opt(f[4]),
				    opt(f[5]), read_src, &body, opt(f[1]) };
	if (flags & F_LENGTH) {
		snprintf(len, sizeof(len), "%zu", size);
		req.content_length = len;
	}
	if (flags & F_SIGN) {
		if (hmac_sign_github(SECRET, SECRET_LEN, data, size, sig) < 0)
			fuzz_fail("hmac_sign_github");
		req.signature = sig;
	}
	webhook_handle(&cfg, &req, &ans);

	if (!memchr(ans.text, '\0', sizeof(ans.text)) ||
	    strcmp(webhook_status_text(ans.status), "Unknown") == 0)
		fuzz_fail("webhook_handle: answer");
	if (ans.spooled != (ans.status == 202))
		fuzz_fail("webhook_handle: spooled without 202, or 202 without");
	if (ans.spooled) {
		char p[128];

		if (!names_valid_delivery(req.delivery))
			fuzz_fail("webhook_handle: spooled an invalid delivery");
		snprintf(p, sizeof(p), "%s/incoming/%s", dir, req.delivery);
		if (unlink(p) < 0)
			fuzz_fail("webhook_handle: 202 but no spool entry");
	}
	for (i = 0; i < 6; i++)
		free(f[i]);
	return 0;
}
