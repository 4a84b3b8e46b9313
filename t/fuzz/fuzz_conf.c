/* fuzz_conf - the configuration file: conf_load() (lib/base/conf.h), as both
 * programs call it at start, with a fixed struct conf_env.
 *
 * Input: the text of app.cfg.  conf_load() reads a path, so the input is
 * written to one file, DIR/app.cfg in a directory made once per run
 * (mkdtemp, removed at exit), and loaded from there; conf_dump() of what
 * loads must succeed.
 *
 * @include: libconfig reads included files relative to the directory of
 * app.cfg.  The run's directory holds app.cfg and include-github.inc
 * (the seed include.cfg names it), nothing else.  So that a mutation
 * cannot make the fuzzer read files outside it (/dev/stdin would block,
 * /dev/zero never end), an input with an @include of anything but a plain
 * file name ([A-Za-z0-9._-]+ in double quotes) is skipped.
 */
#include "fuzz.h"

#include <fcntl.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"

/* libconfig 1.5 (Debian 12) leaks the text of a string token that a
 * syntax error makes its parser discard (hyperrealm/libconfig#142, fixed
 * in 1.7.3 by PR #155): config_read_file -> libconfig_yyparse ->
 * libconfig_yylex [-> strbuf_append].  Not ours: LeakSanitizer is told to
 * ignore what its scanner allocates (libconfig-internal names; libconfig
 * has no frame pointers, so the stack LeakSanitizer sees ends there).
 * What conf.c would leak of libconfig's (a missing config_destroy) is
 * allocated elsewhere in libconfig and still reported. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:strbuf_append\nleak:libconfig_yylex\n";
}

static char dir[] = "/tmp/eessi-fuzz-conf.XXXXXX";
static char path[sizeof(dir) + 16];
static char inc[sizeof(dir) + 32];

static const char include_github[] =
	"github = {\n"
	"  app_id = 123456;\n"
	"  app_name = \"eessi-bot-fuzz\";\n"
	"  installation_id = 12345678;\n"
	"  private_key = \"$HOME/app.pem\";\n"
	"};\n";

static void write_file(const char *p, const void *data, size_t size)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	const char *s = data;

	if (fd < 0)
		fuzz_fail("cannot create the configuration file");
	while (size > 0) {
		ssize_t n = write(fd, s, size);

		if (n <= 0)
			fuzz_fail("cannot write the configuration file");
		s += n;
		size -= (size_t)n;
	}
	if (close(fd) < 0)
		fuzz_fail("cannot close the configuration file");
}

static void cleanup(void)
{
	unlink(path);
	unlink(inc);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (!mkdtemp(dir))
		fuzz_fail("mkdtemp");
	snprintf(path, sizeof(path), "%s/app.cfg", dir);
	snprintf(inc, sizeof(inc), "%s/include-github.inc", dir);
	write_file(inc, include_github, sizeof(include_github) - 1);
	atexit(cleanup);
	return 0;
}

static int name_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

/* 1 when every "@include" is followed by blanks and "NAME". */
static int includes_local(const uint8_t *data, size_t size)
{
	static const char word[] = "@include";
	const size_t wl = sizeof(word) - 1;
	size_t i, j;

	for (i = 0; i + wl <= size; i++) {
		if (memcmp(data + i, word, wl) != 0)
			continue;
		j = i + wl;
		while (j < size && (data[j] == ' ' || data[j] == '\t'))
			j++;
		if (j >= size || data[j++] != '"')
			return 0;
		if (j >= size || !name_char(data[j]))
			return 0;
		while (j < size && name_char(data[j]))
			j++;
		if (j >= size || data[j] != '"')
			return 0;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct conf_env env = { "/home/bot", "bot" };
	struct buf report = BUF_INIT(BUF_CAP_DEFAULT);
	struct buf dump = BUF_INIT(BUF_CAP_DEFAULT);
	struct conf *c = NULL;

	if (!includes_local(data, size))
		return 0;
	write_file(path, data, size);
	if (conf_load(path, &env, &c, &report) == 0) {
		if (!c)
			fuzz_fail("conf_load: 0 without a result");
		if (conf_dump(c, &dump) < 0)
			fuzz_fail("conf_dump of a loaded configuration failed");
	} else if (c || report.len == 0) {
		fuzz_fail("conf_load: -1 with a result or no report");
	}
	conf_free(c);
	buf_release(&report);
	buf_release(&dump);
	return 0;
}
