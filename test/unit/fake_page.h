/* Test-only controls over the fake page interface. */
#ifndef TEST_FAKE_PAGE_H
#define TEST_FAKE_PAGE_H

#include "mm/page.h"

extern unsigned long fake_page_allocs; /* pages currently allocated */
extern unsigned long fake_page_limit;  /* fail allocations beyond this count */
void fake_page_reset(void);	       /* free everything, lift the limit */

/*
 * When set, page_owner() and page_owner_run() ask it first: returning true with
 * *owner filled claims @a (e.g. fake host frames a test pretends a VM owns).
 * *len comes in as the rest of @a's 4 KiB frame; the hook may make it longer, to
 * the end of the run with that owner. NULL by default.
 */
extern bool (*fake_page_owner_hook)(hpa_t a, owner_t *owner, uint64_t *len);

#endif
