/* result.h - what a finished build job left behind, read for the manager's
 * report in the PR.
 *
 * A job directory holds, by the software-layer contract:
 *   _bot_job<ID>.result   INI, [RESULT]: status, comment_description,
 *                         artefacts (written by the target's check-build.sh)
 *   _bot_job<ID>.test     INI, [TEST]: status, comment_description
 *   slurm-<ID>.out        everything the job printed
 * The result file's word is final when it can be read.  Without one, the
 * job output is analysed as the original bot did (result_analyse()).  For
 * a FAILURE or an UNKNOWN, the end of the output worth showing is cut out
 * (result_excerpt()): bounded, clean text, which the caller still has to
 * escape for HTML.
 *
 * None of the three files is trusted: each is opened with O_NOFOLLOW (a
 * job could otherwise make the bot read, say, /etc/shadow through a
 * symlink) and O_NONBLOCK (a FIFO must not hang the manager), must be a
 * regular file, and is read with a bound: the INI files up to
 * INI_MAX_BYTES, the output only its last RESULT_OUTPUT_MAX bytes, however
 * large the file.
 *
 * result_analyse() and result_excerpt() are total functions on arbitrary
 * bytes (NULs included: they go by len, never strlen) and fuzz targets.
 */
#ifndef EESSI_RESULT_H
#define EESSI_RESULT_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

#define RESULT_OUTPUT_MAX ((size_t)1024 * 1024) /* tail of slurm-<ID>.out read */
#define RESULT_EXCERPT_MAX 2000     /* bytes of an excerpt, at most */
#define RESULT_EXCERPT_LINES 25     /* lines of an excerpt, at most */
#define RESULT_EXCERPT_AFTER 2      /* lines kept after the last error line */
#define RESULT_EXCERPT_LINE_MAX 400 /* bytes of one excerpt line, at most */
#define RESULT_WHY_MAX 200          /* bytes of result_analyse()'s sentence */
#define RESULT_DESCRIPTION_MAX ((size_t)32 * 1024) /* comment_description */
#define RESULT_ARTEFACTS_MAX 256    /* names kept; more are bad_artefacts */
#define RESULT_ARTEFACT_NAME_MAX 255

enum result_status { RESULT_SUCCESS, RESULT_FAILURE, RESULT_UNKNOWN };

/* "SUCCESS", "FAILURE", "UNKNOWN" ("UNKNOWN" for a value out of range). */
const char *result_status_name(enum result_status s);

struct result {
	enum result_status status; /* the build's verdict */
	char source[16];           /* where it came from: "result file",
				    * "job output" or "nothing" */
	char *description;         /* the result file's comment_description
				    * (control characters, newlines included,
				    * turned into blanks: it goes into one
				    * table cell), or a sentence of ours when
				    * that is missing, unusable or there is
				    * no result file; may be NULL */
	char **artefacts;          /* the result file's artefacts, each a
				    * result_valid_artefact() name */
	size_t nartefacts;
	size_t bad_artefacts;      /* names dropped: invalid, or past
				    * RESULT_ARTEFACTS_MAX */
	int has_test;              /* 1: _bot_job<ID>.test was read */
	enum result_status test_status;
	char *test_description;    /* as description, from [TEST]; may be
				    * set with has_test 0: a note why the
				    * file was ignored (a symlink, ...) */
	char *excerpt;             /* result_excerpt() of the output for a
				    * FAILURE or UNKNOWN; NULL for a SUCCESS
				    * or without (non-empty) output */
};

/* Frees everything r holds and zeroes it (status then RESULT_SUCCESS:
 * zero).  Safe on a zeroed struct and twice. */
void result_release(struct result *r);

/* Reads what job job_id left in job_dir into *out (overwritten: release
 * an earlier result first).  job_dir itself may be a symlink (the bot made
 * the path); the three files in it may not.
 *
 * With a readable _bot_job<ID>.result: source "result file"; status from
 * [RESULT] status (trimmed, case-insensitive SUCCESS / FAILURE / UNKNOWN);
 * description its comment_description (NULL if absent; replaced by a
 * sentence when longer than RESULT_DESCRIPTION_MAX); artefacts from
 * artefacts, a newline-separated list: entries trimmed of blanks, empty
 * ones dropped, invalid ones dropped and counted in bad_artefacts.
 * UNKNOWN with a sentence naming the problem instead, when the status is
 * missing or not understood, there is no [RESULT] section, or the file is
 * malformed ("_bot_job123.result line 4: ...", from ini_parse()).
 *
 * Without one (absent, a symlink, not a regular file, unreadable): the
 * output's last RESULT_OUTPUT_MAX bytes go through result_analyse()
 * (an ERROR only earlier in a larger output is not seen): source "job
 * output", description "<why no result file>; <output>: <sentence>", e.g.
 *   "no _bot_job7.result; slurm-7.out: tarball created, no missing modules"
 *   "_bot_job7.result is a symlink: ignored; slurm-7.out (last 1048576 of
 *    5242880 bytes): 1 FATAL line; first: FATAL: ..."
 * Without usable output either: UNKNOWN, source "nothing", description
 * e.g. "no _bot_job7.result; no slurm-7.out".  A job directory that does
 * not exist: UNKNOWN, source "nothing", "the job directory is gone".
 * Our sentences are plain text; job text quoted in them has <>&|`
 * replaced by '?', so they read the same as HTML or Markdown.
 *
 * _bot_job<ID>.test, when readable: has_test 1, test_status and
 * test_description from [TEST] by the same rules.
 *
 * For a FAILURE or an UNKNOWN, excerpt is result_excerpt() of the output
 * (the tail that was read; a first line cut by the tail is dropped).
 *
 * Everything about the job's files is an answer, not an error: 0.  -1
 * only for a bad argument (job_id <= 0, NULL, a path too long: ERR_INVAL)
 * or without memory (ERR_NOMEM); *out is then zeroed. */
