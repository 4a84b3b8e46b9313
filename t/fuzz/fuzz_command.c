/* fuzz_command - PR-comment commands: command_parse() (lib/core/command.h) on
 * a comment body, as lib/flows/route.c calls it, then, for each `bot: build`
 * command, filter_parse() (lib/core/target.h) on its arguments, as lib/flows/build.c
 * does.
 *
 * Input: the comment body, as is (command_parse takes a length; the body
 * is not NUL-terminated here).
 */
#include "fuzz.h"

#include "command.h"
#include "conf.h"
#include "jobargs.h"
#include "target.h"

/* Words the allow-lists admit: any name, values of letters and digits; and
 * sbatch's --time and --mem with anything. */
static char env_pat[] = "[A-Za-z_][A-Za-z0-9_]*=[A-Za-z0-9]*";
static char sub_pat[] = "--(time|mem)=.*";
static char *env_pats[] = { env_pat, NULL };
static char *sub_pats[] = { sub_pat, NULL };

static void check_jobargs(const struct jobargs *ja)
{
	size_t i;

	if (ja->nenv > JOBARGS_MAX || ja->nsub > JOBARGS_MAX)
		fuzz_fail("jobargs_take: too many");
	for (i = 0; i < ja->nenv; i++)
		if (!ja->env[i].key[0] || strlen(ja->env[i].value) > JOBARGS_VALUE_MAX ||
		    strpbrk(ja->env[i].value, " \t\r\n"))
			fuzz_fail("jobargs_take: env word");
	for (i = 0; i < ja->nsub; i++)
		if (strncmp(ja->sub[i].key, "--", 2) != 0 || strpbrk(ja->sub[i].value, " \t\r\n"))
			fuzz_fail("jobargs_take: submit word");
}

static void check_filters(const struct command *c)
{
	static struct conf conf;
	static struct jobargs ja;
	struct filters f;
	char why[512], rest[COMMAND_ARGS_MAX + 1];
	size_t i;

	conf.buildenv.allowed_jobargs.v = env_pats;
	conf.buildenv.allowed_jobargs.n = 1;
	conf.buildenv.allowed_submitargs.v = sub_pats;
	conf.buildenv.allowed_submitargs.n = 1;
	memset(why, 'x', sizeof(why));
	if (jobargs_take(&conf, c->args, &ja, rest, sizeof(rest), why, sizeof(why)) < 0) {
		if (!memchr(why, '\0', sizeof(why)) || why[0] == '\0')
			fuzz_fail("jobargs_take: no reason given");
		return;
	}
	check_jobargs(&ja);
	memset(why, 'x', sizeof(why));
	if (filter_parse(rest, &f, why, sizeof(why)) == 0) {
		if (f.n > FILTER_MAX)
			fuzz_fail("filter_parse: too many filters");
		for (i = 0; i < f.n; i++) {
			size_t n = strnlen(f.f[i].value, sizeof(f.f[i].value));

			if (n == 0 || n > TARGET_VALUE_MAX)
				fuzz_fail("filter_parse: value length");
			if (f.f[i].kind > FILTER_ACCEL)
				fuzz_fail("filter_parse: kind");
		}
	} else {
		if (f.n != 0)
			fuzz_fail("filter_parse: -1 with filters kept");
		if (!memchr(why, '\0', sizeof(why)) || why[0] == '\0')
			fuzz_fail("filter_parse: no reason given");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct command cmds[COMMAND_MAX]; /* 17 KiB: not on the stack */
	size_t n, i;
	int more = -1;

	n = command_parse((const char *)data, size, cmds, COMMAND_MAX, &more);
	if (n > COMMAND_MAX || (more != 0 && more != 1) ||
	    (more && n != COMMAND_MAX))
		fuzz_fail("command_parse: count");
	for (i = 0; i < n; i++) {
		const struct command *c = &cmds[i];

		if (!memchr(c->word, '\0', sizeof(c->word)) ||
		    !memchr(c->args, '\0', sizeof(c->args)) || c->line < 1)
			fuzz_fail("command_parse: command not terminated");
		if (c->id == CMD_BUILD && !c->too_long)
			check_filters(c);
	}
	return 0;
}
