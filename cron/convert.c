/* eessi-bot-convert-config - the original (Python) bot's INI app.cfg made
 * into this bot's app.cfg, with a note for every key it cannot map.  The
 * work is convert_config() (lib/core/convert.h).
 *
 * Exit status: 0 converted (notes or not), 1 the file could not be read,
 * converted or written, 2 the command line is wrong.
 *
 * Layer: programs, above the flows (README, "Map of the code").
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "convert.h"
#include "err.h"
#include "ini.h"
#include "xio.h"

#ifndef EESSI_BOT_VERSION
#define EESSI_BOT_VERSION "0.1.0-dev"
#endif

#define PROG "eessi-bot-convert-config"

static const char usage_text[] =
	"NAME\n"
	"    " PROG " - convert the original EESSI bot's app.cfg\n"
	"\n"
	"SYNOPSIS\n"
	"    " PROG " [-o NEW_APP_CFG] ORIGINAL_APP_CFG\n"
	"    " PROG " -h | --help\n"
	"    " PROG " --version\n"
	"\n"
	"DESCRIPTION\n"
	"    Reads the INI app.cfg of the original (Python) EESSI bot, up to its\n"
	"    v0.9 keys, and writes the same settings in this bot's app.cfg\n"
	"    (libconfig syntax) on standard output, or into NEW_APP_CFG.  Each\n"
	"    thing it cannot map is named on standard error, one line each:\n"
	"        FILE:LINE: [section] key: why\n"
	"    followed by a count.  Check the result with\n"
	"        eessi-bot-manager --check-config -c NEW_APP_CFG\n"
	"\n"
	"    Mapped: every key of the same meaning (under its name, log_path as\n"
	"    log_file); lists written as text (logins separated by blanks,\n"
	"    load_modules by commas, slurm_params split as a shell would); the\n"
	"    JSON maps arch_target_map, node_type_map (os/cpu_subdir as the\n"
	"    target, slurm_params, accel, its repo_targets), repo_target_map and\n"
	"    cvmfs_customizations as lists of groups; allowed_exportvars as\n"
	"    buildenv.allowed_jobargs (patterns matching exactly those\n"
	"    entries).\n"
	"\n"
	"    Not mapped, each with a note: the comment texts ([*_job_comments],\n"
	"    [download_pr_comments], command_response_fmt,\n"
	"    moved_job_dirs_comment: this bot words its comments itself),\n"
	"    job_name, clone_git_repo_via = ssh (this bot fetches over https),\n"
	"    artefact_upload_script and signing (this bot uploads and\n"
	"    signs itself: deploycfg.credentials_file, signing_command), more\n"
	"    than one bucket, a second node type on one CPU target (its\n"
	"    accelerator joins the target, its sbatch words do not), and any\n"
	"    key the original did not have.  A line the original's reader\n"
	"    would take but is no setting (\"  - os: ...\" in its example) is\n"
	"    skipped with a note.\n"
	"\n"
	"    Not in the original's file, so to be set afterwards where needed:\n"
	"    github.webhook_secret_file (the original read the secret from\n"
	"    $GITHUB_APP_SECRET_TOKEN, which this bot still reads),\n"
	"    deploycfg.credentials_file, job_manager.scancel_command.\n"
	"\n"
	"OPTIONS\n"
	"    -o, --output FILE\n"
	"        Write the new app.cfg to FILE (mode 0640), which must not\n"
	"        exist yet; default: standard output.\n"
	"    -h, --help\n"
	"        Print this text and exit.\n"
	"    --version\n"
	"        Print the version and exit.\n"
	"\n"
	"EXIT STATUS\n"
	"    0 converted, notes or not; 1 the file could not be read, converted\n"
	"    or written; 2 the command line is wrong.\n";

/* Converts path into output (NULL: standard output): 0 or 1. */
static int convert(const char *path, const char *output)
{
	struct buf text = BUF_INIT(INI_MAX_BYTES), out = BUF_INIT(4 * 1024 * 1024),
		   notes = BUF_INIT(1024 * 1024);
	struct err e = ERR_INIT;
	int n, rc = 1;

	if (xio_read_file(path, &text, 0, &e) < 0 ||
	    (n = convert_config(text.s, text.len, path, &out, &notes, &e)) < 0) {
		fprintf(stderr, PROG ": %s\n", e.msg);
		goto out;
	}
	fputs(notes.s, stderr);
	fprintf(stderr, PROG ": %d thing%s not mapped%s\n", n, n == 1 ? "" : "s",
		n ? " (above)" : "");
	if (output) {
		if (xio_create_atomic(output, out.s, out.len, 0640, &e) < 0) {
			fprintf(stderr, PROG ": %s\n", e.msg);
			goto out;
		}
	} else if (fwrite(out.s, 1, out.len, stdout) != out.len || fflush(stdout)) {
		fprintf(stderr, PROG ": standard output: %s\n", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	buf_release(&text);
	buf_release(&out);
	buf_release(&notes);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *output = NULL;
	int opt;

	while ((opt = getopt_long(argc, argv, "o:h", longs, NULL)) != -1) {
		switch (opt) {
		case 'o':
			output = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'V':
			puts(PROG " " EESSI_BOT_VERSION);
			return 0;
		default:
			fprintf(stderr, "usage: " PROG " [-o NEW_APP_CFG] ORIGINAL_APP_CFG "
				"(--help tells more)\n");
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, PROG ": %s (--help tells more)\n", optind >= argc
			? "which app.cfg? name the original's file"
			: "one file only");
		return 2;
	}
	return convert(argv[optind], output);
}
