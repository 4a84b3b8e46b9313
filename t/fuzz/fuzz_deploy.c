/* fuzz_deploy - what a deploy run reads from disk and from job results:
 * deploy_req_parse() (a request in job_ids_dir/deploy/pending/) and
 * deploy_tarball_parse() (an artefact name from a result file), both in
 * lib/flows/deploy.h.
 *
 * Input: the first byte picks the parser, the rest is its input (a
 * request as is; a name cut at its first NUL or newline).  Invariants: a
 * request that parses renders, and the text parses back to the same
 * struct; a name that parses gives a prefix that starts the name, a key
 * that ends with the name, and the parts that make the prefix.
 */
#include "fuzz.h"

#include "buf.h"
#include "deploy.h"
#include "err.h"

static void request(const uint8_t *data, size_t size)
{
	struct deploy_req r1, r2;
	struct buf t = BUF_INIT(BUF_CAP_LINE);
	struct err e = ERR_INIT;

	if (deploy_req_parse((const char *)data, size, &r1, &e) < 0) {
		if (e.code == ERR_NONE || !e.msg[0])
			fuzz_fail("deploy_req_parse: -1 without an error");
		return;
	}
	if (deploy_req_render(&r1, &t, &e) < 0) {
		fprintf(stderr, "%s\n", e.msg);
		fuzz_fail("deploy_req_render refuses a parsed request");
	}
	memset(&r2, 0, sizeof(r2));
	if (deploy_req_parse(t.s, t.len, &r2, &e) < 0) {
		fprintf(stderr, "%s\n%s", e.msg, t.s);
		fuzz_fail("deploy_req_parse refuses a rendered request");
	}
	if (strcmp(r1.repo, r2.repo) != 0 || r1.pr != r2.pr ||
	    strcmp(r1.sender, r2.sender) != 0 ||
	    r1.installation != r2.installation ||
	    r1.comment_id != r2.comment_id ||
	    r1.requested_at != r2.requested_at)
		fuzz_fail("a request does not parse back to the same values");
	buf_release(&t);
}

static void tarball(const uint8_t *data, size_t size)
{
	char *name = fuzz_strndup(data, size);
	struct deploy_tarball t;
	struct buf key = BUF_INIT(4096), want = BUF_INIT(4096);
	struct err e = ERR_INIT;
	size_t n, k;

	name[strcspn(name, "\n")] = '\0';
	if (deploy_tarball_parse(name, &t, &e) < 0) {
		if (e.code == ERR_NONE || !e.msg[0])
			fuzz_fail("deploy_tarball_parse: -1 without an error");
		goto out;
	}
	n = strlen(name);
	k = strlen(t.prefix);
	if (strcmp(t.name, name) != 0 || k >= n ||
	    strncmp(name, t.prefix, k) != 0 || name[k] != '-')
		fuzz_fail("the prefix does not start the name");
	if (buf_addf(&want, "eessi-%s-%s-%s-%s", t.version, t.type, t.os,
		     t.arch) < 0 || strcmp(want.s, t.prefix) != 0)
		fuzz_fail("the parts do not make the prefix");
	if (t.timestamp < 0)
		fuzz_fail("a negative timestamp");
	if (deploy_key("some/prefix", &t, 0, &key, &e) < 0 ||
	    key.len < n || strcmp(key.s + key.len - n, name) != 0 ||
	    strncmp(key.s, "some/prefix/", 12) != 0)
		fuzz_fail("the key does not end with the name under the prefix");
	buf_truncate(&key, 0);
	if (deploy_key(NULL, &t, 1, &key, &e) < 0 || key.s[0] == '/' ||
	    key.len < 9 || strcmp(key.s + key.len - 9, ".meta.txt") != 0)
		fuzz_fail("the metadata key does not end with .meta.txt");
out:
	buf_release(&key);
	buf_release(&want);
	free(name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] & 1)
		tarball(data + 1, size - 1);
	else
		request(data + 1, size - 1);
	return 0;
}
