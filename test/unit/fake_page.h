/* Test-only controls over the fake page interface. */
#ifndef TEST_FAKE_PAGE_H
#define TEST_FAKE_PAGE_H

extern unsigned long fake_page_allocs; /* pages currently allocated */
extern unsigned long fake_page_limit;  /* fail allocations beyond this count */
void fake_page_reset(void);            /* free everything, lift the limit */

#endif
