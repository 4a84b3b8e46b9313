/* fuzz_spool - spool entries (and deliveries saved from GitHub's "Recent
 * Deliveries" page): spool_parse_entry() (lib/state/spool.h), as lib/flows/consume.c
 * and the webhook's --replay call it.
 *
 * Input: the entry, as is (not NUL-terminated: the parser takes a
 * length).  On success the event and delivery must be valid names and
 * the body must lie inside the input.
 */
#include "fuzz.h"

#include "err.h"
#include "names.h"
#include "spool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct spool_entry ent;
	struct err e = ERR_INIT;

	if (spool_parse_entry(text, size, &ent, &e) < 0) {
		if (e.code == ERR_NONE)
			fuzz_fail("spool_parse_entry: -1 without an error");
		return 0;
	}
	if (!names_valid_event(ent.event) ||
	    !names_valid_delivery(ent.delivery))
		fuzz_fail("spool_parse_entry: invalid event or delivery kept");
	if (!ent.body || ent.body < text || ent.body_len > size ||
	    (size_t)(ent.body - text) > size - ent.body_len)
		fuzz_fail("spool_parse_entry: body outside the input");
	return 0;
}
