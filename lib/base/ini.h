/* ini.h - the INI files of the software-layer contract, read and written.
 *
 * Read: repos.cfg (repository targets), _bot_job<ID>.result / .test (what a
 * job gives back), job-submission records.  Written: cfg/job.cfg, records.
 * The dialect is the one Python's configparser writes and EESSI's scripts
 * read:
 *     # comment            (also "; comment"; a whole line, even indented:
 *                           no comments after a value)
 *     [SECTION]
 *     key = value          (also "key: value": the key ends at the first
 *                           '=' or ':'; blanks around it and at both ends
 *                           of the value dropped)
 *     key = first line
 *         indented line     (continuation: a line indented deeper than its
 *                           key line, appended after a '\n')
 * As in configparser, blank lines between continuation lines stay in the
 * value as empty lines, blank lines at its end do not, and a value's first
 * line may be empty ("artefacts =" then indented names reads as
 * "\na.tar.gz\nb.tar.gz").  Keys are case-sensitive here (configparser
 * lowercases them; the files of the contract use lowercase keys only).  A
 * later key of the same name in a section replaces the earlier one; a
 * repeated section continues it.  [DEFAULT] is an ordinary section here
 * (configparser would lend its keys to every section).
 *
 * ini_parse() refuses, naming the line: a setting before any section, a
 * line that is neither comment, section, setting nor continuation, a
 * section name outside [A-Za-z0-9_.:/+-]{1,128} or a key name outside
 * [A-Za-z0-9_./+-]{1,128} (no ':', which would end the key), NUL bytes,
 * more than INI_MAX_ENTRIES section and setting lines together (so that
 * the lookups stay cheap), input over INI_MAX_BYTES.  Other control
 * characters in values are kept: callers check the values they use.
 */
#ifndef EESSI_INI_H
#define EESSI_INI_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

#define INI_MAX_BYTES ((size_t)1024 * 1024)
#define INI_MAX_ENTRIES 4096

struct ini; /* opaque */

/* Parses text (len bytes, need not be NUL-terminated).  0 with *out set
 * (free with ini_free()), or -1: ERR_INVAL "line N: ..." / ERR_TOOBIG /
 * ERR_NOMEM, *out NULL. */
int ini_parse(const char *text, size_t len, struct ini **out, struct err *e);

/* Reads and parses a file (bounded by INI_MAX_BYTES); errors name the
 * path: "PATH: line N: ...". */
int ini_load(const char *path, struct ini **out, struct err *e);

void ini_free(struct ini *ini);

/* The value of key in section (continuation lines joined with '\n'), or
 * NULL when absent.  Valid until ini_free(). */
const char *ini_get(const struct ini *ini, const char *section,
		    const char *key);

/* 1 if the section appears in the file (even without settings). */
int ini_has_section(const struct ini *ini, const char *section);

/* The sections in file order: ini_section(ini, i) for i < ini_nsections()
 * (NULL past the end). */
size_t ini_nsections(const struct ini *ini);
const char *ini_section(const struct ini *ini, size_t i);

/* The settings in file order (a key set twice: its first place, its last
 * value): ini_entry_at(ini, i, ...) for i < ini_nentries(); -1 past the
 * end.  The strings are valid until ini_free(); *line is the key's line. */
size_t ini_nentries(const struct ini *ini);
int ini_entry_at(const struct ini *ini, size_t i, const char **section,
		 const char **key, const char **value, size_t *line);

/* Writers, appending to out.  ini_put_section: "[name]\n" (a blank line
 * first unless out is empty).  ini_put: "key = value\n"; a value holding
 * '\n' is written as continuation lines indented by 4 spaces, and one whose
 * first line is empty as "key = \n    second\n" (as configparser writes it;
 * it reads back with the empty first line).  Both refuse (-1, ERR_INVAL) a
 * name outside the charsets above, and a value that would not read back
 * the same: an empty line after the first (so also a trailing '\n'), a line
 * with leading or trailing blanks, a continuation line starting with '#'
 * or ';' (a comment), or a control character other than '\n' (tabs
 * included).  An empty value is fine: "key = \n".  -1 ERR_TOOBIG when out's
 * cap is hit (ERR_NOMEM without memory); out is then as it was. */
int ini_put_section(struct buf *out, const char *name, struct err *e);
int ini_put(struct buf *out, const char *key, const char *value,
	    struct err *e);

/* ini_put() of a number, written in decimal. */
int ini_put_num(struct buf *out, const char *key, long long v, struct err *e);

#endif
