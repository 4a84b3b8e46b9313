/* sign.c - the site's signing command run on a file (see sign.h).
 * Layer: adapters (README, "Map of the code"). */
#include "sign.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "spawn.h"

#define SIGN_TIMEOUT_MS 60000

int sign_file(const struct conf_strv *sc, const char *path, struct err *e)
{
	const char *argv[66], *envp[4];
	struct buf errout = BUF_INIT(4096), sig = BUF_INIT(PATH_MAX);
	struct spawn_result res;
	struct spawn sp;
	struct stat st;
	size_t i, k = 0;
	int rc = -1;

	if (sc->n + 2 > sizeof(argv) / sizeof(argv[0])) {
		err_set(e, ERR_CONFIG, "signing_command has too many arguments");
		goto out;
	}
	for (i = 0; i < sc->n; i++)
		argv[i] = sc->v[i];
	argv[i++] = path;
	argv[i] = NULL;
	envp[k++] = "PATH=/usr/local/bin:/usr/bin:/bin";
	envp[k++] = "LC_ALL=C";
	envp[k] = NULL;
	memset(&sp, 0, sizeof(sp));
	sp.argv = argv;
	sp.envp = envp;
	sp.cwd = "/";
	sp.errout = &errout;
	sp.timeout_ms = SIGN_TIMEOUT_MS;
	if (buf_addf(&sig, "%s.sig", path) < 0) {
		err_set(e, ERR_TOOBIG, "path too long");
		goto out;
	}
	(void)unlink(sig.s); /* a stale one must not pass for a new one */
	if (spawn_run(&sp, &res, e) < 0)
		goto out;
	if (res.status != 0) {
		char tail[160];

		snprintf(tail, sizeof(tail), "%s", errout.s);
		tail[strcspn(tail, "\r\n")] = '\0';
		err_set(e, ERR_CHILD, "signing_command exited %d%s%s", res.status,
			*tail ? ": " : "", tail);
		goto out;
	}
	if (lstat(sig.s, &st) < 0 || !S_ISREG(st.st_mode)) {
		err_set(e, ERR_CHILD, "signing_command wrote no %s",
			strrchr(sig.s, '/') ? strrchr(sig.s, '/') + 1 : sig.s);
		goto out;
	}
	rc = 0;
out:
	buf_release(&errout);
	buf_release(&sig);
	return rc;
}

