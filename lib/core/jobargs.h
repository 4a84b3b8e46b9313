/* jobargs.h - job arguments: what a `bot: build` line may pass to its
 * jobs besides choosing targets, and the site's allow-lists.
 *
 * Words of a build line, beside the target filters (lib/core/target.h):
 *     jobargs:KEY=VALUE        (alias exportvariable:, the original bot's
 *                              word) KEY=VALUE in the job's environment
 *     submitargs:--OPT=VALUE   one more sbatch argument, "--OPT=VALUE"
 * The word's name is taken in any case.  Always, whatever the site allows:
 *   KEY    [A-Za-z_][A-Za-z0-9_]{0,63} (an environment variable's name);
 *   OPT    --[a-z][a-z0-9-]{0,31} (a long sbatch option, written with '=');
 *   VALUE  0-256 bytes of printable ASCII but the space (a word of the
 *          line ends at a blank; a line at a newline).
 * Then the site's lists (app.cfg, buildenv.allowed_jobargs and
 * buildenv.allowed_submitargs), each entry "KEYPATTERN=VALUEPATTERN" split
 * at its first '=': POSIX extended regular expressions, each matched
 * against the whole KEY (or --OPT) and the whole VALUE.  An argument that
 * no entry admits is refused, and with it the whole request.  Both lists
 * are empty by default: nothing is admitted.
 *
 * The values never pass through a shell: KEY=VALUE lines go to the job
 * directory's cfg/export_vars (read by the job script with `read -r` and
 * `export "$line"`), submit arguments to sbatch's argv and cfg/submit_args
 * (one per line, for the record and for eessi-bot-resubmit).
 */
#ifndef EESSI_JOBARGS_H
#define EESSI_JOBARGS_H

#include <stddef.h>

#include "buf.h"
#include "conf.h"

#define JOBARGS_MAX 16        /* of each kind, per line */
#define JOBARGS_KEY_MAX 64
#define JOBARGS_OPT_MAX 34    /* "--" and 32 */
#define JOBARGS_VALUE_MAX 256

struct jobarg {
	char key[JOBARGS_KEY_MAX + 1];   /* KEY, or --OPT (shorter) */
	char value[JOBARGS_VALUE_MAX + 1];
};

_Static_assert(JOBARGS_OPT_MAX <= JOBARGS_KEY_MAX, "an option fits a key");

struct jobargs {
	struct jobarg env[JOBARGS_MAX];   /* jobargs: / exportvariable: */
	size_t nenv;
	struct jobarg sub[JOBARGS_MAX];   /* submitargs: */
	size_t nsub;
};

/* Takes the job-argument words out of a build line's arguments: they go
 * into ja (checked for shape, see above, and against c's allow-lists), the
 * other words into rest (as they were, space-separated, NUL-terminated, at
 * most restlen bytes).  0; -1 with a sentence for the PR in why naming the
 * word, e.g.
 *   "`jobargs:PATH=/x`: not allowed on this instance (allowed_jobargs)"
 *   "`submitargs:time=1`: an sbatch option is written --NAME=VALUE"
 * (words cut to 64 bytes, non-printable bytes and backticks as '?').  A
 * key given twice keeps its last value. */
int jobargs_take(const struct conf *c, const char *args, struct jobargs *ja,
		 char *rest, size_t restlen, char *why, size_t whylen);

/* 1 if a and b hold the same arguments (in the same order), else 0. */
int jobargs_same(const struct jobargs *a, const struct jobargs *b);

/* cfg/export_vars's text ("KEY=VALUE\n" each) / cfg/submit_args's
 * ("--OPT=VALUE\n" each), appended to out.  0, or -1 (out's cap). */
int jobargs_env_text(const struct jobargs *ja, struct buf *out);
int jobargs_submit_text(const struct jobargs *ja, struct buf *out);

/* Reads cfg/submit_args's text back (eessi-bot-resubmit): each line
 * checked as a submitargs: word's shape (not the allow-list: the site
 * admitted it when the job was made).  0, or -1 with why. */
int jobargs_parse_submit(const char *text, size_t len, struct jobargs *ja,
			 char *why, size_t whylen);

#endif
