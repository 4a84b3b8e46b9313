/* fake-slurm.c - squeue, sacct and scontrol without Slurm, for
 * scripts/bench-manager and t/e2e/56-manager-many.sh: one program, its role
 * by the name it is called by.  Compiled with -DDATA='"DIR"' (the bot gives
 * Slurm commands a small fixed environment, so the directory is built in):
 *   squeue    prints DIR/squeue.txt
 *   sacct     prints the lines of DIR/sacct.txt whose id was asked for -j
 *   scontrol  accepts `release IDS`
 * Each call appends "NAME n=<ids given> ARGS" to DIR/calls.log (-j's value
 * and release's ids shown as IDS).  Not linked with lib/: a test tool. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
static long long ids[200000];
static size_t nids;
static int cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return x < y ? -1 : x > y;
}
static void parse_ids(const char *s)
{
	while (*s && nids < sizeof(ids) / sizeof(ids[0])) {
		char *end;
		ids[nids++] = strtoll(s, &end, 10);
		s = *end == ',' ? end + 1 : end;
		if (end == s && *s != ',')
			break;
	}
	qsort(ids, nids, sizeof(ids[0]), cmp);
}
static char *slurp(const char *path, size_t *n)
{
	static char buf[64 << 20];
	int fd = open(path, O_RDONLY);
	ssize_t r;
	*n = 0;
	if (fd < 0)
		return NULL;
	while ((r = read(fd, buf + *n, sizeof(buf) - 1 - *n)) > 0)
		*n += (size_t)r;
	close(fd);
	buf[*n] = '\0';
	return buf;
}
static void out(const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(1, s, n);
		if (w <= 0)
			exit(1);
		s += w;
		n -= (size_t)w;
	}
}
int main(int argc, char **argv)
{
	const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	char line[8192], *text;
	size_t len = 0, n;
	int i, fd;

	for (i = 1; i < argc; i++) {
		int is_ids = (strcmp(name, "sacct") == 0 && i > 1 && strcmp(argv[i - 1], "-j") == 0) ||
			     (strcmp(name, "scontrol") == 0 && i == 2);
		if (is_ids)
			parse_ids(argv[i]);
		len += (size_t)snprintf(line + len, sizeof(line) - len, " %s",
					is_ids ? "IDS" : argv[i]);
		if (len >= sizeof(line) - 64)
			break;
	}
	fd = open(DATA "/calls.log", O_WRONLY | O_APPEND | O_CREAT, 0644);
	if (fd >= 0) {
		char rec[8300];
		int m = snprintf(rec, sizeof(rec), "%s n=%zu%s\n", name, nids, line);
		if (write(fd, rec, (size_t)m) != m)
			return 1;
		close(fd);
	}
	if (strcmp(name, "squeue") == 0) {
		if (!(text = slurp(DATA "/squeue.txt", &n)))
			return 1;
		out(text, n);
	} else if (strcmp(name, "sacct") == 0) {
		char *p, *nl;
		if (!(text = slurp(DATA "/sacct.txt", &n)))
			return 1;
		for (p = text; *p; p = nl + 1) {
			long long id = strtoll(p, NULL, 10);
			if (!(nl = strchr(p, '\n')))
				break;
			if (bsearch(&id, ids, nids, sizeof(ids[0]), cmp))
				out(p, (size_t)(nl - p + 1));
		}
	} else if (strcmp(name, "scontrol") == 0) {
		if (argc < 3 || strcmp(argv[1], "release") != 0) {
			fprintf(stderr, "fake scontrol: only release\n");
			return 1;
		}
	} else {
		return 1;
	}
	return 0;
}
