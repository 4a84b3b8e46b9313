/* fuzz_event - webhook JSON -> struct event: event_parse() (lib/core/event.h),
 * as lib/flows/consume.c calls it on a spooled delivery.
 *
 * Input: the event name (X-GitHub-Event, e.g. "issue_comment"), a NUL
 * byte, then the JSON body (not NUL-terminated: event_parse takes a
 * length).  Without a NUL byte the whole input is the body of an
 * "issue_comment" event.
 */
#include "fuzz.h"

#include "err.h"
#include "event.h"

#define DELIVERY "72d3162e-cc78-11e3-81ab-4c9367dc0958"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size < 66 ? size : 66);
	struct err e = ERR_INIT;
	struct event ev;
	char *name;

	if (nul) {
		name = fuzz_strndup(data, (size_t)(nul - data));
		size -= (size_t)(nul - data) + 1;
		data = nul + 1;
	} else {
		name = fuzz_strndup((const uint8_t *)"issue_comment", 13);
	}
	if (event_parse(name, DELIVERY, (const char *)data, size, &ev, &e) == 0) {
		if (!ev.root || !ev.action || !ev.repo || !ev.sender ||
		    !ev.label || !ev.head_sha || !ev.base_ref ||
		    !ev.comment_body || !ev.comment_user || !ev.comment_created)
			fuzz_fail("event_parse: a string field is NULL");
		if (strlen(ev.comment_body) > EVENT_MAX_COMMENT)
			fuzz_fail("event_parse: comment body over the limit");
	} else if (e.code == ERR_NONE) {
		fuzz_fail("event_parse: -1 without an error");
	}
	event_release(&ev);
	free(name);
	return 0;
}