int result_read(const char *job_dir, long long job_id, struct result *out,
		struct err *e);

/* The verdict on a job's output when there is no result file, by EESSI's
 * check-build.sh and the original bot.  Lines end at '\n' or '\r'; before
 * matching, blanks and ANSI escape sequences (colour codes) at the start
 * of a line are skipped, and so is EasyBuild's "== " marker; lines
 * starting ">> searching for " are ignored (check-build.sh echoes the
 * patterns it greps for, as EESSI's script itself knows).  Counted:
 *   error lines    starting "FATAL: ", "ERROR: " or "FAILED: ";
 *   missing lines  containing " required modules missing:" (EasyBuild's
 *                  "1 out of 5 required modules missing:");
 *   no-missing     a line containing "No missing installations";
 *   tarball        a line matching "tar.* created!" (a "tar" and a later
 *                  " created!" on the same line: "... .tar.gz created!").
 * The rule:
 *   FAILURE  an error line or a missing line;
 *   SUCCESS  otherwise, when a tarball was created;
 *   UNKNOWN  otherwise (nothing went wrong visibly, but nothing was made).
 * "No missing installations" is reported in why but not required for a
 * SUCCESS: the original bot judged a job without result file by "no missing
 * modules and a tarball created" (targets such as the compatibility layer
 * never print that line); EESSI's check-build.sh, which writes the result
 * file, requires both and so stays the stricter judge.
 *
 * why (may be NULL) is cleared and gets one short sentence, at most
 * RESULT_WHY_MAX bytes, cut at a UTF-8 boundary (ending "..."): "tarball
 * created, no missing modules", "2 ERROR lines, 1 FAILED line; first:
 * FAILED: ...".  The quoted first line (error or missing, in file order)
 * is cleaned as an excerpt line, with <>&|` replaced by '?' and tabs by
 * blanks.  A why that cannot take the sentence (cap, memory) is left
 * empty; the verdict stands. */
enum result_status result_analyse(const char *out, size_t len,
				  struct buf *why);

/* Cuts the part of a job's output worth showing under a FAILURE, clean,
 * into excerpt (cleared first).  Lines end at '\n' (a last line without
 * one counts).  The window is RESULT_EXCERPT_LINES lines long:
 *   - if there are error lines (as in result_analyse()), it ends
 *     RESULT_EXCERPT_AFTER lines after the last one (the lines before it
 *     are its context; what follows is mostly cleanup);
 *   - otherwise it ends at the last line.
 * Each line is cleaned: "\r\n" ends a line; a lone '\r' returns to the
 * line's start as on a terminal (only the text after the last one stays:
 * progress meters); ANSI escape sequences are removed (CSI "ESC [ ... m"
 * colours and the like, OSC "ESC ] ... BEL", two-byte ESC x); other
 * control characters (C0 except '\t', DEL, C1) are dropped; bytes that are
 * not UTF-8 become '?'.  A line over RESULT_EXCERPT_LINE_MAX bytes is cut
 * at a UTF-8 boundary and ends in "...".  Then whole lines are dropped
 * from the window's start until it fits in RESULT_EXCERPT_MAX bytes (the
 * end, where the error is, stays).  Lines are joined by '\n', with none
 * after the last.  0, or -1 (errno E2BIG: excerpt's cap is below what the
 * window needs; ENOMEM), excerpt then empty. */
int result_excerpt(const char *out, size_t len, struct buf *excerpt);

/* 1 if name is an artefact name the bot accepts: a plain file name of
 * 1-RESULT_ARTEFACT_NAME_MAX bytes of [A-Za-z0-9._+-], not "." or "..",
 * and not starting with '-' (it ends up in argv of upload commands). */
int result_valid_artefact(const char *name);

#endif
