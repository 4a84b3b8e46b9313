/* Helpers shared by the unit suites. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conf.h"
#include "spawn.h"
#include "unit.h"

void unit_mkdtemp(char *path, size_t size, const char *name)
{
	ck_assert_int_lt(snprintf(path, size, "/tmp/eessi-%s.XXXXXX", name),
			 (int)size);
	ck_assert_ptr_nonnull(mkdtemp(path));
}

void unit_rm_rf(const char *path)
{
	const char *const argv[] = { "/bin/rm", "-rf", path, NULL };
	struct spawn sp = { argv, NULL, NULL, NULL, 0, NULL, NULL, 10000, NULL };
	struct spawn_result res;
	struct err e = ERR_INIT;

	ck_assert_int_eq(spawn_run(&sp, &res, &e), 0);
	ck_assert_int_eq(res.status, 0);
}

void unit_line_of(const char *out, const char *prefix, struct buf *line)
{
	const char *p = out;
	size_t n = strlen(prefix);

	while (p && strncmp(p, prefix, n) != 0)
		p = (p = strchr(p, '\n')) ? p + 1 : NULL;
	ck_assert_msg(p != NULL, "no line '%s' in:\n%s", prefix, out);
	buf_init(line, BUF_CAP_DEFAULT);
	ck_assert_int_eq(buf_add(line, p, strcspn(p, "\n")), 0);
}

int unit_count_pipes(const char *line)
{
	const char *s;
	int n = 0;

	for (s = line; *s; s++)
		if (*s == '|' && (s == line || s[-1] != '\\'))
			n++;
	return n;
}

int unit_count_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

struct conf *unit_conf_try(const char *text, struct buf *report)
{
	static const struct conf_env env = { "/home/tester", "tester" };
	char dir[256], path[300];
	struct conf *c = NULL;
	FILE *f;

	unit_mkdtemp(dir, sizeof(dir), "conf");
	snprintf(path, sizeof(path), "%s/app.cfg", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
	if (conf_load(path, &env, &c, report) != 0)
		c = NULL;
	unit_rm_rf(dir);
	return c;
}

struct conf *unit_conf(const char *text)
{
	struct buf report = BUF_INIT(BUF_CAP_DEFAULT);
	struct conf *c = unit_conf_try(text, &report);

	ck_assert_msg(c != NULL, "%s", report.s);
	buf_release(&report);
	return c;
}
