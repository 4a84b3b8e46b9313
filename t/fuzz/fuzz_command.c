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
#include "target.h"

static void check_filters(const struct command *c)
{
	struct filters f;
	char why[512];
	size_t i;

	memset(why, 'x', sizeof(why));
	if (filter_parse(c->args, &f, why, sizeof(why)) == 0) {
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
