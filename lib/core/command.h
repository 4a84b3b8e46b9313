/* command.h - bot commands in a PR comment.
 *
 * A command is a line whose text, after leading blanks, starts with "bot:"
 * (any case), then a command word (any case) and its arguments:
 *     bot: help
 *     bot: build arch:x86_64/generic repo:eessi.io-2023.06-software
 * Several commands may share a comment, one per line.  Lines inside fenced
 * code blocks (```) and quoted lines ("> bot: ...") are not commands, so a
 * reply that quotes a command does not run it again.
 */
#ifndef EESSI_COMMAND_H
#define EESSI_COMMAND_H

#include <stddef.h>

enum command_id {
	CMD_UNKNOWN = 0,
	CMD_HELP,
	CMD_BUILD,
	CMD_SHOW_CONFIG,
	CMD_STATUS,
	CMD_CANCEL,
	CMD_RETRY,
};

#define COMMAND_MAX 16        /* commands taken from one comment */
#define COMMAND_WORD_MAX 32   /* bytes of a command word */
#define COMMAND_ARGS_MAX 1024 /* bytes of a command's arguments */

struct command {
	enum command_id id;
	char word[COMMAND_WORD_MAX + 1]; /* as written (cut, for messages) */
	char args[COMMAND_ARGS_MAX + 1]; /* the rest of the line, trimmed */
	int line;                        /* 1-based line in the comment */
	int too_long;                    /* word or args did not fit: a cut
					  * word leaves id CMD_UNKNOWN, cut
					  * args keep the command's id (its
					  * handler refuses the line) */
};

/* Finds the commands in a comment body.  Returns how many were stored in
 * out (at most max); *more is set when the comment held further ones. */
size_t command_parse(const char *body, size_t len, struct command *out,
		     size_t max, int *more);

/* The command word of an id ("help"), NULL for CMD_UNKNOWN. */
const char *command_word(enum command_id id);

#endif
